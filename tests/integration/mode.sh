#!/bin/bash
# Issue 9, item 4: Mode= changes. Linux runs native or generic XDP on a
# device, never both, so a change between them lets go of the old link and
# attaches the root the new way; when that fails (the MTU is too large for a
# single-buffer chain in native mode) the root goes back the old way at once
# (a driver without native XDP, as a macvlan's, says so in its XDP features,
# and the link is not even touched), the reload fails naming the reason (SIGHUP
# and l3afctl reload), and the chain keeps its programs and root, counting
# real packets. A change the kernel would not see (auto where it already
# chose native, or generic on a device without native XDP) changes nothing,
# not even the link, and loses no packet under traffic. The watchdog takes
# none of this for a foreign program.
source "$(dirname "$0")/lib.sh"

printf '[Daemon]\nWatchdogIntervalSec=200ms\n' > "$ROOT/etc/l3af/l3afd.conf"
count() { "$TESTTOOL" sum "$(prog_maps "$1" xdp "$2")/stats" 0; }  # IFACE PROGRAM: packets it saw
mode_of() { "$TESTTOOL" xdp-mode "$1"; }                           # "native ID" or "generic ID"
link_id() { "$TESTTOOL" link-id "$(chain_dir "$1")/link"; }
set_mode() {  # set_mode DROPIN [MODE]: no MODE, no Mode= (auto)
        sed -i '/^Mode=/d' "$DROPINS/$1.conf"
        [ -z "${2:-}" ] || echo "Mode=$2" >> "$DROPINS/$1.conf"
}
ctl_reload() { "$L3AF_BUILD/src/l3afctl/l3afctl" --address="$PLAIN_BUS" reload; }
# ctl_reload_fails WHAT: l3afctl reload must exit non-zero; its stderr is in $T/reload.err
ctl_reload_fails() {
        local rc=0
        ctl_reload 2> "$T/reload.err" || rc=$?
        [ "$rc" != 0 ] || fail "$1: l3afctl reload exited 0"
        echo "ok - $1: l3afctl reload exits $rc: $(grep -v '^Reload found' "$T/reload.err" | sed -n 1p)"
}

plain_bus_start

# 1. A single-buffer chain at MTU 9000 in generic mode, asked for native.
veth_add l3t0 l3p0 0
ip link set l3t0 mtu 9000
in_peer ip link set l3p0 mtu 9000
program_dropin 10-c0 c0 l3t0 10 "$SAMPLES/count.bpf.o" "Mode=generic
"
daemon_start --bus-address="$PLAIN_BUS"
ROOT0=$(xdp_id l3t0); IDS0=$(chain_ids l3t0)
assert_eq "$(mode_of l3t0)" "generic $ROOT0" "the chain runs in generic mode at MTU 9000"

set_mode 10-c0 native
ctl_reload_fails "generic -> native at MTU 9000"
assert_contains "$T/reload.err" "cannot attach in native mode: the interface's MTU (9000) is too large for single-buffer XDP" "the caller is told the MTU"
assert_contains "$T/reload.err" "the chain runs in generic mode as before" "and that the old attachment is back"
assert_eq "$(mode_of l3t0)" "generic $ROOT0" "the same root runs in generic mode"
assert_eq "$(chain_ids l3t0)" "$IDS0" "the chain keeps its programs"
before=$(count l3t0 c0)
send 50 5555
assert_eq "$(count l3t0 c0)" $((before + 50)) "every packet after the failed change went through the chain"

# The same through SIGHUP, with a program added: the generation stays too.
program_dropin 20-c0b c0b l3t0 20 "$SAMPLES/count.bpf.o"
errors=$(log_count "Reload done with 1 error")
daemon_reload
assert_eq "$(log_count "Reload done with 1 error")" $((errors + 1)) "SIGHUP: the reload reports the error"
assert_contains "$T/daemon.log" "Chain l3t0/xdp change failed, generation 1 keeps running: cannot attach in native mode: the interface's MTU (9000)" "naming the MTU"
assert_eq "$(mode_of l3t0)" "generic $ROOT0" "the root runs in generic mode"
assert_eq "$(chain_ids l3t0)" "$IDS0" "the chain did not take the new program"
before=$(count l3t0 c0)
send 20 5555
assert_eq "$(count l3t0 c0)" $((before + 20)) "and counts packets"
rm "$DROPINS/20-c0b.conf"

