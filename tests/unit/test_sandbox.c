/*
 * test_sandbox.c - the workers' sandbox (milter/mg_sandbox.c).
 *
 * Each case forks a child that enters the sandbox as a worker does and
 * then makes one call: the allowed ones must work (or fail with the errno
 * the filter gives), the forbidden ones must end the child with SIGSYS.
 * Landlock cases are skipped where the kernel has no Landlock (ABI < 2).
 * No hostile input: the calls are the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "mg_mlog.h"
#include "mg_sandbox.h"

static char *qdir, *tmpdir, *outside;
static int master_end = -1;

/* Child: 0 when the call behaved as allowed, 1 when it did not. */
typedef int (*probe_fn)(void);

/* Run `fn` in a sandboxed child; its wait status. */
static int
run_sandboxed(probe_fn fn)
{
	int sv[2], status = 0;
	pid_t pid;

	g_assert_cmpint(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct mg_policy pol = {0};
		GError *err = NULL;

		close(sv[0]);
		pol.quarantine_dir = qdir;
		master_end = sv[1];
		if (!mg_sandbox_enter(&pol, sv[1], &err)) {
			fprintf(stderr, "enter: %s\n", err->message);
			_exit(3);
		}
		_exit(fn());
	}
	close(sv[1]);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	close(sv[0]);
	return status;
}

static void
assert_exit0(int status)
{
	if (WIFSIGNALED(status))
		g_error("child killed by signal %d", WTERMSIG(status));
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void
assert_sigsys(int status)
{
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
}

/* ---- allowed ---- */

static int
p_memory_files_time(void)
{
	g_autofree char *a = NULL, *b = NULL;
	char *big = malloc(64 << 20);
	struct timespec ts;
	char rnd[16];
	int fd;

	if (big == NULL)
		return 1;
	memset(big, 1, 64 << 20); /* mmap'd by malloc */
	free(big);
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0 ||
	    getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return 1;
	/* The store's pattern: tmp/ file, fsync, rename into msg/. */
	a = g_build_filename(qdir, "tmp", "x", NULL);
	b = g_build_filename(qdir, "msg", "x", NULL);
	fd = open(a, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, "abc", 3, 0) != 3 || fsync(fd) != 0 ||
	    ftruncate(fd, 1) != 0 || flock(fd, LOCK_SH) != 0)
		return 1;
	close(fd);
	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE) != 0 ||
	    unlink(b) != 0)
		return 1;
	/* libclamav's pattern in its temporary directory. */
	g_free(a);
	a = g_build_filename(tmpdir, "scantemp.x", NULL);
	if (mkdir(a, 0700) != 0 || chmod(a, 0700) != 0 || rmdir(a) != 0)
		return 1;
	/* Data files libraries read on first use. */
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static void
test_allowed(void)
{
	assert_exit0(run_sandboxed(p_memory_files_time));
}

static int
p_master_socket(void)
{
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	return sendmsg(master_end, &mh, 0) == 1 ? 0 : 1;
}

static void
test_master_socket(void)
{
	assert_exit0(run_sandboxed(p_master_socket));
}

/* syslog(3) with no /dev/log listener: socket(AF_UNIX) gets EACCES on
 * every line, the line is lost, the worker lives. */
static int
p_syslog(void)
{
	int s;

	syslog(LOG_INFO, "test_sandbox: a line syslog may drop");
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	return s < 0 && errno == EACCES ? 0 : 1;
}

static void
test_syslog(void)
{
	assert_exit0(run_sandboxed(p_syslog));
}

static int
p_exec_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED || errno != EACCES || q == MAP_FAILED)
		return 1;
	if (mprotect(q, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EACCES)
		return 1;
	return 0;
}

static void
test_no_exec_mapping(void)
{
	assert_exit0(run_sandboxed(p_exec_mapping));
}

/* A converter glibc would dlopen now: fails cleanly. */
static int
p_iconv(void)
{
	iconv_t cd = iconv_open("UTF-8", "IBM037");

	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return 0;
}

static void
test_iconv_not_preloaded(void)
{
	assert_exit0(run_sandboxed(p_iconv));
}

static void *
thread_main(void *arg)
{
	return arg;
}

static int
p_thread(void)
{
	pthread_t t;
	void *r = NULL;
	char buf[2];

	if (pthread_create(&t, NULL, thread_main, buf) != 0 ||
	    pthread_join(t, &r) != 0 || r != buf)
		return 1;
	return 0;
}

static void
test_threads(void)
{
	assert_exit0(run_sandboxed(p_thread));
}

static int
p_abort(void)
{
	abort();
}

static void
test_abort_is_sigabrt(void)
{
	int st = run_sandboxed(p_abort);

	g_assert_true(WIFSIGNALED(st));
	g_assert_cmpint(WTERMSIG(st), ==, SIGABRT);
}

static int
p_isatty(void)
{
	return isatty(2) == 0 && errno == ENOTTY ? 0 : 1;
}

static void
test_isatty(void)
{
	assert_exit0(run_sandboxed(p_isatty));
}

/* ---- forbidden: SIGSYS ---- */

static int
p_socket_inet(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	return 1;
}

static int
p_socket_netlink(void)
{
	socket(AF_NETLINK, SOCK_RAW, 0);
	return 1;
}

static int
p_execve(void)
{
	char *const argv[] = {"true", NULL};

	execve("/bin/true", argv, NULL);
	return 1;
}

static int
p_fork(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return 1;
}

