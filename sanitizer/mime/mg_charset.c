/*
 * mg_charset.c - decode text in a declared, missing or wrong charset to
 * valid UTF-8.
 *
 * Untrusted input: the bytes and the charset label (both come from the
 * message).  Nothing here fails: undecodable bytes become U+FFFD and set
 * MG_CHARSET_REPLACED, and every loop advances by at least one byte, so
 * the work is linear in the input.  Limits: charset labels longer than
 * LABEL_MAX are treated as unknown, and at most DETECT_MAX bytes are fed
 * to uchardet.  The caller owns the returned strings.
 *
 * ISO-2022-JP and EUC-JP are not handed to iconv as they are: glibc's
 * converters follow JIS X 0208 strictly and refuse what Windows mailers
 * send (NEC row 13 such as ① and ㈱, the NEC-selected IBM extensions in
 * rows 89-92 such as 髙 and 﨑).  We parse the escape sequences (RFC 1468,
 * RFC 1554, ISO/IEC 2022) ourselves, turn every JIS X 0208 code into its
 * Shift_JIS code arithmetically and let iconv decode that as CP932, which
 * is what Microsoft's CP50220/CP50221/CP50222 and CP51932 do.
 *
 * No static mutable state: iconv descriptors and the uchardet handle live
 * for one call, so the functions may run in several threads at once.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include <uchardet.h>

#include "mime/mg_charset.h"

/* Longest charset label we look at; real ones are below 30 bytes. */
#define LABEL_MAX 64
/* uchardet settles long before this; more only costs time. */
#define DETECT_MAX (256 * 1024)
/* iconv descriptors one call may hold (one per run charset). */
#define CONV_CDS 8

#define ESC 0x1b
#define SO 0x0e
#define SI 0x0f

static const char UTF8_REPLACEMENT[] = "\xef\xbf\xbd";

/* How a label is decoded. */
enum cs_class {
	CS_NONE,      /* missing or "unknown": detect */
	CS_ISO2022JP, /* our escape parser */
	CS_CP932,     /* iconv CP932 */
	CS_EUCJP,     /* our EUC parser: CP51932 and eucJP-ms */
	CS_UTF8,      /* GLib validation */
	CS_ASCII,     /* windows-1252 table, but 8-bit bytes are a mislabel */
	CS_LATIN,     /* windows-1252 table (WHATWG: iso-8859-1 is 1252) */
	CS_ICONV,     /* anything else iconv knows */
};

struct label {
	const char *name;
	enum cs_class cls;
	const char *iconv; /* for CS_ICONV: the name given to iconv */
};

/*
 * Labels are compared after lower-casing; the list holds what mailers
 * really send.  Supersets are used where a mailer's "GB2312" or
 * "EUC-KR" is in practice the Windows code page.
 */
static const struct label labels[] = {
    {"iso-2022-jp", CS_ISO2022JP, NULL},
    {"csiso2022jp", CS_ISO2022JP, NULL},
    {"iso-2022-jp-1", CS_ISO2022JP, NULL},
    {"iso-2022-jp-2", CS_ISO2022JP, NULL},
    {"csiso2022jp2", CS_ISO2022JP, NULL},
    {"iso-2022-jp-3", CS_ISO2022JP, NULL},
    {"iso-2022-jp-2004", CS_ISO2022JP, NULL},
    {"iso-2022-jp-ms", CS_ISO2022JP, NULL},
    {"iso2022jp", CS_ISO2022JP, NULL},
    {"cp50220", CS_ISO2022JP, NULL},
    {"cp50221", CS_ISO2022JP, NULL},
    {"cp50222", CS_ISO2022JP, NULL},
    {"jis", CS_ISO2022JP, NULL},
    {"shift_jis", CS_CP932, NULL},
    {"shift-jis", CS_CP932, NULL},
    {"shiftjis", CS_CP932, NULL},
    {"sjis", CS_CP932, NULL},
    {"x-sjis", CS_CP932, NULL},
    {"ms_kanji", CS_CP932, NULL},
    {"csshiftjis", CS_CP932, NULL},
    {"windows-31j", CS_CP932, NULL},
    {"cswindows31j", CS_CP932, NULL},
    {"cp932", CS_CP932, NULL},
    {"ms932", CS_CP932, NULL},
    {"x-ms-cp932", CS_CP932, NULL},
    {"windows-932", CS_CP932, NULL},
    {"sjis-open", CS_CP932, NULL},
    {"sjis-win", CS_CP932, NULL},
    {"euc-jp", CS_EUCJP, NULL},
    {"x-euc-jp", CS_EUCJP, NULL},
    {"eucjp", CS_EUCJP, NULL},
    {"euc-jp-ms", CS_EUCJP, NULL},
    {"eucjp-ms", CS_EUCJP, NULL},
    {"eucjp-win", CS_EUCJP, NULL},
    {"eucjp-open", CS_EUCJP, NULL},
    {"cp51932", CS_EUCJP, NULL},
    {"cseucpkdfmtjapanese", CS_EUCJP, NULL},
    /* JIS X 0213 (2000/2004): glibc's converters under their own names;
     * its plane 1 agrees with NEC row 13 (①), so CP932-minded text in
     * them decodes too. */
    {"euc-jis-2004", CS_ICONV, "EUC-JISX0213"},
    {"euc-jisx0213", CS_ICONV, "EUC-JISX0213"},
    {"x-euc-jisx0213", CS_ICONV, "EUC-JISX0213"},
    {"shift_jis-2004", CS_ICONV, "SHIFT_JISX0213"},
    {"shift-jis-2004", CS_ICONV, "SHIFT_JISX0213"},
    {"shift_jisx0213", CS_ICONV, "SHIFT_JISX0213"},
    {"x-sjis_0213", CS_ICONV, "SHIFT_JISX0213"},
    {"sjis-2004", CS_ICONV, "SHIFT_JISX0213"},
    {"utf-8", CS_UTF8, NULL},
    {"utf8", CS_UTF8, NULL},
    {"unicode-1-1-utf-8", CS_UTF8, NULL},
    {"x-unicode20utf8", CS_UTF8, NULL},
    {"us-ascii", CS_ASCII, NULL},
    {"ascii", CS_ASCII, NULL},
    {"ansi_x3.4-1968", CS_ASCII, NULL},
    {"iso646-us", CS_ASCII, NULL},
    {"csascii", CS_ASCII, NULL},
    {"iso-8859-1", CS_LATIN, NULL},
    {"iso8859-1", CS_LATIN, NULL},
    {"iso_8859-1", CS_LATIN, NULL},
    {"iso88591", CS_LATIN, NULL},
    {"latin1", CS_LATIN, NULL},
    {"l1", CS_LATIN, NULL},
    {"cp819", CS_LATIN, NULL},
    {"ibm819", CS_LATIN, NULL},
    {"csisolatin1", CS_LATIN, NULL},
    {"iso-ir-100", CS_LATIN, NULL},
    {"windows-1252", CS_LATIN, NULL},
    {"cp1252", CS_LATIN, NULL},
    {"x-cp1252", CS_LATIN, NULL},
    {"unknown", CS_NONE, NULL},
    {"x-unknown", CS_NONE, NULL},
    {"unknown-8bit", CS_NONE, NULL},
    {"x-user-defined", CS_NONE, NULL},
    {"default", CS_NONE, NULL},
    {"none", CS_NONE, NULL},
    {"8bit", CS_NONE, NULL},
    {"gb2312", CS_ICONV, "GB18030"},
    {"gbk", CS_ICONV, "GB18030"},
    {"x-gbk", CS_ICONV, "GB18030"},
    {"euc-cn", CS_ICONV, "GB18030"},
    {"cn-gb", CS_ICONV, "GB18030"},
    {"csgb2312", CS_ICONV, "GB18030"},
    {"cp936", CS_ICONV, "GB18030"},
    {"euc-kr", CS_ICONV, "CP949"},
    {"ks_c_5601-1987", CS_ICONV, "CP949"},
    {"ks_c_5601", CS_ICONV, "CP949"},
    {"ksc5601", CS_ICONV, "CP949"},
    {"cseuckr", CS_ICONV, "CP949"},
    {"big5", CS_ICONV, "BIG5-HKSCS"},
    {"x-x-big5", CS_ICONV, "BIG5-HKSCS"},
    {"cn-big5", CS_ICONV, "BIG5-HKSCS"},
};

