/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc port for the Xen hypervisor (x86).
 *
 * Plan building: whenever Xen's set of PCI devices changes (boot scan,
 * dom0's PHYSDEVOP_pci_device_add/remove, devices Xen hides or keeps
 * read-only for itself) pci.c calls pci_crash_plan_update() with
 * pcidevs_lock held.  It describes every device Xen knows of to the core
 * -- its header type and, for bridges, the secondary and subordinate bus
 * numbers, from config space (an endpoint is read once, a bridge every
 * time) -- and the core publishes a new disconnect plan.
 *
 * Crash path: crash.c calls pci_crash_disconnect() after the NMI shootdown
 * of the other CPUs, whether or not each of them stopped in time, and
 * before the IOMMU is shut down.  It walks the published plan; each step is
 * a single config write that takes no lock.
 */

#include <xen/bitops.h>
#include <xen/init.h>
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/pci.h>
#include <xen/pci-crash.h>
#include <xen/sched.h>
#include <xen/sort.h>
#include <asm/io.h>
#include <asm/system.h>

#include "pcidc.h"

static bool __read_mostly opt_pci_crash_disconnect = true;
boolean_param("pci-crash-disconnect", opt_pci_crash_disconnect);

/* About 117 + 32 + 16 KiB of .bss; all but pcidc_state is plan building's. */
static struct pcidc pcidc_state;
static struct pcidc_func funcs[PCIDC_PLAN_CAPACITY];

/*
 * Endpoints already described, sorted by sbdf.  Every device add or remove
 * rebuilds the plan from all devices: reading each of them again every
 * time would make dom0's enumeration of n devices cost O(n^2) config
 * reads.  An endpoint's description (it answers, its header type is not a
 * bridge's) cannot change while Xen knows the device; one removed and added
 * again is read afresh, as the update after its removal forgets it.
 * Bridges are read at every update: dom0 may program their bus numbers
 * after adding them.
 */
static uint32_t known[PCIDC_PLAN_CAPACITY];
static unsigned int nr_known;

struct collect {
    unsigned int nr;            /* entries filled in funcs[] */
    unsigned int seen;          /* devices Xen knows of */
    unsigned int read;          /* of them described from config space now */
    unsigned int preserved;
    unsigned int absent;        /* not answering config reads: left out */
    unsigned int bad_bridge;    /* bus numbers unusable: taken as endpoint */
};

/*
 * Functions Xen keeps for itself: hidden and read-only devices (a PCI serial
 * console, the xHCI or EHCI debug port, the boot VGA device, an AMD IOMMU's
 * own function) are all owned by dom_xen.  Host bridges are kept too: they
 * do no DMA of their own, and on some chipsets their COMMAND register
 * governs decoding of CPU accesses.
 */
static bool keep_alive(const struct pci_dev *pdev)
{
    return pdev->domain == dom_xen || pdev->type == DEV_TYPE_PCI_HOST_BRIDGE;
}

/*
 * A bridge whose bus numbers are unprogrammed (0) or impossible has no
 * range to place functions in: take it as an endpoint rather than reject
 * the whole plan.  Functions on its buses stay in the plan either way.
 */
static bool bridge_range_usable(const struct pcidc_func *func)
{
    return func->secondary > PCIDC_SBDF_BUS(func->sbdf) &&
           func->subordinate >= func->secondary;
}

