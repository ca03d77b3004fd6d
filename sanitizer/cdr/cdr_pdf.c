/*
 * cdr_pdf.c - PDF rebuilt without active content (libqpdf, C API).
 *
 * The input bytes are untrusted.  qpdf parses them (no xref
 * reconstruction: a damaged or truncated file is refused, as is one
 * that makes qpdf warn at all), every object reachable from the trailer
 * is walked once, and what can act on its own is taken out: document and
 * page open actions (/OpenAction, /AA), JavaScript (/JS, the /JavaScript
 * name tree), embedded files (/EmbeddedFiles, /EF, /RF, /AF, portfolios),
 * file attachment, rich media, 3D, movie, sound and screen annotations,
 * XFA forms, streams whose data is another file, and every action but
 * GoTo (URI actions stay when the policy keeps hyperlinks and the target
 * is http, https or mailto).  qpdf then
 * writes a new file from the trailer: objects no longer referenced, the
 * removed payloads among them, are not written, and neither is anything
 * after the end of the last revision.  Encrypted files are refused: their
 * content cannot be inspected without a password, and one that opens
 * without one still carries restrictions we would silently drop.
 *
 * Limits: ctx->limits->max_part_size on the input and on the output;
 * PDF_MAX_OBJECTS indirect objects, PDF_MAX_NODES values examined and
 * PDF_MAX_DEPTH references deep in the walk (below).  Stream data is
 * copied as it is (never decoded), so a compression bomb costs nothing.
 *
 * Embedded files are left out, not handed to ctx->nested: the walk then
 * never sees them.  The caller owns `in` and the result.
 */
#include <string.h>

#include <qpdf/qpdf-c.h>

#include "cdr/mg_cdr.h"
#include "util/mg_util.h"

/*
 * Distinct indirect objects one document may hold.  qpdf keeps each one
 * it parsed, and its writer a table entry more: about 2.5 KB an object
 * (measured on an 11,000-page file of 33,000 objects), so the limit
 * costs some 1.2 GB, within a worker's default 4 GB next to the ClamAV
 * engine.  Real documents have tens of thousands.
 */
#define PDF_MAX_OBJECTS 500000u
/*
 * Dictionary values and array items examined in all.  Bounds the time of
 * the walk on a file made of huge arrays (two bytes an item).  qpdf has
 * parsed such an array whole before we see it, at about 280 bytes an
 * item (5 million items: 1.4 GB, 10 s), so the worker's memory limit
 * is what stops the worst of them.
 */
#define PDF_MAX_NODES 10000000u
/*
 * References followed from the trailer to reach one object.  The walk
 * keeps its own stack on the heap, so this is a sanity bound rather than
 * stack protection; it stays well above the longest chain a real
 * document has (bookmark and article-thread siblings are linked one
 * after the other, one level deeper each).
 */
#define PDF_MAX_DEPTH 10000u
/* Longest URI a kept hyperlink may have (RFC 7230 suggests 8000 octets
 * as the least a server should accept; anything longer is not a link a
 * person follows). */
#define PDF_MAX_URI 8000u
/* How often (in nodes) the walk asks qpdf for warnings, to stop early on
 * a damaged file. */
#define PDF_WARN_EVERY 256u

struct item {
	qpdf_oh oh;
	guint depth;
};

struct walk {
	qpdf_data q;
	const struct mg_cdr_ctx *ctx;
	struct mg_cdr_result *out;
	GHashTable *visited; /* gint64: generation << 32 | number */
	GArray *stack;       /* struct item */
	guint64 objects, nodes, visits;
	enum mg_reason reason; /* set when the walk gives up */
	char *detail;
};

/* Keys removed wherever they appear: each names one kind of active or
 * embedded content (ISO 32000-1 sections cited). */
