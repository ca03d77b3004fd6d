/*
 * mg_unpack.c - list and extract the members of an archive, or of a lone
 * compressed file, from memory through libarchive, under the limits of one
 * message.
 *
 * Untrusted: every byte of the input, every header field libarchive reads
 * from it (names, declared sizes, counts), and the decompressed data.
 * Limits checked here, while reading: the member count and the total bytes
 * of the whole message (struct mg_unpack_budget against
 * max_archive_members and max_archive_total), the bytes of one member
 * (max_member_size), and the expansion of this archive (max_archive_ratio
 * times its length, plus RATIO_ALLOWANCE).  Data is read in blocks and
 * buffered only up to max_member_size, so memory stays bounded whatever
 * the headers declare.
 *
 * Two checks of our own back libarchive up: bytes that more than one
 * format reads as an archive (a polyglot) and bytes after the end of a tar
 * or cpio archive are damage, since a recipient's tool could find members
 * we do not; and RAR 5 block headers are walked here for the encryption
 * records libarchive 3.6.2 ignores.
 *
 * Nothing is written to disk; member names are never used as paths.  No
 * passphrase is ever set, so encrypted data is never read.  Decompression
 * filters that libarchive would run as an external program are never
 * enabled.  The caller owns the input and the budget; the callback gets
 * each member for the duration of the call only.
 */
#include <locale.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "unpack/mg_unpack.h"

/* Bytes asked of archive_read_data() at a time. */
#define BLOCK_SIZE (64 * 1024)
/* Expansion always allowed on top of the ratio, so that a small archive of
 * text (which compresses far better than 100:1) is not called a bomb. */
#define RATIO_ALLOWANCE (1024 * 1024)
/* The member buffer starts at most this large, whatever the header says. */
#define MAX_PREALLOC (1024 * 1024)
/* A gzip header's file name longer than this is ignored. */
#define MAX_GZIP_NAME 1024

struct unpack {
	struct mg_unpack_limits l;
	struct mg_unpack_budget *budget;
	mg_member_fn fn;
	void *ctx;
	const guchar *data;
	gsize len;
	guint64 ratio_limit; /* bytes this archive may expand to */
	guint64 archive_bytes;
	gboolean raw; /* a lone compressed file, read with the raw format */
	struct rar5_info *rar5; /* our own look at a RAR 5 archive, or NULL */
	gboolean stop;
	guint flags;
	guchar *block;
};

typedef int (*support_fn)(struct archive *);

/*
 * Decompression filters, outermost first in no particular order.  "uu" is
 * left out on purpose (uuencoded blocks in text are found by the text
 * layer), and so are lrzip, lzop and grzip, which libarchive can only run
 * as external programs.
 */
static const struct {
	support_fn fn;
} filters[] = {
    {archive_read_support_filter_gzip},
    {archive_read_support_filter_bzip2},
    {archive_read_support_filter_xz},
    {archive_read_support_filter_lzma},
    {archive_read_support_filter_lzip},
    {archive_read_support_filter_zstd},
    {archive_read_support_filter_lz4},
    {archive_read_support_filter_compress},
    {archive_read_support_filter_rpm},
};

/* Archive formats: every reader of libarchive but "raw", "empty", "mtree"
 * (which bids on ordinary text) and "warc". */
static const struct {
	support_fn fn;
	const char *name;
	int code;
} formats[] = {
    {archive_read_support_format_zip, "zip", ARCHIVE_FORMAT_ZIP},
    {archive_read_support_format_7zip, "7zip", ARCHIVE_FORMAT_7ZIP},
    {archive_read_support_format_rar, "rar", ARCHIVE_FORMAT_RAR},
    {archive_read_support_format_rar5, "rar5", ARCHIVE_FORMAT_RAR_V5},
    {archive_read_support_format_lha, "lha", ARCHIVE_FORMAT_LHA},
    {archive_read_support_format_cab, "cab", ARCHIVE_FORMAT_CAB},
    {archive_read_support_format_tar, "tar", ARCHIVE_FORMAT_TAR},
    {archive_read_support_format_cpio, "cpio", ARCHIVE_FORMAT_CPIO},
    {archive_read_support_format_iso9660, "iso9660", ARCHIVE_FORMAT_ISO9660},
    {archive_read_support_format_xar, "xar", ARCHIVE_FORMAT_XAR},
    {archive_read_support_format_ar, "ar", ARCHIVE_FORMAT_AR},
};

