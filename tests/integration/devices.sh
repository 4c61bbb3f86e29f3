#!/bin/bash
# Issue 9, items 1, 7 and 11: the device behind a declared interface name
# changes or leaves, in every way the kernel allows, and the watchdog tells
# what happened (checked in a real systemd-journald), never keeps filtering a
# device that is no longer the declared one, and never calls a departure a
# foreign program.
#  1. interface removal races (OnForeignProgram=restore): deleted and re-added
#     20 times, each departure journaled as such, never as a displacement;
#  2. rename away: journaled with the old name, the new name and the ifindex;
#     the renamed device is let go on every hook (XDP and tcx); a drop-in for
#     the new name applies (our own root is not "another program");
#  3. rename back: journaled, re-attached, counted on from before;
#  4. an alternative name is the same device: a drop-in may name it, a rename
#     of the primary name keeps the chain;
#  5. moved to another network namespace: gone, and let go.
source "$(dirname "$0")/lib.sh"

journal_start
plain_bus_start
export L3AF_LOG_TARGET=console+journal
FOREIGN_MSG=MESSAGE_ID=9ae394e0f2e641c1acf90e14dae77b2a
RESTORED_MSG=MESSAGE_ID=17b8ab6877f348708a0445cd50e22b0c
MISSING_MSG=MESSAGE_ID=4caa7927e2764528b6200ea5a366f2a9
FAILED_MSG=MESSAGE_ID=608e4dedbc8244d8b167903e4ce6310a

veth_add l3d0 l3q0 0
veth_add l3d1 l3q1 1
veth_add l3d2 l3q2 2
printf '[Daemon]\nWatchdogIntervalSec=100ms\n' > "$ROOT/etc/l3af/l3afd.conf"
program_dropin 10-count-0 count l3d0 10 "$SAMPLES/count.bpf.o"
printf '[Program]\nName=count\nInterface=l3d0\nHook=tc-ingress\nPriority=10\nObject=%s\n' "$SAMPLES/count.bpf.o" \
        > "$DROPINS/10-tc-count-0.conf"
program_dropin 10-count-1 count l3d1 10 "$SAMPLES/count.bpf.o" "OnForeignProgram=restore
"
daemon_start --bus-address="$PLAIN_BUS"
for _ in $(seq 100); do busctl --address="$PLAIN_BUS" status org.l3af.Chain1 >/dev/null 2>&1 && break; sleep 0.05; done
ROOT0=$(entry_id l3d0)  # what our XDP links run: the chain's head instance, no root in front
TCROOT0=$("$TESTTOOL" prog-id "$(chain_dir l3d0 tc-ingress)/root")
ROOT1=$(entry_id l3d1)
IDS0=$(chain_ids l3d0)
count0() { "$TESTTOOL" sum "$(prog_maps l3d0 xdp count)/stats" 0; }
tccount0() { "$TESTTOOL" sum "$(prog_maps l3d0 tc-ingress count)/stats" 0; }
count1() { "$TESTTOOL" sum "$(prog_maps l3d1 xdp count)/stats" 0; }

# --- 1. removal races: delete and re-create l3d1 again and again ---
for i in $(seq 20); do
        ip link del l3d1
        wait_journal "$i" 5 "$MISSING_MSG" L3AF_INTERFACE=l3d1
        veth_add l3d1 l3q1 1
        wait_journal "$i" 5 "$RESTORED_MSG" L3AF_INTERFACE=l3d1
done
echo "ok - 20 departures of l3d1 journaled as such, and 20 returns"
assert_eq "$(journal_count "$FOREIGN_MSG" L3AF_INTERFACE=l3d1)" 0 "no departure was taken for a foreign program"
assert_eq "$(journal_count "$FAILED_MSG" L3AF_INTERFACE=l3d1)" 0 "and no restore was tried on a departing device"
assert_eq "$(xdp_id l3d1)" "$ROOT1" "l3d1 runs our chain's head"
send 50 5555 20000 1
assert_eq "$(count1)" 50 "and traffic through the last l3d1 is counted"

