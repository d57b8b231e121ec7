/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * props: what report_props.c and report_props_plan.c share (crashsim
 * --check; report.h declares the interface).
 */
#ifndef SIM_REPORT_PROPS_H
#define SIM_REPORT_PROPS_H

#include <stdbool.h>

#include <jansson.h>

#define PROPS_DETAIL_LEN    400

/* Append {"property", "policy", "ok", "detail"} to props. */
void props_add(json_t *props, const char *property, const char *policy,
               bool ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * The crash path of a core policy (seed, decode-off, pcidc) wrote every
 * function the policy plans exactly once, nothing else, in the policy's
 * order, with the policy's value ("plan_valid").
 */
void props_plan_valid(const json_t *run, const char *policy, json_t *props);

/*
 * The crash path wrote the steps --plan-only lists ("plan_agrees"); with a
 * plan published during the crash path, one whole plan ("one_whole_plan").
 */
void props_plan_agrees(const json_t *report, const json_t *run,
                       const char *policy, json_t *props);

#endif /* SIM_REPORT_PROPS_H */
