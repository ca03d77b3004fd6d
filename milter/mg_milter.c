/*
 * mg_milter.c - mugaika-milter: the master process.
 *
 * Trusted input: the command line and the config file.  The master never
 * reads message content except to hash the first MiB of a spool file (to
 * count attempts on one message) and to copy a message into the
 * quarantine when its worker died.  It is single-threaded and forks the
 * front end (libmilter) and the workers, so no process forks with threads
 * running.  Limits enforced here: [milter] workers and worker_max_jobs,
 * [limits] message_timeout per job (the worker is killed, the message
 * held), [milter] queue_timeout for a job waiting for a worker (tempfail),
 * [milter] max_attempts per message across restarts (held).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_attempts.h"
#include "mg_ipc.h"
#include "mg_milter.h"
#include "mg_mlog.h"
#include "mg_sandbox.h"
#include "util/mg_util.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_TEMPFAIL 75
#define DB_CHECK_INTERVAL 30 /* seconds between database mtime checks */
#define ATTEMPT_HASH_BYTES (1024 * 1024)

struct job;

struct worker {
	pid_t pid;
	int sock;
	guint gen;
	struct job *job;
	guint jobs; /* finished, for [milter] worker_max_jobs */
	gboolean retiring;
};

struct job {
	guint64 id;
	int spool, out, reply;
	GVariant *payload;
	gint64 queued, started;
	char *key;        /* attempt record key: a hash of the message */
	gboolean counted; /* an attempt is recorded (mg_attempts_begin) */
	struct worker *w;
	gboolean timed_out;
};

static char *config_path;
static struct mg_policy *pol;
static mugaika_engine *engine;
static GPtrArray *workers; /* struct worker * */
static GQueue queue = G_QUEUE_INIT;
static guint generation;
static int ctl = -1, sfd = -1, pid_fd = -1;
static pid_t fe_pid;
static gint64 fe_started;
static gboolean stopping;
static gint64 db_mtime, db_checked;
static struct mg_attempts *attempts;
static char *conn;

/* ---- helpers ---- */

static gint64
now_s(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* Record the job's attempt (once, however often it is dispatched): TRUE
 * when its message has now been tried more than [milter] max_attempts
 * times. */
static gboolean
attempt_begin(struct job *j)
{
	if (j->counted)
		return FALSE;
	j->counted = TRUE;
	return mg_attempts_begin(attempts, j->key,
	           g_get_real_time() / G_USEC_PER_SEC) > pol->max_attempts;
}

/* A job's attempt is over (see mg_attempts.c): settled, or (the MTA will
 * bring the message back) not. */
static void
attempt_end(struct job *j, gboolean settled)
{
	if (j->counted)
		mg_attempts_end(attempts, j->key, settled);
	j->counted = FALSE;
}

/* A job not settled before (tempfailed, or never run) keeps its count. */
static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	attempt_end(j, FALSE);
	if (j->spool >= 0)
		close(j->spool);
	if (j->out >= 0)
		close(j->out);
	if (j->reply >= 0)
		close(j->reply);
	if (j->payload != NULL)
		g_variant_unref(j->payload);
	g_free(j->key);
	g_free(j);
}

static void
reply(struct job *j, gboolean ok, const char *why)
{
	g_autoptr(GError) err = NULL;

	if (j->reply >= 0 &&
	    !mg_ipc_send(
	        j->reply, g_variant_new(MG_IPC_REPLY, ok, why), NULL, 0, &err))
		mg_mlog(LOG_WARNING, "job %" G_GUINT64_FORMAT ": %s", j->id,
		    err->message);
}

static const char *
job_qid(struct job *j)
{
	const char *q = NULL;

	g_variant_get_child(j->payload, 3, "m&s", &q);
	return q != NULL ? q : "NOQUEUE";
}

static char *
attempt_key(int fd)
{
	g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
	char buf[65536];
	off_t off = 0;
	struct stat st;

	while (off < ATTEMPT_HASH_BYTES) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n <= 0)
			break;
		g_checksum_update(c, (guchar *)buf, n);
		off += n;
	}
	if (fstat(fd, &st) == 0)
		g_checksum_update(c, (guchar *)&st.st_size, sizeof(st.st_size));
	return g_strdup(g_checksum_get_string(c));
}

