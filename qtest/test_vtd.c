/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VT-d scenarios on QEMU's intel-iommu with a real e1000 receiving frames:
 * the driver in sim/dev/vtd.c against what QEMU 7.2 does.
 *
 * Layout (guest-physical, -m 256M): the NIC is programmed with LOW I/O
 * virtual addresses (ring at 1 MiB, buffers just above) that the IOMMU maps
 * to HIGH physical pages (192 MiB); the low megabyte at 1 MiB is filled with
 * a pattern and compared byte by byte, like the simulator's guarded "low
 * memory" and "kdump" regions.
 *
 * Each test starts its own QEMU.  The e1000 programming here is the least
 * that receives frames (MAC, one RX ring, RCTL), kept local so that these
 * tests depend on nothing but qts and the VT-d driver.
 *
 * The second half runs build/crashsim on IOMMU topologies as users do (the
 * VT-d issue's comparison): policy none must corrupt the low memory and
 * kdump regions (negative control: else the harness is blind), seed and
 * pcidc nothing beyond in-flight AHCI reads, iommu-on only the crash
 * state; a fault probe must show up as a fault record, and not without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crashsim_run.h"
#include "dev/vtd.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

/* --- layout ---------------------------------------------------------------- */

#define TABLES          UINT64_C(0x00800000)   /* VT-d tables, 64 pages */
#define TABLES_SIZE     UINT64_C(0x00040000)
#define LOW_BASE        UINT64_C(0x00100000)   /* guarded low region */
#define LOW_SIZE        UINT64_C(0x00100000)
#define RING_IOVA       UINT64_C(0x00100000)   /* inside the low region */
#define BUF_IOVA        UINT64_C(0x00110000)
#define UNMAPPED_IOVA   UINT64_C(0x001f0000)   /* inside it too, never mapped */
#define HIGH_RING       UINT64_C(0x0c000000)   /* what the IOVAs map to */
#define HIGH_BUF        UINT64_C(0x0c010000)
#define NIC_STRIDE      UINT64_C(0x00040000)   /* NIC k: everything + k * 256 KiB */

#define RX_DESCS        16              /* RDLEN multiple of 128 bytes */
#define RX_BUF          2048            /* RCTL.BSIZE 00 */
#define FRAME_LEN       192
#define FAULTY_DESC     1               /* its buffer IOVA is unmapped */

#define MMIO0           UINT64_C(0xc0000000)   /* BAR0, when set by hand */

#define WAIT_MS         4000            /* e1000 starts after ~1 s */
#define QUIET_MS        1500            /* "nothing happens" window */

/* e1000 registers */
#define E_CTRL          0x0000
#define E_RCTL          0x0100
#define E_RDBAL         0x2800
#define E_RDBAH         0x2804
#define E_RDLEN         0x2808
#define E_RDH           0x2810
#define E_RDT           0x2818
#define E_RAL0          0x5400
#define E_RAH0          0x5404
#define CTRL_SLU        (1u << 6)
#define RCTL_EN         (1u << 1)
#define RCTL_UPE        (1u << 3)
#define RCTL_MPE        (1u << 4)
#define RCTL_BAM        (1u << 15)
#define RCTL_SECRC      (1u << 26)
#define RXD_DD          0x01

#define PCI_COMMAND     0x04
#define CMD_MEM         0x0002
#define CMD_MASTER      0x0004
#define CMD_INTX_OFF    0x0400

/* --- small helpers ----------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Legacy config mechanism; enough for the fixed slots used here. */
static uint32_t cfg_addr(uint32_t bdf, unsigned int reg)
{
    return 0x80000000u | bdf << 8 | (reg & 0xfc);
}

static uint32_t cfg_read32(struct qts *q, uint32_t bdf, unsigned int reg)
{
    qts_outl(q, 0xcf8, cfg_addr(bdf, reg));
    return qts_inl(q, 0xcfc);
}

static void cfg_write16(struct qts *q, uint32_t bdf, unsigned int reg,
                        uint16_t v)
{
    qts_outl(q, 0xcf8, cfg_addr(bdf, reg));
    qts_outw(q, (uint16_t)(0xcfc + (reg & 2)), v);
}

static void cfg_write32(struct qts *q, uint32_t bdf, unsigned int reg,
                        uint32_t v)
{
    qts_outl(q, 0xcf8, cfg_addr(bdf, reg));
    qts_outl(q, 0xcfc, v);
}

/* Deterministic bytes (xorshift64*). */
static void pattern(uint64_t seed, uint8_t *buf, size_t len)
{
    uint64_t x = seed * 2654435761u + 0x9e3779b97f4a7c15ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1dULL) >> 56);
    }
}

