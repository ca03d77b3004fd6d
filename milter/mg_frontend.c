/*
 * mg_frontend.c - the libmilter side: spool, submit, apply.
 *
 * Input: the SMTP transaction as the MTA relays it (envelope, headers,
 * body chunks: untrusted, but only copied here, never parsed).  Each
 * message is written to a private unlinked file in [milter] spool_dir as
 * it arrives; one over [limits] max_message_size is refused (552) at MAIL
 * FROM from its SIZE parameter or as soon as the body passes the limit,
 * so nothing is ever half-scanned.  At end of message the spool goes to
 * the master with an empty result file and a reply socket; the verdict
 * that comes back is applied with smfi_* calls.  Every failure on the way
 * (spool, master, worker, result) answers 451 4.7.1: the mail stays
 * queued at the sender or in Postfix, never delivered unsanitized.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libmilter/mfapi.h>

#include "mg_ipc.h"
#include "mg_milter.h"
#include "mg_mlog.h"
#include "util/mg_util.h"

/* The largest result we read back: a text body of max_text_size in
 * base64 plus the notice, report and headers. */
#define MAX_RESULT_EXTRA (16u * 1024 * 1024)

static const struct mg_policy *pol;
static int ctl_sock = -1;
static guint64 job_seq;
static GMutex job_lock;

struct hdr {
	char *name;
	char *value;
};

struct msg {
	int spool;
	guint64 size;
	gboolean too_big;
	gboolean failed; /* spooling failed: tempfail at the end */
	GString *head;   /* the header lines, spooled in one write at EOH */
	gboolean head_done;
	GPtrArray *hdrs; /* struct hdr * */
	char *sender;
	GPtrArray *rcpts; /* char * */
};

struct conn {
	char *client;     /* the client's address, for the engine (audit) */
	char *client_log; /* "name[address]", as Postfix logs it */
	struct msg *msg;
	gboolean leadspc; /* SMFIP_HDR_LEADSPC negotiated on this connection */
	unsigned long noreply; /* the SMFIP_NR_* steps negotiated */
};

/*
 * The protocol steps the MTA need not wait for (SMFIP_NR_*): everything
 * after MAIL FROM is decided at the end of the message, so the MTA sends
 * the recipients, DATA, headers and body without a round trip each.  A
 * problem found on the way (too large, spool failure) is remembered and
 * answered at end of message.  MAIL FROM keeps its reply: it refuses a
 * too-large SIZE before any data.  libmilter answers for us when the MTA
 * lacks a step's no-reply feature.
 *
 * Only on a unix socket.  Over TCP, Postfix writes each step as its own
 * small segment without waiting for an answer, and with Nagle on its side
 * (it does not set TCP_NODELAY) and delayed ACK on ours every message
 * stalls for 40 ms (measured: 86 mails/s at 4 sessions instead of ~550).
 * With an answer to every step, each answer carries the ACK.
 */
#define NOREPLY_STEPS                                                   \
	(SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_HDR | \
	    SMFIP_NR_BODY)

static unsigned long noreply_steps; /* NOREPLY_STEPS, or 0 over TCP */

/* The answer of a step that went well: none, if the MTA does not wait. */
static sfsistat
step_ok(const struct conn *c, unsigned long step)
{
	return c != NULL && (c->noreply & step) != 0 ? SMFIS_NOREPLY
	                                             : SMFIS_CONTINUE;
}

static void
hdr_free(struct hdr *h)
{
	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

static void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	if (m->spool >= 0)
		close(m->spool);
	if (m->head != NULL)
		g_string_free(m->head, TRUE);
	g_ptr_array_unref(m->hdrs);
	g_ptr_array_unref(m->rcpts);
	g_free(m->sender);
	g_free(m);
}

