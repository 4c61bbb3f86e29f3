#!/bin/bash
# Issue 3, acceptance 1: l3afd on a private system bus (the real dbus-daemon,
# the real polkitd) answers Introspect with exactly the interface that
# dbus/org.l3af.Chain1.xml describes; the properties read back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_setup
bus_daemon_start

busctl --system introspect --xml-interface org.l3af.Chain1 /org/l3af/Chain1 > "$T/live.xml"
python3 - "$L3AF_SOURCE/dbus/org.l3af.Chain1.xml" "$T/live.xml" <<'PY' || fail "introspection differs from dbus/org.l3af.Chain1.xml"
import sys
import xml.etree.ElementTree as ET

def interface(path):
    for i in ET.parse(path).getroot().iter('interface'):
        if i.get('name') == 'org.l3af.Chain1':
            return i
    sys.exit(f"{path}: no org.l3af.Chain1 interface")

def canon(e, depth=0):
    attrs = ' '.join(f'{k}="{v}"' for k, v in sorted(e.attrib.items()))
    lines = ['  ' * depth + f'<{e.tag} {attrs}>']
    for c in e:
        lines += canon(c, depth + 1)
    return lines

want, have = canon(interface(sys.argv[1])), canon(interface(sys.argv[2]))
if want != have:
    import difflib
    print('\n'.join(difflib.unified_diff(want, have, 'dbus/org.l3af.Chain1.xml', 'Introspect', lineterm='')))
    sys.exit(1)
print(f"ok - Introspect equals dbus/org.l3af.Chain1.xml ({len(want)} elements)")
PY

# The human form too, and each property.
busctl --system introspect org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 > "$T/table.txt"
assert_contains "$T/table.txt" "ChainChanged" "busctl introspect lists the ChainChanged signal"
assert_eq "$(busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Version)" "s \"$(
        "$L3AFD" --version | awk '{print $2}')\"" "Version property"
assert_eq "$(busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Mode)" 's "secure"' \
        "Mode property (secure by default)"
assert_eq "$(as "$USER_PLAIN" busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 NChains)" \
        "u 0" "an unprivileged user reads NChains"
daemon_stop

# Insecure mode shows in the property.
printf '[Daemon]\nRequireSignatures=false\n' > "$ROOT/etc/l3af/l3afd.conf"
bus_daemon_start
assert_eq "$(busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Mode)" 's "insecure"' \
        "Mode property in insecure mode"
