#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A package repository server for the tests, on 127.0.0.1 only.

The first path component picks a behaviour; the rest is a path under --root:
  /files/...     the file (Content-Length set)
  /nolength/...  the file, without Content-Length (ends when the connection closes)
  /404/...       404 Not Found
  /500/...       500 Internal Server Error
  /truncate/...  announces the whole file, sends half of it, closes
  /stall/...     announces the whole file, sends 16 bytes, then waits (60 s)
  /slow/...      the whole file, trickled over about --slow seconds
  /hold/...      announces the whole file, sends 16 bytes, logs HOLDING, then
                 sends the rest once the file --release names exists (60 s
                 at most): the test decides when the download ends
Signatures (*.p7s) are served normally under /truncate, /stall, /slow and /hold, so
the behaviour hits the artifact. Every request is logged to --log.
"""
import argparse
import http.server
import os
import socketserver
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def note(self, what):
        with open(self.server.log_path, "a") as f:
            f.write(f"{what} {self.path}\n")

    def do_GET(self):
        parts = self.path.split("/", 2)
        mode = parts[1] if len(parts) > 1 else ""
        rel = parts[2] if len(parts) > 2 else ""
        path = os.path.normpath(os.path.join(self.server.root, rel))
        self.note("GET")
        if not path.startswith(self.server.root + os.sep):
            return self.send_error(403)
        if mode == "404":
            return self.send_error(404)
        if mode == "500":
            return self.send_error(500)
        if not os.path.isfile(path):
            return self.send_error(404)
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".p7s") and mode in ("truncate", "stall", "slow", "hold"):
            mode = "files"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "nolength":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            if mode in ("files", "nolength"):
                self.wfile.write(data)
            elif mode == "truncate":
                self.wfile.write(data[: len(data) // 2])
            elif mode == "stall":
                self.wfile.write(data[:16])
                self.wfile.flush()
                self.note("STALLING")
                time.sleep(60)
            elif mode == "hold":
                self.wfile.write(data[:16])
                self.wfile.flush()
                self.note("HOLDING")
                for _ in range(3000):
                    if self.server.release and os.path.exists(self.server.release):
                        break
                    time.sleep(0.02)
                self.wfile.write(data[16:])
                self.wfile.flush()
                self.note("RELEASED")
            elif mode == "slow":
                n = 20
                step = max(1, (len(data) + n - 1) // n)
                for i in range(0, len(data), step):
                    self.wfile.write(data[i:i + step])
                    self.wfile.flush()
                    time.sleep(self.server.slow / n)
                self.note("SLOW-DONE")
            else:
                self.send_error(400)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.note("CLIENT-GONE")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--slow", type=float, default=4.0)
    ap.add_argument("--release", help="/hold sends the rest of a file once this file exists")
    a = ap.parse_args()

    srv = Server(("127.0.0.1", 0), Handler)
    srv.root = os.path.realpath(a.root)
    srv.log_path = a.log
    srv.slow = a.slow
    srv.release = a.release
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    # Stop by ourselves after a while, whatever happens to the test.
    threading.Timer(600, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
