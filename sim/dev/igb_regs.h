/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * igb_regs: the registers of the 82576 (QEMU's igb) that sim/dev/igb.c
 * programs, named after Intel's 82576 datasheet.  PF offsets are in the
 * PF's BAR0; VF offsets in a VF's BAR0, which QEMU maps onto the PF's
 * per-queue and per-VF registers.
 */
#ifndef SIM_DEV_IGB_REGS_H
#define SIM_DEV_IGB_REGS_H

/* Physical function. */
#define IGB_CTRL            0x0000
#define IGB_STATUS          0x0008
#define IGB_CTRL_EXT        0x0018
#define IGB_MDIC            0x0020
#define IGB_RCTL            0x0100
#define IGB_GPIE            0x1514
#define IGB_VFRE            0x0c8c      /* per-VF receive enables */
#define IGB_VFTE            0x0c90
#define IGB_RAL(n)          (0x5400 + 8 * (n))
#define IGB_RAH(n)          (0x5404 + 8 * (n))
#define IGB_MRQC            0x5818
#define IGB_VT_CTL          0x581c

#define IGB_CTRL_LRST       (1u << 3)
#define IGB_CTRL_SLU        (1u << 6)
#define IGB_STATUS_LU       (1u << 1)
#define IGB_CTRL_EXT_PFRSTD (1u << 14)  /* PF reset done, for the VFs */
#define IGB_RCTL_EN         (1u << 1)
#define IGB_RCTL_BAM        (1u << 15)
#define IGB_RCTL_SECRC      (1u << 26)
#define IGB_GPIE_MSIX_MODE  (1u << 4)
#define IGB_RAH_AV          (1u << 31)
#define IGB_RAH_POOL(n)     (1u << (18 + (n)))
#define IGB_MRQC_VMDQ       0x3
#define IGB_VT_CTL_DIS_DEF_POOL (1u << 29)

/* MDIC: PHY 1, BMCR (register 0) written with autonegotiation restarted. */
#define IGB_MDIC_PHY1       (1u << 21)
#define IGB_MDIC_OP_WRITE   (1u << 26)
#define IGB_PHY_BMCR_ANRESTART  0x1340  /* 1000FD, AUTOEN, ANRESTART */

/* Virtual function (its own BAR0). */
#define IGBVF_STATUS        0x0008
#define IGBVF_EIAC          0x152c
#define IGBVF_EIMS          0x1524
#define IGBVF_IVAR0         0x1700
#define IGBVF_RDBAL         0x2800
#define IGBVF_RDBAH         0x2804
#define IGBVF_RDLEN         0x2808
#define IGBVF_SRRCTL        0x280c
#define IGBVF_RDH           0x2810
#define IGBVF_RDT           0x2818
#define IGBVF_RXDCTL        0x2828

#define IGBVF_IVAR_VALID    0x80        /* RX queue 0 -> vector 0 */
#define IGB_SRRCTL_BSIZE_2K 2           /* in KiB */
#define IGB_SRRCTL_ADV_ONEBUF   (1u << 25)
#define IGB_RXDCTL_ENABLE   (1u << 25)

/* Advanced receive descriptor, write-back format. */
#define IGB_DESC_LEN        16
#define IGB_RXD_STATUS      8           /* 32-bit status and errors */
#define IGB_RXD_LENGTH      12          /* 16-bit */
#define IGB_RXD_DD          0x01

#endif /* SIM_DEV_IGB_REGS_H */
