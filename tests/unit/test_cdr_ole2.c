/*
 * test_cdr_ole2.c - the legacy Office (OLE2) module (mg_cdr_ole2) and its
 * encryption probe (mg_cdr_ole2_encrypted).
 *
 * Samples are built here with libgsf's writer: Word documents with a real
 * FIB and piece table (text in 8-bit or UTF-16 pieces, stored out of
 * order), with a Macros storage, an ObjectPool, DDE and other fields, an
 * attached template, the encryption flags; Excel workbooks made of BIFF8
 * records (FilePass, XLM macro sheets, external links, a VBA storage);
 * PowerPoint files with a CurrentUserAtom and records (embedded objects, VBA,
 * actions, an encrypted header token, EncryptedSummary); an encrypted OOXML
 * container; other OLE2 kinds.  Containers are then damaged by hand
 * (directory loops, shared sectors, sizes past their chains, bad names,
 * too many entries, deep nesting, long sibling chains), cut at every
 * length and flipped byte by byte: each must get a verdict, never a
 * crash.  A rebuilt file must re-parse with libgsf, lack what was
 * removed, keep every other stream byte for byte, and come out VERIFIED
 * from the module.  The public samples in ../shared/corpus-external
 * (oletools, dangerzone) are used when present, including the DDE
 * documents of its password-protected zips (unpacked with libarchive).
 * With MG_OLE2_SEED_DIR set, every sample built is also written there (to
 * seed fuzz_cdr_ole2).
 */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <gsf/gsf-utils.h>

#include "cdr/cdr_ole2.h"
#include "cdr/mg_cdr.h"

static struct mg_limits limits;

/* {00020906-0000-0000-C000-000000000046}: Word.Document.8. */
static const guint8 word_clsid[16] = {0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
static const guint8 other_clsid[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x01};

/* ------------------------------------------------------------------ */
/* Building compound files with libgsf.                               */

struct item {
	char *path;
	GBytes *data; /* NULL: a storage */
	const guint8 *clsid;
};

struct sample {
	GPtrArray *items;
	const guint8 *root_clsid;
	guint sector; /* 0: libgsf's default (512) */
};

static void
item_free(gpointer p)
{
	struct item *it = p;

	g_free(it->path);
	if (it->data != NULL)
		g_bytes_unref(it->data);
	g_free(it);
}

static struct sample *
sample_new(const guint8 *root_clsid)
{
	struct sample *s = g_new0(struct sample, 1);

	s->items = g_ptr_array_new_with_free_func(item_free);
	s->root_clsid = root_clsid;
	return s;
}

static void
sample_free(struct sample *s)
{
	g_ptr_array_unref(s->items);
	g_free(s);
}

static struct item *
find_item(struct sample *s, const char *path)
{
	guint i;

	for (i = 0; i < s->items->len; i++) {
		struct item *it = g_ptr_array_index(s->items, i);

		if (strcmp(it->path, path) == 0)
			return it;
	}
	return NULL;
}

/* A storage (data NULL) or a stream at `path`; parents are made. */
static void
add(struct sample *s, const char *path, const void *data, gsize len)
{
	const char *slash = strrchr(path, '/');
	struct item *it;

	if (slash != NULL) {
		g_autofree char *parent = g_strndup(path, slash - path);

		if (find_item(s, parent) == NULL)
			add(s, parent, NULL, 0);
	}
	it = g_new0(struct item, 1);
	it->path = g_strdup(path);
	if (data != NULL)
		it->data = g_bytes_new(data, len);
	g_ptr_array_add(s->items, it);
}

static void
add_bytes(struct sample *s, const char *path, GByteArray *b)
{
	add(s, path, b->data, b->len);
}

static void
write_dir(struct sample *s, GsfOutfile *dir, const char *prefix)
{
	gsize pl = strlen(prefix);
	guint i;

	for (i = 0; i < s->items->len; i++) {
		struct item *it = g_ptr_array_index(s->items, i);
		const char *name;
		GsfOutput *child;

		if (pl > 0 &&
		    (strncmp(it->path, prefix, pl) != 0 || it->path[pl] != '/'))
			continue;
		name = it->path + pl + (pl > 0);
		if (strchr(name, '/') != NULL)
			continue;
		child = gsf_outfile_new_child(dir, name, it->data == NULL);
		g_assert_nonnull(child);
		if (it->data == NULL) {
			if (it->clsid != NULL)
				gsf_outfile_msole_set_class_id(
				    GSF_OUTFILE_MSOLE(child), it->clsid);
			write_dir(s, GSF_OUTFILE(child), it->path);
		} else if (g_bytes_get_size(it->data) > 0) {
			g_assert_true(
			    gsf_output_write(child, g_bytes_get_size(it->data),
			        g_bytes_get_data(it->data, NULL)));
		}
		g_assert_true(gsf_output_close(child));
		g_object_unref(child);
	}
}

static GBytes *
sample_bytes(struct sample *s)
{
	GsfOutput *sink = gsf_output_memory_new();
	GsfOutfile *root = s->sector != 0
	                       ? gsf_outfile_msole_new_full(sink, s->sector, 64)
	                       : gsf_outfile_msole_new(sink);
	GBytes *b;

	if (s->root_clsid != NULL)
		gsf_outfile_msole_set_class_id(
		    GSF_OUTFILE_MSOLE(root), s->root_clsid);
	write_dir(s, root, "");
	g_assert_true(gsf_output_close(GSF_OUTPUT(root)));
	b = g_bytes_new(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(sink)),
	    (gsize)gsf_output_size(sink));
	g_object_unref(root);
	g_object_unref(sink);
	/* Seeds for fuzz_cdr_ole2, when asked for. */
	if (g_getenv("MG_OLE2_SEED_DIR") != NULL) {
		g_autofree char *sum =
		    g_compute_checksum_for_bytes(G_CHECKSUM_SHA1, b);
		g_autofree char *p =
		    g_build_filename(g_getenv("MG_OLE2_SEED_DIR"), sum, NULL);

		g_assert_true(g_file_set_contents(p, g_bytes_get_data(b, NULL),
		    (gssize)g_bytes_get_size(b), NULL));
	}
	return b;
}

static void
put16(GByteArray *b, gsize off, guint16 v)
{
	b->data[off] = (guint8)v;
	b->data[off + 1] = (guint8)(v >> 8);
}

static void
put32(GByteArray *b, gsize off, guint32 v)
{
	put16(b, off, (guint16)v);
	put16(b, off + 2, (guint16)(v >> 16));
}

static void
app16(GByteArray *b, guint16 v)
{
	guint8 x[2] = {(guint8)v, (guint8)(v >> 8)};

	g_byte_array_append(b, x, 2);
}

static void
app32(GByteArray *b, guint32 v)
{
	app16(b, (guint16)v);
	app16(b, (guint16)(v >> 16));
}

static void
pad_to(GByteArray *b, gsize n)
{
	if (b->len < n) {
		gsize old = b->len;

		g_byte_array_set_size(b, n);
		memset(b->data + old, 0, n - old);
	}
}

/* ---- Word ---- */

struct piece {
	const char *text; /* 8-bit; \x13 \x14 \x15 are field marks */
	gboolean unicode;
};

#define FIB_SIZE 900
#define TEXT_AT 1024

/* The attached template word_streams() writes (SttbfAssoc), or NULL. */
static const char *attached_template;

/*
 * A WordDocument stream (FIB of Word 97, nFib 0x00C1, csw 14, cslw 22,
 * cbRgFcLcb 0x5D) and a 1Table stream holding a Clx whose pieces are
 * `pieces` in order, their bytes stored in the stream in reverse order.
 */
