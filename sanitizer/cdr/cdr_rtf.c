/*
 * cdr_rtf.c - CDR for RTF: a group-aware tokenizer copies the document
 * through, token by token, without its active content.
 *
 * Input: the bytes of an RTF file (untrusted).  No library parses RTF, so
 * this file reads it as the RTF 1.9.1 specification describes it (groups,
 * control words \wordN with an optional delimiter space, control symbols,
 * \'hh, \binN followed by N raw bytes) and as Microsoft Word is known to
 * read it (control words in [A-Za-z], \' swallowing any two bytes,
 * destination words honoured anywhere in a group, not only after "{").
 *
 * What goes:
 *  - every group holding an OLE object word (\object, \objdata, \objclass,
 *    \objupdate, \objemb, \objautlink, \objocx, ...), except the \result
 *    group of an \object, whose content (usually the preview \pict) stays;
 *  - \datastore, \fontemb and \fontfile groups (embedded files);
 *  - \template (an attached, often remote, template);
 *  - \mailmerge and its connection strings (external data connections);
 *  - \ffentrymcr and \ffexitmcr (form-field macros run on entry or exit);
 *  - fields whose instruction starts with DDE, DDEAUTO, INCLUDETEXT,
 *    INCLUDEPICTURE, INCLUDE, IMPORT or LINK; fields whose keyword cannot
 *    be read for sure (computed by a nested field, the QUOTE trick that
 *    hides DDE; broken by a destination group, \uN, \upr or a tracked
 *    deletion; two instructions in one field), reported as DDE; and
 *    HYPERLINK fields unless links are kept and every target is a plain
 *    http, https or mailto URL: the field is replaced by its \fldrslt
 *    content, so the text the reader saw stays;
 *  - \bin data: in a \pict it is written again as hex (the same picture),
 *    elsewhere it is dropped; either way no \bin is left to be read
 *    differently by another parser;
 *  - anything after the document group, unless it is only white space.
 * A forbidden word directly in the document group takes the rest of that
 * group with it (Word reads the rest into that destination).
 *
 * The output is canonical: no \bin, no malformed \', braces balanced (an
 * unbalanced document is closed at the end, as Word does), and the
 * rebuilt bytes are run through the same filter a second time, which
 * must find nothing to remove and give the same bytes; otherwise the
 * file is refused.  Nothing removed and nothing changed: VERIFIED.
 *
 * Limits: input and output bytes (limits->max_part_size), group nesting
 * (RTF_MAX_DEPTH), tokens (RTF_MAX_TOKENS), the length of a control word
 * (RTF_MAX_WORD) and \bin lengths (not negative, not past the end).
 * Pictures stay as they are (they are not handed to ctx->nested).
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <string.h>

#include "cdr/mg_cdr.h"

/* Exploit RTFs (Equation Editor droppers among them) pad with deep
 * nesting to confuse analysers; real documents stay well under a hundred
 * levels, and Word's own limit is far below this. */
#define RTF_MAX_DEPTH 1000
/* Bounds the work on a file of max_part_size bytes made of tiny tokens. */
#define RTF_MAX_TOKENS (32u * 1024 * 1024)
/* Word reads at most about 250 characters of a control word and its
 * parameter (rtfobj's measurements); longer ones are malformed. */
#define RTF_MAX_WORD 250
/* Bytes of a field instruction kept for the keyword and link checks. */
#define RTF_MAX_INSTR 4096
/* \bin data written again as hex: bytes per line. */
#define RTF_HEX_LINE 64

enum tok_type {
	T_EOF,
	T_OPEN,
	T_CLOSE,
	T_WORD,
	T_SYMBOL,
	T_HEX,
	T_BAD, /* \' without two hex digits, or a final lone backslash */
	T_TEXT,
	T_BIN, /* the raw bytes after \binN */
};

struct tok {
	enum tok_type type;
	gsize start, len; /* the raw bytes in the input */
	const guint8 *name;
	gsize name_len;
	gboolean has_param;
	gint64 param;
	guint8 sym;  /* T_SYMBOL */
	guint8 byte; /* T_HEX */
};

enum gmode {
	G_EMIT,    /* copied to the output */
	G_DROP,    /* left out with everything inside */
	G_OBJECT,  /* an \object: left out but for its \result group */
	G_NEUTER,  /* a field left out but for its \fldrslt group */
	G_PENDING, /* child of G_OBJECT/G_NEUTER: the result, or dropped */
	G_REST,    /* document group after a forbidden word: rest dropped */
};

#define GF_FIELD 0x1
#define GF_FLDINST 0x2
#define GF_PICT 0x4
#define GF_HAS_INSTR 0x8 /* a field that has had its \fldinst */

/*
 * The text of a field instruction: plain text, \'hh and the character
 * symbols; control words are formatting and add nothing.  Where readers
 * may differ (\uN and the fallback characters it makes them skip, \upr,
 * destination groups, nested fields, tracked deletions), the keyword is
 * not guessed: met before the keyword is complete, they make the field
 * suspect (early_field).
 */
