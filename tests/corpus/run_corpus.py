#!/usr/bin/env python3
"""Run every case of the mail corpus through `mugaika sanitize`.

A case is a folder corpus/<area>/<case>/ holding input.eml, expect.json and,
once blessed, expected.txt (see corpus/README.md for the keys).  For each
case the runner writes a config from corpus/test.conf into a fresh temporary
directory (its own quarantine store), runs

    mugaika sanitize --config CONF --report REPORT.json input.eml OUT.eml

and checks the exit code, the output message, the report and the quarantine
against the contract and the case's expectations.  Every output with exit 0
is checked for well-formedness whatever the case says (check_output()).

Python 3.11 standard library only.  sweep_external.py imports this module
for the shared checks.
"""

import argparse
import base64
import binascii
import codecs
import concurrent.futures
import email
import email.policy
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Headers the output must carry over from the input.
KEPT_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID",
                "In-Reply-To", "References")
ADDRESS_HEADERS = ("from", "to", "cc")

REASON_IDS = {
    "attachment", "inline_image", "uuencoded", "binhex", "alternative",
    "embedded_message_attachment", "non_text", "malformed_mime", "too_deep",
    "too_many_parts", "header_too_large", "part_too_large",
    "decoded_too_large", "text_too_large", "message_too_large",
    "undecodable",
    # Scanning, true types and archives (issue 3).
    "virus", "scan_limit", "scan_error", "encrypted", "archive_member",
    "archive_bomb", "archive_too_deep", "too_many_members",
    "member_too_large", "damaged_archive", "unsafe_member_name",
    "blocked_type", "type_mismatch", "double_extension", "bidi_name",
    "stale_database", "sanitizer_crash", "timeout", "unsupported",
    "cdr_failed",
}
DISPOSITIONS = {"clean", "sanitized", "quarantined", "rejected"}
# "skipped" is what the engine (sanitizer/mime/mg_walk.h) records for an
# alternative whose sibling was delivered.
ACTIONS = {"kept", "removed", "converted", "skipped"}

EXPECT_KEYS = {
    "description", "exit", "disposition", "reasons", "original_kept",
    "parts", "parts_exact", "body_contains", "body_not_contains",
    "body_order", "headers", "headers_match", "headers_absent", "charset",
    "config", "check_headers", "bless", "no_output",
}

MAX_ERRORS = 15  # printed per failing case

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


# ---------------------------------------------------------------------------
# Charsets.  ISO-2022-JP as Japanese mailers write it carries the NEC row 13
# (① ㈱ № Ⅰ) and the NEC-selected IBM extensions (髙), which Python's
# iso2022_jp codec refuses.  Each JIS X 0208 pair is turned into its
# Shift_JIS pair arithmetically and the result read as CP932, which is how
# Windows (CP50220/CP50221) reads it.

def jis_to_sjis(j1, j2):
    """One JIS X 0208 row/cell pair (0x21..0x7E each) to Shift_JIS bytes."""
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        raise ValueError("JIS byte out of range: %02X %02X" % (j1, j2))
    s1 = (j1 - 0x21) // 2 + 0x81
    if s1 >= 0xA0:
        s1 += 0x40
    if (j1 - 0x21) % 2 == 0:
        s2 = j2 - 0x21 + 0x40
        if s2 >= 0x7F:
            s2 += 1
    else:
        s2 = j2 - 0x21 + 0x9F
    return bytes((s1, s2))


def decode_iso2022jp(data, errors="strict"):
    """ISO-2022-JP (RFC 1468) with the CP932 extensions and ESC ( I."""
    out = []
    mode = "ascii"
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:
            seq = data[i:i + 3]
            if seq in (b"\x1b$B", b"\x1b$@"):
                mode = "jis"
            elif seq in (b"\x1b(B", b"\x1b(J"):
                mode = "ascii"
            elif seq == b"\x1b(I":
                mode = "kana"
            else:
                if errors == "strict":
                    raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1,
                                             "unknown escape sequence")
                out.append("\ufffd")
                i += 1
                continue
            i += 3
            continue
        if b in (0x0A, 0x0D):
            # A line end returns to ASCII (RFC 1468 requires it anyway).
            mode = "ascii"
            out.append(chr(b))
            i += 1
            continue
        if b >= 0x80:
            if errors == "strict":
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1,
                                         "8-bit byte")
            out.append("\ufffd")
            i += 1
            continue
        if mode == "jis":
            if i + 1 >= n:
                if errors == "strict":
                    raise UnicodeDecodeError("iso-2022-jp", data, i, n,
                                             "truncated pair")
                out.append("\ufffd")
                break
            try:
                out.append(jis_to_sjis(b, data[i + 1]).decode("cp932"))
            except (ValueError, UnicodeDecodeError):
                if errors == "strict":
                    raise UnicodeDecodeError("iso-2022-jp", data, i, i + 2,
                                             "unmapped pair")
                out.append("\ufffd")
            i += 2
            continue
        if mode == "kana":
            if 0x21 <= b <= 0x5F:
                out.append(bytes((b + 0x80,)).decode("cp932"))
            else:
                out.append(chr(b))
            i += 1
            continue
        out.append(chr(b))
        i += 1
    return "".join(out)


