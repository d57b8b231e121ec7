/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qts_int: what the parts of the transport layer share, and nothing above
 * them sees.  qemu_proc.c supervises one instance's QEMU process (binary,
 * temporary directory, start, connection, exit, --version); qemu_live.c
 * keeps every live QEMU of the process for the exit and signal handlers;
 * qts.c is the protocol client (sticky errors, line framing, replies, IRQ
 * lines, the commands).
 */
#ifndef SIM_QEMU_QTS_INT_H
#define SIM_QEMU_QTS_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "base/proc.h"
#include "qts.h"

#define QTS_MAX_LIVE    64      /* live QEMU instances per process */

struct qts {
    char *qemu, *bios, *machine, *qtest_log;
    bool no_bios, qemu_listens;
    unsigned int memory_mb, timeout_ms;

    char tmpdir[PATH_MAX];
    int slot;                   /* in the live registry, -1: none */
    struct proc qemu_proc;      /* pid 0: never started */
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

/* --- qemu_proc.c --------------------------------------------------------- */

/*
 * QEMU has exited?  Then reap it, record how (sticky error, with the tail
 * of its log) and return true.  when: "(command 'readl 0x...')" etc.
 */
bool qts_qemu_exited(struct qts *q, const char *when);

/*
 * QEMU went away (end of file or EPIPE on the socket): reap it, waiting
 * briefly, and record how.  Returns -1.
 */
int qts_qemu_gone(struct qts *q, const char *when);

/*
 * Resolve name like execvp would (a path, or the first executable in
 * $PATH) into out.  Returns false when it is not runnable.
 */
bool qts_resolve_exe(const char *name, char *out, size_t len);

/* --- qemu_live.c --------------------------------------------------------- */

/* A slot for a new instance's temporary directory, or -1 when full. */
int qts_live_add(const char *tmpdir);
/* The slot's QEMU (0: none or reaped).  slot -1 is ignored. */
void qts_live_set_pid(int slot, pid_t pid);
void qts_live_remove(int slot);
/* atexit and signal handlers, once per process (see qts.h, "Cleanup"). */
void qts_live_install_handlers(void);
/* Remove the regular files and sockets in dir, then dir itself.
 * Async-signal-safe. */
void qts_remove_flat_dir(const char *dir);

/* --- qts.c --------------------------------------------------------------- */

/* Printable copy of s[0..n), at most max bytes with the NUL, "..." when
 * cut. */
void qts_clip(const char *s, size_t n, char *out, size_t max);

#endif /* SIM_QEMU_QTS_INT_H */
