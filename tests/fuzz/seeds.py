#!/usr/bin/env python3
"""Build one seed directory per fuzz target.

    seeds.py --out DIR [--external DIR] [TARGET ...]

writes DIR/<target>/<sha1 of the bytes> for every target named (default:
every tests/fuzz/fuzz_*.c), from:

  - the mail corpus (corpus/**/input.eml) and the threat mails that
    tests/corpus/gen_scan_cases.py generates (into a temporary directory:
    they carry test signatures, so they are never stored);
  - the leaves of those mails (decoded), sorted by their magic bytes into
    the targets that parse them (archives, TNEF, PDF, images, ...);
  - ../shared/corpus-external (or --external), skipped when absent;
  - small inputs made here, in each harness's own input format (the
    first byte that picks a mode or a charset label, the NUL-separated
    PDF objects, the "name\\ncontent\\n--\\n" OOXML parts, ...);
  - tests/fuzz/seeds/<target>/ and tests/fuzz/regressions/<target>/,
    where a file ending in .b64 is stored base64-encoded and decoded here.

Files larger than the target's cap are left out (they slow libFuzzer down
more than they add).  The output is deterministic for a given tree.
Python 3.11 standard library only.
"""

import argparse
import base64
import email
import email.policy
import hashlib
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "corpus"))
import gen_cases as gc  # noqa: E402  (encoders; no side effects)
import gen_scan_cases as gs  # noqa: E402  (archive writers)

DEFAULT_EXTERNAL = REPO.parent / "shared" / "corpus-external"

# Largest seed per target (bytes).
CAP = {"mime": 1 << 20, "cdr_pdf": 1 << 20, "cdr_image": 512 << 10}
DEFAULT_CAP = 256 << 10


# fuzz_cdr_archive: bit 0 clear = the file, bit 2 = a walk;
# fuzz_cdr_html: bit 0 links, bit 1 policy, bit 3 small limits.
MODE_BYTE = {"cdr_archive": (0, 4), "cdr_html": (0, 3, 8)}


class Seeds:
    def __init__(self, out):
        self.out = out
        self.sets = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        # Harnesses whose first byte picks a mode: the file as it came.
        if target in MODE_BYTE:
            for m in MODE_BYTE[target]:
                self.add_raw(target, bytes((m,)) + data)
            return
        self.add_raw(target, data)

    def add_raw(self, target, data):
        if len(data) > CAP.get(target, DEFAULT_CAP):
            return
        self.sets.setdefault(target, {})[
            hashlib.sha1(data).hexdigest()] = data

    def write(self, targets):
        for t in targets:
            d = self.out / t
            d.mkdir(parents=True, exist_ok=True)
            for name, data in sorted(self.sets.get(t, {}).items()):
                p = d / name
                if not p.exists():
                    p.write_bytes(data)
            print("seeds: %-12s %4d files" % (t, len(self.sets.get(t, {}))))


# ---------------------------------------------------------------------------
# Mails and their leaves.

def corpus_mails(tmp):
    mails = sorted((REPO / "corpus").rglob("input.eml"))
    gen = tmp / "scan"
    subprocess.run([sys.executable,
                    str(REPO / "tests" / "corpus" / "gen_scan_cases.py"),
                    "--out", str(tmp)], check=True,
                   stdout=subprocess.DEVNULL)
    mails += sorted(gen.rglob("input.eml"))
    return [m.read_bytes() for m in mails]


def magic_targets(data, name="", ctype=""):
    """The targets whose parser reads these bytes, by magic and name."""
    name = (name or "").lower()
    ctype = (ctype or "").lower()
    head = data[:16]
    t = []
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        t += ["unpack", "cdr_archive"]
        if b"[Content_Types].xml" in data:
            t.append("cdr_ooxml")
        if b"application/vnd.oasis.opendocument" in data or (
                b"mimetype" in data and b"content.xml" in data):
            t.append("cdr_odf")
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        t += ["cdr_ole2", "unpack"]
    elif head.startswith(b"\x78\x9f\x3e\x22"):
        t.append("tnef")
    elif head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        t.append("cdr_pdf")
    elif head.startswith(b"{\\rt"):
        t.append("cdr_rtf")
    elif (head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff")
          or head.startswith(b"GIF8") or head.startswith(b"BM")
          or head.startswith(b"II*\0") or head.startswith(b"MM\0*")
          or (head.startswith(b"RIFF") and data[8:12] == b"WEBP")
          or head[:2] in (b"P1", b"P4", b"P3", b"P6")):
        t.append("cdr_image")
    elif (head.startswith(b"7z\xbc\xaf") or head.startswith(b"Rar!")
          or data[2:5] == b"-lh" or head.startswith(b"MSCF")
          or data[257:262] == b"ustar" or head.startswith(b"\x1f\x8b")
          or head.startswith(b"BZh") or head.startswith(b"\xfd7zXZ")
          or head.startswith(b"\x28\xb5\x2f\xfd")
          or head.startswith(b"!<arch>") or data[0x8001:0x8006] == b"CD001"):
        t += ["unpack", "cdr_archive"]
    if name.endswith(".svg") or b"<svg" in data[:4096]:
        t.append("cdr_svg")
    if (ctype == "text/html" or name.endswith((".htm", ".html"))
            or data[:64].lstrip().lower().startswith((b"<!doctype html",
                                                      b"<html"))):
        t += ["html", "cdr_html"]
    if ctype == "text/plain" or name.endswith((".txt", ".csv", ".log")):
        t.append("cdr_text")
    return t


