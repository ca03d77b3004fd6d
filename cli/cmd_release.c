/*
 * cmd_release.c - `mugaika quarantine release ID [--original] [--to ADDR]…`:
 * deliver a kept message after review, by re-injecting it over SMTP to
 * the [release] relay with an X-Mugaika-Release header that lets the
 * gateway pass it through unchanged (mugaika.h).
 *
 * What is delivered: by default the version rebuilt by CDR with the
 * modules and signatures of now (the text with a notice, each attachment
 * rebuilt without active content, what cannot be rebuilt left out and
 * listed) - what a reader of a text-mode gateway asks for; a message CDR
 * would hold is refused.  --original delivers the message as it arrived,
 * the reviewer's explicit decision.
 *
 * Steps, each of which can stop the release before anything is sent:
 * the id is checked before it names a file; the rebuilt version is made
 * (unless --original); the message is copied as it will travel (CRLF line
 * ends, RFC 5321 §2.3.8); the release header is computed on that copy;
 * the copy is scanned again with the signatures loaded now (a threat
 * refuses the release, whatever the reviewer says); an "attempt" record
 * is appended to the audit log; only then is the relay contacted.  After
 * the transaction a second record gives the result ("delivered",
 * "refused" or "failed", with the relay's reply); a release refused before
 * sending gets one record ("refused", stage "rebuild" or "rescan").  Each
 * record says which version ("rebuilt" or "original").
 *
 * Untrusted input: the stored entry's envelope (sender, recipients) came
 * from the sender of the mail; before an address goes into an SMTP
 * command it must be one word without controls, spaces or angle
 * brackets (so it cannot end the command or add one).  The relay's
 * replies are checked strictly (three digits, the same code on every
 * line of a multi-line reply, RFC 5321 §4.2.1) and shown only through
 * mg_printable().
 *
 * Limits: a reply line of at most MAX_LINE bytes and a reply of at most
 * MAX_LINES lines; connect and every command time out after
 * SMTP_TIMEOUT seconds, the reply to the end of the data after
 * DATA_END_TIMEOUT (RFC 5321 §4.5.3.2.6: the relay's own milter scans
 * the message before it answers).
 *
 * Success is only every RCPT answered 250 or 251 and the end of the data
 * answered 250; when a recipient is refused no data is sent at all, so
 * that a second attempt cannot deliver twice to the others.
 *
 * Exit status: 0 delivered; 1 no such entry, a threat found, the relay
 * refused (a reply other than the one expected), or the stored envelope
 * cannot be used (name the recipients with --to); 64 usage (bad id or
 * option, no --original, a bad --to address); 75 the config, engine,
 * store, release key or audit log could not be used, or the relay could
 * not be reached or broke off (whether a message cut off after its data
 * was delivered is then unknown).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mg_cli.h"
#include "mg_policy.h"
#include "mugaika.h"
#include "quarantine/mg_audit.h"
#include "quarantine/mg_quarantine.h"
#include "util/mg_util.h"

#define EXIT_REFUSED 1

#define SMTP_PORT 25
#define SMTP_TIMEOUT 60      /* seconds: connect, each command */
#define DATA_END_TIMEOUT 600 /* seconds: the reply to "." */
/* RFC 5321 §4.5.3.1.5 allows 512 bytes per reply line; some servers
 * send longer texts, which are kept up to this length. */
#define MAX_LINE 4096
#define MAX_LINES 100 /* lines of one multi-line reply (EHLO) */
/* RFC 5321 §4.5.3.1.3: a path is at most 256 bytes with its brackets. */
#define MAX_PATH 254
#define CHUNK 65536

#define RELEASE_HEADER "X-Mugaika-Release"

#define PFX "mugaika quarantine release: "

enum outcome {
	OUT_DELIVERED,
	OUT_REFUSED, /* the relay answered no */
	OUT_FAILED,  /* no answer: unreachable, timeout, broken off */
};

static const char *const outcome_names[] = {"delivered", "refused", "failed"};

struct smtp {
	GSocketClient *client;
	GSocketConnection *conn;
	GInputStream *in;
	GOutputStream *out;
	char buf[CHUNK];
	gsize pos, end;
	gboolean ext_8bitmime, ext_smtputf8;
};

/* One reply: its code and its lines without CRLF. */
struct reply {
	int code;
	GPtrArray *lines;
};

/* What became of a delivery. */
struct delivery {
	enum outcome outcome;
	char *reply;        /* the last reply (lines joined by "\n") or why */
	char *stage;        /* the command that was answered last */
	GPtrArray *refused; /* "ADDR: reply" for each refused recipient */
};

static void
fail(const GError *err)
{
	g_autofree char *msg = mg_printable(err->message, -1, 0);

	fprintf(stderr, PFX "%s\n", msg);
}

