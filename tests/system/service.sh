#!/bin/bash
# Issue 11, acceptances 1, 2, 3, 5, 7 and 8: the installed l3afd.service,
# exactly as shipped, under systemd as PID 1: start with drop-ins, reload (and
# a failing reload), stop and restart without touching the data path,
# systemd's watchdog, the journal and its catalog; and the installed files
# are the ones the README lists.
source "$(dirname "$0")/lib.sh"
boot

# Acceptance 8: the installed files are the README's list.
sed -n '/^<!-- installed-files -->/,/^<!-- \/installed-files -->/p' "$L3AF_SOURCE/README.md" |
        grep '^/' | sort > "$T/documented"
[ -s "$T/documented" ] || fail "the README lists no installed files"
diff -u "$T/documented" "$T/installed" || fail "meson install --prefix=/usr lays down other files than the README lists"
echo "ok - meson install --prefix=/usr lays down exactly the $(wc -l < "$T/installed") files the README lists"

# With this build's prefix (the default, /usr/local, unless configured), the
# files whose readers look in fixed places still go there.
DEST2=$T/dest-default
DESTDIR=$DEST2 meson install -C "$L3AF_BUILD" --no-rebuild --quiet >/dev/null || fail "meson install failed"
for f in /usr/share/dbus-1/system.d/org.l3af.Chain1.conf /usr/share/dbus-1/system-services/org.l3af.Chain1.service \
         /usr/share/polkit-1/actions/org.l3af.Chain1.policy /usr/share/polkit-1/rules.d/50-org.l3af.Chain1.rules \
         "$(pkg-config --variable=systemdsystemunitdir systemd)/l3afd.service" \
         "$(pkg-config --variable=sysusersdir systemd)/l3afd.conf" /etc/l3af/l3afd.conf; do
        [ -f "$DEST2$f" ] || fail "with this build's prefix, meson install does not put $f where its reader looks"
done
echo "ok - with this build's prefix too, the bus policy, activation file, polkit files, units and l3afd.conf go where dbus-daemon, polkitd, systemd and l3afd look"

# Acceptance 8: the unit systemd runs is the installed file, with no drop-in.
frag=$(in_ct systemctl show -P FragmentPath l3afd.service)
cmp "$(ct_root)$frag" "$DEST/usr/lib/systemd/system/l3afd.service" || fail "systemd runs $frag, not the installed unit"
assert_eq "$(in_ct systemctl show -P DropInPaths l3afd.service)" "" "no drop-in changes the installed unit"
score=$(in_ct systemd-analyze security --no-pager l3afd.service | sed -n 's/.*Overall exposure level for l3afd.service: \([0-9.]*\).*/\1/p')
awk -v s="$score" 'BEGIN { exit !(s > 0 && s <= 2.5) }' || fail "exposure level '$score' is not at most 2.5"
echo "ok - systemd-analyze security rates the unit $score in the container (at most 2.5)"

# Acceptance 1: systemctl start with drop-ins in /etc/l3af.d.
veth_ct l3t0 l3p0 0
veth_ct l3t1 l3p1 1
sample_chain l3t0
printf '[Program]\nName=count\nInterface=l3t1\nHook=xdp\nObject=%s/count.bpf.o\n' "$SAMPLES" | dropin 40-count-l3t1
in_ct systemctl start l3afd.service || fail "systemctl start l3afd failed"
assert_eq "$(in_ct systemctl is-active l3afd.service)" active "systemctl start returns with l3afd active"
assert_eq "$(chain_ids l3t0 | wc -w)" 3 "the l3t0 chain is live"
assert_eq "$(chain_ids l3t1 | wc -w)" 1 "the l3t1 chain is live"
# Issue 9 item 3: LimitNOFILE= applies (systemd sets the closest it may where 524288 is not allowed),
# and l3afd runs with its soft limit at the hard one, not at 1024.
pid=$(main_pid)
in_ct cat "/proc/$pid/limits" > "$T/limits" || fail "cannot read the limits of l3afd (pid $pid in the container)"
read -r soft hard < <(awk '/^Max open files/ {print $4, $5}' "$T/limits") || fail "no open files limit in $(cat "$T/limits")"
info "l3afd's RLIMIT_NOFILE in the container: soft $soft, hard $hard"
[ "$soft" = "$hard" ] && [ "$soft" -gt 1024 ] || fail "l3afd's RLIMIT_NOFILE is soft $soft, hard $hard"
echo "ok - l3afd's soft RLIMIT_NOFILE is its hard limit, $hard"
send 200 5555
send 100 7777
assert_eq "$(count_of l3t0)" 300 "traffic runs through the chain and is counted"
assert_eq "$(portdrop_of l3t0)" 100 "and filtered"
in_ct systemctl status --no-pager l3afd.service > "$T/status" || true
grep -q 'Status: "2 chain(s), 4 program(s)"' "$T/status" || { cat "$T/status"; fail "systemctl status shows no STATUS line"; }
echo "ok - systemctl status shows the STATUS line ($(grep -o 'Status: .*' "$T/status"))"
pid=$(main_pid)   # in the container's PID namespace
in_ct cat "/proc/$pid/status" > "$T/pid-status"
in_ct cat "/proc/$pid/mountinfo" > "$T/pid-mountinfo"
caps=$(awk '/^CapBnd/ {print $2}' "$T/pid-status")
assert_eq "$caps" 000000c000201000 \
        "l3afd runs with the unit's capability bounding set (CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_SYS_ADMIN)"
