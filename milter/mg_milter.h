/*
 * mg_milter.h - the processes of mugaika-milter.
 *
 *   master (single-threaded): config, pidfile, privileges, the ClamAV
 *       engine; forks the front end and the workers, replaces them when
 *       they die, reloads on SIGHUP, hands jobs to idle workers, holds a
 *       message whose worker crashed or timed out.
 *   front end (libmilter threads): spools each message, submits it to
 *       the master over a SOCK_SEQPACKET socket, applies the verdict.
 *       It never parses content and never forks.
 *   workers: run the engine on one spooled message at a time.
 *
 * The master is forked from nothing threaded, and libmilter's threads live
 * only in the front end, so no process ever forks with threads running.
 */
#ifndef MG_MILTER_H
#define MG_MILTER_H

#include "mg_policy.h"
#include "mugaika.h"

/* Run the front end in this (child) process; returns an exit code. */
int mg_frontend_run(const struct mg_policy *pol, int ctl, const char *conn);

/* Run a worker in this (child) process; never returns. */
G_GNUC_NORETURN void
mg_worker_run(mugaika_engine *e, const struct mg_policy *pol, int sock);

/* Convert Postfix's socket syntax (inet:HOST:PORT) to libmilter's
 * (inet:PORT@HOST); other forms are returned as they are. */
char *mg_milter_conn_spec(const char *postfix_style);

#endif
