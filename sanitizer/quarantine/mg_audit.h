/*
 * mg_audit.h - the tamper-evident audit log: one JSON object per line,
 * each line carrying the SHA-256 of the line before it, so that an edited,
 * deleted, inserted or reordered line, or a file cut short, can be shown.
 *
 * Files, all mode 0600 in the directory of the log (which must exist):
 *   PATH        the log: lines of compact JSON, each ending in "\n"
 *   PATH.head   {"seq":S,"sha256":"…"}: seq and SHA-256 of the last line,
 *               replaced atomically (temp file, fsync, rename, fsync of
 *               the directory) after every append
 *   PATH.head.tmp  the head being written (left only by a crash)
 *   PATH.lock   flock(2) target, never renamed (see "Locking")
 * None of these is opened through a symbolic link (O_NOFOLLOW): point
 * [log] audit_file at the real file.
 *
 * Each record is the caller's JSON object with three members put first:
 *   "seq"   1, 2, 3, … without gaps, across rotated files too
 *   "time"  ISO 8601 UTC with microseconds, "2026-11-22T01:02:03.456789Z"
 *   "prev"  lower-case hex SHA-256 of the previous line's bytes without
 *           its newline; 64 zeros for the very first record
 *
 * What this protects against.  `mugaika audit verify` reports the first
 * line where the chain breaks: a byte changed in a line (the next line's
 * prev no longer matches; the change is reported on that next line, or
 * on the line itself when it no longer parses or its seq is wrong), a
 * line deleted, inserted or moved (seq out of order), a file cut in the
 * middle of a line (no final newline).  A pure hash chain cannot see the
 * removal of the last lines at a line boundary or a rewrite of the last
 * line, so the head file records the last seq and line hash and verify
 * compares the log's last line with it.
 *
 * What it does not protect against.  The chain has no secret: someone
 * who can write both the log and the head file (root, or the gateway's
 * own user) can rewrite any line, recompute every later prev and the
 * head, and verify will pass.  Deleting the log and its head together
 * looks like a fresh start; deleting the first lines of the only file
 * looks like a rotated file (verify reports that the first record
 * continues an earlier file, so staff can ask for that file).  To make
 * the log evidence against a local administrator, ship each line off
 * the host as it is written (for example rsyslog's imfile module
 * forwarding to a log host) and/or anchor the head periodically
 * somewhere this host cannot rewrite (print it, mail it to a write-once
 * archive, or timestamp it with an RFC 3161 TSA): a later verify that
 * passes while an anchored head (seq, sha256) is no longer found in the
 * log shows a rewrite.
 *
 * Rotation.  logrotate may rename PATH away (do not use copytruncate:
 * records written between its copy and its truncation are lost, which
 * breaks the chain; use delaycompress, since a process may still append
 * to the renamed file for one record); the next append notices that PATH is a
 * new file and, when it is empty, continues the chain from PATH.head: seq goes
 * on, prev is the old file's last line hash.  So `verify OLD… NEW`,
 * oldest first, checks continuity across files; only the newest is
 * compared with the head file.  Rotate only PATH, not PATH.head or
 * PATH.lock.  A rotated file verified alone has no head of its own: use
 * MG_AUDIT_VERIFY_NO_HEAD (the CLI's --no-head) or give the newer files
 * after it.
 *
 * Locking.  Pre-forked workers append to one file at once.  Every
 * append takes an exclusive flock(2) on PATH.lock around reading the
 * last record and writing the next one.  The lock is on a separate file
 * rather than on the log itself because a rotation renames the log: a
 * writer that locked the old file and one that locked the new file
 * would both take the chain's next seq.  flock(2) locks belong to the
 * open file description, which fork() shares, so a handle used in a
 * child that did not open it reopens its files first (it notices the
 * pid change).  A handle is not for concurrent use by threads: give
 * each thread its own (separate handles exclude each other through the
 * lock even within one process).  verify takes a shared lock on
 * PATH.lock just long enough to note the files' sizes and read the
 * head, then checks the log up to those sizes, so it can run while the
 * gateway writes.
 *
 * Crashes.  A record is one write(2) on an O_APPEND descriptor, fsync'd
 * when `sync`; a short write (ENOSPC, RLIMIT_FSIZE) is cut off again with
 * ftruncate(2) before the error is returned, so the log never keeps half
 * a record from a live process.  When a handle (re)reads the log's last
 * record it checks it against the head: the states a crash can leave
 * are repaired (a partial last line after a last line matching the head
 * is cut off; a log one record ahead of its head is accepted and the
 * head rewritten at the next append); any other disagreement is refused
 * with MG_AUDIT_ERROR_BROKEN, since writing on would bury the evidence.
 * To resume after such an error, verify, keep the files as evidence, and
 * move the log and its head aside (the next record starts a new chain
 * at seq 1).  Opened without `sync`, nothing is fsync'd and a crash may
 * leave files that the next open refuses: for tests and benchmarks.
 *
 * Untrusted input: the caller's record holds text from mail (subjects,
 * addresses, file names); strings that are not UTF-8 are repaired
 * (U+FFFD) so the line stays valid JSON; JSON escapes every control
 * character, so a record is always one line.  Verify and tail read a log
 * that an attacker may have edited: lines are limited to
 * MG_AUDIT_MAX_LINE bytes and nothing is trusted before it is checked.
 * Show lines on a terminal only through mg_printable().
 */
