#!/bin/bash
# Acceptance 2: while traffic flows, apply many random chain changes (insert,
# remove, reorder, replace). Every packet must traverse exactly one whole
# generation: the pathcheck programs record their ids in the packet's XDP
# metadata and the last one looks the path up among the generations the test
# declared (pc_valid). Zero violations, and every packet sent is checked (none
# skipped the chain or was lost).
# Issue 15: one insert, remove or replace at any position is a single splice
# (one pointer moves: the predecessor's next map, or the root's slot); a
# reorder or several programs at once load a new prefix. Both must be in the
# mix, and a second version of a program records its id plus 100, so the
# path tells the versions apart.
source "$(dirname "$0")/lib.sh"

CHANGES=${L3AF_ATOMICITY_CHANGES:-2000}
POOL=10                      # pathcheck programs pc1..pc10, ids 1..10
SEED=${L3AF_SEED:-$(date +%s)}
RANDOM=$SEED
info "seed $SEED, $CHANGES changes"

veth_add l3t0 l3p0 0

declare -a chain=()           # ids in chain order
declare -A variant=()         # id -> 1 or 2 (object version)
for i in $(seq $POOL); do variant[$i]=1; done

write_chain() {
        local pos=0 id obj
        rm -f "$DROPINS"/pc*.conf
        for id in "${chain[@]}"; do
                pos=$((pos + 1))
                obj="$SAMPLES/pathcheck.bpf.o"
                [ "${variant[$id]}" = 2 ] && obj="$TESTBPF/pathcheck_v2.bpf.o"
                printf '[Program]\nName=pc%d\nInterface=l3t0\nHook=xdp\nPriority=%d\nObject=%s\n\n[Map pathcheck_id]\n0=%d\n' \
                        "$id" $((pos * 10)) "$obj" "$id" > "$DROPINS/pc$id.conf"
        done
}

declare_valid() {
        local id path=()
        for id in "${chain[@]}"; do path+=($((id + (${variant[$id]} - 1) * 100))); done
        "$TESTTOOL" pc-valid "$(chain_dir l3t0)/maps/pc_valid" "${path[@]}"
}

in_chain() { local x; for x in "${chain[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

mutate() {
        local n=${#chain[@]} op=$((RANDOM % 5)) i j id tmp free=()
        for id in $(seq $POOL); do in_chain "$id" || free+=("$id"); done
        # keep between 1 and POOL programs
        [ "$op" = 0 ] && [ ${#free[@]} = 0 ] && op=1
        [ "$op" = 1 ] && [ "$n" -le 1 ] && op=0
        [ "$op" = 2 ] && [ "$n" -le 1 ] && op=3
        case $op in
        0)  # insert a free program at a random position
                id=${free[$((RANDOM % ${#free[@]}))]}
                i=$((RANDOM % (n + 1)))
                chain=("${chain[@]:0:$i}" "$id" "${chain[@]:$i}") ;;
        1)  # remove one
                i=$((RANDOM % n))
                chain=("${chain[@]:0:$i}" "${chain[@]:$((i + 1))}") ;;
        2)  # reorder: swap two
                i=$((RANDOM % n)); j=$(((i + 1 + RANDOM % (n - 1)) % n))
                tmp=${chain[$i]}; chain[$i]=${chain[$j]}; chain[$j]=$tmp ;;
        3)  # replace one by the other version of its object
                id=${chain[$((RANDOM % n))]}
                variant[$id]=$((3 - ${variant[$id]})) ;;
        4)  # several at once: another version of two programs, and one more (or one fewer)
                id=${chain[$((RANDOM % n))]}
                variant[$id]=$((3 - ${variant[$id]}))
                id=${chain[$((RANDOM % n))]}
                variant[$id]=$((3 - ${variant[$id]}))
                if [ ${#free[@]} -gt 0 ]; then
                        id=${free[$((RANDOM % ${#free[@]}))]}
                        i=$((RANDOM % (n + 1)))
                        chain=("${chain[@]:0:$i}" "$id" "${chain[@]:$i}")
                elif [ "$n" -gt 2 ]; then
                        i=$((RANDOM % n))
                        chain=("${chain[@]:0:$i}" "${chain[@]:$((i + 1))}")
                fi ;;
        esac
}

chain=(1 2 3)
write_chain
daemon_start --log-level=info
declare_valid
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "initial chain of three"

GEN_PID=$(send_bg 9999 20000 "$T/sent")
sleep 0.3

follow_log
for k in $(seq "$CHANGES"); do
        mutate
        write_chain
        declare_valid
        reload_fast
        [ $((k % 250)) = 0 ] && info "$k changes applied, chain now: ${chain[*]}"
done

sleep 0.3
send_stop "$GEN_PID"
sleep 0.3
sent=$(cat "$T/sent")
stats="$(chain_dir l3t0)/maps/pc_stats"
checked=$("$TESTTOOL" sum "$stats" 0)
violations=$("$TESTTOOL" sum "$stats" 1)
no_meta=$("$TESTTOOL" sum "$stats" 2)
generations=$(log_count "is live")
info "sent $sent packets over $generations generations"

[ "$(log_count "change failed")" = 0 ] || fail "some changes failed"
splices=$(log_count ": splice, ")
prefixes=$(log_count ": new prefix, ")
info "$splices single splices, $prefixes new prefixes"
[ "$splices" -ge $((CHANGES / 4)) ] || fail "only $splices of $CHANGES changes were single splices"
[ "$prefixes" -ge $((CHANGES / 10)) ] || fail "only $prefixes of $CHANGES changes loaded a new prefix"
[ "$generations" -ge "$CHANGES" ] || fail "only $generations generations went live for $CHANGES changes"
assert_eq "$violations" 0 "no packet saw a half-changed chain"
assert_eq "$no_meta" 0 "every packet carried its path"
assert_eq "$checked" "$sent" "every packet sent went through a whole chain"
[ "$sent" -gt 1000 ] || fail "too little traffic ($sent) for the test to mean anything"

# The final chain is what was asked for.
want=""
for id in "${chain[@]}"; do want="$want pc$id"; done
got=$(grep "is live" "$T/daemon.log" | tail -1 | sed 's/.*is live: //; s/ (id [0-9]*)//g; s/ -> / /g')
assert_eq " $got" "$want" "the last generation is the last chain asked for"
