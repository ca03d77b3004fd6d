#!/usr/bin/env python3
"""CLI behaviour that the corpus runner does not cover: exit codes on
environment failures (nothing written, exit 75), the size cap through a
pipe, config errors, and the `mugaika quarantine` subcommands (list, show,
export, delete, purge) including terminal escaping of hostile strings."""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def write_conf(d, src, extra=""):
    conf = os.path.join(d, "c.conf")
    with open(conf, "w") as f:
        f.write("[quarantine]\ndir = %s/q\n[notice]\ntemplates = %s/conf/templates\n"
                "[scan]\ndatabase = %s/corpus/signatures\n%s"
                % (d, src, src, extra))
    return conf


MAIL = (b"From: sender@example.jp\nTo: staff@city.example.lg.jp\n"
        b"Subject: =?UTF-8?B?6KaL56mN?=\x1b[31m\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=x\n\n"
        b"--x\nContent-Type: text/plain; charset=utf-8\n\nbody\n"
        b"--x\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=\"a\x1b]0;pwn\x07.bin\"\n"
        b"Content-Transfer-Encoding: base64\n\nAAECAwQ=\n--x--\n")


def run(cli, args, stdin=None, preexec=None):
    return subprocess.run([cli] + args, input=stdin, capture_output=True,
                          preexec_fn=preexec, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    cli, src = a.cli, a.source
    d = tempfile.mkdtemp(prefix="mgcli-")
    try:
        conf = write_conf(d, src)
        inp = os.path.join(d, "in.eml")
        with open(inp, "wb") as f:
            f.write(MAIL)

        # Usage errors.
        check(run(cli, []).returncode == 64, "no command: exit 64")
        check(run(cli, ["frobnicate"]).returncode == 64, "unknown command: exit 64")
        check(run(cli, ["sanitize", "--mode", "pdf", "--config", conf, inp]).returncode == 64,
              "unknown mode: exit 64")

        # A config error: the mail must wait (75), and the message names key and line.
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write("[limits]\n\nmax_dept = 3\n")
        r = run(cli, ["sanitize", "--config", bad, inp])
        check(r.returncode == 75 and b"bad.conf:3" in r.stderr and b"max_dept" in r.stderr,
              "config error: exit 75 naming file:line and key")
        check(r.stdout == b"", "config error: nothing written")

        # Quarantine store impossible to create: 75, nothing written.
        noq = os.path.join(d, "noq.conf")
        with open(noq, "w") as f:
            f.write("[quarantine]\ndir = /dev/null/q\n[notice]\ntemplates = %s/conf/templates\n"
                    "[scan]\ndatabase = %s/corpus/signatures\n" % (src, src))
        r = run(cli, ["sanitize", "--config", noq, inp])
        check(r.returncode == 75 and r.stdout == b"", "unusable quarantine: exit 75, nothing written")

        big = MAIL.replace(b"AAECAwQ=", b"QUFB" * 2000)
        bigp = os.path.join(d, "big.eml")
        with open(bigp, "wb") as f:
            f.write(big)

        # The size cap through a pipe: exit 2, nothing written.
        capc = write_conf(tempfile.mkdtemp(dir=d), src, "[limits]\nmax_message_size = 1k\n")
        r = run(cli, ["sanitize", "--config", capc], stdin=big)
        check(r.returncode == 2 and r.stdout == b"", "over the size cap via stdin: exit 2, nothing written")
        rep = os.path.join(d, "rej.json")
        r = run(cli, ["sanitize", "--config", capc, "--report", rep, bigp])
        check(r.returncode == 2 and json.load(open(rep))["disposition"] == "rejected"
              and "message_too_large" in json.load(open(rep))["reasons"],
              "rejected report names message_too_large")

        # Sanitize twice with an envelope; then the quarantine commands.
        for i in range(2):
            r = run(cli, ["sanitize", "--config", conf, "--sender", "env@example.jp",
                          "--recipient", "a@city.example.lg.jp", "--recipient",
                          "b@city.example.lg.jp", inp, os.path.join(d, "o%d.eml" % i)])
            check(r.returncode == 0, "sanitize %d: exit 0" % i)
        # Disk full while storing the original (file-size limit as a
        # stand-in): 75 and no output file.
        out = os.path.join(d, "out-full.eml")

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        big = MAIL.replace(b"AAECAwQ=", b"QUFB" * 2000)
        bigp = os.path.join(d, "big.eml")
        with open(bigp, "wb") as f:
            f.write(big)
        # The store exists already (created above), so the failure is
        # the write of this original, not the store's creation.
        r = run(cli, ["sanitize", "--config", conf, bigp, out], preexec=small_files)
        check(r.returncode == 75 and not os.path.exists(out),
              "store fails (EFBIG): exit 75, no output file")

        r = run(cli, ["quarantine", "--config", conf, "list", "--json"])
        entries = json.loads(r.stdout)
        check(r.returncode == 0 and len(entries) == 2, "list --json: two entries")
        e = entries[0]
        check(e["sender"] == "env@example.jp"
              and e["recipients"] == ["a@city.example.lg.jp", "b@city.example.lg.jp"],
              "envelope stored")
        qid = e["id"]
        r = run(cli, ["quarantine", "--config", conf, "list"])
        check(r.returncode == 0 and b"\x1b" not in r.stdout and qid.encode() in r.stdout,
              "list: no raw ESC reaches the terminal")
        r = run(cli, ["quarantine", "--config", conf, "show", qid])
        check(r.returncode == 0 and b"\x1b" not in r.stdout and b"\x07" not in r.stdout
              and b"\\x1B" in r.stdout, "show: hostile file name escaped")
        r = run(cli, ["quarantine", "--config", conf, "export", qid])
        check(r.returncode == 0 and r.stdout == MAIL, "export: the original, byte-exact")
        r = run(cli, ["quarantine", "--config", conf, "show", "../../etc/passwd"])
        check(r.returncode == 64, "show with a path as id: exit 64")
        r = run(cli, ["quarantine", "--config", conf, "show", "20200101-AAAAAAAAAAAA"])
        check(r.returncode == 1, "show unknown id: exit 1")
        r = run(cli, ["quarantine", "--config", conf, "delete", qid])
        check(r.returncode == 0, "delete: exit 0")
        r = run(cli, ["quarantine", "--config", conf, "export", qid])
        check(r.returncode == 1 and r.stdout == b"", "export after delete: exit 1")
        # The audit log of what happened, and its hash chain.
        auditc = write_conf(tempfile.mkdtemp(dir=d), src,
                            "[log]\naudit_file = %s/audit.log\n" % d)
        r = run(cli, ["sanitize", "--config", auditc, "--sender", "env@example.jp", inp])
        r2 = run(cli, ["sanitize", "--config", auditc, inp])
        check(r.returncode == 0 and r2.returncode == 0, "sanitize with an audit log")
        lines = open(os.path.join(d, "audit.log"), encoding="utf-8").read().splitlines()
        recs = [json.loads(x) for x in lines]
        check([x["seq"] for x in recs] == list(range(1, len(recs) + 1))
              and recs[0]["type"] == "message" and recs[0]["sender"] == "env@example.jp"
              and any(x["type"] == "part" for x in recs),
              "audit: message and part records, seq 1..n")
        r = run(cli, ["audit", "--config", auditc, "verify"])
        check(r.returncode == 0, "audit verify: ok")
        raw = open(os.path.join(d, "audit.log"), "rb").read()
        open(os.path.join(d, "audit.log"), "wb").write(raw.replace(b"env@example.jp", b"env@example.jq", 1))
        r = run(cli, ["audit", "--config", auditc, "verify"])
        check(r.returncode == 1, "audit verify: an edited record is detected")

        r = run(cli, ["quarantine", "--config", conf, "purge", "--older-than", "30d"])
        r2 = run(cli, ["quarantine", "--config", conf, "list", "--json"])
        check(r.returncode == 0 and len(json.loads(r2.stdout)) == 1,
              "purge --older-than 30d keeps today's entry")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("cli: %d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
