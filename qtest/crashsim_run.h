/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the scenario suites (qtest/crashsim_run.c): run
 * build/crashsim as a user would (stdout and stderr captured, a time
 * limit), read its JSON report, and look for processes left behind.
 *
 * Every run gets its own TMPDIR (qts makes its per-QEMU directories there),
 * so "no QEMU left" means: no process whose command line mentions that
 * directory.
 *
 * The report readers (run_num, run_flag, run_policy_ok ...) and the
 * run_assert_* checks fail the current cmocka test when the report lacks
 * what they look for: a figure that is not there never passes a comparison.
 */
#ifndef QTEST_CRASHSIM_RUN_H
#define QTEST_CRASHSIM_RUN_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#define RUN_OUT_MAX     (256 * 1024)
#define RUN_LIMIT_MS    180000

struct run {
    char tmpdir[64];
    char json_path[128];
    int status;             /* exit status, or 128 + signal */
    char out[RUN_OUT_MAX];
    char err[RUN_OUT_MAX];
    double ms;
    json_t *report;         /* NULL unless the JSON file parsed */
};

/* The monotonic clock, in ms (sim/base/clock.h). */
double run_now_ms(void);

/* $PCIDC_CRASHSIM or build/crashsim; $PCIDC_FAKE_QEMU or its default. */
const char *run_crashsim_path(void);
const char *run_fake_qemu_path(void);

/* Clear r and give it a fresh TMPDIR (exit 2 if none can be made). */
void run_prepare(struct run *r);

/*
 * Processes (other than us) whose command line contains marker: their
 * number, and the first one's pid in *first (if not NULL).
 */
int run_procs_find(const char *marker, pid_t *first);
int run_procs_with(const char *marker);

/*
 * Run crashsim with argv (NULL-terminated, without the program name) and
 * extra environment "NAME=VALUE" strings (NULL-terminated, may be NULL),
 * at most RUN_LIMIT_MS (then it is stopped: SIGTERM, then SIGKILL).  If
 * on_start is set it is called with the child's pid once running.
 * Returns 0 (r->status, out, err, ms and report filled) or -1 when
 * crashsim could not be started.
 */
int run_crashsim(struct run *r, const char *const *argv,
                 const char *const *env,
                 void (*on_start)(struct run *, pid_t));

/* Drop the report and remove the run's TMPDIR. */
void run_cleanup(struct run *r);

/* The run object of a policy in the report, or NULL. */
json_t *run_policy(const struct run *r, const char *policy);

/* Integer o[key]; fails the test when it is missing or not an integer. */
long long run_num(const json_t *o, const char *key);

/* Boolean o[key]; fails the test when it is missing or not a boolean. */
bool run_flag(const json_t *o, const char *key);

/* String o[key]; fails the test when it is missing or not a string. */
const char *run_str(const json_t *o, const char *key);

/* Bytes a run's policy let through beyond requests already in flight. */
long long run_beyond(const json_t *run);

/* Exactly one line on stderr. */
bool run_one_line(const struct run *r);

/*
 * Run crashsim with the NULL-terminated argv, one policy worker at a time;
 * it must complete with exit 0, write its report and leave no process of
 * its run behind.  Free with run_free().
 */
struct run *run_completed(const char *const *argv);
void run_free(struct run *r);

/* Exit status 2, one line on stderr (holding must_contain if not NULL),
 * and no process of the run left behind. */
void run_assert_exit2(const struct run *r, const char *must_contain);

/* Every corrupted range of a run, in-flight reads aside, is device's. */
void run_assert_beyond_only_from(const json_t *run, const char *device);

/* The report of one policy, which must have run without error. */
json_t *run_policy_ok(const struct run *r, const char *name);

#endif /* QTEST_CRASHSIM_RUN_H */
