/*
 * mg_policy.c - read the config file (GLib key file) into a policy.
 *
 * The file is the administrator's, so it is trusted as to intent but not
 * as to form: every group and key must be known, every value must parse,
 * and an error names the key and the line it is on.  Each key is one row
 * of the table below, with its parser; defaults live in
 * mg_policy_new_default() and in the MG_DEF_* limits.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "mg_policy.h"

enum kind {
	K_STRING,
	K_PATH,
	K_SIZE,
	K_UINT,
	K_BOOL,
	K_ENUM,
	K_DURATION,
	K_LIST,
	K_FORMATS, /* all | none words (choices), or a list of CDR formats */
	K_MODE,
};

struct key {
	const char *group;
	const char *name;
	enum kind kind;
	gsize offset;               /* of the field in struct mg_policy */
	const char *const *choices; /* K_ENUM: index = enum value */
};

static const char *const modes[] = {"text", "cdr", NULL};
static const char *const languages[] = {"ja", "en", NULL};
static const char *const positions[] = {"top", "bottom", NULL};
static const char *const charsets[] = {"utf-8", "iso-2022-jp", NULL};
static const char *const alternatives[] = {"text", "html", NULL};
static const char *const stale_actions[] = {"warn", "tempfail", NULL};
static const char *const virus_actions[] = {
    "notify", "discard", "reject", NULL};
/* The words a per-format key takes besides a list of formats: the first
 * two mean every format, the others none. */
static const char *const cdr_links[] = {"keep", "all", "disable", "none", NULL};
static const char *const cdr_images[] = {"keep", "all", "remove", "none", NULL};
static const char *const cdr_metadata[] = {
    "keep", "all", "strip", "none", NULL};

/* Every CDR module is on by default ([cdr] formats). */
static const char *const def_cdr_formats[] = {"pdf", "ooxml", "odf", "ole2",
    "rtf", "image", "svg", "html", "text", "csv", "archive", NULL};
static const char *const log_failures[] = {"tempfail", "continue", NULL};

/*
 * Types and extensions removed in every mode (and, with [policy]
 * hold_blocked, holding the whole message): programs, scripts, shortcuts,
 * disk images, installers, help files and the other containers attackers
 * mail to get code run (see docs/admin-guide.md).
 */
static const char *const def_blocked_types[] = {
    "application/x-dosexec",
    "application/vnd.microsoft.portable-executable",
    "application/x-msdownload",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-ms-shortcut",
    "application/x-iso9660-image",
    "application/x-msi",
    "application/vnd.ms-htmlhelp",
    "application/java-archive",
    "application/x-java-applet",
    "application/hta",
    "application/onenote",
    "application/x-apple-diskimage",
    "text/x-shellscript",
    "text/x-msdos-batch",
    "application/x-bat",
    NULL,
};

static const char *const def_blocked_extensions[] = {"exe", "com", "scr", "pif",
    "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "chm", "lnk",
    "iso", "img", "vhd", "vhdx", "msi", "msp", "jar", "ps1", "psm1", "scf",
    "reg", "cpl", "one", "onepkg", "url", "application", "appref-ms",
    "settingcontent-ms", "xll", "dll", "sys", "library-ms", NULL};

#define P(f) offsetof(struct mg_policy, f)
#define L(f) \
	(offsetof(struct mg_policy, limits) + offsetof(struct mg_limits, f))

