#!/bin/bash
# Issue 9, item 5, for packages: an upgrade from package mapdef 1.0.0 to 2.0.0,
# whose md_config has another value size and whose chain-wide md_flows has
# another max_entries, is announced by --check and goes live with fresh maps
# for those two (the drop-in's [Map] entry written to the new md_config),
# while md_stats and md_seen keep their counts and traffic goes on.
source "$(dirname "$0")/lib.sh"
source "$L3AF_SOURCE/tests/package/pki.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
REPO="$T/repo"
make_pki "$T/pki"
mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\n' > "$ROOT/etc/l3af/l3afd.conf"
for v in 1.0.0:mapdef 2.0.0:mapdef_v2; do
        mkdir -p "$REPO/mapdef/${v%%:*}"
        $PY "$L3AF_SOURCE/tests/package/make-package.py" "$REPO/mapdef/${v%%:*}/mapdef.tar.gz" good mapdef "${v%%:*}" \
                "$TESTBPF/${v#*:}.bpf.o" mapdef md_next_prog
        sign_openssl "$REPO/mapdef/${v%%:*}/mapdef.tar.gz" signer
done

mapinfo() { bpftool -j map show pinned "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
entries() { bpftool -j map dump pinned "$1" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"; }
md() {  # md VERSION
        printf '[Program]\nName=md\nInterface=l3t0\nHook=xdp\nPriority=20\nPackage=mapdef\nVersion=%s\nRepository=file://%s\n\n[Map md_config]\n0={drop_port=7777}\n' \
                "$1" "$REPO" > "$DROPINS/20-md.conf"
}
sinks() { "$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp sink)/sink_protocols" 17 0; }

veth_add l3t0 l3p0 0
D=$(chain_dir l3t0)
CONFIG="$(prog_maps l3t0 xdp md)/md_config"
STATS="$(prog_maps l3t0 xdp md)/md_stats"
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
md 1.0.0
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"
daemon_start
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "count -> md (package mapdef 1.0.0) -> sink runs"
send 100 5555
send 20 7777
assert_eq "$(sinks)" 100 "md drops port 7777"
STATS_ID=$(mapinfo "$STATS" id) SEEN_ID=$(mapinfo "$D/maps/md_seen" id)
CONFIG_ID=$(mapinfo "$CONFIG" id) FLOWS_ID=$(mapinfo "$D/maps/md_flows" id)

md 2.0.0
rc=0; "$L3AFD" --check --root="$ROOT" > "$T/check.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/check.out"
assert_eq "$rc" 0 "--check accepts the upgrade to 2.0.0"
assert_contains "$T/check.out" "map 'md_config' of program 'md' will be recreated: value size 8 -> 16" "--check announces md_config"
assert_contains "$T/check.out" "chain-wide map 'md_flows' will be recreated: max entries 64 -> 128" "--check announces md_flows"
ids=$(chain_ids l3t0)
daemon_reload
assert_contains "$T/daemon.log" "Package mapdef 2.0.0 for md verified" "2.0.0 is verified"
assert_eq "$(log_count "Chain l3t0/xdp change failed")" 0 "no change failed"
assert_ne "$(chain_ids l3t0)" "$ids" "2.0.0 went live"
assert_eq "$(mapinfo "$CONFIG" bytes_value)" 16 "md_config has the new value size"
assert_ne "$(mapinfo "$CONFIG" id)" "$CONFIG_ID" "in a fresh map"
assert_eq "$("$TESTTOOL" get-u64 "$CONFIG" 0 0)" 7777 "holding the drop-in's entry"
assert_eq "$(mapinfo "$D/maps/md_flows" max_entries)" 128 "md_flows has the new max_entries"
assert_ne "$(mapinfo "$D/maps/md_flows" id)" "$FLOWS_ID" "in a fresh map"
assert_eq "$(entries "$D/maps/md_flows")" 0 "which is empty"
assert_eq "$(mapinfo "$STATS" id)" "$STATS_ID" "md_stats is the same map"
assert_eq "$(mapinfo "$D/maps/md_seen" id)" "$SEEN_ID" "md_seen is the same map"
assert_eq "$(find "$PINS" -name '*:new' | wc -l)" 0 "no staged map is left"
send 100 5555
send 20 7777
assert_eq "$("$TESTTOOL" sum "$STATS")" 240 "md_stats counts on from 120"
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" 240 "md_seen counts on from 120"
assert_eq "$(sinks)" 200 "traffic continues, port 7777 still dropped"
assert_eq "$(entries "$D/maps/md_flows")" 1 "the fresh md_flows fills"
