#!/usr/bin/env bash
# Benchmarks/HTTP2/head-of-line.sh [SECONDS] [RUNS] [OUT] [RATE]: head-of-line blocking where it exists, on a link
# that is slow for real (issue 27, item 5). Run as root. Two network namespaces joined by a veth pair, addresses from
# 198.18.0.0/15 and no route out, each end's interface shaped by `tc ... tbf` to RATE (100mbit) with a queue of 5 ms;
# nothing is added to the machine's own namespace. `bench serve --model MODEL` (epoll) in one serves HTTP/1.1, h2c and
# multiplex; `bench drive` in the other sends, on one connection, 100 requests/s of which 95% ask 16 bytes and 5% 1 MB
# (40 Mbit/s: the link is busy less than half the time), 16 in flight: HTTP/1.1 pipelined (answers in order), 16
# HTTP/2 streams, multiplex 16 deep. RUNS runs (3) of SECONDS (15) each after 2 s of warmup, the protocols' order
# rotated every run. Writes OUT (results/head-of-line): each run's output under runs/, head-of-line.csv (the medians
# of the runs: the small answers' p50, p90 and p99, the large ones' p50 and p99, in ms) and head-of-line.png. Exit 0
# when it ran, 1 when a run failed, 2 when it cannot run here. The namespaces and servers it made are removed at the
# end, on failure and interruption too. BENCH names the bench executable (default: the release build), MODEL the
# server model.
#
# This kernel has tbf but no netem, so the link is slow without being far: no delay is added. Where netem exists,
# `tc qdisc add dev eth0 root netem delay 20ms rate 100mbit` on both ends would add a path's round trip as well.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
runs=${2:-3}
out=${3:-results/head-of-line}
rate=${4:-100mbit}
bench=${BENCH:-.build/release/bench}
model=${MODEL:-epoll}
me=$(basename "$0")
[ "$(id -u)" = 0 ] || { echo "$me: run as root (it makes network namespaces)" >&2; exit 2; }
[ -x "$bench" ] || { echo "$me: build first: swift build -c release (or set BENCH)" >&2; exit 2; }
for tool in ip tc gnuplot python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$me: $tool is missing (apt-get install -y iproute2 gnuplot-nox)" >&2; exit 2; }
done

# Names of this run's own, so that two runs never meet and the cleanup removes only what this one made.
tag=hol$$
pids=()
work=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in $(ip netns list | awk '{ print $1 }' | grep "^$tag-" || true); do ip netns del "$ns" || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
source Benchmarks/common.sh

ip netns add "$tag-srv" || { echo "$me: cannot make network namespaces here (ip netns add)" >&2; exit 2; }
ip netns add "$tag-cli"
ip -n "$tag-srv" link add eth0 type veth peer name eth0 netns "$tag-cli"
server=198.18.0.1
for end in srv:$server cli:198.18.0.2; do
    ns=$tag-${end%%:*}
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "${end#*:}/24" dev eth0
    ip -n "$ns" link set eth0 up
    # A burst of 16 KiB and at most 5 ms queued in the shaper: the link's own buffer stays small, so what waits is
    # what the protocols above it make wait, not a bufferbloated queue that every answer sits behind alike.
    tc -n "$ns" qdisc add dev eth0 root tbf rate "$rate" burst 16kb latency 5ms ||
        { echo "$me: tc cannot shape here (tbf)" >&2; exit 2; }
done
if ip netns exec "$tag-cli" ip route get 8.8.8.8 >/dev/null 2>&1; then
    echo "$me: the client's namespace has a route out; refusing to send load" >&2; exit 2
fi

# Only what an earlier run of this script wrote is replaced: OUT may hold other things.
rm -rf "$out/runs" "$out/head-of-line.csv" "$out/head-of-line.png"
mkdir -p "$out/runs"
protocols=(http h2 multiplex)
declare -A ports=([http]=5070 [h2]=5071 [multiplex]=5072)
declare -A depth=([http]="--pipeline 16 --path /bytes/{size}" [h2]="--streams 16 --path /bytes/{size}" \
    [multiplex]="--pipeline 16")
