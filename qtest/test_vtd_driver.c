/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VT-d driver (sim/dev/vtd.h) against QEMU 7.2's intel-iommu, with
 * real e1000s (sim/dev/e1000.h) receiving frames.
 *
 * Layout (guest-physical, -m 256M): each NIC's rings and buffers are
 * allocated at HIGH_BASE (192 MiB); the NIC is given LOW I/O virtual
 * addresses (the same offsets from LOW_BASE, 1 MiB) through the driver's
 * DMA hook, and the IOMMU maps those to the high pages.  The low region
 * is filled with the guard pattern and compared byte by byte, like the
 * simulator's guarded "low memory" and "kdump" regions.  On the NICs
 * marked faulty, RX descriptor FAULTY_DESC points at UNMAPPED_IOVA, inside
 * the low region and never mapped.
 *
 * Each test starts its own QEMU and leaves none behind.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/pattern.h"
#include "dev/e1000.h"
#include "dev/e1000_regs.h"
#include "dev/vtd.h"
#include "pci/galloc.h"
#include "pci/pci_regs.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

/* --- layout -------------------------------------------------------------- */

#define TABLES          UINT64_C(0x00800000)   /* VT-d tables, 64 pages */
#define TABLES_SIZE     UINT64_C(0x00040000)
#define LOW_BASE        UINT64_C(0x00100000)   /* guarded low region */
#define LOW_SIZE        UINT64_C(0x00200000)
#define HIGH_BASE       UINT64_C(0x0c000000)   /* where the buffers are */
#define HIGH_SIZE       (LOW_SIZE - UINT64_C(0x10000))
#define UNMAPPED_IOVA   (LOW_BASE + HIGH_SIZE) /* low, never mapped */

#define FAULTY_DESC     1       /* its buffer IOVA is UNMAPPED_IOVA */
#define SEED            42      /* guard pattern and frame contents */
#define MAX_NICS        4

#define WAIT_MS         4000    /* e1000 starts after ~1 s */
#define QUIET_MS        1500    /* "nothing happens" window */

struct nic {
    struct e1000_dev dev;
    bool faulty;
    int func;                   /* index in the bus table */
};

/* One QEMU: its bus, guest memory above HIGH_BASE, the unit, the NICs. */
struct testbed {
    struct qts *q;
    struct qpci_bus bus;
    struct galloc *g;
    struct vtd *v;
    int dom;
    unsigned int nr_nics;
    struct nic nic[MAX_NICS];
    char netdev[MAX_NICS][512];
    char device[MAX_NICS][160];
    uint8_t low[LOW_SIZE];      /* what the low region must hold */
};

static void tb_check(struct testbed *tb)
{
    const char *err = qts_error(tb->q);

    if (err)
        fail_msg("%s", err);
}

/* --- addresses ----------------------------------------------------------- */

static uint64_t iova_of(uint64_t phys)
{
    return LOW_BASE + (phys - HIGH_BASE);
}

/* The DMA hook the NICs are set up with: the low IOVA of a high page. */
static uint64_t nic_bus_addr(void *ctx, uint64_t phys)
{
    const struct nic *n = ctx;

    if (n->faulty &&
        phys == n->dev.rx_bufs + (uint64_t)FAULTY_DESC * E1000_RX_BUF)
        return UNMAPPED_IOVA;
    return iova_of(phys);
}

static uint64_t ring_iova(const struct nic *n)
{
    return iova_of(n->dev.rx_ring);
}

static uint64_t buf_iova(const struct nic *n, unsigned int i)
{
    return iova_of(n->dev.rx_bufs + (uint64_t)i * E1000_RX_BUF);
}

static uint64_t high_ring(const struct nic *n)
{
    return n->dev.rx_ring;
}

static uint64_t high_buf(const struct nic *n, unsigned int i)
{
    return n->dev.rx_bufs + (uint64_t)i * E1000_RX_BUF;
}

