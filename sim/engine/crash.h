/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crash: the crash engine.  One call runs one policy on a fresh QEMU:
 *
 *   1. start QEMU with the topology, enumerate, assign BARs;
 *   2. set up every device's DMA (e1000 rings, AHCI command slots) and fill
 *      the guarded regions -- "kdump reserved", "low memory", every DMA
 *      buffer -- with the --seed pattern;
 *   3. start the workload (frames into each NIC, TX, all AHCI slots issued
 *      and re-issued as they complete, interrupts acknowledged, as a live
 *      driver would) until every device is visibly doing DMA; the crash
 *      finds every AHCI queue full (AHCI_SLOTS reads pending, one started),
 *      with a disk throttle that keeps it busy through the window;
 *   4. crash: run the policy's crash path.  After each config write the
 *      port's hook offers one frame to every NIC and samples every device's
 *      progress in guest memory, so each DMA landing is attributed to the
 *      number of crash-path writes done before it;
 *   5. record the crash state (a copy of every guarded byte as the crash
 *      path left it);
 *   6. keep the workload going for the window (frames offered, TX doorbells
 *      rung, AHCI reads already queued left to run: nothing re-issues them,
 *      no CPU would);
 *   7. compare every guarded byte and count what devices did after the
 *      crash path returned;
 *   8. what still answers (reach.c): every function's COMMAND, read through
 *      ECAM before step 4 and again now; the line Xen prints after the
 *      crash path, written through every UART right after step 4 (and
 *      VT-d off), looked for in the UART's chardev file; one register of
 *      every endpoint not marked keep:, read through its BAR before step
 *      4 and again now.
 *
 * Interpretation rules:
 *  - inflight_bytes: changed bytes that belong to AHCI requests seen started
 *    (PRDBC 0) right after the device's own disconnect write (or after the
 *    crash path, when the policy does not write the device), or to NVMe and
 *    virtio-blk reads posted and not completed then (devkind.h says why:
 *    QEMU fetches those at once).  They are part of corrupted_bytes, never
 *    subtracted silently.
 *  - writes_until_quiesced: crash-path writes done before the last DMA
 *    landing observed (a landing seen after the path returned counts as all
 *    writes done).  _pcie: the same, except that a landing from below a
 *    bridge whose COMMAND was already written counts as blocked: QEMU does
 *    not model a bridge's Bus Master Enable, PCIe requires it.
 *  - Preserved devices (keep:) are meant to keep working: their buffers are
 *    not guarded and their DMA is reported apart (preserved_dma_bytes).
 *  - A register is reachable when it reads after the window what it read
 *    before the crash path (reach.c says why not "not all ones").  The
 *    console line counts as arrived only when every UART got it.
 *
 * Everything here runs in one process and one thread (the user port's bus
 * is a global); crashsim forks one process per policy.  engine.h says which
 * file does what.
 */
#ifndef SIM_CRASH_H
#define SIM_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "topology/spec.h"

enum crash_policy {
    CRASH_NONE,
    CRASH_SEED,
    CRASH_LINUX_KEXEC,
    CRASH_DECODE_OFF,   /* pcidc's order, COMMAND = 0x0400: decode off too */
    CRASH_PCIDC,        /* pcidc's default: Bus Master off, decode kept */
    CRASH_IOMMU_ON,     /* Xen >= 4.12: no disconnect, VT-d stays on */
    CRASH_PF_ONLY,      /* a control: pcidc's plan without SR-IOV VFs */
    CRASH_NR_POLICIES,
};

const char *crash_policy_name(enum crash_policy p);

/*
 * Parse "all" (alone) or a comma-separated list of policy names into
 * want[]; a name given twice counts once.  Empty lists and items, unknown
 * names and "all" inside a list are errors.  Returns 0, or -1 with a
 * one-line reason in err (want[] then undefined).  (policy_list.c, like
 * crash_policy_name, crash_policy_fits and crash_spec_has_iommu: no QEMU.)
 */
int crash_policy_parse(const char *list, bool want[CRASH_NR_POLICIES],
                       char *err, size_t errlen);

/*
 * The policies a --require-* option names (list, NULL: none) into out[]:
 * each must be in want[], except that "all" means every policy wanted.
 * Returns 0, or -1 with a one-line reason in err.
 */
int crash_policy_required(const char *list, const bool want[CRASH_NR_POLICIES],
                          bool out[CRASH_NR_POLICIES], char *err,
                          size_t errlen);

/* true when the topology has an iommu item. */
bool crash_spec_has_iommu(const struct spec *s);

/*
 * The AHCI workload: every disk's CRASH_AHCI_SLOTS command slots are kept
 * issued until the crash, each a read of CRASH_AHCI_CMD_BYTES.
 */
