/*
 * mg_clean.c - one file through the CDR modules (`mugaika clean`, the
 * route the policies name for files brought in from the Internet).
 *
 * Input: the bytes of one file and the name it came with (both
 * untrusted).  Order, each step able to refuse: size (max_part_size), the
 * same inspection an attachment receives (true type against name, blocked
 * types, disguises, malware scan, archive limits and encryption), a module
 * for the detected type (none: refused), the rebuild, and a scan of what
 * the module produced.  A refusal is a verdict with a reason; only an
 * environment failure returns NULL.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "cdr/mg_cdr.h"
#include "detect/mg_detect.h"
#include "mg_engine.h"
#include "mime/mg_walk.h"
#include "mugaika.h"
#include "scan/mg_scan.h"
#include "util/mg_util.h"

struct mugaika_clean {
	enum mugaika_clean_outcome outcome;
	GBytes *data;
	char *name;
	enum mg_reason reason;
	char *report;
};

void
mugaika_clean_free(mugaika_clean *c)
{
	if (c == NULL)
		return;
	if (c->data != NULL)
		g_bytes_unref(c->data);
	g_free(c->name);
	g_free(c->report);
	g_free(c);
}

enum mugaika_clean_outcome
mugaika_clean_outcome(const mugaika_clean *c)
{
	return c->outcome;
}

GBytes *
mugaika_clean_data(const mugaika_clean *c)
{
	return c->data;
}

const char *
mugaika_clean_name(const mugaika_clean *c)
{
	return c->name;
}

const char *
mugaika_clean_reason(const mugaika_clean *c)
{
	return c->reason == MG_REASON_NONE ? NULL : mg_reason_id(c->reason);
}

const char *
mugaika_clean_report_json(const mugaika_clean *c)
{
	return c->report;
}

static char *
read_all(int fd, guint64 max, gsize *len_r, gboolean *over_r, GError **err)
{
	GByteArray *ba = g_byte_array_new();
	guint8 buf[65536];
	ssize_t n;

	*over_r = FALSE;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "read: %s",
			    g_strerror(errno));
			g_byte_array_unref(ba);
			return NULL;
		}
		if (ba->len + (guint64)n > max) {
			*over_r = TRUE;
			break;
		}
		g_byte_array_append(ba, buf, (guint)n);
	}
	*len_r = ba->len;
	/* g_byte_array_free() returns NULL for an array that never grew:
	 * an empty file is a file (refused later), not a read error. */
	if (ba->len == 0) {
		g_byte_array_unref(ba);
		return g_malloc0(1);
	}
	return (char *)g_byte_array_free(ba, FALSE);
}

/* The report: the outcome, the input, the output, what was removed from
 * it (and from files inside it), the threats. */