static const struct key keys[] = {
    {"general", "mode", K_ENUM, P(mode), modes},
    {"general", "hostname", K_STRING, P(hostname), NULL},
    {"scan", "database", K_PATH, P(scan_database), NULL},
    {"quarantine", "dir", K_PATH, P(quarantine_dir), NULL},
    {"limits", "max_message_size", K_SIZE, L(max_message_size), NULL},
    {"limits", "max_depth", K_UINT, L(max_depth), NULL},
    {"limits", "max_parts", K_UINT, L(max_parts), NULL},
    {"limits", "max_header_size", K_SIZE, L(max_header_size), NULL},
    {"limits", "max_part_size", K_SIZE, L(max_part_size), NULL},
    {"limits", "max_decoded_size", K_SIZE, L(max_decoded_size), NULL},
    {"limits", "max_text_size", K_SIZE, L(max_text_size), NULL},
    {"limits", "max_html_nodes", K_UINT, L(max_html_nodes), NULL},
    {"limits", "max_embedded", K_UINT, L(max_embedded), NULL},
    {"notice", "language", K_ENUM, P(language), languages},
    {"notice", "position", K_ENUM, P(notice_position), positions},
    {"notice", "subject_tag", K_STRING, P(subject_tag), NULL},
    {"notice", "templates", K_PATH, P(templates_dir), NULL},
    {"output", "charset", K_ENUM, P(output_charset), charsets},
    {"output", "prefer_alternative", K_ENUM, P(alternative), alternatives},
    {"output", "link_list", K_BOOL, P(html_link_list), NULL},
    {"limits", "max_archive_depth", K_UINT, L(max_archive_depth), NULL},
    {"limits", "max_archive_members", K_UINT, L(max_archive_members), NULL},
    {"limits", "max_archive_total", K_SIZE, L(max_archive_total), NULL},
    {"limits", "max_member_size", K_SIZE, L(max_member_size), NULL},
    {"limits", "max_archive_ratio", K_UINT, L(max_archive_ratio), NULL},
    {"limits", "scan_max_scansize", K_SIZE, L(scan_max_scansize), NULL},
    {"limits", "scan_max_filesize", K_SIZE, L(scan_max_filesize), NULL},
    {"limits", "scan_max_recursion", K_UINT, L(scan_max_recursion), NULL},
    {"limits", "scan_max_files", K_UINT, L(scan_max_files), NULL},
    {"limits", "scan_max_time", K_DURATION, L(scan_max_time), NULL},
    {"scan", "tmpdir", K_PATH, P(scan_tmpdir), NULL},
    {"scan", "allow_empty_database", K_BOOL, P(allow_empty_database), NULL},
    {"scan", "max_database_age", K_DURATION, P(max_database_age), NULL},
    {"scan", "stale_database_action", K_ENUM, P(stale_database_action),
        stale_actions},
    {"scan", "heuristic_macros", K_BOOL, P(heuristic_macros), NULL},
    {"scan", "heuristic_phishing", K_BOOL, P(heuristic_phishing), NULL},
    {"policy", "on_virus", K_ENUM, P(on_virus), virus_actions},
    {"policy", "blocked_types", K_LIST, P(blocked_types), NULL},
    {"policy", "blocked_extensions", K_LIST, P(blocked_extensions), NULL},
    {"policy", "hold_blocked", K_BOOL, P(hold_blocked), NULL},
    {"log", "audit_file", K_STRING, P(audit_file), NULL},
    {"log", "on_log_failure", K_ENUM, P(on_log_failure), log_failures},
    {"limits", "message_timeout", K_DURATION, L(message_timeout), NULL},
    {"milter", "socket", K_STRING, P(milter_socket), NULL},
    {"milter", "socket_mode", K_MODE, P(milter_socket_mode), NULL},
    {"milter", "socket_group", K_STRING, P(milter_socket_group), NULL},
    {"milter", "spool_dir", K_PATH, P(spool_dir), NULL},
    {"milter", "user", K_STRING, P(milter_user), NULL},
    {"milter", "workers", K_UINT, P(workers), NULL},
    {"milter", "worker_max_jobs", K_UINT, P(worker_max_jobs), NULL},
    {"milter", "worker_max_memory", K_SIZE, P(worker_max_memory), NULL},
    {"milter", "queue_timeout", K_DURATION, P(queue_timeout), NULL},
    {"milter", "pidfile", K_PATH, P(pidfile), NULL},
    {"milter", "max_attempts", K_UINT, P(max_attempts), NULL},
    {"cdr", "formats", K_LIST, P(cdr_formats), def_cdr_formats},
    {"cdr", "hyperlinks", K_FORMATS, P(cdr_links_kept), cdr_links},
    {"cdr", "images", K_FORMATS, P(cdr_images_kept), cdr_images},
    {"cdr", "metadata", K_FORMATS, P(cdr_metadata_kept), cdr_metadata},
    {"release", "key_file", K_PATH, P(release_key_file), NULL},
    {"release", "relay", K_STRING, P(release_relay), NULL},
};

