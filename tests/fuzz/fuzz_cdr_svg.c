/*
 * fuzz_cdr_svg.c - the SVG CDR module (cdr_svg.c) on arbitrary bytes:
 * bid, then the libxml2 pre-check, the embedded images through a stand-in
 * for the walk (the image module), and librsvg rasterisation, all with a
 * small part limit.  A rebuilt file must be a PNG within the limit; a
 * refusal must carry a reason.
 */
#include <stdint.h>
#include <string.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_svg;
extern const struct mg_cdr_module mg_cdr_image;

static const struct mg_limits lim = {
    .max_part_size = 256 * 1024,
};

static GBytes *
nested(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result res;
	GBytes *back = NULL;

	if (extension_r != NULL)
		*extension_r = NULL;
	ctx.limits = &lim;
	mg_cdr_result_init(&res);
	if (mg_cdr_image.rebuild(&ctx, data, &res) == MG_OK &&
	    res.outcome == MG_CDR_REBUILT)
		back = g_bytes_ref(res.data);
	mg_cdr_result_clear(&res);
	return back;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const guint8 png_sig[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result res;
	GBytes *in;

	if (mg_cdr_svg.bid("image/svg+xml", "svg", data, size) <= 0 ||
	    mg_cdr_svg.bid("text/xml", "svg", data, size) < 0)
		__builtin_trap();
	ctx.limits = &lim;
	ctx.nested = nested;
	in = g_bytes_new_static(data, size);
	mg_cdr_result_init(&res);
	if (mg_cdr_svg.rebuild(&ctx, in, &res) == MG_OK) {
		if (res.outcome == MG_CDR_REBUILT) {
			gsize n;
			const guint8 *p;

			if (res.data == NULL)
				__builtin_trap();
			p = g_bytes_get_data(res.data, &n);
			if (n < 8 || n > lim.max_part_size ||
			    memcmp(p, png_sig, 8) != 0)
				__builtin_trap();
		}
		if (res.outcome == MG_CDR_REFUSED &&
		    res.reason == MG_REASON_NONE)
			__builtin_trap();
	}
	mg_cdr_result_clear(&res);
	g_bytes_unref(in);
	return 0;
}
