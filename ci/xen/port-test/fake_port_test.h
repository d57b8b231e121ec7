/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ci/xen/port-test: the Xen port (src/port/xen/xen-port.c) with the core,
 * built as a user-space program over a fake Xen (fake_xen.c).  What the
 * fake records, for the tests in test_port.c to look at.
 */
#ifndef FAKE_PORT_TEST_H
#define FAKE_PORT_TEST_H

#include <fake_xen.h>

#define FAKE_SEGS           2
#define FAKE_MAX_FUNCS      4200
#define FAKE_MAX_WRITES     8192
#define FAKE_CFG_DWORDS     16          /* the header's first 64 bytes */

struct fake_func {
    struct pci_dev pdev;
    uint32_t cfg[FAKE_CFG_DWORDS];
    bool dead;                          /* reads all ones, ignores writes */
};

struct fake_write {
    uint32_t sbdf;
    unsigned int reg;
    uint16_t value;
};

struct fake {
    struct fake_func func[FAKE_MAX_FUNCS];      /* Xen's list, in order */
    unsigned int nr;
    unsigned int index[FAKE_SEGS * 0x10000];    /* sbdf -> func + 1 */
    bool mmcfg[FAKE_SEGS];                      /* segment mapped */
    bool at_crash;                              /* pci_conf_read32() forbidden */
    uint32_t cf8;
    unsigned long conf_reads;                   /* pci_conf_read32() */
    unsigned long mmcfg_reads, mmcfg_writes;
    unsigned long port_ops;                     /* 0xCF8/0xCFC accesses */
    struct fake_write writes[FAKE_MAX_WRITES];  /* every config write */
    unsigned int nr_writes;
    char log[1 << 16];                          /* printk's output */
    void (*in_update)(void);    /* called by pci_iterate_devices() if set */
    bool no_memory;             /* fake_xmalloc() fails */
    unsigned int allocs;        /* fake_xmalloc() calls that succeeded */
    size_t alloc_bytes;         /* their sizes */
};

extern struct fake fake;

/* The port's command-line parser, registered by custom_param(). */
extern const char fake_param_name[];
extern const fake_param_fn fake_param_parse;

struct fake_func *fake_add(uint32_t sbdf, uint32_t id, uint16_t class_code,
                           uint8_t header, uint16_t command);
struct fake_func *fake_bridge(uint32_t sbdf, uint8_t secondary,
                              uint8_t subordinate, uint16_t command);
struct fake_func *fake_find(uint32_t sbdf);

#endif /* FAKE_PORT_TEST_H */