/* --- the NICs ------------------------------------------------------------ */

/* NIC k's QEMU arguments; where: "e1000,bus=...,addr=...". */
static void nic_args(struct testbed *tb, unsigned int k, const char *where)
{
    char name[E1000_NAME_LEN], extra[64];

    snprintf(name, sizeof(name), "e1000_%u", k);
    assert_int_equal(e1000_qemu_args(name, k, qts_tmpdir(tb->q),
                                     tb->netdev[k], sizeof(tb->netdev[k]),
                                     extra, sizeof(extra)), 0);
    snprintf(tb->device[k], sizeof(tb->device[k]), "%s%s", where, extra);
    tb->nr_nics = k + 1;
}

/* NIC k at bdf: driver opened and set up (rings programmed, RX on). */
static void nic_setup(struct testbed *tb, unsigned int k, uint32_t bdf,
                      bool faulty)
{
    struct nic *n = &tb->nic[k];
    struct dma_hook hook = { nic_bus_addr, n };
    char name[E1000_NAME_LEN];

    n->func = qpci_find(&tb->bus, bdf);
    if (n->func < 0)
        fail_msg("no function at %02x:%02x.%x", bdf >> 8, (bdf >> 3) & 0x1f,
                 bdf & 7);
    snprintf(name, sizeof(name), "e1000_%u", k);
    e1000_open(&n->dev, tb->q, E1000_82540EM, name, k, SEED);
    n->faulty = faulty;
    e1000_setup(&n->dev, &tb->bus, n->func, tb->g, &hook);
    tb_check(tb);
}

static void map_pages(struct testbed *tb, uint64_t phys, uint64_t len)
{
    uint64_t pages = (len + VTD_PAGE - 1) & ~(VTD_PAGE - 1);

    vtd_map(tb->v, tb->dom, iova_of(phys), phys, pages, VTD_PERM_RW);
}

/* Every ring and buffer of NIC k at its low IOVA (UNMAPPED_IOVA aside). */
static void nic_map(struct testbed *tb, unsigned int k)
{
    struct e1000_ranges r;

    e1000_ranges(&tb->nic[k].dev, &r);
    assert_true(iova_of(r.tx_bufs + r.tx_bufs_len) <= UNMAPPED_IOVA);
    map_pages(tb, r.rx_ring, r.rx_ring_len);
    map_pages(tb, r.rx_bufs, r.rx_bufs_len);
    map_pages(tb, r.tx_ring, r.tx_ring_len);
    map_pages(tb, r.tx_bufs, r.tx_bufs_len);
    tb_check(tb);
}

/* One frame to NIC k; the harness socket must take it. */
static void nic_send(struct testbed *tb, unsigned int k)
{
    struct e1000_dev *d = &tb->nic[k].dev;
    unsigned int before = d->frames_sent;

    assert_int_equal(e1000_send_frame(d), 0);
    assert_int_equal(d->frames_sent, before + 1);
}

static uint8_t desc_status(struct testbed *tb, uint64_t ring, unsigned int i)
{
    return qts_readb(tb->q, ring + (uint64_t)E1000_DESC_LEN * i +
                            E1000_RXD_STATUS);
}

/* Wait for descriptor i of the ring at ring (physical) to show DD. */
static bool wait_dd(struct testbed *tb, uint64_t ring, unsigned int i,
                    unsigned int ms)
{
    uint64_t end = clock_ms_u64() + ms;

    do {
        if (desc_status(tb, ring, i) & E1000_DESC_DD)
            return true;
        tb_check(tb);
        clock_sleep_ms(10);
    } while (clock_ms_u64() < end);
    return false;
}

/* Does addr hold frame number seq of NIC k? */
static bool buf_holds_frame(struct testbed *tb, uint64_t addr,
                            unsigned int k, unsigned int seq)
{
    uint8_t want[E1000_FRAME_LEN], got[E1000_FRAME_LEN];

    e1000_frame_bytes(SEED, tb->nic[k].dev.index, seq, want, sizeof(want));
    qts_memread(tb->q, addr, got, sizeof(got));
    tb_check(tb);
    return memcmp(want, got, sizeof(got)) == 0;
}

