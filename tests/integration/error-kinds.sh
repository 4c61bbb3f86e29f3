#!/bin/bash
# Issue 14, item 4: the bus's named error comes from the kind of failure,
# made where the failure is found, not from searching the message. A
# program the verifier refuses is VerifierRejected; a configuration error
# whose message merely quotes the words "verifier rejected" (a name the
# caller chose) is InvalidConfiguration; neither changes anything.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_start_with_chain
before=$(dropin_state; chain_ids l3t0)
E=org.l3af.Chain1.Error

out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp rejected 30 "{\"Object\": \"$TESTBPF/reject.bpf.o\"}" true)
expect_error "$E.VerifierRejected" "$out" "a program the verifier refuses"

# The entry point's name is the caller's text, quoted back in the error.
out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp x 30 \
        "{\"Object\": \"$SAMPLES/count.bpf.o\", \"Entry\": \"the_verifier rejected_me\"}" true)
expect_error "$E.InvalidConfiguration" "$out" "an entry point the object lacks, named like a verifier message"
out=$(call root AddProgram 'sssua{ss}b' l3t0 xdp x 30 \
        "{\"Object\": \"$SAMPLES/count.bpf.o\", \"Entry\": \"verifier rejected\"}" true)
case $out in
*"verifier rejected"*) expect_error "$E.InvalidConfiguration" "$out" "an entry point named 'verifier rejected'" ;;
*) expect_error "org.freedesktop.DBus.Error.InvalidArgs" "$out" "an entry point named 'verifier rejected'" ;;
esac

assert_eq "$(dropin_state; chain_ids l3t0)" "$before" "nothing changed on disk or in the kernel"
