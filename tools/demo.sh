#!/bin/bash
# l3afd demo: builds if needed, then in a throwaway network namespace runs
# l3afd with the bundled sample drop-ins on a veth pair, shows a three-program
# chain passing real traffic with per-program counters, reorders it live
# under traffic, and cleans up. Needs root. Leaves nothing behind: it runs in
# private mount, network and PID namespaces.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${L3AF_DEMO_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "The demo needs root (it loads eBPF programs)." >&2; exit 1; }
        "$SRC/tools/deps.sh"
        [ -f "$SRC/build/build.ninja" ] || meson setup "$SRC/build" >/dev/null
        ninja -C "$SRC/build" >/dev/null
        export L3AF_DEMO_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

B=$SRC/build
L3AFD=$B/src/l3afd/l3afd
TOOL=$B/tests/testtool
UDPGEN=$B/tests/udpgen
REPO=$B/tools/sample-repo
source "$SRC/tools/private-tmp.sh"
private_tmp "$SRC" "$B"
T=$(mktemp -d "$PRIVATE_TMP/l3af-demo.XXXXXX")
ROOT=$T/root
PINS=$ROOT/sys/fs/bpf/l3af
mkdir -p "$ROOT/etc/l3af.d" "$ROOT/etc/l3af"
printf '[Daemon]\nStatistics=yes\n' > "$ROOT/etc/l3af/l3afd.conf"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# The [Metric] groups of the sample drop-ins, and the chain's kernel statistics (Statistics=yes).
counters() { CTL stats demo0; }
chain() { grep "is live" "$T/l3afd.log" | tail -1 | sed 's/.*is live: /   /'; }

say "A throwaway network namespace with a veth pair: demo0 <-> peer0"
ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
unshare --net sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; exec sleep infinity' & PEER=$!
sleep 0.2
ip link add demo0 type veth peer name peer0
ip link set peer0 netns $PEER
ip addr add 10.77.0.1/24 dev demo0 && ip link set demo0 up
nsenter -t $PEER -n sh -c 'ip addr add 10.77.0.2/24 dev peer0; ip link set peer0 up; ip link set lo up'
mac() { ip -br link show dev "$1" | awk '{print $3}'; }
ip neigh replace 10.77.0.2 lladdr "$(nsenter -t $PEER -n ip -br link show dev peer0 | awk '{print $3}')" dev demo0 nud permanent
nsenter -t $PEER -n ip neigh replace 10.77.0.1 lladdr "$(mac demo0)" dev peer0 nud permanent
ip -br addr show demo0

say "A private system bus, so that l3afctl can talk to l3afd"
BUS=unix:path=$T/bus.sock
cat > "$T/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><listen>$BUS</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>
EOC
dbus-daemon --nofork --nosyslog --config-file="$T/bus.conf" >/dev/null 2>&1 &
until [ -S "$T/bus.sock" ]; do sleep 0.05; done
CTL() { echo "   \$ l3afctl $*"; "$B/src/l3afctl/l3afctl" --address="$BUS" "$@" | sed 's/^/   /'; }
echo "   $BUS"

say "The bundled sample drop-ins (etc/l3af.d), pointed at the built objects"
for f in "$SRC"/etc/l3af.d/*.conf; do
        sed "s|/usr/lib/l3af/samples|$B/bpf|" "$f" > "$ROOT/etc/l3af.d/$(basename "$f")"
        echo "   $(basename "$f"): $(grep -E '^(Name|Priority)=' "$f" | tr '\n' ' ')"
done

say "Starting l3afd (pins under a private bpffs)"
"$L3AFD" --root="$ROOT" --bus-address="$BUS" --log-target=console > "$T/l3afd.log" 2>&1 &
DAEMON=$!
until grep -q "l3afd started" "$T/l3afd.log"; do sleep 0.05; kill -0 $DAEMON || { cat "$T/l3afd.log"; exit 1; }; done
sed 's/^/   /' "$T/l3afd.log"
echo "   XDP program on demo0: id $($TOOL xdp-id demo0) (l3afd's root; the chain hangs off it)"
CTL show demo0

say "Traffic from the peer: 1000 UDP packets to port 5555, 500 to port 7777 (portdrop drops 7777)"
nsenter -t $PEER -n "$UDPGEN" 10.77.0.1 5555 1000 >/dev/null
nsenter -t $PEER -n "$UDPGEN" 10.77.0.1 7777 500 >/dev/null
counters

say "Live reorder under continuous traffic: portdrop moves in front of count"
UDPGEN_COUNT_FILE=$T/sent nsenter -t $PEER -n "$UDPGEN" 10.77.0.1 7777 0 5000 >/dev/null & GEN=$!
sleep 0.5
sed -i 's/^Priority=20/Priority=5/' "$ROOT/etc/l3af.d/20-portdrop.conf"
kill -HUP $DAEMON
until [ "$(grep -c 'is live' "$T/l3afd.log")" -ge 2 ]; do sleep 0.05; done
sleep 0.5
kill -TERM $GEN; wait $GEN || true
chain
echo "   sent $(cat "$T/sent") more packets to port 7777 during the reorder; after it, count no longer sees them:"
counters
echo "   XDP program on demo0: id $($TOOL xdp-id demo0) (unchanged: a reorder only flips the root's slot)"

say "Upgrading portdrop to a signed package from the bundled sample repository"
echo "   (signed at build time with a key marked TEST-ONLY; nothing trusts it by default)"
cat > "$ROOT/etc/l3af.d/20-portdrop.conf" <<EOD
[Program]
Name=portdrop
Interface=demo0
Hook=xdp
Priority=5
Package=portdrop
Version=1.1.0
Repository=file://$REPO/repo

[Map portdrop_config]
0={port=7777, enabled=1}

[Metric portdrop_seen]
Map=portdrop_stats
Field=seen

[Metric portdrop_dropped]
Map=portdrop_stats
Field=dropped
EOD
reload() {
        "$B/src/l3afctl/l3afctl" --address="$BUS" reload 2>&1 | sed 's/^/   /' || true
}
reload
echo "   The chain keeps running its previous generation:"
chain
mkdir -p "$ROOT/etc/l3af/trust.d"
cp "$REPO/trust/l3af-demo-TEST-ONLY.pem" "$ROOT/etc/l3af/trust.d/"
echo "   Trusting the demo's TEST-ONLY certificate (only this demo does) and reloading:"
reload
grep "signed by" "$T/l3afd.log" | tail -1 | sed 's/^[^:]*: /   /'
CTL show demo0
counters

say "Stopping l3afd leaves the chain running; --flush removes everything"
CTL status
kill -TERM $DAEMON; wait $DAEMON || true
echo "   after SIGTERM, XDP program on demo0: id $($TOOL xdp-id demo0)"
"$L3AFD" --root="$ROOT" --flush --log-target=console 2>&1 | sed 's/^/   /'
echo "   after --flush, XDP program on demo0: id $($TOOL xdp-id demo0)"
say "Done. The namespace, veth pair and pins vanish with this process."
