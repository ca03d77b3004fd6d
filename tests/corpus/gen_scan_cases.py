#!/usr/bin/env python3
"""Generate the threat-detection corpus (scan/) at test time.

    gen_scan_cases.py --out DIR

writes DIR/scan/<case>/input.eml and expect.json, a corpus tree that

    run_corpus.py --cli CLI --corpus DIR --conf corpus/test.conf

runs like the stored one.  The cases carry hostile test bytes: the EICAR
test string, our own test marker (both matched by the signatures in
corpus/signatures/), Debian's clamav-testfiles, encrypted archives,
archive bombs, archives nested too deep or with too many members, unsafe
member names, executables disguised by their names, shortcuts and disk
images.  None of them is stored in the repository in plain form: every
case is built here, at run time, and the EICAR string and the marker are
assembled from two halves so that no source file matches a signature.

Archives are written by hand (zip, LHA levels 0-2, CAB, 7z, RAR 4, ISO
9660, zstd, ar, TNEF), because the standard library cannot write most of
them and because the cases need bytes no ordinary writer produces: names
in CP932 without the UTF-8 flag, ZipCrypto and WinZip AES headers, "../"
names, a bad CRC, a deflate stream of 300 MB of zeros.  Each writer was
checked against libarchive (through the engine's own member listing).
Cases that need files from outside the repository
(/usr/share/clamav-testfiles, ../shared/corpus-external) are skipped,
with a note, when those files are absent.

With --cli CLI the generator also runs the corpus it wrote through
run_corpus.py (into a temporary directory unless --out is given) and exits
with the runner's status, so one command can serve as a CTest test.

The expectations assert only what the contract fixes (exit code,
disposition, reasons, the report parts with their names, reasons and
threat names, the quarantine notice); no expected.txt is ever written.
See tests/corpus/scan_cases.md for what each case proves.

Python 3.11 standard library only.
"""

import argparse
import bz2
import gzip
import hashlib
import io
import json
import lzma
import random
import shutil
import struct
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_cases as gc  # noqa: E402  (message helpers; no side effects)
import run_corpus as rc  # noqa: E402

REPO = HERE.parents[1]
TESTFILES = Path("/usr/share/clamav-testfiles")
EXTERNAL = REPO.parent / "shared" / "corpus-external"

AREA = "scan"

# ---------------------------------------------------------------------------
# The test strings, from two halves each (corpus/signatures/README.md).

_EICAR_A = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
_EICAR_B = "ANTIVIRUS-TEST-FILE!$H+H*"
EICAR = (_EICAR_A + _EICAR_B).encode("ascii")
assert len(EICAR) == 68
assert hashlib.sha256(EICAR).hexdigest() == (
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f")

MARKER = ("MUGAIKA-TEST-MARKER-" + "QBJCZEAW7S76KJW37VUEDZJ6Q5SN8M7T").encode(
    "ascii")
assert len(MARKER) == 52

T_EICAR = "Mugaika.Test.EICAR.UNOFFICIAL"
T_EICAR_HTML = "Mugaika.Test.EICAR.HTML.UNOFFICIAL"
T_MARKER = "Mugaika.Test.Marker.UNOFFICIAL"
T_MARKER_HTML = "Mugaika.Test.Marker.HTML.UNOFFICIAL"
T_CLAM = "Mugaika.Test.ClamavTestfile.UNOFFICIAL"

# Wording of the notices (conf/templates/virus.ja.txt, held.ja.txt).
VIRUS_NOTICE = ["【ウイルス検出のお知らせ】", "隔離ID:"]
HELD_NOTICE = ["【隔離のお知らせ】", "隔離ID:"]

DOS_TIME = (2024, 11, 1, 9, 0, 0)


def dos_datetime(t=DOS_TIME):
    y, mo, d, h, mi, s = t
    return ((h << 11) | (mi << 5) | (s // 2),
            ((y - 1980) << 9) | (mo << 5) | d)


def rnd(seed, n):
    r = random.Random(seed)
    return r.randbytes(n)


# ---------------------------------------------------------------------------
# Zip (APPNOTE.TXT 4.3), written by hand: the flags, names and data are
# exactly what the case asks for.

class ZipMember:
    def __init__(self, name, data, method=8, flags=0, extra=b"",
                 payload=None, crc=None, usize=None):
        self.name = name if isinstance(name, bytes) else name.encode("ascii")
        self.method = method
        self.flags = flags
        self.extra = extra
        if payload is None:
            if method == 8:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                payload = c.compress(data) + c.flush()
            elif method == 0:
                payload = data
            else:
                raise ValueError("method %d needs a payload" % method)
        self.payload = payload
        self.crc = zlib.crc32(data) if crc is None else crc
        self.usize = len(data) if usize is None else usize


def zip_raw(members):
    out = bytearray()
    central = bytearray()
    t, d = dos_datetime()
    for m in members:
        off = len(out)
        fields = struct.pack("<HHHHHIIIHH", 20, m.flags, m.method, t, d,
                             m.crc, len(m.payload), m.usize, len(m.name),
                             len(m.extra))
        out += b"PK\x03\x04" + fields + m.name + m.extra + m.payload
        central += (b"PK\x01\x02" + struct.pack("<H", 0x0014) + fields +
                    struct.pack("<HHHII", 0, 0, 0, 0x20, off) +
                    m.name + m.extra)
    cd_off = len(out)
    out += central
    out += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members),
                                       len(members), len(central), cd_off,
                                       0)
    return bytes(out)


def zip_of(files):
    """A deflated zip of [(name, data)] (ASCII or UTF-8-flagged names)."""
    ms = []
    for name, data in files:
        flags = 0
        if isinstance(name, str) and not name.isascii():
            name = name.encode("utf-8")
            flags = 0x800
        ms.append(ZipMember(name, data, flags=flags))
    return zip_raw(ms)


# Traditional PKWARE encryption (APPNOTE 6.1), to make a real ZipCrypto
# archive without any external file.
_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def zipcrypto_encrypt(plain, password, crc, seed):
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(b):
        keys[0] = (keys[0] >> 8) ^ _CRC_TABLE[(keys[0] ^ b) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) \
            & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ _CRC_TABLE[(keys[2] ^ (keys[1] >> 24))
                                              & 0xFF]

    for b in password:
        update(b)
    header = rnd(seed, 11) + bytes((crc >> 24,))
    out = bytearray()
    for b in header + plain:
        t = (keys[2] | 2) & 0xFFFF
        out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
        update(b)
    return bytes(out)


