#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Starts a Type=notify service and prints how long it took to send READY=1.
The service keeps running; its pid is printed too.
  ready-time.py COMMAND...   ->   "<ms> <pid>"
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

d = tempfile.mkdtemp()
path = os.path.join(d, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
env = dict(os.environ, NOTIFY_SOCKET=path)
t0 = time.monotonic()
child = subprocess.Popen(sys.argv[1:], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sock.settimeout(60)
while True:
    msg = sock.recv(4096).decode()
    if "READY=1" in msg.split("\n"):
        break
t1 = time.monotonic()
print(f"{(t1 - t0) * 1000:.1f} {child.pid}")
os.unlink(path)
os.rmdir(d)
