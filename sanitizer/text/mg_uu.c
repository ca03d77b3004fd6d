/*
 * mg_uu.c - find files hidden in the text of a mail: uuencode (POSIX
 * uuencode, both the historical format and "begin-base64") and BinHex 4.0
 * blocks, cut them out of the text and decode them.
 *
 * Input: the UTF-8 text of one part, untrusted; it may hold NUL bytes and
 * CRLF or LF line ends.  Text outside blocks is copied byte for byte.
 *
 * Limits: at most `max_blocks` blocks are cut (default 100).  Decoded
 * uuencode is never larger than its text.  BinHex run-length expansion is
 * the one place where output can outgrow input, so all BinHex output of one
 * call is charged against MAX_BINHEX_OUTPUT and expansion stops once the
 * forks the header declares are complete; declared fork lengths are checked
 * against what was decoded before any byte is read.
 *
 * Ownership: the caller owns the returned text and the struct mg_embedded
 * added to `found`.
 */
#include <string.h>

#include "text/mg_uu.h"
#include "util/mg_util.h"

#define DEF_MAX_BLOCKS 100
#define MAX_BINHEX_OUTPUT ((gsize)64 * 1024 * 1024)
#define DEF_PLACEHOLDER "[{name}]"

static const char binhex_marker[] =
    "(This file must be converted with BinHex 4.0)";

/* BinHex 4.0's 64 characters, in value order. */
static const char binhex_alphabet[] = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMN"
                                      "PQRSTUVXYZ[`abcdefhijklmpqr";

struct line {
	gsize start; /* first byte */
	gsize end;   /* end of the content: before "\r\n" or "\n" */
	gsize next;  /* start of the following line */
};

struct block {
	gsize end;  /* first byte after the block */
	gsize term; /* where the block's last line terminator starts */
	struct mg_embedded *e;
};

struct scan {
	const char *t;
	gsize len;
	gsize binhex_left; /* RLE output still allowed in this call */
};

void
mg_embedded_free(struct mg_embedded *e)
{
	if (e == NULL)
		return;
	g_free(e->name);
	if (e->data != NULL)
		g_bytes_unref(e->data);
	g_free(e);
}

static void
get_line(const struct scan *s, gsize pos, struct line *l)
{
	const char *nl = memchr(s->t + pos, '\n', s->len - pos);

	l->start = pos;
	if (nl == NULL) {
		l->end = l->next = s->len;
		return;
	}
	l->next = (gsize)(nl - s->t) + 1;
	l->end = l->next - 1;
	if (l->end > pos && s->t[l->end - 1] == '\r')
		l->end--;
}

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Is the line, without trailing blanks, exactly `word`? */
static gboolean
line_is(const struct scan *s, const struct line *l, const char *word)
{
	gsize e = l->end;

	while (e > l->start && is_blank(s->t[e - 1]))
		e--;
	return e - l->start == strlen(word) &&
	       memcmp(s->t + l->start, word, e - l->start) == 0;
}

static struct mg_embedded *
embedded_new(
    enum mg_embedded_kind kind, const char *name, gsize nlen, GByteArray *data)
{
	struct mg_embedded *e = g_new0(struct mg_embedded, 1);

	e->kind = kind;
	e->name = g_utf8_make_valid(name, (gssize)nlen);
	e->data = g_byte_array_free_to_bytes(data);
	return e;
}

/*
 * Parse "begin MODE NAME" or "begin-base64 MODE NAME" (POSIX uuencode):
 * MODE is 3 or 4 octal digits, so prose that starts with "begin" rarely
 * matches.  On success the name (*name, *nlen bytes) points into the text.
 */
