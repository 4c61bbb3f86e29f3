#!/bin/bash
# Issue 9, items 5 and 6: upgrades that change a pinned map's definition, and
# maps pinned by name that outlive their programs.
#
# An object whose map has another value size or max_entries than the pinned
# one gets a fresh map (--check says so beforehand), staged and put in place
# once the new generation is live, with the drop-in's [Map] entries and a
# journal entry naming the old and new definitions; the other maps keep their
# contents and traffic goes on. A crash on either side of the switch leaves
# every pin consistent with what runs. Programs of a chain that pin one map by
# name with different definitions are refused, naming both. A map no program
# of the chain declares any more is released: re-adding its program starts
# from a fresh map, and another layout under that name loads.
source "$(dirname "$0")/lib.sh"

journal_start
export L3AF_LOG_TARGET=console+journal
MAP_RECREATED=58d3c8a3679940f78ea544611217301c

veth_add l3t0 l3p0 0
D=$(chain_dir l3t0)

# mapinfo PIN FIELD: a field of the pinned map as bpftool shows it (id, value, max_entries, ...)
mapinfo() { bpftool -j map show pinned "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
# entries PIN: how many keys the pinned map holds
entries() { bpftool -j map dump pinned "$1" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"; }
map_gone() {  # map_gone ID: the kernel freed the map (within 5 s)
        for _ in $(seq 100); do bpftool map show id "$1" >/dev/null 2>&1 || return 0; sleep 0.05; done
        return 1
}
no_staged() { assert_eq "$(find "$PINS" -name '*:new' | wc -l)" 0 "$1: no staged map is left"; }
uses_map() {  # uses_map PROGRAM PIN: the running instance of PROGRAM uses the map pinned at PIN
        local id prog
        id=$(mapinfo "$2" id)
        prog=$(ls -d "$D/programs/$1"/[0-9]*-* | sed -n 1p)
        bpftool -j prog show pinned "$prog/prog" | python3 -c "import json,sys; sys.exit(0 if $id in json.load(sys.stdin).get('map_ids', []) else 1)"
}

md_dropin() {  # md_dropin NAME PRIORITY OBJECT
        program_dropin "20-$1" "$1" l3t0 "$2" "$3" "Type=xdp
Entry=mapdef
NextMap=md_next_prog

[Map md_config]
0={drop_port=7777}
"
}
sinks() { "$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp sink)/sink_protocols" 17 0; }

program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
md_dropin md 20 "$TESTBPF/mapdef.bpf.o"
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"
daemon_start
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "count -> md -> sink runs"
send 100 5555
send 20 7777
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp md)/md_stats")" 120 "md counted every packet"
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" 120 "and in its chain-wide md_seen"
assert_eq "$(sinks)" 100 "md drops port 7777 as its [Map md_config] says"
STATS_ID=$(mapinfo "$(prog_maps l3t0 xdp md)/md_stats" id)
SEEN_ID=$(mapinfo "$D/maps/md_seen" id)
CONFIG_ID=$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" id)
FLOWS_ID=$(mapinfo "$D/maps/md_flows" id)
assert_eq "$(entries "$D/maps/md_flows")" 1 "md_flows holds the peer"

info "item 5: a file upgrade changes md_config's value size and md_flows' max_entries"
md_dropin md 20 "$TESTBPF/mapdef_v2.bpf.o"
rc=0; "$L3AFD" --check --root="$ROOT" > "$T/check.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/check.out"
assert_eq "$rc" 0 "--check accepts the upgrade"
assert_contains "$T/check.out" "map 'md_config' of program 'md' will be recreated: value size 8 -> 16" \
        "--check says md_config will be recreated, and why"
assert_contains "$T/check.out" "chain-wide map 'md_flows' will be recreated: max entries 64 -> 128" \
        "--check says md_flows will be recreated, and why"
grep -q "md_stats\|md_seen" "$T/check.out" && fail "--check announces unchanged maps as recreated"
ids=$(chain_ids l3t0)
daemon_reload
assert_ne "$(chain_ids l3t0)" "$ids" "the upgrade went live"
assert_eq "$(log_count "Chain l3t0/xdp change failed")" 0 "no change failed"
assert_eq "$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" bytes_value)" 16 "md_config is pinned with the new value size"
assert_ne "$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" id)" "$CONFIG_ID" "it is a fresh map"
assert_eq "$("$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp md)/md_config" 0 0)" 7777 "the drop-in's [Map md_config] entry is in it"
assert_eq "$(mapinfo "$D/maps/md_flows" max_entries)" 128 "md_flows is pinned with the new max_entries"
assert_eq "$(entries "$D/maps/md_flows")" 0 "a fresh, empty md_flows"
assert_eq "$(mapinfo "$(prog_maps l3t0 xdp md)/md_stats" id)" "$STATS_ID" "md_stats is the same map"
assert_eq "$(mapinfo "$D/maps/md_seen" id)" "$SEEN_ID" "md_seen is the same map"
uses_map md "$(prog_maps l3t0 xdp md)/md_config" || fail "the running md does not use the pinned md_config"
uses_map md "$D/maps/md_flows" || fail "the running md does not use the pinned md_flows"
echo "ok - the running instance uses the pinned fresh maps"
no_staged "file upgrade"
wait_journal 2 5 MESSAGE_ID=$MAP_RECREATED
journal MESSAGE_ID=$MAP_RECREATED L3AF_MAP=md_config | contains '"L3AF_MAP_OLD":"array, key 4, value 8,' \
        || fail "the journal entry for md_config lacks the old definition"
