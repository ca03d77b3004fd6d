/*
 * mg_notice.h - the notice that tells the reader what was removed and how
 * to ask for it, rendered from an administrator's template.
 *
 * Template syntax (conf/templates/<kind>.<lang>.txt):
 *   {{name}}              a value, escaped with mg_printable()
 *   {{#parts}}…{{/parts}} repeated for each removed part
 *   {{#rebuilt}}…{{/rebuilt}} repeated for each file delivered after CDR
 *   {{#name}}…{{/name}}   shown only when the value `name` is not empty
 * Global values: quarantine_id, hostname, count, rebuilt_count, reasons,
 * threats, sender.
 * Per part: n, filename, declared_type, detected_type, size, sha256,
 * reason, path, note, container, threat; for delivered files also
 * output_name, outcome and removed (what CDR took out, in words).
 * Every value is untrusted text from the message, so each one is escaped:
 * no control character, CR, LF or bidi override reaches the reader raw.
 */
#ifndef MG_NOTICE_H
#define MG_NOTICE_H

#include <glib.h>

#include "mime/mg_walk.h"

struct mg_notice_data {
	const char *lang;
	const char *quarantine_id;
	const char *hostname;
	const GPtrArray *parts; /* struct mg_part *; only removed ones shown */
	const GArray *reasons;  /* enum mg_reason */
	const GPtrArray *threats; /* char *: malware names, may be NULL */
	const char *sender;       /* envelope sender, may be NULL */
	/* Wording of a CDR removal id (mg_cdr_removed_text), or NULL. */
	const char *(*removed_text)(const char *id, const char *lang);
};

/* Read `dir`/<kind>.<lang>.txt; NULL and *err when missing. */
char *mg_notice_load(
    const char *dir, const char *kind, const char *lang, GError **err);

/* Check a template's syntax (balanced sections); FALSE and *err. */
gboolean mg_notice_check(const char *tmpl, GError **err);

char *mg_notice_render(const char *tmpl, const struct mg_notice_data *d);

#endif
