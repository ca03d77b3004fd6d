#!/usr/bin/env python3
"""Generate the mail corpus under corpus/text/ and corpus/bad/.

Each case is written as corpus/<area>/<case>/input.eml and expect.json.
expected.txt files are never written here (run_corpus.py --bless does
that after review).  The output is deterministic: running this again
rewrites the same bytes, and `gen_cases.py --check` reports any committed
file that differs from what it would write.

The inputs imitate what real mailers send, byte for byte: Becky!,
Thunderbird, Outlook, Gmail, Apple Mail and Japanese mobile carriers, in
ISO-2022-JP (with the NEC and IBM extensions Windows writes), Shift_JIS
(CP932), EUC-JP and UTF-8.  Every generated text is decoded back with the
runner's independent decoder before it is written.

Python 3.11 standard library only.
"""

import argparse
import base64
import binascii
import email
import hashlib
import io
import json
import random
import struct
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_corpus as rc  # noqa: E402  (the decoders, for verification)

REPO = HERE.parents[1]
CORPUS = REPO / "corpus"

# ---------------------------------------------------------------------------
# Encoders.

ESC_JIS = b"\x1b$B"
ESC_ASCII = b"\x1b(B"
ESC_KANA = b"\x1b(I"

# CP932 encodes the IBM extensions (0xFA40..0xFC4B), which have no JIS
# row; Windows writes their NEC-selected copies (0xED40..0xEEFC, JIS rows
# 0x79..0x7C) in ISO-2022-JP.  Map each such character to that copy.
NEC_SELECTED = {}
for _s1 in (0xED, 0xEE):
    for _s2 in range(0x40, 0xFD):
        try:
            _c = bytes((_s1, _s2)).decode("cp932")
        except UnicodeDecodeError:
            continue
        NEC_SELECTED.setdefault(_c, bytes((_s1, _s2)))


def sjis_to_jis(s1, s2):
    """One Shift_JIS double-byte pair to its JIS X 0208 row/cell pair."""
    if s1 >= 0xE0:
        s1 -= 0x40
    row = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        row += 1
        col = s2 - 0x9F + 0x21
    else:
        col = s2 - 0x40 + 0x21 - (1 if s2 > 0x7F else 0)
    if not (0x21 <= row <= 0x7E and 0x21 <= col <= 0x7E):
        raise ValueError("no JIS code for SJIS %02X%02X" % (s1, s2))
    return bytes((row, col))


def iso2022jp(text, kana=False):
    """ISO-2022-JP as Outlook/Becky! write it (CP50220 style): CP932
    characters, including NEC row 13, converted to JIS pairs."""
    out = bytearray()
    mode = "ascii"

    def switch(m, esc):
        nonlocal mode
        if mode != m:
            out.extend(esc)
            mode = m

    for ch in text:
        if ch == "\n":
            switch("ascii", ESC_ASCII)
            out += b"\n"
            continue
        if ord(ch) < 0x80:
            switch("ascii", ESC_ASCII)
            out.append(ord(ch))
            continue
        sj = ch.encode("cp932")
        if len(sj) == 1:
            if not kana:
                raise ValueError("half-width katakana %r" % ch)
            switch("kana", ESC_KANA)
            out.append(sj[0] - 0x80)
            continue
        if sj[0] >= 0xF0:
            sj = NEC_SELECTED[ch]
        switch("jis", ESC_JIS)
        out += sjis_to_jis(sj[0], sj[1])
    switch("ascii", ESC_ASCII)
    return bytes(out)


def enc(text, charset):
    cs = charset.lower()
    if cs == "iso-2022-jp":
        data = iso2022jp(text)
    elif cs in ("shift_jis", "cp932"):
        data = text.encode("cp932")
    elif cs == "euc-jp":
        data = text.encode("euc_jp")
    else:
        data = text.encode(cs)
    back = rc.decode_charset(data, cs)
    if back != text:
        raise AssertionError("%s round trip failed: %r" % (charset, text))
    return data


def b64lines(data, width=76):
    s = base64.b64encode(data)
    return b"".join(s[i:i + width] + b"\n" for i in range(0, len(s), width))


def qp(data):
    return binascii.b2a_qp(data)


def ew_words(text, charset="UTF-8", limit=75):
    """RFC 2047 B words for `text`, each self-contained and at most
    `limit` characters long."""
    head = "=?%s?B?" % charset
    room = (limit - len(head) - 2) // 4 * 3
    words = []
    chunk = ""
    for ch in text:
        if len(enc(chunk + ch, charset)) > room and chunk:
            words.append(chunk)
            chunk = ""
        chunk += ch
    if chunk:
        words.append(chunk)
    return [head + base64.b64encode(enc(w, charset)).decode() + "?="
            for w in words]


def ew(text, charset="UTF-8", fold=True):
    """A header value of RFC 2047 words, folded one word per line."""
    return ("\n " if fold else " ").join(ew_words(text, charset))


def ew_q(text, charset):
    data = enc(text, charset)
    out = []
    for b in data:
        c = chr(b)
        if c.isalnum() and b < 0x80:
            out.append(c)
        elif c == " ":
            out.append("_")
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset, "".join(out))


ATTR_CHARS = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 b"0123456789!#$&+-.^_`|~")


def rfc2231(param, value, charset="UTF-8", lang="", per_line=None):
    """RFC 2231 parameter text, split into numbered continuations of at
    most `per_line` encoded characters, each on its own folded line."""
    data = enc(value, charset)
    toks = [chr(b) if b in ATTR_CHARS else "%%%02X" % b for b in data]
    if per_line is None:
        return "%s*=%s'%s'%s" % (param, charset, lang, "".join(toks))
    chunks = []
    cur = ""
    for t in toks:
        if len(cur) + len(t) > per_line and cur:
            chunks.append(cur)
            cur = ""
        cur += t
    chunks.append(cur)
    parts = []
    for i, c in enumerate(chunks):
        pre = "%s'%s'" % (charset, lang) if i == 0 else ""
        parts.append("%s*%d*=%s%s" % (param, i, pre, c))
    return ";\n ".join(parts)