/*
 * How to step over a sequence iconv reports as invalid.  Runs we build
 * ourselves are aligned on whole characters, so a bad character is one
 * U+FFFD; a Shift_JIS run from the message follows the WHATWG rule (an
 * ASCII trail byte is given back, a non-ASCII one is eaten).
 */
enum skip {
	SKIP_ONE,
	SKIP_SJIS,
	SKIP_SJIS_ALIGNED,
	SKIP_EUC_ALIGNED,
};

struct conv {
	GString *out;
	gsize nbad;
	GByteArray *run; /* bytes waiting for iconv */
	const char *run_cs;
	enum skip run_skip;
	struct {
		const char *name;
		iconv_t cd;
	} cds[CONV_CDS];
	int ncds;
};

/* What detection concluded, and how sure it is. */
struct guess {
	const char *name;
	gboolean strong;
	gsize evidence; /* characters behind a CP932 or EUC-JP guess */
};

static gboolean
is_sjis_lead(guint8 b)
{
	return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
}

static gboolean
is_sjis_trail(guint8 b)
{
	return (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc);
}

static void
conv_init(struct conv *c, gsize hint)
{
	memset(c, 0, sizeof(*c));
	c->out = g_string_sized_new(hint + 16);
	c->run = g_byte_array_new();
}

static void
conv_clear(struct conv *c)
{
	int i;

	for (i = 0; i < c->ncds; i++)
		iconv_close(c->cds[i].cd);
	c->ncds = 0;
	if (c->run != NULL)
		g_byte_array_unref(c->run);
	c->run = NULL;
	if (c->out != NULL)
		g_string_free(c->out, TRUE);
	c->out = NULL;
}

/*
 * Returns the descriptor for `name`, or (iconv_t)-1 if iconv lacks it.
 * *owned_r is set when the cache is full and the caller must close it.
 */
static iconv_t
conv_cd(struct conv *c, const char *name, gboolean *owned_r)
{
	iconv_t cd;
	int i;

	*owned_r = FALSE;
	for (i = 0; i < c->ncds; i++)
		if (strcmp(c->cds[i].name, name) == 0)
			return c->cds[i].cd;
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return cd;
	if (c->ncds == CONV_CDS) {
		*owned_r = TRUE;
		return cd;
	}
	c->cds[c->ncds].name = name;
	c->cds[c->ncds].cd = cd;
	c->ncds++;
	return cd;
}

static void
append_no_nul(GString *out, const char *s, gsize len)
{
	const char *nul;

	while (len > 0 && (nul = memchr(s, '\0', len)) != NULL) {
		g_string_append_len(out, s, nul - s);
		len -= nul - s + 1;
		s = nul + 1;
	}
	g_string_append_len(out, s, len);
}

static gsize
skip_len(enum skip mode, const guint8 *p, gsize left)
{
	gsize n = 1;

	switch (mode) {
	case SKIP_ONE:
		break;
	case SKIP_SJIS:
		if (is_sjis_lead(p[0]) && left >= 2 && is_sjis_trail(p[1]) &&
		    p[1] >= 0x80)
			n = 2;
		break;
	case SKIP_SJIS_ALIGNED:
		if (is_sjis_lead(p[0]))
			n = 2;
		break;
	case SKIP_EUC_ALIGNED:
		if (p[0] == 0x8f)
			n = 3;
		else if (p[0] == 0x8e || p[0] >= 0xa1)
			n = 2;
		break;
	}
	return MIN(n, left);
}

static void
conv_bad_direct(struct conv *c)
{
	g_string_append(c->out, UTF8_REPLACEMENT);
	c->nbad++;
}

/*
 * Run the pending bytes through iconv.  On an invalid sequence emit
 * U+FFFD, step over it (see enum skip) and carry on: iconv leaves its
 * input pointer at the start of the bad sequence, so this always advances.
 */
