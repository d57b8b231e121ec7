/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qts: QEMU launcher and qtest transport.  See qts.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qts.h"

#define MAX_LINE        (1u << 20)      /* longest reply line accepted */
#define IO_CHUNK        (1u << 18)      /* bytes per read/write command */
#define TERM_GRACE_MS   1000
#define REAP_MS         5000
#define LOG_TAIL        480
#define MAX_LIVE        64
#define SOCK_NAME       "qtest.sock"
#define LOG_NAME        "qemu.log"

struct qts {
    char *qemu, *bios, *machine, *qtest_log;
    bool no_bios, qemu_listens;
    unsigned int memory_mb, timeout_ms;

    char tmpdir[PATH_MAX];
    int slot;                   /* in the live registry, -1: none */
    pid_t pid;                  /* 0: not running / reaped */
    int fd;                     /* qtest connection, -1: none */

    char *rx;                   /* received, not yet consumed bytes */
    size_t rx_len, rx_cap;
    char *tx;                   /* command being sent */
    size_t tx_cap;

    bool failed;
    char err[QTS_ERR_LEN];
    char version[160];

    bool irq_level[QTS_MAX_IRQ];
    unsigned long irq_raises[QTS_MAX_IRQ], irq_lowers[QTS_MAX_IRQ];
    qts_irq_hook irq_hook;
    void *irq_hook_arg;
    unsigned long nr_commands;
};

/* --- live registry: what the exit and signal handlers clean up --------- */

struct live {
    volatile sig_atomic_t used;
    volatile pid_t pid;
    pid_t owner;                /* process that started it (not forks) */
    char tmpdir[PATH_MAX];
};

static struct live live[MAX_LIVE];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static bool handlers_installed;

static int live_add(const char *tmpdir)
{
    int i, slot = -1;

    pthread_mutex_lock(&live_lock);
    for (i = 0; i < MAX_LIVE; i++) {
        if (!live[i].used) {
            slot = i;
            live[i].pid = 0;
            live[i].owner = getpid();
            snprintf(live[i].tmpdir, sizeof(live[i].tmpdir), "%s", tmpdir);
            live[i].used = 1;
            break;
        }
    }
    pthread_mutex_unlock(&live_lock);
    return slot;
}

static void live_remove(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&live_lock);
    live[slot].used = 0;
    live[slot].pid = 0;
    pthread_mutex_unlock(&live_lock);
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Wait up to ms for pid to exit; 1 if reaped (status in *status), 0 if it
 * is still running, -1 if it is not our child (already reaped elsewhere).
 * Async-signal-safe.
 */
static int reap(pid_t pid, unsigned int ms, int *status)
{
    unsigned int waited = 0;
    int st = 0;
    pid_t r;

    for (;;) {
        r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (status)
                *status = st;
            return 1;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited >= ms)
            return 0;
        sleep_ms(5);
        waited += 5;
    }
}

/* Kill with SIGKILL and reap, bounded.  Async-signal-safe. */
static void kill_and_reap(pid_t pid, int *status)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    reap(pid, REAP_MS, status);
}

/*
 * Remove the regular files and sockets in dir, then dir itself, with raw
 * system calls only (async-signal-safe).
 */
static void remove_flat_dir(const char *dir)
{
    char buf[4096];
    long n, pos;
    int fd;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (pos = 0; pos < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + pos);

            if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
                unlinkat(fd, d->d_name, 0);
            pos += d->d_reclen;
        }
    }
    close(fd);
    rmdir(dir);
}

void qts_cleanup_all(void)
{
    pid_t self = getpid();
    int i;

    for (i = 0; i < MAX_LIVE; i++) {
        if (!live[i].used || live[i].owner != self)
            continue;
        kill_and_reap(live[i].pid, NULL);
        live[i].pid = 0;
        remove_flat_dir(live[i].tmpdir);
    }
}

static void on_exit_cleanup(void)
{
    qts_cleanup_all();
}

static void on_signal(int sig)
{
    int saved = errno;

    qts_cleanup_all();
    errno = saved;
    /*
     * SA_RESETHAND restored the default action: die of the same signal
     * (a fault re-executes the instruction and dies of it likewise).
     */
    raise(sig);
}

