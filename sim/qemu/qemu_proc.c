/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qemu_proc: the QEMU process behind a qts instance.  Resolves the binary,
 * owns the private temporary directory, starts QEMU (sim/base/proc) and
 * registers it for the exit and signal handlers (qemu_live.c), establishes
 * the qtest connection, notices QEMU's exit, stops and reaps it, and asks
 * a binary for its --version.  See qts.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/proc.h"
#include "qts.h"
#include "qts_int.h"

#define TERM_GRACE_MS   1000
#define GONE_REAP_MS    2000    /* QEMU closed the socket: its exit is near */
#define CONNECT_RETRY_MS 20
#define MAX_ARGS        1024
#define SOCK_NAME       "qtest.sock"
#define LOG_NAME        "qemu.log"

/* --- QEMU's state -------------------------------------------------------- */

static bool qemu_running(const struct qts *q)
{
    return q->qemu_proc.pid > 0 && !q->qemu_proc.reaped;
}

/* Wait for QEMU to exit until deadline_ms; once reaped, nothing is left
 * to kill, here or in the exit handlers.  proc_wait()'s result. */
static int qemu_wait(struct qts *q, double deadline_ms)
{
    int rc = proc_wait(&q->qemu_proc, deadline_ms);

    if (rc == 1)
        qts_live_set_pid(q->slot, 0);
    return rc;
}

/*
 * The last few lines of QEMU's log that say something (not the qtest
 * object's "[R +t]" / "[S +t]" echo), joined with " | ", into out.
 */
static void log_tail(const struct qts *q, char *out, size_t len)
{
    char path[PATH_MAX + 16], buf[4096], *line[64];
    size_t nr = 0, i, o = 0;
    ssize_t n;
    off_t size;
    char *p, *save;
    int fd;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", q->tmpdir, LOG_NAME);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    lseek(fd, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1
                                            : 0, SEEK_SET);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';

    for (p = strtok_r(buf, "\r\n", &save); p;
         p = strtok_r(NULL, "\r\n", &save)) {
        if (p[0] == '[' || p[0] == '\0')
            continue;
        if (nr == sizeof(line) / sizeof(line[0])) {
            memmove(line, line + 1, (nr - 1) * sizeof(line[0]));
            nr--;
        }
        line[nr++] = p;
    }
    for (i = nr > 3 ? nr - 3 : 0; i < nr && o + 8 < len; i++) {
        if (o) {
            strcpy(out + o, " | ");
            o += 3;
        }
        qts_clip(line[i], strlen(line[i]), out + o, len - o);
        o += strlen(out + o);
    }
}

static void describe_status(int status, char *out, size_t len)
{
    if (WIFEXITED(status))
        snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, len, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, len, "stopped");
}

/* The error for a QEMU that went away: how and when, with its log's tail. */
static int fail_gone(struct qts *q, const char *how, const char *when)
{
    char tail[QTS_ERR_LEN / 2];

    log_tail(q, tail, sizeof(tail));
    return qts_fail(q, "QEMU %s %s%s%s", how, when,
                    tail[0] ? "; its log: " : "", tail);
}

int qts_qemu_gone(struct qts *q, const char *when)
{
    char how[64] = "closed the qtest connection";

    if (qemu_running(q) && qemu_wait(q, clock_ms() + GONE_REAP_MS) == 1)
        describe_status(q->qemu_proc.status, how, sizeof(how));
    return fail_gone(q, how, when);
}

bool qts_qemu_exited(struct qts *q, const char *when)
{
    char how[64];

    if (!qemu_running(q) || qemu_wait(q, 0) != 1)
        return false;
    describe_status(q->qemu_proc.status, how, sizeof(how));
    fail_gone(q, how, when);
    return true;
}

/* --- instance ------------------------------------------------------------ */

unsigned int qts_timeout_ms(unsigned int ms)
{
    const char *env = getenv(QTS_TIMEOUT_ENV);
    char *end;
    unsigned long v;

    if (ms)
        return ms;
    if (env && *env) {
        errno = 0;
        v = strtoul(env, &end, 10);
        if (!errno && !*end && v > 0 && v <= 3600000)
            return (unsigned int)v;
    }
    return QTS_DEFAULT_TIMEOUT_MS;
}

/* The halt firmware next to the running program, else build/. */
static char *default_bios(void)
{
    const char *env = getenv(QTS_BIOS_ENV);
    char exe[PATH_MAX], *slash;
    ssize_t n;

    if (env && *env)
        return strdup(env);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            strcpy(slash + 1, "halt-bios.bin");
            if (access(exe, R_OK) == 0)
                return strdup(exe);
        }
    }
    return strdup(QTS_DEFAULT_BIOS);
}

