#!/usr/bin/env python3
"""Send every sample of the external corpus through `mugaika sanitize`.

The external corpus (shared/corpus-external beside the repository; see its
MANIFEST.md) holds public test files: Office documents with macros and DDE,
encrypted documents, archives, TNEF, images, PDFs.  For each sample this
builds a mail carrying it as a base64 attachment under its own name, runs

    mugaika sanitize --config CONF --report REPORT.json mail.eml OUT.eml

and checks, in text mode: exit 0; a well-formed single text/plain output
(the same checks as run_corpus.py); the report lists a part with the
sample's file name, action "removed", and the sample's size and SHA-256
(a sample that is a mail, RFC 822 or an Outlook item, is "converted"
instead: walked as an attached message, each of its own attachments
removed); the quarantine export of the message equals the mail that went in.

*.uu samples are uudecoded and *.b64 samples base64-decoded first; the
decoded name is the file name without that suffix.  The sample stored as
pycirclean/dangerous/testRTL_U202E_exe.txt is sent under its real name,
"testRTL" U+202E "exe.txt", RFC 2231-encoded.

The bad-input sweep (issue 6) adds, on request, a second mode and more
inputs, with the checks every hostile input gets rather than the
external corpus's exact expectations:

    --modes attach,raw   send each external sample as an attachment (the
                         checks above) and also as a raw message
    --fuzz DIR           every file under DIR (recursively), e.g. a fuzz
                         target's regressions or corpus, both as an
                         attachment and as a raw message
    --fuzz-default       --fuzz tests/fuzz/regressions and tests/fuzz/seeds
                         (those that exist), and a few edge inputs built
                         here (empty, a lone LF, header only, an 8-bit
                         field name...)
    --fuzz-corpus        --fuzz build-fuzz/seeds and every
                         build-fuzz/corpus/*/ (local: what the fuzzers
                         grew; not in the repository)

A bad input passes when `mugaika sanitize` exits 0 or 2 (never a crash, a
timeout, or 75: a temporary failure is the environment's, and no input may
cause one), prints no AddressSanitizer, LeakSanitizer or UBSan report,
writes a report with an explicit disposition, and on exit 0 writes an
output that meets the output contract (run_corpus.check_output, without
the header carry-over check).  An attachment gets a name with the
extension its fuzz target reads (cdr_pdf: .pdf, tnef: winmail.dat...).

Exit 77 (skipped) when there is nothing to sweep (the external corpus is
absent and no fuzz input was found), 1 on any failure.  Python 3.11
standard library only.
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_corpus as rc  # noqa: E402

REPO = HERE.parents[1]
SKIP_NAMES = {"MANIFEST.md", "SHA256SUMS"}
RENAMED = {"pycirclean/dangerous/testRTL_U202E_exe.txt":
           "testRTL\u202eexe.txt"}
# Fuzz inputs: the attachment name for each target's inputs (the
# directory they sit in), so that the name leads where the target reads.
FUZZ_SKIP = {"README.md", ".gitkeep"}
FUZZ_NAMES = {"cdr_pdf": "x.pdf", "cdr_ooxml": "x.docx", "cdr_ole2": "x.doc",
              "cdr_rtf": "x.rtf", "cdr_image": "x.png", "cdr_svg": "x.svg",
              "cdr_html": "x.html", "cdr_text": "x.txt",
              "cdr_archive": "x.zip", "unpack": "x.zip",
              "tnef": "winmail.dat", "mime": "x.eml", "html": "x.html",
              "uu": "x.txt", "charset": "x.txt", "header": "x.txt",
              "audit": "x.json"}


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
        mail_types = ("message/rfc822", "application/vnd.ms-outlook")
        if parts and parts[0].get("action") == "converted" and \
                parts[0].get("detected_type") in mail_types:
            # A mail saved as a file, or an Outlook item: walked as an
            # attached message (its text delivered, its own attachments
            # removed), not removed whole.
            inner = [p for p in report.get("parts") or []
                     if isinstance(p, dict) and p.get("path", "").startswith(
                         parts[0].get("path", "?") + ".") and
                     p.get("filename")]
            if any(p.get("action") != "removed" for p in inner):
                errs.append("an attachment of the attached mail %r was "
                            "not removed: %r" % (name, inner))
        elif not parts:
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


# Edge inputs built here (--fuzz-default): the smallest messages a
# parser can be handed, each as a raw message and as an attachment.
EDGE_INPUTS = {
    "empty": b"",
    "lf": b"\n",
    "crlf": b"\r\n",
    "header-only": b"Subject: x\n",
    "header-empty-body": b"From: a@example.org\nSubject: x\n\n",
    "no-header": b"\nbody only\n",
    "nul": b"\0",
    "8bit-field-name": "件名: テスト\n\n本文\n".encode("utf-8"),
    "8bit-address": "From: a@example.org\nTo: b@city.˙˙lg.jp\n"
                    "Subject: x\n\nbody\n".encode("utf-8"),
    "us-in-message-id": b"From: a@example.org\nMessage-ID: <a\x1fb@example"
                        b".org>\nSubject: x\n\nbody\n",
    "multipart-empty": b"MIME-Version: 1.0\nContent-Type: multipart/mixed; "
                       b"boundary=b\n\n--b--\n",
}


def edge_inputs(tmpdir):
    """(path, rel) of the edge inputs, written under tmpdir."""
    out = []
    for name, data in EDGE_INPUTS.items():
        p = Path(tmpdir) / name
        p.write_bytes(data)
        out.append((p, "fuzz:edge/%s" % name))
    return out


def find_fuzz(root):
    """(path, rel) of every fuzz input under root; rel starts with
    "fuzz:" and the directory's last two names."""
    out = []
    base = root.parent.parent if root.parent != root else root
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name in FUZZ_SKIP or p.name.startswith("."):
            continue
        out.append((p, "fuzz:" + p.relative_to(base).as_posix()))
    return out


