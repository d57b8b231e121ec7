#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make xen-patches: our commits on Debian's xen tree as a series to mail,
# in build/xen-patches/ (cover letter from ci/xen/cover-letter.txt).
#
# Fails if the series adds whitespace errors (trailing blanks, space before
# tab, tabs in C files); lines past Xen's 79 columns are listed as
# warnings, except lines holding a string literal, which Xen's
# CODING_STYLE keeps whole.
set -eu
PROG=xen-patches
. "$(dirname "$0")/xen/common.sh"

OUT=$ROOT/build/xen-patches

"$ROOT/ci/xen-build.sh" --prepare

git -C "$SRC_DIR" diff --check debian-base pcidc >"$XB/patches-check.log" 2>&1 || {
    cat "$XB/patches-check.log" >&2
    die "the series adds whitespace errors (above)"
}

# Added lines of C files, as "file:text", for the style scan below.
git -C "$SRC_DIR" diff -U0 debian-base pcidc -- '*.c' '*.h' |
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

rm -rf "$OUT"
git -C "$SRC_DIR" format-patch -q --cover-letter --cover-from-description=subject \
    --no-signature -o "$OUT" debian-base..pcidc >/dev/null ||
    die "git format-patch failed in $SRC_DIR"

# The mailed series must rebuild exactly the composed tree (branch pcidc),
# the one ci/xen-build.sh builds.
AM=$XB/am-check
git -C "$SRC_DIR" worktree remove --force "$AM" 2>/dev/null || rm -rf "$AM"
git -C "$SRC_DIR" worktree prune
git -C "$SRC_DIR" worktree add -q --detach "$AM" debian-base ||
    die "could not make a scratch work tree in $AM"
if ! git -C "$AM" am -q $(ls "$OUT"/*.patch | grep -v cover-letter) ||
   [ "$(git -C "$AM" rev-parse 'HEAD^{tree}')" != "$(git -C "$SRC_DIR" rev-parse 'pcidc^{tree}')" ]; then
    die "the series in $OUT does not reproduce branch pcidc with git am (scratch tree: $AM)"
fi
git -C "$SRC_DIR" worktree remove --force "$AM"
say "git am of the series onto debian-base reproduces branch pcidc"

say "series in $OUT:"
for f in "$OUT"/*.patch; do
    printf '  %s\n' "$(basename "$f")" >&2
done
