/*
 * test_cdr_image.c - the image and SVG CDR modules (cdr_image.c,
 * cdr_svg.c).
 *
 * Hostile samples are generated here: images with EXIF (GPS), XMP,
 * comments and text chunks, polyglots with an archive or HTML appended,
 * dimension bombs, truncated files, hand-made BMPs, and SVGs with
 * scripts, external references and data: URLs.  Each rebuilt file is
 * decoded again with libvips, its size compared, and its bytes searched
 * for every removed construct.  The public samples in
 * $MUGAIKA_SOURCE_DIR/../shared/corpus-external are used when present.
 */
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <vips/vips.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_image;
extern const struct mg_cdr_module mg_cdr_svg;

static struct mg_limits limits; /* 0: the defaults */

static void
run_ctx(const struct mg_cdr_module *m, struct mg_cdr_ctx *ctx, GBytes *in,
    struct mg_cdr_result *res)
{
	mg_cdr_result_init(res);
	g_assert_cmpint(m->rebuild(ctx, in, res), ==, MG_OK);
	if (res->outcome == MG_CDR_REFUSED && g_test_verbose())
		g_test_message("refused: %s", res->detail);
	if (res->outcome == MG_CDR_REBUILT) {
		g_assert_nonnull(res->data);
		g_assert_nonnull(res->mime_type);
	} else if (res->outcome == MG_CDR_REFUSED) {
		g_assert_cmpint(res->reason, !=, MG_REASON_NONE);
		g_assert_nonnull(res->detail);
	}
}

static void
run(const struct mg_cdr_module *m, GBytes *in, struct mg_cdr_result *res)
{
	struct mg_cdr_ctx ctx = {0};

	ctx.limits = &limits;
	run_ctx(m, &ctx, in, res);
}

