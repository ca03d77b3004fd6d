/*
 * mg_html.c - render HTML mail bodies to readable plain text.
 *
 * Input: the decoded body of a text/html part (untrusted).  The caller has
 * converted it to UTF-8; invalid sequences and NUL bytes are replaced by
 * U+FFFD here once more so that libxml2 never switches to a guessed
 * encoding.  libxml2's HTML parser runs with its own context per call, no
 * network, no DTD and with the document's own <meta charset> ignored.
 *
 * Limits: libxml2 stops building the tree below 256 levels of nesting (its
 * xmlParserMaxDepth); we report that as MG_HTML_TRUNCATED, since the text
 * after that point is lost.  The walk is iterative (its stack lives on the
 * heap) and visits at most opts->max_nodes nodes; the text is cut at
 * opts->max_output bytes on a UTF-8 boundary; list and quote prefixes stop
 * growing after MAX_PREFIX_LEVELS levels; link text kept for comparison
 * with the target is capped at MAX_LINK_TEXT bytes.
 *
 * Rendering: see mg_html.h.  Choices made here: unordered list items use
 * "- " as their bullet (ASCII, and unambiguous next to Japanese text);
 * every nesting level indents by two spaces; a table row with two or more
 * cells and no nested table is one line with cells separated by " | " and
 * empty cells skipped, while rows of layout tables (one cell, or a nested
 * table inside) render their cells as blocks, as newsletters would
 * otherwise become one endless line.  Links to "#fragment" and to
 * javascript:, vbscript: and data: URLs are shown as their text only.
 *
 * The caller owns the returned strings.
 */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "text/mg_html.h"

#define DEF_MAX_NODES 200000
#define DEF_MAX_OUTPUT (8 * 1024 * 1024)
#define MAX_PREFIX_LEVELS 32
#define MAX_LINK_TEXT 4096
#define META_SCAN 4096
#define MAX_CHARSET_NAME 64

/* Marks an element that has a <table> among its descendants. */
#define HAS_TABLE ((void *)&has_table_mark)
static const char has_table_mark = 1;

enum kind {
	K_INLINE,
	K_DROP,
	K_BLOCK,
	K_PARA,
	K_A,
	K_BR,
	K_BUTTON,
	K_CELL,
	K_FORM,
	K_HR,
	K_IMG,
	K_INPUT,
	K_LI,
	K_OL,
	K_PRE,
	K_QUOTE,
	K_SELECT,
	K_TABLE,
	K_TEXTAREA,
	K_TR,
	K_UL,
};

struct elem {
	const char *name;
	enum kind kind;
};

/* Sorted by name for bsearch(). */
static const struct elem elems[] = {
    {"a", K_A},
    {"address", K_BLOCK},
    {"applet", K_DROP},
    {"area", K_DROP},
    {"article", K_BLOCK},
    {"aside", K_BLOCK},
    {"audio", K_DROP},
    {"base", K_DROP},
    {"basefont", K_DROP},
    {"blockquote", K_QUOTE},
    {"body", K_BLOCK},
    {"br", K_BR},
    {"button", K_BUTTON},
    {"canvas", K_DROP},
    {"caption", K_BLOCK},
    {"center", K_BLOCK},
    {"col", K_DROP},
    {"colgroup", K_DROP},
    {"datalist", K_DROP},
    {"dd", K_BLOCK},
    {"details", K_BLOCK},
    {"dialog", K_BLOCK},
    {"dir", K_UL},
    {"div", K_BLOCK},
    {"dl", K_BLOCK},
    {"dt", K_BLOCK},
    {"embed", K_DROP},
    {"fieldset", K_BLOCK},
    {"figcaption", K_BLOCK},
    {"figure", K_BLOCK},
    {"footer", K_BLOCK},
    {"form", K_FORM},
    {"frame", K_DROP},
    {"h1", K_PARA},
    {"h2", K_PARA},
    {"h3", K_PARA},
    {"h4", K_PARA},
    {"h5", K_PARA},
    {"h6", K_PARA},
    {"head", K_DROP},
    {"header", K_BLOCK},
    {"hgroup", K_BLOCK},
    {"hr", K_HR},
    {"html", K_BLOCK},
    {"iframe", K_DROP},
    {"img", K_IMG},
    {"input", K_INPUT},
    {"legend", K_BLOCK},
    {"li", K_LI},
    {"link", K_DROP},
    {"listing", K_PRE},
    {"main", K_BLOCK},
    {"map", K_DROP},
    {"math", K_DROP},
    {"menu", K_UL},
    {"meta", K_DROP},
    {"nav", K_BLOCK},
    {"noembed", K_DROP},
    {"noscript", K_DROP},
    {"object", K_DROP},
    {"ol", K_OL},
    {"optgroup", K_BLOCK},
    {"option", K_BLOCK},
    {"p", K_PARA},
    {"param", K_DROP},
    {"plaintext", K_PRE},
    {"pre", K_PRE},
    {"script", K_DROP},
    {"section", K_BLOCK},
    {"select", K_SELECT},
    {"source", K_DROP},
    {"style", K_DROP},
    {"summary", K_BLOCK},
    {"svg", K_DROP},
    {"table", K_TABLE},
    {"tbody", K_TABLE},
    {"td", K_CELL},
    {"template", K_DROP},
    {"textarea", K_TEXTAREA},
    {"tfoot", K_TABLE},
    {"th", K_CELL},
    {"thead", K_TABLE},
    {"title", K_DROP},
    {"tr", K_TR},
    {"track", K_DROP},
    {"ul", K_UL},
    {"video", K_DROP},
    {"xml", K_DROP},
    {"xmp", K_PRE},
};

