/*
 * mg_worker.c - a worker: one message at a time through the engine.
 *
 * Input: jobs from the master (a spool fd to read, a result fd to write,
 * the envelope); the spool's bytes are the untrusted message and go only
 * to libmugaika.  Limits: rlimits set here before the first job (address
 * space from [milter] worker_max_memory, no core dumps, few open files,
 * not dumpable), the master's timer on each job, and recycling after
 * [milter] worker_max_jobs.  After the rlimits and before the first job
 * the worker enters its sandbox (mg_sandbox.c: Landlock where the kernel
 * has it, and a seccomp filter that kills it on a forbidden system call);
 * a worker that could not load the filter answers every job with a
 * failure (tempfail) and parses nothing.  A worker that dies mid-job is
 * the master's to report; this code only has to never deliver anything
 * itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_ipc.h"
#include "mg_milter.h"
#include "mg_mlog.h"
#include "mg_sandbox.h"

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

/*
 * Test hooks (tests/e2e): TRUE when the environment variable `name` is set
 * and the first 64 KiB of the spooled message contain its value.
 */
static gboolean
test_hook(const char *name, int spool)
{
	const char *want = g_getenv(name);
	char buf[65536];
	ssize_t n;

	if (want == NULL || *want == '\0')
		return FALSE;
	n = pread(spool, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return FALSE;
	buf[n] = '\0';
	return strstr(buf, want) != NULL;
}

/*
 * Test hook: what an exploited parser would try first.  Under the filter
 * the worker dies with SIGSYS in socket(); if it gets past, the sandbox
 * is not on, and the log says so.
 */
static void
forbidden_calls(void)
{
	char *const argv[] = {"true", NULL};
	char *const envp[] = {NULL};
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s >= 0)
		close(s);
	execve("/bin/true", argv, envp);
	mg_mlog(LOG_ERR, "test hook: socket() and execve() were not stopped: "
	                 "the worker sandbox is off");
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
	g_autoptr(GError) serr = NULL;
	gboolean sandboxed;

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
	/* Last step of the setup: from here on only the system calls the
	 * engine needs (the syslog socket is already connected: see
	 * mg_mlog_set_role). */
	sandboxed = mg_sandbox_enter(pol, sock, &serr);
	if (!sandboxed)
		mg_mlog(LOG_ERR,
		    "worker sandbox: %s: this worker refuses every job",
		    serr->message);

	/* The master counts the jobs and closes the socket after
	 * worker_max_jobs (a worker that left on its own could be handed
	 * one more job first, which would then be held as a crash). */
	for (;;) {
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
		if (nfds != 3) {
			mg_ipc_close_fds(fds, nfds);
			mg_mlog(LOG_ERR, "job without its descriptors");
			break;
		}
		g_variant_get_child(job, 0, "t", &id);
		if (!sandboxed) {
			/* Fail closed without parsing: the master tempfails
			 * the message.  Recycled after worker_max_jobs, when
			 * the next worker tries again. */
			ok = FALSE;
			jerr = g_strdup("the worker sandbox is not on");
		} else {
			/* Test hooks (e2e tests): a poison message that
			 * makes a parser die, or loop, or try what an
			 * exploit would. */
			if (test_hook("MUGAIKA_TEST_CRASH_ON", fds[0]))
				abort();
			if (test_hook("MUGAIKA_TEST_HANG_ON", fds[0]))
				for (;;)
					pause();
			if (test_hook("MUGAIKA_TEST_FORBIDDEN_ON", fds[0]))
				forbidden_calls();
			ok = run_job(e, job, fds[0], fds[1], &jerr);
		}
		/* The master first (it frees this worker and forgets the
		 * job), then the front end, which waits for nothing else.
		 * Should this worker die between the two, the front end
		 * reads end of file and tempfails: the message comes again. */
		if (!mg_ipc_send(sock,
		        g_variant_new(MG_IPC_DONE, id, ok, jerr ? jerr : ""),
		        NULL, 0, &err)) {
			mg_mlog(LOG_ERR, "reply: %s", err->message);
			mg_ipc_close_fds(fds, nfds);
			break;
		}
		if (!mg_ipc_send(fds[2],
		        g_variant_new(MG_IPC_REPLY, ok, jerr ? jerr : ""), NULL,
		        0, &err))
			mg_mlog(LOG_WARNING, "answer to the front end: %s",
			    err->message);
		mg_ipc_close_fds(fds, nfds);
	}
	_exit(0);
}
