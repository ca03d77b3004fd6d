/*
 * mg_tnef.c - the attachments and the plain-text body of a TNEF stream
 * (winmail.dat, application/ms-tnef; [MS-OXTNEF]), under the limits of one
 * message.
 *
 * Untrusted: every byte of the stream, every length in it, and what
 * libytnef makes of the MAPI property blocks.  We walk the attribute
 * stream ourselves ([MS-OXTNEF] 2.1.3.1: a signature, a key, then
 * attributes of level, id, length, data and checksum), checking each
 * length against the bytes left and each checksum, and hand libytnef only
 * the MAPI property blocks (attMAPIProps, attAttachment), one at a time,
 * each wrapped in a minimal stream of its own.  libytnef 2.0's own
 * attribute handlers are not used because they refuse ordinary streams as
 * a whole (a body over 100 kB, a title over 100 bytes, an icon over 10 kB,
 * a zero-length attribute), allocate the declared length before checking
 * that the input holds it, leak repeated attributes, and print errors to
 * stdout whatever TNEFStruct.Debug says.  Its MAPI parser still prints on
 * errors, so stdout is pointed at a sink while it runs.
 *
 * Limits checked here: the member count and total bytes of the message
 * (struct mg_unpack_budget against max_archive_members and
 * max_archive_total) and max_member_size per attachment.  No attachment is
 * larger than the input, so the expansion ratio cannot be exceeded.
 * Nothing is written to disk; names are never used as paths.  The caller
 * owns the input, the budget and *body_r.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include <stdio.h>
#include <string.h>

#include <ytnef.h>

#include "unpack/mg_unpack.h"

#define TNEF_SIGNATURE 0x223e9f78u
/* Bytes of an attribute around its data: level, id, length, checksum. */
#define ATTR_HEAD 9
#define ATTR_TAIL 2

struct attach {
	const guchar *title;
	gsize title_len;
	const guchar *data;
	gsize data_len;
	const guchar *mapi;
	gsize mapi_len;
	gboolean has_title, has_data, has_mapi;
};

struct tnef {
	GArray *attach; /* struct attach */
	guint max_attach;
	gboolean too_many;
	gboolean damaged;
	const guchar *body;
	gsize body_len;
	gboolean has_body;
	const guchar *msg_mapi;
	gsize msg_mapi_len;
	gboolean has_msg_mapi;
	guint codepage;
};

G_LOCK_DEFINE_STATIC(quiet);

static guint32
le32(const guchar *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
	       (guint32)p[3] << 24;
}

