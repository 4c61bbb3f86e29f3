#!/bin/bash
# Acceptance 3: stopping the daemon (SIGTERM, and SIGKILL) leaves the data path
# running; a restart with the same drop-ins adopts every chain from the pins
# and changes nothing in the kernel: the XDP program id and every chain
# program id stay the same, traffic never stops, counters keep counting.
# Then: an adopted chain still changes normally; removing a chain's drop-ins
# detaches it and removes its pins; --flush removes everything.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1

sample_chain l3t0
program_dropin 10-count-l3t1 count l3t1 10 "$SAMPLES/count.bpf.o"

daemon_start
xdp0=$(xdp_id l3t0); xdp1=$(xdp_id l3t1)
ids0=$(chain_ids l3t0); ids1=$(chain_ids l3t1)
info "l3t0: attached $xdp0, chain $ids0; l3t1: attached $xdp1, chain $ids1"
assert_eq "$xdp0" "$(entry_id l3t0)" "l3t0's link runs the chain's head instance"

GEN=$(send_bg 5555 5000 "$T/sent")
sleep 0.5

restart_and_check() {  # restart_and_check SIGNAL
        local before lives
        daemon_stop "$1"
        # The data path runs on without the daemon.
        before=$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)
        sleep 0.5
        [ "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" -gt "$before" ] || fail "traffic stopped after SIG$1"
        assert_eq "$(xdp_id l3t0)" "$xdp0" "after SIG$1, l3t0's XDP program is still the chain's head"
        lives=$(log_count "is live")
        daemon_start
        assert_eq "$(xdp_id l3t0)" "$xdp0" "after SIG$1 and restart, l3t0's XDP program id is unchanged"
        assert_eq "$(xdp_id l3t1)" "$xdp1" "after SIG$1 and restart, l3t1's XDP program id is unchanged"
        assert_eq "$(chain_ids l3t0)" "$ids0" "after SIG$1 and restart, l3t0's chain program ids are unchanged"
        assert_eq "$(chain_ids l3t1)" "$ids1" "after SIG$1 and restart, l3t1's chain program ids are unchanged"
        assert_eq "$(log_count "is live")" "$lives" "the restart applied no new generation"
        [ "$(log_count "adopted from pins")" -ge 2 ] || fail "the chains were not reported as adopted"
}

restart_and_check TERM
restart_and_check KILL

send_stop "$GEN"
sleep 0.2
sent=$(cat "$T/sent")
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" "$sent" "count counted every packet across both restarts"
assert_eq "$("$TESTTOOL" get-u64 "$(prog_maps l3t0 xdp sink)/sink_protocols" 17 0)" "$sent" "so did sink"

# An adopted chain changes like any other: a new program in front shares the rest.
program_dropin 05-first first l3t0 5 "$SAMPLES/count.bpf.o"
daemon_reload
new=$(chain_ids l3t0)
assert_eq "$(echo "$new" | cut -d' ' -f2-)" "$ids0" "prepending keeps the adopted instances"
assert_eq "$(xdp_id l3t0)" "$(echo "$new" | cut -d' ' -f1)" "the new head runs at the hook, no root in front"
grep -q "generation 2 is live" "$T/daemon.log" || fail "the change after adoption is not generation 2"
echo "ok - the first change after adoption is generation 2"

# Killed between a change's switch and its record: the next start finds the
# new generation running, takes it as it is, and numbers the next one after it.
daemon_stop TERM
L3AF_TEST_CRASH_AT=change-switched daemon_start
program_dropin 06-second second l3t0 6 "$SAMPLES/count.bpf.o"
kill -HUP "$DAEMON_PID"
rc=0; wait "$DAEMON_PID" || rc=$?; DAEMON_PID=
assert_eq "$rc" 137 "l3afd died right after switching to generation 3"
running=$(chain_ids l3t0)
assert_eq "$(echo $running | wc -w)" 5 "generation 3 runs"
lives=$(log_count "is live")
daemon_start
assert_eq "$(log_count "is live")" "$lives" "the next start adopts it and has nothing to change"
assert_eq "$(chain_ids l3t0)" "$running" "with the same programs"
rm "$DROPINS/06-second.conf" "$DROPINS/05-first.conf"
program_dropin 05-other other l3t0 5 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "generation 4 is live: other" "the next change is generation 4, and applies"

