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
#define MG_DEF_MAX_ARCHIVE_DEPTH 5
#define MG_DEF_MAX_ARCHIVE_MEMBERS 1000
#define MG_DEF_MAX_ARCHIVE_TOTAL (500u * 1024 * 1024)
#define MG_DEF_MAX_MEMBER_SIZE (100u * 1024 * 1024)
#define MG_DEF_MAX_ARCHIVE_RATIO 100
#define MG_DEF_SCAN_MAX_SCANSIZE (400u * 1024 * 1024)
#define MG_DEF_SCAN_MAX_FILESIZE (100u * 1024 * 1024)
#define MG_DEF_SCAN_MAX_RECURSION 17
#define MG_DEF_SCAN_MAX_FILES 10000
#define MG_DEF_SCAN_MAX_TIME 120 /* seconds */
#define MG_DEF_MAX_DATABASE_AGE (3 * 86400)
#define MG_DEF_MESSAGE_TIMEOUT 120 /* seconds */
#define MG_DEF_WORKERS 2
#define MG_DEF_WORKER_MAX_JOBS 500
#define MG_DEF_QUEUE_TIMEOUT 60 /* seconds */
#define MG_DEF_MAX_ATTEMPTS 3

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
	/* Archives, unpacked by libarchive (sanitizer/unpack/). */
	guint max_archive_depth;   /* archives inside archives */
	guint max_archive_members; /* members of all archives together */
	guint64 max_archive_total; /* uncompressed bytes of all members */
	guint64 max_member_size;   /* uncompressed bytes of one member */
	guint max_archive_ratio;   /* uncompressed / compressed bytes */
	/* libclamav's own limits (CL_ENGINE_MAX_*). */
	guint64 scan_max_scansize;
	guint64 scan_max_filesize;
	guint scan_max_recursion;
	guint scan_max_files;
	guint scan_max_time;   /* seconds */
	guint message_timeout; /* seconds one worker may spend on a message */
};

enum mg_stale_action {
	MG_STALE_WARN,
	MG_STALE_TEMPFAIL,
};

enum mg_on_virus {
	MG_ON_VIRUS_NOTIFY,  /* hold the message, deliver a notice */
	MG_ON_VIRUS_DISCARD, /* hold the message, deliver nothing */
	MG_ON_VIRUS_REJECT,  /* hold the message, refuse it (SMTP 554) */
};

enum mg_log_failure {
	MG_LOG_FAILURE_TEMPFAIL,
	MG_LOG_FAILURE_CONTINUE,
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
	/* [scan] */
	char *scan_tmpdir; /* libclamav's scratch space; "" = $TMPDIR or /tmp */
	gboolean allow_empty_database;
	gint64 max_database_age; /* seconds */
	enum mg_stale_action stale_database_action;
	gboolean heuristic_macros;
	gboolean heuristic_phishing;
	/* [policy] */
	enum mg_on_virus on_virus;
	char **blocked_types;      /* MIME types, lower case; NULL-terminated */
	char **blocked_extensions; /* lower case, without the dot */
	gboolean hold_blocked;     /* a blocked type holds the whole message */
	/* [milter] */
	char *milter_socket;       /* Postfix/sendmail syntax */
	guint milter_socket_mode;  /* unix socket mode, e.g. 0660 */
	char *milter_socket_group; /* unix socket group, may be "" */
	char *spool_dir;
	char *milter_user; /* "" or NULL: keep the starting user */
	guint workers;
	guint worker_max_jobs;
	guint64 worker_max_memory; /* RLIMIT_AS, 0: unlimited */
	guint queue_timeout;       /* seconds */
	char *pidfile;
	guint max_attempts; /* crashes on one message before it is held */
	/* [cdr] */
	char **cdr_formats; /* module names that are on; NULL-terminated */
	/* Per format, what a rebuilt file keeps: the modules (names as in
	 * cdr_formats) whose hyperlinks, inner images and metadata stay. */
	char **cdr_links_kept;
	char **cdr_images_kept;
	char **cdr_metadata_kept;
	/* [release] */
	char *release_key_file; /* HMAC key binding release headers */
	char *release_relay;    /* host:port to re-inject released mail */
	/* [log] */
	char *audit_file; /* NULL or empty: no audit log */
	enum mg_log_failure on_log_failure;
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
