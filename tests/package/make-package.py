#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes test packages, good and deliberately bad.

  make-package.py OUT KIND NAME VERSION OBJECT [ENTRY [NEXTMAP]]

KIND: good (tar.gz with manifest), metric (the same, its manifest declaring
metrics over a count sample's stats map), zip (zip with manifest), nomanifest
(tar.gz, object only), l3af (as L3AF publishes them: no manifest, a folder
l3af_NAME/ holding ENTRY.bpf.o, a second object and a user-space program
NAME), dotdot, absolute, symlink, hardlink-symlink, device,
fifo, many, bigfile (a 2 MiB companion). Every bad archive also holds a valid
manifest and object, so the bad entry is the only problem.
"""
import io
import os
import sys
import tarfile
import zipfile


def manifest(name, version, entry, companion=None, next_map="l3af_next"):
    lines = ["[Package]", f"Name={name}", f"Version={version}", "Description=test package",
             "License=GPL-2.0-only"]
    if companion:
        lines.append(f"Companion={companion}")
    lines += ["", f"[Program {entry}]", f"Object={entry}.bpf.o", f"Entry={entry}", "Type=xdp",
              f"NextMap={next_map}", ""]
    return "\n".join(lines).encode()


def add(tf, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    for k, v in kw.items():
        setattr(ti, k, v)
    tf.addfile(ti, io.BytesIO(data) if data else None)


def main():
    out, kind, name, version, obj = sys.argv[1:6]
    entry = sys.argv[6] if len(sys.argv) > 6 else "portdrop"
    next_map = sys.argv[7] if len(sys.argv) > 7 else "l3af_next"
    with open(obj, "rb") as f:
        objdata = f.read()
    # Trailing bytes after the ELF contents make each version's object (and so
    # its instance digest) differ, so that a version change is a new generation.
    objdata += b"\0" * 8 + f"l3af-test {name} {version}".encode()
    man = manifest(name, version, entry, next_map=next_map)
    if kind == "zip":
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("l3af-package.conf", man)
            z.writestr(f"{entry}.bpf.o", objdata)
        return
    with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
        if kind == "l3af":
            folder = f"l3af_{name}"
            add(tf, f"{folder}/", type=tarfile.DIRTYPE, mode=0o755)
            add(tf, f"{folder}/{entry}.bpf.o", objdata)
            add(tf, f"{folder}/{entry}_tc.bpf.o", objdata)
            add(tf, f"{folder}/{name}", b"#!/bin/sh\nexit 0\n", mode=0o755)
            return
        if kind == "bigfile":
            man = manifest(name, version, entry, "bin/blob", next_map)
        if kind == "metric":
            man += (f"\n[Metric pkg_packets]\nProgram={entry}\nMap=stats\nKey=0\nField=packets\n"
                    "\n[Metric pkg_bytes]\nMap=stats\nField=bytes\nHelp=from the manifest\n").encode()
        if kind != "nomanifest":
            add(tf, "l3af-package.conf", man)
        add(tf, f"{entry}.bpf.o", objdata)
        if kind == "dotdot":
            add(tf, "sub/../../escaped-dotdot", b"x")
        elif kind == "absolute":
            add(tf, "/tmp/escaped-absolute", b"x")
        elif kind == "symlink":
            add(tf, "link", type=tarfile.SYMTYPE, linkname="../../../escaped-symlink")
        elif kind == "hardlink-symlink":
            add(tf, "a/inner", type=tarfile.SYMTYPE, linkname="../x")
            add(tf, "outer", type=tarfile.LNKTYPE, linkname="a/inner")
        elif kind == "device":
            add(tf, "null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        elif kind == "fifo":
            add(tf, "pipe", type=tarfile.FIFOTYPE)
        elif kind == "many":
            for i in range(200):
                add(tf, f"many/{i}", b"")
        elif kind == "bigfile":
            add(tf, "bin/blob", os.urandom(2 * 1024 * 1024), mode=0o755)
        elif kind not in ("good", "nomanifest", "metric"):
            sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
