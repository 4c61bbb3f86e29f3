#!/bin/bash
# Issue 13, acceptance 1: with [Daemon] Statistics=programs, each program of a
# chain under real traffic has a run count equal to the packets that reached
# it, and a run time per packet that is not zero (the kernel counts only the
# root: a tail call enters a program without counting it).
#  1. XDP and tc-ingress chains count -> portdrop (drops port 7777) -> a
#     third program: UDP packets through a veth, 600 to port 5001 and 400 to
#     port 7777; the first two programs run 1000 times, the third 600.
#     l3afctl stats --json and the table, GetStatistics and the Prometheus
#     endpoint (promtool check metrics) say so.
#  2. The counts survive a change of the chain (a program inserted, which
#     starts at 0) and a restart of l3afd (adopted from the pins, nothing
#     reloaded); a program that leaves the chain and comes back starts at 0.
#  3. A chain of 17 programs cannot count each (33 tail calls per packet): it
#     runs, passes traffic, its root still counts the chain, the journal says
#     why once, and stats, the bus and the endpoint say per-program counts
#     are unavailable for it. Down to 16, it counts.
#  4. A multi-buffer chain (MTU 9000, native) counts its jumbo frames: the
#     hops agree with its programs on frags.
#  5. Statistics=yes (the kernel's chain totals only) after a restart: the
#     chain runs the plain root and no hop, as before counting existed, and
#     says its programs are not counted; Statistics=programs again counts
#     from zero.
#  6. l3afd killed in the middle of a change (staged, switched), or of the
#     root swap that turns counting on or off: the next start adopts what
#     runs, hops included, and the counts go on.
#  7. A counting root whose counting maps lost their pins (not l3afd's
#     doing): the chain is left running exactly as it is and reported, the
#     other chains apply.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool (Debian: prometheus) is missing"
command -v curl >/dev/null || skip "curl is missing"

L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
plain_bus_start
ctl() { "$L3AFCTL" --address="$PLAIN_BUS" "$@"; }
PORT=9465
URL=http://127.0.0.1:$PORT/metrics
start() {
        local n l
        n=$(log_count "l3afd started")
        l=$(log_count "Listening on")
        systemd-socket-activate -l 127.0.0.1:$PORT --fdname=metrics -- \
                "$L3AFD" --root="$ROOT" --log-target=console --log-level=debug --bus-address="$PLAIN_BUS" \
                >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        for _ in $(seq 100); do [ "$(log_count "Listening on")" -gt "$l" ] && break; sleep 0.05; done
        curl -m 20 -sf -o /dev/null "$URL" || fail "the endpoint did not answer"
        wait_log "l3afd started" $((n + 1))
}

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1
veth_add l3t2 l3p2 2
printf '[Daemon]\nStatistics=programs\n' > "$ROOT/etc/l3af/l3afd.conf"

sample_chain l3t0 7777
# tc-ingress: count -> portdrop -> count (as "tally")
for spec in "10 count count" "20 portdrop portdrop" "30 tally count"; do
        set -- $spec
        printf '[Program]\nName=%s\nInterface=l3t1\nHook=tc-ingress\nPriority=%s\nObject=%s\n' "$2" "$1" \
                "$SAMPLES/$3.bpf.o" > "$DROPINS/$1-$2-l3t1.conf"
done
printf '\n[Map portdrop_config]\n0={port=7777, enabled=1}\n' >> "$DROPINS/20-portdrop-l3t1.conf"
veth_add l3t3 l3p3 3
ip link set l3t3 mtu 9000; in_peer ip link set l3p3 mtu 9000
program_dropin 10-f1-l3t3 f1 l3t3 10 "$TESTBPF/fragcount.bpf.o"
program_dropin 20-f2-l3t3 f2 l3t3 20 "$TESTBPF/fragcount.bpf.o"
# 17 programs: more than a packet's 33 tail calls allow to count each.
for i in $(seq 10 26); do program_dropin "$i-c$i-l3t2" "c$i" l3t2 "$i" "$SAMPLES/count.bpf.o"; done

start

send 600 5001 20000 0
send 400 7777 20000 0
send 600 5001 20000 1
send 400 7777 20000 1
send 500 5001 20000 2
UDPGEN_SIZE=8000 send 50 5001 20000 3
sleep 0.3

