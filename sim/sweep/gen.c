/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gen: the sweep's cases.  Case K of a sweep seed is drawn from its own
 * random stream (splitmix64 of the seed and K), so any machine makes the
 * same case K without making the others.
 *
 * A topology is a random list of items from kinds[] below, nested up to
 * SWEEP_MAX_DEPTH bridges and root ports deep (a quarter of the cases
 * hold a chain that deep); devices are marked keep: now and then.  A new
 * device kind of the topology SPEC joins the sweep with one line in
 * kinds[].  Every topology is checked with the SPEC parser, and against
 * the QEMU version the sweep runs on (sweep_gen_qemu), before use.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sweep.h"
#include "topology/spec.h"

enum gen_shape {
    GEN_DEVICE,             /* a PCI endpoint; keep: may mark it */
    GEN_BRIDGE,             /* bridge(...): 1 or 2 items inside, or none */
    GEN_ROOTPORT,           /* rootport(...): top level, one item inside */
    GEN_IOMMU,              /* top level, not a PCI function */
};

struct gen_kind {
    const char *name;       /* the SPEC word */
    enum gen_shape shape;
    unsigned int weight;    /* how often it is drawn */
    unsigned int max;       /* at most this many per case */
    unsigned int vfs;       /* SR-IOV: (vfs=1..vfs) */
};

static const struct gen_kind kinds[] = {
    /* name         shape          weight  max  vfs */
    { "e1000",      GEN_DEVICE,    4,      4,   0 },
    { "e1000e",     GEN_DEVICE,    3,      3,   0 },
    { "ahci",       GEN_DEVICE,    2,      2,   0 },
    { "serial",     GEN_DEVICE,    2,      2,   0 },
    { "nvme",       GEN_DEVICE,    2,      2,   0 },
    { "nvme",       GEN_DEVICE,    1,      1,   2 },
    { "virtio-net", GEN_DEVICE,    1,      1,   0 },
    { "virtio-blk", GEN_DEVICE,    1,      1,   0 },
    { "igb",        GEN_DEVICE,    1,      1,   2 },
    { "xhci",       GEN_DEVICE,    1,      1,   0 },
    { "bridge",     GEN_BRIDGE,    3,      4,   0 },
    { "rootport",   GEN_ROOTPORT,  2,      3,   0 },
    { "iommu",      GEN_IOMMU,     1,      1,   0 },
};

/* The QEMU the cases run on: items it lacks are not drawn. */
static unsigned int qemu_major, qemu_minor;

void sweep_gen_qemu(unsigned int major, unsigned int minor)
{
    qemu_major = major;
    qemu_minor = minor;
}

#define NR_KINDS        (sizeof(kinds) / sizeof(kinds[0]))
#define MAX_DEVICES     5       /* keeps a case near a few seconds */
#define MAX_BRIDGES     5
#define Q35_FUNCTIONS   4       /* 00:00.0, 00:1f.0, 00:1f.2, 00:1f.3 */
#define KEEP_ONE_IN     8
#define DEEP_ONE_IN     4
#define EMPTY_ONE_IN    6       /* bridges with nothing behind them */

struct gen {
    uint64_t state;
    char *buf;
    size_t len, off;
    unsigned int used[NR_KINDS];
    unsigned int devices, bridges;
    unsigned int pci;           /* PCI functions the items add to q35's */
    bool builtin_ahci;          /* the first top-level ahci is q35's own */
};

