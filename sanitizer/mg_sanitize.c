/*
 * mg_sanitize.c - the public API: one message in, a result out.
 *
 * Input: a file descriptor of the raw message (untrusted, any bytes).
 * Order of work, each step failing closed:
 *   1. size limit (before reading anything): over it → rejected;
 *   2. header-block limit on the raw bytes, then one GMime parse; the
 *      parser's critical warnings make the structure "untrusted";
 *   3. the walk (mg_walk.c) under the limits;
 *   4. if anything was removed or the message is held, its original is
 *      stored in the quarantine before any output exists — a storage
 *      failure is an environment failure (NULL: tempfail);
 *   5. the notice, the new body, the header edits and the report.
 * The engine owns the policy, the templates and the store; a result owns
 * everything it returns.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "cdr/mg_cdr.h"
#include "detect/mg_detect.h"
#include "mg_engine.h"
#include "mg_policy.h"
#include "mg_report.h"
#include "mime/mg_charset.h"
#include "mime/mg_header.h"
#include "mime/mg_walk.h"
#include "mugaika.h"
#include "quarantine/mg_audit.h"
#include "quarantine/mg_quarantine.h"
#include "scan/mg_scan.h"
#include "text/mg_notice.h"
#include "util/mg_util.h"

struct mugaika_engine {
	struct mg_policy *policy;
	char *tmpl_notice; /* parts removed, text delivered */
	char *tmpl_held;   /* the whole message held */
	char *tmpl_virus;  /* held because of malware */
	struct mg_qstore *store;
	pid_t store_pid; /* the process that opened `store` */
	struct mg_scan_engine *scan;
	struct mg_audit *audit; /* NULL: no audit log */
	GBytes *release_key;    /* NULL: releases are not recognised */
};

struct mugaika_result {
	enum mugaika_disposition disposition;
	enum mugaika_action action;
	char *smtp_code, *smtp_dsn, *smtp_text;
	gboolean headers_unknown; /* edits only add (mugaika_engine_hold) */
	gboolean passthrough;     /* a verified release: body unchanged */
	GPtrArray *threats;       /* char *, for mugaika_engine_rescan */
	char *quarantine_id;
	char *report;
	char *summary;
	GPtrArray *edits;   /* struct mugaika_hdr_edit * */
	GPtrArray *headers; /* struct orig_header *: the original header */
	GBytes *body;
};

/* One header line of the original message, in order. */
struct orig_header {
	char *name;
	char *raw; /* value after the colon, folding kept */
	gint64 offset;
};

static void
orig_header_free(struct orig_header *h)
{
	g_free(h->name);
	g_free(h->raw);
	g_free(h);
}

static void
hdr_edit_free(struct mugaika_hdr_edit *e)
{
	g_free(e->name);
	g_free(e->value);
	g_free(e);
}

void
mugaika_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

mugaika_engine *
mugaika_engine_new(const char *config_path, GError **err)
{
	return mugaika_engine_new_mode(config_path, NULL, err);
}

mugaika_engine *
mugaika_engine_new_mode(const char *config_path, const char *mode, GError **err)
{
	g_autoptr(mg_policy) p = NULL;
	mugaika_engine *e;

	mugaika_init();
	p = config_path != NULL ? mg_policy_load(config_path, err)
	                        : mg_policy_new_default();
	if (p == NULL)
		return NULL;
	if (g_strcmp0(mode, "text") == 0) {
		p->mode = MG_MODE_TEXT;
	} else if (g_strcmp0(mode, "cdr") == 0) {
		p->mode = MG_MODE_CDR;
	} else if (mode != NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "unknown mode \"%s\" (text | cdr)", mode);
		return NULL;
	}
	e = g_new0(mugaika_engine, 1);
	e->policy = g_steal_pointer(&p);
	/* The notice says what happened to the attachments: removed (text
	 * mode) or rebuilt (cdr), each in its own template. */
	e->tmpl_notice = mg_notice_load(e->policy->templates_dir,
	    e->policy->mode == MG_MODE_CDR ? "cdr" : "notice",
	    e->policy->language, err);
	if (e->tmpl_notice == NULL)
		goto fail;
	e->tmpl_held = mg_notice_load(
	    e->policy->templates_dir, "held", e->policy->language, err);
	if (e->tmpl_held == NULL)
		goto fail;
	e->tmpl_virus = mg_notice_load(
	    e->policy->templates_dir, "virus", e->policy->language, err);
	if (e->tmpl_virus == NULL)
		goto fail;
	/* Load the converters now: a sandboxed worker may not be able to
	 * open glibc's gconv modules later. */
	mg_charset_preload();
	/* libmagic's database (8 MB) loaded once here, before the milter
	 * forks its workers: shared copy-on-write, and not opened again
	 * inside a worker's sandbox. */
	g_free(mg_detect_type("", 0));
	mg_cdr_preload();
	e->scan = mg_scan_engine_new(e->policy, err);
	if (e->scan == NULL)
		goto fail;
	e->store = mg_qstore_open(e->policy->quarantine_dir, err);
	if (e->store == NULL)
		goto fail;
	e->store_pid = getpid();
	/* The release key is optional: without it no release header is
	 * ever believed, and `mugaika quarantine release` refuses to run. */
	{
		char *key = NULL;
		gsize klen = 0;

		if (g_file_get_contents(
		        e->policy->release_key_file, &key, &klen, NULL)) {
			if (klen >= 16)
				e->release_key = g_bytes_new_take(key, klen);
			else {
				g_warning("%s: release key shorter than 16 "
				          "bytes: ignored",
				    e->policy->release_key_file);
				g_free(key);
			}
		}
	}
	if (e->policy->audit_file != NULL && *e->policy->audit_file != '\0') {
		e->audit = mg_audit_open(e->policy->audit_file, TRUE, err);
		if (e->audit == NULL)
			goto fail;
	}
	return e;
fail:
	mugaika_engine_free(e);
	return NULL;
}

void
mugaika_engine_free(mugaika_engine *e)
{
	if (e == NULL)
		return;
	mg_policy_free(e->policy);
	g_free(e->tmpl_notice);
	g_free(e->tmpl_held);
	g_free(e->tmpl_virus);
	if (e->scan != NULL)
		mg_scan_engine_free(e->scan);
	if (e->store != NULL && e->store_pid == getpid())
		mg_qstore_close(e->store);
	if (e->audit != NULL)
		mg_audit_close(e->audit);
	if (e->release_key != NULL)
		g_bytes_unref(e->release_key);
	g_free(e);
}

const struct mg_policy *
mg_engine_policy(const mugaika_engine *e)
{
	return e->policy;
}

struct mg_scan_engine *
mg_engine_scan(const mugaika_engine *e)
{
	return e->scan;
}

guint64
mugaika_engine_max_message_size(const mugaika_engine *e)
{
	return e->policy->limits.max_message_size;
}

void
mugaika_result_free(mugaika_result *r)
{
	if (r == NULL)
		return;
	g_free(r->quarantine_id);
	if (r->threats != NULL)
		g_ptr_array_unref(r->threats);
	g_free(r->smtp_code);
	g_free(r->smtp_dsn);
	g_free(r->smtp_text);
	g_free(r->report);
	g_free(r->summary);
	if (r->edits != NULL)
		g_ptr_array_unref(r->edits);
	if (r->headers != NULL)
		g_ptr_array_unref(r->headers);
	if (r->body != NULL)
		g_bytes_unref(r->body);
	g_free(r);
}

const char *
mugaika_disposition_name(enum mugaika_disposition d)
{
	switch (d) {
	case MUGAIKA_CLEAN:
		return "clean";
	case MUGAIKA_SANITIZED:
		return "sanitized";
	case MUGAIKA_QUARANTINED:
		return "quarantined";
	case MUGAIKA_REJECTED:
		return "rejected";
	}
	return "quarantined";
}

enum mugaika_disposition
mugaika_result_disposition(const mugaika_result *r)
{
	return r->disposition;
}

enum mugaika_action
mugaika_result_action(const mugaika_result *r)
{
	return r->action;
}

