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
import os
import smtplib
import statistics
import subprocess
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


# Process names (comm) whose CPU time is counted, grouped for the table.
GROUPS = {
    "smtpd": "smtpd", "cleanup": "cleanup", "qmgr": "qmgr",
    "virtual": "virtual", "trivial-rewrite": "other Postfix",
    "master": "other Postfix", "anvil": "other Postfix",
    "mugaika-smtp": "milter front end", "mugaika-milter": "milter master",
    "mugaika-worker": "milter workers",
    "null_milter": "null milter (libmilter)",
}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_group():
    """CPU seconds (user + system) of the live processes in GROUPS."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.find(b"(") + 1:st.rfind(b")")].decode("ascii", "replace")
        g = GROUPS.get(comm)
        if g is None:
            continue
        f = st[st.rfind(b")") + 2:].split()
        out[g] = out.get(g, 0.0) + (int(f[11]) + int(f[12])) / TICK
    return out


def run_smtp_source(port, sessions, messages, msgfile):
    """The same load from Postfix's smtp-source (C, one process): every
    message is the same file, so libclamav's cache of clean results
    answers for all but the first; no latency (it reports none)."""
    cpu0, me0 = cpu_by_group(), os.times()
    t0 = time.monotonic()
    r = subprocess.run(["smtp-source", "-d", "-s", str(sessions),
                        "-m", str(sessions * messages), "-F", msgfile,
                        "-f", "bench@example.com",
                        "-t", "t00@%s" % harness.DOMAIN,
                        "127.0.0.1:%d" % port],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    cpu1, me1 = cpu_by_group(), os.times()
    cpu = {g: cpu1[g] - cpu0.get(g, 0.0) for g in cpu1}
    cpu["SMTP client (this script)"] = (
        me1.children_user - me0.children_user +
        me1.children_system - me0.children_system)
    n = sessions * messages if r.returncode == 0 else 0
    return (n / wall, float("nan"), float("nan"),
            0 if r.returncode == 0 else 1, cpu, max(n, 1))


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
    cpu0, me0 = cpu_by_group(), os.times()
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    cpu1, me1 = cpu_by_group(), os.times()
    cpu = {g: cpu1[g] - cpu0.get(g, 0.0) for g in cpu1}
    cpu["SMTP client (this script)"] = (me1.user - me0.user +
                                        me1.system - me0.system)
    lat.sort()
    return (len(lat) / wall, statistics.median(lat) * 1000,
            lat[int(len(lat) * 0.99) - 1] * 1000, errors[0], cpu, len(lat))


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
                    help="configurations to run, 0 = Postfix alone; "
                    "'null' and 'null-edit' = bench/null_milter (a "
                    "libmilter milter that does nothing, or only the "
                    "edits of a sanitized mail) in its place")
    ap.add_argument("--null-milter",
                    help="the null_milter binary (default: next to "
                    "--milter's build, bench/null_milter)")
    ap.add_argument("--postconf", action="append", default=[],
                    metavar="NAME=VALUE",
                    help="a main.cf setting for every configuration "
                    "(repeatable), e.g. milter_rcpt_macros=")
    ap.add_argument("--inet", action="store_true",
                    help="Postfix reaches the milter over TCP on loopback "
                    "(inet:127.0.0.1:PORT) instead of the unix socket")
    ap.add_argument("--smtp-source", action="store_true",
                    help="send with Postfix's smtp-source instead of this "
                    "script: one message file for all (cached clean by "
                    "libclamav after the first), no latency")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the configurations this many times, "
                    "alternating, and print the median of each (a noisy "
                    "machine drifts; alternating spreads the drift)")
    ap.add_argument("--cpu", action="store_true",
                    help="also print the CPU time per message of each "
                    "process group (ms)")
    a = ap.parse_args()
    print("| configuration | msgs/s | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: |")
    profiles = []
    runs = {}
    configs = a.workers.split(",") * a.rounds
    null_bin = a.null_milter or str(
        Path(a.milter).resolve().parent.parent / "bench" / "null_milter")
    for cfg in configs:
        null = None
        workers = 0 if cfg.startswith("null") else int(cfg)
        h = harness.Harness(a.milter, a.cli, a.source)
        try:
            h.setup_postfix()
            # Long-lived processes, so that their CPU time is still
            # there to be read at the end (cleanup exits after max_use
            # messages by default, a worker after worker_max_jobs).
            h.postconf("-e", "max_use=100000")
            if a.postconf:
                h.postconf("-e", *a.postconf)
            if cfg.startswith("null"):
                null = subprocess.Popen(
                    [null_bin, "unix:%s" % h.sock] +
                    (["edit"] if cfg == "null-edit" else []))
                t0 = time.monotonic()
                while not h.sock.exists() and time.monotonic() - t0 < 10:
                    time.sleep(0.05)
            elif workers == 0:
                h.postconf("-e", "smtpd_milters=", "non_smtpd_milters=")
            else:
                over = {"milter": {"workers": str(workers),
                                   "worker_max_jobs": "100000"}}
                if a.tmpdir:
                    over["scan"] = {"tmpdir": a.tmpdir}
                if a.spool:
                    over["milter"]["spool_dir"] = a.spool
                if a.inet:
                    spec = "inet:127.0.0.1:%d" % harness.free_port()
                    over["milter"]["socket"] = spec
                    h.postconf("-e", "smtpd_milters=" + spec,
                               "non_smtpd_milters=" + spec)
                h.write_milter_config(over)
                h.start_milter()
            h.start_postfix()
            if a.smtp_source:
                msgfile = str(h.root / "bench.eml")
                with open(msgfile, "wb") as f:
                    f.write(message(0, 0).replace(b"\r\n", b"\n"))
                rate, p50, p99, err, cpu, n = run_smtp_source(
                    h.port, a.sessions, a.messages, msgfile)
            else:
                rate, p50, p99, err, cpu, n = run_load(h.port, a.sessions,
                                                       a.messages)
            if cfg == "null":
                name = "null milter"
            elif cfg == "null-edit":
                name = "null milter, edits"
            else:
                name = "Postfix alone" if workers == 0 else \
                    "milter, %d worker%s" % (workers,
                                             "s" if workers > 1 else "")
            print("| %s | %.0f | %.1f | %.1f | %d |" % (name, rate, p50, p99, err))
            sys.stdout.flush()
            profiles.append((name, cpu, n))
            runs.setdefault(name, []).append(rate)
        finally:
            if null is not None:
                null.kill()
                null.wait()
            h.close()
    if a.rounds > 1:
        print()
        print("Median of %d rounds, msgs/s (all runs)" % a.rounds)
        print()
        base = statistics.median(runs.get("Postfix alone", [0])) or None
        for name, rates in runs.items():
            med = statistics.median(rates)
            rel = " = %.0f %% of Postfix alone" % (100 * med / base) \
                if base and name != "Postfix alone" else ""
            print("- %s: %.0f (%s)%s" % (name, med, ", ".join(
                "%.0f" % r for r in rates), rel))
        # One CPU profile per configuration: the last round's.
        profiles = list({p[0]: p for p in profiles}.values())
    if a.cpu:
        groups = sorted({g for _, cpu, _ in profiles for g in cpu})
        print()
        print("CPU per message, ms (user + system)")
        print()
        print("| process | " + " | ".join(p[0] for p in profiles) + " |")
        print("| --- |" + " ---: |" * len(profiles))
        for g in groups + ["total"]:
            row = []
            for _, cpu, n in profiles:
                v = sum(cpu.values()) if g == "total" else cpu.get(g, 0.0)
                row.append("%.3f" % (v * 1000 / max(n, 1)))
            print("| %s | %s |" % (g, " | ".join(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