static void
envelope_of(struct job *j, struct mugaika_envelope *env, char ***rcpts_r)
{
	const char *sender = NULL, *qid = NULL, *client = NULL;
	guint64 id;

	g_variant_get(j->payload, "(tm&s^asm&sm&s)", &id, &sender, rcpts_r,
	    &qid, &client);
	env->sender = sender;
	env->recipients = (const char *const *)*rcpts_r;
	env->queue_id = qid;
	env->client_addr = client;
}

/*
 * The worker died on this job, or ran out of time: keep the original and
 * deliver the held notice; if even that fails, tempfail.
 */
static void
hold_job(struct job *j, const char *reason)
{
	g_autoptr(GError) err = NULL;
	g_auto(GStrv) rcpts = NULL;
	struct mugaika_envelope env = {0};
	mugaika_result *r;
	GBytes *b;
	gboolean ok;

	envelope_of(j, &env, &rcpts);
	r = mugaika_engine_hold(engine, j->spool, reason, &env, &err);
	if (r == NULL) {
		mg_mlog(LOG_ERR,
		    "%s: %s, and the original could not be kept: "
		    "%s",
		    job_qid(j), reason, err->message);
		reply(j, FALSE, "message could not be processed");
		return;
	}
	b = mugaika_result_serialize(r);
	ok = ftruncate(j->out, 0) == 0 &&
	     pwrite(j->out, g_bytes_get_data(b, NULL), g_bytes_get_size(b),
	         0) == (ssize_t)g_bytes_get_size(b);
	g_bytes_unref(b);
	mg_mlog(LOG_WARNING, "%s: %s: message held as %s", job_qid(j), reason,
	    mugaika_result_quarantine_id(r));
	mugaika_result_free(r);
	reply(j, ok, ok ? "" : "writing the result failed");
	attempt_end(j, ok);
}

/* ---- workers ---- */

static void close_all_but(int keep);

/*
 * Fork a child connected to the master by a SOCK_SEQPACKET pair.  In the
 * child every descriptor of the master but its own end is closed (the
 * master's end too, or the child would never read EOF) and signals are
 * unblocked; *end_r is the caller's end in either process.  -1 on failure
 * (logged).
 */
static pid_t
fork_connected(int *end_r)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		mg_mlog(LOG_ERR, "socketpair: %s", g_strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		mg_mlog(LOG_ERR, "fork: %s", g_strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;

		close(sv[0]);
		close_all_but(sv[1]);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		*end_r = sv[1];
		return 0;
	}
	close(sv[1]);
	*end_r = sv[0];
	return pid;
}

static void
spawn_worker(void)
{
	struct worker *w;
	int end;
	pid_t pid = fork_connected(&end);

	if (pid < 0)
		return;
	if (pid == 0) {
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		mg_worker_run(engine, pol, end);
	}
	w = g_new0(struct worker, 1);
	w->pid = pid;
	w->sock = end;
	w->gen = generation;
	g_ptr_array_add(workers, w);
}

static guint
live_workers(void)
{
	guint i, n = 0;

	for (i = 0; i < workers->len; i++) {
		struct worker *w = g_ptr_array_index(workers, i);

		n += w->gen == generation && !w->retiring && w->sock >= 0;
	}
	return n;
}

static void
retire(struct worker *w)
{
	w->retiring = TRUE;
	if (w->job == NULL && w->sock >= 0) {
		close(w->sock); /* the worker reads EOF and exits */
		w->sock = -1;
	}
}

static void
finish(struct worker *w)
{
	struct job *j = w->job;

	/* The worker has answered the front end itself (see mg_worker.c). */
	w->job = NULL;
	attempt_end(j, TRUE);
	job_free(j);
	/* Recycling is decided here, between jobs, so that no job is ever
	 * sent to a worker on its way out. */
	if (++w->jobs >= pol->worker_max_jobs || w->retiring ||
	    w->gen != generation)
		retire(w);
}