struct instr {
	GString *s;
	gboolean overflow;
	gboolean early_field; /* the keyword cannot be known */
	gboolean any_field;   /* a nested field anywhere */
	gboolean unicode;     /* a \uN anywhere */
	gsize out_at;         /* output length before the \fldinst word */
	gboolean bare_at;     /* the output ended in a bare word there */
};

struct group {
	enum gmode mode;
	guint flags;
	gsize out_start;      /* where this group's "{" is in the output */
	gboolean bare_before; /* the output ended in a bare control word */
	const char *want;     /* G_PENDING: the word that keeps it */
	gboolean started;     /* its first token (after "\*") was seen */
	gboolean star_first;  /* it opened with "\*" */
	gboolean in_dest;     /* inside a destination: not instruction text */
	int instr;            /* index of the collecting \fldinst group */
	struct instr *ins;    /* on a \fldinst group */
	int mark_instr;       /* the collecting group when this one opened */
	gsize mark_len;       /* and the length of its text then */
};

struct rtf {
	const guint8 *in;
	gsize len, pos;
	gboolean bin_pending;
	gsize bin_len;
	GString *out;
	GArray *stack;  /* struct group */
	gsize bare_end; /* out->len just after a bare control word */
	gsize star_at;  /* out->len before the last "\*" written */
	gsize star_end; /* out->len just after it */
	guint64 tokens;
	gboolean root_closed;
	gboolean keep_links;
	struct mg_cdr_result *res; /* removal ids go here */
	enum mg_reason reason;
	char *detail;
};

static const struct {
	const char *word;
	const char *id;
	gboolean object;
} forbidden[] = {
    /* OLE objects (RTF 1.9.1 "Objects"); outside an \object group these
       words only appear in obfuscated exploit documents. */
    {"object", MG_CDR_RM_OLE, TRUE},
    {"objdata", MG_CDR_RM_OLE, FALSE},
    {"objclass", MG_CDR_RM_OLE, FALSE},
    {"objupdate", MG_CDR_RM_OLE, FALSE},
    {"objalias", MG_CDR_RM_OLE, FALSE},
    {"objsect", MG_CDR_RM_OLE, FALSE},
    {"objname", MG_CDR_RM_OLE, FALSE},
    {"objtime", MG_CDR_RM_OLE, FALSE},
    {"objemb", MG_CDR_RM_OLE, FALSE},
    {"objlink", MG_CDR_RM_OLE, FALSE},
    {"objautlink", MG_CDR_RM_OLE, FALSE},
    {"objsub", MG_CDR_RM_OLE, FALSE},
    {"objpub", MG_CDR_RM_OLE, FALSE},
    {"objicemb", MG_CDR_RM_OLE, FALSE},
    {"objhtml", MG_CDR_RM_OLE, FALSE},
    {"objocx", MG_CDR_RM_OLE, FALSE},
    {"oleclsid", MG_CDR_RM_OLE, FALSE},
    /* Embedded files: the XML data store, embedded fonts. */
    {"datastore", MG_CDR_RM_EMBEDDED, FALSE},
    {"fontemb", MG_CDR_RM_EMBEDDED, FALSE},
    {"fontfile", MG_CDR_RM_EMBEDDED, FALSE},
    /* Attached template: loaded when the document opens. */
    {"template", MG_CDR_RM_TEMPLATE, FALSE},
    /* Mail merge: connects to an external data source on open. */
    {"mailmerge", MG_CDR_RM_DATACONN, FALSE},
    {"mmconnectstr", MG_CDR_RM_DATACONN, FALSE},
    {"mmconnectstrdata", MG_CDR_RM_DATACONN, FALSE},
    {"mmdatasource", MG_CDR_RM_DATACONN, FALSE},
    {"mmheadersource", MG_CDR_RM_DATACONN, FALSE},
    {"mmquery", MG_CDR_RM_DATACONN, FALSE},
    {"mmodsoudl", MG_CDR_RM_DATACONN, FALSE},
    {"mmodsoudldata", MG_CDR_RM_DATACONN, FALSE},
    /* Form-field macros, run on entering or leaving the field. */
    {"ffentrymcr", MG_CDR_RM_AUTOACTION, FALSE},
    {"ffexitmcr", MG_CDR_RM_AUTOACTION, FALSE},
};

/*
 * Does control word `name` mean `w`?  The specification says control
 * words are lowercase; Word reads [A-Za-z].  Both readings must find a
 * word we look for, so match the whole name case-insensitively, or its
 * leading run of lowercase letters ("\objdataX" is \objdata followed by
 * the text "X" for a reader that stops at the uppercase letter).
 */
static gboolean
word_is(const struct tok *t, const char *w)
{
	gsize wl = strlen(w), k;

	if (t->name_len == wl &&
	    g_ascii_strncasecmp((const char *)t->name, w, wl) == 0)
		return TRUE;
	for (k = 0; k < t->name_len && t->name[k] >= 'a' && t->name[k] <= 'z';
	     k++)
		;
	return k == wl && k < t->name_len && memcmp(t->name, w, wl) == 0;
}

static gboolean
word_eq(const struct tok *t, const char *w)
{
	gsize wl = strlen(w);

	return t->name_len == wl && memcmp(t->name, w, wl) == 0;
}

