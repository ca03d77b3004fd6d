/*
 * test_html.c - HTML to text: layout rules, what is dropped, links,
 * budgets, malformed input, and the <meta> charset scan.
 */
#include <string.h>

#include "text/mg_html.h"

/* Render with the link list on and the default budgets. */
static char *
render(const char *html, guint *flags_r)
{
	struct mg_html_opts o = {TRUE, 0, 0, "Links:"};

	return mg_html_to_text(html, strlen(html), &o, flags_r);
}

/* The rules every output keeps, whatever the input. */
static void
assert_shape(const char *t)
{
	g_auto(GStrv) lines = g_strsplit(t, "\n", -1);
	guint i, n = g_strv_length(lines);

	g_assert_true(g_utf8_validate(t, -1, NULL));
	if (*t == '\0')
		return;
	g_assert_cmpstr(lines[0], !=, "");
	g_assert_cmpstr(lines[n - 1], !=, "");
	for (i = 0; i < n; i++) {
		gsize l = strlen(lines[i]);

		if (l > 0) {
			g_assert_cmpint(lines[i][l - 1], !=, ' ');
			g_assert_cmpint(lines[i][l - 1], !=, '\t');
		}
		if (i > 0 && l == 0)
			g_assert_cmpstr(lines[i - 1], !=, "");
	}
}

static void
check(const char *html, const char *want)
{
	g_autofree char *t = render(html, NULL);

	g_assert_cmpstr(t, ==, want);
	assert_shape(t);
}

static void
test_paragraphs(void)
{
	check("<p>one\ntwo   three</p><p>four<br>five<br><br>six</p>",
	    "one two three\n\nfour\nfive\n\nsix");
	check("<div>a</div><div>b</div><br><div>c</div>", "a\nb\n\nc");
	check("text <b>bold</b> <i>italic</i>.", "text bold italic.");
	check("<h1>Title</h1><p>Body</p><h2>Sub</h2>", "Title\n\nBody\n\nSub");
	check("<p>  lead and trail  </p>", "lead and trail");
	check("<p>a</p><hr><p>b</p>", "a\n\n----\n\nb");
}

static void
test_lists(void)
{
	check("<p>x</p><ol><li>a<ul><li>b</li><li>c<ol><li>d</li></ol>"
	      "</li></ul></li><li>e</li></ol><p>y</p>",
	    "x\n\n1. a\n  - b\n  - c\n    1. d\n2. e\n\ny");
	check("<ol start=\"7\"><li>seven</li><li>eight</li>"
	      "<li value=\"20\">twenty</li><li>next</li></ol>",
	    "7. seven\n8. eight\n20. twenty\n21. next");
	/* Lists nested without an item, as editors indent. */
	check("<ul><ul><li>in</li></ul></ul>", "  - in");
	check(
	    "<ul><li>one\n<li>two (unclosed)</ul>", "- one\n- two (unclosed)");
}

static void
test_table(void)
{
	check("<table><tr><th>Name</th><th>Age</th></tr>"
	      "<tr><td> Taro </td><td><p>3</p><p>0</p></td></tr>"
	      "<tr><td></td><td>only</td></tr></table>",
	    "Name | Age\nTaro | 3 0\nonly");
	/* A layout table (a nested table inside) keeps its blocks. */
	check("<table><tr><td><table><tr><td>L</td><td>R</td></tr></table>"
	      "<p>p1</p><p>p2</p></td><td>side</td></tr></table>",
	    "L | R\n\np1\n\np2\n\nside");
	/* A one-cell row is a block. */
	check("<table><tr><td><p>a</p><p>b</p></td></tr></table>", "a\n\nb");
}

