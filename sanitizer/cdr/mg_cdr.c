/*
 * mg_cdr.c - the CDR module table and what every module shares: the
 * zip reader and writer of the package modules (ooxml, odf) with their
 * limits, and their safe XML parser.
 */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/* 1980-01-02, the DOS epoch plus a day so that no time zone turns it
 * into an invalid DOS date (APPNOTE 4.4.6). */
#define ZIP_MTIME 315619200

gboolean
mg_cdr_zip_add(struct archive *w, const char *name, const void *data, gsize len)
{
	struct archive_entry *e;
	const guchar *p = data;
	gsize n = strlen(name);
	gboolean ok = FALSE;

	if (n == 0 || n > MG_CDR_ZIP_NAME_MAX)
		return FALSE;
	e = archive_entry_new();
	if (e == NULL)
		return FALSE;
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, ZIP_MTIME, 0);
	if (archive_write_header(w, e) != ARCHIVE_OK)
		goto out;
	while (len > 0) {
		la_ssize_t k = archive_write_data(w, p, len);

		if (k <= 0)
			goto out;
		p += k;
		len -= (gsize)k;
	}
	ok = TRUE;
out:
	archive_entry_free(e);
	return ok;
}

gboolean
mg_cdr_zip_add_stored(
    struct archive *w, const char *name, const void *data, gsize len)
{
	gboolean ok;

	if (archive_write_zip_set_compression_store(w) != ARCHIVE_OK)
		return FALSE;
	ok = mg_cdr_zip_add(w, name, data, len);
	if (archive_write_zip_set_compression_deflate(w) != ARCHIVE_OK)
		ok = FALSE;
	return ok;
}

/* ---- zip-based documents ---- */

/* Bytes asked of archive_read_data() at a time. */
#define BLOCK_SIZE (64 * 1024)

void
mg_cdr_zip_limits(
    const struct mg_limits *l, guint members, struct mg_cdr_zip_limits *r)
{
	static const struct mg_limits none;

	if (l == NULL)
		l = &none;
	r->part = l->max_part_size ? l->max_part_size : MG_DEF_MAX_PART_SIZE;
	r->member =
	    l->max_member_size ? l->max_member_size : MG_DEF_MAX_MEMBER_SIZE;
	r->total = l->max_archive_total ? l->max_archive_total
	                                : MG_DEF_MAX_ARCHIVE_TOTAL;
	r->ratio = l->max_archive_ratio ? l->max_archive_ratio
	                                : MG_DEF_MAX_ARCHIVE_RATIO;
	r->members = members;
}

locale_t
mg_cdr_utf8_enter(void)
{
	static gsize once;
	static locale_t loc;

	if (g_once_init_enter(&once)) {
		loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
		g_once_init_leave(&once, 1);
	}
	if (loc == (locale_t)0)
		return (locale_t)0;
	return uselocale(loc);
}

