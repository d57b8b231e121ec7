#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ci/coverage.sh DIR          run DIR/test_core, write an lcov HTML report to DIR/
# ci/coverage.sh --gate DIR   also fail unless src/ has 100% of lines and branches
set -eu
gate=0
if [ "$1" = "--gate" ]; then gate=1; shift; fi
dir=$1
top=$(pwd)
lcov_opts="--rc lcov_branch_coverage=1 --quiet"

find "$dir/obj" -name '*.gcda' -delete
"$dir/test_core" > "$dir/test_core.log" 2>&1 || { cat "$dir/test_core.log"; exit 1; }
# lcov 1.16 on Debian 12 warns "Subroutine ... redefined": noise, not
# findings.  Its status is kept (no pipe), and no earlier report survives.
rm -f "$dir/all.info" "$dir/src.info"
rc=0
lcov $lcov_opts --capture --directory "$dir/obj" --output-file "$dir/all.info" \
    2>"$dir/lcov.err" || rc=$?
grep -v "redefined at" "$dir/lcov.err" >&2 || true
[ "$rc" = 0 ] || { echo "coverage: lcov failed ($rc)" >&2; exit 1; }
[ -s "$dir/all.info" ] || { echo "coverage: lcov captured nothing" >&2; exit 1; }
lcov $lcov_opts --extract "$dir/all.info" "$top/src/*" --output-file "$dir/src.info"
genhtml --branch-coverage --quiet --output-directory "$dir/html" "$dir/src.info" >/dev/null
summary=$(lcov --rc lcov_branch_coverage=1 --summary "$dir/src.info" 2>&1)
echo "coverage of src/ (report: $dir/html/index.html):"
printf '%s\n' "$summary" | grep -E 'lines|functions|branches'

[ "$gate" = 1 ] || exit 0
for what in lines branches; do
    pct=$(printf '%s\n' "$summary" | awk -v w="$what" '$1 ~ w {print $2}')
    if [ "$pct" != "100.0%" ]; then
        echo "coverage gate: FAIL: src/ $what at $pct, 100.0% required" >&2
        exit 1
    fi
done
echo "coverage gate: ok (100.0% lines and branches)"