def fuzz_attachment_name(path):
    """x.<ext> for the target whose directory holds path (fuzz_mime/ or
    mime/), or the file's own name."""
    for d in (path.parent.name, path.parent.parent.name):
        key = d[5:] if d.startswith("fuzz_") else d
        if key in FUZZ_NAMES:
            return path.name[:16] + "-" + FUZZ_NAMES[key]
    return path.name


def bad_input_one(path, rel, mode, args, template):
    """One hostile input, as an attachment or as the raw message: an exit
    of 0 or 2, no sanitizer report, an explicit disposition, and on exit
    0 an output that meets the contract.  Returns (rel, errs, verdict)."""
    errs = []
    try:
        if rel.startswith("fuzz:"):
            name, data = fuzz_attachment_name(path), path.read_bytes()
        else:
            name, data = load_sample(path, rel)
    except FileNotFoundError as e:
        # A running fuzzer merges its corpus and removes inputs: gone is
        # not a failure there.
        if rel.startswith("fuzz:"):
            return rel, [], "vanished"
        return rel, ["cannot read the sample: %s" % e], None
    except (OSError, ValueError, binascii.Error) as e:
        return rel, ["cannot read the sample: %s" % e], None
    mail = build_mail(rel, name, data) if mode == "attach" else data
    tmp = Path(tempfile.mkdtemp(prefix="mgsweep-"))
    verdict = None
    try:
        qdir = tmp / "quarantine"
        qdir.mkdir()
        conf = tmp / "test.conf"
        conf.write_text(rc.render_conf(template, qdir, args.templates),
                        "utf-8")
        inp = tmp / "in.eml"
        inp.write_bytes(mail)
        try:
            run, out_path, rep_path = rc.sanitize_once(args.cli, conf, inp,
                                                       tmp, args.timeout)
        except OSError as e:
            return rel, ["cannot run %s: %s" % (args.cli, e)], None
        errs += rc.sanitizer_errors(run)
        verdict = rc.describe_rc(run.rc)
        if run.rc not in (0, 2):
            errs.append("%s; stderr: %s" % (
                rc.describe_rc(run.rc),
                run.stderr.decode("utf-8", "replace").strip()[-600:]))
            return rel, errs, verdict
        report, err = rc.load_report(rep_path)
        if err:
            return rel, errs + [err], verdict
        disp = report.get("disposition") if isinstance(report, dict) \
            else None
        verdict = "%s/%s" % (verdict, disp)
        if disp not in rc.DISPOSITIONS:
            errs.append("no explicit disposition in the report: %r" % disp)
        if run.rc == 2 and disp != "rejected":
            errs.append("exit 2 with disposition %r" % disp)
        if run.rc == 0 and disp == "rejected":
            errs.append("exit 0 with disposition rejected")
        if run.rc == 0:
            if not out_path.exists():
                errs.append("exit 0 but no output written")
            else:
                cerrs, _ = rc.check_output(out_path.read_bytes(), mail,
                                           report, check_headers=False)
                errs += cerrs
        return rel, errs, verdict
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
    ap.add_argument("--modes", default="attach",
                    help="for the external samples: attach, raw, or "
                    "attach,raw (default: attach)")
    ap.add_argument("--fuzz", action="append", default=[], metavar="DIR",
                    help="also every file under DIR, as an attachment and "
                    "as a raw message; repeatable")
    ap.add_argument("--fuzz-default", action="store_true",
                    help="--fuzz tests/fuzz/regressions tests/fuzz/seeds")
    ap.add_argument("--fuzz-corpus", action="store_true",
                    help="--fuzz build-fuzz/seeds build-fuzz/corpus/*")
    ap.add_argument("--quiet", "-q", action="store_true",
                    help="print failures and a progress line only")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"attach", "raw"}:
        ap.error("--modes: attach, raw or attach,raw")

    if not os.access(args.cli, os.X_OK):
        print("sweep_external: %s is not an executable" % args.cli)
        return 1
    template = Path(args.conf).read_text("utf-8")
    root = Path(args.external)
    samples = []
    if root.is_dir():
        samples = find_samples(root, args.only)
        if not samples:
            print("sweep_external: no sample under %s" % root)
            return 1
    else:
        print("sweep_external: %s not found: skipped" % root)
    fuzz_dirs = [Path(d) for d in args.fuzz]
    if args.fuzz_default:
        fuzz_dirs += [REPO / "tests" / "fuzz" / "regressions",
                      REPO / "tests" / "fuzz" / "seeds"]
    if args.fuzz_corpus:
        fuzz_dirs.append(REPO / "build-fuzz" / "seeds")
        fuzz_dirs += sorted((REPO / "build-fuzz" / "corpus").glob("*/"))
    fuzz = []
    for d in fuzz_dirs:
        if d.is_dir():
            fuzz += [(p, rel) for p, rel in find_fuzz(d) if not args.only or
                     any(fnmatch.fnmatch(rel, pat) or pat in rel
                         for pat in args.only)]
        else:
            print("sweep_external: %s not found: skipped" % d)
    if args.fuzz_default:
        edge_dir = Path(tempfile.mkdtemp(prefix="mgsweep-edge-"))
        fuzz += [(p, rel) for p, rel in edge_inputs(edge_dir)
                 if not args.only or any(fnmatch.fnmatch(rel, pat) or
                                         pat in rel for pat in args.only)]
    # (function, path, rel, mode): the external corpus's exact checks for
    # attachments, the bad-input checks for everything else.
    jobs = []
    for p, rel in samples:
        if "attach" in modes:
            jobs.append((sweep_one, p, rel, "attach"))
        if "raw" in modes:
            jobs.append((bad_input_one, p, rel, "raw"))
    for p, rel in fuzz:
        jobs.append((bad_input_one, p, rel, "attach"))
        jobs.append((bad_input_one, p, rel, "raw"))
    if not jobs:
        if args.fuzz_default:
            shutil.rmtree(edge_dir, ignore_errors=True)
        print("sweep_external: nothing to sweep: skipped")
        return 77
    # Run a private copy of the CLI (it is linked statically): a sweep can
    # take long, and the build tree's binary may be relinked meanwhile.
    bindir = Path(tempfile.mkdtemp(prefix="mgsweep-bin-"))
    try:
        cli = bindir / Path(args.cli).name
        shutil.copy2(args.cli, cli)
        args.cli = str(cli)
        return run_jobs(jobs, samples, fuzz, modes, args, template)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
        if args.fuzz_default:
            shutil.rmtree(edge_dir, ignore_errors=True)


