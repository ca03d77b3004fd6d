/*
 * mg_sandbox.c - the workers' sandbox: Landlock, then a seccomp filter.
 *
 * A worker runs libmugaika on an untrusted message, so it is the process
 * an exploit of a parser (GMime, libxml2, libarchive, libclamav, ...)
 * would own.  After its setup (rlimits, the syslog socket) and before its
 * first job it gives up, for good:
 *
 *   - with Landlock (ABI 2 or later: Linux 5.19+), where the kernel has
 *     it: file access outside read-only /usr and /etc and read-write
 *     beneath the quarantine store, the audit log's directory and
 *     libclamav's temporary directory; executing anything; with ABI 4+
 *     TCP bind and connect; with ABI 6+ signals to processes outside the
 *     worker and abstract unix sockets.  Best effort: a kernel without it
 *     leaves the worker with seccomp alone (mg_sandbox_probe logs that).
 *   - with seccomp (libseccomp): every system call not listed below.  The
 *     default action is SECCOMP_RET_KILL_PROCESS, so a forbidden call ends
 *     the worker with SIGSYS at once; the master then holds the message as
 *     for any worker that died (reason sanitizer_crash).  The list was
 *     built from strace of the workers under tests/e2e and the corpora,
 *     and is explained group by group in docs/security.md, "Worker
 *     sandbox".
 *
 * Nothing here reads untrusted input.  The configuration (trusted) names
 * the directories Landlock opens for writing.  No limits are checked
 * here; the filter is what limits the worker.  The caller owns nothing
 * new: every descriptor opened here is closed before return.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_mlog.h"
#include "mg_sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define MG_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_SANITIZER_BUILD 1
#endif
#endif

/* ---- Landlock ---- */

/*
 * Debian 12's <linux/landlock.h> stops at ABI 2; the rights and fields
 * added later are defined here with the values of the kernel's UAPI
 * (include/uapi/linux/landlock.h), and used only when the running
 * kernel's ABI has them.
 */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define LL_NET_BIND_TCP (1ULL << 0)               /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)            /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; the kernel reads only the
 * prefix that the size passed to landlock_create_ruleset covers. */
struct ll_ruleset_attr {
	guint64 handled_access_fs;
	guint64 handled_access_net;
	guint64 scoped;
};

/* Rights that make sense on a file (not a directory) in a rule. */
#define LL_FILE_RIGHTS                                                   \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |    \
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	    LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Read-write beneath a directory: files and directories made, written,
 * truncated, removed and renamed (the store renames tmp/ -> msg/, the
 * audit log its head file; libclamav removes its temporary trees).  No
 * devices, fifos, sockets, symlinks, no execution. */
