/*
 * mg_quarantine.c - the quarantine store: originals of held messages kept
 * whole in msg/<id>.eml, one index row each (mg_qindex.h).
 *
 * Writing is crash-safe in this order: the message is copied into a fresh
 * file in tmp/, fsynced, renamed into msg/ without replacing anything,
 * msg/ is fsynced, and only then is the index row committed.  A crash
 * before the rename leaves a file in tmp/ (removed on the next open); a
 * crash between the rename and the commit leaves a file in msg/ without a
 * row, which the next open indexes as "recovered" rather than lose it; a
 * failed commit removes the renamed file again.  Deleting removes the file
 * first and the row second, so an interrupted delete leaves a row without
 * a file, which the next open removes.
 *
 * Several processes write to one store.  Each put and delete holds a
 * shared flock(2) on <store>/lock from its first file operation to its
 * last, and the recovery at open runs only when it gets the exclusive
 * lock without waiting: so it never mistakes another process's write in
 * progress for crash remains.  flock belongs to the open file, so every
 * process must open the store itself (after fork), as for the index.
 *
 * Untrusted input: the message bytes (copied, never parsed here), the
 * entry strings (passed to the index as they are) and ids given by users
 * (checked by mg_qstore_valid_id before they name any file).  Limits: the
 * caller bounds the message size (the spool is bounded); the store copies
 * in 64 KiB blocks and purges in batches of PURGE_BATCH rows.  The caller
 * owns what it passes in; returned entries, arrays and fds are the
 * caller's to free or close.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "quarantine/mg_qindex.h"
#include "quarantine/mg_quarantine.h"

#define COPY_BLOCK (64 * 1024)
#define PURGE_BATCH 500
#define ID_DATE_LEN 8
#define ID_RAND_LEN 12
#define ID_LEN (ID_DATE_LEN + 1 + ID_RAND_LEN)
#define TMP_SUFFIX_LEN 6
#define TMP_TRIES 100
/* A generated id that is already taken is drawn again this many times;
 * with 60 random bits a second draw is already a curiosity. */
#define ID_TRIES 4

void (*mg_qstore_crash_hook)(void) = NULL;
gint64 mg_qstore_test_now = 0;

/* RFC 4648, section 6. */
static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Backends by name; the first is the default. */
static const struct mg_qindex_ops *const backends[] = {
    &mg_qindex_sqlite_ops,
    NULL,
};

struct mg_qstore {
	char *dir;
	int dirfd;
	int msgfd;
	int tmpfd;
	int lockfd;
	/* Threads of one process share lockfd, and flock(2) belongs to the
	 * open file: count the holders so the first takes the shared lock
	 * and the last releases it. */
	GMutex shared_mutex;
	guint shared_count;
	const struct mg_qindex_ops *ops;
	struct mg_qindex *ix;
};

const struct mg_qindex_ops *
mg_qindex_find(const char *name)
{
	size_t i;

	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

void
mg_qentry_free(struct mg_qentry *e)
{
	if (e == NULL)
		return;
	g_free(e->id);
	g_free(e->disposition);
	g_free(e->sender);
	g_strfreev(e->recipients);
	g_free(e->from);
	g_free(e->subject);
	g_free(e->message_id);
	g_strfreev(e->reasons);
	g_free(e->report_json);
	g_free(e->sha256);
	g_free(e);
}

char *
mg_qindex_strv_to_json(char *const *v)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	size_t i;

	json_builder_begin_array(b);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		g_autofree char *valid = g_utf8_make_valid(v[i], -1);

		json_builder_add_string_value(b, valid);
	}
	json_builder_end_array(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

char **
mg_qindex_json_to_strv(const char *json)
{
	g_autoptr(JsonParser) p = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new();
	JsonNode *root;
	JsonArray *a;
	guint i, n;

	if (json == NULL)
		goto done;
	p = json_parser_new();
	if (!json_parser_load_from_data(p, json, -1, NULL))
		goto done;
	root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root))
		goto done;
	a = json_node_get_array(root);
	n = json_array_get_length(a);
	for (i = 0; i < n; i++) {
		JsonNode *el = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_VALUE(el) &&
		    json_node_get_value_type(el) == G_TYPE_STRING)
			g_ptr_array_add(
			    out, g_strdup(json_node_get_string(el)));
	}
