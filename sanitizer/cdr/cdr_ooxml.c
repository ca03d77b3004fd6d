/*
 * cdr_ooxml.c - CDR for Office Open XML packages (ECMA-376): Word, Excel
 * and PowerPoint documents, templates and shows, macro-enabled or not
 * (docx docm dotx dotm xlsx xlsm xltx xltm pptx pptm potx potm ppsx ppsm).
 *
 * The package (an OPC zip, ECMA-376 Part 2) is read whole with libarchive
 * and rebuilt from an allowlist.  A part survives only when it is reached
 * from the package relationships through relationships of allowed types,
 * and its content type in [Content_Types].xml is one of the XML part types
 * listed below or a PNG, JPEG or GIF image (handed to ctx->nested).
 * Everything else goes: VBA projects and their data, ActiveX and form
 * controls, OLE objects and embedded packages, customUI, XLM macro and
 * dialog sheets, external links, data connections, query tables, mail
 * merge sources, embedded fonts, media, other image formats (EMF, WMF,
 * TIFF, SVG…), printer settings, signatures and unknown parts.  Every
 * relationship with TargetMode="External" is dropped except hyperlinks,
 * which follow the link policy.  Inside the kept XML parts, elements
 * that point at what was dropped, or that are active on their own (DDE,
 * DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, LINK and DATABASE fields, attached
 * templates, altChunk, subDoc, Auto_Open names, ppaction://program links,
 * macro assignments), are removed; field results (the text the reader
 * sees) are kept.  A macro-enabled main content type becomes its plain
 * one, and the extension follows.
 *
 * Untrusted: every byte of the input: the zip structure, member names and
 * sizes, [Content_Types].xml, every relationship and every XML part.  The
 * XML parser runs without network access, without DTD loading and without
 * entity substitution, and a document with a DOCTYPE is refused outright
 * (the parser is stopped at the declaration, so no entity is ever
 * declared).  Member names are never used as paths.
 *
 * Limits: the input size (max_part_size), the member count (MAX_PARTS),
 * each member's size (max_member_size), the total unpacked size
 * (max_archive_total) and the expansion ratio (max_archive_ratio, with
 * MG_CDR_RATIO_ALLOWANCE), the size of one XML part (MAX_XML_SIZE), the
 * relationship count (MAX_RELS), the [Content_Types].xml entry count
 * (MAX_TYPES), field nesting (MAX_FIELD_DEPTH), libxml2's own element
 * depth limit (XML_PARSE_HUGE is never set), and the output size
 * (max_part_size).
 *
 * A package that needs no change is VERIFIED and passes byte for byte,
 * but only when its zip layout is plain (members back to back from
 * offset 0, then the central directory, then the end record): otherwise
 * bytes that another zip reader would see could ride along.  A rebuilt
 * package is read back by this module before it is returned, and must
 * come out unchanged; if it does not, the file is refused.
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/* Members in one package.  A large workbook or deck has a few thousand
 * parts; ten thousand leaves room and bounds the tables. */
#define MAX_PARTS 10000
/* One XML part.  A libxml2 tree takes several times the text it holds;
 * 32 MiB of document.xml is a book of thousands of pages. */
#define MAX_XML_SIZE (32u * 1024 * 1024)
/* Relationships in the whole package (a sheet can hold tens of thousands
 * of hyperlinks, each one a relationship). */
#define MAX_RELS 200000
/* Default and Override entries in [Content_Types].xml. */
#define MAX_TYPES (2 * MAX_PARTS)
/* Word fields inside the code of other fields; Word itself stops at 20. */
#define MAX_FIELD_DEPTH 64
/* Extra field bytes a member of a plain (verifiable) zip may carry:
 * timestamps and Unix ids, not room for a payload. */
#define MAX_ZIP_EXTRA 64

#define OXD "application/vnd.openxmlformats-officedocument."
#define PR_URI "http://schemas.openxmlformats.org/package/2006/relationships"
#define CT_URI "http://schemas.openxmlformats.org/package/2006/content-types"
#define CT_RELS "application/vnd.openxmlformats-package.relationships+xml"
#define CT_CORE "application/vnd.openxmlformats-package.core-properties+xml"

enum app {
	APP_WORD,
	APP_EXCEL,
	APP_POWERPOINT,
};

/* What a kept part is, which decides what is done to it. */
enum kind {
	K_NONE,       /* not allowed */
	K_XML,        /* parsed, generic rules only */
	K_WORD_STORY, /* text with fields: body, headers, notes, comments */
	K_XL_BOOK,    /* workbook.xml */
	K_XL_SHEET,   /* worksheets and chart sheets */
	K_DRAWING,    /* shapes that can carry a macro assignment */
	K_VML,        /* legacy drawing: often not well-formed XML */
	K_IMAGE,      /* PNG, JPEG, GIF: handed to ctx->nested */
};

/* Namespaces, each with its transitional and strict (ISO 29500) URI. */
enum ns {
	NS_OTHER,
	NS_W,
	NS_X,
	NS_P,
	NS_A,
	NS_R,
	NS_O,
	NS_V,
	NS_XVML,
	NS_MC,
	NS_PR,
	NS_CT,
};

