#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A direct D-Bus peer that connects and authenticates but stays quiet until
told to speak, speaking the wire protocol itself so that nothing is sent
behind the test's back.

  quiet-peer.py SOCKET

Prints "ready" once authenticated. Then reads commands on stdin:
  hello    report how many bytes arrived while quiet ("unsolicited N"), send
           Hello as message 1 and report the first message that comes back
           ("first TYPE REPLY_SERIAL")
  signal   wait up to 10 s for a signal; print "signal MEMBER ARGS..."
"""
import os
import select
import socket
import struct
import sys

TYPES = {1: "call", 2: "return", 3: "error", 4: "signal"}


def pad(buf, n):
    return buf + b"\0" * (-len(buf) % n)


def field(buf, code, sig, value):
    buf = pad(buf, 8) + bytes([code, 1]) + sig.encode() + b"\0"
    data = value.encode()
    return pad(buf, 4) + struct.pack("<I", len(data)) + data + b"\0"


def method_call(serial, dest, path, iface, member):
    fields = b""
    fields = field(fields, 1, "o", path)
    fields = field(fields, 2, "s", iface)
    fields = field(fields, 3, "s", member)
    fields = field(fields, 6, "s", dest)
    head = struct.pack("<cBBBIII", b"l", 1, 0, 1, 0, serial, len(fields)) + fields
    return pad(head, 8)


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self, n, timeout):
        while len(self.buf) < n:
            if not select.select([self.sock], [], [], timeout)[0]:
                raise TimeoutError("no message")
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the daemon closed the connection")
            self.buf += data

    def message(self, timeout=10):
        self.fill(16, timeout)
        if self.buf[0:1] != b"l":
            raise ValueError("big-endian messages are not handled here")
        mtype, body_len, _, fields_len = self.buf[1], *struct.unpack_from("<III", self.buf, 4)
        body_at = 16 + fields_len + (-(16 + fields_len) % 8)
        self.fill(body_at + body_len, timeout)
        fields, at = {}, 16
        while at < 16 + fields_len:
            at += -at % 8
            code, siglen = self.buf[at], self.buf[at + 1]
            sig = self.buf[at + 2:at + 2 + siglen].decode()
            at += 3 + siglen
            if sig in ("s", "o"):
                at += -at % 4
                (n,) = struct.unpack_from("<I", self.buf, at)
                fields[code] = self.buf[at + 4:at + 4 + n].decode()
                at += 5 + n
            elif sig == "g":
                n = self.buf[at]
                fields[code] = self.buf[at + 1:at + 1 + n].decode()
                at += 2 + n
            elif sig == "u":
                at += -at % 4
                (fields[code],) = struct.unpack_from("<I", self.buf, at)
                at += 4
            else:
                raise ValueError(f"header field of type {sig}")
        body = self.buf[body_at:body_at + body_len]
        self.buf = self.buf[body_at + body_len:]
        return TYPES.get(mtype, str(mtype)), fields, body


def strings(body, signature):
    """The leading string arguments of a body (enough for ChainChanged)."""
    out, at = [], 0
    for kind in signature:
        if kind != "s":
            break
        at += -at % 4
        (n,) = struct.unpack_from("<I", body, at)
        out.append(body[at + 4:at + 4 + n].decode())
        at += 5 + n
    return out


sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
line = b""
while b"\r\n" not in line:
    data = sock.recv(256)
    if not data:
        sys.exit("the daemon closed the connection during authentication")
    line += data
if line.startswith(b"DATA"):
    sock.sendall(b"DATA\r\n")
    while b"OK " not in line or not line.endswith(b"\r\n"):
        data = sock.recv(256)
        if not data:
            sys.exit("the daemon closed the connection during authentication")
        line += data
if b"OK " not in line:
    sys.exit(f"authentication refused: {line!r}")
sock.sendall(b"BEGIN\r\n")
print("ready", flush=True)
reader = Reader(sock)

for command in sys.stdin:
    command = command.strip()
    if command == "hello":
        sock.setblocking(False)
        try:
            early = len(sock.recv(65536, socket.MSG_PEEK))
        except BlockingIOError:
            early = 0
        sock.setblocking(True)
        print(f"unsolicited {early}", flush=True)
        sock.sendall(method_call(1, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello"))
        mtype, fields, _ = reader.message()
        print(f"first {mtype} {fields.get(5, 0)}", flush=True)
    elif command == "signal":
        try:
            while True:
                mtype, fields, body = reader.message()
                if mtype == "signal":
                    print("signal", fields.get(3, "?"), *strings(body, fields.get(8, "")), flush=True)
                    break
        except TimeoutError:
            print("signal none", flush=True)
