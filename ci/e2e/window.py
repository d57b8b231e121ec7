#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The table of ci/e2e/window.sh: per run, from QEMU's trace (host clock)
the time from Xen reading the crash key out of the UART to its first
COMMAND write and to the e1000's Bus Master going off; from the harness's
JSON the e1000 descriptors completed from the crash request to the
disconnect and from the crash line to it.  Then medians per version and
variant.

  window.py OUT
"""

import glob
import json
import os
import re
import statistics
import sys

STAMP = re.compile(r"^\d+@(\d+\.\d+):(\S+) (.*)$")
WRITE = re.compile(r"^(\S+) \S+ @0x4 <- (0x[0-9a-f]+)$")
KEY = "read addr 0x00 val 0x43"          # RBR yields 'C', the crash key


def trace_times(path):
    """(ms key -> first COMMAND write, ms key -> e1000 Bus Master off)."""
    key = first = e1000 = None
    with open(path, errors="replace") as f:
        for line in f:
            m = STAMP.match(line)
            if not m:
                continue
            t, event, rest = float(m.group(1)), m.group(2), m.group(3)
            if event == "serial_read" and rest == KEY and e1000 is None:
                key, first = t, None
            elif event == "pci_cfg_write" and key is not None:
                w = WRITE.match(rest)
                if not w or w.group(1) == "mch":
                    continue
                if first is None:
                    first = t
                if w.group(1) == "e1000" and not int(w.group(2), 16) & 4:
                    e1000 = t
                    break
    if key is None or e1000 is None:
        return None
    return (first - key) * 1e3, (e1000 - key) * 1e3


def main(out):
    rows = []
    for js in sorted(glob.glob(os.path.join(out, "*.json"))):
        name = os.path.basename(js)[:-5]
        version, variant, rnd = re.match(r"(.+?)-(early|no-early)-(\d+)$",
                                         name).groups()
        run = json.load(open(js))["runs"][0]
        trace = trace_times(os.path.join(out, name, "qemu-trace.log"))
        e = run["e1000"]
        rows.append((version, variant, int(rnd), run["pass"], trace,
                     e["desc_request_to_disconnect"],
                     e["bytes_request_to_disconnect"],
                     e["desc_in_crash_path"]))
    print("| Xen | first pass | round | verdict | ms key read -> first "
          "COMMAND write | ms key read -> e1000 Bus Master off | e1000 "
          "descs / bytes, crash request -> disconnect | e1000 descs, crash "
          "line -> disconnect |")
    print("|---|---|---|---|---|---|---|---|")
    for v, var, rnd, ok, tr, d, b, dl in rows:
        print("| %s | %s | %d | %s | %s | %s | %d / %d | %d |" %
              (v, var, rnd, "pass" if ok else "FAIL",
               "%.1f" % tr[0] if tr else "-", "%.1f" % tr[1] if tr else "-",
               d, b, dl))
    print()
    print("| Xen | first pass | runs | median ms key read -> e1000 off "
          "(range) | median e1000 descs, request -> disconnect (range) | "
          "e1000 descs, crash line -> disconnect |")
    print("|---|---|---|---|---|---|")
    for v in sorted({r[0] for r in rows}):
        for var in ("early", "no-early"):
            sel = [r for r in rows if r[0] == v and r[1] == var]
            if not sel:
                continue
            ms = [r[4][1] for r in sel if r[4]]
            ds = [r[5] for r in sel]
            print("| %s | %s | %d | %s | %g (%d-%d) | %s |" %
                  (v, var, len(sel),
                   "%.1f (%.1f-%.1f)" % (statistics.median(ms), min(ms),
                                         max(ms)) if ms else "-",
                   statistics.median(ds), min(ds), max(ds),
                   ", ".join(str(r[7]) for r in sel)))
    return 0 if rows and all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
