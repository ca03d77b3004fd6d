/*
 * mg_reason.h - why a part was removed or a message held.
 *
 * One table (mg_reason.c) maps each reason to its report id (a stable
 * string scripts rely on), its log text and its wording in the notice.
 */
#ifndef MG_REASON_H
#define MG_REASON_H

#include <glib.h>

enum mg_rc {
	MG_OK,
	MG_REFUSE, /* a verdict about the input; carries a reason */
	MG_FAIL,   /* the environment failed (disk, memory): tempfail */
};

enum mg_reason {
	MG_REASON_NONE = 0,
	MG_REASON_ATTACHMENT,        /* text mode: every attachment goes */
	MG_REASON_INLINE_IMAGE,      /* an image referenced from HTML */
	MG_REASON_UUENCODED,         /* uuencoded block inside text */
	MG_REASON_BINHEX,            /* BinHex block inside text */
	MG_REASON_ALTERNATIVE,       /* an alternative not chosen */
	MG_REASON_EMBEDDED_MESSAGE,  /* an attachment of a forwarded mail */
	MG_REASON_NON_TEXT,          /* a body part that is not text */
	MG_REASON_MALFORMED_MIME,    /* structure could not be trusted */
	MG_REASON_TOO_DEEP,          /* MIME nesting limit */
	MG_REASON_TOO_MANY_PARTS,    /* part count limit */
	MG_REASON_HEADER_TOO_LARGE,  /* header block limit */
	MG_REASON_PART_TOO_LARGE,    /* one decoded part over the limit */
	MG_REASON_DECODED_TOO_LARGE, /* all decoded parts over the limit */
	MG_REASON_TEXT_TOO_LARGE,    /* output text truncated */
	MG_REASON_MESSAGE_TOO_LARGE, /* raw message over the limit */
	MG_REASON_UNDECODABLE,       /* bad transfer encoding / charset */
	MG_REASON_COUNT
};

struct mg_reason_info {
	enum mg_reason reason;
	const char *id;      /* report id, e.g. "too_deep" */
	const char *log;     /* English, for logs */
	const char *ja;      /* notice wording, Japanese */
	const char *en;      /* notice wording, English */
	gboolean structural; /* hit on the message: the whole of it is held */
};

const struct mg_reason_info *mg_reason_info(enum mg_reason r);
const char *mg_reason_id(enum mg_reason r);
/* Notice wording in `lang` ("ja" or "en"). */
const char *mg_reason_text(enum mg_reason r, const char *lang);

#endif
