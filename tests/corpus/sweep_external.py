#!/usr/bin/env python3
"""Send every sample of the external corpus through `mugaika sanitize`.

The external corpus (shared/corpus-external beside the repository; see its
MANIFEST.md) holds public test files: Office documents with macros and DDE,
encrypted documents, archives, TNEF, images, PDFs.  For each sample this
builds a mail carrying it as a base64 attachment under its own name, runs

    mugaika sanitize --config CONF --report REPORT.json mail.eml OUT.eml

and checks, in text mode: exit 0; a well-formed single text/plain output
(the same checks as run_corpus.py); the report lists a part with the
sample's file name, action "removed", and the sample's size and SHA-256;
the quarantine export of the message equals the mail that went in.

*.uu samples are uudecoded and *.b64 samples base64-decoded first; the
decoded name is the file name without that suffix.  The sample stored as
pycirclean/dangerous/testRTL_U202E_exe.txt is sent under its real name,
"testRTL" U+202E "exe.txt", RFC 2231-encoded.

Exit 77 (skipped) when the external corpus is absent, 1 on any failure.
Python 3.11 standard library only.
"""

import argparse
import base64
import binascii
import concurrent.futures
import fnmatch
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_corpus as rc  # noqa: E402

REPO = HERE.parents[1]
SKIP_NAMES = {"MANIFEST.md", "SHA256SUMS"}
RENAMED = {"pycirclean/dangerous/testRTL_U202E_exe.txt":
           "testRTL\u202eexe.txt"}


def uudecode(text):
    """Bytes of the first begin/end block of a uuencoded file."""
    out = bytearray()
    inside = False
    for line in text.splitlines():
        if not inside:
            if line.startswith("begin "):
                inside = True
            continue
        if line.strip() == "end":
            return bytes(out)
        if not line:
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines with extra characters: trim the line
            # to the length its count character announces.
            n = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
            out += binascii.a2b_uu(line[:n])
    raise ValueError("no end line")


def load_sample(path, rel):
    """(attachment name, bytes) of one sample file."""
    data = path.read_bytes()
    name = path.name
    if name.endswith(".uu"):
        return name[:-3], uudecode(data.decode("ascii", "replace"))
    if name.endswith(".b64"):
        return name[:-4], base64.b64decode(b"".join(data.split()))
    return RENAMED.get(rel, name), data


def find_samples(root, only):
    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name in SKIP_NAMES:
            continue
        rel = p.relative_to(root).as_posix()
        if only and not any(fnmatch.fnmatch(rel, pat) or pat in rel
                            for pat in only):
            continue
        out.append((p, rel))
    return out


def filename_param(name):
    if all(0x20 < ord(c) < 0x7F and c not in '"\\' for c in name):
        return 'filename="%s"' % name
    enc = "".join(chr(b) if chr(b).isalnum() and b < 0x80 or chr(b) in
                  "-._~" else "%%%02X" % b for b in name.encode("utf-8"))
    return "filename*=UTF-8''%s" % enc


def build_mail(rel, name, data):
    """A plain mail from the outside carrying `data` as an attachment."""
    bnd = "sweep-" + hashlib.sha256(rel.encode()).hexdigest()[:24]
    b64 = base64.b64encode(data)
    lines = b"".join(b64[i:i + 76] + b"\n" for i in range(0, len(b64), 76))
    head = ("From: sweep@example.org\n"
            "To: johoseisaku@city.example.lg.jp\n"
            "Subject: external sample %s\n"
            "Date: Mon, 2 Dec 2024 10:00:00 +0900\n"
            "Message-ID: <%s@sweep.example.org>\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="%s"\n\n'
            % (rel.encode("ascii", "replace").decode(), bnd, bnd))
    text = ("--%s\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "外部サンプルを添付します。\n\n--%s\n"
            "Content-Type: application/octet-stream\n"
            "Content-Disposition: attachment; %s\n"
            "Content-Transfer-Encoding: base64\n\n" % (
                bnd, bnd, filename_param(name)))
    return (head + text).encode("utf-8") + lines + \
        ("\n--%s--\n" % bnd).encode("ascii")


