/*
 * mg_walk.c - the single walk over a parsed message (text mode).
 *
 * Input: a GMimeMessage parsed from untrusted bytes.  Every entity is
 * charged against the limits before anything else is done with it: part
 * count, nesting depth, header bytes, decoded bytes; a structural limit
 * stops the walk and marks the whole message to be held.  Text parts are
 * decoded to UTF-8 (mg_charset), HTML is rendered (mg_html), files hidden
 * in text are cut out (mg_uu); every other leaf is removed and recorded.
 * The caller owns the struct mg_walk and clears it.
 */
#include <string.h>

#include "cdr/cdr_ole2.h"
#include "detect/mg_detect.h"
#include "mime/mg_charset.h"
#include "mime/mg_header.h"
#include "mime/mg_walk.h"
#include "text/mg_html.h"
#include "text/mg_uu.h"
#include "util/mg_util.h"

/* Wording inside the delivered text; notices use the templates. */
struct words {
	const char *lang;
	const char *links;
	const char *attached_message;
	const char *removed_block;
};

static const struct words words_table[] = {
    {"ja", "リンク:", "---------- 添付されたメール ----------",
        "[本文中のファイル「{name}」は削除し、隔離保管しました]"},
    {"en", "Links:", "---------- Attached message ----------",
        "[file \"{name}\" embedded in the text was removed and kept]"},
};

static const struct words *
words_for(const struct mg_policy *p)
{
	return g_strcmp0(p->language, "en") == 0 ? &words_table[1]
	                                         : &words_table[0];
}

/* Where the walk is: inside an attached message, inside an alternative
 * that was not chosen. */
struct state {
	guint depth;
	guint quote;       /* levels of attached messages */
	gboolean skipping; /* an alternative not chosen */
};

void
mg_part_free(struct mg_part *p)
{
	if (p == NULL)
		return;
	g_free(p->path);
	g_free(p->filename);
	g_free(p->declared_type);
	g_free(p->detected_type);
	g_free(p->sha256);
	g_free(p->threat);
	g_free(p->note);
	g_free(p->container);
	g_free(p->module);
	g_free(p->output_name);
	g_strfreev(p->cdr_removed);
	g_free(p);
}

static void
output_free(struct mg_output *o)
{
	g_free(o->name);
	g_free(o->mime_type);
	if (o->data != NULL)
		g_bytes_unref(o->data);
	g_free(o);
}

const char *
mg_action_name(enum mg_action a)
{
	switch (a) {
	case MG_ACTION_KEPT:
		return "kept";
	case MG_ACTION_CONVERTED:
		return "converted";
	case MG_ACTION_SKIPPED:
		return "skipped";
	case MG_ACTION_REMOVED:
		return "removed";
	case MG_ACTION_REBUILT:
		return "rebuilt";
	case MG_ACTION_VERIFIED:
		return "verified";
	}
	return "removed";
}

void
mg_walk_init(struct mg_walk *w, const struct mg_policy *policy,
    struct mg_scan_engine *scan)
{
	memset(w, 0, sizeof(*w));
	w->policy = policy;
	w->scan = scan;
	w->threats = g_ptr_array_new_with_free_func(g_free);
	w->text = g_string_new(NULL);
	w->parts = g_ptr_array_new_with_free_func((GDestroyNotify)mg_part_free);
	w->reasons = g_array_new(FALSE, FALSE, sizeof(enum mg_reason));
	w->outputs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)output_free);
	w->saved = g_ptr_array_new_with_free_func(g_object_unref);
}

void
mg_walk_clear(struct mg_walk *w)
{
	if (w->text != NULL)
		g_string_free(w->text, TRUE);
	if (w->parts != NULL)
		g_ptr_array_unref(w->parts);
	if (w->reasons != NULL)
		g_array_unref(w->reasons);
	if (w->threats != NULL)
		g_ptr_array_unref(w->threats);
	if (w->tnef_body != NULL)
		g_bytes_unref(w->tnef_body);
	if (w->outputs != NULL)
		g_ptr_array_unref(w->outputs);
	if (w->saved != NULL)
		g_ptr_array_unref(w->saved);
	g_clear_error(&w->failure);
	memset(w, 0, sizeof(*w));
}

void
mg_walk_add_reason(struct mg_walk *w, enum mg_reason r)
{
	if (mg_walk_has_reason(w, r))
		return;
	g_array_append_val(w->reasons, r);
	if (mg_reason_info(r)->structural)
		w->structural = TRUE;
}

gboolean
mg_walk_has_reason(const struct mg_walk *w, enum mg_reason r)
{
	guint i;

	for (i = 0; i < w->reasons->len; i++)
		if (g_array_index(w->reasons, enum mg_reason, i) == r)
			return TRUE;
	return FALSE;
}

