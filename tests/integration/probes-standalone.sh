#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Probes on their own (issue 10, items 4 and 5): tracepoint, raw tracepoint,
# uprobe and uretprobe drop-ins with no interface count real events (TCP
# connections, calls of a function in a test binary), survive a SIGKILL of
# l3afd and are adopted with the same link ids, and go away when their
# drop-ins go. This kernel has no kprobes: a kprobe drop-in is refused with
# one line saying so, by the reload and by --check, and nothing else changes.
source "$(dirname "$0")/lib.sh"

HELPERS="$(dirname "$0")/helpers"
PROBED="$L3AF_BUILD/tests/probed"
cp "$PROBED" "$T/probed"   # the binary the uprobes name
SP="$PINS/:probes/programs"
PORT=8081

probe_dropin() {  # probe_dropin NAME HOOK ATTACH OBJECT ENTRY
        printf '[Program]\nName=%s\nHook=%s\nAttach=%s\nObject=%s\nEntry=%s\n' "$1" "$2" "$3" "$4" "$5" \
                > "$DROPINS/50-$1.conf"
}
probe_dropin tp tracepoint sock/inet_sock_set_state "$TESTBPF/tpcount.bpf.o" tp_count
probe_dropin raw raw_tracepoint inet_sock_set_state "$TESTBPF/tpcount.bpf.o" raw_count
probe_dropin up uprobe "$T/probed:l3af_probed" "$TESTBPF/upcount.bpf.o" up_count
probe_dropin uret uretprobe "$T/probed:l3af_probed" "$TESTBPF/upcount.bpf.o" up_count
# [Map] groups initialise a probe's maps as a chain program's.
printf '\n[Map up_calls]\n0=1000\n' >> "$DROPINS/50-uret.conf"

veth_add l3t0 l3p0 0
python3 "$HELPERS/tcp-server.py" 10.99.0.1 $PORT > "$T/server.log" 2>&1 &
for _ in $(seq 100); do grep -q listening "$T/server.log" 2>/dev/null && break; sleep 0.05; done
connect() { in_peer python3 -c "import socket,time; s=socket.create_connection(('10.99.0.1', $PORT), 3); time.sleep(0.1); s.close()"; }

journal_start
export L3AF_LOG_TARGET=console+journal
daemon_start
for p in tp raw up uret; do
        wait_journal 1 10 MESSAGE_ID=6337a52b1e2d48f88b25adc3bfc26ded L3AF_PROBE=$p
done
echo "ok - four probes attached and journaled"
link_of() { find "$SP/$1/probes" -mindepth 2 -maxdepth 2 | sed -n 1p; }
count_of() { "$TESTTOOL" get-u64 "$SP/$1/maps/$2" 0 0; }
declare -A IDS
for p in tp raw up uret; do IDS[$p]=$("$TESTTOOL" link-id "$(link_of $p)"); done
info "link ids: tp=${IDS[tp]} raw=${IDS[raw]} up=${IDS[up]} uret=${IDS[uret]}"

connect
[ "$(count_of tp tp_events)" -gt 0 ] || fail "the tracepoint counted no event of a TCP connection"
echo "ok - the tracepoint counts events ($(count_of tp tp_events))"
[ "$(count_of raw tp_events)" -gt 0 ] || fail "the raw tracepoint counted no event"
echo "ok - the raw tracepoint counts events ($(count_of raw tp_events))"
"$T/probed" 7
assert_eq "$(count_of up up_calls)" 7 "the uprobe counts the 7 calls"
assert_eq "$(count_of uret up_calls)" 1007 "the uretprobe counts the 7 returns, from the 1000 its [Map] set"

# l3afctl and the bus show them.
plain_bus_start
daemon_stop TERM
daemon_start --bus-address="$PLAIN_BUS"
busctl --address="$PLAIN_BUS" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListProbes > "$T/list"
assert_contains "$T/list" "\"up\" \"up_count\" \"uprobe\" \"$T/probed:l3af_probed\" ${IDS[up]}" "ListProbes shows the uprobe with its link id"
"$L3AF_BUILD/src/l3afctl/l3afctl" --address="$PLAIN_BUS" probes > "$T/ctl"
cat "$T/ctl"
assert_contains "$T/ctl" "sock/inet_sock_set_state" "l3afctl probes shows the tracepoint"