static void
worker_readable(struct worker *w)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GVariant) done = NULL;
	int fds[MG_IPC_MAX_FDS];
	guint nfds = 0;
	gboolean ok;
	const char *why;
	guint64 id;

	done = mg_ipc_recv(w->sock, MG_IPC_DONE, fds, &nfds, &err);
	mg_ipc_close_fds(fds, nfds);
	if (done == NULL) {
		/* The worker is gone (or broken): a job it had is held. */
		close(w->sock);
		w->sock = -1;
		if (w->job != NULL) {
			struct job *j = w->job;

			w->job = NULL;
			hold_job(
			    j, j->timed_out ? "timeout" : "sanitizer_crash");
			job_free(j);
		}
		return;
	}
	g_variant_get(done, "(tb&s)", &id, &ok, &why);
	if (w->job == NULL || w->job->id != id) {
		mg_mlog(LOG_ERR,
		    "worker %ld answered for a job it does not "
		    "have",
		    (long)w->pid);
		kill(w->pid, SIGKILL);
		return;
	}
	if (!ok)
		mg_mlog(
		    LOG_ERR, "%s: engine failure: %s", job_qid(w->job), why);
	finish(w);
}

static void
reap(void)
{
	int status;
	pid_t pid;
	guint i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == fe_pid) {
			fe_pid = 0;
			mg_mlog(stopping ? LOG_INFO : LOG_ERR,
			    "front end exited (%s %d)",
			    WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status)
			                        : WEXITSTATUS(status));
			continue;
		}
		for (i = 0; i < workers->len; i++) {
			struct worker *w = g_ptr_array_index(workers, i);

			if (w->pid != pid)
				continue;
			if (WIFSIGNALED(status)) {
				int sig = WTERMSIG(status);
				const char *abbrev = sigabbrev_np(sig);

				mg_mlog(LOG_ERR,
				    "worker %ld killed by signal %d (SIG%s)%s",
				    (long)pid, sig, abbrev ? abbrev : "?",
				    sig == SIGSYS ? ": a forbidden system call "
				                    "(worker sandbox)"
				                  : "");
			}
			/* A job still assigned is handled when its socket
			 * reads EOF; do it now if the socket is already
			 * closed. */
			if (w->sock >= 0)
				worker_readable(w);
			g_ptr_array_remove_index(workers, i);
			g_free(w);
			break;
		}
	}
}

/* ---- jobs ---- */

static void
accept_job(void)
{
	g_autoptr(GError) err = NULL;
	GVariant *v;
	int fds[MG_IPC_MAX_FDS];
	guint nfds = 0;
	struct job *j;

	v = mg_ipc_recv(ctl, MG_IPC_JOB, fds, &nfds, &err);
	if (v == NULL) {
		mg_ipc_close_fds(fds, nfds);
		if (err != NULL)
			mg_mlog(LOG_ERR, "front end: %s", err->message);
		close(ctl);
		ctl = -1;
		return;
	}
	if (nfds != 3) {
		mg_ipc_close_fds(fds, nfds);
		g_variant_unref(v);
		mg_mlog(LOG_ERR, "front end sent a job without descriptors");
		return;
	}
	j = g_new0(struct job, 1);
	j->payload = v;
	g_variant_get_child(v, 0, "t", &j->id);
	j->spool = fds[0];
	j->out = fds[1];
	j->reply = fds[2];
	j->queued = now_s();
	j->key = attempt_key(j->spool);
	g_queue_push_tail(&queue, j);
}

static void
dispatch(void)
{
	guint i;

	for (i = 0; i < workers->len && !g_queue_is_empty(&queue); i++) {
		struct worker *w = g_ptr_array_index(workers, i);
		g_autoptr(GError) err = NULL;
		struct job *j;
		int fds[3];

		if (w->job != NULL || w->retiring || w->sock < 0 ||
		    w->gen != generation)
			continue;
		j = g_queue_pop_head(&queue);
		if (attempt_begin(j)) {
			/* Crashed the gateway max_attempts times already. */
			hold_job(j, "sanitizer_crash");
			job_free(j);
			i--;
			continue;
		}
		fds[0] = j->spool;
		fds[1] = j->out;
		fds[2] = j->reply;
		if (!mg_ipc_send(
		        w->sock, g_variant_ref(j->payload), fds, 3, &err)) {
			mg_mlog(LOG_ERR, "worker %ld: %s", (long)w->pid,
			    err->message);
			g_queue_push_head(&queue, j);
			kill(w->pid, SIGKILL);
			retire(w);
			continue;
		}
		j->started = now_s();
		j->w = w;
		w->job = j;
	}
}

