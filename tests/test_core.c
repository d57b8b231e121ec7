/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the disconnect core against the in-memory fake port.
 * Every test asserts the exact sequence of config writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_port.h"
#include "pcidc.h"

#define SBDF(seg, bus, dev, fn) PCIDC_SBDF(seg, bus, ((dev) << 3) | (fn))
#define ENDPOINT(sbdf) { (sbdf), 0, 0, 0, 0 }
#define KEPT(sbdf) { (sbdf), PCIDC_FUNC_PRESERVE, 0, 0, 0 }
#define BRIDGE(sbdf, sec, sub) { (sbdf), PCIDC_FUNC_BRIDGE, (sec), (sub), 0 }
#define KEPT_BRIDGE(sbdf, sec, sub) \
    { (sbdf), PCIDC_FUNC_BRIDGE | PCIDC_FUNC_PRESERVE, (sec), (sub), 0 }
#define NR(a) (sizeof(a) / sizeof((a)[0]))

static const struct pcidc_policy policy_default = PCIDC_POLICY_DEFAULT;
static const struct pcidc_policy policy_seed = PCIDC_POLICY_SEED;
static const struct pcidc_policy policy_decode_off = PCIDC_POLICY_DECODE_OFF;

static int setup(void **state)
{
    struct pcidc *dc = calloc(1, sizeof(*dc));

    if ( !dc )
        return -1;
    fake_reset();
    *state = dc;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The crash path must write exactly 'expect' to COMMAND, in this order. */
static void assert_writes(const uint32_t *expect, unsigned int nr,
                          uint16_t value)
{
    unsigned int i;

    assert_int_equal(fake_nr_writes(), nr);
    for ( i = 0; i < nr; i++ )
    {
        const struct fake_write *w = fake_write_at(i);

        if ( w->sbdf != expect[i] )
            fail_msg("write %u went to %08x, expected %08x", i, w->sbdf,
                     expect[i]);
        assert_int_equal(w->reg, PCIDC_COMMAND);
        assert_int_equal(w->value, value);
    }
}

static void build_and_crash(struct pcidc *dc, const struct pcidc_func *f,
                            unsigned int nr, const struct pcidc_policy *p,
                            const uint32_t *expect, unsigned int nr_expect)
{
    assert_int_equal(pcidc_plan_build(dc, f, nr, p), PCIDC_OK);
    assert_int_equal(fake_crash(dc), nr_expect);
    /* No live register is set: every crash-time read finds all ones and
     * the step writes its fallback, which is 'set' for COMMAND 0. */
    assert_writes(expect, nr_expect, p->set);
    assert_int_equal(fake_nr_reads(), 0);
    assert_int_equal(fake_nr_crash_reads(),
                     p->clear == PCIDC_ALL_BITS ? 0 : nr_expect);
}

/* Input lists the innermost first; writes go outer to inner. */
static void test_nested_bridges_outer_first(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 3, 0, 0)),
        BRIDGE(SBDF(0, 2, 0, 0), 3, 3),
        ENDPOINT(SBDF(0, 2, 1, 0)),
        BRIDGE(SBDF(0, 1, 0, 0), 2, 3),
        ENDPOINT(SBDF(0, 1, 1, 0)),
        ENDPOINT(SBDF(0, 0, 2, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 3),
    };
    const uint32_t expect[] = {
        SBDF(0, 0, 1, 0), SBDF(0, 0, 2, 0),     /* root bus: bridge first */
        SBDF(0, 1, 0, 0), SBDF(0, 1, 1, 0),
        SBDF(0, 2, 0, 0), SBDF(0, 2, 1, 0),
        SBDF(0, 3, 0, 0),
    };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

