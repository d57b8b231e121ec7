#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fail unless the object's undefined symbols are all pcidc_port_*.
set -eu
obj=$1
undef=$(nm -u "$obj" | awk '{print $2}')
bad=$(printf '%s\n' "$undef" | grep -v '^pcidc_port_' | grep -v '^$' || true)
if [ -n "$bad" ]; then
    echo "freestanding: FAIL: $obj needs symbols outside the port:" >&2
    printf '  %s\n' $bad >&2
    exit 1
fi
echo "freestanding: ok: $obj needs only $(printf '%s ' $undef)"
