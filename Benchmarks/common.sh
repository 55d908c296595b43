# Benchmarks/common.sh: what the benchmark scripts share; sourced.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_port PORT: returns once something accepts on 127.0.0.1:PORT, fails after 10 s.
wait_port() {
    for _ in $(seq 200); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return; sleep 0.05; done
    echo "$(basename "$0"): nothing listens on port $1" >&2; exit 1
}

# field LINE KEY: the value of KEY in a line of key=value words (refclient's output).
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# median: of the numbers on standard input, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# start_nginx DIR WORKERS LISTEN [DIRECTIVES]: nginx (Debian's nginx-light) in DIR with WORKERS workers on
# 127.0.0.1:$port LISTEN (`ssl`, `http2`, ...), its port free and set in $port, `access_log off`, serving a 16-byte
# file at /bytes/16 from DIR/www with DIRECTIVES in its server block. Its pid goes on the caller's $pids, which the
# caller's trap stops. `user root`: the workers read what the master made (a mktemp -d is 0700; as nobody, 403).
start_nginx() {
    local dir=$1
    port=$(free_port)
    mkdir -p "$dir/www/bytes"
    printf '%016d' 0 >"$dir/www/bytes/16"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes $2;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $dir/body; proxy_temp_path $dir/proxy; fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
    server { listen 127.0.0.1:$port $3; root $dir/www; ${4:-} }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" >>"$dir/error.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
}

# rotate_runs LABEL COMMAND ITEM...: RUNS ($runs) runs of `COMMAND ITEM` for each item, the order rotated every run
# (so no item always runs first, or last, on a machine that warms or drifts); prints every figure and keeps them in
# $work/LABEL-ITEM, one a line, for med.
rotate_runs() {
    local label=$1 command=$2; shift 2
    local items=("$@") run index item figure
    for run in $(seq "$runs"); do
        for index in "${!items[@]}"; do
            item=${items[$(( (index + run) % ${#items[@]} ))]}
            figure=$("$command" "$item")
            echo "run $run $label $item: $figure"
            echo "$figure" >>"$work/$label-$item"
        done
    done
}

# alternate LABEL PORT TOOL...: rotate_runs of each tool's TOOL_run PORT; figures in $work/LABEL-TOOL.
alternate() { alternate_port=$2; rotate_runs "$1" run_on_alternate_port "${@:3}"; }
run_on_alternate_port() { "${1}_run" "$alternate_port"; }
med() { median <"$work/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
