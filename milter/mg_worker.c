/*
 * mg_worker.c - a worker: one message at a time through the engine.
 *
 * Input: jobs from the master (a spool fd to read, a result fd to write,
 * the envelope); the spool's bytes are the untrusted message and go only
 * to libmugaika.  Limits: rlimits set here before the first job (address
 * space from [milter] worker_max_memory, no core dumps, few open files,
 * not dumpable), the master's timer on each job, and recycling after
 * [milter] worker_max_jobs.  A worker that dies mid-job is the master's
 * to report; this code only has to never deliver anything itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_ipc.h"
#include "mg_milter.h"
#include "mg_mlog.h"

static void
limit(int res, rlim_t v)
{
	struct rlimit rl = {v, v};

	if (setrlimit(res, &rl) != 0)
		mg_mlog(
		    LOG_WARNING, "setrlimit(%d): %s", res, g_strerror(errno));
}

static gboolean
write_all_at(int fd, const char *p, gsize len)
{
	off_t off = 0;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		off += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Run one job; TRUE when a result was written. */
static gboolean
run_job(mugaika_engine *e, GVariant *job, int spool, int out, char **err_r)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *sender = NULL, *qid = NULL, *client = NULL;
	g_auto(GStrv) rcpts = NULL;
	struct mugaika_envelope env = {0};
	mugaika_result *r;
	GBytes *b;
	guint64 id;
	gboolean ok;

	g_variant_get(job, "(tms^asmsms)", &id, &sender, &rcpts, &qid, &client);
	env.sender = sender;
	env.recipients = (const char *const *)rcpts;
	env.queue_id = qid;
	env.client_addr = client;
	r = mugaika_sanitize_fd(e, spool, &env, &err);
	if (r == NULL) {
		*err_r = g_strdup(err->message);
		return FALSE;
	}
	b = mugaika_result_serialize(r);
	ok = ftruncate(out, 0) == 0 &&
	     write_all_at(out, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	if (!ok)
		*err_r = g_strdup_printf(
		    "writing the result: %s", g_strerror(errno));
	g_bytes_unref(b);
	mugaika_result_free(r);
	return ok;
}

void
mg_worker_run(mugaika_engine *e, const struct mg_policy *pol, int sock)
{
	guint done = 0;

	mg_mlog_set_role("worker");
	/* Die with the master; no core files with message contents; no
	 * ptrace by the same user; bounded memory and descriptors. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_NOFILE, 256);
	if (pol->worker_max_memory > 0)
		limit(RLIMIT_AS, (rlim_t)pol->worker_max_memory);
	signal(SIGPIPE, SIG_IGN);

	while (done < pol->worker_max_jobs) {
		g_autoptr(GError) err = NULL;
		g_autoptr(GVariant) job = NULL;
		g_autofree char *jerr = NULL;
		int fds[MG_IPC_MAX_FDS];
		guint nfds = 0;
		guint64 id = 0;
		gboolean ok;

		job = mg_ipc_recv(sock, MG_IPC_JOB, fds, &nfds, &err);
		if (job == NULL) {
			mg_ipc_close_fds(fds, nfds);
			if (err != NULL)
				mg_mlog(LOG_ERR, "job: %s", err->message);
			break; /* the master closed: retire */
		}
		if (nfds != 2) {
			mg_ipc_close_fds(fds, nfds);
			mg_mlog(LOG_ERR, "job without its descriptors");
			break;
		}
		g_variant_get_child(job, 0, "t", &id);
		if (g_getenv("MUGAIKA_TEST_CRASH_ON") != NULL) {
			/* Test hook (e2e tests): die on a message that
			 * contains the given string, as a poison message
			 * would make a parser die. */
			char buf[65536];
			ssize_t n = pread(fds[0], buf, sizeof(buf) - 1, 0);

			if (n > 0) {
				buf[n] = '\0';
				if (strstr(
				        buf, g_getenv("MUGAIKA_TEST_CRASH_ON")))
					abort();
			}
		}
		if (g_getenv("MUGAIKA_TEST_HANG_ON") != NULL) {
			/* Test hook: hang on a matching message, as a parser
			 * stuck in a loop would (the master's timeout). */
			char buf[65536];
			ssize_t n = pread(fds[0], buf, sizeof(buf) - 1, 0);

			if (n > 0) {
				buf[n] = '\0';
				if (strstr(
				        buf, g_getenv("MUGAIKA_TEST_HANG_ON")))
					for (;;)
						pause();
			}
		}
		ok = run_job(e, job, fds[0], fds[1], &jerr);
		mg_ipc_close_fds(fds, nfds);
		if (!mg_ipc_send(sock,
		        g_variant_new(MG_IPC_DONE, id, ok, jerr ? jerr : ""),
		        NULL, 0, &err)) {
			mg_mlog(LOG_ERR, "reply: %s", err->message);
			break;
		}
		done++;
	}
	_exit(0);
}
