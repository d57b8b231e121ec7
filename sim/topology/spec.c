/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spec: recursive-descent parser of the topology SPEC.  See spec.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

#define NR_KINDS (SPEC_XHCI + 1)

struct parser {
    struct spec *s;
    const char *text;
    size_t pos;
    unsigned int per_kind[NR_KINDS];    /* for ids */
    unsigned int next_slot[SPEC_MAX_NODES];
    unsigned int root_next_slot;
    uint32_t root_taken;                /* root slots igb VFs occupy */
    unsigned int chassis;
    unsigned int bridges;
    bool builtin_ahci_used;
    bool iommu_seen;
    bool failed;
};

static const char *const kind_name[NR_KINDS] = {
    [SPEC_E1000] = "e1000",
    [SPEC_E1000E] = "e1000e",
    [SPEC_AHCI] = "ahci",
    [SPEC_IOMMU] = "iommu",
    [SPEC_BRIDGE] = "bridge",
    [SPEC_ROOTPORT] = "rootport",
    [SPEC_SERIAL] = "serial",
    [SPEC_NVME] = "nvme",
    [SPEC_VIRTIO_NET] = "virtio-net",
    [SPEC_VIRTIO_BLK] = "virtio-blk",
    [SPEC_IGB] = "igb",
    [SPEC_XHCI] = "xhci",
};

static const char *const id_prefix[NR_KINDS] = {
    [SPEC_E1000] = "e1000_",
    [SPEC_E1000E] = "e1000e_",
    [SPEC_AHCI] = "ahci_",
    [SPEC_IOMMU] = "iommu",
    [SPEC_BRIDGE] = "br",
    [SPEC_ROOTPORT] = "rp",
    [SPEC_SERIAL] = "serial_",
    [SPEC_NVME] = "nvme_",
    [SPEC_VIRTIO_NET] = "virtio_net_",
    [SPEC_VIRTIO_BLK] = "virtio_blk_",
    [SPEC_IGB] = "igb_",
    [SPEC_XHCI] = "xhci_",
};

/* Most VFs an item may ask for, 0: no SR-IOV. */
static const unsigned int max_vfs[NR_KINDS] = {
    [SPEC_NVME] = SPEC_NVME_MAX_VFS,
    [SPEC_IGB] = SPEC_IGB_MAX_VFS,
};

const char *spec_kind_name(enum spec_kind kind)
{
    return (unsigned int)kind < NR_KINDS ? kind_name[kind] : "?";
}

bool spec_is_endpoint(enum spec_kind kind)
{
    return (unsigned int)kind < NR_KINDS && kind != SPEC_IOMMU &&
           !spec_is_bridge(kind);
}

bool spec_is_bridge(enum spec_kind kind)
{
    return kind == SPEC_BRIDGE || kind == SPEC_ROOTPORT;
}

/* Record the first error, at 1-based position pos. */
static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
    char *err = p->s->err;
    va_list ap;
    int n;

    if (p->failed)
        return -1;
    p->failed = true;
    n = snprintf(err, SPEC_ERR_LEN, "topology: position %zu: ", pos + 1);
    va_start(ap, fmt);
    vsnprintf(err + n, SPEC_ERR_LEN - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(struct parser *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
        p->pos++;
}

/* What is at the cursor, for messages: "'x'" or "the end". */
static const char *found(const struct parser *p, char *buf, size_t len)
{
    unsigned char c = (unsigned char)p->text[p->pos];

    if (!c)
        return "the end of the text";
    if (isprint(c))
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "byte 0x%02x", c);
    return buf;
}

/* A word of letters and digits at the cursor into word; its length. */
static size_t read_word(struct parser *p, char *word, size_t len)
{
    size_t n = 0;

    while (isalnum((unsigned char)p->text[p->pos + n]) ||
           p->text[p->pos + n] == '_' ||
           (n && p->text[p->pos + n] == '-')) {
        if (n + 1 < len)
            word[n] = p->text[p->pos + n];
        n++;
    }
    word[n < len ? n : len - 1] = '\0';
    return n;
}