static void
conv_flush(struct conv *c)
{
	char buf[4096];
	char *inp, *outp;
	size_t inleft, outleft, r;
	iconv_t cd;
	gboolean owned;
	gsize n;

	if (c->run->len == 0)
		return;
	cd = conv_cd(c, c->run_cs, &owned);
	inp = (char *)c->run->data;
	inleft = c->run->len;
	if (cd == (iconv_t)-1) {
		/* This iconv lacks the charset: nothing can be decoded. */
		while (inleft > 0) {
			n = skip_len(c->run_skip, (guint8 *)inp, inleft);
			conv_bad_direct(c);
			inp += n;
			inleft -= n;
		}
		goto done;
	}
	while (inleft > 0) {
		outp = buf;
		outleft = sizeof(buf);
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		append_no_nul(c->out, buf, outp - buf);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EILSEQ) {
			n = skip_len(c->run_skip, (guint8 *)inp, inleft);
			conv_bad_direct(c);
			inp += n;
			inleft -= n;
			continue;
		}
		/* EINVAL: an incomplete character ends the run. */
		conv_bad_direct(c);
		break;
	}
	/* Let a stateful decoder emit what it holds, then start afresh. */
	outp = buf;
	outleft = sizeof(buf);
	(void)iconv(cd, NULL, NULL, &outp, &outleft);
	append_no_nul(c->out, buf, outp - buf);
	(void)iconv(cd, NULL, NULL, NULL, NULL);
	if (owned)
		iconv_close(cd);
done:
	g_byte_array_set_size(c->run, 0);
}

/* Queue bytes of a run in charset `cs` (a static name). */
static void
conv_run(
    struct conv *c, const char *cs, enum skip skip, const guint8 *p, gsize n)
{
	if (c->run->len > 0 && strcmp(c->run_cs, cs) != 0)
		conv_flush(c);
	c->run_cs = cs;
	c->run_skip = skip;
	g_byte_array_append(c->run, p, n);
}

static void
conv_bad(struct conv *c)
{
	conv_flush(c);
	conv_bad_direct(c);
}

/* ASCII joins whatever run is open: every run charset is ASCII-based. */
static void
conv_ascii(struct conv *c, guint8 b)
{
	if (b == 0)
		return;
	if (c->run->len > 0)
		g_byte_array_append(c->run, &b, 1);
	else
		g_string_append_c(c->out, (char)b);
}

/*
 * JIS X 0208 row/cell bytes (0x21-0x7e each) to the Shift_JIS pair.  Rows
 * 89-92 land on 0xED/0xEE, which CP932 assigns to the NEC-selected IBM
 * extensions; row 13 lands on 0x87, the NEC specials.
 */
static void
jis_to_sjis(guint8 j1, guint8 j2, guint8 s[2])
{
	s[0] = ((j1 + 1) >> 1) + (j1 <= 0x5e ? 0x70 : 0xb0);
	if (j1 & 1)
		s[1] = j2 + (j2 >= 0x60 ? 0x20 : 0x1f);
	else
		s[1] = j2 + 0x7e;
}

static gboolean
is_jis_byte(guint8 b)
{
	return b >= 0x21 && b <= 0x7e;
}

/* The graphic sets an ISO-2022-JP family stream may designate to G0. */
enum g0 {
	G0_ASCII,
	G0_KANA,
	G0_X0208,
	G0_X0212,
	G0_X0213_1,
	G0_X0213_2,
	G0_GB2312,
	G0_KSC5601,
};

/*
 * Parse one escape sequence at in[i] (in[i] == ESC).  ISO/IEC 2022 §13:
 * ESC, intermediate bytes 0x20-0x2f, one final byte 0x30-0x7e.  Returns
 * the length consumed (at least 1); unknown or truncated sequences are
 * consumed whole and reported as bad.
 */
static gsize
iso2022_escape(
    const guint8 *in, gsize len, gsize i, enum g0 *g0, int *g2, gboolean *bad)
{
	gsize j = i + 1;
	char seq[4];
	gsize n = 0;

	*bad = FALSE;
	while (j < len && in[j] >= 0x20 && in[j] <= 0x2f) {
		if (n < sizeof(seq) - 1)
			seq[n++] = in[j];
		j++;
	}
	if (j >= len || in[j] < 0x30 || in[j] > 0x7e) {
		/* Truncated or broken: drop the intermediates too. */
		*bad = TRUE;
		return j - i;
	}
	if (n < sizeof(seq) - 1)
		seq[n++] = in[j];
	else
		n = sizeof(seq); /* too long to be one we know */
	j++;
	seq[MIN(n, sizeof(seq) - 1)] = '\0';
	if (n == sizeof(seq))
		*bad = TRUE;
	/* RFC 1468, RFC 1554 (ISO-2022-JP-2), JIS X 0213 Annex 2. */
	else if (strcmp(seq, "(B") == 0 || strcmp(seq, "(J") == 0 ||
	         strcmp(seq, "(H") == 0)
		/*
		 * JIS-Roman read as ASCII, as CP5022x does: old mailers
		 * use ESC ( J to mean "back to ASCII", and a 0x5C there
		 * is a path separator far more often than a yen sign.
		 */
		*g0 = G0_ASCII;
	else if (strcmp(seq, "(I") == 0)
		*g0 = G0_KANA;
	else if (strcmp(seq, "$@") == 0 || strcmp(seq, "$B") == 0 ||
	         strcmp(seq, "$(B") == 0 || strcmp(seq, "$(@") == 0)
		*g0 = G0_X0208;
	else if (strcmp(seq, "$(D") == 0)
		*g0 = G0_X0212;
	else if (strcmp(seq, "$(O") == 0 || strcmp(seq, "$(Q") == 0)
		*g0 = G0_X0213_1;
	else if (strcmp(seq, "$(P") == 0)
		*g0 = G0_X0213_2;
	else if (strcmp(seq, "$A") == 0 || strcmp(seq, "$(A") == 0)
		*g0 = G0_GB2312;
	else if (strcmp(seq, "$(C") == 0)
		*g0 = G0_KSC5601;
	else if (strcmp(seq, ".A") == 0)
		*g2 = 1;
	else if (strcmp(seq, ".F") == 0)
		*g2 = 7;
	else if (strcmp(seq, "&@") == 0)
		; /* JIS X 0208-1990 announcer: ESC $ B follows. */
	else if (strcmp(seq, "N") != 0)
		*bad = TRUE;
	return j - i;
}

/*
 * ESC N (single shift 2, RFC 1554) and the one character it takes from
 * G2 (ISO-8859-1 or ISO-8859-7, high half).  Returns the length used.
 */
