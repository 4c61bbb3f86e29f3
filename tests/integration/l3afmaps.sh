#!/bin/bash
# Issue 10, items 1 and 2: a rate limiter in L3AF's style (tests/bpf/
# ratelimiting.bpf.c: map names past the kernel's 15 characters, maps
# declared with key_size/value_size, a counter map that starts empty and
# counts only into keys user space created, an odd section name) chained
# between our samples (count -> ratelimiting -> sink) and configured only
# through drop-ins that name its maps in full. With real traffic over the
# limit, each one-second window passes exactly the limit and drops the rest.
# l3afctl reads and writes the long-named maps, typed by their sizes; a value
# that does not fit is refused naming the size, and nothing is lost.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

LIMIT=1000
RATE=3000
SECONDS_SENT=2
PORT=5555

bus_setup
veth_add l3t0 l3p0 0
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
program_dropin 20-ratelimiting ratelimiting l3t0 20 "$TESTBPF/ratelimiting.bpf.o" "Type=xdp
Entry=_xdp_ratelimiting
NextMap=xdp_rl_ingress_next_prog

[Map rl_config_map]
0=$LIMIT

[Map rl_ports_map]
$PORT=1

[Map rl_recv_count_map]
0=0
1=0
"
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"
RL="$DROPINS/20-ratelimiting.conf"
bus_daemon_start

ctl() { "$L3AFCTL" --no-ask-password "$@"; }
rl_get() { ctl map get l3t0 xdp ratelimiting "$@"; }
sink_udp() { "$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp sink)/sink_protocols" 17 0; }
count_packets() { "$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0; }

ids=$(chain_ids l3t0)
assert_eq "$(echo $ids | wc -w)" 3 "the rate limiter chains between count and sink, configured by drop-ins naming its maps in full"
for m in rl_config_map rl_ports_map rl_recv_count_map rl_window_map rl_exempt_mac_map; do
        [ -e "$(chain_dir l3t0)/maps/$m" ] || fail "$m is not pinned under its full name"
done
echo "ok - its maps are pinned under their full names"
assert_eq "$(rl_get rl_config_map 0)" "$LIMIT" "map get reads the 8-byte config value as a number"
assert_eq "$(rl_get rl_recv_count_map 0)" 0 "the drop-in created the counter the program needs"
assert_eq "$(rl_get rl_ports_map $PORT)" 1 "map get reads a 2-byte key and a 1-byte value"

# Over the limit: RATE packets per second for SECONDS_SENT seconds.
sent=$((RATE * SECONDS_SENT))
send "$sent" "$PORT" "$RATE"
sleep 0.2
received=$(rl_get rl_recv_count_map 0)
dropped=$(rl_get rl_recv_count_map 1)
passed=$(sink_udp)
assert_eq "$(count_packets)" "$sent" "every packet reached the chain"
assert_eq "$received" "$sent" "the rate limiter counted every packet into the key the drop-in created"
assert_eq "$((passed + dropped))" "$sent" "every packet was either passed to the sink or dropped"

# Exactly the limit passes in each one-second window the program counted in.
# windows LIMIT [OLD_JSON]: "count seen passed dropped" over the windows of
# rl_window_map not in OLD_JSON (an earlier listing), had each passed min(seen, LIMIT).
windows() {
        ctl --json map list l3t0 xdp ratelimiting rl_window_map > "$T/windows.json"
        python3 - "$T/windows.json" "$1" ${2:-} <<'EOF2'
import json, sys
w = json.load(open(sys.argv[1])); limit = int(sys.argv[2])
old = {e["key"] for e in json.load(open(sys.argv[3]))} if len(sys.argv) > 3 else set()
seen = [int(e["value"]) for e in w if e["key"] not in old]
print(len(seen), sum(seen), sum(min(s, limit) for s in seen), sum(max(0, s - limit) for s in seen))
EOF2
}
read -r nwin seen want_passed want_dropped < <(windows "$LIMIT")
cp "$T/windows.json" "$T/windows-1.json"
info "sent $sent at $RATE/s, limit $LIMIT/s: $nwin windows, passed $passed, dropped $dropped"
assert_eq "$seen" "$sent" "the windows saw every limited packet"
assert_eq "$passed" "$want_passed" "each window passed exactly min(seen, $LIMIT)"
assert_eq "$dropped" "$want_dropped" "each window dropped exactly what it saw over $LIMIT"
[ "$dropped" -gt 0 ] || fail "nothing was dropped"
[ "$passed" -le $((LIMIT * nwin)) ] && [ "$passed" -ge $((LIMIT * SECONDS_SENT * 9 / 10)) ] && \
        [ "$passed" -le $((LIMIT * (SECONDS_SENT + 1))) ] || \
        fail "passed $passed over $nwin windows, expected about $((LIMIT * SECONDS_SENT)) (at most $LIMIT a window)"
echo "ok - about $LIMIT a second passed ($passed of $sent in $SECONDS_SENT s)"

# Values that do not fit are refused, naming the map's size; nothing changes.
before=$(sha256sum "$RL")
out=$(ctl map set l3t0 xdp ratelimiting rl_ports_map 6666 300 2>&1) && fail "a 1-byte value of 300 was accepted"
case $out in *"300 does not fit in the map's 1-byte value (0..255)"*) echo "ok - map set: $out" ;;
        *) fail "the error does not name the 1-byte value: $out" ;; esac