static void
test_dropped(void)
{
	g_autofree char *t = NULL;
	guint flags = 0;
	static const char *const secrets[] = {"SECRET01", "SECRET02",
	    "SECRET03", "SECRET04", "SECRET05", "SECRET06", "SECRET07",
	    "SECRET08", "SECRET09", "SECRET10", "SECRET11", "SECRET12",
	    "SECRET13", "SECRET14", "SECRET15"};
	guint i;

	t = render("<html><head><title>SECRET01</title>"
	           "<style>p { color: red } /* SECRET02 */</style>"
	           "<script>var x = 'SECRET03';</script></head><body>"
	           "<p>visible one</p>"
	           "<script>document.write('SECRET04')</script>"
	           "<!-- SECRET05 -->"
	           "<template><p>SECRET06</p></template>"
	           "<noscript>SECRET07</noscript>"
	           "<div hidden>SECRET08</div>"
	           "<span style=\"Display : NONE !important\">SECRET09</span>"
	           "<p style=\"color:red;visibility:hidden\">SECRET10</p>"
	           "<div aria-hidden=\"TRUE\">SECRET11</div>"
	           "<form><input type=\"hidden\" value=\"SECRET12\"></form>"
	           "<iframe src=\"x\">SECRET13</iframe>"
	           "<object data=\"x\">SECRET14</object>"
	           "<svg><text>SECRET15</text></svg>"
	           "<?php echo 'x' ?>"
	           "<p>visible two</p></body></html>",
	    &flags);
	for (i = 0; i < G_N_ELEMENTS(secrets); i++) {
		if (strstr(t, secrets[i]) != NULL)
			g_error("%s leaked into: %s", secrets[i], t);
	}
	g_assert_nonnull(strstr(t, "visible one"));
	g_assert_nonnull(strstr(t, "visible two"));
	g_assert_true(flags & MG_HTML_HAD_FORMS);
	assert_shape(t);

	/* Not hidden: a style that merely mentions the words. */
	check("<p style=\"display:block\" title=\"display:none\">shown</p>",
	    "shown");
}

static void
test_entities_and_japanese(void)
{
	check("<p>&amp; &lt;x&gt; &#x3042;&#12356; a&nbsp;b&nbsp;&nbsp;c</p>",
	    "& <x> あい a b  c");
	check("<p>&nbsp;</p><p>after</p>", "after");
	check("<p>日本語のテキスト　全角スペース。「引用」</p>",
	    "日本語のテキスト　全角スペース。「引用」");
	/* The document's own charset claim is not believed: the caller
	 * converted the bytes already. */
	check("<html><head><meta charset=\"shift_jis\"></head>"
	      "<body>ありがとう</body></html>",
	    "ありがとう");
}

static void
test_links(void)
{
	check("<p>See <a href=\"https://example.jp/a\">this page</a> and "
	      "<a href=\"https://example.jp/a\">again</a>, "
	      "<a href=\"https://example.jp/\">https://example.jp/</a>, "
	      "<a href=\"mailto:info@example.jp?subject=x\">info@example.jp</a>"
	      ", <a href=\"javascript:alert(1)\">js</a>, "
	      "<a href=\"java\nscript:alert(2)\">js2</a>, "
	      "<a href=\"#top\">top</a>, "
	      "<a href=\" https://b.example/x?a=1&amp;b=2 \">other</a>.</p>",
	    "See this page[1] and again[1], https://example.jp/, "
	    "info@example.jp, js, js2, top, other[2].\n\nLinks:\n"
	    "[1] https://example.jp/a\n[2] https://b.example/x?a=1&b=2");
	/* Text that looks like a URL but is not the target gets a number. */
	check("<a href=\"https://evil.example/\">https://bank.example/</a>",
	    "https://bank.example/[1]\n\nLinks:\n[1] https://evil.example/");
	/* A link around an image without text. */
	check("<a href=\"https://e.example/\"><img src=\"x\"></a>",
	    "[1]\n\nLinks:\n[1] https://e.example/");
}

static void
test_links_off(void)
{
	struct mg_html_opts o = {FALSE, 0, 0, "Links:"};
	const char *h = "<a href=\"https://e.example/\">text</a>";
	g_autofree char *t = mg_html_to_text(h, strlen(h), &o, NULL);
	g_autofree char *t2 = mg_html_to_text(h, strlen(h), NULL, NULL);

	g_assert_cmpstr(t, ==, "text");
	g_assert_cmpstr(t2, ==, "text");
}

