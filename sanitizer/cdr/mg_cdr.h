/*
 * mg_cdr.h - Content Disarm and Reconstruction (ファイル無害化): one module
 * per format behind one small interface.
 *
 * A module answers three things about a file whose true type the walk
 * has already established: how well it can handle it (bid: the highest
 * bid wins), and either a rebuilt file without active content, a proof
 * that there was none ("verified": the bytes pass unchanged), or a
 * refusal with a reason.  Modules never parse nested content themselves:
 * an image inside a docx, a file inside a PDF go back through ctx->nested
 * (the single walk: scanned, typed, limited, rebuilt or refused).  A
 * module never writes to disk and never uses a name from its input as a
 * path.  Every module has limits (bytes, objects, parts, pixels, nesting)
 * taken from ctx->limits, a malformed-input test and a fuzz target.
 *
 * Adding a format is adding one file and one row in mg_cdr.c.
 */
#ifndef MG_CDR_H
#define MG_CDR_H

#include <locale.h>

#include <glib.h>

#include "mg_policy.h"
#include "util/mg_reason.h"

enum mg_cdr_outcome {
	MG_CDR_REBUILT,  /* out->data is the new file */
	MG_CDR_VERIFIED, /* no risk factor found: the input passes as it is */
	MG_CDR_REFUSED,  /* removed and kept in quarantine; out->reason */
};

/* What a rebuild took out: stable ids (report) with notice wording
 * (mg_cdr_removed_text()).  Modules add ids from this list only. */
#define MG_CDR_RM_VBA "vba_macros"
#define MG_CDR_RM_XLM "xlm_macros"
#define MG_CDR_RM_ACTIVEX "activex"
#define MG_CDR_RM_OLE "ole_objects"
#define MG_CDR_RM_EXTERNAL "external_links"
#define MG_CDR_RM_DDE "dde_fields"
#define MG_CDR_RM_FIELDS "include_fields"
#define MG_CDR_RM_CUSTOMUI "custom_ui"
#define MG_CDR_RM_DATACONN "data_connections"
#define MG_CDR_RM_JAVASCRIPT "javascript"
#define MG_CDR_RM_AUTOACTION "auto_actions"
#define MG_CDR_RM_ACTIONS "actions"
#define MG_CDR_RM_EMBEDDED "embedded_files"
#define MG_CDR_RM_MULTIMEDIA "multimedia"
#define MG_CDR_RM_FORMS "xfa_forms"
#define MG_CDR_RM_LINKS "hyperlinks"
#define MG_CDR_RM_METADATA "metadata"
#define MG_CDR_RM_TRAILING "trailing_data"
#define MG_CDR_RM_FORMULAS "formulas"
#define MG_CDR_RM_TEMPLATE "attached_template"
#define MG_CDR_RM_SCRIPT "scripts"
#define MG_CDR_RM_MACROS "macros"

struct mg_cdr_result {
	enum mg_cdr_outcome outcome;
	GBytes *data;          /* REBUILT: the new file (caller frees) */
	char *extension;       /* REBUILT: extension of what it now is, e.g.
	                          "docx" for a docm; NULL keeps the name's */
	char *mime_type;       /* REBUILT: its MIME type, or NULL */
	enum mg_reason reason; /* REFUSED: why (e.g. MG_REASON_ENCRYPTED) */
	char *detail;          /* REFUSED: one line for the log, English */
	GPtrArray *removed;    /* const char * MG_CDR_RM_* ids, unique */
};

struct mg_cdr_ctx {
	const struct mg_policy *policy;
	const struct mg_limits *limits; /* never NULL */
	gboolean keep_hyperlinks;       /* http/https/mailto links stay */
	gboolean keep_metadata; /* document properties stay ([cdr] metadata) */
	guint depth;            /* nesting of CDR inside CDR */
	/* The file's name as it came (untrusted, may be NULL): for naming
	 * what comes out only (a lone x.csv.gz holds x.csv), never a path. */
	const char *name;
	/*
	 * Hand an embedded file back to the walk.  Returns the bytes to put
	 * back (rebuilt or verified) or NULL when the file was refused (the
	 * module then leaves it out and adds MG_CDR_RM_EMBEDDED).  `name` is
	 * untrusted, for the report only.  When the walk rebuilt the file
	 * into another type (a.docm -> docx), *extension_r (if not NULL) is
	 * set to the new extension (caller frees), else to NULL.  May be
	 * NULL in unit tests: the module then leaves every nested file out.
	 */
	GBytes *(*nested)(void *walk, const char *name, const char *type_hint,
	    GBytes *data, char **extension_r);
	void *walk;
};

