/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ahci: see ahci.h.  Register and structure layouts are from the
 * AHCI 1.3 specification; the command is ATA READ DMA EXT (0x25).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ahci.h"
#include "base/pattern.h"
#include "pci/pci_regs.h"

/* HBA registers (ABAR offsets). */
#define HBA_GHC         0x04
#define HBA_IS          0x08
#define HBA_PI          0x0c
#define GHC_AE          (1u << 31)
#define GHC_IE          (1u << 1)

/* Port 0 registers. */
#define PORT0           0x100
#define PX_CLB          0x00
#define PX_CLBU         0x04
#define PX_FB           0x08
#define PX_FBU          0x0c
#define PX_IS           0x10
#define PX_IE           0x14
#define PX_CMD          0x18
#define PX_SSTS         0x28
#define PX_SERR         0x30
#define PX_CI           0x38

#define PXCMD_ST        (1u << 0)
#define PXCMD_FRE       (1u << 4)
#define PXIE_ALL        0x7dc000ffu     /* every cause QEMU's mask keeps */
#define SSTS_DET_MASK   0xf
#define SSTS_DET_PHY    0x3

#define HEADER_LEN      32
#define TABLE_LEN       256
#define PRDT_OFFSET     0x80
#define CFL_H2D         5               /* FIS length in dwords */
#define FIS_H2D         0x27
#define FIS_C           0x80
#define ATA_READ_DMA_EXT 0x25
#define SECTOR          512
#define PRD_IRQ         (1u << 31)

/* MSI capability (PCI 3.0), 64-bit layout. */
#define PCI_CAP_MSI     0x05
#define MSI_CTRL        0x02
#define MSI_ADDR_LO     0x04
#define MSI_ADDR_HI     0x08
#define MSI_DATA_64     0x0c
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_MME    0x0070
#define MSI_CTRL_64BIT  0x0080

static uint64_t disk_pos(unsigned int index, uint64_t offset)
{
    return ((uint64_t)index << 40) | offset;
}

void ahci_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len)
{
    pattern_fill(seed, PATTERN_DISK, disk_pos(index, pos), buf, len);
}

static int write_image(struct qts *q, const char *path, unsigned int index,
                       uint64_t seed)
{
    static uint8_t chunk[64 * 1024];
    uint64_t off;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return qts_fail(q, "ahci_%u: cannot create %s: %s", index, path,
                        strerror(errno));
    for (off = 0; off < AHCI_DISK_BYTES; off += sizeof(chunk)) {
        ahci_disk_bytes(seed, index, off, chunk, sizeof(chunk));
        if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
            close(fd);
            return qts_fail(q, "ahci_%u: cannot write %s", index, path);
        }
    }
    if (close(fd) < 0)
        return qts_fail(q, "ahci_%u: cannot write %s", index, path);
    return 0;
}

unsigned int ahci_throttle_for(unsigned int busy_ms)
{
    uint64_t bps = AHCI_QUEUE_BYTES * 1000 / (busy_ms ? busy_ms : 1);

    if (bps > AHCI_THROTTLE_BPS)
        bps = AHCI_THROTTLE_BPS;
    bps &= ~4095ULL;
    return bps ? (unsigned int)bps : 4096;
}

int ahci_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   const char *ahci_bus, unsigned int throttle_bps,
                   char *drive, size_t drive_len,
                   char *device, size_t device_len)
{
    char name[32], path[256];
    int n;

    snprintf(name, sizeof(name), "disk_%u.img", index);
    if (!qts_path(q, name, path, sizeof(path)))
        return -1;
    if (write_image(q, path, index, seed))
        return -1;
    n = snprintf(drive, drive_len,
                 "if=none,id=disk%u,file=%s,format=raw,"
                 "throttling.bps-total=%u",
                 index, path, throttle_bps);
    if (n < 0 || (size_t)n >= drive_len)
        return qts_fail(q, "ahci_%u: -drive argument too long", index);
    n = snprintf(device, device_len, "ide-hd,drive=disk%u,bus=%s",
                 index, ahci_bus);
    if (n < 0 || (size_t)n >= device_len)
        return qts_fail(q, "ahci_%u: -device argument too long", index);
    return 0;
}

static void port_write(struct ahci_dev *d, unsigned int reg, uint32_t v)
{
    qts_writel(d->qts, d->abar + PORT0 + reg, v);
}

static uint32_t port_read(struct ahci_dev *d, unsigned int reg)
{
    return qts_readl(d->qts, d->abar + PORT0 + reg);
}

static int alloc_memory(struct ahci_dev *d, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

#define ALLOC(field, size, align, what)                                    \
    do {                                                                   \
        snprintf(name, sizeof(name), "ahci_%u %s", d->index, what);        \
        d->field = galloc_alloc(g, size, align, name);                     \
        if (!d->field)                                                     \
            return qts_fail(d->qts, "ahci_%u: guest memory: %s", d->index, \
                            galloc_error(g));                              \
    } while (0)
    ALLOC(cmd_list, HEADER_LEN * AHCI_SLOTS, 0, "command list");
    ALLOC(fis, 256, 0, "received FIS");
    ALLOC(tables, (uint64_t)TABLE_LEN * AHCI_SLOTS, 0, "command tables");
    ALLOC(data, (uint64_t)AHCI_CMD_BYTES * AHCI_SLOTS, AHCI_CMD_BYTES,
          "read buffers");
#undef ALLOC
    return 0;
}