def zip_zipcrypto(name, data, password=b"infected"):
    """name: the raw name bytes (no UTF-8 flag is set)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = c.compress(data) + c.flush()
    crc = zlib.crc32(data)
    payload = zipcrypto_encrypt(comp, password, crc, seed=name)
    z = zip_raw([ZipMember(name, data, flags=0x1, payload=payload)])
    # The standard library decrypts it back: the archive is real.
    import zipfile
    with zipfile.ZipFile(io.BytesIO(z)) as zf:
        assert zf.read(name.decode("cp437"), pwd=password) == data
    return z


def zip_winzip_aes_header(name, size):
    """A zip entry as WinZip writes AES-256 (AE-2, method 99 with the
    0x9901 extra field); the ciphertext is random bytes, since nothing
    may ever decrypt it: what counts is that the header says AES."""
    extra = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)
    payload = rnd(b"aes" + name.encode(), 16 + 2 + size + 10)
    return zip_raw([ZipMember(name, b"", method=99, flags=0x1, extra=extra,
                              payload=payload, crc=0, usize=size)])


def zip_bomb(total, chunk=1 << 20):
    """One member of `total` zero bytes, deflated (about 1000:1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero = bytes(chunk)
    parts = []
    crc = 0
    left = total
    while left > 0:
        n = min(chunk, left)
        block = zero if n == chunk else bytes(n)
        parts.append(c.compress(block))
        crc = zlib.crc32(block, crc)
        left -= n
    parts.append(c.flush())
    payload = b"".join(parts)
    return zip_raw([ZipMember("zeros.bin", b"", payload=payload, crc=crc,
                              usize=total)])


# ---------------------------------------------------------------------------
# LHA (LZH), stored method -lh0-, header levels 0, 1 and 2, names as bytes
# (CP932 as Japanese archivers write them).

def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def lha_member(name, data, level=0, dirname=None):
    """One -lh0- member.  Level 0 keeps any directory in the name (DOS
    style, "\\" between parts); levels 1 and 2 put it in a directory
    extended header (0x02) with 0xFF between parts, as LHA for Windows
    and LHa for UNIX write it."""
    t, d = dos_datetime()
    crc = struct.pack("<H", crc16_arc(data))
    if level == 0:
        assert dirname is None
        body = (b"-lh0-" + struct.pack("<IIHHBB", len(data), len(data), t,
                                       d, 0x20, 0) +
                bytes((len(name),)) + name + crc)
        assert len(body) < 256
        return bytes((len(body), sum(body) & 0xFF)) + body + data
    # Extended headers as libarchive reads them: a 16-bit size (counting
    # itself), a type byte, the data; a zero size ends the list.
    exts = b""
    if dirname is not None:
        ext = b"\x02" + dirname
        exts += struct.pack("<H", 2 + len(ext)) + ext
    if level == 1:
        # The last "next header size" of the base header is the first
        # extended header's size, so it is counted in the base header.
        base = (b"-lh0-" + struct.pack("<IIHHBB", len(data) + len(exts),
                                       len(data), t, d, 0x20, 1) +
                bytes((len(name),)) + name + crc + b"M")
        first = exts[:2] if exts else b"\0\0"
        rest = exts[2:] + (b"\0\0" if exts else b"")
        body = base + first
        assert len(body) < 256
        return (bytes((len(body), sum(body) & 0xFF)) + body + rest +
                data)
    if level == 2:
        ext = b"\x01" + name
        exts = struct.pack("<H", 2 + len(ext)) + ext + exts
        crc_ext = struct.pack("<H", 5) + b"\x00" + b"\0\0"
        tail = crc_ext + exts + b"\0\0"
        size = 24 + len(tail)
        fixed = (struct.pack("<H", size) + b"-lh0-" +
                 struct.pack("<IIIBB", len(data), len(data), 1730451600,
                             0x20, 2) + crc + b"M")
        assert len(fixed) == 24
        hdr = bytearray(fixed + tail)
        hcrc = crc16_arc(bytes(hdr))
        hdr[27:29] = struct.pack("<H", hcrc)
        return bytes(hdr) + data
    raise ValueError("level %d" % level)


def lha_of(files, level=0):
    """files: [(name bytes, data)] or [(name, data, dirname bytes)]."""
    out = b""
    for f in files:
        dirname = f[2] if len(f) > 2 else None
        out += lha_member(f[0], f[1], level, dirname)
    return out + b"\0"


# ---------------------------------------------------------------------------
# CAB (MS-CAB), one folder, no compression.

def cab_of(files):
    """files: [(name bytes, data, utf8 flag)]."""
    t, d = dos_datetime()
    n = len(files)
    data = b"".join(f[1] for f in files)
    cffiles = bytearray()
    off = 0
    for name, fdata, utf8 in files:
        attribs = 0x20 | (0x80 if utf8 else 0)
        cffiles += struct.pack("<IIHHHH", len(fdata), off, 0, d, t,
                               attribs) + name + b"\0"
        off += len(fdata)
    blocks = [data[i:i + 32768] for i in range(0, len(data), 32768)] or [b""]
    head_len = 36 + 8
    coff_files = head_len
    coff_data = head_len + len(cffiles)
    cfdata = b"".join(struct.pack("<IHH", 0, len(b), len(b)) + b
                      for b in blocks)
    total = coff_data + len(cfdata)
    header = b"MSCF" + struct.pack("<IIIIIBBHHHHH", 0, total, 0, coff_files,
                                   0, 3, 1, 1, n, 0, 0x1234, 0)
    folder = struct.pack("<IHH", coff_data, len(blocks), 0)
    return header + folder + bytes(cffiles) + cfdata


# ---------------------------------------------------------------------------
# 7z, one file, "Copy" coder, plain (unencoded) header (7zFormat.txt).

def sz_number(v):
    for extra in range(9):
        if extra == 8 or v < (1 << (7 * (extra + 1))):
            break
    if extra == 0:
        return bytes((v,))
    if extra == 8:
        return b"\xff" + struct.pack("<Q", v)
    high = v >> (8 * extra)
    first = (0xFF00 >> extra) & 0xFF | high
    return bytes((first,)) + (v & ((1 << (8 * extra)) - 1)).to_bytes(
        extra, "little")


def sevenzip_of(name, data):
    header = (b"\x01"                            # kHeader
              b"\x04"                            # kMainStreamsInfo
              b"\x06" + sz_number(0) + sz_number(1) +   # kPackInfo
              b"\x09" + sz_number(len(data)) + b"\x00" +
              b"\x07"                            # kUnPackInfo
              b"\x0b" + sz_number(1) + b"\x00" +  # kFolder, 1, not external
              sz_number(1) + b"\x01\x00" +       # 1 coder: id size 1, Copy
              b"\x0c" + sz_number(len(data)) +   # kCodersUnPackSize
              b"\x00" +
              b"\x08"                            # kSubStreamsInfo
              b"\x0a\x01" + struct.pack("<I", zlib.crc32(data)) +
              b"\x00" +
              b"\x00")                           # end of MainStreamsInfo
    names = b"\x00" + (name + "\0").encode("utf-16-le")
    header += (b"\x05" + sz_number(1) +          # kFilesInfo, 1 file
               b"\x11" + sz_number(len(names)) + names +
               b"\x00" +                         # end of FilesInfo
               b"\x00")                          # end of Header
    nxt = struct.pack("<QQI", len(data), len(header), zlib.crc32(header))
    start = b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack(
        "<I", zlib.crc32(nxt)) + nxt
    return start + data + header


# ---------------------------------------------------------------------------
# TNEF ([MS-OXTNEF] 2.1.3): signature, key, then attributes of level, id,
# length, data and a 16-bit checksum of the data.

ATT_TNEF_VERSION = 0x00089006
ATT_OEM_CODEPAGE = 0x00069007
ATT_MESSAGE_CLASS = 0x00078008
ATT_BODY = 0x0002800C
ATT_ATTACH_RENDDATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
LVL_MESSAGE = 1
LVL_ATTACHMENT = 2


def tnef_attr(level, att, data):
    return (bytes((level,)) + struct.pack("<II", att, len(data)) + data +
            struct.pack("<H", sum(data) & 0xFFFF))


def tnef_of(files, body=None):
    out = struct.pack("<IH", 0x223E9F78, 0x0F24)
    out += tnef_attr(LVL_MESSAGE, ATT_TNEF_VERSION,
                     struct.pack("<I", 0x00010000))
    out += tnef_attr(LVL_MESSAGE, ATT_OEM_CODEPAGE,
                     struct.pack("<II", 932, 0))
    out += tnef_attr(LVL_MESSAGE, ATT_MESSAGE_CLASS,
                     b"IPM.Microsoft Mail.Note\0")
    if body is not None:
        out += tnef_attr(LVL_MESSAGE, ATT_BODY, body)
    for name, data in files:
        # attAttachRenddata: file attachment, position -1, no size.
        rend = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)
        out += tnef_attr(LVL_ATTACHMENT, ATT_ATTACH_RENDDATA, rend)
        out += tnef_attr(LVL_ATTACHMENT, ATT_ATTACH_TITLE, name + b"\0")
        out += tnef_attr(LVL_ATTACHMENT, ATT_ATTACH_DATA, data)
    return out


# ---------------------------------------------------------------------------
# RAR 4 (RAR 1.5-4.x block format), stored (method 0x30).  libclamav in
# Debian has no unrar, so only the engine's own unpacking sees inside.

