#!/usr/bin/env python3
"""test_e2e.py - mugaika-milter behind a real Postfix, end to end.

One private Postfix instance on loopback (tests/e2e/harness.py) with the
milter as smtpd_milters and non_smtpd_milters; mail is sent over SMTP
(smtplib, and swaks where its transcript is the point) or submitted
locally with sendmail(1), and read back from the Maildir Postfix
delivered to.  Each named check prints "ok NAME" or "FAIL NAME: why";
a summary follows.  Exit 0 when every check passed, 1 otherwise, 77 when
Postfix or swaks is missing (CTest: SKIP_RETURN_CODE 77).

Checks, in the order they run (one milter restart between groups):

  start/*       Postfix and the milter come up
  corpus/CASE   corpus mails over SMTP: one text/plain part, exactly one
                X-Mugaika (disposition as expect.json says), no incoming
                X-Mugaika* forgery, body_contains, removed parts listed,
                the original kept and exported byte for byte
  virus/*       EICAR in a zip: the virus notice, the original kept
  forgery/*     a made-up X-Mugaika-Release header buys nothing
  load/*        messages over parallel SMTP sessions, none lost
  crash/*       a worker dies on a message (MUGAIKA_TEST_CRASH_ON): the
                message is held (sanitizer_crash), the worker replaced,
                the next message sanitized
  sandbox/*     a worker makes a forbidden system call
                (MUGAIKA_TEST_FORBIDDEN_ON): its seccomp filter kills it
                with SIGSYS, the message is held (sanitizer_crash), the
                worker replaced, the next message sanitized
  cdr/*         [general] mode = cdr: attachments (docm, PDF with
                JavaScript, PNG with metadata, a zip of them) arrive
                rebuilt next to the text, no worker killed in its sandbox
  timeout/*     a worker hangs (MUGAIKA_TEST_HANG_ON, when the milter has
                that hook; skipped otherwise): held with reason timeout
  reload/*      SIGHUP: reloaded, mail still flows, old workers exit
  stop/*        SIGTERM: the master and all its children exit, pidfile
                gone (with a message in flight: it is finished first)
  down/*        milter down: SMTP gets 451 4.7.1, local submission stays
                queued; milter back + postqueue -f: delivered sanitized
  size/*        [limits] max_message_size: 552 at MAIL FROM (SIZE=) and at
                end of data (no SIZE=, or a SIZE= that lies)
  kill/*        SIGKILL of the master: its children follow, SMTP 451, a
                new milter starts over the stale pidfile and socket; the
                message that was in flight is held when it comes back
                after [milter] max_attempts
  quarantine/*  the store cannot be created (the milter refuses to start,
                SMTP 451), fails at run time or is full (451, nothing
                delivered); repaired + SIGHUP: delivered
  spool/*       the spool file system full: 451
  protocol/*    a milter-protocol client without an MTA: body chunks of
                1, 7 and 65,535 bytes give identical edits; per-connection
                negotiation; abort and two messages on one connection
  recycle/*     worker_max_jobs = 2 over TCP: workers replaced all the
                time, every message answered, the master up; then the
                real Postfix over TCP (protocol/postfix_over_tcp)
  final/*       sent = delivered + still queued, nothing delivered raw,
                no sanitizer report in the milter's log

Python 3.11 standard library only.  Usage:

  test_e2e.py --milter BUILD/milter/mugaika-milter --cli BUILD/cli/mugaika
              [--source REPO] [--keep] [--only PATTERN] [-v]
"""

import argparse
import base64
import fnmatch
import io
import json
import os
import re
import subprocess
import shutil
import signal
import sys
import threading
import time
import traceback
import zipfile
from email.utils import make_msgid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import milter_client as mc  # noqa: E402

# The corpus runner's output checks (the same contract applies to what
# Postfix delivers as to what `mugaika sanitize` writes).
sys.path.insert(0, str(REPO / "tests" / "corpus"))
import run_corpus as rc  # noqa: E402
sys.path.insert(0, str(REPO / "tests" / "cli"))
import test_cdr_mode as cdrs  # noqa: E402  (hostile samples, built)

SKIP = 77

CORPUS_CASES = [
    "becky_iso2022jp_nec",
    "html_only_rendered",
    "outlook_iso2022jp_rfc2047_quoted_filename",
    "forged_x_mugaika_headers",
    "uuencoded_in_text",
    "bidi_override_filename",
    "docomo_sjis_8bit_emoji",
    "raw_sjis_subject",
    "tnef_winmail_dat",
    "forwarded_rfc822_with_attachment",
    "smime_signed",
    "control_chars_in_filenames",
    # The workers' sandbox must allow what these paths do.
    "outlook_item_msg_attachment",
    "saved_mail_msg_octet_stream",
    "raw_jis_subject_sjis_damemoji_filename",
]

# Built at run time from two halves (corpus/signatures/README.md), so no
# file in the tree holds the test string.
_EICAR_A = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
_EICAR_B = "ANTIVIRUS-TEST-FILE!$H+H*"
EICAR = (_EICAR_A + _EICAR_B).encode("ascii")

POISON = "MUGAIKA-E2E-POISON-" + "7Q3ZK"
HANG = "MUGAIKA-E2E-HANG-" + "X4P8W"
FORBIDDEN = "MUGAIKA-E2E-FORBIDDEN-" + "R8N2V"
QID_RX = re.compile(r"\b\d{8}-[A-Z0-9]{12}\b")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


# ---------------------------------------------------------------------------
# Results.

class Results:
    def __init__(self, only=None):
        self.passed = []
        self.failed = []
        self.skipped = []
        self.only = only or []

    def wanted(self, name):
        if not self.only:
            return True
        # A group ("crash/") is wanted when a pattern names it or one of
        # its checks.
        return any(p in name or name in p or fnmatch.fnmatch(name, p)
                   for p in self.only)

    def check(self, name, errs, note=""):
        """Record one check: errs is a list of strings (empty: ok)."""
        if isinstance(errs, str):
            errs = [errs]
        errs = [e for e in errs if e]
        if errs:
            self.failed.append(name)
            print("FAIL %s: %s" % (name, errs[0]))
            for e in errs[1:12]:
                print("     %s" % e)
            if len(errs) > 12:
                print("     (%d more)" % (len(errs) - 12))
        else:
            self.passed.append(name)
            print("ok   %s%s" % (name, "  (%s)" % note if note else ""))
        sys.stdout.flush()
        return not errs

    def skip(self, name, why):
        self.skipped.append(name)
        print("skip %s: %s" % (name, why))
        sys.stdout.flush()

    def summary(self):
        print("\n%d passed, %d failed, %d skipped" % (
            len(self.passed), len(self.failed), len(self.skipped)))
        if self.failed:
            print("failed: %s" % " ".join(self.failed))


# ---------------------------------------------------------------------------
# Messages.

