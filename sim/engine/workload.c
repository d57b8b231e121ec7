/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * workload: what the devices are doing around the crash.  Before it, a
 * live driver: frames offered to every NIC, TX descriptors rung, every
 * AHCI slot issued and re-issued as it completes, interrupts acknowledged.
 * During the crash path, after each config write: one frame offered to
 * every NIC and every device sampled, so each DMA landing is attributed to
 * the number of writes done before it.  After it, for the window: frames
 * and TX doorbells only (nothing re-issues AHCI commands, no CPU would).
 */
#include <string.h>

#include "engine.h"
#include "base/clock.h"

#define TICK_MS             10
#define READY_TIMEOUT_MS    4000    /* e1000 refuses frames ~1 s after RCTL */
#define WARMUP_TICKS        8
#define TX_WARMUP           4       /* TX descriptors rung before the crash */

/* --- sampling ------------------------------------------------------------ */

static uint64_t progress(const struct dma_endpoint *d)
{
    if (d->ops)
        return d->ops->progress(d);
    if (d->kind == DEV_E1000)
        return (uint64_t)d->e1000.rx_done + d->e1000.tx_done;
    return (uint64_t)d->ahci.started + d->ahci.completed;
}

static bool blocked_by_bridge(const struct crash_machine *m,
                              const struct dma_endpoint *d,
                              unsigned int writes)
{
    unsigned int i;

    for (i = 0; i < d->nr_up; i++) {
        unsigned int at = m->written_at[d->up[i]];

        if (at && at <= writes)
            return true;
    }
    return false;
}

/* AHCI events of slots that are not in flight: new requests. */
static bool ahci_new_activity(const struct dma_endpoint *d,
                              const enum ahci_slot_state *before)
{
    unsigned int s;

    for (s = 0; s < AHCI_SLOTS; s++)
        if (d->ahci.slot[s] != before[s] && !d->inflight[s])
            return true;
    return false;
}

/* --- the timeline ---------------------------------------------------------- */

void workload_event(struct crash_machine *m, enum crash_event_kind kind,
                    int dev, unsigned int pin, uint64_t bytes,
                    unsigned int count)
{
    struct crash_result *r = m->res;
    struct crash_event *e;

    if (!m->in_crash || !r)
        return;
    if (r->nr_events == CRASH_MAX_EVENTS) {
        r->events_truncated = true;
        return;
    }
    e = &r->event[r->nr_events++];
    e->t_ms = clock_ms() - m->t_crash;
    e->kind = kind;
    e->dev = dev;
    e->pin = pin;
    e->bytes = bytes;
    e->count = count;
}

static void on_irq(void *arg, unsigned int pin, bool raised)
{
    if (raised)
        workload_event(arg, CRASH_EV_INTX, -1, pin, 0, 1);
}

void workload_watch_intx(struct crash_machine *m)
{
    qts_set_irq_hook(m->q, on_irq, m);
}

/* What an e1000 sample found since the last one, as events. */
static void e1000_events(struct crash_machine *m, const struct dma_endpoint *d,
                         const struct e1000_dev *before)
{
    const struct e1000_dev *n = &d->e1000;
    int i = (int)(d - m->dev);

    if (n->rx_done != before->rx_done)
        workload_event(m, CRASH_EV_DMA_WRITE, i, 0,
                       n->rx_bytes - before->rx_bytes,
                       n->rx_done - before->rx_done);
    if (n->tx_done != before->tx_done)
        workload_event(m, CRASH_EV_DMA_READ, i, 0,
                       n->tx_bytes - before->tx_bytes,
                       n->tx_done - before->tx_done);
}

/*
 * What an AHCI sample found: reads completed (those started at the
 * device's disconnect write apart) and MSIs.  The bytes are shared out by
 * the number of reads of each kind (every read is AHCI_CMD_BYTES).
 */
