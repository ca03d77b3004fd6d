/*
 * mg_ipc.h - messages between the milter's processes: one datagram on a
 * SOCK_SEQPACKET socket, a GVariant payload, and file descriptors passed
 * alongside (SCM_RIGHTS).
 *
 * Every payload is checked against its expected type on receipt; a peer
 * that sends anything else is treated as broken (its socket is closed).
 * Received descriptors are close-on-exec; excess ones are closed.
 */
#ifndef MG_IPC_H
#define MG_IPC_H

#include <glib.h>

#define MG_IPC_MAX_FDS 4
#define MG_IPC_MAX_MSG (256 * 1024)

/* Front end -> manager: job id, sender, recipients, queue id, client;
 * fds: spool (read), result (write), reply socket. */
#define MG_IPC_JOB "(tmsasmsms)"
/* Manager -> worker: the same payload and descriptors. */
/* Worker -> manager: job id, ok, error text. */
#define MG_IPC_DONE "(tbs)"
/* Worker -> front end on the reply socket, right after its DONE; or the
 * manager, when the worker died, ran out of time or never got the job:
 * ok, error text; when ok the serialised result is in the result file. */
#define MG_IPC_REPLY "(bs)"

/* Send one message with up to MG_IPC_MAX_FDS descriptors.  Without
 * descriptors it is a plain send(2), which the worker's sandbox allows on
 * any connected socket (sendmsg(2) only on the manager's). */
gboolean
mg_ipc_send(int sock, GVariant *msg, const int *fds, guint nfds, GError **err);

/*
 * Receive one message of type `type`.  Returns NULL at end of file (the
 * peer closed) without setting *err, or NULL with *err on an error or a
 * malformed message.  fds_r (room for MG_IPC_MAX_FDS) gets the received
 * descriptors and *nfds_r their count; the caller closes them.
 */
GVariant *mg_ipc_recv(
    int sock, const char *type, int *fds_r, guint *nfds_r, GError **err);

void mg_ipc_close_fds(int *fds, guint n);

#endif