static gboolean
parse_begin(const struct scan *s, const struct line *l, gboolean *b64,
    const char **name, gsize *nlen)
{
	const char *p = s->t + l->start, *end = s->t + l->end;
	gsize digits = 0;

	if ((gsize)(end - p) < 6 || memcmp(p, "begin", 5) != 0)
		return FALSE;
	p += 5;
	*b64 = FALSE;
	if ((gsize)(end - p) >= 7 && memcmp(p, "-base64", 7) == 0) {
		*b64 = TRUE;
		p += 7;
	}
	if (p >= end || !is_blank(*p))
		return FALSE;
	while (p < end && is_blank(*p))
		p++;
	while (p < end && *p >= '0' && *p <= '7') {
		p++;
		digits++;
	}
	if (digits < 3 || digits > 4 || p >= end || !is_blank(*p))
		return FALSE;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	*name = p;
	*nlen = (gsize)(end - p);
	return TRUE;
}

/* uuencode maps 6 bits to 0x20..0x5f; 0x60 (backtick) also stands for 0. */
static gboolean
uu_char(char c)
{
	return (guchar)c >= 0x20 && (guchar)c <= 0x60;
}

static guint
uu_val(char c)
{
	return ((guchar)c - 0x20) & 0x3f;
}

/*
 * Check a data line.  Its first character gives the byte count; the
 * characters that follow must all be in the uuencode range.  `strict`
 * (for the first line after "begin") also wants a non-zero count and all
 * the characters that count needs, so prose is not taken for data.
 * *short_r tells whether characters were missing (lost trailing blanks,
 * or a cut line).
 */
static gboolean
uu_line_ok(const struct scan *s, const struct line *l, gboolean strict,
    gboolean *short_r)
{
	gsize n = l->end - l->start, i, need;
	guint cnt;

	if (n == 0)
		return FALSE;
	for (i = 0; i < n; i++) {
		if (!uu_char(s->t[l->start + i]))
			return FALSE;
	}
	cnt = uu_val(s->t[l->start]);
	need = (cnt + 2) / 3 * 4;
	*short_r = n - 1 < need;
	if (strict && (cnt == 0 || *short_r))
		return FALSE;
	return TRUE;
}

/* A line whose count is zero: the last data line, before "end". */
static gboolean
uu_line_final(const struct scan *s, const struct line *l)
{
	gsize n = l->end - l->start;

	/* A lone space may have been stripped by a mail system. */
	return n == 0 || uu_val(s->t[l->start]) == 0;
}

static void
uu_decode_line(const struct scan *s, const struct line *l, GByteArray *out)
{
	const char *p = s->t + l->start + 1;
	gsize have = l->end - l->start - 1, k = 0;
	guint cnt = uu_val(s->t[l->start]), i;

	for (i = 0; i < cnt; i += 3) {
		guint v[4], j;
		guint8 b[3];

		/* Characters lost at the end of the line read as zero. */
		for (j = 0; j < 4; j++, k++)
			v[j] = k < have ? uu_val(p[k]) : 0;
		b[0] = (guint8)(v[0] << 2 | v[1] >> 4);
		b[1] = (guint8)(v[1] << 4 | v[2] >> 2);
		b[2] = (guint8)(v[2] << 6 | v[3]);
		g_byte_array_append(out, b, MIN(3, cnt - i));
	}
}

/* The characters of a begin-base64 body (RFC 4648 section 4). */
static gboolean
b64_line_ok(const struct scan *s, const struct line *l, gboolean strict)
{
	gsize n = l->end - l->start, i;

	while (n > 0 && is_blank(s->t[l->start + n - 1]))
		n--;
	if (n == 0)
		return FALSE;
	for (i = 0; i < n; i++) {
		char c = s->t[l->start + i];

		if (!g_ascii_isalnum(c) && c != '+' && c != '/' && c != '=')
			return FALSE;
	}
	return !strict || n % 4 == 0;
}

/*
 * A uuencoded block starting at the "begin" line `b`.  The block ends
 * after the "end" line ("====" for base64); when that line is missing,
 * before the first line that is not data, or at the end of the text, and
 * is then marked damaged.
 */
