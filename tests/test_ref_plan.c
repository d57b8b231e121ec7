/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reference model of plan building (ref_plan.c) against the core:
 * hand-made cases with known answers, then seeded random machines -- trees
 * of bridges with keep flags, shuffled, some broken on purpose -- fed to
 * both through the fuzzer's text form.  No QEMU.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuzz/plan_input.h"
#include "ref_plan.h"

#define CASES       4000
#define TEXT_MAX    16384

static struct pcidc dc;

static uint64_t rng_state;

static unsigned int rnd(unsigned int n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return n ? (unsigned int)((rng_state >> 33) % n) : 0;
}

struct text {
    char buf[TEXT_MAX];
    size_t len;
};

static void emit(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
    va_end(ap);
    if ( n > 0 && (size_t)n < sizeof(t->buf) - t->len )
        t->len += (size_t)n;
}

/*
 * Functions on bus 'bus' of segment seg: endpoints and bridges, each bridge
 * taking the next free buses for its subtree.  Returns the last bus used.
 */
static unsigned int gen_bus(struct text *t, unsigned int seg, unsigned int bus,
                            unsigned int *next_bus, unsigned int depth)
{
    unsigned int dev, n = 1 + rnd(4), last = bus;

    for ( dev = 0; dev < n; dev++ )
    {
        const char *keep = rnd(8) ? "" : " keep";

        if ( depth < 5 && *next_bus < 0xf0 && rnd(3) == 0 )
        {
            unsigned int sec = (*next_bus)++, sub;

            sub = gen_bus(t, seg, sec, next_bus, depth + 1);
            sub += rnd(3);              /* spare buses behind the bridge */
            *next_bus = sub + 1;
            emit(t, "%x:%x:%x.0 bridge %x-%x%s cmd=%x\n", seg, bus, dev, sec,
                 sub, keep, rnd(0x800));
            last = sub;
        }
        else
            emit(t, "%x:%x:%x.%x%s cmd=%x\n", seg, bus, dev, rnd(8), keep,
                 rnd(0x800));
    }
    return last;
}

/* Swap two random lines, a few times: the core must not depend on order. */
static void shuffle_lines(struct text *t)
{
    char *line[512], copy[TEXT_MAX], *p, *save = NULL;
    unsigned int n = 0, i, a, b;
    struct text out = { .len = 0 };

    memcpy(copy, t->buf, t->len);
    copy[t->len] = '\0';
    for ( p = strtok_r(copy, "\n", &save); p && n < 512;
          p = strtok_r(NULL, "\n", &save) )
        line[n++] = p;
    for ( i = 0; n > 1 && i < n; i++ )
    {
        a = rnd(n);
        b = rnd(n);
        p = line[a];
        line[a] = line[b];
        line[b] = p;
    }
    for ( i = 0; i < n; i++ )
        emit(&out, "%s\n", line[i]);
    *t = out;
}

static const char *const policies[] = {
    "default", "decode-off", "seed", "input", "ignore",
};

/* Segments whose numbers differ in each byte of the 16 bits. */
static const unsigned int segments[] = { 0, 1, 0x100, 0x101, 0xffff };

/* Repeat one random line: a function listed twice. */
static void duplicate_a_line(struct text *t)
{
    char copy[TEXT_MAX], *start, *end;
    unsigned int lines = 0, pick;
    size_t i;

    for ( i = 0; i < t->len; i++ )
        lines += t->buf[i] == '\n';
    if ( lines < 2 )
        return;
    pick = 1 + rnd(lines - 1);              /* not the policy line */
    memcpy(copy, t->buf, t->len);
    copy[t->len] = '\0';
    for ( start = copy; pick--; )
        start = strchr(start, '\n') + 1;
    end = strchr(start, '\n');
    *end = '\0';
    emit(t, "%s\n", start);
}

static void random_case(struct text *t)
{
    unsigned int seg, nr_seg = 1 + rnd(3), next, first = rnd(5);

    t->len = 0;
    emit(t, "policy %s\n", policies[rnd(5)]);
    for ( seg = 0; seg < nr_seg; seg++ )
    {
        next = 1;
        gen_bus(t, segments[(first + seg) % 5], 0, &next, 0);
    }
    if ( rnd(4) == 0 )      /* a bridge whose buses break the tree */
        emit(t, "%x:%x:1f.0 bridge %x-%x\n", segments[first], rnd(8),
             rnd(10), rnd(10));
    if ( rnd(8) == 0 )
        duplicate_a_line(t);
    shuffle_lines(t);
}

/* Outcomes seen, by error code (index -code), to check the mix. */
static unsigned int outcome[16];