static void install_handlers(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT,
                                SIGSEGV, SIGBUS, SIGFPE, SIGILL };
    struct sigaction sa, old;
    size_t i;

    pthread_mutex_lock(&live_lock);
    if (handlers_installed) {
        pthread_mutex_unlock(&live_lock);
        return;
    }
    handlers_installed = true;
    pthread_mutex_unlock(&live_lock);

    atexit(on_exit_cleanup);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(sigs[i], &sa, NULL);
    }
}

/* --- errors ---------------------------------------------------------------- */

static void set_error(struct qts *q, const char *fmt, va_list ap)
{
    char *p;

    if (q->failed)
        return;
    q->failed = true;
    vsnprintf(q->err, sizeof(q->err), fmt, ap);
    for (p = q->err; *p; p++)
        if (*p == '\n' || *p == '\r' || (unsigned char)*p < 0x20)
            *p = ' ';
}

int qts_fail(struct qts *q, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_error(q, fmt, ap);
    va_end(ap);
    return -1;
}

const char *qts_error(const struct qts *q)
{
    return q->failed ? q->err : NULL;
}

/* Printable copy of s, at most max characters, "..." when cut. */
static void clip(const char *s, size_t n, char *out, size_t max)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 4 < max; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (i < n && o + 3 < max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* A command as errors show it: its first line, clipped to max. */
static void show_cmd(const char *cmd, char *out, size_t max)
{
    size_t n = 0;

    while (n < max && cmd[n] && cmd[n] != '\n')
        n++;
    clip(cmd, n, out, max);
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
        clip(line[i], strlen(line[i]), out + o, len - o);
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

/* QEMU is reaped: nothing left to kill, here or in the exit handlers. */
static void forget_pid(struct qts *q)
{
    q->pid = 0;
    if (q->slot >= 0)
        live[q->slot].pid = 0;
}

/* The error for a QEMU that went away: how and when, with its log's tail. */
static int fail_gone(struct qts *q, const char *how, const char *when)
{
    char tail[QTS_ERR_LEN / 2];

    log_tail(q, tail, sizeof(tail));
    return qts_fail(q, "QEMU %s %s%s%s", how, when,
                    tail[0] ? "; its log: " : "", tail);
}

/* QEMU went away (EOF, EPIPE, exit seen): reap it briefly, say how. */
static int fail_dead(struct qts *q, const char *when)
{
    char how[64] = "closed the qtest connection";
    int status;

    if (q->pid > 0 && reap(q->pid, 2000, &status) == 1) {
        describe_status(status, how, sizeof(how));
        forget_pid(q);
    }
    return fail_gone(q, how, when);
}

/* --- instance ---------------------------------------------------------------- */

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

struct qts *qts_new(const struct qts_opts *opts)
{
    static const struct qts_opts none;
    const char *base = getenv("TMPDIR");
    struct qts *q;

    if (!opts)
        opts = &none;
    q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->fd = -1;
    q->slot = -1;
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

    if (!base || !*base || strlen(base) > 40)
        base = "/tmp";
    snprintf(q->tmpdir, sizeof(q->tmpdir), "%s/pcidc-qts-XXXXXX", base);
    if (!mkdtemp(q->tmpdir)) {
        qts_fail(q, "cannot create a temporary directory in %s: %s", base,
                 strerror(errno));
        q->tmpdir[0] = '\0';
        return q;
    }
    q->slot = live_add(q->tmpdir);
    if (q->slot < 0)
        qts_fail(q, "more than %d live QEMU instances", MAX_LIVE);
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
    return q->pid;
}

void qts_kill(struct qts *q)
{
    if (q->pid > 0)
        kill(q->pid, SIGKILL);
}

void qts_set_timeout(struct qts *q, unsigned int ms)
{
    q->timeout_ms = qts_timeout_ms(ms);
}

unsigned int qts_timeout(const struct qts *q)
{
    return q->timeout_ms;
}

unsigned long qts_nr_commands(const struct qts *q)
{
    return q->nr_commands;
}

static void remove_tmpdir(struct qts *q)
{
    if (!q->tmpdir[0])
        return;
    remove_flat_dir(q->tmpdir);
    q->tmpdir[0] = '\0';
}

static void stop_qemu(struct qts *q)
{
    if (q->pid <= 0)
        return;
    kill(q->pid, SIGTERM);
    if (reap(q->pid, TERM_GRACE_MS, NULL) == 0)
        kill_and_reap(q->pid, NULL);
    forget_pid(q);
}

void qts_close(struct qts *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    stop_qemu(q);
    remove_tmpdir(q);
    live_remove(q->slot);
    free(q->qemu);
    free(q->bios);
    free(q->machine);
    free(q->qtest_log);
    free(q->rx);
    free(q->tx);
    free(q);
}

/* --- process start ------------------------------------------------------- */

/*
 * Resolve name like execvp would (a path, or the first executable in
 * $PATH) into out.  Returns false when it is not runnable.
 */
static bool resolve_exe(const char *name, char *out, size_t len)
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

/*
 * fork + exec exe (a resolved path) with argv, stdin from /dev/null and
 * stdout/stderr on out_fd.  The child dies with us (PR_SET_PDEATHSIG).
 * Returns the pid, or -1 with errno set (exec failures come back through a
 * close-on-exec pipe).  The child calls async-signal-safe functions only.
 */
static pid_t spawn(const char *exe, char *const argv[], int out_fd)
{
    static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
    int pipefd[2], err = 0;
    pid_t parent = getpid(), pid;
    struct sigaction dfl;
    sigset_t none;
    ssize_t n;
    size_t i;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&none);
    pid = fork();
    if (pid < 0) {
        err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        errno = err;
        return -1;
    }
    if (pid == 0) {
        int nul;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
            sigaction(reset[i], &dfl, NULL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        if (nul > 2)
            close(nul);
        dup2(out_fd, 1);
        dup2(out_fd, 2);
        execv(exe, argv);
        err = errno;
        if (write(pipefd[1], &err, sizeof(err)) < 0)
            _exit(127);
        _exit(127);
    }
    close(pipefd[1]);
    do
        n = read(pipefd[0], &err, sizeof(err));
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof(err)) {
        reap(pid, REAP_MS, NULL);
        errno = err;
        return -1;
    }
    return pid;
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

/* Has QEMU exited?  Then record why. */
static bool exited_early(struct qts *q, const char *when)
{
    char how[64];
    int status;

    if (q->pid <= 0 || reap(q->pid, 0, &status) != 1)
        return false;
    forget_pid(q);
    describe_status(status, how, sizeof(how));
    fail_gone(q, how, when);
    return true;
}

/* We listen, QEMU connects: accept with time-out, watching QEMU exit. */
static int accept_qemu(struct qts *q, int lfd)
{
    uint64_t deadline = now_ms() + q->timeout_ms;
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
        if (exited_early(q, "before connecting to the qtest socket"))
            return -1;
        if (now_ms() >= deadline)
            return qts_fail(q, "QEMU did not connect to the qtest socket "
                            "within %u ms", q->timeout_ms);
    }
}

/* QEMU listens (server=on,wait=off): connect, retrying until the time-out. */
static int connect_qemu(struct qts *q, const char *path)
{
    uint64_t deadline = now_ms() + q->timeout_ms;
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
        if (exited_early(q, "before its qtest socket accepted"))
            return -1;
        if (now_ms() >= deadline)
            return qts_fail(q, "could not connect to QEMU's qtest socket "
                            "within %u ms", q->timeout_ms);
        sleep_ms(20);
    }
}

