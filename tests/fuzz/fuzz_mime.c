/*
 * fuzz_mime.c - the whole engine on a raw message: parse, walk, decode,
 * render, notice, report, quarantine store, output writing.
 *
 * The quarantine goes to a private directory under /dev/shm (tmpfs, so the
 * store's fsyncs cost nothing) that is emptied every 200 runs.  The engine
 * is made once, in LLVMFuzzerInitialize() (libclamav keeps its signatures
 * in mmap'ed pools that LeakSanitizer does not scan, so the allocations
 * of cl_load() look leaked to a per-input leak check), and freed at exit
 * with the directory.  libFuzzer leaves some runs without calling exit
 * handlers (a crash, -merge and -minimize_crash children), so each
 * directory holds its process id and the next run removes the ones whose
 * process is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mugaika.h"

static mugaika_engine *engine;
static char *base, *qdir;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* rm -r: the quarantine tree holds directories of files only. */
static void
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(path, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_tree(p);
		else
			unlink(p);
	}
	if (d != NULL)
		g_dir_close(d);
	rmdir(path);
}

/* The directories of fuzz_mime runs that are over (see above). */
static void
remove_stale(void)
{
	const char *tmp = g_get_tmp_dir();
	GDir *d = g_dir_open(tmp, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *dir = NULL, *pidf = NULL, *text = NULL;
		long pid;

		if (!g_str_has_prefix(n, "mugaika-fuzz-"))
			continue;
		dir = g_build_filename(tmp, n, NULL);
		pidf = g_build_filename(dir, "pid", NULL);
		if (!g_file_get_contents(pidf, &text, NULL, NULL))
			continue;
		pid = strtol(text, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			remove_tree(dir);
	}
	if (d != NULL)
		g_dir_close(d);
}

static void
cleanup(void)
{
	mugaika_engine_free(engine);
	engine = NULL;
	if (base != NULL)
		remove_tree(base);
	g_free(base);
	g_free(qdir);
}

static void
init(void)
{
	const char *src = getenv("MUGAIKA_SOURCE_DIR");
	g_autofree char *conf = NULL, *text = NULL;
	g_autoptr(GError) err = NULL;

	mugaika_init();
	remove_stale();
	base = g_dir_make_tmp("mugaika-fuzz-XXXXXX", &err);
	if (base == NULL)
		abort();
	{
		g_autofree char *pidf = g_build_filename(base, "pid", NULL);
		g_autofree char *pid = g_strdup_printf("%ld\n", (long)getpid());

		g_file_set_contents(pidf, pid, -1, NULL);
	}
	qdir = g_build_filename(base, "q", NULL);
	conf = g_build_filename(base, "fuzz.conf", NULL);
	text = g_strdup_printf("[quarantine]\ndir = %s\n"
	                       "[notice]\ntemplates = %s/conf/templates\n"
	                       "[scan]\ndatabase = %s/corpus/signatures\n"
	                       "[limits]\nmax_message_size = 4M\n",
	    qdir, src != NULL ? src : ".", src != NULL ? src : ".");
	g_file_set_contents(conf, text, -1, NULL);
	engine = mugaika_engine_new(conf, &err);
	if (engine == NULL) {
		fprintf(stderr, "fuzz_mime: %s (set MUGAIKA_SOURCE_DIR)\n",
		    err->message);
		abort();
	}
	atexit(cleanup);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (g_file_test("/dev/shm", G_FILE_TEST_IS_DIR))
		g_setenv("TMPDIR", "/dev/shm", TRUE);
	init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	mugaika_result *r;
	int fd, out;

	fd = memfd_create("msg", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	r = mugaika_sanitize_fd(engine, fd, NULL, NULL);
	if (r != NULL) {
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		mugaika_result_write_message(r, out, NULL);
		close(out);
		mugaika_result_free(r);
	}
	close(fd);
	if (++runs % 200 == 0) {
		/* Keep the store small: drop the kept originals. */
		g_autofree char *msgdir = g_build_filename(qdir, "msg", NULL);
		GDir *d = g_dir_open(msgdir, 0, NULL);
		const char *n;

		while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(msgdir, n, NULL);

			unlink(p);
		}
		if (d != NULL)
			g_dir_close(d);
	}
	return 0;
}
