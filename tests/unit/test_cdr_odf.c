/*
 * test_cdr_odf.c - the OpenDocument CDR module (cdr/cdr_odf.c).
 *
 * Packages are generated here with libarchive's zip writer: clean ones
 * (text, spreadsheet, presentation) and hostile ones, one construct after
 * another: StarBasic libraries, scripts, event listeners bound to
 * vnd.sun.star.script: URLs (under foreign prefixes too), embedded
 * objects, DDE connections and formulas, external table and section
 * sources, linked images, javascript: links, forms, macro fields,
 * plugins and sounds.  Each rebuilt package is read back with libarchive:
 * mimetype is the first member and stored, the manifest lists exactly the
 * members there are, every XML member parses, the removed constructs are
 * searched for in every member's bytes and the text of content.xml is
 * compared with the input's.  Encrypted, malformed, truncated and
 * oversized inputs must be refused.  The public samples in
 * ../shared/corpus-external are run when present.
 */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_odf;

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define ODF_NS "urn:oasis:names:tc:opendocument:xmlns:"
#define NSDECL                                               \
	" xmlns:office=\"" ODF_NS "office:1.0\""             \
	" xmlns:text=\"" ODF_NS "text:1.0\""                 \
	" xmlns:table=\"" ODF_NS "table:1.0\""               \
	" xmlns:draw=\"" ODF_NS "drawing:1.0\""              \
	" xmlns:presentation=\"" ODF_NS "presentation:1.0\"" \
	" xmlns:script=\"" ODF_NS "script:1.0\""             \
	" xmlns:form=\"" ODF_NS "form:1.0\""                 \
	" xmlns:anim=\"" ODF_NS "animation:1.0\""            \
	" xmlns:meta=\"" ODF_NS "meta:1.0\""                 \
	" xmlns:dc=\"http://purl.org/dc/elements/1.1/\""     \
	" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
#define CONTENT(body)                              \
	XML_DECL "<office:document-content" NSDECL \
	         " office:version=\"1.2\">" body "</office:document-content>"
#define TEXT_BODY(x) \
	"<office:body><office:text>" x "</office:text></office:body>"
#define STYLES                                                               \
	XML_DECL "<office:document-styles" NSDECL " office:version=\"1.2\">" \
	         "<office:styles/></office:document-styles>"
#define META                                                               \
	XML_DECL "<office:document-meta" NSDECL " office:version=\"1.2\">" \
	         "<office:meta><dc:title>Meta title</dc:title>"            \
	         "<meta:template xlink:type=\"simple\" "                   \
	         "xlink:href=\"http://example.com/t.ott\"/>"               \
	         "</office:meta></office:document-meta>"
#define MANIFEST_OPEN                                             \
	XML_DECL "<manifest:manifest xmlns:manifest=\"" ODF_NS    \
	         "manifest:1.0\" manifest:version=\"1.2\">"       \
	         "<manifest:file-entry manifest:full-path=\"/\" " \
	         "manifest:media-type=\"application/"             \
	         "vnd.oasis.opendocument.text\"/>"
#define MANIFEST_CLOSE "</manifest:manifest>"
#define ODT "application/vnd.oasis.opendocument.text"
#define ODS "application/vnd.oasis.opendocument.spreadsheet"
#define ODP "application/vnd.oasis.opendocument.presentation"

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

/* The text a reader sees: the content of every text node, in order. */
static void
collect_text(xmlNode *n, GString *out)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE)
			g_string_append(out, (const char *)n->content);
		else if (n->type == XML_ELEMENT_NODE)
			collect_text(n->children, out);
	}
}

static char *
text_of(GBytes *b)
{
	xmlDoc *doc = parse(b);
	GString *s = g_string_new(NULL);

	g_assert_nonnull(doc);
	collect_text(xmlDocGetRootElement(doc), s);
	xmlFreeDoc(doc);
	return g_string_free(s, FALSE);
}

/* The member holding `needle` (ASCII case-insensitive) in its name or
 * bytes, or NULL. */
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
		g_autofree char *kl = g_ascii_strdown(k, -1);

		if (strstr(s, low) != NULL || strstr(kl, low) != NULL)
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
expect_ids(const struct mg_cdr_result *r, const char *const *ids)
{
	for (; *ids != NULL; ids++)
		if (!has_id(r, *ids))
			g_error("removal %s not reported", *ids);
}

static void
run(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *r)
{
	mg_cdr_result_init(r);
	g_assert_cmpint(mg_cdr_odf.rebuild(ctx, in, r), ==, MG_OK);
}

