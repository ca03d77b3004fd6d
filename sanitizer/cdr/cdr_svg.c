/* being written: the svg module (placeholder refuses everything). */
#include "cdr/mg_cdr.h"

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	return 0;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	out->outcome = MG_CDR_REFUSED;
	out->reason = MG_REASON_ATTACHMENT;
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_svg = {"svg", bid, rebuild};
