/*
 * cdr_ole2.c - CDR for legacy Office documents in OLE2 compound files
 * ([MS-CFB]): Word 97-2003 (doc dot), Excel 97-2003 and 5.0/95 (xls xlt
 * xla) and PowerPoint 97-2003 (ppt pps pot).
 *
 * Input: the bytes of a compound file (untrusted): the header, the
 * allocation tables, the directory, the entry names and every stream.
 *
 * Two readers see the file.  A strict one of our own ([MS-CFB] 2.2-2.6)
 * checks the whole container first: header fields, FAT and DIFAT, every
 * sector chain (each sector in one chain only, no cycle, nothing outside
 * the file), the mini stream and mini FAT, and the directory tree (each
 * entry reached once, valid names, no two siblings with the same name,
 * stream sizes that fit their chains).  Only a file that passes is handed
 * to libgsf, whose reader recurses once per directory link and trusts the
 * tree it is given.  libgsf's view (the names, and the bytes of every
 * stream) must then equal ours, or the file is refused: two parsers that
 * disagree are how a payload hides from one of them.
 *
 * What is looked at:
 *  - encryption, first: EncryptionInfo, EncryptedPackage or \x06DataSpaces
 *    (encrypted OOXML or IRM, [MS-OFFCRYPTO] 2.1, 2.3.4.4), Word's
 *    FibBase.fEncrypted (RC4 or, with fObfuscated, XOR; [MS-DOC] 2.5.2),
 *    Excel's FilePass record ([MS-XLS] 2.4.117), PowerPoint's
 *    CurrentUserAtom.headerToken, EncryptedSummary stream and
 *    CryptSession10Container ([MS-PPT] 2.3.2, 2.3.7): MG_REASON_ENCRYPTED;
 *  - Word: the Macros storage (VBA: removed) and ObjectPool (embedded OLE
 *    objects and ActiveX controls: removed; Word then shows the preview
 *    picture kept in the Data stream).  The field codes of the whole text,
 *    every story, as the piece table gives it ([MS-DOC] 2.8.35 Clx, 2.9.178
 *    Pcd): a DDE, DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, INCLUDE, IMPORT or
 *    LINK field, or a field whose keyword is made by a nested field,
 *    cannot be taken out without rewriting the text, nor can an attached
 *    template on a URL or a network share (SttbfAssoc): refused;
 *  - Excel: _VBA_PROJECT_CUR (VBA: removed).  Excel 4.0 macro sheets
 *    (BoundSheet8.dt 1, a BOF of type 0x0040) and BIFF5 VBA module sheets
 *    live in the Workbook stream itself; embedded objects (MBD*), OLE
 *    links (LNK*) and ActiveX controls (Ctls) are pointed at by records;
 *    external links (a SupBook other than self or add-in, an ExternName
 *    with fOle or fOleLink; in BIFF5 any ExternName) and data connections
 *    (DConn, DBQueryExt) are records: all refused;
 *  - PowerPoint: VBA, embedded or linked OLE objects and ActiveX controls
 *    are records inside the PowerPoint Document stream (a VBAInfoAtom
 *    naming a project, ExOleEmbed, ExOleLink, ExOleObjStg, ExControl), as
 *    are actions that run a macro, a program or an OLE verb
 *    (InteractiveInfoAtom.action 1, 2 or 5): refused;
 *  - a VBA project or an embedded object anywhere else in the tree (an
 *    entry named _VBA_PROJECT, _VBA_PROJECT_CUR, VBA, PROJECT, PROJECTwm or
 *    Macros, \x01Ole10Native, \x03OCXNAME, \x03OCXDATA, \x03ObjInfo, or a
 *    \x01CompObj or ObjectPool below the root): refused;
 *  - other OLE2 files (Ichitaro .jtd, Outlook .msg, Visio, MSI, ...) have
 *    no rebuild path here: MG_REASON_UNSUPPORTED.  An Outlook item is
 *    read instead by mg_cdr_ole2_msg_read() ([MS-OXMSG]: its subject,
 *    sender, recipients' names, sent time, body and attachments, items
 *    embedded in it MSG_MAX_DEPTH deep), for the walk to treat it as an
 *    attached mail (mime/mg_walk.c).
 *
 * A rebuilt file is a new compound file written by libgsf, every storage
 * and stream copied byte for byte but the removed ones, the root's and
 * each storage's class id kept.  It is read back by this module: it must
 * need no change and hold the same streams, or the file is refused.  A
 * file with nothing to remove passes as it is (VERIFIED) when its layout
 * is plain; bytes after the sectors the FAT describes are dropped by a
 * rebuild (MG_CDR_RM_TRAILING).
 *
 * Not done: tracked deletions are not applied to field codes (a keyword
 * split by deleted characters reads as another word here), and the
 * cross-references that a removal leaves (Excel's OBPROJ and CODENAME
 * records after _VBA_PROJECT_CUR goes, Word's EMBED fields after
 * ObjectPool goes) stay, as they do with other cleaners that drop these
 * storages.  Whether Word and Excel open the result without a repair
 * prompt has not been tried here (no Microsoft Office at hand).
 *
 * Limits: the input and output size (limits->max_part_size); storages and
 * streams in one file (limits->max_archive_members: the entries are the
 * members of this container; at most MAX_ENTRIES, which bounds libgsf's
 * recursion over directory links); storage nesting (limits->max_depth, at
 * most MAX_NESTING); PowerPoint record nesting (PPT_MAX_DEPTH); field
 * nesting in Word text (WORD_MAX_FIELDS).  A stream is read at its
 * declared size, which its sector chain must cover, and chains do not
 * share sectors, so the work and memory are linear in the input.
 *
 * The caller owns `in` and `out`; out->data is a new GBytes.
 */
#include <stdarg.h>
#include <string.h>

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <gsf/gsf-utils.h>

#include "cdr/cdr_ole2.h"
#include "mime/mg_charset.h"

#define OLE2_MAGIC "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

/* [MS-CFB] 2.1: sector numbers with a meaning. */
#define SECT_DIF 0xFFFFFFFCu
#define SECT_FAT 0xFFFFFFFDu
#define SECT_END 0xFFFFFFFEu
#define SECT_FREE 0xFFFFFFFFu
#define NOSTREAM 0xFFFFFFFFu

/* [MS-CFB] 2.2: the header, its DIFAT part, directory entries, the mini
 * stream's sector size and the size below which a stream lives there. */
#define CFB_HEADER 512
#define CFB_HEADER_DIFAT 109
#define CFB_DIRENT 128
#define CFB_MINI 64
#define CFB_CUTOFF 4096

/* [MS-CFB] 2.6.1: object types. */
#define T_STORAGE 1
#define T_STREAM 2
#define T_ROOT 5

/* libgsf reads the directory by recursing on every left, right and child
 * link, about 250 bytes of stack a link (20000 links overflow 4 MiB; its
 * own writer links siblings in a list, so a storage of N entries is N
 * links deep).  A chain of links from the root meets each entry once, so
 * capping the entries, whatever limits->max_archive_members says, caps
 * that recursion at about 1 MiB. */
#define MAX_ENTRIES 4095
/* Storage nesting, whatever limits->max_depth says: our own copy recurses
 * per level.  Real documents stay under ten. */
#define MAX_NESTING 64
/* Container records inside containers in a PowerPoint Document stream
 * (a slide's drawing groups nest a few levels). */
#define PPT_MAX_DEPTH 64
/* Fields inside the code of other fields; Word itself stops at 20. */
#define WORD_MAX_FIELDS 64
/* The encryption probe reads at most this much of any stream (and looks
 * at up to MAX_ENTRIES directory entries). */
#define PROBE_MAX_READ (64 * 1024)
/* A string property of an Outlook item (subject, body, names): longer
 * ones are cut here (a body of 16 MiB is not a mail one reads). */
#define MSG_MAX_STRING (16 * 1024 * 1024)
/* Outlook items embedded in Outlook items (a forward of a forward);
 * the walk's depth limit applies to them again. */
#define MSG_MAX_DEPTH 8

enum kind {
	K_NONE,
	K_WORD,
	K_EXCEL,
	K_PPT,
};

/* One directory entry reached from the root. */
struct ent {
	char *name;    /* UTF-8 */
	char *path;    /* "/"-joined names from the root ("" for it) */
	guint8 type;   /* T_STORAGE, T_STREAM or T_ROOT */
	guint32 start; /* first sector (mini sector below CFB_CUTOFF) */
	guint32 size;  /* streams; the mini stream's size for the root */
	guint8 clsid[16];
	int parent; /* index in ents, -1 for the root */
	int top;    /* the ancestor just below the root (itself there) */
	guint depth;
	guint children;
	gboolean drop; /* on a child of the root: left out of the copy */
};

struct ole2 {
	const guint8 *data;
	gsize len;
	guint major, shift;
	gsize ssize, hdr;
	guint32 nsect;  /* whole sectors in the file */
	guint32 usable; /* sectors a chain may use: in the file and the FAT */
	guint32 *fat;   /* nfat entries */
	gsize nfat;
	guint32 *minifat; /* nminifat entries */
	gsize nminifat;
	guint32 nmini;       /* whole mini sectors in the mini stream */
	GArray *dir;         /* guint32 sectors of the directory */
	GArray *mini;        /* guint32 sectors of the mini stream */
	GArray *ents;        /* struct ent, [0] the root */
	GHashTable *by_path; /* path -> index + 1 */
	GHashTable
	    *by_lower;  /* lower-case path -> index + 1 (items), or NULL */
	gboolean plain; /* nothing after the sectors the FAT covers */
	guint max_entries, max_nesting;
	gsize max_read; /* per stream, for the probe */

	enum kind kind;
	int main_stream; /* WordDocument, Workbook or PowerPoint Document */
	gboolean biff5;
	GPtrArray *removed; /* MG_CDR_RM_* ids */
	enum mg_reason reason;
	char *detail;
};

static guint16
le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

static guint32
le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
	       (guint32)p[3] << 24;
}

static gboolean fail(struct ole2 *o, enum mg_reason reason, const char *fmt,
    ...) G_GNUC_PRINTF(3, 4);

/* Record why the file is refused (the first reason stays); FALSE. */
static gboolean
fail(struct ole2 *o, enum mg_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (o->detail != NULL)
		return FALSE;
	o->reason = reason;
	va_start(ap, fmt);
	o->detail = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return FALSE;
}

