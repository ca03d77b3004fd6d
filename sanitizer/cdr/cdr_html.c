/*
 * cdr_html.c - CDR for HTML attachments (.html, .htm, .xhtml): rendered to
 * plain text with the same renderer the text mode uses for HTML bodies
 * (text/mg_html.c), delivered as a .txt in UTF-8.
 *
 * Input: the bytes of one HTML file (untrusted), in any charset.  The
 * charset is found as the walk finds it for an HTML body, less the MIME
 * label an attachment's bytes do not carry: a byte-order mark first
 * (HTML Living Standard, 13.2.3.1, "BOM sniffing"), then a <meta charset>
 * or <meta http-equiv="Content-Type"> in the first 4 KiB
 * (mg_html_meta_charset), then an XML declaration's encoding (XHTML,
 * XML 1.0 4.3.3); mg_charset_to_utf8 decodes it (CP932 for Shift_JIS,
 * CP5022x for ISO-2022-JP) and detects the charset when none is named or
 * the named one does not fit the bytes.
 *
 * Output: UTF-8 text without a BOM, LF line ends, ending in one LF;
 * NUL, U+FEFF and the C0/C1 control characters other than TAB and LF are
 * dropped (terminal escapes written as &#27; would otherwise pass).  Links are
 * listed under the text ("[1] https://…", mg_html.h) when the context
 * keeps hyperlinks and the policy's link list is on; otherwise only their
 * text remains and MG_CDR_RM_LINKS is reported if there were any.
 * Scripts, event handlers, styles and hidden elements never reach the
 * text (the renderer drops them); MG_CDR_RM_SCRIPT is reported when a
 * scan of the tags found <script>, an on* handler attribute or a
 * javascript:/vbscript: URL.  .mht/.mhtml (MIME, RFC 2557) is not HTML
 * and gets no bid.
 *
 * Limits: the input and output bytes (max_part_size), the renderer's
 * element budget (max_html_nodes) and text size (max_text_size); a
 * rendering cut short by either (or by libxml2's nesting limit) is
 * refused with MG_REASON_TEXT_TOO_LARGE rather than delivered partly.
 * The tag scan is one linear pass.
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <string.h>

#include "cdr/mg_cdr.h"
#include "mime/mg_charset.h"
#include "text/mg_html.h"

/* How far into the file an XML declaration is looked for. */
#define XML_DECL_SCAN 256

static const char *const html_types[] = {
    "text/html",
    "application/xhtml+xml",
    NULL,
};

static const char *const html_exts[] = {
    "html", "htm", "xhtml", "xht", "shtml", NULL};

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	(void)data;
	(void)len;
	if (type == NULL)
		return 0;
	if (mg_cdr_in_list(type, html_types, -1))
		return 50;
	/* libmagic calls a fragment without <html> text/plain, and XHTML
	 * text/xml: the name decides, as a browser would open it. */
	if (mg_cdr_in_list(ext, html_exts, -1) &&
	    (g_str_has_prefix(type, "text/") ||
	        strcmp(type, "application/xml") == 0))
		return 50;
	return 0;
}

/* ---- charset ---- */

/* The encoding of `<?xml … encoding="X"?>` at the start, or NULL. */
static char *
xml_decl_charset(const char *s, gsize len)
{
	gsize n = MIN(len, XML_DECL_SCAN), i, start;
	const char *end;
	char q;

	if (n < 5 || memcmp(s, "<?xml", 5) != 0)
		return NULL;
	end = g_strstr_len(s, (gssize)n, "?>");
	if (end != NULL)
		n = (gsize)(end - s);
	for (i = 5; i + 8 < n; i++) {
		if (memcmp(s + i, "encoding", 8) != 0)
			continue;
		i += 8;
		while (i < n && g_ascii_isspace(s[i]))
			i++;
		if (i >= n || s[i] != '=')
			return NULL;
		i++;
		while (i < n && g_ascii_isspace(s[i]))
			i++;
		if (i >= n || (s[i] != '"' && s[i] != '\''))
			return NULL;
		q = s[i++];
		start = i;
		while (i < n && s[i] != q && i - start < 64)
			i++;
		if (i >= n || s[i] != q || i == start)
			return NULL;
		return g_strndup(s + start, i - start);
	}
	return NULL;
}