static void
ctx_init(struct mg_cdr_ctx *ctx, struct mg_limits *lim)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(lim, 0, sizeof(*lim));
	ctx->limits = lim;
	ctx->keep_hyperlinks = TRUE;
	ctx->keep_metadata = TRUE;
}

static GBytes *
nested_accept(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	*extension_r = NULL;
	return g_bytes_ref(data);
}

static GBytes *
nested_refuse(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	*extension_r = NULL;
	return NULL;
}

static GBytes *
nested_to_jpeg(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	*extension_r = g_strdup("jpg");
	return g_bytes_new_static(jpeg, sizeof(jpeg));
}

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

/* Rebuild `out` again: the same bytes, nothing removed. */
static void
expect_stable(struct mg_cdr_ctx *ctx, GBytes *out)
{
	struct mg_cdr_result r;

	run(ctx, out, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 0);
	g_assert_true(g_bytes_equal(r.data, out));
	mg_cdr_result_clear(&r);
}

/*
 * The package invariants: "mimetype" first, stored, no compression, no
 * extra field and no data descriptor, so that its media type starts at
 * offset 38 (its local header, APPNOTE 4.3.7; ODF 1.2 Part 3, 3.3); the
 * manifest lists every member but
 * mimetype and itself, and nothing else; every XML member parses.
 */
static void
check_package(GBytes *out, const char *mime)
{
	gsize len;
	const guint8 *d = g_bytes_get_data(out, &len);
	g_autoptr(GPtrArray) order = NULL;
	g_autoptr(GHashTable) t = zip_read(out, &order);
	g_autoptr(GHashTable) listed =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GBytes *mt, *mf;
	xmlDoc *doc;
	xmlNode *c;
	guint i;

	g_assert_cmpuint(len, >, 38);
	g_assert_true(memcmp(d, "PK\x03\x04", 4) == 0);
	g_assert_cmpuint(d[8] | d[9] << 8, ==, 0); /* stored */
	g_assert_cmpuint(d[26] | d[27] << 8, ==, 8);
	g_assert_true(memcmp(d + 30, "mimetype", 8) == 0);
	g_assert_cmpuint(d[28] | d[29] << 8, ==, 0);        /* no extra field */
	g_assert_cmpuint((d[6] | d[7] << 8) & 0x08, ==, 0); /* no descriptor */
	g_assert_true(memcmp(d + 38, mime, strlen(mime)) == 0);
	g_assert_cmpstr(g_ptr_array_index(order, 0), ==, "mimetype");
	mt = g_hash_table_lookup(t, "mimetype");
	g_assert_cmpuint(g_bytes_get_size(mt), ==, strlen(mime));
	g_assert_true(
	    memcmp(g_bytes_get_data(mt, NULL), mime, strlen(mime)) == 0);
	mf = g_hash_table_lookup(t, "META-INF/manifest.xml");
	g_assert_nonnull(mf);
	doc = parse(mf);
	g_assert_nonnull(doc);
	for (c = xmlDocGetRootElement(doc)->children; c != NULL; c = c->next) {
		xmlChar *p, *mtype;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		p = xmlGetNsProp(c, (const xmlChar *)"full-path",
		    (const xmlChar *)ODF_NS "manifest:1.0");
		mtype = xmlGetNsProp(c, (const xmlChar *)"media-type",
		    (const xmlChar *)ODF_NS "manifest:1.0");
		g_assert_nonnull(p);
		g_assert_nonnull(mtype);
		if (strcmp((char *)p, "/") == 0)
			g_assert_cmpstr((char *)mtype, ==, mime);
		else
			g_assert_true(g_hash_table_contains(t, p));
		g_hash_table_add(listed, g_strdup((char *)p));
		xmlFree(p);
		xmlFree(mtype);
	}
	xmlFreeDoc(doc);
	for (i = 0; i < order->len; i++) {
		const char *n = g_ptr_array_index(order, i);

		if (strcmp(n, "mimetype") == 0 ||
		    strcmp(n, "META-INF/manifest.xml") == 0)
			continue;
		if (!g_hash_table_contains(listed, n))
			g_error("member %s is not in the manifest", n);
		if (g_str_has_suffix(n, ".xml")) {
			doc = parse(g_hash_table_lookup(t, n));
			if (doc == NULL)
				g_error("%s does not parse", n);
			xmlFreeDoc(doc);
		}
	}
	g_assert_cmpuint(g_hash_table_size(listed), ==, order->len - 1);
}

