/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc port for the Xen hypervisor (x86).
 *
 * Plan building: whenever Xen's set of PCI devices changes (boot scan,
 * dom0's PHYSDEVOP_pci_device_add/remove, devices Xen hides or keeps
 * read-only for itself) pci.c calls pci_crash_plan_update() with
 * pcidevs_lock held.  It describes every device Xen knows of to the core
 * -- its COMMAND register, its header type and, for bridges, the secondary
 * and subordinate bus numbers, from config space (an endpoint is read
 * once, a bridge every time) -- and the core publishes a new disconnect
 * plan.  Should the core refuse the description, a fallback plan is
 * published instead (build_fallback()), never none.
 *
 * Crash path, in two passes over the published plan; each step reads a
 * function's COMMAND and writes it back with Bus Master off and INTx
 * masked, through config accesses that take no lock.  kexec_crash() calls
 * pci_crash_disconnect_early() as soon as the crash kernel is certain to
 * run, while the other CPUs still run: MMCFG only, the core's walk
 * re-done here (see there why).  crash.c calls pci_crash_disconnect()
 * after the NMI shootdown of the other CPUs, whether or not each of them
 * stopped in time, and before the IOMMU is shut down: the core's walk,
 * every function, undoing whatever a CPU still running changed in between.
 */

#include <xen/bitmap.h>
#include <xen/bitops.h>
#include <xen/init.h>
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/pci.h>
#include <xen/pci-crash.h>
#include <xen/sched.h>
#include <xen/sort.h>
#include <xen/xmalloc.h>
#include <asm/io.h>
#include <asm/system.h>

#include "pcidc.h"

enum crash_mode {
    MODE_OFF,
    MODE_PCIDC,
    MODE_SEED,
};

static const struct {
    const char *name;
    struct pcidc_policy policy;
} modes[] = {
    /* Bridges first, Xen's own devices kept, Bus Master off, decode kept. */
    [MODE_PCIDC] = { "pcidc", PCIDC_POLICY_DEFAULT },
    /*
     * For comparison only, the 2011 patch: COMMAND = 0 for every function,
     * in list order, Xen's own devices included.
     */
    [MODE_SEED] = { "seed", PCIDC_POLICY_SEED },
};

static enum crash_mode __read_mostly opt_mode = MODE_PCIDC;
/* Testing only: make the core refuse every update's first attempt. */
static bool __read_mostly opt_test_fallback;
/* The first crash pass, before the NMI shootdown. */
static bool __read_mostly opt_early = true;

static int __init cf_check parse_pci_crash_disconnect(const char *s)
{
    const char *ss;
    int val, rc = 0;

    if ( !*s )
    {
        opt_mode = MODE_PCIDC;
        return 0;
    }

    do {
        ss = strchr(s, ',');
        if ( !ss )
            ss = strchr(s, '\0');

        if ( (val = parse_bool(s, ss)) >= 0 )
            opt_mode = val ? MODE_PCIDC : MODE_OFF;
        else if ( !cmdline_strcmp(s, "seed") )
            opt_mode = MODE_SEED;
        else if ( (val = parse_boolean("test-fallback", s, ss)) >= 0 )
            opt_test_fallback = val;
        else if ( (val = parse_boolean("early", s, ss)) >= 0 )
            opt_early = val;
        else
            rc = -EINVAL;

        s = ss + 1;
    } while ( *ss );

    return rc;
}
custom_param("pci-crash-disconnect", parse_pci_crash_disconnect);

/*
 * pcidc_state: the crash path's plans and plan building's scratch (about
 * 149 KiB of .bss).  funcs[] and known[] (12 and 8 bytes a function) are
 * allocated at plan time, for as many functions as Xen knows of
 * (funcs_size, at most PCIDC_PLAN_CAPACITY); the crash path uses neither.
 */
static struct pcidc pcidc_state;
static struct pcidc_func *funcs;
static unsigned int funcs_size;

/*
 * Endpoints already described, sorted by sbdf.  Every device add or remove
 * rebuilds the plan from all devices: reading each of them again every
 * time would make dom0's enumeration of n devices cost O(n^2) config
 * reads.  An endpoint's description (it answers, its header type is not a
 * bridge's) cannot change while Xen knows the device; one removed and added
 * again is read afresh, as the update after its removal forgets it.
 * Bridges are read at every update: dom0 may program their bus numbers
 * after adding them.
 *
 * The COMMAND kept here is the one read when Xen first described the
 * function, often before any driver enabled it.  The crash path reads
 * COMMAND afresh; this one only gives its value for a function that reads
 * all ones then (it does not answer), so it is not worth reading every
 * endpoint again at every update to keep it current.
 */
struct known_endpoint {
    uint32_t sbdf;
    uint16_t command;
};
static struct known_endpoint *known;
static unsigned int nr_known;

