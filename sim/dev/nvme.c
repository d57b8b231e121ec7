/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme: controller bring-up and admin commands (see nvme.h).  Register
 * and structure layouts are from the NVM Express base specification 1.4;
 * the read path is in nvme_io.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "disk_image.h"
#include "nvme.h"
#include "nvme_int.h"
#include "pci/pci_regs.h"

void nvme_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len)
{
    disk_image_bytes(seed, DISK_KEY_NVME | index, pos, buf, len);
}

int nvme_write_image(struct qts *q, unsigned int index, uint64_t seed,
                     char *path, size_t path_len)
{
    char name[32];

    snprintf(name, sizeof(name), "nvme_%u.img", index);
    return disk_image_write(q, name, seed, DISK_KEY_NVME | index,
                            NVME_DISK_BYTES, path, path_len);
}

int nvme_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   unsigned int throttle_bps, char *drive, size_t drive_len,
                   char *device, size_t device_len)
{
    char path[256];
    int n;

    if (nvme_write_image(q, index, seed, path, sizeof(path)))
        return -1;
    n = snprintf(drive, drive_len,
                 "if=none,id=nvm%u,file=%s,format=raw,"
                 "throttling.bps-total=%u", index, path, throttle_bps);
    if (n < 0 || (size_t)n >= drive_len)
        return qts_fail(q, "nvme_%u: -drive argument too long", index);
    n = snprintf(device, device_len, "nvme,serial=pcidc%u,drive=nvm%u",
                 index, index);
    if (n < 0 || (size_t)n >= device_len)
        return qts_fail(q, "nvme_%u: -device argument too long", index);
    return 0;
}

/* --- registers ------------------------------------------------------------ */

uint32_t nvme_csts(struct nvme_dev *d)
{
    return qts_readl(d->qts, d->bar0 + NVME_REG_CSTS);
}

void nvme_doorbell(struct nvme_dev *d, unsigned int qid, bool cq,
                   uint16_t value)
{
    uint64_t off = NVME_REG_DOORBELLS +
                   (uint64_t)(2 * qid + (cq ? 1 : 0)) * d->db_stride;

    qts_writel(d->qts, d->bar0 + off, value);
}

/* Wait until (CSTS & mask) == want or CFS; -1 on time-out or CFS. */
static int wait_csts(struct nvme_dev *d, uint32_t mask, uint32_t want,
                     const char *what)
{
    uint64_t end = clock_ms_u64() + NVME_ADMIN_TIMEOUT_MS;
    uint32_t csts;

    for (;;) {
        csts = nvme_csts(d);
        if (qts_error(d->qts))
            return -1;
        if (csts & NVME_CSTS_CFS)
            return qts_fail(d->qts, "nvme_%u: %s: controller fatal status "
                            "(CSTS 0x%x)", d->index, what, csts);
        if ((csts & mask) == want)
            return 0;
        if (clock_ms_u64() >= end)
            return qts_fail(d->qts, "nvme_%u: %s: CSTS 0x%x after %u ms",
                            d->index, what, csts, NVME_ADMIN_TIMEOUT_MS);
        clock_sleep_ms(1);
    }
}

/* --- admin queue -------------------------------------------------------- */

static void put_cmd(uint8_t *sqe, const uint32_t cmd[16])
{
    unsigned int i;

    for (i = 0; i < 16; i++)
        nvme_put32(sqe + 4 * i, cmd[i]);
}

int nvme_admin(struct nvme_dev *d, uint32_t cmd[16], uint16_t *status,
               uint32_t *result)
{
    uint8_t sqe[NVME_SQE_LEN], cqe[NVME_CQE_LEN];
    uint16_t cid = d->next_admin_cid++;
    uint64_t end = clock_ms_u64() + NVME_ADMIN_TIMEOUT_MS;
    uint64_t slot_addr;

    cmd[0] = (cmd[0] & 0xffffu) | (uint32_t)cid << 16;
    put_cmd(sqe, cmd);
    qts_memwrite(d->qts, d->asq + (uint64_t)d->asq_tail * NVME_SQE_LEN, sqe,
                 sizeof(sqe));
    d->asq_tail = (uint16_t)((d->asq_tail + 1) % NVME_ADMIN_LEN);
    nvme_doorbell(d, 0, false, d->asq_tail);
    slot_addr = d->acq + (uint64_t)d->acq_head * NVME_CQE_LEN;
    for (;;) {
        if (qts_memread(d->qts, slot_addr, cqe, sizeof(cqe)))
            return -1;
        if (((nvme_get32(cqe + 12) >> 16) & 1) == d->acq_phase)
            break;
        if (clock_ms_u64() >= end)
            return qts_fail(d->qts, "nvme_%u: admin opcode 0x%02x: no "
                            "completion within %u ms (CSTS 0x%x)", d->index,
                            cmd[0] & 0xff, NVME_ADMIN_TIMEOUT_MS,
                            nvme_csts(d));
        clock_sleep_ms(1);
    }
    if ((nvme_get32(cqe + 12) & 0xffff) != cid)
        return qts_fail(d->qts, "nvme_%u: admin completion for cid %u, "
                        "expected %u", d->index,
                        nvme_get32(cqe + 12) & 0xffff, cid);
    d->acq_head = (uint16_t)((d->acq_head + 1) % NVME_ADMIN_LEN);
    if (d->acq_head == 0)
        d->acq_phase = !d->acq_phase;
    nvme_doorbell(d, 0, true, d->acq_head);
    if (status)
        *status = (uint16_t)(nvme_get32(cqe + 12) >> 17) & 0x7fff;
    if (result)
        *result = nvme_get32(cqe);
    return qts_error(d->qts) ? -1 : 0;
}