#define MAX_ARGS 1024

int qts_start(struct qts *q, const char *const *extra)
{
    char sock[PATH_MAX + 16], logpath[PATH_MAX + 16];
    char mem[32], chardev[PATH_MAX + 64], object[PATH_MAX + 64];
    char exe[PATH_MAX];
    const char *argv[MAX_ARGS];
    size_t argc = 0, i;
    int lfd = -1, logfd, err;

    if (q->failed)
        return -1;
    if (q->pid > 0)
        return qts_fail(q, "QEMU already started");
    if (!resolve_exe(q->qemu, exe, sizeof(exe)))
        return qts_fail(q, "QEMU binary '%s' not found or not executable",
                        q->qemu);
    if (!q->no_bios && access(q->bios, R_OK) != 0)
        return qts_fail(q, "halt firmware '%s' not readable (%s); build it "
                        "with 'make %s'", q->bios, strerror(errno),
                        QTS_DEFAULT_BIOS);
    if (!qts_path(q, SOCK_NAME, sock, sizeof(sock)) ||
        !qts_path(q, LOG_NAME, logpath, sizeof(logpath)))
        return -1;

    snprintf(mem, sizeof(mem), "%uM", q->memory_mb);
    snprintf(chardev, sizeof(chardev), "socket,id=qts,path=%s%s", sock,
             q->qemu_listens ? ",server=on,wait=off" : "");
    snprintf(object, sizeof(object), "qtest,id=qts0,chardev=qts,log=%s",
             q->qtest_log);
    argv[argc++] = q->qemu;
    argv[argc++] = "-machine";
    argv[argc++] = q->machine;
    argv[argc++] = "-display";
    argv[argc++] = "none";
    argv[argc++] = "-nodefaults";
    argv[argc++] = "-no-reboot";
    argv[argc++] = "-m";
    argv[argc++] = mem;
    if (!q->no_bios) {
        argv[argc++] = "-bios";
        argv[argc++] = q->bios;
    }
    argv[argc++] = "-chardev";
    argv[argc++] = chardev;
    argv[argc++] = "-object";
    argv[argc++] = object;
    for (i = 0; extra && extra[i]; i++) {
        if (argc + 1 >= MAX_ARGS)
            return qts_fail(q, "more than %d QEMU arguments", MAX_ARGS);
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;

    if (!q->qemu_listens) {
        lfd = make_listener(q, sock);
        if (lfd < 0)
            return -1;
    }
    logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0) {
        if (lfd >= 0)
            close(lfd);
        return qts_fail(q, "cannot create %s: %s", logpath, strerror(errno));
    }

    install_handlers();
    q->pid = spawn(exe, (char *const *)argv, logfd);
    err = errno;
    close(logfd);
    if (q->pid < 0) {
        q->pid = 0;
        if (lfd >= 0)
            close(lfd);
        return qts_fail(q, "cannot run '%s': %s", q->qemu, strerror(err));
    }
    if (q->slot >= 0)
        live[q->slot].pid = q->pid;

    if (q->qemu_listens) {
        err = connect_qemu(q, sock);
    } else {
        err = accept_qemu(q, lfd);
        close(lfd);
    }
    return err;
}

