/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_port.h"
#include "pcidc.h"

struct fake_config {
    uint32_t sbdf;
    unsigned int reg;
    uint32_t value;
};

struct fake_live {
    uint32_t sbdf;
    unsigned int reg;
    uint16_t value;
};

struct fake_state {
    struct fake_write write[FAKE_MAX_WRITES];
    unsigned int nr_writes;
    struct fake_read crash_read[FAKE_MAX_WRITES];
    unsigned int nr_crash_reads;
    struct fake_live live[FAKE_MAX_CONFIG];
    unsigned int nr_live;
    struct fake_config config[FAKE_MAX_CONFIG];
    unsigned int nr_config;
    unsigned int nr_reads, nr_tas, nr_wmb, nr_mb;
    unsigned int crash_depth;       /* > 0 while the crash path runs */
    unsigned int writing;           /* > 0 inside pcidc_port_conf_write16 */
    fake_hook write_hook, wmb_hook;
    void *write_arg, *wmb_arg;
};

static struct fake_state fake;

void fake_reset(void)
{
    static const struct fake_state empty;

    fake = empty;
}

unsigned int fake_nr_writes(void) { return fake.nr_writes; }
unsigned int fake_nr_reads(void) { return fake.nr_reads; }
unsigned int fake_nr_crash_reads(void) { return fake.nr_crash_reads; }
unsigned int fake_nr_test_and_set(void) { return fake.nr_tas; }
unsigned int fake_nr_wmb(void) { return fake.nr_wmb; }
unsigned int fake_nr_mb(void) { return fake.nr_mb; }

const struct fake_write *fake_write_at(unsigned int i)
{
    assert_true(i < fake.nr_writes);
    return &fake.write[i];
}

const struct fake_read *fake_crash_read_at(unsigned int i)
{
    assert_true(i < fake.nr_crash_reads);
    return &fake.crash_read[i];
}

static struct fake_live *live_find(uint32_t sbdf, unsigned int reg)
{
    unsigned int i;

    for ( i = 0; i < fake.nr_live; i++ )
        if ( fake.live[i].sbdf == sbdf && fake.live[i].reg == reg )
            return &fake.live[i];
    return NULL;
}

void fake_set_live(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    struct fake_live *l = live_find(sbdf, reg);

    if ( !l )
    {
        assert_true(fake.nr_live < FAKE_MAX_CONFIG);
        l = &fake.live[fake.nr_live++];
        l->sbdf = sbdf;
        l->reg = reg;
    }
    l->value = value;
}

uint16_t fake_live(uint32_t sbdf, unsigned int reg)
{
    const struct fake_live *l = live_find(sbdf, reg);

    return l ? l->value : 0xffff;
}

void fake_set_config(uint32_t sbdf, unsigned int reg, uint32_t value)
{
    assert_true(fake.nr_config < FAKE_MAX_CONFIG);
    fake.config[fake.nr_config++] = (struct fake_config){ sbdf, reg, value };
}

void fake_on_first_write(fake_hook hook, void *arg)
{
    fake.write_hook = hook;
    fake.write_arg = arg;
}

void fake_on_wmb(fake_hook hook, void *arg)
{
    fake.wmb_hook = hook;
    fake.wmb_arg = arg;
}

unsigned int fake_crash(struct pcidc *dc)
{
    unsigned int done;

    fake.crash_depth++;
    done = pcidc_crash_disconnect(dc);
    fake.crash_depth--;
    return done;
}

void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    fake_hook hook = fake.write_hook;

    if ( fake.writing )
        fail_msg("crash path re-entered its own config write");
    assert_true(fake.nr_writes < FAKE_MAX_WRITES);
    fake.write[fake.nr_writes++] = (struct fake_write){ sbdf, reg, value };
    if ( live_find(sbdf, reg) )
        fake_set_live(sbdf, reg, value);

    /* A second CPU crashing while this one is mid-plan. */
    fake.write_hook = NULL;
    if ( hook )
    {
        fake.writing++;
        hook(fake.write_arg);
        fake.writing--;
    }
}

uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    unsigned int i;

    if ( fake.crash_depth )
        fail_msg("crash path read config space (%x, reg %#x)", sbdf, reg);
    fake.nr_reads++;
    for ( i = 0; i < fake.nr_config; i++ )
        if ( fake.config[i].sbdf == sbdf && fake.config[i].reg == reg )
            return fake.config[i].value;
    return 0xffffffff;
}

uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    if ( !fake.crash_depth )
        fail_msg("crash-time read outside the crash path (%x, reg %#x)",
                 sbdf, reg);
    assert_true(fake.nr_crash_reads < FAKE_MAX_WRITES);
    fake.crash_read[fake.nr_crash_reads++] =
        (struct fake_read){ sbdf, reg, fake.nr_writes };
    return fake_live(sbdf, reg);
}

int pcidc_port_test_and_set(unsigned long *word)
{
    int old = *word & 1;

    fake.nr_tas++;
    *word |= 1;
    return old;
}

void pcidc_port_wmb(void)
{
    fake.nr_wmb++;
    if ( fake.wmb_hook )
        fake.wmb_hook(fake.wmb_arg);
}

void pcidc_port_mb(void)
{
    fake.nr_mb++;
}
