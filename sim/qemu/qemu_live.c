/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qemu_live: every QEMU this process started and has not reaped yet, with
 * its temporary directory, and the atexit and signal handlers that kill
 * and reap them and remove the directories.  The handlers' side uses
 * async-signal-safe calls only.  See qts.h ("Cleanup").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/proc.h"
#include "qts.h"
#include "qts_int.h"

struct live {
    volatile sig_atomic_t used;
    volatile pid_t pid;
    pid_t owner;                /* process that started it (not forks) */
    char tmpdir[PATH_MAX];
};

static struct live live[QTS_MAX_LIVE];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static bool handlers_installed;

int qts_live_add(const char *tmpdir)
{
    int i, slot = -1;

    pthread_mutex_lock(&live_lock);
    for (i = 0; i < QTS_MAX_LIVE; i++) {
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

void qts_live_set_pid(int slot, pid_t pid)
{
    if (slot >= 0)
        live[slot].pid = pid;
}

void qts_live_remove(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&live_lock);
    live[slot].used = 0;
    live[slot].pid = 0;
    pthread_mutex_unlock(&live_lock);
}

void qts_remove_flat_dir(const char *dir)
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

    for (i = 0; i < QTS_MAX_LIVE; i++) {
        if (!live[i].used || live[i].owner != self)
            continue;
        if (live[i].pid > 0) {
            struct proc qemu = { .pid = live[i].pid, .out = -1, .err = -1 };

            proc_stop(&qemu, 0);
        }
        live[i].pid = 0;
        qts_remove_flat_dir(live[i].tmpdir);
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

void qts_live_install_handlers(void)
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
