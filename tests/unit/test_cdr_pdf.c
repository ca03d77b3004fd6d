/*
 * test_cdr_pdf.c - the PDF CDR module: each kind of active content is
 * taken out (open actions, /AA, JavaScript, embedded files, file
 * attachment and multimedia annotations, XFA, every action but GoTo,
 * hyperlinks per policy, /Next chains, streams whose data is another
 * file, content hidden in object streams or after %%EOF), the page text
 * survives, clean documents come back with nothing reported, encrypted,
 * damaged, truncated and over-limit files are refused.
 *
 * The PDFs are written here by hand (a page with "Hello mugaika" in
 * Helvetica, plus the hostile objects of each case) and, where a case
 * needs it, rewritten with qpdf's writer (object streams, encryption).
 * Every rebuilt file is read back with qpdf (a full check), rewritten
 * with every stream decoded and every object kept, referenced or not,
 * and that text is searched for each removed payload's marker; its
 * objects are walked again for any banned key, action or annotation; and
 * its pages' content must equal the original's (and pdftotext's output
 * too, when pdftotext is installed).  The public samples come from
 * $MUGAIKA_SOURCE_DIR/../shared/corpus-external; those tests are skipped
 * when it is missing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <qpdf/qpdf-c.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_pdf;

#define MIB (1024u * 1024u)

/* ---- writing PDFs by hand ---- */

/*
 * Objects 1 to 5 are the catalog, the page tree, the page, its content
 * and its font; a case adds its own objects from 6 on and entries to the
 * catalog, the page and the page's resources dictionaries.
 */
struct doc {
	GPtrArray *objs; /* char *: the text between "N 0 obj" and "endobj" */
	GString *catalog, *page, *resources;
};

static struct doc *
doc_new(void)
{
	struct doc *d = g_new0(struct doc, 1);

	d->objs = g_ptr_array_new_with_free_func(g_free);
	d->catalog = g_string_new(NULL);
	d->page = g_string_new(NULL);
	d->resources = g_string_new(NULL);
	g_ptr_array_add(d->objs, NULL); /* 1: rendered in doc_bytes() */
	g_ptr_array_add(
	    d->objs, g_strdup("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"));
	g_ptr_array_add(d->objs, NULL); /* 3: rendered in doc_bytes() */
	g_ptr_array_add(
	    d->objs, g_strdup("<< /Length 44 >>\nstream\n"
	                      "BT /F1 24 Tf 72 700 Td (Hello mugaika) Tj ET\n"
	                      "endstream"));
	g_ptr_array_add(d->objs,
	    g_strdup("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
	             "/Encoding /WinAnsiEncoding >>"));
	return d;
}

static void
doc_free(struct doc *d)
{
	g_ptr_array_unref(d->objs);
	g_string_free(d->catalog, TRUE);
	g_string_free(d->page, TRUE);
	g_string_free(d->resources, TRUE);
	g_free(d);
}

typedef struct doc Doc;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Doc, doc_free)

/* Add an object; returns its number. */
static guint G_GNUC_PRINTF(2, 3) doc_add(struct doc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(d->objs, g_strdup_vprintf(fmt, ap));
	va_end(ap);
	return d->objs->len;
}

/* Add a stream object holding `data`, with `dict` entries besides its
 * /Length. */
static guint
doc_add_stream(struct doc *d, const char *dict, const char *data)
{
	return doc_add(d, "<< %s /Length %zu >>\nstream\n%s\nendstream", dict,
	    strlen(data), data);
}

