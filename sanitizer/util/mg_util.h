/*
 * mg_util.h - small helpers shared by every layer of the engine.
 */
#ifndef MG_UTIL_H
#define MG_UTIL_H

#include <glib.h>

/*
 * Return a copy of untrusted text that is safe to show on a terminal, in a
 * log line or in a notice: ASCII controls (including CR, LF, TAB unless
 * MG_PRINTABLE_KEEP_NEWLINES), DEL, C1 controls, the bidi controls
 * (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069), other invisible
 * format characters (U+200B..U+200D, U+2060, U+FEFF) and invalid UTF-8
 * bytes are shown escaped as \xNN or \u{NNNN}; a backslash is doubled.
 * The result is valid UTF-8.  `len` may be -1 for a NUL-terminated input.
 */
#define MG_PRINTABLE_KEEP_NEWLINES 0x1
char *mg_printable(const char *s, gssize len, guint flags);

/* A copy of untrusted text for a JSON string: valid UTF-8, and U+001F
 * replaced by U+FFFD (json-glib 1.6 escapes every other C0 control but
 * writes that one raw, which makes the document invalid JSON). */
char *mg_json_text(const char *s);

/* Lower-case hex SHA-256 of a buffer. */
char *mg_sha256_hex(const void *data, gsize len);

/* The last extension of an untrusted file name, lower case, without the
 * dot; NULL when there is none (mg_name.c). */
char *mg_name_extension(const char *name);

/* The name a file is delivered under: the last component of `name`
 * (never a path), control and bidi characters replaced, "file" when
 * nothing is left, the extension replaced by `new_ext` when not NULL. */
char *mg_name_deliverable(const char *name, const char *new_ext);

/* Kana and a following combining (semi-)voiced sound mark composed, in
 * place (mg_name.c): what macOS's decomposed names need, short of NFC. */
void mg_compose_kana(char *s);

#endif
