/*
 * cdr_odf.c - CDR for OpenDocument packages (OASIS ODF 1.0-1.3, ISO/IEC
 * 26300): text, spreadsheet, presentation and drawing documents and their
 * templates (odt ods odp odg ott ots otp otg).
 *
 * The package (a zip, ODF 1.2 Part 3, chapter 3) is read whole with
 * libarchive and rebuilt from an allowlist of members: "mimetype" (written
 * first and stored, Part 3, 3.3), content.xml and styles.xml, meta.xml
 * when [cdr] metadata keeps it, and the images under Pictures/, each
 * handed back to the walk (ctx->nested) and kept only when it comes back.
 * META-INF/manifest.xml is written anew, listing exactly what is kept.
 * Everything else goes: StarBasic libraries (Basic/), scripts (Scripts/),
 * embedded objects and their replacement images (Object N/,
 * ObjectReplacements/), UI configuration (Configurations2/), media,
 * thumbnails (a thumbnail can show other content than the document),
 * settings.xml, signatures and unknown members.
 *
 * Inside the kept XML parts the rules below remove script and macro
 * bindings (office:scripts, event listeners, text:execute-macro, which
 * keeps its text), embedded objects, applets, plugins and floating
 * frames, form controls, DDE connections, links to external sources
 * (table and section sources, linked images, external references in
 * formulas), data base connections, xml:base, and every attribute whose
 * value is a script URL (vnd.sun.star.script:, macro:, javascript:,
 * vbscript: …).  Hyperlinks follow the link policy: http, https and
 * mailto stay when ctx->keep_hyperlinks, links inside the document ("#")
 * always; any other link is removed and its text kept.  Elements are
 * matched on their namespace URI, never on a prefix (a hostile file may
 * bind any prefix).
 *
 * Untrusted: every byte of the input: the zip structure, member names and
 * sizes, mimetype, the manifest and every XML part.  The XML parser runs
 * as mg_cdr_xml_parse() says (no network, no DTD, no entities, a DOCTYPE
 * refuses the part).  Member names are never used as paths.
 *
 * Limits: the input size (max_part_size), the member count (MAX_MEMBERS),
 * each member's size (max_member_size), the total unpacked size
 * (max_archive_total) and the expansion ratio (max_archive_ratio with
 * MG_CDR_RATIO_ALLOWANCE), the size of one XML part (MAX_XML_SIZE),
 * libxml2's own element depth limit, and the output size
 * (max_part_size).
 *
 * Every package is rebuilt.  The rebuilt package is read back by this
 * module and must come out byte for byte the same with nothing removed;
 * if it does not, the file is refused.
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/tree.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/* Members in one package: a large presentation has a few hundred. */
#define MAX_MEMBERS 10000
/* One XML part.  A libxml2 tree takes several times the text it holds;
 * 32 MiB of content.xml is a book of thousands of pages. */
#define MAX_XML_SIZE (32u * 1024 * 1024)

#define ODF_NS "urn:oasis:names:tc:opendocument:xmlns:"
#define MANIFEST_NS ODF_NS "manifest:1.0"
#define ODF_MIME "application/vnd.oasis.opendocument."

enum ns {
	NS_OTHER,
	NS_OFFICE,
	NS_TEXT,
	NS_TABLE,
	NS_DRAW,
	NS_PRESENTATION,
	NS_SCRIPT,
	NS_FORM,
	NS_ANIM,
	NS_META,
	NS_MANIFEST,
	NS_XLINK,
	NS_XML,
};

static const struct {
	enum ns ns;
	const char *uri;
} ns_uris[] = {
    {NS_OFFICE, ODF_NS "office:1.0"},
    {NS_TEXT, ODF_NS "text:1.0"},
    {NS_TABLE, ODF_NS "table:1.0"},
    {NS_DRAW, ODF_NS "drawing:1.0"},
    {NS_PRESENTATION, ODF_NS "presentation:1.0"},
    {NS_SCRIPT, ODF_NS "script:1.0"},
    {NS_FORM, ODF_NS "form:1.0"},
    {NS_ANIM, ODF_NS "animation:1.0"},
    {NS_META, ODF_NS "meta:1.0"},
    {NS_MANIFEST, MANIFEST_NS},
    {NS_XLINK, "http://www.w3.org/1999/xlink"},
    {NS_XML, "http://www.w3.org/XML/1998/namespace"},
};

/* The package types this module rebuilds (ODF 1.2 Part 1, appendix C);
 * master documents, charts, formulas and images are not among them. */
static const struct odf_type {
	const char *mime;
	const char *ext;
} odf_types[] = {
    {ODF_MIME "text", "odt"},
    {ODF_MIME "text-template", "ott"},
    {ODF_MIME "spreadsheet", "ods"},
    {ODF_MIME "spreadsheet-template", "ots"},
    {ODF_MIME "presentation", "odp"},
    {ODF_MIME "presentation-template", "otp"},
    {ODF_MIME "graphics", "odg"},
    {ODF_MIME "graphics-template", "otg"},
};

