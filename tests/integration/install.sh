#!/bin/bash
# Issue 4, acceptances 1 and 6: `meson install --destdir` lays down every
# file an administrator needs; systemd-analyze verify passes for every unit;
# systemd-analyze security --offline=true rates l3afd.service at most 2.5;
# and the installed daemon still loads and attaches programs with nothing but
# the unit's capability bounding set and no_new_privs.
source "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is missing"

DEST=$T/dest
meson install -C "$L3AF_BUILD" --destdir "$DEST" --no-rebuild --quiet >/dev/null || fail "meson install failed"
find "$DEST" -type f | sed "s|^$DEST||" | sort > "$T/installed"

want=(
        "/sbin/l3afd" "/bin/l3afctl"
        "/systemd/system/l3afd.service" "/systemd/system/l3afd.socket"
        "/tmpfiles.d/l3afd.conf" "/systemd/catalog/l3afd.catalog"
        "/dbus-1/system.d/org.l3af.Chain1.conf" "/dbus-1/system-services/org.l3af.Chain1.service"
        "/dbus-1/interfaces/org.l3af.Chain1.xml"
        "/polkit-1/actions/org.l3af.Chain1.policy" "/polkit-1/rules.d/50-org.l3af.Chain1.rules"
        "/man8/l3afd.8" "/man5/l3af.d.5" "/man5/l3afd.conf.5" "/man1/l3afctl.1" "/man5/org.l3af.Chain1.5"
        "/bash-completion/completions/l3afctl" "/include/l3af/chain.h" "/etc/l3af/l3afd.conf"
        "/lib/l3af/samples/count.bpf.o" "/lib/l3af/samples/portdrop.bpf.o" "/lib/l3af/samples/sink.bpf.o"
)
for f in "${want[@]}"; do
        grep -q -- "$f\$" "$T/installed" || fail "meson install did not lay down *$f"
done
echo "ok - meson install lays down all ${#want[@]} kinds of file:"
sed 's/^/     /' "$T/installed"

SERVICE=$(grep 'systemd/system/l3afd.service$' "$T/installed")
SOCKET=$(grep 'systemd/system/l3afd.socket$' "$T/installed")
PREFIX=$(dirname "$(dirname "$(grep '/sbin/l3afd$' "$T/installed")")")

# Put the installed tree at its real prefix, in our mount namespace only, so
# the units' commands and man pages are where they say.
mkdir -p "$T/prefix"
cp -a "$DEST$PREFIX/." "$T/prefix/"
mount --bind "$T/prefix" "$PREFIX"
systemd-analyze verify "$DEST$SERVICE" "$DEST$SOCKET" > "$T/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify")"
echo "ok - systemd-analyze verify passes for l3afd.service and l3afd.socket"

score=$(systemd-analyze security --offline=true "$DEST$SERVICE" 2>/dev/null | sed -n 's/.*Overall exposure level for l3afd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no exposure score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "exposure $score is above 2.5"
echo "ok - systemd-analyze security --offline=true rates l3afd.service $score (at most 2.5)"

# The unit's capabilities, and nothing else, suffice.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$DEST$SERVICE" | tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,)
info "running the installed l3afd with bounding set -all,$caps and no_new_privs"
veth_add l3t0 l3p0 0
sample_chain l3t0
setpriv --bounding-set "-all,$caps" --no-new-privs \
        "$PREFIX/sbin/l3afd" --root="$ROOT" --no-bus --log-target=console >> "$T/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_log "l3afd started"
grep "^CapEff" /proc/$DAEMON_PID/status
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "with only the unit's capabilities the chain is loaded"
send 200 5555
send 100 7777
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 300 "and it passes traffic"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1)" 100 "and filters it"
daemon_stop TERM
