/*
 * mg_quarantine.h - the quarantine store: every message from which
 * anything was removed is kept here, whole, until reviewed or purged.
 *
 * Layout under the store directory (created 0700):
 *   msg/<id>.eml      the original message, mode 0600, written atomically
 *                     (temp file in tmp/, fsync, rename, fsync of msg/)
 *   tmp/              half-written files; cleaned when the store opens
 *   index.sqlite      the index (WAL): envelope, headers, reasons, report
 *   lock              flock(2): writers hold it shared, the clean-up at
 *                     open takes it exclusive (only when no one writes)
 *
 * Crash remains are cleaned when a store is opened and no other process
 * is writing: files in tmp/ are removed, a file in msg/ without an index
 * row (a crash between rename and commit) gets a row with disposition and
 * reason "recovered", and a row whose file is gone (an interrupted
 * delete) is removed.
 *
 * Open the store in each process that uses it, after fork(): the index
 * connection and the lock belong to the process that opened them.  One
 * store may be used from several threads.
 *
 * A message is stored before anything is delivered; mg_qstore_put()
 * returns MG_OK only when the file and its index row are durable.  The
 * index sits behind a small backend interface (mg_qindex.h) so another
 * backend (PostgreSQL) can replace SQLite later.
 *
 * Strings in entries are UTF-8 decoded from the message: untrusted; the
 * store keeps them as they are, callers escape them for display.
 */
#ifndef MG_QUARANTINE_H
#define MG_QUARANTINE_H

#include <glib.h>

#include "util/mg_reason.h"

struct mg_qentry {
	char *id;          /* e.g. "20261122-7KQ2M3XH4TPA" */
	gint64 time;       /* unix seconds when stored */
	char *disposition; /* "sanitized", "quarantined", … */
	char *sender;      /* envelope sender (or From when none) */
	char **recipients; /* NULL-terminated; envelope recipients */
	char *from;        /* decoded From: */
	char *subject;     /* decoded Subject: */
	char *message_id;
	char **reasons;    /* NULL-terminated report ids */
	char *report_json; /* the full per-message report */
	guint64 size;      /* bytes of the original */
	char *sha256;      /* of the original */
};

void mg_qentry_free(struct mg_qentry *e);
typedef struct mg_qentry mg_qentry;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mg_qentry, mg_qentry_free)

struct mg_qstore;
typedef struct mg_qstore mg_qstore;

/* Open (creating when missing) the store in `dir`.  NULL and *err on
 * failure. */
struct mg_qstore *mg_qstore_open(const char *dir, GError **err);
void mg_qstore_close(struct mg_qstore *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mg_qstore, mg_qstore_close)

/* A new unique id: the local date (YYYYMMDD), "-", and 12 characters
 * drawn from the kernel's random source in the RFC 4648 base32 alphabet
 * (A-Z, 2-7): 60 random bits. */
char *mg_qstore_new_id(void);

/* TRUE when `id` has exactly the shape of an id (so it can name a file
 * safely).  Every function below that takes an id checks it and fails
 * with G_IO_ERROR_INVALID_ARGUMENT otherwise. */
gboolean mg_qstore_valid_id(const char *id);

/*
 * Store the original message read from `fd` (from offset 0 to EOF; the
 * offset is restored) under e->id (generated when NULL and written back),
 * with e's metadata.  e->time, e->size and e->sha256 are filled in here.
 * MG_OK when durable; MG_FAIL (and *err) otherwise, leaving no visible half
 * file and no index row.  An id given by the caller must be valid and
 * unused (G_IO_ERROR_EXISTS otherwise: nothing is ever overwritten).  `fd`
 * must be seekable (pread).
 */
enum mg_rc
mg_qstore_put(struct mg_qstore *q, int fd, struct mg_qentry *e, GError **err);

/* Entries stored at or after `since` (unix seconds; 0: all), newest
 * first.  Element type struct mg_qentry *, freed by the array. */
GPtrArray *mg_qstore_list(struct mg_qstore *q, gint64 since, GError **err);

/* One entry, or NULL with *err (G_IO_ERROR_NOT_FOUND when unknown). */
struct mg_qentry *
mg_qstore_get(struct mg_qstore *q, const char *id, GError **err);

/* Open the stored original read-only; -1 and *err when unknown. */
int mg_qstore_open_message(struct mg_qstore *q, const char *id, GError **err);

/* Remove one entry and its file (G_IO_ERROR_NOT_FOUND when neither
 * exists). */
gboolean mg_qstore_delete(struct mg_qstore *q, const char *id, GError **err);

/* Remove every entry stored before `before` (unix seconds); *count_r gets
 * the number removed. */
gboolean mg_qstore_purge(
    struct mg_qstore *q, gint64 before, guint *count_r, GError **err);

/* Test hook: when set, called after the temp file is fsynced and before
 * the rename.  Tests use it to simulate a crash (_exit) at that point. */
extern void (*mg_qstore_crash_hook)(void);

/* Test hook: when not 0, the clock of the store (unix seconds) for the
 * time of new entries and the date in new ids.  Never set outside tests. */
extern gint64 mg_qstore_test_now;

#endif
