/*
 * mg_cdr.c - the CDR module table and what every module shares.
 */
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cdr/mg_cdr.h"

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

extern const struct mg_cdr_module mg_cdr_pdf;
extern const struct mg_cdr_module mg_cdr_ooxml;
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
