#!/bin/bash
# Issue 4, acceptance 2: socket activation. The test holds the listening
# socket, as systemd's l3afd.socket does, and starts the daemon through the
# real systemd-socket-activate whenever a client knocks while none runs. The
# first busctl call starts l3afd and is answered; after IdleExitSec it exits;
# a later call starts it again. Across the cycle the XDP program id and every
# chain program id stay the same and traffic never stops.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
sample_chain l3t0
printf '[Daemon]\nIdleExitSec=1500ms\n' > "$ROOT/etc/l3af/l3afd.conf"
# The chain exists before the first activation, from an earlier run.
daemon_start
XDP0=$(xdp_id l3t0); IDS0=$(chain_ids l3t0)
daemon_stop TERM

SOCK=$T/l3afd.sock
python3 "$L3AF_SOURCE/tests/tools/socket-holder.py" "$SOCK" "$T/starts" -- \
        "$L3AFD" --root="$ROOT" --no-bus --log-target=console >>"$T/daemon.log" 2>&1 &
for _ in $(seq 100); do grep -q listening "$T/starts" 2>/dev/null && break; sleep 0.05; done
starts() { grep -c '^start' "$T/starts" || true; }
exits() { grep -c '^exit 0' "$T/starts" || true; }
call() { busctl --address=unix:path="$SOCK" "$@"; }

GEN=$(send_bg 5555 5000 "$T/sent")
assert_eq "$(starts)" 0 "nothing runs before the first client"

out=$(call call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains) || fail "the first call was not answered"
echo "$out" | contains '"l3t0" "xdp" "live"' || fail "unexpected answer: $out"
echo "ok - the first busctl call started l3afd and was answered ($out)"
assert_eq "$(starts)" 1 "one start"

for _ in $(seq 100); do [ "$(exits)" -ge 1 ] && break; sleep 0.05; done
assert_eq "$(exits)" 1 "l3afd exited on its own once idle"
pgrep -f "^$L3AFD" >/dev/null && fail "an l3afd process is still there"
assert_eq "$(xdp_id l3t0)" "$XDP0" "with l3afd gone, the XDP program is the same"

v=$(call get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Version) || fail "the later call was not answered"
echo "ok - a later call started it again and was answered ($v)"
assert_eq "$(starts)" 2 "two starts"
assert_eq "$(xdp_id l3t0)" "$XDP0" "the XDP program id never changed"
assert_eq "$(chain_ids l3t0)" "$IDS0" "nor did any chain program id"
[ "$(log_count "is live")" = 1 ] || fail "a start applied a new generation"
echo "ok - no start applied anything: each adopted the chain"

send_stop "$GEN"
sleep 0.2
sent=$(cat "$T/sent")
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" "$sent" "traffic never stopped: every packet was counted"
for _ in $(seq 100); do [ "$(exits)" -ge 2 ] && break; sleep 0.05; done

# A direct peer that has not spoken yet gets no signal: busctl and gdbus say
# Hello first and drop the connection if anything but its answer comes back
# (sd-bus: EIO). The quiet peer's connection starts l3afd a third time; a
# change then happens while it is quiet, so ChainChanged goes out; the peer's
# Hello must still be answered first, and the next change must reach it.
mkfifo "$T/peer.in" "$T/peer.out"
python3 "$L3AF_SOURCE/tests/tools/quiet-peer.py" "$SOCK" <"$T/peer.in" >"$T/peer.out" &
QUIET_PID=$!
exec {TO_PEER}>"$T/peer.in" {FROM_PEER}<"$T/peer.out"
read -r -t 10 line <&"$FROM_PEER" || fail "the quiet peer could not connect"
assert_eq "$line" ready "the quiet peer authenticated (start $(starts))"
rm "$DROPINS/30-sink-l3t0.conf"
assert_eq "$(call call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Reload)" "u 0" "a change while the peer is quiet"
[ "$(log_count "is live")" = 2 ] || fail "the change did not apply a new generation"
echo hello >&"$TO_PEER"
read -r -t 10 line <&"$FROM_PEER"; assert_eq "$line" "unsolicited 0" "nothing was sent to the quiet peer"
read -r -t 10 line <&"$FROM_PEER"; assert_eq "$line" "first return 1" "the first message it gets answers its Hello"
sample_chain l3t0
echo signal >&"$TO_PEER"
assert_eq "$(call call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 Reload)" "u 0" "a change once it has spoken"
read -r -t 15 line <&"$FROM_PEER"; assert_eq "$line" "signal ChainChanged l3t0 xdp" "once it has spoken, it gets the signals"
exec {TO_PEER}>&-
wait "$QUIET_PID"
for _ in $(seq 100); do [ "$(exits)" -ge 3 ] && break; sleep 0.05; done
assert_eq "$(exits)" 3 "with the peer gone, l3afd exited once idle again"
