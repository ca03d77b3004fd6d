/*
 * test_cdr_archive.c - the archive CDR module (cdr/cdr_archive.c).
 *
 * Archives are built here with libarchive's writers (zip, 7z, tar.gz,
 * CP932 names, symlinks, hard links, devices, ZipCrypto) and lone gzip
 * files with GLib's compressor.  A fake walk stands in for ctx->nested:
 * .txt comes back unchanged, .exe is refused, .docm comes back rebuilt as
 * docx, .big comes back larger, and a nested .zip goes through the module
 * again one level deeper.  Each rebuilt zip is read back with libarchive
 * and its central directory checked by hand: names UTF-8 with the
 * language encoding flag, contents as the walk returned them, refused
 * members absent, names safe and unique.  Encrypted, truncated, bomb-like
 * and oversized inputs must be refused.  The public samples in
 * ../shared/corpus-external (CP932 names, LHA, encrypted zip/7z/RAR) are
 * used when present and skipped otherwise.
 */
#define _GNU_SOURCE /* memmem */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>

#include "cdr/mg_cdr.h"
#include "unpack/mg_unpack.h"

extern const struct mg_cdr_module mg_cdr_archive;
extern const struct mg_cdr_module mg_cdr_ooxml;

#define HARDLINK 1

struct m {
	const char *name;
	const char *data; /* NUL-terminated, or len bytes */
	gsize len;
	int type; /* AE_IFREG (0 too), AE_IFDIR, AE_IFLNK, AE_IFCHR, HARDLINK */
	const char *link;
};

/* ---- building archives ---- */

static la_ssize_t
grow(struct archive *a, void *data, const void *buf, size_t n)
{
	(void)a;
	g_byte_array_append(data, buf, (guint)n);
	return (la_ssize_t)n;
}