static void ahci_events(struct crash_machine *m, const struct dma_endpoint *d,
                        const enum ahci_slot_state *slots, uint64_t bytes,
                        unsigned long msi)
{
    unsigned int s, old = 0, fresh = 0;
    uint64_t delta = d->ahci.bytes - bytes;
    int i = (int)(d - m->dev);

    for (s = 0; s < AHCI_SLOTS; s++) {
        if (d->ahci.slot[s] != AHCI_SLOT_DONE || slots[s] == AHCI_SLOT_DONE)
            continue;
        if (d->inflight_known && d->inflight[s])
            old++;
        else
            fresh++;
    }
    if (fresh)
        workload_event(m, CRASH_EV_DMA_WRITE, i, 0,
                       delta * fresh / (old + fresh), fresh);
    if (old)
        workload_event(m, CRASH_EV_INFLIGHT_DONE, i, 0,
                       delta * old / (old + fresh), old);
    if (d->ahci.msi != msi)
        workload_event(m, CRASH_EV_MSI, i, 0, 0,
                       (unsigned int)(d->ahci.msi - msi));
}

/* Sample device d, its new DMA as timeline events. */
static void sample_with_events(struct crash_machine *m, struct dma_endpoint *d,
                               enum ahci_slot_state *before_slots)
{
    struct e1000_dev nic;
    uint64_t bytes;
    unsigned long msi;

    if (d->ops) {
        d->ops->sample(m, d);       /* events: workload_sample_dev */
        return;
    }
    if (d->kind == DEV_E1000) {
        nic = d->e1000;
        e1000_sample(&d->e1000);
        if (m->in_crash)
            e1000_events(m, d, &nic);
        return;
    }
    memcpy(before_slots, d->ahci.slot, AHCI_SLOTS * sizeof(*before_slots));
    bytes = d->ahci.bytes;
    msi = d->ahci.msi;
    ahci_sample(&d->ahci);
    ahci_msi_poll(&d->ahci);
    if (m->in_crash)
        ahci_events(m, d, before_slots, bytes, msi);
}

void workload_sample_dev(struct crash_machine *m, struct dma_endpoint *d,
                         bool after_path)
{
    enum ahci_slot_state before_slots[AHCI_SLOTS];
    uint64_t before = progress(d);
    bool blocked, is_new;

    sample_with_events(m, d, before_slots);
    if (!m->in_crash || progress(d) == before || d->preserved)
        return;
    blocked = blocked_by_bridge(m, d, m->writes);
    /* Once its in-flight set is known, only those slots may move. */
    if (d->ops)
        is_new = d->ops->new_activity(d);
    else
        is_new = d->kind == DEV_E1000 || !d->inflight_known ||
                 ahci_new_activity(d, before_slots);
    d->last_landing = (int)m->writes;
    if (!blocked)
        d->last_landing_pcie = (int)m->writes;
    if (is_new) {
        d->last_new_landing = (int)m->writes;
        if (!blocked)
            d->last_new_landing_pcie = (int)m->writes;
    }
    if (after_path && is_new)
        d->new_after_path = true;
    /* Table kinds count requests; their bytes are in the results only. */
    if (d->ops)
        workload_event(m, is_new ? CRASH_EV_DMA_WRITE : CRASH_EV_INFLIGHT_DONE,
                       (int)(d - m->dev), 0, 0,
                       (unsigned int)(progress(d) - before));
}

void workload_record_inflight(struct dma_endpoint *d)
{
    unsigned int s;

    if (d->inflight_known)
        return;
    d->inflight_known = true;
    if (d->ops)
        d->ops->record_inflight(d);
    if (d->kind != DEV_AHCI)
        return;     /* e1000 DMA is one synchronous copy per frame */
    for (s = 0; s < AHCI_SLOTS; s++)
        d->inflight[s] = d->ahci.slot[s] == AHCI_SLOT_STARTED;
}