static void
ole2_init(struct ole2 *o, guint max_entries, guint max_nesting)
{
	memset(o, 0, sizeof(*o));
	o->dir = g_array_new(FALSE, FALSE, sizeof(guint32));
	o->mini = g_array_new(FALSE, FALSE, sizeof(guint32));
	o->ents = g_array_new(FALSE, TRUE, sizeof(struct ent));
	o->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	o->removed = g_ptr_array_new();
	o->max_entries = MIN(max_entries, MAX_ENTRIES);
	o->max_nesting = MIN(max_nesting, MAX_NESTING);
	o->max_read = G_MAXSIZE;
	o->main_stream = -1;
}

static void
ole2_clear(struct ole2 *o)
{
	guint i;

	for (i = 0; i < o->ents->len; i++) {
		g_free(g_array_index(o->ents, struct ent, i).name);
		g_free(g_array_index(o->ents, struct ent, i).path);
	}
	g_array_unref(o->ents);
	g_array_unref(o->dir);
	g_array_unref(o->mini);
	g_hash_table_unref(o->by_path);
	if (o->by_lower != NULL)
		g_hash_table_unref(o->by_lower);
	g_ptr_array_unref(o->removed);
	g_free(o->fat);
	g_free(o->minifat);
	g_free(o->detail);
	memset(o, 0, sizeof(*o));
}

static struct ent *
ent(struct ole2 *o, int i)
{
	return &g_array_index(o->ents, struct ent, i);
}

static void
removed(struct ole2 *o, const char *id)
{
	guint i;

	for (i = 0; i < o->removed->len; i++)
		if (strcmp(g_ptr_array_index(o->removed, i), id) == 0)
			return;
	g_ptr_array_add(o->removed, (gpointer)id);
}

/* ------------------------------------------------------------------ */
/* The container ([MS-CFB]).                                          */

static const guint8 *
sector(const struct ole2 *o, guint32 s)
{
	return o->data + o->hdr + ((gsize)s << o->shift);
}

static gboolean
bit_test_set(guint8 *bits, guint32 i)
{
	gboolean was = (bits[i >> 3] >> (i & 7)) & 1;

	bits[i >> 3] |= (guint8)(1u << (i & 7));
	return was;
}

/*
 * Follow the chain from `start` in `table` to ENDOFCHAIN.  Every id must
 * be below `limit` and not yet claimed in `owned` (a sector belongs to
 * one chain, once: no cycle, no cross-linked streams).  The ids go to
 * `out` when it is not NULL; *count_r gets their number.
 */
static gboolean
follow(struct ole2 *o, const guint32 *table, guint32 limit, guint32 start,
    guint8 *owned, GArray *out, guint32 *count_r, const char *what)
{
	guint32 s = start, n = 0;

	while (s != SECT_END) {
		if (s >= limit)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: the sector chain of %s "
			    "leaves the file",
			    what);
		if (bit_test_set(owned, s))
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: the sector chain of %s "
			    "loops or is shared",
			    what);
		if (out != NULL)
			g_array_append_val(out, s);
		n++;
		s = table[s];
	}
	if (count_r != NULL)
		*count_r = n;
	return TRUE;
}

/* The FAT, from the header's DIFAT and the DIFAT sectors (2.5). */
static gboolean
read_fat(struct ole2 *o, guint8 *owned)
{
	const guint8 *h = o->data;
	guint32 nfatsect = le32(h + 0x2C), first_difat = le32(h + 0x44);
	guint32 ndifat = le32(h + 0x48), per = (guint32)(o->ssize / 4);
	guint32 need, d, i, j, k = 0, take;
	guint32 *fatsect;
	gboolean ok = FALSE;

	/* libgsf wants fewer FAT sectors than sectors, as does sense. */
	if (nfatsect == 0 || nfatsect >= o->nsect)
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: %u FAT sectors for %u sectors",
		    nfatsect, o->nsect);
	need = nfatsect > CFB_HEADER_DIFAT
	           ? (nfatsect - CFB_HEADER_DIFAT + per - 2) / (per - 1)
	           : 0;
	if (ndifat != need ||
	    (need == 0 && first_difat != SECT_END && first_difat != SECT_FREE))
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: DIFAT of %u sectors for %u FAT "
		    "sectors",
		    ndifat, nfatsect);
	fatsect = g_new(guint32, nfatsect);
	for (i = 0; i < MIN(nfatsect, CFB_HEADER_DIFAT); i++)
		fatsect[k++] = le32(h + 0x4C + 4 * i);
	d = first_difat;
	for (j = 0; j < ndifat; j++) {
		const guint8 *p;

		if (d >= o->nsect || bit_test_set(owned, d)) {
			fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: bad DIFAT sector");
			goto out;
		}
		p = sector(o, d);
		take = MIN(per - 1, nfatsect - k);
		for (i = 0; i < take; i++)
			fatsect[k++] = le32(p + 4 * i);
		d = le32(p + 4 * (per - 1));
	}
	o->nfat = (gsize)nfatsect * per;
	o->fat = g_new(guint32, o->nfat);
	for (i = 0; i < nfatsect; i++) {
		if (fatsect[i] >= o->nsect || bit_test_set(owned, fatsect[i])) {
			fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: bad FAT sector");
			goto out;
		}
		for (j = 0; j < per; j++)
			o->fat[(gsize)i * per + j] =
			    le32(sector(o, fatsect[i]) + 4 * j);
	}
	o->usable = (guint32)MIN((gsize)o->nsect, o->nfat);
	if (o->usable < o->nsect)
		o->plain = FALSE;
	/* A next-sector value is a sector the FAT describes or a marker;
	 * libgsf refuses others, and so do we, for every entry. */
	for (i = 0; i < o->nfat; i++)
		if (o->fat[i] >= o->usable && o->fat[i] < SECT_DIF) {
			fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: FAT entry out of range");
			goto out;
		}
	ok = TRUE;
out:
	g_free(fatsect);
	return ok;
}

static const guint8 *
dirent_at(const struct ole2 *o, guint32 id)
{
	guint32 per = (guint32)(o->ssize / CFB_DIRENT);

	return sector(o, g_array_index(o->dir, guint32, id / per)) +
	       (gsize)(id % per) * CFB_DIRENT;
}

/* The name of a directory entry (2.6.1): 1 to 31 UTF-16 code units and
 * a terminating NUL, none of / \ : !  (so that paths are unambiguous). */
static char *
entry_name(struct ole2 *o, const guint8 *p)
{
	guint16 nlen = le16(p + 64), u[32];
	guint i, n;
	char *s;

	if (nlen < 4 || nlen > 64 || nlen % 2 != 0 || le16(p + nlen - 2) != 0) {
		fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: bad directory entry name");
		return NULL;
	}
	n = nlen / 2 - 1;
	for (i = 0; i < n; i++) {
		u[i] = le16(p + 2 * i);
		if (u[i] == 0 || u[i] == '/' || u[i] == '\\' || u[i] == ':' ||
		    u[i] == '!') {
			fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: bad character in a "
			    "directory entry name");
			return NULL;
		}
	}
	s = g_utf16_to_utf8(u, n, NULL, NULL, NULL);
	if (s == NULL)
		fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: directory entry name is not "
		    "UTF-16");
	return s;
}

struct pending {
	guint32 id;
	int parent;
};

/*
 * The directory tree from entry 0 (2.6): every entry reached once, of a
 * known type, with a valid name; siblings with distinct names (compared
 * case-insensitively, as StgOpenStream does).
 */
static gboolean
read_tree(struct ole2 *o)
{
	guint32 ndirent = (guint32)MIN(
	    (gsize)o->dir->len * (o->ssize / CFB_DIRENT), G_MAXUINT32);
	g_autofree guint8 *seen = g_malloc0(ndirent / 8 + 1);
	g_autoptr(GArray) stack =
	    g_array_new(FALSE, FALSE, sizeof(struct pending));
	g_autoptr(GHashTable) names =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct pending pd = {0, -1};

	g_array_append_val(stack, pd);
	while (stack->len > 0) {
		const guint8 *p;
		struct ent e = {0};
		struct pending next;
		char *key, *fold;
		int idx;

		pd = g_array_index(stack, struct pending, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		if (pd.id == NOSTREAM)
			continue;
		if (pd.id >= ndirent)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: directory link out of "
			    "range");
		if (bit_test_set(seen, pd.id))
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: directory entry reached "
			    "twice");
		if (pd.parent >= 0 && o->ents->len > o->max_entries)
			return fail(o, MG_REASON_CDR_FAILED,
			    "more than %u storages and streams",
			    o->max_entries);
		p = dirent_at(o, pd.id);
		e.type = p[66];
		e.parent = pd.parent;
		if (pd.parent < 0) {
			if (e.type != T_ROOT)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed OLE2 file: no root entry");
			e.name = g_strdup("Root Entry");
			e.path = g_strdup("");
			e.top = -1;
		} else {
			struct ent *par = ent(o, pd.parent);

			if (e.type != T_STORAGE && e.type != T_STREAM)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed OLE2 file: directory entry of "
				    "type %u",
				    e.type);
			e.name = entry_name(o, p);
			if (e.name == NULL)
				return FALSE;
			e.depth = par->depth + 1;
			e.path = pd.parent == 0 ? g_strdup(e.name)
			                        : g_strconcat(par->path, "/",
			                              e.name, NULL);
			e.top = pd.parent == 0 ? (int)o->ents->len : par->top;
			par->children++;
		}
		/* Append before anything else can fail: ole2_clear() frees
		 * the name and path. */
		idx = (int)o->ents->len;
		g_array_append_val(o->ents, e);
		if (e.depth > o->max_nesting)
			return fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 storages nested deeper than %u",
			    o->max_nesting);
		fold = g_utf8_casefold(e.name, -1);
		key = g_strdup_printf("%d/%s", pd.parent, fold);
		g_free(fold);
		if (g_hash_table_contains(names, key)) {
			g_free(key);
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: two entries named \"%s\" in "
			    "one storage",
			    e.name);
		}
		g_hash_table_add(names, key);
		g_hash_table_insert(
		    o->by_path, ent(o, idx)->path, GINT_TO_POINTER(idx + 1));
		memcpy(ent(o, idx)->clsid, p + 80, 16);
		ent(o, idx)->start = le32(p + 116);
		/* libgsf reads 32 bits of the size; version 3 files may
		 * carry garbage in the high half (2.6.3), version 4 may
		 * not. */
		ent(o, idx)->size = le32(p + 120);
		if (e.type != T_STORAGE && o->major == 4 && le32(p + 124) != 0)
			return fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 stream larger than 4 GiB");
		if (e.type == T_STREAM && ent(o, idx)->size > o->len)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: stream larger than the file");
		if (e.type == T_STREAM && le32(p + 76) != NOSTREAM)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: a stream with children");
		next.parent = pd.parent;
		next.id = le32(p + 72);
		g_array_append_val(stack, next);
		next.id = le32(p + 68);
		g_array_append_val(stack, next);
		if (e.type != T_STREAM) {
			next.id = le32(p + 76);
			next.parent = idx;
			g_array_append_val(stack, next);
		}
	}
	return TRUE;
}