/* --- the guarded low region ---------------------------------------------- */

static void low_fill(struct testbed *tb)
{
    pattern_fill(SEED, PATTERN_GUARD, LOW_BASE, tb->low, LOW_SIZE);
    qts_memwrite(tb->q, LOW_BASE, tb->low, LOW_SIZE);
    tb_check(tb);
}

struct diff {
    uint64_t changed;
    uint64_t first, last;   /* offsets of the first and last changed byte */
};

static struct diff low_diff(struct testbed *tb)
{
    static uint8_t now[LOW_SIZE];
    struct diff d = { 0, 0, 0 };
    size_t i;

    qts_memread(tb->q, LOW_BASE, now, LOW_SIZE);
    tb_check(tb);
    for (i = 0; i < LOW_SIZE; i++) {
        if (now[i] == tb->low[i])
            continue;
        if (d.changed++ == 0)
            d.first = i;
        d.last = i;
    }
    return d;
}

/* Wait until some low byte changed, or ms passed. */
static struct diff wait_low_change(struct testbed *tb, unsigned int ms)
{
    uint64_t end = clock_ms_u64() + ms;
    struct diff d;

    do {
        d = low_diff(tb);
        if (d.changed)
            break;
        clock_sleep_ms(50);
    } while (clock_ms_u64() < end);
    return d;
}

/* --- set-up and teardown ------------------------------------------------- */

static struct testbed *tb_new(void **state)
{
    struct testbed *tb = calloc(1, sizeof(*tb));
    unsigned int k;

    assert_non_null(tb);
    *state = tb;
    for (k = 0; k < MAX_NICS; k++)
        tb->nic[k].dev.sock = -1;   /* e1000_close: nothing to close */
    tb->q = qts_new(NULL);
    assert_non_null(tb->q);
    tb_check(tb);
    return tb;
}

/* QEMU with extra, the bus enumerated and assigned, galloc above HIGH. */
static void tb_start(struct testbed *tb, const char *const *extra)
{
    qts_start(tb->q, extra);
    qpci_init(&tb->bus, tb->q, 0);
    qpci_enumerate(&tb->bus);
    qpci_assign(&tb->bus);
    tb_check(tb);
    tb->g = galloc_new(HIGH_BASE, HIGH_BASE + HIGH_SIZE);
    assert_non_null(tb->g);
}

/* VT-d driver on the unit, one domain (id 1). */
static void tb_vtd(struct testbed *tb)
{
    tb->v = vtd_new(tb->q, VTD_BASE, TABLES, TABLES_SIZE);
    tb_check(tb);
    assert_non_null(tb->v);
    tb->dom = vtd_domain_new(tb->v, 1);
    tb_check(tb);
}

static int tb_teardown(void **state)
{
    struct testbed *tb = *state;
    unsigned int k;

    if (tb == NULL)
        return 0;
    for (k = 0; k < tb->nr_nics; k++)
        e1000_close(&tb->nic[k].dev);
    vtd_free(tb->v);
    if (tb->g)
        galloc_destroy(tb->g);
    qts_close(tb->q);
    free(tb);
    *state = NULL;
    return 0;
}

/* One faulty e1000 at 00:02.0 behind the IOMMU, mapped, translation on. */
static struct testbed *tb_one_nic(void **state)
{
    struct testbed *tb = tb_new(state);
    const char *argv[8];

