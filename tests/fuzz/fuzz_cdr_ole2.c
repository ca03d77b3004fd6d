/*
 * fuzz_cdr_ole2.c - libFuzzer target for the legacy Office (OLE2) CDR
 * module (mg_cdr_ole2) and its encryption probe (mg_cdr_ole2_encrypted).
 *
 * The input is the file as it is (seed with OLE2 documents: the oletools
 * and dangerzone samples of corpus-external, the unit test's samples).
 * bid, the probe and rebuild run with a 1 MB part limit and the default
 * entry and nesting limits.  Checks:
 *  - rebuild never fails for the environment on well-formed memory;
 *  - the module never refuses its own output ("does not read back
 *    clean" means the copy is wrong);
 *  - a rebuilt file starts with the OLE2 magic, opens with libgsf and is
 *    VERIFIED when fed back to the module;
 *  - a file passed or rebuilt is never one the probe calls encrypted;
 *  - the Outlook item reader (mg_cdr_ole2_msg_read) gives an item or a
 *    reason, every string in it UTF-8, its files within the budget.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-utils.h>

#include "cdr/cdr_ole2.h"
#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum mg_cdr_outcome
run(GBytes *in, struct mg_cdr_result *r)
{
	struct mg_limits limits = {0};
	struct mg_cdr_ctx ctx = {0};

	limits.max_part_size = 1024 * 1024;
	ctx.limits = &limits;
	mg_cdr_result_init(r);
	if (mg_cdr_ole2.rebuild(&ctx, in, r) != MG_OK)
		abort();
	if (r->outcome == MG_CDR_REFUSED &&
	    (r->detail == NULL || strstr(r->detail, "read back") != NULL))
		abort();
	return r->outcome;
}

static void
check_utf8(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

/* Every string of an item UTF-8, each file either bytes or an item;
 * the bytes of all its files (embedded items' too). */
static gsize
check_item(const struct mg_ole2_msg *m)
{
	gsize total = 0;
	guint i;

	check_utf8(m->subject);
	check_utf8(m->from_name);
	check_utf8(m->from_addr);
	check_utf8(m->to);
	check_utf8(m->cc);
	check_utf8(m->body);
	for (i = 0; i < m->files->len; i++) {
		struct mg_ole2_msg_file *f = g_ptr_array_index(m->files, i);

		check_utf8(f->name);
		check_utf8(f->mime);
		if ((f->data == NULL) == (f->item == NULL))
			abort();
		total += f->data != NULL ? g_bytes_get_size(f->data)
		                         : check_item(f->item);
	}
	return total;
}

/* The Outlook item reader, with a 64 KiB budget for attachments. */
static void
check_msg(const uint8_t *data, size_t size)
{
	char *why = NULL;
	struct mg_ole2_msg *m = mg_cdr_ole2_msg_read(data, size, 65536, &why);

	if ((m == NULL) == (why == NULL))
		abort();
	g_free(why);
	if (m == NULL)
		return;
	if (check_item(m) > 65536)
		abort();
	mg_cdr_ole2_msg_free(m);
}

static void
check_rebuilt(GBytes *out)
{
	struct mg_cdr_result again;
	GsfInput *src;
	GsfInfile *f;
	gsize n;
	const guint8 *d = g_bytes_get_data(out, &n);

	if (n < 8 || memcmp(d, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) != 0)
		abort();
	src = gsf_input_memory_new(d, (gsf_off_t)n, FALSE);
	f = gsf_infile_msole_new(src, NULL);
	if (f == NULL)
		abort();
	g_object_unref(f);
	g_object_unref(src);
	if (mg_cdr_ole2_encrypted(d, n))
		abort();
	if (run(out, &again) != MG_CDR_VERIFIED)
		abort();
	mg_cdr_result_clear(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean init;
	struct mg_cdr_result r;
	GBytes *in;
	gboolean enc;

	if (!init) {
		gsf_init();
		init = TRUE;
	}
	in = g_bytes_new(data, size);
	check_msg(data, size);
	(void)mg_cdr_ole2.bid("application/msword", "doc", data, size);
	enc = mg_cdr_ole2_encrypted(data, size);
	switch (run(in, &r)) {
	case MG_CDR_REBUILT:
		if (enc)
			abort();
		check_rebuilt(r.data);
		break;
	case MG_CDR_VERIFIED:
		if (enc)
			abort();
		break;
	case MG_CDR_REFUSED:
		break;
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