#define LL_WRITE                                                             \
	(LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |                           \
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |      \
	    LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* The ABI of the running kernel, or -1 with errno set. */
static int
landlock_abi(void)
{
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
}

/* The file system rights an ABI knows (landlock(7), "Access rights"). */
static guint64
fs_rights(int abi)
{
	guint64 r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/*
 * Allow `access` beneath `path` (or on it, for a file).  A path that does
 * not exist is left out: what the worker would have written there fails,
 * and fails closed.  FALSE only when the kernel refused the rule.
 */
static gboolean
allow_path(int ruleset, const char *path, guint64 access, guint64 handled,
    GError **err)
{
	struct landlock_path_beneath_attr pb = {0};
	struct stat st;
	int fd, rc, e;

	if (path == NULL || *path == '\0')
		return TRUE;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return TRUE;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	rc = (int)syscall(
	    SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	e = errno;
	close(fd);
	if (rc != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "landlock_add_rule %s: %s", path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* libclamav's temporary directory: CL_ENGINE_TMPDIR is not set by
 * sanitizer/scan, so libclamav takes $TMPDIR, else P_tmpdir
 * (libclamav/others.c, cli_gettmpdir). */
static const char *
scan_tmpdir(const struct mg_policy *pol)
{
	const char *t = g_getenv("TMPDIR");

	/* libclamav's scratch space: [scan] tmpdir, else its default. */
	if (pol->scan_tmpdir != NULL && *pol->scan_tmpdir != '\0')
		return pol->scan_tmpdir;

	return t != NULL && *t != '\0' ? t : P_tmpdir;
}

/*
 * Restrict this process's file access.  TRUE when it is restricted, or
 * when the kernel has no (usable) Landlock and nothing was done; FALSE
 * with *err set when Landlock is there but refused the ruleset.
 */
static gboolean
landlock_enter(const struct mg_policy *pol, GError **err)
{
	struct ll_ruleset_attr attr = {0};
	g_autofree char *audit_dir = NULL;
	gsize size = sizeof(attr.handled_access_fs);
	gboolean ok;
	int abi = landlock_abi(), rs, e;

	/* ABI 1 cannot grant LANDLOCK_ACCESS_FS_REFER, so every rename
	 * between directories fails with EXDEV, the store's tmp/ -> msg/
	 * among them: only ABI 2 and later are used. */
	if (abi < 2)
		return TRUE;
	attr.handled_access_fs = fs_rights(abi);
	if (abi >= 4) {
		/* No rule names a port: no TCP bind or connect at all. */
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = G_STRUCT_OFFSET(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0) {
		e = errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "landlock_create_ruleset (ABI %d): %s", abi, g_strerror(e));
		return FALSE;
	}
	if (pol->audit_file != NULL && *pol->audit_file != '\0')
		audit_dir = g_path_get_dirname(pol->audit_file);
	/* Read: the data files libraries open lazily during the first job
	 * (libmagic's database, OpenSSL's config, time zone data, gconv
	 * modules) live under /usr and /etc.  mg_quarantine.c reads
	 * /dev/urandom when getrandom(2) fails. */
	ok = allow_path(rs, "/usr", LL_READ, attr.handled_access_fs, err) &&
	     allow_path(rs, "/etc", LL_READ, attr.handled_access_fs, err) &&
	     allow_path(
	         rs, "/dev/urandom", LL_READ, attr.handled_access_fs, err) &&
	     allow_path(rs, pol->quarantine_dir, LL_WRITE,
	         attr.handled_access_fs, err) &&
	     allow_path(rs, audit_dir, LL_WRITE, attr.handled_access_fs, err) &&
	     allow_path(
	         rs, scan_tmpdir(pol), LL_WRITE, attr.handled_access_fs, err);
#ifdef MG_SANITIZER_BUILD
	/* ASan and UBSan symbolise their reports from /proc/self/maps and
	 * the executable's own debug information. */
	if (ok) {
		g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);

		ok = allow_path(
		         rs, "/proc", LL_READ, attr.handled_access_fs, err) &&
		     allow_path(rs, exe, LL_READ, attr.handled_access_fs, err);
	}
#endif
	if (ok && syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		e = errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "landlock_restrict_self: %s", g_strerror(e));
		ok = FALSE;
	}
	close(rs);
	return ok;
}

/* ---- seccomp ---- */

/*
 * Allowed with any arguments.  Each group is a line of docs/security.md;
 * keep the two in step.
 */
static const int allowed[] = {
    /* Memory: malloc, GLib slices, libclamav's maps, SQLite's -shm.
     * mmap and mprotect are filtered below (no PROT_EXEC). */
    SCMP_SYS(brk),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    /* Descriptors the worker holds: the spool and result files passed by
     * the master, and what it opens below. */
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(pread64),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(pwrite64),
    SCMP_SYS(lseek),
    SCMP_SYS(close),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(fcntl),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(flock),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchown),
    SCMP_SYS(getdents64),
    /* Paths: the quarantine store (tmp/, msg/, lock, the SQLite index
     * with its -wal and -shm), the audit log, libclamav's temporary
     * directories, data files opened on first use (libmagic, OpenSSL,
     * time zones).  Where they may be is Landlock's to say. */
    SCMP_SYS(open),
    SCMP_SYS(openat),
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(getcwd),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmodat),
    /* Time: libclamav's scan time limit (CPU clock), timestamps, SQLite's
     * and flock retries' sleeps.  pause() is the test hang hook's. */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(pause),
    /* The process itself: ids, randomness (quarantine ids, GLib, OpenSSL),
     * signal handling (abort() included), exit. */
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(getrandom),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    /* Threads (none in text mode today; GLib and libvips thread pools
     * for CDR): clone itself is filtered below. */
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
};

struct cond_rule {
	int nr;
	guint32 action;
	unsigned int n;
	struct scmp_arg_cmp cmp[2];
};

/* Add the rules that depend on arguments.  `sock` is the master's. */
static int
add_conditional(scmp_filter_ctx ctx, int sock)
{
	const scmp_datum_t self = (scmp_datum_t)getpid();
	const struct cond_rule rules[] = {
	    /* No executable mappings: nothing the worker needs maps code
	     * after its setup; a library that tries (dlopen of a gconv
	     * module for a charset not preloaded) gets EACCES and fails
	     * cleanly instead of killing the worker. */
	    {SCMP_SYS(mmap), SCMP_ACT_ALLOW, 1,
	        {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}},
	    {SCMP_SYS(mmap), SCMP_ACT_ERRNO(EACCES), 1,
	        {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)}},
	    {SCMP_SYS(mprotect), SCMP_ACT_ALLOW, 1,
	        {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}},
	    {SCMP_SYS(mprotect), SCMP_ACT_ERRNO(EACCES), 1,
	        {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)}},
	    /* Jobs in, answers out: only on the master's socket. */
	    {SCMP_SYS(recvmsg), SCMP_ACT_ALLOW, 1,
	        {SCMP_A0(SCMP_CMP_EQ, sock)}},
	    {SCMP_SYS(sendmsg), SCMP_ACT_ALLOW, 1,
	        {SCMP_A0(SCMP_CMP_EQ, sock)}},
	    /* send() on connected sockets only (no address): syslog(3) on
	     * the socket openlog(LOG_NDELAY) connected before the filter,
	     * and the answer to the front end on the socket that came with
	     * the job (mg_ipc_send without descriptors). */
	    {SCMP_SYS(sendto), SCMP_ACT_ALLOW, 1, {SCMP_A4(SCMP_CMP_EQ, 0)}},
	    /* syslog(3) reconnects (socket + connect) when a send fails, and
	     * retries on every line when /dev/log is missing: a unix socket
	     * is refused with EACCES, so the line is lost but the worker
	     * lives.  Every other family is left to the default: killed. */
	    {SCMP_SYS(socket), SCMP_ACT_ERRNO(EACCES), 1,
	        {SCMP_A0(SCMP_CMP_EQ, AF_UNIX)}},
	    /* Threads only: a CLONE_THREAD child shares this filter; fork,
	     * vfork and posix_spawn (clone without CLONE_THREAD) are
	     * killed.  clone3 passes its flags in memory the filter cannot
	     * read: ENOSYS makes glibc fall back to clone. */
	    {SCMP_SYS(clone), SCMP_ACT_ALLOW, 1,
	        {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)}},
	    {SCMP_SYS(clone3), SCMP_ACT_ERRNO(ENOSYS), 0, {{0}}},
	    /* GLib names its threads (pthread_setname_np on itself). */
	    {SCMP_SYS(prctl), SCMP_ACT_ALLOW, 1,
	        {SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)}},
	    {SCMP_SYS(prctl), SCMP_ACT_ALLOW, 1,
	        {SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME)}},
	    /* Signals to itself only (raise, abort). */
	    {SCMP_SYS(tgkill), SCMP_ACT_ALLOW, 1, {SCMP_A0(SCMP_CMP_EQ, self)}},
	    {SCMP_SYS(kill), SCMP_ACT_ALLOW, 1, {SCMP_A0(SCMP_CMP_EQ, self)}},
	    /* getrlimit(), never setrlimit(): prlimit64 on itself with no new
	     * limit. */
	    {SCMP_SYS(prlimit64), SCMP_ACT_ALLOW, 2,
	        {SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0)}},
	    /* isatty(3) from stdio: "not a terminal".  Every other ioctl
	     * (TIOCSTI among them) is killed. */
	    {SCMP_SYS(ioctl), SCMP_ACT_ERRNO(ENOTTY), 1,
	        {SCMP_A1(SCMP_CMP_EQ, TCGETS)}},
	    {SCMP_SYS(ioctl), SCMP_ACT_ERRNO(ENOTTY), 1,
	        {SCMP_A1(SCMP_CMP_EQ, TIOCGWINSZ)}},
	};
	gsize i;
	int rc;

	for (i = 0; i < G_N_ELEMENTS(rules); i++) {
		rc = seccomp_rule_add_array(ctx, rules[i].action, rules[i].nr,
		    rules[i].n, rules[i].n > 0 ? rules[i].cmp : NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static gboolean
seccomp_enter(int sock, GError **err)
{
	scmp_filter_ctx ctx;
	const char *what = "seccomp_rule_add";
	gsize i;
	int rc = 0;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "seccomp_init: this kernel or libseccomp cannot kill a "
		    "process on a forbidden system call");
		return FALSE;
	}
	/* A call made through another ABI (int 0x80, x32) is killed too. */
	rc = seccomp_attr_set(
	    ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; rc == 0 && i < G_N_ELEMENTS(allowed); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (rc == 0)
		rc = add_conditional(ctx, sock);
	if (rc == 0) {
		what = "seccomp_load";
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (rc < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(-rc),
		    "%s: %s", what, g_strerror(-rc));
		return FALSE;
	}
	return TRUE;
}

/* ---- entry points ---- */

gboolean
mg_sandbox_probe(GError **err)
{
	int abi;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "worker sandbox: this kernel has no seccomp (%s)",
		    g_strerror(errno));
		return FALSE;
	}
	/* Level 3: SECCOMP_RET_KILL_PROCESS (Linux 4.14). */
	if (seccomp_api_get() < 3) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "worker sandbox: seccomp cannot kill a process here "
		    "(libseccomp API level %u, 3 needed: Linux 4.14)",
		    seccomp_api_get());
		return FALSE;
	}
	abi = landlock_abi();
	if (abi >= 2)
		mg_mlog(LOG_INFO,
		    "worker sandbox: seccomp filter and Landlock (ABI %d)",
		    abi);
	else if (abi == 1)
		mg_mlog(LOG_INFO, "worker sandbox: seccomp filter only; "
		                  "Landlock ABI 1 cannot allow the store's "
		                  "renames (Linux 5.19 needed)");
	else
		mg_mlog(LOG_INFO,
		    "worker sandbox: seccomp filter only; Landlock "
		    "unavailable (%s)",
		    g_strerror(errno));
	return TRUE;
}

gboolean
mg_sandbox_enter(const struct mg_policy *pol, int sock, GError **err)
{
	g_autoptr(GError) lerr = NULL;

	/* Both need it (landlock_restrict_self(2), seccomp(2)): nothing
	 * this process executes from here on can gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "PR_SET_NO_NEW_PRIVS: %s", g_strerror(errno));
		return FALSE;
	}
	/* Landlock first: once the filter is on, its system calls are not
	 * allowed.  A failure leaves seccomp alone on guard, logged. */
	if (!landlock_enter(pol, &lerr))
		mg_mlog(LOG_WARNING, "worker sandbox: %s: files not restricted",
		    lerr->message);
	return seccomp_enter(sock, err);
}