    nic_args(tb, 0, "e1000,addr=0x02.0");
    argv[0] = "-device";
    argv[1] = "intel-iommu";
    argv[2] = "-netdev";
    argv[3] = tb->netdev[0];
    argv[4] = "-device";
    argv[5] = tb->device[0];
    argv[6] = NULL;
    tb_start(tb, argv);
    tb_vtd(tb);
    nic_setup(tb, 0, 0x02 << 3, true);
    nic_map(tb, 0);
    vtd_attach(tb->v, (uint16_t)tb->nic[0].dev.sbdf, tb->dom);
    vtd_enable(tb->v);
    tb_check(tb);
    assert_true(vtd_translation_on(tb->v));
    low_fill(tb);
    return tb;
}

/* Frame 0 through translation: lands high, low region untouched. */
static void first_frame_translated(struct testbed *tb)
{
    nic_send(tb, 0);
    assert_true(wait_dd(tb, high_ring(&tb->nic[0]), 0, WAIT_MS));
    assert_true(buf_holds_frame(tb, high_buf(&tb->nic[0], 0), 0, 0));
    assert_int_equal(low_diff(tb).changed, 0);
}

/* --- the unit ------------------------------------------------------------ */

/* CAP/ECAP as QEMU 7.2 reports them pass the driver's checks. */
static void test_unit_passes_checks_and_translation_toggles(void **state)
{
    struct testbed *tb = tb_new(state);
    const char *argv[] = { "-device", "intel-iommu", NULL };

    tb_start(tb, argv);
    tb_vtd(tb);
    print_message("vtd: CAP 0x%016" PRIx64 " ECAP 0x%016" PRIx64
                  " fault records %u\n", vtd_cap(tb->v), vtd_ecap(tb->v),
                  vtd_nr_fault_records(tb->v));
    assert_true(vtd_nr_fault_records(tb->v) >= 1);
    assert_false(vtd_translation_on(tb->v));
    vtd_enable(tb->v);
    tb_check(tb);
    assert_true(vtd_translation_on(tb->v));
    vtd_disable_translation(tb->v);
    tb_check(tb);
    assert_false(vtd_translation_on(tb->v));
}

/* Negative control of the checks: no intel-iommu, a clear sticky error. */
static void test_missing_unit_is_a_sticky_error(void **state)
{
    struct testbed *tb = tb_new(state);

    tb_start(tb, NULL);
    tb->v = vtd_new(tb->q, VTD_BASE, TABLES, TABLES_SIZE);
    assert_null(tb->v);
    assert_non_null(qts_error(tb->q));
    print_message("vtd: without the IOMMU: %s\n", qts_error(tb->q));
    assert_non_null(strstr(qts_error(tb->q), "no VT-d unit"));
}

/* --- translation on, then off -------------------------------------------- */

/*
 * Translation on: the frame lands at the high pages, the low region stays
 * as it was; a frame into the buffer whose IOVA has no mapping is dropped
 * and recorded as a write fault of that IOVA by the NIC.
 */
static void test_unmapped_iova_is_a_write_fault_record(void **state)
{
    struct testbed *tb = tb_one_nic(state);
    struct vtd_fault f[4];
    char line[160];
    bool overflow;
    int n;

    first_frame_translated(tb);
    assert_int_equal(vtd_faults_collect(tb->v, f, 4, &overflow), 0);
    nic_send(tb, 0);
    assert_true(wait_dd(tb, high_ring(&tb->nic[0]), FAULTY_DESC, WAIT_MS));
    n = vtd_faults_collect(tb->v, f, 4, &overflow);
    tb_check(tb);
    assert_int_equal(n, 1);
    print_message("vtd: fault: %s\n", vtd_fault_format(&f[0], line,
                                                       sizeof(line)));
    assert_int_equal(f[0].source_id, tb->nic[0].dev.sbdf);
    assert_int_equal(f[0].addr, UNMAPPED_IOVA);
    assert_false(f[0].is_read);
    assert_int_equal(f[0].reason, 0x5);
    assert_false(overflow);
    assert_int_equal(low_diff(tb).changed, 0);
}

/*
 * Translation off (Xen's crash shutdown) without a disconnect: the next
 * descriptor write-back lands at the ring's IOVA taken as a physical
 * address, in the low region, and nothing reaches the high ring.
 */
