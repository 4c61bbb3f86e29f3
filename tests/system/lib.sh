# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by every system test: l3afd installed exactly as `meson install
# --prefix=/usr` installs it, run by systemd as PID 1 in a container
# (systemd-nspawn) with the real dbus-daemon, polkitd and journald, its own
# network namespace, veth pairs and a bpffs.
#
# The test re-executes itself in private mount, network and PID namespaces and
# boots the container inside them, so whatever happens (even SIGKILL) the
# kernel takes down the container, its mounts, veths, bpffs, pins and links
# with them. Its files live on a private tmpfs. What the kernel keeps after a
# SIGKILL is the container's (empty) cgroup directories: they live under one
# l3af-system.* cgroup per run, removed by the EXIT trap, and by the next run
# after a SIGKILL.

set -euo pipefail

: "${L3AF_BUILD:?L3AF_BUILD must point at the build directory}"
: "${L3AF_SOURCE:?L3AF_SOURCE must point at the source directory}"
TESTTOOL="$L3AF_BUILD/tests/testtool"
UDPGEN="$L3AF_BUILD/tests/udpgen"

skip() { echo "SKIP: $*"; exit 77; }
fail() {
        echo "FAIL: $*" >&2
        if [ -n "${LEADER:-}" ]; then
                echo "--- journal of l3afd (tail) ---" >&2
                in_ct journalctl -u l3afd --no-pager -n 40 >&2 2>&1 || true
        fi
        exit 1
}
info() { echo "# $*"; }