void
mugaika_result_smtp_reply(const mugaika_result *r, const char **code_r,
    const char **dsn_r, const char **text_r)
{
	*code_r = r->smtp_code != NULL ? r->smtp_code : "451";
	*dsn_r = r->smtp_dsn != NULL ? r->smtp_dsn : "4.7.1";
	*text_r = r->smtp_text != NULL ? r->smtp_text : "try again later";
}

void
mugaika_engine_status(const mugaika_engine *e, struct mugaika_status *st)
{
	const struct mg_scan_db_info *db = mg_scan_engine_info(e->scan);

	st->database = db->path;
	st->signatures = db->signatures;
	st->version = db->version;
	st->build_time = db->build_time;
	st->age =
	    mg_scan_engine_age(e->scan, g_get_real_time() / G_USEC_PER_SEC);
	st->stale = st->age > e->policy->max_database_age;
}

const char *
mugaika_result_quarantine_id(const mugaika_result *r)
{
	return r->quarantine_id;
}

const char *
mugaika_result_report_json(const mugaika_result *r)
{
	return r->report;
}

const char *
mugaika_result_summary(const mugaika_result *r)
{
	return r->summary;
}

const GPtrArray *
mugaika_result_header_edits(const mugaika_result *r)
{
	return r->edits;
}

GBytes *
mugaika_result_body(const mugaika_result *r)
{
	return r->body;
}

/* ---- parsing ---- */

struct parse_warnings {
	gboolean critical;
	gboolean nesting;
};

static void
on_parser_warning(
    gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	struct parse_warnings *pw = data;

	(void)offset;
	(void)item;
	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		pw->nesting = TRUE;
	if (mg_walk_parse_warning_is_critical(code))
		pw->critical = TRUE;
}

/* Bytes before the blank line that ends the top-level header block, or
 * len when there is none. */