def sha(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# Files to attach (deterministic bytes).

def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=(2024, 11, 1, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return buf.getvalue()


CT_XML = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          b'content-types"><Default Extension="xml" '
          b'ContentType="application/xml"/></Types>')


def xlsx_bytes(tag):
    return zip_bytes([
        ("[Content_Types].xml", CT_XML),
        ("xl/workbook.xml", b'<?xml version="1.0"?><workbook xmlns="http://'
         b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
         b'<sheet name="' + tag.encode() + b'" sheetId="1"/></sheets>'
         b'</workbook>'),
    ])


def docx_bytes(text):
    return zip_bytes([
        ("[Content_Types].xml", CT_XML),
        ("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="'
         b'http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
         b'<w:body><w:p><w:r><w:t>' + text.encode("utf-8") +
         b'</w:t></w:r></w:p></w:body></w:document>'),
    ])


def pdf_bytes(title):
    body = ("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog "
            "/Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
            "/Count 0 >>\nendobj\n3 0 obj\n<< /Title (%s) >>\nendobj\n"
            "trailer\n<< /Root 1 0 R /Info 3 0 R >>\n%%%%EOF\n" % title)
    return body.encode("latin-1")


def png_bytes(seed):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    w = h = 4
    raw = b"".join(b"\0" + bytes((seed * 37 + x * 11 + y * 5) & 0xFF
                                 for x in range(w * 3)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def exe_bytes():
    dos = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
                    b"\x00\x00\xb8" + b"\x00" * 43 + struct.pack("<I", 0x80))
    dos += b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    dos += b"This program cannot be run in DOS mode.\r\r\n$"
    dos += b"\x00" * (0x80 - len(dos))
    dos += b"PE\x00\x00\x4c\x01\x01\x00" + b"\x00" * 12 + \
        b"\xe0\x00\x02\x01" + b"\x0b\x01" + b"\x00" * 200
    return bytes(dos)


def tnef_bytes():
    # TNEF signature, legacy key, then one attAttachTitle attribute
    # (level 2, id 0x00018010) holding "memo.doc".
    title = b"memo.doc\x00"
    att = (b"\x02" + struct.pack("<I", 0x00018010) +
           struct.pack("<I", len(title)) + title +
           struct.pack("<H", sum(title) & 0xFFFF))
    return struct.pack("<IH", 0x223E9F78, 0x0001) + att


def rnd_bytes(seed, n):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def uuencode(name, data, mode="644"):
    out = ["begin %s %s" % (mode, name)]
    for i in range(0, len(data), 45):
        out.append(binascii.b2a_uu(data[i:i + 45], backtick=True)
                   .decode("ascii").rstrip("\n"))
    out.append("`")
    out.append("end")
    return "\n".join(out) + "\n"


HQX = ('!"#$%&\'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr')


def binhex4(name, data, ftype=b"WDBN", creator=b"MSWD"):
    """A BinHex 4.0 block (RFC 1741) with an empty resource fork."""
    def crc(b):
        return struct.pack(">H", binascii.crc_hqx(b, 0))
    nm = name.encode("mac_roman")
    hdr = (bytes((len(nm),)) + nm + b"\0" + ftype + creator + b"\0\0" +
           struct.pack(">II", len(data), 0))
    stream = hdr + crc(hdr) + data + crc(data) + crc(b"")
    stream = stream.replace(b"\x90", b"\x90\x00")  # RLE escape
    bits = "".join("{:08b}".format(b) for b in stream)
    bits += "0" * (-len(bits) % 6)
    chars = "".join(HQX[int(bits[i:i + 6], 2)]
                    for i in range(0, len(bits), 6))
    body = ":" + chars + ":"
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("(This file must be converted with BinHex 4.0)\n\n" +
            "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------
# Message assembly.  Everything is built with LF; crlf() converts.

def hdrs(*pairs):
    out = b""
    for name, value in pairs:
        if isinstance(value, str):
            value = value.encode("ascii")
        out += name.encode("ascii") + b": " + value + b"\n"
    return out


def entity(headers, body):
    return hdrs(*headers) + b"\n" + body


def multipart(boundary, parts, preamble=b"", epilogue=b""):
    b = boundary.encode("ascii")
    out = preamble
    for p in parts:
        # The line end before a delimiter belongs to the delimiter (RFC
        # 2046 5.1.1), so a body's own last line end is kept by adding one.
        out += b"--" + b + b"\n" + p + b"\n"
    return out + b"--" + b + b"--\n" + epilogue


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def att(filename, data, reason="attachment", **kw):
    d = {"filename": filename, "action": "removed", "reason": reason,
         "size": len(data), "sha256": sha(data)}
    d.update(kw)
    return d


def text_ja(charset, text):
    return enc(text, charset)


CASES = []


def case(area, name, description, data, **expect):
    e = {"description": description}
    e.update(expect)
    CASES.append((area, name, data, e))


RECV = ("Received", "from mx.example.co.jp (mx.example.co.jp [192.0.2.25])"
        "\n\tby mgw.city.example.lg.jp (Postfix) with ESMTPS id 4XyZ1k2m3n"
        "\n\tfor <johoseisaku@city.example.lg.jp>; Mon, 11 Nov 2024 "
        "10:15:31 +0900 (JST)")
TO_CITY = ("To", "johoseisaku@city.example.lg.jp")


def ja_name(name, addr, charset="ISO-2022-JP"):
    return "%s <%s>" % (ew(name, charset, fold=False), addr)


# ---------------------------------------------------------------------------
# text/: well-formed mail as Japanese senders produce it.

BODY_NEC = ("情報政策課\n髙橋 様\n\n"
            "いつもお世話になっております。㈱サンプル商事の山田です。\n"
            "① 見積書の件\n② 納期の件\n"
            "№12 の案件につき、第Ⅰ期の作業をご説明いたします。\n\n"
            "よろしくお願いいたします。\n"
            "--\n㈱サンプル商事 営業部 山田 太郎\n")


def gen_text():
    # (1) Becky! ISO-2022-JP with NEC/IBM extensions, Subject split
    # mid-character across two encoded words.
    subj = "①②㈱№Ⅰ髙橋様 打合せの件"
    raw = iso2022jp(subj)
    cut = len(ESC_JIS) + 2 * 3 + 1  # inside the 4th double-byte char
    w1 = base64.b64encode(raw[:cut]).decode()
    w2 = base64.b64encode(raw[cut:]).decode()
    msg = entity([
        ("Return-Path", "<yamada@example.co.jp>"), RECV,
        ("From", ja_name("山田 太郎", "yamada@example.co.jp")),
        ("To", ja_name("髙橋 様", "takahashi@city.example.lg.jp")),
        ("Subject", "=?ISO-2022-JP?B?%s?=\n =?ISO-2022-JP?B?%s?=" % (w1, w2)),
        ("Date", "Mon, 11 Nov 2024 10:15:30 +0900"),
        ("Message-Id", "<20241111101530.3F1C.6A4B7E2D@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="ISO-2022-JP"'),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.05 [ja]"),
    ], iso2022jp(BODY_NEC))
    case("text", "becky_iso2022jp_nec",
         "Becky! ISO-2022-JP mail with NEC row-13 (① ② ㈱ № Ⅰ) and "
         "NEC-selected IBM (髙) characters in body and Subject; the Subject "
         "is split over two encoded words in the middle of a character",
         msg, exit=0, disposition="clean",
         headers={"Subject": subj},
         body_contains=["①", "②", "㈱サンプル商事", "№12", "第Ⅰ期", "髙橋 様",
                        "いつもお世話になっております。"],
         bless=True)

    # (1b) Thunderbird ISO-2022-JP, format=flowed, proper encoded words,
    # In-Reply-To / References.
    body = ("山田様\n\nお世話になっております。情報政策課の佐藤です。\n"
            "ご連絡いただいた件、承知いたしました。来週の定例会で \n"
            "議題に追加いたします。\n\n> 先日の件ですが、\n"
            "> ご確認をお願いします。\n")
    msg = entity([
        RECV,
        ("Message-ID", "<7d3a9c52-4f1e-4b2a-9e61-0c5d2f8b1a47@example.jp>"),
        ("Date", "Tue, 12 Nov 2024 09:02:11 +0900"),
        ("MIME-Version", "1.0"),
        ("User-Agent", "Mozilla Thunderbird"),
        ("Subject", "Re: " + ew("定例会の議題について", "ISO-2022-JP")),
        ("Content-Language", "ja"),
        ("To", ja_name("山田 太郎", "yamada@example.co.jp")),
        ("References", "<20241111101530.3F1C.6A4B7E2D@example.co.jp>"),
        ("From", ja_name("佐藤 花子", "sato@example.jp")),
        ("In-Reply-To", "<20241111101530.3F1C.6A4B7E2D@example.co.jp>"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP; format=flowed; "
         "delsp=yes"),
        ("Content-Transfer-Encoding", "7bit"),
    ], iso2022jp(body))
    case("text", "thunderbird_iso2022jp_flowed",
         "Thunderbird reply in ISO-2022-JP, format=flowed with a soft "
         "line break, quoted text, In-Reply-To and References",
         msg, disposition="clean",
         headers={"Subject": "Re: 定例会の議題について"},
         body_contains=["情報政策課の佐藤です。", "> ご確認をお願いします。",
                        "議題に追加いたします。"],
         bless=True)

    # (2) Outlook 2016: ISO-2022-JP, multipart/alternative text+HTML and an
    # xlsx named with RFC 2047 inside quoted parameters.  CRLF as on SMTP.
    fname = "見積書①.xlsx"
    xlsx = xlsx_bytes("見積")
    text = ("髙橋様\n\n株式会社サンプル商事の山田です。\n"
            "ご依頼の見積書①を添付いたします。\nご査収ください。\n")
    html = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
            "<head><meta http-equiv=\"Content-Type\" content=\"text/html; "
            "charset=iso-2022-jp\"><style><!-- p.MsoNormal {margin:0mm;} "
            "--></style></head><body lang=\"JA\"><div class=\"WordSection1\">"
            "<p class=\"MsoNormal\">髙橋様<o:p></o:p></p>"
            "<p class=\"MsoNormal\">株式会社サンプル商事の山田です。<o:p></o:p>"
            "</p><p class=\"MsoNormal\">ご依頼の見積書①を添付いたします。"
            "<o:p></o:p></p></div></body></html>\n")
    fn_ew = ew(fname, "iso-2022-jp", fold=False)
    alt = multipart("_000_TYCPR01MB8846A1B2C3D4E5F6G7H8TYCPR01MB8846jpnp_", [
        entity([("Content-Type", 'text/plain; charset="iso-2022-jp"'),
                ("Content-Transfer-Encoding", "7bit")], iso2022jp(text)),
        entity([("Content-Type", 'text/html; charset="iso-2022-jp"'),
                ("Content-Transfer-Encoding", "quoted-printable")],
               qp(iso2022jp(html))),
    ])
    mixed = multipart("_004_TYCPR01MB8846A1B2C3D4E5F6G7H8TYCPR01MB8846jpnp_", [
        entity([("Content-Type", 'multipart/alternative;\n\tboundary='
                 '"_000_TYCPR01MB8846A1B2C3D4E5F6G7H8TYCPR01MB8846jpnp_"')],
               alt),
        entity([("Content-Type", 'application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.sheet;\n\tname="%s"' % fn_ew),
                ("Content-Description", fn_ew),
                ("Content-Disposition", 'attachment;\n\tfilename="%s";'
                 ' size=%d;\n\tcreation-date="Mon, 11 Nov 2024 01:10:02 GMT"'
                 ';\n\tmodification-date="Mon, 11 Nov 2024 01:10:02 GMT"'
                 % (fn_ew, len(xlsx))),
                ("Content-Transfer-Encoding", "base64")], b64lines(xlsx)),
    ])
    msg = entity([
        RECV,
        ("From", ja_name("山田 太郎", "yamada@example.co.jp", "iso-2022-jp")),
        ("To", ja_name("髙橋 様", "takahashi@city.example.lg.jp",
                       "iso-2022-jp")),
        ("Subject", ew("【見積書送付】庁内ネットワーク更改の件", "iso-2022-jp")),
        ("Thread-Topic", ew("【見積書送付】庁内ネットワーク更改の件",
                            "iso-2022-jp")),
        ("Thread-Index", "AdsztC1mJ3RNw3h8TkKx3b2P8kqZ5A=="),
        ("Date", "Mon, 11 Nov 2024 01:12:44 +0000"),
        ("Message-ID", "<TYCPR01MB8846A1B2C3D4E5F6G7H8@TYCPR01MB8846.jpnprd01"
         ".prod.outlook.com>"),
        ("Accept-Language", "ja-JP, en-US"),
        ("Content-Language", "ja-JP"),
        ("X-MS-Has-Attach", "yes"),
        ("X-MS-TNEF-Correlator", ""),
        ("Content-Type", 'multipart/mixed;\n\tboundary='
         '"_004_TYCPR01MB8846A1B2C3D4E5F6G7H8TYCPR01MB8846jpnp_"'),
        ("MIME-Version", "1.0"),
    ], mixed)
    case("text", "outlook_iso2022jp_rfc2047_quoted_filename",
         "Outlook 2016: ISO-2022-JP text+HTML alternative and an xlsx whose "
         "name is an RFC 2047 word inside a quoted filename= (with ① from "
         "NEC row 13); CRLF line ends",
         crlf(msg), disposition="sanitized", original_kept=True,
         parts=[att(fname, xlsx)],
         headers={"Subject": "【見積書送付】庁内ネットワーク更改の件"},
         body_contains=["株式会社サンプル商事の山田です。", "見積書①を添付",
                        "見積書①.xlsx", "添付ファイル（テキスト化のため削除）"],
         body_not_contains=["MsoNormal", "<o:p>", "UEsDB"],
         bless=True)

    # (3) unquoted name==?Shift_JIS?B?...?= (old Outlook Express style).
    fname = "請求書（②月分）.pdf"
    pdf = pdf_bytes("seikyu")
    sj = base64.b64encode(fname.encode("cp932")).decode()
    text = "経理ご担当者様\n\n請求書（②月分）を送付します。\n"
    msg = entity([
        ("From", "keiri@example.co.jp"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "請求書送付のご案内".encode("cp932")).decode()),
        ("Date", "Wed, 13 Nov 2024 16:40:00 +0900"),
        ("Message-ID", "<000801db35a1$4c2b8e60$e482ab20$@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed;\n\tboundary="----=_NextPart_000_'
         '0009_01DB35EC.BC13E560"'),
        ("X-Mailer", "Microsoft Outlook Express 6.00.2900.5931"),
    ], multipart("----=_NextPart_000_0009_01DB35EC.BC13E560", [
        entity([("Content-Type", 'text/plain;\n\tcharset="shift_jis"'),
                ("Content-Transfer-Encoding", "8bit")],
               text.encode("cp932")),
        entity([("Content-Type", "application/pdf;\n\tname==?Shift_JIS?B?%s?="
                 % sj),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition",
                 "attachment;\n\tfilename==?Shift_JIS?B?%s?=" % sj)],
               b64lines(pdf)),
    ], preamble=b"This is a multi-part message in MIME format.\n\n"))
    case("text", "oe_sjis_unquoted_rfc2047_name",
         "Outlook Express style: Shift_JIS (CP932, with ②) text and a PDF "
         "whose name is an unquoted name==?Shift_JIS?B?...?= parameter",
         crlf(msg), disposition="sanitized",
         parts=[att(fname, pdf)],
         headers={"Subject": "請求書送付のご案内"},
         body_contains=["請求書（②月分）を送付します。", fname],
         body_not_contains=["JVBERi0"], bless=True)

    # (4a) Thunderbird RFC 2231 continuations, UTF-8.
    fname = "令和6年度_第3回_情報セキュリティ委員会_議事録（案）.pdf"
    pdf = pdf_bytes("gijiroku")
    text = "各位\n\n第3回委員会の議事録（案）を送付します。\nご確認ください。\n"
    msg = entity([
        ("Content-Type", 'multipart/mixed; boundary="------------'
         'MbG2hk3Z0xQ7vYpLr4aW9eTs"'),
        ("Message-ID", "<a1c7e0f2-6b3d-4d59-8f1e-2c4b6a8d0e13@example.jp>"),
        ("Date", "Thu, 14 Nov 2024 11:20:05 +0900"),
        ("MIME-Version", "1.0"),
        ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Language", "ja"),
        ("To", "iinkai@city.example.lg.jp"),
        ("From", "%s <sato@example.jp>" % ew("佐藤 花子", fold=False)),
        ("Subject", ew("第3回委員会 議事録（案）")),
    ], multipart("------------MbG2hk3Z0xQ7vYpLr4aW9eTs", [
        entity([("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
                ("Content-Transfer-Encoding", "8bit")],
               text.encode("utf-8")),
        entity([("Content-Type", 'application/pdf;\n name="%s"'
                 % ew(fname, fold=False)),
                ("Content-Disposition", "attachment;\n " +
                 rfc2231("filename", fname, "UTF-8", per_line=60)),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ], preamble=b"This is a multi-part message in MIME format.\n"))
    case("text", "thunderbird_rfc2231_utf8",
         "Thunderbird: a long UTF-8 file name in RFC 2231 continuations "
         "filename*0*= filename*1*= ... (and an RFC 2047 name= in "
         "Content-Type)", msg, disposition="sanitized",
         parts=[att(fname, pdf)],
         body_contains=["議事録（案）を送付します。", fname],
         body_not_contains=["JVBERi0"], bless=True)

    # (4b) RFC 2231 in ISO-2022-JP, continuation splitting the JIS run;
    # no name in Content-Type.
    fname = "資料①_説明会用.docx"
    docx = docx_bytes("説明会資料")
    text = "説明会の資料をお送りします。\n"
    msg = entity([
        ("From", ja_name("鈴木 一郎", "suzuki@example.ne.jp")), TO_CITY,
        ("Subject", ew("説明会資料", "ISO-2022-JP")),
        ("Date", "Thu, 14 Nov 2024 13:00:00 +0900"),
        ("Message-Id", "<20241114130000.52E8.1D3C5A7F@example.ne.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="------_673581E0A1B2C3D4'
         '_MULTIPART_MIXED_"'),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.05 [ja]"),
    ], multipart("------_673581E0A1B2C3D4_MULTIPART_MIXED_", [
        entity([("Content-Type", 'text/plain; charset="ISO-2022-JP"'),
                ("Content-Transfer-Encoding", "7bit")], iso2022jp(text)),
        entity([("Content-Type", "application/vnd.openxmlformats-"
                 "officedocument.wordprocessingml.document"),
                ("Content-Disposition", "attachment;\n " +
                 rfc2231("filename", fname, "ISO-2022-JP", "ja",
                         per_line=30)),
                ("Content-Transfer-Encoding", "base64")], b64lines(docx)),
    ]))
    case("text", "rfc2231_iso2022jp_continuations",
         "RFC 2231 filename*0*=ISO-2022-JP'ja'... continuations that cut the "
         "JIS escape run between sections; the name has ① (NEC row 13)",
         msg, disposition="sanitized", parts=[att(fname, docx)],
         body_contains=["説明会の資料をお送りします。", fname], bless=True)

    # (5) Shift_JIS body with CP932-only characters.
    text = ("総務課 御中\n\n"
            "① 受付期間：12月1日～12月15日\n"
            "② 対象－全職員\n"
            "③ 提出先：総務課（内線１２３）\n\n"
            "以上、よろしくお願いいたします。\n")
    msg = entity([
        ("From", "soumu@example.co.jp"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "年末調整のお知らせ①".encode("cp932")).decode()),
        ("Date", "Fri, 15 Nov 2024 08:30:00 +0900"),
        ("Message-ID", "<20241115083000.0001@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("cp932"))
    case("text", "sjis_body_cp932_chars",
         "charset=Shift_JIS body in 8bit with CP932-only characters (① ～ "
         "－, fullwidth digits): read as CP932, ～ is U+FF5E, － U+FF0D",
         msg, disposition="clean",
         headers={"Subject": "年末調整のお知らせ①"},
         body_contains=["① 受付期間：12月1日～12月15日", "② 対象－全職員",
                        "内線１２３"], bless=True)

    # (6) EUC-JP body (Unix mailer: Wanderlust/Mew).
    text = ("開発チームの皆様\n\nサーバ移行の手順書を更新しました。\n"
            "詳細は共有フォルダを参照してください。\n")
    msg = entity([
        ("From", "%s <tanaka@example.ac.jp>" % ew("田中 誠", "EUC-JP",
                                                    fold=False)),
        ("To", "dev@city.example.lg.jp"),
        ("Subject", ew("サーバ移行手順書の更新", "EUC-JP")),
        ("Date", "Fri, 15 Nov 2024 19:45:12 +0900"),
        ("Message-ID", "<87a5b3c7d9.fsf@example.ac.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=EUC-JP"),
        ("Content-Transfer-Encoding", "8bit"),
        ("User-Agent",
         "Wanderlust/2.15.9 (Almost Unreal) Emacs/28.2 Mule/6.0"),
    ], enc(text, "euc-jp"))
    case("text", "eucjp_body", "EUC-JP 8bit body and EUC-JP encoded words "
         "(Wanderlust)", msg, disposition="clean",
         headers={"Subject": "サーバ移行手順書の更新"},
         body_contains=["サーバ移行の手順書を更新しました。"], bless=True)

    # (7) UTF-8 8bit (Apple Mail) with astral characters.
    text = ("吉野さん\n\n𠮷野家の件、了解です😀\n"
            "資料は明日送ります。\n\niPhoneから送信\n")
    msg = entity([
        ("From", "%s <kimura@example.com>" % ew("木村 𠮷", fold=False)),
        ("Content-Type", "text/plain;\n\tcharset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Mime-Version", "1.0 (1.0)"),
        ("Date", "Sat, 16 Nov 2024 21:03:44 +0900"),
        ("Subject", ew("Re: 𠮷野家の件😀")),
        ("Message-Id", "<5B9E2C1A-7F3D-4E8B-A6C2-1D0F9E8B7A65@example.com>"),
        ("To", "yoshino@city.example.lg.jp"),
        ("X-Mailer", "iPhone Mail (21H16)"),
    ], text.encode("utf-8"))
    case("text", "utf8_8bit_apple", "Apple Mail (iPhone) UTF-8 8bit with "
         "astral characters (𠮷, emoji) in body, From and Subject",
         msg, disposition="clean",
         headers={"Subject": "Re: 𠮷野家の件😀"},
         body_contains=["𠮷野家の件、了解です😀", "iPhoneから送信"],
         bless=True)

    # (8) Gmail multipart/alternative, both base64 UTF-8: text chosen.
    text = ("高橋様\n\nお世話になっております。\n"
            "テキスト版の本文です。打合せは11月20日でお願いします。\n")
    html = ('<div dir="ltr">高橋様<div><br></div><div>お世話になっております。'
            '</div><div>HTML_ONLY_MARKER 打合せは<b>11月20日</b>でお願いします。'
            '</div></div>\n')
    bnd = "000000000000a3f1c20627e8b4d5"
    msg = entity([
        ("MIME-Version", "1.0"),
        ("From", "%s <ichiro.k@example.com>" % ew("小林 一郎", fold=False)),
        ("Date", "Sun, 17 Nov 2024 10:00:01 +0900"),
        ("Message-ID", "<CAF3kZq2b7Vd9xWm1P0s4LnE8rT6uY5hJ3gC2aB1dQ0eZ"
         "9wXk4A@mail.gmail.com>"),
        ("Subject", ew("打合せ日程")),
        ("To", "takahashi@city.example.lg.jp"),
        ("Content-Type", 'multipart/alternative; boundary="%s"' % bnd),
    ], multipart(bnd, [
        entity([("Content-Type", 'text/plain; charset="UTF-8"'),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(text.encode("utf-8"))),
        entity([("Content-Type", 'text/html; charset="UTF-8"'),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(html.encode("utf-8"))),
    ], epilogue=b""))
    case("text", "gmail_alternative_text_chosen",
         "Gmail multipart/alternative, text/plain and text/html both base64 "
         "UTF-8: the text alternative is delivered, the HTML one is not",
         msg, disposition=["clean", "sanitized"],
         parts=[{"declared_type": "text/html", "reason": "alternative"}],
         body_contains=["テキスト版の本文です。"],
         body_not_contains=["HTML_ONLY_MARKER", "<div"], bless=True)

    # (9) HTML only.
    html = """<html><head><meta charset="utf-8"><title>お知らせ</title>
<style>.secret { color: red } /* STYLE_SECRET_9f3 */</style>
<script type="text/javascript">var token = "SCRIPT_SECRET_7c1";
document.write("x");</script>
</head><body>
<h1>令和6年度 説明会のご案内</h1>
<p>平素より大変お世話になっております。&nbsp;下記のとおり説明会を開催します。</p>
<table border="1">
<tr><th>日時</th><td>12月5日（木）14:00～16:00</td></tr>
<tr><th>会場</th><td>本庁舎&nbsp;3階&nbsp;大会議室</td></tr>
</table>
<ul><li>資料の事前配布はありません</li><li>駐車場は台数に限りがあります</li></ul>
<p>詳細は<a href="https://www.example.lg.jp/info/setsumeikai.html">市ホームページ</a>をご覧ください。</p>
<p><img src="https://tracker.example.com/pixel.gif?u=123" alt="会社ロゴ" width="1" height="1"></p>
<div style="display:none">HIDDEN_SECRET_4d2 隠しテキスト</div>
<p hidden>HIDDEN_ATTR_SECRET_5e3</p>
<p>お問い合わせ &lt;総務課&gt; &amp; 情報政策課</p>
</body></html>
"""
    msg = entity([
        ("From", "%s <info@example.lg.jp>" % ew("市役所 広報", fold=False)),
        ("To", "johoseisaku@city.example.lg.jp"),
        ("Subject", ew("説明会のご案内")),
        ("Date", "Mon, 18 Nov 2024 09:00:00 +0900"),
        ("Message-ID", "<newsletter.20241118.0001@example.lg.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], qp(html.encode("utf-8")))
    case("text", "html_only_rendered",
         "HTML-only mail (quoted-printable UTF-8) with a table, a list, a "
         "link, script, style, a display:none div, a hidden paragraph, an "
         "img with alt text and entities: rendered to text, link listed",
         msg, disposition="clean",
         parts=[{"declared_type": "text/html", "action": "converted"}],
         body_contains=["令和6年度 説明会のご案内", "12月5日（木）14:00～16:00",
                        "大会議室", "資料の事前配布はありません", "市ホームページ",
                        "[1] https://www.example.lg.jp/info/setsumeikai.html",
                        "会社ロゴ", "<総務課> & 情報政策課"],
         body_not_contains=["SCRIPT_SECRET", "STYLE_SECRET", "HIDDEN_SECRET",
                            "HIDDEN_ATTR_SECRET", "<script", "<table", "<p>",
                            "&nbsp;", "&amp;", "document.write",
                            "tracker.example.com"], bless=True)

    # (10) alternative with an empty text/plain.
    html = ("<html><body><p>この度は会員登録ありがとうございます。</p>"
            "<p>ご登録内容は<a href=\"https://shop.example.com/mypage\">"
            "マイページ</a>でご確認いただけます。</p></body></html>\n")
    bnd = "----=_Part_1234567_890123456.1731900000000"
    msg = entity([
        ("From", "noreply@shop.example.com"), TO_CITY,
        ("Subject", ew("【会員登録完了】のお知らせ")),
        ("Date", "Mon, 18 Nov 2024 12:00:00 +0900"),
        ("Message-ID", "<1234567.890123.1731900000000@shop.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/alternative; \n\tboundary="%s"' % bnd),
    ], multipart(bnd, [
        entity([("Content-Type", "text/plain; charset=UTF-8"),
                ("Content-Transfer-Encoding", "7bit")], b"\n"),
        entity([("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(html.encode("utf-8"))),
    ]))
    case("text", "alternative_empty_text_uses_html",
         "multipart/alternative whose text/plain is empty (a marketing "
         "mailer): the rendered HTML is delivered instead",
         msg, disposition=["clean", "sanitized"],
         body_contains=["会員登録ありがとうございます。", "マイページ",
                        "https://shop.example.com/mypage"],
         body_not_contains=["<p>"], bless=True)

    # (11) multipart/related with an inline cid: image.
    png = png_bytes(1)
    cid = "image001.png@01DB3A1B.5E6F7A80"
    html = ("<html><body><p>会場までの地図です。</p>"
            "<p><img src=\"cid:%s\" alt=\"案内図\" width=\"400\"></p>"
            "<p>最寄り駅から徒歩5分です。</p></body></html>\n" % cid)
    msg = entity([
        ("From", "kikaku@example.co.jp"), TO_CITY,
        ("Subject", ew("会場案内図")),
        ("Date", "Tue, 19 Nov 2024 14:30:00 +0900"),
        ("Message-ID", "<OS3PR01MB6789ABCDEF0123456789@OS3PR01MB6789.jpnprd01"
         ".prod.outlook.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/related;\n\tboundary="_005_OS3PR01MB6789'
         '_";\n\ttype="text/html"'),
    ], multipart("_005_OS3PR01MB6789_", [
        entity([("Content-Type", 'text/html; charset="utf-8"'),
                ("Content-Transfer-Encoding", "quoted-printable")],
               qp(html.encode("utf-8"))),
        entity([("Content-Type", 'image/png; name="image001.png"'),
                ("Content-Description", "image001.png"),
                ("Content-Disposition", 'inline; filename="image001.png"; '
                 'size=%d' % len(png)),
                ("Content-ID", "<%s>" % cid),
                ("Content-Transfer-Encoding", "base64")], b64lines(png)),
    ]))
    case("text", "related_inline_cid_image",
         "multipart/related HTML with an inline cid: PNG (Outlook): the "
         "image is removed and listed, its alt text stays in the text",
         msg, disposition="sanitized",
         parts=[att("image001.png", png, reason=["inline_image",
                                                 "attachment"])],
         body_contains=["会場までの地図です。", "案内図", "徒歩5分"],
         body_not_contains=["cid:", "iVBORw0"], bless=True)

    # (12a) docomo: Shift_JIS 8bit, carrier emoji (user-defined area) and
    # half-width katakana.
    text = "明日の集合は9時です。".encode("cp932") + b"\xf8\x9f" + \
        "\nｶｻﾞｷﾘ ﾖﾛｼｸｵﾈｶﾞｲｼﾏｽ\n".encode("cp932")
    msg = entity([
        ("Return-Path", "<taro-k.0123@docomo.example.ne.jp>"),
        ("From", "taro-k.0123@docomo.example.ne.jp"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "集合時間".encode("cp932")).decode()),
        ("Date", "Wed, 20 Nov 2024 22:15:00 +0900"),
        ("Message-ID", "<0a1b2c3d4e5f6a7b.taro-k.0123@docomo.example.ne.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text)
    case("text", "docomo_sjis_8bit_emoji",
         "docomo-style mobile mail: Shift_JIS 8bit with a carrier emoji in "
         "the user-defined area (F89F) and half-width katakana",
         crlf(msg), disposition="clean",
         headers={"Subject": "集合時間"},
         body_contains=["明日の集合は9時です。", "ｶｻﾞｷﾘ ﾖﾛｼｸｵﾈｶﾞｲｼﾏｽ"],
         bless=True)

    # (12b) SoftBank: Shift_JIS quoted-printable.
    text = "了解しました。\n駅前のカフェで待っています。\n".encode("cp932")
    msg = entity([
        ("From", "hanako.s@softbank.example.ne.jp"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "Re: 待ち合わせ".encode("cp932")).decode()),
        ("Date", "Wed, 20 Nov 2024 22:20:00 +0900"),
        ("Message-ID", "<20241120222000.ABCD1234@softbank.example.ne.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=Shift_JIS"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], qp(text))
    case("text", "softbank_sjis_qp",
         "SoftBank-style mobile mail: Shift_JIS body in quoted-printable",
         msg, disposition="clean",
         body_contains=["駅前のカフェで待っています。"], bless=True)

    # (12c) no charset at all on a Shift_JIS 8bit body (mobile web mail).
    text = ("お疲れ様です。\n本日の会議資料を確認しました。\n"
            "修正点は特にありませんので、このまま配布をお願いします。\n"
            "明日は直行しますので、よろしくお願いいたします。\n")
    msg = entity([
        ("From", "jiro.m@au.example.ne.jp"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "会議資料確認".encode("cp932")).decode()),
        ("Date", "Thu, 21 Nov 2024 07:45:00 +0900"),
        ("Message-ID", "<1732142700.0012@au.example.ne.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("cp932"))
    case("text", "mobile_sjis_no_charset",
         "mobile mail with Content-Type text/plain and no charset over a "
         "Shift_JIS 8bit body: the charset is detected",
         msg, disposition="clean",
         body_contains=["本日の会議資料を確認しました。", "直行します"],
         bless=True)

    # (13) no Content-Type, no MIME-Version, ISO-2022-JP body.
    text = ("各位\n\n来週月曜のメンテナンスにより、メールサーバを停止します。\n"
            "停止時間：午前2時から午前5時まで\n")
    msg = entity([
        ("From", "admin@example.ac.jp"), ("To", "all@city.example.lg.jp"),
        ("Subject", ew("メンテナンスのお知らせ", "ISO-2022-JP")),
        ("Date", "Thu, 21 Nov 2024 17:00:00 +0900"),
        ("Message-Id", "<200411211700.RAA01234@mail.example.ac.jp>"),
    ], iso2022jp(text))
    case("text", "no_mime_headers_iso2022jp",
         "old Unix mail with no MIME-Version and no Content-Type over an "
         "ISO-2022-JP body: the escape sequences identify the charset",
         msg, disposition="clean",
         body_contains=["メールサーバを停止します。", "午前2時から午前5時まで"],
         bless=True)

    # (14a) declared us-ascii, body UTF-8.
    text = "お世話になっております。\n請求書の件、承知しました。\n"
    msg = entity([
        ("From", "ito@example.com"), TO_CITY,
        ("Subject", "invoice"),
        ("Date", "Fri, 22 Nov 2024 10:00:00 +0900"),
        ("Message-ID", "<wrongcs1.20241122@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Content-Transfer-Encoding", "7bit"),
    ], text.encode("utf-8"))
    case("text", "wrong_charset_usascii_utf8",
         "declared charset=us-ascii and 7bit, body is UTF-8: the text "
         "arrives readable", msg,
         body_contains=["請求書の件、承知しました。"], bless=True)

    # (14b) declared iso-8859-1, body Shift_JIS.
    text = ("ご担当者様\n\n先日の打合せ資料を再送いたします。\n"
            "ご確認のほどよろしくお願いいたします。\n")
    msg = entity([
        ("From", "kato@example.co.jp"), TO_CITY,
        ("Subject", "resend"),
        ("Date", "Fri, 22 Nov 2024 10:05:00 +0900"),
        ("Message-ID", "<wrongcs2.20241122@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=iso-8859-1"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("cp932"))
    case("text", "wrong_charset_latin1_sjis",
         "declared charset=iso-8859-1, body is Shift_JIS: the text arrives "
         "as Japanese, not as Latin-1 mojibake", msg,
         body_contains=["先日の打合せ資料を再送いたします。"], bless=True)

    # (15a) quoted-printable with soft breaks inside UTF-8 sequences and
    # bad escapes.
    s = "お世話になっております。".encode("utf-8")
    qpline = "".join("=%02X" % b for b in s)
    # break after 16 escapes (in the middle of the 6th character's bytes)
    body = (qpline[:48] + "=\n" + qpline[48:] + "\n" +
            "=E5=90=88=E8=A8=88=E9=87=91=E9=A1=8D=EF=BC=9A 10,000=E5=86=86 "
            "(100=25 =ZZ =4 end)\n"
            "=E4=BB=A5=E4=B8=8A=E3=81=A7=E3=81=99=E3=80=82=\n").encode("ascii")
    msg = entity([
        ("From", "billing@example.com"), TO_CITY,
        ("Subject", ew("ご請求金額のお知らせ")),
        ("Date", "Sat, 23 Nov 2024 09:00:00 +0900"),
        ("Message-ID", "<qp.20241123@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], body)
    case("text", "qp_soft_breaks_bad_escapes",
         "quoted-printable UTF-8 with a soft line break inside a multibyte "
         "sequence and malformed escapes (=ZZ, =4): decoded leniently",
         msg,
         body_contains=["お世話になっております。", "合計金額：", "10,000円",
                        "100%", "以上です。"], bless=True)

    # (15b) base64 with junk characters and no padding.
    text = "資料を送付します。ご確認ください。\nAB\n".encode("utf-8")
    assert len(text) % 3 != 0
    b = base64.b64encode(text).decode().rstrip("=")
    junk = b[:20] + "!!" + b[20:40] + "*\t" + b[40:60] + "\n" + b[60:]
    msg = entity([
        ("From", "nakamura@example.com"), TO_CITY,
        ("Subject", ew("資料送付")),
        ("Date", "Sat, 23 Nov 2024 09:30:00 +0900"),
        ("Message-ID", "<b64junk.20241123@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], junk.encode("ascii") + b"\n")
    case("text", "base64_junk_no_padding",
         "base64 text body with characters outside the alphabet and no "
         "final padding: decoded leniently, the text arrives", msg,
         body_contains=["資料を送付します。ご確認ください。"], bless=True)

    # (16) uuencoded file inside the text.
    zdata = zip_bytes([("report.txt", "月次報告\n".encode("utf-8") * 20)])
    uu = uuencode("report.zip", zdata)
    text = ("お疲れ様です。\n月次報告を uuencode で送ります。\n\n" + uu +
            "\n解凍して確認してください。\n")
    first_uu = uu.split("\n")[1]
    msg = entity([
        ("From", "old-system@example.ac.jp"), TO_CITY,
        ("Subject", ew("月次報告", "ISO-2022-JP")),
        ("Date", "Sun, 24 Nov 2024 08:00:00 +0900"),
        ("Message-Id", "<200411240800.IAA05678@example.ac.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], iso2022jp(text))
    case("text", "uuencoded_in_text",
         "a uuencoded zip inside an ISO-2022-JP text body: the block is cut "
         "out and listed, the text around it is kept", msg,
         disposition="sanitized",
         parts=[att("report.zip", zdata, reason="uuencoded")],
         body_contains=["月次報告を uuencode で送ります。",
                        "解凍して確認してください。", "report.zip"],
         body_not_contains=["begin 644", first_uu],
         body_order=["月次報告を uuencode で送ります。",
                     "解凍して確認してください。"], bless=True)

    # (17) BinHex 4.0 block inside the text.
    fork = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + \
        b"Proposal draft \x90\x90 v2\r" * 4
    hqx = binhex4("Proposal.doc", fork)
    hqx_line = hqx.split("\n")[2]
    text = ("Hello,\n\nthe proposal is attached in BinHex.\n\n" + hqx +
            "\nBest regards,\nKen\n")
    msg = entity([
        ("From", "Ken Ito <ken@example.org>"), TO_CITY,
        ("Subject", "Proposal (BinHex)"),
        ("Date", "Sun, 24 Nov 2024 09:00:00 -0800"),
        ("Message-Id", "<v04210100b1234567@[192.0.2.7]>"),
        ("Mime-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="us-ascii"'),
        ("X-Mailer", "Eudora 4.3.2"),
    ], text.encode("ascii"))
    case("text", "binhex_in_text",
         "a BinHex 4.0 block (Eudora) inside a text body: cut out and listed "
         "with its name and data fork", msg, disposition="sanitized",
         parts=[att("Proposal.doc", fork, reason="binhex")],
         body_contains=["the proposal is attached in BinHex.",
                        "Best regards,", "Proposal.doc"],
         body_not_contains=[hqx_line], bless=True)

    # (18) forwarded message/rfc822 with its own attachment.
    inner_pdf = pdf_bytes("keiyaku")
    inner_name = "契約書ドラフト_v2.pdf"
    inner = entity([
        ("From", ja_name("佐藤 次郎", "sato.jiro@example.com")),
        ("To", ja_name("山田 太郎", "yamada@example.co.jp")),
        ("Subject", ew("【ご確認】契約書ドラフト", "ISO-2022-JP")),
        ("Date", "Fri, 22 Nov 2024 15:00:00 +0900"),
        ("Message-ID", "<inner.20241122150000@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="inner-bnd-77"'),
    ], multipart("inner-bnd-77", [
        entity([("Content-Type", "text/plain; charset=ISO-2022-JP"),
                ("Content-Transfer-Encoding", "7bit")],
               iso2022jp("山田様\n\n契約書のドラフトを添付します。\n")),
        entity([("Content-Type", 'application/pdf; name="%s"'
                 % ew(inner_name, "ISO-2022-JP", fold=False)),
                ("Content-Disposition", 'attachment; filename="%s"'
                 % ew(inner_name, "ISO-2022-JP", fold=False)),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(inner_pdf)),
    ]))
    msg = entity([
        ("Content-Type", 'multipart/mixed; boundary="------------'
         'fwd0Q2w3E4r5T6y7U8i9"'),
        ("Message-ID", "<f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0@example.co.jp>"),
        ("Date", "Mon, 25 Nov 2024 09:10:00 +0900"),
        ("MIME-Version", "1.0"),
        ("User-Agent", "Mozilla Thunderbird"),
        ("To", "houmu@city.example.lg.jp"),
        ("From", "%s <yamada@example.co.jp>" % ew("山田 太郎", fold=False)),
        ("Subject", ew("Fwd: 【ご確認】契約書ドラフト")),
    ], multipart("------------fwd0Q2w3E4r5T6y7U8i9", [
        entity([("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
                ("Content-Transfer-Encoding", "8bit")],
               "法務ご担当者様\n\n下記のメールを転送します。\n".encode("utf-8")),
        entity([("Content-Type", 'message/rfc822; charset=UTF-8; name="%s"'
                 % ew("【ご確認】契約書ドラフト.eml", fold=False)),
                ("Content-Disposition", "attachment;\n " + rfc2231(
                    "filename", "【ご確認】契約書ドラフト.eml", per_line=60))],
               inner),
    ]))
    case("text", "forwarded_rfc822_with_attachment",
         "Thunderbird forward-as-attachment: message/rfc822 whose inner "
         "multipart has its own PDF; rendered as a quoted block with From, "
         "Subject and text, the inner PDF removed and listed", msg,
         disposition="sanitized",
         parts=[att(inner_name, inner_pdf,
                    reason="embedded_message_attachment")],
         body_contains=["下記のメールを転送します。", "sato.jiro@example.com",
                        "【ご確認】契約書ドラフト", "契約書のドラフトを添付します。",
                        inner_name],
         body_not_contains=["JVBERi0", "GyRC"],
         body_order=["下記のメールを転送します。", "契約書のドラフトを添付します。"],
         bless=True)

    # (19) several attachments, one an executable named .pdf.
    pdf = pdf_bytes("shiryo")
    zdata = zip_bytes([("data.csv", "id,name\n1,テスト\n".encode("utf-8"))])
    docx = docx_bytes("報告書")
    exe = exe_bytes()
    files = [("資料.pdf", "application/pdf", pdf),
             ("データ一式.zip", "application/x-zip-compressed", zdata),
             ("報告書.docx", "application/vnd.openxmlformats-officedocument."
              "wordprocessingml.document", docx),
             ("議事録.txt", "application/octet-stream",
              "第3回 定例会 議事録\n".encode("utf-8"))]
    parts = [entity([("Content-Type", 'text/plain; charset="utf-8"'),
                     ("Content-Transfer-Encoding", "base64")],
                    b64lines("関係資料一式を添付します。\n".encode("utf-8")))]
    for fn, ct, data in files:
        w = ew(fn, "utf-8", fold=False)
        parts.append(entity([
            ("Content-Type", '%s; name="%s"' % (ct, w)),
            ("Content-Description", w),
            ("Content-Disposition", 'attachment; filename="%s"; size=%d;\n'
             '\tcreation-date="Tue, 26 Nov 2024 00:01:02 GMT";\n'
             '\tmodification-date="Tue, 26 Nov 2024 00:01:02 GMT"'
             % (w, len(data))),
            ("Content-Transfer-Encoding", "base64")], b64lines(data)))
    msg = entity([
        ("From", "%s <ogawa@example.co.jp>" % ew("小川 健", fold=False)),
        TO_CITY,
        ("Subject", ew("関係資料一式")),
        ("Date", "Tue, 26 Nov 2024 09:05:00 +0900"),
        ("Message-ID", "<TY3PR01MB11223344556677889900@TY3PR01MB1122.jpnprd01"
         ".prod.outlook.com>"),
        ("Content-Language", "ja-JP"),
        ("X-MS-Has-Attach", "yes"),
        ("Content-Type", 'multipart/mixed;\n\tboundary="_006_TY3PR01MB1122_"'),
        ("MIME-Version", "1.0"),
    ], multipart("_006_TY3PR01MB1122_", parts))
    case("text", "outlook365_several_attachments",
         "Outlook 365 UTF-8 mail with four attachments: PDF, zip, docx and "
         "a text file declared application/octet-stream; all removed and "
         "listed (an executable disguised as a PDF is corpus/scan/"
         "exe_named_pdf)", crlf(msg), disposition="sanitized",
         parts=[att(fn, data) for fn, _, data in files],
         body_contains=["関係資料一式を添付します。"] +
         [fn for fn, _, _ in files], bless=True)

    # (20a) bidi override in a file name.
    exe = exe_bytes()
    fname = "請求書\u202excod.exe"
    msg = entity([
        ("From", "billing@invoice.example.net"), TO_CITY,
        ("Subject", ew("請求書送付")),
        ("Date", "Wed, 27 Nov 2024 03:14:15 +0900"),
        ("Message-ID", "<rlo.20241127031415@invoice.example.net>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="rlo-boundary"'),
    ], multipart("rlo-boundary", [
        entity([("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit")],
               "請求書を添付します。\n".encode("utf-8")),
        entity([("Content-Type", 'application/octet-stream; name="%s"'
                 % ew(fname, fold=False)),
                ("Content-Disposition", "attachment; " +
                 rfc2231("filename", fname)),
                ("Content-Transfer-Encoding", "base64")], b64lines(exe)),
    ]))
    case("text", "bidi_override_filename",
         "an attachment named 請求書<U+202E>xcod.exe (shows as 請求書exe.docx): "
         "a disguise, so the message is held; the notice shows the override "
         "escaped as \\u{202E}", msg,
         disposition="quarantined",
         parts=[att(fname, exe, reason="bidi_name")],
         body_contains=["請求書\\u{202E}xcod.exe"],
         body_not_contains=["\u202e"], bless=True)

    # (20b) CR, LF and ESC in file names.
    pdf = pdf_bytes("x")
    txt = b"harmless\n"
    fn1 = "invoice\r\nX-Mugaika: clean\x1b[2J.pdf"
    fn2 = "memo\r\nBcc: attacker@evil.example.txt"
    msg = entity([
        ("From", "billing@invoice.example.net"), TO_CITY,
        ("Subject", "Invoice"),
        ("Date", "Wed, 27 Nov 2024 03:20:00 +0900"),
        ("Message-ID", "<crlf.20241127032000@invoice.example.net>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="crlf-boundary"'),
    ], multipart("crlf-boundary", [
        entity([("Content-Type", "text/plain; charset=us-ascii")],
               b"Please see the attachments.\n"),
        entity([("Content-Type", "application/pdf"),
                ("Content-Disposition", "attachment; " +
                 rfc2231("filename", fn1)),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
        entity([("Content-Type", 'application/octet-stream; name="%s"'
                 % ew(fn2, fold=False)),
                ("Content-Transfer-Encoding", "base64")], b64lines(txt)),
    ]))
    case("text", "control_chars_in_filenames",
         "file names carrying CR LF (header injection) and an ESC sequence, "
         "via RFC 2231 and RFC 2047: shown escaped, never raw", msg,
         disposition="sanitized",
         parts=[{"action": "removed", "sha256": sha(pdf)},
                {"action": "removed", "sha256": sha(txt)}],
         body_contains=["invoice\\x0D\\x0AX-Mugaika: clean\\x1B[2J.pdf"],
         body_not_contains=["\nX-Mugaika:", "\nBcc:", "\x1b"], bless=True)

    # (21) forged incoming X-Mugaika headers.
    pdf = pdf_bytes("forged")
    msg = entity([
        ("From", "attacker@evil.example"), TO_CITY,
        ("Subject", ew("至急対応")),
        ("Date", "Thu, 28 Nov 2024 01:00:00 +0900"),
        ("Message-ID", "<forged.20241128@evil.example>"),
        ("X-Mugaika", "clean; id=-; host=mgw.city.example.lg.jp"),
        ("X-Mugaika-Status", "passed"),
        ("x-mugaika-forged", "yes"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="forged-bnd"'),
    ], multipart("forged-bnd", [
        entity([("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit")],
               "至急ご確認ください。\n".encode("utf-8")),
        entity([("Content-Type", 'application/pdf; name="check.pdf"'),
                ("Content-Disposition", 'attachment; filename="check.pdf"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ]))
    case("text", "forged_x_mugaika_headers",
         "incoming X-Mugaika: clean, X-Mugaika-Status and x-mugaika-forged "
         "headers are dropped; the one X-Mugaika added says sanitized",
         msg, disposition="sanitized", parts=[att("check.pdf", pdf)],
         headers_absent=["X-Mugaika-Status", "X-Mugaika-Forged"],
         headers_match={"X-Mugaika": r"^sanitized;"},
         body_contains=["至急ご確認ください。"], bless=True)

    # (22) subject tag.
    pdf = pdf_bytes("annai")
    msg = entity([
        ("From", ja_name("山田 太郎", "yamada@example.co.jp")), TO_CITY,
        ("Subject", ew("会議のご案内", "ISO-2022-JP")),
        ("Date", "Fri, 29 Nov 2024 10:00:00 +0900"),
        ("Message-ID", "<tag.20241129@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="tag-bnd"'),
    ], multipart("tag-bnd", [
        entity([("Content-Type", "text/plain; charset=ISO-2022-JP"),
                ("Content-Transfer-Encoding", "7bit")],
               iso2022jp("会議のご案内を添付します。\n")),
        entity([("Content-Type", 'application/pdf; name="annai.pdf"'),
                ("Content-Disposition", 'attachment; filename="annai.pdf"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ]))
    case("text", "subject_tag",
         "[notice] subject_tag = [無害化]: the Subject gets the tag in front "
         "and is re-encoded as RFC 2047 UTF-8", msg,
         config={"notice": {"subject_tag": "[無害化]"}},
         disposition="sanitized", parts=[att("annai.pdf", pdf)],
         headers_match={"Subject": r"^\[無害化\] ?会議のご案内$"},
         body_contains=["会議のご案内を添付します。"], bless=True)

    # (23a) output charset ISO-2022-JP, text fits.
    text = "お世話になっております。\n来週の打合せは水曜日でお願いします。\n"
    msg = entity([
        ("From", ja_name("山田 太郎", "yamada@example.co.jp")), TO_CITY,
        ("Subject", ew("打合せ日程", "ISO-2022-JP")),
        ("Date", "Fri, 29 Nov 2024 11:00:00 +0900"),
        ("Message-ID", "<jisout.20241129@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], iso2022jp(text))
    case("text", "output_iso2022jp",
         "[output] charset = iso-2022-jp and every character fits: the "
         "output is ISO-2022-JP 7bit", msg,
         config={"output": {"charset": "iso-2022-jp"}}, charset="iso-2022-jp",
         disposition="clean",
         body_contains=["来週の打合せは水曜日でお願いします。"], bless=True)

    # (23b) output charset ISO-2022-JP, ① does not fit: UTF-8.
    text = "お世話になっております。\n① 議事録の確認\n② 次回日程\n"
    msg = entity([
        ("From", ja_name("山田 太郎", "yamada@example.co.jp")), TO_CITY,
        ("Subject", ew("議題", "ISO-2022-JP")),
        ("Date", "Fri, 29 Nov 2024 11:05:00 +0900"),
        ("Message-ID", "<jisfallback.20241129@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], iso2022jp(text))
    case("text", "output_iso2022jp_fallback_utf8",
         "[output] charset = iso-2022-jp but the text has ① (not in JIS X "
         "0208): the output falls back to UTF-8", msg,
         config={"output": {"charset": "iso-2022-jp"}}, charset="utf-8",
         disposition="clean", body_contains=["① 議事録の確認", "② 次回日程"],
         bless=True)

    # (24) English notice.
    pdf = pdf_bytes("report")
    msg = entity([
        ("From", "John Smith <john@example.org>"), TO_CITY,
        ("Subject", "Quarterly report"),
        ("Date", "Fri, 29 Nov 2024 08:00:00 -0500"),
        ("Message-ID", "<en.20241129@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="en-bnd"'),
    ], multipart("en-bnd", [
        entity([("Content-Type", "text/plain; charset=us-ascii")],
               b"Hi,\n\nplease find the quarterly report attached.\n"),
        entity([("Content-Type", 'application/pdf; name="Q3-report.pdf"'),
                ("Content-Disposition",
                 'attachment; filename="Q3-report.pdf"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ]))
    case("text", "english_notice",
         "[notice] language = en: the notice is written in English", msg,
         config={"notice": {"language": "en"}}, disposition="sanitized",
         parts=[att("Q3-report.pdf", pdf)],
         body_contains=["please find the quarterly report attached.",
                        "Q3-report.pdf",
                        "attachment (removed: text-only delivery)"],
         body_not_contains=["添付ファイル（テキスト化のため削除）"], bless=True)

    # (25) TNEF winmail.dat.
    tnef = tnef_bytes()
    msg = entity([
        ("From", "Exchange User <user@exchange.example.com>"), TO_CITY,
        ("Subject", ew("資料（リッチテキスト）")),
        ("Date", "Sat, 30 Nov 2024 10:00:00 +0900"),
        ("Message-ID", "<tnef.20241130@exchange.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="_tnef_bnd_"'),
        ("X-MS-Has-Attach", "yes"),
        ("X-MS-TNEF-Correlator", "<tnef.20241130@exchange.example.com>"),
    ], multipart("_tnef_bnd_", [
        entity([("Content-Type", 'text/plain; charset="iso-2022-jp"'),
                ("Content-Transfer-Encoding", "7bit")],
               iso2022jp("資料を送付します。\n")),
        entity([("Content-Type", 'application/ms-tnef; name="winmail.dat"'),
                ("Content-Disposition", 'attachment; filename="winmail.dat"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(tnef)),
    ]))
    case("text", "tnef_winmail_dat",
         "Outlook rich text sent as application/ms-tnef winmail.dat: "
         "removed and listed", crlf(msg), disposition="sanitized",
         parts=[att("winmail.dat", tnef)],
         body_contains=["資料を送付します。", "winmail.dat"], bless=True)

    # (26) calendar invitation.
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server"
           " 2010\nVERSION:2.0\nBEGIN:VEVENT\nORGANIZER;CN=山田 太郎:mailto:"
           "yamada@example.co.jp\nSUMMARY;LANGUAGE=ja-JP:定例会\n"
           "DTSTART;TZID=Tokyo Standard Time:20241205T140000\n"
           "DTEND;TZID=Tokyo Standard Time:20241205T150000\n"
           "UID:040000008200E00074C5B7101A82E0080000000012345678\n"
           "LOCATION;LANGUAGE=ja-JP:第1会議室\nEND:VEVENT\nEND:VCALENDAR\n")
    text = "定例会\n日時: 2024年12月5日 14:00-15:00\n場所: 第1会議室\n"
    html = "<html><body><p>定例会</p><p>場所: 第1会議室</p></body></html>\n"
    msg = entity([
        ("From", ja_name("山田 太郎", "yamada@example.co.jp", "utf-8")),
        TO_CITY,
        ("Subject", ew("定例会")),
        ("Date", "Sat, 30 Nov 2024 11:00:00 +0900"),
        ("Message-ID", "<cal.20241130@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/alternative; boundary="_cal_alt_"'),
    ], multipart("_cal_alt_", [
        entity([("Content-Type", 'text/plain; charset="utf-8"'),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(text.encode("utf-8"))),
        entity([("Content-Type", 'text/html; charset="utf-8"'),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(html.encode("utf-8"))),
        entity([("Content-Type", 'text/calendar; charset="utf-8"; '
                 'method=REQUEST'),
                ("Content-Transfer-Encoding", "base64")],
               b64lines(ics.encode("utf-8"))),
    ]))
    case("text", "calendar_invitation",
         "Exchange meeting request: text, HTML and text/calendar "
         "alternatives; the calendar data does not reach the text",
         msg,
         parts=[{"declared_type": "text/calendar",
                 "action": ["removed", "skipped"]}],
         body_contains=["日時: 2024年12月5日 14:00-15:00"],
         body_not_contains=["BEGIN:VCALENDAR", "ORGANIZER"], bless=True)

    # (27) only an attachment, no text.
    pdf = pdf_bytes("scan")
    msg = entity([
        ("From", "scanner@city.example.lg.jp"), TO_CITY,
        ("Subject", "Scanned document"),
        ("Date", "Sat, 30 Nov 2024 12:00:00 +0900"),
        ("Message-ID", "<scan.20241130120000@mfp.city.example.lg.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'application/pdf; name="SCAN_20241130_120000.pdf"'),
        ("Content-Disposition",
         'attachment; filename="SCAN_20241130_120000.pdf"'),
        ("Content-Transfer-Encoding", "base64"),
    ], b64lines(pdf))
    case("text", "attachment_only",
         "a single-part message that is only a PDF (a scanner): the output "
         "is the notice alone", msg, disposition="sanitized",
         parts=[att("SCAN_20241130_120000.pdf", pdf)],
         body_contains=["SCAN_20241130_120000.pdf"],
         body_not_contains=["JVBERi0"], bless=True)

    # (28) empty body.
    msg = entity([
        ("From", "yamada@example.co.jp"), TO_CITY,
        ("Subject", ew("（件名のみ）本日休みます")),
        ("Date", "Sun, 1 Dec 2024 07:00:00 +0900"),
        ("Message-ID", "<empty.20241201@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "7bit"),
    ], b"")
    case("text", "empty_body", "a message with headers and an empty body",
         msg, disposition="clean", headers={"Subject": "（件名のみ）本日休みます"},
         bless=True)

    # (29) raw 8-bit Shift_JIS Subject.
    subj = "【至急】見積もりのご依頼"
    msg = entity([
        ("From", "eigyo@example.co.jp"), TO_CITY,
        ("Subject", subj.encode("cp932")),
        ("Date", "Sun, 1 Dec 2024 09:00:00 +0900"),
        ("Message-ID", "<rawsjis.20241201@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], "見積もりをお願いします。\n".encode("cp932"))
    case("text", "raw_sjis_subject",
         "Subject written as raw 8-bit Shift_JIS (no encoded words): "
         "decoded, and written out as valid encoded words", msg,
         disposition="clean", headers={"Subject": subj},
         body_contains=["見積もりをお願いします。"], bless=True)

    # (30) text/plain with a file name and disposition attachment.
    memo = "MEMO_CONTENT_MARKER\nパスワード: (別途送付)\n".encode("utf-8")
    msg = entity([
        ("From", "ogawa@example.co.jp"), TO_CITY,
        ("Subject", ew("メモ送付")),
        ("Date", "Sun, 1 Dec 2024 10:00:00 +0900"),
        ("Message-ID", "<textatt.20241201@example.co.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="txtatt"'),
    ], multipart("txtatt", [
        entity([("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit")],
               "メモを添付します。\n".encode("utf-8")),
        entity([("Content-Type", 'text/plain; charset=utf-8; name="memo.txt"'),
                ("Content-Disposition", 'attachment; filename="memo.txt"'),
                ("Content-Transfer-Encoding", "8bit")], memo),
    ]))
    case("text", "text_plain_attachment",
         "a text/plain part with Content-Disposition: attachment and a file "
         "name is an attachment: removed, not shown in the text", msg,
         disposition="sanitized", parts=[att("memo.txt", memo)],
         body_contains=["メモを添付します。", "memo.txt"],
         body_not_contains=["MEMO_CONTENT_MARKER"], bless=True)

    # (31) long folded References and a Cc list of encoded names.
    refs = ["<%08x.%d@example.co.jp>" % (0x1000 * i + 0xabc, i)
            for i in range(1, 21)]
    msg = entity([
        ("From", ja_name("山田 太郎", "yamada@example.co.jp")),
        ("To", ja_name("佐藤 花子", "sato@example.jp") + ", " +
         "%s <ito@example.com>" % ew("伊藤 健", fold=False)),
        ("Cc", ja_name("髙橋 一郎", "takahashi@city.example.lg.jp") +
         ",\n " + "%s <kobayashi@example.com>" % ew("小林 ①", fold=False) +
         ",\n " + '"Suzuki, Jiro" <suzuki@example.ne.jp>,' +
         "\n plain@example.org"),
        ("Subject", ew("Re: Re: Re: 【継続】システム更改の打合せについて",
                       "ISO-2022-JP")),
        ("Date", "Mon, 2 Dec 2024 09:00:00 +0900"),
        ("Message-ID", "<refs.20241202@example.co.jp>"),
        ("In-Reply-To", refs[-1]),
        ("References", "\n ".join(refs)),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], iso2022jp("皆様\n\n引き続きよろしくお願いします。\n"))
    case("text", "long_references_encoded_cc",
         "a long thread: References folded over 20 lines, In-Reply-To, and "
         "To/Cc lists mixing ISO-2022-JP and UTF-8 encoded names, a quoted "
         "name with a comma and a bare address; all carried over", msg,
         disposition="clean",
         headers={"Subject":
                  "Re: Re: Re: 【継続】システム更改の打合せについて"},
         body_contains=["引き続きよろしくお願いします。"], bless=True)

    # (32) ISO-2022-JP with half-width katakana (ESC ( I), Q-encoded
    # ISO-2022-JP Subject.
    body = iso2022jp("ｱﾝｹｰﾄのご協力をお願いします。\n", kana=True)
    msg = entity([
        ("From", "survey@example.com"), TO_CITY,
        ("Subject", ew_q("アンケートのお願い", "ISO-2022-JP")),
        ("Date", "Mon, 2 Dec 2024 10:00:00 +0900"),
        ("Message-ID", "<kana.20241202@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], body)
    case("text", "iso2022jp_halfwidth_kana_q_subject",
         "ISO-2022-JP body with half-width katakana in ESC ( I (not RFC "
         "1468, but sent) and a Q-encoded ISO-2022-JP Subject", msg,
         disposition="clean", headers={"Subject": "アンケートのお願い"},
         body_contains=["ｱﾝｹｰﾄのご協力をお願いします。"], bless=True)

    # (33) Apple Mail: PDF inline between two text parts.
    pdf = pdf_bytes("map")
    msg = entity([
        ("From", "%s <kimura@example.com>" % ew("木村", fold=False)),
        ("Content-Type", 'multipart/mixed;\n\tboundary="Apple-Mail=_7C1D2E3F-'
         '4A5B-6C7D-8E9F-0A1B2C3D4E5F"'),
        ("Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))"),
        ("Subject", ew("地図")),
        ("Date", "Mon, 2 Dec 2024 11:00:00 +0900"),
        ("Message-Id", "<8F7E6D5C-4B3A-2918-0706-F5E4D3C2B1A0@example.com>"),
        ("To", "yoshino@city.example.lg.jp"),
        ("X-Mailer", "Apple Mail (2.3774.600.62)"),
    ], multipart("Apple-Mail=_7C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F", [
        entity([("Content-Transfer-Encoding", "quoted-printable"),
                ("Content-Type", "text/plain;\n\tcharset=utf-8")],
               qp("FIRST_TEXT 地図を送ります。\n".encode("utf-8"))),
        entity([("Content-Disposition", 'inline;\n\tfilename=map.pdf'),
                ("Content-Type", "application/pdf;\n\tx-unix-mode=0644;\n\t"
                 "name=\"map.pdf\""),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
        entity([("Content-Transfer-Encoding", "7bit"),
                ("Content-Type", "text/plain;\n\tcharset=us-ascii")],
               b"\nSECOND_TEXT see you\n"),
    ]))
    case("text", "apple_mail_inline_pdf_between_texts",
         "Apple Mail puts an inline PDF between two text/plain parts: both "
         "texts kept in document order, the PDF removed", msg,
         disposition="sanitized", parts=[att("map.pdf", pdf)],
         body_order=["FIRST_TEXT 地図を送ります。", "SECOND_TEXT see you"],
         body_not_contains=["JVBERi0"], bless=True)

    # (34) HTML with the charset only in <meta>, Shift_JIS.
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=Shift_JIS"></head><body><p>ご注文ありがとうございます。</p>'
            '<p>発送予定日：12月10日</p></body></html>\n')
    msg = entity([
        ("From", "order@shop.example.com"), TO_CITY,
        ("Subject", "=?Shift_JIS?B?%s?=" % base64.b64encode(
            "ご注文確認".encode("cp932")).decode()),
        ("Date", "Mon, 2 Dec 2024 12:00:00 +0900"),
        ("Message-ID", "<meta.20241202@shop.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/html"),
        ("Content-Transfer-Encoding", "8bit"),
    ], html.encode("cp932"))
    case("text", "html_meta_charset_sjis",
         "text/html with no charset parameter; the charset (Shift_JIS) is "
         "only in the <meta> element", msg, disposition="clean",
         body_contains=["ご注文ありがとうございます。", "発送予定日：12月10日"],
         bless=True)

    # (35) S/MIME signed (multipart/signed).
    # A DER SignedData header (SEQUENCE, OID 1.2.840.113549.1.7.2) then
    # filler: random bytes alone look like anything to libmagic.
    sig = (b"\x30\x82\x05\xd8\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07"
           b"\x02\xa0\x82\x05\xc9" + rnd_bytes(35, 1500 - 19))
    text = "各位\n\n電子署名付きでお送りします。\n"
    inner = entity([("Content-Type", "text/plain; charset=iso-2022-jp"),
                    ("Content-Transfer-Encoding", "7bit")], iso2022jp(text))
    msg = entity([
        ("From", "kokuchi@example.go.jp"), TO_CITY,
        ("Subject", ew("通知（署名付き）", "ISO-2022-JP")),
        ("Date", "Tue, 3 Dec 2024 09:00:00 +0900"),
        ("Message-ID", "<smime.20241203@example.go.jp>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/signed; protocol="application/pkcs7-'
         'signature"; micalg=sha-256; boundary="----SMIMEBOUNDARY"'),
    ], multipart("----SMIMEBOUNDARY", [
        inner,
        entity([("Content-Type", 'application/pkcs7-signature; '
                 'name="smime.p7s"'),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", 'attachment; filename="smime.p7s"'),
                ("Content-Description", "S/MIME Cryptographic Signature")],
               b64lines(sig)),
    ], preamble=b"This is an S/MIME signed message\n\n"))
    case("text", "smime_signed",
         "S/MIME multipart/signed (a ministry's notice): the signed text "
         "is delivered, smime.p7s removed and listed", crlf(msg),
         disposition="sanitized", parts=[att("smime.p7s", sig)],
         body_contains=["電子署名付きでお送りします。"], bless=True)

    # (36) delivery status notification.
    orig_hdrs = ("From: johoseisaku@city.example.lg.jp\nTo: nobody@example.com"
                 "\nSubject: test\nMessage-ID: <orig.20241203@city.example."
                 "lg.jp>\n")
    dsn = ("Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; "
           "nobody@example.com\nAction: failed\nStatus: 5.1.1\n"
           "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n")
    msg = entity([
        ("From", "MAILER-DAEMON@mx.example.com (Mail Delivery System)"),
        TO_CITY,
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", "Tue, 3 Dec 2024 10:00:00 +0900 (JST)"),
        ("Message-Id", "<20241203010000.ABCDE12345@mx.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/report; report-type=delivery-status;\n\t'
         'boundary="ABCDE12345.1733187600/mx.example.com"'),
        ("Auto-Submitted", "auto-replied"),
    ], multipart("ABCDE12345.1733187600/mx.example.com", [
        entity([("Content-Description", "Notification"),
                ("Content-Type", "text/plain; charset=us-ascii")],
               b"This is the mail system at host mx.example.com.\n\n"
               b"I'm sorry to have to inform you that your message could not"
               b"\nbe delivered to one or more recipients.\n"),
        entity([("Content-Description", "Delivery report"),
                ("Content-Type", "message/delivery-status")],
               dsn.encode("ascii")),
        entity([("Content-Description", "Undelivered Message Headers"),
                ("Content-Type", "text/rfc822-headers")],
               orig_hdrs.encode("ascii")),
    ], preamble=b"This is a MIME-encapsulated message.\n\n"))
    case("text", "delivery_status_notification",
         "Postfix bounce: multipart/report with delivery-status and "
         "text/rfc822-headers parts", msg,
         body_contains=["could not", "be delivered to one or more recipients"],
         bless=True)


# ---------------------------------------------------------------------------
# bad/: malformed or hostile input.  Only what the contract fixes is
# asserted: the exit code, a well-formed output, the disposition where the
# contract names it, and that attachment bytes never reach the text.

def basic_headers(subject, mid, extra=()):
    return [("From", "sender@example.com"), TO_CITY, ("Subject", subject),
            ("Date", "Wed, 4 Dec 2024 12:00:00 +0900"),
            ("Message-ID", "<%s@example.com>" % mid)] + list(extra)


def gen_bad():
    pdf = pdf_bytes("bad")

    # missing final boundary
    body = multipart("mfb", [
        entity([("Content-Type", "text/plain; charset=utf-8")],
               "最後の境界がありません。\n".encode("utf-8")),
        entity([("Content-Type", 'application/pdf; name="a.pdf"'),
                ("Content-Disposition", 'attachment; filename="a.pdf"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ])
    body = body[:body.rindex(b"--mfb--")]
    msg = entity(basic_headers("missing final boundary", "mfb", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="mfb"')]), body)
    case("bad", "missing_final_boundary",
         "multipart/mixed whose closing boundary never comes (a truncated "
         "upload): the attachment is still removed", msg,
         disposition=["sanitized", "quarantined"],
         body_not_contains=["JVBERi0"])

    # boundary declared but never used
    msg = entity(basic_headers("boundary never used", "bnu", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="never-used"')]),
        "境界が一度も現れない本文。\n".encode("utf-8") + b64lines(pdf))
    case("bad", "boundary_never_used",
         "multipart/mixed with a boundary parameter that never appears in "
         "the body", msg)

    # wrong boundary
    body = multipart("actual-bnd", [
        entity([("Content-Type", "text/plain; charset=utf-8")],
               "宣言と違う境界。\n".encode("utf-8")),
        entity([("Content-Type", 'application/pdf; name="w.pdf"'),
                ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
    ])
    msg = entity(basic_headers("wrong boundary", "wb", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="declared-bnd"')]), body)
    case("bad", "wrong_boundary",
         "the parts are delimited by a boundary other than the declared one",
         msg)

    # header lines without a colon
    head = hdrs(*basic_headers("no colon", "nocolon")) + \
        b"This line has no colon\n" + \
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
    msg = head + b"\n" + "本文です。\n".encode("utf-8")
    case("bad", "header_line_without_colon",
         "a line without a colon in the middle of the header block", msg)

    # NUL bytes
    msg = entity([("From", "sender@example.com"), TO_CITY,
                  ("Subject", b"NUL\x00in subject"),
                  ("Date", "Wed, 4 Dec 2024 12:00:00 +0900"),
                  ("Message-ID", "<nul@example.com>"),
                  ("X-Nul", b"a\x00b"),
                  ("MIME-Version", "1.0"),
                  ("Content-Type", "text/plain; charset=utf-8")],
                 b"before\x00after\n" + "日本語\x00テキスト\n".encode("utf-8"))
    case("bad", "nul_bytes", "NUL bytes in header values and in the body",
         msg)

    # 8-bit garbage headers
    g = rnd_bytes(8, 200)
    g = bytes(b for b in g if b not in (0, 10, 13))
    msg = entity([("From", b"\xff\xfe\x80\x81 <garbage@example.com>"),
                  TO_CITY, ("Subject", b"\xc3\x28\xa0\xa1\xe3\x81" + g[:40]),
                  ("Date", "Wed, 4 Dec 2024 12:00:00 +0900"),
                  ("Message-ID", "<garbage@example.com>"),
                  ("X-Garbage", g[40:120]),
                  ("X-Ete", g[120:]),
                  ("MIME-Version", "1.0"),
                  ("Content-Type", "text/plain; charset=utf-8")],
                 "本文は正常です。\n".encode("utf-8"))
    case("bad", "garbage_8bit_headers",
         "random 8-bit bytes (invalid UTF-8, invalid Shift_JIS) in From, "
         "Subject and other headers", msg,
         body_contains=["本文は正常です。"])

    # 1 MB single line
    line = ("0123456789abcdef" * 65536).encode("ascii")
    msg = entity(basic_headers("one long line", "longline", [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii")]),
        b"START " + line + b" END\n")
    case("bad", "one_megabyte_line",
         "a text body that is one 1 MiB line: output lines stay within 998 "
         "bytes", msg)

    # 1000-level nesting
    depth = 1000
    out = bytearray(hdrs(*basic_headers("deep nesting", "deep",
                                        [("MIME-Version", "1.0")])))
    for i in range(depth):
        out += b'Content-Type: multipart/mixed; boundary="d%d"\n\n--d%d\n' % (
            i, i)
    out += b"Content-Type: text/plain\n\nthe bottom\n"
    for i in reversed(range(depth)):
        out += b"--d%d--\n" % i
    case("bad", "nested_1000_levels",
         "multipart/mixed nested 1000 levels deep: held as too deep",
         bytes(out),
         disposition="quarantined", reasons=["too_deep"], original_kept=True)

    # 600 parts
    ps = [entity([("Content-Type", "text/plain; charset=us-ascii")],
                 b"part zero\n")]
    for i in range(1, 600):
        ps.append(entity([
            ("Content-Type", 'application/octet-stream; name="f%03d.bin"' % i),
            ("Content-Transfer-Encoding", "base64")],
            b64lines(b"\x00\x01" + bytes((i & 0xFF,)))))
    msg = entity(basic_headers("six hundred parts", "many", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="many"')]),
        multipart("many", ps))
    case("bad", "six_hundred_parts",
         "600 MIME parts (the default limit is 500): held as too many parts",
         msg, disposition="quarantined", reasons=["too_many_parts"],
         original_kept=True)

    # bad base64 attachment
    good = b64lines(pdf).decode()
    broken = good[:40] + "@@@@###" + good[40:90] + "====" + good[90:150]
    msg = entity(basic_headers("bad base64", "badb64", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="bb"')]),
        multipart("bb", [
            entity([("Content-Type", "text/plain; charset=utf-8")],
                   "添付が壊れています。\n".encode("utf-8")),
            entity([("Content-Type", 'application/pdf; name="broken.pdf"'),
                    ("Content-Disposition",
                     'attachment; filename="broken.pdf"'),
                    ("Content-Transfer-Encoding", "base64")],
                   broken.encode("ascii") + b"\n"),
        ]))
    case("bad", "bad_base64_attachment",
         "an attachment whose base64 has junk, padding in the middle and "
         "a cut-off end: still removed and kept", msg,
         disposition=["sanitized", "quarantined"],
         parts=[{"filename": "broken.pdf", "action": "removed"}],
         body_contains=["添付が壊れています。"])

    # EOF inside the headers
    msg = (b"From: sender@example.com\nTo: johoseisaku@city.example.lg.jp\n"
           b"Subject: truncated\nDate: Wed, 4 Dec 2024 12:00:00 +0900\n"
           b"Message-ID: <trunc@example.com>\nMIME-Version: 1.0\n"
           b'Content-Type: multipart/mixed;\n boundary="tr')
    case("bad", "eof_in_headers",
         "the file ends in the middle of a folded header (no body, no "
         "final newline)", msg)

    # over max_message_size
    big = rnd_bytes(12, 150 * 1024)
    msg = entity(basic_headers("too large", "toolarge", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="big"')]),
        multipart("big", [
            entity([("Content-Type", "text/plain; charset=us-ascii")],
                   b"big attachment follows\n"),
            entity([("Content-Type", 'application/octet-stream; '
                     'name="big.bin"'),
                    ("Content-Transfer-Encoding", "base64")], b64lines(big)),
        ]))
    assert len(msg) > 200 * 1000
    case("bad", "message_too_large",
         "a 200 KB message with [limits] max_message_size = 100k: rejected "
         "with exit 2 and nothing written", msg,
         config={"limits": {"max_message_size": "100k"}}, exit=2,
         disposition="rejected")

    # duplicate Content-Type
    msg = entity(basic_headers("duplicate content-type", "dupct", [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Content-Type", 'multipart/mixed; boundary="dup"')]),
        multipart("dup", [
            entity([("Content-Type", "text/plain; charset=us-ascii")],
                   b"which content-type wins?\n"),
            entity([("Content-Type", 'application/pdf; name="dup.pdf"'),
                    ("Content-Disposition", 'attachment; filename="dup.pdf"'),
                    ("Content-Transfer-Encoding", "base64")], b64lines(pdf)),
        ]))
    case("bad", "duplicate_content_type",
         "two Content-Type headers (text/plain, then multipart/mixed): "
         "mail readers disagree on which wins, so the attachment's bytes "
         "must not reach the text under either reading", msg,
         body_not_contains=["JVBERi0"])

    # multipart without a boundary parameter
    msg = entity(basic_headers("no boundary", "nobnd", [
        ("MIME-Version", "1.0"),
        ("Content-Type", "multipart/mixed")]),
        b"--xyz\nContent-Type: text/plain\n\nhello\n--xyz--\n")
    case("bad", "multipart_without_boundary",
         "Content-Type multipart/mixed with no boundary parameter", msg)

    # mixed line endings
    msg = (b"From: sender@example.com\r\nTo: johoseisaku@city.example.lg.jp\n"
           b"Subject: mixed line endings\r\n"
           b"Date: Wed, 4 Dec 2024 12:00:00 +0900\n"
           b"Message-ID: <mixed@example.com>\r\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
           "一行目\r\n二行目\n三行目\r四行目\r\n".encode("utf-8"))
    case("bad", "mixed_line_endings",
         "CRLF, LF and a bare CR mixed in headers and body: the output "
         "uses LF only", msg, body_contains=["一行目", "二行目"])

    # empty file
    case("bad", "empty_file",
         "a 0-byte input: a verdict (a notice-only message or a policy "
         "rejection), never a crash or a temporary failure", b"",
         exit=[0, 2], check_headers=False)

    # header block over the 256 KiB default
    recv = [("Received", "from relay%04d.example.net (relay%04d.example.net "
             "[192.0.2.%d])\n\tby relay%04d.example.net (Postfix) with ESMTP "
             "id %08X; Wed, 4 Dec 2024 12:00:00 +0900" % (
                 i, i, i % 250 + 1, i + 1, i * 7919)) for i in range(2600)]
    msg = entity(recv + basic_headers("huge header", "hugehdr", [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii")]),
        b"body under a huge header\n")
    assert len(msg) > 300 * 1024
    case("bad", "header_block_too_large",
         "a header block over 300 KiB (2600 Received lines; the default limit "
         "is 256 KiB): held as header_too_large", msg,
         disposition="quarantined", reasons=["header_too_large"],
         original_kept=True)

    # total decoded size over the limit
    a1 = rnd_bytes(21, 80 * 1024)
    a2 = rnd_bytes(22, 80 * 1024)
    msg = entity(basic_headers("decoded too large", "dectl", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="dec"')]),
        multipart("dec", [
            entity([("Content-Type", "text/plain; charset=us-ascii")],
                   b"two attachments of 80 KiB each\n"),
            entity([("Content-Type", 'application/octet-stream; '
                     'name="a1.bin"'),
                    ("Content-Transfer-Encoding", "base64")], b64lines(a1)),
            entity([("Content-Type", 'application/octet-stream; '
                     'name="a2.bin"'),
                    ("Content-Transfer-Encoding", "base64")], b64lines(a2)),
        ]))
    case("bad", "decoded_size_over_limit",
         "two 80 KiB attachments with [limits] max_decoded_size = 100k: "
         "held as decoded_too_large", msg,
         config={"limits": {"max_decoded_size": "100k"}},
         disposition="quarantined", reasons=["decoded_too_large"],
         original_kept=True)

    # output text over max_text_size
    line = "これは長い本文の一行です。行番号 %04d\n"
    text = "TEXT_START\n" + "".join(line % i for i in range(400)) + \
        "TEXT_END_MARKER\n"
    msg = entity(basic_headers("long text", "longtext", [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit")]), text.encode("utf-8"))
    case("bad", "text_over_max_text_size",
         "a 20 KB text with [limits] max_text_size = 4k: the text is cut at "
         "the limit, the reason given and the original kept", msg,
         config={"limits": {"max_text_size": "4k"}},
         disposition=["sanitized", "quarantined"], reasons=["text_too_large"],
         body_contains=["TEXT_START"], body_not_contains=["TEXT_END_MARKER"],
         original_kept=True)

    # one part over max_part_size
    big = rnd_bytes(31, 80 * 1024)
    msg = entity(basic_headers("part too large", "parttl", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="ptl"')]),
        multipart("ptl", [
            entity([("Content-Type", "text/plain; charset=us-ascii")],
                   b"one attachment of 80 KiB\n"),
            entity([("Content-Type", 'application/octet-stream; '
                     'name="big.bin"'),
                    ("Content-Disposition", 'attachment; filename="big.bin"'),
                    ("Content-Transfer-Encoding", "base64")], b64lines(big)),
        ]))
    case("bad", "part_over_max_part_size",
         "an 80 KiB attachment with [limits] max_part_size = 50k: removed "
         "and listed, the rest of the message delivered", msg,
         config={"limits": {"max_part_size": "50k"}},
         disposition="sanitized",
         parts=[{"filename": "big.bin", "action": "removed",
                 "reason": ["part_too_large", "attachment"]}],
         body_contains=["one attachment of 80 KiB"])

    # a nested part reusing the outer boundary
    msg = entity(basic_headers("boundary reuse", "reuse", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="same"')]),
        b"--same\nContent-Type: multipart/alternative; boundary=\"same\"\n\n"
        b"--same\nContent-Type: text/plain\n\ninner text\n"
        b"--same\nContent-Type: application/pdf; name=\"r.pdf\"\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64lines(pdf) +
        b"--same--\n--same--\n")
    case("bad", "nested_boundary_reuse",
         "a nested multipart that reuses its parent's boundary", msg,
         body_not_contains=["JVBERi0"])

    # unknown transfer encoding
    msg = entity(basic_headers("unknown cte", "cte", [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="cte"')]),
        multipart("cte", [
            entity([("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "base65")],
                   "知らない転送エンコーディング\n".encode("utf-8")),
            entity([("Content-Type", 'application/pdf; name="c.pdf"'),
                    ("Content-Transfer-Encoding", "x-uuencode")],
                   uuencode("c.pdf", pdf).encode("ascii")),
        ]))
    case("bad", "unknown_transfer_encoding",
         "Content-Transfer-Encoding base65 on a text part and x-uuencode "
         "on an attachment", msg)

    # broken encoded words
    msg = entity([("From", "=?x-unknown?B?QUJD?= <a@example.com>"), TO_CITY,
                  ("Subject", "=?ISO-2022-JP?B?GyRCJEMkRiQ?= =?utf-8?Q?"
                   "=E3=81?= =?utf-8?B?!!!?="),
                  ("Date", "Wed, 4 Dec 2024 12:00:00 +0900"),
                  ("Message-ID", "<ew@example.com>"),
                  ("MIME-Version", "1.0"),
                  ("Content-Type", "text/plain; charset=x-does-not-exist")],
                 "宣言された文字コードが存在しない。\n".encode("utf-8"))
    case("bad", "broken_encoded_words_unknown_charset",
         "encoded words with an unknown charset, a truncated ISO-2022-JP "
         "word, a half UTF-8 sequence and bad base64; a body charset that "
         "does not exist", msg)


# ---------------------------------------------------------------------------

def verify(area, name, data, expect):
    """Basic sanity of a generated case before it is written."""
    if area == "text":
        msg = email.message_from_bytes(data)
        assert msg["From"], name
        for w in expect.get("body_contains", []):
            assert "\u202e" not in w, name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="report files that differ from what would be "
                         "written; write nothing")
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    gen_text()
    gen_bad()
    names = set()
    differ = 0
    root = Path(args.corpus)
    for area, name, data, expect in CASES:
        assert (area, name) not in names, name
        names.add((area, name))
        verify(area, name, data, expect)
        d = root / area / name
        files = {
            "input.eml": data,
            "expect.json": (json.dumps(expect, ensure_ascii=False, indent=1)
                            + "\n").encode("utf-8"),
        }
        for fn, content in files.items():
            p = d / fn
            if args.check:
                if not p.exists() or p.read_bytes() != content:
                    print("differs: %s" % p)
                    differ += 1
                continue
            d.mkdir(parents=True, exist_ok=True)
            if not p.exists() or p.read_bytes() != content:
                p.write_bytes(content)
    if not args.check:
        for area in ("text", "bad"):
            for d in sorted((root / area).glob("*")):
                if d.is_dir() and (area, d.name) not in names:
                    print("stale case (not generated): %s" % d)
    print("%d cases (%d text, %d bad)" % (
        len(CASES), sum(1 for c in CASES if c[0] == "text"),
        sum(1 for c in CASES if c[0] == "bad")))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