void
mg_cdr_utf8_leave(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

gboolean
mg_cdr_zip_name_safe(const char *n)
{
	const char *seg = n;
	const char *p;

	if (n[0] == '\0' || n[0] == '/' || strlen(n) > MG_CDR_ZIP_NAME_MAX)
		return FALSE;
	if (g_ascii_isalpha(n[0]) && n[1] == ':')
		return FALSE;
	for (p = n;; p++) {
		if (*p == '/' || *p == '\0') {
			gsize l = (gsize)(p - seg);

			if (l == 0 || (l == 1 && seg[0] == '.') ||
			    (l == 2 && seg[0] == '.' && seg[1] == '.'))
				return FALSE;
			if (*p == '\0')
				return TRUE;
			seg = p + 1;
			continue;
		}
		if ((guchar)*p < 0x20 || *p == 0x7f || *p == '\\')
			return FALSE;
	}
}

struct zread {
	const struct mg_cdr_zip_limits *lim;
	guint64 total, ratio_limit;
	gboolean no_ratio;
	guchar *block;
	enum mg_reason reason;
	char *detail;
};

static gboolean zrefuse(struct zread *z, enum mg_reason reason, const char *fmt,
    ...) G_GNUC_PRINTF(3, 4);

static gboolean
zrefuse(struct zread *z, enum mg_reason reason, const char *fmt, ...)
{
	va_list ap;

	z->reason = reason;
	va_start(ap, fmt);
	z->detail = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return FALSE;
}

/* One member's bytes, charged against the member and total limits. */
static GBytes *
zread_member(struct zread *z, struct archive *a, struct archive_entry *ae,
    const char *name)
{
	g_autofree char *sn = mg_printable(name, -1, 0);
	GByteArray *buf;
	guint64 got = 0;
	la_ssize_t n;

	if (archive_entry_size_is_set(ae) &&
	    (guint64)archive_entry_size(ae) > z->lim->member) {
		zrefuse(z, MG_REASON_MEMBER_TOO_LARGE,
		    "member %s is larger than %" G_GUINT64_FORMAT " bytes", sn,
		    z->lim->member);
		return NULL;
	}
	buf = g_byte_array_new();
	while ((n = archive_read_data(a, z->block, BLOCK_SIZE)) != 0) {
		if (n < 0) {
			zrefuse(z, MG_REASON_DAMAGED_ARCHIVE,
			    "member %s could not be read", sn);
			break;
		}
		got += (guint64)n;
		z->total += (guint64)n;
		if (got > z->lim->member) {
			zrefuse(z, MG_REASON_MEMBER_TOO_LARGE,
			    "member %s is larger than %" G_GUINT64_FORMAT
			    " bytes",
			    sn, z->lim->member);
			break;
		}
		if (z->total > z->lim->total ||
		    (!z->no_ratio && z->total > z->ratio_limit)) {
			zrefuse(z, MG_REASON_ARCHIVE_BOMB,
			    "package expands past its limits");
			break;
		}
		g_byte_array_append(buf, z->block, (guint)n);
	}
	if (z->detail != NULL) {
		g_byte_array_free(buf, TRUE);
		return NULL;
	}
	return g_byte_array_free_to_bytes(buf);
}

/* The next member to hand over: 1, 0 at the end, -1 refused. */
static int
zread_next(struct zread *z, struct archive *a, guint *entries,
    struct archive_entry **ae_r, const char **name_r)
{
	struct archive_entry *ae;
	const char *name;
	int r, ft;

	for (;;) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (archive_read_has_encrypted_entries(a) > 0)
				zrefuse(
				    z, MG_REASON_ENCRYPTED, "encrypted zip");
			else
				zrefuse(z, MG_REASON_DAMAGED_ARCHIVE,
				    "damaged zip directory");
			return -1;
		}
		if (++*entries > z->lim->members) {
			zrefuse(z, MG_REASON_TOO_MANY_MEMBERS,
			    "more than %u members", z->lim->members);
			return -1;
		}
		if (archive_entry_is_encrypted(ae)) {
			zrefuse(z, MG_REASON_ENCRYPTED, "encrypted member");
			return -1;
		}
		name = archive_entry_pathname_utf8(ae);
		if (name == NULL || !g_utf8_validate(name, -1, NULL)) {
			zrefuse(z, MG_REASON_UNSAFE_MEMBER_NAME,
			    "member name is not UTF-8");
			return -1;
		}
		ft = archive_entry_filetype(ae);
		if (ft == AE_IFDIR ||
		    (name[0] != '\0' && name[strlen(name) - 1] == '/' &&
		        archive_entry_size(ae) == 0))
			continue; /* directories are not members */
		if ((ft != AE_IFREG && ft != 0) ||
		    archive_entry_symlink(ae) != NULL ||
		    archive_entry_hardlink(ae) != NULL ||
		    !mg_cdr_zip_name_safe(name)) {
			g_autofree char *sn = mg_printable(name, -1, 0);

			zrefuse(z, MG_REASON_UNSAFE_MEMBER_NAME,
			    "unsafe member %s", sn);
			return -1;
		}
		*ae_r = ae;
		*name_r = name;
		return 1;
	}
}

enum mg_rc
mg_cdr_zip_read(const guint8 *data, gsize len,
    const struct mg_cdr_zip_limits *lim, gboolean no_ratio,
    mg_cdr_zip_member_fn fn, void *ctx, guint *entries_r,
    enum mg_reason *reason_r, char **detail_r)
{
	struct zread z = {lim, 0, G_MAXUINT64, no_ratio, NULL, 0, NULL};
	struct archive *a;
	struct archive_entry *ae = NULL;
	const char *name = NULL;
	guint entries = 0;
	locale_t old;
	enum mg_rc rc = MG_REFUSE;
	GBytes *b;
	int r;

