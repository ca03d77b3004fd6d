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

#endif