gboolean
mg_walk_removed_any(const struct mg_walk *w)
{
	guint i;

	if (w->reasons->len > 0)
		return TRUE;
	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);

		if (p->action == MG_ACTION_REMOVED ||
		    p->action == MG_ACTION_REBUILT)
			return TRUE;
	}
	return FALSE;
}

static char *
child_path(const char *parent, guint i)
{
	if (parent == NULL || *parent == '\0')
		return g_strdup_printf("%u", i);
	return g_strdup_printf("%s.%u", parent, i);
}

static const char *
raw_header(GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	GMimeHeader *h = g_mime_header_list_get_header(hl, name);

	return h != NULL ? g_mime_header_get_raw_value(h) : NULL;
}

/* Bytes of an entity's header block, for the header limit. */
static guint64
header_bytes(GMimeObject *o)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int i, n = g_mime_header_list_get_count(hl);
	guint64 sum = 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = g_mime_header_get_raw_value(h);

		sum += strlen(g_mime_header_get_raw_name(h)) + 1;
		sum += v != NULL ? strlen(v) : 0;
	}
	return sum;
}

static char *
declared_type(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	g_autofree char *t = NULL;

	if (ct == NULL)
		return g_strdup("text/plain");
	t = g_mime_content_type_get_mime_type(ct);
	return g_ascii_strdown(t, -1);
}

static gboolean
is_attachment_disposition(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);

	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

/*
 * Decode a leaf's content (Content-Transfer-Encoding, leniently: GMime's
 * decoders skip what is not base64 and keep bad quoted-printable escapes).
 * Decoded bytes never outnumber the encoded ones, so the raw message size
 * bounds this allocation; the part and total limits are checked after.
 */
static GBytes *
decode_content(GMimePart *part)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;

	if (dw == NULL)
		return g_bytes_new(NULL, 0);
	ba = g_byte_array_new();
	mem = g_mime_stream_mem_new_with_byte_array(ba);
	/* We keep the array: the stream must not free it. */
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (g_mime_data_wrapper_write_to_stream(dw, mem) < 0) {
		g_object_unref(mem);
		g_byte_array_unref(ba);
		return NULL;
	}
	g_object_unref(mem);
	/* Hand the buffer over without a copy: a large attachment is held
	 * once, not twice. */
	return g_byte_array_free_to_bytes(ba);
}

struct mg_part *
mg_walk_add_part(struct mg_walk *w, const char *path, enum mg_action action,
    enum mg_reason reason)
{
	struct mg_part *p = g_new0(struct mg_part, 1);

	p->path = g_strdup(path);
	p->action = action;
	p->reason = reason;
	g_ptr_array_add(w->parts, p);
	return p;
}

static struct mg_part *
add_part(struct mg_walk *w, const char *path, GMimeObject *o,
    enum mg_action action, enum mg_reason reason)
{
	struct mg_part *p = mg_walk_add_part(w, path, action, reason);

	if (o != NULL) {
		p->filename =
		    mg_header_filename(raw_header(o, "Content-Disposition"),
		        raw_header(o, "Content-Type"));
		mg_compose_kana(p->filename);
		p->declared_type = declared_type(o);
	}
	return p;
}

static void
describe_bytes(struct mg_part *p, GBytes *b, gboolean detect)
{
	gsize len;
	const void *data = g_bytes_get_data(b, &len);

	p->size = len;
	p->sha256 = mg_sha256_hex(data, len);
	if (detect)
		p->detected_type = mg_detect_type(data, len);
}

/*
 * Append one line of delivered text, with what a terminal or mail reader
 * would act on shown escaped: C0 controls other than TAB, DEL, C1 controls
 * and the bidi embeddings, overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069) that make "invoice\u{202E}fdp.exe" read as a PDF.
 */
static void
append_line_safe(GString *out, const char *p, gsize len)
{
	const char *end = p + len;

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_unichar(out, 0xfffd);
			p++;
			continue;
		}
		if ((c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f))
			g_string_append_printf(out, "\\x%02X", c);
		else if ((c >= 0x202a && c <= 0x202e) ||
		         (c >= 0x2066 && c <= 0x2069))
			g_string_append_printf(out, "\\u{%04X}", c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
}

/*
 * Append a segment of delivered text: separated from what came before by
 * a blank line, each line prefixed with "> " per level of attached
 * message, and cut at the text limit (at a character boundary).
 */
