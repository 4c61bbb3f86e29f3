#!/bin/bash
# Issue 15: a one-program change is a single splice. Replacing, inserting or
# removing one program loads at most that one instance and moves one pointer
# (its predecessor's next map, or the root's slot at the head): every other
# program keeps its instance and id, wherever the change is. A reorder still
# loads a new prefix. Real packets flow throughout, and none is lost.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0

count() {  # count NAME PRIORITY [version: 1 or 2]
        local extra=
        [ "${3:-1}" = 2 ] && extra="Type=xdp
"
        program_dropin "$1" "$1" l3t0 "$2" "$SAMPLES/count.bpf.o" "$extra"
}
for i in 1 2 3 4 5 6 7 8; do count "c$i" "${i}0"; done

daemon_start
read -ra ids < <(chain_ids l3t0)
assert_eq "${#ids[@]}" 8 "a chain of eight"

GEN=$(send_bg 5555 5000 "$T/sent")
sleep 0.3

# change WHAT EXPECTED-LINE: --check predicts how the change will be made; one
# reload makes it, and the journal line of the change says how it was made.
change() {
        local lines out
        out=$("$L3AFD" --root="$ROOT" --check 2>&1) || fail "$1: --check failed: $out"
        echo "$out" | contains -F -- "change: chain l3t0/xdp: ${2/loaded/to load}" || \
                fail "$1: --check did not predict '${2/loaded/to load}': $out"
        echo "ok - $1: --check predicts it"
        lines=$(log_count "instances\? loaded")
        daemon_reload
        assert_eq "$(log_count "instances\? loaded")" $((lines + 1)) "$1: one generation went live"
        grep "instances\? loaded" "$T/daemon.log" | tail -1 | contains -F -- "$2" || \
                fail "$1: the change's line is '$(grep "instances\? loaded" "$T/daemon.log" | tail -1)', expected '$2'"
        echo "ok - $1: $2"
}
same() {  # same WHAT ID... : the chain's ids are these
        assert_eq "$(chain_ids l3t0)" "${*:2}" "$1"
}

count c8 80 2
change "replace the tail" "splice, replace 'c8' after 'c7', 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the tail's replacement loaded one instance: the other seven ids are unchanged" "${ids[@]:0:7} ${now[7]}"
assert_ne "${now[7]}" "${ids[7]}" "the tail is a new instance"
ids=("${now[@]}")

count c1 10 2
change "replace the head" "splice, replace 'c1' at the head, 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the head's replacement: the other seven ids are unchanged" "${now[0]} ${ids[*]:1}"
assert_ne "${now[0]}" "${ids[0]}" "the head is a new instance"
ids=("${now[@]}")

count c4 40 2
change "replace in the middle" "splice, replace 'c4' after 'c3', 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the middle's replacement: the other seven ids are unchanged" "${ids[*]:0:3} ${now[3]} ${ids[*]:4}"
ids=("${now[@]}")

count c45 45
change "insert in the middle" "splice, insert 'c45' after 'c4', 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the insert: the eight ids are unchanged around the new one" "${ids[*]:0:4} ${now[4]} ${ids[*]:4}"

rm "$DROPINS/c45.conf"
change "remove from the middle" "splice, remove 'c45' after 'c4', 0 instances loaded"
same "the removal loaded nothing: the chain is as before the insert" "${ids[*]}"
[ ! -e "$(chain_dir l3t0)/programs/c45" ] || fail "the removed program's pins remain"

# Removing the last program empties its predecessor's next map, for which the
# kernel waits a grace period; l3afd may load a new instance of the
# predecessor instead, with no successor, when it measured that cheaper.
rm "$DROPINS/c8.conf"
out=$("$L3AFD" --root="$ROOT" --check 2>&1) || fail "--check failed: $out"
echo "$out" | contains -F "change: chain l3t0/xdp: splice, remove 'c8' after 'c7', 0 instances to load" || \
        fail "--check did not predict the tail's removal: $out"
daemon_reload
line=$(grep "instances\? loaded" "$T/daemon.log" | tail -1)
read -ra now < <(chain_ids l3t0)
case $line in
*"splice, remove 'c8' after 'c7', 0 instances loaded"*)
        same "the tail's removal emptied c7's next map: c7 is last" "${ids[*]:0:7}" ;;
*"splice, remove 'c8' after 'c7' (a new instance of it ends the chain), 1 instance loaded"*)
        same "the tail's removal loaded c7 again, with no successor" "${ids[*]:0:6} ${now[6]}"
        assert_ne "${now[6]}" "${ids[6]}" "c7 is a new instance" ;;
*)      fail "the tail's removal: $line" ;;
esac
ids=("${now[@]}")

count c8 80
change "append" "splice, insert 'c8' after 'c7', 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the append: seven ids unchanged" "${ids[*]:0:7} ${now[7]}"
ids=("${now[@]}")

# Adopted instances were not loaded by this daemon: it knows no cost to
# weigh, and the last program's removal empties its predecessor's next map.
daemon_stop TERM
daemon_start
same "adopted as it ran" "${ids[*]}"
rm "$DROPINS/c8.conf"
change "remove the tail after a restart" "splice, remove 'c8' after 'c7', 0 instances loaded"
same "c7 is last, the same instance" "${ids[*]:0:7}"
count c8 80
change "append again" "splice, insert 'c8' after 'c7', 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the append: seven ids unchanged" "${ids[*]:0:7} ${now[7]}"
ids=("${now[@]}")

rm "$DROPINS/c1.conf"
change "remove the head" "splice, remove 'c1' at the head, 0 instances loaded"
same "the head's removal: the root points at the second" "${ids[*]:1}"
count c1 10
change "prepend" "splice, insert 'c1' at the head, 1 instance loaded"
read -ra now < <(chain_ids l3t0)
same "the prepend: seven ids unchanged" "${now[0]} ${ids[*]:1}"
ids=("${now[@]}")

# A reorder moves two pointers: a new prefix up to the last program that moved.
count c2 30; count c3 20
change "reorder" "new prefix, 3 instances loaded"
read -ra now < <(chain_ids l3t0)
same "the reorder shares the suffix after it" "${now[*]:0:3} ${ids[*]:3}"
# Two programs at once: a new prefix too.
count c2 20 2; count c3 30 2
change "two at once" "new prefix, 3 instances loaded"

sleep 0.3
send_stop "$GEN"
sleep 0.2
sent=$(cat "$T/sent")
[ "$sent" -gt 500 ] || fail "too little traffic ($sent)"
for p in c5 c6 c7; do
        assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp $p)/stats" 0)" "$sent" "$p, in the chain throughout, counted every packet sent"
done
[ "$(log_count "change failed")" = 0 ] || fail "a change failed"
