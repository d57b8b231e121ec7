/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spec: the topology SPEC of crashsim --topology, parsed into a tree and
 * turned into QEMU -device arguments.
 *
 * Grammar (spaces around tokens are allowed):
 *
 *   spec   := "" | list
 *   list   := item ("," item)*
 *   item   := ["keep:"] atom ["*" count]          count 1 .. 32
 *   atom   := device | "bridge(" [list] ")" | "rootport(" [list] ")"
 *   device := "e1000" | "e1000e" | "ahci" | "serial" | "iommu"
 *           | "nvme" ["(vfs=" N ")"] | "virtio-net" | "virtio-blk"
 *           | "igb(vfs=" N ")" | "xhci"
 *
 *   bridge(...)    pci-bridge (conventional PCI, 32 slots, children at
 *                  addr 0x00, 0x01, ...)
 *   rootport(...)  pcie-root-port, only on the root bus (pcie.0), at most
 *                  one child (PCIe link: the child sits at addr 0x00)
 *   serial         pci-serial: a 16550 UART with one I/O BAR, the crashed
 *                  system's serial console (the engine gives it a chardev)
 *   keep:          marks a device preserved (PCIDC_FUNC_PRESERVE); devices
 *                  only, not bridges, root ports or the IOMMU
 *   iommu          -device intel-iommu (not a PCI function, no bus slot);
 *                  at most one, on the top level
 *   nvme           -device nvme (the engine adds its drive); nvme(vfs=N),
 *                  N 1 .. SPEC_NVME_MAX_VFS: an SR-IOV physical function
 *                  (with nvme-subsys and a shared nvme-ns) whose N virtual
 *                  functions the engine enables, at functions 1 .. N of
 *                  the PF's slot
 *   virtio-net, virtio-blk   -device virtio-net-pci / virtio-blk-pci,
 *                  modern only (the engine adds netdev or drive)
 *   igb(vfs=N)     -device igb (QEMU >= 8.0: spec_check_qemu()), N 1 ..
 *                  SPEC_IGB_MAX_VFS virtual functions; QEMU puts VF n at
 *                  the PF's devfn + 0x80 + 2n, so on the root bus a PF in
 *                  slot S has its VFs in slots S + 16 ..., which later
 *                  items skip
 *   xhci           -device qemu-xhci, no USB device behind it
 *
 * SR-IOV needs the PF's extended config space: a conventional PCI bridge
 * (bridge(...)) does not forward it, so "vfs=" behind one is an error;
 * behind rootport(...) it works (qpci_sriov_reserve() widens the root
 * port's window for the VFs' BARs).  VFs with an iommu item are an error
 * too (the engine attaches VT-d contexts before any VF exists), and so are
 * virtio items with one (QEMU's virtio devices bypass VT-d unless
 * VIRTIO_F_ACCESS_PLATFORM is negotiated; dev/virtio_pci.c does not), and
 * xhci items with one (with translation off the controller's next fetch
 * reads the guard pattern at its command ring's IOVA, so what it does
 * then depends on the seed).
 *
 * Root-bus slots: q35 puts its MCH at 00:00.0 and the ICH9 functions
 * (LPC 00:1f.0, AHCI 00:1f.2, SMBus 00:1f.3) at slot 0x1f, always.
 * Top-level items take slots 0x02 .. 0x1e in order (29 slots; slot 0x01
 * stays free).  The *first* top-level "ahci" is q35's built-in ICH9 AHCI
 * at 00:1f.2 (no -device argument, no slot used; its ports are buses
 * "ide.0" .. "ide.5"); every other "ahci" (a second one on the top level,
 * or any behind a bridge) is an extra "-device ich9-ahci" whose ports are
 * buses "<id>.0" .. "<id>.5".  spec_node.ahci_bus names port 0's bus.
 *
 * Bridges and root ports each get a unique chassis number (1, 2, ...):
 * pci-bridge needs chassis_nr > 0, pcie-root-port needs distinct
 * (chassis, slot) pairs.  Bus numbers are not assigned here: qpci numbers
 * buses at enumeration; spec_node.path (devfn per level from bus 0) finds
 * the function in qpci's table (qpci_find_path).
 *
 * Limits (checked before QEMU starts, each a one-line error with the
 * 1-based position in the text): unknown word, syntax, count out of range,
 * more items than slots on a bus, nesting deeper than SPEC_MAX_DEPTH
 * bridges, more than SPEC_MAX_NODES nodes, more than SPEC_MAX_BRIDGES
 * bridges (bus numbers), rootport not on the top level or with more than
 * one child, iommu twice / nested / keep:, vfs= out of range, behind
 * bridge(...) or with an iommu, virtio or xhci with an iommu, igb without
 * vfs= or without room for its VFs on the root bus.
 */
#ifndef SIM_SPEC_H
#define SIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPEC_MAX_NODES      256
#define SPEC_MAX_DEPTH      8       /* bridges above the deepest device */
#define SPEC_MAX_BRIDGES    64
#define SPEC_MAX_COUNT      32
#define SPEC_ID_LEN         16
#define SPEC_ERR_LEN        256
#define SPEC_ARG_LEN        160

