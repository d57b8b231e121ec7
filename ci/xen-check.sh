#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make xen-check: checks on the hypervisors ci/xen-build.sh built, for each
# Xen version (4.17, 4.20; ci/xen-check.sh [VERSION...]):
#
#  1. the builds are those of the current sources, option on and off;
#  2. xen-syms holds the core's and the port's functions when the option is
#     on, and none of them when it is off;
#  3. the plan is rebuilt wherever Xen's PCI device set changes;
#  4. on the crash path the disconnect runs after the NMI shootdown and
#     before iommu_crash_shutdown() on every path, and on 4.20 also before
#     pci_disable_msi_all(), iommu_quiesce() and pcidevs_trylock() (so it
#     runs whatever that returns): a control-flow check on the
#     disassembly, see ci/xen/disasm_check.py; kexec_crash() makes the
#     early pass before the console drain and machine_crash_shutdown();
#  5. the crash path, the early pass and the port's crash-time write and
#     read reach no lock function, the crash path does reach that write
#     and read, and the early pass only the MMCFG accessors;
#  6. each core object, compiled by Xen's build with Xen's flags, needs no
#     symbol outside pcidc_port_* (and the thunks Xen's own flags ask for);
#  7. the option: registered under its name, parsed by a parser that knows
#     the seed and test-fallback words; the seed mode is a patch of its own;
#  8. the port itself, with the core, over a fake Xen (ci/xen/port-test,
#     under ASan/UBSan): the crash-time read's routes, the cached COMMAND,
#     the fallback plan on overlapping bridges (with its control), more
#     functions than a plan holds, the seed, the option's words;
#  9. the core's files in the series carry no ACSL and compile, with Xen's
#     recorded flags and with the freestanding ones, to the same code as
#     the proved source (ci/xen/same-object.py).
# Every check that could pass vacuously is paired with a control that must
# fail.  Output: one line per check, one summary line per version
# ("xen-check: 4.17: N passed, M failed"), then the total
# ("xen-check: N passed, M failed").
set -eu
PROG=xen-check
. "$(dirname "$0")/xen/common.sh"

VERSIONS=$(xen_versions "$@")
TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=""