# --- 2. rename away ---
send 100 5555
assert_eq "$(count0)" 100 "l3d0's chain counts"
IDX0=$(ip -o link show dev l3d0 | cut -d: -f1)
ip link set l3d0 down
ip link set l3d0 name l3r0
ip link set l3r0 up
wait_journal 1 5 "$MISSING_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=xdp
wait_journal 1 5 "$MISSING_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=tc-ingress
assert_eq "$(jfield L3AF_NEW_INTERFACE "$MISSING_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=xdp)" l3r0 "the entry names the new name"
assert_eq "$(jfield L3AF_IFINDEX "$MISSING_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=xdp)" "$IDX0" "and the device's ifindex"
journal "$MISSING_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=xdp | contains "renamed to l3r0" || fail "the message says it was renamed"
echo "ok - the message says l3d0 was renamed to l3r0"
assert_eq "$(xdp_id l3r0)" 0 "the renamed device runs nothing of ours at XDP"
assert_eq "$("$TESTTOOL" tcx-ids l3r0 ingress)" "" "nor at tcx ingress"
assert_eq "$(chain_state l3d0 xdp)" waiting "ListChains shows l3d0 waiting for a device with its name"
send 100 5555
assert_eq "$(count0)" 100 "traffic on the renamed device is no longer counted by l3d0's chain"
assert_eq "$(tccount0)" 100 "on either hook"
assert_eq "$(journal_count "$FOREIGN_MSG" L3AF_INTERFACE=l3d0)" 0 "a rename is no foreign program"

# A drop-in for the new name applies at once.
program_dropin 10-sink-r sink l3r0 10 "$SAMPLES/sink.bpf.o"
daemon_reload
assert_eq "$(chain_state l3r0 xdp)" live "a chain declared for l3r0 is live"
assert_eq "$(xdp_id l3r0)" "$(entry_id l3r0)" "and its head runs there"
rm "$DROPINS/10-sink-r.conf"
daemon_reload
assert_eq "$(xdp_id l3r0)" 0 "removed again"

# --- 3. rename back ---
ip link set l3r0 down
ip link set l3r0 name l3d0
ip link set l3d0 up
wait_journal 1 5 "$RESTORED_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=xdp
wait_journal 1 5 "$RESTORED_MSG" L3AF_INTERFACE=l3d0 L3AF_HOOK=tc-ingress
echo "ok - the return of l3d0 is journaled on both hooks"
assert_eq "$(xdp_id l3d0)" "$ROOT0" "our XDP chain's head is back on l3d0"
assert_eq "$("$TESTTOOL" tcx-ids l3d0 ingress)" "$TCROOT0" "and our tcx root"
assert_eq "$(chain_ids l3d0)" "$IDS0" "with the same programs"
# Taking the link down flushed our neighbour entries: without one, the first
# ICMP error we answer the peer with asks for its address, and the ARP reply
# would be counted too. Pin it, as veth_add does on the peer's side.
ip neigh replace 10.99.0.2 lladdr "$(in_peer ip -br link show dev l3q0 | awk '{print $3}')" dev l3d0 nud permanent
b=$(count0); tb=$(tccount0)
[ "$b" -ge 100 ] && [ "$tb" -ge 100 ] || fail "the counters were reset across the rename ($b, $tb)"
send 100 5555
assert_eq "$(count0)" $((b + 100)) "counted on from before ($b)"
assert_eq "$(tccount0)" $((tb + 100)) "on both hooks ($tb)"

# --- 4. alternative names ---
if ip link property add dev l3d2 altname l3alt-two 2>/dev/null; then
        program_dropin 10-count-alt count l3alt-two 10 "$SAMPLES/count.bpf.o"
        daemon_reload
        ALTROOT=$(entry_id l3alt-two)
        assert_eq "$(xdp_id l3d2)" "$ALTROOT" "a chain declared by alternative name runs on its device"
        send 30 5555 20000 2
        assert_eq "$("$TESTTOOL" sum "$(prog_maps l3alt-two xdp count)/stats" 0)" 30 "and counts its traffic"
        n=$(journal_count "$MISSING_MSG" L3AF_INTERFACE=l3alt-two)
        ip link set l3d2 down; ip link set l3d2 name l3r2; ip link set l3r2 up
        sleep 0.5  # five sweeps
        assert_eq "$(journal_count "$MISSING_MSG" L3AF_INTERFACE=l3alt-two)" "$n" "renaming the primary name keeps the device declared by its altname"
        assert_eq "$(xdp_id l3r2)" "$ALTROOT" "and the chain on it"
        ip link property del dev l3r2 altname l3alt-two
        wait_journal 1 5 "$MISSING_MSG" L3AF_INTERFACE=l3alt-two
        assert_eq "$(xdp_id l3r2)" 0 "dropping the altname lets the device go"
else
        echo "# altnames are not supported here; part 4 skipped"
fi

# --- 5. moved to another network namespace ---
ip link set l3d1 netns "$PEER_PID"
wait_journal 21 5 "$MISSING_MSG" L3AF_INTERFACE=l3d1
assert_eq "$(in_peer "$TESTTOOL" xdp-id l3d1)" 0 "the device moved away runs nothing of ours"
assert_eq "$(chain_state l3d1 xdp)" waiting "and the chain waits"

daemon_stop
grep -q "keep running from their pins" "$T/daemon.log" || fail "no stop summary"
echo "ok - $(grep -o '[0-9]* chain(s) keep running from their pins' "$T/daemon.log" | tail -1)"