void
mg_limits_apply_defaults(struct mg_limits *l)
{
	if (l->max_message_size == 0)
		l->max_message_size = MG_DEF_MAX_MESSAGE_SIZE;
	if (l->max_depth == 0)
		l->max_depth = MG_DEF_MAX_DEPTH;
	if (l->max_parts == 0)
		l->max_parts = MG_DEF_MAX_PARTS;
	if (l->max_header_size == 0)
		l->max_header_size = MG_DEF_MAX_HEADER_SIZE;
	if (l->max_part_size == 0)
		l->max_part_size = MG_DEF_MAX_PART_SIZE;
	if (l->max_decoded_size == 0)
		l->max_decoded_size = MG_DEF_MAX_DECODED_SIZE;
	if (l->max_text_size == 0)
		l->max_text_size = MG_DEF_MAX_TEXT_SIZE;
	if (l->max_html_nodes == 0)
		l->max_html_nodes = MG_DEF_MAX_HTML_NODES;
	if (l->max_embedded == 0)
		l->max_embedded = MG_DEF_MAX_EMBEDDED;
	if (l->max_archive_depth == 0)
		l->max_archive_depth = MG_DEF_MAX_ARCHIVE_DEPTH;
	if (l->max_archive_members == 0)
		l->max_archive_members = MG_DEF_MAX_ARCHIVE_MEMBERS;
	if (l->max_archive_total == 0)
		l->max_archive_total = MG_DEF_MAX_ARCHIVE_TOTAL;
	if (l->max_member_size == 0)
		l->max_member_size = MG_DEF_MAX_MEMBER_SIZE;
	if (l->max_archive_ratio == 0)
		l->max_archive_ratio = MG_DEF_MAX_ARCHIVE_RATIO;
	if (l->scan_max_scansize == 0)
		l->scan_max_scansize = MG_DEF_SCAN_MAX_SCANSIZE;
	if (l->scan_max_filesize == 0)
		l->scan_max_filesize = MG_DEF_SCAN_MAX_FILESIZE;
	if (l->scan_max_recursion == 0)
		l->scan_max_recursion = MG_DEF_SCAN_MAX_RECURSION;
	if (l->scan_max_files == 0)
		l->scan_max_files = MG_DEF_SCAN_MAX_FILES;
	if (l->scan_max_time == 0)
		l->scan_max_time = MG_DEF_SCAN_MAX_TIME;
	if (l->message_timeout == 0)
		l->message_timeout = MG_DEF_MESSAGE_TIMEOUT;
}