static void
word_streams(const struct piece *pieces, gsize n, guint16 flags,
    GByteArray **wd_r, GByteArray **tb_r)
{
	GByteArray *wd = g_byte_array_new(), *tb = g_byte_array_new();
	guint32 *fc = g_new0(guint32, n), cp = 0;
	gsize k, j, total = 0;

	pad_to(wd, TEXT_AT);
	put16(wd, 0, 0xA5EC);
	put16(wd, 2, 0x00C1);
	put16(wd, 0x0A, (guint16)(0x0200 | flags));
	put16(wd, 32, 14);
	put16(wd, 62, 22);
	put16(wd, 152, 0x5D);
	for (k = n; k-- > 0;) {
		const char *t = pieces[k].text;

		fc[k] = pieces[k].unicode
		            ? wd->len
		            : (guint32)(wd->len * 2) | 0x40000000u;
		for (j = 0; t[j] != '\0'; j++) {
			if (pieces[k].unicode)
				app16(wd, (guint8)t[j]);
			else
				g_byte_array_append(
				    wd, (const guint8 *)t + j, 1);
		}
		total += j;
	}
	put32(wd, 64 + 3 * 4, (guint32)total); /* ccpText */
	pad_to(wd, 4096);
	/* Clx: a Prc (to be skipped), then the Pcdt. */
	g_byte_array_append(tb, (const guint8 *)"\x01\x02\x00\xAA\xBB", 5);
	g_byte_array_append(tb, (const guint8 *)"\x02", 1);
	app32(tb, (guint32)(4 * (n + 1) + 8 * n));
	for (k = 0; k <= n; k++) {
		app32(tb, cp);
		if (k < n)
			cp += (guint32)strlen(pieces[k].text);
	}
	for (k = 0; k < n; k++) {
		app16(tb, 0);
		app32(tb, fc[k]);
		app16(tb, 0);
	}
	put32(wd, 154 + 33 * 8, 0);
	put32(wd, 154 + 33 * 8 + 4, tb->len);
	if (attached_template != NULL) {
		/* SttbfAssoc: fExtend, cData 18, cbExtra, 18 strings of
		 * which the second is the template. */
		gsize at = tb->len;

		app16(tb, 0xFFFF);
		app16(tb, 18);
		app16(tb, 0);
		for (k = 0; k < 18; k++) {
			const char *t = k == 1 ? attached_template : "";

			app16(tb, (guint16)strlen(t));
			for (j = 0; t[j] != '\0'; j++)
				app16(tb, (guint8)t[j]);
		}
		put32(wd, 154 + 32 * 8, (guint32)at);
		put32(wd, 154 + 32 * 8 + 4, (guint32)(tb->len - at));
	}
	pad_to(tb, 600);
	g_free(fc);
	*wd_r = wd;
	*tb_r = tb;
}

static struct sample *
word_sample(const struct piece *pieces, gsize n, guint16 flags)
{
	struct sample *s = sample_new(word_clsid);
	GByteArray *wd, *tb;

	word_streams(pieces, n, flags, &wd, &tb);
	add_bytes(s, "WordDocument", wd);
	add_bytes(s, "1Table", tb);
	add(s,
	    "\x01"
	    "CompObj",
	    "compobj-bytes", 13);
	add(s, "\x05SummaryInformation", "summary-information", 19);
	add(s, "Data", "picture data kept", 17);
	g_byte_array_unref(wd);
	g_byte_array_unref(tb);
	return s;
}

static struct sample *
plain_doc(void)
{
	static const struct piece p[] = {
	    {"Hello, world. \x13 HYPERLINK \"https://example.com/\" "
	     "\x14link\x15 and more text.\r",
	        FALSE},
	};

	return word_sample(p, 1, 0);
}

/* ---- Excel ---- */

static void
rec(GByteArray *b, guint16 type, const void *data, gsize len)
{
	app16(b, type);
	app16(b, (guint16)len);
	if (len > 0)
		g_byte_array_append(b, data, len);
}

static void
bof(GByteArray *b, guint16 dt)
{
	guint8 d[16] = {0};

	d[0] = 0x00;
	d[1] = 0x06; /* BIFF8 */
	d[2] = (guint8)dt;
	d[3] = (guint8)(dt >> 8);
	rec(b, 0x0809, d, sizeof(d));
}

/* A workbook: globals (with `extra` records after BOF), one sheet of
 * type `sheet_dt` (0 worksheet, 1 macro sheet), padded as Excel does. */
static GByteArray *
workbook(const GByteArray *extra, guint8 sheet_dt)
{
	GByteArray *b = g_byte_array_new();
	guint8 bs[14] = {0, 0, 0, 0, 0, 0, 6, 0, 'S', 'h', 'e', 'e', 't', '1'};
	gsize at;

	bof(b, 0x0005);
	if (extra != NULL)
		g_byte_array_append(b, extra->data, extra->len);
	bs[5] = sheet_dt;
	at = b->len + 4;
	rec(b, 0x0085, bs, sizeof(bs));
	rec(b, 0x000A, NULL, 0);
	put32(b, at, b->len);
	bof(b, sheet_dt == 1 ? 0x0040 : 0x0010);
	rec(b, 0x0203, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14); /* Number */
	rec(b, 0x000A, NULL, 0);
	pad_to(b, 4096);
	return b;
}

static struct sample *
xls_sample(const GByteArray *extra, guint8 sheet_dt)
{
	struct sample *s = sample_new(NULL);
	GByteArray *wb = workbook(extra, sheet_dt);

	add_bytes(s, "Workbook", wb);
	add(s, "\x05SummaryInformation", "summary", 7);
	g_byte_array_unref(wb);
	return s;
}

/* ---- PowerPoint ---- */

static GByteArray *
current_user(guint32 token)
{
	GByteArray *b = g_byte_array_new();

	app16(b, 0);
	app16(b, 0x0FF6);
	app32(b, 20 + 4 + 4);
	app32(b, 0x14);
	app32(b, token);
	app32(b, 0); /* offsetToCurrentEdit */
	app16(b, 4);
	app16(b, 0x03F4);
	g_byte_array_append(b, (const guint8 *)"\x03\x00\x00\x00user", 8);
	app32(b, 8);
	return b;
}

/* A DocumentContainer holding a DocumentAtom and `inner`, then `after`
 * at the top level. */
static GByteArray *
ppt_document(const GByteArray *inner, const GByteArray *after)
{
	GByteArray *b = g_byte_array_new();
	guint8 atom[40] = {0};
	gsize inner_len = inner != NULL ? inner->len : 0;

	app16(b, 0x000F);
	app16(b, 0x03E8);
	app32(b, (guint32)(8 + sizeof(atom) + inner_len));
	app16(b, 0x0001);
	app16(b, 0x03E9);
	app32(b, sizeof(atom));
	g_byte_array_append(b, atom, sizeof(atom));
	if (inner != NULL)
		g_byte_array_append(b, inner->data, inner->len);
	if (after != NULL)
		g_byte_array_append(b, after->data, after->len);
	return b;
}

static void
ppt_rec(
    GByteArray *b, guint16 verinst, guint16 type, const void *data, gsize len)
{
	app16(b, verinst);
	app16(b, type);
	app32(b, (guint32)len);
	if (len > 0)
		g_byte_array_append(b, data, len);
}

static struct sample *
ppt_sample(const GByteArray *inner, const GByteArray *after, guint32 token)
{
	struct sample *s = sample_new(NULL);
	GByteArray *cu = current_user(token), *pd = ppt_document(inner, after);

	add_bytes(s, "Current User", cu);
	add_bytes(s, "PowerPoint Document", pd);
	add(s, "Pictures", "pictures", 8);
	g_byte_array_unref(cu);
	g_byte_array_unref(pd);
	return s;
}

/* ------------------------------------------------------------------ */
/* Running the module and checking its output.                        */

static void
run(GBytes *in, struct mg_cdr_result *r)
{
	struct mg_cdr_ctx ctx = {0};

	ctx.limits = &limits;
	mg_cdr_result_init(r);
	g_assert_cmpint(mg_cdr_ole2.rebuild(&ctx, in, r), ==, MG_OK);
}

