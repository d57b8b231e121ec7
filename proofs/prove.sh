#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make prove: Frama-C/WP proofs of src/pcidc.c, then the negative controls.
#
#   proofs/prove.sh            all of it; exit 0 only if every goal is proved
#                              and every negative control fails to prove
#   proofs/prove.sh --main     the proofs only
#   proofs/prove.sh --controls the negative controls only
#
# Environment: BUILD (default build), WP_TIMEOUT (s per goal and prover),
# WP_JOBS (parallel prover processes).
set -eu
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=$BUILD/proofs
WP_TIMEOUT=${WP_TIMEOUT:-5}
WP_JOBS=${WP_JOBS:-2}
what=${1:-all}
case "$what" in
all|--main|--controls) ;;
*) echo "prove: unknown argument '$what'" >&2; exit 2 ;;
esac

start=$(date +%s.%N)

ci/deps.sh prove
for tool in frama-c why3 z3 cvc4 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "prove: FAIL: '$tool' is not installed (ci/deps.sh prove)" >&2
        exit 1
    fi
done
mkdir -p "$OUT"

# Frama-C 25 reads the Why3 configuration named by WHY3CONFIG: a private
# one under build/, detected once, leaves ~/.why3.conf alone.
WHY3CONFIG=$OUT/why3.conf
export WHY3CONFIG
if ! grep -q '^name = "CVC4"' "$WHY3CONFIG" 2>/dev/null ||
   ! grep -q '^name = "Z3"' "$WHY3CONFIG" 2>/dev/null; then
    rm -f "$WHY3CONFIG"
    if ! why3 config detect >"$OUT/why3-detect.log" 2>&1; then
        echo "prove: FAIL: why3 config detect (see $OUT/why3-detect.log)" >&2
        exit 1
    fi
fi
provers=$(frama-c -wp-detect 2>&1 | grep -E '\[(cvc4|z3)\|' || true)
for p in cvc4 z3; do
    if ! printf '%s\n' "$provers" | grep -q "\[$p|"; then
        echo "prove: FAIL: Why3 does not see prover $p ($WHY3CONFIG)" >&2
        exit 1
    fi
done

# The ghost machine (proofs/pcidc_model.h) is force-included ahead of
# src/pcidc.h; the C compiler never sees it.
#
# -wp-no-volatile: the core reads and stores dc->published through volatile
# casts, because another CPU may publish a plan while one crashes.  WP's
# sound volatile model would make every such read return an arbitrary
# pointer.  These proofs are of the sequential semantics (one CPU, the plan
# published before the crash); the proof that plan building only fills the
# spare plan (pcidc_plan_build's 'assigns') is what the concurrent case
# rests on.  No other volatile access exists in src/.
#
# CVC4 goes first: Z3 4.8.12 answers "Unknown error" or times out on
# several quantified goals that CVC4 proves in well under a second.
wp_opts="-machdep gcc_x86_64 -cpp-extra-args=-include,proofs/pcidc_model.h,-Isrc
 -warn-unsigned-overflow -warn-signed-downcast
 -wp -wp-rte -wp-no-volatile -wp-prover cvc4,z3
 -wp-timeout $WP_TIMEOUT -wp-par $WP_JOBS"

# run_wp NAME SOURCE [FUNCTIONS]: log in $OUT/NAME.log, report NAME.json.
run_wp()
{
    run_name=$1 run_src=$2 run_fcts=${3:-}
    rm -f "$OUT/$run_name.json"
    # shellcheck disable=SC2086
    if ! frama-c $wp_opts ${run_fcts:+-wp-fct "$run_fcts"} \
            -wp-report-json "$OUT/$run_name.json" "$run_src" \
            >"$OUT/$run_name.log" 2>&1 || [ ! -s "$OUT/$run_name.json" ]; then
        echo "prove: FAIL: frama-c did not run on $run_src (see $OUT/$run_name.log):" >&2
        grep -E 'error|Error' "$OUT/$run_name.log" | head -5 >&2
        return 1
    fi
}

status=0

if [ "$what" != --controls ]; then
    echo "prove: WP on src/pcidc.c: CVC4 + Z3, $WP_TIMEOUT s per goal, $WP_JOBS jobs"
    run_wp main src/pcidc.c "${PROVE_FCTS:-}" || exit 1
    if ! python3 proofs/wp_summary.py "$OUT/main.json"; then
        echo "prove: FAIL: unproved goals (details in $OUT/main.log)"
        status=1
    fi
fi

if [ "$what" != --main ]; then
    echo "prove: negative controls (broken copies in $OUT/controls/): each must FAIL to prove"
    python3 proofs/controls.py src/pcidc.c "$OUT/controls" || exit 1
    tab=$(printf '\t')
    while IFS="$tab" read -r name fcts regex what_it_breaks; do
        run_wp "control-$name" "$OUT/controls/$name.c" "$fcts" || exit 1
        if verdict=$(python3 proofs/wp_summary.py "$OUT/control-$name.json" \
                        --control "$regex"); then
            printf '  %-15s fails to prove, as it must: %s\n    (%s)\n' \
                "$name" "$what_it_breaks" "$verdict"
        else
            printf '  %-15s PROVED (or failed elsewhere) although broken: %s\n    (%s)\n' \
                "$name" "$what_it_breaks" "$verdict"
            status=1
        fi
    done <"$OUT/controls/controls.tsv"
fi

end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
if [ $status -eq 0 ]; then
    echo "prove: ok ($secs s)"
else
    echo "prove: FAIL ($secs s)"
fi
exit $status
