#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian 12 packages pcidc needs, idempotently.
#
#   ci/deps.sh [GROUP ...]     groups: build test sim prove xen e2e report
#                              browser fuzz qemu10 all (default: all)
#
# Runs 'apt-get update' only when a package is missing; a no-op otherwise.
# qemu10: the sim group, then QEMU 10.0 from Debian's bookworm-backports
# unpacked under build/qemu10 by ci/qemu10.sh (private apt state, nothing
# installed system-wide; a no-op once there).
set -eu

pkgs_build="gcc make binutils libc6-dev"
pkgs_test="libcmocka-dev lcov clang"
pkgs_sim="qemu-system-x86 libjansson-dev libpci-dev"
pkgs_prove="frama-c-base why3 z3 cvc4 libgmp-dev python3"
pkgs_xen="flex bison python3 dpkg-dev xz-utils patch git build-essential"
pkgs_e2e="cpio gzip"
pkgs_report="librsvg2-bin"          # rsvg-convert: the pictures as PNG
pkgs_browser="chromium python3"     # headless check of the HTML reports
pkgs_fuzz="clang libclang-rt-14-dev"  # libFuzzer

want=""
qemu10=false
[ $# -eq 0 ] && set -- all
for group in "$@"; do
    case "$group" in
    build) want="$want $pkgs_build" ;;
    test)  want="$want $pkgs_build $pkgs_test" ;;
    sim)   want="$want $pkgs_build $pkgs_sim" ;;
    prove) want="$want $pkgs_build $pkgs_prove" ;;
    xen)   want="$want $pkgs_build $pkgs_xen" ;;
    e2e)   want="$want $pkgs_build $pkgs_sim $pkgs_e2e" ;;
    report) want="$want $pkgs_report" ;;
    browser) want="$want $pkgs_browser" ;;
    fuzz)  want="$want $pkgs_build $pkgs_test $pkgs_sim $pkgs_fuzz" ;;
    qemu10) want="$want $pkgs_build $pkgs_sim"; qemu10=true ;;
    all)   want="$want $pkgs_build $pkgs_test $pkgs_sim $pkgs_prove $pkgs_xen $pkgs_e2e $pkgs_report $pkgs_browser $pkgs_fuzz"
           qemu10=true ;;
    *) echo "ci/deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
install_qemu10() {
    if $qemu10; then
        "$(dirname "$0")/qemu10.sh" >&2
    fi
}

if [ -z "$missing" ]; then
    install_qemu10
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
echo "ci/deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
install_qemu10