def rar4_of(files):
    """files: [(name bytes in the OEM code page, data)]."""
    def block(htype, flags, body):
        h = struct.pack("<BHH", htype, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(h) & 0xFFFF) + h

    t, d = dos_datetime()
    out = b"Rar!\x1a\x07\x00"
    out += block(0x73, 0, struct.pack("<HI", 0, 0))
    for name, data in files:
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 2,
                           zlib.crc32(data), (d << 16) | t, 20, 0x30,
                           len(name), 0x20) + name
        out += block(0x74, 0x8000, body) + data
    return out + block(0x7B, 0x4000, b"")


def zstd_raw(data):
    """A zstd frame (RFC 8878) of raw (stored) blocks, content size
    given."""
    out = struct.pack("<IB", 0xFD2FB528, (2 << 6) | (1 << 5))
    out += struct.pack("<I", len(data))
    blocks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    blocks = blocks or [b""]
    for i, b in enumerate(blocks):
        last = 1 if i == len(blocks) - 1 else 0
        out += ((len(b) << 3) | last).to_bytes(3, "little") + b
    return out


def ar_of(files):
    out = b"!<arch>\n"
    for name, data in files:
        out += (("%-16s%-12d%-6d%-6d%-8o%-10d" % (name + "/", 1730451600,
                                                  0, 0, 0o100644,
                                                  len(data)))
                .encode("ascii") + b"`\n" + data)
        if len(data) % 2:
            out += b"\n"
    return out


def both16(v):
    return struct.pack("<H", v) + struct.pack(">H", v)


def both32(v):
    return struct.pack("<I", v) + struct.pack(">I", v)


def iso_dirrec(name, extent, size, is_dir):
    rec = (both32(extent) + both32(size) +
           bytes((124, 11, 1, 9, 0, 0, 36)) +         # 2024-11-01 +09:00
           bytes((2 if is_dir else 0, 0, 0)) + both16(1) +
           bytes((len(name),)) + name)
    rec = bytes((len(rec) + 2, 0)) + rec
    return rec + (b"\0" if len(rec) % 2 else b"")


