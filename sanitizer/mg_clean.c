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
	return (char *)g_byte_array_free(ba, FALSE);
}

static char *
extension_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');

	if (dot == NULL || dot[1] == '\0' || (slash != NULL && slash > dot))
		return NULL;
	return g_ascii_strdown(dot + 1, -1);
}

/* The output's name: the input's base name (never a path) with the new
 * extension when the module changed what the file is. */
static char *
output_name(const char *name, const char *new_ext)
{
	g_autofree char *base =
	    g_path_get_basename(name != NULL && *name != '\0' ? name : "file");
	char *dot;

	if (new_ext == NULL)
		return g_steal_pointer(&base);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base)
		*dot = '\0';
	return g_strdup_printf("%s.%s", base, new_ext);
}

static char *
clean_report(const mugaika_clean *c, const struct mg_walk *w,
    const struct mg_part *in, const struct mg_cdr_result *res,
    const char *module, const char *lang)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	static const char *const outcomes[] = {
	    "rebuilt", "verified", "refused"};
	guint i;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "outcome");
	json_builder_add_string_value(b, outcomes[c->outcome]);
	json_builder_set_member_name(b, "reason");
	if (c->reason != MG_REASON_NONE)
		json_builder_add_string_value(b, mg_reason_id(c->reason));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "module");
	if (module != NULL)
		json_builder_add_string_value(b, module);
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
	for (i = 0;
	     res != NULL && res->removed != NULL && i < res->removed->len;
	     i++) {
		const char *id = g_ptr_array_index(res->removed, i);

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, id);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, mg_cdr_removed_text(id, lang));
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
	if (res != NULL && res->detail != NULL)
		json_builder_add_string_value(b, res->detail);
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
	struct mg_cdr_result res;
	struct mg_cdr_ctx ctx = {0};
	const struct mg_cdr_module *mod = NULL;
	g_autoptr(GBytes) in = NULL;
	g_autofree char *ext = NULL;
	struct mg_walk w;
	struct mg_part *p;
	gboolean over;
	gsize len;
	char *data;

	mg_cdr_result_init(&res);
	mg_walk_init(&w, pol, mg_engine_scan(e));
	data = read_all(fd, pol->limits.max_part_size, &len, &over, err);
	if (data == NULL) {
		mg_walk_clear(&w);
		mg_cdr_result_clear(&res);
		g_free(c);
		return NULL;
	}
	in = g_bytes_new_take(data, len);
	p = mg_walk_add_part(&w, "1", MG_ACTION_REMOVED, MG_REASON_NONE);
	p->filename = g_strdup(name);
	c->outcome = MUGAIKA_CLEAN_REFUSED;
	if (over) {
		c->reason = MG_REASON_PART_TOO_LARGE;
		p->size = len;
		goto done;
	}
	/* The inspection an attachment gets: a verdict here refuses. */
	mg_inspect_part(&w, p, in, 0);
	if (w.reasons->len > 0) {
		c->reason = g_array_index(w.reasons, enum mg_reason, 0);
		goto done;
	}
	ext = name != NULL ? extension_of(name) : NULL;
	mod =
	    mg_cdr_pick(p->detected_type, ext, g_bytes_get_data(in, NULL), len);
	if (mod == NULL) {
		c->reason = MG_REASON_UNSUPPORTED;
		goto done;
	}
	ctx.policy = pol;
	ctx.limits = &pol->limits;
	ctx.keep_hyperlinks = TRUE;
	if (mod->rebuild(&ctx, in, &res) != MG_OK) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "%s module failed: %s", mod->name,
		    res.detail != NULL ? res.detail : "environment failure");
		mg_cdr_result_clear(&res);
		mg_walk_clear(&w);
		mugaika_clean_free(c);
		return NULL;
	}
	switch (res.outcome) {
	case MG_CDR_REFUSED:
		c->reason = res.reason != MG_REASON_NONE ? res.reason
		                                         : MG_REASON_CDR_FAILED;
		goto done;
	case MG_CDR_VERIFIED:
		c->outcome = MUGAIKA_CLEAN_VERIFIED;
		c->data = g_bytes_ref(in);
		c->name = output_name(name, NULL);
		break;
	case MG_CDR_REBUILT:
		c->outcome = MUGAIKA_CLEAN_REBUILT;
		c->data = g_bytes_ref(res.data);
		c->name = output_name(name, res.extension);
		break;
	}
	/* What crosses is scanned again. */
	{
		struct mg_part *op = mg_walk_add_part(
		    &w, "output", MG_ACTION_KEPT, MG_REASON_NONE);

		op->filename = g_strdup(c->name);
		mg_inspect_scan_only(&w, op, g_bytes_get_data(c->data, NULL),
		    g_bytes_get_size(c->data), c->name);
		if (op->reason != MG_REASON_NONE) {
			c->outcome = MUGAIKA_CLEAN_REFUSED;
			c->reason = op->reason;
			g_clear_pointer(&c->data, g_bytes_unref);
		}
	}
done:
	c->report = clean_report(
	    c, &w, p, &res, mod != NULL ? mod->name : NULL, pol->language);
	mg_cdr_result_clear(&res);
	mg_walk_clear(&w);
	return c;
}
