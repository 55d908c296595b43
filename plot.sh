#!/usr/bin/env bash
# plot.sh results/NAME: draws PNG charts from a `bench compare` run with gnuplot, next to its CSV files.
#   throughput.png       connections/s (greeting) or requests/s (request) vs clients, one line per model
#   p99.png              p99 total latency vs clients
#   failures.png         failed connections (% of attempts) vs clients
#   latency-CLIENTS.png  latency spectrum per client count (x = 1/(1-p), as HdrHistogram plots it)
#   timeline-CLIENTS.png requests per second over the run, repetition 1
#   offered-CLIENTS.png  an open loop's (--rate) offered and achieved rate, and p99, per second, repetition 1
# Figures over repetitions are medians, but for failures: those are summed over them, as in bench compare's table.
# A `bench knee` directory (knee.csv) gets its own charts instead:
#   knee-MODEL.png       p50, p99 and p99.9 total latency vs offered load (log y), the objective and the knee marked
#   knee-p99.png         the objective's percentile vs offered load, one line per model
#   achieved.png         achieved vs offered load, one line per model
set -euo pipefail

usage() { echo "usage: ./plot.sh results/NAME   (a directory written by bench compare or bench knee)" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=${1%/}
for file in summary.csv latency.csv timeline.csv; do
    [ -f "$dir/$file" ] || { echo "plot.sh: $dir/$file is missing: is $dir a bench compare result?" >&2; exit 2; }
done
if ! command -v gnuplot >/dev/null; then
    echo "plot.sh: gnuplot is not installed; install it with: sudo apt-get install -y gnuplot-nox" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# csv FILE 'awk program': runs awk over a CSV file with its fields split as RFC 4180 says (quoted commas stay
# in their field) and `col["name"]` giving a column's index by its header name.
csv() {
    awk -v FS='\x1f' "$(cat <<'AWK'
function split_csv(line,    out, i, c, quoted, field, n) {
    n = 0; field = ""; quoted = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (quoted) {
            if (c == "\"" && substr(line, i + 1, 1) == "\"") { field = field "\""; i++ }
            else if (c == "\"") quoted = 0
            else field = field c
        } else if (c == "\"") quoted = 1
        else if (c == ",") { out[++n] = field; field = "" }
        else field = field c
    }
    out[++n] = field
    return n
}
function median(list,    parts, n, i, j, v) {
    n = split(list, parts, " ")
    for (i = 2; i <= n; i++) {  # insertion sort: a handful of repetitions, and mawk has no asort
        v = parts[i] + 0
        for (j = i - 1; j >= 1 && parts[j] + 0 > v; j--) parts[j + 1] = parts[j]
        parts[j + 1] = v
    }
    return n % 2 ? parts[(n + 1) / 2] : (parts[n / 2] + parts[n / 2 + 1]) / 2
}
NR == 1 { n = split_csv($0, f); for (i = 1; i <= n; i++) col[f[i]] = i; next }
{ split_csv($0, f) }
AWK
)$2" "$1"
}

