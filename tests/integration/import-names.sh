#!/bin/bash
# l3afctl import-l3af checks map names by the rule l3afd reads drop-ins by
# (map_name_is_valid, pin-path.h): a payload whose map_args name or map_name
# the drop-in parser would refuse ("pf-ports": '-' is not in a map name) is
# refused as a whole, naming each field, and nothing is written; the same
# payload with valid names imports, and l3afd reads what was written without
# a complaint about its names.
source "$(dirname "$0")/lib.sh"

L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"

payload() {  # payload MAP_ARGS_NAME MAP_NAME
        cat <<EOF2
[{"host_name": "node1", "iface": "l3t0", "bpf_programs": {
   "xdp_ingress": [ {"name": "portfilter", "seq_id": 1, "artifact": "l3af_portfilter.tar.gz", "version": "1.0.0",
                     "ebpf_package_repo_url": "file:///nonexistent", "object_file": "portfilter.bpf.o",
                     "entry_function_name": "_xdp_portfilter", "map_name": "$2", "admin_status": "enabled",
                     "map_args": [{"name": "$1", "args": [{"key": 7777, "value": 1}]}]} ] }}]
EOF2
}

payload pf-ports next-prog > "$T/bad.json"
if "$L3AFCTL" import-l3af -D "$DROPINS" "$T/bad.json" >"$T/bad.out" 2>"$T/bad.err"; then
        fail "a payload with map names l3afd refuses was imported: $(ls "$DROPINS")"
fi
sed 's/^/# /' "$T/bad.err"
assert_contains "$T/bad.err" "map_args[0].name: missing or not a map name" "the bad map_args name is named"
assert_contains "$T/bad.err" "map_name: 'next-prog' is not a valid map name" "the bad map_name is named"
assert_eq "$(ls -A "$DROPINS" | wc -l)" 0 "nothing was written"

payload pf_ports xdp_pf_ingress_next_prog > "$T/good.json"
"$L3AFCTL" import-l3af -D "$DROPINS" "$T/good.json" >"$T/good.out" 2>"$T/good.err" ||
        fail "the payload with valid names was refused: $(cat "$T/good.err")"
assert_eq "$(ls -A "$DROPINS" | wc -l)" 1 "the payload with valid names is imported"
out=$("$L3AFD" --root="$ROOT" --check 2>&1) || true
case $out in *"map name"*) fail "l3afd refuses a map name import-l3af wrote: $out" ;; esac
echo "ok - l3afd reads the imported drop-in without a complaint about its names"
