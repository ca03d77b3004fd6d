#!/usr/bin/env python3
"""`mugaika quarantine release`: re-injecting a kept original over SMTP.

A tiny SMTP server runs in a thread of this script (plain sockets; the
smtpd module is deprecated) and records every session and every message it
accepted; it can be told to refuse given recipients (550, as a multi-line
reply) or the data (554).  Checked: the relay gets exactly one message,
with the X-Mugaika-Release header first and the original byte for byte
after it (once CRLF and dot-stuffing are undone); that message, fed back
through `mugaika sanitize`, passes through as released with its attachment;
--to replaces the recipients; every refusal (no --original, unknown or
malformed id, a refused recipient, refused data, no release key, a threat
found by the rescan, an address that would inject SMTP commands, a relay
that is down) exits as documented and sends nothing; the audit log holds
an attempt and a result record and still verifies."""
import argparse
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


# Built from two halves so this file does not carry the test string
# (corpus/signatures/README.md).
_EICAR_A = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
_EICAR_B = "ANTIVIRUS-TEST-FILE!$H+H*"
EICAR = (_EICAR_A + _EICAR_B).encode("ascii")
assert len(EICAR) == 68

# An attachment (removed in text mode, so the original is kept) and text
# lines that need dot-stuffing (RFC 5321 4.5.2), one a lone ".".
MAIL = (b"From: sender@example.jp\nTo: staff@city.example.lg.jp\n"
        b"Subject: release me\nMessage-ID: <rel-1@example.jp>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=x\n\n"
        b"--x\nContent-Type: text/plain; charset=utf-8\n\n"
        b"body\n.\n..two dots\n.one dot\nend\n"
        b"--x\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=\"a.bin\"\n"
        b"Content-Transfer-Encoding: base64\n\nAAECAwQ=\n--x--\n")

MAIL_CSV = (b"From: sender@example.jp\nTo: staff@city.example.lg.jp\n"
            b"Subject: list\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=x\n\n"
            b"--x\nContent-Type: text/plain; charset=utf-8\n\nsee list\n"
            b"--x\nContent-Type: text/csv; charset=utf-8\n"
            b"Content-Disposition: attachment; filename=\"list.csv\"\n\n"
            b"a,b\n=cmd|' /C calc'!A0,2\n--x--\n")

VIRUS = (b"From: sender@example.jp\nTo: staff@city.example.lg.jp\n"
         b"Subject: test file\nMIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=x\n\n"
         b"--x\nContent-Type: text/plain\n\nsee attached\n"
         b"--x\nContent-Type: application/octet-stream\n"
         b"Content-Disposition: attachment; filename=\"t.com\"\n\n"
         + EICAR + b"\n--x--\n")