static void test_independent_root_bridges(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 4, 0, 0)),
        ENDPOINT(SBDF(0, 1, 0, 0)),
        BRIDGE(SBDF(0, 0, 0x1c, 0), 1, 1),
        ENDPOINT(SBDF(0, 2, 0, 0)),
        BRIDGE(SBDF(0, 0, 0x1c, 1), 2, 2),
        BRIDGE(SBDF(0, 3, 0, 0), 4, 4),
        BRIDGE(SBDF(0, 0, 0x1c, 2), 3, 4),
        ENDPOINT(SBDF(0, 0, 0x1f, 2)),
    };
    const uint32_t expect[] = {
        SBDF(0, 0, 0x1c, 0), SBDF(0, 0, 0x1c, 1), SBDF(0, 0, 0x1c, 2),
        SBDF(0, 0, 0x1f, 2),
        SBDF(0, 3, 0, 0),
        SBDF(0, 1, 0, 0), SBDF(0, 2, 0, 0),
        SBDF(0, 4, 0, 0),
    };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* A kept console two bridges deep: it and both bridges above it stay on. */
static void test_preserve_two_bridges_deep(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 2),
        ENDPOINT(SBDF(0, 0, 2, 0)),
        BRIDGE(SBDF(0, 1, 0, 0), 2, 2),
        ENDPOINT(SBDF(0, 1, 1, 0)),
        KEPT(SBDF(0, 2, 0, 0)),
        ENDPOINT(SBDF(0, 2, 0, 1)),
        BRIDGE(SBDF(0, 0, 3, 0), 3, 3),
        ENDPOINT(SBDF(0, 3, 0, 0)),
    };
    const uint32_t expect[] = {
        SBDF(0, 0, 3, 0), SBDF(0, 0, 2, 0),
        SBDF(0, 1, 1, 0), SBDF(0, 3, 0, 0),
        SBDF(0, 2, 0, 1),
    };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* Two kept functions under one bridge: the shared bridge is marked once. */
static void test_preserve_siblings_share_bridge(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        KEPT(SBDF(0, 1, 0, 0)),
        KEPT(SBDF(0, 1, 1, 0)),
        ENDPOINT(SBDF(0, 1, 2, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 1, 2, 0) };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* A kept bridge keeps itself and what is above it, not what is below. */
static void test_preserve_bridge_itself(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 2),
        KEPT_BRIDGE(SBDF(0, 1, 0, 0), 2, 2),
        ENDPOINT(SBDF(0, 2, 0, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 2, 0, 0) };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* The 2011 patch: list order, value 0, every function, preserve ignored. */
static void test_seed_configuration(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 2, 0, 0)),
        BRIDGE(SBDF(0, 1, 0, 0), 2, 2),
        KEPT(SBDF(0, 0, 0x1e, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 2),
        ENDPOINT(SBDF(0, 0, 2, 0)),
    };
    const uint32_t expect[] = {
        SBDF(0, 2, 0, 0), SBDF(0, 1, 0, 0), SBDF(0, 0, 0x1e, 0),
        SBDF(0, 0, 1, 0), SBDF(0, 0, 2, 0),
    };

    build_and_crash(*state, f, NR(f), &policy_seed, expect, NR(expect));
}

static void test_default_value_masks_intx(void **state)
{
    const struct pcidc_func f[] = { ENDPOINT(SBDF(0, 0, 3, 0)) };
    const uint32_t expect[] = { SBDF(0, 0, 3, 0) };

    assert_int_equal(policy_default.clear, PCIDC_COMMAND_MASTER);
    assert_int_equal(policy_default.set, PCIDC_COMMAND_INTX_DISABLE);
    fake_set_live(expect[0], PCIDC_COMMAND, 0x0006);
    assert_int_equal(pcidc_plan_build(*state, f, NR(f), &policy_default),
                     PCIDC_OK);
    assert_int_equal(fake_crash(*state), 1);
    assert_int_equal(fake_write_at(0)->value, 0x0402);
}

/*
 * The default keeps every bit but Bus Master as the function has it at the
 * crash, sets INTx Disable, and reads each planned COMMAND just before
 * writing it -- nothing else.
 */
