#!/bin/bash
# The kernel allows 33 tail calls: our root plus 32 programs. A chain of
# exactly 32 passes every packet through all 32; the 33rd is refused (see
# badinput.sh) before anything is loaded. Chains are single-buffer XDP, so an
# interface whose MTU is too large for that gets a chain only in generic mode,
# and the error says so.
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

# Jumbo frames: veth refuses single-buffer native XDP above about 3500 bytes.
veth_add l3t1 l3p1 1
ip link set l3t1 mtu 9000
in_peer ip link set l3p1 mtu 9000
program_dropin 50-jumbo jumbo l3t1 10 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "the interface's MTU (9000) is too large for single-buffer XDP" "a jumbo MTU is named as the reason"
assert_contains "$T/daemon.log" "or use Mode=generic" "and the way out is given"
assert_eq "$(chain_ids l3t0 | wc -w)" 32 "the other chain is untouched"
echo "Mode=generic" >> "$DROPINS/50-jumbo.conf"
daemon_reload
send 100 5555 20000 1
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp jumbo)/stats" 0)" 100 "in generic mode the chain runs at MTU 9000"