static const struct {
	int code;
	const char *name;
} filter_names[] = {
    {ARCHIVE_FILTER_GZIP, "gzip"},
    {ARCHIVE_FILTER_BZIP2, "bzip2"},
    {ARCHIVE_FILTER_XZ, "xz"},
    {ARCHIVE_FILTER_LZMA, "lzma"},
    {ARCHIVE_FILTER_LZIP, "lzip"},
    {ARCHIVE_FILTER_ZSTD, "zstd"},
    {ARCHIVE_FILTER_LZ4, "lz4"},
    {ARCHIVE_FILTER_COMPRESS, "compress"},
    {ARCHIVE_FILTER_RPM, "rpm"},
};

/*
 * Names in zip and LHA archives without the UTF-8 flag, in CAB without
 * _A_NAME_IS_UTF and in RAR without the Unicode flag are in the OEM code
 * page of the system that wrote them: for the Japanese senders this
 * gateway serves, CP932.  Flagged UTF-8 names and Info-ZIP Unicode Path
 * fields (0x7075) still win.
 */
static const char charset_options[] = "zip:hdrcharset=CP932,"
                                      "lha:hdrcharset=CP932,"
                                      "cab:hdrcharset=CP932,"
                                      "rar:hdrcharset=CP932";

void
mg_unpack_limits_get(const struct mg_limits *lim, struct mg_unpack_limits *l)
{
	static const struct mg_limits none;

	if (lim == NULL)
		lim = &none;
	l->members = lim->max_archive_members;
	if (l->members == 0)
		l->members = MG_DEF_MAX_ARCHIVE_MEMBERS;
	l->total = lim->max_archive_total;
	if (l->total == 0)
		l->total = MG_DEF_MAX_ARCHIVE_TOTAL;
	l->member = lim->max_member_size;
	if (l->member == 0)
		l->member = MG_DEF_MAX_MEMBER_SIZE;
	l->ratio = lim->max_archive_ratio;
	if (l->ratio == 0)
		l->ratio = MG_DEF_MAX_ARCHIVE_RATIO;
}

/*
 * Which filters libarchive implements itself: a support function that
 * returns ARCHIVE_WARN has registered an external program instead, which
 * must never run here (the worker has no exec, and it would be one more
 * parser outside our limits).  Probed once on a scratch reader.
 */
static guint
usable_filters(void)
{
	static gsize once;
	static guint mask;
	struct archive *a;
	gsize i;

	if (g_once_init_enter(&once)) {
		for (i = 0; i < G_N_ELEMENTS(filters); i++) {
			a = archive_read_new();
			if (a == NULL)
				continue;
			if (filters[i].fn(a) == ARCHIVE_OK)
				mask |= 1u << i;
			archive_read_free(a);
		}
		g_once_init_leave(&once, 1);
	}
	return mask;
}

/*
 * libarchive converts names to the charset of the current locale and back
 * to UTF-8 for archive_entry_pathname_utf8(); in the "C" locale every
 * non-ASCII name would fail.  Run libarchive in a UTF-8 locale for this
 * thread only (uselocale), whatever the process's locale is.
 */
static locale_t
utf8_locale(void)
{
	static gsize once;
	static locale_t loc;

	if (g_once_init_enter(&once)) {
		loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
		g_once_init_leave(&once, 1);
	}
	return loc;
}

static locale_t
enter_utf8(void)
{
	locale_t loc = utf8_locale();

	if (loc == (locale_t)0)
		return (locale_t)0;
	return uselocale(loc);
}

static void
leave_utf8(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

static struct archive *
new_reader(gboolean raw, int only_format)
{
	struct archive *a;
	guint mask = usable_filters();
	gsize i;

	a = archive_read_new();
	if (a == NULL)
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(filters); i++)
		if (mask & (1u << i))
			filters[i].fn(a);
	if (raw) {
		archive_read_support_format_raw(a);
		return a;
	}
	for (i = 0; i < G_N_ELEMENTS(formats); i++)
		if (only_format < 0 || (gsize)only_format == i)
			formats[i].fn(a);
	/* A conversion iconv cannot do leaves the names as stored; they are
	 * then escaped, which is not worth failing for. */
	if (archive_read_set_options(a, charset_options) != ARCHIVE_OK)
		archive_clear_error(a);
	return a;
}

