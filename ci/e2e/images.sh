#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Package, module and library lists are space-separated words on purpose.
# shellcheck disable=SC2086,SC2012
#
# ci/e2e/images.sh [OUTDIR [XEN_SERIES]]
#
# Build the guest images of the real-Xen end-to-end run from
# Debian packages fetched with 'apt-get download' (nothing is installed):
#
#   OUTDIR/vmlinuz          Debian 12's linux-image-6.1.*-amd64 kernel (dom0 and crash kernel)
#   OUTDIR/dom0.cpio.gz     dom0's initramfs: busybox, modules, kexec + libraries,
#                           the crash kernel and its initramfs under /boot
#   OUTDIR/crash.cpio.gz    the crash kernel's initramfs
#   OUTDIR/xen-debian.elf   Debian's prebuilt Xen (gunzipped): a reference
#                           hypervisor, used only when asked for
#   OUTDIR/versions.txt     package=version lines the images were made from
#
# XEN_SERIES (4.17, the default, or 4.20) is the Xen the images are for:
# kexec-tools, its Xen libraries and their C library come from the Debian
# release that ships that Xen (4.17: Debian 12, the machine's; 4.20:
# Debian 13, through a private apt state under build/e2e/apt-4.20 that
# points at the same archive), the kernel and busybox from Debian 12.
#
# OUTDIR defaults to build/e2e/img.  The images are rebuilt only when a
# package version or one of the scripts in ci/e2e/ changed (the key is in
# OUTDIR/.key).  Prints OUTDIR on success.
#
# Environment: E2E_KERNEL_PKG (default: what linux-image-amd64 depends on),
# E2E_XEN_DEB_VERSION (default: the version our Xen source is pinned to,
# ci/xen/XEN_SERIES/source.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/e2e/img}
series=${2:-4.17}
debs=$top/build/e2e/debs
[ -f "$top/ci/xen/$series/source.sh" ] || { echo "e2e images: no Xen $series" >&2; exit 1; }
xen_deb_version=${E2E_XEN_DEB_VERSION:-$(sed -n 's/^XEN_VERSION=//p' "$top/ci/xen/$series/source.sh")}
xen_suite=$(sed -n 's/^XEN_DEB_SUITE=//p' "$top/ci/xen/$series/source.sh")

die() { echo "e2e images: $*" >&2; exit 1; }
log() { echo "e2e images: $*" >&2; }

"$top/ci/deps.sh" e2e >&2
for tool in apt-get apt-cache dpkg-deb objcopy readelf cpio gzip sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' not found"
done

candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}

# The packages of the Xen side (kexec-tools, its libraries) come from
# xen_suite when source.sh names one: apt with a private state whose
# sources are the machine's main archive with that suite.
xapt_dir=$top/build/e2e/apt-$series
xapt() {   # apt-get or apt-cache, then its arguments
    tool=$1
    shift
    if [ -z "$xen_suite" ]; then
        "$tool" "$@"
        return
    fi
    "$tool" -q -o Dir::Etc::SourceList="$xapt_dir/sources.list" \
        -o Dir::Etc::SourceParts="$xapt_dir/sources.list.d" \
        -o Dir::State::Lists="$xapt_dir/lists" \
        -o Dir::Cache="$xapt_dir/cache" \
        -o Dir::State::status=/var/lib/dpkg/status \
        -o APT::Sandbox::User=root -o Acquire::Languages=none "$@"
}
if [ -n "$xen_suite" ] && [ ! -s "$xapt_dir/lists/.updated" ]; then
    mkdir -p "$xapt_dir/sources.list.d" "$xapt_dir/lists/partial" \
        "$xapt_dir/cache/archives/partial"
    # ci/xen/common.sh derives the source lines the same way.
    (ROOT=$top; . "$top/ci/xen/common.sh"; derive_deb_src | main_archive_only |
        other_suite "$xen_suite" | sed 's/^deb-src /deb /') >"$xapt_dir/sources.list"
    [ -s "$xapt_dir/sources.list" ] || die "no apt source to derive a $xen_suite line from"
    log "apt-get update for $xen_suite (private state in $xapt_dir)"
    xapt apt-get update -qq >&2 || die "apt-get update ($xen_suite) failed"
    echo "$xen_suite" >"$xapt_dir/lists/.updated"
