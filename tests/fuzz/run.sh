#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run one libFuzzer target for a fixed time from its text corpus.
#
#   tests/fuzz/run.sh [--must-fail] DIR NAME SECONDS [LIBFUZZER ARGS...]
#
# DIR/fuzz_NAME is the fuzzer; its corpus starts as a copy of
# tests/fuzz/corpus/BASE (BASE: NAME up to a '_control' suffix) in
# DIR/corpus-NAME.  Exit 0 when it ran SECONDS without a finding.  A finding
# is saved as DIR/NAME-crash-* and printed, and the exit status is 1.
# --must-fail turns that round: the run must end in a finding (a planted
# bug found), which is printed with the time it took.
set -u
must_fail=0
if [ "${1:-}" = --must-fail ]; then
    must_fail=1
    shift
fi
dir=$1 name=$2 seconds=$3
shift 3
base=${name%_control}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$dir/corpus-$name
log=$dir/$name.log

rm -rf "$corpus" "$dir/$name"-crash-*
mkdir -p "$corpus"
cp "$here/corpus/$base"/* "$corpus"/
start=$(date +%s%N)
timeout -k 5 $((seconds + 60)) "$dir/fuzz_$name" -max_total_time="$seconds" \
    -artifact_prefix="$dir/$name-" -print_final_stats=1 "$@" "$corpus" \
    >"$log" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
found=$(ls "$dir/$name"-crash-* 2>/dev/null | head -n 1)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")

show_finding() {
    grep -m1 -E 'differ|ERROR|runtime error' "$log" | sed 's/^/  /'
    echo "  input saved as $found:"
    if grep -q . "$found" && ! LC_ALL=C grep -q '[^[:print:][:space:]]' "$found"; then
        sed 's/^/    | /' "$found"
    else
        od -A x -t x1z "$found" | head -n 8 | sed 's/^/    /'
    fi
}

if [ "$must_fail" = 1 ]; then
    if [ -n "$found" ]; then
        echo "fuzz: $name: ok: the planted difference was found after $ms ms:"
        show_finding
        exit 0
    fi
    echo "fuzz: $name: FAIL: no finding in $seconds s (the planted difference went unnoticed; log: $log)"
    exit 1
fi
if [ $rc -eq 0 ] && [ -z "$found" ]; then
    echo "fuzz: $name: ok: ${runs:-?} inputs in $seconds s, corpus $(ls "$corpus" | wc -l) files"
    exit 0
fi
echo "fuzz: $name: FAIL (exit $rc, log: $log)"
[ -n "$found" ] && show_finding
[ -z "$found" ] && tail -n 20 "$log" | sed 's/^/  /'
exit 1