static void test_translation_off_lands_descriptor_at_iova_as_physical(
    void **state)
{
    struct testbed *tb = tb_one_nic(state);
    uint64_t desc = ring_iova(&tb->nic[0]) + E1000_DESC_LEN;
    struct diff d;

    first_frame_translated(tb);
    vtd_crash_shutdown(tb->v);
    tb_check(tb);
    assert_false(vtd_translation_on(tb->v));
    nic_send(tb, 0);
    d = wait_low_change(tb, WAIT_MS);
    print_message("vtd: translation off, no disconnect: %" PRIu64
                  " low bytes changed in [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
                  d.changed, LOW_BASE + d.first, LOW_BASE + d.last);
    /* Descriptor 1's write-back, and nothing else. */
    assert_true(d.changed > 0);
    assert_true(LOW_BASE + d.first >= desc);
    assert_true(LOW_BASE + d.last < desc + E1000_DESC_LEN);
    assert_false(desc_status(tb, high_ring(&tb->nic[0]), 1) &
                 E1000_DESC_DD);
}

/*
 * The buffer itself: a NIC that fetched its next descriptor before the
 * crash (real e1000s prefetch; QEMU's reads it at each frame) writes the
 * frame to the buffer IOVA taken as a physical address.  The test puts that
 * descriptor in low memory at the ring's IOVA, where QEMU fetches it from
 * once translation is off.
 */
static void test_translation_off_lands_frame_at_buffer_iova_as_physical(
    void **state)
{
    struct testbed *tb = tb_one_nic(state);
    uint64_t low_desc = ring_iova(&tb->nic[0]) +
                        (uint64_t)E1000_DESC_LEN * FAULTY_DESC;
    uint64_t low_buf = buf_iova(&tb->nic[0], 3);
    struct vtd_fault f[2];
    struct diff d;

    first_frame_translated(tb);
    vtd_crash_shutdown(tb->v);
    tb_check(tb);
    /* The descriptor as a driver that ran identity-mapped would have it. */
    qts_writeq(tb->q, low_desc, low_buf);
    qts_writeq(tb->q, low_desc + 8, 0);
    memset(tb->low + (low_desc - LOW_BASE), 0, E1000_DESC_LEN);
    memcpy(tb->low + (low_desc - LOW_BASE), &low_buf, sizeof(low_buf));
    tb_check(tb);
    nic_send(tb, 0);
    assert_true(wait_dd(tb, ring_iova(&tb->nic[0]), FAULTY_DESC, WAIT_MS));
    assert_true(buf_holds_frame(tb, low_buf, 0, 1));
    d = low_diff(tb);
    print_message("vtd: frame at low 0x%" PRIx64 ": %" PRIu64
                  " low bytes changed in [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
                  low_buf, d.changed, LOW_BASE + d.first, LOW_BASE + d.last);
    assert_true(d.changed >= E1000_FRAME_LEN / 2);
    assert_int_equal(vtd_faults_collect(tb->v, f, 2, NULL), 0);
}

/*
 * The seed's remedy: COMMAND = 0x0400 (Bus Master off, INTx masked) before
 * translation goes off.  Frames sent after it stay queued in QEMU; memory
 * stays as it was for the whole window.
 */
static void test_bus_master_off_first_keeps_memory_unchanged(void **state)
{
    struct testbed *tb = tb_one_nic(state);
    struct diff d;

    first_frame_translated(tb);
    qpci_cfg_write16(&tb->bus, tb->nic[0].dev.sbdf, PCI_COMMAND,
                     PCI_COMMAND_DISABLE_INTx);
    vtd_crash_shutdown(tb->v);
    tb_check(tb);
    nic_send(tb, 0);
    nic_send(tb, 0);
    clock_sleep_ms(QUIET_MS);
    d = low_diff(tb);
    print_message("vtd: COMMAND=0x0400 then translation off: %" PRIu64
                  " low bytes changed in %d ms\n", d.changed, QUIET_MS);
    assert_int_equal(d.changed, 0);
    assert_false(desc_status(tb, high_ring(&tb->nic[0]), 1) &
                 E1000_DESC_DD);
    assert_false(desc_status(tb, high_ring(&tb->nic[0]), 2) &
                 E1000_DESC_DD);
}