static gsize
header_block_len(const char *data, gsize len)
{
	gsize i;

	for (i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 1;
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* ---- output ---- */

static void
add_edit(GPtrArray *edits, enum mugaika_hdr_op op, const char *name,
    guint index, const char *value)
{
	struct mugaika_hdr_edit *e = g_new0(struct mugaika_hdr_edit, 1);

	e->op = op;
	e->name = g_strdup(name);
	e->index = index;
	e->value = g_strdup(value);
	g_ptr_array_add(edits, e);
}

static gint
by_offset(gconstpointer a, gconstpointer b)
{
	const struct orig_header *x = *(struct orig_header *const *)a;
	const struct orig_header *y = *(struct orig_header *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void
collect_headers(GPtrArray *out, GMimeObject *o)
{
	GMimeHeaderList *hl;
	int i, n;

	if (o == NULL)
		return;
	hl = g_mime_object_get_header_list(o);
	n = g_mime_header_list_get_count(hl);
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		struct orig_header *oh = g_new0(struct orig_header, 1);

		oh->name = g_strdup(g_mime_header_get_raw_name(h));
		oh->raw = g_strdup(g_mime_header_get_raw_value(h));
		oh->offset = g_mime_header_get_offset(h);
		g_ptr_array_add(out, oh);
	}
}

/* RFC 5322 §3.6.8: a field name is printable US-ASCII but ':' (33-126);
 * one with 8-bit bytes or a space (GMime keeps "Subject :" as a name) is
 * dropped: readers would take it, and what follows, for the body. */
static gboolean
valid_field_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (*p == '\0')
		return FALSE;
	for (; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return FALSE;
	return TRUE;
}

static gboolean
has_8bit(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((guchar)*s >= 0x80)
			return TRUE;
	return FALSE;
}

/* Raw text a header must not carry on as it is: 8-bit bytes, or the
 * escape sequences of raw ISO-2022-JP (old Japanese mailers wrote JIS
 * into headers without RFC 2047; many readers now show it as garbage). */
static gboolean
needs_reencoding(const char *raw)
{
	return has_8bit(raw) || (raw != NULL && strchr(raw, 0x1b) != NULL);
}

static gboolean
is_address_header(const char *name)
{
	static const char *const names[] = {"from", "to", "cc", "bcc",
	    "reply-to", "sender", "resent-from", "resent-to", "resent-cc",
	    "resent-sender", NULL};
	guint i;

	for (i = 0; names[i] != NULL; i++)
		if (g_ascii_strcasecmp(name, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/* When the header block itself is over the limit, a held message keeps
 * only the headers a reader needs to recognise it, each of bounded size. */
#define MG_KEPT_HEADER_MAX 4096

static gboolean
is_essential_header(const struct orig_header *h)
{
	static const char *const names[] = {"from", "to", "cc", "reply-to",
	    "subject", "date", "message-id", "in-reply-to", "references", NULL};
	guint i;

	if (h->raw == NULL || strlen(h->raw) > MG_KEPT_HEADER_MAX)
		return FALSE;
	for (i = 0; names[i] != NULL; i++)
		if (g_ascii_strcasecmp(h->name, names[i]) == 0)
			return TRUE;
	return FALSE;
}

gboolean
mugaika_header_is_replaced(const char *name)
{
	return g_ascii_strncasecmp(name, "content-", 8) == 0 ||
	       g_ascii_strcasecmp(name, "mime-version") == 0 ||
	       g_ascii_strncasecmp(name, "x-mugaika", 9) == 0;
}

/*
 * A decoded header value we write back: controls (C0 but TAB, DEL, C1)
 * and the bidi controls that reorder what a reader sees (the
 * "exe.txt" spoof) become U+FFFD, so re-encoding cannot smuggle them into
 * the reader's mail client.
 */
static char *
header_text_safe(const char *s)
{
	GString *out = g_string_new(NULL);
	const char *p;

	for (p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\t')
			g_string_append_c(out, ' ');
		else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		         (c >= 0x202a && c <= 0x202e) ||
		         (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
		         c == 0x200f || c == 0x061c)
			g_string_append_unichar(out, 0xfffd);
		else
			g_string_append_unichar(out, c);
	}
	mg_compose_kana(out->str);
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}

static char *
decode_safe(const char *raw)
{
	g_autofree char *dec = mg_header_decode(raw);

	return header_text_safe(dec);
}

/* Re-encode a header value that arrived as raw 8-bit bytes or raw JIS, so
 * the output is plain RFC 5322 (RFC 2047 words in UTF-8). */
static char *
reencode_8bit(const char *name, const char *raw)
{
	g_autofree char *dec = decode_safe(raw);

	if (is_address_header(name)) {
		InternetAddressList *l = internet_address_list_parse(NULL, dec);

		if (l != NULL) {
			char *s =
			    internet_address_list_to_string(l, NULL, TRUE);

			g_object_unref(l);
			/* An addr-spec with 8-bit bytes has no 7-bit form
			 * (RFC 2047 §5 forbids encoded words there): the
			 * whole value becomes text, shown but not routed
			 * (the envelope routes). */
			if (!has_8bit(s))
				return s;
			g_free(s);
		}
	}
	return mg_header_encode(dec);
}

/*
 * The header edits, in the form libmilter applies them: deletions of
 * every Content-*, MIME-Version and incoming X-Mugaika* header (a forged
 * X-Mugaika must never survive), highest index first so both counting
 * conventions agree; re-encoding of raw 8-bit values; the subject tag;
 * then our own headers appended.
 */
/* Header i's occurrence (1-based) among the headers of its name, as
 * smfi_chgheader counts them. */
static guint
occurrence(GPtrArray *headers, guint i)
{
	const struct orig_header *h = g_ptr_array_index(headers, i);
	guint j, n = 0;

	for (j = 0; j <= i; j++) {
		const struct orig_header *o = g_ptr_array_index(headers, j);

		n += g_ascii_strcasecmp(o->name, h->name) == 0;
	}
	return n;
}

static GPtrArray *
build_edits(const struct mg_policy *pol, GPtrArray *headers,
    gboolean essential_only, const char *content_type, const char *cte,
    const char *xmugaika)
{
	GPtrArray *edits =
	    g_ptr_array_new_with_free_func((GDestroyNotify)hdr_edit_free);
	guint i;
	gboolean subject_done = FALSE;

	for (i = headers->len; i-- > 0;) {
		const struct orig_header *h = g_ptr_array_index(headers, i);
		g_autofree char *lname = g_ascii_strdown(h->name, -1);
		guint idx = occurrence(headers, i);

		if (mugaika_header_is_replaced(h->name) ||
		    !valid_field_name(h->name) ||
		    (essential_only && !is_essential_header(h))) {
			add_edit(edits, MUGAIKA_HDR_CHANGE, h->name, idx, NULL);
			continue;
		}
		if (strcmp(lname, "subject") == 0 && idx == 1 &&
		    pol->subject_tag != NULL && *pol->subject_tag != '\0') {
			g_autofree char *dec = decode_safe(h->raw);
			g_autofree char *tagged =
			    g_strdup_printf("%s %s", pol->subject_tag, dec);
			g_autofree char *enc = mg_header_encode(tagged);

			add_edit(edits, MUGAIKA_HDR_CHANGE, h->name, idx, enc);
			subject_done = TRUE;
			continue;
		}
		if (strcmp(lname, "subject") == 0 && idx == 1) {
			subject_done = TRUE;
			/* Re-encode a subject made of encoded words as clean
			 * UTF-8 words: mailers split ISO-2022-JP characters
			 * across words and use NEC/IBM extensions, which
			 * readers that decode word by word show as garbage. */
			if (strstr(h->raw, "=?") != NULL ||
			    needs_reencoding(h->raw)) {
				g_autofree char *dec = decode_safe(h->raw);
				g_autofree char *enc = mg_header_encode(dec);

				add_edit(edits, MUGAIKA_HDR_CHANGE, h->name,
				    idx, enc);
			}
			continue;
		}
		if (needs_reencoding(h->raw)) {
			g_autofree char *enc = reencode_8bit(h->name, h->raw);

			add_edit(edits, MUGAIKA_HDR_CHANGE, h->name, idx, enc);
		}
	}
	if (!subject_done && pol->subject_tag != NULL &&
	    *pol->subject_tag != '\0') {
		g_autofree char *enc = mg_header_encode(pol->subject_tag);

		add_edit(edits, MUGAIKA_HDR_ADD, "Subject", 0, enc);
	}
	add_edit(edits, MUGAIKA_HDR_ADD, "MIME-Version", 0, "1.0");
	add_edit(edits, MUGAIKA_HDR_ADD, "Content-Type", 0, content_type);
	add_edit(edits, MUGAIKA_HDR_ADD, "Content-Transfer-Encoding", 0, cte);
	add_edit(edits, MUGAIKA_HDR_ADD, "X-Mugaika", 0, xmugaika);
	return edits;
}

/* Base64 in lines of 76 characters (RFC 2045 §6.8). */
static GBytes *
base64_body(const char *text, gsize len)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)text, len);
	GString *out = g_string_sized_new(strlen(b64) + strlen(b64) / 76 + 2);
	gsize i, n = strlen(b64);

	for (i = 0; i < n; i += 76) {
		g_string_append_len(out, b64 + i, MIN(76, n - i));
		g_string_append_c(out, '\n');
	}
	return g_string_free_to_bytes(out);
}

static gboolean
lines_fit(const char *s, gsize len, gsize max)
{
	gsize i, run = 0;

	for (i = 0; i < len; i++) {
		run = s[i] == '\n' ? 0 : run + 1;
		if (run > max)
			return FALSE;
	}
	return TRUE;
}

/* Encode the body text; sets *charset_r and *cte_r to static names. */
static GBytes *
encode_body(const struct mg_policy *pol, const char *text,
    const char **charset_r, const char **cte_r)
{
	gsize len = strlen(text);

	if (pol->output_charset == MG_OUT_ISO2022JP) {
		gsize jlen = 0;
		char *jis = mg_charset_utf8_to_iso2022jp(text, len, &jlen);

		/* 7bit needs lines of at most 998 octets (RFC 5322 §2.1.1);
		 * otherwise fall back to UTF-8 in base64. */
		if (jis != NULL && lines_fit(jis, jlen, 998)) {
			*charset_r = "ISO-2022-JP";
			*cte_r = "7bit";
			return g_bytes_new_take(jis, jlen);
		}
		g_free(jis);
	}
	*charset_r = "UTF-8";
	*cte_r = "base64";
	return base64_body(text, len);
}

/* A GMime part whose content is `data`, already in `enc` (or raw with
 * GMIME_CONTENT_ENCODING_DEFAULT, then encoded as `want` on output). */
static GMimePart *
leaf_part(const char *type, GBytes *data, GMimeContentEncoding enc,
    GMimeContentEncoding want)
{
	GMimeContentType *ct = g_mime_content_type_parse(NULL, type);
	GMimePart *part = g_mime_part_new();
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(
	    g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(s, enc);

	g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, want);
	g_object_unref(ct);
	g_object_unref(dw);
	g_object_unref(s);
	return part;
}

/*
 * mode = cdr: the text and the rebuilt files as one multipart/mixed body.
 * GMime writes the structure, the base64 and the file-name parameters:
 * RFC 2231 in Content-Disposition (what current mailers read) and an RFC
 * 2047 word in Content-Type's name (what older Japanese mailers read).
 * Returns the body; *content_type_r is the new Content-Type value.
 */
static GBytes *
compose_multipart(GBytes *text, const char *charset, const char *cte,
    const GPtrArray *outputs, char **content_type_r)
{
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
	GMimeFormatOptions *fmt = g_mime_format_options_new();
	g_autofree char *ttype =
	    g_strdup_printf("text/plain; charset=%s", charset);
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *ba;
	GMimePart *tp;
	GBytes *body;
	guint i;

	g_mime_format_options_set_newline_format(
	    fmt, GMIME_NEWLINE_FORMAT_UNIX);
	tp = leaf_part(ttype, text,
	    strcmp(cte, "base64") == 0 ? GMIME_CONTENT_ENCODING_BASE64
	                               : GMIME_CONTENT_ENCODING_7BIT,
	    strcmp(cte, "base64") == 0 ? GMIME_CONTENT_ENCODING_BASE64
	                               : GMIME_CONTENT_ENCODING_7BIT);
	g_mime_multipart_add(mp, GMIME_OBJECT(tp));
	g_object_unref(tp);
	for (i = 0; i < outputs->len; i++) {
		const struct mg_output *o = g_ptr_array_index(outputs, i);
		GMimePart *ap = leaf_part(o->mime_type, o->data,
		    GMIME_CONTENT_ENCODING_DEFAULT,
		    GMIME_CONTENT_ENCODING_BASE64);
		GMimeContentType *ct =
		    g_mime_object_get_content_type(GMIME_OBJECT(ap));
		GMimeParam *name;

		g_mime_part_set_filename(ap, o->name);
		name = g_mime_param_list_get_parameter(
		    g_mime_content_type_get_parameters(ct), "name");
		if (name != NULL)
			g_mime_param_set_encoding_method(
			    name, GMIME_PARAM_ENCODING_METHOD_RFC2047);
		g_mime_multipart_add(mp, GMIME_OBJECT(ap));
		g_object_unref(ap);
	}
	g_mime_object_write_content_to_stream(GMIME_OBJECT(mp), fmt, out);
	{
		char *ct = g_mime_content_type_encode(
		    g_mime_object_get_content_type(GMIME_OBJECT(mp)), fmt);

		/* GMime folds it for a header line: one line, no lead. */
		*content_type_r = g_strdup(g_strstrip(ct));
		g_free(ct);
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	body = g_bytes_new(ba->data, ba->len);
	g_object_unref(out);
	g_object_unref(mp);
	g_mime_format_options_free(fmt);
	return body;
}

static char *
decoded_header(GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl;
	GMimeHeader *h;

	if (o == NULL)
		return NULL;
	hl = g_mime_object_get_header_list(o);
	h = g_mime_header_list_get_header(hl, name);
	if (h == NULL)
		return NULL;
	return mg_header_decode(g_mime_header_get_raw_value(h));
}

static enum mg_rc
store_original(mugaika_engine *e, int fd, const struct mugaika_envelope *env,
    GMimeMessage *msg, const mugaika_result *r, const struct mg_walk *w,
    GError **err)
{
	g_autoptr(mg_qentry) q = g_new0(struct mg_qentry, 1);
	GPtrArray *reasons = g_ptr_array_new();
	GMimeObject *o = msg != NULL ? GMIME_OBJECT(msg) : NULL;
	enum mg_rc rc;
	guint i;

	q->id = g_strdup(r->quarantine_id);
	q->disposition = g_strdup(mugaika_disposition_name(r->disposition));
	q->report_json = g_strdup(r->report);
	q->from = decoded_header(o, "From");
	q->subject = decoded_header(o, "Subject");
	q->message_id = decoded_header(o, "Message-ID");
	q->sender = g_strdup(
	    env != NULL && env->sender != NULL ? env->sender : q->from);
	if (env != NULL && env->recipients != NULL) {
		q->recipients = g_strdupv((char **)env->recipients);
	} else {
		g_autofree char *to = decoded_header(o, "To");
		char *one[] = {to, NULL};

		q->recipients = g_strdupv(to != NULL ? one : one + 1);
	}
	for (i = 0; i < w->reasons->len; i++)
		g_ptr_array_add(reasons, g_strdup(mg_reason_id(g_array_index(
		                             w->reasons, enum mg_reason, i))));
	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);
		const char *id = mg_reason_id(p->reason);
		guint j;
		gboolean dup = FALSE;

		if (p->action != MG_ACTION_REMOVED ||
		    p->reason == MG_REASON_ARCHIVE_MEMBER)
			continue;
		for (j = 0; j < reasons->len; j++)
			dup |= strcmp(g_ptr_array_index(reasons, j), id) == 0;
		if (!dup)
			g_ptr_array_add(reasons, g_strdup(id));
	}
	g_ptr_array_add(reasons, NULL);
	q->reasons = (char **)g_ptr_array_free(reasons, FALSE);
	/* A store (SQLite connection, lock file) is never used across a
	 * fork: a forked worker opens its own on first use and leaves the
	 * inherited one alone (closing it could write to the parent's
	 * database). */
	if (e->store_pid != getpid()) {
		struct mg_qstore *s =
		    mg_qstore_open(e->policy->quarantine_dir, err);

		if (s == NULL)
			return MG_FAIL;
		e->store = s;
		e->store_pid = getpid();
	}
	rc = mg_qstore_put(e->store, fd, q, err);
	return rc;
}

/*
 * Scan bytes that are not a MIME part of their own (the raw message, the
 * text to deliver); recorded as a part only when something was found.
 */
static void
scan_extra(struct mg_walk *w, const char *path, const char *type,
    const void *data, gsize len)
{
	struct mg_part *p = g_new0(struct mg_part, 1);

	p->path = g_strdup(path);
	p->declared_type = g_strdup(type);
	p->action = MG_ACTION_KEPT;
	/* The raw message as bytes: its parts are scanned decoded by the
	 * walk (one parse, see mg_scan.h). */
	mg_inspect_scan_opts(
	    w, p, data, len, NULL, strcmp(path, "message") != 0);
	if (p->reason == MG_REASON_NONE) {
		mg_part_free(p);
		return;
	}
	p->size = len;
	p->sha256 = mg_sha256_hex(data, len);
	g_ptr_array_add(w->parts, p);
}

/*
 * A threat in the delivered text came from the text parts it was made of
 * (they are not scanned one by one: see mg_walk.c): mark them, so the
 * report names the part that carried it.
 */
static void
blame_text_parts(struct mg_walk *w)
{
	const struct mg_part *t = NULL;
	guint i;

	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);

		if (g_strcmp0(p->path, "text") == 0 && p->threat != NULL)
			t = p;
	}
	if (t == NULL)
		return;
	for (i = 0; i < w->parts->len; i++) {
		struct mg_part *p = g_ptr_array_index(w->parts, i);

		if (p->action != MG_ACTION_KEPT &&
		    p->action != MG_ACTION_CONVERTED)
			continue;
		if (p == t || g_strcmp0(p->path, "message") == 0)
			continue;
		p->action = MG_ACTION_REMOVED;
		p->reason = MG_REASON_VIRUS;
		g_free(p->threat);
		p->threat = g_strdup(t->threat);
	}
}

