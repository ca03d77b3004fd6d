/*
 * mg_audit.c - the tamper-evident audit log: append records to a SHA-256
 * hash chain of JSON lines, keep its head file, verify and tail it.  The
 * file layout, the guarantees and their limits are described in
 * mg_audit.h.
 *
 * Untrusted input: the caller's record (strings from mail, repaired to
 * UTF-8 here); and, for verify, tail and the reload of the last record
 * before an append, the log and head files themselves, which an attacker
 * may have edited.  Limits checked: a line is at most MG_AUDIT_MAX_LINE
 * bytes (appends refuse longer records, readers stop at longer lines),
 * JSON nesting at most MG_AUDIT_MAX_DEPTH (checked before json-glib sees
 * a line, since its parser recurses once per level), the head file at
 * most HEAD_MAX bytes, and backwards reads at most TAIL_MAX_BYTES.
 *
 * The caller owns the record passed to append (it is copied, not
 * changed) and the array returned by mg_audit_tail().
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "quarantine/mg_audit.h"
#include "util/mg_util.h"

#define HASH_HEX_LEN 64
#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* A head file is one short JSON line; anything longer is not ours. */
#define HEAD_MAX 4096
/* First window read backwards from the end; doubled as needed. */
#define TAIL_WINDOW (64 * 1024)
/* Most bytes `tail` reads backwards, whatever the line count. */
#define TAIL_MAX_BYTES ((gsize)256 * 1024 * 1024)
/* Sequential reads in verify. */
#define READ_CHUNK (64 * 1024)

struct mg_audit {
	char *path;
	char *head_path;
	char *head_tmp;
	char *lock_path;
	char *dir_path;
	int fd;      /* the log, O_RDWR | O_APPEND */
	int lock_fd; /* PATH.lock */
	int dir_fd;  /* for fsync after the head's rename */
	pid_t pid;   /* that opened the descriptors */
	gboolean sync;
	/*
	 * The chain's state as of this handle's last look.  It stays valid
	 * while the log is the same file with the same size and mtime;
	 * otherwise another process appended (or the file was rotated or
	 * truncated) and the tail is read again.
	 */
	gboolean known;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	guint64 seq;                 /* of the last record; 0: none */
	char hash[HASH_HEX_LEN + 1]; /* of the last line; zeros: none */
};

GQuark
mg_audit_error_quark(void)
{
	return g_quark_from_static_string("mg-audit-error-quark");
}

/* ---- small helpers ---- */

static void
set_errno_error(GError **err, int e, const char *what, const char *path)
{
	g_autofree char *p = mg_printable(path, -1, 0);

	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e), "%s %s: %s",
	    what, p, g_strerror(e));
}

/* MG_AUDIT_ERROR_BROKEN "<what> <path> <rest>", the path escaped. */
static void
set_path_error(GError **err, int code, const char *what, const char *path,
    const char *rest)
{
	g_autofree char *p = mg_printable(path, -1, 0);

	g_set_error(err, MG_AUDIT_ERROR, code, "%s%s%s", what, p, rest);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static gboolean
is_hash_hex(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != HASH_HEX_LEN)
		return FALSE;
	for (i = 0; i < HASH_HEX_LEN; i++)
		if (!g_ascii_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return FALSE;
	return TRUE;
}

static void
line_hash(const char *line, gsize len, char out[HASH_HEX_LEN + 1])
{
	g_autofree char *h = mg_sha256_hex(line, len);

	g_strlcpy(out, h, HASH_HEX_LEN + 1);
}

/* pread(2) exactly `len` bytes at `off`, or fail (a file that shrank
 * under us reads short: reported as an I/O error). */
static gboolean
pread_all(
    int fd, void *buf, gsize len, off_t off, const char *path, GError **err)
{
	gsize done = 0;
	ssize_t r;

	while (done < len) {
		r = pread(
		    fd, (char *)buf + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_errno_error(err, errno, "reading", path);
			return FALSE;
		}
		if (r == 0) {
			set_errno_error(
			    err, EIO, "reading (file shrank)", path);
			return FALSE;
		}
		done += (gsize)r;
	}
	return TRUE;
}

/* The last newline in buf[0..len), or NULL (memrchr is a GNU
 * extension). */
static char *
last_nl(char *buf, gsize len)
{
	while (len > 0)
		if (buf[--len] == '\n')
			return buf + len;
	return NULL;
}

static gboolean
write_all(int fd, const char *buf, gsize len, const char *path, GError **err)
{
	gsize done = 0;
	ssize_t r;

	while (done < len) {
		r = write(fd, buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			set_errno_error(
			    err, r < 0 ? errno : ENOSPC, "writing", path);
			return FALSE;
		}
		done += (gsize)r;
	}
	return TRUE;
}

static gboolean
lock_fd(int fd, int op, const char *path, GError **err)
{
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		set_errno_error(err, errno, "locking", path);
		return FALSE;
	}
	return TRUE;
}

