/*
 * test_charset.c - mg_charset: Japanese charsets decoded as Windows does,
 * detection of missing and wrong labels, and the ISO-2022-JP encoder.
 *
 * Byte strings are written by hand from JIS codes (each checked by
 * converting the expected character with `iconv -t CP932` and turning the
 * Shift_JIS pair into JIS), so the tests do not trust the converter they
 * test.  Every result is checked to be valid UTF-8.
 */
#include <string.h>

#include "mime/mg_charset.h"

/* Decode and compare; returns the flags. */
static guint
check(const char *cs, const char *in, gsize len, const char *want)
{
	gsize n = 0;
	guint flags = 0;
	char *out;

	out = mg_charset_to_utf8(cs, in, len, &n, &flags);
	g_assert_nonnull(out);
	g_assert_true(g_utf8_validate(out, n, NULL));
	g_assert_cmpuint(strlen(out), ==, n);
	if (want != NULL)
		g_assert_cmpstr(out, ==, want);
	g_free(out);
	return flags;
}

#define CHECK(cs, lit, want) check(cs, lit, sizeof(lit) - 1, want)

/* 本日の会議は… : a realistic ~100-byte sentence in four encodings. */
#define SENTENCE                                                                                           \
	"本日の会議は午後三時から第二会議室で行います。資料を事前にご確認" \
	"ください。よろしくお願いいたします。"
static const char sentence_sjis[] =
    "\x96{\x93\xfa\x82\xcc\x89\xef\x8b"
    "c\x82\xcd\x8c\xdf\x8c\xe3\x8eO\x8e\x9e\x82\xa9\x82\xe7\x91\xe6\x93"
    "\xf1\x89\xef\x8b"
    "c\x8e\xba\x82\xc5\x8ds\x82\xa2\x82\xdc\x82\xb7\x81"
    "B\x8e\x91\x97\xbf\x82\xf0\x8e\x96\x91O\x82\xc9\x82\xb2\x8am\x94"
    "F\x82\xad\x82\xbe\x82\xb3\x82\xa2\x81"
    "B\x82\xe6\x82\xeb\x82\xb5\x82\xad\x82\xa8\x8a\xe8\x82\xa2\x82\xa2"
    "\x82\xbd\x82\xb5\x82\xdc\x82\xb7\x81"
    "B";
static const char sentence_euc[] =
    "\xcb\xdc\xc6\xfc\xa4\xce\xb2\xf1\xb5\xc4\xa4\xcf\xb8\xe1\xb8\xe5\xbb"
    "\xb0\xbb\xfe\xa4\xab\xa4\xe9\xc2\xe8\xc6\xf3\xb2\xf1\xb5\xc4\xbc\xbc"
    "\xa4\xc7\xb9\xd4\xa4\xa4\xa4\xde\xa4\xb9\xa1\xa3\xbb\xf1\xce\xc1\xa4"
    "\xf2\xbb\xf6\xc1\xb0\xa4\xcb\xa4\xb4\xb3\xce\xc7\xa7\xa4\xaf\xa4\xc0"
    "\xa4\xb5\xa4\xa4\xa1\xa3\xa4\xe8\xa4\xed\xa4\xb7\xa4\xaf\xa4\xaa\xb4"
    "\xea\xa4\xa4\xa4\xa4\xa4\xbf\xa4\xb7\xa4\xde\xa4\xb9\xa1\xa3";
static const char sentence_jis[] =
    "\x1b$BK\\F|$N2q5D$O8a8e;0;~$+$iBhFs2q5D<<$G9T$$$^$9!#;qNA$r;vA0$K$4"
    "3NG'$/$@$5$$!#$h$m$7$/$*4j$$$$$?$7$^$9!#\x1b(B";

