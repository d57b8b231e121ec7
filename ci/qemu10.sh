#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The second QEMU: Debian's QEMU 10.0 from the backports suite of the
# machine's own Debian archive, unpacked under build/qemu10/ (nothing is
# installed system-wide, the machine's apt sources are only read).
#
#   ci/qemu10.sh [--print]
#
# Result: build/qemu10/qemu-system-x86_64, a wrapper that runs the unpacked
# binary with its own firmware directory (-L) and module directory
# (QEMU_MODULE_DIR: without it QEMU 10 loads 7.2's modules and aborts).
# Every shared library it links is on Debian 12.  --print only prints the
# wrapper's path (after installing it when missing).  Idempotent: a second
# run with the wrapper in place does nothing.
#
# Layout under build/qemu10/:
#   apt/      private apt state: sources list, Packages indices, cache
#   debs/     the three downloaded packages
#   root/     their files as dpkg -x unpacked them (usr/bin, usr/lib, usr/share)
#   qemu-system-x86_64   the wrapper
set -eu

QEMU10_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
QEMU10_PKGS="qemu-system-x86 qemu-system-common qemu-system-data"
PROG=qemu10

# Reuse the Xen build's derivation of the machine's archive and its
# private-apt wrapper; only the paths differ.
# shellcheck source=ci/xen/common.sh
. "$(dirname "$0")/xen/common.sh"

Q10=$ROOT/build/qemu10
APT_DIR=$Q10/apt
DEB_DIR=$Q10/debs
PREFIX=$Q10/root
WRAPPER=$Q10/qemu-system-x86_64
STAMP=$Q10/.complete-$QEMU10_VERSION

print_only=false
[ "${1:-}" = "--print" ] && print_only=true

finish() {
    if $print_only; then
        echo "$WRAPPER"
    fi
    exit 0
}

[ -x "$WRAPPER" ] && [ -f "$STAMP" ] && finish

# One 'deb' line for CODENAME-backports per main-archive entry of suite
# CODENAME in the machine's sources.
derive_backports() {
    codename=$1
    derive_deb_src | main_archive_only | awk -v c="$codename" '
    {
        i = 2
        opt = ""
        if ($2 ~ /^\[/) { opt = $2 " "; i = 3 }
        uri = $i; suite = $(i + 1)
        if (suite != c) next
        comps = ""
        for (k = i + 2; k <= NF; k++) comps = comps " " $k
        print "deb " opt uri " " c "-backports" comps
    }' | sort -u
}

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ "$codename" = bookworm ] ||
    die "this needs Debian 12 (bookworm); /etc/os-release says '${codename:-nothing}'"
command -v apt-get >/dev/null || die "apt-get not found"
command -v dpkg >/dev/null || die "dpkg not found"

mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" \
         "$APT_DIR/cache/archives/partial" "$DEB_DIR"
derive_backports "$codename" >"$APT_DIR/sources.list"
[ -s "$APT_DIR/sources.list" ] ||
    die "no main-archive entry for suite $codename in /etc/apt/sources.list{,.d/*}: cannot derive $codename-backports"
say "backports list derived from the machine's apt sources: $APT_DIR/sources.list"

say "apt-get update (private state in $APT_DIR)"
if ! apt_private update >"$APT_DIR/update.log" 2>&1 ||
   grep -q '^\(E\|W\): Failed to fetch' "$APT_DIR/update.log"; then
    sed 's/^/  /' "$APT_DIR/update.log" >&2
    die "could not fetch the $codename-backports index; log: $APT_DIR/update.log"
fi

served=$(apt-cache \
            -o Dir::Etc::SourceList="$APT_DIR/sources.list" \
            -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
            -o Dir::State::Lists="$APT_DIR/lists" \
            -o Dir::Cache="$APT_DIR/cache" \
            -o Dir::State::status=/var/lib/dpkg/status \
            policy qemu-system-x86 2>/dev/null |
         awk '/^ +(\*\*\* )?[0-9]+:/ { sub(/\*\*\*/, ""); print $1 }' | tr '\n' ' ')
case " $served " in
*" $QEMU10_VERSION "*) ;;
*) die "$codename-backports does not serve qemu-system-x86=$QEMU10_VERSION (served: ${served:-none}); update QEMU10_VERSION in ci/qemu10.sh to one of those, the qtest suites then run on it" ;;
esac

rm -f "$DEB_DIR"/*.deb
pins=""
for p in $QEMU10_PKGS; do
    pins="$pins $p=$QEMU10_VERSION"
done
say "apt-get download$pins"
# shellcheck disable=SC2086
if ! (cd "$DEB_DIR" && apt_private download $pins) >"$DEB_DIR/download.log" 2>&1; then
    sed 's/^/  /' "$DEB_DIR/download.log" >&2
    die "apt-get download failed; log: $DEB_DIR/download.log"
fi

rm -rf "$PREFIX"
mkdir -p "$PREFIX"
for deb in "$DEB_DIR"/*.deb; do
    dpkg -x "$deb" "$PREFIX"
done
[ -x "$PREFIX/usr/bin/qemu-system-x86_64" ] ||
    die "no usr/bin/qemu-system-x86_64 in the unpacked packages"

cat >"$WRAPPER.tmp" <<EOF
#!/bin/sh
# Written by ci/qemu10.sh: QEMU $QEMU10_VERSION unpacked in $PREFIX.
QEMU_MODULE_DIR=$PREFIX/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
exec $PREFIX/usr/bin/qemu-system-x86_64 -L $PREFIX/usr/share/qemu "\$@"
EOF
chmod +x "$WRAPPER.tmp"
mv "$WRAPPER.tmp" "$WRAPPER"

if ! out=$("$WRAPPER" --version 2>&1) ||
   ! echo "$out" | grep -q 'QEMU emulator version 10\.'; then
    echo "$out" | sed 's/^/  /' >&2
    die "the unpacked QEMU does not run (missing shared libraries?)"
fi
say "$(echo "$out" | head -n 1) at $WRAPPER"
touch "$STAMP"
finish