static void
reply_clear(struct reply *r)
{
	r->code = 0;
	if (r->lines != NULL)
		g_ptr_array_set_size(r->lines, 0);
	else
		r->lines = g_ptr_array_new_with_free_func(g_free);
}

static char *
reply_text(const struct reply *r)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < r->lines->len; i++) {
		if (i > 0)
			g_string_append_c(s, '\n');
		g_string_append(s, g_ptr_array_index(r->lines, i));
	}
	return g_string_free(s, FALSE);
}

/* ---- addresses ---- */

/*
 * An address that can go between the angle brackets of MAIL FROM or
 * RCPT TO as it is: local@domain, valid UTF-8, no byte that could end
 * the path or the command line (controls, space, DEL, < >), no source
 * route (a leading @).  *utf8_r is set when it is not ASCII (it then
 * needs SMTPUTF8, RFC 6531).
 */
static gboolean
valid_address(const char *a, gboolean *utf8_r)
{
	const char *at = strrchr(a, '@');
	const unsigned char *p;
	gsize len = strlen(a);

	*utf8_r = FALSE;
	if (len == 0 || len > MAX_PATH || at == NULL || at == a ||
	    at[1] == '\0' || !g_utf8_validate(a, (gssize)len, NULL))
		return FALSE;
	for (p = (const unsigned char *)a; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return FALSE;
		if (*p >= 0x80)
			*utf8_r = TRUE;
	}
	return TRUE;
}

/*
 * The reverse-path for a stored sender: the envelope sender as it is,
 * or, when the message came without an envelope and the store holds its
 * decoded From ("Name <addr>"), the address in the angle brackets at its
 * end.  "" (the null path, RFC 5321 §4.5.5) when there is none.
 */
static char *
reverse_path(const char *stored, gboolean *utf8_r)
{
	const char *lt, *gt;
	g_autofree char *inner = NULL;

	*utf8_r = FALSE;
	if (stored == NULL || *stored == '\0' || strcmp(stored, "<>") == 0)
		return g_strdup("");
	if (valid_address(stored, utf8_r))
		return g_strdup(stored);
	lt = strrchr(stored, '<');
	gt = strrchr(stored, '>');
	if (lt != NULL && gt != NULL && gt > lt && gt[1] == '\0') {
		inner = g_strndup(lt + 1, (gsize)(gt - lt - 1));
		if (valid_address(inner, utf8_r))
			return g_steal_pointer(&inner);
	}
	*utf8_r = FALSE;
	return g_strdup("");
}

/* ---- the copy that goes on the wire ---- */

static gboolean
write_all(int fd, const char *p, gsize n, GError **err)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w == 0 ? EIO : errno;

			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "temporary copy: %s", g_strerror(e));
			return FALSE;
		}
		p += w;
		n -= (gsize)w;
	}
	return TRUE;
}

/*
 * Copy the original from `fd` into an unlinked temporary file with every
 * line ended by CRLF: SMTP carries CR and LF only together (RFC 5321
 * §2.3.8), so a bare LF, and a bare CR too, become CRLF, and a last line
 * without an end gets one.  The release header is computed on this copy
 * (its body hash reads CRLF as LF), so what the relay receives verifies
 * exactly.  *eightbit_r tells whether any byte is not ASCII (BODY=8BITMIME,
 * RFC 6152).  Returns the copy's descriptor at offset 0, or -1 and *err.
 */
static int
wire_copy(int fd, gboolean *eightbit_r, GError **err)
{
	g_autofree char *in = g_malloc(CHUNK);
	g_autoptr(GString) out = g_string_sized_new(2 * CHUNK + 2);
	g_autofree char *path = NULL;
	gboolean cr = FALSE, eightbit = FALSE;
	char last = '\n';
	guint64 total = 0;
	ssize_t n, i;
	int tfd;

	tfd = g_file_open_tmp("mugaika-release-XXXXXX", &path, err);
	if (tfd < 0)
		return -1;
	/* Nobody else needs the name; the copy vanishes with the fd. */
	(void)unlink(path);
	for (;;) {
		n = read(fd, in, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "reading the original: %s", g_strerror(e));
			goto fail;
		}
		if (n == 0)
			break;
		g_string_truncate(out, 0);
		for (i = 0; i < n; i++) {
			char c = in[i];

			if (cr) {
				g_string_append(out, "\r\n");
				cr = FALSE;
				if (c == '\n')
					continue;
			}
			if (c == '\r') {
				cr = TRUE;
				continue;
			}
			if (c == '\n')
				g_string_append(out, "\r\n");
			else
				g_string_append_c(out, c);
			if ((unsigned char)c >= 0x80)
				eightbit = TRUE;
		}
		if (out->len > 0)
			last = out->str[out->len - 1];
		total += out->len;
		if (!write_all(tfd, out->str, out->len, err))
			goto fail;
	}
	g_string_truncate(out, 0);
	if (cr || (total > 0 && last != '\n'))
		g_string_append(out, "\r\n");
	if (!write_all(tfd, out->str, out->len, err))
		goto fail;
	if (lseek(tfd, 0, SEEK_SET) != 0) {
		int e = errno;

		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "temporary copy: %s", g_strerror(e));
		goto fail;
	}
	*eightbit_r = eightbit;
	return tfd;
