#!/bin/bash
# AddProgram's settings are read by the same key table as the drop-in they
# become (src/shared/conf-keys.c): a value the drop-in parser would refuse is refused
# by the call itself with InvalidArgs, quoting the value and in the drop-in
# parser's words, before any drop-in is written. Nothing changes: the drop-ins,
# the chain in the kernel, and its counting of real packets.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_start_with_chain

INVALID=org.freedesktop.DBus.Error.InvalidArgs
before_dropins=$(dropin_state)
before_chain=$(chain_ids l3t0)
obj="\"Object\": \"$SAMPLES/count.bpf.o\""

# refused KEY VALUE WORDS: AddProgram with KEY=VALUE is InvalidArgs quoting VALUE and WORDS.
refused() {
        local key=$1 value=$2 words=$3 out
        out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp extra 30 "{$obj, \"$key\": \"$value\"}" true)
        expect_error "$INVALID" "$out" "$key=$value"
        case $out in *"'$value'"*) ;; *) fail "$key=$value: the error does not quote the value: $out" ;; esac
        case $out in *"$words"*) echo "ok - $key=$value: in the drop-in parser's words" ;;
                *) fail "$key=$value: expected '$words' in: $out" ;; esac
}

refused Mode sideways "unknown mode 'sideways' (one of auto, native, generic)"
refused TCXPass maybe "unknown value 'maybe'"
refused OnForeignProgram ignore "unknown policy 'ignore' (log or restore)"
refused RepositoryLayout flat "unknown layout 'flat' (l3afd or l3af)"
refused AllowDowngrade perhaps "not a boolean (yes or no)"
refused NextMap "no/slash" "is not a valid map name"
refused Artifact "a/b.tar.gz" "is not a file name"
refused Codename "book worm" "is not a distribution codename"
refused Folder "../up" "is not a relative path inside the package"
refused ObjectFile "/abs.o" "is not a relative path inside the package"

assert_eq "$(dropin_state)" "$before_dropins" "no drop-in was written or changed"
assert_eq "$(chain_ids l3t0)" "$before_chain" "the chain keeps its generation"
COUNT="$(prog_maps l3t0 xdp count)/stats"
n0=$("$TESTTOOL" sum "$COUNT" 0)
send 200 9000
assert_eq "$(( $("$TESTTOOL" sum "$COUNT" 0) - n0 ))" 200 "the chain counts every packet sent"

# A good value of the same keys is taken: the program is added and live.
out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp extra 30 "{$obj, \"Mode\": \"auto\", \"OnForeignProgram\": \"log\"}" true)
case $out in "ERROR"*) fail "a good AddProgram failed: $out" ;; esac
echo "ok - good values are taken"
assert_contains "$ROOT/run/l3af.d/$(ls "$ROOT/run/l3af.d" | sed -n 1p)" "Mode=auto" "the drop-in carries Mode=auto"
