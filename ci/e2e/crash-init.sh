#!/bin/busybox sh
# shellcheck shell=dash disable=SC3045  # busybox ash has read -t
# SPDX-License-Identifier: GPL-2.0-only
# /init of the crash kernel's initramfs (ci/e2e/images.sh): report whether
# /proc/vmcore is there, then power off when the harness says "poweroff" on
# the console (it reads guest memory until then), or after 60 s.
/bin/busybox mkdir -p /dev /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
bb=/bin/busybox
$bb mount -t proc proc /proc
echo "pcidc-e2e: crash kernel up"
if [ -e /proc/vmcore ]; then
    size=$($bb stat -c %s /proc/vmcore)
    magic=$($bb dd if=/proc/vmcore bs=4 count=1 2>/dev/null | $bb od -An -tx1 | $bb tr -d ' ')
    echo "pcidc-e2e: vmcore size=$size magic=$magic"
else
    echo "pcidc-e2e: FAIL no /proc/vmcore"
fi
end=$(($($bb date +%s) + 60))
while [ "$($bb date +%s)" -lt "$end" ]; do
    line=""
    read -r -t 5 line || true
    case "$line" in *poweroff*) break ;; esac
done
echo "pcidc-e2e: powering off"
$bb poweroff -f
