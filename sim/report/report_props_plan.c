/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_props_plan: crashsim --check's properties of the crash path's
 * writes (props.h): checked against the functions the run found on the
 * bus (their bridges, keep: marks and COMMAND just before the crash path)
 * and against the plans --plan-only lists.
 */
#include <stdio.h>
#include <string.h>

#include "props.h"
#include "report.h"

#define MAX_FUNCS       CRASH_MAX_FUNCS
#define COMMAND_MASTER  0x0004
#define INTX_DISABLE    0x0400

struct fn {
    const char *sbdf;
    int parent;                 /* index, -1: on bus 0 */
    bool bridge, preserved;
    bool above_kept;            /* a bridge with a keep: function below */
    long long command;          /* just before the crash path */
    bool written;
};

struct funcs {
    size_t n;
    struct fn f[MAX_FUNCS];
};

static int find(const struct funcs *fs, const char *sbdf)
{
    size_t i;

    for (i = 0; sbdf && i < fs->n; i++)
        if (!strcmp(fs->f[i].sbdf, sbdf))
            return (int)i;
    return -1;
}

/* true when function a is a bridge above function b. */
static bool above(const struct funcs *fs, int a, int b)
{
    int up, hops = 0;

    for (up = fs->f[b].parent; up >= 0 && hops < MAX_FUNCS;
         up = fs->f[up].parent, hops++)
        if (up == a)
            return true;
    return false;
}

static void read_funcs(const json_t *run, struct funcs *fs)
{
    const json_t *f;
    size_t i, k;

    fs->n = 0;
    json_array_foreach(json_object_get(run, "functions"), i, f) {
        struct fn *o = &fs->f[fs->n];

        if (fs->n == MAX_FUNCS)
            break;
        o->sbdf = report_str(f, "sbdf");
        o->bridge = json_is_true(json_object_get(f, "bridge"));
        o->preserved = json_is_true(json_object_get(f, "preserved"));
        o->command = report_num(f, "command_before");
        o->above_kept = false;
        o->written = false;
        fs->n++;
    }
    json_array_foreach(json_object_get(run, "functions"), i, f)
        if (i < fs->n)
            fs->f[i].parent = find(fs, json_string_value(
                                  json_object_get(f, "parent")));
    for (i = 0; i < fs->n; i++)
        for (k = 0; k < fs->n; k++)
            if (fs->f[k].preserved && above(fs, (int)i, (int)k))
                fs->f[i].above_kept = true;
}

static long long step_value(const json_t *step)
{
    const char *s = json_string_value(json_object_get(step, "value"));
    unsigned int v;

    return s && sscanf(s, "0x%x", &v) == 1 ? (long long)v : -1;
}

/* The value policy writes to f, mark included. */
static long long expected_value(const char *policy, const struct fn *f,
                                long long mark)
{
    if (!strcmp(policy, "seed"))
        return mark;
    if (!strcmp(policy, "decode-off"))
        return INTX_DISABLE | mark;
    return ((f->command & ~COMMAND_MASTER) | INTX_DISABLE | mark) & 0xffff;
}

static bool planned_by(const char *policy, const struct fn *f)
{
    return !strcmp(policy, "seed") || (!f->preserved && !f->above_kept);
}

/*
 * The writes' marks: 0 when no step carries CRASH_REPUBLISH_MARK, the mark
 * when every step does, -1 when they are mixed.
 */
static long long marks(const json_t *plan)
{
    const json_t *st;
    size_t i, marked = 0;

    json_array_foreach((json_t *)plan, i, st)
        marked += (step_value(st) & CRASH_REPUBLISH_MARK) != 0;
    if (!marked)
        return 0;
    return marked == json_array_size(plan) ? CRASH_REPUBLISH_MARK : -1;
}

/* One pass over the writes: known, once, planned, value; 0 or -1 + why. */
static int check_writes(const json_t *plan, const char *policy,
                        struct funcs *fs, long long mark, char *why,
                        size_t len)
{
    const json_t *st;
    size_t i;
    int k;

    json_array_foreach((json_t *)plan, i, st) {
        const char *sbdf = report_str(st, "sbdf");

        k = find(fs, sbdf);
        if (k < 0)
            return snprintf(why, len, "step %zu writes %s, no function of "
                            "the bus", i + 1, sbdf), -1;
        if (fs->f[k].written)
            return snprintf(why, len, "step %zu writes %s a second time",
                            i + 1, sbdf), -1;
        fs->f[k].written = true;
        if (!planned_by(policy, &fs->f[k]))
            return snprintf(why, len, "step %zu writes %s, which is kept "
                            "(keep: or a bridge above one)", i + 1, sbdf), -1;
        if (step_value(st) != expected_value(policy, &fs->f[k], mark))
            return snprintf(why, len, "step %zu writes 0x%04llx to %s, "
                            "expected 0x%04llx", i + 1, step_value(st), sbdf,
                            expected_value(policy, &fs->f[k], mark)), -1;
    }
    return 0;
}

