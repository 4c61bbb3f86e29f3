#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that calls run one way in src/ (issue 14). src/ is in folders that are
libraries (src/*/meson.build): a file includes only headers of its own library
and of those below it (shared includes nothing of package, l3afd or l3afctl;
package nothing of l3afd or l3afctl; l3afd and l3afctl nothing of each other);
in src/l3afd the core never includes a header of the layers above it (bus,
polkit, metrics endpoint, idle, service, daemon); and no two files include
each other, directly or through others. A file and its header are one node
("chain" is chain.c and chain.h). Reads the #include "..." lines; prints each
fault and exits 1.

  check-includes.py SRCDIR
"""
import os
import re
import sys

# The libraries (folders of src/) and those each may include from, its own first.
LIBRARIES = {
    'shared': ('shared',),
    'package': ('package', 'shared'),
    'l3afd': ('l3afd', 'package', 'shared'),
    'l3afctl': ('l3afctl', 'package', 'shared'),
}

# The core of src/l3afd: the model, planning, the kernel side (chains,
# programs, probes, maps, statistics), companions (a client of systemd1 over
# sd-bus, not of our bus), reconcile and the watchdog. Configuration and
# packages, below it, are src/shared and src/package. Listed by hand so that a
# new file is placed on purpose.
CORE = ['api-dropin', 'attach', 'chain', 'companion', 'context', 'counting', 'foreign', 'grace', 'map-access', 'map-entries',
        'map-pins', 'metrics', 'model', 'plan', 'prepare-cache', 'probe', 'program', 'reconcile', 'standalone', 'stats',
        'watchdog', 'xdp-features']
# What the core must not include: the layers above it (the bus, its direct
# server and polkit, the metrics endpoint, idle exit, what systemd is told,
# the daemon's loop).
ABOVE = re.compile(r'^(bus|bus-.*|idle|daemon|service|polkit|metrics-http)$')

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def graph(srcdir, faults):
    """The include graph, and the library (folder) of each node."""
    g, lib = {}, {}
    for name in sorted(os.listdir(srcdir)):
        if os.path.splitext(name)[1] in ('.c', '.h'):
            faults.append(f'{name} is in {srcdir} itself, not in a library folder ({", ".join(LIBRARIES)})')
    for folder in LIBRARIES:
        path = os.path.join(srcdir, folder)
        for name in sorted(os.listdir(path)):
            stem, ext = os.path.splitext(name)
            if ext not in ('.c', '.h'):
                continue
            if lib.setdefault(stem, folder) != folder:
                faults.append(f'{stem} is in both {lib[stem]} and {folder}')
            with open(os.path.join(path, name), encoding='utf-8') as f:
                deps = {d for d in INCLUDE.findall(f.read()) if '/' not in d and d != stem}
            g.setdefault(stem, set()).update(deps)
    return g, lib


def library_faults(g, lib):
    """Each include that reaches a library its file's library may not use."""
    out = []
    for stem in sorted(g):
        for dep in sorted(g[stem]):
            if dep in lib and lib[dep] not in LIBRARIES[lib[stem]]:
                out.append(f'{lib[stem]}/{stem} includes {lib[dep]}/{dep}.h: '
                           f'{lib[stem]} may include only from {", ".join(LIBRARIES[lib[stem]])}')
    return out


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
    faults = []
    g, lib = graph(srcdir, faults)
    faults += library_faults(g, lib)
    for stem in CORE:
        if lib.get(stem) != 'l3afd':
            faults.append(f'core file {stem} is listed but not in {srcdir}/l3afd')
            continue
        for dep in sorted(g[stem]):
            if ABOVE.match(dep):
                faults.append(f'core file {stem} includes {dep}.h, a layer above the core')
    for comp in cycles(g):
        faults.append('include circle: ' + ' -> '.join(comp))
    for f in faults:
        print(f)
    if not faults:
        counts = ', '.join(f'{folder} {sum(1 for v in lib.values() if v == folder)}' for folder in LIBRARIES)
        print(f'ok - {len(g)} files ({counts}), {len(CORE)} core files; libraries include only down, '
              'no circle, the core includes nothing above it')
    return 1 if faults else 0


if __name__ == '__main__':
    sys.exit(main())