_ISO2022JP = {"iso-2022-jp", "iso2022jp", "csiso2022jp", "iso-2022-jp-ms",
              "iso-2022-jp-1", "iso-2022-jp-2", "cp50220", "cp50221",
              "cp50222"}
_CP932 = {"shift_jis", "shift-jis", "sjis", "x-sjis", "s-jis", "cp932",
          "windows-31j", "ms_kanji", "csshiftjis", "ms932", "x-ms-cp932"}
_EUCJP = {"euc-jp", "euc_jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese",
          "cp51932"}


def decode_charset(data, charset, errors="strict"):
    """Decode `data` the way a Japanese mail reader would read `charset`."""
    cs = (charset or "us-ascii").strip().strip('"').lower()
    if cs in _ISO2022JP:
        return decode_iso2022jp(data, errors)
    if cs in _CP932:
        return data.decode("cp932", errors)
    if cs in _EUCJP:
        return data.decode("euc_jp", errors)
    if cs in ("us-ascii", "ascii", "ansi_x3.4-1968"):
        return data.decode("ascii", errors)
    codecs.lookup(cs)  # LookupError for an unknown charset
    return data.decode(cs, errors)


_EW = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _ew_bytes(enc, text):
    if enc in b"bB":
        t = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
        t += b"=" * (-len(t) % 4)
        return base64.b64decode(t)
    t = text.replace(b"_", b" ")
    return binascii.a2b_qp(t)


def decode_header_value(raw, errors="strict"):
    """Unfold a raw header value (bytes) and decode RFC 2047 words.

    Adjacent encoded words in the same charset are joined as bytes before
    decoding, so a word split in the middle of a character (as some
    mailers write ISO-2022-JP) reads as one.  Text outside encoded words
    is read as UTF-8 (strict) or, with errors="replace", leniently."""
    raw = re.sub(rb"\r?\n(?=[ \t])", b"", raw)
    raw = raw.replace(b"\r", b"").replace(b"\n", b"")
    out = []
    pending_cs = None
    pending = b""
    pos = 0

    def flush():
        nonlocal pending_cs, pending
        if pending_cs is not None:
            cs = pending_cs.split(b"*")[0].decode("ascii", "replace")
            out.append(decode_charset(pending, cs, errors))
        pending_cs = None
        pending = b""

    for m in _EW.finditer(raw):
        between = raw[pos:m.start()]
        if pending_cs is not None and between.strip(b" \t") == b"":
            between = b""
        cs = m.group(1).lower()
        if between:
            flush()
            out.append(between.decode("utf-8", errors))
        if pending_cs is not None and pending_cs != cs:
            flush()
        pending_cs = cs
        pending += _ew_bytes(m.group(2), m.group(3))
        pos = m.end()
    flush()
    out.append(raw[pos:].decode("utf-8", errors))
    return "".join(out)


def compose_kana(s):
    """Kana followed by a combining (semi-)voiced sound mark composed, as
    the engine does (mg_compose_kana): NFC of just those pairs, one mark
    per kana."""
    out = []
    composed = False
    for c in s:
        if c in "\u3099\u309a" and out and not composed and \
                "\u3041" <= out[-1] <= "\u30ff":
            comp = unicodedata.normalize("NFC", out[-1] + c)
            if len(comp) == 1 and "\u3041" <= comp <= "\u30ff":
                out[-1] = comp
                composed = True
                continue
        out.append(c)
        composed = False
    return "".join(out)


def normalize_for_compare(name, value):
    """Whitespace- and quoting-insensitive form of a decoded header, its
    decomposed kana composed."""
    v = compose_kana(value)
    if name.lower() in ADDRESS_HEADERS:
        v = v.replace('"', "")
        v = re.sub(r"\s*,\s*", ", ", v)
    return re.sub(r"\s+", " ", v).strip()


def clean_decoded(raw):
    """The decoded value when `raw` decodes strictly to text free of
    control characters; None when it is too broken to compare."""
    try:
        v = decode_header_value(raw, "strict")
    except (UnicodeDecodeError, LookupError, binascii.Error, ValueError):
        return None
    if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in v):
        return None
    return v