static gboolean
fail(struct rtf *st, enum mg_reason reason, char *detail)
{
	st->reason = reason;
	g_free(st->detail);
	st->detail = detail;
	return FALSE;
}

static gboolean
is_hex(guint8 c)
{
	return g_ascii_isxdigit(c);
}

static guint8
hex_val(guint8 c)
{
	return (guint8)g_ascii_xdigit_value(c);
}

/* A control word or symbol at st->pos (a backslash). */
static gboolean
lex_control(struct rtf *st, struct tok *t)
{
	const guint8 *p = st->in;
	gsize n = st->len, i = st->pos + 1, j;
	gboolean neg = FALSE, big = FALSE;
	gint64 v = 0;

	if (i >= n) {
		t->type = T_BAD;
		t->len = 1;
		return TRUE;
	}
	if (g_ascii_isalpha(p[i])) {
		for (j = i; j < n && g_ascii_isalpha(p[j]); j++)
			;
		t->type = T_WORD;
		t->name = p + i;
		t->name_len = j - i;
		/* "\word-" without a digit: the "-" is text. */
		if (j + 1 < n && p[j] == '-' && g_ascii_isdigit(p[j + 1])) {
			neg = TRUE;
			j++;
		}
		if (j < n && g_ascii_isdigit(p[j])) {
			t->has_param = TRUE;
			for (; j < n && g_ascii_isdigit(p[j]); j++) {
				if (v > G_GINT64_CONSTANT(100000000000000))
					big = TRUE;
				else
					v = v * 10 + (p[j] - '0');
			}
		}
		if (j - i > RTF_MAX_WORD)
			return fail(st, MG_REASON_CDR_FAILED,
			    g_strdup_printf(
			        "malformed RTF: control word of "
			        "%" G_GSIZE_FORMAT
			        " characters at offset %" G_GSIZE_FORMAT,
			        j - i, st->pos));
		/* RTF 1.9.1: a space after a control word is its delimiter
		 * and part of it. */
		if (j < n && p[j] == ' ')
			j++;
		t->param = neg ? -v : v;
		t->len = j - st->pos;
		if (word_eq(t, "bin")) {
			/* \binN: N raw bytes follow.  Word reads a missing N
			 * as 0; a negative or impossible N is an attack on
			 * the parser. */
			if (neg && v != 0)
				return fail(st, MG_REASON_CDR_FAILED,
				    g_strdup("malformed RTF: negative \\bin "
				             "length"));
			if (big || (guint64)v > n - j)
				return fail(st, MG_REASON_CDR_FAILED,
				    g_strdup("malformed RTF: \\bin length "
				             "beyond the end of the file"));
			st->bin_pending = TRUE;
			st->bin_len = t->has_param ? (gsize)v : 0;
		}
		return TRUE;
	}
	if (p[i] == '\'') {
		/* Word takes the next two bytes whatever they are. */
		if (i + 2 < n && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
			t->type = T_HEX;
			t->byte = (guint8)(hex_val(p[i + 1]) << 4 |
			                   hex_val(p[i + 2]));
			t->len = 4;
		} else {
			t->type = T_BAD;
			t->len = MIN(4, n - st->pos);
		}
		return TRUE;
	}
	t->type = T_SYMBOL;
	t->sym = p[i];
	t->len = 2;
	return TRUE;
}

static gboolean
lex(struct rtf *st, struct tok *t)
{
	const guint8 *p = st->in;
	gsize n = st->len, j;

	memset(t, 0, sizeof(*t));
	t->start = st->pos;
	if (st->bin_pending) {
		st->bin_pending = FALSE;
		t->type = T_BIN;
		t->len = st->bin_len;
	} else if (st->pos >= n) {
		t->type = T_EOF;
		return TRUE;
	} else if (p[st->pos] == '{') {
		t->type = T_OPEN;
		t->len = 1;
	} else if (p[st->pos] == '}') {
		t->type = T_CLOSE;
		t->len = 1;
	} else if (p[st->pos] == '\\') {
		if (!lex_control(st, t))
			return FALSE;
	} else {
		for (j = st->pos;
		     j < n && p[j] != '{' && p[j] != '}' && p[j] != '\\'; j++)
			;
		t->type = T_TEXT;
		t->len = j - st->pos;
	}
	st->pos += t->len;
	return TRUE;
}

static struct group *
top(struct rtf *st)
{
	return &g_array_index(st->stack, struct group, st->stack->len - 1);
}

static struct group *
at(struct rtf *st, int i)
{
	return &g_array_index(st->stack, struct group, i);
}

static void
emit(struct rtf *st, const void *p, gsize len)
{
	g_string_append_len(st->out, p, len);
}

static void
truncate_to(struct rtf *st, gsize pos, gboolean bare)
{
	g_string_truncate(st->out, pos);
	st->bare_end = bare ? pos : G_MAXSIZE;
	/* The output only grows between truncations: after one, a length
	 * equal to star_end no longer means "\*" was the last thing. */
	st->star_end = G_MAXSIZE;
}

/*
 * Something was left out of the output here.  If the output ends in a
 * control word without its delimiter, write the delimiter now: whatever
 * comes next must not run into the word ("\b" + "old" is not "\bold",
 * "\f2" + "-8" is not "\f2-8"), so that the rebuilt file reads as it was
 * written.
 */
