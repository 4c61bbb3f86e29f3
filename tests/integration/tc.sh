#!/bin/bash
# The engine is hook-agnostic: chains on tc-ingress and tc-egress (tcx) run
# beside an XDP chain on the same interface. The samples carry an entry point
# per hook and l3afd picks the one whose type fits. Our tcx root goes first,
# and with an empty chain it lets the packet on (TCX_NEXT).
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
tc_dropin() {  # FILE NAME HOOK PRIORITY OBJECT [MORE]
        printf '[Program]\nName=%s\nInterface=l3t0\nHook=%s\nPriority=%s\nObject=%s\n%s' "$2" "$3" "$4" "$5" "${6:-}" \
                > "$DROPINS/$1.conf"
}
tc_dropin 10-in-count count tc-ingress 10 "$SAMPLES/count.bpf.o"
tc_dropin 20-in-drop portdrop tc-ingress 20 "$SAMPLES/portdrop.bpf.o" "
[Map portdrop_config]
0={port=7777, enabled=1}
"
tc_dropin 10-out-count count tc-egress 10 "$SAMPLES/count.bpf.o"
program_dropin 10-xdp-count count l3t0 10 "$SAMPLES/count.bpf.o"
daemon_start

for h in tc-ingress tc-egress xdp; do
        [ -e "$(chain_dir l3t0 $h)/link" ] || fail "no $h chain"
done
echo "ok - three chains on l3t0: xdp, tc-ingress, tc-egress"
# (bpftool 7.1 predates tcx: ask the kernel directly.)
assert_eq "$("$TESTTOOL" tcx-ids l3t0 ingress)" "$("$TESTTOOL" prog-id "$(chain_dir l3t0 tc-ingress)/root")" "our root is the tcx ingress program"
assert_eq "$("$TESTTOOL" tcx-ids l3t0 egress)" "$("$TESTTOOL" prog-id "$(chain_dir l3t0 tc-egress)/root")" "our root is the tcx egress program"

in_count() { "$TESTTOOL" sum "$(chain_dir l3t0 tc-ingress)/programs/count/maps/stats" 0; }
out_count() { "$TESTTOOL" sum "$(chain_dir l3t0 tc-egress)/programs/count/maps/stats" 0; }

send 300 5555
send 100 7777
assert_eq "$(in_count)" 400 "tc-ingress count saw every packet"
assert_eq "$("$TESTTOOL" sum "$(chain_dir l3t0 tc-ingress)/programs/portdrop/maps/portdrop_stats" 1)" 100 "tc-ingress portdrop dropped exactly port 7777"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 400 "the XDP chain ran before, on every packet"

before=$(out_count)
"$UDPGEN" 10.99.0.2 5555 250 >/dev/null
assert_eq "$(( $(out_count) - before ))" 250 "tc-egress count saw every packet sent out"

# Reorder the ingress chain: the dropper first; the count no longer sees port 7777.
sed -i 's/^Priority=20/Priority=5/' "$DROPINS/20-in-drop.conf"
daemon_reload
before=$(in_count)
send 100 7777
send 50 5555
assert_eq "$(( $(in_count) - before ))" 50 "after a live reorder on tc-ingress, count only sees what portdrop passed"

# A foreign tcx program put before our root displaces the chain: the watchdog says so.
"$FOREIGN" tcx-first l3t0 "$TESTBPF/tcpass.bpf.o" > "$T/foreign.out" &
HOLDER=$!
wait_log "tc-ingress is displaced by a foreign program"
grep -q "held by pid $HOLDER (foreign)" "$T/daemon.log" || fail "the report does not name the holder"
echo "ok - a foreign tcx program ahead of our root is reported, with its holder"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
wait_log "tc-ingress runs our root again"

# Adoption works for tcx links too.
ids=$(chain_ids l3t0 tc-ingress)
daemon_stop TERM
daemon_start
assert_eq "$(chain_ids l3t0 tc-ingress)" "$ids" "a restart adopts the tc-ingress chain unchanged"
assert_eq "$(log_count "generation 3 is live")" 0 "and applies nothing new"

# Removing the tc chains detaches them.
rm "$DROPINS"/10-in-count.conf "$DROPINS"/20-in-drop.conf "$DROPINS"/10-out-count.conf
daemon_reload
assert_eq "$("$TESTTOOL" tcx-ids l3t0 ingress)$("$TESTTOOL" tcx-ids l3t0 egress)" "" "removing the tc chains detaches them"