static void
unlock_fd(int fd)
{
	(void)flock(fd, LOCK_UN);
}

/*
 * The deepest nesting of arrays and objects in a JSON text, counted
 * outside strings, stopping once past `limit`.  json-glib's parser
 * recurses once per level, so a line of a million "[" would exhaust the
 * stack: lines deeper than the limit are refused before parsing.
 */
static guint
json_depth(const char *s, gsize len, guint limit)
{
	gboolean in_string = FALSE, escaped = FALSE;
	guint depth = 0, max = 0;
	gsize i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (escaped)
				escaped = FALSE;
			else if (c == '\\')
				escaped = TRUE;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
			if (max > limit)
				return max;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

/*
 * Check one line as a record: a JSON object (at most MG_AUDIT_MAX_DEPTH
 * + 1 deep: the record's own object is one level) with a positive
 * integer seq, a string time and a prev of 64 lower-case hex digits.
 * FALSE and *why (a phrase) when it is not.
 */
static gboolean
parse_record(JsonParser *p, const char *line, gsize len, guint64 *seq_r,
    char prev_r[HASH_HEX_LEN + 1], const char **why)
{
	JsonObject *o;
	JsonNode *root, *n;
	gint64 seq;

	if (len == 0) {
		*why = "empty line";
		return FALSE;
	}
	if (json_depth(line, len, MG_AUDIT_MAX_DEPTH + 1) >
	    MG_AUDIT_MAX_DEPTH + 1) {
		*why = "nested too deeply";
		return FALSE;
	}
	if (!g_utf8_validate(line, (gssize)len, NULL)) {
		*why = "not valid UTF-8";
		return FALSE;
	}
	if (!json_parser_load_from_data(p, line, (gssize)len, NULL) ||
	    (root = json_parser_get_root(p)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		*why = "not a JSON object";
		return FALSE;
	}
	o = json_node_get_object(root);
	n = json_object_get_member(o, "seq");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64) {
		*why = "no integer seq";
		return FALSE;
	}
	if ((seq = json_node_get_int(n)) <= 0) {
		*why = "seq is not positive";
		return FALSE;
	}
	n = json_object_get_member(o, "time");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING) {
		*why = "no time";
		return FALSE;
	}
	n = json_object_get_member(o, "prev");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING ||
	    !is_hash_hex(json_node_get_string(n))) {
		*why = "prev is not a SHA-256 in lower-case hex";
		return FALSE;
	}
	*seq_r = (guint64)seq;
	g_strlcpy(prev_r, json_node_get_string(n), HASH_HEX_LEN + 1);
	return TRUE;
}

/* ---- the head file ---- */

/*
 * Read PATH.head.  TRUE with *exists FALSE when there is none; FALSE and
 * MG_AUDIT_ERROR_BROKEN when it is not a head file, G_IO_ERROR when it
 * cannot be read.
 */
static gboolean
read_head(const char *head_path, gboolean *exists, guint64 *seq_r,
    char hash_r[HASH_HEX_LEN + 1], GError **err)
{
	g_autoptr(JsonParser) p = NULL;
	char buf[HEAD_MAX + 1];
	gsize len = 0;
	ssize_t r;
	JsonNode *root, *n;
	JsonObject *o;
	int fd;

	*exists = FALSE;
	fd = open(head_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return TRUE;
	if (fd < 0) {
		set_errno_error(err, errno, "opening", head_path);
		return FALSE;
	}
	while (len < sizeof buf) {
		r = read(fd, buf + len, sizeof buf - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_errno_error(err, errno, "reading", head_path);
			close(fd);
			return FALSE;
		}
		if (r == 0)
			break;
		len += (gsize)r;
	}
	close(fd);
	*exists = TRUE;
	p = json_parser_new();
	if (len > HEAD_MAX || len == 0 || buf[len - 1] != '\n' ||
	    json_depth(buf, len, 2) > 1 ||
	    !g_utf8_validate(buf, (gssize)len, NULL) ||
	    !json_parser_load_from_data(p, buf, (gssize)len, NULL) ||
	    (root = json_parser_get_root(p)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root))
		goto bad;
	o = json_node_get_object(root);
	n = json_object_get_member(o, "seq");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) <= 0)
		goto bad;
	*seq_r = (guint64)json_node_get_int(n);
	n = json_object_get_member(o, "sha256");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING ||
	    !is_hash_hex(json_node_get_string(n)))
		goto bad;
	g_strlcpy(hash_r, json_node_get_string(n), HASH_HEX_LEN + 1);
	return TRUE;
bad:
	set_path_error(err, MG_AUDIT_ERROR_BROKEN, "head file ", head_path,
	    " is not valid");
	return FALSE;
}

