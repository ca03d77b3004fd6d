/*
 * cdr_text.c - CDR for plain text and CSV: the charset is decoded and the
 * text written again as UTF-8 without control characters; in CSV, every
 * cell a spreadsheet would read as a formula is made text.
 *
 * Input: the bytes of a text or CSV attachment (untrusted), in any
 * charset (mg_charset_to_utf8 decodes and, with no label to go by,
 * detects it; a byte-order mark decides first).  Output:
 *  - text (mg_cdr_text): UTF-8 without a BOM, "text/plain; charset=utf-8";
 *  - CSV (mg_cdr_csv): UTF-8 with a BOM, because Excel on Japanese
 *    Windows reads a CSV without one as CP932 and would garble it;
 *    "text/csv; charset=utf-8".
 * Both drop NUL and the C0/C1 control characters except TAB, CR and LF
 * (terminal escapes, and characters Excel and other readers handle
 * unpredictably).
 *
 * CSV is parsed the way Excel reads it (RFC 4180 quoting; a quote only
 * opens a quoted field at the start of the field, and text after the
 * closing quote is kept), and written back in canonical RFC 4180 with a
 * comma, so every reader sees the cells we checked.  A first line
 * "sep=X" (Excel's delimiter directive) sets the delimiter of the input
 * and is not copied: the output always uses the comma, and Excel is not
 * reliable about the directive once a BOM is there.  A cell is
 * neutralised with a leading apostrophe (Excel's "this is text" marker)
 * when it starts with = + - @ or their full-width forms, also after
 * leading spaces and quotes, or with TAB or CR (OWASP "CSV Injection").
 * Excel set to a ';' list separator would split cells at ';': the text
 * after each ';' in a cell is checked the same way.  Negative numbers
 * ("-5") are neutralised too, and so read as text: a formula can hide
 * behind one once cells are split differently.
 *
 * Two descriptors, mg_cdr_text and mg_cdr_csv (a row each in the module
 * table), because rebuild() is told neither the type nor the name: the
 * bid decides which of the two a file is.  A .csv goes to mg_cdr_csv
 * only, never to mg_cdr_text.
 *
 * Limits: input and output bytes (limits->max_part_size).  The caller
 * owns `in` and `out`; out->data is a new GBytes.
 */
#include <string.h>

#include "cdr/mg_cdr.h"
#include "mime/mg_charset.h"

static const char utf8_bom[] = "\xef\xbb\xbf";

static guint64
part_limit(const struct mg_cdr_ctx *ctx)
{
	return ctx->limits->max_part_size != 0 ? ctx->limits->max_part_size
	                                       : MG_DEF_MAX_PART_SIZE;
}

static void
refuse(struct mg_cdr_result *out, enum mg_reason reason, char *detail)
{
	out->outcome = MG_CDR_REFUSED;
	out->reason = reason;
	g_free(out->detail);
	out->detail = detail;
}

/* Control characters that go: C0 but TAB, LF and CR; DEL; C1. */
static gboolean
is_dropped_control(gunichar c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
	       (c >= 0x7f && c <= 0x9f);
}

/*
 * Decode to UTF-8 and drop control characters and a leading BOM.  A BOM
 * names the encoding (Unicode 15.0, 23.8); Excel saves "Unicode text" as
 * UTF-16LE with one.  Returns a new string; *len_r its length.
 */
static char *
decode_clean(const guint8 *p, gsize len, gsize *len_r)
{
	const char *cs = NULL;
	g_autofree char *u = NULL;
	GString *o;
	const char *s, *end;
	gunichar c;
	gsize n = 0;

	if (len >= 3 && memcmp(p, utf8_bom, 3) == 0) {
		cs = "UTF-8";
		p += 3;
		len -= 3;
	} else if (len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		cs = "UTF-16LE";
		p += 2;
		len -= 2;
	} else if (len >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		cs = "UTF-16BE";
		p += 2;
		len -= 2;
	}
	u = mg_charset_to_utf8(cs, (const char *)p, len, &n, NULL);
	o = g_string_sized_new(n + 1);
	s = u;
	end = u + n;
	/* A BOM written again after the one we took off, or one the
	 * decoder kept. */
	if (n >= 3 && memcmp(s, utf8_bom, 3) == 0)
		s += 3;
	while (s < end) {
		const char *next = g_utf8_next_char(s);

		c = g_utf8_get_char(s);
		if (!is_dropped_control(c))
			g_string_append_len(o, s, next - s);
		s = next;
	}
	*len_r = o->len;
	return g_string_free(o, FALSE);
}

