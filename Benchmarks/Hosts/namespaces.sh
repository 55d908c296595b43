#!/usr/bin/env bash
# Benchmarks/Hosts/namespaces.sh [WORKERS] [OUT] [CONNECTIONS]: several load hosts on one machine, as `bench merge`
# meets them on many. Run as root. It makes a network namespace holding a bridge, one for `bench serve` and one for
# each of WORKERS (4) `bench drive --share K/WORKERS` workers, each joined to the bridge by a veth pair, with
# addresses from 198.18.0.0/15 (RFC 2544's block for network benchmarks) and no route out of them; nothing is added
# to the machine's own namespace. The workers make CONNECTIONS (20000) connections of 10 requests between them,
# started together (--start-at), each writing --out and --hlog into OUT/K; `bench merge` writes OUT/merged. Then:
#   - the merged requests and connections equal the server's counters;
#   - the merged p99 equals the p99 that Python's hdrh computes over the union of the workers' interval logs.
# Exit 0 when both hold, 1 when one does not, 2 when it cannot run here. Everything it made is removed at the end,
# on failure and interruption too. BENCH names the bench executable (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:-4}
out=${2:-results/hosts-$workers}
connections=${3:-20000}
bench=${BENCH:-.build/release/bench}
me=$(basename "$0")
[ "$(id -u)" = 0 ] || { echo "$me: run as root (it makes network namespaces)" >&2; exit 2; }
[ -x "$bench" ] || { echo "$me: build first: swift build -c release (or set BENCH)" >&2; exit 2; }
python3 -c 'import hdrh' 2>/dev/null || { echo "$me: pip install hdrhistogram (Python's hdrh)" >&2; exit 2; }
(( workers >= 1 && workers <= 200 )) || { echo "$me: WORKERS takes 1 to 200, got $workers" >&2; exit 2; }

# Names of this run's own, so that two runs never meet and the cleanup removes only what this one made.
tag=bn$$
switch=$tag-sw
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in $(ip netns list | awk '{ print $1 }' | grep "^$tag-" || true); do ip netns del "$ns" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$switch" || { echo "$me: cannot make network namespaces here (ip netns add)" >&2; exit 2; }
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up

# host NAME ADDRESS: a namespace with loopback and one interface on the bridge, at ADDRESS/24, and no other route.
host() {
    ip netns add "$tag-$1"
    ip -n "$switch" link add "p-$1" type veth peer name eth0 netns "$tag-$1"
    ip -n "$switch" link set "p-$1" master br0 up
    ip -n "$tag-$1" link set lo up
    ip -n "$tag-$1" addr add "$2/24" dev eth0
    ip -n "$tag-$1" link set eth0 up
}
server=198.18.0.1
host srv "$server"
for k in $(seq "$workers"); do host "d$k" "198.18.0.$(( k + 10 ))"; done
if ip netns exec "$tag-d1" ip route get 8.8.8.8 >/dev/null 2>&1; then
    echo "$me: a worker namespace has a route out; refusing to send load" >&2; exit 1
fi

rm -rf "$out"
mkdir -p "$out"
ip netns exec "$tag-srv" "$bench" serve --model epoll --protocol request --host "$server" --port 5070 \
    >"$out/server.out" 2>"$out/server.log" &
pids+=($!)
for _ in $(seq 200); do grep -q '^listening' "$out/server.out" 2>/dev/null && break; sleep 0.05; done
grep -q '^listening' "$out/server.out" || { echo "$me: the server did not start:" >&2; cat "$out/server.log" >&2; exit 1; }

start=$(( $(date +%s) + 3 ))
drivers=()
for k in $(seq "$workers"); do
    mkdir -p "$out/$k"
    timeout 300 ip netns exec "$tag-d$k" "$bench" drive --host "$server" -p 5070 --protocol request --requests 10 \
        -c 100 -t 1 --connections "$connections" --share "$k/$workers" --start-at "$start" --quiet \
        --out "$out/$k" --hlog "$out/$k/latency.hlog" >"$out/$k/stdout" 2>"$out/$k/stderr" &
    drivers+=($!)
done
for pid in "${drivers[@]}"; do wait "$pid" || { echo "$me: a worker failed:" >&2; cat "$out"/*/stderr >&2; exit 1; }; done
"$bench" merge $(for k in $(seq "$workers"); do echo "$out/$k"; done) --out "$out/merged" >"$out/merged.txt"
kill -TERM "${pids[0]}"
wait "${pids[0]}" || true
pids=()
cat "$out/merged.txt"

python3 - "$out" "$workers" <<'PY'
import csv, json, re, subprocess, sys
out, workers = sys.argv[1], int(sys.argv[2])
row = next(csv.DictReader(open(f"{out}/merged/summary.csv")))
counters = dict(re.findall(r"(\w+)=(\d+)", open(f"{out}/server.log").read()))
union = json.loads(subprocess.check_output(
    [sys.executable, "Tests/hdrlog/hdrlog.py", "read"] + [f"{out}/{k}/latency.hlog" for k in range(1, workers + 1)]))
merged_log = json.loads(subprocess.check_output(
    [sys.executable, "Tests/hdrlog/hdrlog.py", "read", f"{out}/merged/latency.hlog"]))
checks = [
    ("requests: merged = server", row["requests"], counters.get("requests")),
    ("connections: merged = server", row["conns_completed"], counters.get("connections")),
    ("p99 us: merged = hdrh over the workers' logs", row["total_p99_us"], str(union["total"]["p99"])),
    ("requests: merged = hdrh over the workers' logs", row["requests"], str(union["total"]["count"])),
    ("p99 us: merged log = workers' logs (hdrh)", str(merged_log["total"]["p99"]), str(union["total"]["p99"])),
]
failed = False
for name, ours, theirs in checks:
    ok = ours == theirs
    failed |= not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {ours} {'==' if ok else '!='} {theirs}")
sys.exit(1 if failed else 0)
PY