/* Open `a` on the bytes; FALSE when no format bid or the input is bad. */
static gboolean
open_memory(struct archive *a, const void *data, gsize len)
{
	int r;

	r = archive_read_open_memory(a, data, len);
	return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

/* TRUE when a decompression filter sits under the format. */
static gboolean
has_compression(struct archive *a)
{
	return archive_filter_count(a) >= 2 &&
	       archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
}

static const char *
format_name(int code)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formats); i++)
		if ((code & ARCHIVE_FORMAT_BASE_MASK) == formats[i].code)
			return formats[i].name;
	return NULL;
}

/* The outermost compression: the filter nearest the client's bytes. */
static const char *
outer_filter_name(struct archive *a)
{
	int n = archive_filter_count(a);
	int code;
	gsize i;

	if (n < 2)
		return NULL;
	code = archive_filter_code(a, n - 2);
	for (i = 0; i < G_N_ELEMENTS(filter_names); i++)
		if (filter_names[i].code == code)
			return filter_names[i].name;
	return NULL;
}

/* Which of our formats bids on the bytes, found one reader at a time
 * (for damaged archives, whose header libarchive refuses to read). */
static const char *
probe_format(const void *data, gsize len)
{
	struct archive *a;
	const char *name = NULL;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formats) && name == NULL; i++) {
		a = new_reader(FALSE, (int)i);
		if (a == NULL)
			break;
		if (open_memory(a, data, len))
			name = formats[i].name;
		archive_read_free(a);
	}
	return name;
}

/*
 * How many of our formats would read the bytes as a non-empty archive.
 * More than one is a polyglot, and another reader (the recipient's) could
 * see members we do not: libarchive reads a RAR archive whose last member
 * is a stored zip as that zip, because the zip's end record bids higher.
 * An empty reading does not count: tar takes any block of zeros (the 32 kB
 * system area of an ISO 9660 image) as the end of an empty archive.
 */
static guint
bidders(const void *data, gsize len)
{
	struct archive *a;
	struct archive_entry *ae;
	guint n = 0;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(formats); i++) {
		a = new_reader(FALSE, (int)i);
		if (a == NULL)
			continue;
		if (open_memory(a, data, len) &&
		    archive_read_next_header(a, &ae) != ARCHIVE_EOF)
			n++;
		archive_read_free(a);
	}
	return n;
}

const char *
mg_unpack_format(const void *data, gsize len)
{
	struct archive *a;
	struct archive_entry *ae;
	const char *name = NULL;
	locale_t old;
	int r;

	if (data == NULL || len == 0)
		return NULL;
	old = enter_utf8();
	a = new_reader(FALSE, -1);
	if (a == NULL)
		goto out;
	if (open_memory(a, data, len)) {
		r = archive_read_next_header(a, &ae);
		name = format_name(archive_format(a));
		/*
		 * libarchive's tar reader accepts a first block of zeros as
		 * the end of an empty archive and ignores what follows: that
		 * is no archive, and calling it one would hide the rest.
		 */
		if (r == ARCHIVE_EOF &&
		    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
		        ARCHIVE_FORMAT_TAR)
			name = NULL;
		else if (name == NULL)
			name = probe_format(data, len);
	} else {
		archive_read_free(a);
		a = new_reader(TRUE, -1);
		if (a != NULL && open_memory(a, data, len) &&
		    has_compression(a))
			name = outer_filter_name(a);
	}
	archive_read_free(a);
out:
	leave_utf8(old);
	return name;
}

/* Byte sequences that make a name unsafe: C1 controls and the bidi
 * controls (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069) in UTF-8. */
static gboolean
bad_sequence(const guchar *p, gsize left)
{
	if (left >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return TRUE;
	if (left >= 2 && p[0] == 0xd8 && p[1] == 0x9c)
		return TRUE;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
		return TRUE;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 &&
	    p[2] <= 0xa9)
		return TRUE;
	return FALSE;
}