static const struct {
	enum ns ns;
	const char *uri;
} ns_uris[] = {
    {NS_W, "http://schemas.openxmlformats.org/wordprocessingml/2006/main"},
    {NS_W, "http://purl.oclc.org/ooxml/wordprocessingml/main"},
    {NS_X, "http://schemas.openxmlformats.org/spreadsheetml/2006/main"},
    {NS_X, "http://purl.oclc.org/ooxml/spreadsheetml/main"},
    {NS_P, "http://schemas.openxmlformats.org/presentationml/2006/main"},
    {NS_P, "http://purl.oclc.org/ooxml/presentationml/main"},
    {NS_A, "http://schemas.openxmlformats.org/drawingml/2006/main"},
    {NS_A, "http://purl.oclc.org/ooxml/drawingml/main"},
    {NS_R,
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"},
    {NS_R, "http://purl.oclc.org/ooxml/officeDocument/relationships"},
    {NS_O, "urn:schemas-microsoft-com:office:office"},
    {NS_V, "urn:schemas-microsoft-com:vml"},
    {NS_XVML, "urn:schemas-microsoft-com:office:excel"},
    {NS_MC, "http://schemas.openxmlformats.org/markup-compatibility/2006"},
    {NS_PR, PR_URI},
    {NS_CT, CT_URI},
};

/* Main document content types, and what each becomes. */
static const struct main_type {
	const char *ct;
	const char *plain;
	const char *ext;
	const char *mime;
	enum app app;
} main_types[] = {
    {OXD "wordprocessingml.document.main+xml",
        OXD "wordprocessingml.document.main+xml", "docx",
        OXD "wordprocessingml.document", APP_WORD},
    {"application/vnd.ms-word.document.macroEnabled.main+xml",
        OXD "wordprocessingml.document.main+xml", "docx",
        OXD "wordprocessingml.document", APP_WORD},
    {OXD "wordprocessingml.template.main+xml",
        OXD "wordprocessingml.template.main+xml", "dotx",
        OXD "wordprocessingml.template", APP_WORD},
    {"application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
        OXD "wordprocessingml.template.main+xml", "dotx",
        OXD "wordprocessingml.template", APP_WORD},
    {OXD "spreadsheetml.sheet.main+xml", OXD "spreadsheetml.sheet.main+xml",
        "xlsx", OXD "spreadsheetml.sheet", APP_EXCEL},
    {"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        OXD "spreadsheetml.sheet.main+xml", "xlsx", OXD "spreadsheetml.sheet",
        APP_EXCEL},
    {OXD "spreadsheetml.template.main+xml",
        OXD "spreadsheetml.template.main+xml", "xltx",
        OXD "spreadsheetml.template", APP_EXCEL},
    {"application/vnd.ms-excel.template.macroEnabled.main+xml",
        OXD "spreadsheetml.template.main+xml", "xltx",
        OXD "spreadsheetml.template", APP_EXCEL},
    {OXD "presentationml.presentation.main+xml",
        OXD "presentationml.presentation.main+xml", "pptx",
        OXD "presentationml.presentation", APP_POWERPOINT},
    {"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
        OXD "presentationml.presentation.main+xml", "pptx",
        OXD "presentationml.presentation", APP_POWERPOINT},
    {OXD "presentationml.slideshow.main+xml",
        OXD "presentationml.slideshow.main+xml", "ppsx",
        OXD "presentationml.slideshow", APP_POWERPOINT},
    {"application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
        OXD "presentationml.slideshow.main+xml", "ppsx",
        OXD "presentationml.slideshow", APP_POWERPOINT},
    {OXD "presentationml.template.main+xml",
        OXD "presentationml.template.main+xml", "potx",
        OXD "presentationml.template", APP_POWERPOINT},
    {"application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
        OXD "presentationml.template.main+xml", "potx",
        OXD "presentationml.template", APP_POWERPOINT},
};

/* The part types that may stay (besides the main part). */
static const struct {
	const char *ct;
	enum kind kind;
} part_types[] = {
    {OXD "wordprocessingml.styles+xml", K_XML},
    {OXD "wordprocessingml.settings+xml", K_XML},
    {OXD "wordprocessingml.webSettings+xml", K_XML},
    {OXD "wordprocessingml.fontTable+xml", K_XML},
    {OXD "wordprocessingml.numbering+xml", K_XML},
    {OXD "wordprocessingml.footnotes+xml", K_WORD_STORY},
    {OXD "wordprocessingml.endnotes+xml", K_WORD_STORY},
    {OXD "wordprocessingml.comments+xml", K_WORD_STORY},
    {OXD "wordprocessingml.header+xml", K_WORD_STORY},
    {OXD "wordprocessingml.footer+xml", K_WORD_STORY},
    {OXD "wordprocessingml.document.glossary+xml", K_WORD_STORY},
    {OXD "wordprocessingml.commentsExtended+xml", K_XML},
    {OXD "wordprocessingml.commentsIds+xml", K_XML},
    {OXD "wordprocessingml.commentsExtensible+xml", K_XML},
    {OXD "wordprocessingml.people+xml", K_XML},
    {"application/vnd.ms-word.stylesWithEffects+xml", K_XML},
    {OXD "theme+xml", K_XML},
    {OXD "themeOverride+xml", K_XML},
    {OXD "drawingml.chart+xml", K_XML},
    {OXD "drawingml.chartshapes+xml", K_DRAWING},
    {OXD "drawingml.diagramData+xml", K_XML},
    {OXD "drawingml.diagramLayout+xml", K_XML},
    {OXD "drawingml.diagramStyle+xml", K_XML},
    {OXD "drawingml.diagramColors+xml", K_XML},
    {"application/vnd.ms-office.drawingml.diagramDrawing+xml", K_XML},
    {"application/vnd.ms-office.chartstyle+xml", K_XML},
    {"application/vnd.ms-office.chartcolorstyle+xml", K_XML},
    {OXD "drawing+xml", K_DRAWING},
    {OXD "vmlDrawing", K_VML},
    {OXD "spreadsheetml.worksheet+xml", K_XL_SHEET},
    {OXD "spreadsheetml.chartsheet+xml", K_XL_SHEET},
    {OXD "spreadsheetml.styles+xml", K_XML},
    {OXD "spreadsheetml.sharedStrings+xml", K_XML},
    {OXD "spreadsheetml.comments+xml", K_XML},
    {OXD "spreadsheetml.table+xml", K_XML},
    {OXD "spreadsheetml.calcChain+xml", K_XML},
    {OXD "spreadsheetml.pivotTable+xml", K_XML},
    {OXD "spreadsheetml.pivotCacheDefinition+xml", K_XML},
    {OXD "spreadsheetml.pivotCacheRecords+xml", K_XML},
    {OXD "spreadsheetml.sheetMetadata+xml", K_XML},
    {"application/vnd.ms-excel.threadedcomments+xml", K_XML},
    {"application/vnd.ms-excel.person+xml", K_XML},
    {"application/vnd.ms-excel.slicer+xml", K_XML},
    {"application/vnd.ms-excel.slicerCache+xml", K_XML},
    {OXD "presentationml.slide+xml", K_XML},
    {OXD "presentationml.slideLayout+xml", K_XML},
    {OXD "presentationml.slideMaster+xml", K_XML},
    {OXD "presentationml.notesSlide+xml", K_XML},
    {OXD "presentationml.notesMaster+xml", K_XML},
    {OXD "presentationml.handoutMaster+xml", K_XML},
    {OXD "presentationml.presProps+xml", K_XML},
    {OXD "presentationml.viewProps+xml", K_XML},
    {OXD "presentationml.tableStyles+xml", K_XML},
    {OXD "presentationml.commentAuthors+xml", K_XML},
    {OXD "presentationml.comments+xml", K_XML},
    {OXD "presentationml.tags+xml", K_XML},
    {"application/vnd.ms-powerpoint.comments+xml", K_XML},
    {"application/vnd.ms-powerpoint.authors+xml", K_XML},
    {CT_CORE, K_XML},
    {OXD "extended-properties+xml", K_XML},
    {OXD "custom-properties+xml", K_XML},
    {OXD "customXmlProperties+xml", K_XML},
    {"application/xml", K_XML},
    {"text/xml", K_XML},
    {"image/png", K_IMAGE},
    {"image/jpeg", K_IMAGE},
    {"image/jpg", K_IMAGE},
    {"image/gif", K_IMAGE},
};

/*
 * Relationship types that may be followed, by their last path segment:
 * the same names appear under the transitional, strict and Microsoft
 * URIs, and none of these is harmful under any of them.  A relationship
 * of a type not listed here, or listed in rel_denied, is dropped.
 */
static const char *const rel_allowed[] = {
    "officeDocument",
    "core-properties",
    "extended-properties",
    "custom-properties",
    "thumbnail",
    "styles",
    "stylesWithEffects",
    "settings",
    "webSettings",
    "fontTable",
    "numbering",
    "footnotes",
    "endnotes",
    "comments",
    "commentsExtended",
    "commentsIds",
    "commentsExtensible",
    "people",
    "header",
    "footer",
    "theme",
    "themeOverride",
    "image",
    "hyperlink",
    "glossaryDocument",
    "customXml",
    "customXmlProps",
    "chart",
    "chartUserShapes",
    "chartStyle",
    "chartColorStyle",
    "diagramData",
    "diagramLayout",
    "diagramQuickStyle",
    "diagramColors",
    "diagramDrawing",
    "drawing",
    "vmlDrawing",
    "worksheet",
    "chartsheet",
    "sharedStrings",
    "calcChain",
    "table",
    "pivotTable",
    "pivotCacheDefinition",
    "pivotCacheRecords",
    "sheetMetadata",
    "threadedComment",
    "person",
    "slicer",
    "slicerCache",
    "slide",
    "slideLayout",
    "slideMaster",
    "notesSlide",
    "notesMaster",
    "handoutMaster",
    "presProps",
    "viewProps",
    "tableStyles",
    "commentAuthors",
    "tags",
    "authors",
};

/* Relationship types dropped with what they are reported as. */
static const struct {
	const char *suffix;
	const char *id;
} rel_denied[] = {
    {"vbaProject", MG_CDR_RM_VBA},
    {"vbaProjectSignature", MG_CDR_RM_VBA},
    {"vbaProjectSignatureAgile", MG_CDR_RM_VBA},
    {"vbaProjectSignatureV3", MG_CDR_RM_VBA},
    {"wordVbaData", MG_CDR_RM_VBA},
    {"keyMapCustomizations", MG_CDR_RM_VBA},
    {"attachedToolbars", MG_CDR_RM_VBA},
    {"control", MG_CDR_RM_ACTIVEX},
    {"activeXControlBinary", MG_CDR_RM_ACTIVEX},
    {"ctrlProp", MG_CDR_RM_ACTIVEX},
    {"oleObject", MG_CDR_RM_OLE},
    {"package", MG_CDR_RM_OLE},
    {"aFChunk", MG_CDR_RM_EXTERNAL},
    {"subDocument", MG_CDR_RM_EXTERNAL},
    {"frame", MG_CDR_RM_EXTERNAL},
    {"webextension", MG_CDR_RM_EXTERNAL},
    {"webextensiontaskpanes", MG_CDR_RM_EXTERNAL},
    {"attachedTemplate", MG_CDR_RM_TEMPLATE},
    {"externalLink", MG_CDR_RM_DATACONN},
    {"externalLinkPath", MG_CDR_RM_DATACONN},
    {"connections", MG_CDR_RM_DATACONN},
    {"queryTable", MG_CDR_RM_DATACONN},
    {"mailMergeSource", MG_CDR_RM_DATACONN},
    {"mailMergeHeaderSource", MG_CDR_RM_DATACONN},
    {"recipientData", MG_CDR_RM_DATACONN},
    {"mailMergeRecipientData", MG_CDR_RM_DATACONN},
    {"powerPivotData", MG_CDR_RM_DATACONN},
    {"volatileDependencies", MG_CDR_RM_DATACONN},
    {"xmlMaps", MG_CDR_RM_DATACONN},
    {"xlMacrosheet", MG_CDR_RM_XLM},
    {"xlIntlMacrosheet", MG_CDR_RM_XLM},
    {"dialogsheet", MG_CDR_RM_XLM},
    {"extensibility", MG_CDR_RM_CUSTOMUI},
    {"userCustomization", MG_CDR_RM_CUSTOMUI},
    {"video", MG_CDR_RM_MULTIMEDIA},
    {"audio", MG_CDR_RM_MULTIMEDIA},
    {"media", MG_CDR_RM_MULTIMEDIA},
    {"font", MG_CDR_RM_EMBEDDED},
};

/* What a dropped part is reported as, by the start of its content type
 * (for parts nothing valid pointed at, e.g. a stray vbaProject.bin). */
static const struct {
	const char *prefix;
	const char *id;
} ct_denied[] = {
    {"application/vnd.ms-office.vbaProject", MG_CDR_RM_VBA},
    {"application/vnd.ms-word.vbaData", MG_CDR_RM_VBA},
    {"application/vnd.ms-word.keyMapCustomizations", MG_CDR_RM_VBA},
    {"application/vnd.ms-word.attachedToolbars", MG_CDR_RM_VBA},
    {"application/vnd.ms-office.activeX", MG_CDR_RM_ACTIVEX},
    {"application/vnd.ms-excel.controlproperties", MG_CDR_RM_ACTIVEX},
    {OXD "oleObject", MG_CDR_RM_OLE},
    {"application/vnd.ms-excel.macrosheet", MG_CDR_RM_XLM},
    {"application/vnd.ms-excel.intlmacrosheet", MG_CDR_RM_XLM},
    {OXD "spreadsheetml.dialogsheet", MG_CDR_RM_XLM},
    {OXD "spreadsheetml.connections", MG_CDR_RM_DATACONN},
    {OXD "spreadsheetml.externalLink", MG_CDR_RM_DATACONN},
    {OXD "spreadsheetml.queryTable", MG_CDR_RM_DATACONN},
    {OXD "obfuscatedFont", MG_CDR_RM_EMBEDDED},
    {"application/x-font", MG_CDR_RM_EMBEDDED},
    {"application/x-fontdata", MG_CDR_RM_EMBEDDED},
    {"image/", MG_CDR_RM_EMBEDDED},
    {"video/", MG_CDR_RM_MULTIMEDIA},
    {"audio/", MG_CDR_RM_MULTIMEDIA},
};

/* ... and by a piece of its name, for those without a telling type. */
static const struct {
	const char *piece;
	const char *id;
} name_denied[] = {
    {"vbaproject", MG_CDR_RM_VBA},
    {"vbadata", MG_CDR_RM_VBA},
    {"activex", MG_CDR_RM_ACTIVEX},
    {"embeddings/", MG_CDR_RM_OLE},
    {"oleobject", MG_CDR_RM_OLE},
    {"customui/", MG_CDR_RM_CUSTOMUI},
    {"macrosheets/", MG_CDR_RM_XLM},
    {"externallinks/", MG_CDR_RM_DATACONN},
    {"connections.xml", MG_CDR_RM_DATACONN},
    {"querytables/", MG_CDR_RM_DATACONN},
};

/* Elements removed wherever they are: active on their own, or pointing
 * at what was dropped. */
static const struct {
	enum ns ns;
	const char *name;
	const char *id;
} drop_elements[] = {
    {NS_W, "altChunk", MG_CDR_RM_EXTERNAL},
    {NS_W, "subDoc", MG_CDR_RM_EXTERNAL},
    {NS_W, "frameset", MG_CDR_RM_EXTERNAL},
    {NS_W, "control", MG_CDR_RM_ACTIVEX},
    {NS_W, "objectEmbed", MG_CDR_RM_OLE},
    {NS_W, "objectLink", MG_CDR_RM_OLE},
    {NS_O, "OLEObject", MG_CDR_RM_OLE},
    {NS_W, "attachedTemplate", MG_CDR_RM_TEMPLATE},
    {NS_W, "mailMerge", MG_CDR_RM_DATACONN},
    {NS_W, "entryMacro", MG_CDR_RM_VBA},
    {NS_W, "exitMacro", MG_CDR_RM_VBA},
    {NS_X, "oleObjects", MG_CDR_RM_OLE},
    {NS_X, "controls", MG_CDR_RM_ACTIVEX},
    {NS_X, "externalReferences", MG_CDR_RM_DATACONN},
    {NS_P, "controls", MG_CDR_RM_ACTIVEX},
    {NS_XVML, "FmlaMacro", MG_CDR_RM_VBA},
};

/* Elements that only lose the attribute naming a dropped relationship:
 * the element itself holds text or a picture worth keeping. */
static const struct {
	enum ns ns;
	const char *name;
} keep_elements[] = {
    {NS_W, "hyperlink"},
    {NS_X, "hyperlink"},
    {NS_X, "pageSetup"},
    {NS_A, "hlinkClick"},
    {NS_A, "hlinkMouseOver"},
    {NS_A, "hlinkHover"},
    {NS_A, "blip"},
    {NS_V, "imagedata"},
    {NS_V, "fill"},
    {NS_V, "stroke"},
    {NS_P, "oleObj"},
};

/* List elements the schemas require to be non-empty: removed when our
 * removals empty them. */
static const struct {
	enum ns ns;
	const char *name;
} list_elements[] = {
    {NS_X, "definedNames"},
    {NS_X, "pivotCaches"},
    {NS_P, "sldIdLst"},
    {NS_P, "notesMasterIdLst"},
    {NS_P, "handoutMasterIdLst"},
};

struct part;

struct rel {
	char *id, *type, *target;
	gboolean external;
	struct part *to;
};

struct part {
	char *name; /* as in the zip, UTF-8 */
	char *key;  /* percent-decoded, ASCII lower case: for lookups */
	GBytes *data;
	char *ct; /* content type from [Content_Types].xml, or NULL */
	char *override_name; /* its Override PartName, or NULL (Default) */
	enum kind kind;
	xmlDoc *doc;        /* while it is being worked on */
	int parsed;         /* 0 not yet, 1 XML to rework, -1 dropped VML */
	int image;          /* 0 not yet, 1 kept, -1 dropped */
	GBytes *out;        /* the rebuilt part (XML written anew, or the image
	                       as the walk gave it back), or NULL */
	const char *out_ct; /* its content type when it changed */
	gboolean visited, keep, edited, is_rels;
	struct part *rels; /* its relationships part, or NULL */
	struct part *src;  /* a relationships part: whose it is */
	GPtrArray *kept;   /* struct rel *, in document order */
	GHashTable *gone;  /* ids of dropped relationships */
	GHashTable *links; /* ids of kept external hyperlinks, or NULL */
};

struct pkg {
	struct mg_cdr_ctx *ctx;
	struct mg_cdr_result *res;
	struct mg_cdr_zip_limits lim;
	gboolean verify;   /* reading back our own output */
	GHashTable *parts; /* key -> struct part * */
	GPtrArray *order;  /* struct part *, zip order (owns them) */
	struct part root;  /* the package itself, source of _rels/.rels */
	struct part *ctypes;
	GHashTable *defaults; /* lower-case extension -> char *[2] */
	struct part *main;
	const struct main_type *mt;
	guint nrels;
	gboolean changed;
	gboolean dropped_extlinks;
	gboolean dropped_sheets;
	struct mg_cdr_verdict v; /* refused or failed, and why */
};

static void
removed(struct pkg *pk, const char *id)
{
	pk->changed = TRUE;
	if (id != NULL)
		mg_cdr_result_removed(pk->res, id);
}

/* A name from the input, made safe for a log line. */
static char *
shown(const char *s)
{
	return mg_printable(s, -1, 0);
}

/* ---- small string helpers ---- */

static gboolean
has_prefix_ci(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The lookup key of a part name: percent-decoded (a relationship target
 * is a URI, the zip name may or may not be encoded) and ASCII lower case
 * (part names compare case-insensitively, ECMA-376 Part 2, 9.1.1.1).
 */
static char *
make_key(const char *s)
{
	GString *k = g_string_sized_new(strlen(s));
	int hi, lo;

	/* "%00" stays as it is: a NUL would cut the key short. */
	while (*s != '\0') {
		if (s[0] == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0 && (hi | lo) != 0) {
			g_string_append_c(
			    k, g_ascii_tolower((char)(hi << 4 | lo)));
			s += 3;
			continue;
		}
		g_string_append_c(k, g_ascii_tolower(*s));
		s++;
	}
	return g_string_free(k, FALSE);
}

/* The last path segment of a relationship type URI. */
static const char *
rel_suffix(const char *type)
{
	const char *s = strrchr(type, '/');

	return s != NULL ? s + 1 : type;
}

static gboolean
rel_is(const struct rel *r, const char *suffix)
{
	return g_ascii_strcasecmp(rel_suffix(r->type), suffix) == 0;
}

/* ---- XML helpers ---- */

static enum ns
node_ns(const xmlNode *n)
{
	gsize i;

	if (n->ns == NULL || n->ns->href == NULL)
		return NS_OTHER;
	for (i = 0; i < G_N_ELEMENTS(ns_uris); i++)
		if (strcmp((const char *)n->ns->href, ns_uris[i].uri) == 0)
			return ns_uris[i].ns;
	return NS_OTHER;
}

static gboolean
is_el(const xmlNode *n, enum ns ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0 && node_ns(n) == ns;
}

static enum ns
attr_ns(const xmlAttr *a)
{
	if (a->ns == NULL)
		return NS_OTHER;
	return node_ns((const xmlNode *)a);
}

/* The value of an attribute (ns NS_OTHER: without a namespace), or NULL;
 * g_free() it. */
static char *
attr_get(const xmlNode *n, enum ns ns, const char *name)
{
	const xmlAttr *a;
	xmlChar *v;
	char *r;

	for (a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (ns == NS_OTHER ? a->ns != NULL : attr_ns(a) != ns)
			continue;
		v = xmlNodeGetContent((const xmlNode *)a);
		r = g_strdup(v != NULL ? (const char *)v : "");
		xmlFree(v);
		return r;
	}
	return NULL;
}

static char *
text_of(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *r = g_strdup(v != NULL ? (const char *)v : "");

	xmlFree(v);
	return r;
}

static void
drop_node(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

static gboolean
has_element_child(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return TRUE;
	return FALSE;
}

/* Parse one part; NULL when it is not well-formed or has a DOCTYPE. */
static xmlDoc *
parse_xml(struct pkg *pk, GBytes *b)
{
	return mg_cdr_xml_parse(b, &pk->v.failed);
}

/* ---- the package ---- */

static void
rel_free(gpointer p)
{
	struct rel *r = p;

	g_free(r->id);
	g_free(r->type);
	g_free(r->target);
	g_free(r);
}

static void
part_clear(struct part *p)
{
	g_free(p->name);
	g_free(p->key);
	if (p->data != NULL)
		g_bytes_unref(p->data);
	if (p->out != NULL)
		g_bytes_unref(p->out);
	g_free(p->ct);
	g_free(p->override_name);
	if (p->doc != NULL)
		xmlFreeDoc(p->doc);
	if (p->kept != NULL)
		g_ptr_array_unref(p->kept);
	if (p->gone != NULL)
		g_hash_table_unref(p->gone);
	if (p->links != NULL)
		g_hash_table_unref(p->links);
}

static void
part_free(gpointer data)
{
	struct part *p = data;

	part_clear(p);
	g_free(p);
}

static void
strv2_free(gpointer p)
{
	g_strfreev(p);
}

static void
pkg_init(struct pkg *pk, struct mg_cdr_ctx *ctx, struct mg_cdr_result *res,
    gboolean verify)
{
	memset(pk, 0, sizeof(*pk));
	pk->ctx = ctx;
	pk->res = res;
	pk->verify = verify;
	mg_cdr_zip_limits(ctx->limits, MAX_PARTS, &pk->lim);
	pk->parts = g_hash_table_new(g_str_hash, g_str_equal);
	pk->order = g_ptr_array_new_with_free_func(part_free);
	pk->defaults =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, strv2_free);
	pk->root.name = g_strdup("");
	pk->root.key = g_strdup("");
	pk->root.keep = pk->root.visited = TRUE;
}

static void
pkg_clear(struct pkg *pk)
{
	g_hash_table_unref(pk->parts);
	g_ptr_array_unref(pk->order);
	g_hash_table_unref(pk->defaults);
	part_clear(&pk->root);
	g_free(pk->v.detail);
}

static struct part *
lookup(struct pkg *pk, const char *name)
{
	g_autofree char *key = make_key(name);

	return g_hash_table_lookup(pk->parts, key);
}

/* ---- reading the zip ---- */

/* mg_cdr_zip_read()'s callback: one member becomes a part. */
static gboolean
add_member(void *data, const char *name, GBytes *b)
{
	struct pkg *pk = data;
	struct part *p = g_new0(struct part, 1);

	p->name = g_strdup(name);
	p->key = make_key(name);
	p->data = g_bytes_ref(b);
	if (g_hash_table_contains(pk->parts, p->key)) {
		g_autofree char *sn = shown(name);

		part_free(p);
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_DAMAGED_ARCHIVE,
		    "two members are named %s", sn);
	}
	g_hash_table_insert(pk->parts, p->key, p);
	g_ptr_array_add(pk->order, p);
	return TRUE;
}

static gboolean
read_zip(struct pkg *pk, const guint8 *data, gsize len, guint *entries_r)
{
	enum mg_reason reason;
	g_autofree char *detail = NULL;

	switch (mg_cdr_zip_read(data, len, &pk->lim, pk->verify, add_member, pk,
	    entries_r, &reason, &detail)) {
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

static guint32
le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
	       (guint32)p[3] << 24;
}

static guint
le16(const guint8 *p)
{
	return (guint)p[0] | (guint)p[1] << 8;
}

/*
 * A zip extra field (APPNOTE 4.5) fit for a plain zip: well-formed blocks
 * holding at most MAX_ZIP_EXTRA bytes, besides the zero padding Office
 * adds for in-place growth (block 0xA220: signature 0xA028, a 2-byte
 * count, then zeros).
 */
static gboolean
extra_ok(const guint8 *p, guint n)
{
	guint off = 0, used = 0, id, size, i;

	while (off < n) {
		if (n - off < 4)
			return FALSE;
		id = le16(p + off);
		size = le16(p + off + 2);
		off += 4;
		if (size > n - off)
			return FALSE;
		if (id == 0xa220 && size >= 4 && le16(p + off) == 0xa028) {
			for (i = 4; i < size; i++)
				if (p[off + i] != 0)
					return FALSE;
		} else {
			used += 4 + size;
		}
		off += size;
	}
	return used <= MAX_ZIP_EXTRA;
}

struct zent {
	guint32 off, csize;
	guint flags, method;
	const guint8 *name;
	guint nlen;
};

static gint
zent_cmp(gconstpointer a, gconstpointer b)
{
	const struct zent *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * TRUE when the zip is laid out plainly: local entries back to back from
 * offset 0, each matching its central directory record (name, method,
 * flags), small extra fields, no comments, then the central directory,
 * then the end record as the last 22 bytes, and `entries` records (what
 * libarchive read).  Only then can the input pass unchanged: anything
 * else leaves room for bytes that another reader would see.  *tail_r
 * tells whether something follows or precedes the archive.
 */
static gboolean
zip_plain(const guint8 *d, gsize len, guint entries, gboolean *tail_r)
{
	g_autoptr(GArray) ents = NULL;
	guint32 cd_off, cd_size, expect;
	gsize p, i;
	guint n;

	*tail_r = TRUE;
	if (len < 22 || le32(d + len - 22) != 0x06054b50)
		return FALSE;
	if (le16(d + len - 2) != 0)
		return FALSE; /* archive comment */
	*tail_r = FALSE;
	if (len >= 42 && le32(d + len - 42) == 0x07064b50)
		return FALSE; /* ZIP64 */
	n = le16(d + len - 12);
	if (le16(d + len - 18) != 0 || le16(d + len - 16) != 0 ||
	    le16(d + len - 14) != n || n != entries)
		return FALSE;
	cd_size = le32(d + len - 10);
	cd_off = le32(d + len - 6);
	if ((guint64)cd_off + cd_size != len - 22)
		return FALSE;
	ents = g_array_sized_new(FALSE, FALSE, sizeof(struct zent), n);
	for (p = cd_off, i = 0; i < n; i++) {
		struct zent e;
		guint m, k;

		if (p + 46 > len - 22 || le32(d + p) != 0x02014b50)
			return FALSE;
		e.flags = le16(d + p + 8);
		e.method = le16(d + p + 10);
		e.csize = le32(d + p + 20);
		e.nlen = le16(d + p + 28);
		m = le16(d + p + 30);
		k = le16(d + p + 32);
		e.off = le32(d + p + 42);
		if ((e.flags & 1) || k != 0 || e.csize == 0xffffffffu ||
		    e.off == 0xffffffffu || le32(d + p + 24) == 0xffffffffu)
			return FALSE;
		if (p + 46 + e.nlen + m + k > len - 22 ||
		    !extra_ok(d + p + 46 + e.nlen, m))
			return FALSE;
		e.name = d + p + 46;
		g_array_append_val(ents, e);
		p += 46 + e.nlen + m + k;
	}
	if (p != len - 22)
		return FALSE;
	g_array_sort(ents, zent_cmp);
	expect = 0;
	for (i = 0; i < n; i++) {
		const struct zent *e = &g_array_index(ents, struct zent, i);
		guint64 end, next;
		guint ln, lm;

		if (e->off != expect || (guint64)e->off + 30 > cd_off ||
		    le32(d + e->off) != 0x04034b50)
			return FALSE;
		ln = le16(d + e->off + 26);
		lm = le16(d + e->off + 28);
		if (le16(d + e->off + 6) != e->flags ||
		    le16(d + e->off + 8) != e->method || ln != e->nlen)
			return FALSE;
		end = (guint64)e->off + 30 + ln + lm + e->csize;
		if (end > cd_off || memcmp(d + e->off + 30, e->name, ln) != 0 ||
		    !extra_ok(d + e->off + 30 + ln, lm))
			return FALSE;
		next = i + 1 < n ? g_array_index(ents, struct zent, i + 1).off
		                 : cd_off;
		if (e->flags & 8) {
			/* A data descriptor: 12 or 16 bytes (with its
			 * optional signature), no more. */
			if (next != end + 12 &&
			    !(next == end + 16 && le32(d + end) == 0x08074b50))
				return FALSE;
		} else if (next != end) {
			return FALSE;
		}
		expect = (guint32)next;
	}
	return expect == cd_off;
}

/* ---- [Content_Types].xml ---- */

static enum kind
kind_of(const char *ct)
{
	gsize i;

	if (ct == NULL)
		return K_NONE;
	for (i = 0; i < G_N_ELEMENTS(part_types); i++)
		if (g_ascii_strcasecmp(ct, part_types[i].ct) == 0)
			return part_types[i].kind;
	return K_NONE;
}

static const struct main_type *
main_type(const char *ct)
{
	gsize i;

	if (ct == NULL)
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(main_types); i++)
		if (g_ascii_strcasecmp(ct, main_types[i].ct) == 0)
			return &main_types[i];
	return NULL;
}

/* Core, extended (app.xml) and custom document properties. */
static gboolean
is_properties(const char *ct)
{
	return ct != NULL &&
	       (g_ascii_strcasecmp(ct, CT_CORE) == 0 ||
	           g_ascii_strcasecmp(ct, OXD "extended-properties+xml") == 0 ||
	           g_ascii_strcasecmp(ct, OXD "custom-properties+xml") == 0);
}

/* A content type a clean package may declare. */
static gboolean
ct_known(const char *ct)
{
	const struct main_type *mt = main_type(ct);

	if (mt != NULL)
		return strcmp(mt->ct, mt->plain) == 0;
	return kind_of(ct) != K_NONE || g_ascii_strcasecmp(ct, CT_RELS) == 0;
}

static const char *
extension(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash != NULL ? slash : name, '.');

	return dot != NULL ? dot + 1 : "";
}

static gboolean
content_types(struct pkg *pk)
{
	GHashTable *overrides;
	xmlNode *root, *c;
	struct part *p;
	guint count = 0, i;
	gboolean ok = FALSE;

	pk->ctypes = lookup(pk, "[Content_Types].xml");
	if (pk->ctypes == NULL)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_UNSUPPORTED,
		    "no [Content_Types].xml: not an Office Open XML package");
	if (g_bytes_get_size(pk->ctypes->data) > MAX_XML_SIZE)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_PART_TOO_LARGE,
		    "[Content_Types].xml too large");
	pk->ctypes->doc = parse_xml(pk, pk->ctypes->data);
	if (pk->ctypes->doc == NULL)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "[Content_Types].xml is not well-formed XML");
	root = xmlDocGetRootElement(pk->ctypes->doc);
	if (!is_el(root, NS_CT, "Types"))
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "[Content_Types].xml has no Types element");
	overrides =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, strv2_free);
	for (c = root->children; c != NULL; c = c->next) {
		gboolean def = is_el(c, NS_CT, "Default");
		g_autofree char *a = NULL, *ct = NULL, *key = NULL;
		char **v;

		if (!def && !is_el(c, NS_CT, "Override"))
			continue;
		if (++count > MAX_TYPES) {
			mg_cdr_verdict_refuse(&pk->v, MG_REASON_TOO_MANY_PARTS,
			    "too many content types");
			goto out;
		}
		a = attr_get(c, NS_OTHER, def ? "Extension" : "PartName");
		ct = attr_get(c, NS_OTHER, "ContentType");
		if (a == NULL || ct == NULL || (!def && a[0] != '/')) {
			mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
			    "bad entry in [Content_Types].xml");
			goto out;
		}
		key = make_key(def ? a : a + 1);
		if (g_hash_table_contains(
		        def ? pk->defaults : overrides, key)) {
			mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
			    "content type declared twice");
			goto out;
		}
		if (!ct_known(ct))
			pk->changed = TRUE;
		v = g_new0(char *, 3);
		v[0] = g_steal_pointer(&a);
		v[1] = g_steal_pointer(&ct);
		g_hash_table_insert(
		    def ? pk->defaults : overrides, g_steal_pointer(&key), v);
	}
	for (i = 0; i < pk->order->len; i++) {
		char **v;

		p = g_ptr_array_index(pk->order, i);
		v = g_hash_table_lookup(overrides, p->key);
		if (v != NULL) {
			p->ct = g_strdup(v[1]);
			p->override_name = g_strdup(v[0]);
			continue;
		}
		g_autofree char *ext = g_ascii_strdown(extension(p->name), -1);
		v = g_hash_table_lookup(pk->defaults, ext);
		if (v != NULL)
			p->ct = g_strdup(v[1]);
	}
	ok = TRUE;
