#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS] [TARGET...]: builds the libFuzzer targets (Fuzz/Targets/TARGET.swift; all of them by default)
# with every module under -sanitize=fuzzer,address, then runs each for SECONDS (60 by default), one after the other.
# The committed seeds (Fuzz/corpus/TARGET) are only read: what a run adds goes to .build/fuzz/corpus/TARGET, kept
# for the next run. An input that crashes, leaks, hangs (10 s) or runs out of memory is kept in
# .build/fuzz/crashes/ and named at the end; the script then exits 1. FUZZ_SEED=N fixes libFuzzer's seed (and Swift's
# hashing, which orders what a Set or Dictionary covers), so that a run repeats the last one's mutations; FUZZ_RUNS=N
# stops each target after N inputs, so that a faster machine walks no further than a slower one (CI's run sets both).
# docs/fuzz.md says more.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for file in Fuzz/Targets/*.swift; do targets+=("$(basename "$file" .swift)"); done
fi
scratch=.build/fuzz
# A Swift trap then reaches libFuzzer's handler, which keeps the input; Swift's own backtracer reads memory that
# AddressSanitizer reports as an overflow of its own.
export SWIFT_BACKTRACE=enable=no
if [ -n "${FUZZ_SEED:-}" ]; then export SWIFT_DETERMINISTIC_HASHING=1; fi
mkdir -p "$scratch/crashes"

# -O runs the parsers 4 times as fast; -assert-config Debug keeps the messages of failed checks (and every assert);
# lld, as gold warns of every ASan symbol it cannot export. A build's log is shown only when it fails.
flags=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -O -Xswiftc -assert-config -Xswiftc Debug -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do
    [ -f "Fuzz/Targets/$target.swift" ] || { echo "no fuzz target $target (Fuzz/Targets/$target.swift)" >&2; exit 2; }
    BENCH_FUZZ=1 swift build --scratch-path "$scratch" "${flags[@]}" --product "fuzz-$target" \
        > "$scratch/build-$target.log" 2>&1 || {
        tail -n 40 "$scratch/build-$target.log"
        echo "fuzz-$target did not build" >&2
        exit 2
    }
done

dictionary() {
    case $1 in
        http-* | sessions) echo Fuzz/dict/http.dict ;;
        hlog*) echo Fuzz/dict/hlog.dict ;;
        options) echo Fuzz/dict/options.dict ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    corpus=$scratch/corpus/$target
    mkdir -p "$corpus"
    dict=$(dictionary "$target")
    log=$scratch/fuzz-$target.log
    printf '%-16s %4ss ' "$target" "$seconds"
    status=0
    "$scratch/debug/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -artifact_prefix="$scratch/crashes/$target-" ${dict:+-dict="$dict"} "$corpus" "Fuzz/corpus/$target" \
        > "$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    if [ "$status" -eq 0 ]; then
        echo "${runs:-?} inputs, ${coverage:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files"
    else
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "FAILED (exit $status): input ${input:-not written}, log $log"
        grep -m 1 -E 'failed: |Fatal error|ERROR: ' "$log" || tail -n 20 "$log"
        failed+=("$target: ${input:-$log}")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    printf 'fuzzing found a problem in %d target(s):\n' "${#failed[@]}"
    printf '  %s\n' "${failed[@]}"
    printf 'reproduce: .build/fuzz/debug/fuzz-TARGET INPUT\n'
    exit 1
fi
