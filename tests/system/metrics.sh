#!/bin/bash
# Issue 13, under systemd as PID 1 with the units as installed: enabling
# l3afd-metrics.socket makes systemd listen on 127.0.0.1:9469; a scrape there
# starts l3afd.service through it (Service=l3afd.service), l3afd finds the
# socket by its FileDescriptorName (metrics) and serves GET /metrics with the
# kernel statistics that Statistics=yes turns on, which the unit's sandbox
# allows (BPF_ENABLE_STATS needs CAP_SYS_ADMIN). Started by systemctl with the
# socket listening, l3afd gets the socket too.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "promtool (Debian: prometheus) is missing"
boot

veth_ct l3t0 l3p0 0
sample_chain l3t0
printf 'Statistics=yes\n' >> "$(ct_root)/etc/l3af/l3afd.conf"   # under the installed [Daemon]
URL=http://127.0.0.1:9469/metrics

in_ct systemctl enable --now l3afd-metrics.socket || fail "cannot enable l3afd-metrics.socket"
assert_eq "$(in_ct systemctl is-active l3afd.service || true)" inactive "the socket listens, l3afd does not run"
in_ct curl -m 30 -sf -o /dev/null "$URL" || fail "the first scrape was not answered"
echo "ok - the first scrape started l3afd through l3afd-metrics.socket"
wait_state l3afd.service active
in_ct systemctl show -P TriggeredBy l3afd.service | contains -w l3afd-metrics.socket || \
        fail "systemd does not know l3afd-metrics.socket triggers l3afd ($(in_ct systemctl show -P TriggeredBy l3afd.service))"
echo "ok - systemd knows l3afd-metrics.socket triggers l3afd.service"
for _ in $(seq 100); do [ "$(echo $(chain_ids l3t0 2>/dev/null) | wc -w)" = 3 ] && break; sleep 0.1; done
send 1500 5555
sleep 0.3
in_ct curl -m 30 -sf "$URL" > "$T/metrics.txt" || fail "scrape failed"
promtool check metrics < "$T/metrics.txt" || fail "promtool check metrics refused the output"
echo "ok - promtool check metrics accepts it"
grep -q '^l3afd_statistics_enabled 1$' "$T/metrics.txt" || \
        fail "statistics are not on under the unit's sandbox: $(in_ct journalctl -u l3afd.service --no-pager -o cat | grep -i statistic)"
echo "ok - kernel statistics are on under the installed unit"
assert_eq "$(grep '^l3afd_chain_packets_total{interface="l3t0",hook="xdp"}' "$T/metrics.txt" | awk '{print $2}')" \
        "$(count_of l3t0)" "the chain's packets are the count sample's"
code=$(in_ct curl -m 30 -s -o /dev/null -w '%{http_code}' -X POST "$URL")
assert_eq "$code" 405 "POST is refused"

in_ct systemctl stop l3afd.service
in_ct systemctl start l3afd.service || fail "systemctl start l3afd failed"
in_ct curl -m 30 -sf "$URL" | contains '^l3afd_build_info' || fail "started by systemctl, l3afd does not serve the socket"
echo "ok - started by systemctl, l3afd serves the listening socket too"
in_ct systemctl disable --now l3afd-metrics.socket
in_ct systemctl stop l3afd.service