static gboolean
has_removed(const struct mg_cdr_result *r, const char *id)
{
	guint i;

	for (i = 0; i < r->removed->len; i++)
		if (strcmp(g_ptr_array_index(r->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

static void
expect_refused(GBytes *in, enum mg_reason reason, const char *detail_part)
{
	struct mg_cdr_result r;

	run(in, &r);
	if (r.outcome != MG_CDR_REFUSED)
		g_error("expected a refusal (%s), got outcome %d",
		    detail_part != NULL ? detail_part : "", r.outcome);
	g_assert_cmpint(r.reason, ==, reason);
	g_assert_nonnull(r.detail);
	if (detail_part != NULL && strstr(r.detail, detail_part) == NULL)
		g_error("detail \"%s\" lacks \"%s\"", r.detail, detail_part);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

static void
expect_verified(GBytes *in)
{
	struct mg_cdr_result r;

	run(in, &r);
	if (r.outcome != MG_CDR_VERIFIED)
		g_error("expected VERIFIED, got %d (%s)", r.outcome,
		    r.detail != NULL ? r.detail : "");
	g_assert_cmpuint(r.removed->len, ==, 0);
	g_assert_null(r.data);
	mg_cdr_result_clear(&r);
}

static GsfInfile *
open_ole(GBytes *b, GsfInput **src_r)
{
	GError *err = NULL;
	GsfInfile *f;

	*src_r = gsf_input_memory_new(
	    g_bytes_get_data(b, NULL), (gsf_off_t)g_bytes_get_size(b), FALSE);
	f = gsf_infile_msole_new(*src_r, &err);
	g_assert_no_error(err);
	g_assert_nonnull(f);
	return f;
}

/* The bytes of stream `path` ("A/B/c") in `f`, or NULL. */
static GBytes *
stream_at(GsfInfile *f, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	GsfInfile *dir = f;
	GsfInput *c = NULL;
	GBytes *b = NULL;
	guint i;

	g_object_ref(dir);
	for (i = 0; parts[i] != NULL; i++) {
		c = gsf_infile_child_by_name(dir, parts[i]);
		g_object_unref(dir);
		if (c == NULL)
			return NULL;
		if (parts[i + 1] != NULL) {
			if (!GSF_IS_INFILE(c) ||
			    gsf_infile_num_children(GSF_INFILE(c)) < 0) {
				g_object_unref(c);
				return NULL;
			}
			dir = GSF_INFILE(c);
		}
	}
	if (gsf_infile_num_children(GSF_INFILE(c)) < 0) {
		gsize n = (gsize)gsf_input_size(c);

		b = g_bytes_new(n > 0 ? gsf_input_read(c, n, NULL) : NULL, n);
	}
	g_object_unref(c);
	return b;
}

static gboolean
exists(GsfInfile *f, const char *name)
{
	GsfInput *c = gsf_infile_child_by_name(f, name);

	if (c == NULL)
		return FALSE;
	g_object_unref(c);
	return TRUE;
}

/*
 * A REBUILT result for `in` built from `s`: the output re-parses with
 * libgsf, the root class id is kept, `gone` (root entries) are absent,
 * every other stream of `s` is there byte for byte, and the module
 * passes the output as VERIFIED.
 */
static void
expect_rebuilt(struct sample *s, GBytes *in, const char *const *gone,
    const char *const *ids)
{
	struct mg_cdr_result r;
	GsfInput *src;
	GsfInfile *f;
	guint8 clsid[16];
	guint i, k;

	run(in, &r);
	if (r.outcome != MG_CDR_REBUILT)
		g_error("expected REBUILT, got %d (%s)", r.outcome,
		    r.detail != NULL ? r.detail : "");
	for (k = 0; ids[k] != NULL; k++)
		g_assert_true(has_removed(&r, ids[k]));
	g_assert_cmpuint(r.removed->len, ==, k);
	g_assert_nonnull(r.mime_type);
	f = open_ole(r.data, &src);
	g_assert_true(
	    gsf_infile_msole_get_class_id(GSF_INFILE_MSOLE(f), clsid));
	if (s->root_clsid != NULL)
		g_assert_cmpmem(clsid, 16, s->root_clsid, 16);
	for (k = 0; gone[k] != NULL; k++)
		g_assert_false(exists(f, gone[k]));
	for (i = 0; i < s->items->len; i++) {
		struct item *it = g_ptr_array_index(s->items, i);
		gboolean dropped = FALSE;
		GBytes *b;

		for (k = 0; gone[k] != NULL; k++)
			if (g_str_has_prefix(it->path, gone[k]) &&
			    (it->path[strlen(gone[k])] == '\0' ||
			        it->path[strlen(gone[k])] == '/'))
				dropped = TRUE;
		if (dropped || it->data == NULL)
			continue;
		b = stream_at(f, it->path);
		if (b == NULL)
			g_error("stream %s missing from the rebuilt file",
			    it->path);
		g_assert_true(g_bytes_equal(b, it->data));
		g_bytes_unref(b);
	}
	g_object_unref(f);
	g_object_unref(src);
	g_assert_false(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(r.data, NULL), g_bytes_get_size(r.data)));
	expect_verified(r.data);
	mg_cdr_result_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Tests.                                                             */

static void
test_bid(void)
{
	g_autoptr(GBytes) b = NULL;
	struct sample *s = plain_doc();
	const guint8 *d;
	gsize n;

	b = sample_bytes(s);
	d = g_bytes_get_data(b, &n);
	g_assert_cmpint(
	    mg_cdr_ole2.bid("application/msword", "doc", d, n), ==, 100);
	g_assert_cmpint(mg_cdr_ole2.bid(NULL, "txt", d, n), ==, 100);
	g_assert_cmpint(
	    mg_cdr_ole2.bid("application/CDFV2", NULL, (const guint8 *)"x", 1),
	    >, 0);
	g_assert_cmpint(
	    mg_cdr_ole2.bid(NULL, "jtd", (const guint8 *)"x", 1), >, 0);
	g_assert_cmpint(
	    mg_cdr_ole2.bid("text/plain", "txt", (const guint8 *)"x", 1), ==,
	    0);
	/* The RTF module takes an RTF named .doc. */
	g_assert_cmpint(
	    mg_cdr_ole2.bid("text/rtf", "doc", (const guint8 *)"{\\rtf1}", 7),
	    <, 100);
	sample_free(s);
}

static void
test_word_clean(void)
{
	static const struct piece split[] = {
	    {"Plain text, then a field: \x13 PAGE ", FALSE},
	    {"\x14"
	     "1\x15 and \x13 HYPERLINK \"mailto:a@example.com\" ",
	        TRUE},
	    {"\x14mail\x15 end.\r", FALSE},
	};
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = sample_bytes(s);
	g_autoptr(GBytes) b2 = NULL;

	expect_verified(b);
	g_assert_false(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b)));
	sample_free(s);
	/* Pieces stored out of order, mixed 8-bit and UTF-16; an empty
	 * ObjectPool (Word leaves one) is nothing to remove. */
	s = word_sample(split, G_N_ELEMENTS(split), 0);
	add(s, "ObjectPool", NULL, 0);
	b2 = sample_bytes(s);
	expect_verified(b2);
	sample_free(s);
}

static void
test_word_macros(void)
{
	static const char *const gone[] = {"Macros", NULL};
	static const char *const ids[] = {MG_CDR_RM_VBA, NULL};
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = NULL;

	add(s, "Macros/PROJECT", "ID=\"{00000000}\"\r\nDocument=x", 26);
	add(s, "Macros/PROJECTwm", "x\0x\0\0", 5);
	add(s, "Macros/VBA/dir", "compressed-dir", 14);
	add(s, "Macros/VBA/_VBA_PROJECT", "\xcc\x61\xff\xff", 4);
	add(s, "Macros/VBA/ThisDocument", "Sub AutoOpen()", 14);
	find_item(s, "Macros")->clsid = other_clsid;
	b = sample_bytes(s);
	expect_rebuilt(s, b, gone, ids);
	sample_free(s);
}

/* Version 4 compound files (4096-byte sectors). */
static void
test_word_v4(void)
{
	static const char *const gone[] = {"Macros", NULL};
	static const char *const ids[] = {MG_CDR_RM_VBA, NULL};
	struct sample *s = plain_doc();
	g_autoptr(GBytes) clean = NULL, vba = NULL;
	const guint8 *d;

	s->sector = 4096;
	clean = sample_bytes(s);
	d = g_bytes_get_data(clean, NULL);
	g_assert_cmpint(d[0x1A], ==, 4);
	expect_verified(clean);
	add(s, "Macros/VBA/dir", "dir", 3);
	vba = sample_bytes(s);
	expect_rebuilt(s, vba, gone, ids);
	sample_free(s);
}

static void
test_word_objects(void)
{
	static const char *const gone[] = {"ObjectPool", NULL};
	static const char *const ids[] = {MG_CDR_RM_OLE, NULL};
	static const char *const ids_ax[] = {
	    MG_CDR_RM_OLE, MG_CDR_RM_ACTIVEX, NULL};
	static const char *const gone2[] = {"ObjectPool", "Macros", NULL};
	static const char *const ids2[] = {MG_CDR_RM_VBA, MG_CDR_RM_OLE, NULL};
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = NULL, b2 = NULL, b3 = NULL;
	guint8 big[5000];

	memset(big, 'M', sizeof(big));
	add(s, "ObjectPool/_1572084892/\x01Ole10Native", big, sizeof(big));
	add(s,
	    "ObjectPool/_1572084892/\x01"
	    "CompObj",
	    "Package", 7);
	add(s, "ObjectPool/_1572084892/\x03ObjInfo", "\0\0\0\0\0\0", 6);
	find_item(s, "ObjectPool/_1572084892")->clsid = other_clsid;
	b = sample_bytes(s);
	expect_rebuilt(s, b, gone, ids);
	sample_free(s);

	s = plain_doc();
	add(s, "ObjectPool/_1/\x03OCXNAME", "C\0h\0e\0c\0k\0\0\0", 12);
	add(s, "ObjectPool/_1/contents", "ocx", 3);
	b2 = sample_bytes(s);
	expect_rebuilt(s, b2, gone, ids_ax);
	sample_free(s);

	s = plain_doc();
	add(s, "ObjectPool/_1/\x01Ole10Native", "payload", 7);
	add(s, "Macros/VBA/dir", "dir", 3);
	b3 = sample_bytes(s);
	expect_rebuilt(s, b3, gone2, ids2);
	sample_free(s);
}

static void
test_word_fields(void)
{
	static const struct {
		const char *text;
		gboolean unicode;
		const char *detail;
	} cases[] = {
	    {"a \x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\" "
	     "\x14x\x15 b",
	        FALSE, "DDEAUTO"},
	    {"\x13"
	     "dde \"c:\\\\x.exe\" \"a\"\x15",
	        TRUE, "DDE field"},
	    {"\x13  includeText \"http://example.com/x.docx\" \x14\x15", FALSE,
	        "INCLUDETEXT"},
	    {"\x13INCLUDEPICTURE \"http://example.com/x.png\" \\d\x15", TRUE,
	        "INCLUDEPICTURE"},
	    {"\x13 LINK Excel.Sheet.8 \"C:\\\\a.xls\" \x14\x15", FALSE, "LINK"},
	    /* The keyword made by a nested field (the QUOTE trick). */
	    {"\x13 \x13QUOTE 68 68 69\x14"
	     "DDE\x15 c:\\\\cmd.exe\x15",
	        FALSE, "nested"},
	    /* A DDE field inside the code of another field. */
	    {"\x13IF 1 = 1 \x13 DDE x y\x15 \x14\x15", TRUE, "DDE field"},
	};
	/* DDEAUTO split over two pieces stored apart. */
	static const struct piece split[] = {
	    {"text \x13 DD", FALSE},
	    {"EAUTO cmd \x14z\x15", TRUE},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct piece p = {cases[i].text, cases[i].unicode};
		struct sample *s = word_sample(&p, 1, 0);
		g_autoptr(GBytes) b = sample_bytes(s);

		expect_refused(b, MG_REASON_CDR_FAILED, cases[i].detail);
		sample_free(s);
	}
	{
		struct sample *s = word_sample(split, 2, 0);
		g_autoptr(GBytes) b = sample_bytes(s);

		expect_refused(b, MG_REASON_CDR_FAILED, "DDEAUTO");
		sample_free(s);
	}
	/* Words that only contain the letters are text, not fields. */
	{
		struct piece p = {
		    "hidden added sudden DDEAUTO \x13 PAGE \x15", FALSE};
		struct sample *s = word_sample(&p, 1, 0);
		g_autoptr(GBytes) b = sample_bytes(s);

		expect_verified(b);
		sample_free(s);
	}
}

static void
test_word_template(void)
{
	static const struct {
		const char *path;
		gboolean refused;
	} cases[] = {
	    {"C:\\Users\\a\\Templates\\Report.dot", FALSE},
	    {"", FALSE},
	    {"\\\\attacker.example\\share\\t.dot", TRUE},
	    {"https://attacker.example/t.dotm", TRUE},
	    {"//attacker.example/share/t.dot", TRUE},
	    {"FILE://attacker/t.dot", TRUE},
	};
	static const struct piece p = {"text", FALSE};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct sample *s;
		g_autoptr(GBytes) b = NULL;

		attached_template = cases[i].path;
		s = word_sample(&p, 1, 0);
		attached_template = NULL;
		b = sample_bytes(s);
		if (cases[i].refused)
			expect_refused(b, MG_REASON_CDR_FAILED, "template");
		else
			expect_verified(b);
		sample_free(s);
	}
}

static void
test_word_encrypted(void)
{
	static const struct piece p = {"secret", FALSE};
	static const guint16 flags[] = {0x0100, 0x0100 | 0x8000};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(flags); i++) {
		struct sample *s = word_sample(&p, 1, flags[i]);
		g_autoptr(GBytes) b = sample_bytes(s);

		g_assert_true(mg_cdr_ole2_encrypted(
		    g_bytes_get_data(b, NULL), g_bytes_get_size(b)));
		expect_refused(
		    b, MG_REASON_ENCRYPTED, i == 0 ? "password" : "obfuscated");
		sample_free(s);
	}
}

static void
test_word_malformed(void)
{
	struct sample *s = sample_new(word_clsid);
	GByteArray *wd, *tb;
	static const struct piece p = {"text", FALSE};
	g_autoptr(GBytes) b1 = NULL, b2 = NULL, b3 = NULL;

	/* No table stream. */
	word_streams(&p, 1, 0, &wd, &tb);
	add_bytes(s, "WordDocument", wd);
	b1 = sample_bytes(s);
	expect_refused(b1, MG_REASON_CDR_FAILED, "table stream");
	sample_free(s);
	/* A piece past the end of the stream. */
	put32(tb, 6 + 4 + 8 + 2, 0x00FFFFF0u);
	s = sample_new(NULL);
	add_bytes(s, "WordDocument", wd);
	add_bytes(s, "1Table", tb);
	b2 = sample_bytes(s);
	expect_refused(b2, MG_REASON_CDR_FAILED, "piece table");
	sample_free(s);
	/* Word 6/95. */
	put16(wd, 2, 0x0065);
	s = sample_new(NULL);
	add_bytes(s, "WordDocument", wd);
	add_bytes(s, "1Table", tb);
	b3 = sample_bytes(s);
	expect_refused(b3, MG_REASON_UNSUPPORTED, "Word 6/95");
	sample_free(s);
	g_byte_array_unref(wd);
	g_byte_array_unref(tb);
}

static void
test_excel(void)
{
	static const char *const gone[] = {"_VBA_PROJECT_CUR", NULL};
	static const char *const ids[] = {MG_CDR_RM_VBA, NULL};
	struct sample *s = xls_sample(NULL, 0);
	g_autoptr(GBytes) clean = sample_bytes(s);
	g_autoptr(GBytes) vba = NULL;

	expect_verified(clean);
	add(s, "_VBA_PROJECT_CUR/PROJECT", "ID=x", 4);
	add(s, "_VBA_PROJECT_CUR/VBA/dir", "dir", 3);
	add(s, "_VBA_PROJECT_CUR/VBA/Sheet1", "Sub Auto_Open()", 15);
	vba = sample_bytes(s);
	expect_rebuilt(s, vba, gone, ids);
	sample_free(s);
}

static void
test_excel_refused(void)
{
	struct {
		const char *what;
		guint16 type;
		const char *data;
		gsize len;
		guint8 dt;
		enum mg_reason reason;
		const char *detail;
	} cases[] = {
	    {"filepass", 0x002F, "\x01\x00\x01\x00\x01\x00", 6, 0,
	        MG_REASON_ENCRYPTED, "password"},
	    {"xlm", 0, NULL, 0, 1, MG_REASON_CDR_FAILED, "XLM"},
	    {"dde supbook", 0x01AE,
	        "\x00\x00\x07\x00\x00"
	        "cmd\x03"
	        "calc",
	        13, 0, MG_REASON_CDR_FAILED, "DDE"},
	    {"external supbook", 0x01AE,
	        "\x01\x00\x05\x00\x00"
	        "\x01"
	        "a.xls",
	        11, 0, MG_REASON_CDR_FAILED, "external link"},
	    {"ole link", 0x0023, "\x20\x00\x00\x00\x00\x00\x01\x00x", 9, 0,
	        MG_REASON_CDR_FAILED, "OLE link"},
	    {"dconn", 0x0876, "\x76\x08\0\0\0\0\0\0\0\0\0\0", 12, 0,
	        MG_REASON_CDR_FAILED, "data connection"},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *extra = g_byte_array_new();
		struct sample *s;
		g_autoptr(GBytes) b = NULL;

		if (cases[i].type != 0)
			rec(extra, cases[i].type, cases[i].data, cases[i].len);
		s = xls_sample(extra, cases[i].dt);
		b = sample_bytes(s);
		g_test_message("%s", cases[i].what);
		expect_refused(b, cases[i].reason, cases[i].detail);
		g_assert_cmpint(mg_cdr_ole2_encrypted(g_bytes_get_data(b, NULL),
		                    g_bytes_get_size(b)),
		    ==, cases[i].reason == MG_REASON_ENCRYPTED);
		sample_free(s);
		g_byte_array_unref(extra);
	}
	/* Embedded objects and ActiveX controls that records point at. */
	{
		struct sample *s = xls_sample(NULL, 0);
		g_autoptr(GBytes) b = NULL, b2 = NULL;

		add(s, "MBD0009CF7B/\x01Ole10Native", "payload", 7);
		b = sample_bytes(s);
		expect_refused(b, MG_REASON_CDR_FAILED, "MBD0009CF7B");
		sample_free(s);
		s = xls_sample(NULL, 0);
		add(s, "Ctls", "controls", 8);
		b2 = sample_bytes(s);
		expect_refused(b2, MG_REASON_CDR_FAILED, "ActiveX");
		sample_free(s);
	}
}

static void
test_ppt(void)
{
	GByteArray *inner = g_byte_array_new(), *after = g_byte_array_new();
	GByteArray *vbaatom = g_byte_array_new();
	struct sample *s;
	g_autoptr(GBytes) clean = NULL, vba = NULL, ole = NULL, act = NULL;
	g_autoptr(GBytes) enc = NULL, summ = NULL, crypt = NULL, trunc = NULL;
	guint8 zero12[12] = {0}, info[16] = {0};

	/* A VBAInfoContainer with an empty VBAInfoAtom: no project. */
	ppt_rec(vbaatom, 0x0002, 0x0400, zero12, 12);
	ppt_rec(inner, 0x000F, 0x03FF, vbaatom->data, vbaatom->len);
	s = ppt_sample(inner, NULL, 0xE391C05Fu);
	clean = sample_bytes(s);
	expect_verified(clean);
	sample_free(s);

	zero12[0] = 3;
	zero12[4] = 1;
	g_byte_array_set_size(vbaatom, 0);
	g_byte_array_set_size(inner, 0);
	ppt_rec(vbaatom, 0x0002, 0x0400, zero12, 12);
	ppt_rec(inner, 0x000F, 0x03FF, vbaatom->data, vbaatom->len);
	s = ppt_sample(inner, NULL, 0xE391C05Fu);
	vba = sample_bytes(s);
	expect_refused(vba, MG_REASON_CDR_FAILED, "VBA");
	sample_free(s);

	ppt_rec(after, 0x0000, 0x1011, "\0\0\0\0compressed-storage", 22);
	s = ppt_sample(NULL, after, 0xE391C05Fu);
	ole = sample_bytes(s);
	expect_refused(ole, MG_REASON_CDR_FAILED, "OLE");
	sample_free(s);

	info[8] = 2; /* run a program */
	g_byte_array_set_size(inner, 0);
	ppt_rec(inner, 0x0000, 0x0FF3, info, sizeof(info));
	s = ppt_sample(inner, NULL, 0xE391C05Fu);
	act = sample_bytes(s);
	expect_refused(act, MG_REASON_CDR_FAILED, "program");
	sample_free(s);

	s = ppt_sample(NULL, NULL, 0xF3D1C4DFu);
	enc = sample_bytes(s);
	g_assert_true(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(enc, NULL), g_bytes_get_size(enc)));
	expect_refused(enc, MG_REASON_ENCRYPTED, NULL);
	sample_free(s);

	s = ppt_sample(NULL, NULL, 0xE391C05Fu);
	add(s, "EncryptedSummary", "summary", 7);
	summ = sample_bytes(s);
	g_assert_true(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(summ, NULL), g_bytes_get_size(summ)));
	expect_refused(summ, MG_REASON_ENCRYPTED, NULL);
	sample_free(s);

	g_byte_array_set_size(after, 0);
	ppt_rec(after, 0x000F, 0x2F14, NULL, 0);
	s = ppt_sample(NULL, after, 0xE391C05Fu);
	crypt = sample_bytes(s);
	expect_refused(crypt, MG_REASON_ENCRYPTED, NULL);
	sample_free(s);

	/* A record running past its container. */
	g_byte_array_set_size(after, 0);
	ppt_rec(after, 0x0000, 0x0FF0, "abc", 3);
	put32(after, 4, 100);
	s = ppt_sample(NULL, after, 0xE391C05Fu);
	trunc = sample_bytes(s);
	expect_refused(trunc, MG_REASON_CDR_FAILED, "malformed");
	sample_free(s);

	g_byte_array_unref(inner);
	g_byte_array_unref(after);
	g_byte_array_unref(vbaatom);
}

