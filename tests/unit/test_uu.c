/*
 * test_uu.c - uuencode and BinHex 4.0 blocks found in text: decoding,
 * text kept byte for byte, damaged and false blocks, limits.
 *
 * The fixtures are made here: uuencode by sharutils' uuencode (one
 * literal) and by a small encoder below; BinHex by an encoder below that
 * writes the header, run-length coding and CRCs as BinHex 4.0 defines them.
 */
#include <string.h>

#include "text/mg_uu.h"

#define PH "[file {name} removed]"

static const char binhex_marker[] =
    "(This file must be converted with BinHex 4.0)";
static const char binhex_alphabet[] = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMN"
                                      "PQRSTUVXYZ[`abcdefhijklmpqr";

static GPtrArray *
found_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)mg_embedded_free);
}

static struct mg_embedded *
nth(GPtrArray *a, guint i)
{
	return g_ptr_array_index(a, i);
}

static void
assert_data(const struct mg_embedded *e, const void *want, gsize n)
{
	gsize len;
	const void *d = g_bytes_get_data(e->data, &len);

	g_assert_cmpmem(d, len, want, n);
}

/* Bytes that are not text, with every value present. */
static guint8 *
test_bytes(gsize n)
{
	guint8 *b = g_malloc(n);
	gsize i;

	for (i = 0; i < n; i++)
		b[i] = (guint8)(i * 37 + (i >> 8) * 11 + 5);
	return b;
}

static char
uu_enc(guint v)
{
	return v == 0 ? '`' : (char)(0x20 + (v & 0x3f));
}

static void
uuencode(
    GString *out, const guint8 *d, gsize n, const char *name, const char *eol)
{
	gsize i, j;

	g_string_append_printf(out, "begin 644 %s%s", name, eol);
	for (i = 0; i < n; i += 45) {
		gsize k = MIN(45, n - i);

		g_string_append_c(out, uu_enc((guint)k));
		for (j = 0; j < k; j += 3) {
			guint8 b0 = d[i + j];
			guint8 b1 = j + 1 < k ? d[i + j + 1] : 0;
			guint8 b2 = j + 2 < k ? d[i + j + 2] : 0;

			g_string_append_c(out, uu_enc(b0 >> 2));
			g_string_append_c(
			    out, uu_enc((b0 << 4 | b1 >> 4) & 63));
			g_string_append_c(
			    out, uu_enc((b1 << 2 | b2 >> 6) & 63));
			g_string_append_c(out, uu_enc(b2 & 63));
		}
		g_string_append(out, eol);
	}
	g_string_append_printf(out, "`%send%s", eol, eol);
}

static guint16
crc16(const guint8 *p, gsize n)
{
	guint16 crc = 0;
	gsize i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= (guint16)(p[i] << 8);
		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (guint16)(crc << 1 ^ 0x1021)
			                     : (guint16)(crc << 1);
	}
	return crc;
}

static void
put_be(GByteArray *a, guint32 v, int bytes)
{
	while (bytes-- > 0) {
		guint8 b = (guint8)(v >> (8 * bytes));

		g_byte_array_append(a, &b, 1);
	}
}

static void
put_crc(GByteArray *a, gsize from, gboolean bad)
{
	put_be(a, crc16(a->data + from, a->len - from) ^ (bad ? 0x5555 : 0), 2);
}

static void
rle_literal(GByteArray *o, guint8 b)
{
	static const guint8 esc[2] = {0x90, 0x00};

	if (b == 0x90)
		g_byte_array_append(o, esc, 2);
	else
		g_byte_array_append(o, &b, 1);
}

/*
 * BinHex 4.0: header, data fork, resource fork, each with its CRC; runs
 * of three or more equal bytes as "byte 0x90 count"; 6-bit characters in
 * lines of 64.  `bad_crc` spoils the data fork's CRC.
 */
