/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spec_qemu: which topology items need a newer QEMU than the one about to
 * run (spec.h, spec_check_qemu).  No QEMU here: the caller asks for the
 * version.
 */
#include <stdio.h>

#include "spec.h"

struct needs {
    enum spec_kind kind;
    unsigned int major, minor;      /* first QEMU with the device model */
};

static const struct needs needs[] = {
    { SPEC_IGB, 8, 0 },             /* -device igb appeared in 8.0 */
};

int spec_check_qemu(struct spec *s, unsigned int major, unsigned int minor,
                    const char *version, const char *binary)
{
    unsigned int i, k;

    for (i = 0; i < s->nr; i++)
        for (k = 0; k < sizeof(needs) / sizeof(needs[0]); k++) {
            const struct needs *n = &needs[k];

            if (s->node[i].kind != n->kind || major > n->major ||
                (major == n->major && minor >= n->minor))
                continue;
            snprintf(s->err, SPEC_ERR_LEN, "topology: position %u: %s needs "
                     "QEMU >= %u.%u; this is QEMU %s (%s)", s->node[i].pos,
                     spec_kind_name(n->kind), n->major, n->minor, version,
                     binary);
            return -1;
        }
    return 0;
}
