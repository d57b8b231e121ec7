/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the sweep's pure parts (sim/sweep/gen.c, collect.c): every
 * generated topology parses and is the same on a second draw, the cases
 * reach every kind of the table, four bridges deep, keep:, every crash
 * moment and both kinds of republication; a case's command line survives
 * the shell; a case's verdict from its job and report; the distribution
 * figures.  No QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "base/proc.h"
#include "sweep/sweep.h"
#include "topology/spec.h"

#define CASES   300

static struct spec spec;

static void test_cases_parse_and_repeat(void **state)
{
    struct sweep_case a, b;
    unsigned int k;

    (void)state;
    for (k = 0; k < CASES; k++) {
        sweep_gen_case(7, k, &a);
        sweep_gen_case(7, k, &b);
        assert_int_equal(spec_parse(&spec, a.topology), 0);
        assert_memory_equal(&a, &b, sizeof(a));
        assert_int_equal(a.index, k);
        assert_true(a.window_ms >= 100 && a.window_ms <= 500);
        assert_true(a.delay_ms <= 350);
    }
    sweep_gen_case(8, 0, &b);
    sweep_gen_case(7, 0, &a);
    assert_true(memcmp(&a, &b, sizeof(a)) != 0);
}

#define MAX_KINDS   32

struct seen {
    bool kind[MAX_KINDS];
    unsigned int deepest;
    bool keep, republish_first, republish_later, plain;
    bool no_delay, delay;
};

static void look(struct seen *s, const struct sweep_case *c)
{
    unsigned int i;

    assert_int_equal(spec_parse(&spec, c->topology), 0);
    for (i = 0; i < spec.nr; i++) {
        const struct spec_node *n = &spec.node[i];

        assert_true((unsigned int)n->kind < MAX_KINDS);
        s->kind[n->kind] = true;
        s->keep |= n->keep;
        if (spec_is_endpoint(n->kind) && n->depth > s->deepest)
            s->deepest = n->depth;
        assert_true(n->depth <= SWEEP_MAX_DEPTH);
    }
    s->republish_first |= c->republish && c->republish_at == 0;
    s->republish_later |= c->republish && c->republish_at > 0;
    s->plain |= !c->republish;
    s->no_delay |= c->delay_ms == 0;
    s->delay |= c->delay_ms > 0;
}

static void test_cases_cover_the_table(void **state)
{
    struct sweep_case c;
    unsigned int k, kind;
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    sweep_gen_qemu(10, 0);
    for (k = 0; k < CASES; k++) {
        sweep_gen_case(1, k, &c);
        look(&s, &c);
    }
    /* Every kind the SPEC parser knows: a new one needs its line in gen.c. */
    for (kind = 0; strcmp(spec_kind_name((enum spec_kind)kind), "?"); kind++) {
        if (!s.kind[kind])
            fail_msg("no case has a %s", spec_kind_name((enum spec_kind)kind));
    }
    assert_true(kind > SPEC_SERIAL);
    assert_int_equal(s.deepest, SWEEP_MAX_DEPTH);
    assert_true(s.keep && s.republish_first && s.republish_later && s.plain);
    assert_true(s.no_delay && s.delay);
}

/* On a QEMU without igb no case has one; the QEMU given is in the line. */
static void test_cases_fit_the_qemu(void **state)
{
    struct sweep_argv argv;
    struct sweep_case c;
    unsigned int k;

    (void)state;
    sweep_gen_qemu(7, 2);
    for (k = 0; k < CASES; k++) {
        sweep_gen_case(1, k, &c);
        assert_int_equal(spec_parse(&spec, c.topology), 0);
        assert_int_equal(spec_check_qemu(&spec, 7, 2, "7.2", "q"), 0);
    }
    assert_int_equal(sweep_case_argv(&c, "crashsim", "/opt/q10", NULL, NULL,
                                     &argv), 0);
    assert_string_equal(argv.argv[2], "--qemu");
    assert_string_equal(argv.argv[3], "/opt/q10");
    sweep_gen_qemu(10, 0);
}