static void
binhex(GString *out, const char *name, const guint8 *d, gsize dl,
    const guint8 *rf, gsize rl, gboolean bad_crc)
{
	g_autoptr(GByteArray) raw = g_byte_array_new();
	g_autoptr(GByteArray) rle = g_byte_array_new();
	guint8 nl = (guint8)strlen(name), zero = 0;
	gsize i, from, col = 1;
	guint acc = 0, bits = 0;

	g_byte_array_append(raw, &nl, 1);
	g_byte_array_append(raw, (const guint8 *)name, nl);
	g_byte_array_append(raw, &zero, 1);
	g_byte_array_append(raw, (const guint8 *)"TEXTttxt", 8);
	put_be(raw, 0, 2);
	put_be(raw, (guint32)dl, 4);
	put_be(raw, (guint32)rl, 4);
	put_crc(raw, 0, FALSE);
	from = raw->len;
	g_byte_array_append(raw, d, (guint)dl);
	put_crc(raw, from, bad_crc);
	from = raw->len;
	g_byte_array_append(raw, rf, (guint)rl);
	put_crc(raw, from, FALSE);

	for (i = 0; i < raw->len;) {
		gsize run = 1;

		while (i + run < raw->len && run < 255 &&
		       raw->data[i + run] == raw->data[i])
			run++;
		rle_literal(rle, raw->data[i]);
		if (run >= 3) {
			guint8 m[2] = {0x90, (guint8)run};

			g_byte_array_append(rle, m, 2);
		} else if (run == 2) {
			rle_literal(rle, raw->data[i]);
		}
		i += run;
	}

	g_string_append_printf(out, "%s\n:", binhex_marker);
	for (i = 0; i <= rle->len; i++) {
		if (i < rle->len) {
			acc = acc << 8 | rle->data[i];
			bits += 8;
		} else if (bits > 0) {
			acc <<= 6 - bits;
			bits = 6;
		}
		while (bits >= 6) {
			bits -= 6;
			g_string_append_c(
			    out, binhex_alphabet[(acc >> bits) & 63]);
			if (++col == 64) {
				g_string_append_c(out, '\n');
				col = 0;
			}
		}
		acc &= (1u << bits) - 1;
	}
	g_string_append(out, ":\n");
}

static void
test_uu_sharutils(void)
{
	/* `printf 'hello world\n' | uuencode hello.txt` (GNU sharutils). */
	static const char in[] = "Dear all,\n\nbegin 644 hello.txt\n"
	                         ",:&5L;&\\@=V]R;&0*\n`\nend\nRegards\n";
	GPtrArray *found = found_new();
	gboolean trunc = TRUE;
	g_autofree char *t = NULL;

	t = mg_uu_extract(in, strlen(in), PH, 0, found, &trunc);
	g_assert_cmpstr(
	    t, ==, "Dear all,\n\n[file hello.txt removed]\nRegards\n");
	g_assert_false(trunc);
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_cmpint(nth(found, 0)->kind, ==, MG_EMBEDDED_UUENCODE);
	g_assert_cmpstr(nth(found, 0)->name, ==, "hello.txt");
	g_assert_false(nth(found, 0)->damaged);
	assert_data(nth(found, 0), "hello world\n", 12);
	g_ptr_array_unref(found);
}