# 2. A macvlan has no native XDP: generic -> native fails, generic -> auto is nothing.
veth_add l3t1 l3p1 1
ip link add l3m1 link l3t1 type macvlan mode bridge
ip addr add 10.99.5.1/24 dev l3m1
ip link set l3m1 up
in_peer ip addr add 10.99.5.2/24 dev l3p1
ip neigh replace 10.99.5.2 lladdr "$(in_peer ip -br link show dev l3p1 | awk '{print $3}')" dev l3m1 nud permanent
in_peer ip neigh replace 10.99.5.1 lladdr "$(ip -br link show dev l3m1 | awk '{print $3}')" dev l3p1 nud permanent
program_dropin 30-m m l3m1 10 "$SAMPLES/count.bpf.o" "Mode=generic
"
set_mode 10-c0 generic
ctl_reload || fail "setting up the macvlan chain failed"
ROOTM=$(xdp_id l3m1); IDSM=$(chain_ids l3m1)
assert_eq "$(mode_of l3m1)" "generic $ROOTM" "the macvlan chain runs in generic mode"
assert_eq "$(mode_of l3t0)" "generic $ROOT0" "asking l3t0 for generic again changed nothing there"
assert_eq "$(chain_ids l3t0)" "$IDS0" "nor in its chain"

LINKM=$(link_id l3m1)
set_mode 30-m native
ctl_reload_fails "generic -> native on a macvlan"
assert_contains "$T/reload.err" "cannot attach in native mode: the driver has no native XDP support" "the caller is told the device has no native XDP"
assert_eq "$(mode_of l3m1)" "generic $ROOTM" "the same root runs in generic mode"
assert_eq "$(link_id l3m1)" "$LINKM" "through the same link: its XDP features said so before anything was let go"
assert_eq "$(chain_ids l3m1)" "$IDSM" "the chain keeps its programs"
before=$(count l3m1 m)
send 30 5555 20000 5
assert_eq "$(count l3m1 m)" $((before + 30)) "every packet after the failed change went through the chain"

set_mode 30-m auto
ctl_reload || fail "generic -> auto on a macvlan failed"
assert_contains "$T/daemon.log" "Chain l3m1/xdp: Mode=auto changes nothing in the kernel, which runs the head in generic mode." "auto on a macvlan is the generic mode it runs in"
assert_eq "$(link_id l3m1)" "$LINKM" "the link stays"
assert_eq "$(mode_of l3m1)" "generic $ROOTM" "with the same root"

# 3. auto -> native on a veth, under traffic: the kernel already runs it natively.
veth_add l3t2 l3p2 2
program_dropin 40-a a l3t2 10 "$SAMPLES/count.bpf.o"
ctl_reload || fail "setting up the auto chain failed"
ROOTA=$(xdp_id l3t2); LINKA=$(link_id l3t2)
assert_eq "$(mode_of l3t2)" "native $ROOTA" "auto runs natively on a veth"
base=$(count l3t2 a)
GEN=$(send_bg 5555 5000 "$T/sent" 2); sleep 0.3
set_mode 40-a native
ctl_reload || fail "auto -> native failed"
sleep 0.3; send_stop "$GEN"; sleep 0.2
assert_contains "$T/daemon.log" "Chain l3t2/xdp: Mode=native changes nothing in the kernel, which runs the head in native mode." "auto -> native is nothing to the kernel"
assert_eq "$(link_id l3t2)" "$LINKA" "the link stays"
assert_eq "$(count l3t2 a)" $((base + $(cat "$T/sent"))) "no packet missed the chain ($(cat "$T/sent") sent)"

