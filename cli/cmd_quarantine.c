/*
 * cmd_quarantine.c - `mugaika quarantine`: list, show, export, delete and
 * purge the originals kept in the quarantine store (`release` is in
 * cmd_release.c).
 *
 * Untrusted input: every string of a stored entry (decoded headers,
 * envelope addresses, the report's file names) came from a sender; in
 * text output each goes through mg_printable() so that no control
 * sequence, bidi override or invisible character reaches the terminal.
 * JSON output carries the strings exactly (JSON escapes the C0 controls),
 * for scripts.  Ids typed by the user are checked before they name a
 * file.  `export` writes the original byte for byte to standard output
 * and nothing else.
 *
 * Exit status: 0 done; 1 no such entry; 64 usage (unknown action, bad id,
 * bad option); 75 the config or the store could not be read, or output
 * failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mg_cli.h"
#include "mg_policy.h"
#include "quarantine/mg_quarantine.h"
#include "util/mg_util.h"

#define EXIT_NOT_FOUND 1
/* Nesting printed of a stored report; deeper levels are elided. */
#define REPORT_MAX_DEPTH 32

#define OPT_JSON 0x1
#define OPT_SINCE 0x2
#define OPT_OLDER 0x4

struct action {
	const char *name;
	gboolean takes_id;
	guint options; /* OPT_* allowed */
	const char *help;
};

static const struct action actions[] = {
    {"list", FALSE, OPT_JSON | OPT_SINCE,
        "list [--json] [--since SPEC]  entries, newest first"},
    {"show", TRUE, OPT_JSON, "show [--json] ID  one entry and its report"},
    {"export", TRUE, 0, "export ID  the original message to stdout"},
    {"delete", TRUE, 0, "delete ID  remove one entry and its original"},
    {"purge", FALSE, OPT_OLDER,
        "purge --older-than AGE  remove entries older than AGE"},
};

struct opts {
	gboolean json;
	const char *since;
	const char *older_than;
};

static int
exit_for(const GError *err)
{
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
		return EXIT_NOT_FOUND;
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
		return MG_EXIT_USAGE;
	return MG_EXIT_TEMPFAIL;
}

static void
fail(const GError *err)
{
	g_autofree char *msg = mg_printable(err->message, -1, 0);

	fprintf(stderr, "mugaika quarantine: %s\n", msg);
}

/* Escape untrusted text for the terminal; "-" stands for nothing. */
static char *
esc(const char *s)
{
	if (s == NULL || *s == '\0')
		return g_strdup("-");
	return mg_printable(s, -1, 0);
}

static char *
esc_join(char *const *v, const char *sep)
{
	GString *out = g_string_new(NULL);
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		g_autofree char *s = mg_printable(v[i], -1, 0);

		if (i > 0)
			g_string_append(out, sep);
		g_string_append(out, s);
	}
	if (out->len == 0)
		g_string_append_c(out, '-');
	return g_string_free(out, FALSE);
}

static char *
format_time(gint64 t, gboolean utc)
{
	g_autoptr(GDateTime) dt = utc ? g_date_time_new_from_unix_utc(t)
	                              : g_date_time_new_from_unix_local(t);

	if (dt == NULL)
		return g_strdup_printf("@%" G_GINT64_FORMAT, t);
	return g_date_time_format(
	    dt, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S");
}

/* ---- JSON output ---- */

static void
add_string(JsonBuilder *b, const char *key, const char *s)
{
	json_builder_set_member_name(b, key);
	if (s == NULL) {
		json_builder_add_null_value(b);
	} else if (g_utf8_validate(s, -1, NULL)) {
		json_builder_add_string_value(b, s);
	} else {
		/* JSON can only carry Unicode; the store's contract is
		 * UTF-8, so this only meets a damaged index. */
		g_autofree char *v = g_utf8_make_valid(s, -1);

		json_builder_add_string_value(b, v);
	}
}

static void
add_strv(JsonBuilder *b, const char *key, char *const *v)
{
	size_t i;

	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		g_autofree char *s = g_utf8_make_valid(v[i], -1);

		json_builder_add_string_value(b, s);
	}
	json_builder_end_array(b);
}

