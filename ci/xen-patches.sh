#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make xen-patches: our commits on each Xen tree as a series to mail, in
# build/xen-patches/VERSION/ (cover letter from ci/xen/cover-letter.txt).
#
#   ci/xen-patches.sh [VERSION...]     4.17, 4.20 (default: both)
#
# Fails if a series adds whitespace errors (trailing blanks, space before
# tab, tabs in C files), if a patch holds an ACSL annotation ('/*@' or
# '//@': the core's files are sent without them, ci/strip-acsl.py), or if
# 'git am' of the series onto the base tree does not give exactly the tree
# ci/xen-build.sh builds.  Lines past Xen's 79 columns are listed as
# warnings, except lines holding a string literal, which Xen's
# CODING_STYLE keeps whole.
set -eu
PROG=xen-patches
. "$(dirname "$0")/xen/common.sh"

VERSIONS=$(xen_versions "$@")
# Series of the layout before one folder per version.
rm -f "$ROOT"/build/xen-patches/*.patch

"$ROOT/ci/xen-build.sh" --prepare $VERSIONS

one_version() {
    xen_select "$1"
    out=$ROOT/build/xen-patches/$XEN_SERIES

    git -C "$SRC_DIR" diff --check base pcidc >"$XB/patches-check.log" 2>&1 || {
        cat "$XB/patches-check.log" >&2
        die "the series adds whitespace errors (above)"
    }

    # Added lines of C files, as "file:text", for the style scan below.
    git -C "$SRC_DIR" diff -U0 base pcidc -- '*.c' '*.h' |
        awk '/^\+\+\+ b\// { file = substr($0, 7); next }
             /^\+/ { print file ":" substr($0, 2) }' >"$XB/patches-added.txt"

    tabs=$(grep -c "$(printf '\t')" "$XB/patches-added.txt" || true)
    [ "$tabs" -eq 0 ] || {
        grep "$(printf '\t')" "$XB/patches-added.txt" >&2
        die "$tabs added C lines hold a tab (Xen indents with spaces)"
    }

    awk -F: '{ line = substr($0, length($1) + 2) }
             length(line) > 79 && line !~ /"/ {
                 printf "xen-patches: warning: %s: %d columns: %s\n", $1, length(line), line
             }' "$XB/patches-added.txt" >&2

    rm -rf "$out"
    git -C "$SRC_DIR" format-patch -q --cover-letter --cover-from-description=subject \
        --no-signature -o "$out" base..pcidc >/dev/null ||
        die "git format-patch failed in $SRC_DIR"

    acsl=$(cat "$out"/*.patch | grep -c '/\*@\|//@' || true)
    [ "$acsl" -eq 0 ] || {
        grep -n '/\*@\|//@' "$out"/*.patch | head >&2
        die "$acsl lines of the series hold ACSL (above)"
    }

    # The mailed series must rebuild exactly the composed tree (branch
    # pcidc), the one ci/xen-build.sh builds.
    am=$XB/am-check
    git -C "$SRC_DIR" worktree remove --force "$am" 2>/dev/null || rm -rf "$am"
    git -C "$SRC_DIR" worktree prune
    git -C "$SRC_DIR" worktree add -q --detach "$am" base ||
        die "could not make a scratch work tree in $am"
    if ! git -C "$am" am -q $(ls "$out"/*.patch | grep -v cover-letter) ||
       [ "$(git -C "$am" rev-parse 'HEAD^{tree}')" != "$(git -C "$SRC_DIR" rev-parse 'pcidc^{tree}')" ]; then
        die "the series in $out does not reproduce branch pcidc with git am (scratch tree: $am)"
    fi
    git -C "$SRC_DIR" worktree remove --force "$am"
    say "git am of the series onto $(base_id) reproduces branch pcidc; no ACSL in it"

    say "series in $out:"
    for f in "$out"/*.patch; do
        printf '  %s\n' "$(basename "$f")" >&2
    done
}

for v in $VERSIONS; do
    one_version "$v"
done
