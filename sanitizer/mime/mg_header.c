/*
 * mg_header.c - decode header values (RFC 2047 encoded words, raw 8-bit
 * text) and MIME parameters (RFC 2045, RFC 2231) to UTF-8, and encode a
 * UTF-8 value back into encoded words.
 *
 * Untrusted input: the raw header values, as received after the colon.
 * Every charset goes through mg_charset, so ISO-2022-JP with NEC and IBM
 * extensions and mislabelled text decode the same here as in bodies.
 * Limits: at most MAX_WORDS encoded words per value are decoded (the rest
 * is left as text), a charset name in an encoded word is at most
 * CHARSET_MAX bytes, and a parameter is read up to MAX_SEGMENTS RFC 2231
 * segments and PARAM_MAX bytes.  Every scan is linear in the input: the
 * search for the end of an encoded word is cached, so a value full of
 * "=?" without "?=" costs no more than one pass.
 * The caller owns every returned string.
 */
#include <string.h>

#include "mime/mg_charset.h"
#include "mime/mg_header.h"

/* Real subjects hold a few dozen words; a 255-byte name about ten. */
#define MAX_WORDS 1000
/* RFC 2978 charset names are at most 40 bytes; leave room for *lang. */
#define CHARSET_MAX 64
/* RFC 2231 §3 continuation segments and bytes read of one parameter. */
#define MAX_SEGMENTS 1000
#define PARAM_MAX (64 * 1024)
/* Bytes of encoded text per encoded word we write: 48 base64 chars,
 * so "Subject: " plus one 60-char word stays within 76 (RFC 2047 §2). */
#define ENCODE_CHUNK 36
/* RFC 2047 §2: lines holding encoded words are at most 76 characters. */
#define EW_LINE_MAX 76
/* "=?UTF-8?B?" and "?=" around the base64 text. */
#define EW_OVERHEAD 12

/* One RFC 2047 encoded word: =?charset[*lang]?B|Q?text?= */
struct ew {
	const char *start, *end; /* the whole word */
	const char *cs;          /* charset, language cut off */
	gsize cs_len;
	char enc; /* 'B' or 'Q' */
	const char *text;
	gsize text_len;
};

/*
 * Where the next "?=" is.  The first "?=" at or after a position p is
 * the same for every p between `from` and `at`, so consecutive attempts
 * do not rescan (at == NULL: there is none after `from`).
 */
struct ew_cache {
	const char *from;
	const char *at;
};

static gboolean
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

static const char *
find_close(struct ew_cache *cache, const char *p, const char *end)
{
	if (cache->from != NULL && p >= cache->from &&
	    (cache->at == NULL || p <= cache->at))
		return cache->at;
	cache->from = p;
	cache->at = g_strstr_len(p, end - p, "?=");
	return cache->at;
}

/*
 * Parse an encoded word at p (which points at "=?").  Lenient as mailers
 * need: any length, whitespace allowed in the text (a broken mailer
 * folded inside the word), no check of the charset against a registry.
 */
static gboolean
ew_parse(const char *p, const char *end, struct ew_cache *cache, struct ew *w)
{
	const char *q, *close, *star;

	if (end - p < 2 || p[0] != '=' || p[1] != '?')
		return FALSE;
	w->start = p;
	w->cs = p + 2;
	for (q = w->cs; q < end && *q != '?'; q++) {
		if (q - w->cs >= CHARSET_MAX || (guchar)*q <= ' ' ||
		    (guchar)*q >= 0x7f)
			return FALSE;
	}
	if (q == w->cs || end - q < 3 || q[2] != '?')
		return FALSE;
	w->cs_len = q - w->cs;
	/* RFC 2231 §5: charset*language. */
	star = memchr(w->cs, '*', w->cs_len);
	if (star != NULL)
		w->cs_len = star - w->cs;
	if (w->cs_len == 0)
		return FALSE;
	w->enc = g_ascii_toupper(q[1]);
	if (w->enc != 'B' && w->enc != 'Q')
		return FALSE;
	w->text = q + 3;
	close = find_close(cache, w->text, end);
	if (close == NULL)
		return FALSE;
	w->text_len = close - w->text;
	w->end = close + 2;
	return TRUE;
}

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * RFC 2047 §4.1 B encoding, leniently: characters outside the alphabet
 * are ignored, missing padding is fine, '=' ends a quantum (so padding
 * in the middle does not shift what follows), left-over bits are dropped.
 */