/* Replace PATH.head atomically: temp file, fsync, rename, fsync dir. */
static gboolean
write_head(struct mg_audit *a, GError **err)
{
	g_autofree char *text = g_strdup_printf("{\"seq\":%" G_GUINT64_FORMAT
	                                        ",\"sha256\":\"%s\"}\n",
	    a->seq, a->hash);
	int fd;

	fd = open(a->head_tmp,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		set_errno_error(err, errno, "creating", a->head_tmp);
		return FALSE;
	}
	if (!write_all(fd, text, strlen(text), a->head_tmp, err))
		goto fail;
	if (a->sync && fsync(fd) < 0) {
		set_errno_error(err, errno, "syncing", a->head_tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		set_errno_error(err, errno, "closing", a->head_tmp);
		goto fail;
	}
	fd = -1;
	if (rename(a->head_tmp, a->head_path) < 0) {
		set_errno_error(err, errno, "renaming to", a->head_path);
		goto fail;
	}
	/* Without this a crash could bring back an older head while the
	 * log's records are durable: a log more than one record ahead of
	 * its head, which the next open would refuse. */
	if (a->sync && fsync(a->dir_fd) < 0) {
		set_errno_error(err, errno, "syncing", a->dir_path);
		return FALSE;
	}
	return TRUE;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(a->head_tmp);
	return FALSE;
}

/* ---- reading backwards ---- */

/*
 * Read the end of a file of `size` bytes until the bytes read hold `n`
 * complete lines (each ending in "\n" and starting after a "\n" or at
 * the start of the file) or the whole file; at most `cap` bytes.  The
 * complete lines found, up to `n` of them, go to `lines` (oldest first,
 * without newlines); the bytes after the last newline to `partial`.
 */
static gboolean
read_tail(int fd, off_t size, guint n, gsize cap, const char *path,
    GPtrArray *lines, GString *partial, GError **err)
{
	g_autofree char *buf = NULL;
	gsize window = MIN((gsize)size, (gsize)TAIL_WINDOW);
	gsize end, start, found;
	gboolean whole;
	char *nl;

	g_string_truncate(partial, 0);
	for (;;) {
		g_free(buf);
		buf = g_malloc(window + 1);
		if (!pread_all(
		        fd, buf, window, size - (off_t)window, path, err))
			return FALSE;
		whole = window == (gsize)size;
		/* The partial last line: everything after the last "\n". */
		nl = last_nl(buf, window);
		end = nl == NULL ? 0 : (gsize)(nl - buf);
		if (nl == NULL && !whole)
			goto more;
		if (nl == NULL) {
			if (window > MG_AUDIT_MAX_LINE)
				goto too_long;
			g_string_append_len(partial, buf, (gssize)window);
			return TRUE;
		}
		if (window - end - 1 > MG_AUDIT_MAX_LINE)
			goto too_long;
		/* Count complete lines backwards from `end`. */
		found = 0;
		while (found < n) {
			nl = end == 0 ? NULL : last_nl(buf, end);
			if (nl == NULL && !whole)
				break;
			start = nl == NULL ? 0 : (gsize)(nl - buf) + 1;
			if (end - start > MG_AUDIT_MAX_LINE)
				goto too_long;
			found++;
			if (nl == NULL)
				break;
			end = start - 1;
		}
		if (found == n || whole)
			break;
	more:
		/* For one line the cap is two lines' limit, so reaching it
		 * means a line too long; for more, too many bytes. */
		if (window >= cap && n == 1)
			goto too_long;
		if (window >= cap)
			goto too_far;
		window = MIN(MIN(window * 2, cap), (gsize)size);
	}
	/* Collect them, oldest first: walk forwards from the earliest. */
	nl = last_nl(buf, window);
	g_string_append_len(
	    partial, nl + 1, (gssize)(window - (gsize)(nl - buf) - 1));
	{
		g_autoptr(GPtrArray) rev = g_ptr_array_new();
		guint i;

		end = (gsize)(nl - buf);
		while (rev->len < n) {
			nl = end == 0 ? NULL : last_nl(buf, end);
			if (nl == NULL && !whole)
				break;
			start = nl == NULL ? 0 : (gsize)(nl - buf) + 1;
			g_ptr_array_add(
			    rev, g_strndup(buf + start, end - start));
			if (nl == NULL)
				break;
			end = start - 1;
		}
		for (i = rev->len; i > 0; i--)
			g_ptr_array_add(lines, rev->pdata[i - 1]);
	}
	return TRUE;
too_long:
	set_path_error(err, MG_AUDIT_ERROR_BROKEN, "", path,
	    ": a line at the end is longer than the limit (1 MiB)");
	return FALSE;
too_far:
	g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	    "the last %u lines are more than %" G_GSIZE_FORMAT " bytes: "
	    "ask for fewer",
	    n, cap);
	return FALSE;
}