/* One piece of the prefix written at the start of each line. */
struct seg {
	char first[24]; /* bullet for the first line of a list item */
	gboolean used;  /* the bullet has been written */
	gboolean quote; /* "> " on every line */
};

/* One open element, and what to undo when it closes. */
struct frame {
	enum kind kind;
	guint brk;         /* break to request when the element closes */
	gboolean seg;      /* pushed a prefix segment */
	gboolean pre;      /* raised r->pre */
	gboolean link;     /* this is the open link */
	gboolean row;      /* a table row rendered on one line */
	gboolean list;     /* counted in r->list_depth */
	const char *close; /* text attached when the element closes */
	long counter;      /* <ol>: number of the next item */
	int prev_list;     /* r->list before this element */
	int prev_li;       /* r->li before this element */
	int prev_row;      /* r->row before this element */
};

struct render {
	guint max_nodes;
	gsize max_output;
	gboolean link_list;
	GString *out;     /* finished lines, joined by "\n" */
	GString *cur;     /* the line being written, prefix included */
	gboolean started; /* cur holds a prefix and some text */
	guint cur_quote;  /* quote depth of cur */
	guint last_quote; /* quote depth of the last finished line */
	gboolean blank;   /* a blank line is due before the next line */
	guint brk;        /* 0 none, 1 line break, 2 blank line due */
	guint sp;         /* 0 none, 1 space, 2 " | " due before text */
	gboolean nosp;    /* no space right after an opening "[" */
	guint pre;        /* inside <pre>: whitespace is kept */
	guint collapse;   /* inside a one-line table row */
	guint quote;      /* quote segments on the stack */
	guint list_depth;
	GArray *segs;   /* struct seg */
	GArray *frames; /* struct frame */
	int list;       /* index of the innermost <ul>/<ol> frame, or -1 */
	int li;         /* index of the innermost <li> frame, or -1 */
	int row;        /* index of the innermost one-line <tr>, or -1 */
	gboolean in_link;
	char *href;     /* target of the open link, or NULL */
	GString *ltext; /* text of the open link */
	gboolean ltext_long;
	GHashTable *link_ids; /* href -> number */
	GPtrArray *links;     /* hrefs in number order */
	guint nodes;
	guint flags;
	gboolean stop;
};

static int
elem_cmp(const void *key, const void *member)
{
	return strcmp(key, ((const struct elem *)member)->name);
}

static enum kind
elem_kind(const xmlNode *n)
{
	const struct elem *e;

	if (n->name == NULL)
		return K_INLINE;
	e = bsearch(
	    n->name, elems, G_N_ELEMENTS(elems), sizeof(elems[0]), elem_cmp);
	return e != NULL ? e->kind : K_INLINE;
}

/*
 * The value of attribute `name`, or NULL when absent.  The HTML parser
 * decodes entities in attribute values, so the value is one text node.
 */
static const char *
attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->name == NULL ||
		    g_ascii_strcasecmp((const char *)a->name, name) != 0)
			continue;
		if (a->children == NULL)
			return "";
		if (a->children->type == XML_TEXT_NODE &&
		    a->children->content != NULL)
			return (const char *)a->children->content;
		return "";
	}
	return NULL;
}

static gboolean
is_html_space(guchar c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * `s` with ASCII whitespace runs collapsed to one space, trimmed, and
 * control characters removed; for attribute text shown inline.
 */
static char *
squeeze(const char *s)
{
	GString *g = g_string_new(NULL);
	gboolean sp = FALSE;

	for (; *s != '\0'; s++) {
		guchar c = (guchar)*s;

		if (is_html_space(c)) {
			sp = TRUE;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (sp && g->len > 0)
			g_string_append_c(g, ' ');
		sp = FALSE;
		g_string_append_c(g, (char)c);
	}
	return g_string_free(g, FALSE);
}

/*
 * Does an inline style hide the element?  Declarations are compared with
 * all whitespace removed and case folded, so "Display : NONE !important"
 * counts (CSS 2.1 section 4.1.3: keywords are case-insensitive).
 */
static gboolean
style_hides(const char *style)
{
	g_autoptr(GString) g = g_string_new(NULL);
	gchar **decls;
	gboolean hide = FALSE;
	guint i;

	for (; *style != '\0'; style++) {
		if (!is_html_space((guchar)*style))
			g_string_append_c(g, g_ascii_tolower(*style));
	}
	decls = g_strsplit(g->str, ";", -1);
	for (i = 0; decls[i] != NULL && !hide; i++) {
		const char *d = decls[i];

		if (strcmp(d, "display:none") == 0 ||
		    g_str_has_prefix(d, "display:none!") ||
		    strcmp(d, "visibility:hidden") == 0 ||
		    g_str_has_prefix(d, "visibility:hidden!") ||
		    strcmp(d, "visibility:collapse") == 0 ||
		    g_str_has_prefix(d, "visibility:collapse!"))
			hide = TRUE;
	}
	g_strfreev(decls);
	return hide;
}

/* Is the element hidden from a reader (HTML5 section 6.1, WAI-ARIA)? */
static gboolean
is_hidden(const xmlNode *n)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name;
		const char *v;

		if (name == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "hidden") == 0)
			return TRUE;
		if (g_ascii_strcasecmp(name, "aria-hidden") == 0) {
			v = attr(n, name);
			g_autofree char *t = squeeze(v != NULL ? v : "");

			if (g_ascii_strcasecmp(t, "true") == 0)
				return TRUE;
		}
		if (g_ascii_strcasecmp(name, "style") == 0) {
			v = attr(n, name);
			if (v != NULL && style_hides(v))
				return TRUE;
		}
	}
	return FALSE;
}

