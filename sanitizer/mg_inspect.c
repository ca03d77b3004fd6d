/*
 * mg_inspect.c - what a removed part really is: its true type against its
 * name and the policy's blocked lists, a malware scan, and for archives
 * and TNEF every member, recursively, through the same checks.
 *
 * Input: decoded bytes of a MIME part, an embedded (uuencode/BinHex)
 * block or an archive member, and the name the sender gave it: all
 * untrusted.  Limits: archive nesting (max_archive_depth), and through
 * mg_unpack the member count, per-member size, total size and expansion
 * ratio, charged against one budget per message.  A limit hit, an
 * encrypted member, an unsafe member name or a scan that could not finish
 * is a reason that holds the message: nothing is ever "clean" because it
 * could not be looked at.  Members are appended to w->parts after their
 * archive; the walk owns every record.
 */
#include <string.h>

#include <gio/gio.h>

#include "cdr/cdr_ole2.h"
#include "detect/mg_detect.h"
#include "mime/mg_walk.h"
#include "scan/mg_scan.h"
#include "unpack/mg_unpack.h"
#include "util/mg_util.h"

/* Detected types that are archives we open to list and scan members. */
static const char *const archive_types[] = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-7z-compressed",
    "application/x-rar",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/x-lha",
    "application/x-lzh-compressed",
    "application/vnd.ms-cab-compressed",
    "application/x-tar",
    "application/x-gtar",
    "application/gzip",
    "application/x-gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/zstd",
    "application/x-lz4",
    "application/x-lzma",
    "application/x-compress",
    "application/x-cpio",
    "application/x-archive",
    "application/x-iso9660-image",
    "application/x-xar",
    NULL,
};

/* Extensions of documents and media a double extension hides behind. */
static const char *const decoy_extensions[] = {"pdf", "doc", "docx", "xls",
    "xlsx", "ppt", "pptx", "txt", "rtf", "csv", "jpg", "jpeg", "png", "gif",
    "bmp", "tif", "tiff", "htm", "html", "zip", "lzh", "mp3", "mp4", "wav",
    "jtd", "hwp", "odt", "ods", NULL};

