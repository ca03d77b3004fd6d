/*
 * fuzz_cdr_rtf.c - libFuzzer target for the RTF CDR module (mg_cdr_rtf).
 *
 * The input is put behind "{\rtf1 " when it does not start with "{\rtf",
 * so every input reaches the tokenizer; bid and rebuild run with a 1 MB
 * part limit, hyperlinks kept or not by the input's length.  Checks:
 *  - a rebuilt file passes a reader of our own: it starts with "{\rtf",
 *    its braces balance with only white space after the document group,
 *    every \' carries two hex digits, and no \bin, \object, \objdata,
 *    \objclass, \objupdate, \datastore or \template is left in any case;
 *  - the module never refuses its own output as "does not read back as
 *    itself" (the filter would have a bug).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_rtf;

static const char *const forbidden[] = {"bin", "object", "objdata", "objclass",
    "objupdate", "objemb", "objautlink", "datastore", "template", NULL};

static void
check(const char *s, size_t n)
{
	size_t i = 0, j, k, wl, lw;
	int depth = 0, closed = 0;

	if (n < 5 || memcmp(s, "{\\rtf", 5) != 0)
		abort();
	while (i < n) {
		if (closed) {
			if (strchr(" \t\r\n", s[i]) == NULL && s[i] != '\0')
				abort();
			i++;
		} else if (s[i] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}') {
			if (--depth < 0)
				abort();
			closed = depth == 0;
			i++;
		} else if (s[i] == '\\' && i + 1 < n &&
		           g_ascii_isalpha(s[i + 1])) {
			for (j = i + 1; j < n && g_ascii_isalpha(s[j]); j++)
				;
			/* A reader of [A-Za-z] words (case folded or not), or
			 * of [a-z] words only. */
			for (lw = i + 1; lw < j && g_ascii_islower(s[lw]); lw++)
				;
			for (k = 0; forbidden[k] != NULL; k++) {
				wl = strlen(forbidden[k]);
				if ((j - i - 1 == wl &&
				        g_ascii_strncasecmp(s + i + 1,
				            forbidden[k], wl) == 0) ||
				    (lw - i - 1 == wl &&
				        memcmp(s + i + 1, forbidden[k], wl) ==
				            0))
					abort();
			}
			i = j;
		} else if (s[i] == '\\') {
			if (i + 1 >= n)
				abort();
			if (s[i + 1] == '\'' &&
			    !(i + 3 < n && g_ascii_isxdigit(s[i + 2]) &&
			        g_ascii_isxdigit(s[i + 3])))
				abort();
			i += 2;
		} else {
			i++;
		}
	}
	if (!closed)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_limits limits = {0};
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	GBytes *in;
	gsize n;
	const char *o;

	if (size >= 5 && memcmp(data, "{\\rtf", 5) == 0) {
		in = g_bytes_new(data, size);
	} else {
		GByteArray *b = g_byte_array_sized_new(size + 7);

		g_byte_array_append(b, (const guint8 *)"{\\rtf1 ", 7);
		g_byte_array_append(b, data, size);
		in = g_byte_array_free_to_bytes(b);
	}
	(void)mg_cdr_rtf.bid("text/rtf", "rtf", g_bytes_get_data(in, NULL),
	    g_bytes_get_size(in));
	limits.max_part_size = 1024 * 1024;
	ctx.limits = &limits;
	ctx.keep_hyperlinks = size & 1;
	mg_cdr_result_init(&r);
	if (mg_cdr_rtf.rebuild(&ctx, in, &r) != MG_OK)
		abort();
	switch (r.outcome) {
	case MG_CDR_REBUILT:
		o = g_bytes_get_data(r.data, &n);
		check(o, n);
		break;
	case MG_CDR_VERIFIED:
		o = g_bytes_get_data(in, &n);
		check(o, n);
		break;
	case MG_CDR_REFUSED:
		if (r.detail != NULL && strstr(r.detail, "read back") != NULL)
			abort();
		break;
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
