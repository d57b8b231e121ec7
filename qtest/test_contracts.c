/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashsim --contracts: the core instrumented by E-ACSL runs the crash
 * against real QEMU devices, every call under its ACSL contract.
 *
 *  - the demo topology and an odd one (nested bridges, a root port, a
 *    preserved NIC, VT-d): the checked core completes, disconnects every
 *    planned function and leaves nothing corrupted beyond in-flight reads,
 *    while policy none, in the same run, does corrupt memory;
 *  - the negative controls: crashsim linked against a broken copy of the
 *    core (each write to the neighbouring device) must be stopped by E-ACSL
 *    naming the property, exit 3, report written, no QEMU or files left;
 *    and against one that plans functions before their bridges, stopped in
 *    --plan-only (plan building runs in a child there) with exit 3;
 *  - a plain build whose E-ACSL sibling is missing says so (exit 2).
 *
 * Built and run by proofs/proofs.mk (make check-sim-contracts):
 * $PCIDC_CRASHSIM is build/crashsim, $PCIDC_CRASHSIM_BROKEN and
 * $PCIDC_CRASHSIM_BROKEN_PLAN the broken builds.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashsim_run.h"

#define EXIT_VIOLATION  3

static const char *env_path(const char *name)
{
    const char *p = getenv(name);

    if (!p || !*p)
        fail_msg("%s is not set (run through make check-sim-contracts)", name);
    return p;
}

static bool contracts_noted(const struct run *r)
{
    const char *note = json_string_value(json_object_get(r->report,
                                                         "contracts"));

    return note && !strncmp(note, "Contracts checked", 17) &&
           strstr(r->out, "Contracts checked") != NULL;
}

/*
 * The core's run: one config write per plan step; per step that keeps bits
 * of COMMAND (pcidc's default policy, not the seed's, which clears every
 * bit) one crash-time read (pcidc_port_crash_read16) before it; no other
 * config read (pcidc_port_conf_read32) on the crash path.
 */
static void assert_checked(const json_t *run, bool reads_command)
{
    long long steps = (long long)json_array_size(json_object_get(run, "plan"));

    assert_true(steps > 0);
    assert_int_equal(run_num(run, "config_writes"), steps);
    assert_int_equal(run_num(run, "crash_reads"), reads_command ? steps : 0);
    assert_int_equal(run_num(run, "config_reads"),
                     run_num(run, "crash_reads"));
}

static void assert_checked_and_clean(const json_t *run, bool reads_command)
{
    assert_checked(run, reads_command);
    assert_int_equal(run_beyond(run), 0);
    assert_true(run_flag(run, "dma_stopped"));
}

static void assert_none_corrupts(const json_t *none)
{
    assert_true(run_beyond(none) > 0);
    assert_false(run_flag(none, "dma_stopped"));
}

static struct run *checked(const char *topology, const char *policies)
{
    const char *argv[] = { "--contracts", "--topology", topology,
                           "--policy", policies, "--window-ms", "400",
                           "--seed", "7", NULL };

    return run_completed(argv);
}

/* The demo topology under E-ACSL: seed and pcidc stop every new DMA. */
static void test_checked_core_clean_on_demo_topology_where_none_corrupts(
    void **state)
{
    struct run *r = checked("e1000,ahci,bridge(e1000,e1000)",
                            "none,seed,pcidc");

    (void)state;
    assert_true(contracts_noted(r));
    assert_none_corrupts(run_policy_ok(r, "none"));
    assert_checked_and_clean(run_policy_ok(r, "seed"), false);
    assert_checked_and_clean(run_policy_ok(r, "pcidc"), true);
    run_free(r);
}

/*
 * Nested bridges, a root port, VT-d and a preserved NIC (00:02.0, not in
 * the plan).  The preserved NIC keeps receiving after VT-d translation is
 * switched off, so its descriptor write-backs may land in low memory: every
 * range beyond in-flight reads must be that NIC's, none a planned device's.
 */
static void test_checked_core_plans_around_kept_nic_on_odd_topology(
    void **state)
{
    struct run *r = checked("iommu,keep:e1000,bridge(ahci,bridge(e1000)),"
                            "rootport(e1000e)", "none,pcidc");
    const json_t *pcidc, *step;
    size_t i;

    (void)state;
    assert_true(contracts_noted(r));
    assert_none_corrupts(run_policy_ok(r, "none"));
    pcidc = run_policy_ok(r, "pcidc");
    assert_checked(pcidc, true);
    json_array_foreach(json_object_get(pcidc, "plan"), i, step)
        assert_string_not_equal(run_str(step, "sbdf"), "0000:00:02.0");
    run_assert_beyond_only_from(pcidc, "e1000_0");
    run_free(r);
}

