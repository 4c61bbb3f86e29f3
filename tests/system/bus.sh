#!/bin/bash
# Issue 11, acceptances 4 and 6: under systemd as PID 1, l3afd.socket
# activates l3afd through systemd itself; a call to org.l3af.Chain1 on the
# real system bus has dbus-daemon start l3afd.service through systemd
# (SystemdService=); l3afd exits when idle and is activated again, and none of
# it touches the data path. polkitd on that bus refuses a change asked by an
# unprivileged user and allows one by a member of group l3af, and by root.
source "$(dirname "$0")/lib.sh"
boot

veth_ct l3t0 l3p0 0
sample_chain l3t0
printf 'IdleExitSec=2s\n' >> "$(ct_root)/etc/l3af/l3afd.conf"   # under the installed [Daemon]
in_ct systemctl start l3afd.service || fail "systemctl start l3afd failed"
xdp=$(xdp_id l3t0); ids=$(chain_ids l3t0)
[ "$(echo "$ids" | wc -w)" = 3 ] || fail "the chain is not live ($ids)"
base=$(count_of l3t0)
GEN=$(send_bg 5555 3000 "$T/sent")

jcount() {  # jcount UNIT PATTERN: lines of UNIT's journal with PATTERN
        in_ct journalctl -u "$1" --no-pager -o cat > "$T/journal.$1"
        grep -c -- "$2" "$T/journal.$1" || true
}
idle_exit() {  # idle_exit WHAT: l3afd leaves by itself, cleanly, its chain running
        local n=$(jcount l3afd.service "Idle for")
        wait_state l3afd.service inactive 20
        assert_eq "$(jcount l3afd.service "Idle for")" $((n + 1)) "$1: idle, l3afd exited by itself"
        assert_eq "$(in_ct systemctl show -P Result l3afd.service)" success "$1: and systemd counts it a clean exit"
        assert_eq "$(xdp_id l3t0)" "$xdp" "$1: its chain keeps running"
}
idle_exit "started by systemctl"

# Socket activation by systemd: l3afd.socket.
in_ct systemctl start l3afd.socket
assert_eq "$(in_ct systemctl is-active l3afd.service || true)" inactive "l3afd.socket listens, l3afd does not run"
in_ct busctl --address=unix:path=/run/l3af/l3afd.sock call org.l3af.Chain1 /org/l3af/Chain1 \
        org.l3af.Chain1 ListChains > "$T/out" || fail "a call on /run/l3af/l3afd.sock was not answered"
grep -q '"l3t0" "xdp" "live"' "$T/out" || fail "the socket-activated l3afd does not list the chain: $(cat "$T/out")"
echo "ok - a call on /run/l3af/l3afd.sock activated l3afd through systemd and was answered"
assert_eq "$(in_ct systemctl show -P TriggeredBy l3afd.service)" l3afd.socket "systemd knows l3afd.socket triggers it"
idle_exit "socket-activated"
assert_eq "$(in_ct systemctl is-active l3afd.socket)" active "l3afd.socket keeps listening"
in_ct busctl --address=unix:path=/run/l3af/l3afd.sock get-property org.l3af.Chain1 /org/l3af/Chain1 \
        org.l3af.Chain1 NChains > "$T/out" || fail "the next call on the socket was not answered"
assert_eq "$(cat "$T/out")" "u 1" "the next call on the socket activated l3afd again"
idle_exit "socket-activated again"
in_ct systemctl stop l3afd.socket

# Bus activation: dbus-daemon asks systemd for l3afd.service.
wait_state l3afd.service inactive
in_ct busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains > "$T/out" ||
        fail "a call to org.l3af.Chain1 on the system bus was not answered"
grep -q '"l3t0" "xdp" "live"' "$T/out" || fail "the bus-activated l3afd does not list the chain: $(cat "$T/out")"
assert_eq "$(jcount dbus.service "Activating via systemd: service name='org.l3af.Chain1' unit='l3afd.service'")" 1 \
        "dbus-daemon activated org.l3af.Chain1 through systemd (SystemdService=l3afd.service)"
idle_exit "bus-activated"
in_ct busctl --system get-property org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 NChains > "$T/out" ||
        fail "the next call on the system bus was not answered"
assert_eq "$(cat "$T/out")" "u 1" "the next call on the bus was answered"
assert_eq "$(jcount dbus.service "Activating via systemd: service name='org.l3af.Chain1' unit='l3afd.service'")" 2 \
        "after the idle exit, dbus-daemon activated l3afd again through systemd"
idle_exit "bus-activated again"

send_stop "$GEN"
sleep 0.2
assert_eq "$(chain_ids l3t0)" "$ids" "no activation changed a chain program id"
assert_eq "$(jcount l3afd.service "is live")" 1 "only the first start applied a generation"
assert_eq "$(( $(count_of l3t0) - base ))" "$(cat "$T/sent")" "traffic never stopped (every packet sent was counted)"

# polkit on the real system bus. alice is in no group; bob is in l3af, which
# the installed sysusers.d file created.
in_ct getent group l3af >/dev/null || fail "installing did not create group l3af"
gid=$(in_ct getent group l3af | cut -d: -f3)
printf 'alice:x:1001:1001::/:/bin/sh\nbob:x:1002:1002::/:/bin/sh\n' >> "$(ct_root)/etc/passwd"
printf 'alice:x:1001:\nbob:x:1002:\n' >> "$(ct_root)/etc/group"
sed -i "s/^l3af:x:$gid:.*/l3af:x:$gid:bob/" "$(ct_root)/etc/group"
veth_ct l3t1 l3p1 1
add() {  # add USER NAME: l3afctl --runtime add l3t1 xdp NAME as USER
        in_ct setpriv --reuid="$1" --regid="$1" --init-groups \
                l3afctl --runtime add l3t1 xdp "$2" Object=$SAMPLES/count.bpf.o Priority="${3:-10}" > "$T/add.out" 2>&1
}
if add alice count; then fail "l3afctl add as alice (no group) was allowed"; fi
grep -qiE 'InteractiveAuthorizationRequired|AccessDenied|not authorized|authoriz' "$T/add.out" ||
        fail "alice's refusal does not say it is about authorization: $(cat "$T/add.out")"
echo "ok - l3afctl add as an unprivileged user is refused ($(head -1 "$T/add.out"))"
[ -e "$PINS/l3t1" ] && fail "alice's refused add left a chain"
[ -e "$(ct_root)/run/l3af.d" ] && ls "$(ct_root)/run/l3af.d" | contains . && fail "alice's refused add left a drop-in"
add bob count || fail "l3afctl add as bob (group l3af) was refused: $(cat "$T/add.out")"
assert_eq "$(chain_ids l3t1 | wc -w)" 1 "l3afctl add as a member of group l3af is allowed and applied"
send 100 5555 1
assert_eq "$("$TESTTOOL" sum "$PINS/l3t1/xdp/programs/count/maps/stats" 0)" 100 "bob's program counts traffic"
add root count2 20 || fail "l3afctl add as root was refused: $(cat "$T/add.out")"
assert_eq "$(chain_ids l3t1 | wc -w)" 2 "l3afctl add as root is allowed and applied"
assert_eq "$(chain_ids l3t0)" "$ids" "the other chain was never touched"