#define CRASH_AHCI_SLOTS        32
#define CRASH_AHCI_CMD_BYTES    (64 * 1024)
#define CRASH_AHCI_QUEUE_BYTES  ((uint64_t)CRASH_AHCI_SLOTS * \
                                 CRASH_AHCI_CMD_BYTES)

#define CRASH_DEFAULT_WINDOW_MS 1000
#define CRASH_MAX_WINDOW_MS     60000

struct crash_opts {
    const struct spec *spec;
    const char *topology;       /* the text, for reports */
    uint64_t seed;
    unsigned int window_ms;
    const char *qemu;           /* NULL: default */
    unsigned int timeout_ms;    /* 0: qts default */
    int verbose;                /* progress lines on stderr */
    /*
     * IOMMU topologies: unmap the page of e1000_0's next RX buffer just
     * before the crash path, so that its next DMA faults while
     * translation is on (the fault-record scenario).
     */
    bool iommu_probe;
    /*
     * The crash moment: after the warm-up the live workload goes on for
     * crash_delay_ms more before the crash path runs (0: at once).
     */
    unsigned int crash_delay_ms;
    /*
     * A plan published while the crash path runs (policies that run the
     * core): a second plan is built and published after the crash path's
     * republish_at-th config write, or for republish_at 0 between its
     * test-and-set and its loading the plan pointer.  The second plan is
     * the first one's functions but one (the last in Xen's order that is
     * neither a bridge nor a device the engine drives, as if unplugged)
     * with CRASH_REPUBLISH_MARK set in every value, so every write tells
     * which plan it came from.  Both moments come after the crash path's
     * test-and-set, so the core refuses the second plan (PCIDC_E_CRASHED)
     * and the crash path must walk the first one whole.
     */
    bool republish;
    unsigned int republish_at;
};

#define CRASH_MAX_DELAY_MS      10000
/* SERR# Enable: set by the republished plan's steps only. */
#define CRASH_REPUBLISH_MARK    0x0100

/*
 * true when the policy can run on the topology: iommu-on needs an iommu
 * item, pf-only an item with VFs.
 */
bool crash_policy_fits(enum crash_policy p, const struct spec *s);
/* Why p does not fit s ("needs an iommu item in the topology"), or NULL. */
const char *crash_policy_misfit(enum crash_policy p, const struct spec *s);

#define CRASH_NAME_LEN      24
#define CRASH_REGION_LEN    48
#define CRASH_MAX_STEPS     512
#define CRASH_MAX_DEVS      256
#define CRASH_MAX_RANGES    1024

struct crash_step {
    uint32_t sbdf;
    uint16_t value;
    double t_ms;                /* reached QEMU, ms after the path began */
};

/*
 * What a device did from the crash path on, as the engine saw it in its
 * samples: one event per sample that found something new, timed in ms
 * after the crash path began.
 */
enum crash_event_kind {
    CRASH_EV_DMA_WRITE,         /* a new request's data landed in memory:
                                   e1000 RX frames, AHCI reads not started
                                   at the device's disconnect write */
    CRASH_EV_INFLIGHT_DONE,     /* an AHCI read already started at the
                                   device's disconnect write completed */
    CRASH_EV_DMA_READ,          /* e1000 TX: descriptors and frames fetched */
    CRASH_EV_MSI,               /* an MSI word written (AHCI) */
    CRASH_EV_INTX,              /* an IOAPIC pin raised (dev -1, pin) */
    CRASH_EV_INTX_HIGH,         /* a pin still high when the crash path
                                   returned (dev -1, pin) */
    CRASH_EV_NR,
};

#define CRASH_MAX_EVENTS    8192

struct crash_event {
    double t_ms;
    enum crash_event_kind kind;
    int dev;                    /* index in crash_result.dev, -1: INTx */
    unsigned int pin;           /* INTx: the pin */
    uint64_t bytes;             /* DMA: bytes since the previous sample */
    unsigned int count;         /* frames, requests, MSIs or raises */
};

/* The plan published during the crash path (crash_opts.republish). */
struct crash_republication {
    bool asked;
    unsigned int at;            /* crash_opts.republish_at */
    bool done;                  /* the moment came: a plan was built */
    int build_rc;               /* pcidc_plan_build's answer ... */
    char build_result[32];      /* ... named by pcidc_strerror() */
    bool refused_crashed;       /* the answer was PCIDC_E_CRASHED */
    bool dropped;               /* a function was left out of it: */
    uint32_t dropped_sbdf;
    unsigned int nr_steps;      /* the new plan's steps ... */
    uint32_t sbdf[CRASH_MAX_STEPS];     /* ... in its order */
};

struct crash_range {
    char region[CRASH_REGION_LEN];
    uint64_t offset;            /* from the region's start */
    uint64_t length;            /* first to last changed byte */
    uint64_t changed;           /* bytes that differ in that span */
    int dev;                    /* index in crash_result.dev, -1: none */
    bool inflight;
};

