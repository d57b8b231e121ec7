/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The simulator's port: config cycles through qpci (qtest), counted, with
 * a hook after every write.  See pcidc_port_user.h.
 */
#include <stddef.h>

#include "pcidc_port_user.h"
#include "pci/qpci.h"

static struct qpci_bus *current_bus;
static struct pcidc_port_user_counts counts;
static pcidc_port_user_write_hook write_hook;
static void *write_hook_arg;
static pcidc_port_user_tas_hook tas_hook;
static void *tas_hook_arg;

void pcidc_port_user_set_bus(struct qpci_bus *bus)
{
    current_bus = bus;
}

struct qpci_bus *pcidc_port_user_bus(void)
{
    return current_bus;
}

void pcidc_port_user_reset_counts(void)
{
    counts.conf_reads = 0;
    counts.crash_reads = 0;
    counts.conf_writes = 0;
    counts.test_and_set = 0;
    counts.wmb = 0;
}

void pcidc_port_user_get_counts(struct pcidc_port_user_counts *out)
{
    *out = counts;
}

void pcidc_port_user_set_write_hook(pcidc_port_user_write_hook hook,
                                    void *arg)
{
    write_hook = hook;
    write_hook_arg = arg;
}

void pcidc_port_user_set_tas_hook(pcidc_port_user_tas_hook hook, void *arg)
{
    tas_hook = hook;
    tas_hook_arg = arg;
}

void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    counts.conf_writes++;
    if ( current_bus )
        qpci_cfg_write16(current_bus, sbdf, reg, value);
    if ( write_hook )
        write_hook(write_hook_arg, counts.conf_writes, sbdf, reg, value);
}

uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    counts.conf_reads++;
    if ( !current_bus )
        return 0xffffffffu;
    return qpci_cfg_read32(current_bus, sbdf, reg);
}

uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    counts.conf_reads++;
    counts.crash_reads++;
    if ( !current_bus )
        return 0xffff;
    return qpci_cfg_read16(current_bus, sbdf, reg);
}

int pcidc_port_test_and_set(unsigned long *word)
{
    int old;

    counts.test_and_set++;
    old = (int)(__atomic_fetch_or(word, 1UL, __ATOMIC_SEQ_CST) & 1UL);
    if ( tas_hook )
        tas_hook(tas_hook_arg);
    return old;
}

void pcidc_port_wmb(void)
{
    counts.wmb++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

void pcidc_port_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
