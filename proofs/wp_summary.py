#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Summarise a Frama-C/WP JSON report (-wp-report-json).

  wp_summary.py REPORT.json             one line per function, then a total;
                                        exit 1 unless every goal is proved
  wp_summary.py REPORT.json --control REGEX
                                        negative control: exit 0 only if some
                                        goal whose name matches REGEX is
                                        unproved; print the unproved goals
"""
import json
import re
import sys


def goals(report):
    """(function, goal, total, valid) for every goal in the report."""
    for fct, props in report.get("wp:functions", {}).items():
        for goal, stats in props.items():
            if goal == "wp:section":    # the function's own subtotal
                continue
            main = stats.get("wp:main", {})
            yield fct, goal, main.get("total", 0), main.get("valid", 0)
    # Lemmas (if any) are not attached to a function.
    for axio, props in report.get("wp:axiomatics", {}).items():
        for goal, stats in props.items():
            if goal == "wp:section":
                continue
            main = stats.get("wp:main", {})
            yield "lemma " + (axio or "-"), goal, main.get("total", 0), \
                main.get("valid", 0)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"wp_summary: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def summary(report):
    per_fct = {}
    unproved = []
    for fct, goal, total, valid in goals(report):
        t, v = per_fct.get(fct, (0, 0))
        per_fct[fct] = (t + total, v + valid)
        if valid < total:
            unproved.append(goal)
    width = max([len(f) for f in per_fct] + [10])
    all_t = all_v = 0
    for fct in sorted(per_fct):
        t, v = per_fct[fct]
        all_t += t
        all_v += v
        mark = "" if v == t else "   <-- UNPROVED"
        print(f"  {fct:<{width}}  {v:4d} / {t:<4d}{mark}")
    print(f"  {'total':<{width}}  {all_v:4d} / {all_t:<4d} goals proved")
    for goal in unproved:
        print(f"  unproved: {goal}")
    if all_t == 0:
        print("  no goal at all: the run proved nothing")
        return 1
    return 0 if all_v == all_t else 1


def control(report, regex):
    pattern = re.compile(regex)
    unproved = [g for _, g, t, v in goals(report) if v < t]
    total = sum(t for _, _, t, _ in goals(report))
    hit = [g for g in unproved if pattern.search(g)]
    shown = ", ".join(hit or unproved) or "none"
    print(f"{len(unproved)}/{total} goals unproved, expected ones: "
          f"{len(hit)} ({shown})")
    return 0 if hit else 1


def main(argv):
    if len(argv) == 2:
        return summary(load(argv[1]))
    if len(argv) == 4 and argv[2] == "--control":
        return control(load(argv[1]), argv[3])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
