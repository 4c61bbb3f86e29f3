#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Calls one org.l3af.Chain1 method with an explicit signature, so tests can
send wrong types too, and prints the reply as JSON, or "ERROR NAME: message"
(exit status 1). The bus is $DBUS_SYSTEM_BUS_ADDRESS.

  bus-call.py METHOD SIGNATURE ARG...
  Arguments: s as is; b true/false; integers in decimal; others as JSON.
"""
import json
import sys

import dbus


def convert(sig, text):
    if sig == 's':
        return dbus.String(text)
    if sig == 'b':
        return dbus.Boolean(text in ('true', 'yes', '1'))
    if sig in 'ynqiuxt':
        kinds = {'y': dbus.Byte, 'n': dbus.Int16, 'q': dbus.UInt16, 'i': dbus.Int32,
                 'u': dbus.UInt32, 'x': dbus.Int64, 't': dbus.UInt64}
        return kinds[sig](int(text))
    return json.loads(text)


def split_signature(sig):
    out, i = [], 0
    while i < len(sig):
        j = i
        depth = 0
        while True:
            c = sig[j]
            if c in '({':
                depth += 1
            elif c in ')}':
                depth -= 1
            j += 1
            if depth == 0 and c != 'a':
                break
        out.append(sig[i:j])
        i = j
    return out


def plain(v):
    if isinstance(v, (dbus.Array, list, dbus.Struct, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.Dictionary, dict)):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (int,)):
        return int(v)
    return str(v)


def main():
    method, sig, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    sigs = split_signature(sig) if sig else []
    if len(sigs) != len(args):
        print("usage: bus-call.py METHOD SIGNATURE ARG...", file=sys.stderr)
        return 2
    values = [convert(s, a) for s, a in zip(sigs, args)]
    bus = dbus.SystemBus()
    obj = bus.get_object('org.l3af.Chain1', '/org/l3af/Chain1', introspect=False)
    try:
        reply = obj.get_dbus_method(method, 'org.l3af.Chain1')(*values, signature=sig, timeout=120)
    except dbus.exceptions.DBusException as e:
        print(f"ERROR {e.get_dbus_name()}: {e.get_dbus_message()}")
        return 1
    print(json.dumps(plain(reply)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