/* An unlinked file in the spool directory, mode 0600. */
static int
spool_file(void)
{
	int fd = open(pol->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_autofree char *t =
		    g_build_filename(pol->spool_dir, "msg.XXXXXX", NULL);

		fd = g_mkstemp_full(t, O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlink(t);
	}
	return fd;
}

static gboolean
spool_write(struct msg *m, const void *p, gsize len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(m->spool, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mg_mlog(LOG_ERR, "spool write: %s", g_strerror(errno));
			m->failed = TRUE;
			return FALSE;
		}
		c += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* The header lines and the blank line after them, once. */
static void
spool_head(struct msg *m)
{
	if (m->too_big || m->head_done)
		return;
	if (m->head == NULL)
		m->head = g_string_new(NULL);
	g_string_append(m->head, "\r\n");
	spool_write(m, m->head->str, m->head->len);
	g_string_free(m->head, TRUE);
	m->head = NULL;
	m->head_done = TRUE;
}

static struct conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The connection's state, made at negotiation (which comes first). */
static struct conn *
conn_new(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = g_new0(struct conn, 1);
		smfi_setpriv(ctx, c);
	}
	return c;
}

/*
 * The client: its address from the {client_addr} macro, or from the
 * socket address the MTA sends with the connect step (Postfix's default
 * connect macros do not include {client_addr}); `host` is its name, or
 * "[address]" when it has none.
 */
static sfsistat
fe_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = conn_new(ctx);
	const char *addr = smfi_getsymval(ctx, "{client_addr}");
	char ip[INET6_ADDRSTRLEN] = "";
	g_autofree char *name = mg_printable(host != NULL ? host : "", -1, 0);

	if (addr == NULL && sa != NULL) {
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			    &((struct sockaddr_in *)sa)->sin_addr, ip,
			    sizeof(ip));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)sa)->sin6_addr, ip,
			    sizeof(ip));
		if (ip[0] != '\0')
			addr = ip;
	}
	g_free(c->client);
	g_free(c->client_log);
	c->client = mg_printable(addr != NULL   ? addr
	                         : host != NULL ? host
	                                        : "",
	    -1, 0);
	if (name[0] == '[' || name[0] == '\0') {
		g_free(name);
		name = g_strdup("unknown");
	}
	c->client_log = addr != NULL
	                    ? g_strdup_printf("%s[%s]", name, c->client)
	                    : g_strdup(name);
	return step_ok(c, SMFIP_NR_CONN);
}

static sfsistat
tempfail(SMFICTX *ctx, const char *why)
{
	smfi_setreply(ctx, "451", "4.7.1",
	    (char *)(why != NULL ? why : "mugaika: temporary failure"));
	return SMFIS_TEMPFAIL;
}

static sfsistat
fe_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);
	struct msg *m;
	guint i;

	if (c == NULL)
		return tempfail(ctx, NULL);
	msg_free(c->msg);
	m = g_new0(struct msg, 1);
	c->msg = m;
	m->hdrs = g_ptr_array_new_with_free_func((GDestroyNotify)hdr_free);
	m->rcpts = g_ptr_array_new_with_free_func(g_free);
	m->sender = g_strdup(argv[0] != NULL ? argv[0] : "");
	g_strdelimit(m->sender, "<>", ' ');
	g_strstrip(m->sender);
	/* RFC 1870: refuse what is announced too large before the data. */
	for (i = 1; argv[i] != NULL; i++) {
		guint64 sz;

		if (g_ascii_strncasecmp(argv[i], "SIZE=", 5) == 0 &&
		    mg_policy_parse_size(argv[i] + 5, &sz) &&
		    sz > pol->limits.max_message_size) {
			smfi_setreply(ctx, "552", "5.3.4",
			    "message size exceeds the limit of this gateway");
			return SMFIS_REJECT;
		}
	}
	m->spool = spool_file();
	if (m->spool < 0) {
		mg_mlog(LOG_ERR, "spool in %s: %s", pol->spool_dir,
		    g_strerror(errno));
		return tempfail(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* A step after MAIL FROM without a message: the MTA is not waiting for
 * an answer, so the end of the message (which finds no message) will
 * tempfail it; otherwise tempfail now. */
static sfsistat
no_msg(SMFICTX *ctx, const struct conn *c, unsigned long step)
{
	return c != NULL && (c->noreply & step) != 0 ? SMFIS_NOREPLY
	                                             : tempfail(ctx, NULL);
}

static sfsistat
fe_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);
	char *r;

	if (c == NULL || c->msg == NULL)
		return no_msg(ctx, c, SMFIP_NR_RCPT);
	r = g_strdup(argv[0] != NULL ? argv[0] : "");
	g_strdelimit(r, "<>", ' ');
	g_ptr_array_add(c->msg->rcpts, g_strdup(g_strstrip(r)));
	g_free(r);
	return step_ok(c, SMFIP_NR_RCPT);
}