static const struct {
	const char *key, *rm;
} banned_keys[] = {
    {"/AA", MG_CDR_RM_AUTOACTION},          /* 12.6.3 additional actions */
    {"/JS", MG_CDR_RM_JAVASCRIPT},          /* 12.6.4.16 JavaScript actions */
    {"/JavaScript", MG_CDR_RM_JAVASCRIPT},  /* 7.7.4 name tree */
    {"/EmbeddedFiles", MG_CDR_RM_EMBEDDED}, /* 7.7.4 name tree */
    {"/EF", MG_CDR_RM_EMBEDDED},            /* 7.11.3 file specification */
    {"/RF", MG_CDR_RM_EMBEDDED},            /* 7.11.4.2 related files */
    {"/AF", MG_CDR_RM_EMBEDDED},            /* ISO 32000-2 14.13 associated */
    {"/Collection", MG_CDR_RM_EMBEDDED},    /* 12.3.5 portfolios */
    {"/XFA", MG_CDR_RM_FORMS},              /* 12.7.8 XML forms */
    {"/NeedsRendering", MG_CDR_RM_FORMS},   /* 7.7.2 dynamic XFA */
    {"/Renditions", MG_CDR_RM_MULTIMEDIA},  /* 7.7.4 name tree */
    {"/AlternatePresentations", MG_CDR_RM_MULTIMEDIA}, /* 13.5 */
    {"/3DD", MG_CDR_RM_MULTIMEDIA},                    /* 13.6.2 3D stream */
    {"/RichMediaContent", MG_CDR_RM_MULTIMEDIA},       /* Adobe ext. 3 */
};

/* Annotation subtypes that play, open or carry a file (12.5.6). */
static const struct {
	const char *subtype, *rm;
} banned_annots[] = {
    {"/FileAttachment", MG_CDR_RM_EMBEDDED},
    {"/RichMedia", MG_CDR_RM_MULTIMEDIA},
    {"/3D", MG_CDR_RM_MULTIMEDIA},
    {"/Movie", MG_CDR_RM_MULTIMEDIA},
    {"/Sound", MG_CDR_RM_MULTIMEDIA},
    {"/Screen", MG_CDR_RM_MULTIMEDIA},
};

/* Action types (12.6.4, table 198, and the 3D and rich media ones).  A
 * dictionary whose /S is one of these is an action wherever it is found;
 * elsewhere /S means other things (transparency groups, structure
 * elements, page labels, transitions), so those are left alone. */
static const char *const action_types[] = {
    "/GoTo",
    "/GoToR",
    "/GoToE",
    "/GoToDp",
    "/Launch",
    "/Thread",
    "/URI",
    "/Sound",
    "/Movie",
    "/Hide",
    "/Named",
    "/SubmitForm",
    "/ResetForm",
    "/ImportData",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/JavaScript",
    "/RichMediaExecute",
};

/* Give up with `reason`; the first reason stays.  `detail` may quote
 * qpdf, which may quote the input: one printable line of it is kept. */
static void
fail(struct walk *w, enum mg_reason reason, const char *detail)
{
	if (w->reason != MG_REASON_NONE)
		return;
	w->reason = reason;
	if (detail == NULL)
		detail = "";
	w->detail = mg_printable(detail, MIN(strcspn(detail, "\r\n"), 200), 0);
}

/*
 * A copy of the name held by `key` of `dict` (qpdf has resolved its #xx
 * escapes), or NULL.  A name with a NUL in it (which qpdf warns about,
 * so the file is refused anyway) comes back as "/", which matches
 * nothing, rather than cut short at the NUL.
 */
static char *
key_name(struct walk *w, qpdf_oh dict, const char *key)
{
	const char *s = NULL;
	size_t len = 0;
	char *name = NULL;
	qpdf_oh v;

	if (!qpdf_oh_has_key(w->q, dict, key))
		return NULL;
	v = qpdf_oh_get_key(w->q, dict, key);
	if (qpdf_oh_get_value_as_name(w->q, v, &s, &len) && s != NULL)
		name = memchr(s, '\0', len) != NULL ? g_strdup("/")
		                                    : g_strndup(s, len);
	qpdf_oh_release(w->q, v);
	return name;
}

static gboolean
in_list(const char *name, const char *const *list, gsize n)
{
	gsize i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return TRUE;
	return FALSE;
}

/*
 * A hyperlink kept by policy: an absolute http, https or mailto URI made
 * of printable ASCII only (RFC 3986 section 2: anything else must be
 * percent-encoded), so that no viewer reads a scheme we did not.
 */
