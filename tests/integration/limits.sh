#!/bin/bash
# The kernel allows 33 tail calls: our root plus 32 programs. A chain of
# exactly 32 passes every packet through all 32; the 33rd is refused (see
# badinput.sh) before anything is loaded.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
for i in $(seq -w 1 32); do
        program_dropin "$i" "c$i" l3t0 "$i" "$SAMPLES/count.bpf.o"
done
daemon_start
assert_eq "$(chain_ids l3t0 | wc -w)" 32 "a chain of 32 programs is live"
send 250 5555
for i in $(seq -w 1 32); do
        n=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp "c$i")/stats" 0)
        [ "$n" = 250 ] || fail "program c$i (number $i) saw $n packets, not 250"
done
echo "ok - every one of the 32 programs saw all 250 packets"