static const char *
mode_name(const struct mg_policy *pol)
{
	return pol->mode == MG_MODE_CDR ? "cdr" : "text";
}

static char *
make_report(const mugaika_result *r, const struct mg_walk *w, GMimeMessage *msg,
    const struct mugaika_envelope *env, guint64 size)
{
	GMimeObject *mo = msg != NULL ? GMIME_OBJECT(msg) : NULL;
	g_autofree char *from = decoded_header(mo, "From");
	g_autofree char *subject = decoded_header(mo, "Subject");
	g_autofree char *mid = decoded_header(mo, "Message-ID");
	static const char *const actions[] = {
	    "deliver", "discard", "reject", "tempfail"};
	struct mg_report_info info = {
	    .disposition = mugaika_disposition_name(r->disposition),
	    .action = actions[r->action],
	    .quarantine_id = r->quarantine_id,
	    .mode = mode_name(w->policy),
	    .message_id = mid,
	    .from = from,
	    .subject = subject,
	    .sender = env != NULL ? env->sender : NULL,
	    .recipients = env != NULL ? env->recipients : NULL,
	    .size = size,
	};

	return mg_report_json(&info, w);
}

static char *
make_summary(const mugaika_result *r, const struct mg_walk *w)
{
	GString *s = g_string_new(NULL);
	guint i, removed = 0;

	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);

		removed += p->action == MG_ACTION_REMOVED;
	}
	g_string_append_printf(s, "disposition=%s id=%s removed=%u",
	    mugaika_disposition_name(r->disposition),
	    r->quarantine_id != NULL ? r->quarantine_id : "-", removed);
	for (i = 0; i < w->reasons->len; i++)
		g_string_append_printf(s, "%s%s", i == 0 ? " reasons=" : ",",
		    mg_reason_id(g_array_index(w->reasons, enum mg_reason, i)));
	return g_string_free(s, FALSE);
}

static gboolean audit_message(mugaika_engine *e, const mugaika_result *r,
    const struct mg_walk *w, const struct mugaika_envelope *env,
    GMimeMessage *msg, guint64 size, GError **err);

/* ---- releases ---- */

#define RELEASE_HEADER "X-Mugaika-Release"

/*
 * SHA-256 (hex) of a message's body: the bytes after the blank line that
 * ends the header, with CRLF read as LF (the MTA may have changed line
 * ends on the way back in).  The header is left out on purpose: the MTA
 * adds a Received line when the message is re-injected, and nothing but
 * the body can carry an attachment.
 */
static char *
body_digest(const char *data, gsize len)
{
	g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
	gsize i = header_block_len(data, len), start;

	if (i < len && data[i] == '\r')
		i++;
	start = i < len ? i + 1 : len;
	for (i = start; i < len;) {
		gsize run = i;

		while (run < len && data[run] != '\r')
			run++;
		g_checksum_update(c, (const guchar *)data + i, run - i);
		if (run < len) {
			if (run + 1 < len && data[run + 1] == '\n') {
				run++; /* CRLF: keep the LF only */
			} else {
				g_checksum_update(c, (const guchar *)"\r", 1);
				run++;
			}
		}
		i = run;
	}
	return g_strdup(g_checksum_get_string(c));
}

/*
 * The headers that decide how the body is read (Content-Type with its
 * boundary, Content-Transfer-Encoding), whitespace-normalised: bound into
 * the MAC so a released body cannot be relabelled (another boundary, a
 * multipart type) and pass through unsanitized.
 */
static char *
content_binding(GPtrArray *headers)
{
	static const char *const names[] = {
	    "content-type", "content-transfer-encoding", NULL};
	GString *b = g_string_new(NULL);
	guint i, j;

	for (j = 0; names[j] != NULL; j++) {
		g_string_append(b, names[j]);
		g_string_append_c(b, ':');
		for (i = 0; i < headers->len; i++) {
			const struct orig_header *h =
			    g_ptr_array_index(headers, i);
			g_auto(GStrv) words = NULL;
			g_autofree char *v = NULL;

			if (g_ascii_strcasecmp(h->name, names[j]) != 0)
				continue;
			words = g_strsplit_set(h->raw, " \t\r\n", -1);
			v = g_strjoinv("", words);
			g_string_append(b, v);
			g_string_append_c(b, ';');
		}
		g_string_append_c(b, '\n');
	}
	return g_string_free(b, FALSE);
}

