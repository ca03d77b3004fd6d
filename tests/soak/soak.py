#!/usr/bin/env python3
"""soak.py - load and faults: a real Postfix with mugaika-milter, a mix of
messages at the highest rate the pair sustains, and faults injected while
it runs (issue 6).

One private Postfix and one milter (tests/e2e/harness.py).  SESSIONS SMTP
sessions send MESSAGES messages of a mix (plain ISO-2022-JP text with NEC
row-13 characters, HTML only, PDF, DOCX, ZIP and EXE attachments,
uuencoded blocks, EICAR built from two halves), each with a number carried
in the envelope sender (soak-NNNNN@...), the Message-ID, its text (token
SOAKID-TAG-NNNNN) and, inside every attachment, a marker that must never
be delivered (SOAKMARK-TAG-NNNNN).  A 4xx or a lost connection is retried
with back-off, as an MTA would; a 5xx is final.

Meanwhile a controller thread:

  - SIGKILLs a random worker every KILL_EVERY seconds (the master holds
    the message the worker had: reason sanitizer_crash);
  - sends SIGHUP to the master every HUP_EVERY seconds (engine reload);
  - restarts the milter once (SIGTERM, wait for every process, start);
  - fills the quarantine file system (a tmpfs mounted for the run) for
    FILL_SECONDS and frees it: mail that needs its original kept must
    tempfail meanwhile, never be delivered without it;
  - pauses the senders twice, after the restart and at the end, to count
    the descriptors and the resident memory of the master and the front
    end at a quiet moment.

At the end (after postqueue -f and an empty queue):

  - every accepted message delivered exactly once (normally, or as a held
    notice), nothing delivered that was not sent, nothing refused for
    good, the queue empty; sent = delivered + held + still queued at the
    end of sending (then flushed and delivered);
  - every delivered message: one text/plain part, exactly one X-Mugaika,
    the corpus runner's output contract, no EICAR, no attachment marker,
    no uuencoded block; its own text and no other message's; the expected
    disposition for its kind, or quarantined with reason sanitizer_crash
    or timeout (a worker we killed); its quarantine id listed; the kept
    original equal to what was sent for every held message, every message
    accepted during the full-disk window and a random sample;
  - no descriptor growth (> FD_SLACK) and no RSS growth (> 20 % + 8 MiB)
    of the master and of the front end between the two quiet points;
  - no worker died of a signal other than our SIGKILL, no sanitizer or
    GLib-CRITICAL report, no failed reload, no front end death, no
    bounce.

Prints progress, a summary, and with --json FILE writes the numbers.
Exit 0 all checks passed, 1 a check failed, 77 skipped (not root, no
Postfix or swaks: harness.Skip).  Python 3.11 standard library only.

  tests/soak/soak.py --milter build/milter/mugaika-milter \\
      --cli build/cli/mugaika [--short | --messages 10000] [--keep] [-v]
"""

import argparse
import base64
import binascii
import json
import os
import random
import re
import signal
import smtplib
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO / "tests" / "corpus"))
import harness  # noqa: E402
import run_corpus as rc  # noqa: E402
import gen_cases as gc  # noqa: E402  (ISO-2022-JP encoder, zip/docx/pdf)

SKIP = 77

# Built at run time from two halves (corpus/signatures/README.md): no file
# in the tree holds the test string.
_EICAR_A = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
_EICAR_B = "ANTIVIRUS-TEST-FILE!$H+H*"
EICAR = (_EICAR_A + _EICAR_B).encode("ascii")

# The mix and what each kind must come out as (text mode, the harness's
# config: hold_blocked = yes, on_virus = notify).
KINDS = ("text", "html", "pdf", "docx", "zip", "exe", "uu", "eicar")
WEIGHTS = (40, 15, 10, 10, 8, 4, 8, 5)
EXPECT = {"text": "clean", "html": "clean", "pdf": "sanitized",
          "docx": "sanitized", "zip": "sanitized", "exe": "quarantined",
          "uu": "sanitized", "eicar": "quarantined"}
FAULT_REASONS = {"sanitizer_crash", "timeout"}

# Growth allowed between the two quiet points.  Descriptors: a few may
# legitimately differ (a libmilter thread between accept and close, the
# SQLite WAL/shm pair of a reopened store); a leak per message or per
# reload shows as tens to thousands.  Memory: glibc keeps freed heap and
# per-thread arenas (the front end runs a thread per connection, the
# master builds a new libclamav engine at every SIGHUP and frees the old
# one: fragmentation, not a leak), so a fixed 8 MiB plus 20 % of the
# baseline; a 1 KiB leak per message over 10,000 messages (10 MiB), or an
# engine (~12 MiB with the test signatures) per reload, exceeds it.
FD_SLACK = 3
RSS_FACTOR = 1.20
RSS_SLACK_KB = 8 * 1024

QID_RX = re.compile(r"^\d{8}-[A-Z0-9]{12}$")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer",
                   "-CRITICAL **", "-ERROR **")

PROFILES = {
    # Same faults, compressed: every fault at least once in well under
    # four minutes on two cores.
    "short": {"messages": 500, "kill_every": 1.5, "hup_every": 2.5,
              "restart_at": 0.12, "baseline_at": 0.30, "fill_at": 0.45,
              "fill_seconds": 3.0, "qfs_size": "64m", "deadline": 300},
    "full": {"messages": 10000, "kill_every": 3.0, "hup_every": 5.0,
             "restart_at": 0.15, "baseline_at": 0.25, "fill_at": 0.50,
             "fill_seconds": 10.0, "qfs_size": "256m", "deadline": 3600},
}


def log(msg):
    print("[%7.1f] %s" % (time.monotonic() - T0, msg))
    sys.stdout.flush()


T0 = time.monotonic()


# ---------------------------------------------------------------------------
# The mix.

def tokens(n, tag):
    """(text token, attachment marker) of message n."""
    return "SOAKID-%s-%05d" % (tag, n), "SOAKMARK-%s-%05d" % (tag, n)


def envelope_sender(n):
    return "soak-%05d@client.e2e.local" % n


def kind_list(count, seed):
    r = random.Random(seed)
    return r.choices(KINDS, weights=WEIGHTS, k=count)


