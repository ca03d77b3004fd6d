/*
 * test_quarantine.c - the quarantine store and its SQLite index: round
 * trips, file modes, ids, crash safety (a child killed between fsync and
 * rename), recovery at open, purge by time and concurrent writers.
 *
 * Every test works in its own directory from g_dir_make_tmp, removed at
 * the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "quarantine/mg_qindex.h"
#include "quarantine/mg_quarantine.h"

struct fixture {
	char *root;  /* from g_dir_make_tmp */
	char *store; /* root/store: created by mg_qstore_open */
};

static void
rm_rf(const char *path)
{
	GDir *d;
	const char *name;
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = g_dir_open(path, 0, NULL)) != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree char *sub =
			    g_build_filename(path, name, NULL);

			rm_rf(sub);
		}
		g_dir_close(d);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static void
fx_setup(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;

	fx->root = g_dir_make_tmp("mg-quarantine-XXXXXX", &err);
	g_assert_no_error(err);
	fx->store = g_build_filename(fx->root, "store", NULL);
}

static void
fx_teardown(struct fixture *fx, gconstpointer data)
{
	mg_qstore_crash_hook = NULL;
	mg_qstore_test_now = 0;
	rm_rf(fx->root);
	g_free(fx->root);
	g_free(fx->store);
}

static char *
sub(struct fixture *fx, const char *a, const char *b)
{
	return g_build_filename(fx->store, a, b, NULL);
}

static guint
count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

/* A message in an anonymous file, its offset left at `offset`. */
static int
message_fd(const char *data, gsize len, off_t offset)
{
	int fd = memfd_create("msg", MFD_CLOEXEC);
	gsize done = 0;

	g_assert_cmpint(fd, >=, 0);
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		g_assert_cmpint(w, >, 0);
		done += (gsize)w;
	}
	g_assert_cmpint(lseek(fd, offset, SEEK_SET), ==, offset);
	return fd;
}

static struct mg_qentry *
entry_new(const char *subject)
{
	struct mg_qentry *e = g_new0(struct mg_qentry, 1);
	const char *rcpt[] = {"a@example.jp", "b@example.jp", NULL};
	const char *reasons[] = {"attachment", "uuencoded", NULL};

	e->disposition = g_strdup("sanitized");
	e->sender = g_strdup("sender@example.com");
	e->recipients = g_strdupv((char **)rcpt);
	e->from = g_strdup("Sender <sender@example.com>");
	e->subject = g_strdup(subject);
	e->message_id = g_strdup("<1@example.com>");
	e->reasons = g_strdupv((char **)reasons);
	e->report_json = g_strdup("{\"parts\":[{\"name\":\"a.exe\"}]}");
	return e;
}

static char *
put_text(struct mg_qstore *q, const char *text, const char *subject)
{
	g_autoptr(mg_qentry) e = entry_new(subject);
	g_autoptr(GError) err = NULL;
	int fd = message_fd(text, strlen(text), 0);

	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_OK);
	g_assert_no_error(err);
	close(fd);
	return g_steal_pointer(&e->id);
}

static GBytes *
read_all(int fd)
{
	GByteArray *b = g_byte_array_new();
	guint8 buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		g_byte_array_append(b, buf, (guint)n);
	g_assert_cmpint(n, ==, 0);
	return g_byte_array_free_to_bytes(b);
}

