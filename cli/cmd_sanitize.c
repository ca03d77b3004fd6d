/*
 * cmd_sanitize.c - `mugaika sanitize`: one message in, the sanitized
 * message out.
 *
 * Input: a message file or standard input (untrusted bytes; a pipe is
 * first spooled to a private temp file, at most max_message_size + 1
 * bytes, so the engine always reads a regular file).  Output: the whole
 * message, written only after the engine has finished and the original
 * is durably kept; to a file it is written to a temp file and renamed,
 * so a failure leaves nothing behind.  Exit: 0 written (or discarded by
 * [policy] on_virus = discard: nothing written), 2 rejected by policy,
 * 64 usage, 75 temporary failure (nothing written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_cli.h"
#include "mg_policy.h"
#include "mugaika.h"

static gboolean
write_file(const char *path, const char *data, gsize len, GError **err)
{
	return g_file_set_contents_full(
	    path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, err);
}

/* Copy standard input to an unlinked temp file, at most `max` bytes;
 * *over_r is set when there was more. */
static int
spool_stdin(guint64 max, gboolean *over_r, GError **err)
{
	const char *tmpdir = g_get_tmp_dir();
	char buf[65536];
	guint64 total = 0;
	int fd;

	fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_autofree char *tmpl =
		    g_build_filename(tmpdir, "mugaika-XXXXXX", NULL);

		fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "spool in %s: %s", tmpdir, g_strerror(errno));
		return -1;
	}
	*over_r = FALSE;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		ssize_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "read: %s",
			    g_strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (total + (guint64)n > max + 1) {
			*over_r = TRUE;
			n = (ssize_t)(max + 1 - total);
		}
		while (off < n) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				g_set_error(err, G_IO_ERROR,
				    g_io_error_from_errno(errno), "spool: %s",
				    g_strerror(errno));
				close(fd);
				return -1;
			}
			off += w;
		}
		total += (guint64)n;
		if (*over_r)
			break;
	}
	return fd;
}

int
mg_cli_sanitize(int argc, char **argv)
{
	g_autofree char *config = NULL;
	g_autofree char *mode = NULL;
	g_autofree char *report = NULL;
	g_autofree char *sender = NULL;
	g_auto(GStrv) recipients = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {"mode", 'm', 0, G_OPTION_ARG_STRING, &mode,
	        "Override [general] mode: text | cdr", "MODE"},
	    {"report", 'r', 0, G_OPTION_ARG_FILENAME, &report,
	        "Write the JSON report to R", "R"},
	    {"sender", 's', 0, G_OPTION_ARG_STRING, &sender,
	        "Envelope sender (for the quarantine index)", "ADDR"},
	    {"recipient", 'R', 0, G_OPTION_ARG_STRING_ARRAY, &recipients,
	        "Envelope recipient (repeatable)", "ADDR"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("[IN [OUT]] - sanitize one message");
	g_autoptr(GError) err = NULL;
	mugaika_engine *engine = NULL;
	mugaika_result *res = NULL;
	struct mugaika_envelope env = {0};
	const char *in = NULL, *out = NULL;
	int fd = -1, rc = MG_EXIT_TEMPFAIL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
	    "Exit status: 0 a message was written; 2 rejected by policy "
	    "(nothing written);\n64 usage error; 75 temporary failure "
	    "(nothing written, try again).");
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "mugaika sanitize: %s\n", err->message);
		return MG_EXIT_USAGE;
	}
	if (argc > 3) {
		fprintf(stderr, "mugaika sanitize: too many arguments\n");
		return MG_EXIT_USAGE;
	}
	if (mode != NULL && strcmp(mode, "text") != 0 &&
	    strcmp(mode, "cdr") != 0) {
		fprintf(stderr,
		    "mugaika sanitize: unknown mode \"%s\" (text | cdr)\n",
		    mode);
		return MG_EXIT_USAGE;
	}
	in = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
	out = argc > 2 && strcmp(argv[2], "-") != 0 ? argv[2] : NULL;

	engine = mugaika_engine_new_mode(
	    config != NULL ? config : MG_DEFAULT_CONFIG, mode, &err);
	if (engine == NULL) {
		fprintf(stderr, "mugaika sanitize: %s\n", err->message);
		/* A config error is the administrator's to fix; the mail
		 * must wait, not bounce. */
		return MG_EXIT_TEMPFAIL;
	}
	if (in != NULL) {
		fd = open(in, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "mugaika sanitize: %s: %s\n", in,
			    g_strerror(errno));
			rc = errno == ENOENT ? MG_EXIT_USAGE : MG_EXIT_TEMPFAIL;
			goto out;
		}
	} else {
		struct stat st;

		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
			fd = dup(STDIN_FILENO);
		} else {
			gboolean over = FALSE;

			/* The spool is capped just past the limit: the
			 * engine then sees an over-size file and rejects
			 * it without the rest ever being read. */
			fd =
			    spool_stdin(mugaika_engine_max_message_size(engine),
			        &over, &err);
			if (fd < 0) {
				fprintf(stderr, "mugaika sanitize: %s\n",
				    err->message);
				goto out;
			}
		}
	}
	env.sender = sender;
	env.recipients = (const char *const *)recipients;
	res = mugaika_sanitize_fd(engine, fd, &env, &err);
	if (res == NULL) {
		fprintf(stderr, "mugaika sanitize: temporary failure: %s\n",
		    err->message);
		goto out;
	}
	if (report != NULL) {
		const char *j = mugaika_result_report_json(res);

		if (!write_file(report, j, strlen(j), &err)) {
			fprintf(stderr, "mugaika sanitize: report: %s\n",
			    err->message);
			goto out;
		}
	}
	fprintf(stderr, "mugaika: %s\n", mugaika_result_summary(res));
	switch (mugaika_result_action(res)) {
	case MUGAIKA_DELIVER:
		break;
	case MUGAIKA_DISCARD:
		/* [policy] on_virus = discard: accepted, nothing delivered. */
		fprintf(stderr, "mugaika: discarded (original kept as %s)\n",
		    mugaika_result_quarantine_id(res));
		rc = MG_EXIT_OK;
		goto out;
	case MUGAIKA_REJECT:
	case MUGAIKA_TEMPFAIL: {
		const char *code, *dsn, *text;

		mugaika_result_smtp_reply(res, &code, &dsn, &text);
		fprintf(stderr, "mugaika: %s %s %s\n", code, dsn, text);
		rc = mugaika_result_action(res) == MUGAIKA_REJECT
		         ? MG_EXIT_REJECTED
		         : MG_EXIT_TEMPFAIL;
		goto out;
	}
	}
	if (out != NULL) {
		g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", out);
		int ofd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);

		if (ofd < 0 || !mugaika_result_write_message(res, ofd, &err) ||
		    fsync(ofd) != 0 || close(ofd) != 0 ||
		    rename(tmp, out) != 0) {
			fprintf(stderr, "mugaika sanitize: %s: %s\n", out,
			    err != NULL ? err->message : g_strerror(errno));
			if (ofd >= 0)
				unlink(tmp);
			goto out;
		}
	} else if (!mugaika_result_write_message(res, STDOUT_FILENO, &err)) {
		fprintf(stderr, "mugaika sanitize: %s\n", err->message);
		goto out;
	}
	rc = MG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	mugaika_result_free(res);
	mugaika_engine_free(engine);
	return rc;
}
