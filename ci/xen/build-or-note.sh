#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build each Xen version (ci/xen-build.sh), as make check's Xen steps do.
#
#   ci/xen/build-or-note.sh NOTES_DIR VERSION...
#
# Prints the versions built, one a line, on standard output.  A version
# whose source this machine cannot obtain (ci/xen-build.sh exits 3: the
# archive does not serve it and XEN_UPSTREAM_GIT is not set) is left out:
# said on standard error and written to NOTES_DIR/xen-VERSION, which make
# check prints again as its last lines, so that nothing unchecked passes
# for checked.  Any other failure fails.
set -u
notes=$1
shift
mkdir -p "$notes"
for v in "$@"; do
    rm -f "$notes/xen-$v"
    ci/xen-build.sh "$v" >&2
    rc=$?
    case $rc in
    0) echo "$v" ;;
    3) echo "Xen $v: NOT CHECKED: its source is not obtainable on this" \
            "machine (see ci/xen-build.sh's message above; set" \
            "XEN_UPSTREAM_GIT to build it)" | tee "$notes/xen-$v" >&2 ;;
    *) exit "$rc" ;;
    esac
done