static gboolean
uri_kept(struct walk *w, qpdf_oh action)
{
	static const char *const schemes[] = {"http://", "https://", "mailto:"};
	const char *s;
	size_t len, i;
	gboolean ok = FALSE;
	qpdf_oh v;

	if (!w->ctx->keep_hyperlinks || !qpdf_oh_has_key(w->q, action, "/URI"))
		return FALSE;
	v = qpdf_oh_get_key(w->q, action, "/URI");
	if (!qpdf_oh_is_string(w->q, v))
		goto out;
	s = qpdf_oh_get_binary_string_value(w->q, v, &len);
	if (s == NULL || len == 0 || len > PDF_MAX_URI)
		goto out;
	for (i = 0; i < len; i++)
		if ((guchar)s[i] <= 0x20 || (guchar)s[i] >= 0x7f)
			goto out;
	for (i = 0; i < G_N_ELEMENTS(schemes); i++) {
		size_t n = strlen(schemes[i]);

		if (len > n && g_ascii_strncasecmp(s, schemes[i], n) == 0)
			ok = TRUE;
	}
out:
	qpdf_oh_release(w->q, v);
	return ok;
}

/*
 * The removal id `dict` goes under if it is an action that must not
 * stay, or NULL.  `in_action_slot` says the dictionary was found where
 * only actions go (/A, /Next), so any /S counts.
 */
static const char *
action_verdict(struct walk *w, qpdf_oh dict, gboolean in_action_slot)
{
	g_autofree char *s = key_name(w, dict, "/S");
	g_autofree char *type = NULL;
	const char *rm;

	if (s == NULL)
		return NULL;
	if (!in_action_slot &&
	    !in_list(s, action_types, G_N_ELEMENTS(action_types))) {
		type = key_name(w, dict, "/Type");
		if (g_strcmp0(type, "/Action") != 0)
			return NULL;
	}
	if (strcmp(s, "/GoTo") == 0)
		return NULL;
	if (strcmp(s, "/URI") == 0)
		rm = uri_kept(w, dict) ? NULL : MG_CDR_RM_LINKS;
	else if (strcmp(s, "/JavaScript") == 0)
		rm = MG_CDR_RM_JAVASCRIPT;
	else
		rm = MG_CDR_RM_ACTIONS;
	return rm;
}

/* The removal id of a banned annotation, or NULL. */
static const char *
annot_verdict(struct walk *w, qpdf_oh dict)
{
	g_autofree char *sub = key_name(w, dict, "/Subtype");
	gsize i;

	if (sub == NULL)
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(banned_annots); i++)
		if (strcmp(sub, banned_annots[i].subtype) == 0)
			return banned_annots[i].rm;
	return NULL;
}

/* The keys of `dict`, copied: qpdf has one key iterator per document, so
 * nothing else may touch it while it runs. */
static GPtrArray *
dict_keys(struct walk *w, qpdf_oh dict)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);

	qpdf_oh_begin_dict_key_iter(w->q, dict);
	while (qpdf_oh_dict_more_keys(w->q))
		g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(w->q)));
	return keys;
}

/* Empty a dictionary that must not act (a banned action or annotation
 * reached through a path we do not filter): it stays a harmless empty
 * dictionary wherever it is referenced from. */
static void
neutralise(struct walk *w, qpdf_oh dict)
{
	g_autoptr(GPtrArray) keys = dict_keys(w, dict);
	guint i;

	for (i = 0; i < keys->len; i++)
		qpdf_oh_remove_key(w->q, dict, g_ptr_array_index(keys, i));
}

/* The action that `v` holds goes (its removal id), or NULL when it stays
 * or is no action. */
static const char *
slot_verdict(struct walk *w, qpdf_oh v)
{
	if (!qpdf_oh_is_dictionary(w->q, v))
		return NULL;
	return action_verdict(w, v, TRUE);
}

/* Remove `key` of `dict` when it holds an action that goes (/A). */
static void
filter_action_key(struct walk *w, qpdf_oh dict, const char *key)
{
	const char *rm;
	qpdf_oh v;

	if (!qpdf_oh_has_key(w->q, dict, key))
		return;
	v = qpdf_oh_get_key(w->q, dict, key);
	rm = slot_verdict(w, v);
	if (rm != NULL) {
		qpdf_oh_remove_key(w->q, dict, key);
		mg_cdr_result_removed(w->out, rm);
	}
	qpdf_oh_release(w->q, v);
}

/*
 * /Next (12.6.2) holds one action or an array of them: remove the ones
 * that go.  The array is walked from its end so that erasing an item
 * does not move the ones still to be seen.
 */