static void
test_images_and_forms(void)
{
	g_autofree char *t = NULL;
	guint flags = 0;

	t = render("<p><img src=\"a.png\" alt=\" Company\n logo \"> "
	           "<img src=\"b.png\"> text</p>",
	    &flags);
	g_assert_cmpstr(t, ==, "[Company logo] text");
	g_assert_cmpuint(flags, ==, MG_HTML_HAD_IMAGES);
	g_clear_pointer(&t, g_free);

	t = render("<form action=\"https://x.example/\">ID <input name=id "
	           "placeholder=\"user\"> <input type=password> "
	           "<input type=checkbox checked> <select><option>a"
	           "<option selected>b</select> <input type=submit "
	           "value=\"Log in\"> <button>Go <b>now</b></button></form>",
	    &flags);
	g_assert_cmpstr(t, ==, "ID [user] [ ] [x] [b] [Log in] [Go now]");
	g_assert_cmpuint(flags, ==, MG_HTML_HAD_FORMS);
}

static void
test_pre_and_quote(void)
{
	check("<p>x</p><pre>  code   here\n\tindented\n\n\nend  </pre><p>y</p>",
	    "x\n\n  code   here\n\tindented\n\nend\n\ny");
	check("<blockquote><p>q1</p><p>q2</p><blockquote>inner</blockquote>"
	      "</blockquote><p>after</p>",
	    "> q1\n>\n> q2\n>\n> > inner\n\nafter");
	check("<blockquote>a<br>b</blockquote>", "> a\n> b");
}

/* What Outlook and Word write into Japanese offices' mail. */
static void
test_outlook(void)
{
	check("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
	      "<head><!--[if gte mso 9]><xml><o:OfficeDocumentSettings>"
	      "SECRET</o:OfficeDocumentSettings></xml><![endif]--></head>"
	      "<body><p class=MsoListParagraph><![if !supportLists]><span>"
	      "1.<span>&nbsp;</span></span><![endif]>項目<o:p></o:p></p>"
	      "<p class=MsoNormal>本文<o:p>&nbsp;</o:p></p>"
	      "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	      "<p>a <![x]> b</p></body></html>",
	    "1. 項目\n\n本文\n\na <![x]> b");
}

static void
test_deep(void)
{
	GString *h = g_string_new(NULL);
	g_autofree char *t = NULL;
	guint flags = 0, i;

	g_string_append(h, "<p>before</p>");
	for (i = 0; i < 10000; i++)
		g_string_append(h, "<div>");
	g_string_append(h, "deep");
	for (i = 0; i < 10000; i++)
		g_string_append(h, "</div>");
	t = render(h->str, &flags);
	g_assert_nonnull(strstr(t, "before"));
	g_assert_true(flags & MG_HTML_TRUNCATED);
	assert_shape(t);
	g_clear_pointer(&t, g_free);

	g_string_truncate(h, 0);
	for (i = 0; i < 100000; i++)
		g_string_append(h, "<b>");
	g_string_append(h, "x");
	t = render(h->str, &flags);
	g_assert_true(flags & MG_HTML_TRUNCATED);
	assert_shape(t);
	g_clear_pointer(&t, g_free);

	/* Many quotes and lists: prefixes stop growing. */
	g_string_truncate(h, 0);
	for (i = 0; i < 200; i++)
		g_string_append(h, "<blockquote><ul><li>");
	g_string_append(h, "x");
	t = render(h->str, &flags);
	g_assert_cmpuint(strlen(t), <, 200);
	assert_shape(t);
	g_string_free(h, TRUE);
}

static void
test_budgets(void)
{
	GString *h = g_string_new(NULL);
	struct mg_html_opts o = {TRUE, 100, 0, NULL};
	g_autofree char *t = NULL;
	guint flags = 0, i;

	for (i = 0; i < 1000; i++)
		g_string_append_printf(h, "<b>w%u</b> ", i);
	t = mg_html_to_text(h->str, h->len, &o, &flags);
	g_assert_true(flags & MG_HTML_TRUNCATED);
	g_assert_nonnull(strstr(t, "w1"));
	g_assert_null(strstr(t, "w999"));
	g_clear_pointer(&t, g_free);

	/* Output cut on a character boundary. */
	g_string_truncate(h, 0);
	for (i = 0; i < 1000; i++)
		g_string_append(h, "<p>日本語の文章です。</p>");
	o.max_nodes = 0;
	o.max_output = 1001;
	t = mg_html_to_text(h->str, h->len, &o, &flags);
	g_assert_true(flags & MG_HTML_TRUNCATED);
	g_assert_cmpuint(strlen(t), <=, 1001);
	g_assert_cmpuint(strlen(t), >, 900);
	assert_shape(t);
	g_clear_pointer(&t, g_free);

	/* Within the budgets: no flag. */
	t = mg_html_to_text("<p>a</p>", 8, &o, &flags);
	g_assert_cmpuint(flags, ==, 0);
	g_string_free(h, TRUE);
}

