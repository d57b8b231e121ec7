/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_block: see dev_block.h.
 */
#include <stdio.h>
#include <string.h>

#include "dev_block.h"
#include "engine.h"

_Static_assert(BLK_SLOTS <= AHCI_SLOTS, "dma_endpoint.inflight[] is too small");
_Static_assert(BLK_SLOTS == 32, "slot masks are 32-bit");

static struct blk_state *state(const struct dma_endpoint *d)
{
    return d->priv;
}

int blk_start(struct crash_machine *m, struct dma_endpoint *d)
{
    struct blk_state *b = state(d);

    (void)m;
    return b->drv->issue(b->dev, 0xffffffffu);
}

/* Slot s's read has landed: its buffer ends with the bytes it asked for. */
static bool tail_landed(struct crash_machine *m, struct blk_state *b,
                        unsigned int s)
{
    uint8_t got[BLK_TAIL], want[BLK_TAIL];

    if (qts_memread(m->q, b->drv->slot_data(b->dev, s) + BLK_CMD_BYTES -
                    BLK_TAIL, got, sizeof(got)))
        return false;
    b->drv->tail(b->dev, s, want, sizeof(want));
        return !memcmp(got, want, sizeof(got));
}

static void count_landing(struct dma_endpoint *d, struct blk_state *b,
                          unsigned int s)
{
    b->landed |= 1u << s;
    b->landings++;
    /* From the device's own disconnect write on (QEMU's virtio-blk lands
     * every fetched read before that write returns). */
    if (d->inflight_known && d->inflight[s])
        b->inflight_landings++;
    /* A read that was not in flight landing is new DMA. */
    if (!d->inflight_known || !d->inflight[s])
        b->new_seen = true;
}

void blk_sample(struct crash_machine *m, struct dma_endpoint *d)
{
    struct blk_state *b = state(d);
    uint32_t before = b->drv->posted(b->dev) & ~b->landed, check;
    unsigned long entries;
    unsigned int s;

    b->drv->sample(b->dev);
    msix_poll(b->drv->msix(b->dev));
    entries = b->drv->entries(b->dev);
    /* A completion entry is a write of its own: new DMA. */
    if (entries != b->entries)
        b->new_seen = true;
    b->entries = entries;
    /* An entry says the data is there. */
    for (s = 0; s < BLK_SLOTS; s++)
        if ((before & (1u << s)) && (b->drv->done(b->dev) & (1u << s)))
            count_landing(d, b, s);
    if (!m->in_crash) {
        b->new_seen = false;    /* the engine asks from the crash on */
        return;
    }
    check = b->drv->posted(b->dev) & ~b->landed;
    for (s = 0; s < BLK_SLOTS; s++)
        if ((check & (1u << s)) && tail_landed(m, b, s))
            count_landing(d, b, s);
}

uint64_t blk_progress(const struct dma_endpoint *d)
{
    const struct blk_state *b = state(d);

    return (uint64_t)b->entries + b->landings;
}

bool blk_new_activity(struct dma_endpoint *d)
{
    struct blk_state *b = state(d);
    bool seen = b->new_seen;

    b->new_seen = false;
    return seen;
}

void blk_ack(struct dma_endpoint *d)
{
    struct blk_state *b = state(d);

    if (b->drv->ack)
        b->drv->ack(b->dev);
}

/* A live driver: completed slots get their next read, into a buffer
 * guard-filled again. */
int blk_refill(struct crash_machine *m, struct dma_endpoint *d)
{
    struct blk_state *b = state(d);
    uint32_t mask = b->drv->done(b->dev);
    unsigned int s;

    for (s = 0; s < BLK_SLOTS; s++)
        if ((mask & (1u << s)) &&
            guard_fill(m, b->drv->slot_data(b->dev, s), BLK_CMD_BYTES))
            return -1;
    b->landed &= ~mask;
    return b->drv->issue(b->dev, mask);
}

void blk_record_inflight(struct dma_endpoint *d)
{
    struct blk_state *b = state(d);
    uint32_t posted = b->drv->posted(b->dev);
    unsigned int s;

    for (s = 0; s < BLK_SLOTS; s++)
        d->inflight[s] = (posted & (1u << s)) != 0;
}

void blk_baseline(struct dma_endpoint *d)
{
    struct blk_state *b = state(d);

    b->based = true;
    b->base_landings = b->landings;
    b->base_entries = b->entries;
    b->base_msix = b->drv->msix(b->dev)->total;
    b->queued_at_path = (unsigned int)__builtin_popcount(
        b->drv->posted(b->dev));
}

void blk_results(struct crash_machine *m, const struct dma_endpoint *d,
                 struct crash_dev_result *o)
{
    const struct blk_state *b = state(d);
    unsigned int s;

    (void)m;
    o->bytes_written = (uint64_t)(b->landings - b->base_landings) *
                       BLK_CMD_BYTES;
    o->completions = b->entries - b->base_entries;
    for (s = 0; s < BLK_SLOTS; s++)
        o->inflight_requests += d->inflight[s];
    o->inflight_landed = b->inflight_landings;
    o->msi_enabled = true;
    o->msi = b->drv->msix(b->dev)->total - b->base_msix;
    o->queued_at_crash = b->queued_at_path;
    o->queued_bytes_at_crash = (uint64_t)b->queued_at_path * BLK_CMD_BYTES;
}

int blk_slot_regions(struct crash_machine *m, unsigned int i)
{
    const struct blk_state *b = state(&m->dev[i]);
    char name[CRASH_REGION_LEN];
    unsigned int s;

    for (s = 0; s < BLK_SLOTS; s++) {
        snprintf(name, sizeof(name), "%s slot %u buffer", m->dev[i].name, s);
        if (guard_region(m, name, b->drv->slot_data(b->dev, s),
                         BLK_CMD_BYTES, (int)i, (int)s, true))
            return -1;
    }
    return 0;
}