static void
add_entry(JsonBuilder *b, const struct mg_qentry *e, gboolean with_report)
{
	g_autofree char *t = format_time(e->time, TRUE);

	json_builder_begin_object(b);
	add_string(b, "id", e->id);
	add_string(b, "time", t);
	add_string(b, "disposition", e->disposition);
	add_string(b, "sender", e->sender);
	add_strv(b, "recipients", e->recipients);
	add_string(b, "from", e->from);
	add_string(b, "subject", e->subject);
	add_string(b, "message_id", e->message_id);
	add_strv(b, "reasons", e->reasons);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)e->size);
	add_string(b, "sha256", e->sha256);
	if (with_report) {
		g_autoptr(JsonParser) p = json_parser_new();

		if (e->report_json != NULL &&
		    json_parser_load_from_data(p, e->report_json, -1, NULL) &&
		    json_parser_get_root(p) != NULL) {
			json_builder_set_member_name(b, "report");
			json_builder_add_value(
			    b, json_node_copy(json_parser_get_root(p)));
		} else {
			/* Not JSON (or none): keep what there is. */
			add_string(b, "report", e->report_json);
		}
	}
	json_builder_end_object(b);
}

static int
print_json(JsonBuilder *b)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *text = NULL;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "mugaika quarantine: stdout: %s\n",
		    g_strerror(errno));
		return MG_EXIT_TEMPFAIL;
	}
	return MG_EXIT_OK;
}

/* ---- text output ---- */

/* A JSON string for the terminal: escaped by mg_printable (which doubles
 * backslashes), so a quote can be shown as \" without ambiguity. */
static void
append_quoted(GString *out, const char *s)
{
	g_autofree char *p = mg_printable(s, -1, 0);
	const char *c;

	g_string_append_c(out, '"');
	for (c = p; *c != '\0'; c++) {
		if (*c == '"')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *c);
	}
	g_string_append_c(out, '"');
}

static void
append_indent(GString *out, guint level)
{
	guint i;

	for (i = 0; i < level; i++)
		g_string_append(out, "  ");
}

/*
 * The stored report, pretty-printed like JSON but with every string
 * (keys too) made safe for the terminal.
 */
static void
append_node(GString *out, JsonNode *n, guint level)
{
	if (level > REPORT_MAX_DEPTH) {
		g_string_append(out, "...");
		return;
	}
	switch (json_node_get_node_type(n)) {
	case JSON_NODE_OBJECT: {
		JsonObject *o = json_node_get_object(n);
		GList *names = json_object_get_members(o), *l;

		if (names == NULL) {
			g_string_append(out, "{}");
			break;
		}
		g_string_append(out, "{\n");
		for (l = names; l != NULL; l = l->next) {
			append_indent(out, level + 1);
			append_quoted(out, l->data);
			g_string_append(out, ": ");
			append_node(
			    out, json_object_get_member(o, l->data), level + 1);
			g_string_append(out, l->next != NULL ? ",\n" : "\n");
		}
		g_list_free(names);
		append_indent(out, level);
		g_string_append_c(out, '}');
		break;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *a = json_node_get_array(n);
		guint i, len = json_array_get_length(a);

		if (len == 0) {
			g_string_append(out, "[]");
			break;
		}
		g_string_append(out, "[\n");
		for (i = 0; i < len; i++) {
			append_indent(out, level + 1);
			append_node(
			    out, json_array_get_element(a, i), level + 1);
			g_string_append(out, i + 1 < len ? ",\n" : "\n");
		}
		append_indent(out, level);
		g_string_append_c(out, ']');
		break;
	}
	case JSON_NODE_VALUE:
		switch (json_node_get_value_type(n)) {
		case G_TYPE_STRING:
			append_quoted(out, json_node_get_string(n));
			break;
		case G_TYPE_INT64:
			g_string_append_printf(
			    out, "%" G_GINT64_FORMAT, json_node_get_int(n));
			break;
		case G_TYPE_DOUBLE: {
			char buf[G_ASCII_DTOSTR_BUF_SIZE];

			g_string_append(out, g_ascii_dtostr(buf, sizeof buf,
			                         json_node_get_double(n)));
			break;
		}
		case G_TYPE_BOOLEAN:
			g_string_append(
			    out, json_node_get_boolean(n) ? "true" : "false");
			break;
		default:
			g_string_append(out, "?");
			break;
		}
		break;
	case JSON_NODE_NULL:
		g_string_append(out, "null");
		break;
	}
}

static char *
report_text(const char *report_json)
{
	g_autoptr(JsonParser) p = json_parser_new();
	GString *out;
	JsonNode *root;

	if (report_json == NULL)
		return g_strdup("-");
	if (!json_parser_load_from_data(p, report_json, -1, NULL) ||
	    (root = json_parser_get_root(p)) == NULL)
		return mg_printable(
		    report_json, -1, MG_PRINTABLE_KEEP_NEWLINES);
	out = g_string_new(NULL);
	append_node(out, root, 0);
	return g_string_free(out, FALSE);
}

