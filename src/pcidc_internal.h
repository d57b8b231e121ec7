/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the core's two files share and nothing outside them uses.
 */
#ifndef PCIDC_INTERNAL_H
#define PCIDC_INTERNAL_H

#include "pcidc_types.h"

/*
 * The three words two CPUs share: the published plan pointer and the
 * crashed flag.  Outside Frama-C they are accessed with the compiler's
 * atomic builtins (a port may map them to its own, e.g. Xen's
 * read_atomic/write_atomic and barriers); Frama-C reads the volatile form,
 * which WP models with -wp-no-volatile as the sequential access it is.
 */

/*
 * The published plan pointer, loaded once: plan building may store a new
 * one at any time (another CPU), and the crash path must walk the plan it
 * loaded, not reload the pointer.  Acquire: the plan's contents, written
 * before its release store below, are seen.
 */
/*@ requires valid_core: \valid_read(&dc->published);
    assigns \result \from dc->published;
    ensures published: \result == dc->published;
*/
static inline struct pcidc_plan *read_published(const struct pcidc *dc)
{
#ifdef __FRAMAC__
    return *(struct pcidc_plan *const volatile *)&dc->published;
#else
    return __atomic_load_n(&dc->published, __ATOMIC_ACQUIRE);
#endif
}

/* Publish a filled plan: one release store of the pointer. */
/*@ requires valid_core: \valid(&dc->published);
    assigns dc->published;
    ensures published: dc->published == plan;
*/
static inline void publish_plan(struct pcidc *dc, struct pcidc_plan *plan)
{
#ifdef __FRAMAC__
    *(struct pcidc_plan *volatile *)&dc->published = plan;
#else
    __atomic_store_n(&dc->published, plan, __ATOMIC_RELEASE);
#endif
}

/* Has the crash path started (bit 0 of dc->crashed, set by test-and-set)? */
/*@ requires valid_core: \valid_read(&dc->crashed);
    assigns \result \from dc->crashed;
    ensures crashed: \result == (dc->crashed & 1);
*/
static inline unsigned long crash_started(const struct pcidc *dc)
{
#ifdef __FRAMAC__
    return *(const volatile unsigned long *)&dc->crashed & 1;
#else
    return __atomic_load_n(&dc->crashed, __ATOMIC_ACQUIRE) & 1;
#endif
}

#endif /* PCIDC_INTERNAL_H */