/* Order: Xen's list (descending SBDF) for the seed, else bridges first. */
static int check_order(const json_t *plan, const char *policy,
                       const struct funcs *fs, char *why, size_t len)
{
    size_t i, j, n = json_array_size(plan);

    for (i = 0; i + 1 < n; i++) {
        const char *a = report_str(json_array_get(plan, i), "sbdf");

        for (j = i + 1; j < n; j++) {
            const char *b = report_str(json_array_get(plan, j), "sbdf");

            if (!strcmp(policy, "seed") && j == i + 1 && strcmp(a, b) < 0)
                return snprintf(why, len, "step %zu (%s) before step %zu "
                                "(%s): not Xen's list order", i + 1, a,
                                j + 1, b), -1;
            if (strcmp(policy, "seed") &&
                above(fs, find(fs, b), find(fs, a)))
                return snprintf(why, len, "step %zu writes %s before its "
                                "bridge %s (step %zu)", i + 1, a, b, j + 1),
                       -1;
        }
    }
    return 0;
}

void props_plan_valid(const json_t *run, const char *policy, json_t *props)
{
    static struct funcs fs;
    const json_t *plan = json_object_get(run, "plan");
    const json_t *rp = json_object_get(run, "republication");
    const char *dropped = json_string_value(json_object_get(rp, "dropped"));
    char why[PROPS_DETAIL_LEN] = "";
    long long mark = marks(plan);
    size_t i, missing = 0;
    int k;

    read_funcs(run, &fs);
    if (mark < 0) {
        props_add(props, "plan_valid", policy, false, "some writes carry the "
                  "republished plan's mark 0x%04x and some do not",
                  CRASH_REPUBLISH_MARK);
        return;
    }
    /* The republished plan leaves its dropped function out. */
    k = mark ? find(&fs, dropped) : -1;
    if (check_writes(plan, policy, &fs, mark, why, sizeof(why)) ||
        check_order(plan, policy, &fs, why, sizeof(why))) {
        props_add(props, "plan_valid", policy, false, "%s", why);
        return;
    }
    for (i = 0; i < fs.n; i++)
        if (!fs.f[i].written && planned_by(policy, &fs.f[i]) &&
            (int)i != k && !missing++)
            snprintf(why, sizeof(why), "%s is never written", fs.f[i].sbdf);
    if (missing)
        props_add(props, "plan_valid", policy, false, "%s (%zu function(s) "
                  "missed)", why, missing);
    else
        props_add(props, "plan_valid", policy, true, "%zu writes: each "
                  "planned function once, %s, the policy's value",
                  json_array_size(plan), !strcmp(policy, "seed") ?
                  "Xen's list order" : "bridges first");
}

/* true when the writes' SBDFs are list (an array of SBDFs or of steps). */
static bool same_sbdfs(const json_t *plan, const json_t *list)
{
    const json_t *a, *b;
    size_t i;

    if (json_array_size(plan) != json_array_size(list))
        return false;
    json_array_foreach((json_t *)plan, i, a) {
        b = json_array_get(list, i);
        if (strcmp(report_str(a, "sbdf"), json_is_string(b) ?
                   json_string_value(b) : report_str(b, "sbdf")))
            return false;
    }
    return true;
}

/* Steps --plan-only says read nothing must write what it listed. */
static bool same_fixed_values(const json_t *plan, const json_t *listed)
{
    const json_t *a, *b;
    size_t i;

    json_array_foreach((json_t *)plan, i, a) {
        b = json_array_get(listed, i);
        if (!json_is_true(json_object_get(b, "reads")) &&
            step_value(a) != step_value(b))
            return false;
    }
    return true;
}

static void one_whole_plan(const json_t *run, const char *policy,
                           const json_t *listed, json_t *props)
{
    const json_t *plan = json_object_get(run, "plan");
    const json_t *rp = json_object_get(run, "republication");
    const json_t *second = json_object_get(rp, "plan");
    long long at = report_num(rp, "at_write"), mark = marks(plan);
    bool first = same_sbdfs(plan, listed) && mark == 0;
    bool other = same_sbdfs(plan, second) && mark == CRASH_REPUBLISH_MARK;

    if (!json_is_true(json_object_get(rp, "refused_crashed"))) {
        props_add(props, "one_whole_plan", policy, false, "second plan "
                  "built at write %lld, after the crash path's test-and-set:"
                  " the core answered %s, not that the crash path has "
                  "started; it walked %s", at,
                  report_str(rp, "build_result"), first ? "the first plan" :
                  other ? "the second plan" : "neither plan whole");
        return;
    }
    props_add(props, "one_whole_plan", policy, first, "second plan refused "
              "at write %lld, the crash path having started: %s (%zu steps)",
              at, first ? "it walked the first plan to its end" :
              other ? "it switched to the second plan" :
              "it walked neither plan whole", json_array_size(plan));
}

void props_plan_agrees(const json_t *report, const json_t *run,
                       const char *policy, json_t *props)
{
    const json_t *listed = json_object_get(json_object_get(report,
                                                           "plan_only"),
                                           policy);
    const json_t *plan = json_object_get(run, "plan");
    const json_t *rp = json_object_get(run, "republication");
    bool ok;

    if (!json_is_array(listed)) {
        props_add(props, "plan_agrees", policy, false, "--plan-only listed "
                  "no plan for %s", policy);
        return;
    }
    if (json_is_true(json_object_get(rp, "done"))) {
        one_whole_plan(run, policy, listed, props);
        return;
    }
    ok = same_sbdfs(plan, listed) && same_fixed_values(plan, listed);
    props_add(props, "plan_agrees", policy, ok, "the crash path wrote %zu "
              "steps, --plan-only lists %zu%s%s", json_array_size(plan),
              json_array_size(listed), ok ? ", the same functions in the "
              "same order" : "; they differ",
              json_is_object(rp) ? " (the second plan's moment never came)"
                                 : "");
}