journal MESSAGE_ID=$MAP_RECREATED L3AF_MAP=md_config | contains '"L3AF_MAP_NEW":"array, key 4, value 16,' \
        || fail "the journal entry for md_config lacks the new definition"
assert_eq "$(jfield L3AF_PROGRAM MESSAGE_ID=$MAP_RECREATED L3AF_MAP=md_config)" md "the journal entry names the program"
journal MESSAGE_ID=$MAP_RECREATED L3AF_MAP=md_flows | contains 'max entries 64 -> 128' \
        || fail "the journal entry for md_flows does not say what changed"
echo "ok - journaled with MESSAGE_ID $MAP_RECREATED, the old and the new definitions"
map_gone "$CONFIG_ID" || fail "the old md_config (id $CONFIG_ID) is still in the kernel"
map_gone "$FLOWS_ID" || fail "the old md_flows (id $FLOWS_ID) is still in the kernel"
echo "ok - the old maps are freed"
send 100 5555
send 20 7777
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp md)/md_stats")" 240 "md_stats kept counting across the upgrade"
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" 240 "md_seen too"
assert_eq "$(sinks)" 200 "traffic continues, port 7777 still dropped"
assert_eq "$(entries "$D/maps/md_flows")" 1 "the fresh md_flows is filled"
daemon_reload
assert_eq "$(log_count "is a fresh map now")" 2 "an unchanged reload recreates nothing"

info "item 5: a crash right after the switch; the next start puts the staged maps in place"
daemon_stop TERM
L3AF_TEST_CRASH_AT=change-switched daemon_start
md_dropin md 20 "$TESTBPF/mapdef.bpf.o"
kill -HUP "$DAEMON_PID"
rc=0; wait "$DAEMON_PID" || rc=$?; DAEMON_PID=
assert_eq "$rc" 137 "l3afd died right after switching back to mapdef.bpf.o"
[ -n "$(find "$PINS" -name '*:new')" ] || fail "the crash left no staged map (the test would prove nothing)"
daemon_start
wait_log "Chain l3t0/xdp adopted"
assert_eq "$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" bytes_value)" 8 "md_config is the new generation's (value size 8)"
assert_eq "$(mapinfo "$D/maps/md_flows" max_entries)" 64 "md_flows is the new generation's (max entries 64)"
uses_map md "$(prog_maps l3t0 xdp md)/md_config" || fail "the running md does not use the pinned md_config"
uses_map md "$D/maps/md_flows" || fail "the running md does not use the pinned md_flows"
echo "ok - the pins are the maps the running generation uses"
no_staged "crash after the switch"
assert_eq "$("$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp md)/md_config" 0 0)" 7777 "md_config holds the drop-in's entry"
b=$(sinks); send 10 7777; send 10 5555
assert_eq "$(( $(sinks) - b ))" 10 "traffic continues, port 7777 dropped"

info "item 5: a crash before the switch; the next start drops the staged maps"
daemon_stop TERM
CONFIG_ID=$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" id)
L3AF_TEST_CRASH_AT=change-staged daemon_start
md_dropin md 20 "$TESTBPF/mapdef_v2.bpf.o"
kill -HUP "$DAEMON_PID"
rc=0; wait "$DAEMON_PID" || rc=$?; DAEMON_PID=
assert_eq "$rc" 137 "l3afd died before switching to mapdef_v2.bpf.o"
[ -n "$(find "$PINS" -name '*:new')" ] || fail "the crash left no staged map (the test would prove nothing)"
assert_eq "$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" id)" "$CONFIG_ID" "md_config is still the running one"
n=$(log_count "is a fresh map now")
daemon_start
assert_contains "$T/daemon.log" "dropping map 'md_config' of program 'md' staged by a change that did not go live" \
        "adoption drops the staged md_config"
