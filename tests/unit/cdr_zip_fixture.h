/*
 * cdr_zip_fixture.h - what the unit tests of the zip-based CDR modules
 * (test_cdr_ooxml.c, test_cdr_odf.c) share: members to zip, a tiny PNG
 * and JPEG, a zip writer and reader on libarchive.  Included by one test
 * program each; everything is static.
 */
#ifndef CDR_ZIP_FIXTURE_H
#define CDR_ZIP_FIXTURE_H

#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

struct member {
	const char *name;
	const void *data;
	gssize len; /* -1: a string */
};

G_GNUC_UNUSED static const guint8 png[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a,
    0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
    0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d,
    0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
    0x82};
G_GNUC_UNUSED static const guint8 jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10,
    'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0xff, 0xd9};

/* libarchive converts names through the locale: the helpers run in a
 * UTF-8 one (the module under test does the same on its own). */
G_GNUC_UNUSED static locale_t
utf8(void)
{
	static locale_t loc;

	if (loc == (locale_t)0)
		loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	return uselocale(loc);
}

static la_ssize_t
grow(struct archive *a, void *data, const void *buf, size_t n)
{
	g_byte_array_append(data, buf, (guint)n);
	return (la_ssize_t)n;
}

/* A zip of the members (deflate), made with libarchive's writer. */
G_GNUC_UNUSED static GBytes *
zip_build_opts(
    const struct member *m, gsize n, const char *options, const char *pass)
{
	GByteArray *buf = g_byte_array_new();
	struct archive *a = archive_write_new();
	locale_t old = utf8();
	GBytes *out;
	gsize i;

	g_assert_nonnull(a);
	g_assert_cmpint(archive_write_set_format_zip(a), ==, ARCHIVE_OK);
	if (options != NULL &&
	    archive_write_set_options(a, options) != ARCHIVE_OK) {
		archive_write_free(a);
		g_byte_array_free(buf, TRUE);
		uselocale(old);
		return NULL;
	}
	if (pass != NULL)
		archive_write_set_passphrase(a, pass);
	archive_write_set_bytes_per_block(a, 0);
	g_assert_cmpint(archive_write_open2(a, buf, NULL, grow, NULL, NULL), ==,
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		gsize len = m[i].len < 0 ? strlen(m[i].data) : (gsize)m[i].len;

		archive_entry_set_pathname_utf8(e, m[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			archive_entry_free(e);
			archive_write_free(a);
			g_byte_array_free(buf, TRUE);
			uselocale(old);
			return NULL;
		}
		if (len > 0)
			g_assert_cmpint(archive_write_data(a, m[i].data, len),
			    ==, (la_ssize_t)len);
		archive_entry_free(e);
	}
	g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
	archive_write_free(a);
	out = g_byte_array_free_to_bytes(buf);
	uselocale(old);
	return out;
}

G_GNUC_UNUSED static GBytes *
zip_build(const struct member *m, gsize n)
{
	GBytes *b = zip_build_opts(m, n, "zip:compression=deflate", NULL);

	g_assert_nonnull(b);
	return b;
}

/* name -> GBytes of every member; *order_r (if not NULL) their names in
 * zip order. */
G_GNUC_UNUSED static GHashTable *
zip_read(GBytes *z, GPtrArray **order_r)
{
	GHashTable *t = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	locale_t old = utf8();
	gsize len;
	const void *d = g_bytes_get_data(z, &len);

	archive_read_support_format_zip_seekable(a);
	g_assert_cmpint(archive_read_open_memory(a, d, len), ==, ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		GByteArray *buf = g_byte_array_new();
		guint8 block[8192];
		const char *name = archive_entry_pathname_utf8(e);
		la_ssize_t n;

		while ((n = archive_read_data(a, block, sizeof(block))) > 0)
			g_byte_array_append(buf, block, (guint)n);
		g_assert_cmpint(n, ==, 0);
		g_assert_nonnull(name);
		g_assert_false(g_hash_table_contains(t, name));
		g_hash_table_insert(
		    t, g_strdup(name), g_byte_array_free_to_bytes(buf));
		g_ptr_array_add(order, g_strdup(name));
	}
	archive_read_free(a);
	uselocale(old);
	if (order_r != NULL)
		*order_r = order;
	else
		g_ptr_array_unref(order);
	return t;
}

#endif
