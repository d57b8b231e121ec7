/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * E-ACSL driver: crash-path scenarios like the unit tests', run against the
 * core built with E-ACSL (proofs/eacsl/eacsl.sh), so that every contract and
 * loop invariant of the crash path, and the port contracts at its call
 * sites, are checked while it runs.  A violation aborts with E-ACSL's
 * message; a scenario whose outcome is wrong exits 1.
 *
 * This file is not instrumented.  It is compiled the way any application of
 * the E-ACSL bundle is (see proofs/eacsl/shim.c): main renamed to
 * pcidc_eacsl_app_main and the core's entry points to pcidc_checked_*(),
 * with everything the core is handed on the heap.  It also holds the tiny
 * port the core writes through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcidc.h"

/* --- The port: config space of a handful of functions, a write log ------ */

#define MAX_WRITES 64
#define MAX_FUNCS  16

struct write_rec {
    uint32_t sbdf;
    unsigned int reg;
    uint16_t value;
};

static struct write_rec writes[MAX_WRITES];
static unsigned int nr_writes;
static uint32_t cfg_sbdf[MAX_FUNCS];
static uint32_t cfg_dword[MAX_FUNCS][64];     /* 256 bytes of config space */
static unsigned int nr_cfg;
static unsigned int nr_reads;                 /* plan-time reads */
static unsigned int nr_crash_reads;

void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    unsigned int i;

    if ( nr_writes < MAX_WRITES )
        writes[nr_writes] = (struct write_rec){ sbdf, reg, value };
    nr_writes++;
    for ( i = 0; i < nr_cfg; i++ )
        if ( cfg_sbdf[i] == sbdf && reg == PCIDC_COMMAND )
            cfg_dword[i][1] = (cfg_dword[i][1] & 0xffff0000u) | value;
}

static int cfg_find(uint32_t sbdf)
{
    unsigned int i;

    for ( i = 0; i < nr_cfg; i++ )
        if ( cfg_sbdf[i] == sbdf )
            return (int)i;
    return -1;
}

uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    int i = cfg_find(sbdf);

    nr_reads++;
    return i >= 0 && reg < 256 ? cfg_dword[i][reg / 4] : 0xffffffff;
}

/* COMMAND (the only register the core reads at crash), or all ones. */
uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    int i = cfg_find(sbdf);

    nr_crash_reads++;
    if ( i < 0 || reg != PCIDC_COMMAND )
        return 0xffff;
    return (uint16_t)cfg_dword[i][1];
}

int pcidc_port_test_and_set(unsigned long *word)
{
    return __atomic_fetch_or(word, 1UL, __ATOMIC_SEQ_CST) & 1;
}

void pcidc_port_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

void pcidc_port_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void add_config(uint32_t sbdf, unsigned int header, unsigned int sec,
                       unsigned int sub, uint16_t command)
{
    uint32_t *d = cfg_dword[nr_cfg];

    memset(d, 0, sizeof(cfg_dword[0]));
    d[0x00 / 4] = 0x10008086;                   /* vendor, device */
    d[0x04 / 4] = command;
    d[0x0c / 4] = header << 16;
    d[0x18 / 4] = (sub << 16) | (sec << 8);
    cfg_sbdf[nr_cfg++] = sbdf;
}

/* --- Scenarios -------------------------------------------------------- */

static int failures;

static void expect(int ok, const char *scenario, const char *what)
{
    if ( !ok )
    {
        fprintf(stderr, "eacsl-driver: %s: FAIL: %s\n", scenario, what);
        failures++;
    }
}

static struct pcidc *new_core(void)
{
    struct pcidc *dc = calloc(1, sizeof(*dc));

    if ( !dc )
    {
        fprintf(stderr, "eacsl-driver: out of memory\n");
        exit(2);
    }
    nr_writes = 0;
    nr_reads = 0;
    nr_crash_reads = 0;
    return dc;
}

/* Root port 00:1c.0 (buses 1-2), below it a bridge 01:00.0 (bus 2), two
 * endpoints 02:00.0 and 02:00.1, and 00:02.0 on bus 0.  Their config
 * space answers with COMMAND as described (decode and Bus Master on for
 * the endpoints, one of them also INTx Disable), but for 00:02.0, which
 * has stopped answering since (all ones at the crash). */
static const uint16_t topology_command[] = {
    PCIDC_COMMAND_MEMORY | PCIDC_COMMAND_MASTER,
    PCIDC_COMMAND_IO | PCIDC_COMMAND_MEMORY | PCIDC_COMMAND_MASTER,
    PCIDC_COMMAND_MEMORY | PCIDC_COMMAND_MASTER | PCIDC_COMMAND_INTX_DISABLE,
    PCIDC_COMMAND_MEMORY | PCIDC_COMMAND_MASTER | 0x0100,
    PCIDC_COMMAND_IO | PCIDC_COMMAND_MASTER,
};