/* Entries of dir other than keep: what a run left behind. */
static int leftovers(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            strcmp(de->d_name, keep))
            n++;
    closedir(d);
    return n;
}

/* Run program (r prepared) instead of $PCIDC_CRASHSIM with argv and env. */
static void run_program(struct run *r, const char *program,
                        const char *const *argv, const char *const *env)
{
    char *plain = strdup(env_path("PCIDC_CRASHSIM"));

    assert_non_null(plain);
    setenv("PCIDC_CRASHSIM", program, 1);
    assert_int_equal(run_crashsim(r, argv, env, NULL), 0);
    setenv("PCIDC_CRASHSIM", plain, 1);
    free(plain);
}

/* Stopped by E-ACSL on property (a kind of check), nothing left behind. */
static void assert_violation(const struct run *r, const char *kind,
                             const char *property)
{
    char failed[64];

    if (r->status != EXIT_VIOLATION)
        fprintf(stderr, "status %d, stderr: [%s]\n", r->status, r->err);
    assert_int_equal(r->status, EXIT_VIOLATION);
    snprintf(failed, sizeof(failed), "Error: %s failed", kind);
    assert_non_null(strstr(r->err, failed));
    assert_non_null(strstr(r->err, property));
    assert_non_null(strstr(r->err, "contract violated"));
    assert_int_equal(run_procs_with(r->tmpdir), 0);
    assert_int_equal(leftovers(r->tmpdir, "report.json"), 0);
}

/* A core that writes the neighbouring function (sbdf ^ 8): stopped. */
static void test_eacsl_stops_a_core_writing_a_function_outside_its_plan(
    void **state)
{
    const char *argv[] = { "--contracts", "--topology", "e1000,bridge(e1000)",
                           "--policy", "none,pcidc", "--window-ms", "200",
                           NULL };
    const char *env[] = { "PCIDC_SIM_JOBS=1", NULL };
    static struct run r;
    const json_t *pcidc;

    (void)state;
    run_prepare(&r);
    run_program(&r, env_path("PCIDC_CRASHSIM_BROKEN"), argv, env);
    /* E-ACSL's message: the loop invariant that ties writes to steps. */
    assert_violation(&r, "Invariant", "in_order");
    assert_non_null(strstr(r.err, "crashsim: pcidc: contract violated"));
    /* The report is still written, with the stopped run marked. */
    assert_non_null(r.report);
    assert_non_null(strstr(run_str(r.report, "contracts"), "VIOLATED"));
    pcidc = run_policy(&r, "pcidc");
    assert_non_null(pcidc);
    assert_non_null(strstr(run_str(pcidc, "error"), "contract violated"));
    assert_none_corrupts(run_policy_ok(&r, "none"));
    run_cleanup(&r);
}

/* Plan building under the contract: --plan-only builds in a child. */
static void test_eacsl_stops_a_plan_putting_functions_before_their_bridge(
    void **state)
{
    const char *argv[] = { "--contracts", "--plan-only", "--topology",
                           "bridge(e1000)", "--policy", "pcidc", NULL };
    static struct run r;

    (void)state;
    run_prepare(&r);
    run_program(&r, env_path("PCIDC_CRASHSIM_BROKEN_PLAN"), argv, NULL);
    assert_violation(&r, "Postcondition", "bridges_first");
    run_cleanup(&r);
}

static void test_contracts_without_eacsl_build_exits_2(void **state)
{
    const char *argv[] = { "--contracts", NULL };
    char copy[128], cmd[400];
    static struct run r;

    (void)state;
    run_prepare(&r);
    snprintf(copy, sizeof(copy), "%s/crashsim", r.tmpdir);
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", env_path("PCIDC_CRASHSIM"),
             copy);
    assert_int_equal(system(cmd), 0);
    run_program(&r, copy, argv, NULL);
    run_assert_exit2(&r, "crashsim-contracts is not built");
    assert_null(r.report);
    run_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_checked_core_clean_on_demo_topology_where_none_corrupts),
        cmocka_unit_test(
            test_checked_core_plans_around_kept_nic_on_odd_topology),
        cmocka_unit_test(
            test_eacsl_stops_a_core_writing_a_function_outside_its_plan),
        cmocka_unit_test(
            test_eacsl_stops_a_plan_putting_functions_before_their_bridge),
        cmocka_unit_test(test_contracts_without_eacsl_build_exits_2),
    };

    return cmocka_run_group_tests_name("contracts", tests, NULL, NULL);
}
