#!/bin/bash
# Acceptance 1: a chain of three sample programs on XDP passes real packets;
# each program's counter equals the number sent; the dropper drops exactly the
# configured port. A second interface runs its own chain in generic mode.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1

sample_chain l3t0
program_dropin 40-generic count l3t1 10 "$SAMPLES/count.bpf.o" "Mode=generic
"

daemon_start

ids=$(chain_ids l3t0)
assert_eq "$(echo $ids | wc -w)" 3 "three programs in the l3t0 chain"
assert_ne "$(xdp_id l3t0)" 0 "a program is attached to l3t0"
assert_eq "$(xdp_id l3t0)" "$(entry_id l3t0)" "the attached program is the chain's head instance, no root in front"
ip link show l3t0 | sed -n 1p | contains -w xdp || fail "l3t0: not attached in native mode"
ip link show l3t1 | sed -n 1p | contains -w xdpgeneric || fail "l3t1: Mode=generic did not attach in generic mode"
echo "ok - modes: l3t0 native, l3t1 generic"

send 500 5555
send 300 7777
send 200 5555 20000 1

assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 800 "count saw every packet sent"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 0)" 800 "portdrop saw every packet"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp portdrop)/portdrop_stats" 1)" 300 "portdrop dropped exactly port 7777"
assert_eq "$("$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp sink)/sink_protocols" 17 0)" 500 "sink saw the 500 packets that passed"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp count)/stats" 0)" 200 "the generic-mode chain counted its own traffic"
