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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_ooxml;

static struct mg_limits lim = {
    .max_part_size = 2u * 1024 * 1024,
    .max_member_size = 1024 * 1024,
    .max_archive_total = 4u * 1024 * 1024,
    .max_archive_ratio = 50,
};

static GBytes *
accept_all(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	if (extension_r != NULL)
		*extension_r = NULL;
	return g_bytes_ref(data);
}

/* The first "\n--\n" in [p, end), or NULL. */
static const uint8_t *
separator(const uint8_t *p, const uint8_t *end)
{
	for (; end - p >= 4; p++)
		if (p[0] == '\n' && p[1] == '-' && p[2] == '-' && p[3] == '\n')
			return p;
	return NULL;
}

static la_ssize_t
grow(struct archive *a, void *ctx, const void *buf, size_t n)
{
	g_byte_array_append(ctx, buf, (guint)n);
	return (la_ssize_t)n;
}

/* Zip the parts "name\ncontent" separated by "\n--\n"; NULL when the
 * writer refuses a name. */
static GBytes *
zip_parts(const uint8_t *data, size_t size)
{
	GByteArray *buf = g_byte_array_new();
	struct archive *a = archive_write_new();
	const uint8_t *p = data, *end = data + size;
	gboolean ok = TRUE;
	guint n = 0;

	archive_write_set_format_zip(a);
	archive_write_set_options(a, "zip:compression=store");
	archive_write_set_bytes_per_block(a, 0);
	archive_write_open2(a, buf, NULL, grow, NULL, NULL);
	while (ok && p < end && n++ < 64) {
		const uint8_t *sep = separator(p, end);
		const uint8_t *stop = sep != NULL ? sep : end;
		const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
		struct archive_entry *e;
		char *name;

		if (nl == NULL)
			nl = stop;
		/* libarchive's zip writer overflows on names over 64 KiB
		 * (MG_CDR_ZIP_NAME_MAX): a zip can hold no such name, so
		 * neither does this harness; longer than the module's own
		 * bound, so that the refusal is fuzzed. */
		name = g_strndup(
		    (const char *)p, MIN((gsize)(nl - p), (gsize)32768));
		if (nl < stop)
			nl++;
		e = archive_entry_new();
		archive_entry_set_pathname(e, name[0] != '\0' ? name : "x");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)(stop - nl));
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (stop > nl &&
		        archive_write_data(a, nl, (size_t)(stop - nl)) !=
		            (la_ssize_t)(stop - nl)))
			ok = FALSE;
		archive_entry_free(e);
		g_free(name);
		p = sep != NULL ? sep + 4 : end;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		ok = FALSE;
	archive_write_free(a);
	if (!ok) {
		g_byte_array_free(buf, TRUE);
		return NULL;
	}
	return g_byte_array_free_to_bytes(buf);
}

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
