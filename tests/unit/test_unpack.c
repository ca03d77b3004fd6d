/*
 * test_unpack.c - archives and TNEF streams unpacked under limits: member
 * listing and names (CP932 included), lone compressed files, nesting,
 * encryption, bombs with bounded memory, member counts, unsafe names,
 * links, damaged and truncated input, format detection.
 *
 * Archives are built here with libarchive's writer and TNEF streams with a
 * small writer below.  The public samples (libarchive's and tnef's test
 * files, uuencoded where upstream keeps them so) are read from
 * $MUGAIKA_SOURCE_DIR/../shared/corpus-external; those tests are skipped
 * when it is missing.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>

#include "unpack/mg_unpack.h"

#define MIB (1024u * 1024u)

/* ---- collecting members ---- */

struct got {
	guint index;
	char *name;
	enum mg_member_kind kind;
	gboolean encrypted, unsafe_name, truncated;
	guint64 size;
	GBytes *data;
};

struct collect {
	GPtrArray *m;
	guint stop_after; /* 0: never stop */
};

static void
got_free(struct got *g)
{
	g_free(g->name);
	if (g->data != NULL)
		g_bytes_unref(g->data);
	g_free(g);
}

static void
collect_init(struct collect *c)
{
	c->m = g_ptr_array_new_with_free_func((GDestroyNotify)got_free);
	c->stop_after = 0;
}

static void
collect_clear(struct collect *c)
{
	g_ptr_array_unref(c->m);
}

static gboolean
collect_cb(const struct mg_member *m, void *ctx)
{
	struct collect *c = ctx;
	struct got *g = g_new0(struct got, 1);

	g_assert_nonnull(m->name);
	g_assert_true(g_utf8_validate(m->name, -1, NULL));
	g_assert_true(m->data == NULL || !m->encrypted);
	g_assert_true(m->data == NULL || !m->truncated);
	g->index = m->index;
	g->name = g_strdup(m->name);
	g->kind = m->kind;
	g->encrypted = m->encrypted;
	g->unsafe_name = m->unsafe_name;
	g->truncated = m->truncated;
	g->size = m->size;
	g->data = m->data != NULL ? g_bytes_ref(m->data) : NULL;
	g_ptr_array_add(c->m, g);
	return c->stop_after == 0 || c->m->len < c->stop_after;
}

static struct got *
nth(struct collect *c, guint i)
{
	g_assert_cmpuint(i, <, c->m->len);
	return g_ptr_array_index(c->m, i);
}

static void
assert_data(struct got *g, const void *want, gsize n)
{
	gsize len;
	const void *d;

	g_assert_nonnull(g->data);
	d = g_bytes_get_data(g->data, &len);
	g_assert_cmpmem(d, len, want, n);
}

static guint
unpack(const void *d, gsize n, const struct mg_limits *l, struct collect *c)
{
	struct mg_unpack_budget b = {0};

	return mg_unpack(d, n, l, &b, collect_cb, c);
}

/* ---- building archives with libarchive's writer ---- */

enum { E_FILE, E_DIR, E_SYMLINK, E_HARDLINK, E_CHR };

struct ent {
	const char *name;
	int type;
	const char *data; /* NUL-terminated; or the link target */
};

static la_ssize_t
write_cb(struct archive *a, void *ctx, const void *buf, size_t n)
{
	g_byte_array_append(ctx, buf, (guint)n);
	return (la_ssize_t)n;
}

static struct archive *
writer(GByteArray *out, int (*format)(struct archive *),
    int (*filter)(struct archive *))
{
	struct archive *a = archive_write_new();

	g_assert_cmpint(format(a), ==, ARCHIVE_OK);
	if (filter != NULL)
		g_assert_cmpint(filter(a), ==, ARCHIVE_OK);
	/* No padding to 10240-byte blocks for tar. */
	archive_write_set_bytes_in_last_block(a, 1);
	g_assert_cmpint(
	    archive_write_open(a, out, NULL, write_cb, NULL), ==, ARCHIVE_OK);
	return a;
}

static void
writer_close(struct archive *a)
{
	g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
	archive_write_free(a);
}

static void
add_entry(struct archive *a, const struct ent *e)
{
	struct archive_entry *ae = archive_entry_new();
	gsize n = 0;

	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, 0);
	switch (e->type) {
	case E_FILE:
		n = strlen(e->data);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)n);
		break;
	case E_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		break;
	case E_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, e->data);
		break;
	case E_HARDLINK:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_hardlink(ae, e->data);
		break;
	case E_CHR:
		archive_entry_set_filetype(ae, AE_IFCHR);
		archive_entry_set_rdev(ae, 0x0103);
		break;
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		g_error("%s: %s", e->name, archive_error_string(a));
	if (n > 0)
		g_assert_cmpint(archive_write_data(a, e->data, n), ==, n);
	archive_entry_free(ae);
}

static GByteArray *
build(int (*format)(struct archive *), int (*filter)(struct archive *),
    const struct ent *e, gsize n)
{
	GByteArray *out = g_byte_array_new();
	struct archive *a = writer(out, format, filter);
	gsize i;

	for (i = 0; i < n; i++)
		add_entry(a, &e[i]);
	writer_close(a);
	return out;
}

/* An archive of `count` members of `size` zero bytes each: a bomb. */
static GByteArray *
build_zeros(int (*format)(struct archive *), guint count, guint64 size)
{
	GByteArray *out = g_byte_array_new();
	struct archive *a = writer(out, format, NULL);
	guchar *zero = g_malloc0(MIB);
	struct archive_entry *ae;
	guint64 left;
	guint i;
	char name[32];

	for (i = 0; i < count; i++) {
		ae = archive_entry_new();
		g_snprintf(name, sizeof(name), "zero%u.bin", i);
		archive_entry_set_pathname(ae, name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)size);
		g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
		for (left = size; left > 0; left -= MIN(left, MIB))
			g_assert_cmpint(
			    archive_write_data(a, zero, MIN(left, MIB)), >, 0);
		archive_entry_free(ae);
	}
	writer_close(a);
	g_free(zero);
	return out;
}

static const struct ent three[] = {
    {"dir/", E_DIR, NULL},
    {"dir/hello.txt", E_FILE, "hello, world\n"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt", E_FILE, "nihongo"},
};

static struct got *
find(struct collect *c, const char *name)
{
	guint i;

	for (i = 0; i < c->m->len; i++)
		if (strcmp(nth(c, i)->name, name) == 0)
			return nth(c, i);
	g_error("no member %s", name);
	return NULL;
}

/* The members of three[], in any order (7z puts directories last). */
static void
check_three(struct collect *c)
{
	struct got *g;
	guint i;

	g_assert_cmpuint(c->m->len, ==, 3);
	for (i = 0; i < 3; i++)
		g_assert_cmpuint(nth(c, i)->index, ==, i + 1);
	g = find(c, "dir/");
	g_assert_cmpint(g->kind, ==, MG_MEMBER_DIR);
	g_assert_null(g->data);
	g = find(c, "dir/hello.txt");
	g_assert_cmpint(g->kind, ==, MG_MEMBER_FILE);
	g_assert_cmpuint(g->size, ==, 13);
	assert_data(g, "hello, world\n", 13);
	g = find(c, "日本語.txt");
	assert_data(g, "nihongo", 7);
	g_assert_false(g->unsafe_name);
	g_assert_false(g->encrypted);
}

static void
test_formats_built(void)
{
	static const struct {
		int (*format)(struct archive *);
		int (*filter)(struct archive *);
		const char *name;
	} t[] = {
	    {archive_write_set_format_zip, NULL, "zip"},
	    {archive_write_set_format_7zip, NULL, "7zip"},
	    {archive_write_set_format_pax_restricted, NULL, "tar"},
	    {archive_write_set_format_pax_restricted,
	        archive_write_add_filter_gzip, "tar"},
	    {archive_write_set_format_gnutar, archive_write_add_filter_xz,
	        "tar"},
	    {archive_write_set_format_ustar, archive_write_add_filter_bzip2,
	        "tar"},
	    {archive_write_set_format_pax_restricted,
	        archive_write_add_filter_zstd, "tar"},
	    {archive_write_set_format_pax_restricted,
	        archive_write_add_filter_lz4, "tar"},
	    {archive_write_set_format_cpio_newc, NULL, "cpio"},
	    {archive_write_set_format_xar, NULL, "xar"},
	    {archive_write_set_format_iso9660, NULL, "iso9660"},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(t); i++) {
		GByteArray *b = build(t[i].format, t[i].filter, three, 3);
		struct collect c;
		guint f;

		collect_init(&c);
		g_assert_cmpstr(
		    mg_unpack_format(b->data, b->len), ==, t[i].name);
		f = unpack(b->data, b->len, NULL, &c);
		g_assert_cmpuint(f, ==, 0);
		if (strcmp(t[i].name, "iso9660") == 0) {
			/* ISO 9660 lists its root and sorts names. */
			g_assert_cmpuint(c.m->len, >=, 3);
		} else if (strcmp(t[i].name, "xar") == 0 ||
		           strcmp(t[i].name, "cpio") == 0) {
			g_assert_cmpuint(c.m->len, ==, 3);
			find(&c, "日本語.txt");
		} else {
			check_three(&c);
		}
		collect_clear(&c);
		g_byte_array_unref(b);
	}
}

static void
test_ar(void)
{
	static const struct ent e[] = {
	    {"a.o", E_FILE, "object"},
	    {"b.o", E_FILE, "other"},
	};
	GByteArray *b = build(archive_write_set_format_ar_svr4, NULL, e, 2);
	struct collect c;

	collect_init(&c);
	g_assert_cmpstr(mg_unpack_format(b->data, b->len), ==, "ar");
	g_assert_cmpuint(unpack(b->data, b->len, NULL, &c), ==, 0);
	g_assert_cmpuint(c.m->len, ==, 2);
	g_assert_cmpstr(nth(&c, 1)->name, ==, "b.o");
	assert_data(nth(&c, 1), "other", 5);
	collect_clear(&c);
	g_byte_array_unref(b);
}

/* A lone compressed file: gzip with a name in its header (RFC 1952 FNAME),
 * and raw streams without one. */
static GBytes *
gzip_named(const char *name, const char *text)
{
	GZlibCompressor *z =
	    g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	GFileInfo *fi = g_file_info_new();
	GOutputStream *mem = g_memory_output_stream_new_resizable();
	GOutputStream *out;
	GBytes *b;

	g_file_info_set_name(fi, name);
	g_zlib_compressor_set_file_info(z, fi);
	out = g_converter_output_stream_new(mem, G_CONVERTER(z));
	g_assert_true(g_output_stream_write_all(
	    out, text, strlen(text), NULL, NULL, NULL));
	g_assert_true(g_output_stream_close(out, NULL, NULL));
	b = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
	g_object_unref(out);
	g_object_unref(mem);
	g_object_unref(fi);
	g_object_unref(z);
	return b;
}

static GByteArray *
raw_compressed(int (*filter)(struct archive *), const char *text)
{
	GByteArray *out = g_byte_array_new();
	struct archive *a = writer(out, archive_write_set_format_raw, filter);
	struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, "ignored");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)strlen(text));
	g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
	g_assert_cmpint(archive_write_data(a, text, strlen(text)), ==,
	    (la_ssize_t)strlen(text));
	archive_entry_free(ae);
	writer_close(a);
	return out;
}

