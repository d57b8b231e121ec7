/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_check: crashsim's --require-clean and --require-reachable
 * verdicts, from the report alone.  See report.h.
 */
#include <string.h>

#include "report.h"

/* The run of policy p in the report, or NULL. */
static const json_t *run_of(const json_t *report, enum crash_policy p)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    const char *name;
    size_t i;

    json_array_foreach((json_t *)runs, i, run) {
        name = json_string_value(json_object_get(run, "policy"));
        if (name && !strcmp(name, crash_policy_name(p)))
            return run;
    }
    return NULL;
}

int report_check_clean(const json_t *report,
                       const bool clean[CRASH_NR_POLICIES], FILE *err)
{
    const json_t *run;
    int status = 0;
    unsigned int p;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        if (!clean[p])
            continue;
        run = run_of(report, (enum crash_policy)p);
        if (!run) {
            fprintf(err, "crashsim: policy %s has no run in the report\n",
                    crash_policy_name((enum crash_policy)p));
            status = 1;
        } else if (report_beyond_inflight(run) != 0) {
            fprintf(err, "crashsim: policy %s corrupted %lld bytes beyond "
                    "in-flight requests\n",
                    crash_policy_name((enum crash_policy)p),
                    report_beyond_inflight(run));
            status = 1;
        }
    }
    return status;
}

/* 1 when run left the console line arriving (or had no UART) and every
 * checked register answering; 0 otherwise, also when a figure is missing. */
static bool all_reachable(const json_t *run, long long *ok, long long *of,
                          bool *lost)
{
    const json_t *c = json_object_get(run, "console_after_crash");
    const json_t *r = json_object_get(run, "mmio_reachable");
    const json_t *n = json_object_get(run, "mmio_checked");

    *ok = json_is_integer(r) ? (long long)json_integer_value(r) : -1;
    *of = json_is_integer(n) ? (long long)json_integer_value(n) : -1;
    *lost = !json_is_true(c) && !json_is_null(c);
    return !*lost && *ok >= 0 && *ok == *of;
}

int report_check_reachable(const json_t *report,
                           const bool reach[CRASH_NR_POLICIES], FILE *err)
{
    const json_t *run;
    long long ok, of;
    int status = 0;
    unsigned int p;
    bool lost;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        if (!reach[p])
            continue;
        run = run_of(report, (enum crash_policy)p);
        if (run && all_reachable(run, &ok, &of, &lost))
            continue;
        if (!run)
            fprintf(err, "crashsim: policy %s has no run in the report\n",
                    crash_policy_name((enum crash_policy)p));
        else
            fprintf(err, "crashsim: after policy %s's crash path the "
                    "console line was %s and %lld of %lld registers "
                    "answered\n", crash_policy_name((enum crash_policy)p),
                    lost ? "lost" : "not lost", ok, of);
        status = 1;
    }
    return status;
}
