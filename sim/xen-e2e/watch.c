/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: guest state through qtest, memory reads only -- ECAM config
 * reads, the e1000 receive ring and buffers, the AHCI command slots.
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

/* IDs the harness looks for (vendor PCI_VENDOR_ID_INTEL). */
#define Q35_HOST_BRIDGE_ID      0x29c0
#define E1000_82540EM_ID        0x100e
#define ICH9_AHCI_ID            0x2922
/* Header type bit 7: a device with more than one function. */
#define HEADER_MULTIFUNCTION    0x80
#define MAX_BRIDGE_DEPTH        8

static uint64_t ecam(uint8_t bus, uint8_t devfn, unsigned int reg)
{
    return PCI_ECAM_ADDR(Q35_ECAM_BASE, (uint32_t)bus << 8 | devfn, reg);
}

/*
 * Functions on bus 0 and below bridges, found with config reads only,
 * following the bus numbers the guest gave its bridges.  (sim/pci/qpci's
 * enumeration numbers buses and sizes BARs itself: config writes, which
 * must not touch a running guest.)
 */
static void enumerate_bus(struct qts *q, struct e2e_result *r, uint8_t bus,
                          unsigned int depth)
{
    for ( unsigned int devfn = 0; devfn < 256; devfn++ )
    {
        uint32_t id = qts_readl(q, ecam(bus, devfn, PCI_VENDOR_ID));
        struct e2e_func_obs *f;

        if ( (id & 0xffff) == 0xffff || (id & 0xffff) == 0 )
        {
            if ( (devfn & 7) == 0 )
                devfn += 7;             /* no function 0: no device */
            continue;
        }
        if ( r->nr_funcs == E2E_MAX_FUNCS )
            return;
        f = &r->func[r->nr_funcs++];
        f->bus = bus;
        f->devfn = (uint8_t)devfn;
        f->vendor = (uint16_t)id;
        f->device = (uint16_t)(id >> 16);
        f->header_type = qts_readb(q, ecam(bus, devfn, PCI_HEADER_TYPE));
        f->class_code = qts_readw(q, ecam(bus, devfn, PCI_CLASS_DEVICE));
        f->planned = true;
        f->t_value = -1;
        f->t_changed = -1;
        if ( (f->header_type & ~HEADER_MULTIFUNCTION) ==
                 PCI_HEADER_TYPE_BRIDGE && depth < MAX_BRIDGE_DEPTH )
        {
            f->secondary = qts_readb(q, ecam(bus, devfn, PCI_SECONDARY_BUS));
            f->subordinate = qts_readb(q, ecam(bus, devfn,
                                               PCI_SUBORDINATE_BUS));
            if ( f->secondary > bus )
                enumerate_bus(q, r, f->secondary, depth + 1);
        }
        if ( (devfn & 7) == 0 && !(f->header_type & HEADER_MULTIFUNCTION) )
            devfn += 7;                 /* single-function device */
    }
}

static int find_func(const struct e2e_result *r, uint16_t vendor,
                     uint16_t device)
{
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        if ( r->func[i].vendor == vendor && r->func[i].device == device )
            return (int)i;
    return -1;
}

/* The serial function Xen's console is on, with its I/O BAR: 0 if none. */
static uint16_t find_uart(struct qts *q, const struct e2e_result *r)
{
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct e2e_func_obs *f = &r->func[i];
        uint32_t bar;

        if ( f->class_code != E2E_UART_CLASS || f->bus == 0 )
            continue;
        bar = qts_readl(q, ecam(f->bus, f->devfn, PCI_BASE_ADDRESS_0));
        if ( bar & PCI_BASE_ADDRESS_SPACE_IO )
            return (uint16_t)(bar & ~0x3u);   /* I/O BAR: bits 1:0 are flags */
    }
    return 0;
}

int e2e_watch_uart_ier(struct e2e_watch *w)
{
    if ( !w->uart_io )
        return -1;
    return qts_inb(w->q, (uint16_t)(w->uart_io + E2E_UART_IER));
}

