/*
 * cdr_svg.c - SVG drawings rasterised to PNG with librsvg: scripts, links,
 * references and metadata cannot survive, because only pixels do.
 *
 * Untrusted: every byte of the input.  librsvg has no script engine and,
 * given no base URL, loads nothing but data: URLs (its UrlResolver refuses
 * every other reference, http: and file: alike).  What a data: URL holds
 * goes to gdk-pixbuf, whose loaders include rarely audited ones (TGA, ANI,
 * ICO, XPM, QTIF, …) picked by the URL's MIME type or by sniffing; and a
 * data: URL in CSS, <use> or XInclude is parsed as a further document.  So
 * libxml2 (no network, no DTD, no external entities) reads the file first
 * and the module refuses any data: URL but a base64 PNG or JPEG on
 * <image>/<feImage> (or a link target, which librsvg never follows), and
 * any entity that is not an internal general one.  Each embedded PNG or
 * JPEG goes back through the walk (ctx->nested: scanned and rebuilt by
 * the image module, or left out) and the rebuilt bytes take its place.
 * librsvg then gets the document as libxml2 writes it back (entities
 * substituted, no DTD), so both read the same text.  The walk also notes,
 * for the report, the scripts, event attributes, links, external
 * references and metadata that the raster leaves behind.
 *
 * Limits: input bytes (max_part_size and SVG_MAX_BYTES), elements
 * (SVG_MAX_ELEMENTS, before librsvg's own), and the raster's size: a
 * drawing larger than SVG_MAX_SIDE or SVG_MAX_PIXELS is drawn smaller, not
 * refused, since a vector image has no natural resolution.  libxml2 runs
 * with its default (non-huge) limits, and librsvg without
 * RSVG_HANDLE_FLAG_UNLIMITED.  Rendering time is bounded by the worker's
 * message timeout, not here.  The caller owns `in`; the result's data
 * belongs to the caller; what ctx->nested returns is unreferenced here.
 */
#include <math.h>
#include <string.h>

#include <cairo.h>
#include <librsvg/rsvg.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/* A drawing's XML tree and librsvg's copy of it stay within a worker's
 * memory at this size; real SVG attachments are far smaller. */
#define SVG_MAX_BYTES (32u * 1024 * 1024)
#define SVG_MAX_ELEMENTS 500000
/* The raster: 8192 a side, 32 M pixels (a 128 MB ARGB surface). */
#define SVG_MAX_SIDE 8192.0
#define SVG_MAX_PIXELS (32.0 * 1024 * 1024)
/* Nor more than 8 times the part size limit in ARGB bytes, as for the
 * image module (cdr_image.c). */
#define SVG_MAX_EXPANSION 8
/* A drawing without width and height (only a viewBox, or nothing). */
#define SVG_DEFAULT_SIDE 1024.0

struct svg_scan {
	guint elements;
	gboolean script;   /* <script>, on* attributes, javascript: */
	gboolean external; /* references to other files or hosts */
	gboolean links;    /* <a href> */
	gboolean metadata; /* <metadata> */
	gboolean embedded; /* an embedded image left out */
	GPtrArray *images; /* xmlAttr *: the data: images to rebuild */
	enum mg_reason reason;
	char *why; /* set: refuse */
};

static void
svg_refuse(struct svg_scan *sc, enum mg_reason reason, const char *why)
{
	if (sc->why != NULL)
		return;
	sc->reason = reason;
	sc->why = g_strdup(why);
}

/*
 * CSS escapes undone (CSS Syntax 3, section 4.3.7), so that "d\61ta:" is
 * seen as "data:", then ASCII-lowercased with spaces and controls dropped
 * (the URL parser drops tabs and newlines anywhere, WHATWG URL 4.4).
 * Characters outside ASCII become '?': they never spell a scheme.
 */
