#!/bin/busybox sh
# shellcheck shell=dash disable=SC2013
# SPDX-License-Identifier: GPL-2.0-only
# /init of dom0's initramfs in the real-Xen end-to-end run (ci/e2e/images.sh).
# Every line starting "pcidc-e2e: " is a marker the harness waits for.
/bin/busybox mkdir -p /dev /proc /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys

mark() { echo "pcidc-e2e: $*"; }
fail() { mark "FAIL $*"; while :; do sleep 60; done; }
wait_for() {    # PATH TENTHS: wait until PATH exists
    n=0
    while [ ! -e "$1" ]; do
        n=$((n + 1))
        [ "$n" -le "$2" ] || return 1
        sleep 0.1
    done
}

mark "dom0 init"
for m in $(cat /modules/order); do
    insmod "/modules/$m.ko" || fail "insmod $m"
done
mark "modules loaded"

wait_for /sys/class/net/eth0 100 || fail "no eth0"
ip link set eth0 up || fail "ip link set eth0 up"
mark "nic up $(cat /sys/class/net/eth0/address)"

wait_for /dev/sda 200 || fail "no /dev/sda"
(
    pass=0
    while :; do
        if dd if=/dev/sda of=/dev/null bs=1M iflag=direct 2>/dev/null; then
            pass=$((pass + 1))
            [ "$pass" -ne 1 ] || mark "disk read pass 1 done"
        else
            [ "$pass" -lt 0 ] || mark "disk read failed"
            pass=-1
            sleep 1
        fi
    done
) &
mark "disk loop"

wait_for /dev/xen/privcmd 50 || fail "no /dev/xen/privcmd"
kexec -p /boot/vmlinuz --initrd=/boot/crash.cpio.gz \
    --append="console=ttyS0,115200 irqpoll nr_cpus=1 reset_devices" ||
    fail "kexec -p"
mark "crash kernel loaded"
mark "dom0 ready"

# The harness may crash dom0 itself by typing this line on the console.
while read -r line; do
    case "$line" in
    *sysrq-crash*) mark "sysrq c"; echo c > /proc/sysrq-trigger ;;
    esac
done
while :; do sleep 60; done
