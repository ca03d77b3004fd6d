"""milter_client.py - the MTA side of the Sendmail milter protocol (v6).

Enough of it to drive a milter without an MTA: option negotiation, the
SMTP steps (connect, helo, mail, rcpt, data, headers, end of headers,
body chunks of any size, end of message), and collecting what the milter
asks for at the end (header edits, replacement body, the final verdict).

The wire format (libmilter's mfdef.h, sendmail/libmilter/docs): every
packet is a 4-byte big-endian length, then a command byte, then
len - 1 bytes of data.  Strings are NUL-terminated.  OPTNEG carries three
32-bit words: protocol version, the actions the MTA allows (SMFIF_*) and
the protocol steps it can leave out (SMFIP_*); the milter answers with
the subset it wants.  A step the milter negotiated away (SMFIP_NO*) is not
sent, and a step marked SMFIP_NR_* gets no reply.

Python 3.11 standard library only.  Written from the protocol
documentation, not from any other client.
"""

import socket
import struct

# Commands (MTA -> milter).
C_ABORT = b"A"
C_BODY = b"B"
C_CONNECT = b"C"
C_MACRO = b"D"
C_BODYEOB = b"E"
C_HELO = b"H"
C_HEADER = b"L"
C_MAIL = b"M"
C_EOH = b"N"
C_OPTNEG = b"O"
C_QUIT = b"Q"
C_RCPT = b"R"
C_DATA = b"T"

# Replies (milter -> MTA).
R_ADDRCPT = b"+"
R_DELRCPT = b"-"
R_ACCEPT = b"a"
R_REPLBODY = b"b"
R_CONTINUE = b"c"
R_DISCARD = b"d"
R_CHGFROM = b"e"
R_ADDHEADER = b"h"
R_INSHEADER = b"i"
R_CHGHEADER = b"m"
R_PROGRESS = b"p"
R_QUARANTINE = b"q"
R_REJECT = b"r"
R_SKIP = b"s"
R_TEMPFAIL = b"t"
R_REPLYCODE = b"y"
FINAL = {R_ACCEPT, R_CONTINUE, R_DISCARD, R_REJECT, R_TEMPFAIL,
         R_REPLYCODE}

# Actions the MTA allows (SMFIF_*).
F_ADDHDRS = 0x01
F_CHGBODY = 0x02
F_ADDRCPT = 0x04
F_DELRCPT = 0x08
F_CHGHDRS = 0x10
F_QUARANTINE = 0x20
F_CHGFROM = 0x40
F_ADDRCPT_PAR = 0x80
F_SETSYMLIST = 0x100
F_ALL = 0x1FF

# Protocol steps (SMFIP_*).
P_NOCONNECT = 0x1
P_NOHELO = 0x2
P_NOMAIL = 0x4
P_NORCPT = 0x8
P_NOBODY = 0x10
P_NOHDRS = 0x20
P_NOEOH = 0x40
P_NR_HDR = 0x80
P_NOUNKNOWN = 0x100
P_NODATA = 0x200
P_SKIP = 0x400
P_RCPT_REJ = 0x800
P_NR_CONN = 0x1000
P_NR_HELO = 0x2000
P_NR_MAIL = 0x4000
P_NR_RCPT = 0x8000
P_NR_DATA = 0x10000
P_NR_UNKN = 0x20000
P_NR_EOH = 0x40000
P_NR_BODY = 0x80000
P_HDR_LEADSPC = 0x100000
# Everything up to and including HDR_LEADSPC, as a v6 MTA offers it.
P_ALL = 0x1FFFFF

CHUNK_MAX = 65535  # MILTER_CHUNK_SIZE


class ProtocolError(Exception):
    pass