static GString *
fold(const char *v, gboolean css)
{
	GString *o = g_string_new(NULL);
	const char *p = v;

	while (*p != '\0') {
		guint32 c = (guchar)*p++;

		if (css && c == '\\' && *p != '\0') {
			if (g_ascii_isxdigit(*p)) {
				int n = 0;

				c = 0;
				while (n < 6 && g_ascii_isxdigit(*p)) {
					c = c * 16 +
					    (guint32)g_ascii_xdigit_value(*p++);
					n++;
				}
				if (*p == ' ' || *p == '\t' || *p == '\n')
					p++;
			} else {
				c = (guchar)*p++;
			}
		}
		if (c <= 0x20 || c == 0x7f)
			continue;
		g_string_append_c(o, c < 0x80 ? g_ascii_tolower((char)c) : '?');
	}
	return o;
}

/* A "data:" scheme in folded text: not the tail of a longer scheme name
 * ("metadata:"), whose characters are letters, digits, '+', '-', '.'. */
static gboolean
folded_has_data(const GString *f)
{
	const char *p = f->str;

	while ((p = strstr(p, "data:")) != NULL) {
		if (p == f->str)
			return TRUE;
		if (!g_ascii_isalnum(p[-1]) && p[-1] != '+' && p[-1] != '-' &&
		    p[-1] != '.')
			return TRUE;
		p++;
	}
	return FALSE;
}

static gboolean
has_data_url(const char *v)
{
	g_autoptr(GString) raw = fold(v, FALSE);
	g_autoptr(GString) css = fold(v, TRUE);

	return folded_has_data(raw) || folded_has_data(css);
}

/* CSS that reaches outside the document (for the report only: without a
 * base URL librsvg loads none of it). */
static void
note_css(struct svg_scan *sc, const char *v)
{
	g_autoptr(GString) f = fold(v, TRUE);
	const char *p = f->str;

	if (strstr(f->str, "@import") != NULL)
		sc->external = TRUE;
	while ((p = strstr(p, "url(")) != NULL) {
		p += 4;
		if (*p == '"' || *p == '\'')
			p++;
		if (*p != '#')
			sc->external = TRUE;
	}
	if (strstr(f->str, "javascript:") != NULL)
		sc->script = TRUE;
}

/*
 * The only data: URLs let through: an image element's PNG or JPEG in
 * base64, written so plainly that the data URL parser cannot read another
 * MIME type into it (a type it cannot parse would make librsvg sniff).
 * Returns the type, or NULL.
 */
static const char *
allowed_image_data(const char *v)
{
	static const char *const types[] = {"image/png", "image/jpeg"};
	const char *p = v;
	gsize i;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (g_ascii_strncasecmp(p, "data:", 5) != 0)
		return NULL;
	p += 5;
	for (i = 0; i < G_N_ELEMENTS(types); i++) {
		gsize n = strlen(types[i]);

		if (g_ascii_strncasecmp(p, types[i], n) == 0 &&
		    g_ascii_strncasecmp(p + n, ";base64,", 8) == 0)
			return types[i];
	}
	return NULL;
}

static void
check_href(struct svg_scan *sc, const xmlChar *elem, xmlAttr *a, const char *v)
{
	const char *p = v;
	gboolean image = xmlStrcmp(elem, BAD_CAST "image") == 0 ||
	                 xmlStrcmp(elem, BAD_CAST "feImage") == 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '\0' || *p == '#')
		return;
	/* A link is never followed by librsvg, whatever its target (a
	 * data:text/html phishing page included): it only disappears. */
	if (xmlStrcmp(elem, BAD_CAST "a") == 0) {
		sc->links = TRUE;
		if (g_ascii_strncasecmp(p, "javascript:", 11) == 0)
			sc->script = TRUE;
		return;
	}
	if (has_data_url(v)) {
		if (image && allowed_image_data(v) != NULL)
			g_ptr_array_add(sc->images, a);
		else
			svg_refuse(sc, MG_REASON_UNSUPPORTED,
			    "SVG embeds data: content other than a PNG or "
			    "JPEG image");
		return;
	}
	if (g_ascii_strncasecmp(p, "javascript:", 11) == 0)
		sc->script = TRUE;
	sc->external = TRUE;
}