done:
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static gint64
now_seconds(void)
{
	if (mg_qstore_test_now != 0)
		return mg_qstore_test_now;
	return g_get_real_time() / G_USEC_PER_SEC;
}

/*
 * Random bytes from the kernel.  GRND_NONBLOCK: early in boot, before the
 * pool is ready, getrandom would block; /dev/urandom answers then.  GLib's
 * generator is the last resort: ids need uniqueness, not secrecy, but its
 * state is copied by fork(), so it comes after the kernel's.
 */
static void
random_bytes(guchar *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	while (got < len) {
		n = getrandom(buf + got, len - got, GRND_NONBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < len &&
	    (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		while (got < len) {
			n = read(fd, buf + got, len - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		close(fd);
	}
	for (; got < len; got++)
		buf[got] = (guchar)g_random_int_range(0, 256);
}

static char *
new_id_at(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	g_autofree char *date = NULL;
	guchar rnd[ID_RAND_LEN];
	char *id;
	int i;

	date = dt != NULL ? g_date_time_format(dt, "%Y%m%d") : NULL;
	if (date == NULL || strlen(date) != ID_DATE_LEN)
		g_error(
		    "quarantine: cannot format the date of %" G_GINT64_FORMAT,
		    t);
	random_bytes(rnd, sizeof rnd);
	id = g_malloc(ID_LEN + 1);
	memcpy(id, date, ID_DATE_LEN);
	id[ID_DATE_LEN] = '-';
	/* 256 is a multiple of 32: the low five bits are uniform. */
	for (i = 0; i < ID_RAND_LEN; i++)
		id[ID_DATE_LEN + 1 + i] = base32_alphabet[rnd[i] & 31];
	id[ID_LEN] = '\0';
	return id;
}

char *
mg_qstore_new_id(void)
{
	return new_id_at(now_seconds());
}

gboolean
mg_qstore_valid_id(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != ID_LEN)
		return FALSE;
	for (i = 0; i < ID_DATE_LEN; i++)
		if (!g_ascii_isdigit(id[i]))
			return FALSE;
	if (id[ID_DATE_LEN] != '-')
		return FALSE;
	for (i = ID_DATE_LEN + 1; i < ID_LEN; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		        (id[i] >= '2' && id[i] <= '7')))
			return FALSE;
	return TRUE;
}

static gboolean
check_id(const char *id, GError **err)
{
	g_autofree char *shown = NULL;

	if (mg_qstore_valid_id(id))
		return TRUE;
	/* The id came from a user: show it escaped, and not too much. */
	shown = g_strescape(id != NULL ? id : "(null)", NULL);
	if (strlen(shown) > 64)
		shown[64] = '\0';
	g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	    "not a quarantine id: \"%s\" (expected YYYYMMDD-XXXXXXXXXXXX, "
	    "X in A-Z and 2-7)",
	    shown);
	return FALSE;
}

static gboolean
set_errno_error(
    GError **err, int e, const char *dir, const char *name, const char *what)
{
	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
	    "quarantine %s/%s: %s: %s", dir, name != NULL ? name : "", what,
	    g_strerror(e));
	return FALSE;
}

