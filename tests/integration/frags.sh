#!/bin/bash
# Multi-buffer XDP (jumbo frames). The kernel lets programs tail-call each
# other only when they agree on BPF_F_XDP_HAS_FRAGS, so a chain runs
# multi-buffer exactly when every program in it is written for that
# (SEC("xdp.frags")). Such a chain attaches in native mode at MTU 9000 and
# its programs see whole 8 kB frames; a program that is not multi-buffer
# aware is refused there with the reason, the chain keeps its generation;
# a chain that turns from one kind to the other swaps its root under
# traffic without losing a packet, and a restart adopts it as it is.
source "$(dirname "$0")/lib.sh"

jumbo() { ip link set "$1" mtu 9000; in_peer ip link set "$2" mtu 9000; }
# Traffic to l3t1 through the changes: start_traffic, then stop_traffic prints how much was sent.
start_traffic() { GEN=$(send_bg 5555 5000 "$T/sent" 1); sleep 0.3; }
stop_traffic() { sleep 0.3; send_stop "$GEN"; sleep 0.2; cat "$T/sent"; }
FRAME=$((8000 + 8 + 20 + 14))  # UDP payload + UDP + IPv4 + Ethernet

# 1. Jumbo frames through a multi-buffer chain, native mode.
veth_add l3t0 l3p0 0
jumbo l3t0 l3p0
program_dropin 10-f1 f1 l3t0 10 "$TESTBPF/fragcount.bpf.o"
program_dropin 20-f2 f2 l3t0 20 "$TESTBPF/fragcount.bpf.o"
daemon_start
assert_contains "$T/daemon.log" "Chain l3t0/xdp generation 1 is live (multi-buffer)" "an all-xdp.frags chain runs multi-buffer"
IDS0=$(chain_ids l3t0); XDP0=$(xdp_id l3t0)
UDPGEN_SIZE=8000 send 50 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp f2)/stats" 0)" 50 "at MTU 9000, native mode, the last program saw all 50 frames"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp f2)/stats" 1)" $((50 * FRAME)) "each whole ($FRAME bytes, fragments included)"

# 2. A single-buffer program there: refused with the reason, nothing lost.
program_dropin 30-c c l3t0 30 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "the interface's MTU (9000) is too large for single-buffer XDP" "a single-buffer program on a jumbo interface is refused, with the reason"
assert_eq "$(chain_ids l3t0)" "$IDS0" "the chain keeps its generation"
assert_eq "$(xdp_id l3t0)" "$XDP0" "and its root"
UDPGEN_SIZE=8000 send 10 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp f1)/stats" 0)" 60 "jumbo frames still flow through it"
rm "$DROPINS/30-c.conf"

# 3. Single-buffer chains on a jumbo interface: refused natively, fine in generic mode.
veth_add l3t2 l3p2 2
jumbo l3t2 l3p2
program_dropin 50-jumbo jumbo l3t2 10 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "Chain l3t2/xdp could not be created: the interface's MTU (9000) is too large" "a single-buffer chain at MTU 9000 is refused natively"
echo "Mode=generic" >> "$DROPINS/50-jumbo.conf"
daemon_reload
UDPGEN_SIZE=8000 send 20 5555 20000 2
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t2 xdp jumbo)/stats" 0)" 20 "in generic mode it runs at MTU 9000"

# 4. Turning multi-buffer and back under traffic: a new root each time, switched
#    by one link update, with every packet through the whole chain.
veth_add l3t1 l3p1 1
program_dropin 60-g1 g1 l3t1 10 "$TESTBPF/fragcount.bpf.o"
program_dropin 61-g2 g2 l3t1 20 "$TESTBPF/fragcount.bpf.o"
daemon_reload
ROOT_MULTI=$(xdp_id l3t1)
start_traffic
program_dropin 62-g3 g3 l3t1 30 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "Chain l3t1/xdp generation 2 is live: g1" "adding a single-buffer program makes the chain single-buffer"
ROOT_SINGLE=$(xdp_id l3t1)
assert_ne "$ROOT_SINGLE" "$ROOT_MULTI" "behind a new root"
sleep 0.3
rm "$DROPINS/62-g3.conf"
daemon_reload
assert_contains "$T/daemon.log" "Chain l3t1/xdp generation 3 is live (multi-buffer): g1" "removing it makes the chain multi-buffer again"
assert_ne "$(xdp_id l3t1)" "$ROOT_SINGLE" "behind another new root"
sent=$(stop_traffic)
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp g1)/stats" 0)" "$sent" "no packet missed the chain across both swaps"
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp g2)/stats" 0)" "$sent" "nor its last program"
sleep 1.2  # past a watchdog sweep (WatchdogIntervalSec=1s)
assert_eq "$(log_count "is displaced")" 0 "the watchdog took neither new root for a foreign program"

