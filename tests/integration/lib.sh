# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by every integration test. The test re-executes itself in private
# mount, network and PID namespaces, so whatever happens (even SIGKILL), the
# kernel takes down its veths, bpffs, pins, links and processes with it. Only
# its temp dir is on the host's disk, and the EXIT trap removes that.

set -euo pipefail

: "${L3AF_BUILD:?L3AF_BUILD must point at the build directory}"
L3AFD="$L3AF_BUILD/src/l3afd/l3afd"
TESTTOOL="$L3AF_BUILD/tests/testtool"
UDPGEN="$L3AF_BUILD/tests/udpgen"
SAMPLES="$L3AF_BUILD/bpf"
FOREIGN="$L3AF_BUILD/tests/foreign"
TESTBPF="$L3AF_BUILD/tests"

skip() { echo "SKIP: $*"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/../contains.sh"
fail() { echo "FAIL: $*" >&2; [ -n "${T:-}" ] && [ -f "$T/daemon.log" ] && { echo "--- daemon log (tail) ---" >&2; tail -n 40 "$T/daemon.log" >&2; }; exit 1; }
info() { echo "# $*"; }

if [ -z "${L3AF_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (bpf, network and mount namespaces)"
        command -v unshare >/dev/null || skip "unshare(1) is missing"
        unshare --mount --net --pid --fork --mount-proc true 2>/dev/null || skip "cannot create namespaces on this machine"
        export L3AF_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

# Our files live on a private tmpfs: even a SIGKILLed test leaves nothing on the host.
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/private-tmp.sh"
private_tmp "$(dirname "${BASH_SOURCE[0]}")/../.." "$L3AF_BUILD" || exit 1
T=$(mktemp -d "$PRIVATE_TMP/l3af-test.XXXXXXXX")
ROOT="$T/root"
PINS="$ROOT/sys/fs/bpf/l3af"
DROPINS="$ROOT/etc/l3af.d"
DAEMON_PID=
mkdir -p "$DROPINS" "$ROOT/run/l3af.d" "$ROOT/usr/lib/l3af.d" "$ROOT/etc/l3af"

cleanup() {
        local rc=$?
        trap - EXIT
        [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
        # Everything else dies with our namespaces, but anything still holding the
        # bpffs would keep it mounted: as the PID namespace's init, end them now.
        [ $$ = 1 ] && { kill -KILL -1 2>/dev/null; wait 2>/dev/null; } || true
        # Unmount so rm stays on our disk.
        umount -R "$ROOT/sys/fs/bpf" 2>/dev/null || true
        rm -rf --one-file-system "$T"
        exit $rc
}
trap cleanup EXIT

ip link set lo up

# Peer namespace: a process holding a fresh netns, which dies with our PID namespace.
PEER_PID=
peer_start() {
        unshare --net sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; exec sleep infinity' &
        PEER_PID=$!
        for _ in $(seq 100); do
                [ "$(readlink /proc/$PEER_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && \
                        nsenter -t "$PEER_PID" -n sysctl -n net.ipv6.conf.default.disable_ipv6 2>/dev/null | contains 1 && return 0
                sleep 0.05
        done
        fail "peer namespace did not start"
}
in_peer() { nsenter -t "$PEER_PID" -n "$@"; }

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# veth_add DEV PEERDEV N: DEV here with 10.99.N.1, PEERDEV in the peer with 10.99.N.2,
# static neighbours, no IPv6: the only packets are the ones the test sends.
veth_add() {
        local dev=$1 peer=$2 n=$3
        [ -n "$PEER_PID" ] || peer_start
        ip link add "$dev" type veth peer name "$peer"
        ip link set "$peer" netns "$PEER_PID"
        ip addr add "10.99.$n.1/24" dev "$dev"
        in_peer ip addr add "10.99.$n.2/24" dev "$peer"
        ip link set "$dev" up
        in_peer ip link set "$peer" up
        in_peer ip link set lo up
        ip neigh replace "10.99.$n.2" lladdr "$(in_peer ip -br link show dev "$peer" | awk '{print $3}')" dev "$dev" nud permanent
        in_peer ip neigh replace "10.99.$n.1" lladdr "$(ip -br link show dev "$dev" | awk '{print $3}')" dev "$peer" nud permanent
}

# send N DSTPORT [RATE] [NET]: from the peer to 10.99.NET.1
send() {
        local n=$1 port=$2 rate=${3:-20000} net=${4:-0}
        in_peer "$UDPGEN" "10.99.$net.1" "$port" "$n" "$rate" >/dev/null
}

# send_bg PORT RATE COUNTFILE [NET]: sends until send_stop; prints the sender's pid.
send_bg() {
        local port=$1 rate=$2 file=$3 net=${4:-0}
        UDPGEN_COUNT_FILE="$file" nsenter -t "$PEER_PID" -n "$UDPGEN" "10.99.$net.1" "$port" 0 "$rate" >/dev/null &
        echo $!
}
send_stop() {
        kill -TERM "$1"
        while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
}

# A real systemd-journald, private to this test: /run is our own tmpfs.
JOURNAL_PID=
journal_start() {
        mount -t tmpfs -o mode=755 l3af-run /run
        mkdir -p /run/systemd/journal /run/log
        [ -d /var/log/journal ] && mount -t tmpfs l3af-journal /var/log/journal
        /lib/systemd/systemd-journald >/dev/null 2>&1 &
        JOURNAL_PID=$!
        for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && return 0; sleep 0.05; done
        fail "systemd-journald did not start"
}
# journal [journalctl args...]: our journal, JSON lines by default
journal() { journalctl -D /run/log/journal --no-pager -o json "$@" 2>/dev/null; }
journal_count() { journal "$@" | grep -c . || true; }
# wait_journal N TIMEOUT_S MATCHES...: wait until at least N entries match
wait_journal() {
        local n=$1 timeout=$2 i; shift 2
        for i in $(seq $((timeout * 50))); do
                [ "$(journal_count "$@")" -ge "$n" ] && return 0
                sleep 0.02
        done
        fail "timed out waiting for $n journal entries matching $*"
}
# jfield FIELD [journalctl args]: the field of the last matching entry
jfield() { local f=$1; shift; journal "$@" | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin).get('$f',''))"; }

# program_dropin FILE NAME IFACE PRIORITY OBJECT [MORE LINES]: a [Program] drop-in
program_dropin() {
        printf '[Program]\nName=%s\nInterface=%s\nHook=xdp\nPriority=%s\nObject=%s\n%s' "$2" "$3" "$4" "$5" "${6:-}" \
                > "$DROPINS/$1.conf"
}

# sample_chain IFACE [PORT]: count -> portdrop (dropping PORT, default 7777) -> sink
sample_chain() {
        program_dropin "10-count-$1" count "$1" 10 "$SAMPLES/count.bpf.o"
        program_dropin "20-portdrop-$1" portdrop "$1" 20 "$SAMPLES/portdrop.bpf.o" "
[Map portdrop_config]
0={port=${2:-7777}, enabled=1}
"
        program_dropin "30-sink-$1" sink "$1" 30 "$SAMPLES/sink.bpf.o"
}

# A private, plain message bus (no polkit) for tests that only read and listen;
# with SERVICEDIR, it activates the services described there.
PLAIN_BUS=
plain_bus_start() {  # plain_bus_start [SERVICEDIR]
        local services=${1:+<servicedir>$1</servicedir>}
        mkdir -p "$T/plainbus"
        PLAIN_BUS=unix:path=$T/plainbus/socket
        cat > "$T/plainbus/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>$PLAIN_BUS</listen>
  <auth>EXTERNAL</auth>
  $services
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOC
        dbus-daemon --nofork --nosyslog --config-file="$T/plainbus/bus.conf" > "$T/plainbus/log" 2>&1 &
        for _ in $(seq 100); do [ -S "$T/plainbus/socket" ] && return 0; sleep 0.05; done
        fail "dbus-daemon did not start"
}
# chain_state IFACE HOOK: the state ListChains reports
chain_state() {
        busctl --address="$PLAIN_BUS" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains | \
                grep -o "\"$1\" \"$2\" \"[a-z]*\"" | cut -d'"' -f6
}

dropin() {  # dropin NAME < content
        cat > "$DROPINS/$1.conf"
}

log_count() { grep -c -- "$1" "$T/daemon.log" 2>/dev/null || true; }

wait_log() {  # wait_log PATTERN [MIN_COUNT] [TIMEOUT_S]
        local pattern=$1 min=${2:-1} timeout=${3:-30} i
        for i in $(seq $((timeout * 100))); do
                [ "$(log_count "$pattern")" -ge "$min" ] && return 0
                if [ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
                        fail "l3afd exited while waiting for '$pattern'"
                fi
                sleep 0.01
        done
        fail "timed out waiting for '$pattern' (x$min) in the daemon log"
}

daemon_start() {
        local started
        started=$(log_count "l3afd started")
        local bus=--no-bus  # never the host's system bus; the bus tests give --bus-address=
        case " $* " in *" --bus-address="*) bus= ;; esac
        "$L3AFD" --root="$ROOT" --log-target="${L3AF_LOG_TARGET:-console}" --log-level=debug $bus "$@" >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        wait_log "l3afd started" $((started + 1))
}

daemon_reload() {
        local n
        n=$(log_count "Reload done")
        kill -HUP "$DAEMON_PID"
        wait_log "Reload done" $((n + 1))
}

# Fast reloads for tests that make thousands of changes: one tail process
# follows the log, so waiting for a reload costs no fork.
FOLLOW_FD=
follow_log() {
        local marker="follow-$RANDOM-$RANDOM" line
        exec {FOLLOW_FD}< <(exec tail -n0 -F "$T/daemon.log" 2>/dev/null)
        # tail attaches asynchronously: only once it shows our marker is it following.
        while :; do
                echo "$marker" >> "$T/daemon.log"
                IFS= read -r -t 0.2 -u "$FOLLOW_FD" line && [ "$line" = "$marker" ] && return 0
        done
}
reload_fast() {
        local line
        kill -HUP "$DAEMON_PID"
        while IFS= read -r -t 30 -u "$FOLLOW_FD" line; do
                case $line in *"Reload done"*) return 0 ;; esac
        done
        fail "no reload finished within 30 s (daemon: $(kill -0 "$DAEMON_PID" 2>&1 && echo alive || echo dead))"
}

daemon_stop() {  # daemon_stop [SIGNAL]
        kill -"${1:-TERM}" "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
}

assert_eq() {  # assert_eq ACTUAL EXPECTED WHAT
        [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
        echo "ok - $3 ($1)"
}

assert_ne() {
        [ "$1" != "$2" ] || fail "$3: got '$1', expected something else"
        echo "ok - $3 ($1 != $2)"
}

assert_contains() {  # assert_contains FILE PATTERN WHAT
        grep -qF -- "$2" "$1" || fail "$3: '$2' not found in $1"
        echo "ok - $3"
}

chain_dir() { echo "$PINS/$1/${2:-xdp}"; }
prog_maps() { echo "$PINS/$1/${2:-xdp}/programs/$3/maps"; }   # IFACE HOOK PROGRAM
chain_ids() { "$TESTTOOL" chain-ids "$(chain_dir "$1" "${2:-xdp}")"; }
xdp_id() { "$TESTTOOL" xdp-id "$1"; }
# The program a chain's link is to run (IFACE [HOOK]): on XDP the chain's head instance itself, with no root
# in front of it; on tc, or for a chain with no program, its root.
entry_id() {
        local hook=${2:-xdp} head
        head=$(chain_ids "$1" "$hook" | cut -d' ' -f1)
        if [ "$hook" = xdp ] && [ -n "$head" ]; then echo "$head"; else "$TESTTOOL" prog-id "$(chain_dir "$1" "$hook")/root"; fi
}