/* What is done to an element, wherever it is. */
enum act {
	DROP,       /* the element and all it holds */
	DROP_QUIET, /* the same, reported only when it held elements */
	UNWRAP,     /* the element goes, what it holds stays */
};

static const struct rule {
	enum ns ns;
	const char *name;
	enum act act;
	const char *id;
} rules[] = {
    /* Script and macro bindings (ODF 1.2 Part 1, 3.13 and 10.3). */
    {NS_OFFICE, "scripts", DROP_QUIET, MG_CDR_RM_MACROS},
    {NS_OFFICE, "script", DROP, MG_CDR_RM_MACROS},
    {NS_OFFICE, "event-listeners", DROP_QUIET, MG_CDR_RM_ACTIONS},
    {NS_SCRIPT, "event-listener", DROP, MG_CDR_RM_ACTIONS},
    {NS_PRESENTATION, "event-listener", DROP, MG_CDR_RM_ACTIONS},
    {NS_TEXT, "execute-macro", UNWRAP, MG_CDR_RM_MACROS},
    {NS_TEXT, "script", DROP, MG_CDR_RM_SCRIPT},
    {NS_TABLE, "error-macro", DROP, MG_CDR_RM_MACROS},
    {NS_ANIM, "command", DROP, MG_CDR_RM_ACTIONS},
    /* Embedded objects and what plays or runs (10.4.6-10.4.9). */
    {NS_DRAW, "object", DROP, MG_CDR_RM_OLE},
    {NS_DRAW, "object-ole", DROP, MG_CDR_RM_OLE},
    {NS_DRAW, "applet", DROP, MG_CDR_RM_OLE},
    {NS_DRAW, "plugin", DROP, MG_CDR_RM_MULTIMEDIA},
    {NS_PRESENTATION, "sound", DROP, MG_CDR_RM_MULTIMEDIA},
    {NS_DRAW, "floating-frame", DROP, MG_CDR_RM_EXTERNAL},
    /* Images inline in the XML never reach the walk. */
    {NS_OFFICE, "binary-data", DROP, MG_CDR_RM_EMBEDDED},
    /* Forms and their controls (chapter 13): submit targets, bindings. */
    {NS_OFFICE, "forms", DROP_QUIET, MG_CDR_RM_ACTIONS},
    {NS_DRAW, "control", DROP, MG_CDR_RM_ACTIONS},
    /* DDE (12.6, 9.8, 14.6.4). */
    {NS_TEXT, "dde-connection-decls", DROP, MG_CDR_RM_DDE},
    {NS_TEXT, "dde-connection", UNWRAP, MG_CDR_RM_DDE},
    {NS_TABLE, "dde-links", DROP, MG_CDR_RM_DDE},
    {NS_TABLE, "dde-source", DROP, MG_CDR_RM_DDE},
    {NS_OFFICE, "dde-source", DROP, MG_CDR_RM_DDE},
    /* Content fetched from elsewhere when the document opens. */
    {NS_TABLE, "table-source", DROP, MG_CDR_RM_EXTERNAL},
    {NS_TABLE, "cell-range-source", DROP, MG_CDR_RM_EXTERNAL},
    {NS_TEXT, "section-source", DROP, MG_CDR_RM_EXTERNAL},
    {NS_META, "template", DROP, MG_CDR_RM_TEMPLATE},
    /* Data base connections (9.4, 7.6). */
    {NS_TABLE, "database-source-sql", DROP, MG_CDR_RM_DATACONN},
    {NS_TABLE, "database-source-table", DROP, MG_CDR_RM_DATACONN},
    {NS_TABLE, "database-source-query", DROP, MG_CDR_RM_DATACONN},
    {NS_TEXT, "database-display", UNWRAP, MG_CDR_RM_DATACONN},
    {NS_TEXT, "database-next", UNWRAP, MG_CDR_RM_DATACONN},
    {NS_TEXT, "database-row-select", UNWRAP, MG_CDR_RM_DATACONN},
    {NS_TEXT, "database-row-number", UNWRAP, MG_CDR_RM_DATACONN},
    {NS_TEXT, "database-name", UNWRAP, MG_CDR_RM_DATACONN},
};

/* Attribute values that run something when followed. */
static const char *const script_schemes[] = {
    "vnd.sun.star.script:", "vnd.sun.star.service:", "vnd.sun.star.cmd:",
    "macro:", "javascript:", "vbscript:", "service:", ".uno:", NULL};

/* Formula functions that reach outside the document (OpenFormula,
 * ODF 1.2 Part 2, 6.16.15 DDE, 6.16.86 WEBSERVICE), and references to
 * other files ('file:///…'#$Sheet1.A1). */