static void
test_other_kinds(void)
{
	struct sample *s = sample_new(NULL);
	g_autoptr(GBytes) ooxml = NULL, msg = NULL, other = NULL, two = NULL;

	add(s,
	    "\x06"
	    "DataSpaces/Version",
	    "v", 1);
	add(s, "EncryptionInfo", "\x04\x00\x04\x00\x40\x00\x00\x00", 8);
	add(s, "EncryptedPackage", "\x10\0\0\0\0\0\0\0ciphertext", 18);
	ooxml = sample_bytes(s);
	g_assert_true(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(ooxml, NULL), g_bytes_get_size(ooxml)));
	expect_refused(ooxml, MG_REASON_ENCRYPTED, NULL);
	sample_free(s);

	s = sample_new(NULL);
	add(s, "__substg1.0_0037001F", "S\0u\0b\0", 6);
	add(s, "__properties_version1.0", "\0\0\0\0", 4);
	msg = sample_bytes(s);
	expect_refused(msg, MG_REASON_UNSUPPORTED, ".msg");
	g_assert_false(mg_cdr_ole2_encrypted(
	    g_bytes_get_data(msg, NULL), g_bytes_get_size(msg)));
	sample_free(s);

	/* Ichitaro and any other OLE2 container. */
	s = sample_new(NULL);
	add(s, "DocumentText", "text", 4);
	add(s, "JSRV_SegmentInformation", "seg", 3);
	other = sample_bytes(s);
	expect_refused(other, MG_REASON_UNSUPPORTED, NULL);
	sample_free(s);

	/* A Word stream and a Workbook stream: which one is it? */
	s = plain_doc();
	add(s, "Workbook", "\x09\x08\0\0", 4);
	two = sample_bytes(s);
	expect_refused(two, MG_REASON_CDR_FAILED, "more than one kind");
	sample_free(s);

	/* Not OLE2 at all. */
	{
		g_autoptr(GBytes) b = g_bytes_new_static("PK\x03\x04junk", 8);
		g_autoptr(GBytes) e = g_bytes_new_static("", 0);

		expect_refused(b, MG_REASON_CDR_FAILED, NULL);
		expect_refused(e, MG_REASON_CDR_FAILED, NULL);
		g_assert_false(mg_cdr_ole2_encrypted(NULL, 0));
		g_assert_false(
		    mg_cdr_ole2_encrypted((const guint8 *)"PK\x03\x04", 4));
	}
}