static void
left_out(struct rtf *st)
{
	if (st->out->len == st->bare_end) {
		g_string_append_c(st->out, ' ');
		st->bare_end = G_MAXSIZE;
	}
}

/* Take group g's output back out.  Instruction text it gave goes with it:
 * the instruction is judged on what the output holds. */
static void
unwrite_group(struct rtf *st, struct group *g)
{
	GString *s;

	truncate_to(st, g->out_start, g->bare_before);
	left_out(st);
	if (g->mark_instr >= 0) {
		s = at(st, g->mark_instr)->ins->s;
		if (s->len > g->mark_len)
			g_string_truncate(s, g->mark_len);
	}
}

static void
instr_free(struct instr *ins)
{
	if (ins == NULL)
		return;
	g_string_free(ins->s, TRUE);
	g_free(ins);
}

/* Collect one character of a field instruction.  Leading characters
 * other than letters are not kept: the keyword is the first run of
 * letters, however much space or punctuation comes before it. */
static void
ins_put(struct instr *ins, guint8 c)
{
	GString *s = ins->s;

	if (s->len == 0 && !g_ascii_isalpha(c))
		return;
	if (s->len >= RTF_MAX_INSTR) {
		ins->overflow = TRUE;
		return;
	}
	g_string_append_c(s, (char)c);
}

/* A character of instruction text in group g. */
static void
ins_char(struct rtf *st, struct group *g, guint8 c)
{
	if (g->instr < 0 || g->in_dest)
		return;
	ins_put(at(st, g->instr)->ins, c);
}

static void
ins_text(struct rtf *st, struct group *g, const guint8 *p, gsize len)
{
	gsize i;

	if (g->instr < 0 || g->in_dest)
		return;
	for (i = 0; i < len; i++) {
		/* RTF 1.9.1: CR and LF in text are ignored. */
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		ins_char(st, g, p[i]);
		if (at(st, g->instr)->ins->overflow)
			break;
	}
}

static gboolean
has_prefix_ci(const char *s, gsize len, const char *prefix)
{
	gsize pl = strlen(prefix);

	return len >= pl && g_ascii_strncasecmp(s, prefix, pl) == 0;
}

/*
 * The arguments of a HYPERLINK field: every target must be an http,
 * https or mailto URL.  \l, \o and \t take an argument (a bookmark, a
 * tooltip, a frame) that is not a target; other switches take none.
 */
static gboolean
link_targets_ok(const char *s, gsize n)
{
	gboolean skip_next = FALSE;
	gsize i = 0, j, tl;
	const char *tk;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n)
			break;
		if (s[i] == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++)
				;
			tk = s + i + 1;
			tl = j - i - 1;
			i = j < n ? j + 1 : n;
		} else {
			for (j = i; j < n && s[j] != ' ' && s[j] != '\t'; j++)
				;
			tk = s + i;
			tl = j - i;
			i = j;
		}
		if (skip_next) {
			skip_next = FALSE;
			continue;
		}
		if (tl >= 1 && tk[0] == '\\') {
			/* Only a bare switch takes the next token. */
			if (tl == 2 && strchr("lotLOT", tk[1]) != NULL)
				skip_next = TRUE;
			continue;
		}
		if (!has_prefix_ci(tk, tl, "http://") &&
		    !has_prefix_ci(tk, tl, "https://") &&
		    !has_prefix_ci(tk, tl, "mailto:"))
			return FALSE;
	}
	return TRUE;
}

/* The removal id for an instruction, or NULL. */
static const char *
keyword_danger(const struct rtf *st, const struct instr *ins)
{
	static const struct {
		const char *kw, *id;
	} bad[] = {
	    {"DDE", MG_CDR_RM_DDE},
	    {"DDEAUTO", MG_CDR_RM_DDE},
	    {"INCLUDETEXT", MG_CDR_RM_FIELDS},
	    {"INCLUDEPICTURE", MG_CDR_RM_FIELDS},
	    {"INCLUDE", MG_CDR_RM_FIELDS},
	    {"IMPORT", MG_CDR_RM_FIELDS},
	    {"LINK", MG_CDR_RM_FIELDS},
	};
	const GString *s = ins->s;
	gsize n = 0, i;

	while (n < s->len && g_ascii_isalpha(s->str[n]))
		n++;
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		if (strlen(bad[i].kw) == n &&
		    g_ascii_strncasecmp(s->str, bad[i].kw, n) == 0)
			return bad[i].id;
	if (n == 9 && g_ascii_strncasecmp(s->str, "HYPERLINK", 9) == 0 &&
	    (!st->keep_links || ins->any_field || ins->overflow ||
	        ins->unicode || !link_targets_ok(s->str + n, s->len - n)))
		return MG_CDR_RM_LINKS;
	return NULL;
}

/* Has the instruction seen its whole keyword? */
static gboolean
kw_done(const struct instr *ins)
{
	const GString *s = ins->s;
	gsize i;

	for (i = 0; i < s->len; i++)
		if (!g_ascii_isalpha(s->str[i]))
			return TRUE;
	return FALSE;
}

