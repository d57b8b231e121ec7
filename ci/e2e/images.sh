#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Package, module and library lists are space-separated words on purpose.
# shellcheck disable=SC2086,SC2012
#
# ci/e2e/images.sh [OUTDIR]
#
# Build the guest images of the real-Xen end-to-end run from
# Debian packages fetched with 'apt-get download' (nothing is installed):
#
#   OUTDIR/vmlinuz          Debian's linux-image-6.1.*-amd64 kernel (dom0 and crash kernel)
#   OUTDIR/dom0.cpio.gz     dom0's initramfs: busybox, modules, kexec + libraries,
#                           the crash kernel and its initramfs under /boot
#   OUTDIR/crash.cpio.gz    the crash kernel's initramfs
#   OUTDIR/xen-debian.elf   Debian's prebuilt Xen (gunzipped): a reference
#                           hypervisor, used only when asked for
#   OUTDIR/versions.txt     package=version lines the images were made from
#
# OUTDIR defaults to build/e2e/img.  The images are rebuilt only when a
# package version or one of the scripts in ci/e2e/ changed (the key is in
# OUTDIR/.key).  Prints OUTDIR on success.
#
# Environment: E2E_KERNEL_PKG (default: what linux-image-amd64 depends on),
# E2E_XEN_DEB_VERSION (default: the version our Xen source is pinned to).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/e2e/img}
debs=$top/build/e2e/debs
xen_deb_version=${E2E_XEN_DEB_VERSION:-$(sed -n 's/^XEN_VERSION=//p' "$top/ci/xen/common.sh")}

die() { echo "e2e images: $*" >&2; exit 1; }
log() { echo "e2e images: $*" >&2; }

"$top/ci/deps.sh" e2e >&2
for tool in apt-get apt-cache dpkg-deb objcopy readelf cpio gzip sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' not found"
done

candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}

# apt's lists may be missing on a fresh machine: update once if so.
bb_version=$(candidate busybox-static)
if [ -z "$bb_version" ] || [ "$bb_version" = "(none)" ]; then
    log "no apt lists: apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
fi

kernel_pkg=${E2E_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-6\.1\.[0-9-]*-amd64$/ { print $2; exit }')}
case "$kernel_pkg" in
linux-image-6.1.*-amd64) ;;
*) die "no linux-image-6.1.*-amd64 package found (got '$kernel_pkg'); set E2E_KERNEL_PKG" ;;
esac

# kexec-tools needs libxenctrl (libxenmisc4.17) and its closure; the Xen
# libraries are pinned to the version of our Xen source.
xen_libs="libxenmisc4.17 libxencall1 libxendevicemodel1 libxenevtchn1
    libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoollog1
    libxentoolcore1 xen-hypervisor-4.17-amd64"
other_libs="libc6 libext2fs2 libcom-err2 liblzma5 libuuid1 libyajl2 libzstd1 zlib1g"

# One apt-cache call for every candidate version (each call costs ~0.5 s).

want=$(apt-cache policy "$kernel_pkg" busybox-static kexec-tools $other_libs 2>/dev/null |
    awk '/^[^ ]/ { name = $1; sub(/:$/, "", name) } /Candidate:/ { print name "=" $2 }')
for p in $xen_libs; do
    want="$want $p=$xen_deb_version"
done
[ "$(printf '%s\n' $want | wc -l)" -eq "$(printf '%s\n' "$kernel_pkg" busybox-static \
    kexec-tools $other_libs $xen_libs | wc -l)" ] || die "apt-cache policy missed a package"
for pv in $want; do
    case "$pv" in *=|*="(none)") die "no candidate version for ${pv%%=*}" ;; esac
done

versions=$(printf '%s\n' $want | sort)
key=$( { printf '%s\n' "$versions"; cat "$here"/images.sh "$here"/dom0-init.sh \
    "$here"/crash-init.sh; } | sha256sum | cut -c1-16)
if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ]; then
    echo "$out"
    exit 0
fi
log "building images (key $key) in $out"

# --- fetch ------------------------------------------------------------------
mkdir -p "$debs"
deb_of() {   # package=version -> path of its .deb in $debs, or nothing
    name=${1%%=*}
    ver=$(printf '%s' "${1#*=}" | sed 's/:/%3a/')
    ls "$debs/${name}_${ver}_"*.deb 2>/dev/null | head -n 1
}
fetch=""
for pv in $want; do
    [ -n "$(deb_of "$pv")" ] || fetch="$fetch $pv"
done
if [ -n "$fetch" ]; then
    log "apt-get download$fetch"
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $fetch >&2) ||
        die "apt-get download failed"
fi