static int lookup_kind(const char *word)
{
    int k;

    for (k = 0; k < NR_KINDS; k++)
        if (strcmp(word, kind_name[k]) == 0)
            return k;
    return -1;
}

/* Slot for a new PCI node on parent's bus, or -1 with an error. */
static int take_slot(struct parser *p, int parent, size_t pos)
{
    const struct spec_node *bridge;
    unsigned int *next;

    if (parent < 0) {
        next = &p->root_next_slot;
        while (*next <= SPEC_ROOT_LAST_SLOT &&
               (p->root_taken & (1u << *next)))
            (*next)++;
        if (*next > SPEC_ROOT_LAST_SLOT)
            return fail_at(p, pos, "no free slot on the root bus pcie.0 "
                           "(%d slots for devices and bridges)",
                           SPEC_ROOT_LAST_SLOT - SPEC_ROOT_FIRST_SLOT + 1);
        return (int)(*next)++;
    }
    bridge = &p->s->node[parent];
    next = &p->next_slot[parent];
    if (bridge->kind == SPEC_ROOTPORT && *next >= 1)
        return fail_at(p, pos, "%s (pcie-root-port) takes one device: its "
                       "PCIe link has a single slot", bridge->id);
    if (*next >= SPEC_BRIDGE_SLOTS)
        return fail_at(p, pos, "no free slot behind %s (%d slots)",
                       bridge->id, SPEC_BRIDGE_SLOTS);
    return (int)(*next)++;
}

static int place(struct parser *p, struct spec_node *n, int parent,
                 size_t pos)
{
    const struct spec_node *up = parent >= 0 ? &p->s->node[parent] : NULL;
    int slot;

    if (n->kind == SPEC_AHCI && !up && !p->builtin_ahci_used) {
        p->builtin_ahci_used = true;
        n->builtin = true;
        n->devfn = SPEC_BUILTIN_AHCI_DEVFN;
        snprintf(n->bus, sizeof(n->bus), "pcie.0");
        n->path[0] = n->devfn;
        n->path_len = 1;
        return 0;
    }
    slot = take_slot(p, parent, pos);
    if (slot < 0)
        return -1;
    n->devfn = (uint8_t)(slot << 3);
    snprintf(n->bus, sizeof(n->bus), "%s", up ? up->id : "pcie.0");
    if (up)
        memcpy(n->path, up->path, up->path_len);
    n->path_len = up ? up->path_len + 1 : 1;
    n->path[n->path_len - 1] = n->devfn;
    return 0;
}

/* Checks that depend on the kind, before the node is created. */
static int check_kind(struct parser *p, enum spec_kind kind, bool keep,
                      int parent, unsigned int depth, size_t pos)
{
    if (keep && !spec_is_endpoint(kind))
        return fail_at(p, pos, "keep: applies to devices (e1000, e1000e, "
                       "ahci, serial, nvme, virtio-net, virtio-blk, igb, "
                       "xhci), not to %s", kind_name[kind]);
    if (kind == SPEC_IOMMU && parent >= 0)
        return fail_at(p, pos, "iommu is not a PCI device: put it on the "
                       "top level");
    if (kind == SPEC_IOMMU && p->iommu_seen)
        return fail_at(p, pos, "only one iommu");
    if (kind == SPEC_ROOTPORT && parent >= 0)
        return fail_at(p, pos, "rootport must be on the top level (it plugs "
                       "into the root complex pcie.0)");
    if (spec_is_bridge(kind) && depth + 1 > SPEC_MAX_DEPTH)
        return fail_at(p, pos, "bridges nested deeper than %d",
                       SPEC_MAX_DEPTH);
    if (spec_is_bridge(kind) && p->bridges == SPEC_MAX_BRIDGES)
        return fail_at(p, pos, "more than %d bridges (bus numbers)",
                       SPEC_MAX_BRIDGES);
    if (p->s->nr == SPEC_MAX_NODES)
        return fail_at(p, pos, "more than %d devices and bridges",
                       SPEC_MAX_NODES);
    return 0;
}