static void
filter_next(struct walk *w, qpdf_oh dict)
{
	qpdf_oh v;
	int i;

	if (!qpdf_oh_has_key(w->q, dict, "/Next"))
		return;
	v = qpdf_oh_get_key(w->q, dict, "/Next");
	if (qpdf_oh_is_array(w->q, v)) {
		for (i = qpdf_oh_get_array_n_items(w->q, v) - 1; i >= 0; i--) {
			qpdf_oh a = qpdf_oh_get_array_item(w->q, v, i);
			const char *rm = slot_verdict(w, a);

			if (rm != NULL) {
				qpdf_oh_erase_item(w->q, v, i);
				mg_cdr_result_removed(w->out, rm);
			}
			qpdf_oh_release(w->q, a);
		}
	} else {
		filter_action_key(w, dict, "/Next");
	}
	qpdf_oh_release(w->q, v);
}

/*
 * Report an automatic action that goes with its key, and what kind of
 * action it was (so that the notice says "JavaScript" when it was), for
 * /OpenAction itself or, with `is_aa`, each trigger of an /AA (12.6.3).
 */
static void
report_auto(struct walk *w, qpdf_oh v, gboolean is_aa)
{
	g_autoptr(GPtrArray) keys = NULL;
	const char *rm;
	guint i;

	mg_cdr_result_removed(w->out, MG_CDR_RM_AUTOACTION);
	if (!is_aa) {
		if ((rm = slot_verdict(w, v)) != NULL)
			mg_cdr_result_removed(w->out, rm);
		return;
	}
	keys = dict_keys(w, v);
	for (i = 0; i < keys->len; i++) {
		qpdf_oh a =
		    qpdf_oh_get_key(w->q, v, g_ptr_array_index(keys, i));

		if ((rm = slot_verdict(w, a)) != NULL)
			mg_cdr_result_removed(w->out, rm);
		qpdf_oh_release(w->q, a);
	}
}

/* Take banned annotations out of a page's /Annots (12.5.2), and the
 * empty dictionaries that neutralise() may have left there. */
static void
filter_annots(struct walk *w, qpdf_oh dict)
{
	qpdf_oh v;
	int i;

	if (!qpdf_oh_has_key(w->q, dict, "/Annots"))
		return;
	v = qpdf_oh_get_key(w->q, dict, "/Annots");
	if (!qpdf_oh_is_array(w->q, v)) {
		qpdf_oh_release(w->q, v);
		return;
	}
	for (i = qpdf_oh_get_array_n_items(w->q, v) - 1; i >= 0; i--) {
		qpdf_oh a = qpdf_oh_get_array_item(w->q, v, i);
		const char *rm = NULL;
		gboolean drop = FALSE;

		if (qpdf_oh_is_dictionary(w->q, a)) {
			g_autoptr(GPtrArray) keys = dict_keys(w, a);

			rm = annot_verdict(w, a);
			drop = rm != NULL || keys->len == 0;
		}
		if (drop) {
			qpdf_oh_erase_item(w->q, v, i);
			if (rm != NULL)
				mg_cdr_result_removed(w->out, rm);
		}
		qpdf_oh_release(w->q, a);
	}
	qpdf_oh_release(w->q, v);
}

/*
 * Take out of one dictionary what must go.  Returns FALSE when the whole
 * dictionary was a banned action or annotation and has been emptied.
 */
static gboolean
sanitise(struct walk *w, qpdf_oh dict)
{
	const char *rm;
	gsize i;

	/* A dictionary may claim to be both an action and an annotation:
	 * either verdict empties it. */
	rm = action_verdict(w, dict, FALSE);
	if (rm == NULL)
		rm = annot_verdict(w, dict);
	if (rm != NULL) {
		neutralise(w, dict);
		mg_cdr_result_removed(w->out, rm);
		return FALSE;
	}
	/* An /OpenAction that is only a destination (an array, a name or a
	 * string: 12.3.2) does nothing but show a page; it goes all the
	 * same, but is not reported as an automatic action. */
	if (qpdf_oh_has_key(w->q, dict, "/OpenAction")) {
		qpdf_oh v = qpdf_oh_get_key(w->q, dict, "/OpenAction");

		if (qpdf_oh_is_dictionary(w->q, v))
			report_auto(w, v, FALSE);
		qpdf_oh_release(w->q, v);
		qpdf_oh_remove_key(w->q, dict, "/OpenAction");
	}
	for (i = 0; i < G_N_ELEMENTS(banned_keys); i++) {
		if (!qpdf_oh_has_key(w->q, dict, banned_keys[i].key))
			continue;
		if (strcmp(banned_keys[i].key, "/AA") == 0) {
			qpdf_oh v = qpdf_oh_get_key(w->q, dict, "/AA");

			if (qpdf_oh_is_dictionary(w->q, v))
				report_auto(w, v, TRUE);
			qpdf_oh_release(w->q, v);
		}
		qpdf_oh_remove_key(w->q, dict, banned_keys[i].key);
		mg_cdr_result_removed(w->out, banned_keys[i].rm);
	}
	filter_action_key(w, dict, "/A");
	filter_next(w, dict);
	filter_annots(w, dict);
	return TRUE;
}