static struct frame *
frame_at(struct render *r, int i)
{
	return &g_array_index(r->frames, struct frame, i);
}

static void
check_size(struct render *r)
{
	if (r->out->len + r->cur->len > r->max_output) {
		r->stop = TRUE;
		r->flags |= MG_HTML_TRUNCATED;
	}
}

static void
rstrip(GString *g)
{
	while (g->len > 0 &&
	       (g->str[g->len - 1] == ' ' || g->str[g->len - 1] == '\t'))
		g_string_truncate(g, g->len - 1);
}

/*
 * Finish the current line.  A line that is empty once trailing blanks are
 * gone becomes a due blank line, so there is never more than one blank
 * line in a row and none at the start.
 */
static void
end_line(struct render *r)
{
	guint q;

	rstrip(r->cur);
	if (r->cur->len == 0) {
		r->blank = TRUE;
	} else {
		if (r->out->len > 0) {
			if (r->blank) {
				g_autoptr(GString) b = g_string_new("\n");

				for (q = 0;
				     q < MIN(r->last_quote, r->cur_quote); q++)
					g_string_append(b, "> ");
				rstrip(b);
				g_string_append_len(r->out, b->str, b->len);
			}
			g_string_append_c(r->out, '\n');
		}
		g_string_append_len(r->out, r->cur->str, r->cur->len);
		r->last_quote = r->cur_quote;
		r->blank = FALSE;
	}
	g_string_truncate(r->cur, 0);
	r->started = FALSE;
	r->sp = 0;
	r->nosp = FALSE;
	check_size(r);
}

/* Write the prefix of a new line: quote marks, indentation, bullets. */
static void
start_line(struct render *r)
{
	guint i;

	r->cur_quote = 0;
	for (i = 0; i < r->segs->len; i++) {
		struct seg *s = &g_array_index(r->segs, struct seg, i);

		if (s->quote) {
			g_string_append(r->cur, "> ");
			r->cur_quote++;
		} else if (!s->used) {
			g_string_append(r->cur, s->first);
			s->used = TRUE;
		} else {
			g_string_append(r->cur, "  ");
		}
	}
	r->started = TRUE;
}

static void
flush_break(struct render *r)
{
	if (r->brk == 0)
		return;
	if (r->started)
		end_line(r);
	if (r->brk == 2)
		r->blank = TRUE;
	r->brk = 0;
}

/*
 * Ask for a line break (1) or a blank line (2) before the next text.
 * Inside a one-line table row every break is a space.
 */
static void
want_break(struct render *r, guint level)
{
	if (r->collapse > 0) {
		r->sp = MAX(r->sp, 1);
		return;
	}
	r->brk = MAX(r->brk, level);
}

/* Write text that is not whitespace, with any due space or break first. */
static void
put(struct render *r, const char *s, gsize n)
{
	gboolean spaced = FALSE;

	if (r->stop || n == 0)
		return;
	flush_break(r);
	if (!r->started) {
		start_line(r);
		spaced = TRUE;
	} else if (!r->nosp && r->sp > 0) {
		g_string_append(r->cur, r->sp == 2 ? " | " : " ");
		spaced = TRUE;
	}
	r->sp = 0;
	r->nosp = FALSE;
	g_string_append_len(r->cur, s, n);
	if (r->in_link && !r->ltext_long) {
		if (spaced && r->ltext->len > 0)
			g_string_append_c(r->ltext, ' ');
		g_string_append_len(r->ltext, s, n);
		if (r->ltext->len > MAX_LINK_TEXT)
			r->ltext_long = TRUE;
	}
	check_size(r);
}

/* Write text glued to what precedes it, ignoring due spaces and breaks. */
static void
put_attached(struct render *r, const char *s)
{
	if (r->stop)
		return;
	if (!r->started) {
		flush_break(r);
		start_line(r);
	}
	g_string_append(r->cur, s);
	check_size(r);
}

/* "[text]" inline, for images, form controls. */
static void
put_bracketed(struct render *r, const char *text)
{
	g_autofree char *s = g_strdup_printf("[%s]", text);

	put(r, s, strlen(s));
}

static void
newline(struct render *r)
{
	if (r->collapse > 0) {
		r->sp = MAX(r->sp, 1);
		return;
	}
	flush_break(r);
	if (r->started)
		end_line(r);
	else
		r->blank = TRUE;
}

