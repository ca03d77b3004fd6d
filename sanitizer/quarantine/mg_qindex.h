/*
 * mg_qindex.h - the index behind the quarantine store: one row per stored
 * message, searchable by time.
 *
 * Each backend is one file that fills in one struct mg_qindex_ops and adds
 * one row to the table in mg_quarantine.c (SQLite now; PostgreSQL later,
 * when several gateways share one quarantine).  The store (mg_quarantine.c)
 * owns the files and calls the backend only for rows; a backend never
 * touches msg/ or tmp/.
 *
 * Ids handed to a backend have been checked by mg_qstore_valid_id().
 * Strings in entries are untrusted text and must be stored through bound
 * parameters, never pasted into a query.
 */
#ifndef MG_QINDEX_H
#define MG_QINDEX_H

#include <glib.h>

#include "quarantine/mg_quarantine.h"

/* Backend-private state of one open index. */
struct mg_qindex;

struct mg_qindex_ops {
	const char *name;

	/*
	 * Open (creating when missing) the index that belongs to the store in
	 * `store_dir`.  The connection belongs to the calling process: open
	 * it after fork(), never share it with a child.
	 */
	struct mg_qindex *(*open)(const char *store_dir, GError **err);
	void (*close)(struct mg_qindex *ix);

	/* Add one row, durably, in one transaction.  Fails with
	 * G_IO_ERROR_EXISTS when the id is taken. */
	gboolean (*insert)(
	    struct mg_qindex *ix, const struct mg_qentry *e, GError **err);

	/* One row, or NULL with G_IO_ERROR_NOT_FOUND.  recipients and
	 * reasons of the result are never NULL (maybe empty). */
	struct mg_qentry *(*get)(
	    struct mg_qindex *ix, const char *id, GError **err);

	/* 1 when the row exists, 0 when not, -1 and *err on failure. */
	int (*exists)(struct mg_qindex *ix, const char *id, GError **err);

	/* Rows with time >= since, newest first (struct mg_qentry *, freed
	 * by the array). */
	GPtrArray *(*list)(struct mg_qindex *ix, gint64 since, GError **err);

	/* Ids (char *, freed by the array) of rows with time < before,
	 * oldest first, at most `limit` of them (0: all). */
	GPtrArray *(*list_before)(
	    struct mg_qindex *ix, gint64 before, guint limit, GError **err);

	/* Remove the rows of `n` ids in one transaction; ids without a row
	 * are skipped.  *removed_r (may be NULL) gets the rows removed. */
	gboolean (*remove)(struct mg_qindex *ix, const char *const *ids,
	    guint n, guint *removed_r, GError **err);
};

extern const struct mg_qindex_ops mg_qindex_sqlite_ops;

/* The backend called `name`, or NULL. */
const struct mg_qindex_ops *mg_qindex_find(const char *name);

/*
 * Lists of strings (recipients, reasons) are kept in one column as a JSON
 * array, so any backend stores them the same way.  Invalid UTF-8 is
 * replaced (U+FFFD) because JSON can only carry Unicode text.  Decoding
 * never fails: NULL, bad JSON or a non-array give an empty vector, and
 * elements that are not strings are skipped.
 */
char *mg_qindex_strv_to_json(char *const *v);
char **mg_qindex_json_to_strv(const char *json);

#endif