static void test_default_keeps_decode_and_other_bits(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 1, 0, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        KEPT(SBDF(0, 0, 2, 0)),
    };
    const uint32_t order[] = { SBDF(0, 0, 1, 0), SBDF(0, 1, 0, 0) };
    const uint16_t want[] = { 0x0403, 0x0503 };
    unsigned int i;

    fake_set_live(SBDF(0, 0, 1, 0), PCIDC_COMMAND, 0x0007);
    fake_set_live(SBDF(0, 1, 0, 0), PCIDC_COMMAND, 0x0507);
    fake_set_live(SBDF(0, 0, 2, 0), PCIDC_COMMAND, 0x0007);
    assert_int_equal(pcidc_plan_build(*state, f, NR(f), &policy_default),
                     PCIDC_OK);
    assert_int_equal(fake_crash(*state), NR(order));
    assert_int_equal(fake_nr_crash_reads(), NR(order));
    for ( i = 0; i < NR(order); i++ )
    {
        assert_int_equal(fake_crash_read_at(i)->sbdf, order[i]);
        assert_int_equal(fake_crash_read_at(i)->reg, PCIDC_COMMAND);
        assert_int_equal(fake_crash_read_at(i)->after_writes, i);
        assert_int_equal(fake_write_at(i)->sbdf, order[i]);
        assert_int_equal(fake_write_at(i)->value, want[i]);
    }
    assert_int_equal(fake_live(SBDF(0, 0, 2, 0), PCIDC_COMMAND), 0x0007);
}

/*
 * A driver that turns decode on after the plan was built: the crash path
 * keeps what it finds, not what plan building saw.
 */
static void test_command_changed_after_plan_is_kept(void **state)
{
    struct pcidc_func f = ENDPOINT(SBDF(0, 0, 3, 0));

    f.command = 0x0000;
    assert_int_equal(pcidc_plan_build(*state, &f, 1, &policy_default),
                     PCIDC_OK);
    fake_set_live(f.sbdf, PCIDC_COMMAND, 0x0107);
    assert_int_equal(fake_crash(*state), 1);
    assert_int_equal(fake_write_at(0)->value, 0x0503);
}

/* A function reading all ones gets COMMAND as captured, BME off, INTx off. */
static void test_unanswering_function_gets_captured_fallback(void **state)
{
    struct pcidc_func f = ENDPOINT(SBDF(0, 0, 3, 0));

    f.command = 0x0147;
    assert_int_equal(pcidc_plan_build(*state, &f, 1, &policy_default),
                     PCIDC_OK);
    assert_int_equal(fake_crash(*state), 1);
    assert_int_equal(fake_nr_crash_reads(), 1);
    assert_int_equal(fake_write_at(0)->value, 0x0543);
}

/* pcidc's first value: COMMAND = 0x0400 whatever it held, no read. */
static void test_decode_off_writes_0x0400_without_reading(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 1, 0, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
    };
    const uint32_t expect[] = { SBDF(0, 0, 1, 0), SBDF(0, 1, 0, 0) };

    fake_set_live(SBDF(0, 0, 1, 0), PCIDC_COMMAND, 0x0007);
    build_and_crash(*state, f, NR(f), &policy_decode_off, expect,
                    NR(expect));
    assert_int_equal(fake_write_at(0)->value, 0x0400);
    assert_int_equal(fake_nr_crash_reads(), 0);
}

