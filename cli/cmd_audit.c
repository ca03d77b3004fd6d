/*
 * cmd_audit.c - `mugaika audit`: verify the audit log's hash chain and
 * head file, or show its last records.
 *
 *   mugaika audit [--config F] verify [--no-head] [FILE…]
 *   mugaika audit [--config F] tail [-n N] [FILE]
 *
 * Without FILE the config's [log] audit_file is used.  verify takes
 * rotated files oldest first (audit.log.2 audit.log.1 audit.log) and
 * checks that each continues the one before; only the last is compared
 * with its head file.
 *
 * Untrusted input: the log's lines carry text from mail and may have
 * been edited by an attacker; tail shows each line through
 * mg_printable() so no control sequence, bidi override or invisible
 * character reaches the terminal, and verify's messages (which may name
 * files given by the user) are escaped the same way.
 *
 * Exit status: 0 the chain verified (verify) or lines shown (tail);
 * 1 the chain is broken: a line edited, deleted, inserted, the file
 * truncated, the head not matching; 64 usage (unknown action, bad
 * option, no audit file configured or given); 75 the config or a file
 * could not be read, or output failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "mg_cli.h"
#include "mg_policy.h"
#include "quarantine/mg_audit.h"
#include "util/mg_util.h"

#define EXIT_BROKEN 1
#define DEFAULT_TAIL 10

static void
fail(const GError *err)
{
	g_autofree char *msg = mg_printable(err->message, -1, 0);

	fprintf(stderr, "mugaika audit: %s\n", msg);
}

static int
exit_for(const GError *err)
{
	if (g_error_matches(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN))
		return EXIT_BROKEN;
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
		return MG_EXIT_USAGE;
	return MG_EXIT_TEMPFAIL;
}

static int
flush_stdout(void)
{
	if (fflush(stdout) != 0) {
		fprintf(
		    stderr, "mugaika audit: stdout: %s\n", g_strerror(errno));
		return MG_EXIT_TEMPFAIL;
	}
	return MG_EXIT_OK;
}

static int
do_verify(const char *const *files, guint n, gboolean no_head)
{
	g_autoptr(GError) err = NULL;
	struct mg_audit_summary sum;
	int rc;

	if (!mg_audit_verify_files(
	        files, n, no_head ? MG_AUDIT_VERIFY_NO_HEAD : 0, &sum, &err)) {
		if (!g_error_matches(
		        err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN)) {
			fail(err);
			return exit_for(err);
		}
		/* The verdict goes to stdout, like "ok". */
		{
			g_autofree char *msg =
			    mg_printable(err->message, -1, 0);

			printf("FAILED: %s\n", msg);
		}
		rc = flush_stdout();
		return rc != MG_EXIT_OK ? rc : EXIT_BROKEN;
	}
	if (sum.head_checked)
		printf("ok: %" G_GUINT64_FORMAT " records, head seq "
		       "%" G_GUINT64_FORMAT "\n",
		    sum.records, sum.head_seq);
	else if (no_head)
		printf("ok: %" G_GUINT64_FORMAT " records, head not checked "
		       "(--no-head)\n",
		    sum.records);
	else
		printf("ok: %" G_GUINT64_FORMAT " records, no head file yet\n",
		    sum.records);
	if (sum.first_seq > 1)
		printf("note: the first record is seq %" G_GUINT64_FORMAT
		       ": it continues an earlier (rotated) file not given "
		       "here; give the files oldest first to check that "
		       "link\n",
		    sum.first_seq);
	return flush_stdout();
}

static int
do_tail(const char *file, gint n)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	guint i;

	if ((lines = mg_audit_tail(file, (guint)n, &err)) == NULL) {
		fail(err);
		return exit_for(err);
	}
	for (i = 0; i < lines->len; i++) {
		g_autofree char *s = mg_printable(lines->pdata[i], -1, 0);

		printf("%s\n", s);
	}
	return flush_stdout();
}

