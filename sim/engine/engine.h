/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * engine: the crash engine's private state, shared by its files (crash.h
 * is the public API):
 *
 *   machine.c     QEMU arguments, start, enumeration, finding and setting
 *                 up the devices, teardown
 *   guarded.c     guest memory layout, guarded regions and their guard
 *                 fill, the crash-state copy, the comparison
 *   workload.c    the devices' workload: frames, TX, AHCI issue and refill,
 *                 acknowledgements, sampling (also between crash-path
 *                 writes)
 *   crash_path.c  the policies: the core's plan, Linux's kexec shutdown,
 *                 running the crash path
 *   iommu.c       the IOMMU set-up (iommu.h)
 *   results.c     the run's figures into struct crash_result
 *   run.c         one run, phase by phase (crash_run)
 *   plan_only.c   crash_plan_only
 *   policy_list.c policy names, the --policy list parser, which policies
 *                 fit a topology
 *   reach.c       what is still reachable after the crash path: COMMAND
 *                 of every function before and after, the console line
 *                 through every UART, a register through every endpoint's
 *                 BAR
 *   devkind.h     the kinds driven through a table of operations (NVMe,
 *                 virtio, igb): devkind.c, dev_*.c
 *
 * Everything runs in one process and one thread (the user port's bus is a
 * global).
 */
#ifndef SIM_ENGINE_ENGINE_H
#define SIM_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "crash.h"
#include "devkind.h"
#include "iommu.h"
#include "dev/ahci.h"
#include "dev/e1000.h"
#include "dev/serial.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"
#include "pcidc.h"

/* Guest memory layout (RAM is 256 MiB). */
#define RAM_MB              256
#define LOW_START           0x1000ULL
#define LOW_END             0x9f000ULL          /* below the EBDA / VGA hole */
#define ALLOC_START         0x100000ULL
#define ALLOC_END           ((uint64_t)RAM_MB << 20)
#define KDUMP_ADDR          0x8000000ULL        /* 128 MiB */
#define KDUMP_SIZE          (4ULL << 20)
#define REGION_LOW          "low memory"
#define REGION_KDUMP        "kdump reserved"
/*
 * MSI words: the page between the low-memory region and the VGA hole,
 * neither guarded nor an IOVA window (identity-mapped with VT-d), one word
 * per AHCI.  Data: MSI_DATA | AHCI index.
 */
#define MSI_PAGE            0x9f000ULL
#define MSI_PAGE_LEN        0x1000ULL
#define MSI_DATA            0x4d00

#define FIS_LEN             256     /* an AHCI's received-FIS area */

/* DEV_TABLE: the endpoint's ops (devkind.h) say what it is. */
enum dev_kind { DEV_E1000, DEV_AHCI, DEV_TABLE };

/*
 * An endpoint the engine drives and watches: its driver's state, the
 * bridges above it, when its DMA was last seen landing, and its counters
 * as they were when the crash path returned.
 */
struct dma_endpoint {
    enum dev_kind kind;
    int node;                           /* index in the topology spec */
    int func;                           /* index in bus->func[] */
    uint32_t sbdf;
    bool preserved;
    int up[SPEC_MAX_DEPTH + 1];         /* func indices of upstream bridges */
    unsigned int nr_up;
    struct e1000_dev e1000;
    struct ahci_dev ahci;
    const struct devkind_ops *ops;      /* DEV_TABLE: the kind's table */
    void *priv;                         /* ... and its driver state */
    char name[CRASH_NAME_LEN];          /* spec id; a VF: "nvme_0.vf1" */
    unsigned int pin;                   /* IOAPIC pin, 0: unknown */

    int last_landing;                   /* writes done; -1: none seen */
    int last_landing_pcie;
    int last_new_landing;               /* same, in-flight ones left out */
    int last_new_landing_pcie;
    bool new_after_path;                /* non-in-flight DMA after the path */
    bool inflight_known;
    bool inflight[AHCI_SLOTS];          /* AHCI, NVMe, virtio-blk slots */

    /* Baseline when the crash path returned. */
    unsigned int base_rx_done, base_tx_done;
    uint64_t base_rx_bytes, base_tx_bytes;
    unsigned long base_tx_dgrams, base_tx_cs;
    unsigned int base_completed;
    uint64_t base_bytes;
    unsigned long base_msi;
    unsigned int queued_at_path;
    enum ahci_slot_state slot_at_path[AHCI_SLOTS];
    uint32_t prdbc_at_path[AHCI_SLOTS];
    uint8_t fis_at_path[FIS_LEN];
};

/* A UART of the topology: the crashed system's serial console. */
struct console_port {
    int node;                           /* index in the topology spec */
    int func;                           /* index in bus->func[] */
    bool preserved;
    struct serial_dev uart;
};

/* A register read before the crash and after the window (reach.c). */
struct reach_probe {
    const char *name;                   /* the endpoint's spec id */
    uint32_t sbdf;
    const char *reg;
    bool io;                            /* an 8-bit I/O port, else 32-bit */
    uint64_t addr;
    uint32_t before;
};

#define REGION_NO_SLOT  (-1)
#define REGION_FIS      (-2)

/* Guest memory whose every byte is compared after the window. */
struct guarded_region {
    char name[CRASH_REGION_LEN];
    uint64_t addr;
    uint64_t len;
    int dev;                /* index in crash_machine.dev, -1: no owner */
    int slot;               /* AHCI slot, REGION_FIS, or REGION_NO_SLOT */
    bool fill;              /* filled with the guard pattern at set-up */
    uint8_t *crash;         /* copy as the crash path left it */
};

