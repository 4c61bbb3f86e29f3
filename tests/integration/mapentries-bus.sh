#!/bin/bash
# Issue 9, item 8, through the API: SetMapEntry and DeleteMapEntry (l3afctl
# map set/delete) agree with hand edits of the drop-ins. An entry the API
# declared is taken out when a hand edit removes it; an entry the API deleted
# is forgotten, so when the program later writes that key itself, no reload
# touches it; deleting an entry the program wrote touches no drop-in.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_setup
veth_add l3t1 l3p1 1
FILTER="$DROPINS/10-filter-l3t1.conf"
program_dropin 10-filter-l3t1 filter l3t1 10 "$TESTBPF/portfilter.bpf.o" "Type=xdp
Entry=_xdp_portfilter
NextMap=xdp_pf_ingress_next_prog

[Map pf_ports]
7777=1
"
program_dropin 30-sink-l3t1 sink l3t1 30 "$SAMPLES/sink.bpf.o"
PORTS="$(chain_dir l3t1)/maps/pf_ports"
bus_daemon_start

ctl() { "$L3AFCTL" --no-ask-password "$@"; }
has() { "$TESTTOOL" has "$PORTS" "$1"; }
sink_udp() { "$TESTTOOL" get-u64 "$(prog_maps l3t1 xdp sink)/sink_protocols" 17 0; }
through() {  # through PORT: of 200 packets sent to PORT, how many reached the sink
        local before after
        before=$(sink_udp)
        send 200 "$1" 20000 1
        sleep 0.2
        after=$(sink_udp)
        echo $((after - before))
}

assert_eq "$(through 7777)" 0 "the declared 7777 is dropped"
assert_eq "$(through 5555)" 200 "5555 passes"
assert_eq "$(has 5555)" 1 "the program wrote 5555 itself"

# map set declares the entry in the drop-in; removing it by hand takes it out.
ctl map set l3t1 xdp filter pf_ports 8888 1
assert_matches "$FILTER" '^8888=1$' "map set declared 8888 in the program's drop-in"
assert_eq "$(through 8888)" 0 "8888 is dropped"
sed -i '/^8888=/d' "$FILTER"
daemon_reload
assert_eq "$(has 8888)" 0 "removed from the drop-in by hand, the entry map set declared is deleted"
assert_eq "$(through 8888)" 200 "8888 passes"

# map delete of a declared entry: out of the drop-in and the kernel, and forgotten.
ctl map delete l3t1 xdp filter pf_ports 7777
grep -q '^7777=' "$FILTER" && fail "map delete left 7777 in $FILTER"
echo "ok - map delete removed 7777 from the drop-in"
assert_eq "$(has 7777)" 0 "map delete removed 7777 from the kernel"
assert_eq "$(through 7777)" 200 "7777 passes"
assert_eq "$(has 7777)" 1 "the program then writes 7777 itself"
daemon_reload
assert_eq "$(has 7777)" 1 "a reload leaves the program's 7777 alone: map delete left no record of it"

# map delete of an entry the program wrote: out of the kernel only.
before=$(sha256sum "$FILTER")
ctl map delete l3t1 xdp filter pf_ports 5555
assert_eq "$(has 5555)" 0 "map delete removed the program's 5555 from the kernel"
assert_eq "$(sha256sum "$FILTER")" "$before" "and left the drop-in as it was"
assert_eq "$(has 8888)" 1 "the program's 8888 is untouched"
