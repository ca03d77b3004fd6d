#!/usr/bin/env python3
"""Throughput and latency through a real Postfix with mugaika-milter in
front (not a test: it asserts nothing).  For each configuration — Postfix
alone (the ceiling), then the milter with 1, 2 and 4 workers — SESSIONS
parallel SMTP sessions each send MESSAGES small Japanese mails (every one
different, so libclamav's clean-result cache never answers) and the
accepted-message rate and the p50/p99 latency of one transaction (MAIL
FROM to the 250 after DATA, which is when the milter has finished) are
printed as a Markdown table for docs/performance.md.

  python3 bench/bench_postfix.py --milter build/milter/mugaika-milter \\
      --cli build/cli/mugaika --source . [--sessions 4] [--messages 100]
"""
import argparse
import smtplib
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "e2e"))
import harness  # noqa: E402

BODY = ("いつもお世話になっております。資料の件、承知いたしました。\r\n" * 20)


def message(i, j):
    body = ("%s\r\n番号: %d-%d\r\n" % (BODY, i, j)).encode("iso2022_jp")
    return (b"From: bench@example.com\r\nTo: t00@" + harness.DOMAIN.encode() +
            b"\r\nSubject: bench %d-%d\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" % (i, j) + body)


def run_load(port, sessions, messages):
    lat = []
    lock = threading.Lock()
    errors = [0]

    def worker(i):
        s = smtplib.SMTP("127.0.0.1", port, timeout=120)
        for j in range(messages):
            t0 = time.monotonic()
            try:
                s.sendmail("bench@example.com", ["t%02d@%s" % (i, harness.DOMAIN)],
                           message(i, j))
            except smtplib.SMTPException:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                lat.append(time.monotonic() - t0)
        s.quit()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(sessions)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    lat.sort()
    return (len(lat) / wall, statistics.median(lat) * 1000,
            lat[int(len(lat) * 0.99) - 1] * 1000, errors[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--milter", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--tmpdir", default="/dev/shm/mugaika-bench-tmp",
                    help="[scan] tmpdir for the milter (a tmpfs, as the "
                    "shipped config's /run/mugaika/tmp; '' for /tmp)")
    ap.add_argument("--spool", default="",
                    help="[milter] spool_dir (default: the harness's, on "
                    "disk)")
    ap.add_argument("--workers", default="0,1,2,4",
                    help="configurations to run, 0 = Postfix alone")
    a = ap.parse_args()
    print("| configuration | msgs/s | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for workers in [int(x) for x in a.workers.split(",")]:
        h = harness.Harness(a.milter, a.cli, a.source)
        try:
            h.setup_postfix()
            if workers == 0:
                h.postconf("-e", "smtpd_milters=", "non_smtpd_milters=")
            else:
                over = {"milter": {"workers": str(workers)}}
                if a.tmpdir:
                    over["scan"] = {"tmpdir": a.tmpdir}
                if a.spool:
                    over["milter"]["spool_dir"] = a.spool
                h.write_milter_config(over)
                h.start_milter()
            h.start_postfix()
            rate, p50, p99, err = run_load(h.port, a.sessions, a.messages)
            name = "Postfix alone" if workers == 0 else \
                "milter, %d worker%s" % (workers, "s" if workers > 1 else "")
            print("| %s | %.0f | %.1f | %.1f | %d |" % (name, rate, p50, p99, err))
            sys.stdout.flush()
        finally:
            h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
