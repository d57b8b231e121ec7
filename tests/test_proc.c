/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the child-process helper (sim/base/proc.c).  No QEMU: the
 * children are functions of this program and /bin/sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/proc.h"

#define LIMIT_MS    10000.0     /* no child here needs nearly as long */

/* Every child dies with this program (SIGKILL), even if a test fails. */
static const struct proc_opts inherit = {
    PROC_INHERIT, PROC_INHERIT, PROC_INHERIT, SIGKILL
};

/* No child of that pid is left to reap, not even a zombie. */
static void assert_gone(pid_t pid)
{
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static int exit_with(void *arg)
{
    return *(int *)arg;
}

static void test_fork_exit_status(void **state)
{
    struct proc p;
    char err[128], text[64];
    int code = 7;

    (void)state;
    assert_int_equal(proc_fork(&p, &inherit, exit_with, &code, err,
                               sizeof(err)), 0);
    assert_true(p.pid > 0);
    assert_int_equal(p.out, -1);
    assert_int_equal(proc_wait(&p, clock_ms() + LIMIT_MS), 1);
    assert_true(p.reaped);
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 7);
    assert_string_equal(proc_status_str(p.status, text, sizeof(text)),
                        "exit status 7");
    /* Already reaped: waiting again and stopping are no-ops. */
    assert_int_equal(proc_wait(&p, 0), 1);
    proc_stop(&p, 100);
    assert_gone(p.pid);
}

static void run_sh(struct proc *p, const struct proc_opts *o,
                   const char *script)
{
    char *const argv[] = { "sh", "-c", (char *)script, NULL };
    char err[128];

    assert_int_equal(proc_exec(p, o, "/bin/sh", argv, err, sizeof(err)), 0);
    assert_int_equal(p->exec_errno, 0);
}

static void test_exec_collect(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_PIPE, SIGKILL };
    struct proc_buf out = { 0 }, err = { 0 };
    struct proc p;

    (void)state;
    run_sh(&p, &o, "echo to-out; echo to-err >&2; cat; exit 3");
    assert_true(p.out >= 0 && p.err >= 0);
    assert_int_equal(proc_collect(&p, &out, &err, clock_ms() + LIMIT_MS), 1);
    assert_string_equal(out.data, "to-out\n");
    assert_string_equal(err.data, "to-err\n");
    assert_int_equal(p.out, -1);
    assert_int_equal(p.err, -1);
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 3);
    assert_gone(p.pid);
    proc_buf_free(&out);
    proc_buf_free(&err);
    assert_null(out.data);
}

/* stderr following stdout (2>&1); a stream read and dropped. */
static void test_exec_merged_streams(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_STDOUT, SIGKILL };
    const struct proc_opts drop = { PROC_NULL, PROC_PIPE, PROC_NULL, SIGKILL };
    const struct proc_opts bad = { PROC_PIPE, PROC_PIPE, PROC_PIPE, 0 };
    struct proc_buf out = { 0 };
    struct proc p;
    char err[128] = "";

    (void)state;
    run_sh(&p, &o, "echo one; echo two >&2; echo three");
    assert_int_equal(p.err, -1);
    assert_int_equal(proc_collect(&p, &out, NULL, clock_ms() + LIMIT_MS), 1);
    assert_string_equal(out.data, "one\ntwo\nthree\n");
    proc_buf_free(&out);

    run_sh(&p, &drop, "echo dropped");
    assert_int_equal(proc_collect(&p, NULL, NULL, clock_ms() + LIMIT_MS), 1);
    assert_int_equal(WEXITSTATUS(p.status), 0);

    /* stdin cannot be a pipe: refused before anything is started. */
    assert_int_equal(proc_exec(&p, &bad, "/bin/true",
                               (char *const[]){ "true", NULL }, err,
                               sizeof(err)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(p.pid, 0);
    assert_true(err[0] != '\0');
}

static void test_deadline_then_stop(void **state)
{
    struct proc p;
    char text[64];
    double t0;

    (void)state;
    run_sh(&p, &inherit, "exec sleep 30");
    t0 = clock_ms();
    assert_int_equal(proc_wait(&p, t0 + 150), 0);
    assert_true(clock_ms() - t0 >= 150);
    assert_true(clock_ms() - t0 < LIMIT_MS);
    assert_false(p.reaped);
    assert_int_equal(proc_wait(&p, 0), 0);      /* still running */

    t0 = clock_ms();
    proc_stop(&p, 2000);
    assert_true(clock_ms() - t0 < 2000);        /* SIGTERM was enough */
    assert_true(p.reaped);
    assert_true(WIFSIGNALED(p.status));
    assert_int_equal(WTERMSIG(p.status), SIGTERM);
    assert_string_equal(proc_status_str(p.status, text, sizeof(text)),
                        "killed by signal 15 (Terminated)");
    assert_gone(p.pid);
}

static int ignore_term_and_wait(void *arg)
{
    (void)arg;
    signal(SIGTERM, SIG_IGN);
    for (;;)
        pause();
    return 0;
}

/* A child deaf to SIGTERM gets SIGKILL after the grace period; grace 0
 * means SIGKILL at once. */
static void test_stop_escalates(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_INHERIT, SIGKILL };
    struct proc p;
    char err[128], text[64];
    double t0;

    (void)state;
    assert_int_equal(proc_fork(&p, &o, ignore_term_and_wait, NULL, err,
                               sizeof(err)), 0);
    clock_sleep_ms(50);         /* let it ignore SIGTERM first */
    t0 = clock_ms();
    proc_stop(&p, 300);
    assert_true(clock_ms() - t0 >= 300);
    assert_true(WIFSIGNALED(p.status));
    assert_int_equal(WTERMSIG(p.status), SIGKILL);
    assert_string_equal(proc_status_str(p.status, text, sizeof(text)),
                        "killed by signal 9 (Killed)");
    assert_int_equal(p.out, -1);
    assert_gone(p.pid);

    assert_int_equal(proc_fork(&p, &o, ignore_term_and_wait, NULL, err,
                               sizeof(err)), 0);
    t0 = clock_ms();
    proc_stop(&p, 0);
    assert_true(clock_ms() - t0 < 2000);
    assert_int_equal(WTERMSIG(p.status), SIGKILL);
    assert_gone(p.pid);
}