#ifndef MG_AUDIT_H
#define MG_AUDIT_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* Longest line accepted, newline not counted: a longer record is refused
 * by append, a longer line is an error for verify. */
#define MG_AUDIT_MAX_LINE (1024 * 1024)
/* Deepest nesting of arrays and objects in a record. */
#define MG_AUDIT_MAX_DEPTH 64
/* Most lines `tail` returns. */
#define MG_AUDIT_MAX_TAIL 100000

#define MG_AUDIT_ERROR (mg_audit_error_quark())
GQuark mg_audit_error_quark(void);

enum mg_audit_error {
	/* The chain is broken: an edited, deleted or inserted line, a
	 * truncated file, a head that does not match.  The message names
	 * the first bad line ("line 7: …"). */
	MG_AUDIT_ERROR_BROKEN,
	/* A record longer than MG_AUDIT_MAX_LINE or nested deeper than
	 * MG_AUDIT_MAX_DEPTH, or using a reserved member name. */
	MG_AUDIT_ERROR_RECORD,
};
/* Environment failures (open, read, write, fsync, ENOSPC) are reported
 * in G_IO_ERROR with the code of the errno. */

struct mg_audit;
typedef struct mg_audit mg_audit;

/*
 * Open (create 0600, parent dir must exist) the audit file for appending.
 * Takes the lock once to read and check the last record, so that a log
 * and head that disagree are reported here (MG_AUDIT_ERROR_BROKEN).
 * `sync`: fsync the log after every record and the head before its
 * rename; without it a crash may lose records or leave files that the
 * next open refuses.
 */
struct mg_audit *mg_audit_open(const char *path, gboolean sync, GError **err);
void mg_audit_close(struct mg_audit *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mg_audit, mg_audit_close)

/*
 * Append one record: a copy of `record` (left unchanged) with "seq",
 * "time" and "prev" put first, on one line, written with one write(2)
 * and fsync'd when the handle was opened with `sync`, then the head file
 * replaced.  `record` must not have members named seq, time or prev
 * (MG_AUDIT_ERROR_RECORD); non-finite numbers become null.  FALSE and
 * *err when nothing was appended (the log is as before), or when the line
 * was written but the head could not be replaced (then the next append
 * repairs the head).  The caller tempfails the message when [log]
 * on_log_failure = tempfail.
 */
gboolean mg_audit_append(struct mg_audit *a, JsonObject *record, GError **err);

/* The seq of the last record this handle wrote or saw; 0 for none. */
guint64 mg_audit_last_seq(const struct mg_audit *a);

/* What verify saw. */
struct mg_audit_summary {
	guint64 records;   /* lines checked, all files */
	guint64 first_seq; /* seq of the first record; 0 when none */
	guint64 last_seq;  /* seq of the last record; 0 when none */
	gboolean head_checked;
	guint64 head_seq; /* from the head file, when it was read */
};

/* Do not compare the newest file with its head file. */
#define MG_AUDIT_VERIFY_NO_HEAD 0x1

/*
 * Verify a sequence of files, oldest first: every line is a JSON object
 * with an integer seq, a string time and a 64-hex prev, and ends in a
 * newline; seq goes up by one from line to line and from one file to
 * the next; each prev is the SHA-256 of the line before; the first
 * record is seq 1 with 64 zeros as prev, or, when seq > 1, continues an
 * earlier file not given (reported in *sum, not an error).  The newest
 * file's last record (or, when that file is empty, the last record seen)
 * must have the head file's seq and hash; a missing head is an error
 * when the newest file has records ("head file missing").  The newest
 * file is read up to its size at a moment when no append was under way
 * (a shared lock on PATH.lock, when it can be opened), so verifying a
 * live log does not race with the gateway.
 *
 * FALSE and *err: MG_AUDIT_ERROR_BROKEN naming the first bad line
 * ("line 7: prev does not match line 6 (edited or deleted line)"; with
 * more than one file each message starts with the file name), or
 * G_IO_ERROR when a file cannot be read.  *sum is filled as far as the
 * check went.
 */
gboolean mg_audit_verify_files(const char *const *paths, guint n, guint flags,
    struct mg_audit_summary *sum, GError **err);

/* Verify one file and its head; *records_r (may be NULL) gets the count. */
gboolean mg_audit_verify(const char *path, guint64 *records_r, GError **err);

/*
 * The last `n` lines of the file (at most MG_AUDIT_MAX_TAIL), oldest
 * first, as they are in the file without their newlines (a partial last
 * line included).  Reads backwards from the end; lines longer than
 * MG_AUDIT_MAX_LINE end the read with MG_AUDIT_ERROR_BROKEN.  Untrusted:
 * pass each through mg_printable() before showing it.
 */
GPtrArray *mg_audit_tail(const char *path, guint n, GError **err);

#endif