static void
test_lone_compressed(void)
{
	static const struct {
		int (*filter)(struct archive *);
		const char *name;
	} t[] = {
	    {archive_write_add_filter_gzip, "gzip"},
	    {archive_write_add_filter_bzip2, "bzip2"},
	    {archive_write_add_filter_xz, "xz"},
	    {archive_write_add_filter_lzma, "lzma"},
	    {archive_write_add_filter_lzip, "lzip"},
	    {archive_write_add_filter_zstd, "zstd"},
	    {archive_write_add_filter_lz4, "lz4"},
	    {archive_write_add_filter_compress, "compress"},
	};
	const char *text = "Just some text, no archive at all.\n";
	GBytes *named;
	const guchar *d;
	gsize i, n;

	for (i = 0; i < G_N_ELEMENTS(t); i++) {
		GByteArray *b = raw_compressed(t[i].filter, text);
		struct collect c;

		collect_init(&c);
		g_assert_cmpstr(
		    mg_unpack_format(b->data, b->len), ==, t[i].name);
		g_assert_cmpuint(unpack(b->data, b->len, NULL, &c), ==, 0);
		g_assert_cmpuint(c.m->len, ==, 1);
		g_assert_cmpstr(nth(&c, 0)->name, ==, "data");
		g_assert_cmpint(nth(&c, 0)->kind, ==, MG_MEMBER_FILE);
		assert_data(nth(&c, 0), text, strlen(text));
		collect_clear(&c);
		g_byte_array_unref(b);
	}

	named = gzip_named("報告書.txt", text);
	d = g_bytes_get_data(named, &n);
	{
		struct collect c;

		collect_init(&c);
		g_assert_cmpstr(mg_unpack_format(d, n), ==, "gzip");
		g_assert_cmpuint(unpack(d, n, NULL, &c), ==, 0);
		g_assert_cmpuint(c.m->len, ==, 1);
		g_assert_cmpstr(nth(&c, 0)->name, ==, "報告書.txt");
		assert_data(nth(&c, 0), text, strlen(text));
		collect_clear(&c);
	}
	g_bytes_unref(named);

	/* A traversal in the gzip name is flagged like any other. */
	named = gzip_named("../evil.txt", text);
	d = g_bytes_get_data(named, &n);
	{
		struct collect c;

		collect_init(&c);
		g_assert_cmpuint(
		    unpack(d, n, NULL, &c), ==, MG_UNPACK_UNSAFE_NAME);
		g_assert_cmpstr(nth(&c, 0)->name, ==, "../evil.txt");
		g_assert_true(nth(&c, 0)->unsafe_name);
		collect_clear(&c);
	}
	g_bytes_unref(named);
}

static void
test_nested(void)
{
	static const struct ent inner_e[] = {
	    {"inner.txt", E_FILE, "inside"},
	};
	GByteArray *inner =
	    build(archive_write_set_format_zip, NULL, inner_e, 1);
	GByteArray *outer = g_byte_array_new();
	struct archive *a = writer(outer, archive_write_set_format_zip, NULL);
	struct archive_entry *ae = archive_entry_new();
	struct mg_unpack_budget b = {0};
	struct collect c, c2;
	const void *d;
	gsize n;

	archive_entry_set_pathname(ae, "inner.zip");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, inner->len);
	g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
	g_assert_cmpint(archive_write_data(a, inner->data, inner->len), ==,
	    (la_ssize_t)inner->len);
	archive_entry_free(ae);
	add_entry(a, &three[1]);
	writer_close(a);

	collect_init(&c);
	collect_init(&c2);
	g_assert_cmpuint(
	    mg_unpack(outer->data, outer->len, NULL, &b, collect_cb, &c), ==,
	    0);
	g_assert_cmpuint(c.m->len, ==, 2);
	g_assert_cmpstr(nth(&c, 0)->name, ==, "inner.zip");
	assert_data(nth(&c, 0), inner->data, inner->len);
	d = g_bytes_get_data(nth(&c, 0)->data, &n);
	g_assert_cmpstr(mg_unpack_format(d, n), ==, "zip");
	/* The caller unpacks the nested archive with the same budget. */
	g_assert_cmpuint(mg_unpack(d, n, NULL, &b, collect_cb, &c2), ==, 0);
	g_assert_cmpuint(c2.m->len, ==, 1);
	assert_data(nth(&c2, 0), "inside", 6);
	g_assert_cmpuint(b.members, ==, 3);
	g_assert_cmpuint(b.total_bytes, ==, inner->len + 13 + 6);
	collect_clear(&c);
	collect_clear(&c2);
	g_byte_array_unref(inner);
	g_byte_array_unref(outer);
}

