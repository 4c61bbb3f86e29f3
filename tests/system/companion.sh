#!/bin/bash
# Issue 12: companions, the user-space half of a program, run by systemd as
# transient units l3afd creates through org.freedesktop.systemd1; the
# installed l3afd.service, exactly as shipped, under systemd as PID 1.
source "$(dirname "$0")/lib.sh"
# This host mounts the memory controller on cgroup v1, which systemd-nspawn
# gives the container read-only, so the container's systemd could enforce no
# MemoryMax=. Bind the container's own memory cgroup (lib.sh made it) there
# writable, and let systemd look again, as on a host where it owns it.
NSPAWN_EXTRA=(--bind="/sys/fs/cgroup/memory/l3af-system.${T##*.}:/run/l3af-memcg")
boot
if in_ct mount --bind /run/l3af-memcg /sys/fs/cgroup/memory 2>/dev/null; then
        in_ct systemctl daemon-reexec
else
        info "no cgroup v1 memory controller to bind: the container's systemd uses its own"
fi

BIN=/etc/l3af/bin   # in the container: the test companions (tests/tools)
mkdir -p "$(ct_root)$BIN"
install -m 0755 "$L3AF_BUILD/tests/companion" "$L3AF_BUILD/tests/l3af-companion" "$(ct_root)$BIN/"

# jgrep UNIT PATTERN [TIMEOUT_S]: waits until UNIT's journal has a line matching PATTERN
jgrep() {
        local i
        for i in $(seq $((${3:-20} * 10))); do
                in_ct journalctl -u "$1" --no-pager -o cat 2>/dev/null | contains -- "$2" && return 0
                sleep 0.1
        done
        in_ct journalctl -u "$1" --no-pager -o cat | tail -n 20 >&2 || true
        fail "the journal of $1 never says '$2'"
}
prop() { in_ct systemctl show -P "$2" "$1"; }   # prop UNIT PROPERTY

veth_ct l3t0 l3p0 0
veth_ct l3t1 l3p1 1
U0='l3af-companion-l3t0-xdp-count.service'
U1='l3af-companion-l3t1-tc\x2dingress-count.service'
UM='l3af-companion-l3t0-xdp-portdrop.service'

# Acceptance 1: a companion reads its program's counter map.
printf '[Program]\nName=count\nInterface=l3t0\nHook=xdp\nPriority=10\nObject=%s/count.bpf.o\nVersion=1.0.0\n\n[Companion]\nExecStart=%s/companion stats 0\n' \
        "$SAMPLES" "$BIN" | dropin 10-count-l3t0
# Acceptance 5: a companion written to L3AF's conventions, on a tc chain.
printf '[Program]\nName=count\nInterface=l3t1\nHook=tc-ingress\nObject=%s/count.bpf.o\nEntry=count_tc\nVersion=2.1.0\n\n[Companion]\nConvention=l3af\nExecStart=%s/l3af-companion --name=count --version=2.1.0 --map=stats\n' \
        "$SAMPLES" "$BIN" | dropin 10-count-l3t1
# Acceptance 2: a companion that allocates past its MemoryMax=.
printf '[Program]\nName=portdrop\nInterface=l3t0\nHook=xdp\nPriority=20\nObject=%s/portdrop.bpf.o\n\n[Map portdrop_config]\n0={port=7777, enabled=1}\n\n[Companion]\nExecStart=%s/companion portdrop_stats 1 64\nMemoryMax=16M\nRestart=on-failure\nRestartSec=300ms\n' \
        "$SAMPLES" "$BIN" | dropin 20-portdrop-l3t0

in_ct systemctl start l3afd.service || fail "systemctl start l3afd failed"
wait_state "$U0" active
wait_state "$U1" active
send 200 5555
jgrep "$U0" '^stats=200$'
echo "ok - the companion runs as $U0 and reads its program's map (stats=200)"
assert_eq "$(prop "$U0" DynamicUser)" yes "it runs under a dynamic user"
pid0=$(prop "$U0" MainPID)
uid=$(in_ct cat "/proc/$pid0/status" | awk '/^Uid:/ {print $2}')
assert_ne "$uid" 0 "its uid is not root"
assert_eq "$(in_ct cat "/proc/$pid0/status" | awk '/^CapEff:/ {print $2}')" 0000000000000000 "it has no capabilities"
in_ct ls /sys/fs/bpf/l3af > /dev/null || fail "the host's pins vanished"
if in_ct nsenter -t "$pid0" -m ls /sys/fs/bpf/l3af >/dev/null 2>&1; then fail "the companion sees l3afd's pin root"; fi
info "systemd-analyze security rates $U0 $(in_ct systemd-analyze security --no-pager "$U0" | sed -n 's/.*Overall exposure level for .*: \([0-9.]* [A-Z]*\).*/\1/p')"
echo "ok - in its namespace /sys/fs/bpf holds only its maps: $(in_ct nsenter -t "$pid0" -m find /sys/fs/bpf -type f | paste -sd' ')"

