/*
 * mg_sandbox.h - the workers' sandbox: Landlock where the kernel has it,
 * then a seccomp filter (libseccomp) that kills the worker on any system
 * call outside the list in mg_sandbox.c.  docs/security.md, "Worker
 * sandbox", says what is allowed and why.
 */
#ifndef MG_SANDBOX_H
#define MG_SANDBOX_H

#include <glib.h>

#include "mg_policy.h"

/*
 * Master, once at start, before forking workers: check that the kernel
 * can load the filter (seccomp with SECCOMP_RET_KILL_PROCESS) and log
 * whether Landlock is there.  FALSE (with *err set) when no worker could
 * ever be sandboxed: the milter should not start.
 */
gboolean mg_sandbox_probe(GError **err);

/*
 * Worker, after its rlimits and before its first job: restrict file
 * access with Landlock (best effort: skipped, silently, where the kernel
 * lacks it) and load the seccomp filter (not optional).  `sock` is the
 * worker's end of the master's socket, the only one it may send and
 * receive on.  FALSE with *err set when the filter could not be loaded:
 * the worker must not take a job.  Irreversible, and inherited by any
 * thread the worker starts.
 */
gboolean mg_sandbox_enter(const struct mg_policy *pol, int sock, GError **err);

#endif