static const struct {
	const char *needle, *id;
} formula_bad[] = {
    {"dde(", MG_CDR_RM_DDE},
    {"webservice(", MG_CDR_RM_EXTERNAL},
    {"filterxml(", MG_CDR_RM_EXTERNAL},
    {"://", MG_CDR_RM_EXTERNAL},
    {"file:", MG_CDR_RM_EXTERNAL},
};

/* Members dropped without a word (with Thumbnails/ and META-INF/):
 * nothing the reader loses. */
static const char *const inert_names[] = {
    "settings.xml", "layout-cache", "manifest.rdf", NULL};

enum kind {
	K_DROP,
	K_MIMETYPE,
	K_XML,   /* content.xml, styles.xml, meta.xml: cleaned */
	K_IMAGE, /* Pictures/: through the walk */
};

struct member {
	char *name;    /* as in the zip */
	char *outname; /* as written (an image the walk retyped), or NULL */
	GBytes *data;
	GBytes *out; /* cleaned XML, or the image the walk gave back */
	enum kind kind;
};

struct pkg {
	struct mg_cdr_ctx *ctx;
	struct mg_cdr_result *res;
	struct mg_cdr_zip_limits lim;
	gboolean verify;      /* reading back our own output */
	GPtrArray *members;   /* struct member *, zip order (owns them) */
	GHashTable *by_name;  /* name -> struct member * */
	GHashTable *outnames; /* names written, for renames */
	const struct odf_type *type;
	char *version;           /* office:version of content.xml, or NULL */
	struct mg_cdr_verdict v; /* refused or failed, and why */
};

static void
removed(struct pkg *pk, const char *id)
{
	if (id != NULL)
		mg_cdr_result_removed(pk->res, id);
}

static void
member_free(gpointer p)
{
	struct member *m = p;

	g_free(m->name);
	g_free(m->outname);
	if (m->data != NULL)
		g_bytes_unref(m->data);
	if (m->out != NULL)
		g_bytes_unref(m->out);
	g_free(m);
}

static void
pkg_init(struct pkg *pk, struct mg_cdr_ctx *ctx, struct mg_cdr_result *res,
    gboolean verify)
{
	memset(pk, 0, sizeof(*pk));
	pk->ctx = ctx;
	pk->res = res;
	pk->verify = verify;
	mg_cdr_zip_limits(ctx->limits, MAX_MEMBERS, &pk->lim);
	pk->members = g_ptr_array_new_with_free_func(member_free);
	pk->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	pk->outnames = g_hash_table_new(g_str_hash, g_str_equal);
}

static void
pkg_clear(struct pkg *pk)
{
	g_hash_table_unref(pk->by_name);
	g_hash_table_unref(pk->outnames);
	g_ptr_array_unref(pk->members);
	g_free(pk->version);
	g_free(pk->v.detail);
}

static const char *
out_name(const struct member *m)
{
	return m->outname != NULL ? m->outname : m->name;
}

/* ---- XML helpers ---- */

static enum ns
uri_ns(const xmlNs *ns)
{
	gsize i;

	if (ns == NULL || ns->href == NULL)
		return NS_OTHER;
	for (i = 0; i < G_N_ELEMENTS(ns_uris); i++)
		if (strcmp((const char *)ns->href, ns_uris[i].uri) == 0)
			return ns_uris[i].ns;
	return NS_OTHER;
}

static gboolean
is_el(const xmlNode *n, enum ns ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && uri_ns(n->ns) == ns &&
	       strcmp((const char *)n->name, name) == 0;
}

static xmlAttr *
attr_find(const xmlNode *n, enum ns ns, const char *name)
{
	xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next)
		if (uri_ns(a->ns) == ns &&
		    strcmp((const char *)a->name, name) == 0)
			return a;
	return NULL;
}

/* An attribute's value; g_free() it. */
static char *
attr_value(const xmlAttr *a)
{
	xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
	char *r = g_strdup(v != NULL ? (const char *)v : "");

	xmlFree(v);
	return r;
}

static guint
element_children(const xmlNode *n)
{
	const xmlNode *c;
	guint k = 0;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			k++;
	return k;
}