/* Decode to UTF-8 (a new string; *len_r its length). */
static char *
decode(const char *p, gsize len, gsize *len_r)
{
	g_autofree char *named = NULL;
	const char *cs = NULL;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		cs = "UTF-8";
		p += 3;
		len -= 3;
	} else if (len >= 2 && (guchar)p[0] == 0xff && (guchar)p[1] == 0xfe) {
		cs = "UTF-16LE";
		p += 2;
		len -= 2;
	} else if (len >= 2 && (guchar)p[0] == 0xfe && (guchar)p[1] == 0xff) {
		cs = "UTF-16BE";
		p += 2;
		len -= 2;
	} else {
		named = mg_html_meta_charset(p, len);
		if (named == NULL)
			named = xml_decl_charset(p, len);
		/* A meta saying UTF-16 in bytes that could be read as ASCII
		 * to find it means UTF-8 (HTML LS 13.2.3.2). */
		if (named != NULL &&
		    g_ascii_strncasecmp(named, "utf-16", 6) == 0) {
			g_free(named);
			named = g_strdup("UTF-8");
		}
		cs = named;
	}
	return mg_charset_to_utf8(cs, p, len, len_r, NULL);
}

/* ---- what the HTML held ---- */

struct seen {
	gboolean script;
	gboolean link;
};

static gboolean
prefix_ci(const char *s, const char *end, const char *word)
{
	gsize n = strlen(word);

	return (gsize)(end - s) >= n && g_ascii_strncasecmp(s, word, n) == 0;
}

/* An attribute value that starts a script URL or a link target. */
static void
check_value(const char *v, const char *end, gboolean href, struct seen *sn)
{
	while (v < end && (g_ascii_isspace(*v) || *v == '"' || *v == '\''))
		v++;
	if (prefix_ci(v, end, "javascript:") || prefix_ci(v, end, "vbscript:"))
		sn->script = TRUE;
	else if (href && v < end && *v != '#')
		sn->link = TRUE;
}

/*
 * One pass over the tags: <script>, on* attributes, script URLs, and
 * href attributes.  Only for the report: the renderer drops scripts
 * whatever this finds, so a miss costs a line of the notice, not safety.
 * Comments are skipped; quoted attribute values are honoured.
 */
static void
scan_tags(const char *s, gsize len, struct seen *sn)
{
	const char *p = s, *end = s + len, *name, *v;
	gsize n;
	char q;

	while ((p = memchr(p, '<', (gsize)(end - p))) != NULL) {
		p++;
		if (prefix_ci(p, end, "!--")) {
			const char *c = g_strstr_len(p + 3, end - p - 3, "-->");

			p = c != NULL ? c + 3 : end;
			continue;
		}
		if (p >= end || !g_ascii_isalpha(*p))
			continue;
		if (prefix_ci(p, end, "script") &&
		    (p + 6 >= end || g_ascii_isspace(p[6]) || p[6] == '>' ||
		        p[6] == '/'))
			sn->script = TRUE;
		/* Skip the element name, then read attributes up to '>'. */
		while (p < end && !g_ascii_isspace(*p) && *p != '>')
			p++;
		while (p < end && *p != '>') {
			if (g_ascii_isspace(*p) || *p == '/') {
				p++;
				continue;
			}
			name = p;
			while (p < end && !g_ascii_isspace(*p) && *p != '=' &&
			       *p != '>' && *p != '/')
				p++;
			n = (gsize)(p - name);
			if (n > 2 && g_ascii_strncasecmp(name, "on", 2) == 0)
				sn->script = TRUE;
			while (p < end && g_ascii_isspace(*p))
				p++;
			if (p >= end || *p != '=')
				continue;
			p++;
			while (p < end && g_ascii_isspace(*p))
				p++;
			v = p;
			if (p < end && (*p == '"' || *p == '\'')) {
				q = *p++;
				while (p < end && *p != q)
					p++;
				if (p < end)
					p++;
			} else {
				while (p < end && !g_ascii_isspace(*p) &&
				       *p != '>')
					p++;
			}
			check_value(v, p,
			    n == 4 && g_ascii_strncasecmp(name, "href", 4) == 0,
			    sn);
		}
	}
}

