#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Every DMA device model of the simulator, alone, on every QEMU under test:
`none` and `pcidc` side by side (make bench-devices).

    ci/device-table.py --crashsim build/crashsim --out build/bench/devices \
        [--qemu LABEL=PATH ...] [--jobs 2] [--seed 1]

One crashsim run per device and QEMU (--policy none,pcidc, JSON into
OUT/DEVICE@QEMU.json); a device the QEMU lacks is reported as such (the
error crashsim gives), not run.  Prints the Markdown table and writes it to
OUT/devices.md.  Exit 1 when a run fails or pcidc leaves a byte beyond
in-flight requests, or `none` leaves none.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

# device item -> what QEMU's model does with requests in flight when Bus
# Master clears (docs/device-behaviour.md has the measurements).
DEVICES = [
    ("e1000", "nothing in flight: a frame is one synchronous copy"),
    ("e1000e", "nothing in flight: a frame is one synchronous copy"),
    ("ahci", "a started read lands whole; its MSI is dropped"),
    ("nvme", "fetched reads land whole, no CQE, no MSI-X, CSTS.CFS set"),
    ("rootport(nvme(vfs=2))",
     "as NVMe, per VF; the PF's Bus Master does not stop a VF"),
    ("virtio-blk", "fetched reads land before the COMMAND write returns; "
                   "DRIVER_OK cleared"),
    ("virtio-net", "nothing in flight; DRIVER_OK cleared, no frame taken"),
    ("igb(vfs=2)", "nothing in flight; QEMU stops every VF with the PF"),
    ("xhci", "nothing in flight: a command completes inside its doorbell "
             "write; no event, no MSI-X after Bus Master off"),
]

TIMEOUT_S = 120


def run(crashsim, out, seed, device, label, qemu):
    name = "%s@%s" % (device.replace("(", "_").replace(")", "")
                      .replace("=", ""), label)
    path = os.path.join(out, name + ".json")
    cmd = [crashsim, "--qemu", qemu, "--topology", device, "--seed", str(seed),
           "--policy", "none,pcidc", "--json", path]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT_S, text=True)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %d s" % TIMEOUT_S}
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else "exit %d" % p.returncode,
                "lacks": "needs QEMU" in (p.stderr or "")}
    with open(path) as f:
        return {"report": json.load(f)}


def beyond(run_json):
    return run_json["corrupted_bytes"] - run_json["inflight_bytes"]


def inflight(run_json):
    """Requests in flight at their disconnect, and of them landed after."""
    req = landed = 0
    for dev in run_json["dma_after_crash"].values():
        req += dev.get("inflight_requests", 0)
        landed += dev.get("inflight_landed", 0)
    return req, landed


def row(device, meaning, label, result):
    if "error" in result:
        verdict = "not in this QEMU" if result.get("lacks") else "FAILED"
        return ("| `%s` | %s | - | - | - | %s: %s |" %
                (device, label, verdict, result["error"]),
                not result.get("lacks"))
    runs = {r["policy"]: r for r in result["report"]["runs"]}
    none, pcidc = runs["none"], runs["pcidc"]
    req, landed = inflight(pcidc)
    bad = beyond(pcidc) != 0 or beyond(none) <= 0
    return ("| `%s` | %s | %d | %d | %d B (%d requests) | %s |" %
            (device, label, beyond(none), beyond(pcidc),
             pcidc["inflight_bytes"], req, meaning), bad)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crashsim", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--qemu", action="append", default=[],
                    help="LABEL=PATH (default: 7.2=qemu-system-x86_64)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    qemus = [q.split("=", 1) for q in a.qemu] or \
        [["7.2", "qemu-system-x86_64"]]
    os.makedirs(a.out, exist_ok=True)
    work = [(d, m, label, path) for d, m in DEVICES for label, path in qemus]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        results = list(pool.map(
            lambda w: run(a.crashsim, a.out, a.seed, w[0], w[2], w[3]), work))
    lines = ["| device | QEMU | `none`: B beyond in-flight | `pcidc`: B "
             "beyond in-flight | `pcidc`: in flight at the disconnect | "
             "what the model does with requests in flight |",
             "|---|---|---:|---:|---:|---|"]
    failed = 0
    for (device, meaning, label, _), result in zip(work, results):
        text, bad = row(device, meaning, label, result)
        lines.append(text)
        failed += bad
    lines.append("")
    lines.append("Seed %d, 1 s window, one crashsim run per line "
                 "(--policy none,pcidc); JSON in %s." % (a.seed, a.out))
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    with open(os.path.join(a.out, "devices.md"), "w") as f:
        f.write(table)
    if failed:
        print("device-table: %d line(s) failed" % failed, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