gboolean
mg_unpack_name_unsafe(const char *name)
{
	const guchar *p = (const guchar *)name;
	const guchar *seg;
	gsize len, i;

	if (name == NULL || name[0] == '\0')
		return TRUE;
	/* Absolute (POSIX or Windows, including \\server\share and \\?\). */
	if (name[0] == '/' || name[0] == '\\')
		return TRUE;
	/* A drive letter: "C:x" is relative to drive C's current directory,
	 * which is no safer than "C:\x". */
	if (g_ascii_isalpha(name[0]) && name[1] == ':')
		return TRUE;
	len = strlen(name);
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return TRUE;
		if (p[i] >= 0xc2 && bad_sequence(p + i, len - i))
			return TRUE;
	}
	/* A ".." component, with either separator: Windows tools split on
	 * backslashes too. */
	seg = p;
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '/' || p[i] == '\\') {
			if (p + i - seg == 2 && seg[0] == '.' && seg[1] == '.')
				return TRUE;
			seg = p + i + 1;
		}
	}
	return FALSE;
}

char *
mg_unpack_escape_name(const char *raw, gssize len)
{
	const char *p, *end, *bad;
	GString *s;

	if (raw == NULL)
		return g_strdup("");
	if (len < 0)
		len = strlen(raw);
	s = g_string_sized_new(len);
	p = raw;
	end = raw + len;
	while (p < end) {
		if (g_utf8_validate_len(p, end - p, &bad)) {
			g_string_append_len(s, p, end - p);
			break;
		}
		g_string_append_len(s, p, bad - p);
		g_string_append_printf(s, "\\x%02X", (guchar)*bad);
		p = bad + 1;
	}
	return g_string_free(s, FALSE);
}

/*
 * The file name a gzip header carries (RFC 1952, section 2.3: FLG.FNAME,
 * after the optional FEXTRA field), or NULL.  RFC 1952 says ISO 8859-1,
 * but gzip stores whatever bytes the file system had, so the name is kept
 * as stored and invalid UTF-8 escaped, like every other member name.
 */
static char *
gzip_name(const guchar *d, gsize len)
{
	gsize off = 10, start;

	if (len < 10 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 8)
		return NULL;
	if (!(d[3] & 0x08))
		return NULL;
	if (d[3] & 0x04) {
		if (len < 12)
			return NULL;
		off = 12 + (d[10] | (gsize)d[11] << 8);
	}
	start = off;
	while (off < len && off - start <= MAX_GZIP_NAME && d[off] != 0)
		off++;
	if (off >= len || d[off] != 0 || off == start)
		return NULL;
	return mg_unpack_escape_name((const char *)d + start, off - start);
}

static enum mg_member_kind
entry_kind(struct archive_entry *ae)
{
	if (archive_entry_hardlink(ae) != NULL)
		return MG_MEMBER_HARDLINK;
	if (archive_entry_symlink(ae) != NULL)
		return MG_MEMBER_SYMLINK;
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		return MG_MEMBER_FILE;
	case AE_IFDIR:
		return MG_MEMBER_DIR;
	case AE_IFLNK:
		return MG_MEMBER_SYMLINK;
	case AE_IFCHR:
	case AE_IFBLK:
		return MG_MEMBER_DEVICE;
	case 0:
		/* No type stored: read it as a file so its bytes are seen. */
		return MG_MEMBER_FILE;
	default:
		return MG_MEMBER_OTHER;
	}
}

/* Fill in the name and unsafe_name of `m` from the entry. */
static void
entry_name(struct unpack *u, struct archive_entry *ae, struct mg_member *m)
{
	const char *utf8, *raw;

	if (u->raw) {
		m->name = gzip_name(u->data, u->len);
		if (m->name == NULL)
			m->name = g_strdup("data");
		m->unsafe_name = mg_unpack_name_unsafe(m->name);
		return;
	}
	utf8 = archive_entry_pathname_utf8(ae);
	if (utf8 != NULL && g_utf8_validate(utf8, -1, NULL)) {
		m->name = g_strdup(utf8);
		m->unsafe_name = mg_unpack_name_unsafe(utf8);
		return;
	}
	raw = archive_entry_pathname(ae);
	m->name = mg_unpack_escape_name(raw, -1);
	m->unsafe_name = mg_unpack_name_unsafe(raw);
}