static void
test_not_archives(void)
{
	static const char text[] = "Dear all,\nplease find the minutes "
	                           "below.\n\n1. Budget\n2. Schedule\n";
	static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >>\n"
	                          "endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
	static const char mtree[] = "#mtree\n./a type=file size=3\n";
	static const char uu[] = "begin 644 a.txt\n#86)C\n`\nend\n";
	guchar *rnd = g_malloc(4096);
	guchar *zeros;
	struct collect c;
	gsize i;

	for (i = 0; i < 4096; i++)
		rnd[i] = (guchar)g_test_rand_int_range(0, 256);
	rnd[0] = 'X'; /* not by chance a magic number */
	g_assert_null(mg_unpack_format(rnd, 4096));
	g_assert_null(mg_unpack_format(text, strlen(text)));
	g_assert_null(mg_unpack_format(pdf, strlen(pdf)));
	g_assert_null(mg_unpack_format(mtree, strlen(mtree)));
	g_assert_null(mg_unpack_format(uu, strlen(uu)));
	g_assert_null(mg_unpack_format("", 0));
	g_assert_null(mg_unpack_format(NULL, 0));

	collect_init(&c);
	g_assert_cmpuint(unpack(rnd, 4096, NULL, &c), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(
	    unpack(text, strlen(text), NULL, &c), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(unpack("", 0, NULL, &c), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(c.m->len, ==, 0);

	/* A tar end marker followed by something else is no archive, and
	 * unpacking it does not call it clean. */
	zeros = g_malloc0(2048);
	memcpy(zeros + 1024, "MZ\x90\x00 hidden program", 19);
	g_assert_null(mg_unpack_format(zeros, 2048));
	g_assert_cmpuint(
	    unpack(zeros, 2048, NULL, &c) & MG_UNPACK_DAMAGED, !=, 0);
	g_assert_cmpuint(c.m->len, ==, 0);
	g_free(zeros);
	collect_clear(&c);
	g_free(rnd);
}

static void
test_tar_hidden_tail(void)
{
	GByteArray *b = build(archive_write_set_format_ustar, NULL, three, 3);
	struct collect c;

	collect_init(&c);
	g_byte_array_append(b, (const guint8 *)"hidden", 6);
	g_assert_cmpstr(mg_unpack_format(b->data, b->len), ==, "tar");
	g_assert_cmpuint(
	    unpack(b->data, b->len, NULL, &c), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(c.m->len, ==, 3);
	collect_clear(&c);
	g_byte_array_unref(b);
}

static void
test_unsafe_names(void)
{
	static const struct ent e[] = {
	    {"../../etc/passwd", E_FILE, "x"},
	    {"/abs", E_FILE, "x"},
	    {"C:\\x", E_FILE, "x"},
	    {"a/../../b", E_FILE, "x"},
	    {"a\\..\\..\\b", E_FILE, "x"},
	    {"d:rel", E_FILE, "x"},
	    {"\\\\server\\share\\x", E_FILE, "x"},
	    {"bad\001ctl", E_FILE, "x"},
	    {"invoice\xe2\x80\xaetxt.exe", E_FILE, "x"},
	    {"ok/..name/x..y/.../file.txt", E_FILE, "x"},
	    {"ok/./fine.txt", E_FILE, "x"},
	};
	GByteArray *b =
	    build(archive_write_set_format_pax_restricted, NULL, e, 11);
	struct collect c;
	guint i;

	collect_init(&c);
	g_assert_cmpuint(
	    unpack(b->data, b->len, NULL, &c), ==, MG_UNPACK_UNSAFE_NAME);
	g_assert_cmpuint(c.m->len, ==, 11);
	for (i = 0; i < 11; i++) {
		g_assert_cmpstr(nth(&c, i)->name, ==, e[i].name);
		g_assert_cmpint(nth(&c, i)->unsafe_name, ==, i < 9);
		/* Unsafe names still have their data read and scanned. */
		assert_data(nth(&c, i), "x", 1);
	}
	collect_clear(&c);
	g_byte_array_unref(b);

	g_assert_true(mg_unpack_name_unsafe(""));
	g_assert_true(mg_unpack_name_unsafe(".."));
	g_assert_true(mg_unpack_name_unsafe("a/.."));
	g_assert_true(mg_unpack_name_unsafe("x\xc2\x85y"));
	g_assert_false(mg_unpack_name_unsafe("...."));
	g_assert_false(mg_unpack_name_unsafe("報告書.docx"));
}

static void
test_escaped_names(void)
{
	char *s = mg_unpack_escape_name("a\xff\x82"
	                                "b\xe6\x97\xa5",
	    -1);

	g_assert_cmpstr(s, ==, "a\\xFF\\x82b日");
	g_free(s);
	s = mg_unpack_escape_name("x\0y", 3);
	g_assert_cmpstr(s, ==, "x\\x00y");
	g_free(s);
}

static void
test_links(void)
{
	static const struct ent e[] = {
	    {"target.txt", E_FILE, "data"},
	    {"link", E_SYMLINK, "/etc/passwd"},
	    {"hard", E_HARDLINK, "target.txt"},
	    {"tty", E_CHR, NULL},
	};
	GByteArray *b =
	    build(archive_write_set_format_pax_restricted, NULL, e, 4);
	struct collect c;

	collect_init(&c);
	g_assert_cmpuint(
	    unpack(b->data, b->len, NULL, &c), ==, MG_UNPACK_LINKS);
	g_assert_cmpuint(c.m->len, ==, 4);
	g_assert_cmpint(nth(&c, 0)->kind, ==, MG_MEMBER_FILE);
	g_assert_cmpint(nth(&c, 1)->kind, ==, MG_MEMBER_SYMLINK);
	g_assert_null(nth(&c, 1)->data);
	g_assert_cmpint(nth(&c, 2)->kind, ==, MG_MEMBER_HARDLINK);
	g_assert_cmpint(nth(&c, 3)->kind, ==, MG_MEMBER_DEVICE);
	g_assert_null(nth(&c, 3)->data);
	collect_clear(&c);
	g_byte_array_unref(b);

	/* A symlink in a zip. */
	b = build(archive_write_set_format_zip, NULL, e, 2);
	collect_init(&c);
	g_assert_cmpuint(
	    unpack(b->data, b->len, NULL, &c), ==, MG_UNPACK_LINKS);
	g_assert_cmpint(nth(&c, 1)->kind, ==, MG_MEMBER_SYMLINK);
	collect_clear(&c);
	g_byte_array_unref(b);
}

static void
test_too_many(void)
{
	GByteArray *b = build_zeros(archive_write_set_format_zip, 2000, 0);
	struct mg_limits l = {.max_archive_members = 1000};
	struct mg_unpack_budget budget = {0};
	struct collect c;

	collect_init(&c);
	g_assert_cmpuint(
	    unpack(b->data, b->len, &l, &c), ==, MG_UNPACK_TOO_MANY);
	g_assert_cmpuint(c.m->len, ==, 1000);
	g_assert_cmpstr(nth(&c, 999)->name, ==, "zero999.bin");
	collect_clear(&c);
	g_byte_array_unref(b);

	/* The count is shared by the archives of one message. */
	b = build_zeros(archive_write_set_format_pax_restricted, 600, 0);
	collect_init(&c);
	g_assert_cmpuint(
	    mg_unpack(b->data, b->len, &l, &budget, collect_cb, &c), ==, 0);
	g_assert_cmpuint(
	    mg_unpack(b->data, b->len, &l, &budget, collect_cb, &c), ==,
	    MG_UNPACK_TOO_MANY);
	g_assert_cmpuint(c.m->len, ==, 1000);
	g_assert_cmpuint(budget.members, ==, 1000);
	collect_clear(&c);
	g_byte_array_unref(b);
}

/* Resident memory in kB from /proc/self/status. */
static guint64
proc_status_kb(const char *key)
{
	gchar *s = NULL, *p;
	guint64 v = 0;

	if (!g_file_get_contents("/proc/self/status", &s, NULL, NULL))
		return 0;
	p = strstr(s, key);
	if (p != NULL)
		v = g_ascii_strtoull(p + strlen(key) + 1, NULL, 10);
	g_free(s);
	return v;
}

/* Reset VmHWM to the current RSS where the kernel allows it (Linux 4.0,
 * clear_refs 5); FALSE when it does not. */
static gboolean
reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	gboolean ok;

	if (f == NULL)
		return FALSE;
	ok = fputs("5", f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok;
}

static void
test_bomb_ratio(void)
{
	/* 200 MB of zeros deflate to about 200 kB. */
	GByteArray *b =
	    build_zeros(archive_write_set_format_zip, 1, (guint64)200 * MIB);
	struct mg_limits l = {.max_member_size = 8 * MIB,
	    .max_archive_ratio = 100,
	    .max_archive_total = 1024 * MIB};
	struct collect c;
	guint64 before, peak;
	gboolean reset;
	guint f;

	g_assert_cmpuint(b->len, <, 2 * MIB);
	collect_init(&c);
	reset = reset_peak();
	before = proc_status_kb("VmRSS:");
	f = unpack(b->data, b->len, &l, &c);
	peak = proc_status_kb("VmHWM:");
	g_assert_cmpuint(f, ==, MG_UNPACK_BOMB | MG_UNPACK_MEMBER_TOO_LARGE);
	g_assert_cmpuint(c.m->len, ==, 1);
	g_assert_true(nth(&c, 0)->truncated);
	g_assert_null(nth(&c, 0)->data);
	g_assert_cmpuint(nth(&c, 0)->size, ==, (guint64)200 * MIB);
	if (reset && before != 0 && peak != 0) {
		g_test_message("peak RSS grew by %" G_GUINT64_FORMAT " kB",
		    peak > before ? peak - before : 0);
		g_assert_cmpuint(
		    peak, <, before + 3 * l.max_member_size / 1024);
	}
	collect_clear(&c);

	/* The same with a member limit above the ratio: stopped by the
	 * ratio alone, with nothing kept. */
	l.max_member_size = 64 * MIB;
	collect_init(&c);
	g_assert_cmpuint(unpack(b->data, b->len, &l, &c), ==, MG_UNPACK_BOMB);
	g_assert_true(nth(&c, 0)->truncated);
	g_assert_null(nth(&c, 0)->data);
	collect_clear(&c);

	/* Compressed tar is read as a stream: stopped the same way. */
	g_byte_array_unref(b);
	collect_init(&c);
	{
		GByteArray *out = g_byte_array_new();
		struct archive *a =
		    writer(out, archive_write_set_format_pax_restricted,
		        archive_write_add_filter_xz);
		struct archive_entry *ae = archive_entry_new();
		guchar *zero = g_malloc0(MIB);
		guint i;

		archive_entry_set_pathname(ae, "zero");
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)64 * MIB);
		g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
		for (i = 0; i < 64; i++)
			archive_write_data(a, zero, MIB);
		archive_entry_free(ae);
		writer_close(a);
		g_free(zero);
		g_assert_cmpstr(
		    mg_unpack_format(out->data, out->len), ==, "tar");
		g_assert_cmpuint(
		    unpack(out->data, out->len, &l, &c), ==, MG_UNPACK_BOMB);
		g_byte_array_unref(out);
	}
	collect_clear(&c);
}

static void
test_bomb_total(void)
{
	GByteArray *b =
	    build_zeros(archive_write_set_format_zip, 10, (guint64)4 * MIB);
	struct mg_limits l = {.max_member_size = 8 * MIB,
	    .max_archive_ratio = 1000000,
	    .max_archive_total = 10 * MIB};
	struct mg_unpack_budget budget = {0};
	struct collect c;

	collect_init(&c);
	g_assert_cmpuint(unpack(b->data, b->len, &l, &c), ==, MG_UNPACK_BOMB);
	/* Two members fit, the third passes the total and stops it all. */
	g_assert_cmpuint(c.m->len, ==, 3);
	g_assert_nonnull(nth(&c, 1)->data);
	g_assert_true(nth(&c, 2)->truncated);
	g_assert_null(nth(&c, 2)->data);
	collect_clear(&c);

	/* The total is shared by the archives of one message. */
	l.max_archive_total = 60 * MIB;
	collect_init(&c);
	g_assert_cmpuint(
	    mg_unpack(b->data, b->len, &l, &budget, collect_cb, &c), ==, 0);
	g_assert_cmpuint(budget.total_bytes, ==, 40 * MIB);
	g_assert_cmpuint(
	    mg_unpack(b->data, b->len, &l, &budget, collect_cb, &c), ==,
	    MG_UNPACK_BOMB);
	collect_clear(&c);
	g_byte_array_unref(b);
}

static void
test_member_too_large(void)
{
	static const struct ent small = {"small.txt", E_FILE, "small"};
	GByteArray *out = g_byte_array_new();
	struct archive *a = writer(out, archive_write_set_format_zip, NULL);
	struct archive_entry *ae = archive_entry_new();
	guchar *block = g_malloc(MIB);
	struct mg_limits l = {
	    .max_member_size = MIB, .max_archive_ratio = 1000000};
	struct collect c;
	gsize i;

	for (i = 0; i < MIB; i++)
		block[i] = (guchar)g_test_rand_int_range(0, 256);
	archive_entry_set_pathname(ae, "big.bin");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, 3 * MIB);
	g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
	for (i = 0; i < 3; i++)
		archive_write_data(a, block, MIB);
	archive_entry_free(ae);
	add_entry(a, &small);
	writer_close(a);

	collect_init(&c);
	g_assert_cmpuint(unpack(out->data, out->len, &l, &c), ==,
	    MG_UNPACK_MEMBER_TOO_LARGE);
	g_assert_cmpuint(c.m->len, ==, 2);
	g_assert_true(nth(&c, 0)->truncated);
	g_assert_null(nth(&c, 0)->data);
	g_assert_cmpuint(nth(&c, 0)->size, ==, 3 * MIB);
	g_assert_false(nth(&c, 1)->truncated);
	assert_data(nth(&c, 1), "small", 5);
	collect_clear(&c);
	g_free(block);
	g_byte_array_unref(out);
}

static void
test_stop(void)
{
	GByteArray *b = build(archive_write_set_format_zip, NULL, three, 3);
	struct mg_unpack_budget budget = {0};
	struct collect c;

	collect_init(&c);
	c.stop_after = 1;
	g_assert_cmpuint(
	    mg_unpack(b->data, b->len, NULL, &budget, collect_cb, &c), ==, 0);
	g_assert_cmpuint(c.m->len, ==, 1);
	g_assert_cmpuint(budget.members, ==, 1);
	collect_clear(&c);
	g_byte_array_unref(b);
}

/*
 * Every prefix of a valid archive: no crash, no hang, and either damaged
 * or complete (a streaming zip reader stops cleanly at the central
 * directory, a prefix holding every local entry is all there is).
 */
static void
truncation_sweep(const guchar *d, gsize n)
{
	gsize cut;

	for (cut = 0; cut < n; cut += cut < 200 ? 1 : 7) {
		struct collect c;
		guint f;

		collect_init(&c);
		f = unpack(d, cut, NULL, &c);
		if ((f & MG_UNPACK_DAMAGED) == 0) {
			g_assert_cmpuint(f, ==, 0);
			check_three(&c);
		}
		mg_unpack_format(d, cut);
		collect_clear(&c);
	}
}

static void
test_truncated(void)
{
	GByteArray *b = build(archive_write_set_format_zip, NULL, three, 3);
	GByteArray *t = build(archive_write_set_format_pax_restricted,
	    archive_write_add_filter_gzip, three, 3);
	GByteArray *s = build(archive_write_set_format_7zip, NULL, three, 3);
	struct collect c;
	guint f;
	gsize i;

	truncation_sweep(b->data, b->len);
	truncation_sweep(t->data, t->len);
	truncation_sweep(s->data, s->len);

	/* Random bytes after a valid local header. */
	for (i = 40; i < b->len; i++)
		b->data[i] = (guint8)g_test_rand_int_range(0, 256);
	collect_init(&c);
	f = unpack(b->data, b->len, NULL, &c);
	g_assert_cmpuint(f & MG_UNPACK_DAMAGED, !=, 0);
	collect_clear(&c);
	g_byte_array_unref(b);
	g_byte_array_unref(t);
	g_byte_array_unref(s);
}

/* ---- RAR 5, written by hand (rarlab's RAR 5.0 technote) ---- */

static guint32
crc32(const guint8 *p, gsize n)
{
	guint32 c = 0xffffffff;
	gsize i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320 : c >> 1;
	}
	return ~c;
}