GPtrArray *
mg_audit_tail(const char *path, guint n, GError **err)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) partial = g_string_new(NULL);
	struct stat st;
	int fd;

	n = MIN(n, MG_AUDIT_MAX_TAIL);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		set_errno_error(err, errno, "opening", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		set_errno_error(err, errno, "reading", path);
		close(fd);
		return NULL;
	}
	if (n > 0 && st.st_size > 0 &&
	    !read_tail(
	        fd, st.st_size, n, TAIL_MAX_BYTES, path, lines, partial, err)) {
		close(fd);
		return NULL;
	}
	close(fd);
	if (partial->len > 0) {
		/* A partial last line counts as one of the n. */
		if (lines->len == n && n > 0)
			g_ptr_array_remove_index(lines, 0);
		g_ptr_array_add(lines, g_strndup(partial->str, partial->len));
	}
	return g_steal_pointer(&lines);
}

/* ---- the appender ---- */

static gboolean
open_log(struct mg_audit *a, GError **err)
{
	close_fd(&a->fd);
	a->fd = open(a->path,
	    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->fd < 0) {
		set_errno_error(err, errno, "opening", a->path);
		return FALSE;
	}
	a->known = FALSE;
	return TRUE;
}

static gboolean
open_files(struct mg_audit *a, GError **err)
{
	close_fd(&a->lock_fd);
	close_fd(&a->dir_fd);
	a->lock_fd =
	    open(a->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->lock_fd < 0) {
		set_errno_error(err, errno, "opening", a->lock_path);
		return FALSE;
	}
	a->dir_fd = open(a->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dir_fd < 0) {
		set_errno_error(err, errno, "opening", a->dir_path);
		return FALSE;
	}
	if (!open_log(a, err))
		return FALSE;
	a->pid = getpid();
	return TRUE;
}

static void
note_file(struct mg_audit *a, const struct stat *st)
{
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->mtime = st->st_mtim;
}

static void refuse(struct mg_audit *a, GError **err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void
refuse(struct mg_audit *a, GError **err, const char *fmt, ...)
{
	g_autofree char *what = NULL, *p = mg_printable(a->path, -1, 0);
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN,
	    "audit log %s: %s; not appending: run 'mugaika audit verify', "
	    "keep the log and its head as evidence and move them aside",
	    p, what);
}

/*
 * Read the chain's state from the log's last record and check it
 * against the head (see "Crashes" in mg_audit.h).  Called with the lock
 * held.
 */
static gboolean
reload(struct mg_audit *a, const struct stat *st, GError **err)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) partial = g_string_new(NULL);
	g_autoptr(JsonParser) p = NULL;
	char hhash[HASH_HEX_LEN + 1], lhash[HASH_HEX_LEN + 1];
	char lprev[HASH_HEX_LEN + 1];
	guint64 hseq = 0, lseq = 0;
	gboolean hexists;
	const char *why;
	struct stat st2;

	if (!read_head(a->head_path, &hexists, &hseq, hhash, err))
		return FALSE;
	if (st->st_size > 0 &&
	    !read_tail(a->fd, st->st_size, 1, 2 * (MG_AUDIT_MAX_LINE + 1),
	        a->path, lines, partial, err))
		return FALSE;
	if (lines->len == 0) {
		/* An empty log (new, or just rotated) or one holding only a
		 * torn first record: the chain goes on from the head. */
		lseq = hexists ? hseq : 0;
		g_strlcpy(lhash, hexists ? hhash : ZERO_HASH, sizeof lhash);
	} else {
		const char *line = lines->pdata[0];

		p = json_parser_new();
		if (!parse_record(p, line, strlen(line), &lseq, lprev, &why)) {
			refuse(a, err, "the last complete line is %s", why);
			return FALSE;
		}
		line_hash(line, strlen(line), lhash);
		if (!hexists) {
			/* Only a crash before the first head was written. */
			if (lseq != 1) {
				refuse(a, err,
				    "head file missing, and the last record "
				    "is seq %" G_GUINT64_FORMAT,
				    lseq);
				return FALSE;
			}
		} else if (lseq == hseq && strcmp(lhash, hhash) == 0) {
			/* The normal case. */
		} else if (lseq == hseq + 1 && strcmp(lprev, hhash) == 0) {
			/* A crash between the log's write and the head's
			 * rename; the next append writes the head. */
		} else {
			refuse(a, err,
			    "the last record is seq %" G_GUINT64_FORMAT
			    " but the head file says seq %" G_GUINT64_FORMAT
			    "%s",
			    lseq, hseq,
			    lseq == hseq ? " with another hash" : "");
			return FALSE;
		}
	}
	if (partial->len > 0) {
		/* A record torn by a crash: it was never acknowledged (the
		 * head was not written after it), so cut it off. */
		if (ftruncate(a->fd, st->st_size - (off_t)partial->len) < 0) {
			set_errno_error(err, errno, "truncating", a->path);
			return FALSE;
		}
		if (a->sync && fsync(a->fd) < 0) {
			set_errno_error(err, errno, "syncing", a->path);
			return FALSE;
		}
	}
	if (fstat(a->fd, &st2) < 0) {
		set_errno_error(err, errno, "reading", a->path);
		return FALSE;
	}
	note_file(a, &st2);
	a->seq = lseq;
	memcpy(a->hash, lhash, sizeof a->hash);
	a->known = TRUE;
	return TRUE;
}