static char *
release_mac(
    GBytes *key, const char *qid, const char *digest, const char *binding)
{
	g_autofree char *msg = g_strdup_printf(
	    "mugaika-release-v2\n%s\n%s\n%s", qid, digest, binding);
	gsize klen;
	const guchar *k = g_bytes_get_data(key, &klen);

	return g_compute_hmac_for_string(G_CHECKSUM_SHA256, k, klen, msg, -1);
}

static gboolean
equal_const_time(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b), i;
	guchar d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (guchar)(a[i] ^ b[i]);
	return d == 0;
}

/* The quarantine id of a verified release header, or NULL. */
static char *
verified_release(
    mugaika_engine *e, GPtrArray *headers, const char *data, gsize len)
{
	guint i;

	if (e->release_key == NULL)
		return NULL;
	for (i = 0; i < headers->len; i++) {
		const struct orig_header *h = g_ptr_array_index(headers, i);
		g_autofree char *v = NULL, *digest = NULL, *mac = NULL;
		char qid[64], hex[65];

		if (g_ascii_strcasecmp(h->name, RELEASE_HEADER) != 0)
			continue;
		v = g_strstrip(g_strdup(h->raw));
		if (sscanf(v, "id=%63[A-Z0-9-]; mac=%64[0-9a-f]", qid, hex) !=
		        2 ||
		    !mg_qstore_valid_id(qid))
			return NULL;
		{
			g_autofree char *bind = content_binding(headers);

			digest = body_digest(data, len);
			mac = release_mac(e->release_key, qid, digest, bind);
		}
		return equal_const_time(mac, hex) ? g_strdup(qid) : NULL;
	}
	return NULL;
}

char *
mugaika_engine_release_header(
    mugaika_engine *e, const char *qid, int fd, GError **err)
{
	g_autofree char *data = NULL, *digest = NULL, *mac = NULL;
	gsize len = 0, cap = 1 << 16;
	ssize_t n;

	if (e->release_key == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		    "no release key (%s): create one with "
		    "`head -c 32 /dev/urandom > %s`",
		    e->policy->release_key_file, e->policy->release_key_file);
		return NULL;
	}
	data = g_malloc(cap);
	while ((n = pread(fd, data + len, cap - len, (off_t)len)) > 0) {
		len += (gsize)n;
		if (len == cap) {
			cap *= 2;
			data = g_realloc(data, cap);
		}
	}
	if (n < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "read: %s", g_strerror(errno));
		return NULL;
	}
	digest = body_digest(data, len);
	{
		/* The headers as the gateway will see them: one parse. */
		GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
		GMimeParser *ps = g_mime_parser_new_with_stream(st);
		GMimeMessage *m = g_mime_parser_construct_message(ps, NULL);
		g_autoptr(GPtrArray) hdrs = g_ptr_array_new_with_free_func(
		    (GDestroyNotify)orig_header_free);
		g_autofree char *bind = NULL;

		if (m != NULL) {
			collect_headers(hdrs, GMIME_OBJECT(m));
			collect_headers(hdrs, g_mime_message_get_mime_part(m));
		}
		bind = content_binding(hdrs);
		mac = release_mac(e->release_key, qid, digest, bind);
		g_clear_object(&m);
		g_object_unref(ps);
		g_object_unref(st);
	}
	return g_strdup_printf("id=%s; mac=%s", qid, mac);
}

gboolean
mugaika_result_passthrough(const mugaika_result *r)
{
	return r->passthrough;
}

/*
 * A verified release: the original goes through as it is.  Incoming
 * X-Mugaika* headers but the release header go (as always); X-Mugaika
 * says where the message came from.
 */
static void
make_passthrough(const struct mg_policy *pol, mugaika_result *r,
    const char *qid, const char *data, gsize len)
{
	gsize hl = header_block_len(data, len), start;
	guint i;

	if (hl < len && data[hl] == '\r')
		hl++;
	start = hl < len ? hl + 1 : len;
	r->passthrough = TRUE;
	r->disposition = MUGAIKA_CLEAN;
	r->action = MUGAIKA_DELIVER;
	r->edits =
	    g_ptr_array_new_with_free_func((GDestroyNotify)hdr_edit_free);
	for (i = r->headers->len; i-- > 0;) {
		const struct orig_header *h = g_ptr_array_index(r->headers, i);
		guint idx;

		if (g_ascii_strncasecmp(h->name, "x-mugaika", 9) != 0)
			continue;
		idx = occurrence(r->headers, i);
		/* Only the release header that verified (the first) stays. */
		if (g_ascii_strcasecmp(h->name, RELEASE_HEADER) == 0 &&
		    idx == 1)
			continue;
		add_edit(r->edits, MUGAIKA_HDR_CHANGE, h->name, idx, NULL);
	}
	{
		g_autofree char *xm = g_strdup_printf(
		    "released; id=%s; host=%s", qid, pol->hostname);

		add_edit(r->edits, MUGAIKA_HDR_ADD, "X-Mugaika", 0, xm);
	}
	r->body = g_bytes_new(data + start, len - start);
}