# check_runs HOOK IFACE "NAME=RUNS ..." WHAT: l3afctl stats --json against the expected runs.
check_runs() {
        ctl --json stats "$2" "$1" > "$T/stats.json" || fail "l3afctl stats $2 $1 failed"
        python3 - "$T/stats.json" "$3" "$4" <<'PY' || fail "$4: wrong per-program counts: $(cat "$T/stats.json")"
import json, sys
st = json.load(open(sys.argv[1]))[0]
want = dict(kv.split("=") for kv in sys.argv[2].split())
got = {p["name"]: p for p in st["programs"]}
if [p["name"] for p in st["programs"]] != list(want):
    raise SystemExit(f"programs {list(got)}, expected {list(want)}")
for name, runs in want.items():
    p = got[name]
    if p.get("runs") != int(runs):
        raise SystemExit(f"{name}: runs {p.get('runs')}, expected {runs}")
    if int(runs) > 0 and not p["run_time_ns"] > 0:
        raise SystemExit(f"{name}: run time 0 for {runs} runs")
    print(f"ok - {sys.argv[3]}: {name} ran {runs} times, {p['run_time_ns'] / max(p['runs'], 1):.1f} ns per run")
if "programs_not_counted" in st:
    raise SystemExit("a counted chain says its programs are not counted")
PY
}

# 1. Counts as the packets went.
check_runs xdp l3t0 "count=1000 portdrop=1000 sink=600" "xdp"
check_runs tc-ingress l3t1 "count=1000 portdrop=1000 tally=600" "tc-ingress"
ctl stats l3t0 xdp > "$T/table.txt" || fail "l3afctl stats (table) failed"
cat "$T/table.txt"
grep -Eq "^  sink +[0-9]+ +600 +[0-9]+\.[0-9]" "$T/table.txt" || fail "the table lacks sink's 600 runs and ns/run"
echo "ok - the table shows each program's runs and ns per run"

busctl --address="$PLAIN_BUS" --json=short call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetStatistics \
        ss l3t0 xdp > "$T/bus.json" || fail "GetStatistics failed"
python3 - "$T/bus.json" <<'PY' || fail "GetStatistics: $(cat "$T/bus.json")"
import json, sys
d = json.load(open(sys.argv[1]))["data"]
if len(d) != 9:
    raise SystemExit(f"{len(d)} out arguments, expected 9")
runs = {name: (n, ns) for name, n, ns in d[7]}
if runs["count"][0] != 1000 or runs["portdrop"][0] != 1000 or runs["sink"][0] != 600 or d[8] != "":
    raise SystemExit(f"program_runs {d[7]}, note {d[8]!r}")
print("ok - GetStatistics gives each program's runs and run time, after its first arguments")
PY

curl -m 10 -sf -o "$T/metrics.txt" "$URL" || fail "scrape failed"
promtool check metrics < "$T/metrics.txt" || fail "promtool refuses the endpoint's output"
echo "ok - promtool check metrics accepts the per-program families"
assert_contains "$T/metrics.txt" 'l3afd_program_runs_total{interface="l3t0",hook="xdp",program="sink"} 600' "runs on the endpoint"
assert_contains "$T/metrics.txt" 'l3afd_program_runs_total{interface="l3t1",hook="tc-ingress",program="portdrop"} 1000' "tc runs on the endpoint"
grep -Eq '^l3afd_program_run_time_seconds_total\{interface="l3t0",hook="xdp",program="count"\} 0\.0*[1-9]' \
        "$T/metrics.txt" || fail "no run time for count on the endpoint"
echo "ok - run time on the endpoint"
assert_contains "$T/metrics.txt" 'l3afd_chain_programs_counted{interface="l3t0",hook="xdp"} 1' "the endpoint says the chain is counted"

# 3. The chain of 17.
ctl --json stats l3t2 xdp > "$T/long.json" || fail "l3afctl stats l3t2 failed"
python3 - "$T/long.json" <<'PY' || fail "chain of 17: $(cat "$T/long.json")"
import json, sys
st = json.load(open(sys.argv[1]))[0]
if len(st["programs"]) != 17 or any("runs" in p for p in st["programs"]):
    raise SystemExit("17 programs without runs expected")
if "16" not in st.get("programs_not_counted", ""):
    raise SystemExit("no reason given")
if st["packets"] != 500:
    raise SystemExit(f"the root counted {st['packets']}, expected 500")