static void
check_timeouts(void)
{
	gint64 t = now_s();
	GList *l, *next;
	guint i;

	for (i = 0; i < workers->len; i++) {
		struct worker *w = g_ptr_array_index(workers, i);

		if (w->job != NULL && !w->job->timed_out &&
		    t - w->job->started > (gint64)pol->limits.message_timeout) {
			mg_mlog(LOG_ERR, "%s: worker %ld over %us: killed",
			    job_qid(w->job), (long)w->pid,
			    pol->limits.message_timeout);
			w->job->timed_out = TRUE;
			kill(w->pid, SIGKILL);
		}
	}
	for (l = queue.head; l != NULL; l = next) {
		struct job *j = l->data;

		next = l->next;
		if (t - j->queued <= (gint64)pol->queue_timeout)
			continue;
		mg_mlog(LOG_WARNING, "%s: no free worker for %us: tempfail",
		    job_qid(j), pol->queue_timeout);
		reply(j, FALSE, "all workers busy");
		g_queue_delete_link(&queue, l);
		job_free(j);
	}
}

/* ---- front end ---- */

static void
spawn_frontend(void)
{
	int end;
	pid_t pid = fork_connected(&end);

	if (pid < 0)
		return;
	if (pid == 0) {
		/* Without the master nothing can be sanitized: stop, so the
		 * MTA tempfails (milter_default_action) until a restart. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		_exit(mg_frontend_run(pol, end, conn));
	}
	if (ctl >= 0)
		close(ctl);
	ctl = end;
	fe_pid = pid;
	fe_started = now_s();
}

/* In a child: close every descriptor of the master but `keep` and the
 * standard ones (the pidfile lock stays with the master). */
static void
close_all_but(int keep)
{
	guint i;

	if (ctl >= 0 && ctl != keep)
		close(ctl);
	if (sfd >= 0)
		close(sfd);
	if (pid_fd >= 0)
		close(pid_fd);
	for (i = 0; i < workers->len; i++) {
		struct worker *w = g_ptr_array_index(workers, i);

		if (w->sock >= 0 && w->sock != keep)
			close(w->sock);
	}
}

/* ---- reload ---- */

static gint64
database_mtime(void)
{
	struct stat st;
	GDir *d;
	const char *n;
	gint64 newest = 0;

	if (stat(pol->scan_database, &st) != 0)
		return 0;
	newest = st.st_mtime;
	if (!S_ISDIR(st.st_mode))
		return newest;
	d = g_dir_open(pol->scan_database, 0, NULL);
	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *p =
		    g_build_filename(pol->scan_database, n, NULL);

		if (stat(p, &st) == 0 && st.st_mtime > newest)
			newest = st.st_mtime;
	}
	if (d != NULL)
		g_dir_close(d);
	return newest;
}

static void
log_engine(void)
{
	struct mugaika_status st;

	mugaika_engine_status(engine, &st);
	mg_mlog(LOG_INFO,
	    "signatures: %u from %s (version %u, age %s%" G_GINT64_FORMAT "h)",
	    st.signatures, st.database, st.version,
	    st.age == G_MAXINT64 ? "unknown " : "",
	    st.age == G_MAXINT64 ? (gint64)0 : st.age / 3600);
	if (st.stale)
		mg_mlog(LOG_WARNING,
		    "signatures are older than [scan] "
		    "max_database_age: update them (freshclam)");
}

static void
reload(const char *why)
{
	g_autoptr(GError) err = NULL;
	struct mg_policy *np;
	mugaika_engine *ne;
	guint i;

	mg_mlog(LOG_INFO, "reloading (%s)", why);
	np = mg_policy_load(config_path, &err);
	ne = np != NULL ? mugaika_engine_new(config_path, &err) : NULL;
	if (ne == NULL) {
		mg_mlog(LOG_ERR,
		    "reload failed, keeping the running "
		    "configuration: %s",
		    err->message);
		mg_policy_free(np);
		return;
	}
	mugaika_engine_free(engine);
	engine = ne;
	/* Socket, spool and size limits belong to the front end and need a
	 * restart; everything the workers and the master use is new. */
	mg_policy_free(pol);
	pol = np;
	generation++;
	for (i = 0; i < workers->len; i++)
		retire(g_ptr_array_index(workers, i));
	db_mtime = database_mtime();
	log_engine();
}

/* ---- start-up ---- */

static gboolean
drop_privileges(GError **err)
{
	struct passwd *pw;

	if (pol->milter_user == NULL || *pol->milter_user == '\0' ||
	    geteuid() != 0)
		return TRUE;
	pw = getpwnam(pol->milter_user);
	if (pw == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "[milter] user \"%s\" does not exist", pol->milter_user);
		return FALSE;
	}
	/* One fixed order: supplementary groups, group, user; then check
	 * that root cannot come back. */
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "dropping privileges to %s: %s", pw->pw_name,
		    g_strerror(errno));
		return FALSE;
	}
	if (setuid(0) == 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "could regain root after dropping privileges");
		return FALSE;
	}
	return TRUE;
}