/*
 * Something whose text Word may or may not count as instruction text (a
 * destination group, a nested field) opens inside an instruction: before
 * the keyword is complete, the keyword cannot be known.
 */
static void
ins_blind_spot(struct rtf *st, const struct group *g)
{
	struct instr *ins;

	if (g->instr < 0)
		return;
	ins = at(st, g->instr)->ins;
	if (!kw_done(ins))
		ins->early_field = TRUE;
}

static const char *
instr_verdict(const struct rtf *st, const struct instr *ins)
{
	/* A keyword built by a nested field (QUOTE, REF of a SET) or hidden
	 * around a destination group cannot be known here: that is how DDE
	 * fields are hidden. */
	if (ins->early_field)
		return MG_CDR_RM_DDE;
	return keyword_danger(st, ins);
}

/*
 * The \fldinst group on top of the stack is closing with a dangerous
 * instruction: the nearest field around it loses everything but its
 * result; with no field around it (or one already being dropped), the
 * instruction group alone goes.
 */
static void
neuter(struct rtf *st)
{
	int t = (int)st->stack->len - 1, f, i;
	struct group *g;

	for (f = t; f >= 0; f--)
		if (at(st, f)->flags & GF_FIELD)
			break;
	if (f < 0 || at(st, f)->mode != G_EMIT || f == 0) {
		g = top(st);
		if (t == 0) {
			/* The document group itself: only the instruction
			 * goes, its closing brace stays. */
			truncate_to(st, g->ins->out_at, g->ins->bare_at);
			left_out(st);
			return;
		}
		unwrite_group(st, g);
		g->mode = G_DROP;
		return;
	}
	g = at(st, f);
	unwrite_group(st, g);
	g->mode = G_NEUTER;
	for (i = f + 1; i <= t; i++)
		at(st, i)->mode = G_DROP;
}

static gboolean
open_group(struct rtf *st)
{
	struct group c = {0}, *parent;

	if (st->stack->len >= RTF_MAX_DEPTH)
		return fail(st, MG_REASON_TOO_DEEP,
		    g_strdup_printf(
		        "RTF groups nested deeper than %d", RTF_MAX_DEPTH));
	c.instr = -1;
	c.mark_instr = -1;
	if (st->stack->len == 0) {
		c.mode = G_EMIT;
	} else {
		parent = top(st);
		c.instr = parent->instr;
		c.in_dest = parent->in_dest;
		c.mark_instr = parent->instr;
		if (c.mark_instr >= 0)
			c.mark_len = at(st, c.mark_instr)->ins->s->len;
		switch (parent->mode) {
		case G_EMIT:
			c.mode = G_EMIT;
			break;
		case G_OBJECT:
			c.mode = G_PENDING;
			c.want = "result";
			break;
		case G_NEUTER:
			c.mode = G_PENDING;
			c.want = "fldrslt";
			break;
		case G_PENDING:
			/* A group first: not the result group. */
			parent->mode = G_DROP;
			c.mode = G_DROP;
			break;
		default:
			c.mode = G_DROP;
			break;
		}
	}
	if (c.mode == G_EMIT) {
		c.bare_before = st->out->len == st->bare_end;
		c.out_start = st->out->len;
		emit(st, "{", 1);
	}
	g_array_append_val(st->stack, c);
	return TRUE;
}

static void
close_group(struct rtf *st)
{
	struct group *g = top(st);
	const char *id;

	if ((g->mode == G_EMIT || g->mode == G_REST) &&
	    (g->flags & GF_FLDINST)) {
		id = instr_verdict(st, g->ins);
		if (id != NULL) {
			mg_cdr_result_removed(st->res, id);
			neuter(st);
			g = top(st);
		}
	}
	if (g->mode == G_EMIT || g->mode == G_REST)
		emit(st, "}", 1);
	instr_free(g->ins);
	g_array_set_size(st->stack, st->stack->len - 1);
	if (st->stack->len == 0)
		st->root_closed = TRUE;
}

static int
forbidden_index(const struct tok *t)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(forbidden); i++)
		if (word_is(t, forbidden[i].word))
			return (int)i;
	return -1;
}

/* A forbidden word in the group on top of the stack. */
static void
drop_here(struct rtf *st, int fi)
{
	struct group *g = top(st);

	if (g->mode != G_EMIT)
		return;
	if (st->stack->len == 1) {
		/* The document group: Word reads the rest of it into this
		 * destination.  A "\*" just before the word goes too. */
		if (st->star_end == st->out->len && st->star_at < st->star_end)
			truncate_to(st, st->star_at, FALSE);
		g->mode = G_REST;
		return;
	}
	unwrite_group(st, g);
	g->mode = forbidden[fi].object ? G_OBJECT : G_DROP;
}

/* Decide what a G_PENDING group is from its first token.  Returns TRUE
 * when the token is consumed by the decision. */