static void
test_uu_two_blocks(void)
{
	g_autofree guint8 *bin = test_bytes(1000);
	GString *in = g_string_new("before \xe3\x81\x82\n");
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;
	static const char want[] =
	    "before \xe3\x81\x82\n[file data.bin removed]\nbetween\n\n"
	    "[file one.txt removed]\nafter\0with NUL";
	gsize len;

	uuencode(in, bin, 1000, "data.bin", "\n");
	g_string_append(in, "between\n\n");
	uuencode(in, (const guint8 *)"x", 1, "one.txt", "\n");
	g_string_append_len(in, "after\0with NUL", 14);

	t = mg_uu_extract_len(in->str, in->len, PH, 0, found, NULL, &len);
	g_assert_cmpmem(t, len, want, sizeof(want) - 1);
	g_assert_cmpuint(found->len, ==, 2);
	assert_data(nth(found, 0), bin, 1000);
	assert_data(nth(found, 1), "x", 1);
	g_assert_false(nth(found, 0)->damaged);
	g_assert_false(nth(found, 1)->damaged);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_uu_missing_end(void)
{
	g_autofree guint8 *bin = test_bytes(200);
	GString *in = g_string_new("text\n");
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;
	gsize len;
	const guint8 *d;

	uuencode(in, bin, 200, "cut.bin", "\n");
	/* Drop the final "`" and "end" lines. */
	g_string_truncate(in, in->len - strlen("`\nend\n"));
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "text\n[file cut.bin removed]\n");
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_true(nth(found, 0)->damaged);
	assert_data(nth(found, 0), bin, 200);
	g_ptr_array_set_size(found, 0);
	g_clear_pointer(&t, g_free);

	/* Cut in the middle of a line, at the end of the text. */
	g_string_truncate(in, in->len - 20);
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "text\n[file cut.bin removed]");
	g_assert_true(nth(found, 0)->damaged);
	d = g_bytes_get_data(nth(found, 0)->data, &len);
	g_assert_cmpuint(len, >, 100);
	g_assert_cmpmem(d, 100, bin, 100);
	g_ptr_array_set_size(found, 0);
	g_clear_pointer(&t, g_free);

	/* A line that is not data ends the block; the rest stays text. */
	g_string_assign(in, "begin 644 a.bin\n");
	uuencode(in, bin, 90, "x", "\n");
	g_string_erase(
	    in, strlen("begin 644 a.bin\n"), strlen("begin 644 x\n"));
	g_string_truncate(in, in->len - strlen("`\nend\n"));
	g_string_append(in, "Thanks, regards\n");
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "[file a.bin removed]\nThanks, regards\n");
	g_assert_true(nth(found, 0)->damaged);
	assert_data(nth(found, 0), bin, 90);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_uu_not_a_block(void)
{
	static const char *const prose[] = {
	    "begin 644 something\nThis is just prose.\nend\n",
	    "begin 644 x\nHELLO\nend\n",
	    "begin 64444 x\n,:&5L;&\\@=V]R;&0*\n`\nend\n",
	    "begin 64 x\n,:&5L;&\\@=V]R;&0*\n`\nend\n",
	    "begin 644\n,:&5L;&\\@=V]R;&0*\n`\nend\n",
	    " begin 644 x\n,:&5L;&\\@=V]R;&0*\n`\nend\n",
	    "begin 644 x",
	    "begin 644 x\n",
	    "begin 644 x\n`\nnot end\n",
	    "begin-base64 644 x\nnot base64!\n====\n",
	    "(This file must be converted with BinHex 4.0)\nsome text\n",
	    "see the (This file must be converted with BinHex 4.0) line\n:x:\n",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(prose); i++) {
		GPtrArray *found = found_new();
		g_autofree char *t = mg_uu_extract(
		    prose[i], strlen(prose[i]), PH, 0, found, NULL);

		g_assert_cmpstr(t, ==, prose[i]);
		g_assert_cmpuint(found->len, ==, 0);
		g_ptr_array_unref(found);
	}
}

