#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Probes beside the entry (issue 10, item 3): a connection limiter whose XDP
# entry drops SYNs to a port once a count reaches its limit, and whose
# tracepoint program, in the same object and on the same maps, keeps that
# count as connections open and close. Real TCP connections from the peer.
# The probe's link is pinned under the program, kept while the chain makes
# new instances of the program, adopted with the same id after SIGKILL, and
# let go when the program leaves.
source "$(dirname "$0")/lib.sh"

HELPERS="$(dirname "$0")/helpers"
veth_add l3t0 l3p0 0
PORT=8080

program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
program_dropin 20-connlimit connlimit l3t0 20 "$TESTBPF/connlimit.bpf.o" "NextMap=cl_next

[Map cl_config]
0={port=$PORT, limit=2}
"
program_dropin 30-sink sink l3t0 30 "$SAMPLES/sink.bpf.o"

python3 "$HELPERS/tcp-server.py" 10.99.0.1 $PORT > "$T/server.log" 2>&1 &
for _ in $(seq 100); do grep -q listening "$T/server.log" 2>/dev/null && break; sleep 0.05; done

plain_bus_start
daemon_start --bus-address="$PLAIN_BUS"
PDIR=$(chain_dir l3t0)/programs/connlimit
LINKS=$( (find "$PDIR/probes" -mindepth 2 -maxdepth 2 2>/dev/null || true) | wc -l)
assert_eq "$LINKS" 1 "one probe link pinned under the program"
LINK_PIN=$(find "$PDIR/probes" -mindepth 2 -maxdepth 2)
assert_eq "$(basename "$LINK_PIN")" cl_track "the probe's link is pinned by its program's name"
LINK_ID=$("$TESTTOOL" link-id "$LINK_PIN")
grep -q "connlimit's probe cl_track (tracepoint sock/inet_sock_set_state, link $LINK_ID," "$T/daemon.log" || \
        fail "the journal does not name the attached probe"
echo "ok - the probe is journaled with its link id"
"$L3AF_BUILD/src/l3afctl/l3afctl" --address="$PLAIN_BUS" show l3t0 > "$T/show"
cat "$T/show"
assert_contains "$T/show" "cl_track tracepoint sock/inet_sock_set_state $LINK_ID" "l3afctl show lists the chain's probe"

