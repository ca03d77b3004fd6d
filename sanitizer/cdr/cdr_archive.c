/*
 * cdr_archive.c - CDR for archives: zip, 7z, RAR (4 and 5), LHA/LZH, CAB,
 * tar (plain or compressed), and lone gzip/bzip2/xz/lzma/lzip/zstd files.
 * Each is rebuilt as a new zip (PKWARE APPNOTE 6.3.x) that holds what the
 * walk gave back for each member; members the walk refused are left out.
 *
 * The archive is read by mg_unpack() (sanitizer/unpack/), the same reader
 * the inspection uses: its formats, its CP932 name decoding, its
 * encryption checks (ZipCrypto, WinZip AES, 7z AES, RAR, and its own walk
 * of RAR 5 headers), its limits and its checks for polyglots and hidden
 * tails.  Every regular member goes to ctx->nested (the single walk:
 * scanned, typed, rebuilt or refused, a nested archive coming back here
 * with ctx->depth + 1); without a walk (unit tests) every member is left
 * out, as mg_cdr.h says.  A lone compressed file becomes a zip holding its
 * one member, named by the gzip header (RFC 1952, 2.3) or "data".
 *
 * Refused as a whole: an encrypted archive or member (no passphrase is
 * ever tried: MG_REASON_ENCRYPTED), an archive bomb (expansion ratio or
 * total bytes), too many members, a damaged archive (unreadable data, a
 * polyglot, bytes after a tar's end: another reader could see members we
 * do not), nesting past max_archive_depth, and an output over
 * max_part_size.  Left out, with MG_CDR_RM_EMBEDDED: what the walk
 * refused, symlinks, hard links, devices, FIFOs, and members over
 * max_member_size.  Directories are kept only implicitly, through the
 * names of the files inside them.
 *
 * Names (untrusted, UTF-8 from mg_unpack, invalid bytes escaped as \xNN)
 * are never used as paths here, but the recipient will extract the zip,
 * so each is rewritten: NFC; only '/' separates directories (libarchive's
 * zip and RAR readers already turn a backslash into '/', as Windows tools
 * read it; one left in a name, as a tar keeps it, becomes '_', never a
 * directory); empty, "." and ".." components and components of dots
 * only go, so nothing is absolute or climbs out;
 * controls, bidi and invisible format characters, and the characters
 * Windows refuses in names (: * ? " < > |, ':' would open an NTFS
 * stream) become '_'; trailing dots and spaces go (Windows drops them,
 * which would change the extension shown); DOS device names (CON, NUL,
 * COM1 …) get a leading '_'; components are cut to MAX_COMPONENT bytes
 * and paths to MAX_DIRS directories.  The extension is replaced when the
 * walk changed what the member is (a.docm -> a.docx).  Names that would
 * collide on a case-insensitive file system, or where a file and a
 * directory would share a path, get " (2)", " (3)" … before the
 * extension.
 *
 * The output is always rebuilt, also for a zip whose members all come
 * back unchanged: it is deterministic (fixed time stamps, mode 0644,
 * deflate, UTF-8 names with the language encoding flag, general purpose
 * bit 11, on every name that is not ASCII), and carries nothing of the
 * input's layout (comments, extra fields, padding, trailing bytes).
 *
 * Limits: the input (max_part_size), the archive depth (ctx->depth
 * against max_archive_depth), and through mg_unpack the member count, the
 * bytes of one member, the total bytes and the expansion ratio; the
 * output (max_part_size), written into a bounded buffer.  The budget is
 * this archive's own (the walk charged the message's while inspecting).
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cdr/mg_cdr.h"
#include "unpack/mg_unpack.h"
#include "util/mg_util.h"

/* Bytes of one name component (most file systems stop at 255). */
#define MAX_COMPONENT 255
/* Directories kept in one path; deeper ones are dropped. */
#define MAX_DIRS 32