/*
 * With the lock held: make sure the handle writes to the file now at
 * PATH (logrotate may have renamed ours away) and knows its last record.
 */
static gboolean
sync_state(struct mg_audit *a, GError **err)
{
	struct stat st, pst;

	if (stat(a->path, &pst) < 0) {
		if (errno != ENOENT) {
			set_errno_error(err, errno, "reading", a->path);
			return FALSE;
		}
		if (!open_log(a, err))
			return FALSE;
	}
	if (fstat(a->fd, &st) < 0) {
		set_errno_error(err, errno, "reading", a->path);
		return FALSE;
	}
	if (st.st_dev != pst.st_dev || st.st_ino != pst.st_ino) {
		/* Rotated (or just created above). */
		if (!open_log(a, err))
			return FALSE;
		if (fstat(a->fd, &st) < 0) {
			set_errno_error(err, errno, "reading", a->path);
			return FALSE;
		}
	}
	if (a->known && st.st_dev == a->dev && st.st_ino == a->ino &&
	    st.st_size == a->size && st.st_mtim.tv_sec == a->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == a->mtime.tv_nsec)
		return TRUE;
	return reload(a, &st, err);
}

struct mg_audit *
mg_audit_open(const char *path, gboolean sync, GError **err)
{
	struct mg_audit *a = g_new0(struct mg_audit, 1);
	gboolean ok;

	a->fd = a->lock_fd = a->dir_fd = -1;
	a->sync = sync;
	a->path = g_strdup(path);
	a->head_path = g_strconcat(path, ".head", NULL);
	a->head_tmp = g_strconcat(path, ".head.tmp", NULL);
	a->lock_path = g_strconcat(path, ".lock", NULL);
	a->dir_path = g_path_get_dirname(path);
	memcpy(a->hash, ZERO_HASH, sizeof a->hash);
	if (!open_files(a, err) || !lock_fd(a->lock_fd, LOCK_EX, path, err))
		goto fail;
	ok = sync_state(a, err);
	unlock_fd(a->lock_fd);
	if (ok)
		return a;
fail:
	mg_audit_close(a);
	return NULL;
}

void
mg_audit_close(struct mg_audit *a)
{
	if (a == NULL)
		return;
	close_fd(&a->fd);
	close_fd(&a->lock_fd);
	close_fd(&a->dir_fd);
	g_free(a->path);
	g_free(a->head_path);
	g_free(a->head_tmp);
	g_free(a->lock_path);
	g_free(a->dir_path);
	g_free(a);
}

guint64
mg_audit_last_seq(const struct mg_audit *a)
{
	return a->seq;
}

/*
 * A copy of a record's value with every string (member names too) made
 * valid UTF-8, so the generator writes valid JSON, and non-finite
 * numbers, which JSON cannot carry, made null.
 */
static JsonNode *
copy_node(JsonNode *n, guint depth, GError **err)
{
	JsonNode *out;

	if (depth > MG_AUDIT_MAX_DEPTH) {
		g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD,
		    "record nested deeper than %d levels", MG_AUDIT_MAX_DEPTH);
		return NULL;
	}
	switch (json_node_get_node_type(n)) {
	case JSON_NODE_OBJECT: {
		JsonObject *o = json_node_get_object(n), *c = json_object_new();
		GList *names = json_object_get_members(o), *l;

		out = json_node_init_object(json_node_alloc(), c);
		json_object_unref(c);
		for (l = names; l != NULL; l = l->next) {
			JsonNode *v = copy_node(
			    json_object_get_member(o, l->data), depth + 1, err);
			g_autofree char *name = g_utf8_make_valid(l->data, -1);

			if (v == NULL) {
				g_list_free(names);
				json_node_unref(out);
				return NULL;
			}
			json_object_set_member(c, name, v);
		}
		g_list_free(names);
		return out;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *a = json_node_get_array(n), *c = json_array_new();
		guint i, len = json_array_get_length(a);

		out = json_node_init_array(json_node_alloc(), c);
		json_array_unref(c);
		for (i = 0; i < len; i++) {
			JsonNode *v = copy_node(
			    json_array_get_element(a, i), depth + 1, err);

			if (v == NULL) {
				json_node_unref(out);
				return NULL;
			}
			json_array_add_element(c, v);
		}
		return out;
	}
	case JSON_NODE_VALUE:
		if (json_node_get_value_type(n) == G_TYPE_STRING) {
			g_autofree char *s =
			    g_utf8_make_valid(json_node_get_string(n), -1);

			return json_node_init_string(json_node_alloc(), s);
		}
		if (json_node_get_value_type(n) == G_TYPE_DOUBLE &&
		    !isfinite(json_node_get_double(n)))
			return json_node_init_null(json_node_alloc());
		return json_node_copy(n);
	case JSON_NODE_NULL:
	default:
		return json_node_init_null(json_node_alloc());
	}
}

/* The record's line, without the newline: seq, time, prev first. */
static char *
format_line(struct mg_audit *a, JsonObject *record, gsize *len_r, GError **err)
{
	static const char *const reserved[] = {"seq", "time", "prev"};
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *time =
	    g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
	g_autoptr(JsonGenerator) gen = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) copy = NULL;
	JsonObject *o = json_object_new(), *c;
	GList *names, *l;
	char *line;
	gsize i;

	root = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	for (i = 0; i < G_N_ELEMENTS(reserved); i++) {
		if (json_object_has_member(record, reserved[i])) {
			g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD,
			    "record has a member \"%s\", which the audit log "
			    "sets itself",
			    reserved[i]);
			return NULL;
		}
	}
	json_object_set_int_member(o, "seq", (gint64)(a->seq + 1));
	json_object_set_string_member(o, "time", time);
	json_object_set_string_member(o, "prev", a->hash);
	{
		JsonNode *rn = json_node_init_object(json_node_alloc(), record);

		copy = copy_node(rn, 1, err);
		json_node_unref(rn);
	}
	if (copy == NULL)
		return NULL;
	c = json_node_get_object(copy);
	names = json_object_get_members(c);
	for (l = names; l != NULL; l = l->next) {
		/* A name repaired to UTF-8 could now collide with ours. */
		if (json_object_has_member(o, l->data))
			continue;
		json_object_set_member(o, l->data,
		    json_node_copy(json_object_get_member(c, l->data)));
	}
	g_list_free(names);
	gen = json_generator_new();
	json_generator_set_root(gen, root);
	line = json_generator_to_data(gen, len_r);
	/* JSON escapes every control character in strings and the
	 * compact generator adds no whitespace, so there is no newline;
	 * checked all the same, since a record split over two lines would
	 * break verification for good. */
	if (memchr(line, '\n', *len_r) != NULL ||
	    !g_utf8_validate(line, (gssize)*len_r, NULL)) {
		g_free(line);
		g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD,
		    "record does not serialise to one line of UTF-8");
		return NULL;
	}
	if (*len_r > MG_AUDIT_MAX_LINE) {
		g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD,
		    "record of %" G_GSIZE_FORMAT " bytes is longer than %d",
		    *len_r, MG_AUDIT_MAX_LINE);
		g_free(line);
		return NULL;
	}
	return line;
}

/* Write the line with one write(2); undo a short write. */
static gboolean
write_record(struct mg_audit *a, const char *buf, gsize len, GError **err)
{
	ssize_t r;

	do {
		r = write(a->fd, buf, len);
	} while (r < 0 && errno == EINTR);
	if (r == (ssize_t)len)
		return TRUE;
	if (r < 0) {
		set_errno_error(err, errno, "appending to", a->path);
	} else {
		g_autofree char *p = mg_printable(a->path, -1, 0);

		/* ENOSPC or RLIMIT_FSIZE after part of the line. */
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
		    "appending to %s: short write (%" G_GSSIZE_FORMAT
		    " of %" G_GSIZE_FORMAT " bytes)",
		    p, r, len);
	}
	/* Cut off whatever part of the record reached the file, so the
	 * next append does not glue its line onto it.  Under the lock the
	 * log ended at a->size before this write. */
	if (r > 0 && ftruncate(a->fd, a->size) < 0) {
		/* The reload before the next append repairs or refuses. */
		a->known = FALSE;
	}
	return FALSE;
}

gboolean
mg_audit_append(struct mg_audit *a, JsonObject *record, GError **err)
{
	g_autofree char *line = NULL;
	gboolean ok = FALSE;
	struct stat st;
	gsize len;

	if (a->pid != getpid() && !open_files(a, err))
		return FALSE;
	if (!lock_fd(a->lock_fd, LOCK_EX, a->lock_path, err))
		return FALSE;
	if (!sync_state(a, err))
		goto out;
	if ((line = format_line(a, record, &len, err)) == NULL)
		goto out;
	/* The newline goes in the same write: a record is whole or not at
	 * all (json_generator_to_data's buffer has room for the NUL). */
	line[len] = '\n';
	if (!write_record(a, line, len + 1, err))
		goto out;
	line[len] = '\0';
	a->seq++;
	line_hash(line, len, a->hash);
	if (a->sync && fsync(a->fd) < 0) {
		set_errno_error(err, errno, "syncing", a->path);
		/* Whether the record is durable is unknown: look again. */
		a->known = FALSE;
		goto out;
	}
	if (fstat(a->fd, &st) < 0) {
		set_errno_error(err, errno, "reading", a->path);
		a->known = FALSE;
		goto out;
	}
	note_file(a, &st);
	ok = write_head(a, err);
out:
	unlock_fd(a->lock_fd);
	return ok;
}

/* ---- verification ---- */

/* Lines of a file up to a fixed size, read forwards. */
struct reader {
	int fd;
	off_t left; /* bytes not yet read */
	char *buf;
	gsize pos, len;
};

enum line_end { LINE_OK, LINE_EOF, LINE_NO_NEWLINE, LINE_TOO_LONG };

static enum line_end
next_line(struct reader *r, GString *line, const char *path, GError **err,
    gboolean *io_error)
{
	char *nl;
	ssize_t n;
	gsize take;

	g_string_truncate(line, 0);
	for (;;) {
		if (r->pos < r->len) {
			nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
			take = nl == NULL ? r->len - r->pos
			                  : (gsize)(nl - (r->buf + r->pos));
			if (line->len + take > MG_AUDIT_MAX_LINE)
				return LINE_TOO_LONG;
			g_string_append_len(
			    line, r->buf + r->pos, (gssize)take);
			r->pos += take;
			if (nl != NULL) {
				r->pos++;
				return LINE_OK;
			}
		}
		if (r->left == 0)
			return line->len == 0 ? LINE_EOF : LINE_NO_NEWLINE;
		n = read(r->fd, r->buf, (gsize)MIN(r->left, READ_CHUNK));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_errno_error(err, n < 0 ? errno : EIO,
			    n < 0 ? "reading" : "reading (file shrank)", path);
			*io_error = TRUE;
			return LINE_EOF;
		}
		r->pos = 0;
		r->len = (gsize)n;
		r->left -= n;
	}
}

/* The chain as seen so far, across files. */
struct chain {
	gboolean any; /* a record was seen */
	guint64 seq;  /* of the last record */
	char hash[HASH_HEX_LEN + 1];
	const char *file; /* holding the last record */
	guint64 line_no;  /* of the last record in its file */
};

static void broken(GError **err, gboolean multi, const char *path,
    guint64 line_no, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
broken(GError **err, gboolean multi, const char *path, guint64 line_no,
    const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (multi)
		g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN,
		    "%s: line %" G_GUINT64_FORMAT ": %s", path, line_no, what);
	else
		g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN,
		    "line %" G_GUINT64_FORMAT ": %s", line_no, what);
}

/* Check one file's lines, continuing the chain `c`. */
static gboolean
verify_file(int fd, off_t size, const char *path, gboolean multi,
    struct chain *c, struct mg_audit_summary *sum, GError **err)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree char *buf = g_malloc(READ_CHUNK);
	struct reader r = {fd, size, buf, 0, 0};
	char prev[HASH_HEX_LEN + 1];
	gboolean io_error = FALSE;
	guint64 line_no = 0, seq;
	const char *why;

	for (;;) {
		enum line_end e = next_line(&r, line, path, err, &io_error);

		if (io_error)
			return FALSE;
		if (e == LINE_EOF)
			return TRUE;
		line_no++;
		if (e == LINE_TOO_LONG) {
			broken(err, multi, path, line_no,
			    "longer than %d bytes", MG_AUDIT_MAX_LINE);
			return FALSE;
		}
		if (e == LINE_NO_NEWLINE) {
			broken(err, multi, path, line_no,
			    "no newline at the end of the file (the file was "
			    "cut in the middle of a line)");
			return FALSE;
		}
		if (!parse_record(p, line->str, line->len, &seq, prev, &why)) {
			broken(err, multi, path, line_no, "%s", why);
			return FALSE;
		}
		if (!c->any) {
			if (seq == 1 && strcmp(prev, ZERO_HASH) != 0) {
				broken(err, multi, path, line_no,
				    "the first record (seq 1) has a prev other "
				    "than 64 zeros");
				return FALSE;
			}
			if (seq > 1 && strcmp(prev, ZERO_HASH) == 0) {
				broken(err, multi, path, line_no,
				    "seq %" G_GUINT64_FORMAT " has the "
				    "all-zero prev of a first record",
				    seq);
				return FALSE;
			}
			sum->first_seq = seq;
		} else if (seq != c->seq + 1) {
			if (c->file != path)
				broken(err, multi, path, line_no,
				    "seq %" G_GUINT64_FORMAT " does not follow "
				    "seq %" G_GUINT64_FORMAT " at the end of "
				    "%s (a file missing between them, or files "
				    "out of order)",
				    seq, c->seq, c->file);
			else if (seq > c->seq + 1)
				broken(err, multi, path, line_no,
				    "seq %" G_GUINT64_FORMAT " follows seq "
				    "%" G_GUINT64_FORMAT " on line "
				    "%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
				    " missing: deleted lines)",
				    seq, c->seq, c->line_no, seq - c->seq - 1);
			else
				broken(err, multi, path, line_no,
				    "seq %" G_GUINT64_FORMAT " follows seq "
				    "%" G_GUINT64_FORMAT " on line "
				    "%" G_GUINT64_FORMAT " (a line inserted, "
				    "repeated or moved)",
				    seq, c->seq, c->line_no);
			return FALSE;
		} else if (strcmp(prev, c->hash) != 0) {
			if (c->file != path)
				broken(err, multi, path, line_no,
				    "prev does not match the last line of %s "
				    "(edited line, or a file missing between "
				    "them)",
				    c->file);
			else
				broken(err, multi, path, line_no,
				    "prev does not match line "
				    "%" G_GUINT64_FORMAT
				    " (edited or deleted line)",
				    c->line_no);
			return FALSE;
		}
		c->any = TRUE;
		c->seq = seq;
		line_hash(line->str, line->len, c->hash);
		c->file = path;
		c->line_no = line_no;
		sum->records++;
		sum->last_seq = seq;
	}
}

