/*
 * fuzz_cdr_html.c - the HTML attachment CDR module (cdr/cdr_html.c) on
 * arbitrary bytes.
 *
 * The first byte chooses the context: bit 0 keeps hyperlinks, bit 1 gives
 * a policy (English, link list off when bit 2 is set), bit 3 small limits
 * (element budget, text and part size).  Checks: a rebuilt file is UTF-8
 * text without a BOM, CR, NUL or control characters but TAB and LF, ends
 * in one LF when not empty, and fits the part limit; a refusal is for the
 * text or part size only, with no data and no removal ids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_html;

static void
check_text(const char *s, gsize n)
{
	const char *p, *end = s + n;

	if (!g_utf8_validate(s, (gssize)n, NULL))
		abort();
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		abort();
	for (p = s; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n') ||
		    (c >= 0x7f && c <= 0x9f))
			abort();
	}
	if (n > 0 && (s[n - 1] != '\n' || (n >= 2 && s[n - 2] == '\n')))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_limits lim = {0};
	struct mg_policy pol;
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	GBytes *in;
	guint8 mode;
	guint64 part;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	memset(&pol, 0, sizeof(pol));
	pol.language = (char *)"en";
	pol.html_link_list = (mode & 4) == 0;
	ctx.limits = &lim;
	ctx.keep_hyperlinks = (mode & 1) != 0;
	ctx.policy = (mode & 2) ? &pol : NULL;
	if (mode & 8) {
		lim.max_html_nodes = 64;
		lim.max_text_size = 512;
		lim.max_part_size = 4096;
	}
	part =
	    lim.max_part_size != 0 ? lim.max_part_size : MG_DEF_MAX_PART_SIZE;
	(void)mg_cdr_html.bid("text/html", "html", data, size);
	in = g_bytes_new(data, size);
	mg_cdr_result_init(&r);
	if (mg_cdr_html.rebuild(&ctx, in, &r) != MG_OK)
		abort();
	if (r.outcome == MG_CDR_REBUILT) {
		gsize n;
		const char *t = g_bytes_get_data(r.data, &n);

		if (g_strcmp0(r.extension, "txt") != 0 || n > part)
			abort();
		check_text(t != NULL ? t : "", n);
	} else if (r.outcome == MG_CDR_REFUSED) {
		if ((r.reason != MG_REASON_TEXT_TOO_LARGE &&
		        r.reason != MG_REASON_PART_TOO_LARGE) ||
		    r.data != NULL || r.removed->len != 0)
			abort();
	} else {
		abort();
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
