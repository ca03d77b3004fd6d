/*
 * zip_parts.h - what the fuzz harnesses of the zip-based document modules
 * (fuzz_cdr_ooxml.c, fuzz_cdr_odf.c) share: a walk that accepts every
 * nested file, and a zip (stored) built from "name\ncontent" parts
 * separated by "\n--\n", so that mutations reach the XML rules instead
 * of dying at the zip CRC.  Included by one harness each: static.
 */
#ifndef MG_FUZZ_ZIP_PARTS_H
#define MG_FUZZ_ZIP_PARTS_H

#include <stdint.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

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

#endif