/* An admin command that must succeed. */
int nvme_admin_ok(struct nvme_dev *d, uint32_t cmd[16], const char *what,
                  uint32_t *result)
{
    uint16_t status;

    if (nvme_admin(d, cmd, &status, result))
        return -1;
    if (status)
        return qts_fail(d->qts, "nvme_%u: %s failed: status 0x%03x "
                        "(type %u, code 0x%02x)", d->index, what, status,
                        (status >> 8) & 7, status & 0xff);
    return 0;
}

/* Identify with CNS cns (and controller id cntid) into the scratch page. */
int nvme_identify(struct nvme_dev *d, uint8_t cns, uint16_t cntid,
                  uint32_t nsid, void *buf, size_t len)
{
    uint32_t cmd[16] = { NVME_ADM_IDENTIFY };
    uint64_t prp = dma_bus_addr(&d->dma, d->scratch);

    cmd[1] = nsid;
    cmd[6] = (uint32_t)prp;
    cmd[7] = (uint32_t)(prp >> 32);
    cmd[10] = cns | (uint32_t)cntid << 16;
    qts_memset(d->qts, d->scratch, 0, NVME_PAGE);
    if (nvme_admin_ok(d, cmd, "Identify", NULL))
        return -1;
    return qts_memread(d->qts, d->scratch, buf, len);
}

/* --- bring-up ----------------------------------------------------------- */

static int alloc_admin(struct nvme_dev *d, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

    snprintf(name, sizeof(name), "nvme_%u admin", d->index);
    d->asq = galloc_alloc(g, 3 * NVME_PAGE, 0, name);
    if (!d->asq)
        return qts_fail(d->qts, "nvme_%u: guest memory: %s", d->index,
                        galloc_error(g));
    d->acq = d->asq + NVME_PAGE;
    d->scratch = d->acq + NVME_PAGE;
    return 0;
}

/* CC.EN 0, wait not ready; program AQA/ASQ/ACQ; CC.EN 1, wait ready. */
int nvme_enable(struct nvme_dev *d)
{
    struct qts *q = d->qts;
    uint64_t asq = dma_bus_addr(&d->dma, d->asq);
    uint64_t acq = dma_bus_addr(&d->dma, d->acq);

    qts_writel(q, d->bar0 + NVME_REG_CC, 0);
    if (wait_csts(d, NVME_CSTS_RDY, 0, "disable"))
        return -1;
    qts_memset(q, d->asq, 0, 2 * NVME_PAGE);
    d->asq_tail = d->acq_head = 0;
    d->acq_phase = true;
    qts_writel(q, d->bar0 + NVME_REG_AQA,
               (NVME_ADMIN_LEN - 1) << 16 | (NVME_ADMIN_LEN - 1));
    qts_writel(q, d->bar0 + NVME_REG_ASQ, (uint32_t)asq);
    qts_writel(q, d->bar0 + NVME_REG_ASQ + 4, (uint32_t)(asq >> 32));
    qts_writel(q, d->bar0 + NVME_REG_ACQ, (uint32_t)acq);
    qts_writel(q, d->bar0 + NVME_REG_ACQ + 4, (uint32_t)(acq >> 32));
    qts_writel(q, d->bar0 + NVME_REG_CC, NVME_CC_EN | NVME_CC_IOSQES |
               NVME_CC_IOCQES);
    return wait_csts(d, NVME_CSTS_RDY, NVME_CSTS_RDY, "enable");
}

int nvme_setup_admin(struct nvme_dev *d, struct qts *q, struct qpci_bus *bus,
                     int func, unsigned int index, uint64_t seed,
                     struct galloc *g, const struct dma_hook *dma)
{
    uint8_t id[128];
    uint64_t cap;

    memset(d, 0, sizeof(*d));
    if (dma)
        d->dma = *dma;
    d->qts = q;
    d->bus = bus;
    d->func = func;
    d->sbdf = bus->func[func].sbdf;
    d->index = index;
    d->seed = seed;
    d->bar0 = qpci_bar_addr(bus, func, 0);
    if (!d->bar0)
        return qts_fail(q, "nvme_%u: BAR0 not assigned", index);
    if (alloc_admin(d, g))
        return -1;
    qpci_enable(bus, d->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    cap = qts_readq(q, d->bar0 + NVME_REG_CAP);
    if (qts_error(q))
        return -1;
    if (cap == 0 || cap == ~0ull)
        return qts_fail(q, "nvme_%u: CAP reads 0x%" PRIx64 " (BAR0 does not "
                        "decode)", index, cap);
    if ((cap & 0xffff) + 1 < NVME_QUEUE_LEN)
        return qts_fail(q, "nvme_%u: CAP.MQES %u < %u", index,
                        (unsigned int)(cap & 0xffff) + 1, NVME_QUEUE_LEN);
    d->db_stride = 4u << ((cap >> 32) & 0xf);
    if (nvme_enable(d))
        return -1;
    if (nvme_identify(d, NVME_CNS_CTRL, 0, 0, id, sizeof(id)))
        return -1;
    d->cntlid = (uint16_t)(id[78] | id[79] << 8);
    return 0;
}

int nvme_setup(struct nvme_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma)
{
    if (nvme_setup_admin(d, q, bus, func, index, seed, g, dma))
        return -1;
    return nvme_setup_io(d, g);
}
