#!/bin/bash
# Issue 13: statistics and metrics under real traffic.
#  1. With [Daemon] Statistics=yes, the chain counts every packet sent
#     through it, and its run time per packet is not zero.
#  2. Metrics declared over a per-CPU array (count's stats) and over a hash
#     map with several keys (portcount's port_stats) equal the maps as
#     bpftool reads them, and the packets sent.
#  3. The Prometheus endpoint, socket-activated by systemd-socket-activate
#     (FileDescriptorName "metrics"), is read with curl and accepted by
#     promtool check metrics; anything but GET on /metrics is refused.
#  4. l3afctl stats --watch redraws in place in a terminal (tmux), with rates.
#  5. Bad metric declarations are refused naming the drop-in, group and key;
#     the chain keeps its generation and its programs.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool (Debian: prometheus) is missing"
command -v curl >/dev/null || skip "curl is missing"
command -v tmux >/dev/null || skip "tmux is missing"

L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
plain_bus_start
ctl() { "$L3AFCTL" --address="$PLAIN_BUS" "$@"; }
veth_add l3t0 l3p0 0
printf '[Daemon]\nStatistics=yes\n' > "$ROOT/etc/l3af/l3afd.conf"

program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o" "
[Metric packets_seen]
Map=stats
Key=0
Field=packets
Help=Packets the count sample saw.

[Metric bytes_seen]
Map=stats
Field=bytes
"
program_dropin 20-portcount portcount l3t0 20 "$TESTBPF/portcount.bpf.o" "
[Metric udp_packets]
Map=port_stats
Key=5001;5002;5003
Field=packets

[Metric udp_bytes]
Map=port_stats
Key=all
Field=bytes
Aggregate=sum

[Metric udp_last_length]
Map=port_stats
Key=5001
Field=last_len
Type=gauge
"
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"

PORT=9464
URL=http://127.0.0.1:$PORT/metrics
systemd-socket-activate -l 127.0.0.1:$PORT --fdname=metrics -- \
        "$L3AFD" --root="$ROOT" --log-target=console --log-level=debug --bus-address="$PLAIN_BUS" \
        >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do grep -q "Listening on" "$T/daemon.log" && break; sleep 0.05; done
[ "$(log_count "l3afd started")" = 0 ] || fail "l3afd started before anyone connected"
curl -m 10 -sf -o "$T/first.txt" "$URL" || fail "the first scrape was not answered"
echo "ok - the first scrape started l3afd through the socket and was answered"
wait_log "l3afd started"
wait_log "Kernel statistics on"

send 1000 5001
send 700 5002
send 300 5003
SENT=2000
sleep 0.3

# 1 and 2: l3afctl stats --json against the kernel's own maps.
ctl --json stats l3t0 xdp > "$T/stats.json" || fail "l3afctl stats failed"
bpftool -j map dump pinned "$(prog_maps l3t0 xdp count)/stats" > "$T/count.json"
bpftool -j map dump pinned "$(prog_maps l3t0 xdp portcount)/port_stats" > "$T/ports.json"
python3 - "$T/stats.json" "$T/count.json" "$T/ports.json" "$SENT" <<'PY' || fail "statistics differ from the maps"
import json, sys
st = json.load(open(sys.argv[1]))[0]
count = json.load(open(sys.argv[2]))
ports = json.load(open(sys.argv[3]))
sent = int(sys.argv[4])
def metric(program, name, key=None):
    for p in st["programs"]:
        if p["name"] == program:
            for m in p["metrics"]:
                if m["name"] == name and m.get("key") == key:
                    return m["value"]
    raise SystemExit(f"no metric {program}/{name} key {key} in {st}")
def check(what, got, want):
    if got != want:
        raise SystemExit(f"{what}: got {got}, expected {want}")
    print(f"ok - {what} ({got})")
check("kernel statistics on", st["kernel_statistics"], True)
check("packets entering the chain = packets sent", st["packets"], sent)
if not st["run_time_ns"] > 0:
    raise SystemExit("run time is zero")
print(f"ok - run time per packet is not zero ({st['run_time_ns'] / st['packets']:.1f} ns)")
check("programs in order", [p["name"] for p in st["programs"]], ["count", "portcount", "sink"])
# The per-CPU array, summed over the CPUs as bpftool shows them.
pk = sum(v["value"]["packets"] for v in count[0]["formatted"]["values"])
by = sum(v["value"]["bytes"] for v in count[0]["formatted"]["values"])
check("per-CPU metric = the map read directly", metric("count", "packets_seen", "0"), pk)
check("... = the packets sent", pk, sent)
check("per-CPU metric over all keys (bytes)", metric("count", "bytes_seen", "0"), by)
# The hash map, several keys.
direct = {e["formatted"]["key"]: e["formatted"]["value"] for e in ports}
for port, n in ((5001, 1000), (5002, 700), (5003, 300)):
    check(f"hash metric, key {port} = the map", metric("portcount", "udp_packets", str(port)), direct[port]["packets"])
    check(f"... = the packets sent to {port}", direct[port]["packets"], n)