/* Registering a DATA callback lets libmilter answer DATA at once (one of
 * the two 40 ms stalls per message over TCP; see FACTS.md); with
 * SMFIP_NR_DATA there is no answer at all. */
static sfsistat
fe_data(SMFICTX *ctx)
{
	return step_ok(conn_of(ctx), SMFIP_NR_DATA);
}

/* Count the message's size; past the limit nothing more is spooled and
 * the message is refused (at once, or at its end when the MTA is not
 * waiting for an answer). */
static gboolean
over_limit(struct msg *m, gsize more)
{
	m->size += more;
	if (m->size > pol->limits.max_message_size)
		m->too_big = TRUE;
	return m->too_big;
}

static sfsistat
too_big(SMFICTX *ctx, const struct conn *c, unsigned long step)
{
	if ((c->noreply & step) != 0)
		return SMFIS_NOREPLY;
	smfi_setreply(ctx, "552", "5.3.4",
	    "message size exceeds the limit of this gateway");
	return SMFIS_REJECT;
}

static sfsistat
fe_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);
	struct msg *m = c != NULL ? c->msg : NULL;
	struct hdr *h;
	gsize before;

	if (m == NULL)
		return no_msg(ctx, c, SMFIP_NR_HDR);
	if (m->too_big)
		return too_big(ctx, c, SMFIP_NR_HDR);
	h = g_new0(struct hdr, 1);
	h->name = g_strdup(name);
	h->value = g_strdup(value);
	g_ptr_array_add(m->hdrs, h);
	/* Rebuild the header line as it was sent: with LEADSPC the value
	 * keeps its own leading white space. */
	if (m->head == NULL)
		m->head = g_string_sized_new(4096);
	before = m->head->len;
	g_string_append(m->head, name);
	g_string_append_c(m->head, ':');
	if (!c->leadspc)
		g_string_append_c(m->head, ' ');
	g_string_append(m->head, value);
	g_string_append(m->head, "\r\n");
	if (over_limit(m, m->head->len - before)) {
		g_string_truncate(m->head, 0);
		return too_big(ctx, c, SMFIP_NR_HDR);
	}
	return step_ok(c, SMFIP_NR_HDR);
}

static sfsistat
fe_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL || c->msg == NULL)
		return no_msg(ctx, c, SMFIP_NR_BODY);
	if (over_limit(c->msg, len))
		return too_big(ctx, c, SMFIP_NR_BODY);
	spool_head(c->msg); /* the first body chunk ends the header */
	spool_write(c->msg, p, len);
	return step_ok(c, SMFIP_NR_BODY);
}

/* A header value as libmilter wants it: a leading space when we told the
 * MTA we handle leading white space ourselves. */
static char *
hval(const struct conn *c, const char *v)
{
	return c->leadspc ? g_strconcat(" ", v, NULL) : g_strdup(v);
}

/* Raw 8-bit bytes or control characters in a header value: the held
 * notice must not carry them on (they are the message's, unparsed). */
