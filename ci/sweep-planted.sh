#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The sweep against a planted bug (make check-sweep-planted):
#
#   ci/sweep-planted.sh SWEEP PLANTED_CRASHSIM REAL_CRASHSIM OUT_DIR [SEED]
#
# A sweep of one case run by a crashsim whose core skips a plan step must
# exit 1 and print a "reproduce:" line; that line, run alone, must exit 1;
# the same line with the real crashsim must exit 0.
set -u
sweep=$1 planted=$2 real=$3 out=$4 seed=${5:-1}
mkdir -p "$out"
log="$out/sweep.out"

"$sweep" -n 1 --seed "$seed" --policy none,pcidc --crashsim "$planted" \
    --out "$out" > "$log" 2>&1
rc=$?
if [ "$rc" -ne 1 ]; then
    cat "$log"
    echo "check-sweep-planted: the sweep exited $rc on a planted bug (want 1)"
    exit 1
fi
line=$(sed -n 's/^    reproduce: //p' "$log" | head -n 1)
if [ -z "$line" ]; then
    cat "$log"
    echo "check-sweep-planted: the sweep printed no reproducer"
    exit 1
fi
echo "check-sweep-planted: the sweep failed; its reproducer: $line"
sh -c "$line" > "$out/reproducer.out" 2>&1
rc=$?
if [ "$rc" -ne 1 ]; then
    cat "$out/reproducer.out"
    echo "check-sweep-planted: the reproducer exited $rc alone (want 1)"
    exit 1
fi
grep '^crashsim: check ' "$out/reproducer.out" | sed 's/^/  /'
# The same case with the real core: the failure is the planted bug's.
real_line=$(printf '%s\n' "$line" | sed "s#^$planted #$real #")
sh -c "$real_line" > "$out/control.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$out/control.out"
    echo "check-sweep-planted: the same case with $real exited $rc (want 0)"
    exit 1
fi
echo "check-sweep-planted: ok: planted bug caught, its reproducer fails" \
     "alone, the real core passes the same case"
