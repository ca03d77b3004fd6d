/*
 * mg_policy.h - the configuration of one engine, turned into a policy and
 * one limits struct.
 *
 * The config file is a GLib key file written by the administrator: trusted
 * as to intent, but checked strictly (an unknown key or a bad value is an
 * error naming the key and the line).  Every limit is a named setting with
 * a documented default; 0 in the struct means "use the default".
 */
#ifndef MG_POLICY_H
#define MG_POLICY_H

#include <glib.h>

/* Defaults for every limit (documented in conf/mugaika.conf). */
#define MG_DEF_MAX_MESSAGE_SIZE (50u * 1024 * 1024)
#define MG_DEF_MAX_DEPTH 20
#define MG_DEF_MAX_PARTS 500
#define MG_DEF_MAX_HEADER_SIZE (256u * 1024)
#define MG_DEF_MAX_PART_SIZE (100u * 1024 * 1024)
#define MG_DEF_MAX_DECODED_SIZE (200u * 1024 * 1024)
#define MG_DEF_MAX_TEXT_SIZE (8u * 1024 * 1024)
#define MG_DEF_MAX_HTML_NODES 200000
#define MG_DEF_MAX_EMBEDDED 100

struct mg_limits {
	guint64 max_message_size; /* raw message bytes */
	guint max_depth;          /* MIME nesting (message/rfc822 counts) */
	guint max_parts;          /* MIME entities in the whole tree */
	guint64 max_header_size;  /* bytes of one header block */
	guint64 max_part_size;    /* decoded bytes of one part */
	guint64 max_decoded_size; /* decoded bytes of all parts together */
	guint64 max_text_size;    /* UTF-8 bytes of the output body text */
	guint max_html_nodes;     /* elements visited when rendering HTML */
	guint max_embedded;       /* uuencode/BinHex blocks per text part */
};

enum mg_mode {
	MG_MODE_TEXT,
	MG_MODE_CDR,
};

enum mg_alt_prefer {
	MG_ALT_PREFER_TEXT, /* text/plain alternative when present, else HTML */
	MG_ALT_PREFER_HTML, /* rendered HTML when present, else text/plain */
};

enum mg_notice_pos {
	MG_NOTICE_TOP,
	MG_NOTICE_BOTTOM,
};

enum mg_out_charset {
	MG_OUT_UTF8,
	MG_OUT_ISO2022JP, /* falls back to UTF-8 when a character won't fit */
};

struct mg_policy {
	enum mg_mode mode;
	struct mg_limits limits;
	char *quarantine_dir;
	char *scan_database;
	char *templates_dir;
	char *language; /* "ja" or "en" */
	enum mg_notice_pos notice_position;
	char *subject_tag; /* UTF-8, may be NULL or empty */
	enum mg_out_charset output_charset;
	enum mg_alt_prefer alternative;
	gboolean html_link_list; /* list link targets under the text */
	char *hostname;          /* for X-Mugaika and logs */
};

struct mg_policy *mg_policy_new_default(void);
struct mg_policy *mg_policy_load(const char *path, GError **err);
void mg_policy_free(struct mg_policy *p);
typedef struct mg_policy mg_policy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mg_policy, mg_policy_free)

/* Fill zero fields of *l with the defaults. */
void mg_limits_apply_defaults(struct mg_limits *l);

/* Parse "30d", "12h", "90m", "45s" or plain seconds; FALSE on bad input. */
gboolean mg_policy_parse_duration(const char *s, gint64 *seconds_r);
/* Parse "50M", "512k", "1G" or plain bytes; FALSE on bad input. */
gboolean mg_policy_parse_size(const char *s, guint64 *bytes_r);

#endif
