#!/bin/bash
# l3afd --check on a chain whose interface has a dot in its name (a veth
# named like a VLAN, l3t0.100): it reads the chain's pinned maps where the
# chain keeps them, under the encoded name (l3afd(8), PINS), so an upgrade
# that changes a map's definition is announced as for any other interface,
# and the chain is told apart from one on a plain name (l3t1) beside it.
source "$(dirname "$0")/lib.sh"

IF=l3t0.100
CH="$PINS/l3t0:2e100/xdp"

veth_add "$IF" l3p0 0
veth_add l3t1 l3p1 1

md_dropin() {  # md_dropin IFACE OBJECT
        program_dropin "20-md-$1" md "$1" 20 "$2" "Type=xdp
Entry=mapdef
NextMap=md_next_prog

[Map md_config]
0={drop_port=7777}
"
}

md_dropin "$IF" "$TESTBPF/mapdef.bpf.o"
md_dropin l3t1 "$TESTBPF/mapdef.bpf.o"
daemon_start
assert_eq "$(chain_ids "l3t0:2e100" | wc -w)" 1 "md runs on $IF, pinned under $CH"
assert_eq "$(chain_ids l3t1 | wc -w)" 1 "and on l3t1"
[ -e "$CH/programs/md/maps/md_config" ] || fail "md_config is pinned under $CH"

info "an upgrade of md on $IF only changes md_config's value size and md_flows' max_entries"
md_dropin "$IF" "$TESTBPF/mapdef_v2.bpf.o"
rc=0; "$L3AFD" --check --root="$ROOT" > "$T/check.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/check.out"
assert_eq "$rc" 0 "--check accepts the upgrade"
assert_eq "$(grep -c "map 'md_config' of program 'md' will be recreated: value size 8 -> 16" "$T/check.out")" 1 \
        "--check says md_config of $IF's chain will be recreated, once (l3t1's keeps its map)"
assert_eq "$(grep -c "chain-wide map 'md_flows' will be recreated: max entries 64 -> 128" "$T/check.out")" 1 \
        "and md_flows"
assert_eq "$(grep "will be recreated" "$T/check.out" | grep -c "/20-md-$IF.conf: ")" 2 "both in $IF's drop-in"
grep "will be recreated" "$T/check.out" | contains "20-md-l3t1" && fail "--check announces l3t1's maps as recreated"
exit 0
