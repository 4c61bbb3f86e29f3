#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# tcp-server.py HOST PORT: accepts TCP connections and holds each until its
# peer closes it.
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(64)
sel.register(srv, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        if key.fileobj is srv:
            conn, _ = srv.accept()
            sel.register(conn, selectors.EVENT_READ)
        elif not key.fileobj.recv(4096):
            sel.unregister(key.fileobj)
            key.fileobj.close()
