/*
 * mg_printable.c - escape untrusted text before it reaches a terminal, a
 * log line or a notice.
 *
 * Input: any bytes (header values, file names, archive member names), not
 * trusted to be UTF-8.  Output: valid UTF-8 in which nothing can move the
 * cursor, clear a screen, reorder text (bidi overrides such as U+202E, the
 * "exe.txt" spoof) or hide characters.  The caller owns the result.
 */
#include <string.h>

#include "util/mg_util.h"

static gboolean
is_hidden(gunichar c)
{
	/* C0, DEL and C1 controls. */
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return TRUE;
	/* Arabic letter mark, LRM/RLM, bidi embeddings and overrides. */
	if (c == 0x061c || c == 0x200e || c == 0x200f)
		return TRUE;
	if (c >= 0x202a && c <= 0x202e)
		return TRUE;
	if (c >= 0x2066 && c <= 0x2069)
		return TRUE;
	/* Zero-width characters, word joiner, BOM; line/paragraph separators.
	 */
	if ((c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff)
		return TRUE;
	if (c == 0x2028 || c == 0x2029)
		return TRUE;
	return FALSE;
}

char *
mg_printable(const char *s, gssize len, guint flags)
{
	GString *out;
	const char *p, *end;

	if (s == NULL)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(s);
	out = g_string_sized_new((gsize)len + 8);
	p = s;
	end = s + len;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02X", (guchar)*p);
			p++;
			continue;
		}
		if (c == '\\') {
			g_string_append(out, "\\\\");
		} else if (c == '\n' && (flags & MG_PRINTABLE_KEEP_NEWLINES)) {
			g_string_append_c(out, '\n');
		} else if (c < 0x80 && is_hidden(c)) {
			g_string_append_printf(out, "\\x%02X", c);
		} else if (is_hidden(c)) {
			g_string_append_printf(out, "\\u{%04X}", c);
		} else {
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		}
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
}

char *
mg_sha256_hex(const void *data, gsize len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

char *
mg_json_text(const char *s)
{
	char *v = g_utf8_make_valid(s, -1);
	GString *out;
	const char *p;

	if (strchr(v, 0x1f) == NULL)
		return v;
	out = g_string_sized_new(strlen(v) + 8);
	for (p = v; *p != '\0'; p++) {
		if (*p == 0x1f)
			g_string_append(out, "\xef\xbf\xbd");
		else
			g_string_append_c(out, *p);
	}
	g_free(v);
	return g_string_free(out, FALSE);
}
