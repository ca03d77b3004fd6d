/*
 * mugaika.h - the public interface of libmugaika, the sanitizing engine.
 *
 * The milter and the CLI see only this header.  An engine holds one
 * policy (config), the notice templates and the quarantine store; it is
 * created once per process and used for many messages.  A message is
 * handed over as a file descriptor of a regular file (a spool file) and
 * comes back as a result: a disposition, a report, and the edits that turn
 * the original into what may be delivered (header edits + a new body), in
 * the form libmilter applies them, so the CLI and the milter produce the
 * same output.
 *
 * Failure: mugaika_sanitize_fd() returns NULL only when the environment
 * failed (disk, memory, quarantine store): the caller must tempfail and
 * deliver nothing.  A hostile message always gets a result.
 */
#ifndef MUGAIKA_H
#define MUGAIKA_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct mugaika_engine mugaika_engine;
typedef struct mugaika_result mugaika_result;

enum mugaika_disposition {
	MUGAIKA_CLEAN,       /* nothing removed; text delivered */
	MUGAIKA_SANITIZED,   /* parts removed and kept; text delivered */
	MUGAIKA_QUARANTINED, /* the whole message held; a notice delivered */
	MUGAIKA_REJECTED,    /* refused by policy; nothing delivered */
};

/* What the caller does with the message. */
enum mugaika_action {
	MUGAIKA_DELIVER,  /* write/deliver the result (text or notice) */
	MUGAIKA_DISCARD,  /* accept and deliver nothing ([policy] on_virus) */
	MUGAIKA_REJECT,   /* refuse: SMTP 5xx, CLI exit 2 */
	MUGAIKA_TEMPFAIL, /* policy asks to retry later (stale signatures) */
};

/* The SMTP envelope, when known (all fields may be NULL). */
struct mugaika_envelope {
	const char *sender;
	const char *const *recipients; /* NULL-terminated */
	const char *queue_id;
	const char *client_addr;
};

enum mugaika_hdr_op {
	MUGAIKA_HDR_CHANGE, /* occurrence `index` (1-based) of name; value
	                       NULL deletes it */
	MUGAIKA_HDR_ADD,    /* append at the end of the header */
};

struct mugaika_hdr_edit {
	enum mugaika_hdr_op op;
	char *name;
	guint index;
	char *value; /* without the leading space; folded with "\n\t" */
};

/* What `mugaika status` shows about the signature database. */
struct mugaika_status {
	const char *database;
	guint signatures;
	guint version;     /* official database version, 0 when none */
	gint64 build_time; /* official build time, 0 when none */
	gint64 age;        /* seconds */
	gboolean stale;    /* older than [scan] max_database_age */
};
void mugaika_engine_status(const mugaika_engine *e, struct mugaika_status *st);

/* Once per process, before anything else (initialises GMime). */
void mugaika_init(void);

/* config_path NULL: built-in defaults. */
mugaika_engine *mugaika_engine_new(const char *config_path, GError **err);

/* TRUE for a header the gateway always replaces or removes: every
 * Content-*, MIME-Version and any X-Mugaika* (which could be forged). */
gboolean mugaika_header_is_replaced(const char *name);

/* The same with [general] mode overridden: "text", "cdr", or NULL for the
 * config's own (`mugaika sanitize --mode`, a release's rebuild). */
mugaika_engine *mugaika_engine_new_mode(
    const char *config_path, const char *mode, GError **err);
void mugaika_engine_free(mugaika_engine *e);
/* [limits] max_message_size: a caller spooling a message may stop
 * reading one byte past it. */
guint64 mugaika_engine_max_message_size(const mugaika_engine *e);

/*
 * Sanitize the message in `fd` (a regular file, read from offset 0).
 * NULL and *err on an environment failure: tempfail, deliver nothing.
 */
mugaika_result *mugaika_sanitize_fd(mugaika_engine *e, int fd,
    const struct mugaika_envelope *env, GError **err);
void mugaika_result_free(mugaika_result *r);

enum mugaika_disposition mugaika_result_disposition(const mugaika_result *r);
enum mugaika_action mugaika_result_action(const mugaika_result *r);
/* For MUGAIKA_REJECT and MUGAIKA_TEMPFAIL: the SMTP reply ("554",
 * "5.7.1", and a one-line text, printable ASCII). */
void mugaika_result_smtp_reply(const mugaika_result *r, const char **code_r,
    const char **dsn_r, const char **text_r);