static void
append_text(struct mg_walk *w, const struct state *st, const char *text)
{
	const guint64 max = w->policy->limits.max_text_size;
	const char *p = text, *nl;
	guint q;

	if (w->text_truncated)
		return;
	if (w->text->len > 0 && w->text->str[w->text->len - 1] != '\n')
		g_string_append_c(w->text, '\n');
	if (w->text->len > 0) {
		/* The blank line between segments, quoted like them. */
		for (q = 0; q < st->quote; q++)
			g_string_append_c(w->text, '>');
		g_string_append_c(w->text, '\n');
	}
	while (*p != '\0') {
		gsize linelen;

		nl = strchr(p, '\n');
		linelen = nl != NULL ? (gsize)(nl - p) : strlen(p);
		for (q = 0; q < st->quote; q++)
			g_string_append(w->text,
			    linelen > 0 || q + 1 < st->quote ? "> " : ">");
		if (w->text->len + linelen + 1 > max) {
			const char *end =
			    p + MIN(linelen, max > w->text->len
			                         ? max - w->text->len
			                         : 0);

			/* Back up to the start of a UTF-8 character. */
			while (end > p && ((guchar)*end & 0xc0) == 0x80)
				end--;
			append_line_safe(w->text, p, end - p);
			g_string_append_c(w->text, '\n');
			w->text_truncated = TRUE;
			mg_walk_add_reason(w, MG_REASON_TEXT_TOO_LARGE);
			return;
		}
		append_line_safe(w->text, p, linelen);
		g_string_append_c(w->text, '\n');
		if (w->text->len > max) {
			/* Escapes made the line longer than it was. */
			gsize cut = max;

			while (cut > 0 &&
			       ((guchar)w->text->str[cut] & 0xc0) == 0x80)
				cut--;
			g_string_truncate(w->text, cut);
			g_string_append_c(w->text, '\n');
			w->text_truncated = TRUE;
			mg_walk_add_reason(w, MG_REASON_TEXT_TOO_LARGE);
			return;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Normalise line ends to LF and drop NUL bytes and a trailing run of
 * blank lines: the text is then safe to re-encode. */
static char *
normalise_text(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len);
	gsize i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			if (i + 1 < len && s[i + 1] == '\n')
				continue;
			g_string_append_c(out, '\n');
		} else if (s[i] != '\0') {
			g_string_append_c(out, s[i]);
		}
	}
	while (out->len > 0 && (out->str[out->len - 1] == '\n' ||
	                           out->str[out->len - 1] == ' ' ||
	                           out->str[out->len - 1] == '\t'))
		g_string_truncate(out, out->len - 1);
	mg_compose_kana(out->str);
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}

/*
 * RFC 3676 format=flowed: a line ending in a space is continued by the
 * next one (with delsp=yes the space itself goes: Japanese text has no
 * spaces between words).  Space-stuffing is removed; quoted lines only
 * join lines of the same quote depth; "-- " stays a signature line.
 */
static char *
unflow(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	gboolean joining = FALSE;
	guint prev_depth = 0, i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];
		guint depth = 0;
		gsize len;

		while (l[depth] == '>')
			depth++;
		l += depth;
		if (*l == ' ')
			l++; /* space-stuffing (RFC 3676 §4.4) */
		if (joining && depth != prev_depth)
			g_string_append_c(out, '\n');
		if (!joining || depth != prev_depth) {
			guint d;

			for (d = 0; d < depth; d++)
				g_string_append_c(out, '>');
			if (depth > 0)
				g_string_append_c(out, ' ');
		}
		len = strlen(l);
		joining = len > 0 && l[len - 1] == ' ' && strcmp(l, "-- ") != 0;
		if (joining && delsp)
			len--;
		g_string_append_len(out, l, len);
		if (!joining && lines[i + 1] != NULL)
			g_string_append_c(out, '\n');
		prev_depth = depth;
	}
	return g_string_free(out, FALSE);
}

/* Decode bytes of a text part to normalised UTF-8. */
static char *
part_utf8(GMimeObject *o, GBytes *b, gboolean html)
{
	const char *cs = g_mime_object_get_content_type_parameter(o, "charset");
	g_autofree char *meta = NULL;
	g_autofree char *u = NULL;
	gsize len, ulen;
	const char *data = g_bytes_get_data(b, &len);

	if (cs == NULL && html) {
		meta = mg_html_meta_charset(data, len);
		cs = meta;
	}
	u = mg_charset_to_utf8(cs, data, len, &ulen, NULL);
	/* A byte order mark opening a text part is a signature of its
	 * encoding, not text (Unicode 15, section 23.8): what we deliver is
	 * labelled, and a mark would show in some readers. */
	if (ulen >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0) {
		memmove(u, u + 3, ulen - 2);
		ulen -= 3;
	}
	if (!html) {
		const char *fmt =
		    g_mime_object_get_content_type_parameter(o, "format");
		const char *delsp =
		    g_mime_object_get_content_type_parameter(o, "delsp");

		if (fmt != NULL && g_ascii_strcasecmp(fmt, "flowed") == 0) {
			g_autofree char *n = normalise_text(u, ulen);

			return unflow(
			    n, delsp != NULL &&
			           g_ascii_strcasecmp(delsp, "yes") == 0);
		}
	}
	return normalise_text(u, ulen);
}

