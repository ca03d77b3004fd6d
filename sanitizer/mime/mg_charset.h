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

/* Guess the charset of bytes (uchardet plus ISO-2022-JP escape sniffing);
 * returns a static canonical name such as "ISO-2022-JP", "CP932",
 * "EUC-JP", "UTF-8", or NULL when nothing fits. */
const char *mg_charset_detect(const char *in, gsize len);

/*
 * Encode UTF-8 text as ISO-2022-JP (JIS X 0208 only, as RFC 1468 says).
 * Returns NULL when a character cannot be represented, so the caller can
 * fall back to UTF-8.
 */
char *mg_charset_utf8_to_iso2022jp(const char *utf8, gsize len,
    gsize *out_len);

#endif
