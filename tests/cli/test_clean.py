#!/usr/bin/env python3
"""`mugaika clean`: the contract that holds whatever the CDR modules do —
refusals before any module sees the file (disguises, blocked types,
malware, encrypted archives), unsupported types, usage errors — and that a
refusal never writes OUT.  Per-format rebuilds are tested by each module's
unit tests (tests/unit/test_cdr_*.c)."""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def eicar():
    # Built from halves so this file never holds the test string whole.
    return (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" +
            b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="mgclean-")
    try:
        conf = os.path.join(d, "c.conf")
        with open(conf, "w") as f:
            f.write("[quarantine]\ndir = %s/q\n[notice]\ntemplates = %s/conf/templates\n"
                    "[scan]\ndatabase = %s/corpus/signatures\n" % (d, a.source, a.source))

        def clean(name, data, *extra):
            src = os.path.join(d, "in-" + name.replace("/", "_"))
            with open(src, "wb") as f:
                f.write(data)
            out = os.path.join(d, "out.bin")
            rep = os.path.join(d, "rep.json")
            for p in (out, rep):
                if os.path.exists(p):
                    os.unlink(p)
            r = subprocess.run([a.cli, "clean", "--config", conf, "--report", rep,
                                "--name", name, *extra, src, out],
                               capture_output=True, timeout=120)
            report = json.load(open(rep)) if os.path.exists(rep) else None
            return r.returncode, os.path.exists(out), report, r.stderr

        mz = b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 200
        rc, out, rep, _ = clean("請求書.pdf", mz)
        check(rc == 2 and not out and rep["reason"] == "type_mismatch",
              "an executable named .pdf: refused (type_mismatch), nothing written")
        rc, out, rep, _ = clean("setup.exe", mz)
        check(rc == 2 and not out and rep["reason"] == "blocked_type",
              "an executable: refused (blocked_type)")
        rc, out, rep, _ = clean("readme.txt", eicar())
        check(rc == 2 and not out and rep["reason"] == "virus"
              and "Mugaika.Test.EICAR.UNOFFICIAL" in rep["threats"],
              "EICAR: refused (virus) with the threat named")
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("inner/test.txt", eicar())
        rc, out, rep, _ = clean("data.zip", b.getvalue())
        check(rc == 2 and not out and rep["reason"] == "virus",
              "EICAR inside a zip: refused (virus)")
        rc, out, rep, _ = clean("photo.jpg\u202egpj.exe", b"\xff\xd8\xff\xe0" + b"\x00" * 100)
        check(rc == 2 and not out and rep["reason"] in ("bidi_name", "double_extension", "blocked_type"),
              "a bidi-spoofed name: refused")
        rc, out, rep, _ = clean("random.bin", os.urandom(4096))
        check(rc == 2 and not out and rep["reason"] in ("unsupported",),
              "an unknown type: refused (unsupported)")
        check(rep is not None and rep["input"]["size"] == 4096 and len(rep["input"]["sha256"]) == 64,
              "report: input size and sha256")
        r = subprocess.run([a.cli, "clean", "--config", conf, "/nonexistent", os.path.join(d, "o")],
                           capture_output=True, timeout=60)
        check(r.returncode == 64, "missing IN: exit 64")
        r = subprocess.run([a.cli, "clean", "--config", conf], capture_output=True, timeout=60)
        check(r.returncode == 64, "no arguments: exit 64")
        # A module that dies on a file (the test hook aborts the child
        # as a parser bug would): 75, nothing written, no report.
        src = os.path.join(d, "poison.txt")
        with open(src, "wb") as f:
            f.write(b"plain text with MUGAIKA-POISON-CLEAN inside\n")
        out = os.path.join(d, "poison.out")
        env = dict(os.environ, MUGAIKA_TEST_CRASH_ON="MUGAIKA-POISON-CLEAN")
        r = subprocess.run([a.cli, "clean", "--config", conf, src, out],
                           capture_output=True, timeout=120, env=env)
        check(r.returncode == 75 and not os.path.exists(out)
              and b"nothing written" in r.stderr,
              "a module crash: exit 75, nothing written")
        r = subprocess.run([a.cli, "clean", "--config", conf, src, out],
                           capture_output=True, timeout=120)
        check(r.returncode == 0 and os.path.exists(out),
              "the same file without the hook: written")
        # A memory bomb (test hook: 1 GiB asked for and touched) past
        # [milter] worker_max_memory: the child's allocation fails, 75,
        # nothing written.  Under ASan there is no address-space limit.
        if "asan" in os.path.basename(a.cli):
            print("skip a memory bomb past worker_max_memory (ASan build)")
        else:
            small = os.path.join(d, "small.conf")
            with open(conf) as f, open(small, "w") as g:
                g.write(f.read() + "[milter]\nworker_max_memory = 256M\n")
            with open(src, "wb") as f:
                f.write(b"plain text with MUGAIKA-BOMB-CLEAN inside\n")
            out = os.path.join(d, "bomb.out")
            env = dict(os.environ, MUGAIKA_TEST_ALLOC_ON="MUGAIKA-BOMB-CLEAN")
            r = subprocess.run([a.cli, "clean", "--config", small, src, out],
                               capture_output=True, timeout=120, env=env)
            check(r.returncode == 75 and not os.path.exists(out)
                  and b"nothing written" in r.stderr,
                  "a memory bomb past worker_max_memory: exit 75, "
                  "nothing written")
            r = subprocess.run([a.cli, "clean", "--config", conf, src, out],
                               capture_output=True, timeout=120, env=env)
            check(r.returncode == 0 and os.path.exists(out),
                  "the same bomb under the default 4G: written")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("clean: %d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