/*
 * Word and Outlook write "downlevel-revealed" conditionals such as
 * "<![if !supportLists]>" and "<![endif]>", which libxml2 leaves in the
 * text.  Returns a copy without them, or NULL when there are none.
 */
static char *
strip_conditionals(const char *s)
{
	GString *g = NULL;
	const char *p = s, *q;

	while ((q = strstr(p, "<![")) != NULL) {
		const char *e = q + 3;
		gsize n = 0;

		if (g_ascii_strncasecmp(e, "if", 2) != 0 &&
		    g_ascii_strncasecmp(e, "endif", 5) != 0) {
			p = q + 3;
			continue;
		}
		while (e[n] != '\0' && e[n] != '>' && n < 128)
			n++;
		if (e[n] != '>' || n == 0 || e[n - 1] != ']') {
			p = q + 3;
			continue;
		}
		if (g == NULL)
			g = g_string_new(NULL);
		g_string_append_len(g, s, q - s);
		s = p = e + n + 1;
	}
	if (g == NULL)
		return NULL;
	g_string_append(g, s);
	return g_string_free(g, FALSE);
}

static void
text(struct render *r, const char *s)
{
	const guchar *p = (const guchar *)s;
	const guchar *run = NULL;

	for (;; p++) {
		guchar c = *p;
		gboolean special;

		/* ASCII whitespace, C0 controls, DEL, NBSP and C1 controls. */
		special = c == '\0' || c < 0x20 || c == 0x7f ||
		          (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0xa0);
		if (!special && c != ' ') {
			if (run == NULL)
				run = p;
			continue;
		}
		if (run != NULL) {
			put(r, (const char *)run, (gsize)(p - run));
			run = NULL;
		}
		if (c == '\0' || r->stop)
			break;
		if (c == 0xc2) {
			p++;
			if (*p != 0xa0)
				continue; /* C1 control: dropped */
			/* No-break space: a plain space that does not collapse,
			 * except in a one-line row where it only pads cells. */
			if (r->collapse > 0 && r->pre == 0)
				r->sp = MAX(r->sp, 1);
			else
				put(r, " ", 1);
			continue;
		}
		if (r->pre > 0) {
			if (c == ' ' || c == '\t')
				put(r, (const char *)p, 1);
			else if (c == '\n')
				newline(r);
			else if (c == '\r' && p[1] != '\n')
				newline(r);
			else if (c == '\f')
				put(r, " ", 1);
			continue;
		}
		if (is_html_space(c))
			r->sp = MAX(r->sp, 1);
	}
}

static void
push_seg(struct render *r, struct frame *f, const char *first, gboolean quote)
{
	struct seg s;

	if (r->segs->len >= MAX_PREFIX_LEVELS)
		return;
	memset(&s, 0, sizeof(s));
	g_strlcpy(s.first, first, sizeof(s.first));
	s.quote = quote;
	g_array_append_val(r->segs, s);
	if (quote)
		r->quote++;
	f->seg = TRUE;
}

static void
pop_seg(struct render *r)
{
	struct seg *s;

	if (r->segs->len == 0)
		return;
	s = &g_array_index(r->segs, struct seg, r->segs->len - 1);
	if (s->quote)
		r->quote--;
	g_array_set_size(r->segs, r->segs->len - 1);
}

/* Numbers from start= and value=, clamped so that counting never wraps. */
static long
parse_number(const char *s, long def)
{
	char *end;
	gint64 v;

	if (s == NULL)
		return def;
	v = g_ascii_strtoll(s, &end, 10);
	if (end == s)
		return def;
	return (long)CLAMP(v, -1000000000, 1000000000);
}

/*
 * A link target as a browser would read it (WHATWG URL: leading and
 * trailing C0 controls and spaces stripped, tabs and newlines removed),
 * with other controls percent-encoded so the list stays one line per
 * link.  NULL for targets that are not worth listing.
 */
static char *
link_target(const char *href)
{
	GString *g;
	const char *end;

	if (href == NULL)
		return NULL;
	while (*href != '\0' && (guchar)*href <= 0x20)
		href++;
	end = href + strlen(href);
	while (end > href && (guchar)end[-1] <= 0x20)
		end--;
	g = g_string_new(NULL);
	for (; href < end; href++) {
		guchar c = (guchar)*href;

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f)
			g_string_append_printf(g, "%%%02X", c);
		else
			g_string_append_c(g, (char)c);
	}
	if (g->len == 0 || g->str[0] == '#' ||
	    g_ascii_strncasecmp(g->str, "javascript:", 11) == 0 ||
	    g_ascii_strncasecmp(g->str, "vbscript:", 9) == 0 ||
	    g_ascii_strncasecmp(g->str, "data:", 5) == 0) {
		g_string_free(g, TRUE);
		return NULL;
	}
	return g_string_free(g, FALSE);
}