static void
test_iso2022jp_basic(void)
{
	g_assert_cmpuint(CHECK("ISO-2022-JP", "\x1b$B$3$s$K$A$O!\"@$3&!#\x1b(B",
	                     "こんにちは、世界。"),
	    ==, 0);
	CHECK("iso-2022-jp", "abc \x1b$B4A;z\x1b(B def", "abc 漢字 def");
	/* ESC $ @ (JIS C 6226-1978) is read as JIS X 0208 too. */
	CHECK("csISO2022JP", "\x1b$@$\"\x1b(B", "あ");
	/* The JIS X 0208-1990 announcer ESC & @ is harmless. */
	CHECK("ISO-2022-JP", "\x1b&@\x1b$B$\"\x1b(B", "あ");
	/* Line ends inside a kanji run are passed through. */
	CHECK("ISO-2022-JP", "\x1b$B$\"\r\n$$\x1b(B", "あ\r\nい");
	CHECK("ISO-2022-JP", sentence_jis, SENTENCE);
}

static void
test_iso2022jp_nec_ibm(void)
{
	/*
	 * NEC row 13: ① 0x2D21, ② 0x2D22, ⑩ 0x2D2A, Ⅰ 0x2D35, Ⅱ 0x2D36,
	 * № 0x2D62, ㈱ 0x2D6A, ㈲ 0x2D6B, ℡ 0x2D64, ㍻ 0x2D5F (CP932
	 * 0x877E), ㍉ 0x2D40 (CP932 0x875F).
	 * NEC-selected IBM extensions: 髙 CP932 0xEEE0 = JIS 0x7C62,
	 * 﨑 CP932 0xED95 = JIS 0x7975.
	 */
	g_assert_cmpuint(
	    CHECK("ISO-2022-JP", "\x1b$B-!-\"-*-5-6-b-j-k-d-_-@|byu\x1b(B",
	        "\u2460\u2461\u2469\u2160\u2161\u2116\u3231\u3232\u2121"
	        "\u337b\u3349\u9ad9\ufa11"),
	    ==, 0);
	/* The same under every name of the family. */
	CHECK("CP50220", "\x1b$B-!\x1b(B", "\u2460");
	CHECK("cp50221", "\x1b$B-!\x1b(B", "\u2460");
	CHECK("CP50222", "\x1b$B-!\x1b(B", "\u2460");
	CHECK("ISO-2022-JP-2", "\x1b$B-!\x1b(B", "\u2460");
	CHECK("ISO-2022-JP-1", "\x1b$B|b\x1b(B", "\u9ad9");
	/* A mail text: 髙橋様 ①会議 */
	CHECK("ISO-2022-JP", "\x1b$B|b66MM\x1b(B \x1b$B-!2q5D\x1b(B",
	    "髙橋様 ①会議");
}

static void
test_iso2022jp_kana(void)
{
	/* JIS X 0201 kana: ESC ( I, 0x31 ｱ 0x32 ｲ; SO/SI (CP50222). */
	CHECK("ISO-2022-JP", "\x1b(I12\x1b(Bx", "ｱｲx");
	CHECK("ISO-2022-JP",
	    "a\x0e"
	    "34\x0f"
	    "b",
	    "aｳｴb");
	/* Long vowel mark 0x30 ｰ and the handakuten 0x5F ﾟ. */
	CHECK("ISO-2022-JP", "\x1b(I0_\x1b(B", "ｰﾟ");
	/* A kana byte above 0x5F is not kana. */
	g_assert_cmpuint(CHECK("ISO-2022-JP", "\x1b(I`\x1b(B", "\ufffd") &
	                     MG_CHARSET_REPLACED,
	    ==, MG_CHARSET_REPLACED);
	/* ESC ( J is read as ASCII, as CP5022x does. */
	CHECK("ISO-2022-JP", "\x1b(Jc:\\tmp~\x1b(B", "c:\\tmp~");
	/* "8-bit JIS": raw kana bytes. */
	CHECK("ISO-2022-JP", "\x1b$B$\"\x1b(B\xb1", "あｱ");
}