static void
decode_b(const char *s, gsize len, GByteArray *out)
{
	guint32 acc = 0;
	int bits = 0, v;
	guint8 byte;
	gsize i;

	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			acc = 0;
			bits = 0;
			continue;
		}
		if ((v = b64_value(s[i])) < 0)
			continue;
		acc = (acc << 6) | (guint32)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (acc >> bits) & 0xff;
			g_byte_array_append(out, &byte, 1);
		}
	}
}

/* RFC 2047 §4.2 Q encoding; a '=' without two hex digits stays as is. */
static void
decode_q(const char *s, gsize len, GByteArray *out)
{
	guint8 byte;
	gsize i;

	for (i = 0; i < len; i++) {
		if (s[i] == '_')
			byte = ' ';
		else if (s[i] == '=' && i + 2 < len &&
		         g_ascii_isxdigit(s[i + 1]) &&
		         g_ascii_isxdigit(s[i + 2])) {
			byte = g_ascii_xdigit_value(s[i + 1]) * 16 +
			       g_ascii_xdigit_value(s[i + 2]);
			i += 2;
		} else
			byte = (guint8)s[i];
		g_byte_array_append(out, &byte, 1);
	}
}

/*
 * RFC 5322 §2.2.3: unfolding removes a CRLF that is followed by
 * whitespace.  A bare CR or LF is treated the same; one that is not
 * followed by whitespace cannot be part of a value and becomes a space.
 */
static GString *
unfold(const char *raw, gsize len)
{
	GString *u = g_string_sized_new(len);
	gsize i;

	for (i = 0; i < len; i++) {
		if (raw[i] == '\0')
			continue;
		if (raw[i] != '\r' && raw[i] != '\n') {
			g_string_append_c(u, raw[i]);
			continue;
		}
		while (
		    i + 1 < len && (raw[i + 1] == '\r' || raw[i + 1] == '\n'))
			i++;
		if (i + 1 >= len || !is_wsp(raw[i + 1]))
			g_string_append_c(u, ' ');
	}
	return u;
}

enum tok_type {
	TOK_TEXT,
	TOK_WORD,
};

struct tok {
	enum tok_type type;
	const char *s, *e; /* text, or the whole word */
	struct ew w;
};

static gboolean
all_wsp(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!is_wsp(*s))
			return FALSE;
	return TRUE;
}

static gboolean
needs_charset(const char *s, const char *e)
{
	for (; s < e; s++)
		if ((guchar)*s >= 0x80 || *s == 0x1b)
			return TRUE;
	return FALSE;
}

static void
push_text(GArray *toks, const char *s, const char *e)
{
	struct tok t;

	if (s >= e)
		return;
	memset(&t, 0, sizeof(t));
	t.type = TOK_TEXT;
	t.s = s;
	t.e = e;
	g_array_append_val(toks, t);
}

/* Convert the joined bytes of a run of words and append them. */
static void
flush_words(GString *out, const struct ew *first, GByteArray *bytes)
{
	char cs[CHARSET_MAX + 1];
	char *utf8;
	gsize n;

	if (first == NULL)
		return;
	memcpy(cs, first->cs, first->cs_len);
	cs[first->cs_len] = '\0';
	utf8 = mg_charset_to_utf8(
	    cs, (const char *)bytes->data, bytes->len, &n, NULL);
	g_string_append_len(out, utf8, n);
	g_free(utf8);
	g_byte_array_set_size(bytes, 0);
}

static void
append_text(GString *out, const char *s, const char *e, const char *charset)
{
	char *utf8;
	gsize n;

	if (!needs_charset(s, e)) {
		g_string_append_len(out, s, e - s);
		return;
	}
	utf8 = mg_charset_to_utf8(charset, s, e - s, &n, NULL);
	g_string_append_len(out, utf8, n);
	g_free(utf8);
}

