/* Unit tests: the notice template renderer and the escaping of what it
 * shows. */
#include <string.h>

#include "text/mg_notice.h"

static struct mg_part *
part(const char *name, enum mg_action a, enum mg_reason r)
{
	struct mg_part *p = g_new0(struct mg_part, 1);

	p->path = g_strdup("2");
	p->filename = g_strdup(name);
	p->declared_type = g_strdup("application/pdf");
	p->detected_type = g_strdup("application/x-dosexec");
	p->size = 1234567;
	p->sha256 = g_strdup("ab12");
	p->action = a;
	p->reason = r;
	return p;
}

static const char *tmpl = "ID: {{quarantine_id}} ({{count}})\n"
                          "{{#parts}}\n"
                          "[{{n}}] {{filename}} {{size}} {{reason}}\n"
                          "{{/parts}}\n"
                          "{{#reasons}}\n"
                          "R: {{reasons}}\n"
                          "{{/reasons}}\n"
                          "end {{unknown}}.\n";

static void
test_render(void)
{
	g_autoptr(GPtrArray) parts =
	    g_ptr_array_new_with_free_func((GDestroyNotify)mg_part_free);
	g_autoptr(GArray) reasons =
	    g_array_new(FALSE, FALSE, sizeof(enum mg_reason));
	struct mg_notice_data d = {.lang = "ja",
	    .quarantine_id = "20261122-ABCDEFGHJKLM",
	    .parts = parts,
	    .reasons = reasons};
	g_autofree char *out = NULL;

	g_ptr_array_add(parts,
	    part("見積書①.pdf", MG_ACTION_REMOVED, MG_REASON_ATTACHMENT));
	g_ptr_array_add(parts, part("body.txt", MG_ACTION_KEPT, 0));
	g_ptr_array_add(parts, part("evil\xe2\x80\xaetxt.exe\r\nX: y",
	                           MG_ACTION_REMOVED, MG_REASON_UUENCODED));
	out = mg_notice_render(tmpl, &d);
	g_assert_cmpstr(out, ==,
	    "ID: 20261122-ABCDEFGHJKLM (2)\n"
	    "[1] 見積書①.pdf 1,234,567 添付ファイル（テキスト化のため削除）\n"
	    "[2] evil\\u{202E}txt.exe\\x0D\\x0AX: y 1,234,567 "
	    "本文中に埋め込まれた uuencode ファイル\n"
	    "end .\n");

	/* With message-level reasons, in English. */
	{
		enum mg_reason r = MG_REASON_MALFORMED_MIME;
		g_autofree char *en = NULL;

		g_array_append_val(reasons, r);
		d.lang = "en";
		en = mg_notice_render(tmpl, &d);
		g_assert_nonnull(
		    strstr(en, "R: malformed or ambiguous MIME structure\n"));
		g_assert_nonnull(strstr(en, "[1] 見積書①.pdf 1,234,567 "
		                            "attachment (removed"));
	}
}

static void
test_nameless(void)
{
	g_autoptr(GPtrArray) parts =
	    g_ptr_array_new_with_free_func((GDestroyNotify)mg_part_free);
	struct mg_notice_data d = {.lang = "ja", .parts = parts};
	g_autofree char *out = NULL;

	g_ptr_array_add(
	    parts, part(NULL, MG_ACTION_REMOVED, MG_REASON_INLINE_IMAGE));
	out = mg_notice_render("{{#parts}}{{filename}}{{/parts}}", &d);
	g_assert_cmpstr(out, ==, "（名前なし）");
}

static void
test_check(void)
{
	g_autoptr(GError) err = NULL;

	g_assert_true(mg_notice_check(tmpl, NULL));
	g_assert_false(mg_notice_check("{{#parts}} never closed", &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	g_assert_false(mg_notice_check("{{broken", &err));
}

static void
test_shipped_templates(void)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	static const char *const kinds[] = {"notice", "held", "virus", NULL};
	static const char *const langs[] = {"ja", "en", NULL};
	g_autofree char *dir = NULL;
	guint i, j;

	if (src == NULL) {
		g_test_skip("MUGAIKA_SOURCE_DIR not set");
		return;
	}
	dir = g_build_filename(src, "conf", "templates", NULL);
	for (i = 0; kinds[i] != NULL; i++) {
		for (j = 0; langs[j] != NULL; j++) {
			g_autoptr(GError) err = NULL;
			g_autofree char *t =
			    mg_notice_load(dir, kinds[i], langs[j], &err);

			g_assert_no_error(err);
			g_assert_nonnull(strstr(t, "{{quarantine_id}}"));
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/notice/render", test_render);
	g_test_add_func("/notice/nameless", test_nameless);
	g_test_add_func("/notice/check", test_check);
	g_test_add_func("/notice/shipped-templates", test_shipped_templates);
	return g_test_run();
}
