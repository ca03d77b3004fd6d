/*
 * test_cdr_html.c - the HTML attachment CDR module (cdr/cdr_html.c).
 *
 * HTML in Shift_JIS (CP932, with NEC and IBM extension characters),
 * ISO-2022-JP, UTF-8 and UTF-16 with byte-order marks, labelled by
 * <meta>, by an XML declaration, or not at all, must come out as the exact
 * Japanese text in UTF-8.  Script content, event handlers and script URLs
 * must be absent from the text and reported; links are listed or dropped
 * by the link policy; control characters go; the element and size limits
 * refuse.  The bytes of every charset are written here as escapes.
 */
#include <string.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_html;

/* 無害化テスト：こんにちは、世界。①髙 */
#define JA_TEXT                                                            \
	"\xe7\x84\xa1\xe5\xae\xb3\xe5\x8c\x96\xe3\x83\x86\xe3\x82\xb9\xe3" \
	"\x83\x88\xef\xbc\x9a\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81" \
	"\xa1\xe3\x81\xaf\xe3\x80\x81\xe4\xb8\x96\xe7\x95\x8c\xe3\x80\x82" \
	"\xe2\x91\xa0\xe9\xab\x99"
#define JA_SJIS                                                            \
	"\x96\xb3\x8a\x51\x89\xbb\x83\x65\x83\x58\x83\x67\x81\x46\x82\xb1" \
	"\x82\xf1\x82\xc9\x82\xbf\x82\xcd\x81\x41\x90\xa2\x8a\x45\x81\x42" \
	"\x87\x40\xee\xe0"
/* 添付ファイルを確認してください。 */
#define JIS_TEXT                                                           \
	"\xe6\xb7\xbb\xe4\xbb\x98\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3" \
	"\x83\xab\xe3\x82\x92\xe7\xa2\xba\xe8\xaa\x8d\xe3\x81\x97\xe3\x81" \
	"\xa6\xe3\x81\x8f\xe3\x81\xa0\xe3\x81\x95\xe3\x81\x84\xe3\x80\x82"
#define JIS_BYTES                                                          \
	"\x1b\x24\x42\x45\x3a\x49\x55\x25\x55\x25\x21\x25\x24\x25\x6b\x24" \
	"\x72\x33\x4e\x47\x27\x24\x37\x24\x46\x24\x2f\x24\x40\x24\x35\x24" \
	"\x24\x21\x23\x1b\x28\x42"
/* お世話になっております。請求書を送付いたしますので、ご確認のほど
 * よろしくお願い申し上げます。 (long enough for detection) */
#define LONG_TEXT                                                          \
	"\xe3\x81\x8a\xe4\xb8\x96\xe8\xa9\xb1\xe3\x81\xab\xe3\x81\xaa\xe3" \
	"\x81\xa3\xe3\x81\xa6\xe3\x81\x8a\xe3\x82\x8a\xe3\x81\xbe\xe3\x81" \
	"\x99\xe3\x80\x82\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8\xe3\x82\x92" \
	"\xe9\x80\x81\xe4\xbb\x98\xe3\x81\x84\xe3\x81\x9f\xe3\x81\x97\xe3" \
	"\x81\xbe\xe3\x81\x99\xe3\x81\xae\xe3\x81\xa7\xe3\x80\x81\xe3\x81" \
	"\x94\xe7\xa2\xba\xe8\xaa\x8d\xe3\x81\xae\xe3\x81\xbb\xe3\x81\xa9" \
	"\xe3\x82\x88\xe3\x82\x8d\xe3\x81\x97\xe3\x81\x8f\xe3\x81\x8a\xe9" \
	"\xa1\x98\xe3\x81\x84\xe7\x94\xb3\xe3\x81\x97\xe4\xb8\x8a\xe3\x81" \
	"\x92\xe3\x81\xbe\xe3\x81\x99\xe3\x80\x82"
#define LONG_SJIS                                                          \
	"\x82\xa8\x90\xa2\x98\x62\x82\xc9\x82\xc8\x82\xc1\x82\xc4\x82\xa8" \
	"\x82\xe8\x82\xdc\x82\xb7\x81\x42\x90\xbf\x8b\x81\x8f\x91\x82\xf0" \
	"\x91\x97\x95\x74\x82\xa2\x82\xbd\x82\xb5\x82\xdc\x82\xb7\x82\xcc" \
	"\x82\xc5\x81\x41\x82\xb2\x8a\x6d\x94\x46\x82\xcc\x82\xd9\x82\xc7" \
	"\x82\xe6\x82\xeb\x82\xb5\x82\xad\x82\xa8\x8a\xe8\x82\xa2\x90\x5c" \
	"\x82\xb5\x8f\xe3\x82\xb0\x82\xdc\x82\xb7\x81\x42"