static GBytes *
doc_bytes(struct doc *d)
{
	GString *s = g_string_new("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
	g_autofree gsize *off = g_new0(gsize, d->objs->len + 1);
	gsize xref;
	guint i;

	g_free(d->objs->pdata[0]);
	d->objs->pdata[0] = g_strdup_printf(
	    "<< /Type /Catalog /Pages 2 0 R %s >>", d->catalog->str);
	g_free(d->objs->pdata[2]);
	d->objs->pdata[2] = g_strdup_printf(
	    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
	    "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> %s >> %s >>",
	    d->resources->str, d->page->str);
	for (i = 0; i < d->objs->len; i++) {
		off[i] = s->len;
		g_string_append_printf(s, "%u 0 obj\n%s\nendobj\n", i + 1,
		    (const char *)g_ptr_array_index(d->objs, i));
	}
	xref = s->len;
	g_string_append_printf(
	    s, "xref\n0 %u\n0000000000 65535 f \n", d->objs->len + 1);
	for (i = 0; i < d->objs->len; i++)
		g_string_append_printf(s, "%010zu 00000 n \n", off[i]);
	g_string_append_printf(s,
	    "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    d->objs->len + 1, xref);
	return g_string_free_to_bytes(s);
}

/* ---- running the module ---- */

static struct mg_limits limits;

static void
run(GBytes *in, gboolean keep_links, struct mg_cdr_result *r)
{
	struct mg_cdr_ctx ctx = {0};

	ctx.limits = &limits;
	ctx.keep_hyperlinks = keep_links;
	ctx.keep_metadata = TRUE; /* metadata: test_metadata */
	mg_cdr_result_init(r);
	g_assert_cmpint(mg_cdr_pdf.rebuild(&ctx, in, r), ==, MG_OK);
}

static gboolean
removed(const struct mg_cdr_result *r, const char *id)
{
	guint i;

	for (i = 0; i < r->removed->len; i++)
		if (strcmp(g_ptr_array_index(r->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

/* Refused for `reason`, with `detail` in the log line when not NULL. */
static void
assert_refused_with(GBytes *in, enum mg_reason reason, const char *detail)
{
	struct mg_cdr_result r;

	run(in, TRUE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.reason, ==, reason);
	g_assert_null(r.data);
	g_assert_nonnull(r.detail);
	g_assert_cmpuint(r.removed->len, ==, 0);
	g_test_message("refused: %s", r.detail);
	if (detail != NULL && strstr(r.detail, detail) == NULL)
		g_error("refused for \"%s\", not \"%s\"", r.detail, detail);
	mg_cdr_result_clear(&r);
}

static void
assert_refused(GBytes *in, enum mg_reason reason)
{
	assert_refused_with(in, reason, NULL);
}

/* ---- reading the result back ---- */

static qpdf_data
open_pdf(GBytes *pdf)
{
	qpdf_data q = qpdf_init();
	gsize len;
	const char *p = g_bytes_get_data(pdf, &len);

	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	g_assert_cmpint(
	    qpdf_read_memory(q, "test.pdf", p, len, ""), ==, QPDF_SUCCESS);
	return q;
}

/*
 * The rebuilt file with every stream decoded, object streams unpacked
 * and every object of its cross-reference table written, referenced or
 * not: if a payload is anywhere in the file, it is in this text.  qpdf's
 * full check (`qpdf --check`) must pass first.
 */
static GBytes *
expand(GBytes *pdf)
{
	qpdf_data q = open_pdf(pdf);
	GBytes *b;

	g_assert_cmpint(qpdf_check_pdf(q), ==, QPDF_SUCCESS);
	g_assert_cmpint(qpdf_init_write_memory(q), ==, QPDF_SUCCESS);
	qpdf_set_preserve_unreferenced_objects(q, QPDF_TRUE);
	qpdf_set_object_stream_mode(q, qpdf_o_disable);
	qpdf_set_stream_data_mode(q, qpdf_s_uncompress);
	qpdf_set_decode_level(q, qpdf_dl_specialized);
	g_assert_cmpint(qpdf_write(q), ==, QPDF_SUCCESS);
	b = g_bytes_new(qpdf_get_buffer(q), qpdf_get_buffer_length(q));
	qpdf_cleanup(&q);
	return b;
}

static gboolean
contains(GBytes *b, const char *needle)
{
	gsize len, n = strlen(needle), i;
	const guint8 *p = g_bytes_get_data(b, &len);

	for (i = 0; i + n <= len; i++)
		if (p[i] == (guint8)needle[0] && memcmp(p + i, needle, n) == 0)
			return TRUE;
	return FALSE;
}

static const char *const bad_keys[] = {"/OpenAction", "/AA", "/JS",
    "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent", "/3DD",
    "/Renditions"};
static const char *const action_names[] = {"/GoToR", "/GoToE", "/GoToDp",
    "/Launch", "/Thread", "/Sound", "/Movie", "/Hide", "/Named", "/SubmitForm",
    "/ResetForm", "/ImportData", "/SetOCGState", "/Rendition", "/Trans",
    "/GoTo3DView", "/JavaScript", "/RichMediaExecute"};
static const char *const bad_annots[] = {
    "/FileAttachment", "/RichMedia", "/3D", "/Movie", "/Sound", "/Screen"};

static gboolean
in_list(const char *s, const char *const *list, gsize n)
{
	gsize i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return TRUE;
	return FALSE;
}

/* A name value of `dict`, or "" (a static copy). */
static const char *
name_at(qpdf_data q, qpdf_oh dict, const char *key)
{
	static char buf[128];
	qpdf_oh v = qpdf_oh_get_key(q, dict, key);

	buf[0] = '\0';
	if (qpdf_oh_is_name(q, v))
		g_strlcpy(buf, qpdf_oh_get_name(q, v), sizeof(buf));
	return buf;
}

struct check {
	qpdf_data q;
	GHashTable *seen;
	gboolean links_allowed;
	guint uris; /* URI actions found */
};

/* Walk the rebuilt file from its trailer the module's way but with code
 * of its own, failing on anything that should have gone. */
static void
check_obj(struct check *c, qpdf_oh oh, guint depth)
{
	qpdf_data q = c->q;
	qpdf_oh d;
	int i, n;

	g_assert_cmpuint(depth, <, 20000);
	if (qpdf_oh_is_indirect(q, oh)) {
		char *key =
		    g_strdup_printf("%d %d", qpdf_oh_get_object_id(q, oh),
		        qpdf_oh_get_generation(q, oh));

		if (!g_hash_table_add(c->seen, key))
			return;
	}
	if (qpdf_oh_is_array(q, oh)) {
		n = qpdf_oh_get_array_n_items(q, oh);
		for (i = 0; i < n; i++)
			check_obj(
			    c, qpdf_oh_get_array_item(q, oh, i), depth + 1);
		return;
	}
	if (qpdf_oh_is_stream(q, oh))
		d = qpdf_oh_get_dict(q, oh);
	else if (qpdf_oh_is_dictionary(q, oh))
		d = oh;
	else
		return;
	{
		g_autoptr(GPtrArray) keys =
		    g_ptr_array_new_with_free_func(g_free);
		const char *s;
		guint k;

		qpdf_oh_begin_dict_key_iter(q, d);
		while (qpdf_oh_dict_more_keys(q))
			g_ptr_array_add(
			    keys, g_strdup(qpdf_oh_dict_next_key(q)));
		for (k = 0; k < keys->len; k++) {
			const char *key = g_ptr_array_index(keys, k);

			if (in_list(key, bad_keys, G_N_ELEMENTS(bad_keys)))
				g_error("key %s left in the output", key);
		}
		s = name_at(q, d, "/S");
		if (in_list(s, action_names, G_N_ELEMENTS(action_names)))
			g_error("action %s left in the output", s);
		if (strcmp(s, "/URI") == 0) {
			g_assert_true(c->links_allowed);
			c->uris++;
		}
		s = name_at(q, d, "/Subtype");
		if (in_list(s, bad_annots, G_N_ELEMENTS(bad_annots)))
			g_error("annotation %s left in the output", s);
		for (k = 0; k < keys->len; k++)
			check_obj(c,
			    qpdf_oh_get_key(q, d, g_ptr_array_index(keys, k)),
			    depth + 1);
	}
}

/* The text of each page, as pdftotext shows it, or NULL when pdftotext
 * is not installed. */
static char *
pdftotext(GBytes *pdf)
{
	g_autofree char *prog = g_find_program_in_path("pdftotext");
	g_autofree char *path = NULL;
	g_autoptr(GError) err = NULL;
	char *text = NULL;
	gsize len;
	const char *p = g_bytes_get_data(pdf, &len);
	int fd, status;

	if (prog == NULL)
		return NULL;
	fd = g_file_open_tmp("mugaika-pdf-XXXXXX.pdf", &path, &err);
	g_assert_no_error(err);
	g_assert_true(g_file_set_contents(path, p, len, &err));
	close(fd);
	{
		char *argv[] = {prog, (char *)"-q", (char *)"-enc",
		    (char *)"UTF-8", path, (char *)"-", NULL};

		g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT,
		    NULL, NULL, &text, NULL, &status, &err));
	}
	g_assert_no_error(err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	unlink(path);
	return text;
}

/* Each page's content (decoded, all its streams in order). */
static GPtrArray *
page_contents(GBytes *pdf)
{
	qpdf_data q = open_pdf(pdf);
	GPtrArray *pages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	int i, n = qpdf_get_num_pages(q);

	g_assert_false(qpdf_has_error(q));
	for (i = 0; i < n; i++) {
		unsigned char *buf = NULL;
		size_t len = 0;
		qpdf_oh page = qpdf_get_page_n(q, i);

		g_assert_cmpint(
		    qpdf_oh_get_page_content_data(q, page, &buf, &len), ==,
		    QPDF_SUCCESS);
		g_ptr_array_add(pages, g_bytes_new(buf, len));
		free(buf);
	}
	qpdf_cleanup(&q);
	return pages;
}

/* The text survives: same pages with the same content, and the same
 * text for pdftotext. */
static void
assert_text_survives(GBytes *before, GBytes *after)
{
	g_autoptr(GPtrArray) a = page_contents(before);
	g_autoptr(GPtrArray) b = page_contents(after);
	g_autofree char *ta = NULL, *tb = NULL;
	guint i;

	g_assert_cmpuint(a->len, ==, b->len);
	g_assert_cmpuint(a->len, >, 0);
	for (i = 0; i < a->len; i++)
		g_assert_true(g_bytes_equal(a->pdata[i], b->pdata[i]));
	ta = pdftotext(before);
	tb = pdftotext(after);
	if (ta != NULL) {
		g_assert_nonnull(tb);
		g_assert_cmpstr(ta, ==, tb);
		if (contains(before, "(Hello mugaika) Tj"))
			g_assert_nonnull(strstr(tb, "Hello mugaika"));
	} else {
		g_test_message("pdftotext not installed: content compared");
	}
}

/*
 * What every rebuilt file must show: it is a PDF qpdf reads back without
 * a complaint; none of `markers` is anywhere in it, streams decoded and
 * unreferenced objects included; no banned key, action or annotation is
 * reachable; and the page text is the input's.  Returns the number of
 * URI actions left.
 */
static guint
assert_clean(GBytes *in, const struct mg_cdr_result *r,
    const char *const *markers, gboolean links_allowed)
{
	g_autoptr(GBytes) big = NULL;
	struct check c = {0};
	guint i;

	g_assert_cmpint(r->outcome, ==, MG_CDR_REBUILT);
	g_assert_nonnull(r->data);
	g_assert_cmpstr(r->mime_type, ==, "application/pdf");
	g_assert_null(r->extension);
	big = expand(r->data);
	for (i = 0; markers != NULL && markers[i] != NULL; i++) {
		if (contains(r->data, markers[i]) || contains(big, markers[i]))
			g_error("marker %s left in the output", markers[i]);
	}
	c.q = open_pdf(r->data);
	c.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c.links_allowed = links_allowed;
	check_obj(&c, qpdf_get_trailer(c.q), 0);
	g_assert_false(qpdf_has_error(c.q));
	g_assert_false(qpdf_more_warnings(c.q));
	g_hash_table_unref(c.seen);
	qpdf_cleanup(&c.q);
	assert_text_survives(in, r->data);
	return c.uris;
}

/* Rebuild the case, check it, and check that `ids` (NULL-terminated)
 * are exactly the removals reported. */
static void
assert_case(struct doc *d, gboolean keep_links, const char *const *ids,
    const char *const *markers)
{
	g_autoptr(GBytes) in = doc_bytes(d);
	struct mg_cdr_result r;
	guint i, n = 0;

	g_assert_true(contains(in, "Hello mugaika"));
	for (i = 0; markers != NULL && markers[i] != NULL; i++)
		g_assert_true(contains(in, markers[i]));
	run(in, keep_links, &r);
	if (r.outcome != MG_CDR_REBUILT)
		g_error("refused: %s", r.detail);
	assert_clean(in, &r, markers, keep_links);
	for (i = 0; ids != NULL && ids[i] != NULL; i++, n++)
		if (!removed(&r, ids[i]))
			g_error("%s not reported", ids[i]);
	g_assert_cmpuint(r.removed->len, ==, n);
	mg_cdr_result_clear(&r);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- the cases ---- */

static void
test_clean(void)
{
	g_autoptr(Doc) d = doc_new();

	/* A link inside the document stays, quietly; so do the other
	 * meanings of /S (transparency group, page labels, structure
	 * element, border style) and keys of unexpected types. */
	doc_add(d, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
	           "/BS << /S /S /W 1 >> /A << /S /GoTo /D [3 0 R /Fit] >> >>");
	g_string_append(d->page,
	    "/Annots [6 0 R] /Group << /S /Transparency /CS /DeviceRGB >> "
	    "/Trans << /S /Wipe /D 1 >>");
	g_string_append(d->catalog,
	    "/PageLabels << /Nums [0 << /S /D >>] >> /StructTreeRoot << /K "
	    "<< /S /P /Pg 3 0 R /K 0 >> >> /Odd << /S (text) /Subtype 5 "
	    "/A 7 /Next (x) /Annots 1 >>");
	assert_case(d, TRUE, NULL, NULL);
}

static void
test_open_action_js(void)
{
	g_autoptr(Doc) d = doc_new();
	guint js = doc_add(d, "<< /Type /Action /S /JavaScript "
	                      "/JS (app.alert\\('MGX-OPENACTION'\\)) >>");

	g_string_append_printf(d->catalog, "/OpenAction %u 0 R", js);
	assert_case(d, TRUE, IDS(MG_CDR_RM_AUTOACTION, MG_CDR_RM_JAVASCRIPT),
	    IDS("MGX-OPENACTION"));
}

/* A destination as /OpenAction only shows a page: it goes, unreported. */
static void
test_open_action_dest(void)
{
	g_autoptr(Doc) d = doc_new();

	g_string_append(d->catalog, "/OpenAction [3 0 R /XYZ null null 0]");
	assert_case(d, TRUE, NULL, NULL);
}

static void
test_page_aa(void)
{
	g_autoptr(Doc) d = doc_new();
	guint launch =
	    doc_add(d, "<< /S /Launch /F (calc.exe) /Win << /F (cmd.exe) "
	               "/P (/c MGX-AA-LAUNCH) >> >>");

	g_string_append_printf(d->page,
	    "/AA << /O << /S /JavaScript /JS (MGX-AA-JS) >> /C %u 0 R >>",
	    launch);
	g_string_append(
	    d->catalog, "/AA << /WC << /S /JavaScript /JS (MGX-DOC-AA) >> >>");
	assert_case(d, TRUE,
	    IDS(MG_CDR_RM_AUTOACTION, MG_CDR_RM_JAVASCRIPT, MG_CDR_RM_ACTIONS),
	    IDS("MGX-AA-LAUNCH", "MGX-AA-JS", "MGX-DOC-AA"));
}

static void
test_names_js(void)
{
	g_autoptr(Doc) d = doc_new();
	guint code = doc_add_stream(d, "", "app.alert('MGX-NAMES-JS');");
	guint act = doc_add(d, "<< /S /JavaScript /JS %u 0 R >>", code);
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;
	qpdf_data q;
	qpdf_oh names;

	g_string_append_printf(d->catalog,
	    "/Names << /JavaScript << /Names [(init) %u 0 R] >> "
	    "/Dests << /Names [(first) [3 0 R /Fit]] >> >>",
	    act);
	assert_case(d, TRUE, IDS(MG_CDR_RM_JAVASCRIPT), IDS("MGX-NAMES-JS"));

	/* The named destinations stay. */
	in = doc_bytes(d);
	run(in, TRUE, &r);
	q = open_pdf(r.data);
	names = qpdf_oh_get_key(q, qpdf_get_root(q), "/Names");
	g_assert_true(qpdf_oh_has_key(q, names, "/Dests"));
	g_assert_false(qpdf_oh_has_key(q, names, "/JavaScript"));
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

static void
test_embedded_files(void)
{
	g_autoptr(Doc) d = doc_new();
	guint data =
	    doc_add_stream(d, "/Type /EmbeddedFile", "MZ MGX-EMBEDDED-PAYLOAD");
	guint spec = doc_add(d,
	    "<< /Type /Filespec /F (evil.exe) /UF (evil.exe) "
	    "/EF << /F %u 0 R >> >>",
	    data);

	g_string_append_printf(d->catalog,
	    "/Names << /EmbeddedFiles << /Names [(evil.exe) %u 0 R] >> >>",
	    spec);
	/* PDF 2.0 associated files reach the same file specification. */
	g_string_append_printf(d->page, "/AF [%u 0 R]", spec);
	assert_case(d, TRUE, IDS(MG_CDR_RM_EMBEDDED),
	    IDS("MGX-EMBEDDED-PAYLOAD", "evil.exe"));
}

static void
test_launch_link(void)
{
	g_autoptr(Doc) d = doc_new();
	guint link =
	    doc_add(d, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
	               "/A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) "
	               "/P (/c MGX-LAUNCH) >> >> >>");
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;
	qpdf_data q;
	qpdf_oh annots;

	g_string_append_printf(d->page, "/Annots [%u 0 R]", link);
	assert_case(d, TRUE, IDS(MG_CDR_RM_ACTIONS), IDS("MGX-LAUNCH"));

	/* The link itself stays, without its action. */
	in = doc_bytes(d);
	run(in, TRUE, &r);
	q = open_pdf(r.data);
	annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
	g_assert_cmpint(qpdf_oh_get_array_n_items(q, annots), ==, 1);
	g_assert_false(
	    qpdf_oh_has_key(q, qpdf_oh_get_array_item(q, annots, 0), "/A"));
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

/* Every action type but GoTo goes, each reported under its kind. */
static void
test_action_types(void)
{
	static const struct {
		const char *action, *id;
	} cases[] = {
	    {"/S /Launch /F (MGX-ACT)", MG_CDR_RM_ACTIONS},
	    {"/S /SubmitForm /F << /FS /URL /F (http://x/MGX-ACT) >>",
	        MG_CDR_RM_ACTIONS},
	    {"/S /ImportData /F (MGX-ACT.fdf)", MG_CDR_RM_ACTIONS},
	    {"/S /GoToR /F (MGX-ACT.pdf) /D [0 /Fit]", MG_CDR_RM_ACTIONS},
	    {"/S /GoToE /T << /R /C /N (MGX-ACT) >> /D [0 /Fit]",
	        MG_CDR_RM_ACTIONS},
	    {"/S /Rendition /OP 0 /R << /S /MR /N (MGX-ACT) >>",
	        MG_CDR_RM_ACTIONS},
	    {"/S /ResetForm /Fields [(MGX-ACT)]", MG_CDR_RM_ACTIONS},
	    {"/S /Named /N /Print /X (MGX-ACT)", MG_CDR_RM_ACTIONS},
	    {"/S /Hide /T (MGX-ACT)", MG_CDR_RM_ACTIONS},
	    {"/S /JavaScript /JS (MGX-ACT)", MG_CDR_RM_JAVASCRIPT},
	    {"/S /Whatever /X (MGX-ACT)", MG_CDR_RM_ACTIONS},
	    {"/S /URI /URI (file:///c:/MGX-ACT.exe)", MG_CDR_RM_LINKS},
	    {"/S /URI /URI (javascript:MGX-ACT)", MG_CDR_RM_LINKS},
	    {"/S /URI /URI (http://x/ MGX-ACT)", MG_CDR_RM_LINKS},
	    {"/S /URI /URI (MGX-ACT.html)", MG_CDR_RM_LINKS},
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Doc) d = doc_new();
		guint link = doc_add(d,
		    "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
		    "/A << %s >> >>",
		    cases[i].action);

		g_test_message("action %s", cases[i].action);
		g_string_append_printf(d->page, "/Annots [%u 0 R]", link);
		assert_case(d, TRUE, IDS(cases[i].id), IDS("MGX-ACT"));
	}
}

static void
test_uri_link(void)
{
	g_autoptr(Doc) d = doc_new();
	guint link =
	    doc_add(d, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
	               "/A << /S /URI /URI (https://example.jp/mugaika) >> >>");
	guint mail =
	    doc_add(d, "<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
	               "/A << /S /URI /URI (MAILTO:info@example.jp) >> >>");
	g_autoptr(GBytes) in = NULL, big = NULL;
	struct mg_cdr_result r;

	g_string_append_printf(d->page, "/Annots [%u 0 R %u 0 R]", link, mail);
	in = doc_bytes(d);

	/* Kept by default policy: nothing removed, both links there. */
	run(in, TRUE, &r);
	g_assert_cmpuint(assert_clean(in, &r, NULL, TRUE), ==, 2);
	g_assert_cmpuint(r.removed->len, ==, 0);
	big = expand(r.data);
	g_assert_true(contains(big, "https://example.jp/mugaika"));
	mg_cdr_result_clear(&r);

	/* Disabled: both go. */
	assert_case(d, FALSE, IDS(MG_CDR_RM_LINKS),
	    IDS("example.jp/mugaika", "info@example.jp"));
}

static void
test_file_attachment_annot(void)
{
	g_autoptr(Doc) d = doc_new();
	guint data =
	    doc_add_stream(d, "/Type /EmbeddedFile", "MZ MGX-ATTACHED-PAYLOAD");
	guint annot = doc_add(d,
	    "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] "
	    "/Contents (MGX-ATTACH-NOTE) /FS << /Type /Filespec "
	    "/F (a.exe) /EF << /F %u 0 R >> >> >>",
	    data);
	guint link = doc_add(d, "<< /Type /Annot /Subtype /Link "
	                        "/Rect [0 0 10 10] /Dest [3 0 R /Fit] >>");
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;
	qpdf_data q;
	qpdf_oh annots;

	g_string_append_printf(d->page, "/Annots [%u 0 R %u 0 R]", annot, link);
	assert_case(d, TRUE, IDS(MG_CDR_RM_EMBEDDED),
	    IDS("MGX-ATTACHED-PAYLOAD", "MGX-ATTACH-NOTE"));

	/* Only the attachment left the page's annotations. */
	in = doc_bytes(d);
	run(in, TRUE, &r);
	q = open_pdf(r.data);
	annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
	g_assert_cmpint(qpdf_oh_get_array_n_items(q, annots), ==, 1);
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

static void
test_multimedia_annots(void)
{
	g_autoptr(Doc) d = doc_new();
	guint u3d =
	    doc_add_stream(d, "/Type /3D /Subtype /U3D", "MGX-3D-PAYLOAD");
	guint a3d = doc_add(d,
	    "<< /Type /Annot /Subtype /3D /Rect [0 0 9 9] /3DD %u 0 R >>", u3d);
	guint screen = doc_add(d,
	    "<< /Type /Annot /Subtype /Screen /Rect [0 0 9 9] "
	    "/A << /S /Rendition /OP 0 /R << /S /MR /N (MGX-SCREEN) >> >> >>");
	guint rich = doc_add(d,
	    "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] "
	    "/RichMediaContent << /Assets << /Names [(x.swf) (MGX-SWF)] >> "
	    ">> >>");
	guint movie = doc_add(d, "<< /Type /Annot /Subtype /Movie "
	                         "/Rect [0 0 9 9] /Movie << /F (MGX-MOVIE) "
	                         ">> >>");
	guint sound =
	    doc_add_stream(d, "/Type /Sound /R 8000", "MGX-SOUND-DATA");
	guint asound = doc_add(d,
	    "<< /Type /Annot /Subtype /Sound /Rect [0 0 9 9] /Sound %u 0 R "
	    ">>",
	    sound);

	g_string_append_printf(d->page,
	    "/Annots [%u 0 R %u 0 R %u 0 R %u 0 R %u 0 R]", a3d, screen, rich,
	    movie, asound);
	assert_case(d, TRUE, IDS(MG_CDR_RM_MULTIMEDIA),
	    IDS("MGX-3D-PAYLOAD", "MGX-SCREEN", "MGX-SWF", "MGX-MOVIE",
	        "MGX-SOUND-DATA"));
}

static void
test_xfa(void)
{
	g_autoptr(Doc) d = doc_new();
	guint xfa = doc_add_stream(d, "",
	    "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\">"
	    "<script>MGX-XFA</script></xdp:xdp>");
	guint field = doc_add(d,
	    "<< /Type /Annot /Subtype /Widget /FT /Btn /T (send) "
	    "/Rect [0 0 50 20] /P 3 0 R "
	    "/A << /S /SubmitForm /F << /FS /URL /F (http://x/MGX-SUBMIT) >> "
	    ">> /AA << /K << /S /JavaScript /JS (MGX-FIELD-JS) >> >> >>");
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;
	qpdf_data q;
	qpdf_oh form;

	g_string_append_printf(d->catalog,
	    "/AcroForm << /Fields [%u 0 R] /XFA %u 0 R /NeedsRendering true "
	    ">>",
	    field, xfa);
	g_string_append_printf(d->page, "/Annots [%u 0 R]", field);
	assert_case(d, TRUE,
	    IDS(MG_CDR_RM_FORMS, MG_CDR_RM_ACTIONS, MG_CDR_RM_AUTOACTION,
	        MG_CDR_RM_JAVASCRIPT),
	    IDS("MGX-XFA", "MGX-SUBMIT", "MGX-FIELD-JS"));

	/* The AcroForm and its field stay. */
	in = doc_bytes(d);
	run(in, TRUE, &r);
	q = open_pdf(r.data);
	form = qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm");
	g_assert_true(qpdf_oh_is_dictionary(q, form));
	g_assert_cmpint(
	    qpdf_oh_get_array_n_items(q, qpdf_oh_get_key(q, form, "/Fields")),
	    ==, 1);
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

/* A GoTo whose /Next chain (an array, a dictionary, a cycle) leads to a
 * launch and to JavaScript. */
static void
test_next_chain(void)
{
	g_autoptr(Doc) d = doc_new();
	/* 6 and 8 point at each other. */
	guint a = doc_add(d, "<< /S /GoTo /D [3 0 R /Fit] /Next 8 0 R >>");
	guint js = doc_add(d, "<< /S /JavaScript /JS (MGX-NEXT-JS) >>");
	guint b = doc_add(d, "<< /S /GoTo /D [3 0 R /Fit] /Next [6 0 R "
	                     "<< /S /Launch /F (MGX-NEXT-LAUNCH) >>] >>");
	guint link = doc_add(d,
	    "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
	    "/A << /S /GoTo /D [3 0 R /Fit] /Next [%u 0 R %u 0 R] >> >>",
	    a, js);

	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;
	qpdf_data q;
	qpdf_oh annots, action, next;

	g_assert_cmpuint(b, ==, 8);
	g_string_append_printf(d->page, "/Annots [%u 0 R]", link);
	assert_case(d, TRUE, IDS(MG_CDR_RM_ACTIONS, MG_CDR_RM_JAVASCRIPT),
	    IDS("MGX-NEXT-JS", "MGX-NEXT-LAUNCH"));

	/* The GoTo steps of the chains stay, the others left the arrays. */
	in = doc_bytes(d);
	run(in, TRUE, &r);
	q = open_pdf(r.data);
	annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
	action = qpdf_oh_get_key(q, qpdf_oh_get_array_item(q, annots, 0), "/A");
	next = qpdf_oh_get_key(q, action, "/Next");
	g_assert_cmpint(qpdf_oh_get_array_n_items(q, next), ==, 1);
	next = qpdf_oh_get_key(q, qpdf_oh_get_array_item(q, next, 0), "/Next");
	g_assert_true(qpdf_oh_is_dictionary(q, next));
	next = qpdf_oh_get_key(q, next, "/Next");
	g_assert_cmpint(qpdf_oh_get_array_n_items(q, next), ==, 1);
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

/* Actions and annotations reached through keys the module does not
 * filter are emptied where they are. */
static void
test_hidden_paths(void)
{
	g_autoptr(Doc) d = doc_new();
	guint act = doc_add(d, "<< /S /Launch /F (MGX-HIDDEN-LAUNCH) >>");
	guint typed = doc_add(d, "<< /Type /Action /S /Custom /X "
	                         "(MGX-HIDDEN-TYPED) >>");
	guint annot = doc_add(d,
	    "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] "
	    "/Contents (MGX-HIDDEN-ANNOT) >>");

	guint file =
	    doc_add_stream(d, "/Type /EmbeddedFile", "MGX-HIDDEN-FILE");

	g_string_append_printf(d->catalog,
	    "/Foo [%u 0 R] /Bar << /Baz %u 0 R >> /StructTreeRoot << /K "
	    "<< /Type /OBJR /Obj %u 0 R >> >> /Qux << /JS (MGX-BARE-JS) >> "
	    "/Spec << /Type /Filespec /F (x) /EF << /F %u 0 R >> >>",
	    act, typed, annot, file);
	assert_case(d, TRUE,
	    IDS(MG_CDR_RM_ACTIONS, MG_CDR_RM_EMBEDDED, MG_CDR_RM_JAVASCRIPT),
	    IDS("MGX-HIDDEN-LAUNCH", "MGX-HIDDEN-TYPED", "MGX-HIDDEN-ANNOT",
	        "MGX-BARE-JS", "MGX-HIDDEN-FILE"));
}

/* Streams whose data is another file (a UNC path leaks credentials on
 * Windows), and a form XObject importing a page of one. */
static void
test_external_streams(void)
{
	g_autoptr(Doc) d = doc_new();
	guint img = doc_add_stream(d,
	    "/Type /XObject /Subtype /Image /Width 1 /Height 1 "
	    "/ColorSpace /DeviceGray /BitsPerComponent 8 "
	    "/F (\\\\\\\\MGX-HOST\\\\share\\\\x.bin) /FFilter /FlateDecode",
	    "\377");
	guint form = doc_add_stream(d,
	    "/Type /XObject /Subtype /Form /BBox [0 0 1 1] "
	    "/Ref << /F (MGX-REF.pdf) /Page 0 >> "
	    "/OPI << /1.3 << /F (MGX-OPI.tif) >> >>",
	    "");

	g_string_append_printf(
	    d->resources, "/XObject << /Im1 %u 0 R /Fm1 %u 0 R >>", img, form);
	assert_case(d, TRUE, IDS(MG_CDR_RM_EXTERNAL),
	    IDS("MGX-HOST", "MGX-REF", "MGX-OPI"));
}

/* The hostile objects of several cases, in compressed object streams. */
static GBytes *
with_object_streams(GBytes *in)
{
	qpdf_data q = open_pdf(in);
	GBytes *b;

	g_assert_cmpint(qpdf_init_write_memory(q), ==, QPDF_SUCCESS);
	qpdf_set_object_stream_mode(q, qpdf_o_generate);
	qpdf_set_compress_streams(q, QPDF_TRUE);
	g_assert_cmpint(qpdf_write(q), ==, QPDF_SUCCESS);
	b = g_bytes_new(qpdf_get_buffer(q), qpdf_get_buffer_length(q));
	qpdf_cleanup(&q);
	return b;
}

static void
test_object_streams(void)
{
	static const char *const markers[] = {
	    "MGX-OBJSTM-JS", "MGX-OBJSTM-LAUNCH", "MGX-OBJSTM-FILE", NULL};
	g_autoptr(Doc) d = doc_new();
	guint js = doc_add(d, "<< /S /JavaScript /JS (MGX-OBJSTM-JS) >>");
	guint launch = doc_add(d, "<< /Type /Annot /Subtype /Link "
	                          "/Rect [0 0 9 9] /A << /S /Launch "
	                          "/F (MGX-OBJSTM-LAUNCH) >> >>");
	guint file =
	    doc_add_stream(d, "/Type /EmbeddedFile", "MGX-OBJSTM-FILE");
	g_autoptr(GBytes) plain = NULL, in = NULL;
	struct mg_cdr_result r;
	guint i;

	g_string_append_printf(d->catalog,
	    "/OpenAction %u 0 R /Names << /EmbeddedFiles << /Names [(f) << "
	    "/Type /Filespec /F (f) /EF << /F %u 0 R >> >>] >> >>",
	    js, file);
	g_string_append_printf(d->page, "/Annots [%u 0 R]", launch);
	plain = doc_bytes(d);
	in = with_object_streams(plain);
	/* The payloads are no longer visible in the input's bytes. */
	for (i = 0; markers[i] != NULL; i++)
		g_assert_false(contains(in, markers[i]));
	g_assert_true(contains(in, "/ObjStm"));
	run(in, TRUE, &r);
	assert_clean(in, &r, markers, TRUE);
	g_assert_true(removed(&r, MG_CDR_RM_JAVASCRIPT));
	g_assert_true(removed(&r, MG_CDR_RM_ACTIONS));
	g_assert_true(removed(&r, MG_CDR_RM_EMBEDDED));
	mg_cdr_result_clear(&r);
}

/* A file appended after %%EOF (a polyglot) is left behind. */
static void
test_trailing_data(void)
{
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) pdf = doc_bytes(d);
	GByteArray *a = g_byte_array_new();
	g_autoptr(GBytes) in = NULL;
	struct mg_cdr_result r;

	g_byte_array_append(
	    a, g_bytes_get_data(pdf, NULL), g_bytes_get_size(pdf));
	g_byte_array_append(a, (const guint8 *)"PK\3\4MGX-TRAILING", 16);
	in = g_byte_array_free_to_bytes(a);
	run(in, TRUE, &r);
	assert_clean(in, &r, IDS("MGX-TRAILING"), TRUE);
	g_assert_true(removed(&r, MG_CDR_RM_TRAILING));
	g_assert_cmpuint(r.removed->len, ==, 1);
	mg_cdr_result_clear(&r);
}

static GBytes *
encrypt(GBytes *in, const char *user)
{
	qpdf_data q = open_pdf(in);
	GBytes *b;

	g_assert_cmpint(qpdf_init_write_memory(q), ==, QPDF_SUCCESS);
	qpdf_set_r6_encryption_parameters2(q, user, "owner", QPDF_TRUE,
	    QPDF_TRUE, QPDF_TRUE, QPDF_TRUE, QPDF_TRUE, QPDF_FALSE,
	    qpdf_r3p_full, QPDF_TRUE);
	g_assert_cmpint(qpdf_write(q), ==, QPDF_SUCCESS);
	b = g_bytes_new(qpdf_get_buffer(q), qpdf_get_buffer_length(q));
	qpdf_cleanup(&q);
	return b;
}

static void
test_encrypted(void)
{
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) pdf = doc_bytes(d);
	g_autoptr(GBytes) with_password = encrypt(pdf, "user");
	g_autoptr(GBytes) owner_only = encrypt(pdf, "");

	g_assert_true(contains(with_password, "/Encrypt"));
	assert_refused(with_password, MG_REASON_ENCRYPTED);
	/* Opens without a password, but is still encrypted. */
	assert_refused(owner_only, MG_REASON_ENCRYPTED);
}

static void
test_garbage(void)
{
	static const char *const inputs[] = {
	    "badpdf\n",
	    "%PDF-1.7\n",
	    "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
	    "%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 "
	    ">>\nstartxref\n9\n%%EOF\n",
	    "%PDF-1.7\ntrailer\n<< /Root 1 0 R >>\nstartxref\n999999\n%%EOF",
	};
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	guint8 noise[4096];
	guint i;

	assert_refused(empty, MG_REASON_CDR_FAILED);
	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GBytes) in =
		    g_bytes_new_static(inputs[i], strlen(inputs[i]));

		assert_refused(in, MG_REASON_CDR_FAILED);
	}
	for (i = 0; i < 20; i++) {
		g_autoptr(GBytes) in = NULL;
		guint j;

		for (j = 0; j < sizeof(noise); j++)
			noise[j] = (guint8)g_test_rand_int_range(0, 256);
		memcpy(noise, "%PDF-1.4\n", 9);
		memcpy(noise + sizeof(noise) - 6, "%%EOF\n", 6);
		in = g_bytes_new(noise, sizeof(noise));
		assert_refused(in, MG_REASON_CDR_FAILED);
	}
}

/* A copy of `in` with the first `from` replaced by `to`. */
static GBytes *
edit(GBytes *in, const char *from, const char *to)
{
	g_autofree char *s =
	    g_strndup(g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	char *at = strstr(s, from);
	GString *out = g_string_new(NULL);

	g_assert_nonnull(at);
	g_string_append_len(out, s, at - s);
	g_string_append(out, to);
	g_string_append(out, at + strlen(from));
	return g_string_free_to_bytes(out);
}

/* Damage qpdf would repair with a warning: refused, not guessed at. */
static void
test_damaged(void)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
	    /* The catalog's offset in the xref table, off by two. */
	    {"0000000015 00000 n", "0000000017 00000 n"},
	    /* A stream whose /Length overshoots its data. */
	    {"/Length 44", "/Length 64"},
	    /* A dictionary that never ends. */
	    {"/Type /Pages /Kids [3 0 R] /Count 1 >>", "/Type /Pages /Kids"},
	    /* An object that is not the one the table announces. */
	    {"2 0 obj", "7 0 obj"},
	};
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) pdf = doc_bytes(d);
	guint i;

	for (i = 0; i < G_N_ELEMENTS(edits); i++) {
		g_autoptr(GBytes) in = edit(pdf, edits[i].from, edits[i].to);

		assert_refused(in, MG_REASON_CDR_FAILED);
	}
}

/* Every prefix that cuts into the file's last revision is refused. */
static void
test_truncated(void)
{
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) pdf = NULL;
	gsize len, cut;
	const guint8 *p;

	doc_add(d, "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
	           "/A << /S /JavaScript /JS (MGX-CUT) >> >>");
	g_string_append(d->page, "/Annots [6 0 R]");
	pdf = doc_bytes(d);
	p = g_bytes_get_data(pdf, &len);
	/* Only the final newline may go. */
	for (cut = 0; cut + 1 < len; cut++) {
		g_autoptr(GBytes) in = g_bytes_new_static(p, cut);
		struct mg_cdr_result r;

		run(in, TRUE, &r);
		if (r.outcome != MG_CDR_REFUSED)
			g_error(
			    "prefix of %zu of %zu bytes not refused", cut, len);
		mg_cdr_result_clear(&r);
	}
	/* The same cuts with an end-of-file marker put back: qpdf's own
	 * checks refuse them. */
	for (cut = 0; cut + 6 < len; cut++) {
		GByteArray *a = g_byte_array_new();
		g_autoptr(GBytes) in = NULL;
		struct mg_cdr_result r;

		if (memcmp(p + cut, "startxref", 9) == 0)
			break;
		g_byte_array_append(a, p, cut);
		g_byte_array_append(a, (const guint8 *)"\n%%EOF\n", 7);
		in = g_byte_array_free_to_bytes(a);
		run(in, TRUE, &r);
		if (r.outcome != MG_CDR_REFUSED)
			g_error(
			    "cut at %zu of %zu bytes not refused", cut, len);
		mg_cdr_result_clear(&r);
	}
	g_assert_cmpuint(cut, >, len - 40);
}

static void
test_limits(void)
{
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) pdf = doc_bytes(d);
	guint64 saved = limits.max_part_size;

	limits.max_part_size = g_bytes_get_size(pdf) - 1;
	assert_refused(pdf, MG_REASON_PART_TOO_LARGE);
	limits.max_part_size = saved;
}

/* A /Next chain deeper than the walk follows: refused, not recursed. */
static void
test_too_deep(void)
{
	g_autoptr(Doc) d = doc_new();
	g_autoptr(GBytes) in = NULL;
	guint i, first = d->objs->len + 1, n = 12000;

	for (i = 0; i < n; i++)
		doc_add(d, "<< /S /GoTo /D [3 0 R /Fit] /Next %u 0 R >>",
		    i + 1 < n ? first + i + 1 : first);
	g_string_append_printf(d->page,
	    "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A %u 0 "
	    "R >>]",
	    first);
	in = doc_bytes(d);
	assert_refused_with(in, MG_REASON_CDR_FAILED, "too deep");
}

/* A long but shallow structure (a thousand bookmarks, chained one after
 * the other) is a normal document. */
static void
test_many_bookmarks(void)
{
	g_autoptr(Doc) d = doc_new();
	guint i, first = d->objs->len + 2, n = 3000;
	guint outlines = doc_add(d,
	    "<< /Type /Outlines /First %u 0 R /Last %u 0 R /Count %u >>", first,
	    first + n - 1, n);

	for (i = 0; i < n; i++) {
		GString *s = g_string_new(NULL);

		g_string_append_printf(s,
		    "<< /Title (bookmark %u) /Parent %u 0 R "
		    "/Dest [3 0 R /Fit]",
		    i, outlines);
		if (i > 0)
			g_string_append_printf(
			    s, " /Prev %u 0 R", first + i - 1);
		if (i + 1 < n)
			g_string_append_printf(
			    s, " /Next %u 0 R", first + i + 1);
		g_string_append(s, " >>");
		doc_add(d, "%s", s->str);
		g_string_free(s, TRUE);
	}
	g_string_append_printf(d->catalog, "/Outlines %u 0 R", outlines);
	assert_case(d, TRUE, NULL, NULL);
}

static void
test_bid(void)
{
	static const guint8 pdf[] = "%PDF-1.7\n";
	static const guint8 junk_first[] = "junk\n%PDF-1.4\n";
	static const guint8 text[] = "badpdf\n";

	g_assert_cmpint(
	    mg_cdr_pdf.bid("application/pdf", "pdf", pdf, 9), ==, 100);
	g_assert_cmpint(mg_cdr_pdf.bid("application/octet-stream", NULL,
	                    junk_first, sizeof(junk_first) - 1),
	    >, 0);
	g_assert_cmpint(mg_cdr_pdf.bid("text/plain", "pdf", text, 7), ==, 0);
	g_assert_cmpint(mg_cdr_pdf.bid("image/png", "png", NULL, 0), ==, 0);
}

/* ---- the public samples ---- */

static GBytes *
external(const char *name)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	g_autofree char *path = NULL;
	char *data;
	gsize len;

	path = g_build_filename(src != NULL ? src : ".", "..", "shared",
	    "corpus-external", name, NULL);
	if (!g_file_get_contents(path, &data, &len, NULL)) {
		g_test_skip("corpus-external not found");
		return NULL;
	}
	return g_bytes_new_take(data, len);
}

/* dangerzone's text document: its only active-looking key is an
 * /OpenAction destination; rebuilt with nothing reported. */
/* [cdr] metadata = strip: the catalog's XMP stream goes, the text stays;
 * keep: it stays. */
static void
test_metadata(void)
{
	g_autoptr(Doc) d = doc_new();
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	g_autoptr(GBytes) in = NULL;
	guint xmp = doc_add_stream(d, "/Type /Metadata /Subtype /XML",
	    "<x:xmpmeta><dc:creator>secret-xmp-author</dc:creator>"
	    "</x:xmpmeta>");

	g_string_append_printf(d->catalog, "/Metadata %u 0 R", xmp);
	in = doc_bytes(d);
	ctx.limits = &limits;
	mg_cdr_result_init(&r);
	g_assert_cmpint(mg_cdr_pdf.rebuild(&ctx, in, &r), ==, MG_OK);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpuint(r.removed->len, ==, 1);
	g_assert_cmpstr(
	    g_ptr_array_index(r.removed, 0), ==, MG_CDR_RM_METADATA);
	g_assert_null(g_strstr_len(g_bytes_get_data(r.data, NULL),
	    (gssize)g_bytes_get_size(r.data), "secret-xmp-author"));
	mg_cdr_result_clear(&r);
	ctx.keep_metadata = TRUE;
	mg_cdr_result_init(&r);
	g_assert_cmpint(mg_cdr_pdf.rebuild(&ctx, in, &r), ==, MG_OK);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

static void
test_dangerzone_sample(void)
{
	g_autoptr(GBytes) in = external("dangerzone/sample-pdf.pdf");
	struct mg_cdr_result r;

	if (in == NULL)
		return;
	run(in, TRUE, &r);
	if (r.outcome != MG_CDR_REBUILT)
		g_error("refused: %s", r.detail);
	assert_clean(in, &r, NULL, TRUE);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

static void
test_dangerzone_bad(void)
{
	static const char *const good[] = {
	    "dangerzone/sample_bad_max_width.pdf",
	    "dangerzone/sample_bad_max_height.pdf",
	};
	g_autoptr(GBytes) bad = external("dangerzone/sample_bad_pdf.pdf");
	guint i;

	if (bad == NULL)
		return;
	assert_refused(bad, MG_REASON_CDR_FAILED);
	/* Odd page sizes are no risk to a rebuild. */
	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GBytes) in = external(good[i]);
		struct mg_cdr_result r;

		run(in, TRUE, &r);
		if (r.outcome != MG_CDR_REBUILT)
			g_error("%s refused: %s", good[i], r.detail);
		assert_clean(in, &r, NULL, TRUE);
		mg_cdr_result_clear(&r);
	}
}

/* The 11,000-page PDF inside dangerzone's zip: a big but ordinary
 * document; rebuilt page for page. */
static void
test_dangerzone_11k(void)
{
	g_autoptr(GBytes) zip = external("dangerzone/sample-11k-pages.pdf.zip");
	g_autoptr(GBytes) in = NULL;
	struct archive *a;
	struct archive_entry *e;
	GByteArray *buf;
	struct mg_cdr_result r;
	char chunk[65536];
	la_ssize_t n;
	qpdf_data q;

	if (zip == NULL)
		return;
	a = archive_read_new();
	archive_read_support_format_zip(a);
	g_assert_cmpint(archive_read_open_memory(a, g_bytes_get_data(zip, NULL),
	                    g_bytes_get_size(zip)),
	    ==, ARCHIVE_OK);
	g_assert_cmpint(archive_read_next_header(a, &e), ==, ARCHIVE_OK);
	buf = g_byte_array_new();
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		g_byte_array_append(buf, (const guint8 *)chunk, (guint)n);
	g_assert_cmpint(n, ==, 0);
	archive_read_free(a);
	in = g_byte_array_free_to_bytes(buf);

	run(in, TRUE, &r);
	if (r.outcome != MG_CDR_REBUILT)
		g_error("refused: %s", r.detail);
	q = open_pdf(r.data);
	g_assert_cmpint(qpdf_get_num_pages(q), ==, 11000);
	qpdf_cleanup(&q);
	mg_cdr_result_clear(&r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	limits.max_part_size = 100 * MIB;
	g_test_add_func("/cdr_pdf/clean", test_clean);
	g_test_add_func("/cdr_pdf/open_action_js", test_open_action_js);
	g_test_add_func("/cdr_pdf/open_action_dest", test_open_action_dest);
	g_test_add_func("/cdr_pdf/page_aa", test_page_aa);
	g_test_add_func("/cdr_pdf/names_js", test_names_js);
	g_test_add_func("/cdr_pdf/embedded_files", test_embedded_files);
	g_test_add_func("/cdr_pdf/launch_link", test_launch_link);
	g_test_add_func("/cdr_pdf/action_types", test_action_types);
	g_test_add_func("/cdr_pdf/uri_link", test_uri_link);
	g_test_add_func(
	    "/cdr_pdf/file_attachment_annot", test_file_attachment_annot);
	g_test_add_func("/cdr_pdf/multimedia_annots", test_multimedia_annots);
	g_test_add_func("/cdr_pdf/xfa", test_xfa);
	g_test_add_func("/cdr_pdf/next_chain", test_next_chain);
	g_test_add_func("/cdr_pdf/hidden_paths", test_hidden_paths);
	g_test_add_func("/cdr_pdf/external_streams", test_external_streams);
	g_test_add_func("/cdr_pdf/object_streams", test_object_streams);
	g_test_add_func("/cdr_pdf/trailing_data", test_trailing_data);
	g_test_add_func("/cdr_pdf/encrypted", test_encrypted);
	g_test_add_func("/cdr_pdf/garbage", test_garbage);
	g_test_add_func("/cdr_pdf/damaged", test_damaged);
	g_test_add_func("/cdr_pdf/truncated", test_truncated);
	g_test_add_func("/cdr_pdf/limits", test_limits);
	g_test_add_func("/cdr_pdf/too_deep", test_too_deep);
	g_test_add_func("/cdr_pdf/many_bookmarks", test_many_bookmarks);
	g_test_add_func("/cdr_pdf/bid", test_bid);
	g_test_add_func("/cdr_pdf/metadata", test_metadata);
	g_test_add_func("/cdr_pdf/dangerzone_sample", test_dangerzone_sample);
	g_test_add_func("/cdr_pdf/dangerzone_bad", test_dangerzone_bad);
	g_test_add_func("/cdr_pdf/dangerzone_11k", test_dangerzone_11k);
	return g_test_run();
}