static gboolean
removed(const struct mg_cdr_result *res, const char *id)
{
	guint i;

	for (i = 0; i < res->removed->len; i++)
		if (strcmp(g_ptr_array_index(res->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
contains(GBytes *b, const void *needle, gsize n)
{
	gsize len, i;
	const guint8 *p = g_bytes_get_data(b, &len);

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, needle, n) == 0)
			return TRUE;
	return FALSE;
}

#define CONTAINS(b, s) contains((b), (s), strlen(s))

static GBytes *
bytes_of(void *buf, size_t len)
{
	return g_bytes_new_take(buf, len);
}

/* Decode every pixel of a rebuilt image; returns it (caller unrefs). */
static VipsImage *
decode(GBytes *b)
{
	gsize len;
	const void *p = g_bytes_get_data(b, &len);
	VipsImage *img, *mem;

	img = vips_image_new_from_buffer(
	    p, len, "", "fail_on", VIPS_FAIL_ON_WARNING, NULL);
	g_assert_nonnull(img);
	mem = vips_image_copy_memory(img);
	g_assert_nonnull(mem);
	g_object_unref(img);
	return mem;
}

static void
assert_decodes(GBytes *b, int w, int h)
{
	VipsImage *img = decode(b);

	g_assert_cmpint(vips_image_get_width(img), ==, w);
	g_assert_cmpint(vips_image_get_height(img), ==, h);
	/* Nothing but pixel description is left in the header. */
	g_assert_cmpuint(
	    vips_image_get_typeof(img, VIPS_META_EXIF_NAME), ==, 0);
	g_assert_cmpuint(vips_image_get_typeof(img, VIPS_META_XMP_NAME), ==, 0);
	g_assert_cmpuint(vips_image_get_typeof(img, VIPS_META_ICC_NAME), ==, 0);
	g_object_unref(img);
}

static void
pixel(GBytes *b, int x, int y, double *v, int n)
{
	VipsImage *img = decode(b);
	double *px = NULL;
	int got = 0, i;

	g_assert_cmpint(vips_getpoint(img, &px, &got, x, y, NULL), ==, 0);
	g_assert_cmpint(got, >=, n);
	for (i = 0; i < n; i++)
		v[i] = px[i];
	g_free(px);
	g_object_unref(img);
}

/* A test picture: a gradient, so that re-encoding has something to do. */
static VipsImage *
picture(int w, int h, int bands)
{
	VipsImage *x, *out;

	g_assert_cmpint(vips_xyz(&x, w, h, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(x, &out, NULL), ==, 0);
	g_object_unref(x);
	if (bands == 3) {
		VipsImage *t, *rgb;
		VipsImage *in[3];

		g_assert_cmpint(vips_extract_band(out, &t, 0, NULL), ==, 0);
		in[0] = in[1] = in[2] = t;
		g_assert_cmpint(vips_bandjoin(in, &rgb, 3, NULL), ==, 0);
		g_object_unref(t);
		g_object_unref(out);
		out = rgb;
		out->Type = VIPS_INTERPRETATION_sRGB;
	} else {
		VipsImage *t;

		g_assert_cmpint(vips_extract_band(out, &t, 0, NULL), ==, 0);
		g_object_unref(out);
		out = t;
		out->Type = VIPS_INTERPRETATION_B_W;
	}
	return out;
}

static guint32
crc32_of(const guint8 *p, gsize n)
{
	guint32 c = 0xffffffffu;
	gsize i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

static void
put_be32(GByteArray *a, guint32 v)
{
	guint8 b[4] = {v >> 24, v >> 16, v >> 8, v};

	g_byte_array_append(a, b, 4);
}

static void
png_chunk(GByteArray *a, const char *type, const void *data, guint32 n)
{
	gsize start;

	put_be32(a, n);
	start = a->len;
	g_byte_array_append(a, (const guint8 *)type, 4);
	if (n > 0)
		g_byte_array_append(a, data, n);
	put_be32(a, crc32_of(a->data + start, 4 + n));
}

/* A PNG with `chunk` (already framed) inserted after IHDR. */
static GBytes *
png_insert(GBytes *png, GByteArray *chunk)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(png, &len);
	GByteArray *a = g_byte_array_new();

	g_byte_array_append(a, p, 33); /* signature and IHDR */
	g_byte_array_append(a, chunk->data, chunk->len);
	g_byte_array_append(a, p + 33, len - 33);
	return g_byte_array_free_to_bytes(a);
}

static GBytes *
save_png(VipsImage *img)
{
	void *buf;
	size_t len;

	g_assert_cmpint(vips_pngsave_buffer(img, &buf, &len, NULL), ==, 0);
	return bytes_of(buf, len);
}

static GBytes *
save_jpeg(VipsImage *img)
{
	void *buf;
	size_t len;

	g_assert_cmpint(vips_jpegsave_buffer(img, &buf, &len, NULL), ==, 0);
	return bytes_of(buf, len);
}

/*
 * A little-endian EXIF block: IFD0 with an ImageDescription and a GPS
 * IFD pointer, the GPS IFD with GPSLatitudeRef "N" and GPSLatitude.
 */
static GBytes *
exif_with_gps(void)
{
	static const guint8 exif[] = {'E', 'x', 'i', 'f', 0, 0,
	    /* TIFF header, IFD0 at 8 */
	    'I', 'I', 42, 0, 8, 0, 0, 0,
	    /* IFD0: 2 entries */
	    2, 0,
	    /* 0x010e ImageDescription ASCII 17 @ 38 */
	    0x0e, 0x01, 2, 0, 17, 0, 0, 0, 38, 0, 0, 0,
	    /* 0x8825 GPS IFD pointer LONG 1 -> 56 */
	    0x25, 0x88, 4, 0, 1, 0, 0, 0, 56, 0, 0, 0,
	    /* next IFD: none */
	    0, 0, 0, 0,
	    /* @38: description */
	    'S', 'E', 'C', 'R', 'E', 'T', '-', 'E', 'X', 'I', 'F', '-', 'D',
	    'E', 'S', 'C', 0, 0,
	    /* @56: GPS IFD, 2 entries */
	    2, 0,
	    /* 0x0001 GPSLatitudeRef ASCII 2 "N" */
	    0x01, 0x00, 2, 0, 2, 0, 0, 0, 'N', 0, 0, 0,
	    /* 0x0002 GPSLatitude RATIONAL 3 @ 86 */
	    0x02, 0x00, 5, 0, 3, 0, 0, 0, 86, 0, 0, 0, 0, 0, 0, 0,
	    /* @86: 35/1 41/1 2231/100 */
	    35, 0, 0, 0, 1, 0, 0, 0, 41, 0, 0, 0, 1, 0, 0, 0, 0xb7, 0x08, 0, 0,
	    100, 0, 0, 0};

	return g_bytes_new_static(exif, sizeof(exif));
}

static const char xmp_packet[] =
    "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>"
    "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
    "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
    "<rdf:Description rdf:about='' "
    "xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator>"
    "SECRET-XMP-CREATOR</dc:creator></rdf:Description></rdf:RDF>"
    "</x:xmpmeta><?xpacket end='w'?>";

static void
set_metadata(VipsImage *img)
{
	g_autoptr(GBytes) exif = exif_with_gps();
	gsize n;
	const void *p = g_bytes_get_data(exif, &n);

	vips_image_set_blob_copy(img, VIPS_META_EXIF_NAME, p, n);
	vips_image_set_blob_copy(
	    img, VIPS_META_XMP_NAME, xmp_packet, strlen(xmp_packet));
}

/* A JPEG with EXIF (GPS), XMP and a COM segment. */
static GBytes *
hostile_jpeg(int w, int h)
{
	VipsImage *img = picture(w, h, 3);
	g_autoptr(GBytes) j = NULL;
	GByteArray *a = g_byte_array_new();
	static const char com[] = "SECRET-JPEG-COMMENT";
	guint8 seg[4] = {0xff, 0xfe, 0, (guint8)(sizeof(com) - 1 + 2)};
	gsize len;
	const guint8 *p;

	set_metadata(img);
	j = save_jpeg(img);
	g_object_unref(img);
	p = g_bytes_get_data(j, &len);
	g_byte_array_append(a, p, 2);
	g_byte_array_append(a, seg, 4);
	g_byte_array_append(a, (const guint8 *)com, sizeof(com) - 1);
	g_byte_array_append(a, p + 2, len - 2);
	return g_byte_array_free_to_bytes(a);
}

static void
assert_no_metadata_bytes(GBytes *b)
{
	g_assert_false(CONTAINS(b, "Exif"));
	g_assert_false(CONTAINS(b, "SECRET"));
	g_assert_false(CONTAINS(b, "xmpmeta"));
	g_assert_false(CONTAINS(b, "http://ns.adobe.com/xap/1.0/"));
	g_assert_false(CONTAINS(b, "tEXt"));
	g_assert_false(CONTAINS(b, "iTXt"));
	g_assert_false(CONTAINS(b, "zTXt"));
	g_assert_false(CONTAINS(b, "eXIf"));
	g_assert_false(CONTAINS(b, "iCCP"));
}

static void
test_jpeg_metadata(void)
{
	g_autoptr(GBytes) in = hostile_jpeg(120, 80);
	struct mg_cdr_result res;

	/* The sample really carries what must go. */
	g_assert_true(CONTAINS(in, "Exif"));
	g_assert_true(CONTAINS(in, "SECRET-EXIF-DESC"));
	g_assert_true(CONTAINS(in, "SECRET-XMP-CREATOR"));
	g_assert_true(CONTAINS(in, "SECRET-JPEG-COMMENT"));
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/jpeg");
	g_assert_null(res.extension);
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	g_assert_false(removed(&res, MG_CDR_RM_TRAILING));
	assert_no_metadata_bytes(res.data);
	/* No GPS IFD tag (0x8825) survives, in either byte order. */
	g_assert_false(contains(res.data, "\x25\x88\x04\x00", 4));
	g_assert_false(contains(res.data, "\x88\x25\x00\x04", 4));
	assert_decodes(res.data, 120, 80);
	mg_cdr_result_clear(&res);
}

static void
test_jpeg_orientation(void)
{
	VipsImage *img = picture(60, 20, 3);
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result res;

	/* Orientation 6: the camera was turned; the pixels are turned
	 * when EXIF goes, so the picture still stands up. */
	vips_image_set_int(img, VIPS_META_ORIENTATION, 6);
	in = save_jpeg(img);
	g_object_unref(img);
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	assert_decodes(res.data, 20, 60);
	mg_cdr_result_clear(&res);
}

static void
test_png_text(void)
{
	VipsImage *img = picture(50, 40, 3);
	g_autoptr(GBytes) png = NULL, in = NULL;
	GByteArray *chunk = g_byte_array_new();
	static const char text[] = "Comment\0SECRET-PNG-COMMENT";
	struct mg_cdr_result res;

	set_metadata(img);
	png = save_png(img);
	g_object_unref(img);
	png_chunk(chunk, "tEXt", text, sizeof(text) - 1);
	/* XMP, uncompressed (ISO 15948 iTXt; XMP part 3, 1.1.5). */
	{
		GByteArray *itxt = g_byte_array_new();

		g_byte_array_append(
		    itxt, (const guint8 *)"XML:com.adobe.xmp\0\0\0\0\0", 22);
		g_byte_array_append(
		    itxt, (const guint8 *)xmp_packet, strlen(xmp_packet));
		png_chunk(chunk, "iTXt", itxt->data, itxt->len);
		g_byte_array_unref(itxt);
	}
	in = png_insert(png, chunk);
	g_byte_array_unref(chunk);
	g_assert_true(CONTAINS(in, "SECRET-PNG-COMMENT"));
	g_assert_true(CONTAINS(in, "SECRET-XMP-CREATOR"));
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_null(res.extension);
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	assert_no_metadata_bytes(res.data);
	assert_decodes(res.data, 50, 40);
	mg_cdr_result_clear(&res);
}

static void
test_clean_png(void)
{
	VipsImage *img = picture(30, 30, 1);
	void *buf;
	size_t len;
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result res;
	double v[1];

	g_assert_cmpint(
	    vips_pngsave_buffer(img, &buf, &len, "strip", TRUE, NULL), ==, 0);
	g_object_unref(img);
	in = bytes_of(buf, len);
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(res.removed->len, ==, 0);
	assert_decodes(res.data, 30, 30);
	pixel(res.data, 17, 3, v, 1);
	g_assert_cmpfloat(v[0], ==, 17);
	mg_cdr_result_clear(&res);
}

static void
test_gif(void)
{
	VipsImage *img = picture(64, 32, 3);
	void *buf;
	size_t len;
	g_autoptr(GBytes) gif = NULL, in = NULL;
	GByteArray *a = g_byte_array_new();
	static const guint8 comment[] = {0x21, 0xfe, 18, 'S', 'E', 'C', 'R',
	    'E', 'T', '-', 'G', 'I', 'F', '-', 'C', 'O', 'M', 'M', 'E', 'N',
	    'T', 0};
	const guint8 *p;
	gsize n, gct;
	struct mg_cdr_result res;

	g_assert_cmpint(vips_gifsave_buffer(img, &buf, &len, NULL), ==, 0);
	g_object_unref(img);
	gif = bytes_of(buf, len);
	/* A comment extension after the global colour table. */
	p = g_bytes_get_data(gif, &n);
	gct = (p[10] & 0x80) ? 3u << ((p[10] & 7) + 1) : 0;
	g_byte_array_append(a, p, 13 + gct);
	g_byte_array_append(a, comment, sizeof(comment));
	g_byte_array_append(a, p + 13 + gct, n - 13 - gct);
	in = g_byte_array_free_to_bytes(a);
	g_assert_true(CONTAINS(in, "SECRET-GIF-COMMENT"));

	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_cmpstr(res.extension, ==, "png");
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	assert_no_metadata_bytes(res.data);
	assert_decodes(res.data, 64, 32);
	mg_cdr_result_clear(&res);

	/* The same GIF without the comment: nothing to report. */
	run(&mg_cdr_image, gif, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(res.removed->len, ==, 0);
	mg_cdr_result_clear(&res);
}

static void
test_tiff(void)
{
	VipsImage *img = picture(40, 30, 3);
	void *buf;
	size_t len;
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result res;

	set_metadata(img);
	vips_image_set_string(
	    img, VIPS_META_IMAGEDESCRIPTION, "SECRET-TIFF-DESCRIPTION");
	g_assert_cmpint(vips_tiffsave_buffer(img, &buf, &len, NULL), ==, 0);
	g_object_unref(img);
	in = bytes_of(buf, len);
	g_assert_true(CONTAINS(in, "SECRET-TIFF-DESCRIPTION"));
	g_assert_true(CONTAINS(in, "SECRET-XMP-CREATOR"));
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_cmpstr(res.extension, ==, "png");
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	assert_no_metadata_bytes(res.data);
	assert_decodes(res.data, 40, 30);
	mg_cdr_result_clear(&res);
}

static void
test_tiff_pages(void)
{
	VipsImage *page = picture(30, 20, 1), *all;
	VipsImage *pages[3] = {page, page, page};
	void *buf;
	size_t len;
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result res;
	VipsImage *back;

	g_assert_cmpint(
	    vips_arrayjoin(pages, &all, 3, "across", 1, NULL), ==, 0);
	g_object_unref(page);
	vips_image_set_int(all, VIPS_META_PAGE_HEIGHT, 20);
	vips_image_set_string(
	    all, VIPS_META_IMAGEDESCRIPTION, "SECRET-FAX-DESCRIPTION");
	g_assert_cmpint(vips_tiffsave_buffer(all, &buf, &len, NULL), ==, 0);
	g_object_unref(all);
	in = bytes_of(buf, len);
	run(&mg_cdr_image, in, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	/* A fax keeps its pages, so it stays a (multi-page) TIFF. */
	g_assert_cmpstr(res.mime_type, ==, "image/tiff");
	g_assert_null(res.extension);
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	g_assert_false(CONTAINS(res.data, "SECRET"));
	back = vips_image_new_from_buffer(g_bytes_get_data(res.data, NULL),
	    g_bytes_get_size(res.data), "n=-1", NULL);
	g_assert_nonnull(back);
	g_assert_cmpint(vips_image_get_n_pages(back), ==, 3);
	g_assert_cmpint(vips_image_get_height(back), ==, 60);
	g_object_unref(back);
	mg_cdr_result_clear(&res);
}

static void
test_webp(void)
{
	VipsImage *img = picture(48, 36, 3);
	void *buf;
	size_t len;
	g_autoptr(GBytes) lossy = NULL, lossless = NULL, cut = NULL;
	struct mg_cdr_result res;

	set_metadata(img);
	g_assert_cmpint(vips_webpsave_buffer(img, &buf, &len, NULL), ==, 0);
	lossy = bytes_of(buf, len);
	g_assert_cmpint(
	    vips_webpsave_buffer(img, &buf, &len, "lossless", TRUE, NULL), ==,
	    0);
	lossless = bytes_of(buf, len);
	g_object_unref(img);
	g_assert_true(CONTAINS(lossy, "SECRET-XMP-CREATOR"));

	/* Lossy and opaque: a photograph, so JPEG. */
	run(&mg_cdr_image, lossy, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/jpeg");
	g_assert_cmpstr(res.extension, ==, "jpg");
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	assert_no_metadata_bytes(res.data);
	assert_decodes(res.data, 48, 36);
	mg_cdr_result_clear(&res);

	run(&mg_cdr_image, lossless, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_cmpstr(res.extension, ==, "png");
	assert_no_metadata_bytes(res.data);
	assert_decodes(res.data, 48, 36);
	mg_cdr_result_clear(&res);

	/* Cut short: the RIFF size points past the end. */
	cut = g_bytes_new_from_bytes(lossy, 0, g_bytes_get_size(lossy) - 10);
	run(&mg_cdr_image, cut, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&res);
}

/* A BMP: 14-byte file header, BITMAPINFOHEADER (or V5), then `extra`
 * (masks or palette), then rows. */
static GBytes *
make_bmp(guint32 hs, int w, int h, guint bpp, guint32 comp, const guint8 *extra,
    gsize extra_len, const guint8 *rows, gsize rows_len)
{
	GByteArray *a = g_byte_array_new();
	guint8 hdr[124] = {0};
	guint32 off = 14 + hs + (guint32)extra_len;
	guint32 size = off + (guint32)rows_len;
	guint8 fh[14] = {'B', 'M', size, size >> 8, size >> 16, size >> 24, 0,
	    0, 0, 0, off, off >> 8, off >> 16, off >> 24};

	hdr[0] = hs;
	memcpy(hdr + 4, &w, 4); /* little-endian host */
	memcpy(hdr + 8, &h, 4);
	hdr[12] = 1;
	hdr[14] = bpp;
	memcpy(hdr + 16, &comp, 4);
	g_byte_array_append(a, fh, 14);
	g_byte_array_append(a, hdr, hs);
	if (extra_len > 0)
		g_byte_array_append(a, extra, extra_len);
	g_byte_array_append(a, rows, rows_len);
	return g_byte_array_free_to_bytes(a);
}

static void
test_bmp(void)
{
	/* 24-bit, 2x2, bottom-up: bottom row blue, red; top row green,
	 * white.  Rows are padded to 4 bytes. */
	static const guint8 rows24[] = {
	    0xff, 0, 0, 0, 0, 0xff, 0, 0, 0, 0xff, 0, 0xff, 0xff, 0xff, 0, 0};
	/* 8-bit palette, 3x1: indexes 0, 1, 2 (2 is past the palette). */
	static const guint8 pal[] = {0, 0, 0xff, 0, 0, 0xff, 0, 0};
	static const guint8 rows8[] = {0, 1, 2, 0};
	/* 32-bit BI_BITFIELDS with alpha, 1x1, top-down. */
	static const guint8 masks[] = {
	    0, 0, 0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0xff};
	static const guint8 rows32[] = {0x10, 0x20, 0x30, 0x80};
	/* 1-bit, 9x1 (two bytes, padded). */
	static const guint8 pal1[] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0};
	static const guint8 rows1[] = {0xaa, 0x80, 0, 0};
	g_autoptr(GBytes) b24 =
	    make_bmp(40, 2, 2, 24, 0, NULL, 0, rows24, sizeof(rows24));
	g_autoptr(GBytes) b8 =
	    make_bmp(40, 3, 1, 8, 0, pal, sizeof(pal), rows8, sizeof(rows8));
	g_autoptr(GBytes) b32 = make_bmp(
	    40, 1, -1, 32, 6, masks, sizeof(masks), rows32, sizeof(rows32));
	g_autoptr(GBytes) b1 =
	    make_bmp(40, 9, 1, 1, 0, pal1, sizeof(pal1), rows1, sizeof(rows1));
	g_autoptr(GBytes) rle =
	    make_bmp(40, 3, 1, 8, 1, pal, sizeof(pal), rows8, sizeof(rows8));
	g_autoptr(GBytes) cut = NULL, huge = NULL, polyglot = NULL;
	struct mg_cdr_result res;
	double v[4];

	run(&mg_cdr_image, b24, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.extension, ==, "png");
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_cmpuint(res.removed->len, ==, 0);
	assert_decodes(res.data, 2, 2);
	pixel(res.data, 0, 1, v, 3); /* bottom left: blue */
	g_assert_cmpfloat(v[0], ==, 0);
	g_assert_cmpfloat(v[2], ==, 255);
	pixel(res.data, 1, 1, v, 3); /* bottom right: red */
	g_assert_cmpfloat(v[0], ==, 255);
	g_assert_cmpfloat(v[2], ==, 0);
	pixel(res.data, 0, 0, v, 3); /* top left: green */
	g_assert_cmpfloat(v[1], ==, 255);
	mg_cdr_result_clear(&res);

	run(&mg_cdr_image, b8, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	pixel(res.data, 0, 0, v, 3);
	g_assert_cmpfloat(v[0], ==, 255);
	pixel(res.data, 1, 0, v, 3);
	g_assert_cmpfloat(v[1], ==, 255);
	pixel(res.data, 2, 0, v, 3); /* past the palette: black */
	g_assert_cmpfloat(v[0] + v[1] + v[2], ==, 0);
	mg_cdr_result_clear(&res);

	run(&mg_cdr_image, b32, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	pixel(res.data, 0, 0, v, 4);
	g_assert_cmpfloat(v[0], ==, 0x30);
	g_assert_cmpfloat(v[1], ==, 0x20);
	g_assert_cmpfloat(v[2], ==, 0x10);
	g_assert_cmpfloat(v[3], ==, 0x80);
	mg_cdr_result_clear(&res);

	run(&mg_cdr_image, b1, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	assert_decodes(res.data, 9, 1);
	pixel(res.data, 0, 0, v, 1);
	g_assert_cmpfloat(v[0], ==, 255);
	pixel(res.data, 1, 0, v, 1);
	g_assert_cmpfloat(v[0], ==, 0);
	pixel(res.data, 8, 0, v, 1);
	g_assert_cmpfloat(v[0], ==, 255);
	mg_cdr_result_clear(&res);

	/* RLE is not decoded here: refused. */
	run(&mg_cdr_image, rle, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(res.reason, ==, MG_REASON_UNSUPPORTED);
	mg_cdr_result_clear(&res);

	/* Rows missing. */
	cut = g_bytes_new_from_bytes(b24, 0, g_bytes_get_size(b24) - 3);
	run(&mg_cdr_image, cut, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&res);

	/* 30000 x 30000 claimed: over the limit before any allocation. */
	huge = make_bmp(40, 30000, 30000, 24, 0, NULL, 0, rows24, 16);
	run(&mg_cdr_image, huge, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(res.reason, ==, MG_REASON_PART_TOO_LARGE);
	mg_cdr_result_clear(&res);

	/* Bytes after the pixel rows. */
	{
		GByteArray *a = g_byte_array_new();

		g_byte_array_append(
		    a, g_bytes_get_data(b24, NULL), g_bytes_get_size(b24));
		g_byte_array_append(a, (const guint8 *)"PK\x03\x04SECRET", 10);
		polyglot = g_byte_array_free_to_bytes(a);
	}
	run(&mg_cdr_image, polyglot, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(removed(&res, MG_CDR_RM_TRAILING));
	g_assert_false(CONTAINS(res.data, "SECRET"));
	mg_cdr_result_clear(&res);
}

static GBytes *
append(GBytes *a, const void *tail, gsize n)
{
	GByteArray *o = g_byte_array_new();

	g_byte_array_append(o, g_bytes_get_data(a, NULL), g_bytes_get_size(a));
	g_byte_array_append(o, tail, n);
	return g_byte_array_free_to_bytes(o);
}

static void
test_polyglot(void)
{
	static const char html[] =
	    "<html><body><script>alert('SECRET-HTML')</script></body></html>";
	/* A stored zip member header and its name. */
	static const guint8 zip[] = {'P', 'K', 3, 4, 10, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 'e', 'v', 'i',
	    'l', '.', 'h', 't', 'a', 'x', 'x', 'P', 'K', 5, 6};
	VipsImage *img = picture(32, 32, 3);
	g_autoptr(GBytes) png = save_png(img);
	g_autoptr(GBytes) jpg = save_jpeg(img);
	g_autoptr(GBytes) p1 = append(png, zip, sizeof(zip));
	g_autoptr(GBytes) p2 = append(png, html, sizeof(html) - 1);
	g_autoptr(GBytes) p3 = append(jpg, zip, sizeof(zip));
	GBytes *cases[] = {p1, p2, p3};
	struct mg_cdr_result res;
	gsize i;

	g_object_unref(img);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		run(&mg_cdr_image, cases[i], &res);
		g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
		g_assert_true(removed(&res, MG_CDR_RM_TRAILING));
		g_assert_false(contains(res.data, "PK\x03\x04", 4));
		g_assert_false(contains(res.data, "PK\x05\x06", 4));
		g_assert_false(CONTAINS(res.data, "evil.hta"));
		g_assert_false(CONTAINS(res.data, "<script"));
		g_assert_false(CONTAINS(res.data, "SECRET"));
		assert_decodes(res.data, 32, 32);
		mg_cdr_result_clear(&res);
	}
}

/* A PNG whose IHDR claims w x h, with one tiny IDAT. */
static GBytes *
png_claiming(guint32 w, guint32 h)
{
	static const guint8 sig[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	/* zlib stream of a few zero bytes */
	static const guint8 idat[] = {
	    0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0, 0, 0, 4, 0, 1};
	GByteArray *a = g_byte_array_new();
	guint8 ihdr[13] = {w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16,
	    h >> 8, h, 8, 2, 0, 0, 0};

	g_byte_array_append(a, sig, 8);
	png_chunk(a, "IHDR", ihdr, 13);
	png_chunk(a, "IDAT", idat, sizeof(idat));
	png_chunk(a, "IEND", NULL, 0);
	return g_byte_array_free_to_bytes(a);
}

static void
test_dimension_bombs(void)
{
	g_autoptr(GBytes) png = png_claiming(100000, 100000);
	g_autoptr(GBytes) wide = png_claiming(30000, 10);
	g_autoptr(GBytes) pixels = png_claiming(15000, 15000);
	g_autoptr(GBytes) jpg = NULL, gif = NULL;
	GBytes *cases[5];
	struct mg_cdr_result res;
	gint64 t0;
	gsize i;

	/* A JPEG whose SOF0 claims 60000 x 60000. */
	{
		VipsImage *img = picture(16, 16, 3);
		g_autoptr(GBytes) j = save_jpeg(img);
		gsize n;
		guint8 *p = g_memdup2(
		    g_bytes_get_data(j, NULL), (n = g_bytes_get_size(j)));

		g_object_unref(img);
		for (i = 0; i + 9 < n; i++)
			if (p[i] == 0xff && p[i + 1] == 0xc0) {
				p[i + 5] = 0xea, p[i + 6] = 0x60;
				p[i + 7] = 0xea, p[i + 8] = 0x60;
				break;
			}
		jpg = bytes_of(p, n);
	}
	/* A GIF whose screen and frame are 30000 x 30000. */
	{
		VipsImage *img = picture(8, 8, 1);
		void *buf;
		size_t n;
		guint8 *p;

		g_assert_cmpint(
		    vips_gifsave_buffer(img, &buf, &n, NULL), ==, 0);
		g_object_unref(img);
		gsize i2;

		p = buf;
		/* Screen and first frame 30000 x 30000 (0x7530). */
		p[6] = p[8] = 0x30;
		p[7] = p[9] = 0x75;
		i2 = 13 + ((p[10] & 0x80) ? 3u << ((p[10] & 7) + 1) : 0);
		while (i2 < n && p[i2] == 0x21) {
			i2 += 2;
			while (i2 < n && p[i2] != 0)
				i2 += p[i2] + 1;
			i2++;
		}
		g_assert_cmpint(p[i2], ==, 0x2c);
		p[i2 + 5] = p[i2 + 7] = 0x30;
		p[i2 + 6] = p[i2 + 8] = 0x75;
		gif = bytes_of(buf, n);
	}
	cases[0] = png, cases[1] = wide, cases[2] = pixels, cases[3] = jpg;
	cases[4] = gif;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		t0 = g_get_monotonic_time();
		run(&mg_cdr_image, cases[i], &res);
		if (res.outcome != MG_CDR_REFUSED)
			g_error("case %" G_GSIZE_FORMAT " not refused", i);
		g_assert_cmpint(res.reason, ==, MG_REASON_PART_TOO_LARGE);
		/* Refused from the header: no time spent on pixels. */
		g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC);
		mg_cdr_result_clear(&res);
	}
}

static void
test_truncated(void)
{
	g_autoptr(GBytes) jpg = hostile_jpeg(200, 150);
	VipsImage *img = picture(200, 150, 3);
	g_autoptr(GBytes) png = save_png(img);
	gsize cuts[] = {2, 10, 100, 400, 0};
	struct mg_cdr_result res;
	gsize i;

	g_object_unref(img);
	cuts[4] = g_bytes_get_size(jpg) - 2; /* only EOI missing */
	for (i = 0; i < G_N_ELEMENTS(cuts); i++) {
		g_autoptr(GBytes) c = g_bytes_new_from_bytes(jpg, 0, cuts[i]);

		run(&mg_cdr_image, c, &res);
		g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
		mg_cdr_result_clear(&res);
	}
	for (i = 8; i < g_bytes_get_size(png); i += 97) {
		g_autoptr(GBytes) c = g_bytes_new_from_bytes(png, 0, i);

		run(&mg_cdr_image, c, &res);
		g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
		mg_cdr_result_clear(&res);
	}
	/* A JPEG whose entropy-coded data is cut but which still ends in
	 * EOI: the decoder, not the structure walk, must refuse it. */
	{
		gsize n = g_bytes_get_size(jpg);
		const guint8 *p = g_bytes_get_data(jpg, NULL);
		GByteArray *a = g_byte_array_new();
		g_autoptr(GBytes) c = NULL;

		g_byte_array_append(a, p, n / 2);
		g_byte_array_append(a, (const guint8 *)"\xff\xd9", 2);
		c = g_byte_array_free_to_bytes(a);
		run(&mg_cdr_image, c, &res);
		g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
		mg_cdr_result_clear(&res);
	}
}

static void
test_garbage(void)
{
	static const char *const inputs[] = {"", "\xff\xd8\xff", "GIF89a", "BM",
	    "RIFF\x04\0\0\0WEBP", "II*\0\x08\0\0\0\0\0", "\x89PNG\r\n\x1a\n",
	    "not an image at all"};
	struct mg_cdr_result res;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		gsize n = strlen(inputs[i]);
		g_autoptr(GBytes) b = NULL;

		/* The TIFF and WebP headers hold NULs. */
		if (i == 4)
			n = 12;
		else if (i == 5)
			n = 10;
		b = g_bytes_new_static(inputs[i], n);
		run(&mg_cdr_image, b, &res);
		g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
		mg_cdr_result_clear(&res);
	}
}

static void
test_size_limit(void)
{
	VipsImage *img = picture(64, 64, 3);
	g_autoptr(GBytes) png = save_png(img);
	struct mg_cdr_result res;
	struct mg_limits saved = limits;

	g_object_unref(img);
	limits.max_part_size = 100;
	run(&mg_cdr_image, png, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(res.reason, ==, MG_REASON_PART_TOO_LARGE);
	mg_cdr_result_clear(&res);
	limits = saved;
}

static void
test_image_bid(void)
{
	static const guint8 jpg[] = {0xff, 0xd8, 0xff, 0xe0};
	static const guint8 png[] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	g_assert_cmpint(mg_cdr_image.bid("image/jpeg", "jpg", jpg, 4), >, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/jpeg", "jpeg", jpg, 4), >, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/jpeg", NULL, jpg, 4), >, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/jpeg", "png", jpg, 4), ==, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/jpeg", "exe", jpg, 4), ==, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/png", "png", jpg, 4), ==, 0);
	g_assert_cmpint(mg_cdr_image.bid("image/png", "png", png, 8), >, 0);
	g_assert_cmpint(
	    mg_cdr_image.bid("image/x-ms-bmp", "bmp", (const guint8 *)"BM", 2),
	    >, 0);
	g_assert_cmpint(mg_cdr_image.bid("text/plain", "jpg", jpg, 4), ==, 0);
	g_assert_cmpint(mg_cdr_image.bid(NULL, "jpg", jpg, 4), ==, 0);
	g_assert_cmpint(
	    mg_cdr_image.bid("image/svg+xml", "svg", NULL, 0), ==, 0);
	g_assert_cmpint(mg_cdr_svg.bid("image/svg+xml", "svg", NULL, 0), >, 0);
	g_assert_cmpint(mg_cdr_svg.bid("image/svg+xml", NULL, NULL, 0), >, 0);
	g_assert_cmpint(mg_cdr_svg.bid("image/svg+xml", "png", NULL, 0), ==, 0);
	g_assert_cmpint(mg_cdr_svg.bid("text/xml", "svg",
	                    (const guint8 *)"<svg xmlns='x'/>", 16),
	    >, 0);
	g_assert_cmpint(mg_cdr_svg.bid("image/png", "png", png, 8), ==, 0);
}

/* ---- SVG ---- */

static GBytes *
str_bytes(const char *s)
{
	return g_bytes_new(s, strlen(s));
}

static GBytes *
rebuild_svg(const char *svg, struct mg_cdr_result *res)
{
	g_autoptr(GBytes) in = str_bytes(svg);

	run(&mg_cdr_svg, in, res);
	return res->data;
}

/* A 40x30 red PNG, as base64, for data: URLs and files on disk. */
static GBytes *
red_png(void)
{
	VipsImage *black, *red;
	double c[3] = {255, 0, 0};
	GBytes *b;

	g_assert_cmpint(vips_black(&black, 40, 30, "bands", 3, NULL), ==, 0);
	g_assert_cmpint(vips_linear(black, &red, (double[]){1, 1, 1}, c, 3,
	                    "uchar", TRUE, NULL),
	    ==, 0);
	g_object_unref(black);
	red->Type = VIPS_INTERPRETATION_sRGB;
	b = save_png(red);
	g_object_unref(red);
	return b;
}

static void
test_svg_script_external(void)
{
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GInetAddress) lo =
	    g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GSocket) conn = NULL;
	g_autofree char *dir = NULL, *file = NULL, *svg = NULL;
	g_autoptr(GBytes) red = red_png();
	struct mg_cdr_result res;
	guint16 port;
	int x, y;

	/* A listener: any attempt to fetch the http: image would reach it. */
	sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
	    G_SOCKET_PROTOCOL_TCP, &err);
	g_assert_no_error(err);
	g_assert_true(g_socket_bind(sock, addr, TRUE, &err));
	g_assert_true(g_socket_listen(sock, &err));
	bound = g_socket_get_local_address(sock, &err);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	/* A red image on disk: a file: reference must not draw it. */
	dir = g_dir_make_tmp("mg-svg-XXXXXX", &err);
	g_assert_no_error(err);
	file = g_build_filename(dir, "red.png", NULL);
	g_assert_true(g_file_set_contents(
	    file, g_bytes_get_data(red, NULL), g_bytes_get_size(red), &err));

	svg = g_strdup_printf(
	    "<?xml version='1.0'?>\n"
	    "<svg xmlns='http://www.w3.org/2000/svg' "
	    "xmlns:xlink='http://www.w3.org/1999/xlink' width='40' "
	    "height='30' onload='alert(1)'>"
	    "<script type='text/javascript'>alert('SECRET-SCRIPT')</script>"
	    "<metadata>SECRET-METADATA</metadata>"
	    "<rect width='40' height='30' fill='#00ff00'/>"
	    "<image x='0' y='0' width='40' height='30' "
	    "href='http://127.0.0.1:%u/x.png'/>"
	    "<image x='0' y='0' width='40' height='30' "
	    "xlink:href='file://%s'/>"
	    "<image x='0' y='0' width='40' height='30' href='red.png'/>"
	    "<a href='https://example.com/'><text x='1' y='10' "
	    "onclick='evil()'>link</text></a>"
	    "</svg>",
	    port, file);
	rebuild_svg(svg, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(res.extension, ==, "png");
	g_assert_cmpstr(res.mime_type, ==, "image/png");
	g_assert_true(removed(&res, MG_CDR_RM_SCRIPT));
	g_assert_true(removed(&res, MG_CDR_RM_EXTERNAL));
	g_assert_true(removed(&res, MG_CDR_RM_LINKS));
	g_assert_true(removed(&res, MG_CDR_RM_METADATA));
	g_assert_false(CONTAINS(res.data, "SECRET"));
	g_assert_false(CONTAINS(res.data, "<script"));
	g_assert_false(CONTAINS(res.data, "127.0.0.1"));
	assert_decodes(res.data, 40, 30);
	/* Green everywhere: neither image was drawn. */
	for (y = 0; y < 30; y += 7)
		for (x = 0; x < 40; x += 13) {
			double v[3];

			pixel(res.data, x, y, v, 3);
			g_assert_cmpfloat(v[0], <, 50);
			g_assert_cmpfloat(v[1], >, 200);
		}
	mg_cdr_result_clear(&res);

	g_socket_set_blocking(sock, FALSE);
	conn = g_socket_accept(sock, NULL, &err);
	g_assert_null(conn);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_unlink(file);
	g_rmdir(dir);
}

/* The walk, as far as an SVG's embedded images need it: the image
 * module rebuilds them.  `walk` counts the calls. */
static GBytes *
nested_image(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	struct mg_cdr_result r;
	GBytes *back = NULL;

	(*(guint *)walk)++;
	g_assert_nonnull(name);
	g_assert_true(g_str_has_prefix(type, "image/"));
	run(&mg_cdr_image, data, &r);
	if (r.outcome == MG_CDR_REBUILT)
		back = g_bytes_ref(r.data);
	mg_cdr_result_clear(&r);
	return back;
}

static void
rebuild_svg_nested(const char *svg, guint *calls, struct mg_cdr_result *res)
{
	g_autoptr(GBytes) in = str_bytes(svg);
	struct mg_cdr_ctx ctx = {0};

	ctx.limits = &limits;
	ctx.nested = nested_image;
	ctx.walk = calls;
	run_ctx(&mg_cdr_svg, &ctx, in, res);
}

static void
test_svg_data_image(void)
{
	g_autoptr(GBytes) red = red_png();
	g_autofree char *b64 =
	    g_base64_encode(g_bytes_get_data(red, NULL), g_bytes_get_size(red));
	g_autofree char *svg = g_strdup_printf(
	    "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='30'>"
	    "<rect width='40' height='30' fill='#00ff00'/>"
	    "<image width='40' height='30' href='data:image/png;base64,%s'/>"
	    "</svg>",
	    b64);
	/* A TGA under a PNG label: the image module refuses it, so
	 * gdk-pixbuf never sees it and it is left out. */
	static const char disguised[] =
	    "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='30'>"
	    "<rect width='40' height='30' fill='#00ff00'/>"
	    "<image width='40' height='30' "
	    "href='data:image/png;base64,AAACAAAAAAAAAAAAAQABABgA/wAA'/>"
	    "</svg>";
	struct mg_cdr_result res;
	guint calls = 0;
	double v[3];

	/* Rebuilt by the image module, then drawn. */
	rebuild_svg_nested(svg, &calls, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(calls, ==, 1);
	g_assert_cmpuint(res.removed->len, ==, 0);
	pixel(res.data, 20, 15, v, 3);
	g_assert_cmpfloat(v[0], >, 200);
	g_assert_cmpfloat(v[1], <, 50);
	mg_cdr_result_clear(&res);

	/* Without a walk the image is left out, and the report says so. */
	rebuild_svg(svg, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(removed(&res, MG_CDR_RM_EMBEDDED));
	pixel(res.data, 20, 15, v, 3);
	g_assert_cmpfloat(v[0], <, 50);
	g_assert_cmpfloat(v[1], >, 200);
	mg_cdr_result_clear(&res);

	calls = 0;
	rebuild_svg_nested(disguised, &calls, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(calls, ==, 1);
	g_assert_true(removed(&res, MG_CDR_RM_EMBEDDED));
	pixel(res.data, 20, 15, v, 3);
	g_assert_cmpfloat(v[1], >, 200);
	mg_cdr_result_clear(&res);
}

static void
test_svg_links(void)
{
	static const char svg[] =
	    "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
	    "<a "
	    "href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>"
	    "<rect width='5' height='5'/></a>"
	    "<a href='javascript:alert(1)'><rect x='5' width='5' "
	    "height='5'/></a></svg>";
	struct mg_cdr_result res;

	/* Links are never followed, whatever their target: they only
	 * disappear with the vector drawing. */
	rebuild_svg(svg, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(removed(&res, MG_CDR_RM_LINKS));
	g_assert_true(removed(&res, MG_CDR_RM_SCRIPT));
	g_assert_false(removed(&res, MG_CDR_RM_EXTERNAL));
	g_assert_false(CONTAINS(res.data, "PHNjcmlwdD"));
	assert_decodes(res.data, 10, 10);
	mg_cdr_result_clear(&res);
}

static void
test_svg_refused(void)
{
	static const char *const svgs[] = {
	    /* A data: URL for a loader other than PNG/JPEG/GIF. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='data:image/x-tga;base64,AAAA'/></svg>",
	    /* GIF, and a PNG not in base64: only base64 PNG and JPEG. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='data:image/gif;base64,R0lGODlhAQABAAAAACw='/>"
	    "</svg>",
	    "<svg xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='data:image/png,%89PNG'/></svg>",
	    /* No MIME type: librsvg would sniff. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='data:;base64,AAAA'/></svg>",
	    /* A data: URL hidden by a CSS escape. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><rect width='9' "
	    "height='9' style='fill:url(d\\61ta:image/svg+xml,x#a)'/></svg>",
	    /* Split by CDATA and a comment inside a style sheet. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><style>@import "
	    "url(da<![CDATA[ta:text/css,]]><!-- x -->rect{})</style></svg>",
	    /* A style sheet with an element inside. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><style>@import "
	    "url(da<b>x</b>ta:text/css,)</style></svg>",
	    /* In a processing instruction. */
	    "<?xml-stylesheet href='data:text/css,rect{}'?>"
	    "<svg xmlns='http://www.w3.org/2000/svg'/>",
	    /* XInclude of an embedded document. */
	    "<svg xmlns='http://www.w3.org/2000/svg' "
	    "xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include "
	    "href='data:image/png;base64,AAAA' parse='xml'/></svg>",
	    /* <use> of an embedded document. */
	    "<svg xmlns='http://www.w3.org/2000/svg'><use "
	    "href='data:image/svg+xml;base64,AAAA#a'/></svg>",
	    /* Tab inside the scheme (URL parsers drop it). */
	    "<svg xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='da&#9;ta:image/x-xpm,AAAA'/></svg>",
	    /* An external entity (XXE). */
	    "<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY x SYSTEM "
	    "'file:///etc/passwd'>]><svg "
	    "xmlns='http://www.w3.org/2000/svg'><text>&x;</text></svg>",
	    /* A parameter entity. */
	    "<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY % p 'x'>]><svg "
	    "xmlns='http://www.w3.org/2000/svg'/>",
	    /* An internal entity spelling a data: URL. */
	    "<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY u "
	    "'data:image/x-tga;base64,AAAA'>]><svg "
	    "xmlns='http://www.w3.org/2000/svg'><image width='9' "
	    "height='9' href='&u;'/></svg>",
	    /* Not XML, not SVG, truncated. */
	    "this is not xml",
	    "<html><body>hello</body></html>",
	    "<svg xmlns='http://www.w3.org/2000/svg'><rect",
	    "",
	};
	struct mg_cdr_result res;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(svgs); i++) {
		rebuild_svg(svgs[i], &res);
		if (res.outcome != MG_CDR_REFUSED)
			g_error("case %" G_GSIZE_FORMAT " not refused", i);
		mg_cdr_result_clear(&res);
	}
}

static void
test_svg_entities_and_size(void)
{
	/* Internal entities, as Illustrator writes them, are fine. */
	static const char illustrator[] =
	    "<?xml version='1.0'?><!DOCTYPE svg PUBLIC '-//W3C//DTD SVG "
	    "1.1//EN' 'http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd' "
	    "[<!ENTITY ns_svg 'http://www.w3.org/2000/svg'>]>"
	    "<svg xmlns='&ns_svg;' width='20' height='10'><rect "
	    "width='20' height='10' fill='blue'/></svg>";
	/* A billion laughs. */
	static const char laughs[] =
	    "<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>"
	    "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
	    "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
	    "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
	    "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
	    "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
	    "<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
	    "]><svg xmlns='http://www.w3.org/2000/svg'><text>&g;</text>"
	    "</svg>";
	/* A million pixels a side: drawn smaller, within the limits. */
	static const char huge[] =
	    "<svg xmlns='http://www.w3.org/2000/svg' width='1000000' "
	    "height='500000'><rect width='100%' height='100%' "
	    "fill='red'/></svg>";
	/* Only a viewBox: the default size. */
	static const char viewbox[] =
	    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 200 100'>"
	    "<rect width='200' height='100' fill='red'/></svg>";
	struct mg_cdr_result res;
	VipsImage *img;
	gint64 t0;

	rebuild_svg(illustrator, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	assert_decodes(res.data, 20, 10);
	mg_cdr_result_clear(&res);

	t0 = g_get_monotonic_time();
	rebuild_svg(laughs, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
	mg_cdr_result_clear(&res);

	rebuild_svg(huge, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	img = decode(res.data);
	g_assert_cmpint(vips_image_get_width(img), <=, 8192);
	g_assert_cmpint(
	    (gint64)vips_image_get_width(img) * vips_image_get_height(img), <=,
	    32 * 1024 * 1024);
	g_assert_cmpint(
	    vips_image_get_width(img), >=, vips_image_get_height(img) * 2 - 1);
	g_object_unref(img);
	mg_cdr_result_clear(&res);

	rebuild_svg(viewbox, &res);
	g_assert_cmpint(res.outcome, ==, MG_CDR_REBUILT);
	assert_decodes(res.data, 1024, 512);
	mg_cdr_result_clear(&res);
}

/* ---- public samples ---- */

static char *
external_path(const char *rel)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	char *p;

	p = g_build_filename(src != NULL ? src : ".", "..", "shared",
	    "corpus-external", rel, NULL);
	if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
		g_free(p);
		return NULL;
	}
	return p;
}

static void
test_external(void)
{
	static const struct {
		const char *path;
		gboolean svg;
		int w, h; /* 0: not checked */
		const char *gone;
	} samples[] = {
	    {"dangerzone/sample-jpg.jpg", FALSE, 500, 500, "GIMP"},
	    {"dangerzone/sample-png.png", FALSE, 500, 500, "Comment"},
	    {"dangerzone/sample-gif.gif", FALSE, 500, 500, NULL},
	    {"dangerzone/sample-bmp.bmp", FALSE, 500, 500, NULL},
	    {"dangerzone/sample-svg.svg", TRUE, 0, 0, NULL},
	    {"pycirclean/dangerous/Example.svg", TRUE, 0, 0, NULL},
	};
	gsize i, found = 0;

	for (i = 0; i < G_N_ELEMENTS(samples); i++) {
		g_autofree char *path = external_path(samples[i].path);
		g_autoptr(GError) err = NULL;
		g_autoptr(GBytes) in = NULL;
		g_autoptr(GMappedFile) mf = NULL;
		struct mg_cdr_result res;
		VipsImage *img;

		if (path == NULL)
			continue;
		found++;
		mf = g_mapped_file_new(path, FALSE, &err);
		g_assert_no_error(err);
		in = g_mapped_file_get_bytes(mf);
		if (samples[i].svg) {
			struct mg_cdr_ctx ctx = {0};
			guint calls = 0;

			/* Embedded images through the image module. */
			ctx.limits = &limits;
			ctx.nested = nested_image;
			ctx.walk = &calls;
			run_ctx(&mg_cdr_svg, &ctx, in, &res);
			g_assert_false(removed(&res, MG_CDR_RM_EMBEDDED));
		} else {
			run(&mg_cdr_image, in, &res);
		}
		if (res.outcome != MG_CDR_REBUILT)
			g_error("%s: %s", samples[i].path, res.detail);
		if (samples[i].w != 0)
			assert_decodes(res.data, samples[i].w, samples[i].h);
		img = decode(res.data); /* the SVG rasters too */
		g_object_unref(img);
		assert_no_metadata_bytes(res.data);
		if (samples[i].gone != NULL)
			g_assert_false(CONTAINS(res.data, samples[i].gone));
		g_assert_false(removed(&res, MG_CDR_RM_SCRIPT));
		mg_cdr_result_clear(&res);
	}
	if (found == 0)
		g_test_skip("corpus-external not present");
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	/* libvips reports damage in hostile samples as warnings; only
	 * criticals (our bugs) are fatal here. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	if (VIPS_INIT(argv[0]) != 0)
		g_error("libvips failed to initialise");
	g_test_add_func("/cdr_image/jpeg_metadata", test_jpeg_metadata);
	g_test_add_func("/cdr_image/jpeg_orientation", test_jpeg_orientation);
	g_test_add_func("/cdr_image/png_text", test_png_text);
	g_test_add_func("/cdr_image/clean_png", test_clean_png);
	g_test_add_func("/cdr_image/gif", test_gif);
	g_test_add_func("/cdr_image/tiff", test_tiff);
	g_test_add_func("/cdr_image/tiff_pages", test_tiff_pages);
	g_test_add_func("/cdr_image/webp", test_webp);
	g_test_add_func("/cdr_image/bmp", test_bmp);
	g_test_add_func("/cdr_image/polyglot", test_polyglot);
	g_test_add_func("/cdr_image/dimension_bombs", test_dimension_bombs);
	g_test_add_func("/cdr_image/truncated", test_truncated);
	g_test_add_func("/cdr_image/garbage", test_garbage);
	g_test_add_func("/cdr_image/size_limit", test_size_limit);
	g_test_add_func("/cdr_image/bid", test_image_bid);
	g_test_add_func("/cdr_svg/script_external", test_svg_script_external);
	g_test_add_func("/cdr_svg/data_image", test_svg_data_image);
	g_test_add_func("/cdr_svg/links", test_svg_links);
	g_test_add_func("/cdr_svg/refused", test_svg_refused);
	g_test_add_func(
	    "/cdr_svg/entities_and_size", test_svg_entities_and_size);
	g_test_add_func("/cdr_image/external", test_external);
	rc = g_test_run();
	vips_shutdown();
	return rc;
}
