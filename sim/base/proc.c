/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proc: child processes with a deadline.  See proc.h.
 */
#define _GNU_SOURCE
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

#define POLL_SLICE_MS   20

enum { STREAM_IN, STREAM_OUT, STREAM_ERR, NR_STREAMS };

/* Pipes the parent reads: [stream][0 read end, 1 write end]. */
struct pipes {
    int fd[NR_STREAMS][2];
};

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

static int open_pipes(struct pipes *pp, const struct proc_opts *o,
                      char *err, size_t errlen)
{
    const int want[NR_STREAMS] = { PROC_NULL, o->out, o->err };
    unsigned int s;

    for (s = 0; s < NR_STREAMS; s++)
        pp->fd[s][0] = pp->fd[s][1] = -1;
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
    case PROC_NULL:
        fd = open("/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY);
        if (fd < 0)
            _exit(127);
        break;
    default:
        fd = spec;
        break;
    }
    if (fd != target && dup2(fd, target) < 0)
        _exit(127);
}

static void child_setup(const struct proc_opts *o, struct pipes *pp)
{
    if (o->death_signal)
        prctl(PR_SET_PDEATHSIG, o->death_signal);
    child_stream(o->in, -1, STDIN_FILENO);
    child_stream(o->out, pp->fd[STREAM_OUT][1], STDOUT_FILENO);
    child_stream(o->err, pp->fd[STREAM_ERR][1], STDERR_FILENO);
}

/* Fork with the streams of o; returns the child's pid in the parent, 0 in
 * the child (streams set up), -1 on failure. */
static pid_t start(struct proc *p, const struct proc_opts *o,
                   char *err, size_t errlen)
{
    struct pipes pp;
    pid_t pid;

    p->pid = 0;
    p->out = p->err = -1;
    p->status = 0;
    p->reaped = false;
    if (open_pipes(&pp, o, err, errlen))
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close_pipes(&pp);
        return -1;
    }
    if (pid == 0) {
        child_setup(o, &pp);
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
    pid_t pid = start(p, o, err, errlen);

    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg));
    return 0;
}

int proc_exec(struct proc *p, const struct proc_opts *o, const char *path,
              char *const argv[], char *err, size_t errlen)
{
    pid_t pid = start(p, o, err, errlen);

    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(path, argv);
        _exit(127);
    }
    return 0;
}

static int reap_now(struct proc *p)
{
    pid_t r;

    if (p->reaped)
        return 1;
    if (!p->pid) {
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
        clock_sleep_ms(5);
    }
}

void proc_stop(struct proc *p, unsigned int grace_ms)
{
    if (p->pid && !p->reaped && reap_now(p) == 0) {
        kill(p->pid, SIGTERM);
        if (proc_wait(p, clock_ms() + grace_ms) == 0) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
                ;
            p->reaped = true;
        }
    }
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

int proc_collect(struct proc *p, struct proc_buf *out, struct proc_buf *err,
                 double deadline_ms)
{
    struct proc_buf *buf[2] = { out, err };
    int *fd[2] = { &p->out, &p->err };
    struct pollfd pfd[2];
    unsigned int i, n, which[2];
    int rc;

    for (;;) {
        for (i = 0, n = 0; i < 2; i++) {
            if (*fd[i] < 0)
                continue;
            pfd[n].fd = *fd[i];
            pfd[n].events = POLLIN;
            which[n++] = i;
        }
        if (!n)
            break;
        if (clock_ms() >= deadline_ms)
            return 0;
        if (poll(pfd, n, POLL_SLICE_MS) < 0 && errno != EINTR)
            return -1;
        for (i = 0; i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            rc = proc_buf_read(buf[which[i]], *fd[which[i]]);
            if (rc < 0)
                return -1;
            if (rc == 0)
                close_fd(fd[which[i]]);
        }
    }
    rc = proc_wait(p, deadline_ms);
    return rc;
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