static uint64_t next(struct gen *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned int below(struct gen *g, unsigned int n)
{
    return n ? (unsigned int)(next(g) % n) : 0;
}

static void emit(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (g->off >= g->len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(g->buf + g->off, g->len - g->off, fmt, ap);
    va_end(ap);
    if (n > 0)
        g->off += (size_t)n;
}

static bool allowed(const struct gen *g, size_t k, unsigned int depth,
                    bool top)
{
    if (g->used[k] >= kinds[k].max)
        return false;
    switch (kinds[k].shape) {
    case GEN_DEVICE:
        return g->devices < MAX_DEVICES;
    case GEN_BRIDGE:
        return depth < SWEEP_MAX_DEPTH && g->bridges < MAX_BRIDGES;
    case GEN_ROOTPORT:
        return top && g->bridges < MAX_BRIDGES;
    case GEN_IOMMU:
        return top;
    }
    return false;
}

/* A kind allowed here, drawn by weight; -1 when none is. */
static int pick(struct gen *g, unsigned int depth, bool top, int shape)
{
    unsigned int total = 0, r;
    size_t k;

    for (k = 0; k < NR_KINDS; k++)
        if (allowed(g, k, depth, top) &&
            (shape < 0 || kinds[k].shape == (enum gen_shape)shape))
            total += kinds[k].weight;
    if (!total)
        return -1;
    r = below(g, total);
    for (k = 0; k < NR_KINDS; k++) {
        if (!allowed(g, k, depth, top) ||
            (shape >= 0 && kinds[k].shape != (enum gen_shape)shape))
            continue;
        if (r < kinds[k].weight)
            return (int)k;
        r -= kinds[k].weight;
    }
    return -1;
}

static bool item(struct gen *g, unsigned int depth, bool top, int shape);

/* n items at depth, comma-separated; false when none could be placed. */
static bool list(struct gen *g, unsigned int depth, bool top, unsigned int n)
{
    size_t mark;
    bool any = false;
    unsigned int i;

    for (i = 0; i < n; i++) {
        mark = g->off;
        if (any)
            emit(g, ",");
        if (item(g, depth, top, -1)) {
            any = true;
        } else {
            g->off = mark;
            g->buf[mark] = '\0';
        }
    }
    return any;
}

static void device(struct gen *g, size_t k, bool top)
{
    g->devices++;
    if (below(g, KEEP_ONE_IN) == 0)
        emit(g, "keep:");
    emit(g, "%s", kinds[k].name);
    if (kinds[k].vfs) {
        unsigned int vfs = 1 + below(g, kinds[k].vfs);

        emit(g, "(vfs=%u)", vfs);
        g->pci += vfs;
    }
    if (!strcmp(kinds[k].name, "ahci") && top && !g->builtin_ahci)
        g->builtin_ahci = true;     /* q35's 00:1f.2, no new function */
    else
        g->pci++;
}

/* One item of the given shape (-1: any) at depth. */
static bool item(struct gen *g, unsigned int depth, bool top, int shape)
{
    int k = pick(g, depth, top, shape);

    if (k < 0)
        return false;
    g->used[k]++;
    switch (kinds[k].shape) {
    case GEN_DEVICE:
        device(g, (size_t)k, top);
        break;
    case GEN_IOMMU:
        emit(g, "%s", kinds[k].name);
        break;
    case GEN_BRIDGE:
    case GEN_ROOTPORT:
        g->bridges++;
        g->pci++;
        emit(g, "%s(", kinds[k].name);
        list(g, depth + 1, false, kinds[k].shape == GEN_ROOTPORT ? 1 :
             below(g, EMPTY_ONE_IN) ? 1 + below(g, 2) : 0);
        emit(g, ")");
        break;
    }
    return true;
}

/* Bridges (a root port first, maybe) down to SWEEP_MAX_DEPTH, devices at
 * the bottom. */
static void chain(struct gen *g, unsigned int depth)
{
    int k = pick(g, depth, depth == 0,
                 depth == 0 && below(g, 2) ? GEN_ROOTPORT : GEN_BRIDGE);

    if (k < 0 || depth + 1 >= SWEEP_MAX_DEPTH) {
        if (k >= 0) {
            g->used[k]++;
            g->bridges++;
            g->pci++;
            emit(g, "%s(", kinds[k].name);
            list(g, depth + 1, false, 1 + below(g, 2));
            emit(g, ")");
        } else {
            item(g, depth, depth == 0, GEN_DEVICE);
        }
        return;
    }
    g->used[k]++;
    g->bridges++;
    g->pci++;
    emit(g, "%s(", kinds[k].name);
    chain(g, depth + 1);
    emit(g, ")");
}

static void topology(struct gen *g)
{
    memset(g->used, 0, sizeof(g->used));
    g->devices = g->bridges = g->pci = 0;
    g->builtin_ahci = false;
    g->off = 0;
    g->buf[0] = '\0';
    if (below(g, DEEP_ONE_IN) == 0) {
        chain(g, 0);
        if (below(g, 2) && g->off) {
            emit(g, ",");
            if (!list(g, 0, true, 1 + below(g, 2)))
                g->buf[--g->off] = '\0';
        }
        return;
    }
    list(g, 0, true, 1 + below(g, 4));
}

void sweep_gen_case(unsigned long long sweep_seed, unsigned int k,
                    struct sweep_case *c)
{
    static struct spec spec;
    struct gen g = { 0 };
    unsigned int tries;

    memset(c, 0, sizeof(*c));
    g.state = sweep_seed * 0x2545f4914f6cdd1dULL + k;
    (void)next(&g);
    g.buf = c->topology;
    g.len = sizeof(c->topology);
    for (tries = 0; tries < 8; tries++) {
        topology(&g);
        if (g.off < g.len && !spec_parse(&spec, c->topology) &&
            !spec_check_qemu(&spec, qemu_major, qemu_minor, "", ""))
            break;
    }
    if (tries == 8)
        snprintf(c->topology, sizeof(c->topology), "e1000");
    c->index = k;
    c->seed = 1 + next(&g) % 1000000000ULL;
    c->window_ms = 100 + 100 * below(&g, 5);
    c->delay_ms = 50 * below(&g, 8);
    c->republish = below(&g, 3) == 0;
    c->republish_at = below(&g, Q35_FUNCTIONS + g.pci);
}

static int word(struct sweep_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int word(struct sweep_argv *a, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (a->argc == SWEEP_MAX_ARGS)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(a->word[a->argc], SWEEP_ARG_LEN, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= SWEEP_ARG_LEN)
        return -1;
    a->argv[a->argc] = a->word[a->argc];
    a->argc++;
    a->argv[a->argc] = NULL;
    return 0;
}

int sweep_case_argv(const struct sweep_case *c, const char *crashsim,
                    const char *qemu, const char *policy, const char *json,
                    struct sweep_argv *out)
{
    int rc;

    out->argc = 0;
    rc = word(out, "%s", crashsim) | word(out, "--check");
    if (qemu)
        rc |= word(out, "--qemu") | word(out, "%s", qemu);
    rc |= word(out, "--topology") | word(out, "%s", c->topology) |
         word(out, "--seed") | word(out, "%llu", c->seed) |
         word(out, "--window-ms") | word(out, "%u", c->window_ms) |
         word(out, "--crash-delay-ms") | word(out, "%u", c->delay_ms);
    if (c->republish)
        rc |= word(out, "--republish-at") |
              word(out, "%u", c->republish_at);
    if (policy)
        rc |= word(out, "--policy") | word(out, "%s", policy);
    if (json)
        rc |= word(out, "--json") | word(out, "%s", json);
    return rc ? -1 : 0;
}
