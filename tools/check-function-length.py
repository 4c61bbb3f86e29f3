#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that no function in src/ (and its folders) is longer than MAX lines (issue 14) unless
the comment right above it says why it must stay whole: a line with
"Stays whole:" followed by the reason. Functions are found in the style the
code is written in: the body opens with "{" at the start of a line and ends
with "}" at the start of a line. Prints each fault and exits 1.

  check-function-length.py SRCDIR [MAX]    (MAX: 100 unless given)
"""
import os
import re
import sys

NAME = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(')


def functions(lines):
    """Yields (name, first line number, length in lines, comment above)."""
    i = 0
    while i < len(lines):
        if lines[i].rstrip() != '{':
            i += 1
            continue
        # The signature: the lines above, back to a blank line or the end of a comment.
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].rstrip().endswith(('*/', ';', '}')):
            j -= 1
        signature = ' '.join(lines[j + 1:i])
        m = NAME.search(signature)
        comment = []
        k = j
        if k >= 0 and lines[k].rstrip().endswith('*/'):
            while k >= 0:
                comment.append(lines[k])
                if lines[k].lstrip().startswith('/*'):
                    break
                k -= 1
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != '}':
            end += 1
        if m and '=' not in signature.split('(')[0]:
            yield m.group(1), j + 2, end - (j + 1) + 1, '\n'.join(reversed(comment))
        i = end + 1


def main():
    srcdir = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    faults, longest = [], (0, '')
    # Every .c of src/ and of its library folders (src/shared, src/package, ...).
    names = sorted(os.path.relpath(os.path.join(d, n), srcdir)
                   for d, _, files in os.walk(srcdir) for n in files if n.endswith('.c'))
    for name in names:
        with open(os.path.join(srcdir, name), encoding='utf-8') as f:
            lines = f.read().split('\n')
        for fn, line, length, comment in functions(lines):
            if length > limit and 'Stays whole:' not in comment:
                faults.append(f'{name}:{line}: {fn}() is {length} lines (over {limit}) '
                              'and no comment above it says "Stays whole:" and why')
            elif length > longest[0]:
                longest = (length, f'{name}:{fn}()')
    for f in faults:
        print(f)
    if not faults:
        print(f'ok - no function over {limit} lines without a reason; the longest is {longest[1]}, {longest[0]} lines')
    return 1 if faults else 0


if __name__ == '__main__':
    sys.exit(main())