/* ---- the module ---- */

/* Drop NUL and the controls but TAB and LF (CR: the renderer writes
 * none, and a stray one goes), and U+FEFF, which at the start would read
 * as a byte-order mark (a second BOM inside UTF-16 input decodes to one);
 * end with exactly one LF. */
static GString *
clean_text(const char *t)
{
	GString *o = g_string_sized_new(strlen(t) + 1);
	const char *s;

	for (s = t; *s != '\0'; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if ((c < 0x20 && c != '\t' && c != '\n') ||
		    (c >= 0x7f && c <= 0x9f) || c == 0xfeff)
			continue;
		g_string_append_unichar(o, c);
	}
	while (o->len > 0 &&
	       (o->str[o->len - 1] == '\n' || o->str[o->len - 1] == ' ' ||
	           o->str[o->len - 1] == '\t'))
		g_string_truncate(o, o->len - 1);
	if (o->len > 0)
		g_string_append_c(o, '\n');
	return o;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	const struct mg_limits *lim = ctx->limits;
	const struct mg_policy *pol = ctx->policy;
	guint64 part =
	    lim->max_part_size != 0 ? lim->max_part_size : MG_DEF_MAX_PART_SIZE;
	gboolean en = pol != NULL && g_strcmp0(pol->language, "en") == 0;
	struct mg_html_opts opts = {
	    .link_list =
	        ctx->keep_hyperlinks && (pol == NULL || pol->html_link_list),
	    .max_nodes = lim->max_html_nodes,
	    .max_output = lim->max_text_size,
	    .links_heading = en ? "Links:" : "リンク:",
	};
	struct seen sn = {FALSE, FALSE};
	g_autofree char *u = NULL;
	g_autofree char *t = NULL;
	GString *o;
	gsize len, n = 0;
	const char *p = g_bytes_get_data(in, &len);
	guint flags = 0;

	if (out->removed == NULL)
		out->removed = g_ptr_array_new();
	if (p == NULL)
		p = "";
	if ((guint64)len > part) {
		mg_cdr_refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf("HTML of %" G_GSIZE_FORMAT " bytes", len));
		return MG_OK;
	}
	u = decode(p, len, &n);
	scan_tags(u, n, &sn);
	t = mg_html_to_text(u, n, &opts, &flags);
	if (flags & MG_HTML_TRUNCATED) {
		mg_cdr_refuse(out, MG_REASON_TEXT_TOO_LARGE,
		    g_strdup("HTML over the element, nesting or text limit"));
		return MG_OK;
	}
	o = clean_text(t);
	if ((guint64)o->len > part) {
		g_string_free(o, TRUE);
		mg_cdr_refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup("text over the part size limit"));
		return MG_OK;
	}
	if (sn.script)
		mg_cdr_result_removed(out, MG_CDR_RM_SCRIPT);
	if (sn.link && !ctx->keep_hyperlinks)
		mg_cdr_result_removed(out, MG_CDR_RM_LINKS);
	out->outcome = MG_CDR_REBUILT;
	out->data = g_string_free_to_bytes(o);
	g_free(out->extension);
	out->extension = g_strdup("txt");
	g_free(out->mime_type);
	out->mime_type = g_strdup("text/plain; charset=UTF-8");
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_html = {"html", bid, rebuild};
