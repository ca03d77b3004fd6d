/*
 * mg_detect.h - the true type of a part's bytes (libmagic).
 */
#ifndef MG_DETECT_H
#define MG_DETECT_H

#include <glib.h>

/*
 * The MIME type libmagic finds in the first bytes of `data`
 * ("application/pdf"), or NULL when libmagic is unavailable.  One magic_t
 * per thread, loaded on first use.  Caller frees.
 */
char *mg_detect_type(const void *data, gsize len);

#endif