/* Queue `oh` (owned: released here or by the walk) unless it was seen,
 * cannot hold anything, or a limit is hit. */
static void
push(struct walk *w, qpdf_oh oh, guint depth)
{
	enum qpdf_object_type_e t;
	struct item it;

	if (qpdf_oh_is_indirect(w->q, oh)) {
		/* The object number in the low half: g_int64_hash() hashes
		 * only that half on older GLib. */
		gint64 key =
		    (gint64)((guint64)(guint32)qpdf_oh_get_generation(w->q, oh)
		             << 32) |
		    (guint32)qpdf_oh_get_object_id(w->q, oh);

		if (g_hash_table_contains(w->visited, &key))
			goto drop;
		if (++w->objects > PDF_MAX_OBJECTS) {
			fail(w, MG_REASON_CDR_FAILED, "too many PDF objects");
			goto drop;
		}
		g_hash_table_add(w->visited, g_memdup2(&key, sizeof(key)));
	}
	t = qpdf_oh_get_type_code(w->q, oh);
	if (t != ot_dictionary && t != ot_array && t != ot_stream)
		goto drop;
	if (depth > PDF_MAX_DEPTH) {
		fail(w, MG_REASON_CDR_FAILED, "PDF objects nested too deep");
		goto drop;
	}
	it.oh = oh;
	it.depth = depth;
	g_array_append_val(w->stack, it);
	return;
drop:
	qpdf_oh_release(w->q, oh);
}

static void
visit_dict(struct walk *w, qpdf_oh dict, guint depth)
{
	g_autoptr(GPtrArray) keys = NULL;
	guint i;

	if (!sanitise(w, dict))
		return;
	/* Keys are collected after the removals, so that what was removed
	 * is not walked, and before any child is looked at. */
	keys = dict_keys(w, dict);
	for (i = 0; i < keys->len && w->reason == MG_REASON_NONE; i++) {
		w->nodes++;
		push(w, qpdf_oh_get_key(w->q, dict, g_ptr_array_index(keys, i)),
		    depth + 1);
	}
}

/*
 * A stream whose data lives in another file (7.3.8.2: /F, /FFilter,
 * /FDecodeParms), a reference XObject that imports a page from one
 * (8.10.4: /Ref) or an OPI proxy naming the print image (14.11.7): the
 * rebuilt stream keeps its own bytes only.
 */
static void
strip_external(struct walk *w, qpdf_oh dict)
{
	static const char *const keys[] = {
	    "/F", "/FFilter", "/FDecodeParms", "/Ref", "/OPI"};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (!qpdf_oh_has_key(w->q, dict, keys[i]))
			continue;
		qpdf_oh_remove_key(w->q, dict, keys[i]);
		mg_cdr_result_removed(w->out, MG_CDR_RM_EXTERNAL);
	}
}

static void
visit(struct walk *w, struct item *it)
{
	enum qpdf_object_type_e t = qpdf_oh_get_type_code(w->q, it->oh);
	int i, n;

	if (t == ot_dictionary) {
		visit_dict(w, it->oh, it->depth);
	} else if (t == ot_stream) {
		qpdf_oh d = qpdf_oh_get_dict(w->q, it->oh);

		strip_external(w, d);
		visit_dict(w, d, it->depth);
		qpdf_oh_release(w->q, d);
	} else if (t == ot_array) {
		n = qpdf_oh_get_array_n_items(w->q, it->oh);
		for (i = 0; i < n && w->reason == MG_REASON_NONE; i++) {
			w->nodes++;
			push(w, qpdf_oh_get_array_item(w->q, it->oh, i),
			    it->depth + 1);
		}
	}
}

/*
 * Refuse on the pending qpdf error or warning, if any: a file qpdf had
 * to guess about is not one we rebuild.  `rc` is what the last call that
 * returns one gave.  qpdf_get_error() is asked rather than
 * qpdf_has_error(), which does not see every error (qpdf 11.3 leaves a
 * writer error to qpdf_get_error() only).
 */
