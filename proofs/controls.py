#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the negative controls of `make prove`: broken copies of the core.

  controls.py OUTDIR CORE.c...

For every control, OUTDIR/NAME/ holds a copy of every CORE.c, one of them
(the control's FILE, named by its base name) with one exact, unique piece
of code replaced (annotations untouched).  OUTDIR/controls.tsv (make
prove) and OUTDIR/controls-build.tsv (make prove-build) list
NAME <tab> FUNCTIONS <tab> SELECT <tab> REGEX <tab> WHAT: WP is run on the
properties SELECT (WP options) of FUNCTIONS of the copy, and must leave
unproved at least one goal whose name matches REGEX.  Each control targets
the property that is meant to catch it: a false goal costs a full prover
time-out, so running every goal of the copy would only add time.
A pattern that no longer occurs exactly once in FILE is an error, so a
control cannot silently stop being a mutation when the core changes.
"""
import os
import sys

CRASH = "pcidc_crash_disconnect"
STEP = "step_value"      # the crash path's read-modify-write of one step
CRASH_C = "crash.c"      # the crash path
PLAN_C = "plan.c"        # plan building

LOOP = """    for ( i = 0; i < nr; i++ )
        pcidc_port_conf_write16(plan->step[i].sbdf, plan->step[i].reg,
                                step_value(&plan->step[i]));"""

READ = """    now = pcidc_port_crash_read16(step->sbdf, step->reg);"""
NO_READ = """    if ( step->clear == PCIDC_ALL_BITS )
        return step->set;
"""

# name, functions, WP selection, goal regex, what it breaks, file, old code,
# new code
CONTROLS = [
    ("off_by_one", CRASH, "-wp-prop=bound",
     r"invariant_bound",
     "loop runs to i <= nr: one step past the plan",
     CRASH_C,
     LOOP, LOOP.replace("i < nr", "i <= nr")),
    ("other_register", CRASH, "-wp-prop=@assigns",
     r"assigns",
     "writes the register after the step's (STATUS after COMMAND)",
     CRASH_C,
     LOOP, LOOP.replace("plan->step[i].reg,", "plan->step[i].reg + 2,")),
    ("outside_plan", CRASH, "-wp-prop=in_order",
     r"in_order",
     "writes the neighbouring device (sbdf ^ 8), not the plan's",
     CRASH_C,
     LOOP, LOOP.replace("(plan->step[i].sbdf,", "(plan->step[i].sbdf ^ 8,")),
    ("no_once_check", CRASH, "-wp-prop=no_write",
     r"later_call_ensures_no_write",
     "ignores test-and-set: a second crashing CPU writes again",
     CRASH_C,
     """    if ( pcidc_port_test_and_set(&dc->crashed) )
        return 0;""",
     """    (void)pcidc_port_test_and_set(&dc->crashed);"""),
    ("no_clamp", CRASH, "-wp-prop=count",
     r"first_call_ensures_count",
     "trusts nr_steps: a corrupted count walks off the array",
     CRASH_C,
     """    if ( nr > PCIDC_PLAN_CAPACITY )
        nr = PCIDC_PLAN_CAPACITY;""",
     """    /* no clamp */"""),
    ("reads_at_crash", CRASH, "-wp-prop=not_at_crash",
     r"requires_not_at_crash",
     "reads config space on the crash path",
     CRASH_C,
     """    plan = read_published(dc);
    if ( !plan )
        return 0;""",
     """    plan = read_published(dc);
    if ( !plan )
        return 0;
    (void)pcidc_port_conf_read32(plan->step[0].sbdf, 0);"""),
    ("clears_memory", STEP, "-wp-prop=disconnects",
     r"step_value_reads_ensures_disconnects",
     "also clears Memory Space: decode not kept as read",
     CRASH_C,
     """    return (now & ~step->clear) | step->set;""",
     """    return (now & ~step->clear & ~PCIDC_COMMAND_MEMORY) | step->set;"""),
    ("reads_other", STEP, "-wp-prop=own_register",
     r"step_value_reads_ensures_own_register",
     "reads the register after the step's, not the one it writes",
     CRASH_C,
     READ, READ.replace("step->reg);", "step->reg + 2);")),
    ("no_fallback", STEP, "-wp-prop=value",
     r"step_value_ensures_value",
     "ignores all ones: an unanswering function gets ~clear | set",
     CRASH_C,
     """    if ( now == PCIDC_ALL_BITS )
        return step->fallback;
""",
     ""),
    ("keeps_master", STEP, "-wp-prop=disconnects",
     r"step_value_reads_ensures_disconnects",
     "leaves Bus Master as read: the clear mask not applied",
     CRASH_C,
     """    return (now & ~step->clear) | step->set;""",
     """    return now | step->set;"""),
    ("no_intx", STEP, "-wp-prop=disconnects",
     r"step_value_reads_ensures_disconnects",
     "leaves INTx Disable as read: the set mask not applied",
     CRASH_C,
     """    return (now & ~step->clear) | step->set;""",
     """    return now & ~step->clear;"""),
    ("reads_neighbour", STEP, "-wp-prop=own_register",
     r"step_value_reads_ensures_own_register",
     "reads the neighbouring device's COMMAND (sbdf ^ 8), not the step's",
     CRASH_C,
     READ, READ.replace("(step->sbdf,", "(step->sbdf ^ 8,")),
    ("crash_read_at_plan", "pcidc_describe", "-wp-prop=at_crash",
     r"crash_read16_requires_at_crash",
     "plan building reads COMMAND with the crash-time reader",
     PLAN_C,
     """    func->command = pcidc_port_conf_read32(sbdf, PCIDC_COMMAND) & 0xffff;""",
     """    func->command = pcidc_port_crash_read16(sbdf, PCIDC_COMMAND);"""),
    ("reads_cleared", STEP, "-wp-prop=unread",
     r"step_value_no_read_ensures_unread",
     "reads COMMAND even when the step clears every bit",
     CRASH_C,
     NO_READ + "\n" + READ,
     READ + "\n" + NO_READ),
]

# The same for plan building (make prove-build), in controls-build.tsv.
BUILD_CONTROLS = [
    ("fallback_unmasked", "fill_plan", "-wp-prop=made",
     r"fill_plan_assert_made",
     "the fallback is COMMAND as described, Bus Master not cleared",
     PLAN_C,
     """        plan->step[n].fallback = (f->command & ~policy->clear) | policy->set;""",
     """        plan->step[n].fallback = f->command | policy->set;"""),
    ("self_parent", "find_parents", "-wp-prop=kept_link,links",
     r"find_parents_assert_links|find_parents_loop_invariant_links",
     "links each function to itself instead of the bridge above it",
     PLAN_C,
     """        dc->parent[idx] = parent;""",
     """        dc->parent[idx] = idx + 1;"""),
    ("walk_stuck", "mark_preserved", "-wp-prop=@variant",
     r"mark_preserved_loop_variant",
     "the preserve walk re-reads the start's link instead of going up",
     PLAN_C,
     """              up = dc->parent[up - 1] )""",
     """              up = dc->parent[i] )"""),
    ("no_crash_check", "pcidc_plan_build", "-wp-prop=refused",
     r"pcidc_plan_build_crashed_ensures_refused",
     "builds and publishes after the crash path has started",
     PLAN_C,
     """    if ( crash_started(dc) )
        return PCIDC_E_CRASHED;""",
     """    if ( 0 && crash_started(dc) )
        return PCIDC_E_CRASHED;"""),
]

# Broken copies for the run-time check only (proofs/eacsl/eacsl.sh): what
# they break is stated in proofs/eacsl/shim.c, not proved by WP, so they
# are written next to the others but left out of controls.tsv.
RUNTIME_CONTROLS = [
    ("children_first",
     "orders by depth from the deepest: functions before their bridges",
     PLAN_C,
     """        dc->key[i] = dc->depth[i] * 2 +""",
     """        dc->key[i] = (255 - dc->depth[i]) * 2 +"""),
    ("seed_reordered",
     "the seed policy's input order ignored: bridges first instead",
     PLAN_C,
     """    if ( policy->flags & PCIDC_POLICY_INPUT_ORDER )
        order_by_input(dc, nr);""",
     """    if ( 0 )
        order_by_input(dc, nr);"""),
    ("upstream_planned",
     "a preserved function's bridges are not kept: they are planned",
     PLAN_C,
     """            dc->keep[up - 1] = 1;""",
     """            dc->keep[up - 1] = 0;"""),
    ("duplicates_accepted",
     "duplicate detection broken: a function listed twice is planned twice",
     PLAN_C,
     """            return PCIDC_E_DUPLICATE;""",
     """            break;"""),
    ("misses_last",
     "the last function in plan order is left out",
     PLAN_C,
     """    for ( i = 0; i < nr; i++ )
    {
        if ( dc->keep[dc->order[i]] )""",
     """    for ( i = 0; i + 1 < nr; i++ )
    {
        if ( dc->keep[dc->order[i]] )"""),
]


def write_copy(sources, outdir, name, target, old, new):
    """OUTDIR/NAME/: every core file, TARGET mutated."""
    if target not in sources:
        print(f"controls: {name}: no core file {target} among "
              f"{', '.join(sorted(sources))}", file=sys.stderr)
        return False
    text = sources[target]
    n = text.count(old)
    if n != 1:
        print(f"controls: {name}: the code to mutate occurs {n} times in "
              f"{target} (expected once); update proofs/controls.py",
              file=sys.stderr)
        return False
    mutant = text.replace(old, new)
    assert mutant != text
    copy = os.path.join(outdir, name)
    os.makedirs(copy, exist_ok=True)
    for base, body in sources.items():
        with open(os.path.join(copy, base), "w", encoding="utf-8") as f:
            f.write(mutant if base == target else body)
    return True


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir, sources = argv[1], {}
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            sources[os.path.basename(path)] = f.read()
    os.makedirs(outdir, exist_ok=True)
    for table, controls in (("controls.tsv", CONTROLS),
                            ("controls-build.tsv", BUILD_CONTROLS)):
        rows = []
        for name, fcts, select, regex, what, target, old, new in controls:
            if not write_copy(sources, outdir, name, target, old, new):
                return 1
            rows.append("\t".join((name, fcts, select, regex, what)))
        with open(os.path.join(outdir, table), "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    for name, what, target, old, new in RUNTIME_CONTROLS:
        if not write_copy(sources, outdir, name, target, old, new):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
