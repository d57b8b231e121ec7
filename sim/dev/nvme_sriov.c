/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme_sriov: see nvme_sriov.h.  Command layouts from the NVM Express base
 * specification 1.4 (Virtualization Management, Namespace Attachment,
 * Identify CNS 15h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvme_int.h"
#include "nvme_sriov.h"
#include "pci/pci_regs.h"

/* Virtualization Management actions and resource types. */
#define VM_PRIMARY_ALLOC    0x1
#define VM_SECONDARY_ASSIGN 0x8
#define VM_SECONDARY_ONLINE 0x9
#define VM_RT_VQ            0
#define VM_RT_VI            1

#define NS_ATTACH           0x0
#define SC_ALREADY_ATTACHED 0x118   /* type 1, code 18h */

#define SEC_LIST_ENTRIES    32      /* offset of the first entry */
#define SEC_ENTRY_LEN       32

int nvme_sriov_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                         unsigned int throttle_bps, struct nvme_sriov_args *a)
{
    char path[256];
    int n1, n2, n3, n4;

    if (nvme_write_image(q, index, seed, path, sizeof(path)))
        return -1;
    n1 = snprintf(a->drive, sizeof(a->drive),
                  "if=none,id=nvm%u,file=%s,format=raw,"
                  "throttling.bps-total=%u", index, path, throttle_bps);
    n2 = snprintf(a->subsys, sizeof(a->subsys), "nvme-subsys,id=nvmsub%u",
                  index);
    n3 = snprintf(a->ctrl, sizeof(a->ctrl),
                  "nvme,serial=pcidc%u,subsys=nvmsub%u,sriov_max_vfs=%u,"
                  "sriov_vq_flexible=%u,sriov_vi_flexible=%u,max_ioqpairs=%u",
                  index, index, NVME_SRIOV_MAX_VFS,
                  NVME_SRIOV_MAX_VFS * NVME_SRIOV_VQ,
                  NVME_SRIOV_MAX_VFS * NVME_SRIOV_VI,
                  NVME_SRIOV_MAX_VFS * NVME_SRIOV_VQ + 2);
    n4 = snprintf(a->ns, sizeof(a->ns), "nvme-ns,drive=nvm%u,nsid=1,"
                  "shared=on", index);
    if (n1 < 0 || (size_t)n1 >= sizeof(a->drive) ||
        n2 < 0 || (size_t)n2 >= sizeof(a->subsys) ||
        n3 < 0 || (size_t)n3 >= sizeof(a->ctrl) ||
        n4 < 0 || (size_t)n4 >= sizeof(a->ns))
        return qts_fail(q, "nvme_%u: SR-IOV arguments too long", index);
    return 0;
}

static int virt_mgmt(struct nvme_dev *d, unsigned int act, unsigned int rt,
                     uint16_t cntlid, unsigned int nr, const char *what)
{
    uint32_t cmd[16] = { NVME_ADM_VIRT_MGMT };

    cmd[10] = act | rt << 8 | (uint32_t)cntlid << 16;
    cmd[11] = nr;
    return nvme_admin_ok(d, cmd, what, NULL);
}

/* Function Level Reset of the PF, then its BARs, COMMAND and admin queue
 * as before. */