class MilterClient:
    def __init__(self, address, timeout=60):
        """address: a unix socket path, or (host, port)."""
        if isinstance(address, tuple):
            self.s = socket.create_connection(address, timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(str(address))
        self.version = None
        self.actions = 0
        self.pflags = 0

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- framing --------------------------------------------------------

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            got = self.s.recv(n - len(buf))
            if not got:
                raise ProtocolError("the milter closed the connection")
            buf += got
        return buf

    def read(self):
        """(command byte, data) of the next packet."""
        (n,) = struct.unpack(">I", self._read_exact(4))
        if n < 1 or n > 16 * 1024 * 1024:
            raise ProtocolError("bad packet length %d" % n)
        p = self._read_exact(n)
        return p[:1], p[1:]

    def read_reply(self):
        """The next reply that is not a progress notice."""
        while True:
            cmd, data = self.read()
            if cmd != R_PROGRESS:
                return cmd, data

    # -- steps ----------------------------------------------------------

    def negotiate(self, actions=F_ALL, protocol=P_ALL, version=6):
        self.send(C_OPTNEG, struct.pack(">III", version, actions, protocol))
        cmd, data = self.read()
        if cmd != C_OPTNEG or len(data) < 12:
            raise ProtocolError("OPTNEG answered with %r %r" % (cmd, data))
        self.version, self.actions, self.pflags = struct.unpack(
            ">III", data[:12])
        return self.version, self.actions, self.pflags

    def macro(self, for_cmd, pairs):
        data = for_cmd
        for k, v in pairs.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(C_MACRO, data)

    def _step(self, cmd, data, no_flag, nr_flag):
        """Send a step unless negotiated away; its reply, or None."""
        if no_flag and self.pflags & no_flag:
            return None
        self.send(cmd, data)
        if nr_flag and self.pflags & nr_flag:
            return None
        return self.read_reply()

    def connect(self, host="client.e2e.local", addr="127.0.0.1", port=40000):
        self.macro(C_CONNECT, {"{client_addr}": addr, "j": "mx.e2e.local"})
        data = (host.encode() + b"\0" + b"4" + struct.pack(">H", port) +
                addr.encode() + b"\0")
        return self._step(C_CONNECT, data, P_NOCONNECT, P_NR_CONN)

    def helo(self, name="client.e2e.local"):
        return self._step(C_HELO, name.encode() + b"\0", P_NOHELO,
                          P_NR_HELO)

    def mail(self, args):
        return self._step(C_MAIL, b"".join(a.encode() + b"\0" for a in args),
                          P_NOMAIL, P_NR_MAIL)

    def rcpt(self, args):
        return self._step(C_RCPT, b"".join(a.encode() + b"\0" for a in args),
                          P_NORCPT, P_NR_RCPT)

    def data(self):
        return self._step(C_DATA, b"", P_NODATA, P_NR_DATA)

    def header(self, name, value):
        """value: bytes as it follows the colon.  Without HDR_LEADSPC the
        leading white space is stripped, as an MTA does."""
        if not self.pflags & P_HDR_LEADSPC:
            value = value.lstrip(b" \t")
        return self._step(C_HEADER, name.encode() + b"\0" + value + b"\0",
                          P_NOHDRS, P_NR_HDR)

    def eoh(self):
        self.macro(C_EOH, {"i": "E2EQID0001"})
        return self._step(C_EOH, b"", P_NOEOH, P_NR_EOH)

    def body(self, chunk):
        if len(chunk) > CHUNK_MAX:
            raise ValueError("body chunk over %d bytes" % CHUNK_MAX)
        return self._step(C_BODY, chunk, P_NOBODY, P_NR_BODY)

    def eom(self):
        """End of message: ([(reply, data)] modifications, (final reply,
        data))."""
        self.macro(C_BODYEOB, {"i": "E2EQID0001"})
        self.send(C_BODYEOB)
        mods = []
        while True:
            cmd, data = self.read_reply()
            if cmd in FINAL:
                return mods, (cmd, data)
            mods.append((cmd, data))

    def abort(self):
        self.send(C_ABORT)

    def quit(self):
        try:
            self.send(C_QUIT)
        except OSError:
            pass


def split_headers(raw):
    """[(name, value bytes after the colon)] and the body (CRLF line
    ends) of a message; folded lines are joined with LF + the white
    space, as an MTA hands them to a milter."""
    data = raw.replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    if not sep:
        head, body = data, b""
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            n, v = headers[-1]
            headers[-1] = (n, v + b"\n" + line)
            continue
        name, colon, value = line.partition(b":")
        if colon:
            headers.append((name.decode("ascii", "replace"), value))
    return headers, body.replace(b"\n", b"\r\n")


def run_message(address, raw, chunk, sender="<sender@e2e.test>",
                rcpts=("<t99@e2e.test>",), protocol=P_ALL, size_param=True,
                timeout=120):
    """Drive one message through the milter at `address`, the body in
    chunks of `chunk` bytes.  Returns a dict: negotiated (version,
    actions, flags), replies per step, mods, final."""
    headers, body = split_headers(raw)
    out = {"steps": []}
    with MilterClient(address, timeout=timeout) as m:
        out["negotiated"] = m.negotiate(protocol=protocol)

        def step(name, r):
            out["steps"].append((name, r))
            if r is not None and r[0] != R_CONTINUE:
                raise ProtocolError("%s answered %r" % (name, r))

        step("connect", m.connect())
        step("helo", m.helo())
        margs = [sender]
        if size_param:
            margs.append("SIZE=%d" % len(raw))
        step("mail", m.mail(margs))
        for r in rcpts:
            step("rcpt", m.rcpt([r]))
        step("data", m.data())
        for n, v in headers:
            step("header", m.header(n, v))
        step("eoh", m.eoh())
        for i in range(0, len(body), chunk):
            step("body", m.body(body[i:i + chunk]))
        out["mods"], out["final"] = m.eom()
        m.quit()
    return out
