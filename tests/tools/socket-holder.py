#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What systemd's socket unit does, for tests: hold one listening unix socket
for good and, each time a client knocks while no service runs, start the
service again through the real systemd-socket-activate, which takes the
inherited socket (sd_listen_fds) and passes it on.

  socket-holder.py SOCKET STARTS_LOG -- COMMAND...
"""
import os
import select
import socket
import subprocess
import sys
import time

path, log = sys.argv[1], sys.argv[2]
cmd = sys.argv[sys.argv.index("--") + 1:]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(path)
os.chmod(path, 0o666)
sock.listen(128)
os.dup2(sock.fileno(), 3)
os.set_inheritable(3, True)
with open(log, "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        # Wait for a client, as systemd does before starting a socket-activated service.
        select.select([3], [], [])
        out.write(f"start {time.clock_gettime(time.CLOCK_MONOTONIC):.6f}\n")
        child = subprocess.Popen(
            ["sh", "-c", 'export LISTEN_PID=$$ LISTEN_FDS=1; exec systemd-socket-activate "$@"', "sh"] + cmd,
            pass_fds=(3,))
        rc = child.wait()
        out.write(f"exit {rc} {time.clock_gettime(time.CLOCK_MONOTONIC):.6f}\n")