	*reason_r = MG_REASON_NONE;
	*detail_r = NULL;
	if ((guint64)len <=
	    (G_MAXUINT64 - MG_CDR_RATIO_ALLOWANCE) / MAX(lim->ratio, 1))
		z.ratio_limit =
		    (guint64)len * lim->ratio + MG_CDR_RATIO_ALLOWANCE;
	old = mg_cdr_utf8_enter();
	a = archive_read_new();
	if (a == NULL) {
		rc = MG_FAIL;
		goto out;
	}
	/* The seekable reader works from the central directory, as office
	 * suites do; the streaming one would trust local headers instead. */
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		zrefuse(&z, MG_REASON_DAMAGED_ARCHIVE, "not a zip archive");
		goto out;
	}
	z.block = g_malloc(BLOCK_SIZE);
	while ((r = zread_next(&z, a, &entries, &ae, &name)) > 0) {
		b = zread_member(&z, a, ae, name);
		if (b == NULL)
			goto out;
		if (!fn(ctx, name, b)) {
			g_bytes_unref(b);
			goto out;
		}
		g_bytes_unref(b);
	}
	if (r == 0)
		rc = MG_OK;
out:
	g_free(z.block);
	if (a != NULL)
		archive_read_free(a);
	mg_cdr_utf8_leave(old);
	*entries_r = entries;
	*reason_r = z.reason;
	*detail_r = z.detail;
	return rc;
}

static la_ssize_t
sink_write(struct archive *a, void *data, const void *buf, size_t n)
{
	struct mg_cdr_zip_sink *s = data;

	if ((guint64)s->buf->len + n > s->max) {
		s->full = TRUE;
		archive_set_error(a, -1, "output too large");
		return -1;
	}
	g_byte_array_append(s->buf, buf, (guint)n);
	return (la_ssize_t)n;
}

struct archive *
mg_cdr_zip_write_new(struct mg_cdr_zip_sink *s)
{
	struct archive *a = archive_write_new();

	if (a == NULL)
		return NULL;
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a,
	        "zip:compression=deflate,zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, s, NULL, sink_write, NULL, NULL) !=
	        ARCHIVE_OK) {
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static guint32
le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
	       (guint32)p[3] << 24;
}

static guint16
le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

static void
put32(guint8 *p, guint32 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)(v >> 16);
	p[3] = (guint8)(v >> 24);
}

static void
put16(guint8 *p, guint16 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
}

GBytes *
mg_cdr_zip_plain_first(GBytes *zip)
{
	gsize len, eocd, cd, cd_end, off, name_len, extra_len, data_end;
	gsize desc = 0, shift, i;
	const guint8 *z = g_bytes_get_data(zip, &len);
	guint32 crc, csize, usize;
	guint16 flags, entries;
	GByteArray *out;
	guint8 *o;

	/* The end of central directory record: last 22 bytes (we write no
	 * comment); no zip64 locator before it. */
	if (z == NULL || len < 22 + 30)
		return NULL;
	eocd = len - 22;
	if (le32(z + eocd) != 0x06054b50 || le16(z + eocd + 20) != 0 ||
	    (eocd >= 20 && le32(z + eocd - 20) == 0x07064b50))
		return NULL;
	entries = le16(z + eocd + 10);
	cd = le32(z + eocd + 16);
	cd_end = cd + le32(z + eocd + 12);
	if (entries == 0 || cd_end != eocd || cd + 46 > eocd)
		return NULL;
	/* The first member: local header at 0, central header at cd. */
	if (le32(z) != 0x04034b50 || le32(z + cd) != 0x02014b50 ||
	    le32(z + cd + 42) != 0 || le16(z + 8) != 0 /* stored */)
		return NULL;
	flags = le16(z + 6);
	name_len = le16(z + 26);
	extra_len = le16(z + 28);
	crc = le32(z + cd + 16);
	csize = le32(z + cd + 20);
	usize = le32(z + cd + 24);
	if (csize != usize || csize == 0xffffffffu)
		return NULL;
	data_end = 30 + name_len + extra_len + csize;
	if (data_end > cd)
		return NULL;
	if (flags & 0x08) {
		/* The descriptor: an optional signature, CRC, sizes. */
		desc = data_end + 4 <= cd && le32(z + data_end) == 0x08074b50
		           ? 16
		           : 12;
		if (data_end + desc > cd ||
		    le32(z + data_end + desc - 12) != crc)
			return NULL;
	}
	shift = extra_len + desc;
	if (shift == 0)
		return g_bytes_ref(zip);
	out = g_byte_array_sized_new((guint)(len - shift));
	g_byte_array_append(out, z, (guint)(30 + name_len));
	g_byte_array_append(out, z + 30 + name_len + extra_len, (guint)csize);
	g_byte_array_append(
	    out, z + data_end + desc, (guint)(len - data_end - desc));
	o = out->data;
	put16(o + 6, (guint16)(flags & ~0x08));
	put32(o + 14, crc);
	put32(o + 18, csize);
	put32(o + 22, usize);
	put16(o + 28, 0);
	/* The central directory, now `shift` bytes earlier. */
	cd -= shift;
	eocd -= shift;
	for (off = cd, i = 0; i < entries; i++) {
		guint32 lho;

		if (off + 46 > eocd || le32(o + off) != 0x02014b50)
			goto bad;
		if (i == 0)
			put16(
			    o + off + 8, (guint16)(le16(o + off + 8) & ~0x08));
		lho = le32(o + off + 42);
		if (lho != 0) {
			if (lho < shift || lho == 0xffffffffu)
				goto bad;
			put32(o + off + 42, lho - (guint32)shift);
		}
		off += 46 + le16(o + off + 28) + le16(o + off + 30) +
		       le16(o + off + 32);
	}
	if (off != eocd)
		goto bad;
	put32(o + eocd + 16, (guint32)cd);
	return g_byte_array_free_to_bytes(out);
bad:
	g_byte_array_free(out, TRUE);
	return NULL;
}