if [ -z "${L3AF_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (containers, bpf, namespaces)"
        command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is missing (Debian: systemd-container)"
        command -v unshare >/dev/null || skip "unshare(1) is missing"
        unshare --mount --net --pid --fork --mount-proc true 2>/dev/null || skip "cannot create namespaces on this machine"
        export L3AF_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

source "$L3AF_SOURCE/tools/private-tmp.sh"
source "$L3AF_SOURCE/tests/contains.sh"
private_tmp "$L3AF_SOURCE" "$L3AF_BUILD" || exit 1
T=$(mktemp -d "$PRIVATE_TMP/l3af-system.XXXXXXXX")
DEST=$T/dest            # what meson install lays down
BPF=$T/bpf              # the container's /sys/fs/bpf, seen from here
PINS=$BPF/l3af
LEADER=                 # the container's PID 1, in our PID namespace
NSPAWN_EXTRA=()         # more systemd-nspawn options, set before boot
CGROUPS=()

# The container's systemd makes cgroups under ours: give this run its own, in
# every writable hierarchy, so cleanup knows exactly what to remove.
cgroup_setup() {
        local fs dir
        for fs in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup /sys/fs/cgroup/memory; do
                findmnt -n -M "$fs" -O rw >/dev/null 2>&1 || continue
                case $(findmnt -n -o FSTYPE -M "$fs") in cgroup2|cgroup) ;; *) continue ;; esac
                # Runs a SIGKILL ended left their directories: remove those with no
                # process left anywhere below (not another run's, still going).
                for dir in "$fs"/l3af-system.*; do
                        [ -d "$dir" ] || continue
                        [ -z "$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] || continue
                        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
                done
                dir=$fs/l3af-system.${T##*.}
                mkdir "$dir" 2>/dev/null || continue
                echo $$ > "$dir/cgroup.procs" 2>/dev/null || { rmdir "$dir"; continue; }
                CGROUPS+=("$dir")
        done
}

cleanup() {
        local rc=$? dir
        trap - EXIT
        # As our PID namespace's init, end everything: the container goes with it.
        [ $$ = 1 ] && { kill -KILL -1 2>/dev/null; wait 2>/dev/null; } || true
        umount -R "$BPF" 2>/dev/null || true
        for dir in "${CGROUPS[@]}"; do
                echo $$ > "$(dirname "$dir")/cgroup.procs" 2>/dev/null || true
                for _ in $(seq 50); do
                        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null && break
                        sleep 0.1
                done
        done
        rm -rf --one-file-system "$T"
        exit $rc
}
trap cleanup EXIT

ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# The tree `meson install` lays down with --prefix=/usr: this build's if that
# is its prefix, else a second build of the same source beside it.
install_tree() {
        local build=$L3AF_BUILD prefix
        prefix=$(meson introspect --buildoptions "$build" | python3 -c \
                'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
        if [ "$prefix" != /usr ]; then
                build=$L3AF_BUILD/system-prefix-usr
                (
                        flock 9
                        [ -f "$build/build.ninja" ] || meson setup "$build" "$L3AF_SOURCE" --prefix=/usr >/dev/null
                        ninja -C "$build" >/dev/null
                ) 9>"$L3AF_BUILD/system-prefix-usr.lock" || fail "cannot build with --prefix=/usr"
        fi
        DESTDIR=$DEST meson install -C "$build" --no-rebuild --quiet >/dev/null || fail "meson install failed"
        (cd "$DEST" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) > "$T/installed"
        # A merged-/usr system (Debian 12) has /lib, /bin and /sbin link into /usr:
        # what meson installs there lands in /usr, as it does on such a host.
        local d
        for d in lib bin sbin; do
                [ -d "$DEST/$d" ] || continue
                mkdir -p "$DEST/usr/$d"
                cp -a "$DEST/$d/." "$DEST/usr/$d/"
                rm -rf "$DEST/$d"
        done
}

# in_ct CMD...: CMD in the container (all its namespaces, its root).
in_ct() { nsenter -t "$LEADER" -a "$@"; }
# in_ct_net CMD...: CMD from this tree (test tools) in the container's network namespace.
in_ct_net() { nsenter -t "$LEADER" -n "$@"; }
ct_root() { echo "/proc/$LEADER/root"; }

# boot: the installed tree over the host's /usr, a fresh /etc and /var, systemd as PID 1.
boot() {
        local nspawn_pid i
        cgroup_setup
        install_tree
        mkdir -p "$BPF"
        mount -t bpf l3af-bpf "$BPF"
        # A machine that has booted before: no first-boot presets or wizard.
        systemd-id128 new > "$T/machine-id"
        # --system-call-filter=bpf: nspawn's own seccomp filter, which every
        # service in the container inherits, refuses bpf() otherwise. The
        # bpffs is bound at /sys/fs/bpf as a host's sys-fs-bpf.mount provides it.
        systemd-nspawn --quiet --keep-unit --register=no --volatile=yes -D / -b --console=pipe \
                --private-network --capability=all --system-call-filter=bpf \
                --overlay-ro="/usr:$DEST/usr:/usr" \
                --bind="$BPF:/sys/fs/bpf" \
                --bind-ro="$T/machine-id:/etc/machine-id" \
                --machine="l3af-$(basename "$T" | tr -dc 'a-zA-Z0-9')" \
                "${NSPAWN_EXTRA[@]}" \
                > "$T/console.log" 2>&1 &
        nspawn_pid=$!
        disown "$nspawn_pid"
        for i in $(seq 300); do
                # No container at all is this machine's limit, not a failure of ours.
                kill -0 "$nspawn_pid" 2>/dev/null ||
                        skip "containers cannot run here: systemd-nspawn exited: $(tail -n 3 "$T/console.log" | tr '\n' ' ')"
                LEADER=$(pgrep -o -x systemd || true)
                [ -n "$LEADER" ] && [ "$(readlink "/proc/$LEADER/ns/pid" 2>/dev/null)" != "$(readlink /proc/self/ns/pid)" ] && break
                LEADER=
                sleep 0.1
        done
        [ -n "$LEADER" ] || fail "the container's systemd did not start"
        local state=
        for i in $(seq 600); do
                # Until its private socket exists, systemctl cannot reach it.
                state=$(timeout 60 nsenter -t "$LEADER" -a systemctl is-system-running --wait 2>/dev/null || true)
                [ -n "$state" ] && break
                sleep 0.1
        done
        case $state in
        running) ;;
        # A unit of the host's /usr that does not fit a container is not ours
        # to judge: say which, and let the tests judge l3afd.
        degraded) info "booted degraded: $(in_ct systemctl --failed --no-legend --plain | awk '{print $1}' | paste -sd' ')" ;;
        *) in_ct systemctl --failed --no-pager >&2 || true; fail "the container booted '$state'" ;;
        esac
        # The installed /etc (l3afd.conf), as an admin's to edit.
        cp -a "$DEST/etc/." "$(ct_root)/etc/"
        # What the README says to run after installing.
        in_ct systemd-sysusers l3afd.conf
        in_ct systemd-tmpfiles --create l3afd.conf
        in_ct journalctl --update-catalog
        in_ct systemctl daemon-reload
        in_ct systemctl try-reload-or-restart dbus.service
        info "systemd booted as PID 1 in the container ($state)"
}

