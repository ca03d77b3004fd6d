#!/usr/bin/env python3
"""Write the benchmark files for bench/bench_cdr into OUTDIR.

Two kinds per format: the small hostile samples the corpus test builds
(tests/cli/test_cdr_corpus.py: a PDF with JavaScript and actions, a docm
with VBA/ActiveX/DDE, an xlsm with an XLM sheet, ...), and larger
documents of a typical office size, built here: a 40-page PDF, a docx of
3,000 paragraphs, an xlsx of 5,000 rows, a pptx of 30 slides, an RTF of
3,000 paragraphs, a CSV of 20,000 rows, 200 KB of HTML and of text, a
1600x1200 PNG (and a JPEG of it when the vips command is there), an SVG
of 2,000 shapes, and a zip holding some of them.  Deterministic: the same
files every run.

    python3 bench/gen_cdr.py OUTDIR
"""
import os
import shutil
import struct
import subprocess
import sys
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "cli"))
import test_cdr_corpus as tc  # noqa: E402
import test_cdr_mode as cm  # noqa: E402

LINE = "無害化ゲートウェイの性能測定用の文章です。Throughput line %d."


def big_pdf(pages=40, lines=45):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for p in range(pages):
        text = b"BT /F1 10 Tf 50 780 Td 12 TL " + b" ".join(
            b"(Page %d line %d of the benchmark document, some words.) '"
            % (p, i) for i in range(lines)) + b" ET"
        data = zlib.compress(text)
        objs.append(b"<< /Filter /FlateDecode /Length %d >>\nstream\n"
                    % len(data) + data + b"\nendstream")
        content = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    b"/Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % content)
        kids.append(b"%d 0 R" % len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(kids), pages)
    return tc.pdf_file(objs)


def big_docx(paras=3000):
    ct = tc.types(tc.BASE_DEFAULTS, [
        ("/word/document.xml",
         tc.OXO + "wordprocessingml.document.main+xml")])
    body = "".join('<w:p><w:r><w:t>%s</w:t></w:r></w:p>' % (LINE % i)
                   for i in range(paras))
    doc = (tc.XMLD + '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>%s'
           '</w:body></w:document>' % (cm.W, cm.R, body))
    return tc.opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", tc.rels([("rId1", tc.OD_REL + "officeDocument",
                                  "word/document.xml")])),
        ("word/document.xml", doc)])


def big_xlsx(rows=5000):
    ct = tc.types(tc.BASE_DEFAULTS, [
        ("/xl/workbook.xml", tc.OXO + "spreadsheetml.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", tc.OXO + "spreadsheetml.worksheet+xml"),
        ("/xl/sharedStrings.xml",
         tc.OXO + "spreadsheetml.sharedStrings+xml")])
    wb = (tc.XMLD + '<workbook xmlns="%s" xmlns:r="%s"><sheets>'
          '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
          % (tc.XL_MAIN, cm.R))
    sheet = (tc.XMLD + '<worksheet xmlns="%s"><sheetData>' % tc.XL_MAIN +
             "".join('<row r="%d"><c r="A%d" t="s"><v>%d</v></c>'
                     '<c r="B%d"><v>%d</v></c><c r="C%d"><f>B%d*2</f>'
                     '<v>%d</v></c></row>'
                     % (i + 1, i + 1, i, i + 1, i, i + 1, i + 1, 2 * i)
                     for i in range(rows)) + "</sheetData></worksheet>")
    sst = (tc.XMLD + '<sst xmlns="%s" count="%d" uniqueCount="%d">'
           % (tc.XL_MAIN, rows, rows) +
           "".join("<si><t>%s</t></si>" % (LINE % i) for i in range(rows)) +
           "</sst>")
    return tc.opc([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", tc.rels([("rId1", tc.OD_REL + "officeDocument",
                                  "xl/workbook.xml")])),
        ("xl/workbook.xml", wb),
        ("xl/_rels/workbook.xml.rels", tc.rels([
            ("rId1", tc.OD_REL + "worksheet", "worksheets/sheet1.xml"),
            ("rId2", tc.OD_REL + "sharedStrings", "sharedStrings.xml")])),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", sst)])


