#!/bin/bash
# Issue 3, acceptance 5: responsiveness. 50 concurrent clients make 100
# GetChain calls each while the chain is being changed through the bus (adds
# and removes, as root and as a group member, polkit asked each time): every
# call is answered, none is lost, and every change completes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

bus_setup
veth_add l3t0 l3p0 0
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
bus_daemon_start

# Changes in a loop until the readers are done.
changer() {  # changer USER NAME PRIORITY
        local u=$1 name=$2 prio=$3 n=0
        while [ ! -e "$T/stop" ]; do
                as "$u" "$L3AFCTL" --no-ask-password --runtime add l3t0 xdp "$name" \
                        Object="$SAMPLES/portdrop.bpf.o" Priority="$prio" >/dev/null || { echo "add failed" >> "$T/changer.err"; return; }
                as "$u" "$L3AFCTL" --no-ask-password --runtime remove l3t0 xdp "$name" >/dev/null || { echo "remove failed" >> "$T/changer.err"; return; }
                n=$((n + 2))
        done
        echo "$n" > "$T/changes.$name"
}
changer root pd1 20 &
C1=$!
changer "$USER_OP" pd2 30 &
C2=$!

start=$(date +%s%N)
"$BUSCLIENT" 50 100 l3t0 xdp > "$T/load.txt" || { cat "$T/load.txt"; fail "not every call was answered"; }
end=$(date +%s%N)
touch "$T/stop"
wait "$C1" "$C2"
[ ! -e "$T/changer.err" ] || fail "a change failed under load: $(cat "$T/changer.err")"
cat "$T/load.txt"
assert_contains "$T/load.txt" "calls=5000 answered=5000 errors=0" "5000 calls, 5000 answers, no error"
changes=$(( $(cat "$T/changes.pd1") + $(cat "$T/changes.pd2") ))
[ "$changes" -gt 0 ] || fail "no change completed during the load"
echo "ok - $changes changes completed meanwhile, in $(( (end - start) / 1000000 )) ms of load"
assert_eq "$(chain_ids l3t0 | wc -w)" 1 "the chain ends as declared (count alone)"
gen=$(busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetChain ss l3t0 xdp | awk '{print $3}')
[ "$gen" -gt "$changes" ] || fail "generation $gen after $changes changes"
echo "ok - generation $gen"
