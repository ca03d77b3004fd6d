/*
 * fuzz_charset.c - libFuzzer target for mg_charset.
 *
 * The first byte picks a charset label (or none), the rest is the text.
 * Checks that the output is always valid UTF-8 of the length reported,
 * that detection never crashes, and that whatever decodes also survives
 * the ISO-2022-JP encoder and decodes back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mg_charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const labels[] = {
    NULL,
    "ISO-2022-JP",
    "Shift_JIS",
    "EUC-JP",
    "UTF-8",
    "iso-8859-1",
    "us-ascii",
    "x-unknown",
    "ISO-2022-JP-2",
    "UTF-16",
    "gb2312",
    "UTF-8*ja",
};

/*
 * The encoder writes the CP932 forms (U+FF5E and kin) as their JIS X 0208
 * codes and the decoder reads those codes as the CP932 forms, so a WAVE
 * DASH comes back as a FULLWIDTH TILDE.  Compare modulo that.
 */
static char *
cp932_forms(const char *s)
{
	GString *out = g_string_new(NULL);
	gunichar u;

	for (; *s != '\0'; s = g_utf8_next_char(s)) {
		u = g_utf8_get_char(s);
		switch (u) {
		case 0x301c:
			u = 0xff5e;
			break;
		case 0x2016:
			u = 0x2225;
			break;
		case 0x2212:
			u = 0xff0d;
			break;
		case 0x00a2:
			u = 0xffe0;
			break;
		case 0x00a3:
			u = 0xffe1;
			break;
		case 0x00ac:
			u = 0xffe2;
			break;
		}
		g_string_append_unichar(out, u);
	}
	return g_string_free(out, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *label, *in;
	char *out, *jis, *back;
	gsize n = 0, jn = 0;
	guint flags = 0;

	if (size == 0)
		return 0;
	label = labels[data[0] % G_N_ELEMENTS(labels)];
	in = (const char *)data + 1;
	size--;

	out = mg_charset_to_utf8(label, in, size, &n, &flags);
	if (out == NULL || strlen(out) != n || !g_utf8_validate(out, n, NULL))
		abort();
	(void)mg_charset_detect(in, size);

	jis = mg_charset_utf8_to_iso2022jp(out, n, &jn);
	if (jis != NULL) {
		back = mg_charset_to_utf8("ISO-2022-JP", jis, jn, NULL, NULL);
		char *a = cp932_forms(out), *b = cp932_forms(back);

		if (strcmp(a, b) != 0)
			abort();
		g_free(a);
		g_free(b);
		g_free(back);
		g_free(jis);
	}
	g_free(out);
	return 0;
}