/* Input order with the default value: the seed's order, INTx masked. */
static void test_input_order_keeps_preserve(void **state)
{
    const struct pcidc_policy p = {
        PCIDC_COMMAND_MASTER, PCIDC_COMMAND_INTX_DISABLE,
        PCIDC_POLICY_INPUT_ORDER
    };
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 1, 0, 0)),
        KEPT(SBDF(0, 1, 1, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        ENDPOINT(SBDF(0, 0, 2, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 1, 0, 0), SBDF(0, 0, 2, 0) };

    build_and_crash(*state, f, NR(f), &p, expect, NR(expect));
}

static void test_empty_list(void **state)
{
    struct pcidc *dc = *state;

    assert_int_equal(pcidc_plan_build(dc, NULL, 0, &policy_default),
                     PCIDC_OK);
    assert_non_null(pcidc_plan_published(dc));
    assert_int_equal(pcidc_plan_published(dc)->nr_steps, 0);
    assert_int_equal(fake_crash(dc), 0);
    assert_int_equal(fake_nr_writes(), 0);
    assert_int_equal(fake_nr_test_and_set(), 1);
}

static void test_no_plan_published(void **state)
{
    struct pcidc *dc = *state;

    assert_null(pcidc_plan_published(dc));
    assert_int_equal(fake_crash(dc), 0);
    assert_int_equal(fake_nr_writes(), 0);
}

/* Functions spread over segments and buses so that none repeats. */
static struct pcidc_func *many_endpoints(unsigned int nr)
{
    struct pcidc_func *f = calloc(nr, sizeof(*f));
    unsigned int i;

    assert_non_null(f);
    for ( i = 0; i < nr; i++ )
        f[i].sbdf = PCIDC_SBDF(i % 3, (i / 3) % 256, (i / 768) % 256);
    return f;
}

static void test_capacity_exactly_full(void **state)
{
    struct pcidc *dc = *state;
    struct pcidc_func *f = many_endpoints(PCIDC_PLAN_CAPACITY);
    unsigned int i;

    assert_int_equal(pcidc_plan_build(dc, f, PCIDC_PLAN_CAPACITY,
                                      &policy_default), PCIDC_OK);
    assert_int_equal(fake_crash(dc), PCIDC_PLAN_CAPACITY);
    assert_int_equal(fake_nr_writes(), PCIDC_PLAN_CAPACITY);
    /* Endpoints only: input order. */
    for ( i = 0; i < PCIDC_PLAN_CAPACITY; i++ )
        assert_int_equal(fake_write_at(i)->sbdf, f[i].sbdf);
    free(f);
}

static void test_capacity_one_over(void **state)
{
    struct pcidc *dc = *state;
    struct pcidc_func *f = many_endpoints(PCIDC_PLAN_CAPACITY + 1);
    const uint32_t expect[] = { f[0].sbdf, f[1].sbdf };

    assert_int_equal(pcidc_plan_build(dc, f, 2, &policy_default), PCIDC_OK);
    assert_int_equal(pcidc_plan_build(dc, f, PCIDC_PLAN_CAPACITY + 1,
                                      &policy_default), PCIDC_E_CAPACITY);
    /* The earlier plan is still the one the crash path walks. */
    assert_int_equal(fake_crash(dc), 2);
    assert_writes(expect, 2, 0x0400);
    free(f);
}

static void expect_error(struct pcidc *dc, const struct pcidc_func *f,
                         unsigned int nr, int err)
{
    assert_int_equal(pcidc_plan_build(dc, f, nr, &policy_default), err);
    assert_int_equal(pcidc_plan_build(dc, f, nr, &policy_seed), err);
    assert_null(pcidc_plan_published(dc));
}

static void test_duplicate_endpoint(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 0, 2, 0)),
        ENDPOINT(SBDF(1, 0, 2, 0)),
        ENDPOINT(SBDF(0, 0, 3, 0)),
        ENDPOINT(SBDF(0, 0, 2, 0)),
    };

    expect_error(*state, f, NR(f), PCIDC_E_DUPLICATE);
}

static void test_duplicate_bridge_and_endpoint(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        ENDPOINT(SBDF(0, 0, 1, 0)),
    };

    expect_error(*state, f, NR(f), PCIDC_E_DUPLICATE);
}