/* ---- damaged containers ---- */

/* The offset of the directory entry named `name` (ASCII) in a file
 * written by libgsf (512-byte sectors). */
static gsize
dirent_offset(GByteArray *b, const char *name)
{
	gsize nl = strlen(name), off, k;

	for (off = 512; off + 128 <= b->len; off += 128) {
		if (b->data[off + 64] != 2 * (nl + 1) || b->data[off + 65] != 0)
			continue;
		for (k = 0; k < nl; k++)
			if (b->data[off + 2 * k] != (guint8)name[k] ||
			    b->data[off + 2 * k + 1] != 0)
				break;
		if (k == nl)
			return off;
	}
	g_error("no directory entry %s", name);
	return 0;
}

static GByteArray *
doc_array(void)
{
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = sample_bytes(s);
	GByteArray *a = g_byte_array_new();

	g_byte_array_append(a, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	sample_free(s);
	return a;
}

static void
expect_array_refused(GByteArray *a, const char *detail)
{
	g_autoptr(GBytes) b = g_bytes_new(a->data, a->len);

	expect_refused(b, MG_REASON_CDR_FAILED, detail);
	/* The probe must cope too. */
	(void)mg_cdr_ole2_encrypted(a->data, a->len);
	g_byte_array_unref(a);
}

static void
test_container_damage(void)
{
	GByteArray *a;
	gsize off, off2;

	/* A sibling link back to the root: a loop. */
	a = doc_array();
	put32(a, dirent_offset(a, "Data") + 72, 0);
	expect_array_refused(a, "twice");

	/* A link to an entry that does not exist. */
	a = doc_array();
	put32(a, dirent_offset(a, "1Table") + 72, 0x00FFFFFF);
	expect_array_refused(a, "out of range");

	/* Two streams on the same mini sectors. */
	a = doc_array();
	off = dirent_offset(a, "Data");
	off2 = dirent_offset(a, "\x01"
	                        "CompObj");
	put32(a, off + 116, a->data[off2 + 116] | a->data[off2 + 117] << 8);
	expect_array_refused(a, "shared");

	/* A size its chain cannot hold. */
	a = doc_array();
	put32(a, dirent_offset(a, "Data") + 120, 3000);
	expect_array_refused(a, "shorter than its size");

	/* A name with a path separator in it. */
	a = doc_array();
	a->data[dirent_offset(a, "Data")] = '/';
	expect_array_refused(a, "name");

	/* An empty stream pointing at sectors of its own. */
	{
		struct sample *s = plain_doc();
		g_autoptr(GBytes) b = NULL;

		add(s, "Empty", "", 0);
		b = sample_bytes(s);
		expect_verified(b);
		a = g_byte_array_new();
		g_byte_array_append(
		    a, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
		put32(a, dirent_offset(a, "Empty") + 116, 0x00100000);
		expect_array_refused(a, "empty stream");
		sample_free(s);
	}

	/* A stream with children. */
	a = doc_array();
	put32(a, dirent_offset(a, "Data") + 76, 1);
	expect_array_refused(a, "children");

	/* Two siblings named alike, in different case. */
	a = doc_array();
	off = dirent_offset(a, "Data");
	memcpy(a->data + off, "D\0A\0T\0A\0", 8);
	off2 = dirent_offset(a, "1Table");
	memcpy(a->data + off2, "d\0a\0t\0a\0\0\0", 10);
	put16(a, off2 + 64, 10);
	expect_array_refused(a, "two entries");

	/* Header values. */
	a = doc_array();
	a->data[0x1C] = 0xFF;
	a->data[0x1D] = 0x20;
	expect_array_refused(a, "header");
	a = doc_array();
	put32(a, 0x2C, 0x7FFFFFFF);
	expect_array_refused(a, "FAT");
	a = doc_array();
	put32(a, 0x30, 0x00FFFFFF);
	expect_array_refused(a, "leaves the file");
}

static void
test_trailing(void)
{
	static const char *const none[] = {NULL};
	static const char *const ids[] = {MG_CDR_RM_TRAILING, NULL};
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = sample_bytes(s);
	GByteArray *a = g_byte_array_new();
	g_autoptr(GBytes) t = NULL;

	g_byte_array_append(a, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	g_byte_array_append(a, (const guint8 *)"MZ appended payload", 19);
	t = g_byte_array_free_to_bytes(a);
	expect_rebuilt(s, t, none, ids);
	sample_free(s);
}

static void
test_limits(void)
{
	struct sample *s = plain_doc();
	g_autoptr(GBytes) many = NULL, deep = NULL, chain = NULL;
	GString *path = g_string_new("Extra");
	guint i;

	for (i = 0; i < 1001; i++) {
		g_autofree char *p = g_strdup_printf("Extra/s%04u", i);

		add(s, p, "x", 1);
	}
	many = sample_bytes(s);
	expect_refused(many, MG_REASON_CDR_FAILED, "storages and streams");
	limits.max_archive_members = 5000;
	expect_verified(many);
	sample_free(s);

	/* Whatever the limit, at most 4095 entries: libgsf recurses once
	 * per directory link, and its writer lists siblings in a chain. */
	s = plain_doc();
	for (i = 0; i < 4100; i++) {
		g_autofree char *p = g_strdup_printf("Extra/s%04u", i);

		add(s, p, "x", 1);
	}
	chain = sample_bytes(s);
	limits.max_archive_members = 100000;
	expect_refused(chain, MG_REASON_CDR_FAILED, "more than 4095");
	limits.max_archive_members = 0;
	sample_free(s);

	s = plain_doc();
	for (i = 0; i < 21; i++)
		g_string_append_printf(path, "/d%u", i);
	g_string_append(path, "/leaf");
	add(s, path->str, "x", 1);
	deep = sample_bytes(s);
	expect_refused(deep, MG_REASON_CDR_FAILED, "nested");
	limits.max_depth = 30;
	expect_verified(deep);
	limits.max_depth = 0;
	sample_free(s);
	g_string_free(path, TRUE);

	/* Over the part size. */
	s = plain_doc();
	{
		g_autoptr(GBytes) b = sample_bytes(s);

		limits.max_part_size = 4096;
		expect_refused(b, MG_REASON_PART_TOO_LARGE, NULL);
		limits.max_part_size = 0;
	}
	sample_free(s);
}

static guint outcomes[3];

/* Any outcome but a crash; a rebuilt file must itself be clean. */
static void
survive(const guint8 *data, gsize len)
{
	g_autoptr(GBytes) b = g_bytes_new(data, len);
	struct mg_cdr_result r;

	(void)mg_cdr_ole2_encrypted(data, len);
	(void)mg_cdr_ole2.bid(NULL, NULL, data, len);
	run(b, &r);
	outcomes[r.outcome]++;
	if (r.outcome == MG_CDR_REBUILT)
		expect_verified(r.data);
	else if (r.outcome == MG_CDR_REFUSED)
		g_assert_nonnull(r.detail);
	mg_cdr_result_clear(&r);
}

static void
test_truncated_and_flipped(void)
{
	struct sample *s = plain_doc();
	g_autoptr(GBytes) b = NULL;
	const guint8 *d;
	gsize n, i;
	guint8 *copy;

	add(s, "Macros/VBA/dir", "dir", 3);
	add(s, "ObjectPool/_1/\x01Ole10Native", "x", 1);
	b = sample_bytes(s);
	d = g_bytes_get_data(b, &n);
	for (i = 0; i < n; i += i < 1100 ? 1 : 37)
		survive(d, i);
	copy = g_memdup2(d, n);
	for (i = 0; i < n; i += 3) {
		guint8 was = copy[i];

		copy[i] ^= 0xFF;
		survive(copy, n);
		copy[i] = 0x01;
		survive(copy, n);
		copy[i] = was;
	}
	/* Garbage after the magic. */
	for (i = 8; i < n; i++)
		copy[i] = (guint8)(i * 2654435761u >> 13);
	survive(copy, n);
	g_free(copy);
	sample_free(s);
	g_test_message("rebuilt %u, verified %u, refused %u",
	    outcomes[MG_CDR_REBUILT], outcomes[MG_CDR_VERIFIED],
	    outcomes[MG_CDR_REFUSED]);
	/* Flips in stream data leave the container whole. */
	g_assert_cmpuint(outcomes[MG_CDR_REBUILT], >, 100);
}

/* ---- corpus-external ---- */

static char *
external(const char *rel)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");

	if (src == NULL)
		return NULL;
	return g_build_filename(
	    src, "..", "shared", "corpus-external", rel, NULL);
}

static GBytes *
load_external(const char *rel)
{
	g_autofree char *p = external(rel);
	gchar *data;
	gsize len;

	if (p == NULL || !g_file_get_contents(p, &data, &len, NULL))
		return NULL;
	return g_bytes_new_take(data, len);
}

static void
test_external(void)
{
	static const struct {
		const char *path;
		int outcome; /* MG_CDR_* */
		enum mg_reason reason;
		const char *id; /* removed, for REBUILT */
		gboolean encrypted;
	} cases[] = {
	    {"oletools/msodde/harmless-clean.doc", MG_CDR_VERIFIED, 0, NULL,
	        FALSE},
	    {"dangerzone/sample-doc.doc", MG_CDR_VERIFIED, 0, NULL, FALSE},
	    {"dangerzone/sample-xls.xls", MG_CDR_VERIFIED, 0, NULL, FALSE},
	    {"dangerzone/sample-ppt.ppt", MG_CDR_VERIFIED, 0, NULL, FALSE},
	    {"dangerzone/sample-mime-x-ole-storage.xls", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/oleobj/sample_with_calc_embedded.doc", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/sample_with_lnk_file.doc", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/sample_with_lnk_to_calc.doc", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/embedded-simple-2007.doc", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/embedded-simple-2007.dot", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/embedded-unicode.doc", MG_CDR_REBUILT, 0,
	        MG_CDR_RM_OLE, FALSE},
	    {"oletools/oleobj/embedded-simple-2007.xls", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/oleobj/embedded-simple-2007.ppt", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/oleobj/sample_with_lnk_file.pps", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/olevba/sample_with_vba.ppt", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/excel4-macros/excel4_sample_macro.xls", MG_CDR_REFUSED,
	        MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/excel4-macros/excel4_sample_macro_excel5_format.xls",
	        MG_CDR_REFUSED, MG_REASON_CDR_FAILED, NULL, FALSE},
	    {"oletools/encrypted/encrypted.doc", MG_CDR_REFUSED,
	        MG_REASON_ENCRYPTED, NULL, TRUE},
	    {"oletools/encrypted/encrypted.xls", MG_CDR_REFUSED,
	        MG_REASON_ENCRYPTED, NULL, TRUE},
	    {"oletools/encrypted/encrypted.ppt", MG_CDR_REFUSED,
	        MG_REASON_ENCRYPTED, NULL, TRUE},
	    {"oletools/encrypted/autostart-encrypt-standardpassword.xls",
	        MG_CDR_REFUSED, MG_REASON_ENCRYPTED, NULL, TRUE},
	    {"oletools/encrypted/encrypted.docx", MG_CDR_REFUSED,
	        MG_REASON_ENCRYPTED, NULL, TRUE},
	    {"oletools/basic/encrypted.docx", MG_CDR_REFUSED,
	        MG_REASON_ENCRYPTED, NULL, TRUE},
	};
	gsize i, n;
	gboolean any = FALSE;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) b = load_external(cases[i].path);
		struct mg_cdr_result r;
		const guint8 *d;

		if (b == NULL)
			continue;
		any = TRUE;
		d = g_bytes_get_data(b, &n);
		g_test_message("%s", cases[i].path);
		g_assert_cmpint(mg_cdr_ole2.bid(NULL, NULL, d, n), ==, 100);
		g_assert_cmpint(
		    mg_cdr_ole2_encrypted(d, n), ==, cases[i].encrypted);
		run(b, &r);
		if ((int)r.outcome != cases[i].outcome)
			g_error("%s: outcome %d (%s)", cases[i].path, r.outcome,
			    r.detail != NULL ? r.detail : "");
		if (r.outcome == MG_CDR_REFUSED)
			g_assert_cmpint(r.reason, ==, cases[i].reason);
		if (r.outcome == MG_CDR_REBUILT) {
			GsfInput *src;
			GsfInfile *f = open_ole(r.data, &src);
			GsfInfile *o2;
			GsfInput *o1;
			g_autoptr(GBytes) w1 = NULL, w2 = NULL;

			g_assert_true(has_removed(&r, cases[i].id));
			g_assert_false(exists(f, "ObjectPool"));
			g_assert_false(exists(f, "Macros"));
			/* The text is the same stream. */
			o1 = gsf_input_memory_new(d, (gsf_off_t)n, FALSE);
			o2 = gsf_infile_msole_new(o1, NULL);
			w1 = stream_at(o2, "WordDocument");
			w2 = stream_at(f, "WordDocument");
			g_assert_true(g_bytes_equal(w1, w2));
			g_object_unref(o2);
			g_object_unref(o1);
			g_object_unref(f);
			g_object_unref(src);
			expect_verified(r.data);
		}
		mg_cdr_result_clear(&r);
	}
	if (!any)
		g_test_skip("corpus-external not present");
}

