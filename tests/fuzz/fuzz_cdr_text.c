/*
 * fuzz_cdr_text.c - libFuzzer target for the text and CSV CDR modules
 * (mg_cdr_text, mg_cdr_csv).
 *
 * The bytes go through both rebuilds with a 1 MB part limit.  Checks:
 * the output is valid UTF-8 without control characters other than TAB,
 * CR and LF; the CSV output starts with a UTF-8 BOM, reads back with a
 * strict RFC 4180 reader of our own, and none of its cells, nor any text
 * after a ';' in a cell, would start a formula.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/mg_cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_text;
extern const struct mg_cdr_module mg_cdr_csv;

static void
check_utf8(const char *s, gsize n)
{
	const char *end = s + n;
	gunichar c;

	if (!g_utf8_validate(s, n, NULL))
		abort();
	for (; s < end; s = g_utf8_next_char(s)) {
		c = g_utf8_get_char(s);
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    (c >= 0x7f && c <= 0x9f))
			abort();
	}
}

static gboolean
formula(const char *s, const char *end)
{
	gunichar c;

	if (s < end && (*s == '\t' || *s == '\r'))
		return TRUE;
	for (; s < end; s = g_utf8_next_char(s)) {
		c = g_utf8_get_char(s);
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
		    c != '"' && c != 0x3000)
			break;
	}
	if (s >= end)
		return FALSE;
	c = g_utf8_get_char(s);
	return c == '=' || c == '+' || c == '-' || c == '@' || c == 0xff1d ||
	       c == 0xff0b || c == 0xff0d || c == 0xff20;
}

static void
check_cell(const char *v, gsize n)
{
	const char *end = v + n, *s;

	if (formula(v, end))
		abort();
	for (s = v; s < end; s++)
		if (*s == ';' && formula(s + 1, end))
			abort();
}

/* Strict RFC 4180: a quoted field ends at its closing quote. */
static void
check_csv(const char *s, gsize n)
{
	GString *v = g_string_new(NULL);
	gsize i = 0;

	while (i < n) {
		g_string_truncate(v, 0);
		if (s[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					abort();
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
			if (i < n && s[i] != ',' && s[i] != '\r' &&
			    s[i] != '\n')
				abort();
		} else {
			for (; i < n && s[i] != ',' && s[i] != '\r' &&
			       s[i] != '\n';
			     i++) {
				if (s[i] == '"')
					abort();
				g_string_append_c(v, s[i]);
			}
		}
		check_cell(v->str, v->len);
		if (i < n)
			i++;
	}
	g_string_free(v, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_limits limits = {0};
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	GBytes *in = g_bytes_new(data, size);
	const char *o;
	gsize n;

	(void)mg_cdr_text.bid("text/plain", "txt", data, size);
	(void)mg_cdr_csv.bid("text/csv", "csv", data, size);
	limits.max_part_size = 1024 * 1024;
	ctx.limits = &limits;

	mg_cdr_result_init(&r);
	if (mg_cdr_text.rebuild(&ctx, in, &r) != MG_OK)
		abort();
	if (r.outcome == MG_CDR_REBUILT) {
		o = g_bytes_get_data(r.data, &n);
		check_utf8(o, n);
	} else if (r.reason != MG_REASON_PART_TOO_LARGE) {
		abort();
	}
	mg_cdr_result_clear(&r);

	mg_cdr_result_init(&r);
	if (mg_cdr_csv.rebuild(&ctx, in, &r) != MG_OK)
		abort();
	if (r.outcome == MG_CDR_REBUILT) {
		o = g_bytes_get_data(r.data, &n);
		if (n < 3 || memcmp(o, "\xef\xbb\xbf", 3) != 0)
			abort();
		check_utf8(o + 3, n - 3);
		check_csv(o + 3, n - 3);
	} else if (r.reason != MG_REASON_PART_TOO_LARGE) {
		abort();
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