/* Bridges pointing at each other: the bus order check catches any cycle. */
static void test_cycle(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 1, 0, 0), 2, 2),
        BRIDGE(SBDF(0, 2, 0, 0), 1, 1),
    };

    expect_error(*state, f, NR(f), PCIDC_E_BUS_ORDER);
}

static void test_secondary_equals_own_bus(void **state)
{
    const struct pcidc_func f[] = { BRIDGE(SBDF(0, 5, 0, 0), 5, 6) };

    expect_error(*state, f, NR(f), PCIDC_E_BUS_ORDER);
}

static void test_subordinate_below_secondary(void **state)
{
    const struct pcidc_func f[] = { BRIDGE(SBDF(0, 0, 1, 0), 4, 3) };

    expect_error(*state, f, NR(f), PCIDC_E_RANGE);
}

static void test_overlapping_siblings(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 5),
        BRIDGE(SBDF(0, 0, 2, 0), 4, 7),
    };

    expect_error(*state, f, NR(f), PCIDC_E_OVERLAP);
}

static void test_child_outside_parent_range(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 3),
        BRIDGE(SBDF(0, 1, 0, 0), 2, 4),
    };

    expect_error(*state, f, NR(f), PCIDC_E_OVERLAP);
}

static void test_two_bridges_same_secondary(void **state)
{
    const struct pcidc_func f[] = {
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        BRIDGE(SBDF(0, 0, 2, 0), 1, 1),
    };

    expect_error(*state, f, NR(f), PCIDC_E_OVERLAP);
}

static void test_unknown_func_flags(void **state)
{
    const struct pcidc_func f[] = { { SBDF(0, 0, 1, 0), 0x80, 0, 0, 0 } };

    expect_error(*state, f, NR(f), PCIDC_E_INVAL);
}

static void test_policy_checked(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func f[] = { ENDPOINT(SBDF(0, 0, 1, 0)) };
    const struct pcidc_policy bad_value[] = {
        { 0x0000, 0x0000, 0 },          /* leaves Bus Master as it is */
        { 0xfffb, 0x0400, 0 },
        { 0x0004, 0x0001, 0 },          /* turns decode on */
        { 0x0004, 0x0002, 0 },
        { 0x0004, 0x0004, 0 },          /* turns Bus Master on */
        { 0xffff, 0x0406, 0 },
    };
    const struct pcidc_policy bad_flags = { 0x0004, 0, 0x100 };
    unsigned int i;

    for ( i = 0; i < NR(bad_value); i++ )
        assert_int_equal(pcidc_plan_build(dc, f, 1, &bad_value[i]),
                         PCIDC_E_VALUE);
    assert_int_equal(pcidc_plan_build(dc, f, 1, &bad_flags), PCIDC_E_INVAL);
    assert_null(pcidc_plan_published(dc));
}

/* A bus inside a range that is no bridge's secondary still sits below it. */
static void test_function_on_unlisted_bus_follows_bridge(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 3, 0, 0)),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 4),
    };
    const uint32_t expect[] = { SBDF(0, 0, 1, 0), SBDF(0, 3, 0, 0) };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* Bus numbers repeat across segments without clashing. */
static void test_segments_are_separate(void **state)
{
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(1, 1, 0, 0)),
        ENDPOINT(SBDF(0, 1, 0, 0)),
        BRIDGE(SBDF(1, 0, 1, 0), 1, 2),
        BRIDGE(SBDF(0, 0, 1, 0), 1, 1),
        ENDPOINT(SBDF(2, 1, 0, 0)),
    };
    const uint32_t expect[] = {
        SBDF(1, 0, 1, 0), SBDF(0, 0, 1, 0), SBDF(2, 1, 0, 0),
        SBDF(1, 1, 0, 0), SBDF(0, 1, 0, 0),
    };

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

