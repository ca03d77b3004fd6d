/*
 * mg_rebuild.c - mode = cdr (ファイル無害化): an attachment that passed the
 * inspection goes through the CDR module for its true type and is
 * delivered rebuilt, delivered as it is when the module proves it has no
 * risk factor, or stays removed (kept in quarantine) with the module's
 * reason.
 *
 * Input: the decoded bytes of a part the walk removed and inspected (true
 * type, disguises, blocked lists, malware scan, archive limits) without a
 * finding.  Files nested in it (an image in a docx, a member of a zip)
 * come back here through the module's ctx->nested and get the same
 * treatment one level deeper: inspection, module, scan of the result.
 * Limits: nesting against [limits] max_archive_depth, the number and bytes
 * of nested files against max_archive_members and max_archive_total (a
 * budget of their own: the container's inspection already charged the
 * archive budget once), each module's own limits.  What a module produces
 * is scanned again before it is delivered.
 *
 * A module's environment failure (memory, library init) sets w->failure:
 * the message is tempfailed, never delivered half-rebuilt.
 */
#include <string.h>

#include "cdr/mg_cdr.h"
#include "mime/mg_walk.h"
#include "unpack/mg_unpack.h"
#include "util/mg_util.h"

/* One module run: the part it is for, how deep, and the nested files. */
struct run {
	struct mg_walk *w;
	struct mg_part *part;
	guint depth;
	guint n_nested;
};

/* `module` in a per-format list of the policy ([cdr] formats, hyperlinks,
 * images, metadata). */
static gboolean
kept(char **list, const char *module)
{
	return list != NULL &&
	       g_strv_contains((const char *const *)list, module);
}

static void
set_note(struct mg_part *p, const char *note)
{
	g_free(p->note);
	p->note = g_strdup(note);
}