/* The DDE documents of oletools, kept in ZipCrypto zips (password
 * "infected-test", MANIFEST.md), unpacked here with libarchive. */
static void
test_external_dde(void)
{
	static const char *const zips[] = {
	    "oletools/msodde/dde-test-from-office2003.doc.zip",
	    "oletools/msodde/dde-test-from-office2016.doc.zip",
	    "oletools/msodde/dde-test-from-office2013-utf_16le-korean.doc.zip",
	};
	gsize i;
	gboolean any = FALSE;

	for (i = 0; i < G_N_ELEMENTS(zips); i++) {
		g_autofree char *p = external(zips[i]);
		struct archive *ar;
		struct archive_entry *ae;
		GByteArray *doc = g_byte_array_new();
		g_autoptr(GBytes) b = NULL;
		guint8 buf[8192];
		la_ssize_t got;

		if (p == NULL || !g_file_test(p, G_FILE_TEST_EXISTS)) {
			g_byte_array_unref(doc);
			continue;
		}
		any = TRUE;
		ar = archive_read_new();
		archive_read_support_format_zip(ar);
		archive_read_add_passphrase(ar, "infected-test");
		g_assert_cmpint(
		    archive_read_open_filename(ar, p, 16384), ==, ARCHIVE_OK);
		g_assert_cmpint(
		    archive_read_next_header(ar, &ae), ==, ARCHIVE_OK);
		while ((got = archive_read_data(ar, buf, sizeof(buf))) > 0)
			g_byte_array_append(doc, buf, (guint)got);
		g_assert_cmpint(got, ==, 0);
		archive_read_free(ar);
		b = g_byte_array_free_to_bytes(doc);
		g_test_message("%s", zips[i]);
		expect_refused(b, MG_REASON_CDR_FAILED, "DDE");
	}
	if (!any)
		g_test_skip("corpus-external not present");
}

