# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced after lib.sh by the bus tests: a private system bus (the real
# dbus-daemon with a test config that includes the project's policy), the real
# polkitd on it with the project's actions and rules bind-mounted over the
# system's, and two test users that exist only in this test's mount
# namespace: l3aftest (no privileges) and l3afop (member of group l3af).

L3AFCTL="$L3AF_BUILD/src/l3afctl/l3afctl"
BUSCLIENT="$L3AF_BUILD/tests/busclient"
BUS_DIR="$T/bus"
BUS_ADDR="unix:path=$BUS_DIR/system_bus_socket"
USER_PLAIN=l3aftest
USER_OP=l3afop
POLKITD=/usr/lib/polkit-1/polkitd

command -v dbus-daemon >/dev/null || skip "dbus-daemon is missing"
command -v busctl >/dev/null || skip "busctl is missing"
command -v setpriv >/dev/null || skip "setpriv is missing"
[ -x "$POLKITD" ] || skip "polkitd is missing"

# Users: copies of passwd and group with ours added, bind-mounted in our namespace only.
users_setup() {
        cp /etc/passwd "$T/passwd"
        cp /etc/group "$T/group"
        echo "$USER_PLAIN:x:4701:4701:l3af test user:/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
        echo "$USER_OP:x:4702:4702:l3af test operator:/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
        echo "$USER_PLAIN:x:4701:" >> "$T/group"
        echo "$USER_OP:x:4702:" >> "$T/group"
        if grep -q '^l3af:' "$T/group"; then
                sed -i -E "s/^(l3af:[^:]*:[^:]*:)(.*)$/\1\2,$USER_OP/; s/^(l3af:[^:]*:[^:]*:),/\1/" "$T/group"
        else
                echo "l3af:x:4700:$USER_OP" >> "$T/group"
        fi
        mount --bind "$T/passwd" /etc/passwd
        mount --bind "$T/group" /etc/group
}

bus_setup() {
        chmod 755 "$T"
        mkdir -p "$BUS_DIR" "$T/polkit/actions" "$T/polkit/rules.d" "$T/polkit/etc-rules.d"
        chmod 755 "$BUS_DIR"
        users_setup
        cat > "$BUS_DIR/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>$BUS_ADDR</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
  <include>$L3AF_SOURCE/dbus/org.l3af.Chain1.conf</include>
</busconfig>
EOC
        dbus-daemon --nofork --nosyslog --config-file="$BUS_DIR/bus.conf" >"$T/dbus.log" 2>&1 &
        for _ in $(seq 100); do [ -S "$BUS_DIR/system_bus_socket" ] && break; sleep 0.05; done
        [ -S "$BUS_DIR/system_bus_socket" ] || fail "dbus-daemon did not start: $(cat "$T/dbus.log")"
        export DBUS_SYSTEM_BUS_ADDRESS="$BUS_ADDR"

        cp "$L3AF_SOURCE/polkit/org.l3af.Chain1.policy" "$T/polkit/actions/"
        cp "$L3AF_SOURCE/polkit/org.l3af.Chain1.rules" "$T/polkit/rules.d/50-org.l3af.Chain1.rules"
        mount --bind "$T/polkit/actions" /usr/share/polkit-1/actions
        mount --bind "$T/polkit/rules.d" /usr/share/polkit-1/rules.d
        mount --bind "$T/polkit/etc-rules.d" /etc/polkit-1/rules.d
        "$POLKITD" --no-debug >"$T/polkit.log" 2>&1 &
        for _ in $(seq 200); do
                busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        fail "polkitd did not start: $(cat "$T/polkit.log")"
}

# as USER CMD...: runs CMD as USER (a real uid) with the test bus.
as() {
        local u=$1
        shift
        if [ "$u" = root ]; then
                "$@"
        else
                setpriv --reuid="$u" --regid="$u" --init-groups env DBUS_SYSTEM_BUS_ADDRESS="$BUS_ADDR" "$@"
        fi
}

# The private bus, l3t0 with count -> portdrop (dropping 7777), and the daemon on the bus.
bus_start_with_chain() {
        bus_setup
        veth_add l3t0 l3p0 0
        program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o"
        program_dropin 20-portdrop portdrop l3t0 20 "$SAMPLES/portdrop.bpf.o" "
[Map portdrop_config]
0={7777, 1}
"
        bus_daemon_start
}

bus_daemon_start() {
        daemon_start --bus-address="$BUS_ADDR" "$@"
}

# Files under the drop-in directories, with their contents' digests.
dropin_state() {
        (cd "$ROOT" && find etc/l3af.d run/l3af.d usr/lib/l3af.d -mindepth 1 -printf '%p %l\n' 2>/dev/null | sort
         find "$ROOT/etc/l3af.d" "$ROOT/run/l3af.d" "$ROOT/usr/lib/l3af.d" -type f -exec sha256sum {} + 2>/dev/null | sort)
}

# Everything of a chain the kernel shows: its program ids, in order.
kernel_state() {
        local ch
        for ch in "$@"; do echo "$ch: $(chain_ids "${ch%/*}" "${ch#*/}" 2>/dev/null)"; done
}

l3af_call() {  # l3af_call USER METHOD SIGNATURE ARGS...: busctl call, output to stdout, error to stderr
        local u=$1
        shift
        as "$u" busctl --system call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 "$@"
}

# call USER METHOD SIGNATURE ARGS...: prints the reply as JSON, or "ERROR NAME: message".
call() {
        local u=$1
        shift
        as "$u" /usr/bin/python3 "$L3AF_SOURCE/tests/integration/bus-call.py" "$@" 2>&1 || true
}

# expect_error NAME OUTPUT WHAT
expect_error() {
        case $2 in
                "ERROR $1:"*) echo "ok - $3 ($1)" ;;
                *) fail "$3: expected $1, got: $2" ;;
        esac
}

expect_ok() {  # expect_ok OUTPUT WHAT
        case $1 in
                ERROR* | "" | *Traceback*) fail "$2: ${1:-no output}" ;;
                *) echo "ok - $2" ;;
        esac
}

assert_matches() {  # assert_matches FILE REGEX WHAT
        grep -qE -- "$2" "$1" || fail "$3: /$2/ does not match $1"
        echo "ok - $3"
}