out:
	g_hash_table_unref(overrides);
	xmlFreeDoc(pk->ctypes->doc);
	pk->ctypes->doc = NULL;
	return ok;
}

/* ---- relationships ---- */

/* The relationships part of `src`: "dir/_rels/file.rels". */
static struct part *
rels_of(struct pkg *pk, struct part *src)
{
	const char *slash = strrchr(src->name, '/');
	g_autofree char *rn = NULL;

	if (slash != NULL)
		rn = g_strdup_printf("%.*s/_rels/%s.rels",
		    (int)(slash - src->name), src->name, slash + 1);
	else
		rn = g_strdup_printf("_rels/%s.rels", src->name);
	return lookup(pk, rn);
}

/* The part an internal target names, relative to `src`, or NULL. */
static struct part *
resolve(struct pkg *pk, struct part *src, const char *target)
{
	g_autoptr(GPtrArray) segs = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *t = g_strdup(target);
	g_autofree char *joined = NULL;
	const char *slash;
	char **parts, **s;
	char *hash;

	if ((hash = strchr(t, '#')) != NULL)
		*hash = '\0';
	if (t[0] == '\0' || strstr(t, "://") != NULL || t[0] == '\\' ||
	    strchr(t, '\\') != NULL)
		return NULL;
	if (t[0] != '/' && (slash = strrchr(src->name, '/')) != NULL) {
		g_autofree char *dir =
		    g_strndup(src->name, (gsize)(slash - src->name));

		parts = g_strsplit(dir, "/", -1);
		for (s = parts; *s != NULL; s++)
			if (**s != '\0')
				g_ptr_array_add(segs, g_strdup(*s));
		g_strfreev(parts);
	}
	parts = g_strsplit(t, "/", -1);
	for (s = parts; *s != NULL; s++) {
		if (**s == '\0' || strcmp(*s, ".") == 0)
			continue;
		if (strcmp(*s, "..") == 0) {
			if (segs->len == 0) {
				g_strfreev(parts);
				return NULL;
			}
			g_ptr_array_remove_index(segs, segs->len - 1);
			continue;
		}
		g_ptr_array_add(segs, g_strdup(*s));
	}
	g_strfreev(parts);
	g_ptr_array_add(segs, NULL);
	joined = g_strjoinv("/", (char **)segs->pdata);
	return lookup(pk, joined);
}