# 4. native -> generic and back, under traffic: each succeeds with the same root.
base=$(count l3t2 a)
GEN=$(send_bg 5555 5000 "$T/sent" 2); sleep 0.3
set_mode 40-a generic
ctl_reload || fail "native -> generic failed"
assert_eq "$(mode_of l3t2)" "generic $ROOTA" "native -> generic: the same root runs in generic mode"
sleep 0.3
set_mode 40-a native
ctl_reload || fail "generic -> native failed"
assert_eq "$(mode_of l3t2)" "native $ROOTA" "generic -> native: and natively again"
sleep 0.3; send_stop "$GEN"; sleep 0.2
sent=$(cat "$T/sent"); seen=$(( $(count l3t2 a) - base ))
[ "$seen" -le "$sent" ] && [ "$seen" -gt 0 ] || fail "the chain saw $seen of $sent packets"
info "two switches between native and generic at 5000 packets/s: $((sent - seen)) of $sent packets passed while the hook changed"
assert_contains "$T/daemon.log" "Chain l3t2/xdp: the head runs in generic mode (Mode=generic), was native." "the switch is logged"

# 5. A mode change with a new root: the chain turns multi-buffer and native in one reload.
rm "$DROPINS/10-c0.conf"
program_dropin 11-f0 f0 l3t0 10 "$TESTBPF/fragcount.bpf.o" "Mode=native
"
ctl_reload || fail "generic single-buffer -> native multi-buffer failed"
ROOTF=$(xdp_id l3t0)
assert_ne "$ROOTF" "$ROOT0" "a new (multi-buffer) root"
assert_eq "$(mode_of l3t0)" "native $ROOTF" "attached natively at MTU 9000"
UDPGEN_SIZE=8000 send 20 5555
assert_eq "$(count l3t0 f0)" 20 "jumbo frames go through it"

# 6. The watchdog saw our own attachments come and go, and reported none.
sleep 0.5  # past two sweeps
assert_eq "$(log_count "is displaced")" 0 "no mode change was taken for a foreign program"

# 7. A stop in the middle of a change of mode: the next start finishes or undoes it.
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
veth_add l3t3 l3p3 3
ip link set l3t3 mtu 9000
in_peer ip link set l3p3 mtu 9000
program_dropin 50-j j l3t3 10 "$SAMPLES/count.bpf.o" "Mode=generic
"
ctl_reload || fail "setting up l3t3 failed"
ROOTJ=$(xdp_id l3t3); IDSJ=$(chain_ids l3t3)
crash_reload relink-detached set_mode 50-j native
assert_eq "$(mode_of l3t3)" "none 0" "killed between letting go and attaching, nothing runs at the hook"
daemon_start --bus-address="$PLAIN_BUS"
assert_contains "$T/daemon.log" "Chain l3t3/xdp change failed, generation 1 keeps running: cannot attach in native mode: the interface's MTU (9000)" "the next start fails the change with the reason"
assert_eq "$(mode_of l3t3)" "generic $ROOTJ" "and attaches the root again in generic mode"
assert_eq "$(chain_ids l3t3)" "$IDSJ" "with its programs"
before=$(count l3t3 j)
send 20 5555 20000 3
assert_eq "$(count l3t3 j)" $((before + 20)) "counting packets"

set_mode 50-j generic
ctl_reload || fail "l3t3 back to generic failed"
lives=$(log_count "is live")
crash_reload relink-pinned set_mode 40-a generic
assert_eq "$(mode_of l3t2)" "generic $ROOTA" "killed once the new link was pinned, the root runs in generic mode"
daemon_start --bus-address="$PLAIN_BUS"
assert_contains "$T/daemon.log" "Chain l3t2/xdp: completing a change of mode a stop interrupted." "the next start completes the change"
assert_contains "$T/daemon.log" "Chain l3t2/xdp: Mode=generic changes nothing in the kernel" "and has nothing left to do in the kernel"
[ ! -e "$(chain_dir l3t2)/link-new" ] || fail "link-new is still pinned"
assert_eq "$("$TESTTOOL" link-ifindex "$(chain_dir l3t2)/link")" "$(ip -o link show dev l3t2 | cut -d: -f1)" "the pinned link is the attached one"
assert_eq "$(mode_of l3t2)" "generic $ROOTA" "the root runs in generic mode"
assert_eq "$(log_count "is live")" "$lives" "no new generation anywhere"