static void
put_le32(guchar *p, guint32 v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* [MS-OXTNEF] 2.1.3.2: the checksum is the sum of the data bytes, mod
 * 65536. */
static guint16
checksum(const guchar *p, gsize n)
{
	guint16 sum = 0;
	gsize i;

	for (i = 0; i < n; i++)
		sum = (guint16)(sum + p[i]);
	return sum;
}

static ssize_t
sink_write(void *cookie, const char *buf, size_t size)
{
	return (ssize_t)size;
}

/* A stream that swallows what libytnef prints: no descriptor, no system
 * call, so it works inside the worker's sandbox too. */
static FILE *
sink(void)
{
	static gsize once;
	static FILE *f;
	cookie_io_functions_t io = {.write = sink_write};

	if (g_once_init_enter(&once)) {
		f = fopencookie(NULL, "w", io);
		g_once_init_leave(&once, 1);
	}
	return f;
}

static struct attach *
current(struct tnef *t, gboolean fresh)
{
	struct attach a;

	if (fresh || t->attach->len == 0) {
		if (t->attach->len >= t->max_attach) {
			t->too_many = TRUE;
			return NULL;
		}
		memset(&a, 0, sizeof(a));
		g_array_append_val(t->attach, a);
	}
	return &g_array_index(t->attach, struct attach, t->attach->len - 1);
}

/*
 * Keep an attachment attribute.  A second title, data or property block
 * for the same attachment is ambiguous (which one would Outlook show?):
 * it is flagged and starts an attachment of its own, so that no bytes go
 * unreported.
 */
static gboolean
attach_attr(struct tnef *t, guint32 id, const guchar *p, gsize n)
{
	struct attach *a = current(t, FALSE);

	if (a == NULL)
		return FALSE;
	if ((id == attAttachTitle && a->has_title) ||
	    (id == attAttachData && a->has_data) ||
	    (id == attAttachment && a->has_mapi)) {
		t->damaged = TRUE;
		if ((a = current(t, TRUE)) == NULL)
			return FALSE;
	}
	if (id == attAttachTitle) {
		a->title = p;
		a->title_len = n;
		a->has_title = TRUE;
	} else if (id == attAttachData) {
		a->data = p;
		a->data_len = n;
		a->has_data = TRUE;
	} else {
		a->mapi = p;
		a->mapi_len = n;
		a->has_mapi = TRUE;
	}
	return TRUE;
}

/* Walk the attribute stream; FALSE when it is not TNEF at all. */
static gboolean
walk(struct tnef *t, const guchar *d, gsize len)
{
	gsize off;
	guint32 id, n;
	const guchar *p;

	if (len < 6 || le32(d) != TNEF_SIGNATURE)
		return FALSE;
	off = 6; /* signature, then the legacy key */
	while (off < len) {
		if (len - off < ATTR_HEAD) {
			t->damaged = TRUE; /* garbage at the end */
			break;
		}
		id = le32(d + off + 1);
		n = le32(d + off + 5);
		off += ATTR_HEAD;
		if (n > len - off || len - off - n < ATTR_TAIL) {
			t->damaged = TRUE;
			break;
		}
		p = d + off;
		off += n;
		if (checksum(p, n) != (d[off] | d[off + 1] << 8)) {
			t->damaged = TRUE;
			break;
		}
		off += ATTR_TAIL;

		switch (id) {
		case attAttachRenddata:
			/* [MS-OXTNEF] 2.1.3.3.2: the first attribute of
			 * each attachment. */
			if (current(t, TRUE) == NULL)
				return TRUE;
			break;
		case attAttachTitle:
		case attAttachData:
		case attAttachment:
			if (!attach_attr(t, id, p, n))
				return TRUE;
			break;
		case attBody:
			if (t->has_body) {
				t->damaged = TRUE;
				break;
			}
			t->body = p;
			t->body_len = n;
			t->has_body = TRUE;
			break;
		case attMAPIProps:
			if (t->has_msg_mapi) {
				t->damaged = TRUE;
				break;
			}
			t->msg_mapi = p;
			t->msg_mapi_len = n;
			t->has_msg_mapi = TRUE;
			break;
		case attOemCodepage:
			/* PrimaryCodePage, then SecondaryCodePage. */
			if (n >= 4 && t->codepage == 0)
				t->codepage = le32(p);
			break;
		default:
			break;
		}
	}
	return TRUE;
}

/*
 * Parse one MAPI property block with libytnef, wrapped in a stream of its
 * own: signature, key, the one attribute.  On success the properties are
 * in tn->MapiProperties (attMAPIProps) or tn->starting_attach.MAPI
 * (attAttachment, there being no attAttachRenddata before it); the caller
 * frees with free_mapi().
 */
static gboolean
parse_mapi(TNEFStruct *tn, guint32 id, const guchar *p, gsize n)
{
	guchar *buf;
	gsize size;
	guint16 sum;
	FILE *saved, *quiet;
	int r;

	TNEFInitialize(tn);
	tn->Debug = 0;
	/*
	 * libytnef copies the first subject property it meets into
	 * tn->subject, and fails the whole block when that is empty or over
	 * 100 bytes (50 UTF-16 characters, short for Japanese subjects).  A
	 * nonzero size makes it skip the copy; TNEFFree() then frees NULL.
	 */
	tn->subject.size = 1;
	tn->subject.data = NULL;
	if (n == 0 || n > G_MAXINT32)
		return FALSE;
	size = 6 + ATTR_HEAD + n + ATTR_TAIL;
	buf = g_malloc(size);
	put_le32(buf, TNEF_SIGNATURE);
	buf[4] = buf[5] = 0;
	buf[6] = id == attMAPIProps ? LVL_MESSAGE : LVL_ATTACHMENT;
	put_le32(buf + 7, id);
	put_le32(buf + 11, (guint32)n);
	memcpy(buf + 15, p, n);
	sum = checksum(p, n);
	buf[15 + n] = sum & 0xff;
	buf[16 + n] = sum >> 8;

	/* stdout is process-wide: one parse at a time. */
	G_LOCK(quiet);
	quiet = sink();
	fflush(stdout);
	saved = stdout;
	if (quiet != NULL)
		stdout = quiet;
	r = TNEFParseMemory(buf, (long)size, tn);
	stdout = saved;
	G_UNLOCK(quiet);
	g_free(buf);
	return r == 0;
}

static void
free_mapi(TNEFStruct *tn)
{
	TNEFFree(tn);
	/* TNEFFree() leaves the first, built-in attachment alone. */
	TNEFFreeAttachment(&tn->starting_attach);
}

/* The first value of a standard (not named) property, or NULL. */
static variableLength *
find_prop(MAPIProps *props, guint16 prop_id, ULONG *type_r)
{
	DWORD i;

	for (i = 0; i < props->count; i++) {
		MAPIProperty *mp = &props->properties[i];

		if (mp->custom || PROP_ID(mp->id) != prop_id)
			continue;
		if (mp->count < 1 || mp->data == NULL)
			continue;
		*type_r = PROP_TYPE(mp->id);
		return &mp->data[0];
	}
	return NULL;
}

/* Length of an 8-bit string up to its first NUL. */
static gsize
str_len(const guchar *p, gsize n)
{
	const guchar *nul = memchr(p, 0, n);

	return nul != NULL ? (gsize)(nul - p) : n;
}

/* The iconv name of a Windows code page: "CP<n>" for most, the others
 * a Japanese sender may declare by their names. */
static char *
charset_name(guint codepage)
{
	if (codepage == 0)
		return g_strdup("CP932");
	if (codepage == 20932 || codepage == 51932)
		return g_strdup("EUC-JP");
	if (codepage >= 50220 && codepage <= 50222)
		return g_strdup("ISO-2022-JP");
	if (codepage >= 28591 && codepage <= 28599)
		return g_strdup_printf("ISO-8859-%u", codepage - 28590);
	return g_strdup_printf("CP%u", codepage);
}

/*
 * An 8-bit name in the sender's code page (attOemCodepage), as UTF-8.
 * Without a code page, UTF-8 is tried, then CP932, the code page of the
 * Japanese senders this gateway serves; what converts in neither is kept
 * with its bytes escaped.
 */
static char *
decode_8bit(const guchar *p, gsize n, guint codepage)
{
	char *cs, *out;

	n = str_len(p, n);
	if (codepage == 65001 ||
	    (codepage == 0 && g_utf8_validate_len((const char *)p, n, NULL)))
		return mg_unpack_escape_name((const char *)p, (gssize)n);
	cs = charset_name(codepage);
	out = g_convert(
	    (const char *)p, (gssize)n, "UTF-8", cs, NULL, NULL, NULL);
	g_free(cs);
	if (out != NULL && g_utf8_validate(out, -1, NULL))
		return out;
	g_free(out);
	return mg_unpack_escape_name((const char *)p, (gssize)n);
}

/* The value of a string property as UTF-8 (libytnef turns PT_UNICODE into
 * NUL-terminated UTF-8 in place), or NULL when it is no string. */
static char *
prop_string(variableLength *v, ULONG type, guint codepage)
{
	if (v->data == NULL || v->size <= 0)
		return NULL;
	if (type == PT_UNICODE)
		return mg_unpack_escape_name((const char *)v->data, -1);
	if (type == PT_STRING8)
		return decode_8bit(v->data, (gsize)v->size, codepage);
	return NULL;
}

struct report {
	const struct mg_unpack_limits *l;
	struct mg_unpack_budget *budget;
	mg_member_fn fn;
	void *ctx;
	guint flags;
	gboolean stop;
};

/* Report one attachment with `data` (NULL: none could be read). */
static void
report(struct report *r, guint index, char *name, const guchar *data,
    gsize data_len, gboolean readable)
{
	struct mg_member m;

	if (r->budget->members >= r->l->members) {
		r->flags |= MG_UNPACK_TOO_MANY;
		r->stop = TRUE;
		g_free(name);
		return;
	}
	r->budget->members++;
	memset(&m, 0, sizeof(m));
	m.index = index;
	m.name = name != NULL ? name : g_strdup("");
	m.kind = MG_MEMBER_FILE;
	m.unsafe_name = mg_unpack_name_unsafe(m.name);
	if (m.unsafe_name)
		r->flags |= MG_UNPACK_UNSAFE_NAME;
	m.size = data_len;
	if (!readable) {
		m.truncated = TRUE;
		r->flags |= MG_UNPACK_DAMAGED;
	} else if (data_len > r->l->member) {
		m.truncated = TRUE;
		r->flags |= MG_UNPACK_MEMBER_TOO_LARGE;
	} else if (r->budget->total_bytes + data_len > r->l->total) {
		m.truncated = TRUE;
		r->flags |= MG_UNPACK_BOMB;
		r->stop = TRUE;
	} else {
		m.data = g_bytes_new(data, data_len);
	}
	r->budget->total_bytes += data_len;
	if (!r->fn(&m, r->ctx))
		r->stop = TRUE;
	g_free(m.name);
	if (m.data != NULL)
		g_bytes_unref(m.data);
}

/*
 * Name and data of one attachment: PR_ATTACH_LONG_FILENAME before the 8.3
 * attAttachTitle; attAttachData before PR_ATTACH_DATA_OBJ.  A PT_OBJECT
 * value starts with the IID of its interface ([MS-OXTNEF] 2.1.3.4.1:
 * IID_IMessage for an embedded message, whose TNEF stream follows;
 * IID_IStorage for an OLE2 file), which is dropped.
 */
static void
one_attachment(
    struct report *r, guint index, const struct attach *a, guint codepage)
{
	TNEFStruct tn;
	variableLength *v;
	ULONG type = 0;
	char *name = NULL;
	const guchar *data = a->data;
	gsize data_len = a->data_len;
	gboolean tried = FALSE, parsed = FALSE, readable = TRUE;

	if (a->has_mapi && a->mapi_len > 0) {
		tried = TRUE;
		parsed = parse_mapi(&tn, attAttachment, a->mapi, a->mapi_len);
		if (!parsed) {
			/* Properties we cannot read may hold the data. */
			readable = a->has_data;
			r->flags |= MG_UNPACK_DAMAGED;
		}
	}
	if (parsed) {
		v = find_prop(
		    &tn.starting_attach.MAPI, PR_ATTACH_LONG_FILENAME, &type);
		if (v != NULL)
			name = prop_string(v, type, codepage);
		v = find_prop(
		    &tn.starting_attach.MAPI, PR_ATTACH_DATA_OBJ, &type);
		if (!a->has_data && v != NULL && v->data != NULL &&
		    v->size > 0) {
			data = v->data;
			data_len = (gsize)v->size;
			if (type == PT_OBJECT && data_len >= 16) {
				data += 16;
				data_len -= 16;
			}
		}
	}
	if (name == NULL && a->has_title)
		name = decode_8bit(a->title, a->title_len, codepage);
	report(r, index, name, readable ? data : NULL, data_len, readable);
	if (tried)
		free_mapi(&tn);
}

/*
 * The plain-text body: PR_BODY among the message's properties when it is
 * Unicode (libytnef has made it UTF-8), else attBody, else an 8-bit
 * PR_BODY; trailing NULs are dropped.
 */
static GBytes *
body_bytes(struct tnef *t, gboolean *html_r)
{
	TNEFStruct tn;
	variableLength *v;
	ULONG type = 0;
	GBytes *b = NULL;
	gsize n;

	if (t->has_msg_mapi && t->msg_mapi_len > 0) {
		if (parse_mapi(
		        &tn, attMAPIProps, t->msg_mapi, t->msg_mapi_len)) {
			v = find_prop(&tn.MapiProperties, PR_BODY, &type);
			if (v != NULL && v->data != NULL && v->size > 0 &&
			    type == PT_UNICODE)
				b = g_bytes_new(
				    v->data, strlen((const char *)v->data));
			else if (v != NULL && v->data != NULL && v->size > 0 &&
			         type == PT_STRING8 && !t->has_body)
				b = g_bytes_new(
				    v->data, str_len(v->data, (gsize)v->size));
			/* Outlook's HTML mail may carry only this. */
			if (b == NULL && !t->has_body &&
			    (v = find_prop(&tn.MapiProperties, PR_BODY_HTML,
			         &type)) != NULL &&
			    v->data != NULL && v->size > 0 &&
			    (type == PT_BINARY || type == PT_STRING8)) {
				b = g_bytes_new(
				    v->data, str_len(v->data, (gsize)v->size));
				*html_r = TRUE;
			}
		}
		free_mapi(&tn);
	}
	if (b == NULL && t->has_body) {
		n = t->body_len;
		while (n > 0 && t->body[n - 1] == 0)
			n--;
		b = g_bytes_new(t->body, n);
	}
	return b;
}

guint
mg_unpack_tnef(const void *data, gsize len, const struct mg_limits *lim,
    struct mg_unpack_budget *budget, mg_member_fn fn, void *ctx,
    GBytes **body_r, gboolean *html_r)
{
	gboolean html = FALSE;

	struct mg_unpack_limits l;
	struct tnef t;
	struct report r;
	guint i;

	if (body_r != NULL)
		*body_r = NULL;
	mg_unpack_limits_get(lim, &l);

	memset(&t, 0, sizeof(t));
	t.attach = g_array_new(FALSE, TRUE, sizeof(struct attach));
	/* Never collect more attachments than may still be reported, plus
	 * one to tell that there were too many. */
	t.max_attach =
	    budget->members < l.members ? l.members - budget->members + 1 : 1;
	if (data == NULL || !walk(&t, data, len)) {
		g_array_unref(t.attach);
		return MG_UNPACK_DAMAGED;
	}

	memset(&r, 0, sizeof(r));
	r.l = &l;
	r.budget = budget;
	r.fn = fn;
	r.ctx = ctx;
	if (t.damaged)
		r.flags |= MG_UNPACK_DAMAGED;
	for (i = 0; i < t.attach->len && !r.stop; i++)
		one_attachment(&r, i + 1,
		    &g_array_index(t.attach, struct attach, i), t.codepage);
	if (t.too_many)
		r.flags |= MG_UNPACK_TOO_MANY;
	if (body_r != NULL)
		*body_r = body_bytes(&t, &html);
	if (html_r != NULL)
		*html_r = html;
	g_array_unref(t.attach);
	return r.flags;
}
