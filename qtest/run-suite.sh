#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the QEMU scenario suites on each QEMU under test, JOBS at a time
# (default 2), each suite into its own log and, through ci/junit.py, its
# JUnit XML (BUILD_DIR/junit/qtest-SUITE@VERSION.xml); print the logs in a
# fixed order, then one summary line per QEMU and one in all.
#
#   qtest/run-suite.sh BUILD_DIR
#
# QEMUs: the system's (or $PCIDC_QEMU, as the suites take it), then
# QEMU 10 from BUILD_DIR/qemu10 (ci/qemu10.sh; `make check-qtest`
# installs it first).  QTEST_QEMU10=0 leaves the second pass out;
# QTEST_QEMU10=only runs just that one.  Logs are named SUITE@VERSION.
set -u
build=${1:-build}
jobs=${QTEST_JOBS:-2}
logdir="$build/qtest/logs"
qemu10="$PWD/$build/qemu10/qemu-system-x86_64"
mkdir -p "$logdir"
rm -f "$logdir"/*.log "$logdir"/*.rc "$logdir"/*.ms

version_of() {
    "$1" --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p'
}

# The suites, one "name|command" a line; the two halves of the crash
# scenarios run side by side, the longest suites first.
suites() {
    echo "scenarios-1|$build/qtest/test_scenarios 1"
    echo "scenarios-2|$build/qtest/test_scenarios 2"
    for t in "$build"/qtest/test_*; do
        n=$(basename "$t")
        case "$n" in test_scenarios|test_faults) continue ;; esac
        [ -x "$t" ] && echo "${n#test_}|$t"
    done
    echo "faults|$build/qtest/test_faults"
}

# passes: "label|binary" ("" binary: the default the suites pick).
sys_qemu=${PCIDC_QEMU:-qemu-system-x86_64}
passes=""
if [ "${QTEST_QEMU10:-1}" != only ]; then
    passes="$(version_of "$sys_qemu")|${PCIDC_QEMU:-}"
fi
if [ "${QTEST_QEMU10:-1}" != 0 ]; then
    if [ ! -x "$qemu10" ]; then
        echo "run-suite: $qemu10 missing (make qemu10, or QTEST_QEMU10=0)" >&2
        exit 1
    fi
    passes="$passes
$(version_of "$qemu10")|$qemu10"
fi

start=$(date +%s%N)
running=0
echo "$passes" | while IFS='|' read -r ver bin; do
    [ -n "$ver" ] || continue
    suites | sed "s#^\([^|]*\)|#\1@$ver|$bin|#"
done | {
    while IFS='|' read -r name bin cmd; do
        (
            s=$(date +%s%N)
            env ${bin:+PCIDC_QEMU=$bin} python3 ci/junit.py \
                --suite "qtest-$name" --xml "$build/junit/qtest-$name.xml" \
                --log "$logdir/$name.log" -- $cmd >/dev/null 2>&1
            echo $? >"$logdir/$name.rc"
            echo $((($(date +%s%N) - s) / 1000000)) >"$logdir/$name.ms"
        ) &
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
declare -A vpass vfail vms
for log in "$logdir"/*.log; do
    name=$(basename "$log" .log)
    ver=${name##*@}
    ms=$(cat "$logdir/$name.ms" 2>/dev/null || echo 0)
    echo "=== ${name%@*} (QEMU $ver, $((ms / 1000)).$(((ms % 1000) / 100)) s)"
    cat "$log"
    rc=$(cat "$logdir/$name.rc" 2>/dev/null || echo 1)
    vms[$ver]=$(( ${vms[$ver]:-0} + ms ))
    if [ "$rc" = 0 ]; then
        pass=$((pass + 1)); vpass[$ver]=$(( ${vpass[$ver]:-0} + 1 ))
    else
        fail=$((fail + 1)); vfail[$ver]=$(( ${vfail[$ver]:-0} + 1 ))
    fi
done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
for ver in "${!vms[@]}"; do
    printf 'qtest suites on QEMU %s: %d passed, %d failed (%d s of suite time)\n' \
        "$ver" "${vpass[$ver]:-0}" "${vfail[$ver]:-0}" $(( ${vms[$ver]} / 1000 ))
done
printf 'qtest suites: %d passed, %d failed (%d.%d s wall)\n' "$pass" "$fail" \
    $((ms / 1000)) $(((ms % 1000) / 100))
[ "$fail" -eq 0 ]