static char *
decode_len(const char *raw, gsize len)
{
	g_autoptr(GString) u = NULL;
	g_autoptr(GString) out = NULL;
	g_autoptr(GString) rawtext = NULL;
	g_autoptr(GArray) toks = NULL;
	g_autoptr(GByteArray) bytes = NULL;
	struct ew_cache cache = {NULL, NULL};
	const struct ew *group = NULL;
	const char *p, *q, *end, *text, *charset = NULL;
	struct tok t, *tk;
	gsize i, nwords = 0;
	gboolean raw8 = FALSE;

	u = unfold(raw, len);
	toks = g_array_new(FALSE, TRUE, sizeof(struct tok));
	p = text = u->str;
	end = u->str + u->len;
	while (nwords < MAX_WORDS && (q = memchr(p, '=', end - p)) != NULL) {
		memset(&t, 0, sizeof(t));
		if (!ew_parse(q, end, &cache, &t.w)) {
			p = q + 1;
			continue;
		}
		push_text(toks, text, q);
		t.type = TOK_WORD;
		t.s = t.w.start;
		t.e = t.w.end;
		g_array_append_val(toks, t);
		nwords++;
		p = text = t.w.end;
	}
	push_text(toks, text, end);

	/*
	 * Raw 8-bit text was written by one mailer in one charset: detect
	 * it once over all of it, which is more reliable than per piece.
	 */
	rawtext = g_string_new(NULL);
	for (i = 0; i < toks->len; i++) {
		tk = &g_array_index(toks, struct tok, i);
		if (tk->type == TOK_TEXT && needs_charset(tk->s, tk->e)) {
			g_string_append_len(rawtext, tk->s, tk->e - tk->s);
			raw8 = TRUE;
		}
	}
	if (raw8)
		charset = mg_charset_detect(rawtext->str, rawtext->len);

	out = g_string_sized_new(u->len);
	bytes = g_byte_array_new();
	for (i = 0; i < toks->len; i++) {
		tk = &g_array_index(toks, struct tok, i);
		if (tk->type == TOK_TEXT) {
			/* RFC 2047 §6.2: blanks between words go. */
			if (i > 0 && i + 1 < toks->len &&
			    all_wsp(tk->s, tk->e) &&
			    g_array_index(toks, struct tok, i + 1).type ==
			        TOK_WORD)
				continue;
			flush_words(out, group, bytes);
			group = NULL;
			append_text(out, tk->s, tk->e, charset);
			continue;
		}
		/*
		 * Join the bytes of adjacent words in one charset before
		 * converting: mailers split a character, or an ISO-2022-JP
		 * escape sequence, across two words.
		 */
		if (group != NULL && (group->cs_len != tk->w.cs_len ||
		                         g_ascii_strncasecmp(group->cs,
		                             tk->w.cs, group->cs_len) != 0)) {
			flush_words(out, group, bytes);
			group = NULL;
		}
		if (group == NULL)
			group = &tk->w;
		if (tk->w.enc == 'B')
			decode_b(tk->w.text, tk->w.text_len, bytes);
		else
			decode_q(tk->w.text, tk->w.text_len, bytes);
	}
	flush_words(out, group, bytes);
	g_strstrip(out->str);
	return g_strdup(out->str);
}

char *
mg_header_decode(const char *raw)
{
	if (raw == NULL)
		return NULL;
	return decode_len(raw, strlen(raw));
}

/* Skip a comment at p ('('), nested as RFC 5322 §3.2.2 allows. */
static const char *
skip_comment(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return end;
}

static const char *
skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (is_wsp(*p))
			p++;
		else if (*p == '(')
			p = skip_comment(p, end);
		else
			break;
	}
	return p;
}

static gboolean
is_sjis_lead_byte(guchar b)
{
	return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
}

/*
 * Raw 8-bit bytes in a quoted string that are not UTF-8: read as Shift_JIS
 * (what old Japanese mailers put in file names).  Its characters whose
 * second byte is '\\' (表, ソ, 能, 予: "dame-moji") would otherwise be
 * taken for quoted pairs, eating the next character or the closing quote.
 */
static gboolean
quoted_is_sjis(const char *p, const char *end)
{
	const char *q;
	gboolean eight = FALSE;

	for (q = p + 1; q < end && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < end)
			q++;
		eight |= (guchar)*q >= 0x80;
	}
	return eight && !g_utf8_validate_len(p + 1, q - (p + 1), NULL);
}

/* Read a quoted string at p ('"'), undoing quoted pairs (see
 * quoted_is_sjis for raw Shift_JIS). */