class Smtp:
    """A recording SMTP server on 127.0.0.1, one session at a time."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.sessions = []   # list of command lists (bytes)
        self.messages = []   # accepted: dict(mail_from, rcpts, raw, data)
        self.refuse_rcpt = set()
        self.refuse_data = False
        self.no_ehlo = False      # answer EHLO with 502 (an old server)
        self.greeting = "220 test.example ESMTP\r\n"
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.sessions = []
            self.messages = []
            self.refuse_rcpt = set()
            self.refuse_data = False
            self.no_ehlo = False
            self.greeting = "220 test.example ESMTP\r\n"

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                self.session(c)
            except (OSError, ValueError):
                pass
            finally:
                c.close()

    def session(self, c):
        f = c.makefile("rb")
        cmds = []
        with self.lock:
            self.sessions.append(cmds)

        def send(s):
            c.sendall(s.encode("ascii"))
        send(self.greeting)
        mail_from, rcpts = None, []
        while True:
            line = f.readline(4096)
            if not line:
                return
            cmds.append(line)
            if not line.endswith(b"\r\n"):
                send("500 5.5.2 line not ended by CRLF\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO" and self.no_ehlo:
                send("502 5.5.2 Error: command not recognized\r\n")
            elif verb == b"EHLO":
                send("250-test.example\r\n250-PIPELINING\r\n"
                     "250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"HELO":
                send("250 test.example\r\n")
            elif verb == b"MAIL":
                mail_from = line[10:].split(b">")[0].lstrip(b"<")
                rcpts = []
                send("250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                addr = line[8:].strip().lstrip(b"<").rstrip(b">")
                if addr.decode("utf-8", "replace") in self.refuse_rcpt:
                    send("550-5.1.1 <%s>: Recipient address rejected:\r\n"
                         "550 5.1.1 User unknown in local recipient table\r\n"
                         % addr.decode("ascii", "replace"))
                else:
                    rcpts.append(addr.decode("utf-8"))
                    send("250 2.1.5 Ok\r\n")
            elif verb == b"DATA":
                if not rcpts:
                    send("554 5.5.1 Error: no valid recipients\r\n")
                    continue
                send("354 End data with <CR><LF>.<CR><LF>\r\n")
                raw = b""
                while True:
                    l = f.readline(1 << 20)
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    raw += l
                if self.refuse_data:
                    send("554 5.7.1 Message refused by test\r\n")
                    continue
                lines = raw.split(b"\r\n")
                data = b"\r\n".join(x[1:] if x.startswith(b".") else x
                                    for x in lines)
                with self.lock:
                    self.messages.append(dict(mail_from=mail_from,
                                              rcpts=list(rcpts), raw=raw,
                                              data=data))
                send("250 2.0.0 Ok: queued as TEST%d\r\n" % len(self.messages))
            elif verb == b"RSET":
                send("250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                send("221 2.0.0 Bye\r\n")
                return
            else:
                send("502 5.5.2 Error: command not recognized\r\n")

    def any_rcpt_or_data(self):
        return any(x[:4].upper() in (b"RCPT", b"DATA")
                   for s in self.sessions for x in s)


def wire_form(b):
    """What the relay should get: every line end CRLF (bare CR and bare
    LF too, RFC 5321 2.3.8) and a CRLF at the end."""
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i:i + 1]
        if c == b"\r":
            out += b"\r\n"
            i += 2 if b[i + 1:i + 2] == b"\n" else 1
            continue
        out += b"\r\n" if c == b"\n" else c
        i += 1
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return bytes(out)


def write_conf(d, src, port, key=True, extra=""):
    keyf = os.path.join(d, "release.key")
    if key and not os.path.exists(keyf):
        with open(keyf, "wb") as f:
            f.write(os.urandom(32))
    conf = os.path.join(d, "c.conf")
    with open(conf, "w") as f:
        f.write("[quarantine]\ndir = %s/q\n[notice]\ntemplates = %s/conf/templates\n"
                "[scan]\ndatabase = %s/corpus/signatures\n"
                "[release]\nkey_file = %s\nrelay = 127.0.0.1:%d\n"
                "[log]\naudit_file = %s/audit.log\n%s"
                % (d, src, src, keyf, port, d, extra))
    return conf


def run(cli, args, stdin=None):
    return subprocess.run([cli] + args, input=stdin, capture_output=True,
                          timeout=300)


def keep(cli, conf, d, name, mail, sender=None, rcpts=()):
    """Sanitize `mail` so its original is kept; return the new id."""
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(mail)
    args = ["sanitize", "--config", conf]
    if sender is not None:
        args += ["--sender", sender]
    for r in rcpts:
        args += ["--recipient", r]
    before = {e["id"] for e in json.loads(
        run(cli, ["quarantine", "--config", conf, "list", "--json"]).stdout or b"[]")}
    r = run(cli, args + [p, p + ".out"])
    if r.returncode != 0:
        print(r.stderr.decode(errors="replace"))
    after = json.loads(run(cli, ["quarantine", "--config", conf, "list", "--json"]).stdout)
    new = [e["id"] for e in after if e["id"] not in before]
    return new[0] if len(new) == 1 else None


def release(cli, conf, qid, *more):
    return run(cli, ["quarantine", "--config", conf, "release", qid] + list(more))


def audit_records(d):
    p = os.path.join(d, "audit.log")
    if not os.path.exists(p):
        return []
    with open(p, encoding="utf-8") as f:
        return [json.loads(x) for x in f.read().splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    cli, src = a.cli, a.source
    srv = Smtp()
    d = tempfile.mkdtemp(prefix="mgrel-")
    try:
        conf = write_conf(d, src, srv.port)
        qid = keep(cli, conf, d, "in.eml", MAIL, "env@example.jp",
                   ["a@city.example.lg.jp", "b@city.example.lg.jp"])
        check(qid is not None, "sanitize kept the original")

        # Without --original: the version rebuilt by CDR (a text-mode
        # gateway's reader asking for the attachment).
        cq = keep(cli, conf, d, "csv.eml", MAIL_CSV, "env@example.jp",
                  ["a@city.example.lg.jp"])
        srv.reset()
        r = release(cli, conf, cq or "20200101-AAAAAAAAAAAA")
        check(r.returncode == 0 and len(srv.messages) == 1,
              "rebuilt release: exit 0, one message: %r" % r.stderr[-300:])
        m = srv.messages[0] if srv.messages else dict(data=b"")
        first, _, rest = m["data"].partition(b"\r\n")
        check(first.startswith(b"X-Mugaika-Release: id=%s; mac=" % (cq or "").encode()),
              "rebuilt release: X-Mugaika-Release first")
        rb = email.message_from_bytes(rest.replace(b"\r\n", b"\n"),
                                      policy=email.policy.default)
        files = [(p.get_filename(), p.get_payload(decode=True))
                 for p in rb.walk() if p.get_filename()]
        check(rb.get_content_type() == "multipart/mixed"
              and "mode=cdr" in str(rb.get("X-Mugaika", ""))
              and len(files) == 1 and files[0][0] == "list.csv"
              and b"=cmd" in files[0][1]
              and not any(l.startswith(b"=") for l in files[0][1].splitlines()),
              "rebuilt release: the CSV attachment rebuilt (formula "
              "neutralised) next to the text")
        text = next(p for p in rb.walk() if not p.is_multipart()).get_content()
        check("list.csv" in text and (cq or "?") in text,
              "rebuilt release: the notice names the file and the entry")
        back = os.path.join(d, "back-rebuilt.eml")
        with open(back, "wb") as f:
            f.write(m["data"])
        r = run(cli, ["sanitize", "--config", conf, back, back + ".out"])
        res = open(back + ".out", "rb").read() if r.returncode == 0 else b""
        check(b"X-Mugaika: released; id=" + (cq or "").encode() in res
              and b"list.csv" in res,
              "rebuilt release re-fed through sanitize: passed through")
        recs = [x for x in audit_records(d) if x.get("type") == "release"
                and x.get("quarantine_id") == cq]
        check([x.get("version") for x in recs] == ["rebuilt", "rebuilt"]
              and [x.get("result") for x in recs] == ["attempt", "delivered"],
              "rebuilt release: audit attempt and result, version rebuilt")
        srv.reset()

        # Ids: a path is a usage error, an unknown id is 1.
        r = release(cli, conf, "../x", "--original")
        check(r.returncode == 64 and not srv.sessions, "id ../x: exit 64")
        r = release(cli, conf, "20200101-AAAAAAAAAAAA", "--original")
        check(r.returncode == 1 and not srv.sessions, "unknown id: exit 1")
        r = run(cli, ["quarantine", "--config", conf, "release", "--original"])
        check(r.returncode == 64, "no id: exit 64")
        r = release(cli, conf, qid, "--original", "--to", "a b@example.jp")
        check(r.returncode == 64 and not srv.sessions, "bad --to: exit 64")
        r = release(cli, conf, qid, "--original", "--to",
                    "x@example.jp>\r\nRCPT TO:<evil@example.jp")
        check(r.returncode == 64 and not srv.sessions,
              "--to with CRLF (command injection): exit 64, nothing sent")
        r = release(cli, conf, qid, "--original", "--store", d)
        check(r.returncode == 64, "--store does not apply: exit 64")

        # A recipient refused (multi-line 550): 1, names it, no data sent.
        srv.reset()
        srv.refuse_rcpt = {"b@city.example.lg.jp"}
        r = release(cli, conf, qid, "--original")
        check(r.returncode == 1 and b"b@city.example.lg.jp" in r.stderr
              and b"550" in r.stderr and b"User unknown" in r.stderr
              and not srv.messages
              and not any(x.startswith(b"DATA") for s in srv.sessions for x in s),
              "recipient refused: exit 1, names it, no DATA sent")

        # The data refused: 1, with the reply.
        srv.reset()
        srv.refuse_data = True
        r = release(cli, conf, qid, "--original")
        check(r.returncode == 1 and b"554 5.7.1 Message refused by test" in r.stderr
              and not srv.messages, "data refused: exit 1 with the reply")

        # The release itself.
        srv.reset()
        r = release(cli, conf, qid, "--original")
        out = r.stdout.decode(errors="replace")
        check(r.returncode == 0 and out.startswith(
            "released %s to 2 recipients via 127.0.0.1:%d: 250 2.0.0 Ok"
            % (qid, srv.port)), "release: exit 0, one line: " + out.strip())
        check(len(srv.messages) == 1, "relay got exactly one message")
        m = srv.messages[0] if srv.messages else dict(
            mail_from=b"", rcpts=[], raw=b"", data=b"")
        check(m["mail_from"] == b"env@example.jp"
              and m["rcpts"] == ["a@city.example.lg.jp", "b@city.example.lg.jp"],
              "envelope: stored sender and recipients")
        first, _, rest = m["data"].partition(b"\r\n")
        check(first.startswith(b"X-Mugaika-Release: id=%s; mac=" % qid.encode()),
              "X-Mugaika-Release is the first line")
        check(b"\n" not in m["raw"].replace(b"\r\n", b"")
              and b"\r" not in m["raw"].replace(b"\r\n", b""),
              "only CRLF line ends on the wire")
        check(b"\r\n..\r\n...two dots\r\n..one dot\r\n" in m["raw"],
              "lines starting with a dot are dot-stuffed")
        check(rest.replace(b"\r\n", b"\n") == MAIL,
              "the original, byte for byte after the header")

        # Back through the gateway: passed through as released.
        back = os.path.join(d, "back.eml")
        with open(back, "wb") as f:
            f.write(b"Received: from localhost (localhost [127.0.0.1])\r\n"
                    b"\tby test.example; Sun, 22 Nov 2026 10:00:00 +0900\r\n"
                    + m["data"])
        r = run(cli, ["sanitize", "--config", conf, back, back + ".out"])
        res = open(back + ".out", "rb").read() if r.returncode == 0 else b""
        check(r.returncode == 0 and b"X-Mugaika: released; id=" + qid.encode() in res
              and b"AAECAwQ=" in res and b"filename=\"a.bin\"" in res,
              "re-fed through sanitize: passed through, attachment intact")

        # Mixed line ends over several read buffers, dots at the start
        # of lines on both sides of a buffer boundary, no final newline.
        body = b"".join(b".%05d dotted\r\n" % i if i % 3 else
                        b"line %05d bare cr\rnext\n" % i for i in range(9000))
        mixed = MAIL.replace(b"body\n", body).rstrip(b"\n")
        srv.reset()
        mq = keep(cli, conf, d, "mixed.eml", mixed, "env@example.jp",
                  ["a@city.example.lg.jp"])
        r = release(cli, conf, mq or "20200101-AAAAAAAAAAAA", "--original")
        got = srv.messages[0]["data"] if srv.messages else b""
        check(r.returncode == 0 and got.partition(b"\r\n")[2] == wire_form(mixed),
              "mixed line ends, %d bytes: CRLF everywhere, dots stuffed" % len(mixed))
        with open(back, "wb") as f:
            f.write(b"Received: from localhost\r\n" + got)
        r = run(cli, ["sanitize", "--config", conf, back, back + ".out"])
        res = open(back + ".out", "rb").read() if r.returncode == 0 else b""
        check(b"X-Mugaika: released; id=%s" % (mq or "").encode() in res
              and b"AAECAwQ=" in res, "mixed line ends: still passes through")

        # --to replaces the recipients.
        srv.reset()
        r = release(cli, conf, qid, "--original", "--to", "other@example.jp")
        check(r.returncode == 0 and len(srv.messages) == 1
              and srv.messages[0]["rcpts"] == ["other@example.jp"]
              and b"to 1 recipient via" in r.stdout,
              "--to other@example.jp: only that recipient")

        # The audit log: an attempt then a result for each try.
        recs = [x for x in audit_records(d) if x.get("type") == "release"
                and x.get("quarantine_id") != cq]
        results = [x["result"] for x in recs]
        check(results == ["attempt", "refused", "attempt", "refused",
                          "attempt", "delivered", "attempt", "delivered",
                          "attempt", "delivered"],
              "audit: attempt and result records: %s" % results)
        ok = [x for x in recs if x["result"] == "delivered"]
        check(ok and ok[0]["quarantine_id"] == qid and ok[0]["by"]
              and ok[0]["relay"] == "127.0.0.1:%d" % srv.port
              and ok[0]["recipients"] == ["a@city.example.lg.jp", "b@city.example.lg.jp"]
              and ok[0]["reply"].startswith("250 2.0.0 Ok"),
              "audit: the delivered record names id, user, recipients, relay, reply")
        check(recs and recs[1].get("refused")
              and "b@city.example.lg.jp" in recs[1]["refused"][0],
              "audit: the refused recipient is named")
        r = run(cli, ["audit", "--config", conf, "verify"])
        check(r.returncode == 0, "audit verify passes")

        # A hostile stored envelope: a sender that would add a command
        # goes out as the null path; a recipient like it stops the
        # release until --to names the recipients.
        srv.reset()
        hq = keep(cli, conf, d, "hostile.eml", MAIL,
                  "x@example.jp>\r\nRCPT TO:<evil@example.jp",
                  ["ok@city.example.lg.jp"])
        r = release(cli, conf, hq, "--original")
        check(r.returncode == 0 and len(srv.messages) == 1
              and srv.messages[0]["mail_from"] == b""
              and srv.messages[0]["rcpts"] == ["ok@city.example.lg.jp"]
              and not any(b"evil" in x for s in srv.sessions for x in s),
              "hostile stored sender: null path, no injected command")
        srv.reset()
        hq2 = keep(cli, conf, d, "hostile2.eml", MAIL, "env@example.jp",
                   ["ok@city.example.lg.jp>\r\nRCPT TO:<evil@example.jp"])
        r = release(cli, conf, hq2, "--original")
        check(r.returncode == 1 and b"--to" in r.stderr and not srv.sessions
              and b"\r" not in r.stderr,
              "hostile stored recipient: exit 1, asks for --to, nothing sent")

        # A threat in quarantine: refused after the rescan, nothing sent.
        srv.reset()
        vq = keep(cli, conf, d, "virus.eml", VIRUS, "env@example.jp",
                  ["a@city.example.lg.jp"])
        check(vq is not None, "EICAR message kept")
        r = release(cli, conf, vq or "20200101-AAAAAAAAAAAA", "--original")
        check(r.returncode == 1 and b"Mugaika.Test.EICAR" in r.stderr
              and not srv.sessions, "EICAR: release refused, relay not contacted")
        last = audit_records(d)[-1]
        check(last["type"] == "release" and last["result"] == "refused"
              and last["stage"] == "rescan"
              and last["threats"] == ["Mugaika.Test.EICAR.UNOFFICIAL"],
              "EICAR: the refused release is in the audit log")

        # An old server: HELO after EHLO is refused; a multi-line
        # greeting is read whole.
        srv.reset()
        srv.no_ehlo = True
        srv.greeting = "220-test.example ESMTP\r\n220 no EHLO here\r\n"
        r = release(cli, conf, qid, "--original")
        check(r.returncode == 0 and len(srv.messages) == 1
              and any(x.startswith(b"HELO ") for x in srv.sessions[0]),
              "EHLO refused: HELO, delivered")
        # Not SMTP: no reply, so a temporary failure.
        srv.reset()
        srv.greeting = "HTTP/1.1 400 Bad Request\r\n"
        r = release(cli, conf, qid, "--original")
        check(r.returncode == 75 and b"not an SMTP reply" in r.stderr
              and not srv.messages, "a relay that is not SMTP: exit 75")
        srv.reset()
        srv.greeting = "554 5.3.2 not now\r\n"
        r = release(cli, conf, qid, "--original")
        check(r.returncode == 1 and b"554 5.3.2 not now" in r.stderr
              and not srv.messages, "greeting 554: exit 1 with the reply")
        r = run(cli, ["audit", "--config", conf, "verify"])
        check(r.returncode == 0, "audit verify passes at the end")

        # The relay down: 75, and the log says failed.
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dport = dead.getsockname()[1]
        dead.close()
        d3 = tempfile.mkdtemp(dir=d)
        shutil.copytree(os.path.join(d, "q"), os.path.join(d3, "q"))
        shutil.copy(os.path.join(d, "release.key"), os.path.join(d3, "release.key"))
        conf3 = write_conf(d3, src, dport)
        r = release(cli, conf3, qid, "--original")
        check(r.returncode == 75 and b"connect" in r.stderr, "relay down: exit 75")
        check([x["result"] for x in audit_records(d3)] == ["attempt", "failed"],
              "relay down: audit attempt then failed")

        # No release key: 75 with the hint, nothing sent.
        srv.reset()
        d2 = tempfile.mkdtemp(dir=d)
        shutil.copytree(os.path.join(d, "q"), os.path.join(d2, "q"))
        conf2 = write_conf(d2, src, srv.port, key=False)
        r = release(cli, conf2, qid, "--original")
        check(r.returncode == 75 and b"release key" in r.stderr
              and b"/dev/urandom" in r.stderr and not srv.sessions,
              "no key file: exit 75 with how to make one, nothing sent")
        check(audit_records(d2) == [], "no key file: nothing in the audit log")

        # The audit log unwritable: nothing sent, 75.
        srv.reset()
        d4 = tempfile.mkdtemp(dir=d)
        shutil.copytree(os.path.join(d, "q"), os.path.join(d4, "q"))
        shutil.copy(os.path.join(d, "release.key"), os.path.join(d4, "release.key"))
        conf4 = write_conf(d4, src, srv.port)
        # A head that disagrees with the log: the log refuses appends.
        with open(os.path.join(d4, "audit.log"), "w") as f:
            f.write('{"seq":1,"time":"2026-11-22T00:00:00.000000Z","prev":"%s"}\n'
                    % ("0" * 64))
        with open(os.path.join(d4, "audit.log.head"), "w") as f:
            f.write('{"seq":7,"sha256":"%s"}' % ("1" * 64))
        r = release(cli, conf4, qid, "--original")
        check(r.returncode == 75 and not srv.sessions,
              "audit log unusable: exit 75, nothing sent")
    finally:
        shutil.rmtree(d, ignore_errors=True)
        srv.sock.close()
    print("release: %d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