static void
drop_node(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Move n's children before it and drop n; the first moved child, or
 * NULL when there was none. */
static xmlNode *
unwrap(xmlNode *n)
{
	xmlNode *first = n->children, *c, *next;

	for (c = first; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlAddPrevSibling(n, c);
	}
	drop_node(n);
	return first;
}

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static gboolean
is_script_url(const char *v)
{
	gsize i;

	v = skip_blank(v);
	for (i = 0; script_schemes[i] != NULL; i++)
		if (g_ascii_strncasecmp(
		        v, script_schemes[i], strlen(script_schemes[i])) == 0)
			return TRUE;
	return FALSE;
}

/*
 * Whether an IRI points outside the package: a scheme, an absolute or
 * UNC path, a backslash, or a ".." segment (relative IRIs resolve against
 * the package, ODF 1.2 Part 3, 3.7).
 */
static gboolean
href_external(const char *v)
{
	const char *p;

	v = skip_blank(v);
	if (v[0] == '/' || strchr(v, '\\') != NULL)
		return TRUE;
	if (g_ascii_isalpha(v[0])) {
		for (p = v + 1;
		     g_ascii_isalnum(*p) || *p == '+' || *p == '-' || *p == '.';
		     p++)
			;
		if (*p == ':')
			return TRUE;
	}
	return strcmp(v, "..") == 0 || g_str_has_prefix(v, "../") ||
	       strstr(v, "/../") != NULL || g_str_has_suffix(v, "/..");
}

/* The kept member an in-package IRI names, or NULL. */
static struct member *
href_member(struct pkg *pk, const char *v)
{
	g_autofree char *name = NULL;
	struct member *m;

	v = skip_blank(v);
	while (g_str_has_prefix(v, "./"))
		v += 2;
	name = g_uri_unescape_string(v, NULL);
	if (name == NULL)
		return NULL;
	m = g_hash_table_lookup(pk->by_name, name);
	return m != NULL && m->kind == K_IMAGE && m->out != NULL ? m : NULL;
}

/* ---- the rules ---- */

static const struct rule *
rule_of(const xmlNode *n)
{
	enum ns ns = uri_ns(n->ns);
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(rules); i++)
		if (rules[i].ns == ns &&
		    strcmp((const char *)n->name, rules[i].name) == 0)
			return &rules[i];
	return NULL;
}

/* Hyperlink elements (6.1.8 text:a, 10.4.12 draw:a, 10.4.13.4 image map
 * areas), whose xlink:href follows the link policy. */
static gboolean
is_link(const xmlNode *n)
{
	enum ns ns = uri_ns(n->ns);
	const char *name = (const char *)n->name;

	return (ns == NS_TEXT && strcmp(name, "a") == 0) ||
	       (ns == NS_DRAW &&
	           (strcmp(name, "a") == 0 || g_str_has_prefix(name, "area-")));
}

/* The id a link is removed under, or NULL when it stays. */
static const char *
link_verdict(struct pkg *pk, const xmlNode *n)
{
	xmlAttr *a = attr_find(n, NS_XLINK, "href");
	g_autofree char *v = NULL;
	const char *t;

	if (a == NULL)
		return NULL;
	v = attr_value(a);
	t = skip_blank(v);
	if (is_script_url(t))
		return MG_CDR_RM_ACTIONS;
	if (t[0] == '#' || mg_cdr_link_allowed(pk->ctx, t))
		return NULL;
	return MG_CDR_RM_LINKS;
}

static gboolean
is_formula_attr(const xmlAttr *a)
{
	const char *name = (const char *)a->name;

	return strcmp(name, "formula") == 0 || strcmp(name, "condition") == 0 ||
	       strcmp(name, "expression") == 0;
}

/* The id a formula is removed under, or NULL. */
static const char *
formula_verdict(const char *v)
{
	g_autofree char *low = g_ascii_strdown(v, -1);
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formula_bad); i++)
		if (strstr(low, formula_bad[i].needle) != NULL)
			return formula_bad[i].id;
	return NULL;
}

/*
 * An xlink:href outside a link: a package member that is kept stays (under
 * its new name when the walk retyped it); anything else goes, and an image
 * without its picture goes whole.  FALSE when the element is to go.
 */
static gboolean
clean_href(struct pkg *pk, xmlNode *n, xmlAttr *a)
{
	g_autofree char *v = attr_value(a);
	struct member *m;

	if (href_external(v)) {
		removed(pk, MG_CDR_RM_EXTERNAL);
	} else if ((m = href_member(pk, v)) != NULL) {
		if (m->outname != NULL) {
			g_autofree char *esc =
			    g_uri_escape_string(m->outname, "/", TRUE);

			xmlSetNsProp(n, a->ns, a->name, (const xmlChar *)esc);
		}
		return TRUE;
	}
	/* What it named was dropped (and reported) or never was. */
	if (is_el(n, NS_DRAW, "image"))
		return FALSE;
	xmlRemoveProp(a);
	return TRUE;
}

/* The attributes of a kept element; FALSE when the element is to go. */
static gboolean
clean_attrs(struct pkg *pk, xmlNode *n)
{
	xmlAttr *a, *next;
	gboolean link = is_link(n);
	const char *id;

	for (a = n->properties; a != NULL; a = next) {
		enum ns ns = uri_ns(a->ns);
		g_autofree char *v = attr_value(a);

		next = a->next;
		if (ns == NS_XML &&
		    strcmp((const char *)a->name, "base") == 0) {
			/* It would turn "Pictures/x.png" into a URL. */
			removed(pk, MG_CDR_RM_EXTERNAL);
			xmlRemoveProp(a);
		} else if (is_script_url(v)) {
			removed(pk, MG_CDR_RM_ACTIONS);
			xmlRemoveProp(a);
		} else if (is_formula_attr(a) &&
		           (id = formula_verdict(v)) != NULL) {
			/* The cached value (office:value) stays. */
			removed(pk, id);
			xmlRemoveProp(a);
		} else if (!link && ns == NS_XLINK &&
		           strcmp((const char *)a->name, "href") == 0) {
			if (!clean_href(pk, n, a))
				return FALSE;
		}
	}
	return TRUE;
}