static GBytes *
build(int format, int filter, const char *options, const char *passphrase,
    const struct m *ms, gsize n)
{
	struct archive *a = archive_write_new();
	GByteArray *out = g_byte_array_new();
	gsize i;

	g_assert_cmpint(archive_write_set_format(a, format), ==, ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		g_assert_cmpint(
		    archive_write_add_filter(a, filter), ==, ARCHIVE_OK);
	if (options != NULL)
		g_assert_cmpint(
		    archive_write_set_options(a, options), ==, ARCHIVE_OK);
	if (passphrase != NULL)
		g_assert_cmpint(archive_write_set_passphrase(a, passphrase), ==,
		    ARCHIVE_OK);
	/* No padding to 10 kB blocks but for tar, where it is the format's
	 * own (zeros after a 7z would be just more bytes to cut). */
	if ((format & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR)
		archive_write_set_bytes_per_block(a, 0);
	g_assert_cmpint(archive_write_open2(a, out, NULL, grow, NULL, NULL), ==,
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		gsize len = ms[i].data == NULL ? 0
		            : ms[i].len > 0    ? ms[i].len
		                               : strlen(ms[i].data);

		archive_entry_set_pathname(e, ms[i].name);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (ms[i].type == HARDLINK) {
			archive_entry_set_hardlink(e, ms[i].link);
			archive_entry_set_filetype(e, AE_IFREG);
			len = 0;
		} else {
			archive_entry_set_filetype(e,
			    ms[i].type == 0 ? AE_IFREG : (unsigned)ms[i].type);
		}
		if (ms[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, ms[i].link);
		if (ms[i].type == AE_IFCHR)
			archive_entry_set_rdev(e, 0x0103);
		archive_entry_set_size(e, (la_int64_t)len);
		g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
		if (len > 0)
			g_assert_cmpint(archive_write_data(a, ms[i].data, len),
			    ==, (la_ssize_t)len);
		archive_entry_free(e);
	}
	g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
	archive_write_free(a);
	return g_byte_array_free_to_bytes(out);
}

static GBytes *
zip(const struct m *ms, gsize n)
{
	return build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
	    "zip:hdrcharset=UTF-8", NULL, ms, n);
}

/* A gzip file whose header names `name` (RFC 1952 FNAME). */
static GBytes *
gzip_named(const char *name, const char *data)
{
	g_autoptr(GZlibCompressor) z =
	    g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
	g_autoptr(GFileInfo) fi = g_file_info_new();
	g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
	g_autoptr(GOutputStream) conv = NULL;

	g_file_info_set_name(fi, name);
	g_zlib_compressor_set_file_info(z, fi);
	conv = g_converter_output_stream_new(mem, G_CONVERTER(z));
	g_assert_true(g_output_stream_write_all(
	    conv, data, strlen(data), NULL, NULL, NULL));
	g_assert_true(g_output_stream_close(conv, NULL, NULL));
	return g_memory_output_stream_steal_as_bytes(
	    G_MEMORY_OUTPUT_STREAM(mem));
}

static GBytes *
random_bytes(gsize n, guint32 seed)
{
	GRand *r = g_rand_new_with_seed(seed);
	guint8 *p = g_malloc(n);
	gsize i;

	for (i = 0; i < n; i++)
		p[i] = (guint8)g_rand_int(r);
	g_rand_free(r);
	return g_bytes_new_take(p, n);
}

/* ---- the fake walk ---- */

struct walk {
	struct mg_cdr_ctx *ctx;
	GPtrArray *names; /* what nested was called with */
};

static GBytes *
nested(void *wp, const char *name, const char *type_hint, GBytes *data,
    char **extension_r)
{
	struct walk *w = wp;
	GBytes *r = NULL;

	(void)type_hint;
	g_ptr_array_add(w->names, g_strdup(name));
	if (extension_r != NULL)
		*extension_r = NULL;
	if (g_str_has_suffix(name, ".exe"))
		return NULL;
	if (g_str_has_suffix(name, ".docm")) {
		if (extension_r != NULL)
			*extension_r = g_strdup("docx");
		return g_bytes_new_static("rebuilt", 7);
	}
	if (g_str_has_suffix(name, ".big"))
		return random_bytes(64 * 1024, 7);
	if (g_str_has_suffix(name, ".zip")) {
		struct mg_cdr_ctx sub = *w->ctx;
		struct walk sw = {&sub, w->names};
		struct mg_cdr_result res;

		sub.depth++;
		sub.walk = &sw;
		mg_cdr_result_init(&res);
		g_assert_cmpint(
		    mg_cdr_archive.rebuild(&sub, data, &res), ==, MG_OK);
		if (res.outcome == MG_CDR_REBUILT)
			r = g_bytes_ref(res.data);
		mg_cdr_result_clear(&res);
		return r;
	}
	return g_bytes_ref(data);
}

struct run {
	struct mg_limits lim;
	struct mg_cdr_ctx ctx;
	struct walk w;
	struct mg_cdr_result res;
};

static void
run_init(struct run *r, gboolean with_walk)
{
	memset(r, 0, sizeof(*r));
	r->ctx.limits = &r->lim;
	r->ctx.keep_hyperlinks = TRUE;
	r->w.ctx = &r->ctx;
	r->w.names = g_ptr_array_new_with_free_func(g_free);
	if (with_walk) {
		r->ctx.nested = nested;
		r->ctx.walk = &r->w;
	}
	mg_cdr_result_init(&r->res);
}

static void
run_clear(struct run *r)
{
	mg_cdr_result_clear(&r->res);
	g_ptr_array_unref(r->w.names);
}

static void
rebuild(struct run *r, GBytes *in)
{
	g_assert_cmpint(
	    mg_cdr_archive.rebuild(&r->ctx, in, &r->res), ==, MG_OK);
}

static gboolean
has_removed(const struct mg_cdr_result *res, const char *id)
{
	guint i;

	for (i = 0; i < res->removed->len; i++)
		if (strcmp(g_ptr_array_index(res->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

static void
assert_refused(struct run *r, enum mg_reason reason)
{
	g_assert_cmpint(r->res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpstr(mg_reason_id(r->res.reason), ==, mg_reason_id(reason));
	g_assert_null(r->res.data);
	g_assert_cmpuint(r->res.removed->len, ==, 0);
}

/* ---- reading back ---- */

struct out {
	GPtrArray *names; /* char *, in order */
	GHashTable *data; /* name -> GBytes */
};

static void
out_free(struct out *o)
{
	g_ptr_array_unref(o->names);
	g_hash_table_unref(o->data);
}

static guint16
le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

static guint32
le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
	       (guint32)p[3] << 24;
}

static gboolean
ascii(const guint8 *p, gsize n)
{
	gsize i;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return FALSE;
	return TRUE;
}

/*
 * Walk the central directory (APPNOTE 4.3.12, 4.3.16): every entry must
 * have a valid UTF-8 name, and general purpose bit 11 (UTF-8) when it
 * is not ASCII.
 * Returns the entry count.
 */
static guint
check_central(GBytes *b)
{
	gsize len, off, i;
	const guint8 *d = g_bytes_get_data(b, &len);
	guint n = 0, total;

	g_assert_cmpuint(len, >=, 22);
	off = len - 22; /* we write no comment */
	g_assert_cmpint(memcmp(d + off, "PK\x05\x06", 4), ==, 0);
	total = le16(d + off + 10);
	i = le32(d + off + 16);
	for (n = 0; n < total; n++) {
		guint16 flags, nlen, xlen, clen;

		g_assert_cmpuint(i + 46, <=, len);
		g_assert_cmpint(memcmp(d + i, "PK\x01\x02", 4), ==, 0);
		flags = le16(d + i + 8);
		nlen = le16(d + i + 28);
		xlen = le16(d + i + 30);
		clen = le16(d + i + 32);
		g_assert_false(flags & 0x0001); /* not encrypted */
		g_assert_true(
		    g_utf8_validate((const char *)d + i + 46, nlen, NULL));
		/* libarchive sets the flag where it matters: on names that
		 * are not ASCII (which CP437 and UTF-8 share). */
		if (!ascii(d + i + 46, nlen))
			g_assert_true(flags & 0x0800);
		i += 46 + nlen + xlen + clen;
	}
	return n;
}

static void
read_out(GBytes *b, struct out *o)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	gsize len;
	const void *d = g_bytes_get_data(b, &len);
	GHashTable *seen =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint n;

	o->names = g_ptr_array_new_with_free_func(g_free);
	o->data = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	archive_read_support_format_zip(a);
	g_assert_cmpint(archive_read_open_memory(a, d, len), ==, ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		GByteArray *buf = g_byte_array_new();
		const char *name = archive_entry_pathname_utf8(e);
		char block[8192];
		la_ssize_t r;

		g_assert_nonnull(name);
		g_assert_cmpint(archive_format(a), ==,
		    ARCHIVE_FORMAT_ZIP | (archive_format(a) & 0xff));
		g_assert_cmpint(archive_entry_filetype(e), ==, AE_IFREG);
		g_assert_cmpint(archive_entry_perm(e), ==, 0644);
		g_assert_cmpint(archive_entry_mtime(e), ==, 315619200);
		g_assert_false(mg_unpack_name_unsafe(name));
		/* Unique, also on a case-insensitive file system. */
		g_assert_true(
		    g_hash_table_add(seen, g_utf8_casefold(name, -1)));
		while ((r = archive_read_data(a, block, sizeof(block))) > 0)
			g_byte_array_append(buf, (guint8 *)block, (guint)r);
		g_assert_cmpint(r, ==, 0);
		g_ptr_array_add(o->names, g_strdup(name));
		g_hash_table_insert(
		    o->data, g_strdup(name), g_byte_array_free_to_bytes(buf));
	}
	archive_read_free(a);
	n = check_central(b);
	g_assert_cmpuint(n, ==, o->names->len);
	g_hash_table_unref(seen);
}

static void
assert_member(struct out *o, const char *name, const char *data, gsize len)
{
	GBytes *b = g_hash_table_lookup(o->data, name);

	if (b == NULL)
		g_error("member %s missing", name);
	if (len == 0)
		len = strlen(data);
	g_assert_cmpmem(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b), data, len);
}

static void
assert_names(struct out *o, const char *const *names)
{
	guint i;

	for (i = 0; names[i] != NULL; i++) {
		g_assert_cmpuint(i, <, o->names->len);
		g_assert_cmpstr(g_ptr_array_index(o->names, i), ==, names[i]);
	}
	g_assert_cmpuint(i, ==, o->names->len);
}

static void
assert_rebuilt(struct run *r, struct out *o)
{
	g_assert_cmpint(r->res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r->res.extension, ==, "zip");
	g_assert_cmpstr(r->res.mime_type, ==, "application/zip");
	read_out(r->res.data, o);
}

/* ---- corpus-external ---- */

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
			guint8 b[3];
			guint j;

			b[0] = (guint8)(uu_val(q[0]) << 2 | uu_val(q[1]) >> 4);
			b[1] = (guint8)(uu_val(q[1]) << 4 | uu_val(q[2]) >> 2);
			b[2] = (guint8)(uu_val(q[2]) << 6 | uu_val(q[3]));
			for (j = 0; j < 3 && n > 0; j++, n--)
				g_byte_array_append(out, &b[j], 1);
		}
	}
	g_strfreev(lines);
	return g_byte_array_free_to_bytes(out);
}

static GBytes *
sample(const char *rel)
{
	g_autofree char *p = corpus_path(rel);
	g_autofree char *text = NULL;
	gsize n;

	if (p == NULL)
		return NULL;
	g_assert_true(g_file_get_contents(p, &text, &n, NULL));
	return uudecode(text);
}

/* ---- tests ---- */

static void
test_basic(void)
{
	static const struct m ms[] = {
	    {"a.txt", "hello\n", 0, 0, NULL},
	    {"bad.exe", "MZ\x90", 0, 0, NULL},
	    {"dir/", NULL, 0, AE_IFDIR, NULL},
	    {"dir/macro.docm", "PK-macro", 0, 0, NULL},
	    {"dir/sub/b.txt", "second", 0, 0, NULL},
	    {"empty.txt", NULL, 0, 0, NULL},
	};
	static const char *const names[] = {
	    "a.txt", "dir/macro.docx", "dir/sub/b.txt", "empty.txt", NULL};
	g_autoptr(GBytes) in = zip(ms, G_N_ELEMENTS(ms));
	struct run r;
	struct out o;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	assert_member(&o, "a.txt", "hello\n", 0);
	assert_member(&o, "dir/macro.docx", "rebuilt", 0);
	assert_member(&o, "dir/sub/b.txt", "second", 0);
	assert_member(&o, "empty.txt", "", 0);
	g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
	/* Every file went to the walk, directories did not. */
	g_assert_cmpuint(r.w.names->len, ==, 5);
	g_assert_cmpstr(g_ptr_array_index(r.w.names, 1), ==, "bad.exe");
	out_free(&o);
	run_clear(&r);
}

static void
test_all_kept(void)
{
	static const struct m ms[] = {
	    {"a.txt", "one", 0, 0, NULL},
	    {"b.txt", "two", 0, 0, NULL},
	};
	g_autoptr(GBytes) in = zip(ms, G_N_ELEMENTS(ms));
	struct run r, r2;
	struct out o;

	/* Nothing refused: still rebuilt (deterministic), nothing listed
	 * as removed, and the same bytes each time. */
	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	g_assert_cmpuint(r.res.removed->len, ==, 0);
	run_init(&r2, TRUE);
	rebuild(&r2, in);
	g_assert_true(g_bytes_equal(r.res.data, r2.res.data));
	/* Our own output rebuilds to itself. */
	run_clear(&r2);
	run_init(&r2, TRUE);
	rebuild(&r2, r.res.data);
	g_assert_cmpint(r2.res.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(g_bytes_equal(r.res.data, r2.res.data));
	out_free(&o);
	run_clear(&r);
	run_clear(&r2);
}

static void
test_no_walk(void)
{
	static const struct m ms[] = {{"a.txt", "one", 0, 0, NULL}};
	g_autoptr(GBytes) in = zip(ms, G_N_ELEMENTS(ms));
	struct run r;
	struct out o;

	run_init(&r, FALSE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	g_assert_cmpuint(o.names->len, ==, 0);
	g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
	out_free(&o);
	run_clear(&r);
}

static void
test_nested(void)
{
	static const struct m inner_ms[] = {
	    {"in.txt", "inner text", 0, 0, NULL},
	    {"x.exe", "MZ", 0, 0, NULL},
	};
	g_autoptr(GBytes) inner = zip(inner_ms, G_N_ELEMENTS(inner_ms));
	struct m ms[] = {
	    {"top.txt", "top", 0, 0, NULL},
	    {"inner.zip", g_bytes_get_data(inner, NULL),
	        g_bytes_get_size(inner), 0, NULL},
	};
	g_autoptr(GBytes) in = zip(ms, G_N_ELEMENTS(ms));
	static const char *const names[] = {"top.txt", "inner.zip", NULL};
	static const char *const inner_names[] = {"in.txt", NULL};
	struct run r;
	struct out o, io;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	read_out(g_hash_table_lookup(o.data, "inner.zip"), &io);
	assert_names(&io, inner_names);
	assert_member(&io, "in.txt", "inner text", 0);
	out_free(&io);
	out_free(&o);
	run_clear(&r);

	/* One archive level allowed: the inner zip is refused by the walk
	 * (the module one level down says too deep) and left out. */
	run_init(&r, TRUE);
	r.lim.max_archive_depth = 1;
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	g_assert_cmpuint(o.names->len, ==, 1);
	assert_member(&o, "top.txt", "top", 0);
	g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
	out_free(&o);
	run_clear(&r);

	run_init(&r, TRUE);
	r.ctx.depth = MG_DEF_MAX_ARCHIVE_DEPTH;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_ARCHIVE_TOO_DEEP);
	run_clear(&r);
}

static void
test_cp932(void)
{
	/* 表/漢字.txt written as CP932 without the UTF-8 flag, as Windows
	 * Explorer on a Japanese system does. */
	static const struct m ms[] = {
	    {"\xe8\xa1\xa8/\xe6\xbc\xa2\xe5\xad\x97.txt", "kanji", 0, 0, NULL},
	};
	g_autoptr(GBytes) in = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
	    "zip:hdrcharset=CP932", NULL, ms, G_N_ELEMENTS(ms));
	static const char *const names[] = {
	    "\xe8\xa1\xa8/\xe6\xbc\xa2\xe5\xad\x97.txt", NULL};
	struct run r;
	struct out o;
	gsize len;
	const char *d = g_bytes_get_data(in, &len);

	/* The input really is CP932: 表 is 0x95 0x5c (its second byte a
	 * backslash, which must not split the name). */
	g_assert_nonnull(memmem(d, len, "\x95\x5c/\x8a\xbf", 5));
	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	out_free(&o);
	run_clear(&r);
}

static void
test_cp932_samples(void)
{
	static const struct {
		const char *file;
		const char *names[3];
	} cases[] = {
	    {"libarchive/test_read_format_zip_filename_cp932.zip.uu",
	        {"表だよ/一覧表.txt", "表だよ/漢字.txt", NULL}},
	    {"libarchive/test_read_format_lha_filename_cp932.lzh.uu",
	        {"漢字.txt", "表.txt", NULL}},
	    {"libarchive/test_read_format_cab_filename_cp932.cab.uu",
	        {"表だよ/漢字.txt", "表だよ/一覧表.txt", NULL}},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) in = sample(cases[i].file);
		struct run r;
		struct out o;

		if (in == NULL)
			return;
		g_assert_cmpint(
		    mg_cdr_archive.bid("application/octet-stream", NULL,
		        g_bytes_get_data(in, NULL), g_bytes_get_size(in)),
		    >, 0);
		run_init(&r, TRUE);
		rebuild(&r, in);
		assert_rebuilt(&r, &o);
		assert_names(&o, cases[i].names);
		out_free(&o);
		run_clear(&r);
	}
}