static int
flock_retry(int fd, int op)
{
	int rc;

	do
		rc = flock(fd, op);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static gboolean
lock_shared(struct mg_qstore *q, GError **err)
{
	gboolean ok = TRUE;

	g_mutex_lock(&q->shared_mutex);
	if (q->shared_count == 0 && flock_retry(q->lockfd, LOCK_SH) != 0)
		ok = set_errno_error(err, errno, q->dir, "lock", "flock");
	else
		q->shared_count++;
	g_mutex_unlock(&q->shared_mutex);
	return ok;
}

static void
unlock_shared(struct mg_qstore *q)
{
	g_mutex_lock(&q->shared_mutex);
	if (--q->shared_count == 0)
		flock_retry(q->lockfd, LOCK_UN);
	g_mutex_unlock(&q->shared_mutex);
}

/* Open (creating 0700 when missing) the subdirectory `name`. */
static int
open_subdir(struct mg_qstore *q, const char *name, GError **err)
{
	gboolean created = FALSE;
	int fd;

	if (mkdirat(q->dirfd, name, 0700) == 0)
		created = TRUE;
	else if (errno != EEXIST) {
		set_errno_error(err, errno, q->dir, name, "mkdir");
		return -1;
	}
	fd = openat(
	    q->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		set_errno_error(err, errno, q->dir, name, "open");
		return -1;
	}
	/* mkdir's mode is cut by the umask; the store's is not. */
	if (created && fchmod(fd, 0700) != 0) {
		set_errno_error(err, errno, q->dir, name, "chmod");
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_lock(struct mg_qstore *q, GError **err)
{
	struct stat st;
	int fd;

	fd = openat(
	    q->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_errno_error(err, errno, q->dir, "lock", "open");
		return -1;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != 0600 &&
	    fchmod(fd, 0600) != 0) {
		set_errno_error(err, errno, q->dir, "lock", "chmod");
		close(fd);
		return -1;
	}
	return fd;
}

/* Read a file in msg/ whole to learn its size and SHA-256. */
static gboolean
digest_file(int fd, guint64 *size_r, char **sha_r)
{
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guchar *buf = g_malloc(COPY_BLOCK);
	guint64 size = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, COPY_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		if (n == 0)
			break;
		g_checksum_update(ck, buf, n);
		size += (guint64)n;
	}
	*size_r = size;
	*sha_r = g_strdup(g_checksum_get_string(ck));
	return TRUE;
}

/*
 * A file renamed into msg/ whose row was never committed: the process
 * died between the two steps.  Index it with what the file tells, so the
 * message is not lost and an administrator can review it.
 */
static void
recover_orphan(struct mg_qstore *q, const char *name, const char *id)
{
	g_autoptr(GError) err = NULL;
	struct mg_qentry e = {0};
	char *reasons[] = {(char *)"recovered", NULL};
	g_autofree char *sha = NULL;
	struct stat st;
	int fd;

	fd = openat(q->msgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !digest_file(fd, &e.size, &sha)) {
		close(fd);
		return;
	}
	close(fd);
	e.id = (char *)id;
	e.time = (gint64)st.st_mtime;
	e.disposition = (char *)"recovered";
	e.reasons = reasons;
	e.sha256 = sha;
	if (!q->ops->insert(q->ix, &e, &err))
		g_message("quarantine %s: cannot index recovered %s: %s",
		    q->dir, name, err->message);
	else
		g_message("quarantine %s: indexed %s, left without an index "
		          "row by an interrupted write",
		    q->dir, name);
}

/* Remove everything in tmp/: under the exclusive lock, no write is in
 * progress, so whatever is there was left by a crash. */
static void
clean_tmp(struct mg_qstore *q)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if ((fd = dup(q->tmpfd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(q->tmpfd, de->d_name, 0) != 0 && errno != ENOENT)
			g_message("quarantine %s/tmp/%s: cannot remove: %s",
			    q->dir, de->d_name, g_strerror(errno));
	}
	closedir(d);
}

static void
reconcile_files(struct mg_qstore *q)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if ((fd = dup(q->msgfd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		g_autoptr(GError) err = NULL;
		size_t len = strlen(de->d_name);
		char id[ID_LEN + 1];
		int found;

		if (len != ID_LEN + 4 ||
		    strcmp(de->d_name + ID_LEN, ".eml") != 0)
			continue;
		memcpy(id, de->d_name, ID_LEN);
		id[ID_LEN] = '\0';
		if (!mg_qstore_valid_id(id))
			continue;
		found = q->ops->exists(q->ix, id, &err);
		if (found < 0)
			g_message("quarantine %s: %s", q->dir, err->message);
		else if (found == 0)
			recover_orphan(q, de->d_name, id);
	}
	closedir(d);
}

/* Rows whose file is gone: a delete was interrupted after the unlink. */
static void
reconcile_rows(struct mg_qstore *q)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	struct stat st;
	guint i;

	ids = q->ops->list_before(q->ix, G_MAXINT64, 0, &err);
	if (ids == NULL) {
		g_message("quarantine %s: %s", q->dir, err->message);
		return;
	}
	for (i = 0; i < ids->len; i++) {
		g_autofree char *name =
		    g_strconcat(ids->pdata[i], ".eml", NULL);

		if (fstatat(q->msgfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
		    errno == ENOENT)
			g_ptr_array_add(gone, ids->pdata[i]);
	}
	if (gone->len == 0)
		return;
	if (!q->ops->remove(
	        q->ix, (const char *const *)gone->pdata, gone->len, NULL, &err))
		g_message("quarantine %s: %s", q->dir, err->message);
	else
		g_message("quarantine %s: removed %u index rows whose "
		          "message file was already deleted",
		    q->dir, gone->len);
}

/*
 * Clean up after crashed writers.  Only when no write is in progress
 * anywhere: if another process holds the lock, recovery waits for a later
 * open, since a busy store must not stall a starting worker.
 */
static void
recover(struct mg_qstore *q)
{
	if (flock_retry(q->lockfd, LOCK_EX | LOCK_NB) != 0)
		return;
	clean_tmp(q);
	reconcile_files(q);
	reconcile_rows(q);
	flock_retry(q->lockfd, LOCK_UN);
}

struct mg_qstore *
mg_qstore_open(const char *dir, GError **err)
{
	struct mg_qstore *q;
	gboolean created = FALSE;

	g_return_val_if_fail(dir != NULL, NULL);
	q = g_new0(struct mg_qstore, 1);
	q->dir = g_strdup(dir);
	q->dirfd = q->msgfd = q->tmpfd = q->lockfd = -1;
	g_mutex_init(&q->shared_mutex);
	q->ops = backends[0];
	if (mkdir(dir, 0700) == 0)
		created = TRUE;
	else if (errno != EEXIST) {
		set_errno_error(err, errno, dir, NULL, "mkdir");
		goto fail;
	}
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0) {
		set_errno_error(err, errno, dir, NULL, "open");
		goto fail;
	}
	if (created && fchmod(q->dirfd, 0700) != 0) {
		set_errno_error(err, errno, dir, NULL, "chmod");
		goto fail;
	}
	if ((q->msgfd = open_subdir(q, "msg", err)) < 0 ||
	    (q->tmpfd = open_subdir(q, "tmp", err)) < 0 ||
	    (q->lockfd = open_lock(q, err)) < 0)
		goto fail;
	if ((q->ix = q->ops->open(dir, err)) == NULL)
		goto fail;
	recover(q);
	return q;
fail:
	mg_qstore_close(q);
	return NULL;
}

void
mg_qstore_close(struct mg_qstore *q)
{
	if (q == NULL)
		return;
	if (q->ix != NULL)
		q->ops->close(q->ix);
	if (q->lockfd >= 0)
		close(q->lockfd);
	if (q->tmpfd >= 0)
		close(q->tmpfd);
	if (q->msgfd >= 0)
		close(q->msgfd);
	if (q->dirfd >= 0)
		close(q->dirfd);
	g_mutex_clear(&q->shared_mutex);
	g_free(q->dir);
	g_free(q);
}

/* Create tmp/<id>.XXXXXX, exclusively, mode 0600. */
static int
create_tmp(struct mg_qstore *q, const char *id, char **name_r, GError **err)
{
	int i, j, fd;

	for (i = 0; i < TMP_TRIES; i++) {
		guchar rnd[TMP_SUFFIX_LEN];
		char suffix[TMP_SUFFIX_LEN + 1];
		char *name;

		random_bytes(rnd, sizeof rnd);
		for (j = 0; j < TMP_SUFFIX_LEN; j++)
			suffix[j] = base32_alphabet[rnd[j] & 31];
		suffix[TMP_SUFFIX_LEN] = '\0';
		name = g_strconcat(id, ".", suffix, NULL);
		fd = openat(q->tmpfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			/* open's mode is cut by the umask: set it whole. */
			if (fchmod(fd, 0600) != 0) {
				set_errno_error(
				    err, errno, q->dir, name, "chmod");
				close(fd);
				unlinkat(q->tmpfd, name, 0);
				g_free(name);
				return -1;
			}
			*name_r = name;
			return fd;
		}
		if (errno != EEXIST) {
			g_autofree char *where =
			    g_strconcat("tmp/", name, NULL);

			set_errno_error(err, errno, q->dir, where, "create");
			g_free(name);
			return -1;
		}
		g_free(name);
	}
	g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
	    "quarantine %s/tmp: no free temporary name for %s", q->dir, id);
	return -1;
}

/*
 * Copy the whole of `in` (from offset 0, with pread so the caller's offset
 * is untouched) to `out`, computing size and SHA-256 on the way.
 */
static gboolean
copy_fd(struct mg_qstore *q, int in, int out, const char *tmpname,
    guint64 *size_r, char **sha_r, GError **err)
{
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guchar *buf = g_malloc(COPY_BLOCK);
	g_autofree char *where = g_strconcat("tmp/", tmpname, NULL);
	guint64 off = 0;
	ssize_t n, w;
	size_t done;

	for (;;) {
		n = pread(in, buf, COPY_BLOCK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "quarantine: reading the message to store: %s",
			    g_strerror(e));
			return FALSE;
		}
		if (n == 0)
			break;
		g_checksum_update(ck, buf, n);
		for (done = 0; done < (size_t)n; done += (size_t)w) {
			w = write(out, buf + done, (size_t)n - done);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				/* write() returning 0 for a regular file
				 * means no room: report it as ENOSPC. */
				return set_errno_error(err,
				    w == 0 ? ENOSPC : errno, q->dir, where,
				    "write");
		}
		off += (guint64)n;
	}
	*size_r = off;
	*sha_r = g_strdup(g_checksum_get_string(ck));
	return TRUE;
}