static gboolean
try_uu(struct scan *s, const struct line *b, struct block *blk)
{
	struct line l, last = *b;
	const char *name;
	gsize nlen, pos;
	gboolean b64, shrt = FALSE, damaged = FALSE, done = FALSE;
	GByteArray *data;
	gint state = 0;
	guint save = 0;

	if (!parse_begin(s, b, &b64, &name, &nlen) || b->next >= s->len)
		return FALSE;

	/* The first line decides whether this is a block at all. */
	get_line(s, b->next, &l);
	if (b64) {
		if (!line_is(s, &l, "====") && !b64_line_ok(s, &l, TRUE))
			return FALSE;
	} else if (!uu_line_ok(s, &l, TRUE, &shrt)) {
		struct line e;

		if (!uu_line_final(s, &l) || l.next >= s->len)
			return FALSE;
		get_line(s, l.next, &e);
		if (!line_is(s, &e, "end"))
			return FALSE;
	}

	data = g_byte_array_new();
	for (pos = b->next; pos < s->len && !done; pos = l.next) {
		get_line(s, pos, &l);
		if (b64) {
			if (line_is(s, &l, "====")) {
				done = TRUE;
			} else if (b64_line_ok(s, &l, FALSE)) {
				gsize n = l.end - l.start, o = data->len;

				g_byte_array_set_size(data, o + n / 4 * 3 + 3);
				o += g_base64_decode_step(s->t + l.start, n,
				    data->data + o, &state, &save);
				g_byte_array_set_size(data, (guint)o);
			} else {
				damaged = TRUE;
				break;
			}
		} else if (line_is(s, &l, "end")) {
			done = TRUE;
		} else if (uu_line_final(s, &l)) {
			/* The zero-count line is followed by "end". */
			last = l;
			if (l.next < s->len) {
				get_line(s, l.next, &l);
				if (line_is(s, &l, "end")) {
					last = l;
					done = TRUE;
					break;
				}
			}
			damaged = TRUE;
			break;
		} else if (uu_line_ok(s, &l, FALSE, &shrt)) {
			if (shrt)
				damaged = TRUE;
			uu_decode_line(s, &l, data);
		} else {
			damaged = TRUE;
			break;
		}
		last = l;
	}
	if (!done)
		damaged = TRUE;

	blk->end = last.next;
	blk->term = last.end;
	blk->e = embedded_new(MG_EMBEDDED_UUENCODE, name, nlen, data);
	blk->e->damaged = damaged;
	return TRUE;
}

/* CRC-16/XMODEM (CCITT polynomial 0x1021, initial value 0), as BinHex 4.0
 * uses for the header and both forks. */
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

/* Run-length decoding state: 0x90 marks a run (BinHex 4.0). */
struct rle {
	const guint8 *in;
	gsize n, i;
	guint8 prev;
	gsize pending; /* repeats of prev still to write */
	gboolean bad;
};

/* Expand until `out` holds `target` bytes or the input is used up. */
static void
rle_fill(struct rle *r, GByteArray *out, gsize target)
{
	while (out->len < target) {
		guint8 c;

		if (r->pending > 0) {
			gsize k = MIN(r->pending, target - out->len);
			gsize o = out->len;

			g_byte_array_set_size(out, (guint)(o + k));
			memset(out->data + o, r->prev, k);
			r->pending -= k;
			continue;
		}
		if (r->i >= r->n)
			return;
		c = r->in[r->i++];
		if (c != 0x90) {
			g_byte_array_append(out, &c, 1);
			r->prev = c;
			continue;
		}
		if (r->i >= r->n) {
			r->bad = TRUE;
			return;
		}
		c = r->in[r->i++];
		if (c == 0) {
			/* 0x90 0x00 is a literal 0x90. */
			r->prev = 0x90;
			g_byte_array_append(out, &r->prev, 1);
			continue;
		}
		/* "X 0x90 n": X written n times in all, once already. */
		r->pending = (gsize)c - 1;
	}
}

static guint32
be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
	       p[3];
}

static guint16
be16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

/*
 * Decode the BinHex stream (the 6-bit characters between the colons) into
 * a file.  Returns FALSE when not even the header could be read.
 * Format: BinHex 4.0 Definition, Peter N Lewis, 1991.
 */