static void
rar5_vint(GByteArray *b, guint64 v)
{
	guint8 c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v != 0)
			c |= 0x80;
		g_byte_array_append(b, &c, 1);
	} while (v != 0);
}

/* Append a block: CRC32, header size, then `body` (type onwards). */
static void
rar5_block(GByteArray *out, GByteArray *body)
{
	GByteArray *h = g_byte_array_new();
	guint32 crc;
	guint8 c[4];

	rar5_vint(h, body->len);
	g_byte_array_append(h, body->data, body->len);
	crc = crc32(h->data, h->len);
	c[0] = crc & 0xff;
	c[1] = (crc >> 8) & 0xff;
	c[2] = (crc >> 16) & 0xff;
	c[3] = crc >> 24;
	g_byte_array_append(out, c, 4);
	g_byte_array_append(out, h->data, h->len);
	g_byte_array_unref(h);
	g_byte_array_set_size(body, 0);
}

/* A stored file; `encrypted` adds a file encryption record (as RAR 5
 * writes it) and leaves the data as is, like ciphertext. */
static void
rar5_file(GByteArray *out, const char *name, const void *data, gsize n,
    gboolean encrypted)
{
	GByteArray *b = g_byte_array_new();
	GByteArray *extra = g_byte_array_new();
	guint32 crc = crc32(data, n);
	guint8 c[4] = {
	    crc & 0xff, (crc >> 8) & 0xff, (crc >> 16) & 0xff, crc >> 24};
	guint8 kdf = 15;

	if (encrypted) {
		GByteArray *rec = g_byte_array_new();

		rar5_vint(rec, 1); /* encryption record */
		rar5_vint(rec, 0); /* AES-256 */
		rar5_vint(rec, 0); /* flags */
		g_byte_array_append(rec, &kdf, 1);
		g_byte_array_append(rec,
		    (const guint8 *)"SALTSALTSALTSALT"
		                    "IVIVIVIVIVIVIVIV",
		    32);
		rar5_vint(extra, rec->len);
		g_byte_array_append(extra, rec->data, rec->len);
		g_byte_array_unref(rec);
	}
	rar5_vint(b, 2);                     /* file header */
	rar5_vint(b, encrypted ? 0x3 : 0x2); /* extra, data */
	if (encrypted)
		rar5_vint(b, extra->len);
	rar5_vint(b, n);              /* data size */
	rar5_vint(b, 0x4);            /* CRC32 present */
	rar5_vint(b, n);              /* unpacked size */
	rar5_vint(b, 0644);           /* attributes */
	g_byte_array_append(b, c, 4); /* data CRC32 */
	rar5_vint(b, 0);              /* stored */
	rar5_vint(b, 1);              /* Unix */
	rar5_vint(b, strlen(name));
	g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
	g_byte_array_append(b, extra->data, extra->len);
	rar5_block(out, b);
	g_byte_array_append(out, data, (guint)n);
	g_byte_array_unref(b);
	g_byte_array_unref(extra);
}