/* ---- a clean document ---- */

/* clang-format off */
static const char clean_content[] = CONTENT(
    "<office:scripts/>"
    "<office:automatic-styles/>"
    TEXT_BODY(
        "<office:forms form:automatic-focus=\"false\"/>"
        "<text:p>Hello, clean world. 日本語の段落</text:p>"
        "<text:p><text:a xlink:type=\"simple\" "
        "xlink:href=\"https://example.org/\">A web link</text:a></text:p>"
        "<text:p><text:a xlink:href=\"#Bookmark\">Inside</text:a></text:p>"
        "<text:p><draw:frame draw:name=\"img\"><draw:image "
        "xlink:href=\"Pictures/a.png\" xlink:type=\"simple\"/>"
        "</draw:frame></text:p>"));
/* clang-format on */

static GBytes *
clean_odt(void)
{
	const struct member m[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", clean_content, -1},
	    {"styles.xml", STYLES, -1},
	    {"meta.xml", META, -1},
	    {"settings.xml", XML_DECL "<x/>", -1},
	    {"Thumbnails/thumbnail.png", png, sizeof(png)},
	    {"Configurations2/accelerator/current.xml", "", 0},
	    {"Pictures/a.png", png, sizeof(png)},
	    {"META-INF/manifest.xml", MANIFEST_OPEN MANIFEST_CLOSE, -1},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

static void
test_clean(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = clean_odt();
	g_autoptr(GHashTable) tin = zip_read(in, NULL);
	g_autoptr(GHashTable) tout = NULL;
	g_autofree char *a = NULL, *b = NULL;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "odt");
	g_assert_cmpstr(r.mime_type, ==, ODT);
	/* meta:template is a reference to outside; nothing else goes. */
	g_assert_cmpuint(r.removed->len, ==, 1);
	g_assert_true(has_id(&r, MG_CDR_RM_TEMPLATE));
	check_package(r.data, ODT);
	tout = zip_read(r.data, NULL);
	a = text_of(g_hash_table_lookup(tin, "content.xml"));
	b = text_of(g_hash_table_lookup(tout, "content.xml"));
	g_assert_cmpstr(a, ==, b);
	g_assert_nonnull(strstr(b, "日本語の段落"));
	g_assert_nonnull(find_in(tout, "https://example.org/"));
	g_assert_nonnull(find_in(tout, "#Bookmark"));
	g_assert_true(g_hash_table_contains(tout, "Pictures/a.png"));
	g_assert_true(g_hash_table_contains(tout, "meta.xml"));
	g_assert_true(g_hash_table_contains(tout, "styles.xml"));
	g_assert_false(g_hash_table_contains(tout, "settings.xml"));
	g_assert_false(g_hash_table_contains(tout, "Thumbnails/thumbnail.png"));
	g_assert_nonnull(find_in(tout, "Meta title"));
	g_assert_null(find_in(tout, "meta:template"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

static void
test_metadata(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = clean_odt();
	g_autoptr(GHashTable) t = NULL;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	ctx.keep_metadata = FALSE;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_METADATA));
	check_package(r.data, ODT);
	t = zip_read(r.data, NULL);
	g_assert_false(g_hash_table_contains(t, "meta.xml"));
	g_assert_null(find_in(t, "Meta title"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

static void
test_links(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = clean_odt();
	g_autoptr(GHashTable) t = NULL;
	g_autofree char *text = NULL;

	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	ctx.keep_hyperlinks = FALSE;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_LINKS));
	t = zip_read(r.data, NULL);
	g_assert_null(find_in(t, "example.org"));
	/* A jump inside the document is no link to outside. */
	g_assert_nonnull(find_in(t, "#Bookmark"));
	text = text_of(g_hash_table_lookup(t, "content.xml"));
	g_assert_nonnull(strstr(text, "A web link"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* ---- hostile documents ---- */

#define SCRIPT_URL                                                      \
	"vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;" \
	"location=document"

/* clang-format off */
static const char hostile_content[] = CONTENT(
    "<office:scripts><office:event-listeners>"
    "<script:event-listener script:language=\"ooo:script\" "
    "script:event-name=\"dom:load\" xlink:href=\"" SCRIPT_URL "\"/>"
    "</office:event-listeners></office:scripts>"
    TEXT_BODY(
        "<text:dde-connection-decls><text:dde-connection-decl "
        "office:name=\"d1\" office:dde-application=\"cmd\" "
        "office:dde-topic=\"/c calc\" office:dde-item=\"x\"/>"
        "</text:dde-connection-decls>"
        "<text:p>Body text stays</text:p>"
        "<text:p><text:execute-macro text:name=\"Standard.Module1.Main\">"
        "Macro button text</text:execute-macro></text:p>"
        "<text:p><text:dde-connection text:connection-name=\"d1\">"
        "DDE value text</text:dde-connection></text:p>"
        "<text:p><text:a xlink:href=\"javascript:alert(1)\">Script "
        "link text</text:a></text:p>"
        "<text:p><text:a xlink:href=\"file:///etc/passwd\">File link"
        "</text:a></text:p>"
        "<text:p><draw:frame draw:name=\"o\"><draw:object "
        "xlink:href=\"./Object 1\" xlink:type=\"simple\"/><draw:image "
        "xlink:href=\"./ObjectReplacements/Object 1\"/></draw:frame>"
        "<draw:frame draw:name=\"l\"><draw:image "
        "xlink:href=\"file:///C:/secret.png\"/></draw:frame>"
        "<draw:frame draw:name=\"i\"><draw:image><office:binary-data>"
        "iVBORw0KGgo=</office:binary-data></draw:image></draw:frame>"
        "</text:p>"
        "<text:section text:name=\"s\"><text:section-source "
        "xlink:href=\"smb://host/share/x.odt\"/><text:p>Section "
        "cache</text:p></text:section>"
        "<text:p><draw:control draw:control=\"c1\"/>"
        "<text:span text:style-name=\"x\" "
        "office:target-frame-name=\"macro:Standard.Module1.Main\">"
        "span</text:span></text:p>"
        "<office:forms><form:form form:name=\"f\" "
        "xlink:href=\"http://example.com/submit\"><form:button "
        "form:id=\"c1\"/></form:form></office:forms>"
        "<text:p xml:base=\"http://evil.example/\">based</text:p>"
        /* A foreign prefix for the script namespace. */
        "<text:p><zz:event-listener xmlns:zz=\"" ODF_NS "script:1.0\" "
        "zz:event-name=\"dom:click\"/></text:p>"
        "<text:p><text:script script:language=\"JavaScript\">"
        "alert(2)</text:script></text:p>"));
/* clang-format on */

static const char *const hostile_needles[] = {"vnd.sun.star.script",
    "javascript:", "file:///", "Basic/", "Scripts/", "Object 1",
    "dde-connection", "section-source", "smb://", "binary-data", "draw:control",
    "form:button", "example.com/submit", "evil.example", "event-listener",
    "macro:", "text:script", "alert(2)", NULL};

static void
test_hostile_odt(void)
{
	const struct member m[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", hostile_content, -1},
	    {"styles.xml", STYLES, -1},
	    {"Basic/Standard/Module1.xml", "<script:module/>", -1},
	    {"Basic/script-lc.xml", "<library/>", -1},
	    {"Scripts/python/x.py", "import os", -1},
	    {"Object 1/content.xml", "<x/>", -1},
	    {"ObjectReplacements/Object 1", "gdi", -1},
	    {"Configurations2/menubar/menubar.xml", "<menubar/>", -1},
	    {"payload.exe", "MZ", -1},
	    {"META-INF/manifest.xml", MANIFEST_OPEN MANIFEST_CLOSE, -1},
	};
	static const char *const ids[] = {MG_CDR_RM_MACROS, MG_CDR_RM_SCRIPT,
	    MG_CDR_RM_ACTIONS, MG_CDR_RM_OLE, MG_CDR_RM_DDE, MG_CDR_RM_EXTERNAL,
	    MG_CDR_RM_EMBEDDED, MG_CDR_RM_CUSTOMUI, MG_CDR_RM_LINKS, NULL};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	g_autoptr(GHashTable) t = NULL;
	g_autofree char *text = NULL;

	ctx_init(&ctx, &lim);
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	expect_ids(&r, ids);
	check_package(r.data, ODT);
	t = zip_read(r.data, NULL);
	assert_absent(t, hostile_needles);
	g_assert_cmpuint(g_hash_table_size(t), ==, 4);
	text = text_of(g_hash_table_lookup(t, "content.xml"));
	g_assert_nonnull(strstr(text, "Body text stays"));
	g_assert_nonnull(strstr(text, "Macro button text"));
	g_assert_nonnull(strstr(text, "DDE value text"));
	g_assert_nonnull(strstr(text, "Script link text"));
	g_assert_nonnull(strstr(text, "Section cache"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* clang-format off */
static const char ods_content[] = CONTENT(
    "<office:body><office:spreadsheet>"
    "<table:table table:name=\"S1\">"
    "<table:table-source xlink:href=\"file:///C:/other.ods\" "
    "table:table-name=\"S\"/>"
    "<table:table-row><table:table-cell office:value-type=\"float\" "
    "office:value=\"42\" table:formula=\"of:=DDE(&quot;cmd&quot;;"
    "&quot;/c calc&quot;;&quot;x&quot;)\"><text:p>42</text:p>"
    "</table:table-cell><table:table-cell office:value-type=\"float\" "
    "office:value=\"7\" table:formula=\"of:=['file:///C:/x.ods'#$S.A1]\">"
    "<text:p>7</text:p></table:table-cell><table:table-cell "
    "office:value-type=\"float\" office:value=\"3\" "
    "table:formula=\"of:=[.A1]+1\"><text:p>3</text:p></table:table-cell>"
    "<table:table-cell><text:p>Cell text</text:p></table:table-cell>"
    "</table:table-row></table:table>"
    "<table:database-ranges><table:database-range table:name=\"r\">"
    "<table:database-source-sql table:database-name=\"db\" "
    "table:sql-statement=\"SELECT 1\"/></table:database-range>"
    "</table:database-ranges>"
    "<table:dde-links><table:dde-link><office:dde-source "
    "office:dde-application=\"cmd\" office:dde-topic=\"/c calc\" "
    "office:dde-item=\"x\"/><table:table/></table:dde-link>"
    "</table:dde-links>"
    "</office:spreadsheet></office:body>");

static const char odp_content[] = CONTENT(
    "<office:body><office:presentation>"
    "<draw:page draw:name=\"p1\"><draw:frame><draw:text-box><text:p>"
    "Slide text</text:p></draw:text-box></draw:frame>"
    "<draw:frame><draw:plugin xlink:href=\"Media/v.mp4\" "
    "draw:mime-type=\"application/vnd.sun.star.media\"/></draw:frame>"
    "<draw:custom-shape><office:event-listeners>"
    "<presentation:event-listener script:event-name=\"dom:click\" "
    "presentation:action=\"execute\" xlink:href=\"C:/Windows/calc.exe\"/>"
    "<presentation:event-listener script:event-name=\"dom:click\" "
    "presentation:action=\"sound\"><presentation:sound "
    "xlink:href=\"http://example.com/s.wav\"/></presentation:event-listener>"
    "</office:event-listeners></draw:custom-shape>"
    "<anim:par><anim:command anim:command=\"verb\"/></anim:par>"
    "</draw:page></office:presentation></office:body>");
/* clang-format on */

static void
test_ods_odp(void)
{
	const struct member ods[] = {
	    {"mimetype", ODS, -1},
	    {"content.xml", ods_content, -1},
	};
	const struct member odp[] = {
	    {"mimetype", ODP, -1},
	    {"content.xml", odp_content, -1},
	    {"Media/v.mp4",
	        "\0\0\0\x18"
	        "ftypmp42",
	        12},
	};
	static const char *const ods_ids[] = {
	    MG_CDR_RM_DDE, MG_CDR_RM_EXTERNAL, MG_CDR_RM_DATACONN, NULL};
	static const char *const ods_needles[] = {
	    "DDE(", "file:///", "dde-link", "table-source", "SELECT 1", NULL};
	static const char *const odp_ids[] = {
	    MG_CDR_RM_MULTIMEDIA, MG_CDR_RM_ACTIONS, NULL};
	static const char *const odp_needles[] = {"calc.exe", "Media/", "s.wav",
	    "plugin", "event-listener", "anim:command", NULL};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in;
	g_autoptr(GHashTable) t = NULL;
	g_autoptr(GHashTable) t2 = NULL;
	g_autofree char *text = NULL;

	ctx_init(&ctx, &lim);
	in = zip_build(ods, G_N_ELEMENTS(ods));
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "ods");
	expect_ids(&r, ods_ids);
	check_package(r.data, ODS);
	t = zip_read(r.data, NULL);
	assert_absent(t, ods_needles);
	/* Cached values stay; a formula inside the sheet too. */
	g_assert_nonnull(find_in(t, "office:value=\"42\""));
	g_assert_nonnull(find_in(t, "of:=[.A1]+1"));
	text = text_of(g_hash_table_lookup(t, "content.xml"));
	g_assert_nonnull(strstr(text, "Cell text"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);

	in = zip_build(odp, G_N_ELEMENTS(odp));
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.extension, ==, "odp");
	expect_ids(&r, odp_ids);
	check_package(r.data, ODP);
	t2 = zip_read(r.data, NULL);
	assert_absent(t2, odp_needles);
	g_assert_nonnull(find_in(t2, "Slide text"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* ---- pictures ---- */

static void
test_pictures(void)
{
	const struct member m[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", clean_content, -1},
	    {"Pictures/a.png", png, sizeof(png)},
	};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	g_autoptr(GHashTable) t = NULL;
	g_autoptr(GHashTable) t2 = NULL;

	ctx_init(&ctx, &lim);
	/* Retyped by the walk: renamed, and the reference follows. */
	ctx.nested = nested_to_jpeg;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 0);
	check_package(r.data, ODT);
	t = zip_read(r.data, NULL);
	g_assert_true(g_hash_table_contains(t, "Pictures/a.jpg"));
	g_assert_false(g_hash_table_contains(t, "Pictures/a.png"));
	g_assert_nonnull(find_in(t, "xlink:href=\"Pictures/a.jpg\""));
	g_assert_nonnull(find_in(t, "image/jpeg"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	/* Refused by the walk (and without a walk): left out, and the
	 * picture with it. */
	ctx.nested = nested_refuse;
	run(&ctx, in, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_true(has_id(&r, MG_CDR_RM_EMBEDDED));
	check_package(r.data, ODT);
	t2 = zip_read(r.data, NULL);
	g_assert_null(find_in(t2, "Pictures/"));
	g_assert_null(find_in(t2, "draw:frame"));
	expect_stable(&ctx, r.data);
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
}

/* ---- refusals ---- */

static void
test_encrypted(void)
{
	const struct member m[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml",
	        "\x93\x11"
	        "binary",
	        -1},
	    {"META-INF/manifest.xml",
	        MANIFEST_OPEN
	        "<manifest:file-entry manifest:full-path=\"content.xml\" "
	        "manifest:media-type=\"text/xml\"><manifest:encryption-data "
	        "manifest:checksum-type=\"SHA1/1K\" manifest:checksum=\"x\">"
	        "<manifest:algorithm manifest:algorithm-name=\"Blowfish CFB\" "
	        "manifest:initialisation-vector=\"x\"/>"
	        "</manifest:encryption-data></"
	        "manifest:file-entry>" MANIFEST_CLOSE,
	        -1},
	};
	const struct member plain[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", clean_content, -1},
	};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;

	ctx_init(&ctx, &lim);
	in = zip_build(m, G_N_ELEMENTS(m));
	expect_refused(&ctx, in, MG_REASON_ENCRYPTED);
	g_bytes_unref(in);
	/* A zip encrypted as a zip. */
	in = zip_build_opts(plain, G_N_ELEMENTS(plain),
	    "zip:compression=deflate,zip:encryption=zipcrypt", "secret");
	expect_refused(&ctx, in, MG_REASON_ENCRYPTED);
	g_bytes_unref(in);
}

static void
test_malformed(void)
{
	const struct member no_mimetype[] = {
	    {"content.xml", clean_content, -1},
	};
	const struct member master[] = {
	    {"mimetype", "application/vnd.oasis.opendocument.text-master", -1},
	    {"content.xml", clean_content, -1},
	};
	const struct member no_content[] = {
	    {"mimetype", ODT, -1},
	    {"styles.xml", STYLES, -1},
	};
	const struct member doctype[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml",
	        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>"
	        "<office:document-content xmlns:office=\"" ODF_NS
	        "office:1.0\">&a;</office:document-content>",
	        -1},
	};
	const struct member foreign_root[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", "<html><body>x</body></html>", -1},
	};
	const struct member bad_xml[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", "<office:document-content", -1},
	};
	const struct member bad_name[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", clean_content, -1},
	    {"../evil.xml", "x", -1},
	};
	struct {
		const struct member *m;
		gsize n;
		enum mg_reason reason;
	} cases[] = {
	    {no_mimetype, G_N_ELEMENTS(no_mimetype), MG_REASON_UNSUPPORTED},
	    {master, G_N_ELEMENTS(master), MG_REASON_UNSUPPORTED},
	    {no_content, G_N_ELEMENTS(no_content), MG_REASON_DAMAGED_ARCHIVE},
	    {doctype, G_N_ELEMENTS(doctype), MG_REASON_CDR_FAILED},
	    {foreign_root, G_N_ELEMENTS(foreign_root), MG_REASON_CDR_FAILED},
	    {bad_xml, G_N_ELEMENTS(bad_xml), MG_REASON_CDR_FAILED},
	    {bad_name, G_N_ELEMENTS(bad_name), MG_REASON_UNSAFE_MEMBER_NAME},
	};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;
	gsize i;

	ctx_init(&ctx, &lim);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		in = zip_build(cases[i].m, cases[i].n);
		expect_refused(&ctx, in, cases[i].reason);
		g_bytes_unref(in);
	}
	in = g_bytes_new_static("PK\x03\x04 not a zip at all", 24);
	expect_refused(&ctx, in, MG_REASON_NONE);
	g_bytes_unref(in);
	in = g_bytes_new_static("", 0);
	expect_refused(&ctx, in, MG_REASON_NONE);
	g_bytes_unref(in);
}

/* Every prefix of a hostile package, and random damage: refused or
 * rebuilt, never a crash or a leak. */
static void
test_truncated_damaged(void)
{
	const struct member m[] = {
	    {"mimetype", ODT, -1},
	    {"content.xml", hostile_content, -1},
	    {"Basic/Standard/Module1.xml", "<script:module/>", -1},
	};
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	struct mg_cdr_result r;
	GBytes *in = zip_build(m, G_N_ELEMENTS(m));
	gsize len, i;
	const guint8 *d = g_bytes_get_data(in, &len);
	GRand *rnd = g_rand_new_with_seed(11);

	ctx_init(&ctx, &lim);
	for (i = 0; i < len; i += 7) {
		GBytes *cut = g_bytes_new(d, i);

		run(&ctx, cut, &r);
		g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
		mg_cdr_result_clear(&r);
		g_bytes_unref(cut);
	}
	for (i = 0; i < 300; i++) {
		guint8 *copy = g_memdup2(d, len);
		GBytes *b;
		guint k;

		for (k = 0; k < 4; k++)
			copy[g_rand_int_range(rnd, 0, (gint32)len)] =
			    (guint8)g_rand_int(rnd);
		b = g_bytes_new_take(copy, len);
		run(&ctx, b, &r);
		g_assert_true(
		    r.outcome == MG_CDR_REBUILT || r.outcome == MG_CDR_REFUSED);
		if (r.outcome == MG_CDR_REBUILT) {
			g_autoptr(GHashTable) t = zip_read(r.data, NULL);

			g_assert_null(find_in(t, "Basic/"));
			g_assert_null(find_in(t, "vnd.sun.star.script"));
		}
		mg_cdr_result_clear(&r);
		g_bytes_unref(b);
	}
	g_rand_free(rnd);
	g_bytes_unref(in);
}

static void
test_limits(void)
{
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	GBytes *in;
	guint8 *big = g_malloc0(8u * 1024 * 1024);
	gsize i;

	ctx_init(&ctx, &lim);
	/* 8 MiB of zeros in a few kilobytes: past the ratio. */
	{
		const struct member m[] = {
		    {"mimetype", ODT, -1},
		    {"content.xml", clean_content, -1},
		    {"Pictures/zeros.png", big, 8u * 1024 * 1024},
		};

		in = zip_build(m, G_N_ELEMENTS(m));
		g_assert_cmpuint(g_bytes_get_size(in), <, 64 * 1024);
		expect_refused(&ctx, in, MG_REASON_ARCHIVE_BOMB);
		lim.max_member_size = 1024 * 1024;
		expect_refused(&ctx, in, MG_REASON_MEMBER_TOO_LARGE);
		lim.max_member_size = 0;
		lim.max_part_size = 1000;
		expect_refused(&ctx, in, MG_REASON_PART_TOO_LARGE);
		lim.max_part_size = 0;
		g_bytes_unref(in);
	}
	g_free(big);
	/* More members than the module takes. */
	{
		struct member *m = g_new0(struct member, 10002);
		char **names = g_new0(char *, 10002);

		m[0].name = "mimetype";
		m[0].data = ODT;
		m[0].len = -1;
		for (i = 1; i < 10002; i++) {
			names[i] = g_strdup_printf("Pictures/%zu.png", i);
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

static void
test_bid(void)
{
	GBytes *in = clean_odt();
	gsize len;
	const guint8 *d = g_bytes_get_data(in, &len);
	const struct mg_cdr_module *mod;

	g_assert_cmpint(mg_cdr_odf.bid(ODT, "odt", d, len), >, 0);
	g_assert_cmpint(
	    mg_cdr_odf.bid("text/plain", "txt", (const guint8 *)"x", 1), ==, 0);
	/* By content, under another name or a generic type. */
	mod = mg_cdr_pick("application/zip", "zip", d, len);
	g_assert_nonnull(mod);
	g_assert_cmpstr(mod->name, ==, "odf");
	mod = mg_cdr_pick("application/octet-stream", NULL, d, len);
	g_assert_nonnull(mod);
	g_assert_cmpstr(mod->name, ==, "odf");
	mod = mg_cdr_pick(ODT, "docx", d, len);
	g_assert_cmpstr(mod->name, ==, "odf");
	g_bytes_unref(in);
}

/* ---- the public samples ---- */

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

static void
collect_samples(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	if (d == NULL)
		return;
	while ((n = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			collect_samples(p, out);
			g_free(p);
		} else if (g_str_has_suffix(n, ".odt") ||
		           g_str_has_suffix(n, ".ods") ||
		           g_str_has_suffix(n, ".odp") ||
		           g_str_has_suffix(n, ".odg")) {
			g_ptr_array_add(out, p);
		} else {
			g_free(p);
		}
	}
	g_dir_close(d);
}

static void
test_corpus(void)
{
	static const char *const needles[] = {
	    "vnd.sun.star.script", "javascript:", NULL};
	g_autofree char *dir = corpus_dir();
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	struct mg_cdr_ctx ctx;
	struct mg_limits lim;
	guint i, rebuilt = 0;

	if (dir == NULL) {
		g_test_skip("no ../shared/corpus-external");
		return;
	}
	collect_samples(dir, files);
	ctx_init(&ctx, &lim);
	ctx.nested = nested_accept;
	for (i = 0; i < files->len; i++) {
		const char *path = g_ptr_array_index(files, i);
		g_autofree char *data = NULL;
		struct mg_cdr_result r;
		gsize len;
		GBytes *in;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		in = g_bytes_new_take(g_steal_pointer(&data), len);
		run(&ctx, in, &r);
		{
			g_autofree char *ids = NULL;

			g_ptr_array_add(r.removed, NULL);
			ids = g_strjoinv(",", (char **)r.removed->pdata);
			g_ptr_array_set_size(r.removed, r.removed->len - 1);
			g_test_message("%s: outcome %d %s [%s]", path,
			    r.outcome, r.detail != NULL ? r.detail : "", ids);
		}
		g_assert_true(
		    r.outcome == MG_CDR_REBUILT || r.outcome == MG_CDR_REFUSED);
		if (r.outcome == MG_CDR_REBUILT) {
			g_autoptr(GHashTable) t = zip_read(r.data, NULL);
			GHashTableIter it;
			gpointer k;

			check_package(r.data, r.mime_type);
			assert_absent(t, needles);
			g_hash_table_iter_init(&it, t);
			while (g_hash_table_iter_next(&it, &k, NULL))
				g_assert_false(
				    g_str_has_prefix(k, "Basic/") ||
				    g_str_has_prefix(k, "Scripts/") ||
				    g_str_has_prefix(k, "Object"));
			expect_stable(&ctx, r.data);
			rebuilt++;
		}
		mg_cdr_result_clear(&r);
		g_bytes_unref(in);
	}
	/* The clean controls among them are rebuilt. */
	if (files->len > 0)
		g_assert_cmpuint(rebuilt, >, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr/odf/clean", test_clean);
	g_test_add_func("/cdr/odf/metadata", test_metadata);
	g_test_add_func("/cdr/odf/links", test_links);
	g_test_add_func("/cdr/odf/hostile_odt", test_hostile_odt);
	g_test_add_func("/cdr/odf/ods_odp", test_ods_odp);
	g_test_add_func("/cdr/odf/pictures", test_pictures);
	g_test_add_func("/cdr/odf/encrypted", test_encrypted);
	g_test_add_func("/cdr/odf/malformed", test_malformed);
	g_test_add_func("/cdr/odf/truncated_damaged", test_truncated_damaged);
	g_test_add_func("/cdr/odf/limits", test_limits);
	g_test_add_func("/cdr/odf/bid", test_bid);
	g_test_add_func("/cdr/odf/corpus", test_corpus);
	return g_test_run();
}
