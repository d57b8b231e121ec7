/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_check_run: crashsim --check around its runs -- a private $TMPDIR
 * and the plans --plan-only lists before them, the leftovers and the
 * properties after them (report.h).  Apart from report_props.c, which
 * judges a report alone and is unit-tested without QEMU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "base/proc.h"

int report_check_begin(struct report_check *c, const struct crash_opts *o,
                       const bool want[CRASH_NR_POLICIES], char *err,
                       size_t errlen)
{
    if (proc_tmpdir_begin("pcidc-check", c->tmpdir, sizeof(c->tmpdir))) {
        snprintf(err, errlen, "no temporary directory: %s", strerror(errno));
        return -1;
    }
    return crash_plan_collect(o, want, &c->plans, err, errlen);
}

unsigned int report_check_end(struct report_check *c, json_t *report,
                              FILE *out)
{
    char first[512] = "";
    int left = proc_tmpdir_end(c->tmpdir, first, sizeof(first));

    return report_check_properties(report, &c->plans, left, first, out);
}
