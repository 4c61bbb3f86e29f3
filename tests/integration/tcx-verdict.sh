#!/bin/bash
# tcx verdicts of programs written for cls_bpf direct-action (issue 9, item 9).
# An L3AF-style tc program ends with TC_ACT_OK (== TCX_PASS). Last in our
# chain, under the default TCXPass=next, a tcx program attached after our root
# and a legacy clsact filter still see every packet; with TCXPass=pass they
# see none. The other direct-action verdicts keep their meaning: SHOT and
# STOLEN take the packet away, PIPE lets it on. Both tc-ingress and tc-egress.
source "$(dirname "$0")/lib.sh"

L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
APPLIED_MSG=MESSAGE_ID=63470bf27ebf49928b9fd27cb01a8e2b
journal_start
export L3AF_LOG_TARGET=console+journal
veth_add l3t0 l3p0 0
plain_bus_start
daemon_start --bus-address="$PLAIN_BUS"

ctl() { "$L3AFCTL" --address="$PLAIN_BUS" "$@"; }

verdict_dropin() {  # verdict_dropin HOOK VERDICT [TCXPASS]
        printf '[Program]\nName=count\nInterface=l3t0\nHook=%s\nPriority=10\nObject=%s\n' "$1" \
                "$SAMPLES/count.bpf.o" > "$DROPINS/10-count-$1.conf"
        printf '[Program]\nName=verdict\nInterface=l3t0\nHook=%s\nPriority=20\nObject=%s\nType=tc\n%s\n%s\n%s\n[Map verdict_config]\n0=%s\n' \
                "$1" "$TESTBPF/l3af_tc.bpf.o" "Entry=_tc_verdict" "NextMap=tc_verdict_next_prog" \
                "${3:+TCXPass=$3}" "$2" > "$DROPINS/20-verdict-$1.conf"
}