/* Does the link text already show the target? */
static gboolean
text_shows_target(const char *t, const char *href)
{
	gsize tl = strlen(t), hl = strlen(href);

	if (tl > 0 && t[tl - 1] == '/')
		tl--;
	if (hl > 0 && href[hl - 1] == '/')
		hl--;
	if (tl > 0 && tl == hl && memcmp(t, href, tl) == 0)
		return TRUE;
	if (g_ascii_strncasecmp(href, "mailto:", 7) == 0) {
		const char *addr = href + 7;
		const char *q = strchr(addr, '?');
		gsize al = q != NULL ? (gsize)(q - addr) : strlen(addr);

		if (al > 0 && strlen(t) == al &&
		    g_ascii_strncasecmp(t, addr, al) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
link_close(struct render *r)
{
	g_autofree char *href = r->href;
	g_autofree char *t = NULL;
	gpointer v;
	guint id;
	char num[32];

	r->in_link = FALSE;
	r->href = NULL;
	t = g_strstrip(g_strdup(r->ltext->str));
	g_string_truncate(r->ltext, 0);
	if (href == NULL || (!r->ltext_long && text_shows_target(t, href))) {
		r->ltext_long = FALSE;
		return;
	}
	r->ltext_long = FALSE;
	/* The same target keeps its first number. */
	if (g_hash_table_lookup_extended(r->link_ids, href, NULL, &v)) {
		id = GPOINTER_TO_UINT(v);
	} else {
		g_ptr_array_add(r->links, href);
		id = r->links->len;
		g_hash_table_insert(r->link_ids, href, GUINT_TO_POINTER(id));
		href = NULL; /* now owned by r->links */
	}
	g_snprintf(num, sizeof(num), "[%u]", id);
	put_attached(r, num);
}

static gboolean
is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name != NULL &&
	       strcmp((const char *)n->name, name) == 0;
}

/*
 * The option a <select> shows: the first selected one, else the first
 * one, looking inside <optgroup>s too.  Visited nodes count against the
 * walk's budget.
 */
static const xmlNode *
shown_option(struct render *r, const xmlNode *sel)
{
	const xmlNode *c, *o, *first = NULL;

	for (c = sel->children; c != NULL; c = c->next) {
		if (++r->nodes > r->max_nodes)
			break;
		if (is_elem(c, "option")) {
			if (attr(c, "selected") != NULL)
				return c;
			if (first == NULL)
				first = c;
			continue;
		}
		if (!is_elem(c, "optgroup"))
			continue;
		for (o = c->children; o != NULL; o = o->next) {
			if (++r->nodes > r->max_nodes)
				break;
			if (!is_elem(o, "option"))
				continue;
			if (attr(o, "selected") != NULL)
				return o;
			if (first == NULL)
				first = o;
		}
	}
	return first;
}

static char *
select_text(struct render *r, const xmlNode *sel)
{
	const xmlNode *o = shown_option(r, sel);
	const char *label;
	xmlChar *content;
	char *s;

	if (o == NULL)
		return g_strdup("");
	label = attr(o, "label");
	if (label != NULL && *label != '\0')
		return squeeze(label);
	content = xmlNodeGetContent(o);
	s = squeeze(content != NULL ? (const char *)content : "");
	xmlFree(content);
	return s;
}

static void
render_input(struct render *r, const xmlNode *n)
{
	const char *type = attr(n, "type");
	const char *v;
	g_autofree char *s = NULL;

	if (type == NULL)
		type = "text";
	if (g_ascii_strcasecmp(type, "hidden") == 0)
		return;
	r->flags |= MG_HTML_HAD_FORMS;
	if (g_ascii_strcasecmp(type, "checkbox") == 0 ||
	    g_ascii_strcasecmp(type, "radio") == 0) {
		put_bracketed(r, attr(n, "checked") != NULL ? "x" : " ");
		return;
	}
	if (g_ascii_strcasecmp(type, "image") == 0) {
		r->flags |= MG_HTML_HAD_IMAGES;
		v = attr(n, "alt");
		if (v == NULL || *v == '\0')
			v = attr(n, "value");
		s = squeeze(v != NULL ? v : "");
		if (*s != '\0')
			put_bracketed(r, s);
		return;
	}
	v = attr(n, "value");
	if ((v == NULL || *v == '\0') &&
	    g_ascii_strcasecmp(type, "submit") != 0 &&
	    g_ascii_strcasecmp(type, "reset") != 0 &&
	    g_ascii_strcasecmp(type, "button") != 0)
		v = attr(n, "placeholder");
	s = squeeze(v != NULL ? v : "");
	put_bracketed(r, *s != '\0' ? s : " ");
}

/*
 * Is `n` rendered as one line with " | " between cells?  A <tr> with two
 * or more cells, or a table (section) whose cells stand without a <tr>, as
 * libxml2 leaves them where a browser would imply the row; in both cases
 * only without a table nested inside.
 */
static gboolean
one_line_row(const xmlNode *n, gboolean is_tr)
{
	const xmlNode *c;
	guint cells = 0;

	if (n->_private == HAS_TABLE)
		return FALSE;
	for (c = n->children; c != NULL; c = c->next) {
		if (is_elem(c, "td") || is_elem(c, "th"))
			cells++;
		else if (!is_tr && is_elem(c, "tr"))
			return FALSE;
		if (is_tr && cells >= 2)
			break;
	}
	return cells >= 2;
}

/*
 * Open element `n`.  Returns TRUE when a frame was pushed and the children
 * are to be walked; the element is closed by leave() after them.
 */
static gboolean
enter(struct render *r, xmlNode *n)
{
	struct frame f;
	enum kind k;
	const char *v;
	g_autofree char *s = NULL;
	int idx;

	if (is_hidden(n))
		return FALSE;
	k = elem_kind(n);
	memset(&f, 0, sizeof(f));
	f.kind = k;
	f.prev_list = r->list;
	f.prev_li = r->li;
	f.prev_row = r->row;
	idx = (int)r->frames->len;

	switch (k) {
	case K_DROP:
		return FALSE;
	case K_BR:
		newline(r);
		return FALSE;
	case K_HR:
		want_break(r, 1);
		put(r, "----", 4);
		want_break(r, 1);
		return FALSE;
	case K_IMG:
		r->flags |= MG_HTML_HAD_IMAGES;
		s = squeeze((v = attr(n, "alt")) != NULL ? v : "");
		if (*s != '\0')
			put_bracketed(r, s);
		return FALSE;
	case K_INPUT:
		render_input(r, n);
		return FALSE;
	case K_SELECT:
		r->flags |= MG_HTML_HAD_FORMS;
		s = select_text(r, n);
		put_bracketed(r, *s != '\0' ? s : " ");
		return FALSE;
	case K_BUTTON:
		r->flags |= MG_HTML_HAD_FORMS;
		put(r, "[", 1);
		r->nosp = TRUE;
		f.close = "]";
		break;
	case K_FORM:
		r->flags |= MG_HTML_HAD_FORMS;
		f.brk = 1;
		break;
	case K_BLOCK:
		f.brk = 1;
		break;
	case K_PARA:
		f.brk = 2;
		break;
	case K_PRE:
	case K_TEXTAREA:
		if (k == K_TEXTAREA)
			r->flags |= MG_HTML_HAD_FORMS;
		f.brk = k == K_PRE ? 2 : 1;
		f.pre = TRUE;
		r->pre++;
		break;
	case K_QUOTE:
		f.brk = 2;
		want_break(r, f.brk);
		push_seg(r, &f, "> ", TRUE);
		break;
	case K_UL:
	case K_OL:
		f.brk = r->list_depth == 0 ? 2 : 1;
		f.list = TRUE;
		f.counter = k == K_OL ? parse_number(attr(n, "start"), 1) : 0;
		want_break(r, f.brk);
		/* A list directly inside a list, without an item around it,
		 * is how mail editors indent: keep the indentation. */
		if (r->list >= 0 && r->li < r->list)
			push_seg(r, &f, "  ", FALSE);
		r->list = idx;
		r->list_depth++;
		break;
	case K_LI: {
		char bullet[24];

		f.brk = 1;
		want_break(r, 1);
		g_strlcpy(bullet, "- ", sizeof(bullet));
		if (r->list >= 0 && frame_at(r, r->list)->kind == K_OL) {
			struct frame *lf = frame_at(r, r->list);

			lf->counter =
			    parse_number(attr(n, "value"), lf->counter);
			g_snprintf(
			    bullet, sizeof(bullet), "%ld. ", lf->counter);
			if (lf->counter < 1000000000)
				lf->counter++;
		}
		push_seg(r, &f, bullet, FALSE);
		r->li = idx;
		break;
	}
	case K_TABLE:
	case K_TR:
		f.brk = 1;
		want_break(r, 1);
		if (one_line_row(n, k == K_TR)) {
			f.row = TRUE;
			r->collapse++;
			r->row = idx;
		}
		break;
	case K_CELL:
		if (r->collapse > 0 && r->row >= 0)
			r->sp = 2;
		else
			f.brk = 1;
		break;
	case K_A:
		if (r->link_list && !r->in_link) {
			r->in_link = TRUE;
			f.link = TRUE;
			r->href = link_target(attr(n, "href"));
			g_string_truncate(r->ltext, 0);
			r->ltext_long = FALSE;
		}
		break;
	case K_INLINE:
	default:
		break;
	}
	if (f.brk > 0)
		want_break(r, f.brk);
	g_array_append_val(r->frames, f);
	return TRUE;
}

static void
leave(struct render *r)
{
	struct frame f;

	g_assert(r->frames->len > 0);
	f = *frame_at(r, (int)r->frames->len - 1);
	g_array_set_size(r->frames, r->frames->len - 1);

	if (f.close != NULL)
		put_attached(r, f.close);
	if (f.link)
		link_close(r);
	if (f.seg)
		pop_seg(r);
	if (f.pre)
		r->pre--;
	if (f.row)
		r->collapse--;
	if (f.list)
		r->list_depth--;
	r->list = f.prev_list;
	r->li = f.prev_li;
	r->row = f.prev_row;
	if (f.brk > 0)
		want_break(r, f.brk);
}

/*
 * Mark every element that has a <table> below it, so that a row can tell
 * at once whether it is a layout row.  Each mark walk stops at the first
 * element already marked, so the whole pass is linear.
 */
static void
mark_tables(xmlNode *root, guint max_nodes)
{
	xmlNode *n = root->children;
	guint seen = 0;

	while (n != NULL && ++seen <= max_nodes) {
		if (n->type == XML_ELEMENT_NODE && n->name != NULL &&
		    strcmp((const char *)n->name, "table") == 0) {
			xmlNode *p;

			for (p = n->parent; p != NULL && p != root &&
			                    p->type == XML_ELEMENT_NODE &&
			                    p->_private != HAS_TABLE;
			     p = p->parent)
				p->_private = HAS_TABLE;
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == root)
				n = NULL;
		}
		if (n != NULL)
			n = n->next;
	}
}

static void
walk(struct render *r, xmlNode *root)
{
	xmlNode *n = root->children;

	while (n != NULL && !r->stop) {
		gboolean down = FALSE;

		if (++r->nodes > r->max_nodes) {
			r->flags |= MG_HTML_TRUNCATED;
			break;
		}
		if (n->type == XML_ELEMENT_NODE)
			down = enter(r, n);
		else if (n->type == XML_TEXT_NODE && n->content != NULL) {
			const char *c = (const char *)n->content;
			g_autofree char *clean = strip_conditionals(c);

			text(r, clean != NULL ? clean : c);
		}
		if (down && n->children != NULL) {
			n = n->children;
			continue;
		}
		if (down)
			leave(r);
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == NULL || n == root) {
				n = NULL;
				break;
			}
			leave(r);
		}
		if (n != NULL)
			n = n->next;
	}
}