GBytes *
mg_cdr_zip_write_end(struct archive *a, struct mg_cdr_zip_sink *s, gboolean ok,
    struct mg_cdr_verdict *v)
{
	if (ok && (a == NULL || archive_write_close(a) != ARCHIVE_OK))
		ok = FALSE;
	if (a != NULL)
		archive_write_free(a);
	if (ok)
		return g_byte_array_free_to_bytes(s->buf);
	if (s->full)
		mg_cdr_verdict_refuse(v, MG_REASON_PART_TOO_LARGE,
		    "rebuilt package larger than %" G_GUINT64_FORMAT " bytes",
		    s->max);
	else if (!v->failed)
		mg_cdr_verdict_refuse(v, MG_REASON_CDR_FAILED,
		    "the package could not be written");
	g_byte_array_free(s->buf, TRUE);
	return NULL;
}

gboolean
mg_cdr_link_allowed(const struct mg_cdr_ctx *ctx, const char *target)
{
	while (*target == ' ' || *target == '\t')
		target++;
	return ctx->keep_hyperlinks &&
	       (g_ascii_strncasecmp(target, "http://", 7) == 0 ||
	           g_ascii_strncasecmp(target, "https://", 8) == 0 ||
	           g_ascii_strncasecmp(target, "mailto:", 7) == 0);
}

void
mg_cdr_xml_init(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		xmlInitParser();
		g_once_init_leave(&once, 1);
	}
}

/* A DOCTYPE stops the parser: no DTD, no entity, ever. */
static void
no_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
    const xmlChar *sys_id)
{
	xmlParserCtxtPtr c = ctx;

	c->_private = (void *)1;
	xmlStopParser(c);
}

static void
quiet(void *ctx, const char *msg, ...)
{
}

/*
 * libxml2 reports encoding and I/O errors on its generic channel even
 * with XML_PARSE_NOERROR: untrusted input must not write to our stderr.
 * The channel is per thread; it is put back after each call.
 */
struct channel {
	xmlGenericErrorFunc fn;
	void *ctx;
};

static void
silence(struct channel *saved)
{
	saved->fn = xmlGenericError;
	saved->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, quiet);
}

static void
restore(const struct channel *saved)
{
	xmlSetGenericErrorFunc(saved->ctx, saved->fn);
}