static gboolean
charge_decoded(struct mg_walk *w, struct mg_part *p)
{
	const struct mg_limits *l = &w->policy->limits;

	w->decoded += p->size;
	if (w->decoded > l->max_decoded_size) {
		mg_walk_add_reason(w, MG_REASON_DECODED_TOO_LARGE);
		return FALSE;
	}
	if (p->size > l->max_part_size) {
		/* The part is removed whatever it is; the message goes on. */
		p->action = MG_ACTION_REMOVED;
		p->reason = MG_REASON_PART_TOO_LARGE;
		return FALSE;
	}
	return TRUE;
}

static void
walk_text_plain(struct mg_walk *w, const struct state *st, GMimeObject *o,
    struct mg_part *p, GBytes *b)
{
	const struct words *wd = words_for(w->policy);
	g_autoptr(GPtrArray) found =
	    g_ptr_array_new_with_free_func((GDestroyNotify)mg_embedded_free);
	g_autofree char *u = part_utf8(o, b, FALSE);
	g_autofree char *cut = NULL;
	gboolean truncated = FALSE;
	guint i;

	cut = mg_uu_extract(u, strlen(u), wd->removed_block,
	    w->policy->limits.max_embedded, found, &truncated);
	append_text(w, st, cut);
	for (i = 0; i < found->len; i++) {
		const struct mg_embedded *e = g_ptr_array_index(found, i);
		g_autofree char *path = g_strdup_printf("%s#%s%u", p->path,
		    e->kind == MG_EMBEDDED_BINHEX ? "binhex" : "uu", i + 1);
		struct mg_part *ep = add_part(w, path, NULL, MG_ACTION_REMOVED,
		    e->kind == MG_EMBEDDED_BINHEX ? MG_REASON_BINHEX
		                                  : MG_REASON_UUENCODED);

		ep->filename = g_strdup(e->name);
		ep->declared_type = g_strdup(e->kind == MG_EMBEDDED_BINHEX
		                                 ? "application/mac-binhex40"
		                                 : "application/x-uuencode");
		describe_bytes(ep, e->data, FALSE);
		if (e->damaged)
			ep->note = g_strdup("damaged");
		if (!charge_decoded(w, ep))
			return;
		mg_inspect_part(w, ep, e->data, 0);
	}
	if (truncated) {
		/* Blocks beyond the limit stay in the text unrecognised;
		 * the original is kept so nothing is lost. */
		mg_walk_add_reason(w, MG_REASON_MALFORMED_MIME);
	}
}

/* UTF-8 HTML rendered as the delivered text. */
static void
append_html(struct mg_walk *w, const struct state *st, const char *u)
{
	const struct words *wd = words_for(w->policy);
	g_autofree char *t = NULL;
	struct mg_html_opts opts = {
	    .link_list = w->policy->html_link_list,
	    .max_nodes = w->policy->limits.max_html_nodes,
	    .max_output = w->policy->limits.max_text_size,
	    .links_heading = wd->links,
	};
	guint flags = 0;

	t = mg_html_to_text(u, strlen(u), &opts, &flags);
	if (flags & MG_HTML_TRUNCATED)
		mg_walk_add_reason(w, MG_REASON_TEXT_TOO_LARGE);
	append_text(w, st, t);
}

static void
walk_text_html(
    struct mg_walk *w, const struct state *st, GMimeObject *o, GBytes *b)
{
	g_autofree char *u = part_utf8(o, b, TRUE);

	append_html(w, st, u);
}

static gboolean
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return FALSE;
	return TRUE;
}

/*
 * Outlook's rich-text mail can keep its text only inside winmail.dat
 * (PR_BODY, or PR_BODY_HTML): a mail that gave no text of its own gets
 * that one (mg_inspect.c keeps the first TNEF's body).
 */
static void
append_tnef_body(struct mg_walk *w, const struct state *st)
{
	g_autofree char *u = NULL, *meta = NULL, *n = NULL;
	gsize len, ulen = 0;
	const char *d;

	if (w->tnef_body == NULL || !blank(w->text->str))
		return;
	d = g_bytes_get_data(w->tnef_body, &len);
	if (w->tnef_body_html) {
		meta = mg_html_meta_charset(d, len);
		u = mg_charset_to_utf8(meta, d, len, &ulen, NULL);
		append_html(w, st, u);
		return;
	}
	u = mg_charset_to_utf8(NULL, d, len, &ulen, NULL);
	n = normalise_text(u, ulen);
	append_text(w, st, n);
}

/* A leaf: text that is delivered, or a part that is removed. */
static gboolean walk_as_message(struct mg_walk *w, const struct state *st,
    struct mg_part *p, GBytes *b, const char *path);

