/*
 * mg_mlog.h - the milter's log: syslog (LOG_MAIL) by default, stderr with
 * --foreground.  Every process of the milter logs through this, and GLib
 * messages (libclamav's, via the engine) are routed here too.
 */
#ifndef MG_MLOG_H
#define MG_MLOG_H

#include <syslog.h>

#include <glib.h>

void mg_mlog_init(const char *ident, gboolean to_stderr);
/* Change the ident (after fork: "mugaika-milter/worker"). */
void mg_mlog_set_role(const char *role);
void mg_mlog(int prio, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
