/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Xen the port sees in ci/xen/port-test: a device list, config space
 * behind MMCFG and 0xCF8/0xCFC, Xen's command-line helpers and printk.
 * Written for this test from the interfaces' documented behaviour.
 */
#include <stdarg.h>
#include <stdio.h>

#include "fake_port_test.h"

struct fake fake;
static struct domain xen_domain = { .id = 0x7ff2 };
struct domain *dom_xen = &xen_domain;

/* --- Devices and config space ------------------------------------------- */

static struct fake_func *lookup(uint32_t sbdf)
{
    unsigned int i = fake.index[sbdf & (FAKE_SEGS * 0x10000 - 1)];

    return sbdf < FAKE_SEGS * 0x10000 && i ? &fake.func[i - 1] : NULL;
}

struct fake_func *fake_add(uint32_t sbdf, uint32_t id, uint16_t class_code,
                           uint8_t header, uint16_t command)
{
    struct fake_func *f = &fake.func[fake.nr];

    assert(fake.nr < FAKE_MAX_FUNCS && !lookup(sbdf));
    memset(f, 0, sizeof(*f));
    f->pdev.sbdf.sbdf = sbdf;
    f->cfg[0] = id;
    f->cfg[1] = command;
    f->cfg[2] = (uint32_t)class_code << 16;
    f->cfg[3] = (uint32_t)header << 16;
    fake.index[sbdf] = ++fake.nr;
    return f;
}

struct fake_func *fake_bridge(uint32_t sbdf, uint8_t secondary,
                              uint8_t subordinate, uint16_t command)
{
    struct fake_func *f = fake_add(sbdf, 0x00011b36, 0x0604, 1, command);

    f->cfg[6] = ((sbdf >> 8) & 0xff) | (uint32_t)secondary << 8 |
                (uint32_t)subordinate << 16;
    f->pdev.type = DEV_TYPE_PCI_BRIDGE;
    return f;
}

struct fake_func *fake_find(uint32_t sbdf)
{
    return lookup(sbdf);
}

static uint32_t cfg_read(uint32_t sbdf, unsigned int reg, unsigned int len)
{
    const struct fake_func *f = lookup(sbdf);
    uint32_t ones = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;

    if ( !f || f->dead || reg >= 4 * FAKE_CFG_DWORDS )
        return ones;
    return (f->cfg[reg / 4] >> (8 * (reg & 3))) & ones;
}

static void cfg_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    struct fake_func *f = lookup(sbdf);
    unsigned int shift = 8 * (reg & 2);

    assert(fake.nr_writes < FAKE_MAX_WRITES);
    fake.writes[fake.nr_writes++] = (struct fake_write){ sbdf, reg, value };
    if ( !f || f->dead || reg >= 4 * FAKE_CFG_DWORDS )
        return;
    f->cfg[reg / 4] = (f->cfg[reg / 4] & ~(0xffffu << shift)) |
                      (uint32_t)value << shift;
}

bool pcidevs_locked(void)
{
    return true;
}

void *fake_xmalloc(size_t size)
{
    void *p = fake.no_memory ? NULL : malloc(size);

    if ( p )
    {
        fake.allocs++;
        fake.alloc_bytes += size;
    }
    return p;
}

int pci_iterate_devices(int (*handler)(struct pci_dev *pdev, void *arg),
                        void *arg)
{
    if ( fake.in_update )
        fake.in_update();
    for ( unsigned int i = 0; i < fake.nr; i++ )
    {
        int rc = handler(&fake.func[i].pdev, arg);

        if ( rc )
            return rc;
    }
    return 0;
}

uint32_t pci_conf_read32(pci_sbdf_t sbdf, unsigned int reg)
{
    /* Xen's locked accessor: never on the crash path. */
    assert(!fake.at_crash);
    fake.conf_reads++;
    return cfg_read(sbdf.sbdf, reg, 4);
}

int pci_mmcfg_read(unsigned int seg, unsigned int bus, unsigned int devfn,
                   int reg, int len, uint32_t *value)
{
    if ( seg >= FAKE_SEGS || !fake.mmcfg[seg] )
    {
        *value = ~0u;
        return -EINVAL;
    }
    fake.mmcfg_reads++;
    *value = cfg_read(seg << 16 | bus << 8 | devfn, (unsigned int)reg,
                      (unsigned int)len);
    return 0;
}

