/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the scenario suites: run build/crashsim as a user
 * would (fork + exec, stdout and stderr captured, a time limit), read its
 * JSON report, and look for processes left behind.
 *
 * Every run gets its own TMPDIR (qts makes its per-QEMU directories there),
 * so "no QEMU left" means: no process whose command line mentions that
 * directory.
 */
#ifndef QTEST_CRASHSIM_RUN_H
#define QTEST_CRASHSIM_RUN_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define RUN_OUT_MAX     (256 * 1024)
#define RUN_LIMIT_MS    180000

struct run {
    char tmpdir[64];
    char json_path[128];
    int status;             /* exit status, or 128 + signal */
    char out[RUN_OUT_MAX];
    char err[RUN_OUT_MAX];
    double ms;
    json_t *report;         /* NULL unless the JSON file parsed */
};

static inline double run_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline const char *run_crashsim_path(void)
{
    const char *p = getenv("PCIDC_CRASHSIM");

    return p && *p ? p : "build/crashsim";
}

static inline const char *run_fake_qemu_path(void)
{
    const char *p = getenv("PCIDC_FAKE_QEMU");

    return p && *p ? p : "build/qtest/fake_qemu";
}

static inline void run_prepare(struct run *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/pcidc-qt-XXXXXX");
    if (!mkdtemp(r->tmpdir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(r->json_path, sizeof(r->json_path), "%s/report.json", r->tmpdir);
}

/*
 * Processes (other than us) whose command line contains marker: their
 * number, and the first one's pid in *first (if not NULL).
 */
static inline int run_procs_find(const char *marker, pid_t *first)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    char path[300], buf[8192];
    int count = 0;

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        ssize_t n;
        int fd, i;

        if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
            atoi(de->d_name) == getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        for (i = 0; i < n; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, marker)) {
            if (!count && first)
                *first = (pid_t)atoi(de->d_name);
            count++;
        }
    }
    closedir(d);
    return count;
}

static inline int run_procs_with(const char *marker)
{
    return run_procs_find(marker, NULL);
}

static inline void run_drain(int fd, char *buf, size_t *len)
{
    ssize_t n = read(fd, buf + *len, RUN_OUT_MAX - 1 - *len);

    if (n > 0)
        *len += (size_t)n;
    buf[*len] = '\0';
}

/*
 * Run crashsim with argv (NULL-terminated, without the program name) and
 * extra environment "NAME=VALUE" strings (NULL-terminated, may be NULL).
 * If on_start is set it is called with the child's pid once running.
 */
static inline int run_crashsim(struct run *r, const char *const *argv,
                               const char *const *env,
                               void (*on_start)(struct run *, pid_t))
{
    const char *args[64];
    int out[2], err[2], st = 0, i, n = 0;
    size_t olen = 0, elen = 0;
    double t0 = run_now_ms();
    pid_t pid;

    args[n++] = run_crashsim_path();
    for (i = 0; argv[i] && n < 60; i++)
        args[n++] = argv[i];
    args[n++] = "--json";
    args[n++] = r->json_path;
    args[n] = NULL;
    if (pipe(out) || pipe(err))
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char tmp[80];

        snprintf(tmp, sizeof(tmp), "TMPDIR=%s", r->tmpdir);
        putenv(tmp);
        for (i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (on_start)
        on_start(r, pid);
    for (;;) {
        struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

        if (run_now_ms() - t0 > RUN_LIMIT_MS) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(p, 2, 200) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            run_drain(out[0], r->out, &olen);
        if (p[1].revents)
            run_drain(err[0], r->err, &elen);
        if ((p[0].revents & POLLHUP) && (p[1].revents & POLLHUP) &&
            !(p[0].revents & POLLIN) && !(p[1].revents & POLLIN))
            break;
    }
    close(out[0]);
    close(err[0]);
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->ms = run_now_ms() - t0;
    r->report = json_load_file(r->json_path, 0, NULL);
    return 0;
}

static inline void run_cleanup(struct run *r)
{
    char cmd[160];

    json_decref(r->report);
    r->report = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", r->tmpdir);
}

/* The run object of a policy in the report, or NULL. */
static inline json_t *run_policy(const struct run *r, const char *policy)
{
    json_t *runs = json_object_get(r->report, "runs"), *run;
    size_t i;

    json_array_foreach(runs, i, run)
        if (!strcmp(json_string_value(json_object_get(run, "policy")), policy))
            return run;
    return NULL;
}

static inline long long run_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Bytes a run's policy let through beyond requests already in flight. */
static inline long long run_beyond(const json_t *run)
{
    return run_num(run, "corrupted_bytes") - run_num(run, "inflight_bytes");
}

/* Exactly one line on stderr. */
static inline bool run_one_line(const struct run *r)
{
    size_t len = strlen(r->err);

    return len > 1 && r->err[len - 1] == '\n' &&
           memchr(r->err, '\n', len - 1) == NULL;
}

/*
 * For cmocka tests (include <cmocka.h> first): run crashsim with the
 * NULL-terminated argv, one policy worker at a time; it must complete with
 * exit 0, write its report and leave no process of its run behind.
 */
#ifdef cmocka_unit_test
static inline struct run *run_completed(const char *const *argv)
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

static inline void run_free(struct run *r)
{
    run_cleanup(r);
    free(r);
}

/* Exit status 2, one line on stderr (holding must_contain if not NULL),
 * and no process of the run left behind. */
static inline void run_assert_exit2(const struct run *r,
                                    const char *must_contain)
{
    if (r->status != 2 || !run_one_line(r))
        fprintf(stderr, "status %d, stderr: [%s]\n", r->status, r->err);
    assert_int_equal(r->status, 2);
    assert_true(run_one_line(r));
    if (must_contain)
        assert_non_null(strcasestr(r->err, must_contain));
    assert_int_equal(run_procs_with(r->tmpdir), 0);
}

/* Every corrupted range of a run, in-flight reads aside, is device's. */
static inline void run_assert_beyond_only_from(const json_t *run,
                                               const char *device)
{
    const json_t *range;
    size_t i;

    json_array_foreach(json_object_get(run, "corrupted_ranges"), i, range)
        if (!json_is_true(json_object_get(range, "inflight")))
            assert_string_equal(json_string_value(json_object_get(range,
                                                                  "device")),
                                device);
}

/* The report of one policy, which must have run without error. */
static inline json_t *run_policy_ok(const struct run *r, const char *name)
{
    json_t *run = run_policy(r, name);

    assert_non_null(run);
    assert_null(json_object_get(run, "error"));
    return run;
}
#endif

#endif /* QTEST_CRASHSIM_RUN_H */