/* Apply the rules to the children of `node`, depth first.  libxml2's
 * depth limit bounds the recursion. */
static void
clean_children(struct pkg *pk, xmlNode *node)
{
	xmlNode *c, *next;
	const struct rule *r;
	const char *id;
	guint before;

	for (c = node->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if ((r = rule_of(c)) != NULL) {
			if (r->act != DROP_QUIET || element_children(c) > 0)
				removed(pk, r->id);
			if (r->act == UNWRAP) {
				xmlNode *first = unwrap(c);

				if (first != NULL)
					next = first;
			} else {
				drop_node(c);
			}
			continue;
		}
		if (is_link(c) && (id = link_verdict(pk, c)) != NULL) {
			xmlNode *first;

			removed(pk, id);
			/* An image map area is nothing but its link. */
			if (is_el(c, NS_DRAW, "a") || is_el(c, NS_TEXT, "a")) {
				first = unwrap(c);
				if (first != NULL)
					next = first;
			} else {
				drop_node(c);
			}
			continue;
		}
		if (!clean_attrs(pk, c)) {
			drop_node(c);
			continue;
		}
		before = element_children(c);
		clean_children(pk, c);
		/* A frame whose object or picture went is an empty box. */
		if (before > 0 && element_children(c) == 0 &&
		    is_el(c, NS_DRAW, "frame"))
			drop_node(c);
	}
}

/* ---- the package ---- */

/* mg_cdr_zip_read()'s callback. */
static gboolean
add_member(void *data, const char *name, GBytes *b)
{
	struct pkg *pk = data;
	struct member *m;

	if (g_hash_table_contains(pk->by_name, name)) {
		g_autofree char *sn = mg_printable(name, -1, 0);

		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_DAMAGED_ARCHIVE,
		    "two members are named %s", sn);
	}
	m = g_new0(struct member, 1);
	m->name = g_strdup(name);
	m->data = g_bytes_ref(b);
	g_hash_table_insert(pk->by_name, m->name, m);
	g_ptr_array_add(pk->members, m);
	return TRUE;
}

static gboolean
read_zip(struct pkg *pk, const guint8 *data, gsize len)
{
	enum mg_reason reason;
	g_autofree char *detail = NULL;
	guint entries;

	switch (mg_cdr_zip_read(data, len, &pk->lim, pk->verify, add_member, pk,
	    &entries, &reason, &detail)) {
	case MG_OK:
		return TRUE;
	case MG_FAIL:
		pk->v.failed = TRUE;
		return FALSE;
	default:
		if (detail != NULL)
			mg_cdr_verdict_refuse(&pk->v, reason, "%s", detail);
		return FALSE;
	}
}

/* The package type from "mimetype" (Part 3, 3.3). */
static gboolean
package_type(struct pkg *pk)
{
	struct member *m = g_hash_table_lookup(pk->by_name, "mimetype");
	g_autofree char *t = NULL;
	g_autofree char *st = NULL;
	gsize i, len;
	const char *d;

	if (m == NULL)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_UNSUPPORTED,
		    "no mimetype member: not an OpenDocument package");
	d = g_bytes_get_data(m->data, &len);
	t = g_strstrip(g_strndup(d != NULL ? d : "", MIN(len, 256)));
	for (i = 0; i < G_N_ELEMENTS(odf_types); i++)
		if (strcmp(t, odf_types[i].mime) == 0) {
			pk->type = &odf_types[i];
			m->kind = K_MIMETYPE;
			return TRUE;
		}
	st = mg_printable(t, -1, 0);
	return mg_cdr_verdict_refuse(&pk->v, MG_REASON_UNSUPPORTED,
	    "OpenDocument type %s is not rebuilt", st);
}

static gboolean
has_encryption(xmlNode *n)
{
	xmlNode *c;

	for (c = n; c != NULL; c = c->next) {
		if (is_el(c, NS_MANIFEST, "encryption-data"))
			return TRUE;
		if (c->type == XML_ELEMENT_NODE && has_encryption(c->children))
			return TRUE;
	}
	return FALSE;
}