/*
 * Move tmp/<tmpname> to msg/<final> without ever replacing a file there.
 * renameat2(RENAME_NOREPLACE) does it in one step; file systems without
 * it get link(2), which also fails on an existing name, and an unlink.
 */
static gboolean
publish(
    struct mg_qstore *q, const char *tmpname, const char *final, GError **err)
{
	if (renameat2(q->tmpfd, tmpname, q->msgfd, final, RENAME_NOREPLACE) ==
	    0)
		return TRUE;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return set_errno_error(err, errno, q->dir, final, "rename");
	if (linkat(q->tmpfd, tmpname, q->msgfd, final, 0) != 0)
		return set_errno_error(err, errno, q->dir, final, "link");
	unlinkat(q->tmpfd, tmpname, 0);
	return TRUE;
}

static gboolean
sync_dir(struct mg_qstore *q, int fd, const char *name, GError **err)
{
	if (fsync(fd) != 0)
		return set_errno_error(err, errno, q->dir, name, "fsync");
	return TRUE;
}

/* One attempt to store under e->id; the shared lock is held. */
static enum mg_rc
put_locked(struct mg_qstore *q, int fd, struct mg_qentry *e, GError **err)
{
	g_autofree char *tmpname = NULL, *final = NULL, *sha = NULL;
	guint64 size = 0;
	int out;

	if ((out = create_tmp(q, e->id, &tmpname, err)) < 0)
		return MG_FAIL;
	if (!copy_fd(q, fd, out, tmpname, &size, &sha, err))
		goto fail_tmp;
	if (fsync(out) != 0) {
		set_errno_error(err, errno, q->dir, tmpname, "fsync");
		goto fail_tmp;
	}
	/* close() can report a delayed write error (NFS). */
	if (close(out) != 0) {
		out = -1;
		set_errno_error(err, errno, q->dir, tmpname, "close");
		goto fail_tmp;
	}
	out = -1;
	if (mg_qstore_crash_hook != NULL)
		mg_qstore_crash_hook();
	final = g_strconcat(e->id, ".eml", NULL);
	if (!publish(q, tmpname, final, err))
		goto fail_tmp;
	if (!sync_dir(q, q->msgfd, "msg", err))
		goto fail_msg;
	e->time = now_seconds();
	e->size = size;
	g_free(e->sha256);
	e->sha256 = g_steal_pointer(&sha);
	if (!q->ops->insert(q->ix, e, err))
		goto fail_msg;
	return MG_OK;
fail_msg:
	/* Take the file back so that no message is visible without its
	 * row; the fsync makes the removal as durable as the rename was. */
	unlinkat(q->msgfd, final, 0);
	fsync(q->msgfd);
	return MG_FAIL;
fail_tmp:
	if (out >= 0)
		close(out);
	unlinkat(q->tmpfd, tmpname, 0);
	return MG_FAIL;
}