struct mg_cdr_module {
	const char *name; /* "pdf", "ooxml", … */
	/* 0: not mine; otherwise how sure (the highest bid wins).  `type`
	 * is libmagic's, `ext` the name's lower-case extension or NULL. */
	int (*bid)(
	    const char *type, const char *ext, const guint8 *data, gsize len);
	/* MG_OK with *out filled (any outcome), or MG_FAIL on an
	 * environment failure (memory, library init): tempfail. */
	enum mg_rc (*rebuild)(
	    struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out);
};

/* The module table, NULL-terminated (mg_cdr.c). */
extern const struct mg_cdr_module *const mg_cdr_modules[];

/*
 * Set up what the modules load lazily (libvips and its loader modules)
 * now: in the milter the master calls it before forking, so the workers
 * share it and never have to map new code inside their sandbox.
 */
void mg_cdr_preload(void);
gboolean mg_cdr_image_preload(void);

/* The module with the highest bid, or NULL. */
const struct mg_cdr_module *
mg_cdr_pick(const char *type, const char *ext, const guint8 *data, gsize len);

void mg_cdr_result_init(struct mg_cdr_result *r);
void mg_cdr_result_clear(struct mg_cdr_result *r);
/* Add a removal id once. */
void mg_cdr_result_removed(struct mg_cdr_result *r, const char *id);
/*
 * A module's verdict on a package while it works through it: the first
 * refusal wins, and an environment failure (`failed`: memory, a library)
 * stands above any refusal.  The module turns it into its result at the
 * end (mg_cdr_refuse for a refusal, MG_FAIL for a failure).
 */
struct mg_cdr_verdict {
	gboolean refused, failed;
	enum mg_reason reason;
	char *detail; /* the first refusal's, English, owned */
};
/* Record a refusal unless one (or a failure) is already recorded; always
 * FALSE, so that `return mg_cdr_verdict_refuse(…)` ends a step. */