static const char *
read_quoted(const char *p, const char *end, GString *val)
{
	gboolean sjis = quoted_is_sjis(p, end);
	gboolean trail = FALSE; /* this byte ends a Shift_JIS character */

	for (p++; p < end && *p != '"'; p++) {
		if (trail)
			trail = FALSE;
		else if (sjis && is_sjis_lead_byte((guchar)*p))
			trail = TRUE;
		else if (*p == '\\' && p + 1 < end)
			p++;
		if (val->len < PARAM_MAX)
			g_string_append_c(val, *p);
	}
	return p < end ? p + 1 : end;
}

/* Move to the next ';' that is outside quotes and comments. */
static const char *
skip_to_semicolon(const char *p, const char *end)
{
	g_autoptr(GString) sink = g_string_new(NULL);

	while (p < end && *p != ';') {
		if (*p == '"') {
			p = read_quoted(p, end, sink);
			g_string_truncate(sink, 0);
		} else if (*p == '(')
			p = skip_comment(p, end);
		else
			p++;
	}
	return p;
}

/*
 * Read an unquoted value: it runs to the next ';', but a ';' inside an
 * encoded word does not end it (name==?Shift_JIS?B?...?= is common).
 * Blanks around it, and a trailing comment after a blank, are dropped.
 */
static const char *
read_token_value(
    const char *p, const char *end, struct ew_cache *cache, GString *val)
{
	const char *start = p, *stop;
	struct ew w;

	while (p < end && *p != ';') {
		if (*p == '=' && ew_parse(p, end, cache, &w))
			p = w.end;
		else
			p++;
	}
	stop = p;
	while (stop > start && is_wsp(stop[-1]))
		stop--;
	if (stop > start && stop[-1] == ')') {
		const char *open = memchr(start, '(', stop - start);

		if (open != NULL && open > start && is_wsp(open[-1]) &&
		    skip_comment(open, stop) == stop) {
			stop = open;
			while (stop > start && is_wsp(stop[-1]))
				stop--;
		}
	}
	g_string_append_len(val, start, MIN((gsize)(stop - start), PARAM_MAX));
	return p;
}

struct segment {
	guint idx;
	gboolean ext;
	GString *val;
};

struct param {
	const char *name;
	gsize name_len;
	GString *plain;   /* name= */
	GString *ext;     /* name*= */
	GArray *segments; /* name*N= and name*N*= */
	gsize seg_bytes;
};

static void
segment_clear(gpointer data)
{
	struct segment *s = data;

	g_string_free(s->val, TRUE);
}

/*
 * Which slot an attribute fills: the plain value, the extended value, a
 * segment (RFC 2231 §3: name*N or name*N*, N decimal), or none.
 */
static void
param_store(struct param *pm, const char *a, gsize alen, GString *val)
{
	struct segment seg;
	gsize i;
	guint idx = 0;

	if (alen < pm->name_len ||
	    g_ascii_strncasecmp(a, pm->name, pm->name_len) != 0)
		return;
	a += pm->name_len;
	alen -= pm->name_len;
	if (alen == 0) {
		if (pm->plain == NULL)
			pm->plain = g_string_new_len(val->str, val->len);
		return;
	}
	if (a[0] != '*')
		return;
	if (alen == 1) {
		if (pm->ext == NULL)
			pm->ext = g_string_new_len(val->str, val->len);
		return;
	}
	seg.ext = a[alen - 1] == '*';
	if (seg.ext)
		alen--;
	if (alen < 2 || alen > 4)
		return; /* no digits, or an index of 1000 or more */
	for (i = 1; i < alen; i++) {
		if (!g_ascii_isdigit(a[i]))
			return;
		idx = idx * 10 + (a[i] - '0');
	}
	if (pm->segments->len >= MAX_SEGMENTS || pm->seg_bytes >= PARAM_MAX)
		return;
	seg.idx = idx;
	seg.val = g_string_new_len(
	    val->str, MIN(val->len, PARAM_MAX - pm->seg_bytes));
	pm->seg_bytes += seg.val->len;
	g_array_append_val(pm->segments, seg);
}