enum mg_rc
mg_qstore_put(struct mg_qstore *q, int fd, struct mg_qentry *e, GError **err)
{
	gboolean generated = FALSE;
	enum mg_rc rc = MG_FAIL;
	int tries;

	g_return_val_if_fail(q != NULL && e != NULL, MG_FAIL);
	if (e->id == NULL) {
		e->id = mg_qstore_new_id();
		generated = TRUE;
	} else if (!check_id(e->id, err))
		return MG_FAIL;
	if (!lock_shared(q, err))
		return MG_FAIL;
	for (tries = 0; tries < ID_TRIES; tries++) {
		g_autoptr(GError) e1 = NULL;

		rc = put_locked(q, fd, e, &e1);
		if (rc == MG_OK || !generated ||
		    !g_error_matches(e1, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
			if (e1 != NULL)
				g_propagate_error(err, g_steal_pointer(&e1));
			break;
		}
		/* Our own random id collided: draw another. */
		g_free(e->id);
		e->id = mg_qstore_new_id();
	}
	if (rc != MG_OK && tries == ID_TRIES)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
		    "quarantine %s: no free id after %d tries", q->dir,
		    ID_TRIES);
	unlock_shared(q);
	return rc;
}

GPtrArray *
mg_qstore_list(struct mg_qstore *q, gint64 since, GError **err)
{
	g_return_val_if_fail(q != NULL, NULL);
	return q->ops->list(q->ix, since, err);
}

