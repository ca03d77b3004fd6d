/*
 * mg_charset.h - decode text in any charset a Japanese (or other) mailer
 * sends to UTF-8, exactly.
 *
 * Input bytes are untrusted.  Conversion never fails: a byte sequence that
 * cannot be decoded becomes U+FFFD and is counted.  Charsets:
 *  - ISO-2022-JP and its variants (ISO-2022-JP-1/2/3, CP50220, CP50221,
 *    CP50222), decoded as Microsoft's CP5022x do: JIS X 0208 rows plus the
 *    NEC special row 13 (①, Ⅰ, №, ㈱), NEC-selected and IBM extensions (髙),
 *    JIS X 0201 kana via ESC ( I and SO/SI, by converting JIS to CP932
 *    ourselves and letting iconv decode CP932;
 *  - Shift_JIS and its aliases decoded as CP932;
 *  - EUC-JP decoded as CP51932 / eucJP-ms (NEC and IBM extensions, kana);
 *  - UTF-8 (invalid sequences replaced), and anything iconv knows.
 * A missing, unknown or wrong charset (bytes not valid in the declared one)
 * is detected with uchardet, with a Japanese-aware fallback order.
 */
#ifndef MG_CHARSET_H
#define MG_CHARSET_H

#include <glib.h>

enum {
	MG_CHARSET_DETECTED = 1 << 0, /* declared charset missing or wrong */
	MG_CHARSET_REPLACED = 1 << 1, /* some bytes became U+FFFD */
};

/*
 * Convert `len` bytes in `charset` (may be NULL: detect) to UTF-8.
 * Returns a NUL-terminated string the caller frees; *out_len and *flags_r
 * (each may be NULL) receive the length and MG_CHARSET_* flags.  Embedded
 * NUL bytes in the input are dropped.
 */
char *mg_charset_to_utf8(const char *charset, const char *in, gsize len,
    gsize *out_len, guint *flags_r);

/*
 * Guess the charset of bytes (uchardet plus ISO-2022-JP escape sniffing
 * and a Japanese-aware score); returns a static name: "US-ASCII" for
 * 7-bit text without JIS escapes, "ISO-2022-JP", "UTF-8", "CP932",
 * "EUC-JP", another name as uchardet spells it (e.g. "WINDOWS-1252"), or
 * NULL when nothing fits (and for empty input).  NUL bytes are ignored.
 */
const char *mg_charset_detect(const char *in, gsize len);

/*
 * Encode UTF-8 text as ISO-2022-JP (JIS X 0208 only, as RFC 1468 says).
 * Returns NULL when a character cannot be represented, so the caller can
 * fall back to UTF-8: NEC/IBM extensions (①, 髙), half-width kana, ¥ and
 * ‾ (glibc would write JIS-Roman, which CP5022x readers show as \ and ~),
 * NUL/SO/SI/ESC, or invalid UTF-8.  The CP932 forms U+FF5E, U+2225,
 * U+FF0D, U+FFE0, U+FFE1, U+FFE2 are written as their JIS X 0208 codes
 * (and mg_charset_to_utf8 reads them back as the CP932 forms).  The
 * result ends in ASCII mode.
 */
char *mg_charset_utf8_to_iso2022jp(const char *utf8, gsize len, gsize *out_len);

/*
 * Load every iconv converter this module uses and keep one descriptor of
 * each open for the life of the process, so glibc's gconv modules are in
 * memory before a worker chroots or installs its syscall filter (after
 * which the module files cannot be opened, and the charsets would decode
 * to U+FFFD).  Call once at start-up; safe to call again.  Returns FALSE
 * if a charset the Japanese decoders need (CP932, EUC-JP-MS) is missing.
 */
gboolean mg_charset_preload(void);

#endif