static gboolean
binhex_decode(struct scan *s, const GByteArray *six, struct block *blk)
{
	struct rle r = {six->data, six->len, 0, 0, 0, FALSE};
	g_autoptr(GByteArray) dec = g_byte_array_new();
	gsize hl, nlen, limit;
	guint64 dlen, rlen, need;
	gboolean damaged = FALSE;
	g_autofree char *name = NULL;
	gsize name_len;

	limit = s->binhex_left;
	rle_fill(&r, dec, MIN(1, limit));
	if (dec->len < 1)
		return FALSE;
	nlen = dec->data[0];
	if (nlen < 1 || nlen > 63)
		return FALSE;
	/* Name, version, type, creator, flags, two lengths, header CRC. */
	hl = 1 + nlen + 1 + 4 + 4 + 2 + 4 + 4 + 2;
	rle_fill(&r, dec, MIN(hl, limit));
	if (dec->len < hl)
		return FALSE;
	dlen = be32(dec->data + hl - 10);
	rlen = be32(dec->data + hl - 6);
	if (crc16(dec->data, hl - 2) != be16(dec->data + hl - 2))
		damaged = TRUE;

	/* Expand no further than the forks and their CRCs need. */
	need = (guint64)hl + dlen + 2 + rlen + 2;
	rle_fill(&r, dec, (gsize)MIN(need, (guint64)limit));
	s->binhex_left -= dec->len;
	if (r.bad || dec->len < need)
		damaged = TRUE;

	if (dec->len >= hl + dlen + 2) {
		const guint8 *d = dec->data + hl;

		if (crc16(d, dlen) != be16(d + dlen))
			damaged = TRUE;
		if (dec->len >= need) {
			const guint8 *rf = d + dlen + 2;

			if (crc16(rf, rlen) != be16(rf + rlen))
				damaged = TRUE;
		}
	} else {
		/* A cut stream: keep the part of the data fork we have. */
		damaged = TRUE;
	}
	/* The name is Mac OS Roman, unless it happens to be UTF-8. */
	name_len = nlen;
	if (g_utf8_validate((const char *)dec->data + 1, (gssize)nlen, NULL))
		name = g_strndup((const char *)dec->data + 1, nlen);
	else
		name = g_convert((const char *)dec->data + 1, (gssize)nlen,
		    "UTF-8", "MACINTOSH", NULL, &name_len, NULL);
	if (name == NULL) {
		name = g_strndup((const char *)dec->data + 1, nlen);
		name_len = nlen;
	}
	/* The data fork becomes the file, without another copy. */
	g_byte_array_remove_range(dec, 0, (guint)hl);
	g_byte_array_set_size(dec, (guint)MIN(dlen, (guint64)dec->len));
	blk->e = embedded_new(
	    MG_EMBEDDED_BINHEX, name, name_len, g_steal_pointer(&dec));
	blk->e->damaged = damaged;
	return TRUE;
}

/*
 * A BinHex block starting at the marker line `b`: the marker at the start
 * of a line, then only blanks up to a ':', the stream, and a closing ':'.
 * When the stream holds other characters, cannot be decoded, or has no
 * closing colon (the block then runs to the end of the text), the block's
 * raw text is returned as the file, marked damaged.
 */