static gsize
single_shift(struct conv *c, const guint8 *in, gsize len, gsize i, int g2)
{
	guint8 ch;

	if (i + 2 >= len || in[i + 2] < 0x20 || in[i + 2] > 0x7f) {
		conv_bad(c);
		return 2;
	}
	if (g2 == 0) {
		/* Nothing designated to G2: the character is lost. */
		conv_bad(c);
		return 3;
	}
	ch = in[i + 2] | 0x80;
	conv_run(c, g2 == 1 ? "ISO-8859-1" : "ISO-8859-7", SKIP_ONE, &ch, 1);
	return 3;
}

/*
 * Decode the ISO-2022-JP family.  Line ends and spaces inside a
 * two-byte run are passed through as ASCII (lenient: mailers forget to
 * switch back before CRLF) and keep the mode.  Raw 8-bit bytes 0xA1-0xDF
 * are read as half-width kana ("8-bit JIS"), other 8-bit bytes are bad.
 */
static void
decode_iso2022jp(struct conv *c, const guint8 *in, gsize len)
{
	enum g0 g0 = G0_ASCII;
	gboolean shifted = FALSE, bad;
	int g2 = 0;
	guint8 b, s[3];
	gsize i = 0;

	while (i < len) {
		b = in[i];
		if (b == ESC) {
			if (i + 1 < len && in[i + 1] == 'N') {
				i += single_shift(c, in, len, i, g2);
				continue;
			}
			i += iso2022_escape(in, len, i, &g0, &g2, &bad);
			if (bad)
				conv_bad(c);
			continue;
		}
		if (b == SO || b == SI) {
			/* CP50222 shifts JIS X 0201 kana with SO/SI. */
			shifted = b == SO;
			i++;
			continue;
		}
		if (b >= 0x80) {
			if (b >= 0xa1 && b <= 0xdf)
				conv_run(c, "CP932", SKIP_SJIS_ALIGNED, &b, 1);
			else
				conv_bad(c);
			i++;
			continue;
		}
		if (!is_jis_byte(b) || (g0 == G0_ASCII && !shifted)) {
			conv_ascii(c, b);
			i++;
			continue;
		}
		if (shifted || g0 == G0_KANA) {
			if (b <= 0x5f) {
				s[0] = b | 0x80;
				conv_run(c, "CP932", SKIP_SJIS_ALIGNED, s, 1);
			} else
				conv_bad(c);
			i++;
			continue;
		}
		/* A two-byte set: both bytes must be there and graphic. */
		if (i + 1 >= len || !is_jis_byte(in[i + 1])) {
			conv_bad(c);
			i++;
			continue;
		}
		switch (g0) {
		case G0_X0208:
			jis_to_sjis(b, in[i + 1], s);
			conv_run(c, "CP932", SKIP_SJIS_ALIGNED, s, 2);
			break;
		case G0_X0212:
			s[0] = 0x8f;
			s[1] = b | 0x80;
			s[2] = in[i + 1] | 0x80;
			conv_run(c, "EUC-JP-MS", SKIP_EUC_ALIGNED, s, 3);
			break;
		case G0_X0213_1:
			s[0] = b | 0x80;
			s[1] = in[i + 1] | 0x80;
			conv_run(c, "EUC-JISX0213", SKIP_EUC_ALIGNED, s, 2);
			break;
		case G0_X0213_2:
			s[0] = 0x8f;
			s[1] = b | 0x80;
			s[2] = in[i + 1] | 0x80;
			conv_run(c, "EUC-JISX0213", SKIP_EUC_ALIGNED, s, 3);
			break;
		case G0_GB2312:
			s[0] = b | 0x80;
			s[1] = in[i + 1] | 0x80;
			conv_run(c, "EUC-CN", SKIP_EUC_ALIGNED, s, 2);
			break;
		case G0_KSC5601:
			s[0] = b | 0x80;
			s[1] = in[i + 1] | 0x80;
			conv_run(c, "EUC-KR", SKIP_EUC_ALIGNED, s, 2);
			break;
		default:
			g_assert_not_reached();
		}
		i += 2;
	}
	conv_flush(c);
}

/*
 * Decode EUC-JP as CP51932 and eucJP-ms together: JIS X 0208 (with NEC
 * row 13 and, as CP51932 has them, the NEC-selected IBM extensions in
 * rows 89-92) goes through CP932; JIS X 0212 (0x8F, where eucJP-ms also
 * keeps the IBM extensions) and the user-defined rows 85-88 and 93-94
 * go through glibc's EUC-JP-MS.
 */
static void
decode_eucjp(struct conv *c, const guint8 *in, gsize len)
{
	guint8 b, s[3];
	gsize i = 0;
	int row;

	while (i < len) {
		b = in[i];
		if (b < 0x80) {
			conv_ascii(c, b);
			i++;
		} else if (b == 0x8e) {
			if (i + 1 < len && in[i + 1] >= 0xa1 &&
			    in[i + 1] <= 0xdf) {
				conv_run(c, "CP932", SKIP_SJIS_ALIGNED,
				    in + i + 1, 1);
				i += 2;
			} else {
				conv_bad(c);
				i++;
			}
		} else if (b == 0x8f) {
			if (i + 2 < len && in[i + 1] >= 0xa1 &&
			    in[i + 1] <= 0xfe && in[i + 2] >= 0xa1 &&
			    in[i + 2] <= 0xfe) {
				conv_run(c, "EUC-JP-MS", SKIP_EUC_ALIGNED,
				    in + i, 3);
				i += 3;
			} else {
				conv_bad(c);
				i++;
			}
		} else if (b >= 0xa1 && b <= 0xfe && i + 1 < len &&
		           in[i + 1] >= 0xa1 && in[i + 1] <= 0xfe) {
			row = b - 0xa0;
			if ((row >= 85 && row <= 88) || row >= 93) {
				conv_run(c, "EUC-JP-MS", SKIP_EUC_ALIGNED,
				    in + i, 2);
			} else {
				jis_to_sjis(b & 0x7f, in[i + 1] & 0x7f, s);
				conv_run(c, "CP932", SKIP_SJIS_ALIGNED, s, 2);
			}
			i += 2;
		} else {
			conv_bad(c);
			i++;
		}
	}
	conv_flush(c);
}

/*
 * UTF-8 through GLib's validator, which also refuses overlong forms,
 * surrogates and code points above U+10FFFF.  One U+FFFD per bad byte.
 */