static void
test_round_trip(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(mg_qentry) e = NULL, got = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GBytes) stored = NULL;
	g_autofree char *sha = NULL, *id = NULL;
	/* Bytes that must survive exactly: CRLF, NUL, 8-bit. */
	static const char msg[] = "From: a@example.com\r\nSubject: x\r\n\r\n"
	                          "body\0with nul \xff\xfe\r\n";
	gsize len = sizeof msg - 1;
	int fd, mfd;

	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	g_assert_nonnull(q);
	fd = message_fd(msg, len, 7);
	e = entry_new("hello");
	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_OK);
	g_assert_no_error(err);
	/* The caller's offset is where it was. */
	g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, 7);
	close(fd);
	g_assert_true(mg_qstore_valid_id(e->id));
	g_assert_cmpuint(e->size, ==, len);
	sha = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, (const guchar *)msg, len);
	g_assert_cmpstr(e->sha256, ==, sha);
	g_assert_cmpint(e->time, >, 0);
	id = g_strdup(e->id);

	got = mg_qstore_get(q, id, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(got->id, ==, id);
	g_assert_cmpint(got->time, ==, e->time);
	g_assert_cmpstr(got->disposition, ==, "sanitized");
	g_assert_cmpstr(got->sender, ==, "sender@example.com");
	g_assert_cmpuint(g_strv_length(got->recipients), ==, 2);
	g_assert_cmpstr(got->recipients[1], ==, "b@example.jp");
	g_assert_cmpstr(got->from, ==, "Sender <sender@example.com>");
	g_assert_cmpstr(got->subject, ==, "hello");
	g_assert_cmpstr(got->message_id, ==, "<1@example.com>");
	g_assert_cmpuint(g_strv_length(got->reasons), ==, 2);
	g_assert_cmpstr(got->reasons[0], ==, "attachment");
	g_assert_cmpstr(got->report_json, ==, e->report_json);
	g_assert_cmpuint(got->size, ==, len);
	g_assert_cmpstr(got->sha256, ==, sha);

	mfd = mg_qstore_open_message(q, id, &err);
	g_assert_no_error(err);
	g_assert_cmpint(mfd, >=, 0);
	stored = read_all(mfd);
	close(mfd);
	g_assert_cmpmem(
	    g_bytes_get_data(stored, NULL), g_bytes_get_size(stored), msg, len);

	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 1);
	g_clear_pointer(&all, g_ptr_array_unref);

	g_assert_true(mg_qstore_delete(q, id, &err));
	g_assert_no_error(err);
	g_clear_pointer(&got, mg_qentry_free);
	got = mg_qstore_get(q, id, &err);
	g_assert_null(got);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);
	g_assert_cmpint(mg_qstore_open_message(q, id, &err), ==, -1);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);
	g_assert_false(mg_qstore_delete(q, id, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);
	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 0);
}

static void
test_empty_message(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(mg_qentry) e = g_new0(struct mg_qentry, 1);
	g_autoptr(mg_qentry) got = NULL;
	g_autofree char *sha = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, (const guchar *)"", 0);
	int fd = message_fd("", 0, 0);

	g_assert_no_error(err);
	/* No strings at all: NULLs are stored as NULL, lists come back
	 * empty but not NULL. */
	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_OK);
	g_assert_no_error(err);
	close(fd);
	got = mg_qstore_get(q, e->id, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->size, ==, 0);
	g_assert_cmpstr(got->sha256, ==, sha);
	g_assert_null(got->subject);
	g_assert_null(got->report_json);
	g_assert_nonnull(got->recipients);
	g_assert_cmpuint(g_strv_length(got->recipients), ==, 0);
	g_assert_nonnull(got->reasons);
	g_assert_cmpuint(g_strv_length(got->reasons), ==, 0);
}