static void
walk_leaf(struct mg_walk *w, const struct state *st, GMimeObject *o,
    const char *path, gboolean top, gboolean related_resource)
{
	g_autoptr(GBytes) b = NULL;
	struct mg_part *p;
	gboolean is_plain, is_html, body;

	p = add_part(w, path, o, MG_ACTION_REMOVED, MG_REASON_ATTACHMENT);
	b = decode_content(GMIME_PART(o));
	if (b == NULL) {
		p->reason = MG_REASON_UNDECODABLE;
		return;
	}
	is_plain = strcmp(p->declared_type, "text/plain") == 0;
	is_html = strcmp(p->declared_type, "text/html") == 0;
	/* A text part is body text unless it says it is an attachment or
	 * carries a file name (how mailers attach .txt and .html files);
	 * the single part of a message is always its body. */
	body = (is_plain || is_html) && !related_resource &&
	       (top || (!is_attachment_disposition(o) && p->filename == NULL));
	describe_bytes(p, b, FALSE);
	if (!charge_decoded(w, p)) {
		/* Over a size limit: not decoded further, not scanned; the
		 * raw message scan still covers it. */
		p->detected_type = mg_detect_type(
		    g_bytes_get_data(b, NULL), g_bytes_get_size(b));
		return;
	}
	if (!body && !(st->skipping && (is_plain || is_html))) {
		if (related_resource &&
		    g_str_has_prefix(p->declared_type, "image/"))
			p->reason = MG_REASON_INLINE_IMAGE;
		else if (st->quote > 0)
			p->reason = MG_REASON_EMBEDDED_MESSAGE;
		if (!st->skipping) {
			p->detected_type = mg_detect_type(
			    g_bytes_get_data(b, NULL), g_bytes_get_size(b));
			if (walk_as_message(w, st, p, b, path))
				return;
		}
		enum mg_reason before = p->reason;
		guint n_reasons = w->reasons->len;

		mg_inspect_part(w, p, b, 0);
		/* mode = cdr: what the inspection found nothing in is
		 * rebuilt (a finding keeps it removed, or holds the
		 * message). */
		if (w->policy->mode == MG_MODE_CDR && p->reason == before &&
		    p->threat == NULL && w->reasons->len == n_reasons)
			mg_rebuild_part(w, p, b);
		return;
	}
	/* Text that is (or could have been) delivered is not scanned on its
	 * own: the raw message scan (libclamav decodes MIME and normalises
	 * HTML itself) and the scan of the text we deliver cover it; a
	 * third scan of the same bytes cost a third of a small mail's time
	 * (docs/performance.md).  Nor is text typed by libmagic, whose text
	 * tests cost another third and decide nothing here: only a body
	 * part with a NUL byte in its head (no text) is, for the report. */
	if (g_bytes_get_size(b) > 0 &&
	    memchr(g_bytes_get_data(b, NULL), '\0',
	        MIN(g_bytes_get_size(b), 4096)) != NULL)
		p->detected_type = mg_detect_type(
		    g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	if (st->skipping) {
		/* Not delivered, so not covered by the scan of the delivered
		 * text: scanned on its own (libclamav normalises HTML). */
		mg_inspect_scan_only(w, p, g_bytes_get_data(b, NULL),
		    g_bytes_get_size(b), p->filename);
		if (p->reason != MG_REASON_ATTACHMENT)
			return; /* a threat: the message is held */
		p->action = MG_ACTION_SKIPPED;
		p->reason = MG_REASON_ALTERNATIVE;
		return;
	}
	p->reason = MG_REASON_NONE;
	if (is_plain) {
		p->action = MG_ACTION_KEPT;
		walk_text_plain(w, st, o, p, b);
	} else {
		p->action = MG_ACTION_CONVERTED;
		walk_text_html(w, st, o, b);
	}
}

static void walk_object(struct mg_walk *w, const struct state *st,
    GMimeObject *o, const char *path, gboolean top, gboolean related_res);

static gboolean
charge_entity(struct mg_walk *w, const struct state *st, GMimeObject *o)
{
	const struct mg_limits *l = &w->policy->limits;

	if (++w->n_parts > l->max_parts) {
		mg_walk_add_reason(w, MG_REASON_TOO_MANY_PARTS);
		return FALSE;
	}
	if (st->depth > l->max_depth) {
		mg_walk_add_reason(w, MG_REASON_TOO_DEEP);
		return FALSE;
	}
	if (header_bytes(o) > l->max_header_size) {
		mg_walk_add_reason(w, MG_REASON_HEADER_TOO_LARGE);
		return FALSE;
	}
	return TRUE;
}

/* Is this entity (or, for a multipart, something inside it) text of the
 * given subtype that a reader would see? */
static gboolean
has_text(
    GMimeObject *o, const char *subtype, gboolean need_nonempty, guint depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	if (depth > 4)
		return FALSE;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n && i < 16; i++)
			if (has_text(g_mime_multipart_get_part(mp, i), subtype,
			        need_nonempty, depth + 1))
				return TRUE;
		return FALSE;
	}
	if (!GMIME_IS_PART(o) || ct == NULL ||
	    !g_mime_content_type_is_type(ct, "text", subtype) ||
	    is_attachment_disposition(o))
		return FALSE;
	if (need_nonempty) {
		g_autoptr(GBytes) b = decode_content(GMIME_PART(o));
		gsize len, i;
		const guchar *d;

		if (b == NULL)
			return FALSE;
		d = g_bytes_get_data(b, &len);
		for (i = 0; i < len; i++)
			if (!g_ascii_isspace(d[i]))
				return TRUE;
		return FALSE;
	}
	return TRUE;
}

