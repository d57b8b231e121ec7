#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Frama-C/WP proofs of the core (src/crash.c, src/plan.c).
#
#   proofs/prove.sh           make prove: the crash path, the port contracts
#                             and accessors, the ACSL lemmas, then the
#                             negative controls (broken copies of the crash
#                             path that must FAIL to prove)
#   proofs/prove.sh --build   make prove-build: plan building
#   proofs/prove.sh --job N   one WP run (used by the two above)
#
# Exit 0 only if every goal is proved and every control fails as intended;
# non-zero also when a tool is missing.  Environment: BUILD (default build),
# WP_STEPS and WP_BUILD_STEPS (CVC4 steps per goal of make prove and of
# make prove-build, default 300000 and 2000000), WP_JOBS (Frama-C processes
# at once, default 2; each runs one prover process at a time), CORE_SRC
# (the core's sources, default src/*.c; the Makefile passes its list).
set -eu
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=$BUILD/proofs
WP_JOBS=${WP_JOBS:-2}
# CVC4 resource steps per goal (see Provers below); WP_WALL (s) is only a
# backstop.
WP_STEPS=${WP_STEPS:-300000}
WP_BUILD_STEPS=${WP_BUILD_STEPS:-2000000}
WP_WALL=${WP_WALL:-120}
WHY3CONFIG=$OUT/why3.conf
CORE_SRC=${CORE_SRC:-$(echo src/*.c)}
export WHY3CONFIG BUILD WP_STEPS WP_BUILD_STEPS WP_WALL CORE_SRC

# The crash loop alone is a third of make prove's CPU time (WP's VC
# generation for its contract takes most of it): its own job, so that the
# two job slots finish together.
CRASH_FCTS=step_value,read_published,pcidc_plan_published,pcidc_describe,pcidc_strerror,publish_plan,crash_started
BUILD_JOBS="build-sort build-paint build-plan"

# The contracts' vocabulary (proofs/pcidc_model.h) is force-included ahead
# of the core's sources; the C compiler never sees it.  Every job reads the
# whole core (every file of CORE_SRC, linked by Frama-C), so that a call
# into another file is checked against the contract WP proves there.
# -aggressive-merging: the static inline read_published() of
# src/pcidc_internal.h is one function, not one renamed copy per file.
#
# -wp-no-volatile: the core reads and stores dc->published through volatile
# casts, because another CPU may publish a plan while one crashes.  WP's
# sound volatile model makes every such read return an arbitrary pointer.
# These proofs are of the sequential semantics (one CPU; the plan published
# before the crash).  What the concurrent case rests on is proved too:
# pcidc_plan_build assigns only the spare plan, never the published one.
# No other volatile access exists in src/.
#
# Provers: CVC4 alone, under a limit of its resource steps rather than a
# time-out, so that a loaded machine cannot fail a goal (it did: goals of
# 0.1 s timed out at 5 s while other jobs ran).  Z3 4.8.12 was tried on
# every goal CVC4 left: it proved none (its answers carry a trigger
# warning that Why3 reads as "Unknown error"), and ran out of memory under a
# step limit.  The hardest goal of make prove takes 75000 steps (the number
# after each goal's time in build/proofs/*.log), WP_STEPS leaves four times
# that; plan building's hardest take 820000 (pcidc_plan_build's core) and
# 1130000 (build_order's dma_off), WP_BUILD_STEPS leaves 2000000.  For the lemmas
# proved by a WP tactic, WP first tries the prover on the lemma as it
# stands (CVC4 answers "unknown" at once), then applies the tactic.
# The negative controls run under their suite's limit: a broken goal is
# false, so no prover proves it; wp_summary.py checks that the correct
# code's report has each targeted goal proved by Qed or by one of the
# control's provers, so that the control shows a lost property, not a
# weaker prover.
wp_opts()
{
    printf '%s\n' "-machdep gcc_x86_64
 -cpp-extra-args=-include,proofs/pcidc_model.h,-Isrc -aggressive-merging
 -warn-unsigned-overflow -warn-signed-downcast
 -wp -wp-rte -wp-no-volatile -wp-prover $(job_provers "$1")
 $(job_limits "$1") -wp-par 1"
}

job_provers()
{
    echo cvc4
}

job_limits()
{
    case "$1" in
    build-*) echo "-wp-steps $WP_BUILD_STEPS -wp-timeout $WP_WALL" ;;
    *) echo "-wp-steps $WP_STEPS -wp-timeout $WP_WALL" ;;
    esac
}

# job_args NAME: the source and the WP selection of job NAME.
job_args()
{
    case "$1" in
    lemma-byte)   echo "$CORE_SRC -wp-prop=pcidc_byte" ;;
    lemma-bits)   echo "$CORE_SRC -wp-prop=pcidc_byte_bits,pcidc_and16_low,pcidc_and16_high -wp-auto wp:bitrange" ;;
    lemma-shifts) echo "$CORE_SRC -wp-prop=pcidc_shl9,pcidc_shr16 -wp-auto wp:bitshift" ;;
    lemma-command) echo "$CORE_SRC -wp-prop=pcidc_rmw_disconnects,pcidc_master_bits,pcidc_intx_bits,pcidc_default_masks_ok,pcidc_made_disconnects" ;;
    crash)        echo "$CORE_SRC -wp-fct pcidc_crash_disconnect" ;;
    crash-step)   echo "$CORE_SRC -wp-fct $CRASH_FCTS" ;;
    build-sort)   echo "$CORE_SRC -wp-fct radix_pass,sort_by_key,order_by_input" ;;
    build-paint)  echo "$CORE_SRC -wp-fct paint_get,paint_bridge,find_parents,mark_preserved,check_duplicates" ;;
    build-plan)   echo "$CORE_SRC -wp-fct check_func,check_funcs,check_policy,order_bridges_first,fill_plan,build_order,pcidc_plan_build" ;;
    control-*|build-control-*)
        # The copy of the whole core in which controls.py broke one file.
        name=${1#*control-}
        sel=$(awk -F'\t' -v n="$name" '$1 == n { print "-wp-fct", $2, $3 }' \
                  "$OUT/controls/controls.tsv" "$OUT/controls/controls-build.tsv")
        [ -n "$sel" ] || return 1
        copy=
        for f in $CORE_SRC; do
            copy="$copy $OUT/controls/$name/$(basename "$f")"
        done
        echo "$copy $sel" ;;
    *) return 1 ;;
    esac
}

# run_job NAME: one Frama-C run; report in $OUT/NAME.json, log NAME.log.
run_job()
{
    if ! args=$(job_args "$1"); then
        echo "prove: unknown job '$1'" >&2
        return 2
    fi
    rm -f "$OUT/$1.json"
    # shellcheck disable=SC2046,SC2086
    if ! frama-c $(wp_opts "$1") $args -wp-report-json "$OUT/$1.json" \
            >"$OUT/$1.log" 2>&1 || [ ! -s "$OUT/$1.json" ]; then
        echo "prove: FAIL: frama-c did not complete job $1 (see $OUT/$1.log):" >&2
        grep -iE 'error' "$OUT/$1.log" | head -5 >&2
        return 1
    fi
}

if [ "${1:-}" = --job ]; then
    run_job "$2"
    exit $?
fi

what=${1:-prove}
case "$what" in
prove|--build) ;;
*) echo "prove: unknown argument '$what'" >&2; exit 2 ;;
esac

start=$(date +%s.%N)
ci/deps.sh prove
for tool in frama-c why3 cvc4 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "prove: FAIL: '$tool' is not installed (ci/deps.sh prove)" >&2
        exit 1
    fi
done
mkdir -p "$OUT"

# Frama-C 25 reads the Why3 configuration named by WHY3CONFIG: a private
# one under build/, detected once, leaves ~/.why3.conf alone.
if ! grep -q '^name = "CVC4"' "$WHY3CONFIG" 2>/dev/null; then
    rm -f "$WHY3CONFIG"
    if ! why3 config detect >"$OUT/why3-detect.log" 2>&1; then
        echo "prove: FAIL: why3 config detect (see $OUT/why3-detect.log)" >&2
        exit 1
    fi
fi
provers=$(frama-c -wp-detect 2>&1 | grep -E '\[cvc4\|' || true)
for p in cvc4; do
    if ! printf '%s\n' "$provers" | grep -q "\[$p|"; then
        echo "prove: FAIL: Why3 does not see prover $p ($WHY3CONFIG)" >&2
        exit 1
    fi
done

# shellcheck disable=SC2086
python3 proofs/controls.py "$OUT/controls" $CORE_SRC || exit 1
if [ "$what" = prove ]; then
    table=$OUT/controls/controls.tsv
    prefix=control-
    controls=$(cut -f1 "$table" | sed "s/^/$prefix/")
    # Longest first, so that the job slots finish together.
    jobs="crash crash-step lemma-bits lemma-shifts lemma-command $controls lemma-byte"
    reports="crash crash-step lemma-byte lemma-bits lemma-shifts lemma-command"
    title="crash path, port contracts, lemmas"
else
    table=$OUT/controls/controls-build.tsv
    prefix=build-control-
    controls=$(cut -f1 "$table" | sed "s/^/$prefix/")
    jobs="$BUILD_JOBS $controls"
    reports=$BUILD_JOBS
    title="plan building"
fi

echo "prove: WP on $CORE_SRC ($title): $(job_provers "${jobs%% *}") ($(job_limits "${jobs%% *}")), $WP_JOBS jobs"
# shellcheck disable=SC2086
if ! printf '%s\n' $jobs | xargs -P "$WP_JOBS" -n 1 proofs/prove.sh --job; then
    echo "prove: FAIL: a Frama-C run did not complete"
    exit 1
fi

status=0
# shellcheck disable=SC2086
if ! python3 proofs/wp_summary.py $(for r in $reports; do echo "$OUT/$r.json"; done); then
    echo "prove: FAIL: unproved goals (details in $OUT/*.log)"
    status=1
fi

if [ -n "$controls" ]; then
    echo "prove: negative controls (broken copies in $OUT/controls/): each must FAIL to prove"
    tab=$(printf '\t')
    while IFS="$tab" read -r name fcts select regex what_it_breaks; do
        # shellcheck disable=SC2046,SC2086
        if verdict=$(python3 proofs/wp_summary.py --control "$regex" \
                        "$OUT/$prefix$name.json" \
                        $(for r in $reports; do echo "$OUT/$r.json"; done)); then
            printf '  %-15s fails, as it must: %s\n      %s\n' \
                "$name" "$what_it_breaks" "$verdict"
        else
            printf '  %-15s DID NOT FAIL AS EXPECTED: %s\n      %s\n' \
                "$name" "$what_it_breaks" "$verdict"
            status=1
        fi
    done <"$table"
fi

end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
if [ $status -eq 0 ]; then
    echo "prove: ok ($secs s)"
else
    echo "prove: FAIL ($secs s)"
fi
exit $status
