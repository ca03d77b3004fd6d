/*
 * cmd_clean.c - `mugaika clean [--config F] [--report R.json] IN OUT`:
 * one file through the CDR modules.
 *
 * Exit: 0 when OUT was written (rebuilt, or verified free of risk
 * factors), 2 when the file was refused (the reason on stderr and in the
 * report), 64 usage, 75 internal failure (nothing written).  OUT is
 * written to a temp file beside it and renamed, so a failure leaves
 * nothing behind.  The output's suggested name (a.docm -> a.docx) is
 * printed; OUT itself is the caller's choice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_cli.h"
#include "mugaika.h"
#include "util/mg_util.h"

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
	c = mugaika_clean_fd(e, fd, name != NULL ? name : base, &err);
	if (c == NULL) {
		fprintf(stderr, "mugaika clean: temporary failure: %s\n",
		    err->message);
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
	return rc;
}