static void
test_malformed(void)
{
	static const char h[] = "<p>a\0b</td></td><p>unclosed <b>bold <i>it"
	                        "<table><td>c1<td>c2</table>\xff\xfe tail "
	                        "\xe3\x81\x82";
	g_autofree char *t = NULL;
	guint flags = 0;

	t = mg_html_to_text(h, sizeof(h) - 1, NULL, &flags);
	g_assert_nonnull(strstr(t, "a\xef\xbf\xbd"
	                           "b"));
	g_assert_nonnull(strstr(t, "unclosed bold it"));
	g_assert_nonnull(strstr(t, "c1 | c2"));
	g_assert_nonnull(strstr(t, "tail あ"));
	assert_shape(t);
	g_clear_pointer(&t, g_free);

	check("</div></p><li>x", "- x");
	check("<p>1 < 2 &amp;&amp; 3 > 2 &unknown; &</p>",
	    "1 < 2 && 3 > 2 &unknown; &");
}

static void
test_empty(void)
{
	g_autofree char *t = NULL;
	g_autofree char *t2 = NULL;
	g_autofree char *t3 = NULL;
	guint flags = 99;

	t = mg_html_to_text("", 0, NULL, &flags);
	g_assert_cmpstr(t, ==, "");
	g_assert_cmpuint(flags, ==, 0);
	t2 = render(" \n\t <p> </p><br><br> ", &flags);
	g_assert_cmpstr(t2, ==, "");
	t3 = render("<html><head><title>t</title></head></html>", &flags);
	g_assert_cmpstr(t3, ==, "");
}

static void
check_charset(const char *html, const char *want)
{
	g_autofree char *cs = mg_html_meta_charset(html, strlen(html));

	g_assert_cmpstr(cs, ==, want);
}

static void
test_meta_charset(void)
{
	GString *h;

	check_charset("<html><head><META HTTP-EQUIV=\"Content-Type\" "
	              "CONTENT=\"text/html; charset=shift_jis\"></head>",
	    "shift_jis");
	check_charset("<meta content='text/html;charset=\"ISO-2022-JP\"' "
	              "http-equiv=content-type>",
	    "ISO-2022-JP");
	check_charset("<meta charset='euc-jp'>", "euc-jp");
	check_charset("<meta charset=UTF-8>", "UTF-8");
	check_charset("<meta/charset=\"x-sjis\"/>", "x-sjis");
	check_charset("<html><body>no meta</body></html>", NULL);
	check_charset(
	    "<!-- <meta charset=\"koi8-r\"> --><meta charset=sjis>", "sjis");
	/* A Content-Type without http-equiv, or junk, declares nothing. */
	check_charset("<meta content=\"text/html; charset=big5\">", NULL);
	check_charset("<meta charset=\"a b\">", NULL);
	check_charset("<meta charset=\"cut", NULL);
	check_charset("<metadata charset=x>", NULL);
	check_charset("", NULL);

	/* Only the first 4 KiB are read. */
	h = g_string_new(NULL);
	while (h->len < 5000)
		g_string_append(h, "<p>padding</p>");
	g_string_append(h, "<meta charset=euc-jp>");
	check_charset(h->str, NULL);
	g_string_free(h, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/html/paragraphs", test_paragraphs);
	g_test_add_func("/html/lists", test_lists);
	g_test_add_func("/html/table", test_table);
	g_test_add_func("/html/dropped", test_dropped);
	g_test_add_func("/html/entities-japanese", test_entities_and_japanese);
	g_test_add_func("/html/links", test_links);
	g_test_add_func("/html/links-off", test_links_off);
	g_test_add_func("/html/images-forms", test_images_and_forms);
	g_test_add_func("/html/pre-quote", test_pre_and_quote);
	g_test_add_func("/html/outlook", test_outlook);
	g_test_add_func("/html/deep", test_deep);
	g_test_add_func("/html/budgets", test_budgets);
	g_test_add_func("/html/malformed", test_malformed);
	g_test_add_func("/html/empty", test_empty);
	g_test_add_func("/html/meta-charset", test_meta_charset);
	return g_test_run();
}
