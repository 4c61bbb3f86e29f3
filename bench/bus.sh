#!/bin/bash
# org.l3af.Chain1 benchmarks: read round trips (C client, busctl), AddProgram
# end to end, memory across many direct connections, and the daemon's memory
# with 64 chains. Needs root and a build
# in ./build; runs in private namespaces with a private dbus-daemon.
#   bench/bus.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${L3AF_BUILD:-$SRC/build}

if [ -z "${L3AF_BENCH_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
        export L3AF_BENCH_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

L3AFD=$B/src/l3afd/l3afd
L3AFCTL=$B/src/l3afctl/l3afctl
source "$SRC/tools/private-tmp.sh"
private_tmp "$SRC" "$B"
T=$(mktemp -d "$PRIVATE_TMP/l3af-bench.XXXXXX")
ROOT=$T/root
mkdir -p "$ROOT/etc/l3af.d" "$ROOT/run/l3af.d"
DAEMON=
# PID 1 of our namespace: leaving takes dbus-daemon and the rest with us (no wait: they never exit).
trap '[ -n "$DAEMON" ] && kill $DAEMON 2>/dev/null; true' EXIT
ip link set lo up

cat > "$T/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$T/bus</listen>
  <policy context="default">
    <allow user="*"/><deny own="*"/><deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/><allow receive_type="method_return"/>
    <allow receive_type="error"/><allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <include>$SRC/dbus/org.l3af.Chain1.conf</include>
</busconfig>
EOC
dbus-daemon --nofork --nosyslog --config-file="$T/bus.conf" &
until [ -S "$T/bus" ]; do sleep 0.02; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus

start() {
        "$L3AFD" --root="$ROOT" --log-target=console > "$T/l3afd.log" 2>&1 &
        DAEMON=$!
        until grep -q "l3afd started" "$T/l3afd.log"; do sleep 0.02; kill -0 $DAEMON || { cat "$T/l3afd.log"; exit 1; }; done
}
stop() { kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=; "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1; rm -f "$ROOT"/etc/l3af.d/* "$ROOT"/run/l3af.d/*; }
count_dropin() {  # IFACE NAME PRIORITY
        printf '[Program]\nName=%s\nInterface=%s\nHook=xdp\nPriority=%s\nObject=%s\n' "$2" "$1" "$3" "$B/bpf/count.bpf.o" \
                > "$ROOT/etc/l3af.d/$1-$2.conf"
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON/status"; }

echo "# org.l3af.Chain1 benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"
ip link add bus0 type veth peer name bus0p && ip link set bus0 up
for i in 1 2 3 4; do count_dropin bus0 "c$i" "${i}0"; done
start

echo
echo "## Read round trip: GetChain of a 4-program chain"
"$B/tests/busclient" 1 5000 bus0 xdp > "$T/c1"
echo "- C client (sd-bus), 1 client x 5000 calls: $(cat "$T/c1")"
"$B/tests/busclient" 8 1000 bus0 xdp > "$T/c8"
echo "- C client (sd-bus), 8 concurrent clients x 1000 calls: $(cat "$T/c8")"
: > "$T/busctl"
for _ in $(seq 200); do
        s=$(date +%s%N)
        busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetChain ss bus0 xdp >/dev/null
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/busctl"
done
echo "- busctl call (a process per call), 200 calls: p50_us=$(pct 50 < "$T/busctl") p99_us=$(pct 99 < "$T/busctl")"

echo
echo "## AddProgram end to end (call to reply; the reply follows the chain going live)"
: > "$T/add"; : > "$T/remove"
for k in $(seq 30); do
        s=$(date +%s%N)
        "$L3AFCTL" --runtime add bus0 xdp extra Object="$B/bpf/count.bpf.o" Priority=5 >/dev/null
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/add"
        s=$(date +%s%N)
        "$L3AFCTL" --runtime remove bus0 xdp extra >/dev/null
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/remove"
done
echo "- l3afctl add (head of a 4-program chain: 1 new instance), 30 runs: p50_us=$(pct 50 < "$T/add") p99_us=$(pct 99 < "$T/add")"
echo "- l3afctl remove, 30 runs: p50_us=$(pct 50 < "$T/remove") p99_us=$(pct 99 < "$T/remove")"
rss0=$(rss_kib)
stop

echo
echo "## Direct connections (the l3afd.socket path): memory across many clients"
count_dropin bus0 c1 10
systemd-socket-activate -l "$T/sock" "$L3AFD" --root="$ROOT" --no-bus --log-target=console > "$T/l3afd.log" 2>&1 &
ACTIVATOR=$!
until [ -S "$T/sock" ]; do sleep 0.02; done
direct() { busctl --address=unix:path="$T/sock" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 GetChain ss bus0 xdp >/dev/null; }
until direct 2>/dev/null; do sleep 0.05; done   # the first call starts l3afd; the chain follows
DAEMON=$ACTIVATOR   # systemd-socket-activate execs l3afd in place
for _ in $(seq 100); do direct; done
r100=$(rss_kib)
for _ in $(seq 2000); do direct; done
r2100=$(rss_kib)
echo "- VmRSS after 100 direct connections: ${r100} KiB; after 2,100: ${r2100} KiB ($(( (r2100 - r100) * 1024 / 2000 )) bytes per connection)"
stop

echo
echo "## Daemon memory"
for i in $(seq 64); do
        ip link add "b$i" type veth peer name "b${i}p" && ip link set "b$i" up
        count_dropin "b$i" count 10
done
start
"$B/tests/busclient" 4 100 b1 xdp > /dev/null
echo "- VmRSS with 1 chain of 4 programs, on the bus: ${rss0} KiB"
echo "- VmRSS with 64 chains (1 program each), on the bus, after 400 calls: $(rss_kib) KiB"
stop
