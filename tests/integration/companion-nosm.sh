#!/bin/bash
# Issue 12: companions without a service manager, and bad companion input.
# Here systemd is not PID 1 (a container without one): a chain whose
# programs declare companions still applies, and the companions are
# reported not started, with the reason, in one journal line and by
# GetCompanions (l3afctl show). A [Companion] with an error holds back its
# own chain only, which keeps its generation; through D-Bus, a companion is
# declared only by an authorized AddProgram.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bus-lib.sh"

[ "$(readlink /proc/1/exe 2>/dev/null)" != /usr/lib/systemd/systemd ] || skip "systemd is PID 1 here"
ctl() { "$L3AFCTL" --no-ask-password "$@"; }

bus_setup
veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o" "Version=1.0.0

[Companion]
ExecStart=/usr/bin/sleep infinity
MemoryMax=32M
"
program_dropin 10-count-l3t1 count l3t1 10 "$SAMPLES/count.bpf.o"
bus_daemon_start

assert_eq "$(chain_ids l3t0 | wc -w)" 1 "the chain with a companion applied"
send 100 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp count)/stats" 0)" 100 "and counts traffic"
assert_eq "$(log_count 'Companions not started: no service manager (systemd is not PID 1): l3af-companion-l3t0-xdp-count.service.')" 1 \
        "one line says the companion is not started, and why"
ctl show l3t0 > "$T/show"
assert_matches "$T/show" '^companion count l3af-companion-l3t0-xdp-count.service not-started restarts 0 pid 0: no service manager' \
        "l3afctl show reports it not started, with the reason"
ctl --json show l3t0 | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]["companions"][0]; assert c["state"]=="not-started" and c["unit"]=="l3af-companion-l3t0-xdp-count.service", c' ||
        fail "l3afctl --json show lacks the companion"
echo "ok - and so does l3afctl --json show"

# Bad input: each names the key and the problem; the chain keeps its generation, the other is untouched.
ids=$(chain_ids l3t0); ids1=$(chain_ids l3t1)
bad() {  # bad KEY=VALUE EXPECTED-TEXT
        program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o" "
[Companion]
ExecStart=/usr/bin/sleep infinity
$1
"
        daemon_reload
        grep -qF -- "$2" "$T/daemon.log" || fail "no error '$2' for $1"
        assert_eq "$(chain_ids l3t0)" "$ids" "$1: refused ($2), the chain keeps its generation"
        assert_eq "$(chain_ids l3t1)" "$ids1" "$1: the other chain is untouched"
}
bad MemoryMax=lots "[Companion] MemoryMax=: 'lots' is not a size in bytes"
bad CPUQuota=20 "[Companion] CPUQuota=: '20' is not a percentage of one CPU"
bad TasksMax=0 "[Companion] TasksMax=: '0' is not a number of tasks"
bad Restart=sometimes "[Companion] Restart=: 'sometimes' is not a Restart= of systemd.service(5)"
bad User=../root "[Companion] User=: '../root' is not a user name"
bad Environment=L3AF_PROGRAM=x "[Companion] Environment=: 'L3AF_PROGRAM=x' is not VAR=value"
bad Convention=go "[Companion] Convention=: 'go' is not a convention (l3afd or l3af)"
bad "ExecStart='unterminated" "[Companion] ExecStart=: cannot split"
program_dropin 10-count count l3t0 10 "$SAMPLES/count.bpf.o" "
[Companion]
ExecStart=bin/exporter
"
daemon_reload
assert_contains "$T/daemon.log" "[Companion] ExecStart=: 'bin/exporter' is relative: only a Package= has files to be relative to" \
        "a relative ExecStart= without Package= is refused"
assert_eq "$(chain_ids l3t0)" "$ids" "and the chain keeps its generation"

# Through D-Bus: Companion.KEY settings, behind polkit like every change.
COMP="{\"Object\": \"$SAMPLES/count.bpf.o\", \"Companion.ExecStart\": \"/usr/bin/sleep infinity\", \"Companion.MemoryMax\": \"64M\"}"
out=$(call "$USER_PLAIN" AddProgram 'sssua{ss}b' l3t1 xdp agent 20 "$COMP" true)
case $out in
        "ERROR org.freedesktop.DBus.Error.InteractiveAuthorizationRequired:"* | "ERROR org.freedesktop.DBus.Error.AccessDenied:"*)
                echo "ok - an unprivileged AddProgram with a companion is refused (${out%%:*})" ;;
        *) fail "an unprivileged AddProgram with a companion was not refused: $out" ;;
esac
expect_error org.freedesktop.DBus.Error.InvalidArgs \
        "$(call root AddProgram 'sssua{ss}b' l3t1 xdp agent 20 "{\"Object\": \"$SAMPLES/count.bpf.o\", \"Companion.Bogus\": \"1\"}" true)" \
        "an unknown Companion. setting is refused"
expect_ok "$(call "$USER_OP" AddProgram 'sssua{ss}b' l3t1 xdp agent 20 "$COMP" true)" "a member of group l3af adds a program with a companion"
f=$ROOT/run/l3af.d/$(cd "$ROOT/run/l3af.d" && ls | grep agent)
assert_eq "$(sed -n '/^\[Companion\]/,$p' "$f" | grep -v '^#' | xargs)" "[Companion] ExecStart=/usr/bin/sleep infinity MemoryMax=64M" \
        "its drop-in has the [Companion] group"
assert_eq "$(chain_ids l3t1 | wc -w)" 2 "the chain applied"
ctl show l3t1 > "$T/show1"
assert_matches "$T/show1" '^companion agent l3af-companion-l3t1-xdp-agent.service not-started' "and its companion is reported"