# ---------------------------------------------------------------------------
# Raw message structure.

def split_message(data):
    """(header bytes, body bytes) at the first empty line (LF or CRLF)."""
    m = re.search(rb"\r?\n\r?\n", data)
    if m is None:
        return data, b""
    return data[:m.start() + 1], data[m.end():]


def parse_raw_headers(data):
    """[(name, raw value bytes)] of the header block; lines without a
    colon are skipped, continuation lines are kept in the value."""
    head, _ = split_message(data)
    headers = []
    for line in re.split(rb"\r?\n", head):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\n" + line)
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or re.search(rb"[\x00-\x20\x7f-\xff]", name):
            continue
        headers.append((name.decode("ascii"), value.lstrip(b" \t")))
    return headers


def header_values(headers, name):
    return [v for n, v in headers if n.lower() == name.lower()]


def printable(s):
    """The escaping of sanitizer/util/mg_printable.c (no flags)."""
    out = []
    for ch in s:
        c = ord(ch)
        hidden = (c < 0x20 or 0x7F <= c <= 0x9F or c in (0x061C, 0x200E,
                  0x200F, 0x2060, 0xFEFF, 0x2028, 0x2029)
                  or 0x202A <= c <= 0x202E or 0x2066 <= c <= 0x2069
                  or 0x200B <= c <= 0x200D)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= c <= 0xDCFF:  # surrogateescape'd raw byte
            out.append("\\x%02X" % (c - 0xDC00))
        elif hidden and c < 0x80:
            out.append("\\x%02X" % c)
        elif hidden:
            out.append("\\u{%04X}" % c)
        else:
            out.append(ch)
    return "".join(out)


def x_mugaika_fields(value):
    """('disposition', {param: value}) of an X-Mugaika header value."""
    items = [x.strip() for x in value.split(";")]
    params = {}
    for it in items[1:]:
        k, sep, v = it.partition("=")
        if sep:
            params[k.strip().lower()] = v.strip().strip('"')
    return items[0], params


# ---------------------------------------------------------------------------
# The checks every output with exit 0 must pass.

