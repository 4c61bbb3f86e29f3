#!/bin/bash
# sd_notify, captured on a test NOTIFY_SOCKET (issue 4, acceptance 3; issue 5,
# acceptance 5): READY only after the first reconcile; on reload RELOADING=1
# with MONOTONIC_USEC, then READY=1; WATCHDOG=1 at the configured cadence,
# from the event loop itself, so it stops while the loop is stopped; STATUS=
# summarises the chains; STOPPING=1 on exit.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
for i in $(seq -w 1 32); do
        program_dropin "$i" "c$i" l3t0 "$i" "$SAMPLES/count.bpf.o"
done
N=$T/notify.log
python3 "$L3AF_SOURCE/tests/tools/notify-listen.py" "$T/notify.sock" "$N" &
for _ in $(seq 100); do grep -q listening "$N" 2>/dev/null && break; sleep 0.05; done

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 daemon_start
for _ in $(seq 100); do grep -q "READY=1" "$N" && break; sleep 0.05; done
msgs() { awk '{ $1 = ""; sub(/^ /, ""); print }' "$N" | grep -v '^listening$'; }

# READY comes after the first reconcile: the STATUS just before it already counts all 32 programs.
first_ready=$(msgs | grep -n '^READY=1$' | sed -n 1p | cut -d: -f1)
[ -n "$first_ready" ] || fail "no READY=1"
status_before=$(msgs | sed -n "1,${first_ready}p" | grep '^STATUS=' | tail -1)
assert_eq "$status_before" "STATUS=1 chain(s), 32 program(s)" "READY=1 only once the first reconcile is applied"

# WATCHDOG=1 at about twice per WATCHDOG_USEC.
sleep 2
w=$(msgs | grep -c '^WATCHDOG=1$')
[ "$w" -ge 4 ] || fail "only $w WATCHDOG=1 in over 2 s with WATCHDOG_USEC=400ms"
echo "ok - WATCHDOG=1 keeps coming ($w in 2 s)"

# A stopped loop feeds nothing; a running one feeds again.
kill -STOP "$DAEMON_PID"
w0=$(msgs | grep -c '^WATCHDOG=1$')
sleep 1.5
w1=$(msgs | grep -c '^WATCHDOG=1$')
kill -CONT "$DAEMON_PID"
assert_eq "$w1" "$w0" "no WATCHDOG=1 while the daemon's loop is stopped"
sleep 1
w2=$(msgs | grep -c '^WATCHDOG=1$')
[ "$w2" -gt "$w1" ] || fail "WATCHDOG=1 did not resume"
echo "ok - WATCHDOG=1 resumes with the loop"

# Reload: RELOADING=1 with a current MONOTONIC_USEC, then READY=1.
lines=$(wc -l < "$N")
rm "$DROPINS/32.conf"
daemon_reload
sleep 0.2
tail -n +"$((lines + 1))" "$N" | grep -v WATCHDOG > "$T/reload.log"
assert_eq "$(awk '{print $2}' "$T/reload.log" | grep -E '^(RELOADING|READY)=1$' | tr '\n' ' ')" "RELOADING=1 READY=1 " "a reload says RELOADING=1, then READY=1"
read -r t mono < <(grep MONOTONIC_USEC "$T/reload.log" | sed 's/MONOTONIC_USEC=//')
awk -v t="$t" -v m="$mono" 'BEGIN { d = t - m / 1e6; exit !(d >= 0 && d < 1) }' || fail "MONOTONIC_USEC=$mono is not the time of the reload ($t)"
echo "ok - MONOTONIC_USEC is the reload's time"
assert_eq "$(grep STATUS= "$T/reload.log" | tail -1 | awk '{print $2, $3, $4, $5}')" "STATUS=1 chain(s), 31 program(s)" "STATUS follows the change"

daemon_stop TERM
sleep 0.2
assert_eq "$(msgs | grep -v WATCHDOG | tail -1)" "STOPPING=1" "STOPPING=1 on exit"