struct run {
	struct mg_limits lim;
	struct mg_policy pol;
	struct mg_cdr_ctx ctx;
	struct mg_cdr_result res;
};

static void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->pol.language = (char *)"ja";
	r->pol.html_link_list = TRUE;
	r->ctx.policy = &r->pol;
	r->ctx.limits = &r->lim;
	r->ctx.keep_hyperlinks = TRUE;
	mg_cdr_result_init(&r->res);
}

/* Rebuild `len` bytes (-1: a string); returns the text (or NULL). */
static const char *
render(struct run *r, const char *html, gssize len)
{
	g_autoptr(GBytes) in =
	    g_bytes_new(html, len < 0 ? strlen(html) : (gsize)len);
	gsize n;
	const char *t;

	g_assert_cmpint(mg_cdr_html.rebuild(&r->ctx, in, &r->res), ==, MG_OK);
	if (r->res.outcome != MG_CDR_REBUILT)
		return NULL;
	g_assert_cmpstr(r->res.extension, ==, "txt");
	g_assert_cmpstr(r->res.mime_type, ==, "text/plain; charset=UTF-8");
	t = g_bytes_get_data(r->res.data, &n);
	/* UTF-8, no BOM, no CR, no NUL, one LF at the end. */
	g_assert_true(g_utf8_validate(t, (gssize)n, NULL));
	g_assert_cmpuint(strlen(t), ==, n);
	g_assert_null(memchr(t, '\r', n));
	if (n > 0) {
		g_assert_false(g_str_has_prefix(t, "\xef\xbb\xbf"));
		g_assert_cmpint(t[n - 1], ==, '\n');
		g_assert_true(n < 2 || t[n - 2] != '\n');
	}
	return t;
}

