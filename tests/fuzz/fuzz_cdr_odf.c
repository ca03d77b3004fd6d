/*
 * fuzz_cdr_odf.c - the OpenDocument CDR module (cdr/cdr_odf.c) on
 * arbitrary bytes, with small limits.
 *
 * The first byte chooses the mode and the context.  Bit 0 clear: the
 * rest is the file as it came.  Bit 0 set: the rest is a list of parts,
 * "name\ncontent", separated by "\n--\n", which the harness zips (stored,
 * names cut at 32 KiB: see zip_parts.h) before handing it over.  Bit 1
 * keeps hyperlinks, bit 2 gives the module a walk that accepts every
 * picture, bit 3 keeps metadata.  Checks the invariants of every outcome:
 * a rebuilt file is a zip whose first member is a stored "mimetype",
 * whose members all have a safe name, that holds content.xml and a
 * manifest and no macro library, script or object; a refusal carries a
 * reason and no data.
 */
#include <stdint.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cdr/mg_cdr.h"
#include "zip_parts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_odf;

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
	gboolean content = FALSE, manifest = FALSE;
	gsize len;
	const guint8 *d = g_bytes_get_data(out, &len);
	guint n = 0;
	locale_t old;
	int r;

	/* mimetype first and stored (ODF 1.2 Part 3, 3.3). */
	if (len < 38 || memcmp(d, "PK\x03\x04", 4) != 0 || d[8] != 0 ||
	    d[9] != 0 || memcmp(d + 30, "mimetype", 8) != 0)
		__builtin_trap();
	/* Names are UTF-8: read them as the module writes them (in the C
	 * locale libarchive warns and stops at the first non-ASCII one). */
	old = mg_cdr_utf8_enter();
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, d, len) != ARCHIVE_OK)
		__builtin_trap();
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname_utf8(e);

		if (name == NULL || name[0] == '/' ||
		    strstr(name, "..") != NULL)
			__builtin_trap();
		if (n++ == 0 && strcmp(name, "mimetype") != 0)
			__builtin_trap();
		if (g_str_has_prefix(name, "Basic/") ||
		    g_str_has_prefix(name, "Scripts/") ||
		    g_str_has_prefix(name, "Object"))
			__builtin_trap();
		if (strcmp(name, "content.xml") == 0)
			content = TRUE;
		if (strcmp(name, "META-INF/manifest.xml") == 0)
			manifest = TRUE;
	}
	archive_read_free(a);
	mg_cdr_utf8_leave(old);
	if (r != ARCHIVE_EOF || !content || !manifest)
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
	ctx.keep_metadata = (mode & 8) != 0;
	mg_cdr_odf.bid(
	    NULL, "odt", g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	mg_cdr_result_init(&r);
	if (mg_cdr_odf.rebuild(&ctx, in, &r) == MG_OK) {
		switch (r.outcome) {
		case MG_CDR_REBUILT:
			if (r.data == NULL || r.extension == NULL ||
			    r.mime_type == NULL)
				__builtin_trap();
			check_output(r.data);
			break;
		case MG_CDR_REFUSED:
			if (r.reason == MG_REASON_NONE || r.data != NULL ||
			    r.detail == NULL)
				__builtin_trap();
			break;
		case MG_CDR_VERIFIED:
			/* This module always rebuilds. */
			__builtin_trap();
		}
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
