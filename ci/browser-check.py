#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Render a crashsim HTML report in headless Chromium and check what it shows.

    ci/browser-check.py --report REPORT.json --page PAGE.html --png OUT.png
    ci/browser-check.py --report REPORT.json --page PAGE.html --self-test DIR

The page is loaded by Debian's chromium (no sandbox, no GPU, no network:
every background service off, a fresh profile) from a copy into which a
probe script is put first thing in <head>.  The probe records script and
resource errors while the page loads and, once it has loaded, what the
browser made of it: the rows of every table, every timeline lane with its
laid-out size, every SVG's size.  --dump-dom returns the DOM with the
probe's findings; --screenshot writes the PNG.

The page passes when it loaded without an error, its summary table has one
row per run of the report, each policy's plan table one row per write, the
timeline has one lane with a non-empty box per device of every run, and the
screenshot is a PNG of the window's size that is not blank.

--self-test feeds it broken copies of the page (the SVG elements renamed, a
script error, the summary table cut short) and fails unless each is
rejected, then checks the page itself.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM = "chromium"
WINDOW = (1280, 2400)
TIMEOUT_S = 90
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars",
         "--window-size=%d,%d" % WINDOW]

PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(e.message || ('failed to load ' +
                (e.target && (e.target.src || e.target.href)) || e.type));
  }, true);
  window.addEventListener('load', function () {
    var out = {errors: errors, title: document.title, tables: {},
               lanes: [], svgs: []};
    document.querySelectorAll('table').forEach(function (t) {
      out.tables[t.id || '?'] = t.tBodies.length ? t.tBodies[0].rows.length
                                                  : 0;
    });
    document.querySelectorAll('svg g.lane').forEach(function (g) {
      var b = g.getBBox();
      out.lanes.push([g.getAttribute('data-policy'),
                      g.getAttribute('data-device'), b.width, b.height]);
    });
    document.querySelectorAll('svg').forEach(function (s) {
      var r = s.getBoundingClientRect();
      out.svgs.push([r.width, r.height]);
    });
    var pre = document.createElement('pre');
    pre.id = 'pcidc-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  });
})();
</script>
"""


def chromium(args, profile):
    cmd = [CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + args
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT_S, check=False)


def probe_page(page, tmp):
    """The probe's findings for page, or a reason it has none."""
    html = open(page, encoding="utf-8").read()
    m = re.search(r"<head[^>]*>", html)
    if not m:
        return None, "no <head> in the page"
    probed = os.path.join(tmp, "probed.html")
    with open(probed, "w", encoding="utf-8") as f:
        f.write(html[:m.end()] + PROBE + html[m.end():])
    profile = tempfile.mkdtemp(dir=tmp, prefix="profile-")
    r = chromium(["--dump-dom", "file://" + os.path.abspath(probed)], profile)
    dom = r.stdout.decode("utf-8", "replace")
    m = re.search(r'<pre id="pcidc-probe">(.*?)</pre>', dom, re.S)
    if r.returncode != 0 or not m:
        return None, ("chromium exited %d, probe %s; stderr: %s" %
                      (r.returncode, "found" if m else "missing",
                       r.stderr.decode("utf-8", "replace")[-400:]))
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<") \
                     .replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text), None


def expectations(report):
    runs = [r for r in report["runs"] if "error" not in r]
    lanes = {(r["policy"], d["device"]) for r in runs
             for d in r.get("dma_after_crash", {}).values()}
    plans = {r["policy"]: len(r["plan"]) for r in runs if r.get("plan")}
    return len(report["runs"]), lanes, plans


def judge(found, report):
    """Every reason the page falls short (empty: it passes)."""
    nruns, lanes, plans = expectations(report)
    bad = ["script or resource error: %s" % e for e in found["errors"]]
    if found["tables"].get("summary") != nruns:
        bad.append("summary table: %s rows, want %d" %
                   (found["tables"].get("summary"), nruns))
    for policy, n in plans.items():
        got = found["tables"].get("plan-" + policy)
        if got != n:
            bad.append("plan table of %s: %s rows, want %d" % (policy, got, n))
    drawn = {(p, d) for p, d, w, h in found["lanes"] if w > 0 and h > 0}
    for p, d in sorted(lanes - drawn):
        bad.append("timeline: no lane drawn for %s under %s" % (d, p))
    if not found["svgs"] or min(w * h for w, h in found["svgs"]) <= 0:
        bad.append("an SVG picture has no area: %s" % found["svgs"])
    return bad


def png_pixels(path):
    """(width, height, distinct row checksums) of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = len(raw) // height
    rows = {zlib.crc32(raw[i * stride + 1:(i + 1) * stride])
            for i in range(height)}
    return width, height, len(rows)


def screenshot(page, png, tmp):
    profile = tempfile.mkdtemp(dir=tmp, prefix="profile-")
    r = chromium(["--screenshot=" + os.path.abspath(png),
                  "file://" + os.path.abspath(page)], profile)
    if r.returncode != 0 or not os.path.exists(png):
        return ["screenshot: chromium exited %d" % r.returncode]
    w, h, distinct = png_pixels(png)
    if (w, h) != WINDOW:
        return ["screenshot: %dx%d, want %dx%d" % (w, h, *WINDOW)]
    if distinct < 50:
        return ["screenshot: only %d distinct pixel rows: blank" % distinct]
    return []


def check(page, report, png, tmp):
    found, why = probe_page(page, tmp)
    if found is None:
        return [why]
    bad = judge(found, report)
    if png and not bad:
        bad += screenshot(page, png, tmp)
    if not bad:
        print("browser-check: %s: loaded without error; %d summary rows, "
              "%d timeline lanes, %d pictures%s" %
              (page, found["tables"]["summary"], len(found["lanes"]),
               len(found["svgs"]), ", screenshot " + png if png else ""))
    return bad


def broken_pages(page, tmp):
    html = open(page, encoding="utf-8").read()
    yield "SVG elements renamed", html.replace("<svg", "<svq") \
                                      .replace("</svg>", "</svq>")
    yield "a script error", html.replace("</body>",
                                         "<script>noSuchFunction();</script>"
                                         "</body>")
    m = re.search(r'(<table id="summary">.*?<tbody>\n<tr.*?</tr>)', html,
                  re.S)
    if m:
        yield "summary table cut to one row", \
            html.replace(html[m.start():], m.group(1) +
                         "</tbody></table></body></html>")


def self_test(page, report, tmp):
    failed = False
    for what, text in broken_pages(page, tmp):
        path = os.path.join(tmp, "broken.html")
        open(path, "w", encoding="utf-8").write(text)
        bad = check(path, report, None, tmp)
        if bad:
            print("browser-check: control (%s) rejected: %s" % (what, bad[0]))
        else:
            print("browser-check: control (%s) was NOT rejected" % what)
            failed = True
    return failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--page", required=True)
    ap.add_argument("--png")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if not shutil.which(CHROMIUM):
        sys.exit("browser-check: no %s (ci/deps.sh browser)" % CHROMIUM)
    report = json.load(open(a.report, encoding="utf-8"))
    tmp = tempfile.mkdtemp(prefix="pcidc-browser-")
    try:
        if a.self_test and self_test(a.page, report, tmp):
            sys.exit("browser-check: a broken page passed")
        bad = check(a.page, report, a.png, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for b in bad:
        print("browser-check: %s: %s" % (a.page, b))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
