#!/usr/bin/env python3
"""The demo: a private Postfix on loopback with mugaika-milter in front,
the sample mails of corpus/text sent through it over SMTP, and what
arrived shown: the X-Mugaika verdict, the subject and the first lines of
each delivered (text-only) mail, then the quarantine.  Everything lives
in a temp dir that is removed at the end (--keep keeps it)."""
import argparse
import email
import email.policy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--lines", type=int, default=6)
    a = ap.parse_args()
    try:
        h = harness.Harness(a.milter, a.cli, a.source, keep=a.keep)
    except harness.Skip as e:
        print("demo skipped: %s" % e)
        return 77
    try:
        h.setup_postfix()
        h.start_milter()
        h.start_postfix()
        cases = sorted(Path(a.source, "corpus", "text").glob("*/input.eml"))
        print("Sending %d sample mails through Postfix (127.0.0.1:%d) "
              "and mugaika-milter...\n" % (len(cases), h.port))
        for i, case in enumerate(cases):
            user = "t%02d" % (i % 100)
            r = h.send("demo@example.com", "%s@%s" % (user, harness.DOMAIN),
                       case.read_bytes())
            got = h.wait_mailbox(user, count=1 + i // 100, timeout=30)
            print("== %s  (SMTP: %s)" % (case.parent.name, r))
            if not got:
                print("   (nothing delivered: held or queued)\n")
                continue
            m = email.message_from_bytes(got[-1], policy=email.policy.default)
            try:
                subj = str(m["Subject"])
            except Exception:  # noqa: BLE001 - a header the reader can't decode
                subj = "(undecodable)"
            print("   X-Mugaika: %s" % m["X-Mugaika"])
            print("   Subject:   %s" % subj)
            body = m.get_content() if not m.is_multipart() else "(multipart!)"
            for line in body.splitlines()[:a.lines]:
                print("   | " + line)
            print()
        print("== The quarantine:")
        out = harness.run([a.cli, "quarantine", "--config", str(h.conf), "list"])
        print(out.stdout.decode("utf-8", "replace"))
    finally:
        h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