/* 255 nested bridges, the deepest PCI allows, and an endpoint below. */
static void test_deepest_chain(void **state)
{
    struct pcidc_func f[256];
    uint32_t expect[256];
    unsigned int bus;

    for ( bus = 0; bus < 255; bus++ )
    {
        /* Listed innermost first. */
        f[254 - bus] = (struct pcidc_func)BRIDGE(SBDF(0, bus, 0, 0),
                                                 bus + 1, 255);
        expect[bus] = SBDF(0, bus, 0, 0);
    }
    f[255] = (struct pcidc_func)ENDPOINT(SBDF(0, 255, 0, 0));
    expect[255] = SBDF(0, 255, 0, 0);

    build_and_crash(*state, f, NR(f), &policy_default, expect, NR(expect));
}

static void test_second_call_writes_nothing(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 0, 2, 0)),
        ENDPOINT(SBDF(0, 0, 3, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 0, 2, 0), SBDF(0, 0, 3, 0) };

    build_and_crash(dc, f, NR(f), &policy_default, expect, NR(expect));
    assert_int_equal(fake_crash(dc), 0);
    assert_writes(expect, NR(expect), 0x0400);
    assert_int_equal(fake_nr_test_and_set(), 2);
}

/*
 * Once the crash path has started, plan building refuses before anything
 * else (even an oversized list), publishes nothing and writes neither plan:
 * the crash path may be walking either.  Each build passes one full
 * barrier before it reads the crashed flag.
 */
