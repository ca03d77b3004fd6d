/*
 * mg_qindex_sqlite.c - the quarantine index in one SQLite file,
 * <store>/index.sqlite, for a gateway on one machine.
 *
 * Several worker processes write to one index at once, so the database is
 * in WAL mode (readers never wait for the writer) with a busy timeout
 * (writers queue rather than fail), and synchronous=FULL so that a commit
 * that returned is on disk: the store reports a message as kept only after
 * its row is durable.  The file is created 0600 before SQLite opens it;
 * SQLite gives the -wal and -shm files the same mode.
 *
 * Untrusted input: every string of an entry (decoded headers, envelope).
 * They only ever reach SQLite as bound parameters.  The schema version is
 * kept in PRAGMA user_version; a newer index than this code knows is
 * refused rather than misread.
 *
 * Limits: none of its own; the store bounds what it hands in.  The caller
 * owns returned entries and arrays.  One connection per process (open it
 * after fork); calls from several threads are serialised by a mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "quarantine/mg_qindex.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000
#define BUSY_RETRY_US (10 * 1000)

struct mg_qindex {
	sqlite3 *db;
	char *path;
	GMutex lock;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS messages ("
    " id TEXT PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " disposition TEXT,"
    " sender TEXT,"
    " recipients TEXT,"
    " from_hdr TEXT,"
    " subject TEXT,"
    " message_id TEXT,"
    " reasons TEXT,"
    " report TEXT,"
    " size INTEGER NOT NULL,"
    " sha256 TEXT"
    ");"
    "CREATE INDEX IF NOT EXISTS messages_time ON messages(time);"
    "PRAGMA user_version = 1;";

#define ROW_COLUMNS                                                     \
	"id, time, disposition, sender, recipients, from_hdr, subject," \
	" message_id, reasons, report, size, sha256"

static void
set_db_error(GError **err, struct mg_qindex *ix, int rc, const char *what)
{
	GIOErrorEnum code = G_IO_ERROR_FAILED;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = G_IO_ERROR_BUSY;
	else if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		code = G_IO_ERROR_EXISTS;
	else if (rc == SQLITE_FULL)
		code = G_IO_ERROR_NO_SPACE;
	else if (rc == SQLITE_READONLY || rc == SQLITE_PERM)
		code = G_IO_ERROR_PERMISSION_DENIED;
	g_set_error(err, G_IO_ERROR, code, "quarantine index %s: %s: %s",
	    ix->path, what,
	    ix->db != NULL ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
}

static gboolean
exec(struct mg_qindex *ix, const char *sql, GError **err)
{
	int rc;

	rc = sqlite3_exec(ix->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, ix, rc, sql);
		return FALSE;
	}
	return TRUE;
}

static sqlite3_stmt *
prepare(struct mg_qindex *ix, const char *sql, GError **err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, ix, rc, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int
user_version(struct mg_qindex *ix, GError **err)
{
	sqlite3_stmt *st;
	int v = -1, rc;

	if ((st = prepare(ix, "PRAGMA user_version", err)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		set_db_error(err, ix, rc, "reading the schema version");
	sqlite3_finalize(st);
	return v;
}

/*
 * Bring the schema to SCHEMA_VERSION.  Two processes may open a new index
 * at the same moment; BEGIN IMMEDIATE makes the second wait, and it then
 * reads the version again inside its transaction.
 */
static gboolean
ensure_schema(struct mg_qindex *ix, GError **err)
{
	int v;

	if ((v = user_version(ix, err)) < 0)
		return FALSE;
	if (v == SCHEMA_VERSION)
		return TRUE;
	if (!exec(ix, "BEGIN IMMEDIATE", err))
		return FALSE;
	if ((v = user_version(ix, err)) < 0)
		goto fail;
	if (v > SCHEMA_VERSION) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "quarantine index %s: schema version %d is newer than "
		    "this program knows (%d)",
		    ix->path, v, SCHEMA_VERSION);
		goto fail;
	}
	if (v == 0 && !exec(ix, schema_sql, err))
		goto fail;
	if (!exec(ix, "COMMIT", err))
		goto fail;
	return TRUE;
fail:
	sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return FALSE;
}

/*
 * Create the database file ourselves so that its mode is 0600 whatever the
 * umask; SQLite would create it 0644 & ~umask.
 */
static gboolean
precreate(const char *path, GError **err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "quarantine index %s: %s", path, g_strerror(e));
		return FALSE;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
		int e = errno;

		close(fd);
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "quarantine index %s: chmod: %s", path, g_strerror(e));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/*
 * Step a statement that SQLite does not wait for by itself.  Switching a
 * new database to WAL needs an exclusive lock and fails at once with
 * SQLITE_BUSY, without the busy handler, when another process opens the
 * same new index at that moment; so wait here, as long as the busy
 * timeout would.
 */