/* pcidc_port_conf_read32() calls during the current plan update. */
static unsigned int conf_reads;

/*
 * Odd while pci_crash_plan_update() runs.  The early crash pass reads the
 * published plan while other CPUs may be building the next one.
 */
static unsigned int plan_seq;

struct collect {
    unsigned int nr;            /* entries filled in funcs[] */
    unsigned int seen;          /* devices Xen knows of */
    unsigned int over;          /* of them beyond funcs[]: left out */
    unsigned int read;          /* described from config space now */
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

static int cf_check cmp_known(const void *a, const void *b)
{
    uint32_t x = ((const struct known_endpoint *)a)->sbdf;
    uint32_t y = ((const struct known_endpoint *)b)->sbdf;

    return x < y ? -1 : x > y;
}

static void cf_check swap_known(void *a, void *b, size_t size)
{
    struct known_endpoint *x = a, *y = b, tmp = *x;

    *x = *y;
    *y = tmp;
}

/*
 * pdev as the core sees it: a known endpoint from the cache, a VF (its
 * vendor ID reads 0xffff; never a bridge) from its COMMAND alone, anything
 * else described from config space now.
 */
static int describe(struct pcidc_func *func, const struct pci_dev *pdev,
                    uint8_t flags, struct collect *c)
{
    const struct known_endpoint key = { .sbdf = pdev->sbdf.sbdf };
    const struct known_endpoint *k;

    k = bsearch(&key, known, nr_known, sizeof(*known), cmp_known);
    if ( k )
    {
        *func = (struct pcidc_func){ .sbdf = key.sbdf, .flags = flags,
                                     .command = k->command };
        return PCIDC_OK;
    }

    c->read++;
    if ( pdev->info.is_virtfn )
    {
        uint32_t command = pcidc_port_conf_read32(key.sbdf, PCIDC_COMMAND);

        *func = (struct pcidc_func){ .sbdf = key.sbdf, .flags = flags,
                                     .command = command & 0xffff };
        return PCIDC_OK;
    }

    return pcidc_describe(func, key.sbdf, flags);
}

static int cf_check collect_one(struct pci_dev *pdev, void *arg)
{
    struct collect *c = arg;
    uint8_t flags = keep_alive(pdev) ? PCIDC_FUNC_PRESERVE : 0;

    c->seen++;
    if ( c->nr >= funcs_size )
    {
        c->over++;
        return 0;
    }

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

static int cf_check count_one(struct pci_dev *pdev, void *arg)
{
    ++*(unsigned int *)arg;
    return 0;
}

/*
 * Room in funcs[] and known[] for every function Xen knows of, up to the
 * plan's capacity.  They grow by at least half (to at least 16), so that dom0
 * adding its devices one by one reallocates them only a few times; they
 * never shrink.  On failure the arrays stay as they were.
 */
static int grow_arrays(void)
{
    unsigned int nr = 0, size;
    struct pcidc_func *new_funcs;
    struct known_endpoint *new_known;

    pci_iterate_devices(count_one, &nr);
    if ( nr <= funcs_size || funcs_size == PCIDC_PLAN_CAPACITY )
        return 0;

    size = min_t(unsigned int,
                 max(max(nr, funcs_size + funcs_size / 2), 16U),
                 PCIDC_PLAN_CAPACITY);
    new_funcs = xmalloc_array(struct pcidc_func, size);
    new_known = xmalloc_array(struct known_endpoint, size);
    if ( !new_funcs || !new_known )
    {
        xfree(new_funcs);
        xfree(new_known);
        return -ENOMEM;
    }

    if ( nr_known )
        memcpy(new_known, known, nr_known * sizeof(*known));
    xfree(funcs);
    xfree(known);
    funcs = new_funcs;
    known = new_known;
    funcs_size = size;
    return 0;
}

/* The endpoints just collected become known (before any bridge demotion). */
static void remember(unsigned int nr)
{
    unsigned int i;

    nr_known = 0;
    for ( i = 0; i < nr; i++ )
        if ( !(funcs[i].flags & PCIDC_FUNC_BRIDGE) )
            known[nr_known++] = (struct known_endpoint){
                .sbdf = funcs[i].sbdf, .command = funcs[i].command,
            };
    sort(known, nr_known, sizeof(*known), cmp_known, swap_known);
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

/*
 * Keep, for the fallback, every bridge whose bus range as read now holds
 * the bus of a function Xen keeps.  With ranges that overlap this keeps
 * more bridges than sit above the kept functions, never fewer.  funcs[]
 * holds each segment's functions together (pci_iterate_devices() walks one
 * segment after the other): one bitmap of buses per segment does.
 */
static unsigned int keep_bridges_by_range(unsigned int nr)
{
    DECLARE_BITMAP(kept_bus, 256);
    unsigned int start, end, i, kept = 0;

    for ( start = 0; start < nr; start = end )
    {
        const uint32_t seg = PCIDC_SBDF_SEG(funcs[start].sbdf);

        bitmap_zero(kept_bus, 256);
        for ( end = start;
              end < nr && PCIDC_SBDF_SEG(funcs[end].sbdf) == seg; end++ )
            if ( funcs[end].flags & PCIDC_FUNC_PRESERVE )
                __set_bit(PCIDC_SBDF_BUS(funcs[end].sbdf), kept_bus);

        for ( i = start; i < end; i++ )
        {
            struct pcidc_func *f = &funcs[i];

            if ( (f->flags & (PCIDC_FUNC_BRIDGE | PCIDC_FUNC_PRESERVE)) !=
                     PCIDC_FUNC_BRIDGE ||
                 f->subordinate < f->secondary ||
                 find_next_bit(kept_bus, f->subordinate + 1,
                               f->secondary) > f->subordinate )
                continue;
            f->flags |= PCIDC_FUNC_PRESERVE;
            kept++;
        }
    }
    return kept;
}

/*
 * The core refused funcs[] as described.  In practice that means bridge
 * bus ranges that overlap without nesting, which dom0 can program at any
 * time; a plan building bug would do it too.  Keeping the previous plan
 * would leave out every function added since, with no sign of it at the
 * crash.  Instead publish what the core builds without a single bridge
 * range: every function as an endpoint, in Xen's list order (without a
 * tree there is no "bridges first"), under the same policy.  With nothing
 * to validate between functions, the core refuses this only for a
 * duplicate sbdf or a bad policy, neither of which Xen produces.  The
 * functions Xen keeps stay out of the plan, and so does every bridge
 * whose bus range holds one of them (keep_bridges_by_range()); the default
 * policy leaves decode on anyway, so a console behind a bridge the range
 * test missed would still answer.
 */
static int build_fallback(const struct pcidc_policy *policy, unsigned int nr,
                          unsigned int *kept_bridges)
{
    struct pcidc_policy flat = *policy;
    unsigned int i;

    flat.flags |= PCIDC_POLICY_INPUT_ORDER;
    *kept_bridges = (policy->flags & PCIDC_POLICY_IGNORE_PRESERVE)
                    ? 0 : keep_bridges_by_range(nr);
    for ( i = 0; i < nr; i++ )
        funcs[i].flags &= PCIDC_FUNC_PRESERVE;

    return pcidc_plan_build(&pcidc_state, funcs, nr, &flat);
}

/* Not a flag of the core's: it refuses any function that carries it. */
#define TEST_REFUSED_FLAG 0x80

static void report(const struct collect *c, int refused, int rc,
                   unsigned int kept_bridges)
{
    const struct pcidc_plan *plan = pcidc_plan_published(&pcidc_state);
    unsigned int steps = plan ? plan->nr_steps : 0;

    if ( c->over )
        printk(XENLOG_WARNING
               "pci-crash-disconnect: more than %u PCI functions: the plan leaves %u of %u out\n",
               PCIDC_PLAN_CAPACITY, c->over, c->seen);
    if ( refused != PCIDC_OK && rc == PCIDC_OK )
        printk(XENLOG_WARNING
               "pci-crash-disconnect: plan refused: %s (%d); fallback published: %u steps in list order, bridge ranges unchecked, %u bridges kept by bus range\n",
               pcidc_strerror(refused), refused, steps, kept_bridges);
    else if ( rc != PCIDC_OK )
        printk(XENLOG_WARNING
               "pci-crash-disconnect: plan refused: %s (%d), fallback refused: %s (%d); the plan of %u steps built before stays\n",
               pcidc_strerror(refused), refused, pcidc_strerror(rc), rc,
               steps);

    printk(XENLOG_DEBUG
           "pci-crash-disconnect: plan of %u steps, %s%s (%u devices, %u read now in %u config reads, %u kept, %u absent, %u bridges as endpoints)\n",
           steps, modes[opt_mode].name,
           refused == PCIDC_OK ? "" : rc == PCIDC_OK ? " fallback" : " stale",
           c->seen, c->read, conf_reads, c->preserved, c->absent,
           c->bad_bridge);
}

void pci_crash_plan_update(void)
{
    const struct pcidc_policy *policy = &modes[opt_mode].policy;
    struct collect c = { 0 };
    unsigned int kept_bridges = 0;
    int refused, rc;

    ASSERT(pcidevs_locked());

    if ( opt_mode == MODE_OFF )
        return;

    if ( grow_arrays() )
    {
        printk(XENLOG_WARNING
               "pci-crash-disconnect: no memory for %s PCI functions: the plan built before stays\n",
               funcs_size ? "more" : "the");
        return;
    }

    write_atomic(&plan_seq, plan_seq + 1);
    smp_wmb();

    conf_reads = 0;
    pci_iterate_devices(collect_one, &c);
    remember(c.nr);
    demote_bad_bridges(&c);

    if ( opt_test_fallback && c.nr )
        funcs[0].flags |= TEST_REFUSED_FLAG;

    rc = refused = pcidc_plan_build(&pcidc_state, funcs, c.nr, policy);
    if ( refused != PCIDC_OK )
        rc = build_fallback(policy, c.nr, &kept_bridges);

    smp_wmb();
    write_atomic(&plan_seq, plan_seq + 1);

    report(&c, refused, rc, kept_bridges);
}

/*
 * The early pass's step: MMCFG only, and nothing written to a function
 * that does not answer.  The 0xCF8/0xCFC pair is not safe yet: another
 * CPU may be between its two accesses, under pci_config_lock, and either
 * side's data access would then reach the other's register.  One MMCFG
 * load or store cannot be torn that way; a read-modify-write another CPU
 * makes of the same COMMAND register at the same time can still undo
 * ours, which is what the second pass is for.
 */
static void early_step(const struct pcidc_step *step)
{
    const pci_sbdf_t sbdf = { .sbdf = step->sbdf };
    uint32_t now;
    uint16_t value;

    if ( step->reg != PCI_COMMAND ||
         pci_mmcfg_read(sbdf.seg, sbdf.bus, sbdf.devfn, PCI_COMMAND, 2,
                        &now) ||
         now == 0xffff )
        return;

    value = (now & ~step->clear) | step->set;
    if ( value != now )
        pci_mmcfg_write(sbdf.seg, sbdf.bus, sbdf.devfn, PCI_COMMAND, 2, value);
}

/*
 * First crash pass, before the NMI shootdown: DMA stops without waiting
 * for the other CPUs to stop, and for the console.  Not the core's walk,
 * which after the shootdown may use the 0xCF8/0xCFC pair and which runs
 * once.  The plan is read like a seqlock's data: a step is used only if
 * no plan update started before it was copied.  An update in progress
 * writes the spare plan, not this one; only the update after it could,
 * and plan_seq has moved by then.  Runs once, whichever CPU gets here
 * first (a second CPU crashing at once, or a crash inside this pass).
 * Not in the seed's mode, which stays the 2011 behaviour.  Takes no lock
 * and prints nothing.
 */
void pci_crash_disconnect_early(void)
{
    static bool started;
    const struct pcidc_plan *plan;
    unsigned int seq, nr, i;

    if ( opt_mode != MODE_PCIDC || !opt_early || test_and_set_bool(started) )
        return;

    seq = read_atomic(&plan_seq);
    smp_rmb();
    plan = pcidc_plan_published(&pcidc_state);
    if ( (seq & 1) || !plan )
        return;

    nr = min_t(unsigned int, read_atomic(&plan->nr_steps),
               PCIDC_PLAN_CAPACITY);
    for ( i = 0; i < nr; i++ )
    {
        const struct pcidc_step step = plan->step[i];

        smp_rmb();
        if ( read_atomic(&plan_seq) != seq )
            return;
        early_step(&step);
    }
}

/*
 * Crash path, after the shootdown.  No printk here: it takes the console
 * lock.  The caller reports the count.
 */
unsigned int pci_crash_disconnect(void)
{
    if ( opt_mode == MODE_OFF )
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

/*
 * The crash path's read of the register it is about to write, so that the
 * write changes only Bus Master and INTx Disable.  Not pci_conf_read16(),
 * for the reason given above: it takes pci_config_lock.  The same two
 * routes as the write, lock-free for the same reasons: MMCFG (one uncached
 * load) where Xen has the bus mapped, else 0xCF8/0xCFC for segment 0, whose
 * pair of accesses no other CPU can interleave with after the shootdown.
 * Where neither reaches the function the result is all ones, which the
 * core takes as "does not answer" and writes the value it planned instead.
 */
uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    const pci_sbdf_t s = { .sbdf = sbdf };
    uint32_t value;

    if ( !pci_mmcfg_read(s.seg, s.bus, s.devfn, reg, 2, &value) )
        return value;

    if ( s.seg )
        return 0xffff;

    outl(0x80000000U | ((uint32_t)s.bdf << 8) | (reg & 0xfc), 0xcf8);
    return inw(0xcfc + (reg & 2));
}

/* Plan building only: the normal, locked accessor is right here. */
uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    const pci_sbdf_t s = { .sbdf = sbdf };

    conf_reads++;
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

void pcidc_port_mb(void)
{
    smp_mb();
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