gboolean
mg_audit_verify_files(const char *const *paths, guint n, guint flags,
    struct mg_audit_summary *sum, GError **err)
{
	g_autofree int *fds = g_new(int, MAX(n, 1));
	g_autofree off_t *sizes = g_new0(off_t, MAX(n, 1));
	g_autofree char *head_path = NULL, *lock_path = NULL;
	char hhash[HASH_HEX_LEN + 1];
	struct chain c = {0};
	gboolean multi = n > 1, hexists = FALSE, ok = FALSE;
	guint64 hseq = 0;
	struct stat st;
	guint i;
	int lfd = -1;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < n; i++)
		fds[i] = -1;
	if (n == 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "no audit file given");
		return FALSE;
	}
	for (i = 0; i < n; i++) {
		if ((fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC)) < 0) {
			set_errno_error(err, errno, "opening", paths[i]);
			goto out;
		}
	}
	/*
	 * Snapshot: the sizes and the head as they were between two
	 * appends.  Appenders hold PATH.lock exclusively from reading the
	 * last record to replacing the head, so under a shared lock the
	 * head describes the log's last line.  Without access to the lock
	 * file (another user) the snapshot is taken unlocked and a verify
	 * that overlaps an append may report a head mismatch: run it
	 * again.
	 */
	head_path = g_strconcat(paths[n - 1], ".head", NULL);
	lock_path = g_strconcat(paths[n - 1], ".lock", NULL);
	lfd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lfd >= 0 && !lock_fd(lfd, LOCK_SH, lock_path, err))
		goto out;
	for (i = 0; i < n; i++) {
		if (fstat(fds[i], &st) < 0) {
			set_errno_error(err, errno, "reading", paths[i]);
			goto out;
		}
		sizes[i] = st.st_size;
	}
	if (!(flags & MG_AUDIT_VERIFY_NO_HEAD) &&
	    !read_head(head_path, &hexists, &hseq, hhash, err))
		goto out;
	close_fd(&lfd);

	for (i = 0; i < n; i++)
		if (!verify_file(
		        fds[i], sizes[i], paths[i], multi, &c, sum, err))
			goto out;

	if (flags & MG_AUDIT_VERIFY_NO_HEAD) {
		ok = TRUE;
		goto out;
	}
	if (!hexists) {
		if (sizes[n - 1] == 0) {
			/* A new log, no record yet. */
			ok = TRUE;
			goto out;
		}
		if (multi)
			g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN,
			    "%s: head file missing (%s): lines removed from "
			    "the end cannot be detected",
			    paths[n - 1], head_path);
		else
			g_set_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN,
			    "head file missing (%s): lines removed from the "
			    "end cannot be detected",
			    head_path);
		goto out;
	}
	sum->head_checked = TRUE;
	sum->head_seq = hseq;
	if (!c.any) {
		/* Only empty files: nothing to compare the head with (a log
		 * rotated just now, verified without the older file). */
		ok = TRUE;
		goto out;
	}
	if (c.seq < hseq) {
		broken(err, multi || c.file != paths[n - 1], c.file, c.line_no,
		    "the last record is seq %" G_GUINT64_FORMAT " but the "
		    "head file says seq %" G_GUINT64_FORMAT ": the last "
		    "%" G_GUINT64_FORMAT " records were removed (file "
		    "truncated)",
		    c.seq, hseq, hseq - c.seq);
		goto out;
	}
	if (c.seq > hseq) {
		broken(err, multi || c.file != paths[n - 1], c.file, c.line_no,
		    "the last record is seq %" G_GUINT64_FORMAT " but the "
		    "head file says seq %" G_GUINT64_FORMAT ": the head is "
		    "behind the log (a crash during an append, or an older "
		    "head file put back)",
		    c.seq, hseq);
		goto out;
	}
	if (strcmp(c.hash, hhash) != 0) {
		broken(err, multi || c.file != paths[n - 1], c.file, c.line_no,
		    "the last record does not match the head file's hash "
		    "(the last line was rewritten)");
		goto out;
	}
	ok = TRUE;
out:
	close_fd(&lfd);
	for (i = 0; i < n; i++)
		close_fd(&fds[i]);
	return ok;
}

gboolean
mg_audit_verify(const char *path, guint64 *records_r, GError **err)
{
	struct mg_audit_summary sum;
	gboolean ok;

	ok = mg_audit_verify_files(&path, 1, 0, &sum, err);
	if (records_r != NULL)
		*records_r = sum.records;
	return ok;
}