/* --- requester IDs behind bridges ---------------------------------------- */

/*
 * Measured with four e1000s:
 *   00:03.0 pci-bridge            -> e1000 at 01:00.0
 *   00:04.0 pcie-root-port        -> e1000 at 02:00.0
 *   00:05.0 pcie-root-port -> 03:00.0 pcie-pci-bridge -> e1000 at 04:01.0
 *   00:06.0 pci-bridge -> 05:01.0 pci-bridge -> e1000 at 06:02.0
 * (bus numbers from qpci's depth-first enumeration).
 */
static const char *const bridge_topology[] = {
    "-device", "intel-iommu",
    "-device", "pci-bridge,id=br0,chassis_nr=1,addr=0x03.0",
    "-device", "pcie-root-port,id=rp0,chassis=2,slot=0,addr=0x04.0",
    "-device", "pcie-root-port,id=rp1,chassis=3,slot=0,addr=0x05.0",
    "-device", "pcie-pci-bridge,id=pb0,bus=rp1,addr=0x00.0",
    "-device", "pci-bridge,id=br1,chassis_nr=4,addr=0x06.0",
    "-device", "pci-bridge,id=br2,chassis_nr=5,bus=br1,addr=0x01.0",
};

#define BRIDGE_NICS 4

static const uint32_t bridge_nic_bdf[BRIDGE_NICS] = {
    0x0100, 0x0200, 0x0408, 0x0610,
};
/* Own ID behind the root port; the topmost conventional bridge wins. */
static const uint16_t bridge_nic_rid[BRIDGE_NICS] = {
    0x0018, 0x0200, 0x0400, 0x0030,
};
static const unsigned int aliased[] = { 0, 2, 3 };

#define NR_ALIASED  (sizeof(aliased) / sizeof(aliased[0]))

static void bridge_start(struct testbed *tb)
{
    static const char *const where[BRIDGE_NICS] = {
        "e1000,bus=br0,addr=0x00.0",
        "e1000,bus=rp0,addr=0x00.0",
        "e1000,bus=pb0,addr=0x01.0",
        "e1000,bus=br2,addr=0x02.0",
    };
    const char *argv[32];
    unsigned int k, argc = 0;

    for (k = 0; k < sizeof(bridge_topology) / sizeof(bridge_topology[0]); k++)
        argv[argc++] = bridge_topology[k];
    for (k = 0; k < BRIDGE_NICS; k++) {
        nic_args(tb, k, where[k]);
        argv[argc++] = "-netdev";
        argv[argc++] = tb->netdev[k];
        argv[argc++] = "-device";
        argv[argc++] = tb->device[k];
    }
    argv[argc] = NULL;
    tb_start(tb, argv);
}

/* Send one frame to NIC k and return the faults it caused (0 or 1). */
static int frame_fault(struct testbed *tb, unsigned int k, struct vtd_fault *f)
{
    uint64_t end;
    int n = 0;

    nic_send(tb, k);
    end = clock_ms_u64() + WAIT_MS;
    while (n == 0 && clock_ms_u64() < end) {
        clock_sleep_ms(10);
        n = vtd_faults_collect(tb->v, f, 1, NULL);
    }
    tb_check(tb);
    return n;
}

/*
 * Each NIC gets a context entry for its own ID only: behind the root port
 * that is the ID QEMU uses; behind a conventional bus the fault record
 * names the alias vtd_requester_id() predicted.
 */