/* libmagic's types for the formats we rebuild. */
static const char *const archive_types[] = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-7z-compressed",
    "application/x-rar",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/x-lha",
    "application/x-lzh-compressed",
    "application/x-lzh",
    "application/vnd.ms-cab-compressed",
    "application/x-tar",
    "application/x-gtar",
    "application/x-ustar",
    "application/gzip",
    "application/x-gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-lzma",
    "application/x-lzip",
    "application/zstd",
    NULL,
};

/* Names that say archive, for bytes libmagic could only call
 * application/octet-stream. */
static const char *const archive_exts[] = {"zip", "7z", "rar", "lzh", "lha",
    "cab", "tar", "tgz", "tbz", "tbz2", "tb2", "txz", "tzst", "gz", "bz2", "xz",
    "lzma", "lz", "zst", NULL};

/* What mg_unpack_format() must say.  Not cpio, ar, xar or ISO 9660 (no
 * mail archive format; ISO images are a blocked type), nor lz4 and
 * compress. */
static const char *const formats[] = {"zip", "7zip", "rar", "rar5", "lha",
    "cab", "tar", "gzip", "bzip2", "xz", "lzma", "lzip", "zstd", NULL};

/* Documents that are zips (OOXML, ODF, EPUB …): other modules' business,
 * or none's; rebuilding one as a zip of its parts would be no use. */
static const char *const document_exts[] = {"docx", "docm", "dotx", "dotm",
    "xlsx", "xlsm", "xltx", "xltm", "xlsb", "xlam", "pptx", "pptm", "potx",
    "potm", "ppsx", "ppsm", "odt", "ods", "odp", "odg", "ott", "ots", "otp",
    "otg", "epub", "hwpx", "vsdx", "xps", "oxps", "jar", "apk", NULL};

/*
 * ODF and EPUB packages start with a stored member named "mimetype"
 * (ODF 1.2 Part 3, 3.3; EPUB OCF 3.0, 4.1.3); the local file header's
 * name is at offset 30 (APPNOTE 4.3.7).
 */
static gboolean
mimetype_first(const guint8 *data, gsize len)
{
	return len >= 38 && memcmp(data, "PK\x03\x04", 4) == 0 &&
	       data[26] == 8 && data[27] == 0 &&
	       memcmp(data + 30, "mimetype", 8) == 0;
}

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	gboolean octet =
	    type == NULL || strcmp(type, "application/octet-stream") == 0;

	if (data == NULL || len == 0 || mg_cdr_in_list(ext, document_exts, -1))
		return 0;
	if (!mg_cdr_in_list(type, archive_types, -1) &&
	    !(octet && (ext == NULL || mg_cdr_in_list(ext, archive_exts, -1))))
		return 0;
	/* ODF and EPUB packages, also without their leading "mimetype" or
	 * under another name: documents, not archives (no module yet). */
	if (mimetype_first(data, len) ||
	    mg_cdr_zip_names(data, len, "META-INF/manifest.xml", FALSE) ||
	    mg_cdr_zip_names(data, len, "META-INF/container.xml", FALSE))
		return 0;
	if (!mg_cdr_in_list(mg_unpack_format(data, len), formats, -1))
		return 0;
	/* Low: a document module that recognises a zip (OOXML bids 60 on
	 * a generic application/zip with its parts) wins. */
	return 40;
}

/* ---- names ---- */

/* Characters Windows refuses in a name: ':' would even open an NTFS
 * alternate data stream ("a.txt:b.exe"). */
