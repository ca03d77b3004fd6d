/*
 * cdr_ole2.c - placeholder (being written).
 */
#include "cdr/mg_cdr.h"

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	(void)type;
	(void)ext;
	(void)data;
	(void)len;
	return 0;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	(void)ctx;
	(void)in;
	out->outcome = MG_CDR_REFUSED;
	out->reason = MG_REASON_UNSUPPORTED;
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_ole2 = {"ole2", bid, rebuild};