/* --- one NIC ---------------------------------------------------------------- */

struct nic {
    uint32_t bdf;           /* bus << 8 | devfn */
    uint64_t mmio;
    uint64_t iova_off;      /* added to RING_IOVA/BUF_IOVA */
    uint64_t high_off;      /* added to HIGH_RING/HIGH_BUF */
    bool faulty;            /* descriptor FAULTY_DESC has an unmapped IOVA */
    int func;               /* index in a qpci table, when there is one */
    int sock;
    struct sockaddr_un qemu_addr;
    unsigned int sent;
};

struct rig {
    struct qts *q;
    struct vtd *v;
    int dom;
    unsigned int nr_nics;
    struct nic nic[4];
    uint8_t low[LOW_SIZE];  /* what the low region must hold */
    char netdev[4][512];
    char device[4][128];
};

static void rig_fail(struct rig *r)
{
    const char *err = qts_error(r->q);

    if (err)
        fail_msg("%s", err);
}

static uint64_t ring_iova(const struct nic *n)
{
    return RING_IOVA + n->iova_off;
}

static uint64_t buf_iova(const struct nic *n, unsigned int i)
{
    if (n->faulty && i == FAULTY_DESC)
        return UNMAPPED_IOVA;
    return BUF_IOVA + n->iova_off + (uint64_t)i * RX_BUF;
}

static uint64_t high_ring(const struct nic *n)
{
    return HIGH_RING + n->high_off;
}

static uint64_t high_buf(const struct nic *n, unsigned int i)
{
    return HIGH_BUF + n->high_off + (uint64_t)i * RX_BUF;
}

/* Bind the harness end of NIC k's datagram link; fill its QEMU args. */
static void nic_open(struct rig *r, unsigned int k, const char *device)
{
    struct nic *n = &r->nic[k];
    struct sockaddr_un me = { .sun_family = AF_UNIX };
    char qpath[sizeof(me.sun_path)], hpath[sizeof(me.sun_path)];
    char qname[16], hname[16];

    snprintf(qname, sizeof(qname), "nic%u.q", k);
    snprintf(hname, sizeof(hname), "nic%u.h", k);
    assert_non_null(qts_path(r->q, qname, qpath, sizeof(qpath)));
    assert_non_null(qts_path(r->q, hname, hpath, sizeof(hpath)));
    n->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(n->sock >= 0);
    strcpy(me.sun_path, hpath);
    assert_int_equal(bind(n->sock, (struct sockaddr *)&me, sizeof(me)), 0);
    n->qemu_addr.sun_family = AF_UNIX;
    strcpy(n->qemu_addr.sun_path, qpath);
    snprintf(r->netdev[k], sizeof(r->netdev[k]),
             "dgram,id=n%u,local.type=unix,local.path=%s,"
             "remote.type=unix,remote.path=%s", k, qpath, hpath);
    snprintf(r->device[k], sizeof(r->device[k]), "%s,netdev=n%u,"
             "mac=52:54:00:12:34:%02x", device, k, 0x56 + k);
    r->nr_nics = k + 1;
}

/* Frame number seq for NIC k: Ethernet header then pattern bytes. */
static void frame_bytes(unsigned int k, unsigned int seq, uint8_t *f)
{
    static const uint8_t head[14] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0xb5,
    };

    memcpy(f, head, sizeof(head));
    pattern(1000 + 100 * k + seq, f + sizeof(head), FRAME_LEN - sizeof(head));
}

static void nic_send(struct rig *r, unsigned int k)
{
    struct nic *n = &r->nic[k];
    uint8_t f[FRAME_LEN];
    ssize_t sent;

    frame_bytes(k, n->sent, f);
    sent = sendto(n->sock, f, sizeof(f), 0,
                  (struct sockaddr *)&n->qemu_addr, sizeof(n->qemu_addr));
    if (sent != (ssize_t)sizeof(f))
        fail_msg("sendto %s: %s", n->qemu_addr.sun_path, strerror(errno));
    n->sent++;
}

/*
 * BAR0, MEM|MASTER, MAC, one RX ring at the NIC's low IOVAs, RCTL last.
 * The ring itself is written where those IOVAs map: at the high pages.
 */
