/*
 * fuzz_audit.c - the audit log's readers on a log an attacker wrote: the
 * input up to the first NUL byte is the log, the rest (when there is a
 * NUL) its head file.  Runs verify (with and without the head), tail,
 * and open + append, and checks that a log that verified still verifies
 * after one more record, and that the appender accepts every log that
 * verified.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "quarantine/mg_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *log_path, *head_path;

static void
cleanup(void)
{
	static const char *const names[] = {"audit.log", "audit.log.head",
	    "audit.log.head.tmp", "audit.log.lock"};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = g_build_filename(dir, names[i], NULL);

		g_unlink(p);
		g_free(p);
	}
	g_rmdir(dir);
}

static void
setup(void)
{
	dir = g_dir_make_tmp("fuzz_audit_XXXXXX", NULL);
	if (dir == NULL)
		abort();
	log_path = g_build_filename(dir, "audit.log", NULL);
	head_path = g_strconcat(log_path, ".head", NULL);
	atexit(cleanup);
}

/* Not g_file_set_contents(): its fsync would make each run slow. */
static void
put(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[1];
	const uint8_t *nul;
	struct mg_audit_summary sum;
	struct mg_audit *a;
	GError *err = NULL;
	GPtrArray *t;
	gboolean ok;

	if (dir == NULL)
		setup();
	paths[0] = log_path;
	g_unlink(head_path);
	nul = memchr(data, '\0', size);
	if (nul != NULL) {
		put(log_path, data, (size_t)(nul - data));
		put(head_path, nul + 1, size - (size_t)(nul - data) - 1);
	} else {
		put(log_path, data, size);
	}

	(void)mg_audit_verify_files(
	    paths, 1, MG_AUDIT_VERIFY_NO_HEAD, &sum, NULL);
	ok = mg_audit_verify_files(paths, 1, 0, &sum, NULL);
	t = mg_audit_tail(log_path, 3, NULL);
	if (t != NULL)
		g_ptr_array_unref(t);

	a = mg_audit_open(log_path, FALSE, &err);
	if (ok && a == NULL)
		__builtin_trap(); /* a log that verified must be writable */
	if (a != NULL) {
		JsonObject *o = json_object_new();

		json_object_set_string_member(o, "type", "fuzz");
		if (!mg_audit_append(a, o, NULL))
			__builtin_trap();
		json_object_unref(o);
		mg_audit_close(a);
		if (ok && !mg_audit_verify_files(paths, 1, 0, &sum, NULL))
			__builtin_trap();
	}
	g_clear_error(&err);
	return 0;
}
