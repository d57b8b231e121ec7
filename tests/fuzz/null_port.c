/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A port for programs that only build plans (the fuzzers, the seeded
 * differential test): plan building calls nothing but the barrier; any
 * config access or crash-path call is a bug and aborts.
 */
#include <stdlib.h>

#include "pcidc.h"

void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    (void)sbdf, (void)reg, (void)value;
    abort();
}

uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg)
{
    (void)sbdf, (void)reg;
    abort();
}

uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg)
{
    (void)sbdf, (void)reg;
    abort();
}

int pcidc_port_test_and_set(unsigned long *word)
{
    int old = (int)(*word & 1);

    *word |= 1;
    return old;
}

void pcidc_port_wmb(void)
{
}

void pcidc_port_mb(void)
{
}
