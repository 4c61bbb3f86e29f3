#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""seccomp-deny.py GROUP... -- COMMAND [ARGS...]

Runs COMMAND under a seccomp filter that fails the system calls of the
systemd system call groups (such as @resources) with EPERM, as a unit's
SystemCallFilter=~GROUP with SystemCallErrorNumber=EPERM does. The groups'
members come from systemd-analyze syscall-filter, their numbers from the
kernel headers. x86_64 only; exits 77 elsewhere.
"""
import ctypes
import errno
import os
import platform
import re
import struct
import subprocess
import sys

AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_MODE_FILTER = 2
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
# struct seccomp_data: nr at 0, arch at 4
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06
HEADER = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"


def group_members(group, seen):
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                names |= group_members(name, seen)
        else:
            names.add(name)
    return names


def main():
    if "--" not in sys.argv:
        sys.exit(__doc__)
    split = sys.argv.index("--")
    groups, command = sys.argv[1:split], sys.argv[split + 1:]
    if platform.machine() != "x86_64" or not os.path.exists(HEADER):
        print("SKIP: the filter is written for x86_64", file=sys.stderr)
        sys.exit(77)
    numbers = dict((m.group(1), int(m.group(2))) for m in
                   re.finditer(r"#define __NR_(\w+) (\d+)", open(HEADER).read()))
    names = set()
    for g in groups:
        names |= group_members(g, {g})
    denied = sorted(numbers[n] for n in names if n in numbers)

    def insn(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)

    prog = [insn(BPF_LD_W_ABS, 0, 0, 4),
            insn(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
            insn(BPF_LD_W_ABS, 0, 0, 0)]
    for i, nr in enumerate(denied):
        left = len(denied) - i - 1
        # equal: jump over the remaining checks and the allow, to the deny
        prog.append(insn(BPF_JEQ_K, left + 1, 0, nr))
    prog.append(insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    prog.append(insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM))
    code = b"".join(prog)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    fprog = SockFprog(len(prog), code)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit("seccomp-deny: cannot install the filter: " + os.strerror(ctypes.get_errno()))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
