/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sbdf: a PCI function's address, segment << 16 | bus << 8 | device << 3 |
 * function (the core's encoding), and its one text form "0000:00:03.0".
 */
#ifndef SIM_BASE_SBDF_H
#define SIM_BASE_SBDF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SBDF(seg, bus, dev, fn) \
    (((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) | \
     ((uint32_t)(dev) << 3) | (uint32_t)(fn))
#define SBDF_SEG(sbdf)      ((unsigned int)((sbdf) >> 16) & 0xffff)
#define SBDF_BUS(sbdf)      ((unsigned int)((sbdf) >> 8) & 0xff)
#define SBDF_DEV(sbdf)      ((unsigned int)((sbdf) >> 3) & 0x1f)
#define SBDF_FN(sbdf)       ((unsigned int)(sbdf) & 0x7)

/* Room for "ssss:bb:dd.f" and its NUL. */
#define SBDF_STR_LEN        13

/* Writes at most len bytes (truncating); returns buf. */
static inline char *sbdf_str(uint32_t sbdf, char *buf, size_t len)
{
    snprintf(buf, len, "%04x:%02x:%02x.%u", SBDF_SEG(sbdf), SBDF_BUS(sbdf),
             SBDF_DEV(sbdf), SBDF_FN(sbdf));
    return buf;
}

#endif /* SIM_BASE_SBDF_H */
