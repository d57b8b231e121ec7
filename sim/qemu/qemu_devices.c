/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qemu_devices: which device models a QEMU binary has, and which version it
 * is, asked before a machine is built from them (see qts.h).
 *
 * "-device TYPE,help" is asked rather than "-device help": the latter loads
 * every module QEMU knows of, and a QEMU unpacked beside the system's
 * (build/qemu10) finds some of them only in the system's module directory,
 * built for another version, and aborts.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/clock.h"
#include "base/proc.h"
#include "qts_int.h"

int qts_parse_version(const char *line, unsigned int *major,
                      unsigned int *minor)
{
    const char *p;
    unsigned int a, b;

    if (!line)
        return -1;
    p = strstr(line, "version ");
    if (!p || sscanf(p + 8, "%u.%u", &a, &b) != 2)
        return -1;
    *major = a;
    *minor = b;
    return 0;
}

/* Run "exe -machine none ... -device type,help" and collect its output. */
static int run_device_help(const char *qemu, const char *exe,
                           const char *type, unsigned int timeout_ms,
                           struct proc_buf *out, char *err, size_t errlen)
{
    const struct proc_opts o = { PROC_NULL, PROC_PIPE, PROC_STDOUT, SIGKILL };
    char arg[128];
    char *argv[] = { (char *)qemu, (char *)"-machine", (char *)"none",
                     (char *)"-nodefaults", (char *)"-display", (char *)"none",
                     (char *)"-device", arg, NULL };
    char why[256];
    struct proc p;
    int rc;

    snprintf(arg, sizeof(arg), "%s,help", type);
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
    if (rc == 1)
        return 0;
    snprintf(err, errlen, "'%s -device %s' gave no answer within %u ms", qemu,
             arg, timeout_ms);
    return -1;
}

int qts_query_device(const char *qemu, unsigned int timeout_ms,
                     const char *type, char *err, size_t errlen)
{
    struct proc_buf out = { 0 };
    char exe[PATH_MAX], head[160];
    const char *text;
    int rc;

    if (!type || !*type || strlen(type) > 100 || strchr(type, ',')) {
        snprintf(err, errlen, "bad device type name '%s'", type ? type : "");
        return -1;
    }
    if (!qemu)
        qemu = getenv(QTS_QEMU_ENV) && *getenv(QTS_QEMU_ENV) ?
               getenv(QTS_QEMU_ENV) : QTS_DEFAULT_QEMU;
    if (!qts_resolve_exe(qemu, exe, sizeof(exe))) {
        snprintf(err, errlen, "QEMU binary '%s' not found or not executable",
                 qemu);
        return -1;
    }
    rc = run_device_help(qemu, exe, type, qts_timeout_ms(timeout_ms), &out,
                         err, errlen);
    if (rc < 0)
        goto out;
    text = out.data ? out.data : "";
    snprintf(head, sizeof(head), "%s options:", type);
    if (strncmp(text, head, strlen(head)) == 0) {
        rc = 1;
    } else if (strstr(text, "not found")) {
        rc = 0;
    } else {
        snprintf(err, errlen, "'%s -device %s,help' said: %.*s", qemu, type,
                 (int)strcspn(text, "\r\n"), text);
        rc = -1;
    }
out:
    proc_buf_free(&out);
    return rc;
}

int qts_require_device(struct qts *q, const char *type, const char *needs)
{
    char err[QTS_ERR_LEN];
    const char *version;
    int rc;

    if (q->failed)
        return -1;
    version = qts_qemu_version(q);
    if (!version)
        return -1;
    rc = qts_query_device(q->qemu, q->timeout_ms, type, err, sizeof(err));
    if (rc < 0)
        return qts_fail(q, "%s", err);
    if (rc == 0)
        return qts_fail(q, "device '%s' is not in %s (%s)%s%s", type, version,
                        q->qemu, needs ? ": " : "", needs ? needs : "");
    return 0;
}