/* proc_collect's deadline: output so far kept, the child left running. */
static void test_collect_deadline(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_NULL, SIGKILL };
    struct proc_buf out = { 0 };
    struct proc p;
    double t0;

    (void)state;
    run_sh(&p, &o, "echo early; exec sleep 30");
    t0 = clock_ms();
    assert_int_equal(proc_collect(&p, &out, NULL, t0 + 300), 0);
    assert_true(clock_ms() - t0 >= 300);
    assert_string_equal(out.data, "early\n");
    assert_false(p.reaped);
    proc_stop(&p, 1000);
    assert_true(p.reaped);
    assert_gone(p.pid);
    proc_buf_free(&out);
}

static void test_exec_missing(void **state)
{
    char *const argv[] = { "nothing-here", NULL };
    struct proc p;
    char err[128];

    (void)state;
    assert_int_equal(proc_exec(&p, &inherit, "/nonexistent/nothing-here",
                               argv, err, sizeof(err)), 0);
    assert_int_equal(p.exec_errno, ENOENT);
    assert_int_equal(proc_wait(&p, clock_ms() + LIMIT_MS), 1);
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 127);
    assert_gone(p.pid);
}

/* Whether the hex mask after field (in /proc/PID/status text) has sig. */
static bool sig_in_mask(const char *status, const char *field, int sig)
{
    const char *line = strstr(status, field);
    unsigned long long mask;

    assert_non_null(line);
    assert_int_equal(sscanf(line + strlen(field), "%llx", &mask), 1);
    return (mask >> (sig - 1)) & 1;
}

/*
 * The exec'd program starts with default signal actions and no mask
 * (except the C library's own signals, which it does not let us set:
 * they are not checked).
 */
static void test_exec_fresh_signals(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_NULL, SIGKILL };
    struct proc_buf out = { 0 };
    sigset_t block, old;
    struct proc p;

    (void)state;
    signal(SIGHUP, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    run_sh(&p, &o, "grep -E '^Sig(Blk|Ign):' /proc/self/status");
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGHUP, SIG_DFL);
    assert_int_equal(proc_collect(&p, &out, NULL, clock_ms() + LIMIT_MS), 1);
    assert_non_null(out.data);
    assert_false(sig_in_mask(out.data, "SigBlk:", SIGUSR1));
    assert_false(sig_in_mask(out.data, "SigIgn:", SIGHUP));
    /* The check itself sees masks: this program's own. */
    assert_true(sig_in_mask("SigIgn:\t0000000000000001\n", "SigIgn:", SIGHUP));
    proc_buf_free(&out);
}

/* Grandchild with death_signal SIGKILL: it dies with the middle process. */
static int start_sleeper_and_return(void *arg)
{
    const struct proc_opts o = { PROC_NULL, PROC_NULL, PROC_NULL, SIGKILL };
    char *const argv[] = { "sleep", "30", NULL };
    char err[128], line[32];
    struct proc p;
    int n;

    (void)arg;
    if (proc_exec(&p, &o, "/bin/sleep", argv, err, sizeof(err)))
        return 1;
    n = snprintf(line, sizeof(line), "%d\n", (int)p.pid);
    return write(STDOUT_FILENO, line, (size_t)n) == n ? 0 : 1;
}

static bool running(pid_t pid)
{
    char path[64], stat[256];
    FILE *f;
    bool alive;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return false;
    alive = fgets(stat, sizeof(stat), f) && !strstr(stat, ") Z ");
    fclose(f);
    return alive;
}

static void test_death_signal(void **state)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_INHERIT, SIGKILL };
    struct proc_buf out = { 0 };
    struct proc middle;
    double deadline;
    char err[128];
    pid_t sleeper;

    (void)state;
    assert_int_equal(proc_fork(&middle, &o, start_sleeper_and_return, NULL,
                               err, sizeof(err)), 0);
    assert_int_equal(proc_collect(&middle, &out, NULL,
                                  clock_ms() + LIMIT_MS), 1);
    assert_int_equal(WEXITSTATUS(middle.status), 0);
    assert_non_null(out.data);
    sleeper = (pid_t)atoi(out.data);
    assert_true(sleeper > 0);
    deadline = clock_ms() + LIMIT_MS;
    while (running(sleeper) && clock_ms() < deadline)
        clock_sleep_ms(10);
    assert_false(running(sleeper));
    proc_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork_exit_status),
        cmocka_unit_test(test_exec_collect),
        cmocka_unit_test(test_exec_merged_streams),
        cmocka_unit_test(test_deadline_then_stop),
        cmocka_unit_test(test_stop_escalates),
        cmocka_unit_test(test_collect_deadline),
        cmocka_unit_test(test_exec_missing),
        cmocka_unit_test(test_exec_fresh_signals),
        cmocka_unit_test(test_death_signal),
    };

    return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