static gboolean
in_list(const char *const *list, const char *s)
{
	guint i;

	if (list == NULL || s == NULL)
		return FALSE;
	for (i = 0; list[i] != NULL; i++)
		if (g_ascii_strcasecmp(list[i], s) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
has_bidi(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2)
			return FALSE;
		if ((c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
		    c == 0x200f || c == 0x061c)
			return TRUE;
	}
	return FALSE;
}

/*
 * "report.pdf.exe", "写真.jpg　　　　.scr": an executable extension right
 * after a document's, or after a run of padding that pushes it out of
 * sight in a file list.
 */
static gboolean
has_double_extension(const struct mg_policy *pol, const char *name)
{
	const char *dot;
	g_autofree char *last = mg_name_extension(name);
	g_autofree char *prev = NULL;
	guint pad = 0;

	if (last == NULL ||
	    !in_list((const char *const *)pol->blocked_extensions, last))
		return FALSE;
	dot = g_strrstr(name, ".");
	/* Padding before the last dot: spaces, ideographic spaces, "_". */
	while (dot > name) {
		const char *q = g_utf8_prev_char(dot);
		gunichar c = g_utf8_get_char(q);

		if (c != ' ' && c != 0x3000 && c != '_')
			break;
		pad++;
		dot = q;
	}
	if (pad >= 5)
		return TRUE;
	{
		g_autofree char *head = g_strndup(name, (gsize)(dot - name));

		prev = mg_name_extension(head);
	}
	return prev != NULL && in_list(decoy_extensions, prev);
}

/* Set the part's reason when it is stronger than the one it has. */
static void
part_reason(struct mg_part *p, enum mg_reason r)
{
	static const enum mg_reason order[] = {MG_REASON_VIRUS,
	    MG_REASON_BIDI_NAME, MG_REASON_TYPE_MISMATCH,
	    MG_REASON_DOUBLE_EXTENSION, MG_REASON_ENCRYPTED,
	    MG_REASON_ARCHIVE_BOMB, MG_REASON_UNSAFE_MEMBER_NAME,
	    MG_REASON_ARCHIVE_TOO_DEEP, MG_REASON_TOO_MANY_MEMBERS,
	    MG_REASON_SCAN_LIMIT, MG_REASON_SCAN_ERROR,
	    MG_REASON_MEMBER_TOO_LARGE, MG_REASON_DAMAGED_ARCHIVE,
	    MG_REASON_BLOCKED_TYPE};
	guint i, have = G_N_ELEMENTS(order), want = G_N_ELEMENTS(order);

	for (i = 0; i < G_N_ELEMENTS(order); i++) {
		if (order[i] == p->reason)
			have = i;
		if (order[i] == r)
			want = i;
	}
	if (want < have)
		p->reason = r;
	p->action = MG_ACTION_REMOVED;
}

/* A verdict on a part that is also a verdict on the message. */
static void
verdict(struct mg_walk *w, struct mg_part *p, enum mg_reason r)
{
	part_reason(p, r);
	mg_walk_add_reason(w, r);
}

static void
add_threat(struct mg_walk *w, struct mg_part *p, const char *threat)
{
	guint i;

	if (p->threat == NULL)
		p->threat = g_strdup(threat);
	for (i = 0; i < w->threats->len; i++)
		if (strcmp(g_ptr_array_index(w->threats, i), threat) == 0)
			return;
	g_ptr_array_add(w->threats, g_strdup(threat));
}

void
mg_inspect_scan_only(struct mg_walk *w, struct mg_part *p, const void *data,
    gsize len, const char *name)
{
	mg_inspect_scan_opts(w, p, data, len, name, TRUE);
}

void
mg_inspect_scan_opts(struct mg_walk *w, struct mg_part *p, const void *data,
    gsize len, const char *name, gboolean parse_mail)
{
	g_autofree char *threat = NULL;

	if (w->scan == NULL)
		return;
	switch (mg_scan_buffer_opts(
	    w->scan, data, len, name, parse_mail, &threat)) {
	case MG_SCAN_CLEAN:
		return;
	case MG_SCAN_VIRUS:
		verdict(w, p, MG_REASON_VIRUS);
		add_threat(w, p, threat);
		return;
	case MG_SCAN_ENCRYPTED:
		verdict(w, p, MG_REASON_ENCRYPTED);
		return;
	case MG_SCAN_LIMIT:
		verdict(w, p, MG_REASON_SCAN_LIMIT);
		break;
	case MG_SCAN_ERROR:
		verdict(w, p, MG_REASON_SCAN_ERROR);
		break;
	}
	if (threat != NULL && p->note == NULL)
		p->note = g_strdup(threat);
}

/*
 * The name against the content: a bidi control, a double extension, an
 * executable under a document's name, or a blocked type or extension.
 */
static void
check_name_and_type(struct mg_walk *w, struct mg_part *p)
{
	const struct mg_policy *pol = w->policy;
	const char *name = p->filename != NULL ? p->filename : "";
	g_autofree char *ext = mg_name_extension(name);
	gboolean dangerous =
	    in_list((const char *const *)pol->blocked_types, p->detected_type);
	gboolean blocked_ext =
	    ext != NULL &&
	    in_list((const char *const *)pol->blocked_extensions, ext);

	/* libmagic's name for an Office file under a password (CDFV2
	 * EncryptedPackage), which libclamav reports clean. */
	if (g_strcmp0(p->detected_type, "application/encrypted") == 0)
		verdict(w, p, MG_REASON_ENCRYPTED);
	if (has_bidi(name))
		verdict(w, p, MG_REASON_BIDI_NAME);
	if (has_double_extension(pol, name))
		verdict(w, p, MG_REASON_DOUBLE_EXTENSION);
	/* An executable whose name (or declared type) says it is something
	 * else: the name is a disguise. */
	if (dangerous && ext != NULL && !blocked_ext)
		verdict(w, p, MG_REASON_TYPE_MISMATCH);
	if (dangerous || blocked_ext) {
		part_reason(p, MG_REASON_BLOCKED_TYPE);
		mg_walk_add_reason(w, MG_REASON_BLOCKED_TYPE);
		if (pol->hold_blocked)
			w->structural = TRUE;
	}
}

gboolean
mg_inspect_is_tnef(const struct mg_part *p)
{
	return g_strcmp0(p->declared_type, "application/ms-tnef") == 0 ||
	       g_strcmp0(p->detected_type, "application/vnd.ms-tnef") == 0 ||
	       (p->filename != NULL &&
	           g_ascii_strcasecmp(p->filename, "winmail.dat") == 0);
}

struct members {
	struct mg_walk *w;
	struct mg_part *parent;
	char *parent_path;
	char *parent_name;
	guint depth;
	gboolean quiet; /* list only members with a finding */
};

/* Extensions of documents that are zip containers (OOXML, ODF, EPUB):
 * their members are inspected like any archive's, but listed only when
 * something is found, since "xl/workbook.xml" means nothing to a reader. */
static const char *const document_zip_extensions[] = {"docx", "docm", "dotx",
    "dotm", "xlsx", "xlsm", "xltx", "xltm", "xlsb", "xlam", "pptx", "pptm",
    "potx", "potm", "ppsx", "ppsm", "odt", "ods", "odp", "odg", "ott", "ots",
    "otp", "epub", "hwpx", "vsdx", "xps", "oxps", NULL};

static gboolean
is_document_zip(const struct mg_part *p)
{
	const char *name = p->filename != NULL ? p->filename : "";
	g_autofree char *ext = mg_name_extension(name);
	const char *t = p->declared_type != NULL ? p->declared_type : "";

	return in_list(document_zip_extensions, ext) ||
	       g_str_has_prefix(t, "application/vnd.openxmlformats-") ||
	       g_str_has_prefix(t, "application/vnd.oasis.opendocument.") ||
	       g_str_has_prefix(
	           p->detected_type != NULL ? p->detected_type : "",
	           "application/vnd.openxmlformats-") ||
	       g_str_has_prefix(
	           p->detected_type != NULL ? p->detected_type : "",
	           "application/vnd.oasis.opendocument.");
}

static const char *
kind_note(enum mg_member_kind k)
{
	switch (k) {
	case MG_MEMBER_SYMLINK:
		return "symlink";
	case MG_MEMBER_HARDLINK:
		return "hardlink";
	case MG_MEMBER_DEVICE:
		return "device";
	case MG_MEMBER_OTHER:
		return "special file";
	default:
		return NULL;
	}
}

static char *
type_from_name(const char *name)
{
	g_autofree char *ct = NULL;
	gboolean uncertain = TRUE;

	if (name == NULL || *name == '\0')
		return NULL;
	ct = g_content_type_guess(name, NULL, 0, &uncertain);
	if (ct == NULL || uncertain)
		return NULL;
	return g_content_type_get_mime_type(ct);
}

static gboolean
on_member(const struct mg_member *m, void *data)
{
	struct members *mc = data;
	struct mg_walk *w = mc->w;
	g_autofree char *path = NULL;
	struct mg_part *p;

	if (m->kind == MG_MEMBER_DIR && !m->unsafe_name)
		return TRUE; /* a directory entry carries no content */
	path = g_strdup_printf("%s/%u", mc->parent_path, m->index);
	p = mg_walk_add_part(
	    w, path, MG_ACTION_REMOVED, MG_REASON_ARCHIVE_MEMBER);
	p->filename = g_strdup(m->name);
	p->declared_type = type_from_name(m->name);
	p->container = g_strdup(mc->parent_name);
	p->size = m->size;
	if (kind_note(m->kind) != NULL) {
		p->note = g_strdup(kind_note(m->kind));
		verdict(w, p, MG_REASON_UNSAFE_MEMBER_NAME);
	}
	if (m->unsafe_name)
		verdict(w, p, MG_REASON_UNSAFE_MEMBER_NAME);
	if (m->encrypted) {
		verdict(w, p, MG_REASON_ENCRYPTED);
		return TRUE;
	}
	if (m->data != NULL) {
		mg_inspect_part(w, p, m->data, mc->depth + 1);
	} else if (m->kind == MG_MEMBER_FILE && m->truncated) {
		/* Not extracted whole: over the size limit, or stopped by
		 * a read error or the archive's limits (whose flags are the
		 * verdict on the message). */
		if (m->size > w->policy->limits.max_member_size)
			verdict(w, p, MG_REASON_MEMBER_TOO_LARGE);
		else
			p->note = g_strdup("not extracted completely");
	}
	if (mc->quiet && p->reason == MG_REASON_ARCHIVE_MEMBER &&
	    g_ptr_array_index(w->parts, w->parts->len - 1) == p)
		g_ptr_array_remove_index(w->parts, w->parts->len - 1);
	return TRUE;
}

/* Flags of mg_unpack() become reasons on the archive and the message. */
static void
unpack_verdicts(struct mg_walk *w, struct mg_part *p, guint flags)
{
	if (flags & MG_UNPACK_ENCRYPTED)
		verdict(w, p, MG_REASON_ENCRYPTED);
	if (flags & MG_UNPACK_BOMB)
		verdict(w, p, MG_REASON_ARCHIVE_BOMB);
	if (flags & MG_UNPACK_TOO_MANY)
		verdict(w, p, MG_REASON_TOO_MANY_MEMBERS);
	if (flags & MG_UNPACK_MEMBER_TOO_LARGE)
		verdict(w, p, MG_REASON_MEMBER_TOO_LARGE);
	if (flags & MG_UNPACK_DAMAGED)
		verdict(w, p, MG_REASON_DAMAGED_ARCHIVE);
	if (flags & (MG_UNPACK_UNSAFE_NAME | MG_UNPACK_LINKS))
		verdict(w, p, MG_REASON_UNSAFE_MEMBER_NAME);
}

static void
open_container(
    struct mg_walk *w, struct mg_part *p, GBytes *b, guint archive_depth)
{
	struct mg_unpack_budget budget = {w->archive_bytes, w->archive_members};
	struct members mc = {w, p, p->path,
	    p->filename != NULL ? p->filename : p->path, archive_depth,
	    is_document_zip(p)};
	gsize len;
	const void *data = g_bytes_get_data(b, &len);
	gboolean tnef = mg_inspect_is_tnef(p);
	guint flags;

	if (!tnef && !in_list(archive_types, p->detected_type) &&
	    !(mc.quiet && mg_unpack_format(data, len) != NULL) &&
	    !(g_strcmp0(p->detected_type, "application/octet-stream") == 0 &&
	        mg_unpack_format(data, len) != NULL))
		return;
	if (archive_depth + 1 > w->policy->limits.max_archive_depth) {
		verdict(w, p, MG_REASON_ARCHIVE_TOO_DEEP);
		return;
	}
	if (tnef) {
		GBytes *body = NULL;
		gboolean html = FALSE;

		flags = mg_unpack_tnef(data, len, &w->policy->limits, &budget,
		    on_member, &mc, &body, &html);
		if (body != NULL && w->tnef_body == NULL) {
			w->tnef_body = body;
			w->tnef_body_html = html;
		} else if (body != NULL) {
			g_bytes_unref(body);
		}
	} else {
		flags = mg_unpack(
		    data, len, &w->policy->limits, &budget, on_member, &mc);
	}
	w->archive_bytes = budget.total_bytes;
	w->archive_members = budget.members;
	unpack_verdicts(w, p, flags);
}

void
mg_inspect_part(
    struct mg_walk *w, struct mg_part *p, GBytes *b, guint archive_depth)
{
	gsize len;
	const void *data = g_bytes_get_data(b, &len);

	if (p->sha256 == NULL) {
		p->size = len;
		p->sha256 = mg_sha256_hex(data, len);
	}
	if (p->detected_type == NULL)
		p->detected_type = mg_detect_type(data, len);
	check_name_and_type(w, p);
	/* Legacy Office under a password (RC4, XOR obfuscation), which
	 * libmagic types as plain msword, vnd.ms-excel...: it cannot be
	 * scanned or rebuilt (PPAP). */
	if (g_strcmp0(p->detected_type, "application/encrypted") != 0 &&
	    mg_cdr_ole2_encrypted(data, len))
		verdict(w, p, MG_REASON_ENCRYPTED);
	mg_inspect_scan_only(w, p, data, len, p->filename);
	open_container(w, p, b, archive_depth);
}