static int new_node(struct parser *p, enum spec_kind kind, bool keep,
                    int parent, unsigned int depth, size_t pos)
{
    struct spec_node *n;
    int idx;

    if (check_kind(p, kind, keep, parent, depth, pos) < 0)
        return -1;
    idx = (int)p->s->nr;
    n = &p->s->node[idx];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->keep = keep;
    n->parent = parent;
    n->depth = depth;
    n->pos = (unsigned int)pos + 1;
    snprintf(n->id, sizeof(n->id), "%s%u", id_prefix[kind],
             p->per_kind[kind]++);
    if (kind == SPEC_IOMMU) {
        p->iommu_seen = true;
    } else if (place(p, n, parent, pos) < 0) {
        return -1;
    }
    if (spec_is_bridge(kind)) {
        n->chassis = ++p->chassis;
        p->bridges++;
    }
    if (kind == SPEC_AHCI)
        snprintf(n->ahci_bus, sizeof(n->ahci_bus), "%s.0",
                 n->builtin ? "ide" : n->id);
    p->next_slot[idx] = 0;
    p->s->nr++;
    return idx;
}

static int parse_list(struct parser *p, int parent, unsigned int depth);

/* A bridge(...) (conventional PCI) above node idx, or -1. */
static int conventional_bridge_above(const struct parser *p, int idx)
{
    int up;

    for (up = p->s->node[idx].parent; up >= 0; up = p->s->node[up].parent)
        if (p->s->node[up].kind == SPEC_BRIDGE)
            return up;
    return -1;
}

/*
 * An igb PF on the root bus: its VFs sit at its devfn + 0x80 + 2n, i.e.
 * in root slots 16 and more above its own; those slots are taken.
 */
static int take_vf_slots(struct parser *p, const struct spec_node *n,
                         size_t pos)
{
    unsigned int v, devfn, slot;

    for (v = 0; v < n->vfs; v++) {
        devfn = n->devfn + SPEC_IGB_VF_OFFSET + v * SPEC_IGB_VF_STRIDE;
        slot = devfn >> 3;
        if (slot > SPEC_ROOT_LAST_SLOT)
            return fail_at(p, pos, "%s in slot 0x%02x: QEMU puts its VF %u "
                           "at 00:%02x.%u, past the last free root slot "
                           "0x%02x; list it earlier or put it behind "
                           "rootport(...)", n->id, n->devfn >> 3, v, slot,
                           devfn & 7, SPEC_ROOT_LAST_SLOT);
        if ((p->root_taken & (1u << slot)) && (devfn & 7) == 0)
            return fail_at(p, pos, "%s: slot 0x%02x for its VFs is taken by "
                           "another igb's VFs", n->id, slot);
        p->root_taken |= 1u << slot;
    }
    return 0;
}

