#!/usr/bin/env bash
# Benchmarks/HTTP2/peers.sh [SECONDS] [RUNS]: HTTP/2 beside h2load and nginx in one run, alternating, RUNS runs (3) of
# SECONDS seconds (5) each, after 1 s of warmup; prints every run, the medians and the ratios (issue 27, item 4).
#   1. Requests/s on one nginx worker: `bench drive --protocol h2 -t 1 -c 100 --streams 10` against
#      `h2load -t 1 -c 100 -m 10`, each connection kept for the whole run (bench drive's ratio).
#   2. `h2load -t 1 -c 100 -m 10` against every model (`bench serve --protocol h2`, its default threads) and against
#      the same nginx worker; each model's requests/s and the ratio to nginx of the best model that answered all
#      100 connections (one that serves a few at a time and starves the rest is not a peer of one that serves them all).
# h2c with prior knowledge everywhere (nginx: `listen ... http2`), every client fetching the same 16-byte body at
# /bytes/16 (a file for nginx, 16 random bytes from a model). Nothing is pinned to a CPU, as in TLS/peers.sh: the
# client and the server share the two cores. Everything listens on 127.0.0.1 and is stopped at the end, on failure
# too; every client run is bounded by `timeout`. Needs h2load, nginx and a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
runs=${2:-3}
bench=.build/release/bench
for tool in h2load nginx python3 timeout; do
    command -v "$tool" >/dev/null || {
        echo "peers.sh: $tool is missing (apt-get install -y nghttp2-client nginx-light)" >&2; exit 2; }
done
[ -x "$bench" ] || { echo "peers.sh: build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d)
pids=()
# A server that ignores SIGTERM for 10 s is killed, so the script's end is bounded too.
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break; sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
# Bash's own handling of a fatal signal was seen to lose a SIGTERM that came while it waited on a client; with traps
# of their own, INT and TERM wait for the client run (bounded below) and then exit through cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM

source Benchmarks/common.sh

# One nginx worker; nginx ends an h2 connection after keepalive_requests (1,000 by default) with GOAWAY, and neither
# client should spend the run reconnecting, so it is lifted: the connections last the run, as on our models.
start_nginx "$work/nginx" 1 http2 'keepalive_requests 1000000000;'
nginx_port=$port

# Client runs end on their own after warmup and duration; `timeout` bounds one that hangs.
limit=$((seconds + 30))
url() { echo "http://127.0.0.1:$1/bytes/16"; }

# h2load_run PORT: requests/s, then slowest=R: the requests/s of h2load's slowest connection, 0 when the server never
# answered one (the blocking model serves one connection at a time, prefork one a worker, thread-pool one a thread:
# the rest wait, and the few it serves run faster than a hundred would). Says on standard error when a request
# failed or was answered other than 2xx.
h2load_run() {
    timeout "$limit" h2load -t 1 -c 100 -m 10 -D "$seconds" --warm-up-time 1 "$(url "$1")" 2>&1 |
        awk '/^finished in/ { gsub(",", "", $4); rate = $4 } /^req\/s *:/ { slowest = $3 }
             /^requests:/ && $10 + $12 + $14 > 0 { bad = bad " " $10 " failed, " $12 " errored, " $14 " timed out" }
             /^status codes:/ && $5 + $7 + $9 > 0 { bad = bad " " $5 " 3xx, " $7 " 4xx, " $9 " 5xx" }
             END { if (bad) print "h2load:" bad > "/dev/stderr"
                   if (rate == "") { print "h2load: no figure" > "/dev/stderr"; exit 1 }
                   printf "%.0f slowest=%s\n", rate, slowest }'
}

# drive_run PORT: bench drive's requests/s, the same connections and streams as h2load_run's.
drive_run() {
    timeout "$limit" "$bench" drive --protocol h2 --port "$1" --path /bytes/16 --requests 1g -t 1 -c 100 --streams 10 \
        -d "${seconds}s" --warmup 1s --quiet --out "$work/drive-csv" >/dev/null
    python3 - "$work/drive-csv/summary.csv" <<'PY'
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
failed = int(row['failures_server']) + int(row['failures_local'])
if failed: print(f"bench drive: {failed} failures", file=sys.stderr)
print(f"{float(row['requests_per_s']):.0f}")
PY
}

echo "== 1. h2 requests/s on one nginx worker, 100 connections x 10 streams ($runs x ${seconds}s, alternating)"
alternate nginx "$nginx_port" h2load drive
for tool in h2load drive; do printf '%-22s %8.0f requests/s\n' "$tool" "$(med "nginx-$tool")"; done
echo "ratio bench drive / h2load: $(ratio "$(med nginx-drive)" "$(med nginx-h2load)")"

echo "== 2. h2load -c 100 -m 10 against our models and one nginx worker ($runs x ${seconds}s, rotating)"
models=($("$bench" models | cut -f1))
servers=(nginx "${models[@]}")
declare -A ports=([nginx]=$nginx_port)
for model in "${models[@]}"; do
    ports[$model]=$(free_port)
    "$bench" serve --model "$model" --protocol h2 --port "${ports[$model]}" >/dev/null 2>&1 &
    pids+=($!)
    wait_port "${ports[$model]}"
done
h2load_on() { h2load_run "${ports[$1]}"; }
rotate_runs h2load-on h2load_on "${servers[@]}"
# The best model is the fastest of those that answered every connection in every run.
starved() { awk -F'slowest=' '$2 + 0 == 0' "$work/h2load-on-$1" | wc -l; }
best=
for server in "${servers[@]}"; do
    note="every connection answered"
    [ "$(starved "$server")" -gt 0 ] && note="some connections never answered in $(starved "$server") of $runs runs"
    printf '%-22s %8.0f requests/s, %s\n' "$server" "$(med "h2load-on-$server")" "$note"
    [ "$server" = nginx ] || [ "$(starved "$server")" -gt 0 ] && continue
    if [ -z "$best" ] || awk -v a="$(med "h2load-on-$server")" -v b="$(med "h2load-on-$best")" 'BEGIN { exit !(a > b) }'
    then best=$server; fi
done
if [ -n "$best" ]; then
    echo "ratio best model ($best) / nginx: $(ratio "$(med "h2load-on-$best")" "$(med h2load-on-nginx)")"
else
    echo "ratio best model / nginx: none answered every connection"
fi
