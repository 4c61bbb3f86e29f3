#!/bin/bash
# Acceptance 5: each kind of bad input is refused with an error naming the file
# and key; the affected chain keeps its running generation (same program ids,
# traffic still counted); another chain's good change in the same reload
# applies; `l3afd --check` reports the same error and exits non-zero.
source "$(dirname "$0")/lib.sh"

veth_add l3t0 l3p0 0
veth_add l3t1 l3p1 1

good() {  # good NAME IFACE PRIORITY OBJECT [extra lines]
        printf '[Program]\nName=%s\nInterface=%s\nHook=xdp\nPriority=%s\nObject=%s\n%s' "$1" "$2" "$3" "$4" "${5:-}"
}
program_dropin 10-a a l3t0 10 "$SAMPLES/count.bpf.o"
program_dropin 90-s s l3t0 90 "$SAMPLES/sink.bpf.o"
program_dropin 50-b b l3t1 10 "$SAMPLES/count.bpf.o"

daemon_start
L0=$(chain_ids l3t0)
info "l3t0 runs $L0"
toggle=0

# check_case NAME EXPECTED [warning]: reload with the bad input in place and check everything.
check_case() {
        local name=$1 expected=$2 kind=${3:-error} before1 out rc=0
        # A good change elsewhere in the same reload: add or remove l3t1's "extra".
        before1=$(chain_ids l3t1)
        if [ $toggle = 0 ]; then program_dropin 60-extra extra l3t1 20 "$SAMPLES/count.bpf.o"; toggle=1
        else rm -f "$DROPINS/60-extra.conf"; toggle=0; fi

        daemon_reload
        assert_contains "$T/daemon.log" "$expected" "$name: the error names the problem"
        assert_eq "$(chain_ids l3t0)" "$L0" "$name: l3t0 keeps its running generation"
        assert_ne "$(chain_ids l3t1)" "$before1" "$name: l3t1's good change applied in the same reload"

        out=$("$L3AFD" --root="$ROOT" --check 2>&1) || rc=$?
        if [ "$kind" = runtime ]; then
                # Only the kernel knows: --check has it load the program (unattached) ...
                [ "$rc" = 1 ] || fail "$name: --check exited $rc, expected 1: $out"
                echo "$out" | contains -F -- "$expected" || fail "$name: --check did not report '$expected': $out"
                echo "$out" | contains -F -- "$B: [Program] Object=:" || fail "$name: --check did not name the drop-in: $out"
                echo "ok - $name: --check has the kernel load it and names the drop-in"
                # ... which it may not do without CAP_BPF: it says so instead of claiming to know.
                rc=0; out=$(setpriv --bounding-set=-all --inh-caps=-all "$L3AFD" --root="$ROOT" --check 2>&1) || rc=$?
                [ "$rc" = 0 ] || fail "$name: --check without capabilities exited $rc: $out"
                echo "$out" | contains -F "programs were not loaded, so what the verifier would refuse is not known" ||
                        fail "$name: --check without capabilities did not say what it could not check: $out"
                echo "ok - $name: --check without capabilities says the verifier was not asked"
                return
        elif [ "$kind" = error ]; then
                [ "$rc" = 1 ] || fail "$name: --check exited $rc, expected 1"
        else
                [ "$rc" = 0 ] || fail "$name: --check exited $rc for a warning"
        fi
        echo "$out" | contains -F -- "$expected" || fail "$name: --check did not report '$expected': $out"
        echo "ok - $name: --check reports it too (exit $rc)"
}

B=$DROPINS/15-bad.conf
A=$DROPINS/10-a.conf
cp "$A" "$T/a.good"
restore() { rm -f "$B"; cp "$T/a.good" "$A"; }

printf '[Program]\nInterface=l3t0\nHook=xdp\nObject=%s\n' "$SAMPLES/count.bpf.o" > "$B"
check_case "missing Name" "15-bad.conf: [Program] Name=: missing"; restore

sed -i '/^Interface=/d' "$A"
check_case "missing Interface" "10-a.conf: [Program] Interface=: missing"; restore

sed -i '/^Hook=/d' "$A"
check_case "missing Hook" "10-a.conf: [Program] Hook=: missing"; restore

sed -i 's/^Hook=xdp/Hook=xpd/' "$A"
check_case "unknown Hook" "10-a.conf: [Program] Hook=: unknown hook 'xpd'"; restore

good bad l3t0 abc "$SAMPLES/count.bpf.o" > "$B"
check_case "Priority not a number" "15-bad.conf: [Program] Priority=: 'abc' is not a number"; restore

good bad l3t0 15 /nonexistent/prog.o > "$B"
check_case "missing Object" "15-bad.conf: [Program] Object=: cannot open /nonexistent/prog.o: No such file or directory"; restore

echo "not an object" > "$T/text.o"
good bad l3t0 15 "$T/text.o" > "$B"
check_case "Object not ELF" "15-bad.conf: [Program] Object=: $T/text.o is not an ELF file"; restore

good bad l3t0 15 "$SAMPLES/count.bpf.o" "Entry=nope
" > "$B"
check_case "Entry not found" "15-bad.conf: [Program] Entry=: no program 'nope'"; restore

good bad l3t0 15 "$TESTBPF/reject.bpf.o" > "$B"
check_case "verifier rejection" "the verifier rejected program 'reject'" runtime
grep -q "invalid access to packet" "$T/daemon.log" || fail "the verifier's own words are not quoted"
echo "ok - verifier rejection: the verifier's last lines are quoted"
restore

# A refusal whose verifier log overflows l3afd's buffer: the reason, at the log's end, is still quoted.
good bad l3t0 15 "$TESTBPF/biglog.bpf.o" > "$B"
check_case "verifier rejection with a log over 1 MiB" "the verifier rejected program 'biglog' (its log exceeds 1 MiB" runtime
[ "$(grep -c "invalid access to packet" "$T/daemon.log")" -ge 2 ] || fail "the verifier's reason is not quoted for the long log"
grep -q "rejected program 'biglog' (No space left on device)" "$T/daemon.log" && fail "the log's size was given as the reason"
echo "ok - verifier rejection with a long log: the reason is quoted, not ENOSPC"
restore

for i in $(seq -w 11 42); do good "p$i" l3t0 "$i" "$SAMPLES/count.bpf.o" > "$DROPINS/20-p$i.conf"; done
check_case "33 programs" "a chain holds at most 32 programs"
rm -f "$DROPINS"/20-p*.conf; restore

good bad l3t0 15 "$SAMPLES/sink.bpf.o" > "$B"
check_case "no next map in the middle" "15-bad.conf: [Program] NextMap=: program 'bad' has no next map, so it can only be last"; restore

good bad l3t0 15 "$SAMPLES/portdrop.bpf.o" "
[Map portdrop_config]
0={port=70000, enabled=1}
" > "$B"
check_case "map value too big" "15-bad.conf: [Map portdrop_config] 0=: value '{port=70000, enabled=1}': port: 70000 does not fit in __u16 (0..65535)"; restore

good bad nosuch0 15 "$SAMPLES/count.bpf.o" > "$B"
check_case "unknown interface" "interface nosuch0 does not exist" warning; restore

# With every bad input gone, the next reload is clean and l3t0 still runs the same programs.
n=$(log_count "error")
daemon_reload
assert_eq "$(log_count "error")" "$n" "a clean reload reports no error"
assert_eq "$(chain_ids l3t0)" "$L0" "l3t0 still runs its first generation"
send 300 5555
assert_eq "$("$TESTTOOL" sum "$(prog_maps l3t0 xdp a)/stats" 0)" 300 "and it passes traffic"
