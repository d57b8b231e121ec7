/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proc: child processes with a deadline.  See proc.h.
 *
 * Between fork and exec (and before proc_fork's function) the child calls
 * async-signal-safe functions only: the parent may have other threads.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"

#define POLL_SLICE_MS       200
#define REAP_POLL_MS        5
/* How long proc_exec() waits to learn whether exec worked. */
#define EXEC_REPORT_MS      5000

enum { STREAM_IN, STREAM_OUT, STREAM_ERR, NR_STREAMS };

/* Pipes the parent reads: [stream][0 read end, 1 write end]. */
struct pipes {
    int fd[NR_STREAMS][2];
};

/* A poll() time-out: whole ms until deadline_ms, rounded up, at most cap. */
static int ms_until(double deadline_ms, int cap)
{
    double left = deadline_ms - clock_ms();

    if (left <= 0)
        return 0;
    return left < cap ? (int)left + 1 : cap;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_pipes(struct pipes *pp)
{
    unsigned int s;

    for (s = 0; s < NR_STREAMS; s++) {
        close_fd(&pp->fd[s][0]);
        close_fd(&pp->fd[s][1]);
    }
}

/* stdin cannot be a pipe or follow stdout; stdout cannot follow itself. */
static bool streams_valid(const struct proc_opts *o)
{
    return o->in != PROC_PIPE && o->in != PROC_STDOUT &&
           o->out != PROC_STDOUT;
}

static int open_pipes(struct pipes *pp, const struct proc_opts *o,
                      char *err, size_t errlen)
{
    const int want[NR_STREAMS] = { o->in, o->out, o->err };
    unsigned int s;

    for (s = 0; s < NR_STREAMS; s++)
        pp->fd[s][0] = pp->fd[s][1] = -1;
    if (!streams_valid(o)) {
        snprintf(err, errlen, "proc: unsupported stream redirection");
        errno = EINVAL;
        return -1;
    }
    for (s = STREAM_OUT; s < NR_STREAMS; s++) {
        if (want[s] != PROC_PIPE)
            continue;
        if (pipe2(pp->fd[s], O_CLOEXEC)) {
            snprintf(err, errlen, "pipe: %s", strerror(errno));
            close_pipes(pp);
            return -1;
        }
    }
    return 0;
}

/* In the child: make descriptor 'target' what spec asks for. */
static void child_stream(int spec, int pipe_write_end, int target)
{
    int fd;

    switch (spec) {
    case PROC_INHERIT:
        return;
    case PROC_PIPE:
        fd = pipe_write_end;
        break;
    case PROC_STDOUT:
        fd = STDOUT_FILENO;
        break;
    case PROC_NULL:
        fd = open("/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY);
        if (fd < 0)
            _exit(127);
        break;
    default:
        fd = spec;
        break;
    }
    /* dup2() clears close-on-exec on the copy; a descriptor already in
     * place keeps its flags, so clear it there. */
    if (fd == target ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, target) < 0)
        _exit(127);
}

/* In an exec child: the program gets default actions and no mask. */
static void child_default_signals(void)
{
    static const struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigset_t none;
    int sig;

    /* SIGKILL, SIGSTOP and the C library's own signals are refused. */
    for (sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_setup(const struct proc_opts *o, struct pipes *pp,
                        pid_t parent, bool fresh_signals)
{
    if (fresh_signals)
        child_default_signals();
    if (o->death_signal) {
        prctl(PR_SET_PDEATHSIG, o->death_signal);
        /* The parent died before prctl(): act as if the signal came. */
        if (getppid() != parent) {
            raise(o->death_signal);
            _exit(127);
        }
    }
    child_stream(o->in, -1, STDIN_FILENO);
    child_stream(o->out, pp->fd[STREAM_OUT][1], STDOUT_FILENO);
    child_stream(o->err, pp->fd[STREAM_ERR][1], STDERR_FILENO);
}

/* Fork with the streams of o; returns the child's pid in the parent, 0 in
 * the child (streams set up), -1 on failure. */
static pid_t start(struct proc *p, const struct proc_opts *o,
                   bool fresh_signals, char *err, size_t errlen)
{
    pid_t parent = getpid(), pid;
    struct pipes pp;
    int saved;

    p->pid = 0;
    p->out = p->err = -1;
    p->status = 0;
    p->reaped = false;
    p->exec_errno = 0;
    if (open_pipes(&pp, o, err, errlen))
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        saved = errno;
        snprintf(err, errlen, "fork: %s", strerror(saved));
        close_pipes(&pp);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        child_setup(o, &pp, parent, fresh_signals);
        return 0;
    }
    p->pid = pid;
    p->out = pp.fd[STREAM_OUT][0];
    p->err = pp.fd[STREAM_ERR][0];
    pp.fd[STREAM_OUT][0] = pp.fd[STREAM_ERR][0] = -1;
    close_pipes(&pp);
    return pid;
}

int proc_fork(struct proc *p, const struct proc_opts *o,
              int (*fn)(void *arg), void *arg, char *err, size_t errlen)
{
    pid_t pid = start(p, o, false, err, errlen);

    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg));
    return 0;
}

/*
 * The errno a failed exec wrote into fd, or 0 when exec closed it (or
 * nothing came in time).
 */
static int exec_report(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    double deadline = clock_ms() + EXEC_REPORT_MS;
    int child_errno = 0, r;
    ssize_t n;

    for (;;) {
        r = poll(&pfd, 1, ms_until(deadline, EXEC_REPORT_MS));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        n = read(fd, &child_errno, sizeof(child_errno));
        if (n < 0 && errno == EINTR)
            continue;
        return n == (ssize_t)sizeof(child_errno) ? child_errno : 0;
    }
}

int proc_exec(struct proc *p, const struct proc_opts *o, const char *path,
              char *const argv[], char *err, size_t errlen)
{
    int report[2], child_errno, saved;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = start(p, o, true, err, errlen);
    if (pid == 0) {
        execv(path, argv);
        child_errno = errno;
        if (write(report[1], &child_errno, sizeof(child_errno)) < 0)
            _exit(127);
        _exit(127);
    }
    saved = errno;
    close(report[1]);
    if (pid > 0)
        p->exec_errno = exec_report(report[0]);
    close(report[0]);
    errno = saved;
    return pid < 0 ? -1 : 0;
}

static int reap_now(struct proc *p)
{
    pid_t r;

    if (p->reaped)
        return 1;
    if (p->pid <= 0) {
        errno = ECHILD;
        return -1;
    }
    do
        r = waitpid(p->pid, &p->status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    if (r == 0)
        return 0;
    p->reaped = true;
    return 1;
}

int proc_wait(struct proc *p, double deadline_ms)
{
    int rc;

    for (;;) {
        rc = reap_now(p);
        if (rc || clock_ms() >= deadline_ms)
            return rc;
        clock_sleep_ms(REAP_POLL_MS);
    }
}

void proc_stop(struct proc *p, unsigned int grace_ms)
{
    /* Only a child known to be ours and running is signalled: a pid
     * reaped elsewhere may belong to another process by now. */
    if (p->pid > 0 && reap_now(p) == 0) {
        if (grace_ms) {
            kill(p->pid, SIGTERM);
            if (proc_wait(p, clock_ms() + grace_ms) != 0)
                goto close;
        }
        kill(p->pid, SIGKILL);
        proc_wait(p, clock_ms() + PROC_KILL_WAIT_MS);
    }
close:
    close_fd(&p->out);
    close_fd(&p->err);
}

int proc_buf_read(struct proc_buf *b, int fd)
{
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    char *grown;

    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if (b && b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        grown = realloc(b->data, b->cap);
        if (!grown)
            return -1;
        b->data = grown;
    }
    if (b) {
        memcpy(b->data + b->len, chunk, (size_t)n);
        b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
    return 1;
}

void proc_buf_free(struct proc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Poll the open pipes of p once (at most until the deadline) and read
 * what came; a pipe at end of file is closed.  -1 on error. */
static int collect_once(struct proc *p, struct proc_buf *buf[2],
                        double deadline_ms)
{
    int *fd[2] = { &p->out, &p->err };
    unsigned int i, n, which[2];
    struct pollfd pfd[2];
    int rc;

    for (i = 0, n = 0; i < 2; i++) {
        if (*fd[i] < 0)
            continue;
        pfd[n].fd = *fd[i];
        pfd[n].events = POLLIN;
        which[n++] = i;
    }
    if (poll(pfd, n, ms_until(deadline_ms, POLL_SLICE_MS)) < 0)
        return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++) {
        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        rc = proc_buf_read(buf[which[i]], *fd[which[i]]);
        if (rc < 0)
            return -1;
        if (rc == 0)
            close_fd(fd[which[i]]);
    }
    return 0;
}

int proc_collect(struct proc *p, struct proc_buf *out, struct proc_buf *err,
                 double deadline_ms)
{
    struct proc_buf *buf[2] = { out, err };

    while (p->out >= 0 || p->err >= 0) {
        if (clock_ms() >= deadline_ms)
            return 0;
        if (collect_once(p, buf, deadline_ms) < 0)
            return -1;
    }
    return proc_wait(p, deadline_ms);
}

char *proc_status_str(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "wait status 0x%x", (unsigned int)status);
    return buf;
}

/* /proc/PID/cmdline with its NULs as spaces; false when unreadable. */
static bool read_cmdline(const char *pid, char *buf, size_t len)
{
    char path[300];
    ssize_t n, i;
    int fd;

    snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return false;
    for (i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = ' ';
    buf[n] = '\0';
    return true;
}

int proc_find_cmdline(const char *needle, pid_t *first, char *line,
                      size_t len)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    char buf[8192];
    int count = 0;

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
            atoi(de->d_name) == getpid())
            continue;
        if (!read_cmdline(de->d_name, buf, sizeof(buf)) ||
            !strstr(buf, needle))
            continue;
        if (!count && first)
            *first = (pid_t)atoi(de->d_name);
        if (!count && line && len)
            snprintf(line, len, "%s %s", de->d_name, buf);
        count++;
    }
    closedir(d);
    return count;
}