int pci_mmcfg_write(unsigned int seg, unsigned int bus, unsigned int devfn,
                    int reg, int len, uint32_t value)
{
    if ( seg >= FAKE_SEGS || !fake.mmcfg[seg] )
        return -EINVAL;
    assert(len == 2);
    fake.mmcfg_writes++;
    cfg_write16(seg << 16 | bus << 8 | devfn, (unsigned int)reg,
                (uint16_t)value);
    return 0;
}

/* 0xCF8 holds enable | bus | devfn | register; 0xCFC.. the data. */
static uint32_t cf8_sbdf(void)
{
    assert(fake.cf8 & 0x80000000u);
    return (fake.cf8 >> 8) & 0xffff;
}

void outl(uint32_t value, unsigned int port)
{
    assert(port == 0xcf8);
    fake.port_ops++;
    fake.cf8 = value;
}

void outw(uint16_t value, unsigned int port)
{
    assert(port == 0xcfc || port == 0xcfe);
    fake.port_ops++;
    cfg_write16(cf8_sbdf(), (fake.cf8 & 0xfc) + (port & 2), value);
}

uint16_t inw(unsigned int port)
{
    assert(port == 0xcfc || port == 0xcfe);
    fake.port_ops++;
    return (uint16_t)cfg_read(cf8_sbdf(), (fake.cf8 & 0xfc) + (port & 2), 2);
}

/* --- Library -------------------------------------------------------------- */

void printk(const char *fmt, ...)
{
    size_t used = strlen(fake.log);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fake.log + used, sizeof(fake.log) - used, fmt, ap);
    va_end(ap);
}

/* The length of s up to e, or up to its end with e NULL. */
static size_t frag_len(const char *s, const char *e)
{
    return e ? (size_t)(e - s) : strlen(s);
}

int parse_bool(const char *s, const char *e)
{
    static const char *const yes[] = { "1", "on", "yes", "true", "enable" };
    static const char *const no[] = { "0", "no", "off", "false", "disable" };
    size_t n = frag_len(s, e);

    for ( unsigned int i = 0; i < 5; i++ )
    {
        if ( strlen(yes[i]) == n && !strncmp(s, yes[i], n) )
            return 1;
        if ( strlen(no[i]) == n && !strncmp(s, no[i], n) )
            return 0;
    }
    return -1;
}

/* "name", "no-name", "name=<bool>"; -1 when s is about something else. */
int parse_boolean(const char *name, const char *s, const char *e)
{
    size_t n = frag_len(s, e), len = strlen(name);
    bool negated = n > 3 && !strncmp(s, "no-", 3);

    if ( negated )
    {
        s += 3;
        n -= 3;
    }
    if ( n < len || strncmp(s, name, len) )
        return -1;
    if ( n == len )
        return !negated;
    if ( negated || s[len] != '=' )
        return -1;
    return parse_bool(s + len + 1, s + n);
}

/* 0 when frag, up to a ',', ':', ';', '=' or its end, is name. */
int cmdline_strcmp(const char *frag, const char *name)
{
    size_t n = strcspn(frag, ",:;=");

    if ( n != strlen(name) )
        return 1;
    return strncmp(frag, name, n);
}

void bitmap_zero(unsigned long *map, unsigned int bits)
{
    memset(map, 0, (bits + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(*map));
}

void __set_bit(unsigned int nr, unsigned long *map)
{
    map[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

unsigned int find_next_bit(const unsigned long *map, unsigned int size,
                           unsigned int offset)
{
    for ( ; offset < size; offset++ )
        if ( map[offset / BITS_PER_LONG] & (1UL << (offset % BITS_PER_LONG)) )
            return offset;
    return size;
}

int test_and_set_bit(unsigned int nr, unsigned long *map)
{
    unsigned long bit = 1UL << (nr % BITS_PER_LONG);

    return (__atomic_fetch_or(&map[nr / BITS_PER_LONG], bit,
                              __ATOMIC_SEQ_CST) & bit) != 0;
}

void sort(void *base, size_t num, size_t size,
          int (*cmp)(const void *, const void *),
          void (*swap)(void *, void *, size_t))
{
    (void)swap;
    qsort(base, num, size, cmp);
}