/* Offer a frame to every NIC, let QEMU take them, sample every device. */
void workload_offer_and_sample(struct crash_machine *m, bool after_path)
{
    unsigned int i;

    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].kind == DEV_E1000)
            e1000_send_frame(&m->dev[i].e1000);
        else if (m->dev[i].ops && m->dev[i].ops->nic)
            m->dev[i].ops->offer(&m->dev[i]);
    /* Two round trips: QEMU's main loop has read the datagrams by then. */
    (void)qts_readl(m->q, LOW_START);
    (void)qts_readl(m->q, LOW_START);
    for (i = 0; i < m->nr_devs; i++)
        workload_sample_dev(m, &m->dev[i], after_path);
}

void workload_on_crash_write(struct crash_machine *m, unsigned long nr,
                             uint32_t sbdf, uint16_t value)
{
    struct crash_result *r = m->res;
    double t = clock_ms();
    unsigned int i;
    int f;

    m->writes = (unsigned int)nr;
    f = qpci_find(m->bus, sbdf);
    if (f >= 0 && !m->written_at[f])
        m->written_at[f] = (unsigned int)nr;
    if (r->nr_steps < CRASH_MAX_STEPS) {
        r->step[r->nr_steps].sbdf = sbdf;
        r->step[r->nr_steps].value = value;
        r->step[r->nr_steps].t_ms = t - m->t_crash;
        r->nr_steps++;
    }
    /* Table kinds: what they had fetched was in flight before this write
     * (QEMU's virtio-blk lands all of it before the write returns). */
    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].sbdf == sbdf && m->dev[i].ops) {
            m->dev[i].inflight_known = false;
            workload_record_inflight(&m->dev[i]);
        }
    workload_offer_and_sample(m, false);
    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].sbdf == sbdf && !m->dev[i].ops) {
            m->dev[i].inflight_known = false;
            workload_record_inflight(&m->dev[i]);
        }
    m->hook_ms += clock_ms() - t;
}

/* --- before the crash ---------------------------------------------------- */

void workload_ack_all(struct crash_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_devs; i++) {
        if (m->dev[i].ops)
            m->dev[i].ops->ack(&m->dev[i]);
        else if (m->dev[i].kind == DEV_E1000)
            e1000_ack(&m->dev[i].e1000);
        else
            ahci_ack(&m->dev[i].ahci);
    }
}

/*
 * A live driver before the crash: completed AHCI slots get a new command
 * (the next disk chunk) into their buffer, refilled with the guard pattern
 * first, so the crash finds the queue full; the table kinds' slots too
 * (ops->refill: NVMe, virtio-blk).  Never after the crash.
 */
int workload_refill_ahci(struct crash_machine *m)
{
    unsigned int i, s;
    uint32_t mask;

    for (i = 0; i < m->nr_devs; i++) {
        struct ahci_dev *a = &m->dev[i].ahci;

        if (m->dev[i].ops && m->dev[i].ops->refill &&
            m->dev[i].ops->refill(m, &m->dev[i]))
            return -1;
        if (m->dev[i].kind != DEV_AHCI)
            continue;
        mask = ahci_done_slots(a);
        for (s = 0; s < AHCI_SLOTS; s++)
            if ((mask & (1u << s)) &&
                guard_fill(m, ahci_slot_data(a, s), AHCI_CMD_BYTES))
                return -1;
        if (ahci_issue_slots(a, mask))
            return -1;
    }
    return 0;
}

static int wait_nics_ready(struct crash_machine *m)
{
    double deadline = clock_ms() + READY_TIMEOUT_MS;
    unsigned int i, waiting;

    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].kind == DEV_E1000)
            e1000_send_frame(&m->dev[i].e1000);
        else if (m->dev[i].ops && m->dev[i].ops->nic)
            m->dev[i].ops->offer(&m->dev[i]);
    do {
        clock_sleep_ms(TICK_MS);
        waiting = 0;
        for (i = 0; i < m->nr_devs; i++) {
            struct dma_endpoint *d = &m->dev[i];

            workload_sample_dev(m, d, false);
            if ((d->kind == DEV_E1000 && d->e1000.rx_done == 0) ||
                (d->ops && d->ops->nic && !d->ops->progress(d)))
                waiting++;
        }
        workload_ack_all(m);
        workload_refill_ahci(m);
        qts_irq_poll(m->q, 0);
        if (qts_error(m->q))
            return -1;
    } while (waiting && clock_ms() < deadline);
    if (waiting)
        return qts_fail(m->q, "%u NIC(s) received no frame within %u ms",
                        waiting, READY_TIMEOUT_MS);
    return 0;
}

