#!/bin/bash
# l3afd benchmarks, all in one run on this machine so the ratios hold.
#   bench/run.sh [datapath] [floor] [control] [changes] [reload] [service] [watchdog]   (default: all)
#   L3AF_BENCH_BASELINE=DIR bench/run.sh reload   (also runs the reload bench on the build in DIR, e.g. main's)
#   L3AF_BENCH_SIZES="8 9 10" bench/run.sh datapath   (chain lengths; default 1 2 4 8 16 32)
#   L3AF_BENCH_COUNT_SIZES="1 8 16"   (chains measured with per-program counting; each also in SIZES)
#   L3AF_FLOOR_SIZES="7 8 9" L3AF_FLOOR_LOADS=5 bench/run.sh floor
#       (default 1 to 12, 16, 24, 32, over 5 fresh loads; L3AF_FLOOR_PASSES=3 measures each load 3 times;
#       the raw figures stay in BUILD/bench-floor.txt)
#   L3AF_DAEMON=OTHER/l3afd bench/run.sh floor   (another build's daemon with this build's bench tools)
# Needs root and a build in ./build. Runs in private namespaces like the tests.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${L3AF_BUILD:-$SRC/build}

if [ -z "${L3AF_BENCH_SANDBOXED:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
        export L3AF_BENCH_SANDBOXED=1
        exec unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" "$@"
fi

WHAT=${*:-datapath floor control changes reload service watchdog}
L3AFD=${L3AF_DAEMON:-$B/src/l3afd/l3afd}  # L3AF_DAEMON: another build's l3afd, to compare
source "$SRC/tools/private-tmp.sh"
private_tmp "$SRC" "$B"
T=$(mktemp -d "$PRIVATE_TMP/l3af-bench.XXXXXX")
ROOT=$T/root
PINS=$ROOT/sys/fs/bpf/l3af
mkdir -p "$ROOT/etc/l3af.d" "$ROOT/etc/l3af"
DAEMON=
# We are PID 1 of our own namespace: leaving takes every child (daemon, journald) with us.
trap '[ -n "$DAEMON" ] && kill $DAEMON 2>/dev/null; true' EXIT
ip link set lo up

start() {
        : > "$T/l3afd.log"
        "$L3AFD" --root="$ROOT" --log-target="${LOG_TARGET:-console}" --no-bus "$@" > "$T/l3afd.log" 2>&1 &
        DAEMON=$!
        until grep -q "l3afd started" "$T/l3afd.log"; do sleep 0.005; kill -0 $DAEMON || { cat "$T/l3afd.log"; exit 1; }; done
}
stop() { kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=; "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1; rm -f "$ROOT"/etc/l3af.d/*; }
count_dropin() {  # IFACE NAME PRIORITY [extra] [HOOK]
        printf '[Program]\nName=%s\nInterface=%s\nHook=%s\nPriority=%s\nObject=%s\n%s' "$2" "$1" "${5:-xdp}" "$3" "$B/bpf/count.bpf.o" "${4:-}" \
                > "$ROOT/etc/l3af.d/$1-$2-${5:-xdp}.conf"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss() { awk '/VmRSS/ {r = $2} /RssAnon/ {a = $2} END {printf "%d kB (%d kB of it private, the rest shared library pages)", r, a}' /proc/$1/status; }
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

# timed COUNT CHANGE_FUNCTION: one reload per change, each timed by the daemon (its prepare and apply
# phases, from its "Reload done" line); writes $T/total and $T/apply, one figure per change, in ms.
timed() {
        local count=$1 change=$2 k n
        : > "$T/times"
        for k in $(seq "$count"); do
                "$change" "$k"
                n=$(grep -c "Reload done" "$T/l3afd.log" || true)
                kill -HUP $DAEMON
                until [ "$(grep -c "Reload done" "$T/l3afd.log" || true)" -gt "$n" ]; do sleep 0.005; done
                grep "Reload done" "$T/l3afd.log" | tail -1 | \
                        sed 's/.*prepare \([0-9.]*\) ms, apply \([0-9.]*\) ms.*/\1 \2/' | awk '{print $1 + $2, $1, $2}' >> "$T/times"
        done
        awk '{print $1}' "$T/times" > "$T/total"
        awk '{print $3}' "$T/times" > "$T/apply"
}
timed_changes() {  # timed_changes LABEL COUNT CHANGE_FUNCTION
        timed "$2" "$3"
        printf -- '- %s: p50 %s ms, p99 %s ms (of which apply p50 %s ms; %s changes)\n' "$1" \
                "$(pct 50 < "$T/total")" "$(pct 99 < "$T/total")" "$(pct 50 < "$T/apply")" "$2"
}

echo "# l3afd benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"

if [[ " $WHAT " == *" datapath "* ]]; then
        echo
        echo "## Data path: ns per packet (BPF_PROG_TEST_RUN, 64-byte UDP, median of 7 rounds x 1M runs)"
        SIZES=${L3AF_BENCH_SIZES:-1 2 4 8 16 32}
        for n in $SIZES; do
                ip link add "bench$n" type veth peer name "bench${n}p" && ip link set "bench$n" up
                for i in $(seq -w 1 "$n"); do count_dropin "bench$n" "c$i" "$i"; done
        done
        # The root's own cost per hook: a chain of ROOT_SIZES, through its root and from its head.
        ROOT_SIZES="1 8"
        for n in $ROOT_SIZES; do
                ip link add "root$n" type veth peer name "root${n}p" && ip link set "root$n" up
                for i in $(seq -w 1 "$n"); do
                        count_dropin "root$n" "c$i" "$i"
                        count_dropin "root$n" "c$i" "$i" "" tc-ingress
                done
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
        # Kernel statistics ([Daemon] Statistics=yes): the same chains, off and on in alternate runs.
        declare -A stats_off stats_on
        STATS_SIZES=${L3AF_BENCH_STATS_SIZES:-1 8}
        for round in 1 2 3 4 5 6 7; do
                for n in $STATS_SIZES; do
                        stats_off[$n]+="$("$B/bench/bench-datapath" pinned "$PINS/bench$n/xdp/root") "
                        stats_on[$n]+="$("$B/bench/bench-datapath" pinned-stats "$PINS/bench$n/xdp/root") "
                done
        done
        printf '\n| programs | statistics off | statistics on | ratio | statistics cost |\n|---:|---:|---:|---:|---:|\n'
        for n in $STATS_SIZES; do
                c=$(echo ${stats_off[$n]} | tr ' ' '\n' | median)
                m=$(echo ${stats_on[$n]} | tr ' ' '\n' | median)
                awk -v n="$n" -v c="$c" -v m="$m" 'BEGIN { printf "| %d | %.1f ns | %.1f ns | %.2f | %.1f ns |\n", n, c, m, m / c, m - c }'
        done
        # Per-program counting (Statistics=programs: a counting hop before each program, the counting root, and
        # the kernel's statistics): the same chains, built by a second l3afd with its own pin root. It
        # leaves its chains running when it stops, so that both are measured in alternate runs here.
        COUNT_SIZES=${L3AF_BENCH_COUNT_SIZES:-1 8 16}
        ROOT2=$T/root2
        mkdir -p "$ROOT2/etc/l3af.d" "$ROOT2/etc/l3af"
        printf '[Daemon]\nStatistics=programs\n' > "$ROOT2/etc/l3af/l3afd.conf"
        for n in $COUNT_SIZES; do
                ip link add "cnt$n" type veth peer name "cnt${n}p" && ip link set "cnt$n" up
                for i in $(seq -w 1 "$n"); do
                        printf '[Program]\nName=c%s\nInterface=cnt%s\nHook=xdp\nPriority=%s\nObject=%s\n' "$i" "$n" \
                                "$i" "$B/bpf/count.bpf.o" > "$ROOT2/etc/l3af.d/cnt$n-c$i.conf"
                done
        done
        "$L3AFD" --root="$ROOT2" --log-target=console --no-bus > "$T/l3afd2.log" 2>&1 &
        COUNTER=$!
        until grep -q "l3afd started" "$T/l3afd2.log"; do sleep 0.005; kill -0 $COUNTER || { cat "$T/l3afd2.log"; exit 1; }; done
        kill -TERM $COUNTER; wait $COUNTER || true
        declare -A count_off count_on
        for round in 1 2 3 4 5 6 7; do
                for n in $COUNT_SIZES; do
                        count_off[$n]+="$("$B/bench/bench-datapath" pinned "$PINS/bench$n/xdp/root") "
                        count_on[$n]+="$("$B/bench/bench-datapath" pinned-stats "$ROOT2/sys/fs/bpf/l3af/cnt$n/xdp/root") "
                done
        done
        printf '\n| programs | Statistics=no | Statistics=programs (per-program counting and kernel statistics) | ratio | cost per packet | per program |\n|---:|---:|---:|---:|---:|---:|\n'
        for n in $COUNT_SIZES; do
                c=$(echo ${count_off[$n]} | tr ' ' '\n' | median)
                m=$(echo ${count_on[$n]} | tr ' ' '\n' | median)
                awk -v n="$n" -v c="$c" -v m="$m" 'BEGIN { printf "| %d | %.1f ns | %.1f ns | %.2f | %.1f ns | %.1f ns |\n", n, c, m, m / c, m - c, (m - c) / n }'
        done
        "$L3AFD" --root="$ROOT2" --flush >/dev/null 2>&1
        for n in $COUNT_SIZES; do ip link del "cnt$n"; done
        declare -A via_root from_head
        for round in 1 2 3 4 5 6 7; do
                for n in $ROOT_SIZES; do
                        for h in xdp tc-ingress; do
                                via_root[$h$n]+="$("$B/bench/bench-datapath" pinned "$PINS/root$n/$h/root") "
                                from_head[$h$n]+="$("$B/bench/bench-datapath" pinned "$(echo "$PINS/root$n/$h/programs/c1/"*/prog)") "
                        done
                done
        done
        printf '\n| hook | programs | through the root | from the head, without the root | the root costs |\n|---|---:|---:|---:|---:|\n'
        for h in xdp tc-ingress; do
                for n in $ROOT_SIZES; do
                        c=$(echo ${via_root[$h$n]} | tr ' ' '\n' | median)
                        m=$(echo ${from_head[$h$n]} | tr ' ' '\n' | median)
                        awk -v h="$h" -v n="$n" -v c="$c" -v m="$m" 'BEGIN { printf "| %s | %d | %.1f ns | %.1f ns | %.1f ns |\n", h, n, c, m, c - m }'
                done
        done
        stop
        for n in $SIZES; do ip link del "bench$n"; done
        for n in $ROOT_SIZES; do ip link del "root$n"; done
fi

if [[ " $WHAT " == *" floor "* ]]; then
        # Our chain (root + N) against a bare tail-call chain of the same N instances linked by hand
        # (bench-floor), and against the same work in one program, over several fresh loads: each
        # load has the daemon load every chain anew, and bench-floor its bare chains, then runs all
        # of them interleaved in 7 rounds. Where JIT images land changes from one load to the next.
        SIZES=${L3AF_FLOOR_SIZES:-1 2 3 4 5 6 7 8 9 10 11 12 16 24 32}
        LOADS=${L3AF_FLOOR_LOADS:-5}
        echo
        echo "## The floor: ns per packet (BPF_PROG_TEST_RUN, 64-byte UDP, median of 7 interleaved rounds x 1M runs), $LOADS fresh loads"
        for n in $SIZES; do
                ip link add "floor$n" type veth peer name "floor${n}p" && ip link set "floor$n" up
        done
        : > "$T/floor"
        for load in $(seq "$LOADS"); do
                for n in $SIZES; do
                        for i in $(seq -w 1 "$n"); do count_dropin "floor$n" "c$i" "$i"; done
                done
                start
                args=()
                for n in $SIZES; do args+=("$n:$PINS/floor$n/xdp"); done
                "$B/bench/bench-floor" run "$B/bpf/count.bpf.o" "$B/bench/mono.bpf.o" 7 1000000 "${args[@]}" | \
                        sed "s/^/$load /" >> "$T/floor"
                stop
        done
        # Every figure, with the layouts and any further pass (L3AF_FLOOR_PASSES), stays in the build tree.
        cp "$T/floor" "$B/bench-floor.txt"
        printf '\nPer load, ns per packet (ours as attached / head without the root / bare / one program):\n\n| programs |'
        for load in $(seq "$LOADS"); do printf ' load %s |' "$load"; done
        printf '\n|---:|'; for load in $(seq "$LOADS"); do printf -- '---|'; done; printf '\n'
        for n in $SIZES; do
                printf '| %s |' "$n"
                for load in $(seq "$LOADS"); do
                        awk -v l="$load" -v n="$n" '$1 == l && $2 == "cost" && $3 == n { printf " %.0f / %.0f / %.0f / %.0f |", $4, $5, $6, $7 }' "$T/floor"
                done
                printf '\n'
        done
        printf '\nOver the %s loads: median (min-max) of each load'"'"'s median, ns per packet; ours / bare is the median of the per-load ratios:\n\n' "$LOADS"
        printf '| programs | ours (as attached) | head (N, no root) | bare (N) | one program | ours / bare | head / bare |\n|---:|---:|---:|---:|---:|---:|---:|\n'
        for n in $SIZES; do
                awk -v n="$n" '
                        function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
                        function mm(a, k,   i, lo, hi) { lo = hi = a[1]; for (i = 2; i <= k; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
                                return sprintf("%.0f (%.0f-%.0f)", med(a, k), lo, hi) }
                        $2 == "cost" && $3 == n { k++; o[k] = $4; h[k] = $5; b[k] = $6; m[k] = $7; ro[k] = $4 / $6; rh[k] = $5 / $6 }
                        END { printf "| %d | %s | %s | %s | %s |", n, mm(o, k), mm(h, k), mm(b, k), mm(m, k)
                              printf " %.2f | %.2f |\n", med(ro, k), med(rh, k) }' "$T/floor"
        done
        printf '\nLayout per load (pages: 4 KiB pages the N images touch; span: bytes from the first to the last; direct: tail calls that are direct jumps):\n\n| programs | ours: pages, span, direct | bare: pages, span, direct |\n|---:|---|---|\n'
        for n in $SIZES; do
                printf '| %s | %s | %s |\n' "$n" \
                        "$(awk -v n="$n" '$2 == "layout" && $3 == "ours" && $4 == n { printf "%s%s, %s, %s", s, $5, $6, $7; s = "; " }' "$T/floor")" \
                        "$(awk -v n="$n" '$2 == "layout" && $3 == "bare" && $4 == n { printf "%s%s, %s, %s", s, $5, $6, $7; s = "; " }' "$T/floor")"
        done
        for n in $SIZES; do ip link del "floor$n"; done
fi

if [[ " $WHAT " == *" control "* ]]; then
        echo
        echo "## Control plane"
        ip link add cp0 type veth peer name cp0p && ip link set cp0 up
        for i in 1 2 3 4 5 6 7 8; do count_dropin cp0 "c$i" "${i}0"; done
        start
        # One-program changes to a chain of 8: replace the program at the head (1 new instance)
        # or at the tail (all 8 re-instantiated), alternating its object version via Type=.
        version() { if [ $(($2 % 2)) = 1 ]; then count_dropin cp0 "c$1" "${1}0" "Type=xdp
"; else count_dropin cp0 "c$1" "${1}0"; fi; }
        change_head() { version 1 "$1"; }
        change_tail() { version 8 "$1"; }
        timed_changes "change at the head (1 instance loaded)" 100 change_head
        timed_changes "change at the tail (8 instances loaded)" 100 change_tail
        # The same chain of 8 made of xdp.frags programs, its tail alternating between an
        # xdp.frags program and a plain one: each change turns it multi-buffer or back,
        # which loads a new root and all 8 instances and switches the link.
        for i in 1 2 3 4 5 6 7; do
                printf '[Program]\nName=c%s\nInterface=cp0\nHook=xdp\nPriority=%s0\nObject=%s\n' "$i" "$i" \
                        "$B/tests/fragcount.bpf.o" > "$ROOT/etc/l3af.d/cp0-c$i.conf"
        done
        change_kind() {
                if [ $(($1 % 2)) = 1 ]; then count_dropin cp0 c8 80
                else printf '[Program]\nName=c8\nInterface=cp0\nHook=xdp\nPriority=80\nObject=%s\n' \
                        "$B/tests/fragcount.bpf.o" > "$ROOT/etc/l3af.d/cp0-c8.conf"; fi
        }
        change_kind 0
        kill -HUP $DAEMON; sleep 1
        timed_changes "change of kind, multi-buffer <-> single-buffer (new root + 8 instances)" 50 change_kind
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
        printf -- '- applying %s chains x 4 programs from cold, as the daemon times it: %s\n' "$chains" \
                "$(echo "$line" | sed 's/.*(\(prepare.*\)).*/\1/')"
        printf -- '- daemon memory after that: RSS %s\n' "$(rss $DAEMON)"
        # Restart: adopt all 64 chains, change nothing.
        kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=
        t0=$(date +%s%N)
        start
        t1=$(date +%s%N)
        printf -- '- restart adopting %s chains (nothing to change), as the daemon times it: %s\n' "$chains" \
                "$(grep "l3afd started" "$T/l3afd.log" | sed 's/.*(\(prepare.*\)).*/\1/')"
        printf -- '- daemon memory after adoption: RSS %s\n' "$(rss $DAEMON)"
        stop
fi


if [[ " $WHAT " == *" changes "* ]]; then
        echo
        echo "## One-program changes (issue 15): insert, remove, replace at the head, the middle and the tail"
        # Chains of N count programs p01..pNN. Replace: program P alternates between two versions
        # (Type=xdp changes its digest). Remove and insert: program P leaves the chain of N and comes
        # back (insert into the N-1 others). Each cell: CHANGES changes, p50 and p99 of the daemon's
        # prepare + apply, apply p50, and what the last change loaded (its journal line). A reorder of
        # 8 (the first and last programs swap places, a new prefix) for comparison.
        CHANGES=${L3AF_BENCH_CHANGES:-60}
        ip link add ch0 type veth peer name ch0p && ip link set ch0 up
        how() {  # how K: how the K-th last change was made, and the instances it loaded (its journal line)
                local line
                line=$(grep "instances\? loaded" "$T/l3afd.log" | tail -"$1" | sed -n 1p)
                echo "$(echo "$line" | grep -o "splice\|new prefix") ($(echo "$line" | grep -o "[0-9]* instances\? loaded" | cut -d' ' -f1))"
        }
        row() {  # row LABEL HOW
                printf '| %s | %s ms | %s ms | %s ms | %s |\n' "$1" "$(pct 50 < "$T/total")" "$(pct 99 < "$T/total")" \
                        "$(pct 50 < "$T/apply")" "$2"
        }
        cell() {  # cell LABEL CHANGE_FUNCTION
                timed "$CHANGES" "$2"
                row "$1" "$(how 1)"
        }
        prog() { printf '%02d' "$1"; }
        printf '\n| change | p50 | p99 | apply p50 | how (instances loaded) |\n|---|---:|---:|---:|---|\n'
        for n in 8 32; do
                rm -f "$ROOT"/etc/l3af.d/*
                for i in $(seq "$n"); do count_dropin ch0 "p$(prog "$i")" "$((i * 10))"; done
                start
                for where in head middle tail; do
                        case $where in head) P=1 ;; middle) P=$((n / 2)) ;; tail) P=$n ;; esac
                        replace() { if [ $(($1 % 2)) = 1 ]; then count_dropin ch0 "p$(prog "$P")" "$((P * 10))" "Type=xdp
"; else count_dropin ch0 "p$(prog "$P")" "$((P * 10))"; fi; }
                        cell "replace at the $where of $n" replace
                        remove() { rm "$ROOT/etc/l3af.d/ch0-p$(prog "$P")-xdp.conf"; }
                        insert() { count_dropin ch0 "p$(prog "$P")" "$((P * 10))"; }
                        # Alternately: every odd change removes, every even one inserts.
                        toggle() { if [ $(($1 % 2)) = 1 ]; then remove; else insert; fi; }
                        timed $((CHANGES * 2)) toggle
                        cp "$T/total" "$T/both"; cp "$T/apply" "$T/both_apply"
                        for kind in remove insert; do
                                if [ $kind = remove ]; then r=1; k=2; else r=0; k=1; fi
                                awk -v r=$r 'NR % 2 == r' "$T/both" > "$T/total"
                                awk -v r=$r 'NR % 2 == r' "$T/both_apply" > "$T/apply"
                                row "$kind at the $where of $n" "$(how $k)"
                        done
                done
                if [ "$n" = 8 ]; then
                        reorder() { if [ $(($1 % 2)) = 1 ]; then count_dropin ch0 p01 85; count_dropin ch0 p08 5
                                    else count_dropin ch0 p01 10; count_dropin ch0 p08 80; fi; }
                        cell "reorder of 8 (first and last swap)" reorder
                fi
                stop
        done
        ip link del ch0
fi

if [[ " $WHAT " == *" reload "* ]]; then
        echo
        echo "## Reload with 500 drop-ins (125 interfaces x 4 programs)"
        for i in $(seq 0 124); do ip link add "rl$i" type veth peer name "rl${i}p" && ip link set "rl$i" up; done
        # A signed package of the count sample, for the run where one program of each chain comes from it.
        source "$SRC/tests/package/pki.sh"
        make_pki "$T/pki" >/dev/null
        mkdir -p "$T/pkg" "$T/repo"
        cp "$B/bpf/count.bpf.o" "$T/pkg/"
        printf '[Package]\nName=count\nVersion=1.0.0\n\n[Program count]\nObject=count.bpf.o\nEntry=count\n' > "$T/pkg/l3af-package.conf"
        "$B/src/l3afctl/l3afctl" package build --repository="$T/repo" "$T/pkg" >/dev/null
        sign_openssl "$T/repo/count/1.0.0/count.tar.gz" signer
        reload_bench() {  # reload_bench LABEL BUILD [packages]: cold start, 20 unchanged reloads, 20 with one changed, adoption
                local label=$1 build=$2 k n
                local L3AFD=$build/src/l3afd/l3afd
                [ -x "$L3AFD" ] || L3AFD=$build/src/l3afd   # a build from before src/ had folders
                for i in $(seq 0 124); do for j in 1 2 3 4; do count_dropin "rl$i" "p$j" "$j"; done; done
                rm -rf "$ROOT/var/cache/l3af" "$ROOT/etc/l3af/trust.d" "$ROOT/etc/l3af/l3afd.conf"
                if [ "${3:-}" = packages ]; then
                        label="$label, p4 of each chain from a signed package"
                        mkdir -p "$ROOT/etc/l3af/trust.d"
                        cp "$T/pki/trust/"* "$ROOT/etc/l3af/trust.d/"
                        printf '[Packages]\nTrustDirectory=/etc/l3af/trust.d\n' > "$ROOT/etc/l3af/l3afd.conf"
                        for i in $(seq 0 124); do
                                printf '[Program]\nName=p4\nInterface=rl%s\nHook=xdp\nPriority=4\nPackage=count\nVersion=1.0.0\nRepository=file://%s\n' \
                                        "$i" "$T/repo" > "$ROOT/etc/l3af.d/rl$i-p4-xdp.conf"
                        done
                fi
                sleep 2.1   # older than the 2 s in which a file's identity alone is no proof
                start
                printf -- '- %s: cold start: %s\n' "$label" "$(grep "l3afd started" "$T/l3afd.log" | sed 's/.*(\(prepare.*\)).*/\1/')"
                printf -- '- %s: daemon memory after it: RSS %s\n' "$label" "$(rss $DAEMON)"
                one_reload() {
                        n=$(grep -c "Reload done" "$T/l3afd.log" || true)
                        kill -HUP $DAEMON
                        until [ "$(grep -c "Reload done" "$T/l3afd.log" || true)" -gt "$n" ]; do sleep 0.005; done
                        grep "Reload done" "$T/l3afd.log" | tail -1 | sed 's/.*prepare \([0-9.]*\) ms, apply \([0-9.]*\) ms.*/\1 \2/'
                }
                sleep 2.1   # what the start extracted (a package's tree) has settled too: the steady state
                : > "$T/none"; : > "$T/one"
                for k in $(seq 20); do one_reload >> "$T/none"; done
                for k in $(seq 20); do
                        # One drop-in changed: rl7's p2 alternates between two priorities (a new instance).
                        count_dropin rl7 p2 $((2 + (k % 2) * 3))
                        one_reload >> "$T/one"
                done
                printf -- '- %s: reload, nothing changed: prepare p50 %s ms, apply p50 %s ms (20 reloads)\n' "$label" \
                        "$(awk '{print $1}' "$T/none" | pct 50)" "$(awk '{print $2}' "$T/none" | pct 50)"
                printf -- '- %s: reload, one drop-in changed: prepare p50 %s ms, apply p50 %s ms (20 reloads)\n' "$label" \
                        "$(awk '{print $1}' "$T/one" | pct 50)" "$(awk '{print $2}' "$T/one" | pct 50)"
                printf -- '- %s: daemon memory after the reloads: RSS %s\n' "$label" "$(rss $DAEMON)"
                kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=
                start
                printf -- '- %s: restart adopting the 125 chains: %s\n' "$label" "$(grep "l3afd started" "$T/l3afd.log" | sed 's/.*(\(prepare.*\)).*/\1/')"
                stop
                rm -rf "$ROOT/var/cache/l3af" "$ROOT/etc/l3af/trust.d" "$ROOT/etc/l3af/l3afd.conf"
        }
        for shape in objects packages; do
                [ -n "${L3AF_BENCH_BASELINE:-}" ] && reload_bench "baseline" "$L3AF_BENCH_BASELINE" $shape
                reload_bench "this build" "$B" $shape
        done
        for i in $(seq 0 124); do ip link del "rl$i"; done
fi

if [[ " $WHAT " == *" service "* ]]; then
        echo
        echo "## Service"
        # Exec to READY=1 (timed on a notify socket), nothing pinned and nothing declared.
        ready() { python3 "$SRC/bench/ready-time.py" "$L3AFD" --root="$ROOT" --no-bus --log-target=console; }
        : > "$T/t"
        for k in $(seq 10); do read -r ms pid < <(ready); echo "$ms" >> "$T/t"; kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done; done
        printf -- '- exec to READY=1, no chain: median %s ms (10 starts)\n' "$(median < "$T/t")"
        # With 64 chains x 4 programs pinned: each start adopts them.
        for i in $(seq 0 63); do
                ip link add "sv$i" type veth peer name "sv${i}p" && ip link set "sv$i" up
                for j in 1 2 3 4; do count_dropin "sv$i" "p$j" "$j"; done
        done
        read -r ms pid < <(ready)
        printf -- '- exec to READY=1 creating 64 chains x 4 programs from cold: %s ms\n' "$ms"
        kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
        : > "$T/t"
        for k in $(seq 10); do
                read -r ms pid < <(ready); echo "$ms" >> "$T/t"
                sleep 0.5; r=$(rss "$pid")
                kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
        done
        printf -- '- exec to READY=1 adopting those 64 chains: median %s ms (10 starts); idle RSS %s\n' "$(median < "$T/t")" "$r"
        # First reply through socket activation (the daemon starts and adopts), against a warm call.
        printf '[Daemon]\nIdleExitSec=300ms\n' > "$ROOT/etc/l3af/l3afd.conf"
        python3 "$SRC/tests/tools/socket-holder.py" "$T/sock" "$T/starts" -- "$L3AFD" --root="$ROOT" --no-bus \
                --log-target=console >> "$T/sa.log" 2>&1 &
        HOLDER=$!
        until grep -q listening "$T/starts" 2>/dev/null; do sleep 0.05; done
        : > "$T/cold"; : > "$T/warm"
        for k in $(seq 10); do
                while pgrep -f "^$L3AFD" >/dev/null; do sleep 0.05; done
                t0=$(date +%s%N); busctl --address=unix:path="$T/sock" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains >/dev/null; t1=$(date +%s%N)
                busctl --address=unix:path="$T/sock" call org.l3af.Chain1 /org/l3af/Chain1 org.l3af.Chain1 ListChains >/dev/null; t2=$(date +%s%N)
                echo $(((t1 - t0) / 1000)) >> "$T/cold"; echo $(((t2 - t1) / 1000)) >> "$T/warm"
        done
        printf -- '- first reply through socket activation (start, adopt 64 chains, answer): median %s ms; the next call: %s ms (busctl, 10 cycles)\n' \
                "$(median < "$T/cold" | awk '{printf "%.1f", $1 / 1000}')" "$(median < "$T/warm" | awk '{printf "%.1f", $1 / 1000}')"
        kill $HOLDER; pkill -f "^$L3AFD" || true; sleep 0.3
        rm -f "$ROOT/etc/l3af/l3afd.conf"
        "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1; rm -f "$ROOT"/etc/l3af.d/*
        for i in $(seq 0 63); do ip link del "sv$i"; done
fi

if [[ " $WHAT " == *" watchdog "* ]]; then
        echo
        echo "## Watchdog"
        mount -t tmpfs tmpfs /run
        mkdir -p /run/systemd/journal /run/log
        [ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
        /lib/systemd/systemd-journald >/dev/null 2>&1 &
        until [ -S /run/systemd/journal/socket ]; do sleep 0.05; done
        ip link add wd0 type veth peer name wd0p && ip link set wd0 up && ip link set wd0p up
        count_dropin wd0 c1 1 "OnForeignProgram=restore
"
        FOREIGN=$B/tests/foreign
        latency() {  # latency MODE INTERVAL N: detection latencies in us, one per line
                local mode=$1 n=$3 out id t ts holder
                printf '[Daemon]\nWatchdogIntervalSec=%s\n' "$2" > "$ROOT/etc/l3af/l3afd.conf"
                LOG_TARGET=console+journal start
                local got=0
                while [ "$got" -lt "$n" ]; do
                        before=$(journalctl -D /run/log/journal -q --no-pager MESSAGE_ID=17b8ab6877f348708a0445cd50e22b0c | wc -l)
                        if [ "$mode" = netlink ]; then
                                read -r id t < <("$FOREIGN" replace "$PINS/wd0/xdp/link" wd0 "$B/bpf/sink.bpf.o") || true
                        else
                                rm -f "$T/f.out"
                                "$FOREIGN" replace-link "$PINS/wd0/xdp/link" wd0 "$B/bpf/sink.bpf.o" > "$T/f.out" 2>/dev/null & holder=$!
                                until [ -s "$T/f.out" ] || ! kill -0 $holder 2>/dev/null; do sleep 0.001; done
                                id=; read -r id t < "$T/f.out" || true
                        fi
                        if [ -z "$id" ]; then
                                # A sweep fell between our link's detach and the foreign attach and restored
                                # us first: that displacement was "nothing attached". Let it settle, try again.
                                until [ "$(journalctl -D /run/log/journal -q --no-pager MESSAGE_ID=17b8ab6877f348708a0445cd50e22b0c | wc -l)" -gt "$before" ]; do sleep 0.005; done
                                continue
                        fi
                        got=$((got + 1))
                        # Wait for the restore, then read when the foreign program was journaled.
                        until [ "$(journalctl -D /run/log/journal -q --no-pager MESSAGE_ID=17b8ab6877f348708a0445cd50e22b0c | wc -l)" -gt "$before" ]; do sleep 0.005; done
                        ts=$(journalctl -D /run/log/journal -o export --no-pager MESSAGE_ID=9ae394e0f2e641c1acf90e14dae77b2a L3AF_FOREIGN_PROG_ID="$id" | sed -n 's/^_SOURCE_REALTIME_TIMESTAMP=//p' | tail -1)
                        echo $((ts - t))
                        [ "$mode" = link ] && { kill $holder; wait $holder 2>/dev/null || true; rm -f "$T/f.out"; }
                done
                kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=
        }
        latency netlink 60s 200 > "$T/ev"
        latency link 100ms 200 > "$T/sw"
        printf -- '- foreign attach to journal entry, event path (netlink attach, rtnetlink): p50 %s ms, p99 %s ms (200 displacements)\n' \
                "$(pct 50 < "$T/ev" | awk '{printf "%.2f", $1/1000}')" "$(pct 99 < "$T/ev" | awk '{printf "%.2f", $1/1000}')"
        printf -- '- foreign attach to journal entry, sweep path (bpf_link attach, WatchdogIntervalSec=100ms): p50 %s ms, p99 %s ms (200 displacements)\n' \
                "$(pct 50 < "$T/sw" | awk '{printf "%.2f", $1/1000}')" "$(pct 99 < "$T/sw" | awk '{printf "%.2f", $1/1000}')"
        "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1; rm -f "$ROOT"/etc/l3af.d/*; ip link del wd0

        # CPU cost of the sweep over 64 chains: CPU time over 5 s at a 10 ms interval, against the sweep off.
        for i in $(seq 0 63); do
                ip link add "w$i" type veth peer name "w${i}p" && ip link set "w$i" up
                count_dropin "w$i" c 1
        done
        hz=$(getconf CLK_TCK)
        for iv in 0 10ms; do
                printf '[Daemon]\nWatchdogIntervalSec=%s\n' "$iv" > "$ROOT/etc/l3af/l3afd.conf"
                start
                c0=$(cpu_ticks $DAEMON); sleep 5; c1=$(cpu_ticks $DAEMON)
                echo "$iv $((c1 - c0))" >> "$T/cpu"
                kill -TERM $DAEMON; wait $DAEMON || true; DAEMON=
        done
        awk -v hz="$hz" '{t[$1]=$2} END { d = (t["10ms"] - t["0"]) / hz; printf "- sweep CPU with 64 chains: %.1f%% of a CPU at a 10 ms interval, so %.0f us per sweep, %.2f us per chain; at the default 1 s interval, %.3f%% of a CPU\n", d / 5 * 100, d / 500 * 1e6, d / 500 / 64 * 1e6, d / 500 * 100 }' "$T/cpu"
        "$L3AFD" --root="$ROOT" --flush >/dev/null 2>&1
fi