static gboolean
resolve_pending(struct rtf *st, struct group *g, const struct tok *t)
{
	gsize i;
	int k;

	switch (t->type) {
	case T_TEXT:
		for (i = 0; i < t->len; i++)
			if (strchr(" \t\r\n", st->in[t->start + i]) == NULL)
				break;
		if (i == t->len)
			return TRUE;
		break;
	case T_SYMBOL:
		if (t->sym == '*')
			return TRUE;
		break;
	case T_WORD:
		if (word_is(t, g->want)) {
			/* In the output this group replaces its parent, the
			 * object or field: it reads in the grandparent's
			 * context. */
			k = (int)st->stack->len - 3;
			g->instr = k >= 0 ? at(st, k)->instr : -1;
			g->in_dest = k >= 0 && at(st, k)->in_dest;
			g->mark_instr = g->instr;
			g->mark_len =
			    g->instr >= 0 ? at(st, g->instr)->ins->s->len : 0;
			g->mode = G_EMIT;
			g->bare_before = st->out->len == st->bare_end;
			g->out_start = st->out->len;
			emit(st, "{", 1);
			return TRUE;
		}
		break;
	default:
		break;
	}
	g->mode = G_DROP;
	return FALSE;
}

/* Control words that stand for a separator in an instruction. */
static gboolean
is_separator_word(const struct tok *t)
{
	static const char *const w[] = {"tab", "par", "line", "sect", "page",
	    "cell", "row", "nestcell", "emspace", "enspace", "qmspace"};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(w); i++)
		if (word_eq(t, w[i]))
			return TRUE;
	return FALSE;
}

static void
on_word(struct rtf *st, const struct tok *t)
{
	struct group *g = top(st);
	struct instr *ins;
	int fi = forbidden_index(t), f;

	if (fi >= 0) {
		mg_cdr_result_removed(st->res, forbidden[fi].id);
		drop_here(st, fi);
		return;
	}
	if (g->mode != G_EMIT)
		return;
	/* \binN: its data follows as T_BIN.  Spellings another reader
	 * could take for \bin ("\BIN", "\binX") are left out too. */
	if (word_is(t, "bin")) {
		left_out(st);
		return;
	}
	if (word_is(t, "field")) {
		g->flags |= GF_FIELD;
		if (g->instr >= 0) {
			at(st, g->instr)->ins->any_field = TRUE;
			ins_blind_spot(st, g);
		}
	} else if (word_is(t, "fldinst")) {
		if (!(g->flags & GF_FLDINST)) {
			/* An instruction inside an instruction. */
			ins_blind_spot(st, g);
			g->flags |= GF_FLDINST;
			g->ins = g_new0(struct instr, 1);
			g->ins->s = g_string_new(NULL);
			g->ins->out_at = st->out->len;
			g->ins->bare_at = st->out->len == st->bare_end;
			g->instr = (int)st->stack->len - 1;
			g->in_dest = FALSE;
			/* A second instruction in one field: joined or not,
			 * depending on the reader. */
			for (f = g->instr; f >= 0; f--)
				if (at(st, f)->flags & GF_FIELD)
					break;
			if (f >= 0 && (at(st, f)->flags & GF_HAS_INSTR))
				g->ins->early_field = TRUE;
			else if (f >= 0)
				at(st, f)->flags |= GF_HAS_INSTR;
		}
	} else if (word_is(t, "pict")) {
		g->flags |= GF_PICT;
	} else if (g->instr >= 0 && !g->in_dest) {
		ins = at(st, g->instr)->ins;
		if (word_eq(t, "u") || word_eq(t, "upr") || word_eq(t, "ud") ||
		    word_is(t, "deleted")) {
			/* Readers disagree on the characters \uN makes
			 * them skip; \upr and \ud hold two spellings of
			 * one text; deleted text may or may not count. */
			ins->unicode |= word_eq(t, "u");
			ins_blind_spot(st, g);
		} else if (is_separator_word(t)) {
			ins_put(ins, ' ');
		}
	}
	emit(st, st->in + t->start, t->len);
	if (st->in[t->start + t->len - 1] != ' ')
		st->bare_end = st->out->len;
}

/* Symbols that are characters of an instruction. */
static guint8
symbol_char(guint8 sym)
{
	switch (sym) {
	case '\\':
	case '{':
	case '}':
		return sym;
	case '~':
	case '\r':
	case '\n':
		return ' ';
	case '_':
		return '-';
	default:
		return 0;
	}
}

static void
on_text(struct rtf *st, const struct tok *t)
{
	const guint8 *p = st->in + t->start;

	emit(st, p, t->len);
	ins_text(st, top(st), p, t->len);
}

/* \bin data in a picture: the same bytes as hex, which every reader
 * takes for picture data (RTF 1.9.1 "Pictures"). */
static void
on_bin(struct rtf *st, const struct tok *t)
{
	static const char digits[] = "0123456789abcdef";
	const guint8 *p = st->in + t->start;
	gsize i, from = st->out->len;

	if (t->len == 0)
		return;
	if (!(top(st)->flags & GF_PICT)) {
		mg_cdr_result_removed(st->res, MG_CDR_RM_EMBEDDED);
		left_out(st);
		return;
	}
	for (i = 0; i < t->len; i++) {
		if (i % RTF_HEX_LINE == 0)
			g_string_append_c(st->out, '\n');
		g_string_append_c(st->out, digits[p[i] >> 4]);
		g_string_append_c(st->out, digits[p[i] & 0xf]);
	}
	g_string_append_c(st->out, '\n');
	/* Read again, the hex is text like any other. */
	ins_text(st, top(st), (const guint8 *)st->out->str + from,
	    st->out->len - from);
}