/* What each device did before the crash, with --verbose. */
static void note_warmup(struct crash_machine *m, const struct dma_endpoint *d)
{
    if (d->ops) {
        d->ops->note(m, d);
        return;
    }
    if (d->kind == DEV_E1000) {
        engine_note(m, "%s: %u frames sent, %u landed, %lu TX datagrams "
                    "before the crash", d->e1000.name, d->e1000.frames_sent,
                    d->e1000.rx_done, d->e1000.tx_datagrams);
        if (d->e1000.rx_done != d->e1000.frames_sent)
            engine_note(m, "%s: not every frame landed before sampling",
                        d->e1000.name);
        return;
    }
    engine_note(m, "ahci_%u: %lu reads issued, %u started, %u completed, "
                "%lu MSIs seen before the crash", d->ahci.index,
                d->ahci.issued, d->ahci.started, d->ahci.completed,
                d->ahci.msi);
}

int workload_start(struct crash_machine *m)
{
    unsigned int i, t;

    for (i = 0; i < m->nr_devs; i++) {
        struct dma_endpoint *d = &m->dev[i];

        if (d->kind == DEV_AHCI && ahci_issue_all(&d->ahci))
            return -1;
        if (d->ops && d->ops->start && d->ops->start(m, d))
            return -1;
        if (d->kind == DEV_E1000 && e1000_tx_post(&d->e1000, TX_WARMUP))
            return -1;
    }
    if (wait_nics_ready(m))
        return -1;
    for (t = 0; t < WARMUP_TICKS; t++) {
        for (i = 0; i < m->nr_devs; i++)
            if (m->dev[i].kind == DEV_E1000 && t < TX_WARMUP)
                e1000_tx_ring(&m->dev[i].e1000);
        workload_offer_and_sample(m, false);
        workload_ack_all(m);
        workload_refill_ahci(m);
        qts_irq_poll(m->q, 0);
        clock_sleep_ms(TICK_MS);
    }
    for (i = 0; i < m->nr_devs; i++) {
        struct dma_endpoint *d = &m->dev[i];

        note_warmup(m, d);
        if (d->kind == DEV_E1000)
            e1000_tx_post(&d->e1000, E1000_TX_DESCS);
    }
    return qts_error(m->q) ? -1 : 0;
}

/* The live system between the warm-up and the crash: no TX doorbell, the
 * posted descriptors wait for the window. */
int workload_run_live(struct crash_machine *m, unsigned int ms)
{
    double end = clock_ms() + ms;

    while (clock_ms() < end) {
        workload_offer_and_sample(m, false);
        workload_ack_all(m);
        if (workload_refill_ahci(m))
            return -1;
        qts_irq_poll(m->q, 0);
        if (qts_error(m->q))
            return -1;
        clock_sleep_ms(TICK_MS);
    }
    return 0;
}

/* --- after the crash ----------------------------------------------------- */

int workload_run_window(struct crash_machine *m)
{
    double end = clock_ms() + m->opts->window_ms;
    unsigned int i;

    while (clock_ms() < end) {
        for (i = 0; i < m->nr_devs; i++)
            if (m->dev[i].kind == DEV_E1000)
                e1000_tx_ring(&m->dev[i].e1000);
        workload_offer_and_sample(m, true);
        qts_irq_poll(m->q, 0);
        /* One fault record until it is cleared: read them as they come. */
        if (m->iommu)
            iommu_poll_faults(m->iommu);
        if (qts_error(m->q))
            return -1;
        clock_sleep_ms(TICK_MS);
    }
    for (i = 0; i < m->nr_devs; i++)
        workload_sample_dev(m, &m->dev[i], true);
    qts_irq_poll(m->q, 0);
    return qts_error(m->q) ? -1 : 0;
}
