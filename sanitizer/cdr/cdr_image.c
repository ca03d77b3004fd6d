/*
 * cdr_image.c - raster images (JPEG, PNG, GIF, BMP, WebP, TIFF): decoded
 * under limits and encoded again, so that nothing but pixels crosses.
 *
 * Untrusted: every byte of the input.  The type is established here from
 * the file's own signature (the walk's libmagic type only chose the
 * module); each type goes to exactly one libvips loader, every other
 * loader (ImageMagick, PDF, SVG, OpenSlide, FITS, …) is blocked for the
 * whole process.  libvips 8.14 has no BMP loader of its own (it would use
 * ImageMagick), so BMP is decoded here by a small reader of uncompressed
 * BMPs; RLE and embedded JPEG/PNG BMPs are refused.
 *
 * Before a pixel is decoded the header is read and its dimensions checked
 * (IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS, IMAGE_MAX_DECODED); the loaders run
 * with fail_on=error so that a truncated or corrupt image is refused
 * rather than delivered half grey.  The output is PNG for the lossless
 * families (PNG, GIF, BMP, TIFF, lossless or transparent WebP), JPEG
 * (quality 90) for JPEG and opaque lossy WebP, and TIFF for multi-page
 * TIFF (fax documents keep their pages).  Colour profiles are applied
 * (the pixels converted to sRGB) and then dropped with EXIF, XMP, IPTC,
 * comments and text chunks; EXIF orientation is applied to the pixels
 * before EXIF goes.  Bytes after the image's end (polyglots, appended
 * archives) cannot survive a re-encode; a small walk over the JPEG, PNG,
 * GIF, WebP and BMP structure finds them so that the report can say so.
 *
 * Limits: input and output bytes against ctx->limits->max_part_size, the
 * decoded size against a multiple of it, and the IMAGE_* constants below.
 * Animated GIF, WebP and PNG keep their first frame; a multi-page TIFF
 * keeps every page (IMAGE_MAX_PAGES, all of one size, else refused).
 *
 * libvips is set up once per process (g_once): loaders blocked as above,
 * the operation cache off, one thread per image.  The caller owns `in`;
 * the result's data belongs to the caller.
 */
#include <string.h>

#include <vips/vips.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/*
 * 20000 pixels a side covers scans at 600 dpi of A0 and every camera
 * sold; 100 M pixels (a 400 MB RGBA buffer at most) is what one worker
 * may decode without risking its memory limit.  IMAGE_MAX_DECODED bounds
 * the same for 16-bit and many-band TIFFs.
 */
#define IMAGE_MAX_SIDE 20000
#define IMAGE_MAX_PIXELS (100u * 1000 * 1000)
#define IMAGE_MAX_DECODED ((guint64)512 * 1024 * 1024)
/*
 * Nor may the decoded pixels take more than this many times the part
 * size limit, so that a gateway configured for small parts also does
 * less work per image (a 12 M pixel photo needs a part limit of 5 MB).
 */
#define IMAGE_MAX_EXPANSION 8
/* RGBA plus one extra: anything wider is not a picture for mail. */
#define IMAGE_MAX_BANDS 5
/* A long fax; its pages are decoded as one tall image (page-height). */
#define IMAGE_MAX_PAGES 100
#define IMAGE_JPEG_QUALITY 90

enum family {
	FAM_NONE,
	FAM_JPEG,
	FAM_PNG,
	FAM_GIF,
	FAM_BMP,
	FAM_WEBP,
	FAM_TIFF,
};

static const struct {
	enum family fam;
	const char *const types[3];
	const char *const exts[6];
} families[] = {
    {FAM_JPEG, {"image/jpeg", "image/pjpeg"},
        {"jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"}},
    {FAM_PNG, {"image/png", "image/apng"}, {"png", "apng"}},
    {FAM_GIF, {"image/gif"}, {"gif"}},
    {FAM_BMP, {"image/bmp", "image/x-ms-bmp", "image/x-bmp"}, {"bmp", "dib"}},
    {FAM_WEBP, {"image/webp"}, {"webp"}},
    {FAM_TIFF, {"image/tiff"}, {"tif", "tiff"}},
};

/* What the walk over the file's structure found. */
struct scan {
	gsize end;           /* offset just past the image; 0: unknown */
	gboolean metadata;   /* comments, EXIF, XMP, ICC, text chunks */
	gboolean external;   /* a BMP colour profile linked by file name */
	gboolean webp_lossy; /* VP8 data, no alpha, one frame */
	gsize icc_off;       /* BMP: an embedded colour profile */
	gsize icc_len;
};

struct refusal {
	enum mg_reason reason;
	char *detail;
};