/* ---- actions ---- */

/*
 * --since: a duration ("7d", "12h": that long ago), a date ("2026-11-20":
 * its local midnight) or an ISO 8601 date and time.
 */
static gboolean
parse_since(const char *spec, gint64 now, gint64 *since_r)
{
	g_autoptr(GDateTime) dt = NULL;
	g_autoptr(GTimeZone) tz = NULL;
	gint64 secs;
	int y, m, d;

	if (mg_policy_parse_duration(spec, &secs)) {
		*since_r = now - secs;
		return TRUE;
	}
	if (strlen(spec) == 10 && spec[4] == '-' && spec[7] == '-' &&
	    g_ascii_isdigit(spec[0]) && g_ascii_isdigit(spec[1]) &&
	    g_ascii_isdigit(spec[2]) && g_ascii_isdigit(spec[3]) &&
	    g_ascii_isdigit(spec[5]) && g_ascii_isdigit(spec[6]) &&
	    g_ascii_isdigit(spec[8]) && g_ascii_isdigit(spec[9])) {
		y = (int)g_ascii_strtoull(spec, NULL, 10);
		m = (int)g_ascii_strtoull(spec + 5, NULL, 10);
		d = (int)g_ascii_strtoull(spec + 8, NULL, 10);
		/* NULL for a day that does not exist (2026-02-30). */
		dt = g_date_time_new_local(y, m, d, 0, 0, 0);
	} else {
		tz = g_time_zone_new_local();
		dt = g_date_time_new_from_iso8601(spec, tz);
	}
	if (dt == NULL)
		return FALSE;
	*since_r = g_date_time_to_unix(dt);
	return TRUE;
}

static int
do_list(struct mg_qstore *q, const struct opts *o)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) all = NULL;
	gint64 since = 0;
	guint i;

	if (o->since != NULL &&
	    !parse_since(
	        o->since, g_get_real_time() / G_USEC_PER_SEC, &since)) {
		g_autofree char *s = mg_printable(o->since, -1, 0);

		fprintf(stderr,
		    "mugaika quarantine: --since: \"%s\" is neither a "
		    "duration (7d, 12h) nor a date (2026-11-20)\n",
		    s);
		return MG_EXIT_USAGE;
	}
	if ((all = mg_qstore_list(q, since, &err)) == NULL) {
		fail(err);
		return exit_for(err);
	}
	if (o->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < all->len; i++)
			add_entry(b, all->pdata[i], FALSE);
		json_builder_end_array(b);
		return print_json(b);
	}
	for (i = 0; i < all->len; i++) {
		const struct mg_qentry *e = all->pdata[i];
		g_autofree char *t = format_time(e->time, FALSE);
		g_autofree char *id = esc(e->id), *sender = esc(e->sender),
		                *rcpt = esc_join(e->recipients, ","),
		                *subject = esc(e->subject),
		                *reasons = esc_join(e->reasons, ",");

		/* Tabs separate the fields: mg_printable escapes any tab
		 * inside one, so the columns can be cut reliably. */
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", id, t, sender, rcpt, subject,
		    reasons);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "mugaika quarantine: stdout: %s\n",
		    g_strerror(errno));
		return MG_EXIT_TEMPFAIL;
	}
	return MG_EXIT_OK;
}

static int
do_show(struct mg_qstore *q, const char *id, const struct opts *o)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qentry) e = NULL;

	if ((e = mg_qstore_get(q, id, &err)) == NULL) {
		fail(err);
		return exit_for(err);
	}
	if (o->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		add_entry(b, e, TRUE);
		return print_json(b);
	} else {
		g_autofree char *t = format_time(e->time, FALSE);
		g_autofree char *tu = format_time(e->time, TRUE);
		g_autofree char *eid = esc(e->id), *disp = esc(e->disposition),
		                *sender = esc(e->sender),
		                *rcpt = esc_join(e->recipients, ", "),
		                *from = esc(e->from),
		                *subject = esc(e->subject),
		                *mid = esc(e->message_id),
		                *reasons = esc_join(e->reasons, ", "),
		                *sha = esc(e->sha256),
		                *report = report_text(e->report_json);

		printf("id:          %s\n"
		       "time:        %s (%s)\n"
		       "disposition: %s\n"
		       "sender:      %s\n"
		       "recipients:  %s\n"
		       "from:        %s\n"
		       "subject:     %s\n"
		       "message-id:  %s\n"
		       "reasons:     %s\n"
		       "size:        %" G_GUINT64_FORMAT "\n"
		       "sha256:      %s\n"
		       "report:\n%s\n",
		    eid, t, tu, disp, sender, rcpt, from, subject, mid, reasons,
		    e->size, sha, report);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "mugaika quarantine: stdout: %s\n",
		    g_strerror(errno));
		return MG_EXIT_TEMPFAIL;
	}
	return MG_EXIT_OK;
}