static void nic_program(struct rig *r, unsigned int k)
{
    struct nic *n = &r->nic[k];
    struct qts *q = r->q;
    unsigned int i;

    assert_int_equal(cfg_read32(q, n->bdf, 0) & 0xffff, 0x8086);
    cfg_write32(q, n->bdf, 0x10, (uint32_t)n->mmio);
    cfg_write16(q, n->bdf, PCI_COMMAND, CMD_MEM | CMD_MASTER);

    for (i = 0; i < RX_DESCS; i++) {
        qts_writeq(q, high_ring(n) + 16ULL * i, buf_iova(n, i));
        qts_writeq(q, high_ring(n) + 16ULL * i + 8, 0);
        qts_memset(q, high_buf(n, i), 0, RX_BUF);
    }
    qts_writel(q, n->mmio + E_CTRL, CTRL_SLU);
    qts_writel(q, n->mmio + E_RAL0, 0x12005452);
    qts_writel(q, n->mmio + E_RAH0, 0x80000000u | (0x56 + k) << 8 | 0x34);
    qts_writel(q, n->mmio + E_RDBAL, (uint32_t)ring_iova(n));
    qts_writel(q, n->mmio + E_RDBAH, 0);
    qts_writel(q, n->mmio + E_RDLEN, RX_DESCS * 16);
    qts_writel(q, n->mmio + E_RDH, 0);
    qts_writel(q, n->mmio + E_RDT, RX_DESCS - 1);
    qts_writel(q, n->mmio + E_RCTL, RCTL_EN | RCTL_UPE | RCTL_MPE | RCTL_BAM
               | RCTL_SECRC);
    rig_fail(r);
}

/* Map the NIC's ring and every buffer but the faulty one. */
static void nic_map(struct rig *r, unsigned int k)
{
    struct nic *n = &r->nic[k];
    unsigned int i;

    vtd_map(r->v, r->dom, ring_iova(n), high_ring(n), VTD_PAGE, VTD_PERM_RW);
    /* Two buffers a page; the faulty one's IOVA lies elsewhere. */
    for (i = 0; i < RX_DESCS; i += 2)
        vtd_map(r->v, r->dom, BUF_IOVA + n->iova_off + (uint64_t)i * RX_BUF,
                high_buf(n, i), VTD_PAGE, VTD_PERM_RW);
    rig_fail(r);
}

static uint8_t desc_status(struct rig *r, uint64_t ring, unsigned int i)
{
    return qts_readb(r->q, ring + 16ULL * i + 12);
}

/* Wait for descriptor i of the ring at ring (physical) to show DD. */
static bool wait_dd(struct rig *r, uint64_t ring, unsigned int i,
                    unsigned int ms)
{
    uint64_t end = now_ms() + ms;

    do {
        if (desc_status(r, ring, i) & RXD_DD)
            return true;
        rig_fail(r);
        sleep_ms(10);
    } while (now_ms() < end);
    return false;
}

static bool buf_holds_frame(struct rig *r, uint64_t addr, unsigned int k,
                            unsigned int seq)
{
    uint8_t want[FRAME_LEN], got[FRAME_LEN];

    frame_bytes(k, seq, want);
    qts_memread(r->q, addr, got, sizeof(got));
    rig_fail(r);
    return memcmp(want, got, sizeof(got)) == 0;
}

/* --- the guarded low region -------------------------------------------------- */

static void low_fill(struct rig *r)
{
    pattern(42, r->low, LOW_SIZE);
    qts_memwrite(r->q, LOW_BASE, r->low, LOW_SIZE);
    rig_fail(r);
}

struct diff {
    uint64_t changed;
    uint64_t first, last;   /* offsets of the first and last changed byte */
};

static struct diff low_diff(struct rig *r)
{
    static uint8_t now[LOW_SIZE];
    struct diff d = { 0, 0, 0 };
    size_t i;

    qts_memread(r->q, LOW_BASE, now, LOW_SIZE);
    rig_fail(r);
    for (i = 0; i < LOW_SIZE; i++) {
        if (now[i] == r->low[i])
            continue;
        if (d.changed++ == 0)
            d.first = i;
        d.last = i;
    }
    return d;
}

/* Wait until some low byte changed, or ms passed. */
static struct diff wait_low_change(struct rig *r, unsigned int ms)
{
    uint64_t end = now_ms() + ms;
    struct diff d;

    do {
        d = low_diff(r);
        if (d.changed)
            break;
        sleep_ms(50);
    } while (now_ms() < end);
    return d;
}

/* --- rig set-up ---------------------------------------------------------------- */

static struct rig *rig_new(void)
{
    struct rig *r = calloc(1, sizeof(*r));
    unsigned int k;

    assert_non_null(r);
    for (k = 0; k < 4; k++)
        r->nic[k].sock = -1;
    r->q = qts_new(NULL);
    assert_non_null(r->q);
    rig_fail(r);
    return r;
}

static void rig_start(struct rig *r, const char *const *extra)
{
    qts_start(r->q, extra);
    rig_fail(r);
}