#define CRASH_MAX_FAULTS    16
#define CRASH_REASON_LEN    32

/* A VT-d fault record read during or after the window. */
struct crash_fault {
    uint16_t source_id;         /* requester ID: bus << 8 | devfn */
    uint8_t reason;             /* VT-d fault reason code */
    char reason_name[CRASH_REASON_LEN];     /* "write not permitted", ... */
    bool is_read;
    uint64_t iova;              /* faulting page */
    int dev;                    /* device owning that IOVA, -1: none */
};

#define CRASH_MAX_IOVA      64

/* One IOVA block of the layout: a device buffer and where it was mapped. */
struct crash_iova {
    char name[32];              /* buffer, e.g. "e1000_0 rx ring" */
    char window[24];            /* "low memory", "kdump reserved", ... */
    uint64_t iova;
    uint64_t length;
    uint64_t phys;
    int dev;                    /* owner, -1: none */
};

struct crash_dev_result {
    char name[CRASH_NAME_LEN];  /* e1000_0, ahci_0, nvme_0.vf1 */
    char kind[16];              /* e1000, ahci, nvme, nvme-vf, virtio-blk,
                                   virtio-net, igb, igb-vf */
    uint32_t sbdf;
    bool preserved;
    int plan_step;              /* 1-based step of its disconnect write, 0 */
    unsigned int irq_pin;       /* IOAPIC pin seen at set-up, 0: unknown */
    uint64_t bytes_written;     /* DMA writes after the crash path returned */
    uint64_t bytes_read;
    unsigned long completions;
    unsigned long tx_packets;   /* datagrams that left through this NIC */
    unsigned long tx_crash_state;   /* ... carrying a crash-state buffer */
    unsigned long intx;         /* its pin: asserted when the path returned
                                   (1) plus raises after that */
    bool msi_enabled;           /* signals by MSI (AHCI), not INTx */
    unsigned int queued_at_crash;   /* AHCI commands pending at path return */
    uint64_t queued_bytes_at_crash; /* ... their bytes */
    unsigned int throttle_bps;      /* AHCI disk throttle */
    unsigned long msi;          /* MSIs that reached memory after the path
                                   (polls that found the word written) */
    unsigned long inflight_requests;
    unsigned long inflight_landed;  /* NVMe, virtio-blk: in-flight reads
                                       seen landing after the path */
    uint64_t corrupted_bytes;
    int last_dma_write;         /* writes done at its last landing, -1 */
    int last_dma_write_pcie;    /* same, PCIe forwarding rule */
    int bridge_step;            /* 1-based step of the first write to a
                                   bridge above it, 0: none (from then on
                                   a PCIe bridge forwards none of its DMA) */
    uint32_t bridge_sbdf;       /* that bridge */
};

#define CRASH_MAX_FUNCS     512     /* QPCI_MAX_FUNCS */
#define CRASH_MAX_CONSOLES  32

/* A PCI function's COMMAND around the crash, read through ECAM. */
struct crash_func {
    uint32_t sbdf;
    uint16_t command_before;    /* just before the crash path */
    uint16_t command_after;     /* after the window */
    bool planned;               /* the crash path wrote it */
    bool bridge;                /* a PCI-PCI bridge or root port */
    bool preserved;             /* keep: */
    int parent;                 /* index of its bridge in func[], -1 */
};

/*
 * One side-effect-free register read through an endpoint's BAR before the
 * crash path and after the window: e1000/e1000e STATUS, AHCI CAP, UART
 * LSR (an I/O port).
 */
struct crash_mmio {
    char name[CRASH_NAME_LEN];  /* the endpoint: e1000_0, serial_0, ... */
    uint32_t sbdf;
    const char *reg;            /* "STATUS", "CAP", "LSR" */
    bool io;                    /* I/O space, else memory */
    uint64_t addr;
    uint32_t before, after;
    bool reachable;             /* after == before */
};

/* A UART and whether the line written after the crash path reached it. */
struct crash_console {
    char name[CRASH_NAME_LEN];
    uint32_t sbdf;
    bool preserved;
    bool arrived;
};

struct crash_result {
    enum crash_policy policy;
    char error[512];            /* "" when the run completed */

    unsigned int nr_steps;
    struct crash_step step[CRASH_MAX_STEPS];
    unsigned long config_writes;
    unsigned long config_reads;
    unsigned long crash_reads;  /* of config_reads: the crash-time reader's */

    uint64_t guarded_bytes;
    uint64_t corrupted_bytes;
    uint64_t inflight_bytes;
    uint64_t preserved_dma_bytes;
    unsigned int nr_ranges;
    bool ranges_truncated;
    struct crash_range range[CRASH_MAX_RANGES];