static void
test_iso2022jp_other_sets(void)
{
	/* JIS X 0212 (ESC $ ( D) through EUC-JP-MS: 0x3021 is 丂. */
	CHECK("ISO-2022-JP-1", "\x1b$(D0!\x1b(B", "丂");
	/* ISO-2022-JP-2: GB 2312 and KS C 5601. */
	CHECK("ISO-2022-JP-2", "\x1b$AVP\x1b(B", "中");
	CHECK("ISO-2022-JP-2", "\x1b$(CGQ\x1b(B", "한");
	/* ISO-2022-JP-2 single shift: ESC . A, then ESC N 0x69 = é. */
	CHECK("ISO-2022-JP-2", "caf\x1b.A\x1bNi", "café");
}

static void
test_iso2022jp_broken(void)
{
	static const char sample[] = "a\x1b$B$\"-!\x1b(I1\x1b(B\x0e"
	                             "2\x0f\x1b$(D0!\x1b(Bz";
	gsize i;
	guint f;

	/* Unknown escape: one U+FFFD for the whole sequence. */
	f = CHECK("ISO-2022-JP", "a\x1b$Zb", "a\ufffdb");
	g_assert_true(f & MG_CHARSET_REPLACED);
	/* Truncated escape at the end. */
	CHECK("ISO-2022-JP", "a\x1b$", "a\ufffd");
	CHECK("ISO-2022-JP", "a\x1b", "a\ufffd");
	CHECK("ISO-2022-JP", "a\x1b$(", "a\ufffd");
	/* Escape sequences that never end in a final byte. */
	CHECK("ISO-2022-JP", "\x1b$$$$$$$$$$$$", "\ufffd");
	/* Half a kanji at the end. */
	CHECK("ISO-2022-JP", "\x1b$B$3$", "こ\ufffd");
	/* Half a kanji before an escape. */
	CHECK("ISO-2022-JP", "\x1b$B$\x1b(Bx", "\ufffdx");
	/* An unassigned JIS code (row 9) is one U+FFFD, not two. */
	CHECK("ISO-2022-JP", "\x1b$B)!$\"\x1b(B", "\ufffdあ");
	/* Single shift without a G2 set. */
	CHECK("ISO-2022-JP-2", "\x1bNa", "\ufffd");
	/* Stray 8-bit bytes next to JIS escapes. */
	CHECK("ISO-2022-JP", "\x1b$B$\"\x1b(B\xff", "あ\ufffd");
	/* Every prefix of a busy sample decodes to valid UTF-8. */
	for (i = 0; i <= sizeof(sample) - 1; i++)
		check("ISO-2022-JP", sample, i, NULL);
}

