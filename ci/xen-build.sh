#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make xen: Xen 4.17 (Debian 12's) and 4.20 (Debian 13's) with pcidc, each
# built twice.
#
#   ci/xen-build.sh [VERSION...]            fetch, unpack, compose, build
#   ci/xen-build.sh --prepare [VERSION...]  stop after composing (for
#                                           ci/xen-patches.sh)
#
# VERSION: 4.17, 4.20 (default: both).  Results (paths are stable;
# ci/xen/xen.mk names them for other targets):
#   build/xen/VERSION/on/xen.gz, .../on/xen, .../on/xen-syms
#       CONFIG_PCI_CRASH_DISCONNECT=y
#   build/xen/VERSION/off/xen.gz, .../off/xen, .../off/xen-syms
#       the same tree with the option off
#
# Every stage is skipped when build/ already holds its result: the download
# and the unpacked tree are kept, and a build is redone only when the
# composed source tree (git tree id) differs from the one it was made from.
# The 'off' build starts as a copy of the finished 'on' build, so only what
# depends on the option is recompiled.
set -eu
PROG=xen-build
. "$(dirname "$0")/xen/common.sh"

JOBS=${JOBS:-2}

"$ROOT/ci/deps.sh" xen || die "ci/deps.sh xen failed: cannot install the build dependencies"

PREPARE_ONLY=false
if [ "${1:-}" = "--prepare" ]; then
    PREPARE_ONLY=true
    shift
fi
VERSIONS=$(xen_versions "$@")

# Run Xen's make without the caller's make state (jobserver, -j, goals).
# $1: build dir; the rest: make arguments.
xen_make() {
    out=$1
    shift
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
        make -s -C "$SRC_DIR/xen" O="$out" "$@"
}

# $1: build dir, $2: y or n.  Leaves .config with the option as asked.
# The .config line that puts the option in state $1 (y or n).
option_line() {
    if [ "$1" = y ]; then
        echo "CONFIG_$XEN_KCONFIG=y"
    else
        echo "# CONFIG_$XEN_KCONFIG is not set"
    fi
}

set_option() {
    dir=$1 want=$2
    line=$(option_line "$want")
    grep -qx "$line" "$dir/.config" 2>/dev/null && return 0
    sed -i "/CONFIG_$XEN_KCONFIG[= ]/d" "$dir/.config"
    echo "$line" >>"$dir/.config"
    xen_make "$dir" olddefconfig >/dev/null || die "make olddefconfig failed in $dir"
    grep -qx "$line" "$dir/.config" ||
        die "$dir/.config: kconfig refused '$line' (dependencies not met?)"
    # Xen's own make would delete include/config/auto.conf before syncing
    # a changed .config, so kconfig would mark every option as changed and
    # everything would be rebuilt.  Syncing here keeps auto.conf, so only
    # the files that use this option are rebuilt.
    xen_make "$dir" syncconfig >/dev/null || die "make syncconfig failed in $dir"
}

# $1: on or off.
build_variant() {
    variant=$1
    dir=$XB/$variant
    stamp="$PCIDC_TREE $(base_id)"
    want=y
    [ "$variant" = off ] && want=n

    if [ -f "$dir/xen.gz" ] && [ "$(cat "$dir/.pcidc-built" 2>/dev/null)" = "$stamp" ] &&
       grep -qx "$(option_line "$want")" "$dir/.config"; then
        say "$variant: up to date ($dir/xen.gz)"
        return 0
    fi
    rm -f "$dir/.pcidc-built"

    if [ ! -f "$dir/.config" ]; then
        if [ "$variant" = off ] && [ -f "$XB/on/.pcidc-built" ]; then
            say "off: starting from a copy of the 'on' build"
            rm -rf "$dir"
            cp -a "$XB/on" "$dir"
            rm -rf "$dir/.pcidc-built" "$dir/build.log" "$dir/drivers/passthrough/pcidc"
        else
            mkdir -p "$dir"
            xen_make "$dir" defconfig >/dev/null ||
                die "make defconfig failed in $dir"
        fi
    fi
    set_option "$dir" "$want"

    say "$variant: building (make -j$JOBS, log: $dir/build.log)"
    start=$(date +%s)
    if ! xen_make "$dir" -j"$JOBS" >"$dir/build.log" 2>&1; then
        tail -n 30 "$dir/build.log" | sed 's/^/  /' >&2
        die "$variant: hypervisor build failed; full log: $dir/build.log"
    fi
    [ -f "$dir/xen.gz" ] && [ -f "$dir/xen-syms" ] ||
        die "$variant: build finished without xen.gz / xen-syms in $dir"
    echo "$stamp" >"$dir/.pcidc-built"
    say "$variant: built in $(( $(date +%s) - start )) s: $dir/xen.gz"
}

for v in $VERSIONS; do
    xen_select "$v"
    prepare_tree
    $PREPARE_ONLY && continue
    build_variant on
    build_variant off
done
