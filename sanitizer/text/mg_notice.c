/*
 * mg_notice.c - render the notice template.
 *
 * The template is the administrator's (trusted); the values are the
 * message's (untrusted) and each one goes through mg_printable() as it is
 * substituted.  Sections do not nest beyond one level of {{#parts}}
 * containing {{#value}} conditions; the renderer walks the template once
 * per part, so its cost is the template size times the part count.
 */
#include <string.h>

#include "text/mg_notice.h"
#include "util/mg_util.h"

char *
mg_notice_load(
    const char *dir, const char *kind, const char *lang, GError **err)
{
	g_autofree char *name = g_strdup_printf("%s.%s.txt", kind, lang);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, err))
		return NULL;
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		    "%s: template is not valid UTF-8", path);
		g_free(text);
		return NULL;
	}
	if (!mg_notice_check(text, err)) {
		g_prefix_error(err, "%s: ", path);
		g_free(text);
		return NULL;
	}
	return text;
}

static char *
format_size(guint64 n)
{
	g_autofree char *digits = g_strdup_printf("%" G_GUINT64_FORMAT, n);
	GString *s = g_string_new(NULL);
	gsize i, len = strlen(digits);

	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			g_string_append_c(s, ',');
		g_string_append_c(s, digits[i]);
	}
	return g_string_free(s, FALSE);
}

/* An attachment delivered after CDR (rebuilt, or verified as it was).
 * Files inside it (an image in a docx) are in the report; the notice
 * names what the reader gets. */
static gboolean
is_delivered_file(const struct mg_part *p)
{
	return (p->action == MG_ACTION_REBUILT ||
	           p->action == MG_ACTION_VERIFIED) &&
	       p->container == NULL;
}

/* The value of `name`, for the part `p` (may be NULL) or globally;
 * returns a new string, "" when the value is empty or unknown. */
static char *
value_of(const char *name, const struct mg_notice_data *d,
    const struct mg_part *p, guint n, guint count)
{
	const gboolean en = g_strcmp0(d->lang, "en") == 0;

	if (p != NULL) {
		if (strcmp(name, "n") == 0)
			return g_strdup_printf("%u", n);
		if (strcmp(name, "filename") == 0) {
			if (p->filename != NULL && *p->filename)
				return g_strdup(p->filename);
			/* The pseudo-parts the engine scans whole. */
			if (g_strcmp0(p->path, "message") == 0)
				return g_strdup(en ? "(the whole message)"
				                   : "（メール全体）");
			if (g_strcmp0(p->path, "text") == 0)
				return g_strdup(
				    en ? "(the message text)" : "（本文）");
			return g_strdup(en ? "(no name)" : "（名前なし）");
		}
		if (strcmp(name, "declared_type") == 0)
			return g_strdup(
			    p->declared_type ? p->declared_type : "-");
		if (strcmp(name, "detected_type") == 0)
			return g_strdup(
			    p->detected_type ? p->detected_type : "-");
		if (strcmp(name, "size") == 0)
			return format_size(p->size);
		if (strcmp(name, "sha256") == 0)
			return g_strdup(p->sha256 ? p->sha256 : "");
		if (strcmp(name, "reason") == 0)
			return g_strdup(mg_reason_text(p->reason, d->lang));
		if (strcmp(name, "path") == 0)
			return g_strdup(p->path ? p->path : "");
		if (strcmp(name, "note") == 0)
			return g_strdup(p->note ? p->note : "");
		if (strcmp(name, "threat") == 0)
			return g_strdup(p->threat ? p->threat : "");
		if (strcmp(name, "container") == 0)
			return g_strdup(p->container ? p->container : "");
		if (strcmp(name, "output_name") == 0)
			return g_strdup(p->output_name ? p->output_name : "");
		if (strcmp(name, "outcome") == 0) {
			if (p->action == MG_ACTION_REBUILT)
				return g_strdup(en ? "rebuilt" : "再構成済み");
			if (p->action == MG_ACTION_VERIFIED)
				return g_strdup(
				    en ? "checked: no active content"
				       : "確認済み（危険な要素なし）");
			return g_strdup("");
		}
		if (strcmp(name, "removed") == 0) {
			GString *s = g_string_new(NULL);
			guint i;

			for (i = 0; p->cdr_removed != NULL &&
			            p->cdr_removed[i] != NULL;
			     i++) {
				if (i > 0)
					g_string_append(s, en ? "; " : "、");
				g_string_append(
				    s, d->removed_text != NULL
				           ? d->removed_text(
				                 p->cdr_removed[i], d->lang)
				           : p->cdr_removed[i]);
			}
			return g_string_free(s, FALSE);
		}
	}
	if (strcmp(name, "quarantine_id") == 0)
		return g_strdup(d->quarantine_id ? d->quarantine_id : "");
	if (strcmp(name, "hostname") == 0)
		return g_strdup(d->hostname ? d->hostname : "");
	if (strcmp(name, "sender") == 0)
		return g_strdup(d->sender != NULL ? d->sender : "");
	if (strcmp(name, "threats") == 0) {
		GString *s = g_string_new(NULL);
		guint i;

		for (i = 0; d->threats != NULL && i < d->threats->len; i++) {
			if (i > 0)
				g_string_append(s, ", ");
			g_string_append(s, g_ptr_array_index(d->threats, i));
		}
		return g_string_free(s, FALSE);
	}
	if (strcmp(name, "count") == 0)
		return count > 0 ? g_strdup_printf("%u", count) : g_strdup("");
	if (strcmp(name, "rebuilt_count") == 0) {
		guint i, k = 0;

		for (i = 0; d->parts != NULL && i < d->parts->len; i++)
			k += is_delivered_file(g_ptr_array_index(d->parts, i));
		return k > 0 ? g_strdup_printf("%u", k) : g_strdup("");
	}
	if (strcmp(name, "reasons") == 0) {
		GString *s = g_string_new(NULL);
		guint i;

		for (i = 0; d->reasons != NULL && i < d->reasons->len; i++) {
			enum mg_reason r =
			    g_array_index(d->reasons, enum mg_reason, i);

			if (i > 0)
				g_string_append(s, en ? "; " : "、");
			g_string_append(s, mg_reason_text(r, d->lang));
		}
		return g_string_free(s, FALSE);
	}
	return g_strdup("");
}