static int
step_retry(sqlite3_stmt *st)
{
	gint64 deadline = g_get_monotonic_time() + BUSY_TIMEOUT_MS * 1000;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (g_get_monotonic_time() >= deadline)
			break;
		sqlite3_reset(st);
		g_usleep(BUSY_RETRY_US);
	}
	return rc;
}

static void
sqlite_close(struct mg_qindex *ix)
{
	if (ix == NULL)
		return;
	if (ix->db != NULL)
		sqlite3_close_v2(ix->db);
	g_mutex_clear(&ix->lock);
	g_free(ix->path);
	g_free(ix);
}

static struct mg_qindex *
sqlite_open(const char *store_dir, GError **err)
{
	struct mg_qindex *ix;
	sqlite3_stmt *st;
	int rc;

	ix = g_new0(struct mg_qindex, 1);
	g_mutex_init(&ix->lock);
	ix->path = g_build_filename(store_dir, "index.sqlite", NULL);
	if (!precreate(ix->path, err))
		goto fail;
	rc = sqlite3_open_v2(ix->path, &ix->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
	        SQLITE_OPEN_FULLMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		set_db_error(err, ix, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(ix->db, 0);
	/* Set first: changing the journal mode also needs the lock. */
	sqlite3_busy_timeout(ix->db, BUSY_TIMEOUT_MS);
	if ((st = prepare(ix, "PRAGMA journal_mode = WAL", err)) == NULL)
		goto fail;
	rc = step_retry(st);
	if (rc != SQLITE_ROW ||
	    g_ascii_strcasecmp(
	        (const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		if (rc == SQLITE_ROW)
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "quarantine index %s: cannot use WAL mode",
			    ix->path);
		else
			set_db_error(err, ix, rc, "journal_mode");
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (!exec(ix, "PRAGMA synchronous = FULL", err))
		goto fail;
	if (!ensure_schema(ix, err))
		goto fail;
	return ix;
fail:
	sqlite_close(ix);
	return NULL;
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static gboolean
sqlite_insert(struct mg_qindex *ix, const struct mg_qentry *e, GError **err)
{
	g_autofree char *rcpt = NULL, *reasons = NULL;
	sqlite3_stmt *st;
	gboolean ok = FALSE;
	int rc = SQLITE_OK;

	rcpt = mg_qindex_strv_to_json(e->recipients);
	reasons = mg_qindex_strv_to_json(e->reasons);
	g_mutex_lock(&ix->lock);
	st = prepare(ix,
	    "INSERT INTO messages (" ROW_COLUMNS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	    err);
	if (st == NULL)
		goto out;
	if ((rc = bind_text(st, 1, e->id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, e->time)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, e->disposition)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, e->sender)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, rcpt)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, e->from)) != SQLITE_OK ||
	    (rc = bind_text(st, 7, e->subject)) != SQLITE_OK ||
	    (rc = bind_text(st, 8, e->message_id)) != SQLITE_OK ||
	    (rc = bind_text(st, 9, reasons)) != SQLITE_OK ||
	    (rc = bind_text(st, 10, e->report_json)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 11, (sqlite3_int64)e->size)) !=
	        SQLITE_OK ||
	    (rc = bind_text(st, 12, e->sha256)) != SQLITE_OK) {
		set_db_error(err, ix, rc, "bind");
		goto out;
	}
	/* One statement in autocommit mode: one durable transaction. */
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		set_db_error(err, ix, rc, "insert");
		goto out;
	}
	ok = TRUE;
out:
	sqlite3_finalize(st);
	g_mutex_unlock(&ix->lock);
	return ok;
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? g_strdup((const char *)s) : NULL;
}

static struct mg_qentry *
row_to_entry(sqlite3_stmt *st)
{
	struct mg_qentry *e = g_new0(struct mg_qentry, 1);
	sqlite3_int64 size;

	e->id = column_dup(st, 0);
	e->time = sqlite3_column_int64(st, 1);
	e->disposition = column_dup(st, 2);
	e->sender = column_dup(st, 3);
	e->recipients =
	    mg_qindex_json_to_strv((const char *)sqlite3_column_text(st, 4));
	e->from = column_dup(st, 5);
	e->subject = column_dup(st, 6);
	e->message_id = column_dup(st, 7);
	e->reasons =
	    mg_qindex_json_to_strv((const char *)sqlite3_column_text(st, 8));
	e->report_json = column_dup(st, 9);
	size = sqlite3_column_int64(st, 10);
	e->size = size > 0 ? (guint64)size : 0;
	e->sha256 = column_dup(st, 11);
	return e;
}