# --- unpack -----------------------------------------------------------------
work=$top/build/e2e/work
rm -rf "$work"
mkdir -p "$work/sysroot" "$work/kernel"
for pv in $want; do
    deb=$(deb_of "$pv")
    [ -n "$deb" ] || die "downloaded .deb for $pv not found in $debs"
    case "$pv" in
    linux-image-*) dpkg-deb -x "$deb" "$work/kernel" ;;
    *) dpkg-deb -x "$deb" "$work/sysroot" ;;
    esac
done
kver=${kernel_pkg#linux-image-}
moddir=$work/kernel/lib/modules/$kver
[ -d "$moddir" ] || die "no modules in $kernel_pkg"
sysroot=$work/sysroot

# --- kernel modules, dependencies first -------------------------------------
module_path() {
    p=$(find "$moddir/kernel" -name "$1.ko" | head -n 1)
    [ -n "$p" ] || die "module $1 not in $kernel_pkg"
    printf '%s\n' "$p"
}
module_deps() {
    objcopy -O binary --only-section=.modinfo "$(module_path "$1")" "$work/modinfo"
    tr '\0' '\n' < "$work/modinfo" | sed -n 's/^depends=//p' | tr ',' ' '
}
ordered=""
visit() {   # depth-first: a module goes after everything it depends on
    case " $ordered " in *" $1 "*) return 0 ;; esac
    for dep in $(module_deps "$1"); do
        visit "$dep"
    done
    ordered="$ordered $1"
}
# Xen device nodes for kexec, then the e1000 and the AHCI disk (sd_mod for /dev/sda).
for m in xen-privcmd xen-evtchn xen-gntdev e1000 ahci sd_mod; do
    visit "$m"
done
log "dom0 modules:$ordered"

# --- shared-library closure of kexec, resolved inside the unpacked packages --
libdirs="$sysroot/lib/x86_64-linux-gnu $sysroot/usr/lib/x86_64-linux-gnu"
resolve_lib() {
    for d in $libdirs; do
        if [ -e "$d/$1" ]; then printf '%s\n' "$d/$1"; return 0; fi
    done
    die "library $1 (needed by kexec) not found in the downloaded packages"
}
libs=""
close_libs() {
    for need in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case " $libs " in *" $need "*) continue ;; esac
        libs="$libs $need"
        close_libs "$(resolve_lib "$need")"
    done
}
close_libs "$sysroot/sbin/kexec"
log "kexec libraries:$libs"

# --- crash kernel initramfs -------------------------------------------------
mkcpio() {   # DIR OUT.cpio.gz
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n > "$2"
}
new_root() {
    rm -rf "$1"
    mkdir -p "$1/bin" "$1/dev" "$1/proc" "$1/sys" "$1/tmp"
    cp "$sysroot/bin/busybox" "$1/bin/busybox"
}
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
crash=$work/crash-root
new_root "$crash"
install -m 0755 "$here/crash-init.sh" "$crash/init"
mkcpio "$crash" "$out.tmp/crash.cpio.gz"

# --- dom0 initramfs ---------------------------------------------------------
dom0=$work/dom0-root
new_root "$dom0"
install -m 0755 "$here/dom0-init.sh" "$dom0/init"
mkdir -p "$dom0/sbin" "$dom0/lib/x86_64-linux-gnu" "$dom0/lib64" "$dom0/modules" "$dom0/boot"
cp "$sysroot/sbin/kexec" "$dom0/sbin/kexec"
for l in $libs; do
    cp -L "$(resolve_lib "$l")" "$dom0/lib/x86_64-linux-gnu/$l"
done
cp -L "$sysroot/lib64/ld-linux-x86-64.so.2" "$dom0/lib64/ld-linux-x86-64.so.2"
for m in $ordered; do
    cp "$(module_path "$m")" "$dom0/modules/$m.ko"
done
printf '%s\n' $ordered > "$dom0/modules/order"
cp "$work/kernel/boot/vmlinuz-$kver" "$dom0/boot/vmlinuz"
cp "$out.tmp/crash.cpio.gz" "$dom0/boot/crash.cpio.gz"
mkcpio "$dom0" "$out.tmp/dom0.cpio.gz"

cp "$work/kernel/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
gzip -dc "$sysroot/boot/xen-4.17-amd64.gz" > "$out.tmp/xen-debian.elf"
printf '%s\n' "$versions" > "$out.tmp/versions.txt"
printf '%s\n' "$key" > "$out.tmp/.key"

rm -rf "$out" "$work"
mv "$out.tmp" "$out"
log "done: $(cd "$out" && ls -s --block-size=K vmlinuz dom0.cpio.gz crash.cpio.gz xen-debian.elf | tr '\n' ' ')"
echo "$out"
