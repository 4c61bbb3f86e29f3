#!/bin/bash
# Issue 3, acceptance 4: bad input. Wrong types, unknown interface, hook,
# chain, program and map, an out-of-range priority, malformed map text,
# oversized strings, changes that cannot apply: each gets its named error and
# nothing changes on disk or in the kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_start_with_chain

CONFIG="$(prog_maps l3t0 xdp portdrop)/portdrop_config"
snapshot() {
        dropin_state
        echo "chain: $(chain_ids l3t0)"
        bpftool map dump pinned "$CONFIG"
}
before=$(snapshot)
E=org.l3af.Chain1.Error
INVALID=org.freedesktop.DBus.Error.InvalidArgs
long() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }
obj() { echo "{\"Object\": \"$1\"}"; }
check() {  # check ERROR WHAT METHOD SIGNATURE ARGS...
        local err=$1 what=$2
        shift 2
        expect_error "$err" "$(call root "$@")" "$what"
}
quotes() {  # quotes TEXT WHAT METHOD SIGNATURE ARGS...: InvalidArgs that quotes TEXT
        local text=$1 what=$2 out
        shift 2
        out=$(call root "$@")
        expect_error "$INVALID" "$out" "$what"
        case $out in *"'$text"*) ;; *) fail "$what: the error does not quote '$text': $out" ;; esac
}

# Wrong types
check "$INVALID" "GetChain with an integer hook" GetChain su l3t0 1
check "$INVALID" "AddProgram with a signed priority" AddProgram 'sssia{ss}b' l3t0 xdp x 10 "$(obj "$SAMPLES/count.bpf.o")" true
check "$INVALID" "SetMapEntry without the runtime flag" SetMapEntry ssssss l3t0 xdp portdrop portdrop_config 0 1

# Unknown things
check "$E.NoSuchInterface" "GetChain on a missing interface" GetChain ss nosuch0 xdp
check "$E.NoSuchInterface" "AddProgram on a missing interface" AddProgram 'sssua{ss}b' nosuch0 xdp x 10 "$(obj "$SAMPLES/count.bpf.o")" true
quotes tc-sideways "an unknown hook" GetChain ss l3t0 tc-sideways
check "$E.NoSuchChain" "GetChain on a hook without a chain" GetChain ss l3t0 tc-ingress
check "$E.NoSuchProgram" "RemoveProgram of an undeclared program" RemoveProgram sssb l3t0 xdp nosuch false
check "$E.NoSuchProgram" "GetMapEntry of a program not in the chain" GetMapEntry sssss l3t0 xdp nosuch stats 0
check "$E.NoSuchMap" "GetMapEntry of an unknown map" GetMapEntry sssss l3t0 xdp portdrop nosuchmap 0
check "$E.NoSuchMap" "SetMapEntry of an unknown map" SetMapEntry ssssssb l3t0 xdp portdrop nosuchmap 0 1 true
quotes Bogus "an unknown setting" AddProgram 'sssua{ss}b' l3t0 xdp x 10 '{"Bogus": "1"}' true

# Out of range, malformed, oversized
quotes 70000 "priority 70000" AddProgram 'sssua{ss}b' l3t0 xdp x 70000 "$(obj "$SAMPLES/count.bpf.o")" true
quotes '{port=banana' "a malformed value" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{port=banana}' false
quotes 9 "an index past the array" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 9 '{1, 1}' false
quotes 'a=b' "a key with '='" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 'a=b' '{1, 1}' false
quotes '{1, 2, 3}' "a value with too many fields" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 '{1, 2, 3}' false
quotes aaaa "a 5000-byte interface name" GetChain ss "$(long 5000)" xdp
quotes bbbb "a 100-byte program name" RemoveProgram sssb l3t0 xdp "$(long 100 b)" false
quotes 1111 "a 10000-byte map value" SetMapEntry ssssssb l3t0 xdp portdrop portdrop_config 0 "$(long 10000 1)" false
quotes /ccc "a 5000-byte Object=" AddProgram 'sssua{ss}b' l3t0 xdp x 10 "$(obj "/$(long 5000 c)")" true
quotes 'relative/x.o' "a relative Object=" AddProgram 'sssua{ss}b' l3t0 xdp x 10 "$(obj relative/x.o)" true
quotes 'bad name' "an invalid program name" AddProgram 'sssua{ss}b' l3t0 xdp 'bad name' 10 "$(obj "$SAMPLES/count.bpf.o")" true

# Changes that are well-formed but cannot apply: refused, undone.
check "$E.Shadowed" "a runtime removal under /etc/l3af.d" RemoveProgram sssb l3t0 xdp count true
check "$E.VerifierRejected" "a program the verifier rejects" AddProgram 'sssua{ss}b' l3t0 xdp rejected 30 "$(obj "$TESTBPF/reject.bpf.o")" true
out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp rejected 30 "$(obj "$TESTBPF/reject.bpf.o")" true)
case $out in *verifier*) echo "ok - the error quotes the verifier" ;; *) fail "no verifier excerpt: $out" ;; esac
check "$E.InvalidConfiguration" "an entry point the object lacks" AddProgram 'sssua{ss}b' l3t0 xdp x 30 \
        "{\"Object\": \"$SAMPLES/count.bpf.o\", \"Entry\": \"nosuch\"}" true
check "$E.InvalidConfiguration" "a program without a next map before another" AddProgram 'sssua{ss}b' l3t0 xdp sink 5 \
        "$(obj "$SAMPLES/sink.bpf.o")" false

after=$(snapshot)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "bad input changed something"; }
echo "ok - drop-ins, chain and map unchanged"
assert_eq "$("$L3AFCTL" --no-legend list | awk '{print $3}')" live "the chain is live"
[ -z "$(call root ListProblems "" | tr -d '[]')" ] || fail "problems left behind: $(call root ListProblems "")"
echo "ok - no problem left behind"

# l3afctl maps the errors to its exit statuses.
set +e
"$L3AFCTL" show nosuch0 xdp 2>/dev/null; assert_eq $? 3 "l3afctl: no such interface exits 3"
"$L3AFCTL" show l3t0 tc-sideways 2>/dev/null; assert_eq $? 2 "l3afctl: invalid argument exits 2"
"$L3AFCTL" bogus 2>/dev/null; assert_eq $? 2 "l3afctl: unknown command exits 2"
"$L3AFCTL" --address=unix:path=/nonexistent list 2>/dev/null; assert_eq $? 5 "l3afctl: no bus exits 5"
set -e
