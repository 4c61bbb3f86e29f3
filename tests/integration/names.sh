#!/bin/bash
# Issue 9, item 2: names the bpffs refuses. The bpffs refuses '.' in a pin's
# name, and Linux names VLAN sub-interfaces "eth0.100"; programs and maps may
# be named with a dot too. Every such name is encoded in its pin path ('.' is
# ":2e", see l3af.d(5)), so a chain on a VLAN-style interface, with programs
# and maps (its own and pinned by name) named with dots, runs end to end:
# traffic, SIGKILL and restart adoption, D-Bus and l3afctl (show, map get and
# set, add, remove), removal and --flush. A tc-ingress chain shares the
# interface's encoded directory. A plain interface name keeps the pin
# paths it always had.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

IF=l3t0.100          # a veth named like a VLAN (no 802.1Q module here)
CH="$PINS/l3t0:2e100/xdp"
TC="$PINS/l3t0:2e100/tc-ingress"
ctl() { "$L3AFCTL" --no-ask-password "$@"; }
names() { ctl --no-legend show "$IF" xdp | awk 'NR > 1 {print $2}' | xargs; }
percpu_sum() { /usr/bin/python3 -c 'import sys; print(sum(int(x) for x in sys.stdin.read().strip("[] \n").split(",")))'; }

bus_setup
veth_add "$IF" l3p0 0
veth_add l3t1 l3p1 1

# rate.limit and rate_limit: a dot turned into '_' would make them one program.
program_dropin 10-rate-dot rate.limit "$IF" 10 "$SAMPLES/count.bpf.o"
program_dropin 11-rate-underscore rate_limit "$IF" 11 "$SAMPLES/count.bpf.o"
program_dropin 20-dotted dot.ted "$IF" 20 "$TESTBPF/dotted.bpf.o" "NextMap=chain.next

[Map cfg.drop]
0={port=7777, enabled=1}
"
program_dropin 30-sink sink "$IF" 30 "$SAMPLES/sink.bpf.o"
program_dropin 10-count-l3t1 count l3t1 10 "$SAMPLES/count.bpf.o"
dropin 40-tc <<EOF
[Program]
Name=tc.count
Interface=$IF
Hook=tc-ingress
Object=$SAMPLES/count.bpf.o
EOF

"$L3AFD" --root="$ROOT" --check > "$T/check.txt" 2>&1 || fail "--check refused: $(cat "$T/check.txt")"
assert_contains "$T/check.txt" "Configuration OK" "--check accepts the dotted names"

bus_daemon_start
assert_contains "$T/daemon.log" "0 problem(s)" "every chain applied"
assert_contains "$T/daemon.log" "Chain $IF/xdp generation 1 is live: rate.limit" "the chain on $IF is live"
assert_contains "$T/daemon.log" "Chain $IF/tc-ingress generation 1 is live: tc.count" "so is its tc-ingress chain"
assert_eq "$(xdp_id "$IF")" "$("$TESTTOOL" chain-ids "$CH" | cut -d' ' -f1)" "our chain's head is attached to $IF"
for p in rate:2elimit/maps/stats rate_limit/maps/stats dot:2eted/maps/cfg:2edrop sink/maps/sink_protocols; do
        [ -e "$CH/programs/$p" ] || fail "no pin $CH/programs/$p: $(find "$PINS")"
done
[ -e "$CH/maps/hits:2etotal" ] || fail "the map pinned by name is not at $CH/maps/hits:2etotal"
echo "ok - names are encoded in the pin paths"
[ -e "$PINS/l3t1/xdp/programs/count/maps/stats" ] || fail "l3t1's pins moved: $(find "$PINS/l3t1")"
echo "ok - a name without a dot keeps its pin path"
assert_eq "$(find "$PINS" -mindepth 1 -name '*.*' | wc -l)" 0 "no pin name holds a dot"
assert_ne "$(bpftool -j map show pinned "$CH/programs/rate:2elimit/maps/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
        "$(bpftool -j map show pinned "$CH/programs/rate_limit/maps/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
        "rate.limit and rate_limit have maps of their own"

send 300 5555
send 200 7777
assert_eq "$("$TESTTOOL" sum "$CH/programs/rate:2elimit/maps/stats" 0)" 500 "rate.limit counted every packet"
assert_eq "$("$TESTTOOL" sum "$CH/programs/rate_limit/maps/stats" 0)" 500 "so did rate_limit"
assert_eq "$("$TESTTOOL" sum "$CH/maps/hits:2etotal" 0)" 500 "dot.ted counted them in hits.total"
assert_eq "$("$TESTTOOL" get-u64 "$CH/programs/sink/maps/sink_protocols" 17 0)" 300 "dot.ted dropped port 7777 (cfg.drop)"
assert_eq "$("$TESTTOOL" sum "$TC/programs/tc:2ecount/maps/stats" 0)" 300 "tc.count saw what XDP passed"

