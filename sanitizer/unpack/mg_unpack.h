/*
 * mg_unpack.h - list and extract the members of archives (libarchive) and
 * of TNEF streams (winmail.dat, libytnef), in memory, under the limits of
 * one message.
 *
 * Input: the bytes of one part or member (untrusted).  Nothing is ever
 * written to disk and no member name is ever used as a path.  This module
 * does not recurse: the caller (the single MIME walk) gets each member's
 * bytes through a callback, detects its type, scans it, and calls
 * mg_unpack() again for a nested archive, counting the depth itself.  The
 * budget is shared by every archive of one message, so a message with many
 * archives is still bounded.
 */
#ifndef MG_UNPACK_H
#define MG_UNPACK_H

#include <glib.h>

#include "mg_policy.h"

enum mg_member_kind {
	MG_MEMBER_FILE,
	MG_MEMBER_DIR,
	MG_MEMBER_SYMLINK,
	MG_MEMBER_HARDLINK,
	MG_MEMBER_DEVICE,
	MG_MEMBER_OTHER, /* FIFO, socket, unknown */
};

struct mg_member {
	guint index; /* 1-based position in the archive */
	/* UTF-8 (invalid bytes escaped as \xNN), as stored; NEVER used as a
	 * path.  Not passed through mg_printable(): do that before logging. */
	char *name;
	enum mg_member_kind kind;
	/* Data or header encryption (ZipCrypto, WinZip AES, PKWARE strong
	 * encryption, 7z AES, RAR).  The data of an encrypted member is never
	 * read: no passphrase is ever set. */
	gboolean encrypted;
	/* Absolute path, "..", drive letter, backslash traversal, control or
	 * bidi control characters, empty. */
	gboolean unsafe_name;
	/* Bytes extracted (files), or the declared size when not extracted. */
	guint64 size;
	/* The extracted bytes; NULL unless a regular, unencrypted file (or a
	 * hard link that carries the data, as cpio's last link does) was
	 * extracted completely within limits. */
	GBytes *data;
	gboolean truncated; /* extraction stopped at a limit or an error */
};

/* Charged across every archive of one message; zero-initialise. */
struct mg_unpack_budget {
	guint64 total_bytes;
	guint members;
};

/* Flags in the result of mg_unpack() and mg_unpack_tnef(). */
enum {
	MG_UNPACK_ENCRYPTED = 1 << 0,
	MG_UNPACK_BOMB = 1 << 1, /* ratio or total bytes */
	MG_UNPACK_TOO_MANY = 1 << 2,
	MG_UNPACK_MEMBER_TOO_LARGE = 1 << 3,
	/* Not everything could be read: the caller must not treat the
	 * container as clean. */
	MG_UNPACK_DAMAGED = 1 << 4,
	MG_UNPACK_UNSAFE_NAME = 1 << 5,
	/* Symlinks, hard links, devices or other special files present. */
	MG_UNPACK_LINKS = 1 << 6,
};

/*
 * The archive format libarchive finds in the bytes ("zip", "7zip", "rar",
 * "rar5", "lha", "cab", "tar", "cpio", "iso9660", "xar", "ar"), or for a
 * lone compressed file (not an archive) the outermost compression ("gzip",
 * "bzip2", "xz", "lzma", "lzip", "zstd", "lz4", "compress"); NULL when it
 * is neither.  A compressed archive (.tar.gz) gives the archive format.
 * OOXML and ODF documents are zips and give "zip": the caller decides by
 * the libmagic type whether to unpack them.  Plain text is never claimed:
 * libarchive's "raw", "empty" and "mtree" formats are not used for
 * detection, nor the "uu" filter (uuencoded text is the text layer's
 * business), and a tar that holds nothing but its end marker (a block of
 * zeros) is not called an archive.  A damaged archive whose format is
 * recognised still gives its format; mg_unpack() then reports it damaged.
 */
const char *mg_unpack_format(const void *data, gsize len);

/*
 * Called once per member, in archive order, with data set when extracted.
 * Return FALSE to stop.  The member is freed after the call (copy or ref
 * what you keep: g_bytes_ref).
 */
typedef gboolean (*mg_member_fn)(const struct mg_member *m, void *ctx);

/*
 * Unpack from memory.  `lim` may be NULL; zero fields mean the defaults.
 * Returns MG_UNPACK_* flags (0 = all fine).  Stops at the first fatal limit
 * (bomb, too many members) and sets the flag; per-member conditions
 * (encrypted, too large, unsafe name, links) are flagged and reported via
 * the member, and unpacking continues.  A lone compressed file unpacks to
 * one member named after the gzip header's file name when there is one,
 * else "data".  Bytes that are no archive give MG_UNPACK_DAMAGED and no
 * member; so do, with their members listed, a polyglot (bytes that more
 * than one archive format reads) and a tar or cpio archive followed by
 * anything but zeros.
 */
guint mg_unpack(const void *data, gsize len, const struct mg_limits *lim,
    struct mg_unpack_budget *budget, mg_member_fn fn, void *ctx);

/*
 * TNEF (winmail.dat, application/ms-tnef, MS-OXTNEF): each attachment
 * becomes a member (name from the MAPI property PR_ATTACH_LONG_FILENAME
 * when present, else the 8.3 title attAttachTitle; data from attAttachData,
 * else PR_ATTACH_DATA_OBJ, whose embedded-message or storage IID is
 * dropped so the caller sees the nested TNEF stream or OLE2 file).
 * *body_r (may be NULL) gets the TNEF's plain-text body (PR_BODY) as raw
 * bytes when present, NULL otherwise: PR_BODY of the message's MAPI
 * properties when it is Unicode (then UTF-8), else attBody, else an 8-bit
 * PR_BODY (both in the sender's code page); with none of those, the HTML
 * body (PR_BODY_HTML, raw bytes) and *html_r (may be NULL) set TRUE.
 * Same limits and budget;
 * returns MG_UNPACK_* flags, MG_UNPACK_DAMAGED when the stream is not TNEF
 * or cannot be parsed completely.
 */
guint mg_unpack_tnef(const void *data, gsize len, const struct mg_limits *lim,
    struct mg_unpack_budget *budget, mg_member_fn fn, void *ctx,
    GBytes **body_r, gboolean *html_r);

/* Shared by mg_unpack.c and mg_tnef.c: the archive limits of `lim` (may
 * be NULL), each zero field replaced by its default. */
struct mg_unpack_limits {
	guint members;
	guint64 total;
	guint64 member;
	guint ratio;
};
void
mg_unpack_limits_get(const struct mg_limits *lim, struct mg_unpack_limits *l);

/*
 * Shared by mg_unpack.c and mg_tnef.c: TRUE when a member name could
 * escape a directory or hide its nature if it were ever used as a path
 * (see mg_member.unsafe_name).  `name` is the UTF-8 name of the member.
 */
gboolean mg_unpack_name_unsafe(const char *name);

/* Copy raw name bytes as UTF-8, escaping each invalid byte as \xNN. */
char *mg_unpack_escape_name(const char *raw, gssize len);

#endif
