/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy_list: the policies by name -- their names, the --policy /
 * --require-clean list parser, which policies a topology can run.  No QEMU
 * here: unit-tested in tests/test_crash_policy.c.
 */
#include <stdio.h>
#include <string.h>

#include "crash.h"

#define SHOWN_MAX   40      /* characters of a bad item quoted in an error */

const char *crash_policy_name(enum crash_policy p)
{
    static const char *const name[CRASH_NR_POLICIES] = {
        [CRASH_NONE] = "none",
        [CRASH_SEED] = "seed",
        [CRASH_LINUX_KEXEC] = "linux-kexec",
        [CRASH_DECODE_OFF] = "decode-off",
        [CRASH_PCIDC] = "pcidc",
        [CRASH_IOMMU_ON] = "iommu-on",
        [CRASH_PF_ONLY] = "pf-only",
    };

    return (unsigned int)p < CRASH_NR_POLICIES ? name[p] : "?";
}

/* The policy named by the len bytes at item, or CRASH_NR_POLICIES. */
static unsigned int policy_by_name(const char *item, size_t len)
{
    unsigned int i;

    for (i = 0; i < CRASH_NR_POLICIES; i++)
        if (strlen(crash_policy_name(i)) == len &&
            !strncmp(item, crash_policy_name(i), len))
            break;
    return i;
}

/* The unknown item quoted in err, non-printable bytes shown as '?'. */
static int bad_item(char *err, size_t errlen, const char *item, size_t len)
{
    char shown[SHOWN_MAX + 1];
    size_t i, n = len > SHOWN_MAX ? SHOWN_MAX : len;

    for (i = 0; i < n; i++)
        shown[i] = item[i] >= 0x20 && item[i] < 0x7f ? item[i] : '?';
    shown[n] = '\0';
    snprintf(err, errlen, "unknown policy '%s%s' (none, seed, linux-kexec, "
             "decode-off, pcidc, iommu-on, pf-only, or all alone)", shown,
             len > SHOWN_MAX ? "..." : "");
    return -1;
}

int crash_policy_parse(const char *list, bool want[CRASH_NR_POLICIES],
                       char *err, size_t errlen)
{
    const char *item = list;
    unsigned int i;
    size_t len;

    memset(want, 0, sizeof(bool) * CRASH_NR_POLICIES);
    if (!strcmp(list, "all")) {
        for (i = 0; i < CRASH_NR_POLICIES; i++)
            want[i] = true;
        return 0;
    }
    if (!*list) {
        snprintf(err, errlen, "empty policy list");
        return -1;
    }
    for (;;) {
        len = strcspn(item, ",");
        if (len == 0) {
            snprintf(err, errlen, "empty item at position %zu of the policy "
                     "list", (size_t)(item - list) + 1);
            return -1;
        }
        if (len == 3 && !strncmp(item, "all", 3)) {
            snprintf(err, errlen, "'all' stands alone, not in a list");
            return -1;
        }
        i = policy_by_name(item, len);
        if (i == CRASH_NR_POLICIES)
            return bad_item(err, errlen, item, len);
        want[i] = true;         /* a name given twice runs once */
        if (!item[len])
            return 0;
        item += len + 1;
    }
}

bool crash_spec_has_iommu(const struct spec *s)
{
    unsigned int i;

    for (i = 0; i < s->nr; i++)
        if (s->node[i].kind == SPEC_IOMMU)
            return true;
    return false;
}

const char *crash_policy_misfit(enum crash_policy p, const struct spec *s)
{
    if (p == CRASH_IOMMU_ON && !crash_spec_has_iommu(s))
        return "needs an iommu item in the topology";
    if (p == CRASH_PF_ONLY && !spec_total_vfs(s))
        return "needs an item with SR-IOV VFs in the topology "
               "(nvme(vfs=N), igb(vfs=N))";
    return NULL;
}

bool crash_policy_fits(enum crash_policy p, const struct spec *s)
{
    return !crash_policy_misfit(p, s);
}

int crash_policy_required(const char *list, const bool want[CRASH_NR_POLICIES],
                          bool out[CRASH_NR_POLICIES], char *err,
                          size_t errlen)
{
    unsigned int p;

    memset(out, 0, CRASH_NR_POLICIES * sizeof(out[0]));
    if (!list)
        return 0;
    if (crash_policy_parse(list, out, err, errlen))
        return -1;
    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        if (out[p] && !want[p] && strcmp(list, "all")) {
            snprintf(err, errlen, "policy %s is not run (see --policy)",
                     crash_policy_name((enum crash_policy)p));
            return -1;
        }
        out[p] = out[p] && want[p];
    }
    return 0;
}
