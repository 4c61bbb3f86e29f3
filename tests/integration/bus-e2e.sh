#!/bin/bash
# Issue 3, acceptance 3: end to end through the bus. l3afctl adds programs ->
# drop-ins in /run/l3af.d -> the chain changes -> real traffic shows it ->
# ChainChanged is observed with busctl monitor -> l3afctl show reports it. A
# persistent add survives a daemon restart and a reboot (simulated); a reload
# after editing a drop-in by hand applies it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_setup
veth_add l3t0 l3p0 0
bus_daemon_start

busctl --system monitor --match="type='signal',path='/org/l3af/Chain1'" >"$T/monitor.log" 2>&1 &
MONITOR_PID=$!
for _ in $(seq 100); do grep -q "Monitoring bus" "$T/monitor.log" 2>/dev/null && break; sleep 0.05; done

ctl() { "$L3AFCTL" --no-ask-password "$@"; }
generation() { ctl --json show l3t0 xdp | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["generation"])'; }
wait_signal() {  # wait_signal GENERATION
        for _ in $(seq 100); do
                grep -A6 'Member=ChainChanged' "$T/monitor.log" | contains "UINT64 $1;" && return 0
                sleep 0.05
        done
        fail "no ChainChanged signal for generation $1: $(cat "$T/monitor.log")"
}

ctl --runtime add l3t0 xdp count Object="$SAMPLES/count.bpf.o" Priority=10
ctl --runtime add l3t0 xdp portdrop Object="$SAMPLES/portdrop.bpf.o" Priority=20
ctl --runtime map set l3t0 xdp portdrop portdrop_config 0 '{7777, 1}'
for p in count portdrop; do
        [ -f "$ROOT/run/l3af.d/api-l3t0:xdp:$p.conf" ] || fail "no runtime drop-in for $p"
done
echo "ok - the runtime drop-ins are in /run/l3af.d"
assert_matches "$ROOT/run/l3af.d/api-l3t0:xdp:portdrop.conf" '^0=\{7777, 1\}$' "the map entry is declared in the drop-in"
assert_eq "$(chain_ids l3t0 | wc -w)" 2 "two programs in the chain"
assert_eq "$(xdp_id l3t0)" "$(entry_id l3t0)" "our chain's head is attached"

send 300 5555
send 200 7777
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 500 "count saw the traffic"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1)" 200 "portdrop dropped port 7777"

gen=$(generation)
wait_signal "$gen"
echo "ok - ChainChanged seen for generation $gen"
grep -A6 'Member=ChainChanged' "$T/monitor.log" | contains 'STRING "l3t0";' || fail "ChainChanged lacks the interface"
grep -q 'Member=PropertiesChanged' "$T/monitor.log" || fail "no PropertiesChanged for NChains"
echo "ok - PropertiesChanged seen"

ctl show l3t0 > "$T/show.txt"
cat "$T/show.txt"
assert_contains "$T/show.txt" "l3t0/xdp: live, generation $gen" "l3afctl show: state and generation"
assert_matches "$T/show.txt" "^0 +count .*api-l3t0:xdp:count.conf" "l3afctl show: count first, with its drop-in"
assert_matches "$T/show.txt" "^1 +portdrop " "l3afctl show: portdrop second"
assert_eq "$(ctl --json show l3t0 | /usr/bin/python3 -c 'import json,sys; print(",".join(p["name"] for p in json.load(sys.stdin)[0]["programs"]))')" \
        "count,portdrop" "l3afctl --json show"
assert_eq "$(ctl map get l3t0 xdp portdrop portdrop_config 0)" "{port=7777, enabled=1}" "l3afctl map get"

# Persistent: in /etc/l3af.d; survives a restart, and a reboot (pins and /run gone).
ctl add l3t0 xdp sink Object="$SAMPLES/sink.bpf.o" Priority=30 >/dev/null
[ -f "$DROPINS/api-l3t0:xdp:sink.conf" ] || fail "no persistent drop-in for the sink"
ids=$(chain_ids l3t0)
assert_eq "$(echo $ids | wc -w)" 3 "the sink joined"
wait_signal "$(generation)"
daemon_stop
bus_daemon_start
assert_eq "$(chain_ids l3t0)" "$ids" "after a restart the same three programs run"
assert_eq "$(ctl --no-legend show l3t0 xdp | awk 'NR > 1 {print $2}' | xargs)" "count portdrop sink" "l3afctl show after restart"
daemon_stop
"$L3AFD" --root="$ROOT" --log-target=console --flush >>"$T/daemon.log" 2>&1
rm -f "$ROOT"/run/l3af.d/*
bus_daemon_start
assert_eq "$(ctl --no-legend show l3t0 xdp | awk 'NR > 1 {print $2}' | xargs)" "sink" "after a reboot only the persistent add runs"

# A drop-in edited by hand: a reload through the bus applies it.
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
sed -i 's/^Priority=30$/Priority=40/' "$DROPINS/api-l3t0:xdp:sink.conf"
ctl reload
assert_eq "$(ctl --no-legend show l3t0 xdp | awk 'NR > 1 {print $2}' | xargs)" "count sink" "reload applied the hand edits"
send 100 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 100 "the hand-written count sees traffic"
wait_signal "$(generation)"
echo "ok - ChainChanged after the reload"

# Removing through the bus: the last program takes the chain with it (generation 0).
ctl remove l3t0 xdp count >/dev/null
ctl remove l3t0 xdp sink >/dev/null
[ -e "$DROPINS/10-count.conf" ] && fail "the hand-written drop-in was not removed"
assert_eq "$(ctl --no-legend list)" "" "no chain left"
wait_signal 0
assert_eq "$(xdp_id l3t0)" 0 "nothing attached to l3t0"
kill "$MONITOR_PID"