static gboolean
windows_bad(char c)
{
	return c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
	       c == '>' || c == '|';
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension. */
static gboolean
dos_device(const char *s)
{
	static const char *const dev3[] = {"con", "prn", "aux", "nul", NULL};
	gsize n = strcspn(s, ".");

	if (n == 3) {
		char d[4] = {s[0], s[1], s[2], 0};

		return mg_cdr_in_list(d, dev3, -1);
	}
	return n == 4 &&
	       (g_ascii_strncasecmp(s, "com", 3) == 0 ||
	           g_ascii_strncasecmp(s, "lpt", 3) == 0) &&
	       s[3] >= '1' && s[3] <= '9';
}

/* Cut `s` to at most `max` bytes on a character boundary. */
static void
cut_utf8(GString *s, gsize max)
{
	const char *end;

	if (s->len <= max)
		return;
	end = g_utf8_find_prev_char(s->str, s->str + max + 1);
	g_string_truncate(s, end != NULL ? (gsize)(end - s->str) : 0);
}

/*
 * One component made safe, or NULL when it is to go (empty, dots only).
 * `last`: the file name, whose extension is kept when cutting and
 * replaced by new_ext when set.
 */
static char *
safe_component(const char *raw, gsize n, gboolean last, const char *new_ext)
{
	g_autofree char *c = NULL;
	g_autofree char *d = NULL;
	const char *p, *end = raw + n;
	GString *s;
	char *dot;
	gsize ext_len = 0;

	/*
	 * A backslash is a separator to Windows tools: never a directory
	 * here, and mg_name_deliverable must not cut the name at it.  Every
	 * control, format (bidi, zero-width) and line or paragraph
	 * separator character goes, beyond mg_name_deliverable's list.
	 */
	s = g_string_sized_new(n);
	for (p = raw; p < end; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(u);

		if (u == '\\' || (u < 0x80 && windows_bad((char)u)) ||
		    t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
		    t == G_UNICODE_LINE_SEPARATOR ||
		    t == G_UNICODE_PARAGRAPH_SEPARATOR ||
		    t == G_UNICODE_SURROGATE)
			g_string_append_c(s, '_');
		else
			g_string_append_unichar(s, u);
	}
	c = g_string_free(s, FALSE);
	if (strspn(c, ".") == strlen(c))
		return NULL;
	/* Controls, bidi and invisible characters become '_'. */
	d = mg_name_deliverable(c, last ? new_ext : NULL);
	s = g_string_new(d);
	while (s->len > 0 &&
	       (s->str[s->len - 1] == '.' || s->str[s->len - 1] == ' '))
		g_string_truncate(s, s->len - 1);
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	if (dos_device(s->str))
		g_string_prepend_c(s, '_');
	if (s->len > MAX_COMPONENT) {
		dot = last ? strrchr(s->str, '.') : NULL;
		if (dot != NULL && dot != s->str &&
		    (gsize)(s->str + s->len - dot) <= 32)
			ext_len = (gsize)(s->str + s->len - dot);
		if (ext_len > 0) {
			g_autofree char *e = g_strdup(dot);

			g_string_truncate(s, (gsize)(dot - s->str));
			cut_utf8(s, MAX_COMPONENT - ext_len);
			g_string_append(s, e);
		} else {
			cut_utf8(s, MAX_COMPONENT);
		}
	}
	return g_string_free(s, FALSE);
}

/* The safe components of a member name: directories, then the file. */
static GPtrArray *
safe_components(const char *name, const char *new_ext)
{
	g_autofree char *nfc = g_utf8_normalize(name, -1, G_NORMALIZE_NFC);
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	const char *s = nfc != NULL ? nfc : name;
	const char *last = strrchr(s, '/');
	const char *p, *q;
	char *c;

	last = last != NULL ? last + 1 : s;
	for (p = s; p < last; p = q + 1) {
		q = strchr(p, '/');
		c = safe_component(p, (gsize)(q - p), FALSE, NULL);
		if (c != NULL && v->len < MAX_DIRS)
			g_ptr_array_add(v, c);
		else
			g_free(c);
	}
	c = safe_component(last, strlen(last), TRUE, new_ext);
	if (c == NULL)
		c = mg_name_deliverable("file", new_ext);
	g_ptr_array_add(v, c);
	return v;
}

/* ---- the job ---- */

struct sink {
	GByteArray *buf;
	guint64 max;
	gboolean full;
};

struct job {
	struct mg_cdr_ctx *ctx;
	struct mg_cdr_result *out;
	struct archive *w;
	struct sink sink;
	/* Case-folded paths taken by files and by directories, and for
	 * each a counter of the suffixes tried, so that a thousand members
	 * of one name cost a thousand look-ups, not half a million. */
	GHashTable *files, *dirs, *next;
	gboolean write_failed;
	char *lone_name; /* a lone compressed file: its member's name */
};

/*
 * Past the limit the bytes are dropped, not refused: libarchive 3.6.2's
 * zip writer leaks its deflate stream (about 260 kB) when a write fails
 * inside an entry.  The entry ends normally, on_member stops the walk,
 * and the result is refused.
 */
static la_ssize_t
sink_write(struct archive *a, void *data, const void *buf, size_t n)
{
	struct sink *s = data;

	(void)a;
	if (s->full || (guint64)s->buf->len + n > s->max)
		s->full = TRUE;
	else
		g_byte_array_append(s->buf, buf, (guint)n);
	return (la_ssize_t)n;
}

static char *
fold(const char *s)
{
	return g_utf8_casefold(s, -1);
}

/* "name (k).ext" for a file, "name (k)" for a directory. */
static char *
numbered(const char *c, gboolean file, guint k)
{
	const char *dot = file ? strrchr(c, '.') : NULL;

	if (dot == NULL || dot == c)
		return g_strdup_printf("%s (%u)", c, k);
	return g_strdup_printf("%.*s (%u)%s", (int)(dot - c), c, k, dot);
}

/* Join components 0..n-1 with '/'. */
static char *
join(GPtrArray *v, guint n)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(s, '/');
		g_string_append(s, g_ptr_array_index(v, i));
	}
	return g_string_free(s, FALSE);
}