static GByteArray *
rar5_new(gboolean header_encrypted)
{
	GByteArray *out = g_byte_array_new();
	GByteArray *b = g_byte_array_new();
	guint8 kdf = 15;

	g_byte_array_append(out, (const guint8 *)"Rar!\x1a\x07\x01\x00", 8);
	if (header_encrypted) {
		rar5_vint(b, 4); /* archive encryption header */
		rar5_vint(b, 0);
		rar5_vint(b, 0); /* AES-256 */
		rar5_vint(b, 0);
		g_byte_array_append(b, &kdf, 1);
		g_byte_array_append(b, (const guint8 *)"SALTSALTSALTSALT", 16);
		rar5_block(out, b);
		g_byte_array_append(
		    out, (const guint8 *)"encrypted headers...", 20);
	} else {
		rar5_vint(b, 1); /* main archive header */
		rar5_vint(b, 0);
		rar5_vint(b, 0);
		rar5_block(out, b);
	}
	g_byte_array_unref(b);
	return out;
}

static void
rar5_end(GByteArray *out)
{
	GByteArray *b = g_byte_array_new();

	rar5_vint(b, 5);
	rar5_vint(b, 0);
	rar5_vint(b, 0);
	rar5_block(out, b);
	g_byte_array_unref(b);
}

static void
test_rar5(void)
{
	GByteArray *r = rar5_new(FALSE);
	GByteArray *inner;
	struct collect c;

	rar5_file(r, "plain.txt", "hello rar5\n", 11, FALSE);
	rar5_file(r, "secret.exe", "ciphertext bytes", 16, TRUE);
	rar5_end(r);
	collect_init(&c);
	g_assert_cmpstr(mg_unpack_format(r->data, r->len), ==, "rar5");
	g_assert_cmpuint(
	    unpack(r->data, r->len, NULL, &c), ==, MG_UNPACK_ENCRYPTED);
	g_assert_cmpuint(c.m->len, ==, 2);
	g_assert_false(nth(&c, 0)->encrypted);
	assert_data(nth(&c, 0), "hello rar5\n", 11);
	/* libarchive 3.6.2 alone would hand over the ciphertext. */
	g_assert_true(nth(&c, 1)->encrypted);
	g_assert_null(nth(&c, 1)->data);
	collect_clear(&c);
	g_byte_array_unref(r);

	r = rar5_new(TRUE);
	collect_init(&c);
	g_assert_cmpstr(mg_unpack_format(r->data, r->len), ==, "rar5");
	g_assert_cmpuint(
	    unpack(r->data, r->len, NULL, &c), ==, MG_UNPACK_ENCRYPTED);
	g_assert_cmpuint(c.m->len, ==, 0);
	collect_clear(&c);
	g_byte_array_unref(r);

	/* A RAR whose last member is a stored zip reads as that zip: a
	 * polyglot, whose RAR members we would not see. */
	inner = build(archive_write_set_format_zip, NULL, three, 3);
	r = rar5_new(FALSE);
	rar5_file(r, "payload.exe", "MZ not for your eyes", 20, FALSE);
	rar5_file(r, "inner.zip", inner->data, inner->len, FALSE);
	rar5_end(r);
	collect_init(&c);
	g_assert_cmpuint(
	    unpack(r->data, r->len, NULL, &c) & MG_UNPACK_DAMAGED, !=, 0);
	collect_clear(&c);
	g_byte_array_unref(r);
	g_byte_array_unref(inner);
}

/*
 * A 7z header that declares many empty entries in a few bytes per entry
 * (found by fuzzing: libarchive allocates for every declared entry before
 * the first is returned).  The listing stops at the member limit.
 */
static void
test_7z_many_entries(void)
{
	const guint n = 20000;
	GByteArray *h = g_byte_array_new();
	GByteArray *z = g_byte_array_new();
	struct mg_limits l = {.max_archive_members = 1000};
	struct collect c;
	guint8 start[20] = {0};
	guint32 crc;
	guint i;

	g_byte_array_append(h, (const guint8 *)"\x01\x05", 2);
	/* 7z NUMBER: 0xC0 | bits 16-21, then the low 16 bits. */
	g_byte_array_append(h,
	    (const guint8[]){0xc0 | (n >> 16), n & 0xff, (n >> 8) & 0xff}, 3);
	g_byte_array_append(h,
	    (const guint8[]){
	        0x0e, 0x80 | ((n + 7) / 8) >> 8, ((n + 7) / 8) & 0xff},
	    3);
	for (i = 0; i < (n + 7) / 8; i++)
		g_byte_array_append(h, (const guint8 *)"\xff", 1);
	g_byte_array_append(h, (const guint8 *)"\x00\x00", 2);

	start[8] = h->len & 0xff; /* next header offset 0, then size */
	start[9] = (h->len >> 8) & 0xff;
	crc = crc32(h->data, h->len);
	for (i = 0; i < 4; i++)
		start[16 + i] = (crc >> (8 * i)) & 0xff;
	g_byte_array_append(z, (const guint8 *)"7z\xbc\xaf\x27\x1c\x00\x04", 8);
	crc = crc32(start, 20);
	for (i = 0; i < 4; i++) {
		guint8 b = (crc >> (8 * i)) & 0xff;

		g_byte_array_append(z, &b, 1);
	}
	g_byte_array_append(z, start, 20);
	g_byte_array_append(z, h->data, h->len);

	collect_init(&c);
	g_assert_cmpstr(mg_unpack_format(z->data, z->len), ==, "7zip");
	g_assert_cmpuint(
	    unpack(z->data, z->len, &l, &c) & MG_UNPACK_TOO_MANY, !=, 0);
	g_assert_cmpuint(c.m->len, ==, 1000);
	collect_clear(&c);
	g_byte_array_unref(h);
	g_byte_array_unref(z);
}

/*
 * Inputs found by fuzz_unpack: headers declaring lengths of gigabytes or
 * more, for which libarchive asks malloc() before it finds the input too
 * short.  Without ASan the allocation fails or stays untouched and the
 * archive is damaged; ASan aborts on such a request unless
 * allocator_may_return_null is set, so the test is skipped there.
 */
static const guint8 fuzz_7z_huge_read_ahead[] = {0x37, 0x7a, 0xbc, 0xaf, 0x27,
    0x1c, 0x00, 0x03, 0x82, 0xaf, 0xea, 0x88, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x61, 0x00, 0x0a, 0x53, 0x07, 0xd9, 0x64, 0x6d, 0x64,
    0x9a, 0xbf, 0x0e, 0xd5, 0x23, 0x88, 0xd0, 0xac, 0x2d, 0x6b, 0xa3, 0x5a,
    0xbb, 0xe5, 0x30, 0xdf, 0xd1, 0x41, 0xd9, 0x01, 0x04, 0x06, 0x00, 0x01,
    0x09, 0x10, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x02, 0x24, 0x06, 0xf1, 0x07,
    0x01, 0x0a, 0x53, 0x07, 0xd9, 0x64, 0x6d, 0x64, 0x9a, 0xbf, 0x0e, 0xd5,
    0x23, 0x03, 0x01, 0x01, 0x05, 0x5d, 0x00, 0x00, 0x01, 0x63, 0x61, 0x62,
    0x0c, 0x08, 0x04, 0x00, 0x08, 0x0a, 0x01, 0xa8, 0x65, 0x32, 0x7e, 0x00,
    0x00, 0x05, 0x01, 0x11, 0x11, 0x00, 0x62, 0x00, 0x61, 0x00, 0x72, 0x00,
    0x2e, 0x00, 0x74, 0x00, 0x7c, 0x00, 0x74, 0x00, 0x00, 0x00, 0x14, 0x0a,
    0x66, 0x69, 0x6c, 0x65, 0x31, 0x14, 0x00, 0x02, 0x00, 0x00, 0x4d, 0x53,
    0x43, 0x46, 0x00, 0x00, 0x00, 0x00, 0x94, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x64, 0x69, 0x72, 0x2f, 0x62, 0x2e, 0x62, 0x69, 0x6e, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x30, 0x30, 0x30, 0x30, 0x36, 0x34, 0x34, 0x00,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x30, 0x30, 0x00, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x34, 0x34, 0x00, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x30, 0x30, 0x00, 0x30, 0x30, 0x36, 0x36, 0x36, 0x34, 0x00, 0x20,
    0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static const guint8 fuzz_cpio_huge_name[] = {0x30, 0x37, 0x30, 0x37, 0x30, 0x31,
    0x30, 0x30, 0x41, 0x37, 0x38, 0x34, 0x34, 0x31, 0x30, 0x30, 0x30, 0x30,
    0x38, 0x31, 0x41, 0x34, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x31, 0x36, 0x42, 0x30, 0x32, 0x33, 0x42,
    0x42, 0x32, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x36, 0x30, 0x30,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x42, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x54, 0x52,
    0x41, 0x49, 0x4c, 0x45, 0x52, 0x21, 0x21, 0x21, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xe5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00};

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void
test_fuzz_finds(void)
{
	struct collect c;

#ifdef UNDER_ASAN
	g_test_skip("libarchive's huge malloc() requests abort under ASan");
	return;
#endif
	collect_init(&c);
	g_assert_cmpstr(mg_unpack_format(fuzz_7z_huge_read_ahead,
	                    sizeof(fuzz_7z_huge_read_ahead)),
	    ==, "7zip");
	g_assert_cmpuint(unpack(fuzz_7z_huge_read_ahead,
	                     sizeof(fuzz_7z_huge_read_ahead), NULL, &c),
	    ==, MG_UNPACK_DAMAGED);
	g_assert_cmpstr(
	    mg_unpack_format(fuzz_cpio_huge_name, sizeof(fuzz_cpio_huge_name)),
	    ==, "cpio");
	g_assert_cmpuint(
	    unpack(fuzz_cpio_huge_name, sizeof(fuzz_cpio_huge_name), NULL, &c),
	    ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(c.m->len, ==, 0);
	collect_clear(&c);
}

/* ---- the public samples ---- */

static char *
corpus_path(const char *rel)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	char *p;

	if (src == NULL) {
		g_test_skip("MUGAIKA_SOURCE_DIR not set");
		return NULL;
	}
	p = g_build_filename(src, "..", "shared", "corpus-external", rel, NULL);
	if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
		g_test_skip("corpus-external not present");
		g_free(p);
		return NULL;
	}
	return p;
}