/*
 * multipart/alternative (RFC 2046 §5.1.4): deliver one alternative, by
 * policy the non-empty text/plain one or the HTML one; the others are
 * walked as "skipped" so their files are still recorded and kept.
 */
static void
walk_alternative(struct mg_walk *w, const struct state *st, GMimeMultipart *mp,
    const char *path)
{
	int i, n = g_mime_multipart_get_count(mp);
	int chosen = -1, plain = -1, html = -1;

	for (i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);

		if (plain < 0 && has_text(c, "plain", TRUE, 0))
			plain = i;
		if (has_text(c, "html", FALSE, 0))
			html = i; /* the last is the richest (RFC 2046) */
	}
	if (w->policy->alternative == MG_ALT_PREFER_HTML)
		chosen = html >= 0 ? html : plain;
	else
		chosen = plain >= 0 ? plain : html;
	for (i = 0; i < n && !w->structural; i++) {
		g_autofree char *cp = child_path(path, (guint)i + 1);
		struct state cs = *st;

		cs.skipping = st->skipping || (chosen >= 0 && i != chosen);
		walk_object(
		    w, &cs, g_mime_multipart_get_part(mp, i), cp, FALSE, FALSE);
	}
}

/* The root of a multipart/related (RFC 2387 §3.2): the part whose
 * Content-ID the "start" parameter names, else the first. */
static GMimeObject *
related_root(GMimeMultipart *mp)
{
	const char *start =
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
	int i, n = g_mime_multipart_get_count(mp);

	if (start != NULL) {
		g_autofree char *want = g_strdup(start);
		gsize len;

		g_strstrip(want);
		len = strlen(want);
		if (len >= 2 && want[0] == '<' && want[len - 1] == '>') {
			want[len - 1] = '\0';
			memmove(want, want + 1, len - 1);
		}
		for (i = 0; i < n; i++) {
			GMimeObject *c = g_mime_multipart_get_part(mp, i);
			const char *cid = g_mime_object_get_content_id(c);

			if (cid != NULL && strcmp(cid, want) == 0)
				return c;
		}
	}
	return n > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
}

/* multipart/related (RFC 2387): the root is the document, the rest are
 * its resources (inline images). */
static void
walk_related(struct mg_walk *w, const struct state *st, GMimeMultipart *mp,
    const char *path)
{
	int i, n = g_mime_multipart_get_count(mp);
	GMimeObject *root = related_root(mp);

	for (i = 0; i < n && !w->structural; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		g_autofree char *cp = child_path(path, (guint)i + 1);

		walk_object(w, st, c, cp, FALSE, c != root);
	}
}

static void
append_message_heading(
    struct mg_walk *w, const struct state *st, GMimeMessage *m)
{
	static const char *const names[] = {
	    "From", "Date", "To", "Cc", "Subject", NULL};
	GString *h = g_string_new(words_for(w->policy)->attached_message);
	GMimeObject *o = GMIME_OBJECT(m);
	guint i;

	g_string_append_c(h, '\n');
	for (i = 0; names[i] != NULL; i++) {
		const char *raw = raw_header(o, names[i]);
		g_autofree char *v = NULL;
		g_autofree char *safe = NULL;

		if (raw == NULL)
			continue;
		v = mg_header_decode(raw);
		safe = mg_printable(v, -1, 0);
		{
			/* A name without an address (an Outlook item's
			 * recipients) is shown without "<>". */
			g_autoptr(GString) t = g_string_new(safe);

			g_string_replace(t, " <>", "", 0);
			g_string_append_printf(h, "%s: %s\n", names[i], t->str);
		}
	}
	append_text(w, st, h->str);
	g_string_free(h, TRUE);
}

/* An attached message: its heading, then its body one quote level in
 * (its parts are PATH.1...). */
static void
walk_inner_message(struct mg_walk *w, const struct state *parent,
    GMimeMessage *m, const char *path)
{
	g_autofree char *inner = g_strdup_printf("%s.1", path);
	struct state st = *parent;
	GMimeObject *body;

	st.quote++;
	if (!st.skipping)
		append_message_heading(w, &st, m);
	body = g_mime_message_get_mime_part(m);
	if (body != NULL)
		walk_object(w, &st, body, inner, TRUE, FALSE);
}

gboolean
mg_walk_parse_warning_is_critical(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_CRIT_NESTING_OVERFLOW:
	case GMIME_CRIT_INVALID_HEADER_NAME:
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
	case GMIME_WARN_MALFORMED_MULTIPART:
	case GMIME_WARN_TRUNCATED_MESSAGE:
	case GMIME_WARN_MALFORMED_MESSAGE:
		return TRUE;
	default:
		return FALSE;
	}
}