/* The mini stream and the mini FAT (2.4, 2.3). */
static gboolean
read_mini(struct ole2 *o, guint8 *owned)
{
	const guint8 *h = o->data;
	guint32 first = le32(h + 0x3C), count = le32(h + 0x40), n, i, j;
	guint32 per = (guint32)(o->ssize / 4);
	struct ent *root = ent(o, 0);
	g_autoptr(GArray) chain = g_array_new(FALSE, FALSE, sizeof(guint32));

	/* An empty mini stream has no chain (libgsf follows whatever is
	 * there when a stream is empty, and complains). */
	if (root->size == 0 && root->start != SECT_END)
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: empty mini stream with a chain");
	if (root->size > 0) {
		if (!follow(o, o->fat, o->usable, root->start, owned, o->mini,
		        &n, "the mini stream"))
			return FALSE;
		if ((guint64)n << o->shift < root->size)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: mini stream shorter than "
			    "its size");
	}
	o->nmini = root->size / CFB_MINI;
	if (count == 0) {
		if (first != SECT_END)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: mini FAT without sectors");
		return TRUE;
	}
	if (!follow(
	        o, o->fat, o->usable, first, owned, chain, &n, "the mini FAT"))
		return FALSE;
	if (n != count)
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: mini FAT of %u sectors, %u "
		    "declared",
		    n, count);
	o->nminifat = (gsize)n * per;
	o->minifat = g_new(guint32, o->nminifat);
	for (i = 0; i < n; i++)
		for (j = 0; j < per; j++)
			o->minifat[(gsize)i * per + j] =
			    le32(sector(o, g_array_index(chain, guint32, i)) +
			         4 * j);
	for (i = 0; i < o->nminifat; i++)
		if (o->minifat[i] >= MIN(o->nmini, o->nminifat) &&
		    o->minifat[i] < SECT_DIF)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: mini FAT entry out of range");
	return TRUE;
}

/*
 * Every stream's chain covers its size, in the FAT or the mini FAT.  An
 * empty stream has no chain of its own (ENDOFCHAIN), or one that starts
 * in another stream's: libgsf still follows it (as a mini stream chain)
 * and must find an end.
 */
static gboolean
check_streams(struct ole2 *o, guint8 *owned)
{
	guint32 mlimit = (guint32)MIN(o->nmini, o->nminifat);
	g_autofree guint8 *mowned = g_malloc0(o->nmini / 8 + 1);
	guint i;
	guint32 n;

	for (i = 1; i < o->ents->len; i++) {
		struct ent *e = ent(o, i);

		if (e->type != T_STREAM || e->size == 0)
			continue;
		if (e->size < CFB_CUTOFF) {
			if (!follow(o, o->minifat,
			        (guint32)MIN(o->nmini, o->nminifat), e->start,
			        mowned, NULL, &n, e->path))
				return FALSE;
			if ((guint64)n * CFB_MINI < e->size)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed OLE2 file: stream \"%s\" "
				    "shorter than its size",
				    e->path);
		} else {
			if (!follow(o, o->fat, o->usable, e->start, owned, NULL,
			        &n, e->path))
				return FALSE;
			if ((guint64)n << o->shift < e->size)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed OLE2 file: stream \"%s\" "
				    "shorter than its size",
				    e->path);
		}
	}
	for (i = 1; i < o->ents->len; i++) {
		struct ent *e = ent(o, i);

		if (e->type == T_STREAM && e->size == 0 &&
		    e->start != SECT_END &&
		    !(e->start < mlimit &&
		        ((mowned[e->start >> 3] >> (e->start & 7)) & 1)))
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed OLE2 file: empty stream \"%s\" with a "
			    "chain of its own",
			    e->path);
	}
	return TRUE;
}

/* Read and check the whole container (nothing of any stream yet). */
static gboolean
cfb_open(struct ole2 *o, const guint8 *data, gsize len)
{
	const guint8 *h = data;
	guint64 nsect;
	g_autofree guint8 *owned = NULL;

	o->data = data;
	o->len = len;
	if (len < CFB_HEADER || memcmp(data, OLE2_MAGIC, 8) != 0)
		return fail(
		    o, MG_REASON_CDR_FAILED, "not an OLE2 compound file");
	o->major = le16(h + 0x1A);
	o->shift = le16(h + 0x1E);
	/* 2.2: version 3 has 512-byte sectors, version 4 4096-byte ones;
	 * mini sectors are 64 bytes and streams under 4096 bytes live in
	 * the mini stream.  libgsf takes the header's values, which must
	 * then be these. */
	if (le16(h + 0x1C) != 0xFFFE ||
	    !((o->major == 3 && o->shift == 9) ||
	        (o->major == 4 && o->shift == 12)) ||
	    le16(h + 0x20) != 6 || le32(h + 0x38) != CFB_CUTOFF)
		return fail(o, MG_REASON_CDR_FAILED,
		    "OLE2 header with unsupported values");
	o->ssize = (gsize)1 << o->shift;
	o->hdr = MAX(CFB_HEADER, o->ssize);
	if (len < o->hdr + o->ssize)
		return fail(o, MG_REASON_CDR_FAILED, "truncated OLE2 file");
	nsect = (len - o->hdr) >> o->shift;
	if (nsect >= SECT_DIF)
		return fail(o, MG_REASON_PART_TOO_LARGE, "OLE2 file too large");
	o->nsect = (guint32)nsect;
	/* Plain: no partial sector at the end (sectors the FAT does not
	 * cover are checked once it is read). */
	o->plain = ((len - o->hdr) & (o->ssize - 1)) == 0;
	owned = g_malloc0(o->nsect / 8 + 1);
	if (!read_fat(o, owned))
		return FALSE;
	if (!follow(o, o->fat, o->usable, le32(h + 0x30), owned, o->dir, NULL,
	        "the directory"))
		return FALSE;
	if (o->dir->len == 0)
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed OLE2 file: no directory");
	return read_tree(o) && read_mini(o, owned) && check_streams(o, owned);
}

/*
 * The first MIN(size, max) bytes of stream e (NUL-terminated copy), or
 * NULL if a chain does not hold them (checked before; kept as a guard).
 */
static guint8 *
ent_read(struct ole2 *o, const struct ent *e, gsize max, gsize *len_r)
{
	gsize n = MIN((gsize)e->size, MIN(max, o->max_read)), done = 0, step;
	gboolean small = e->size < CFB_CUTOFF;
	guint32 s = e->start;
	guint8 *buf = g_malloc(n + 1);

	while (done < n) {
		const guint8 *src;

		if (small) {
			gsize off = (gsize)s * CFB_MINI, k = off >> o->shift;

			if (s >= MIN(o->nmini, o->nminifat) ||
			    k >= o->mini->len)
				goto bad;
			src = sector(o, g_array_index(o->mini, guint32, k)) +
			      (off & (o->ssize - 1));
			step = CFB_MINI;
			s = o->minifat[s];
		} else {
			if (s >= o->usable)
				goto bad;
			src = sector(o, s);
			step = o->ssize;
			s = o->fat[s];
		}
		step = MIN(step, n - done);
		memcpy(buf + done, src, step);
		done += step;
	}
	buf[n] = 0;
	*len_r = n;
	return buf;
bad:
	g_free(buf);
	fail(o, MG_REASON_CDR_FAILED, "malformed OLE2 file: cannot read %s",
	    e->path);
	return NULL;
}

/* The child of the root named `name` (case-insensitive, as OLE looks
 * names up), or -1. */
static int
root_child(struct ole2 *o, const char *name)
{
	guint i;

	for (i = 1; i < o->ents->len; i++)
		if (ent(o, i)->parent == 0 &&
		    g_ascii_strcasecmp(ent(o, i)->name, name) == 0)
			return (int)i;
	return -1;
}

static gboolean
name_is(const struct ent *e, const char *name)
{
	return g_ascii_strcasecmp(e->name, name) == 0;
}

