#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make xen-e2e-window: where the time between the crash request and the
# e1000's disconnect goes, with pcidc's first pass before the NMI shootdown
# (pci-crash-disconnect=1) and without it (=1,no-early).  For each version
# and round, the two runs go side by side, each under a QEMU that traces,
# with host timestamps, every config write and every read of a UART
# register; ci/e2e/window.py turns the traces and the harness's JSON into
# the table (stdout and OUT/window.md).
#
#   ci/e2e/window.sh XEN_E2E OUT ROUNDS VERSION...
#
# Needs make xen and the e2e images of each version.  Not part of make
# check: timings under QEMU on a loaded machine vary from run to run.
set -eu
prog=$1 out=$2 rounds=$3
shift 3
mkdir -p "$out"
rm -rf "${out:?}"/*

# $1: run directory; the QEMU the harness starts, tracing into it.
wrapper() {
    mkdir -p "$1"
    cat >"$1.qemu" <<EOW
#!/bin/sh
exec qemu-system-x86_64 "\$@" -msg timestamp=on -trace pci_cfg_write \
    -trace serial_read -D "$1/qemu-trace.log"
EOW
    chmod +x "$1.qemu"
}

round=1
while [ "$round" -le "$rounds" ]; do
    for v in "$@"; do
        img=build/e2e/img-$v
        [ "$v" = 4.17 ] && img=build/e2e/img
        for variant in early no-early; do
            switch=pci-crash-disconnect=1
            [ "$variant" = no-early ] && switch=pci-crash-disconnect=1,no-early
            d=$out/$v-$variant-$round
            wrapper "$d"
            "$prog" --qemu "$d.qemu" --xen "build/xen/$v/on/xen" --images "$img" \
                --label "Xen $v, $variant" --switch-on "$switch" --jobs 1 \
                --out "$d" --json "$d.json" --table "$d.md" --expect on \
                >"$d.out" 2>&1 &
        done
        wait
        echo "window: Xen $v round $round done"
    done
    round=$((round + 1))
done
python3 ci/e2e/window.py "$out" | tee "$out/window.md"