int ahci_setup(struct ahci_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma)
{
    uint64_t list, fis;
    uint32_t ssts;

    memset(d, 0, sizeof(*d));
    if (dma)
        d->dma = *dma;
    d->qts = q;
    d->bus = bus;
    d->func = func;
    d->sbdf = bus->func[func].sbdf;
    d->index = index;
    d->seed = seed;
    d->abar = qpci_bar_addr(bus, func, 5);
    if (!d->abar)
        return qts_fail(q, "ahci_%u: BAR5 (ABAR) not assigned", index);
    if (alloc_memory(d, g))
        return -1;

    qpci_enable(bus, d->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qts_writel(q, d->abar + HBA_GHC, GHC_AE);
    if (!(qts_readl(q, d->abar + HBA_PI) & 1))
        return qts_fail(q, "ahci_%u: port 0 not implemented", index);

    port_write(d, PX_CMD, 0);
    qts_memset(q, d->cmd_list, 0, HEADER_LEN * AHCI_SLOTS);
    qts_memset(q, d->fis, 0, 256);
    list = dma_bus_addr(&d->dma, d->cmd_list);
    fis = dma_bus_addr(&d->dma, d->fis);
    port_write(d, PX_CLB, (uint32_t)list);
    port_write(d, PX_CLBU, (uint32_t)(list >> 32));
    port_write(d, PX_FB, (uint32_t)fis);
    port_write(d, PX_FBU, (uint32_t)(fis >> 32));
    port_write(d, PX_SERR, 0xffffffff);
    port_write(d, PX_IS, 0xffffffff);
    port_write(d, PX_IE, PXIE_ALL);
    port_write(d, PX_CMD, PXCMD_FRE);
    port_write(d, PX_CMD, PXCMD_FRE | PXCMD_ST);
    qts_writel(q, d->abar + HBA_GHC, GHC_AE | GHC_IE);

    ssts = port_read(d, PX_SSTS);
    if (qts_error(q))
        return -1;
    if ((ssts & SSTS_DET_MASK) != SSTS_DET_PHY)
        return qts_fail(q, "ahci_%u: no disk on port 0 (PxSSTS 0x%x)", index,
                        ssts);
    return 0;
}

int ahci_msi_enable(struct ahci_dev *d, uint64_t word, uint64_t addr,
                    uint16_t data)
{
    unsigned int cap = qpci_find_cap(d->bus, d->sbdf, PCI_CAP_MSI);
    uint16_t ctrl;

    if (!cap)
        return qts_fail(d->qts, "ahci_%u: no MSI capability", d->index);
    ctrl = qpci_cfg_read16(d->bus, d->sbdf, cap + MSI_CTRL);
    if (!(ctrl & MSI_CTRL_64BIT))
        return qts_fail(d->qts, "ahci_%u: MSI capability at 0x%x is not the "
                        "64-bit layout (control 0x%04x)", d->index, cap, ctrl);
    qts_writel(d->qts, word, 0);
    qpci_cfg_write32(d->bus, d->sbdf, cap + MSI_ADDR_LO, (uint32_t)addr);
    qpci_cfg_write32(d->bus, d->sbdf, cap + MSI_ADDR_HI,
                     (uint32_t)(addr >> 32));
    qpci_cfg_write16(d->bus, d->sbdf, cap + MSI_DATA_64, data);
    /* One vector (MME 0), enabled. */
    qpci_cfg_write16(d->bus, d->sbdf, cap + MSI_CTRL,
                     (uint16_t)((ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE));
    ctrl = qpci_cfg_read16(d->bus, d->sbdf, cap + MSI_CTRL);
    if (qts_error(d->qts))
        return -1;
    if (!(ctrl & MSI_CTRL_ENABLE))
        return qts_fail(d->qts, "ahci_%u: MSI enable did not stick (control "
                        "0x%04x)", d->index, ctrl);
    d->msi_on = true;
    d->msi_word = word;
    d->msi_data = data;
    return 0;
}

int ahci_msi_poll(struct ahci_dev *d)
{
    uint32_t v;

    if (!d->msi_on)
        return 0;
    v = qts_readl(d->qts, d->msi_word);
    if (qts_error(d->qts))
        return -1;
    if (v == 0)
        return 0;
    if (v != d->msi_data)
        return qts_fail(d->qts, "ahci_%u: MSI word 0x%" PRIx64 " holds 0x%x, "
                        "expected 0 or 0x%x", d->index, d->msi_word, v,
                        d->msi_data);
    qts_writel(d->qts, d->msi_word, 0);
    d->msi++;
    return qts_error(d->qts) ? -1 : 1;
}

uint64_t ahci_slot_data(const struct ahci_dev *d, unsigned int slot)
{
    return d->data + (uint64_t)slot * AHCI_CMD_BYTES;
}

uint64_t ahci_slot_header(const struct ahci_dev *d, unsigned int slot)
{
    return d->cmd_list + (uint64_t)slot * HEADER_LEN;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void build_command(struct ahci_dev *d, unsigned int slot)
{
    uint8_t header[HEADER_LEN], table[TABLE_LEN];
    uint64_t table_addr = d->tables + (uint64_t)slot * TABLE_LEN;
    uint64_t lba = (uint64_t)(d->next_chunk++ % AHCI_DISK_CHUNKS) *
                   (AHCI_CMD_BYTES / SECTOR);
    uint64_t buf = dma_bus_addr(&d->dma, ahci_slot_data(d, slot));
    uint64_t table_dma = dma_bus_addr(&d->dma, table_addr);
    unsigned int count = AHCI_CMD_BYTES / SECTOR;

    memset(table, 0, sizeof(table));
    table[0] = FIS_H2D;
    table[1] = FIS_C;
    table[2] = ATA_READ_DMA_EXT;
    table[4] = (uint8_t)lba;
    table[5] = (uint8_t)(lba >> 8);
    table[6] = (uint8_t)(lba >> 16);
    table[7] = 0x40;                            /* LBA mode */
    table[8] = (uint8_t)(lba >> 24);
    table[9] = (uint8_t)(lba >> 32);
    table[10] = (uint8_t)(lba >> 40);
    table[12] = (uint8_t)count;
    table[13] = (uint8_t)(count >> 8);
    put32(table + PRDT_OFFSET, (uint32_t)buf);
    put32(table + PRDT_OFFSET + 4, (uint32_t)(buf >> 32));
    put32(table + PRDT_OFFSET + 12, (AHCI_CMD_BYTES - 1) | PRD_IRQ);
    qts_memwrite(d->qts, table_addr, table, sizeof(table));

    memset(header, 0, sizeof(header));
    put32(header, CFL_H2D | 1u << 16);          /* one PRD entry, read */
    put32(header + 4, AHCI_PRDBC_SENTINEL);
    put32(header + 8, (uint32_t)table_dma);
    put32(header + 12, (uint32_t)(table_dma >> 32));
    qts_memwrite(d->qts, ahci_slot_header(d, slot), header, sizeof(header));
    d->slot[slot] = AHCI_SLOT_ISSUED;
    d->prdbc[slot] = AHCI_PRDBC_SENTINEL;
    d->issued++;
}

int ahci_issue_slots(struct ahci_dev *d, uint32_t mask)
{
    unsigned int slot;

    if (!mask)
        return qts_error(d->qts) ? -1 : 0;
    for (slot = 0; slot < AHCI_SLOTS; slot++)
        if (mask & (1u << slot))
            build_command(d, slot);
    port_write(d, PX_CI, mask);
    return qts_error(d->qts) ? -1 : 0;
}

int ahci_issue_all(struct ahci_dev *d)
{
    return ahci_issue_slots(d, 0xffffffffu);
}

uint32_t ahci_done_slots(struct ahci_dev *d)
{
    uint32_t done = 0, ci;
    unsigned int slot;

    for (slot = 0; slot < AHCI_SLOTS; slot++)
        if (d->slot[slot] == AHCI_SLOT_DONE)
            done |= 1u << slot;
    if (!done)
        return 0;
    ci = port_read(d, PX_CI);
    return qts_error(d->qts) ? 0 : done & ~ci;
}

unsigned int ahci_queued(const struct ahci_dev *d)
{
    unsigned int slot, n = 0;

    for (slot = 0; slot < AHCI_SLOTS; slot++)
        n += d->slot[slot] == AHCI_SLOT_ISSUED ||
             d->slot[slot] == AHCI_SLOT_STARTED;
    return n;
}

void ahci_ack(struct ahci_dev *d)
{
    port_write(d, PX_IS, 0xffffffff);
    qts_writel(d->qts, d->abar + HBA_IS, 0xffffffff);
}

int ahci_sample(struct ahci_dev *d)
{
    uint8_t list[HEADER_LEN * AHCI_SLOTS];
    unsigned int slot;
    uint32_t prdbc;

    if (qts_memread(d->qts, d->cmd_list, list, sizeof(list)))
        return -1;
    for (slot = 0; slot < AHCI_SLOTS; slot++) {
        if (d->slot[slot] == AHCI_SLOT_IDLE)
            continue;
        memcpy(&prdbc, list + slot * HEADER_LEN + 4, sizeof(prdbc));
        d->prdbc[slot] = prdbc;
        if (prdbc == AHCI_PRDBC_SENTINEL)
            continue;
        if (d->slot[slot] == AHCI_SLOT_ISSUED) {
            d->slot[slot] = AHCI_SLOT_STARTED;
            d->started++;
        }
        if (d->slot[slot] == AHCI_SLOT_STARTED && prdbc >= AHCI_CMD_BYTES) {
            d->slot[slot] = AHCI_SLOT_DONE;
            d->completed++;
            d->bytes += prdbc;
        }
    }
    return 0;
}
