/*
 * cmd_clean.c - `mugaika clean [--config F] [--report R.json] IN OUT`:
 * one file through the CDR modules.
 *
 * Exit: 0 when OUT was written (rebuilt, or verified free of risk
 * factors), 2 when the file was refused (the reason on stderr and in the
 * report), 64 usage, 75 internal failure (nothing written).  OUT is
 * written to a temp file beside it and renamed, so a failure leaves
 * nothing behind.  The output's suggested name (a.docm -> a.docx) is
 * printed; OUT itself is the caller's choice.  The modules run in a
 * forked child (the engine is loaded once, before the fork) with a
 * milter worker's limits: a crash on a hostile file, or a memory bomb
 * past [milter] worker_max_memory, is exit 75 with nothing written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_cli.h"
#include "mg_policy.h"
#include "mugaika.h"
#include "util/mg_util.h"

/*
 * Test hooks (tests/cli/test_clean.py), inert unless their variable is
 * set: on an input whose first 64 KiB contain the variable's value, the
 * child dies as a module that hits a bug would (MUGAIKA_TEST_CRASH_ON),
 * or asks for 1 GiB and touches it as a decompression bomb would
 * (MUGAIKA_TEST_ALLOC_ON; under worker_max_memory GLib aborts).
 */
static gboolean
test_hook(const char *var, int fd)
{
	const char *needle = g_getenv(var);
	char buf[65536];
	ssize_t n;

	if (needle == NULL || *needle == '\0')
		return FALSE;
	n = pread(fd, buf, sizeof(buf), 0);
	return n > 0 && memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
}

static void
test_hooks(int fd)
{
	if (test_hook("MUGAIKA_TEST_CRASH_ON", fd))
		abort();
	if (test_hook("MUGAIKA_TEST_ALLOC_ON", fd)) {
		gsize size = (gsize)1 << 30;
		char *p = g_malloc(size);

		memset(p, 1, size);
		g_free(p);
	}
}

/*
 * The child's limits, a milter worker's: no core file (it would hold the
 * file's contents) and [milter] worker_max_memory of address space.  Not
 * the address space under AddressSanitizer, whose shadow memory alone is
 * terabytes of it (the test builds).
 */
static void
child_limits(const char *config)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) p = mg_policy_load(config, &err);
	struct rlimit core = {0, 0};

	setrlimit(RLIMIT_CORE, &core);
#ifndef __SANITIZE_ADDRESS__
	if (p != NULL && p->worker_max_memory > 0) {
		struct rlimit as = {
		    (rlim_t)p->worker_max_memory, (rlim_t)p->worker_max_memory};

		if (setrlimit(RLIMIT_AS, &as) != 0)
			fprintf(stderr, "mugaika clean: setrlimit: %s\n",
			    g_strerror(errno));
	}
#else
	(void)p;
#endif
}

/* The child's verdict; a child killed by a signal is a temporary failure
 * and leaves nothing at OUT. */
static int
wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "mugaika clean: waitpid: %s\n",
			    g_strerror(errno));
			return MG_EXIT_TEMPFAIL;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr,
	    "mugaika clean: temporary failure: the sanitizer died (%s); "
	    "nothing written\n",
	    WIFSIGNALED(status) ? g_strsignal(WTERMSIG(status)) : "?");
	return MG_EXIT_TEMPFAIL;
}

int
mg_cli_clean(int argc, char **argv)
{
	g_autofree char *config = NULL, *report = NULL, *name = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {"report", 'r', 0, G_OPTION_ARG_FILENAME, &report,
	        "Write the JSON report to R", "R"},
	    {"name", 'n', 0, G_OPTION_ARG_STRING, &name,
	        "The file's original name (default: IN's)", "NAME"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("IN OUT - rebuild one file without active "
	                         "content");
	g_autoptr(GError) err = NULL;
	g_autofree char *base = NULL;
	mugaika_engine *e = NULL;
	mugaika_clean *c = NULL;
	int fd = -1, rc = MG_EXIT_TEMPFAIL;
	pid_t pid = -1;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
	    "Exit status: 0 OUT written (rebuilt or verified); 2 refused; "
	    "64 usage;\n75 temporary failure (nothing written).");
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "mugaika clean: %s\n", err->message);
		return MG_EXIT_USAGE;
	}
	if (argc != 3) {
		fprintf(stderr, "mugaika clean: expected IN and OUT\n");
		return MG_EXIT_USAGE;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mugaika clean: %s: %s\n", argv[1],
		    g_strerror(errno));
		return errno == ENOENT ? MG_EXIT_USAGE : MG_EXIT_TEMPFAIL;
	}
	e = mugaika_engine_new(
	    config != NULL ? config : MG_DEFAULT_CONFIG, &err);
	if (e == NULL) {
		fprintf(stderr, "mugaika clean: %s\n", err->message);
		goto out;
	}
	base = g_path_get_basename(argv[1]);
	/* The modules run in a child: a crash in one (a parser bug on a
	 * hostile file) ends in exit 75 with nothing written, as a crash in
	 * a milter worker ends in quarantine. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mugaika clean: fork: %s\n", g_strerror(errno));
		goto out;
	}
	if (pid > 0) {
		rc = wait_child(pid);
		goto out;
	}
	child_limits(config != NULL ? config : MG_DEFAULT_CONFIG);
	test_hooks(fd);
	c = mugaika_clean_fd(e, fd, name != NULL ? name : base, &err);
	if (c == NULL) {
		fprintf(stderr, "mugaika clean: temporary failure: %s\n",
		    err != NULL ? err->message : "unknown error");
		goto out;
	}
	if (report != NULL &&
	    !g_file_set_contents_full(report, mugaika_clean_report_json(c), -1,
	        G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
		fprintf(stderr, "mugaika clean: report: %s\n", err->message);
		goto out;
	}
	if (mugaika_clean_outcome(c) == MUGAIKA_CLEAN_REFUSED) {
		fprintf(stderr, "mugaika clean: refused: %s\n",
		    mugaika_clean_reason(c));
		rc = MG_EXIT_REJECTED;
		goto out;
	}
	{
		gsize len;
		const char *d = g_bytes_get_data(mugaika_clean_data(c), &len);
		g_autofree char *shown =
		    mg_printable(mugaika_clean_name(c), -1, 0);

		if (!g_file_set_contents_full(argv[2], d, (gssize)len,
		        G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
			fprintf(stderr, "mugaika clean: %s\n", err->message);
			goto out;
		}
		fprintf(stderr, "mugaika clean: %s (suggested name: %s)\n",
		    mugaika_clean_outcome(c) == MUGAIKA_CLEAN_REBUILT
		        ? "rebuilt"
		        : "verified: no risk factor found",
		    shown);
	}
	rc = MG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	mugaika_clean_free(c);
	mugaika_engine_free(e);
	if (pid == 0) {
		fflush(NULL);
		_exit(rc);
	}
	return rc;
}