for dir in ingress egress; do
        hook=tc-$dir
        info "--- $hook"
        verdict_dropin "$hook" 0
        daemon_reload
        wait_log "Chain l3t0/$hook generation 1 is live"

        # After our root: a tcx program of someone else's, and a legacy clsact filter.
        "$FOREIGN" tcx-last l3t0 "$TESTBPF/tcseen.bpf.o" "$dir" > "$T/foreign-$dir.out" &
        HOLDER=$!
        for _ in $(seq 100); do [ -s "$T/foreign-$dir.out" ] && break; sleep 0.05; done
        tcx_id=$(awk '{print $1}' "$T/foreign-$dir.out")
        [ -n "$tcx_id" ] || fail "the foreign tcx program did not attach"
        tc qdisc replace dev l3t0 clsact
        tc filter add dev l3t0 "$dir" bpf da obj "$TESTBPF/tcseen.bpf.o" sec tc
        cls_id=$(tc filter show dev l3t0 "$dir" | grep -o ' id [0-9]*' | awk '{print $2}' | sed -n 1p)
        [ -n "$cls_id" ] || fail "the clsact filter did not load"
        root_id=$("$TESTTOOL" prog-id "$(chain_dir l3t0 "$hook")/root")
        assert_eq "$("$TESTTOOL" tcx-ids l3t0 "$dir")" "$root_id $tcx_id" "$hook: our root first, the other tcx program after it"

        tcx_seen() { "$TESTTOOL" prog-map-sum "$tcx_id" seen; }
        cls_seen() { "$TESTTOOL" prog-map-sum "$cls_id" seen; }
        chain_seen() { "$TESTTOOL" sum "$(prog_maps l3t0 "$hook" verdict)/verdict_count"; }
        # shoot N: N packets through the hook; prints "chain tcx clsact" packet counts seen
        shoot() {
                local c0 t0 l0
                c0=$(chain_seen); t0=$(tcx_seen); l0=$(cls_seen)
                if [ "$dir" = ingress ]; then send "$1" 5555; else "$UDPGEN" 10.99.0.2 5555 "$1" >/dev/null; fi
                echo "$(( $(chain_seen) - c0 )) $(( $(tcx_seen) - t0 )) $(( $(cls_seen) - l0 ))"
        }

        assert_eq "$(shoot 100)" "100 100 100" "$hook, TCXPass=next (default): TC_ACT_OK last in the chain; the tcx program and the clsact filter see 100 of 100"
        grep "Chain l3t0/$hook generation 1 is live: " "$T/daemon.log" | contains "; TCXPass=next: its TC_ACT_OK goes on to later tcx programs and tc filters$" || fail "the journal line does not say the chain lets tcx processing go on"
        echo "ok - the journal line says the chain lets tcx processing go on"
        ctl show l3t0 "$hook" > "$T/show"
        assert_contains "$T/show" "TCXPass=next: the chain's TC_ACT_OK goes on to later tcx programs and tc filters" "l3afctl show says the chain lets tcx processing go on"
        assert_eq "$(ctl --json show l3t0 "$hook" | grep -o '"tcx_pass":"[a-z]*"')" '"tcx_pass":"next"' "l3afctl --json show says tcx_pass next"

        # The operator chooses to end tcx processing: only the root changes.
        ids=$(chain_ids l3t0 "$hook")
        verdict_dropin "$hook" 0 pass
        daemon_reload
        wait_log "Chain l3t0/$hook generation 2 is live: .*; TCXPass=pass: its TC_ACT_OK ends tcx processing"
        assert_eq "$(chain_ids l3t0 "$hook")" "$ids" "$hook: TCXPass=pass swaps the root and keeps every instance"
        assert_ne "$("$TESTTOOL" prog-id "$(chain_dir l3t0 "$hook")/root")" "$root_id" "$hook: a new root runs"
        assert_eq "$("$TESTTOOL" tcx-ids l3t0 "$dir")" "$("$TESTTOOL" prog-id "$(chain_dir l3t0 "$hook")/root") $tcx_id" "$hook: through the same link, still first"
        assert_eq "$(shoot 100)" "100 0 0" "$hook, TCXPass=pass: TC_ACT_OK ends tcx processing; the tcx program and the clsact filter see 0 of 100"
        ctl show l3t0 "$hook" > "$T/show"
        assert_contains "$T/show" "TCXPass=pass: the chain's TC_ACT_OK ends tcx processing" "l3afctl show says the chain ends tcx processing"
        wait_journal 1 5 "$APPLIED_MSG" L3AF_INTERFACE=l3t0 L3AF_HOOK="$hook" L3AF_GENERATION=2
        assert_eq "$(jfield L3AF_TCX_PASS "$APPLIED_MSG" L3AF_INTERFACE=l3t0 L3AF_HOOK="$hook" L3AF_GENERATION=2)" pass "the journal entry carries L3AF_TCX_PASS=pass"
        assert_eq "$(busctl --address="$PLAIN_BUS" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetChainSettings ss l3t0 "$hook" | grep -o '"TCXPass" "[a-z]*"')" '"TCXPass" "pass"' "GetChainSettings reports TCXPass=pass"

        # A restart adopts the policy from the pins: nothing new is applied.
        gen_lines=$(log_count "Chain l3t0/$hook generation 3 is live")
        before="$("$TESTTOOL" tcx-ids l3t0 "$dir") / $(chain_ids l3t0 "$hook")"
        daemon_stop TERM
        daemon_start --bus-address="$PLAIN_BUS"
        assert_eq "$(log_count "Chain l3t0/$hook generation 3 is live")" "$gen_lines" "$hook: a restart applies nothing new"
        assert_eq "$("$TESTTOOL" tcx-ids l3t0 "$dir") / $(chain_ids l3t0 "$hook")" "$before" "$hook: the same root and instances run"
        assert_eq "$(shoot 100)" "100 0 0" "$hook: after the restart TC_ACT_OK still ends tcx processing"

        # Back to TCXPass=next under traffic: the root swap loses no packet.
        c0=$(chain_seen)
        if [ "$dir" = ingress ]; then
                GEN=$(send_bg 5555 5000 "$T/sent")
        else
                UDPGEN_COUNT_FILE="$T/sent" "$UDPGEN" 10.99.0.2 5555 0 5000 >/dev/null &
                GEN=$!
        fi
        sleep 0.3
        verdict_dropin "$hook" 0
        daemon_reload
        sleep 0.3
        send_stop "$GEN"
        sleep 0.2
        assert_eq "$(( $(chain_seen) - c0 ))" "$(cat "$T/sent")" "$hook: the switch back to TCXPass=next under traffic loses no packet"
        assert_eq "$(shoot 100)" "100 100 100" "$hook: and TC_ACT_OK goes on again"

        # The other direct-action verdicts, under the default policy.
        verdict_dropin "$hook" 2
        daemon_reload
        assert_eq "$(shoot 100)" "100 0 0" "$hook: TC_ACT_SHOT still drops"
        verdict_dropin "$hook" 4
        daemon_reload
        assert_eq "$(shoot 100)" "100 0 0" "$hook: TC_ACT_STOLEN takes the packet, as under cls_bpf"
        verdict_dropin "$hook" 3
        daemon_reload
        assert_eq "$(shoot 100)" "100 100 100" "$hook: TC_ACT_PIPE lets it on to the next tcx program and filter, as under cls_bpf"
        verdict_dropin "$hook" 0
        daemon_reload
        assert_eq "$(shoot 100)" "100 100 100" "$hook: back to TCXPass=next"

        kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
        tc qdisc del dev l3t0 clsact
        rm "$DROPINS/10-count-$hook.conf" "$DROPINS/20-verdict-$hook.conf"
        daemon_reload