check("hash metric summed over all keys", metric("portcount", "udp_bytes"), sum(v["bytes"] for v in direct.values()))
check("signed gauge", metric("portcount", "udp_last_length", "5001"), direct[5001]["last_len"])
PY

ctl stats l3t0 > "$T/stats.txt" || fail "l3afctl stats (table) failed"
cat "$T/stats.txt"
assert_contains "$T/stats.txt" "packets $SENT" "the table shows the chain's packets"
grep -Eq "udp_packets +5001 +1000" "$T/stats.txt" || fail "the table lacks udp_packets 5001 1000"
echo "ok - the table shows each declared metric"

# 3: Prometheus over the activated socket.
curl -m 10 -sf -D "$T/headers" -o "$T/metrics.txt" "$URL" || fail "scrape failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/headers" || fail "content type: $(cat "$T/headers")"
promtool check metrics < "$T/metrics.txt" > "$T/promtool.txt" 2>&1 || { cat "$T/promtool.txt"; fail "promtool check metrics refused the output"; }
echo "ok - promtool check metrics accepts the output"
assert_contains "$T/metrics.txt" "l3afd_chain_packets_total{interface=\"l3t0\",hook=\"xdp\"} $SENT" "chain packets on the endpoint"
assert_contains "$T/metrics.txt" "l3af_udp_packets_total{interface=\"l3t0\",hook=\"xdp\",program=\"portcount\",key=\"5002\"} 700" "a keyed metric on the endpoint"
assert_contains "$T/metrics.txt" "l3af_packets_seen_total{interface=\"l3t0\",hook=\"xdp\",program=\"count\",key=\"0\"} $SENT" "a per-CPU metric on the endpoint"
assert_contains "$T/metrics.txt" 'l3afd_chains{state="live"} 1' "chains by state"
assert_contains "$T/metrics.txt" "l3afd_build_info{version=" "build info"
id=$("$TESTTOOL" chain-ids "$(chain_dir l3t0)" | awk '{print $2}')
assert_contains "$T/metrics.txt" "l3afd_program_info{interface=\"l3t0\",hook=\"xdp\",program=\"portcount\",id=\"$id\",position=\"2\",package=\"\",version=\"\"} 1" "program info, with the id the kernel shows"
for m in POST PUT DELETE PATCH HEAD OPTIONS; do
        if [ "$m" = HEAD ]; then how=--head; else how="-X $m"; fi
        code=$(curl -m 10 -s -o /dev/null -D "$T/h-$m" -w '%{http_code}' $how "$URL")
        assert_eq "$code" 405 "$m $URL is refused"
        grep -qi '^allow: GET' "$T/h-$m" || fail "$m: no Allow: GET"
done
code=$(curl -m 10 -s -o /dev/null -w '%{http_code}' -X POST --data 'x=1' "$URL")
assert_eq "$code" 405 "POST with a body is refused"
assert_eq "$(curl -m 10 -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" 404 "GET / is not found"

# 4: l3afctl stats --watch in a terminal, as a person sees it.
GEN=$(send_bg 5001 2000 "$T/bg")
tmux -L l3af-test new-session -d -x 150 -y 40 "$L3AFCTL --address=$PLAIN_BUS stats --watch=0.5 l3t0"
sleep 2.5
tmux -L l3af-test capture-pane -p > "$T/pane1.txt"
sleep 1
tmux -L l3af-test capture-pane -p > "$T/pane2.txt"
tmux -L l3af-test kill-server
send_stop "$GEN"
cat "$T/pane2.txt"
assert_eq "$(grep -c 'l3afctl stats, every 0.5 s' "$T/pane2.txt")" 1 "one header on screen: redrawn in place, not scrolled"
[ "$(head -1 "$T/pane2.txt")" != "$(head -1 "$T/pane1.txt")" ] || fail "the screen was not redrawn (same clock)"
echo "ok - the pane changes from one refresh to the next"
grep -Eq "udp_packets +5001 +[0-9]+ +[1-9][0-9.]*/s" "$T/pane2.txt" || fail "no non-zero rate for port 5001 in the pane"
echo "ok - rates are shown"
grep -Eq "packets [0-9]+ \([1-9][0-9.]*/s\)" "$T/pane2.txt" || fail "no chain packet rate in the pane"
echo "ok - the chain's packet rate is shown"