static gboolean
name_prefix(const struct ent *e, const char *prefix)
{
	return g_ascii_strncasecmp(e->name, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------ */
/* What kind of document, and encryption.                             */

/* A root stream `name`, as a stream, or -1 (a storage of that name is
 * malformed for the formats that use it). */
static int
root_stream(struct ole2 *o, const char *name)
{
	int i = root_child(o, name);

	if (i >= 0 && ent(o, i)->type != T_STREAM) {
		fail(o, MG_REASON_CDR_FAILED, "\"%s\" is not a stream", name);
		return -2;
	}
	return i;
}

static gboolean
find_kind(struct ole2 *o)
{
	int wd = root_stream(o, "WordDocument");
	int wb = root_stream(o, "Workbook");
	int bk = root_stream(o, "Book");
	int pp = root_stream(o, "PowerPoint Document");
	guint i, kinds;

	if (wd == -2 || wb == -2 || bk == -2 || pp == -2)
		return FALSE;
	kinds = (wd >= 0) + (wb >= 0 || bk >= 0) + (pp >= 0);
	if (kinds > 1)
		return fail(o, MG_REASON_CDR_FAILED,
		    "OLE2 file holding more than one kind of Office "
		    "document");
	if (wb >= 0 && bk >= 0)
		return fail(o, MG_REASON_CDR_FAILED,
		    "Excel file with both a Workbook and a Book stream");
	if (wd >= 0) {
		o->kind = K_WORD;
		o->main_stream = wd;
	} else if (wb >= 0 || bk >= 0) {
		o->kind = K_EXCEL;
		o->main_stream = wb >= 0 ? wb : bk;
		o->biff5 = wb < 0;
	} else if (pp >= 0) {
		o->kind = K_PPT;
		o->main_stream = pp;
	}
	if (o->kind != K_NONE)
		return TRUE;
	for (i = 1; i < o->ents->len; i++)
		if (ent(o, i)->parent == 0 &&
		    (name_prefix(ent(o, i), "__substg1.0_") ||
		        name_is(ent(o, i), "__properties_version1.0")))
			return fail(o, MG_REASON_UNSUPPORTED,
			    "Outlook message (.msg) has no rebuild path");
	return fail(o, MG_REASON_UNSUPPORTED,
	    "OLE2 file of a kind that cannot be rebuilt (no Word, Excel or "
	    "PowerPoint document stream)");
}

/* Encrypted OOXML or IRM ([MS-OFFCRYPTO] 2.1.1, 2.3.4.4), and
 * PowerPoint's encrypted summary ([MS-PPT] 2.3.7). */
static gboolean
container_encrypted(struct ole2 *o)
{
	/* \x06DataSpaces, spelt so that the D is not read as a hex
	 * digit. */
	static const char *const names[] = {"EncryptionInfo",
	    "EncryptedPackage", "\006DataSpaces", "EncryptedSummary"};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(names); i++)
		if (root_child(o, names[i]) >= 0)
			return TRUE;
	return FALSE;
}

/* FibBase ([MS-DOC] 2.5.2): wIdent, nFib, then the flags word at 0x0A
 * with fEncrypted (0x0100) and fObfuscated (0x8000). */
#define FIB_ENCRYPTED 0x0100
#define FIB_WHICH_TABLE 0x0200
#define FIB_OBFUSCATED 0x8000

/* BIFF record types ([MS-XLS] 2.3). */
#define BIFF_BOF 0x0809
#define BIFF_EOF 0x000A
#define BIFF_FILEPASS 0x002F
#define BIFF_BOUNDSHEET 0x0085
#define BIFF_SUPBOOK 0x01AE
#define BIFF_EXTERNNAME 0x0023
#define BIFF_DCONN 0x0876
#define BIFF_DBQUERYEXT 0x0803

/* [MS-PPT] 2.3.2: CurrentUserAtom and its header tokens. */
#define PPT_CURRENT_USER 0x0FF6
#define PPT_TOKEN_PLAIN 0xE391C05Fu
#define PPT_TOKEN_ENCRYPTED 0xF3D1C4DFu

/*
 * Whether the document says it is encrypted.  Reads the Word FIB, the
 * start of Excel's globals substream (FilePass comes right after BOF,
 * [MS-XLS] 2.1.7.20.1) or the PowerPoint CurrentUserAtom.  *why_r gets
 * a description when it is.  Malformed bits are not judged here.
 */
static gboolean
doc_encrypted(struct ole2 *o, const char **why_r)
{
	g_autofree guint8 *p = NULL;
	gsize n = 0, pos;
	int cu;

	*why_r = "password-protected Office document";
	if (container_encrypted(o))
		return TRUE;
	switch (o->kind) {
	case K_WORD:
		p = ent_read(o, ent(o, o->main_stream), 0x20, &n);
		if (p == NULL || n < 0x0C ||
		    (le16(p) != 0xA5EC && le16(p) != 0xA5DC))
			return FALSE;
		if (le16(p + 0x0A) & FIB_OBFUSCATED)
			*why_r = "XOR-obfuscated Word document";
		else
			*why_r = "password-protected Word document";
		return (le16(p + 0x0A) & FIB_ENCRYPTED) != 0;
	case K_EXCEL:
		p = ent_read(o, ent(o, o->main_stream), PROBE_MAX_READ, &n);
		if (p == NULL || n < 4 || le16(p) != BIFF_BOF)
			return FALSE;
		*why_r = "password-protected Excel workbook";
		for (pos = 0; pos + 4 <= n; pos += 4 + le16(p + pos + 2)) {
			if (le16(p + pos) == BIFF_FILEPASS)
				return TRUE;
			if (le16(p + pos) == BIFF_EOF ||
			    le16(p + pos) == BIFF_BOUNDSHEET)
				break;
		}
		return FALSE;
	case K_PPT:
		*why_r = "password-protected PowerPoint presentation";
		cu = root_child(o, "Current User");
		if (cu < 0 || ent(o, cu)->type != T_STREAM)
			return FALSE;
		p = ent_read(o, ent(o, cu), 16, &n);
		return p != NULL && n >= 16 &&
		       le16(p + 2) == PPT_CURRENT_USER &&
		       le32(p + 12) == PPT_TOKEN_ENCRYPTED;
	default:
		return FALSE;
	}
}

/* ------------------------------------------------------------------ */
/* Word: field codes in the text ([MS-DOC] 2.8.25, 2.16.18).          */

struct fields {
	guint depth;      /* fields open */
	gboolean keyword; /* reading the innermost field's keyword */
	char kw[20];
	guint kwlen;
	const char *found; /* what refuses the file */
};

static void
field_keyword(struct fields *f)
{
	static const struct {
		const char *kw, *what;
	} bad[] = {
	    {"DDE", "a DDE field"},
	    {"DDEAUTO", "a DDEAUTO field"},
	    {"INCLUDETEXT", "an INCLUDETEXT field"},
	    {"INCLUDEPICTURE", "an INCLUDEPICTURE field"},
	    {"INCLUDE", "an INCLUDE field"},
	    {"IMPORT", "an IMPORT field"},
	    {"LINK", "a LINK field"},
	};
	gsize i;

	f->keyword = FALSE;
	f->kw[MIN(f->kwlen, sizeof(f->kw) - 1)] = '\0';
	for (i = 0; i < G_N_ELEMENTS(bad) && f->found == NULL; i++)
		if (f->kwlen < sizeof(f->kw) &&
		    g_ascii_strcasecmp(f->kw, bad[i].kw) == 0)
			f->found = bad[i].what;
	f->kwlen = 0;
}

/*
 * One character of the document text.  0x13 begins a field, 0x14
 * separates its code from its result, 0x15 ends it.  The keyword is the
 * first run of ASCII letters of the code, whatever comes before it (Word
 * skips white space; anything else only makes the check stricter).  A
 * field that begins before its parent's keyword was read computes that
 * keyword: it cannot be known here.
 */
static void
field_char(struct fields *f, guint16 c)
{
	if (c == 0x13) {
		if (f->keyword && f->kwlen == 0)
			f->found = "a field whose keyword is made by a nested "
			           "field";
		if (f->keyword)
			field_keyword(f);
		if (++f->depth > WORD_MAX_FIELDS)
			f->found = "fields nested too deep";
		f->keyword = TRUE;
		f->kwlen = 0;
		return;
	}
	if (c == 0x14 || c == 0x15) {
		if (f->keyword)
			field_keyword(f);
		if (c == 0x15 && f->depth > 0)
			f->depth--;
		return;
	}
	if (!f->keyword)
		return;
	if (c < 0x80 && g_ascii_isalpha((char)c)) {
		if (f->kwlen < sizeof(f->kw))
			f->kw[f->kwlen] = (char)c;
		f->kwlen++;
	} else if (f->kwlen > 0) {
		field_keyword(f);
	}
}

/*
 * The attached template ([MS-DOC] 2.9.262 SttbfAssoc, fcSttbfAssoc being
 * the 33rd pair of FibRgFcLcb97): Word loads it when the document opens.
 * A template on a web server or a network share is fetched from there
 * (macros from afar, or the user's NTLM hash); it is a string in the
 * table stream that cannot be taken out without rewriting the stream, so
 * the file is refused.  A local path is left alone.
 */
static gboolean
word_template(struct ole2 *o, const guint8 *pair, const guint8 *tb, gsize tn)
{
	guint32 fc = le32(pair), lcb = le32(pair + 4);
	const guint8 *p = tb + fc;
	gsize pos = 6, cch, i, j;
	char path[16];

	if (lcb == 0)
		return TRUE;
	/* fExtend 0xFFFF, cData 18, cbExtra 0, then cch-prefixed UTF-16
	 * strings: ibstAssocFileNext, ibstAssocDot, ... */
	if (fc > tn || lcb > tn - fc || lcb < 6 || le16(p) != 0xFFFF ||
	    le16(p + 2) < 2 || le16(p + 4) != 0)
		goto bad;
	for (i = 0; i < 2; i++) {
		if (pos + 2 > lcb)
			goto bad;
		cch = le16(p + pos);
		pos += 2;
		if (cch > (lcb - pos) / 2)
			goto bad;
		if (i == 0) {
			pos += cch * 2;
			continue;
		}
		memset(path, 0, sizeof(path));
		/* Enough of the path to tell a URL or a UNC path. */
		for (j = 0; j < MIN(cch, sizeof(path) - 1); j++) {
			guint16 c = le16(p + pos + 2 * j);

			path[j] = c < 0x80 ? g_ascii_tolower((char)c) : '?';
			if (path[j] == '/')
				path[j] = '\\';
		}
		if (g_str_has_prefix(path, "\\\\") ||
		    strstr(path, ":\\\\") != NULL)
			return fail(o, MG_REASON_CDR_FAILED,
			    "Word document with an attached template on a "
			    "remote location: it cannot be removed");
		return TRUE;
	}
	return TRUE;
bad:
	return fail(
	    o, MG_REASON_CDR_FAILED, "malformed Word attached template table");
}

/*
 * The Word checks: a Word 97 or later FIB, the table stream it names, the
 * piece table (Clx) in it, and every character of every piece through
 * field_char().  Pieces must lie in the WordDocument stream and the text
 * cannot be longer than that stream.
 */
static gboolean
word_check(struct ole2 *o)
{
	g_autofree guint8 *wd = NULL, *tb = NULL;
	gsize wn, tn, base, i, plc_len, npcd, k;
	guint16 csw, cslw, cb, flags;
	guint32 fc_clx, lcb_clx, total = 0;
	const guint8 *clx, *plc;
	struct fields f = {0};
	int ti;

	wd = ent_read(o, ent(o, o->main_stream), G_MAXSIZE, &wn);
	if (wd == NULL)
		return FALSE;
	if (wn < 34 || le16(wd) != 0xA5EC)
		return fail(o, MG_REASON_UNSUPPORTED,
		    "Word document older than Word 97 or not a Word FIB");
	if (le16(wd + 2) < 0xC0)
		return fail(o, MG_REASON_UNSUPPORTED,
		    "Word 6/95 document (nFib 0x%x)", le16(wd + 2));
	flags = le16(wd + 0x0A);
	/* Fib ([MS-DOC] 2.5.1): FibBase (32 bytes), csw, fibRgW, cslw,
	 * fibRgLw, cbRgFcLcb, fibRgFcLcb; fcClx/lcbClx is the 34th pair of
	 * FibRgFcLcb97. */
	csw = le16(wd + 32);
	base = 34 + (gsize)csw * 2;
	if (base + 2 > wn)
		goto bad_fib;
	cslw = le16(wd + base);
	base += 2 + (gsize)cslw * 4;
	if (base + 2 > wn)
		goto bad_fib;
	cb = le16(wd + base);
	base += 2;
	if (cb < 34 || base + 34 * 8 > wn)
		goto bad_fib;
	fc_clx = le32(wd + base + 33 * 8);
	lcb_clx = le32(wd + base + 33 * 8 + 4);
	ti = root_child(o, (flags & FIB_WHICH_TABLE) ? "1Table" : "0Table");
	if (ti < 0 || ent(o, ti)->type != T_STREAM)
		return fail(o, MG_REASON_CDR_FAILED,
		    "Word document without its table stream");
	tb = ent_read(o, ent(o, ti), G_MAXSIZE, &tn);
	if (tb == NULL)
		return FALSE;
	if (lcb_clx == 0 || fc_clx > tn || lcb_clx > tn - fc_clx)
		goto bad_clx;
	clx = tb + fc_clx;
	/* Clx: any number of Prc (0x01, cbGrpprl, grpprl), then Pcdt
	 * (0x02, lcb, PlcPcd). */
	for (i = 0; i < lcb_clx && clx[i] == 0x01;) {
		if (i + 3 > lcb_clx)
			goto bad_clx;
		i += 3 + le16(clx + i + 1);
	}
	if (i + 5 > lcb_clx || clx[i] != 0x02)
		goto bad_clx;
	plc_len = le32(clx + i + 1);
	plc = clx + i + 5;
	if (plc_len > lcb_clx - i - 5 || plc_len < 16 ||
	    (plc_len - 4) % 12 != 0)
		goto bad_clx;
	npcd = (plc_len - 4) / 12;
	for (k = 0; k < npcd && f.found == NULL; k++) {
		guint32 cp0 = le32(plc + 4 * k), cp1 = le32(plc + 4 * (k + 1));
		const guint8 *pcd = plc + 4 * (npcd + 1) + 8 * k;
		guint32 fcv = le32(pcd + 2), fc = fcv & 0x3FFFFFFFu, count;
		gboolean compressed = (fcv & 0x40000000u) != 0;
		guint64 off, bytes;
		guint32 j;

		if (cp1 < cp0)
			goto bad_clx;
		count = cp1 - cp0;
		if (count > wn - total)
			return fail(o, MG_REASON_CDR_FAILED,
			    "Word piece table longer than its document");
		total += count;
		/* 2.9.73 FcCompressed: 8-bit text at fc / 2, else UTF-16LE
		 * at fc. */
		off = compressed ? fc / 2 : fc;
		bytes = compressed ? count : (guint64)count * 2;
		if (off > wn || bytes > wn - off)
			goto bad_clx;
		for (j = 0; j < count; j++)
			field_char(&f,
			    compressed ? wd[off + j] : le16(wd + off + 2 * j));
	}
	if (f.found != NULL)
		return fail(o, MG_REASON_CDR_FAILED,
		    "Word document with %s: it cannot be removed from the "
		    "text",
		    f.found);
	return word_template(o, wd + base + 32 * 8, tb, tn);
bad_fib:
	return fail(o, MG_REASON_CDR_FAILED, "malformed Word FIB");
bad_clx:
	return fail(o, MG_REASON_CDR_FAILED, "malformed Word piece table");
}

/* ------------------------------------------------------------------ */
/* Excel: the records of the Workbook (BIFF8) or Book (BIFF5) stream. */

static gboolean
excel_check(struct ole2 *o)
{
	g_autofree guint8 *p = NULL;
	gsize n, pos = 0;
	guint depth = 0;
	gboolean started = FALSE;

	p = ent_read(o, ent(o, o->main_stream), G_MAXSIZE, &n);
	if (p == NULL)
		return FALSE;
	while (pos + 4 <= n) {
		guint16 type = le16(p + pos), rlen = le16(p + pos + 2);
		const guint8 *d = p + pos + 4;

		if (rlen > n - pos - 4) {
			/* Excel pads the stream; what follows the last
			 * substream is not read. */
			if (started && depth == 0)
				break;
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed Excel workbook: truncated record");
		}
		if (!started && type != BIFF_BOF)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed Excel workbook: no BOF record");
		switch (type) {
		case BIFF_BOF:
			/* [MS-XLS] 2.4.21: dt 0x0005 globals, 0x0010
			 * worksheet or dialog, 0x0020 chart, 0x0040 macro
			 * sheet. */
			if (rlen < 4)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed Excel workbook: short BOF");
			if (le16(d + 2) == 0x0040)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel 4.0 (XLM) macro sheet: it cannot be "
				    "removed from the workbook");
			if (le16(d + 2) != 0x0005 && le16(d + 2) != 0x0010 &&
			    le16(d + 2) != 0x0020)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel substream of type 0x%04x",
				    le16(d + 2));
			if (++depth > 8)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed Excel workbook: substreams "
				    "nested too deep");
			started = TRUE;
			break;
		case BIFF_EOF:
			if (depth > 0)
				depth--;
			break;
		case BIFF_FILEPASS:
			return fail(o, MG_REASON_ENCRYPTED,
			    "password-protected Excel workbook");
		case BIFF_BOUNDSHEET:
			/* 2.4.28 BoundSheet8 (BIFF5 alike): lbPlyPos, then
			 * hsState and dt; dt 1 is a macro sheet, 6 a VBA
			 * module sheet (BIFF5). */
			if (rlen < 6)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed Excel workbook: short "
				    "BoundSheet");
			if (d[5] == 0x01)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel 4.0 (XLM) macro sheet: it cannot be "
				    "removed from the workbook");
			if (d[5] == 0x06)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel 5 VBA module sheet: it cannot be "
				    "removed from the workbook");
			if (d[5] != 0x00 && d[5] != 0x02)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel sheet of type %u", d[5]);
			break;
		case BIFF_SUPBOOK:
			/* 2.4.271: cch 0x0401 is the workbook itself, 0x3A01
			 * add-in functions; anything else names another
			 * workbook, a DDE server (application 0x0003 topic)
			 * or an OLE object. */
			if (rlen < 4)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed Excel workbook: short SupBook");
			if (le16(d + 2) != 0x0401 && le16(d + 2) != 0x3A01)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel workbook with %s: it cannot be "
				    "removed",
				    memchr(d + 4, 0x03, rlen - 4) != NULL
				        ? "a DDE link"
				        : "an external link (workbook or OLE)");
			break;
		case BIFF_EXTERNNAME:
			/* 2.4.106: fOle (0x0010), fOleLink (0x0020).  BIFF5
			 * names carry no SupBook type to tell add-in
			 * functions from DDE: all of them are refused. */
			if (rlen < 2)
				return fail(o, MG_REASON_CDR_FAILED,
				    "malformed Excel workbook: short "
				    "ExternName");
			if ((le16(d) & 0x0030) != 0 || o->biff5)
				return fail(o, MG_REASON_CDR_FAILED,
				    "Excel workbook with a DDE or OLE link: it "
				    "cannot be removed");
			break;
		case BIFF_DCONN:
		case BIFF_DBQUERYEXT:
			return fail(o, MG_REASON_CDR_FAILED,
			    "Excel workbook with an external data "
			    "connection: it cannot be removed");
		default:
			break;
		}
		pos += 4 + (gsize)rlen;
	}
	if (!started)
		return fail(o, MG_REASON_CDR_FAILED,
		    "malformed Excel workbook: no BOF record");
	return TRUE;
}