static void
on_saved_warning(
    gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	(void)offset;
	(void)item;
	if (mg_walk_parse_warning_is_critical(code))
		*(gboolean *)data = TRUE;
}

/*
 * An attachment whose bytes are a mail (libmagic: message/rfc822): a
 * .eml sent as application/octet-stream, or a .msg that is RFC 822 text
 * rather than an Outlook item.  It is walked as an attached message is:
 * its text is delivered under its heading, and its attachments are
 * inspected (and in CDR mode rebuilt) one level deeper, under the same
 * depth, part and size budget.  The same GMime parser as the message;
 * FALSE (the caller goes on with it as a file) when the parse warns of
 * anything critical.  The parsed message lives until the walk is
 * cleared.
 */
static gboolean
walk_saved_message(struct mg_walk *w, const struct state *st, struct mg_part *p,
    GBytes *b, const char *path)
{
	GMimeParserOptions *po;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *m;
	gboolean critical = FALSE;
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);

	if (len == 0)
		return FALSE;
	po = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(
	    po, on_saved_warning, &critical);
	stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, po);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(po);
	if (m == NULL)
		return FALSE;
	if (critical || g_mime_message_get_mime_part(m) == NULL) {
		g_object_unref(m);
		return FALSE;
	}
	g_ptr_array_add(w->saved, m);
	p->action = MG_ACTION_CONVERTED;
	p->reason = MG_REASON_NONE;
	walk_inner_message(w, st, m, path);
	return TRUE;
}

/* A part of the message made from an Outlook item's content. */
static GMimePart *
item_part(const char *type, GBytes *data, const char *filename)
{
	GMimeContentType *ct = g_mime_content_type_parse(
	    NULL, type != NULL ? type : "application/octet-stream");
	const char *mt = g_mime_content_type_get_media_type(ct);
	const char *sub = g_mime_content_type_get_media_subtype(ct);
	GMimePart *part =
	    g_mime_part_new_with_type(mt != NULL ? mt : "application",
	        sub != NULL ? sub : "octet-stream");
	gsize len;
	const guint8 *d = g_bytes_get_data(data, &len);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
	    len > 0 ? (const char *)d : "", len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    stream, GMIME_CONTENT_ENCODING_DEFAULT);

	if (g_mime_content_type_get_parameter(ct, "charset") != NULL)
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
		    "charset",
		    g_mime_content_type_get_parameter(ct, "charset"));
	g_object_unref(ct);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(stream);
	if (filename != NULL) {
		g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
		g_mime_part_set_filename(part, filename);
	}
	return part;
}

/* An Outlook item's PidTagDisplayTo/Cc: names separated by "; ", no
 * addresses. */
static void
add_display_names(GMimeMessage *m, GMimeAddressType type, const char *names)
{
	g_auto(GStrv) v = NULL;
	guint i;

	if (names == NULL)
		return;
	v = g_strsplit(names, ";", 0);
	for (i = 0; v[i] != NULL; i++) {
		g_strstrip(v[i]);
		if (*v[i] != '\0')
			g_mime_message_add_mailbox(m, type, v[i], "");
	}
}

/* A mail made of an Outlook item's properties: From, To, Cc, Subject and
 * Date; multipart/mixed of its text (or HTML), its files, and the items
 * embedded in it as message/rfc822 parts. */
static GMimeMessage *
item_message(const struct mg_ole2_msg *item)
{
	GMimeMessage *m = g_mime_message_new(FALSE);
	GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
	GMimePart *text;
	guint i;

	if (item->from_name != NULL || item->from_addr != NULL)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM,
		    item->from_name,
		    item->from_addr != NULL && strchr(item->from_addr, '@')
		        ? item->from_addr
		        : "");
	add_display_names(m, GMIME_ADDRESS_TYPE_TO, item->to);
	add_display_names(m, GMIME_ADDRESS_TYPE_CC, item->cc);
	if (item->subject != NULL)
		g_mime_message_set_subject(m, item->subject, "utf-8");
	if (item->date != NULL)
		g_mime_message_set_date(m, item->date);
	if (item->body != NULL || item->html == NULL) {
		const char *t = item->body != NULL ? item->body : "";
		g_autoptr(GBytes) tb = g_bytes_new(t, strlen(t));

		text = item_part("text/plain; charset=utf-8", tb, NULL);
	} else {
		text = item_part("text/html", item->html, NULL);
	}
	g_mime_multipart_add(mixed, GMIME_OBJECT(text));
	g_object_unref(text);
	for (i = 0; i < item->files->len; i++) {
		struct mg_ole2_msg_file *f = g_ptr_array_index(item->files, i);
		g_autofree char *name =
		    f->name != NULL ? g_strdup(f->name)
		                    : g_strdup_printf("attachment-%u", i + 1);
		GMimeObject *a;

		if (f->item != NULL) {
			GMimeMessage *inner = item_message(f->item);

			a = GMIME_OBJECT(g_mime_message_part_new_with_message(
			    "rfc822", inner));
			g_object_unref(inner);
		} else {
			a = GMIME_OBJECT(item_part(f->mime, f->data, name));
		}
		g_mime_multipart_add(mixed, a);
		g_object_unref(a);
	}
	g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
	g_object_unref(mixed);
	return m;
}