/* Charge `n` more bytes; TRUE when a limit of the message or of this
 * archive's expansion is passed. */
static gboolean
charge(struct unpack *u, gsize n)
{
	u->archive_bytes += n;
	u->budget->total_bytes += n;
	return u->budget->total_bytes > u->l.total ||
	       u->archive_bytes > u->ratio_limit;
}

/*
 * Read the data of the current entry in blocks, keeping at most
 * max_member_size bytes.  Past that the data is still read (and dropped)
 * so that it is charged to the budget: skipping would make libarchive
 * decompress it anyway for streaming formats, without any limit.
 */
static void
extract(struct unpack *u, struct archive *a, struct archive_entry *ae,
    struct mg_member *m)
{
	GByteArray *buf;
	guint64 got = 0, declared = 0;
	gboolean keep = TRUE;
	la_ssize_t n;

	if (archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0)
		declared = (guint64)archive_entry_size(ae);
	buf = g_byte_array_sized_new(
	    MIN(declared, MIN(u->l.member, MAX_PREALLOC)));
	for (;;) {
		n = archive_read_data(a, u->block, BLOCK_SIZE);
		if (n == 0)
			break;
		if (n < 0) {
			/* Corrupt data, a bad CRC, an unsupported method. */
			u->flags |= MG_UNPACK_DAMAGED;
			m->truncated = TRUE;
			keep = FALSE;
			if (n == ARCHIVE_FATAL)
				u->stop = TRUE;
			break;
		}
		got += (guint64)n;
		if (keep && got > u->l.member) {
			u->flags |= MG_UNPACK_MEMBER_TOO_LARGE;
			m->truncated = TRUE;
			keep = FALSE;
			g_byte_array_set_size(buf, 0);
		}
		if (keep)
			g_byte_array_append(buf, u->block, (guint)n);
		if (charge(u, (gsize)n)) {
			u->flags |= MG_UNPACK_BOMB;
			m->truncated = TRUE;
			keep = FALSE;
			u->stop = TRUE;
			break;
		}
	}
	m->size = m->truncated && declared > got ? declared : got;
	if (keep)
		m->data = g_byte_array_free_to_bytes(buf);
	else
		g_byte_array_free(buf, TRUE);
}

/*
 * After the end of a tar or cpio archive only zero padding may follow:
 * anything else is hidden from the listing.  Only checked without
 * compression, where the consumed offset is an offset in the input.
 */
static gboolean
hidden_tail(struct unpack *u, struct archive *a)
{
	int base = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
	la_int64_t pos;
	gsize i;

	if (u->raw || has_compression(a))
		return FALSE;
	if (base != ARCHIVE_FORMAT_TAR && base != ARCHIVE_FORMAT_CPIO)
		return FALSE;
	pos = archive_filter_bytes(a, 0);
	if (pos < 0 || (guint64)pos > u->len)
		return TRUE;
	for (i = (gsize)pos; i < u->len; i++)
		if (u->data[i] != 0)
			return TRUE;
	return FALSE;
}

/*
 * RAR 5.0 ("RAR 5.0 archive format", rarlab technote).  libarchive 3.6.2
 * skips a file's encryption record without marking the entry encrypted,
 * so it returns ciphertext as if it were the file, and reports an
 * encrypted archive header as mere damage.  So we walk the block headers
 * ourselves: each is CRC32, header size (vint), type (vint), flags (vint),
 * extra area size (vint, flag 0x1), data size (vint, flag 0x2), the
 * type's fields, the extra area at the end of the header, then the data.
 * libarchive returns one entry per file header (type 2), in order.
 */
#define RAR5_SIGNATURE "Rar!\x1a\x07\x01\x00"
#define RAR5_HEAD_FILE 2
#define RAR5_HEAD_CRYPT 4
#define RAR5_HEAD_END 5
#define RAR5_EXTRA_CRYPT 1
/* How far into a self-extracting program libarchive looks for RAR 5. */
#define RAR5_SFX_MAX (1024 * 1024)