def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def simple_mail(subject, body, rcpt, extra_headers="", msgid=None):
    msgid = msgid or make_msgid(domain="client.e2e.local")
    return crlf(
        "From: Sender <sender@e2e.test>\n"
        "To: <%s>\n"
        "Subject: %s\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\n"
        "Message-ID: %s\n"
        "%s"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n%s\n" % (rcpt, subject, msgid, extra_headers, body))


def mail_with_attachment(subject, text, filename, data, rcpt,
                         ctype="application/octet-stream", msgid=None):
    msgid = msgid or make_msgid(domain="client.e2e.local")
    b64 = base64.encodebytes(data).decode("ascii")
    return crlf(
        "From: Sender <sender@e2e.test>\n"
        "To: <%s>\n"
        "Subject: %s\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\n"
        "Message-ID: %s\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"e2e-bnd\"\n"
        "\n"
        "--e2e-bnd\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n%s\n"
        "--e2e-bnd\n"
        "Content-Type: %s; name=\"%s\"\n"
        "Content-Disposition: attachment; filename=\"%s\"\n"
        "Content-Transfer-Encoding: base64\n"
        "\n%s"
        "--e2e-bnd--\n" % (rcpt, subject, msgid, text, ctype, filename,
                            filename, b64))


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def norm_eol(b):
    return re.sub(rb"\r\n|\r", b"\n", b)


def x_mugaika(msg_bytes):
    """(disposition, params) of the X-Mugaika header, or (None, {})."""
    vals = rc.header_values(rc.parse_raw_headers(msg_bytes), "X-Mugaika")
    if not vals:
        return None, {}
    return rc.x_mugaika_fields(rc.decode_header_value(vals[0], "replace"))


def mask_qids(b):
    if isinstance(b, bytes):
        return re.sub(rb"\b\d{8}-[A-Z0-9]{12}\b", b"@QID@", b)
    return QID_RX.sub("@QID@", b)


# ---------------------------------------------------------------------------
# The run.

class E2E:
    def __init__(self, args, res):
        self.args = args
        self.res = res
        self.h = None
        self.next_user = 0
        # Every message handed to Postfix: user, how, SMTP result,
        # whether Postfix took it (then it must be delivered or queued).
        self.ledger = []
        self.cdr_users = set()
        self.hang_hook = False

    # -- helpers --------------------------------------------------------

    def user(self):
        u = harness.USERS[self.next_user]
        self.next_user += 1
        return u

    def send(self, data, user, size=True, tag=""):
        r = self.h.send("sender@e2e.test", "%s@%s" % (user, harness.DOMAIN),
                        data, size=len(data) if size else None)
        self.ledger.append({"user": user, "how": "smtp", "result": r,
                            "accepted": r.ok, "tag": tag})
        return r

    def wait_one(self, user, timeout=30):
        msgs = self.h.wait_mailbox(user, 1, timeout)
        return msgs

    def delivered_checks(self, out, inp=None, charset="utf-8",
                         check_headers=True, report=None):
        """The contract for anything delivered: rc.check_output."""
        errs, info = rc.check_output(out, inp if inp is not None else b"",
                                     report, charset,
                                     check_headers=check_headers and
                                     inp is not None)
        return errs, info

    def quarantine_errs(self, qid, original, user=None):
        """The original is listed (with our envelope) and exports as
        Postfix received it: the input with CRLF line ends (Postfix hands
        the milter its Received: header neither, so the bytes are the
        sender's, line ends aside)."""
        errs = []
        try:
            entries = self.h.qlist()
        except Exception as e:
            return ["quarantine list: %s" % e]
        ent = [e for e in entries if e.get("id") == qid]
        if not ent:
            return ["quarantine id %s is not listed" % qid]
        if user is not None:
            want = "%s@%s" % (user, harness.DOMAIN)
            if ent[0].get("recipients") != [want]:
                errs.append("quarantine entry recipients %r, expected [%r]"
                            % (ent[0].get("recipients"), want))
            if ent[0].get("sender") != "sender@e2e.test":
                errs.append("quarantine entry sender %r" %
                            ent[0].get("sender"))
        try:
            exp = self.h.qexport(qid)
        except Exception as e:
            return errs + ["quarantine export: %s" % e]
        if norm_eol(exp) != norm_eol(original):
            a, b = norm_eol(exp), norm_eol(original)
            i = next((k for k in range(min(len(a), len(b)))
                      if a[k] != b[k]), min(len(a), len(b)))
            errs.append("quarantine export differs from what was sent "
                        "(%d vs %d bytes; first difference at %d: %r vs %r)"
                        % (len(a), len(b), i, a[max(0, i - 20):i + 40],
                           b[max(0, i - 20):i + 40]))
        return errs

    def report_of(self, qid):
        try:
            rep = self.h.qshow(qid).get("report")
        except Exception:
            return None
        return rep if isinstance(rep, dict) else None

    # -- start ----------------------------------------------------------

    def start(self):
        a = self.args
        self.h = harness.Harness(a.milter, a.cli, a.source, keep=a.keep,
                                 verbose=a.verbose)
        self.hang_hook = b"MUGAIKA_TEST_HANG_ON" in Path(a.milter) \
            .read_bytes()
        self.h.milter_env = {"MUGAIKA_TEST_CRASH_ON": POISON,
                             "MUGAIKA_TEST_FORBIDDEN_ON": FORBIDDEN}
        if self.hang_hook:
            self.h.milter_env["MUGAIKA_TEST_HANG_ON"] = HANG
        t0 = time.monotonic()
        self.h.setup_postfix(message_size_limit=20 * 1024 * 1024,
                             content_timeout=180)
        try:
            self.h.start_postfix()
        except Exception as e:
            self.res.check("start/postfix", str(e))
            return False
        self.res.check("start/postfix", [], "port %d, %.1fs" % (
            self.h.port, time.monotonic() - t0))
        try:
            self.h.start_milter(overrides={})
        except Exception as e:
            self.res.check("start/milter", str(e))
            return False
        pids = self.h.milter_pids()
        errs = []
        if pids["frontend"] is None:
            errs.append("no front end process holds the socket")
        if len(pids["workers"]) != 2:
            errs.append("%d workers, [milter] workers = 2" %
                        len(pids["workers"]))
        self.res.check("start/milter", errs, "master %s" % pids["master"])
        return True

    # -- 1. corpus ------------------------------------------------------

    def test_corpus(self):
        sent = []
        for case in CORPUS_CASES:
            name = "corpus/%s" % case
            if not self.res.wanted(name):
                continue
            d = REPO / "corpus" / "text" / case
            if not d.is_dir():
                self.res.skip(name, "no such case")
                continue
            inp = (d / "input.eml").read_bytes()
            expect = json.loads((d / "expect.json").read_text("utf-8"))
            u = self.user()
            r = self.send(inp, u, tag=name)
            sent.append((name, inp, expect, u, r))
        for name, inp, expect, u, r in sent:
            if not r.ok:
                self.res.check(name, "SMTP: %r" % r)
                continue
            msgs = self.wait_one(u)
            self.res.check(name, self.corpus_errs(inp, expect, u, msgs))
        if sent:
            # Each line names the client as Postfix does, name[address]:
            # the address comes from the connect step (Postfix's default
            # macros have no {client_addr}).
            lines = [ln for ln in self.h.log_text().splitlines()
                     if " client=" in ln and "E2EQID" not in ln]
            bad = [ln for ln in lines
                   if not re.search(r" client=\S+\[127\.0\.0\.1\] ", ln)]
            self.res.check("corpus/log_names_client_address",
                           ["no log line"] if not lines else
                           ["%d lines without name[127.0.0.1]: %s" %
                            (len(bad), bad[0][-160:])] if bad else [],
                           lines[0][-120:] if lines else "")

    def corpus_errs(self, inp, expect, u, msgs):
        if len(msgs) != 1:
            return ["%d messages delivered to %s, expected 1" %
                    (len(msgs), u)]
        out = msgs[0]
        disp, params = x_mugaika(out)
        qid = params.get("id")
        report = None
        if qid and qid != "-":
            report = self.report_of(qid)
        errs, info = self.delivered_checks(
            out, inp, expect.get("charset", "utf-8"),
            expect.get("check_headers", True), report)
        want = rc.as_list(expect.get("disposition") or
                          ["clean", "sanitized", "quarantined"])
        if disp not in want:
            errs.append("X-Mugaika disposition %r, expected %s" %
                        (disp, " or ".join(want)))
        body = info.get("body") or ""
        for s in expect.get("body_contains", []):
            if s not in body:
                errs.append("body lacks %r" % s)
        for s in expect.get("body_not_contains", []):
            if s in body:
                errs.append("body contains %r" % s)
        pos = 0
        for s in expect.get("body_order", []):
            k = body.find(s, pos)
            if k < 0:
                errs.append("body_order: %r not found after offset %d" %
                            (s, pos))
                break
            pos = k + len(s)
        hdrs = info.get("headers") or []
        for hname, want_v in expect.get("headers", {}).items():
            vals = [rc.decode_header_value(v, "replace")
                    for v in rc.header_values(hdrs, hname)]
            if not vals:
                errs.append("header %s missing" % hname)
            elif rc.normalize_for_compare(hname, want_v) not in [
                    rc.normalize_for_compare(hname, v) for v in vals]:
                errs.append("header %s is %r, expected %r" %
                            (hname, vals[0], want_v))
        for hname, rx in expect.get("headers_match", {}).items():
            vals = [rc.decode_header_value(v, "replace")
                    for v in rc.header_values(hdrs, hname)]
            if not any(re.search(rx, v) for v in vals):
                errs.append("header %s %r does not match %r" %
                            (hname, vals, rx))
        for hname in expect.get("headers_absent", []):
            if rc.header_values(hdrs, hname):
                errs.append("header %s present" % hname)
        # The incoming X-Mugaika* headers (forgeries) are all gone: what
        # is left is ours, and names this gateway.
        if params.get("host") not in (None, "gw.e2e.test"):
            errs.append("X-Mugaika host=%r: not ours" % params.get("host"))
        if disp in ("sanitized", "quarantined"):
            if not qid or qid == "-":
                errs.append("%s without a quarantine id" % disp)
            elif report is None:
                errs.append("quarantine show %s: no report" % qid)
            else:
                errs += rc.check_report_shape(report)
                errs += rc.check_notice(info.get("body"), report)
                if report.get("disposition") != disp:
                    errs.append("report disposition %r, header %r" %
                                (report.get("disposition"), disp))
                missing = rc.match_parts(expect.get("parts", []),
                                         report.get("parts") or [])
                for m in missing:
                    errs.append("no report part matches %s" %
                                json.dumps(m, ensure_ascii=False))
                if expect.get("original_kept", True):
                    errs += self.quarantine_errs(qid, inp, u)
        elif qid not in (None, "-"):
            errs.append("clean message with quarantine id %r" % qid)
        return errs

    # -- 2. EICAR -------------------------------------------------------

    def test_virus(self):
        name = "virus/eicar_in_zip"
        if not self.res.wanted(name):
            return
        u = self.user()
        z = zip_bytes([("readme.txt", b"see the other file\n"),
                       ("eicar.com", EICAR)])
        data = mail_with_attachment("請求書の送付", "請求書を添付します。",
                                    "invoice.zip", z,
                                    "%s@%s" % (u, harness.DOMAIN),
                                    ctype="application/zip")
        r = self.send(data, u, tag=name)
        if not r.ok:
            self.res.check(name, "SMTP: %r" % r)
            return
        msgs = self.wait_one(u)
        if len(msgs) != 1:
            self.res.check(name, "%d messages delivered" % len(msgs))
            return
        out = msgs[0]
        errs, info = self.delivered_checks(out, data)
        disp, params = x_mugaika(out)
        qid = params.get("id")
        body = info.get("body") or ""
        if disp != "quarantined":
            errs.append("X-Mugaika disposition %r, expected quarantined" %
                        disp)
        if "Mugaika.Test.EICAR" not in body:
            errs.append("the notice does not name the threat")
        if "ウイルス" not in body:
            errs.append("not the virus notice (no ウイルス)")
        if EICAR in out or b"UEsDB" in out:
            errs.append("the test string or the zip reached the mailbox")
        if not qid or qid == "-":
            errs.append("no quarantine id")
        else:
            if qid not in body:
                errs.append("quarantine id not in the notice")
            rep = self.report_of(qid)
            if rep is None or "virus" not in (rep.get("reasons") or []):
                errs.append("report reasons %r lack virus" %
                            (rep or {}).get("reasons"))
            errs += self.quarantine_errs(qid, data, u)
        self.res.check(name, errs)

    def test_forged_release(self):
        """An incoming X-Mugaika-Release header (no release key is
        configured here, and this one is made up) buys nothing: the
        message is sanitized as any other and the header is gone."""
        name = "forgery/release_header_not_believed"
        if not self.res.wanted(name):
            return
        u = self.user()
        data = mail_with_attachment("釈放済み?", "本文。", "r.pdf",
                                    b"%PDF-1.4\n" + os.urandom(100),
                                    "%s@%s" % (u, harness.DOMAIN),
                                    "application/pdf")
        head, sep, rest = data.partition(b"\r\n")
        data = head + sep + (b"X-Mugaika-Release: id=20261122-AAAAAAAAAAAA; "
                             b"mac=" + b"0" * 64 + b"\r\n") + rest
        r = self.send(data, u, tag=name)
        errs = []
        if not r.ok:
            errs.append("SMTP %r" % r)
        else:
            msgs = self.wait_one(u)
            if len(msgs) != 1:
                errs.append("%d delivered" % len(msgs))
            else:
                e, info = self.delivered_checks(msgs[0], data)
                errs += e
                if x_mugaika(msgs[0])[0] != "sanitized":
                    errs.append("disposition %r, expected sanitized" %
                                x_mugaika(msgs[0])[0])
                if b"X-Mugaika-Release" in msgs[0]:
                    errs.append("the release header was delivered")
        self.res.check(name, errs)

    # -- load -----------------------------------------------------------

    def test_load(self, n=12, sessions=4):
        name = "load/parallel_sessions"
        if not self.res.wanted(name):
            return
        jobs = []
        for i in range(n):
            u = self.user()
            rcpt = "%s@%s" % (u, harness.DOMAIN)
            if i % 2:
                data = mail_with_attachment("並列 %d" % i, "本文 %d" % i,
                                            "file%d.pdf" % i,
                                            b"%PDF-1.4\n%% " +
                                            os.urandom(300), rcpt,
                                            "application/pdf")
            else:
                data = simple_mail("並列 %d" % i, "本文 %d です。" % i,
                                   rcpt)
            jobs.append((u, data, "sanitized" if i % 2 else "clean"))
        results = {}

        def worker(k):
            for j in range(k, n, sessions):
                u, data, _ = jobs[j]
                results[j] = self.h.send("sender@e2e.test",
                                         "%s@%s" % (u, harness.DOMAIN), data,
                                         size=len(data))

        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        errs = []
        for j, (u, data, want) in enumerate(jobs):
            r = results.get(j)
            self.ledger.append({"user": u, "how": "smtp", "result": r,
                                "accepted": bool(r and r.ok), "tag": name})
            if r is None or not r.ok:
                errs.append("message %d: SMTP %r" % (j, r))
                continue
            msgs = self.wait_one(u)
            if len(msgs) != 1:
                errs.append("message %d: %d delivered" % (j, len(msgs)))
                continue
            e, info = self.delivered_checks(msgs[0], data)
            errs += ["message %d: %s" % (j, x) for x in e]
            disp, _ = x_mugaika(msgs[0])
            if disp != want:
                errs.append("message %d: disposition %r, expected %r" %
                            (j, disp, want))
            if ("本文 %d" % j) not in (info.get("body") or ""):
                errs.append("message %d: its text is not in its body "
                            "(mixed up?)" % j)
        self.res.check(name, errs, "%d messages, %d sessions, %.1fs" % (
            n, sessions, time.monotonic() - t0))

    # -- 3. crash and timeout -------------------------------------------

    def held_errs(self, u, data, reason, timeout=40):
        msgs = self.h.wait_mailbox(u, 1, timeout)
        if len(msgs) != 1:
            return ["%d messages delivered, expected the held notice" %
                    len(msgs)], None
        out = msgs[0]
        errs, info = self.delivered_checks(out, data)
        disp, params = x_mugaika(out)
        qid = params.get("id")
        body = info.get("body") or ""
        if disp != "quarantined":
            errs.append("X-Mugaika disposition %r, expected quarantined" %
                        disp)
        if POISON.encode() in out or HANG.encode() in out:
            errs.append("the original text reached the mailbox")
        if not qid or qid == "-":
            errs.append("no quarantine id")
            return errs, out
        if qid not in body:
            errs.append("quarantine id not in the notice")
        try:
            ent = [e for e in self.h.qlist() if e.get("id") == qid]
        except Exception as e:
            ent = []
            errs.append(str(e))
        if ent and reason not in (ent[0].get("reasons") or []):
            errs.append("quarantine reasons %r lack %s" %
                        (ent[0].get("reasons"), reason))
        errs += self.quarantine_errs(qid, data, u)
        return errs, out

    def wait_workers(self, n, timeout=10, exclude=()):
        end = time.monotonic() + timeout
        while True:
            w = self.h.milter_pids()["workers"]
            if len(w) == n and not set(w) & set(exclude):
                return w
            if time.monotonic() > end:
                return w
            time.sleep(0.1)

    def ordinary_mail_errs(self, tag, text):
        """An ordinary mail with an attachment, sent now: delivered once,
        sanitized, its text intact.  The errors, [] when all is well."""
        u = self.user()
        data = self.attachment_mail(u, tag, text)
        r = self.send(data, u, tag=tag)
        if not r.ok:
            return ["SMTP: %r" % r]
        msgs = self.wait_one(u)
        if len(msgs) != 1:
            return ["%d messages delivered" % len(msgs)]
        errs, info = self.delivered_checks(msgs[0], data)
        disp = x_mugaika(msgs[0])[0]
        if disp != "sanitized":
            errs.append("disposition %r, expected sanitized" % disp)
        if text not in (info.get("body") or ""):
            errs.append("the text is missing")
        return errs

    def attachment_mail(self, u, subject, text):
        return mail_with_attachment(subject, text, "x.pdf",
                                    b"%PDF-1.4\n" + os.urandom(200),
                                    "%s@%s" % (u, harness.DOMAIN),
                                    "application/pdf")

    def test_crash(self):
        if not self.res.wanted("crash/"):
            return
        before = self.h.milter_pids()["workers"]
        mark = self.h.log_mark()
        u = self.user()
        # ASCII headers here: the 8-bit case is a check of its own below.
        data = mail_with_attachment(
            "poison", "この本文でワーカーが落ちます: %s" % POISON, "a.pdf",
            b"%PDF-1.4\n" + os.urandom(200), "%s@%s" % (u, harness.DOMAIN),
            "application/pdf")
        r = self.send(data, u, tag="crash/poison")
        if not r.ok:
            self.res.check("crash/poison_held", "SMTP: %r (a crashed "
                           "worker's message should be held, not "
                           "refused)" % r)
        else:
            errs, _ = self.held_errs(u, data, "sanitizer_crash")
            self.res.check("crash/poison_held", errs)
        time.sleep(0.5)
        log = self.h.log_since(mark)
        errs = []
        if not self.h.milter_running():
            errs.append("the milter master died (exit status %s)" %
                        self.h.milter_proc.poll())
        if not re.search(r"worker \d+ killed by signal 6", log):
            errs.append("no 'worker killed by signal 6' in the log")
        if "sanitizer_crash" not in log:
            errs.append("the log does not say sanitizer_crash")
        now = self.wait_workers(2, 10)
        if len(now) != 2:
            errs.append("%d workers after the crash, expected 2" % len(now))
        if set(before) <= set(now):
            errs.append("no worker was replaced (%s -> %s)" % (before, now))
        self.res.check("crash/master_survives_worker_replaced", errs)
        if not self.h.milter_running():
            self.h.stop_milter()
            self.h.start_milter(overrides={})
        # The next message goes through as usual.
        self.res.check("crash/next_message_sanitized",
                       self.ordinary_mail_errs("crash/next", "普通のメールです。"))
        # Poison after poison, with sanitized messages (the workers write
        # the quarantine) in between: each poison held, the master (which
        # writes the quarantine for a held message) alive throughout.
        errs = []
        for k in range(3):
            if not self.h.milter_running():
                errs.append("round %d: the milter master is gone (exit "
                            "status %s)" % (k, self.h.milter_proc.poll()))
                self.h.stop_milter()
                self.h.start_milter(overrides={})
            u = self.user()
            data = self.attachment_mail(u, "between %d" % k, "間 %d" % k)
            r = self.send(data, u, tag="crash/between")
            if not r.ok:
                errs.append("round %d, normal message: SMTP %r" % (k, r))
            elif len(self.wait_one(u)) != 1:
                errs.append("round %d, normal message not delivered" % k)
            u = self.user()
            data = simple_mail("poison %d" % k, "again %s" % POISON,
                               "%s@%s" % (u, harness.DOMAIN))
            r = self.send(data, u, tag="crash/again")
            if not r.ok:
                errs.append("round %d, poison: SMTP %r (not held)" % (k, r))
                continue
            e, _ = self.held_errs(u, data, "sanitizer_crash")
            errs += ["round %d, poison: %s" % (k, x) for x in e]
        time.sleep(0.5)
        if not self.h.milter_running():
            errs.append("the milter master is gone at the end (exit status "
                        "%s)" % self.h.milter_proc.poll())
        self.res.check("crash/poison_after_poison_held", errs)
        if not self.h.milter_running():
            self.h.stop_milter()
            self.h.start_milter(overrides={})
        # A held notice follows the same header contract as every other
        # delivered message: a 7-bit header block (RFC 2047 words), even
        # when the original's Subject is raw UTF-8.
        u = self.user()
        data = simple_mail("毒入り件名", "8bit subject %s" % POISON,
                           "%s@%s" % (u, harness.DOMAIN))
        r = self.send(data, u, tag="crash/held_8bit_subject")
        if not r.ok:
            self.res.check("crash/held_notice_header_7bit", "SMTP %r" % r)
        else:
            errs, out = self.held_errs(u, data, "sanitizer_crash")
            self.res.check("crash/held_notice_header_7bit", errs)
        if not self.h.milter_running():
            self.h.stop_milter()
            self.h.start_milter(overrides={})

    def test_sandbox(self):
        """The workers' seccomp filter (milter/mg_sandbox.c): every worker
        runs under it, and one that makes a forbidden system call (the
        MUGAIKA_TEST_FORBIDDEN_ON hook calls socket(AF_INET) and then
        execve) is killed with SIGSYS; its message is held as a crashed
        worker's, the worker replaced, the next message sanitized."""
        if not self.res.wanted("sandbox/"):
            return
        names = ("sandbox/workers_filtered", "sandbox/forbidden_call_held",
                 "sandbox/killed_by_sigsys_worker_replaced",
                 "sandbox/next_message_sanitized")
        if b"MUGAIKA_TEST_FORBIDDEN_ON" not in Path(self.args.milter) \
                .read_bytes():
            for n in names:
                self.res.skip(n, "the milter has no "
                              "MUGAIKA_TEST_FORBIDDEN_ON hook")
            return
        before = self.h.milter_pids()["workers"]
        errs = []
        for pid in before:
            try:
                st = Path("/proc/%d/status" % pid).read_text()
            except OSError as e:
                errs.append("worker %d: %s" % (pid, e))
                continue
            # Seccomp 2: SECCOMP_MODE_FILTER (proc(5)).
            if not re.search(r"^Seccomp:\s+2$", st, re.M):
                errs.append("worker %d is not under a seccomp filter" % pid)
            if not re.search(r"^NoNewPrivs:\s+1$", st, re.M):
                errs.append("worker %d lacks no_new_privs" % pid)
        if not before:
            errs.append("no workers")
        self.res.check(names[0], errs, "%d workers" % len(before))
        mark = self.h.log_mark()
        u = self.user()
        data = mail_with_attachment(
            "forbidden", "この本文でワーカーが禁止された呼び出しをします: %s"
            % FORBIDDEN, "b.pdf", b"%PDF-1.4\n" + os.urandom(200),
            "%s@%s" % (u, harness.DOMAIN), "application/pdf")
        r = self.send(data, u, tag="sandbox/forbidden")
        if not r.ok:
            self.res.check(names[1], "SMTP: %r (a killed worker's message "
                           "should be held, not refused)" % r)
        else:
            errs, out = self.held_errs(u, data, "sanitizer_crash")
            if out is not None and FORBIDDEN.encode() in out:
                errs.append("the original text reached the mailbox")
            self.res.check(names[1], errs)
        time.sleep(0.5)
        log = self.h.log_since(mark)
        errs = []
        if not self.h.milter_running():
            errs.append("the milter master died (exit status %s)" %
                        self.h.milter_proc.poll())
        # SIGSYS is 31 on x86_64 and aarch64; the master may print its
        # number, its name, or both.
        if not re.search(r"worker \d+ killed by (signal 31\b|SIGSYS)", log):
            errs.append("no 'worker killed by signal 31 (SIGSYS)' in the "
                        "log")
        if "sandbox is off" in log:
            errs.append("the forbidden calls were not stopped")
        if "sanitizer_crash" not in log:
            errs.append("the log does not say sanitizer_crash")
        now = self.wait_workers(2, 10)
        if len(now) != 2:
            errs.append("%d workers after the kill, expected 2" % len(now))
        if set(before) <= set(now):
            errs.append("no worker was replaced (%s -> %s)" % (before, now))
        self.res.check(names[2], errs)
        if not self.h.milter_running():
            self.h.stop_milter()
            self.h.start_milter(overrides={})
        errs = self.ordinary_mail_errs("sandbox/next", "次のメールです。")
        self.res.check(names[3], errs)

    def test_timeout(self):
        name = "timeout/hung_worker_held"
        if not self.res.wanted("timeout/"):
            return
        if not self.hang_hook:
            self.res.skip(name, "the milter has no MUGAIKA_TEST_HANG_ON "
                          "hook")
            return
        # A short message_timeout through SIGHUP (the master's limit).
        self.h.write_milter_config({"limits": {"message_timeout": "3s"}})
        mark = self.h.log_mark()
        os.kill(self.h.milter_proc.pid, signal.SIGHUP)
        self.h.wait_log(r"reloading \(SIGHUP\)(.|\n)*signatures:", mark, 20)
        u = self.user()
        data = simple_mail("hang", "this hangs a worker: %s" % HANG,
                           "%s@%s" % (u, harness.DOMAIN))
        t0 = time.monotonic()
        r = self.send(data, u, tag=name)
        if not r.ok:
            self.res.check(name, "SMTP: %r" % r)
        else:
            errs, _ = self.held_errs(u, data, "timeout")
            log = self.h.log_since(mark)
            if not re.search(r"over 3s: killed", log):
                errs.append("no 'over 3s: killed' in the log")
            self.res.check(name, errs, "%.1fs" % (time.monotonic() - t0))
        # SIGTERM with a message in flight: the master finishes it (the
        # hung worker is killed at message_timeout and the message held)
        # before it exits; the sender sees the held notice accepted, or a
        # tempfail, and nothing arrives unsanitized.
        name = "stop/sigterm_with_message_in_flight"
        u = self.user()
        data = simple_mail("hang 2", "in flight at SIGTERM: %s" % HANG,
                           "%s@%s" % (u, harness.DOMAIN))
        out = {}
        th = threading.Thread(target=lambda: out.update(
            r=self.send(data, u, tag=name)))
        th.start()
        time.sleep(1.5)
        rcode, secs, killed = self.h.stop_milter(timeout=30)
        th.join(timeout=60)
        errs = []
        r = out.get("r")
        if killed:
            errs.append("still running %.0fs after SIGTERM" % secs)
        if rcode != 0:
            errs.append("exit status %r" % rcode)
        if r is None:
            errs.append("the SMTP session did not end")
        elif r.ok:
            errs += self.held_errs(u, data, "timeout")[0]
        elif r.code != 451:
            errs.append("SMTP %r: neither accepted (held) nor 451" % r)
        elif self.h.mailbox(u):
            errs.append("tempfailed, yet something was delivered")
        self.res.check(name, errs, "%s after %.1fs" % (
            "held" if r is not None and r.ok else "tempfailed", secs))
        self.h.start_milter(overrides={})

    # -- 7. reload ------------------------------------------------------

    def test_reload(self):
        if not self.res.wanted("reload/"):
            return
        before = self.h.milter_pids()["workers"]
        mark = self.h.log_mark()
        os.kill(self.h.milter_proc.pid, signal.SIGHUP)
        errs = []
        if not self.h.wait_log(r"reloading \(SIGHUP\)(.|\n)*signatures: ",
                               mark, 20):
            errs.append("the log does not say it reloaded: %r" %
                        self.h.log_since(mark)[-500:])
        errs += self.ordinary_mail_errs("reload/sighup", "再読込のあとのメール。")
        self.res.check("reload/sighup_logged_mail_flows", errs)
        # The old generation of workers is retired: idle ones exit.
        now = self.wait_workers(2, 5, exclude=before)
        errs = []
        if set(now) & set(before):
            errs.append("workers of the old generation still running 5s "
                        "after SIGHUP: %s (all workers: %s)" % (
                            sorted(set(now) & set(before)), now))
        if len(now) != 2:
            errs.append("%d workers after reload, [milter] workers = 2" %
                        len(now))
        self.res.check("reload/old_workers_exit", errs)

    # -- CDR mode -------------------------------------------------------

    def test_cdr(self):
        """[general] mode = cdr through Postfix: attachments arrive
        rebuilt in a multipart/mixed next to the text, inside the
        workers' sandbox (libvips and qpdf included), no worker killed."""
        if not self.res.wanted("cdr/"):
            return
        import email
        from email import policy
        self.h.stop_milter()
        self.h.start_milter(overrides={"general": {"mode": "cdr"}})
        mark = self.h.log_mark()
        u = self.user()
        self.cdr_users.add(u)
        zb = io.BytesIO()
        with zipfile.ZipFile(zb, "w") as z:
            z.writestr("中身/一覧.csv", cdrs.csv_with_dde())
            z.writestr("macro.docm", cdrs.docm())
        data = cdrs.mail([
            ("報告書.docm", cdrs.docm(),
             "application/vnd.ms-word.document.macroEnabled.12"),
            ("資料.pdf", cdrs.pdf_with_js(), "application/pdf"),
            ("写真.png", cdrs.png_with_text(), "image/png"),
            ("まとめ.zip", zb.getvalue(), "application/zip"),
            ("図.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="8" '
             b'height="8"><script>alert(1)</script><rect width="8" '
             b'height="8" fill="red"/></svg>', "image/svg+xml"),
        ])
        r = self.send(data, u, tag="cdr/attachments_rebuilt")
        errs = []
        if not r.ok:
            errs.append("SMTP: %r" % r)
        else:
            msgs = self.wait_one(u)
            if len(msgs) != 1:
                errs.append("%d delivered" % len(msgs))
            else:
                m = email.message_from_bytes(msgs[0], policy=policy.default)
                files = {p.get_filename(): p.get_payload(decode=True)
                         for p in m.walk() if p.get_filename()}
                if m.get_content_type() != "multipart/mixed":
                    errs.append("delivered as %s" % m.get_content_type())
                if "mode=cdr" not in str(m.get("X-Mugaika", "")):
                    errs.append("X-Mugaika %r" % m.get("X-Mugaika"))
                want = {"報告書.docx", "資料.pdf", "写真.png", "まとめ.zip",
                        "図.png"}
                if set(files) != want:
                    errs.append("files %s, expected %s" %
                                (sorted(files), sorted(want)))
                if b"pwned" in files.get("資料.pdf", b""):
                    errs.append("the PDF's JavaScript was delivered")
                if b"secret-author-name" in files.get("写真.png", b""):
                    errs.append("the PNG's text chunk was delivered")
                try:
                    zz = zipfile.ZipFile(io.BytesIO(files.get("まとめ.zip")))
                    names = zz.namelist()
                    if "macro.docx" not in names or not any(
                            n.endswith("一覧.csv") for n in names):
                        errs.append("zip members %s" % names)
                    for n in names:
                        if n.endswith(".docx") and any(
                                "vba" in x.lower() for x in zipfile.ZipFile(
                                    io.BytesIO(zz.read(n))).namelist()):
                            errs.append("VBA left in %s inside the zip" % n)
                except Exception as e:
                    errs.append("the rebuilt zip: %s" % e)
                text = next(p for p in m.walk()
                            if not p.is_multipart()).get_content()
                if "VBA マクロを削除" not in text:
                    errs.append("the notice does not say what was removed")
        log = self.h.log_since(mark)
        if "killed by signal" in log:
            errs.append("a worker was killed: %s" % [
                x for x in log.splitlines() if "killed by signal" in x][:3])
        self.res.check("cdr/attachments_rebuilt", errs)
        self.h.stop_milter()
        self.h.start_milter(overrides={})

    # -- stop -----------------------------------------------------------

    def stop_check(self, name):
        pids = self.h.milter_pids()
        mark = self.h.log_mark()
        rcode, secs, killed = self.h.stop_milter(timeout=20)
        errs = []
        if killed:
            errs.append("processes still running %.0fs after SIGTERM: "
                        "killed" % secs)
        if rcode != 0:
            errs.append("master exit status %r, expected 0" % rcode)
        left = [p for p in [pids["master"], pids["frontend"]] +
                pids["workers"] if p and harness.pid_alive(p)]
        if left:
            errs.append("still alive: %s" % left)
        if self.h.pidfile.exists():
            errs.append("pidfile %s left behind" % self.h.pidfile)
        if "stopped" not in self.h.log_since(mark):
            errs.append("no 'stopped' in the log")
        self.res.check(name, errs, "%.1fs" % secs)

    # -- 4. milter down -------------------------------------------------

    def test_down(self):
        if not self.res.wanted("down/"):
            # Still restart with the size config for what follows.
            self.h.stop_milter()
            return
        self.stop_check("stop/sigterm")
        # SMTP while the milter is down: 451 4.7.1, shown by swaks.
        u_smtp = self.user()
        data_smtp = mail_with_attachment(
            "停止中", "停止中に送ったメール。", "d.pdf",
            b"%PDF-1.4\n" + os.urandom(150),
            "%s@%s" % (u_smtp, harness.DOMAIN), "application/pdf")
        f = self.h.root / "down.eml"
        f.write_bytes(data_smtp)
        rcode, transcript = self.h.swaks("sender@e2e.test", "%s@%s" % (
            u_smtp, harness.DOMAIN), f)
        self.ledger.append({"user": u_smtp, "how": "swaks", "result": None,
                            "accepted": rcode == 0, "tag": "down/smtp"})
        errs = []
        if rcode == 0:
            errs.append("swaks succeeded: the mail was accepted with the "
                        "milter down")
        if not re.search(r"<\*\* +451 4\.7\.1", transcript):
            errs.append("no '451 4.7.1' in the swaks transcript: %r" %
                        transcript[-600:])
        where = re.findall(r"(?m)^ -> (\S+)[^\n]*\n<\*\* +451", transcript)
        self.res.check("down/smtp_451", errs,
                       "at %s" % (where[0] if where else "connect"))
        # Local submission: goes through non_smtpd_milters and waits in
        # the queue (maildrop) while the milter is down.
        u_loc = self.user()
        pf_mark = len(self.h.maillog_text())
        data_loc = mail_with_attachment(
            "ローカル投函", "停止中にローカルから投函。", "e.pdf",
            b"%PDF-1.4\n" + os.urandom(150),
            "%s@%s" % (u_loc, harness.DOMAIN), "application/pdf")
        rcode, err = self.h.submit_local("sender@e2e.test", "%s@%s" % (
            u_loc, harness.DOMAIN), data_loc)
        self.ledger.append({"user": u_loc, "how": "local", "result": None,
                            "accepted": rcode == 0, "tag": "down/local"})
        errs = []
        if rcode != 0:
            errs.append("sendmail exit %d: %s" % (rcode, err.strip()))
        # pickup(8) looks at the maildrop every 2 s; wait until cleanup
        # has tried the milter and been refused.
        end = time.monotonic() + 15
        while time.monotonic() < end and not re.search(
                r"milter-reject: CONNECT from localhost",
                self.h.maillog_text()[pf_mark:]):
            time.sleep(0.2)
        if self.h.mailbox(u_loc):
            errs.append("delivered while the milter was down")
        queued = max(len(self.h.queue()), self.h.maildrop_count())
        if queued < 1:
            errs.append("not in the queue (postqueue -j and maildrop "
                        "empty)")
        self.res.check("down/local_queued", errs, "%d queued" % queued)
        # The milter comes back (with the size-limit config used next);
        # flush; the local mail arrives sanitized; the SMTP sender's
        # retry is accepted.
        self.h.start_milter(overrides={"limits": {
            "max_message_size": "200k"}})
        self.h.flush()
        errs = []
        msgs = self.h.wait_mailbox(u_loc, 1, 40)
        if len(msgs) != 1:
            errs.append("%d delivered after the restart, expected 1; "
                        "queue: %s" % (len(msgs), self.h.queue()))
        else:
            e, _ = self.delivered_checks(msgs[0], data_loc)
            errs += e
            disp, params = x_mugaika(msgs[0])
            if disp != "sanitized":
                errs.append("disposition %r, expected sanitized" % disp)
            elif params.get("id"):
                # Local submission adds Received:, and may add headers:
                # compare only the body of the original.
                try:
                    exp = self.h.qexport(params["id"])
                    if norm_eol(data_loc.split(b"\r\n\r\n", 1)[1]) not in \
                            norm_eol(exp):
                        errs.append("the quarantined original lacks the "
                                    "body that was submitted")
                except Exception as ex:
                    errs.append(str(ex))
        self.res.check("down/flushed_delivered_sanitized", errs)
        r = self.send(data_smtp, u_smtp, tag="down/retry")
        errs = []
        if not r.ok:
            errs.append("retry: SMTP %r" % r)
        else:
            msgs = self.wait_one(u_smtp)
            if len(msgs) != 1:
                errs.append("%d delivered" % len(msgs))
            elif x_mugaika(msgs[0])[0] != "sanitized":
                errs.append("disposition %r" % x_mugaika(msgs[0])[0])
        self.res.check("down/smtp_retry_delivered", errs)

    # -- 6. size --------------------------------------------------------

    def test_size(self):
        """Runs with [limits] max_message_size = 200k (test_down started
        the milter so); Postfix's message_size_limit is 20M, so the
        refusals below are the milter's."""
        if not self.res.wanted("size/"):
            return
        big_text = ("あいうえお" * 20 + "\n") * 1000   # ~300 KB
        u = self.user()
        big = simple_mail("大きい", big_text, "%s@%s" % (u, harness.DOMAIN))
        r = self.send(big, u, size=True, tag="size/mail_from")
        errs = []
        if r.stage != "mail" or r.code != 552:
            errs.append("expected 552 at MAIL FROM, got %r" % r)
        elif "limit of this gateway" not in r.text:
            errs.append("552 is not the milter's: %r" % r.text)
        self.res.check("size/552_at_mail_from", errs, r.text)
        u = self.user()
        big = simple_mail("大きい", big_text, "%s@%s" % (u, harness.DOMAIN))
        r = self.send(big, u, size=False, tag="size/end_of_data")
        errs = []
        if r.stage != "dot" or r.code != 552:
            errs.append("expected 552 at end of data, got %r" % r)
        elif "limit of this gateway" not in r.text:
            errs.append("552 is not the milter's: %r" % r.text)
        self.res.check("size/552_at_end_of_data", errs, r.text)
        # Just under the limit: delivered.
        u = self.user()
        ok_text = ("あいうえお" * 20 + "\n") * 550   # ~165 KB
        data = simple_mail("ちょうど", ok_text, "%s@%s" % (u, harness.DOMAIN))
        r = self.send(data, u, size=True, tag="size/under")
        errs = []
        if not r.ok:
            errs.append("SMTP %r" % r)
        else:
            msgs = self.wait_one(u)
            if len(msgs) != 1:
                errs.append("%d delivered" % len(msgs))
            else:
                e, info = self.delivered_checks(msgs[0], data)
                errs += e
                if (info.get("body") or "").count("あいうえお") != 20 * 550:
                    errs.append("the text was cut")
        self.res.check("size/under_limit_delivered", errs,
                       "%d bytes" % len(data))
        # A SIZE= that lies (small), the data over the limit: refused at
        # the end all the same.
        u = self.user()
        big = simple_mail("嘘", big_text, "%s@%s" % (u, harness.DOMAIN))
        r = self.h.send("sender@e2e.test", "%s@%s" % (u, harness.DOMAIN),
                        big, size=1000)
        self.ledger.append({"user": u, "how": "smtp", "result": r,
                            "accepted": r.ok, "tag": "size/lie"})
        self.res.check("size/552_when_size_param_lies",
                       [] if (r.stage, r.code) == ("dot", 552) else
                       ["expected 552 at end of data, got %r" % r])

    # -- the master killed ---------------------------------------------

    def test_kill(self):
        """SIGKILL the master (as the OOM killer would): its children go
        (PR_SET_PDEATHSIG), Postfix tempfails meanwhile, and a new
        milter starts over the stale pidfile and socket."""
        if not self.res.wanted("kill/"):
            return
        pids = self.h.milter_pids()
        p = self.h.milter_proc
        inflight = None
        if self.hang_hook:
            # A message in flight when the master dies: tempfailed.
            u_in = self.user()
            data_in = simple_mail("in flight", "hangs: %s" % HANG,
                                  "%s@%s" % (u_in, harness.DOMAIN))
            out = {}

            def send():
                out["r"] = self.send(data_in, u_in, tag="kill/in_flight")

            inflight = threading.Thread(target=send)
            inflight.start()
            time.sleep(1.5)  # through DATA and into a worker
        os.kill(p.pid, signal.SIGKILL)
        t0 = time.monotonic()
        errs = []
        left = []
        while time.monotonic() - t0 < 15:
            left = [x for x in [pids["frontend"]] + pids["workers"]
                    if x and harness.pid_alive(x)]
            if not left:
                break
            time.sleep(0.1)
        if left:
            errs.append("children still alive 15s after the master was "
                        "killed: %s" % left)
        p.wait(timeout=5)
        u = self.user()
        data = simple_mail("master gone", "no master",
                           "%s@%s" % (u, harness.DOMAIN))
        r = self.send(data, u, tag="kill/while_down")
        if r.ok or r.code != 451:
            errs.append("SMTP %r while the milter is gone, expected 451" % r)
        if inflight is not None:
            inflight.join(timeout=60)
            r = out.get("r")
            if r is None or r.ok:
                errs.append("the message in flight: %r, expected a "
                            "tempfail" % (r,))
        self.res.check("kill/children_follow_master", errs,
                       "%.1fs" % (time.monotonic() - t0))
        self.h.milter_proc = None
        errs = []
        mark = self.h.log_mark()
        try:
            # max_attempts 1: the message that was in flight has had its
            # one attempt (checked below).
            self.h.start_milter(overrides={"milter": {"max_attempts": "1"}})
        except Exception as e:
            errs.append("restart over the stale pidfile/socket: %s" % e)
        if not errs:
            u = self.user()
            data = self.attachment_mail(u, "after kill", "再起動後。")
            r = self.send(data, u, tag="kill/after")
            if not r.ok:
                errs.append("SMTP %r" % r)
            elif len(self.wait_one(u)) != 1:
                errs.append("not delivered")
        self.res.check("kill/restart_after_kill", errs)
        if inflight is not None and not errs:
            self.check_attempt_across_restart(u_in, data_in, mark)
        self.h.stop_milter()
        self.h.start_milter(overrides={})  # the default config again

    def check_attempt_across_restart(self, u, data, mark):
        """The message in flight when the master was killed comes back
        (the sender's MTA retries it): its attempt was recorded before
        the gateway went down, so with max_attempts 1 it is held now
        (sanitizer_crash) instead of taking the gateway down again."""
        name = "kill/in_flight_message_counted"
        errs = []
        if not re.search(r"attempts on 1 message\(s\) did not end",
                         self.h.log_since(mark)):
            errs.append("the restart did not report the unfinished attempt")
        r = self.send(data, u, tag=name)
        if not r.ok:
            errs.append("SMTP %r, expected the held notice accepted" % r)
        else:
            e, _ = self.held_errs(u, data, "sanitizer_crash")
            errs += e
        self.res.check(name, errs)

    # -- 5. quarantine --------------------------------------------------

    def test_quarantine(self):
        if not self.res.wanted("quarantine/"):
            return
        self.h.stop_milter()
        # (a) The store cannot be created: [quarantine] dir under a
        # regular file.  The milter must refuse to start (exit 75), and
        # Postfix then tempfails.
        blocker = self.h.root / "not-a-dir"
        blocker.write_text("a file, not a directory\n")
        mark = self.h.log_mark()
        rcode = self.h.start_milter(
            overrides={"quarantine": {"dir": str(blocker / "q")}},
            expect_fail=True, timeout=20)
        errs = []
        if rcode is None:
            errs.append("the milter started with an unusable quarantine "
                        "dir")
            self.h.stop_milter(kill=True)
        elif rcode != 75:
            errs.append("exit status %r, expected 75" % rcode)
        if str(blocker) not in self.h.log_since(mark):
            errs.append("the log does not name the quarantine dir")
        u = self.user()
        data = simple_mail("保存不可", "quarantine unusable",
                           "%s@%s" % (u, harness.DOMAIN))
        r = self.send(data, u, tag="quarantine/at_start")
        if r.ok or r.code != 451:
            errs.append("SMTP %r, expected 451" % r)
        self.res.check("quarantine/unusable_at_start_refuses", errs,
                       "exit %s" % rcode)
        # (b) The store breaks while running: msg/ replaced by a file.
        q2 = self.h.root / "q2"
        self.h.start_milter(overrides={"quarantine": {"dir": str(q2)}})
        u = self.user()
        data = mail_with_attachment("保存前", "壊す前。", "f.pdf",
                                    b"%PDF-1.4\n" + os.urandom(120),
                                    "%s@%s" % (u, harness.DOMAIN),
                                    "application/pdf")
        r = self.send(data, u, tag="quarantine/before")
        msgs = self.wait_one(u) if r.ok else []
        if not r.ok or len(msgs) != 1 or x_mugaika(msgs[0])[0] != \
                "sanitized":
            self.res.check("quarantine/store_works", "SMTP %r, %d "
                           "delivered" % (r, len(msgs)))
        else:
            self.res.check("quarantine/store_works", [])
        shutil.rmtree(q2 / "msg")
        (q2 / "msg").write_text("not a directory\n")
        u_fail = self.user()
        data_fail = mail_with_attachment(
            "保存失敗", "保存できないはず。", "g.pdf",
            b"%PDF-1.4\n" + os.urandom(120),
            "%s@%s" % (u_fail, harness.DOMAIN), "application/pdf")
        r = self.send(data_fail, u_fail, tag="quarantine/broken")
        errs = []
        if r.ok:
            errs.append("accepted although the original cannot be kept")
        elif not (r.stage == "dot" and r.code == 451 and "4.7.1" in r.text):
            errs.append("expected 451 4.7.1 at end of data, got %r" % r)
        time.sleep(1)
        if self.h.mailbox(u_fail):
            errs.append("something was delivered")
        self.res.check("quarantine/broken_at_runtime_tempfails", errs,
                       r.text)
        # A clean message needs no store: delivered, or tempfailed; never
        # anything else.
        u = self.user()
        data = simple_mail("本文のみ", "添付なし。", "%s@%s" % (
            u, harness.DOMAIN))
        r = self.send(data, u, tag="quarantine/clean_while_broken")
        errs = []
        if r.ok:
            msgs = self.wait_one(u)
            if len(msgs) != 1:
                errs.append("%d delivered" % len(msgs))
            else:
                errs += self.delivered_checks(msgs[0], data)[0]
        elif r.code != 451:
            errs.append("SMTP %r" % r)
        self.res.check("quarantine/clean_while_broken", errs,
                       "accepted" if r.ok else "tempfailed")
        # Repaired + SIGHUP (a new engine opens the store again): the
        # refused message goes through when its sender retries.
        (q2 / "msg").unlink()
        mark = self.h.log_mark()
        os.kill(self.h.milter_proc.pid, signal.SIGHUP)
        self.h.wait_log(r"reloading \(SIGHUP\)(.|\n)*signatures: ", mark,
                        20)
        self.wait_workers(2, 10)
        r = self.send(data_fail, u_fail, tag="quarantine/repaired")
        errs = []
        if not r.ok:
            errs.append("after repair: SMTP %r" % r)
        else:
            msgs = self.wait_one(u_fail)
            if len(msgs) != 1 or x_mugaika(msgs[0])[0] != "sanitized":
                errs.append("%d delivered, disposition %r" % (
                    len(msgs), msgs and x_mugaika(msgs[0])[0]))
        self.res.check("quarantine/repaired_after_sighup", errs)
        self.test_quarantine_full()

    def test_quarantine_full(self):
        """A full file system (a small tmpfs, when this sandbox lets us
        mount one) under the quarantine store, then under the spool."""
        names = ("quarantine/full_tempfails", "spool/full_tempfails")
        mnt = self.h.root / "tmpfs"
        mnt.mkdir()
        cp = harness.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755",
                          "tmpfs", str(mnt)], timeout=20)
        if cp.returncode != 0:
            for n in names:
                self.res.skip(n, "cannot mount a tmpfs here: %s" %
                              cp.stderr.decode("utf-8", "replace").strip())
            return
        try:
            for name, over in (
                    (names[0], {"quarantine": {"dir": str(mnt / "q")}}),
                    (names[1], {"milter": {"spool_dir": str(mnt / "sp")}})):
                self.h.stop_milter()
                self.h.start_milter(overrides=over)
                # Fill it up, leaving less than the message needs.
                with open(mnt / "filler", "wb") as f:
                    try:
                        while True:
                            f.write(b"\0" * 16384)
                            f.flush()
                    except OSError:
                        pass
                u = self.user()
                data = mail_with_attachment(
                    "満杯", "書けない。", "h.pdf",
                    b"%PDF-1.4\n" + os.urandom(64 * 1024),
                    "%s@%s" % (u, harness.DOMAIN), "application/pdf")
                r = self.send(data, u, tag=name)
                errs = []
                if r.ok:
                    errs.append("accepted although nothing can be written")
                elif r.code != 451:
                    errs.append("SMTP %r, expected 451" % r)
                time.sleep(1)
                if self.h.mailbox(u):
                    errs.append("something was delivered")
                self.res.check(name, errs, r.text)
                (mnt / "filler").unlink()
        finally:
            self.h.stop_milter()
            harness.run(["umount", "-l", str(mnt)], timeout=20)

    # -- 8. the milter protocol without an MTA --------------------------

    def test_protocol(self):
        if not self.res.wanted("protocol/"):
            if self.res.wanted("recycle/"):
                self.test_recycle()
            return
        # A fresh milter, so that the first connections are the first.
        self.h.stop_milter()
        self.h.start_milter(overrides={})
        sock = str(self.h.sock)
        raw = (REPO / "corpus" / "text" /
               "outlook_iso2022jp_rfc2047_quoted_filename" /
               "input.eml").read_bytes()
        no_lead = mc.P_ALL & ~mc.P_HDR_LEADSPC
        runs = {}
        errs = []
        for chunk in (1, 7, 65535):
            try:
                runs[chunk] = mc.run_message(sock, raw, chunk,
                                             protocol=no_lead)
            except Exception as e:
                errs.append("chunk %d: %s" % (chunk, e))
        norm = {}
        for chunk, r in runs.items():
            norm[chunk] = self.normalized_mods(r)
            if r["final"][0] != mc.R_CONTINUE:
                errs.append("chunk %d: final reply %r" % (chunk, r["final"]))
            if not any(c == mc.R_REPLBODY for c, _ in r["mods"]):
                errs.append("chunk %d: no replacement body" % chunk)
        if len(norm) == 3 and not (norm[1] == norm[7] == norm[65535]):
            for a, b in ((1, 65535), (7, 65535)):
                if norm[a] != norm[b]:
                    errs.append("chunks of %d and %d differ: %s" % (
                        a, b, self.first_mod_diff(norm[a], norm[b])))
        body = b"".join(d for c, d in runs.get(65535, {}).get("mods", [])
                        if c == mc.R_REPLBODY)
        if body and (b"\r\n" not in body or re.search(rb"[^\r]\n", body)):
            errs.append("the replacement body does not have CRLF line ends")
        if body:
            try:
                text = base64.b64decode(re.sub(rb"\s", b"", body)).decode()
                if "株式会社サンプル商事の山田です。" not in text:
                    errs.append("the replacement body lacks the text")
            except Exception as e:
                errs.append("replacement body is not base64 UTF-8: %s" % e)
        self.res.check("protocol/body_chunks_1_7_65535_identical", errs,
                       "%d edits" % len(norm.get(1, [])))
        ref = norm.get(65535, [])
        # Header values as negotiated: no leading space unless
        # SMFIP_HDR_LEADSPC was agreed.
        errs = []
        for c, d in runs.get(1, {}).get("mods", []):
            if c in (mc.R_ADDHEADER, mc.R_CHGHEADER):
                v = d.split(b"\0")[-2]
                if v.startswith(b" "):
                    errs.append("%r value %r starts with a space without "
                                "HDR_LEADSPC" % (c, v[:40]))
        self.res.check("protocol/no_leadspc_values", errs)
        # SIZE= over the limit at MAIL FROM: a 552 reply code.
        errs = []
        try:
            with mc.MilterClient(sock) as m:
                m.negotiate(protocol=no_lead)
                m.connect()
                m.helo()
                rep = m.mail(["<sender@e2e.test>", "SIZE=999999999"])
                if rep is None or rep[0] != mc.R_REPLYCODE or \
                        not rep[1].startswith(b"552"):
                    errs.append("MAIL answered %r" % (rep,))
                m.quit()
        except Exception as e:
            errs.append(str(e))
        self.res.check("protocol/size_param_552", errs)
        # An aborted message, then two complete ones on the same
        # connection: each gets the same edits as on a connection of its
        # own.
        errs = []
        try:
            hdrs, body = mc.split_headers(raw)
            with mc.MilterClient(sock) as m:
                m.negotiate(protocol=no_lead)
                m.connect()
                m.helo()
                m.mail(["<sender@e2e.test>"])
                m.rcpt(["<t98@e2e.test>"])
                m.data()
                for n, v in hdrs[:3]:
                    m.header(n, v)
                m.abort()
                outs = []
                for k in range(2):
                    m.mail(["<sender@e2e.test>"])
                    m.rcpt(["<t98@e2e.test>"])
                    m.data()
                    for n, v in hdrs:
                        m.header(n, v)
                    m.eoh()
                    for i in range(0, len(body), 4096):
                        m.body(body[i:i + 4096])
                    mods, final = m.eom()
                    outs.append(self.normalized_mods({"mods": mods,
                                                      "final": final}))
                m.quit()
            for k, o in enumerate(outs):
                if o != ref:
                    errs.append("message %d on the connection: %s" % (
                        k + 1, self.first_mod_diff(ref, o)))
        except Exception as e:
            errs.append("%s: %s" % (type(e).__name__, e))
        self.res.check("protocol/abort_then_two_messages", errs)
        # Negotiation is per connection: one that offers HDR_LEADSPC must
        # not change what the next one (that does not) gets.
        errs = []
        try:
            with_lead = mc.run_message(sock, raw, 65535, protocol=mc.P_ALL)
            if not with_lead["negotiated"][2] & mc.P_HDR_LEADSPC:
                errs.append("the milter did not take HDR_LEADSPC")
            after = mc.run_message(sock, raw, 65535, protocol=no_lead)
            if self.normalized_mods(after) != ref:
                errs.append("after a LEADSPC connection, a connection "
                            "without it gets other edits: %s" %
                            self.first_mod_diff(
                                ref, self.normalized_mods(after)))
        except Exception as e:
            errs.append("%s" % e)
        self.res.check("protocol/leadspc_is_per_connection", errs)
        self.check_no_reply_steps(sock, raw, no_lead, ref)
        self.test_recycle()

    def check_no_reply_steps(self, sock, raw, no_lead, ref):
        """Everything after MAIL FROM is decided at the end of the
        message: the milter asks the MTA not to wait for an answer to the
        recipients, DATA, headers and body, and not to send HELO or the
        end of the header at all.  An MTA without those features gets an
        answer to every step and the same edits; a message over the limit
        is refused either way."""
        nr = (mc.P_NR_CONN | mc.P_NR_RCPT | mc.P_NR_DATA | mc.P_NR_HDR |
              mc.P_NR_BODY)
        errs = []
        try:
            r = mc.run_message(sock, raw, 65535, protocol=no_lead)
            got = r["negotiated"][2]
            if got & nr != nr:
                errs.append("no-reply steps 0x%x, wanted 0x%x" % (got & nr, nr))
            if got & mc.P_NR_MAIL:
                errs.append("MAIL FROM must keep its answer (SIZE=)")
            if not got & mc.P_NOHELO:
                errs.append("HELO is still asked for")
            if not got & mc.P_NOEOH:
                errs.append("the end of the header is still asked for")
            answered = [n for n, rep in r["steps"] if rep is not None]
            if answered != ["mail"]:
                errs.append("steps answered: %r" % answered)
        except Exception as e:
            errs.append("%s: %s" % (type(e).__name__, e))
        self.res.check("protocol/no_reply_steps_negotiated", errs)
        old = no_lead & ~(nr | mc.P_NR_HELO | mc.P_NR_MAIL | mc.P_NR_UNKN |
                          mc.P_NR_EOH | mc.P_NOHELO | mc.P_NOUNKNOWN |
                          mc.P_NOEOH)
        errs = []
        try:
            r = mc.run_message(sock, raw, 65535, protocol=old)
            if any(rep is None for n, rep in r["steps"]):
                errs.append("a step was not answered: %r" % r["steps"])
            if self.normalized_mods(r) != ref:
                errs.append("other edits: %s" % self.first_mod_diff(
                    ref, self.normalized_mods(r)))
        except Exception as e:
            errs.append("%s: %s" % (type(e).__name__, e))
        self.res.check("protocol/mta_without_no_reply", errs)
        # Over [limits] max_message_size (10M here), no SIZE=.
        big = (b"From: a@e2e.test\r\nTo: t99@e2e.test\r\nSubject: big\r\n"
               b"\r\n" + (b"x" * 998 + b"\r\n") * 10600)
        for name, proto in (("no_reply", no_lead), ("every_step", old)):
            errs = []
            try:
                # Without answers the end of the message is refused;
                # with them, the body chunk that passes the limit.
                r = mc.run_message(sock, big, 65535, protocol=proto,
                                   size_param=False)
                if r["final"][0] != mc.R_REPLYCODE or \
                        not r["final"][1].startswith(b"552"):
                    errs.append("end of message answered %r" % (r["final"],))
            except mc.ProtocolError as e:
                if "552" not in str(e):
                    errs.append(str(e))
            except Exception as e:
                errs.append("%s: %s" % (type(e).__name__, e))
            self.res.check("protocol/over_limit_552_%s" % name, errs)

    def check_no_reply_over_tcp(self, sock, raw):
        """Over TCP every step keeps its answer: Postfix writes steps
        without an answer as separate small segments, and with Nagle on
        its side and delayed ACK on ours each message would wait 40 ms."""
        nr = (mc.P_NR_CONN | mc.P_NR_RCPT | mc.P_NR_DATA | mc.P_NR_HDR |
              mc.P_NR_EOH | mc.P_NR_BODY)
        errs = []
        try:
            r = mc.run_message(sock, raw, 65535,
                               protocol=mc.P_ALL & ~mc.P_HDR_LEADSPC)
            got = r["negotiated"][2]
            if got & nr:
                errs.append("no-reply steps 0x%x negotiated over TCP" %
                            (got & nr))
            away = {n for n, flag in (("helo", mc.P_NOHELO),
                                      ("eoh", mc.P_NOEOH)) if got & flag}
            unanswered = [n for n, rep in r["steps"]
                          if rep is None and n not in away]
            if unanswered:
                errs.append("steps not answered: %r" % unanswered)
            if r["final"][0] != mc.R_CONTINUE:
                errs.append("end of message answered %r" % (r["final"],))
        except Exception as e:
            errs.append("%s: %s" % (type(e).__name__, e))
        self.res.check("protocol/tcp_answers_every_step", errs)

    def test_recycle(self):
        """[milter] worker_max_jobs = 2: workers retire and are replaced
        all the time; every message still gets its result and the master
        stays up."""
        name = "recycle/worker_max_jobs"
        raw = (REPO / "corpus" / "text" /
               "outlook_iso2022jp_rfc2047_quoted_filename" /
               "input.eml").read_bytes()
        self.h.stop_milter()
        # Over TCP this time (Postfix's inet:HOST:PORT syntax).
        port = harness.free_port()
        self.h.start_milter(overrides={"milter": {
            "worker_max_jobs": "2", "socket": "inet:127.0.0.1:%d" % port}})
        sock = ("127.0.0.1", port)
        self.check_no_reply_over_tcp(sock, raw)
        t0 = time.monotonic()
        seen = set(self.h.milter_pids()["workers"])
        errs = []
        for k in range(10):
            try:
                r = mc.run_message(sock, raw, 65535,
                                   protocol=mc.P_ALL & ~mc.P_HDR_LEADSPC)
                if r["final"][0] != mc.R_CONTINUE or not any(
                        c == mc.R_REPLBODY for c, _ in r["mods"]):
                    errs.append("message %d: %r" % (k, r["final"]))
            except Exception as e:
                errs.append("message %d: %s: %s" % (k, type(e).__name__, e))
                if not self.h.milter_running():
                    errs.append("the milter master died (exit status %s)"
                                % self.h.milter_proc.poll())
                    break
            seen |= set(self.h.milter_pids()["workers"])
        if self.h.milter_running() and len(seen) < 4:
            errs.append("only %d distinct workers for 10 messages" %
                        len(seen))
        self.res.check(name, errs, "over TCP, %d workers seen, %.2fs" % (
            len(seen), time.monotonic() - t0))
        self.check_postfix_over_tcp(port)

    def postfix_milter(self, spec):
        """Point Postfix at the milter on `spec` and wait for its master
        to have reloaded (new smtpd processes read the new setting)."""
        before = self.h.maillog_text().count("reload -- version")
        self.h.postconf("-e", "smtpd_milters=" + spec,
                        "non_smtpd_milters=" + spec)
        subprocess.run([self.h.tools["postfix"], "-c", str(self.h.etc),
                        "reload"], capture_output=True, timeout=30,
                       check=True)
        end = time.monotonic() + 20
        while time.monotonic() < end and \
                self.h.maillog_text().count("reload -- version") <= before:
            time.sleep(0.1)
        time.sleep(1)  # idle smtpd processes of the old setting leave

    def check_postfix_over_tcp(self, port):
        """The real Postfix speaking to the milter over TCP (every step
        answered, TCP_NODELAY): a mail goes through sanitized, as over
        the unix socket."""
        name = "protocol/postfix_over_tcp"
        errs = []
        try:
            self.postfix_milter("inet:127.0.0.1:%d" % port)
            errs = self.ordinary_mail_errs(name, "TCP経由の本文です。")
        except Exception as e:
            errs.append("%s: %s" % (type(e).__name__, e))
        finally:
            self.postfix_milter("unix:%s" % self.h.sock)
        self.res.check(name, errs)

    @staticmethod
    def normalized_mods(r):
        """The edits with quarantine ids masked and replacement body
        chunks joined (their split is the milter's business)."""
        out = []
        body = b""
        for c, d in r.get("mods", []):
            if c == mc.R_REPLBODY:
                body += d
            else:
                out.append((c, mask_qids(d)))
        out.append((mc.R_REPLBODY, mask_qids(base64.b64decode(
            re.sub(rb"\s", b"", body)) if body else b"")))
        out.append(("final", r.get("final")))
        return out

    @staticmethod
    def first_mod_diff(a, b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return "edit %d: %r vs %r" % (i, x[:2] if isinstance(
                    x, tuple) else x, y[:2] if isinstance(y, tuple) else y)
        return "%d edits vs %d" % (len(a), len(b))

    # -- final accounting -----------------------------------------------

    def test_final(self):
        self.h.flush()
        self.h.wait_queue_empty(15)
        errs = []
        delivered = self.h.all_delivered()
        queue = self.h.queue()
        queued_rcpts = set()
        for q in queue:
            for r in q.get("recipients", []):
                queued_rcpts.add(r.get("address", "").split("@")[0])
        by_user = {}
        for e in self.ledger:
            by_user.setdefault(e["user"], []).append(e)
        n_sent = n_acc = n_deliv = n_queued = 0
        for u, entries in by_user.items():
            acc = sum(1 for e in entries if e["accepted"])
            n_sent += len(entries)
            n_acc += acc
            got = len(delivered.get(u, []))
            n_deliv += got
            inq = 1 if u in queued_rcpts else 0
            n_queued += inq
            if got + inq != acc:
                errs.append("%s: %d accepted, %d delivered, %d queued (%s)"
                            % (u, acc, got, inq,
                               ",".join(e["tag"] for e in entries)))
        for u, msgs in delivered.items():
            if u not in by_user:
                errs.append("%d message(s) delivered to %s, to whom no "
                            "test sent anything" % (len(msgs), u))
        self.res.check("final/nothing_lost", errs,
                       "%d handed over, %d accepted, %d delivered, %d "
                       "queued" % (n_sent, n_acc, n_deliv, n_queued))
        errs = []
        for u, msgs in delivered.items():
            for k, m in enumerate(msgs):
                if u in self.cdr_users:
                    # CDR mode delivers rebuilt files (checked there);
                    # the test strings must still never arrive.
                    e = [] if b"X-Mugaika: " in m else ["no X-Mugaika"]
                else:
                    e, _ = rc.check_output(m, b"", None,
                                           check_headers=False)
                for x in e:
                    if x.startswith(("output Content-Type", "output is "
                                     "multipart", "X-Mugaika appears",
                                     "other X-Mugaika", "body does not",
                                     "body is not valid",
                                     "Content-Transfer-Encoding",
                                     "MIME-Version", "content-type")):
                        errs.append("%s #%d: %s" % (u, k, x))
                if any(t.encode() in m for t in (POISON, HANG, FORBIDDEN)) \
                        or EICAR in m:
                    errs.append("%s #%d: a test string reached the "
                                "mailbox" % (u, k))
        self.res.check("final/nothing_delivered_raw", errs,
                       "%d messages" % sum(map(len, delivered.values())))
        log = self.h.log_text()
        bad = [line for line in log.splitlines()
               if any(m in line for m in SANITIZER_MARKS)]
        self.res.check("final/no_sanitizer_reports", bad[:10])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--milter", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", default=str(REPO))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    ap.add_argument("--only", action="append", default=[],
                    help="run only the checks whose name contains this "
                    "(or matches it as a glob); repeatable")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    res = Results(args.only)
    run = E2E(args, res)
    t0 = time.monotonic()
    try:
        try:
            if not run.start():
                raise RuntimeError("start failed")
        except harness.Skip as e:
            print("skip: %s" % e)
            return SKIP
        steps = [run.test_corpus, run.test_virus, run.test_forged_release,
                 run.test_load,
                 run.test_crash, run.test_sandbox, run.test_timeout,
                 run.test_reload, run.test_cdr,
                 run.test_down, run.test_size, run.test_kill,
                 run.test_quarantine,
                 run.test_protocol]
        for step in steps:
            try:
                step()
            except Exception as e:
                res.check("internal/%s" % step.__name__, "%s: %s\n%s" % (
                    type(e).__name__, e, traceback.format_exc()))
            # A master that died is a failure of its own; start another so
            # that the groups after this one still test something.
            if run.h.milter_proc is not None and \
                    not run.h.milter_running():
                res.check("alive/after_%s" % step.__name__[5:],
                          "the milter master died (exit status %s)" %
                          run.h.milter_proc.poll())
                try:
                    run.h.stop_milter()
                    run.h.start_milter(overrides={})
                except Exception as e:
                    res.check("internal/restart", str(e))
        run.test_final()
        if run.h.milter_running():
            run.stop_check("stop/sigterm_at_end")
    except Exception as e:
        res.check("internal/run", "%s: %s\n%s" % (
            type(e).__name__, e, traceback.format_exc()))
    finally:
        if res.failed and run.h is not None:
            tail = run.h.log_text()[-4000:]
            print("\n--- milter log (tail) ---\n%s" % tail)
            print("--- Postfix maillog (tail) ---\n%s" %
                  run.h.maillog_text()[-3000:])
        if run.h is not None:
            run.h.close()
    res.summary()
    print("e2e: %.1fs" % (time.monotonic() - t0))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