print(f"ok - chain of 17: runs, the root counts 500 packets, programs not counted: {st['programs_not_counted']}")
PY
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t2 xdp c26)/stats")" 500 "chain of 17: its last program saw every packet"
assert_contains "$T/metrics.txt" 'l3afd_chain_programs_counted{interface="l3t2",hook="xdp"} 0' "the endpoint says the chain of 17 is not counted"
grep -q 'l3afd_program_runs_total{interface="l3t2"' "$T/metrics.txt" && fail "runs on the endpoint for the chain of 17"
assert_eq "$(log_count "Chain l3t2/xdp: 17 programs are too many to count each")" 1 "the journal says why, once"

# 2. A change of the chain: a program inserted between count and portdrop.
IDS0=$(chain_ids l3t0)
program_dropin 15-extra-l3t0 extra l3t0 15 "$SAMPLES/count.bpf.o"
daemon_reload
assert_ne "$(chain_ids l3t0)" "$IDS0" "the chain changed"
check_runs xdp l3t0 "count=1000 extra=0 portdrop=1000 sink=600" "after an insert"
send 100 5001 20000 0
sleep 0.2
check_runs xdp l3t0 "count=1100 extra=100 portdrop=1100 sink=700" "after an insert, under traffic"
daemon_reload
assert_eq "$(log_count "Chain l3t2/xdp: 17 programs are too many to count each")" 1 "... still once after a reload"

# ... and a restart of l3afd, which adopts the chains from their pins.
IDS1=$(chain_ids l3t0)
daemon_stop
start
assert_eq "$(chain_ids l3t0)" "$IDS1" "the restart reloaded nothing"
check_runs xdp l3t0 "count=1100 extra=100 portdrop=1100 sink=700" "after a restart"
check_runs tc-ingress l3t1 "count=1000 portdrop=1000 tally=600" "tc-ingress, after a restart"
send 50 7777 20000 0
sleep 0.2
check_runs xdp l3t0 "count=1150 extra=150 portdrop=1150 sink=700" "after a restart, under traffic"

# A program that leaves the chain loses its counts: back, it starts from 0; the others keep theirs.
rm "$DROPINS/15-extra-l3t0.conf"
daemon_reload
check_runs xdp l3t0 "count=1150 portdrop=1150 sink=700" "extra removed"
program_dropin 15-extra-l3t0 extra l3t0 15 "$SAMPLES/count.bpf.o"
daemon_reload
check_runs xdp l3t0 "count=1150 extra=0 portdrop=1150 sink=700" "extra back, from 0"

# 3, continued: down to 16 programs, the chain counts each.
rm "$DROPINS/26-c26-l3t2.conf"
daemon_reload
send 20 5001 20000 2
sleep 0.2
check_runs xdp l3t2 "$(for i in $(seq 10 25); do printf 'c%s=20 ' $i; done)" "16 programs"

# 4. Multi-buffer.
assert_contains "$T/daemon.log" "Chain l3t3/xdp generation 1 is live (multi-buffer)" "the jumbo chain runs multi-buffer"
check_runs xdp l3t3 "f1=50 f2=50" "multi-buffer, MTU 9000"

# 5. Statistics=yes, then programs again.
root_name() { bpftool -j prog show pinned "$(chain_dir "$1")/root" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])'; }
assert_eq "$(root_name l3t0)" l3af_count_xdp "counting: the counting root"
printf '[Daemon]\nStatistics=yes\n' > "$ROOT/etc/l3af/l3afd.conf"
daemon_stop
start
assert_eq "$(root_name l3t0)" l3af_root_xdp "Statistics=yes: the plain root"
assert_eq "$(find "$PINS" -name hop -o -name hop-next -o -name stats -path '*/xdp/stats' -o -name clock | wc -l)" 0 \
        "Statistics=yes: no hop, no counting map left"
assert_eq "$(echo $(chain_ids l3t0) | wc -w)" 4 "the chain has its 4 programs"
before=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats")
send 30 5001 20000 0
sleep 0.2
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats")" $((before + 30)) "traffic still flows through the chain"
ctl --json stats l3t0 xdp > "$T/off.json"
python3 -c 'import json,sys; st = json.load(open(sys.argv[1]))[0]; assert "Statistics=programs" in st["programs_not_counted"], st; assert st["packets"] == 30, st; assert not any("runs" in p for p in st["programs"]), st' \
        "$T/off.json" || fail "Statistics=yes: $(cat "$T/off.json")"