    unsigned int nr_devs;
    struct crash_dev_result dev[CRASH_MAX_DEVS];

    unsigned long tx_packets_after_crash;
    unsigned long intx_after_crash;
    unsigned long msi_after_crash;  /* sum over non-preserved devices */
    bool msi_observable;        /* some device had MSI on (preserved ones'
                                   MSIs are in dev[], not the sum) */

    /* corrupted_bytes split by where they landed. */
    uint64_t low_memory_bytes;      /* region "low memory" */
    uint64_t kdump_bytes;           /* region "kdump reserved" */
    uint64_t crash_state_bytes;     /* every other guarded region */

    /* Topologies with an IOMMU. */
    bool iommu;
    bool translation_on;        /* GSTS.TES when the window ended */
    unsigned long iommu_faults; /* fault records read from the crash on */
    bool iommu_fault_overflow;  /* FSTS.PFO: faults were lost */
    unsigned int nr_faults;     /* kept in fault[] */
    struct crash_fault fault[CRASH_MAX_FAULTS];
    unsigned int nr_iova;       /* the IOVA layout, first CRASH_MAX_IOVA */
    struct crash_iova iova[CRASH_MAX_IOVA];
    /* IOVA bytes outside the guarded windows: DMA there with translation
     * off lands in memory nobody compares (big topologies only). */
    uint64_t iova_unguarded_bytes;

    unsigned int writes_until_quiesced;
    unsigned int writes_until_quiesced_pcie;
    /* The same two, leaving out completions of in-flight AHCI requests. */
    unsigned int writes_until_quiesced_new;
    unsigned int writes_until_quiesced_new_pcie;
    bool dma_stopped;           /* no new request's DMA after the path */

    /* What is still reachable after the crash path and the window. */
    unsigned int nr_funcs;
    struct crash_func func[CRASH_MAX_FUNCS];
    unsigned int nr_consoles;           /* UARTs in the topology */
    struct crash_console console[CRASH_MAX_CONSOLES];
    bool console_after_crash;           /* the line reached every UART */
    unsigned int nr_mmio;               /* endpoints checked (not keep:) */
    struct crash_mmio mmio[CRASH_MAX_DEVS];
    unsigned int mmio_reachable;

    /* Timings (ms, wall). */
    double start_ms;            /* QEMU start to qtest ready */
    double crash_path_ms;       /* the crash path, sampling included */
    double crash_path_config_ms;    /* its config accesses and the core's
                                       own work: sampling left out */
    double elapsed_ms;          /* whole run */
    unsigned long qtest_commands;

    /* The timeline (ms after the crash path began). */
    double path_end_ms;         /* the crash path returned */
    double window_start_ms;     /* the crash state was copied, the window
                                   began (frames offered again) */
    double window_end_ms;       /* the window ended */
    double delay_ms;            /* crash_opts.crash_delay_ms as run */
    unsigned int nr_events;
    bool events_truncated;
    struct crash_event event[CRASH_MAX_EVENTS];

    struct crash_republication republication;
};

/*
 * Run one policy.  Returns 0 when the run completed, -1 with out->error set
 * (QEMU missing, died, hung, malformed reply, set-up failure).
 */
int crash_run(const struct crash_opts *opts, enum crash_policy policy,
              struct crash_result *out);

/*
 * Start QEMU with the topology, enumerate, and print to out the plan of
 * each policy in want[] (no workload, no DMA).  Returns 0 or -1 with err.
 */
int crash_plan_only(const struct crash_opts *opts,
                    const bool want[CRASH_NR_POLICIES], FILE *out,
                    char *err, size_t errlen);

/*
 * One step of a policy's crash path as --plan-only shows it: what it
 * would write if the crash came now, and whether it reads COMMAND at the
 * crash to compute that ((read & ~clear) | set; fallback when it reads
 * all ones).
 */
struct crash_plan_step {
    uint32_t sbdf;
    uint16_t value;
    bool reads;
    uint16_t now;               /* COMMAND as it reads now, if reads */
    uint16_t clear, set;
    bool has_fallback;
    uint16_t fallback;
};

/* Every wanted policy's steps, as crash_plan_only prints them. */
struct crash_plans {
    bool listed[CRASH_NR_POLICIES];
    unsigned int nr_steps[CRASH_NR_POLICIES];
    struct crash_plan_step step[CRASH_NR_POLICIES][CRASH_MAX_STEPS];
};

/* crash_plan_only's plans into *out instead of text.  0 or -1 with err. */
int crash_plan_collect(const struct crash_opts *opts,
                       const bool want[CRASH_NR_POLICIES],
                       struct crash_plans *out, char *err, size_t errlen);

#endif /* SIM_CRASH_H */
