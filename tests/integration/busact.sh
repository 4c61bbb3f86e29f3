#!/bin/bash
# Issue 4, acceptance 2 on the bus path: a private dbus-daemon activates
# l3afd on the first call to org.l3af.Chain1; with IdleExitSec= it gives the
# name back and exits; the next call activates it again. Program ids never
# change and traffic never stops.
source "$(dirname "$0")/lib.sh"
command -v dbus-daemon >/dev/null || skip "dbus-daemon is missing"

veth_add l3t0 l3p0 0
sample_chain l3t0
printf '[Daemon]\nIdleExitSec=1500ms\n' > "$ROOT/etc/l3af/l3afd.conf"
daemon_start
XDP0=$(xdp_id l3t0); IDS0=$(chain_ids l3t0)
daemon_stop TERM

BUS=$T/bus
mkdir -p "$BUS/services"
ADDR=unix:path=$T/plainbus/socket
cat > "$BUS/l3afd-activated" <<EOS
#!/bin/sh
echo "activated \$\$" >> "$T/activations"
exec "$L3AFD" --root="$ROOT" --bus-address="$ADDR" --log-target=console >> "$T/daemon.log" 2>&1
EOS
chmod +x "$BUS/l3afd-activated"
# The installed activation file, pointed at this test's daemon.
sed "s|^Exec=.*|Exec=$BUS/l3afd-activated|" "$L3AF_BUILD/dbus/org.l3af.Chain1.service" > "$BUS/services/org.l3af.Chain1.service"
plain_bus_start "$BUS/services"
activations() { [ -f "$T/activations" ] && grep -c activated "$T/activations" || echo 0; }
call() { busctl --address="$ADDR" "$@"; }

GEN=$(send_bg 5555 5000 "$T/sent")
assert_eq "$(activations)" 0 "nothing runs before the first call"
out=$(call call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains) || fail "the first call was not answered"
echo "ok - the first call activated l3afd and was answered ($out)"
assert_eq "$(activations)" 1 "one activation"

for _ in $(seq 100); do call status org.l3af.Chain1 >/dev/null 2>&1 || break; sleep 0.05; done
# It gives the name back first, then leaves.
for _ in $(seq 100); do pgrep -f "^$L3AFD" >/dev/null || break; sleep 0.05; done
pgrep -f "^$L3AFD" >/dev/null && fail "l3afd did not exit when idle"
grep -q "Idle for" "$T/daemon.log" || fail "l3afd did not say it left because it was idle"
echo "ok - idle, l3afd gave the name back and exited"
assert_eq "$(xdp_id l3t0)" "$XDP0" "its chain kept running"

v=$(call get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Version) || fail "the later call was not answered"
echo "ok - a later call activated it again ($v)"
assert_eq "$(activations)" 2 "two activations"
assert_eq "$(xdp_id l3t0)" "$XDP0" "the XDP program id never changed"
assert_eq "$(chain_ids l3t0)" "$IDS0" "nor did any chain program id"
assert_eq "$(log_count "is live")" 1 "no activation applied a new generation"
send_stop "$GEN"
sleep 0.2
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" "$(cat "$T/sent")" "traffic never stopped"

# Issue 4, acceptance 5: a reload that fails tells the caller (ExecReload=l3afctl reload, so
# systemctl reload fails) and leaves the running chains as they were.
sed -i 's/^0={port=7777, enabled=1}/0={port=77777, enabled=1}/' "$DROPINS/20-portdrop-l3t0.conf"
rc=0
"$L3AF_BUILD/src/l3afctl/l3afctl" --address="$ADDR" reload 2> "$T/reload.err" || rc=$?
[ "$rc" != 0 ] || fail "l3afctl reload succeeded on a broken drop-in"
grep -q "port: 77777 does not fit in __u16" "$T/reload.err" || fail "the caller was not told why: $(cat "$T/reload.err")"
echo "ok - a failing reload exits $rc and tells the caller why: $(tail -1 "$T/reload.err")"
assert_eq "$(chain_ids l3t0)" "$IDS0" "the chain runs as it was"

# The activated daemon holds the pin root open; let it leave (IdleExitSec=) before
# the cleanup unmounts the bpffs, or the unmount fails and the test with it.
for _ in $(seq 100); do pgrep -f "^$L3AFD" >/dev/null || break; sleep 0.05; done