/* TRUE when the path of the first n components is taken for what the
 * n-th component is (a directory must not be a file, a file neither). */
static gboolean
taken(struct job *j, GPtrArray *v, guint n, gboolean file)
{
	g_autofree char *p = join(v, n);
	g_autofree char *k = fold(p);

	return g_hash_table_contains(j->files, k) ||
	       (file && g_hash_table_contains(j->dirs, k));
}

/* Rename component i (numbered suffix) until its path is free. */
static void
make_free(struct job *j, GPtrArray *v, guint i, gboolean file)
{
	g_autofree char *orig = g_strdup(g_ptr_array_index(v, i));
	g_autofree char *p = join(v, i + 1);
	char *key = fold(p);
	guint k = GPOINTER_TO_UINT(g_hash_table_lookup(j->next, key));

	if (k < 2)
		k = 2;
	while (taken(j, v, i + 1, file)) {
		g_free(g_ptr_array_index(v, i));
		g_ptr_array_index(v, i) = numbered(orig, file, k++);
	}
	g_hash_table_replace(j->next, key, GUINT_TO_POINTER(k));
}

/* The unique path for a member, its directories and itself recorded. */
static char *
unique_path(struct job *j, const char *name, const char *new_ext)
{
	g_autoptr(GPtrArray) v = safe_components(name, new_ext);
	char *path;
	guint i;

	for (i = 0; i + 1 < v->len; i++) {
		g_autofree char *dir = NULL;

		if (taken(j, v, i + 1, FALSE))
			make_free(j, v, i, FALSE);
		dir = join(v, i + 1);
		g_hash_table_add(j->dirs, fold(dir));
	}
	if (taken(j, v, v->len, TRUE))
		make_free(j, v, v->len - 1, TRUE);
	path = join(v, v->len);
	g_hash_table_add(j->files, fold(path));
	return path;
}

static gboolean
add_member(struct job *j, const char *name, GBytes *b)
{
	gsize len;
	const guchar *p = g_bytes_get_data(b, &len);
	/* The walk (nested) may have switched the thread's locale back. */
	locale_t old = mg_cdr_utf8_enter();
	gboolean ok = mg_cdr_zip_add(j->w, name, p, len);

	mg_cdr_utf8_leave(old);
	return ok;
}