struct rar5_info {
	GArray *encrypted; /* gboolean per file header */
	gboolean header_encrypted;
};

/* A RAR 5 variable-length integer: 7 bits a byte, low bits first. */
static gboolean
vint(const guchar *d, gsize end, gsize *off, guint64 *v)
{
	guint shift;

	*v = 0;
	for (shift = 0; *off < end && shift < 64; shift += 7) {
		guchar c = d[(*off)++];

		*v |= (guint64)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return TRUE;
	}
	return FALSE;
}

/* Where the RAR 5 signature is, as libarchive finds it: at the start, or
 * at a 16-byte boundary inside a self-extracting PE or ELF program. */
static gboolean
rar5_start(const guchar *d, gsize len, gsize *off_r)
{
	static const guchar elf[] = {0x7f, 'E', 'L', 'F'};
	gsize off;

	if (len >= 8 && memcmp(d, RAR5_SIGNATURE, 8) == 0) {
		*off_r = 0;
		return TRUE;
	}
	if (len < 4 || (memcmp(d, "MZ", 2) != 0 && memcmp(d, elf, 4) != 0))
		return FALSE;
	for (off = 16; off < RAR5_SFX_MAX && off + 8 <= len; off += 16) {
		if (memcmp(d + off, RAR5_SIGNATURE, 8) == 0) {
			*off_r = off;
			return TRUE;
		}
	}
	return FALSE;
}

/* TRUE when the extra area [p, end) of a file header holds an encryption
 * record. */
static gboolean
rar5_extra_encrypted(const guchar *d, gsize p, gsize end)
{
	guint64 size, type;
	gsize rec;

	while (p < end) {
		if (!vint(d, end, &p, &size) || size == 0 || size > end - p)
			return FALSE;
		rec = p + size;
		if (vint(d, rec, &p, &type) && type == RAR5_EXTRA_CRYPT)
			return TRUE;
		p = rec;
	}
	return FALSE;
}

static void
rar5_scan(const guchar *d, gsize len, guint max, struct rar5_info *r)
{
	guint64 hsize, type, flags, extra, data;
	gsize off, p, hend;
	gboolean enc;

	if (!rar5_start(d, len, &off))
		return;
	for (off += 8; off < len && r->encrypted->len <= max;
	     off = hend + data) {
		if (len - off < 4)
			return;
		p = off + 4; /* the header's CRC32 */
		if (!vint(d, len, &p, &hsize) || hsize == 0 || hsize > len - p)
			return;
		hend = p + hsize;
		extra = data = 0;
		if (!vint(d, hend, &p, &type) || !vint(d, hend, &p, &flags))
			return;
		if ((flags & 0x1) && !vint(d, hend, &p, &extra))
			return;
		if ((flags & 0x2) && !vint(d, hend, &p, &data))
			return;
		if (type == RAR5_HEAD_CRYPT) {
			r->header_encrypted = TRUE;
			return;
		}
		if (type == RAR5_HEAD_END)
			return;
		if (type == RAR5_HEAD_FILE) {
			enc = extra <= hend - p &&
			      rar5_extra_encrypted(d, hend - extra, hend);
			g_array_append_val(r->encrypted, enc);
		}
		if (data > len - hend)
			return;
	}
}

/*
 * Whether entry `index` (1-based) of a RAR 5 archive is encrypted.  An
 * entry our walk did not reach, in an archive libarchive reads further
 * than we could, is taken as encrypted and the archive as damaged: the two
 * readers disagree, and its data is not to be trusted.
 */
static gboolean
rar5_encrypted(struct unpack *u, guint index)
{
	struct rar5_info *r = u->rar5;

	if (index - 1 < r->encrypted->len)
		return g_array_index(r->encrypted, gboolean, index - 1);
	u->flags |= MG_UNPACK_DAMAGED;
	return TRUE;
}

/* TRUE when libarchive knows the archive holds encrypted entries. */
static gboolean
saw_encryption(struct archive *a)
{
	return archive_read_has_encrypted_entries(a) > 0;
}