static void
check_text(struct svg_scan *sc, const char *v)
{
	if (has_data_url(v))
		svg_refuse(sc, MG_REASON_UNSUPPORTED,
		    "SVG loads data: content from CSS or a processing "
		    "instruction");
	note_css(sc, v);
}

static void
check_element(struct svg_scan *sc, xmlDoc *doc, xmlNode *n)
{
	xmlAttr *a;
	xmlNode *c;

	if (++sc->elements > SVG_MAX_ELEMENTS) {
		svg_refuse(sc, MG_REASON_PART_TOO_LARGE,
		    "SVG has more elements than the limit");
		return;
	}
	if (xmlStrcmp(n->name, BAD_CAST "script") == 0 ||
	    xmlStrcmp(n->name, BAD_CAST "handler") == 0)
		sc->script = TRUE;
	else if (xmlStrcmp(n->name, BAD_CAST "metadata") == 0)
		sc->metadata = TRUE;
	else if (xmlStrcmp(n->name, BAD_CAST "style") == 0) {
		/*
		 * A parser joins the text and CDATA pieces of a style sheet
		 * around comments, so "da<!---->ta:" is "data:": check the
		 * pieces joined.  A style sheet has no child elements; one
		 * that does is refused rather than guessed at.
		 */
		g_autoptr(GString) css = g_string_new(NULL);

		for (c = n->children; c != NULL; c = c->next) {
			if (c->type == XML_ELEMENT_NODE ||
			    c->type == XML_ENTITY_REF_NODE)
				svg_refuse(sc, MG_REASON_UNSUPPORTED,
				    "SVG style sheet holds elements");
			else if (c->content != NULL &&
			         (c->type == XML_TEXT_NODE ||
			             c->type == XML_CDATA_SECTION_NODE))
				g_string_append(css, (const char *)c->content);
		}
		check_text(sc, css->str);
	}
	for (a = n->properties; a != NULL; a = a->next) {
		xmlChar *v = xmlNodeListGetString(doc, a->children, 1);
		const char *s = v != NULL ? (const char *)v : "";

		if (g_ascii_strncasecmp((const char *)a->name, "on", 2) == 0)
			sc->script = TRUE;
		if (xmlStrcmp(a->name, BAD_CAST "href") == 0)
			check_href(sc, n->name, a, s);
		else
			check_text(sc, s);
		xmlFree(v);
	}
}

static void
check_entity(void *payload, void *data, const xmlChar *name)
{
	xmlEntity *e = payload;
	struct svg_scan *sc = data;

	if (e->etype != XML_INTERNAL_GENERAL_ENTITY)
		svg_refuse(sc, MG_REASON_UNSUPPORTED,
		    "SVG declares an external or parameter entity");
}

/* Every node in document order, without recursion. */
static void
walk(struct svg_scan *sc, xmlDoc *doc)
{
	xmlNode *n = doc->children;

	while (n != NULL && sc->why == NULL) {
		if (n->type == XML_ELEMENT_NODE)
			check_element(sc, doc, n);
		else if (n->type == XML_PI_NODE) {
			/* <?xml-stylesheet href=…?> names another file. */
			if (xmlStrcmp(n->name, BAD_CAST "xml-stylesheet") == 0)
				sc->external = TRUE;
			if (n->content != NULL)
				check_text(sc, (const char *)n->content);
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent != (xmlNode *)doc ? n->parent : NULL;
		if (n != NULL)
			n = n->next;
	}
}

static gpointer
xml_setup(gpointer unused)
{
	xmlInitParser();
	return NULL;
}

static xmlDoc *
parse(const char *data, gsize len, int extra)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, xml_setup, NULL);
	if (len > G_MAXINT)
		return NULL;
	/* No network, no DTD loading, no error output; entities are
	 * substituted only when `extra` says so (all of them known to be
	 * internal by then). */
	return xmlReadMemory(data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | extra);
}