# veth_ct DEV PEER N: DEV in the container with 10.99.N.1, PEER here with
# 10.99.N.2, static neighbours, no IPv6: the only packets are the test's.
veth_ct() {
        local dev=$1 peer=$2 n=$3
        ip link add "$dev" type veth peer name "$peer"
        ip link set "$dev" netns "$LEADER"
        in_ct_net sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
        in_ct_net ip addr add "10.99.$n.1/24" dev "$dev"
        ip addr add "10.99.$n.2/24" dev "$peer"
        in_ct_net ip link set "$dev" up
        ip link set "$peer" up
        in_ct_net ip neigh replace "10.99.$n.2" lladdr "$(ip -br link show dev "$peer" | awk '{print $3}')" dev "$dev" nud permanent
        ip neigh replace "10.99.$n.1" lladdr "$(in_ct_net ip -br link show dev "$dev" | awk '{print $3}')" dev "$peer" nud permanent
}

# send N DSTPORT [NET]: N UDP packets from here into the container's 10.99.NET.1
send() { "$UDPGEN" "10.99.${3:-0}.1" "$2" "$1" 20000 >/dev/null; }
# send_bg PORT RATE COUNTFILE [NET]: sends until send_stop; prints the sender's pid.
send_bg() {
        UDPGEN_COUNT_FILE="$3" "$UDPGEN" "10.99.${4:-0}.1" "$1" 0 "$2" >/dev/null &
        echo $!
}
send_stop() {
        kill -TERM "$1"
        while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
}

# dropin NAME < content: a drop-in in the container's /etc/l3af.d
dropin() { mkdir -p "$(ct_root)/etc/l3af.d" && cat > "$(ct_root)/etc/l3af.d/$1.conf"; }
SAMPLES=/usr/lib/l3af/samples   # as installed
# sample_chain IFACE: count -> portdrop (dropping 7777) -> sink, the installed samples
sample_chain() {
        printf '[Program]\nName=count\nInterface=%s\nHook=xdp\nPriority=10\nObject=%s/count.bpf.o\n' \
                "$1" "$SAMPLES" | dropin "10-count-$1"
        printf '[Program]\nName=portdrop\nInterface=%s\nHook=xdp\nPriority=20\nObject=%s/portdrop.bpf.o\n\n[Map portdrop_config]\n0={port=7777, enabled=1}\n' \
                "$1" "$SAMPLES" | dropin "20-portdrop-$1"
        printf '[Program]\nName=sink\nInterface=%s\nHook=xdp\nPriority=30\nObject=%s/sink.bpf.o\n' \
                "$1" "$SAMPLES" | dropin "30-sink-$1"
}

chain_ids() { "$TESTTOOL" chain-ids "$PINS/$1/${2:-xdp}"; }
xdp_id() { in_ct_net "$TESTTOOL" xdp-id "$1"; }
count_of() { "$TESTTOOL" sum "$PINS/$1/xdp/programs/count/maps/stats" 0; }   # IFACE
portdrop_of() { "$TESTTOOL" sum "$PINS/$1/xdp/programs/portdrop/maps/portdrop_stats" 1; }
main_pid() { in_ct systemctl show -P MainPID l3afd.service; }
# wait_state UNIT STATE [TIMEOUT_S]
wait_state() {
        local i
        for i in $(seq $((${3:-30} * 10))); do
                [ "$(in_ct systemctl is-active "$1" 2>/dev/null || true)" = "$2" ] && return 0
                sleep 0.1
        done
        fail "$1 did not become $2 (is $(in_ct systemctl is-active "$1" 2>/dev/null || true))"
}

assert_eq() {  # assert_eq ACTUAL EXPECTED WHAT
        [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
        echo "ok - $3 ($1)"
}
assert_ne() {
        [ "$1" != "$2" ] || fail "$3: got '$1', expected something else"
        echo "ok - $3 ($1 != $2)"
}