/* "(vfs=N)" after an SR-IOV device (node idx, item at start). */
static int parse_vfs(struct parser *p, int idx, size_t start)
{
    struct spec_node *n = &p->s->node[idx];
    unsigned int v = 0, max = max_vfs[n->kind];
    char what[16];
    size_t num;

    p->pos++;
    skip_space(p);
    if (strncmp(p->text + p->pos, "vfs", 3))
        return fail_at(p, p->pos, "expected vfs=N in %s(...), found %s",
                       kind_name[n->kind], found(p, what, sizeof(what)));
    p->pos += 3;
    skip_space(p);
    if (p->text[p->pos] != '=')
        return fail_at(p, p->pos, "expected '=' after vfs, found %s",
                       found(p, what, sizeof(what)));
    p->pos++;
    skip_space(p);
    num = p->pos;
    while (isdigit((unsigned char)p->text[p->pos])) {
        if (v <= max)
            v = v * 10 + (unsigned int)(p->text[p->pos] - '0');
        p->pos++;
    }
    if (p->pos == num || v < 1 || v > max)
        return fail_at(p, num, "vfs must be 1..%u for %s", max,
                       kind_name[n->kind]);
    skip_space(p);
    if (p->text[p->pos] != ')')
        return fail_at(p, p->pos, "expected ')' after vfs=%u, found %s", v,
                       found(p, what, sizeof(what)));
    p->pos++;
    n->vfs = v;
    if (conventional_bridge_above(p, idx) >= 0)
        return fail_at(p, start, "%s(vfs=%u) behind bridge(...): a "
                       "conventional PCI bridge does not forward extended "
                       "config space, where the SR-IOV capability is; put it "
                       "on the top level or behind rootport(...)",
                       kind_name[n->kind], v);
    if (n->kind == SPEC_IGB && n->parent < 0)
        return take_vf_slots(p, n, start);
    return 0;
}

/* What may follow a device's name: "(vfs=N)" for SR-IOV devices. */
static int parse_device_tail(struct parser *p, int idx, size_t start)
{
    const struct spec_node *n = &p->s->node[idx];

    skip_space(p);
    if (max_vfs[n->kind] && p->text[p->pos] == '(')
        return parse_vfs(p, idx, start);
    if (n->kind == SPEC_IGB)
        return fail_at(p, start, "igb needs (vfs=N), N 1..%u: the simulator "
                       "drives its virtual functions", SPEC_IGB_MAX_VFS);
    return 0;
}

/* One atom at the cursor: a device, or a bridge with its children. */
static int parse_atom(struct parser *p, bool keep, int parent,
                      unsigned int depth)
{
    char word[24], what[16];
    size_t start = p->pos, n;
    int kind, idx;

    n = read_word(p, word, sizeof(word));
    if (n == 0)
        return fail_at(p, p->pos, "expected a device or bridge, found %s",
                       found(p, what, sizeof(what)));
    kind = lookup_kind(n < sizeof(word) ? word : "");
    if (kind < 0)
        return fail_at(p, start, "unknown device '%.*s' (known: e1000, "
                       "e1000e, ahci, serial, nvme, nvme(vfs=N), "
                       "virtio-net, virtio-blk, igb(vfs=N), xhci, iommu, "
                       "bridge(...), rootport(...))",
                       (int)(n > 20 ? 20 : n), p->text + start);
    p->pos += n;
    idx = new_node(p, (enum spec_kind)kind, keep, parent, depth, start);
    if (idx < 0)
        return -1;
    if (!spec_is_bridge((enum spec_kind)kind))
        return parse_device_tail(p, idx, start);

    skip_space(p);
    if (p->text[p->pos] != '(')
        return fail_at(p, p->pos, "expected '(' after %s, found %s", word,
                       found(p, what, sizeof(what)));
    p->pos++;
    if (parse_list(p, idx, depth + 1) < 0)
        return -1;
    skip_space(p);
    if (p->text[p->pos] != ')')
        return fail_at(p, p->pos, "expected ',' or ')', found %s",
                       found(p, what, sizeof(what)));
    p->pos++;
    return 0;
}

/* "*N" at the cursor (after spaces), else 1; -1 on a bad count. */
static int parse_count(struct parser *p)
{
    size_t start;
    unsigned int v = 0;

    skip_space(p);
    if (p->text[p->pos] != '*')
        return 1;
    p->pos++;
    skip_space(p);
    start = p->pos;
    while (isdigit((unsigned char)p->text[p->pos])) {
        if (v <= SPEC_MAX_COUNT)
            v = v * 10 + (unsigned int)(p->text[p->pos] - '0');
        p->pos++;
    }
    if (p->pos == start)
        return fail_at(p, start, "expected a count after '*'");
    if (v < 1 || v > SPEC_MAX_COUNT)
        return fail_at(p, start, "count must be 1..%d", SPEC_MAX_COUNT);
    return (int)v;
}