gboolean mg_cdr_verdict_refuse(struct mg_cdr_verdict *v, enum mg_reason reason,
    const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Refuse: outcome REFUSED with `reason` and `detail` (taken, may be NULL);
 * whatever the module had put in data, extension, type and removed goes. */
void
mg_cdr_refuse(struct mg_cdr_result *r, enum mg_reason reason, char *detail);
/* `s` in `list`, ASCII case-insensitively; `n` < 0: NULL-terminated. */
gboolean mg_cdr_in_list(const char *s, const char *const *list, gssize n);
/* Whether a zip's own central directory names an entry `name` (prefix
 * FALSE) or one starting with it (prefix TRUE): members of members and
 * bytes elsewhere do not count. */
gboolean mg_cdr_zip_names(
    const guint8 *data, gsize len, const char *name, gboolean prefix);
/*
 * The longest member name a module writes into a zip.  libarchive 3.6.2's
 * zip writer copies the name into a 64 KiB buffer without checking: a
 * name over 65,536 bytes is a heap overflow (found by fuzz_cdr_ooxml,
 * whose harness builds zips from its input).  No name read from a zip
 * can be that long (zip stores its length in 16 bits, and on POSIX
 * libarchive reads names without converting them) and cdr_archive's own
 * names stay under 33 × 256 bytes: this bound keeps it so whatever a
 * module passes.
 */
#define MG_CDR_ZIP_NAME_MAX 16384

/*
 * Append one regular file to a zip being written with libarchive: fixed
 * time stamp (1980-01-02) and mode 0644, `name` as UTF-8 (the caller
 * runs in a UTF-8 locale, see cdr_archive.c).  FALSE when libarchive
 * refuses, or the name is empty or longer than MG_CDR_ZIP_NAME_MAX.
 */
struct archive;
gboolean mg_cdr_zip_add(
    struct archive *w, const char *name, const void *data, gsize len);

/* As mg_cdr_zip_add(), the member stored (not compressed): the writer
 * goes back to deflate for the members after it.  ODF's "mimetype" must
 * be stored (ODF 1.2 Part 3, 3.3). */
gboolean mg_cdr_zip_add_stored(
    struct archive *w, const char *name, const void *data, gsize len);
/*
 * A zip this module wrote (`zip`, trusted) with its first member's local
 * header made plain: no extra field, no data descriptor (its CRC and
 * sizes in the header instead), as ODF and EPUB want of their leading
 * stored "mimetype" (ODF 1.2 Part 3, 3.3), so that readers that look
 * for the media type at offset 38 find it.  libarchive always writes
 * both.  The central directory and its offsets follow.  NULL when the
 * zip is not as expected (the first member not stored, zip64 records).
 */
GBytes *mg_cdr_zip_plain_first(GBytes *zip);

/*
 * ---- What the zip-based document modules (ooxml, odf) share ----
 */

/* Expansion always allowed on top of max_archive_ratio: XML compresses
 * far better than 100:1, so a small document is not called a bomb. */
#define MG_CDR_RATIO_ALLOWANCE (1024 * 1024)

/* The limits a package is read under: ctx->limits with 0 taken as the
 * default, and the module's own member count. */
struct mg_cdr_zip_limits {
	guint64 part, member, total;
	guint ratio;
	guint members;
};
void mg_cdr_zip_limits(
    const struct mg_limits *l, guint members, struct mg_cdr_zip_limits *r);

/*
 * libarchive converts names through the current locale; in the "C"
 * locale every non-ASCII name would fail.  Enter a UTF-8 locale for this
 * thread only (uselocale) and leave it with the value returned.
 */
locale_t mg_cdr_utf8_enter(void);
void mg_cdr_utf8_leave(locale_t old);

/* A zip member name that is a relative path of plain segments: no "."
 * or ".." segment, no empty one, no drive letter, no backslash, no
 * control character, at most MG_CDR_ZIP_NAME_MAX bytes. */
gboolean mg_cdr_zip_name_safe(const char *name);

/*
 * Read every regular member of a zip (through its central directory, as
 * office suites do) under `lim`: member count, each member's size, the
 * total and, unless `no_ratio` (reading back our own output), the
 * expansion ratio.  Encrypted members, links, unsafe and non-UTF-8 names
 * are refused; directories are skipped.  `fn` gets each member in zip
 * order (name UTF-8, data its bytes) and returns FALSE to stop.
 * MG_OK; MG_REFUSE with *reason_r and *detail_r (g_free) set, or with
 * *detail_r NULL when `fn` stopped; MG_FAIL when libarchive could not
 * start.  *entries_r: the entries seen.
 */
typedef gboolean (*mg_cdr_zip_member_fn)(
    void *ctx, const char *name, GBytes *data);
enum mg_rc mg_cdr_zip_read(const guint8 *data, gsize len,
    const struct mg_cdr_zip_limits *lim, gboolean no_ratio,
    mg_cdr_zip_member_fn fn, void *ctx, guint *entries_r,
    enum mg_reason *reason_r, char **detail_r);

/* Where a zip being written goes: at most `max` bytes (`full` says that
 * the limit stopped it). */
struct mg_cdr_zip_sink {
	GByteArray *buf;
	guint64 max;
	gboolean full;
};
/* A zip writer into `s` (deflate, UTF-8 names), or NULL; run it inside
 * mg_cdr_utf8_enter(). */
struct archive *mg_cdr_zip_write_new(struct mg_cdr_zip_sink *s);
/* Finish a writer from mg_cdr_zip_write_new (`a` may be NULL): the zip,
 * when `ok` and it closes; else NULL with a refusal recorded in `v`
 * (too large when the sink was full, cdr_failed unless `v` already holds
 * a failure).  Frees `a` and the sink's buffer either way. */
struct mg_cdr_verdict;
GBytes *mg_cdr_zip_write_end(struct archive *a, struct mg_cdr_zip_sink *s,
    gboolean ok, struct mg_cdr_verdict *v);

/* Whether a hyperlink target may stay: http, https or mailto, and the
 * context keeps hyperlinks. */
gboolean mg_cdr_link_allowed(const struct mg_cdr_ctx *ctx, const char *target);

/*
 * XML parts, with libxml2.  mg_cdr_xml_parse() reads one without network
 * access, DTD loading or entity substitution, with libxml2's own size and
 * depth limits (never XML_PARSE_HUGE), and returns NULL when it is not
 * well-formed or has a DOCTYPE (the parser stops at the declaration, so
 * no entity is ever declared); *failed_r is set on an environment
 * failure.  Errors never reach stderr.  mg_cdr_xml_dump() writes a tree
 * as UTF-8 (NULL on failure).
 */
struct _xmlDoc;
void mg_cdr_xml_init(void);
struct _xmlDoc *mg_cdr_xml_parse(GBytes *b, gboolean *failed_r);
GBytes *mg_cdr_xml_dump(struct _xmlDoc *doc);

/* Notice wording of a removal id in `lang` ("ja"/"en"). */
const char *mg_cdr_removed_text(const char *id, const char *lang);

#endif