/*
 * Destinations (RTF 1.9.1 "Destinations"; the list oletools' rtfobj keeps
 * of Word's) whose text is not part of the text around them.  \ud and
 * \upr are left out on purpose: a Unicode reader takes the \ud text and
 * an older one the \upr text, so both count.
 */
static gboolean
is_destination(const struct tok *t)
{
	static const char *const w[] = {"annotation", "atnauthor", "atndate",
	    "atnid", "atnparent", "atnref", "atrfend", "atrfstart", "author",
	    "background", "bkmkend", "bkmkstart", "blipuid", "buptim",
	    "category", "colorschememapping", "colortbl", "comment", "company",
	    "creatim", "datafield", "defchp", "defpap", "do", "doccomm",
	    "docvar", "dptxbxtext", "falt", "fchars", "ffdeftext", "ffformat",
	    "ffhelptext", "ffl", "ffname", "ffstattext", "file", "filetbl",
	    "fldtype", "fonttbl", "footer", "footerf", "footerl", "footerr",
	    "footnote", "formfield", "ftncn", "ftnsep", "ftnsepc", "g",
	    "generator", "gridtbl", "header", "headerf", "headerl", "headerr",
	    "hl", "hlfr", "hlinkbase", "hlloc", "hlsrc", "hsv", "info",
	    "keywords", "latentstyles", "lchars", "levelnumbers", "leveltext",
	    "lfolevel", "linkval", "list", "listlevel", "listname",
	    "listoverride", "listoverridetable", "listpicture", "liststylename",
	    "listtable", "listtext", "lsdlockedexcept", "manager",
	    "nesttableprops", "nonesttables", "nonshppict", "oldcprops",
	    "oldpprops", "oldsprops", "oldtprops", "operator", "panose",
	    "password", "passwordhash", "pgdsctbl", "pgp", "pgptbl", "picprop",
	    "pict", "pn", "pnseclvl", "pntext", "pntxta", "pntxtb", "printim",
	    "propname", "protend", "protstart", "protusertbl", "pxe", "result",
	    "revtbl", "revtim", "rsidtbl", "rxe", "shp", "shpgrp", "shpinst",
	    "shppict", "shprslt", "shptxt", "sn", "sp", "staticval",
	    "stylesheet", "subject", "sv", "svb", "tc", "themedata", "title",
	    "txe", "userprops", "wgrffmtfilter", "windowcaption",
	    "writereservation", "writereservhash", "xe", "xform", "xmlattrname",
	    "xmlattrvalue", "xmlclose", "xmlname", "xmlnstbl", "xmlopen"};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(w); i++)
		if (word_is(t, w[i]))
			return TRUE;
	return FALSE;
}

/* The first token of a G_EMIT group: is it a destination? */
static void
classify_group(struct rtf *st, struct group *g, const struct tok *t)
{
	gboolean dest;

	if (t->type == T_SYMBOL && t->sym == '*' && !g->star_first) {
		g->star_first = TRUE;
		return;
	}
	g->started = TRUE;
	if (t->type == T_WORD)
		dest = is_destination(t) ||
		       (g->star_first && !word_is(t, "ud") &&
		           !word_is(t, "upr") && !word_is(t, "fldinst") &&
		           !word_is(t, "fldrslt") && !word_is(t, "field"));
	else
		dest = g->star_first;
	if (dest && !g->in_dest) {
		g->in_dest = TRUE;
		ins_blind_spot(st, g);
	}
}

static void
step(struct rtf *st, const struct tok *t)
{
	struct group *g = top(st);
	guint8 c;

	if (g->mode == G_PENDING && resolve_pending(st, g, t))
		return;
	/* What is left out of the output does not count as first: the
	 * rebuilt file must read the same. */
	if (g->mode == G_EMIT && !g->started && t->type != T_BAD &&
	    t->type != T_BIN && !(t->type == T_WORD && word_is(t, "bin")))
		classify_group(st, g, t);
	if (t->type == T_WORD) {
		on_word(st, t);
		return;
	}
	if (g->mode != G_EMIT)
		return;
	switch (t->type) {
	case T_SYMBOL:
		if (t->sym == '*')
			st->star_at = st->out->len;
		emit(st, st->in + t->start, t->len);
		if (t->sym == '*')
			st->star_end = st->out->len;
		c = symbol_char(t->sym);
		if (c != 0)
			ins_char(st, g, c);
		break;
	case T_HEX:
		emit(st, st->in + t->start, t->len);
		ins_char(st, g, t->byte);
		break;
	case T_TEXT:
		on_text(st, t);
		break;
	case T_BIN:
		on_bin(st, t);
		break;
	default: /* T_BAD */
		left_out(st);
		break;
	}
}

/* After the document group: white space stays, anything else goes. */
static void
trailing(struct rtf *st)
{
	gsize i;

	for (i = st->pos; i < st->len; i++)
		if (strchr(" \t\r\n", st->in[i]) == NULL && st->in[i] != '\0')
			break;
	if (i == st->len)
		emit(st, st->in + st->pos, st->len - st->pos);
	else
		mg_cdr_result_removed(st->res, MG_CDR_RM_TRAILING);
	st->pos = st->len;
}

