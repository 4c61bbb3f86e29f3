#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# connlimit-client.py HOST PORT: opens five TCP connections one after the
# other and holds those the server admits; then closes the first two admitted
# and tries two more. Prints "first=N second=M".
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])


def try_open():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2.5)
    try:
        s.connect((host, port))
        time.sleep(0.2)  # the server's side is established by now
        return s
    except OSError:
        s.close()
        return None


held = [s for s in (try_open() for _ in range(5)) if s]
first = len(held)
for s in held[:2]:
    s.close()
held = held[2:]
time.sleep(0.5)
more = [s for s in (try_open() for _ in range(2)) if s]
print(f"first={first} second={len(more)}", flush=True)
for s in held + more:
    s.close()