# 5: bad declarations are refused; the chain keeps its generation and programs.
GEN0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["generation"])' "$T/stats.json")
IDS0=$(chain_ids l3t0)
cp "$DROPINS/20-portcount.conf" "$T/portcount.good"
bad() {  # bad WHAT PATTERN: the drop-in as it is now must be refused, naming PATTERN
        daemon_reload
        grep -F -- "$2" "$T/daemon.log" | tail -1 | contains . || fail "$1: no error naming '$2'"
        echo "ok - $1 is refused: $(grep -F -- "$2" "$T/daemon.log" | tail -1 | sed 's/^.*\(20-portcount\)/\1/')"
        assert_eq "$(chain_ids l3t0)" "$IDS0" "$1: the chain's programs are the same"
        assert_eq "$(ctl --json stats l3t0 xdp | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["generation"])')" \
                "$GEN0" "$1: the chain keeps its generation"
        cp "$T/portcount.good" "$DROPINS/20-portcount.conf"
}
sed -i 's/^Map=port_stats$/Map=no_such_map/' "$DROPINS/20-portcount.conf"
bad "no such map" "20-portcount.conf: [Metric udp_packets] Map=: no map 'no_such_map'"
sed -i 's/^Key=5001;5002;5003$/Key=5001;notaport/' "$DROPINS/20-portcount.conf"
bad "a key that does not parse" "20-portcount.conf: [Metric udp_packets] Key=: key 'notaport'"
sed -i 's/^Field=packets$/Field=no_such_field/' "$DROPINS/20-portcount.conf"
bad "a field not in the value's BTF" "20-portcount.conf: [Metric udp_packets] Field=: no member 'no_such_field' in the map's value (members: packets, bytes, last_len, pad)"
cp "$DROPINS/10-count.conf" "$T/count.good"
sed -i 's/^Key=0$/Key=1/' "$DROPINS/10-count.conf"
daemon_reload
assert_contains "$T/daemon.log" "10-count.conf: [Metric packets_seen] Key=: index 1 is out of range (map 'stats' has 1 entries)" "a key out of range is refused"
assert_eq "$(chain_ids l3t0)" "$IDS0" "key out of range: the chain's programs are the same"
cp "$T/count.good" "$DROPINS/10-count.conf"
sed -i 's/^Type=gauge$/Type=histogram/' "$DROPINS/20-portcount.conf"
bad "an unknown type" "20-portcount.conf: [Metric udp_last_length] Type=: unknown type 'histogram'"
# Still served as before, and a good reload applies again.
curl -m 10 -sf "$URL" | contains 'l3af_udp_packets_total{interface="l3t0",hook="xdp",program="portcount",key="5001"} ' || fail "the metrics are gone after refused reloads"
echo "ok - the running generation's metrics are still served"
daemon_reload
assert_contains "$T/metrics.txt" "l3afd_reloads_total" "reload counter exposed"
curl -m 10 -sf "$URL" > "$T/metrics2.txt"
grep -q '^l3afd_reload_failures_total 5$' "$T/metrics2.txt" || fail "reload failures: $(grep reload "$T/metrics2.txt")"
grep -q '^l3afd_reloads_total 6$' "$T/metrics2.txt" || fail "reloads: $(grep reload "$T/metrics2.txt")"
echo "ok - reloads and reload failures are counted"
promtool check metrics < "$T/metrics2.txt" || fail "promtool check metrics refused the output"

# A change to [Metric] groups alone loads nothing and takes effect at the reload.
printf '\n[Metric bytes_again]\nMap=stats\nKey=0\nField=bytes\nType=gauge\n' >> "$DROPINS/10-count.conf"
daemon_reload
assert_eq "$(chain_ids l3t0)" "$IDS0" "a new metric loads no program"
curl -m 10 -sf "$URL" > "$T/metrics3.txt"
grep -q '^# TYPE l3af_bytes_again gauge$' "$T/metrics3.txt" || fail "the new metric is not served"
grep -q '^l3af_bytes_again{interface="l3t0",hook="xdp",program="count",key="0"} [1-9]' "$T/metrics3.txt" || \
        fail "the new metric has no value: $(grep bytes_again "$T/metrics3.txt")"
echo "ok - a metric added to a drop-in is served after the reload, with no program reloaded"
