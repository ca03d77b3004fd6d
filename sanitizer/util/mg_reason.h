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
	MG_REASON_ATTACHMENT,         /* text mode: every attachment goes */
	MG_REASON_INLINE_IMAGE,       /* an image referenced from HTML */
	MG_REASON_UUENCODED,          /* uuencoded block inside text */
	MG_REASON_BINHEX,             /* BinHex block inside text */
	MG_REASON_ALTERNATIVE,        /* an alternative not chosen */
	MG_REASON_EMBEDDED_MESSAGE,   /* an attachment of a forwarded mail */
	MG_REASON_NON_TEXT,           /* a body part that is not text */
	MG_REASON_MALFORMED_MIME,     /* structure could not be trusted */
	MG_REASON_TOO_DEEP,           /* MIME nesting limit */
	MG_REASON_TOO_MANY_PARTS,     /* part count limit */
	MG_REASON_HEADER_TOO_LARGE,   /* header block limit */
	MG_REASON_PART_TOO_LARGE,     /* one decoded part over the limit */
	MG_REASON_DECODED_TOO_LARGE,  /* all decoded parts over the limit */
	MG_REASON_TEXT_TOO_LARGE,     /* output text truncated */
	MG_REASON_MESSAGE_TOO_LARGE,  /* raw message over the limit */
	MG_REASON_UNDECODABLE,        /* bad transfer encoding / charset */
	MG_REASON_VIRUS,              /* a signature matched */
	MG_REASON_SCAN_LIMIT,         /* libclamav could not scan it all */
	MG_REASON_SCAN_ERROR,         /* libclamav failed on it */
	MG_REASON_ENCRYPTED,          /* encrypted archive or document */
	MG_REASON_ARCHIVE_MEMBER,     /* a file inside a removed archive */
	MG_REASON_ARCHIVE_BOMB,       /* expansion ratio or total size */
	MG_REASON_ARCHIVE_TOO_DEEP,   /* archives nested too deep */
	MG_REASON_TOO_MANY_MEMBERS,   /* archive member count */
	MG_REASON_MEMBER_TOO_LARGE,   /* one member over the limit */
	MG_REASON_DAMAGED_ARCHIVE,    /* archive could not be read whole */
	MG_REASON_UNSAFE_MEMBER_NAME, /* "..", absolute path, link, device */
	MG_REASON_BLOCKED_TYPE,       /* executable, script, LNK, ISO … */
	MG_REASON_TYPE_MISMATCH,      /* content is not what the name says */
	MG_REASON_DOUBLE_EXTENSION,   /* "report.pdf.exe" */
	MG_REASON_BIDI_NAME,          /* a bidi override in the name */
	MG_REASON_STALE_DATABASE,     /* signatures older than allowed */
	MG_REASON_SANITIZER_CRASH,    /* the worker died on this message */
	MG_REASON_TIMEOUT,            /* the worker ran out of time */
	MG_REASON_UNSUPPORTED,        /* CDR: no module rebuilds this type */
	MG_REASON_CDR_FAILED,         /* CDR: the module refused the file */
	MG_REASON_EMBEDDED_FILE,      /* CDR: a file inside a rebuilt one */
	MG_REASON_COUNT
};

struct mg_reason_info {
	enum mg_reason reason;
	const char *id;      /* report id, e.g. "too_deep" */
	const char *log;     /* English, for logs */
	const char *ja;      /* notice wording, Japanese */
	const char *en;      /* notice wording, English */
	gboolean structural; /* hit on the message: the whole of it is held */
	/* The SMTP reply when the message is refused for this reason
	 * (milter), e.g. "554", "5.7.1"; NULL when it never is. */
	const char *smtp_code;
	const char *smtp_dsn;
};

const struct mg_reason_info *mg_reason_info(enum mg_reason r);
const char *mg_reason_id(enum mg_reason r);
/* The reason with report id `id`, or MG_REASON_NONE. */
enum mg_reason mg_reason_from_id(const char *id);
/* Notice wording in `lang` ("ja" or "en"). */
const char *mg_reason_text(enum mg_reason r, const char *lang);

#endif