static void
test_lha_samples(void)
{
	static const char *const files[] = {
	    "libarchive/test_read_format_lha_header0.lzh.uu",
	    "libarchive/test_read_format_lha_header1.lzh.uu",
	    "libarchive/test_read_format_lha_header2.lzh.uu",
	    "libarchive/test_read_format_lha_lh6.lzh.uu",
	    "libarchive/test_read_format_lha_lh7.lzh.uu",
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autoptr(GBytes) in = sample(files[i]);
		struct run r;
		struct out o;

		if (in == NULL)
			return;
		run_init(&r, TRUE);
		rebuild(&r, in);
		assert_rebuilt(&r, &o);
		/* file1 and file2 kept, the symlinks left out. */
		g_assert_nonnull(g_hash_table_lookup(o.data, "file1"));
		g_assert_nonnull(g_hash_table_lookup(o.data, "file2"));
		out_free(&o);
		run_clear(&r);
	}
}

static void
test_names(void)
{
	static const struct m ms[] = {
	    {"../../etc/passwd.txt", "1", 0, 0, NULL},
	    {"/abs/x.txt", "2", 0, 0, NULL},
	    {"C:\\win\\y.txt", "3", 0, 0, NULL},
	    {"a\\..\\..\\z.txt", "4", 0, 0, NULL},
	    {"dir/./../q.txt", "5", 0, 0, NULL},
	    {"rep\xe2\x80\xae"
	     "fdp.txt",
	        "6", 0, 0, NULL},
	    {"con.txt", "7", 0, 0, NULL},
	    {"a.txt:b", "8", 0, 0, NULL},
	    {"x.txt. ", "9", 0, 0, NULL},
	    {"A.TXT", "10", 0, 0, NULL},
	    {"a.txt", "11", 0, 0, NULL},
	    {"a.txt", "12", 0, 0, NULL},
	    {"f", "13", 0, 0, NULL},
	    {"f/g.txt", "14", 0, 0, NULL},
	    {"ctl\x01\x1b[31m.txt", "15", 0, 0, NULL},
	    {"..", "16", 0, 0, NULL},
	    {"d/", "17", 0, 0, NULL}, /* a directory: no entry of its own */
	    {"zw\xe2\x80\x8bsp\xe2\x80\xa8.txt", "18", 0, 0, NULL},
	    {"cafe\xcc\x81.txt", "19", 0, 0, NULL},
	};
	static const char *const names[] = {
	    "etc/passwd.txt",
	    "abs/x.txt",
	    "C_/win/y.txt",
	    "a/z.txt",
	    "dir/q.txt",
	    "rep_fdp.txt",
	    "_con.txt",
	    "a.txt_b",
	    "x.txt",
	    "A.TXT",
	    "a (2).txt",
	    "a (3).txt",
	    "f",
	    "f (2)/g.txt",
	    "ctl__[31m.txt",
	    "file",
	    "zw_sp_.txt",
	    "caf\xc3\xa9.txt",
	    NULL,
	};
	g_autoptr(GBytes) in = zip(ms, G_N_ELEMENTS(ms));
	struct run r;
	struct out o;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	assert_member(&o, "etc/passwd.txt", "1", 0);
	assert_member(&o, "a (3).txt", "12", 0);
	g_assert_cmpuint(r.res.removed->len, ==, 0);
	out_free(&o);
	run_clear(&r);
}

