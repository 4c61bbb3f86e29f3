#!/bin/bash
# Issue 9, item 8: the drop-ins are the one source of truth for the map
# entries they declare. An entry a drop-in stops declaring is retracted (a
# hash entry deleted, an array element zeroed, on every CPU for a per-CPU
# array) on reload and on a start after SIGKILL, just as DeleteMapEntry does;
# entries a program wrote itself are never touched. Checked with real
# packets: a port the portdrop sample dropped passes again.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1

# sink_udp IFACE: UDP packets that reached the end of IFACE's chain
sink_udp() { "$TESTTOOL" get-u64 "$(prog_maps "$1" xdp sink)/sink_protocols" 17 0; }
# expect_pass IFACE NET PORT WHAT / expect_drop ...: send 200 packets, count what got through
through() {
        local before after
        before=$(sink_udp "$1")
        send 200 "$3" 20000 "$2"
        sleep 0.2
        after=$(sink_udp "$1")
        echo $((after - before))
}
expect_pass() { assert_eq "$(through "$1" "$2" "$3")" 200 "$4"; }
expect_drop() { assert_eq "$(through "$1" "$2" "$3")" 0 "$4"; }

portdrop_dropin() {  # portdrop_dropin [MAP GROUPS]: count -> portdrop -> sink on l3t0
        program_dropin 20-portdrop-l3t0 portdrop l3t0 20 "$SAMPLES/portdrop.bpf.o" "${1:-}"
}
CONFIG="
[Map portdrop_config]
0={port=7777, enabled=1}
"
STATS="
[Map portdrop_stats]
0={seen=1000000, dropped=0}
"

program_dropin 10-count-l3t0 count l3t0 10 "$SAMPLES/count.bpf.o"
portdrop_dropin "$CONFIG$STATS"
program_dropin 30-sink-l3t0 sink l3t0 30 "$SAMPLES/sink.bpf.o"

# l3t1: an L3AF-style port filter, whose hash map both l3afd and the program write.
filter_dropin() {  # filter_dropin PORTS...: the ports the drop-in declares to drop
        named_filter_dropin filter 10 "$@"
}
named_filter_dropin() {  # named_filter_dropin NAME PRIORITY PORTS...
        local name=$1 prio=$2 map=
        shift 2
        [ $# -gt 0 ] && map=$(printf '\n[Map pf_ports]\n'; printf '%s=1\n' "$@")
        program_dropin "$prio-$name-l3t1" "$name" l3t1 "$prio" "$TESTBPF/portfilter.bpf.o" "Type=xdp
Entry=_xdp_portfilter
NextMap=xdp_pf_ingress_next_prog
$map"
}
filter_dropin 7777 8888
program_dropin 30-sink-l3t1 sink l3t1 30 "$SAMPLES/sink.bpf.o"
PORTS="$(chain_dir l3t1)/maps/pf_ports"

daemon_start
ids0=$(chain_ids l3t0)

# --- An array element: [Map portdrop_config] 0= removed, reload ---
expect_drop l3t0 0 7777 "port 7777 is dropped while the drop-in declares it"
ncpu=$(nproc --all)
[ "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 0)" -ge 1000000 ] || \
        fail "the per-CPU entry was not written"
lives=$(log_count "is live")
portdrop_dropin "$STATS"
daemon_reload
expect_pass l3t0 0 7777 "after the [Map portdrop_config] entry is removed and a reload, port 7777 passes"
assert_eq "$(log_count "is live")" "$lives" "retracting an entry loads no new generation"
assert_eq "$(chain_ids l3t0)" "$ids0" "the chain's programs are the same"

# --- A per-CPU array element is zeroed on every CPU ---
portdrop_dropin ""
daemon_reload
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 0)" 0 \
        "the removed per-CPU entry is zero on all $ncpu CPUs"
expect_pass l3t0 0 7777 "port 7777 still passes"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 0)" 200 \
        "the program counts on from zero"

# --- The same across a SIGKILL, the entry removed while the daemon is down ---
portdrop_dropin "$CONFIG"
daemon_reload
expect_drop l3t0 0 7777 "declared again, port 7777 is dropped again"