static mugaika_result *
sanitize(mugaika_engine *e, int fd, const struct mugaika_envelope *env,
    gboolean dry, const char *known_id, GError **err)
{
	const struct mg_policy *pol = e->policy;
	GMimeParserOptions *popts = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GMimeStream *stream = NULL;
	struct parse_warnings pw = {0};
	struct mg_walk w;
	struct stat st;
	mugaika_result *r;
	const char *charset = "UTF-8", *cte = "base64";
	gboolean store;
	void *map = NULL;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "message is not a regular file");
		return NULL;
	}
	/* Policy requires current signatures (max_database_age). */
	if (mg_scan_engine_age(e->scan, g_get_real_time() / G_USEC_PER_SEC) >
	        pol->max_database_age &&
	    pol->stale_database_action == MG_STALE_TEMPFAIL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "malware signatures are older than [scan] "
		    "max_database_age (stale_database_action = tempfail)");
		return NULL;
	}
	r = g_new0(mugaika_result, 1);
	r->headers =
	    g_ptr_array_new_with_free_func((GDestroyNotify)orig_header_free);
	mg_walk_init(&w, pol, e->scan);

	/* 1. The size limit, before any byte is parsed. */
	if ((guint64)st.st_size > pol->limits.max_message_size) {
		struct mg_report_info info = {.disposition = "rejected",
		    .action = "reject",
		    .mode = mode_name(pol),
		    .size = (guint64)st.st_size};

		mg_walk_add_reason(&w, MG_REASON_MESSAGE_TOO_LARGE);
		r->disposition = MUGAIKA_REJECTED;
		r->action = MUGAIKA_REJECT;
		r->smtp_code = g_strdup("552");
		r->smtp_dsn = g_strdup("5.3.4");
		r->smtp_text = g_strdup("message size exceeds the limit");
		r->edits = g_ptr_array_new_with_free_func(
		    (GDestroyNotify)hdr_edit_free);
		r->report = mg_report_json(&info, &w);
		r->summary = make_summary(r, &w);
		mg_walk_clear(&w);
		return r;
	}

	/* 2. The header-block limit on the raw bytes, then one parse. */
	if (st.st_size > 0) {
		map = mmap(
		    NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "mmap: %s",
			    g_strerror(errno));
			mg_walk_clear(&w);
			mugaika_result_free(r);
			return NULL;
		}
		if (header_block_len(map, (gsize)st.st_size) >
		    pol->limits.max_header_size)
			mg_walk_add_reason(&w, MG_REASON_HEADER_TOO_LARGE);
	}
	if (st.st_size > 0) {
		int dfd = dup(fd);

		if (dfd < 0) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "dup: %s",
			    g_strerror(errno));
			goto fail;
		}
		/* A mapped stream (which owns dfd): the parts GMime builds
		 * keep references into it (persist) instead of copies, so
		 * a large message is not held twice in memory. */
		stream = g_mime_stream_mmap_new_with_bounds(
		    dfd, PROT_READ, MAP_PRIVATE, 0, -1);
		if (stream == NULL) {
			close(dfd);
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot map the message");
			goto fail;
		}
		popts = g_mime_parser_options_new();
		g_mime_parser_options_set_warning_callback(
		    popts, on_parser_warning, &pw);
		parser = g_mime_parser_new_with_stream(stream);
		g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
		msg = g_mime_parser_construct_message(parser, popts);
		g_object_unref(stream);
	}
	if (pw.nesting)
		mg_walk_add_reason(&w, MG_REASON_TOO_DEEP);
	if (msg == NULL && !w.structural) {
		/* Nothing GMime recognises as a message (empty input,
		 * binary garbage): hold it. */
		mg_walk_add_reason(&w, MG_REASON_MALFORMED_MIME);
		w.structural = TRUE;
	}
	if (msg != NULL) {
		collect_headers(r->headers, GMIME_OBJECT(msg));
		collect_headers(r->headers, g_mime_message_get_mime_part(msg));
		g_ptr_array_sort(r->headers, by_offset);
	}

	/* A message released from the quarantine by an administrator goes
	 * through as it is, once its release header verifies against its
	 * body and it still scans clean. */
	if (!dry && msg != NULL && !w.structural && map != NULL) {
		g_autofree char *rq =
		    verified_release(e, r->headers, map, (gsize)st.st_size);

		if (rq != NULL) {
			scan_extra(&w, "message", "message/rfc822", map,
			    (gsize)st.st_size);
			if (w.threats->len == 0 && !w.structural) {
				make_passthrough(
				    pol, r, rq, map, (gsize)st.st_size);
				r->report = make_report(
				    r, &w, msg, env, (guint64)st.st_size);
				r->summary = g_strdup_printf(
				    "disposition=released id=%s", rq);
				if (!audit_message(e, r, &w, env, msg,
				        (guint64)st.st_size, err))
					goto fail;
				goto done;
			}
		}
	}

	/* 3. The walk. */
	if (!w.structural && msg != NULL) {
		mg_walk_message(&w, msg);
		if (pw.critical)
			mg_walk_add_reason(&w, MG_REASON_MALFORMED_MIME);
		if (w.failure != NULL) {
			/* A CDR module's environment failure: tempfail. */
			g_propagate_error(err, g_steal_pointer(&w.failure));
			goto fail;
		}
	}
	/* The raw message once (libclamav parses mail itself), and the
	 * text we would deliver, as it will be delivered. */
	if (map != NULL)
		scan_extra(
		    &w, "message", "message/rfc822", map, (gsize)st.st_size);
	scan_extra(&w, "text", "text/plain", w.text->str, w.text->len);
	blame_text_parts(&w);

	/* 4. Keep the original before anything can be delivered. */
	if (w.structural)
		r->disposition = MUGAIKA_QUARANTINED;
	else if (mg_walk_removed_any(&w))
		r->disposition = MUGAIKA_SANITIZED;
	else
		r->disposition = MUGAIKA_CLEAN;
	r->action = MUGAIKA_DELIVER;
	if (mg_walk_has_reason(&w, MG_REASON_VIRUS)) {
		if (pol->on_virus == MG_ON_VIRUS_DISCARD) {
			r->action = MUGAIKA_DISCARD;
		} else if (pol->on_virus == MG_ON_VIRUS_REJECT) {
			r->disposition = MUGAIKA_REJECTED;
			r->action = MUGAIKA_REJECT;
			r->smtp_code = g_strdup("554");
			r->smtp_dsn = g_strdup("5.7.1");
		}
	}
	store = r->disposition != MUGAIKA_CLEAN && !dry;
	r->threats = g_ptr_array_ref(w.threats);
	if (store)
		r->quarantine_id = mg_qstore_new_id();
	else if (dry && known_id != NULL && r->disposition != MUGAIKA_CLEAN)
		r->quarantine_id = g_strdup(known_id); /* a kept message */
	r->report = make_report(r, &w, msg, env, (guint64)st.st_size);
	if (store && store_original(e, fd, env, msg, r, &w, err) != MG_OK) {
		g_prefix_error(err, "quarantine: ");
		goto fail;
	}
	if (!dry &&
	    !audit_message(e, r, &w, env, msg, (guint64)st.st_size, err))
		goto fail;
	if (r->action == MUGAIKA_REJECT && r->smtp_text == NULL)
		r->smtp_text = g_strdup_printf(
		    "message rejected: malware detected (quarantine id %s)",
		    r->quarantine_id);

	/* 5. Notice, body, header edits, report. */
	{
		struct mg_notice_data nd = {.lang = pol->language,
		    .quarantine_id = r->quarantine_id,
		    .hostname = pol->hostname,
		    .parts = w.parts,
		    .reasons = w.reasons,
		    .threats = w.threats,
		    .sender = env != NULL ? env->sender : NULL,
		    .removed_text = mg_cdr_removed_text};
		g_autofree char *notice = NULL;
		GString *text = g_string_new(NULL);
		g_autofree char *xm = NULL, *ctype = NULL;

		if (w.threats->len > 0)
			notice = mg_notice_render(e->tmpl_virus, &nd);
		else if (r->disposition == MUGAIKA_QUARANTINED)
			notice = mg_notice_render(e->tmpl_held, &nd);
		else if (r->disposition == MUGAIKA_SANITIZED)
			notice = mg_notice_render(e->tmpl_notice, &nd);
		if (r->disposition == MUGAIKA_QUARANTINED ||
		    r->disposition == MUGAIKA_REJECTED) {
			g_string_append(text, notice);
		} else if (notice != NULL &&
		           pol->notice_position == MG_NOTICE_BOTTOM) {
			g_string_append(text, w.text->str);
			if (text->len > 0)
				g_string_append_c(text, '\n');
			g_string_append(text, notice);
		} else {
			if (notice != NULL) {
				g_string_append(text, notice);
				g_string_append_c(text, '\n');
			}
			g_string_append(text, w.text->str);
		}
		if (text->len == 0 || text->str[text->len - 1] != '\n')
			g_string_append_c(text, '\n');
		r->body = encode_body(pol, text->str, &charset, &cte);
		g_string_free(text, TRUE);
		if (r->disposition != MUGAIKA_QUARANTINED &&
		    r->disposition != MUGAIKA_REJECTED && w.outputs->len > 0) {
			GBytes *t = r->body;

			r->body = compose_multipart(
			    t, charset, cte, w.outputs, &ctype);
			g_bytes_unref(t);
			cte = "7bit";
		} else {
			ctype =
			    g_strdup_printf("text/plain; charset=%s", charset);
		}

		xm = g_strdup_printf("%s; id=%s; mode=%s; host=%s",
		    mugaika_disposition_name(r->disposition),
		    r->quarantine_id != NULL ? r->quarantine_id : "-",
		    mode_name(pol), pol->hostname);
		r->edits = build_edits(pol, r->headers,
		    mg_walk_has_reason(&w, MG_REASON_HEADER_TOO_LARGE), ctype,
		    cte, xm);

		r->summary = make_summary(r, &w);
	}
done:
	/* GMime parts may point into the mapping: drop them first. */
	g_clear_object(&msg);
	g_clear_object(&parser);
	g_clear_pointer(&popts, g_mime_parser_options_free);
	if (map != NULL)
		munmap(map, (size_t)st.st_size);
	mg_walk_clear(&w);
	return r;
fail:
	g_clear_object(&msg);
	g_clear_object(&parser);
	g_clear_pointer(&popts, g_mime_parser_options_free);
	if (map != NULL)
		munmap(map, (size_t)st.st_size);
	mg_walk_clear(&w);
	mugaika_result_free(r);
	return NULL;
}

mugaika_result *
mugaika_sanitize_fd(
    mugaika_engine *e, int fd, const struct mugaika_envelope *env, GError **err)
{
	return sanitize(e, fd, env, FALSE, NULL, err);
}