static void
test_backslash(void)
{
	/* libarchive's zip and RAR readers turn backslashes into '/' (as
	 * Windows tools do); a tar keeps them, and so do we, as '_'. */
	static const struct m ms[] = {
	    {"a\\..\\b.txt", "1", 0, 0, NULL},
	    {"C:\\x.txt", "2", 0, 0, NULL},
	};
	static const char *const names[] = {"a_.._b.txt", "C__x.txt", NULL};
	g_autoptr(GBytes) in = build(ARCHIVE_FORMAT_TAR_USTAR,
	    ARCHIVE_FILTER_NONE, NULL, NULL, ms, G_N_ELEMENTS(ms));
	struct run r;
	struct out o;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	out_free(&o);
	run_clear(&r);
}

static void
test_long_names(void)
{
	g_autoptr(GString) deep = g_string_new(NULL);
	g_autoptr(GString) wide = g_string_new(NULL);
	struct m ms[2] = {
	    {NULL, "deep", 0, 0, NULL}, {NULL, "wide", 0, 0, NULL}};
	g_autoptr(GBytes) in = NULL;
	struct run r;
	struct out o;
	const char *n;
	guint i;

	for (i = 0; i < 100; i++)
		g_string_append(deep, "d/");
	g_string_append(deep, "x.txt");
	for (i = 0; i < 200; i++)
		g_string_append(wide, "\xe5\xad\x97"); /* 字: 3 bytes */
	g_string_append(wide, ".txt");
	ms[0].name = deep->str;
	ms[1].name = wide->str;
	in = zip(ms, 2);
	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	n = g_ptr_array_index(o.names, 0);
	g_assert_cmpuint(strlen(n), ==, 32 * 2 + strlen("x.txt"));
	n = g_ptr_array_index(o.names, 1);
	g_assert_cmpuint(strlen(n), <=, 255);
	g_assert_true(g_str_has_suffix(n, "\xe5\xad\x97.txt"));
	out_free(&o);
	run_clear(&r);
}