fi

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

# kexec-tools needs libxenctrl (libxenmisc4.NN) and its closure; the Xen
# libraries are pinned to the version of our Xen source.
xen_libs="libxenmisc$series libxencall1 libxendevicemodel1 libxenevtchn1
    libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoollog1
    libxentoolcore1 xen-hypervisor-$series-amd64"
case "$series" in
4.17) other_libs="libc6 libext2fs2 libcom-err2 liblzma5 libuuid1 libyajl2 libzstd1 zlib1g" ;;
*)    other_libs="libc6 libext2fs2t64 libcom-err2 liblzma5 libuuid1 libyajl2 libzstd1 zlib1g" ;;
esac

# One apt-cache call per apt state for every candidate version (each call
# costs ~0.5 s).
policy_pairs() {
    awk '/^[^ ]/ { name = $1; sub(/:$/, "", name) } /Candidate:/ { print name "=" $2 }'
}
want=$(apt-cache policy "$kernel_pkg" busybox-static 2>/dev/null | policy_pairs)
want="$want $(xapt apt-cache policy kexec-tools $other_libs 2>/dev/null | policy_pairs)"
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
# The kernel and busybox from the machine's apt, the rest from xapt's.
fetch_host="" fetch_x=""
for pv in $fetch; do
    case "$pv" in
    linux-image-*|busybox-static=*) fetch_host="$fetch_host $pv" ;;
    *) fetch_x="$fetch_x $pv" ;;
    esac
done
if [ -n "$fetch_host" ]; then
    log "apt-get download$fetch_host"
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $fetch_host >&2) ||
        die "apt-get download failed"
fi
if [ -n "$fetch_x" ]; then
    log "apt-get download${xen_suite:+ ($xen_suite)}$fetch_x"
    (cd "$debs" && xapt apt-get download -q -o APT::Sandbox::User=root $fetch_x >&2) ||
        die "apt-get download failed"
fi

# --- unpack -----------------------------------------------------------------
work=$top/build/e2e/work-$series
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
# Debian 13 has merged /usr: its files are under usr/.
in_sysroot() {   # PATH...: the first that exists under $sysroot
    for p in "$@"; do
        if [ -e "$sysroot/$p" ]; then printf '%s\n' "$sysroot/$p"; return 0; fi
    done
    die "none of $* in the downloaded packages"
}
kexec_bin=$(in_sysroot sbin/kexec usr/sbin/kexec)
ld_so=$(in_sysroot lib64/ld-linux-x86-64.so.2 usr/lib64/ld-linux-x86-64.so.2)
close_libs "$kexec_bin"
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
cp "$kexec_bin" "$dom0/sbin/kexec"
for l in $libs; do
    cp -L "$(resolve_lib "$l")" "$dom0/lib/x86_64-linux-gnu/$l"
done
cp -L "$ld_so" "$dom0/lib64/ld-linux-x86-64.so.2"
for m in $ordered; do
    cp "$(module_path "$m")" "$dom0/modules/$m.ko"
done
printf '%s\n' $ordered > "$dom0/modules/order"
cp "$work/kernel/boot/vmlinuz-$kver" "$dom0/boot/vmlinuz"
cp "$out.tmp/crash.cpio.gz" "$dom0/boot/crash.cpio.gz"
mkcpio "$dom0" "$out.tmp/dom0.cpio.gz"

cp "$work/kernel/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
gzip -dc "$sysroot/boot/xen-$series-amd64.gz" > "$out.tmp/xen-debian.elf"
printf '%s\n' "$versions" > "$out.tmp/versions.txt"
printf '%s\n' "$key" > "$out.tmp/.key"

rm -rf "$out" "$work"
mv "$out.tmp" "$out"
log "done: $(cd "$out" && ls -s --block-size=K vmlinuz dom0.cpio.gz crash.cpio.gz xen-debian.elf | tr '\n' ' ')"
echo "$out"