/*
 * An Outlook item (.msg, libmagic: application/vnd.ms-outlook): its
 * properties are read (cdr_ole2.c, after the compound file is checked
 * whole) and made into a mail, which is walked as an attached message:
 * its heading and text are delivered, its attachments inspected and (CDR
 * mode) rebuilt one level deeper, items embedded in it as attached
 * messages, all under the same budget.  OLE objects and references
 * inside it are not taken out (the note says how many); the original
 * keeps them.  FALSE: not readable, the caller goes on with it as a file.
 */
static gboolean
walk_outlook_item(struct mg_walk *w, const struct state *st, struct mg_part *p,
    GBytes *b, const char *path)
{
	g_autofree char *why = NULL;
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	guint64 max = w->policy->limits.max_decoded_size;
	struct mg_ole2_msg *item = mg_cdr_ole2_msg_read(
	    data, len, max > w->decoded ? max - w->decoded : 0, &why);
	GMimeMessage *m;

	if (item == NULL)
		return FALSE;
	m = item_message(item);
	g_ptr_array_add(w->saved, m);
	p->action = MG_ACTION_CONVERTED;
	p->reason = MG_REASON_NONE;
	g_free(p->note);
	p->note = item->skipped > 0
	              ? g_strdup_printf("Outlook item unpacked; %u object(s) "
	                                "or reference(s) left in the original",
	                    item->skipped)
	              : g_strdup("Outlook item unpacked");
	mg_cdr_ole2_msg_free(item);
	walk_inner_message(w, st, m, path);
	return TRUE;
}

/* An attachment that is a mail, saved (RFC 822) or an Outlook item, is
 * walked as an attached message; TRUE when it was. */
static gboolean
walk_as_message(struct mg_walk *w, const struct state *st, struct mg_part *p,
    GBytes *b, const char *path)
{
	if (g_strcmp0(p->detected_type, "message/rfc822") == 0)
		return walk_saved_message(w, st, p, b, path);
	if (g_strcmp0(p->detected_type, "application/vnd.ms-outlook") == 0)
		return walk_outlook_item(w, st, p, b, path);
	return FALSE;
}

static void
walk_object(struct mg_walk *w, const struct state *parent, GMimeObject *o,
    const char *path, gboolean top, gboolean related_res)
{
	struct state st = *parent;

	st.depth++;
	if (w->structural || !charge_entity(w, &st, o))
		return;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		int i, n = g_mime_multipart_get_count(mp);

		if (ct != NULL && g_mime_content_type_is_type(
		                      ct, "multipart", "alternative")) {
			walk_alternative(w, &st, mp, path);
			return;
		}
		if (ct != NULL &&
		    g_mime_content_type_is_type(ct, "multipart", "related")) {
			walk_related(w, &st, mp, path);
			return;
		}
		/* mixed, signed, digest, report and unknown subtypes: every
		 * child in order (RFC 2046 §5.1.7: unknown = mixed). */
		for (i = 0; i < n && !w->structural; i++) {
			g_autofree char *cp = child_path(path, (guint)i + 1);

			walk_object(w, &st, g_mime_multipart_get_part(mp, i),
			    cp, FALSE, FALSE);
		}
		return;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		struct mg_part *p =
		    add_part(w, path, o, MG_ACTION_CONVERTED, MG_REASON_NONE);

		if (st.skipping) {
			p->action = MG_ACTION_SKIPPED;
			p->reason = MG_REASON_ALTERNATIVE;
		}
		if (m != NULL)
			walk_inner_message(w, &st, m, path);
		return;
	}
	if (GMIME_IS_PART(o)) {
		walk_leaf(w, &st, o, path, top, related_res);
		return;
	}
	/* message/partial and anything GMime could not classify. */
	{
		struct mg_part *p =
		    add_part(w, path, o, MG_ACTION_REMOVED, MG_REASON_NON_TEXT);

		(void)p;
	}
}

void
mg_walk_message(struct mg_walk *w, GMimeMessage *msg)
{
	struct state st = {0};
	GMimeObject *body = g_mime_message_get_mime_part(msg);

	if (header_bytes(GMIME_OBJECT(msg)) >
	    w->policy->limits.max_header_size) {
		mg_walk_add_reason(w, MG_REASON_HEADER_TOO_LARGE);
		return;
	}
	if (body == NULL)
		return;
	walk_object(
	    w, &st, body, GMIME_IS_MULTIPART(body) ? "" : "1", TRUE, FALSE);
	if (!w->structural)
		append_tnef_body(w, &st);
}