def check_output(out, inp, report, charset="utf-8", subject_tagged=False,
                 check_headers=True):
    """Check output message bytes `out` against the contract.

    Returns (errors, info): info has "body" (decoded text or None) and
    "headers" (raw header list of the output)."""
    errs = []
    info = {"body": None, "headers": []}
    charset = charset.lower()

    if b"\x00" in out:
        errs.append("output contains NUL bytes")
    if b"\r" in out:
        errs.append("output contains CR (LF line endings expected)")
    for i, line in enumerate(out.split(b"\n")):
        if len(line) > 998:
            errs.append("output line %d is %d bytes (> 998)" % (i + 1,
                                                               len(line)))
            break

    try:
        msg = email.message_from_bytes(out, policy=email.policy.default)
    except Exception as e:  # the parser should never raise; report it
        errs.append("output does not parse: %r" % e)
        return errs, info
    if msg.defects:
        errs.append("output parse defects: %s" % ", ".join(
            type(d).__name__ for d in msg.defects))
    if msg.is_multipart():
        errs.append("output is multipart")
    if msg.get_content_type() != "text/plain":
        errs.append("output Content-Type is %s" % msg.get_content_type())
    cs = (msg.get_param("charset") or "")
    cs = cs.lower() if isinstance(cs, str) else ""
    if cs != charset:
        errs.append("output charset is %r, expected %r" % (cs, charset))

    hdrs = parse_raw_headers(out)
    info["headers"] = hdrs
    # Kept headers with 8-bit text are re-encoded (RFC 2047): the LGWAN
    # side is not assumed to speak SMTPUTF8 (RFC 6532).
    bad8 = re.search(rb"[\x80-\xff]", split_message(out)[0])
    if bad8:
        errs.append("output header block has 8-bit bytes (offset %d)" %
                    bad8.start())
    names = [n.lower() for n, _ in hdrs]
    if names.count("mime-version") != 1:
        errs.append("MIME-Version appears %d times" %
                    names.count("mime-version"))
    elif header_values(hdrs, "MIME-Version")[0].strip() != b"1.0":
        errs.append("MIME-Version is not 1.0")
    for n in ("content-type", "content-transfer-encoding"):
        if names.count(n) != 1:
            errs.append("%s appears %d times" % (n, names.count(n)))
    extra = sorted({n for n in names if n.startswith("content-")} -
                   {"content-type", "content-transfer-encoding"})
    if extra:
        errs.append("other Content-* headers kept: %s" % ", ".join(extra))
    xm = [n for n in names if n.startswith("x-mugaika")]
    if names.count("x-mugaika") != 1:
        errs.append("X-Mugaika appears %d times" % names.count("x-mugaika"))
    if set(xm) - {"x-mugaika"}:
        errs.append("other X-Mugaika* headers present: %s" %
                    ", ".join(sorted(set(xm) - {"x-mugaika"})))

    # The X-Mugaika header agrees with the report.
    if names.count("x-mugaika") == 1 and isinstance(report, dict):
        raw = header_values(hdrs, "X-Mugaika")[0]
        val = decode_header_value(raw, "replace")
        disp, params = x_mugaika_fields(val)
        if disp != report.get("disposition"):
            errs.append("X-Mugaika disposition %r, report says %r" %
                        (disp, report.get("disposition")))
        qid = report.get("quarantine_id")
        if params.get("id") != (qid if qid else "-"):
            errs.append("X-Mugaika id=%r, report quarantine_id %r" %
                        (params.get("id"), qid))

    # The body decodes strictly in the declared charset.
    _, body_raw = split_message(out)
    cte = msg.get("Content-Transfer-Encoding", "")
    cte = str(cte).strip().lower()
    want_cte = "7bit" if charset == "iso-2022-jp" else "base64"
    if cte != want_cte:
        errs.append("Content-Transfer-Encoding %r, expected %r" % (cte,
                                                                  want_cte))
    data = None
    if cte == "base64":
        compact = re.sub(rb"[\r\n]", b"", body_raw)
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as e:
            errs.append("body is not valid base64: %s" % e)
    elif cte in ("7bit", ""):
        data = body_raw
        if re.search(rb"[\x80-\xff]", data):
            errs.append("7bit body has 8-bit bytes")
    else:
        data = body_raw
    body = None
    if data is not None:
        try:
            if charset == "iso-2022-jp":
                body = data.decode("iso2022_jp")
            else:
                body = data.decode(charset)
        except (UnicodeDecodeError, LookupError) as e:
            errs.append("body does not decode as %s: %s" % (charset, e))
            body = data.decode(charset if charset != "iso-2022-jp"
                               else "utf-8", "replace")
    info["body"] = body
    if body is not None:
        if "\u202e" in body:
            errs.append("body contains a raw U+202E")
        bad = sorted({"%02X" % ord(c) for c in body
                      if (ord(c) < 0x20 and c not in "\n\t")
                      or ord(c) == 0x7F})
        if bad:
            errs.append("body contains control characters %s" %
                        " ".join(bad))

    # The input's identifying headers are carried over.
    if check_headers:
        in_hdrs = parse_raw_headers(inp)
        for name in KEPT_HEADERS:
            ivals = header_values(in_hdrs, name)
            if not ivals:
                continue
            ovals = header_values(hdrs, name)
            if not ovals:
                errs.append("header %s dropped" % name)
                continue
            if name == "Subject" and subject_tagged:
                continue
            want = clean_decoded(ivals[0])
            if want is None:
                continue
            want = normalize_for_compare(name, want)
            got = [normalize_for_compare(name, decode_header_value(
                v, "replace")) for v in ovals]
            if want not in got:
                errs.append("header %s is %r, input had %r" %
                            (name, got[0], want))
    return errs, info


def check_report_shape(report):
    """The report's keys and values as the contract fixes them."""
    errs = []
    if not isinstance(report, dict):
        return ["report is not a JSON object"]
    disp = report.get("disposition")
    if disp not in DISPOSITIONS:
        errs.append("report disposition %r unknown" % (disp,))
    qid = report.get("quarantine_id", "missing")
    if qid is not None and not (isinstance(qid, str) and qid):
        errs.append("report quarantine_id %r is not a string or null" %
                    (qid,))
    parts = report.get("parts")
    if not isinstance(parts, list):
        errs.append("report parts is not a list")
        parts = []
    reasons = report.get("reasons")
    if not isinstance(reasons, list):
        errs.append("report reasons is not a list")
        reasons = []
    for r in reasons:
        if r not in REASON_IDS:
            errs.append("report reason %r unknown" % (r,))
    for p in parts:
        if not isinstance(p, dict):
            errs.append("report part is not an object")
            continue
        where = "part %s" % p.get("path")
        if p.get("action") not in ACTIONS:
            errs.append("%s: action %r unknown" % (where, p.get("action")))
        if p.get("reason") is not None and p.get("reason") not in \
                REASON_IDS | {"none"}:
            errs.append("%s: reason %r unknown" % (where, p.get("reason")))
        sha = p.get("sha256")
        if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
            errs.append("%s: sha256 %r malformed" % (where, sha))
        size = p.get("size")
        if size is not None and not (isinstance(size, int) and size >= 0):
            errs.append("%s: size %r malformed" % (where, size))
    removed = [p for p in parts if isinstance(p, dict)
               and p.get("action") == "removed"]
    if disp == "clean" and removed:
        errs.append("disposition clean but %d part(s) removed" %
                    len(removed))
    if disp == "sanitized" and not removed and not reasons:
        errs.append("disposition sanitized but no part removed and no "
                    "message-level reason")
    if disp in ("sanitized", "quarantined") and not qid:
        errs.append("disposition %s without a quarantine_id" % disp)
    if disp == "quarantined" and not reasons:
        errs.append("disposition quarantined without a reason")
    return errs


