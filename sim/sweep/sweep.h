/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sweep: many random machines through the crash (make sweep, build/sim/sweep).
 *
 *   gen.c      case K of a sweep seed: a random valid topology (every kind
 *              of the table in gen.c, bridges and root ports up to
 *              SWEEP_MAX_DEPTH deep), a traffic seed, a window, a crash
 *              moment, sometimes a plan published during the crash path;
 *              and the one crashsim command line that runs it
 *   pool.c     up to JOBS command lines at a time, each with a deadline
 *   collect.c  a finished case's report: its verdict and its figures per
 *              policy; the distributions over every case
 *   output.c   build/sweep/sweep.json, sweep.md, sweep.html, the plots
 *
 * A case is one crashsim --check command line: crashsim judges the case's
 * properties itself (report.h), so the line printed for a failing case
 * reproduces it on its own, and a batch system can run the lines of
 * sweep --list anywhere.
 */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "engine/crash.h"

#define SWEEP_TOPOLOGY_LEN  256
#define SWEEP_MAX_DEPTH     4       /* bridges and root ports above a device */
#define SWEEP_MAX_ARGS      32
#define SWEEP_ARG_LEN       320

struct sweep_case {
    unsigned int index;             /* K, from 0 */
    char topology[SWEEP_TOPOLOGY_LEN];
    unsigned long long seed;        /* crashsim --seed */
    unsigned int window_ms;
    unsigned int delay_ms;          /* crashsim --crash-delay-ms */
    bool republish;
    unsigned int republish_at;
};

/*
 * The QEMU version the cases are for: items it lacks (spec_check_qemu)
 * are not drawn.  Before any sweep_gen_case; 0.0 until called.
 */
void sweep_gen_qemu(unsigned int major, unsigned int minor);

/*
 * Case k of the sweep with seed sweep_seed: the same on every machine
 * with the same QEMU version.
 */
void sweep_gen_case(unsigned long long sweep_seed, unsigned int k,
                    struct sweep_case *c);

/* The case's crashsim command line. */
struct sweep_argv {
    char word[SWEEP_MAX_ARGS][SWEEP_ARG_LEN];
    char *argv[SWEEP_MAX_ARGS + 1];
    unsigned int argc;
};

/*
 * crashsim --check with the case's options; qemu (NULL: crashsim's
 * default), policy (NULL: all) and json (NULL: none) added when given.
 * Returns 0, or -1 when a word does not fit.
 */
int sweep_case_argv(const struct sweep_case *c, const char *crashsim,
                    const char *qemu, const char *policy, const char *json,
                    struct sweep_argv *out);

/* --- pool.c ------------------------------------------------------------------- */

struct sweep_job {
    char *const *argv;              /* argv[0]: the program's path */
    const char *log;                /* stdout and stderr go there */
    const char *tmpdir;             /* $TMPDIR of the job, made and removed */
    double timeout_ms;
    /* Filled in: */
    int status;                     /* wait status */
    bool hung;                      /* killed at its deadline */
    double ms;                      /* wall time */
    int left;                       /* processes naming tmpdir after it */
    char left_first[256];
    char error[256];                /* could not be started */
};

/*
 * Run jobs[0 .. n-1], at most at_once at a time; after each, done(job,
 * arg) (may be NULL).  Returns 0, or -1 when a job could not be started
 * (its error says why; the others still run).
 */
int sweep_pool_run(struct sweep_job *jobs, unsigned int n,
                   unsigned int at_once,
                   void (*done)(const struct sweep_job *job, void *arg),
                   void *arg);

/* --- collect.c ------------------------------------------------------------------ */

enum sweep_metric {
    SWEEP_BEYOND,           /* bytes beyond in-flight requests */
    SWEEP_QUIESCED,         /* writes until the last new DMA, QEMU */
    SWEEP_QUIESCED_PCIE,    /* the same, PCIe rule */
    SWEEP_INTX,             /* INTx after the crash path */
    SWEEP_MSI,              /* MSI after it */
    SWEEP_RUN_MS,           /* the run's wall time */
    SWEEP_NR_METRICS,
};

const char *sweep_metric_key(enum sweep_metric m);     /* JSON key */
const char *sweep_metric_title(enum sweep_metric m);   /* table heading */

struct sweep_case_result {
    struct sweep_case c;
    char command[2048];             /* the reproducer */
    bool ok;
    char why[512];                  /* the first failure, "" when ok */
    unsigned int failed_props;
    bool ran[CRASH_NR_POLICIES];
    double value[CRASH_NR_POLICIES][SWEEP_NR_METRICS];
    double ms;
};

/*
 * The verdict and figures of a finished case from its job and its report
 * (NULL when crashsim wrote none).
 */
void sweep_collect_case(struct sweep_case_result *r,
                        const struct sweep_job *job, const json_t *report);

struct sweep_dist {
    unsigned int n;
    double min, median, p95, max;
};

/* The distribution of metric m of policy p over the n results. */
void sweep_dist(const struct sweep_case_result *r, unsigned int n,
                enum crash_policy p, enum sweep_metric m,
                struct sweep_dist *out);

/* --- output.c ------------------------------------------------------------------------ */

struct sweep_summary {
    unsigned long long seed;
    unsigned int n, jobs;
    double wall_s;
    const char *crashsim;
    const struct sweep_case_result *r;
};

/* build/sweep/sweep.json's document. */
json_t *sweep_json(const struct sweep_summary *s);
/* The per-policy table and the failures with their command lines. */
void sweep_markdown(const struct sweep_summary *s, FILE *out);
/* sweep.html: the tables, the plots, every case. */
void sweep_html(const struct sweep_summary *s, FILE *out);
/* The plots alone: bytes beyond in-flight per policy; writes until
 * quiesced, seed against pcidc (PCIe rule). */
void sweep_plot_beyond(const struct sweep_summary *s, FILE *out);
void sweep_plot_quiesced(const struct sweep_summary *s, FILE *out);

#endif /* SIM_SWEEP_H */