/* An encrypted package says so in its manifest (Part 3, 4.8). */
static gboolean
check_manifest(struct pkg *pk)
{
	struct member *m =
	    g_hash_table_lookup(pk->by_name, "META-INF/manifest.xml");
	xmlDoc *doc;
	gboolean enc;
	gsize len;
	const char *d;

	if (m == NULL)
		return TRUE;
	if (g_bytes_get_size(m->data) > MAX_XML_SIZE)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_PART_TOO_LARGE,
		    "manifest larger than %u bytes", MAX_XML_SIZE);
	doc = mg_cdr_xml_parse(m->data, &pk->v.failed);
	if (pk->v.failed)
		return FALSE;
	if (doc != NULL) {
		enc = has_encryption(xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	} else {
		/* Not well-formed: it is written anew anyway, but an
		 * encrypted package must not pass as a damaged one. */
		d = g_bytes_get_data(m->data, &len);
		enc = d != NULL &&
		      g_strstr_len(d, (gssize)len, "encryption-data") != NULL;
	}
	if (enc)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_ENCRYPTED,
		    "password-protected OpenDocument package");
	return TRUE;
}

/* The id a dropped member is reported under (NULL: nothing to say). */
static const char *
drop_id(const struct member *m)
{
	const char *n = m->name;

	if (g_str_has_prefix(n, "Basic/"))
		return MG_CDR_RM_MACROS;
	if (g_str_has_prefix(n, "Scripts/"))
		return MG_CDR_RM_SCRIPT;
	if (g_str_has_prefix(n, "Object") ||
	    g_str_has_prefix(n, "ObjectReplacements/"))
		return MG_CDR_RM_OLE;
	if (g_str_has_prefix(n, "Media/"))
		return MG_CDR_RM_MULTIMEDIA;
	/* LibreOffice writes an empty accelerator file into every
	 * package: only a configuration with content is news. */
	if (g_str_has_prefix(n, "Configurations2/"))
		return g_bytes_get_size(m->data) > 0 ? MG_CDR_RM_CUSTOMUI
		                                     : NULL;
	if (strcmp(n, "meta.xml") == 0)
		return MG_CDR_RM_METADATA;
	if (mg_cdr_in_list(n, inert_names, -1))
		return NULL;
	if (g_str_has_prefix(n, "Thumbnails/") ||
	    g_str_has_prefix(n, "META-INF/"))
		return NULL;
	return MG_CDR_RM_EMBEDDED;
}

/* A name for a retyped image that no other member has. */
static char *
renamed(struct pkg *pk, const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');
	gsize stem = dot != NULL && (slash == NULL || dot > slash)
	                 ? (gsize)(dot - name)
	                 : strlen(name);
	char *n = g_strdup_printf("%.*s.%s", (int)stem, name, ext);
	guint i;

	for (i = 1; g_hash_table_contains(pk->by_name, n) ||
	            g_hash_table_contains(pk->outnames, n);
	     i++) {
		g_free(n);
		n = g_strdup_printf("%.*s-%u.%s", (int)stem, name, i, ext);
	}
	return n;
}

/*
 * A picture goes back through the walk (scanned, typed, rebuilt by the
 * image module); what comes back replaces it.  Without a walk (unit
 * tests) it is left out, as mg_cdr.h says.  Our own output, read back,
 * keeps its pictures as they are.
 */
static void
image(struct pkg *pk, struct member *m)
{
	g_autofree char *ext = NULL;
	GBytes *r = NULL;

	if (pk->verify) {
		m->out = g_bytes_ref(m->data);
		return;
	}
	if (pk->ctx->nested != NULL)
		r = pk->ctx->nested(
		    pk->ctx->walk, m->name, NULL, m->data, &ext);
	if (r == NULL) {
		removed(pk, MG_CDR_RM_EMBEDDED);
		return;
	}
	m->out = r;
	if (ext != NULL && ext[0] != '\0' && strchr(ext, '/') == NULL &&
	    !g_str_has_suffix(m->name, ext)) {
		m->outname = renamed(pk, m->name, ext);
		if (strlen(m->outname) > MG_CDR_ZIP_NAME_MAX)
			g_clear_pointer(&m->outname, g_free);
	}
	g_hash_table_add(pk->outnames, (gpointer)out_name(m));
}

static void
classify(struct pkg *pk)
{
	guint i;

	for (i = 0; i < pk->members->len; i++) {
		struct member *m = g_ptr_array_index(pk->members, i);
		const char *n = m->name;

		if (m->kind == K_MIMETYPE)
			continue;
		if (strcmp(n, "content.xml") == 0 ||
		    strcmp(n, "styles.xml") == 0 ||
		    (strcmp(n, "meta.xml") == 0 && pk->ctx->keep_metadata))
			m->kind = K_XML;
		else if (g_str_has_prefix(n, "Pictures/"))
			m->kind = K_IMAGE;
		else
			removed(pk, drop_id(m));
	}
	/* Pictures after the rest is known, so that a renamed one takes
	 * a name no member has. */
	for (i = 0; i < pk->members->len; i++) {
		struct member *m = g_ptr_array_index(pk->members, i);

		if (m->kind == K_IMAGE)
			image(pk, m);
	}
}

