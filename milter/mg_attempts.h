/*
 * mg_attempts.h - attempts on one message that survive the gateway going
 * down (used by the master only).
 */
#ifndef MG_ATTEMPTS_H
#define MG_ATTEMPTS_H

#include <glib.h>

/* A record older than this is dropped at start: the sender's MTA has
 * given up on the message long before (Postfix's maximal_queue_lifetime
 * is 5 days). */
#define MG_ATTEMPTS_MAX_AGE (7 * 24 * 3600)

/* At most this many records (128 bytes each: a 2 MiB file); when full,
 * the oldest record of a message not in flight makes room. */
#define MG_ATTEMPTS_MAX_SLOTS 16384

struct mg_attempts;

struct mg_attempts *mg_attempts_open(const char *dir, gint64 now, GError **err);
void mg_attempts_free(struct mg_attempts *a);
guint mg_attempts_begin(struct mg_attempts *a, const char *key, gint64 now);
void mg_attempts_end(struct mg_attempts *a, const char *key, gboolean settled);
guint mg_attempts_records(const struct mg_attempts *a);

#endif