/* ---- plain text ---- */

static gboolean
ext_is(const char *ext, const char *const *list)
{
	for (; ext != NULL && *list != NULL; list++)
		if (strcmp(ext, *list) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
csv_type(const char *type)
{
	static const char *const t[] = {"text/csv", "application/csv",
	    "text/x-csv", "application/x-csv", "text/comma-separated-values",
	    NULL};

	return ext_is(type, t);
}

static int
text_bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	static const char *const safe_ext[] = {"txt", "text", "log", NULL};

	if (type == NULL)
		return 0;
	/*
	 * The output keeps the name, so only names a text viewer opens:
	 * a .bat or .inf is text to libmagic too.  libmagic often calls
	 * prose text/x-something; with a text name that is still text.
	 */
	if (ext_is(ext, safe_ext))
		return g_str_has_prefix(type, "text/") ||
		               strcmp(type, "application/x-empty") == 0
		           ? 50
		           : 0;
	if (ext == NULL && strcmp(type, "text/plain") == 0)
		return 50;
	return 0;
}

static enum mg_rc
text_rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	guint64 limit = part_limit(ctx);
	const guint8 *p;
	char *u;
	gsize len, n;

	p = g_bytes_get_data(in, &len);
	if (len > limit) {
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf("text of %" G_GSIZE_FORMAT " bytes", len));
		return MG_OK;
	}
	u = decode_clean(p, len, &n);
	if (n > limit) {
		g_free(u);
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup("text over the part size limit once decoded"));
		return MG_OK;
	}
	out->outcome = MG_CDR_REBUILT;
	out->data = g_bytes_new_take(u, n);
	g_free(out->mime_type);
	out->mime_type = g_strdup("text/plain; charset=utf-8");
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_text = {"text", text_bid, text_rebuild};

/* ---- CSV ---- */

static gboolean
skip_before_formula(gunichar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' ||
	       c == 0x3000; /* IDEOGRAPHIC SPACE */
}

static gboolean
formula_char(gunichar c)
{
	/* = + - @ and the full-width forms a Japanese IME types. */
	return c == '=' || c == '+' || c == '-' || c == '@' || c == 0xff1d ||
	       c == 0xff0b || c == 0xff0d || c == 0xff20;
}

/* Would a spreadsheet read a cell starting at s as a formula? */
static gboolean
formula_start(const char *s, const char *end)
{
	if (s < end && (*s == '\t' || *s == '\r'))
		return TRUE;
	while (s < end && skip_before_formula(g_utf8_get_char(s)))
		s = g_utf8_next_char(s);
	return s < end && formula_char(g_utf8_get_char(s));
}

/*
 * Write one cell: neutralised where it would be a formula (at its start,
 * and after each ';' for an Excel that splits there), quoted when it
 * holds a comma, a quote or a line break (RFC 4180, 2.6 and 2.7).
 */
static gboolean
put_cell(GString *o, const char *v, gsize n)
{
	const char *end = v + n, *s;
	gboolean hit = FALSE, quote = FALSE;
	GString *c = g_string_sized_new(n + 2);

	if (formula_start(v, end)) {
		g_string_append_c(c, '\'');
		hit = TRUE;
	}
	for (s = v; s < end; s++) {
		g_string_append_c(c, *s);
		if (*s == ';' && formula_start(s + 1, end)) {
			g_string_append_c(c, '\'');
			hit = TRUE;
		}
		if (*s == ',' || *s == '"' || *s == '\r' || *s == '\n')
			quote = TRUE;
	}
	if (!quote) {
		g_string_append_len(o, c->str, c->len);
	} else {
		g_string_append_c(o, '"');
		for (s = c->str; s < c->str + c->len; s++) {
			if (*s == '"')
				g_string_append_c(o, '"');
			g_string_append_c(o, *s);
		}
		g_string_append_c(o, '"');
	}
	g_string_free(c, TRUE);
	return hit;
}