/* VT-d driver on the unit, one domain (id 1). */
static void rig_vtd(struct rig *r)
{
    r->v = vtd_new(r->q, VTD_BASE, TABLES, TABLES_SIZE);
    rig_fail(r);
    assert_non_null(r->v);
    r->dom = vtd_domain_new(r->v, 1);
    rig_fail(r);
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    unsigned int k;

    if (r == NULL)
        return 0;
    for (k = 0; k < 4; k++)
        if (r->nic[k].sock >= 0)
            close(r->nic[k].sock);
    vtd_free(r->v);
    qts_close(r->q);
    free(r);
    *state = NULL;
    return 0;
}

/* One e1000 at 00:02.0 behind the IOMMU, mapped, translation on, running. */
static struct rig *rig_one_nic(void **state)
{
    struct rig *r = rig_new();
    const char *argv[8];

    *state = r;
    r->nic[0].bdf = 0x02 << 3;
    r->nic[0].mmio = MMIO0;
    r->nic[0].faulty = true;
    nic_open(r, 0, "e1000,addr=0x02.0");
    argv[0] = "-device";
    argv[1] = "intel-iommu";
    argv[2] = "-netdev";
    argv[3] = r->netdev[0];
    argv[4] = "-device";
    argv[5] = r->device[0];
    argv[6] = NULL;
    rig_start(r, argv);
    rig_vtd(r);
    nic_map(r, 0);
    vtd_attach(r->v, (uint16_t)r->nic[0].bdf, r->dom);
    vtd_enable(r->v);
    rig_fail(r);
    assert_true(vtd_translation_on(r->v));
    low_fill(r);
    nic_program(r, 0);
    return r;
}

/* Frame 0 through translation: lands high, low region untouched. */
static void first_frame_translated(struct rig *r)
{
    struct diff d;

    nic_send(r, 0);
    assert_true(wait_dd(r, high_ring(&r->nic[0]), 0, WAIT_MS));
    assert_true(buf_holds_frame(r, high_buf(&r->nic[0], 0), 0, 0));
    d = low_diff(r);
    assert_int_equal(d.changed, 0);
}

/* --- tests -------------------------------------------------------------------- */

/*
 * CAP/ECAP as QEMU 7.2 reports them, and the driver's checks passing.
 */
static void test_caps(void **state)
{
    struct rig *r = rig_new();
    const char *argv[] = { "-device", "intel-iommu", NULL };

    *state = r;
    rig_start(r, argv);
    rig_vtd(r);
    print_message("vtd: CAP 0x%016" PRIx64 " ECAP 0x%016" PRIx64
                  " fault records %u\n", vtd_cap(r->v), vtd_ecap(r->v),
                  vtd_nr_fault_records(r->v));
    assert_true(vtd_nr_fault_records(r->v) >= 1);
    assert_false(vtd_translation_on(r->v));
    vtd_enable(r->v);
    rig_fail(r);
    assert_true(vtd_translation_on(r->v));
    vtd_disable_translation(r->v);
    rig_fail(r);
    assert_false(vtd_translation_on(r->v));
}

/* Negative control of the checks: no intel-iommu, a clear sticky error. */
static void test_no_iommu(void **state)
{
    struct rig *r = rig_new();

    *state = r;
    rig_start(r, NULL);
    r->v = vtd_new(r->q, VTD_BASE, TABLES, TABLES_SIZE);
    assert_null(r->v);
    assert_non_null(qts_error(r->q));
    print_message("vtd: without the IOMMU: %s\n", qts_error(r->q));
    assert_non_null(strstr(qts_error(r->q), "no VT-d unit"));
}

/*
 * Translation on: the frame lands at the high pages, the low region stays
 * as it was; DMA to an unmapped IOVA is dropped and recorded.  Then
 * translation off (Xen's crash shutdown) without a disconnect: the next DMA
 * uses the low IOVA as a physical address.
 */