# Single splices (plan.h) killed around their one switch: killed before it,
# the next start finds the old generation running, leaves nothing of the
# change behind and makes it again; killed after it (or after the old
# instance's release), it adopts the new generation at its own number and has
# nothing to change. A removal loads no instance that would say so: its
# record in the meta map does.
splice_crash() {  # splice_crash POINT before|after WHAT COMMAND...: COMMAND edits the drop-ins
        local point=$1 side=$2 what=$3 gen before running lives adopted rc=0
        shift 3
        gen=$(grep -oE "Chain l3t0/xdp (generation [0-9]+ is live|adopted from pins at generation [0-9]+)" \
                "$T/daemon.log" | tail -1 | grep -oE "generation [0-9]+" | cut -d' ' -f2)
        before=$(chain_ids l3t0)
        daemon_stop TERM
        L3AF_TEST_CRASH_AT=$point daemon_start
        "$@"
        kill -HUP "$DAEMON_PID"
        wait "$DAEMON_PID" || rc=$?; DAEMON_PID=
        assert_eq "$rc" 137 "$what: l3afd died at $point"
        running=$(chain_ids l3t0)
        lives=$(log_count "is live")
        daemon_start
        adopted=$(grep -o "Chain l3t0/xdp adopted from pins at generation [0-9]*" "$T/daemon.log" | tail -1 | awk '{print $NF}')
        if [ "$side" = before ]; then
                assert_eq "$running" "$before" "$what, killed before the switch: generation $gen still ran"
                assert_eq "$adopted" "$gen" "$what: the next start adopted generation $gen"
                assert_eq "$(log_count "is live")" $((lives + 1)) "$what: the next start made the change"
                grep "Chain l3t0/xdp generation" "$T/daemon.log" | tail -2 | sed -n 1p | \
                        contains "generation $((gen + 1)): splice" || fail "$what: not made again as generation $((gen + 1)), a splice"
        else
                assert_ne "$running" "$before" "$what, killed after the switch: the new generation ran"
                assert_eq "$adopted" $((gen + 1)) "$what: the next start adopted it as generation $((gen + 1))"
                assert_eq "$(log_count "is live")" "$lives" "$what: the next start had nothing to change"
                assert_eq "$(chain_ids l3t0)" "$running" "$what: with the same programs"
        fi
        # A splice: at most one instance is new, every other one kept its id.
        assert_eq "$(comm -13 <(echo $before | tr ' ' '\n' | sort) <(echo $running | tr ' ' '\n' | sort) | wc -l | \
                awk '{print ($1 <= 1)}')" 1 "$what: a splice, at most one new instance"
        assert_eq "$(find "$(chain_dir l3t0)/programs" -name prog | wc -l)" "$(chain_ids l3t0 | wc -w)" \
                "$what: no instance is left over"
}
sink_v2() { program_dropin 30-sink-l3t0 sink l3t0 30 "$SAMPLES/sink.bpf.o" "Type=xdp
"; }
sink_v1() { program_dropin 30-sink-l3t0 sink l3t0 30 "$SAMPLES/sink.bpf.o"; }
portdrop_in() { program_dropin 20-portdrop-l3t0 portdrop l3t0 20 "$SAMPLES/portdrop.bpf.o"; }
portdrop_v2() { program_dropin 20-portdrop-l3t0 portdrop l3t0 20 "$SAMPLES/portdrop.bpf.o" "Type=xdp
"; }
splice_crash change-staged before "replacing the tail" sink_v2
splice_crash change-switched after "removing portdrop" rm "$DROPINS/20-portdrop-l3t0.conf"
splice_crash change-released after "replacing the tail again" sink_v1
splice_crash change-switched after "inserting portdrop" portdrop_in
splice_crash change-staged before "removing count" rm "$DROPINS/10-count-l3t0.conf"
splice_crash change-released after "removing the head" rm "$DROPINS/05-other.conf"
splice_crash change-switched after "replacing the head" portdrop_v2

# An XDP chain is attached by its head: a change at the head (a splice there, or
# a new prefix) points the root's slot at the new head, then switches our link
# to it (one bpf_link_update with BPF_F_REPLACE). Killed between the two, the
# link still ran the old head: the next start walks the chain from the link,
# puts the slot back, drops the new instances and makes the change again.
# Killed after the link's switch, it adopts the new head as it is.
head_crash() {  # head_crash POINT before|after WHAT COMMAND...: COMMAND edits the drop-ins
        local point=$1 side=$2 what=$3 gen before running linked lives adopted rc=0
        shift 3
        gen=$(grep -oE "Chain l3t0/xdp (generation [0-9]+ is live|adopted from pins at generation [0-9]+)" \
                "$T/daemon.log" | tail -1 | grep -oE "generation [0-9]+" | cut -d' ' -f2)
        before=$(chain_ids l3t0)
        daemon_stop TERM
        L3AF_TEST_CRASH_AT=$point daemon_start
        "$@"
        kill -HUP "$DAEMON_PID"
        wait "$DAEMON_PID" || rc=$?; DAEMON_PID=
        assert_eq "$rc" 137 "$what: l3afd died at $point"
        running=$(chain_ids l3t0); linked=$(xdp_id l3t0)
        assert_eq "$linked" "$(echo $running | cut -d' ' -f1)" "$what: the link runs the head of what runs"
        if [ "$side" = before ]; then
                assert_eq "$running" "$before" "$what, killed before the link's switch: generation $gen still ran"
                assert_ne "$("$TESTTOOL" slot-id "$(chain_dir l3t0)/slot")" "$linked" "$what: the root's slot was ahead of the link"
        else
                assert_ne "$running" "$before" "$what, killed after the link's switch: the new generation ran"
        fi
        lives=$(log_count "is live")
        daemon_start
        adopted=$(grep -o "Chain l3t0/xdp adopted from pins at generation [0-9]*" "$T/daemon.log" | tail -1 | awk '{print $NF}')
        assert_eq "$(xdp_id l3t0)" "$(entry_id l3t0)" "$what: after the restart the link runs the chain's head"
        assert_eq "$("$TESTTOOL" slot-id "$(chain_dir l3t0)/slot")" "$(xdp_id l3t0)" "$what: and the root's slot holds it too"
        if [ "$side" = before ]; then
                assert_eq "$adopted" "$gen" "$what: the next start adopted generation $gen"
                assert_eq "$(log_count "is live")" $((lives + 1)) "$what: the next start made the change"
                assert_ne "$(chain_ids l3t0)" "$before" "$what: which now runs"
        else
                assert_eq "$adopted" $((gen + 1)) "$what: the next start adopted it as generation $((gen + 1))"
                assert_eq "$(log_count "is live")" "$lives" "$what: the next start had nothing to change"
                assert_eq "$(chain_ids l3t0)" "$running" "$what: with the same programs"
        fi
        assert_eq "$(find "$(chain_dir l3t0)/programs" -name prog | wc -l)" "$(chain_ids l3t0 | wc -w)" \
                "$what: no instance is left over"
}
portdrop_first() { program_dropin 20-portdrop-l3t0 portdrop l3t0 0 "$SAMPLES/portdrop.bpf.o"; }
head_crash switch-slot before "a splice at the head" portdrop_in
head_crash switch-slot before "inserting count at the head" program_dropin 01-count count l3t0 1 "$SAMPLES/count.bpf.o"
head_crash switch-slot before "a new prefix (portdrop before count)" portdrop_first
head_crash change-switched after "a new prefix (count first again)" portdrop_in
head_crash change-switched after "removing the head" rm "$DROPINS/01-count.conf"

# Removing a chain's drop-ins detaches it and removes its pins.
xdp0=$(xdp_id l3t0)  # l3t0's head, since the changes above
rm "$DROPINS/10-count-l3t1.conf"
daemon_reload
assert_eq "$(xdp_id l3t1)" 0 "l3t1 has no XDP program once its drop-ins are gone"
[ ! -e "$PINS/l3t1" ] || fail "pins of l3t1 remain: $(find "$PINS/l3t1")"
echo "ok - l3t1's pins are gone"
assert_eq "$(xdp_id l3t0)" "$xdp0" "l3t0 is untouched"

# --flush removes everything l3afd owns.
daemon_stop TERM
"$L3AFD" --root="$ROOT" --flush >>"$T/daemon.log" 2>&1 || fail "--flush failed"
assert_eq "$(xdp_id l3t0)" 0 "--flush detached l3t0"
assert_eq "$(find "$PINS" -mindepth 1 | wc -l)" 0 "--flush left no pins"
