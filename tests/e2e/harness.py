"""harness.py - a private Postfix and mugaika-milter for end-to-end tests.

One Harness is one throw-away mail system under a temporary directory:

    ROOT/etc/       main.cf and master.cf of a private Postfix instance
    ROOT/queue/     its queue_directory      ROOT/data/  its data_directory
    ROOT/maillog    Postfix's log (maillog_file; there is no syslog here)
    ROOT/mail/USER/ Maildir of USER@e2e.test (virtual(8), uid nobody)
    ROOT/milter/    the milter's socket, pidfile and config (milter.conf)
    ROOT/spool/     [milter] spool_dir       ROOT/q/  [quarantine] dir
    ROOT/milter.log the milter's stderr (--foreground), all runs appended

Postfix listens on 127.0.0.1:<a free port> only (port 25 is removed from
master.cf), runs no service chrooted, and consults the milter on a unix
socket for SMTP and for local submission, with milter_default_action =
tempfail.  Nothing here touches another Postfix instance or another
milter: Postfix is always addressed as `postfix -c ROOT/etc`, and every
process is stopped by its own id.

Every process started here is stopped on every way out: Harness.close()
(also from atexit and on SIGTERM/SIGINT/SIGHUP, which are turned into
SystemExit), and, should this Python process die without running either
(SIGKILL, e.g. a CTest timeout), a watchdog process that notices its
parent is gone and kills what is left by process group.

Python 3.11 standard library only.
"""

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOMAIN = "e2e.test"
MYHOSTNAME = "mx.e2e.local"
NOBODY_UID = 65534
NOBODY_GID = 65534
# Recipients that have a Maildir: t00..t99 for the tests, sender (bounces
# come back there) and postmaster.
USERS = ["t%02d" % i for i in range(100)] + ["sender", "postmaster"]


class Skip(Exception):
    """A tool this test needs is missing: exit 77."""


def which(tool, extra=("/usr/sbin", "/usr/bin", "/sbin")):
    p = shutil.which(tool)
    if p:
        return p
    for d in extra:
        c = Path(d) / tool
        if c.exists() and os.access(c, os.X_OK):
            return str(c)
    return None


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, timeout=60, check=False, env=None, input=None):
    """subprocess.run with a timeout always, output captured as bytes."""
    try:
        cp = subprocess.run(argv, capture_output=True, timeout=timeout,
                            env=env, input=input)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError("%s: timed out after %ss" % (argv[0], timeout)) \
            from e
    if check and cp.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (
            " ".join(map(str, argv)), cp.returncode,
            (cp.stderr or cp.stdout).decode("utf-8", "replace").strip()))
    return cp


def _set_pdeathsig():
    """In a child before exec: die with the parent (SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def pgroup_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
    except OSError:
        return False
    state = st[st.rfind(b")") + 2:st.rfind(b")") + 3]
    return state not in (b"Z", b"X", b"")


def children_of(pid):
    """Direct children of `pid` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            st = (d / "stat").read_bytes()
        except OSError:
            continue
        rest = st[st.rfind(b")") + 2:].split()
        if len(rest) > 1 and int(rest[1]) == pid and rest[0] != b"Z":
            out.append(int(d.name))
    return sorted(out)


def wire_data(data):
    """Message bytes as SMTP DATA carries them (RFC 5321 4.5.2): CRLF
    line ends, leading dots doubled, and the final dot line."""
    q = re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", data)
    q = re.sub(rb"(?m)^\.", b"..", q)
    if not q.endswith(b"\r\n"):
        q += b"\r\n"
    return q + b".\r\n"


class SmtpResult:
    """What an SMTP transaction ended with.

    stage: "connect", "ehlo", "mail", "rcpt", "data" (the DATA command),
    "dot" (end of data), or "done"; code and text of the reply that ended
    it (the final 250 when done)."""

    def __init__(self, stage, code, text):
        self.stage = stage
        self.code = code
        self.text = text

    @property
    def ok(self):
        return self.stage == "done" and self.code == 250

    def __repr__(self):
        return "<%s %s %s>" % (self.stage, self.code, self.text)