static void assert_agree(const char *text)
{
    static struct plan_input in;
    static struct ref_plan model;
    char why[256];

    plan_input_parse(&in, (const uint8_t *)text, strlen(text));
    if ( plan_input_compare(&dc, &in, why, sizeof(why)) )
        fail_msg("%s\non:\n%s", why, text);
    outcome[-ref_plan_build(in.func, in.nr, &in.policy, &model) & 15]++;
}

static void assert_model(const char *text, int rc, unsigned int nr,
                         const uint32_t *sbdf)
{
    static struct plan_input in;
    static struct ref_plan plan;
    unsigned int k;

    plan_input_parse(&in, (const uint8_t *)text, strlen(text));
    assert_int_equal(ref_plan_build(in.func, in.nr, &in.policy, &plan), rc);
    if ( rc )
        return;
    assert_int_equal(plan.nr_steps, nr);
    for ( k = 0; k < nr; k++ )
        assert_int_equal(plan.step[k].sbdf, sbdf[k]);
}

/* The model on its own: cases whose answers are worked out by hand. */
static void test_model_known_answers(void **state)
{
    const uint32_t nested[] = { 0x000008, 0x000110, 0x000200 };
    const uint32_t kept[] = { 0x000018 };
    const uint32_t seed[] = { 0x000200, 0x000110, 0x000008 };

    (void)state;
    assert_model("0:2:0.0\n0:1:2.0 bridge 2-2\n0:0:1.0 bridge 1-2\n",
                 PCIDC_OK, 3, nested);
    assert_model("0:2:0.0 keep\n0:1:2.0 bridge 2-2\n0:0:1.0 bridge 1-2\n"
                 "0:0:3.0\n", PCIDC_OK, 1, kept);
    assert_model("policy seed\n0:2:0.0 keep\n0:1:2.0 bridge 2-2\n"
                 "0:0:1.0 bridge 1-2\n", PCIDC_OK, 3, seed);
    assert_model("0:0:1.0 bridge 1-3\n0:0:2.0 bridge 2-4\n", PCIDC_E_OVERLAP,
                 0, NULL);
    assert_model("0:0:1.0 bridge 2-5\n0:1:0.0 bridge 3-4\n", PCIDC_E_OVERLAP,
                 0, NULL);
    assert_model("0:0:1.0 bridge 0-3\n", PCIDC_E_BUS_ORDER, 0, NULL);
    assert_model("0:0:1.0 bridge 3-2\n", PCIDC_E_RANGE, 0, NULL);
    assert_model("0:0:1.0\n0:0:1.0\n", PCIDC_E_DUPLICATE, 0, NULL);
    assert_model("policy raw 0 400 0\n0:0:1.0\n", PCIDC_E_VALUE, 0, NULL);
    assert_model("0:0:1.0 flags=80\n", PCIDC_E_INVAL, 0, NULL);
}

static void test_core_agrees_on_random_machines(void **state)
{
    static struct text t;
    unsigned int i;

    (void)state;
    rng_state = 20261203;
    for ( i = 0; i < CASES; i++ )
    {
        random_case(&t);
        t.buf[t.len] = '\0';
        assert_agree(t.buf);
    }
    /* The generator must reach plans and every topology error. */
    assert_true(outcome[-PCIDC_OK] > CASES / 4);
    assert_true(outcome[-PCIDC_E_DUPLICATE] > 0);
    assert_true(outcome[-PCIDC_E_OVERLAP] > 0);
    assert_true(outcome[-PCIDC_E_BUS_ORDER] > 0);
    assert_true(outcome[-PCIDC_E_RANGE] > 0);
    print_message("random machines: %u plans, %u duplicate, %u overlap, "
                  "%u bus order, %u range\n", outcome[0],
                  outcome[-PCIDC_E_DUPLICATE], outcome[-PCIDC_E_OVERLAP],
                  outcome[-PCIDC_E_BUS_ORDER], outcome[-PCIDC_E_RANGE]);
}

static void test_core_agrees_at_and_over_capacity(void **state)
{
    char text[64];
    unsigned int extra;

    (void)state;
    for ( extra = 0; extra < 3; extra++ )
    {
        snprintf(text, sizeof(text), "fill %x\n",
                 PCIDC_PLAN_CAPACITY - 1 + extra);
        assert_agree(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_known_answers),
        cmocka_unit_test(test_core_agrees_on_random_machines),
        cmocka_unit_test(test_core_agrees_at_and_over_capacity),
    };

    return cmocka_run_group_tests_name("reference model", tests, NULL, NULL);
}