fail:
	close(tfd);
	return -1;
}

/* ---- SMTP ---- */

static void
smtp_close(struct smtp *s)
{
	if (s->conn != NULL) {
		(void)g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
		g_object_unref(s->conn);
	}
	if (s->client != NULL)
		g_object_unref(s->client);
	s->conn = NULL;
	s->client = NULL;
}

static void
set_timeout(struct smtp *s, guint secs)
{
	g_socket_set_timeout(g_socket_connection_get_socket(s->conn), secs);
}

/* One line without its CRLF (a bare LF is accepted as the end too). */
static gboolean
read_line(struct smtp *s, GString *line, GError **err)
{
	gssize n;

	g_string_truncate(line, 0);
	for (;;) {
		while (s->pos < s->end) {
			char c = s->buf[s->pos++];

			if (c == '\n') {
				if (line->len > 0 &&
				    line->str[line->len - 1] == '\r')
					g_string_truncate(line, line->len - 1);
				return TRUE;
			}
			if (line->len >= MAX_LINE) {
				g_set_error(err, G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    "reply line longer than %d bytes",
				    MAX_LINE);
				return FALSE;
			}
			g_string_append_c(line, c);
		}
		n = g_input_stream_read(
		    s->in, s->buf, sizeof s->buf, NULL, err);
		if (n < 0)
			return FALSE;
		if (n == 0) {
			g_set_error(err, G_IO_ERROR,
			    G_IO_ERROR_CONNECTION_CLOSED,
			    "the relay closed the connection");
			return FALSE;
		}
		s->pos = 0;
		s->end = (gsize)n;
	}
}

/*
 * A whole reply (RFC 5321 §4.2.1): lines "NNN-text" then one "NNN text"
 * or "NNN", every line with the same code.  Anything else is a protocol
 * error, not a reply.
 */
static gboolean
read_reply(struct smtp *s, struct reply *r, GError **err)
{
	g_autoptr(GString) line = g_string_new(NULL);
	int code;

	reply_clear(r);
	for (;;) {
		if (r->lines->len >= MAX_LINES) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "reply longer than %d lines", MAX_LINES);
			return FALSE;
		}
		if (!read_line(s, line, err))
			return FALSE;
		if (line->len < 3 || !g_ascii_isdigit(line->str[0]) ||
		    line->str[0] < '2' || line->str[0] > '5' ||
		    !g_ascii_isdigit(line->str[1]) ||
		    !g_ascii_isdigit(line->str[2]) ||
		    (line->len > 3 && line->str[3] != ' ' &&
		        line->str[3] != '-')) {
			g_autofree char *p = mg_printable(line->str, -1, 0);

			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not an SMTP reply: %s", p);
			return FALSE;
		}
		code = (line->str[0] - '0') * 100 + (line->str[1] - '0') * 10 +
		       (line->str[2] - '0');
		if (r->lines->len > 0 && code != r->code) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "reply codes %d and %d in one reply", r->code,
			    code);
			return FALSE;
		}
		r->code = code;
		g_ptr_array_add(r->lines, g_strdup(line->str));
		if (line->len == 3 || line->str[3] == ' ')
			return TRUE;
	}
}

static gboolean
send_bytes(struct smtp *s, const char *p, gsize n, GError **err)
{
	return g_output_stream_write_all(s->out, p, n, NULL, NULL, err);
}

static gboolean
command(struct smtp *s, const char *cmd, struct reply *r, GError **err)
{
	g_autofree char *line = g_strconcat(cmd, "\r\n", NULL);

	return send_bytes(s, line, strlen(line), err) && read_reply(s, r, err);
}

/* The EHLO keywords we use (RFC 5321 §4.1.1.1: the lines after the
 * first, keyword first). */
static void
note_extensions(struct smtp *s, const struct reply *r)
{
	guint i;

	for (i = 1; i < r->lines->len; i++) {
		const char *kw =
		    (const char *)g_ptr_array_index(r->lines, i) + 4;
		gsize n = strcspn(kw, " ");

		if (n == 8 && g_ascii_strncasecmp(kw, "8BITMIME", 8) == 0)
			s->ext_8bitmime = TRUE;
		else if (n == 8 && g_ascii_strncasecmp(kw, "SMTPUTF8", 8) == 0)
			s->ext_smtputf8 = TRUE;
	}
}

/*
 * The message after DATA: our header line, then the copy dot-stuffed (a
 * line that starts with "." gets another, RFC 5321 §4.5.2), then the
 * terminating ".".  The copy ends in CRLF already.
 */
