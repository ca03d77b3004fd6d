/*
 * mg_scan.h - the libclamav engine: load and compile a signature database
 * once, then scan decoded parts held in memory, from any number of threads.
 *
 * A scan never answers "clean" for something libclamav did not look at in
 * full: a limit that was hit, an encrypted container and a libclamav error
 * each have their own result, and the caller treats all three as "not
 * proven clean".  What libclamav 1.4.6 itself lets through (listed in
 * mg_scan.c and corpus/signatures/README.md) is the caller's to catch
 * before the bytes get here.
 */
#ifndef MG_SCAN_H
#define MG_SCAN_H

#include <glib.h>

#include "mg_policy.h"

/* What was loaded, for `mugaika status` and the staleness check. */
struct mg_scan_db_info {
	char *path;          /* the database file or directory */
	guint signatures;    /* as counted by cl_load */
	guint version;       /* highest official CVD/CLD version, 0 when none */
	gint64 build_time;   /* newest official CVD/CLD build time (unix), 0
	                        when none */
	gint64 newest_mtime; /* newest mtime of a signature file loaded, 0
	                        when none */
	gint64 loaded_at;    /* unix time the engine was compiled */
};

struct mg_scan_engine;

/* GError domain of mg_scan_engine_new(). */
#define MG_SCAN_ENGINE_ERROR (mg_scan_engine_error_quark())
GQuark mg_scan_engine_error_quark(void);

enum mg_scan_engine_error {
	MG_SCAN_ENGINE_ERROR_INIT,    /* cl_init or cl_engine_new failed */
	MG_SCAN_ENGINE_ERROR_LOAD,    /* cl_load failed (path, format) */
	MG_SCAN_ENGINE_ERROR_EMPTY,   /* no signatures, and not allowed */
	MG_SCAN_ENGINE_ERROR_COMPILE, /* cl_engine_compile failed */
};

/*
 * Build an engine from p->scan_database (a file or a directory; in a
 * directory every file libclamav recognises by its extension is loaded)
 * with CL_DB_STDOPT, libclamav's limits taken from p->limits
 * (scan_max_time is in seconds; libclamav counts milliseconds) and the
 * scan options from p->heuristic_macros and p->heuristic_phishing.
 *
 * cl_init runs once per process.  A database with no signatures (an empty
 * directory, or files that hold none) is an error of domain
 * MG_SCAN_ENGINE_ERROR, code EMPTY, that names the key
 * "[scan] allow_empty_database", unless p->allow_empty_database is set:
 * then the engine is built with 0 signatures and only the heuristics
 * (limits, encryption) can fire.  Any libclamav failure returns NULL with
 * an error naming the path and cl_strerror().
 *
 * The engine is read-only after this call: mg_scan_buffer may be called on
 * it from several threads at once.  libclamav starts no thread of its own
 * (checked with 1.4.6), so the engine may be built before fork() and
 * shared with the children copy-on-write.
 */
struct mg_scan_engine *
mg_scan_engine_new(const struct mg_policy *p, GError **err);
void mg_scan_engine_free(struct mg_scan_engine *e);
typedef struct mg_scan_engine mg_scan_engine;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mg_scan_engine, mg_scan_engine_free)

/* Owned by the engine; valid until mg_scan_engine_free. */
const struct mg_scan_db_info *
mg_scan_engine_info(const struct mg_scan_engine *e);

/*
 * The database's age in seconds at `now` (unix time): from build_time when
 * an official CVD/CLD was loaded, else from newest_mtime.  G_MAXINT64 when
 * neither is known (an empty database), so that it is older than any
 * max_database_age.  Negative when the files are dated in the future.
 */
gint64 mg_scan_engine_age(const struct mg_scan_engine *e, gint64 now);

enum mg_scan_result {
	MG_SCAN_CLEAN,
	MG_SCAN_VIRUS,     /* a signature (or a heuristic other than the two
	                      below) hit; *threat_r set */
	MG_SCAN_LIMIT,     /* a libclamav limit was exceeded
	                      (Heuristics.Limits.Exceeded.*): never "clean" */
	MG_SCAN_ENCRYPTED, /* Heuristics.Encrypted.* */
	MG_SCAN_ERROR,     /* libclamav failed on this input (CL_E* other
	                      than clean/virus); *threat_r gets cl_strerror */
};

/*
 * Scan `len` bytes at `data` (the whole of one file; libclamav unpacks the
 * containers it knows).  `name` is a display name passed to libclamav (may
 * be NULL); it only shows in libclamav's own log lines.  *threat_r (may be
 * NULL) receives a g_strdup'd name for every result but CLEAN, and NULL for
 * CLEAN: the signature name ("Mugaika.Test.EICAR.UNOFFICIAL"), the
 * heuristic name ("Heuristics.Limits.Exceeded.MaxFileSize",
 * "Heuristics.Encrypted.Zip") or cl_strerror() for ERROR.
 *
 * A real signature wins over an encryption or limit heuristic hit in the
 * same file (libclamav keeps looking after a heuristic hit).  A buffer
 * longer than scan_max_filesize is LIMIT without being looked at.  An
 * empty buffer is CLEAN.  Thread-safe.
 */
enum mg_scan_result mg_scan_buffer(struct mg_scan_engine *e, const void *data,
    gsize len, const char *name, char **threat_r);

/* "clean", "virus", "limit", "encrypted", "error". */
const char *mg_scan_result_name(enum mg_scan_result r);

/*
 * The same with libclamav's mail parser on or off.  The raw message is
 * scanned with it off: the engine parses the message once (GMime) and
 * scans every decoded part itself, so libclamav re-decoding the whole
 * message (temp files, and the attachments held again in memory) would be
 * a second parse of the same bytes.
 */
enum mg_scan_result
mg_scan_buffer_opts(struct mg_scan_engine *e, const void *data, gsize len,
    const char *name, gboolean parse_mail, char **threat_r);

#endif