assert_eq "$(awk '/^NoNewPrivs/ {print $2}' "$T/pid-status")" 1 "and no_new_privs"
grep -qE ' /sys ro,' "$T/pid-mountinfo" || fail "/sys is writable for l3afd"
grep -qE ' /sys/fs/bpf rw,' "$T/pid-mountinfo" || fail "the bpffs is not writable for l3afd"
echo "ok - in its sandbox /sys is read-only and /sys/fs/bpf writable"

# Acceptance 2: edit a drop-in, systemctl reload.
ids=$(chain_ids l3t0)
sed -i 's/^0={port=7777, enabled=1}/0={port=8888, enabled=1}/' "$(ct_root)/etc/l3af.d/20-portdrop-l3t0.conf"
in_ct systemctl reload l3afd.service || fail "systemctl reload failed on a valid change"
echo "ok - systemctl reload returns 0 on a valid change"
send 50 8888
send 50 7777
assert_eq "$(portdrop_of l3t0)" 150 "the change applied: port 8888 is dropped, 7777 passes"
ids=$(chain_ids l3t0); ids1=$(chain_ids l3t1)
sed -i 's/^0={port=8888, enabled=1}/0={port=88888, enabled=1}/' "$(ct_root)/etc/l3af.d/20-portdrop-l3t0.conf"
if in_ct systemctl reload l3afd.service 2> "$T/reload.err"; then fail "systemctl reload succeeded on a broken drop-in"; fi
echo "ok - systemctl reload fails on a broken drop-in ($(tr '\n' ' ' < "$T/reload.err" | cut -c1-120))"
in_ct journalctl -u l3afd.service --no-pager -o cat > "$T/journal"
grep -q '20-portdrop-l3t0.conf' "$T/journal" ||
        fail "the journal does not name the broken drop-in"
echo "ok - the journal names the broken drop-in"
assert_eq "$(in_ct systemctl is-active l3afd.service)" active "l3afd keeps running"
assert_eq "$(chain_ids l3t0)" "$ids" "the chain keeps its generation"
assert_eq "$(chain_ids l3t1)" "$ids1" "the other chain is untouched"
send 50 8888
assert_eq "$(portdrop_of l3t0)" 200 "and still drops port 8888"
sed -i 's/^0={port=88888, enabled=1}/0={port=8888, enabled=1}/' "$(ct_root)/etc/l3af.d/20-portdrop-l3t0.conf"
in_ct systemctl reload l3afd.service || fail "systemctl reload failed once the drop-in was fixed"