/* The quoted command line, run by sh, gives crashsim the same words. */
static void test_command_line_survives_the_shell(void **state)
{
    struct sweep_argv argv;
    struct sweep_case c;
    char line[4096], cmd[8192], got[4096];
    FILE *p;
    size_t n;

    (void)state;
    sweep_gen_case(1, 11, &c);
    assert_int_equal(sweep_case_argv(&c, "/bin/echo", NULL, "none,pcidc", NULL,
                                     &argv), 0);
    assert_string_equal(argv.argv[1], "--check");
    assert_string_equal(argv.argv[3], c.topology);
    proc_quote_argv(argv.argv, line, sizeof(line));
    snprintf(cmd, sizeof(cmd), "%s", line);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(got, 1, sizeof(got) - 1, p);
    got[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(got, c.topology));
    assert_non_null(strstr(got, "--policy none,pcidc"));
    assert_null(strstr(got, "'"));
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (!v)
        fail_msg("bad test JSON: %s", jerr.text);
    return v;
}

static void test_case_verdicts(void **state)
{
    static struct sweep_case_result r;
    struct sweep_job job = { .timeout_ms = 1000 };
    json_t *ok = parse("{\"runs\": [{\"policy\": \"pcidc\","
                       " \"corrupted_bytes\": 10, \"inflight_bytes\": 4,"
                       " \"elapsed_ms\": 1500}],"
                       " \"properties\": [{\"property\": \"p\","
                       " \"policy\": \"pcidc\", \"ok\": true,"
                       " \"detail\": \"\"}]}");
    json_t *bad = parse("{\"runs\": [], \"properties\": [{\"property\": "
                        "\"pcidc_clean\", \"policy\": \"pcidc\", \"ok\": "
                        "false, \"detail\": \"12 B\"}]}");

    (void)state;
    sweep_collect_case(&r, &job, ok);
    assert_true(r.ok);
    assert_true(r.ran[CRASH_PCIDC]);
    assert_true(r.value[CRASH_PCIDC][SWEEP_BEYOND] == 6);
    assert_true(r.value[CRASH_PCIDC][SWEEP_RUN_MS] == 1500);
    job.status = 1 << 8;                    /* exit 1 */
    sweep_collect_case(&r, &job, bad);
    assert_false(r.ok);
    assert_non_null(strstr(r.why, "pcidc_clean (pcidc): 12 B"));
    job.status = 2 << 8;
    sweep_collect_case(&r, &job, ok);       /* exit 2: not ok */
    assert_false(r.ok);
    sweep_collect_case(&r, &job, NULL);
    assert_non_null(strstr(r.why, "wrote no report"));
    job.status = 0;
    job.hung = true;
    sweep_collect_case(&r, &job, ok);
    assert_non_null(strstr(r.why, "did not finish"));
    job.hung = false;
    job.left = 1;
    sweep_collect_case(&r, &job, ok);
    assert_non_null(strstr(r.why, "left after crashsim"));
    json_decref(ok);
    json_decref(bad);
}

static void test_distribution(void **state)
{
    static struct sweep_case_result r[20];
    struct sweep_dist d;
    unsigned int i;

    (void)state;
    for (i = 0; i < 20; i++) {
        r[i].ran[CRASH_SEED] = i != 3;      /* 19 values: 0..19 but 3 */
        r[i].value[CRASH_SEED][SWEEP_QUIESCED] = i;
    }
    sweep_dist(r, 20, CRASH_SEED, SWEEP_QUIESCED, &d);
    assert_int_equal(d.n, 19);
    assert_true(d.min == 0 && d.max == 19);
    assert_true(d.median == 10);            /* 10th of 19 */
    assert_true(d.p95 == 19);               /* 19th of 19 */
    sweep_dist(r, 20, CRASH_PCIDC, SWEEP_QUIESCED, &d);
    assert_int_equal(d.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_parse_and_repeat),
        cmocka_unit_test(test_cases_cover_the_table),
        cmocka_unit_test(test_cases_fit_the_qemu),
        cmocka_unit_test(test_command_line_survives_the_shell),
        cmocka_unit_test(test_case_verdicts),
        cmocka_unit_test(test_distribution),
    };

    return cmocka_run_group_tests_name("sweep", tests, NULL, NULL);
}
