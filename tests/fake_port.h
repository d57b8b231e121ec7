/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-memory fake of the pcidc port for unit tests: it records every config
 * write and every crash-time read, answers plan-time reads from a small
 * table and crash-time reads from the live registers, and fails the running
 * cmocka test if the crash path makes a plan-time read or is re-entered.
 */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MAX_WRITES 8192
#define FAKE_MAX_CONFIG 64

struct fake_write {
    uint32_t sbdf;
    unsigned int reg;
    uint16_t value;
};

/* A crash-time read: what was read, and how many writes came before it. */
struct fake_read {
    uint32_t sbdf;
    unsigned int reg;
    unsigned int after_writes;
};

/* Forget writes, config table, hooks and counters. */
void fake_reset(void);

unsigned int fake_nr_writes(void);
const struct fake_write *fake_write_at(unsigned int i);
unsigned int fake_nr_reads(void);          /* plan-time reads */
unsigned int fake_nr_crash_reads(void);
const struct fake_read *fake_crash_read_at(unsigned int i);
unsigned int fake_nr_test_and_set(void);
unsigned int fake_nr_wmb(void);
unsigned int fake_nr_mb(void);

/* Config dword that pcidc_port_conf_read32(sbdf, reg) returns; else ~0. */
void fake_set_config(uint32_t sbdf, unsigned int reg, uint32_t value);

/*
 * A 16-bit register as pcidc_port_crash_read16() reads it (config writes
 * change it); registers never set read all ones.
 */
void fake_set_live(uint32_t sbdf, unsigned int reg, uint16_t value);
uint16_t fake_live(uint32_t sbdf, unsigned int reg);

/* Run the crash path with crash-mode checks on; returns its result. */
struct pcidc;
unsigned int fake_crash(struct pcidc *dc);

/* Called from inside the port's write (once) or barrier (every time). */
typedef void (*fake_hook)(void *arg);
void fake_on_first_write(fake_hook hook, void *arg);
void fake_on_wmb(fake_hook hook, void *arg);

#endif /* FAKE_PORT_H */