static gboolean
link_allowed(struct pkg *pk, const char *target)
{
	return mg_cdr_link_allowed(pk->ctx, target);
}

static const char *
denied_id(const char *suffix)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(rel_denied); i++)
		if (g_ascii_strcasecmp(suffix, rel_denied[i].suffix) == 0)
			return rel_denied[i].id;
	return NULL;
}

static gboolean
allowed_type(const char *suffix)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(rel_allowed); i++)
		if (g_ascii_strcasecmp(suffix, rel_allowed[i]) == 0)
			return TRUE;
	return FALSE;
}

/* What a dropped part is reported as, or NULL for nothing active. */
static const char *
part_drop_id(const struct part *p)
{
	gsize i;

	if (p->ct != NULL)
		for (i = 0; i < G_N_ELEMENTS(ct_denied); i++)
			if (has_prefix_ci(p->ct, ct_denied[i].prefix))
				return ct_denied[i].id;
	for (i = 0; i < G_N_ELEMENTS(name_denied); i++)
		if (strstr(p->key, name_denied[i].piece) != NULL)
			return name_denied[i].id;
	return NULL;
}

/*
 * Check a part that is to be kept.  A VML part that is not well-formed
 * (Excel writes some like that) is dropped, so VML is parsed here; any
 * other XML part is parsed once, when it is reworked, and refused then
 * if it does not parse.
 */
static gboolean
ensure_parsed(struct pkg *pk, struct part *t, gboolean *drop_r)
{
	g_autofree char *sn = NULL;
	xmlDoc *doc;

	*drop_r = FALSE;
	if (t->parsed == 0) {
		if (g_bytes_get_size(t->data) > MAX_XML_SIZE) {
			sn = shown(t->name);
			return mg_cdr_verdict_refuse(&pk->v,
			    MG_REASON_PART_TOO_LARGE,
			    "XML part %s larger than %u bytes", sn,
			    MAX_XML_SIZE);
		}
		t->parsed = 1;
		if (t->kind == K_VML) {
			doc = parse_xml(pk, t->data);
			if (pk->v.failed)
				return FALSE;
			if (doc == NULL)
				t->parsed = -1;
			xmlFreeDoc(doc);
		}
	}
	*drop_r = t->parsed < 0;
	return TRUE;
}

