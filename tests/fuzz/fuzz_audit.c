/*
 * fuzz_audit.c - the audit log's readers on a log an attacker wrote: the
 * input up to the first NUL byte is the log, the rest (when there is a
 * NUL) its head file.  Runs verify (with and without the head), tail,
 * and open + append, and checks that a log that verified still verifies
 * after one more record, and that the appender accepts every log that
 * verified.  Input starting with 'W' instead makes records of its bytes
 * (split at \x01) and checks that they are written as lines that verify.
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

/*
 * Writer mode: records made of the input's bytes (any bytes in member
 * names and values, as mail text may be) must come out as lines that
 * verify.
 */
static void
writer(const uint8_t *data, size_t size)
{
	const char *paths[1] = {log_path};
	struct mg_audit_summary sum;
	struct mg_audit *a;
	GPtrArray *t;
	char **chunks;
	char *text;
	guint i, n = 0;

	g_unlink(log_path);
	g_unlink(head_path);
	if ((a = mg_audit_open(log_path, FALSE, NULL)) == NULL)
		__builtin_trap();
	text = g_strndup((const char *)data, size);
	chunks = g_strsplit(text, "\x01", 8);
	for (i = 0; chunks[i] != NULL; i++) {
		JsonObject *o = json_object_new();
		JsonArray *arr = json_array_new();
		char *name = g_strndup(chunks[i], 8);

		json_object_set_string_member(o, "s", chunks[i]);
		json_array_add_string_element(arr, chunks[i]);
		json_array_add_int_element(arr, (gint64)strlen(chunks[i]));
		json_object_set_array_member(o, "a", arr);
		/* A name that is a reserved one is refused, by design. */
		if (strcmp(name, "seq") != 0 && strcmp(name, "time") != 0 &&
		    strcmp(name, "prev") != 0)
			json_object_set_string_member(o, name, "v");
		if (!mg_audit_append(a, o, NULL))
			__builtin_trap();
		n++;
		g_free(name);
		json_object_unref(o);
	}
	g_strfreev(chunks);
	g_free(text);
	mg_audit_close(a);
	if (!mg_audit_verify_files(paths, 1, 0, &sum, NULL) || sum.records != n)
		__builtin_trap();
	t = mg_audit_tail(log_path, n, NULL);
	if (t == NULL || t->len != n)
		__builtin_trap();
	g_ptr_array_unref(t);
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
	if (size > 0 && data[0] == 'W') {
		writer(data + 1, size - 1);
		return 0;
	}
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
