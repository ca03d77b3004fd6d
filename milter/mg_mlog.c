/*
 * mg_mlog.c - log lines to syslog or stderr.
 *
 * Callers pass untrusted text (addresses, subjects) only after
 * mg_printable(); this file adds nothing but the prefix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "mg_mlog.h"

static gboolean use_stderr;
static char ident[64] = "mugaika-milter";

static GLogWriterOutput
glib_writer(
    GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
	const char *msg = NULL;
	gsize i;
	int prio = LOG_INFO;

	for (i = 0; i < n; i++)
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			msg = fields[i].value;
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		prio = LOG_ERR;
	else if (level & G_LOG_LEVEL_WARNING)
		prio = LOG_WARNING;
	else if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
		return G_LOG_WRITER_HANDLED; /* as GLib's own writer: libvips
		                                says where it found its modules
		                                at INFO on every worker's
		                                first image */
	mg_mlog(prio, "%s", msg != NULL ? msg : "(no message)");
	return G_LOG_WRITER_HANDLED;
}

void
mg_mlog_init(const char *name, gboolean to_stderr)
{
	use_stderr = to_stderr;
	g_strlcpy(ident, name, sizeof(ident));
	if (!use_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	g_log_set_writer_func(glib_writer, NULL, NULL);
}

void
mg_mlog_set_role(const char *role)
{
	char comm[16];

	g_snprintf(ident, sizeof(ident), "mugaika-milter/%s", role);
	/* ps and top tell the processes apart: mugaika-smtp, -worker (the
	 * pool master keeps the program's name). */
	g_snprintf(comm, sizeof(comm), "mugaika-%s", role);
	prctl(PR_SET_NAME, comm);
	if (!use_stderr) {
		closelog();
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
}

void
mg_mlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_stderr) {
		g_autofree char *line = g_strdup_vprintf(fmt, ap);
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s[%ld]: %s\n", ts, ident, (long)getpid(),
		    line);
		fflush(stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}