static void test_hazard(void **state)
{
    struct rig *r = rig_one_nic(state);
    struct vtd_fault f[4];
    char line[160];
    struct diff d;
    bool overflow;
    int n;

    first_frame_translated(r);

    /* Frame 1: descriptor 1's buffer IOVA has no mapping. */
    assert_int_equal(vtd_faults_collect(r->v, f, 4, &overflow), 0);
    nic_send(r, 0);
    assert_true(wait_dd(r, high_ring(&r->nic[0]), FAULTY_DESC, WAIT_MS));
    n = vtd_faults_collect(r->v, f, 4, &overflow);
    rig_fail(r);
    assert_int_equal(n, 1);
    print_message("vtd: fault: %s\n", vtd_fault_format(&f[0], line,
                                                       sizeof(line)));
    assert_int_equal(f[0].source_id, r->nic[0].bdf);
    assert_int_equal(f[0].addr, UNMAPPED_IOVA);
    assert_false(f[0].is_read);
    assert_int_equal(f[0].reason, 0x5);
    assert_false(overflow);
    d = low_diff(r);
    assert_int_equal(d.changed, 0);

    /* The crash: translation off, the NIC not disconnected. */
    vtd_crash_shutdown(r->v);
    rig_fail(r);
    assert_false(vtd_translation_on(r->v));
    nic_send(r, 0);
    d = wait_low_change(r, WAIT_MS);
    print_message("vtd: translation off, no disconnect: %" PRIu64
                  " low bytes changed in [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
                  d.changed, LOW_BASE + d.first, LOW_BASE + d.last);
    /* Descriptor 2's write-back, at the ring's IOVA taken as physical. */
    assert_true(d.changed > 0);
    assert_true(LOW_BASE + d.first >= ring_iova(&r->nic[0]) + 2 * 16);
    assert_true(LOW_BASE + d.last < ring_iova(&r->nic[0]) + 3 * 16);
    /* Nothing reached the high page the IOVA used to map to. */
    assert_false(desc_status(r, high_ring(&r->nic[0]), 2) & RXD_DD);
}

/*
 * The buffer itself: a NIC that fetched its next descriptor before the
 * crash (real e1000s prefetch; QEMU's reads it at each frame) writes the
 * frame to the buffer IOVA taken as a physical address.  The test puts that
 * descriptor in low memory at the ring's IOVA, where QEMU fetches it from
 * once translation is off.
 */
static void test_hazard_buffer(void **state)
{
    struct rig *r = rig_one_nic(state);
    uint64_t low_desc = ring_iova(&r->nic[0]) + 16ULL * FAULTY_DESC;
    uint64_t low_buf = BUF_IOVA + 3ULL * RX_BUF;
    struct vtd_fault f[2];
    struct diff d;

    first_frame_translated(r);
    vtd_crash_shutdown(r->v);
    rig_fail(r);
    /* Descriptor 1 as a driver that ran identity-mapped would have it. */
    qts_writeq(r->q, low_desc, low_buf);
    qts_writeq(r->q, low_desc + 8, 0);
    memset(r->low + (low_desc - LOW_BASE), 0, 16);
    memcpy(r->low + (low_desc - LOW_BASE), &low_buf, sizeof(low_buf));
    rig_fail(r);
    nic_send(r, 0);
    assert_true(wait_dd(r, ring_iova(&r->nic[0]), FAULTY_DESC, WAIT_MS));
    assert_true(buf_holds_frame(r, low_buf, 0, 1));
    d = low_diff(r);
    print_message("vtd: frame at low 0x%" PRIx64 ": %" PRIu64
                  " low bytes changed in [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
                  low_buf, d.changed, LOW_BASE + d.first, LOW_BASE + d.last);
    assert_true(d.changed >= FRAME_LEN / 2);
    assert_int_equal(vtd_faults_collect(r->v, f, 2, NULL), 0);
}

/*
 * The seed's remedy: COMMAND = 0x0400 (Bus Master off, INTx masked) before
 * translation goes off.  Frames sent after it stay queued in QEMU; memory
 * stays as it was for the whole window.
 */
static void test_disconnect_first(void **state)
{
    struct rig *r = rig_one_nic(state);
    struct diff d;

    first_frame_translated(r);
    cfg_write16(r->q, r->nic[0].bdf, PCI_COMMAND, CMD_INTX_OFF);
    vtd_crash_shutdown(r->v);
    rig_fail(r);
    nic_send(r, 0);
    nic_send(r, 0);
    sleep_ms(QUIET_MS);
    d = low_diff(r);
    print_message("vtd: COMMAND=0x0400 then translation off: %" PRIu64
                  " low bytes changed in %d ms\n", d.changed, QUIET_MS);
    assert_int_equal(d.changed, 0);
    assert_false(desc_status(r, high_ring(&r->nic[0]), 1) & RXD_DD);
    assert_false(desc_status(r, high_ring(&r->nic[0]), 2) & RXD_DD);
}

