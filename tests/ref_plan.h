/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ref_plan: a reference model of pcidc_plan_build(), written to be obviously
 * right rather than fast (quadratic and worse).  It shares the core's types
 * and error codes, nothing of its code.  The differential fuzzer and the
 * unit tests compare the two on the same input.
 */
#ifndef REF_PLAN_H
#define REF_PLAN_H

#include "pcidc.h"

struct ref_plan {
    unsigned int nr_steps;
    struct pcidc_step step[PCIDC_PLAN_CAPACITY];
};

/*
 * The plan pcidc_plan_build() must publish for func[0 .. nr-1] under
 * policy, or the error it must return (then *out is untouched).
 */
int ref_plan_build(const struct pcidc_func *func, unsigned int nr,
                   const struct pcidc_policy *policy, struct ref_plan *out);

#endif /* REF_PLAN_H */