gboolean
mugaika_engine_rescan(mugaika_engine *e, int fd, GPtrArray **threats_r,
    gboolean *held_r, GError **err)
{
	mugaika_result *r = sanitize(e, fd, NULL, TRUE, NULL, err);

	if (r == NULL)
		return FALSE;
	*threats_r = g_ptr_array_ref(
	    r->threats != NULL ? r->threats
	                       : g_ptr_array_new_with_free_func(g_free));
	*held_r = r->disposition == MUGAIKA_QUARANTINED ||
	          r->disposition == MUGAIKA_REJECTED;
	mugaika_result_free(r);
	return TRUE;
}

mugaika_result *
mugaika_engine_rebuild(mugaika_engine *e, int fd, const char *qid, GError **err)
{
	return sanitize(e, fd, NULL, TRUE, qid, err);
}

/* ---- the audit log ---- */

static void
set_str(JsonObject *o, const char *k, const char *v)
{
	if (v != NULL) {
		g_autofree char *fixed = mg_json_text(v);

		json_object_set_string_member(o, k, fixed);
	} else {
		json_object_set_null_member(o, k);
	}
}

/*
 * One record for the message and one for each part that was removed or
 * carried a threat, appended to the hash-chained audit log.  FALSE (and
 * *err) when a record could not be written and [log] on_log_failure asks
 * for a tempfail.
 */
static gboolean
audit_message(mugaika_engine *e, const mugaika_result *r,
    const struct mg_walk *w, const struct mugaika_envelope *env,
    GMimeMessage *msg, guint64 size, GError **err)
{
	static const char *const actions[] = {
	    "deliver", "discard", "reject", "tempfail"};
	GMimeObject *mo = msg != NULL ? GMIME_OBJECT(msg) : NULL;
	g_autoptr(JsonObject) o = json_object_new();
	g_autoptr(JsonArray) rc = json_array_new();
	g_autoptr(JsonArray) rs = json_array_new();
	g_autoptr(JsonArray) th = json_array_new();
	g_autofree char *from = decoded_header(mo, "From");
	g_autofree char *subject = decoded_header(mo, "Subject");
	g_autofree char *mid = decoded_header(mo, "Message-ID");
	GError *e2 = NULL;
	guint i;

	if (e->audit == NULL)
		return TRUE;
	json_object_set_string_member(o, "type", "message");
	set_str(o, "host", e->policy->hostname);
	set_str(o, "queue_id", env != NULL ? env->queue_id : NULL);
	set_str(o, "client", env != NULL ? env->client_addr : NULL);
	set_str(o, "sender", env != NULL ? env->sender : NULL);
	for (i = 0; env != NULL && env->recipients != NULL &&
	            env->recipients[i] != NULL;
	     i++)
		json_array_add_string_element(rc, env->recipients[i]);
	json_object_set_array_member(o, "recipients", json_array_ref(rc));
	set_str(o, "message_id", mid);
	set_str(o, "from", from);
	set_str(o, "subject", subject);
	json_object_set_int_member(o, "size", (gint64)size);
	set_str(o, "disposition", mugaika_disposition_name(r->disposition));
	set_str(o, "action", actions[r->action]);
	set_str(o, "quarantine_id", r->quarantine_id);
	for (i = 0; i < w->reasons->len; i++)
		json_array_add_string_element(rs,
		    mg_reason_id(g_array_index(w->reasons, enum mg_reason, i)));
	json_object_set_array_member(o, "reasons", json_array_ref(rs));
	for (i = 0; i < w->threats->len; i++)
		json_array_add_string_element(
		    th, g_ptr_array_index(w->threats, i));
	json_object_set_array_member(o, "threats", json_array_ref(th));
	if (!mg_audit_append(e->audit, o, &e2))
		goto failed;
	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);
		g_autoptr(JsonObject) po = NULL;

		if (p->action != MG_ACTION_REMOVED &&
		    p->action != MG_ACTION_REBUILT && p->threat == NULL)
			continue;
		po = json_object_new();
		json_object_set_string_member(po, "type", "part");
		set_str(po, "queue_id", env != NULL ? env->queue_id : NULL);
		set_str(po, "quarantine_id", r->quarantine_id);
		set_str(po, "path", p->path);
		set_str(po, "filename", p->filename);
		set_str(po, "declared_type", p->declared_type);
		set_str(po, "detected_type", p->detected_type);
		json_object_set_int_member(po, "size", (gint64)p->size);
		set_str(po, "sha256", p->sha256);
		set_str(po, "action", mg_action_name(p->action));
		set_str(po, "reason",
		    p->reason == MG_REASON_NONE ? NULL
		                                : mg_reason_id(p->reason));
		set_str(po, "threat", p->threat);
		set_str(po, "output_name", p->output_name);
		if (!mg_audit_append(e->audit, po, &e2))
			goto failed;
	}
	return TRUE;
failed:
	g_warning("audit log: %s", e2->message);
	if (e->policy->on_log_failure == MG_LOG_FAILURE_CONTINUE) {
		g_error_free(e2);
		return TRUE;
	}
	g_propagate_prefixed_error(err, e2, "audit log: ");
	return FALSE;
}

/* ---- writing the whole message (the CLI; the milter applies the edits
 * itself) ---- */

static gboolean
write_all(int fd, const char *p, gsize len, GError **err)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "write: %s",
			    g_strerror(errno));
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Append "Name: value" with LF line ends, whatever the input used. */
static void
append_header(GString *out, const char *name, const char *raw, gboolean ours)
{
	const char *p;

	g_string_append(out, name);
	g_string_append_c(out, ':');
	if (ours)
		g_string_append_c(out, ' ');
	for (p = raw; p != NULL && *p != '\0'; p++)
		if (*p != '\r')
			g_string_append_c(out, *p);
	if (out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
}

gboolean
mugaika_result_write_message(const mugaika_result *r, int out_fd, GError **err)
{
	GString *out;
	gboolean *deleted;
	char **changed;
	guint i, j;
	gboolean ok;

	if (r->disposition == MUGAIKA_REJECTED || r->body == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "message was rejected: nothing to write");
		return FALSE;
	}
	deleted = g_new0(gboolean, r->headers->len + 1);
	changed = g_new0(char *, r->headers->len + 1);
	/* Apply CHANGE edits by (name, occurrence) against the original
	 * list, as libmilter does. */
	for (i = 0; i < r->edits->len; i++) {
		const struct mugaika_hdr_edit *ed =
		    g_ptr_array_index(r->edits, i);
		guint seen = 0;

		if (ed->op != MUGAIKA_HDR_CHANGE)
			continue;
		for (j = 0; j < r->headers->len; j++) {
			const struct orig_header *h =
			    g_ptr_array_index(r->headers, j);

			if (g_ascii_strcasecmp(h->name, ed->name) != 0 ||
			    ++seen != ed->index)
				continue;
			if (ed->value == NULL)
				deleted[j] = TRUE;
			else
				changed[j] = ed->value;
			break;
		}
	}
	out = g_string_new(NULL);
	for (j = 0; j < r->headers->len; j++) {
		const struct orig_header *h = g_ptr_array_index(r->headers, j);

		if (deleted[j])
			continue;
		if (changed[j] != NULL)
			append_header(out, h->name, changed[j], TRUE);
		else
			append_header(out, h->name, h->raw, FALSE);
	}
	for (i = 0; i < r->edits->len; i++) {
		const struct mugaika_hdr_edit *ed =
		    g_ptr_array_index(r->edits, i);

		if (ed->op == MUGAIKA_HDR_ADD)
			append_header(out, ed->name, ed->value, TRUE);
	}
	g_string_append_c(out, '\n');
	g_free(deleted);
	g_free(changed);
	ok = write_all(out_fd, out->str, out->len, err);
	g_string_free(out, TRUE);
	if (ok) {
		gsize len;
		const char *b = g_bytes_get_data(r->body, &len);

		ok = write_all(out_fd, b, len, err);
	}
	return ok;
}

/* ---- results between processes ---- */