struct mg_qentry *
mg_qstore_get(struct mg_qstore *q, const char *id, GError **err)
{
	g_return_val_if_fail(q != NULL, NULL);
	if (!check_id(id, err))
		return NULL;
	return q->ops->get(q->ix, id, err);
}

int
mg_qstore_open_message(struct mg_qstore *q, const char *id, GError **err)
{
	g_autofree char *name = NULL;
	int fd;

	g_return_val_if_fail(q != NULL, -1);
	if (!check_id(id, err))
		return -1;
	name = g_strconcat(id, ".eml", NULL);
	fd = openat(q->msgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no quarantine entry %s", id);
		else
			set_errno_error(err, errno, q->dir, name, "open");
		return -1;
	}
	return fd;
}

/*
 * Remove the files of `ids`, then their rows in one transaction.  Files
 * first: a crash in between leaves rows without files, which the next
 * open removes; the other order would bring deleted mail back as
 * "recovered".  *files_r counts the files that existed.
 */
static gboolean
remove_locked(struct mg_qstore *q, const char *const *ids, guint n,
    guint *files_r, guint *rows_r, GError **err)
{
	guint i, files = 0;

	for (i = 0; i < n; i++) {
		g_autofree char *name = g_strconcat(ids[i], ".eml", NULL);

		if (unlinkat(q->msgfd, name, 0) == 0)
			files++;
		else if (errno != ENOENT)
			return set_errno_error(
			    err, errno, q->dir, name, "unlink");
	}
	if (files > 0 && !sync_dir(q, q->msgfd, "msg", err))
		return FALSE;
	if (files_r != NULL)
		*files_r = files;
	return q->ops->remove(q->ix, ids, n, rows_r, err);
}

gboolean
mg_qstore_delete(struct mg_qstore *q, const char *id, GError **err)
{
	guint files = 0, rows = 0;
	gboolean ok;

	g_return_val_if_fail(q != NULL, FALSE);
	if (!check_id(id, err))
		return FALSE;
	if (!lock_shared(q, err))
		return FALSE;
	ok = remove_locked(q, &id, 1, &files, &rows, err);
	unlock_shared(q);
	if (ok && files == 0 && rows == 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "no quarantine entry %s", id);
		return FALSE;
	}
	return ok;
}

gboolean
mg_qstore_purge(
    struct mg_qstore *q, gint64 before, guint *count_r, GError **err)
{
	guint total = 0;
	gboolean ok = TRUE, more = TRUE;

	g_return_val_if_fail(q != NULL, FALSE);
	if (count_r != NULL)
		*count_r = 0;
	/* In batches, so that neither memory nor one transaction grows
	 * with the store, and writers get the lock between batches. */
	while (ok && more) {
		g_autoptr(GPtrArray) ids = NULL;
		guint rows = 0;

		ids = q->ops->list_before(q->ix, before, PURGE_BATCH, err);
		if (ids == NULL)
			return FALSE;
		more = ids->len == PURGE_BATCH;
		if (ids->len == 0)
			break;
		if (!lock_shared(q, err))
			return FALSE;
		ok = remove_locked(q, (const char *const *)ids->pdata, ids->len,
		    NULL, &rows, err);
		unlock_shared(q);
		/* Rows another process removed meanwhile are not counted. */
		total += rows;
	}
	if (count_r != NULL)
		*count_r = total;
	return ok;
}
