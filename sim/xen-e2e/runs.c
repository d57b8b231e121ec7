/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: runs as child processes (sim/base/proc), up to --jobs at once.
 * Each child runs e2e_run_one() and sends its struct e2e_result, plain
 * data, back through a pipe.
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

#include "base/proc.h"

#define KILL_AFTER_TERM_S   10      /* SIGTERM, then SIGKILL this much later */
#define REAP_MS             10000   /* a child whose pipe ended: gone by then */

struct child {
    struct proc p;
    bool running;
    int fd;                     /* read end of the result pipe, -1: closed */
    size_t got;
    double started;
    double term_sent;           /* when SIGTERM was sent, 0: not yet */
};

/* What a run's process needs: where its result goes, who its parent is. */
struct child_arg {
    const struct e2e_opts *o;
    struct e2e_result *r;
    int fd_write;
    int fd_read;
    pid_t parent;
};

/*
 * In a run's process: default signal actions again (so that qts installs
 * its cleanup handlers); proc_fork() asked for SIGTERM when the parent
 * dies, unless it is gone already.
 */
static void child_signals(pid_t parent)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if ( getppid() != parent )
        _exit(4);
}

static int child_main(void *arg)
{
    struct child_arg *a = arg;
    const char *p = (const char *)a->r;
    size_t left = sizeof(*a->r);

    child_signals(a->parent);
    close(a->fd_read);
    e2e_run_one(a->o, a->r);
    a->r->finished = true;
    while ( left )
    {
        ssize_t n = write(a->fd_write, p, left);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return 3;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

static int child_spawn(const struct e2e_opts *o, struct e2e_result *r,
                       struct child *c, char *err, size_t errlen)
{
    const struct proc_opts po = {
        .in = PROC_INHERIT, .out = PROC_INHERIT, .err = PROC_INHERIT,
        .death_signal = SIGTERM,
    };
    struct child_arg a = { .o = o, .r = r, .parent = getpid() };
    int fds[2];

    if ( pipe2(fds, O_CLOEXEC) != 0 )
        return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
    a.fd_read = fds[0];
    a.fd_write = fds[1];
    if ( proc_fork(&c->p, &po, child_main, &a, err, errlen) != 0 )
    {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    close(fds[1]);
    c->running = true;
    c->fd = fds[0];
    c->got = 0;
    c->started = e2e_now_s();
    c->term_sent = 0;
    return 0;
}

/* Read what the child sent; returns true when the child is done. */
static bool child_read(struct child *c, struct e2e_result *r)
{
    ssize_t n = read(c->fd, (char *)r + c->got, sizeof(*r) - c->got);

    if ( n > 0 || (n < 0 && errno == EINTR) )
    {
        c->got += n > 0 ? (size_t)n : 0;
        return false;
    }
    close(c->fd);
    c->fd = -1;
    proc_wait(&c->p, clock_ms() + REAP_MS);
    proc_stop(&c->p, REAP_MS);
    c->running = false;
    if ( c->got != sizeof(*r) )
        r->finished = false;
    return true;
}

/*
 * A run that outlives E2E_T_RUN, or any run once we are told to stop:
 * SIGTERM (qts kills QEMU and removes its directory), SIGKILL
 * KILL_AFTER_TERM_S later (QEMU then dies of PR_SET_PDEATHSIG).  The pipe
 * then reaches its end and child_read() reaps the child.
 */
static void child_deadline(struct child *c, bool stop)
{
    double now = e2e_now_s();

    if ( !c->term_sent && (now - c->started > E2E_T_RUN || stop) )
    {
        kill(c->p.pid, SIGTERM);
        c->term_sent = now;
    }
    else if ( c->term_sent && now - c->term_sent > KILL_AFTER_TERM_S )
        kill(c->p.pid, SIGKILL);
}

/* Start runs until o->jobs are active; returns how many were started. */
static unsigned int start_runs(const struct e2e_opts *o, struct e2e_result *rs,
                               struct child *kids, unsigned int *next,
                               unsigned int active)
{
    unsigned int started = 0;

    while ( *next < o->nr_runs && active + started < o->jobs )
    {
        struct e2e_result *r = &rs[*next];
        char err[160];

        fprintf(stderr, "xen-e2e: run %s started\n", r->cfg.name);
        if ( child_spawn(o, r, &kids[*next], err, sizeof(err)) != 0 )
            snprintf(r->error, sizeof(r->error), "%s", err);
        else
            started++;
        (*next)++;
    }
    return started;
}

void e2e_run_all(const struct e2e_opts *o, struct e2e_result *rs,
                 volatile sig_atomic_t *stop)
{
    struct child kids[E2E_MAX_RUNS];
    unsigned int next = 0, active = 0;

    memset(kids, 0, sizeof(kids));
    while ( next < o->nr_runs || active )
    {
        struct pollfd p[E2E_MAX_RUNS];
        unsigned int map[E2E_MAX_RUNS], np = 0;

        if ( !*stop )
            active += start_runs(o, rs, kids, &next, active);
        for ( unsigned int i = 0; i < next; i++ )
            if ( kids[i].running )
            {
                p[np] = (struct pollfd){ .fd = kids[i].fd, .events = POLLIN };
                map[np++] = i;
            }
        if ( *stop && !active )
            break;
        if ( np && poll(p, np, 1000) < 0 && errno != EINTR )
            clock_sleep_ms(100);
        for ( unsigned int k = 0; k < np; k++ )
        {
            unsigned int i = map[k];

            if ( (p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
                 child_read(&kids[i], &rs[i]) )
            {
                active--;
                fprintf(stderr, "xen-e2e: run %s done in %.1f s%s%s\n",
                        rs[i].cfg.name, rs[i].t_total,
                        rs[i].error[0] ? ": " : "", rs[i].error);
            }
            else
                child_deadline(&kids[i], *stop);
        }
    }
}
