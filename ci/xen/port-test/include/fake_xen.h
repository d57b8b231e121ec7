/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough of Xen's interfaces for src/port/xen/xen-port.c to build and
 * run as a user-space program (ci/xen/port-test/test_port.c).  Every
 * include of the port (<xen/...>, <asm/...>) lands here.  Config space,
 * MMCFG, the 0xCF8/0xCFC pair and Xen's device list are the test's
 * (fake_*), which records what the port does with them.
 */
#ifndef FAKE_XEN_H
#define FAKE_XEN_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define __init
#define __read_mostly
#define cf_check
#define ASSERT(p) assert(p)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Kernel log levels: prefixes, as in Xen. */
#define XENLOG_WARNING "<1>"
#define XENLOG_DEBUG "<3>"
void printk(const char *fmt, ...);

/* Command-line parameters: the test calls the parser itself. */
typedef int (*fake_param_fn)(const char *);
#define custom_param(name, fn) \
    const char fake_param_name[] = name; \
    const fake_param_fn fake_param_parse = fn
int parse_bool(const char *s, const char *e);
int parse_boolean(const char *name, const char *s, const char *e);
int cmdline_strcmp(const char *frag, const char *name);

/* Bits. */
#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define DECLARE_BITMAP(name, bits) \
    unsigned long name[((bits) + BITS_PER_LONG - 1) / BITS_PER_LONG]
void bitmap_zero(unsigned long *map, unsigned int bits);
void __set_bit(unsigned int nr, unsigned long *map);
unsigned int find_next_bit(const unsigned long *map, unsigned int size,
                           unsigned int offset);
int test_and_set_bit(unsigned int nr, unsigned long *map);
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define read_atomic(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define write_atomic(p, x) __atomic_store_n(p, x, __ATOMIC_RELAXED)
#define test_and_set_bool(b) __atomic_exchange_n(&(b), true, __ATOMIC_SEQ_CST)
#define max(x, y) ((x) > (y) ? (x) : (y))
#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))

void sort(void *base, size_t num, size_t size,
          int (*cmp)(const void *, const void *),
          void (*swap)(void *, void *, size_t));

/* Memory: the fake counts allocations and can refuse them. */
void *fake_xmalloc(size_t size);
#define xmalloc_array(type, n) ((type *)fake_xmalloc(sizeof(type) * (n)))
#define xfree(p) free(p)

/* PCI. */
#define PCI_COMMAND 0x04
typedef union {
    uint32_t sbdf;
    struct {
        union {
            uint16_t bdf;
            struct {
                uint8_t devfn;
                uint8_t bus;
            };
        };
        uint16_t seg;
    };
} pci_sbdf_t;

struct domain { int id; };
extern struct domain *dom_xen;

enum pdev_type { DEV_TYPE_PCIe_ENDPOINT, DEV_TYPE_PCI_HOST_BRIDGE,
                 DEV_TYPE_PCI_BRIDGE };

struct pci_dev {
    pci_sbdf_t sbdf;
    struct domain *domain;
    enum pdev_type type;
    struct { bool is_virtfn; } info;
};

bool pcidevs_locked(void);
int pci_iterate_devices(int (*handler)(struct pci_dev *pdev, void *arg),
                        void *arg);
uint32_t pci_conf_read32(pci_sbdf_t sbdf, unsigned int reg);
int pci_mmcfg_read(unsigned int seg, unsigned int bus, unsigned int devfn,
                   int reg, int len, uint32_t *value);
int pci_mmcfg_write(unsigned int seg, unsigned int bus, unsigned int devfn,
                    int reg, int len, uint32_t value);
void outl(uint32_t value, unsigned int port);
void outw(uint16_t value, unsigned int port);
uint16_t inw(unsigned int port);

#endif /* FAKE_XEN_H */