/* "1.2", "1.3": the office:version the manifest repeats (Part 3, 4.2). */
static void
take_version(struct pkg *pk, xmlNode *root)
{
	xmlAttr *a = attr_find(root, NS_OFFICE, "version");
	g_autofree char *v = NULL;

	if (a == NULL)
		return;
	v = attr_value(a);
	if (strlen(v) == 3 && g_ascii_isdigit(v[0]) && v[1] == '.' &&
	    g_ascii_isdigit(v[2]))
		pk->version = g_steal_pointer(&v);
}

static gboolean
clean_xml(struct pkg *pk, struct member *m)
{
	g_autofree char *sn = mg_printable(m->name, -1, 0);
	xmlDoc *doc;
	xmlNode *root;

	if (g_bytes_get_size(m->data) > MAX_XML_SIZE)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_PART_TOO_LARGE,
		    "XML part %s larger than %u bytes", sn, MAX_XML_SIZE);
	doc = mg_cdr_xml_parse(m->data, &pk->v.failed);
	if (doc == NULL) {
		if (pk->v.failed)
			return FALSE;
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "part %s is not well-formed XML or has a DOCTYPE", sn);
	}
	root = xmlDocGetRootElement(doc);
	if (uri_ns(root->ns) != NS_OFFICE) {
		xmlFreeDoc(doc);
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "part %s is not an OpenDocument part", sn);
	}
	if (strcmp(m->name, "content.xml") == 0)
		take_version(pk, root);
	if (clean_attrs(pk, root))
		clean_children(pk, root);
	m->out = mg_cdr_xml_dump(doc);
	xmlFreeDoc(doc);
	if (m->out == NULL)
		pk->v.failed = TRUE;
	return m->out != NULL;
}

