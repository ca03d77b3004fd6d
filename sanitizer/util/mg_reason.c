/*
 * mg_reason.c - the one table of reasons.  Adding a reason is adding one
 * enum value and one row here; the table is checked for completeness by the
 * unit tests.
 */
#include <string.h>

#include "util/mg_reason.h"

/* id, log text, ja, en, structural (holds the message), SMTP reply. */
static const struct mg_reason_info reasons[MG_REASON_COUNT] = {
    {MG_REASON_NONE, "none", "nothing removed", "", "", FALSE, NULL, NULL},
    {MG_REASON_ATTACHMENT, "attachment", "attachment removed (text mode)",
        "添付ファイル（テキスト化のため削除）",
        "attachment (removed: text-only delivery)", FALSE, NULL, NULL},
    {MG_REASON_INLINE_IMAGE, "inline_image", "inline image removed",
        "本文中の画像（テキスト化のため削除）",
        "inline image (removed: text-only delivery)", FALSE, NULL, NULL},
    {MG_REASON_UUENCODED, "uuencoded", "uuencoded file cut out of the text",
        "本文中に埋め込まれた uuencode ファイル",
        "uuencoded file embedded in the text", FALSE, NULL, NULL},
    {MG_REASON_BINHEX, "binhex", "BinHex file cut out of the text",
        "本文中に埋め込まれた BinHex ファイル",
        "BinHex file embedded in the text", FALSE, NULL, NULL},
    {MG_REASON_ALTERNATIVE, "alternative", "alternative body not chosen",
        "別形式の本文（テキスト版を採用）",
        "alternative body (the text version was used)", FALSE, NULL, NULL},
    {MG_REASON_EMBEDDED_MESSAGE, "embedded_message_attachment",
        "attachment of an attached message removed",
        "添付メール内の添付ファイル", "attachment of an attached message",
        FALSE, NULL, NULL},
    {MG_REASON_NON_TEXT, "non_text", "non-text body part removed",
        "テキスト以外の本文パート", "non-text body part", FALSE, NULL, NULL},
    {MG_REASON_MALFORMED_MIME, "malformed_mime",
        "MIME structure is malformed or ambiguous",
        "メールの構造が不正または曖昧", "malformed or ambiguous MIME structure",
        FALSE, NULL, NULL},
    {MG_REASON_TOO_DEEP, "too_deep", "MIME nesting limit exceeded",
        "入れ子の深さが上限を超過", "MIME nesting too deep", TRUE, "554",
        "5.7.1"},
    {MG_REASON_TOO_MANY_PARTS, "too_many_parts", "MIME part limit exceeded",
        "パート数が上限を超過", "too many MIME parts", TRUE, "554", "5.7.1"},
    {MG_REASON_HEADER_TOO_LARGE, "header_too_large",
        "header block limit exceeded", "ヘッダーが上限サイズを超過",
        "header block too large", TRUE, "552", "5.3.4"},
    {MG_REASON_PART_TOO_LARGE, "part_too_large",
        "decoded part size limit exceeded", "パートが上限サイズを超過",
        "part too large", FALSE, NULL, NULL},
    {MG_REASON_DECODED_TOO_LARGE, "decoded_too_large",
        "total decoded size limit exceeded", "展開後の合計サイズが上限を超過",
        "decoded content too large", TRUE, "552", "5.3.4"},
    {MG_REASON_TEXT_TOO_LARGE, "text_too_large",
        "output text truncated at the limit",
        "本文が上限サイズを超えたため途中で切り詰め",
        "text truncated at the size limit", FALSE, NULL, NULL},
    {MG_REASON_MESSAGE_TOO_LARGE, "message_too_large",
        "message size limit exceeded", "メールが上限サイズを超過",
        "message too large", TRUE, "552", "5.3.4"},
    {MG_REASON_UNDECODABLE, "undecodable",
        "transfer encoding or charset could not be decoded",
        "デコードできないパート", "part could not be decoded", FALSE, NULL,
        NULL},
    {MG_REASON_VIRUS, "virus", "malware detected",
        "ウイルス（マルウェア）を検出", "malware detected", TRUE, "554",
        "5.7.1"},
    {MG_REASON_SCAN_LIMIT, "scan_limit",
        "malware scan could not cover the whole part (limit)",
        "サイズ等の上限によりウイルス検査を完了できない",
        "malware scan incomplete (limit)", TRUE, "554", "5.7.1"},
    {MG_REASON_SCAN_ERROR, "scan_error", "malware scan failed on the part",
        "ウイルス検査でエラー", "malware scan failed", TRUE, "554", "5.7.1"},
    {MG_REASON_ENCRYPTED, "encrypted",
        "encrypted archive or document cannot be inspected",
        "暗号化（パスワード付き）のため検査不能",
        "encrypted (password-protected): cannot be inspected", TRUE, "554",
        "5.7.1"},
    {MG_REASON_ARCHIVE_MEMBER, "archive_member",
        "file inside a removed archive", "圧縮ファイル内のファイル",
        "file inside an archive", FALSE, NULL, NULL},
    {MG_REASON_ARCHIVE_BOMB, "archive_bomb",
        "archive expands beyond the ratio or size limit",
        "展開後のサイズが異常（圧縮爆弾の疑い）",
        "archive expands beyond the limits (archive bomb)", TRUE, "554",
        "5.7.1"},
    {MG_REASON_ARCHIVE_TOO_DEEP, "archive_too_deep",
        "archives nested beyond the limit", "圧縮ファイルの入れ子が上限を超過",
        "archives nested too deep", TRUE, "554", "5.7.1"},
    {MG_REASON_TOO_MANY_MEMBERS, "too_many_members",
        "archive member limit exceeded",
        "圧縮ファイル内のファイル数が上限を超過", "too many files in archives",
        TRUE, "554", "5.7.1"},
    {MG_REASON_MEMBER_TOO_LARGE, "member_too_large",
        "archive member over the size limit: not inspected",
        "圧縮ファイル内のファイルが上限サイズを超過（検査不能）",
        "file in archive too large to inspect", TRUE, "554", "5.7.1"},
    {MG_REASON_DAMAGED_ARCHIVE, "damaged_archive",
        "archive could not be read completely",
        "圧縮ファイルが壊れていて検査不能",
        "damaged archive: cannot be inspected", TRUE, "554", "5.7.1"},
    {MG_REASON_UNSAFE_MEMBER_NAME, "unsafe_member_name",
        "archive member with an unsafe name or a link",
        "圧縮ファイル内に不正なパス名・リンク",
        "unsafe path or link inside an archive", TRUE, "554", "5.7.1"},
    {MG_REASON_BLOCKED_TYPE, "blocked_type",
        "file type blocked by policy (executable, script, …)",
        "実行ファイル等、受け付けない種類のファイル",
        "blocked file type (executable, script, …)", FALSE, "554", "5.7.1"},
    {MG_REASON_TYPE_MISMATCH, "type_mismatch",
        "content type does not match the file name",
        "ファイル名と中身の種類が不一致（偽装の疑い）",
        "file content does not match its name (disguised)", TRUE, "554",
        "5.7.1"},
    {MG_REASON_DOUBLE_EXTENSION, "double_extension",
        "double extension hides an executable", "二重拡張子（偽装の疑い）",
        "double extension (disguised)", TRUE, "554", "5.7.1"},
    {MG_REASON_BIDI_NAME, "bidi_name",
        "bidi override character in the file name",
        "ファイル名に文字の向きを変える制御文字（偽装の疑い）",
        "bidi control in the file name (disguised)", TRUE, "554", "5.7.1"},
    {MG_REASON_STALE_DATABASE, "stale_database",
        "malware signatures older than allowed", "ウイルス定義が古い",
        "malware signatures out of date", FALSE, "451", "4.7.1"},
    {MG_REASON_SANITIZER_CRASH, "sanitizer_crash",
        "the sanitizer crashed on this message", "無害化処理が異常終了",
        "the sanitizer failed on this message", TRUE, "554", "5.7.1"},
    {MG_REASON_TIMEOUT, "timeout", "the sanitizer ran out of time",
        "無害化処理が時間内に終わらない", "the sanitizer ran out of time", TRUE,
        "554", "5.7.1"},
    {MG_REASON_UNSUPPORTED, "unsupported",
        "no CDR module rebuilds this file type", "無害化できない種類のファイル",
        "file type that cannot be sanitized", FALSE, NULL, NULL},
    {MG_REASON_CDR_FAILED, "cdr_failed", "the file could not be rebuilt safely",
        "ファイルを安全に再構成できない", "file could not be rebuilt safely",
        FALSE, NULL, NULL},
    {MG_REASON_EMBEDDED_FILE, "embedded_file",
        "file inside a document or archive left out",
        "文書・アーカイブ内のファイル（無害化できないため除外）",
        "file inside a document or archive (left out)", FALSE, NULL, NULL},
};

const struct mg_reason_info *
mg_reason_info(enum mg_reason r)
{
	if ((unsigned)r >= MG_REASON_COUNT)
		r = MG_REASON_NONE;
	return &reasons[r];
}

const char *
mg_reason_id(enum mg_reason r)
{
	return mg_reason_info(r)->id;
}

enum mg_reason
mg_reason_from_id(const char *id)
{
	guint i;

	for (i = 0; id != NULL && i < MG_REASON_COUNT; i++)
		if (strcmp(reasons[i].id, id) == 0)
			return reasons[i].reason;
	return MG_REASON_NONE;
}

const char *
mg_reason_text(enum mg_reason r, const char *lang)
{
	const struct mg_reason_info *i = mg_reason_info(r);

	return g_strcmp0(lang, "en") == 0 ? i->en : i->ja;
}