static int
do_export(struct mg_qstore *q, const char *id)
{
	g_autoptr(GError) err = NULL;
	g_autofree guchar *buf = NULL;
	int fd, rc = MG_EXIT_OK;
	ssize_t n, w;
	size_t done;

	if ((fd = mg_qstore_open_message(q, id, &err)) < 0) {
		fail(err);
		return exit_for(err);
	}
	buf = g_malloc(65536);
	for (;;) {
		n = read(fd, buf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "mugaika quarantine: reading %s: %s\n",
			    id, g_strerror(errno));
			rc = MG_EXIT_TEMPFAIL;
			break;
		}
		if (n == 0)
			break;
		for (done = 0; done < (size_t)n; done += (size_t)w) {
			w = write(STDOUT_FILENO, buf + done, (size_t)n - done);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				fprintf(stderr,
				    "mugaika quarantine: stdout: %s\n",
				    g_strerror(w == 0 ? EIO : errno));
				rc = MG_EXIT_TEMPFAIL;
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

static int
do_delete(struct mg_qstore *q, const char *id)
{
	g_autoptr(GError) err = NULL;

	if (!mg_qstore_delete(q, id, &err)) {
		fail(err);
		return exit_for(err);
	}
	printf("deleted %s\n", id);
	return MG_EXIT_OK;
}

static int
do_purge(struct mg_qstore *q, const struct opts *o)
{
	g_autoptr(GError) err = NULL;
	gint64 age, before;
	guint count = 0;

	if (!mg_policy_parse_duration(o->older_than, &age)) {
		g_autofree char *s = mg_printable(o->older_than, -1, 0);

		fprintf(stderr,
		    "mugaika quarantine: --older-than: \"%s\" is not a "
		    "duration (30d, 12h, 90m, 45s)\n",
		    s);
		return MG_EXIT_USAGE;
	}
	before = g_get_real_time() / G_USEC_PER_SEC - age;
	if (!mg_qstore_purge(q, before, &count, &err)) {
		fail(err);
		return exit_for(err);
	}
	printf("purged %u %s\n", count, count == 1 ? "entry" : "entries");
	return MG_EXIT_OK;
}

/*
 * The action word, found before the options are parsed, because
 * `release` has options of its own (cmd_release.c).  The values of the
 * options that take one are skipped, so `--config release` is not it.
 */
static const char *
action_word(int argc, char **argv)
{
	static const char *const with_value[] = {
	    "-c", "--config", "--store", "--since", "--older-than", "--to"};
	size_t j;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return argv[i];
		for (j = 0; j < G_N_ELEMENTS(with_value); j++)
			if (strcmp(argv[i], with_value[j]) == 0) {
				i++;
				break;
			}
	}
	return NULL;
}

static const struct action *
find_action(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			return &actions[i];
	return NULL;
}

static char *
summary_text(void)
{
	GString *s = g_string_new("Actions:");
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(actions); i++)
		g_string_append_printf(s, "\n  %s", actions[i].help);
	g_string_append(s,
	    "\n  release ID --original [--to ADDR]...  deliver the original "
	    "after review\n    (see `mugaika quarantine release --help`)");
	g_string_append(s,
	    "\n\nSPEC is a duration (7d, 12h, 90m: that long ago) or a "
	    "date (2026-11-20).\nAGE is a duration (30d, 12h, 90m, 45s).\n"
	    "An ID looks like 20261122-7KQ2M3XH4TPA.");
	return g_string_free(s, FALSE);
}

/* Options given that the action does not take: a usage error. */
static gboolean
check_options(const struct action *a, const struct opts *o)
{
	const char *bad = NULL;

	if (o->json && !(a->options & OPT_JSON))
		bad = "--json";
	else if (o->since != NULL && !(a->options & OPT_SINCE))
		bad = "--since";
	else if (o->older_than != NULL && !(a->options & OPT_OLDER))
		bad = "--older-than";
	if (bad != NULL) {
		fprintf(stderr, "mugaika quarantine: %s does not apply to %s\n",
		    bad, a->name);
		return FALSE;
	}
	if ((a->options & OPT_OLDER) && o->older_than == NULL) {
		fprintf(stderr, "mugaika quarantine: %s needs --older-than\n",
		    a->name);
		return FALSE;
	}
	return TRUE;
}