static gboolean
is_raw(const char *v)
{
	const guchar *p;

	for (p = (const guchar *)v; *p != '\0'; p++)
		if (*p >= 0x80 ||
		    (*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n'))
			return TRUE;
	return FALSE;
}

/*
 * A raw header value made 7-bit without interpreting it (the message may
 * be the one that crashed the parser): invalid UTF-8 and controls become
 * U+FFFD, and the text goes into one RFC 2047 UTF-8 word.  A trailing
 * <addr-spec> that is plain ASCII stays outside the word, so From and To
 * keep a usable address.
 */
static char *
encode_raw(const char *v)
{
	g_autofree char *valid = g_utf8_make_valid(v, -1);
	const char *lt = strrchr(valid, '<');
	g_autofree char *text = NULL;
	GString *clean = g_string_new(NULL);
	const char *p, *addr = NULL;
	g_autofree char *b64 = NULL;

	if (lt != NULL && strchr(lt, '>') != NULL && !is_raw(lt))
		addr = lt;
	text = g_strndup(
	    valid, addr != NULL ? (gsize)(addr - valid) : strlen(valid));
	for (p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || c == 0x7f)
			g_string_append_c(clean, ' ');
		else
			g_string_append_unichar(clean, c);
	}
	g_strstrip(clean->str);
	b64 = g_base64_encode((const guchar *)clean->str, strlen(clean->str));
	g_string_free(clean, TRUE);
	return g_strdup_printf(
	    "=?UTF-8?B?%s?=%s%s", b64, addr ? " " : "", addr ? addr : "");
}

/* Delete every Content-*, MIME-Version and X-Mugaika* header we saw, and
 * make every header with raw 8-bit or control bytes 7-bit, highest
 * occurrence first (for results that could not see the headers: a held
 * message). */
static void
delete_replaced(SMFICTX *ctx, struct msg *m)
{
	guint i, j;

	for (i = m->hdrs->len; i-- > 0;) {
		const struct hdr *h = g_ptr_array_index(m->hdrs, i);
		int idx = 0;

		if (!mugaika_header_is_replaced(h->name) && !is_raw(h->value))
			continue;
		for (j = 0; j <= i; j++) {
			const struct hdr *o = g_ptr_array_index(m->hdrs, j);

			if (g_ascii_strcasecmp(o->name, h->name) == 0)
				idx++;
		}
		if (mugaika_header_is_replaced(h->name)) {
			smfi_chgheader(ctx, h->name, idx, NULL);
		} else {
			g_autofree char *enc = encode_raw(h->value);
			g_autofree char *v = hval(conn_of(ctx), enc);

			smfi_chgheader(ctx, h->name, idx, v);
		}
	}
}

/* The body with CRLF line ends, as the MTA expects it. */
static GByteArray *
crlf_body(GBytes *body)
{
	gsize len, i = 0;
	const char *p = g_bytes_get_data(body, &len);
	GByteArray *out = g_byte_array_sized_new(len + len / 40 + 2);

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		gsize end = nl != NULL ? (gsize)(nl - p) : len;

		g_byte_array_append(out, (const guint8 *)p + i, end - i);
		if (nl == NULL)
			break;
		if (end == 0 || p[end - 1] != '\r')
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
		else
			g_byte_array_append(out, (const guint8 *)"\n", 1);
		i = end + 1;
	}
	return out;
}