static int
p_vfork(void)
{
	syscall(SYS_vfork);
	return 1;
}

static int
p_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 1;
}

static int
p_kill_parent(void)
{
	kill(getppid(), 0);
	return 1;
}

static int
p_setuid(void)
{
	/* Must not return: the filter kills the process. */
	if (setuid(65534) != 0)
		return 2;
	return 1;
}

static int
p_setrlimit(void)
{
	struct rlimit rl = {0, 0};

	setrlimit(RLIMIT_NOFILE, &rl);
	return 1;
}

static int
p_mount(void)
{
	mount("none", "/tmp", "tmpfs", 0, NULL);
	return 1;
}

static int
p_unshare(void)
{
	unshare(CLONE_NEWUSER);
	return 1;
}

static int
p_prctl_dumpable(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 1;
}

static int
p_tiocsti(void)
{
	char c = 'x';

	ioctl(0, TIOCSTI, &c);
	return 1;
}

static int
p_bpf(void)
{
	syscall(SYS_bpf, 0, NULL, 0);
	return 1;
}

static int
p_process_vm(void)
{
	syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0);
	return 1;
}

static int
p_personality(void)
{
	syscall(SYS_personality, 0xffffffff);
	return 1;
}

static int
p_userfaultfd(void)
{
	syscall(SYS_userfaultfd, 0);
	return 1;
}

static int
p_memfd(void)
{
	syscall(SYS_memfd_create, "x", 0);
	return 1;
}

static int
p_landlock_again(void)
{
	syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return 1;
}

static void
test_forbidden(gconstpointer data)
{
	assert_sigsys(run_sandboxed((probe_fn)data));
}

/* ---- Landlock ---- */

static gboolean
have_landlock(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0,
	           LANDLOCK_CREATE_RULESET_VERSION) >= 2;
}

static int
p_write_outside(void)
{
	g_autofree char *p = g_build_filename(outside, "x", NULL);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	return fd < 0 && errno == EACCES ? 0 : 1;
}

static int
p_read_outside(void)
{
	g_autofree char *p = g_build_filename(outside, "r", NULL);
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	return fd < 0 && errno == EACCES ? 0 : 1;
}

static void
test_landlock(void)
{
	g_autofree char *r = g_build_filename(outside, "r", NULL);

	if (!have_landlock()) {
		g_test_skip("no Landlock (ABI 2+) in this kernel");
		return;
	}
	g_assert_true(g_file_set_contents(r, "x", 1, NULL));
	assert_exit0(run_sandboxed(p_write_outside));
	assert_exit0(run_sandboxed(p_read_outside));
}

int
main(int argc, char **argv)
{
	g_autofree char *base = NULL, *sub = NULL;
	struct {
		const char *name;
		probe_fn fn;
	} forbidden[] = {
	    {"socket_inet", p_socket_inet},
	    {"socket_netlink", p_socket_netlink},
	    {"execve", p_execve},
	    {"fork", p_fork},
	    {"vfork", p_vfork},
	    {"ptrace", p_ptrace},
	    {"kill_parent", p_kill_parent},
	    {"setuid", p_setuid},
	    {"setrlimit", p_setrlimit},
	    {"mount", p_mount},
	    {"unshare", p_unshare},
	    {"prctl_dumpable", p_prctl_dumpable},
	    {"ioctl_tiocsti", p_tiocsti},
	    {"bpf", p_bpf},
	    {"process_vm_readv", p_process_vm},
	    {"personality", p_personality},
	    {"userfaultfd", p_userfaultfd},
	    {"memfd_create", p_memfd},
	    {"landlock_after_filter", p_landlock_again},
	};
	gsize i;

	g_test_init(&argc, &argv, NULL);
	mg_mlog_init("test_sandbox", FALSE); /* syslog, LOG_NDELAY */
	base = g_dir_make_tmp("test-sandbox-XXXXXX", NULL);
	g_assert_nonnull(base);
	qdir = g_build_filename(base, "q", NULL);
	tmpdir = g_build_filename(base, "tmp", NULL);
	outside = g_build_filename(base, "outside", NULL);
	g_assert_cmpint(g_mkdir(qdir, 0700), ==, 0);
	sub = g_build_filename(qdir, "tmp", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_free(sub);
	sub = g_build_filename(qdir, "msg", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(tmpdir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(outside, 0700), ==, 0);
	/* libclamav's temporary directory, as the worker finds it. */
	g_setenv("TMPDIR", tmpdir, TRUE);

	g_test_add_func("/sandbox/allowed", test_allowed);
	g_test_add_func("/sandbox/master_socket", test_master_socket);
	g_test_add_func("/sandbox/syslog_without_dev_log", test_syslog);
	g_test_add_func("/sandbox/no_exec_mapping", test_no_exec_mapping);
	g_test_add_func(
	    "/sandbox/iconv_not_preloaded", test_iconv_not_preloaded);
	g_test_add_func("/sandbox/threads", test_threads);
	g_test_add_func("/sandbox/abort_is_sigabrt", test_abort_is_sigabrt);
	g_test_add_func("/sandbox/isatty", test_isatty);
	g_test_add_func("/sandbox/landlock", test_landlock);
	for (i = 0; i < G_N_ELEMENTS(forbidden); i++) {
		g_autofree char *path =
		    g_strdup_printf("/sandbox/forbidden/%s", forbidden[i].name);

		g_test_add_data_func(
		    path, (gconstpointer)forbidden[i].fn, test_forbidden);
	}
	return g_test_run();
}