static void
test_links(void)
{
	static const struct m ms[] = {
	    {"a.txt", "target", 0, 0, NULL},
	    {"sym", NULL, 0, AE_IFLNK, "/etc/passwd"},
	    {"hard", NULL, 0, HARDLINK, "a.txt"},
	    {"dev", NULL, 0, AE_IFCHR, NULL},
	    {"b.txt", "after", 0, 0, NULL},
	};
	static const char *const names[] = {"a.txt", "b.txt", NULL};
	g_autoptr(GBytes) in = build(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
	    ARCHIVE_FILTER_NONE, NULL, NULL, ms, G_N_ELEMENTS(ms));
	struct run r;
	struct out o;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, names);
	g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
	/* Links never reach the walk. */
	g_assert_cmpuint(r.w.names->len, ==, 2);
	out_free(&o);
	run_clear(&r);
}

static void
test_encrypted(void)
{
	static const struct m ms[] = {{"secret.txt", "secret", 0, 0, NULL}};
	static const char *const samples[] = {
	    "libarchive/test_read_format_zip_encryption_data.zip.uu",
	    "libarchive/test_read_format_zip_encryption_header.zip.uu",
	    "libarchive/"
	    "test_read_format_zip_traditional_encryption_data.zip.uu",
	    "libarchive/test_read_format_zip_winzip_aes128.zip.uu",
	    "libarchive/test_read_format_rar_encryption_data.rar.uu",
	    "libarchive/test_read_format_rar_encryption_header.rar.uu",
	    "libarchive/test_read_format_7zip_encryption_header.7z.uu",
	};
	g_autoptr(GBytes) in = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
	    "zip:encryption=zipcrypt", "pass", ms, G_N_ELEMENTS(ms));
	struct run r;
	gsize i;

	run_init(&r, TRUE);
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_ENCRYPTED);
	/* Encrypted data is never handed to the walk. */
	g_assert_cmpuint(r.w.names->len, ==, 0);
	run_clear(&r);

	for (i = 0; i < G_N_ELEMENTS(samples); i++) {
		g_autoptr(GBytes) s = sample(samples[i]);

		if (s == NULL)
			return;
		run_init(&r, TRUE);
		rebuild(&r, s);
		assert_refused(&r, MG_REASON_ENCRYPTED);
		g_assert_cmpuint(r.w.names->len, ==, 0);
		run_clear(&r);
	}
}