static char *dup_or(const char *s, const char *env, const char *fallback)
{
    const char *e = env ? getenv(env) : NULL;

    if (s)
        return strdup(s);
    if (e && *e)
        return strdup(e);
    return fallback ? strdup(fallback) : NULL;
}

/* The private directory and its registry slot; failures are sticky. */
static void make_tmpdir(struct qts *q)
{
    const char *base = getenv("TMPDIR");

    if (!base || !*base || strlen(base) > 40)
        base = "/tmp";
    snprintf(q->tmpdir, sizeof(q->tmpdir), "%s/pcidc-qts-XXXXXX", base);
    if (!mkdtemp(q->tmpdir)) {
        qts_fail(q, "cannot create a temporary directory in %s: %s", base,
                 strerror(errno));
        q->tmpdir[0] = '\0';
        return;
    }
    q->slot = qts_live_add(q->tmpdir);
    if (q->slot < 0)
        qts_fail(q, "more than %d live QEMU instances", QTS_MAX_LIVE);
}

struct qts *qts_new(const struct qts_opts *opts)
{
    static const struct qts_opts none;
    struct qts *q;

    if (!opts)
        opts = &none;
    q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->fd = -1;
    q->slot = -1;
    q->qemu_proc.out = q->qemu_proc.err = -1;
    q->qemu = dup_or(opts->qemu, QTS_QEMU_ENV, QTS_DEFAULT_QEMU);
    q->bios = opts->bios ? strdup(opts->bios) : default_bios();
    q->machine = dup_or(opts->machine, NULL, "q35");
    q->qtest_log = dup_or(opts->qtest_log, NULL, "/dev/null");
    q->no_bios = opts->no_bios;
    q->qemu_listens = opts->qemu_listens;
    q->memory_mb = opts->memory_mb ? opts->memory_mb : 256;
    q->timeout_ms = qts_timeout_ms(opts->timeout_ms);
    if (!q->qemu || !q->bios || !q->machine || !q->qtest_log) {
        qts_close(q);
        return NULL;
    }
    make_tmpdir(q);
    return q;
}

const char *qts_tmpdir(const struct qts *q)
{
    return q->tmpdir;
}

char *qts_path(struct qts *q, const char *name, char *buf, size_t len)
{
    int n;

    if (!name || !*name || strchr(name, '/')) {
        qts_fail(q, "bad temporary file name '%s'", name ? name : "(null)");
        return NULL;
    }
    n = snprintf(buf, len, "%s/%s", q->tmpdir, name);
    if (n < 0 || (size_t)n >= len) {
        qts_fail(q, "temporary path for '%s' too long", name);
        return NULL;
    }
    return buf;
}

pid_t qts_pid(const struct qts *q)
{
    return qemu_running(q) ? q->qemu_proc.pid : 0;
}

void qts_kill(struct qts *q)
{
    if (qemu_running(q))
        kill(q->qemu_proc.pid, SIGKILL);
}

void qts_set_timeout(struct qts *q, unsigned int ms)
{
    q->timeout_ms = qts_timeout_ms(ms);
}

unsigned int qts_timeout(const struct qts *q)
{
    return q->timeout_ms;
}

static void remove_tmpdir(struct qts *q)
{
    if (!q->tmpdir[0])
        return;
    qts_remove_flat_dir(q->tmpdir);
    q->tmpdir[0] = '\0';
}

void qts_close(struct qts *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    if (qemu_running(q)) {
        proc_stop(&q->qemu_proc, TERM_GRACE_MS);
        qts_live_set_pid(q->slot, 0);
    }
    remove_tmpdir(q);
    qts_live_remove(q->slot);
    free(q->qemu);
    free(q->bios);
    free(q->machine);
    free(q->qtest_log);
    free(q->rx);
    free(q->tx);
    free(q);
}

/* --- process start ------------------------------------------------------- */

