#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for systemd's notification socket: records every sd_notify line
with the CLOCK_MONOTONIC time it arrived.  notify-listen.py SOCKET OUTPUT"""
import os
import socket
import sys
import time

path, output = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
with open(output, "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        data = sock.recv(65536).decode(errors="replace")
        now = time.clock_gettime(time.CLOCK_MONOTONIC)
        for line in data.split("\n"):
            if line:
                out.write(f"{now:.6f} {line}\n")