static char **
removed_ids(const struct mg_cdr_result *res)
{
	GPtrArray *a = g_ptr_array_new();
	guint i;

	for (i = 0; res->removed != NULL && i < res->removed->len; i++)
		g_ptr_array_add(
		    a, g_strdup(g_ptr_array_index(res->removed, i)));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static GBytes *nested(void *walk, const char *name, const char *type_hint,
    GBytes *data, char **extension_r);

/*
 * The inspection listed the members of an archive it opened (reason
 * archive_member: "inside a removed archive").  Once the archive is
 * rebuilt, those lines are wrong: the module handed each member back and
 * each got a record of its own.  Drop the inspection's, made before
 * index `start`.
 */
static void
drop_member_listing(struct mg_walk *w, const struct mg_part *p, guint start)
{
	g_autofree char *prefix = g_strdup_printf("%s/", p->path);
	guint i;

	for (i = start; i-- > 0;) {
		const struct mg_part *q = g_ptr_array_index(w->parts, i);

		if (q->reason == MG_REASON_ARCHIVE_MEMBER &&
		    g_str_has_prefix(q->path, prefix))
			g_ptr_array_remove_index(w->parts, i);
	}
}

/*
 * Run the module for `p` (already inspected, no finding).  Returns the
 * bytes to deliver (rebuilt or as they were) and sets p's action, module,
 * output name and removals; NULL when the file stays removed (p->reason
 * says why) or on an environment failure (w->failure).
 */
static GBytes *
rebuild(struct mg_walk *w, struct mg_part *p, GBytes *b, guint depth,
    const char *container_module, char **extension_r, char **mime_type_r)
{
	const struct mg_policy *pol = w->policy;
	const struct mg_cdr_module *mod;
	struct mg_cdr_result res;
	struct run run = {w, p, depth, 0};
	struct mg_cdr_ctx ctx = {0};
	g_autofree char *ext = mg_name_extension(p->filename);
	GBytes *out = NULL;
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	guint start = w->parts->len;

	mod = mg_cdr_pick(p->detected_type, ext, data, len);
	if (mod == NULL) {
		p->reason = MG_REASON_UNSUPPORTED;
		return NULL;
	}
	p->module = g_strdup(mod->name);
	if (!kept(pol->cdr_formats, mod->name)) {
		p->reason = MG_REASON_UNSUPPORTED;
		set_note(p, "format turned off in [cdr] formats");
		return NULL;
	}
	if (depth > 0 && container_module != NULL &&
	    !kept(pol->cdr_images_kept, container_module) &&
	    p->detected_type != NULL &&
	    g_str_has_prefix(p->detected_type, "image/")) {
		p->reason = MG_REASON_UNSUPPORTED;
		set_note(p, "images in documents are removed ([cdr] images)");
		return NULL;
	}
	ctx.policy = pol;
	ctx.limits = &pol->limits;
	ctx.keep_hyperlinks = kept(pol->cdr_links_kept, mod->name);
	ctx.keep_metadata = kept(pol->cdr_metadata_kept, mod->name);
	ctx.depth = depth;
	ctx.name = p->filename;
	ctx.nested = nested;
	ctx.walk = &run;
	mg_cdr_result_init(&res);
	if (mod->rebuild(&ctx, b, &res) != MG_OK) {
		if (w->failure == NULL)
			g_set_error(&w->failure, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "CDR module %s failed: %s", mod->name,
			    res.detail != NULL ? res.detail
			                       : "environment failure");
		mg_cdr_result_clear(&res);
		return NULL;
	}
	if (w->failure != NULL) {
		/* A nested file's module failed. */
		mg_cdr_result_clear(&res);
		return NULL;
	}
	switch (res.outcome) {
	case MG_CDR_REFUSED:
		p->reason = res.reason != MG_REASON_NONE ? res.reason
		                                         : MG_REASON_CDR_FAILED;
		if (res.detail != NULL)
			set_note(p, res.detail);
		break;
	case MG_CDR_VERIFIED:
		out = g_bytes_ref(b);
		p->action = MG_ACTION_VERIFIED;
		break;
	case MG_CDR_REBUILT:
		out = g_bytes_ref(res.data);
		p->action = MG_ACTION_REBUILT;
		*extension_r = g_strdup(res.extension);
		if (mime_type_r != NULL)
			*mime_type_r = g_strdup(res.mime_type);
		break;
	}
	if (out != NULL) {
		drop_member_listing(w, p, start);
		g_strfreev(p->cdr_removed);
		p->cdr_removed = removed_ids(&res);
		p->output_name = mg_name_deliverable(p->filename, *extension_r);
		p->reason = MG_REASON_NONE;
		/* What crosses is scanned again, as it will be delivered. */
		mg_inspect_scan_only(w, p, g_bytes_get_data(out, NULL),
		    g_bytes_get_size(out), p->output_name);
		if (p->reason != MG_REASON_NONE) {
			p->action = MG_ACTION_REMOVED;
			g_clear_pointer(&out, g_bytes_unref);
			g_clear_pointer(extension_r, g_free);
		}
	}
	mg_cdr_result_clear(&res);
	return out;
}

/*
 * ctx->nested: a file inside the one a module is rebuilding.  It is
 * recorded as a part of its own (so the report and the notice list it),
 * inspected like an attachment and rebuilt one level deeper.
 */
static GBytes *
nested(void *walk, const char *name, const char *type_hint, GBytes *data,
    char **extension_r)
{
	struct run *run = walk;
	struct mg_walk *w = run->w;
	const struct mg_limits *l = &w->policy->limits;
	g_autofree char *path = NULL;
	struct mg_part *p;
	guint before;
	GBytes *out;

	if (extension_r != NULL)
		*extension_r = NULL;
	if (w->failure != NULL || w->structural)
		return NULL;
	path = g_strdup_printf("%s/%u", run->part->path, ++run->n_nested);
	p = mg_walk_add_part(
	    w, path, MG_ACTION_REMOVED, MG_REASON_EMBEDDED_FILE);
	p->filename = g_strdup(name);
	p->declared_type = g_strdup(type_hint);
	p->container =
	    g_strdup(run->part->filename != NULL ? run->part->filename
	                                         : run->part->path);
	p->size = g_bytes_get_size(data);
	p->sha256 = mg_sha256_hex(g_bytes_get_data(data, NULL), p->size);
	w->cdr_files++;
	w->cdr_bytes += p->size;
	if (run->depth + 1 > l->max_archive_depth) {
		p->reason = MG_REASON_ARCHIVE_TOO_DEEP;
		return NULL;
	}
	if (w->cdr_files > l->max_archive_members ||
	    w->cdr_bytes > l->max_archive_total) {
		p->reason = MG_REASON_TOO_MANY_MEMBERS;
		return NULL;
	}
	before = w->reasons->len;
	mg_inspect_part(w, p, data, run->depth + 1);
	if (w->reasons->len != before || p->reason != MG_REASON_EMBEDDED_FILE ||
	    p->threat != NULL)
		return NULL;
	{
		g_autofree char *ext = NULL;

		out = rebuild(
		    w, p, data, run->depth + 1, run->part->module, &ext, NULL);
		if (out != NULL && extension_r != NULL)
			*extension_r = g_steal_pointer(&ext);
	}
	return out;
}

/* A file to deliver next to the text. */
static void
add_output(
    struct mg_walk *w, const struct mg_part *p, GBytes *out, const char *mime)
{
	struct mg_output *o = g_new0(struct mg_output, 1);

	o->name = g_strdup(p->output_name);
	if (mime != NULL)
		o->mime_type = g_ascii_strdown(mime, -1);
	else if (p->action == MG_ACTION_VERIFIED && p->detected_type != NULL)
		o->mime_type = g_strdup(p->detected_type);
	else
		o->mime_type = g_strdup("application/octet-stream");
	o->data = out;
	g_ptr_array_add(w->outputs, o);
}

struct tnef_run {
	struct mg_walk *w;
	struct mg_part *parent;
	guint n;
};

/* One attachment of a TNEF stream: an attachment of the mail of its own,
 * inspected and rebuilt like one. */
static gboolean
on_tnef_member(const struct mg_member *m, void *ctx)
{
	struct tnef_run *t = ctx;
	struct mg_walk *w = t->w;
	g_autofree char *path = NULL, *ext = NULL, *mime = NULL;
	struct mg_part *p;
	guint before;
	GBytes *out;

	if (w->failure != NULL || w->structural)
		return FALSE;
	if (m->kind != MG_MEMBER_FILE || m->data == NULL)
		return TRUE; /* not extracted: the inspection reported it */
	path = g_strdup_printf("%s/%u", t->parent->path, ++t->n);
	p = mg_walk_add_part(w, path, MG_ACTION_REMOVED, MG_REASON_ATTACHMENT);
	p->filename = g_strdup(m->name);
	p->note = g_strdup("unwrapped from TNEF (winmail.dat)");
	before = w->reasons->len;
	mg_inspect_part(w, p, m->data, 1);
	if (w->reasons->len != before || p->reason != MG_REASON_ATTACHMENT ||
	    p->threat != NULL)
		return TRUE;
	out = rebuild(w, p, m->data, 1, NULL, &ext, &mime);
	if (out != NULL)
		add_output(w, p, out, mime);
	return TRUE;
}

/*
 * winmail.dat: Outlook's wrapper goes, its attachments are delivered as
 * ordinary parts (each rebuilt), its text body is already in the text
 * (mg_walk.c uses it for a mail without one).
 */
static void
unwrap_tnef(struct mg_walk *w, struct mg_part *p, GBytes *b)
{
	struct mg_unpack_budget budget = {0};
	struct tnef_run t = {w, p, 0};
	gsize len;
	const void *data = g_bytes_get_data(b, &len);

	(void)mg_unpack_tnef(data, len, &w->policy->limits, &budget,
	    on_tnef_member, &t, NULL, NULL);
	p->action = MG_ACTION_CONVERTED;
	p->reason = MG_REASON_NONE;
	p->module = g_strdup("tnef");
}

void
mg_rebuild_part(struct mg_walk *w, struct mg_part *p, GBytes *b)
{
	g_autofree char *ext = NULL, *mime = NULL;
	GBytes *out;

	if (w->structural || w->failure != NULL)
		return;
	if (mg_inspect_is_tnef(p)) {
		unwrap_tnef(w, p, b);
		return;
	}
	out = rebuild(w, p, b, 0, NULL, &ext, &mime);
	if (out != NULL)
		add_output(w, p, out, mime);
}