xmlDoc *
mg_cdr_xml_parse(GBytes *b, gboolean *failed_r)
{
	xmlParserCtxtPtr c;
	xmlDoc *doc;
	struct channel ch;
	gsize len;
	const char *d = g_bytes_get_data(b, &len);

	if (len > G_MAXINT)
		return NULL;
	c = xmlNewParserCtxt();
	if (c == NULL) {
		*failed_r = TRUE;
		return NULL;
	}
	silence(&ch);
	c->sax->internalSubset = no_doctype;
	c->_private = NULL;
	/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR or HUGE: entities are never
	 * substituted, no DTD is read, libxml2's size and depth limits
	 * stay. */
	doc = xmlCtxtReadMemory(c, d != NULL ? d : "", (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL &&
	    (c->_private != NULL || c->errNo == XML_ERR_USER_STOP ||
	        !c->wellFormed || doc->intSubset != NULL ||
	        doc->extSubset != NULL || xmlDocGetRootElement(doc) == NULL)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(c);
	restore(&ch);
	return doc;
}

GBytes *
mg_cdr_xml_dump(xmlDoc *doc)
{
	xmlChar *mem = NULL;
	int size = 0;
	struct channel ch;
	GBytes *b;

	silence(&ch);
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	restore(&ch);
	if (mem == NULL)
		return NULL;
	b = g_bytes_new(mem, (gsize)size);
	xmlFree(mem);
	return b;
}

extern const struct mg_cdr_module mg_cdr_pdf;
extern const struct mg_cdr_module mg_cdr_ooxml;
extern const struct mg_cdr_module mg_cdr_odf;
extern const struct mg_cdr_module mg_cdr_image;
extern const struct mg_cdr_module mg_cdr_svg;
extern const struct mg_cdr_module mg_cdr_rtf;
extern const struct mg_cdr_module mg_cdr_text;
extern const struct mg_cdr_module mg_cdr_csv;
extern const struct mg_cdr_module mg_cdr_ole2;
extern const struct mg_cdr_module mg_cdr_archive;
extern const struct mg_cdr_module mg_cdr_html;

const struct mg_cdr_module *const mg_cdr_modules[] = {
    &mg_cdr_pdf,
    &mg_cdr_ooxml,
    &mg_cdr_odf,
    &mg_cdr_image,
    &mg_cdr_svg,
    &mg_cdr_rtf,
    &mg_cdr_text,
    &mg_cdr_csv,
    &mg_cdr_ole2,
    &mg_cdr_archive,
    &mg_cdr_html,
    NULL,
};

static const struct {
	const char *id, *ja, *en;
} removed_texts[] = {
    {MG_CDR_RM_VBA, "VBA マクロを削除", "VBA macros removed"},
    {MG_CDR_RM_XLM, "Excel 4.0 (XLM) マクロを削除",
        "Excel 4.0 (XLM) macros removed"},
    {MG_CDR_RM_ACTIVEX, "ActiveX コントロールを削除",
        "ActiveX controls removed"},
    {MG_CDR_RM_OLE, "埋め込みオブジェクト (OLE) を削除",
        "embedded (OLE) objects removed"},
    {MG_CDR_RM_EXTERNAL, "外部参照（外部テンプレート・外部リンク）を削除",
        "external references removed"},
    {MG_CDR_RM_DDE, "DDE フィールドを削除", "DDE fields removed"},
    {MG_CDR_RM_FIELDS, "外部ファイルを読み込むフィールドを削除",
        "INCLUDETEXT/INCLUDEPICTURE fields removed"},
    {MG_CDR_RM_CUSTOMUI, "リボン拡張 (customUI) を削除",
        "ribbon extensions (customUI) removed"},
    {MG_CDR_RM_DATACONN, "外部データ接続を削除",
        "external data connections removed"},
    {MG_CDR_RM_JAVASCRIPT, "JavaScript を削除", "JavaScript removed"},
    {MG_CDR_RM_AUTOACTION, "自動実行アクションを削除",
        "automatic actions removed"},
    {MG_CDR_RM_ACTIONS, "起動・送信などのアクションを削除",
        "launch/submit actions removed"},
    {MG_CDR_RM_EMBEDDED, "埋め込みファイルを削除", "embedded files removed"},
    {MG_CDR_RM_MULTIMEDIA, "動画・音声・3D を削除",
        "multimedia and 3D removed"},
    {MG_CDR_RM_FORMS, "XFA フォームを削除", "XFA forms removed"},
    {MG_CDR_RM_LINKS, "ハイパーリンクを無効化", "hyperlinks disabled"},
    {MG_CDR_RM_METADATA, "メタデータを削除", "metadata removed"},
    {MG_CDR_RM_TRAILING, "末尾の余分なデータを削除", "trailing data removed"},
    {MG_CDR_RM_FORMULAS, "数式として解釈される値を無効化",
        "formula-like cell values neutralised"},
    {MG_CDR_RM_TEMPLATE, "添付テンプレートの参照を削除",
        "attached template reference removed"},
    {MG_CDR_RM_SCRIPT, "スクリプトを削除", "scripts removed"},
    {MG_CDR_RM_MACROS, "マクロを削除", "macros removed"},
};

const char *
mg_cdr_removed_text(const char *id, const char *lang)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(removed_texts); i++)
		if (strcmp(removed_texts[i].id, id) == 0)
			return g_strcmp0(lang, "en") == 0 ? removed_texts[i].en
			                                  : removed_texts[i].ja;
	return id;
}