static guint
uu_val(char ch)
{
	return (guint)(ch - 0x20) & 0x3f;
}

/* Decode the first "begin … end" block of a uuencoded file. */
static GBytes *
uudecode(const char *text)
{
	GByteArray *out = g_byte_array_new();
	gchar **lines = g_strsplit(text, "\n", -1);
	gboolean in = FALSE;
	guint i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];
		guint n, k;

		if (!in) {
			in = g_str_has_prefix(l, "begin ");
			continue;
		}
		if (g_str_has_prefix(l, "end"))
			break;
		n = uu_val(l[0]);
		for (k = 0; n > 0 && strlen(l) >= 1 + 4 * (k + 1); k++) {
			const char *q = l + 1 + 4 * k;
			guint8 o[3];
			guint j;

			o[0] = (guint8)(uu_val(q[0]) << 2 | uu_val(q[1]) >> 4);
			o[1] = (guint8)(uu_val(q[1]) << 4 | uu_val(q[2]) >> 2);
			o[2] = (guint8)(uu_val(q[2]) << 6 | uu_val(q[3]));
			for (j = 0; j < 3 && n > 0; j++, n--)
				g_byte_array_append(out, &o[j], 1);
		}
	}
	g_strfreev(lines);
	return g_byte_array_free_to_bytes(out);
}

static GBytes *
sample(const char *rel)
{
	char *p = corpus_path(rel);
	gchar *text = NULL;
	gsize n;
	GBytes *b;

	if (p == NULL)
		return NULL;
	g_assert_true(g_file_get_contents(p, &text, &n, NULL));
	g_free(p);
	if (g_str_has_suffix(rel, ".uu")) {
		b = uudecode(text);
		g_free(text);
		return b;
	}
	return g_bytes_new_take(text, n);
}

static guint
unpack_sample(GBytes *b, struct collect *c)
{
	gsize n;
	const void *d = g_bytes_get_data(b, &n);

	return unpack(d, n, NULL, c);
}

static void
expect_names(
    const char *rel, const char *format, guint flags, const char *const *names)
{
	GBytes *b = sample(rel);
	struct collect c;
	gsize n;
	guint i;

	if (b == NULL)
		return;
	collect_init(&c);
	g_assert_cmpstr(
	    mg_unpack_format(g_bytes_get_data(b, &n), g_bytes_get_size(b)), ==,
	    format);
	g_assert_cmpuint(unpack_sample(b, &c), ==, flags);
	for (i = 0; names[i] != NULL; i++)
		g_assert_cmpstr(nth(&c, i)->name, ==, names[i]);
	g_assert_cmpuint(c.m->len, ==, i);
	collect_clear(&c);
	g_bytes_unref(b);
}

static void
test_cp932(void)
{
	/* The names libarchive's own tests expect (NFC). */
	static const char *const zip[] = {
	    "表だよ/一覧表.txt", "表だよ/漢字.txt", NULL};
	static const char *const lha[] = {"漢字.txt", "表.txt", NULL};
	static const char *const cab[] = {
	    "表だよ/漢字.txt", "表だよ/一覧表.txt", NULL};

	expect_names("libarchive/test_read_format_zip_filename_cp932.zip.uu",
	    "zip", 0, zip);
	expect_names("libarchive/test_read_format_lha_filename_cp932.lzh.uu",
	    "lha", 0, lha);
	expect_names("libarchive/test_read_format_cab_filename_cp932.cab.uu",
	    "cab", 0, cab);
}

static void
test_samples(void)
{
	static const char *const nested[] = {"small.zip", "file.txt", NULL};
	static const char *const jar[] = {"somedir/", NULL};
	static const char *const utf8[] = {"File 1.txt",
	    "File 2 - \xc3\xb6.txt", "File 3 - \xc3\xa4.txt", "File 4 - xx.txt",
	    NULL};
	static const char *const eocd[] = {"test1.txt", "test2.txt", NULL};
	static const char *const lha[] = {"dir/", "dir2/", "dir2/symlink1",
	    "dir2/symlink2", "file1", "file2", NULL};
	static const char *const lha3[] = {
	    "dir/", "dir2/", "file1", "file2", NULL};
	static const char *const lhas[] = {
	    "header0", "header1", "header2", "lh0", "lh6", "lh7"};
	GBytes *b;
	gsize i;

	expect_names(
	    "libarchive/test_read_format_zip_nested.zip.uu", "zip", 0, nested);
	expect_names(
	    "libarchive/test_read_format_zip_jar.jar.uu", "zip", 0, jar);
	expect_names("libarchive/test_read_format_zip_7075_utf8_paths.zip.uu",
	    "zip", 0, utf8);
	expect_names(
	    "libarchive/"
	    "test_read_format_zip_with_invalid_traditional_eocd.zip.uu",
	    "zip", 0, eocd);
	for (i = 0; i < G_N_ELEMENTS(lhas); i++) {
		char *rel = g_strdup_printf(
		    "libarchive/test_read_format_lha_%s.lzh.uu", lhas[i]);

		expect_names(rel, "lha", MG_UNPACK_LINKS, lha);
		g_free(rel);
	}
	expect_names(
	    "libarchive/test_read_format_lha_header3.lzh.uu", "lha", 0, lha3);

	/* The nested sample's inner zip is a zip, and lists its member. */
	b = sample("libarchive/test_read_format_zip_nested.zip.uu");
	if (b != NULL) {
		struct collect c, c2;
		gsize n;
		const void *d;

		collect_init(&c);
		collect_init(&c2);
		unpack_sample(b, &c);
		d = g_bytes_get_data(nth(&c, 0)->data, &n);
		g_assert_cmpstr(mg_unpack_format(d, n), ==, "zip");
		g_assert_cmpuint(unpack(d, n, NULL, &c2), ==, 0);
		g_assert_cmpstr(nth(&c2, 0)->name, ==, "another_file.txt");
		collect_clear(&c);
		collect_clear(&c2);
		g_bytes_unref(b);
	}
}