/*
 * Requester IDs behind bridges, measured with three e1000s:
 *   00:03.0 pci-bridge            -> e1000 at 01:00.0
 *   00:04.0 pcie-root-port        -> e1000 at 02:00.0
 *   00:05.0 pcie-root-port -> 03:00.0 pcie-pci-bridge -> e1000 at 04:01.0
 *   00:06.0 pci-bridge -> 05:01.0 pci-bridge -> e1000 at 06:02.0
 * (bus numbers from qpci's depth-first enumeration).  First each NIC gets
 * a context entry for its own ID only: a fault record names the ID QEMU
 * really used, and vtd_requester_id() must have predicted it.  Then
 * vtd_attach_all() adds the aliases and every NIC's frame is translated.
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

static void bridge_rig(struct rig *r, struct qpci_bus *bus)
{
    static const char *const where[BRIDGE_NICS] = {
        "e1000,bus=br0,addr=0x00.0",
        "e1000,bus=rp0,addr=0x00.0",
        "e1000,bus=pb0,addr=0x01.0",
        "e1000,bus=br2,addr=0x02.0",
    };
    static const uint32_t bdf[BRIDGE_NICS] = { 0x0100, 0x0200, 0x0408,
                                               0x0610 };
    const char *argv[32];
    unsigned int k, argc = 0;

    for (k = 0; k < sizeof(bridge_topology) / sizeof(bridge_topology[0]); k++)
        argv[argc++] = bridge_topology[k];
    for (k = 0; k < BRIDGE_NICS; k++) {
        nic_open(r, k, where[k]);
        argv[argc++] = "-netdev";
        argv[argc++] = r->netdev[k];
        argv[argc++] = "-device";
        argv[argc++] = r->device[k];
    }
    argv[argc] = NULL;
    rig_start(r, argv);
    qpci_init(bus, r->q, 0);
    qpci_enumerate(bus);
    qpci_assign(bus);
    rig_fail(r);
    for (k = 0; k < BRIDGE_NICS; k++) {
        struct nic *n = &r->nic[k];
        int idx = qpci_find(bus, bdf[k]);

        if (idx < 0)
            fail_msg("no function at %02x:%02x.%x", bdf[k] >> 8,
                     (bdf[k] >> 3) & 0x1f, bdf[k] & 7);
        n->bdf = bdf[k];
        n->func = idx;
        n->mmio = qpci_bar_addr(bus, idx, 0);
        n->iova_off = n->high_off = k * NIC_STRIDE;
    }
}

/* Send one frame to NIC k and return the fault it caused (0 or 1). */
static int frame_fault(struct rig *r, unsigned int k, struct vtd_fault *f)
{
    uint64_t end;
    int n = 0;

    nic_send(r, k);
    end = now_ms() + WAIT_MS;
    while (n == 0 && now_ms() < end) {
        sleep_ms(10);
        n = vtd_faults_collect(r->v, f, 1, NULL);
    }
    rig_fail(r);
    return n;
}

static void test_requester_ids(void **state)
{
    static struct qpci_bus bus;
    /* Own ID behind the root port; the topmost conventional bridge wins. */
    static const uint16_t expect[BRIDGE_NICS] = { 0x0018, 0x0200, 0x0400,
                                                  0x0030 };
    static const unsigned int aliased[] = { 0, 2, 3 };
    struct rig *r = rig_new();
    struct vtd_fault f[2];
    char line[160];
    unsigned int a, k, rdh;

    *state = r;
    bridge_rig(r, &bus);
    rig_vtd(r);
    for (k = 0; k < BRIDGE_NICS; k++) {
        assert_int_equal(vtd_requester_id(&bus, r->nic[k].func), expect[k]);
        nic_map(r, k);
        vtd_attach(r->v, (uint16_t)r->nic[k].bdf, r->dom);
    }
    vtd_enable(r->v);
    low_fill(r);
    for (k = 0; k < BRIDGE_NICS; k++)
        nic_program(r, k);

    /* Behind the root port: its own ID is the one QEMU uses. */
    nic_send(r, 1);
    assert_true(wait_dd(r, high_ring(&r->nic[1]), 0, WAIT_MS));
    assert_true(buf_holds_frame(r, high_buf(&r->nic[1], 0), 1, 0));
    assert_int_equal(vtd_faults_collect(r->v, f, 1, NULL), 0);

    /* Behind a conventional bus: the fault names the alias. */
    for (a = 0; a < sizeof(aliased) / sizeof(aliased[0]); a++) {
        k = aliased[a];
        assert_int_equal(frame_fault(r, k, f), 1);
        print_message("vtd: e1000 at %02x:%02x.%x, context for its own ID "
                      "only: %s\n", r->nic[k].bdf >> 8,
                      (r->nic[k].bdf >> 3) & 0x1f, r->nic[k].bdf & 7,
                      vtd_fault_format(&f[0], line, sizeof(line)));
        assert_int_equal(f[0].source_id, expect[k]);
        assert_true(f[0].is_read);      /* the descriptor fetch */
    }

    /*
     * Aliases attached: the next frames are translated.  (Measured: a
     * frame whose descriptor fetch faulted is dropped without RDH moving,
     * so the next one takes the descriptor at RDH, read here.)
     */
    vtd_attach_all(r->v, &bus, r->dom);
    for (a = 0; a < sizeof(aliased) / sizeof(aliased[0]); a++) {
        k = aliased[a];
        rdh = qts_readl(r->q, r->nic[k].mmio + E_RDH);
        rig_fail(r);
        assert_true(rdh < RX_DESCS);
        nic_send(r, k);
        assert_true(wait_dd(r, high_ring(&r->nic[k]), rdh, WAIT_MS));
        assert_true(buf_holds_frame(r, high_buf(&r->nic[k], rdh), k, 1));
    }
    assert_int_equal(vtd_faults_collect(r->v, f, 2, NULL), 0);
    assert_int_equal(low_diff(r).changed, 0);
    print_message("vtd: aliases attached: frames translated, no fault, "
                  "low region unchanged (%u table pages)\n",
                  (unsigned int)(vtd_table_bytes(r->v) / VTD_PAGE));
}