static const char *
image_type(GBytes *b)
{
	static const guint8 png_sig[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	gsize n;
	const guint8 *p = g_bytes_get_data(b, &n);

	if (n >= 8 && memcmp(p, png_sig, 8) == 0)
		return "image/png";
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	return NULL;
}

/*
 * Each embedded image goes back through the walk (scanned, limited and
 * rebuilt by the image module) and its rebuilt bytes replace it, so that
 * gdk-pixbuf only ever decodes what libvips wrote.  Without a walk, or
 * when the walk refuses it, the image is left out.
 */
static void
rebuild_images(struct svg_scan *sc, struct mg_cdr_ctx *ctx)
{
	guint i;

	for (i = 0; i < sc->images->len; i++) {
		xmlAttr *a = g_ptr_array_index(sc->images, i);
		xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
		const char *type =
		    v != NULL ? allowed_image_data((const char *)v) : NULL;
		const char *comma =
		    v != NULL ? strchr((const char *)v, ',') : NULL;
		g_autoptr(GBytes) img = NULL, got = NULL;
		g_autofree char *b64 = NULL, *nv = NULL;
		guchar *raw;
		gsize n = 0;

		if (type != NULL && comma != NULL && ctx->nested != NULL) {
			raw = g_base64_decode(comma + 1, &n);
			img = g_bytes_new_take(raw, n);
			if (n > 0)
				got = ctx->nested(ctx->walk,
				    strcmp(type, "image/png") == 0
				        ? "svg-image.png"
				        : "svg-image.jpg",
				    type, img, NULL);
		}
		xmlFree(v);
		if (got == NULL || (type = image_type(got)) == NULL) {
			xmlRemoveProp(a);
			sc->embedded = TRUE;
			continue;
		}
		b64 = g_base64_encode(
		    g_bytes_get_data(got, NULL), g_bytes_get_size(got));
		nv = g_strconcat("data:", type, ";base64,", b64, NULL);
		xmlSetNsProp(a->parent, a->ns, a->name, BAD_CAST nv);
	}
}

/*
 * The libxml2 pass; sc->why is set when the file must be refused.
 * Otherwise returns the document as libxml2 writes it back, without its
 * DTD, with entities substituted and embedded images rebuilt: librsvg
 * gets that, not the input, so it reads exactly the text checked here
 * (and no entity declaration, which librsvg 2.54 would leak).
 */
static GBytes *
pre_check(
    struct svg_scan *sc, struct mg_cdr_ctx *ctx, const char *data, gsize len)
{
	xmlDoc *doc = parse(data, len, 0);
	GBytes *flat = NULL;
	xmlNode *root;
	xmlDtd *dtd;

	if (doc == NULL) {
		svg_refuse(
		    sc, MG_REASON_CDR_FAILED, "SVG is not well-formed XML");
		return NULL;
	}
	if (doc->intSubset != NULL) {
		if (doc->intSubset->pentities != NULL)
			xmlHashScan(
			    doc->intSubset->pentities, check_entity, sc);
		if (doc->intSubset->entities != NULL && sc->why == NULL) {
			xmlHashScan(doc->intSubset->entities, check_entity, sc);
			if (sc->why == NULL) {
				/* Internal entities only: read again with
				 * them substituted, as librsvg would. */
				xmlFreeDoc(doc);
				if ((doc = parse(data, len, XML_PARSE_NOENT)) ==
				    NULL) {
					svg_refuse(sc, MG_REASON_CDR_FAILED,
					    "SVG entities cannot be expanded");
					return NULL;
				}
			}
		}
	}
	root = xmlDocGetRootElement(doc);
	if (sc->why == NULL &&
	    (root == NULL || xmlStrcmp(root->name, BAD_CAST "svg") != 0))
		svg_refuse(sc, MG_REASON_UNSUPPORTED, "not an SVG document");
	if (sc->why == NULL)
		walk(sc, doc);
	if (sc->why == NULL) {
		xmlChar *mem = NULL;
		int size = 0;

		rebuild_images(sc, ctx);
		/* Every entity reference was substituted: nothing points
		 * into the DTD. */
		if ((dtd = xmlGetIntSubset(doc)) != NULL) {
			xmlUnlinkNode((xmlNode *)dtd);
			xmlFreeDtd(dtd);
		}
		xmlDocDumpMemory(doc, &mem, &size);
		if (mem == NULL || size <= 0)
			svg_refuse(sc, MG_REASON_CDR_FAILED,
			    "SVG could not be written out again");
		else
			flat = g_bytes_new(mem, (gsize)size);
		xmlFree(mem);
	}
	xmlFreeDoc(doc);
	return flat;
}

struct png_sink {
	GByteArray *buf;
	guint64 max;
};

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct png_sink *sink = closure;

	if (length > sink->max - sink->buf->len)
		return CAIRO_STATUS_WRITE_ERROR;
	g_byte_array_append(sink->buf, data, length);
	return CAIRO_STATUS_SUCCESS;
}