static struct pcidc_func *topology(unsigned int *nr)
{
    static const struct pcidc_func t[] = {
        { PCIDC_SBDF(0, 2, 0x00), 0, 0, 0, 0 },
        { PCIDC_SBDF(0, 0, 0xe0), PCIDC_FUNC_BRIDGE, 1, 2, 0 },
        { PCIDC_SBDF(0, 2, 0x01), 0, 0, 0, 0 },
        { PCIDC_SBDF(0, 1, 0x00), PCIDC_FUNC_BRIDGE, 2, 2, 0 },
        { PCIDC_SBDF(0, 0, 0x10), 0, 0, 0, 0 },
    };
    struct pcidc_func *f = malloc(sizeof(t));
    unsigned int i;

    if ( !f )
        exit(2);
    memcpy(f, t, sizeof(t));
    *nr = sizeof(t) / sizeof(t[0]);
    nr_cfg = 0;
    for ( i = 0; i < *nr; i++ )
    {
        f[i].command = topology_command[i];
        if ( f[i].sbdf != PCIDC_SBDF(0, 0, 0x10) )
            add_config(f[i].sbdf, f[i].flags & PCIDC_FUNC_BRIDGE ? 1 : 0,
                       f[i].secondary, f[i].subordinate, f[i].command);
    }
    return f;
}

static struct pcidc_policy *policy(uint16_t clear, uint16_t set,
                                   unsigned int flags)
{
    struct pcidc_policy *p = malloc(sizeof(*p));

    if ( !p )
        exit(2);
    p->clear = clear;
    p->set = set;
    p->flags = flags;
    return p;
}

/* What the write to f must be under the masks: as read, or fallback. */
static uint16_t expected_value(const struct pcidc_func *f, uint16_t clear,
                               uint16_t set)
{
    int i = cfg_find(f->sbdf);
    uint16_t from = i >= 0 ? (uint16_t)cfg_dword[i][1] : f->command;

    return clear == PCIDC_ALL_BITS ? set : (uint16_t)((from & ~clear) | set);
}

static const struct pcidc_func *func_of(const struct pcidc_func *f,
                                        unsigned int nr, uint32_t sbdf)
{
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        if ( f[i].sbdf == sbdf )
            return &f[i];
    return NULL;
}

static void no_plan(void)
{
    struct pcidc *dc = new_core();

    expect(pcidc_crash_disconnect(dc) == 0, "no_plan", "wrote without a plan");
    expect(nr_writes == 0 && nr_crash_reads == 0, "no_plan",
           "config access");
    free(dc);
}

/* Default policy: each COMMAND read and written back with Bus Master off
 * and INTx Disable on; 00:02.0 reads all ones and gets its fallback. */
static void default_plan(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_COMMAND_MASTER,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    unsigned int nr, i, done;
    struct pcidc_func *f = topology(&nr);
    struct pcidc_func *gone = &f[4];
    const struct pcidc_func *g;
    uint16_t want[MAX_WRITES];

    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_OK, "default", "build");
    nr_reads = 0;
    for ( i = 0; i < nr; i++ )
        want[i] = expected_value(&f[i], pol->clear, pol->set);
    done = pcidc_crash_disconnect(dc);
    expect(done == nr && nr_writes == nr, "default", "one write per function");
    expect(nr_crash_reads == nr && nr_reads == 0, "default",
           "one crash-time read per step, no plan-time read");
    for ( i = 0; i < nr_writes && i < MAX_WRITES; i++ )
    {
        g = func_of(f, nr, writes[i].sbdf);
        expect(g && writes[i].reg == PCIDC_COMMAND &&
               writes[i].value == want[g - f],
               "default", "COMMAND = (read & ~BME) | INTx, or the fallback");
    }
    expect(want[gone - f] == (PCIDC_COMMAND_IO | PCIDC_COMMAND_INTX_DISABLE),
           "default", "fallback from the described COMMAND");
    /* Bridges first: the root port, then the bridge below it. */
    expect(writes[0].sbdf == PCIDC_SBDF(0, 0, 0xe0), "default", "root port first");
    expect(pcidc_crash_disconnect(dc) == 0 && nr_writes == done &&
           nr_crash_reads == nr, "default", "second crash wrote or read again");
    free(f);
    free(pol);
    free(dc);
}

/* Decode off (the old default): nothing of COMMAND kept, nothing read. */
static void decode_off(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_ALL_BITS,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    unsigned int nr, i;
    struct pcidc_func *f = topology(&nr);

    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_OK, "decode_off",
           "build");
    expect(pcidc_crash_disconnect(dc) == nr && nr_crash_reads == 0,
           "decode_off", "every function, no read");
    for ( i = 0; i < nr && i < MAX_WRITES; i++ )
        expect(writes[i].value == PCIDC_COMMAND_INTX_DISABLE, "decode_off",
               "COMMAND = INTx Disable");
    free(f);
    free(pol);
    free(dc);
}