done

# A crash in the middle of a TCXPass= change: the next start finishes or drops
# the root swap, and knows which policy the running root has.
crash_reload() {  # crash_reload POINT COMMAND...: make a change with l3afd set to die at POINT
        local point=$1 rc=0
        daemon_stop TERM
        L3AF_TEST_CRASH_AT=$point daemon_start --bus-address="$PLAIN_BUS"
        shift
        "$@"
        kill -HUP "$DAEMON_PID"
        wait "$DAEMON_PID" || rc=$?
        DAEMON_PID=
        assert_eq "$rc" 137 "l3afd died at $point"
}
settings() { busctl --address="$PLAIN_BUS" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetChainSettings ss l3t0 tc-ingress | grep -o '"TCXPass" "[a-z]*"'; }
verdict_dropin tc-ingress 0
daemon_reload
root() { "$TESTTOOL" tcx-ids l3t0 ingress; }
before=$(root)
crash_reload swap-pinned verdict_dropin tc-ingress 0 pass
assert_eq "$(root)" "$before" "killed before the switch, the old root still runs"
daemon_start --bus-address="$PLAIN_BUS"
assert_contains "$T/daemon.log" "Chain l3t0/tc-ingress: dropping a root swap a stop interrupted before it happened." "the next start drops the unfinished swap"
wait_log "Chain l3t0/tc-ingress generation 2 is live: .*; TCXPass=pass"
assert_eq "$(settings)" '"TCXPass" "pass"' "and makes the change again"
before=$(root)
crash_reload swap-switched verdict_dropin tc-ingress 0
after=$(root)
assert_ne "$after" "$before" "killed after the switch, the new root runs"
lives=$(log_count "is live")
daemon_start --bus-address="$PLAIN_BUS"
assert_contains "$T/daemon.log" "Chain l3t0/tc-ingress: completing a root swap a stop interrupted." "the next start completes the swap"
assert_eq "$(log_count "is live")" "$lives" "and has nothing left to change"
assert_eq "$(settings)" '"TCXPass" "next"' "it knows the running root's TCXPass=next"
assert_eq "$(root)" "$after" "the same root runs"
rm "$DROPINS/10-count-tc-ingress.conf" "$DROPINS/20-verdict-tc-ingress.conf"
daemon_reload

# TCXPass= is a tc hooks' key, and one chain has one policy.
verdict_dropin tc-ingress 0 sideways
daemon_reload
wait_log "TCXPass.*unknown value 'sideways'"
echo "ok - an unknown TCXPass= value is refused, naming it"
verdict_dropin tc-ingress 0 pass
printf 'TCXPass=next\n' >> "$DROPINS/10-count-tc-ingress.conf"
daemon_reload
wait_log "'pass' conflicts with TCXPass=next"
echo "ok - conflicting TCXPass= in one chain are refused"
printf '[Program]\nName=count\nInterface=l3t0\nHook=xdp\nObject=%s\nTCXPass=pass\n' "$SAMPLES/count.bpf.o" > "$DROPINS/30-xdp.conf"
daemon_reload
wait_log "only chains on tc-ingress and tc-egress have a tcx verdict"
echo "ok - TCXPass= on an XDP chain is refused"