static sfsistat
apply(SMFICTX *ctx, struct msg *m, mugaika_result *r)
{
	const GPtrArray *edits = mugaika_result_header_edits(r);
	const char *code, *dsn, *text;
	GByteArray *body;
	gsize off;
	guint i;

	switch (mugaika_result_action(r)) {
	case MUGAIKA_DISCARD:
		return SMFIS_DISCARD;
	case MUGAIKA_REJECT:
		mugaika_result_smtp_reply(r, &code, &dsn, &text);
		smfi_setreply(ctx, (char *)code, (char *)dsn, (char *)text);
		return SMFIS_REJECT;
	case MUGAIKA_TEMPFAIL:
		mugaika_result_smtp_reply(r, &code, &dsn, &text);
		smfi_setreply(ctx, (char *)code, (char *)dsn, (char *)text);
		return SMFIS_TEMPFAIL;
	case MUGAIKA_DELIVER:
		break;
	}
	if (mugaika_result_headers_unknown(r))
		delete_replaced(ctx, m);
	for (i = 0; i < edits->len; i++) {
		const struct mugaika_hdr_edit *e = g_ptr_array_index(edits, i);
		g_autofree char *v =
		    e->value != NULL ? hval(conn_of(ctx), e->value) : NULL;
		int rc;

		if (e->op == MUGAIKA_HDR_ADD)
			rc = smfi_addheader(ctx, e->name, v);
		else
			rc = smfi_chgheader(ctx, e->name, (int)e->index, v);
		if (rc != MI_SUCCESS)
			return tempfail(ctx, "mugaika: header edit failed");
	}
	if (mugaika_result_passthrough(r))
		return SMFIS_CONTINUE; /* a verified release: body as it is */
	body = crlf_body(mugaika_result_body(r));
	for (off = 0; off < body->len || off == 0;) {
		gsize n = MIN(body->len - off, 65536);

		if (smfi_replacebody(ctx, body->data + off, (int)n) !=
		    MI_SUCCESS) {
			g_byte_array_unref(body);
			return tempfail(
			    ctx, "mugaika: body replacement failed");
		}
		off += n;
		if (n == 0)
			break;
	}
	g_byte_array_unref(body);
	return SMFIS_CONTINUE;
}

/* Read the serialised result the worker wrote. */
static mugaika_result *
read_result(int fd, GError **err)
{
	struct stat st;
	g_autofree char *buf = NULL;
	gsize off = 0;

	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    (guint64)st.st_size >
	        pol->limits.max_text_size * 2 + MAX_RESULT_EXTRA) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "result file empty or too large");
		return NULL;
	}
	buf = g_malloc((gsize)st.st_size);
	while (off < (gsize)st.st_size) {
		ssize_t n =
		    pread(fd, buf + off, (gsize)st.st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "reading the result: %s",
			    n < 0 ? g_strerror(errno) : "short");
			return NULL;
		}
		off += (gsize)n;
	}
	{
		g_autoptr(GBytes) b =
		    g_bytes_new_take(g_steal_pointer(&buf), off);

		return mugaika_result_deserialize(b, err);
	}
}

/*
 * Hand the message to the master and wait, telling the MTA we are alive
 * every few seconds (smfi_progress), up to the queue and message
 * timeouts plus a margin: the master answers before then, even for a
 * worker that died or hung.
 */
static mugaika_result *
submit(SMFICTX *ctx, struct msg *m, GError **err)
{
	const char *qid = smfi_getsymval(ctx, "i");
	struct conn *c = conn_of(ctx);
	GVariantBuilder rb;
	int pair[2] = {-1, -1}, out = -1, fds[MG_IPC_MAX_FDS];
	guint nfds = 0, i;
	gint64 deadline;
	g_autoptr(GVariant) reply = NULL;
	mugaika_result *r = NULL;
	gboolean ok;
	const char *why;
	guint64 id;

	/* The result in memory, not in the spool directory: a file created
	 * and removed on disk per message cost a sixth of the milter's
	 * throughput (docs/performance.md); results are bounded by the
	 * message size. */
	out = memfd_create("mugaika-result", MFD_CLOEXEC);
	if (out < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "result file or socket: %s", g_strerror(errno));
		goto out;
	}
	g_variant_builder_init(&rb, G_VARIANT_TYPE("as"));
	for (i = 0; i < m->rcpts->len; i++)
		g_variant_builder_add(
		    &rb, "s", (const char *)g_ptr_array_index(m->rcpts, i));
	g_mutex_lock(&job_lock);
	id = ++job_seq;
	fds[0] = m->spool;
	fds[1] = out;
	fds[2] = pair[1];
	ok = mg_ipc_send(ctl_sock,
	    g_variant_new(MG_IPC_JOB, id, m->sender, &rb, qid, c->client), fds,
	    3, err);
	g_mutex_unlock(&job_lock);
	close(pair[1]);
	pair[1] = -1;
	if (!ok)
		goto out;
	deadline =
	    g_get_monotonic_time() +
	    (gint64)(pol->queue_timeout + pol->limits.message_timeout + 30) *
	        G_USEC_PER_SEC;
	for (;;) {
		struct pollfd p = {pair[0], POLLIN, 0};
		int n = poll(&p, 1, 5000);

		if (n > 0)
			break;
		if (n < 0 && errno != EINTR) {
			g_set_error(err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "poll: %s",
			    g_strerror(errno));
			goto out;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "no answer from the worker pool");
			goto out;
		}
		smfi_progress(ctx);
	}
	reply = mg_ipc_recv(pair[0], MG_IPC_REPLY, fds, &nfds, err);
	mg_ipc_close_fds(fds, nfds);
	if (reply == NULL) {
		if (err != NULL && *err == NULL)
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
			    "the worker pool went away");
		goto out;
	}
	g_variant_get(reply, "(b&s)", &ok, &why);
	if (!ok) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", why);
		goto out;
	}
	r = read_result(out, err);