# One data file per model: "clients value" lines from the summary rows whose status is ok (a client mix's profile
# rows are parts of their cell's row and left out). With one awk
# expression over a row: its median over the repetitions. With two: 100 x the sum of the first over the sum of
# the second, over all repetitions, so that failures in one repetition of three are not hidden by a median.
series() {
    local name=$1 expr=$2 per=${3:-0} pooled=$(($# == 3))
    csv "$dir/summary.csv" "
f[col[\"status\"]] == \"ok\" && (!(\"profile\" in col) || f[col[\"profile\"]] == \"\") {
    key = f[col[\"model\"]] SUBSEP f[col[\"clients\"]]; values[key] = values[key] \" \" ($expr)
    sums[key] += ($expr); totals[key] += ($per) }
END { for (key in values) { split(key, k, SUBSEP)
    value = $pooled ? (totals[key] > 0 ? 100 * sums[key] / totals[key] : 0) : median(values[key])
    print k[2], value > \"$work/$name.\" k[1] } }"
    for file in "$work/$name".*; do [ -f "$file" ] && sort -n -o "$file" "$file"; done
}

# Models in the registry's order, each with its line style: its place in the registry (meta.csv's `line_styles`,
# written by bench compare), so that a model keeps its colour from one run to the next whatever --models says.
# A directory without them (older runs) numbers its models in the order they appear.
styles=$( ([ -f "$dir/meta.csv" ] && csv "$dir/meta.csv" 'f[col["key"]] == "line_styles" { print f[col["value"]] }' | tr ' ' '\n' | grep .) ||
    csv "$dir/summary.csv" '{ if (!(f[col["model"]] in seen)) { seen[f[col["model"]]]; print f[col["model"]] ":" ++n } }')
styles=$(echo "$styles" | sort -t: -k2 -n)
models=$(echo "$styles" | cut -d: -f1)
# style MODEL: the gnuplot linetype of MODEL.
style() { echo "lt $(echo "$styles" | awk -F: -v m="$1" '$1 == m { print $2 }')"; }
protocol=$(csv "$dir/summary.csv" '{ print f[col["protocol"]]; exit }')
rate_column=$([ "$protocol" = greeting ] && echo conns_per_s || echo requests_per_s)
rate_label=$([ "$protocol" = greeting ] && echo "connections/s" || echo "requests/s")

common='set terminal pngcairo size 960,600 font "sans,11"; set grid; set key outside right top box;'

# bench knee: the steps of each model's search, by offered rate.
if [ -f "$dir/knee.csv" ]; then
    for model in $models; do
        csv "$dir/knee.csv" "f[col[\"model\"]] == \"$model\" { print f[col[\"offered_per_s\"]], \
            f[col[\"total_p50_us\"]] / 1000, f[col[\"total_p99_us\"]] / 1000, f[col[\"total_p999_us\"]] / 1000, \
            f[col[\"achieved_per_s\"]], f[col[\"percentile_us\"]] / 1000 }" | sort -n > "$work/knee.$model"
    done
    objective=$(csv "$dir/knee.csv" '{ print f[col["objective"]]; exit }')
    objective_ms=$(csv "$dir/knee.csv" '{ print f[col["objective_us"]] / 1000; exit }')
    against_load="set logscale x; set xlabel '$rate_label offered (log scale)'; set format x '%.0s%c';"
    for model in $models; do
        [ -s "$work/knee.$model" ] || continue
        knee=$(csv "$dir/capacity.csv" "f[col[\"model\"]] == \"$model\" { print f[col[\"capacity_per_s\"]] }")
        mark=""
        if [ -n "$knee" ]; then
            mark="set arrow from $knee, graph 0 to $knee, graph 1 nohead dt 2 lw 2 lc rgb 'black';
                set label 'knee $knee/s' at $knee, graph 0.95 offset 0.5, 0;"
        fi
        gnuplot -e "$common $against_load set output '$dir/knee-$model.png'; \
            set title 'Latency vs offered load: $model ($protocol protocol, objective $objective)'; \
            set ylabel 'total latency, corrected (ms, log scale)'; set logscale y; $mark \
            plot '$work/knee.$model' using 1:2 with linespoints lw 2 pt 7 title 'p50', \
                '' using 1:3 with linespoints lw 2 pt 7 title 'p99', '' using 1:4 with linespoints lw 2 pt 7 title 'p99.9', \
                $objective_ms with lines dt 3 lw 2 lc rgb 'red' title 'objective'"
        echo "$dir/knee-$model.png"
    done
    plots="" achieved=""
    for model in $models; do
        [ -s "$work/knee.$model" ] || continue
        plots+="${plots:+, }'$work/knee.$model' using 1:6 with linespoints $(style "$model") lw 2 pt 7 title '$model'"
        achieved+="${achieved:+, }'$work/knee.$model' using 1:5 with linespoints $(style "$model") lw 2 pt 7 title '$model'"
    done
    [ -n "$plots" ] || { echo "plot.sh: $dir/knee.csv has no steps" >&2; exit 1; }
    gnuplot -e "$common $against_load set output '$dir/knee-p99.png'; \
        set title 'The objective percentile vs offered load ($protocol protocol, objective $objective)'; \
        set ylabel 'latency, corrected (ms, log scale)'; set logscale y; \
        plot $plots, $objective_ms with lines dt 3 lw 2 lc rgb 'red' title 'objective'"
    echo "$dir/knee-p99.png"
    gnuplot -e "$common $against_load set output '$dir/achieved.png'; \
        set title 'Achieved vs offered load ($protocol protocol)'; set ylabel '$rate_label achieved (log scale)'; \
        set logscale y; set format y '%.0s%c'; plot $achieved, x with lines dt 3 lc rgb 'gray' title 'offered'"
    echo "$dir/achieved.png"
    exit 0
fi

series throughput "f[col[\"$rate_column\"]]"
series p99 'f[col["total_p99_us"]] / 1000'
series failures 'f[col["failures_server"]]' 'f[col["conns_attempted"]]'

# Charts against clients: log x, and a one-count comparison gets room around its count instead of an empty range.
client_counts=$(csv "$dir/summary.csv" '{ print f[col["clients"]] }' | sort -un)
against_clients="set logscale x; set xlabel 'concurrent clients (log scale)';"
if [ "$(echo "$client_counts" | wc -l)" -eq 1 ]; then
    against_clients+=" set xrange [$((client_counts / 2)):$((client_counts * 2))];"
fi
# plot_lines OUTPUT NAME "title" "y label" "extra settings": one line per model from series NAME, against clients.
plot_lines() {
    local output=$1 name=$2 title=$3 ylabel=$4 extra=$5 plots=""
    for model in $models; do
        [ -f "$work/$name.$model" ] || continue
        plots+="${plots:+, }'$work/$name.$model' using 1:2 with linespoints $(style "$model") lw 2 pt 7 title '$model'"
    done
    [ -n "$plots" ] || { echo "plot.sh: no ok rows for $output" >&2; return; }
    gnuplot -e "$common $against_clients set output '$dir/$output'; set title '$title'; \
        set ylabel '$ylabel'; $extra plot $plots"
    echo "$dir/$output"
}

plot_lines throughput.png throughput "Throughput by model ($protocol protocol, median of repetitions)" \
    "$rate_label" "set yrange [0:*]; set format y '%.0s%c';"
plot_lines p99.png p99 "p99 total latency by model ($protocol protocol)" \
    "p99 latency (ms, log scale)" "set logscale y;"
# No failures at all would make an empty y range: give it 0-1% then.
failure_range=$(awk '$2 > 0 { found = 1 } END { print found ? "[0:*]" : "[0:1]" }' "$work"/failures.*)
plot_lines failures.png failures "Failed connections by model ($protocol protocol, all repetitions)" \
    "failed connections (% of attempts)" "set yrange $failure_range;"

# Latency spectrum: one chart per client count, one line per model, the total latency of every repetition merged.
for clients in $(csv "$dir/latency.csv" '{ print f[col["clients"]] }' | sort -un); do
    plots=""
    for model in $models; do
        file="$work/spectrum.$clients.$model"
        csv "$dir/latency.csv" "f[col[\"clients\"]] == \"$clients\" && f[col[\"model\"]] == \"$model\" &&
            f[col[\"metric\"]] == \"total\" && f[col[\"percentile\"]] + 0 < 100 {
            print f[col[\"inverse_tail\"]], f[col[\"value_us\"]] / 1000 }" > "$file"
        [ -s "$file" ] && plots+="${plots:+, }'$file' using 1:2 with lines $(style "$model") lw 2 title '$model'"
    done
    [ -n "$plots" ] || continue
    gnuplot -e "$common set output '$dir/latency-$clients.png'; \
        set title 'Latency by percentile, $clients clients ($protocol protocol)'; \
        set xlabel 'percentile'; set ylabel 'total latency (ms, log scale)'; set logscale xy; \
        set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000); \
        plot $plots"
    echo "$dir/latency-$clients.png"
done

# Timeline: requests per second over the measured run, repetition 1, one chart per client count.
for clients in $(csv "$dir/timeline.csv" '{ print f[col["clients"]] }' | sort -un); do
    plots=""
    for model in $models; do
        file="$work/timeline.$clients.$model"
        csv "$dir/timeline.csv" "f[col[\"clients\"]] == \"$clients\" && f[col[\"model\"]] == \"$model\" &&
            f[col[\"repetition\"]] == \"1\" { print f[col[\"second\"]], f[col[\"requests\"]], f[col[\"failures\"]] }" \
            > "$file"
        [ -s "$file" ] && plots+="${plots:+, }'$file' using 1:2 with linespoints $(style "$model") lw 2 pt 7 title '$model'"
    done
    [ -n "$plots" ] || continue
    gnuplot -e "$common set output '$dir/timeline-$clients.png'; \
        set title 'Requests per second over the run, $clients clients, repetition 1 ($protocol protocol)'; \
        set xlabel 'second of the measured run'; set ylabel 'requests/s'; set xrange [0:*]; set yrange [0:*]; \
        set format y '%.0s%c'; plot $plots"
    echo "$dir/timeline-$clients.png"
done

# Open loop (--rate): offered against achieved, and the p99, second by second, repetition 1, one chart per client
# count. The offered line is the schedule's, the same for every model. Older directories have no `offered` column.
if csv "$dir/timeline.csv" '"offered" in col && f[col["offered"]] != "" { found = 1; exit } END { exit !found }'; then
    for clients in $(csv "$dir/timeline.csv" '{ print f[col["clients"]] }' | sort -un); do
        offered="" achieved="" p99=""
        for model in $models; do
            file="$work/offered.$clients.$model"
            csv "$dir/timeline.csv" "f[col[\"clients\"]] == \"$clients\" && f[col[\"model\"]] == \"$model\" &&
                f[col[\"repetition\"]] == \"1\" && f[col[\"offered\"]] != \"\" {
                print f[col[\"second\"]], f[col[\"offered\"]], f[col[\"requests\"]], f[col[\"p99_us\"]] / 1000 }" > "$file"
            [ -s "$file" ] || continue
            [ -n "$offered" ] || offered="'$file' using 1:2 with lines dt 2 lw 2 lc rgb 'black' title 'offered'"
            achieved+="'$file' using 1:3 with linespoints $(style "$model") lw 2 pt 7 title '$model', "
            p99+="${p99:+, }'$file' using 1:4 with linespoints $(style "$model") lw 2 pt 7 title '$model'"
        done
        [ -n "$offered" ] || continue
        gnuplot -e "$common set terminal pngcairo size 960,900 font 'sans,11'; set output '$dir/offered-$clients.png'; \
            set multiplot layout 2,1 title 'Offered and achieved load per second, $clients clients, repetition 1 ($protocol protocol)'; \
            set xlabel 'second of the measured run'; set xrange [0:*]; \
            set ylabel '$rate_label'; set yrange [0:*]; set format y '%.0s%c'; plot $achieved$offered; \
            set ylabel 'p99 total latency (ms, log scale)'; set logscale y; set yrange [*:*]; set format y '%g'; plot $p99; \
            unset multiplot"
        echo "$dir/offered-$clients.png"
    done
fi