/*
 * A result crosses from a worker (which parsed hostile bytes) to the
 * front end as: "MGR1", 4 bytes of zero, the length of the description
 * (64 bits, host order), the description — a GVariant of disposition,
 * action, smtp code, dsn, text, quarantine id, report, summary, edits
 * (op, name, index, value or nothing), headers unknown, passthrough —
 * and then the body, raw.  The body stays out of the GVariant because
 * checking a byte array for normal form looks at every byte (7 % of the
 * front end's CPU per small mail); it is only ever copied to the MTA.
 */
#define RESULT_TYPE "(uussssssa(usums)bb)"
#define RESULT_MAGIC "MGR1\0\0\0\0"
#define RESULT_HEAD 16 /* magic + length; keeps the GVariant 8-aligned */

GBytes *
mugaika_result_serialize(const mugaika_result *r)
{
	GVariantBuilder edits;
	GVariant *v;
	GByteArray *out;
	guint64 len;
	gsize blen = 0;
	const guint8 *body =
	    r->body != NULL ? g_bytes_get_data(r->body, &blen) : NULL;
	guint i;

	g_variant_builder_init(&edits, G_VARIANT_TYPE("a(usums)"));
	for (i = 0; r->edits != NULL && i < r->edits->len; i++) {
		const struct mugaika_hdr_edit *e =
		    g_ptr_array_index(r->edits, i);

		g_variant_builder_add(&edits, "(usums)", (guint32)e->op,
		    e->name, (guint32)e->index, e->value);
	}
	v = g_variant_new(RESULT_TYPE, (guint32)r->disposition,
	    (guint32)r->action, r->smtp_code ? r->smtp_code : "",
	    r->smtp_dsn ? r->smtp_dsn : "", r->smtp_text ? r->smtp_text : "",
	    r->quarantine_id ? r->quarantine_id : "",
	    r->report ? r->report : "", r->summary ? r->summary : "", &edits,
	    r->headers_unknown, r->passthrough);
	g_variant_ref_sink(v);
	len = g_variant_get_size(v);
	out = g_byte_array_sized_new(RESULT_HEAD + len + blen);
	g_byte_array_append(out, (const guint8 *)RESULT_MAGIC, 8);
	g_byte_array_append(out, (const guint8 *)&len, 8);
	g_byte_array_set_size(out, RESULT_HEAD + len);
	g_variant_store(v, out->data + RESULT_HEAD);
	g_variant_unref(v);
	if (blen > 0)
		g_byte_array_append(out, body, blen);
	return g_byte_array_free_to_bytes(out);
}

static char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

mugaika_result *
mugaika_result_deserialize(GBytes *b, GError **err)
{
	gsize size;
	const guint8 *data = g_bytes_get_data(b, &size);
	guint64 len;
	g_autoptr(GBytes) desc = NULL;
	g_autoptr(GVariant) v = NULL;
	g_autoptr(GVariantIter) it = NULL;
	const char *code, *dsn, *text, *qid, *report, *summary;
	guint32 disp, action;
	gboolean unknown, passthrough;
	mugaika_result *r;
	guint32 op, idx;
	const char *name, *value;

	if (size < RESULT_HEAD || memcmp(data, RESULT_MAGIC, 8) != 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "result: not a serialised result");
		return NULL;
	}
	memcpy(&len, data + 8, sizeof(len));
	if (len > size - RESULT_HEAD) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "result: description longer than the result");
		return NULL;
	}
	desc = g_bytes_new_from_bytes(b, RESULT_HEAD, (gsize)len);
	v = g_variant_ref_sink(
	    g_variant_new_from_bytes(G_VARIANT_TYPE(RESULT_TYPE), desc, FALSE));
	/* Untrusted bytes: normalise first, which makes every access below
	 * safe whatever the input. */
	if (!g_variant_is_normal_form(v)) {
		g_autoptr(GVariant) n = g_variant_get_normal_form(v);

		g_variant_unref(v);
		v = g_steal_pointer(&n);
	}
	g_variant_get(v, RESULT_TYPE, &disp, &action, &code, &dsn, &text, &qid,
	    &report, &summary, &it, &unknown, &passthrough);
	if (disp > MUGAIKA_REJECTED || action > MUGAIKA_TEMPFAIL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "result: bad disposition or action");
		g_free((char *)code);
		g_free((char *)dsn);
		g_free((char *)text);
		g_free((char *)qid);
		g_free((char *)report);
		g_free((char *)summary);
		return NULL;
	}
	r = g_new0(mugaika_result, 1);
	r->disposition = disp;
	r->action = action;
	r->smtp_code = nonempty(code);
	r->smtp_dsn = nonempty(dsn);
	r->smtp_text = nonempty(text);
	r->quarantine_id = nonempty(qid);
	r->report = g_strdup(report);
	r->summary = g_strdup(summary);
	g_free((char *)code);
	g_free((char *)dsn);
	g_free((char *)text);
	g_free((char *)qid);
	g_free((char *)report);
	g_free((char *)summary);
	r->headers_unknown = unknown;
	r->passthrough = passthrough;
	r->headers =
	    g_ptr_array_new_with_free_func((GDestroyNotify)orig_header_free);
	r->edits =
	    g_ptr_array_new_with_free_func((GDestroyNotify)hdr_edit_free);
	while (g_variant_iter_loop(it, "(u&sum&s)", &op, &name, &idx, &value))
		add_edit(r->edits,
		    op == MUGAIKA_HDR_ADD ? MUGAIKA_HDR_ADD
		                          : MUGAIKA_HDR_CHANGE,
		    name, idx, value);
	r->body = g_bytes_new_from_bytes(
	    b, RESULT_HEAD + (gsize)len, size - RESULT_HEAD - (gsize)len);
	return r;
}

gboolean
mugaika_result_headers_unknown(const mugaika_result *r)
{
	return r->headers_unknown;
}

mugaika_result *
mugaika_engine_hold(mugaika_engine *e, int fd, const char *reason_id,
    const struct mugaika_envelope *env, GError **err)
{
	const struct mg_policy *pol = e->policy;
	enum mg_reason reason = mg_reason_from_id(reason_id);
	struct mg_walk w;
	struct stat st;
	mugaika_result *r;
	const char *charset = "UTF-8", *cte = "base64";

	if (fstat(fd, &st) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "fstat: %s", g_strerror(errno));
		return NULL;
	}
	mg_walk_init(&w, pol, NULL);
	mg_walk_add_reason(
	    &w, reason != MG_REASON_NONE ? reason : MG_REASON_SANITIZER_CRASH);
	w.structural = TRUE;
	r = g_new0(mugaika_result, 1);
	r->headers =
	    g_ptr_array_new_with_free_func((GDestroyNotify)orig_header_free);
	r->disposition = MUGAIKA_QUARANTINED;
	r->action = MUGAIKA_DELIVER;
	r->headers_unknown = TRUE;
	r->quarantine_id = mg_qstore_new_id();
	r->report = make_report(r, &w, NULL, env, (guint64)st.st_size);
	if (store_original(e, fd, env, NULL, r, &w, err) != MG_OK) {
		g_prefix_error(err, "quarantine: ");
		mg_walk_clear(&w);
		mugaika_result_free(r);
		return NULL;
	}
	if (!audit_message(e, r, &w, env, NULL, (guint64)st.st_size, err)) {
		mg_walk_clear(&w);
		mugaika_result_free(r);
		return NULL;
	}
	{
		struct mg_notice_data nd = {.lang = pol->language,
		    .quarantine_id = r->quarantine_id,
		    .hostname = pol->hostname,
		    .parts = w.parts,
		    .reasons = w.reasons,
		    .threats = w.threats,
		    .sender = env != NULL ? env->sender : NULL,
		    .removed_text = mg_cdr_removed_text};
		g_autofree char *notice = mg_notice_render(e->tmpl_held, &nd);
		g_autofree char *xm =
		    g_strdup_printf("quarantined; id=%s; mode=%s; host=%s",
		        r->quarantine_id, mode_name(pol), pol->hostname);
		g_autofree char *ctype = NULL;

		r->body = encode_body(pol, notice, &charset, &cte);
		ctype = g_strdup_printf("text/plain; charset=%s", charset);
		r->edits = build_edits(pol, r->headers, FALSE, ctype, cte, xm);
	}
	r->summary = make_summary(r, &w);
	mg_walk_clear(&w);
	return r;
}