/* The attempt records of messages in flight (see mg_attempts.c); those
 * the last run left are messages that were in flight when it went down. */
static struct mg_attempts *
open_attempts(GError **err)
{
	g_autofree char *dir =
	    g_build_filename(pol->spool_dir, "attempts", NULL);
	struct mg_attempts *a =
	    mg_attempts_open(dir, g_get_real_time() / G_USEC_PER_SEC, err);

	if (a != NULL && mg_attempts_records(a) > 0)
		mg_mlog(LOG_WARNING,
		    "attempts on %u message(s) did not end in the last run "
		    "(in flight when it went down, or tempfailed): a message "
		    "is held after %u attempts",
		    mg_attempts_records(a), pol->max_attempts);
	return a;
}

/* The directories we write, created and given to [milter] user. */
static gboolean
prepare_dirs(GError **err)
{
	g_autofree char *att =
	    g_build_filename(pol->spool_dir, "attempts", NULL);
	struct passwd *pw = NULL;

	if (g_mkdir_with_parents(att, 0700) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "%s: %s", att, g_strerror(errno));
		return FALSE;
	}
	if (pol->milter_user != NULL && *pol->milter_user != '\0' &&
	    geteuid() == 0)
		pw = getpwnam(pol->milter_user);
	if (pw != NULL) {
		if (chown(pol->spool_dir, pw->pw_uid, pw->pw_gid) != 0 ||
		    chown(att, pw->pw_uid, pw->pw_gid) != 0)
			mg_mlog(LOG_WARNING, "chown %s: %s", pol->spool_dir,
			    g_strerror(errno));
		/* libclamav's scratch space, often under /run/mugaika. */
		if (pol->scan_tmpdir != NULL && *pol->scan_tmpdir != '\0' &&
		    (g_mkdir_with_parents(pol->scan_tmpdir, 0700) != 0 ||
		        chown(pol->scan_tmpdir, pw->pw_uid, pw->pw_gid) != 0))
			mg_mlog(LOG_WARNING, "[scan] tmpdir %s: %s",
			    pol->scan_tmpdir, g_strerror(errno));
		if (pol->pidfile != NULL) {
			g_autofree char *pd = g_path_get_dirname(pol->pidfile);

			g_mkdir_with_parents(pd, 0755);
			if (chown(pd, pw->pw_uid, pw->pw_gid) != 0)
				mg_mlog(LOG_WARNING, "chown %s: %s", pd,
				    g_strerror(errno));
		}
	}
	return TRUE;
}

/* One instance per pidfile, and none on a unix socket another process is
 * listening on. */