static const char *
image_type(GBytes *b)
{
	gsize n;
	const guint8 *d = g_bytes_get_data(b, &n);

	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (n >= 6 &&
	    (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return "image/gif";
	return NULL;
}

/*
 * An image goes back through the walk (scanned, typed, rebuilt by the
 * image module); what comes back replaces it.  Without a walk (unit
 * tests) it is left out, as mg_cdr.h says.  Our own output, read back,
 * keeps its images as they are.
 */
static gboolean
image_kept(struct pkg *pk, struct part *t)
{
	GBytes *r;
	const char *ct;

	if (t->image != 0)
		return t->image > 0;
	t->image = -1;
	if (pk->verify) {
		t->image = 1;
	} else if (pk->ctx->nested != NULL) {
		r = pk->ctx->nested(
		    pk->ctx->walk, t->name, t->ct, t->data, NULL);
		if (r == NULL)
			return FALSE;
		if (g_bytes_equal(r, t->data)) {
			g_bytes_unref(r);
			t->image = 1;
		} else if ((ct = image_type(r)) != NULL) {
			t->out = r;
			if (g_ascii_strcasecmp(ct, t->ct) != 0)
				t->out_ct = ct;
			pk->changed = TRUE;
			t->image = 1;
		} else {
			g_bytes_unref(r);
		}
	}
	return t->image > 0;
}

static gboolean
contains(GBytes *b, const char *needle)
{
	gsize len;
	const char *d = g_bytes_get_data(b, &len);

	return d != NULL && g_strstr_len(d, (gssize)len, needle) != NULL;
}

/*
 * Decide one relationship of `src`: TRUE to keep it.  *id_r is what its
 * removal is reported as (NULL: nothing active, e.g. printer settings).
 */
static gboolean
decide(struct pkg *pk, struct part *src, struct rel *r, const char **id_r,
    GQueue *queue)
{
	const char *suffix = rel_suffix(r->type);
	const char *id;
	struct part *t;
	gboolean drop;

	*id_r = NULL;
	if (r->external) {
		if (g_ascii_strcasecmp(suffix, "hyperlink") == 0) {
			if (link_allowed(pk, r->target)) {
				if (src->links == NULL)
					src->links =
					    g_hash_table_new_full(g_str_hash,
					        g_str_equal, g_free, NULL);
				g_hash_table_add(src->links, g_strdup(r->id));
				return TRUE;
			}
			*id_r = MG_CDR_RM_LINKS;
		} else if ((id = denied_id(suffix)) != NULL &&
		           (strcmp(id, MG_CDR_RM_TEMPLATE) == 0 ||
		               strcmp(id, MG_CDR_RM_DATACONN) == 0)) {
			*id_r = id;
		} else {
			*id_r = MG_CDR_RM_EXTERNAL;
		}
		return FALSE;
	}
	if ((id = denied_id(suffix)) != NULL) {
		*id_r = id;
		if (src == pk->main && strcmp(id, MG_CDR_RM_XLM) == 0)
			pk->dropped_sheets = TRUE;
		if (g_ascii_strcasecmp(suffix, "externalLink") == 0) {
			/* Said for what it is: a DDE link runs a program, an
			 * OLE link fetches a file. */
			pk->dropped_extlinks = TRUE;
			t = resolve(pk, src, r->target);
			if (t != NULL && contains(t->data, "ddeLink"))
				removed(pk, MG_CDR_RM_DDE);
			if (t != NULL && contains(t->data, "oleLink"))
				removed(pk, MG_CDR_RM_EXTERNAL);
		}
		return FALSE;
	}
	if (!allowed_type(suffix))
		return FALSE;
	t = resolve(pk, src, r->target);
	if (t == NULL || t == pk->ctypes || t->is_rels)
		return FALSE;
	if (src == &pk->root &&
	    g_ascii_strcasecmp(suffix, "officeDocument") == 0) {
		g_autofree char *sct = NULL;

		if (pk->main != NULL)
			return FALSE;
		pk->mt = main_type(t->ct);
		if (pk->mt == NULL) {
			sct = shown(t->ct != NULL ? t->ct : "(none)");
			return mg_cdr_verdict_refuse(&pk->v,
			    MG_REASON_UNSUPPORTED,
			    "main part type %s is not supported", sct);
		}
		pk->main = t;
		t->kind = pk->mt->app == APP_WORD    ? K_WORD_STORY
		          : pk->mt->app == APP_EXCEL ? K_XL_BOOK
		                                     : K_XML;
		if (strcmp(pk->mt->ct, pk->mt->plain) != 0)
			pk->changed = TRUE;
	} else if (t != pk->main) {
		t->kind = kind_of(t->ct);
		if (t->kind == K_NONE) {
			*id_r = part_drop_id(t);
			return FALSE;
		}
		/* Document properties (author, company, template path,
		 * custom properties) are optional parts (ECMA-376 Part 2
		 * §11): [cdr] metadata = strip leaves them out. */
		if (!pk->ctx->keep_metadata && is_properties(t->ct)) {
			*id_r = MG_CDR_RM_METADATA;
			return FALSE;
		}
	}
	if (t->kind == K_IMAGE) {
		if (!image_kept(pk, t)) {
			*id_r = MG_CDR_RM_EMBEDDED;
			return FALSE;
		}
	} else {
		if (!ensure_parsed(pk, t, &drop))
			return FALSE;
		if (drop)
			return FALSE;
	}
	if (!t->visited) {
		t->visited = TRUE;
		g_queue_push_tail(queue, t);
	}
	r->to = t;
	return TRUE;
}

/* Read the relationships of `src` and decide each one. */
static gboolean
follow_rels(struct pkg *pk, struct part *src, GQueue *queue)
{
	struct part *rp = rels_of(pk, src);
	g_autoptr(GHashTable) seen = NULL;
	xmlNode *root, *c;

	src->kept = g_ptr_array_new_with_free_func(rel_free);
	src->gone =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (rp == NULL) {
		if (src == &pk->root)
			return mg_cdr_verdict_refuse(&pk->v,
			    MG_REASON_UNSUPPORTED,
			    "no package relationships (_rels/.rels)");
		return TRUE;
	}
	rp->is_rels = TRUE;
	rp->visited = TRUE;
	rp->src = src;
	src->rels = rp;
	if (g_bytes_get_size(rp->data) > MAX_XML_SIZE)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_PART_TOO_LARGE,
		    "relationships part too large");
	rp->doc = parse_xml(pk, rp->data);
	if (rp->doc == NULL)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "relationships part is not well-formed XML");
	root = xmlDocGetRootElement(rp->doc);
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (!is_el(root, NS_PR, "Relationships"))
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "relationships part has no Relationships element");
	for (c = root->children; c != NULL; c = c->next) {
		g_autofree char *mode = NULL;
		struct rel *r;
		const char *id;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, NS_PR, "Relationship")) {
			pk->changed = TRUE;
			continue;
		}
		if (++pk->nrels > MAX_RELS)
			return mg_cdr_verdict_refuse(&pk->v,
			    MG_REASON_TOO_MANY_PARTS,
			    "more than %u relationships", MAX_RELS);
		r = g_new0(struct rel, 1);
		r->id = attr_get(c, NS_OTHER, "Id");
		r->type = attr_get(c, NS_OTHER, "Type");
		r->target = attr_get(c, NS_OTHER, "Target");
		mode = attr_get(c, NS_OTHER, "TargetMode");
		r->external = mode != NULL && strcmp(mode, "Internal") != 0;
		if (r->id == NULL || r->type == NULL || r->target == NULL ||
		    g_hash_table_contains(seen, r->id)) {
			rel_free(r);
			return mg_cdr_verdict_refuse(&pk->v,
			    MG_REASON_CDR_FAILED,
			    "bad or repeated relationship");
		}
		g_hash_table_add(seen, g_strdup(r->id));
		if (decide(pk, src, r, &id, queue)) {
			g_ptr_array_add(src->kept, r);
			continue;
		}
		if (pk->v.refused || pk->v.failed) {
			rel_free(r);
			return FALSE;
		}
		removed(pk, id);
		g_hash_table_add(src->gone, g_steal_pointer(&r->id));
		rel_free(r);
	}
	xmlFreeDoc(rp->doc);
	rp->doc = NULL;
	return TRUE;
}

/* Walk the relationship graph from the package. */
static gboolean
follow(struct pkg *pk)
{
	GQueue queue = G_QUEUE_INIT;
	struct part *p;
	gboolean ok;

	ok = follow_rels(pk, &pk->root, &queue);
	while (ok && (p = g_queue_pop_head(&queue)) != NULL)
		if (p->kind != K_IMAGE)
			ok = follow_rels(pk, p, &queue);
	g_queue_clear(&queue);
	if (ok && pk->main == NULL)
		return mg_cdr_verdict_refuse(
		    &pk->v, MG_REASON_UNSUPPORTED, "no main document part");
	return ok;
}

/* Drop the relationship at `i` of `src` (no report). */
static void
unkeep(struct pkg *pk, struct part *src, guint i)
{
	struct rel *r = g_ptr_array_index(src->kept, i);

	g_hash_table_add(src->gone, g_strdup(r->id));
	g_ptr_array_remove_index(src->kept, i);
	pk->changed = TRUE;
}

/*
 * Excel's calculation chain lists cells by sheet: once sheets or
 * external-link formulas are gone it is stale, and Excel rebuilds it when
 * it is missing.
 */
static void
fixups(struct pkg *pk)
{
	guint i;

	if (pk->mt->app != APP_EXCEL ||
	    !(pk->dropped_sheets || pk->dropped_extlinks) ||
	    pk->main->kept == NULL)
		return;
	for (i = pk->main->kept->len; i-- > 0;)
		if (rel_is(g_ptr_array_index(pk->main->kept, i), "calcChain"))
			unkeep(pk, pk->main, i);
}

/* Which parts are still reached through kept relationships. */
static void
reach(struct pkg *pk)
{
	GQueue queue = G_QUEUE_INIT;
	struct part *p;
	guint i;

	g_queue_push_tail(&queue, &pk->root);
	while ((p = g_queue_pop_head(&queue)) != NULL) {
		if (p->kept == NULL)
			continue;
		for (i = 0; i < p->kept->len; i++) {
			struct rel *r = g_ptr_array_index(p->kept, i);

			if (r->to != NULL && !r->to->keep) {
				r->to->keep = TRUE;
				g_queue_push_tail(&queue, r->to);
			}
		}
	}
	g_queue_clear(&queue);
	for (i = 0; i < pk->order->len; i++) {
		p = g_ptr_array_index(pk->order, i);
		if (p == pk->ctypes || p->keep)
			continue;
		if (p->is_rels && p->visited) {
			/* The relationships of a dropped part go with it;
			 * those of a kept part are written anew. */
			continue;
		}
		removed(pk, part_drop_id(p));
	}
}

/* ---- Word fields ---- */

/* The next token of a field instruction: a quoted string (*quoted_r)
 * or a run of non-space characters; NULL at the end. */
static char *
next_token(const char **pp, gboolean *quoted_r)
{
	const char *p = *pp, *start;
	char *tok;

	*quoted_r = FALSE;
	while (*p != '\0' && g_ascii_isspace(*p))
		p++;
	if (*p == '\0') {
		*pp = p;
		return NULL;
	}
	if (*p == '"') {
		*quoted_r = TRUE;
		start = ++p;
		while (*p != '\0' && *p != '"')
			p++;
		tok = g_strndup(start, (gsize)(p - start));
		if (*p == '"')
			p++;
	} else {
		start = p;
		while (*p != '\0' && !g_ascii_isspace(*p) && *p != '"')
			p++;
		tok = g_strndup(start, (gsize)(p - start));
	}
	*pp = p;
	return tok;
}

/* A token without the punctuation or invisible characters around it. */
static const char *
bare(char *tok)
{
	char *end;

	while (*tok != '\0' && !g_ascii_isalnum(*tok))
		tok++;
	end = tok + strlen(tok);
	while (end > tok && !g_ascii_isalnum(end[-1]))
		*--end = '\0';
	return tok;
}

/*
 * Whether a field instruction (ECMA-376 Part 1, 17.16) must go, and what
 * it is reported as.  DDE and DDEAUTO run programs; INCLUDETEXT,
 * INCLUDEPICTURE (and the older INCLUDE and IMPORT) and LINK fetch files;
 * DATABASE connects to a data source; HYPERLINK follows the link policy.
 * A field whose type comes from a nested field could be any of them.
 */
static const char *
field_verdict(struct pkg *pk, const char *instr, gboolean nested_first)
{
	static const char *const dde[] = {"DDE", "DDEAUTO"};
	static const char *const incl[] = {
	    "INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT"};
	const char *p = instr;
	const char *verdict = NULL;
	char *tok;
	gboolean first = TRUE;
	gboolean hyperlink = FALSE, skip_arg = FALSE, internal = FALSE;
	char *url = NULL;
	gboolean quoted;
	gsize i;

	if (nested_first)
		verdict = MG_CDR_RM_FIELDS;
	while ((tok = next_token(&p, &quoted)) != NULL) {
		const char *b = bare(tok);

		for (i = 0; i < G_N_ELEMENTS(dde); i++)
			if (g_ascii_strcasecmp(b, dde[i]) == 0)
				verdict = MG_CDR_RM_DDE;
		for (i = 0; i < 2; i++)
			if (g_ascii_strcasecmp(b, incl[i]) == 0 &&
			    verdict == NULL)
				verdict = MG_CDR_RM_FIELDS;
		if (first && verdict == NULL) {
			for (i = 0; i < G_N_ELEMENTS(incl); i++)
				if (g_ascii_strcasecmp(b, incl[i]) == 0)
					verdict = MG_CDR_RM_FIELDS;
			if (g_ascii_strcasecmp(b, "LINK") == 0)
				verdict = MG_CDR_RM_EXTERNAL;
			if (g_ascii_strcasecmp(b, "DATABASE") == 0)
				verdict = MG_CDR_RM_DATACONN;
			if (g_ascii_strcasecmp(b, "HYPERLINK") == 0)
				hyperlink = TRUE;
		} else if (hyperlink && url == NULL) {
			if (skip_arg) {
				skip_arg = FALSE;
			} else if (tok[0] == '\\' && !quoted) {
				if (g_ascii_strcasecmp(tok, "\\l") == 0)
					internal = TRUE;
				skip_arg =
				    g_ascii_strcasecmp(tok, "\\o") == 0 ||
				    g_ascii_strcasecmp(tok, "\\t") == 0;
				if (internal)
					skip_arg = TRUE;
			} else {
				url = g_strdup(tok);
			}
		}
		first = FALSE;
		g_free(tok);
	}
	if (hyperlink && verdict == NULL && url != NULL &&
	    !link_allowed(pk, url))
		verdict = MG_CDR_RM_LINKS;
	g_free(url);
	return verdict;
}

struct field {
	gint begin, sep;
	GString *instr;
	gboolean nested_first;
	gboolean code; /* between begin and separate */
};

struct fields {
	struct pkg *pk;
	struct part *p;
	GPtrArray *runs; /* xmlNode *: each w:r, in document order */
	GArray *stack;   /* struct field */
	GArray *cuts;    /* gint pairs: run ranges to remove */
	gint cur;        /* the innermost run, or -1 */
	gboolean too_deep;
};

static void
cut(struct fields *f, gint lo, gint hi)
{
	g_array_append_val(f->cuts, lo);
	g_array_append_val(f->cuts, hi);
}

static gboolean
blank(const GString *s)
{
	gsize i;

	for (i = 0; i < s->len; i++)
		if (!g_ascii_isspace(s->str[i]))
			return FALSE;
	return TRUE;
}

/* A nested field starts: if its parent's type is not known yet, the
 * parent takes its type from it. */
static void
nested(struct fields *f)
{
	struct field *top;

	if (f->stack->len == 0)
		return;
	top = &g_array_index(f->stack, struct field, f->stack->len - 1);
	if (top->code && blank(top->instr))
		top->nested_first = TRUE;
}