static gboolean
send_message(struct smtp *s, const char *header, int fd, GError **err)
{
	g_autofree char *in = g_malloc(CHUNK);
	g_autoptr(GString) out = g_string_sized_new(2 * CHUNK);
	gboolean bol = TRUE;
	ssize_t n, i;

	g_string_append_printf(out, RELEASE_HEADER ": %s\r\n", header);
	for (;;) {
		n = read(fd, in, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "reading the copy: %s", g_strerror(e));
			return FALSE;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (bol && in[i] == '.')
				g_string_append_c(out, '.');
			g_string_append_c(out, in[i]);
			bol = in[i] == '\n';
		}
		if (!send_bytes(s, out->str, out->len, err))
			return FALSE;
		g_string_truncate(out, 0);
	}
	g_string_append(out, ".\r\n");
	return send_bytes(s, out->str, out->len, err);
}

static gboolean
code_is(const struct reply *r, int a, int b)
{
	return r->code == a || r->code == b;
}

/* Record how the transaction stands; takes `text`. */
static void
settle(struct delivery *d, enum outcome o, const char *stage, char *text)
{
	d->outcome = o;
	g_free(d->stage);
	d->stage = g_strdup(stage);
	g_free(d->reply);
	d->reply = text;
}

/* A reply that says no. */
static void
refused(struct delivery *d, const char *stage, const struct reply *r)
{
	settle(d, OUT_REFUSED, stage, reply_text(r));
}

/* No reply: the connection failed or broke off. */
static void
broken(struct delivery *d, const char *stage, const GError *err)
{
	settle(d, OUT_FAILED, stage, g_strdup(err->message));
}

