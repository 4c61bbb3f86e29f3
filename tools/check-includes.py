#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that calls run one way in src/ (issue 14): the core never includes
a header of the layers above it (bus, polkit, metrics endpoint, idle,
service, daemon), and no two files include each other, directly or through
others. A file and its header are one node ("chain" is chain.c
and chain.h). Reads the #include "..." lines; prints each fault and exits 1.

  check-includes.py SRCDIR
"""
import os
import re
import sys

# The core: configuration (the key table and its parsers, drop-ins, manifests,
# l3afd.conf), packages, the model, planning, the kernel side (chains,
# programs, probes, maps, statistics), companions (a client of systemd1 over
# sd-bus, not of our bus), reconcile and the watchdog. Listed by hand so that
# a new file is placed on purpose.
CORE = ['api-dropin', 'attach', 'bpf-util', 'btf-text', 'chain', 'companion', 'companion-spec', 'conf-files',
        'conf-keys', 'conf-parser', 'context', 'dropin', 'extract', 'fd-limit', 'fetch', 'file-stamp', 'foreign',
        'hook', 'manifest', 'map-access', 'map-def', 'map-entries', 'map-pins', 'metric-decl', 'metrics', 'model',
        'netdev', 'package', 'pin-path', 'plan', 'probe', 'probe-spec', 'problem', 'program', 'reconcile', 'semver',
        'settings', 'sign', 'standalone', 'stats', 'trust', 'watchdog', 'xdp-features']
# What the core must not include: the layers above it (the bus, its direct
# server and polkit, the metrics endpoint, idle exit, what systemd is told,
# the daemon's loop).
ABOVE = re.compile(r'^(bus|bus-.*|idle|daemon|service|polkit|metrics-http)$')

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def graph(srcdir):
    g = {}
    for name in sorted(os.listdir(srcdir)):
        stem, ext = os.path.splitext(name)
        if ext not in ('.c', '.h'):
            continue
        with open(os.path.join(srcdir, name), encoding='utf-8') as f:
            deps = {d for d in INCLUDE.findall(f.read()) if '/' not in d and d != stem}
        g.setdefault(stem, set()).update(deps)
    return g


def cycles(g):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main():
    srcdir = sys.argv[1]
    g = graph(srcdir)
    faults = []
    for stem in CORE:
        if stem not in g:
            faults.append(f'core file {stem} is listed but not in {srcdir}')
            continue
        for dep in sorted(g[stem]):
            if ABOVE.match(dep):
                faults.append(f'core file {stem} includes {dep}.h, a layer above the core')
    for comp in cycles(g):
        faults.append('include circle: ' + ' -> '.join(comp))
    for f in faults:
        print(f)
    if not faults:
        print(f'ok - {len(g)} files, {len(CORE)} core files; no circle, the core includes nothing above it')
    return 1 if faults else 0


if __name__ == '__main__':
    sys.exit(main())
