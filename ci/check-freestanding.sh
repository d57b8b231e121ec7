#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ci/check-freestanding.sh OBJ...: fail unless every object's undefined
# symbols are all pcidc_port_*.
set -eu
[ $# -gt 0 ] || { echo "usage: ci/check-freestanding.sh OBJ..." >&2; exit 2; }
status=0
for obj in "$@"; do
    undef=$(nm -u "$obj" | awk '{print $2}')
    bad=$(printf '%s\n' "$undef" | grep -v -e '^pcidc_port_' -e '^$' || true)
    if [ -n "$bad" ]; then
        echo "freestanding: FAIL: $obj needs symbols outside the port:" >&2
        printf '  %s\n' $bad >&2
        status=1
    else
        echo "freestanding: ok: $obj needs only $(printf '%s ' $undef)"
    fi
done
exit $status