def recipient(n):
    return "t%02d@%s" % (n % 100, harness.DOMAIN)


def _ew_iso2022jp(text):
    return "=?ISO-2022-JP?B?%s?=" % base64.b64encode(
        gc.iso2022jp(text)).decode("ascii")


def _b64lines(data):
    b = base64.b64encode(data)
    return b"".join(b[i:i + 76] + b"\n" for i in range(0, len(b), 76))


def _uuencode(name, data):
    out = "begin 644 %s\n" % name
    for i in range(0, len(data), 45):
        out += binascii.b2a_uu(data[i:i + 45]).decode("ascii")
    return out + "`\nend\n"


JA_LINES = ("いつもお世話になっております。㈱サンプル商事の山田です。",
            "① 見積書の件、② 納期の件についてご連絡いたします。",
            "ご査収のほど、よろしくお願い申し上げます。",
            "第Ⅰ期の資料は来週お送りします。№12 をご確認ください。")


def _ja_text(n, sid, r):
    lines = [JA_LINES[0], JA_LINES[1], sid]
    lines += [JA_LINES[2 + (k % 2)] for k in range(r.randint(2, 40))]
    lines.append("資料番号 %d" % n)
    return "\n".join(lines) + "\n"


def _exe_bytes(mark, r):
    # An MZ header whose e_lfanew points at a PE signature: libmagic
    # calls it a PE32 executable; the name says .exe as well.
    mz = bytearray(b"MZ" + b"\x90\x00" * 29)
    mz += b"\x00" * (0x3C - len(mz)) + (0x40).to_bytes(4, "little")
    pe = b"PE\x00\x00" + (0x14C).to_bytes(2, "little") + b"\x00" * 18
    return bytes(mz) + pe + mark.encode() + bytes(r.randrange(256)
                                                   for _ in range(64))


def build_message(kind, n, tag, rcpt):
    """The bytes of message n (deterministic: a retry sends the same)."""
    r = random.Random("%s-%d" % (tag, n))
    sid, mark = tokens(n, tag)
    bnd = "soak-bnd-%05d-%s" % (n, tag)
    subj = _ew_iso2022jp("打合せの件①") + " [%05d]" % n
    head = ("From: =?ISO-2022-JP?B?%s?= <yamada@sample.example.jp>\n"
            "To: <%s>\n"
            "Subject: %s\n"
            "Date: Fri, 20 Nov 2026 10:00:00 +0900\n"
            "Message-ID: <soak-%05d.%s@client.e2e.local>\n"
            "MIME-Version: 1.0\n" % (
                base64.b64encode(gc.iso2022jp("山田 太郎")).decode(),
                rcpt, subj, n, tag))
    text = _ja_text(n, sid, r)
    text_part = ("Content-Type: text/plain; charset=ISO-2022-JP\n"
                 "Content-Transfer-Encoding: 7bit\n\n").encode() + \
        gc.iso2022jp(text)
    if kind == "text":
        return (head.encode() + text_part).replace(b"\n", b"\r\n")
    if kind == "html":
        paras = "".join("<p>%s</p>" % ln for ln in text.splitlines())
        html = ("<html><head><style>p { color: #333 }</style>"
                "<script>var t = \"%s\";</script></head><body>%s"
                "<p><a href=\"https://sample.example.jp/\">リンク</a></p>"
                "<!-- %s --></body></html>\n" % (mark, paras, mark))
        part = ("Content-Type: text/html; charset=UTF-8\n"
                "Content-Transfer-Encoding: base64\n\n").encode() + \
            _b64lines(html.encode("utf-8"))
        return (head.encode() + part).replace(b"\n", b"\r\n")
    if kind == "uu":
        blob = mark.encode() + bytes(r.randrange(256) for _ in range(
            r.randint(100, 2000)))
        body = text + "\n" + _uuencode("data_%05d.bin" % n, blob) + \
            "\n以上です。\n"
        part = ("Content-Type: text/plain; charset=ISO-2022-JP\n"
                "Content-Transfer-Encoding: 7bit\n\n").encode() + \
            gc.iso2022jp(body)
        return (head.encode() + part).replace(b"\n", b"\r\n")
    pad = bytes(r.randrange(256) for _ in range(r.randint(200, 6000)))
    if kind == "pdf":
        name, ctype = "見積書_%05d.pdf" % n, "application/pdf"
        data = gc.pdf_bytes(mark) + b"%" + base64.b64encode(pad) + b"\n"
    elif kind == "docx":
        name = "資料_%05d.docx" % n
        ctype = ("application/vnd.openxmlformats-officedocument."
                 "wordprocessingml.document")
        data = gc.docx_bytes("%s %s" % (mark, base64.b64encode(pad)
                                        .decode()))
    elif kind == "zip":
        name, ctype = "まとめ_%05d.zip" % n, "application/zip"
        data = gc.zip_bytes([("memo_%05d.txt" % n, mark.encode() + pad)])
    elif kind == "exe":
        name, ctype = "setup_%05d.exe" % n, "application/octet-stream"
        data = _exe_bytes(mark, r)
    elif kind == "eicar":
        if n % 2:
            name, ctype = "eicar_%05d.zip" % n, "application/zip"
            data = gc.zip_bytes([("eicar.com", EICAR),
                                 ("memo.txt", mark.encode())])
        else:
            name, ctype = "eicar_%05d.com" % n, "application/octet-stream"
            data = EICAR + b"\r\n" + mark.encode()
    else:
        raise ValueError(kind)
    fn = gc.rfc2231("filename", name)
    body = ("Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
            "--%s\n" % (bnd, bnd)).encode() + text_part + \
        ("\n--%s\nContent-Type: %s\n"
         "Content-Disposition: attachment; %s\n"
         "Content-Transfer-Encoding: base64\n\n" % (bnd, ctype, fn)
         ).encode() + _b64lines(data) + ("--%s--\n" % bnd).encode()
    return (head.encode() + body).replace(b"\n", b"\r\n")


# ---------------------------------------------------------------------------
# Checks on one delivered message.

def x_mugaika(msg_bytes):
    vals = rc.header_values(rc.parse_raw_headers(msg_bytes), "X-Mugaika")
    if not vals:
        return None, {}
    return rc.x_mugaika_fields(rc.decode_header_value(vals[0], "replace"))