static struct mg_qentry *
sqlite_get(struct mg_qindex *ix, const char *id, GError **err)
{
	struct mg_qentry *e = NULL;
	sqlite3_stmt *st;
	int rc;

	g_mutex_lock(&ix->lock);
	st = prepare(
	    ix, "SELECT " ROW_COLUMNS " FROM messages WHERE id = ?1", err);
	if (st == NULL)
		goto out;
	if ((rc = bind_text(st, 1, id)) != SQLITE_OK) {
		set_db_error(err, ix, rc, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = row_to_entry(st);
	else if (rc == SQLITE_DONE)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "no quarantine entry %s", id);
	else
		set_db_error(err, ix, rc, "select");
out:
	sqlite3_finalize(st);
	g_mutex_unlock(&ix->lock);
	return e;
}

static int
sqlite_exists(struct mg_qindex *ix, const char *id, GError **err)
{
	sqlite3_stmt *st;
	int rc, found = -1;

	g_mutex_lock(&ix->lock);
	st = prepare(ix, "SELECT 1 FROM messages WHERE id = ?1", err);
	if (st == NULL)
		goto out;
	if ((rc = bind_text(st, 1, id)) != SQLITE_OK) {
		set_db_error(err, ix, rc, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		found = 1;
	else if (rc == SQLITE_DONE)
		found = 0;
	else
		set_db_error(err, ix, rc, "select");
out:
	sqlite3_finalize(st);
	g_mutex_unlock(&ix->lock);
	return found;
}

static GPtrArray *
sqlite_list(struct mg_qindex *ix, gint64 since, GError **err)
{
	GPtrArray *a = NULL;
	sqlite3_stmt *st;
	int rc;

	g_mutex_lock(&ix->lock);
	st = prepare(ix,
	    "SELECT " ROW_COLUMNS " FROM messages WHERE time >= ?1"
	    " ORDER BY time DESC, id DESC",
	    err);
	if (st == NULL)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, since)) != SQLITE_OK) {
		set_db_error(err, ix, rc, "bind");
		goto out;
	}
	a = g_ptr_array_new_with_free_func((GDestroyNotify)mg_qentry_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(a, row_to_entry(st));
	if (rc != SQLITE_DONE) {
		set_db_error(err, ix, rc, "select");
		g_ptr_array_unref(a);
		a = NULL;
	}
out:
	sqlite3_finalize(st);
	g_mutex_unlock(&ix->lock);
	return a;
}

static GPtrArray *
sqlite_list_before(
    struct mg_qindex *ix, gint64 before, guint limit, GError **err)
{
	GPtrArray *a = NULL;
	sqlite3_stmt *st;
	int rc;

	g_mutex_lock(&ix->lock);
	/* LIMIT -1 is SQLite's "no limit". */
	st = prepare(ix,
	    "SELECT id FROM messages WHERE time < ?1"
	    " ORDER BY time, id LIMIT ?2",
	    err);
	if (st == NULL)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, before)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(
	         st, 2, limit > 0 ? (sqlite3_int64)limit : -1)) != SQLITE_OK) {
		set_db_error(err, ix, rc, "bind");
		goto out;
	}
	a = g_ptr_array_new_with_free_func(g_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(a, column_dup(st, 0));
	if (rc != SQLITE_DONE) {
		set_db_error(err, ix, rc, "select");
		g_ptr_array_unref(a);
		a = NULL;
	}
out:
	sqlite3_finalize(st);
	g_mutex_unlock(&ix->lock);
	return a;
}

static gboolean
sqlite_remove(struct mg_qindex *ix, const char *const *ids, guint n,
    guint *removed_r, GError **err)
{
	sqlite3_stmt *st = NULL;
	gboolean ok = FALSE, in_tx = FALSE;
	guint removed = 0, i;
	int rc;

	if (removed_r != NULL)
		*removed_r = 0;
	if (n == 0)
		return TRUE;
	g_mutex_lock(&ix->lock);
	/* IMMEDIATE: take the write lock now, so the busy timeout applies
	 * here and not to a later upgrade that SQLite cannot wait for. */
	if (!exec(ix, "BEGIN IMMEDIATE", err))
		goto out;
	in_tx = TRUE;
	st = prepare(ix, "DELETE FROM messages WHERE id = ?1", err);
	if (st == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = bind_text(st, 1, ids[i])) != SQLITE_OK) {
			set_db_error(err, ix, rc, "bind");
			goto out;
		}
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			set_db_error(err, ix, rc, "delete");
			goto out;
		}
		removed += (guint)sqlite3_changes(ix->db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!exec(ix, "COMMIT", err))
		goto out;
	in_tx = FALSE;
	if (removed_r != NULL)
		*removed_r = removed;
	ok = TRUE;
out:
	sqlite3_finalize(st);
	if (in_tx)
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	g_mutex_unlock(&ix->lock);
	return ok;
}

const struct mg_qindex_ops mg_qindex_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .insert = sqlite_insert,
    .get = sqlite_get,
    .exists = sqlite_exists,
    .list = sqlite_list,
    .list_before = sqlite_list_before,
    .remove = sqlite_remove,
};
