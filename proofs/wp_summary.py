#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Summarise Frama-C/WP JSON reports (-wp-report-json).

  wp_summary.py REPORT.json ...       one line per function (and per lemma),
                                      then a total, over all the reports;
                                      exit 1 unless every goal is proved
  wp_summary.py --control REGEX REPORT.json [CORRECT.json ...]
                                      negative control: exit 0 only if some
                                      goal whose name matches REGEX is
                                      unproved; print the unproved goals.
                                      With the correct code's reports: each
                                      such goal that they hold must be
                                      proved there by Qed or by a prover
                                      the control ran (else the control
                                      would show a weaker prover, not a
                                      lost property)
"""
import json
import re
import sys


def provers(report):
    """{(function, goal): {prover: valid}} for every goal of the report."""
    out = {}
    for fct, props in report.get("wp:functions", {}).items():
        for goal, stats in props.items():
            if goal != "wp:section":
                out[(fct, goal)] = {p: s.get("valid", 0)
                                    for p, s in stats.items()
                                    if p != "wp:main"}
    return out


def goals(report):
    """(row, goal, total, valid) for every goal in the report."""
    for fct, props in report.get("wp:functions", {}).items():
        for goal, stats in props.items():
            if goal == "wp:section":    # the function's own subtotal
                continue
            main = stats.get("wp:main", {})
            yield fct, goal, main.get("total", 0), main.get("valid", 0)
    # Lemmas are not attached to a function: one row each.
    for _, props in report.get("wp:axiomatics", {}).items():
        for goal, stats in props.items():
            if goal == "wp:section":
                continue
            main = stats.get("wp:main", {})
            yield goal.replace("_", " ", 1), goal, main.get("total", 0), \
                main.get("valid", 0)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"wp_summary: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def summary(reports):
    rows = {}
    unproved = []
    for report in reports:
        for row, goal, total, valid in goals(report):
            t, v = rows.get(row, (0, 0))
            rows[row] = (t + total, v + valid)
            if valid < total:
                unproved.append(goal)
    width = max([len(r) for r in rows] + [10])
    all_t = all_v = 0
    for row in sorted(rows, key=lambda r: (r.startswith("lemma"), r)):
        t, v = rows[row]
        all_t += t
        all_v += v
        mark = "" if v == t else "   <-- UNPROVED"
        print(f"  {row:<{width}}  {v:4d} / {t:<4d}{mark}")
    print(f"  {'total':<{width}}  {all_v:4d} / {all_t:<4d} goals proved")
    for goal in unproved:
        print(f"  unproved: {goal}")
    if all_t == 0:
        print("  no goal at all: the run proved nothing")
        return 1
    return 0 if all_v == all_t else 1


def control(report, regex, correct):
    pattern = re.compile(regex)
    unproved = [g for _, g, t, v in goals(report) if v < t]
    total = sum(t for _, _, t, _ in goals(report))
    hit = [g for g in unproved if pattern.search(g)]
    shown = ", ".join(hit or unproved) or "none"
    print(f"{len(unproved)}/{total} goals unproved; expected: "
          f"{len(hit)} ({shown})")
    ran = provers(report)
    proved = {}
    for ref in correct:
        proved.update(provers(ref))
    unfair = []
    for key, used in ran.items():
        if not pattern.search(key[1]) or key not in proved:
            continue
        by = {p for p, v in proved[key].items() if v > 0}
        if not by & ({"qed"} | set(used)):
            unfair.append(f"{key[1]} (correct code: {', '.join(sorted(by))})")
    for goal in unfair:
        print(f"  not proved on the correct code by the control's provers: "
              f"{goal}")
    return 0 if hit and not unfair else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "--control":
        return control(load(argv[3]), argv[2], [load(p) for p in argv[4:]])
    if len(argv) >= 2 and not argv[1].startswith("-"):
        return summary([load(p) for p in argv[1:]])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