int
mg_cli_audit(int argc, char **argv)
{
	g_autofree char *config = NULL;
	gboolean no_head = FALSE;
	gint lines = G_MININT; /* not given */
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {"no-head", 0, 0, G_OPTION_ARG_NONE, &no_head,
	        "verify: check the chain only, not the head file (a "
	        "rotated file verified alone)",
	        NULL},
	    {"lines", 'n', 0, G_OPTION_ARG_INT, &lines,
	        "tail: show the last N records (default 10)", "N"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("ACTION [FILE…] - check the audit log");
	g_auto(GStrv) args = g_new0(char *, (gsize)argc + 1);
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) policy = NULL;
	const char *action, *def[1];
	const char *const *files;
	guint nargs, nfiles;
	int i;

	/* argv[0] names the program in --help. */
	args[0] = g_strdup("mugaika audit");
	for (i = 1; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx,
	    "Actions:\n"
	    "  verify [--no-head] [FILE…]  check the hash chain and the "
	    "head file;\n"
	    "                              rotated files oldest first\n"
	    "  tail [-n N] [FILE]          the last N records (default 10)\n"
	    "\n"
	    "Without FILE the config's [log] audit_file is used.");
	g_option_context_set_description(ctx,
	    "verify prints \"ok: N records, head seq S\" or \"FAILED: line "
	    "L: what\".\n"
	    "Exit status: 0 verified (or shown); 1 the log was tampered "
	    "with (a line\nedited, deleted or inserted, the file truncated, "
	    "the head not matching);\n64 usage error or no audit file; 75 "
	    "the config or a file could not be\nread, or output failed.");
	/* GOption takes options anywhere among the words, so --config
	 * works before and after the action. */
	if (!g_option_context_parse_strv(ctx, &args, &err)) {
		fail(err);
		return MG_EXIT_USAGE;
	}
	nargs = g_strv_length(args);
	if (nargs < 2) {
		fprintf(stderr, "mugaika audit: no action given (verify, "
		                "tail; see --help)\n");
		return MG_EXIT_USAGE;
	}
	action = args[1];
	if (strcmp(action, "verify") == 0) {
		if (lines != G_MININT) {
			fprintf(stderr,
			    "mugaika audit: -n does not apply to verify\n");
			return MG_EXIT_USAGE;
		}
	} else if (strcmp(action, "tail") == 0) {
		if (no_head) {
			fprintf(stderr, "mugaika audit: --no-head does not "
			                "apply to tail\n");
			return MG_EXIT_USAGE;
		}
		if (lines == G_MININT)
			lines = DEFAULT_TAIL;
		if (lines < 0 || lines > MG_AUDIT_MAX_TAIL) {
			fprintf(stderr,
			    "mugaika audit: -n must be between 0 and %d\n",
			    MG_AUDIT_MAX_TAIL);
			return MG_EXIT_USAGE;
		}
		if (nargs > 3) {
			fprintf(stderr,
			    "mugaika audit: tail takes one FILE at most\n");
			return MG_EXIT_USAGE;
		}
	} else {
		g_autofree char *s = mg_printable(action, -1, 0);

		fprintf(stderr,
		    "mugaika audit: unknown action \"%s\" (verify, tail)\n", s);
		return MG_EXIT_USAGE;
	}

	if (nargs > 2) {
		files = (const char *const *)args + 2;
		nfiles = nargs - 2;
	} else {
		const char *cf = config != NULL ? config : MG_DEFAULT_CONFIG;

		policy = mg_policy_load(cf, &err);
		if (policy == NULL) {
			fail(err);
			return MG_EXIT_TEMPFAIL;
		}
		if (policy->audit_file == NULL || *policy->audit_file == '\0') {
			g_autofree char *s = mg_printable(cf, -1, 0);

			fprintf(stderr,
			    "mugaika audit: no audit log: [log] audit_file "
			    "is not set in %s and no FILE was given\n",
			    s);
			return MG_EXIT_USAGE;
		}
		def[0] = policy->audit_file;
		files = def;
		nfiles = 1;
	}
	if (strcmp(action, "verify") == 0)
		return do_verify(files, nfiles, no_head);
	return do_tail(files[0], lines);
}