void
mg_cdr_result_init(struct mg_cdr_result *r)
{
	memset(r, 0, sizeof(*r));
	r->removed = g_ptr_array_new();
}

void
mg_cdr_result_clear(struct mg_cdr_result *r)
{
	if (r->data != NULL)
		g_bytes_unref(r->data);
	g_free(r->extension);
	g_free(r->mime_type);
	g_free(r->detail);
	if (r->removed != NULL)
		g_ptr_array_unref(r->removed);
	memset(r, 0, sizeof(*r));
}

void
mg_cdr_result_removed(struct mg_cdr_result *r, const char *id)
{
	guint i;

	for (i = 0; i < r->removed->len; i++)
		if (strcmp(g_ptr_array_index(r->removed, i), id) == 0)
			return;
	g_ptr_array_add(r->removed, (gpointer)id);
}

const struct mg_cdr_module *
mg_cdr_pick(const char *type, const char *ext, const guint8 *data, gsize len)
{
	const struct mg_cdr_module *best = NULL;
	int best_bid = 0;
	guint i;

	for (i = 0; mg_cdr_modules[i] != NULL; i++) {
		int b = mg_cdr_modules[i]->bid(type, ext, data, len);

		if (b > best_bid) {
			best_bid = b;
			best = mg_cdr_modules[i];
		}
	}
	return best;
}

gboolean
mg_cdr_verdict_refuse(
    struct mg_cdr_verdict *v, enum mg_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (!v->refused && !v->failed) {
		v->refused = TRUE;
		v->reason = reason;
		va_start(ap, fmt);
		v->detail = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	return FALSE;
}

void
mg_cdr_refuse(struct mg_cdr_result *r, enum mg_reason reason, char *detail)
{
	r->outcome = MG_CDR_REFUSED;
	r->reason = reason;
	g_free(r->detail);
	r->detail = detail;
	g_clear_pointer(&r->data, g_bytes_unref);
	g_clear_pointer(&r->extension, g_free);
	g_clear_pointer(&r->mime_type, g_free);
	if (r->removed != NULL)
		g_ptr_array_set_size(r->removed, 0);
}

gboolean
mg_cdr_in_list(const char *s, const char *const *list, gssize n)
{
	gssize i;

	if (s == NULL)
		return FALSE;
	for (i = 0; n < 0 ? list[i] != NULL : i < n; i++)
		if (g_ascii_strcasecmp(s, list[i]) == 0)
			return TRUE;
	return FALSE;
}

/*
 * Whether the zip's central directory (APPNOTE 4.3.12, found from the end
 * of central directory record, 4.3.16) names an entry equal to `name`
 * (prefix FALSE) or starting with it (prefix TRUE).  Bounded by the
 * buffer; a zip whose directory cannot be found names nothing.
 */
gboolean
mg_cdr_zip_names(
    const guint8 *data, gsize len, const char *name, gboolean prefix)
{
	gsize n = strlen(name), eocd, off, end;
	guint i, entries;

	if (len < 22)
		return FALSE;
	/* The EOCD is in the last 22 + 65535 bytes (its comment). */
	for (eocd = len - 22;; eocd--) {
		if (memcmp(data + eocd, "PK\x05\x06", 4) == 0)
			break;
		if (eocd == 0 || len - eocd > 22 + 65535)
			return FALSE;
	}
	entries = le16(data + eocd + 10);
	off = le32(data + eocd + 16);
	end = eocd;
	for (i = 0; i < entries && off + 46 <= end; i++) {
		gsize nlen = le16(data + off + 28);
		gsize extra = le16(data + off + 30),
		      comment = le16(data + off + 32);

		if (memcmp(data + off, "PK\x01\x02", 4) != 0 ||
		    off + 46 + nlen > end)
			return FALSE;
		if (prefix ? nlen >= n && memcmp(data + off + 46, name, n) == 0
		           : nlen == n && memcmp(data + off + 46, name, n) == 0)
			return TRUE;
		off += 46 + nlen + extra + comment;
	}
	return FALSE;
}

void
mg_cdr_preload(void)
{
	/* A failure here is found again (and refused) at the first image. */
	(void)mg_cdr_image_preload();
}