static gboolean
try_binhex(struct scan *s, const struct line *b, struct block *blk)
{
	static gint8 map[256];
	static gsize map_done;
	gsize ml = sizeof(binhex_marker) - 1, i, close;
	gboolean bad = FALSE, closed = FALSE;
	g_autoptr(GByteArray) six = NULL;
	guint acc = 0, bits = 0;

	if (g_once_init_enter(&map_done)) {
		memset(map, -1, sizeof(map));
		for (i = 0; i < sizeof(binhex_alphabet) - 1; i++)
			map[(guchar)binhex_alphabet[i]] = (gint8)i;
		g_once_init_leave(&map_done, 1);
	}
	if (b->end - b->start < ml ||
	    memcmp(s->t + b->start, binhex_marker, ml) != 0)
		return FALSE;
	for (i = b->start + ml; i < s->len && g_ascii_isspace(s->t[i]); i++)
		;
	if (i >= s->len || s->t[i] != ':')
		return FALSE;

	six = g_byte_array_new();
	for (i++; i < s->len; i++) {
		guchar c = (guchar)s->t[i];

		if (c == ':') {
			closed = TRUE;
			break;
		}
		if (g_ascii_isspace(c))
			continue;
		if (map[c] < 0) {
			bad = TRUE;
			continue;
		}
		acc = (acc << 6 | (guint)map[c]) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			guint8 o = (guint8)(acc >> (bits - 8));

			bits -= 8;
			g_byte_array_append(six, &o, 1);
		}
	}

	/* The block takes the rest of the closing line if that is blank. */
	close = i < s->len ? i + 1 : s->len;
	blk->term = blk->end = close;
	if (closed) {
		struct line l;
		gsize k;

		get_line(s, close, &l);
		for (k = close; k < l.end && is_blank(s->t[k]); k++)
			;
		if (k == l.end) {
			blk->term = l.end;
			blk->end = l.next;
		}
	}

	blk->e = NULL;
	if (!bad && !binhex_decode(s, six, blk))
		bad = TRUE;
	if (bad) {
		GByteArray *raw = g_byte_array_new();

		if (blk->e != NULL)
			mg_embedded_free(blk->e);
		g_byte_array_append(raw, (const guint8 *)s->t + b->start,
		    (guint)(close - b->start));
		blk->e = embedded_new(MG_EMBEDDED_BINHEX, "", 0, raw);
		blk->e->damaged = TRUE;
	}
	if (!closed)
		blk->e->damaged = TRUE;
	return TRUE;
}

static void
append_placeholder(GString *out, const char *ph, const char *name)
{
	g_autofree char *pn = mg_printable(name, -1, 0);
	const char *p = ph, *q;

	while ((q = strstr(p, "{name}")) != NULL) {
		g_string_append_len(out, p, q - p);
		g_string_append(out, pn);
		p = q + 6;
	}
	g_string_append(out, p);
}

char *
mg_uu_extract(const char *text, gsize len, const char *placeholder,
    guint max_blocks, GPtrArray *found, gboolean *truncated_r)
{
	return mg_uu_extract_len(
	    text, len, placeholder, max_blocks, found, truncated_r, NULL);
}

char *
mg_uu_extract_len(const char *text, gsize len, const char *placeholder,
    guint max_blocks, GPtrArray *found, gboolean *truncated_r, gsize *len_r)
{
	struct scan s = {text, len, MAX_BINHEX_OUTPUT};
	GString *out;
	gsize pos = 0, copied = 0;
	guint count = 0;

	if (truncated_r != NULL)
		*truncated_r = FALSE;
	if (len_r != NULL)
		*len_r = 0;
	if (text == NULL)
		return g_strdup("");
	if (max_blocks == 0)
		max_blocks = DEF_MAX_BLOCKS;
	if (placeholder == NULL)
		placeholder = DEF_PLACEHOLDER;
	out = g_string_sized_new(len + 1);

	while (pos < len) {
		struct line l;
		struct block b;

		get_line(&s, pos, &l);
		memset(&b, 0, sizeof(b));
		if (!try_uu(&s, &l, &b) && !try_binhex(&s, &l, &b)) {
			pos = l.next;
			continue;
		}
		if (count >= max_blocks) {
			mg_embedded_free(b.e);
			if (truncated_r != NULL)
				*truncated_r = TRUE;
			break;
		}
		g_string_append_len(out, text + copied, pos - copied);
		append_placeholder(out, placeholder, b.e->name);
		g_string_append_len(out, text + b.term, b.end - b.term);
		if (found != NULL)
			g_ptr_array_add(found, b.e);
		else
			mg_embedded_free(b.e);
		count++;
		pos = copied = b.end;
	}
	g_string_append_len(out, text + copied, len - copied);
	if (len_r != NULL)
		*len_r = out->len;
	return g_string_free(out, FALSE);
}
