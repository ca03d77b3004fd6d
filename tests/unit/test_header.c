/*
 * test_header.c - mg_header: RFC 2047 words (joined across a split
 * character), raw 8-bit headers, RFC 2231 parameters with continuations,
 * the lenient forms Japanese mailers send, limits, and the encoder.
 *
 * The base64 texts were made from the bytes named in each comment
 * (python3 base64.b64encode), e.g. "こんにちは" in ISO-2022-JP is
 * ESC $ B $3$s$K$A$O ESC ( B.
 */
#include <string.h>

#include "mime/mg_header.h"

static void
check_decode(const char *raw, const char *want)
{
	char *out = mg_header_decode(raw);

	g_assert_nonnull(out);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

static void
check_param(const char *raw, const char *name, const char *want)
{
	char *out = mg_header_param(raw, name);

	if (want == NULL) {
		g_assert_null(out);
		return;
	}
	g_assert_nonnull(out);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

static void
test_ascii(void)
{
	check_decode("Hello world", "Hello world");
	check_decode("  padded \t", "padded");
	check_decode("", "");
	check_decode("a =? b ?= c", "a =? b ?= c");
	check_decode("=?", "=?");
	check_decode("=?utf-8?X?abc?=", "=?utf-8?X?abc?=");
	check_decode("=??B?abc?=", "=??B?abc?=");
	g_assert_null(mg_header_decode(NULL));
}

static void
test_words(void)
{
	check_decode("=?iso-8859-1?Q?Caf=E9_au_lait?=", "Café au lait");
	check_decode("=?UTF-8?B?44GC44GE44GG?=", "あいう");
	check_decode("=?utf-8?b?44GC44GE44GG?=", "あいう");
	check_decode(
	    "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは");
	check_decode("=?iso-2022-jp?q?=1B$B$3$s=1B(B?=", "こん");
	/* RFC 2231 §5: charset*language. */
	check_decode("=?UTF-8*ja?B?44GC?=", "あ");
	check_decode("=?Shift_JIS?B?ie+LY46Rl78=?=", "会議資料");
	/* NEC row 13 in a subject: ① is JIS 0x2D21. */
	check_decode("=?ISO-2022-JP?B?GyRCLSEbKEI=?=", "\u2460");
	/* An unknown charset falls back to detection. */
	check_decode("=?x-unknown?B?ie+LY46Rl78=?=", "会議資料");
	/* Empty words. */
	check_decode("=?UTF-8?B?"
	             "?=",
	    "");
	check_decode("a =?UTF-8?Q?"
	             "?= b",
	    "a  b");
}

static void
test_split(void)
{
	/*
	 * ISO-2022-JP split in the middle of ん: the first word ends with
	 * ESC $ B $3 and the first byte of $s.
	 */
	check_decode(
	    "=?ISO-2022-JP?B?GyRCJDMk?= =?ISO-2022-JP?B?cyRLJEEkTxsoQg==?=",
	    "こんにちは");
	/* Split inside the escape sequence: ESC $ | B ... */
	check_decode(
	    "=?ISO-2022-JP?B?GyQ=?=\r\n =?ISO-2022-JP?B?QiQzJHMkSyRBJE8bKEI=?=",
	    "こんにちは");
	/* UTF-8 split in い (E3 | 81 84). */
	check_decode("=?UTF-8?B?44GC4w==?= =?UTF-8?B?gYQ=?=", "あい");
	/* Q words split the same way, charset names in other case. */
	check_decode("=?utf-8?Q?=E3=81?= =?UTF-8?Q?=82?=", "あ");
	/* A different charset is not joined, and whitespace still goes. */
	check_decode("=?UTF-8?B?44GC?= =?ISO-8859-1?Q?=E9?=", "あé");
}

static void
test_whitespace(void)
{
	check_decode("=?UTF-8?B?44GC?= =?UTF-8?B?44GE?=", "あい");
	check_decode("=?UTF-8?B?44GC?=\t \t=?UTF-8?B?44GE?=", "あい");
	check_decode("=?UTF-8?B?44GC?= text =?UTF-8?B?44GE?=", "あ text い");
	check_decode("a =?UTF-8?B?44GC?= b", "a あ b");
	check_decode("Re: =?UTF-8?B?44GC?=", "Re: あ");
	/* Glued to text and inside quoted strings (Outlook, Becky!). */
	check_decode("abc=?utf-8?B?44GC?=def", "abcあdef");
	check_decode("\"=?UTF-8?B?5bGx55Sw?=\" <yamada@example.jp>",
	    "\"山田\" <yamada@example.jp>");
}

static void
test_unfold(void)
{
	check_decode("Hello\r\n world", "Hello world");
	check_decode("Hello\n\tworld", "Hello\tworld");
	check_decode("=?UTF-8?B?44GC?=\r\n\t=?UTF-8?B?44GE?=", "あい");
	check_decode("a\r\nb", "a b");
	check_decode("trailing\r\n", "trailing");
}

static void
test_raw8bit(void)
{
	/* 会議資料 in Shift_JIS, EUC-JP, UTF-8 and raw ISO-2022-JP. */
	check_decode("Re: \x89\xef\x8b"
	             "c\x8e\x91\x97\xbf",
	    "Re: 会議資料");
	check_decode("Re: \xb2\xf1\xb5\xc4\xbb\xf1\xce\xc1", "Re: 会議資料");
	check_decode("Re: 会議資料", "Re: 会議資料");
	check_decode("Re: \x1b$B2q5D;qNA\x1b(B", "Re: 会議資料");
	/* Raw text next to an encoded word. */
	check_decode("\x89\xef\x8b"
	             "c =?UTF-8?B?44GC?= \x8e\x91\x97\xbf",
	    "会議 あ 資料");
}

static void
test_bad_words(void)
{
	/* Invalid base64 characters are skipped, padding may be missing. */
	check_decode("=?UTF-8?B?44G!C?=", "あ");
	check_decode("=?UTF-8?B?YWI?=", "ab");
	check_decode("=?UTF-8?B?YQ?=", "a");
	check_decode("=?UTF-8?B?YQ==YQ==?=", "aa");
	check_decode("=?UTF-8?B?!!!!?=", "");
	/* Half a character: replaced, not dropped silently. */
	check_decode("=?UTF-8?B?44G?=", "\ufffd\ufffd");
	/* Q with bad hex stays literal. */
	check_decode("=?UTF-8?Q?a=ZZb=4?=", "a=ZZb=4");
	check_decode("=?UTF-8?Q?a=?=", "a=");
	/* Unterminated word. */
	check_decode("=?UTF-8?B?44GC", "=?UTF-8?B?44GC");
	/* Charset name too long to be one. */
	check_decode(
	    "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa?B?YQ==?=",
	    "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaa?B?YQ==?=");
	/* Control bytes in the charset end the attempt. */
	check_decode("=?UTF\x01-8?B?YQ==?=", "=?UTF\x01-8?B?YQ==?=");
}

static void
test_param_basic(void)
{
	check_param(
	    "text/plain; charset=\"iso-2022-jp\"", "charset", "iso-2022-jp");
	check_param(
	    "text/plain; charset=us-ascii; format=flowed", "format", "flowed");
	check_param("text/plain; CHARSET=UTF-8", "charset", "UTF-8");
	check_param("text/plain; charset=UTF-8", "name", NULL);
	check_param("attachment; filename=a.txt; name=b.txt", "name", "b.txt");
	check_param(
	    "attachment; filename=a.txt; name=b.txt", "filename", "a.txt");
	check_param("attachment; filename=\"a \\\"q\\\" b.txt\"", "filename",
	    "a \"q\" b.txt");
	check_param("attachment; filename=\"semi;colon.txt\"", "filename",
	    "semi;colon.txt");
	/* Spaces around '=' and a missing type. */
	check_param("attachment; filename = \"a.txt\"", "filename", "a.txt");
	check_param("filename=a.txt", "filename", "a.txt");
	/* Unquoted with spaces, as broken mailers send it. */
	check_param(
	    "attachment; filename=My File.txt", "filename", "My File.txt");
	check_param("attachment; filename=\"\"", "filename", "");
	check_param(NULL, "filename", NULL);
	check_param("attachment", "filename", NULL);
	/* Folded. */
	check_param(
	    "attachment;\r\n filename=\"a\r\n b.txt\"", "filename", "a b.txt");
}

static void
test_param_comments(void)
{
	check_param("attachment (comment \"with\" quote; semi) ; (c) "
	            "filename (x) = (y) \"a.txt\" (z)",
	    "filename", "a.txt");
	check_param("text/plain (a (nested) comment); charset=utf-8 (utf)",
	    "charset", "utf-8");
	check_param("text/plain; name=foo.txt (comment)", "name", "foo.txt");
	check_param("text/plain; name=report(1).txt", "name", "report(1).txt");
}

static void
test_param_rfc2231(void)
{
	/* Out of order, percent-encoded UTF-8, plain and extended mixed. */
	check_param("attachment; filename*2=\".txt\"; "
	            "filename*1*=%E3%81%84; filename*0*=UTF-8''%E3%81%82",
	    "filename", "あい.txt");
	/* A character split across two segments. */
	check_param("attachment; filename*0*=UTF-8''%E3%81; "
	            "filename*1*=%82.txt",
	    "filename", "あ.txt");
	/* ISO-2022-JP, split inside the escape sequence. */
	check_param("attachment;\r\n filename*0*=ISO-2022-JP'ja'%1B%24;\r\n"
	            " filename*1*=B%24%22%24%24%1B%28B.pdf",
	    "filename", "あい.pdf");
	/* Plain continuations. */
	check_param("attachment; filename*0=\"abc\"; filename*1=\"def.txt\"",
	    "filename", "abcdef.txt");
	/* Single extended value, with a language, and quoted (broken). */
	check_param("attachment; filename*=UTF-8'ja'%E3%81%82.txt", "filename",
	    "あ.txt");
	check_param("attachment; filename*=\"UTF-8''%E3%81%82.txt\"",
	    "filename", "あ.txt");
	check_param("attachment; filename*=shift_jis''%89%EF%8B%63.xls",
	    "filename", "会議.xls");
	/* Extended without charset: raw bytes, detected. */
	check_param("attachment; filename*=''%E3%81%82", "filename", "あ");
	check_param("attachment; filename*=%E3%81%82", "filename", "あ");
	/* Bad percent escapes stay as they are. */
	check_param("attachment; filename*=UTF-8''100%25%ZZ%4", "filename",
	    "100%%ZZ%4");
	/* Encoded words inside RFC 2231 segments (seen from webmail). */
	check_param("attachment; filename*0=\"=?UTF-8?B?44GC?\"; "
	            "filename*1=\"=.txt\"",
	    "filename", "あ.txt");
	/* The first segment wins a duplicate; an index of 1000 is ignored. */
	check_param("attachment; name*0=a; name*0=b; name*1=c; name*1000=d",
	    "name", "ac");
	check_param("attachment; name*x=a", "name", NULL);
}

/* Raw Shift_JIS in a quoted file name: characters whose second byte is
 * a backslash (表 95 5C, ソ 83 5C) are not quoted pairs. */
static void
test_param_sjis_backslash(void)
{
	check_param("attachment; filename=\"\x8c\xa9\x90\xcf\x95\\.pdf\"",
	    "filename", "見積表.pdf");
	check_param(
	    "attachment; filename=\"\x83\\\"; size=3", "filename", "ソ");
	check_param("attachment; filename=\"\x83\\\"; size=3", "size", "3");
	/* UTF-8 and ASCII keep their quoted pairs. */
	check_param("attachment; filename=\"a\\\"b\"", "filename", "a\"b");
	check_param("attachment; filename=\"\xe8\xa1\xa8\\\".pdf\"", "filename",
	    "表\".pdf");
}

static void
test_param_prefer_2231(void)
{
	check_param("attachment; filename=\"fallback.txt\"; "
	            "filename*=UTF-8''%E3%81%82.txt",
	    "filename", "あ.txt");
	check_param("attachment; filename*=UTF-8''%E3%81%82.txt; "
	            "filename=\"fallback.txt\"",
	    "filename", "あ.txt");
	check_param("attachment; filename=\"fallback.txt\"; "
	            "filename*0*=UTF-8''%E3%81%82; filename*1=.txt",
	    "filename", "あ.txt");
}

static void
test_param_2047(void)
{
	/* 会議資料 (ISO-2022-JP) in a quoted value, with an extension. */
	check_param("attachment; "
	            "filename=\"=?ISO-2022-JP?B?GyRCMnE1RDtxTkEbKEI=?=.pdf\"",
	    "filename", "会議資料.pdf");
	/* Unquoted: a strict tokenizer cuts this at "=" or "?". */
	check_param("application/pdf; "
	            "name==?ISO-2022-JP?B?GyRCMnE1RDtxTkEbKEI=?=",
	    "name", "会議資料");
	check_param("application/pdf; name==?Shift_JIS?B?ie+LY46Rl78=?=; "
	            "x=y",
	    "name", "会議資料");
	/* A ';' inside an unquoted encoded word does not end the value. */
	check_param(
	    "text/plain; name==?UTF-8?Q?a;b?=; charset=utf-8", "name", "a;b");
	check_param("text/plain; name==?UTF-8?Q?a;b?=; charset=utf-8",
	    "charset", "utf-8");
	/* Split over two words, folded. */
	check_param("attachment;\r\n filename=\"=?UTF-8?B?44GC4w==?=\r\n "
	            "=?UTF-8?B?gYQ=?=.txt\"",
	    "filename", "あい.txt");
	/* Raw 8-bit value: detected. */
	check_param("attachment; filename=\"\x89\xef\x8b"
	            "c\x8e\x91\x97\xbf.pdf\"",
	    "filename", "会議資料.pdf");
	check_param("attachment; filename=\xb2\xf1\xb5\xc4.pdf", "filename",
	    "会議.pdf");
}

static void
test_filename(void)
{
	char *f;

	f = mg_header_filename(
	    "attachment; filename=a.txt", "text/plain; name=b.txt");
	g_assert_cmpstr(f, ==, "a.txt");
	g_free(f);
	f = mg_header_filename(NULL, "text/plain; name=b.txt");
	g_assert_cmpstr(f, ==, "b.txt");
	g_free(f);
	f = mg_header_filename(
	    "attachment; filename=\"\"", "text/plain; name=b.txt");
	g_assert_cmpstr(f, ==, "b.txt");
	g_free(f);
	f = mg_header_filename("inline", "application/pdf; name="
	                                 "\"=?UTF-8?B?44GC?=.pdf\"");
	g_assert_cmpstr(f, ==, "あ.pdf");
	g_free(f);
	g_assert_null(mg_header_filename(NULL, NULL));
	g_assert_null(mg_header_filename("attachment", "text/plain"));
	g_assert_null(mg_header_filename(
	    "attachment; filename=\"  \"", "text/plain; name="));
}

static void
check_limit(const char *what, GString *s, gboolean param)
{
	gint64 t0 = g_get_monotonic_time();
	char *out;

	if (param)
		out = mg_header_param(s->str, "name");
	else
		out = mg_header_decode(s->str);
	if (out != NULL)
		g_assert_true(g_utf8_validate(out, -1, NULL));
	g_test_message("%s: %zu bytes in %.3f s", what, s->len,
	    (g_get_monotonic_time() - t0) / 1e6);
	g_free(out);
}

/*
 * One-megabyte values must finish quickly (no quadratic scans).  The time
 * is logged (run with --verbose), not asserted: CI machines vary.
 */
static void
test_large(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	char *out;
	guint i;

	while (s->len < 1024 * 1024)
		g_string_append(s, "=?a?B?x");
	check_limit("open words", s, FALSE);
	check_limit("open words as a parameter", s, TRUE);

	g_string_truncate(s, 0);
	while (s->len < 1024 * 1024)
		g_string_append(s, "=?UTF-8?B?44GC?= ");
	check_limit("many words", s, FALSE);

	g_string_truncate(s, 0);
	for (i = 0; s->len < 1024 * 1024; i++)
		g_string_append(s,
		    i % 2 ? "=?UTF-8?B?/w==?=\x82" : "=?EUC-JP?B?/w==?=\xa0");
	check_limit("alternating charsets and raw bytes", s, FALSE);

	g_string_truncate(s, 0);
	while (s->len < 1024 * 1024)
		g_string_append(s, "\x89\xef\x8b"
		                   "c\r\n ");
	check_limit("raw Shift_JIS, folded", s, FALSE);

	g_string_truncate(s, 0);
	g_string_append(s, "attachment");
	for (i = 0; s->len < 1024 * 1024; i++)
		g_string_append_printf(s, "; name*%u*=%%E3%%81%%82", i % 1200);
	check_limit("segments", s, TRUE);

	g_string_truncate(s, 0);
	while (s->len < 1024 * 1024)
		g_string_append(s, "(((((");
	check_limit("comments", s, TRUE);

	g_string_truncate(s, 0);
	while (s->len < 1024 * 1024)
		g_string_append(s, "; name=\"");
	check_limit("quotes", s, TRUE);

	/* Segment and byte limits: at most 1000 segments, 64 KiB. */
	g_string_assign(s, "attachment");
	for (i = 0; i < 1200; i++)
		g_string_append_printf(s, "; name*%u=a", i);
	out = mg_header_param(s->str, "name");
	g_assert_cmpuint(strlen(out), ==, 1000);
	g_free(out);
	g_string_assign(s, "attachment");
	for (i = 0; i < 200; i++) {
		g_string_append_printf(s, "; name*%u=", i);
		g_string_append_len(s,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaa"
		    "a",
		    64);
		while (s->len % 1000 != 0)
			g_string_append_c(s, 'a');
	}
	out = mg_header_param(s->str, "name");
	g_assert_cmpuint(strlen(out), <=, 64 * 1024);
	g_assert_cmpuint(strlen(out), >, 60 * 1024);
	g_free(out);
}

static void
check_round_trip(const char *text)
{
	char *enc, *dec, **lines;
	gsize i;

	enc = mg_header_encode(text);
	g_assert_nonnull(enc);
	/* Only ASCII, no control but the folds, lines of at most 76. */
	for (i = 0; enc[i] != '\0'; i++) {
		g_assert_cmpuint((guchar)enc[i], <, 0x7f);
		g_assert_true(
		    enc[i] >= 0x20 || enc[i] == '\n' || enc[i] == '\t');
	}
	lines = g_strsplit(enc, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		if (strstr(lines[i], "=?UTF-8?B?") != NULL)
			g_assert_cmpuint(strlen(lines[i]), <=, 76);
		if (i > 0)
			g_assert_true(lines[i][0] == ' ');
	}
	g_strfreev(lines);
	dec = mg_header_decode(enc);
	g_assert_cmpstr(dec, ==, text);
	g_free(dec);
	g_free(enc);
}

static void
test_encode(void)
{
	char *enc;

	enc = mg_header_encode("plain ascii subject");
	g_assert_cmpstr(enc, ==, "plain ascii subject");
	g_free(enc);
	enc = mg_header_encode("会議");
	g_assert_cmpstr(enc, ==, "=?UTF-8?B?5Lya6K2w?=");
	g_free(enc);
	enc = mg_header_encode("Re: 会議 (2)");
	g_assert_cmpstr(enc, ==, "Re: =?UTF-8?B?5Lya6K2w?= (2)");
	g_free(enc);
	g_assert_null(mg_header_encode(NULL));

	check_round_trip("会議");
	check_round_trip("Re: 会議 資料 (2)");
	check_round_trip("①②③ 髙橋様 ～ 𠮷野家");
	check_round_trip("本日の会議は午後三時から第二会議室で行います。資料を"
	                 "事前にご確認ください。よろしくお願いいたします。");
	check_round_trip("a very long ascii prefix with many words before "
	                 "the 日本語 and a suffix");
	/* Header injection: a newline is encoded, never written raw. */
	check_round_trip("evil\r\nBcc: victim@example.jp");
	/* Text that looks like an encoded word is encoded itself. */
	check_round_trip("literal =?UTF-8?B?44GC?= text");
}

/* Inputs the fuzzer found, kept as they were minimised. */
static void
test_fuzz_regressions(void)
{
	char *dec, *enc, *back;

	/*
	 * An unknown charset ("IS%-2022-JP") over bytes with JIS escapes
	 * and half a JIS character: decoded with raw ESC bytes left in.
	 * Re-encoded as UTF-8, such text comes back as ISO-2022-JP, since
	 * 7-bit "UTF-8" with JIS escapes is read as ISO-2022-JP.
	 */
	dec =
	    mg_header_decode("=?ISO-20=?IS%-2022-JP?B?GyR?,B?GyRCM\xffg==?==");
	g_assert_true(g_utf8_validate(dec, -1, NULL));
	enc = mg_header_encode(dec);
	back = mg_header_decode(enc);
	g_assert_true(g_utf8_validate(back, -1, NULL));
	g_free(back);
	g_free(enc);
	g_free(dec);
	enc = mg_header_encode("\x1b$B$\"\x1b(B");
	check_decode(enc, "あ");
	g_free(enc);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/header/ascii", test_ascii);
	g_test_add_func("/header/words", test_words);
	g_test_add_func("/header/split", test_split);
	g_test_add_func("/header/whitespace", test_whitespace);
	g_test_add_func("/header/unfold", test_unfold);
	g_test_add_func("/header/raw8bit", test_raw8bit);
	g_test_add_func("/header/bad-words", test_bad_words);
	g_test_add_func("/header/param/basic", test_param_basic);
	g_test_add_func("/header/param/comments", test_param_comments);
	g_test_add_func("/header/param/rfc2231", test_param_rfc2231);
	g_test_add_func("/header/param/prefer-2231", test_param_prefer_2231);
	g_test_add_func(
	    "/header/param/sjis-backslash", test_param_sjis_backslash);
	g_test_add_func("/header/param/rfc2047", test_param_2047);
	g_test_add_func("/header/filename", test_filename);
	g_test_add_func("/header/large", test_large);
	g_test_add_func("/header/encode", test_encode);
	g_test_add_func("/header/fuzz-regressions", test_fuzz_regressions);
	return g_test_run();
}