/* The raster's size in pixels: the drawing's own, or a default, scaled
 * down to the limits. */
static gboolean
raster_size(RsvgHandle *h, double max_pixels, int *w_r, int *h_r)
{
	gdouble w = 0, ht = 0, scale = 1;

	if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &ht)) {
		gboolean has_w, has_h, has_vb;
		RsvgLength lw, lh;
		RsvgRectangle vb;

		rsvg_handle_get_intrinsic_dimensions(
		    h, &has_w, &lw, &has_h, &lh, &has_vb, &vb);
		if (has_vb && isfinite(vb.width) && isfinite(vb.height) &&
		    vb.width > 0 && vb.height > 0) {
			scale = SVG_DEFAULT_SIDE / MAX(vb.width, vb.height);
			w = vb.width * scale;
			ht = vb.height * scale;
		} else {
			w = ht = SVG_DEFAULT_SIDE;
		}
	}
	if (!isfinite(w) || !isfinite(ht) || w <= 0 || ht <= 0)
		return FALSE;
	scale = MIN(1.0, SVG_MAX_SIDE / MAX(w, ht));
	if (w * scale * ht * scale > max_pixels)
		scale = sqrt(max_pixels / (w * ht));
	*w_r = (int)CLAMP(ceil(w * scale), 1, SVG_MAX_SIDE);
	*h_r = (int)CLAMP(ceil(ht * scale), 1, SVG_MAX_SIDE);
	return TRUE;
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	gboolean svg_ext = ext != NULL && g_ascii_strcasecmp(ext, "svg") == 0;

	if (type == NULL)
		return 0;
	if (g_ascii_strcasecmp(type, "image/svg+xml") == 0)
		return ext == NULL || *ext == '\0' ? 60 : svg_ext ? 80 : 0;
	/* libmagic calls an SVG without an XML declaration plain XML. */
	if (svg_ext && data != NULL &&
	    (g_ascii_strcasecmp(type, "text/xml") == 0 ||
	        g_ascii_strcasecmp(type, "application/xml") == 0) &&
	    g_strstr_len((const char *)data, MIN(len, 4096), "<svg") != NULL)
		return 40;
	return 0;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	guint64 max = ctx->limits->max_part_size != 0
	                  ? ctx->limits->max_part_size
	                  : MG_DEF_MAX_PART_SIZE;
	struct svg_scan sc = {
	    0, FALSE, FALSE, FALSE, FALSE, FALSE, NULL, MG_REASON_NONE, NULL};
	struct png_sink sink = {NULL, max};
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GBytes) flat = NULL;
	g_autoptr(GError) err = NULL;
	RsvgHandle *h = NULL;
	cairo_surface_t *surface = NULL;
	cairo_t *cr = NULL;
	RsvgRectangle viewport;
	cairo_status_t st;
	int w, ht;
	const char *data;
	gsize len;

	data = g_bytes_get_data(in, &len);
	out->outcome = MG_CDR_REFUSED;
	if (len > max || len > SVG_MAX_BYTES) {
		out->reason = MG_REASON_PART_TOO_LARGE;
		out->detail = g_strdup_printf(
		    "SVG of %" G_GSIZE_FORMAT " bytes is over the limit", len);
		return MG_OK;
	}
	sc.images = g_ptr_array_new();
	flat = pre_check(&sc, ctx, data, len);
	g_ptr_array_unref(sc.images);
	if (sc.why != NULL) {
		out->reason = sc.reason;
		out->detail = sc.why;
		return MG_OK;
	}

	/* No base file: librsvg then resolves no reference but data:. */
	stream = g_memory_input_stream_new_from_bytes(flat);
	h = rsvg_handle_new_from_stream_sync(
	    stream, NULL, RSVG_HANDLE_FLAGS_NONE, NULL, &err);
	if (h == NULL) {
		g_autofree char *msg = mg_printable(
		    err != NULL ? err->message : "unknown error", -1, 0);

		out->reason = MG_REASON_CDR_FAILED;
		out->detail = g_strdup_printf("librsvg: %s", msg);
		return MG_OK;
	}
	if (!raster_size(h,
	        MIN(SVG_MAX_PIXELS, (double)max * SVG_MAX_EXPANSION / 4), &w,
	        &ht)) {
		out->reason = MG_REASON_CDR_FAILED;
		out->detail = g_strdup("SVG has no usable size");
		goto done;
	}
	surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, ht);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
		out->detail = g_strdup("cairo could not allocate the raster");
		cairo_surface_destroy(surface);
		g_object_unref(h);
		return MG_FAIL;
	}
	cr = cairo_create(surface);
	viewport.x = viewport.y = 0;
	viewport.width = w;
	viewport.height = ht;
	if (!rsvg_handle_render_document(h, cr, &viewport, &err)) {
		out->reason = MG_REASON_CDR_FAILED;
		out->detail = g_strdup("librsvg could not render the SVG");
		goto done;
	}
	cairo_surface_flush(surface);
	sink.buf = g_byte_array_new();
	st = cairo_surface_write_to_png_stream(surface, png_write, &sink);
	if (st != CAIRO_STATUS_SUCCESS) {
		g_byte_array_unref(sink.buf);
		out->reason = MG_REASON_PART_TOO_LARGE;
		out->detail = g_strdup("rasterised SVG is over the size limit");
		goto done;
	}
	out->outcome = MG_CDR_REBUILT;
	out->data = g_byte_array_free_to_bytes(sink.buf);
	out->extension = g_strdup("png");
	out->mime_type = g_strdup("image/png");
	if (sc.script)
		mg_cdr_result_removed(out, MG_CDR_RM_SCRIPT);
	if (sc.external)
		mg_cdr_result_removed(out, MG_CDR_RM_EXTERNAL);
	if (sc.links)
		mg_cdr_result_removed(out, MG_CDR_RM_LINKS);
	if (sc.metadata)
		mg_cdr_result_removed(out, MG_CDR_RM_METADATA);
	if (sc.embedded)
		mg_cdr_result_removed(out, MG_CDR_RM_EMBEDDED);
done:
	if (cr != NULL)
		cairo_destroy(cr);
	if (surface != NULL)
		cairo_surface_destroy(surface);
	g_object_unref(h);
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_svg = {"svg", bid, rebuild};