/* --- crashsim on IOMMU topologies --------------------------------------------- */

#define VTD_TOPOLOGY    "iommu,e1000,ahci,bridge(e1000)"
#define VTD_WINDOW      "400"

static struct run *crashsim(const char *topology, const char *policies,
                            bool probe)
{
    const char *argv[12] = { "--topology", topology, "--policy", policies,
                             "--window-ms", VTD_WINDOW, "--seed", "7" };

    if (probe)
        argv[8] = "--iommu-probe";
    return run_completed(argv);
}

static void crashsim_done(struct run *r)
{
    run_free(r);
}

static json_t *policy_run(struct run *r, const char *name)
{
    json_t *run = run_policy_ok(r, name);

    assert_true(json_is_true(json_object_get(run, "iommu")));
    return run;
}

static long long by_region(const json_t *run, const char *key)
{
    const json_t *by = json_object_get(run, "corrupted_by_region");

    assert_non_null(by);
    return run_num(by, key);
}

/* Some range in region was attributed to a device (by its IOVA). */
static bool region_has_device(const json_t *run, const char *region)
{
    const json_t *ranges = json_object_get(run, "corrupted_ranges"), *cr;
    size_t i;

    json_array_foreach((json_t *)ranges, i, cr)
        if (!strcmp(json_string_value(json_object_get(cr, "region")), region)
            && json_is_string(json_object_get(cr, "device")))
            return true;
    return false;
}

static void print_row(const json_t *run)
{
    print_message("vtd: %-11s translation %s, low %lld B, kdump %lld B, "
                  "crash state %lld B (in flight %lld B), faults %lld\n",
                  json_string_value(json_object_get(run, "policy")),
                  json_is_true(json_object_get(run,
                      "translation_on_after_window")) ? "on " : "off",
                  by_region(run, "low_memory"),
                  by_region(run, "kdump_reserved"),
                  by_region(run, "crash_state"),
                  run_num(run, "inflight_bytes"),
                  run_num(run, "iommu_faults"));
}

/* The comparison of the VT-d issue, on its demo topology. */
static void test_iommu_policies(void **state)
{
    struct run *r = crashsim(VTD_TOPOLOGY, "all", false);
    json_t *none = policy_run(r, "none"), *seed = policy_run(r, "seed"),
           *kexec = policy_run(r, "linux-kexec"),
           *pcidc = policy_run(r, "pcidc"), *on = policy_run(r, "iommu-on");

    (void)state;
    print_row(none);
    print_row(seed);
    print_row(kexec);
    print_row(pcidc);
    print_row(on);

    /* Negative control: translation off with devices running. */
    assert_false(json_is_true(json_object_get(none,
                                              "translation_on_after_window")));
    assert_true(by_region(none, "low_memory") > 0);
    assert_true(by_region(none, "kdump_reserved") > 0);
    assert_true(region_has_device(none, "low memory"));
    assert_true(region_has_device(none, "kdump reserved"));
    assert_false(json_is_true(json_object_get(none, "dma_stopped")));

    /* Disconnect first, then translation off: in-flight AHCI reads only. */
    assert_int_equal(by_region(seed, "low_memory"), 0);
    assert_int_equal(by_region(seed, "kdump_reserved"), 0);
    assert_int_equal(run_num(seed, "corrupted_bytes"),
                     run_num(seed, "inflight_bytes"));
    assert_int_equal(by_region(pcidc, "low_memory"), 0);
    assert_int_equal(by_region(pcidc, "kdump_reserved"), 0);
    assert_int_equal(run_num(pcidc, "corrupted_bytes"),
                     run_num(pcidc, "inflight_bytes"));

    /* Translation stays on: the kdump side is safe, the crash state not. */
    assert_true(json_is_true(json_object_get(on,
                                             "translation_on_after_window")));
    assert_int_equal(by_region(on, "low_memory"), 0);
    assert_int_equal(by_region(on, "kdump_reserved"), 0);
    assert_true(by_region(on, "crash_state") > run_num(on, "inflight_bytes"));

    /* The layout used both windows, each buffer owned by a device. */
    {
        const json_t *layout = json_object_get(none, "iova_layout"), *b;
        bool low = false, kdump = false;
        size_t i;

        json_array_foreach((json_t *)layout, i, b) {
            const char *w = json_string_value(json_object_get(b, "window"));

            low |= !strcmp(w, "low memory");
            kdump |= !strcmp(w, "kdump reserved");
            assert_true(json_is_string(json_object_get(b, "device")));
        }
        assert_true(low && kdump);
        assert_int_equal(run_num(none, "iova_unguarded_bytes"), 0);
    }

    /* Linux's Bus Master clear before translation goes off: the same. */
    assert_int_equal(by_region(kexec, "low_memory"), 0);
    assert_int_equal(by_region(kexec, "kdump_reserved"), 0);
    assert_int_equal(run_num(kexec, "corrupted_bytes"),
                     run_num(kexec, "inflight_bytes"));
    crashsim_done(r);
}

