#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The core's ACSL contracts checked at run time with E-ACSL (Frama-C 25).
#
#   proofs/eacsl/eacsl.sh bundle DIR CORE.c...
#       instrument the core's files CORE.c... with proofs/eacsl/shim.c in
#       one Frama-C run and write DIR/libpcidc_eacsl.a: the instrumented
#       core, the shim (checked entry points, main) and the E-ACSL runtime.
#       An application compiles its own code with 'eacsl.sh app-cflags' and
#       links the library ahead of its other objects and libraries, then
#       'eacsl.sh ldlibs'.
#   proofs/eacsl/eacsl.sh check
#       bundle the core (CORE_SRC, default src/*.c), run the driver's
#       crash-path scenarios (every contract must hold), then bundle broken
#       copies of the core and run the driver on each: every one must be
#       stopped by an E-ACSL violation.
#
# e-acsl-gcc.sh is not packaged in Debian 12: this is its work done by hand.
set -eu
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=$BUILD/eacsl
CC=${CC:-gcc}
CORE_SRC=${CORE_SRC:-$(echo src/*.c)}
# Where frama-c-base keeps the E-ACSL runtime (asked only when building).
ea_share() { echo "$(frama-c -print-share-path)/e-acsl"; }
ea_lib() { echo "$(frama-c -print-lib-path)/e-acsl/libeacsl-dlmalloc.a"; }

# Ghost machine sizes at run time: every function of segment 0, the first
# 64 bytes of config space (COMMAND is all the core writes), 64 Ki writes.
GHOST="-DPCIDC_G_SBDFS=0x10000 -DPCIDC_G_REGS=0x40 -DPCIDC_G_LOG_MAX=0x10000"
# The core's port calls that go through the shim, under their contracts.
RENAME_PORT="-Dpcidc_port_conf_write16=pcidc_eacsl_conf_write16
 -Dpcidc_port_crash_read16=pcidc_eacsl_crash_read16
 -Dpcidc_port_conf_read32=pcidc_eacsl_conf_read32
 -Dpcidc_port_test_and_set=pcidc_eacsl_test_and_set"
# Functions whose annotations are turned into checks.  radix_pass and the
# other plan-building internals are left out: E-ACSL ignores their
# memory-reading logic functions anyway, and their ghost loops and
# quantifiers would make instrumentation and runs very slow.
CHECKED="pcidc_crash_disconnect,step_value,read_published,pcidc_plan_published,\
pcidc_describe,pcidc_plan_build,check_func,check_funcs,check_policy,\
fill_plan,pcidc_eacsl_conf_write16,pcidc_eacsl_crash_read16,\
pcidc_eacsl_conf_read32,\
pcidc_eacsl_test_and_set,\
pcidc_checked_crash_disconnect,pcidc_checked_plan_build,\
plan_build_checked_more,\
pcidc_checked_describe,pcidc_checked_plan_published,main"
APP_CFLAGS="-Dmain=pcidc_eacsl_app_main
 -Dpcidc_crash_disconnect=pcidc_checked_crash_disconnect
 -Dpcidc_plan_build=pcidc_checked_plan_build
 -Dpcidc_describe=pcidc_checked_describe
 -Dpcidc_plan_published=pcidc_checked_plan_published"
LIBS="-lgmp -lm -lpthread"

die() { echo "eacsl: FAIL: $*" >&2; exit 1; }

# bundle DIR CORE.c...
bundle()
{
    dir=$1
    shift
    EA_SHARE=$(ea_share)
    mkdir -p "$dir"
    python3 proofs/eacsl/acsl2macros.py "$dir/acsl_macros.h" \
        proofs/pcidc_model.h proofs/eacsl/shim.c
    # -aggressive-merging: one read_published(), not a renamed copy per
    # file (it is static inline in src/pcidc_internal.h).
    # shellcheck disable=SC2086
    frama-c -machdep gcc_x86_64 \
        -cpp-extra-args="-include $dir/acsl_macros.h -include proofs/pcidc_model.h -Isrc $GHOST $(echo $RENAME_PORT)" \
        -aggressive-merging "$@" proofs/eacsl/shim.c \
        -e-acsl -e-acsl-functions "$CHECKED" \
        -then-last -print -ocode "$dir/pcidc_eacsl.c" >"$dir/frama-c.log" 2>&1 ||
        die "E-ACSL instrumentation of $* (see $dir/frama-c.log)"
    # Annotations E-ACSL cannot translate are listed, not hidden.
    grep -A2 'Warning' "$dir/frama-c.log" | grep -E 'not yet supported|invalid' |
        sort | uniq -c >"$dir/ignored.txt" || true
    "$CC" -std=gnu11 -O1 -w -I"$EA_SHARE" -c "$dir/pcidc_eacsl.c" \
        -o "$dir/pcidc_eacsl.o" || die "compiling $dir/pcidc_eacsl.c"
    if [ ! -s "$OUT/rtl/e_acsl_rtl.o" ]; then
        mkdir -p "$OUT/rtl"
        "$CC" -std=gnu11 -O2 -w -DE_ACSL_SEGMENT_MMODEL -I"$EA_SHARE" \
            -c "$EA_SHARE/e_acsl_rtl.c" -o "$OUT/rtl/e_acsl_rtl.o" ||
            die "compiling the E-ACSL runtime"
    fi
    rm -f "$dir/libpcidc_eacsl.a"
    ar rcs "$dir/libpcidc_eacsl.a" "$dir/pcidc_eacsl.o" "$OUT/rtl/e_acsl_rtl.o"
}

# driver DIR: link the driver against DIR's bundle.
driver()
{
    # shellcheck disable=SC2086
    "$CC" -std=gnu11 -Wall -Wextra -Werror -O2 -Isrc $APP_CFLAGS \
        -c proofs/eacsl/driver.c -o "$1/driver.o" || die "compiling the driver"
    # shellcheck disable=SC2086
    "$CC" "$1/driver.o" "$1/libpcidc_eacsl.a" "$(ea_lib)" $LIBS -o "$1/driver" ||
        die "linking the driver"
}

# run_driver DIR LOG: run with a time-out; exit status in $rc.
run_driver()
{
    set +e
    timeout 60 "$1/driver" >"$2" 2>&1
    rc=$?
    set -e
}

# controls_in_turn NAME:EXPECT...: each broken copy bundled, driven and
# judged; its verdict line into $OUT/control-NAME/verdict.
controls_in_turn()
{
    for c in "$@"; do
        name=${c%%:*} expect=${c#*:}
        dir=$OUT/control-$name
        rm -f "$dir/verdict"
        copy=
        for f in $CORE_SRC; do
            copy="$copy $OUT/controls/$name/$(basename "$f")"
        done
        # shellcheck disable=SC2086
        bundle "$dir" $copy
        driver "$dir"
        run_driver "$dir" "$dir/run.log"
        if [ $rc -ne 0 ] && grep -q 'failed' "$dir/run.log" &&
           grep -q "$expect" "$dir/run.log"; then
            what=$(grep -m1 -E 'Error: .*failed' "$dir/run.log" |
                   sed 's/.*Error: //; s/:$//')
            echo "eacsl: broken copy $name: caught ($what: $expect)"
        else
            echo "eacsl: broken copy $name: NOT CAUGHT (exit $rc, see $dir/run.log)"
        fi >"$dir/verdict"
    done
}

check()
{
    ci/deps.sh prove
    for tool in frama-c python3 "$CC"; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed"
    done
    [ -f "$(ea_lib)" ] || die "$(ea_lib) missing (frama-c-base)"
    start=$(date +%s.%N)
    status=0

    # shellcheck disable=SC2086
    bundle "$OUT/core" $CORE_SRC
    driver "$OUT/core"
    run_driver "$OUT/core" "$OUT/core/run.log"
    if [ $rc -eq 0 ]; then
        echo "eacsl: core: $(tail -1 "$OUT/core/run.log")"
    else
        echo "eacsl: core: FAIL (exit $rc):"
        sed 's/^/    /' "$OUT/core/run.log" | head -20
        status=1
    fi
    if [ -s "$OUT/core/ignored.txt" ]; then
        echo "eacsl: not checked at run time (proved by WP only):"
        sed 's/^ */    /' "$OUT/core/ignored.txt"
    fi

    # Broken copies (proofs/controls.py): each must be stopped by E-ACSL,
    # with the property that catches it named in the message.  A wrong
    # value of step_value() is stopped by its first postcondition, value
    # (the written value as pcidc_step_value() defines it), before the
    # disconnects one that WP's control targets; a wrong register read by
    # read_cell (the value read is not the step's register's).
    # shellcheck disable=SC2086
    python3 proofs/controls.py "$OUT/controls" $CORE_SRC >/dev/null ||
        die "generating the broken copies"
    # Two copies at a time (each is one Frama-C run, one compile, one
    # run); the verdicts are printed in the list's order.
    set -- off_by_one:bound other_register:in_order outside_plan:in_order \
           no_once_check:later_call reads_at_crash:not_at_crash \
           clears_memory:value keeps_master:value no_intx:value \
           no_fallback:value reads_other:read_cell \
           reads_neighbour:read_cell reads_cleared:unread \
           crash_read_at_plan:at_crash no_crash_check:crashed \
           children_first:bridges_first seed_reordered:input_order \
           upstream_planned:upstream_kept misses_last:complete \
           duplicates_accepted:distinct
    odd= even= n=0
    for c in "$@"; do
        n=$((n + 1))
        if [ $((n % 2)) -eq 1 ]; then odd="$odd $c"; else even="$even $c"; fi
    done
    # shellcheck disable=SC2086
    ( controls_in_turn $odd ) &
    odd_pid=$!
    # shellcheck disable=SC2086
    ( controls_in_turn $even ) || true
    wait $odd_pid || true
    for c in "$@"; do
        name=${c%%:*}
        if [ -s "$OUT/control-$name/verdict" ]; then
            cat "$OUT/control-$name/verdict"
        else
            echo "eacsl: broken copy $name: NOT RUN"
        fi
        grep -q ': caught (' "$OUT/control-$name/verdict" 2>/dev/null ||
            status=1
    done

    end=$(date +%s.%N)
    secs=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
    if [ $status -eq 0 ]; then
        echo "eacsl: ok ($secs s)"
    else
        echo "eacsl: FAIL ($secs s)"
    fi
    return $status
}

case "${1:-}" in
bundle)
    [ $# -ge 3 ] || die "usage: eacsl.sh bundle DIR CORE.c..."
    shift
    bundle "$@" ;;
check) check ;;
app-cflags) echo $APP_CFLAGS ;;
ldlibs) echo "$(ea_lib) $LIBS" ;;
*) echo "usage: eacsl.sh bundle DIR CORE.c... | check | app-cflags | ldlibs" >&2
   exit 2 ;;
esac
