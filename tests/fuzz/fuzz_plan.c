/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: plan building against the reference model.  Each input
 * is a text case (plan_input.h); a difference aborts, so libFuzzer saves the
 * input -- a readable case -- and stops.  One struct pcidc serves every
 * input, as in a port that rebuilds its plan on every device change.
 */
#include <stdio.h>
#include <stdlib.h>

#include "plan_input.h"

static struct pcidc dc;
static struct plan_input in;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char why[256];

    plan_input_parse(&in, data, len);
    if ( plan_input_compare(&dc, &in, why, sizeof(why)) )
    {
        fprintf(stderr, "fuzz_plan: core and model differ: %s\n", why);
        abort();
    }
    return 0;
}
