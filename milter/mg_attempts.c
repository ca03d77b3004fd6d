/*
 * mg_attempts.c - attempts on one message that survive the gateway going
 * down.
 *
 * A worker that dies on a message is seen by the master, which holds the
 * message at once.  What the master cannot see is its own death (the OOM
 * killer, a reboot, a bug in the front end) while a message is in flight:
 * the MTA then retries the same message, and a message that takes the
 * gateway down every time would be retried for ever.  So before a job
 * goes to a worker its key (a hash of the message) gets a record in one
 * file, `DIR/inflight`, and the record is cleared when the job is settled;
 * a record still there at the next start is an attempt that never ended.
 * mg_attempts_begin() returns the attempts so far, this one included;
 * the master holds the message once that passes [milter] max_attempts.
 *
 * The file is an array of fixed-size slots rewritten in place with
 * pwrite(), so a message costs two small writes and no file creation (one
 * file per message, created, renamed and unlinked, was most of the
 * master's CPU on ext4).  Nothing is fsync'ed: a crash of the machine may
 * lose a count, which costs at most max_attempts more tries.
 *
 * Trusted input: the file is ours (mode 0600, in the spool directory).  It
 * is parsed strictly all the same; a slot that does not parse (torn by a
 * crash) is dropped.  Limits: MG_ATTEMPTS_MAX_SLOTS records,
 * MG_ATTEMPTS_MAX_AGE seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_attempts.h"
#include "mg_mlog.h"

#define SLOT 128   /* bytes per record: "KEY COUNT WHEN", padded, '\n' */
#define KEY_LEN 64 /* a SHA-256 in hex */

struct slot {
	char key[KEY_LEN + 1]; /* "" for a free slot */
	guint count;
	gint64 when; /* wall-clock seconds of the last attempt */
	guint users; /* jobs in flight with this key */
};

struct mg_attempts {
	int fd;
	GArray *slots;     /* struct slot, index = position in the file */
	GHashTable *index; /* key -> slot index + 1 */
	gboolean failed;   /* a write failed (logged once) */
};

static gboolean
is_key(const char *s, gsize len)
{
	gsize i;

	if (len != KEY_LEN)
		return FALSE;
	for (i = 0; i < len; i++)
		if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
			return FALSE;
	return TRUE;
}

/* One record, or FALSE for anything else (a free or torn slot). */
static gboolean
parse_slot(const char *p, struct slot *s)
{
	char buf[SLOT + 1];
	g_auto(GStrv) f = NULL;
	guint64 count;
	gint64 when;

	if (p[SLOT - 1] != '\n' || memchr(p, '\0', SLOT) != NULL)
		return FALSE;
	memcpy(buf, p, SLOT);
	buf[SLOT] = '\0';
	f = g_strsplit(g_strstrip(buf), " ", -1);
	if (g_strv_length(f) != 3 || !is_key(f[0], strlen(f[0])) ||
	    !g_ascii_string_to_unsigned(f[1], 10, 1, G_MAXUINT, &count, NULL) ||
	    !g_ascii_string_to_signed(f[2], 10, 0, G_MAXINT64, &when, NULL))
		return FALSE;
	g_strlcpy(s->key, f[0], sizeof(s->key));
	s->count = (guint)count;
	s->when = when;
	s->users = 0;
	return TRUE;
}

static void
write_slot(struct mg_attempts *a, guint i)
{
	const struct slot *s = &g_array_index(a->slots, struct slot, i);
	char buf[SLOT];

	memset(buf, s->key[0] != '\0' ? ' ' : '\0', sizeof(buf));
	if (s->key[0] != '\0') {
		int n = g_snprintf(buf, sizeof(buf), "%s %u %" G_GINT64_FORMAT,
		    s->key, s->count, s->when);

		buf[n] = ' '; /* the padding, not a terminator */
		buf[SLOT - 1] = '\n';
	}
	if (pwrite(a->fd, buf, sizeof(buf), (off_t)i * SLOT) != SLOT &&
	    !a->failed) {
		a->failed = TRUE;
		mg_mlog(LOG_WARNING,
		    "attempt records: %s (counting continues in memory)",
		    g_strerror(errno));
	}
}

/* A slot for a new key: a free one, the end of the file, or (full) the
 * oldest record of a message not in flight. */
static gint
new_slot(struct mg_attempts *a)
{
	gint oldest = -1;
	guint i;

	for (i = 0; i < a->slots->len; i++) {
		struct slot *s = &g_array_index(a->slots, struct slot, i);

		if (s->key[0] == '\0')
			return (gint)i;
		if (s->users == 0 &&
		    (oldest < 0 ||
		        s->when <
		            g_array_index(a->slots, struct slot, oldest).when))
			oldest = (gint)i;
	}
	if (a->slots->len < MG_ATTEMPTS_MAX_SLOTS) {
		struct slot s = {0};

		g_array_append_val(a->slots, s);
		return (gint)a->slots->len - 1;
	}
	if (oldest >= 0)
		g_hash_table_remove(
		    a->index, g_array_index(a->slots, struct slot, oldest).key);
	return oldest;
}