static void
walk(struct unpack *u, struct archive *a)
{
	struct archive_entry *ae;
	struct mg_member m;
	guint index;
	gboolean go_on;
	int r;

	for (index = 1; !u->stop; index++) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF) {
			if (hidden_tail(u, a))
				u->flags |= MG_UNPACK_DAMAGED;
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			/*
			 * An encrypted listing (7z, RAR, PKWARE central
			 * directory encryption) fails here: that is
			 * encryption, not "clean and empty".
			 */
			if (saw_encryption(a) ||
			    (u->rar5 != NULL && u->rar5->header_encrypted))
				u->flags |= MG_UNPACK_ENCRYPTED;
			else
				u->flags |= MG_UNPACK_DAMAGED;
			break;
		}
		if (u->budget->members >= u->l.members) {
			u->flags |= MG_UNPACK_TOO_MANY;
			break;
		}
		u->budget->members++;

		memset(&m, 0, sizeof(m));
		m.index = index;
		entry_name(u, ae, &m);
		m.kind = entry_kind(ae);
		m.encrypted = archive_entry_is_encrypted(ae) != 0;
		if (u->rar5 != NULL &&
		    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
		        ARCHIVE_FORMAT_RAR_V5)
			m.encrypted |= rar5_encrypted(u, index);
		if (m.unsafe_name)
			u->flags |= MG_UNPACK_UNSAFE_NAME;
		if (m.kind != MG_MEMBER_FILE && m.kind != MG_MEMBER_DIR)
			u->flags |= MG_UNPACK_LINKS;
		if (m.encrypted)
			u->flags |= MG_UNPACK_ENCRYPTED;
		if (archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0)
			m.size = (guint64)archive_entry_size(ae);
		if ((m.kind == MG_MEMBER_FILE ||
		        m.kind == MG_MEMBER_HARDLINK) &&
		    !m.encrypted)
			extract(u, a, ae, &m);
		go_on = u->fn(&m, u->ctx);
		g_free(m.name);
		if (m.data != NULL)
			g_bytes_unref(m.data);
		if (!go_on)
			break;
	}
	if (saw_encryption(a))
		u->flags |= MG_UNPACK_ENCRYPTED;
}

guint
mg_unpack(const void *data, gsize len, const struct mg_limits *lim,
    struct mg_unpack_budget *budget, mg_member_fn fn, void *ctx)
{
	struct unpack u;
	struct rar5_info rar5;
	struct archive *a;
	locale_t old;

	memset(&u, 0, sizeof(u));
	mg_unpack_limits_get(lim, &u.l);
	u.budget = budget;
	u.fn = fn;
	u.ctx = ctx;
	u.data = data;
	u.len = len;
	if ((guint64)len > (G_MAXUINT64 - RATIO_ALLOWANCE) / u.l.ratio)
		u.ratio_limit = G_MAXUINT64;
	else
		u.ratio_limit = (guint64)len * u.l.ratio + RATIO_ALLOWANCE;
	if (data == NULL || len == 0)
		return MG_UNPACK_DAMAGED;

	old = enter_utf8();
	a = new_reader(FALSE, -1);
	if (a != NULL && !open_memory(a, data, len)) {
		/* No archive: a lone compressed file is read as one member
		 * by the "raw" format, which takes any bytes, so only when a
		 * decompression filter recognised them. */
		archive_read_free(a);
		a = new_reader(TRUE, -1);
		if (a != NULL &&
		    (!open_memory(a, data, len) || !has_compression(a))) {
			archive_read_free(a);
			a = NULL;
		}
		u.raw = TRUE;
	}
	if (a == NULL) {
		u.flags |= MG_UNPACK_DAMAGED;
		goto out;
	}
	if (!u.raw && bidders(data, len) > 1)
		u.flags |= MG_UNPACK_DAMAGED;
	if (!u.raw) {
		rar5.encrypted = g_array_new(FALSE, FALSE, sizeof(gboolean));
		rar5.header_encrypted = FALSE;
		rar5_scan(data, len, u.l.members, &rar5);
		u.rar5 = &rar5;
	}
	u.block = g_malloc(BLOCK_SIZE);
	walk(&u, a);
	g_free(u.block);
	archive_read_free(a);
	if (u.rar5 != NULL)
		g_array_unref(rar5.encrypted);
out:
	leave_utf8(old);
	return u.flags;
}