#define SPEC_ROOT_FIRST_SLOT 0x02
#define SPEC_ROOT_LAST_SLOT  0x1e
#define SPEC_BRIDGE_SLOTS    32
#define SPEC_BUILTIN_AHCI_DEVFN ((0x1f << 3) | 2)
#define SPEC_NVME_MAX_VFS    2
#define SPEC_IGB_MAX_VFS     7
#define SPEC_IGB_VF_OFFSET   0x80    /* VF n: PF devfn + offset + n * stride */
#define SPEC_IGB_VF_STRIDE   2

enum spec_kind {
    SPEC_E1000,
    SPEC_E1000E,
    SPEC_AHCI,
    SPEC_IOMMU,
    SPEC_BRIDGE,        /* pci-bridge */
    SPEC_ROOTPORT,      /* pcie-root-port */
    SPEC_SERIAL,        /* pci-serial (16550 UART) */
    SPEC_NVME,          /* nvme, with vfs: an SR-IOV PF */
    SPEC_VIRTIO_NET,    /* virtio-net-pci */
    SPEC_VIRTIO_BLK,    /* virtio-blk-pci */
    SPEC_IGB,           /* igb (82576), an SR-IOV PF */
    SPEC_XHCI,          /* qemu-xhci */
};

struct spec_node {
    enum spec_kind kind;
    bool keep;                  /* keep: prefix */
    bool builtin;               /* the q35 ICH9 AHCI at 00:1f.2 */
    int parent;                 /* node index of the bridge, -1: root bus */
    unsigned int depth;         /* bridges above this node */
    unsigned int pos;           /* 1-based position of the item in the text */
    char id[SPEC_ID_LEN];       /* QEMU id: e1000_0, e1000e_0, ahci_0,
                                   serial_0, nvme_0, virtio_net_0,
                                   virtio_blk_0, igb_0, xhci_0, br0, rp0,
                                   iommu0
                                   (per-kind counters) */
    unsigned int vfs;           /* SR-IOV VFs to enable, 0: none */
    char bus[SPEC_ID_LEN];      /* QEMU bus: "pcie.0" or the bridge's id */
    uint8_t devfn;              /* on that bus (IOMMU: none, 0) */
    unsigned int chassis;       /* bridges and root ports */
    char ahci_bus[SPEC_ID_LEN + 2];     /* AHCI: bus of port 0 */
    uint8_t path[SPEC_MAX_DEPTH + 1];   /* devfn per level from bus 0 */
    unsigned int path_len;              /* 0 for the IOMMU */
};

struct spec {
    unsigned int nr;                    /* nodes, parents before children */
    struct spec_node node[SPEC_MAX_NODES];
    char err[SPEC_ERR_LEN];             /* "" or the last error */
};

/*
 * Parse text into *s (any previous contents are discarded).  Returns 0, or
 * -1 with s->err like "topology: position 9: unknown device 'e100'".
 */
int spec_parse(struct spec *s, const char *text);

/* "e1000", "bridge", ...  */
const char *spec_kind_name(enum spec_kind kind);
/* true for devices that are PCI endpoints (every kind but bridges, root
 * ports and the IOMMU). */
bool spec_is_endpoint(enum spec_kind kind);
bool spec_is_bridge(enum spec_kind kind);
/* VFs over the whole tree. */
unsigned int spec_total_vfs(const struct spec *s);

/*
 * The QEMU about to run (major.minor, its version text such as "7.2.22"
 * and the binary as named) against the items that need a newer one.
 * Returns 0, or -1 with s->err like "topology: position 5: igb needs QEMU
 * >= 8.0; this is QEMU 7.2.22 (qemu-system-x86_64)".  (spec_qemu.c)
 */
int spec_check_qemu(struct spec *s, unsigned int major, unsigned int minor,
                    const char *version, const char *binary);

/*
 * The -device value for node i, with extra ",prop=value..." appended
 * (may be NULL; e.g. ",netdev=n0"), e.g.
 * "e1000,id=e1000_0,bus=pcie.0,addr=0x02.0,netdev=n0".  The built-in AHCI
 * has none: returns 0 with buf = "".  Returns 0, or -1 when it does not fit.
 */
int spec_device_arg(const struct spec *s, unsigned int i, const char *extra,
                    char *buf, size_t len);

/*
 * Fill args->argv with every "-device" "<value>" pair in node order
 * (the built-in AHCI has none), NULL-terminated, args->argc entries;
 * extra(arg, s, i) may add properties to node i (NULL callback or NULL
 * return: none).  The strings live in *args.  Returns args->argc, or -1
 * when a value does not fit SPEC_ARG_LEN.
 */
struct spec_args {
    char value[SPEC_MAX_NODES][SPEC_ARG_LEN];
    const char *argv[2 * SPEC_MAX_NODES + 1];
    unsigned int argc;
};
typedef const char *(*spec_extra_fn)(void *arg, const struct spec *s,
                                     unsigned int i);
int spec_build_args(const struct spec *s, struct spec_args *args,
                    spec_extra_fn extra, void *arg);

/* Human-readable tree (one node a line, indented), for --plan-only / -v. */
int spec_format_tree(const struct spec *s, char *buf, size_t len);

#endif /* SIM_SPEC_H */