def run_jobs(jobs, samples, fuzz, modes, args, template):
    passed = failed = 0
    verdicts = {}
    t0 = time.monotonic()
    tally = {"external": [0, 0], "bad-input": [0, 0]}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = []
        for fn, p, rel, mode in jobs:
            if fn is sweep_one:
                futs.append((mode, ex.submit(sweep_one, p, rel, args,
                                             template), "external"))
            else:
                futs.append((mode, ex.submit(fn, p, rel, mode, args,
                                             template), "bad-input"))
        for k, (mode, f, kind) in enumerate(futs):
            res = f.result()
            rel, errs = res[0], res[1]
            if len(res) > 2 and res[2]:
                verdicts[res[2]] = verdicts.get(res[2], 0) + 1
            label = rel if kind == "external" else "%-6s %s" % (mode, rel)
            if errs:
                failed += 1
                tally[kind][1] += 1
                print("FAIL %s" % label)
                for e in errs[:rc.MAX_ERRORS]:
                    print("     - %s" % e)
            else:
                passed += 1
                tally[kind][0] += 1
                if not args.quiet:
                    print("ok   %s" % label)
            if args.quiet and (k + 1) % 500 == 0:
                print("... %d/%d (%.0fs)" % (k + 1, len(futs),
                                             time.monotonic() - t0))
            sys.stdout.flush()
    if samples and "attach" in modes:
        print("external: %d passed, %d failed" % tuple(tally["external"]))
    if tally["bad-input"] != [0, 0]:
        print("bad input: %d passed, %d failed (%d external samples raw, "
              "%d fuzz inputs x 2); verdicts: %s" % (
                  tally["bad-input"][0], tally["bad-input"][1],
                  len(samples) if "raw" in modes else 0, len(fuzz),
                  ", ".join("%s %d" % kv for kv in sorted(
                      verdicts.items()))))
    print("sweep: %d runs in %.0fs" % (len(futs), time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