static char saved_tmpdir[4096];
static bool had_tmpdir;

int proc_tmpdir_begin(const char *prefix, char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");

    had_tmpdir = base && *base;
    snprintf(saved_tmpdir, sizeof(saved_tmpdir), "%s", had_tmpdir ? base : "");
    if ((size_t)snprintf(dir, len, "%s/%s-XXXXXX", had_tmpdir ? base : "/tmp",
                         prefix) >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!mkdtemp(dir))
        return -1;
    return setenv("TMPDIR", dir, 1);
}

int proc_tmpdir_end(const char *dir, char *line, size_t len)
{
    int left = proc_find_cmdline(dir, NULL, line, len);

    rmdir(dir);
    if (had_tmpdir)
        setenv("TMPDIR", saved_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    return left;
}

/* Append word to buf at *off, quoted if the shell would read it otherwise. */
static void quote_word(const char *word, char *buf, size_t len, size_t *off)
{
    bool plain = *word && strcspn(word, " \t\n'\"()*?[]{},;&|<>$`\\!#~=") ==
                 strlen(word);
    const char *c;

    if (plain) {
        *off += (size_t)snprintf(buf + *off, len - *off, "%s", word);
        return;
    }
    *off += (size_t)snprintf(buf + *off, len - *off, "'");
    for (c = word; *c && *off < len; c++)
        *off += (size_t)snprintf(buf + *off, len - *off, "%s",
                                 *c == '\'' ? "'\\''" : (char[]){ *c, 0 });
    if (*off < len)
        *off += (size_t)snprintf(buf + *off, len - *off, "'");
}

char *proc_quote_argv(char *const argv[], char *buf, size_t len)
{
    size_t off = 0;
    unsigned int i;

    if (!len)
        return buf;
    buf[0] = '\0';
    for (i = 0; argv[i] && off < len; i++) {
        if (i)
            off += (size_t)snprintf(buf + off, len - off, " ");
        if (off < len)
            quote_word(argv[i], buf, len, &off);
    }
    if (off >= len && len > 4)
        memcpy(buf + len - 4, "...", 4);
    return buf;
}