/*
 * What the core is handed lives on the heap: crashsim-contracts checks it
 * as valid memory, and E-ACSL does not see the static or stack data of
 * code it did not instrument.
 */
struct core_input {
    struct pcidc dc;                    /* ~117 KiB */
    struct pcidc_func func[QPCI_MAX_FUNCS];
    unsigned int nr_func;
    struct pcidc_policy policy;
    /* The plan published during the crash path (crash_opts.republish). */
    struct pcidc_func func2[QPCI_MAX_FUNCS];
    struct pcidc_policy policy2;
};

/* One simulated machine through one policy's crash. */
struct crash_machine {
    const struct crash_opts *opts;
    enum crash_policy policy;
    struct crash_result *res;           /* NULL: plan only */
    struct qts *q;
    struct qpci_bus *bus;
    struct galloc *g;

    unsigned int nr_devs;
    struct dma_endpoint *dev;           /* as crash_result.dev[] */
    unsigned int nr_regions;
    struct guarded_region *region;

    unsigned int nr_consoles;
    struct console_port *console;       /* as crash_result.console[] */
    unsigned int nr_probes;
    struct reach_probe *probe;          /* as crash_result.mmio[] */

    /* Crash path bookkeeping. */
    bool in_crash;
    unsigned int writes;                /* crash-path writes so far */
    unsigned int written_at[QPCI_MAX_FUNCS];    /* 1-based step, 0: not */
    unsigned long irq_base[QTS_MAX_IRQ];    /* raises when the path returned */
    unsigned int irq_pending[QTS_MAX_IRQ];  /* 1: line high then */
    double t0;
    double t_crash;                     /* clock_ms() as the crash path began */
    double hook_ms;                     /* spent sampling in the write hook */

    struct iommu_setup *iommu;          /* NULL: no iommu in the topology */
    unsigned int ahci_bps;              /* every disk's throttle */

    struct core_input *core;
};

/* A progress line on stderr with --verbose. */
void engine_note(const struct crash_machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* machine.c */
int machine_start_qemu(struct crash_machine *m);
int machine_enumerate(struct crash_machine *m);
int machine_find_devices(struct crash_machine *m);
/* Drivers set up, IRQ pins learnt, device regions guarded. */
int machine_setup_devices(struct crash_machine *m);
/* Free everything m holds, QEMU stopped; m itself stays. */
void machine_teardown(struct crash_machine *m);

/* guarded.c */
/* Layout, "low memory" and "kdump reserved" guarded, the IOMMU set up. */
int guard_setup_memory(struct crash_machine *m);
/* Endpoint i's buffers as guarded regions, guard-filled where marked. */
int guard_device_regions(struct crash_machine *m, unsigned int i);
int guard_fill(struct crash_machine *m, uint64_t addr, uint64_t len);
/* Baselines taken, every guarded byte copied as the crash path left it. */
int guard_record_crash_state(struct crash_machine *m);
/* Every guarded byte against the copy: totals and ranges into m->res. */
int guard_compare_all(struct crash_machine *m);

/* workload.c */
void workload_sample_dev(struct crash_machine *m, struct dma_endpoint *d,
                         bool after_path);
void workload_record_inflight(struct dma_endpoint *d);
void workload_offer_and_sample(struct crash_machine *m, bool after_path);
void workload_ack_all(struct crash_machine *m);
int workload_refill_ahci(struct crash_machine *m);
/* From set-up until every device is visibly doing DMA. */
int workload_start(struct crash_machine *m);
/* The window after the crash path: no CPU, devices left running. */
int workload_run_window(struct crash_machine *m);
/* The live system goes on for ms before the crash (crash_delay_ms). */
int workload_run_live(struct crash_machine *m, unsigned int ms);
/* Called after every crash-path write number nr (1-based). */
void workload_on_crash_write(struct crash_machine *m, unsigned long nr,
                             uint32_t sbdf, uint16_t value);
/* A timeline event, timed now, from the crash path on (else dropped). */
void workload_event(struct crash_machine *m, enum crash_event_kind kind,
                    int dev, unsigned int pin, uint64_t bytes,
                    unsigned int count);
/* INTx raises as timeline events from now on (the qts IRQ hook). */
void workload_watch_intx(struct crash_machine *m);

/* crash_path.c */
/* true for the policies that run the core's plan (seed, decode-off, pcidc). */
bool crash_path_uses_core(enum crash_policy policy);
/* A fresh core (zeroed, as Xen's) with a plan for policy. */
int crash_path_build_plan(struct crash_machine *m, enum crash_policy policy);
/* Linux's kexec shutdown as steps, COMMAND as it reads now. */
unsigned int crash_path_kexec_steps(struct crash_machine *m,
                                    struct crash_plan_step *step, unsigned int max);
/* The policy's crash path, every write sampled; counts into m->res. */
void crash_path_run(struct crash_machine *m);

/* reach.c */
/* COMMAND of every function and every probe's register, before the crash. */
int reach_before_crash(struct crash_machine *m);
/* The line Xen prints after the crash path, through every UART. */
void reach_print_console(struct crash_machine *m);
/* After the window: COMMAND again, every probe again, the console lines. */
int reach_after_window(struct crash_machine *m);

/* results.c */
void results_devices(struct crash_machine *m);
void results_iommu(struct crash_machine *m);

#endif /* SIM_ENGINE_ENGINE_H */