def iso_of(files):
    """An ISO 9660 image (ECMA-119) with files in its root directory:
    system area, primary volume descriptor (CD001 at 0x8001), terminator,
    L and M path tables, the root directory, then the file data."""
    ss = 2048
    first = 21
    extents = []
    nxt = first
    for name, data in files:
        extents.append(nxt)
        nxt += max(1, (len(data) + ss - 1) // ss)
    # libarchive reads 16 volume descriptor sectors ahead before it bids.
    total = max(nxt, 16 + 16)
    root = iso_dirrec(b"\0", 20, ss, True) + iso_dirrec(b"\1", 20, ss,
                                                        True)
    for (name, data), ext in zip(files, extents):
        root += iso_dirrec(name, ext, len(data), False)
    assert len(root) <= ss
    date = b"0" * 16 + b"\0"
    pvd = (b"\x01CD001\x01\x00" + b"MUGAIKA".ljust(32) +
           b"INVOICE".ljust(32) + bytes(8) + both32(total) + bytes(32) +
           both16(1) + both16(1) + both16(ss) + both32(10) +
           struct.pack("<II", 18, 0) + struct.pack(">II", 19, 0) +
           iso_dirrec(b"\0", 20, ss, True) +
           b" " * (128 * 4 + 37 * 3) + date * 4 + b"\x01\x00")
    pvd = pvd.ljust(ss, b"\0")
    term = b"\xffCD001\x01".ljust(ss, b"\0")
    lpt = (bytes((1, 0)) + struct.pack("<IH", 20, 1) + b"\0\0").ljust(
        ss, b"\0")
    mpt = (bytes((1, 0)) + struct.pack(">IH", 20, 1) + b"\0\0").ljust(
        ss, b"\0")
    img = bytes(16 * ss) + pvd + term + lpt + mpt + root.ljust(ss, b"\0")
    for name, data in files:
        img += data.ljust(max(1, (len(data) + ss - 1) // ss) * ss, b"\0")
    img = img.ljust(total * ss, b"\0")
    assert len(img) == total * ss
    return img


# ---------------------------------------------------------------------------
# Other files.

def targz_of(files, compress="gz"):
    """A tar of [(name, data)], compressed without a timestamp that
    would change from run to run."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) \
            as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1730419200
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    tar = buf.getvalue()
    if compress == "gz":
        return gzip.compress(tar, mtime=1730419200)
    if compress == "xz":
        return lzma.compress(tar)
    if compress == "bz2":
        return bz2.compress(tar)
    assert compress == ""
    return tar


def gzip_of(name, data):
    """gzip with the original name in the header (as gzip(1) writes)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf,
                       mtime=1730419200) as g:
        g.write(data)
    return buf.getvalue()


def lnk_bytes():
    """A Shell Link ([MS-SHLLINK] 2.1): header size 0x4C, the CLSID
    00021401-0000-0000-C000-000000000046, flags, and an empty tail."""
    clsid = bytes.fromhex("0114020000000000c000000000000046")
    flags = 0x00000080 | 0x00000020  # IsUnicode, HasArguments
    hdr = (struct.pack("<I", 0x4C) + clsid + struct.pack("<II", flags, 0x20)
           + bytes(24) + struct.pack("<I", 0) + struct.pack("<iI", 0, 1) +
           struct.pack("<HH", 0, 0) + bytes(8))
    assert len(hdr) == 0x4C
    args = "/c calc".encode("utf-16-le")
    return hdr + struct.pack("<H", len(args) // 2) + args + bytes(4)


def exe_bytes():
    return gc.exe_bytes()


def docx_like(extra=()):
    files = [
        ("[Content_Types].xml", gc.CT_XML),
        ("_rels/.rels", b'<?xml version="1.0"?><Relationships xmlns="http://'
         b'schemas.openxmlformats.org/package/2006/relationships"/>'),
        ("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="'
         b'http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
         b'<w:body><w:p><w:r><w:t>\xe4\xbc\x9a\xe8\xad\xb0\xe8\xb3\x87'
         b'\xe6\x96\x99</w:t></w:r></w:p></w:body></w:document>'),
    ]
    return zip_of(files + list(extra))


def uudecode_file(path):
    """The bytes of a `begin ... end` uuencoded file."""
    import binascii
    out = bytearray()
    started = False
    for line in path.read_bytes().splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines; decode the declared length only.
            n = (line[0] - 32) & 63
            out += binascii.a2b_uu(line[:1 + (n + 2) // 3 * 4])[:n]
    return bytes(out)


# ---------------------------------------------------------------------------
# Messages.

_seq = [0]


def headers(subject, extra=()):
    _seq[0] += 1
    subj = subject if subject.isascii() else gc.ew(subject)
    return [
        ("From", "Sato Hanako <sato@example.co.jp>"),
        gc.TO_CITY,
        ("Subject", subj),
        ("Date", "Mon, 11 Nov 2024 10:%02d:00 +0900" % (_seq[0] % 60)),
        ("Message-ID", "<scan-%04d@mail.example.co.jp>" % _seq[0]),
        ("MIME-Version", "1.0"),
    ] + list(extra)


def text_part(text, charset="UTF-8"):
    return gc.entity([("Content-Type", "text/plain; charset=%s" % charset),
                      ("Content-Transfer-Encoding", "8bit")],
                     text.encode("utf-8") if isinstance(text, str) else text)


def attachment(filename, data, ctype="application/octet-stream"):
    """A base64 attachment; a non-ASCII name in RFC 2231 (as Thunderbird
    and Outlook write it) with an RFC 2047 name= beside it."""
    if filename.isascii():
        disp = 'attachment; filename="%s"' % filename
        ct = '%s; name="%s"' % (ctype, filename)
    else:
        disp = "attachment;\n " + gc.rfc2231("filename", filename,
                                             per_line=40)
        ct = '%s;\n name="%s"' % (ctype, gc.ew(filename, fold=False))
    return gc.entity([("Content-Type", ct),
                      ("Content-Disposition", disp),
                      ("Content-Transfer-Encoding", "base64")],
                     gc.b64lines(data))


BODY_JA = ("情報政策課 御中\n\nいつもお世話になっております。\n"
           "資料を添付いたしますので、ご確認ください。\n\n"
           "サンプル商事 佐藤\n")


def mail_with(subject, atts, body=BODY_JA, boundary="=_scan_boundary_01"):
    """A multipart/mixed message: a text part, then the attachments
    [(filename, data, content type)]."""
    parts = [text_part(body)]
    for a in atts:
        parts.append(attachment(*a))
    hs = headers(subject, [("Content-Type",
                            'multipart/mixed; boundary="%s"' % boundary)])
    return gc.entity(hs, gc.multipart(boundary, parts))


def mail_single(subject, ctype, body, cte="8bit"):
    return gc.entity(headers(subject, [("Content-Type", ctype),
                                       ("Content-Transfer-Encoding", cte)]),
                     body)


# ---------------------------------------------------------------------------
# Cases.

CASES = []
SKIPPED = []


def case(name, description, data, **expect):
    e = {"description": description}
    e.update(expect)
    CASES.append((name, data, e))


def skip(name, why):
    SKIPPED.append((name, why))


def virus(threat, **kw):
    """A removed part with a virus verdict."""
    d = {"action": "removed", "reason": "virus"}
    if threat is not None:
        d["threat"] = threat
    d.update(kw)
    return d


def held_virus(**kw):
    e = {"exit": 0, "disposition": "quarantined", "reasons": ["virus"],
         "original_kept": True, "body_contains": VIRUS_NOTICE}
    e.update(kw)
    return e


def held(reasons, **kw):
    e = {"exit": 0, "disposition": "quarantined", "reasons": reasons,
         "original_kept": True, "body_contains": HELD_NOTICE}
    e.update(kw)
    return e


def gen_strings():
    """EICAR and the marker in text, HTML, uuencode, BinHex."""
    case("eicar_body_plain",
         "the EICAR test string as the whole text/plain body: the part is "
         "a virus and the message is held with the virus notice",
         mail_single("test", "text/plain; charset=us-ascii", EICAR + b"\n",
                     "7bit"),
         **held_virus(parts=[virus(T_EICAR, path="1")],
                      body_not_contains=[EICAR.decode()]))
    case("marker_body_plain",
         "our marker as the whole text/plain body: proves the corpus "
         "signatures (not the official database) are loaded",
         mail_single("marker", "text/plain; charset=us-ascii",
                     b"Please check:\n" + MARKER + b"\n", "7bit"),
         **held_virus(parts=[virus(T_MARKER, path="1")],
                      body_not_contains=[MARKER.decode()]))

    html = (b"<html><head><title>notice</title></head><body>\n"
            b"<p>Dear customer,</p>\n<p><b>" + EICAR + b"</b></p>\n"
            b"</body></html>\n")
    case("eicar_html_base64",
         "EICAR upper case inside tags in a base64 text/html part: "
         "libclamav matches it only in its normalised (lower-case) HTML, "
         "through the target-type-3 signature, or in the rendered text",
         gc.entity(headers("html", [
             ("Content-Type", "text/html; charset=us-ascii"),
             ("Content-Transfer-Encoding", "base64")]), gc.b64lines(html)),
         **held_virus(parts=[virus([T_EICAR, T_EICAR_HTML])]))
    html = (b"<html><body><div style=\"color:red\">" + MARKER +
            b"</div></body></html>\n")
    alt = gc.multipart("=_alt_01", [
        text_part("see the HTML part\n"),
        gc.entity([("Content-Type", "text/html; charset=us-ascii"),
                   ("Content-Transfer-Encoding", "base64")],
                  gc.b64lines(html))])
    case("marker_html_base64_alternative",
         "the marker in the base64 HTML half of a multipart/alternative "
         "whose text half is clean: the HTML alternative is scanned even "
         "though the text one is the one rendered",
         gc.entity(headers("alt", [
             ("Content-Type",
              'multipart/alternative; boundary="=_alt_01"')]), alt),
         **held_virus(parts=[virus([T_MARKER, T_MARKER_HTML])]))

    cut = EICAR.index(b"STANDARD")
    split = (b"<html><body><p>" + EICAR[:cut] + b"<b>STANDARD</b>" +
             EICAR[cut + 8:] + b"</p></body></html>\n")
    case("eicar_html_split_by_tag",
         "EICAR split by a tag (EICAR-<b>STANDARD</b>-...): invisible to "
         "libclamav in the HTML, found whole in the rendered text",
         gc.entity(headers("split", [
             ("Content-Type", "text/html; charset=us-ascii"),
             ("Content-Transfer-Encoding", "7bit")]), split),
         **held_virus(parts=[virus(T_EICAR, path="text")]))

    ent = (b"<html><body><p>" + EICAR.replace(b"$", b"&#36;") +
           b"</p></body></html>\n")
    case("eicar_html_char_reference",
         "EICAR in HTML with each $ written as &#36;: found in the "
         "normalised HTML or the rendered text, never in the raw bytes",
         gc.entity(headers("entity", [
             ("Content-Type", "text/html; charset=us-ascii"),
             ("Content-Transfer-Encoding", "quoted-printable")]),
             gc.qp(ent)),
         **held_virus(parts=[virus([T_EICAR, T_EICAR_HTML])]))

    body = ("添付の件、以下のとおりです。\n\n" +
            gc.uuencode("eicar.com", EICAR) + "\nよろしくお願いします。\n")
    case("eicar_uuencode_in_text",
         "EICAR in a uuencoded block inside a text/plain body: the block "
         "is decoded, scanned and named in the report",
         mail_single("uu", "text/plain; charset=UTF-8",
                     body.encode("utf-8")),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com")]))
    body = ("資料です。\n\n" + gc.binhex4("marker.txt", MARKER + b"\r") +
            "\n")
    case("marker_binhex_in_text",
         "the marker in a BinHex 4.0 block inside a text/plain body",
         mail_single("hqx", "text/plain; charset=UTF-8",
                     body.encode("utf-8")),
         **held_virus(parts=[virus(T_MARKER, filename="marker.txt")]))


def gen_archives():
    """EICAR and the marker inside every container the engine opens."""
    z = zip_of([("readme.txt", b"see the other file\n"),
                ("eicar.com", EICAR)])
    case("eicar_zip",
         "EICAR as the second member of a deflated zip: the member is "
         "listed as <archive path>/2 with the threat",
         mail_with("zip", [("documents.zip", z, "application/zip")]),
         **held_virus(parts=[
             virus(T_EICAR, filename="eicar.com", path="2/2"),
             {"path": "2/1", "filename": "readme.txt",
              "reason": "archive_member"}],
             body_contains=VIRUS_NOTICE + ["格納元: documents.zip"]))
    z = zip_of([("memo.txt", b"hello " + MARKER + b"\n")])
    case("marker_zip",
         "the marker inside a text member of a zip",
         mail_with("zip", [("memo.zip", z, "application/zip")]),
         **held_virus(parts=[virus(T_MARKER, filename="memo.txt",
                                   path="2/1")]))

    inner = zip_of([("eicar.com", EICAR)])
    mid = zip_of([("inner.zip", inner)])
    outer = zip_of([("mid.zip", mid)])
    case("eicar_zip_in_zip_in_zip",
         "EICAR three zips deep (within max_archive_depth 5): each level "
         "is opened, the member is found at path 2/1/1/1",
         mail_with("nested", [("outer.zip", outer, "application/zip")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/1/1/1")]))

    t = targz_of([("docs/readme.txt", b"readme\n"),
                  ("docs/eicar.com", EICAR)])
    case("eicar_tar_gz",
         "EICAR in a gzip-compressed tar",
         mail_with("tgz", [("docs.tar.gz", t, "application/gzip")]),
         **held_virus(parts=[virus(T_EICAR, filename="docs/eicar.com")]))
    t = targz_of([("marker.txt", MARKER + b"\n")], compress="xz")
    case("marker_tar_xz",
         "the marker in an xz-compressed tar",
         mail_with("txz", [("data.tar.xz", t, "application/x-xz")]),
         **held_virus(parts=[virus(T_MARKER, filename="marker.txt")]))
    case("eicar_gzip_single",
         "EICAR as a lone gzip-compressed file (gzip header names it "
         "eicar.txt): the decompressed data is a member",
         mail_with("gz", [("eicar.txt.gz", gzip_of("eicar.txt", EICAR),
                           "application/gzip")]),
         **held_virus(parts=[virus(T_EICAR, path="2/1")]))
    case("marker_bzip2_single",
         "the marker as a lone bzip2-compressed file",
         mail_with("bz2", [("marker.txt.bz2", bz2.compress(MARKER + b"\n"),
                            "application/x-bzip2")]),
         **held_virus(parts=[virus(T_MARKER, path="2/1")]))

    s = sevenzip_of("eicar.com", EICAR)
    case("eicar_7z",
         "EICAR in a 7z archive (Copy coder, written by hand)",
         mail_with("7z", [("archive.7z", s, "application/x-7z-compressed")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/1")]))

    lzh = lha_of([(b"readme.txt", b"readme\r\n"), (b"eicar.com", EICAR)])
    case("eicar_lzh_level0",
         "EICAR in an LHA archive (level-0 headers, -lh0-)",
         mail_with("lzh", [("archive.lzh", lzh, "application/x-lzh")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/2")]))
    lzh = lha_of([(b"marker.txt", MARKER + b"\r\n")], level=1)
    case("marker_lzh_level1",
         "the marker in an LHA archive with a level-1 header",
         mail_with("lzh1", [("marker.lzh", lzh, "application/x-lzh")]),
         **held_virus(parts=[virus(T_MARKER, filename="marker.txt",
                                   path="2/1")]))

    cab = cab_of([(b"readme.txt", b"readme\r\n", False),
                  (b"eicar.com", EICAR, False)])
    case("eicar_cab",
         "EICAR in an uncompressed Microsoft cabinet",
         mail_with("cab", [("setup.cab", cab,
                            "application/vnd.ms-cab-compressed")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/2")]))

    rar = rar4_of([(b"readme.txt", b"readme\r\n"), (b"eicar.com", EICAR)])
    case("eicar_rar4",
         "EICAR in a RAR 4 archive (stored): libclamav in Debian cannot "
         "open RAR, so the hit on member 2/2 comes from the engine's own "
         "unpacking (the stored bytes also match on the archive itself)",
         mail_with("rar", [("archive.rar", rar, "application/x-rar")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/2")]))
    t = targz_of([("marker.txt", MARKER + b"\n")], compress="")
    case("marker_tar_zstd",
         "the marker in a zstd-compressed tar (raw blocks): libclamav "
         "does not decompress zstd; the hit on member 2/1 proves the engine "
         "does",
         mail_with("zst", [("data.tar.zst", zstd_raw(t),
                            "application/zstd")]),
         **held_virus(parts=[virus(T_MARKER, filename="marker.txt",
                                   path="2/1")]))
    case("marker_ar_archive",
         "the marker in a Unix ar archive, which libclamav does not open: "
         "the hit on member 2/1 is the engine's",
         mail_with("ar", [("lib.a", ar_of([("marker.txt", MARKER + b"\n")]),
                           "application/x-archive")]),
         **held_virus(parts=[virus(T_MARKER, filename="marker.txt",
                                   path="2/1")]))

    tn = tnef_of([(b"eicar.com", EICAR), (b"memo.txt", b"memo\r\n")])
    case("eicar_tnef_winmail",
         "EICAR as an attachment inside a TNEF winmail.dat: the TNEF "
         "stream is opened and its attachment listed by its title",
         mail_with("tnef", [("winmail.dat", tn, "application/ms-tnef")]),
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com",
                                   path="2/1")]))

    inner = gc.entity(headers("fwd inner", [
        ("Content-Type", 'multipart/mixed; boundary="=_inner_01"')]),
        gc.multipart("=_inner_01", [
            text_part("転送します。\n"),
            attachment("eicar.com", EICAR, "application/x-msdownload")]))
    outer = gc.entity(headers("Fwd: document", [
        ("Content-Type", 'multipart/mixed; boundary="=_outer_01"')]),
        gc.multipart("=_outer_01", [
            text_part("転送メールを添付します。\n"),
            gc.entity([("Content-Type", "message/rfc822"),
                       ("Content-Disposition",
                        'attachment; filename="fwd.eml"')], inner)]))
    case("eicar_in_message_rfc822",
         "EICAR attached to a message that is itself attached "
         "(message/rfc822)",
         outer,
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com")]))

    doc = docx_like([("word/media/payload.bin", EICAR)])
    case("eicar_in_docx_member",
         "EICAR as a member of a docx: document zips list members only "
         "when something is found, and this one is listed",
         mail_with("docx", [
             ("議事録.docx", doc, "application/vnd.openxmlformats-"
              "officedocument.wordprocessingml.document")]),
         **held_virus(parts=[virus(T_EICAR,
                                   filename="word/media/payload.bin")]))


def gen_testfiles():
    """Debian's clamav-testfiles: one 544-byte program in many wrappers,
    matched by the corpus hash signature."""
    samples = [
        ("clam.exe", "application/x-msdownload", "the bare program"),
        ("clam.zip", "application/zip", "in a zip"),
        ("clam.7z", "application/x-7z-compressed", "in a 7z (LZMA)"),
        ("clam.tar.gz", "application/gzip", "in a tar.gz"),
        ("clam.cab", "application/vnd.ms-cab-compressed",
         "in a MSZIP cabinet"),
        ("clam.arj", "application/octet-stream",
         "in an ARJ archive (libclamav only)"),
        ("clam.exe.bz2", "application/x-bzip2", "bzip2-compressed"),
        ("clam-upx.exe", "application/x-msdownload", "packed with UPX"),
        ("clam.ole.doc", "application/msword", "embedded in an OLE2 .doc"),
        ("clam.pdf", "application/pdf", "embedded in a PDF"),
    ]
    for fn, ctype, what in samples:
        name = "clamav_testfile_" + fn.replace(".", "_").replace("-", "_")
        p = TESTFILES / fn
        if not p.exists():
            skip(name, "%s not installed (package clamav-testfiles)" % p)
            continue
        data = p.read_bytes()
        case(name,
             "clamav-testfiles %s (%s), attached: detected through the "
             "corpus hash signature on the unpacked program" % (fn, what),
             mail_with("sample", [(fn, data, ctype)]),
             **held_virus(parts=[virus(T_CLAM, filename=fn, path="2")]))
    p = TESTFILES / "clam.tnef"
    if p.exists():
        case("clamav_testfile_clam_tnef_as_winmail",
             "clamav-testfiles clam.tnef attached as winmail.dat "
             "(application/ms-tnef): held as a virus; its attribute "
             "checksums are wrong, so the engine lists no member (and "
             "adds damaged_archive), libclamav still finds the program",
             mail_with("tnef", [("winmail.dat", p.read_bytes(),
                                 "application/ms-tnef")]),
             **held_virus(parts=[virus(T_CLAM, path="2")]))
    else:
        skip("clamav_testfile_clam_tnef_as_winmail", "%s missing" % p)


def gen_encrypted():
    z = zip_zipcrypto("見積書.txt".encode("cp932"),
                      "見積金額 1,000,000円\n".encode("utf-8"))
    case("zip_zipcrypto_generated",
         "a ZipCrypto (traditional PKWARE) zip made here, CP932 member "
         "name: encrypted, held; the member is still listed by name",
         mail_with("pw", [("見積書.zip", z, "application/zip")]),
         **held(["encrypted"], parts=[
             {"path": "2", "reason": "encrypted"},
             {"filename": "見積書.txt", "reason": "encrypted"}]))
    z = zip_winzip_aes_header("secret.txt", 4096)
    case("zip_winzip_aes_header",
         "a zip whose entry is WinZip AES-256 (method 99, extra 0x9901): "
         "encrypted, held, never decrypted",
         mail_with("aes", [("secret.zip", z, "application/zip")]),
         **held(["encrypted"], parts=[
             {"filename": "secret.txt", "reason": "encrypted"}]))

    lib = EXTERNAL / "libarchive"
    for fn, name, what in [
            ("test_read_format_zip_traditional_encryption_data.zip.uu",
             "ext_zip_traditional_encryption", "ZipCrypto"),
            ("test_read_format_zip_winzip_aes256.zip.uu",
             "ext_zip_winzip_aes256", "WinZip AES-256"),
            ("test_read_format_zip_encryption_header.zip.uu",
             "ext_zip_encrypted_central_directory",
             "PKWARE strong encryption of the central directory"),
            ("test_read_format_7zip_encryption_header.7z.uu",
             "ext_7z_encrypted_header", "7z with an AES-encrypted header"),
            ("test_read_format_7zip_encryption.7z.uu",
             "ext_7z_encrypted_data", "7z with AES-encrypted data"),
            ("test_read_format_rar_encryption_data.rar.uu",
             "ext_rar_encrypted_data", "RAR with encrypted data")]:
        p = lib / fn
        if not p.exists():
            skip(name, "%s absent" % p)
            continue
        data = uudecode_file(p)
        att = fn[len("test_read_format_"):-3]
        case(name,
             "libarchive's test sample %s (%s): reason encrypted, held"
             % (att, what),
             mail_with("enc", [(att, data, "application/octet-stream")]),
             **held(["encrypted"], parts=[{"path": "2",
                                           "reason": "encrypted"}]))
    p = EXTERNAL / "oletools" / "basic" / "encrypted.docx"
    if p.exists():
        case("ext_ooxml_encrypted_docx",
             "a password-protected docx (OLE2 EncryptedPackage, which "
             "libclamav reports clean): reason encrypted, held",
             mail_with("enc", [("encrypted.docx", p.read_bytes(),
                                "application/vnd.openxmlformats-"
                                "officedocument.wordprocessingml."
                                "document")]),
             **held(["encrypted"], parts=[{"path": "2",
                                           "filename": "encrypted.docx",
                                           "reason": "encrypted"}]))
    else:
        skip("ext_ooxml_encrypted_docx", "%s absent" % p)


def gen_limits():
    bomb = zip_bomb(300 * 1024 * 1024)
    case("zip_bomb_ratio",
         "300 MB of zeros deflated to about 300 KB: past "
         "max_archive_ratio (100) extraction stops, archive_bomb, held",
         mail_with("bomb", [("zeros.zip", bomb, "application/zip")]),
         **held(["archive_bomb"], parts=[{"path": "2",
                                          "filename": "zeros.zip"}]))
    case("zip_bomb_member_too_large",
         "the same bomb with the ratio limit out of the way "
         "(max_archive_ratio 100000, max_member_size 20M, "
         "max_archive_total 50M): member_too_large and archive_bomb, held",
         mail_with("bomb", [("zeros.zip", bomb, "application/zip")]),
         config={"limits": {"max_archive_ratio": "100000",
                            "max_member_size": "20M",
                            "max_archive_total": "50M"}},
         **held(["member_too_large"], parts=[
             {"path": "2", "filename": "zeros.zip"},
             {"path": "2/1", "filename": "zeros.bin",
              "reason": "member_too_large"}]))

    z = zip_of([("deepest.txt", b"bottom\n")])
    for i in range(6, 0, -1):
        z = zip_of([("level%d.zip" % i, z)])
    case("zip_nested_7_deep",
         "seven zips nested: past max_archive_depth (5) the archive is "
         "not opened, archive_too_deep, held",
         mail_with("deep", [("level0.zip", z, "application/zip")]),
         **held(["archive_too_deep"],
                parts=[{"path": "1", "action": "kept"},
                       {"path": "2", "filename": "level0.zip"}] +
                [{"path": "2" + "/1" * i, "filename": "level%d.zip" % i}
                 for i in range(1, 6)],
                parts_exact=True))

    files = [("f%04d.txt" % i, b"%d\n" % i) for i in range(2000)]
    ms = [ZipMember(n, d, method=0) for n, d in files]
    case("zip_2000_members",
         "2000 tiny members, max_archive_members 1000: too_many_members, "
         "held",
         mail_with("many", [("many.zip", zip_raw(ms), "application/zip")]),
         **held(["too_many_members"], parts=[{"path": "2",
                                              "filename": "many.zip"}]))

    z = zip_raw([ZipMember("../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
                 ZipMember("/abs/x", b"x\n"),
                 ZipMember("ok.txt", b"ok\n")])
    case("zip_unsafe_member_names",
         "members named ../../etc/passwd and /abs/x: unsafe_member_name, "
         "held; the names are reported as stored",
         mail_with("paths", [("paths.zip", z, "application/zip")]),
         **held(["unsafe_member_name"], parts=[
             {"filename": "../../etc/passwd",
              "reason": "unsafe_member_name"},
             {"filename": "/abs/x", "reason": "unsafe_member_name"}]))

    big = ("".join("%06d 会議資料の本文です。\n" % i for i in range(2000))
           .encode("utf-8"))
    case("scan_limit_filesize",
         "a 70 KB text attachment with scan_max_filesize 16K: the scanner "
         "cannot look at all of it, scan_limit, held (never clean)",
         mail_with("big", [("議事録.txt", big, "text/plain")]),
         config={"limits": {"scan_max_filesize": "16K"}},
         **held(["scan_limit"], parts=[{"path": "2",
                                        "filename": "議事録.txt",
                                        "reason": "scan_limit"}]))

    z = zip_raw([ZipMember("..\\..\\Startup\\run.txt", b"x\r\n"),
                 ZipMember("C:\\Windows\\win.ini", b"[windows]\r\n"),
                 ZipMember("ok.txt", b"ok\n")])
    case("zip_unsafe_windows_names",
         "members named ..\\..\\Startup\\run.txt and C:\\Windows\\win.ini "
         "(traversal and a drive letter as Windows extractors read them): "
         "unsafe_member_name, held",
         mail_with("paths", [("win.zip", z, "application/zip")]),
         **held(["unsafe_member_name"], parts=[
             {"path": "2/1", "reason": "unsafe_member_name"},
             {"path": "2/2", "reason": "unsafe_member_name"},
             {"path": "2/3", "filename": "ok.txt",
              "reason": "archive_member"}]))

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) \
            as t:
        ti = tarfile.TarInfo("passwd")
        ti.type = tarfile.SYMTYPE
        ti.linkname = "/etc/passwd"
        ti.mtime = 1730419200
        t.addfile(ti)
        ti = tarfile.TarInfo("readme.txt")
        ti.size = 7
        ti.mtime = 1730419200
        t.addfile(ti, io.BytesIO(b"readme\n"))
    case("tar_symlink_member",
         "a tar holding a symbolic link to /etc/passwd: links are unsafe "
         "members (unsafe_member_name, noted as symlink), held",
         mail_with("link", [("files.tar", buf.getvalue(),
                             "application/x-tar")]),
         **held(["unsafe_member_name"], parts=[
             {"path": "2/1", "filename": "passwd", "note": "symlink",
              "reason": "unsafe_member_name"},
             {"path": "2/2", "filename": "readme.txt",
              "reason": "archive_member"}]))

    m = ZipMember("data.txt", b"the real content of the file\n" * 20)
    m.crc ^= 0x5A5A5A5A
    case("zip_bad_crc",
         "a zip member whose CRC-32 does not match its data: "
         "damaged_archive, held, never clean",
         mail_with("crc", [("crc.zip", zip_raw([m]), "application/zip")]),
         **held(["damaged_archive"], parts=[{"path": "2/1",
                                             "filename": "data.txt"}]))

    z = zip_of([("a.txt", b"first\n"), ("b.txt", b"second\n")])
    case("zip_truncated",
         "a zip cut short in its second member's data (no central "
         "directory): damaged_archive, held, never clean",
         mail_with("cut", [("broken.zip", z[:60], "application/zip")]),
         **held(["damaged_archive"]))


def gen_names():
    names = ["見積書①.xlsx", "資料/説明.txt", "㈱サンプル/髙橋.txt"]
    ms = [ZipMember(n.encode("cp932"), ("%s\n" % n).encode("utf-8"))
          for n in names]
    z = zip_raw(ms)
    assert all(m.flags & 0x800 == 0 for m in ms)
    case("zip_cp932_names",
         "a zip as Japanese Windows writes it: CP932 member names, no "
         "UTF-8 flag; the report names each member exactly, sanitized",
         mail_with("cp932", [("資料一式.zip", z, "application/zip")]),
         exit=0, disposition="sanitized",
         parts=[{"path": "2", "filename": "資料一式.zip",
                 "reason": "attachment"}] +
         [{"filename": n, "reason": "archive_member"} for n in names],
         body_contains=names)

    # LHA as Japanese Windows archivers write it: CP932 names; 表 and ソ
    # have 0x5C ("\\") as their second byte, which must not be taken for
    # a directory separator.
    want = ["見積書①.xlsx", "資料/表ソ.txt"]
    lzh = lha_of([("見積書①.xlsx".encode("cp932"), b"1\r\n"),
                  ("資料\\表ソ.txt".encode("cp932"), b"2\r\n")], level=0)
    case("lzh_cp932_names_level0",
         "an LHA archive with level-0 headers and CP932 names, one with a "
         "DOS directory (資料\\) and 0x5C as a second byte (表, ソ): exact "
         "names, sanitized",
         mail_with("lzh", [("書類.lzh", lzh, "application/x-lzh")]),
         exit=0, disposition="sanitized",
         parts=[{"path": "2/%d" % (i + 1), "filename": n,
                 "reason": "archive_member"} for i, n in enumerate(want)],
         body_contains=want)
    for level in (1, 2):
        lzh = lha_of([("見積書①.xlsx".encode("cp932"), b"1\r\n"),
                      ("表ソ.txt".encode("cp932"), b"2\r\n",
                       "資料".encode("cp932") + b"\xff")], level=level)
        case("lzh_cp932_names_level%d" % level,
             "an LHA archive with level-%d headers, CP932 names and a "
             "CP932 directory in an extended header (0xFF separated): "
             "exact names, sanitized" % level,
             mail_with("lzh", [("書類.lzh", lzh, "application/x-lzh")]),
             exit=0, disposition="sanitized",
             parts=[{"path": "2/%d" % (i + 1), "filename": n,
                     "reason": "archive_member"}
                    for i, n in enumerate(want)],
             body_contains=want)

    rar = rar4_of([("見積書①.xlsx".encode("cp932"), b"1\r\n"),
                   ("資料\\説明.txt".encode("cp932"), b"2\r\n")])
    case("rar4_cp932_names",
         "a RAR 4 archive (stored) with CP932 names and no Unicode flag: "
         "exact names, sanitized",
         mail_with("rar", [("資料.rar", rar, "application/x-rar")]),
         exit=0, disposition="sanitized",
         parts=[{"path": "2/1", "filename": "見積書①.xlsx",
                 "reason": "archive_member"},
                {"path": "2/2", "filename": "資料/説明.txt",
                 "reason": "archive_member"}])

    cab = cab_of([("議事録.txt".encode("cp932"), b"minutes\r\n", False),
                  ("予算.csv".encode("utf-8"), b"a,b\r\n", True)])
    case("cab_cp932_and_utf8_names",
         "a cabinet with one CP932 name and one flagged UTF-8 name "
         "(_A_NAME_IS_UTF): both reported exactly, sanitized",
         mail_with("cab", [("files.cab", cab,
                            "application/vnd.ms-cab-compressed")]),
         exit=0, disposition="sanitized",
         parts=[{"filename": "議事録.txt", "reason": "archive_member"},
                {"filename": "予算.csv", "reason": "archive_member"}])


def gen_disguise():
    exe = exe_bytes()
    case("exe_named_pdf",
         "a Windows program named 請求書.pdf, declared application/pdf: "
         "type_mismatch, held",
         mail_with("invoice", [("請求書.pdf", exe, "application/pdf")]),
         **held(["type_mismatch"], parts=[
             {"path": "2", "filename": "請求書.pdf",
              "reason": "type_mismatch"}]))
    case("double_extension_pdf_exe",
         "report.pdf.exe: double_extension, held",
         mail_with("report", [("report.pdf.exe", exe,
                               "application/octet-stream")]),
         **held(["double_extension"], parts=[
             {"path": "2", "filename": "report.pdf.exe",
              "reason": "double_extension"}]))
    case("double_extension_padded_scr",
         "photo.jpg followed by six spaces and .scr: the padding pushes "
         "the real extension out of sight; double_extension, held",
         mail_with("photo", [("photo.jpg      .scr", exe,
                              "image/jpeg")]),
         **held(["double_extension"], parts=[
             {"path": "2", "filename": "photo.jpg      .scr",
              "reason": "double_extension"}]))
    case("bidi_name_rlo",
         "請求書 U+202E cod.exe (shows as 請求書exe.doc): bidi_name, held",
         mail_with("bidi", [("請求書\u202ecod.exe", exe,
                             "application/msword")]),
         **held(["bidi_name"], parts=[
             {"path": "2", "filename": "請求書\u202ecod.exe",
              "reason": "bidi_name"}]))
    z = zip_of([("請求書.pdf.exe", exe)])
    case("zip_member_double_extension",
         "a zip holding 請求書.pdf.exe: the member's name is checked like "
         "an attachment's; double_extension, held",
         mail_with("zip", [("請求書.zip", z, "application/zip")]),
         **held(["double_extension"], parts=[
             {"filename": "請求書.pdf.exe", "path": "2/1",
              "reason": "double_extension"}]))
    z = zip_of([("setup.exe", exe)])
    case("zip_member_exe",
         "a zip holding setup.exe: blocked_type on the member, held",
         mail_with("zip", [("setup.zip", z, "application/zip")]),
         **held(["blocked_type"], parts=[
             {"filename": "setup.exe", "path": "2/1",
              "reason": "blocked_type"}]))

    lnk = lnk_bytes()
    case("lnk_shortcut",
         "a Windows shortcut (.lnk; libmagic application/x-ms-shortcut): "
         "blocked_type, held",
         mail_with("lnk", [("請求書.lnk", lnk, "application/octet-stream")]),
         **held(["blocked_type"], parts=[
             {"path": "2", "filename": "請求書.lnk",
              "detected_type": "application/x-ms-shortcut",
              "reason": "blocked_type"}]))
    case("lnk_named_txt",
         "the same shortcut named readme.txt: recognised by its bytes, "
         "type_mismatch, held",
         mail_with("lnk", [("readme.txt", lnk, "text/plain")]),
         **held(["type_mismatch"], parts=[
             {"path": "2", "filename": "readme.txt",
              "reason": "type_mismatch"}]))
    iso = iso_of([(b"INVOICE.EXE;1", exe), (b"README.TXT;1", b"readme\r\n")])
    case("iso_image_with_exe",
         "an ISO 9660 image (CD001 at 0x8001) holding a program, the "
         "way ISO attachments smuggle executables past mark-of-the-web: "
         "blocked_type, held; its members are listed",
         mail_with("iso", [("invoice.iso", iso,
                            "application/octet-stream")]),
         **held(["blocked_type"], parts=[
             {"path": "2", "filename": "invoice.iso",
              "detected_type": "application/x-iso9660-image",
              "reason": "blocked_type"},
             # The root directory is entry 1 of the image, so the
             # program is 2/2; only the name is asserted.
             {"filename": "INVOICE.EXE", "reason": "blocked_type"},
             {"filename": "README.TXT", "reason": "archive_member"}]))
    case("exe_hold_blocked_no",
         "a program attachment with [policy] hold_blocked = no: removed "
         "as blocked_type, the rest of the message delivered (sanitized)",
         mail_with("setup", [("setup.exe", exe,
                              "application/x-msdownload")]),
         config={"policy": {"hold_blocked": "no"}},
         exit=0, disposition="sanitized", reasons=["blocked_type"],
         parts=[{"path": "2", "filename": "setup.exe",
                 "reason": "blocked_type"}],
         body_contains=["資料を添付いたしますので"])


def gen_policy():
    z = zip_of([("eicar.com", EICAR)])
    case("on_virus_reject",
         "[policy] on_virus = reject: exit 2, nothing written, report "
         "disposition rejected with a quarantine id (run_corpus.py does "
         "not export the original on exit 2)",
         mail_with("reject", [("file.zip", z, "application/zip")]),
         config={"policy": {"on_virus": "reject"}},
         exit=2, disposition="rejected", reasons=["virus"],
         parts=[virus(T_EICAR, filename="eicar.com")])
    if "no_output" in rc.EXPECT_KEYS:
        case("on_virus_discard",
             "[policy] on_virus = discard: exit 0 and nothing written "
             "(the message is accepted and dropped); the report and the "
             "quarantined original remain",
             mail_with("discard", [("file.zip", z, "application/zip")]),
             config={"policy": {"on_virus": "discard"}},
             exit=0, no_output=True, disposition="quarantined",
             reasons=["virus"], original_kept=True,
             parts=[virus(T_EICAR, filename="eicar.com")])
    else:
        skip("on_virus_discard", "run_corpus.py has no \"no_output\" key "
             "to say that nothing may be written")
    case("on_virus_notify_explicit",
         "[policy] on_virus = notify written out: the default, virus "
         "notice",
         mail_with("notify", [("file.zip", z, "application/zip")]),
         config={"policy": {"on_virus": "notify"}},
         **held_virus(parts=[virus(T_EICAR, filename="eicar.com")]))


def gen_controls():
    z = zip_of([("議事次第.txt", "議事次第\n".encode("utf-8")),
                ("出席者.txt", "出席者\n".encode("utf-8"))])
    case("clean_zip_two_texts",
         "negative control: a clean zip with two text members (UTF-8 "
         "flagged names): sanitized, the archive removed and both members "
         "listed, no virus",
         mail_with("clean", [("会議資料.zip", z, "application/zip")]),
         exit=0, disposition="sanitized",
         parts=[{"path": "1", "action": "kept"},
                {"path": "2", "filename": "会議資料.zip",
                 "reason": "attachment"},
                {"path": "2/1", "filename": "議事次第.txt",
                 "reason": "archive_member"},
                {"path": "2/2", "filename": "出席者.txt",
                 "reason": "archive_member"}],
         parts_exact=True,
         body_contains=["会議資料.zip", "議事次第.txt", "出席者.txt",
                        "資料を添付いたしますので"],
         body_not_contains=["ウイルス"])
    case("clean_docx_members_not_listed",
         "negative control: a clean docx (a zip named .docx): removed as "
         "an attachment, its members not listed",
         mail_with("docx", [
             ("報告書.docx", docx_like(), "application/vnd.openxmlformats-"
              "officedocument.wordprocessingml.document")]),
         exit=0, disposition="sanitized",
         parts=[{"path": "1", "action": "kept"},
                {"path": "2", "filename": "報告書.docx",
                 "reason": "attachment"}],
         parts_exact=True,
         body_not_contains=["[Content_Types].xml", "word/document.xml"])
    html = ('<html><body><p>お客様のアカウントが停止されました。</p>'
            '<p><a href="http://192.0.2.7/login.php">'
            'https://www.example-bank.co.jp/login</a> から確認してください。'
            '</p></body></html>\n').encode("utf-8")
    case("html_phishing_link_clean",
         "negative control: HTML whose link text shows one bank URL and "
         "whose href goes to another host: no phishing heuristic by "
         "default, so clean",
         gc.entity(headers("アカウント確認", [
             ("Content-Type", "text/html; charset=UTF-8"),
             ("Content-Transfer-Encoding", "base64")]), gc.b64lines(html)),
         exit=0, disposition="clean",
         body_contains=["お客様のアカウントが停止されました。"])
    case("plain_text_clean",
         "negative control: plain Japanese text mentioning EICAR by name "
         "only: clean",
         mail_single("EICAR について", "text/plain; charset=UTF-8",
                     "EICAR テストファイルについての説明です。\n"
                     .encode("utf-8")),
         exit=0, disposition="clean",
         body_contains=["EICAR テストファイルについての説明です。"])


GENERATORS = [gen_strings, gen_archives, gen_testfiles, gen_encrypted,
              gen_limits, gen_names, gen_disguise, gen_policy, gen_controls]


# ---------------------------------------------------------------------------

def write_corpus(root):
    """Write every case under root/scan/ (replacing what was there)."""
    CASES.clear()
    SKIPPED.clear()
    _seq[0] = 0
    for g in GENERATORS:
        g()
    area = Path(root) / AREA
    if area.exists():
        for d in area.iterdir():
            if not (d.is_dir() and (d / "expect.json").exists()):
                raise SystemExit("gen_scan_cases: %s is not a case folder; "
                                 "refusing to clear %s" % (d, area))
        shutil.rmtree(area)
    area.mkdir(parents=True)
    seen = set()
    for name, data, expect in CASES:
        assert name not in seen, name
        seen.add(name)
        assert set(expect) <= rc.EXPECT_KEYS, (name, set(expect))
        d = area / name
        d.mkdir()
        (d / "input.eml").write_bytes(data)
        (d / "expect.json").write_text(
            json.dumps(expect, ensure_ascii=False, indent=1) + "\n",
            "utf-8")
    return len(CASES)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="corpus root to write (DIR/scan/...)")
    ap.add_argument("--cli", help="also run the corpus with this mugaika "
                    "binary and exit with the runner's status")
    ap.add_argument("--conf", default=str(REPO / "corpus" / "test.conf"))
    ap.add_argument("--jobs", "-j", type=int, default=None,
                    help="passed to run_corpus.py")
    ap.add_argument("--only", action="append", default=[],
                    metavar="PATTERN",
                    help="with --cli: run only these cases (passed to "
                    "run_corpus.py; all are still written)")
    ap.add_argument("--keep", action="store_true",
                    help="with --cli: keep each case's temporary directory "
                    "and the generated corpus")
    ap.add_argument("--show", action="store_true",
                    help="with --cli: print the body of failing cases")
    ap.add_argument("--list", action="store_true",
                    help="print each case and its description (Markdown) "
                    "and exit")
    args = ap.parse_args(argv)
    if args.list:
        CASES.clear()
        SKIPPED.clear()
        for g in GENERATORS:
            g()
        for name, _, expect in CASES:
            print("- `%s`: %s" % (name, expect["description"]))
        for name, why in SKIPPED:
            print("- `%s`: skipped here (%s)" % (name, why))
        return 0
    if not args.out and not args.cli:
        ap.error("--out DIR or --cli CLI is required")
    tmp = None
    out = args.out
    if out is None:
        tmp = tempfile.mkdtemp(prefix="mgscan-")
        out = tmp
    try:
        n = write_corpus(out)
        print("gen_scan_cases: %d cases in %s" % (n, Path(out) / AREA))
        for name, why in SKIPPED:
            print("gen_scan_cases: skipped %s: %s" % (name, why))
        sys.stdout.flush()
        if not args.cli:
            return 0
        # Only this area: the command-line checks (cli/usage, cli/stdio)
        # belong to the stored corpus's run.
        rargs = ["--cli", args.cli, "--corpus", out, "--conf", args.conf]
        for o in args.only or [AREA + "/"]:
            rargs += ["--only", o]
        if args.jobs:
            rargs += ["--jobs", str(args.jobs)]
        if args.keep:
            rargs.append("--keep")
        if args.show:
            rargs.append("--show")
        return rc.main(rargs)
    finally:
        if tmp is not None and args.keep:
            print("gen_scan_cases: kept %s" % tmp)
        elif tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