def delivered_errors(out, item, tag, qindex, sigs=()):
    """(errors, disposition, qid, held_by_fault) of one delivered copy.

    qindex: {quarantine id: list entry} or None (not checked); sigs:
    load_body_signatures()."""
    n, kind = item["n"], item["kind"]
    errs, info = rc.check_output(out, b"", None, check_headers=False)
    body = info.get("body") or ""
    hits = signature_hits(out, body, sigs)
    if hits:
        errs.append("test signatures match what was delivered: %s" %
                    ", ".join(hits))
    disp, params = x_mugaika(out)
    qid = params.get("id")
    sid, mark = tokens(n, tag)
    if EICAR in out or EICAR.decode() in body:
        errs.append("EICAR delivered")
    if mark.encode() in out or mark in body:
        errs.append("the attachment marker %s delivered" % mark)
    if re.search(r"(?m)^begin [0-7]{3,4} \S", body):
        errs.append("a uuencoded block delivered")
    others = set(re.findall(r"SOAKID-%s-(\d{5})" % re.escape(tag), body))
    if others - {"%05d" % n}:
        errs.append("another message's text in it: %s" % sorted(
            others - {"%05d" % n})[:3])
    if disp in ("clean", "sanitized"):
        if sid not in body:
            errs.append("its own text (%s) is missing" % sid)
        # The ISO-2022-JP text with NEC row-13 characters came through.
        if kind != "html" and ("㈱サンプル商事" not in body or
                               "①" not in body):
            errs.append("the Japanese text (㈱, ①) is missing or garbled")
    elif disp == "quarantined":
        if sid in body:
            errs.append("a held message's text was delivered")
    if disp == "clean":
        if qid != "-":
            errs.append("clean with quarantine id %r" % qid)
    elif not qid or not QID_RX.match(qid):
        errs.append("disposition %r without a quarantine id (%r)" % (
            disp, qid))
    elif qindex is not None and qid not in qindex:
        errs.append("quarantine id %s is not in the store" % qid)
    reasons = set((qindex or {}).get(qid, {}).get("reasons") or [])
    held_fault = disp == "quarantined" and bool(reasons & FAULT_REASONS)
    if disp != EXPECT[kind] and not held_fault:
        errs.append("disposition %r, expected %r for %s (reasons %s)" % (
            disp, EXPECT[kind], kind, sorted(reasons)))
    return errs, disp, qid, held_fault


def load_body_signatures(sigdir):
    """[(name, bytes, lower)] of the plain-hex body signatures (.ndb) in
    the test signature directory: lower for target type 3 (libclamav
    matches those on normalised, lower-case HTML)."""
    out = []
    for f in sorted(Path(sigdir).glob("*.ndb")):
        for line in f.read_text("ascii", "replace").splitlines():
            parts = line.strip().split(":")
            if len(parts) < 4 or not re.fullmatch(r"(?:[0-9a-fA-F]{2})+",
                                                  parts[3]):
                continue
            out.append((parts[0], bytes.fromhex(parts[3]), parts[1] == "3"))
    return out


def signature_hits(out, body, sigs):
    """Names of the test signatures found in a delivered message: in its
    bytes, and in its decoded text (lower-cased for type 3)."""
    hits = []
    low = body.lower().encode("utf-8", "replace")
    raw_body = body.encode("utf-8", "replace")
    for name, pat, lower in sigs:
        if pat in out or pat in raw_body or (lower and pat in low):
            hits.append(name)
    return hits


def norm_eol(b):
    return re.sub(rb"\r\n|\r", b"\n", b)


# ---------------------------------------------------------------------------
# Process samples.

def proc_sample(pid):
    """{"fds", "rss_kb", "threads"} of pid, or None."""
    if not pid:
        return None
    try:
        fds = len(os.listdir("/proc/%d/fd" % pid))
        st = Path("/proc/%d/status" % pid).read_text()
    except OSError:
        return None
    m = re.search(r"^VmRSS:\s+(\d+) kB", st, re.M)
    t = re.search(r"^Threads:\s+(\d+)", st, re.M)
    return {"pid": pid, "fds": fds, "rss_kb": int(m.group(1)) if m else 0,
            "threads": int(t.group(1)) if t else 0}


# ---------------------------------------------------------------------------
# The run.