static gboolean
qpdf_failed(struct walk *w, QPDF_ERROR_CODE rc)
{
	qpdf_error e = qpdf_get_error(w->q);

	if (e != NULL) {
		if (qpdf_get_error_code(w->q, e) == qpdf_e_password)
			fail(w, MG_REASON_ENCRYPTED, "encrypted PDF");
		else
			fail(w, MG_REASON_CDR_FAILED,
			    qpdf_get_error_message_detail(w->q, e));
		return TRUE;
	}
	if (qpdf_more_warnings(w->q)) {
		e = qpdf_next_warning(w->q);
		fail(w, MG_REASON_CDR_FAILED,
		    e != NULL ? qpdf_get_error_message_detail(w->q, e) : NULL);
		return TRUE;
	}
	if (rc & QPDF_ERRORS) {
		fail(w, MG_REASON_CDR_FAILED, "qpdf failed");
		return TRUE;
	}
	return w->reason != MG_REASON_NONE;
}

/*
 * [cdr] metadata = strip: the document information dictionary (trailer
 * /Info, 14.3.3: author, creator tool, dates) and the catalog's XMP
 * stream (/Metadata, 14.3.2) go; page-level XMP and /PieceInfo (private
 * application data, 14.5) go with them in the walk's banned keys when
 * present.  Unreferenced, they are not written.
 */
static void
strip_metadata(struct walk *w)
{
	qpdf_oh trailer = qpdf_get_trailer(w->q);
	qpdf_oh root = qpdf_get_root(w->q);

	if (qpdf_oh_has_key(w->q, trailer, "/Info")) {
		qpdf_oh_remove_key(w->q, trailer, "/Info");
		mg_cdr_result_removed(w->out, MG_CDR_RM_METADATA);
	}
	if (qpdf_oh_is_dictionary(w->q, root)) {
		if (qpdf_oh_has_key(w->q, root, "/Metadata")) {
			qpdf_oh_remove_key(w->q, root, "/Metadata");
			mg_cdr_result_removed(w->out, MG_CDR_RM_METADATA);
		}
		if (qpdf_oh_has_key(w->q, root, "/PieceInfo")) {
			qpdf_oh_remove_key(w->q, root, "/PieceInfo");
			mg_cdr_result_removed(w->out, MG_CDR_RM_METADATA);
		}
	}
	qpdf_oh_release(w->q, root);
	qpdf_oh_release(w->q, trailer);
}

/* Walk everything reachable from the trailer (7.5.5). */
static void
walk_all(struct walk *w)
{
	push(w, qpdf_get_trailer(w->q), 0);
	while (w->stack->len > 0 && w->reason == MG_REASON_NONE) {
		struct item it =
		    g_array_index(w->stack, struct item, w->stack->len - 1);

		g_array_set_size(w->stack, w->stack->len - 1);
		visit(w, &it);
		qpdf_oh_release(w->q, it.oh);
		if (w->nodes > PDF_MAX_NODES)
			fail(w, MG_REASON_CDR_FAILED, "too many PDF values");
		if (++w->visits % PDF_WARN_EVERY == 0)
			qpdf_failed(w, QPDF_SUCCESS);
	}
}

/*
 * Where the last "%%EOF" ends (7.5.5), or 0 when there is none: a file
 * cut short before its end-of-file marker is refused even when what is
 * left happens to parse.
 */
static gsize
eof_end(const guint8 *p, gsize len)
{
	static const char eof[] = "%%EOF";
	gsize n = sizeof(eof) - 1, i;

	for (i = len; i >= n; i--)
		if (memcmp(p + i - n, eof, n) == 0)
			return i;
	return 0;
}

/* Whether anything but white space follows the end: a second file
 * appended to the PDF, which the rewrite leaves behind. */
static gboolean
has_trailing_data(const guint8 *p, gsize len, gsize end)
{
	for (; end < len; end++)
		if (!g_ascii_isspace(p[end]) && p[end] != '\0')
			return TRUE;
	return FALSE;
}

/* "%PDF-" within the first 1024 bytes, where readers look for it. */
static gboolean
has_header(const guint8 *data, gsize len)
{
	gsize i, n = MIN(len, 1024);

	for (i = 0; i + 5 <= n; i++)
		if (memcmp(data + i, "%PDF-", 5) == 0)
			return TRUE;
	return FALSE;
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	if (g_strcmp0(type, "application/pdf") == 0)
		return 100;
	if (data != NULL && has_header(data, len))
		return 80;
	return 0;
}