# Acceptance 5: L3AF's arguments and pin paths (tc: /sys/fs/bpf/tc/globals/<iface>/<program>/<version>/<map>).
send 50 5555 1
jgrep "$U1" '^l3af companion opened /sys/fs/bpf/tc/globals/l3t1/count/2_1_0/stats$'
jgrep "$U1" '^l3af stats=50$'
echo "ok - the L3AF-convention companion opens its map at L3AF's tc pin path and reads it (stats=50)"
assert_eq "$(in_ct cat "/proc/$(prop "$U1" MainPID)/cmdline" | tr "\0" " ")" \
        "$BIN/l3af-companion --iface=l3t1 --direction=ingress --name=count --version=2.1.0 --map=stats " \
        "it got L3AF's --iface= and --direction= before its own arguments"

# Acceptance 2: MemoryMax= kills the companion, systemd restarts it, the chain never stops.
ids=$(chain_ids l3t0)
for _ in $(seq 100); do
        [ "$(prop "$UM" NRestarts)" -ge 1 ] && break
        sleep 0.1
done
[ "$(prop "$UM" NRestarts)" -ge 1 ] || fail "the companion past MemoryMax= was not restarted (NRestarts $(prop "$UM" NRestarts))"
in_ct journalctl --no-pager -o cat -u "$UM" > "$T/um.journal"
grep -qE "oom-kill|status=9/KILL" "$T/um.journal" || { cat "$T/um.journal"; fail "the journal of $UM does not say it was killed"; }
if grep -q 'allocated 64 MiB' "$T/um.journal"; then fail "the companion allocated 64 MiB under MemoryMax=16M"; fi
echo "ok - past MemoryMax=16M it is killed before it has its 64 MiB, and restarted ($(prop "$UM" NRestarts) restarts; $(grep -E 'oom-kill|status=9/KILL' "$T/um.journal" | tail -1))"
send 100 5555
jgrep "$U0" '^stats=300$'
assert_eq "$(chain_ids l3t0)" "$ids" "the chain never changed"
assert_eq "$(in_ct systemctl is-active l3afd.service)" active "l3afd runs on"

# Acceptance 6: journalctl -u has its output; l3afctl show lists it with its state.
in_ct journalctl -u "$U0" --no-pager -o cat | contains '^companion of count on l3t0/xdp' || fail "no output of the companion in its journal"
echo "ok - journalctl -u $U0 has its output"
in_ct l3afctl show l3t0 > "$T/show" || fail "l3afctl show failed"
grep -qE "companion count +$U0 +active" "$T/show" || { cat "$T/show"; fail "l3afctl show does not list the companion as active"; }
grep -qE "companion portdrop +$UM +(active|activating|deactivating|failed) +restarts [1-9]" "$T/show" ||
        { cat "$T/show"; fail "l3afctl show does not list the restarts of the MemoryMax= companion"; }
echo "ok - l3afctl show lists the companions with state and restarts: $(grep companion "$T/show" | paste -sd';')"

# Acceptance 4: restarts and a SIGKILL of l3afd leave the companion running; the next l3afd adopts it.
in_ct systemctl restart l3afd.service || fail "systemctl restart l3afd failed"
assert_eq "$(prop "$U0" MainPID)" "$pid0" "systemctl restart l3afd: the companion keeps running (same PID)"
in_ct journalctl -u l3afd --no-pager -o cat | contains "Companion $U0 of count on l3t0/xdp adopted" ||
        fail "the restarted l3afd did not adopt $U0"
echo "ok - the restarted l3afd adopted it by name"
lpid=$(main_pid)
in_ct systemctl kill --kill-who=main -s KILL l3afd.service
for _ in $(seq 100); do
        [ "$(main_pid)" != "$lpid" ] && [ "$(main_pid)" != 0 ] && [ "$(in_ct systemctl is-active l3afd.service)" = active ] && break
        sleep 0.1
done
assert_ne "$(main_pid)" "$lpid" "after a SIGKILL systemd runs a new l3afd"
assert_eq "$(prop "$U0" MainPID)" "$pid0" "and the companion kept running (same PID)"
send 10 5555
jgrep "$U0" '^stats=310$'

# Acceptance 3: an upgrade restarts the companion with the new version; removing the drop-in stops it.
sed -i 's/^Version=1.0.0/Version=1.1.0/' "$(ct_root)/etc/l3af.d/10-count-l3t0.conf"
in_ct systemctl reload l3afd.service || fail "reload failed"
wait_state "$U0" active
pid1=$(prop "$U0" MainPID)
assert_ne "$pid1" "$pid0" "the upgrade restarted the companion"
# Type=simple is active once forked: wait for the exec before reading its environment.
for _ in $(seq 100); do
        in_ct cat "/proc/$pid1/cmdline" 2>/dev/null | tr '\0' ' ' | contains "^$BIN/companion " && break
        sleep 0.1