/*
 * A preserved device (keep:) is left running by the disconnect, but VT-d
 * translation still goes off after it: the kept NIC's descriptor
 * write-backs then land at its ring IOVA taken as a physical address, in
 * low memory.  So every byte pcidc lets through beyond in-flight reads is
 * the kept NIC's, none lands in the kdump region, and there are some:
 * keeping a device alive is only safe if translation stays on for it (or
 * its IOVAs are physical addresses).  None on the same run: both NICs.
 */
static void test_preserved_with_translation_off(void **state)
{
    struct run *r = crashsim("iommu,keep:e1000,e1000,ahci", "none,pcidc",
                             false);
    json_t *none = policy_run(r, "none"), *pcidc = policy_run(r, "pcidc");

    (void)state;
    print_row(none);
    print_row(pcidc);
    assert_true(by_region(none, "low_memory") > 0);
    assert_true(by_region(none, "kdump_reserved") > 0);
    assert_int_equal(by_region(pcidc, "kdump_reserved"), 0);
    assert_true(by_region(pcidc, "low_memory") > 0);
    run_assert_beyond_only_from(pcidc, "e1000_0");
    crashsim_done(r);
}

/*
 * DMA to an unmapped IOVA with translation on is a fault record that the
 * report shows; without the probe, no fault (negative control).
 */
static void test_iommu_fault_record(void **state)
{
    struct run *r = crashsim("iommu,e1000", "iommu-on", true);
    struct run *c = crashsim("iommu,e1000", "iommu-on", false);
    json_t *on = policy_run(r, "iommu-on"), *ctl = policy_run(c, "iommu-on");
    const json_t *f = json_array_get(json_object_get(on,
                                     "iommu_fault_records"), 0);

    (void)state;
    print_row(on);
    print_row(ctl);
    assert_true(run_num(on, "iommu_faults") >= 1);
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "source")),
                        "0000:00:02.0");
    assert_string_equal(json_string_value(json_object_get(f, "type")),
                        "write");
    assert_string_equal(json_string_value(json_object_get(f, "iova_owner")),
                        "e1000_0");
    assert_int_equal(run_num(ctl, "iommu_faults"), 0);
    assert_int_equal(json_array_size(json_object_get(ctl,
                                                     "iommu_fault_records")), 0);
    crashsim_done(r);
    crashsim_done(c);
}

/* iommu-on without an iommu: a usage error, one line, exit 2, no QEMU. */
static void test_iommu_on_needs_iommu(void **state)
{
    const char *argv[] = { "--topology", "e1000", "--policy", "iommu-on",
                           NULL };
    struct run *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(r);
    run_prepare(r);
    assert_int_equal(run_crashsim(r, argv, NULL, NULL), 0);
    run_assert_exit2(r, "iommu");
    crashsim_done(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_caps, rig_teardown),
        cmocka_unit_test_teardown(test_no_iommu, rig_teardown),
        cmocka_unit_test_teardown(test_hazard, rig_teardown),
        cmocka_unit_test_teardown(test_hazard_buffer, rig_teardown),
        cmocka_unit_test_teardown(test_disconnect_first, rig_teardown),
        cmocka_unit_test_teardown(test_requester_ids, rig_teardown),
        cmocka_unit_test(test_iommu_on_needs_iommu),
        cmocka_unit_test(test_iommu_fault_record),
        cmocka_unit_test(test_iommu_policies),
        cmocka_unit_test(test_preserved_with_translation_off),
    };

    return cmocka_run_group_tests_name("vtd", tests, NULL, NULL);
}