struct mg_policy *
mg_policy_new_default(void)
{
	struct mg_policy *p = g_new0(struct mg_policy, 1);
	char host[256];

	p->mode = MG_MODE_TEXT;
	mg_limits_apply_defaults(&p->limits);
	p->quarantine_dir = g_strdup("/var/lib/mugaika/quarantine");
	p->scan_database = g_strdup("/var/lib/clamav");
	p->scan_tmpdir = g_strdup("");
	p->templates_dir = g_strdup(MUGAIKA_SYSCONFDIR "/templates");
	/* The enum fields' zero values are the defaults: ja, top, UTF-8,
	 * prefer text. */
	p->language = g_strdup("ja");
	p->subject_tag = g_strdup("");
	p->html_link_list = TRUE;
	p->max_database_age = MG_DEF_MAX_DATABASE_AGE;
	p->blocked_types = g_strdupv((char **)def_blocked_types);
	p->blocked_extensions = g_strdupv((char **)def_blocked_extensions);
	p->hold_blocked = TRUE;
	p->cdr_formats = g_strdupv((char **)def_cdr_formats);
	/* Links and images stay everywhere; metadata nowhere. */
	p->cdr_links_kept = g_strdupv((char **)def_cdr_formats);
	p->cdr_images_kept = g_strdupv((char **)def_cdr_formats);
	p->cdr_metadata_kept = g_new0(char *, 1);
	p->audit_file = g_strdup("");
	p->milter_socket = g_strdup("unix:/run/mugaika/milter.sock");
	p->milter_socket_mode = 0660;
	p->milter_socket_group = g_strdup("postfix");
	p->spool_dir = g_strdup("/var/spool/mugaika");
	p->milter_user = g_strdup("mugaika");
	p->workers = MG_DEF_WORKERS;
	p->worker_max_jobs = MG_DEF_WORKER_MAX_JOBS;
	p->worker_max_memory = 4ull * 1024 * 1024 * 1024;
	p->queue_timeout = MG_DEF_QUEUE_TIMEOUT;
	p->pidfile = g_strdup("/run/mugaika/mugaika-milter.pid");
	p->max_attempts = MG_DEF_MAX_ATTEMPTS;
	p->release_key_file = g_strdup(MUGAIKA_SYSCONFDIR "/release.key");
	p->release_relay = g_strdup("127.0.0.1:25");
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		p->hostname = g_strdup(host);
	} else {
		p->hostname = g_strdup("localhost");
	}
	return p;
}

void
mg_policy_free(struct mg_policy *p)
{
	if (p == NULL)
		return;
	g_free(p->quarantine_dir);
	g_free(p->scan_database);
	g_free(p->scan_tmpdir);
	g_free(p->templates_dir);
	g_free(p->language);
	g_free(p->subject_tag);
	g_free(p->hostname);
	g_strfreev(p->blocked_types);
	g_strfreev(p->blocked_extensions);
	g_strfreev(p->cdr_formats);
	g_strfreev(p->cdr_links_kept);
	g_strfreev(p->cdr_images_kept);
	g_strfreev(p->cdr_metadata_kept);
	g_free(p->audit_file);
	g_free(p->milter_socket);
	g_free(p->milter_socket_group);
	g_free(p->spool_dir);
	g_free(p->milter_user);
	g_free(p->pidfile);
	g_free(p->release_key_file);
	g_free(p->release_relay);
	g_free(p);
}

gboolean
mg_policy_parse_size(const char *s, guint64 *bytes_r)
{
	guint64 v, mult = 1;
	char *end;

	if (s == NULL || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno != 0)
		return FALSE;
	switch (g_ascii_toupper(*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024;
		end++;
		break;
	case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return FALSE;
	}
	if (g_ascii_toupper(*end) == 'B')
		end++;
	if (*end != '\0' || v > G_MAXUINT64 / mult)
		return FALSE;
	*bytes_r = v * mult;
	return TRUE;
}

gboolean
mg_policy_parse_duration(const char *s, gint64 *seconds_r)
{
	guint64 v, mult = 1;
	char *end;

	if (s == NULL || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno != 0)
		return FALSE;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return FALSE;
	}
	if (*end != '\0' && end[1] != '\0')
		return FALSE;
	if (v > (guint64)G_MAXINT64 / mult)
		return FALSE;
	*seconds_r = (gint64)(v * mult);
	return TRUE;
}

/*
 * GKeyFile does not keep line numbers, so find the line of `key` in
 * `group` in the file text ourselves, for the error message.  0 when not
 * found.
 */