static void
param_parse(struct param *pm, const char *s, const char *end)
{
	g_autoptr(GString) val = g_string_new(NULL);
	struct ew_cache cache = {NULL, NULL};
	const char *p = s, *a, *ae;

	/*
	 * The value opens with a type or disposition; a broken header may
	 * start right with a parameter, which we then read as one.
	 */
	a = p = skip_cfws(p, end);
	while (p < end && !is_wsp(*p) && strchr(";=(\"", *p) == NULL)
		p++;
	p = skip_cfws(p, end);
	if (p < end && *p == '=')
		p = a;
	else
		p = skip_to_semicolon(p, end);
	while (p < end) {
		if (*p == ';')
			p++;
		p = skip_cfws(p, end);
		a = p;
		while (p < end && !is_wsp(*p) && strchr(";=(\"", *p) == NULL)
			p++;
		ae = p;
		p = skip_cfws(p, end);
		if (p >= end || *p != '=' || a == ae) {
			p = skip_to_semicolon(p, end);
			continue;
		}
		p = skip_cfws(p + 1, end);
		g_string_truncate(val, 0);
		if (p < end && *p == '"') {
			p = read_quoted(p, end, val);
			p = skip_to_semicolon(p, end);
		} else
			p = read_token_value(p, end, &cache, val);
		param_store(pm, a, ae - a, val);
	}
}

static int
segment_cmp(gconstpointer a, gconstpointer b)
{
	const struct segment *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* RFC 2231 §4: %XX; a stray '%' stays as is. */
static void
pct_decode(const char *s, gsize len, GByteArray *out)
{
	guint8 byte;
	gsize i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) &&
		    g_ascii_isxdigit(s[i + 2])) {
			byte = g_ascii_xdigit_value(s[i + 1]) * 16 +
			       g_ascii_xdigit_value(s[i + 2]);
			i += 2;
		} else
			byte = (guint8)s[i];
		g_byte_array_append(out, &byte, 1);
	}
}

/*
 * Split charset'language'value (RFC 2231 §4).  Without both quotes the
 * value is not really extended: *cs_r is NULL and all of it is the value.
 */
static const char *
split_ext(const char *s, gsize len, char **cs_r)
{
	const char *q1, *q2;

	*cs_r = NULL;
	q1 = memchr(s, '\'', len);
	if (q1 == NULL)
		return s;
	q2 = memchr(q1 + 1, '\'', len - (q1 + 1 - s));
	if (q2 == NULL)
		return s;
	*cs_r = g_strndup(s, q1 - s);
	return q2 + 1;
}

/*
 * Turn decoded bytes into UTF-8: with a charset from RFC 2231, convert;
 * without one, they may hold encoded words (mailers put RFC 2047 into
 * RFC 2231 segments) or raw 8-bit text, which mg_header_decode handles.
 */
static char *
bytes_to_utf8(const char *cs, GByteArray *b)
{
	char *res;
	gsize i, n = 0;

	if (cs != NULL && *cs != '\0')
		return mg_charset_to_utf8(
		    cs, (const char *)b->data, b->len, NULL, NULL);
	for (i = 0; i < b->len; i++)
		if (b->data[i] != '\0')
			b->data[n++] = b->data[i];
	g_byte_array_set_size(b, n);
	res = decode_len((const char *)b->data, b->len);
	return res;
}

static char *
param_value(struct param *pm)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autofree char *cs = NULL;
	struct segment *seg;
	const char *v;
	gsize i;
	guint last = G_MAXUINT;

	/* RFC 2231 wins over the plain form, as mailers send both. */
	if (pm->ext != NULL) {
		v = split_ext(pm->ext->str, pm->ext->len, &cs);
		pct_decode(v, pm->ext->len - (v - pm->ext->str), b);
		return bytes_to_utf8(cs, b);
	}
	if (pm->segments->len > 0) {
		g_array_sort(pm->segments, segment_cmp);
		for (i = 0; i < pm->segments->len; i++) {
			seg = &g_array_index(pm->segments, struct segment, i);
			if (seg->idx == last)
				continue; /* a duplicate: the first wins */
			last = seg->idx;
			if (!seg->ext) {
				g_byte_array_append(
				    b, (guint8 *)seg->val->str, seg->val->len);
				continue;
			}
			v = seg->val->str;
			/* Only segment 0 names the charset (§4.1). */
			if (seg->idx == 0)
				v = split_ext(
				    seg->val->str, seg->val->len, &cs);
			pct_decode(v, seg->val->len - (v - seg->val->str), b);
		}
		return bytes_to_utf8(cs, b);
	}
	if (pm->plain != NULL)
		return decode_len(pm->plain->str, pm->plain->len);
	return NULL;
}

