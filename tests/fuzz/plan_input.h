/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plan_input: the text form of a plan-building case, shared by the
 * differential fuzzer, its corpus and the seeded unit test.  One item per
 * line; lines that do not parse are ignored, so every byte string is a case:
 *
 *   policy default | decode-off | seed | input | ignore
 *   policy raw CLEAR SET FLAGS           (hex; may be invalid on purpose)
 *   fill N                               N endpoints 0000:00:00.0 upward
 *   SEG:BUS:DEV.FN [bridge SEC-SUB] [keep] [flags=HEX] [cmd=HEX]
 *
 * Numbers are hex.  Functions beyond PCIDC_PLAN_CAPACITY + 2 are dropped.
 */
#ifndef PLAN_INPUT_H
#define PLAN_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "pcidc.h"

#define PLAN_INPUT_MAX (PCIDC_PLAN_CAPACITY + 2)

struct plan_input {
    struct pcidc_policy policy;
    unsigned int nr;
    struct pcidc_func func[PLAN_INPUT_MAX];
};

/* Parse data[0 .. len-1]; the policy is the default unless a line says. */
void plan_input_parse(struct plan_input *in, const uint8_t *data, size_t len);

/*
 * Compare pcidc_plan_build() on dc (kept across calls, as in a port) with
 * the reference model.  Returns 0 when they agree, else -1 with the first
 * difference in why.
 */
struct pcidc;
int plan_input_compare(struct pcidc *dc, const struct plan_input *in,
                       char *why, size_t len);

#endif /* PLAN_INPUT_H */
