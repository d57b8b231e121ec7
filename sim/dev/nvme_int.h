/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme_int: what nvme.c (bring-up, admin commands), nvme_io.c (the read
 * path) and nvme_sriov.c (virtual functions) share.  Names from the NVM
 * Express base specification 1.4.
 */
#ifndef SIM_DEV_NVME_INT_H
#define SIM_DEV_NVME_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme.h"

/* Controller registers (BAR0). */
#define NVME_REG_CAP        0x00
#define NVME_REG_CC         0x14
#define NVME_REG_CSTS       0x1c
#define NVME_REG_AQA        0x24
#define NVME_REG_ASQ        0x28
#define NVME_REG_ACQ        0x30
#define NVME_REG_DOORBELLS  0x1000

#define NVME_CC_EN          (1u << 0)
#define NVME_CC_IOSQES      (6u << 16)      /* 64-byte SQ entries */
#define NVME_CC_IOCQES      (4u << 20)      /* 16-byte CQ entries */
#define NVME_CSTS_RDY       (1u << 0)
#define NVME_CSTS_CFS       (1u << 1)

#define NVME_SQE_LEN        64
#define NVME_CQE_LEN        16

/* Admin opcodes. */
#define NVME_ADM_CREATE_SQ  0x01
#define NVME_ADM_CREATE_CQ  0x05
#define NVME_ADM_IDENTIFY   0x06
#define NVME_ADM_NS_ATTACH  0x15
#define NVME_ADM_VIRT_MGMT  0x1c
/* I/O opcode. */
#define NVME_CMD_READ       0x02

/* Identify CNS values. */
#define NVME_CNS_NS         0x00
#define NVME_CNS_CTRL       0x01
#define NVME_CNS_SEC_CTRLS  0x15    /* secondary controller list */

#define NVME_IO_QID         1
#define NVME_IO_VECTOR      1
#define NVME_PRPS_PER_CMD   (NVME_CMD_BYTES / NVME_PAGE)

static inline void nvme_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t nvme_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Write doorbell qid (SQ tail, or CQ head when cq). */
void nvme_doorbell(struct nvme_dev *d, unsigned int qid, bool cq,
                   uint16_t value);
/* An admin command whose status must be success ("what" names it). */
int nvme_admin_ok(struct nvme_dev *d, uint32_t cmd[16], const char *what,
                  uint32_t *result);
/* Identify into buf (at most one page). */
int nvme_identify(struct nvme_dev *d, uint8_t cns, uint16_t cntid,
                  uint32_t nsid, void *buf, size_t len);
/* Disable, program the admin queues, enable; wait for RDY. */
int nvme_enable(struct nvme_dev *d);

#endif /* SIM_DEV_NVME_INT_H */