static void
init_libxml(void)
{
	static gsize done;

	/* xmlInitParser() sets up libxml2's global tables; once per
	 * process, before any thread parses. */
	if (g_once_init_enter(&done)) {
		xmlInitParser();
		g_once_init_leave(&done, 1);
	}
}

/* Cut `g` to at most `max` bytes on a UTF-8 boundary. */
static void
cut_utf8(GString *g, gsize max)
{
	gsize p = max;

	if (g->len <= max)
		return;
	while (p > 0 && ((guchar)g->str[p] & 0xc0) == 0x80)
		p--;
	g_string_truncate(g, p);
	while (g->len > 0 && strchr(" \t\n", g->str[g->len - 1]) != NULL)
		g_string_truncate(g, g->len - 1);
}

char *
mg_html_to_text(const char *html, gsize len, const struct mg_html_opts *opts,
    guint *flags_r)
{
	struct render r;
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc = NULL;
	g_autofree char *valid = NULL;
	const char *in = html;
	GString *res;
	guint i;
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	              HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
	              HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC;

	memset(&r, 0, sizeof(r));
	r.max_nodes = opts != NULL && opts->max_nodes > 0 ? opts->max_nodes
	                                                  : DEF_MAX_NODES;
	r.max_output = opts != NULL && opts->max_output > 0 ? opts->max_output
	                                                    : DEF_MAX_OUTPUT;
	r.link_list = opts != NULL && opts->link_list;
	if (flags_r != NULL)
		*flags_r = 0;
	if (html == NULL || len == 0)
		return g_strdup("");

	/* libxml2 takes an int length; a body this large was refused long
	 * before, but never let the length wrap. */
	if (len > G_MAXINT) {
		len = G_MAXINT;
		r.flags |= MG_HTML_TRUNCATED;
	}
	/* g_utf8_validate() rejects NUL bytes, which g_utf8_make_valid()
	 * then replaces together with invalid sequences. */
	if (!g_utf8_validate(html, (gssize)len, NULL)) {
		valid = g_utf8_make_valid(html, (gssize)len);
		in = valid;
		len = MIN(strlen(valid), (gsize)G_MAXINT);
	}

	init_libxml();
	ctxt = htmlNewParserCtxt();
	if (ctxt == NULL) {
		if (flags_r != NULL)
			*flags_r = MG_HTML_TRUNCATED;
		return g_strdup("");
	}
	doc = htmlCtxtReadMemory(ctxt, in, (int)len, NULL, "UTF-8", options);
	/* xmlHaltParser() (depth over 256, out of memory) disables SAX even
	 * in recovery mode: whatever followed was not parsed. */
	if (ctxt->disableSAX != 0)
		r.flags |= MG_HTML_TRUNCATED;
	htmlFreeParserCtxt(ctxt);

	r.out = g_string_new(NULL);
	r.cur = g_string_new(NULL);
	r.segs = g_array_new(FALSE, TRUE, sizeof(struct seg));
	r.frames = g_array_new(FALSE, TRUE, sizeof(struct frame));
	r.ltext = g_string_new(NULL);
	r.link_ids = g_hash_table_new(g_str_hash, g_str_equal);
	/* The table's keys are the strings owned by r.links. */
	r.links = g_ptr_array_new_with_free_func(g_free);
	r.list = r.li = r.row = -1;

	if (doc != NULL) {
		mark_tables((xmlNode *)doc, r.max_nodes);
		walk(&r, (xmlNode *)doc);
		xmlFreeDoc(doc);
	}
	if (r.started)
		end_line(&r);
	g_free(r.href);

	res = r.out;
	if (r.links->len > 0) {
		const char *head = opts->links_heading;

		if (res->len > 0)
			g_string_append(res, "\n\n");
		if (head != NULL && *head != '\0')
			g_string_append_printf(res, "%s\n", head);
		for (i = 0; i < r.links->len; i++)
			g_string_append_printf(res, "%s[%u] %s",
			    i > 0 ? "\n" : "", i + 1,
			    (const char *)g_ptr_array_index(r.links, i));
	}
	if (res->len > r.max_output) {
		cut_utf8(res, r.max_output);
		r.flags |= MG_HTML_TRUNCATED;
	}

	g_string_free(r.cur, TRUE);
	g_array_free(r.segs, TRUE);
	g_array_free(r.frames, TRUE);
	g_string_free(r.ltext, TRUE);
	g_hash_table_destroy(r.link_ids);
	g_ptr_array_free(r.links, TRUE);
	if (flags_r != NULL)
		*flags_r = r.flags;
	return g_string_free(res, FALSE);
}