int
mg_cli_quarantine(int argc, char **argv)
{
	g_autofree char *config = NULL, *store = NULL, *summary = NULL;
	g_autofree char *since = NULL, *older_than = NULL;
	gboolean json = FALSE;
	struct opts o = {0};
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {"store", 0, 0, G_OPTION_ARG_FILENAME, &store,
	        "Use the store in DIR instead of the config's "
	        "[quarantine] dir",
	        "DIR"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output (list, show)",
	        NULL},
	    {"since", 0, 0, G_OPTION_ARG_STRING, &since,
	        "Entries stored since SPEC (list)", "SPEC"},
	    {"older-than", 0, 0, G_OPTION_ARG_STRING, &older_than,
	        "Entries stored more than AGE ago (purge)", "AGE"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("ACTION [ID] - review the quarantine store");
	g_auto(GStrv) args = g_new0(char *, (gsize)argc + 1);
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(mg_policy) policy = NULL;
	const struct action *a;
	const char *id = NULL, *dir;
	guint nargs;
	int i;

	if (g_strcmp0(action_word(argc, argv), "release") == 0)
		return mg_cli_quarantine_release(argc, argv);
	/* argv[0] names the program in --help. */
	args[0] = g_strdup("mugaika quarantine");
	for (i = 1; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	summary = summary_text();
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(ctx,
	    "Exit status: 0 done; 1 no such entry; 64 usage error (unknown "
	    "action,\nbad ID or option); 75 the config or the store could "
	    "not be read, or output failed.");
	/* GOption takes options anywhere among the words, so --config
	 * works before and after the action. */
	if (!g_option_context_parse_strv(ctx, &args, &err)) {
		fail(err);
		return MG_EXIT_USAGE;
	}
	o.json = json;
	o.since = since;
	o.older_than = older_than;
	nargs = g_strv_length(args);
	if (nargs < 2) {
		fprintf(stderr, "mugaika quarantine: no action given\n");
		goto usage;
	}
	if ((a = find_action(args[1])) == NULL) {
		g_autofree char *s = mg_printable(args[1], -1, 0);

		fprintf(
		    stderr, "mugaika quarantine: unknown action \"%s\"\n", s);
		goto usage;
	}
	if (nargs != (a->takes_id ? 3u : 2u)) {
		fprintf(stderr, "mugaika quarantine: usage: %s\n", a->help);
		goto usage_out;
	}
	if (!check_options(a, &o))
		goto usage_out;
	if (a->takes_id) {
		id = args[2];
		if (!mg_qstore_valid_id(id)) {
			g_autofree char *s = mg_printable(id, -1, 0);

			fprintf(stderr,
			    "mugaika quarantine: \"%s\" is not a quarantine "
			    "id (like 20261122-7KQ2M3XH4TPA)\n",
			    s);
			goto usage_out;
		}
	}

	if (store != NULL) {
		dir = store;
	} else {
		policy = mg_policy_load(
		    config != NULL ? config : MG_DEFAULT_CONFIG, &err);
		if (policy == NULL) {
			fail(err);
			goto tempfail;
		}
		dir = policy->quarantine_dir;
	}
	/* Opening creates a missing store; reviewing should not, so a
	 * wrong path is reported instead of turned into an empty store. */
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_autofree char *s = mg_printable(dir, -1, 0);

		fprintf(stderr, "mugaika quarantine: no store at %s\n", s);
		goto tempfail;
	}
	if ((q = mg_qstore_open(dir, &err)) == NULL) {
		fail(err);
		goto tempfail;
	}

	if (strcmp(a->name, "list") == 0)
		return do_list(q, &o);
	if (strcmp(a->name, "show") == 0)
		return do_show(q, id, &o);
	if (strcmp(a->name, "export") == 0)
		return do_export(q, id);
	if (strcmp(a->name, "delete") == 0)
		return do_delete(q, id);
	return do_purge(q, &o);

usage:
	fprintf(stderr, "%s\n", summary);
usage_out:
	return MG_EXIT_USAGE;
tempfail:
	return MG_EXIT_TEMPFAIL;
}