static void
decode_utf8(struct conv *c, const guint8 *in, gsize len)
{
	const gchar *p = (const gchar *)in, *end;

	while (len > 0) {
		if (g_utf8_validate_len(p, len, &end)) {
			g_string_append_len(c->out, p, len);
			return;
		}
		g_string_append_len(c->out, p, end - p);
		len -= end - p;
		p = end;
		if (*p != '\0')
			conv_bad_direct(c);
		p++;
		len--;
	}
}

/* WHATWG index-windows-1252, 0x80-0x9F; the holes map to C1 controls. */
static const guint16 cp1252_c1[32] = {
    0x20ac,
    0x0081,
    0x201a,
    0x0192,
    0x201e,
    0x2026,
    0x2020,
    0x2021,
    0x02c6,
    0x2030,
    0x0160,
    0x2039,
    0x0152,
    0x008d,
    0x017d,
    0x008f,
    0x0090,
    0x2018,
    0x2019,
    0x201c,
    0x201d,
    0x2022,
    0x2013,
    0x2014,
    0x02dc,
    0x2122,
    0x0161,
    0x203a,
    0x0153,
    0x009d,
    0x017e,
    0x0178,
};

static void
decode_cp1252(struct conv *c, const guint8 *in, gsize len)
{
	gsize i;

	for (i = 0; i < len; i++) {
		if (in[i] == 0)
			continue;
		if (in[i] < 0x80)
			g_string_append_c(c->out, (char)in[i]);
		else if (in[i] < 0xa0)
			g_string_append_unichar(
			    c->out, cp1252_c1[in[i] - 0x80]);
		else
			g_string_append_unichar(c->out, in[i]);
	}
}

static void
decode_iconv(
    struct conv *c, const char *cs, enum skip skip, const guint8 *in, gsize len)
{
	conv_run(c, cs, skip, in, len);
	conv_flush(c);
}

/* Canonical names we hand around; compared by pointer where convenient. */
static const char CN_ASCII[] = "US-ASCII";
static const char CN_2022[] = "ISO-2022-JP";
static const char CN_UTF8[] = "UTF-8";
static const char CN_CP932[] = "CP932";
static const char CN_EUCJP[] = "EUC-JP";
static const char CN_1252[] = "WINDOWS-1252";

/*
 * Normalise a label into buf (lower case, no quotes or blanks, RFC 2231
 * language suffix cut) and classify it.  *iconv_name_r is set for
 * CS_ICONV.  Labels with characters no charset name has are unknown, so
 * nothing odd (a "//" suffix, a path) ever reaches iconv_open().
 */
static enum cs_class
classify(const char *label, char buf[LABEL_MAX], const char **iconv_name_r)
{
	gsize i, n = 0;
	const char *p;

	*iconv_name_r = NULL;
	if (label == NULL)
		return CS_NONE;
	for (p = label; *p == ' ' || *p == '\t' || *p == '"' || *p == '\''; p++)
		;
	for (; *p != '\0' && *p != '*'; p++) {
		if (n >= LABEL_MAX - 1)
			return CS_NONE;
		buf[n++] = g_ascii_tolower(*p);
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' ||
	                    buf[n - 1] == '"' || buf[n - 1] == '\''))
		n--;
	buf[n] = '\0';
	if (n == 0)
		return CS_NONE;
	for (i = 0; i < n; i++)
		if (!g_ascii_isalnum(buf[i]) &&
		    strchr("-_.:+()", buf[i]) == NULL)
			return CS_NONE;
	for (i = 0; i < G_N_ELEMENTS(labels); i++) {
		if (strcmp(labels[i].name, buf) == 0) {
			*iconv_name_r = labels[i].iconv;
			return labels[i].cls;
		}
	}
	*iconv_name_r = buf;
	return CS_ICONV;
}

/* Map a canonical or uchardet name to how we decode it. */
static enum cs_class
class_of_name(const char *name, const char **iconv_name_r)
{
	*iconv_name_r = NULL;
	if (name == CN_ASCII || g_ascii_strcasecmp(name, "ASCII") == 0)
		return CS_ASCII;
	if (name == CN_2022 || g_ascii_strcasecmp(name, CN_2022) == 0)
		return CS_ISO2022JP;
	if (name == CN_UTF8 || g_ascii_strcasecmp(name, CN_UTF8) == 0)
		return CS_UTF8;
	if (name == CN_CP932 || g_ascii_strcasecmp(name, "SHIFT_JIS") == 0)
		return CS_CP932;
	if (name == CN_EUCJP || g_ascii_strcasecmp(name, CN_EUCJP) == 0)
		return CS_EUCJP;
	if (name == CN_1252 || g_ascii_strcasecmp(name, "ISO-8859-1") == 0)
		return CS_LATIN;
	*iconv_name_r = name;
	return CS_ICONV;
}

static void
decode_class(struct conv *c, enum cs_class cls, const char *iconv_name,
    const guint8 *in, gsize len)
{
	switch (cls) {
	case CS_ISO2022JP:
		decode_iso2022jp(c, in, len);
		break;
	case CS_CP932:
		decode_iconv(c, "CP932", SKIP_SJIS, in, len);
		break;
	case CS_EUCJP:
		decode_eucjp(c, in, len);
		break;
	case CS_UTF8:
		decode_utf8(c, in, len);
		break;
	case CS_NONE: /* callers resolve CS_NONE first; be safe anyway */
	case CS_ASCII:
	case CS_LATIN:
		decode_cp1252(c, in, len);
		break;
	case CS_ICONV:
		decode_iconv(c, iconv_name, SKIP_ONE, in, len);
		break;
	}
}

static gboolean
has_8bit(const guint8 *in, gsize len)
{
	gsize i;

	for (i = 0; i < len; i++)
		if (in[i] & 0x80)
			return TRUE;
	return FALSE;
}

/* An escape sequence that designates a JIS set (RFC 1468 and kin). */
static gboolean
has_jis_escape(const guint8 *in, gsize len)
{
	const guint8 *p = in, *end = in + len;

	while ((p = memchr(p, ESC, end - p)) != NULL) {
		if (end - p >= 3 && p[1] == '$' && (p[2] == 'B' || p[2] == '@'))
			return TRUE;
		if (end - p >= 3 && p[1] == '(' && (p[2] == 'I' || p[2] == 'J'))
			return TRUE;
		if (end - p >= 4 && p[1] == '$' && p[2] == '(' &&
		    (p[3] == 'D' || p[3] == 'O' || p[3] == 'Q'))
			return TRUE;
		p++;
	}
	return FALSE;
}