/* ------------------------------------------------------------------ */
/* Outlook items (.msg).                                              */

/* A PT_UNICODE property stream: UTF-16LE without a terminator. */
static void
add_unicode(struct sample *s, const char *path, const char *utf8)
{
	glong n = 0;
	g_autofree gunichar2 *u = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
	g_autoptr(GByteArray) b = g_byte_array_new();
	glong i;

	for (i = 0; i < n; i++) {
		guint8 le[2] = {(guint8)u[i], (guint8)(u[i] >> 8)};

		g_byte_array_append(b, le, 2);
	}
	add_bytes(s, path, b);
}

/* The fixed properties: a 32-byte header, then 16-byte entries; here the
 * code page (932) and the submit time (2024-11-26 01:00:00 UTC). */
static void
add_msg_props(struct sample *s)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	guint64 ft = (guint64)(1732582800 + 11644473600LL) * 10000000u;

	pad_to(b, 32);
	app32(b, 0x3FFD0003);
	app32(b, 0x6);
	app32(b, 932);
	app32(b, 0);
	app32(b, 0x00390040);
	app32(b, 0x6);
	app32(b, (guint32)ft);
	app32(b, (guint32)(ft >> 32));
	add_bytes(s, "__properties_version1.0", b);
}

#define ATT0 "__attach_version1.0_#00000000/"
#define ATT1 "__attach_version1.0_#00000001/"
#define ATT2 "__attach_version1.0_#00000002/"
#define ATT3 "__attach_version1.0_#00000003/"