static void
test_sjis(void)
{
	static const char *const names[] = {"Shift_JIS", "SJIS", "x-sjis",
	    "MS_Kanji", "Windows-31J", "CP932", "shift-jis", "\"shift_jis\""};
	gsize i;

	/*
	 * CP932-only mappings: ① 0x8740; 0x8160 is U+FF5E FULLWIDTH TILDE
	 * (not U+301C WAVE DASH), 0x817C U+FF0D, 0x8161 U+2225, 0x81CA
	 * U+FFE2; 髙 0xFBFC (IBM extension) and 0xEEE0 (NEC-selected).
	 */
	for (i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_cmpuint(
		    CHECK(names[i],
		        "\x87\x40\x81\x60\x81\x7c\x81\x61\x81\xca\xfb\xfc\xee"
		        "\xe0",
		        "\u2460\uff5e\uff0d\u2225\uffe2\u9ad9\u9ad9"),
		    ==, 0);
	CHECK("Shift_JIS", "\xb1\xb2\xb3", "ｱｲｳ");
	CHECK("Shift_JIS", sentence_sjis, SENTENCE);
	/* Backslash and tilde stay ASCII in CP932. */
	CHECK("Shift_JIS", "\\~", "\\~");
}

static void
test_sjis_invalid(void)
{
	guint f;

	/* A lead byte with a non-trail byte: the ASCII byte survives. */
	f = CHECK("Shift_JIS", "\x82\xa0\x81 a", "あ\ufffd a");
	g_assert_true(f & MG_CHARSET_REPLACED);
	/* Unassigned pair with an ASCII trail (WHATWG: trail given back). */
	CHECK("Shift_JIS", "\x82\xa0\x85@", "あ\ufffd@");
	/* Truncated at the end. */
	CHECK("Shift_JIS", "\x82\xa0\x82", "あ\ufffd");
	/* 0xFF is never valid. */
	CHECK("Shift_JIS", "\x82\xa0\xff", "あ\ufffd");
}

static void
test_eucjp(void)
{
	static const char *const names[] = {
	    "EUC-JP", "x-euc-jp", "eucJP-ms", "CP51932", "euc-jp"};
	gsize i;

	/*
	 * ① 0xADA1 (NEC row 13); 髙 as eucJP-ms writes it (IBM extension
	 * in JIS X 0212 space, 0x8FF4FB) and as CP51932 writes it (NEC-
	 * selected, JIS 0x7C62 = 0xFCE2); あ 0xA4A2; ｱ 0x8EB1; 丂 0x8FB0A1.
	 */
	for (i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_cmpuint(CHECK(names[i],
		                     "\xad\xa1\x8f\xf4\xfb\xfc\xe2\xa4\xa2\x8e"
		                     "\xb1\x8f\xb0\xa1",
		                     "①髙髙あｱ丂"),
		    ==, 0);
	/* ～ as eucJP-ms/CP51932 has it (0xA1C1 -> U+FF5E). */
	CHECK("EUC-JP", "\xa1\xc1", "\uff5e");
	CHECK("EUC-JP", sentence_euc, SENTENCE);
	/* Broken: lone 0x8E, truncated 0x8F, lone lead. */
	CHECK("EUC-JP",
	    "\xa4\xa2\x8e"
	    "a",
	    "あ\ufffda");
	CHECK("EUC-JP", "\xa4\xa2\x8f\xb0", "あ\ufffd\ufffd");
	CHECK("EUC-JP", "\xa4\xa2\xa4", "あ\ufffd");
}

static void
test_utf8(void)
{
	guint f;

	f = CHECK("UTF-8", "caf\xc3\xa9 \xe3\x81\x82", "café あ");
	g_assert_cmpuint(f, ==, 0);
	CHECK("utf8", "\xe3\x81\x82", "あ");
	f = CHECK("UTF-8",
	    "a\xff"
	    "b\xe3\x81",
	    "a\ufffdb\ufffd\ufffd");
	g_assert_true(f & MG_CHARSET_REPLACED);
	g_assert_false(f & MG_CHARSET_DETECTED);
	/* Overlong and surrogate forms are not UTF-8. */
	CHECK("UTF-8", "\xc0\xaf", "\ufffd\ufffd");
	CHECK("UTF-8", "\xed\xa0\x80", "\ufffd\ufffd\ufffd");
}

static void
test_nul(void)
{
	CHECK("UTF-8", "a\0b", "ab");
	CHECK("ISO-2022-JP", "\x1b$B$\0\"\x1b(B", "あ");
	CHECK("Shift_JIS", "\x82\0\xa0", "あ");
	CHECK(NULL, "a\0b", "ab");
	CHECK("iso-8859-1", "a\0\xe9", "aé");
	/* UTF-16 keeps its zero bytes; the U+0000 it decodes is dropped. */
	CHECK("UTF-16LE", "a\0\0\0b\0", "ab");
}

static void
test_missing(void)
{
	guint f;

	f = CHECK(NULL, sentence_sjis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	g_assert_false(f & MG_CHARSET_REPLACED);
	f = CHECK(NULL, sentence_euc, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	f = CHECK(NULL, SENTENCE, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	f = CHECK(NULL, sentence_jis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	g_assert_cmpstr(
	    mg_charset_detect(sentence_sjis, sizeof(sentence_sjis) - 1), ==,
	    "CP932");
	g_assert_cmpstr(
	    mg_charset_detect(sentence_euc, sizeof(sentence_euc) - 1), ==,
	    "EUC-JP");
	g_assert_cmpstr(
	    mg_charset_detect(sentence_jis, sizeof(sentence_jis) - 1), ==,
	    "ISO-2022-JP");
	g_assert_cmpstr(
	    mg_charset_detect(SENTENCE, strlen(SENTENCE)), ==, "UTF-8");

	/* Short file names, too short for uchardet. */
	CHECK(NULL,
	    "\x89\xef\x8b"
	    "c\x8e\x91\x97\xbf.pdf",
	    "会議資料.pdf");
	CHECK(NULL, "\xb2\xf1\xb5\xc4\xbb\xf1\xce\xc1.pdf", "会議資料.pdf");

	/* A short line with as many half-width kana as kanji:
	 * 会議 10:00 開始 ｱｲｳ. */
	CHECK(NULL,
	    "\x89\xef\x8b"
	    "c 10:00 \x8a"
	    "J\x8en \xb1\xb2\xb3",
	    "会議 10:00 開始 ｱｲｳ");
	CHECK(NULL,
	    "\xb2\xf1\xb5\xc4 10:00 \xb3\xab\xbb\xcf \x8e\xb1\x8e\xb2\x8e\xb3",
	    "会議 10:00 開始 ｱｲｳ");
	CHECK("us-ascii",
	    "\x89\xef\x8b"
	    "c 10:00 \x8a"
	    "J\x8en \xb1\xb2\xb3",
	    "会議 10:00 開始 ｱｲｳ");

	/* Unknown labels mean the same as none. */
	f = CHECK("x-unknown", sentence_sjis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	CHECK("unknown-8bit", sentence_euc, SENTENCE);
	CHECK("x-no-such-charset", sentence_sjis, SENTENCE);
	CHECK("UTF-8//IGNORE", sentence_sjis, SENTENCE);
	CHECK("", sentence_sjis, SENTENCE);

	/* Plain ASCII without a label is not a detection. */
	g_assert_cmpuint(CHECK(NULL, "hello", "hello"), ==, 0);
	g_assert_cmpuint(CHECK(NULL, "", ""), ==, 0);
	g_assert_cmpstr(mg_charset_detect("hello", 5), ==, "US-ASCII");
	g_assert_null(mg_charset_detect("", 0));
}

static void
test_wrong_label(void)
{
	guint f;

	/* UTF-8 labelled Latin-1 or ASCII: a common mislabel. */
	f = CHECK("iso-8859-1", "日本語のテキストです", "日本語のテキストです");
	g_assert_true(f & MG_CHARSET_DETECTED);
	f = CHECK("us-ascii", "caf\xc3\xa9", "café");
	g_assert_true(f & MG_CHARSET_DETECTED);
	/* Shift_JIS labelled ASCII or Latin-1. */
	f = CHECK("us-ascii", sentence_sjis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	CHECK("iso-8859-1", sentence_sjis, SENTENCE);
	/* ISO-2022-JP labelled ASCII: 7-bit, but with JIS escapes. */
	f = CHECK("us-ascii", sentence_jis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	CHECK("UTF-8", sentence_jis, SENTENCE);
	/* 8-bit text labelled ISO-2022-JP. */
	f = CHECK("ISO-2022-JP", sentence_sjis, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	CHECK("ISO-2022-JP", sentence_euc, SENTENCE);
	CHECK("ISO-2022-JP", SENTENCE, SENTENCE);
	/* The Japanese charsets mixed up with each other and UTF-8. */
	f = CHECK("Shift_JIS", sentence_euc, SENTENCE);
	g_assert_true(f & MG_CHARSET_DETECTED);
	CHECK("EUC-JP", sentence_sjis, SENTENCE);
	CHECK("Shift_JIS", SENTENCE, SENTENCE);
	CHECK("UTF-8", sentence_sjis, SENTENCE);
	CHECK("UTF-8", sentence_euc, SENTENCE);
}

static void
test_latin1(void)
{
	/* Genuine Latin-1 stays Latin-1. */
	g_assert_cmpuint(CHECK("iso-8859-1",
	                     "caf\xe9 cr\xe8me br\xfbl\xe9"
	                     "e",
	                     "café crème brûlée"),
	    ==, 0);
	g_assert_cmpuint(CHECK("ISO-8859-1",
	                     "Gr\xf6\xdf"
	                     "e",
	                     "Größe"),
	    ==, 0);
	g_assert_cmpuint(CHECK("latin1", "\xe9t\xe9", "été"), ==, 0);
	g_assert_cmpuint(CHECK("windows-1252",
	                     "\x93hi\x94 \x80"
	                     "5",
	                     "\u201chi\u201d \u20ac5"),
	    ==, 0);
	/* As WHATWG says, iso-8859-1 is read as windows-1252. */
	CHECK("iso-8859-1", "\x85", "\u2026");
	CHECK("iso-8859-1", "\x81", "\xc2\x81"); /* U+0081 */
	/* 7-bit text in a Latin-1 label is not a detection. */
	g_assert_cmpuint(CHECK("iso-8859-1", "plain", "plain"), ==, 0);
	/* Capitals and ß read as Shift_JIS are half-width kana, and a
	 * quote mark before a letter a kanji: still Latin-1. */
	g_assert_cmpuint(CHECK("iso-8859-1",
	                     "\x93\xdc"
	                     "ber\x94 GR\xd6\xdf"
	                     "E \xc4RGER \xc9T\xc9",
	                     "\u201c\u00dcber\u201d GR\u00d6\u00dfE "
	                     "\u00c4RGER \u00c9T\u00c9"),
	    ==, 0);
	/* Valid Shift_JIS with one kanji and more half-width kana: Latin-1
	 * capitals, not Japanese. */
	g_assert_cmpstr(mg_charset_detect("\x93\xdc"
	                                  "BER GR\xd6\xdf"
	                                  "E \xc4RGER",
	                    17),
	    !=, "CP932");
	/* An ASCII label on Latin-1 text: nothing else fits. */
	CHECK("us-ascii", "caf\xe9", NULL);
}

static void
test_other_iconv(void)
{
	CHECK("koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет");
	CHECK("gb2312", "\xd6\xd0\xce\xc4", "中文");
	CHECK("ks_c_5601-1987", "\xc7\xd1", "한");
	CHECK("ISO-8859-15", "\xa4", "€");
	/* Charset*language (RFC 2231 §5) and odd spelling. */
	CHECK("UTF-8*ja", "\xe3\x81\x82", "あ");
	CHECK(" Shift_JIS ", "\x82\xa0", "あ");
	/* JIS X 0213 under the names mailers use (𩸽 is in plane 2). */
	CHECK("EUC-JIS-2004", "\xa4\xa2\x8f\xfd\xcc\xad\xa1", "あ𩸽①");
	CHECK("Shift_JIS-2004",
	    "\x82\xa0\xfc"
	    "k\x87\x40",
	    "あ𩸽①");
	/* A byte order mark: UTF-16's is consumed by the decoder; a UTF-8
	 * one stays here (a text part drops it: mg_walk.c part_utf8, corpus
	 * case utf8_bom_body; a header word keeps what it says). */
	CHECK("UTF-16", "\xff\xfe\x42\x30", "あ");
	CHECK("UTF-8", "\xef\xbb\xbf\xe3\x81\x82", "\ufeffあ");
	/* A label longer than any charset name. */
	CHECK("a-very-long-charset-label-that-is-certainly-not-any-charset-"
	      "name-at-all",
	    "abc", "abc");
}

static void
test_to_iso2022jp(void)
{
	static const char text[] = "こんにちは～世界 abc ①";
	gsize n = 0;
	char *jis, *back;

	jis = mg_charset_utf8_to_iso2022jp(
	    "こんにちは～世界 abc", strlen("こんにちは～世界 abc"), &n);
	g_assert_nonnull(jis);
	g_assert_cmpuint(n, ==, strlen(jis));
	g_assert_true(g_str_has_prefix(jis, "\x1b$B"));
	g_assert_true(g_str_has_suffix(jis, "abc"));
	back = mg_charset_to_utf8("ISO-2022-JP", jis, n, NULL, NULL);
	g_assert_cmpstr(back, ==, "こんにちは～世界 abc");
	g_free(back);
	g_free(jis);

	/* Ends in ASCII mode. */
	jis = mg_charset_utf8_to_iso2022jp("漢字", strlen("漢字"), &n);
	g_assert_cmpstr(jis, ==, "\x1b$B4A;z\x1b(B");
	g_free(jis);

	/* ① is not in JIS X 0208; neither are kana or ¥ as RFC 1468 has. */
	g_assert_null(mg_charset_utf8_to_iso2022jp(text, strlen(text), NULL));
	g_assert_null(mg_charset_utf8_to_iso2022jp("ｱ", strlen("ｱ"), NULL));
	g_assert_null(mg_charset_utf8_to_iso2022jp("¥", strlen("¥"), NULL));
	g_assert_null(mg_charset_utf8_to_iso2022jp("\xff", 1, NULL));

	jis = mg_charset_utf8_to_iso2022jp("abc", 3, &n);
	g_assert_cmpstr(jis, ==, "abc");
	g_free(jis);
	jis = mg_charset_utf8_to_iso2022jp("", 0, &n);
	g_assert_cmpstr(jis, ==, "");
	g_assert_cmpuint(n, ==, 0);
	g_free(jis);
}

/* Random bytes under every label: valid UTF-8 out, nothing else. */
static void
test_random(void)
{
	static const char *const names[] = {NULL, "ISO-2022-JP", "Shift_JIS",
	    "EUC-JP", "UTF-8", "iso-8859-1", "us-ascii", "gb2312", "UTF-16"};
	GRand *r = g_rand_new_with_seed(2047);
	guint8 buf[256];
	gsize i, j, len;

	for (i = 0; i < 2000; i++) {
		len = g_rand_int_range(r, 0, sizeof(buf));
		for (j = 0; j < len; j++) {
			/* Bias towards ESC and the JIS range. */
			guint32 v = g_rand_int(r);

			buf[j] =
			    (v & 0x300) == 0 ? "\x1b$B(I@J"[v % 8] : (guint8)v;
		}
		check(names[i % G_N_ELEMENTS(names)], (char *)buf, len, NULL);
		(void)mg_charset_detect((char *)buf, len);
	}
	g_rand_free(r);
}

static void
test_preload(void)
{
	g_assert_true(mg_charset_preload());
	g_assert_true(mg_charset_preload());
	CHECK("ISO-2022-JP", "\x1b$B-!\x1b(B", "\u2460");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/charset/preload", test_preload);
	g_test_add_func("/charset/iso2022jp/basic", test_iso2022jp_basic);
	g_test_add_func("/charset/iso2022jp/nec-ibm", test_iso2022jp_nec_ibm);
	g_test_add_func("/charset/iso2022jp/kana", test_iso2022jp_kana);
	g_test_add_func(
	    "/charset/iso2022jp/other-sets", test_iso2022jp_other_sets);
	g_test_add_func("/charset/iso2022jp/broken", test_iso2022jp_broken);
	g_test_add_func("/charset/sjis", test_sjis);
	g_test_add_func("/charset/sjis/invalid", test_sjis_invalid);
	g_test_add_func("/charset/eucjp", test_eucjp);
	g_test_add_func("/charset/utf8", test_utf8);
	g_test_add_func("/charset/nul", test_nul);
	g_test_add_func("/charset/missing", test_missing);
	g_test_add_func("/charset/wrong-label", test_wrong_label);
	g_test_add_func("/charset/latin1", test_latin1);
	g_test_add_func("/charset/other-iconv", test_other_iconv);
	g_test_add_func("/charset/to-iso2022jp", test_to_iso2022jp);
	g_test_add_func("/charset/random", test_random);
	return g_test_run();
}
