/*
 * mg_report.c - build the report with json-glib.  Strings are UTF-8 from
 * the decoders; json-glib escapes them for JSON, so no value can break the
 * document's structure.
 */
#include <json-glib/json-glib.h>

#include "cdr/mg_cdr.h"
#include "mg_report.h"
#include "util/mg_util.h"

static void
add_string(JsonBuilder *b, const char *key, const char *v)
{
	json_builder_set_member_name(b, key);
	if (v != NULL) {
		g_autofree char *fixed = mg_json_text(v);

		json_builder_add_string_value(b, fixed);
	} else {
		json_builder_add_null_value(b);
	}
}

char *
mg_report_json(const struct mg_report_info *info, const struct mg_walk *w)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	guint i;

	json_builder_begin_object(b);
	add_string(b, "disposition", info->disposition);
	add_string(b, "quarantine_id", info->quarantine_id);
	add_string(b, "action", info->action);
	add_string(b, "mode", info->mode);
	add_string(b, "message_id", info->message_id);
	add_string(b, "from", info->from);
	add_string(b, "subject", info->subject);
	add_string(b, "sender", info->sender);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (i = 0; info->recipients != NULL && info->recipients[i] != NULL;
	     i++)
		json_builder_add_string_value(b, info->recipients[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)info->size);
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_array(b);
	for (i = 0; i < w->reasons->len; i++)
		json_builder_add_string_value(b,
		    mg_reason_id(g_array_index(w->reasons, enum mg_reason, i)));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "parts");
	json_builder_begin_array(b);
	for (i = 0; i < w->parts->len; i++) {
		const struct mg_part *p = g_ptr_array_index(w->parts, i);

		json_builder_begin_object(b);
		add_string(b, "path", p->path);
		add_string(b, "filename", p->filename);
		add_string(b, "declared_type", p->declared_type);
		add_string(b, "detected_type", p->detected_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, (gint64)p->size);
		add_string(b, "sha256", p->sha256);
		add_string(b, "action", mg_action_name(p->action));
		add_string(b, "reason",
		    p->reason == MG_REASON_NONE ? NULL
		                                : mg_reason_id(p->reason));
		add_string(b, "threat", p->threat);
		if (p->note != NULL)
			add_string(b, "note", p->note);
		if (p->container != NULL)
			add_string(b, "container", p->container);
		if (p->module != NULL)
			add_string(b, "module", p->module);
		if (p->output_name != NULL)
			add_string(b, "output_name", p->output_name);
		if (p->cdr_removed != NULL) {
			guint j;

			json_builder_set_member_name(b, "removed");
			json_builder_begin_array(b);
			for (j = 0; p->cdr_removed[j] != NULL; j++) {
				json_builder_begin_object(b);
				add_string(b, "id", p->cdr_removed[j]);
				add_string(b, "text",
				    mg_cdr_removed_text(p->cdr_removed[j],
				        w->policy->language));
				json_builder_end_object(b);
			}
			json_builder_end_array(b);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	return json_generator_to_data(gen, NULL);
}
