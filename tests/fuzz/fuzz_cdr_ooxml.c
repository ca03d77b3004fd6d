/*
 * fuzz_cdr_ooxml.c - the OOXML CDR module (cdr/cdr_ooxml.c) on arbitrary
 * bytes, with small limits.
 *
 * The first byte chooses the mode and the context.  Bit 0 clear: the
 * rest is the file as it came.  Bit 0 set: the rest is a list of parts,
 * "name\ncontent", separated by "\n--\n", which the harness zips (stored)
 * before handing it over, so that mutations reach the XML rules instead
 * of dying at the zip CRC.  Bit 1 keeps hyperlinks; bit 2 gives the
 * module a walk that accepts every image.  Checks the invariants of every
 * outcome: a rebuilt file is a zip whose members all have a safe name and
 * that holds [Content_Types].xml, a refusal carries a reason and no data.
 */
#include <stdint.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cdr/mg_cdr.h"
#include "zip_parts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_ooxml;

static struct mg_limits lim = {
    .max_part_size = 2u * 1024 * 1024,
    .max_member_size = 1024 * 1024,
    .max_archive_total = 4u * 1024 * 1024,
    .max_archive_ratio = 50,
};

static void
check_output(GBytes *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	gboolean types = FALSE;
	gsize len;
	const void *d = g_bytes_get_data(out, &len);

	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, d, len) != ARCHIVE_OK)
		__builtin_trap();
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (name == NULL || name[0] == '/' ||
		    strstr(name, "..") != NULL)
			__builtin_trap();
		if (strcmp(name, "[Content_Types].xml") == 0)
			types = TRUE;
	}
	archive_read_free(a);
	if (!types)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	GBytes *in;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	if (mode & 1)
		in = zip_parts(data + 1, size - 1);
	else
		in = g_bytes_new(data + 1, size - 1);
	if (in == NULL)
		return 0;
	ctx.limits = &lim;
	ctx.keep_hyperlinks = (mode & 2) != 0;
	ctx.nested = (mode & 4) ? accept_all : NULL;
	mg_cdr_ooxml.bid(
	    NULL, "docx", g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	mg_cdr_result_init(&r);
	if (mg_cdr_ooxml.rebuild(&ctx, in, &r) == MG_OK) {
		switch (r.outcome) {
		case MG_CDR_REBUILT:
			if (r.data == NULL || r.extension == NULL)
				__builtin_trap();
			check_output(r.data);
			break;
		case MG_CDR_REFUSED:
			if (r.reason == MG_REASON_NONE || r.data != NULL ||
			    r.detail == NULL)
				__builtin_trap();
			break;
		case MG_CDR_VERIFIED:
			if (r.data != NULL || r.removed->len > 0)
				__builtin_trap();
			break;
		}
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