static void
add_record(struct mg_attempts *a, const struct slot *rec)
{
	gpointer v;
	gint i;

	if (g_hash_table_lookup_extended(a->index, rec->key, NULL, &v)) {
		struct slot *s = &g_array_index(
		    a->slots, struct slot, GPOINTER_TO_UINT(v) - 1);

		s->count = MAX(s->count, rec->count);
		s->when = MAX(s->when, rec->when);
		write_slot(a, GPOINTER_TO_UINT(v) - 1);
		return;
	}
	i = new_slot(a);
	if (i < 0)
		return;
	g_array_index(a->slots, struct slot, i) = *rec;
	g_hash_table_insert(
	    a->index, g_strdup(rec->key), GUINT_TO_POINTER((guint)i + 1));
	write_slot(a, (guint)i);
}

/* Counts in the one-file-per-message format of earlier versions:
 * imported, then removed. */
static void
import_old_files(struct mg_attempts *a, const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = NULL;
		g_autofree char *text = NULL;
		struct slot rec = {0};
		struct stat st;
		guint64 n;

		if (!is_key(name, strlen(name)))
			continue;
		p = g_build_filename(dir, name, NULL);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    g_file_get_contents(p, &text, NULL, NULL) &&
		    g_ascii_string_to_unsigned(
		        g_strstrip(text), 10, 1, G_MAXUINT, &n, NULL)) {
			g_strlcpy(rec.key, name, sizeof(rec.key));
			rec.count = (guint)n;
			rec.when = st.st_mtime;
			add_record(a, &rec);
		}
		unlink(p);
	}
}

struct mg_attempts *
mg_attempts_open(const char *dir, gint64 now, GError **err)
{
	g_autofree char *path = g_build_filename(dir, "inflight", NULL);
	g_autofree char *old = NULL;
	struct mg_attempts *a;
	gsize len = 0, off;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "%s: %s", path, g_strerror(errno));
		return NULL;
	}
	/* Read what the last run left, then write it back compacted:
	 * only records that parse and are recent enough. */
	if (!g_file_get_contents(path, &old, &len, err)) {
		close(fd);
		return NULL;
	}
	if (ftruncate(fd, 0) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "%s: %s", path, g_strerror(errno));
		close(fd);
		return NULL;
	}
	a = g_new0(struct mg_attempts, 1);
	a->fd = fd;
	a->slots = g_array_new(FALSE, TRUE, sizeof(struct slot));
	a->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (off = 0; off + SLOT <= len; off += SLOT) {
		struct slot rec;

		if (parse_slot(old + off, &rec) && rec.when <= now &&
		    now - rec.when <= MG_ATTEMPTS_MAX_AGE)
			add_record(a, &rec);
	}
	import_old_files(a, dir);
	return a;
}

void
mg_attempts_free(struct mg_attempts *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	g_array_unref(a->slots);
	g_hash_table_unref(a->index);
	g_free(a);
}

guint
mg_attempts_begin(struct mg_attempts *a, const char *key, gint64 now)
{
	gpointer v;
	struct slot *s;
	gint i;

	if (!is_key(key, strlen(key)))
		return 1;
	if (g_hash_table_lookup_extended(a->index, key, NULL, &v)) {
		i = (gint)GPOINTER_TO_UINT(v) - 1;
	} else {
		i = new_slot(a);
		if (i < 0)
			return 1; /* every slot in flight: not counted */
		s = &g_array_index(a->slots, struct slot, i);
		memset(s, 0, sizeof(*s));
		g_strlcpy(s->key, key, sizeof(s->key));
		g_hash_table_insert(
		    a->index, g_strdup(key), GUINT_TO_POINTER((guint)i + 1));
	}
	s = &g_array_index(a->slots, struct slot, i);
	if (s->count < G_MAXUINT)
		s->count++;
	s->when = now;
	s->users++;
	write_slot(a, (guint)i);
	return s->count;
}

/*
 * A job with this key is over.  settled: its message got an answer that
 * ends it (delivered, held); its record goes once no other job with the
 * key is in flight.  Otherwise (it was tempfailed: the MTA will bring it
 * back) the count stays.
 */
void
mg_attempts_end(struct mg_attempts *a, const char *key, gboolean settled)
{
	gpointer v;
	struct slot *s;
	guint i;

	if (!g_hash_table_lookup_extended(a->index, key, NULL, &v))
		return;
	i = GPOINTER_TO_UINT(v) - 1;
	s = &g_array_index(a->slots, struct slot, i);
	if (s->users > 0)
		s->users--;
	if (!settled || s->users > 0)
		return;
	g_hash_table_remove(a->index, key);
	memset(s, 0, sizeof(*s));
	write_slot(a, i);
}

guint
mg_attempts_records(const struct mg_attempts *a)
{
	return g_hash_table_size(a->index);
}