const char *mugaika_disposition_name(enum mugaika_disposition d);
/* NULL when nothing was stored. */
const char *mugaika_result_quarantine_id(const mugaika_result *r);
/* The per-message report, JSON. */
const char *mugaika_result_report_json(const mugaika_result *r);
/* One line for the log: disposition, id, reasons (printable). */
const char *mugaika_result_summary(const mugaika_result *r);
/* Header edits to apply, in order. */
const GPtrArray *mugaika_result_header_edits(const mugaika_result *r);
/* The new body (LF line endings); NULL for MUGAIKA_REJECTED. */
GBytes *mugaika_result_body(const mugaika_result *r);
/*
 * Write the whole output message (original header with the edits
 * applied, then the new body) to `out_fd`.  FALSE and *err on a write
 * error or for a rejected message.
 */
gboolean
mugaika_result_write_message(const mugaika_result *r, int out_fd, GError **err);

/*
 * A result as bytes for another process (the milter's workers hand their
 * results to the front end), and back.  Deserialising checks the form
 * (GVariant, untrusted) and refuses anything malformed.
 */
GBytes *mugaika_result_serialize(const mugaika_result *r);
mugaika_result *mugaika_result_deserialize(GBytes *b, GError **err);

/*
 * Hold a message without parsing it, because the sanitizer crashed or ran
 * out of time on it: store the original read from `fd`, and return a
 * result with the held notice for `reason_id` ("sanitizer_crash",
 * "timeout").  Its header edits only add headers: the caller deletes
 * every Content-*, MIME-Version and X-Mugaika* header of the original
 * itself (mugaika_result_headers_unknown() is TRUE).  NULL and *err when
 * the original cannot be stored.
 */
mugaika_result *mugaika_engine_hold(mugaika_engine *e, int fd,
    const char *reason_id, const struct mugaika_envelope *env, GError **err);
gboolean mugaika_result_headers_unknown(const mugaika_result *r);

/*
 * Releasing a kept message: the value of the X-Mugaika-Release header to
 * put on the original (read from `fd`) when it is re-injected, binding the
 * quarantine id to the message body with an HMAC under [release]
 * key_file.  When the gateway later sees a message whose release header
 * verifies against its body, it delivers the message as it is (still
 * scanned; a threat still holds it).  NULL and *err when no key is
 * configured.
 */
char *mugaika_engine_release_header(
    mugaika_engine *e, const char *qid, int fd, GError **err);
/* TRUE when the result passes the original body through unchanged (a
 * verified release): the milter does not replace the body. */
gboolean mugaika_result_passthrough(const mugaika_result *r);

/*
 * Scan a kept message again with the signatures loaded now (the full
 * walk: parts, archives, scanning), storing nothing.  *threats_r gets the
 * threat names found (empty when none) and *held_r whether the message
 * would be held for any reason.  FALSE and *err on an environment failure.
 */
/*
 * Sanitize a kept message again without storing or auditing anything (a
 * release of the rebuilt version: use an engine made with mode "cdr").
 * The notice names `qid`, the entry the message came from.  Write the
 * delivered form with mugaika_result_write_message().
 */
mugaika_result *mugaika_engine_rebuild(
    mugaika_engine *e, int fd, const char *qid, GError **err);

gboolean mugaika_engine_rescan(mugaika_engine *e, int fd, GPtrArray **threats_r,
    gboolean *held_r, GError **err);

/*
 * One file through the CDR modules (`mugaika clean`): the file's true type
 * and name are checked and it is scanned as an attachment would be; a
 * module then rebuilds it, proves it free of risk factors, or refuses it;
 * a rebuilt file is scanned again.  NULL and *err on an environment
 * failure only.
 */
enum mugaika_clean_outcome {
	MUGAIKA_CLEAN_REBUILT,
	MUGAIKA_CLEAN_VERIFIED,
	MUGAIKA_CLEAN_REFUSED,
};
typedef struct mugaika_clean mugaika_clean;
mugaika_clean *
mugaika_clean_fd(mugaika_engine *e, int fd, const char *name, GError **err);
enum mugaika_clean_outcome mugaika_clean_outcome(const mugaika_clean *c);
/* The bytes to write (rebuilt or verified); NULL when refused. */
GBytes *mugaika_clean_data(const mugaika_clean *c);
/* The output's file name: the input's base name with the extension of
 * what it now is ("a.docm" -> "a.docx"). */
const char *mugaika_clean_name(const mugaika_clean *c);
/* Why it was refused (report id), or NULL. */
const char *mugaika_clean_reason(const mugaika_clean *c);
const char *mugaika_clean_report_json(const mugaika_clean *c);
void mugaika_clean_free(mugaika_clean *c);

G_END_DECLS

#endif
