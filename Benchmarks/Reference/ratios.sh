#!/usr/bin/env bash
# Benchmarks/Reference/ratios.sh [SECONDS] [RUNS] [MODEL:THREADS]...: every model of ours (with its default threads,
# and once more with THREADS for each MODEL:THREADS given) against the C reference server, all driven by the C
# reference client, in one run: RUNS runs (3) of SECONDS seconds (5) each, the servers' order rotating from run to
# run; prints every run, then the medians and each one's ratio to refserver.
#   request:  refclient -m ka -n 16 -k 0 -c 100 -S 8 (keep-alive, n=16, 100 connections): requests/s, and the
#             server's CPU per request
#   greeting: refclient -c 1000 -S 8 (a connection per greeting, 1,000 clients): connections/s, and the server's
#             CPU (user + system, of its whole process group, from /proc) per connection
# Every server runs in a process group of its own (setsid) on 127.0.0.1, with its default threads, and is stopped
# at the end, on failure too. Needs a release build: swift build -c release makes refserver and refclient beside
# bench (Benchmarks/Reference/refserver, refclient).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
bench=.build/release/bench
refserver=.build/release/refserver
refclient=.build/release/refclient
for program in "$bench" "$refserver" "$refclient"; do
    [ -x "$program" ] || { echo "ratios.sh: $program is missing; build first: swift build -c release" >&2; exit 2; }
done
work=$(mktemp -d)
groups=()
cleanup() { for group in "${groups[@]}"; do kill -- "-$group" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source Benchmarks/common.sh

# group_cpu PGID: CPU seconds (user + system) used so far by the processes of that group.
group_cpu() {
    python3 - "$1" <<'PY'
import os, sys
ticks = os.sysconf("SC_CLK_TCK")
total = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if fields[2] == sys.argv[1]:
        total += (int(fields[11]) + int(fields[12])) / ticks
print(total)
PY
}

# start NAME WORKLOAD COMMAND...: starts a server in its own group; its port (which COMMAND takes as PORT) goes to
# ports[NAME WORKLOAD] and its group to leaders[NAME WORKLOAD].
declare -A ports leaders
start() {
    local name=$1 workload=$2 port
    shift 2
    port=$(free_port)
    setsid "${@//PORT/$port}" >/dev/null 2>&1 &
    groups+=($!)
    ports[$name $workload]=$port
    leaders[$name $workload]=$!
    wait_port "$port"
}

servers=(refserver $("$bench" models | cut -f1) "$@")
lifetime=$(( (seconds + 2) * runs * ${#servers[@]} * 2 + 60 ))
for workload in request greeting; do
    mode=$([ $workload = request ] && echo ka || echo oneshot)
    start refserver $workload "$refserver" -p PORT -m $mode -T $lifetime
    for server in "${servers[@]:1}"; do
        threads=()
        [[ $server == *:* ]] && threads=(--threads "${server#*:}")
        start "$server" $workload "$bench" serve --model "${server%%:*}" "${threads[@]}" --protocol $workload --port PORT
    done
done

# measure SERVER WORKLOAD: one refclient run; appends "rate cpu_us_per_item" to $work/SERVER.WORKLOAD.
measure() {
    local server=$1 workload=$2 port=${ports[$1 $2]} leader=${leaders[$1 $2]} before after line rate items
    local arguments=(-c 1000)
    [ "$workload" = request ] && arguments=(-m ka -n 16 -k 0 -c 100)
    before=$(group_cpu "$leader")
    line=$("$refclient" -p "$port" -S 8 -d "$seconds" "${arguments[@]}")
    after=$(group_cpu "$leader")
    if [ "$workload" = request ]; then
        rate=$(field "$line" reqs_per_s) items=$(field "$line" requests)
    else
        rate=$(field "$line" conns_per_s) items=$(field "$line" connections)
    fi
    awk -v r="$rate" -v b="$before" -v a="$after" -v n="$items" 'BEGIN { printf "%s %.2f\n", r, (n > 0 ? (a - b) * 1e6 / n : 0) }' \
        | tee -a "$work/$server.$workload"
}

for run in $(seq "$runs"); do
    for workload in request greeting; do
        for index in "${!servers[@]}"; do
            server=${servers[$(( (index + run) % ${#servers[@]} ))]}
            printf 'run %d %-8s %-22s ' "$run" "$workload" "$server"
            measure "$server" $workload
        done
    done
done

column_median() { cut -d' ' -f"$2" "$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
printf '%-22s %10s %6s %11s %6s %10s %6s %12s %6s\n' server "req/s" ratio "CPU us/req" ratio "conn/s" ratio \
    "CPU us/conn" ratio
ref_requests=$(column_median "$work/refserver.request" 1)
ref_request_cpu=$(column_median "$work/refserver.request" 2)
ref_connections=$(column_median "$work/refserver.greeting" 1)
ref_cpu=$(column_median "$work/refserver.greeting" 2)
for server in "${servers[@]}"; do
    requests=$(column_median "$work/$server.request" 1)
    request_cpu=$(column_median "$work/$server.request" 2)
    connections=$(column_median "$work/$server.greeting" 1)
    cpu=$(column_median "$work/$server.greeting" 2)
    printf '%-22s %10.0f %6s %11.2f %6s %10.0f %6s %12.1f %6s\n' "$server" \
        "$requests" "$(ratio "$requests" "$ref_requests")" "$request_cpu" "$(ratio "$request_cpu" "$ref_request_cpu")" \
        "$connections" "$(ratio "$connections" "$ref_connections")" "$cpu" "$(ratio "$cpu" "$ref_cpu")"
done