/* ------------------------------------------------------------------ */
/* PowerPoint: the records of the PowerPoint Document stream.          */

#define PPT_VBA_INFO_ATOM 0x0400
#define PPT_EX_OLE_EMBED 0x0FCC
#define PPT_EX_OLE_LINK 0x0FCE
#define PPT_EX_CONTROL 0x0FEE
#define PPT_INTERACTIVE_INFO 0x0FF3
#define PPT_EX_OLE_OBJ_STG 0x1011
#define PPT_CRYPT_SESSION 0x2F14

static gboolean
ppt_check(struct ole2 *o)
{
	g_autofree guint8 *p = NULL;
	gsize n, pos = 0, ends[PPT_MAX_DEPTH + 1];
	guint depth = 0;
	int cu = root_child(o, "Current User");
	gsize cn;
	g_autofree guint8 *c = NULL;

	/* [MS-PPT] 2.1.1: the Current User stream, a CurrentUserAtom whose
	 * headerToken says whether the document is encrypted. */
	if (cu < 0 || ent(o, cu)->type != T_STREAM)
		return fail(o, MG_REASON_CDR_FAILED,
		    "PowerPoint file without a Current User stream");
	c = ent_read(o, ent(o, cu), 16, &cn);
	if (c == NULL)
		return FALSE;
	if (cn < 16 || le16(c + 2) != PPT_CURRENT_USER ||
	    le32(c + 12) != PPT_TOKEN_PLAIN)
		return fail(o, MG_REASON_CDR_FAILED,
		    "PowerPoint file with an unreadable Current User stream");
	p = ent_read(o, ent(o, o->main_stream), G_MAXSIZE, &n);
	if (p == NULL)
		return FALSE;
	ends[0] = n;
	while (pos < n) {
		guint16 verinst, type;
		guint32 rlen;

		while (depth > 0 && pos >= ends[depth])
			depth--;
		if (pos + 8 > ends[depth])
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed PowerPoint Document stream");
		verinst = le16(p + pos);
		type = le16(p + pos + 2);
		rlen = le32(p + pos + 4);
		if (rlen > ends[depth] - pos - 8)
			return fail(o, MG_REASON_CDR_FAILED,
			    "malformed PowerPoint Document stream");
		switch (type) {
		case PPT_VBA_INFO_ATOM:
			/* 2.4.10.1 VBAInfoAtom: persistIdRef of the project
			 * storage, fHasMacros.  Some writers leave one with
			 * both 0: no project.  (The storage itself, an
			 * ExOleObjStg, refuses the file on its own.) */
			if (rlen < 8 || le32(p + pos + 8) != 0 ||
			    le32(p + pos + 12) != 0)
				return fail(o, MG_REASON_CDR_FAILED,
				    "PowerPoint file with VBA macros: they "
				    "cannot be removed from its records");
			break;
		case PPT_EX_OLE_EMBED:
		case PPT_EX_OLE_LINK:
		case PPT_EX_OLE_OBJ_STG:
			return fail(o, MG_REASON_CDR_FAILED,
			    "PowerPoint file with an embedded or linked OLE "
			    "object: it cannot be removed from its records");
		case PPT_EX_CONTROL:
			return fail(o, MG_REASON_CDR_FAILED,
			    "PowerPoint file with an ActiveX control: it "
			    "cannot be removed from its records");
		case PPT_CRYPT_SESSION:
			return fail(o, MG_REASON_ENCRYPTED,
			    "password-protected PowerPoint presentation");
		case PPT_INTERACTIVE_INFO:
			/* 2.7.6 InteractiveInfoAtom: soundIdRef,
			 * exHyperlinkIdRef, then action: 1 macro, 2 run a
			 * program, 5 an OLE verb. */
			if (rlen >= 9 &&
			    (p[pos + 16] == 1 || p[pos + 16] == 2 ||
			        p[pos + 16] == 5))
				return fail(o, MG_REASON_CDR_FAILED,
				    "PowerPoint file with an action that runs "
				    "a macro, a program or an OLE verb");
			break;
		default:
			break;
		}
		if ((verinst & 0x000F) == 0x000F) {
			/* A container: its records follow. */
			if (depth == PPT_MAX_DEPTH)
				return fail(o, MG_REASON_CDR_FAILED,
				    "PowerPoint records nested too deep");
			ends[++depth] = pos + 8 + rlen;
			pos += 8;
		} else {
			pos += 8 + (gsize)rlen;
		}
	}
	return TRUE;
}