/*
 * Structural check of Shift_JIS (CP932) or EUC-JP, and a score of how
 * Japanese the text looks.  "Strong" characters are the ones every
 * Japanese text is full of and Latin text misread as that charset almost
 * never produces: JIS rows 1-5 (punctuation, full-width letters, kana)
 * and rows 16-47 (level 1 kanji).  Half-width kana and level 2 kanji are
 * counted but not strong, since Latin-1 letters misread land there.
 * Half-width kana are counted apart: a short Japanese line such as
 * "会議 10:00 開始 ｱｲｳ" has as many of them as kanji.
 */
struct jscore {
	gboolean valid;
	gsize strong;
	gsize total;
	gsize halfwidth; /* of total */
};

static void
score_sjis(const guint8 *in, gsize len, struct jscore *s)
{
	gsize i = 0;
	guint8 b;

	memset(s, 0, sizeof(*s));
	s->valid = TRUE;
	while (i < len) {
		b = in[i];
		if (b < 0x80) {
			i++;
		} else if (b >= 0xa1 && b <= 0xdf) {
			s->total++;
			s->halfwidth++;
			i++;
		} else if (is_sjis_lead(b) && i + 1 < len &&
		           is_sjis_trail(in[i + 1])) {
			s->total++;
			if (b <= 0x84 || (b >= 0x88 && b <= 0x98))
				s->strong++;
			i += 2;
		} else {
			s->valid = FALSE;
			return;
		}
	}
}

static void
score_euc(const guint8 *in, gsize len, struct jscore *s)
{
	gsize i = 0;
	guint8 b;

	memset(s, 0, sizeof(*s));
	s->valid = TRUE;
	while (i < len) {
		b = in[i];
		if (b < 0x80) {
			i++;
		} else if (b == 0x8e && i + 1 < len && in[i + 1] >= 0xa1 &&
		           in[i + 1] <= 0xdf) {
			s->total++;
			s->halfwidth++;
			i += 2;
		} else if (b == 0x8f && i + 2 < len && in[i + 1] >= 0xa1 &&
		           in[i + 1] <= 0xfe && in[i + 2] >= 0xa1 &&
		           in[i + 2] <= 0xfe) {
			s->total++;
			i += 3;
		} else if (b >= 0xa1 && b <= 0xfe && i + 1 < len &&
		           in[i + 1] >= 0xa1 && in[i + 1] <= 0xfe) {
			s->total++;
			if (b <= 0xa5 || (b >= 0xb0 && b <= 0xcf))
				s->strong++;
			i += 2;
		} else {
			s->valid = FALSE;
			return;
		}
	}
}

/* At least one strong character, two thirds of the characters but the
 * half-width kana strong, and no more than twice as many half-width kana
 * as strong ones (Latin-1's capitals and ß misread as Shift_JIS are all
 * half-width kana). */
static gboolean
looks_japanese(const struct jscore *s)
{
	return s->valid && s->strong > 0 &&
	       s->strong * 3 >= (s->total - s->halfwidth) * 2 &&
	       s->strong * 2 >= s->halfwidth;
}

static const char *
run_uchardet(const guint8 *in, gsize len)
{
	const char *name, *res = NULL;
	uchardet_t ud;

	ud = uchardet_new();
	if (ud == NULL)
		return NULL;
	if (uchardet_handle_data(ud, (const char *)in, MIN(len, DETECT_MAX)) ==
	    0) {
		uchardet_data_end(ud);
		name = uchardet_get_charset(ud);
		/*
		 * The name lives in the handle; interning gives it a
		 * static lifetime (uchardet knows a few dozen names).
		 */
		if (name != NULL && *name != '\0')
			res = g_intern_string(name);
	}
	uchardet_delete(ud);
	return res;
}

/*
 * Guess the charset.  Cheap certain answers first (no 8-bit: ASCII or
 * ISO-2022-JP; valid UTF-8), then uchardet when it names a Japanese
 * charset, then our own scores, then whatever uchardet said, then a weak
 * structural fallback: CP932 before EUC-JP.
 */
static void
detect(const guint8 *in, gsize len, struct guess *g)
{
	struct jscore sj, euc;
	const char *u;

	g->name = NULL;
	g->strong = TRUE;
	g->evidence = G_MAXSIZE;
	if (len == 0)
		return;
	if (!has_8bit(in, len)) {
		g->name = has_jis_escape(in, len) ? CN_2022 : CN_ASCII;
		return;
	}
	if (g_utf8_validate_len((const gchar *)in, len, NULL)) {
		g->name = CN_UTF8;
		return;
	}
	score_sjis(in, len, &sj);
	score_euc(in, len, &euc);
	u = run_uchardet(in, len);
	if (u != NULL && g_ascii_strcasecmp(u, "SHIFT_JIS") == 0 && sj.valid) {
		g->name = CN_CP932;
		g->evidence = sj.total;
		return;
	}
	if (u != NULL && g_ascii_strcasecmp(u, "EUC-JP") == 0 && euc.valid) {
		g->name = CN_EUCJP;
		g->evidence = euc.total;
		return;
	}
	if (looks_japanese(&sj) && looks_japanese(&euc)) {
		/* Both fit: the one with more strong characters wins. */
		if (euc.strong * sj.total > sj.strong * euc.total) {
			g->name = CN_EUCJP;
			g->evidence = euc.strong;
		} else {
			g->name = CN_CP932;
			g->evidence = sj.strong;
		}
		return;
	}
	if (looks_japanese(&sj)) {
		g->name = CN_CP932;
		g->evidence = sj.strong;
		return;
	}
	if (looks_japanese(&euc)) {
		g->name = CN_EUCJP;
		g->evidence = euc.strong;
		return;
	}
	g->strong = FALSE;
	if (u != NULL && g_ascii_strcasecmp(u, "ASCII") != 0 &&
	    g_ascii_strcasecmp(u, "UTF-8") != 0) {
		g->name = u;
		return;
	}
	if (sj.valid)
		g->name = CN_CP932;
	else if (euc.valid)
		g->name = CN_EUCJP;
}

