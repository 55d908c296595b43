#!/usr/bin/env bash
# Benchmarks/HTTP/crosscheck.sh [SECONDS] [RUNS]: the HTTP cross-checks of docs/performance.md, measured side by
# side in one run, alternating, RUNS runs (3) of SECONDS seconds (5) each; prints every run and the medians.
#   1. One nginx worker: `bench drive --protocol http -t 1 -c 100` against `wrk -t1 -c100` (the driver's ratio).
#   2. `wrk -t1 -c100` against each model of ours and against nginx with two workers (one per core).
# nginx (Debian's nginx-light) serves a 16-byte file at /bytes/16, `access_log off`, from a temporary directory;
# everything listens on 127.0.0.1 and is stopped at the end, on failure too. Needs wrk, nginx and a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
runs=${2:-3}
bench=.build/release/bench
for tool in wrk nginx python3; do
    command -v "$tool" >/dev/null || { echo "crosscheck.sh: $tool is missing (apt-get install -y wrk nginx-light)" >&2; exit 2; }
done
[ -x "$bench" ] || { echo "crosscheck.sh: build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

source Benchmarks/common.sh

# nginx_with WORKERS: starts nginx with that many workers; its port goes to $port.
nginx_with() { start_nginx "$work/nginx-$1" "$1" ""; }

# serve MODEL: starts `bench serve --protocol http`; its port goes to $port.
serve() {
    port=$(free_port)
    "$bench" serve --model "$1" --protocol http --port "$port" >/dev/null 2>&1 &
    pids+=($!)
    wait_port "$port"
}

# wrk_run PORT: requests/s, p50 ms, p99 ms of one wrk run.
wrk_run() {
    wrk -t1 -c100 -d"${seconds}s" --latency "http://127.0.0.1:$1/bytes/16" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /^Requests\/sec/ { rate = $2 }
        END { printf "%.0f %.3f %.3f\n", rate, p50, p99 }'
}

# drive_run PORT: the same figures from bench drive.
drive_run() {
    "$bench" drive --protocol http --port "$1" --size 16 --requests 1g -t 1 -c 100 -d "${seconds}s" --warmup 1s \
        --quiet --out "$work/drive-csv" >/dev/null
    python3 - "$work/drive-csv/summary.csv" <<'PY'
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
print(f"{float(row['requests_per_s']):.0f} {int(row['total_p50_us'])/1000:.3f} {int(row['total_p99_us'])/1000:.3f}")
PY
}

report() {  # report FILE LABEL: medians of the three columns
    printf '%-26s %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms\n' "$2" "$(cut -d' ' -f1 "$1" | median)" \
        "$(cut -d' ' -f2 "$1" | median)" "$(cut -d' ' -f3 "$1" | median)"
}

echo "== 1. one nginx worker: bench drive -t 1 -c 100 against wrk -t1 -c100 ($runs x ${seconds}s, alternating)"
nginx_with 1
for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then order="wrk drive"; else order="drive wrk"; fi
    for tool in $order; do
        figures=$("${tool}_run" "$port")
        echo "run $run $tool: $figures"
        echo "$figures" >>"$work/$tool"
    done
done
report "$work/wrk" "wrk"
report "$work/drive" "bench drive"
echo "ratio bench drive / wrk: $(awk -v a="$(cut -d' ' -f1 "$work/drive" | median)" -v b="$(cut -d' ' -f1 "$work/wrk" | median)" 'BEGIN { printf "%.2f", a / b }')"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

echo "== 2. wrk -t1 -c100 against our models and nginx with 2 workers ($runs x ${seconds}s, rotating)"
models=($("$bench" models | cut -f1))
servers=(nginx-2 "${models[@]}")
declare -A ports
nginx_with 2
ports[nginx-2]=$port
for model in "${models[@]}"; do
    serve "$model"
    ports[$model]=$port
done
wrk_on() { wrk_run "${ports[$1]}"; }
rotate_runs wrk wrk_on "${servers[@]}"
for server in "${servers[@]}"; do report "$work/wrk-$server" "$server"; done
nginx_rate=$(cut -d' ' -f1 "$work/wrk-nginx-2" | median)
for server in "${models[@]}"; do
    echo "$server / nginx: $(awk -v a="$(cut -d' ' -f1 "$work/wrk-$server" | median)" -v b="$nginx_rate" 'BEGIN { printf "%.2f", a / b }')"
done