/* A name for EHLO: the configured host name when it is one. */
static const char *
helo_name(const char *h)
{
	const char *p;

	if (h == NULL || *h == '\0' || strlen(h) > 253)
		return "localhost";
	for (p = h; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return "localhost";
	return h;
}

/*
 * One SMTP transaction to `relay` ("host:port", "[v6]:port"); the outcome
 * and last reply go to *d.  `fd` is the wire copy.
 */
static void
deliver(const char *relay, const char *helo, const char *sender,
    GPtrArray *rcpts, gboolean need_utf8, gboolean eightbit, const char *header,
    int fd, struct delivery *d)
{
	struct smtp s = {0};
	struct reply r = {0};
	g_autoptr(GError) err = NULL;
	g_autofree char *cmd = NULL;
	guint i;

	d->outcome = OUT_FAILED;
	reply_clear(&r);
	s.client = g_socket_client_new();
	/* Applies to the connect and to every read and write after. */
	g_socket_client_set_timeout(s.client, SMTP_TIMEOUT);
	/* The relay is named in the config; no proxy from the
	 * environment stands between. */
	g_socket_client_set_enable_proxy(s.client, FALSE);
	s.conn = g_socket_client_connect_to_host(
	    s.client, relay, SMTP_PORT, NULL, &err);
	if (s.conn == NULL) {
		broken(d, "connect", err);
		goto out;
	}
	s.in = g_io_stream_get_input_stream(G_IO_STREAM(s.conn));
	s.out = g_io_stream_get_output_stream(G_IO_STREAM(s.conn));

	if (!read_reply(&s, &r, &err)) {
		broken(d, "greeting", err);
		goto out;
	}
	if (r.code != 220) {
		refused(d, "greeting", &r);
		goto quit;
	}
	cmd = g_strdup_printf("EHLO %s", helo);
	if (!command(&s, cmd, &r, &err)) {
		broken(d, "EHLO", err);
		goto out;
	}
	if (r.code == 250) {
		note_extensions(&s, &r);
	} else if (r.code != 500 && r.code != 501 && r.code != 502 &&
	           r.code != 504) {
		refused(d, "EHLO", &r);
		goto quit;
	} else {
		/* RFC 5321 §3.2, §4.1.4: a server that does not know EHLO
		 * says so (500, 502); HELO then. */
		g_free(cmd);
		cmd = g_strdup_printf("HELO %s", helo);
		if (!command(&s, cmd, &r, &err)) {
			broken(d, "HELO", err);
			goto out;
		}
		if (r.code != 250) {
			refused(d, "HELO", &r);
			goto quit;
		}
	}
	if (need_utf8 && !s.ext_smtputf8) {
		settle(d, OUT_REFUSED, "EHLO",
		    g_strdup("the relay does not offer SMTPUTF8, which the "
		             "non-ASCII addresses need"));
		goto quit;
	}
	g_free(cmd);
	cmd = g_strdup_printf("MAIL FROM:<%s>%s%s", sender,
	    eightbit && s.ext_8bitmime ? " BODY=8BITMIME" : "",
	    need_utf8 ? " SMTPUTF8" : "");
	if (!command(&s, cmd, &r, &err)) {
		broken(d, "MAIL FROM", err);
		goto out;
	}
	if (r.code != 250) {
		refused(d, "MAIL FROM", &r);
		goto quit;
	}
	for (i = 0; i < rcpts->len; i++) {
		const char *a = g_ptr_array_index(rcpts, i);

		g_free(cmd);
		cmd = g_strdup_printf("RCPT TO:<%s>", a);
		if (!command(&s, cmd, &r, &err)) {
			broken(d, "RCPT TO", err);
			goto out;
		}
		if (!code_is(&r, 250, 251)) {
			g_autofree char *t = reply_text(&r);

			g_ptr_array_add(
			    d->refused, g_strdup_printf("<%s>: %s", a, t));
			refused(d, "RCPT TO", &r);
			/* 421: the server is closing the channel. */
			if (r.code == 421)
				goto out;
		}
	}
	/* All or nothing: with a recipient refused, the others get
	 * nothing either, so a later attempt cannot deliver twice. */
	if (d->refused->len > 0)
		goto quit;
	if (!command(&s, "DATA", &r, &err)) {
		broken(d, "DATA", err);
		goto out;
	}
	if (r.code != 354) {
		refused(d, "DATA", &r);
		goto quit;
	}
	if (!send_message(&s, header, fd, &err)) {
		broken(d, "message", err);
		goto out;
	}
	set_timeout(&s, DATA_END_TIMEOUT);
	if (!read_reply(&s, &r, &err)) {
		g_prefix_error(&err, "no reply to the end of the data, so "
		                     "whether it was delivered is unknown: ");
		broken(d, "end of data", err);
		goto out;
	}
	set_timeout(&s, SMTP_TIMEOUT);
	if (r.code != 250) {
		refused(d, "end of data", &r);
		goto quit;
	}
	settle(d, OUT_DELIVERED, "end of data", reply_text(&r));
quit:
	/* The outcome is settled; QUIT's reply changes nothing. */
	g_clear_error(&err);
	(void)command(&s, "QUIT", &r, &err);
out:
	smtp_close(&s);
	g_ptr_array_unref(r.lines);
}

/* ---- the audit log ---- */

static JsonObject *
audit_record(const char *id, const struct mg_policy *pol,
    const struct mg_qentry *e, const char *sender, GPtrArray *rcpts)
{
	JsonObject *o = json_object_new();
	JsonArray *a = json_array_new();
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = g_getenv("SUDO_USER");
	guint i;

	json_object_set_string_member(o, "type", "release");
	json_object_set_string_member(o, "quarantine_id", id);
	if (pw != NULL && pw->pw_name != NULL) {
		json_object_set_string_member(o, "by", pw->pw_name);
	} else {
		g_autofree char *u = g_strdup_printf("uid %u", (guint)getuid());

		json_object_set_string_member(o, "by", u);
	}
	/* Set by sudo(8): who ran it as the user above (a claim; only
	 * the real uid is checked by the kernel). */
	if (sudo != NULL && *sudo != '\0')
		json_object_set_string_member(o, "sudo_user", sudo);
	json_object_set_string_member(o, "sender", sender);
	for (i = 0; i < rcpts->len; i++)
		json_array_add_string_element(a, g_ptr_array_index(rcpts, i));
	json_object_set_array_member(o, "recipients", a);
	json_object_set_string_member(o, "relay", pol->release_relay);
	if (e->sha256 != NULL)
		json_object_set_string_member(o, "sha256", e->sha256);
	return o;
}

/* A refusal before anything is sent, on record when there is a log.
 * Nothing is sent whether or not it can be written. */
static void
audit_refusal(const struct mg_policy *pol, JsonObject *rec, const char *stage,
    GPtrArray *threats)
{
	g_autoptr(mg_audit) audit = NULL;
	g_autoptr(GError) err = NULL;

	if (pol->audit_file == NULL || *pol->audit_file == '\0')
		return;
	json_object_set_string_member(rec, "result", "refused");
	json_object_set_string_member(rec, "stage", stage);
	if (threats != NULL) {
		JsonArray *a = json_array_new();
		guint j;

		for (j = 0; j < threats->len; j++)
			json_array_add_string_element(
			    a, g_ptr_array_index(threats, j));
		json_object_set_array_member(rec, "threats", a);
	}
	if ((audit = mg_audit_open(pol->audit_file, TRUE, &err)) == NULL ||
	    !mg_audit_append(audit, rec, &err)) {
		g_prefix_error(&err, "audit log: ");
		fail(err);
	}
}

/*
 * The version rebuilt by CDR, written to an unlinked temporary file: the
 * text with a notice, attachments rebuilt with the modules and signatures
 * of now, what cannot be rebuilt left out and listed.  A message CDR would
 * hold (a threat, a structural limit) is refused: only --original, the
 * reviewer's decision, can release it.  Returns an exit status; *fd_r at
 * offset 0 on MG_EXIT_OK.
 */
static int
rebuilt_copy(mugaika_engine *engine, const char *id, int fd, int *fd_r)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = NULL;
	mugaika_result *r = mugaika_engine_rebuild(engine, fd, id, &err);
	enum mugaika_disposition disp;
	int tfd;

	if (r == NULL) {
		g_prefix_error(&err, "rebuild: ");
		fail(err);
		return MG_EXIT_TEMPFAIL;
	}
	disp = mugaika_result_disposition(r);
	if (disp == MUGAIKA_QUARANTINED || disp == MUGAIKA_REJECTED) {
		g_autofree char *s =
		    mg_printable(mugaika_result_summary(r), -1, 0);

		fprintf(stderr,
		    PFX "%s cannot be rebuilt (%s); after review, "
		        "--original releases the message as it arrived\n",
		    id, s);
		mugaika_result_free(r);
		return EXIT_REFUSED;
	}
	tfd = g_file_open_tmp("mugaika-rebuilt-XXXXXX", &path, &err);
	if (tfd >= 0)
		(void)unlink(path);
	if (tfd < 0 || !mugaika_result_write_message(r, tfd, &err) ||
	    lseek(tfd, 0, SEEK_SET) != 0) {
		if (err == NULL)
			g_set_error(&err, G_IO_ERROR,
			    g_io_error_from_errno(errno), "%s",
			    g_strerror(errno));
		g_prefix_error(&err, "rebuilt copy: ");
		fail(err);
		if (tfd >= 0)
			close(tfd);
		mugaika_result_free(r);
		return MG_EXIT_TEMPFAIL;
	}
	mugaika_result_free(r);
	*fd_r = tfd;
	return MG_EXIT_OK;
}