# Acceptance 3: stop and restart under traffic: same programs, no packet lost.
xdp=$(xdp_id l3t0); ids=$(chain_ids l3t0)
base=$(count_of l3t0)
GEN=$(send_bg 5555 5000 "$T/sent")
sleep 0.3
in_ct systemctl stop l3afd.service
assert_eq "$(in_ct systemctl is-active l3afd.service || true)" inactive "systemctl stop stops l3afd"
assert_eq "$(xdp_id l3t0)" "$xdp" "stopped, the chain's root stays attached"
sleep 0.3
in_ct systemctl start l3afd.service || fail "systemctl start after stop failed"
pid0=$(main_pid)
in_ct systemctl restart l3afd.service || fail "systemctl restart failed"
assert_ne "$(main_pid)" "$pid0" "systemctl restart runs a new l3afd"
sleep 0.3
send_stop "$GEN"
sleep 0.2
assert_eq "$(xdp_id l3t0)" "$xdp" "the XDP program id never changed"
assert_eq "$(chain_ids l3t0)" "$ids" "nor did any chain program id: the restarted l3afd adopted its chain"
assert_eq "$(( $(count_of l3t0) - base ))" "$(cat "$T/sent")" "traffic never stopped (every packet sent was counted)"
in_ct journalctl -u l3afd.service --no-pager -o cat > "$T/journal"
[ "$(grep -c 'adopted from pins' "$T/journal")" -ge 2 ] || fail "the restarted l3afd did not journal its adoptions"
echo "ok - each start journaled its adoptions"

# Acceptance 7: the journal's structured entries and catalog.
in_ct journalctl -u l3afd.service --no-pager -o json MESSAGE_ID=e05cc545c5a24353948fe9f7bbde4a01 > "$T/started.json"
[ "$(grep -c . "$T/started.json")" -ge 3 ] || fail "no 'l3afd started' entries (MESSAGE_ID) in the journal"
python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readlines()[-1]); assert e["SYSLOG_IDENTIFIER"]=="l3afd" and e["_SYSTEMD_UNIT"]=="l3afd.service", e' "$T/started.json" ||
        fail "the entries are not l3afd.service's"
echo "ok - journalctl -u l3afd shows the structured 'started' entries ($(grep -c . "$T/started.json"))"
in_ct journalctl -u l3afd.service --no-pager -o json MESSAGE_ID=63470bf27ebf49928b9fd27cb01a8e2b | tail -1 > "$T/applied.json"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["L3AF_INTERFACE"] in ("l3t0", "l3t1") and e["L3AF_HOOK"]=="xdp" and int(e["L3AF_GENERATION"]) >= 1, e' "$T/applied.json" ||
        fail "a chain's entry lacks its fields"
echo "ok - a chain's entry carries L3AF_INTERFACE, L3AF_HOOK and L3AF_GENERATION"
in_ct journalctl -x -u l3afd.service --no-pager MESSAGE_ID=ef438da6934a4a0d916f73c6fc3ba0c1 > "$T/catalog"
grep -q 'Its chains stay attached and running from their pins' "$T/catalog" ||
        { cat "$T/catalog"; fail "journalctl -x does not show the catalog text"; }
echo "ok - journalctl -x shows the catalog text"

# Acceptance 5: systemd's watchdog restarts a stalled l3afd, which adopts its chain.
# Test-only: a shorter WatchdogSec= and the stall hook, in a runtime drop-in.
mkdir -p "$(ct_root)/run/systemd/system/l3afd.service.d"
printf '[Service]\nWatchdogSec=2s\nEnvironment=L3AF_TEST_STALL_AT=sighup\n' \
        > "$(ct_root)/run/systemd/system/l3afd.service.d/watchdog-test.conf"
in_ct systemctl daemon-reload
in_ct systemctl restart l3afd.service
pid0=$(main_pid); restarts0=$(in_ct systemctl show -P NRestarts l3afd.service)
base=$(count_of l3t0)
GEN=$(send_bg 5555 5000 "$T/sent")
in_ct systemctl kill --kill-who=main -s HUP l3afd.service   # the loop stalls
for _ in $(seq 150); do
        [ "$(in_ct systemctl show -P NRestarts l3afd.service)" != "$restarts0" ] &&
                [ "$(in_ct systemctl is-active l3afd.service)" = active ] && break
        sleep 0.1
done
in_ct journalctl -u l3afd.service --no-pager -o cat > "$T/journal"
grep -q 'Watchdog timeout' "$T/journal" ||
        fail "systemd's watchdog did not fire"
assert_eq "$(in_ct systemctl show -P NRestarts l3afd.service)" $((restarts0 + 1)) "systemd's watchdog ended the stalled l3afd and restarted it"
assert_ne "$(main_pid)" "$pid0" "a new l3afd runs"
send_stop "$GEN"
sleep 0.2
assert_eq "$(xdp_id l3t0)" "$xdp" "the XDP program id never changed"
assert_eq "$(chain_ids l3t0)" "$ids" "the restarted l3afd adopted the chain"
assert_eq "$(( $(count_of l3t0) - base ))" "$(cat "$T/sent")" "traffic never stopped"