static gboolean
has_removed(const struct mg_cdr_result *res, const char *id)
{
	guint i;

	for (i = 0; i < res->removed->len; i++)
		if (strcmp(g_ptr_array_index(res->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

static void
run_clear(struct run *r)
{
	mg_cdr_result_clear(&r->res);
}

static void
test_shift_jis(void)
{
	static const char meta[] =
	    "<html><head><meta http-equiv=\"Content-Type\" "
	    "content=\"text/html; charset=Shift_JIS\"><title>t</title>"
	    "</head><body><p>" JA_SJIS "</p></body></html>";
	static const char meta5[] =
	    "<!DOCTYPE html><meta charset=\"shift_jis\"><p>" JA_SJIS "</p>";
	static const char unlabelled[] =
	    "<html><body><p>" LONG_SJIS "</p><p>" LONG_SJIS
	    "</p></body></html>";
	struct run r;

	run_init(&r);
	g_assert_cmpstr(render(&r, meta, -1), ==, JA_TEXT "\n");
	g_assert_cmpuint(r.res.removed->len, ==, 0);
	run_clear(&r);

	run_init(&r);
	g_assert_cmpstr(render(&r, meta5, -1), ==, JA_TEXT "\n");
	run_clear(&r);

	/* No label: detected as the walk detects a body's charset. */
	run_init(&r);
	g_assert_cmpstr(
	    render(&r, unlabelled, -1), ==, LONG_TEXT "\n\n" LONG_TEXT "\n");
	run_clear(&r);
}

static void
test_iso2022jp(void)
{
	static const char meta[] =
	    "<html><head><meta http-equiv=Content-Type content=\"text/html; "
	    "charset=iso-2022-jp\"></head><body>" JIS_BYTES "</body></html>";
	static const char unlabelled[] = "<div>" JIS_BYTES "</div>";
	struct run r;

	run_init(&r);
	g_assert_cmpstr(render(&r, meta, -1), ==, JIS_TEXT "\n");
	run_clear(&r);

	run_init(&r);
	g_assert_cmpstr(render(&r, unlabelled, -1), ==, JIS_TEXT "\n");
	run_clear(&r);
}

static void
test_boms_and_xml(void)
{
	static const char utf8[] = "\xef\xbb\xbf<p>" JA_TEXT "</p>";
	static const char xhtml[] =
	    "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n"
	    "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>" JA_SJIS
	    "</p></body></html>";
	/* "<p>A</p>" in UTF-16LE with a BOM, the BOM winning over a meta
	 * that says otherwise. */
	static const char utf16[] = "\xff\xfe<\0p\0>\0\x42\x30<\0/\0p\0>\0";
	struct run r;

	run_init(&r);
	g_assert_cmpstr(render(&r, utf8, -1), ==, JA_TEXT "\n");
	run_clear(&r);

	run_init(&r);
	g_assert_cmpstr(render(&r, xhtml, -1), ==, JA_TEXT "\n");
	run_clear(&r);

	run_init(&r);
	g_assert_cmpstr(render(&r, utf16, sizeof(utf16) - 1), ==,
	    "\xe3\x81\x82\n"); /* あ */
	run_clear(&r);
}

static void
test_scripts(void)
{
	static const char html[] =
	    "<html><head><script>var secret = 'SCRIPTBODY';</script>"
	    "<style>.x{color:red}</style></head>"
	    "<body onload=\"evil()\"><p>visible</p>"
	    "<SCRIPT type=text/javascript>document.write('WRITTEN')</SCRIPT>"
	    "<noscript>fallback</noscript>"
	    "<a href=\"javascript:alert(1)\">click</a></body></html>";
	static const char handler_only[] =
	    "<p><img src=x.png alt=pic onerror=alert(1)>text</p>";
	static const char script_url[] =
	    "<p><a href=' vbscript:msgbox'>vb</a></p>";
	static const char clean[] =
	    "<p>Talk about <code>&lt;script&gt;</code> and onload=1 in "
	    "text.</p><!-- <script>x</script> -->";
	struct run r;
	const char *t;

	run_init(&r);
	t = render(&r, html, -1);
	g_assert_nonnull(t);
	g_assert_nonnull(strstr(t, "visible"));
	g_assert_nonnull(strstr(t, "click"));
	g_assert_null(strstr(t, "SCRIPTBODY"));
	g_assert_null(strstr(t, "WRITTEN"));
	g_assert_null(strstr(t, "color"));
	g_assert_null(strstr(t, "evil"));
	g_assert_null(strstr(t, "javascript"));
	g_assert_true(has_removed(&r.res, MG_CDR_RM_SCRIPT));
	run_clear(&r);

	run_init(&r);
	t = render(&r, handler_only, -1);
	g_assert_null(strstr(t, "alert"));
	g_assert_true(has_removed(&r.res, MG_CDR_RM_SCRIPT));
	run_clear(&r);

	run_init(&r);
	t = render(&r, script_url, -1);
	g_assert_null(strstr(t, "msgbox"));
	g_assert_true(has_removed(&r.res, MG_CDR_RM_SCRIPT));
	run_clear(&r);

	/* Text about scripts, and a script in a comment, are no scripts. */
	run_init(&r);
	t = render(&r, clean, -1);
	g_assert_nonnull(strstr(t, "<script>"));
	g_assert_cmpuint(r.res.removed->len, ==, 0);
	run_clear(&r);
}

static void
test_links(void)
{
	static const char html[] =
	    "<p>See <a href=\"https://example.jp/page\">the page</a> and "
	    "<a href='#top'>top</a>.</p>";
	struct run r;
	const char *t;

	run_init(&r);
	t = render(&r, html, -1);
	g_assert_nonnull(strstr(t, "the page[1]"));
	g_assert_nonnull(strstr(t, "\xe3\x83\xaa\xe3\x83\xb3\xe3\x82\xaf:"));
	g_assert_nonnull(strstr(t, "[1] https://example.jp/page"));
	g_assert_cmpuint(r.res.removed->len, ==, 0);
	run_clear(&r);

	run_init(&r);
	r.pol.language = (char *)"en";
	t = render(&r, html, -1);
	g_assert_nonnull(strstr(t, "Links:"));
	run_clear(&r);

	/* Links not kept: their targets are not written, and that is
	 * reported. */
	run_init(&r);
	r.ctx.keep_hyperlinks = FALSE;
	t = render(&r, html, -1);
	g_assert_nonnull(strstr(t, "the page"));
	g_assert_null(strstr(t, "example.jp"));
	g_assert_true(has_removed(&r.res, MG_CDR_RM_LINKS));
	run_clear(&r);

	/* Without a policy (unit use): links listed. */
	run_init(&r);
	r.ctx.policy = NULL;
	t = render(&r, html, -1);
	g_assert_nonnull(strstr(t, "[1] https://example.jp/page"));
	run_clear(&r);
}

static void
test_controls(void)
{
	static const char html[] = "<p>a\x1b[31mb\x07"
	                           "c\x00"
	                           "d&#27;e\xc2\x9b"
	                           "f\tg</p>";
	struct run r;
	const char *t;

	run_init(&r);
	t = render(&r, html, sizeof(html) - 1);
	g_assert_null(strchr(t, '\x1b'));
	g_assert_null(strchr(t, '\x07'));
	g_assert_null(strstr(t, "\xc2\x9b"));
	g_assert_nonnull(strstr(t, "a[31mbc"));
	run_clear(&r);
}

static void
test_limits(void)
{
	g_autoptr(GString) deep = g_string_new(NULL);
	g_autoptr(GString) many = g_string_new(NULL);
	struct run r;
	guint i;

	for (i = 0; i < 1000; i++)
		g_string_append(many, "<p>x</p>");
	run_init(&r);
	r.lim.max_html_nodes = 100;
	g_assert_null(render(&r, many->str, -1));
	g_assert_cmpint(r.res.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.res.reason, ==, MG_REASON_TEXT_TOO_LARGE);
	g_assert_null(r.res.data);
	run_clear(&r);

	run_init(&r);
	r.lim.max_text_size = 100;
	g_assert_null(render(&r, many->str, -1));
	g_assert_cmpint(r.res.reason, ==, MG_REASON_TEXT_TOO_LARGE);
	run_clear(&r);

	run_init(&r);
	r.lim.max_part_size = many->len - 1;
	g_assert_null(render(&r, many->str, -1));
	g_assert_cmpint(r.res.reason, ==, MG_REASON_PART_TOO_LARGE);
	run_clear(&r);

	/* Past libxml2's nesting limit the rest of the text would be lost. */
	for (i = 0; i < 400; i++)
		g_string_append(deep, "<div>");
	g_string_append(deep, "deep text");
	run_init(&r);
	g_assert_null(render(&r, deep->str, -1));
	g_assert_cmpint(r.res.reason, ==, MG_REASON_TEXT_TOO_LARGE);
	run_clear(&r);

	/* The default limits take a normal page. */
	run_init(&r);
	g_assert_nonnull(render(&r, many->str, -1));
	run_clear(&r);
}

static void
test_odd_input(void)
{
#define S(x)                     \
	{                        \
		x, sizeof(x) - 1 \
	}
	static const struct {
		const char *s;
		gsize len;
	} inputs[] = {
	    S(""),
	    S("<"),
	    S("<!--"),
	    S("<a href"),
	    S("<a href="),
	    S("<a href='"),
	    S("<p onclick"),
	    S("<script"),
	    S("<meta charset="),
	    S("<?xml encoding=\""),
	    S("\xff\xfe"),
	    S("\xfe\xff\0<"),
	    S("\xef\xbb\xbf"),
	    /* Found by fuzz_cdr_html: a second BOM became a leading
	     * U+FEFF in the text. */
	    S("\xff\xfe<\0\xff\xfe<\0B\x000<irc=\""),
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		struct run r;

		run_init(&r);
		g_assert_nonnull(
		    render(&r, inputs[i].s, (gssize)inputs[i].len));
		run_clear(&r);
	}
#undef S
}

static void
test_bid(void)
{
	static const guint8 d[] = "<html></html>";

	g_assert_cmpint(mg_cdr_html.bid("text/html", "html", d, 13), ==, 50);
	g_assert_cmpint(mg_cdr_html.bid("text/html", NULL, d, 13), ==, 50);
	g_assert_cmpint(
	    mg_cdr_html.bid("application/xhtml+xml", "xhtml", d, 13), ==, 50);
	g_assert_cmpint(mg_cdr_html.bid("text/plain", "htm", d, 13), ==, 50);
	g_assert_cmpint(mg_cdr_html.bid("text/xml", "xhtml", d, 13), ==, 50);
	g_assert_cmpint(mg_cdr_html.bid("text/plain", "txt", d, 13), ==, 0);
	g_assert_cmpint(mg_cdr_html.bid("message/rfc822", "mht", d, 13), ==, 0);
	g_assert_cmpint(
	    mg_cdr_html.bid("multipart/related", "mhtml", d, 13), ==, 0);
	g_assert_cmpint(
	    mg_cdr_html.bid("application/octet-stream", "html", d, 13), ==, 0);
	g_assert_cmpint(mg_cdr_html.bid("image/svg+xml", "svg", d, 13), ==, 0);
	g_assert_cmpint(mg_cdr_html.bid(NULL, "html", d, 13), ==, 0);
	g_assert_true(mg_cdr_pick("text/html", "html", d, 13) == &mg_cdr_html);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr_html/shift_jis", test_shift_jis);
	g_test_add_func("/cdr_html/iso2022jp", test_iso2022jp);
	g_test_add_func("/cdr_html/boms_and_xml", test_boms_and_xml);
	g_test_add_func("/cdr_html/scripts", test_scripts);
	g_test_add_func("/cdr_html/links", test_links);
	g_test_add_func("/cdr_html/controls", test_controls);
	g_test_add_func("/cdr_html/limits", test_limits);
	g_test_add_func("/cdr_html/odd_input", test_odd_input);
	g_test_add_func("/cdr_html/bid", test_bid);
	return g_test_run();
}