/* Excel's "sep=X" first line: the delimiter, and where the data starts. */
static char
sep_line(const char *s, gsize n, gsize *start_r)
{
	gsize i = 5;

	*start_r = 0;
	if (n < 5 || g_ascii_strncasecmp(s, "sep=", 4) != 0)
		return ',';
	if (s[4] == '"' || s[4] == '\r' || s[4] == '\n' || (guint8)s[4] >= 0x80)
		return ',';
	if (i < n && s[i] != '\r' && s[i] != '\n')
		return ',';
	if (i < n && s[i] == '\r')
		i++;
	if (i < n && s[i] == '\n')
		i++;
	*start_r = i;
	return s[4];
}

/*
 * Parse CSV text (UTF-8) as Excel does and write it back canonically.
 * Returns TRUE when a cell was neutralised.
 */
static gboolean
csv_rewrite(const char *s, gsize n, GString *o)
{
	GString *v = g_string_new(NULL);
	gboolean hit = FALSE;
	gsize i;
	char delim = sep_line(s, n, &i);

	while (i < n) {
		/* One record: fields up to a line break outside quotes. */
		for (;;) {
			g_string_truncate(v, 0);
			if (i < n && s[i] == '"') {
				for (i++; i < n; i++) {
					if (s[i] != '"') {
						g_string_append_c(v, s[i]);
					} else if (i + 1 < n &&
					           s[i + 1] == '"') {
						g_string_append_c(v, '"');
						i++;
					} else {
						i++;
						break;
					}
				}
			}
			/* Unquoted, or what follows the closing quote. */
			for (; i < n && s[i] != delim && s[i] != '\r' &&
			       s[i] != '\n';
			     i++)
				g_string_append_c(v, s[i]);
			if (put_cell(o, v->str, v->len))
				hit = TRUE;
			if (i < n && s[i] == delim) {
				g_string_append_c(o, ',');
				i++;
				continue;
			}
			break;
		}
		if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') {
			g_string_append(o, "\r\n");
			i += 2;
		} else if (i < n) {
			g_string_append_c(o, s[i]);
			i++;
		}
	}
	g_string_free(v, TRUE);
	return hit;
}

static int
csv_bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	static const char *const csv_ext[] = {"csv", NULL};

	if (type == NULL)
		return 0;
	/* Excel opens a .csv as CSV whatever libmagic thinks of it. */
	if (ext_is(ext, csv_ext))
		return g_str_has_prefix(type, "text/") || csv_type(type) ||
		               strcmp(type, "application/x-empty") == 0
		           ? 60
		           : 0;
	if (ext == NULL && csv_type(type))
		return 60;
	return 0;
}

static enum mg_rc
csv_rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	guint64 limit = part_limit(ctx);
	const guint8 *p;
	g_autofree char *u = NULL;
	GString *o;
	gsize len, n;

	p = g_bytes_get_data(in, &len);
	if (len > limit) {
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf("CSV of %" G_GSIZE_FORMAT " bytes", len));
		return MG_OK;
	}
	u = decode_clean(p, len, &n);
	o = g_string_sized_new(n + n / 16 + 8);
	g_string_append(o, utf8_bom);
	if (csv_rewrite(u, n, o))
		mg_cdr_result_removed(out, MG_CDR_RM_FORMULAS);
	if (o->len > limit) {
		g_string_free(o, TRUE);
		g_ptr_array_set_size(out->removed, 0);
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup("CSV over the part size limit once rebuilt"));
		return MG_OK;
	}
	out->outcome = MG_CDR_REBUILT;
	out->data = g_string_free_to_bytes(o);
	g_free(out->mime_type);
	out->mime_type = g_strdup("text/csv; charset=utf-8");
	return MG_OK;
}

/* Needs its own row in the module table (mg_cdr.c). */
const struct mg_cdr_module mg_cdr_csv = {"csv", csv_bid, csv_rebuild};