# D-Bus and l3afctl on that chain.
ctl show "$IF" > "$T/show.txt"
cat "$T/show.txt"
assert_contains "$T/show.txt" "$IF/xdp: live, generation 1" "l3afctl show $IF"
assert_eq "$(names)" "rate.limit rate_limit dot.ted sink" "l3afctl show lists the programs in order"
assert_eq "$(ctl map get "$IF" xdp dot.ted cfg.drop 0)" "{port=7777, enabled=1}" "l3afctl map get of a program's own dotted map"
assert_eq "$(ctl map get "$IF" xdp dot.ted hits.total 0 | percpu_sum)" 500 "l3afctl map get of a dotted map pinned by name"
ctl map set "$IF" xdp dot.ted cfg.drop 0 '{port=5555, enabled=1}' >/dev/null
assert_eq "$(ctl map get "$IF" xdp dot.ted cfg.drop 0)" "{port=5555, enabled=1}" "l3afctl map set"
send 100 5555
send 100 7777
assert_eq "$("$TESTTOOL" get-u64 "$CH/programs/sink/maps/sink_protocols" 17 0)" 400 "the new cfg.drop drops port 5555 instead"
ctl --runtime add "$IF" xdp first.one Object="$SAMPLES/count.bpf.o" Priority=5 >/dev/null
[ -f "$ROOT/run/l3af.d/api-$IF:xdp:first.one.conf" ] || fail "no runtime drop-in for first.one: $(ls "$ROOT/run/l3af.d")"
assert_eq "$(names)" "first.one rate.limit rate_limit dot.ted sink" "l3afctl add put first.one in front"
send 50 5555
assert_eq "$("$TESTTOOL" sum "$CH/programs/first:2eone/maps/stats" 0)" 50 "first.one counts"

# SIGKILL and restart: the chain is adopted from its encoded pins, nothing reloads.
xdp0=$(xdp_id "$IF"); ids0=$("$TESTTOOL" chain-ids "$CH"); ids1=$(chain_ids l3t1); tc0=$("$TESTTOOL" chain-ids "$TC")
assert_eq "$(echo $ids0 | wc -w)" 5 "five programs run on $IF"
lives=$(log_count "is live")
daemon_stop KILL
send 100 4444
assert_eq "$("$TESTTOOL" sum "$CH/maps/hits:2etotal" 0)" 850 "traffic is counted while l3afd is down"
bus_daemon_start
assert_eq "$(xdp_id "$IF")" "$xdp0" "after SIGKILL and restart, $IF's XDP program id is unchanged"
assert_eq "$("$TESTTOOL" chain-ids "$CH")" "$ids0" "after SIGKILL and restart, $IF's chain program ids are unchanged"
assert_eq "$("$TESTTOOL" chain-ids "$TC")" "$tc0" "and its tc-ingress chain's"
assert_eq "$(chain_ids l3t1)" "$ids1" "and l3t1's"
assert_eq "$(log_count "is live")" "$lives" "the restart applied no new generation"
assert_contains "$T/daemon.log" "Chain $IF/xdp adopted from pins at generation" "the chain on $IF was adopted"
assert_contains "$T/daemon.log" "Chain $IF/tc-ingress adopted from pins at generation" "and its tc-ingress chain"
assert_eq "$(names)" "first.one rate.limit rate_limit dot.ted sink" "l3afctl show after the restart"
assert_eq "$(ctl map get "$IF" xdp dot.ted cfg.drop 0)" "{port=5555, enabled=1}" "l3afctl map get after the restart"
send 100 5555
assert_eq "$("$TESTTOOL" sum "$CH/programs/rate:2elimit/maps/stats" 0)" 950 "rate.limit's counter survived the restart"
assert_eq "$("$TESTTOOL" get-u64 "$CH/programs/sink/maps/sink_protocols" 17 0)" 500 "so did dot.ted's config"

# Remove through the bus: the program's encoded pins go, the rest stays.
ctl --runtime remove "$IF" xdp first.one >/dev/null
assert_eq "$(names)" "rate.limit rate_limit dot.ted sink" "l3afctl remove"
[ ! -e "$CH/programs/first:2eone" ] || fail "first.one's pins remain"
echo "ok - first.one's pins are gone"
assert_eq "$("$TESTTOOL" chain-ids "$CH")" "$(echo "$ids0" | cut -d' ' -f2-)" "the others run on, same instances"

# A chain whose drop-ins go is detached and its pins removed; --flush finds the rest.
rm "$DROPINS/20-dotted.conf" "$DROPINS/30-sink.conf" "$DROPINS/10-rate-dot.conf" "$DROPINS/11-rate-underscore.conf"
daemon_reload
assert_eq "$(xdp_id "$IF")" 0 "$IF has no XDP program once its drop-ins are gone"
[ ! -e "$CH" ] && [ -e "$TC" ] || fail "the wrong pins of $IF went: $(find "$PINS/l3t0:2e100" -maxdepth 1)"
echo "ok - $IF's xdp pins are gone, its tc-ingress pins stay"
rm "$DROPINS/40-tc.conf"
daemon_reload
[ ! -e "$PINS/l3t0:2e100" ] || fail "pins of $IF remain: $(find "$PINS/l3t0:2e100")"
echo "ok - $IF's pins are gone"
program_dropin 10-rate-dot rate.limit "$IF" 10 "$SAMPLES/count.bpf.o"
daemon_reload
[ "$(xdp_id "$IF")" != 0 ] || fail "$IF got no chain back"
daemon_stop TERM
"$L3AFD" --root="$ROOT" --flush >>"$T/daemon.log" 2>&1 || fail "--flush failed"
assert_eq "$(xdp_id "$IF")" 0 "--flush detached $IF"
assert_eq "$(xdp_id l3t1)" 0 "--flush detached l3t1"
assert_eq "$(find "$PINS" -mindepth 1 | wc -l)" 0 "--flush left no pins"