def check_notice(body, report):
    """Each removed part, and the quarantine id, is named in the notice."""
    errs = []
    if body is None or not isinstance(report, dict):
        return errs
    disp = report.get("disposition")
    qid = report.get("quarantine_id")
    if disp in ("sanitized", "quarantined") and qid and qid not in body:
        errs.append("quarantine id %s not in the body" % qid)
    if disp != "sanitized":
        # A held message's notice may summarise instead of listing.
        return errs
    for p in report.get("parts") or []:
        if not isinstance(p, dict) or p.get("action") != "removed":
            continue
        fn = p.get("filename")
        if fn and printable(fn) not in body:
            errs.append("removed part %s: name %r not in the notice" %
                        (p.get("path"), printable(fn)))
        sha = p.get("sha256")
        if sha and sha not in body:
            errs.append("removed part %s: sha256 not in the notice" %
                        p.get("path"))
    return errs


def value_matches(want, got):
    if isinstance(want, list):
        return any(value_matches(w, got) for w in want)
    return want == got


def match_parts(wanted, parts):
    """Assign each wanted pattern to a distinct part (backtracking)."""
    cands = []
    for w in wanted:
        cands.append([i for i, p in enumerate(parts) if isinstance(p, dict)
                      and all(k in p and value_matches(v, p[k])
                              for k, v in w.items())])
    order = sorted(range(len(wanted)), key=lambda i: len(cands[i]))
    used = set()
    missing = []

    def solve(k):
        if k == len(order):
            return True
        for c in cands[order[k]]:
            if c not in used:
                used.add(c)
                if solve(k + 1):
                    return True
                used.discard(c)
        return False

    if solve(0):
        return []
    for i, w in enumerate(wanted):
        if not cands[i]:
            missing.append(w)
    if not missing:
        missing = wanted  # each matches something, not all at once
    return missing


# ---------------------------------------------------------------------------
# Config.

def _conf_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def render_conf(template, qdir, tdir, overrides=None):
    """The test config with its placeholders filled and `overrides`
    ({group: {key: value}}) set: an existing key is replaced in place, a
    new one goes at the end of its group, a new group at the end."""
    text = template.replace("@QUARANTINE_DIR@", str(qdir))
    text = text.replace("@TEMPLATES_DIR@", str(tdir))
    # The test signatures live beside the templates' repository.
    sigs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(str(tdir)))),
                        "corpus", "signatures")
    text = text.replace("@SIGNATURES_DIR@", sigs)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for group, kv in (overrides or {}).items():
        for key, value in kv.items():
            newline = "%s = %s" % (key, _conf_value(value))
            start = None
            for i, ln in enumerate(lines):
                if ln.strip() == "[%s]" % group:
                    start = i
                    break
            if start is None:
                lines += ["", "[%s]" % group, newline]
                continue
            end = len(lines)
            for i in range(start + 1, len(lines)):
                if lines[i].strip().startswith("["):
                    end = i
                    break
            done = False
            for i in range(start + 1, end):
                k = lines[i].split("=", 1)[0].strip()
                if "=" in lines[i] and not lines[i].lstrip().startswith(
                        "#") and k == key:
                    lines[i] = newline
                    done = True
                    break
            if not done:
                last = end
                while last > start + 1 and lines[last - 1].strip() == "":
                    last -= 1
                lines.insert(last, newline)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Running the CLI.

class Run:
    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