static void
test_formats(void)
{
	static const struct m ms[] = {
	    {"one.txt", "first member", 0, 0, NULL},
	    {"sub/", NULL, 0, AE_IFDIR, NULL},
	    {"sub/two.exe", "MZ", 0, 0, NULL},
	    {"sub/three.txt", "third", 0, 0, NULL},
	};
	static const char *const names[] = {"one.txt", "sub/three.txt", NULL};
	static const struct {
		int format, filter;
		const char *type;
	} cases[] = {
	    {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE,
	        "application/x-7z-compressed"},
	    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP,
	        "application/gzip"},
	    {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2,
	        "application/x-bzip2"},
	    {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ, "application/x-xz"},
	    {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE,
	        "application/x-tar"},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) in = build(cases[i].format, cases[i].filter,
		    NULL, NULL, ms, G_N_ELEMENTS(ms));
		struct run r;
		struct out o;

		g_assert_cmpint(
		    mg_cdr_archive.bid(cases[i].type, NULL,
		        g_bytes_get_data(in, NULL), g_bytes_get_size(in)),
		    ==, 40);
		run_init(&r, TRUE);
		rebuild(&r, in);
		assert_rebuilt(&r, &o);
		assert_names(&o, names);
		assert_member(&o, "one.txt", "first member", 0);
		assert_member(&o, "sub/three.txt", "third", 0);
		g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
		out_free(&o);
		run_clear(&r);
	}
}

static void
test_lone_compressed(void)
{
	static const struct m raw[] = {{"ignored", "xz text", 0, 0, NULL}};
	g_autoptr(GBytes) gz = gzip_named("report.txt", "gzip text");
	g_autoptr(GBytes) xz = build(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ,
	    NULL, NULL, raw, G_N_ELEMENTS(raw));
	static const char *const gz_names[] = {"report.txt", NULL};
	static const char *const xz_names[] = {"data", NULL};
	struct run r;
	struct out o;

	g_assert_cmpint(mg_cdr_archive.bid("application/gzip", "gz",
	                    g_bytes_get_data(gz, NULL), g_bytes_get_size(gz)),
	    ==, 40);
	run_init(&r, TRUE);
	rebuild(&r, gz);
	assert_rebuilt(&r, &o);
	assert_names(&o, gz_names);
	assert_member(&o, "report.txt", "gzip text", 0);
	out_free(&o);
	run_clear(&r);

	run_init(&r, TRUE);
	rebuild(&r, xz);
	assert_rebuilt(&r, &o);
	assert_names(&o, xz_names);
	assert_member(&o, "data", "xz text", 0);
	out_free(&o);
	run_clear(&r);
}