def big_pptx(slides=30):
    ct = tc.types(tc.BASE_DEFAULTS, [
        ("/ppt/presentation.xml",
         tc.OXO + "presentationml.presentation.main+xml")] + [
        ("/ppt/slides/slide%d.xml" % (i + 1),
         tc.OXO + "presentationml.slide+xml") for i in range(slides)])
    pres = (tc.XMLD + '<p:presentation xmlns:p="%s" xmlns:r="%s">'
            '<p:sldIdLst>%s</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/>'
            '<p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
            % (tc.P_NS, cm.R, "".join(
                '<p:sldId id="%d" r:id="rId%d"/>' % (256 + i, i + 1)
                for i in range(slides))))
    parts = [("[Content_Types].xml", ct),
             ("_rels/.rels", tc.rels([("rId1", tc.OD_REL + "officeDocument",
                                       "ppt/presentation.xml")])),
             ("ppt/presentation.xml", pres),
             ("ppt/_rels/presentation.xml.rels", tc.rels([
                 ("rId%d" % (i + 1), tc.OD_REL + "slide",
                  "slides/slide%d.xml" % (i + 1)) for i in range(slides)]))]
    for i in range(slides):
        paras = "".join('<a:p><a:r><a:t>%s</a:t></a:r></a:p>'
                        % (LINE % (i * 10 + k)) for k in range(10))
        parts.append(("ppt/slides/slide%d.xml" % (i + 1), tc.XMLD +
                      '<p:sld xmlns:p="%s" xmlns:a="%s"><p:cSld><p:spTree>'
                      '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/>'
                      '<p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr>'
                      '<p:cNvPr id="2" name="Body"/><p:cNvSpPr/><p:nvPr/>'
                      '</p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>%s'
                      '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>'
                      % (tc.P_NS, tc.A_NS, paras)))
    return tc.opc(parts)


def big_rtf(paras=3000):
    body = b"".join(b"{\\b Heading %d}\\par Paragraph %d of the benchmark "
                    b"document with \\i some \\i0 formatting.\\par\n" % (i, i)
                    for i in range(paras))
    return (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}"
            b"{\\colortbl;\\red255\\green0\\blue0;}\\f0\\fs20 " + body + b"}")


def big_csv(rows=20000):
    return ("\ufeffid,名前,金額,備考\r\n" + "".join(
        "%d,利用者%d,%d,\"備考, %d\"\r\n" % (i, i, i * 100, i)
        for i in range(rows))).encode("utf-8")


def big_html(paras=1500):
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>b"
            "</title><style>p{color:#333}</style></head><body>" + "".join(
                "<p>%s <a href=\"https://example.com/%d\">link</a></p>\n"
                % (LINE % i, i) for i in range(paras)) +
            "</body></html>").encode("utf-8")


def big_txt(lines=3000):
    return "".join(LINE % i + "\n" for i in range(lines)).encode("utf-8")


def big_png(w=1600, h=1200):
    rows = []
    for y in range(h):
        row = bytearray(b"\x00")
        for x in range(0, w):
            row += bytes(((x * 255) // w, (y * 255) // h, (x ^ y) & 255))
        rows.append(bytes(row))
    c = cm.png_chunk
    return (b"\x89PNG\r\n\x1a\n" +
            c(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            c(b"IDAT", zlib.compress(b"".join(rows), 6)) + c(b"IEND", b""))


def big_svg(n=2000):
    return ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
            'width="800" height="600">' + "".join(
                '<circle cx="%d" cy="%d" r="%d" fill="#%06x"/>'
                % ((i * 37) % 800, (i * 53) % 600, 3 + i % 20,
                   (i * 2654435761) & 0xFFFFFF) for i in range(n)) +
            "</svg>").encode()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def put(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    for i, s in enumerate(tc.generated()):
        ext = s.name.rsplit(".", 1)[-1] if "." in s.name else "bin"
        if s.name.endswith(".tar.gz"):
            ext = "tar.gz"
        put("gen%02d.%s" % (i, ext), s.data)
    docx, pdf, png = big_docx(), big_pdf(), big_png()
    put("big.pdf", pdf)
    put("big.docx", docx)
    put("big.xlsx", big_xlsx())
    put("big.pptx", big_pptx())
    put("big.rtf", big_rtf())
    put("big.csv", big_csv())
    put("big.html", big_html())
    put("big.txt", big_txt())
    put("big.png", png)
    put("big.svg", big_svg())
    put("big.zip", tc.zip_of([("docs/big.docx", docx), ("docs/big.pdf", pdf),
                              ("big.rtf", big_rtf(500))]))
    if shutil.which("vips"):
        subprocess.run(["vips", "copy", os.path.join(out, "big.png"),
                        os.path.join(out, "big.jpg[Q=85]")], check=True,
                       timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