def sweep_one(path, rel, args, template):
    errs = []
    try:
        name, data = load_sample(path, rel)
    except (ValueError, binascii.Error) as e:
        return rel, ["cannot decode the sample: %s" % e]
    mail = build_mail(rel, name, data)
    tmp = Path(tempfile.mkdtemp(prefix="mgsweep-"))
    try:
        qdir = tmp / "quarantine"
        qdir.mkdir()
        conf = tmp / "test.conf"
        conf.write_text(rc.render_conf(template, qdir, args.templates),
                        "utf-8")
        inp = tmp / "in.eml"
        inp.write_bytes(mail)
        run, out_path, rep_path = rc.sanitize_once(args.cli, conf, inp, tmp,
                                                   args.timeout)
        errs += rc.sanitizer_errors(run)
        if run.rc != 0:
            errs.append("%s; stderr: %s" % (
                rc.describe_rc(run.rc),
                run.stderr.decode("utf-8", "replace").strip()[:300]))
            return rel, errs
        if not out_path.exists():
            return rel, errs + ["exit 0 but no output written"]
        report, err = rc.load_report(rep_path)
        if err:
            return rel, errs + [err]
        errs += rc.check_report_shape(report)
        cerrs, info = rc.check_output(out_path.read_bytes(), mail, report)
        errs += cerrs
        errs += rc.check_notice(info["body"], report)
        parts = [p for p in report.get("parts") or []
                 if isinstance(p, dict) and p.get("filename") == name]
        if not parts:
            errs.append("no report part named %r" % name)
        elif not any(p.get("action") == "removed" for p in parts):
            errs.append("part %r not removed (action %r)" % (
                name, parts[0].get("action")))
        else:
            p = [p for p in parts if p.get("action") == "removed"][0]
            if p.get("size") not in (None, len(data)):
                errs.append("part size %r, the sample has %d bytes" % (
                    p.get("size"), len(data)))
            want = hashlib.sha256(data).hexdigest()
            if p.get("sha256") not in (None, want):
                errs.append("part sha256 %s, the sample's is %s" % (
                    p.get("sha256"), want))
        if report.get("disposition") in ("clean", "rejected"):
            errs.append("disposition %r" % report.get("disposition"))
        qid = report.get("quarantine_id")
        if not qid:
            errs.append("no quarantine_id")
        else:
            errs += rc.check_quarantine(args.cli, conf, qid, mail,
                                        args.timeout)
        return rel, errs
    finally:
        if args.keep:
            print("     kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=str(REPO / "build" / "cli" /
                                         "mugaika"))
    ap.add_argument("--external", default=str(REPO.parent / "shared" /
                                              "corpus-external"))
    ap.add_argument("--conf", default=str(REPO / "corpus" / "test.conf"))
    ap.add_argument("--templates", default=str(REPO / "conf" /
                                               "templates"))
    ap.add_argument("--only", action="append", default=[],
                    metavar="PATTERN")
    ap.add_argument("--jobs", "-j", type=int,
                    default=min(4, os.cpu_count() or 1))
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)

    root = Path(args.external)
    if not root.is_dir():
        print("sweep_external: %s not found: skipped" % root)
        return 77
    if not os.access(args.cli, os.X_OK):
        print("sweep_external: %s is not an executable" % args.cli)
        return 1
    template = Path(args.conf).read_text("utf-8")
    samples = find_samples(root, args.only)
    if not samples:
        print("sweep_external: no sample under %s" % root)
        return 1
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(sweep_one, p, rel, args, template)
                for p, rel in samples]
        for f in futs:
            rel, errs = f.result()
            if errs:
                failed += 1
                print("FAIL %s" % rel)
                for e in errs[:rc.MAX_ERRORS]:
                    print("     - %s" % e)
            else:
                passed += 1
                print("ok   %s" % rel)
            sys.stdout.flush()
    print("external: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
