/*
 * mg_reason.c - the one table of reasons.  Adding a reason is adding one
 * enum value and one row here; the table is checked for completeness by the
 * unit tests.
 */
#include "util/mg_reason.h"

static const struct mg_reason_info reasons[MG_REASON_COUNT] = {
    {MG_REASON_NONE, "none", "nothing removed", "", "", FALSE},
    {MG_REASON_ATTACHMENT, "attachment", "attachment removed (text mode)",
        "添付ファイル（テキスト化のため削除）",
        "attachment (removed: text-only delivery)", FALSE},
    {MG_REASON_INLINE_IMAGE, "inline_image", "inline image removed",
        "本文中の画像（テキスト化のため削除）",
        "inline image (removed: text-only delivery)", FALSE},
    {MG_REASON_UUENCODED, "uuencoded", "uuencoded file cut out of the text",
        "本文中に埋め込まれた uuencode ファイル",
        "uuencoded file embedded in the text", FALSE},
    {MG_REASON_BINHEX, "binhex", "BinHex file cut out of the text",
        "本文中に埋め込まれた BinHex ファイル",
        "BinHex file embedded in the text", FALSE},
    {MG_REASON_ALTERNATIVE, "alternative", "alternative body not chosen",
        "別形式の本文（テキスト版を採用）",
        "alternative body (the text version was used)", FALSE},
    {MG_REASON_EMBEDDED_MESSAGE, "embedded_message_attachment",
        "attachment of an attached message removed",
        "添付メール内の添付ファイル", "attachment of an attached message",
        FALSE},
    {MG_REASON_NON_TEXT, "non_text", "non-text body part removed",
        "テキスト以外の本文パート", "non-text body part", FALSE},
    {MG_REASON_MALFORMED_MIME, "malformed_mime",
        "MIME structure is malformed or ambiguous",
        "メールの構造が不正または曖昧", "malformed or ambiguous MIME structure",
        FALSE},
    {MG_REASON_TOO_DEEP, "too_deep", "MIME nesting limit exceeded",
        "入れ子の深さが上限を超過", "MIME nesting too deep", TRUE},
    {MG_REASON_TOO_MANY_PARTS, "too_many_parts", "MIME part limit exceeded",
        "パート数が上限を超過", "too many MIME parts", TRUE},
    {MG_REASON_HEADER_TOO_LARGE, "header_too_large",
        "header block limit exceeded", "ヘッダーが上限サイズを超過",
        "header block too large", TRUE},
    {MG_REASON_PART_TOO_LARGE, "part_too_large",
        "decoded part size limit exceeded", "パートが上限サイズを超過",
        "part too large", FALSE},
    {MG_REASON_DECODED_TOO_LARGE, "decoded_too_large",
        "total decoded size limit exceeded", "展開後の合計サイズが上限を超過",
        "decoded content too large", TRUE},
    {MG_REASON_TEXT_TOO_LARGE, "text_too_large",
        "output text truncated at the limit",
        "本文が上限サイズを超えたため途中で切り詰め",
        "text truncated at the size limit", FALSE},
    {MG_REASON_MESSAGE_TOO_LARGE, "message_too_large",
        "message size limit exceeded", "メールが上限サイズを超過",
        "message too large", TRUE},
    {MG_REASON_UNDECODABLE, "undecodable",
        "transfer encoding or charset could not be decoded",
        "デコードできないパート", "part could not be decoded", FALSE},
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

const char *
mg_reason_text(enum mg_reason r, const char *lang)
{
	const struct mg_reason_info *i = mg_reason_info(r);

	return g_strcmp0(lang, "en") == 0 ? i->en : i->ja;
}