for protocol in "${protocols[@]}"; do
    ip netns exec "$tag-srv" "$bench" serve --model "$model" --protocol "$protocol" --host "$server" \
        --port "${ports[$protocol]}" >"$out/runs/serve-$protocol.out" 2>"$out/runs/serve-$protocol.log" &
    pids+=($!)
    for _ in $(seq 200); do grep -q "^listening" "$out/runs/serve-$protocol.out" 2>/dev/null && break; sleep 0.05; done
    grep -q "^listening" "$out/runs/serve-$protocol.out" ||
        { echo "$me: the $protocol server did not start:" >&2; cat "$out/runs/serve-$protocol.log" >&2; exit 1; }
done

# drive_run PROTOCOL: one run on one connection, written to OUT/runs/PROTOCOL-K (K: its run); prints the small answers'
# p50, p90 and p99 and the large ones' p50 and p99, in ms, from the run's sizes.csv; a run with a failure fails the
# script.
drive_run() {
    local k=1
    while [ -e "$out/runs/$1-$k" ]; do k=$(( k + 1 )); done
    local dir=$out/runs/$1-$k
    # shellcheck disable=SC2086  # depth holds several words
    timeout $(( seconds + 60 )) ip netns exec "$tag-cli" "$bench" drive --host "$server" -p "${ports[$1]}" \
        --protocol "$1" ${depth[$1]} --requests unlimited -c 1 -t 1 --size 16:95%,1m:5% --rate 100 \
        -d "${seconds}s" --warmup 2s --quiet --out "$dir" >"$dir.txt" 2>&1 ||
        { echo "$me: $1 run failed:" >&2; cat "$dir.txt" >&2; exit 1; }
    python3 - "$dir" <<'PY'
import csv, sys
row = next(csv.DictReader(open(f"{sys.argv[1]}/summary.csv")))
failed = int(row["failures_server"]) + int(row["failures_local"])
if failed: sys.exit(f"{failed} failures in {sys.argv[1]}")
sizes = {int(r["size_bytes"]): r for r in csv.DictReader(open(f"{sys.argv[1]}/sizes.csv"))}
ms = lambda size, p: f"{int(sizes[size][f'total_{p}_us']) / 1000:.2f}"
small, large = min(sizes), max(sizes)
print(" ".join([ms(small, "p50"), ms(small, "p90"), ms(small, "p99"), ms(large, "p50"), ms(large, "p99")]))
PY
}
echo "small p50 p90 p99, large p50 p99 (ms), one connection at $rate, $runs runs of ${seconds}s, $model"
rotate_runs hol drive_run "${protocols[@]}"

names=(small_p50_ms small_p90_ms small_p99_ms large_p50_ms large_p99_ms)
{
    echo "protocol,$(IFS=,; echo "${names[*]}"),runs,link,model"
    for protocol in "${protocols[@]}"; do
        line=$protocol
        for column in 1 2 3 4 5; do line+=,$(awk -v c="$column" '{ print $c }' "$work/hol-$protocol" | median); done
        echo "$line,$runs,$rate,$model"
    done
} >"$out/head-of-line.csv"
echo "== medians ($out/head-of-line.csv)"
tr , '\t' <"$out/head-of-line.csv"

# One group of bars a protocol (the small answers' p50, p90, p99), log scale: the wait spans three decades. The line
# is the time one 1 MB answer takes to cross the link, what a small answer queued behind one waits at most.
# tc's units: kbit, mbit, gbit or a bare number are bits a second, kbps, mbps, gbps and bps bytes.
crossing=$(awk -v r="$rate" 'BEGIN { n = r + 0; u = tolower(substr(r, length(n "") + 1))
    f = (u ~ /^g/) ? 1e9 : (u ~ /^m/) ? 1e6 : (u ~ /^k/) ? 1e3 : 1; if (u ~ /bps$/) f *= 8
    print 8 * 1e6 / (n * f) * 1000 }')
gnuplot <<PLOT
set terminal pngcairo size 960,600 font "sans,11"; set grid ytics; set key top center horizontal box; set xrange [-0.6:2.6]
set output "$out/head-of-line.png"
set title "16-byte answers among 1 MB ones (5%), one connection, 16 in flight, $rate link ($model)"
set datafile separator ","
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set logscale y; set yrange [0.1:5000]; set ylabel "16-byte answer latency (ms)"
set xtics ("HTTP/1.1 pipelined" 0, "HTTP/2 streams" 1, "multiplex" 2)
plot "$out/head-of-line.csv" every ::1 using 2 title "p50", '' every ::1 using 3 title "p90", \
     '' every ::1 using 4 title "p99", $crossing with lines lw 2 dt 2 title "one 1 MB answer on the link"
PLOT
echo "chart: $out/head-of-line.png"