bool qts_resolve_exe(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH"), *p, *colon;
    size_t n;

    if (!name || !*name)
        return false;
    if (strchr(name, '/')) {
        if (strlen(name) >= len || access(name, X_OK) != 0)
            return false;
        strcpy(out, name);
        return true;
    }
    if (!path)
        path = "/usr/bin:/bin";
    for (p = path; *p; p = *colon ? colon + 1 : colon) {
        colon = strchrnul(p, ':');
        n = (size_t)(colon - p);
        if (n == 0 || n + strlen(name) + 2 > len)
            continue;
        memcpy(out, p, n);
        out[n] = '/';
        strcpy(out + n + 1, name);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

static int make_listener(struct qts *q, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return qts_fail(q, "socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return qts_fail(q, "socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1) < 0) {
        close(fd);
        return qts_fail(q, "listen on %s: %s", path, strerror(errno));
    }
    return fd;
}

/* We listen, QEMU connects: accept with time-out, watching QEMU exit. */
static int accept_qemu(struct qts *q, int lfd)
{
    double deadline = clock_ms() + q->timeout_ms;
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    int r;

    for (;;) {
        r = poll(&p, 1, 50);
        if (r > 0) {
            q->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (q->fd >= 0)
                return 0;
            if (errno != EINTR && errno != EAGAIN)
                return qts_fail(q, "accept: %s", strerror(errno));
        } else if (r < 0 && errno != EINTR) {
            return qts_fail(q, "poll: %s", strerror(errno));
        }
        if (qts_qemu_exited(q, "before connecting to the qtest socket"))
            return -1;
        if (clock_ms() >= deadline)
            return qts_fail(q, "QEMU did not connect to the qtest socket "
                            "within %u ms", q->timeout_ms);
    }
}

/* QEMU listens (server=on,wait=off): connect, retrying until the time-out. */
static int connect_qemu(struct qts *q, const char *path)
{
    double deadline = clock_ms() + q->timeout_ms;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return qts_fail(q, "socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return qts_fail(q, "socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            q->fd = fd;
            return 0;
        }
        close(fd);
        if (qts_qemu_exited(q, "before its qtest socket accepted"))
            return -1;
        if (clock_ms() >= deadline)
            return qts_fail(q, "could not connect to QEMU's qtest socket "
                            "within %u ms", q->timeout_ms);
        clock_sleep_ms(CONNECT_RETRY_MS);
    }
}

/* QEMU's command line: the standard arguments, then the caller's. */
struct qemu_cmdline {
    const char *argv[MAX_ARGS];
    char mem[32], chardev[PATH_MAX + 64], object[PATH_MAX + 64];
};

static int build_cmdline(struct qts *q, const char *sock,
                         const char *const *extra, struct qemu_cmdline *c)
{
    size_t argc = 0, i;

    snprintf(c->mem, sizeof(c->mem), "%uM", q->memory_mb);
    snprintf(c->chardev, sizeof(c->chardev), "socket,id=qts,path=%s%s", sock,
             q->qemu_listens ? ",server=on,wait=off" : "");
    snprintf(c->object, sizeof(c->object), "qtest,id=qts0,chardev=qts,log=%s",
             q->qtest_log);
    c->argv[argc++] = q->qemu;
    c->argv[argc++] = "-machine";
    c->argv[argc++] = q->machine;
    c->argv[argc++] = "-display";
    c->argv[argc++] = "none";
    c->argv[argc++] = "-nodefaults";
    c->argv[argc++] = "-no-reboot";
    c->argv[argc++] = "-m";
    c->argv[argc++] = c->mem;
    if (!q->no_bios) {
        c->argv[argc++] = "-bios";
        c->argv[argc++] = q->bios;
    }
    c->argv[argc++] = "-chardev";
    c->argv[argc++] = c->chardev;
    c->argv[argc++] = "-object";
    c->argv[argc++] = c->object;
    for (i = 0; extra && extra[i]; i++) {
        if (argc + 1 >= MAX_ARGS)
            return qts_fail(q, "more than %d QEMU arguments", MAX_ARGS);
        c->argv[argc++] = extra[i];
    }
    c->argv[argc] = NULL;
    return 0;
}

/*
 * Run exe with the command line, stdin from /dev/null, stdout and stderr
 * appended to the log.  QEMU dies with the thread that started it
 * (PR_SET_PDEATHSIG) and is registered for the exit and signal handlers.
 */
static int spawn_qemu(struct qts *q, const char *exe,
                      const struct qemu_cmdline *c, const char *logpath)
{
    struct proc_opts o = { PROC_NULL, -1, PROC_STDOUT, SIGKILL };
    char err[256];
    int rc;

    o.out = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (o.out < 0)
        return qts_fail(q, "cannot create %s: %s", logpath, strerror(errno));
    qts_live_install_handlers();
    rc = proc_exec(&q->qemu_proc, &o, exe, (char *const *)c->argv, err,
                   sizeof(err));
    close(o.out);
    if (rc < 0)
        return qts_fail(q, "cannot run '%s': %s", q->qemu, err);
    qts_live_set_pid(q->slot, q->qemu_proc.pid);
    if (q->qemu_proc.exec_errno) {
        qemu_wait(q, clock_ms() + q->timeout_ms);
        return qts_fail(q, "cannot run '%s': %s", q->qemu,
                        strerror(q->qemu_proc.exec_errno));
    }
    return 0;
}

