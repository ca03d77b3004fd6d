/*
 * mg_ipc.c - one datagram, one GVariant, some descriptors.
 *
 * Input from the peer is trusted only as far as its form: the payload is
 * checked against the expected type and normalised before use, a message
 * longer than MG_IPC_MAX_MSG or truncated (MSG_TRUNC, MSG_CTRUNC) is an
 * error, and descriptors beyond what we asked for are closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mg_ipc.h"

void
mg_ipc_close_fds(int *fds, guint n)
{
	guint i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

gboolean
mg_ipc_send(int sock, GVariant *msg, const int *fds, guint nfds, GError **err)
{
	g_autoptr(GVariant) v = g_variant_ref_sink(msg);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MG_IPC_MAX_FDS)];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	gsize len = g_variant_get_size(v);
	g_autofree char *data = g_malloc(len > 0 ? len : 1);
	ssize_t n;

	g_return_val_if_fail(nfds <= MG_IPC_MAX_FDS, FALSE);
	if (len > MG_IPC_MAX_MSG) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
		    "ipc message too large (%zu bytes)", len);
		return FALSE;
	}
	g_variant_store(v, data);
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = nfds > 0 ? sendmsg(sock, &mh, MSG_NOSIGNAL)
		             : send(sock, data, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (gsize)n != len) {
		int e = n < 0 ? errno : EMSGSIZE;

		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "ipc send: %s", g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

GVariant *
mg_ipc_recv(int sock, const char *type, int *fds_r, guint *nfds_r, GError **err)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MG_IPC_MAX_FDS)];
	} ctl;
	g_autofree char *data = g_malloc(MG_IPC_MAX_MSG);
	struct iovec iov = {data, MG_IPC_MAX_MSG};
	struct msghdr mh;
	struct cmsghdr *c;
	GVariant *v, *n;
	ssize_t len;
	guint i;

	*nfds_r = 0;
	for (i = 0; i < MG_IPC_MAX_FDS; i++)
		fds_r[i] = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (len < 0 && errno == EINTR);
	if (len < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "ipc receive: %s", g_strerror(errno));
		return NULL;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		int *p;
		guint k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = (int *)CMSG_DATA(c);
		for (k = 0; k < cnt; k++) {
			if (*nfds_r < MG_IPC_MAX_FDS)
				fds_r[(*nfds_r)++] = p[k];
			else
				close(p[k]);
		}
	}
	if (len == 0 && *nfds_r == 0)
		return NULL; /* the peer closed */
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		mg_ipc_close_fds(fds_r, *nfds_r);
		*nfds_r = 0;
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "ipc message truncated");
		return NULL;
	}
	{
		g_autoptr(GBytes) bytes = g_bytes_new(data, (gsize)len);

		v = g_variant_ref_sink(g_variant_new_from_bytes(
		    G_VARIANT_TYPE(type), bytes, FALSE));
	}
	/* Normal form: every later access is safe whatever was sent. */
	n = g_variant_take_ref(g_variant_get_normal_form(v));
	g_variant_unref(v);
	return n;
}