static char *
clean_report(const mugaika_clean *c, const struct mg_walk *w,
    const struct mg_part *in, const char *lang)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	static const char *const outcomes[] = {
	    "rebuilt", "verified", "refused"};
	guint i, j;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "outcome");
	json_builder_add_string_value(b, outcomes[c->outcome]);
	json_builder_set_member_name(b, "reason");
	if (c->reason != MG_REASON_NONE)
		json_builder_add_string_value(b, mg_reason_id(c->reason));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "module");
	if (in->module != NULL)
		json_builder_add_string_value(b, in->module);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "input");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, in->filename ? in->filename : "");
	json_builder_set_member_name(b, "detected_type");
	json_builder_add_string_value(
	    b, in->detected_type ? in->detected_type : "");
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)in->size);
	json_builder_set_member_name(b, "sha256");
	json_builder_add_string_value(b, in->sha256 ? in->sha256 : "");
	json_builder_end_object(b);
	json_builder_set_member_name(b, "output");
	if (c->data != NULL) {
		g_autofree char *sha = mg_sha256_hex(
		    g_bytes_get_data(c->data, NULL), g_bytes_get_size(c->data));

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, c->name);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(
		    b, (gint64)g_bytes_get_size(c->data));
		json_builder_set_member_name(b, "sha256");
		json_builder_add_string_value(b, sha);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "removed");
	json_builder_begin_array(b);
	for (i = 0; in->cdr_removed != NULL && in->cdr_removed[i] != NULL;
	     i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, in->cdr_removed[i]);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(
		    b, mg_cdr_removed_text(in->cdr_removed[i], lang));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	/* Files inside it (members, embedded images): what became of each. */
	json_builder_set_member_name(b, "nested");
	json_builder_begin_array(b);
	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);

		if (p == in || p->container == NULL)
			continue;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(
		    b, p->filename ? p->filename : "");
		json_builder_set_member_name(b, "container");
		json_builder_add_string_value(b, p->container);
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, mg_action_name(p->action));
		json_builder_set_member_name(b, "reason");
		if (p->reason != MG_REASON_NONE)
			json_builder_add_string_value(
			    b, mg_reason_id(p->reason));
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "removed");
		json_builder_begin_array(b);
		for (j = 0; p->cdr_removed != NULL && p->cdr_removed[j] != NULL;
		     j++)
			json_builder_add_string_value(b, p->cdr_removed[j]);
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "threats");
	json_builder_begin_array(b);
	for (i = 0; i < w->threats->len; i++)
		json_builder_add_string_value(
		    b, g_ptr_array_index(w->threats, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "detail");
	if (in->note != NULL)
		json_builder_add_string_value(b, in->note);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	return json_generator_to_data(gen, NULL);
}

mugaika_clean *
mugaika_clean_fd(mugaika_engine *e, int fd, const char *name, GError **err)
{
	const struct mg_policy *pol = mg_engine_policy(e);
	mugaika_clean *c = g_new0(mugaika_clean, 1);
	g_autoptr(GBytes) in = NULL;
	struct mg_walk w;
	struct mg_part *p;
	gboolean over;
	gsize len;
	char *data;

	mg_walk_init(&w, pol, mg_engine_scan(e));
	data = read_all(fd, pol->limits.max_part_size, &len, &over, err);
	if (data == NULL) {
		mg_walk_clear(&w);
		g_free(c);
		return NULL;
	}
	in = g_bytes_new_take(data, len);
	p = mg_walk_add_part(&w, "1", MG_ACTION_REMOVED, MG_REASON_ATTACHMENT);
	p->filename = g_strdup(name);
	c->outcome = MUGAIKA_CLEAN_REFUSED;
	if (over) {
		c->reason = MG_REASON_PART_TOO_LARGE;
		p->size = len;
		goto done;
	}
	/* The inspection an attachment gets: a verdict here refuses. */
	mg_inspect_part(&w, p, in, 0);
	if (w.reasons->len > 0 || p->reason != MG_REASON_ATTACHMENT) {
		c->reason = w.reasons->len > 0
		                ? g_array_index(w.reasons, enum mg_reason, 0)
		                : p->reason;
		goto done;
	}
	/* The module, files inside handed back through the same path, and
	 * a scan of what comes out: what an attachment gets in mode = cdr. */
	mg_rebuild_part(&w, p, in);
	if (w.failure != NULL) {
		g_propagate_error(err, g_steal_pointer(&w.failure));
		mg_walk_clear(&w);
		mugaika_clean_free(c);
		return NULL;
	}
	if (w.outputs->len == 1) {
		const struct mg_output *o = g_ptr_array_index(w.outputs, 0);

		c->outcome = p->action == MG_ACTION_VERIFIED
		                 ? MUGAIKA_CLEAN_VERIFIED
		                 : MUGAIKA_CLEAN_REBUILT;
		c->data = g_bytes_ref(o->data);
		c->name = g_strdup(o->name);
	} else {
		c->reason = p->reason != MG_REASON_NONE ? p->reason
		                                        : MG_REASON_CDR_FAILED;
	}
done:
	c->report = clean_report(c, &w, p, pol->language);
	mg_walk_clear(&w);
	return c;
}