/* ---- the command ---- */

static int
check_args(GStrv args)
{
	guint nargs = g_strv_length(args);

	if (nargs < 2 || strcmp(args[1], "release") != 0 || nargs != 3) {
		fprintf(stderr, "mugaika quarantine: usage: release ID "
		                "--original [--to ADDR]…\n");
		return MG_EXIT_USAGE;
	}
	if (!mg_qstore_valid_id(args[2])) {
		g_autofree char *s = mg_printable(args[2], -1, 0);

		fprintf(stderr,
		    "mugaika quarantine: \"%s\" is not a quarantine id "
		    "(like 20261122-7KQ2M3XH4TPA)\n",
		    s);
		return MG_EXIT_USAGE;
	}
	return MG_EXIT_OK;
}

/* The recipients: --to (checked already), or the stored envelope
 * recipients. */
static int
recipients(
    char **to, const struct mg_qentry *e, GPtrArray *out, gboolean *utf8_r)
{
	char *const *list = to != NULL ? to : e->recipients;
	gboolean u;
	guint i;

	for (i = 0; list != NULL && list[i] != NULL; i++) {
		if (!valid_address(list[i], &u)) {
			g_autofree char *s = mg_printable(list[i], -1, 0);

			fprintf(stderr,
			    PFX "stored recipient \"%s\" is not an "
			        "envelope address (the message came without "
			        "an envelope?): name the recipients with "
			        "--to\n",
			    s);
			return EXIT_REFUSED;
		}
		*utf8_r |= u;
		g_ptr_array_add(out, g_strdup(list[i]));
	}
	if (out->len == 0) {
		fprintf(stderr, PFX "no recipients stored: name them with "
		                    "--to\n");
		return EXIT_REFUSED;
	}
	return MG_EXIT_OK;
}

static int
refuse_threats(const char *id, GPtrArray *threats)
{
	GString *names = g_string_new(NULL);
	guint i;

	for (i = 0; i < threats->len; i++) {
		g_autofree char *t =
		    mg_printable(g_ptr_array_index(threats, i), -1, 0);

		if (i > 0)
			g_string_append(names, ", ");
		g_string_append(names, t);
	}
	fprintf(stderr,
	    PFX "%s still carries a threat (%s): not released, nothing "
	        "sent\n",
	    id, names->str);
	g_string_free(names, TRUE);
	return EXIT_REFUSED;
}

static void
print_reply(const char *what, const char *reply)
{
	g_auto(GStrv) lines = g_strsplit(reply != NULL ? reply : "", "\n", -1);
	guint i;

	for (i = 0; lines[i] != NULL; i++) {
		g_autofree char *l = mg_printable(lines[i], -1, 0);

		fprintf(stderr, "  %s%s\n", i == 0 ? what : "", l);
	}
}

