/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the scenario suites: see crashsim_run.h.  Child runs go
 * through sim/base/proc, every wait is on sim/base/clock.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/proc.h"
#include "crashsim_run.h"

#define RUN_MAX_ARGS    64
#define RUN_STOP_MS     5000    /* SIGTERM to SIGKILL when over the limit */

double run_now_ms(void)
{
    return clock_ms();
}

const char *run_crashsim_path(void)
{
    const char *p = getenv("PCIDC_CRASHSIM");

    return p && *p ? p : "build/crashsim";
}

const char *run_fake_qemu_path(void)
{
    const char *p = getenv("PCIDC_FAKE_QEMU");

    return p && *p ? p : "build/qtest/fake_qemu";
}

void run_prepare(struct run *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/pcidc-qt-XXXXXX");
    if (!mkdtemp(r->tmpdir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(r->json_path, sizeof(r->json_path), "%s/report.json", r->tmpdir);
}

int run_procs_find(const char *marker, pid_t *first)
{
    return proc_find_cmdline(marker, first, NULL, 0);
}

int run_procs_with(const char *marker)
{
    return run_procs_find(marker, NULL);
}

/* The first RUN_OUT_MAX - 1 bytes of what the child wrote. */
static void keep_output(char *dst, const struct proc_buf *b)
{
    size_t n = b->len < RUN_OUT_MAX - 1 ? b->len : RUN_OUT_MAX - 1;

    if (n)
        memcpy(dst, b->data, n);
    dst[n] = '\0';
}

/*
 * crashsim's command line: env(1) puts TMPDIR and env into crashsim's
 * environment, leaving ours as it is; argv[0] is env's.
 */
static int build_args(const struct run *r, const char *const *argv,
                      const char *const *env, char *tmpdir_var, size_t len,
                      const char **args)
{
    unsigned int n = 0, i;

    snprintf(tmpdir_var, len, "TMPDIR=%s", r->tmpdir);
    args[n++] = "env";
    args[n++] = tmpdir_var;
    for (i = 0; env && env[i]; i++)
        if (n < RUN_MAX_ARGS / 2)
            args[n++] = env[i];
    args[n++] = run_crashsim_path();
    for (i = 0; argv[i]; i++)
        if (n < RUN_MAX_ARGS - 3)
            args[n++] = argv[i];
    args[n++] = "--json";
    args[n++] = r->json_path;
    args[n] = NULL;
    return (int)n;
}

int run_crashsim(struct run *r, const char *const *argv,
                 const char *const *env,
                 void (*on_start)(struct run *, pid_t))
{
    const struct proc_opts po = { .in = PROC_NULL, .out = PROC_PIPE,
                                  .err = PROC_PIPE };
    const char *args[RUN_MAX_ARGS + 1];
    struct proc_buf out = { 0 }, err = { 0 };
    char tmpdir_var[96], why[160];
    struct proc p;
    double t0 = clock_ms();
    int rc;

    build_args(r, argv, env, tmpdir_var, sizeof(tmpdir_var), args);
    if (proc_exec(&p, &po, "/usr/bin/env", (char *const *)args, why,
                  sizeof(why))) {
        fprintf(stderr, "cannot start %s: %s\n", run_crashsim_path(), why);
        return -1;
    }
    if (on_start)
        on_start(r, p.pid);
    rc = proc_collect(&p, &out, &err, t0 + RUN_LIMIT_MS);
    if (rc != 1)
        fprintf(stderr, "crashsim: %s after %.0f ms; stopping it\n",
                rc == 0 ? "time limit reached" : "lost its output",
                clock_ms() - t0);
    proc_stop(&p, RUN_STOP_MS);
    r->status = WIFEXITED(p.status) ? WEXITSTATUS(p.status)
                                    : 128 + WTERMSIG(p.status);
    r->ms = clock_ms() - t0;
    keep_output(r->out, &out);
    keep_output(r->err, &err);
    proc_buf_free(&out);
    proc_buf_free(&err);
    r->report = json_load_file(r->json_path, 0, NULL);
    return 0;
}

void run_cleanup(struct run *r)
{
    char cmd[160];

    json_decref(r->report);
    r->report = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", r->tmpdir);
}

json_t *run_policy(const struct run *r, const char *policy)
{
    json_t *runs = json_object_get(r->report, "runs"), *run;
    const char *name;
    size_t i;

    json_array_foreach(runs, i, run) {
        name = json_string_value(json_object_get(run, "policy"));
        if (name && !strcmp(name, policy))
            return run;
    }
    return NULL;
}

long long run_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v))
        fail_msg("the report has no integer '%s' (%s)", key,
                 v ? "another type" : "missing");
    return (long long)json_integer_value(v);
}

bool run_flag(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_boolean(v))
        fail_msg("the report has no boolean '%s' (%s)", key,
                 v ? "another type" : "missing");
    return json_is_true(v);
}

const char *run_str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));

    if (!v)
        fail_msg("the report has no string '%s'", key);
    return v;
}

long long run_beyond(const json_t *run)
{
    return run_num(run, "corrupted_bytes") - run_num(run, "inflight_bytes");
}

bool run_one_line(const struct run *r)
{
    size_t len = strlen(r->err);

    return len > 1 && r->err[len - 1] == '\n' &&
           memchr(r->err, '\n', len - 1) == NULL;
}

struct run *run_completed(const char *const *argv)
{
    const char *env[] = { "PCIDC_SIM_JOBS=1", NULL };
    struct run *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    run_prepare(r);
    assert_int_equal(run_crashsim(r, argv, env, NULL), 0);
    if (r->status != 0)
        fprintf(stderr, "crashsim exit %d: %s", r->status, r->err);
    assert_int_equal(r->status, 0);
    assert_non_null(r->report);
    assert_int_equal(run_procs_with(r->tmpdir), 0);
    return r;
}

void run_free(struct run *r)
{
    run_cleanup(r);
    free(r);
}

void run_assert_exit2(const struct run *r, const char *must_contain)
{
    if (r->status != 2 || !run_one_line(r))
        fprintf(stderr, "status %d, stderr: [%s]\n", r->status, r->err);
    assert_int_equal(r->status, 2);
    assert_true(run_one_line(r));
    if (must_contain)
        assert_non_null(strcasestr(r->err, must_contain));
    assert_int_equal(run_procs_with(r->tmpdir), 0);
}

void run_assert_beyond_only_from(const json_t *run, const char *device)
{
    const json_t *ranges = json_object_get(run, "corrupted_ranges"), *range;
    const char *owner;
    size_t i;

    if (!json_is_array(ranges))
        fail_msg("the report has no array 'corrupted_ranges'");
    json_array_foreach(ranges, i, range) {
        if (run_flag(range, "inflight"))
            continue;
        owner = json_string_value(json_object_get(range, "device"));
        if (!owner)
            fail_msg("a corrupted range beyond in-flight reads has no device");
        assert_string_equal(owner, device);
    }
}

json_t *run_policy_ok(const struct run *r, const char *name)
{
    json_t *run = run_policy(r, name);

    if (!run)
        fail_msg("policy %s is not in the report", name);
    assert_null(json_object_get(run, "error"));
    return run;
}
