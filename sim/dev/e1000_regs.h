/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * e1000_regs: register offsets and bits of Intel's 8254x / 82574 (QEMU's
 * e1000 and e1000e), the subset the simulator's driver, its tests and the
 * real-Xen harness use.  Offsets are from BAR0.
 */
#ifndef SIM_DEV_E1000_REGS_H
#define SIM_DEV_E1000_REGS_H

#define E1000_CTRL      0x0000
#define E1000_STATUS    0x0008
#define E1000_ICR       0x00c0      /* read clears */
#define E1000_ICS       0x00c8
#define E1000_IMS       0x00d0
#define E1000_IMC       0x00d8
#define E1000_RCTL      0x0100
#define E1000_TCTL      0x0400
#define E1000_TIPG      0x0410
#define E1000_RDBAL     0x2800
#define E1000_RDBAH     0x2804
#define E1000_RDLEN     0x2808
#define E1000_RDH       0x2810
#define E1000_RDT       0x2818
#define E1000_TDBAL     0x3800
#define E1000_TDBAH     0x3804
#define E1000_TDLEN     0x3808
#define E1000_TDH       0x3810
#define E1000_TDT       0x3818
#define E1000_RFCTL     0x5008
#define E1000_RAL0      0x5400
#define E1000_RAH0      0x5404

#define E1000_CTRL_ASDE         (1u << 5)
#define E1000_CTRL_SLU          (1u << 6)
#define E1000_RCTL_EN           (1u << 1)
#define E1000_RCTL_UPE          (1u << 3)
#define E1000_RCTL_MPE          (1u << 4)
#define E1000_RCTL_BAM          (1u << 15)
#define E1000_RCTL_BSIZE_1024   (1u << 16)
#define E1000_RCTL_SECRC        (1u << 26)
#define E1000_TCTL_EN           (1u << 1)
#define E1000_TCTL_PSP          (1u << 3)
#define E1000_RAH_AV            (1u << 31)

#define E1000_ICR_TXDW          0x01
#define E1000_ICR_LSC           0x04
#define E1000_ICR_RXT0          0x80

/* Legacy descriptors: 16 bytes, status byte at 12, length at 8. */
#define E1000_DESC_LEN          16
#define E1000_RXD_LENGTH        8
#define E1000_RXD_STATUS        12
#define E1000_TXD_STATUS        12
#define E1000_DESC_DD           0x01
#define E1000_TXD_CMD_EOP       0x01
#define E1000_TXD_CMD_IFCS      0x02
#define E1000_TXD_CMD_RS        0x08

#endif /* SIM_DEV_E1000_REGS_H */