/* One item: [keep:] atom [*count]; a count repeats the atom's parse. */
static int parse_item(struct parser *p, int parent, unsigned int depth)
{
    size_t atom_start, after;
    bool keep = false;
    int count, i;

    skip_space(p);
    if (strncmp(p->text + p->pos, "keep:", 5) == 0) {
        keep = true;
        p->pos += 5;
        skip_space(p);
    }
    atom_start = p->pos;
    if (parse_atom(p, keep, parent, depth) < 0)
        return -1;
    count = parse_count(p);
    if (count < 0)
        return -1;
    after = p->pos;
    for (i = 1; i < count; i++) {
        p->pos = atom_start;
        if (parse_atom(p, keep, parent, depth) < 0)
            return -1;
    }
    p->pos = after;
    return 0;
}

/* Items separated by ',' up to ')' or the end; the list may be empty. */
static int parse_list(struct parser *p, int parent, unsigned int depth)
{
    char what[16];

    skip_space(p);
    if (p->text[p->pos] == ')' || p->text[p->pos] == '\0')
        return 0;
    for (;;) {
        skip_space(p);
        if (p->text[p->pos] == ',' || p->text[p->pos] == ')' ||
            p->text[p->pos] == '\0')
            return fail_at(p, p->pos, "empty item: expected a device or "
                           "bridge, found %s", found(p, what, sizeof(what)));
        if (parse_item(p, parent, depth) < 0)
            return -1;
        skip_space(p);
        if (p->text[p->pos] != ',')
            return 0;
        p->pos++;
    }
}

unsigned int spec_total_vfs(const struct spec *s)
{
    unsigned int i, n = 0;

    for (i = 0; i < s->nr; i++)
        n += s->node[i].vfs;
    return n;
}

/* In a tree with an iommu: the first item with VFs is an error. */
static int vfs_with_iommu(struct parser *p)
{
    unsigned int i;

    for (i = 0; i < p->s->nr; i++)
        if (p->s->node[i].vfs)
            return fail_at(p, p->s->node[i].pos - 1, "SR-IOV VFs with an "
                           "iommu item are not supported: the engine "
                           "attaches VT-d contexts before any VF exists");
    return 0;
}

/* In a tree with an iommu: the first virtio or xhci item is an error. */
static int virtio_with_iommu(struct parser *p)
{
    unsigned int i;

    for (i = 0; i < p->s->nr; i++) {
        const struct spec_node *n = &p->s->node[i];

        if (n->kind == SPEC_VIRTIO_NET || n->kind == SPEC_VIRTIO_BLK)
            return fail_at(p, n->pos - 1, "%s with an iommu item is not "
                           "supported: QEMU's virtio devices bypass VT-d "
                           "unless VIRTIO_F_ACCESS_PLATFORM is negotiated, "
                           "which the driver does not do", kind_name[n->kind]);
        if (n->kind == SPEC_XHCI)
            return fail_at(p, n->pos - 1, "xhci with an iommu item is not "
                           "supported: once translation is off the "
                           "controller fetches its command ring from the "
                           "IOVA taken as a physical address (guard "
                           "pattern), so whether it writes anything then "
                           "depends on the seed");
    }
    return 0;
}

int spec_parse(struct spec *s, const char *text)
{
    static struct parser zero;
    struct parser p = zero;
    char what[16];

    s->nr = 0;
    s->err[0] = '\0';
    p.s = s;
    p.text = text ? text : "";
    p.root_next_slot = SPEC_ROOT_FIRST_SLOT;
    if (parse_list(&p, -1, 0) < 0)
        goto fail;
    skip_space(&p);
    if (p.text[p.pos] != '\0') {
        fail_at(&p, p.pos, "expected ',' or the end, found %s",
                found(&p, what, sizeof(what)));
        goto fail;
    }
    if (p.iommu_seen &&
        (vfs_with_iommu(&p) < 0 || virtio_with_iommu(&p) < 0))
        goto fail;
    return 0;
fail:
    s->nr = 0;
    return -1;
}