static gboolean
claim_instance(GError **err)
{
	g_autofree char *pd = g_path_get_dirname(pol->pidfile);
	char buf[32];

	g_mkdir_with_parents(pd, 0755);
	pid_fd = open(pol->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "pidfile %s: %s", pol->pidfile, g_strerror(errno));
		return FALSE;
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = pread(pid_fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
		    "already running (pidfile %s, pid %s)", pol->pidfile,
		    g_strstrip(buf));
		return FALSE;
	}
	if (g_str_has_prefix(conn, "unix:") ||
	    g_str_has_prefix(conn, "local:")) {
		const char *path = strchr(conn, ':') + 1;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
		if (s >= 0 &&
		    connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(s);
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "another process is listening on %s", path);
			return FALSE;
		}
		if (s >= 0)
			close(s);
	}
	if (ftruncate(pid_fd, 0) != 0)
		return TRUE;
	g_snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (pwrite(pid_fd, buf, strlen(buf), 0) < 0)
		mg_mlog(LOG_WARNING, "pidfile: %s", g_strerror(errno));
	return TRUE;
}

static int
check_config(void)
{
	g_autoptr(GError) err = NULL;
	mugaika_engine *e;
	int problems = 0, fd;
	struct mugaika_status st;

	e = mugaika_engine_new(config_path, &err);
	if (e == NULL) {
		fprintf(stderr, "problem: %s\n", err->message);
		problems++;
		g_clear_error(&err);
	} else {
		mugaika_engine_status(e, &st);
		printf("signatures: %u from %s%s\n", st.signatures, st.database,
		    st.stale ? " (STALE: older than max_database_age)" : "");
		mugaika_engine_free(e);
	}
	if (!prepare_dirs(&err)) {
		fprintf(stderr, "problem: spool: %s\n", err->message);
		problems++;
		g_clear_error(&err);
	} else {
		fd = open(pol->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr,
			    "problem: spool_dir %s not writable: "
			    "%s\n",
			    pol->spool_dir, g_strerror(errno));
			problems++;
		} else {
			close(fd);
		}
	}
	if (pol->milter_user != NULL && *pol->milter_user != '\0' &&
	    getpwnam(pol->milter_user) == NULL) {
		fprintf(stderr,
		    "problem: [milter] user \"%s\" does not exist\n",
		    pol->milter_user);
		problems++;
	}
	if (g_str_has_prefix(conn, "unix:") ||
	    g_str_has_prefix(conn, "local:")) {
		g_autofree char *dir =
		    g_path_get_dirname(strchr(conn, ':') + 1);

		if (access(dir, W_OK) != 0) {
			fprintf(stderr, "problem: socket directory %s: %s\n",
			    dir, g_strerror(errno));
			problems++;
		}
	} else if (!g_str_has_prefix(conn, "inet:") &&
	           !g_str_has_prefix(conn, "inet6:")) {
		fprintf(stderr,
		    "problem: [milter] socket \"%s\": expected "
		    "unix:/path or inet:host:port\n",
		    pol->milter_socket);
		problems++;
	}
	printf("%s: %d problem%s\n", config_path, problems,
	    problems == 1 ? "" : "s");
	return problems == 0 ? EX_OK : 1;
}