static int pf_flr(struct nvme_dev *d)
{
    const struct qpci_func *f = &d->bus->func[d->func];
    unsigned int exp = qpci_find_cap(d->bus, d->sbdf, PCI_CAP_ID_EXP);
    uint16_t devctl;
    unsigned int n;

    if (!exp)
        return qts_fail(d->qts, "nvme_%u: no PCIe capability for FLR",
                        d->index);
    devctl = qpci_cfg_read16(d->bus, d->sbdf, exp + PCI_EXP_DEVCTL);
    qpci_cfg_write16(d->bus, d->sbdf, exp + PCI_EXP_DEVCTL,
                     devctl | PCI_EXP_DEVCTL_FLRESET);
    for (n = 0; n < QPCI_NR_BARS; n++) {
        const struct qpci_bar *b = &f->bar[n];
        unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * n;

        if (!b->assigned)
            continue;
        qpci_cfg_write32(d->bus, d->sbdf, reg, (uint32_t)b->addr);
        if (b->is64)
            qpci_cfg_write32(d->bus, d->sbdf, reg + 4,
                             (uint32_t)(b->addr >> 32));
    }
    qpci_enable(d->bus, d->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return nvme_enable(d);
}

/* The secondary controller of VF vf (VFN vf + 1). */
static int secondary_of(struct nvme_dev *d, unsigned int vf, uint16_t *scid)
{
    uint8_t list[SEC_LIST_ENTRIES + SEC_ENTRY_LEN * NVME_SRIOV_MAX_VFS];
    unsigned int i, n;

    if (nvme_identify(d, NVME_CNS_SEC_CTRLS, 0, 0, list, sizeof(list)))
        return -1;
    n = list[0] < NVME_SRIOV_MAX_VFS ? list[0] : NVME_SRIOV_MAX_VFS;
    for (i = 0; i < n; i++) {
        const uint8_t *e = list + SEC_LIST_ENTRIES + SEC_ENTRY_LEN * i;

        if ((unsigned int)(e[8] | e[9] << 8) == vf + 1) {
            *scid = (uint16_t)(e[0] | e[1] << 8);
            return 0;
        }
    }
    return qts_fail(d->qts, "nvme_%u: no secondary controller for VF %u "
                    "(%u listed)", d->index, vf, list[0]);
}

static int attach_namespace(struct nvme_dev *d, uint16_t cntlid)
{
    uint32_t cmd[16] = { NVME_ADM_NS_ATTACH };
    uint64_t prp = dma_bus_addr(&d->dma, d->scratch);
    uint8_t ids[4] = { 1, 0, (uint8_t)cntlid, (uint8_t)(cntlid >> 8) };
    uint16_t status;

    qts_memset(d->qts, d->scratch, 0, NVME_PAGE);
    qts_memwrite(d->qts, d->scratch, ids, sizeof(ids));
    cmd[1] = 1;
    cmd[6] = (uint32_t)prp;
    cmd[7] = (uint32_t)(prp >> 32);
    cmd[10] = NS_ATTACH;
    if (nvme_admin(d, cmd, &status, NULL))
        return -1;
    if (status && (status & 0x7ff) != SC_ALREADY_ATTACHED)
        return qts_fail(d->qts, "nvme_%u: Namespace Attachment to %u: "
                        "status 0x%03x", d->index, cntlid, status);
    return 0;
}

/* Steps 2 and 3 for VF vf: its secondary controller into *scid. */
static int assign_secondary(struct nvme_dev *pf, unsigned int vf,
                            uint16_t *scid)
{
    return secondary_of(pf, vf, scid) ||
           virt_mgmt(pf, VM_SECONDARY_ASSIGN, VM_RT_VQ, *scid, NVME_SRIOV_VQ,
                     "secondary VQ assignment") ||
           virt_mgmt(pf, VM_SECONDARY_ASSIGN, VM_RT_VI, *scid, NVME_SRIOV_VI,
                     "secondary VI assignment") ? -1 : 0;
}

int nvme_sriov_enable_all(struct nvme_dev *pf, unsigned int nr)
{
    uint16_t scid[NVME_SRIOV_MAX_VFS];
    unsigned int v;
    int first;

    if (nr == 0 || nr > NVME_SRIOV_MAX_VFS)
        return qts_fail(pf->qts, "nvme_%u: %u VFs (1..%u)", pf->index, nr,
                        NVME_SRIOV_MAX_VFS);
    if (virt_mgmt(pf, VM_PRIMARY_ALLOC, VM_RT_VQ, pf->cntlid, 0,
                  "primary VQ allocation") ||
        virt_mgmt(pf, VM_PRIMARY_ALLOC, VM_RT_VI, pf->cntlid, 0,
                  "primary VI allocation") || pf_flr(pf))
        return -1;
    for (v = 0; v < nr; v++)
        if (assign_secondary(pf, v, &scid[v]))
            return -1;
    first = qpci_sriov_enable(pf->bus, pf->func, nr);
    if (first < 0)
        return -1;
    for (v = 0; v < nr; v++)
        if (virt_mgmt(pf, VM_SECONDARY_ONLINE, 0, scid[v], 0,
                      "secondary online") ||
            attach_namespace(pf, scid[v]))
            return -1;
    return first;
}

int nvme_sriov_enable(struct nvme_dev *pf, unsigned int nr, unsigned int vf)
{
    int first;

    if (vf >= nr)
        return qts_fail(pf->qts, "nvme_%u: VF %u of %u", pf->index, vf, nr);
    first = nvme_sriov_enable_all(pf, nr);
    return first < 0 ? -1 : first + (int)vf;
}
