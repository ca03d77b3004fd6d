/*
 * mg_uu.h - find files hidden in the text of a mail: uuencoded blocks
 * ("begin 644 name" … "end") and BinHex 4.0 blocks ("(This file must be
 * converted with BinHex 4.0)" followed by ":…:").
 *
 * Input: UTF-8 text of one part (untrusted).  Each block found is cut out
 * of the text and replaced by one placeholder line; the decoded file
 * (uuencode) or the BinHex data fork (or the raw BinHex block when it
 * cannot be decoded) is returned so it can be listed and kept.
 */
#ifndef MG_UU_H
#define MG_UU_H

#include <glib.h>

enum mg_embedded_kind {
	MG_EMBEDDED_UUENCODE,
	MG_EMBEDDED_BINHEX,
};

struct mg_embedded {
	enum mg_embedded_kind kind;
	char *name;       /* UTF-8 as written in the block; may be "" */
	GBytes *data;     /* the decoded file */
	gboolean damaged; /* block was truncated or had bad lines */
};

void mg_embedded_free(struct mg_embedded *e);

/*
 * Scan `text` for embedded files.  Returns the text with each block
 * replaced by `placeholder` in which "{name}" is substituted with the
 * block's file name (passed through mg_printable).  Found blocks are
 * appended to `found` (element type struct mg_embedded *, free function
 * mg_embedded_free).  At most `max_blocks` are cut (0: 100); after that
 * the rest of the text is left as is and *truncated_r (may be NULL) is set.
 * A "begin" line without a valid uuencoded body is not a block.
 */
char *mg_uu_extract(const char *text, gsize len, const char *placeholder,
    guint max_blocks, GPtrArray *found, gboolean *truncated_r);

/*
 * As mg_uu_extract(), and *len_r (may be NULL) receives the length of the
 * returned text, which keeps any NUL bytes the input had.  A NULL
 * placeholder stands for "[{name}]".
 */
char *mg_uu_extract_len(const char *text, gsize len, const char *placeholder,
    guint max_blocks, GPtrArray *found, gboolean *truncated_r, gsize *len_r);

#endif