static void
test_encrypted(void)
{
	static const struct {
		const char *rel;
		guint members; /* G_MAXUINT: at most one */
	} t[] = {
	    {"test_read_format_zip_traditional_encryption_data.zip.uu", 2},
	    {"test_read_format_zip_winzip_aes128.zip.uu", 1},
	    {"test_read_format_zip_winzip_aes256.zip.uu", 1},
	    {"test_read_format_zip_encryption_data.zip.uu", 2},
	    {"test_read_format_zip_encryption_header.zip.uu", G_MAXUINT},
	    {"test_read_format_7zip_encryption.7z.uu", 1},
	    {"test_read_format_7zip_encryption_header.7z.uu", G_MAXUINT},
	    {"test_read_format_rar_encryption_data.rar.uu", 2},
	    {"test_read_format_rar_encryption_header.rar.uu", G_MAXUINT},
	};
	gsize i;
	guint k;

	for (i = 0; i < G_N_ELEMENTS(t); i++) {
		char *rel = g_strconcat("libarchive/", t[i].rel, NULL);
		GBytes *b = sample(rel);
		struct collect c;
		guint f;

		g_free(rel);
		if (b == NULL)
			return;
		collect_init(&c);
		f = unpack_sample(b, &c);
		g_assert_cmpuint(f & MG_UNPACK_ENCRYPTED, !=, 0);
		if (t[i].members == G_MAXUINT) {
			g_assert_cmpuint(c.m->len, <=, 1);
		} else {
			g_assert_cmpuint(c.m->len, ==, t[i].members);
			for (k = 0; k < c.m->len; k++) {
				g_assert_true(nth(&c, k)->encrypted);
				g_assert_null(nth(&c, k)->data);
				g_assert_cmpuint(nth(&c, k)->size, >, 0);
			}
		}
		collect_clear(&c);
		g_bytes_unref(b);
	}
}

static void
test_malformed_sample(void)
{
	GBytes *b = sample("libarchive/test_read_format_zip_malformed1.zip.uu");
	struct collect c;

	if (b == NULL)
		return;
	collect_init(&c);
	g_assert_cmpuint(unpack_sample(b, &c) & MG_UNPACK_DAMAGED, !=, 0);
	for (guint i = 0; i < c.m->len; i++)
		g_assert_null(nth(&c, i)->data);
	collect_clear(&c);
	g_bytes_unref(b);
}

/* ---- TNEF ---- */

static guint
tnef(GBytes *b, const struct mg_limits *l, struct collect *c, GBytes **body_r)
{
	struct mg_unpack_budget budget = {0};
	gsize n;
	const void *d = g_bytes_get_data(b, &n);

	return mg_unpack_tnef(d, n, l, &budget, collect_cb, c, body_r, NULL);
}

static void
test_tnef_samples(void)
{
	static const struct {
		const char *file;
		guint flags;
		const char *names[5];
	} t[] = {
	    {"one-file.tnef", 0, {"AUTHORS"}},
	    {"two-files.tnef", 0, {"AUTHORS", "README"}},
	    {"data-before-name.tnef", 0,
	        {"AUTOEXEC.BAT", "CONFIG.SYS", "boot.ini"}},
	    {"long-filename.tnef", 0, {"allproductsmar2000.dat"}},
	    {"missing-filenames.tnef", 0,
	        {"generpts.src", "TechlibDEC99.doc", "TechlibDEC99-JAN00.doc",
	            "TechlibNOV99.doc"}},
	    {"multi-value-attribute.tnef", 0,
	        {"208225__5_seconds__Voice_Mail.mp3"}},
	    {"unicode-mapi-attr-name.tnef", 0,
	        {"spaconsole2.cfg", "image001.png", "image002.png",
	            "image003.png"}},
	    {"unicode-mapi-attr.tnef", 0, {"example.dat"}},
	    {"MAPI_ATTACH_DATA_OBJ.tnef", 0,
	        {"VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf",
	            "VIA_Nytt_14021.htm"}},
	    {"body.tnef", 0, {NULL}},
	    {"rtf.tnef", 0, {NULL}},
	    {"triples.tnef", 0, {NULL}},
	    {"multi-name-property.tnef", 0, {NULL}},
	    {"garbage-at-end.tnef", MG_UNPACK_DAMAGED, {NULL}},
	};
	gsize i;
	guint k;

	for (i = 0; i < G_N_ELEMENTS(t); i++) {
		char *rel = g_strconcat("tnef/", t[i].file, NULL);
		GBytes *b = sample(rel);
		GBytes *body = NULL;
		struct collect c;

		g_free(rel);
		if (b == NULL)
			return;
		collect_init(&c);
		g_assert_cmpuint(tnef(b, NULL, &c, &body), ==, t[i].flags);
		for (k = 0; t[i].names[k] != NULL; k++) {
			g_assert_cmpstr(nth(&c, k)->name, ==, t[i].names[k]);
			g_assert_nonnull(nth(&c, k)->data);
			g_assert_cmpuint(nth(&c, k)->index, ==, k + 1);
		}
		g_assert_cmpuint(c.m->len, ==, k);
		if (strcmp(t[i].file, "triples.tnef") == 0) {
			g_assert_nonnull(body);
			g_assert_cmpmem(g_bytes_get_data(body, NULL),
			    g_bytes_get_size(body), "Sample description\r\n",
			    20);
		}
		if (strcmp(t[i].file, "two-files.tnef") == 0)
			g_assert_cmpuint(nth(&c, 1)->size, ==, 893);
		if (strcmp(t[i].file, "data-before-name.tnef") == 0) {
			g_assert_cmpuint(nth(&c, 1)->size, ==, 0);
			g_assert_cmpuint(nth(&c, 2)->size, ==, 289);
		}
		if (strcmp(t[i].file, "MAPI_ATTACH_DATA_OBJ.tnef") == 0) {
			/* The embedded objects' IIDs are dropped. */
			g_assert_cmpmem(
			    g_bytes_get_data(nth(&c, 0)->data, NULL), 4,
			    "\xd0\xcf\x11\xe0", 4);
			g_assert_cmpmem(
			    g_bytes_get_data(nth(&c, 1)->data, NULL), 5,
			    "%PDF-", 5);
		}
		if (body != NULL)
			g_bytes_unref(body);
		collect_clear(&c);
		g_bytes_unref(b);
	}
}

static void
tnef_attr(GByteArray *b, guint8 level, guint32 id, const void *p, gsize n)
{
	guint8 h[9];
	guint16 sum = 0;
	gsize i;

	h[0] = level;
	for (i = 0; i < 4; i++) {
		h[1 + i] = (guint8)(id >> (8 * i));
		h[5 + i] = (guint8)(n >> (8 * i));
	}
	for (i = 0; i < n; i++)
		sum = (guint16)(sum + ((const guint8 *)p)[i]);
	g_byte_array_append(b, h, 9);
	g_byte_array_append(b, p, (guint)n);
	h[0] = sum & 0xff;
	h[1] = sum >> 8;
	g_byte_array_append(b, h, 2);
}

static GByteArray *
tnef_new(guint32 codepage)
{
	static const guint8 head[] = {0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00};
	GByteArray *b = g_byte_array_new();
	guint8 cp[8] = {0};

	g_byte_array_append(b, head, 6);
	if (codepage != 0) {
		cp[0] = codepage & 0xff;
		cp[1] = (codepage >> 8) & 0xff;
		tnef_attr(b, 1, 0x00069007, cp, 8);
	}
	return b;
}

static void
put32(GByteArray *b, guint32 v)
{
	guint8 x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	g_byte_array_append(b, x, 4);
}

/* A MAPI string property: tag, value count, length, bytes, padding. */
static void
mapi_string(GByteArray *m, guint32 tag, const void *p, gsize n)
{
	static const guint8 zero[4] = {0};

	put32(m, tag);
	put32(m, 1);
	put32(m, (guint32)n);
	g_byte_array_append(m, p, (guint)n);
	if (n % 4)
		g_byte_array_append(m, zero, 4 - n % 4);
}

static void
utf16le(GByteArray *out, const char *utf8)
{
	gunichar2 *u = g_utf8_to_utf16(utf8, -1, NULL, NULL, NULL);
	guint i;

	for (i = 0; u[i] != 0; i++) {
		guint8 x[2] = {u[i] & 0xff, u[i] >> 8};

		g_byte_array_append(out, x, 2);
	}
	g_byte_array_append(out, (const guint8 *)"\0\0", 2);
	g_free(u);
}