static void
test_modes(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autofree char *id = NULL, *msg = NULL, *msgdir = NULL, *tmpdir = NULL,
	                *idx = NULL, *lock = NULL;
	struct stat st;
	mode_t old;

	/* A umask that would take the owner's own bits away: the store
	 * sets its modes whole, whatever the umask. */
	old = umask(0277);
	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	id = put_text(q, "Subject: m\r\n\r\nx\r\n", "m");
	umask(old);

	g_assert_cmpint(stat(fx->store, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	msgdir = sub(fx, "msg", NULL);
	g_assert_cmpint(stat(msgdir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	tmpdir = sub(fx, "tmp", NULL);
	g_assert_cmpint(stat(tmpdir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	msg = g_strconcat(msgdir, "/", id, ".eml", NULL);
	g_assert_cmpint(stat(msg, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	idx = sub(fx, "index.sqlite", NULL);
	g_assert_cmpint(stat(idx, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	lock = sub(fx, "lock", NULL);
	g_assert_cmpint(stat(lock, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
}

static void
test_ids(void)
{
	g_autoptr(GHashTable) seen =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int i;

	for (i = 0; i < 1000; i++) {
		char *id = mg_qstore_new_id();

		g_assert_true(mg_qstore_valid_id(id));
		g_assert_false(g_hash_table_contains(seen, id));
		g_hash_table_add(seen, id);
	}
	g_assert_true(mg_qstore_valid_id("20261122-7KQ2M3XH4TPA"));
	g_assert_true(mg_qstore_valid_id("20261122-ABCDEFGHIJKL"));
	g_assert_false(mg_qstore_valid_id(NULL));
	g_assert_false(mg_qstore_valid_id(""));
	g_assert_false(mg_qstore_valid_id("../x"));
	g_assert_false(mg_qstore_valid_id("/etc/passwd"));
	g_assert_false(mg_qstore_valid_id("20261122-7kq2m3xh4tpa"));
	g_assert_false(mg_qstore_valid_id("20261122-7KQ2M3XH4TPAA"));
	g_assert_false(mg_qstore_valid_id("20261122-7KQ2M3XH4TP"));
	/* 0, 1, 8 and 9 are not in the RFC 4648 base32 alphabet. */
	g_assert_false(mg_qstore_valid_id("20261122-7KQ2M9XH4TPA"));
	g_assert_false(mg_qstore_valid_id("20261122-0KQ2M3XH4TPA"));
	g_assert_false(mg_qstore_valid_id("2026112X-7KQ2M3XH4TPA"));
	g_assert_false(mg_qstore_valid_id("20261122_7KQ2M3XH4TPA"));
	g_assert_false(mg_qstore_valid_id("../../../../../etc/pwd"));
	g_assert_false(mg_qstore_valid_id("20261122-7KQ2M3XH4TP/"));
}

static void
test_invalid_ids(struct fixture *fx, gconstpointer data)
{
	static const char *const bad[] = {"../x", "", "/etc/passwd",
	    "20261122-7kq2m3xh4tpa", "20261122-7KQ2M3XH4TPAXXXXXXXXXX", "..",
	    NULL};
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	size_t i;

	g_assert_no_error(err);
	for (i = 0; bad[i] != NULL; i++) {
		g_autoptr(mg_qentry) e = entry_new("x");
		int fd;

		g_assert_null(mg_qstore_get(q, bad[i], &err));
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error(&err);
		g_assert_cmpint(
		    mg_qstore_open_message(q, bad[i], &err), ==, -1);
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error(&err);
		g_assert_false(mg_qstore_delete(q, bad[i], &err));
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error(&err);
		e->id = g_strdup(bad[i]);
		fd = message_fd("x", 1, 0);
		g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_FAIL);
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error(&err);
		close(fd);
	}
	g_assert_null(mg_qstore_get(q, NULL, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
crash_now(void)
{
	_exit(0);
}

/* The writer dies after the fsync of its temp file, before the rename. */
static void
test_crash_before_rename(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	g_autofree char *tmpdir = sub(fx, "tmp", NULL);
	int status;
	pid_t pid;

	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct mg_qstore *cq = mg_qstore_open(fx->store, NULL);
		struct mg_qentry *e = entry_new("crash");
		int fd = message_fd("Subject: c\r\n\r\nc\r\n", 16, 0);

		if (cq == NULL)
			_exit(2);
		mg_qstore_crash_hook = crash_now;
		mg_qstore_put(cq, fd, e, NULL);
		/* Not reached when the hook ran. */
		_exit(3);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* The crash left a temp file and nothing visible. */
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
	g_assert_cmpuint(count_entries(tmpdir), ==, 1);

	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 0);
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
	g_assert_cmpuint(count_entries(tmpdir), ==, 0);
}

/* A message file without its row (a crash between rename and commit) is
 * indexed as "recovered"; a row without its file (an interrupted delete)
 * is dropped. */
static void
test_reconcile(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(mg_qentry) got = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *orphan = NULL, *kept = NULL, *gone = NULL;
	g_autofree char *orphan_path = NULL, *gone_path = NULL, *name = NULL;
	g_autofree char *sha = NULL, *odd = NULL;
	static const char body[] = "Subject: lost\r\n\r\nlost\r\n";

	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	kept = put_text(q, "Subject: k\r\n\r\nk\r\n", "kept");
	gone = put_text(q, "Subject: g\r\n\r\ng\r\n", "gone");
	g_clear_pointer(&q, mg_qstore_close);

	orphan = mg_qstore_new_id();
	name = g_strconcat(orphan, ".eml", NULL);
	orphan_path = sub(fx, "msg", name);
	g_assert_true(
	    g_file_set_contents(orphan_path, body, sizeof body - 1, &err));
	g_free(name);
	name = g_strconcat(gone, ".eml", NULL);
	gone_path = sub(fx, "msg", name);
	g_assert_cmpint(g_unlink(gone_path), ==, 0);
	/* Files that are not ours are left alone. */
	odd = sub(fx, "msg", "README");
	g_assert_true(g_file_set_contents(odd, "x", 1, &err));

	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	got = mg_qstore_get(q, orphan, &err);
	g_assert_no_error(err);
	g_assert_nonnull(got);
	g_assert_cmpstr(got->disposition, ==, "recovered");
	g_assert_cmpuint(g_strv_length(got->reasons), ==, 1);
	g_assert_cmpstr(got->reasons[0], ==, "recovered");
	g_assert_cmpuint(got->size, ==, sizeof body - 1);
	sha = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, (const guchar *)body, sizeof body - 1);
	g_assert_cmpstr(got->sha256, ==, sha);
	g_clear_pointer(&got, mg_qentry_free);

	got = mg_qstore_get(q, gone, &err);
	g_assert_null(got);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);

	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 2);
	g_assert_true(g_file_test(odd, G_FILE_TEST_EXISTS));
}

/* A put whose index insert fails takes its file back; an id in use is
 * never overwritten. */
static void
test_no_overwrite(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(mg_qentry) e = NULL;
	g_autoptr(GBytes) stored = NULL;
	g_autofree char *id = NULL, *name = NULL, *path = NULL;
	g_autofree char *tmpdir = sub(fx, "tmp", NULL);
	static const char first[] = "Subject: 1\r\n\r\nfirst\r\n";
	int fd, mfd;

	g_assert_no_error(err);
	id = put_text(q, first, "first");
	name = g_strconcat(id, ".eml", NULL);
	path = sub(fx, "msg", name);

	/* Same id while the file exists: refused, the file unchanged. */
	e = entry_new("second");
	e->id = g_strdup(id);
	fd = message_fd("second", 6, 0);
	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_FAIL);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
	g_clear_error(&err);
	mfd = mg_qstore_open_message(q, id, &err);
	g_assert_no_error(err);
	stored = read_all(mfd);
	close(mfd);
	g_assert_cmpmem(g_bytes_get_data(stored, NULL),
	    g_bytes_get_size(stored), first, sizeof first - 1);
	g_assert_cmpuint(count_entries(tmpdir), ==, 0);

	/* Same id with the file gone but the row there: the rename works,
	 * the insert fails, and the file is taken back. */
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_FAIL);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
	g_clear_error(&err);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(count_entries(tmpdir), ==, 0);
	close(fd);
}

static void
test_unseekable(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(mg_qentry) e = entry_new("pipe");
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	g_autofree char *tmpdir = sub(fx, "tmp", NULL);
	int p[2];

	g_assert_no_error(err);
	g_assert_cmpint(pipe(p), ==, 0);
	g_assert_cmpint(write(p[1], "x", 1), ==, 1);
	g_assert_cmpint(mg_qstore_put(q, p[0], e, &err), ==, MG_FAIL);
	g_assert_nonnull(err);
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
	g_assert_cmpuint(count_entries(tmpdir), ==, 0);
	close(p[0]);
	close(p[1]);
}

/*
 * A write that fails half way (here RLIMIT_FSIZE standing in for a full
 * disk, in a child so the limit stays there): MG_FAIL with a message that
 * names the file, and nothing left behind.
 */
static void
test_write_error(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	g_autofree char *tmpdir = sub(fx, "tmp", NULL);
	int status;
	pid_t pid;

	g_assert_no_error(err);
	g_clear_pointer(&q, mg_qstore_close);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct rlimit rl = {4096, 4096};
		struct mg_qstore *cq = mg_qstore_open(fx->store, &err);
		struct mg_qentry *e = entry_new("big");
		g_autofree char *big = g_malloc0(200000);
		int fd = message_fd(big, 200000, 0);

		if (cq == NULL)
			_exit(2);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		if (mg_qstore_put(cq, fd, e, &err) != MG_FAIL)
			_exit(4);
		if (strstr(err->message, "/store/tmp/") == NULL ||
		    strstr(err->message, "write") == NULL) {
			g_printerr("unexpected: %s\n", err->message);
			_exit(5);
		}
		_exit(0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
	g_assert_cmpuint(count_entries(tmpdir), ==, 0);
	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	all = mg_qstore_list(q, 0, &err);
	g_assert_cmpuint(all->len, ==, 0);
}

static void
test_purge(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(GPtrArray) all = NULL;
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	g_autofree char *old_id = NULL;
	guint count = 99, i;

	g_assert_no_error(err);
	mg_qstore_test_now = 1000000000;
	for (i = 0; i < 3; i++) {
		g_autofree char *id = put_text(q, "old", "old");

		if (i == 0)
			old_id = g_strdup(id);
	}
	mg_qstore_test_now = 1000000000 + 30 * 86400;
	for (i = 0; i < 2; i++)
		g_free(put_text(q, "new", "new"));
	mg_qstore_test_now = 0;
	/* The id's date is the store's clock's (local) date. */
	g_assert_true(g_str_has_prefix(old_id, "2001090"));

	all = mg_qstore_list(q, 1000000000 + 86400, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 2);
	g_clear_pointer(&all, g_ptr_array_unref);

	g_assert_true(mg_qstore_purge(q, 1000000000 + 86400, &count, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(count, ==, 3);
	g_assert_cmpuint(count_entries(msgdir), ==, 2);
	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 2);
	for (i = 0; i < all->len; i++) {
		struct mg_qentry *e = all->pdata[i];

		g_assert_cmpint(e->time, ==, 1000000000 + 30 * 86400);
	}
	g_clear_pointer(&all, g_ptr_array_unref);

	/* Nothing older: nothing removed. */
	g_assert_true(mg_qstore_purge(q, 1000000000, &count, &err));
	g_assert_cmpuint(count, ==, 0);
	g_assert_true(mg_qstore_purge(q, G_MAXINT64, &count, &err));
	g_assert_cmpuint(count, ==, 2);
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
}

/* More than one purge batch (500 rows): a full batch, then one more. */
static void
test_purge_batches(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	guint count = 0, i;

	g_assert_no_error(err);
	mg_qstore_test_now = 1000000000;
	for (i = 0; i < 501; i++)
		g_free(put_text(q, "m", "m"));
	mg_qstore_test_now = 0;
	g_assert_true(mg_qstore_purge(q, 1000000001, &count, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(count, ==, 501);
	g_assert_cmpuint(count_entries(msgdir), ==, 0);
}

#define WRITERS 4
#define PER_WRITER 25

/* Writers that open a new store at the same moment and write at once. */
static void
test_concurrent(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *msgdir = sub(fx, "msg", NULL);
	pid_t pids[WRITERS];
	int i, status;

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		g_assert_cmpint(pids[i], >=, 0);
		if (pids[i] == 0) {
			struct mg_qstore *cq;
			int j;

			cq = mg_qstore_open(fx->store, &err);
			if (cq == NULL) {
				g_printerr("writer %d: %s\n", i, err->message);
				_exit(2);
			}
			for (j = 0; j < PER_WRITER; j++) {
				g_autofree char *text = g_strdup_printf(
				    "Subject: %d/%d\r\n\r\nw\r\n", i, j);
				struct mg_qentry *e = entry_new(text);
				int fd = message_fd(text, strlen(text), 0);

				if (mg_qstore_put(cq, fd, e, &err) != MG_OK) {
					g_printerr(
					    "writer %d: %s\n", i, err->message);
					_exit(3);
				}
				close(fd);
				mg_qentry_free(e);
			}
			mg_qstore_close(cq);
			_exit(0);
		}
	}
	for (i = 0; i < WRITERS; i++) {
		g_assert_cmpint(waitpid(pids[i], &status, 0), ==, pids[i]);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	}
	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, WRITERS * PER_WRITER);
	for (i = 0; i < (int)all->len; i++) {
		struct mg_qentry *e = all->pdata[i];

		g_assert_false(g_hash_table_contains(seen, e->subject));
		g_hash_table_add(seen, e->subject);
	}
	g_assert_cmpuint(count_entries(msgdir), ==, WRITERS * PER_WRITER);
}

static gpointer
thread_writer(gpointer data)
{
	struct mg_qstore *q = data;
	int j;

	for (j = 0; j < PER_WRITER; j++)
		g_free(put_text(q, "Subject: t\r\n\r\nt\r\n", "thread"));
	return NULL;
}

/* Threads of one process sharing one store. */
static void
test_threads(struct fixture *fx, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(GPtrArray) all = NULL;
	GThread *th[WRITERS];
	int i;

	g_assert_no_error(err);
	for (i = 0; i < WRITERS; i++)
		th[i] = g_thread_new("writer", thread_writer, q);
	for (i = 0; i < WRITERS; i++)
		g_thread_join(th[i]);
	all = mg_qstore_list(q, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, WRITERS * PER_WRITER);
}

static void
test_japanese(struct fixture *fx, gconstpointer data)
{
	static const char subject[] =
	    "【重要】請求書の送付について（令和８年度）① ㈱テスト";
	static const char *const rcpt[] = {
	    "総務課 <soumu@city.example.jp>", NULL};
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(mg_qentry) e = entry_new(subject);
	g_autoptr(mg_qentry) got = NULL;
	g_autoptr(GPtrArray) all = NULL;
	int fd = message_fd("x", 1, 0);

	g_assert_no_error(err);
	g_strfreev(e->recipients);
	e->recipients = g_strdupv((char **)rcpt);
	g_free(e->from);
	e->from = g_strdup("山田 太郎 <yamada@example.jp>");
	g_free(e->report_json);
	e->report_json = g_strdup("{\"name\":\"請求書.pdf\"}");
	g_assert_cmpint(mg_qstore_put(q, fd, e, &err), ==, MG_OK);
	close(fd);
	got = mg_qstore_get(q, e->id, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(got->subject, ==, subject);
	g_assert_cmpstr(got->recipients[0], ==, rcpt[0]);
	g_assert_cmpstr(got->from, ==, "山田 太郎 <yamada@example.jp>");
	g_assert_cmpstr(got->report_json, ==, "{\"name\":\"請求書.pdf\"}");
	all = mg_qstore_list(q, 0, &err);
	g_assert_cmpstr(
	    ((struct mg_qentry *)all->pdata[0])->subject, ==, subject);
}

/* Text that would be SQL if pasted into a query is just text. */
static void
test_hostile_strings(struct fixture *fx, gconstpointer data)
{
	static const char evil[] = "x'); DROP TABLE messages; --\"\\\x1b[2J";
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = mg_qstore_open(fx->store, &err);
	g_autoptr(mg_qentry) got = NULL;
	g_autofree char *id = NULL;

	g_assert_no_error(err);
	id = put_text(q, "x", evil);
	g_clear_pointer(&q, mg_qstore_close);
	q = mg_qstore_open(fx->store, &err);
	g_assert_no_error(err);
	got = mg_qstore_get(q, id, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(got->subject, ==, evil);
}

static void
test_strv_json(void)
{
	const char *v[] = {"a", "\"q\"", "日本", "", NULL};
	g_autofree char *j = mg_qindex_strv_to_json((char **)v);
	g_auto(GStrv) back = mg_qindex_json_to_strv(j);
	g_auto(GStrv) none = mg_qindex_json_to_strv(NULL);
	g_auto(GStrv) bad = mg_qindex_json_to_strv("[\"a\",");
	g_auto(GStrv) obj = mg_qindex_json_to_strv("{\"a\":1}");
	g_auto(GStrv) mixed = mg_qindex_json_to_strv("[1,\"x\",null,[\"y\"]]");
	g_autofree char *empty = mg_qindex_strv_to_json(NULL);
	const char *inv[] = {"a\xff", NULL};
	g_autofree char *ij = mg_qindex_strv_to_json((char **)inv);
	g_auto(GStrv) iback = mg_qindex_json_to_strv(ij);

	g_assert_true(g_strv_equal((const char *const *)back, v));
	g_assert_cmpuint(g_strv_length(none), ==, 0);
	g_assert_cmpuint(g_strv_length(bad), ==, 0);
	g_assert_cmpuint(g_strv_length(obj), ==, 0);
	g_assert_cmpuint(g_strv_length(mixed), ==, 1);
	g_assert_cmpstr(mixed[0], ==, "x");
	g_assert_cmpstr(empty, ==, "[]");
	g_assert_cmpuint(g_strv_length(iback), ==, 1);
	g_assert_true(g_utf8_validate(iback[0], -1, NULL));
	g_assert_true(g_str_has_prefix(iback[0], "a"));
}

static void
test_backend_table(void)
{
	g_assert_true(mg_qindex_find("sqlite") == &mg_qindex_sqlite_ops);
	g_assert_null(mg_qindex_find("nosuch"));
}

#define ADD(path, fn) \
	g_test_add(path, struct fixture, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/quarantine/ids", test_ids);
	g_test_add_func("/quarantine/strv-json", test_strv_json);
	g_test_add_func("/quarantine/backend-table", test_backend_table);
	ADD("/quarantine/round-trip", test_round_trip);
	ADD("/quarantine/empty-message", test_empty_message);
	ADD("/quarantine/modes", test_modes);
	ADD("/quarantine/invalid-ids", test_invalid_ids);
	ADD("/quarantine/crash-before-rename", test_crash_before_rename);
	ADD("/quarantine/reconcile", test_reconcile);
	ADD("/quarantine/no-overwrite", test_no_overwrite);
	ADD("/quarantine/unseekable", test_unseekable);
	ADD("/quarantine/write-error", test_write_error);
	ADD("/quarantine/purge", test_purge);
	ADD("/quarantine/purge-batches", test_purge_batches);
	ADD("/quarantine/concurrent", test_concurrent);
	ADD("/quarantine/threads", test_threads);
	ADD("/quarantine/japanese", test_japanese);
	ADD("/quarantine/hostile-strings", test_hostile_strings);
	return g_test_run();
}