/* --- version ------------------------------------------------------------------ */

/* Read from fd until EOF, a newline, len - 1 bytes or the deadline. */
static int read_first_line(int fd, char *buf, size_t len, uint64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    size_t o = 0;
    ssize_t n;
    int r;

    buf[0] = '\0';
    while (o + 1 < len && !memchr(buf, '\n', o)) {
        uint64_t now = now_ms();

        if (now >= deadline)
            return -1;
        r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        n = read(fd, buf + o, len - 1 - o);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        o += (size_t)n;
        buf[o] = '\0';
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int qts_query_version(const char *qemu, unsigned int timeout_ms,
                      char *buf, size_t len, char *err, size_t errlen)
{
    char *argv[] = { NULL, (char *)"--version", NULL };
    int pipefd[2], status = 0, timed_out;
    char exe[PATH_MAX];
    pid_t pid;

    if (!qemu)
        qemu = getenv(QTS_QEMU_ENV) && *getenv(QTS_QEMU_ENV) ?
               getenv(QTS_QEMU_ENV) : QTS_DEFAULT_QEMU;
    argv[0] = (char *)qemu;
    timeout_ms = qts_timeout_ms(timeout_ms);
    if (!resolve_exe(qemu, exe, sizeof(exe))) {
        snprintf(err, errlen, "QEMU binary '%s' not found or not executable",
                 qemu);
        return -1;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = spawn(exe, argv, pipefd[1]);
    close(pipefd[1]);
    if (pid < 0) {
        snprintf(err, errlen, "cannot run '%s': %s", qemu, strerror(errno));
        close(pipefd[0]);
        return -1;
    }
    timed_out = read_first_line(pipefd[0], buf, len,
                                now_ms() + timeout_ms);
    close(pipefd[0]);
    if (timed_out) {
        kill_and_reap(pid, NULL);
        snprintf(err, errlen, "'%s --version' gave no answer within %u ms",
                 qemu, timeout_ms);
        return -1;
    }
    if (reap(pid, timeout_ms, &status) != 1) {
        kill_and_reap(pid, NULL);
        snprintf(err, errlen, "'%s --version' did not exit within %u ms",
                 qemu, timeout_ms);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !buf[0]) {
        snprintf(err, errlen, "'%s --version' failed", qemu);
        return -1;
    }
    return 0;
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

/* --- line protocol ------------------------------------------------------------ */

static int send_all(struct qts *q, const char *buf, size_t len,
                    uint64_t deadline)
{
    struct pollfd p = { .fd = q->fd, .events = POLLOUT };
    ssize_t n;
    int r;

    while (len) {
        n = send(q->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return fail_dead(q, "(sending a command)");
        if (now_ms() >= deadline)
            return qts_fail(q, "QEMU did not take a command within %u ms",
                            q->timeout_ms);
        r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            return qts_fail(q, "poll: %s", strerror(errno));
    }
    return 0;
}

static void handle_irq(struct qts *q, const struct qts_line *l)
{
    q->irq_level[l->irq_pin] = l->irq_raise;
    if (l->irq_raise)
        q->irq_raises[l->irq_pin]++;
    else
        q->irq_lowers[l->irq_pin]++;
    if (q->irq_hook)
        q->irq_hook(q->irq_hook_arg, l->irq_pin, l->irq_raise);
}

/*
 * Read more bytes into rx, waiting until the deadline.  At the deadline:
 * an error, or 1 when quiet_timeout (polling for IRQ lines).
 */
static int fill_rx(struct qts *q, uint64_t deadline, bool quiet_timeout,
                   const char *what)
{
    struct pollfd p = { .fd = q->fd, .events = POLLIN };
    ssize_t n;
    int r, slice;

    if (q->rx_cap - q->rx_len < 65536) {
        size_t cap = q->rx_cap ? q->rx_cap * 2 : 131072;
        char *rx = realloc(q->rx, cap);

        if (!rx)
            return qts_fail(q, "out of memory");
        q->rx = rx;
        q->rx_cap = cap;
    }
    for (;;) {
        uint64_t now = now_ms();

        slice = deadline > now ? (int)(deadline - now) : 0;
        if (slice > 200)
            slice = 200;
        r = poll(&p, 1, slice);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return qts_fail(q, "poll: %s", strerror(errno));
        if (r > 0)
            break;
        if (q->pid > 0 && exited_early(q, what))
            return -1;
        if (now_ms() >= deadline && quiet_timeout)
            return 1;
        if (now_ms() >= deadline)
            return qts_fail(q, "no reply from QEMU within %u ms %s",
                            q->timeout_ms, what);
    }
    n = read(q->fd, q->rx + q->rx_len, q->rx_cap - q->rx_len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return fail_dead(q, what);
    q->rx_len += (size_t)n;
    return 0;
}

/*
 * Take one line out of rx into a malloc'ed string in *line; 1 if there is
 * no complete line yet.
 */
static int take_line(struct qts *q, char **line)
{
    char *nl = q->rx_len ? memchr(q->rx, '\n', q->rx_len) : NULL;
    size_t n;

    if (!nl) {
        if (q->rx_len > MAX_LINE)
            return qts_fail(q, "reply line longer than %u bytes", MAX_LINE);
        return 1;
    }
    n = (size_t)(nl - q->rx);
    *line = malloc(n + 1);
    if (!*line)
        return qts_fail(q, "out of memory");
    memcpy(*line, q->rx, n);
    (*line)[n] = '\0';
    q->rx_len -= n + 1;
    memmove(q->rx, nl + 1, q->rx_len);
    return 0;
}

/*
 * Wait for the next non-IRQ line (the reply to the command just sent).
 * Returns the malloc'ed line, classified in *l, or NULL with a sticky
 * error.
 */
static char *read_reply(struct qts *q, const char *cmd, struct qts_line *l)
{
    uint64_t deadline = now_ms() + q->timeout_ms;
    char what[96], shown[64], *line;
    int r;

    show_cmd(cmd, shown, 40);
    snprintf(what, sizeof(what), "(command '%s')", shown);
    for (;;) {
        r = take_line(q, &line);
        if (r < 0)
            return NULL;
        if (r == 1) {
            if (fill_rx(q, deadline, false, what) < 0)
                return NULL;
            continue;
        }
        qts_parse_line(line, l);
        if (l->kind != QTS_LINE_IRQ)
            return line;
        handle_irq(q, l);
        free(line);
    }
}

/* The sticky error for a reply to cmd that is not the OK expected. */
static int reply_error(struct qts *q, const char *cmd, const char *line,
                       const struct qts_line *l, bool want_payload)
{
    char shown[64], bad[64];

    show_cmd(cmd, shown, 40);
    clip(line, strlen(line), bad, 48);
    if (l->kind == QTS_LINE_FAIL)
        return qts_fail(q, "QEMU refused '%s': %s", shown,
                        l->payload[0] ? l->payload : bad);
    if (l->kind != QTS_LINE_OK)
        return qts_fail(q, "malformed reply to '%s': '%s'", shown, bad);
    if (!want_payload)
        return qts_fail(q, "unexpected payload in reply to '%s': '%s'",
                        shown, bad);
    return qts_fail(q, "reply to '%s' too long", shown);
}

/*
 * Send "cmd\n" and check the reply: on OK, its payload is copied to
 * payload (len > 0) or must be empty (payload NULL).
 */
static int transact(struct qts *q, const char *cmd, size_t cmd_len,
                    char *payload, size_t len)
{
    struct qts_line l;
    char *line;
    int rc = 0;

    if (q->failed)
        return -1;
    if (q->fd < 0)
        return qts_fail(q, "QEMU is not running");
    if (send_all(q, cmd, cmd_len, now_ms() + q->timeout_ms) < 0)
        return -1;
    q->nr_commands++;
    line = read_reply(q, cmd, &l);
    if (!line)
        return -1;
    if (l.kind == QTS_LINE_OK && !payload && !l.payload[0])
        ;
    else if (l.kind == QTS_LINE_OK && payload && strlen(l.payload) < len)
        strcpy(payload, l.payload);
    else
        rc = reply_error(q, cmd, line, &l, payload != NULL);
    free(line);
    return rc;
}

static int simple(struct qts *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int simple(struct qts *q, const char *fmt, ...)
{
    char cmd[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return transact(q, cmd, (size_t)n, NULL, 0);
}

/* Send a value-returning command and parse "OK 0x..." of width bytes. */
static uint64_t value(struct qts *q, unsigned int width, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint64_t value(struct qts *q, unsigned int width, const char *fmt, ...)
{
    char cmd[128], payload[64], shown[64];
    uint64_t v;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (transact(q, cmd, (size_t)n, payload, sizeof(payload)) < 0)
        return 0;
    if (qts_parse_u64(payload, &v) < 0 ||
        (width < 8 && v >> (8 * width))) {
        show_cmd(cmd, shown, 40);
        qts_fail(q, "malformed value in reply to '%s': 'OK %s'", shown,
                 payload);
        return 0;
    }
    return v;
}

int qts_outb(struct qts *q, uint16_t port, uint8_t v)
{
    return simple(q, "outb 0x%x 0x%x\n", port, v);
}

int qts_outw(struct qts *q, uint16_t port, uint16_t v)
{
    return simple(q, "outw 0x%x 0x%x\n", port, v);
}

int qts_outl(struct qts *q, uint16_t port, uint32_t v)
{
    return simple(q, "outl 0x%x 0x%x\n", port, v);
}

uint8_t qts_inb(struct qts *q, uint16_t port)
{
    return (uint8_t)value(q, 1, "inb 0x%x\n", port);
}

uint16_t qts_inw(struct qts *q, uint16_t port)
{
    return (uint16_t)value(q, 2, "inw 0x%x\n", port);
}

uint32_t qts_inl(struct qts *q, uint16_t port)
{
    return (uint32_t)value(q, 4, "inl 0x%x\n", port);
}

int qts_writeb(struct qts *q, uint64_t addr, uint8_t v)
{
    return simple(q, "writeb 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writew(struct qts *q, uint64_t addr, uint16_t v)
{
    return simple(q, "writew 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writel(struct qts *q, uint64_t addr, uint32_t v)
{
    return simple(q, "writel 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writeq(struct qts *q, uint64_t addr, uint64_t v)
{
    return simple(q, "writeq 0x%llx 0x%llx\n", (unsigned long long)addr,
                  (unsigned long long)v);
}

uint8_t qts_readb(struct qts *q, uint64_t addr)
{
    return (uint8_t)value(q, 1, "readb 0x%llx\n", (unsigned long long)addr);
}

uint16_t qts_readw(struct qts *q, uint64_t addr)
{
    return (uint16_t)value(q, 2, "readw 0x%llx\n", (unsigned long long)addr);
}

uint32_t qts_readl(struct qts *q, uint64_t addr)
{
    return (uint32_t)value(q, 4, "readl 0x%llx\n", (unsigned long long)addr);
}

uint64_t qts_readq(struct qts *q, uint64_t addr)
{
    return value(q, 8, "readq 0x%llx\n", (unsigned long long)addr);
}

static char *tx_buffer(struct qts *q, size_t need)
{
    if (q->tx_cap < need) {
        char *tx = realloc(q->tx, need);

        if (!tx) {
            qts_fail(q, "out of memory");
            return NULL;
        }
        q->tx = tx;
        q->tx_cap = need;
    }
    return q->tx;
}

int qts_memread(struct qts *q, uint64_t addr, void *buf, size_t len)
{
    size_t cap = qts_b64_len(IO_CHUNK) + 16, n;
    unsigned char *out = buf;
    char *payload, cmd[64];
    int c;

    while (len && !q->failed) {
        n = len < IO_CHUNK ? len : IO_CHUNK;
        payload = tx_buffer(q, cap);
        if (!payload)
            break;
        c = snprintf(cmd, sizeof(cmd), "b64read 0x%llx 0x%zx\n",
                     (unsigned long long)addr, n);
        if (transact(q, cmd, (size_t)c, payload, cap) < 0)
            break;
        if (qts_parse_b64(payload, out, n) < 0) {
            qts_fail(q, "malformed data in reply to 'b64read 0x%llx 0x%zx'",
                     (unsigned long long)addr, n);
            break;
        }
        out += n;
        addr += n;
        len -= n;
    }
    if (len) {
        memset(out, 0, len);
        return -1;
    }
    return q->failed ? -1 : 0;
}

int qts_memwrite(struct qts *q, uint64_t addr, const void *buf, size_t len)
{
    const unsigned char *in = buf;
    size_t n, c;
    char *cmd;

    while (len) {
        if (q->failed)
            return -1;
        n = len < IO_CHUNK ? len : IO_CHUNK;
        cmd = tx_buffer(q, qts_b64_len(IO_CHUNK) + 64);
        if (!cmd)
            return -1;
        c = (size_t)sprintf(cmd, "b64write 0x%llx 0x%zx ",
                            (unsigned long long)addr, n);
        qts_format_b64(in, n, cmd + c);
        c += qts_b64_len(n);
        cmd[c++] = '\n';
        if (transact(q, cmd, c, NULL, 0) < 0)
            return -1;
        in += n;
        addr += n;
        len -= n;
    }
    return q->failed ? -1 : 0;
}

int qts_memset(struct qts *q, uint64_t addr, uint8_t v, size_t len)
{
    if (!len)
        return q->failed ? -1 : 0;
    return simple(q, "memset 0x%llx 0x%zx 0x%x\n", (unsigned long long)addr,
                  len, v);
}

/* --- interrupts --------------------------------------------------------------- */

int qts_irq_intercept_in(struct qts *q, const char *qom_path)
{
    if (!qom_path || !*qom_path || strpbrk(qom_path, " \n"))
        return qts_fail(q, "bad QOM path for irq_intercept_in");
    return simple(q, "irq_intercept_in %s\n", qom_path);
}

int qts_irq_poll(struct qts *q, unsigned int wait_ms)
{
    uint64_t deadline = now_ms() + wait_ms;
    struct qts_line l;
    char *line, shown[64];
    int r;

    if (q->failed)
        return -1;
    if (q->fd < 0)
        return qts_fail(q, "QEMU is not running");
    for (;;) {
        r = take_line(q, &line);
        if (r < 0)
            return -1;
        if (r == 0) {
            qts_parse_line(line, &l);
            if (l.kind != QTS_LINE_IRQ) {
                clip(line, strlen(line), shown, 48);
                free(line);
                return qts_fail(q, "unexpected line from QEMU: '%s'", shown);
            }
            handle_irq(q, &l);
            free(line);
            continue;
        }
        r = fill_rx(q, deadline, true, "(polling for IRQ lines)");
        if (r < 0)
            return -1;
        if (r == 1)
            return 0;
    }
}

bool qts_irq_level(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ && q->irq_level[pin];
}

unsigned long qts_irq_raises(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ ? q->irq_raises[pin] : 0;
}

unsigned long qts_irq_lowers(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ ? q->irq_lowers[pin] : 0;
}

void qts_irq_reset_counts(struct qts *q)
{
    memset(q->irq_raises, 0, sizeof(q->irq_raises));
    memset(q->irq_lowers, 0, sizeof(q->irq_lowers));
}

void qts_set_irq_hook(struct qts *q, qts_irq_hook hook, void *arg)
{
    q->irq_hook = hook;
    q->irq_hook_arg = arg;
}
