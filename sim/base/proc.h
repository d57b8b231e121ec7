/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proc: child processes with a deadline.  Every program and test that
 * starts a child (QEMU, a crashsim worker, crashsim itself) goes through
 * here, so that every wait is bounded and every child is reaped.
 *
 * A child is started by proc_fork() (it runs a function and exits with its
 * return value) or proc_exec() (it runs a program).  Its standard streams
 * are each inherited, /dev/null, a given descriptor, or a pipe whose read
 * end the parent gets in p->out / p->err; stderr may also go wherever
 * stdout goes.  proc_wait() waits until an absolute deadline on
 * clock_ms(); proc_stop() ends a child that is still running (SIGTERM, a
 * grace period, SIGKILL) and reaps it.
 *
 * Errors: functions returning int return -1 with errno set and, where
 * they take one, a one-line reason in err.
 */
#ifndef SIM_BASE_PROC_H
#define SIM_BASE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* proc_opts.in / out / err: besides a descriptor to hand to the child. */
#define PROC_INHERIT    (-1)    /* the parent's own stream */
#define PROC_NULL       (-2)    /* /dev/null */
#define PROC_PIPE       (-3)    /* a pipe; the parent reads p->out / p->err */
#define PROC_STDOUT     (-4)    /* err only: wherever out goes (2>&1) */

/* How long proc_stop() waits for a child to go after SIGKILL. */
#define PROC_KILL_WAIT_MS   5000

struct proc_opts {
    int in, out, err;           /* PROC_* or a descriptor >= 0 */
    int death_signal;           /* delivered to the child when the
                                   forking thread exits (at once if the
                                   parent is already gone); 0: none */
};

struct proc {
    pid_t pid;                  /* 0: no child */
    int out, err;               /* read ends of PROC_PIPE streams, else -1 */
    int status;                 /* wait status, once reaped */
    bool reaped;
    int exec_errno;             /* proc_exec: why exec failed, else 0 */
};

/* A growing, NUL-terminated buffer for a child's output. */
struct proc_buf {
    char *data;                 /* NULL until something arrives */
    size_t len, cap;
};

/* Start a child that runs fn(arg) and _exit()s with its return value. */
int proc_fork(struct proc *p, const struct proc_opts *o,
              int (*fn)(void *arg), void *arg, char *err, size_t errlen);

/*
 * Start a child running the program at path (no $PATH search) with argv.
 * The program starts with no signal blocked and every signal at its
 * default action (but those the C library reserves for itself).  If exec
 * fails the child exits with status 127 and p->exec_errno says why
 * (proc_exec() still returns 0: reap the child).
 */
int proc_exec(struct proc *p, const struct proc_opts *o, const char *path,
              char *const argv[], char *err, size_t errlen);

/*
 * Wait until the child has exited or clock_ms() reaches deadline_ms
 * (0: do not wait).  Returns 1 when it has exited (p->status valid),
 * 0 when it is still running, -1 on error.  Async-signal-safe.
 */
int proc_wait(struct proc *p, double deadline_ms);

/*
 * End the child if it still runs: SIGTERM, up to grace_ms for it to exit,
 * then SIGKILL (grace_ms 0: SIGKILL at once); reap it, waiting at most
 * PROC_KILL_WAIT_MS after SIGKILL, and close the parent's pipe ends.  Safe
 * to call on a child already reaped, or on none.  Async-signal-safe.
 */
void proc_stop(struct proc *p, unsigned int grace_ms);

/*
 * Read the child's PROC_PIPE streams into out / err (either may be NULL:
 * that stream is read and dropped) until both reach end of file, then
 * reap the child.  Returns 1 when done, 0 when deadline_ms passed first
 * (the child is left running: proc_stop() it), -1 on error.
 */
int proc_collect(struct proc *p, struct proc_buf *out, struct proc_buf *err,
                 double deadline_ms);

/* Read what one pipe has now into b; 0 at end of file, 1 more may come. */
int proc_buf_read(struct proc_buf *b, int fd);
void proc_buf_free(struct proc_buf *b);

/*
 * Processes other than the caller whose command line (arguments joined by
 * spaces) contains needle: how many, the first one's pid into *first (may
 * be NULL) and its command line into line (may be NULL; at most len - 1
 * bytes).  -1 when /proc cannot be read.  Used to find QEMUs left behind:
 * their command lines name their run's temporary directory.
 */
int proc_find_cmdline(const char *needle, pid_t *first, char *line,
                      size_t len);

/*
 * A private temporary directory for the processes a run starts: made
 * under $TMPDIR (default /tmp) as PREFIX-XXXXXX and put in $TMPDIR, so
 * that every QEMU started from now on names it on its command line.
 * proc_tmpdir_end counts the processes that still name it (see
 * proc_find_cmdline; the first into line), removes it if it is empty and
 * restores $TMPDIR.  0 / count, or -1 with errno.
 */
int proc_tmpdir_begin(const char *prefix, char *dir, size_t len);
int proc_tmpdir_end(const char *dir, char *line, size_t len);

/*
 * argv (NULL-terminated) as one line a POSIX shell runs as the same
 * command: words with characters the shell treats specially are put in
 * single quotes.  Returns buf; a line that does not fit ends in "...".
 */
char *proc_quote_argv(char *const argv[], char *buf, size_t len);

/* "exit status 2", "killed by signal 9 (Killed)". */
char *proc_status_str(int status, char *buf, size_t len);

#endif /* SIM_BASE_PROC_H */