class Soak:
    def __init__(self, args):
        self.a = args
        self.h = None
        self.tag = "%05X" % random.Random(args.seed).randrange(16 ** 5) \
            if args.seed is not None else "%05X" % random.randrange(
                16 ** 5)
        self.kinds = kind_list(args.messages, args.seed if args.seed
                               is not None else self.tag)
        self.items = [{"n": i, "kind": k, "tries": 0, "temp": [],
                       "state": "pending", "t_first": None,
                       "t_accept": None, "reply": None}
                      for i, k in enumerate(self.kinds)]
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.todo = list(range(args.messages))
        self.todo.reverse()  # pop() takes the lowest number first
        self.retry = []      # (due, n), kept sorted
        self.inflight = 0
        self.accepted = 0
        self.finished = 0    # accepted, rejected or given up
        self.paused = False
        self.abort = None    # why the sending was stopped early
        self.faults = []     # (t, what, detail)
        self.counts = {"kills": 0, "kill_misses": 0, "hups": 0,
                       "restarts": 0, "fills": 0}
        self.samples = {}
        self.fill = None     # {"start", "end", "skipped"}
        self.errors = []     # failed checks: (name, [errs])
        self.notes = {}
        self.qfs = None
        self.lat = []
        self.t_send0 = self.t_send1 = None

    # -- results -----------------------------------------------------------

    def check(self, name, errs, note=""):
        errs = [e for e in errs if e]
        if errs:
            self.errors.append((name, errs))
            print("FAIL %s: %s" % (name, errs[0]))
            for e in errs[1:15]:
                print("     %s" % e)
            if len(errs) > 15:
                print("     (%d more)" % (len(errs) - 15))
        else:
            print("ok   %s%s" % (name, "  (%s)" % note if note else ""))
        sys.stdout.flush()
        return not errs

    def fault(self, what, detail=""):
        self.faults.append((round(time.monotonic() - T0, 2), what, detail))
        if self.a.verbose:
            log("fault: %s %s" % (what, detail))

    # -- setup -------------------------------------------------------------

    def start(self):
        a = self.a
        self.h = harness.Harness(a.milter, a.cli, a.source, keep=a.keep,
                                 verbose=a.verbose)
        self.h.setup_postfix(message_size_limit=20 * 1024 * 1024,
                             content_timeout=180)
        qdir = self.h.root / "q"
        self.qfs = self.h.root / "qfs"
        self.qfs.mkdir()
        cp = harness.run(["mount", "-t", "tmpfs", "-o",
                          "size=%s,mode=0755" % a.qfs_size, "tmpfs",
                          str(self.qfs)], timeout=20)
        if cp.returncode == 0:
            qdir = self.qfs / "q"
        else:
            self.notes["qfs"] = "cannot mount a tmpfs: %s" % \
                cp.stderr.decode("utf-8", "replace").strip()
            log("quarantine on disk (%s): the full-disk fault is skipped"
                % self.notes["qfs"])
            self.qfs = None
        self.qdir = qdir
        self.h.start_postfix()
        self.h.start_milter(overrides={
            "quarantine": {"dir": str(qdir)},
            "milter": {"workers": str(a.workers)}})
        pids = self.h.milter_pids()
        log("Postfix on port %d, milter master %s, front end %s, workers %s,"
            " quarantine %s, run tag %s" % (
                self.h.port, pids["master"], pids["frontend"],
                pids["workers"], qdir, self.tag))

    def close(self):
        if self.h is None:
            return
        try:
            self.h.stop_milter(kill=True)
        except Exception as e:  # Postfix and the mount must go too
            print("soak: stopping the milter: %s" % e, file=sys.stderr)
        if self.qfs is not None:
            harness.run(["umount", "-l", str(self.qfs)], timeout=20)
            self.qfs = None
        self.h.close()

    # -- sending -----------------------------------------------------------

    def next_item(self):
        """The next message number to send, or None when all are done."""
        with self.cv:
            while True:
                if self.abort:
                    return None
                if self.paused:
                    self.cv.wait(0.2)
                    continue
                now = time.monotonic()
                if self.retry and self.retry[0][0] <= now:
                    n = self.retry.pop(0)[1]
                elif self.todo:
                    n = self.todo.pop()
                elif self.retry:
                    self.cv.wait(min(0.2, self.retry[0][0] - now))
                    continue
                elif self.inflight:
                    self.cv.wait(0.2)
                    continue
                else:
                    return None
                self.inflight += 1
                return n

    def done_item(self, n, outcome, code, text, t0, t1):
        it = self.items[n]
        with self.cv:
            self.inflight -= 1
            it["tries"] += 1
            it["reply"] = "%s %s" % (code, text[:200])
            if outcome == "accepted":
                it["state"] = "accepted"
                it["t_accept"] = t1
                self.accepted += 1
                self.finished += 1
                self.lat.append(t1 - t0)
            elif outcome == "rejected":
                it["state"] = "rejected"
                self.finished += 1
            elif it["tries"] >= self.a.max_tries:
                it["state"] = "gave_up"
                self.finished += 1
            else:
                it["temp"].append((round(t1 - T0, 2), code))
                delay = min(0.25 * 2 ** min(it["tries"], 5), 5.0) * \
                    random.uniform(0.7, 1.3)
                self.retry.append((t1 + delay, n))
                self.retry.sort()
            self.cv.notify_all()

    def connect(self):
        s = smtplib.SMTP("127.0.0.1", self.h.port, timeout=self.a.smtp_timeout,
                         local_hostname="client.e2e.local")
        code, msg = s.ehlo()
        if code != 250:
            s.close()
            raise smtplib.SMTPResponseException(code, msg)
        return s

    def transact(self, s, n):
        """One message on session s (None: connect first).

        Returns (session to keep or None, outcome, code, text), outcome
        "accepted", "temp" (retry) or "rejected"."""
        it = self.items[n]
        data = build_message(it["kind"], n, self.tag, recipient(n))
        in_data = False
        try:
            if s is None:
                s = self.connect()
            code, msg = s.mail(envelope_sender(n), ["SIZE=%d" % len(data)])
            if code == 250:
                code, msg = s.rcpt(recipient(n))
            if code in (250, 251):
                code, msg = s.docmd("DATA")
                if code == 354:
                    in_data = True
                    s.send(harness.wire_data(data))
                    code, msg = s.getreply()
                    in_data = False
            text = msg.decode("utf-8", "replace") if isinstance(
                msg, bytes) else str(msg)
            if code == 250:
                return s, "accepted", code, text
            # Anything else ends the session: after a milter failure
            # Postfix answers every later message of it with the same 4xx.
            self._quit(s, False)
            if 500 <= code < 600:
                return None, "rejected", code, text
            return None, "temp", code, text
        except smtplib.SMTPResponseException as e:
            self._quit(s, in_data)
            code = e.smtp_code
            text = e.smtp_error.decode("utf-8", "replace") if isinstance(
                e.smtp_error, bytes) else str(e.smtp_error)
            return None, ("rejected" if 500 <= code < 600 else "temp"), \
                code, text
        except (smtplib.SMTPException, OSError) as e:
            self._quit(s, True)
            return None, "temp", None, "%s: %s" % (type(e).__name__, e)

    @staticmethod
    def _quit(s, hard):
        if s is None:
            return
        try:
            if hard:
                s.close()
            else:
                s.quit()
        except (smtplib.SMTPException, OSError):
            try:
                s.close()
            except OSError:
                pass

    def sender(self, k):
        s = None
        on_session = 0
        try:
            while True:
                n = self.next_item()
                if n is None:
                    break
                if self.items[n]["t_first"] is None:
                    self.items[n]["t_first"] = time.monotonic()
                t0 = time.monotonic()
                on_session = on_session + 1 if s is not None else 1
                s, outcome, code, text = self.transact(s, n)
                t1 = time.monotonic()
                # Close the session before giving the number back, so a
                # pause sees every session closed once nothing is in
                # flight; and now and then, as an MTA's connection cache
                # would.
                if s is not None and (self.paused or (
                        self.a.session_messages and
                        on_session >= self.a.session_messages)):
                    self._quit(s, False)
                    s = None
                self.done_item(n, outcome, code, text, t0, t1)
        except Exception as e:  # a bug here: say so, do not hang
            log("sender %d: %s\n%s" % (k, e, traceback.format_exc()))
            with self.cv:
                self.inflight = max(0, self.inflight - 1)
                self.abort = self.abort or "sender %d failed: %s" % (k, e)
                self.cv.notify_all()
        finally:
            self._quit(s, False)

    # -- the controller: faults and samples ------------------------------

    def progress(self):
        return self.accepted / max(1, self.a.messages)

    def kill_worker(self):
        workers = self.h.milter_pids()["workers"]
        if not workers:
            self.counts["kill_misses"] += 1
            return
        pid = random.choice(workers)
        try:
            os.kill(pid, signal.SIGKILL)
            self.counts["kills"] += 1
            self.fault("kill", str(pid))
        except ProcessLookupError:
            self.counts["kill_misses"] += 1

    def hup(self):
        if not self.h.milter_running():
            return
        os.kill(self.h.milter_proc.pid, signal.SIGHUP)
        self.counts["hups"] += 1
        self.fault("hup")

    def restart(self):
        t0 = time.monotonic()
        self.fault("restart", "SIGTERM")
        rcode, secs, killed = self.h.stop_milter(timeout=30)
        errs = []
        if killed:
            errs.append("still running %.0fs after SIGTERM: killed" % secs)
        if rcode != 0:
            errs.append("exit status %r after SIGTERM" % rcode)
        try:
            self.h.start_milter()
        except Exception as e:
            errs.append("start after the restart: %s" % e)
        self.counts["restarts"] += 1
        down = time.monotonic() - t0
        self.notes["restart"] = {"stop_seconds": round(secs, 1),
                                 "down_seconds": round(down, 1),
                                 "at_accepted": self.accepted}
        self.fault("restart", "up again after %.1fs" % down)
        self.check("faults/restart", errs, "stopped in %.1fs, down %.1fs"
                   % (secs, down))

    def fill_start(self):
        if self.qfs is None:
            self.fill = {"skipped": self.notes.get("qfs")}
            return
        f = self.qfs / "filler"
        t0 = time.monotonic()
        self.fill = {"start": None, "end": None}
        st = os.statvfs(self.qfs)
        used_kb = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024
        written = 0
        # Unbuffered, so that ENOSPC comes from our own write() and the
        # close cannot fail on a buffer it still has to flush.
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for size in (1 << 20, 65536, 4096, 512, 1):
                chunk = b"\0" * size
                try:
                    while True:
                        written += os.write(fd, chunk)
                except OSError:
                    pass
        finally:
            os.close(fd)
        st = os.statvfs(self.qfs)
        self.fill.update({"store_kb_before": used_kb,
                          "start": time.monotonic(),
                          "filler_mb": round(written / 1048576, 1),
                          "free_after": st.f_bavail * st.f_frsize,
                          "fill_seconds": round(time.monotonic() - t0, 2),
                          "accepted_at_start": self.accepted})
        self.counts["fills"] += 1
        self.fault("fill", "%.0f MiB, %d bytes left" % (
            written / 1048576, self.fill["free_after"]))

    def fill_end(self):
        if self.fill is None or self.fill.get("skipped") or \
                self.fill.get("end"):
            return
        self.fill["end"] = time.monotonic()
        try:
            (self.qfs / "filler").unlink()
        except OSError as e:
            self.check("faults/fill_free", ["removing the filler: %s" % e])
        self.fill["accepted_at_end"] = self.accepted
        self.fault("free")

    def quiet_sample(self, name):
        """Pause the senders, wait until nothing is in flight and every
        session is closed and the milter has its workers back, sample
        the master and the front end, resume."""
        with self.cv:
            self.paused = True
            self.cv.notify_all()
        t0 = time.monotonic()
        end = t0 + 60
        while time.monotonic() < end:
            with self.cv:
                if self.inflight == 0:
                    break
            time.sleep(0.05)
        want = self.a.workers + 1
        while time.monotonic() < end and self.h.milter_running():
            pids = self.h.milter_pids()
            if pids["master"] and len(harness.children_of(
                    pids["master"])) == want and pids["frontend"]:
                break
            time.sleep(0.1)
        # Let libmilter's connection threads end and Postfix's smtpd
        # close its milter connections.
        time.sleep(1.5)
        pids = self.h.milter_pids()
        s = {"master": proc_sample(pids["master"]),
             "frontend": proc_sample(pids["frontend"]),
             "workers": len(pids["workers"]),
             "accepted": self.accepted,
             "t": round(time.monotonic() - T0, 1)}
        self.samples[name] = s
        log("sample %s: master %s, front end %s, %d workers (paused %.1fs)"
            % (name, s["master"], s["frontend"], s["workers"],
               time.monotonic() - t0))
        with self.cv:
            self.paused = False
            self.cv.notify_all()

    def controller(self, senders):
        """The main thread's loop while the senders run: faults, the
        baseline sample, progress lines, the stall and deadline watch.

        It runs in the main thread on purpose: the harness starts the
        milter with PR_SET_PDEATHSIG, which fires when the *thread* that
        forked it ends, so a milter restarted from a helper thread would
        be SIGKILLed when that thread returned."""
        a = self.a
        start = time.monotonic()
        deadline = start + a.deadline
        next_kill = start + 0.5
        next_hup = start + 1.0
        next_print = start + 5
        done_restart = done_baseline = done_fill = False
        last = (start, 0)     # progress watch
        shown = (start, 0)    # progress lines
        try:
            while any(t.is_alive() for t in senders):
                now = time.monotonic()
                p = self.progress()
                if self.accepted != last[1] or self.paused:
                    last = (now, self.accepted)
                elif now - last[0] > a.stall_seconds and not self.abort:
                    self.abort = "nothing accepted for %ds" % \
                        a.stall_seconds
                if now > deadline and not self.abort:
                    self.abort = "the sending took over %ds" % a.deadline
                if self.abort:
                    log("stopping the senders: %s" % self.abort)
                    with self.cv:
                        self.cv.notify_all()
                    for t in senders:
                        t.join(a.smtp_timeout + 20)
                    break
                if now >= next_print:
                    with self.lock:
                        temps = sum(len(it["temp"]) for it in self.items)
                        waiting = len(self.retry)
                    log("%d/%d accepted (%.0f/s now), %d tempfails, %d "
                        "waiting to retry, %d kills, %d SIGHUPs" % (
                            self.accepted, a.messages,
                            (self.accepted - shown[1]) / (now - shown[0]),
                            temps, waiting, self.counts["kills"],
                            self.counts["hups"]))
                    shown = (now, self.accepted)
                    next_print = now + 5
                if self.fill and self.fill.get("start") and \
                        not self.fill.get("end") and \
                        now - self.fill["start"] >= a.fill_seconds:
                    self.fill_end()
                if not done_restart and p >= a.restart_at:
                    done_restart = True
                    self.restart()
                    continue
                if done_restart and not done_baseline and \
                        p >= a.baseline_at:
                    done_baseline = True
                    self.quiet_sample("baseline")
                    continue
                if not done_fill and p >= a.fill_at:
                    done_fill = True
                    self.fill_start()
                if now >= next_kill and a.kill_every > 0:
                    self.kill_worker()
                    next_kill = now + a.kill_every * random.uniform(0.6,
                                                                    1.4)
                if now >= next_hup and a.hup_every > 0:
                    self.hup()
                    next_hup = now + a.hup_every * random.uniform(0.6, 1.4)
                time.sleep(0.05)
        finally:
            self.fill_end()

    # -- the run -------------------------------------------------------------

    def run(self):
        a = self.a
        self.start()
        senders = [threading.Thread(target=self.sender, args=(k,),
                                    daemon=True)
                   for k in range(a.sessions)]
        self.t_send0 = time.monotonic()
        for t in senders:
            t.start()
        self.controller(senders)
        self.t_send1 = time.monotonic()
        alive = [t for t in senders if t.is_alive()]
        errs = []
        if self.abort:
            errs.append("the sending was stopped: %s" % self.abort)
        if alive:
            errs.append("%d sender threads still running" % len(alive))
        self.check("run/senders_finished", errs,
                   "%.1fs" % (self.t_send1 - self.t_send0))
        if not self.h.milter_running():
            self.check("run/milter_alive_at_end", [
                "the milter master is gone (exit status %s)" %
                (self.h.milter_proc.poll() if self.h.milter_proc else None)])
            self.h.stop_milter()
            self.h.start_milter()
        # Still queued when the sending ends; then flushed.
        queued = self.h.queue()
        self.notes["queued_at_end"] = len(queued) + self.h.maildrop_count()
        self.h.flush()
        if not self.h.wait_queue_empty(a.drain_timeout):
            self.h.flush()
            self.h.wait_queue_empty(30)
        self.quiet_sample("end")
        self.account()
        self.check_growth()
        # A clean stop at the end: the master finishes, and under ASan
        # LeakSanitizer reports into the log read next.
        pids = self.h.milter_pids()
        rcode, secs, killed = self.h.stop_milter(timeout=30)
        errs = []
        if killed:
            errs.append("still running %.0fs after SIGTERM: killed" % secs)
        if rcode != 0:
            errs.append("exit status %r" % rcode)
        left = [p for p in [pids["master"], pids["frontend"]] +
                pids["workers"] if p and harness.pid_alive(p)]
        if left:
            errs.append("still alive: %s" % left)
        self.check("final/sigterm_at_end", errs, "%.1fs" % secs)
        self.check_logs()

    # -- accounting ------------------------------------------------------

    def delivered(self):
        """{n: [paths]} and [unknown paths] of every Maildir."""
        by_n = {}
        unknown = []
        for u in sorted(p.name for p in self.h.mail.iterdir()):
            for f in self.h.mailbox(u):
                head = f.read_bytes()[:4096]
                m = re.search(rb"(?m)^Return-Path: <soak-(\d{5})@", head)
                if not m:
                    unknown.append(f)
                else:
                    by_n.setdefault(int(m.group(1)), []).append(f)
        return by_n, unknown

    def account(self):
        a = self.a
        try:
            entries = self.h.qlist()
        except Exception as e:
            entries = []
            self.check("final/quarantine_list", [str(e)])
        qindex = {e.get("id"): e for e in entries if isinstance(e, dict)}
        queue = self.h.queue()
        by_n, unknown = self.delivered()
        sigs = load_body_signatures(Path(self.a.source) / "corpus" /
                                    "signatures")
        if not any(name.endswith("EICAR") for name, _, _ in sigs):
            self.check("final/test_signatures", [
                "no EICAR body signature in corpus/signatures"])
        lost, dup, refused, gave_up, bad_user = [], [], [], [], []
        stats = {}
        deliv_errs = []
        held_fault = []
        in_window = []
        n_deliv = n_held = 0
        win = self.fill if self.fill and self.fill.get("end") else None
        for it in self.items:
            n = it["n"]
            got = by_n.get(n, [])
            if it["state"] == "rejected":
                refused.append("%05d %s: %s" % (n, it["kind"], it["reply"]))
            elif it["state"] == "gave_up":
                gave_up.append("%05d %s after %d tries: %s" % (
                    n, it["kind"], it["tries"], it["reply"]))
            elif it["state"] != "accepted":
                lost.append("%05d %s never sent (%s)" % (n, it["kind"],
                                                       it["state"]))
            if it["state"] == "accepted" and not got:
                lost.append("%05d %s accepted (%s) but not delivered" % (
                    n, it["kind"], it["reply"]))
            if it["state"] != "accepted" and got:
                lost.append("%05d %s delivered but the sender saw %s" % (
                    n, it["kind"], it["reply"]))
            if len(got) > 1:
                dup.append("%05d %s delivered %d times" % (n, it["kind"],
                                                          len(got)))
            for f in got:
                if f.parent.parent.name != recipient(n).split("@")[0]:
                    bad_user.append("%05d in %s's mailbox" % (
                        n, f.parent.parent.name))
                out = f.read_bytes()
                errs, disp, qid, hf = delivered_errors(out, it, self.tag,
                                                       qindex, sigs)
                deliv_errs += ["%05d %s: %s" % (n, it["kind"], e)
                               for e in errs]
                key = "%s/%s" % (it["kind"], "held_by_fault" if hf
                                 else disp)
                stats[key] = stats.get(key, 0) + 1
                if disp == "quarantined":
                    n_held += 1
                else:
                    n_deliv += 1
                if hf:
                    held_fault.append((n, qid))
                if win and it["t_accept"] and win["start"] <= \
                        it["t_accept"] <= win["end"] + 0.5 and qid and \
                        qid != "-":
                    in_window.append((n, qid))
        n_acc = sum(1 for it in self.items if it["state"] == "accepted")
        self.notes["accounting"] = {
            "sent": a.messages, "accepted": n_acc,
            "delivered": n_deliv, "held": n_held,
            "queued_at_end_of_sending": self.notes.get("queued_at_end"),
            "queued_after_flush": len(queue), "refused": len(refused),
            "gave_up": len(gave_up), "by_kind": dict(sorted(stats.items())),
            "held_by_fault": len(held_fault),
            "accepted_during_full_disk_with_qid": len(in_window)}
        errs = lost + dup + refused + gave_up + bad_user + [
            "delivered, not sent by us: %s" % f for f in unknown[:10]]
        if queue:
            errs.append("%d messages still queued after the flush: %s" % (
                len(queue), [q.get("queue_id") for q in queue][:10]))
        if n_acc != n_deliv + n_held:
            errs.append("accepted %d != delivered %d + held %d" % (
                n_acc, n_deliv, n_held))
        self.check("final/accounted", errs,
                   "sent %d = delivered %d + held %d (of which %d held by "
                   "a killed worker); %d still queued at the end of "
                   "sending, 0 after the flush" % (
                       a.messages, n_deliv, n_held, len(held_fault),
                       self.notes.get("queued_at_end", 0)))
        self.check("final/never_unsanitized", deliv_errs,
                   "%d delivered copies checked" % (n_deliv + n_held))
        # The kept originals: every held-by-fault message, every one
        # accepted while the quarantine was full, a random sample.
        rnd = random.Random(self.tag)
        others = [(it["n"], None) for it in self.items
                  if it["state"] == "accepted"]
        sample = held_fault[:a.export_max] + in_window[:a.export_max] + \
            rnd.sample(others, min(len(others), 20))
        errs = []
        checked = 0
        for n, qid in sample:
            if qid is None:
                got = by_n.get(n, [])
                if not got:
                    continue
                disp, params = x_mugaika(got[0].read_bytes())
                qid = params.get("id")
                if not qid or qid == "-":
                    continue
            it = self.items[n]
            want = build_message(it["kind"], n, self.tag, recipient(n))
            try:
                exp = self.h.qexport(qid)
            except Exception as e:
                errs.append("%05d: %s" % (n, e))
                continue
            checked += 1
            if norm_eol(exp) != norm_eol(want):
                errs.append("%05d: the kept original %s differs from what "
                            "was sent (%d vs %d bytes)" % (
                                n, qid, len(exp), len(want)))
        self.check("final/originals_kept", errs,
                   "%d exported (%d held by a killed worker, %d accepted "
                   "during the full-disk window)" % (
                       checked, len(held_fault), len(in_window)))
        if self.fill and self.fill.get("skipped"):
            print("skip faults/full_quarantine_tempfails: %s" %
                  self.fill["skipped"])
        if win:
            # While the store was full, mail that needs it must have
            # been refused for now: count the tempfails in the window.
            t_in = sum(1 for it in self.items for t, c in it["temp"]
                       if win["start"] - T0 <= t <= win["end"] - T0 + 0.5)
            self.fill["tempfails_in_window"] = t_in
            self.fill["accepted_in_window"] = sum(
                1 for it in self.items if it["t_accept"] and
                win["start"] <= it["t_accept"] <= win["end"])
            kinds_in = {}
            for it in self.items:
                if it["t_accept"] and win["start"] + 0.5 <= \
                        it["t_accept"] <= win["end"]:
                    kinds_in[it["kind"]] = kinds_in.get(it["kind"], 0) + 1
            self.fill["accepted_kinds_in_window"] = kinds_in
            errs = []
            if t_in == 0:
                errs.append("no tempfail while the quarantine was full")
            self.check("faults/full_quarantine_tempfails", errs,
                       "%d tempfails, %d accepted (%s) in %.1fs" % (
                           t_in, self.fill["accepted_in_window"],
                           ", ".join("%s %d" % kv for kv in
                                     sorted(kinds_in.items())),
                           win["end"] - win["start"]))

    def check_growth(self):
        b, e = self.samples.get("baseline"), self.samples.get("end")
        errs = []
        if not b or not e:
            self.check("growth/fd_rss", ["no %s sample" % (
                "baseline" if not b else "end")])
            return
        for proc in ("master", "frontend"):
            x, y = b.get(proc), e.get(proc)
            if not x or not y:
                errs.append("%s: no sample (%r, %r)" % (proc, x, y))
                continue
            if x["pid"] != y["pid"]:
                errs.append("%s: pid %d became %d (it was restarted)" % (
                    proc, x["pid"], y["pid"]))
            if y["fds"] - x["fds"] > FD_SLACK:
                errs.append("%s: %d descriptors, %d at the baseline" % (
                    proc, y["fds"], x["fds"]))
            # Under ASan freed memory sits in its quarantine (256 MiB
            # by default) before reuse: RSS says nothing about leaks
            # there, LeakSanitizer at the master's exit does.
            if not self.h.asan and \
                    y["rss_kb"] > x["rss_kb"] * RSS_FACTOR + RSS_SLACK_KB:
                errs.append("%s: RSS %d kB, %d kB at the baseline" % (
                    proc, y["rss_kb"], x["rss_kb"]))
        self.check("growth/fd_rss", errs, "; ".join(
            "%s fds %d->%d rss %d->%d kB" % (
                p, b[p]["fds"], e[p]["fds"], b[p]["rss_kb"],
                e[p]["rss_kb"]) for p in ("master", "frontend")
            if b.get(p) and e.get(p)) + "; %d messages between" % (
                e["accepted"] - b["accepted"]))

    def check_logs(self):
        text = self.h.log_text()
        lines = text.splitlines()
        signals = re.findall(r"worker (\d+) killed by signal (\d+)", text)
        other = [l for l in lines if re.search(
            r"killed by signal (?!9\b)\d+", l)]
        held = re.findall(r": (\w+): message held as ", text)
        reasons = {}
        for r in held:
            reasons[r] = reasons.get(r, 0) + 1
        self.notes["milter_log"] = {
            "workers_killed_by_sigkill": sum(1 for _, s in signals
                                             if s == "9"),
            "held": reasons,
            "reloads": text.count("reloading (SIGHUP)"),
            "tempfail_lines": len(re.findall(r"tempfail", text)),
            "no_free_worker": text.count("no free worker"),
            "engine_failures": text.count("engine failure"),
            "hold_failed": text.count("could not be kept"),
        }
        errs = ["a worker died on its own: %s" % l for l in other[:5]]
        errs += ["sanitizer/GLib report: %s" % l for l in lines
                 if any(m in l for m in SANITIZER_MARKS)][:10]
        errs += ["reload failed: %s" % l for l in lines
                 if "reload failed" in l][:5]
        # The front end exits only with the master (our restart).
        fe = [l for l in lines if "front end exited" in l and
              "stopping" not in l]
        # (the restart, and the stop at the end)
        stops = self.counts["restarts"] + 1
        if len(fe) > stops:
            errs.append("the front end exited %d times, %d stop(s): %s"
                        % (len(fe), stops, fe[:3]))
        self.check("final/milter_log", errs, json.dumps(
            self.notes["milter_log"], sort_keys=True))
        ml = self.h.maillog_text()
        pf = {"sent": len(re.findall(r"status=sent", ml)),
              "deferred": len(re.findall(r"status=deferred", ml)),
              "bounced": len(re.findall(r"status=bounced", ml)),
              "milter_reject_4xx_lines": len(re.findall(
                  r"milter-reject: \S+ [^;]*4\.\d\.\d", ml)),
              "panics": len(re.findall(r"panic:|fatal:", ml))}
        self.notes["postfix"] = pf
        errs = []
        if pf["bounced"]:
            errs.append("%d bounces: %s" % (pf["bounced"], re.findall(
                r"[^\n]*status=bounced[^\n]*", ml)[:3]))
        if pf["panics"]:
            errs.append("Postfix panic/fatal: %s" % re.findall(
                r"[^\n]*(?:panic|fatal):[^\n]*", ml)[:3])
        self.check("final/postfix_log", errs, json.dumps(pf,
                                                         sort_keys=True))

    def summary(self):
        a = self.a
        wall = (self.t_send1 or time.monotonic()) - (self.t_send0 or T0)
        lat = sorted(self.lat)
        temps = {}
        for it in self.items:
            for _, c in it["temp"]:
                temps[str(c)] = temps.get(str(c), 0) + 1
        res = {
            "messages": a.messages, "sessions": a.sessions,
            "workers": a.workers, "tag": self.tag,
            "sending_seconds": round(wall, 1),
            "rate_accepted_per_s": round(self.accepted / wall, 1)
            if wall else None,
            "latency_ms_p50": round(statistics.median(lat) * 1000, 1)
            if lat else None,
            "latency_ms_p99": round(lat[max(0, int(len(lat) * 0.99) - 1)]
                                    * 1000, 1) if lat else None,
            "tempfails_by_code": temps,
            "faults": self.counts,
            "fault_log": self.faults,
            "fill": {k: (round(v - T0, 1) if k in ("start", "end") and
                         isinstance(v, float) else v)
                     for k, v in (self.fill or {}).items()},
            "samples": self.samples,
            "notes": self.notes,
            "failed": [n for n, _ in self.errors],
            "total_seconds": round(time.monotonic() - T0, 1),
        }
        print("\n--- summary ---")
        print(json.dumps(res, indent=1, sort_keys=True, ensure_ascii=False))
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=1,
                                               sort_keys=True,
                                               ensure_ascii=False) + "\n")
        print("\n%d check(s) failed%s" % (len(self.errors), ": " + " ".join(
            n for n, _ in self.errors) if self.errors else ""))
        print("soak: %.1fs" % (time.monotonic() - T0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--milter", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", default=str(REPO))
    ap.add_argument("--short", action="store_true",
                    help="the CI version (500 messages, faults compressed)")
    ap.add_argument("--messages", type=int)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kill-every", type=float,
                    help="seconds between worker SIGKILLs (0: none)")
    ap.add_argument("--hup-every", type=float,
                    help="seconds between SIGHUPs (0: none)")
    ap.add_argument("--restart-at", type=float,
                    help="fraction of the messages accepted")
    ap.add_argument("--baseline-at", type=float)
    ap.add_argument("--fill-at", type=float)
    ap.add_argument("--fill-seconds", type=float)
    ap.add_argument("--qfs-size", help="size of the quarantine tmpfs")
    ap.add_argument("--session-messages", type=int, default=100,
                    help="messages per SMTP session (0: unlimited)")
    ap.add_argument("--max-tries", type=int, default=200)
    ap.add_argument("--smtp-timeout", type=int, default=240)
    ap.add_argument("--deadline", type=int,
                    help="seconds the sending may take at most")
    ap.add_argument("--stall-seconds", type=int, default=120,
                    help="give up when nothing is accepted for so long")
    ap.add_argument("--drain-timeout", type=int, default=120)
    ap.add_argument("--export-max", type=int, default=200)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    prof = PROFILES["short" if a.short else "full"]
    for k, v in prof.items():
        if getattr(a, k, None) is None:
            setattr(a, k, v)
    s = Soak(a)
    try:
        s.run()
    except harness.Skip as e:
        print("skip: %s" % e)
        return SKIP
    except Exception as e:
        s.check("internal/run", ["%s: %s\n%s" % (type(e).__name__, e,
                                                  traceback.format_exc())])
    finally:
        if s.errors and s.h is not None:
            print("\n--- milter log (tail) ---\n%s" % s.h.log_text()[-4000:])
            print("--- Postfix maillog (tail) ---\n%s" %
                  s.h.maillog_text()[-3000:])
        try:
            if s.h is not None:
                s.summary()
        finally:
            s.close()
    return 1 if s.errors else 0


if __name__ == "__main__":
    sys.exit(main())
