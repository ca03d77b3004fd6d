/*
 * mg_html.h - render HTML mail bodies to readable plain text.
 *
 * Parses with libxml2's HTML parser (no network, no entity loading, no
 * DTD), walks the tree with a node budget and writes text: block elements
 * become paragraphs and line breaks, lists keep bullets/numbers, table rows
 * become lines with cells separated by " | ", <script>, <style>, <head>,
 * <template>, comments and hidden elements (hidden attribute,
 * style="display:none" / "visibility:hidden", aria-hidden="true") are
 * dropped, entities are decoded, <pre> keeps its whitespace, links are
 * shown as "text[1]" with "[1] https://…" listed under the text, images by
 * their alt text as "[alt]".
 */
#ifndef MG_HTML_H
#define MG_HTML_H

#include <glib.h>

struct mg_html_opts {
	gboolean link_list; /* number links and list their targets */
	guint max_nodes;    /* element budget; 0: 200000 */
	gsize max_output;   /* bytes of text; 0: 8 MiB */
	const char
	    *links_heading; /* line before the link list, e.g. "Links:" */
};

enum {
	MG_HTML_TRUNCATED = 1 << 0, /* a budget was hit */
	MG_HTML_HAD_IMAGES = 1 << 1,
	MG_HTML_HAD_FORMS = 1 << 2,
};

/*
 * Render `len` bytes of UTF-8 HTML to text.  Returns the text (never NULL,
 * possibly empty), lines separated by "\n", no trailing blank lines.
 * *flags_r (may be NULL) receives MG_HTML_* flags.
 */
char *mg_html_to_text(const char *html, gsize len,
    const struct mg_html_opts *opts, guint *flags_r);

/*
 * The charset named by a <meta charset> or <meta http-equiv=Content-Type>
 * in the first 4 KiB of raw HTML bytes, or NULL.  Caller frees.
 */
char *mg_html_meta_charset(const char *html, gsize len);

#endif