static void own_ids_only(struct testbed *tb)
{
    struct vtd_fault f[2];
    char line[160];
    unsigned int a, k;

    nic_send(tb, 1);
    assert_true(wait_dd(tb, high_ring(&tb->nic[1]), 0, WAIT_MS));
    assert_true(buf_holds_frame(tb, high_buf(&tb->nic[1], 0), 1, 0));
    assert_int_equal(vtd_faults_collect(tb->v, f, 1, NULL), 0);
    for (a = 0; a < NR_ALIASED; a++) {
        k = aliased[a];
        assert_int_equal(frame_fault(tb, k, f), 1);
        print_message("vtd: e1000 at %02x:%02x.%x, context for its own ID "
                      "only: %s\n", bridge_nic_bdf[k] >> 8,
                      (bridge_nic_bdf[k] >> 3) & 0x1f, bridge_nic_bdf[k] & 7,
                      vtd_fault_format(&f[0], line, sizeof(line)));
        assert_int_equal(f[0].source_id, bridge_nic_rid[k]);
        assert_true(f[0].is_read);      /* the descriptor fetch */
    }
}

/*
 * Aliases attached: the next frames are translated.  (Measured: a frame
 * whose descriptor fetch faulted is dropped without RDH moving, so the
 * next one takes the descriptor at RDH, read here.)
 */
static void aliases_attached(struct testbed *tb)
{
    struct vtd_fault f[2];
    unsigned int a, k, rdh;

    vtd_attach_all(tb->v, &tb->bus, tb->dom);
    for (a = 0; a < NR_ALIASED; a++) {
        k = aliased[a];
        rdh = qts_readl(tb->q, tb->nic[k].dev.mmio + E1000_RDH);
        tb_check(tb);
        assert_true(rdh < E1000_RX_DESCS);
        nic_send(tb, k);
        assert_true(wait_dd(tb, high_ring(&tb->nic[k]), rdh, WAIT_MS));
        assert_true(buf_holds_frame(tb, high_buf(&tb->nic[k], rdh), k, 1));
    }
    assert_int_equal(vtd_faults_collect(tb->v, f, 2, NULL), 0);
    assert_int_equal(low_diff(tb).changed, 0);
    print_message("vtd: aliases attached: frames translated, no fault, "
                  "low region unchanged (%u table pages)\n",
                  (unsigned int)(vtd_table_bytes(tb->v) / VTD_PAGE));
}

static void test_bridge_requester_ids_are_predicted_and_attachable(
    void **state)
{
    struct testbed *tb = tb_new(state);
    unsigned int k;

    bridge_start(tb);
    tb_vtd(tb);
    for (k = 0; k < BRIDGE_NICS; k++) {
        nic_setup(tb, k, bridge_nic_bdf[k], false);
        assert_int_equal(vtd_requester_id(&tb->bus, tb->nic[k].func),
                         bridge_nic_rid[k]);
        nic_map(tb, k);
        vtd_attach(tb->v, (uint16_t)bridge_nic_bdf[k], tb->dom);
    }
    vtd_enable(tb->v);
    low_fill(tb);
    own_ids_only(tb);
    aliases_attached(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(
            test_unit_passes_checks_and_translation_toggles, tb_teardown),
        cmocka_unit_test_teardown(test_missing_unit_is_a_sticky_error,
                                  tb_teardown),
        cmocka_unit_test_teardown(test_unmapped_iova_is_a_write_fault_record,
                                  tb_teardown),
        cmocka_unit_test_teardown(
            test_translation_off_lands_descriptor_at_iova_as_physical,
            tb_teardown),
        cmocka_unit_test_teardown(
            test_translation_off_lands_frame_at_buffer_iova_as_physical,
            tb_teardown),
        cmocka_unit_test_teardown(
            test_bus_master_off_first_keeps_memory_unchanged, tb_teardown),
        cmocka_unit_test_teardown(
            test_bridge_requester_ids_are_predicted_and_attachable,
            tb_teardown),
    };

    return cmocka_run_group_tests_name("vtd_driver", tests, NULL, NULL);
}
