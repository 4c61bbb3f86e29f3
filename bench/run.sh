#!/bin/bash
# l3afd benchmarks, all in one run on this machine so the ratios hold.
#   bench/run.sh [datapath] [control]      (default: both)
# Needs root and a build in ./build. Runs in private namespaces like the tests.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${L3AF_BUILD:-$SRC/build}

if [ -z "${L3AF_BENCH_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
        export L3AF_BENCH_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

WHAT=${*:-datapath control}
L3AFD=$B/src/l3afd
mount -t tmpfs tmpfs /tmp
T=$(mktemp -d /tmp/l3af-bench.XXXXXX)
ROOT=$T/root
PINS=$ROOT/sys/fs/bpf/l3af
mkdir -p "$ROOT/etc/l3af.d"
DAEMON=
trap '[ -n "$DAEMON" ] && kill $DAEMON 2>/dev/null; wait 2>/dev/null || true' EXIT
ip link set lo up

start() {
        : > "$T/l3afd.log"
        "$L3AFD" --root="$ROOT" --log-target=console "$@" > "$T/l3afd.log" 2>&1 &
        DAEMON=$!
        until grep -q "l3afd started" "$T/l3afd.log"; do sleep 0.02; kill -0 $DAEMON || { cat "$T/l3afd.log"; exit 1; }; done
}
stop() { kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=; "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1; rm -f "$ROOT"/etc/l3af.d/*; }
count_dropin() {  # IFACE NAME PRIORITY [extra]
        printf '[Program]\nName=%s\nInterface=%s\nHook=xdp\nPriority=%s\nObject=%s\n%s' "$2" "$1" "$3" "$B/bpf/count.bpf.o" "${4:-}" \
                > "$ROOT/etc/l3af.d/$1-$2.conf"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }

echo "# l3afd benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"

if [[ " $WHAT " == *" datapath "* ]]; then
        echo
        echo "## Data path: ns per packet (BPF_PROG_TEST_RUN, 64-byte UDP, median of 7 rounds x 1M runs)"
        SIZES="1 2 4 8 16 32"
        for n in $SIZES; do
                ip link add "bench$n" type veth peer name "bench${n}p" && ip link set "bench$n" up
                for i in $(seq -w 1 "$n"); do count_dropin "bench$n" "c$i" "$i"; done
        done
        start
        declare -A chain mono
        for round in 1 2 3 4 5 6 7; do
                for n in $SIZES; do
                        chain[$n]+="$("$B/bench/bench-datapath" pinned "$PINS/bench$n/xdp/root") "
                        mono[$n]+="$("$B/bench/bench-datapath" mono "$B/bench/mono.bpf.o" "$n") "
                done
        done
        printf '\n| programs | chain (root + N tail calls) | same work in one program | ratio | cost per hop |\n|---:|---:|---:|---:|---:|\n'
        for n in $SIZES; do
                c=$(echo ${chain[$n]} | tr ' ' '\n' | median)
                m=$(echo ${mono[$n]} | tr ' ' '\n' | median)
                awk -v n="$n" -v c="$c" -v m="$m" 'BEGIN { printf "| %d | %.1f ns | %.1f ns | %.2f | %.2f ns |\n", n, c, m, c / m, (c - m) / n }'
        done
        stop
        for n in $SIZES; do ip link del "bench$n"; done
fi

if [[ " $WHAT " == *" control "* ]]; then
        echo
        echo "## Control plane"
        ip link add cp0 type veth peer name cp0p && ip link set cp0 up
        for i in 1 2 3 4 5 6 7 8; do count_dropin cp0 "c$i" "${i}0"; done
        start
        # One-program changes to a chain of 8: replace the program at the head (1 new instance)
        # or at the tail (all 8 re-instantiated), alternating its object version via Type=.
        for where in 1 8; do
                : > "$T/times"
                for k in $(seq 100); do
                        if [ $((k % 2)) = 1 ]; then extra="Type=xdp
"; else extra=""; fi
                        count_dropin cp0 "c$where" "${where}0" "$extra"
                        n=$(grep -c "Reload done" "$T/l3afd.log" || true)
                        kill -HUP $DAEMON
                        until [ "$(grep -c "Reload done" "$T/l3afd.log" || true)" -gt "$n" ]; do sleep 0.005; done
                        grep "Reload done" "$T/l3afd.log" | tail -1 | \
                                sed 's/.*prepare \([0-9.]*\) ms, apply \([0-9.]*\) ms.*/\1 \2/' | awk '{print $1 + $2, $1, $2}' >> "$T/times"
                done
                [ "$where" = 1 ] && label="head (1 instance loaded)" || label="tail (8 instances loaded)"
                awk '{print $1}' "$T/times" > "$T/total"
                awk '{print $3}' "$T/times" > "$T/apply"
                printf -- '- change at the %s: p50 %s ms, p99 %s ms (of which apply p50 %s ms; 100 changes)\n' "$label" \
                        "$(pct 50 < "$T/total")" "$(pct 99 < "$T/total")" "$(pct 50 < "$T/apply")"
        done
        stop
        ip link del cp0

        # 64 interfaces x 4 programs from cold.
        for i in $(seq 0 63); do
                ip link add "if$i" type veth peer name "if${i}p" && ip link set "if$i" up
                for j in 1 2 3 4; do count_dropin "if$i" "p$j" "$j"; done
        done
        t0=$(date +%s%N)
        start
        t1=$(date +%s%N)
        line=$(grep "l3afd started" "$T/l3afd.log")
        chains=$(echo "$line" | sed 's/.*started: \([0-9]*\) chain.*/\1/')
        printf -- '- cold start with %s chains x 4 programs: %d ms to ready (%s)\n' "$chains" $(((t1 - t0) / 1000000)) \
                "$(echo "$line" | sed 's/.*(\(prepare.*\)).*/\1/')"
        printf -- '- daemon memory after that: RSS %s, peak %s\n' "$(awk '/VmRSS/ {print $2 " " $3}' /proc/$DAEMON/status)" \
                "$(awk '/VmHWM/ {print $2 " " $3}' /proc/$DAEMON/status)"
        # Restart: adopt all 64 chains, change nothing.
        kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=
        t0=$(date +%s%N)
        start
        t1=$(date +%s%N)
        printf -- '- restart adopting %s chains (nothing to change): %d ms to ready\n' "$chains" $(((t1 - t0) / 1000000))
        printf -- '- daemon memory after adoption: RSS %s\n' "$(awk '/VmRSS/ {print $2 " " $3}' /proc/$DAEMON/status)"
        stop
fi