/* Is `c` allowed in a charset name (RFC 2978 mime-charset, roughly)? */
static gboolean
charset_char(guchar c)
{
	return g_ascii_isalnum(c) || strchr("-_.:+()", c) != NULL;
}

static char *
charset_dup(const char *s, gsize n)
{
	gsize i;

	while (n > 0 && g_ascii_isspace(*s)) {
		s++;
		n--;
	}
	while (n > 0 && g_ascii_isspace(s[n - 1]))
		n--;
	if (n == 0 || n > MAX_CHARSET_NAME)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!charset_char((guchar)s[i]))
			return NULL;
	}
	return g_strndup(s, n);
}

/*
 * The charset in a Content-Type value, as in HTML5's "algorithm for
 * extracting a character encoding from a meta element".
 */
static char *
charset_from_content(const char *s, gsize n)
{
	gsize i = 0, st;

	while (i + 7 <= n) {
		if (g_ascii_strncasecmp(s + i, "charset", 7) != 0) {
			i++;
			continue;
		}
		i += 7;
		while (i < n && g_ascii_isspace(s[i]))
			i++;
		if (i >= n || s[i] != '=')
			continue;
		i++;
		while (i < n && g_ascii_isspace(s[i]))
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			char q = s[i++];

			st = i;
			while (i < n && s[i] != q)
				i++;
			if (i >= n)
				return NULL;
			return charset_dup(s + st, i - st);
		}
		st = i;
		while (i < n && !g_ascii_isspace(s[i]) && s[i] != ';')
			i++;
		return charset_dup(s + st, i - st);
	}
	return NULL;
}