static void seed_plan(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_ALL_BITS, 0,
                                      PCIDC_POLICY_INPUT_ORDER |
                                      PCIDC_POLICY_IGNORE_PRESERVE);
    unsigned int nr, i;
    struct pcidc_func *f = topology(&nr);

    f[0].flags |= PCIDC_FUNC_PRESERVE;      /* ignored by the seed policy */
    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_OK, "seed", "build");
    expect(pcidc_crash_disconnect(dc) == nr && nr_crash_reads == 0, "seed",
           "every function, no read");
    for ( i = 0; i < nr && i < MAX_WRITES; i++ )
        expect(writes[i].sbdf == f[i].sbdf && writes[i].value == 0,
               "seed", "list order, value 0");
    free(f);
    free(pol);
    free(dc);
}

static void preserved(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_COMMAND_MASTER,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    unsigned int nr, i;
    struct pcidc_func *f = topology(&nr);

    f[2].flags |= PCIDC_FUNC_PRESERVE;      /* 02:00.1: two bridges above */
    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_OK, "preserve", "build");
    expect(pcidc_crash_disconnect(dc) == 2 && nr_crash_reads == 2, "preserve",
           "only 02:00.0 and 00:02.0");
    for ( i = 0; i < nr_writes && i < MAX_WRITES; i++ )
        expect(writes[i].sbdf == f[0].sbdf || writes[i].sbdf == f[4].sbdf,
               "preserve", "wrote a preserved function or its bridge");
    free(f);
    free(pol);
    free(dc);
}

/* Once the crash path has run, plan building refuses and writes nothing. */
static void after_crash(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_COMMAND_MASTER,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    unsigned int nr;
    struct pcidc_func *f = topology(&nr);
    const struct pcidc_plan *before;

    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_OK, "after_crash",
           "build");
    before = pcidc_plan_published(dc);
    expect(pcidc_crash_disconnect(dc) == nr, "after_crash", "crash");
    expect(pcidc_plan_build(dc, f, 2, pol) == PCIDC_E_CRASHED &&
           pcidc_plan_published(dc) == before && before->nr_steps == nr,
           "after_crash", "refused, the walked plan kept");
    free(f);
    free(pol);
    free(dc);
}

/* The same function listed twice: refused, nothing published. */
static void duplicate(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_COMMAND_MASTER,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    unsigned int nr;
    struct pcidc_func *f = topology(&nr);

    f[2].sbdf = f[0].sbdf;                  /* 02:00.0 twice */
    expect(pcidc_plan_build(dc, f, nr, pol) == PCIDC_E_DUPLICATE,
           "duplicate", "refused");
    expect(pcidc_crash_disconnect(dc) == 0 && nr_writes == 0, "duplicate",
           "a plan was published");
    free(f);
    free(pol);
    free(dc);
}

/* Plan building may read config space: describe, then build, then crash. */
static void described(void)
{
    struct pcidc *dc = new_core();
    struct pcidc_policy *pol = policy(PCIDC_COMMAND_MASTER,
                                      PCIDC_COMMAND_INTX_DISABLE, 0);
    struct pcidc_func *f = calloc(3, sizeof(*f));

    if ( !f )
        exit(2);
    nr_cfg = 0;
    add_config(PCIDC_SBDF(0, 0, 0xe0), 1, 1, 1, PCIDC_COMMAND_MEMORY);
    add_config(PCIDC_SBDF(0, 1, 0x00), 0, 0, 0, PCIDC_COMMAND_MASTER);
    expect(pcidc_describe(&f[0], PCIDC_SBDF(0, 0, 0xe0), 0) == PCIDC_OK &&
           (f[0].flags & PCIDC_FUNC_BRIDGE) && f[0].secondary == 1 &&
           f[0].command == PCIDC_COMMAND_MEMORY,
           "describe", "bridge");
    expect(pcidc_describe(&f[1], PCIDC_SBDF(0, 1, 0x00), PCIDC_FUNC_PRESERVE)
           == PCIDC_OK && f[1].flags == PCIDC_FUNC_PRESERVE &&
           f[1].command == PCIDC_COMMAND_MASTER,
           "describe", "endpoint");
    expect(pcidc_describe(&f[2], PCIDC_SBDF(0, 5, 0x00), 0) == PCIDC_E_ABSENT,
           "describe", "absent");
    expect(pcidc_plan_build(dc, f, 2, pol) == PCIDC_OK, "describe", "build");
    nr_reads = 0;
    expect(pcidc_crash_disconnect(dc) == 0 && nr_reads == 0 &&
           nr_crash_reads == 0, "describe",
           "preserved endpoint keeps its bridge; no read at crash");
    free(f);
    free(pol);
    free(dc);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    no_plan();
    default_plan();
    decode_off();
    seed_plan();
    preserved();
    duplicate();
    described();
    after_crash();
    if ( failures )
    {
        fprintf(stderr, "eacsl-driver: %d check(s) failed\n", failures);
        return 1;
    }
    printf("eacsl-driver: 8 scenarios, every contract held\n");
    return 0;
}