OUT=$(in_peer python3 "$HELPERS/connlimit-client.py" 10.99.0.1 $PORT)
info "$OUT"
FIRST=${OUT#first=}; FIRST=${FIRST%% *}
SECOND=${OUT#*second=}
[ "$FIRST" -ge 2 ] && [ "$FIRST" -le 3 ] || fail "limit 2: $FIRST of 5 connections admitted, expected 2 or 3"
echo "ok - limit 2: $FIRST of 5 connections admitted"
[ "$SECOND" -ge 1 ] || fail "after closing two, no new connection was admitted"
echo "ok - after the first were closed, $SECOND of 2 new connections admitted"
DROPPED=$("$TESTTOOL" get-u64 "$PDIR/maps/cl_count" 1 0)
[ "$DROPPED" -gt 0 ] || fail "the XDP program dropped no SYN"
echo "ok - $DROPPED SYNs dropped by the XDP entry"
sleep 0.3
assert_eq "$("$TESTTOOL" get-u64 "$PDIR/maps/cl_count" 0 0)" 0 "the count is back to 0 once every connection closed"

# A new instance of the program (its successor changes) keeps the probe: same link.
rm "$DROPINS/30-sink.conf"
daemon_reload
assert_eq "$("$TESTTOOL" link-id "$LINK_PIN")" "$LINK_ID" "a new instance of the program keeps its probe's link"
OUT=$(in_peer python3 "$HELPERS/connlimit-client.py" 10.99.0.1 $PORT)
info "$OUT"
FIRST=${OUT#first=}; FIRST=${FIRST%% *}
[ "$FIRST" -ge 2 ] && [ "$FIRST" -le 3 ] || fail "after the change: $FIRST of 5 admitted"
echo "ok - the limit holds after the chain changed ($FIRST of 5)"

# SIGKILL: adopted, the same link.
daemon_stop KILL
daemon_start
assert_eq "$("$TESTTOOL" link-id "$LINK_PIN")" "$LINK_ID" "after SIGKILL the probe is adopted with the same link"
grep -q "Chain l3t0/xdp adopted from pins .*; connlimit's probe cl_track (link $LINK_ID," "$T/daemon.log" || \
        fail "the adoption is not journaled with the probe"
echo "ok - the adoption is journaled with the probe"

# A new object whose probe cannot attach: refused, the old generation and its probe run on.
GEN=$(chain_ids l3t0)
sed -i "s|^Object=.*|Object=$TESTBPF/connlimit_badprobe.bpf.o|" "$DROPINS/20-connlimit.conf"
n=$(log_count "Chain l3t0/xdp change failed")
kill -HUP "$DAEMON_PID"
wait_log "Chain l3t0/xdp change failed" $((n + 1))
grep "Chain l3t0/xdp change failed" "$T/daemon.log" | tail -1 | contains "cannot attach probe 'cl_bad' to uprobe /bin/true:l3af_no_such_function" || \
        fail "the failure does not name the probe and its target"
echo "ok - a probe that cannot attach is refused, naming it"
assert_eq "$(chain_ids l3t0)" "$GEN" "the old generation runs on"
assert_eq "$("$TESTTOOL" link-id "$LINK_PIN")" "$LINK_ID" "with its probe"
assert_eq "$(find "$PDIR/probes" -mindepth 1 -maxdepth 1 | wc -l)" 1 "and nothing of the refused object's probes"

# A kprobe beside the entry, on a kernel without kprobes: one line saying so, at reload and in --check.
sed -i "s|^Object=.*|Object=$TESTBPF/connlimit_kprobe.bpf.o|" "$DROPINS/20-connlimit.conf"
n=$(log_count "Chain l3t0/xdp not changed")
kill -HUP "$DAEMON_PID"
wait_log "Chain l3t0/xdp not changed" $((n + 1))
MSG=$(grep "20-connlimit.conf.*kprobe" "$T/daemon.log" | tail -1)
info "$MSG"
echo "$MSG" | contains "probe 'cl_connect' beside the entry: this kernel has no kprobes" || \
        fail "the refusal does not say what the kernel lacks"
assert_eq "$(chain_ids l3t0)" "$GEN" "the old generation runs on"
rc=0; out=$("$L3AFD" --root="$ROOT" --check 2>&1) || rc=$?
assert_eq "$rc" 1 "--check fails on the kprobe beside the entry"
echo "$out" | contains "20-connlimit.conf.*probe 'cl_connect' beside the entry: this kernel has no kprobes" || \
        fail "--check does not say the same: $out"
echo "ok - --check says the same"

# Another object: its probe attaches anew, the old one goes, the maps (and the limit) stay.
sed -i "s|^Object=.*|Object=$TESTBPF/connlimit_v2.bpf.o|" "$DROPINS/20-connlimit.conf"
daemon_reload
NEW_PIN=$(find "$PDIR/probes" -mindepth 2 -maxdepth 2)
assert_eq "$(echo "$NEW_PIN" | wc -l)" 1 "one probe link after the object changed"
NEW_ID=$("$TESTTOOL" link-id "$NEW_PIN")
assert_ne "$NEW_ID" "$LINK_ID" "the new object's probe has its own link"
if bpftool link show id "$LINK_ID" >/dev/null 2>&1; then fail "the old object's link $LINK_ID is still attached"; fi
echo "ok - the old object's probe is detached"
OUT=$(in_peer python3 "$HELPERS/connlimit-client.py" 10.99.0.1 $PORT)
info "$OUT"
FIRST=${OUT#first=}; FIRST=${FIRST%% *}
[ "$FIRST" -ge 2 ] && [ "$FIRST" -le 3 ] || fail "with the new object: $FIRST of 5 admitted"
echo "ok - the limit holds with the new object ($FIRST of 5)"
LINK_ID=$NEW_ID

# The program leaves: its probe goes with it.
rm "$DROPINS/20-connlimit.conf"
daemon_reload
[ ! -e "$PDIR" ] || fail "$PDIR is still there"
if bpftool link show id "$LINK_ID" >/dev/null 2>&1; then fail "link $LINK_ID is still attached"; fi
echo "ok - the probe's link is gone with its program"
OUT=$(in_peer python3 "$HELPERS/connlimit-client.py" 10.99.0.1 $PORT)
assert_eq "$OUT" "first=5 second=2" "without the limiter every connection is admitted"