out=$(ctl map set l3t0 xdp ratelimiting rl_ports_map 70000 1 2>&1) && fail "a 2-byte key of 70000 was accepted"
case $out in *"70000 does not fit in the map's 2-byte key (0..65535)"*) echo "ok - map set: $out" ;;
        *) fail "the error does not name the 2-byte key: $out" ;; esac
out=$(ctl map get l3t0 xdp ratelimiting rl_recv_count_m 0 2>&1) && fail "the kernel's truncated name found a map"
echo "ok - the truncated name is no name of the map: $out"
assert_eq "$(sha256sum "$RL")" "$before" "refused writes left the drop-in alone"

# The same through a drop-in: the reload fails naming the size; the chain keeps its generation.
cp "$RL" "$T/rl.conf"
printf '\n[Map rl_exempt_mac_map]\nhex:0011223344=1\n' >> "$RL"
sed -i "s/^$PORT=1\$/$PORT=256/" "$RL"
daemon_reload
wait_log "does not fit in the map's 1-byte value (0..255)"
wait_log "'hex:0011223344' is not 6 bytes of hex for the map's 6-byte key"
echo "ok - the reload names the 1-byte value and the 6-byte key"
assert_eq "$(chain_ids l3t0)" "$ids" "the chain kept its generation"
assert_eq "$(rl_get rl_ports_map $PORT)" 1 "and its entries"
cp "$T/rl.conf" "$RL"
daemon_reload

# Odd sizes are hex bytes: exempt the peer's MAC (6 bytes) with map set; it round-trips.
mac=$(in_peer ip -br link show dev l3p0 | awk '{print $3}')
hexmac="hex:${mac//:/}"
ctl map set l3t0 xdp ratelimiting rl_exempt_mac_map "$hexmac" 1
assert_matches "$RL" "^$hexmac=1\$" "map set declared the 6-byte key in the drop-in"
assert_eq "$(ctl --json map list l3t0 xdp ratelimiting rl_exempt_mac_map | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key"])')" \
        "$hexmac" "map list formats the 6-byte key as it was written"
before_sink=$(sink_udp)
before_dropped=$(rl_get rl_recv_count_map 1)
send "$sent" "$PORT" "$RATE"
sleep 0.2
assert_eq "$(( $(sink_udp) - before_sink ))" "$sent" "an exempt source passes above the limit"
assert_eq "$(rl_get rl_recv_count_map 1)" "$before_dropped" "and nothing more was dropped"

# map set on the long-named config map: declared in the drop-in, read back, in force.
ctl map set l3t0 xdp ratelimiting rl_config_map 0 0x0a
assert_matches "$RL" '^0=0x0a$' "map set declared the new limit in the drop-in"
assert_eq "$(rl_get rl_config_map 0)" 10 "0x0a is the number 10 for an 8-byte value"
assert_eq "$(chain_ids l3t0)" "$ids" "config changes reload no program"

# And it holds: with the exemption deleted, 300 packets in about a second pass at most 2 windows of 10.
ctl map delete l3t0 xdp ratelimiting rl_exempt_mac_map "$hexmac"
before_sink=$(sink_udp)
send 300 "$PORT" 300
sleep 0.2
through=$(( $(sink_udp) - before_sink ))
read -r nwin seen want_passed want_dropped < <(windows 10 "$T/windows-1.json")
assert_eq "$seen" 300 "the new windows saw the 300 packets"
assert_eq "$through" "$want_passed" "at 10 a second, $nwin windows passed exactly min(seen, 10) each"
[ "$through" -ge 10 ] && [ "$through" -le 20 ] || [ "$nwin" -gt 2 ] || fail "$through of 300 passed in $nwin windows"
echo "ok - $through of 300 passed"

# A map name no pin file can carry (260 characters; NAME_MAX is 255) is refused with the reason,
# before anything loads; the other chain keeps running.
veth_add l3t1 l3p1 1
program_dropin 40-longname longname l3t1 10 "$TESTBPF/longmapname.bpf.o"
ids=$(chain_ids l3t0)
daemon_reload
wait_log "has a name of 260 bytes; pinned, it must fit one file name (255 bytes"
echo "ok - the 260-byte map name is refused, naming the limit"
[ ! -e "$(chain_dir l3t1)/slot" ] || fail "a chain was made on l3t1"
assert_eq "$(chain_ids l3t0)" "$ids" "the other chain kept its generation"