char *
mg_header_param(const char *raw_value, const char *name)
{
	g_autoptr(GString) u = NULL;
	struct param pm;
	char *res;

	if (raw_value == NULL || name == NULL || *name == '\0')
		return NULL;
	u = unfold(raw_value, strlen(raw_value));
	memset(&pm, 0, sizeof(pm));
	pm.name = name;
	pm.name_len = strlen(name);
	pm.segments = g_array_new(FALSE, FALSE, sizeof(struct segment));
	g_array_set_clear_func(pm.segments, segment_clear);
	param_parse(&pm, u->str, u->str + u->len);
	res = param_value(&pm);
	if (pm.plain != NULL)
		g_string_free(pm.plain, TRUE);
	if (pm.ext != NULL)
		g_string_free(pm.ext, TRUE);
	g_array_unref(pm.segments);
	return res;
}

char *
mg_header_filename(const char *raw_disposition, const char *raw_type)
{
	char *name;

	name = mg_header_param(raw_disposition, "filename");
	if (name != NULL && *name != '\0')
		return name;
	g_free(name);
	name = mg_header_param(raw_type, "name");
	if (name != NULL && *name != '\0')
		return name;
	g_free(name);
	return NULL;
}

/*
 * A byte that may not appear as is in a header we write: 8-bit, controls
 * (a CR or LF would start a new header), and "=?", which a reader would
 * take for the start of an encoded word.
 */
static gboolean
unsafe_at(const char *s, gsize i)
{
	guchar ch = s[i];

	if (ch >= 0x7f || (ch < 0x20 && ch != '\t'))
		return TRUE;
	if (ch == '=' && s[i + 1] == '?')
		return TRUE;
	if (ch == '?' && i > 0 && s[i - 1] == '=')
		return TRUE;
	return FALSE;
}

/* Characters on the last line of what we have written. */
static gsize
line_len(const GString *out)
{
	const char *nl = g_strrstr_len(out->str, out->len, "\n");

	return nl == NULL ? out->len : out->len - (nl + 1 - out->str);
}

char *
mg_header_encode(const char *utf8)
{
	g_autofree char *valid = NULL;
	g_autoptr(GString) out = NULL;
	g_autofree char *b64 = NULL;
	const char *s, *p, *chunk, *next;
	gsize len, i, first = G_MAXSIZE, last = 0, ps, se;

	if (utf8 == NULL)
		return NULL;
	valid = g_utf8_make_valid(utf8, -1);
	s = valid;
	len = strlen(s);
	for (i = 0; i < len; i++) {
		if (unsafe_at(s, i)) {
			if (first == G_MAXSIZE)
				first = i;
			last = i + 1;
		}
	}
	if (first == G_MAXSIZE)
		return g_strdup(s);

	/*
	 * Keep the plain words around the text that needs encoding as
	 * they are; encode from the blank before the first unsafe byte to
	 * the blank after the last.  RFC 2047 §5(1): an encoded word is
	 * separated from text by whitespace, which the reader keeps.
	 */
	for (ps = first; ps > 0 && !is_wsp(s[ps - 1]); ps--)
		;
	for (se = last; se < len && !is_wsp(s[se]); se++)
		;
	out = g_string_sized_new(len * 2 + 16);
	g_string_append_len(out, s, ps);
	for (chunk = p = s + ps; p < s + se; chunk = p) {
		/* Whole characters only, at most ENCODE_CHUNK bytes. */
		while (p < s + se) {
			next = g_utf8_next_char(p);
			if (next - chunk > ENCODE_CHUNK && p > chunk)
				break;
			p = next;
		}
		b64 = g_base64_encode((const guchar *)chunk, p - chunk);
		if (chunk != s + ps)
			g_string_append(out, "\n ");
		else if (ps > 0 && line_len(out) + strlen(b64) + EW_OVERHEAD >
		                       EW_LINE_MAX) {
			/* Fold before the blank that ends the plain words. */
			g_string_insert_c(out, out->len - 1, '\n');
		}
		g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
		g_clear_pointer(&b64, g_free);
	}
	if (se < len && line_len(out) + (len - se) > EW_LINE_MAX)
		g_string_append_c(
		    out, '\n'); /* the suffix opens with a blank */
	g_string_append(out, s + se);
	return g_string_free(g_steal_pointer(&out), FALSE);
}
