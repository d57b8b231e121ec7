/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * make bench: plan-building time per function and crash-path writes per
 * function, with the fake port.  Prints figures; asserts nothing on time.
 *
 * Topology: per segment, up to 240 root ports on bus 0, each with seven
 * endpoints on its own bus; listed endpoints first, so ordering has work.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fake_port.h"
#include "pcidc.h"

#define GROUP 8                 /* a root port and its seven endpoints */
#define GROUPS_PER_SEGMENT 240

static void make_topology(struct pcidc_func *f, unsigned int nr)
{
    unsigned int i, g, seg, port;

    for ( i = 0; i < nr; i++ )
    {
        g = i / GROUP;
        seg = g / GROUPS_PER_SEGMENT;
        port = g % GROUPS_PER_SEGMENT;
        if ( i % GROUP == GROUP - 1 )
            f[i] = (struct pcidc_func){ PCIDC_SBDF(seg, 0, port),
                                        PCIDC_FUNC_BRIDGE, port + 1,
                                        port + 1 };
        else
            f[i] = (struct pcidc_func){
                PCIDC_SBDF(seg, port + 1, (i % GROUP) << 3), 0, 0, 0 };
    }
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench(struct pcidc *dc, unsigned int nr)
{
    static struct pcidc_func f[PCIDC_PLAN_CAPACITY];
    const struct pcidc_policy policy = PCIDC_POLICY_DEFAULT;
    unsigned int rounds = 0, writes;
    double start, build_ns;

    make_topology(f, nr);
    start = now_ns();
    do {
        if ( pcidc_plan_build(dc, f, nr, &policy) != PCIDC_OK )
        {
            fprintf(stderr, "bench: plan building failed for N=%u\n", nr);
            return 1;
        }
        rounds++;
    } while ( now_ns() - start < 2e8 );
    build_ns = (now_ns() - start) / rounds;

    fake_reset();
    dc->crashed = 0;
    writes = fake_crash(dc);
    printf("| %4u | %6u | %8.1f | %9.1f | %11.2f |\n", nr, rounds,
           build_ns / nr, build_ns / 1000.0, (double)fake_nr_writes() / nr);
    return writes != nr;
}

int main(void)
{
    static struct pcidc dc;
    const unsigned int sizes[] = { 16, 256, 1024, PCIDC_PLAN_CAPACITY };
    unsigned int i;
    int rc = 0;

    printf("Core: plan building (root ports x 7 endpoints, bridges-first)\n\n");
    printf("|    N | builds | ns/func  | us/build  | writes/func |\n");
    printf("|-----:|-------:|---------:|----------:|------------:|\n");
    for ( i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++ )
        rc |= bench(&dc, sizes[i]);
    return rc;
}