static guint
line_of(const char *text, const char *group, const char *key)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gboolean in_group = (group == NULL);
	guint i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];
		gsize klen;

		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '[') {
			const char *close = strchr(l, ']');

			in_group = close != NULL &&
			           (gsize)(close - l - 1) == strlen(group) &&
			           strncmp(l + 1, group, close - l - 1) == 0;
			if (key == NULL && in_group)
				return i + 1;
			continue;
		}
		if (!in_group || key == NULL)
			continue;
		klen = strlen(key);
		if (strncmp(l, key, klen) == 0 &&
		    (l[klen] == '=' || l[klen] == ' ' || l[klen] == '\t' ||
		        l[klen] == '['))
			return i + 1;
	}
	return 0;
}

static const struct key *
find_key(const char *group, const char *name)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].group, group) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static gboolean
known_group(const char *group)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].group, group) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
set_value(struct mg_policy *p, const struct key *k, const char *v)
{
	char *field = (char *)p + k->offset;
	guint64 n;
	gsize i;

	switch (k->kind) {
	case K_STRING:
	case K_PATH:
		if (k->kind == K_PATH && *v == '\0')
			return FALSE;
		g_free(*(char **)field);
		*(char **)field = g_strdup(v);
		return TRUE;
	case K_SIZE:
		/* 0 means "no limit" only where the key says so. */
		if (!mg_policy_parse_size(v, &n) ||
		    (n == 0 && k->offset != P(worker_max_memory)))
			return FALSE;
		*(guint64 *)field = n;
		return TRUE;
	case K_UINT:
		if (!mg_policy_parse_size(v, &n) || n == 0 || n > G_MAXUINT)
			return FALSE;
		if (!g_ascii_isdigit(v[strlen(v) - 1]))
			return FALSE;
		*(guint *)field = (guint)n;
		return TRUE;
	case K_DURATION: {
		gint64 secs;

		if (!mg_policy_parse_duration(v, &secs) || secs <= 0)
			return FALSE;
		if (k->offset == P(max_database_age)) {
			*(gint64 *)field = secs;
		} else {
			if (secs > G_MAXUINT)
				return FALSE;
			*(guint *)field = (guint)secs;
		}
		return TRUE;
	}
	case K_FORMATS:
		/* "keep"/"all": every format; "disable"/"none"...: none;
		 * else the formats it applies to. */
		for (i = 0; k->choices[i] != NULL; i++)
			if (g_ascii_strcasecmp(v, k->choices[i]) == 0) {
				g_strfreev(*(char ***)field);
				*(char ***)field =
				    i < 2 ? g_strdupv((char **)def_cdr_formats)
				          : g_new0(char *, 1);
				return TRUE;
			}
		{
			struct key lk = *k;

			lk.kind = K_LIST;
			lk.choices = def_cdr_formats;
			return set_value(p, &lk, v);
		}
	case K_LIST: {
		/* Comma, semicolon or space separated; lower-cased, a
		 * leading dot dropped (".exe" and "exe" are one). */
		g_auto(GStrv) items = g_regex_split_simple("[,;\\s]+", v, 0, 0);
		GPtrArray *out = g_ptr_array_new();
		guint j;

		for (j = 0; items[j] != NULL; j++) {
			const char *it = items[j];

			if (*it == '.')
				it++;
			if (*it != '\0')
				g_ptr_array_add(out, g_ascii_strdown(it, -1));
		}
		/* A list with choices (the CDR formats) takes only those. */
		for (j = 0; k->choices != NULL && j < out->len; j++)
			if (!g_strv_contains((const char *const *)k->choices,
			        g_ptr_array_index(out, j))) {
				g_ptr_array_set_free_func(out, g_free);
				g_ptr_array_unref(out);
				return FALSE;
			}
		g_ptr_array_add(out, NULL);
		g_strfreev(*(char ***)field);
		*(char ***)field = (char **)g_ptr_array_free(out, FALSE);
		return TRUE;
	}
	case K_MODE: {
		/* An octal file mode, as chmod(1) takes it. */
		char *end;
		guint64 m = g_ascii_strtoull(v, &end, 8);

		if (*v == '\0' || *end != '\0' || m > 07777)
			return FALSE;
		*(guint *)field = (guint)m;
		return TRUE;
	}
	case K_BOOL:
		if (g_ascii_strcasecmp(v, "yes") == 0 ||
		    g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(gboolean *)field = TRUE;
		else if (g_ascii_strcasecmp(v, "no") == 0 ||
		         g_ascii_strcasecmp(v, "false") == 0 ||
		         strcmp(v, "0") == 0)
			*(gboolean *)field = FALSE;
		else
			return FALSE;
		return TRUE;
	case K_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (g_ascii_strcasecmp(v, k->choices[i]) == 0) {
				if (k->offset == P(language)) {
					g_free(p->language);
					p->language = g_strdup(k->choices[i]);
				} else {
					*(int *)field = (int)i;
				}
				return TRUE;
			}
		}
		return FALSE;
	}
	return FALSE;
}