static void
test_tnef_built(void)
{
	GByteArray *b = tnef_new(932);
	GByteArray *m = g_byte_array_new();
	GByteArray *s = g_byte_array_new();
	GByteArray *longname = g_byte_array_new();
	guint8 rend[14] = {1};
	char title[150];
	char *big = g_malloc(200000);
	GBytes *bb, *body = NULL;
	struct collect c;

	memset(big, 'b', 200000);
	memset(title, 't', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';

	/* Message properties: a 200-byte subject (libytnef alone refuses
	 * over 100) and a Unicode PR_BODY. */
	put32(m, 2);
	utf16le(s, "件名がとても長いメールです。件名がとても長いメールです。"
	           "件名がとても長いメールです。件名がとても長いメールです。"
	           "件名がとても長い");
	mapi_string(m, 0x0037001f, s->data, s->len);
	g_byte_array_set_size(s, 0);
	utf16le(s, "本文です。\r\n");
	mapi_string(m, 0x1000001f, s->data, s->len);
	tnef_attr(b, 1, 0x00069003, m->data, m->len);
	/* A 200 kB attBody, which libytnef alone refuses over 100 kB. */
	tnef_attr(b, 1, 0x0002800c, big, 200000);

	/* 1: a 149-byte title. */
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x00018010, title, sizeof(title));
	tnef_attr(b, 2, 0x0006800f, "one", 3);
	/* 2: a CP932 title and a Unicode long file name. */
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x00018010, "\x8a\xbf\x8e\x9a.txt", 9);
	tnef_attr(b, 2, 0x0006800f, "two", 3);
	put32(longname, 1);
	g_byte_array_set_size(s, 0);
	utf16le(s, "長い名前の添付ファイル.txt");
	mapi_string(longname, 0x3707001f, s->data, s->len);
	tnef_attr(b, 2, 0x00069005, longname->data, longname->len);
	/* 3: a CP932 title alone. */
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x00018010, "\x8a\xbf\x8e\x9a.txt", 9);
	tnef_attr(b, 2, 0x0006800f, "three", 5);

	bb = g_byte_array_free_to_bytes(b);
	collect_init(&c);
	g_assert_cmpuint(tnef(bb, NULL, &c, &body), ==, 0);
	g_assert_cmpuint(c.m->len, ==, 3);
	g_assert_cmpstr(nth(&c, 0)->name, ==, title);
	assert_data(nth(&c, 0), "one", 3);
	g_assert_cmpstr(nth(&c, 1)->name, ==, "長い名前の添付ファイル.txt");
	assert_data(nth(&c, 1), "two", 3);
	g_assert_cmpstr(nth(&c, 2)->name, ==, "漢字.txt");
	g_assert_nonnull(body);
	g_assert_cmpmem(g_bytes_get_data(body, NULL), g_bytes_get_size(body),
	    "本文です。\r\n", strlen("本文です。\r\n"));
	g_bytes_unref(body);
	collect_clear(&c);

	/* Limits: member size, member count, total. */
	{
		struct mg_limits l = {.max_member_size = 4};

		collect_init(&c);
		g_assert_cmpuint(
		    tnef(bb, &l, &c, NULL), ==, MG_UNPACK_MEMBER_TOO_LARGE);
		g_assert_cmpuint(c.m->len, ==, 3);
		g_assert_true(nth(&c, 2)->truncated);
		g_assert_null(nth(&c, 2)->data);
		g_assert_cmpuint(nth(&c, 2)->size, ==, 5);
		collect_clear(&c);

		l.max_member_size = 0;
		l.max_archive_members = 2;
		collect_init(&c);
		g_assert_cmpuint(
		    tnef(bb, &l, &c, NULL), ==, MG_UNPACK_TOO_MANY);
		g_assert_cmpuint(c.m->len, ==, 2);
		collect_clear(&c);

		l.max_archive_members = 0;
		l.max_archive_total = 7;
		collect_init(&c);
		g_assert_cmpuint(tnef(bb, &l, &c, NULL), ==, MG_UNPACK_BOMB);
		g_assert_cmpuint(c.m->len, ==, 3);
		g_assert_null(nth(&c, 2)->data);
		collect_clear(&c);
	}

	g_bytes_unref(bb);
	g_byte_array_unref(m);
	g_byte_array_unref(s);
	g_byte_array_unref(longname);
	g_free(big);
}

static void
test_tnef_damaged(void)
{
	GByteArray *b = tnef_new(0);
	guint8 rend[14] = {1};
	GBytes *bb;
	struct collect c;
	gsize n, cut, next;
	const guint8 *d;

	/* A second data attribute for one attachment: both reported, the
	 * second as an attachment of its own without a name. */
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x00018010, "a.txt", 6);
	tnef_attr(b, 2, 0x0006800f, "first", 5);
	tnef_attr(b, 2, 0x0006800f, "second", 6);
	bb = g_bytes_new(b->data, b->len);
	collect_init(&c);
	g_assert_cmpuint(tnef(bb, NULL, &c, NULL), ==,
	    MG_UNPACK_DAMAGED | MG_UNPACK_UNSAFE_NAME);
	g_assert_cmpuint(c.m->len, ==, 2);
	g_assert_cmpstr(nth(&c, 0)->name, ==, "a.txt");
	assert_data(nth(&c, 0), "first", 5);
	assert_data(nth(&c, 1), "second", 6);
	g_assert_true(nth(&c, 1)->unsafe_name); /* empty */
	collect_clear(&c);
	g_bytes_unref(bb);

	/* An unparseable attachment property block. */
	g_byte_array_set_size(b, 6);
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x00018010, "b.txt", 6);
	tnef_attr(b, 2, 0x00069005, "\xff\xff\xff\xff garbage", 12);
	bb = g_bytes_new(b->data, b->len);
	collect_init(&c);
	g_assert_cmpuint(tnef(bb, NULL, &c, NULL), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(c.m->len, ==, 1);
	g_assert_null(nth(&c, 0)->data);
	collect_clear(&c);
	g_bytes_unref(bb);

	/* A bad checksum. */
	g_byte_array_set_size(b, 6);
	tnef_attr(b, 2, 0x00069002, rend, 14);
	tnef_attr(b, 2, 0x0006800f, "data", 4);
	b->data[b->len - 1] ^= 1;
	bb = g_bytes_new(b->data, b->len);
	collect_init(&c);
	g_assert_cmpuint(tnef(bb, NULL, &c, NULL) & MG_UNPACK_DAMAGED, !=, 0);
	collect_clear(&c);
	g_bytes_unref(bb);
	g_byte_array_unref(b);

	/* Not TNEF. */
	bb = g_bytes_new_static("PK\003\004 not tnef", 15);
	collect_init(&c);
	g_assert_cmpuint(tnef(bb, NULL, &c, NULL), ==, MG_UNPACK_DAMAGED);
	g_assert_cmpuint(c.m->len, ==, 0);
	collect_clear(&c);
	g_bytes_unref(bb);

	/*
	 * Every prefix of a sample.  TNEF has no end marker: a prefix that
	 * ends between two attributes is a shorter, valid stream; any other
	 * is damaged.
	 */
	bb = sample("tnef/two-files.tnef");
	if (bb == NULL)
		return;
	d = g_bytes_get_data(bb, &n);
	next = 6;
	for (cut = 0; cut < n; cut++) {
		struct mg_unpack_budget budget = {0};
		GBytes *body = NULL;
		guint f;

		collect_init(&c);
		f = mg_unpack_tnef(
		    d, cut, NULL, &budget, collect_cb, &c, &body, NULL);
		if (cut == next) {
			g_assert_cmpuint(f & MG_UNPACK_DAMAGED, ==, 0);
			next +=
			    9 +
			    (d[cut + 5] | d[cut + 6] << 8 | d[cut + 7] << 16) +
			    2;
		} else {
			g_assert_cmpuint(f & MG_UNPACK_DAMAGED, !=, 0);
		}
		if (body != NULL)
			g_bytes_unref(body);
		collect_clear(&c);
	}
	g_bytes_unref(bb);
}

int
main(int argc, char **argv)
{
	/* libarchive converts names through the locale's charset. */
	setlocale(LC_ALL, "C.UTF-8");
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/unpack/formats", test_formats_built);
	g_test_add_func("/unpack/ar", test_ar);
	g_test_add_func("/unpack/rar5", test_rar5);
	g_test_add_func("/unpack/7z-many-entries", test_7z_many_entries);
	g_test_add_func("/unpack/fuzz-finds", test_fuzz_finds);
	g_test_add_func("/unpack/lone-compressed", test_lone_compressed);
	g_test_add_func("/unpack/nested", test_nested);
	g_test_add_func("/unpack/not-archives", test_not_archives);
	g_test_add_func("/unpack/tar-hidden-tail", test_tar_hidden_tail);
	g_test_add_func("/unpack/unsafe-names", test_unsafe_names);
	g_test_add_func("/unpack/escaped-names", test_escaped_names);
	g_test_add_func("/unpack/links", test_links);
	g_test_add_func("/unpack/too-many", test_too_many);
	g_test_add_func("/unpack/bomb-ratio", test_bomb_ratio);
	g_test_add_func("/unpack/bomb-total", test_bomb_total);
	g_test_add_func("/unpack/member-too-large", test_member_too_large);
	g_test_add_func("/unpack/stop", test_stop);
	g_test_add_func("/unpack/truncated", test_truncated);
	g_test_add_func("/unpack/cp932", test_cp932);
	g_test_add_func("/unpack/samples", test_samples);
	g_test_add_func("/unpack/encrypted", test_encrypted);
	g_test_add_func("/unpack/malformed", test_malformed_sample);
	g_test_add_func("/unpack/tnef/samples", test_tnef_samples);
	g_test_add_func("/unpack/tnef/built", test_tnef_built);
	g_test_add_func("/unpack/tnef/damaged", test_tnef_damaged);
	return g_test_run();
}