/* What qts_start() needs before anything runs; the socket and log paths. */
static int check_start(struct qts *q, char *exe, size_t exe_len, char *sock,
                       char *logpath, size_t len)
{
    if (q->failed)
        return -1;
    if (qemu_running(q))
        return qts_fail(q, "QEMU already started");
    if (!qts_resolve_exe(q->qemu, exe, exe_len))
        return qts_fail(q, "QEMU binary '%s' not found or not executable",
                        q->qemu);
    if (!q->no_bios && access(q->bios, R_OK) != 0)
        return qts_fail(q, "halt firmware '%s' not readable (%s); build it "
                        "with 'make %s'", q->bios, strerror(errno),
                        QTS_DEFAULT_BIOS);
    if (!qts_path(q, SOCK_NAME, sock, len) ||
        !qts_path(q, LOG_NAME, logpath, len))
        return -1;
    return 0;
}

int qts_start(struct qts *q, const char *const *extra)
{
    char sock[PATH_MAX + 16], logpath[PATH_MAX + 16], exe[PATH_MAX];
    struct qemu_cmdline cmd;
    int lfd = -1, rc;

    if (check_start(q, exe, sizeof(exe), sock, logpath, sizeof(sock)) < 0 ||
        build_cmdline(q, sock, extra, &cmd) < 0)
        return -1;
    if (!q->qemu_listens) {
        lfd = make_listener(q, sock);
        if (lfd < 0)
            return -1;
    }
    rc = spawn_qemu(q, exe, &cmd, logpath);
    if (rc == 0)
        rc = q->qemu_listens ? connect_qemu(q, sock) : accept_qemu(q, lfd);
    if (lfd >= 0)
        close(lfd);
    return rc;
}

/* --- version ------------------------------------------------------------- */

/* Run "exe --version" and collect its output until the deadline. */
static int run_version(const char *qemu, const char *exe,
                       unsigned int timeout_ms, struct proc_buf *out,
                       char *err, size_t errlen)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_STDOUT, SIGKILL };
    char *argv[] = { (char *)qemu, (char *)"--version", NULL };
    char why[256];
    struct proc p;
    int rc;

    if (proc_exec(&p, &o, exe, argv, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "cannot run '%s': %s", qemu, why);
        return -1;
    }
    if (p.exec_errno) {
        proc_stop(&p, 0);
        snprintf(err, errlen, "cannot run '%s': %s", qemu,
                 strerror(p.exec_errno));
        return -1;
    }
    rc = proc_collect(&p, out, NULL, clock_ms() + timeout_ms);
    proc_stop(&p, 0);
    if (rc == 1 && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0)
        return 0;
    if (rc == 1)
        snprintf(err, errlen, "'%s --version' failed", qemu);
    else if (out->data && strchr(out->data, '\n'))
        snprintf(err, errlen, "'%s --version' did not exit within %u ms",
                 qemu, timeout_ms);
    else
        snprintf(err, errlen, "'%s --version' gave no answer within %u ms",
                 qemu, timeout_ms);
    return -1;
}

int qts_query_version(const char *qemu, unsigned int timeout_ms,
                      char *buf, size_t len, char *err, size_t errlen)
{
    struct proc_buf out = { 0 };
    char exe[PATH_MAX];
    int rc;

    if (!qemu)
        qemu = getenv(QTS_QEMU_ENV) && *getenv(QTS_QEMU_ENV) ?
               getenv(QTS_QEMU_ENV) : QTS_DEFAULT_QEMU;
    timeout_ms = qts_timeout_ms(timeout_ms);
    if (!qts_resolve_exe(qemu, exe, sizeof(exe))) {
        snprintf(err, errlen, "QEMU binary '%s' not found or not executable",
                 qemu);
        return -1;
    }
    rc = run_version(qemu, exe, timeout_ms, &out, err, errlen);
    if (rc == 0) {
        snprintf(buf, len, "%.*s", (int)strcspn(out.data ? out.data : "",
                                                "\r\n"),
                 out.data ? out.data : "");
        if (!buf[0]) {
            snprintf(err, errlen, "'%s --version' failed", qemu);
            rc = -1;
        }
    }
    proc_buf_free(&out);
    return rc;
}

const char *qts_qemu_version(struct qts *q)
{
    char err[QTS_ERR_LEN];

    if (q->failed)
        return NULL;
    if (!q->version[0] &&
        qts_query_version(q->qemu, q->timeout_ms, q->version,
                          sizeof(q->version), err, sizeof(err)) < 0) {
        q->version[0] = '\0';
        qts_fail(q, "%s", err);
        return NULL;
    }
    return q->version;
}