static void
report_failure(const char *id, const char *relay, const struct delivery *d)
{
	g_autofree char *rl = mg_printable(relay, -1, 0);
	guint i;

	if (d->outcome == OUT_FAILED) {
		fprintf(stderr, PFX "%s not released: relay %s failed at %s:\n",
		    id, rl, d->stage);
		print_reply("", d->reply);
		return;
	}
	if (d->refused->len > 0) {
		fprintf(stderr,
		    PFX "%s not released: relay %s refused %u of the "
		        "recipients, so nothing was sent:\n",
		    id, rl, d->refused->len);
		for (i = 0; i < d->refused->len; i++)
			print_reply("", g_ptr_array_index(d->refused, i));
		return;
	}
	fprintf(stderr, PFX "%s not released: relay %s refused %s:\n", id, rl,
	    d->stage);
	print_reply("", d->reply);
}

int
mg_cli_quarantine_release(int argc, char **argv)
{
	g_autofree char *config = NULL, *header = NULL, *sender = NULL;
	g_auto(GStrv) to = NULL;
	gboolean original = FALSE, utf8 = FALSE, sutf8 = FALSE, held = FALSE;
	gboolean eightbit = FALSE;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {"to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &to,
	        "Deliver to ADDR instead of the stored recipients "
	        "(repeatable)",
	        "ADDR"},
	    {"original", 0, 0, G_OPTION_ARG_NONE, &original,
	        "Deliver the original as it arrived (the reviewer's "
	        "decision) instead of the version rebuilt by CDR",
	        NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
	    "release ID - deliver a kept message after review");
	g_auto(GStrv) args = g_new0(char *, (gsize)argc + 1);
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) pol = NULL;
	g_autoptr(mg_qstore) q = NULL;
	g_autoptr(mg_qentry) e = NULL;
	g_autoptr(mg_audit) audit = NULL;
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) threats = NULL;
	g_autoptr(JsonObject) rec = NULL;
	g_autofree char *relay = NULL;
	struct delivery d = {0};
	mugaika_engine *engine = NULL;
	const char *id, *cfg;
	int fd = -1, wfd = -1, rc;
	int i;

	args[0] = g_strdup("mugaika quarantine");
	for (i = 1; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
	    "Rebuilds the kept message with the CDR modules and signatures "
	    "loaded now (its\nattachments without active content; --original: "
	    "the message as it arrived) and\nre-injects it over SMTP to "
	    "[release] relay with an X-Mugaika-Release header, so\nthe gateway "
	    "delivers it unchanged.  A message that still carries a threat is\n"
	    "never released.\n\n"
	    "Exit status: 0 delivered; 1 no such entry, a threat, or the "
	    "relay refused;\n64 usage error; 75 config, store, release key, "
	    "audit log or relay unusable.");
	if (!g_option_context_parse_strv(ctx, &args, &err)) {
		fail(err);
		return MG_EXIT_USAGE;
	}
	if ((rc = check_args(args)) != MG_EXIT_OK)
		return rc;
	id = args[2];
	cfg = config != NULL ? config : MG_DEFAULT_CONFIG;
	if ((pol = mg_policy_load(cfg, &err)) == NULL) {
		fail(err);
		return MG_EXIT_TEMPFAIL;
	}
	for (i = 0; to != NULL && to[i] != NULL; i++)
		if (!valid_address(to[i], &sutf8)) {
			g_autofree char *s = mg_printable(to[i], -1, 0);

			fprintf(stderr,
			    PFX "--to: \"%s\" is not an address "
			        "(local@domain)\n",
			    s);
			return MG_EXIT_USAGE;
		}
	/* The store is opened only where it exists: reviewing must not
	 * create an empty one at a wrong path. */
	if (!g_file_test(pol->quarantine_dir, G_FILE_TEST_IS_DIR)) {
		g_autofree char *s = mg_printable(pol->quarantine_dir, -1, 0);

		fprintf(stderr, PFX "no store at %s\n", s);
		return MG_EXIT_TEMPFAIL;
	}
	if ((q = mg_qstore_open(pol->quarantine_dir, &err)) == NULL) {
		fail(err);
		return MG_EXIT_TEMPFAIL;
	}
	if ((e = mg_qstore_get(q, id, &err)) == NULL) {
		fail(err);
		return g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
		           ? EXIT_REFUSED
		           : MG_EXIT_TEMPFAIL;
	}
	if ((rc = recipients(to, e, rcpts, &utf8)) != MG_EXIT_OK)
		return rc;
	sender = reverse_path(e->sender, &sutf8);
	utf8 |= sutf8;
	if (*sender == '\0' && e->sender != NULL && *e->sender != '\0' &&
	    strcmp(e->sender, "<>") != 0) {
		g_autofree char *s = mg_printable(e->sender, -1, 0);

		fprintf(stderr,
		    PFX "note: stored sender \"%s\" is not an address; "
		        "sending from the null path <>\n",
		    s);
	}

	rc = MG_EXIT_TEMPFAIL;
	/* The rebuilt version comes from CDR whatever the gateway's mode:
	 * that is what a text-mode gateway's reader asks for. */
	engine = mugaika_engine_new_mode(cfg, original ? NULL : "cdr", &err);
	if (engine == NULL) {
		fail(err);
		goto out;
	}
	if ((fd = mg_qstore_open_message(q, id, &err)) < 0) {
		fail(err);
		rc = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
		         ? EXIT_REFUSED
		         : MG_EXIT_TEMPFAIL;
		goto out;
	}
	rec = audit_record(id, pol, e, sender, rcpts);
	json_object_set_string_member(
	    rec, "version", original ? "original" : "rebuilt");
	if (!original) {
		int rfd = -1;

		rc = rebuilt_copy(engine, id, fd, &rfd);
		if (rc != MG_EXIT_OK) {
			if (rc == EXIT_REFUSED)
				audit_refusal(pol, rec, "rebuild", NULL);
			goto out;
		}
		close(fd);
		fd = rfd;
		rc = MG_EXIT_TEMPFAIL;
	}
	if ((wfd = wire_copy(fd, &eightbit, &err)) < 0) {
		fail(err);
		goto out;
	}
	header = mugaika_engine_release_header(engine, id, wfd, &err);
	if (header == NULL) {
		fail(err);
		goto out;
	}
	if (!mugaika_engine_rescan(engine, wfd, &threats, &held, &err)) {
		g_prefix_error(&err, "rescan: ");
		fail(err);
		goto out;
	}
	if (threats->len > 0) {
		rc = refuse_threats(id, threats);
		/* Worth a record: someone asked to release a threat. */
		audit_refusal(pol, rec, "rescan", threats);
		goto out;
	}
	if (held)
		fprintf(stderr,
		    PFX "note: %s would still be held by the current policy; "
		        "releasing it on the reviewer's decision\n",
		    id);
	if (lseek(wfd, 0, SEEK_SET) != 0) {
		g_set_error(&err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "temporary copy: %s", g_strerror(errno));
		fail(err);
		goto out;
	}

	/* The attempt is on record before anything leaves: when the log
	 * cannot be written, nothing is sent. */
	if (pol->audit_file != NULL && *pol->audit_file != '\0') {
		json_object_set_string_member(rec, "result", "attempt");
		if ((audit = mg_audit_open(pol->audit_file, TRUE, &err)) ==
		        NULL ||
		    !mg_audit_append(audit, rec, &err)) {
			g_prefix_error(&err, "audit log: ");
			fail(err);
			fprintf(stderr, PFX "nothing sent\n");
			goto out;
		}
	}

	d.refused = g_ptr_array_new_with_free_func(g_free);
	deliver(pol->release_relay, helo_name(pol->hostname), sender, rcpts,
	    utf8, eightbit, header, wfd, &d);

	if (audit != NULL) {
		json_object_set_string_member(
		    rec, "result", outcome_names[d.outcome]);
		json_object_set_string_member(
		    rec, "stage", d.stage != NULL ? d.stage : "");
		json_object_set_string_member(
		    rec, "reply", d.reply != NULL ? d.reply : "");
		if (d.refused->len > 0) {
			JsonArray *a = json_array_new();
			guint j;

			for (j = 0; j < d.refused->len; j++)
				json_array_add_string_element(
				    a, g_ptr_array_index(d.refused, j));
			json_object_set_array_member(rec, "refused", a);
		}
		if (!mg_audit_append(audit, rec, &err)) {
			g_autofree char *m = mg_printable(err->message, -1, 0);

			/* Not a reason to fail a delivery that happened:
			 * a retry would deliver twice.  The attempt is on
			 * record. */
			fprintf(stderr,
			    PFX "warning: the audit record of the result "
			        "could not be written: %s\n",
			    m);
			g_clear_error(&err);
		}
	}

	relay = mg_printable(pol->release_relay, -1, 0);
	switch (d.outcome) {
	case OUT_DELIVERED: {
		g_auto(GStrv) lines = g_strsplit(d.reply, "\n", -1);
		g_autofree char *last =
		    mg_printable(lines[g_strv_length(lines) - 1], -1, 0);

		printf("released %s to %u recipient%s via %s: %s\n", id,
		    rcpts->len, rcpts->len == 1 ? "" : "s", relay, last);
		/* Delivered is delivered, even if stdout fails now. */
		(void)fflush(stdout);
		rc = MG_EXIT_OK;
		break;
	}
	case OUT_REFUSED:
		report_failure(id, pol->release_relay, &d);
		rc = EXIT_REFUSED;
		break;
	case OUT_FAILED:
		report_failure(id, pol->release_relay, &d);
		rc = MG_EXIT_TEMPFAIL;
		break;
	}
out:
	if (d.refused != NULL)
		g_ptr_array_unref(d.refused);
	g_free(d.reply);
	g_free(d.stage);
	if (wfd >= 0)
		close(wfd);
	if (fd >= 0)
		close(fd);
	mugaika_engine_free(engine);
	return rc;
}