static void test_build_refused_once_crashed(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func a[] = { ENDPOINT(SBDF(0, 0, 2, 0)) };
    const struct pcidc_func b[] = {
        ENDPOINT(SBDF(0, 0, 3, 0)),
        ENDPOINT(SBDF(0, 0, 4, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 0, 2, 0) };
    const struct pcidc_plan *published;
    struct pcidc_plan *before = malloc(sizeof(dc->plan));

    assert_non_null(before);
    build_and_crash(dc, a, NR(a), &policy_default, expect, NR(expect));
    assert_int_equal(fake_nr_mb(), 1);
    published = pcidc_plan_published(dc);
    memcpy(before, dc->plan, sizeof(dc->plan));

    assert_int_equal(pcidc_plan_build(dc, b, NR(b), &policy_default),
                     PCIDC_E_CRASHED);
    assert_int_equal(pcidc_plan_build(dc, b, PCIDC_PLAN_CAPACITY + 1,
                                      &policy_default), PCIDC_E_CRASHED);
    assert_int_equal(fake_nr_mb(), 3);
    assert_ptr_equal(pcidc_plan_published(dc), published);
    assert_memory_equal(dc->plan, before, sizeof(dc->plan));
    assert_int_equal(fake_nr_wmb(), 1);
    free(before);
}

/* A crash with no plan yet still closes plan building. */
static void test_build_refused_after_crash_without_plan(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func a[] = { ENDPOINT(SBDF(0, 0, 2, 0)) };

    assert_int_equal(fake_crash(dc), 0);
    assert_int_equal(pcidc_plan_build(dc, a, NR(a), &policy_default),
                     PCIDC_E_CRASHED);
    assert_null(pcidc_plan_published(dc));
    assert_int_equal(fake_crash(dc), 0);
    assert_int_equal(fake_nr_writes(), 0);
}

static void crash_on_other_cpu(void *arg)
{
    assert_int_equal(fake_crash(arg), 0);
}

/* A second CPU crashing while the first is mid-plan returns at once. */
static void test_concurrent_crash_returns_at_once(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func f[] = {
        ENDPOINT(SBDF(0, 0, 2, 0)),
        ENDPOINT(SBDF(0, 0, 3, 0)),
    };
    const uint32_t expect[] = { SBDF(0, 0, 2, 0), SBDF(0, 0, 3, 0) };

    assert_int_equal(pcidc_plan_build(dc, f, NR(f), &policy_default),
                     PCIDC_OK);
    fake_on_first_write(crash_on_other_cpu, dc);
    assert_int_equal(fake_crash(dc), 2);
    assert_writes(expect, NR(expect), 0x0400);
}

struct republish {
    struct pcidc *dc;
    unsigned int done;
};

/* Crash at the worst moment: the new plan is filled, not yet published. */
static void crash_before_publication(void *arg)
{
    struct republish *r = arg;

    r->done = fake_crash(r->dc);
}

static void test_republish_crash_sees_whole_plan(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func old[] = {
        ENDPOINT(SBDF(0, 0, 2, 0)),
        ENDPOINT(SBDF(0, 0, 3, 0)),
    };
    const struct pcidc_func new[] = {
        ENDPOINT(SBDF(0, 0, 4, 0)),
        ENDPOINT(SBDF(0, 0, 5, 0)),
        ENDPOINT(SBDF(0, 0, 6, 0)),
    };
    const uint32_t expect_old[] = { SBDF(0, 0, 2, 0), SBDF(0, 0, 3, 0) };
    const uint32_t expect_new[] = {
        SBDF(0, 0, 4, 0), SBDF(0, 0, 5, 0), SBDF(0, 0, 6, 0),
    };
    struct republish r = { dc, 0 };

    assert_int_equal(pcidc_plan_build(dc, old, NR(old), &policy_default),
                     PCIDC_OK);
    fake_on_wmb(crash_before_publication, &r);
    assert_int_equal(pcidc_plan_build(dc, new, NR(new), &policy_default),
                     PCIDC_OK);
    assert_int_equal(r.done, NR(old));
    assert_writes(expect_old, NR(old), 0x0400);

    /* The next crash (a fresh boot's state) walks the new plan, whole. */
    fake_reset();
    dc->crashed = 0;
    assert_int_equal(fake_crash(dc), NR(new));
    assert_writes(expect_new, NR(new), 0x0400);

    /* A third build refills the first buffer; the second stays intact. */
    fake_reset();
    dc->crashed = 0;
    fake_on_wmb(crash_before_publication, &r);
    assert_int_equal(pcidc_plan_build(dc, old, NR(old), &policy_default),
                     PCIDC_OK);
    assert_int_equal(r.done, NR(new));
    assert_writes(expect_new, NR(new), 0x0400);
}

/* A step count corrupted by the crash never walks off the array. */
static void test_corrupt_count_is_clamped(void **state)
{
    struct pcidc *dc = *state;
    const struct pcidc_func f[] = { ENDPOINT(SBDF(0, 0, 2, 0)) };

    assert_int_equal(pcidc_plan_build(dc, f, NR(f), &policy_default),
                     PCIDC_OK);
    dc->published->nr_steps = 0xdeadbeef;
    assert_int_equal(fake_crash(dc), PCIDC_PLAN_CAPACITY);
}

static void test_describe_endpoint(void **state)
{
    struct pcidc_func f;

    (void)state;
    fake_set_config(SBDF(0, 0, 2, 0), 0x00, 0x100e8086);
    fake_set_config(SBDF(0, 0, 2, 0), 0x0c, 0x00800000);   /* multi-fn, type 0 */
    assert_int_equal(pcidc_describe(&f, SBDF(0, 0, 2, 0),
                                     PCIDC_FUNC_PRESERVE | PCIDC_FUNC_BRIDGE),
                     PCIDC_OK);
    assert_int_equal(f.sbdf, SBDF(0, 0, 2, 0));
    assert_int_equal(f.flags, PCIDC_FUNC_PRESERVE);
    assert_int_equal(f.secondary, 0);
    assert_int_equal(f.subordinate, 0);
    assert_int_equal(f.command, 0xffff);    /* not in the fake's table */
}

static void test_describe_captures_command(void **state)
{
    struct pcidc_func f;

    (void)state;
    fake_set_config(SBDF(0, 0, 2, 0), 0x00, 0x100e8086);
    fake_set_config(SBDF(0, 0, 2, 0), 0x04, 0x02100107);
    fake_set_config(SBDF(0, 0, 2, 0), 0x0c, 0x00000000);
    assert_int_equal(pcidc_describe(&f, SBDF(0, 0, 2, 0), 0), PCIDC_OK);
    assert_int_equal(f.command, 0x0107);
}

static void test_describe_bridges(void **state)
{
    struct pcidc_func f;
    unsigned int type;

    (void)state;
    for ( type = 1; type <= 2; type++ )
    {
        fake_reset();
        /* Device ID 0x0010: its low bits are no header type. */
        fake_set_config(SBDF(0, 0, 1, 0), 0x00, 0x00101b36);
        fake_set_config(SBDF(0, 0, 1, 0), 0x0c, (0x80 | type) << 16);
        fake_set_config(SBDF(0, 0, 1, 0), 0x18, 0x00070200);
        assert_int_equal(pcidc_describe(&f, SBDF(0, 0, 1, 0), 0), PCIDC_OK);
        assert_int_equal(f.flags, PCIDC_FUNC_BRIDGE);
        assert_int_equal(f.secondary, 2);
        assert_int_equal(f.subordinate, 7);
        assert_int_equal(fake_nr_reads(), 4);
    }
}

/* A removed function reads all ones. */
static void test_describe_absent(void **state)
{
    struct pcidc_func f = { 0x12345678, 0, 0, 0, 0 };

    (void)state;
    assert_int_equal(pcidc_describe(&f, SBDF(0, 0, 9, 0), 0), PCIDC_E_ABSENT);
    assert_int_equal(f.sbdf, 0x12345678);
    assert_int_equal(fake_nr_reads(), 1);
}

static void test_strerror_names_every_code(void **state)
{
    int err;

    (void)state;
    for ( err = PCIDC_E_CRASHED; err <= PCIDC_OK; err++ )
        assert_string_not_equal(pcidc_strerror(err), "unknown error");
    assert_string_equal(pcidc_strerror(1), "unknown error");
    assert_string_equal(pcidc_strerror(-100), "unknown error");
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_nested_bridges_outer_first),
        TEST(test_independent_root_bridges),
        TEST(test_preserve_two_bridges_deep),
        TEST(test_preserve_siblings_share_bridge),
        TEST(test_preserve_bridge_itself),
        TEST(test_seed_configuration),
        TEST(test_default_value_masks_intx),
        TEST(test_default_keeps_decode_and_other_bits),
        TEST(test_command_changed_after_plan_is_kept),
        TEST(test_unanswering_function_gets_captured_fallback),
        TEST(test_decode_off_writes_0x0400_without_reading),
        TEST(test_input_order_keeps_preserve),
        TEST(test_empty_list),
        TEST(test_no_plan_published),
        TEST(test_capacity_exactly_full),
        TEST(test_capacity_one_over),
        TEST(test_duplicate_endpoint),
        TEST(test_duplicate_bridge_and_endpoint),
        TEST(test_cycle),
        TEST(test_secondary_equals_own_bus),
        TEST(test_subordinate_below_secondary),
        TEST(test_overlapping_siblings),
        TEST(test_child_outside_parent_range),
        TEST(test_two_bridges_same_secondary),
        TEST(test_unknown_func_flags),
        TEST(test_policy_checked),
        TEST(test_function_on_unlisted_bus_follows_bridge),
        TEST(test_segments_are_separate),
        TEST(test_deepest_chain),
        TEST(test_second_call_writes_nothing),
        TEST(test_build_refused_once_crashed),
        TEST(test_build_refused_after_crash_without_plan),
        TEST(test_concurrent_crash_returns_at_once),
        TEST(test_republish_crash_sees_whole_plan),
        TEST(test_corrupt_count_is_clamped),
        TEST(test_describe_endpoint),
        TEST(test_describe_captures_command),
        TEST(test_describe_bridges),
        TEST(test_describe_absent),
        TEST(test_strerror_names_every_code),
    };

    return cmocka_run_group_tests_name("pcidc core", tests, NULL, NULL);
}