out:
	if (out >= 0)
		close(out);
	if (pair[0] >= 0)
		close(pair[0]);
	return r;
}

/* The MTA's queue id, for the log lines. */
static const char *
qid_of(SMFICTX *ctx)
{
	const char *qid = smfi_getsymval(ctx, "i");

	return qid != NULL ? qid : "NOQUEUE";
}

static void
log_message(SMFICTX *ctx, struct conn *c, struct msg *m,
    const mugaika_result *r, const char *failure)
{
	g_autofree char *from = mg_printable(m->sender, -1, 0);
	GString *to = g_string_new(NULL);
	guint i;

	for (i = 0; i < m->rcpts->len; i++) {
		g_autofree char *s =
		    mg_printable(g_ptr_array_index(m->rcpts, i), -1, 0);

		if (i > 0)
			g_string_append_c(to, ',');
		g_string_append(to, s);
	}
	if (r != NULL)
		mg_mlog(LOG_INFO,
		    "%s: client=%s from=<%s> to=<%s> size=%" G_GUINT64_FORMAT
		    " %s",
		    qid_of(ctx), c->client_log, from, to->str, m->size,
		    mugaika_result_summary(r));
	else
		mg_mlog(LOG_WARNING,
		    "%s: client=%s from=<%s> to=<%s> size=%" G_GUINT64_FORMAT
		    " tempfail: %s",
		    qid_of(ctx), c->client_log, from, to->str, m->size,
		    failure);
	g_string_free(to, TRUE);
}

static sfsistat
fe_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	struct msg *m = c != NULL ? c->msg : NULL;
	g_autoptr(GError) err = NULL;
	mugaika_result *r;
	sfsistat rc;

	if (m == NULL)
		return tempfail(ctx, NULL);
	if (m->too_big) {
		mg_mlog(LOG_INFO,
		    "%s: client=%s rejected: message larger than "
		    "%" G_GUINT64_FORMAT " bytes",
		    qid_of(ctx), c->client_log, pol->limits.max_message_size);
		return too_big(ctx, c, 0);
	}
	spool_head(m); /* an MTA that sent neither EOH nor body */
	if (m->failed) {
		log_message(ctx, c, m, NULL, "spooling failed");
		return tempfail(ctx, NULL);
	}
	r = submit(ctx, m, &err);
	if (r == NULL) {
		log_message(ctx, c, m, NULL, err != NULL ? err->message : "?");
		return tempfail(ctx, NULL);
	}
	log_message(ctx, c, m, r, NULL);
	rc = apply(ctx, m, r);
	mugaika_result_free(r);
	msg_free(m);
	c->msg = NULL;
	return rc;
}