static guint32
be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
	       p[3];
}

static guint32
le32(const guint8 *p)
{
	return (guint32)p[3] << 24 | (guint32)p[2] << 16 | (guint32)p[1] << 8 |
	       p[0];
}

static guint16
le16(const guint8 *p)
{
	return (guint16)(p[1] << 8 | p[0]);
}

static enum family
sniff(const guint8 *p, gsize len)
{
	static const guint8 png_sig[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return FAM_JPEG;
	if (len >= 8 && memcmp(p, png_sig, 8) == 0)
		return FAM_PNG;
	if (len >= 6 &&
	    (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return FAM_GIF;
	if (len >= 2 && p[0] == 'B' && p[1] == 'M')
		return FAM_BMP;
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return FAM_WEBP;
	/* Classic TIFF only (TIFF 6.0 section 2); BigTIFF is not mail. */
	if (len >= 4 &&
	    (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
		return FAM_TIFF;
	return FAM_NONE;
}

static enum family
family_of_type(const char *type)
{
	gsize i, j;

	if (type == NULL)
		return FAM_NONE;
	for (i = 0; i < G_N_ELEMENTS(families); i++)
		for (j = 0; j < G_N_ELEMENTS(families[i].types); j++)
			if (families[i].types[j] != NULL &&
			    g_ascii_strcasecmp(type, families[i].types[j]) == 0)
				return families[i].fam;
	return FAM_NONE;
}

static gboolean
ext_agrees(enum family fam, const char *ext)
{
	gsize i, j;

	for (i = 0; i < G_N_ELEMENTS(families); i++) {
		if (families[i].fam != fam)
			continue;
		for (j = 0; j < G_N_ELEMENTS(families[i].exts); j++)
			if (families[i].exts[j] != NULL &&
			    g_ascii_strcasecmp(ext, families[i].exts[j]) == 0)
				return TRUE;
	}
	return FALSE;
}

/*
 * JPEG (ITU-T T.81 Annex B): marker segments from SOI to EOI.  After SOS
 * the entropy-coded data runs to the next 0xFF that is neither a stuffed
 * 0xFF00 nor a restart marker.  Returns FALSE when EOI is missing (a
 * truncated file) or a segment runs past the end.
 */
static gboolean
scan_jpeg(const guint8 *p, gsize len, struct scan *s)
{
	gsize i = 2;

	for (;;) {
		guint8 m;
		gsize seglen;

		/* Bytes that are not a marker: libjpeg skips them too. */
		while (i < len && p[i] != 0xff)
			i++;
		while (i < len && p[i] == 0xff)
			i++;
		if (i >= len)
			return FALSE;
		m = p[i++];
		if (m == 0xd9) {
			s->end = i;
			return TRUE;
		}
		if (m == 0x00 || m == 0x01 || m == 0xd8 ||
		    (m >= 0xd0 && m <= 0xd7))
			continue;
		if (len - i < 2)
			return FALSE;
		seglen = (gsize)p[i] << 8 | p[i + 1];
		if (seglen < 2 || seglen > len - i)
			return FALSE;
		/*
		 * APP1..APP13 and APP15 (Exif, XMP, ICC, MPF, IPTC, …) and
		 * COM are metadata; APP0 is JFIF unless it is the JFXX
		 * thumbnail, APP14 the Adobe colour transform.
		 */
		if (m == 0xfe || (m >= 0xe1 && m <= 0xef && m != 0xee) ||
		    (m == 0xe0 &&
		        (seglen < 7 || memcmp(p + i + 2, "JFIF\0", 5) != 0)))
			s->metadata = TRUE;
		i += seglen;
		if (m != 0xda)
			continue;
		while (len - i >= 2) {
			if (p[i] == 0xff && p[i + 1] != 0x00 &&
			    p[i + 1] != 0xff &&
			    !(p[i + 1] >= 0xd0 && p[i + 1] <= 0xd7))
				break;
			i++;
		}
		if (len - i < 2)
			return FALSE;
	}
}

/*
 * PNG (ISO/IEC 15948 section 5.3): chunks up to IEND.  Ancillary chunks
 * other than those that describe the pixels are metadata (tEXt, zTXt,
 * iTXt, eXIf, iCCP, tIME, private chunks).
 */
static gboolean
scan_png(const guint8 *p, gsize len, struct scan *s)
{
	static const char *const pixel_chunks[] = {"IHDR", "PLTE", "IDAT",
	    "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "hIST",
	    "sPLT", "acTL", "fcTL", "fdAT"};
	gsize i = 8, k;

	while (len - i >= 12) {
		guint32 clen = be32(p + i);
		const guint8 *type = p + i + 4;
		gboolean known = FALSE;

		if (clen > 0x7fffffffu || clen > len - i - 12)
			return FALSE;
		if (memcmp(type, "IEND", 4) == 0) {
			s->end = i + 12 + clen;
			return TRUE;
		}
		for (k = 0; k < G_N_ELEMENTS(pixel_chunks); k++)
			if (memcmp(type, pixel_chunks[k], 4) == 0)
				known = TRUE;
		if (!known)
			s->metadata = TRUE;
		i += 12 + (gsize)clen;
	}
	return FALSE;
}

/* GIF sub-blocks (GIF89a section 15); FALSE when they run off the end. */
static gboolean
gif_skip_blocks(const guint8 *p, gsize len, gsize *ip)
{
	gsize i = *ip;

	for (;;) {
		guint8 n;

		if (i >= len)
			return FALSE;
		n = p[i++];
		if (n == 0)
			break;
		if (n > len - i)
			return FALSE;
		i += n;
	}
	*ip = i;
	return TRUE;
}

/*
 * GIF89a (sections 17-27): the blocks up to the trailer.  Comment, plain
 * text and application extensions other than the looping ones are
 * metadata.  A file that stops early is left to the decoder, which
 * refuses it when the first frame is incomplete.
 */
static gboolean
scan_gif(const guint8 *p, gsize len, struct scan *s)
{
	gsize i = 13;

	if (len < 13)
		return FALSE;
	if (p[10] & 0x80)
		i += 3 * ((gsize)1 << ((p[10] & 7) + 1));
	while (i < len) {
		switch (p[i]) {
		case 0x3b:
			s->end = i + 1;
			return TRUE;
		case 0x2c:
			if (len - i < 11)
				return TRUE;
			if (p[i + 9] & 0x80)
				i += 3 * ((gsize)1 << ((p[i + 9] & 7) + 1));
			i += 11; /* descriptor and LZW code size */
			if (!gif_skip_blocks(p, len, &i))
				return TRUE;
			break;
		case 0x21:
			if (len - i < 3)
				return TRUE;
			if (p[i + 1] == 0xfe || p[i + 1] == 0x01)
				s->metadata = TRUE;
			else if (p[i + 1] == 0xff &&
			         (p[i + 2] != 11 || len - i < 14 ||
			             (memcmp(p + i + 3, "NETSCAPE2.0", 11) !=
			                     0 &&
			                 memcmp(p + i + 3, "ANIMEXTS1.0", 11) !=
			                     0)))
				s->metadata = TRUE;
			i += 2;
			if (!gif_skip_blocks(p, len, &i))
				return TRUE;
			break;
		default:
			/* Not a GIF block: the image ended here. */
			s->end = i;
			return TRUE;
		}
	}
	return TRUE;
}

/*
 * WebP (RFC 9649 section 2.4): one RIFF chunk.  Its size gives the end;
 * VP8 without ALPH or ANIM is lossy and opaque.
 */
static gboolean
scan_webp(const guint8 *p, gsize len, struct scan *s)
{
	guint64 end = (guint64)le32(p + 4) + 8;
	gboolean vp8 = FALSE, alpha = FALSE, anim = FALSE;
	gsize i = 12;

	if (end > len || end < 12)
		return FALSE;
	while (i + 8 <= end) {
		guint32 clen = le32(p + i + 4);
		const guint8 *fcc = p + i;

		if (clen > end - i - 8)
			return FALSE;
		if (memcmp(fcc, "VP8 ", 4) == 0)
			vp8 = TRUE;
		else if (memcmp(fcc, "ALPH", 4) == 0)
			alpha = TRUE;
		else if (memcmp(fcc, "ANIM", 4) == 0 ||
		         memcmp(fcc, "ANMF", 4) == 0)
			anim = TRUE;
		else if (memcmp(fcc, "VP8X", 4) == 0) {
			if (clen >= 1 && (p[i + 8] & 0x10))
				alpha = TRUE;
			if (clen >= 1 && (p[i + 8] & 0x02))
				anim = TRUE;
		} else if (memcmp(fcc, "VP8L", 4) != 0)
			s->metadata = TRUE; /* ICCP, EXIF, XMP, unknown */
		i += 8 + (gsize)clen + (clen & 1);
	}
	s->end = (gsize)end;
	s->webp_lossy = vp8 && !alpha && !anim;
	return TRUE;
}

/* A contiguous bit mask: its shift and width (BMP bit fields). */
static gboolean
mask_split(guint32 mask, guint *shift, guint *bits)
{
	guint32 m;

	*shift = *bits = 0;
	if (mask == 0)
		return TRUE;
	*shift = (guint)__builtin_ctz(mask);
	m = mask >> *shift;
	*bits = (guint)__builtin_popcount(m);
	return (*bits == 32 ? m == 0xffffffffu : m == (1u << *bits) - 1);
}

static guint8
mask_value(guint32 px, guint32 mask, guint shift, guint bits)
{
	guint32 v;

	if (bits == 0)
		return 0;
	v = (px & mask) >> shift;
	if (bits >= 8)
		return (guint8)(v >> (bits - 8));
	return (guint8)(v * 255 / ((1u << bits) - 1));
}

static gboolean refuse_with(struct refusal *r, enum mg_reason reason,
    const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
refuse_with(struct refusal *r, enum mg_reason reason, const char *fmt, ...)
{
	va_list ap;

	r->reason = reason;
	va_start(ap, fmt);
	g_free(r->detail);
	r->detail = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return FALSE;
}

/*
 * BMP (Microsoft "Bitmap Storage", BITMAPINFOHEADER to BITMAPV5HEADER):
 * uncompressed 1, 4, 8, 16, 24 and 32 bits a pixel, BI_RGB and
 * BI_BITFIELDS.  The pixel rows must lie inside the file, so the
 * decoded size is bounded by the input before anything is allocated.
 * Fills *pixels_r (RGB or RGBA rows, caller frees), *bands_r, *w_r, *h_r.
 */
static gboolean
bmp_decode(const guint8 *p, gsize len, guint64 budget, struct scan *s,
    guint8 **pixels_r, int *bands_r, int *w_r, int *h_r, struct refusal *r)
{
	guint32 hs, comp, bits_off, ncolours, masks[4] = {0, 0, 0, 0};
	guint shift[4], nbits[4];
	gint32 sw, sh;
	guint bpp, bands, x, y, i;
	guint64 w, h, stride, end;
	const guint8 *pal = NULL;
	gboolean alpha_seen = FALSE;
	guint8 *out;

	if (len < 18)
		return refuse_with(r, MG_REASON_CDR_FAILED, "BMP truncated");
	hs = le32(p + 14);
	if (hs != 40 && hs != 52 && hs != 56 && hs != 108 && hs != 124)
		return refuse_with(r, MG_REASON_UNSUPPORTED,
		    "BMP header of %u bytes not supported", hs);
	if (len < 14 + (gsize)hs)
		return refuse_with(r, MG_REASON_CDR_FAILED, "BMP truncated");
	bits_off = le32(p + 10);
	sw = (gint32)le32(p + 18);
	sh = (gint32)le32(p + 22);
	bpp = le16(p + 28);
	comp = le32(p + 30);
	ncolours = le32(p + 46);
	if (le16(p + 26) != 1 || sw <= 0 || sh == 0 || sh == G_MININT32)
		return refuse_with(
		    r, MG_REASON_CDR_FAILED, "BMP header is malformed");
	w = (guint64)sw;
	h = sh < 0 ? (guint64)(-(gint64)sh) : (guint64)sh;
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
	    w * h > IMAGE_MAX_PIXELS)
		return refuse_with(r, MG_REASON_PART_TOO_LARGE,
		    "image of %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT
		    " pixels is over the limit",
		    w, h);
	if (comp == 0 && bpp == 16) {
		masks[0] = 0x7c00, masks[1] = 0x03e0, masks[2] = 0x001f;
	} else if (comp == 0 && bpp == 32) {
		masks[0] = 0xff0000, masks[1] = 0xff00, masks[2] = 0xff;
	} else if ((comp == 3 || comp == 6) && (bpp == 16 || bpp == 32)) {
		/* V2+ headers hold the masks; after a 40-byte one they
		 * follow it (BI_ALPHABITFIELDS adds the alpha mask). */
		const guint8 *mp = p + 14 + 40;
		guint n = (comp == 6 || hs >= 56) ? 4 : 3;

		if (hs == 40 && len < 14 + 40 + 4 * (gsize)n)
			return refuse_with(
			    r, MG_REASON_CDR_FAILED, "BMP truncated");
		for (i = 0; i < n; i++)
			masks[i] = le32(mp + 4 * i);
	} else if (comp != 0 ||
	           (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24)) {
		return refuse_with(r, MG_REASON_UNSUPPORTED,
		    "BMP compression %u with %u bits per pixel not supported",
		    comp, bpp);
	}
	for (i = 0; i < 4; i++)
		if (!mask_split(masks[i], &shift[i], &nbits[i]))
			return refuse_with(r, MG_REASON_CDR_FAILED,
			    "BMP colour masks are malformed");
	stride = (w * bpp + 31) / 32 * 4;
	if (bits_off < 14 + hs || bits_off > len ||
	    (len - bits_off) / stride < h)
		return refuse_with(
		    r, MG_REASON_CDR_FAILED, "BMP pixel data truncated");
	if (bpp <= 8) {
		/* The palette sits between the header and the pixels; a
		 * writer that leaves biClrUsed 0 but writes fewer than
		 * 2^bpp entries gets the ones it wrote. */
		gsize pal_off = 14 + (gsize)hs;

		if (ncolours == 0 || ncolours > (1u << bpp))
			ncolours = 1u << bpp;
		if (bits_off < pal_off + 4)
			return refuse_with(
			    r, MG_REASON_CDR_FAILED, "BMP palette missing");
		ncolours = MIN(ncolours, (bits_off - pal_off) / 4);
		pal = p + pal_off;
	}
	end = bits_off + stride * h;
	/* BITMAPV5HEADER: an embedded ('MBED') or linked ('LINK', a file
	 * name) colour profile.  Either is dropped: the pixels are taken
	 * as sRGB. */
	if (hs == 124) {
		guint32 cs = le32(p + 14 + 56);
		guint64 poff = (guint64)le32(p + 14 + 112) + 14;
		guint64 psize = le32(p + 14 + 116);

		if (cs == 0x4d424544u || cs == 0x4c494e4bu) {
			s->metadata = TRUE;
			if (cs == 0x4c494e4bu)
				s->external = TRUE;
			if (poff + psize <= len && poff + psize > end)
				end = poff + psize;
			if (cs == 0x4d424544u && psize != 0 &&
			    poff + psize <= len) {
				s->icc_off = (gsize)poff;
				s->icc_len = (gsize)psize;
			}
		}
	}
	s->end = (gsize)end;
	bands = masks[3] != 0 ? 4 : 3;
	if (w * h * bands > budget)
		return refuse_with(r, MG_REASON_PART_TOO_LARGE,
		    "decoded image would be over the limit");
	out = g_try_malloc((gsize)(w * h * bands));
	if (out == NULL)
		return refuse_with(r, MG_REASON_PART_TOO_LARGE,
		    "not enough memory for the BMP pixels");
	for (y = 0; y < h; y++) {
		/* Rows are stored bottom-up unless the height is negative. */
		const guint8 *row =
		    p + bits_off + stride * (sh < 0 ? y : h - 1 - y);
		guint8 *o = out + (gsize)y * w * bands;

		for (x = 0; x < w; x++, o += bands) {
			guint32 px;

			switch (bpp) {
			case 1:
			case 4:
			case 8: {
				guint idx = (row[x * bpp / 8] >>
				                (8 - bpp - (x * bpp % 8))) &
				            ((1u << bpp) - 1);

				/* An index past the palette is black, as in
				 * Windows. */
				if (idx < ncolours) {
					o[0] = pal[4 * idx + 2];
					o[1] = pal[4 * idx + 1];
					o[2] = pal[4 * idx];
				} else {
					o[0] = o[1] = o[2] = 0;
				}
				continue;
			}
			case 24:
				o[0] = row[3 * x + 2];
				o[1] = row[3 * x + 1];
				o[2] = row[3 * x];
				continue;
			case 16:
				px = le16(row + 2 * x);
				break;
			default:
				px = le32(row + 4 * x);
				break;
			}
			for (i = 0; i < bands; i++)
				o[i] = mask_value(
				    px, masks[i], shift[i], nbits[i]);
			if (bands == 4 && o[3] != 0)
				alpha_seen = TRUE;
		}
	}
	/* Many writers leave the alpha bits 0: such an image is opaque. */
	if (bands == 4 && !alpha_seen)
		for (i = 3; i < w * h * 4; i += 4)
			out[i] = 0xff;
	*pixels_r = out;
	*bands_r = (int)bands;
	*w_r = (int)w;
	*h_r = (int)h;
	return TRUE;
}

static gpointer
vips_setup(gpointer unused)
{
	static const char *const loaders[] = {
	    "VipsForeignLoadJpegBuffer",
	    "VipsForeignLoadPngBuffer",
	    "VipsForeignLoadNsgifBuffer",
	    "VipsForeignLoadWebpBuffer",
	    "VipsForeignLoadTiffBuffer",
	};
	gsize i;

	if (VIPS_INIT("mugaika") != 0)
		return GINT_TO_POINTER(FALSE);
	/*
	 * Only the five loaders this module calls may run: untrusted ones
	 * (ImageMagick, PDF, …) and every other loader are blocked for the
	 * whole process.  Results are not cached: the operation cache would
	 * keep one message's pixels alive into the next.  The worker
	 * processes are the unit of parallelism, so one thread an image.
	 */
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (i = 0; i < G_N_ELEMENTS(loaders); i++)
		vips_operation_block_set(loaders[i], FALSE);
	vips_cache_set_max(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(1);
	return GINT_TO_POINTER(TRUE);
}

static gboolean
vips_ready(void)
{
	static GOnce once = G_ONCE_INIT;

	return GPOINTER_TO_INT(g_once(&once, vips_setup, NULL));
}

gboolean
mg_cdr_image_preload(void)
{
	return vips_ready();
}

/* The libvips error text, made printable, on one line; clears it. */
static char *
vips_detail(const char *what)
{
	g_autofree char *msg = vips_error_buffer_copy();
	g_autofree char *line = NULL;
	char *nl;

	if (msg == NULL || *msg == '\0')
		return g_strdup(what);
	if ((nl = strchr(msg, '\n')) != NULL)
		*nl = '\0';
	line = mg_printable(msg, -1, 0);
	return g_strdup_printf("%s: %s", what, line);
}

/*
 * Read the header only (access=sequential: no pixel is decoded until the
 * image is written).  `n` is the number of pages, -1 for all.
 */
static VipsImage *
load(enum family fam, const guint8 *data, gsize len, int n)
{
	void *buf = (void *)data; /* libvips does not write to it */
	VipsImage *img = NULL;
	int rc = -1;

	switch (fam) {
	case FAM_JPEG:
		rc = vips_jpegload_buffer(buf, len, &img, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    "memory", TRUE, NULL);
		break;
	case FAM_PNG:
		rc = vips_pngload_buffer(buf, len, &img, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    "memory", TRUE, NULL);
		break;
	case FAM_GIF:
		rc = vips_gifload_buffer(buf, len, &img, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    "memory", TRUE, "n", 1, NULL);
		break;
	case FAM_WEBP:
		rc = vips_webpload_buffer(buf, len, &img, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    "memory", TRUE, "n", 1, NULL);
		break;
	case FAM_TIFF:
		rc = vips_tiffload_buffer(buf, len, &img, "access",
		    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
		    "memory", TRUE, "n", n, NULL);
		break;
	default:
		break;
	}
	return rc == 0 ? img : NULL;
}

static void
take(VipsImage **img, VipsImage *t)
{
	g_object_unref(*img);
	*img = t;
}

struct field_scan {
	gboolean metadata;
};

static void *
field_is_metadata(VipsImage *img, const char *name, GValue *v, void *a)
{
	static const char *const prefixes[] = {"exif-", "xmp-", "iptc-", "icc-",
	    "photoshop-", "png-comment-", "gif-comment", "jpeg-comment",
	    VIPS_META_IMAGEDESCRIPTION, "jpeg-thumbnail"};
	struct field_scan *fs = a;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(name, prefixes[i]))
			fs->metadata = TRUE;
	return NULL;
}

/* Dimensions and decoded size against the limits. */
static gboolean
check_size(VipsImage *img, guint64 budget, struct refusal *r)
{
	guint64 w = (guint64)vips_image_get_width(img);
	guint64 h = (guint64)vips_image_get_height(img);
	guint64 ph = (guint64)vips_image_get_page_height(img);
	guint64 bands = (guint64)vips_image_get_bands(img);
	guint64 bytes = (guint64)vips_format_sizeof(vips_image_get_format(img));

	if (w == 0 || h == 0 || bands == 0)
		return refuse_with(r, MG_REASON_CDR_FAILED, "empty image");
	if (w > IMAGE_MAX_SIDE || ph > IMAGE_MAX_SIDE ||
	    w * h > IMAGE_MAX_PIXELS)
		return refuse_with(r, MG_REASON_PART_TOO_LARGE,
		    "image of %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT
		    " pixels is over the limit",
		    w, h);
	if (bands > IMAGE_MAX_BANDS)
		return refuse_with(r, MG_REASON_UNSUPPORTED,
		    "image with %" G_GUINT64_FORMAT " bands", bands);
	if (w * h * bands * bytes > budget)
		return refuse_with(r, MG_REASON_PART_TOO_LARGE,
		    "decoded image would be over the limit");
	return TRUE;
}

/*
 * Pixels into sRGB (or grey) so that no colour profile is needed: an
 * embedded profile is applied, CMYK and Lab converted.  A profile lcms
 * cannot use is dropped with the rest of the metadata.
 */
static gboolean
to_srgb(VipsImage **img, struct refusal *r)
{
	VipsInterpretation in;
	VipsImage *t = NULL;

	if (vips_image_get_typeof(*img, VIPS_META_ICC_NAME) != 0) {
		if (vips_icc_transform(*img, &t, "srgb", "embedded", TRUE,
		        "intent", VIPS_INTENT_RELATIVE, NULL) == 0)
			take(img, t);
		else
			vips_error_clear();
	}
	in = vips_image_guess_interpretation(*img);
	if (in == VIPS_INTERPRETATION_B_W || in == VIPS_INTERPRETATION_GREY16 ||
	    in == VIPS_INTERPRETATION_sRGB || in == VIPS_INTERPRETATION_RGB16)
		return TRUE;
	if (vips_colourspace(*img, &t, VIPS_INTERPRETATION_sRGB, NULL) != 0) {
		g_autofree char *d = vips_detail("colour conversion failed");

		return refuse_with(r, MG_REASON_CDR_FAILED, "%s", d);
	}
	take(img, t);
	return TRUE;
}

/* EXIF orientation (tag 274) applied to the pixels before EXIF goes. */
static gboolean
apply_orientation(VipsImage **img, struct refusal *r)
{
	VipsImage *t = NULL;
	int o = 1;

	if (vips_image_get_typeof(*img, VIPS_META_ORIENTATION) == 0 ||
	    vips_image_get_int(*img, VIPS_META_ORIENTATION, &o) != 0 ||
	    o <= 1 || o > 8)
		return TRUE;
	/* Rotation reads columns: decode into memory first (the size is
	 * within IMAGE_MAX_DECODED). */
	if ((t = vips_image_copy_memory(*img)) == NULL) {
		g_autofree char *d = vips_detail("decoding failed");

		return refuse_with(r, MG_REASON_CDR_FAILED, "%s", d);
	}
	take(img, t);
	if (vips_autorot(*img, &t, NULL) != 0) {
		g_autofree char *d = vips_detail("rotation failed");

		return refuse_with(r, MG_REASON_CDR_FAILED, "%s", d);
	}
	take(img, t);
	return TRUE;
}

enum outfmt {
	OUT_PNG,
	OUT_JPEG,
	OUT_TIFF,
};

static GBytes *
save(VipsImage *img, enum outfmt fmt)
{
	void *buf = NULL;
	size_t blen = 0;
	int rc;

	switch (fmt) {
	case OUT_JPEG:
		rc = vips_jpegsave_buffer(img, &buf, &blen, "Q",
		    IMAGE_JPEG_QUALITY, "strip", TRUE, "optimize_coding", TRUE,
		    NULL);
		break;
	case OUT_TIFF:
		rc = vips_tiffsave_buffer(img, &buf, &blen, "strip", TRUE,
		    "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE,
		    "predictor", VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL, NULL);
		break;
	default:
		rc = vips_pngsave_buffer(
		    img, &buf, &blen, "strip", TRUE, "compression", 6, NULL);
		break;
	}
	if (rc != 0)
		return NULL;
	return g_bytes_new_take(buf, blen);
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	enum family fam = family_of_type(type);

	if (fam == FAM_NONE)
		return 0;
	/* The bytes must agree with libmagic, and the name with both. */
	if (data != NULL && sniff(data, len) != fam)
		return 0;
	if (ext == NULL || *ext == '\0')
		return 60;
	return ext_agrees(fam, ext) ? 80 : 0;
}

static enum mg_rc
refuse(struct mg_cdr_result *out, struct refusal *r)
{
	out->outcome = MG_CDR_REFUSED;
	out->reason = r->reason;
	out->detail = r->detail;
	r->detail = NULL;
	return MG_OK;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	guint64 max = ctx->limits->max_part_size != 0
	                  ? ctx->limits->max_part_size
	                  : MG_DEF_MAX_PART_SIZE;
	struct refusal r = {MG_REASON_NONE, NULL};
	struct scan s = {0, FALSE, FALSE, FALSE, 0, 0};
	struct field_scan fs = {FALSE};
	g_autofree guint8 *bmp_pixels = NULL;
	VipsImage *img = NULL;
	GBytes *res = NULL;
	enum outfmt fmt = OUT_PNG;
	guint64 budget;
	enum family fam;
	const guint8 *data;
	gboolean ok;
	gsize len;

	budget = MIN(IMAGE_MAX_DECODED, max * IMAGE_MAX_EXPANSION);
	data = g_bytes_get_data(in, &len);
	if (len > max) {
		refuse_with(&r, MG_REASON_PART_TOO_LARGE,
		    "image of %" G_GSIZE_FORMAT " bytes is over the limit",
		    len);
		return refuse(out, &r);
	}
	fam = sniff(data, len);
	switch (fam) {
	case FAM_JPEG:
		ok = scan_jpeg(data, len, &s);
		break;
	case FAM_PNG:
		ok = scan_png(data, len, &s);
		break;
	case FAM_GIF:
		ok = scan_gif(data, len, &s);
		break;
	case FAM_WEBP:
		ok = scan_webp(data, len, &s);
		break;
	case FAM_BMP:
	case FAM_TIFF:
		ok = TRUE;
		break;
	default:
		refuse_with(&r, MG_REASON_UNSUPPORTED,
		    "not a JPEG, PNG, GIF, BMP, WebP or TIFF image");
		return refuse(out, &r);
	}
	if (!ok) {
		refuse_with(&r, MG_REASON_CDR_FAILED,
		    "image structure is truncated or malformed");
		return refuse(out, &r);
	}
	if (!vips_ready()) {
		out->detail = g_strdup("libvips failed to initialise");
		return MG_FAIL;
	}

	if (fam == FAM_BMP) {
		int bands = 0, w = 0, h = 0;

		if (!bmp_decode(
		        data, len, budget, &s, &bmp_pixels, &bands, &w, &h, &r))
			return refuse(out, &r);
		img = vips_image_new_from_memory(bmp_pixels,
		    (size_t)w * (size_t)h * (size_t)bands, w, h, bands,
		    VIPS_FORMAT_UCHAR);
		if (img == NULL) {
			vips_error_clear();
			out->detail = g_strdup("libvips failed on BMP pixels");
			return MG_FAIL;
		}
		if (s.icc_len != 0) {
			vips_image_set_blob_copy(img, VIPS_META_ICC_NAME,
			    data + s.icc_off, s.icc_len);
			if (!to_srgb(&img, &r))
				goto refused;
		}
	} else {
		int pages = 1;

		if ((img = load(fam, data, len, 1)) == NULL) {
			g_autofree char *d = vips_detail("image header");

			refuse_with(&r, MG_REASON_CDR_FAILED, "%s", d);
			goto refused;
		}
		if (!check_size(img, budget, &r))
			goto refused;
		/* Every page of a multi-page TIFF (a fax), as one tall
		 * image with page-height set; pages must share a size. */
		if (fam == FAM_TIFF &&
		    (pages = vips_image_get_n_pages(img)) > 1) {
			VipsImage *all;

			if (pages > IMAGE_MAX_PAGES) {
				refuse_with(&r, MG_REASON_PART_TOO_LARGE,
				    "TIFF of %d pages is over the limit",
				    pages);
				goto refused;
			}
			if ((all = load(fam, data, len, -1)) == NULL) {
				g_autofree char *d = vips_detail("TIFF pages");

				refuse_with(&r, MG_REASON_CDR_FAILED, "%s", d);
				goto refused;
			}
			take(&img, all);
			if (!check_size(img, budget, &r))
				goto refused;
			fmt = OUT_TIFF;
		}
		vips_image_map(img, field_is_metadata, &fs);
		/* Pages stacked into one image cannot be turned as one. */
		if ((fmt != OUT_TIFF && !apply_orientation(&img, &r)) ||
		    !to_srgb(&img, &r))
			goto refused;
		if (fam == FAM_JPEG || (fam == FAM_WEBP && s.webp_lossy))
			fmt = OUT_JPEG;
	}

	if ((res = save(img, fmt)) == NULL) {
		g_autofree char *d = vips_detail("image decoding failed");

		refuse_with(&r, MG_REASON_CDR_FAILED, "%s", d);
		goto refused;
	}
	g_object_unref(img);
	img = NULL;
	if (g_bytes_get_size(res) > max) {
		g_bytes_unref(res);
		refuse_with(&r, MG_REASON_PART_TOO_LARGE,
		    "rebuilt image is over the size limit");
		return refuse(out, &r);
	}

	out->outcome = MG_CDR_REBUILT;
	out->data = res;
	switch (fmt) {
	case OUT_JPEG:
		out->mime_type = g_strdup("image/jpeg");
		if (fam != FAM_JPEG)
			out->extension = g_strdup("jpg");
		break;
	case OUT_TIFF:
		out->mime_type = g_strdup("image/tiff");
		break;
	default:
		out->mime_type = g_strdup("image/png");
		if (fam != FAM_PNG)
			out->extension = g_strdup("png");
		break;
	}
	if (s.metadata || fs.metadata)
		mg_cdr_result_removed(out, MG_CDR_RM_METADATA);
	if (s.external)
		mg_cdr_result_removed(out, MG_CDR_RM_EXTERNAL);
	if (s.end != 0 && s.end < len)
		mg_cdr_result_removed(out, MG_CDR_RM_TRAILING);
	return MG_OK;

refused:
	if (img != NULL)
		g_object_unref(img);
	return refuse(out, &r);
}

const struct mg_cdr_module mg_cdr_image = {"image", bid, rebuild};