# SIGKILL: adopted from the pins, the same links, still counting.
daemon_stop KILL
daemon_start
for p in tp raw up uret; do
        assert_eq "$("$TESTTOOL" link-id "$(link_of $p)")" "${IDS[$p]}" "after SIGKILL, probe $p keeps link ${IDS[$p]}"
done
wait_journal 1 10 MESSAGE_ID=e53a2432f49740fbb76255e429eeea66 L3AF_PROBE=up
"$T/probed" 5
assert_eq "$(count_of up up_calls)" 12 "the adopted uprobe kept its count and counts on"

# A kprobe: this kernel has none. One line, the reload fails, nothing else changes.
probe_dropin kp kprobe tcp_v4_connect "$TESTBPF/upcount.bpf.o" up_count
n=$(journal_count MESSAGE_ID=3097388d5ea5462ea468e888e86875c4)
kill -HUP "$DAEMON_PID"
wait_journal $((n + 1)) 10 MESSAGE_ID=3097388d5ea5462ea468e888e86875c4
MSG=$(jfield MESSAGE MESSAGE_ID=3097388d5ea5462ea468e888e86875c4)
info "$MSG"
echo "$MSG" | contains "this kernel has no kprobes" || fail "the refusal does not say what the kernel lacks: $MSG"
[ "$(echo "$MSG" | wc -l)" = 1 ] || fail "the refusal is not one line"
[ ! -e "$SP/kp" ] || fail "the refused kprobe left pins"
assert_eq "$("$TESTTOOL" link-id "$(link_of up)")" "${IDS[up]}" "the other probes are untouched"
rc=0; out=$("$L3AFD" --root="$ROOT" --check 2>&1) || rc=$?
assert_eq "$rc" 1 "--check fails on the kprobe drop-in"
echo "$out" | contains "50-kp.conf.*this kernel has no kprobes" || fail "--check does not say the same: $out"
echo "ok - --check says the same"
rm "$DROPINS/50-kp.conf"

# A broken drop-in keeps its probe as it runs.
echo "garbage" > "$DROPINS/50-up.conf"
n=$(journal_count MESSAGE_ID=d2dde4dbc7e64f30972dc8cc9f626f6b)
kill -HUP "$DAEMON_PID"
wait_journal $((n + 1)) 10 MESSAGE_ID=d2dde4dbc7e64f30972dc8cc9f626f6b L3AF_PROBE=up
assert_eq "$("$TESTTOOL" link-id "$(link_of up)")" "${IDS[up]}" "a broken drop-in keeps its probe running"

# Drop-ins gone: the probes go.
rm "$DROPINS/50-up.conf" "$DROPINS/50-uret.conf"
n=$(journal_count MESSAGE_ID=49577589fb6e4cbe8a814f2f91bc3993)
kill -HUP "$DAEMON_PID"
wait_journal $((n + 2)) 10 MESSAGE_ID=49577589fb6e4cbe8a814f2f91bc3993
[ ! -e "$SP/up" ] && [ ! -e "$SP/uret" ] || fail "the removed probes' pins are still there"
for p in up uret; do
        if bpftool link show id "${IDS[$p]}" >/dev/null 2>&1; then fail "link ${IDS[$p]} of $p is still attached"; fi
done
echo "ok - removed drop-ins take their probes with them"
"$T/probed" 3
rm "$DROPINS/50-tp.conf" "$DROPINS/50-raw.conf"
n=$(journal_count MESSAGE_ID=49577589fb6e4cbe8a814f2f91bc3993)
kill -HUP "$DAEMON_PID"
wait_journal $((n + 2)) 10 MESSAGE_ID=49577589fb6e4cbe8a814f2f91bc3993
[ ! -e "$PINS/:probes" ] || fail "$PINS/:probes is still there after the last probe went"
echo "ok - nothing is left under the pin root"