static const char *
media_type(const char *name)
{
	static const char *const types[][2] = {
	    {".png", "image/png"},
	    {".jpg", "image/jpeg"},
	    {".jpeg", "image/jpeg"},
	    {".gif", "image/gif"},
	    {".svg", "image/svg+xml"},
	    {".bmp", "image/bmp"},
	    {".tif", "image/tiff"},
	    {".tiff", "image/tiff"},
	    {".webp", "image/webp"},
	    {".xml", "text/xml"},
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(name, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

static void
file_entry(xmlNode *root, xmlNs *ns, const char *path, const char *type,
    const char *version)
{
	xmlNode *e = xmlNewChild(root, ns, (const xmlChar *)"file-entry", NULL);

	xmlNewNsProp(
	    e, ns, (const xmlChar *)"full-path", (const xmlChar *)path);
	if (version != NULL)
		xmlNewNsProp(e, ns, (const xmlChar *)"version",
		    (const xmlChar *)version);
	xmlNewNsProp(
	    e, ns, (const xmlChar *)"media-type", (const xmlChar *)type);
}

/* META-INF/manifest.xml listing exactly the members written (Part 3, 4). */
static GBytes *
write_manifest(struct pkg *pk)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = xmlNewNode(NULL, (const xmlChar *)"manifest");
	xmlNs *ns = xmlNewNs(
	    root, (const xmlChar *)MANIFEST_NS, (const xmlChar *)"manifest");
	GBytes *b;
	guint i;

	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	if (pk->version != NULL)
		xmlNewNsProp(root, ns, (const xmlChar *)"version",
		    (const xmlChar *)pk->version);
	file_entry(root, ns, "/", pk->type->mime, pk->version);
	for (i = 0; i < pk->members->len; i++) {
		struct member *m = g_ptr_array_index(pk->members, i);

		if (m->out != NULL)
			file_entry(root, ns, out_name(m),
			    media_type(out_name(m)), NULL);
	}
	b = mg_cdr_xml_dump(doc);
	xmlFreeDoc(doc);
	return b;
}

/* The rebuilt package: mimetype first and stored, the kept members in
 * their order, the manifest last. */
static GBytes *
write_zip(struct pkg *pk)
{
	struct mg_cdr_zip_sink s = {g_byte_array_new(), pk->lim.part, FALSE};
	struct archive *a;
	GBytes *b = NULL;
	locale_t old;
	gboolean ok = FALSE;
	guint i;

	old = mg_cdr_utf8_enter();
	a = mg_cdr_zip_write_new(&s);
	if (a == NULL) {
		pk->v.failed = TRUE;
		goto out;
	}
	ok = mg_cdr_zip_add_stored(
	    a, "mimetype", pk->type->mime, strlen(pk->type->mime));
	for (i = 0; ok && i < pk->members->len; i++) {
		struct member *m = g_ptr_array_index(pk->members, i);

		if (m->out != NULL)
			ok = mg_cdr_zip_add(a, out_name(m),
			    g_bytes_get_data(m->out, NULL),
			    g_bytes_get_size(m->out));
	}
	if (ok) {
		b = write_manifest(pk);
		ok = b != NULL &&
		     mg_cdr_zip_add(a, "META-INF/manifest.xml",
		         g_bytes_get_data(b, NULL), g_bytes_get_size(b));
		if (b != NULL)
			g_bytes_unref(b);
	}
out:
	b = mg_cdr_zip_write_end(a, &s, ok, &pk->v);
	mg_cdr_utf8_leave(old);
	if (b != NULL) {
		GBytes *plain = mg_cdr_zip_plain_first(b);

		g_bytes_unref(b);
		b = plain;
		if (b == NULL)
			mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
			    "the package's mimetype could not be made plain");
	}
	return b;
}

/* One pass over a package: the rebuilt bytes, or NULL when refused (or
 * failed). */
static GBytes *
run(struct pkg *pk, const guint8 *data, gsize len)
{
	struct member *content;
	guint i;

	if (!read_zip(pk, data, len) || !package_type(pk) ||
	    !check_manifest(pk))
		return NULL;
	content = g_hash_table_lookup(pk->by_name, "content.xml");
	if (content == NULL) {
		mg_cdr_verdict_refuse(&pk->v, MG_REASON_DAMAGED_ARCHIVE,
		    "OpenDocument package without content.xml");
		return NULL;
	}
	classify(pk);
	/* content.xml first: its office:version goes in the manifest. */
	if (!clean_xml(pk, content))
		return NULL;
	for (i = 0; i < pk->members->len; i++) {
		struct member *m = g_ptr_array_index(pk->members, i);

		if (m->kind == K_XML && m != content && !clean_xml(pk, m))
			return NULL;
	}
	return write_zip(pk);
}

/* ---- the module ---- */

static const char *const extensions[] = {
    "odt", "ods", "odp", "odg", "ott", "ots", "otp", "otg", NULL};

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	gboolean zip = len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;

	if (!zip)
		return 0;
	if (type != NULL && (g_str_has_prefix(type, ODF_MIME) ||
	                        g_str_has_prefix(type, "application/x-vnd."
	                                               "oasis.opendocument.")))
		return 90;
	if (mg_cdr_in_list(ext, extensions, -1))
		return 80;
	/* By the package's own entries (its central directory): above the
	 * archive module's 40 and OOXML's 60 for a generic zip. */
	if (mg_cdr_zip_names(data, len, "mimetype", FALSE) &&
	    mg_cdr_zip_names(data, len, "content.xml", FALSE))
		return 70;
	return 0;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	struct pkg pk, check;
	struct mg_cdr_result scratch;
	GBytes *built = NULL, *again = NULL;
	gsize len;
	const guint8 *data = g_bytes_get_data(in, &len);
	enum mg_rc rc = MG_OK;

	mg_cdr_xml_init();
	if (out->removed == NULL)
		out->removed = g_ptr_array_new();
	pkg_init(&pk, ctx, out, FALSE);
	if (data == NULL)
		data = (const guint8 *)"";
	if ((guint64)len > pk.lim.part)
		mg_cdr_verdict_refuse(&pk.v, MG_REASON_PART_TOO_LARGE,
		    "larger than %" G_GUINT64_FORMAT " bytes", pk.lim.part);
	else
		built = run(&pk, data, len);
	if (built != NULL) {
		/* Read our own output back: it must come out the same, with
		 * nothing removed.  If not, a rule here is wrong, and the
		 * file is refused rather than delivered half-cleaned. */
		mg_cdr_result_init(&scratch);
		pkg_init(&check, ctx, &scratch, TRUE);
		again = run(&check, g_bytes_get_data(built, NULL),
		    g_bytes_get_size(built));
		if (check.v.failed)
			pk.v.failed = TRUE;
		else if (again == NULL || !g_bytes_equal(again, built) ||
		         scratch.removed->len > 0)
			mg_cdr_verdict_refuse(&pk.v, MG_REASON_CDR_FAILED,
			    "the rebuilt package did not verify%s%s",
			    check.v.detail != NULL ? ": " : "",
			    check.v.detail != NULL ? check.v.detail : "");
		if (again != NULL)
			g_bytes_unref(again);
		pkg_clear(&check);
		mg_cdr_result_clear(&scratch);
	}
	if (pk.v.failed) {
		rc = MG_FAIL;
	} else if (pk.v.refused) {
		mg_cdr_refuse(out, pk.v.reason, g_steal_pointer(&pk.v.detail));
	} else {
		out->outcome = MG_CDR_REBUILT;
		out->data = g_steal_pointer(&built);
		out->extension = g_strdup(pk.type->ext);
		out->mime_type = g_strdup(pk.type->mime);
	}
	if (built != NULL)
		g_bytes_unref(built);
	pkg_clear(&pk);
	return rc;
}

const struct mg_cdr_module mg_cdr_odf = {"odf", bid, rebuild};