ok()   { PASSED=$((PASSED + 1)); echo "  ok  : $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL: $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
words() { tr '\n' ' ' | sed 's/ *$//'; }

"$ROOT/ci/deps.sh" xen || die "ci/deps.sh xen failed"

check_version() {
xen_select "$1"
ON=$XB/on
OFF=$XB/off
WORK=$XB/check
PASSED=0
FAILED=0
for v in "$ON" "$OFF"; do
    [ -f "$v/xen-syms" ] && [ -f "$v/.pcidc-built" ] ||
        die "no finished build in $v: run 'make xen' first (or 'make check-xen')"
done
mkdir -p "$WORK"

echo "xen-check: Xen $XEN_SERIES ($(base_id)), builds in $ON and $OFF"

# --- 1. the builds match the sources -------------------------------------------
current=$(compose_series) || exit 1
tree=$(git -C "$SRC_DIR" rev-parse "$current^{tree}")
check "on and off were built from the current sources (tree ${tree%"${tree#???????????}"})" \
    sh -c '[ "$(cat "$1/.pcidc-built")" = "$3 $4" ] && [ "$(cat "$2/.pcidc-built")" = "$3 $4" ]' \
    sh "$ON" "$OFF" "$tree" "$(base_id)"
check "on/.config: CONFIG_$XEN_KCONFIG=y" grep -qx "CONFIG_$XEN_KCONFIG=y" "$ON/.config"
check "off/.config: CONFIG_$XEN_KCONFIG is not set" \
    grep -qx "# CONFIG_$XEN_KCONFIG is not set" "$OFF/.config"

# --- 2. symbols --------------------------------------------------------------------
nm "$ON/xen-syms" >"$WORK/on.nm"
nm "$OFF/xen-syms" >"$WORK/off.nm"
for sym in pcidc_plan_build pcidc_plan_published pcidc_describe \
           pcidc_crash_disconnect pcidc_strerror \
           pcidc_port_conf_write16 pcidc_port_conf_read32 \
           pcidc_port_crash_read16 \
           pcidc_port_test_and_set pcidc_port_wmb pcidc_port_mb \
           pci_crash_plan_update pci_crash_disconnect \
           pci_crash_disconnect_early pci_iterate_devices; do
    check "on: xen-syms defines $sym" grep -q " [Tt] $sym\$" "$WORK/on.nm"
done
check "on: xen-syms holds the core's state pcidc_state (.bss)" \
    grep -q " [Bb] pcidc_state\$" "$WORK/on.nm"
# pci_iterate_devices() is ours on 4.17 (under the option), Xen's own on 4.20.
ours='pcidc_|pci_crash_|opt_pci_crash'
[ "$XEN_SERIES" != 4.17 ] || ours="$ours|pci_iterate_devices"
found_off=$(grep -E " ($ours)" "$WORK/off.nm" | awk '{print $3}' | words)
check "off: xen-syms has no pcidc/pci_crash symbol${found_off:+ (found: $found_off)}" \
    test -z "$found_off"
# Control for the absence test: the same grep finds them in the 'on' build.
check "control: the off-build grep finds the symbols in the on build" \
    grep -qE ' (pcidc_|pci_crash_)' "$WORK/on.nm"

# --- 3.-5. disassembly -----------------------------------------------------------
objdump -d --no-show-raw-insn "$ON/xen-syms" >"$WORK/on.dis" ||
    die "objdump failed on $ON/xen-syms"
objdump -d --no-show-raw-insn "$OFF/xen-syms" >"$WORK/off.dis" ||
    die "objdump failed on $OFF/xen-syms"

run_py() {
    python3 "$XEN_CI/disasm_check.py" "$@" >"$WORK/py.out" 2>&1 || true
    grep -v '^RESULT ' "$WORK/py.out"
    result=$(grep '^RESULT ' "$WORK/py.out" || echo "RESULT 0 1")
    set -- $result
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    grep -q '^RESULT ' "$WORK/py.out" ||
        echo "  FAIL: disasm_check.py did not finish (see $WORK/py.out)"
}
run_py hooks "$WORK/on.dis"
run_py order "$WORK/on.dis" "$WORK/off.dis" "$XEN_SERIES"
run_py locks "$WORK/on.dis"

# --- 6. the core's objects, as Xen's build compiled them ---------------------
OBJ_DIR=$ON/drivers/passthrough/pcidc

# Symbols the object may need besides pcidc_port_*: only the thunks that
# Xen's own flags make the compiler emit (read from the recorded command).
allowed_thunks() {
    cmd=$(dirname "$1")/.$(basename "$1").cmd
    [ -f "$cmd" ] || return 0
    if grep -q -- '-mfunction-return=thunk-extern' "$cmd"; then
        echo "__x86_return_thunk"
    fi
    if grep -q -- '-mindirect-branch=thunk-extern' "$cmd"; then
        echo "__x86_indirect_thunk_[a-z0-9]*"
    fi
}

outside_port() {
    obj=$1
    pattern='^pcidc_port_'
    for t in $(allowed_thunks "$obj"); do
        pattern="$pattern|^$t\$"
    done
    nm -u "$obj" | awk '{print $2}' | grep -Ev "$pattern" | words
}

# One object per C file of the core (src/*.c, copied by ci/xen/series).
for src in "$ROOT"/src/*.c; do
    obj=$(basename "$src" .c).o
    core_obj=$OBJ_DIR/$obj
    if [ ! -f "$core_obj" ]; then
        fail "no core object at $core_obj"
        continue
    fi
    bad=$(outside_port "$core_obj")
    thunks=$(nm -u "$core_obj" | awk '{print $2}' | grep '^__x86_' | words)
    mandated=""
    [ -z "$thunks" ] || mandated=" and the flag-mandated $thunks"
    check "core object $core_obj needs only pcidc_port_*$mandated${bad:+ (also: $bad)}" \
        test -z "$bad"
    check "core object $obj was built with Xen's flags (-D__XEN__ -nostdinc in its .cmd)" \
        grep -q -- '-D__XEN__.*-nostdinc\|-nostdinc.*-D__XEN__' "$OBJ_DIR/.$obj.cmd"
done
port_bad=$(outside_port "$OBJ_DIR/xen-port.o")
check "control: the same test flags the port object, which needs Xen ($port_bad)" \
    test -n "$port_bad"

# --- 7. the command-line option ------------------------------------------------
# The bytes of a symbol in xen-syms, as text up to its first NUL.
symbol_string() {
    python3 - "$1" "$2" <<'EOF'
import subprocess, sys
path, sym = sys.argv[1], sys.argv[2]
addr = None
for line in subprocess.run(["nm", path], capture_output=True,
                           text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3 and f[2] == sym:
        addr = int(f[0], 16)
if addr is None:
    sys.exit(1)
# The section holding it: "[Nr] Name Type Address Offset" (readelf -SW).
for line in subprocess.run(["readelf", "-SW", path], capture_output=True,
                           text=True).stdout.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) < 6 or not f[0].startswith("[") or f[2] != "PROGBITS":
        continue
    start, off, size = int(f[3], 16), int(f[4], 16), int(f[5], 16)
    if start <= addr < start + size:
        with open(path, "rb") as elf:
            elf.seek(off + addr - start)
            print(elf.read(256).split(b"\0")[0].decode("ascii", "replace"))
        sys.exit(0)
sys.exit(1)
EOF
}

setup_name=$(symbol_string "$ON/xen-syms" __setup_str_parse_pci_crash_disconnect || true)
check "on: parse_pci_crash_disconnect is registered as option '$setup_name'" \
    test "$setup_name" = pci-crash-disconnect
check "on: the option's parser is a custom_param (__setup_parse_pci_crash_disconnect)" \
    grep -q " [a-zA-Z] __setup_parse_pci_crash_disconnect\$" "$WORK/on.nm"
other_name=$(symbol_string "$ON/xen-syms" __setup_str_parse_iommu_param || true)
check "control: the same read gives another option's name ('$other_name')" \
    test "$other_name" = iommu

# The parser's calls: parse_bool for on/off, cmdline_strcmp for seed,
# parse_boolean for test-fallback.
parser_calls=$(awk '/^[0-9a-f]+ <parse_pci_crash_disconnect>:$/ { on = 1; next }
                    /^$/ { on = 0 }
                    on && /call/ { sub(/.*</, ""); sub(/[+>].*/, ""); print }' \
               "$WORK/on.dis" | sort -u | words)
for callee in parse_bool cmdline_strcmp parse_boolean; do
    check "on: parse_pci_crash_disconnect calls $callee (calls: $parser_calls)" \
        sh -c 'case " $1 " in *" $2 "*) exit 0 ;; esac; exit 1' sh "$parser_calls" "$callee"
done

# The seed mode is for comparison: its own patch, the last one.
port=xen/drivers/passthrough/pcidc/xen-port.c
seed_before=$(git -C "$SRC_DIR" show "$current~1:$port" | grep -c MODE_SEED || true)
seed_after=$(git -C "$SRC_DIR" show "$current:$port" | grep -c MODE_SEED || true)
subject=$(git -C "$SRC_DIR" log -1 --format=%s "$current")
check "the series' last patch adds the seed mode ('$subject'): MODE_SEED in the port $seed_before times before it" \
    test "$seed_before" -eq 0
check "control: the same count after the last patch finds it ($seed_after times)" \
    test "$seed_after" -gt 0

# --- 8. the port over a fake Xen ------------------------------------------------
# Xen builds without -Wunused-parameter (its sort() swap callbacks take a
# size they need not use); the same here for the port's file.
PT=$WORK/port-test
rm -rf "$PT"
mkdir -p "$PT/include/xen"
cp "$ROOT/src/port/xen/pci-crash.h" "$PT/include/xen/pci-crash.h"
if gcc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
       -fsanitize=address,undefined -fno-sanitize-recover=all \
       -DCONFIG_PCI_CRASH_DISCONNECT -DXEN_VERSION="${XEN_SERIES%%.*}" \
       -DXEN_SUBVERSION="${XEN_SERIES#*.}" -I"$XEN_CI/port-test/include" \
       -I"$PT/include" -I"$ROOT/src" "$XEN_CI"/port-test/*.c \
       "$ROOT/src/port/xen/xen-port.c" "$ROOT"/src/*.c -o "$PT/test_port" \
       >"$PT/build.log" 2>&1; then
    ASAN_OPTIONS=detect_leaks=1 "$PT/test_port" >"$PT/out.txt" 2>&1 || true
    grep -E '^  (ok  |FAIL):' "$PT/out.txt" | sed 's/^  \(....\): /  \1: port: /'
    result=$(sed -n 's/^port-test: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$PT/out.txt")
    if [ -n "$result" ]; then
        set -- $result
        PASSED=$((PASSED + $1))
        FAILED=$((FAILED + $2))
    else
        fail "the port test did not finish (see $PT/out.txt)"
    fi
else
    sed 's/^/  /' "$PT/build.log"
    fail "the port test does not build (see $PT/build.log)"
fi

# --- 9. the core as sent: no ACSL, the same code ----------------------------
for f in "$ROOT"/src/*.c "$ROOT"/src/*.h; do
    name=xen/drivers/passthrough/pcidc/$(basename "$f")
    n=$(git -C "$SRC_DIR" show "$current:$name" | grep -c '/\*@\|//@' || true)
    check "the series' $name holds no ACSL ($n annotation lines)" test "$n" -eq 0
done
n=$(grep -c '/\*@' "$ROOT/src/pcidc.h" || true)
check "control: the same count finds ACSL in src/pcidc.h ($n)" test "$n" -gt 0
run_py_same() {
    python3 "$XEN_CI/same-object.py" "$ROOT/src" "$SENT_DIR" "$ON" >"$WORK/same.out" 2>&1 || true
    grep -v '^RESULT ' "$WORK/same.out"
    result=$(grep '^RESULT ' "$WORK/same.out" || echo "RESULT 0 1")
    set -- $result
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
}
run_py_same

echo "xen-check: $XEN_SERIES: $PASSED passed, $FAILED failed"
SUMMARY="$SUMMARY
xen-check: $XEN_SERIES: $PASSED passed, $FAILED failed"
TOTAL_PASSED=$((TOTAL_PASSED + PASSED))
TOTAL_FAILED=$((TOTAL_FAILED + FAILED))
}

for v in $VERSIONS; do
    check_version "$v"
done
printf '%s\n' "$SUMMARY" | sed '/^$/d'
echo "xen-check: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
