#!/bin/bash
# Acceptance 6: drop-in directories follow systemd's rules, on the real daemon.
# A name in /run hides it in /usr/lib, /etc hides both, a symlink to /dev/null
# masks it, and files are read in lexical order of their names across all
# directories.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
LIB=$ROOT/usr/lib/l3af.d RUN=$ROOT/run/l3af.d ETC=$ROOT/etc/l3af.d

prog() { printf '[Program]\nName=%s\nInterface=l3t0\nHook=xdp\nPriority=%s\nObject=%s\n' "$1" "$2" "$SAMPLES/count.bpf.o"; }
live() { grep "is live" "$T/daemon.log" | tail -1 | sed 's/.*is live: //; s/ (id [0-9]*)//g; s/ -> / /g'; }

prog vendor 10 > "$LIB/10-a.conf"
prog other 20 > "$LIB/20-b.conf"
daemon_start
assert_eq "$(live)" "vendor other" "/usr/lib drop-ins apply"

prog runtime 10 > "$RUN/10-a.conf"
daemon_reload
assert_eq "$(live)" "runtime other" "/run/l3af.d/10-a.conf hides /usr/lib/l3af.d/10-a.conf"

prog admin 10 > "$ETC/10-a.conf"
daemon_reload
assert_eq "$(live)" "admin other" "/etc/l3af.d/10-a.conf hides both"

rm "$ETC/10-a.conf"
daemon_reload
assert_eq "$(live)" "runtime other" "removing the /etc file uncovers /run"

ln -s /dev/null "$ETC/10-a.conf"
daemon_reload
assert_eq "$(live)" "other" "a symlink to /dev/null in /etc masks the name in every directory"

ln -s /dev/null "$ETC/20-b.conf"
daemon_reload
assert_eq "$(xdp_id l3t0)" 0 "masking every drop-in removes the chain"

# Order: files are read by name across directories; problems come out in that order.
rm "$ETC/10-a.conf" "$ETC/20-b.conf"
printf '[Program]\nName=broken-lib\n' > "$LIB/05-z.conf"
printf '[Program]\nName=broken-etc\n' > "$ETC/07-y.conf"
printf '[Program]\nName=broken-run\n' > "$RUN/06-x.conf"
out=$("$L3AFD" --root="$ROOT" --check 2>&1 || true)
order=$(echo "$out" | grep -o '0[567]-[xyz]\.conf' | uniq | tr '\n' ' ')
assert_eq "$order" "05-z.conf 06-x.conf 07-y.conf " "drop-ins are read in lexical order of their names, whatever their directory"
