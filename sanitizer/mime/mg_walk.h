/*
 * mg_walk.h - the single walk over a parsed message.
 *
 * The message is parsed once (GMime); the walk visits every entity in
 * document order, charges each against one budget (struct mg_limits:
 * depth, part count, header bytes, decoded bytes), decodes text parts to
 * UTF-8, renders HTML, cuts hidden files out of text, and records every
 * leaf in the part list with what was done to it and why.  Nothing here
 * writes output or stores anything: mg_sanitize.c does that with the
 * result.
 */
#ifndef MG_WALK_H
#define MG_WALK_H

#include <gmime/gmime.h>

#include "mg_policy.h"
#include "util/mg_reason.h"

enum mg_action {
	MG_ACTION_KEPT,      /* text delivered as it was (decoded) */
	MG_ACTION_CONVERTED, /* rendered to text (HTML, attached message) */
	MG_ACTION_SKIPPED,   /* an alternative of content delivered */
	MG_ACTION_REMOVED,   /* removed and kept in quarantine */
	MG_ACTION_REBUILT,   /* CDR: delivered rebuilt without active content */
	MG_ACTION_VERIFIED,  /* CDR: no risk factor found, delivered as is */
};

struct mg_part {
	char *path;          /* MIME position, "1.2"; "1.2#uu1" for blocks */
	char *filename;      /* decoded UTF-8, may be NULL */
	char *declared_type; /* lower-case type/subtype */
	char *detected_type; /* libmagic, may be NULL */
	guint64 size;        /* decoded bytes */
	char *sha256;        /* of the decoded bytes, may be NULL */
	enum mg_action action;
	enum mg_reason reason;
	char *threat;    /* malware name, or NULL */
	char *note;      /* e.g. "damaged", "symlink", may be NULL */
	char *container; /* archive a member came from (display), or NULL */
	/* CDR (mode = cdr): */
	char *module; /* the module that handled it, or NULL */
	char
	    *output_name; /* REBUILT/VERIFIED: the name it is delivered under */
	char **cdr_removed; /* MG_CDR_RM_* ids of what was taken out, or NULL */
};

/* A file delivered next to the text (mode = cdr), in document order. */
struct mg_output {
	char *name;      /* UTF-8 file name, never a path */
	char *mime_type; /* lower-case type/subtype */
	GBytes *data;
};

void mg_part_free(struct mg_part *p);
const char *mg_action_name(enum mg_action a);

struct mg_scan_engine;

struct mg_walk {
	/* in */
	const struct mg_policy *policy;
	struct mg_scan_engine *scan; /* NULL: nothing is scanned (tests) */
	/* out */
	GString *text;       /* the delivered text, UTF-8 */
	GPtrArray *parts;    /* struct mg_part * */
	GArray *reasons;     /* enum mg_reason, message level, unique */
	gboolean structural; /* a structural limit: hold the message */
	/* budget */
	guint n_parts;
	guint64 decoded;
	gboolean text_truncated;
	guint64 archive_bytes; /* uncompressed, all archives (mg_unpack) */
	guint archive_members;
	GPtrArray *threats; /* char *, unique malware names */
	GBytes *tnef_body;  /* text of the first TNEF, for a mail with none */
	gboolean tnef_body_html; /* ...which is HTML (PR_BODY_HTML) */
	/* CDR (mode = cdr) */
	GPtrArray *outputs; /* struct mg_output *, the files delivered */
	guint64 cdr_bytes;  /* nested files handed back by modules */
	guint cdr_files;
	GError *failure;  /* an environment failure (tempfail), or NULL */
	GPtrArray *saved; /* GMimeMessage *: attachments that were mails */
};

void mg_walk_init(struct mg_walk *w, const struct mg_policy *policy,
    struct mg_scan_engine *scan);
void mg_walk_clear(struct mg_walk *w);

/* Walk the whole message. */
void mg_walk_message(struct mg_walk *w, GMimeMessage *msg);

/* A GMime parser warning that makes a parse untrustworthy: the message
 * is held (mg_sanitize.c), a saved mail is left to be a file. */
gboolean mg_walk_parse_warning_is_critical(GMimeParserWarning code);

/* Record a message-level reason (once). */
void mg_walk_add_reason(struct mg_walk *w, enum mg_reason r);

gboolean mg_walk_has_reason(const struct mg_walk *w, enum mg_reason r);

/*
 * Inspect the decoded bytes of a removed part, an embedded block or an
 * archive member (mg_inspect.c): its true type against its name and the
 * blocked lists, a malware scan, and for archives and TNEF each member,
 * recursively, recorded after `p`.  Verdicts become reasons on `p` and on
 * the message.  `archive_depth` is 0 for MIME parts.
 */
void mg_inspect_part(
    struct mg_walk *w, struct mg_part *p, GBytes *b, guint archive_depth);

/*
 * mode = cdr (mg_rebuild.c): a removed attachment `p` whose inspection
 * found nothing goes through its CDR module; rebuilt or verified, it
 * becomes an output and p->action says so; refused, it stays removed with
 * the module's reason.  An environment failure sets w->failure.
 */
void mg_rebuild_part(struct mg_walk *w, struct mg_part *p, GBytes *b);

/* TRUE for a TNEF stream (winmail.dat) by type or name. */
gboolean mg_inspect_is_tnef(const struct mg_part *p);

/* Scan bytes that are delivered (text); a threat holds the message. */
void mg_inspect_scan_only(struct mg_walk *w, struct mg_part *p,
    const void *data, gsize len, const char *name);

/* The same; parse_mail FALSE scans bytes as they are (the raw message). */
void mg_inspect_scan_opts(struct mg_walk *w, struct mg_part *p,
    const void *data, gsize len, const char *name, gboolean parse_mail);

/* Add a part record at the end of w->parts. */
struct mg_part *mg_walk_add_part(struct mg_walk *w, const char *path,
    enum mg_action action, enum mg_reason reason);

/* TRUE when any part was removed or rebuilt (the original must be kept). */
gboolean mg_walk_removed_any(const struct mg_walk *w);

#endif