/*
 * One pass of the filter over `in`.  Returns the new bytes, or NULL with
 * *reason_r and *detail_r set.  Removal ids are added to `res`.
 */
static GString *
filter(const guint8 *in, gsize len, gboolean keep_links,
    struct mg_cdr_result *res, enum mg_reason *reason_r, char **detail_r)
{
	struct rtf st = {0};
	struct tok t;
	gboolean ok = TRUE;
	guint i;

	st.in = in;
	st.len = len;
	st.keep_links = keep_links;
	st.res = res;
	st.out = g_string_sized_new(len + 16);
	st.stack = g_array_new(FALSE, TRUE, sizeof(struct group));
	st.bare_end = G_MAXSIZE;
	st.star_end = G_MAXSIZE;
	while (!st.root_closed) {
		if (!(ok = lex(&st, &t)))
			break;
		if (t.type == T_EOF)
			break;
		if (++st.tokens > RTF_MAX_TOKENS) {
			ok = fail(&st, MG_REASON_PART_TOO_LARGE,
			    g_strdup_printf(
			        "more than %u RTF tokens", RTF_MAX_TOKENS));
			break;
		}
		if (st.stack->len == 0 && t.type != T_OPEN) {
			/* Only the first token can meet an empty stack. */
			ok = fail(&st, MG_REASON_CDR_FAILED,
			    g_strdup("not an RTF document"));
			break;
		}
		if (t.type == T_OPEN)
			ok = open_group(&st);
		else if (t.type == T_CLOSE)
			close_group(&st);
		else
			step(&st, &t);
		if (!ok)
			break;
	}
	if (ok) {
		if (st.root_closed)
			trailing(&st);
		/* Unbalanced at the end: close what is open, as Word does. */
		while (st.stack->len > 0)
			close_group(&st);
	}
	for (i = 0; i < st.stack->len; i++)
		instr_free(at(&st, (int)i)->ins);
	g_array_unref(st.stack);
	if (!ok) {
		g_string_free(st.out, TRUE);
		*reason_r = st.reason;
		*detail_r = st.detail;
		return NULL;
	}
	return st.out;
}

static void
refuse(struct mg_cdr_result *out, enum mg_reason reason, char *detail)
{
	out->outcome = MG_CDR_REFUSED;
	out->reason = reason;
	g_free(out->detail);
	out->detail = detail;
	g_ptr_array_set_size(out->removed, 0);
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	/* Word opens anything that starts so as RTF, whatever its name. */
	if (len >= 5 && memcmp(data, "{\\rtf", 5) == 0)
		return 100;
	return 0;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	guint64 limit = ctx->limits->max_part_size != 0
	                    ? ctx->limits->max_part_size
	                    : MG_DEF_MAX_PART_SIZE;
	struct mg_cdr_result again;
	enum mg_reason reason = MG_REASON_NONE;
	char *detail = NULL;
	GString *o1, *o2;
	const guint8 *p;
	gsize len;
	gboolean same;

	p = g_bytes_get_data(in, &len);
	if (len > limit) {
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf("RTF of %" G_GSIZE_FORMAT " bytes", len));
		return MG_OK;
	}
	if (len < 5 || memcmp(p, "{\\rtf", 5) != 0) {
		refuse(
		    out, MG_REASON_CDR_FAILED, g_strdup("not an RTF document"));
		return MG_OK;
	}
	o1 = filter(p, len, ctx->keep_hyperlinks, out, &reason, &detail);
	if (o1 == NULL) {
		refuse(out, reason, detail);
		return MG_OK;
	}
	if (o1->len > limit) {
		g_string_free(o1, TRUE);
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup("rebuilt RTF over the part size limit"));
		return MG_OK;
	}
	/* The rebuilt file must read back as itself with nothing to remove:
	 * proof that the filter left nothing it would take out. */
	mg_cdr_result_init(&again);
	o2 = filter((const guint8 *)o1->str, o1->len, ctx->keep_hyperlinks,
	    &again, &reason, &detail);
	same = o2 != NULL && again.removed->len == 0 && o2->len == o1->len &&
	       memcmp(o2->str, o1->str, o1->len) == 0;
	mg_cdr_result_clear(&again);
	if (o2 != NULL)
		g_string_free(o2, TRUE);
	g_free(detail);
	if (!same) {
		g_string_free(o1, TRUE);
		refuse(out, MG_REASON_CDR_FAILED,
		    g_strdup("rebuilt RTF does not read back as itself"));
		return MG_OK;
	}
	if (out->removed->len == 0 && o1->len == len &&
	    memcmp(o1->str, p, len) == 0) {
		g_string_free(o1, TRUE);
		out->outcome = MG_CDR_VERIFIED;
		return MG_OK;
	}
	out->outcome = MG_CDR_REBUILT;
	out->data = g_string_free_to_bytes(o1);
	g_free(out->extension);
	out->extension = g_strdup("rtf");
	g_free(out->mime_type);
	out->mime_type = g_strdup("application/rtf");
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_rtf = {"rtf", bid, rebuild};