/* ------------------------------------------------------------------ */
/* The tree: what goes, what refuses the file.                        */

/* An active thing that nothing here removes, or NULL. */
static const char *
marker(const struct ent *e)
{
	static const char *const vba[] = {"_VBA_PROJECT", "_VBA_PROJECT_CUR",
	    "VBA", "PROJECT", "PROJECTwm", "Macros"};
	static const char *const obj[] = {
	    "\x01Ole10Native", "\x03OCXNAME", "\x03OCXDATA", "\x03ObjInfo"};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(vba); i++)
		if (name_is(e, vba[i]))
			return "a VBA project";
	for (i = 0; i < G_N_ELEMENTS(obj); i++)
		if (name_is(e, obj[i]))
			return "an embedded object";
	if (e->parent != 0 &&
	    (name_is(e, "\001CompObj") || name_is(e, "ObjectPool")))
		return "an embedded object";
	if (e->parent == 0 && e->type == T_STORAGE &&
	    (name_prefix(e, "MBD") || name_prefix(e, "LNK")))
		return "an embedded or linked OLE object";
	if (e->parent == 0 && name_is(e, "Ctls"))
		return "ActiveX controls";
	if (e->parent == 0 && name_is(e, "ObjectPool") && e->children > 0)
		return "embedded objects";
	return NULL;
}

/* Does the subtree under storage i hold an ActiveX control (its
 * persisted \x03OCXNAME)? */
static gboolean
has_activex(struct ole2 *o, int top)
{
	guint i;

	for (i = 1; i < o->ents->len; i++)
		if (ent(o, i)->top == top && name_is(ent(o, i), "\x03OCXNAME"))
			return TRUE;
	return FALSE;
}

static void
drop(struct ole2 *o, const char *name, guint8 type, const char *id)
{
	int i = root_child(o, name);

	if (i < 0 || ent(o, i)->type != type)
		return;
	if (type == T_STORAGE && ent(o, i)->children == 0 &&
	    strcmp(id, MG_CDR_RM_OLE) == 0)
		return; /* an empty ObjectPool: nothing to remove */
	ent(o, i)->drop = TRUE;
	removed(o, id);
	if (strcmp(id, MG_CDR_RM_OLE) == 0 && has_activex(o, i))
		removed(o, MG_CDR_RM_ACTIVEX);
}

/*
 * The whole analysis of one file: container, kind, encryption, removals
 * and the checks of each kind.  FALSE with o->reason and o->detail set
 * when the file is refused.
 */
static gboolean
analyse(struct ole2 *o, const guint8 *data, gsize len)
{
	const char *why;
	guint i;

	if (!cfb_open(o, data, len))
		return FALSE;
	if (container_encrypted(o))
		return fail(o, MG_REASON_ENCRYPTED,
		    "password-protected Office document");
	if (!find_kind(o))
		return FALSE;
	if (doc_encrypted(o, &why))
		return fail(o, MG_REASON_ENCRYPTED, "%s", why);
	if (o->detail != NULL)
		return FALSE;
	switch (o->kind) {
	case K_WORD:
		/* [MS-DOC] 2.1.9, 2.1.8: the VBA project and embedded
		 * objects are storages of their own. */
		drop(o, "Macros", T_STORAGE, MG_CDR_RM_VBA);
		drop(o, "ObjectPool", T_STORAGE, MG_CDR_RM_OLE);
		break;
	case K_EXCEL:
		/* [MS-XLS] 2.1.7.3. */
		drop(o, "_VBA_PROJECT_CUR", T_STORAGE, MG_CDR_RM_VBA);
		break;
	default:
		break;
	}
	for (i = 1; i < o->ents->len; i++) {
		struct ent *e = ent(o, i);
		const char *what;

		if (ent(o, e->top)->drop)
			continue;
		what = marker(e);
		if (what != NULL)
			return fail(o, MG_REASON_CDR_FAILED,
			    "%s (\"%s\") that cannot be removed", what,
			    e->path);
	}
	switch (o->kind) {
	case K_WORD:
		return word_check(o);
	case K_EXCEL:
		return excel_check(o);
	case K_PPT:
		return ppt_check(o);
	default:
		return FALSE;
	}
}

/* ------------------------------------------------------------------ */
/* libgsf: the second reader, and the writer.                         */

static gpointer
gsf_once(gpointer unused)
{
	(void)unused;
	gsf_init();
	return NULL;
}

static void
ensure_gsf(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, gsf_once, NULL);
}

/* Drop a reference to a libgsf object, if any (libgsf 1.14 defines no
 * g_autoptr cleanups). */
static void
unref(gpointer obj)
{
	if (obj != NULL)
		g_object_unref(obj);
}

static gboolean gsf_walk(
    struct ole2 *o, GsfInfile *in, int idx, GsfOutfile *out, gboolean *env_r);

/* A storage: class id, then its children. */
static gboolean
gsf_storage(struct ole2 *o, GsfInput *ci, struct ent *e, int j, GsfOutfile *out,
    gboolean *env_r)
{
	GsfOutput *co = NULL;
	guint8 clsid[16];
	gboolean ok;

	if (!gsf_infile_msole_get_class_id(GSF_INFILE_MSOLE(ci), clsid) ||
	    memcmp(clsid, e->clsid, 16) != 0)
		return fail(o, MG_REASON_CDR_FAILED,
		    "OLE2 readers disagree on the class of \"%s\"", e->path);
	if (out != NULL) {
		co = gsf_outfile_new_child(out, e->name, TRUE);
		if (co == NULL) {
			*env_r = TRUE;
			return FALSE;
		}
		gsf_outfile_msole_set_class_id(GSF_OUTFILE_MSOLE(co), e->clsid);
	}
	ok = gsf_walk(
	    o, GSF_INFILE(ci), j, co != NULL ? GSF_OUTFILE(co) : NULL, env_r);
	if (co != NULL && !gsf_output_close(co) && ok) {
		*env_r = TRUE;
		ok = FALSE;
	}
	unref(co);
	return ok;
}

/* A stream: the same size and bytes in both readers. */
static gboolean
gsf_stream(struct ole2 *o, GsfInput *ci, struct ent *e, GsfOutfile *out,
    gboolean *env_r)
{
	GsfOutput *co;
	guint8 *mine;
	const guint8 *theirs;
	gsize len;
	gboolean ok = TRUE;

	if (gsf_input_size(ci) != (gsf_off_t)e->size)
		return fail(o, MG_REASON_CDR_FAILED,
		    "OLE2 readers disagree on the size of \"%s\"", e->path);
	mine = ent_read(o, e, G_MAXSIZE, &len);
	if (mine == NULL)
		return FALSE;
	if (len > 0) {
		theirs = gsf_input_read(ci, len, NULL);
		if (theirs == NULL || memcmp(theirs, mine, len) != 0)
			ok = fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 readers disagree on the bytes of \"%s\"",
			    e->path);
	}
	if (ok && out != NULL) {
		co = gsf_outfile_new_child(out, e->name, FALSE);
		if (co == NULL ||
		    (len > 0 && !gsf_output_write(co, len, mine)) ||
		    !gsf_output_close(co)) {
			*env_r = TRUE;
			ok = FALSE;
		}
		unref(co);
	}
	g_free(mine);
	return ok;
}

/*
 * Walk libgsf's view of storage `idx` (`in`) against ours: the same
 * children, the same types and class ids, the same bytes in every
 * stream.  Entries not dropped are written to `out` when it is not NULL.
 * FALSE with o->detail set (a disagreement) or *env_r set (libgsf could
 * not write: memory).
 */
static gboolean
gsf_walk(
    struct ole2 *o, GsfInfile *in, int idx, GsfOutfile *out, gboolean *env_r)
{
	int n = gsf_infile_num_children(in), i, j;

	if (n < 0 || (guint)n != ent(o, idx)->children)
		return fail(o, MG_REASON_CDR_FAILED,
		    "OLE2 readers disagree on the entries of \"%s\"",
		    ent(o, idx)->path);
	for (i = 0; i < n; i++) {
		const char *name = gsf_infile_name_by_index(in, i);
		char *path;
		GsfInput *ci;
		struct ent *e;
		gpointer v;
		gboolean dir, ok;

		if (name == NULL)
			return fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 readers disagree on the entries of \"%s\"",
			    ent(o, idx)->path);
		path = idx == 0
		           ? g_strdup(name)
		           : g_strconcat(ent(o, idx)->path, "/", name, NULL);
		v = g_hash_table_lookup(o->by_path, path);
		g_free(path);
		if (v == NULL || ent(o, GPOINTER_TO_INT(v) - 1)->parent != idx)
			return fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 readers disagree on the entries of \"%s\"",
			    ent(o, idx)->path);
		j = GPOINTER_TO_INT(v) - 1;
		e = ent(o, j);
		if (ent(o, e->top)->drop)
			continue;
		ci = gsf_infile_child_by_index(in, i);
		if (ci == NULL)
			return fail(o, MG_REASON_CDR_FAILED,
			    "libgsf cannot read \"%s\"", e->path);
		dir = GSF_IS_INFILE(ci) &&
		      gsf_infile_num_children(GSF_INFILE(ci)) >= 0;
		if (dir != (e->type == T_STORAGE))
			ok = fail(o, MG_REASON_CDR_FAILED,
			    "OLE2 readers disagree on the type of \"%s\"",
			    e->path);
		else if (dir)
			ok = gsf_storage(o, ci, e, j, out, env_r);
		else
			ok = gsf_stream(o, ci, e, out, env_r);
		g_object_unref(ci);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/*
 * Read the analysed file with libgsf and compare; with `write`, copy it
 * without the dropped storages into a new compound file (*out_r).
 */
