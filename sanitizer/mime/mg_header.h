/*
 * mg_header.h - decode header values and MIME parameters to UTF-8.
 *
 * We decode encoded words ourselves instead of using GMime's decoder,
 * because every charset must go through mg_charset (GMime's iconv path
 * refuses the NEC/IBM extensions of ISO-2022-JP and CP932).
 *
 * Input: raw header values as they appear after the colon (folded, maybe
 * with raw 8-bit bytes).  Untrusted.  Output: UTF-8 the caller frees; it
 * may contain any character (the caller escapes it with mg_printable()
 * before showing it).
 */
#ifndef MG_HEADER_H
#define MG_HEADER_H

#include <glib.h>

/*
 * Unfold and decode a header value: RFC 2047 encoded words (B and Q,
 * charset*language form), leniently: adjacent encoded words of one charset
 * are joined before conversion, so an ISO-2022-JP or UTF-8 character split
 * across two words decodes; whitespace between encoded words is dropped;
 * encoded words inside quoted strings and glued to other text are decoded
 * too (as Outlook and Japanese mailers send them); raw 8-bit bytes are
 * decoded with charset detection.  Leading/trailing whitespace is trimmed.
 */
char *mg_header_decode(const char *raw);

/*
 * Find parameter `name` (case-insensitive) in a raw Content-Type or
 * Content-Disposition value and return it decoded to UTF-8, or NULL.
 * Handles quoted strings, RFC 2231 (name*=charset'lang'pct-encoded,
 * continuations name*0, name*1*, … in any order), and RFC 2047 encoded
 * words inside the (quoted or unquoted) value.  Raw 8-bit values are
 * decoded with detection.  At most 1000 continuation segments and 64 KiB
 * are read.
 *
 * Details: comments are skipped; an unquoted value runs to the next ';'
 * outside an encoded word and loses surrounding blanks and a trailing
 * " (comment)"; a value without a leading type ("filename=x") is read.
 * name* wins over name*0…, which wins over name; a duplicate segment
 * keeps the first; segments without a charset (no charset'lang' in
 * segment 0) go through mg_header_decode, so RFC 2047 words split across
 * segments decode.  A parameter present with an empty value gives "".
 * The result is trimmed of leading and trailing blanks.
 */
char *mg_header_param(const char *raw_value, const char *name);

/*
 * The file name of a part, decoded: Content-Disposition filename, else
 * Content-Type name.  Either raw value may be NULL.  NULL when none.
 */
char *mg_header_filename(const char *raw_disposition, const char *raw_type);

/*
 * Encode a UTF-8 value for a header: ASCII-only text is returned as is,
 * otherwise RFC 2047 encoded words (UTF-8, B), each line at most 76
 * characters, folded with CRLF-less "\n " continuation.
 *
 * Details: "ASCII-only" means printable ASCII and TAB without "=?"; a
 * CR, LF or other control character is encoded too, so the value can
 * never start a new header line.  Plain words before the first and after
 * the last word that needs encoding stay readable.  Each word holds at
 * most 36 bytes of whole UTF-8 characters (60 characters, so "Subject: "
 * plus the first word fits in 76).  Invalid UTF-8 is repaired first;
 * NULL gives NULL.  mg_header_decode() of the result gives the input
 * back, trimmed.
 */
char *mg_header_encode(const char *utf8);

#endif
