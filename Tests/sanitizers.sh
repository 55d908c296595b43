#!/usr/bin/env bash
# Tests/sanitizers.sh [thread|address]...: the tests again under ThreadSanitizer (the servers' and the driver's, the
# threaded code) and AddressSanitizer with LeakSanitizer (all of them), each in its own build (.build/tsan,
# .build/asan); both by default. Too long for .ci/run on two cores (each is a first build of everything, SwiftNIO
# included, then a suite that runs several times slower), so it is run by hand before a change to threads or memory
# lands; docs/sanitizers.md has the last run's figures and what its reports were.
#
# The verdict is the sanitizer's reports. Every process writes its own to a file under REPORTS (a bench serve or
# bench drive that a test started, whose stderr the test may not show, as well as the test process), and the run
# fails when there is one. The tests' own verdicts are plain `swift test`'s: the sanitizers run code 2 to 15 times
# slower, and the tests that assert how long something takes fail for that alone, so their failures here are listed,
# not judged. A memory error or a race that breaks a test writes a report too.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)
failed=0
for sanitizer in "${sanitizers[@]}"; do
    case $sanitizer in
        thread) scratch=.build/tsan filter=(--filter 'ServersTests|DriverTests') ;;
        address) scratch=.build/asan filter=() ;;
        *) echo "sanitizers.sh: no sanitizer '$sanitizer' (thread or address)" >&2; exit 2 ;;
    esac
    reports=$scratch/reports
    rm -rf "$reports"
    mkdir -p "$reports"
    log=$scratch/test.log
    printf '== %s sanitizer: swift test %s (%s)\n' "$sanitizer" "${filter[*]}" "$(date -u +%H:%M:%S)"
    status=0
    # Swift's backtracer reads memory in ways AddressSanitizer reports as its own; the sanitizer's report says where.
    # Tests/lsan.supp: leaks of others' code, and the one made on purpose.
    SWIFT_BACKTRACE=enable=no \
        TSAN_OPTIONS="log_path=$PWD/$reports/report:halt_on_error=0:second_deadlock_stack=1" \
        ASAN_OPTIONS="log_path=$PWD/$reports/report:detect_leaks=1" \
        LSAN_OPTIONS="suppressions=$PWD/Tests/lsan.supp:print_suppressions=0" \
        swift test --scratch-path "$scratch" --sanitize="$sanitizer" "${filter[@]}" > "$log" 2>&1 || status=$?
    tail -n 1 "$log"
    if [ "$status" -ne 0 ]; then
        echo "$sanitizer: swift test exited $status; the tests that failed under the sanitizer's slowdown:"
        grep -E '^✘ Test .* failed after' "$log" | grep -v '^✘ Test run with' | sed 's/^✘ Test /  /; s/ failed after.*//' \
            || true
    fi
    count=$(find "$reports" -type f | wc -l)
    if [ "$count" -gt 0 ]; then
        failed=1
        echo "$sanitizer: $count report file(s) in $reports; the tests' output: $log"
        for report in "$reports"/*; do grep -m 2 -E '^(WARNING|SUMMARY|==[0-9]+==ERROR)' "$report"; done
    elif grep -q 'Test run with' "$log"; then
        echo "$sanitizer: no report"
    else
        failed=1
        echo "$sanitizer: the tests did not run to their end (a build failure?): $log"
    fi
done
exit "$failed"
