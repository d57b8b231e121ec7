/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Plan building and the crash path on two threads at once, built with
 * ThreadSanitizer (make check-threads).  One thread republishes two plans
 * in turn, as fast as it can; the other crashes into the core while it does
 * and logs every config write.  The crash path must write one whole plan,
 * never a mix and never a plan being rewritten; once it has started, plan
 * building must refuse to publish.  Every round uses a fresh core, so each
 * crash meets the republishing at a different moment.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcidc.h"

#define ROUNDS          2000
#define TIME_LIMIT_S    60
#define PLAN_FUNCS      64      /* per plan; the two plans share none */

static struct pcidc_func plan_a[PLAN_FUNCS], plan_b[PLAN_FUNCS];

/* The crash thread's log: only it writes, only after the crash it reads. */
static uint32_t logged[2 * PLAN_FUNCS];
static unsigned int nr_logged;

void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    (void)reg, (void)value;
    if ( nr_logged < 2 * PLAN_FUNCS )
        logged[nr_logged] = sbdf;
    nr_logged++;
}

uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    (void)sbdf, (void)reg;
    return 0x0007;
}

uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    (void)sbdf, (void)reg;
    abort();                    /* plan building is given its functions */
}

int pcidc_port_test_and_set(unsigned long *word)
{
    return (int)(__atomic_fetch_or(word, 1UL, __ATOMIC_SEQ_CST) & 1UL);
}

void pcidc_port_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

void pcidc_port_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

struct round {
    struct pcidc *dc;
    atomic_ulong published;     /* plans the builder published */
    int refused;                /* it stopped on a refused build */
    int unexpected;             /* any other result, 0: none */
};

static void *builder(void *arg)
{
    struct round *r = arg;
    const struct pcidc_policy policy = PCIDC_POLICY_DEFAULT;
    unsigned long i;
    int rc;

    /* Until the crash: building refuses once the crash path has begun. */
    for ( i = 0; ; i++ )
    {
        rc = pcidc_plan_build(r->dc, i & 1 ? plan_a : plan_b, PLAN_FUNCS,
                              &policy);
        if ( rc == PCIDC_OK )
            atomic_fetch_add(&r->published, 1);
        else
        {
            r->refused = rc == PCIDC_E_CRASHED;
            r->unexpected = r->refused ? 0 : rc;
            return NULL;
        }
    }
}

/* The log is all of plan a or all of plan b, in plan order. */
static int whole_plan(const struct pcidc_func *want)
{
    unsigned int i;

    if ( nr_logged != PLAN_FUNCS )
        return 0;
    for ( i = 0; i < PLAN_FUNCS; i++ )
        if ( logged[i] != want[i].sbdf )
            return 0;
    return 1;
}

static int one_round(unsigned int n)
{
    const struct pcidc_policy policy = PCIDC_POLICY_DEFAULT;
    struct round r = { .dc = calloc(1, sizeof(*r.dc)) };
    pthread_t t;
    unsigned int walked;

    if ( !r.dc || pcidc_plan_build(r.dc, plan_a, PLAN_FUNCS, &policy) )
        return fprintf(stderr, "round %u: set-up failed\n", n), -1;
    nr_logged = 0;
    pthread_create(&t, NULL, builder, &r);
    while ( n % 7 && atomic_load(&r.published) < n % 50 )  /* the moment */
        sched_yield();
    walked = pcidc_crash_disconnect(r.dc);
    pthread_join(t, NULL);

    if ( walked != PLAN_FUNCS || !(whole_plan(plan_a) || whole_plan(plan_b)) )
        return fprintf(stderr, "round %u: the crash path wrote %u of a torn "
                       "plan (%u writes)\n", n, walked, nr_logged), -1;
    if ( !r.refused )
        return fprintf(stderr, "round %u: plan building after the crash "
                       "returned %d, not PCIDC_E_CRASHED\n", n,
                       r.unexpected), -1;
    free(r.dc);
    return 0;
}

static void make_plans(void)
{
    unsigned int i;

    /* Endpoints in reverse bus order: the plan sorts nothing, keeps order. */
    for ( i = 0; i < PLAN_FUNCS; i++ )
    {
        plan_a[i] = (struct pcidc_func){ .sbdf = PCIDC_SBDF(0, 1, i) };
        plan_b[i] = (struct pcidc_func){ .sbdf = PCIDC_SBDF(0, 2, i) };
    }
}

int main(void)
{
    time_t end = time(NULL) + TIME_LIMIT_S;
    unsigned int n;

    make_plans();
    for ( n = 0; n < ROUNDS && time(NULL) < end; n++ )
        if ( one_round(n) )
            return 1;
    if ( n < ROUNDS / 10 )
        return fprintf(stderr, "threads: only %u rounds in %d s\n", n,
                       TIME_LIMIT_S), 1;
    printf("threads: ok: %u rounds, each crash walked one whole plan while "
           "another thread republished; building refused after it\n", n);
    return 0;
}