int spec_device_arg(const struct spec *s, unsigned int i, const char *extra,
                    char *buf, size_t len)
{
    static const char *const model[NR_KINDS] = {
        [SPEC_E1000] = "e1000",
        [SPEC_E1000E] = "e1000e",
        [SPEC_AHCI] = "ich9-ahci",
        [SPEC_IOMMU] = "intel-iommu",
        [SPEC_BRIDGE] = "pci-bridge",
        [SPEC_ROOTPORT] = "pcie-root-port",
        [SPEC_SERIAL] = "pci-serial",
        [SPEC_NVME] = "nvme",
        [SPEC_VIRTIO_NET] = "virtio-net-pci",
        [SPEC_VIRTIO_BLK] = "virtio-blk-pci",
        [SPEC_IGB] = "igb",
        [SPEC_XHCI] = "qemu-xhci",
    };
    const struct spec_node *n;
    char where[64] = "", chassis[40] = "";
    int r;

    if (i >= s->nr || len == 0)
        return -1;
    n = &s->node[i];
    buf[0] = '\0';
    if (n->builtin)
        return 0;
    if (n->kind != SPEC_IOMMU)
        snprintf(where, sizeof(where), ",bus=%s,addr=%02x.%x", n->bus,
                 n->devfn >> 3, n->devfn & 7);
    if (n->kind == SPEC_BRIDGE)
        snprintf(chassis, sizeof(chassis), ",chassis_nr=%u", n->chassis);
    else if (n->kind == SPEC_ROOTPORT)
        snprintf(chassis, sizeof(chassis), ",chassis=%u,slot=%u",
                 n->chassis, n->chassis);
    r = snprintf(buf, len, "%s,id=%s%s%s%s", model[n->kind], n->id, where,
                 chassis, extra ? extra : "");
    if (r < 0 || (size_t)r >= len) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

int spec_build_args(const struct spec *s, struct spec_args *args,
                    spec_extra_fn extra, void *arg)
{
    unsigned int i;

    args->argc = 0;
    for (i = 0; i < s->nr; i++) {
        const char *more = extra ? extra(arg, s, i) : NULL;

        if (spec_device_arg(s, i, more, args->value[i],
                            sizeof(args->value[i])) < 0) {
            args->argc = 0;
            args->argv[0] = NULL;
            return -1;
        }
        if (!args->value[i][0])
            continue;
        args->argv[args->argc++] = "-device";
        args->argv[args->argc++] = args->value[i];
    }
    args->argv[args->argc] = NULL;
    return (int)args->argc;
}

int spec_format_tree(const struct spec *s, char *buf, size_t len)
{
    size_t o = 0;
    unsigned int i, l;
    int r;

    if (len == 0)
        return -1;
    buf[0] = '\0';
    for (i = 0; i < s->nr; i++) {
        const struct spec_node *n = &s->node[i];
        char path[3 * (SPEC_MAX_DEPTH + 1) * 2 + 8] = "", *pp = path;
        char vfs[16] = "";

        for (l = 0; l < n->path_len; l++)
            pp += sprintf(pp, "%s%02x.%x", l ? "/" : "",
                          n->path[l] >> 3, n->path[l] & 7);
        if (n->vfs)
            snprintf(vfs, sizeof(vfs), " vfs=%u", n->vfs);
        r = snprintf(buf + o, len - o, "%*s%-9s %-9s %s%s%s%s\n",
                     (int)(2 * n->depth), "", n->id, kind_name[n->kind],
                     n->kind == SPEC_IOMMU ? "(no PCI function)" : path,
                     n->builtin ? " (q35 built-in ICH9 AHCI)" : "", vfs,
                     n->keep ? " keep" : "");
        if (r < 0 || (size_t)r >= len - o)
            return -1;
        o += (size_t)r;
    }
    return 0;
}
