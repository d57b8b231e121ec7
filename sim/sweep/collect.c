/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * collect: a finished case's verdict and figures, and the distributions
 * over every case (see sweep.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sweep.h"
#include "base/proc.h"
#include "report/report.h"

static const struct {
    const char *key, *title;
} metric[SWEEP_NR_METRICS] = {
    [SWEEP_BEYOND] = { "beyond_inflight_bytes",
                       "bytes beyond in-flight requests" },
    [SWEEP_QUIESCED] = { "writes_until_quiesced",
                         "writes until new DMA stopped (QEMU)" },
    [SWEEP_QUIESCED_PCIE] = { "writes_until_quiesced_pcie",
                              "the same, PCIe rule" },
    [SWEEP_INTX] = { "intx_after_crash", "INTx after the crash path" },
    [SWEEP_MSI] = { "msi_after_crash", "MSI after it" },
    [SWEEP_RUN_MS] = { "run_ms", "run time (ms)" },
};

const char *sweep_metric_key(enum sweep_metric m)
{
    return (unsigned int)m < SWEEP_NR_METRICS ? metric[m].key : "?";
}

const char *sweep_metric_title(enum sweep_metric m)
{
    return (unsigned int)m < SWEEP_NR_METRICS ? metric[m].title : "?";
}

static int policy_of(const char *name)
{
    unsigned int p;

    for (p = 0; p < CRASH_NR_POLICIES; p++)
        if (name && !strcmp(name, crash_policy_name((enum crash_policy)p)))
            return (int)p;
    return -1;
}

static void figures(struct sweep_case_result *r, const json_t *report)
{
    const json_t *run;
    size_t i;
    int p;

    json_array_foreach(json_object_get(report, "runs"), i, run) {
        double *v;

        p = policy_of(json_string_value(json_object_get(run, "policy")));
        if (p < 0 || json_object_get(run, "error"))
            continue;
        r->ran[p] = true;
        v = r->value[p];
        v[SWEEP_BEYOND] = (double)report_beyond_inflight(run);
        v[SWEEP_QUIESCED] = (double)report_num(run,
            "writes_until_quiesced_excluding_inflight");
        v[SWEEP_QUIESCED_PCIE] = (double)report_num(run,
            "writes_until_quiesced_pcie_excluding_inflight");
        v[SWEEP_INTX] = (double)report_num(run, "intx_after_crash");
        v[SWEEP_MSI] = (double)report_num(run, "msi_after_crash");
        v[SWEEP_RUN_MS] = report_real(run, "elapsed_ms");
    }
}

/* The first failing property of the report into why; how many failed. */
static unsigned int failed_properties(const json_t *report, char *why,
                                      size_t len)
{
    const json_t *p;
    unsigned int failed = 0;
    size_t i;

    json_array_foreach(json_object_get(report, "properties"), i, p) {
        if (json_is_true(json_object_get(p, "ok")))
            continue;
        if (!failed++)
            snprintf(why, len, "%s (%s): %s", report_str(p, "property"),
                     report_str(p, "policy"), report_str(p, "detail"));
    }
    return failed;
}

void sweep_collect_case(struct sweep_case_result *r,
                        const struct sweep_job *job, const json_t *report)
{
    char how[96];
    int st = job->status;

    r->ms = job->ms;
    r->ok = false;
    r->why[0] = '\0';
    if (report) {
        figures(r, report);
        r->failed_props = failed_properties(report, r->why, sizeof(r->why));
    }
    if (job->error[0])
        snprintf(r->why, sizeof(r->why), "not started: %s", job->error);
    else if (job->hung)
        snprintf(r->why, sizeof(r->why), "crashsim did not finish in %.0f s "
                 "(killed)", job->timeout_ms / 1000);
    else if (job->left > 0)
        snprintf(r->why, sizeof(r->why), "%d process(es) left after crashsim "
                 "exited: %s", job->left, job->left_first);
    else if (!report && !r->why[0])
        snprintf(r->why, sizeof(r->why), "crashsim %s and wrote no report "
                 "(see its log)", proc_status_str(st, how, sizeof(how)));
    else if (!r->why[0] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        snprintf(r->why, sizeof(r->why), "crashsim %s (see its log)",
                 proc_status_str(st, how, sizeof(how)));
    else if (!r->why[0])
        r->ok = true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static double rank(const double *v, unsigned int n, double q)
{
    unsigned int k = (unsigned int)ceil(q * n);

    return v[k ? k - 1 : 0];
}

void sweep_dist(const struct sweep_case_result *r, unsigned int n,
                enum crash_policy p, enum sweep_metric m,
                struct sweep_dist *out)
{
    double *v = malloc((n ? n : 1) * sizeof(*v));
    unsigned int i, k = 0;

    memset(out, 0, sizeof(*out));
    if (!v)
        return;
    for (i = 0; i < n; i++)
        if (r[i].ran[p])
            v[k++] = r[i].value[p][m];
    if (k) {
        qsort(v, k, sizeof(*v), cmp_double);
        out->n = k;
        out->min = v[0];
        out->median = rank(v, k, 0.5);
        out->p95 = rank(v, k, 0.95);
        out->max = v[k - 1];
    }
    free(v);
}
