/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Faults: every one must end crashsim with exit status 2, exactly one line
 * on stderr, and no QEMU (or stand-in) left running.
 *
 *  - the QEMU binary does not exist (--qemu to a missing path);
 *  - an impossible or garbled topology (rejected before QEMU starts);
 *  - --require-clean naming a policy that does not run (and, the one case
 *    ending in exit 1, a required-clean policy that corrupts memory);
 *  - QEMU killed in the middle of a scenario;
 *  - a stand-in that connects and never answers (short time-out);
 *  - a stand-in that answers with malformed lines.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashsim_run.h"

static void run_args(struct run *r, const char *const *argv,
                     const char *const *env,
                     void (*on_start)(struct run *, pid_t))
{
    run_prepare(r);
    assert_int_equal(run_crashsim(r, argv, env, on_start), 0);
}

static void test_missing_qemu_binary_exits_2_at_once(void **state)
{
    const char *argv[] = { "--qemu", "/nonexistent/qemu-system-x86_64", NULL };
    static struct run r;

    (void)state;
    run_args(&r, argv, NULL, NULL);
    run_assert_exit2(&r, "not found");
    assert_true(r.ms < 5000);
    run_cleanup(&r);
}

static void test_bad_topology_or_policy_refused_before_qemu_starts(
    void **state)
{
    const char *too_many[] = { "--topology", "e1000*30", NULL };
    const char *garbled[] = { "--topology", "e1000,bridge(ahci", NULL };
    const char *unknown[] = { "--topology", "e1000,floppy", NULL };
    const char *bad_policy[] = { "--policy", "none,yolo", NULL };
    const char *const *cases[] = { too_many, garbled, unknown, bad_policy };
    static struct run r;
    unsigned int i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_args(&r, cases[i], NULL, NULL);
        run_assert_exit2(&r, NULL);
        assert_true(r.ms < 5000);
        run_cleanup(&r);
    }
}

/*
 * --require-clean naming a policy that will not run is refused before any
 * QEMU starts; one that runs and corrupts memory ends in exit 1 (with the
 * figure on stderr), the report still written.
 */
static void test_require_clean_refuses_unrun_policy_and_fails_on_corruption(
    void **state)
{
    const char *not_run[] = { "--policy", "none", "--require-clean", "pcidc",
                              NULL };
    const char *dirty[] = { "--topology", "e1000", "--policy", "none",
                            "--window-ms", "200", "--require-clean", "none",
                            NULL };
    static struct run r;

    (void)state;
    run_args(&r, not_run, NULL, NULL);
    run_assert_exit2(&r, "policy pcidc is not run");
    assert_true(r.ms < 5000);
    run_cleanup(&r);

    run_args(&r, dirty, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "policy none corrupted"));
    assert_non_null(r.report);
    assert_int_equal(run_procs_with(r.tmpdir), 0);
    run_cleanup(&r);
}

/* Wait for the QEMU under r->tmpdir (its qtest socket lives in a qts
 * directory there), then SIGKILL that one process. */
static void kill_qemu_when_up(struct run *r, pid_t crashsim)
{
    double deadline = run_now_ms() + 20000;
    char marker[96];
    pid_t qemu = 0;

    (void)crashsim;
    snprintf(marker, sizeof(marker), "path=%s/pcidc-qts-", r->tmpdir);
    while (run_procs_find(marker, &qemu) < 1 && run_now_ms() < deadline)
        usleep(20000);
    usleep(1500000);        /* into the workload */
    if (!qemu || kill(qemu, SIGKILL))
        fprintf(stderr, "no QEMU found to kill under %s\n", r->tmpdir);
}

static void test_qemu_killed_mid_scenario_exits_2_leaving_nothing(
    void **state)
{
    const char *argv[] = { "--policy", "none", "--window-ms", "8000", NULL };
    static struct run r;

    (void)state;
    run_args(&r, argv, NULL, kill_qemu_when_up);
    run_assert_exit2(&r, "qemu");
    run_cleanup(&r);
}

static void test_silent_qemu_times_out_with_exit_2(void **state)
{
    const char *argv[] = { "--policy", "none", "--qemu", run_fake_qemu_path(),
                           NULL };
    const char *env[] = { "FAKE_QEMU_MODE=silent", "PCIDC_QTS_TIMEOUT_MS=1500",
                          NULL };
    static struct run r;

    (void)state;
    run_args(&r, argv, env, NULL);
    run_assert_exit2(&r, "within");
    assert_true(r.ms < 20000);
    run_cleanup(&r);
}

static void test_malformed_replies_end_with_exit_2(void **state)
{
    const char *argv[] = { "--policy", "pcidc", "--qemu", run_fake_qemu_path(),
                           NULL };
    const char *env[] = { "FAKE_QEMU_MODE=garbage", "PCIDC_QTS_TIMEOUT_MS=3000",
                          NULL };
    static struct run r;

    (void)state;
    run_args(&r, argv, env, NULL);
    run_assert_exit2(&r, "malformed");
    run_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_qemu_binary_exits_2_at_once),
        cmocka_unit_test(
            test_bad_topology_or_policy_refused_before_qemu_starts),
        cmocka_unit_test(
            test_require_clean_refuses_unrun_policy_and_fails_on_corruption),
        cmocka_unit_test(test_silent_qemu_times_out_with_exit_2),
        cmocka_unit_test(test_malformed_replies_end_with_exit_2),
        cmocka_unit_test(
            test_qemu_killed_mid_scenario_exits_2_leaving_nothing),
    };

    return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