static gboolean
on_member(const struct mg_member *m, void *data)
{
	struct job *j = data;
	struct mg_cdr_ctx *ctx = j->ctx;
	g_autofree char *ext = NULL;
	g_autofree char *path = NULL;
	const char *name;
	GBytes *r;
	gboolean ok;

	if (m->kind == MG_MEMBER_DIR)
		return TRUE;
	/* An encrypted member refuses the whole archive: stop here. */
	if (m->encrypted)
		return FALSE;
	/* Links and special files have no content of their own to give;
	 * a member not extracted whole (over max_member_size, or a read
	 * error, which the flags then refuse) has none we could check. */
	if (m->kind != MG_MEMBER_FILE || m->data == NULL ||
	    ctx->nested == NULL) {
		mg_cdr_result_removed(j->out, MG_CDR_RM_EMBEDDED);
		return TRUE;
	}
	name = j->lone_name != NULL && strcmp(m->name, "data") == 0
	           ? j->lone_name
	           : m->name;
	r = ctx->nested(ctx->walk, name, NULL, m->data, &ext);
	if (r == NULL) {
		mg_cdr_result_removed(j->out, MG_CDR_RM_EMBEDDED);
		return TRUE;
	}
	/* The new extension comes from the walk; still, only a plain one
	 * goes into a name. */
	if (ext != NULL &&
	    (ext[0] == '\0' || strlen(ext) > 16 ||
	        strspn(ext,
	            "abcdefghijklmnopqrstuvwxyz"
	            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(ext)))
		g_clear_pointer(&ext, g_free);
	path = unique_path(j, name, ext);
	ok = add_member(j, path, r);
	g_bytes_unref(r);
	if (!ok)
		j->write_failed = TRUE;
	return ok && !j->sink.full;
}

/*
 * A lone compressed file has one member and, unless a gzip header names
 * it, no name of its own (mg_unpack says "data"): it is the file's name
 * without the compressor's suffix ("list.csv.gz" holds "list.csv").
 * NULL for archives and for a name with nothing left.
 */
static char *
lone_name(const char *name, const char *format)
{
	static const char *const compressors[] = {
	    "gzip", "bzip2", "xz", "lzma", "lzip", "zstd", NULL};
	g_autofree char *base = NULL;
	char *dot;

	if (name == NULL || !mg_cdr_in_list(format, compressors, -1))
		return NULL;
	base = mg_name_deliverable(name, NULL);
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return NULL;
	*dot = '\0';
	return g_steal_pointer(&base);
}

/* The verdict on the archive from mg_unpack's flags, or NONE. */
static enum mg_reason
flags_reason(guint flags, const char **what_r)
{
	/* Encryption first: it is why the rest could not be read. */
	if (flags & MG_UNPACK_ENCRYPTED) {
		*what_r = "encrypted archive or member";
		return MG_REASON_ENCRYPTED;
	}
	if (flags & MG_UNPACK_BOMB) {
		*what_r = "expands beyond the ratio or total limit";
		return MG_REASON_ARCHIVE_BOMB;
	}
	if (flags & MG_UNPACK_TOO_MANY) {
		*what_r = "too many members";
		return MG_REASON_TOO_MANY_MEMBERS;
	}
	if (flags & MG_UNPACK_DAMAGED) {
		*what_r = "damaged, truncated or ambiguous archive";
		return MG_REASON_DAMAGED_ARCHIVE;
	}
	return MG_REASON_NONE;
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	const struct mg_limits *lim = ctx->limits;
	guint64 part =
	    lim->max_part_size != 0 ? lim->max_part_size : MG_DEF_MAX_PART_SIZE;
	guint max_depth = lim->max_archive_depth != 0
	                      ? lim->max_archive_depth
	                      : MG_DEF_MAX_ARCHIVE_DEPTH;
	struct mg_unpack_budget budget = {0, 0};
	struct job j;
	const char *what = NULL;
	enum mg_reason reason;
	locale_t old;
	gsize len;
	const guint8 *data = g_bytes_get_data(in, &len);
	guint flags;
	int r;

	if (out->removed == NULL)
		out->removed = g_ptr_array_new();
	if ((guint64)len > part) {
		mg_cdr_refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf(
		        "archive of %" G_GSIZE_FORMAT " bytes", len));
		return MG_OK;
	}
	if (ctx->depth >= max_depth) {
		mg_cdr_refuse(out, MG_REASON_ARCHIVE_TOO_DEEP,
		    g_strdup_printf("archive at depth %u", ctx->depth));
		return MG_OK;
	}
	if (!mg_cdr_in_list(mg_unpack_format(data, len), formats, -1)) {
		mg_cdr_refuse(out, MG_REASON_UNSUPPORTED,
		    g_strdup("not an archive format rebuilt here"));
		return MG_OK;
	}

	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.out = out;
	j.sink.buf = g_byte_array_new();
	j.sink.max = part;
	j.files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	j.dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	j.next = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	old = mg_cdr_utf8_enter();
	j.w = archive_write_new();
	r = j.w == NULL ? ARCHIVE_FATAL : archive_write_set_format_zip(j.w);
	/* hdrcharset=UTF-8 makes libarchive set the language encoding
	 * flag (APPNOTE 4.4.4, bit 11) on every entry whose name is not
	 * ASCII (ASCII reads the same in CP437). */
	if (r == ARCHIVE_OK)
		r = archive_write_set_options(
		    j.w, "zip:compression=deflate,zip:hdrcharset=UTF-8");
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(j.w, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(
		    j.w, &j.sink, NULL, sink_write, NULL, NULL);
	mg_cdr_utf8_leave(old);
	if (r != ARCHIVE_OK) {
		if (j.w != NULL)
			archive_write_free(j.w);
		g_byte_array_free(j.sink.buf, TRUE);
		g_hash_table_unref(j.files);
		g_hash_table_unref(j.dirs);
		g_hash_table_unref(j.next);
		return MG_FAIL;
	}

	j.lone_name = lone_name(ctx->name, mg_unpack_format(data, len));
	flags = mg_unpack(data, len, lim, &budget, on_member, &j);
	g_free(j.lone_name);

	old = mg_cdr_utf8_enter();
	/* Closed also after a failure: close ends an entry cut short. */
	if (archive_write_close(j.w) != ARCHIVE_OK)
		j.write_failed = TRUE;
	archive_write_free(j.w);
	mg_cdr_utf8_leave(old);
	g_hash_table_unref(j.files);
	g_hash_table_unref(j.dirs);
	g_hash_table_unref(j.next);

	reason = flags_reason(flags, &what);
	if (reason != MG_REASON_NONE) {
		mg_cdr_refuse(out, reason, g_strdup(what));
	} else if (j.sink.full) {
		mg_cdr_refuse(out, MG_REASON_PART_TOO_LARGE,
		    g_strdup_printf("rebuilt zip larger than %" G_GUINT64_FORMAT
		                    " bytes",
		        part));
	} else if (j.write_failed) {
		mg_cdr_refuse(out, MG_REASON_CDR_FAILED,
		    g_strdup("the zip could not be written"));
	} else {
		/* Over max_member_size: left out (on_member saw no data). */
		if (flags & MG_UNPACK_MEMBER_TOO_LARGE)
			mg_cdr_result_removed(out, MG_CDR_RM_EMBEDDED);
		out->outcome = MG_CDR_REBUILT;
		out->data = g_byte_array_free_to_bytes(j.sink.buf);
		j.sink.buf = NULL;
		g_free(out->extension);
		out->extension = g_strdup("zip");
		g_free(out->mime_type);
		out->mime_type = g_strdup("application/zip");
	}
	if (j.sink.buf != NULL)
		g_byte_array_free(j.sink.buf, TRUE);
	return MG_OK;
}

const struct mg_cdr_module mg_cdr_archive = {"archive", bid, rebuild};