# 5. A restart adopts multi-buffer chains as they are.
IDS0=$(chain_ids l3t0); IDS1=$(chain_ids l3t1); XDP1=$(xdp_id l3t1)
lives=$(log_count "is live")
daemon_stop TERM
daemon_start
assert_eq "$(log_count "is live")" "$lives" "the restart applied nothing"
assert_eq "$(chain_ids l3t0)" "$IDS0" "l3t0 was adopted with the same programs"
assert_eq "$(chain_ids l3t1)" "$IDS1" "so was l3t1"
assert_eq "$(xdp_id l3t1)" "$XDP1" "behind the same root"
program_dropin 62-g3 g3 l3t1 30 "$SAMPLES/count.bpf.o"
daemon_reload
assert_contains "$T/daemon.log" "Chain l3t1/xdp generation 4 is live: g1" "after the restart it still knows the chain is multi-buffer"

# 6. A crash in the middle of a swap: the pins say which side of the switch
#    it was, the next start finishes or drops it, and nothing is lost.
crash_reload() {  # crash_reload POINT COMMAND...: make a change with l3afd set to die at POINT
        local point=$1 rc=0
        daemon_stop TERM
        L3AF_TEST_CRASH_AT=$point daemon_start
        shift
        "$@"
        kill -HUP "$DAEMON_PID"
        wait "$DAEMON_PID" || rc=$?
        DAEMON_PID=
        assert_eq "$rc" 137 "l3afd died at $point"
}
base=$("$TESTTOOL" sum "$(prog_maps l3t1 xdp g1)/stats" 0)
start_traffic
before=$(xdp_id l3t1)
# single-buffer -> multi-buffer: a swap
crash_reload swap-pinned rm "$DROPINS/62-g3.conf"
assert_eq "$(xdp_id l3t1)" "$before" "killed before the switch, the old root still runs"
daemon_start
assert_contains "$T/daemon.log" "Chain l3t1/xdp: dropping a root swap a stop interrupted before it happened." "the next start drops the unfinished swap"
assert_contains "$T/daemon.log" "Chain l3t1/xdp generation 5 is live (multi-buffer)" "and makes the change again"
[ ! -e "$(chain_dir l3t1)/root-new" ] || fail "root-new is still pinned"

before=$(xdp_id l3t1)
# and back: another swap
crash_reload swap-switched program_dropin 62-g3 g3 l3t1 30 "$SAMPLES/count.bpf.o"
after=$(xdp_id l3t1)
assert_ne "$after" "$before" "killed after the switch, the new root runs"
lives=$(log_count "is live")
daemon_start
assert_contains "$T/daemon.log" "Chain l3t1/xdp: completing a root swap a stop interrupted." "the next start completes the swap"
assert_eq "$(log_count "is live")" "$lives" "and has nothing left to change"
assert_eq "$(entry_id l3t1)" "$after" "the pinned chain's head is the one that runs (no root in front)"
assert_eq "$("$TESTTOOL" slot-id "$(chain_dir l3t1)/slot")" "$after" "and the pinned root's slot holds it"
rm "$DROPINS/62-g3.conf"
daemon_reload
assert_contains "$T/daemon.log" "Chain l3t1/xdp generation 7 is live (multi-buffer)" "the chain changes as before: it knew it was single-buffer"
sent=$(stop_traffic)
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t1 xdp g1)/stats" 0)" "$((base + sent))" "no packet missed the chain through the crashes"
