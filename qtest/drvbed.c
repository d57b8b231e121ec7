/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drvbed: see drvbed.h.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drvbed.h"
#include "pci/pci_regs.h"

struct drvbed *drvbed_new(void)
{
    struct drvbed *b = calloc(1, sizeof(*b));
    const char *v, *p;

    assert_non_null(b);
    b->q = qts_new(NULL);
    assert_non_null(b->q);
    v = qts_qemu_version(b->q);
    drvbed_check(b);
    if (qts_parse_version(v, &b->major, &b->minor))
        fail_msg("cannot read a version in '%s'", v);
    p = strstr(v, "version ");
    snprintf(b->version, sizeof(b->version), "%.*s", (int)strcspn(p + 8, " "),
             p + 8);
    return b;
}

void drvbed_check(struct drvbed *b)
{
    const char *err = qts_error(b->q);

    if (err)
        fail_msg("QEMU %s: %s", b->version[0] ? b->version : "?", err);
}

void drvbed_start(struct drvbed *b, const char *const *extra)
{
    qts_start(b->q, extra);
    qpci_init(&b->bus, b->q, 0);
    qpci_enumerate(&b->bus);
    qpci_assign(&b->bus);
    drvbed_check(b);
    b->g = galloc_new(DRVBED_GUEST_BASE, DRVBED_GUEST_END);
    assert_non_null(b->g);
}

int drvbed_find(struct drvbed *b, uint16_t vendor, uint16_t device,
                unsigned int nth)
{
    int idx = qpci_find_id(&b->bus, vendor, device, nth);

    if (idx < 0)
        fail_msg("QEMU %s: no function %04x:%04x (#%u)", b->version, vendor,
                 device, nth);
    return idx;
}

uint16_t drvbed_disconnect(struct drvbed *b, uint32_t sbdf)
{
    uint16_t cmd = qpci_cfg_read16(&b->bus, sbdf, PCI_COMMAND);
    uint16_t v = (uint16_t)((cmd & ~PCI_COMMAND_MASTER) |
                            PCI_COMMAND_DISABLE_INTx);

    qpci_cfg_write16(&b->bus, sbdf, PCI_COMMAND, v);
    drvbed_check(b);
    assert_int_equal(qpci_cfg_read16(&b->bus, sbdf, PCI_COMMAND) &
                     (PCI_COMMAND_MASTER | PCI_COMMAND_DISABLE_INTx),
                     PCI_COMMAND_DISABLE_INTx);
    return v;
}

void drvbed_require(struct drvbed *b, const char *type, const char *needs)
{
    char err[256];
    int rc = qts_query_device(NULL, 0, type, err, sizeof(err));

    if (rc < 0)
        fail_msg("QEMU %s: %s", b->version, err);
    if (rc == 0) {
        printf("SKIP: QEMU %s has no -device %s (%s)\n", b->version, type,
               needs);
        fflush(stdout);
        skip();
    }
}

void drvbed_free(struct drvbed *b)
{
    if (!b)
        return;
    if (b->g)
        galloc_destroy(b->g);
    qts_close(b->q);
    free(b);
}