/* A field ended (end < 0: at the end of the part, unterminated). */
static void
finish(struct fields *f, struct field *fl, gint end)
{
	const char *id = field_verdict(f->pk, fl->instr->str, fl->nested_first);
	gint hi;

	if (id != NULL) {
		removed(f->pk, id);
		hi = fl->sep >= 0 ? fl->sep
		     : end >= 0   ? end
		                  : (gint)f->runs->len - 1;
		cut(f, fl->begin, hi);
		if (end > hi)
			cut(f, end, end);
	}
	g_string_free(fl->instr, TRUE);
}

static gint
run_of(struct fields *f, xmlNode *n)
{
	/* A field character outside a run (not valid WordprocessingML)
	 * stands for its own run. */
	if (f->cur >= 0)
		return f->cur;
	g_ptr_array_add(f->runs, n);
	return (gint)f->runs->len - 1;
}

static void
fld_char(struct fields *f, xmlNode *n)
{
	g_autofree char *type = attr_get(n, NS_W, "fldCharType");
	struct field fl, *top = NULL;
	gint run = run_of(f, n);

	if (type == NULL)
		return;
	if (f->stack->len > 0)
		top = &g_array_index(f->stack, struct field, f->stack->len - 1);
	if (strcmp(type, "begin") == 0) {
		nested(f);
		if (f->stack->len >= MAX_FIELD_DEPTH) {
			f->too_deep = TRUE;
			return;
		}
		memset(&fl, 0, sizeof(fl));
		fl.begin = run;
		fl.sep = -1;
		fl.instr = g_string_new(NULL);
		fl.code = TRUE;
		g_array_append_val(f->stack, fl);
	} else if (strcmp(type, "separate") == 0) {
		if (top != NULL && top->code) {
			top->sep = run;
			top->code = FALSE;
		}
	} else if (strcmp(type, "end") == 0) {
		if (top != NULL) {
			fl = *top;
			g_array_set_size(f->stack, f->stack->len - 1);
			finish(f, &fl, run);
		}
	}
}

static void
instr_text(struct fields *f, xmlNode *n)
{
	g_autofree char *text = text_of(n);
	struct field *top = NULL;
	gint run = run_of(f, n);
	const char *id;

	if (f->stack->len > 0)
		top = &g_array_index(f->stack, struct field, f->stack->len - 1);
	if (top != NULL && top->code) {
		g_string_append(top->instr, text);
		return;
	}
	/* Field code outside any field's code: Word has no use for it, and
	 * it goes if it looks like one of ours. */
	if ((id = field_verdict(f->pk, text, FALSE)) != NULL) {
		removed(f->pk, id);
		cut(f, run, run);
	}
}

static void
fields_walk(struct fields *f, xmlNode *node)
{
	xmlNode *c;
	gint saved;

	for (c = node->children; c != NULL && !f->too_deep; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (node_ns(c) == NS_W) {
			const char *name = (const char *)c->name;

			if (strcmp(name, "r") == 0) {
				saved = f->cur;
				g_ptr_array_add(f->runs, c);
				f->cur = (gint)f->runs->len - 1;
				fields_walk(f, c);
				f->cur = saved;
				continue;
			}
			if (strcmp(name, "fldChar") == 0) {
				fld_char(f, c);
				continue;
			}
			if (strcmp(name, "instrText") == 0 ||
			    strcmp(name, "delInstrText") == 0) {
				instr_text(f, c);
				continue;
			}
			if (strcmp(name, "fldSimple") == 0)
				nested(f);
		}
		fields_walk(f, c);
	}
}

static void
collect_simple(xmlNode *node, GPtrArray *out)
{
	xmlNode *c;

	for (c = node->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, NS_W, "fldSimple"))
			g_ptr_array_add(out, c);
		collect_simple(c, out);
	}
}

/*
 * Complex fields (begin, code, separate, result, end: ECMA-376 Part 1,
 * 17.16.2) lose the runs from begin to separate and the end run: the
 * result runs, what the reader sees, stay.  Simple fields (w:fldSimple)
 * are replaced by their content.  Runs are removed last to first, so
 * that a run inside a removed run (a text box) is never freed twice.
 */
static gboolean
word_fields(struct pkg *pk, struct part *p)
{
	struct fields f;
	g_autoptr(GPtrArray) simple = g_ptr_array_new();
	g_autofree gboolean *mark = NULL;
	xmlNode *root = xmlDocGetRootElement(p->doc);
	guint i;
	gint j;

	memset(&f, 0, sizeof(f));
	f.pk = pk;
	f.p = p;
	f.runs = g_ptr_array_new();
	f.stack = g_array_new(FALSE, FALSE, sizeof(struct field));
	f.cuts = g_array_new(FALSE, FALSE, sizeof(gint));
	f.cur = -1;
	fields_walk(&f, root);
	while (f.stack->len > 0) {
		struct field fl =
		    g_array_index(f.stack, struct field, f.stack->len - 1);

		g_array_set_size(f.stack, f.stack->len - 1);
		finish(&f, &fl, -1);
	}
	if (f.too_deep) {
		g_autofree char *sn = shown(p->name);

		mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "fields nested too deep in %s", sn);
	} else if (f.cuts->len > 0) {
		mark = g_new0(gboolean, f.runs->len);
		for (i = 0; i + 1 < f.cuts->len; i += 2) {
			gint lo = g_array_index(f.cuts, gint, i);
			gint hi = g_array_index(f.cuts, gint, i + 1);

			for (j = lo; j <= hi && j < (gint)f.runs->len; j++)
				if (j >= 0)
					mark[j] = TRUE;
		}
		for (j = (gint)f.runs->len - 1; j >= 0; j--)
			if (mark[j])
				drop_node(g_ptr_array_index(f.runs, j));
		p->edited = TRUE;
	}
	g_ptr_array_unref(f.runs);
	g_array_unref(f.stack);
	g_array_unref(f.cuts);
	if (pk->v.refused)
		return FALSE;

	collect_simple(root, simple);
	for (i = simple->len; i-- > 0;) {
		xmlNode *fs = g_ptr_array_index(simple, i);
		g_autofree char *instr = attr_get(fs, NS_W, "instr");
		const char *id;
		xmlNode *c, *next;

		id = field_verdict(pk, instr != NULL ? instr : "", FALSE);
		if (id == NULL)
			continue;
		removed(pk, id);
		for (c = fs->children; c != NULL; c = next) {
			next = c->next;
			if (is_el(c, NS_W, "fldData"))
				continue;
			xmlUnlinkNode(c);
			if (xmlAddPrevSibling(fs, c) == NULL)
				xmlFreeNode(c);
		}
		drop_node(fs);
		p->edited = TRUE;
	}
	return TRUE;
}

/* ---- Excel ---- */

/* Whether a formula refers to another workbook: "[n]" at the start of a
 * reference, outside string literals (not a table's "Table1[2019]"). */
static gboolean
formula_external(const char *f)
{
	gboolean quoted = FALSE;
	gsize i, j;

	for (i = 0; f[i] != '\0'; i++) {
		char prev = i > 0 ? f[i - 1] : '\0';

		if (f[i] == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted || f[i] != '[' || !g_ascii_isdigit(f[i + 1]))
			continue;
		for (j = i + 1; g_ascii_isdigit(f[j]); j++)
			;
		if (f[j] == ']' && !g_ascii_isalnum(prev) && prev != '_' &&
		    prev != '.' && prev != ']' && prev != '[' && prev != '\\')
			return TRUE;
	}
	return FALSE;
}

static gboolean
auto_name(const char *name)
{
	static const char *const autos[] = {
	    "auto_open", "auto_close", "auto_activate", "auto_deactivate"};
	gsize i;

	if (has_prefix_ci(name, "_xlnm."))
		name += 6;
	for (i = 0; i < G_N_ELEMENTS(autos); i++)
		if (has_prefix_ci(name, autos[i]))
			return TRUE;
	return FALSE;
}

static gboolean
flag_set(const xmlNode *n, const char *name)
{
	g_autofree char *v = attr_get(n, NS_OTHER, name);

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* Whether a defined name's formula refers to one of the removed sheets,
 * as Name!… or 'Name'!…. */
static gboolean
refers_to(const char *formula, GPtrArray *names)
{
	g_autofree char *f = g_ascii_strdown(formula, -1);
	guint i;

	for (i = 0; i < names->len; i++) {
		const char *n = g_ptr_array_index(names, i);
		g_autofree char *q = NULL, *a = NULL, *b = NULL;
		GString *esc = g_string_new(NULL);
		const char *s;

		for (s = n; *s != '\0'; s++) {
			if (*s == '\'')
				g_string_append_c(esc, '\'');
			g_string_append_c(esc, *s);
		}
		q = g_string_free(esc, FALSE);
		a = g_strdup_printf("%s!", n);
		b = g_strdup_printf("'%s'!", q);
		if (strstr(f, a) != NULL || strstr(f, b) != NULL)
			return TRUE;
	}
	return FALSE;
}

static xmlNode *
child(xmlNode *n, enum ns ns, const char *name)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (is_el(c, ns, name))
			return c;
	return NULL;
}

/* Renumber a sheet index attribute after sheets were removed; FALSE when
 * it named a removed sheet. */
static gboolean
remap(xmlNode *n, const char *attr, GArray *map)
{
	g_autofree char *v = attr_get(n, NS_OTHER, attr);
	char *end;
	guint64 old;
	gint now;

	if (v == NULL)
		return TRUE;
	old = g_ascii_strtoull(v, &end, 10);
	if (end == v || *end != '\0' || old >= map->len)
		return TRUE;
	now = g_array_index(map, gint, old);
	if (now < 0)
		return FALSE;
	if ((guint64)now != old) {
		char buf[16];

		g_snprintf(buf, sizeof(buf), "%d", now);
		xmlSetProp(n, (const xmlChar *)attr, (const xmlChar *)buf);
	}
	return TRUE;
}

/*
 * The workbook loses the <sheet> entries of removed macro and dialog
 * sheets (sheet indexes after them shift down), and defined names that
 * run macros (Auto_Open and its kind, xlm/function names), belong to or
 * point at a removed sheet, or point into another workbook whose link
 * was removed.
 */
static gboolean
xl_book(struct pkg *pk, struct part *p)
{
	xmlNode *root = xmlDocGetRootElement(p->doc);
	xmlNode *sheets = child(root, NS_X, "sheets");
	xmlNode *names = child(root, NS_X, "definedNames");
	xmlNode *views = child(root, NS_X, "bookViews");
	g_autoptr(GArray) map = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
	xmlNode *c, *next;
	gint kept = 0;

	for (c = sheets != NULL ? sheets->children : NULL; c != NULL;
	     c = next) {
		g_autofree char *rid = NULL;
		gint idx = -1;

		next = c->next;
		if (!is_el(c, NS_X, "sheet"))
			continue;
		rid = attr_get(c, NS_R, "id");
		if (rid != NULL && g_hash_table_contains(p->gone, rid)) {
			char *name = attr_get(c, NS_OTHER, "name");

			g_ptr_array_add(gone,
			    g_ascii_strdown(name != NULL ? name : "", -1));
			g_free(name);
			drop_node(c);
			p->edited = TRUE;
		} else {
			idx = kept++;
		}
		g_array_append_val(map, idx);
	}
	if (map->len > 0 && kept == 0)
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "workbook has no sheet left once macro sheets are removed");
	for (c = names != NULL ? names->children : NULL; c != NULL; c = next) {
		g_autofree char *name = NULL, *text = NULL;
		const char *id = NULL;

		next = c->next;
		if (!is_el(c, NS_X, "definedName"))
			continue;
		name = attr_get(c, NS_OTHER, "name");
		text = text_of(c);
		if ((name != NULL && auto_name(name)) || flag_set(c, "xlm") ||
		    flag_set(c, "function") || flag_set(c, "vbProcedure") ||
		    !remap(c, "localSheetId", map) ||
		    (gone->len > 0 && refers_to(text, gone)))
			id = MG_CDR_RM_XLM;
		else if (pk->dropped_extlinks && formula_external(text))
			id = MG_CDR_RM_DATACONN;
		if (id != NULL) {
			removed(pk, id);
			drop_node(c);
			p->edited = TRUE;
		}
	}
	for (c = views != NULL ? views->children : NULL; c != NULL;
	     c = c->next) {
		if (!is_el(c, NS_X, "workbookView") || gone->len == 0)
			continue;
		if (!remap(c, "activeTab", map))
			xmlSetProp(c, (const xmlChar *)"activeTab",
			    (const xmlChar *)"0");
		if (!remap(c, "firstSheet", map))
			xmlSetProp(c, (const xmlChar *)"firstSheet",
			    (const xmlChar *)"0");
		p->edited = TRUE;
	}
	return TRUE;
}