/* Find the "{{/name}}" that closes the section opened at `p`. */
static const char *
section_end(const char *p, const char *name)
{
	g_autofree char *close = g_strdup_printf("{{/%s}}", name);

	return strstr(p, close);
}

gboolean
mg_notice_check(const char *tmpl, GError **err)
{
	const char *p = tmpl;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *e = strstr(p, "}}");

		if (e == NULL) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "unclosed {{");
			return FALSE;
		}
		if (p[2] == '#') {
			g_autofree char *name = g_strndup(p + 3, e - p - 3);

			if (section_end(e, name) == NULL) {
				g_set_error(err, G_FILE_ERROR,
				    G_FILE_ERROR_INVAL,
				    "section {{#%s}} is never closed", name);
				return FALSE;
			}
		}
		p = e + 2;
	}
	return TRUE;
}

static void render_range(GString *out, const char *p, const char *end,
    const struct mg_notice_data *d, const struct mg_part *part, guint n,
    guint count);

/* {{#parts}}: each removed part; {{#rebuilt}}: each delivered file. */
static void
render_parts(GString *out, const char *body, const char *end,
    const struct mg_notice_data *d, guint count, gboolean rebuilt)
{
	guint i, n = 0;

	for (i = 0; d->parts != NULL && i < d->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(d->parts, i);

		if (rebuilt ? !is_delivered_file(p)
		            : p->action != MG_ACTION_REMOVED)
			continue;
		render_range(out, body, end, d, p, ++n, count);
	}
}

static void
render_range(GString *out, const char *p, const char *end,
    const struct mg_notice_data *d, const struct mg_part *part, guint n,
    guint count)
{
	while (p < end) {
		const char *o = g_strstr_len(p, end - p, "{{");
		const char *c;
		g_autofree char *name = NULL;

		if (o == NULL || (c = g_strstr_len(o, end - o, "}}")) == NULL) {
			g_string_append_len(out, p, end - p);
			return;
		}
		g_string_append_len(out, p, o - p);
		if (o[2] == '#') {
			const char *close, *after;

			name = g_strndup(o + 3, c - o - 3);
			close = section_end(c, name);
			if (close == NULL || close > end)
				return;
			after = close + strlen(name) + 5;
			/* A section that starts a line and ends one leaves
			 * no blank line behind. */
			if (c[2] == '\n')
				c++;
			if (*after == '\n')
				after++;
			if ((strcmp(name, "parts") == 0 ||
			        strcmp(name, "rebuilt") == 0) &&
			    part == NULL) {
				render_parts(out, c + 2, close, d, count,
				    strcmp(name, "rebuilt") == 0);
			} else {
				g_autofree char *v =
				    value_of(name, d, part, n, count);

				if (*v != '\0')
					render_range(out, c + 2, close, d, part,
					    n, count);
			}
			p = after;
			continue;
		}
		name = g_strndup(o + 2, c - o - 2);
		{
			g_autofree char *v =
			    value_of(g_strstrip(name), d, part, n, count);
			g_autofree char *safe = mg_printable(v, -1, 0);

			g_string_append(out, safe);
		}
		p = c + 2;
	}
}

char *
mg_notice_render(const char *tmpl, const struct mg_notice_data *d)
{
	GString *out = g_string_new(NULL);
	guint i, count = 0;

	for (i = 0; d->parts != NULL && i < d->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(d->parts, i);

		if (p->action == MG_ACTION_REMOVED)
			count++;
	}
	render_range(out, tmpl, tmpl + strlen(tmpl), d, NULL, 0, count);
	return g_string_free(out, FALSE);
}
