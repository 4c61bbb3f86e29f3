#!/bin/bash
# Issue 3, acceptance 2: every method x three callers, as real uids. root and a
# member of group l3af (through the project's polkit rules) may change; an
# unprivileged user may read, and each change it asks for is refused with an
# authorization error and changes nothing on disk or in the kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_start_with_chain

SINK="{\"Object\": \"$SAMPLES/sink.bpf.o\"}"
CONFIG="$(prog_maps l3t0 xdp portdrop)/portdrop_config"
nprogs() { chain_ids l3t0 | wc -w; }
snapshot() {
        dropin_state
        echo "chain: $(chain_ids l3t0)"
        bpftool map dump pinned "$CONFIG"
}
hand_dropin() {  # a drop-in written by hand, which only a Reload applies
        cat > "$DROPINS/05-hand.conf" <<EOF2
[Program]
Name=hand
Interface=l3t0
Hook=xdp
Priority=5
Object=$SAMPLES/count.bpf.o
EOF2
}

reads() {
        local u=$1
        expect_ok "$(call "$u" ListChains "")" "$u: ListChains"
        expect_ok "$(call "$u" GetChain ss l3t0 xdp)" "$u: GetChain"
        expect_ok "$(call "$u" ListProblems "")" "$u: ListProblems"
        assert_eq "$(call "$u" GetMapEntry sssss l3t0 xdp portdrop portdrop_config 0)" '"{port=7777, enabled=1}"' \
                "$u: GetMapEntry"
        expect_ok "$(call "$u" ListMapEntries ssss l3t0 xdp count stats)" "$u: ListMapEntries"
        assert_eq "$(as "$u" busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 NChains)" \
                "u 1" "$u: property NChains"
        assert_eq "$(as "$u" "$L3AFCTL" --no-legend list | awk '{print $1, $2, $3, $4}')" "l3t0 xdp live 2" \
                "$u: l3afctl list"
}

allowed() {
        local u=$1 out
        reads "$u"

        out=$(call "$u" AddProgram 'sssua{ss}b' l3t0 xdp sink 30 "$SINK" true)
        expect_ok "$out" "$u: AddProgram"
        assert_eq "$(nprogs)" 3 "$u: the sink joined the chain"
        [ -f "$ROOT/run/l3af.d/api-l3t0:xdp:sink.conf" ] || fail "$u: no runtime drop-in for the sink"

        expect_ok "$(call "$u" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{1000, 1}' false)" \
                "$u: SetMapEntry"
        assert_eq "$(call "$u" GetMapEntry sssss l3t0 xdp portdrop portdrop_config 0)" '"{port=1000, enabled=1}"' \
                "$u: the kernel holds the new value"
        assert_matches "$DROPINS/20-portdrop.conf" '^0=\{1000, 1\}$' "$u: the persistent drop-in declares it"

        expect_ok "$(call "$u" DeleteMapEntry sssssb l3t0 xdp portdrop portdrop_config 0 false)" "$u: DeleteMapEntry"
        assert_eq "$(call "$u" GetMapEntry sssss l3t0 xdp portdrop portdrop_config 0)" '"{port=0, enabled=0}"' \
                "$u: the array entry is zeroed"
        grep -q 'Map portdrop_config' "$DROPINS/20-portdrop.conf" && fail "$u: the [Map] group is still declared"
        expect_ok "$(call "$u" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{7777, 1}' false)" \
                "$u: SetMapEntry back"

        expect_ok "$(call "$u" RemoveProgram sssb l3t0 xdp sink true)" "$u: RemoveProgram"
        assert_eq "$(nprogs)" 2 "$u: the sink left the chain"
        [ -e "$ROOT/run/l3af.d/api-l3t0:xdp:sink.conf" ] && fail "$u: the sink's drop-in is still there"

        hand_dropin
        expect_ok "$(call "$u" Reload "")" "$u: Reload"
        assert_eq "$(nprogs)" 3 "$u: Reload applied a hand-written drop-in"
        rm "$DROPINS/05-hand.conf"
        expect_ok "$(call "$u" Reload "")" "$u: Reload again"
        assert_eq "$(nprogs)" 2 "$u: back to two programs"
}

expect_denied() {  # expect_denied USER METHOD SIGNATURE ARGS...
        local out
        out=$(call "$@")
        case $out in
                "ERROR org.freedesktop.DBus.Error.InteractiveAuthorizationRequired:"* | \
                "ERROR org.freedesktop.DBus.Error.AccessDenied:"*) echo "ok - $1: $2 refused (${out%%:*})" ;;
                *) fail "$1: $2 was not refused: $out" ;;
        esac
}

refused() {
        local u=$1 before after out
        reads "$u"
        hand_dropin
        before=$(snapshot)
        expect_denied "$u" AddProgram 'sssua{ss}b' l3t0 xdp sink 30 "$SINK" true
        expect_denied "$u" RemoveProgram sssb l3t0 xdp count false
        expect_denied "$u" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{1000, 1}' false
        expect_denied "$u" DeleteMapEntry sssssb l3t0 xdp portdrop portdrop_config 0 false
        expect_denied "$u" Reload ""
        # With the interactive flag (busctl sets it) polkit finds no agent: still refused.
        as "$u" busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Reload 2>"$T/err" && \
                fail "$u: interactive Reload was allowed"
        echo "ok - $u: interactive Reload refused ($(cat "$T/err"))"
        set +e
        as "$u" "$L3AFCTL" --no-ask-password remove l3t0 xdp count 2>"$T/err"
        assert_eq "$?" 4 "$u: l3afctl exits 4 when not authorized"
        set -e
        after=$(snapshot)
        [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "$u: a refused change changed something"; }
        echo "ok - $u: drop-ins, chain and map unchanged"
        assert_eq "$(nprogs)" 2 "$u: the hand-written drop-in was not applied"
        rm "$DROPINS/05-hand.conf"
}

allowed root
allowed "$USER_OP"
refused "$USER_PLAIN"
assert_contains "$T/daemon.log" "AddProgram by uid 4702" "the journal names the group member's uid"