static gboolean
gsf_pass(struct ole2 *o, gboolean write, GBytes **out_r, gboolean *env_r)
{
	GsfInput *src;
	GsfInfile *in;
	GsfOutput *sink = NULL;
	GsfOutfile *out = NULL;
	GError *err = NULL;
	gboolean ok = FALSE;

	ensure_gsf();
	*env_r = FALSE;
	src = gsf_input_memory_new(o->data, (gsf_off_t)o->len, FALSE);
	if (src == NULL) {
		*env_r = TRUE;
		return FALSE;
	}
	in = gsf_infile_msole_new(src, &err);
	if (in == NULL) {
		fail(o, MG_REASON_CDR_FAILED, "libgsf cannot read it: %s",
		    err != NULL ? err->message : "?");
		goto done;
	}
	if (write) {
		sink = gsf_output_memory_new();
		out = sink != NULL ? gsf_outfile_msole_new(sink) : NULL;
		if (out == NULL) {
			*env_r = TRUE;
			goto done;
		}
		gsf_outfile_msole_set_class_id(
		    GSF_OUTFILE_MSOLE(out), ent(o, 0)->clsid);
	}
	ok = gsf_walk(o, in, 0, out, env_r);
	if (out != NULL && !gsf_output_close(GSF_OUTPUT(out)) && ok) {
		*env_r = TRUE;
		ok = FALSE;
	}
	if (ok && write)
		*out_r = g_bytes_new(
		    gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(sink)),
		    (gsize)gsf_output_size(sink));
done:
	unref(out);
	unref(sink);
	unref(in);
	unref(src);
	if (err != NULL)
		g_error_free(err);
	return ok;
}

/* The rebuilt file `b` read back: nothing to remove, plain, the same
 * entries as those kept, with the same bytes and class ids. */
static gboolean
check_output(struct ole2 *o, GBytes *b)
{
	struct ole2 r;
	gsize len, i, kept = 0;
	const guint8 *data = g_bytes_get_data(b, &len);
	gboolean env = FALSE, ok;

	ole2_init(&r, o->max_entries, o->max_nesting);
	ok = analyse(&r, data, len) && r.removed->len == 0 && r.plain &&
	     gsf_pass(&r, FALSE, NULL, &env);
	for (i = 1; ok && i < o->ents->len; i++) {
		struct ent *e = ent(o, (int)i), *f;
		gpointer v;
		g_autofree guint8 *a = NULL, *c = NULL;
		gsize an, cn;

		if (ent(o, e->top)->drop)
			continue;
		kept++;
		v = g_hash_table_lookup(r.by_path, e->path);
		f = v != NULL ? ent(&r, GPOINTER_TO_INT(v) - 1) : NULL;
		ok = f != NULL && f->type == e->type;
		if (ok && e->type == T_STORAGE)
			ok = memcmp(e->clsid, f->clsid, 16) == 0;
		if (ok && e->type == T_STREAM) {
			a = ent_read(o, e, G_MAXSIZE, &an);
			c = ent_read(&r, f, G_MAXSIZE, &cn);
			ok = a != NULL && c != NULL && an == cn &&
			     memcmp(a, c, an) == 0;
		}
	}
	ok = ok && r.ents->len == kept + 1 &&
	     memcmp(ent(o, 0)->clsid, ent(&r, 0)->clsid, 16) == 0;
	ole2_clear(&r);
	return ok;
}

/* ------------------------------------------------------------------ */
/* The module.                                                        */

static const char *const ole2_types[] = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
    "application/cdfv2",
    "application/vnd.ms-office",
    "application/vnd.ms-outlook",
};

static const char *const ole2_exts[] = {"doc", "dot", "xls", "xlt", "xla",
    "ppt", "pps", "pot", "jtd", "jtt", "msg"};

static int
bid(const char *type, const char *ext, const guint8 *data, gsize len)
{
	/* Office reads a compound file by its content, whatever its name:
	 * the magic decides.  Without it, a type or (lowest) a name that
	 * says legacy Office still comes here if no other module wants the
	 * file, to be refused as not OLE2. */
	if (len >= 8 && memcmp(data, OLE2_MAGIC, 8) == 0)
		return 100;
	if (mg_cdr_in_list(type, ole2_types, G_N_ELEMENTS(ole2_types)))
		return 10;
	if (mg_cdr_in_list(ext, ole2_exts, G_N_ELEMENTS(ole2_exts)))
		return 1;
	return 0;
}

static void
refuse(struct mg_cdr_result *out, enum mg_reason reason, const char *detail)
{
	mg_cdr_refuse(out, reason, g_strdup(detail));
}

static const char *
mime_of(enum kind k)
{
	switch (k) {
	case K_WORD:
		return "application/msword";
	case K_EXCEL:
		return "application/vnd.ms-excel";
	default:
		return "application/vnd.ms-powerpoint";
	}
}

static enum mg_rc
rebuild(struct mg_cdr_ctx *ctx, GBytes *in, struct mg_cdr_result *out)
{
	const struct mg_limits *lim = ctx->limits;
	guint64 limit =
	    lim->max_part_size != 0 ? lim->max_part_size : MG_DEF_MAX_PART_SIZE;
	guint members = lim->max_archive_members != 0
	                    ? lim->max_archive_members
	                    : MG_DEF_MAX_ARCHIVE_MEMBERS;
	guint depth = lim->max_depth != 0 ? lim->max_depth : MG_DEF_MAX_DEPTH;
	struct ole2 o;
	GBytes *built = NULL;
	gboolean env = FALSE;
	enum mg_rc rc = MG_OK;
	gsize len, i;
	const guint8 *data = g_bytes_get_data(in, &len);

	if (out->removed == NULL)
		out->removed = g_ptr_array_new();
	if ((guint64)len > limit) {
		refuse(out, MG_REASON_PART_TOO_LARGE, "OLE2 file too large");
		return MG_OK;
	}
	ole2_init(&o, members, depth);
	if (data == NULL || !analyse(&o, data, len)) {
		refuse(out, o.detail != NULL ? o.reason : MG_REASON_CDR_FAILED,
		    o.detail != NULL ? o.detail : "not an OLE2 compound file");
		goto done;
	}
	if (o.removed->len == 0 && o.plain) {
		if (!gsf_pass(&o, FALSE, NULL, &env)) {
			if (env)
				rc = MG_FAIL;
			else
				refuse(out, o.reason, o.detail);
			goto done;
		}
		out->outcome = MG_CDR_VERIFIED;
		goto done;
	}
	if (!gsf_pass(&o, TRUE, &built, &env)) {
		if (env)
			rc = MG_FAIL;
		else
			refuse(out, o.reason, o.detail);
		goto done;
	}
	if ((guint64)g_bytes_get_size(built) > limit) {
		refuse(out, MG_REASON_PART_TOO_LARGE,
		    "rebuilt OLE2 file over the part size limit");
		goto done;
	}
	if (!check_output(&o, built)) {
		refuse(out, MG_REASON_CDR_FAILED,
		    "rebuilt OLE2 file does not read back clean");
		goto done;
	}
	for (i = 0; i < o.removed->len; i++)
		mg_cdr_result_removed(out, g_ptr_array_index(o.removed, i));
	if (!o.plain)
		mg_cdr_result_removed(out, MG_CDR_RM_TRAILING);
	out->outcome = MG_CDR_REBUILT;
	out->data = g_steal_pointer(&built);
	g_free(out->extension);
	out->extension = NULL;
	g_free(out->mime_type);
	out->mime_type = g_strdup(mime_of(o.kind));
done:
	if (built != NULL)
		g_bytes_unref(built);
	ole2_clear(&o);
	return rc;
}

/* UTF-16LE names of the streams an encrypted Office file has, for a
 * container too damaged to be read. */
static gboolean
names_say_encrypted(const guint8 *data, gsize len)
{
	static const char *const names[] = {
	    "EncryptedPackage", "EncryptionInfo", "EncryptedSummary"};
	gsize i, k, nl, pos;
	guint8 u[40];

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		nl = strlen(names[i]);
		for (k = 0; k < nl; k++) {
			u[2 * k] = (guint8)names[i][k];
			u[2 * k + 1] = 0;
		}
		for (pos = 0; pos + 2 * nl <= len; pos++)
			if (data[pos] == u[0] &&
			    memcmp(data + pos, u, 2 * nl) == 0)
				return TRUE;
	}
	return FALSE;
}

gboolean
mg_cdr_ole2_encrypted(const guint8 *data, gsize len)
{
	struct ole2 o;
	const char *why;
	gboolean enc;

	if (data == NULL || len < 8 || memcmp(data, OLE2_MAGIC, 8) != 0)
		return FALSE;
	ole2_init(&o, MAX_ENTRIES, MAX_NESTING);
	o.max_read = PROBE_MAX_READ;
	if (!cfb_open(&o, data, len))
		enc = names_say_encrypted(data, len);
	else
		enc = container_encrypted(&o) ||
		      (find_kind(&o) && doc_encrypted(&o, &why));
	ole2_clear(&o);
	return enc;
}

/* ------------------------------------------------------------------ */
/* Outlook items ([MS-OXMSG] 2.1).                                    */

#define MSG_PROPS "__properties_version1.0"
#define MSG_ATTACH "__attach_version1.0_#"
/* Property types of the streams we read (MS-OXCDATA 2.11.1). */
#define PT_STRING8 0x001E
#define PT_UNICODE 0x001F
#define PT_BINARY 0x0102
#define PT_OBJECT 0x000D
#define PT_LONG 0x0003
#define PT_SYSTIME 0x0040