static void
test_uu_crlf(void)
{
	g_autofree guint8 *bin = test_bytes(100);
	GString *in = g_string_new("before\r\n");
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;

	uuencode(in, bin, 100, "crlf.bin", "\r\n");
	g_string_append(in, "after\r\n");
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(
	    t, ==, "before\r\n[file crlf.bin removed]\r\nafter\r\n");
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_cmpstr(nth(found, 0)->name, ==, "crlf.bin");
	g_assert_false(nth(found, 0)->damaged);
	assert_data(nth(found, 0), bin, 100);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_uu_names(void)
{
	GString *in = g_string_new(NULL);
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;

	uuencode(in, (const guint8 *)"abc", 3, "my report 2024.doc", "\n");
	uuencode(in, (const guint8 *)"def", 3, "報告書 第1版.xls", "\n");
	uuencode(in, (const guint8 *)"ghi", 3, "evil\x1b[2J\xe2\x80\xaegpj.exe",
	    "\n");
	t = mg_uu_extract(in->str, in->len, "<{name}|{name}>", 0, found, NULL);
	g_assert_cmpstr(t, ==,
	    "<my report 2024.doc|my report 2024.doc>\n"
	    "<報告書 第1版.xls|報告書 第1版.xls>\n"
	    "<evil\\x1B[2J\\u{202E}gpj.exe|evil\\x1B[2J\\u{202E}gpj.exe>\n");
	g_assert_cmpuint(found->len, ==, 3);
	g_assert_cmpstr(nth(found, 0)->name, ==, "my report 2024.doc");
	g_assert_cmpstr(nth(found, 1)->name, ==, "報告書 第1版.xls");
	/* The name itself is kept as written; only the text is escaped. */
	g_assert_cmpstr(
	    nth(found, 2)->name, ==, "evil\x1b[2J\xe2\x80\xaegpj.exe");
	assert_data(nth(found, 1), "def", 3);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_uu_max_blocks(void)
{
	GString *in = g_string_new(NULL);
	GString *third = g_string_new(NULL);
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;
	g_autofree char *want = NULL;
	gboolean trunc = FALSE;

	uuencode(in, (const guint8 *)"1", 1, "a", "\n");
	uuencode(in, (const guint8 *)"2", 1, "b", "\n");
	g_string_append(in, "text\n");
	uuencode(third, (const guint8 *)"3", 1, "c", "\n");
	g_string_append(in, third->str);
	t = mg_uu_extract(in->str, in->len, PH, 2, found, &trunc);
	want = g_strdup_printf(
	    "[file a removed]\n[file b removed]\ntext\n%s", third->str);
	g_assert_cmpstr(t, ==, want);
	g_assert_true(trunc);
	g_assert_cmpuint(found->len, ==, 2);
	g_clear_pointer(&t, g_free);

	/* Exactly as many blocks as allowed: not truncated. */
	g_ptr_array_set_size(found, 0);
	t = mg_uu_extract(in->str, in->len, PH, 3, found, &trunc);
	g_assert_false(trunc);
	g_assert_cmpuint(found->len, ==, 3);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
	g_string_free(third, TRUE);
}

static void
test_uu_base64_and_empty(void)
{
	/* `uuencode -m` of "hello world\n", and an empty file. */
	static const char in[] = "begin-base64 644 hello.txt\n"
	                         "aGVsbG8gd29ybGQK\n====\n"
	                         "begin 600 empty\n`\nend\n";
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;

	t = mg_uu_extract(in, strlen(in), PH, 0, found, NULL);
	g_assert_cmpstr(
	    t, ==, "[file hello.txt removed]\n[file empty removed]\n");
	g_assert_cmpuint(found->len, ==, 2);
	assert_data(nth(found, 0), "hello world\n", 12);
	assert_data(nth(found, 1), "", 0);
	g_assert_false(nth(found, 0)->damaged);
	g_assert_false(nth(found, 1)->damaged);
	g_ptr_array_unref(found);
}

static void
test_binhex(void)
{
	guint8 data[600];
	static const guint8 rsrc[] = "resource fork \x90\x90\x90";
	GString *in = g_string_new("Hello,\n");
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;
	gsize i;

	/* Runs (with 0x90 among them) exercise the run-length coding. */
	for (i = 0; i < sizeof(data); i++)
		data[i] = i < 300 ? 'A' : i < 310 ? 0x90 : (guint8)(i * 7);
	binhex(in, "photo.jpg", data, sizeof(data), rsrc, sizeof(rsrc), FALSE);
	g_string_append(in, "Bye\n");
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "Hello,\n[file photo.jpg removed]\nBye\n");
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_cmpint(nth(found, 0)->kind, ==, MG_EMBEDDED_BINHEX);
	g_assert_cmpstr(nth(found, 0)->name, ==, "photo.jpg");
	g_assert_false(nth(found, 0)->damaged);
	assert_data(nth(found, 0), data, sizeof(data));
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_binhex_bad_crc(void)
{
	GString *in = g_string_new(NULL);
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;

	binhex(in, "a.txt", (const guint8 *)"payload", 7, NULL, 0, TRUE);
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "[file a.txt removed]\n");
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_true(nth(found, 0)->damaged);
	assert_data(nth(found, 0), "payload", 7);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_binhex_garbage(void)
{
	static const char block[] =
	    "(This file must be converted with BinHex 4.0)\n"
	    ":this is {not} BinHex at all~~:";
	g_autofree char *in = g_strdup_printf("pre\n%s\npost\n", block);
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;

	t = mg_uu_extract(in, strlen(in), PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "pre\n[file  removed]\npost\n");
	g_assert_cmpuint(found->len, ==, 1);
	g_assert_true(nth(found, 0)->damaged);
	g_assert_cmpstr(nth(found, 0)->name, ==, "");
	assert_data(nth(found, 0), block, strlen(block));
	g_ptr_array_unref(found);
}

static void
test_binhex_cut(void)
{
	GString *in = g_string_new(NULL);
	GPtrArray *found = found_new();
	g_autofree guint8 *bin = test_bytes(3000);
	g_autofree char *t = NULL;
	gsize len;
	const guint8 *d;

	/* No closing colon: the block runs to the end of the text. */
	binhex(in, "big.bin", bin, 3000, NULL, 0, FALSE);
	g_string_truncate(in, in->len / 2);
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "[file big.bin removed]");
	g_assert_true(nth(found, 0)->damaged);
	d = g_bytes_get_data(nth(found, 0)->data, &len);
	g_assert_cmpuint(len, >, 1000);
	g_assert_cmpuint(len, <, 3000);
	g_assert_cmpmem(d, len, bin, len);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

/* A header that declares 4 GiB of data fork made of runs: the output is
 * bounded, the block damaged. */
static void
test_binhex_bomb(void)
{
	g_autoptr(GByteArray) raw = g_byte_array_new();
	GString *in = g_string_new(NULL);
	GPtrArray *found = found_new();
	g_autofree char *t = NULL;
	guint8 hdr[] = {1, 'b', 0, 'T', 'E', 'X', 'T', 't', 't', 'x', 't', 0, 0,
	    0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
	guint8 run[] = {'Z', 0x90, 0xff};
	gsize i, len;
	guint acc = 0, bits = 0;

	g_byte_array_append(raw, hdr, sizeof(hdr));
	for (i = 0; i < 300000; i++)
		g_byte_array_append(raw, run, sizeof(run));
	g_string_append_printf(in, "%s\n:", binhex_marker);
	for (i = 0; i < raw->len; i++) {
		acc = acc << 8 | raw->data[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			g_string_append_c(
			    in, binhex_alphabet[(acc >> bits) & 63]);
		}
		acc &= (1u << bits) - 1;
	}
	g_string_append(in, ":\n");
	t = mg_uu_extract(in->str, in->len, PH, 0, found, NULL);
	g_assert_cmpstr(t, ==, "[file b removed]\n");
	g_assert_true(nth(found, 0)->damaged);
	g_bytes_get_data(nth(found, 0)->data, &len);
	g_assert_cmpuint(len, <=, 64 * 1024 * 1024);
	g_ptr_array_unref(found);
	g_string_free(in, TRUE);
}

static void
test_empty(void)
{
	GPtrArray *found = found_new();
	g_autofree char *t = mg_uu_extract("", 0, PH, 0, found, NULL);
	g_autofree char *t2 =
	    mg_uu_extract("no blocks\n", 10, NULL, 0, found, NULL);

	g_assert_cmpstr(t, ==, "");
	g_assert_cmpstr(t2, ==, "no blocks\n");
	g_assert_cmpuint(found->len, ==, 0);
	g_ptr_array_unref(found);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uu/sharutils", test_uu_sharutils);
	g_test_add_func("/uu/two-blocks", test_uu_two_blocks);
	g_test_add_func("/uu/missing-end", test_uu_missing_end);
	g_test_add_func("/uu/not-a-block", test_uu_not_a_block);
	g_test_add_func("/uu/crlf", test_uu_crlf);
	g_test_add_func("/uu/names", test_uu_names);
	g_test_add_func("/uu/max-blocks", test_uu_max_blocks);
	g_test_add_func("/uu/base64-empty", test_uu_base64_and_empty);
	g_test_add_func("/uu/binhex", test_binhex);
	g_test_add_func("/uu/binhex-bad-crc", test_binhex_bad_crc);
	g_test_add_func("/uu/binhex-garbage", test_binhex_garbage);
	g_test_add_func("/uu/binhex-cut", test_binhex_cut);
	g_test_add_func("/uu/binhex-bomb", test_binhex_bomb);
	g_test_add_func("/uu/empty", test_empty);
	return g_test_run();
}
