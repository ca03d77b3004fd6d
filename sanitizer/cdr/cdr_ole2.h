/*
 * cdr_ole2.h - the legacy Office (OLE2 compound file) CDR module, and its
 * encryption probe for the attachment inspection.
 */
#ifndef MG_CDR_OLE2_H
#define MG_CDR_OLE2_H

#include <glib.h>

#include "cdr/mg_cdr.h"

extern const struct mg_cdr_module mg_cdr_ole2;

/*
 * Whether `data` is an OLE2 compound file that holds a password-protected
 * or obfuscated Office document: an encrypted OOXML package or IRM
 * container (EncryptionInfo, EncryptedPackage, \x06DataSpaces), a Word
 * 97-2003 document with FIB.fEncrypted (RC4 or XOR obfuscation), an Excel
 * workbook with a FILEPASS record, or a PowerPoint 97-2003 presentation
 * with an encrypted CurrentUserAtom or an EncryptedSummary stream.
 * Untrusted input; cheap and bounded: one pass over the file's allocation
 * tables and directory, at most 64 KiB read from any stream.  FALSE for
 * anything else, including files that are not OLE2 at all.
 */
gboolean mg_cdr_ole2_encrypted(const guint8 *data, gsize len);

/*
 * An Outlook item (.msg, [MS-OXMSG]): a compound file whose properties
 * are streams named __substg1.0_PPPPTTTT.  What mg_cdr_ole2_msg_read()
 * takes out of one, every string UTF-8 (NULL when absent).
 */
struct mg_ole2_msg;

struct mg_ole2_msg_file {
	char *name;   /* PidTagAttachLongFilename, ...Filename, DisplayName */
	char *mime;   /* PidTagAttachMimeTag */
	GBytes *data; /* PidTagAttachDataBinary, or NULL for an item */
	struct mg_ole2_msg
	    *item; /* an embedded item (PidTagAttachDataObject) */
};

struct mg_ole2_msg {
	char *subject, *from_name, *from_addr, *to, *cc;
	GDateTime *date;  /* PidTagClientSubmitTime, or NULL */
	char *body;       /* PidTagBody */
	GBytes *html;     /* PidTagHtml, raw bytes, when there is no body */
	GPtrArray *files; /* struct mg_ole2_msg_file *, in storage order */
	guint skipped;    /* attachments not taken out: OLE objects, references,
	                   * past the budget or the nesting */
};

/*
 * Read `data` as an Outlook item.  Untrusted input: the compound file is
 * checked whole first by the module's strict reader; every property is
 * read at its declared size, which its chain covers; attachments' bytes
 * together at most `max_bytes`.  NULL (and *why_r, which the caller
 * frees) when it is not an Outlook item or cannot be read.
 */
struct mg_ole2_msg *mg_cdr_ole2_msg_read(
    const guint8 *data, gsize len, guint64 max_bytes, char **why_r);
void mg_cdr_ole2_msg_free(struct mg_ole2_msg *m);

#endif
