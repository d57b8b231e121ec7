#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The real-Xen harness's command line, without Xen, images or QEMU:
# --help, --value/--clear/--set read as hexadecimal (with or without 0x),
# the run specs (modes, :crash-disable, :bridge) and their Xen command
# lines, bad values, runs and options refused with exit status 2 and a
# message naming them.
#
#   ci/e2e/check-options.sh build/sim/xen-e2e
set -u
prog=${1:?usage: $0 XEN_E2E_BINARY}
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect STATUS PATTERN ARG...: exit status STATUS, PATTERN (grep -E) found
# in stdout + stderr.
expect() {
    local want=$1 pattern=$2 rc
    shift 2
    "$prog" "$@" >"$out" 2>"$err"
    rc=$?
    if [ "$rc" != "$want" ] || ! cat "$out" "$err" | grep -Eq -- "$pattern"; then
        echo "check-options: FAIL: xen-e2e $*: exit $rc (want $want)," \
             "output lacks /$pattern/:"
        sed 's/^/  | /' "$out" "$err"
        fail=1
    fi
}

SW="--switch-on pci-crash-disconnect=1 --switch-off pci-crash-disconnect=0"
SW="$SW --switch-seed pci-crash-disconnect=seed"
SW="$SW --switch-fallback pci-crash-disconnect=1,test-fallback"

expect 0 '^usage: xen-e2e --xen ELF' --help
# pcidc's policy: Bus Master cleared, INTx Disable set; --value is a policy
# that writes one value (clear everything, set it).
expect 0 'clear 0x0004, set 0x0400,' --dry-run --xen x on
for v in 0400 400 0x0400 0X400 00400; do
    expect 0 'clear 0xffff, set 0x0400,' --dry-run --xen x --value "$v" on
done
expect 0 'clear 0xffff, set 0xffff,' --dry-run --xen x --value ffff on
expect 0 'clear 0xffff, set 0x0000,' --dry-run --xen x --value 0 on
expect 0 'clear 0x0006, set 0x0000,' --dry-run --xen x --clear 6 --set 0 on
for v in zz 10000 0x10000 -1 '' ' 400' 0x 4g; do
    expect 2 "--value wants a hexadecimal .*not '$v'" --dry-run --xen x --value "$v" on
done
expect 2 "--clear wants a hexadecimal .*not 'q'" --dry-run --xen x --clear q on
expect 2 "--set wants a hexadecimal .*not '10000'" --dry-run --xen x --set 10000 on
expect 2 'unknown option --bogus' --dry-run --xen x --bogus on
expect 2 '--value needs a value' --dry-run --xen x on --value
expect 2 "bad value for --jobs: '0'" --dry-run --xen x --jobs 0 on
expect 2 "bad value for --jobs: '0x2'" --dry-run --xen x --jobs 0x2 on
expect 2 "bad value for --crash: 'panic'" --dry-run --xen x --crash panic on
# Runs: MODE[:crash-disable][:bridge], each option once; all = three modes
# by two IOMMU settings.
for r in maybe on:bogus on:bridge:bridge on:crash-disable:crash-disable \
         seeds on: :bridge; do
    expect 2 "bad run '$r'" --dry-run --xen x $SW "$r"
done
expect 2 'at least one RUN are required' --dry-run --xen x
expect 2 'run seed/default needs --switch-seed' --dry-run --xen x seed
expect 2 'run fallback/default\+bridge needs --switch-fallback' \
    --dry-run --xen x fallback:bridge
expect 0 '^run on/crash-disable: .*iommu=verbose,crash-disable pci-crash-disconnect=1$' \
    --dry-run --xen x $SW all
expect 0 '^run seed/crash-disable: .*iommu=verbose,crash-disable pci-crash-disconnect=seed$' \
    --dry-run --xen x $SW all
expect 0 '^run fallback/crash-disable\+bridge: .*,crash-disable pci-crash-disconnect=1,test-fallback$' \
    --dry-run --xen x $SW fallback:bridge:crash-disable
expect 0 '^run off/default: console=com1 com1=115200,8n1,pci,0 serial_tx_buffer=128K .* pci-crash-disconnect=0$' \
    --dry-run --xen x $SW off
expect 2 'cannot read --xen /nonexistent/xen' --xen /nonexistent/xen on

if [ "$fail" = 0 ]; then
    echo "check-options: ok: xen-e2e --help, policy values in hexadecimal, run specs and their Xen command lines, bad options refused"
fi
exit "$fail"