def leaves(raw):
    """(filename, content type, decoded bytes, charset) of each leaf."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:  # the deep-nesting cases
        return []
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001 (hostile mails: keep going)
            continue
        if not data:
            continue
        try:
            name = part.get_filename() or ""
        except Exception:  # noqa: BLE001
            name = ""
        out.append((str(name), part.get_content_type(), data,
                    part.get_content_charset()))
    return out


HEADER_FIELDS = (b"subject", b"from", b"to", b"cc", b"reply-to", b"sender",
                 b"content-type", b"content-disposition", b"comments",
                 b"content-description")


def header_values(raw):
    """Raw (still encoded) header values, unfolded, of every entity, for
    the fields whose values the engine decodes."""
    vals = []
    for block in raw.replace(b"\r\n", b"\n").split(b"\n\n"):
        cur = None
        for line in block.split(b"\n"):
            if line[:1] in (b" ", b"\t") and cur is not None:
                cur += b" " + line.strip()
                continue
            if cur is not None:
                vals.append(cur)
            cur = None
            if b":" in line:
                k, v = line.split(b":", 1)
                if k.strip().lower() in HEADER_FIELDS:
                    cur = v.strip()
        if cur is not None:
            vals.append(cur)
    return vals


# ---------------------------------------------------------------------------
# Hand-made inputs per target.

LABELS = [None, "ISO-2022-JP", "Shift_JIS", "EUC-JP", "UTF-8", "iso-8859-1",
          "us-ascii", "x-unknown", "ISO-2022-JP-2", "UTF-16", "gb2312",
          "UTF-8*ja"]

JA = ("会議資料の件、よろしくお願いいたします。①②㈱№ ～ − ∥ ￢ "
      "髙﨑 纊 ｱｲｳｴｵ ﾃｽﾄ")


def label_index(charset):
    if charset is None:
        return 0
    cs = charset.lower()
    for i, lab in enumerate(LABELS):
        if lab is not None and lab.lower() == cs:
            return i
    return {"shift-jis": 2, "sjis": 2, "cp932": 2, "windows-31j": 2,
            "x-sjis": 2, "euc_jp": 3, "utf8": 4}.get(cs, 7)


def charset_seeds(s):
    add = lambda lab, b: s.add("charset", bytes((lab,)) + b)  # noqa: E731
    for text in (JA, "Hello, world.\r\n" + JA, "ｶﾀｶﾅ only", "plain ascii"):
        full = "".join(c for c in text if not 0xFF61 <= ord(c) <= 0xFF9F)
        add(1, gc.iso2022jp(full, kana=False))
        add(1, gc.iso2022jp(text, kana=True))
        add(0, gc.iso2022jp(text, kana=True))
        for lab, codec in ((2, "cp932"), (3, "euc_jp"), (4, "utf-8"),
                           (9, "utf-16"), (11, "utf-8"), (0, "cp932"),
                           (0, "euc_jp"), (0, "utf-8")):
            try:
                add(lab, text.encode(codec))
            except UnicodeEncodeError:
                add(lab, text.encode(codec, "replace"))
    add(8, "Grüße ".encode("iso2022_jp_2") + gc.iso2022jp("日本語"))
    add(5, "café naïve".encode("latin-1"))
    add(10, "中文测试".encode("gb2312"))
    # Escapes cut short, unknown designations, SO/SI, stray high bytes.
    for b in (b"\x1b$B$\"\x1b(B", b"\x1b$B$", b"\x1b(I12\x0e12\x0f",
              b"\x1b$(D+!\x1b(B", b"\x1b$@$\"\x1b(J~", b"\x81\x40\xfc\xfc",
              b"\x8e\xb1\x8f\xa1\xa1\xa4\xa2", b"\xef\xbb\xbf\xe3\x81",
              b"\xed\x40\xfa\x40\x87\x40", b"\x1b$B\x2d\x21\x7a\x21\x1b(B"):
        for lab in (0, 1, 2, 3):
            add(lab, b)


def header_seeds(s):
    ew = gc.ew
    vals = [
        ew("会議資料 ①②③ 髙﨑", "ISO-2022-JP"),
        ew("会議資料", "UTF-8"),
        ew("会議資料", "Shift_JIS"),
        gc.ew_q("お知らせ: 件名", "UTF-8"),
        "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= =?ISO-2022-JP?B?GyRCJUYbKEI=?=",
        "=?utf-8?q?a_b=3F?= plain =?utf-8*ja?b?44GC?=",
        "=?UTF-8?B?broken base64?=",
        "=?x-unknown?Q?caf=E9?= =?iso-8859-1?Q?caf=E9?=",
        "attachment; filename*=UTF-8''%E4%BC%9A%E8%AD%B0.docx",
        "attachment; filename*0*=ISO-2022-JP''%1B%24B%32%71; "
        "filename*1*=%35%44%1B%28B.pdf",
        "attachment; filename*0=\"a\"; filename*1=\"b.txt\"; "
        "filename*3=\"gap\"",
        "attachment; filename=\"=?UTF-8?B?44OG44K544OILnR4dA==?=\"",
        "inline; filename=\"\\\"quoted\\\\name.exe\\\"\"",
        "attachment; filename=report.pdf\u202egpj.exe",
        "attachment;\nmultipart/mixed; name=\"x.zip\"",
        "application/octet-stream; name*=''%FF%FE; name=plain.bin",
        "text/plain; charset=\"ISO-2022-JP\"; format=flowed; delsp=yes",
        "attachment; filename*=utf-8'ja'%E2%80%AE%E3%81%82",
    ]
    for v in vals:
        s.add("header", v)


HTML = [
    b"<!DOCTYPE html><html><head><meta charset=\"shift_jis\"><title>t</title>"
    b"<style>p{color:red}</style><script>alert(1)</script></head><body>"
    b"<p>Hello <b>world</b> &amp; &#x3042; &hearts; &unknown;</p>"
    b"<a href=\"https://example.com/a?b=1&amp;c=2\">link</a>"
    b"<a href=\"javascript:alert(1)\">js</a><img src=\"cid:img1\" alt=\"x\">"
    b"<table><tr><td>1</td><td>2</td></tr></table><ul><li>a<li>b</ul>"
    b"<pre>  keep   spaces </pre><br><hr><blockquote>q</blockquote>"
    b"<form action=\"http://x\"><input type=password></form>"
    b"<iframe src=\"http://x\"></iframe><object data=x></object>"
    b"<!-- comment --><![CDATA[x]]></body></html>",
    b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
    b"charset=iso-2022-jp\"></head><body>\x1b$B$3$s$K$A$O\x1b(B</body>",
    b"<div>" * 300 + b"deep" + b"</div>" * 300,
    b"<p onclick=\"x()\" style=\"background:url(http://t/)\">"
    b"<svg><script>x</script></svg><math><mi>x</mi></math>"
    b"<base href=\"http://evil/\"><meta http-equiv=refresh content=\"0;url=x\">",
    b"<a href=\"http://a\">http://b</a><a href=\"mailto:x@y\">m</a>"
    b"<area href=\"http://c\"><link rel=stylesheet href=\"http://d\">",
    b"<table>" + b"<tr><td>cell</td>" * 200 + b"</table>",
    b"<html><body><p>\xe3\x81\x82\xff\xfe broken utf-8 \xc3</p>",
]


def html_seeds(s):
    for h in HTML:
        s.add("html", h)
        s.add("cdr_html", h)


def uuencode(name, data, mode="644"):
    return gc.uuencode(name, data, mode).encode("ascii")


def binhex4(name, data):
    return gc.binhex4(name, data).encode("ascii")


def uu_seeds(s):
    data = b"%PDF-1.4\nhello\n" + bytes(range(256))
    s.add("uu", b"Before\n" + uuencode("report.pdf", data) + b"After\n")
    s.add("uu", uuencode("a b.exe", b"MZ" + bytes(64), mode="755"))
    s.add("uu", b"begin-base64 644 x.txt\n" +
          base64.encodebytes(data) + b"====\n")
    s.add("uu", b"text\n" + binhex4("photo.jpg", data) + b"\ntail\n")
    s.add("uu", binhex4("run.bin", b"\x90" * 200 + b"A" * 300))
    s.add("uu", b"begin 644 short\nM86)C\n`\nend\n")
    s.add("uu", b"(This file must be converted with BinHex 4.0)\n:!!!:\n")
    both = (uuencode("one.bin", b"1" * 90) + b"middle\n" +
            binhex4("two.bin", b"2" * 90) + b"\n" +
            uuencode("three.bin", b"3" * 10))
    s.add("uu", both)


def archive_seeds(s):
    doc = b"payload text \xe4\xbc\x9a\xe8\xad\xb0\n" * 4
    files = [("a.txt", doc), ("dir/b.bin", bytes(range(64)))]
    made = [
        gs.zip_of(files),
        gs.zip_of([("\u4f1a\u8b70.txt", doc)]),
        gs.zip_raw([gs.ZipMember(b"\x89\xef\x8b\x63.txt", doc)]),
        gs.zip_raw([gs.ZipMember(b"stored.txt", doc, method=0)]),
        gs.zip_raw([gs.ZipMember(b"../evil.txt", doc)]),
        gs.zip_raw([gs.ZipMember(b"bad.txt", doc, crc=1)]),
        gs.zip_zipcrypto(b"secret.txt", doc),
        gs.zip_of([("inner.zip", gs.zip_of(files))]),
        gs.zip_bomb(4 << 20),
        gs.lha_of([(b"a.txt", doc)], level=0),
        gs.lha_of([(b"a.txt", doc)], level=1),
        gs.lha_of([(b"a.txt", doc, b"dir")], level=2),
        gs.cab_of([(b"a.txt", doc, False)]),
        gs.sevenzip_of("a.txt", doc),
        gs.rar4_of([(b"a.txt", doc)]),
        gs.iso_of([(b"A.TXT;1", doc)]),
        gs.targz_of(files), gs.targz_of(files, "bz2"),
        gs.targz_of(files, "xz"), gs.targz_of(files, ""),
        gs.gzip_of("a.txt", doc),
        gs.zstd_raw(doc),
        gs.ar_of([("a.txt", doc)]),
    ]
    for zm in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zm) as z:
            z.writestr("c.txt", doc)
        made.append(buf.getvalue())
    for m in made:
        if isinstance(m, tuple):
            m = m[0]
        s.add("unpack", m)
        s.add("cdr_archive", m)


def archive_parts_seeds(s):
    """fuzz_cdr_archive's own form: members "name\ncontent" joined by
    "\n--\n", zipped (bit 1 clear) or tarred (bit 1 set) by the harness;
    '@' starts a symlink."""
    parts = [(b"a.txt", b"text"), (b"dir/b.docm", b"PK\x03\x04"),
             (b"../up.txt", b"x"), (b"@link", b"/etc/passwd"),
             (b"A.TXT", b"case"), (b"dir", b"file where a dir is"),
             (b"\xe4\xbc\x9a.exe", b"MZ")]
    body = b"\n--\n".join(n + b"\n" + d for n, d in parts)
    for mode in (1, 3, 5, 7):
        s.add_raw("cdr_archive", bytes((mode,)) + body)


def tnef_seeds(s):
    s.add("tnef", gs.tnef_of([(b"a.txt", b"hello")], body=b"body"))
    s.add("tnef", gs.tnef_of([(b"\x89\xef\x8b\x63.doc", b"x" * 100),
                              (b"b.exe", b"MZ")]))
    s.add("tnef", gc.tnef_bytes())


def pdf_file(objs, extra_trailer=b""):
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root 1 0 R " % (len(objs) + 1) +
            extra_trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % x)
    return out


def pdf_seeds(s):
    content = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"
    flate = zlib.compress(content)
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> "
            b"/Annots [6 0 R 7 0 R] /AA << /O 8 0 R >> >>")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 8 0 R "
        b"/Names << /JavaScript << /Names [(a) 8 0 R] >> "
        b"/EmbeddedFiles << /Names [(x.exe) 9 0 R] >> >> "
        b"/AcroForm << /Fields [] /XFA 10 0 R >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(flate) +
        flate + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
        b"/A << /S /URI /URI (http://example.com/) >> >>",
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] "
        b"/A << /S /Launch /F (cmd.exe) /Win << /F (calc) >> >> >>",
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) /Next 11 0 R >>",
        b"<< /Type /Filespec /F (x.exe) /EF << /F 12 0 R >> >>",
        b"<< /Length 5 >>\nstream\n<xdp>\nendstream",
        b"<< /S /SubmitForm /F (http://x/) >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    ]
    s.add("cdr_pdf", pdf_file(objs))
    s.add("cdr_pdf", pdf_file(objs[:5] + [b"null"] * 7))
    s.add("cdr_pdf", pdf_file(objs, b"/Encrypt << /Filter /Standard "
                              b"/V 1 /R 2 /O (x) /U (y) /P -4 >> "))
    # The harness's second form: object bodies separated by NUL bytes.
    s.add("cdr_pdf", b"\0".join(objs))
    s.add("cdr_pdf", b"\0".join(objs[:5]))
    s.add("cdr_pdf", b"<< /Type /Catalog /Pages 2 0 R >>\0<< /Type /Pages "
          b"/Kids [2 0 R] /Count 1 >>")  # a loop
    s.add("cdr_pdf", gc.pdf_bytes("seed"))


def ooxml_parts(files):
    return b"\n--\n".join(n.encode() + b"\n" + d for n, d in files)


CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
      b'openxmlformats.org/package/2006/content-types"><Default Extension="'
      b'rels" ContentType="application/vnd.openxmlformats-package.relations'
      b'hips+xml"/><Default Extension="xml" ContentType="application/xml"/>'
      b'<Default Extension="png" ContentType="image/png"/><Override '
      b'PartName="/word/document.xml" ContentType="application/vnd.openxml'
      b'formats-officedocument.wordprocessingml.document.main+xml"/>'
      b'</Types>')
RELS = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship '
        b'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="word/document.xml"/>'
        b'</Relationships>')
DOC_RELS = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rId2" Type="http://schemas.openxmlformats.org/office'
            b'Document/2006/relationships/hyperlink" Target="http://example'
            b'.com/" TargetMode="External"/><Relationship Id="rId3" Type="'
            b'http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/attachedTemplate" Target="http://evil/t.dotm" '
            b'TargetMode="External"/><Relationship Id="rId4" Type="http://'
            b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'image" Target="media/image1.png"/><Relationship Id="rId5" '
            b'Type="http://schemas.microsoft.com/office/2006/relationships/'
            b'vbaProject" Target="vbaProject.bin"/><Relationship Id="rId6" '
            b'Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/oleObject" Target="embeddings/oleObject1.bin"/>'
            b'</Relationships>')
DOC = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxml'
       b'formats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.'
       b'openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p>'
       b'<w:r><w:t>\xe4\xbc\x9a\xe8\xad\xb0</w:t></w:r><w:hyperlink r:id="'
       b'rId2"><w:r><w:t>link</w:t></w:r></w:hyperlink><w:r><w:fldChar '
       b'w:fldCharType="begin"/></w:r><w:r><w:instrText> DDEAUTO c:\\\\'
       b'windows\\\\system32\\\\cmd.exe "/k calc.exe" </w:instrText></w:r>'
       b'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>result'
       b'</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
       b'<w:fldSimple w:instr=" INCLUDETEXT http://x/ "><w:r><w:t>i</w:t>'
       b'</w:r></w:fldSimple></w:p></w:body></w:document>')


def ooxml_seeds(s):
    png = gc.png_bytes(1)
    files = [("[Content_Types].xml", CT), ("_rels/.rels", RELS),
             ("word/document.xml", DOC),
             ("word/_rels/document.xml.rels", DOC_RELS),
             ("word/media/image1.png", png),
             ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(60)),
             ("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0"),
             ("customXml/item1.xml", b"<x/>"),
             ("docProps/core.xml", b"<cp:coreProperties xmlns:cp=\"x\"/>")]
    for mode in (1, 3, 5, 7):
        s.add("cdr_ooxml", bytes((mode,)) + ooxml_parts(files))
        s.add("cdr_ooxml", bytes((mode,)) + ooxml_parts(files[:3]))
    s.add("cdr_ooxml", b"\0" + gs.zip_of(files))
    s.add("cdr_ooxml", b"\4" + gs.zip_of(files))
    s.add("cdr_ooxml", b"\0" + gs.docx_like())


def doc_from_zip(s, data, target="cdr_ooxml"):
    """A real document both as it came and as harness parts (the OOXML
    and ODF harnesses read the same modes)."""
    s.add(target, b"\0" + data)
    s.add(target, b"\4" + data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            files = [(i.filename, z.read(i)) for i in z.infolist()
                     if i.file_size < (64 << 10)]
    except Exception:  # noqa: BLE001 (encrypted or broken: as it came)
        return
    s.add(target, b"\5" + ooxml_parts(files))


ODF_NS = b"urn:oasis:names:tc:opendocument:xmlns:"
ODF_DECL = (b' xmlns:office="' + ODF_NS + b'office:1.0" xmlns:text="' +
            ODF_NS + b'text:1.0" xmlns:table="' + ODF_NS + b'table:1.0" '
            b'xmlns:draw="' + ODF_NS + b'drawing:1.0" xmlns:script="' +
            ODF_NS + b'script:1.0" xmlns:presentation="' + ODF_NS +
            b'presentation:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"')
ODF_CONTENT = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-content' +
    ODF_DECL + b' office:version="1.2"><office:scripts><office:event-'
    b'listeners><script:event-listener script:event-name="dom:load" '
    b'xlink:href="vnd.sun.star.script:Standard.M.Main?language=Basic"/>'
    b'</office:event-listeners></office:scripts><office:body><office:text>'
    b'<text:dde-connection-decls><text:dde-connection-decl office:name="d"'
    b'/></text:dde-connection-decls><text:p>\xe4\xbc\x9a\xe8\xad\xb0 '
    b'<text:a xlink:href="https://example.com/">link</text:a><text:a '
    b'xlink:href="javascript:x()">js</text:a><text:execute-macro>m'
    b'</text:execute-macro><text:dde-connection>dde</text:dde-connection>'
    b'</text:p><draw:frame><draw:object xlink:href="./Object 1"/><draw:image'
    b' xlink:href="./ObjectReplacements/Object 1"/></draw:frame><draw:frame>'
    b'<draw:image xlink:href="Pictures/a.png"/></draw:frame><draw:frame>'
    b'<draw:image xlink:href="file:///C:/x.png"/></draw:frame>'
    b'<text:section text:name="s"><text:section-source xlink:href="http://'
    b'x/y.odt"/></text:section><table:table><table:table-source '
    b'xlink:href="file:///z.ods"/><table:table-row><table:table-cell '
    b'table:formula="of:=DDE(&quot;a&quot;)" office:value="1"/>'
    b'</table:table-row></table:table></office:text></office:body>'
    b'</office:document-content>')
ODF_MANIFEST = (
    b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="' + ODF_NS +
    b'manifest:1.0" manifest:version="1.2"><manifest:file-entry '
    b'manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
    b'opendocument.text"/></manifest:manifest>')


def odf_seeds(s):
    png = gc.png_bytes(1)
    files = [("mimetype", b"application/vnd.oasis.opendocument.text"),
             ("content.xml", ODF_CONTENT),
             ("styles.xml", b'<office:document-styles' + ODF_DECL +
              b'><office:styles/></office:document-styles>'),
             ("meta.xml", b'<office:document-meta' + ODF_DECL +
              b'><office:meta/></office:document-meta>'),
             ("Pictures/a.png", png),
             ("Basic/Standard/M.xml", b"<script:module/>"),
             ("Object 1/content.xml", b"<x/>"),
             ("ObjectReplacements/Object 1", b"gdi"),
             ("META-INF/manifest.xml", ODF_MANIFEST)]
    for mode in (1, 3, 5, 7, 13, 15):
        s.add("cdr_odf", bytes((mode,)) + ooxml_parts(files))
        s.add("cdr_odf", bytes((mode,)) + ooxml_parts(files[:2]))
    s.add("cdr_odf", b"\0" + gs.zip_of(files))
    s.add("cdr_odf", b"\4" + gs.zip_of(files))


def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(
        ">I", zlib.crc32(t + d))


def image_seeds(s):
    w, h = 4, 3
    raw = b"".join(b"\0" + bytes(v for x in range(w)
                                  for v in (x * 60, y * 80, 100))
                   for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
           png_chunk(b"tEXt", b"Comment\0hidden") +
           png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))
    s.add("cdr_image", png)
    s.add("cdr_image", png + b"PK\x03\x04trailing")
    s.add("cdr_image", gc.png_bytes(7))
    # Huge declared size with tiny data (the pixel limit).
    s.add("cdr_image", b"\x89PNG\r\n\x1a\n" + png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)) +
        png_chunk(b"IDAT", zlib.compress(b"\0" * 10)) +
        png_chunk(b"IEND", b""))
    s.add("cdr_image", bytes.fromhex(
        "47494638396101000100800000000000ffffff21f90401000000002c0000000001"
        "0001000002024401003b"))
    bmp_px = b"\x00\x00\xff\x00" * 4
    s.add("cdr_image", b"BM" + struct.pack("<IHHI", 54 + len(bmp_px), 0, 0,
                                           54) +
          struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, len(bmp_px),
                      2835, 2835, 0, 0) + bmp_px)
    s.add("cdr_image", b"P6\n2 2\n255\n" + bytes(12))
    # A minimal uncompressed TIFF (TIFF 6.0, section 2), 1x1 grey.
    ifd = [(256, 3, 1, 1), (257, 3, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1),
           (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (278, 3, 1, 1),
           (279, 4, 1, 1)]
    tif = b"II*\0" + struct.pack("<I", 9) + b"\x80"
    tif += struct.pack("<H", len(ifd))
    for tag, typ, cnt, val in ifd:
        tif += struct.pack("<HHII", tag, typ, cnt, val)
    tif += struct.pack("<I", 0)
    s.add("cdr_image", tif)


SVG = [
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="red"/></svg>',
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
    b'xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
    b'<script>alert(1)</script><a xlink:href="javascript:x"><text>t</text>'
    b'</a><foreignObject><iframe src="http://x"/></foreignObject>'
    b'<image xlink:href="http://evil/x.png" width="1" height="1"/>'
    b'<use xlink:href="http://evil/s.svg#a"/><style>@import url(http://x);'
    b'</style></svg>',
    b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" '
    b'height="100000"><circle r="5"/></svg>',
]


def svg_seeds(s):
    png = gc.png_bytes(3)
    s.add("cdr_svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
          b'xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4">'
          b'<image width="4" height="4" xlink:href="data:image/png;base64,' +
          base64.b64encode(png) + b'"/></svg>')
    for v in SVG:
        s.add("cdr_svg", v)


RTF = [
    b"{\\rtf1\\ansi\\ansicpg932\\deff0{\\fonttbl{\\f0\\fnil\\fcharset128 "
    b"MS Gothic;}}\\f0\\fs24 \\'89\\'ef\\'8b\\'63 \\u12354? text\\par}",
    b"{\\rtf1{\\object\\objemb\\objw100\\objh100{\\*\\objclass Package}"
    b"{\\*\\objdata 0105000002000000080000005061636b61676500}"
    b"{\\result {\\pict\\pngblip 89504e47}}}}",
    b"{\\rtf1{\\field{\\*\\fldinst HYPERLINK \"http://example.com/\"}"
    b"{\\fldrslt link}}{\\field{\\*\\fldinst DDEAUTO cmd \"/c calc\"}"
    b"{\\fldrslt r}}}",
    b"{\\rtf1{\\*\\template http://evil/t.dot}{\\*\\datastore 0102}"
    b"\\bin4 \x00\x01\x02\x03 {\\*\\objupdate}x}",
    b"{\\rtf1" + b"{" * 500 + b"deep" + b"}" * 500 + b"}",
    b"{\\rtf1{\\pict\\wmetafile8\\picw10\\pich10 0100090000}"
    b"{\\*\\shppict{\\pict\\jpegblip ffd8ffe0}}\\par}",
    b"{\\rt{\\objdat\\objdata\\'0g\\u-3? \\*\\x}",
]


def rtf_seeds(s):
    for r in RTF:
        s.add("cdr_rtf", r)


def text_seeds(s):
    for t in (b"plain text\r\nline 2\n",
              "会議資料\n".encode("cp932"), "会議資料\n".encode("utf-16"),
              b"\xef\xbb\xbfBOM text\x00\x07\x1b[31m\xc2\x85",
              b"a,b,c\r\n=cmd|'/c calc'!A0,+1,-2\r\n@SUM(A1),\"q\"\"x\",z\n",
              "名前,値\n\"＝1+1\",\"a;=b\"\n\t=x,\r=y\n".encode("utf-8"),
              b"\"unterminated,field\nx", b"x\xffy\xfe\n"):
        s.add("cdr_text", t)


def audit_log(records):
    """Lines of a valid hash chain (mg_audit.h) and the head file."""
    prev = "0" * 64
    lines = b""
    for i, r in enumerate(records, 1):
        o = {"seq": i, "time": "2026-11-22T00:00:00.000000Z", "prev": prev}
        o.update(r)
        line = json.dumps(o, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        prev = hashlib.sha256(line).hexdigest()
        lines += line + b"\n"
    head = json.dumps({"seq": len(records), "sha256": prev},
                      separators=(",", ":")).encode() + b"\n"
    return lines, head


def audit_seeds(s):
    recs = [{"type": "sanitize", "id": "q1", "from": "a@example.jp",
             "subject": "会議", "reasons": ["blocked_type"]},
            {"type": "release", "id": "q1", "by": "admin"},
            {"type": "sanitize", "nested": {"a": [1, 2, {"b": None}]}}]
    lines, head = audit_log(recs)
    s.add("audit", lines)
    s.add("audit", lines + b"\0" + head)
    s.add("audit", lines[:-20])
    s.add("audit", lines + b"\0" + head.replace(b'"seq":3', b'"seq":2'))
    s.add("audit", b"W" + "件名\x01seq\x01a\"b\\c\x01\x7f\xff".encode(
        "utf-8", "surrogateescape"))
    s.add("audit", b"W" + b"\x01".join([b"x"] * 7))


def mime_seeds(s):
    for body in (uuencode("a.exe", b"MZ" + bytes(40)),
                 binhex4("b.doc", b"\xd0\xcf\x11\xe0" + bytes(40))):
        s.add("mime", b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: "
              b"uu\r\nContent-Type: text/plain\r\n\r\n" + body)


# ---------------------------------------------------------------------------
# The external corpus.

def external_seeds(s, ext):
    if not ext.is_dir():
        print("seeds: no external corpus at %s (skipped)" % ext)
        return
    for p in sorted(ext.rglob("*")):
        if not p.is_file() or p.name in ("MANIFEST.md", "SHA256SUMS"):
            continue
        data = p.read_bytes()
        name = p.name
        if name.endswith(".uu"):
            data = gs.uudecode_file(p)
            name = name[:-3]
        elif name.endswith(".b64"):
            data = base64.b64decode(data)
            name = name[:-4]
        lname = name.lower()
        ts = magic_targets(data, name)
        if lname.endswith((".rtf",)) and "cdr_rtf" not in ts:
            ts.append("cdr_rtf")
        if lname.endswith((".csv", ".slk", ".txt", ".inf", ".conf")):
            ts.append("cdr_text")
        if p.parent.name == "tnef" or lname.endswith(".tnef"):
            ts.append("tnef")
        for t in set(ts):
            if t in ("cdr_ooxml", "cdr_odf"):
                doc_from_zip(s, data, t)
            else:
                s.add(t, data)
        if lname.endswith((".docx", ".docm", ".xlsx", ".xlsm", ".pptx",
                           ".pptm", ".dotx", ".dotm", ".xltm", ".potx",
                           ".potm", ".ppsx", ".ppsm", ".xltx", ".xlam")):
            doc_from_zip(s, data)
        if lname.endswith((".odt", ".ods", ".odp", ".odg", ".ott", ".ots",
                           ".otp", ".otg")):
            doc_from_zip(s, data, "cdr_odf")


# ---------------------------------------------------------------------------

def stored(s, targets):
    """tests/fuzz/seeds/<t> and regressions/<t> (*.b64 decoded)."""
    for t in targets:
        for d in (HERE / "seeds" / t, HERE / "regressions" / t):
            if not d.is_dir():
                continue
            for p in sorted(d.iterdir()):
                if not p.is_file() or p.name.startswith("README"):
                    continue
                data = p.read_bytes()
                if p.name.endswith(".b64"):
                    data = base64.b64decode(data)
                s.sets.setdefault(t, {})[
                    hashlib.sha1(data).hexdigest()] = data


def all_targets():
    return sorted(p.stem[len("fuzz_"):] for p in HERE.glob("fuzz_*.c"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="writes OUT/<target>/")
    ap.add_argument("--external", default=str(DEFAULT_EXTERNAL))
    ap.add_argument("targets", nargs="*",
                    help="target names (mime, cdr_pdf, ... or fuzz_mime)")
    args = ap.parse_args(argv)
    targets = [t[len("fuzz_"):] if t.startswith("fuzz_") else t
               for t in (args.targets or all_targets())]
    s = Seeds(Path(args.out))

    tmp = Path(tempfile.mkdtemp(prefix="mgseeds-"))
    shapes = set()
    try:
        for raw in corpus_mails(tmp):
            s.add("mime", raw)
            for v in header_values(raw):
                # One of each shape: the many-parts mails repeat a value
                # that differs only in a counter.
                shape = re.sub(rb"[0-9]+", b"0", v)
                if shape not in shapes:
                    shapes.add(shape)
                    s.add("header", v)
            for name, ctype, data, cs in leaves(raw):
                for t in magic_targets(data, name, ctype):
                    if t in ("cdr_ooxml", "cdr_odf"):
                        doc_from_zip(s, data, t)
                    else:
                        s.add(t, data)
                if ctype.startswith("text/"):
                    s.add("charset", bytes((label_index(cs),)) + data)
                    s.add("uu", data)
                    if ctype == "text/plain":
                        s.add("cdr_text", data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    charset_seeds(s)
    header_seeds(s)
    html_seeds(s)
    uu_seeds(s)
    archive_seeds(s)
    archive_parts_seeds(s)
    tnef_seeds(s)
    pdf_seeds(s)
    ooxml_seeds(s)
    odf_seeds(s)
    image_seeds(s)
    svg_seeds(s)
    rtf_seeds(s)
    text_seeds(s)
    audit_seeds(s)
    mime_seeds(s)
    external_seeds(s, Path(args.external))
    stored(s, targets)
    s.write(targets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