done
in_ct cat "/proc/$pid1/environ" | tr "\0" "\n" > "$T/environ" || true
grep -qx "L3AF_VERSION=1.1.0" "$T/environ" || fail "the restarted companion does not run with version 1.1.0"
grep -qx "L3AF_PIN_DIR=/sys/fs/bpf/l3t0/count/1_1_0" "$T/environ" || fail "its pin directory is not the new version's"
echo "ok - it runs with the new version (L3AF_VERSION=1.1.0, L3AF_PIN_DIR=/sys/fs/bpf/l3t0/count/1_1_0)"
send 10 5555
jgrep "$U0" '^stats=320$'
rm "$(ct_root)/etc/l3af.d/10-count-l3t1.conf"
in_ct systemctl reload l3afd.service || fail "reload failed"
assert_eq "$(in_ct systemctl is-active "$U1" || true)" inactive "removing the program's drop-in stopped its companion"

# Acceptance 3 with a package: the companion ships in it (ExecStart= relative to the package), runs from the
# verified tree under its dynamic user, and an upgrade of the package restarts it with the new version.
source "$L3AF_SOURCE/tests/package/pki.sh"
make_pki "$T/pki"
mkdir -p "$(ct_root)/etc/l3af/trust.d" "$(ct_root)/srv/repo"
cp "$T/pki/trust/"* "$(ct_root)/etc/l3af/trust.d/"
for v in 1.0.0 1.1.0; do
        d=$T/pkg-$v
        mkdir -p "$d/bin"
        cp "$L3AF_BUILD/tests/companion" "$d/bin/companion"
        # A byte after the ELF makes each version a new object.
        { cat "$L3AF_BUILD/bpf/count.bpf.o"; printf 'v%s' "$v"; } > "$d/count.bpf.o"
        printf '[Package]\nName=counter\nVersion=%s\n\n[Program count]\nObject=count.bpf.o\nEntry=count\n\n[Companion]\nExecStart=bin/companion stats 0\nTasksMax=8\nCPUQuota=50%%\n' \
                "$v" > "$d/l3af-package.conf"
        "$L3AF_BUILD/src/l3afctl/l3afctl" package build --repository="$(ct_root)/srv/repo" "$d" > /dev/null ||
                fail "l3afctl package build $v failed"
        sign_openssl "$(ct_root)/srv/repo/counter/$v/counter.tar.gz" signer
done
UP='l3af-companion-l3t1-xdp-count.service'
printf '[Program]\nName=count\nInterface=l3t1\nHook=xdp\nPackage=counter\nVersion=1.0.0\nRepository=file:///srv/repo\n' | dropin 30-counter-l3t1
in_ct systemctl reload l3afd.service || fail "reload with the package failed"
wait_state "$UP" active
send 30 5555 1
jgrep "$UP" '^stats=30$'
echo "ok - the packaged companion runs from its package under a dynamic user and reads its map (stats=30)"
assert_eq "$(prop "$UP" TasksMax) $(prop "$UP" CPUQuotaPerSecUSec)" "8 500ms" "the manifest's TasksMax= and CPUQuota= apply"
ppid0=$(prop "$UP" MainPID)
sed -i 's/^Version=1.0.0/Version=1.1.0/' "$(ct_root)/etc/l3af.d/30-counter-l3t1.conf"
in_ct systemctl reload l3afd.service || fail "reload with the upgrade failed"
wait_state "$UP" active
ppid1=$(prop "$UP" MainPID)
assert_ne "$ppid1" "$ppid0" "the package upgrade restarted its companion"
for _ in $(seq 100); do
        in_ct cat "/proc/$ppid1/cmdline" 2>/dev/null | tr '\0' ' ' | contains 'bin/companion ' && break
        sleep 0.1
done
in_ct cat "/proc/$ppid1/environ" | tr "\0" "\n" > "$T/environ"
grep -qx "L3AF_VERSION=1.1.0" "$T/environ" || fail "the restarted packaged companion does not run version 1.1.0"
send 5 5555 1
jgrep "$UP" '^stats=35$'
echo "ok - it runs with version 1.1.0 and the program's counters carried over (stats=35)"

# A broken drop-in keeps the chain's generation and its companion.
printf 'Bogus=\n' >> "$(ct_root)/etc/l3af.d/10-count-l3t0.conf"
sed -i 's/^Priority=10/Priority=x/' "$(ct_root)/etc/l3af.d/10-count-l3t0.conf"
if in_ct systemctl reload l3afd.service 2>/dev/null; then fail "reload succeeded on a broken drop-in"; fi
assert_eq "$(prop "$U0" MainPID)" "$pid1" "a broken drop-in leaves the chain's companion running"

# l3afd --flush stops them.
in_ct systemctl stop l3afd.service
in_ct l3afd --flush || fail "l3afd --flush failed"
assert_eq "$(in_ct systemctl list-units --all --no-legend --plain 'l3af-companion-*' | wc -l)" 0 "l3afd --flush stopped every companion"
