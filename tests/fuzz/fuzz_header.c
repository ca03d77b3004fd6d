/*
 * fuzz_header.c - libFuzzer target for mg_header.
 *
 * The bytes are one raw header value (NUL-terminated copy).  Runs the
 * decoder, the parameter reader for "filename" and "name", the file name
 * helper, and checks that encoding the decoded text and decoding it again
 * gives the same text (unless it holds an ESC, see below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mg_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw, *dec, *enc, *back, *p;
	const char *nl;

	raw = g_strndup((const char *)data, size);

	dec = mg_header_decode(raw);
	check_utf8(dec);
	enc = mg_header_encode(dec);
	back = mg_header_decode(enc);
	/*
	 * Text with an ESC is the exception, by design: 7-bit UTF-8 that
	 * carries JIS escape sequences is read as ISO-2022-JP.
	 */
	if (strchr(dec, 0x1b) == NULL && strcmp(back, dec) != 0)
		abort();
	g_free(back);
	g_free(enc);
	g_free(dec);

	p = mg_header_param(raw, "filename");
	check_utf8(p);
	g_free(p);
	p = mg_header_param(raw, "name");
	check_utf8(p);
	g_free(p);

	/* Split at the first newline into disposition and type. */
	nl = strchr(raw, '\n');
	if (nl != NULL) {
		char *disp = g_strndup(raw, nl - raw);

		p = mg_header_filename(disp, nl + 1);
		g_free(disp);
	} else
		p = mg_header_filename(raw, NULL);
	check_utf8(p);
	if (p != NULL && *p == '\0')
		abort();
	g_free(p);

	g_free(raw);
	return 0;
}
