/*
 * fuzz_cdr_pdf.c - the PDF CDR module on arbitrary bytes, with small
 * limits: bid, then rebuild with hyperlinks kept and disabled.
 *
 * The bytes are tried twice: as a file, and as object bodies separated
 * by NUL bytes that get wrapped into a file with a correct cross-reference
 * table (object 1 the catalog), so that mutations reach the object walk
 * instead of stopping at qpdf's refusal of a broken table.
 *
 * Checks that a refusal carries a reason and no data, that a rebuilt
 * file is within the size limit and typed, and that rebuilding the
 * rebuilt file again finds nothing left to remove: what the first pass
 * left in place must not look active to the second.
 */
#include <stdint.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_pdf;

static const struct mg_limits lim = {
    .max_part_size = 1024 * 1024,
};

static void
check(const struct mg_cdr_result *r)
{
	if (r->outcome == MG_CDR_REFUSED) {
		if (r->reason == MG_REASON_NONE || r->data != NULL ||
		    r->detail == NULL || r->removed->len != 0)
			__builtin_trap();
		return;
	}
	if (r->outcome != MG_CDR_REBUILT || r->data == NULL ||
	    g_bytes_get_size(r->data) > lim.max_part_size ||
	    r->mime_type == NULL)
		__builtin_trap();
}

static void
once(GBytes *in, gboolean keep_links)
{
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r, again;

	ctx.limits = &lim;
	ctx.keep_hyperlinks = keep_links;
	mg_cdr_result_init(&r);
	if (mg_cdr_pdf.rebuild(&ctx, in, &r) != MG_OK)
		__builtin_trap();
	check(&r);
	if (r.outcome == MG_CDR_REBUILT) {
		mg_cdr_result_init(&again);
		if (mg_cdr_pdf.rebuild(&ctx, r.data, &again) != MG_OK)
			__builtin_trap();
		check(&again);
		if (again.outcome != MG_CDR_REBUILT || again.removed->len != 0)
			__builtin_trap();
		mg_cdr_result_clear(&again);
	}
	mg_cdr_result_clear(&r);
}

/* A file made of the NUL-separated object bodies in `data`. */
static GBytes *
wrap(const uint8_t *data, size_t size)
{
	GString *s = g_string_new("%PDF-1.7\n");
	GArray *off = g_array_new(FALSE, FALSE, sizeof(gsize));
	size_t start = 0, i;
	gsize xref;
	guint n;

	for (i = 0; i <= size && off->len < 256; i++) {
		if (i < size && data[i] != 0)
			continue;
		g_array_append_val(off, s->len);
		g_string_append_printf(s, "%u 0 obj\n", off->len);
		g_string_append_len(
		    s, (const char *)data + start, (gssize)(i - start));
		g_string_append(s, "\nendobj\n");
		start = i + 1;
	}
	xref = s->len;
	g_string_append_printf(
	    s, "xref\n0 %u\n0000000000 65535 f \n", off->len + 1);
	for (n = 0; n < off->len; n++)
		g_string_append_printf(
		    s, "%010zu 00000 n \n", g_array_index(off, gsize, n));
	g_string_append_printf(s,
	    "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    off->len + 1, xref);
	g_array_unref(off);
	return g_string_free_to_bytes(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GBytes *in;

	(void)mg_cdr_pdf.bid("application/pdf", "pdf", data, size);
	(void)mg_cdr_pdf.bid(NULL, NULL, data, size);
	in = g_bytes_new(data, size);
	once(in, TRUE);
	once(in, FALSE);
	g_bytes_unref(in);
	in = wrap(data, size);
	once(in, TRUE);
	once(in, FALSE);
	g_bytes_unref(in);
	return 0;
}
