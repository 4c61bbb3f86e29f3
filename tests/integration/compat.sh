#!/bin/bash
# Acceptance 4: a program written in L3AF's style (non-standard section name,
# its own next map with a custom name, maps pinned by name) chains unchanged
# between two of ours. Its pin-by-name maps live under our pin root, never at
# /sys/fs/bpf/<name>; its config map is written from the drop-in and a config
# change takes effect without reloading any program.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0

program_dropin 10-before before l3t0 10 "$SAMPLES/count.bpf.o"
program_dropin 20-ratelimit ratelimiting l3t0 20 "$TESTBPF/l3af_style.bpf.o" "Type=xdp
Entry=_xdp_ratelimiting
NextMap=xdp_rl_ingress_next_prog

[Map rl_config_map]
0=1000
"
program_dropin 30-after after l3t0 30 "$SAMPLES/count.bpf.o"

daemon_start
ids=$(chain_ids l3t0)
assert_eq "$(echo $ids | wc -w)" 3 "the L3AF-style program chains between two of ours"

send 400 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp before)/stats" 0)" 400 "the program before it saw every packet"
assert_eq "$("$TESTTOOL" sum "$(chain_dir l3t0)/maps/rl_recv_count_map" 0)" 400 "the L3AF program saw every packet"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp after)/stats" 0)" 400 "its custom next map led to the program after it"

assert_eq "$("$TESTTOOL" get-u64 "$(chain_dir l3t0)/maps/rl_config_map" 0 0)" 1000 "the drop-in's [Map rl_config_map] entry is in place"
for m in rl_config_map rl_recv_count_map xdp_rl_ingress_next_prog; do
        [ ! -e "$ROOT/sys/fs/bpf/$m" ] || fail "$m was pinned at the bpffs root"
done
echo "ok - nothing pinned at <bpffs>/<name>"
[ ! -e "$(chain_dir l3t0)/maps/xdp_rl_ingress_next_prog" ] || fail "the next map was pinned by name (it must be per instance)"
echo "ok - the custom next map is per instance, not pinned by name"

# Config changes go to the pinned map; no program is reloaded.
sed -i 's/^0=1000$/0=0/' "$DROPINS/20-ratelimit.conf"
daemon_reload
assert_eq "$("$TESTTOOL" get-u64 "$(chain_dir l3t0)/maps/rl_config_map" 0 0)" 0 "the config change reached the map"
assert_eq "$(chain_ids l3t0)" "$ids" "no program was reloaded for a config change"
send 100 5555
assert_eq "$("$TESTTOOL" sum "$(chain_dir l3t0)/maps/rl_recv_count_map" 0)" 500 "the L3AF program kept its counter"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp after)/stats" 0)" 400 "with limit 0 it drops, so nothing reaches the next program"

# A program written for multi-buffer XDP (SEC("xdp.frags"), which libbpf loads
# with BPF_F_XDP_HAS_FRAGS) chains too: the kernel only lets programs that
# agree on frags tail-call each other, so l3afd loads it single-buffer, like
# the rest of the chain. It sees every packet, whole.
veth_add l3t1 l3p1 1
program_dropin 40-count1 count1 l3t1 10 "$SAMPLES/count.bpf.o"
program_dropin 41-frags frags l3t1 20 "$TESTBPF/fragcount.bpf.o"
program_dropin 42-sink1 sink1 l3t1 30 "$SAMPLES/sink.bpf.o"
daemon_reload
assert_eq "$(echo $(chain_ids l3t1) | wc -w)" 3 "an xdp.frags program chains between two single-buffer ones"
send 250 5555 20000 1
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp frags)/stats" 0)" 250 "it saw every packet"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp frags)/stats" 1)" \
        "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp count1)/stats" 1)" "its byte count (bpf_xdp_get_buff_len) matches the program before it"
assert_eq "$("$TESTTOOL" get-u64 "$(prog_maps l3t1 xdp sink1)/sink_protocols" 17 0)" 250 "and the chain went on after it (UDP at the sink)"
