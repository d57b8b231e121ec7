/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pool: the sweep's cases, a bounded number at a time (see sweep.h).
 *
 * Each job runs as "env TMPDIR=<its own directory> <argv...>" with stdout
 * and stderr in its log file, so that every QEMU it starts names that
 * directory on its command line: once the job has exited, any process
 * still naming it was left behind (counted, then killed by its pid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep.h"
#include "base/clock.h"
#include "base/proc.h"

#define ENV_PROGRAM     "/usr/bin/env"
#define POLL_MS         50
#define GRACE_MS        2000
#define KILL_LEFT_MAX   32

struct slot {
    struct sweep_job *job;
    struct proc proc;
    double start, deadline;
    char tmpvar[PATH_MAX + 8];
    char *argv[SWEEP_MAX_ARGS + 4];
};

static int start(struct slot *s, struct sweep_job *job)
{
    const struct proc_opts po = { PROC_NULL, -1, PROC_STDOUT, SIGTERM };
    struct proc_opts o = po;
    unsigned int i;
    int fd, rc;

    memset(s, 0, sizeof(*s));
    s->job = job;
    mkdir(job->tmpdir, 0700);
    snprintf(s->tmpvar, sizeof(s->tmpvar), "TMPDIR=%s", job->tmpdir);
    s->argv[0] = "env";
    s->argv[1] = s->tmpvar;
    for (i = 0; job->argv[i] && i < SWEEP_MAX_ARGS + 1; i++)
        s->argv[2 + i] = job->argv[i];
    s->argv[2 + i] = NULL;
    fd = open(job->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(job->error, sizeof(job->error), "%s: %s", job->log,
                 strerror(errno));
        return -1;
    }
    o.out = fd;
    rc = proc_exec(&s->proc, &o, ENV_PROGRAM, s->argv, job->error,
                   sizeof(job->error));
    close(fd);
    s->start = clock_ms();
    s->deadline = s->start + job->timeout_ms;
    return rc;
}

/* After the job: what still names its directory is killed, then counted. */
static void reap_left(struct sweep_job *job)
{
    unsigned int n;
    pid_t pid;

    job->left = proc_find_cmdline(job->tmpdir, &pid, job->left_first,
                                  sizeof(job->left_first));
    for (n = 0; n < KILL_LEFT_MAX &&
         proc_find_cmdline(job->tmpdir, &pid, NULL, 0) > 0; n++) {
        kill(pid, SIGKILL);
        clock_sleep_ms(POLL_MS);
    }
    rmdir(job->tmpdir);
}

/* Poll a running slot: 1 when its job is over. */
static int poll_slot(struct slot *s)
{
    int rc = proc_wait(&s->proc, 0);

    if (rc == 0 && clock_ms() < s->deadline)
        return 0;
    if (rc != 1) {
        s->job->hung = true;
        proc_stop(&s->proc, GRACE_MS);
    }
    s->job->status = s->proc.status;
    s->job->ms = clock_ms() - s->start;
    reap_left(s->job);
    return 1;
}

int sweep_pool_run(struct sweep_job *jobs, unsigned int n,
                   unsigned int at_once,
                   void (*done)(const struct sweep_job *job, void *arg),
                   void *arg)
{
    struct slot *slot = calloc(at_once ? at_once : 1, sizeof(*slot));
    bool *busy = calloc(at_once ? at_once : 1, sizeof(*busy));
    unsigned int next = 0, running = 0, i;
    int rc = 0;

    if (!slot || !busy) {
        free(slot);
        free(busy);
        return -1;
    }
    if (!at_once)
        at_once = 1;
    while (next < n || running) {
        for (i = 0; i < at_once && next < n; i++) {
            if (busy[i])
                continue;
            if (start(&slot[i], &jobs[next])) {
                rc = -1;
                if (done)
                    done(&jobs[next], arg);
                next++;
                continue;
            }
            busy[i] = true;
            running++;
            next++;
        }
        clock_sleep_ms(POLL_MS);
        for (i = 0; i < at_once; i++) {
            if (!busy[i] || !poll_slot(&slot[i]))
                continue;
            busy[i] = false;
            running--;
            if (done)
                done(slot[i].job, arg);
        }
    }
    free(slot);
    free(busy);
    return rc;
}