assert_eq "$(log_count "is a fresh map now")" $((n + 2)) "then the upgrade applies, recreating both maps once"
assert_eq "$(mapinfo "$(prog_maps l3t0 xdp md)/md_config" bytes_value)" 16 "md_config has the new value size"
uses_map md "$(prog_maps l3t0 xdp md)/md_config" || fail "the running md does not use the pinned md_config"
no_staged "crash before the switch"

info "item 5: two programs pinning md_seen by name with different definitions are refused"
ids=$(chain_ids l3t0)
md_dropin md2 25 "$TESTBPF/mapdef_seen16.bpf.o"
rc=0; "$L3AFD" --check --root="$ROOT" > "$T/check.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/check.out"
assert_eq "$rc" 1 "--check refuses it"
assert_contains "$T/check.out" "programs 'md2' and 'md' (" "--check names both programs"
assert_contains "$T/check.out" "both pin map 'md_seen' by name" "and the map"
assert_contains "$T/check.out" "value size 8 -> 16" "and what differs"
daemon_reload
assert_contains "$T/daemon.log" "programs 'md2' and 'md' (" "the reload refuses it the same way"
assert_eq "$(chain_ids l3t0)" "$ids" "the chain keeps its generation"
b=$(sinks); send 10 7777; send 10 5555
assert_eq "$(( $(sinks) - b ))" 10 "and traffic"
rm "$DROPINS/20-md2.conf"

info "item 6: a chain-wide map stays while a program uses it, and goes with the last one"
md_dropin md2 25 "$TESTBPF/mapdef_v2.bpf.o"
daemon_reload
assert_eq "$(chain_ids l3t0 | wc -w)" 4 "md and md2 share md_seen and md_flows"
seen=$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)
send 10 5555
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" $((seen + 20)) "both count in the one md_seen"
rm "$DROPINS/20-md2.conf"
daemon_reload
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" $((seen + 20)) "md2 left; md_seen stays for md"
[ ! -e "$D/programs/md2" ] || fail "md2's own maps stayed"
rm "$DROPINS/20-md.conf"
daemon_reload
assert_eq "$(chain_ids l3t0 | wc -w)" 2 "md left the chain"
[ ! -e "$D/maps/md_seen" ] || fail "md_seen outlived the last program pinning it"
[ ! -e "$D/maps/md_flows" ] || fail "md_flows outlived the last program pinning it"
echo "ok - md_seen and md_flows are released with the last program that pins them"
assert_contains "$T/daemon.log" "chain-wide map 'md_seen' released" "the release is logged"

info "item 6: re-added, md starts from fresh maps"
md_dropin md 20 "$TESTBPF/mapdef.bpf.o"
daemon_reload
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" 0 "md_seen starts at 0"
assert_eq "$(entries "$D/maps/md_flows")" 0 "md_flows starts empty"
send 10 5555
assert_eq "$("$TESTTOOL" get-u64 "$D/maps/md_seen" 0 0)" 10 "and counts"

info "item 6: another layout under the same name loads once md is gone"
rm "$DROPINS/20-md.conf"
md_dropin other 20 "$TESTBPF/mapdef_seen16.bpf.o"
daemon_reload
assert_eq "$(log_count "Chain l3t0/xdp change failed")" 0 "no change failed"
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "other runs"
assert_eq "$(mapinfo "$D/maps/md_seen" bytes_value)" 16 "its md_seen has value size 16"
b=$(sinks); send 10 7777; send 10 5555
assert_eq "$(( $(sinks) - b ))" 10 "traffic passes it, port 7777 dropped"
no_staged "the end"

info "item 6, a program's own maps: those its new object no longer declares are released"
rm "$DROPINS/20-other.conf"
md_dropin md 20 "$TESTBPF/mapdef.bpf.o"
daemon_reload
send 10 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp md)/md_stats")" 10 "md counts in md_stats"
program_dropin 20-md md l3t0 20 "$SAMPLES/count.bpf.o"
daemon_reload
[ -e "$(prog_maps l3t0 xdp md)/stats" ] || fail "md's new object's map is not pinned"
[ ! -e "$(prog_maps l3t0 xdp md)/md_stats" ] || fail "md_stats outlived the object that declared it"
[ ! -e "$(prog_maps l3t0 xdp md)/md_config" ] || fail "md_config outlived the object that declared it"
echo "ok - md's maps that count.bpf.o does not declare are released"
md_dropin md 20 "$TESTBPF/mapdef.bpf.o"
daemon_reload
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp md)/md_stats")" 0 "back on mapdef.bpf.o, md_stats starts at 0"
[ ! -e "$(prog_maps l3t0 xdp md)/stats" ] || fail "count.bpf.o's stats outlived it"
no_staged "the very end"