static void
collect_formulas(xmlNode *node, GPtrArray *out)
{
	xmlNode *c;

	for (c = node->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, NS_X, "f"))
			g_ptr_array_add(out, c);
		else
			collect_formulas(c, out);
	}
}

/* Formulas into removed external workbooks (DDE links among them) go;
 * the cached value in <v> stays.  A shared formula's followers go with
 * their master. */
static void
xl_sheet(struct pkg *pk, struct part *p)
{
	g_autoptr(GPtrArray) fs = g_ptr_array_new();
	g_autoptr(GHashTable) shared =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint i;

	if (!pk->dropped_extlinks)
		return;
	collect_formulas(xmlDocGetRootElement(p->doc), fs);
	for (i = 0; i < fs->len; i++) {
		xmlNode *f = g_ptr_array_index(fs, i);
		g_autofree char *text = text_of(f);
		g_autofree char *t = attr_get(f, NS_OTHER, "t");
		char *si;

		if (!formula_external(text))
			continue;
		if (g_strcmp0(t, "shared") == 0 &&
		    (si = attr_get(f, NS_OTHER, "si")) != NULL)
			g_hash_table_add(shared, si);
		removed(pk, MG_CDR_RM_DATACONN);
		drop_node(f);
		g_ptr_array_index(fs, i) = NULL;
		p->edited = TRUE;
	}
	for (i = 0; i < fs->len && g_hash_table_size(shared) > 0; i++) {
		xmlNode *f = g_ptr_array_index(fs, i);
		g_autofree char *t = NULL, *si = NULL;

		if (f == NULL)
			continue;
		t = attr_get(f, NS_OTHER, "t");
		si = attr_get(f, NS_OTHER, "si");
		if (g_strcmp0(t, "shared") == 0 && si != NULL &&
		    g_hash_table_contains(shared, si)) {
			drop_node(f);
			p->edited = TRUE;
		}
	}
}

/* ---- rules for every part ---- */

static const char *
drop_element(const xmlNode *n, enum ns ns)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(drop_elements); i++)
		if (drop_elements[i].ns == ns &&
		    strcmp((const char *)n->name, drop_elements[i].name) == 0)
			return drop_elements[i].id;
	return NULL;
}

static gboolean
keep_element(const xmlNode *n, enum ns ns)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(keep_elements); i++)
		if (keep_elements[i].ns == ns &&
		    strcmp((const char *)n->name, keep_elements[i].name) == 0)
			return TRUE;
	return FALSE;
}

/* Whether an attribute names a relationship: r:* or VML's o:relid. */
static gboolean
rel_attr(const xmlAttr *a)
{
	enum ns ns = attr_ns(a);

	return ns == NS_R ||
	       (ns == NS_O && strcmp((const char *)a->name, "relid") == 0);
}

static gboolean
hyperlink_element(const xmlNode *n, enum ns ns)
{
	const char *name = (const char *)n->name;

	return ((ns == NS_W || ns == NS_X) && strcmp(name, "hyperlink") == 0) ||
	       (ns == NS_A && (strcmp(name, "hlinkClick") == 0 ||
	                          strcmp(name, "hlinkMouseOver") == 0 ||
	                          strcmp(name, "hlinkHover") == 0));
}

/* Whether the relationship an attribute names may not be used here: it
 * was dropped, or it is a kept web link used by something other than a
 * hyperlink (a picture or a frame would fetch it). */
static gboolean
bad_ref(struct part *p, const xmlChar *v, gboolean hyperlink)
{
	if (v == NULL)
		return FALSE;
	if (g_hash_table_contains(p->gone, v))
		return TRUE;
	return !hyperlink && p->links != NULL &&
	       g_hash_table_contains(p->links, v);
}

/*
 * An element naming a dropped relationship: elements that hold text or a
 * picture (hyperlinks, pictures) lose the attribute, any other goes
 * whole.  Returns TRUE when the element itself was removed.
 */
static gboolean
dangling(struct part *p, xmlNode *n, enum ns ns)
{
	xmlAttr *a, *next;
	gboolean hit = FALSE, link = hyperlink_element(n, ns);

	if (g_hash_table_size(p->gone) == 0 && p->links == NULL)
		return FALSE;
	for (a = n->properties; a != NULL; a = a->next) {
		xmlChar *v;

		if (!rel_attr(a))
			continue;
		v = xmlNodeGetContent((xmlNode *)a);
		if (bad_ref(p, v, link))
			hit = TRUE;
		xmlFree(v);
	}
	if (!hit)
		return FALSE;
	p->edited = TRUE;
	if (!keep_element(n, ns)) {
		drop_node(n);
		return TRUE;
	}
	for (a = n->properties; a != NULL; a = next) {
		xmlChar *v;

		next = a->next;
		if (!rel_attr(a))
			continue;
		v = xmlNodeGetContent((xmlNode *)a);
		if (bad_ref(p, v, link)) {
			/* PowerPoint writes r:id="" for links with only an
			 * action; the others simply lose it. */
			if (ns == NS_A &&
			    strncmp((const char *)n->name, "hlink", 5) == 0)
				xmlSetNsProp(
				    n, a->ns, a->name, (const xmlChar *)"");
			else
				xmlRemoveProp(a);
		}
		xmlFree(v);
	}
	return FALSE;
}

/* PowerPoint actions (ECMA-376 Part 1, 21.1.2.3.5): "program" starts a
 * program, "macro" runs one, "ole" an OLE verb. */
static const char *
bad_action(const xmlNode *n)
{
	g_autofree char *act = attr_get(n, NS_OTHER, "action");

	if (act == NULL)
		return NULL;
	if (has_prefix_ci(act, "ppaction://program"))
		return MG_CDR_RM_ACTIONS;
	if (has_prefix_ci(act, "ppaction://macro"))
		return MG_CDR_RM_VBA;
	if (has_prefix_ci(act, "ppaction://ole"))
		return MG_CDR_RM_OLE;
	return NULL;
}

/*
 * VML shapes name their pictures through relationships (r:id, o:relid);
 * a src or href holding a URL, a UNC or an absolute path would have the
 * reader fetch it (and hand out the user's credentials to a UNC host).
 */
static void
vml_urls(struct pkg *pk, struct part *p, xmlNode *n)
{
	xmlAttr *a, *next;

	for (a = n->properties; a != NULL; a = next) {
		const char *name = (const char *)a->name;
		enum ns ns = attr_ns(a);
		xmlChar *v;

		next = a->next;
		if (!((ns == NS_OTHER || ns == NS_O) &&
		        (strcmp(name, "src") == 0 ||
		            strcmp(name, "href") == 0 ||
		            strcmp(name, "althref") == 0)))
			continue;
		v = xmlNodeGetContent((xmlNode *)a);
		/* A shape's own hyperlink follows the link policy. */
		if (v != NULL && ns == NS_OTHER && strcmp(name, "href") == 0 &&
		    link_allowed(pk, (const char *)v)) {
			xmlFree(v);
			continue;
		}
		if (v != NULL && (strchr((const char *)v, ':') != NULL ||
		                     v[0] == '\\' || v[0] == '/')) {
			removed(pk, MG_CDR_RM_EXTERNAL);
			xmlRemoveProp(a);
			p->edited = TRUE;
		}
		xmlFree(v);
	}
}

static void
generic(struct pkg *pk, struct part *p, xmlNode *node)
{
	xmlNode *c, *next;
	const char *id;
	enum ns ns;

	for (c = node->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		ns = node_ns(c);
		if ((id = drop_element(c, ns)) != NULL) {
			removed(pk, id);
			drop_node(c);
			p->edited = TRUE;
			continue;
		}
		if (dangling(p, c, ns))
			continue;
		if (ns == NS_V || ns == NS_O)
			vml_urls(pk, p, c);
		if (ns == NS_A &&
		    strncmp((const char *)c->name, "hlink", 5) == 0 &&
		    (id = bad_action(c)) != NULL) {
			removed(pk, id);
			drop_node(c);
			p->edited = TRUE;
			continue;
		}
		if (p->kind == K_DRAWING) {
			/* Shapes in Excel drawings and chart drawings run the
			 * macro named by their "macro" attribute. */
			xmlAttr *a;

			for (a = c->properties; a != NULL; a = a->next)
				if (a->ns == NULL &&
				    strcmp((const char *)a->name, "macro") == 0)
					break;
			if (a != NULL) {
				xmlChar *v = xmlNodeGetContent((xmlNode *)a);

				if (v != NULL && v[0] != '\0')
					removed(pk, MG_CDR_RM_VBA);
				xmlFree(v);
				xmlRemoveProp(a);
				p->edited = TRUE;
			}
		}
		generic(pk, p, c);
	}
}

static gboolean
list_element(const xmlNode *n)
{
	enum ns ns = node_ns(n);
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(list_elements); i++)
		if (list_elements[i].ns == ns &&
		    strcmp((const char *)n->name, list_elements[i].name) == 0)
			return TRUE;
	return FALSE;
}

/* After removals: markup-compatibility blocks whose every branch is now
 * empty, and lists that must not be empty, go too. */
static void
tidy(xmlNode *node)
{
	xmlNode *c, *next, *b;
	gboolean empty;

	for (c = node->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		tidy(c);
		if (is_el(c, NS_MC, "AlternateContent")) {
			empty = TRUE;
			for (b = c->children; b != NULL; b = b->next)
				if (b->type == XML_ELEMENT_NODE &&
				    has_element_child(b))
					empty = FALSE;
			if (empty)
				drop_node(c);
		} else if (list_element(c) && !has_element_child(c)) {
			drop_node(c);
		}
	}
}

static gboolean
transform(struct pkg *pk, struct part *p)
{
	xmlNode *root = xmlDocGetRootElement(p->doc);

	if (pk->v.failed)
		return FALSE;
	if (p->kind == K_WORD_STORY && !word_fields(pk, p))
		return FALSE;
	if (p->kind == K_XL_BOOK && !xl_book(pk, p))
		return FALSE;
	if (p->kind == K_XL_SHEET)
		xl_sheet(pk, p);
	if (drop_element(root, node_ns(root)) != NULL) {
		g_autofree char *sn = shown(p->name);

		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "part %s is itself active content", sn);
	}
	generic(pk, p, root);
	if (p->edited) {
		tidy(root);
		pk->changed = TRUE;
	}
	/* Another encoding than UTF-8 is written anew as UTF-8. */
	if (p->doc->encoding != NULL &&
	    g_ascii_strcasecmp((const char *)p->doc->encoding, "UTF-8") != 0)
		pk->changed = TRUE;
	return TRUE;
}

/* ---- writing ---- */

/* A tree written out as UTF-8. */
static GBytes *
dump(xmlDoc *doc)
{
	return mg_cdr_xml_dump(doc);
}

/* Parse a kept part, apply the rules, write it anew: one tree at a time
 * is ever held. */
static gboolean
rework(struct pkg *pk, struct part *p)
{
	g_autofree char *sn = NULL;
	gboolean ok;

	p->doc = parse_xml(pk, p->data);
	if (p->doc == NULL) {
		if (pk->v.failed)
			return FALSE;
		sn = shown(p->name);
		return mg_cdr_verdict_refuse(&pk->v, MG_REASON_CDR_FAILED,
		    "part %s is not well-formed XML or has a DOCTYPE", sn);
	}
	ok = transform(pk, p);
	if (ok) {
		p->out = dump(p->doc);
		if (p->out == NULL)
			pk->v.failed = TRUE;
		ok = p->out != NULL;
	}
	xmlFreeDoc(p->doc);
	p->doc = NULL;
	return ok;
}

