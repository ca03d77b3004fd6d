/*
 * mg_report.h - the per-message report, JSON (json-glib).  Scripts rely on
 * its keys: disposition, quarantine_id, reasons, parts[path, filename,
 * declared_type, detected_type, size, sha256, action, reason, threat].
 */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include "mime/mg_walk.h"

struct mg_report_info {
	const char *disposition;
	const char *action; /* "deliver", "discard", "reject", "tempfail" */
	const char *quarantine_id; /* may be NULL */
	const char *mode;
	const char *message_id; /* decoded, may be NULL */
	const char *from;
	const char *subject;
	const char *sender; /* envelope, may be NULL */
	const char *const *recipients;
	guint64 size;
};

/* Pretty-printed JSON; the caller frees. */
char *
mg_report_json(const struct mg_report_info *info, const struct mg_walk *w);

#endif
