/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devkind: the table by topology kind, the QEMU arguments the kinds give,
 * SR-IOV room and VF endpoints (see devkind.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const struct devkind_ops *devkind_for(const struct spec_node *n)
{
    switch (n->kind) {
    case SPEC_NVME:         return n->vfs ? &devkind_nvme_pf : &devkind_nvme;
    case SPEC_VIRTIO_BLK:   return &devkind_vblk;
    case SPEC_VIRTIO_NET:   return &devkind_vnet;
    case SPEC_IGB:          return &devkind_igb;
    case SPEC_XHCI:         return &devkind_xhci;
    default:                return NULL;
    }
}

unsigned int devkind_index(const struct spec_node *n)
{
    const char *p = strrchr(n->id, '_');

    return p ? (unsigned int)strtoul(p + 1, NULL, 10) : 0;
}

int devkind_qemu_push(struct crash_machine *m, struct devkind_qemu *q,
                      bool after, const char *option, const char *value)
{
    const char **list = after ? q->after : q->before;
    unsigned int *nr = after ? &q->nr_after : &q->nr_before;
    unsigned int max = after ? 2 * SPEC_MAX_NODES : 6 * SPEC_MAX_NODES;
    char *copy;
    int n;

    if (q->nr_values == 3 * SPEC_MAX_NODES || *nr + 2 > max)
        return qts_fail(m->q, "topology: too many QEMU arguments");
    copy = q->value[q->nr_values++];
    n = snprintf(copy, DEVKIND_ARG_LEN, "%s", value);
    if (n < 0 || n >= DEVKIND_ARG_LEN)
        return qts_fail(m->q, "topology: a %s argument is too long", option);
    list[(*nr)++] = option;
    list[(*nr)++] = copy;
    return 0;
}

int devkind_qemu_extra(struct crash_machine *m, struct devkind_qemu *q,
                       unsigned int node, const char *device)
{
    const char *props = strchr(device, ',');
    int n = snprintf(q->extra[node], DEVKIND_ARG_LEN, "%s",
                     props ? props : "");

    if (n < 0 || n >= DEVKIND_ARG_LEN)
        return qts_fail(m->q, "topology: %s: -device too long",
                        m->opts->spec->node[node].id);
    return 0;
}

int devkind_qemu_args(struct crash_machine *m, struct devkind_qemu *q)
{
    const struct spec *s = m->opts->spec;
    unsigned int i;

    for (i = 0; i < s->nr; i++) {
        const struct devkind_ops *ops = devkind_for(&s->node[i]);

        if (ops && ops->qemu_args(m, i, q))
            return -1;
    }
    return 0;
}

int devkind_reserve_vfs(struct crash_machine *m)
{
    const struct spec *s = m->opts->spec;
    unsigned int i;
    int f;

    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];

        if (!nd->vfs)
            continue;
        f = qpci_find_path(m->bus, nd->path, nd->path_len);
        if (f < 0)
            return qts_fail(m->q, "topology: %s (%s) not found on the bus",
                            nd->id, spec_kind_name(nd->kind));
        if (qpci_sriov_reserve(m->bus, f, nd->vfs))
            return -1;
    }
    return 0;
}

unsigned int devkind_max_endpoints(const struct spec *s)
{
    return s->nr + spec_total_vfs(s) + 1;
}

struct dma_endpoint *devkind_add_vf(struct crash_machine *m,
                                    const struct dma_endpoint *pf,
                                    const struct devkind_ops *ops, int func,
                                    unsigned int vf)
{
    struct dma_endpoint *d;
    int up;

    if (m->nr_devs + 1 >= devkind_max_endpoints(m->opts->spec)) {
        qts_fail(m->q, "%s: no room for VF %u", pf->name, vf);
        return NULL;
    }
    d = &m->dev[m->nr_devs++];
    memset(d, 0, sizeof(*d));
    d->kind = DEV_TABLE;
    d->ops = ops;
    d->node = pf->node;
    d->func = func;
    d->sbdf = m->bus->func[func].sbdf;
    d->preserved = pf->preserved;
    m->bus->func[func].preserve = pf->preserved;
    snprintf(d->name, sizeof(d->name), "%.15s.vf%u", pf->name, vf);
    d->last_landing = d->last_landing_pcie = -1;
    d->last_new_landing = d->last_new_landing_pcie = -1;
    for (up = m->bus->func[func].parent; up >= 0 && d->nr_up <= SPEC_MAX_DEPTH;
         up = m->bus->func[up].parent)
        d->up[d->nr_up++] = up;
    if (ops->open && ops->open(m, d))
        return NULL;
    return d;
}

/* --- a PF that does no DMA of its own ----------------------------------- */

int devkind_idle_regions(struct crash_machine *m, unsigned int i)
{
    (void)m;
    (void)i;
    return 0;
}

void devkind_idle_sample(struct crash_machine *m, struct dma_endpoint *d)
{
    (void)m;
    (void)d;
}

uint64_t devkind_idle_progress(const struct dma_endpoint *d)
{
    (void)d;
    return 0;
}

bool devkind_idle_new_activity(struct dma_endpoint *d)
{
    (void)d;
    return false;
}

void devkind_idle(struct dma_endpoint *d)
{
    (void)d;
}

void devkind_idle_results(struct crash_machine *m,
                          const struct dma_endpoint *d,
                          struct crash_dev_result *o)
{
    (void)m;
    (void)d;
    (void)o;
}

int devkind_plan_only_vfs(struct crash_machine *m)
{
    const struct spec *s = m->opts->spec;
    unsigned int i;
    int f;

    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];

        if (!nd->vfs)
            continue;
        f = qpci_find_path(m->bus, nd->path, nd->path_len);
        if (f < 0 || qpci_sriov_enable(m->bus, f, nd->vfs) < 0)
            return qts_fail(m->q, "%s: VFs could not be enabled", nd->id);
        /* VFs inherit keep: from their PF, as in a run. */
        for (f = (int)m->bus->nr - (int)nd->vfs; f < (int)m->bus->nr; f++)
            m->bus->func[f].preserve = nd->keep;
    }
    return 0;
}
