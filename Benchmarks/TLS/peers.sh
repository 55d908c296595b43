#!/usr/bin/env bash
# Benchmarks/TLS/peers.sh [SECONDS] [RUNS]: bench over TLS beside the tools people measure TLS with, in one run,
# alternating, RUNS runs (3) of about SECONDS seconds (5) each; prints every run, the medians and the ratios.
#   1. Full handshakes per second on one nginx worker: `bench drive --tls --requests 1` against `openssl s_time -new`
#      and h2load (one request per connection), each fetching the same 16-byte file once per connection.
#   2. TLS requests per second on one nginx worker, connections kept: `bench drive --tls` against `wrk -t1 -c100`.
#   3. h2load's full handshakes per second on the epoll model (one loop) against one nginx worker, and the server CPU
#      each handshake cost (the same OpenSSL in both: what the engine and the model add to the library's cost).
# Every server gets the same certificate, ECDSA P-256, made here, and speaks TLS 1.3 with its defaults. The library's
# own cost is printed first (`openssl speed` of the server's signature and the key exchange). Everything listens on
# 127.0.0.1 and is stopped at the end, on failure too. Needs openssl, h2load, wrk, nginx and a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
runs=${2:-3}
bench=.build/release/bench
for tool in openssl h2load wrk nginx python3; do
    command -v "$tool" >/dev/null || {
        echo "peers.sh: $tool is missing (apt-get install -y openssl nghttp2-client wrk nginx-light)" >&2; exit 2; }
done
[ -x "$bench" ] || { echo "peers.sh: build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers read the certificate and the file
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

source Benchmarks/common.sh

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

# nginx: one worker, ssl, a 16-byte file at /bytes/16; its port goes to $nginx_port.
start_nginx "$work/nginx" 1 "ssl backlog=4096" \
    "ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; ssl_protocols TLSv1.2 TLSv1.3;"
nginx_port=$port

# The epoll model, one loop (as nginx's one worker), the same certificate; its port goes to $epoll_port.
epoll_port=$(free_port)
"$bench" serve --model epoll --threads 1 --protocol http --port "$epoll_port" --tls \
    --cert "$work/cert.pem" --key "$work/key.pem" >/dev/null 2>&1 &
pids+=($!)
wait_port "$epoll_port"

url() { echo "https://127.0.0.1:$1/bytes/16"; }

# Each *_run PORT prints one figure: handshakes/s (handshake runs) or requests/s (request runs).
# s_time's own rate is per second of its user CPU; the wall clock around it gives per second of the run.
s_time_run() {
    local start end count
    start=$(date +%s.%N)
    count=$(openssl s_time -connect "127.0.0.1:$1" -new -www /bytes/16 -time "$seconds" 2>/dev/null |
        awk '/connections in .* real seconds/ { print $1 }')
    end=$(date +%s.%N)
    awk -v n="$count" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
# h2load makes one connection per request when -n equals -c; they are opened at --rate per 10 ms, above what one
# worker can take on two cores, so h2load stays ahead of the server, as a closed loop would.
h2load_connections=$((seconds * 3000))
h2load_run() {
    h2load --h1 -t 1 -c "$h2load_connections" -n "$h2load_connections" -r 60 --rate-period 10ms "$(url "$1")" 2>&1 |
        awk '/^finished in/ { gsub(",", "", $4); printf "%.0f\n", $4 } /^requests:/ && $10 + $12 > 0 { bad = 1 }
             END { if (bad) print "h2load: some requests failed" > "/dev/stderr" }'
}
drive_run() {  # drive_run PORT REQUESTS: bench drive's connections/s (REQUESTS 1) or requests/s (1g)
    "$bench" drive --protocol http --tls --requests "$2" -t 1 -c 100 -d "${seconds}s" --warmup 1s --quiet \
        --out "$work/drive-csv" "$(url "$1")" >/dev/null
    python3 - "$work/drive-csv/summary.csv" "$2" <<'PY'
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
failed = int(row['failures_server']) + int(row['failures_local'])
if failed: print(f"bench drive: {failed} failures", file=sys.stderr)
print(f"{float(row['conns_per_s'] if sys.argv[2] == '1' else row['requests_per_s']):.0f}")
PY
}
drive_handshakes_run() { drive_run "$1" 1; }
drive_requests_run() { drive_run "$1" 1g; }
wrk_run() { wrk -t1 -c100 -d"${seconds}s" "$(url "$1")" | awk '/^Requests\/sec/ { printf "%.0f\n", $2 }'; }

echo "== the library alone: OpenSSL $(openssl version | cut -d' ' -f2), one core"
openssl speed -seconds 2 ecdsap256 ecdhx25519 2>/dev/null | grep -E '^ *(256 bits ecdsa|253 bits ecdh)'

echo "== 1. full handshakes/s on one nginx worker, one request each ($runs x ${seconds}s, alternating)"
alternate nginx "$nginx_port" s_time h2load drive_handshakes
for tool in s_time h2load drive_handshakes; do printf '%-18s %8.0f handshakes/s\n' "$tool" "$(med "nginx-$tool")"; done
best=$(printf '%s\n' "$(med nginx-s_time)" "$(med nginx-h2load)" | sort -n | tail -1)
echo "ratio bench drive / best of s_time and h2load: $(ratio "$(med nginx-drive_handshakes)" "$best")"

echo "== 2. TLS requests/s on one nginx worker, 100 connections kept ($runs x ${seconds}s, alternating)"
alternate nginx "$nginx_port" wrk drive_requests
for tool in wrk drive_requests; do printf '%-18s %8.0f requests/s\n' "$tool" "$(med "nginx-$tool")"; done
echo "ratio bench drive / wrk: $(ratio "$(med nginx-drive_requests)" "$(med nginx-wrk)")"

echo "== 3. h2load's full handshakes/s: the epoll model (one loop) against one nginx worker ($runs runs, alternating)"
# The server's CPU per handshake from its own clock ticks (/proc/PID/stat), the same OpenSSL on both: what the engine
# and the model add to the library's cost.
declare -A server_pid=([nginx]=$(pgrep -P "${pids[0]}" | head -1) [epoll]=${pids[1]})
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then order="epoll nginx"; else order="nginx epoll"; fi
    for server in $order; do
        port_var=${server}_port
        before=$(cpu_ticks "${server_pid[$server]}")
        figure=$(h2load_run "${!port_var}")
        after=$(cpu_ticks "${server_pid[$server]}")
        cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$h2load_connections" \
            'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
        echo "run $run h2load on $server: $figure handshakes/s, server CPU $cpu us/handshake"
        echo "$figure" >>"$work/h2load-on-$server"
        echo "$cpu" >>"$work/cpu-of-$server"
    done
done
for server in nginx epoll; do
    printf '%-18s %8.0f handshakes/s, server CPU %s us/handshake\n' "$server" "$(med "h2load-on-$server")" \
        "$(med "cpu-of-$server")"
done
echo "ratio epoll / nginx: $(ratio "$(med h2load-on-epoll)" "$(med h2load-on-nginx)")"
