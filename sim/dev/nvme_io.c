/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme_io: the I/O queue pair and the READ workload (see nvme.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvme.h"
#include "nvme_int.h"

static int alloc_io(struct nvme_dev *d, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

#define ALLOC(field, size, align, what)                                    \
    do {                                                                   \
        snprintf(name, sizeof(name), "nvme_%u %s", d->index, what);        \
        d->field = galloc_alloc(g, size, align, name);                     \
        if (!d->field)                                                     \
            return qts_fail(d->qts, "nvme_%u: guest memory: %s", d->index, \
                            galloc_error(g));                              \
    } while (0)
    ALLOC(iosq, 2 * NVME_PAGE, 0, "I/O queues");
    ALLOC(prp_lists, (uint64_t)NVME_SLOTS * NVME_PAGE, 0, "PRP lists");
    ALLOC(data, (uint64_t)NVME_SLOTS * NVME_CMD_BYTES, NVME_CMD_BYTES,
          "read buffers");
    ALLOC(msix_words, NVME_PAGE, 0, "MSI-X words");
#undef ALLOC
    d->iocq = d->iosq + NVME_PAGE;
    return 0;
}

/* Namespace 1: 512-byte blocks, at least NVME_DISK_BYTES. */
static int check_namespace(struct nvme_dev *d)
{
    uint8_t ns[192];
    uint64_t nsze = 0;
    unsigned int i, lbads;

    if (nvme_identify(d, NVME_CNS_NS, 0, 1, ns, sizeof(ns)))
        return -1;
    for (i = 0; i < 8; i++)
        nsze |= (uint64_t)ns[i] << (8 * i);
    lbads = ns[128 + 4 * (ns[26] & 0xf) + 2];
    if (nsze == 0)
        return qts_fail(d->qts, "nvme_%u: controller %u has no namespace 1",
                        d->index, d->cntlid);
    if (lbads != 9 || nsze * NVME_BLOCK < NVME_DISK_BYTES)
        return qts_fail(d->qts, "nvme_%u: namespace 1 has %" PRIu64 " blocks "
                        "of 2^%u bytes", d->index, nsze, lbads);
    return 0;
}

/* PRP list of each slot: pages 1..15 of its buffer; written once. */
static int write_prp_lists(struct nvme_dev *d)
{
    uint8_t list[8 * (NVME_PRPS_PER_CMD - 1)];
    unsigned int s, i;

    for (s = 0; s < NVME_SLOTS; s++) {
        for (i = 1; i < NVME_PRPS_PER_CMD; i++) {
            uint64_t a = dma_bus_addr(&d->dma, nvme_slot_data(d, s) +
                                               (uint64_t)i * NVME_PAGE);

            nvme_put32(list + 8 * (i - 1), (uint32_t)a);
            nvme_put32(list + 8 * (i - 1) + 4, (uint32_t)(a >> 32));
        }
        qts_memwrite(d->qts, nvme_slot_prp_list(d, s), list, sizeof(list));
    }
    return qts_error(d->qts) ? -1 : 0;
}

static int create_io_queues(struct nvme_dev *d, unsigned int vector)
{
    uint32_t cq[16] = { NVME_ADM_CREATE_CQ }, sq[16] = { NVME_ADM_CREATE_SQ };
    uint64_t cq_addr = dma_bus_addr(&d->dma, d->iocq);
    uint64_t sq_addr = dma_bus_addr(&d->dma, d->iosq);

    qts_memset(d->qts, d->iosq, 0, 2 * NVME_PAGE);
    cq[6] = (uint32_t)cq_addr;
    cq[7] = (uint32_t)(cq_addr >> 32);
    cq[10] = (NVME_QUEUE_LEN - 1u) << 16 | NVME_IO_QID;
    cq[11] = vector << 16 | 1u << 1 | 1u;    /* vector, IEN, contiguous */
    if (nvme_admin_ok(d, cq, "Create I/O Completion Queue", NULL))
        return -1;
    sq[6] = (uint32_t)sq_addr;
    sq[7] = (uint32_t)(sq_addr >> 32);
    sq[10] = (NVME_QUEUE_LEN - 1u) << 16 | NVME_IO_QID;
    sq[11] = (uint32_t)NVME_IO_QID << 16 | 1u;
    if (nvme_admin_ok(d, sq, "Create I/O Submission Queue", NULL))
        return -1;
    d->sq_tail = d->cq_head = 0;
    d->cq_phase = true;
    return 0;
}

int nvme_setup_io(struct nvme_dev *d, struct galloc *g)
{
    unsigned int vector;

    if (alloc_io(d, g))
        return -1;
    if (msix_setup(&d->msix, d->qts, d->bus, d->func, d->msix_words,
                   &d->dma))
        return -1;
    /* A VF given one interrupt resource has one vector for both CQs. */
    vector = d->msix.vectors > NVME_IO_VECTOR ? NVME_IO_VECTOR : 0;
    if (check_namespace(d) || write_prp_lists(d) ||
        create_io_queues(d, vector))
        return -1;
    d->io_ready = true;
    return 0;
}

uint64_t nvme_slot_data(const struct nvme_dev *d, unsigned int slot)
{
    return d->data + (uint64_t)slot * NVME_CMD_BYTES;
}

uint64_t nvme_slot_prp_list(const struct nvme_dev *d, unsigned int slot)
{
    return d->prp_lists + (uint64_t)slot * NVME_PAGE;
}

static void build_read(struct nvme_dev *d, unsigned int slot, uint8_t *sqe)
{
    uint64_t prp1 = dma_bus_addr(&d->dma, nvme_slot_data(d, slot));
    uint64_t prp2 = dma_bus_addr(&d->dma, nvme_slot_prp_list(d, slot));
    unsigned int chunk = d->next_chunk++ % NVME_DISK_CHUNKS;
    uint64_t slba = (uint64_t)chunk * (NVME_CMD_BYTES / NVME_BLOCK);

    memset(sqe, 0, NVME_SQE_LEN);
    nvme_put32(sqe, NVME_CMD_READ | slot << 16);
    nvme_put32(sqe + 4, 1);                         /* nsid */
    nvme_put32(sqe + 24, (uint32_t)prp1);
    nvme_put32(sqe + 28, (uint32_t)(prp1 >> 32));
    nvme_put32(sqe + 32, (uint32_t)prp2);
    nvme_put32(sqe + 36, (uint32_t)(prp2 >> 32));
    nvme_put32(sqe + 40, (uint32_t)slba);
    nvme_put32(sqe + 44, (uint32_t)(slba >> 32));
    nvme_put32(sqe + 48, NVME_CMD_BYTES / NVME_BLOCK - 1);
    d->slot_chunk[slot] = chunk;
    d->slot[slot] = NVME_SLOT_POSTED;
    d->issued++;
}

int nvme_issue_slots(struct nvme_dev *d, uint32_t mask)
{
    uint8_t sqe[NVME_SQE_LEN];
    unsigned int slot;

    if (!d->io_ready)
        return qts_fail(d->qts, "nvme_%u: no I/O queue", d->index);
    if (!mask)
        return qts_error(d->qts) ? -1 : 0;
    for (slot = 0; slot < NVME_SLOTS; slot++) {
        if (!(mask & (1u << slot)))
            continue;
        if (d->slot[slot] == NVME_SLOT_POSTED)
            return qts_fail(d->qts, "nvme_%u: slot %u issued twice",
                            d->index, slot);
        build_read(d, slot, sqe);
        qts_memwrite(d->qts, d->iosq + (uint64_t)d->sq_tail * NVME_SQE_LEN,
                     sqe, sizeof(sqe));
        d->sq_tail = (uint16_t)((d->sq_tail + 1) % NVME_QUEUE_LEN);
    }
    nvme_doorbell(d, NVME_IO_QID, false, d->sq_tail);
    return qts_error(d->qts) ? -1 : 0;
}

int nvme_issue_all(struct nvme_dev *d)
{
    return nvme_issue_slots(d, 0xffffffffu);
}

static void complete_entry(struct nvme_dev *d, const uint8_t *cqe)
{
    uint32_t dw3 = nvme_get32(cqe + 12);
    unsigned int cid = dw3 & 0xffff;
    uint16_t status = (uint16_t)((dw3 >> 17) & 0x7fff);

    if (cid >= NVME_SLOTS || d->slot[cid] != NVME_SLOT_POSTED) {
        qts_fail(d->qts, "nvme_%u: completion for cid %u, not posted",
                 d->index, cid);
        return;
    }
    if (status) {
        d->slot[cid] = NVME_SLOT_FAILED;
        d->failed++;
        d->last_error = status;
        return;
    }
    d->slot[cid] = NVME_SLOT_DONE;
    d->completed++;
    d->bytes += NVME_CMD_BYTES;
}

int nvme_sample(struct nvme_dev *d)
{
    uint8_t cq[NVME_QUEUE_LEN * NVME_CQE_LEN];
    unsigned int n;

    if (!d->io_ready)
        return 0;
    if (qts_memread(d->qts, d->iocq, cq, sizeof(cq)))
        return -1;
    for (n = 0; n < NVME_QUEUE_LEN; n++) {
        const uint8_t *cqe = cq + (size_t)d->cq_head * NVME_CQE_LEN;

        if (((nvme_get32(cqe + 12) >> 16) & 1) != d->cq_phase)
            break;
        complete_entry(d, cqe);
        d->cq_head = (uint16_t)((d->cq_head + 1) % NVME_QUEUE_LEN);
        if (d->cq_head == 0)
            d->cq_phase = !d->cq_phase;
    }
    return qts_error(d->qts) ? -1 : 0;
}

void nvme_ack(struct nvme_dev *d)
{
    if (d->io_ready)
        nvme_doorbell(d, NVME_IO_QID, true, d->cq_head);
}

static uint32_t slots_in(const struct nvme_dev *d, enum nvme_slot_state a,
                         enum nvme_slot_state b)
{
    uint32_t mask = 0;
    unsigned int s;

    for (s = 0; s < NVME_SLOTS; s++)
        if (d->slot[s] == a || d->slot[s] == b)
            mask |= 1u << s;
    return mask;
}

uint32_t nvme_done_slots(const struct nvme_dev *d)
{
    return slots_in(d, NVME_SLOT_DONE, NVME_SLOT_FAILED);
}

uint32_t nvme_posted_slots(const struct nvme_dev *d)
{
    return slots_in(d, NVME_SLOT_POSTED, NVME_SLOT_POSTED);
}

long nvme_slot_landed(struct nvme_dev *d, unsigned int slot)
{
    static uint8_t got[NVME_CMD_BYTES], want[NVME_CMD_BYTES];
    uint64_t pos = (uint64_t)d->slot_chunk[slot] * NVME_CMD_BYTES;
    unsigned int b;
    long n = 0;

    if (slot >= NVME_SLOTS || d->slot[slot] == NVME_SLOT_IDLE)
        return 0;
    if (qts_memread(d->qts, nvme_slot_data(d, slot), got, sizeof(got)))
        return -1;
    nvme_disk_bytes(d->seed, d->index, pos, want, sizeof(want));
    for (b = 0; b < NVME_CMD_BYTES; b += NVME_BLOCK)
        if (memcmp(got + b, want + b, NVME_BLOCK) == 0)
            n += NVME_BLOCK;
    return n;
}

void nvme_ranges(const struct nvme_dev *d, struct nvme_ranges *r)
{
    r->admin = d->asq;
    r->admin_len = 3 * NVME_PAGE;
    r->io_queues = d->iosq;
    r->io_queues_len = d->iosq ? 2 * NVME_PAGE : 0;
    r->prp_lists = d->prp_lists;
    r->prp_lists_len = d->prp_lists ? (uint64_t)NVME_SLOTS * NVME_PAGE : 0;
    r->data = d->data;
    r->data_len = d->data ? (uint64_t)NVME_SLOTS * NVME_CMD_BYTES : 0;
    r->msix_words = d->msix_words;
}