static void
refuse(struct mg_cdr_result *out, enum mg_reason reason, const char *detail)
{
	mg_cdr_refuse(out, reason, g_strdup(detail));
}

static void
write_pdf(struct walk *w, struct mg_cdr_result *out)
{
	const unsigned char *buf;
	size_t len;

	if (qpdf_failed(w, qpdf_init_write_memory(w->q)))
		return;
	/* Objects not reachable from the trailer are not written (the
	 * default, kept explicit): that is how removed payloads leave. */
	qpdf_set_preserve_unreferenced_objects(w->q, QPDF_FALSE);
	qpdf_set_preserve_encryption(w->q, QPDF_FALSE);
	qpdf_set_object_stream_mode(w->q, qpdf_o_preserve);
	/* Stream data is copied, never decoded: nothing to inflate, and the
	 * page content stays byte for byte what it was. */
	qpdf_set_decode_level(w->q, qpdf_dl_none);
	qpdf_set_compress_streams(w->q, QPDF_TRUE);
	qpdf_set_deterministic_ID(w->q, QPDF_TRUE);
	qpdf_set_linearization(w->q, QPDF_FALSE);
	if (qpdf_failed(w, qpdf_write(w->q)))
		return;
	len = qpdf_get_buffer_length(w->q);
	buf = qpdf_get_buffer(w->q);
	if (buf == NULL || len == 0) {
		fail(w, MG_REASON_CDR_FAILED, "qpdf wrote nothing");
		return;
	}
	if (len > w->ctx->limits->max_part_size) {
		fail(w, MG_REASON_PART_TOO_LARGE, "rebuilt PDF too large");
		return;
	}
	out->data = g_bytes_new(buf, len);
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	struct walk w = {0};
	gsize len, end;
	const guint8 *data = g_bytes_get_data(in, &len);

	if (len > ctx->limits->max_part_size) {
		refuse(out, MG_REASON_PART_TOO_LARGE, "PDF too large");
		return MG_OK;
	}
	if (data == NULL || len == 0) {
		refuse(out, MG_REASON_CDR_FAILED, "empty PDF");
		return MG_OK;
	}
	if ((end = eof_end(data, len)) == 0) {
		refuse(out, MG_REASON_CDR_FAILED, "no %%EOF: truncated PDF");
		return MG_OK;
	}
	w.q = qpdf_init();
	if (w.q == NULL)
		return MG_FAIL;
	w.ctx = ctx;
	w.out = out;
	w.visited =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	w.stack = g_array_new(FALSE, FALSE, sizeof(struct item));
	/* Errors and warnings are ours to read, not qpdf's to print. */
	qpdf_silence_errors(w.q);
	qpdf_set_suppress_warnings(w.q, QPDF_TRUE);
	qpdf_set_attempt_recovery(w.q, QPDF_FALSE);

	/* qpdf reads from `data` without copying it; `in` outlives w.q. */
	if (qpdf_failed(&w, qpdf_read_memory(w.q, "attachment.pdf",
	                        (const char *)data, len, "")))
		goto out;
	if (qpdf_is_encrypted(w.q)) {
		fail(&w, MG_REASON_ENCRYPTED, "encrypted PDF");
		goto out;
	}
	if (!ctx->keep_metadata)
		strip_metadata(&w);
	walk_all(&w);
	if (qpdf_failed(&w, QPDF_SUCCESS))
		goto out;
	write_pdf(&w, out);
	if (w.reason != MG_REASON_NONE)
		goto out;
	if (has_trailing_data(data, len, end))
		mg_cdr_result_removed(out, MG_CDR_RM_TRAILING);
	out->outcome = MG_CDR_REBUILT;
	out->mime_type = g_strdup("application/pdf");
out:
	/* An error or warning not yet seen refuses too (and qpdf_cleanup()
	 * would print it). */
	qpdf_failed(&w, QPDF_SUCCESS);
	if (w.reason != MG_REASON_NONE)
		refuse(out, w.reason, w.detail);
	/* Handles still queued go with qpdf_cleanup(). */
	g_array_unref(w.stack);
	g_hash_table_unref(w.visited);
	g_free(w.detail);
	qpdf_cleanup(&w.q);
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_pdf = {"pdf", bid, rebuild};