int
main(int argc, char **argv)
{
	gboolean foreground = FALSE, check = FALSE, version = FALSE;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	        "Config file (default " MUGAIKA_SYSCONFDIR "/mugaika.conf)",
	        "F"},
	    {"foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
	        "Stay in the foreground and log to stderr", NULL},
	    {"check", 0, 0, G_OPTION_ARG_NONE, &check,
	        "Load everything, report each problem, and exit", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version",
	        NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("- the mugaika sanitizing milter");
	g_autoptr(GError) err = NULL;
	sigset_t set;

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "mugaika-milter: %s\n", err->message);
		return EX_USAGE;
	}
	if (version) {
		printf("mugaika-milter %s\n", MUGAIKA_VERSION);
		return EX_OK;
	}
	if (config_path == NULL)
		config_path = g_strdup(MUGAIKA_SYSCONFDIR "/mugaika.conf");
	mugaika_init();
	pol = mg_policy_load(config_path, &err);
	if (pol == NULL) {
		fprintf(stderr, "mugaika-milter: %s\n", err->message);
		return EX_TEMPFAIL;
	}
	conn = mg_milter_conn_spec(pol->milter_socket);
	if (check)
		return check_config();

	mg_mlog_init("mugaika-milter", foreground);
	if (!foreground && daemon(0, 0) != 0) {
		mg_mlog(LOG_ERR, "daemon: %s", g_strerror(errno));
		return EX_TEMPFAIL;
	}
	workers = g_ptr_array_new();
	if (!prepare_dirs(&err) || !claim_instance(&err) ||
	    !drop_privileges(&err)) {
		mg_mlog(LOG_ERR, "%s", err->message);
		if (foreground)
			fprintf(stderr, "mugaika-milter: %s\n", err->message);
		return EX_TEMPFAIL;
	}
	attempts = open_attempts(&err);
	if (attempts == NULL) {
		mg_mlog(LOG_ERR, "%s", err->message);
		return EX_TEMPFAIL;
	}
	engine = mugaika_engine_new(config_path, &err);
	if (engine == NULL) {
		mg_mlog(LOG_ERR, "%s", err->message);
		return EX_TEMPFAIL;
	}
	log_engine();
	/* The workers' syscall filter needs SECCOMP_RET_KILL_PROCESS: a
	 * kernel without it is refused at start, not found out per job. */
	if (!mg_sandbox_probe(&err)) {
		mg_mlog(LOG_ERR, "%s", err->message);
		return EX_TEMPFAIL;
	}
	db_mtime = database_mtime();
	db_checked = now_s();

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	spawn_frontend();
	while (live_workers() < pol->workers)
		spawn_worker();
	mg_mlog(LOG_INFO, "started: %u workers, front end on %s", pol->workers,
	    conn);

	for (;;) {
		struct pollfd pfd[2 + 64];
		struct worker *wp[64];
		guint n = 0, nw = 0, i;
		gint64 t;

		pfd[n++] = (struct pollfd){sfd, POLLIN, 0};
		if (ctl >= 0)
			pfd[n++] = (struct pollfd){ctl, POLLIN, 0};
		for (i = 0; i < workers->len && nw < 64; i++) {
			struct worker *w = g_ptr_array_index(workers, i);

			if (w->sock < 0)
				continue;
			wp[nw++] = w;
			pfd[n++] = (struct pollfd){w->sock, POLLIN, 0};
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR) {
			mg_mlog(LOG_ERR, "poll: %s", g_strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					/* Reaped below, after the worker
					 * sockets: reaping frees workers. */
				} else if (si.ssi_signo == SIGHUP) {
					reload("SIGHUP");
				} else if (!stopping) {
					mg_mlog(LOG_INFO, "stopping: finishing "
					                  "messages in flight");
					stopping = TRUE;
					if (fe_pid > 0)
						kill(fe_pid, SIGTERM);
				}
				break;
			}
		}
		if (ctl >= 0 && n > 1 && pfd[1].fd == ctl &&
		    (pfd[1].revents & (POLLIN | POLLHUP)))
			accept_job();
		for (i = 0; i < nw; i++) {
			guint k = n - nw + i;

			if (wp[i]->sock >= 0 &&
			    (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				worker_readable(wp[i]);
		}
		reap();
		check_timeouts();
		if (!stopping)
			while (live_workers() < pol->workers)
				spawn_worker();
		dispatch();

		t = now_s();
		if (!stopping && fe_pid == 0) {
			if (t - fe_started < 10) {
				mg_mlog(LOG_ERR,
				    "the front end failed at start: "
				    "giving up (see the messages above)");
				stopping = TRUE;
			} else {
				spawn_frontend();
			}
		}
		if (!stopping && t - db_checked >= DB_CHECK_INTERVAL) {
			gint64 m = database_mtime();

			db_checked = t;
			if (m != db_mtime)
				reload("signature database changed");
		}
		if (stopping && fe_pid == 0 && g_queue_is_empty(&queue)) {
			gboolean busy = FALSE;

			for (i = 0; i < workers->len; i++) {
				struct worker *w =
				    g_ptr_array_index(workers, i);

				busy |= w->job != NULL;
			}
			if (!busy)
				break;
		}
	}
	for (guint i = 0; i < workers->len; i++) {
		struct worker *w = g_ptr_array_index(workers, i);

		kill(w->pid, SIGTERM);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	mugaika_engine_free(engine);
	unlink(pol->pidfile);
	mg_mlog(LOG_INFO, "stopped");
	return stopping && fe_started > 0 ? EX_OK : EX_TEMPFAIL;
}