/*
 * Read the attributes of a <meta> tag starting at s[*ip] and return the
 * charset it declares, or NULL.  *ip is left after the tag.  A tag that
 * does not end within the scanned window declares nothing, so a name cut
 * in half is never returned.
 */
static char *
meta_tag(const char *s, gsize n, gsize *ip)
{
	gsize i = *ip;
	const char *cs = NULL, *ct = NULL;
	gsize csl = 0, ctl = 0;
	gboolean pragma = FALSE, closed = FALSE;

	while (i < n) {
		gsize ns, nl, vs = 0, vl = 0;

		while (i < n && (g_ascii_isspace(s[i]) || s[i] == '/'))
			i++;
		if (i >= n)
			break;
		if (s[i] == '>') {
			closed = TRUE;
			i++;
			break;
		}
		ns = i;
		while (i < n && !g_ascii_isspace(s[i]) && s[i] != '=' &&
		       s[i] != '>' && s[i] != '/')
			i++;
		nl = i - ns;
		while (i < n && g_ascii_isspace(s[i]))
			i++;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && g_ascii_isspace(s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				char q = s[i++];

				vs = i;
				while (i < n && s[i] != q)
					i++;
				vl = i - vs;
				if (i < n)
					i++;
			} else {
				vs = i;
				while (i < n && !g_ascii_isspace(s[i]) &&
				       s[i] != '>')
					i++;
				vl = i - vs;
			}
		}
		if (nl == 7 && g_ascii_strncasecmp(s + ns, "charset", 7) == 0) {
			cs = s + vs;
			csl = vl;
		} else if (nl == 10 &&
		           g_ascii_strncasecmp(s + ns, "http-equiv", 10) == 0) {
			pragma = vl == 12 && g_ascii_strncasecmp(s + vs,
			                         "content-type", 12) == 0;
		} else if (nl == 7 &&
		           g_ascii_strncasecmp(s + ns, "content", 7) == 0) {
			ct = s + vs;
			ctl = vl;
		}
	}
	*ip = i;
	if (!closed)
		return NULL;
	if (cs != NULL)
		return charset_dup(cs, csl);
	if (pragma && ct != NULL)
		return charset_from_content(ct, ctl);
	return NULL;
}

char *
mg_html_meta_charset(const char *html, gsize len)
{
	gsize n = MIN(len, META_SCAN);
	gsize i = 0;

	if (html == NULL)
		return NULL;
	while (i < n) {
		char *cs;

		if (html[i] != '<') {
			i++;
			continue;
		}
		/* A meta tag inside a comment declares nothing. */
		if (i + 4 <= n && memcmp(html + i, "<!--", 4) == 0) {
			i += 4;
			while (i + 3 <= n && memcmp(html + i, "-->", 3) != 0)
				i++;
			i += 3;
			continue;
		}
		if (i + 6 <= n &&
		    g_ascii_strncasecmp(html + i, "<meta", 5) == 0 &&
		    (g_ascii_isspace(html[i + 5]) || html[i + 5] == '/')) {
			i += 5;
			cs = meta_tag(html, n, &i);
			if (cs != NULL)
				return cs;
			continue;
		}
		i++;
	}
	return NULL;
}