const char *
mg_charset_detect(const char *in, gsize len)
{
	struct guess g;
	g_autofree guint8 *copy = NULL;
	const guint8 *p = (const guint8 *)in;
	gsize i, n = 0;

	if (in == NULL)
		return NULL;
	if (memchr(in, '\0', len) != NULL) {
		copy = g_malloc(len);
		for (i = 0; i < len; i++)
			if (in[i] != '\0')
				copy[n++] = in[i];
		p = copy;
		len = n;
	}
	detect(p, len, &g);
	return g.name;
}

/*
 * Decode as `name` into a fresh conv; true if no byte was bad.  On
 * success the result is moved into *best (whose old contents are freed).
 */
static gboolean
try_name(const char *name, const guint8 *in, gsize len, struct conv *best)
{
	struct conv c;
	const char *iname;
	enum cs_class cls;

	cls = class_of_name(name, &iname);
	if (cls == CS_ICONV) {
		iconv_t cd = iconv_open("UTF-8", iname);

		if (cd == (iconv_t)-1)
			return FALSE;
		iconv_close(cd);
	}
	conv_init(&c, len);
	decode_class(&c, cls, iname, in, len);
	if (c.nbad > 0) {
		conv_clear(&c);
		return FALSE;
	}
	conv_clear(best);
	*best = c;
	return TRUE;
}

/* Nothing decodes cleanly: take the Japanese charset with fewer errors. */
static void
decode_fallback(struct conv *c, const guint8 *in, gsize len)
{
	struct conv e;

	decode_class(c, CS_CP932, NULL, in, len);
	if (c->nbad == 0)
		return;
	conv_init(&e, len);
	decode_class(&e, CS_EUCJP, NULL, in, len);
	if (e.nbad < c->nbad) {
		conv_clear(c);
		*c = e;
	} else
		conv_clear(&e);
}

/* Is `name` one of the charsets a mislabelled Japanese text really is? */
static gboolean
is_japanese_guess(const char *name)
{
	return name == CN_UTF8 || name == CN_CP932 || name == CN_EUCJP ||
	       name == CN_2022;
}

/*
 * Second opinion for a declared charset: if detection is sure of another
 * charset the bytes decode in cleanly, switch to it.  Overruling a label
 * takes more than one character's worth of evidence: two bytes that are
 * both bad UTF-8 and a valid EUC-JP kanji prove little.
 */
static gboolean
redetect(struct conv *c, const guint8 *in, gsize len, enum cs_class declared)
{
	const char *iname;
	struct guess g;

	detect(in, len, &g);
	if (g.name == NULL || !g.strong || !is_japanese_guess(g.name) ||
	    g.evidence < 2)
		return FALSE;
	if (class_of_name(g.name, &iname) == declared)
		return FALSE;
	return try_name(g.name, in, len, c);
}

char *
mg_charset_to_utf8(const char *charset, const char *in, gsize len,
    gsize *out_len, guint *flags_r)
{
	char label[LABEL_MAX];
	const char *iname;
	g_autofree guint8 *copy = NULL;
	const guint8 *p = (const guint8 *)in;
	enum cs_class cls;
	struct conv c;
	struct guess g;
	gboolean recheck = FALSE;
	guint flags = 0;
	gsize i, n = 0;
	char *res;

	if (in == NULL || len == 0) {
		p = (const guint8 *)"";
		len = 0;
	}
	cls = classify(charset, label, &iname);
	if (cls == CS_ICONV) {
		iconv_t cd = iconv_open("UTF-8", iname);

		if (cd == (iconv_t)-1)
			cls = CS_NONE;
		else
			iconv_close(cd);
	}
	/*
	 * Drop NUL bytes before anything looks at the text, except for
	 * charsets whose code units contain zero bytes.
	 */
	if (len > 0 && memchr(in, '\0', len) != NULL &&
	    !(cls == CS_ICONV && (g_str_has_prefix(label, "utf-16") ||
	                             g_str_has_prefix(label, "utf-32") ||
	                             g_str_has_prefix(label, "utf16") ||
	                             g_str_has_prefix(label, "utf32") ||
	                             g_str_has_prefix(label, "ucs") ||
	                             g_str_has_prefix(label, "unicode")))) {
		copy = g_malloc(len);
		for (i = 0; i < len; i++)
			if (in[i] != '\0')
				copy[n++] = in[i];
		p = copy;
		len = n;
	}

	conv_init(&c, len);
	switch (cls) {
	case CS_NONE:
		detect(p, len, &g);
		if (g.name == NULL)
			decode_fallback(&c, p, len);
		else if (!try_name(g.name, p, len, &c)) {
			conv_clear(&c);
			conv_init(&c, len);
			decode_fallback(&c, p, len);
		}
		if (g.name != CN_ASCII && len > 0)
			flags |= MG_CHARSET_DETECTED;
		break;
	case CS_ISO2022JP:
		/* 8-bit bytes and no JIS escape: another charset, mislabelled.
		 */
		if (has_8bit(p, len) && !has_jis_escape(p, len) &&
		    redetect(&c, p, len, cls)) {
			flags |= MG_CHARSET_DETECTED;
			break;
		}
		decode_iso2022jp(&c, p, len);
		break;
	case CS_ASCII:
	case CS_LATIN:
		/*
		 * Pure 7-bit text is what it says (unless it carries JIS
		 * escapes); 8-bit text labelled ASCII or Latin-1 is often
		 * UTF-8 or Shift_JIS from a careless mailer, but genuine
		 * Latin-1 must stay Latin-1, so only a sure guess wins.
		 */
		if (redetect(&c, p, len, cls)) {
			flags |= MG_CHARSET_DETECTED;
			break;
		}
		if (cls == CS_ASCII && has_8bit(p, len)) {
			detect(p, len, &g);
			if (g.name != NULL && g.name != CN_UTF8 &&
			    try_name(g.name, p, len, &c)) {
				flags |= MG_CHARSET_DETECTED;
				break;
			}
		}
		decode_cp1252(&c, p, len);
		break;
	default:
		decode_class(&c, cls, iname, p, len);
		if (c.nbad > 0)
			recheck = TRUE;
		else if (cls != CS_ICONV && !has_8bit(p, len))
			recheck = has_jis_escape(p, len);
		else if (cls == CS_CP932 || cls == CS_EUCJP) {
			/*
			 * Clean but maybe still wrong: EUC-JP decodes as
			 * CP932 without an error more often than not.  A
			 * clean text that looks Japanese keeps its label.
			 */
			struct jscore js;

			if (cls == CS_CP932)
				score_sjis(p, len, &js);
			else
				score_euc(p, len, &js);
			recheck = !looks_japanese(&js);
		}
		if (recheck && redetect(&c, p, len, cls))
			flags |= MG_CHARSET_DETECTED;
		break;
	}
	if (c.nbad > 0)
		flags |= MG_CHARSET_REPLACED;

	/* Every path above emits UTF-8; make sure of it all the same. */
	if (!g_utf8_validate_len(c.out->str, c.out->len, NULL)) {
		char *valid = g_utf8_make_valid(c.out->str, c.out->len);

		g_string_assign(c.out, valid);
		g_free(valid);
		flags |= MG_CHARSET_REPLACED;
	}
	if (out_len != NULL)
		*out_len = c.out->len;
	if (flags_r != NULL)
		*flags_r = flags;
	res = g_string_free(c.out, FALSE);
	c.out = NULL;
	conv_clear(&c);
	return res;
}