class Harness:
    def __init__(self, milter, cli, source, keep=False, asan=None,
                 verbose=False):
        self.milter_bin = str(Path(milter).resolve())
        self.cli_bin = str(Path(cli).resolve())
        self.source = Path(source).resolve()
        self.keep = keep
        self.verbose = verbose
        self.asan = ("asan" in Path(milter).name) if asan is None else asan
        self.tools = {}
        for t in ("postfix", "postconf", "postqueue", "postsuper",
                  "sendmail", "swaks"):
            self.tools[t] = which(t)
        missing = [t for t in ("postfix", "postconf", "postqueue", "swaks")
                   if not self.tools[t]]
        if missing:
            raise Skip("missing: %s" % ", ".join(missing))
        if os.geteuid() != 0:
            raise Skip("needs root (a private Postfix instance)")
        if not Path("/etc/postfix/master.cf").exists():
            raise Skip("no /etc/postfix/master.cf to start from")
        try:
            import pwd
            pwd.getpwnam("postfix")
            pwd.getpwnam("nobody")
        except KeyError as e:
            raise Skip("no such user: %s" % e) from e
        self.root = Path(tempfile.mkdtemp(prefix="mugaika-e2e-"))
        os.chmod(self.root, 0o755)  # smtpd (user postfix) reaches the socket
        self.etc = self.root / "etc"
        self.queue_dir = self.root / "queue"
        self.data_dir = self.root / "data"
        self.mail = self.root / "mail"
        self.mdir = self.root / "milter"
        self.spool = self.root / "spool"
        self.qdir = self.root / "q"
        self.maillog = self.root / "maillog"
        self.milter_log = self.root / "milter.log"
        self.sock = self.mdir / "milter.sock"
        self.pidfile = self.mdir / "milter.pid"
        self.conf = self.mdir / "milter.conf"
        for d in (self.etc, self.queue_dir, self.data_dir, self.mail,
                  self.mdir):
            d.mkdir(mode=0o755)
        os.chown(self.mail, NOBODY_UID, NOBODY_GID)
        if verbose:
            print("harness: %s" % self.root, file=sys.stderr)
        self.port = free_port()
        self.milter_proc = None
        self.master_pid = None
        self.milter_env = {}
        self._closed = False
        self._watchdog = None
        self._start_watchdog()
        atexit.register(self.close)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)

    # ------------------------------------------------------------------
    # Cleanup.

    def _on_signal(self, signo, frame):
        print("harness: signal %d" % signo, file=sys.stderr)
        raise SystemExit(128 + signo)

    def _state_file(self):
        return self.root / "pgroups"

    def _record_pgroups(self):
        """Tell the watchdog which process groups are ours right now."""
        groups = []
        if self.milter_proc is not None and self.milter_proc.poll() is None:
            groups.append(self.milter_proc.pid)
        if self.master_pid:
            groups.append(self.master_pid)
        tmp = self._state_file().with_suffix(".tmp")
        tmp.write_text(" ".join(map(str, groups)) + "\n")
        tmp.replace(self._state_file())

    def _start_watchdog(self):
        """A process that outlives us only to kill what we leave behind.

        It reads a pipe we hold; EOF means we exited (normally or not).
        It then kills every process group listed in ROOT/pgroups (the
        milter's, and Postfix's master, a session leader), and removes
        ROOT unless we asked to keep it and got to say so."""
        code = r'''
import os, signal, sys, time, shutil
root = sys.argv[1]
sys.stdin.buffer.read()
try:
    groups = open(os.path.join(root, "pgroups")).read().split()
except OSError:
    groups = []
for sig in (signal.SIGTERM, signal.SIGKILL):
    for g in groups:
        try:
            os.killpg(int(g), sig)
        except (OSError, ValueError):
            pass
    time.sleep(1)
if not os.path.exists(os.path.join(root, "keep")):
    shutil.rmtree(root, ignore_errors=True)
'''
        self._record_pgroups()
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", code, str(self.root)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self.stop_milter(kill=True)
        except Exception as e:  # keep going: Postfix must stop too
            print("harness: stopping the milter: %s" % e, file=sys.stderr)
        try:
            self.stop_postfix()
        except Exception as e:
            print("harness: stopping Postfix: %s" % e, file=sys.stderr)
        self._record_pgroups()
        if self.keep:
            (self.root / "keep").write_text("")
            print("harness: kept %s" % self.root, file=sys.stderr)
        if self._watchdog is not None:
            try:
                self._watchdog.stdin.close()
                self._watchdog.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self._watchdog.kill()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------
    # The milter.

    def milter_config(self, overrides=None):
        """The text of a milter config; overrides {"group": {"key": v}}
        replace or add keys (v None removes the key)."""
        groups = {
            "general": {"mode": "text", "hostname": "gw.e2e.test"},
            "scan": {
                "database": str(self.source / "corpus" / "signatures"),
                "max_database_age": "36500d",
            },
            "quarantine": {"dir": str(self.qdir)},
            "notice": {
                "language": "ja",
                "templates": str(self.source / "conf" / "templates"),
            },
            "limits": {"max_message_size": "10M", "message_timeout": "20s"},
            "milter": {
                "socket": "unix:%s" % self.sock,
                "socket_mode": "0666",
                "socket_group": "",
                "spool_dir": str(self.spool),
                "user": "",
                "workers": "2",
                "worker_max_jobs": "50",
                "worker_max_memory": "0" if self.asan else "2G",
                "queue_timeout": "30s",
                "pidfile": str(self.pidfile),
                "max_attempts": "3",
            },
        }
        for g, kv in (overrides or {}).items():
            groups.setdefault(g, {})
            for k, v in kv.items():
                if v is None:
                    groups[g].pop(k, None)
                else:
                    groups[g][k] = str(v)
        lines = ["# written by tests/e2e/harness.py"]
        for g, kv in groups.items():
            lines.append("")
            lines.append("[%s]" % g)
            for k, v in kv.items():
                lines.append("%s = %s" % (k, v))
        return "\n".join(lines) + "\n"

    def write_milter_config(self, overrides=None):
        self.conf.write_text(self.milter_config(overrides))
        return self.conf

    def log_text(self):
        try:
            return self.milter_log.read_text("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        """A position in the milter log; log_since() reads from there."""
        try:
            return self.milter_log.stat().st_size
        except OSError:
            return 0

    def log_since(self, mark):
        try:
            with open(self.milter_log, "rb") as f:
                f.seek(mark)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, mark=0, timeout=20):
        """Wait until the milter log (from `mark`) matches `pattern`."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if rx.search(self.log_since(mark)):
                return True
            if self.milter_proc is not None and \
                    self.milter_proc.poll() is not None:
                return bool(rx.search(self.log_since(mark)))
            time.sleep(0.1)
        return False

    def start_milter(self, overrides=None, env=None, expect_fail=False,
                     timeout=30):
        """Start the milter in the foreground, in its own process group.

        Waits for the front end to listen and for the workers to be
        forked.  With expect_fail, waits for it to exit instead and
        returns its exit status; otherwise returns the master's pid."""
        if self.milter_proc is not None and self.milter_proc.poll() is None:
            raise RuntimeError("the milter is already running")
        if overrides is not None or not self.conf.exists():
            self.write_milter_config(overrides)
        e = dict(os.environ)
        e.update(self.milter_env)
        e.update(env or {})
        if self.asan:
            # Leaks are checked where a process returns from main (the
            # master); workers and the front end leave with _exit().
            e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            e.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions"
                         "=0" % (self.source / "tests" / "lsan.supp"))
            e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        mark = self.log_mark()
        logf = open(self.milter_log, "ab")
        self.milter_proc = subprocess.Popen(
            [self.milter_bin, "--config", str(self.conf), "--foreground"],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=e,
            start_new_session=True, preexec_fn=_set_pdeathsig)
        logf.close()
        self._record_pgroups()
        if expect_fail:
            try:
                return self.milter_proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return None
        if not self.wait_log(r"listening on .*\n(.|\n)*started: |"
                             r"started: (.|\n)*listening on ", mark,
                             timeout):
            if not self.wait_log(r"started: \d+ workers", mark, 1):
                raise RuntimeError("the milter did not start:\n%s" %
                                   self.log_since(mark)[-3000:])
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.milter_proc.poll() is None and self._can_connect():
                return self.milter_proc.pid
            if self.milter_proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("the milter socket is not there:\n%s" %
                           self.log_since(mark)[-3000:])

    def _can_connect(self):
        addr = self.milter_address()
        if isinstance(addr, tuple):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(addr)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def milter_running(self):
        return self.milter_proc is not None and self.milter_proc.poll() is None

    def milter_pids(self):
        """{"master": pid, "frontend": pid or None, "workers": [pids]}.

        The front end is the child that holds the listening socket; all
        the other children are workers."""
        out = {"master": None, "frontend": None, "workers": []}
        if not self.milter_running():
            return out
        master = self.milter_proc.pid
        out["master"] = master
        sock_inodes = self._listen_inodes()
        for c in children_of(master):
            if self._holds_socket(c, sock_inodes):
                out["frontend"] = c
            else:
                out["workers"].append(c)
        return out

    def milter_address(self):
        """Where the running config says the milter listens: a unix
        socket path, or (host, port)."""
        m = re.search(r"(?m)^socket\s*=\s*(\S+)\s*$",
                      self.conf.read_text() if self.conf.exists() else "")
        spec = m.group(1) if m else "unix:%s" % self.sock
        if spec.startswith("inet:"):
            host, _, port = spec[5:].rpartition(":")
            return (host, int(port))
        return spec.split(":", 1)[1]

    def _listen_inodes(self):
        """Socket inodes of the milter's listener (unix or TCP)."""
        addr = self.milter_address()
        inodes = set()
        try:
            if isinstance(addr, tuple):
                want = ":%04X" % addr[1]
                with open("/proc/net/tcp") as f:
                    next(f)
                    for line in f:
                        parts = line.split()
                        if len(parts) > 9 and parts[1].endswith(want) \
                                and parts[3] == "0A":
                            inodes.add(parts[9])
            else:
                with open("/proc/net/unix") as f:
                    next(f)
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 8 and parts[-1] == addr:
                            inodes.add(parts[6])
        except OSError:
            pass
        return inodes

    @staticmethod
    def _holds_socket(pid, inodes):
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                m = re.fullmatch(r"socket:\[(\d+)\]", t)
                if m and m.group(1) in inodes:
                    return True
        except OSError:
            pass
        return False

    def stop_milter(self, kill=False, timeout=20):
        """SIGTERM the master and wait for its whole process group to go.

        Returns (exit status of the master, seconds it took, True when
        processes of the group had to be SIGKILLed)."""
        p = self.milter_proc
        if p is None:
            return None, 0.0, False
        t0 = time.monotonic()
        killed = False
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = t0 + (3 if kill else timeout)
        while time.monotonic() < end and (p.poll() is None or
                                          pgroup_alive(p.pid)):
            time.sleep(0.05)
        if p.poll() is None or pgroup_alive(p.pid):
            killed = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            end = time.monotonic() + 5
            while pgroup_alive(p.pid) and time.monotonic() < end:
                time.sleep(0.05)
        self.milter_proc = None
        self._record_pgroups()
        return p.returncode, time.monotonic() - t0, killed

    # ------------------------------------------------------------------
    # Postfix.

    def postconf(self, *args):
        return run([self.tools["postconf"], "-c", str(self.etc)] +
                   list(args), check=True, timeout=30)

    def setup_postfix(self, message_size_limit=20 * 1024 * 1024,
                      content_timeout=120):
        """Write main.cf and master.cf: Debian's master.cf, an empty
        main.cf (the built-in defaults), then our settings."""
        shutil.copy("/etc/postfix/master.cf", self.etc / "master.cf")
        (self.etc / "main.cf").write_text("")
        os.chown(self.data_dir, *self._postfix_ids())
        vmap = self.etc / "vmailbox"
        # One Maildir per recipient: user@e2e.test -> mail/user/.
        # (virtual(8) refuses regexp substitutions, so every user is
        # listed; texthash needs no postmap.)
        vmap.write_text("".join("%s@%s %s/\n" % (u, DOMAIN, u)
                                for u in USERS))
        milter = "unix:%s" % self.sock
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
            "myhostname": MYHOSTNAME,
            "mydomain": "e2e.local",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "biff": "no",
            "append_dot_mydomain": "no",
            "relayhost": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_base": str(self.mail),
            "virtual_mailbox_maps": "texthash:%s" % vmap,
            "virtual_uid_maps": "static:%d" % NOBODY_UID,
            "virtual_gid_maps": "static:%d" % NOBODY_GID,
            "virtual_mailbox_limit": "0",
            "smtpd_milters": milter,
            "non_smtpd_milters": milter,
            "milter_default_action": "tempfail",
            "milter_protocol": "6",
            "milter_connect_timeout": "10s",
            "milter_command_timeout": "30s",
            "milter_content_timeout": "%ds" % content_timeout,
            "message_size_limit": str(message_size_limit),
            "mailbox_size_limit": "0",
            # Retry quickly what was deferred, so that the flush test
            # is not at the mercy of the backoff.
            "queue_run_delay": "5s",
            "minimal_backoff_time": "5s",
            "maximal_backoff_time": "10s",
            "smtpd_error_sleep_time": "0",
            "smtpd_soft_error_limit": "100",
            "smtpd_hard_error_limit": "200",
            "smtpd_client_restrictions": "",
            "smtpd_helo_restrictions": "",
            "smtpd_sender_restrictions": "",
            "smtpd_recipient_restrictions":
                "permit_mynetworks, reject_unauth_destination",
            "in_flow_delay": "0",
        }
        self.postconf("-e", *["%s=%s" % kv for kv in settings.items()])
        # No port 25: an SMTP server on our port only, nothing chrooted,
        # and pickup looking at the maildrop every 2 s (local submission
        # while the milter is down).
        self.postconf("-M#", "smtp/inet")
        self.postconf("-Me", "127.0.0.1:%d/inet=127.0.0.1:%d inet n - n - - "
                      "smtpd" % (self.port, self.port))
        self.postconf("-F", "*/*/chroot = n")
        self.postconf("-F", "pickup/unix/wakeup = 2")

    @staticmethod
    def _postfix_ids():
        import pwd
        pw = pwd.getpwnam("postfix")
        return pw.pw_uid, pw.pw_gid

    def start_postfix(self, timeout=30):
        if not (self.etc / "main.cf").exists():
            self.setup_postfix()
        pf = [self.tools["postfix"], "-c", str(self.etc)]
        cp = run(pf + ["check"], timeout=timeout)
        if cp.returncode != 0:
            raise RuntimeError("postfix check failed:\n%s\n%s" % (
                cp.stderr.decode("utf-8", "replace"), self.maillog_text()))
        cp = run(pf + ["start"], timeout=timeout)
        if cp.returncode != 0:
            raise RuntimeError("postfix start failed:\n%s\n%s" % (
                cp.stderr.decode("utf-8", "replace"), self.maillog_text()))
        pidf = self.queue_dir / "pid" / "master.pid"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                pid = int(pidf.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pid = None
            if pid and self._is_our_master(pid):
                self.master_pid = pid
                self._record_pgroups()
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the Postfix master did not come up:\n%s" %
                               self.maillog_text()[-3000:])
        # Wait for the SMTP listener (read from /proc: a test connection
        # would show up in the logs and consult the milter).
        want = ":%04X" % self.port
        while time.monotonic() < end:
            try:
                with open("/proc/net/tcp") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) > 3 and parts[1].endswith(want) \
                                and parts[3] == "0A":
                            return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("smtpd does not listen on %d:\n%s" % (
            self.port, self.maillog_text()[-3000:]))

    def _is_our_master(self, pid):
        """The process is a Postfix master started for our config."""
        try:
            cmd = Path("/proc/%d/cmdline" % pid).read_bytes()
            env = Path("/proc/%d/environ" % pid).read_bytes()
        except OSError:
            return False
        if b"master" not in cmd:
            return False
        want = ("MAIL_CONFIG=%s" % self.etc).encode()
        return want in env.split(b"\0") or str(self.etc).encode() in cmd

    def stop_postfix(self, timeout=20):
        if not self.master_pid:
            return
        pid = self.master_pid
        run([self.tools["postfix"], "-c", str(self.etc), "stop"],
            timeout=timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end and pid_alive(pid):
            time.sleep(0.1)
        # The master leads its own session: its group is Postfix's
        # daemons and nothing else.
        if pgroup_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.master_pid = None
        self._record_pgroups()

    def maillog_text(self):
        try:
            return self.maillog.read_text("utf-8", "replace")
        except OSError:
            return ""

    def queue(self):
        """The queue as postqueue -j lists it (a list of dicts)."""
        cp = run([self.tools["postqueue"], "-c", str(self.etc), "-j"],
                 timeout=30)
        out = []
        for line in cp.stdout.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def maildrop_count(self):
        try:
            return len(list((self.queue_dir / "maildrop").iterdir()))
        except OSError:
            return 0

    def flush(self):
        run([self.tools["postqueue"], "-c", str(self.etc), "-f"],
            timeout=30)

    def wait_queue_empty(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.queue() and self.maildrop_count() == 0:
                return True
            time.sleep(0.3)
        return False

    # ------------------------------------------------------------------
    # Sending.

    def send(self, sender, rcpts, data, size=None, timeout=180):
        """One SMTP transaction; never raises on an SMTP reply.

        `data` (bytes) is sent as it is after dot-stuffing and line-end
        normalisation to CRLF (smtplib).  `size`: a SIZE= parameter for
        MAIL FROM (an int), or None for none."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        try:
            s = smtplib.SMTP("127.0.0.1", self.port, timeout=timeout,
                             local_hostname="client.e2e.local")
        except smtplib.SMTPConnectError as e:
            return SmtpResult("connect", e.smtp_code,
                              e.smtp_error.decode("utf-8", "replace"))
        except OSError as e:
            return SmtpResult("connect", None, str(e))
        in_data = False
        try:
            code, msg = s.ehlo()
            if code != 250:
                return SmtpResult("ehlo", code, msg.decode("utf-8",
                                                           "replace"))
            opts = []
            if size is not None:
                opts.append("SIZE=%d" % size)
            code, msg = s.mail(sender, opts)
            if code != 250:
                return SmtpResult("mail", code, msg.decode("utf-8",
                                                           "replace"))
            for r in rcpts:
                code, msg = s.rcpt(r)
                if code not in (250, 251):
                    return SmtpResult("rcpt", code,
                                      msg.decode("utf-8", "replace"))
            code, msg = s.docmd("DATA")
            if code != 354:
                return SmtpResult("data", code, msg.decode("utf-8",
                                                           "replace"))
            in_data = True
            s.send(wire_data(data))
            code, msg = s.getreply()
            text = msg.decode("utf-8", "replace")
            if code != 250:
                return SmtpResult("dot", code, text)
            return SmtpResult("done", code, text)
        except (smtplib.SMTPException, OSError) as e:
            return SmtpResult("error", None, "%s: %s" % (type(e).__name__,
                                                         e))
        finally:
            try:
                if in_data and sys.exc_info()[0] is not None:
                    s.close()  # QUIT would be read as message text
                else:
                    s.quit()
            except (smtplib.SMTPException, OSError):
                s.close()

    def swaks(self, sender, rcpt, data_file, timeout=120):
        """Send with swaks; (exit status, transcript text)."""
        cp = run([self.tools["swaks"], "--server", "127.0.0.1", "--port",
                  str(self.port), "--from", sender, "--to", rcpt,
                  "--helo", "client.e2e.local", "--data", "@%s" % data_file,
                  "--timeout", str(timeout)], timeout=timeout + 10)
        return cp.returncode, (cp.stdout + cp.stderr).decode("utf-8",
                                                             "replace")

    def submit_local(self, sender, rcpt, data):
        """Local submission (sendmail(1) -> maildrop -> pickup), which
        goes through non_smtpd_milters."""
        if not self.tools["sendmail"]:
            raise Skip("no sendmail(1)")
        cp = run([self.tools["sendmail"], "-C", str(self.etc), "-f", sender,
                  "-i", rcpt], input=data, timeout=30)
        return cp.returncode, cp.stderr.decode("utf-8", "replace")

    # ------------------------------------------------------------------
    # Mailboxes.

    def mailbox(self, user):
        """Delivered messages of user@DOMAIN, oldest first (paths)."""
        d = self.mail / user / "new"
        try:
            files = list(d.iterdir())
        except OSError:
            return []
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def wait_mailbox(self, user, count=1, timeout=30):
        """Wait until user's Maildir has `count` messages; returns them
        (as bytes), possibly fewer on time-out."""
        end = time.monotonic() + timeout
        while True:
            files = self.mailbox(user)
            if len(files) >= count or time.monotonic() > end:
                return [f.read_bytes() for f in files]
            time.sleep(0.1)

    def all_delivered(self):
        """{user: [message bytes]} of every Maildir."""
        out = {}
        try:
            users = sorted(p.name for p in self.mail.iterdir())
        except OSError:
            return out
        for u in users:
            out[u] = [f.read_bytes() for f in self.mailbox(u)]
        return out

    # ------------------------------------------------------------------
    # The quarantine, through the CLI.

    def cli(self, args, timeout=60):
        return run([self.cli_bin] + list(args), timeout=timeout)

    def qlist(self):
        cp = self.cli(["quarantine", "--config", str(self.conf), "list",
                       "--json"])
        if cp.returncode != 0:
            raise RuntimeError("quarantine list: %d %s" % (
                cp.returncode, cp.stderr.decode("utf-8", "replace")))
        v = json.loads(cp.stdout.decode("utf-8"))
        if isinstance(v, dict):  # tolerate {"entries": [...]}
            v = v.get("entries", [])
        return v

    def qshow(self, qid):
        cp = self.cli(["quarantine", "--config", str(self.conf), "show",
                       "--json", qid])
        if cp.returncode != 0:
            raise RuntimeError("quarantine show %s: %d %s" % (
                qid, cp.returncode, cp.stderr.decode("utf-8", "replace")))
        return json.loads(cp.stdout.decode("utf-8"))

    def qexport(self, qid):
        cp = self.cli(["quarantine", "--config", str(self.conf), "export",
                       qid])
        if cp.returncode != 0:
            raise RuntimeError("quarantine export %s: %d %s" % (
                qid, cp.returncode, cp.stderr.decode("utf-8", "replace")))
        return cp.stdout
