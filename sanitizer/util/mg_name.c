/*
 * mg_name.c - file names taken from a message (untrusted): their
 * extension, and the name a rebuilt file is delivered under.  A name is
 * never used as a path: only its last component survives, control and
 * bidi characters become '_', and an empty result becomes "file".
 */
#include <string.h>

#include "util/mg_util.h"

char *
mg_name_extension(const char *name)
{
	const char *dot = NULL, *p;

	if (name == NULL)
		return NULL;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.')
			dot = p;
		else if (*p == '/' || *p == '\\')
			dot = NULL;
	}
	if (dot == NULL || dot[1] == '\0')
		return NULL;
	return g_ascii_strdown(dot + 1, -1);
}

/* Characters that must not reach a reader or a file system as they are:
 * C0/C1 controls, DEL, the bidi and invisible format characters. */
static gboolean
unsafe_char(gunichar c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
	       c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) ||
	       c == 0xfeff || c == '/' || c == '\\';
}

char *
mg_name_deliverable(const char *name, const char *new_ext)
{
	const char *base = name != NULL ? name : "";
	const char *p;
	GString *out;
	char *dot;

	for (p = base; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	out = g_string_new(NULL);
	if (g_utf8_validate(base, -1, NULL)) {
		for (p = base; *p != '\0'; p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			if (unsafe_char(c))
				g_string_append_c(out, '_');
			else
				g_string_append_unichar(out, c);
		}
	}
	/* "", ".", ".." and names of dots only are no names. */
	if (strspn(out->str, ".") == out->len)
		g_string_assign(out, "file");
	if (new_ext != NULL) {
		dot = strrchr(out->str, '.');
		if (dot != NULL && dot != out->str)
			g_string_truncate(out, (gsize)(dot - out->str));
		/* "t.tar.gz" rebuilt as a zip is "t.zip", not "t.tar.zip". */
		if (out->len > 4 &&
		    g_ascii_strcasecmp(out->str + out->len - 4, ".tar") == 0 &&
		    g_ascii_strcasecmp(new_ext, "tar") != 0)
			g_string_truncate(out, out->len - 4);
		g_string_append_printf(out, ".%s", new_ext);
	}
	return g_string_free(out, FALSE);
}

static gboolean
is_kana(gunichar c)
{
	return c >= 0x3041 && c <= 0x30ff;
}

/*
 * Kana followed by a combining (semi-)voiced sound mark (U+3099, U+309A)
 * become the precomposed kana, in place: "テ" U+3099 is "デ".  macOS
 * writes file names decomposed (NFD), and Windows readers show the mark
 * apart ("テ゛ータ.pdf").  Not a full NFC: that would also replace the CJK
 * compatibility ideographs (U+F900..U+FAFF) with their unified forms,
 * and those are how some Japanese names are spelled.  Invalid UTF-8 is
 * left as it is.
 */
void
mg_compose_kana(char *s)
{
	char *r = s, *w = s, *prev = NULL;

	if (s == NULL)
		return;
	while (*r != '\0') {
		gunichar c = g_utf8_get_char_validated(r, -1);
		gunichar comp;
		const char *next;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			*w++ = *r++;
			prev = NULL;
			continue;
		}
		next = g_utf8_next_char(r);
		if ((c == 0x3099 || c == 0x309a) && prev != NULL &&
		    is_kana(g_utf8_get_char(prev)) &&
		    g_unichar_compose(g_utf8_get_char(prev), c, &comp) &&
		    is_kana(comp) &&
		    g_unichar_to_utf8(comp, NULL) == w - prev) {
			g_unichar_to_utf8(comp, prev);
			prev = NULL; /* one mark per kana */
			r = (char *)next;
			continue;
		}
		prev = w;
		memmove(w, r, next - r);
		w += next - r;
		r = (char *)next;
	}
	*w = '\0';
}