def run_cli(cli, args, timeout, stdin=None):
    try:
        p = subprocess.run([cli] + args, stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run(None, b"", b"timed out after %d s" % timeout)
    return Run(p.returncode, p.stdout, p.stderr)


def sanitizer_errors(run):
    text = run.stderr.decode("utf-8", "replace")
    errs = []
    for mark in SANITIZER_MARKS:
        if mark in text:
            i = text.index(mark)
            errs.append("sanitizer report: %s" %
                        text[i:i + 300].splitlines()[0])
            break
    return errs


def describe_rc(rc):
    if rc is None:
        return "timeout"
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit %d" % rc


def sanitize_once(cli, conf_path, inp_path, workdir, timeout):
    """Run `mugaika sanitize`; returns (Run, out path, report path)."""
    out_path = Path(workdir) / "out.eml"
    rep_path = Path(workdir) / "report.json"
    run = run_cli(cli, ["sanitize", "--config", str(conf_path), "--report",
                        str(rep_path), str(inp_path), str(out_path)],
                  timeout)
    return run, out_path, rep_path


def load_report(rep_path):
    """(report or None, error or None)."""
    if not rep_path.exists():
        return None, "no report written"
    try:
        return json.loads(rep_path.read_bytes().decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, "report is not JSON: %s" % e


def check_quarantine(cli, conf_path, qid, original, timeout):
    """The stored original equals the input and is listed."""
    errs = []
    run = run_cli(cli, ["quarantine", "--config", str(conf_path), "export",
                        qid], timeout)
    errs += sanitizer_errors(run)
    if run.rc != 0:
        errs.append("quarantine export %s: %s: %s" % (
            qid, describe_rc(run.rc),
            run.stderr.decode("utf-8", "replace").strip()[:200]))
    elif run.stdout != original:
        errs.append("quarantine export %s differs from the input "
                    "(%d bytes vs %d)" % (qid, len(run.stdout),
                                          len(original)))
    run = run_cli(cli, ["quarantine", "--config", str(conf_path), "list",
                        "--json"], timeout)
    errs += sanitizer_errors(run)
    if run.rc != 0:
        errs.append("quarantine list: %s" % describe_rc(run.rc))
    else:
        try:
            json.loads(run.stdout.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            errs.append("quarantine list --json is not JSON: %s" % e)
        if qid.encode() not in run.stdout:
            errs.append("quarantine list does not name %s" % qid)
    return errs


# ---------------------------------------------------------------------------
# One case.

def as_list(v):
    return v if isinstance(v, list) else [v]


def mask_body(body, report):
    qid = report.get("quarantine_id") if isinstance(report, dict) else None
    if qid:
        body = body.replace(qid, "@QID@")
    return body


def run_case(case_dir, args, template):
    """Returns (name, errors, notes)."""
    name = "%s/%s" % (case_dir.parent.name, case_dir.name)
    errs = []
    notes = []
    try:
        expect = json.loads((case_dir / "expect.json").read_text("utf-8"))
    except (OSError, ValueError) as e:
        return name, ["expect.json: %s" % e], notes
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        errs.append("expect.json: unknown keys %s" % sorted(unknown))
    if "description" not in expect:
        errs.append("expect.json: no description")
    inp_path = case_dir / "input.eml"
    try:
        inp = inp_path.read_bytes()
    except OSError as e:
        return name, errs + ["input.eml: %s" % e], notes

    tmp = Path(tempfile.mkdtemp(prefix="mgcorpus-"))
    try:
        qdir = tmp / "quarantine"
        qdir.mkdir()
        overrides = expect.get("config") or {}
        conf_path = tmp / "test.conf"
        conf_path.write_text(render_conf(template, qdir, args.templates,
                                         overrides), "utf-8")
        run, out_path, rep_path = sanitize_once(args.cli, conf_path,
                                                inp_path, tmp, args.timeout)
        errs += sanitizer_errors(run)
        want_exit = as_list(expect.get("exit", 0))
        if run.rc not in want_exit:
            errs.append("%s, expected exit %s; stderr: %s" % (
                describe_rc(run.rc), "/".join(map(str, want_exit)),
                run.stderr.decode("utf-8", "replace").strip()[:300]))
            return name, errs, notes
        out_exists = out_path.exists() and out_path.stat().st_size > 0
        no_output = bool(expect.get("no_output"))
        if run.rc != 0 or no_output:
            if out_exists:
                errs.append("exit %d but an output was written" % run.rc)
        elif not out_exists:
            errs.append("exit 0 but no output written")
            return name, errs, notes

        report = None
        if run.rc in (0, 2):
            report, err = load_report(rep_path)
            if err:
                errs.append(err)
            else:
                errs += check_report_shape(report)
        if report is not None and "disposition" in expect:
            want = as_list(expect["disposition"])
            if report.get("disposition") not in want:
                errs.append("disposition %r, expected %s" % (
                    report.get("disposition"), "/".join(want)))
        if report is not None and "reasons" in expect:
            got = report.get("reasons") or []
            for r in expect["reasons"]:
                if r not in got:
                    errs.append("reason %r not in report reasons %s" %
                                (r, got))
        if report is not None and "parts" in expect:
            parts = report.get("parts") or []
            for w in match_parts(expect["parts"], parts):
                errs.append("no report part matches %s" % json.dumps(
                    w, ensure_ascii=False))
            if expect.get("parts_exact") and \
                    len(parts) != len(expect["parts"]):
                errs.append("report has %d parts, expected %d" % (
                    len(parts), len(expect["parts"])))

        if run.rc != 0 or no_output:
            # Nothing delivered (reject, discard): the original must
            # still be in quarantine when the report names an id.
            qid = report.get("quarantine_id") if isinstance(report, dict) \
                else None
            if expect.get("original_kept", bool(qid)):
                if not qid:
                    errs.append("original_kept but no quarantine_id")
                else:
                    errs += check_quarantine(args.cli, conf_path, qid, inp,
                                             args.timeout)
            return name, errs, notes

        out = out_path.read_bytes()
        tagged = bool((overrides.get("notice") or {}).get("subject_tag"))
        cerrs, info = check_output(
            out, inp, report, charset=expect.get("charset", "utf-8"),
            subject_tagged=tagged,
            check_headers=expect.get("check_headers", True))
        errs += cerrs
        body = info["body"]
        errs += check_notice(body, report)
        hdrs = info["headers"]

        if body is not None:
            for s in expect.get("body_contains", []):
                if s not in body:
                    errs.append("body lacks %r" % s)
            for s in expect.get("body_not_contains", []):
                if s in body:
                    errs.append("body contains %r" % s)
            pos = 0
            for s in expect.get("body_order", []):
                i = body.find(s, pos)
                if i < 0:
                    errs.append("body lacks %r in order" % s)
                    break
                pos = i + len(s)
        for hname, want in (expect.get("headers") or {}).items():
            vals = header_values(hdrs, hname)
            got = decode_header_value(vals[0], "replace").strip() \
                if vals else None
            if got != want:
                errs.append("header %s is %r, expected %r" % (hname, got,
                                                              want))
        for hname, pat in (expect.get("headers_match") or {}).items():
            vals = header_values(hdrs, hname)
            got = decode_header_value(vals[0], "replace").strip() \
                if vals else ""
            if not re.search(pat, got):
                errs.append("header %s is %r, expected to match %r" % (
                    hname, got, pat))
        for hname in expect.get("headers_absent", []):
            if header_values(hdrs, hname):
                errs.append("header %s present" % hname)

        disp = report.get("disposition") if isinstance(report, dict) \
            else None
        keep = expect.get("original_kept",
                          disp in ("sanitized", "quarantined"))
        if keep:
            qid = report.get("quarantine_id") if isinstance(report, dict) \
                else None
            if not qid:
                errs.append("original_kept but no quarantine_id")
            else:
                errs += check_quarantine(args.cli, conf_path, qid, inp,
                                         args.timeout)

        exp_txt = case_dir / "expected.txt"
        if body is not None:
            masked = mask_body(body, report)
            if args.bless and expect.get("bless"):
                if not errs:
                    with open(exp_txt, "w", encoding="utf-8",
                              newline="") as f:
                        f.write(masked)
                    notes.append("blessed")
                else:
                    notes.append("not blessed (failing)")
            elif exp_txt.exists():
                want = exp_txt.read_bytes().decode("utf-8")
                if masked != want:
                    errs.append("body differs from expected.txt: %s" %
                                first_difference(want, masked))
        if errs and args.show and body is not None:
            notes.append("body:\n" + body)
        return name, errs, notes
    finally:
        if args.keep:
            notes.append("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def first_difference(want, got):
    wl = want.split("\n")
    gl = got.split("\n")
    for i in range(max(len(wl), len(gl))):
        a = wl[i] if i < len(wl) else "<end>"
        b = gl[i] if i < len(gl) else "<end>"
        if a != b:
            return "line %d: expected %r, got %r" % (i + 1, a, b)
    return "(no line differs)"


# ---------------------------------------------------------------------------
# Checks of the command line itself, run beside the cases.

STDIO_CASE = "text/outlook_iso2022jp_rfc2047_quoted_filename"


def check_cli_usage(args, template):
    """An unknown option is a usage error (exit 64), nothing written."""
    run = run_cli(args.cli, ["sanitize", "--no-such-option"], args.timeout)
    errs = sanitizer_errors(run)
    if run.rc != 64:
        errs.append("unknown option: %s, expected exit 64" %
                    describe_rc(run.rc))
    if run.stdout:
        errs.append("unknown option: %d bytes on stdout" % len(run.stdout))
    return "cli/usage", errs, []


def check_cli_stdio(args, template):
    """IN and OUT omitted: stdin to stdout gives what files give."""
    case_dir = Path(args.corpus) / STDIO_CASE
    if not (case_dir / "input.eml").exists():
        return "cli/stdio", [], ["skipped: no %s" % STDIO_CASE]
    inp = (case_dir / "input.eml").read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="mgcorpus-"))
    errs = []
    try:
        qdir = tmp / "quarantine"
        qdir.mkdir()
        conf = tmp / "test.conf"
        conf.write_text(render_conf(template, qdir, args.templates), "utf-8")
        run, out_path, rep_path = sanitize_once(
            args.cli, conf, case_dir / "input.eml", tmp, args.timeout)
        errs += sanitizer_errors(run)
        if run.rc != 0 or not out_path.exists():
            return "cli/stdio", errs + ["file mode: %s" %
                                        describe_rc(run.rc)], []
        report, err = load_report(rep_path)
        if err:
            return "cli/stdio", errs + [err], []
        _, finfo = check_output(out_path.read_bytes(), inp, report)
        with open(case_dir / "input.eml", "rb") as f:
            run = run_cli(args.cli, ["sanitize", "--config", str(conf),
                                     "--report", str(tmp / "r2.json")],
                          args.timeout, stdin=f)
        errs += sanitizer_errors(run)
        if run.rc != 0:
            return "cli/stdio", errs + ["stdin mode: %s: %s" % (
                describe_rc(run.rc),
                run.stderr.decode("utf-8", "replace").strip()[:200])], []
        report2, err = load_report(tmp / "r2.json")
        if err:
            return "cli/stdio", errs + [err], []
        cerrs, sinfo = check_output(run.stdout, inp, report2)
        errs += ["stdout: " + e for e in cerrs]
        if finfo["body"] is not None and sinfo["body"] is not None and \
                mask_body(finfo["body"], report) != \
                mask_body(sinfo["body"], report2):
            errs.append("stdout body differs from the file-mode body: %s" %
                        first_difference(mask_body(finfo["body"], report),
                                         mask_body(sinfo["body"], report2)))
        return "cli/stdio", errs, []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


CLI_CHECKS = {"cli/usage": check_cli_usage, "cli/stdio": check_cli_stdio}


def find_cases(corpus, only):
    cases = []
    for exp in sorted(Path(corpus).glob("*/*/expect.json")):
        d = exp.parent
        name = "%s/%s" % (d.parent.name, d.name)
        if only and not any(fnmatch.fnmatch(name, pat) or pat in name
                            for pat in only):
            continue
        cases.append(d)
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=str(REPO / "build" / "cli" /
                                         "mugaika"),
                    help="the mugaika binary")
    ap.add_argument("--corpus", default=str(REPO / "corpus"))
    ap.add_argument("--conf", default=str(REPO / "corpus" / "test.conf"))
    ap.add_argument("--templates", default=str(REPO / "conf" /
                                               "templates"))
    ap.add_argument("--only", action="append", default=[],
                    metavar="PATTERN",
                    help="run cases whose area/name contains PATTERN or "
                         "matches it as a glob (repeatable)")
    ap.add_argument("--bless", action="store_true",
                    help="write expected.txt for passing cases that say "
                         '"bless": true')
    ap.add_argument("--jobs", "-j", type=int,
                    default=min(4, os.cpu_count() or 1))
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds per CLI call")
    ap.add_argument("--keep", action="store_true",
                    help="keep each case's temporary directory")
    ap.add_argument("--show", action="store_true",
                    help="print the output body of failing cases")
    args = ap.parse_args(argv)

    if not os.access(args.cli, os.X_OK):
        print("run_corpus: %s is not an executable" % args.cli)
        return 1
    template = Path(args.conf).read_text("utf-8")
    cases = find_cases(args.corpus, args.only)
    checks = [fn for name, fn in CLI_CHECKS.items()
              if not args.only or any(fnmatch.fnmatch(name, pat) or
                                      pat in name for pat in args.only)]
    if not cases and not checks:
        print("run_corpus: no case found under %s" % args.corpus)
        return 1
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(fn, args, template) for fn in checks]
        futs += [ex.submit(run_case, d, args, template) for d in cases]
        for f in futs:
            name, errs, notes = f.result()
            if errs:
                failed += 1
                print("FAIL %s" % name)
                for e in errs[:MAX_ERRORS]:
                    print("     - %s" % e)
                if len(errs) > MAX_ERRORS:
                    print("     - ... and %d more" % (len(errs) - MAX_ERRORS))
                for n in notes:
                    if "\n" not in n:
                        print("     (%s)" % n)
            else:
                passed += 1
                print("ok   %s%s" % (name, "  (%s)" % "; ".join(
                    n for n in notes if "\n" not in n) if notes else ""))
            for n in notes:
                if "\n" in n:
                    print("     " + n.replace("\n", "\n     "))
            sys.stdout.flush()
    print("corpus: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
