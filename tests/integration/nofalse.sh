#!/bin/bash
# Issue 5, acceptance 4: our own generation swaps never look foreign. Many
# chain changes under traffic, with the watchdog sweeping every 20 ms and
# listening to rtnetlink, produce zero foreign-program reports (checked in a
# real journald) and keep the same root and link throughout; the link runs
# each change's new head instance (an XDP chain has no root in front).
source "$(dirname "$0")/lib.sh"

CHANGES=${L3AF_NOFALSE_CHANGES:-5000}
journal_start
export L3AF_LOG_TARGET=console+journal
veth_add l3t0 l3p0 0
printf '[Daemon]\nWatchdogIntervalSec=20ms\nLogLevel=info\n' > "$ROOT/etc/l3af/l3afd.conf"

write_head() { printf '[Program]\nName=head\nInterface=l3t0\nHook=xdp\nPriority=10\nObject=%s\n%s' "$SAMPLES/count.bpf.o" "$1" > "$DROPINS/10-head.conf"; }
write_head ""
printf '[Program]\nName=tail\nInterface=l3t0\nHook=xdp\nPriority=20\nObject=%s\n' "$SAMPLES/count.bpf.o" > "$DROPINS/20-tail.conf"
daemon_start
ROOT0=$("$TESTTOOL" prog-id "$(chain_dir l3t0)/root")
LINK0=$(bpftool link show pinned "$(chain_dir l3t0)/link" | sed -n 1p | cut -d: -f1)

GEN=$(send_bg 5555 10000 "$T/sent")
follow_log
for k in $(seq "$CHANGES"); do
        # Alternate the head between two instance specs: each change loads one new instance and flips.
        if [ $((k % 2)) = 1 ]; then write_head "Type=xdp
"; else write_head ""; fi
        reload_fast
        [ $((k % 1000)) = 0 ] && info "$k changes"
done
send_stop "$GEN"
sleep 0.2

generations=$(log_count "is live")
[ "$generations" -gt "$CHANGES" ] || fail "only $generations generations for $CHANGES changes"
echo "ok - $CHANGES changes went live"
assert_eq "$(journal_count MESSAGE_ID=9ae394e0f2e641c1acf90e14dae77b2a)" 0 "zero foreign-program reports in the journal"
assert_eq "$(log_count "displaced")" 0 "the daemon never thought a chain displaced"
assert_eq "$("$TESTTOOL" prog-id "$(chain_dir l3t0)/root")" "$ROOT0" "the root program never changed"
assert_eq "$(xdp_id l3t0)" "$(entry_id l3t0)" "the link runs the last change's head instance"
assert_eq "$(bpftool link show pinned "$(chain_dir l3t0)/link" | sed -n 1p | cut -d: -f1)" "$LINK0" "nor did the link"
sent=$(cat "$T/sent")
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp tail)/stats" 0)" "$sent" "every packet sent went through the chain"
