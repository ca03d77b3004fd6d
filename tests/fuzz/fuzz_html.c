/*
 * fuzz_html.c - HTML to text on arbitrary bytes, with tiny budgets (so
 * the budget paths are taken) and with the defaults, and the <meta>
 * charset scan.  The first byte picks the budgets and the options.
 */
#include <stdint.h>
#include <string.h>

#include "text/mg_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_html_opts small = {TRUE, 0, 0, "Links:"};
	struct mg_html_opts def = {FALSE, 0, 0, NULL};
	const char *html = (const char *)data;
	char *t, *cs;
	guint flags, sel = size > 0 ? data[0] : 0;

	/* Budgets of 1..64 nodes and 1..256 bytes. */
	small.max_nodes = 1 + (sel & 0x3f);
	small.max_output = 1 + (gsize)(sel & 0x3f) * 4 + (sel >> 6);
	t = mg_html_to_text(html, size, &small, &flags);
	if (strlen(t) > small.max_output || !g_utf8_validate(t, -1, NULL))
		__builtin_trap();
	g_free(t);

	def.link_list = (sel & 1) != 0;
	def.links_heading = (sel & 2) != 0 ? "Links:" : NULL;
	t = mg_html_to_text(html, size, (sel & 4) != 0 ? &def : NULL, &flags);
	if (!g_utf8_validate(t, -1, NULL))
		__builtin_trap();
	g_free(t);

	cs = mg_html_meta_charset(html, size);
	g_free(cs);
	return 0;
}