static sfsistat
fe_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL) {
		msg_free(c->msg);
		c->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
fe_close(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL) {
		msg_free(c->msg);
		g_free(c->client);
		g_free(c->client_log);
		g_free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* Ask only for what we use: the steps we have no callback for are not
 * sent at all (libmilter's *pf1 on entry: SMFIP_NOHELO, SMFIP_NOUNKNOWN,
 * SMFIP_NOEOH; the header is spooled with the first body chunk),
 * the steps in NOREPLY_STEPS get no answer (on a unix socket), and leading
 * white space of header values is taken verbatim — each only when the MTA
 * offers it. */
static sfsistat
fe_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_new(ctx);

	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	*pf1 = (*pf1 | noreply_steps | SMFIP_HDR_LEADSPC) & f1;
	*pf2 = 0;
	*pf3 = 0;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->noreply = *pf1 & noreply_steps;
	return SMFIS_CONTINUE;
}

char *
mg_milter_conn_spec(const char *s)
{
	const char *rest, *colon;

	if (!g_str_has_prefix(s, "inet:") && !g_str_has_prefix(s, "inet6:"))
		return g_strdup(s);
	rest = strchr(s, ':') + 1;
	if (strchr(rest, '@') != NULL)
		return g_strdup(s); /* already libmilter's form */
	colon = strrchr(rest, ':');
	if (colon == NULL)
		return g_strdup(s); /* a bare port */
	return g_strdup_printf("%.*s%s@%.*s", (int)(rest - s), s, colon + 1,
	    (int)(colon - rest), rest);
}

/* Accepted sockets inherit TCP_NODELAY from the listener: set it on every
 * listening TCP socket we have (libmilter does not expose its own). */
static void
set_nodelay_on_listeners(void)
{
	int fd, one = 1;

	for (fd = 3; fd < 1024; fd++) {
		int acc = 0;
		socklen_t l = sizeof(acc);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) != 0 ||
		    !acc)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

int
mg_frontend_run(const struct mg_policy *p, int ctl, const char *conn)
{
	struct smfiDesc desc = {
	    .xxfi_name = "mugaika",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
	    .xxfi_connect = fe_connect,
	    .xxfi_envfrom = fe_envfrom,
	    .xxfi_envrcpt = fe_envrcpt,
	    .xxfi_header = fe_header,
	    .xxfi_body = fe_body,
	    .xxfi_eom = fe_eom,
	    .xxfi_abort = fe_abort,
	    .xxfi_close = fe_close,
	    .xxfi_data = fe_data,
	    .xxfi_negotiate = fe_negotiate,
	};
	g_autofree char *spec = g_strdup(conn);

	pol = p;
	ctl_sock = ctl;
	mg_mlog_set_role("smtp");
	if (smfi_setconn(spec) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		mg_mlog(LOG_ERR, "cannot register the milter on %s", conn);
		return 75;
	}
	/* libmilter reports bind errors only to syslog: open the socket
	 * ourselves first and say what went wrong. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		mg_mlog(LOG_ERR,
		    "cannot listen on %s (in use, or no "
		    "permission?)",
		    conn);
		return 75;
	}
	if (g_str_has_prefix(conn, "unix:") ||
	    g_str_has_prefix(conn, "local:")) {
		const char *path = strchr(conn, ':') + 1;

		if (chmod(path, p->milter_socket_mode) != 0)
			mg_mlog(LOG_WARNING, "chmod %s: %s", path,
			    g_strerror(errno));
		/* Postfix's smtpd runs as user postfix: the socket's group
		 * lets it connect (see FACTS.md). */
		if (p->milter_socket_group != NULL &&
		    *p->milter_socket_group != '\0') {
			struct group *gr = getgrnam(p->milter_socket_group);

			if (gr == NULL ||
			    chown(path, (uid_t)-1, gr->gr_gid) != 0)
				mg_mlog(LOG_WARNING,
				    "cannot give %s to group %s: %s", path,
				    p->milter_socket_group,
				    gr == NULL ? "no such group"
				               : g_strerror(errno));
		}
		noreply_steps = NOREPLY_STEPS;
	} else {
		set_nodelay_on_listeners();
	}
	smfi_settimeout(7200);
	mg_mlog(LOG_INFO, "listening on %s", conn);
	return smfi_main() == MI_SUCCESS ? 0 : 75;
}