static void
test_truncated(void)
{
	g_autoptr(GBytes) body = random_bytes(20000, 3);
	struct m ms[] = {
	    {"a.bin", g_bytes_get_data(body, NULL), 20000, 0, NULL},
	    {"b.bin", g_bytes_get_data(body, NULL), 20000, 0, NULL},
	};
	static const int formats[][2] = {
	    {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE},
	    {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE},
	    {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP},
	};
	gsize i, cut;

	for (i = 0; i < G_N_ELEMENTS(formats); i++) {
		g_autoptr(GBytes) in =
		    build(formats[i][0], formats[i][1], NULL, NULL, ms, 2);
		gsize len = g_bytes_get_size(in);

		for (cut = 100; cut < len; cut += len / 7) {
			g_autoptr(GBytes) part =
			    g_bytes_new_from_bytes(in, 0, cut);
			struct run r;

			run_init(&r, TRUE);
			rebuild(&r, part);
			g_assert_cmpint(r.res.outcome, ==, MG_CDR_REFUSED);
			g_assert_true(
			    r.res.reason == MG_REASON_DAMAGED_ARCHIVE ||
			    r.res.reason == MG_REASON_UNSUPPORTED);
			run_clear(&r);
		}
	}
}

static void
test_garbage(void)
{
	g_autoptr(GBytes) junk = random_bytes(4096, 11);
	g_autoptr(GBytes) text = g_bytes_new_static("just text\n", 10);
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	GBytes *all[] = {junk, text, empty};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(all); i++) {
		struct run r;

		run_init(&r, TRUE);
		rebuild(&r, all[i]);
		assert_refused(&r, MG_REASON_UNSUPPORTED);
		run_clear(&r);
	}
}

static void
test_limits(void)
{
	g_autoptr(GString) zeros = g_string_new(NULL);
	g_autoptr(GBytes) noise = random_bytes(3000, 5);
	struct m bomb[] = {{"zeros.txt", NULL, 0, 0, NULL}};
	static const struct m many[] = {
	    {"1.txt", "1", 0, 0, NULL},
	    {"2.txt", "2", 0, 0, NULL},
	    {"3.txt", "3", 0, 0, NULL},
	    {"4.txt", "4", 0, 0, NULL},
	};
	struct m large[] = {
	    {"small.txt", "small", 0, 0, NULL},
	    {"large.txt", g_bytes_get_data(noise, NULL), 3000, 0, NULL},
	    {"after.txt", "after", 0, 0, NULL},
	};
	static const struct m grows[] = {{"x.big", "tiny", 0, 0, NULL}};
	static const char *const large_names[] = {
	    "small.txt", "after.txt", NULL};
	g_autoptr(GBytes) in = NULL;
	struct run r;
	struct out o;

	/* Ratio: 4 MiB of zeros in a few kB, with 10:1 allowed (plus the
	 * fixed 1 MiB allowance). */
	g_string_set_size(zeros, 4 * 1024 * 1024);
	memset(zeros->str, 0, zeros->len);
	bomb[0].data = zeros->str;
	bomb[0].len = zeros->len;
	in = zip(bomb, 1);
	run_init(&r, TRUE);
	r.lim.max_archive_ratio = 10;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_ARCHIVE_BOMB);
	run_clear(&r);
	/* Total bytes. */
	run_init(&r, TRUE);
	r.lim.max_archive_total = 1024 * 1024;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_ARCHIVE_BOMB);
	run_clear(&r);
	g_clear_pointer(&in, g_bytes_unref);

	in = zip(many, G_N_ELEMENTS(many));
	run_init(&r, TRUE);
	r.lim.max_archive_members = 3;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_TOO_MANY_MEMBERS);
	run_clear(&r);
	g_clear_pointer(&in, g_bytes_unref);

	/* One member over max_member_size: left out, the rest kept. */
	in = zip(large, G_N_ELEMENTS(large));
	run_init(&r, TRUE);
	r.lim.max_member_size = 1000;
	rebuild(&r, in);
	assert_rebuilt(&r, &o);
	assert_names(&o, large_names);
	g_assert_true(has_removed(&r.res, MG_CDR_RM_EMBEDDED));
	out_free(&o);
	run_clear(&r);

	/* Input over max_part_size. */
	run_init(&r, TRUE);
	r.lim.max_part_size = g_bytes_get_size(in) - 1;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_PART_TOO_LARGE);
	run_clear(&r);
	g_clear_pointer(&in, g_bytes_unref);

	/* Output over max_part_size: the walk gave back 64 kB. */
	in = zip(grows, G_N_ELEMENTS(grows));
	run_init(&r, TRUE);
	r.lim.max_part_size = 16 * 1024;
	rebuild(&r, in);
	assert_refused(&r, MG_REASON_PART_TOO_LARGE);
	run_clear(&r);
}