static char *
choices_text(const struct key *k)
{
	if (k->kind == K_ENUM)
		return g_strjoinv(" | ", (char **)k->choices);
	switch (k->kind) {
	case K_SIZE:
		return g_strdup("a size such as 512k, 50M or 1G");
	case K_UINT:
		return g_strdup("a positive whole number");
	case K_BOOL:
		return g_strdup("yes | no");
	case K_PATH:
		return g_strdup("a path");
	case K_DURATION:
		return g_strdup("a duration such as 30s, 10m, 12h or 3d");
	case K_FORMATS: {
		g_autofree char *names =
		    g_strjoinv(", ", (char **)def_cdr_formats);

		return g_strdup_printf("%s | %s, or a comma-separated list of: "
		                       "%s",
		    k->choices[0], k->choices[2], names);
	}
	case K_LIST:
		if (k->choices != NULL) {
			g_autofree char *names =
			    g_strjoinv(", ", (char **)k->choices);

			return g_strdup_printf(
			    "a comma-separated list of: %s", names);
		}
		return g_strdup("a comma-separated list");
	case K_MODE:
		return g_strdup("an octal mode such as 0660");
	default:
		return g_strdup("a string");
	}
}

struct mg_policy *
mg_policy_load(const char *path, GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autofree char *text = NULL;
	g_auto(GStrv) groups = NULL;
	GError *e = NULL;
	gsize i, j;

	if (!g_file_get_contents(path, &text, NULL, &e)) {
		g_propagate_prefixed_error(err, e, "config: ");
		return NULL;
	}
	if (!g_key_file_load_from_data(
	        kf, text, (gsize)-1, G_KEY_FILE_NONE, &e)) {
		g_propagate_prefixed_error(err, e, "%s: ", path);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) names = NULL;

		if (!known_group(groups[i])) {
			g_set_error(err, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
			    "%s:%u: unknown section [%s]", path,
			    line_of(text, groups[i], NULL), groups[i]);
			return NULL;
		}
		names = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (j = 0; names != NULL && names[j] != NULL; j++) {
			const struct key *k = find_key(groups[i], names[j]);
			g_autofree char *v = NULL;

			if (k == NULL) {
				g_set_error(err, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
				    "%s:%u: unknown key \"%s\" in [%s]", path,
				    line_of(text, groups[i], names[j]),
				    names[j], groups[i]);
				return NULL;
			}
			v = g_key_file_get_string(kf, groups[i], names[j], &e);
			if (v == NULL || !set_value(p, k, g_strstrip(v))) {
				g_autofree char *want = choices_text(k);

				g_set_error(err, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "%s:%u: bad value for %s in [%s]: expected "
				    "%s",
				    path, line_of(text, groups[i], names[j]),
				    names[j], groups[i], want);
				g_clear_error(&e);
				return NULL;
			}
		}
	}
	return g_steal_pointer(&p);
}