/* The entry at `dir`/__substg1.0_PPPPTTTT ("" for the root), or -1. */
static int
msg_ent(struct ole2 *o, const char *dir, guint16 id, guint16 type)
{
	g_autofree char *path = g_strdup_printf(
	    "%s%s__substg1.0_%04X%04X", dir, *dir != '\0' ? "/" : "", id, type);
	gpointer v = g_hash_table_lookup(o->by_path, path);
	g_autofree char *lower = NULL;

	if (v != NULL)
		return GPOINTER_TO_INT(v) - 1;
	/* Names are compared without case in a compound file: one table of
	 * lower-case paths, made on the first miss (a lookup per property
	 * must not cost a pass over every entry). */
	if (o->by_lower == NULL) {
		guint i;

		o->by_lower = g_hash_table_new_full(
		    g_str_hash, g_str_equal, g_free, NULL);
		for (i = 1; i < o->ents->len; i++)
			g_hash_table_insert(o->by_lower,
			    g_ascii_strdown(ent(o, i)->path, -1),
			    GUINT_TO_POINTER(i + 1));
	}
	lower = g_ascii_strdown(path, -1);
	v = g_hash_table_lookup(o->by_lower, lower);
	return v != NULL ? GPOINTER_TO_INT(v) - 1 : -1;
}

static GBytes *
msg_stream(struct ole2 *o, int i, gsize max)
{
	gsize n;
	guint8 *b;

	if (i < 0 || ent(o, i)->type != T_STREAM)
		return NULL;
	b = ent_read(o, ent(o, i), max, &n);
	return b != NULL ? g_bytes_new_take(b, n) : NULL;
}

/* A string property: PT_UNICODE (UTF-16LE), else PT_STRING8 in the
 * item's code page `cp` (detected when NULL). */
static char *
msg_string(struct ole2 *o, const char *dir, guint16 id, const char *cp)
{
	g_autoptr(GBytes) b =
	    msg_stream(o, msg_ent(o, dir, id, PT_UNICODE), MSG_MAX_STRING);
	gsize len;
	const char *d;

	if (b != NULL) {
		d = g_bytes_get_data(b, &len);
		return mg_charset_to_utf8(
		    "UTF-16LE", d, len & ~(gsize)1, NULL, NULL);
	}
	b = msg_stream(o, msg_ent(o, dir, id, PT_STRING8), MSG_MAX_STRING);
	if (b == NULL)
		return NULL;
	d = g_bytes_get_data(b, &len);
	return mg_charset_to_utf8(cp, d, len, NULL, NULL);
}

/* A string without the NULs that end it, or NULL when it is empty. */
static char *
msg_text(char *s)
{
	if (s != NULL)
		g_strstrip(s);
	if (s != NULL && *s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}

/*
 * The fixed-size properties of an item (2.4.1: a header of 32 bytes for
 * the message, 24 for an embedded one, then 16-byte entries of tag,
 * flags and value): its code page (PidTagInternetCodepage,
 * PidTagMessageCodepage) and when it was sent.
 */
static void
msg_props(
    struct ole2 *o, const char *dir, gsize hdr, char **cp_r, GDateTime **date_r)
{
	g_autofree char *path =
	    g_strdup_printf("%s%s" MSG_PROPS, dir, *dir != '\0' ? "/" : "");
	gpointer v = g_hash_table_lookup(o->by_path, path);
	g_autoptr(GBytes) b = NULL;
	guint32 cp = 0;
	gsize len, off;
	const guint8 *d;

	*cp_r = NULL;
	*date_r = NULL;
	if (v == NULL)
		return;
	b = msg_stream(o, GPOINTER_TO_INT(v) - 1, 1 << 20);
	if (b == NULL)
		return;
	d = g_bytes_get_data(b, &len);
	for (off = hdr; off + 16 <= len; off += 16) {
		guint32 tag = le32(d + off);
		guint16 id = (guint16)(tag >> 16), type = (guint16)tag;

		if (type == PT_LONG && (id == 0x3FDE || (id == 0x3FFD && !cp)))
			cp = le32(d + off + 8);
		else if (type == PT_SYSTIME && id == 0x0039 &&
		         *date_r == NULL) {
			/* FILETIME: 100 ns since 1601. */
			guint64 ft = (guint64)le32(d + off + 8) |
			             (guint64)le32(d + off + 12) << 32;
			gint64 secs = (gint64)(ft / 10000000u) - 11644473600;

			if (ft != 0 && secs > 0 && secs < 253402300799)
				*date_r = g_date_time_new_from_unix_utc(secs);
		}
	}
	if (cp == 65001)
		*cp_r = g_strdup("UTF-8");
	else if (cp == 932 || cp == 50220 || cp == 50221 || cp == 50222 ||
	         cp == 51932)
		*cp_r = g_strdup(cp == 932     ? "CP932"
		                 : cp == 51932 ? "EUC-JP"
		                               : "ISO-2022-JP");
	else if (cp >= 874 && cp <= 1258)
		*cp_r = g_strdup_printf("CP%u", cp);
}

void
mg_cdr_ole2_msg_free(struct mg_ole2_msg *m)
{
	guint i;

	if (m == NULL)
		return;
	g_free(m->subject);
	g_free(m->from_name);
	g_free(m->from_addr);
	g_free(m->to);
	g_free(m->cc);
	if (m->date != NULL)
		g_date_time_unref(m->date);
	g_free(m->body);
	if (m->html != NULL)
		g_bytes_unref(m->html);
	for (i = 0; m->files != NULL && i < m->files->len; i++) {
		struct mg_ole2_msg_file *f = g_ptr_array_index(m->files, i);

		g_free(f->name);
		g_free(f->mime);
		if (f->data != NULL)
			g_bytes_unref(f->data);
		mg_cdr_ole2_msg_free(f->item);
		g_free(f);
	}
	if (m->files != NULL)
		g_ptr_array_unref(m->files);
	g_free(m);
}

static struct mg_ole2_msg *msg_item(struct ole2 *o, const char *dir, gsize hdr,
    const char *parent_cp, guint64 *left, guint depth);

/* The attachment in storage `e` (2.2.2): a file, an embedded item (read
 * as one, MSG_MAX_DEPTH deep at most), or NULL (m->skipped: an OLE
 * object, a reference, past the budget). */
static struct mg_ole2_msg_file *
msg_attachment(struct ole2 *o, struct mg_ole2_msg *m, const struct ent *e,
    const char *cp, guint64 *left, guint depth)
{
	static const guint16 names[] = {0x3707, 0x3704, 0x3001};
	struct mg_ole2_msg_file *f = g_new0(struct mg_ole2_msg_file, 1);
	int di = msg_ent(o, e->path, 0x3701, PT_BINARY);
	int ei = msg_ent(o, e->path, 0x3701, PT_OBJECT);
	gsize i;

	if (di >= 0 && ent(o, di)->type == T_STREAM &&
	    ent(o, di)->size <= *left)
		f->data = msg_stream(o, di, G_MAXSIZE);
	else if (di < 0 && ei >= 0 && ent(o, ei)->type == T_STORAGE &&
	         depth < MSG_MAX_DEPTH)
		f->item =
		    msg_item(o, ent(o, ei)->path, 24, cp, left, depth + 1);
	if (f->data == NULL && f->item == NULL) {
		g_free(f);
		m->skipped++;
		return NULL;
	}
	if (f->data != NULL)
		*left -= g_bytes_get_size(f->data);
	for (i = 0; i < G_N_ELEMENTS(names) && f->name == NULL; i++)
		f->name = msg_text(msg_string(o, e->path, names[i], cp));
	f->mime = msg_text(msg_string(o, e->path, 0x370E, cp));
	return f;
}

/* The item whose properties are in storage `dir` ("" for the root). */
static struct mg_ole2_msg *
msg_item(struct ole2 *o, const char *dir, gsize hdr, const char *parent_cp,
    guint64 *left, guint depth)
{
	gpointer v = g_hash_table_lookup(o->by_path, dir);
	struct mg_ole2_msg *m = g_new0(struct mg_ole2_msg, 1);
	g_autofree char *cp = NULL;
	int self = v != NULL ? GPOINTER_TO_INT(v) - 1 : -1;
	guint i;

	m->files = g_ptr_array_new();
	msg_props(o, dir, hdr, &cp, &m->date);
	if (cp == NULL && parent_cp != NULL)
		cp = g_strdup(parent_cp);
	m->subject = msg_text(msg_string(o, dir, 0x0037, cp));
	m->from_name = msg_text(msg_string(o, dir, 0x0C1A, cp));
	m->from_addr = msg_text(msg_string(o, dir, 0x5D01, cp));
	if (m->from_addr == NULL)
		m->from_addr = msg_text(msg_string(o, dir, 0x0C1F, cp));
	m->to = msg_text(msg_string(o, dir, 0x0E04, cp));
	m->cc = msg_text(msg_string(o, dir, 0x0E03, cp));
	m->body = msg_string(o, dir, 0x1000, cp);
	if (m->body == NULL) {
		m->html = msg_stream(
		    o, msg_ent(o, dir, 0x1013, PT_BINARY), MSG_MAX_STRING);
		if (m->html == NULL) {
			char *h = msg_string(o, dir, 0x1013, cp);

			if (h != NULL)
				m->html = g_bytes_new_take(h, strlen(h));
		}
	}
	for (i = 1; self >= 0 && i < o->ents->len; i++) {
		const struct ent *e = ent(o, i);
		struct mg_ole2_msg_file *f;

		if (e->parent != self || e->type != T_STORAGE ||
		    !name_prefix(e, MSG_ATTACH))
			continue;
		f = msg_attachment(o, m, e, cp, left, depth);
		if (f != NULL)
			g_ptr_array_add(m->files, f);
	}
	return m;
}

struct mg_ole2_msg *
mg_cdr_ole2_msg_read(
    const guint8 *data, gsize len, guint64 max_bytes, char **why_r)
{
	struct mg_ole2_msg *m = NULL;
	struct ole2 o;
	guint64 left = max_bytes;

	*why_r = NULL;
	ole2_init(&o, MAX_ENTRIES, MAX_NESTING);
	if (data == NULL || !cfb_open(&o, data, len))
		*why_r = g_strdup(
		    o.detail != NULL ? o.detail : "not an OLE2 compound file");
	else if (root_child(&o, MSG_PROPS) < 0)
		*why_r = g_strdup("not an Outlook item (no " MSG_PROPS ")");
	else
		m = msg_item(&o, "", 32, NULL, &left, 0);
	ole2_clear(&o);
	return m;
}

const struct mg_cdr_module mg_cdr_ole2 = {"ole2", bid, rebuild};