static void
test_bid(void)
{
	static const struct m ms[] = {{"a.txt", "a", 0, 0, NULL}};
	static const struct m odf[] = {
	    {"mimetype", "application/vnd.oasis.opendocument.text", 0, 0, NULL},
	    {"content.xml", "<x/>", 0, 0, NULL},
	};
	static const struct m ooxml[] = {
	    {"[Content_Types].xml", "<Types/>", 0, 0, NULL},
	    {"word/document.xml", "<w:document/>", 0, 0, NULL},
	};
	g_autoptr(GBytes) z = zip(ms, 1);
	g_autoptr(GBytes) o = build(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
	    "zip:compression=store", NULL, odf, 2);
	g_autoptr(GBytes) x = zip(ooxml, 2);
	gsize zl, ol, xl;
	const guint8 *zd = g_bytes_get_data(z, &zl);
	const guint8 *od = g_bytes_get_data(o, &ol);
	const guint8 *xd = g_bytes_get_data(x, &xl);

	g_assert_cmpint(
	    mg_cdr_archive.bid("application/zip", "zip", zd, zl), ==, 40);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/octet-stream", "zip", zd, zl), ==,
	    40);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/octet-stream", "pdf", zd, zl), ==,
	    0);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/zip", "docx", zd, zl), ==, 0);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/zip", "odt", zd, zl), ==, 0);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/java-archive", "jar", zd, zl), ==,
	    0);
	g_assert_cmpint(mg_cdr_archive.bid("text/plain", "txt", zd, zl), ==, 0);
	g_assert_cmpint(
	    mg_cdr_archive.bid("application/zip", NULL, od, ol), ==, 0);
	g_assert_cmpint(mg_cdr_archive.bid("application/zip", "zip",
	                    (const guint8 *)"PK\x03\x04", 4),
	    ==, 40);
	g_assert_cmpint(mg_cdr_archive.bid("application/zip", "zip",
	                    (const guint8 *)"not a zip", 9),
	    ==, 0);
	/* A generic zip that is an OOXML package goes to the OOXML module. */
	g_assert_true(
	    mg_cdr_pick("application/zip", NULL, xd, xl) == &mg_cdr_ooxml);
	g_assert_true(
	    mg_cdr_pick("application/zip", "zip", zd, zl) == &mg_cdr_archive);
}

/*
 * Found by fuzz_cdr_archive: an LHA level-2 header whose sizes make
 * libarchive 3.6.2 allocate a 2 GiB read-ahead buffer (untouched; the
 * milter's workers bound it with RLIMIT_AS), the class of the 7z and cpio
 * cases in test_unpack.c.  It must come out refused.
 */
static const guint8 fuzz_lha_huge_read_ahead[] = {0x04, 0x00, 0x2d, 0x6c, 0x68,
    0x64, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x51,
    0x01, 0x00, 0x20, 0x03, 0x41, 0xcc, 0xdf, 0x51, 0xb4, 0xfe, 0x95, 0x26,
    0xcb, 0x01, 0x80, 0xd6, 0x40, 0x00, 0xa8, 0xb2, 0x9d, 0x01, 0x00, 0x7a,
    0x0f, 0xd0, 0x01, 0x96, 0xcb, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x2e,
    0xaf, 0x07, 0x00, 0x00, 0xb9, 0x00, 0x04, 0x00, 0x2d, 0x6c, 0x68, 0x64,
    0x2d, 0x00, 0x00, 0xf3, 0x00, 0xc6, 0x1a, 0x84, 0x02, 0x1e, 0x6f, 0x13,
    0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x8d, 0x19, 0x35,
    0x53, 0x6a, 0x6f, 0xb8, 0x84, 0xdd, 0x7e, 0x80, 0x00};

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
	g_autoptr(GBytes) in = g_bytes_new_static(
	    fuzz_lha_huge_read_ahead, sizeof(fuzz_lha_huge_read_ahead));
	struct run r;

#ifdef UNDER_ASAN
	g_test_skip("libarchive's huge malloc() requests abort under ASan");
	return;
#endif
	run_init(&r, TRUE);
	rebuild(&r, in);
	g_assert_cmpint(r.res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.res.reason, ==, MG_REASON_DAMAGED_ARCHIVE);
	run_clear(&r);
}

int
main(int argc, char **argv)
{
	/* libarchive converts names through the locale (the module itself
	 * switches per thread; the test's writer needs it too). */
	setlocale(LC_ALL, "C.UTF-8");
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr_archive/basic", test_basic);
	g_test_add_func("/cdr_archive/all_kept", test_all_kept);
	g_test_add_func("/cdr_archive/no_walk", test_no_walk);
	g_test_add_func("/cdr_archive/nested", test_nested);
	g_test_add_func("/cdr_archive/cp932", test_cp932);
	g_test_add_func("/cdr_archive/cp932_samples", test_cp932_samples);
	g_test_add_func("/cdr_archive/lha_samples", test_lha_samples);
	g_test_add_func("/cdr_archive/names", test_names);
	g_test_add_func("/cdr_archive/backslash", test_backslash);
	g_test_add_func("/cdr_archive/long_names", test_long_names);
	g_test_add_func("/cdr_archive/links", test_links);
	g_test_add_func("/cdr_archive/encrypted", test_encrypted);
	g_test_add_func("/cdr_archive/formats", test_formats);
	g_test_add_func("/cdr_archive/lone_compressed", test_lone_compressed);
	g_test_add_func("/cdr_archive/truncated", test_truncated);
	g_test_add_func("/cdr_archive/garbage", test_garbage);
	g_test_add_func("/cdr_archive/limits", test_limits);
	g_test_add_func("/cdr_archive/bid", test_bid);
	g_test_add_func("/cdr_archive/fuzz_finds", test_fuzz_finds);
	return g_test_run();
}