static GBytes *
outlook_item(void)
{
	struct sample *s = sample_new(NULL);
	static const char pdf[] =
	    "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
	    "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
	    "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\n"
	    "endobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n"
	    "0000000058 00000 n \n0000000115 00000 n \ntrailer\n"
	    "<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";
	/* 件名 in Shift_JIS, as PT_STRING8 in code page 932. */
	static const char sjis_name[] = "\x8c\x8f\x96\xbc.txt";
	GBytes *b;

	add_msg_props(s);
	add(s, "__nameid_version1.0", NULL, 0);
	add_unicode(s, "__substg1.0_0037001F", "【ご確認】契約書ドラフト");
	add_unicode(s, "__substg1.0_0C1A001F", "佐藤 次郎");
	add_unicode(s, "__substg1.0_5D01001F", "sato.jiro@example.com");
	add_unicode(s, "__substg1.0_0E04001F", "山田 太郎");
	add_unicode(s, "__substg1.0_1000001F",
	    "山田様\r\n\r\n契約書のドラフトを添付します。①㈱\r\n");
	add_unicode(s, ATT0 "__substg1.0_3707001F", "契約書ドラフト.pdf");
	add_unicode(s, ATT0 "__substg1.0_370E001F", "application/pdf");
	add(s, ATT0 "__substg1.0_37010102", pdf, sizeof(pdf) - 1);
	add(s, ATT1 "__substg1.0_3704001E", sjis_name, sizeof(sjis_name) - 1);
	add(s, ATT1 "__substg1.0_37010102", "memo", 4);
	/* An embedded item (a forward of a forward), with a file. */
	add(s, ATT2 "__substg1.0_3701000D/__properties_version1.0",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	add_unicode(s, ATT2 "__substg1.0_3001001F", "元のメール");
	add_unicode(
	    s, ATT2 "__substg1.0_3701000D/__substg1.0_0037001F", "元の件名");
	add_unicode(s, ATT2 "__substg1.0_3701000D/__substg1.0_1000001F",
	    "元の本文です。");
	add_unicode(s, ATT2 "__substg1.0_3701000D/" ATT0 "__substg1.0_3707001F",
	    "inner.txt");
	add(s, ATT2 "__substg1.0_3701000D/" ATT0 "__substg1.0_37010102",
	    "inner", 5);
	/* An OLE object: neither bytes nor an item, not taken out. */
	add_unicode(s, ATT3 "__substg1.0_3001001F", "Picture");
	add(s, ATT3 "__substg1.0_3701000D", "OLE", 3);
	b = sample_bytes(s);
	sample_free(s);
	return b;
}

static void
test_msg_read(void)
{
	g_autoptr(GBytes) b = outlook_item();
	g_autofree char *why = NULL;
	struct mg_ole2_msg *m = mg_cdr_ole2_msg_read(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b), 1 << 20, &why);
	struct mg_ole2_msg_file *f;
	g_autofree char *date = NULL;

	g_assert_nonnull(m);
	g_assert_cmpstr(m->subject, ==, "【ご確認】契約書ドラフト");
	g_assert_cmpstr(m->from_name, ==, "佐藤 次郎");
	g_assert_cmpstr(m->from_addr, ==, "sato.jiro@example.com");
	g_assert_cmpstr(m->to, ==, "山田 太郎");
	g_assert_true(
	    strstr(m->body, "契約書のドラフトを添付します。①㈱") != NULL);
	g_assert_nonnull(m->date);
	date = g_date_time_format(m->date, "%Y-%m-%d %H:%M:%S");
	g_assert_cmpstr(date, ==, "2024-11-26 01:00:00");
	g_assert_cmpuint(m->files->len, ==, 3);
	f = g_ptr_array_index(m->files, 0);
	g_assert_cmpstr(f->name, ==, "契約書ドラフト.pdf");
	g_assert_cmpstr(f->mime, ==, "application/pdf");
	g_assert_true(
	    g_str_has_prefix(g_bytes_get_data(f->data, NULL), "%PDF"));
	f = g_ptr_array_index(m->files, 1);
	g_assert_cmpstr(f->name, ==, "件名.txt"); /* PT_STRING8, CP932 */
	g_assert_cmpuint(g_bytes_get_size(f->data), ==, 4);
	f = g_ptr_array_index(m->files, 2);
	g_assert_null(f->data);
	g_assert_nonnull(f->item);
	g_assert_cmpstr(f->name, ==, "元のメール");
	g_assert_cmpstr(f->item->subject, ==, "元の件名");
	g_assert_cmpstr(f->item->body, ==, "元の本文です。");
	g_assert_cmpuint(f->item->files->len, ==, 1);
	g_assert_cmpstr(
	    ((struct mg_ole2_msg_file *)g_ptr_array_index(f->item->files, 0))
	        ->name,
	    ==, "inner.txt");
	g_assert_cmpuint(m->skipped, ==, 1); /* the OLE object */
	mg_cdr_ole2_msg_free(m);

	/* The attachments' budget, shared with embedded items: the PDF does
	 * not fit, the memo (4) and the inner file (5) do. */
	m = mg_cdr_ole2_msg_read(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b), 10, &why);
	g_assert_nonnull(m);
	g_assert_cmpuint(m->files->len, ==, 2);
	g_assert_cmpuint(m->skipped, ==, 2);
	mg_cdr_ole2_msg_free(m);
	m = mg_cdr_ole2_msg_read(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b), 8, &why);
	g_assert_nonnull(m);
	f = g_ptr_array_index(m->files, 1);
	g_assert_nonnull(f->item);
	g_assert_cmpuint(f->item->files->len, ==, 0);
	g_assert_cmpuint(f->item->skipped, ==, 1);
	mg_cdr_ole2_msg_free(m);

	/* For the corpus case and fuzz seeds, when asked. */
	if (g_getenv("MG_MSG_FIXTURE") != NULL)
		g_assert_true(g_file_set_contents(g_getenv("MG_MSG_FIXTURE"),
		    g_bytes_get_data(b, NULL), (gssize)g_bytes_get_size(b),
		    NULL));
}

/* Names are looked up without case, as a compound file compares them. */
static void
test_msg_case(void)
{
	struct sample *s = sample_new(NULL);
	g_autoptr(GBytes) b = NULL;
	g_autofree char *why = NULL;
	struct mg_ole2_msg *m;

	add_msg_props(s);
	add_unicode(s, "__substg1.0_0037001f", "小文字の名前");
	add_unicode(
	    s, "__ATTACH_version1.0_#00000000/__substg1.0_3707001f", "a.txt");
	add(s, "__ATTACH_version1.0_#00000000/__SUBSTG1.0_37010102", "x", 1);
	b = sample_bytes(s);
	sample_free(s);
	m = mg_cdr_ole2_msg_read(
	    g_bytes_get_data(b, NULL), g_bytes_get_size(b), 1 << 20, &why);
	g_assert_nonnull(m);
	g_assert_cmpstr(m->subject, ==, "小文字の名前");
	g_assert_cmpuint(m->files->len, ==, 1);
	mg_cdr_ole2_msg_free(m);
}

/* Not an Outlook item, or not a compound file, or a damaged one: NULL
 * and a reason; every cut of the item reads or is refused, never more. */
static void
test_msg_not(void)
{
	g_autoptr(GBytes) b = outlook_item();
	struct sample *ds = plain_doc();
	g_autoptr(GBytes) doc = sample_bytes(ds);
	const guint8 *d = g_bytes_get_data(b, NULL);
	gsize len = g_bytes_get_size(b), cut;
	char *why = NULL;
	struct mg_ole2_msg *m;

	m = mg_cdr_ole2_msg_read(
	    g_bytes_get_data(doc, NULL), g_bytes_get_size(doc), 1 << 20, &why);
	g_assert_null(m);
	g_assert_nonnull(strstr(why, "not an Outlook item"));
	g_free(why);
	m = mg_cdr_ole2_msg_read(
	    (const guint8 *)"From: a\r\n\r\nhi", 13, 1 << 20, &why);
	g_assert_null(m);
	g_assert_nonnull(why);
	g_free(why);
	for (cut = 0; cut < len; cut += 61) {
		m = mg_cdr_ole2_msg_read(d, cut, 1 << 20, &why);
		mg_cdr_ole2_msg_free(m);
		g_free(why);
	}
	sample_free(ds);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	gsf_init();
	g_test_add_func("/cdr_ole2/bid", test_bid);
	g_test_add_func("/cdr_ole2/msg/read", test_msg_read);
	g_test_add_func("/cdr_ole2/msg/not", test_msg_not);
	g_test_add_func("/cdr_ole2/msg/case", test_msg_case);
	g_test_add_func("/cdr_ole2/word/clean", test_word_clean);
	g_test_add_func("/cdr_ole2/word/macros", test_word_macros);
	g_test_add_func("/cdr_ole2/word/objects", test_word_objects);
	g_test_add_func("/cdr_ole2/word/v4", test_word_v4);
	g_test_add_func("/cdr_ole2/word/fields", test_word_fields);
	g_test_add_func("/cdr_ole2/word/template", test_word_template);
	g_test_add_func("/cdr_ole2/word/encrypted", test_word_encrypted);
	g_test_add_func("/cdr_ole2/word/malformed", test_word_malformed);
	g_test_add_func("/cdr_ole2/excel", test_excel);
	g_test_add_func("/cdr_ole2/excel/refused", test_excel_refused);
	g_test_add_func("/cdr_ole2/ppt", test_ppt);
	g_test_add_func("/cdr_ole2/other-kinds", test_other_kinds);
	g_test_add_func("/cdr_ole2/container-damage", test_container_damage);
	g_test_add_func("/cdr_ole2/trailing", test_trailing);
	g_test_add_func("/cdr_ole2/limits", test_limits);
	g_test_add_func(
	    "/cdr_ole2/truncated-and-flipped", test_truncated_and_flipped);
	g_test_add_func("/cdr_ole2/external", test_external);
	g_test_add_func("/cdr_ole2/external-dde", test_external_dde);
	return g_test_run();
}
