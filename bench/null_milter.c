/*
 * null_milter.c - a libmilter milter that does no work, to measure what
 * any libmilter milter costs behind Postfix on this machine (the floor
 * under mugaika-milter's numbers in docs/performance.md).  Not a test.
 *
 *   null_milter unix:/path/milter.sock [edit]
 *
 * It negotiates what mugaika-milter negotiates: no HELO and no end of
 * header, and (on a unix socket) no answers after MAIL FROM.  It reads the
 * message and keeps nothing.  With "edit" it makes the edits a sanitized
 * small mail gets: Content-Type changed, Content-Transfer-Encoding and
 * X-Mugaika added, the body replaced by base64 text twice its size (UTF-8
 * base64 of ISO-2022-JP Japanese is about that); without, it accepts.
 *
 * Trusted input: none is kept (the body's size is counted, its bytes are
 * not looked at).  Runs in the foreground until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NOREPLY_STEPS                                                   \
	(SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_HDR | \
	    SMFIP_NR_BODY)

static int edit;

struct conn {
	unsigned long noreply;
	size_t body; /* bytes of this message's body */
};

static sfsistat
ok(SMFICTX *ctx, unsigned long step)
{
	struct conn *c = smfi_getpriv(ctx);

	return c != NULL && (c->noreply & step) ? SMFIS_NOREPLY
	                                        : SMFIS_CONTINUE;
}

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = calloc(1, sizeof(*c));

	(void)f0;
	(void)f2;
	(void)f3;
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	*pf1 = (*pf1 | NOREPLY_STEPS) & f1;
	*pf2 = 0;
	*pf3 = 0;
	c->noreply = *pf1 & NOREPLY_STEPS;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)host;
	(void)sa;
	return ok(ctx, SMFIP_NR_CONN);
}

static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	(void)argv;
	if (c != NULL)
		c->body = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return ok(ctx, SMFIP_NR_RCPT);
}

static sfsistat
nm_data(SMFICTX *ctx)
{
	return ok(ctx, SMFIP_NR_DATA);
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name;
	(void)value;
	return ok(ctx, SMFIP_NR_HDR);
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	(void)p;
	if (c != NULL)
		c->body += len;
	return ok(ctx, SMFIP_NR_BODY);
}

static sfsistat
nm_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	size_t n, i;
	unsigned char *b;

	if (!edit || c == NULL)
		return SMFIS_CONTINUE;
	/* Lines of 76 base64 characters and CRLF, twice the body. */
	n = 2 * c->body + 78;
	b = malloc(n);
	if (b == NULL)
		return SMFIS_TEMPFAIL;
	for (i = 0; i < n; i++)
		b[i] = i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'Q';
	n -= n % 78;
	if (smfi_chgheader(ctx, "Content-Type", 1,
	        " text/plain; charset=UTF-8") != MI_SUCCESS ||
	    smfi_addheader(ctx, "Content-Transfer-Encoding", " base64") !=
	        MI_SUCCESS ||
	    smfi_addheader(ctx, "X-Mugaika", " clean; mode=text") !=
	        MI_SUCCESS ||
	    smfi_replacebody(ctx, b, (int)n) != MI_SUCCESS) {
		free(b);
		return SMFIS_TEMPFAIL;
	}
	free(b);
	return SMFIS_CONTINUE;
}

static sfsistat
nm_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
	    .xxfi_name = "null",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
	    .xxfi_connect = nm_connect,
	    .xxfi_envfrom = nm_envfrom,
	    .xxfi_envrcpt = nm_envrcpt,
	    .xxfi_header = nm_header,
	    .xxfi_body = nm_body,
	    .xxfi_eom = nm_eom,
	    .xxfi_close = nm_close,
	    .xxfi_data = nm_data,
	    .xxfi_negotiate = nm_negotiate,
	};

	if (argc < 2 || strncmp(argv[1], "unix:", 5) != 0) {
		fprintf(stderr, "usage: null_milter unix:PATH [edit]\n");
		return 64;
	}
	edit = argc > 2 && strcmp(argv[2], "edit") == 0;
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", argv[1]);
		return 75;
	}
	chmod(argv[1] + 5, 0666);
	return smfi_main() == MI_SUCCESS ? 0 : 75;
}