echo "ok - Statistics=yes: stats count the chain (the 30 packets of this start), and say its programs are not counted"
chain_packets() { ctl --json stats l3t0 xdp | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["packets"])'; }
# Traffic while the head changes (the link switches to a new head instance,
# and the kernel runs it before the switch returns): the total counts every
# packet, before, during and after.
before=$(chain_packets)
SENDER=$(send_bg 5001 5000 "$T/head-sent")
sleep 0.3
program_dropin 05-head-l3t0 head l3t0 5 "$SAMPLES/count.bpf.o"
daemon_reload
sleep 0.3
send_stop "$SENDER"
sleep 0.2
sent=$(cat "$T/head-sent")
[ "$sent" -gt 0 ] || fail "no traffic during the head change"
assert_eq "$(chain_packets)" $((before + sent)) "Statistics=yes: the total counts all $sent packets sent across a head change"
rm "$DROPINS/05-head-l3t0.conf"
daemon_reload
printf '[Daemon]\nStatistics=programs\n' > "$ROOT/etc/l3af/l3afd.conf"
daemon_stop
start
# The chain's totals are this start's: what the head counted under the last
# daemon is not carried into them (the counts would no longer agree).
assert_eq "$(chain_packets)" 0 "Statistics=programs again: the chain's total starts from zero"
send 10 5001 20000 0
sleep 0.2
check_runs xdp l3t0 "count=10 extra=10 portdrop=10 sink=10" "Statistics=programs again, from zero"
assert_eq "$(chain_packets)" 10 "Statistics=programs again: the chain's total is its head's runs"
check_runs tc-ingress l3t1 "count=0 portdrop=0 tally=0" "tc-ingress, Statistics=programs again, from zero"

# 6. Killed in the middle of changes. crash_run POINT: l3afd applies the drop-ins and dies at POINT.
crash_run() {
        local rc=0
        daemon_stop
        L3AF_TEST_CRASH_AT=$1 "$L3AFD" --root="$ROOT" --log-target=console --log-level=debug \
                --bus-address="$PLAIN_BUS" >>"$T/daemon.log" 2>&1 || rc=$?
        assert_eq "$rc" 137 "l3afd was killed at $1"
}
send 10 5001 20000 0
sleep 0.2
check_runs xdp l3t0 "count=20 extra=20 portdrop=20 sink=20" "before the crashes"
program_dropin 25-late-l3t0 late l3t0 25 "$SAMPLES/count.bpf.o"
crash_run change-staged
start
check_runs xdp l3t0 "count=20 extra=20 portdrop=20 late=0 sink=20" "killed with a change staged, then applied"
rm "$DROPINS/25-late-l3t0.conf"
crash_run change-switched
running=$(chain_ids l3t0)
lives=$(log_count "is live")
start
assert_eq "$(log_count "is live")" "$lives" "killed after a switch: the next start adopts it, nothing to change"
assert_eq "$(chain_ids l3t0)" "$running" "with the same programs"
send 10 5001 20000 0
sleep 0.2
check_runs xdp l3t0 "count=30 extra=30 portdrop=30 sink=30" "killed after a switch, adopted, under traffic"
for mode in yes programs; do
        printf '[Daemon]\nStatistics=%s\n' $mode > "$ROOT/etc/l3af/l3afd.conf"
        crash_run swap-switched
        lives=$(log_count "Chain l3t0/xdp generation .* is live")
        start
        assert_eq "$(log_count "Chain l3t0/xdp generation .* is live")" "$lives" \
                "Statistics=$mode, killed during l3t0's root swap: adopted as it runs"
done
assert_eq "$(root_name l3t0)" l3af_count_xdp "the counting root"
send 10 5001 20000 0
sleep 0.2
check_runs xdp l3t0 "count=10 extra=10 portdrop=10 sink=10" "counting again after a swap cut short"

# 7. The counting maps' pins gone from under a running counting chain.
daemon_stop
rm "$(chain_dir l3t0)/stats"
XDP0=$(xdp_id l3t0); IDS0=$(chain_ids l3t0)
start
assert_eq "$(chain_state l3t0 xdp)" failed "l3t0 is reported failed"
assert_contains "$T/daemon.log" "counts each program, but its counting maps are not pinned beside it" "with the reason"
assert_eq "$(xdp_id l3t0)" "$XDP0" "its root still runs"
assert_eq "$(chain_ids l3t0)" "$IDS0" "with its programs"
before=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats")
send 10 5001 20000 0
sleep 0.2
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats")" $((before + 10)) "and passes traffic"
check_runs tc-ingress l3t1 "count=0 portdrop=0 tally=0" "the other chains apply"

echo "PASS"
