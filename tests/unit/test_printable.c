/* Unit tests: mg_printable (escaping for terminals, logs and notices) and
 * the reason table. */
#include <string.h>

#include "util/mg_reason.h"
#include "util/mg_util.h"

static void
check(const char *in, gssize len, guint flags, const char *want)
{
	g_autofree char *got = mg_printable(in, len, flags);

	g_assert_cmpstr(got, ==, want);
	g_assert_true(g_utf8_validate(got, -1, NULL));
}

static void
test_plain(void)
{
	check("report.pdf", -1, 0, "report.pdf");
	check("見積書①.xlsx", -1, 0, "見積書①.xlsx");
	check(NULL, -1, 0, "");
	check("", -1, 0, "");
}

static void
test_controls(void)
{
	check("a\r\nb", -1, 0, "a\\x0D\\x0Ab");
	check("a\nb", -1, MG_PRINTABLE_KEEP_NEWLINES, "a\nb");
	check("\x1b[2J", -1, 0, "\\x1B[2J");
	check("tab\there", -1, 0, "tab\\x09here");
	check("del\x7f", -1, 0, "del\\x7F");
	/* C1 control U+009B (CSI) as UTF-8. */
	check("x\xc2\x9by", -1, 0, "x\\u{009B}y");
	check("a\\b", -1, 0, "a\\\\b");
	check("nul\0after", 9, 0, "nul\\x00after");
}

static void
test_bidi(void)
{
	/* The classic spoof: "testRTL<U+202E>exe.txt" shows as
	 * "testRTLtxt.exe". */
	check("testRTL\xe2\x80\xae"
	      "exe.txt",
	    -1, 0, "testRTL\\u{202E}exe.txt");
	check("\xe2\x81\xa6x\xe2\x81\xa9", -1, 0, "\\u{2066}x\\u{2069}");
	check("zw\xe2\x80\x8bsp", -1, 0, "zw\\u{200B}sp");
	check("\xef\xbb\xbf"
	      "bom",
	    -1, 0, "\\u{FEFF}bom");
}

static void
test_invalid_utf8(void)
{
	check("\x82\xa0sjis", -1, 0, "\\x82\\xA0sjis");
	check("trunc\xe3\x81", -1, 0, "trunc\\xE3\\x81");
}

static void
test_reason_table(void)
{
	guint i;

	for (i = 0; i < MG_REASON_COUNT; i++) {
		const struct mg_reason_info *ri = mg_reason_info(i);

		g_assert_cmpuint(ri->reason, ==, i);
		g_assert_nonnull(ri->id);
		g_assert_nonnull(ri->ja);
		g_assert_nonnull(ri->en);
	}
	g_assert_cmpstr(mg_reason_id(MG_REASON_TOO_DEEP), ==, "too_deep");
	g_assert_cmpstr(mg_reason_id(MG_REASON_COUNT + 5), ==, "none");
}

static void
test_sha256(void)
{
	g_autofree char *h = mg_sha256_hex("abc", 3);

	g_assert_cmpstr(h, ==,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
check_compose(const char *in, const char *want)
{
	g_autofree char *s = g_strdup(in);

	mg_compose_kana(s);
	g_assert_cmpstr(s, ==, want);
}

/* macOS's decomposed kana composed; nothing else touched. */
static void
test_compose_kana(void)
{
	check_compose("\u30c6\u3099\u30fc\u30bf.pdf", "データ.pdf");
	check_compose("\u30cf\u309a\u30b9", "パス");
	check_compose("\u304b\u3099\u3099", "が\u3099");
	check_compose("\u3099\u304b", "\u3099か");
	check_compose("a\u3099", "a\u3099");
	/* Half-width kana and its marks are not canonical pairs. */
	check_compose("\uff76\u3099 \uff76\uff9e", "\uff76\u3099 \uff76\uff9e");
	/* A compatibility ideograph stays (NFC would make it U+795E). */
	check_compose("\ufa19\u5c71", "\ufa19\u5c71");
	check_compose("", "");
	/* Invalid UTF-8 passes as it is. */
	check_compose("\xff\u30c6\u3099\xe3", "\xffデ\xe3");
	mg_compose_kana(NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/printable/plain", test_plain);
	g_test_add_func("/printable/controls", test_controls);
	g_test_add_func("/printable/bidi", test_bidi);
	g_test_add_func("/printable/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/reason/table", test_reason_table);
	g_test_add_func("/util/sha256", test_sha256);
	g_test_add_func("/util/compose_kana", test_compose_kana);
	return g_test_run();
}
