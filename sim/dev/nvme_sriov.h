/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme_sriov: virtual functions of QEMU's NVMe controller, each an NVMe
 * secondary controller that nvme.h then drives like any controller.
 *
 * QEMU's model wants: a subsystem (nvme-subsys) and a shared namespace
 * (nvme-ns ...,shared=on) so that secondary controllers see namespace 1;
 * sriov_max_vfs with flexible queue and interrupt resources
 * (sriov_vq_flexible >= 2 per VF, sriov_vi_flexible >= 1 per VF,
 * max_ioqpairs >= vq_flexible + 2).  At reset the primary controller holds
 * every flexible resource, so before a VF can start:
 *
 *   1. Virtualization Management "primary flexible allocation" of 0 VQ
 *      and 0 VI resources to the primary (it takes effect at the next
 *      function reset), then a Function Level Reset of the PF (its BARs
 *      and COMMAND are written back, the admin queue re-enabled);
 *   2. Identify "secondary controller list": the controller of VF n;
 *   3. "secondary assign" of NVME_SRIOV_VQ queue and NVME_SRIOV_VI
 *      interrupt resources to it (the controller must be offline);
 *   4. NumVFs and VF Enable in the SR-IOV capability (qpci_sriov_enable:
 *      the VFs join the bus table);
 *   5. "secondary online" (QEMU resets the VF's controller: CSTS.CFS,
 *      set while offline, clears);
 *   6. Namespace Attachment of namespace 1 to the secondary controller
 *      ("already attached" is fine: QEMU may attach a shared namespace to
 *      a controller by itself).
 *
 * A PF controller reset (CC.EN 1 -> 0) takes every secondary controller
 * offline again in QEMU.
 */
#ifndef SIM_DEV_NVME_SRIOV_H
#define SIM_DEV_NVME_SRIOV_H

#include <stddef.h>
#include <stdint.h>

#include "nvme.h"

#define NVME_SRIOV_MAX_VFS  2
#define NVME_SRIOV_VQ       2       /* admin + one I/O queue pair */
#define NVME_SRIOV_VI       1       /* one MSI-X vector for both CQs */

struct nvme_sriov_args {
    char drive[320];    /* -drive */
    char subsys[64];    /* -device nvme-subsys,... */
    char ctrl[256];     /* -device nvme,... */
    char ns[96];        /* -device nvme-ns,... */
};

/*
 * Write the disk image of NVMe number index and fill the four argument
 * values for a PF with NVME_SRIOV_MAX_VFS VFs sharing namespace 1 (drive
 * throttled to throttle_bps).  Returns 0 or -1 with a sticky error on q.
 */
int nvme_sriov_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                         unsigned int throttle_bps,
                         struct nvme_sriov_args *a);

/*
 * On a PF set up with nvme_setup_admin(): steps 1..6 above for nr VFs,
 * every one brought online.  Returns the bus table index of VF 0 (the
 * others follow), or -1 with a sticky error.  The PF keeps its private
 * queue and interrupt resources: nvme_setup_io() on it still works.
 */
int nvme_sriov_enable_all(struct nvme_dev *pf, unsigned int nr);

/* The same; returns the bus table index of VF vf (0-based, < nr). */
int nvme_sriov_enable(struct nvme_dev *pf, unsigned int nr, unsigned int vf);

#endif /* SIM_DEV_NVME_SRIOV_H */
