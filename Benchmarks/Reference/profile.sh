#!/usr/bin/env bash
# Benchmarks/Reference/profile.sh MODEL PROTOCOL [SECONDS] [-- SERVE OPTIONS...]: where one model's server time
# goes under the C reference client (greeting: 1,000 clients; request: keep-alive, n=16, 100 connections, both -S 8).
# Two runs of SECONDS seconds (4) each:
#   1. perf record -e cpu-clock -g on the server: the share of user and kernel time, the top frames by self time
#   2. perf stat on a uprobe of libc's malloc: allocations per connection (greeting) or per request (request)
# Needs perf (Debian's linux-perf), root for the uprobe, and a release build (swift build -c release, which makes
# refclient beside bench). Output: a text report on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: Benchmarks/Reference/profile.sh MODEL greeting|request [SECONDS] [-- SERVE OPTIONS]" >&2; exit 2; }
model=$1 protocol=$2 seconds=${3:-4}
shift $(($# < 3 ? $# : 3))
[ "${1:-}" = -- ] && shift
bench=.build/release/bench
refclient=.build/release/refclient
command -v perf >/dev/null || { echo "profile.sh: perf is missing (apt-get install -y linux-perf)" >&2; exit 2; }
for program in "$bench" "$refclient"; do
    [ -x "$program" ] || { echo "profile.sh: $program is missing; build first: swift build -c release" >&2; exit 2; }
done
work=$(mktemp -d)
server=""
cleanup() { [ -z "$server" ] || kill -- "-$server" 2>/dev/null || true; wait 2>/dev/null; perf probe -q -d probe_libc:malloc 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source Benchmarks/common.sh

port=$(free_port)
setsid "$bench" serve --model "$model" --protocol "$protocol" --port "$port" "$@" >/dev/null 2>&1 &
server=$!
wait_port "$port"
arguments=(-c 1000)
[ "$protocol" = request ] && arguments=(-m ka -n 16 -k 0 -c 100)
rate=$([ "$protocol" = request ] && echo reqs_per_s || echo conns_per_s)
item=$([ "$protocol" = request ] && echo requests || echo connections)
unit=$([ "$protocol" = request ] && echo request || echo connection)
# The server's processes (prefork: the parent and its workers), for perf's -p.
pids=$(pgrep -g "$server" | paste -sd,)

# 1. Time: perf samples the whole run of the client (it ends when the client does).
perf record -q -e cpu-clock -g -p "$pids" -o "$work/perf.data" -- \
    "$refclient" -p "$port" -S 8 -d "$seconds" "${arguments[@]}" >"$work/client-1" 2>/dev/null
echo "== $model, $protocol: $(field "$(cat "$work/client-1")" "$rate")/s under perf record"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null >"$work/dso"
grep -E '^ +[0-9]' "$work/dso" | sed -n 1,8p
echo "-- top frames by self time"
perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null >"$work/symbols"
grep -E '^ +[0-9]' "$work/symbols" | sed -n 1,25p | awk '{ $NF = ""; sub(/ +-? *$/, ""); print }' | cut -c1-150

# 2. Allocations: a uprobe on malloc, counted (not sampled) over a second run.
libc=$(ldd "$bench" | awk '$1 == "libc.so.6" { print $3 }')
perf probe -q -d probe_libc:malloc 2>/dev/null || true  # one left by an earlier run
perf probe -q -x "$libc" malloc
perf stat -x, -e probe_libc:malloc -p "$pids" -o "$work/stat" -- \
    "$refclient" -p "$port" -S 8 -d "$seconds" "${arguments[@]}" >"$work/client-2" 2>/dev/null
mallocs=$(awk -F, '$3 == "probe_libc:malloc" { print $1 }' "$work/stat")
items=$(field "$(cat "$work/client-2")" "$item")
echo "-- malloc calls: $mallocs for $items ${unit}s: $(awk -v m="$mallocs" -v n="$items" 'BEGIN { printf "%.2f", (n > 0 ? m / n : 0) }') per $unit"