/*
 * Windows users type the CP932 forms of a few JIS X 0208 characters;
 * glibc's ISO-2022-JP knows only the JIS X 0208 mappings.  Our decoder
 * reads these JIS codes back as the CP932 forms, so the round trip holds.
 */
static gunichar
to_jis_form(gunichar u)
{
	switch (u) {
	case 0xff5e:
		return 0x301c; /* FULLWIDTH TILDE -> WAVE DASH, 0x2141 */
	case 0x2225:
		return 0x2016; /* PARALLEL TO -> DOUBLE VERTICAL LINE */
	case 0xff0d:
		return 0x2212; /* FULLWIDTH HYPHEN-MINUS -> MINUS SIGN */
	case 0xffe0:
		return 0x00a2;
	case 0xffe1:
		return 0x00a3;
	case 0xffe2:
		return 0x00ac;
	default:
		return u;
	}
}

char *
mg_charset_utf8_to_iso2022jp(const char *utf8, gsize len, gsize *out_len)
{
	g_autoptr(GString) src = NULL;
	g_autoptr(GString) dst = NULL;
	const char *p, *end, *esc;
	char buf[1024];
	char *inp, *outp;
	size_t inleft, outleft, r;
	gunichar u;
	iconv_t cd;
	gboolean ok = TRUE;

	if (utf8 == NULL || !g_utf8_validate_len(utf8, len, NULL))
		return NULL;
	src = g_string_sized_new(len);
	for (p = utf8, end = utf8 + len; p < end; p = g_utf8_next_char(p)) {
		u = g_utf8_get_char(p);
		/*
		 * glibc would write these two with ESC ( J (JIS-Roman);
		 * RFC 1468 allows it, but CP5022x readers, ours included,
		 * take ESC ( J as ASCII and would show a backslash.
		 */
		if (u == 0x00a5 || u == 0x203e)
			return NULL;
		/* Shift and escape bytes in the text would change the mode. */
		if (u == 0 || u == SO || u == SI || u == ESC)
			return NULL;
		g_string_append_unichar(src, to_jis_form(u));
	}

	cd = iconv_open("ISO-2022-JP", "UTF-8");
	if (cd == (iconv_t)-1)
		return NULL;
	dst = g_string_sized_new(src->len + 16);
	inp = src->str;
	inleft = src->len;
	while (ok && inleft > 0) {
		outp = buf;
		outleft = sizeof(buf);
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		g_string_append_len(dst, buf, outp - buf);
		if (r == (size_t)-1 && errno != E2BIG)
			ok = FALSE;
	}
	if (ok) {
		/* A NULL input flushes the shift state back to ASCII. */
		outp = buf;
		outleft = sizeof(buf);
		r = iconv(cd, NULL, NULL, &outp, &outleft);
		g_string_append_len(dst, buf, outp - buf);
		if (r == (size_t)-1)
			ok = FALSE;
	}
	iconv_close(cd);
	if (!ok)
		return NULL;
	/* RFC 1468: the text must end in ASCII; the last escape says. */
	esc = g_strrstr_len(dst->str, dst->len, "\x1b");
	if (esc != NULL && strncmp(esc, "\x1b(B", 3) != 0)
		g_string_append(dst, "\x1b(B");
	if (out_len != NULL)
		*out_len = dst->len;
	return g_string_free(g_steal_pointer(&dst), FALSE);
}

/*
 * Every name conv_run() and the label table can hand to iconv_open().
 * The first two are required by the Japanese decoders.
 */
static const char *const preload_names[] = {
    "CP932",
    "EUC-JP-MS",
    "EUC-JISX0213",
    "EUC-CN",
    "EUC-KR",
    "ISO-8859-1",
    "ISO-8859-7",
    "GB18030",
    "CP949",
    "BIG5-HKSCS",
    /* What mailers declare and uchardet answers most, beyond those. */
    "ISO-8859-2",
    "ISO-8859-5",
    "ISO-8859-15",
    "WINDOWS-1250",
    "WINDOWS-1251",
    "WINDOWS-1253",
    "WINDOWS-1254",
    "WINDOWS-1255",
    "WINDOWS-1256",
    "WINDOWS-1257",
    "WINDOWS-1258",
    "KOI8-R",
    "KOI8-U",
    "IBM866",
    "TIS-620",
    "BIG5",
    "ISO-2022-KR",
    "UTF-16",
    "UTF-7",
    "EUC-JISX0213",
    "SHIFT_JISX0213",
};

/*
 * Written once under g_once and never used to convert: the pinned
 * descriptors only keep glibc from unloading the modules.
 */
static iconv_t pinned[G_N_ELEMENTS(preload_names) + 1];

gboolean
mg_charset_preload(void)
{
	static gsize done;
	static gboolean ok;
	iconv_t cd;
	gsize i;

	if (g_once_init_enter(&done)) {
		ok = TRUE;
		for (i = 0; i < G_N_ELEMENTS(preload_names); i++) {
			cd = iconv_open("UTF-8", preload_names[i]);
			pinned[i] = cd;
			if (cd == (iconv_t)-1 && i < 2)
				ok = FALSE;
		}
		/* The encoder's direction. */
		pinned[i] = iconv_open("ISO-2022-JP", "UTF-8");
		g_once_init_leave(&done, 1);
	}
	return ok;
}