static int cf_check cmp_sbdf(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static void cf_check swap_sbdf(void *a, void *b, size_t size)
{
    uint32_t *x = a, *y = b, tmp = *x;

    *x = *y;
    *y = tmp;
}

/*
 * pdev as the core sees it: a VF or a known endpoint without a config
 * read (both are endpoints that answer), anything else read now.
 */
static int describe(struct pcidc_func *func, const struct pci_dev *pdev,
                    uint8_t flags, struct collect *c)
{
    const uint32_t sbdf = pdev->sbdf.sbdf;

    /* SR-IOV VFs read 0xffff as vendor ID; they are never bridges. */
    if ( pdev->info.is_virtfn ||
         bsearch(&sbdf, known, nr_known, sizeof(*known), cmp_sbdf) )
    {
        *func = (struct pcidc_func){ .sbdf = sbdf, .flags = flags };
        return PCIDC_OK;
    }

    c->read++;
    return pcidc_describe(func, sbdf, flags);
}

static int cf_check collect_one(struct pci_dev *pdev, void *arg)
{
    struct collect *c = arg;
    uint8_t flags = keep_alive(pdev) ? PCIDC_FUNC_PRESERVE : 0;

    c->seen++;
    if ( c->nr >= ARRAY_SIZE(funcs) )
        return -ENOSPC;

    if ( describe(&funcs[c->nr], pdev, flags, c) != PCIDC_OK )
    {
        c->absent++;
        return 0;
    }

    if ( flags )
        c->preserved++;
    c->nr++;
    return 0;
}

/* The endpoints just collected become known (before any bridge demotion). */
static void remember(unsigned int nr)
{
    unsigned int i;

    nr_known = 0;
    for ( i = 0; i < nr; i++ )
        if ( !(funcs[i].flags & PCIDC_FUNC_BRIDGE) )
            known[nr_known++] = funcs[i].sbdf;
    sort(known, nr_known, sizeof(*known), cmp_sbdf, swap_sbdf);
}

/*
 * A bridge whose bus numbers are unusable is taken as an endpoint (after
 * remember(), so that it is read again next time).
 */
static void demote_bad_bridges(struct collect *c)
{
    unsigned int i;

    for ( i = 0; i < c->nr; i++ )
    {
        struct pcidc_func *func = &funcs[i];
        const pci_sbdf_t sbdf = { .sbdf = func->sbdf };

        if ( !(func->flags & PCIDC_FUNC_BRIDGE) || bridge_range_usable(func) )
            continue;

        printk(XENLOG_DEBUG
               "pci-crash-disconnect: %pp: bridge buses %02x-%02x unusable, taken as endpoint\n",
               &sbdf, func->secondary, func->subordinate);
        func->flags &= ~PCIDC_FUNC_BRIDGE;
        c->bad_bridge++;
    }
}

void pci_crash_plan_update(void)
{
    static const struct pcidc_policy policy = PCIDC_POLICY_DEFAULT;
    struct collect c = { 0 };
    const struct pcidc_plan *plan;
    int rc;

    ASSERT(pcidevs_locked());

    if ( !opt_pci_crash_disconnect )
        return;

    if ( pci_iterate_pdevs(collect_one, &c) )
    {
        nr_known = 0;
        printk(XENLOG_WARNING
               "pci-crash-disconnect: more than %u PCI functions, plan not updated\n",
               PCIDC_PLAN_CAPACITY);
        return;
    }

    remember(c.nr);
    demote_bad_bridges(&c);
    rc = pcidc_plan_build(&pcidc_state, funcs, c.nr, &policy);
    if ( rc != PCIDC_OK )
    {
        printk(XENLOG_WARNING
               "pci-crash-disconnect: plan not updated: %s (%d)\n",
               pcidc_strerror(rc), rc);
        return;
    }

    plan = pcidc_plan_published(&pcidc_state);
    printk(XENLOG_DEBUG
           "pci-crash-disconnect: plan of %u steps (%u devices, %u read now, %u kept, %u absent, %u bridges as endpoints)\n",
           plan->nr_steps, c.seen, c.read, c.preserved, c.absent, c.bad_bridge);
}

/*
 * Crash path.  No printk here: it takes the console lock.  The caller
 * reports the count.
 */
unsigned int pci_crash_disconnect(void)
{
    if ( !opt_pci_crash_disconnect )
        return 0;

    return pcidc_crash_disconnect(&pcidc_state);
}

/* --- The core's port interface ------------------------------------------- */

/*
 * Called on the crash path only.  pci_conf_write16() is not usable there:
 * for segment 0 and registers below 256 it takes pci_config_lock, which a
 * CPU stopped by the NMI shootdown (or this CPU, if it crashed inside a
 * config access) may hold forever.
 *
 * MMCFG, where Xen has the segment and bus mapped, is one uncached store and
 * needs no lock at all.  Otherwise the write goes through 0xCF8/0xCFC
 * directly.  That pair of port accesses is only atomic because of the lock;
 * it is safe without it here because crash.c calls us after the NMI
 * shootdown: every other CPU that answered the NMI has stopped (and this
 * CPU runs with interrupts off), so nobody can move 0xCF8 between our two
 * accesses.  An access the stopped CPUs had under way is never resumed.  If
 * the shootdown failed (crash.c reports "Failed to shoot down CPUs"), a CPU
 * still running could tear one of our writes; we accept that, as the
 * alternative is not writing at all.
 */
void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    const pci_sbdf_t s = { .sbdf = sbdf };

    if ( !pci_mmcfg_write(s.seg, s.bus, s.devfn, reg, 2, value) )
        return;

    /* Type 1 configuration cycles reach segment 0 only. */
    if ( s.seg )
        return;

    outl(0x80000000U | ((uint32_t)s.bdf << 8) | (reg & 0xfc), 0xcf8);
    outw(value, 0xcfc + (reg & 2));
}

/* Plan building only: the normal, locked accessor is right here. */
uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    const pci_sbdf_t s = { .sbdf = sbdf };

    return pci_conf_read32(s, reg);
}

int pcidc_port_test_and_set(unsigned long *word)
{
    return test_and_set_bit(0, word);
}

void pcidc_port_wmb(void)
{
    smp_wmb();
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */
