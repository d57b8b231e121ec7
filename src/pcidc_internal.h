/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the core's two files share and nothing outside them uses.
 */
#ifndef PCIDC_INTERNAL_H
#define PCIDC_INTERNAL_H

#include "pcidc_types.h"

/*
 * The published plan pointer, loaded once: plan building may store a new
 * one at any time (another CPU), and the crash path must walk the plan it
 * loaded, not reload the pointer.
 */
/*@ requires valid_core: \valid_read(&dc->published);
    assigns \result \from dc->published;
    ensures published: \result == dc->published;
*/
static inline struct pcidc_plan *read_published(const struct pcidc *dc)
{
    return *(struct pcidc_plan *const volatile *)&dc->published;
}

#endif /* PCIDC_INTERNAL_H */
