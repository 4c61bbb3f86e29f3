#!/bin/bash
# Issue 10, item 7: l3afctl import-l3af turns an L3AF payload (two hosts'
# interfaces, all four program lists, map_args, a disabled program, user-space
# fields) into drop-ins: --dry-run writes nothing, a payload with one bad
# field writes nothing, the fields drop-ins cannot express are listed one by
# one; `l3afd --check` accepts the drop-ins, and a real start builds the
# chains L3AF would: programs ordered by seq_id, map_args in the maps, and
# real packets dropped and counted accordingly. The packages come from a
# repository in L3AF's layout on loopback http.
source "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
MKPKG="$PY $L3AF_SOURCE/tests/package/make-package.py"
SERVER="$L3AF_SOURCE/tests/package/repo-server.py"
REPO="$T/repo"
CODENAME=l3aftest
printf '[Daemon]\nRequireSignatures=no\n\n[Packages]\nCodename=%s\nConnectTimeoutSec=2\n' "$CODENAME" \
        > "$ROOT/etc/l3af/l3afd.conf"

info "an L3AF repository with ratelimiting, portfilter, count and the probe connwatch"
l3afpkg() {  # l3afpkg NAME OBJECT ENTRY: REPO/NAME/1.0.0/CODENAME/l3af_NAME.tar.gz holding l3af_NAME/ENTRY.bpf.o
        mkdir -p "$REPO/$1/1.0.0/$CODENAME"
        $MKPKG "$REPO/$1/1.0.0/$CODENAME/l3af_$1.tar.gz" l3af "$1" 1.0.0 "$2" "$3"
}
l3afpkg ratelimiting "$TESTBPF/l3af_style.bpf.o" ratelimiting
l3afpkg portfilter "$TESTBPF/portfilter.bpf.o" portfilter
l3afpkg count "$SAMPLES/count.bpf.o" count
l3afpkg connwatch "$TESTBPF/connwatch.bpf.o" connwatch
$PY "$SERVER" --root "$REPO" --port-file "$T/http.port" --log "$T/http.log" >>"$T/http.out" 2>&1 </dev/null &
for _ in $(seq 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
[ -s "$T/http.port" ] || fail "the repository server did not start: $(cat "$T/http.out")"
URL="http://127.0.0.1:$(cat "$T/http.port")/files"

# prog NAME SEQ OBJECT ENTRY MAPNAME [MAP_ARGS-JSON] [EXTRA-JSON-MEMBERS]
prog() {
        printf '{"name": "%s", "seq_id": %s, "artifact": "l3af_%s.tar.gz", "version": "1.0.0", ' "$1" "$2" "$1"
        printf '"ebpf_package_repo_url": "%s", "object_file": "%s", "entry_function_name": "%s", ' "$URL" "$3" "$4"
        printf '"map_name": "%s", "admin_status": "enabled", "map_args": %s%s}' "$5" "${6:-null}" "${7:-}"
}
payload() {  # payload VERSION-OF-PORTFILTER-ON-l3t1
        cat <<EOF2
[
 {"host_name": "node1", "iface": "l3t0",
  "bpf_programs": {
   "xdp_ingress": [
     $(prog portfilter 2 portfilter.bpf.o _xdp_portfilter xdp_pf_ingress_next_prog \
        '[{"name": "pf_ports", "args": [{"key": 7777, "value": 1}, {"key": 7778, "value": 1}]}]' \
        ', "prog_type": "xdp", "cmd_start": "portfilter", "user_program_daemon": true, "cpu": 100, "memory": 64, "monitor_maps": [{"name": "pf_ports", "key": 0, "aggregator": "scalar"}]'),
     $(prog ratelimiting 1 ratelimiting.bpf.o _xdp_ratelimiting xdp_rl_ingress_next_prog \
        '[{"name": "rl_config_map", "args": [{"key": 0, "value": 1000}]}]' ', "cfg_version": 2'),
     $(prog count 3 count.bpf.o count l3af_next),
     {"name": "unused", "seq_id": 4, "version": "1.0.0", "admin_status": "disabled"}
   ],
   "tc_ingress": [ $(prog count 1 count.bpf.o count_tc l3af_next '[]' ', "prog_type": "tc"') ],
   "tc_egress": [ $(prog count 1 count.bpf.o count_tc l3af_next) ],
   "probes": [ {"name": "connwatch", "prog_type": "tracepoint", "artifact": "l3af_connwatch.tar.gz",
                "version": "1.0.0", "ebpf_package_repo_url": "$URL", "object_file": "connwatch.bpf.o",
                "entry_function_name": "on_state", "admin_status": "enabled"} ]
  }},
 {"host_name": "node1", "iface": "l3t1",
  "bpf_programs": {
   "xdp_ingress": [
     $(prog count 5 count.bpf.o count l3af_next),
     $(prog portfilter 1 portfilter.bpf.o _xdp_portfilter xdp_pf_ingress_next_prog \
        '[{"name": "pf_ports", "args": [{"key": 9999, "value": 1}]}]' ", \"version\": \"$1\"")
   ],
   "tc_ingress": null, "tc_egress": [], "probes": null
  }}
]
EOF2
}
# (A repeated "version" member: json-glib keeps the last one, as JSON parsers commonly do.)
payload 1.0.0 > "$T/payload.json"
$PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/payload.json" || fail "the test payload is not JSON"

info "--dry-run prints the drop-ins and writes nothing"
"$L3AFCTL" import-l3af --dry-run -D "$DROPINS" "$T/payload.json" >"$T/dry.out" 2>"$T/dry.err" || \
        fail "dry run failed: $(cat "$T/dry.err")"
assert_eq "$(ls -A "$DROPINS" | wc -l)" 0 "the dry run wrote nothing"
assert_eq "$(grep -c "^\[Program\]" "$T/dry.out")" 8 "eight drop-ins printed (l3t0: 3 xdp, 1 tc-ingress, 1 tc-egress; the probe; l3t1: 2 xdp)"
assert_contains "$T/dry.out" "# $DROPINS/l3af-l3t0-xdp-portfilter.conf" "the dry run names each file"

info "a payload with one bad field writes nothing, and says which"
payload latest > "$T/bad.json"
if "$L3AFCTL" import-l3af -D "$DROPINS" "$T/bad.json" >"$T/bad.out" 2>"$T/bad.err"; then
        fail "a payload with version 'latest' was imported"
fi
cat "$T/bad.err" | sed 's/^/# /'
assert_contains "$T/bad.err" "l3t1 xdp_ingress[1] portfilter: version: 'latest' is not a semantic version" "the bad field is named"
assert_contains "$T/bad.err" "nothing written" "refused as a whole"
assert_eq "$(ls -A "$DROPINS" | wc -l)" 0 "nothing was written"

info "every error of a payload is named, and nothing is written"
cat > "$T/bad2.json" <<EOF2
[{"host_name": "node1", "iface": "l3t0", "bpf_programs": {
   "xdp_ingress": [ $(prog count 1 count.bpf.o count l3af_next '[]' ', "prog_type": "tc"'),
                    $(prog portfilter 2 portfilter.bpf.o _xdp_portfilter xdp_pf_ingress_next_prog '{"pf_ports": "7777"}') ],
   "tc_ingress": [ $(prog count 1 count.bpf.o count_tc l3af_next), $(prog count 2 count.bpf.o count_tc l3af_next) ],
   "probes": [ {"name": "p", "prog_type": "probe", "version": "1.0.0"} ] }},
 {"host_name": "node1", "iface": "bad/name", "bpf_programs": {"xdp_ingress": [ $(prog count 1 count.bpf.o count l3af_next) ]}}]
EOF2
if "$L3AFCTL" import-l3af -D "$DROPINS" "$T/bad2.json" >/dev/null 2>"$T/bad2.err"; then
        fail "a payload with five errors was imported"
fi
sed 's/^/# /' "$T/bad2.err"
assert_contains "$T/bad2.err" "xdp_ingress[0] count: prog_type: 'tc' cannot run in xdp_ingress" "a prog_type that does not fit its list"
assert_contains "$T/bad2.err" "xdp_ingress[1] portfilter: map_args: expected a list" "map_args in another shape"
assert_contains "$T/bad2.err" "tc_ingress[1] count: a program named count is already on l3t0 tc-ingress" "two programs of one name on a chain"
assert_contains "$T/bad2.err" "probes[0] p: prog_type: 'probe' does not say the probe's kind" "a probe without its kind"
assert_contains "$T/bad2.err" "[1] iface: 'bad/name' is not a valid interface name" "a bad interface name"
assert_contains "$T/bad2.err" "refused (5 errors); nothing written." "all five counted"
assert_eq "$(ls -A "$DROPINS" | wc -l)" 0 "nothing was written"

info "the import"
"$L3AFCTL" import-l3af -D "$DROPINS" "$T/payload.json" >"$T/import.out" 2>"$T/import.err" || \
        fail "import failed: $(cat "$T/import.err")"
sed 's/^/# /' "$T/import.err"
assert_eq "$(ls -A "$DROPINS" | sort | tr '\n' ' ')" "l3af-l3t0-tc-egress-count.conf l3af-l3t0-tc-ingress-count.conf l3af-l3t0-xdp-count.conf l3af-l3t0-xdp-portfilter.conf l3af-l3t0-xdp-ratelimiting.conf l3af-l3t1-xdp-count.conf l3af-l3t1-xdp-portfilter.conf l3af-probe-connwatch.conf " \
        "the drop-ins, and no temporary file"
for f in cmd_start user_program_daemon cpu memory monitor_maps cfg_version; do
        grep -q "portfilter: $f=.* not expressed\|ratelimiting: $f=.* not expressed" "$T/import.err" || \
                fail "$f is not listed as not expressed"
done
echo "ok - cmd_start, user_program_daemon, cpu, memory, monitor_maps, cfg_version listed, one line each"
assert_contains "$T/import.err" "l3t0 xdp_ingress[3] unused: admin_status=disabled: no drop-in written" "the disabled program is named"
assert_contains "$DROPINS/l3af-l3t0-xdp-ratelimiting.conf" "Priority=1" "seq_id is Priority="
assert_contains "$DROPINS/l3af-l3t0-xdp-portfilter.conf" "[Map pf_ports]" "map_args are [Map] groups"
assert_contains "$DROPINS/l3af-probe-connwatch.conf" "Hook=tracepoint" "the probe's drop-in has its kind"
if grep -q "^Interface=" "$DROPINS/l3af-probe-connwatch.conf"; then fail "the probe drop-in names an interface"; fi


veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1

info "l3afd --check accepts them (the kernel loads each program once)"
"$L3AFD" --root="$ROOT" --check >"$T/check.out" 2>&1 || fail "--check refused the imported drop-ins: $(cat "$T/check.out")"
# Only the insecure loads (this repository is unsigned, as L3AF's are) may be mentioned.
grep -v "INSECURE: package" "$T/check.out" | contains "warning\|error" && fail "--check had something to say: $(cat "$T/check.out")"
assert_contains "$T/check.out" "Configuration OK." "--check says OK"
echo "ok - l3afd --check accepts the imported drop-ins"

info "a real start builds L3AF's chains"
daemon_start
names() {  # names IFACE HOOK: the chain's programs, by kernel name, in order
        local id out=""
        for id in $(chain_ids "$1" "$2"); do
                out="$out $(bpftool -j prog show id "$id" | $PY -c 'import json,sys; print(json.load(sys.stdin)["name"])')"
        done
        echo "${out# }"
}
assert_eq "$(names l3t0 xdp)" "_xdp_ratelimiting _xdp_portfilter count" "l3t0 xdp: ratelimiting, portfilter, count (seq_id order)"
assert_eq "$(names l3t1 xdp)" "_xdp_portfilter count" "l3t1 xdp: portfilter, count (seq_id order)"
assert_eq "$(names l3t0 tc-ingress)" "count_tc" "l3t0 tc-ingress: count"
assert_eq "$(names l3t0 tc-egress)" "count_tc" "l3t0 tc-egress: count"
wait_log "Probe connwatch attached"
assert_contains "$T/daemon.log" "sock/inet_sock_set_state" "the probe attached where its section says, as L3AF's probes do"

pinned() {  # pinned IFACE NAME: a map pinned by name in a chain
        find "$(chain_dir "$1" xdp)" -name "$2" -not -path "*/entries/*" | sed -n 1p
}
mapval() {  # mapval PIN KEY: the u64 value at a u32 key, or "none"
        [ -e "$1" ] || fail "no pinned map $1"
        if [ "$("$TESTTOOL" has "$1" "$2")" = 1 ]; then "$TESTTOOL" get-u64 "$1" "$2" 0; else echo none; fi
}
assert_eq "$(mapval "$(pinned l3t0 pf_ports)" 7777)" 1 "l3t0 pf_ports[7777] = 1"
assert_eq "$(mapval "$(pinned l3t0 pf_ports)" 7778)" 1 "l3t0 pf_ports[7778] = 1"
assert_eq "$(mapval "$(pinned l3t0 pf_ports)" 9999)" none "l3t0 pf_ports has no 9999"
assert_eq "$(mapval "$(pinned l3t1 pf_ports)" 9999)" 1 "l3t1 pf_ports[9999] = 1"
assert_eq "$(mapval "$(pinned l3t0 rl_config_map)" 0)" 1000 "l3t0 rl_config_map[0] = 1000"

info "real packets: each interface drops what its map_args say, and counts the rest"
count_of() { "$TESTTOOL" sum "$(prog_maps "$1" "$2" count)/stats" 0; }
c0=$(count_of l3t0 xdp) c1=$(count_of l3t1 xdp) ti=$(count_of l3t0 tc-ingress)
send 30 5555 20000 0
send 20 7777 20000 0
send 10 9999 20000 0
send 30 5555 20000 1
send 20 7777 20000 1
send 10 9999 20000 1
assert_eq "$(( $(count_of l3t0 xdp) - c0 ))" 40 "l3t0: 7777 dropped by portfilter, 5555 and 9999 reach count"
assert_eq "$(( $(count_of l3t0 tc-ingress) - ti ))" 40 "l3t0: the same 40 reach the tc-ingress chain"
assert_eq "$(( $(count_of l3t1 xdp) - c1 ))" 50 "l3t1: 9999 dropped by portfilter, 5555 and 7777 reach count"

echo "all import-l3af checks passed"
