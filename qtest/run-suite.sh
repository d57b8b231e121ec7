#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the QEMU scenario suites, JOBS at a time (default 2), each into its own
# log and, through ci/junit.py, its JUnit XML (BUILD_DIR/junit/qtest-*.xml);
# print the logs in a fixed order, then one summary line.
#
#   qtest/run-suite.sh BUILD_DIR
set -u
build=${1:-build}
jobs=${QTEST_JOBS:-2}
logdir="$build/qtest/logs"
mkdir -p "$logdir"
rm -f "$logdir"/*.log "$logdir"/*.rc

# name|command; the two halves of the crash scenarios run side by side.
list="scenarios-1|$build/qtest/test_scenarios 1
scenarios-2|$build/qtest/test_scenarios 2
faults|$build/qtest/test_faults"
for t in "$build"/qtest/test_*; do
    n=$(basename "$t")
    case "$n" in test_scenarios|test_faults) continue ;; esac
    [ -x "$t" ] && list="$list
${n#test_}|$t"
done

start=$(date +%s%N)
running=0
names=""
echo "$list" | {
    while IFS='|' read -r name cmd; do
        names="$names $name"
        ( python3 ci/junit.py --suite "qtest-$name" \
              --xml "$build/junit/qtest-$name.xml" --log "$logdir/$name.log" \
              -- $cmd >/dev/null 2>&1
          echo $? >"$logdir/$name.rc" ) &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    wait
}

fail=0
pass=0
for log in "$logdir"/*.log; do
    name=$(basename "$log" .log)
    echo "=== $name"
    cat "$log"
    rc=$(cat "$logdir/$name.rc" 2>/dev/null || echo 1)
    if [ "$rc" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
printf 'qtest suites: %d passed, %d failed (%d.%d s wall)\n' "$pass" "$fail" \
    $((ms / 1000)) $(((ms % 1000) / 100))
[ "$fail" -eq 0 ]