/* Address of memory BAR n as the guest programmed it, 0 for an I/O BAR. */
static uint64_t mem_bar(struct qts *q, const struct e2e_func_obs *f,
                        unsigned int n)
{
    unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * n;
    uint32_t lo = qts_readl(q, ecam(f->bus, f->devfn, reg));
    uint64_t addr = lo & ~0xfULL;

    if ( (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 )
        addr |= (uint64_t)qts_readl(q, ecam(f->bus, f->devfn, reg + 4)) << 32;
    return (lo & PCI_BASE_ADDRESS_SPACE_IO) ? 0 : addr;
}

static int watch_alloc(struct e2e_watch *w, unsigned int n)
{
    size_t bytes = (size_t)n * E1000_DESC_LEN;

    w->ring_prev = calloc(1, bytes);
    w->ring_before = calloc(1, bytes);
    w->ring_line = calloc(1, bytes);
    w->ring_key = calloc(1, bytes);
    w->ring_base = calloc(1, bytes);
    w->ring_now = calloc(1, bytes);
    w->done_after = calloc(n, sizeof(bool));
    return w->ring_prev && w->ring_before && w->ring_line && w->ring_key &&
           w->ring_base &&
           w->ring_now &&
           w->done_after ? 0 : -1;
}

int e2e_watch_discover(struct e2e_watch *w)
{
    struct e2e_result *r = w->r;
    struct qts *q = w->q;
    int ahci;

    if ( qts_readl(q, ecam(0, 0, PCI_VENDOR_ID)) !=
         ((uint32_t)Q35_HOST_BRIDGE_ID << 16 | PCI_VENDOR_ID_INTEL) )
        return qts_fail(q, "ECAM at 0x%llx does not show q35's host bridge",
                        (unsigned long long)Q35_ECAM_BASE), -1;
    enumerate_bus(q, r, 0, 0);
    w->nic = find_func(r, PCI_VENDOR_ID_INTEL, E1000_82540EM_ID);
    if ( w->nic < 0 )
        return qts_fail(q, "no e1000 (8086:100e) found through ECAM"), -1;
    w->nic_bar = mem_bar(q, &r->func[w->nic], 0);
    r->ring_base = qts_readl(q, w->nic_bar + E1000_RDBAL) |
                   (uint64_t)qts_readl(q, w->nic_bar + E1000_RDBAH) << 32;
    r->ring_size = qts_readl(q, w->nic_bar + E1000_RDLEN) / E1000_DESC_LEN;
    if ( !r->ring_base || !r->ring_size || r->ring_size > E2E_MAX_RING )
        return qts_fail(q, "e1000 receive ring not set up (base 0x%" PRIx64
                        ", %u descriptors)", r->ring_base, r->ring_size), -1;
    ahci = find_func(r, PCI_VENDOR_ID_INTEL, ICH9_AHCI_ID);
    if ( ahci >= 0 )
        w->abar = mem_bar(q, &r->func[ahci], 5);
    if ( w->abar )
        w->clb = qts_readl(q, w->abar + E2E_AHCI_P0CLB) |
                 (uint64_t)qts_readl(q, w->abar + E2E_AHCI_P0CLBU) << 32;
    r->ahci_seen = w->clb != 0;
    w->uart_io = find_uart(q, r);
    if ( !w->uart_io )
        return qts_fail(q, "no serial function (class %04x) with an I/O BAR "
                        "behind a bridge: where is Xen's console?",
                        E2E_UART_CLASS), -1;
    if ( watch_alloc(w, r->ring_size) != 0 )
        return qts_fail(q, "out of memory"), -1;
    return qts_error(q) ? -1 : 0;
}

static bool desc_done(const uint8_t *ring, unsigned int i)
{
    return ring[i * E1000_DESC_LEN + E1000_RXD_STATUS] & E1000_DESC_DD;
}

static uint16_t desc_len(const uint8_t *ring, unsigned int i)
{
    const uint8_t *len = ring + i * E1000_DESC_LEN + E1000_RXD_LENGTH;

    return (uint16_t)(len[0] | len[1] << 8);
}

static uint64_t desc_addr(const uint8_t *ring, unsigned int i)
{
    uint64_t a;

    memcpy(&a, ring + i * E1000_DESC_LEN, 8);
    return a;
}

/* Descriptors done in 'now' but not in 'then'. */
static unsigned long newly_done(const uint8_t *then, const uint8_t *now,
                                unsigned int n)
{
    unsigned long count = 0;

    for ( unsigned int i = 0; i < n; i++ )
        count += !desc_done(then, i) && desc_done(now, i);
    return count;
}

static void read_commands(struct e2e_watch *w, enum e2e_phase ph)
{
    for ( unsigned int i = 0; i < w->r->nr_funcs; i++ )
    {
        struct e2e_func_obs *f = &w->r->func[i];
        uint16_t cmd = qts_readw(w->q, ecam(f->bus, f->devfn, PCI_COMMAND));

        if ( ph == E2E_PH_BEFORE && !w->crash_requested )
            f->before = cmd;
        if ( ph != E2E_PH_BEFORE && !w->have_line )
            f->at_line = cmd;
        if ( ph == E2E_PH_AFTER && !w->have_base )
            f->first_after = cmd;
        else if ( ph == E2E_PH_AFTER && cmd != f->last && !f->changed_after )
        {
            f->changed_after = true;
            f->t_changed = e2e_now_s() - w->t0;
        }
        f->last = cmd;
    }
}

/*
 * AHCI port 0 commands issued (PxCI | PxSACT), read only before the crash
 * line: the crash path turns memory decode off, and the registers are gone.
 */
static void read_ahci(struct e2e_watch *w)
{
    uint32_t issued;

    if ( !w->clb )
        return;
    issued = qts_readl(w->q, w->abar + E2E_AHCI_P0CI) |
             qts_readl(w->q, w->abar + E2E_AHCI_P0SACT);
    w->r->ahci_busy_polls += issued != 0;
    w->r->ahci_inflight = (unsigned int)__builtin_popcount(issued);
    w->issued = issued;
}

static void count_after(struct e2e_watch *w)
{
    struct e2e_result *r = w->r;

    for ( unsigned int i = 0; i < r->ring_size; i++ )
        if ( !w->done_after[i] && !desc_done(w->ring_base, i) &&
             desc_done(w->ring_now, i) )
        {
            w->done_after[i] = true;
            r->desc_after++;
            r->bytes_after += desc_len(w->ring_now, i);
        }
}

static void ahci_mark_base(struct e2e_watch *w);

/*
 * DMA the crash path let through before the disconnect: e1000 descriptors
 * completed between the last poll before the crash request and the first
 * poll that reads the e1000's Bus Master clear (stock Xen: the anchor's
 * first poll, when the disconnect step would have run).  An upper bound:
 * it includes Xen's handling of the debug key and up to one poll each side.
 */
static void count_to_disconnect(struct e2e_watch *w, enum e2e_phase ph)
{
    struct e2e_result *r = w->r;
    bool off = !(r->func[w->nic].last & PCI_COMMAND_MASTER);

    if ( !w->crash_requested )
    {
        memcpy(w->ring_key, w->ring_now, (size_t)r->ring_size * E1000_DESC_LEN);
        w->have_key = true;
        return;
    }
    if ( w->have_disc || !w->have_key ||
         !(off || (ph == E2E_PH_AFTER && !w->have_base)) )
        return;
    w->have_disc = true;
    r->t_disc_seen = e2e_now_s() - w->t0 - r->t_key;
    for ( unsigned int i = 0; i < r->ring_size; i++ )
        if ( !desc_done(w->ring_key, i) && desc_done(w->ring_now, i) )
        {
            r->desc_to_disc++;
            r->bytes_to_disc += desc_len(w->ring_now, i);
        }
}

/* RDH, only while the e1000's memory decode is on (the BAR is gone otherwise). */
static void read_head(struct e2e_watch *w, enum e2e_phase ph)
{
    struct e2e_result *r = w->r;
    long head;

    if ( !(r->func[w->nic].last & PCI_COMMAND_MEMORY) )
        return;
    head = qts_readl(w->q, w->nic_bar + E1000_RDH);
    if ( ph == E2E_PH_BEFORE )
        r->head_before = head;
    else if ( ph == E2E_PH_AFTER && !w->have_base )
        r->head_base = head;
    else if ( ph == E2E_PH_AFTER && r->head_base >= 0 )
        r->head_end = head;
}

/* One look at everything. */
void e2e_watch_poll(struct e2e_watch *w, enum e2e_phase ph, double t_anchor_abs)
{
    struct e2e_result *r = w->r;
    size_t bytes = (size_t)r->ring_size * E1000_DESC_LEN;
    double t_start = e2e_now_s();

    read_commands(w, ph);
    read_head(w, ph);
    qts_memread(w->q, r->ring_base, w->ring_now, bytes);
    if ( ph == E2E_PH_BEFORE )
    {
        read_ahci(w);
        if ( !w->crash_requested )
            r->uart_ier_before = e2e_watch_uart_ier(w);
    }
    else if ( ph == E2E_PH_AFTER && !w->have_base )
        r->uart_ier_after = e2e_watch_uart_ier(w);
    if ( qts_error(w->q) )
        return;

    count_to_disconnect(w, ph);
    if ( ph == E2E_PH_BEFORE )
    {
        if ( w->have_prev )
            r->desc_before += newly_done(w->ring_prev, w->ring_now,
                                         r->ring_size);
        memcpy(w->ring_before, w->ring_now, bytes);
        w->have_before = true;
    }
    if ( ph != E2E_PH_BEFORE && !w->have_line )
        memcpy(w->ring_line, w->ring_now, bytes);
    if ( ph == E2E_PH_AFTER && !w->have_base )
    {
        if ( w->have_before )
            r->desc_window = newly_done(w->ring_before, w->ring_now,
                                        r->ring_size);
        r->desc_in_path = newly_done(w->ring_line, w->ring_now, r->ring_size);
        memcpy(w->ring_base, w->ring_now, bytes);
        w->have_base = true;
        r->first_poll_after = t_start - t_anchor_abs;
        ahci_mark_base(w);
    }
    else if ( ph == E2E_PH_AFTER )
        count_after(w);
    w->have_line = w->have_line || ph != E2E_PH_BEFORE;
    memcpy(w->ring_prev, w->ring_now, bytes);
    w->have_prev = true;
    if ( ph == E2E_PH_AFTER )
    {
        w->polls++;
        w->poll_total += e2e_now_s() - t_start;
    }
}

/*
 * When each function first read what the crash path makes of its COMMAND
 * as last read before the crash line, relative to that line.
 */
void e2e_watch_values(struct e2e_watch *w, struct e2e_policy p, double t_rel)
{
    for ( unsigned int i = 0; i < w->r->nr_funcs; i++ )
    {
        struct e2e_func_obs *f = &w->r->func[i];
        uint16_t value = (uint16_t)((f->before & ~p.clear) | p.set);

        if ( f->t_value < 0 && f->last == value )
            f->t_value = t_rel;
    }
}

void e2e_sector_stamp(uint8_t *p, uint64_t lba)
{
    memcpy(p, E2E_SECTOR_MAGIC, 8);
    memcpy(p + 8, &lba, 8);
}

/* First LBA and sector count of a READ FPDMA QUEUED or READ DMA EXT FIS. */
static bool fis_read(const uint8_t *cfis, uint64_t *lba, unsigned int *count)
{
    if ( cfis[0] != 0x27 || (cfis[2] != 0x60 && cfis[2] != 0x25) )
        return false;
    *lba = 0;
    for ( unsigned int i = 0; i < 6; i++ )
        *lba |= (uint64_t)cfis[i < 3 ? 4 + i : 5 + i] << (8 * i);
    *count = cfis[2] == 0x60 ? (unsigned int)(cfis[3] | cfis[11] << 8)
                             : (unsigned int)(cfis[12] | cfis[13] << 8);
    return true;
}

/*
 * One AHCI command issued at the last poll before the crash line: how many
 * of its bytes are in memory, judged by the stamp at the start of each PRD
 * entry's buffer (at most max_prd entries).  *asked: the command's length.
 */
static unsigned long ahci_slot_landed(struct e2e_watch *w, unsigned int slot,
                                      unsigned int max_prd, unsigned long *asked)
{
    uint8_t hdr[E2E_AHCI_HDR_SIZE], cfis[64], prd[16], head[16], want[16];
    uint64_t ctba, lba, off = 0;
    unsigned int prdtl, count;
    unsigned long landed = 0;

    *asked = 0;
    qts_memread(w->q, w->clb + slot * E2E_AHCI_HDR_SIZE, hdr, sizeof(hdr));
    memcpy(&ctba, hdr + 8, 8);
    prdtl = hdr[2] | hdr[3] << 8;
    qts_memread(w->q, ctba, cfis, sizeof(cfis));
    if ( qts_error(w->q) || !fis_read(cfis, &lba, &count) )
        return 0;
    for ( unsigned int i = 0; i < prdtl && i < max_prd; i++ )
    {
        uint64_t dba;
        uint32_t dbc;

        qts_memread(w->q, ctba + 0x80 + 16 * i, prd, sizeof(prd));
        memcpy(&dba, prd, 8);
        memcpy(&dbc, prd + 12, 4);
        dbc = (dbc & 0x3fffff) + 1;
        qts_memread(w->q, dba, head, sizeof(head));
        e2e_sector_stamp(want, lba + off / 512);
        if ( !memcmp(head, want, sizeof(want)) )
            landed += dbc;
        off += dbc;
    }
    *asked = (unsigned long)count * 512;
    return landed;
}

/*
 * At the anchor's first poll: which in-flight commands already landed.
 * QEMU lands a (throttled) read all at once, so the first PRD entry tells.
 */
static void ahci_mark_base(struct e2e_watch *w)
{
    unsigned long asked;

    for ( unsigned int slot = 0; slot < E2E_AHCI_SLOTS && w->clb; slot++ )
        if ( (w->issued & (1u << slot)) &&
             ahci_slot_landed(w, slot, 1, &asked) )
            w->landed_at_base |= 1u << slot;
}

/* At the end: every in-flight command, every PRD entry. */
void e2e_ahci_check(struct e2e_watch *w)
{
    struct e2e_result *r = w->r;

    for ( unsigned int slot = 0; slot < E2E_AHCI_SLOTS && w->clb; slot++ )
    {
        unsigned long asked, landed;

        if ( !(w->issued & (1u << slot)) )
            continue;
        landed = ahci_slot_landed(w, slot, E2E_AHCI_MAX_PRD, &asked);
        r->ahci_bytes += asked;
        r->ahci_bytes_landed += landed;
        r->ahci_landed += landed != 0;
        if ( landed && !(w->landed_at_base & (1u << slot)) )
        {
            r->ahci_landed_after++;
            r->ahci_bytes_after += landed;
        }
    }
}

static int64_t buffer_seq(struct e2e_watch *w, uint64_t addr)
{
    uint8_t head[26];
    uint32_t seq;

    if ( !addr )
        return -1;
    qts_memread(w->q, addr, head, sizeof(head));
    if ( qts_error(w->q) || memcmp(head, e2e_nic_mac, 6) ||
         head[12] != E2E_FRAME_TYPE >> 8 || head[13] != (E2E_FRAME_TYPE & 0xff) ||
         memcmp(head + 14, E2E_FRAME_MAGIC, 8) )
        return -1;
    memcpy(&seq, head + 22, 4);
    return seq;
}

/*
 * Every buffer the ring names, read from memory at the end: how many hold
 * one of our frames numbered at or after the anchor (sent after the
 * harness read the anchor line, so written after it).  The ring as seen at
 * the first poll after the anchor and at the end goes to 'dump' (one line
 * per descriptor), the evidence behind the counts.
 */
void e2e_scan_buffers(struct e2e_watch *w, FILE *dump)
{
    struct e2e_result *r = w->r;

    if ( dump )
        fprintf(dump, "# seq_at_anchor %lu (%s)\n# desc addr status_first_after "
                "status_end len_end done_after buffer_seq\n", r->seq_at_anchor,
                r->anchor);
    for ( unsigned int i = 0; i < r->ring_size; i++ )
    {
        uint64_t addr = desc_addr(w->ring_now, i);
        int64_t seq = buffer_seq(w, addr);

        if ( qts_error(w->q) )
            return;
        if ( dump )
            fprintf(dump, "%u 0x%" PRIx64 " 0x%02x 0x%02x %u %d %" PRId64 "\n", i,
                    addr, w->ring_base[i * E1000_DESC_LEN + E1000_RXD_STATUS],
                    w->ring_now[i * E1000_DESC_LEN + E1000_RXD_STATUS],
                    desc_len(w->ring_now, i),
                    w->done_after[i], seq);
        if ( seq >= 0 && (uint64_t)seq >= r->seq_at_anchor )
        {
            r->frames_late++;
            r->frames_late_bytes += E2E_FRAME_LEN;
        }
    }
}

void e2e_watch_free(struct e2e_watch *w)
{
    free(w->ring_prev);
    free(w->ring_before);
    free(w->ring_line);
    free(w->ring_key);
    free(w->ring_base);
    free(w->ring_now);
    free(w->done_after);
}
