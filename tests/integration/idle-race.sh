#!/bin/bash
# Issue 14, item 1: idle exit serves the calls already queued. A call that
# reaches l3afd just as its idle timer fires (here: the daemon is stopped
# past IdleExitSec, a call is queued on its bus socket, and it resumes with
# both the timer and the call pending) must be answered, never dropped by
# the exit; l3afd leaves once it is idle again.
source "$(dirname "$0")/lib.sh"
command -v dbus-daemon >/dev/null || skip "dbus-daemon is missing"

veth_add l3t0 l3p0 0
sample_chain l3t0
printf '[Daemon]\nIdleExitSec=1s\n' > "$ROOT/etc/l3af/l3afd.conf"

BUS=$T/bus
mkdir -p "$BUS/services"
ADDR=unix:path=$T/plainbus/socket
cat > "$BUS/l3afd-activated" <<EOS
#!/bin/sh
echo "activated \$\$" >> "$T/activations"
exec "$L3AFD" --root="$ROOT" --bus-address="$ADDR" --log-target=console >> "$T/daemon.log" 2>&1
EOS
chmod +x "$BUS/l3afd-activated"
sed "s|^Exec=.*|Exec=$BUS/l3afd-activated|" "$L3AF_BUILD/dbus/org.l3af.Chain1.service" > "$BUS/services/org.l3af.Chain1.service"
plain_bus_start "$BUS/services"
call() { busctl --address="$ADDR" --timeout=10 "$@"; }
daemon_pid() { pgrep -f "^$L3AFD" | sed -n 1p; }

# A client already connected to the bus sends its call on a word from the test.
client() {  # client N: connects, says so in $T/ready.N, calls on a line in $T/go.N
        /usr/bin/python3 - "$ADDR" "$T/ready.$1" "$T/go.$1" <<'EOP'
import sys, dbus, dbus.bus
bus = dbus.bus.BusConnection(sys.argv[1])
open(sys.argv[2], 'w').close()
open(sys.argv[3]).readline()
# To the well-known name, as it is: no owner looked up beforehand.
print(bus.call_blocking('org.l3af.Chain1', '/org/l3af/Chain1', 'org.freedesktop.DBus.Properties', 'Get', 'ss',
                        ('org.l3af.Chain1', 'Version'), timeout=10))
EOP
}

ROUNDS=6
BUSPID=$(pgrep -f "dbus-daemon --nofork --nosyslog --config-file=$T/plainbus/bus.conf")
[ -n "$BUSPID" ] || fail "no dbus-daemon"
for round in $(seq $ROUNDS); do
        mkfifo "$T/go.$round"
        client "$round" > "$T/out.$round" 2> "$T/err.$round" &
        caller=$!
        exec {GO}<>"$T/go.$round"
        for _ in $(seq 100); do [ -f "$T/ready.$round" ] && break; sleep 0.05; done
        call call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains >/dev/null ||
                fail "round $round: the activating call was not answered"
        pid=$(daemon_pid)
        [ -n "$pid" ] || fail "round $round: no l3afd runs after the activating call"
        for _ in $(seq 100); do grep -q "l3afd started" "$T/daemon.log" && break; sleep 0.05; done
        # Just before its idle timer fires, the call reaches the bus while the bus is held,
        # so l3afd finds it only as it gives its name back.
        sleep 0.6
        kill -STOP "$BUSPID"
        echo go >&$GO
        sleep 0.8
        kill -CONT "$BUSPID"
        wait "$caller" || fail "round $round: a call queued as the idle timer fired was lost: $(cat "$T/err.$round")"
        exec {GO}>&-
        grep -q . "$T/out.$round" || fail "round $round: no answer"
        # It still leaves once idle.
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$pid" 2>/dev/null && fail "round $round: l3afd did not exit when idle again"
        mv "$T/daemon.log" "$T/daemon.log.$round"
done
echo "ok - $ROUNDS calls queued as the idle timer fired were all answered, and l3afd still left when idle"
assert_eq "$(grep -c activated "$T/activations")" "$ROUNDS" "one activation per round"