# --- No error is licence to take anything out ---
# A change that fails (the verifier rejects a new program) keeps the running
# generation as it was, with its entries.
portdrop_dropin ""
program_dropin 15-reject-l3t0 reject l3t0 15 "$TESTBPF/reject.bpf.o"
daemon_reload
assert_eq "$(log_count "Chain l3t0/xdp change failed")" 1 "adding a program the verifier rejects fails"
expect_drop l3t0 0 7777 "the failed change took nothing out: 7777 is still dropped"
rm "$DROPINS/15-reject-l3t0.conf"
# A drop-in with an error blocks its chain: nothing is taken out either.
portdrop_dropin "
[Map portdrop_config]
1={port=7777, enabled=1}
"
daemon_reload
assert_contains "$T/daemon.log" "index 1 is out of range" "the bad entry is reported"
expect_drop l3t0 0 7777 "while its drop-in is invalid, the chain keeps 7777 dropped"
assert_eq "$(chain_ids l3t0)" "$ids0" "the chain kept its programs through both errors"
portdrop_dropin "$CONFIG"
daemon_reload
expect_drop l3t0 0 7777 "declared again, 7777 is dropped"
daemon_stop KILL
portdrop_dropin ""
expect_drop l3t0 0 7777 "while the daemon is down the data path keeps the entry"
daemon_start
expect_pass l3t0 0 7777 "a start after SIGKILL retracts the entry removed meanwhile: port 7777 passes"
assert_eq "$(chain_ids l3t0)" "$ids0" "without reloading any program"

# --- A hash map: declared entries are deleted, the program's own stay ---
expect_drop l3t1 1 7777 "l3t1 drops 7777"
expect_drop l3t1 1 8888 "l3t1 drops 8888"
expect_pass l3t1 1 5555 "l3t1 passes 5555"
assert_eq "$("$TESTTOOL" has "$PORTS" 5555)" 1 "the program recorded port 5555 itself"
filter_dropin 7777
daemon_reload
assert_eq "$("$TESTTOOL" has "$PORTS" 8888)" 0 "the entry 8888 the drop-in no longer declares is deleted"
assert_eq "$("$TESTTOOL" has "$PORTS" 7777)" 1 "the entry 7777 it still declares stays"
assert_eq "$("$TESTTOOL" has "$PORTS" 5555)" 1 "the entry 5555 the program wrote stays"
expect_pass l3t1 1 8888 "port 8888 passes"
expect_drop l3t1 1 7777 "port 7777 is still dropped"
assert_eq "$("$TESTTOOL" has "$PORTS" 8888)" 1 "the program then records 8888 as its own"
daemon_stop KILL
filter_dropin
daemon_start
assert_eq "$("$TESTTOOL" has "$PORTS" 7777)" 0 "after SIGKILL and a start without [Map pf_ports], 7777 is deleted"
assert_eq "$("$TESTTOOL" has "$PORTS" 8888)" 1 "the program's 8888 stays"
assert_eq "$("$TESTTOOL" has "$PORTS" 5555)" 1 "the program's 5555 stays"
expect_pass l3t1 1 7777 "port 7777 passes"

# --- A program that leaves the chain takes its entries in chain-wide maps along ---
# (filter2 shares the map and stays: a chain-wide map no program uses any more is
# released whole, see mapdef.sh.)
filter_dropin 6666
named_filter_dropin filter2 20
daemon_reload
assert_eq "$("$TESTTOOL" has "$PORTS" 6666)" 1 "6666 is declared"
rm "$DROPINS/10-filter-l3t1.conf"
daemon_reload
[ -e "$PORTS" ] || fail "the chain-wide map $PORTS is gone while filter2 still uses it"
assert_eq "$("$TESTTOOL" has "$PORTS" 6666)" 0 "the entry of a program that left the chain is deleted"
assert_eq "$("$TESTTOOL" has "$PORTS" 5555)" 1 "the program's own 5555 stays"

# --- A key two programs declare in the map they share stays until neither does ---
named_filter_dropin filter 10 4444
named_filter_dropin filter2 20 4444
daemon_reload
expect_drop l3t1 1 4444 "both declare 4444: dropped"
named_filter_dropin filter 10
daemon_reload
assert_eq "$("$TESTTOOL" has "$PORTS" 4444)" 1 "one stops declaring 4444: it stays, the other declares it"
expect_drop l3t1 1 4444 "4444 is still dropped"
named_filter_dropin filter2 20
daemon_reload
assert_eq "$("$TESTTOOL" has "$PORTS" 4444)" 0 "neither declares 4444: it is deleted"
expect_pass l3t1 1 4444 "4444 passes"

# Nothing else was disturbed, and nothing failed.
assert_eq "$(chain_ids l3t0)" "$ids0" "l3t0's programs were never reloaded"
assert_eq "$(log_count "change failed")" 1 "no other change failed"