static xmlNode *
new_root(xmlDoc **doc_r, const char *name, const char *uri, xmlNs **ns_r)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = xmlNewNode(NULL, (const xmlChar *)name);

	*ns_r = xmlNewNs(root, (const xmlChar *)uri, NULL);
	xmlSetNs(root, *ns_r);
	xmlDocSetRootElement(doc, root);
	doc->standalone = 1;
	*doc_r = doc;
	return root;
}

static GBytes *
write_rels(struct part *src)
{
	xmlDoc *doc;
	xmlNs *ns;
	xmlNode *root = new_root(&doc, "Relationships", PR_URI, &ns);
	GBytes *b;
	guint i;

	for (i = 0; i < src->kept->len; i++) {
		struct rel *r = g_ptr_array_index(src->kept, i);
		xmlNode *e = xmlNewChild(
		    root, ns, (const xmlChar *)"Relationship", NULL);

		xmlNewProp(e, (const xmlChar *)"Id", (const xmlChar *)r->id);
		xmlNewProp(
		    e, (const xmlChar *)"Type", (const xmlChar *)r->type);
		xmlNewProp(
		    e, (const xmlChar *)"Target", (const xmlChar *)r->target);
		if (r->external)
			xmlNewProp(e, (const xmlChar *)"TargetMode",
			    (const xmlChar *)"External");
	}
	b = dump(doc);
	xmlFreeDoc(doc);
	return b;
}

static GBytes *
write_types(struct pkg *pk)
{
	g_autoptr(GHashTable) exts = g_hash_table_new(g_str_hash, g_str_equal);
	xmlDoc *doc;
	xmlNs *ns;
	xmlNode *root = new_root(&doc, "Types", CT_URI, &ns);
	xmlNode *e;
	GBytes *b;
	guint i;

	e = xmlNewChild(root, ns, (const xmlChar *)"Default", NULL);
	xmlNewProp(e, (const xmlChar *)"Extension", (const xmlChar *)"rels");
	xmlNewProp(e, (const xmlChar *)"ContentType", (const xmlChar *)CT_RELS);
	g_hash_table_add(exts, (gpointer) "rels");
	for (i = 0; i < pk->order->len; i++) {
		struct part *p = g_ptr_array_index(pk->order, i);
		g_autofree char *ext = NULL;
		char **v;

		if (!p->keep || p->override_name != NULL || p == pk->main ||
		    p->out_ct != NULL)
			continue;
		ext = g_ascii_strdown(extension(p->name), -1);
		v = g_hash_table_lookup(pk->defaults, ext);
		if (v == NULL || g_hash_table_contains(exts, ext))
			continue;
		g_hash_table_add(exts, (gpointer)g_intern_string(ext));
		e = xmlNewChild(root, ns, (const xmlChar *)"Default", NULL);
		xmlNewProp(
		    e, (const xmlChar *)"Extension", (const xmlChar *)v[0]);
		xmlNewProp(
		    e, (const xmlChar *)"ContentType", (const xmlChar *)v[1]);
	}
	for (i = 0; i < pk->order->len; i++) {
		struct part *p = g_ptr_array_index(pk->order, i);
		g_autofree char *pn = NULL;
		const char *ct = p->ct;

		if (!p->keep || (p->override_name == NULL && p != pk->main &&
		                    p->out_ct == NULL))
			continue;
		if (p == pk->main)
			ct = pk->mt->plain;
		else if (p->out_ct != NULL)
			ct = p->out_ct;
		if (p->override_name != NULL) {
			pn = g_strdup(p->override_name);
		} else {
			g_autofree char *esc =
			    g_uri_escape_string(p->name, "/%", FALSE);

			pn = g_strconcat("/", esc, NULL);
		}
		e = xmlNewChild(root, ns, (const xmlChar *)"Override", NULL);
		xmlNewProp(e, (const xmlChar *)"PartName", (const xmlChar *)pn);
		xmlNewProp(
		    e, (const xmlChar *)"ContentType", (const xmlChar *)ct);
	}
	b = dump(doc);
	xmlFreeDoc(doc);
	return b;
}

/* The rebuilt package: [Content_Types].xml first, then the kept parts in
 * their original order, each relationships part written anew. */
static GBytes *
write_zip(struct pkg *pk)
{
	struct mg_cdr_zip_sink s = {g_byte_array_new(), pk->lim.part, FALSE};
	struct archive *a;
	GBytes *b;
	locale_t old;
	gboolean ok = FALSE;
	guint i;

	old = mg_cdr_utf8_enter();
	a = mg_cdr_zip_write_new(&s);
	if (a == NULL) {
		pk->v.failed = TRUE;
		goto out;
	}
	b = write_types(pk);
	ok = b != NULL && mg_cdr_zip_add(a, "[Content_Types].xml",
	                      g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	if (b != NULL)
		g_bytes_unref(b);
	for (i = 0; ok && i < pk->order->len; i++) {
		struct part *p = g_ptr_array_index(pk->order, i);
		struct part *src = NULL;

		b = NULL;
		if (p->is_rels) {
			src = p->src;
			if (src == NULL || !src->keep || src->kept == NULL ||
			    src->kept->len == 0)
				continue;
			b = write_rels(src);
		} else if (p->keep) {
			b = g_bytes_ref(p->out != NULL ? p->out : p->data);
		} else {
			continue;
		}
		ok = b != NULL &&
		     mg_cdr_zip_add(a, p->name, g_bytes_get_data(b, NULL),
		         g_bytes_get_size(b));
		if (b != NULL)
			g_bytes_unref(b);
	}
out:
	b = mg_cdr_zip_write_end(a, &s, ok, &pk->v);
	mg_cdr_utf8_leave(old);
	return b;
}

/* ---- the module ---- */

static const char *const extensions[] = {
    "docx",
    "docm",
    "dotx",
    "dotm",
    "xlsx",
    "xlsm",
    "xltx",
    "xltm",
    "pptx",
    "pptm",
    "potx",
    "potm",
    "ppsx",
    "ppsm",
};

static const char *const magic_types[] = {
    OXD "wordprocessingml.document",
    OXD "wordprocessingml.template",
    OXD "spreadsheetml.sheet",
    OXD "spreadsheetml.template",
    OXD "presentationml.presentation",
    OXD "presentationml.slideshow",
    OXD "presentationml.template",
    "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.ms-word.template.macroEnabled.12",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel.template.macroEnabled.12",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.12",
    "application/vnd.ms-powerpoint.template.macroEnabled.12",
};

#define OLE2_MAGIC "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
/* "EncryptedPackage" in UTF-16LE: the stream an encrypted OOXML file
 * keeps inside its OLE2 container (MS-OFFCRYPTO 2.3.4.4). */
static const char encrypted_package[] =
    "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

/* Whether `needle` occurs in the bytes (binary-safe). */
static gboolean
find(const guint8 *data, gsize len, const char *needle, gsize n)
{
	const guint8 *p = data, *end = data + len;

	if (n == 0 || len < n)
		return n == 0;
	while ((gsize)(end - p) >= n &&
	       (p = memchr(p, needle[0], (gsize)(end - p) - n + 1)) != NULL) {
		if (memcmp(p, needle, n) == 0)
			return TRUE;
		p++;
	}
	return FALSE;
}

static gboolean
encrypted_ooxml(const guint8 *data, gsize len)
{
	return len >= 8 && memcmp(data, OLE2_MAGIC, 8) == 0 &&
	       find(
	           data, len, encrypted_package, sizeof(encrypted_package) - 1);
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	gboolean zip = len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
	gboolean our_ext =
	    mg_cdr_in_list(ext, extensions, G_N_ELEMENTS(extensions));

	if (zip && mg_cdr_in_list(type, magic_types, G_N_ELEMENTS(magic_types)))
		return 90;
	if (zip && our_ext)
		return 80;
	/* By the package's own entries (its central directory), not by
	 * bytes anywhere in it: a zip that merely stores a docx holds
	 * those names too, and is the archive module's. */
	if (zip && mg_cdr_zip_names(data, len, "[Content_Types].xml", FALSE) &&
	    (mg_cdr_zip_names(data, len, "word/", TRUE) ||
	        mg_cdr_zip_names(data, len, "xl/", TRUE) ||
	        mg_cdr_zip_names(data, len, "ppt/", TRUE)))
		return 60;
	/* An encrypted OOXML file is an OLE2 compound file: bid low, so that
	 * the OLE2 module takes it if it wants, and refuse it as
	 * encrypted. */
	if (encrypted_ooxml(data, len) &&
	    (our_ext || g_strcmp0(type, "application/encrypted") == 0))
		return 20;
	return 0;
}

/* One pass over a package: FALSE when refused (or failed); *out_r gets
 * the rebuilt bytes when something changed, NULL when nothing did. */
static gboolean
run(struct pkg *pk, const guint8 *data, gsize len, GBytes **out_r)
{
	guint entries = 0, i;
	gboolean tail;

	*out_r = NULL;
	if (!read_zip(pk, data, len, &entries))
		return FALSE;
	if (!content_types(pk) || !follow(pk))
		return FALSE;
	fixups(pk);
	reach(pk);
	for (i = 0; i < pk->order->len; i++) {
		struct part *p = g_ptr_array_index(pk->order, i);

		if (p->keep && p->parsed > 0 && !rework(pk, p))
			return FALSE;
	}
	if (!pk->verify && !pk->changed &&
	    !zip_plain(data, len, entries, &tail)) {
		pk->changed = TRUE;
		if (tail)
			removed(pk, MG_CDR_RM_TRAILING);
	}
	if (!pk->changed)
		return TRUE;
	*out_r = write_zip(pk);
	return *out_r != NULL;
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
	if ((guint64)len > pk.lim.part) {
		mg_cdr_verdict_refuse(&pk.v, MG_REASON_PART_TOO_LARGE,
		    "larger than %" G_GUINT64_FORMAT " bytes", pk.lim.part);
	} else if (len >= 8 && memcmp(data, OLE2_MAGIC, 8) == 0) {
		if (encrypted_ooxml(data, len))
			mg_cdr_verdict_refuse(&pk.v, MG_REASON_ENCRYPTED,
			    "password-protected Office document");
		else
			mg_cdr_verdict_refuse(&pk.v, MG_REASON_UNSUPPORTED,
			    "OLE2 file, not Office Open XML");
	} else if (run(&pk, data, len, &built) && built != NULL) {
		/* Read our own output back: it must need no change.  If it
		 * does, a rule here is wrong, and the file is refused
		 * rather than delivered half-cleaned. */
		mg_cdr_result_init(&scratch);
		pkg_init(&check, ctx, &scratch, TRUE);
		if (!run(&check, g_bytes_get_data(built, NULL),
		        g_bytes_get_size(built), &again) ||
		    again != NULL || scratch.removed->len > 0) {
			if (check.v.failed)
				pk.v.failed = TRUE;
			else
				mg_cdr_verdict_refuse(&pk.v,
				    MG_REASON_CDR_FAILED,
				    "the rebuilt package did not verify%s%s",
				    check.v.detail != NULL ? ": " : "",
				    check.v.detail != NULL ? check.v.detail
				                           : "");
		}
		if (again != NULL)
			g_bytes_unref(again);
		pkg_clear(&check);
		mg_cdr_result_clear(&scratch);
	}
	if (pk.v.failed) {
		rc = MG_FAIL;
	} else if (pk.v.refused) {
		out->outcome = MG_CDR_REFUSED;
		out->reason = pk.v.reason;
		out->detail = g_steal_pointer(&pk.v.detail);
		g_ptr_array_set_size(out->removed, 0);
	} else if (built != NULL) {
		out->outcome = MG_CDR_REBUILT;
		out->data = g_steal_pointer(&built);
		out->extension = g_strdup(pk.mt->ext);
		out->mime_type = g_strdup(pk.mt->mime);
	} else {
		out->outcome = MG_CDR_VERIFIED;
	}
	if (built != NULL)
		g_bytes_unref(built);
	pkg_clear(&pk);
	return rc;
}

const struct mg_cdr_module mg_cdr_ooxml = {"ooxml", bid, rebuild};
