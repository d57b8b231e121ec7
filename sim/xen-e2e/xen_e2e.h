/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: what its parts share.  main.c: the command line; runs.c: runs
 * as child processes; run.c: one run; console.c: the two serial lines and
 * the frame flood, two threads; watch.c: guest state through qtest;
 * report.c: verdict and JSON; table.c: the Markdown tables.  Every name
 * they share starts with e2e_ / E2E_, apart from the simulator library's.
 */
#ifndef XEN_E2E_H
#define XEN_E2E_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "dev/e1000_regs.h"
#include "pci/pci_regs.h"
#include "qemu/qts.h"

#define E2E_MARK            "pcidc-e2e: "
#define E2E_MAX_FUNCS       64
#define E2E_MAX_RING        4096            /* e1000 descriptors */
#define E2E_AHCI_SLOTS      32
#define E2E_AHCI_HDR_SIZE   32
#define E2E_AHCI_MAX_PRD    4096            /* PRD entries read per command */
#define E2E_SECTOR_MAGIC    "PCIDCSEC"
#define E2E_FRAME_LEN       1000
#define E2E_FRAME_TYPE      0x88b5          /* IEEE local experimental ethertype */
#define E2E_FRAME_MAGIC     "PCIDCE2E"
#define E2E_MAX_RUNS        12
#define E2E_ERR_LEN         400
#define E2E_DISK_BPS        (1u << 20)      /* AHCI disk throttle, bytes/s */
#define E2E_DISK_BYTES      (64ull << 20)
#define E2E_ANCHOR_WAIT     2.0             /* s to wait for "Disconnected N" */
#define E2E_POLL_PAUSE_MS   2               /* between polls after the first one */

/* Every wait of a run, in seconds (wall time, TCG, two runs at once). */
#define E2E_T_CONNECT       15
#define E2E_T_READY         150
#define E2E_T_DMA_BEFORE    20
#define E2E_T_CRASH_LINE    20
#define E2E_T_CRASH_UP      90
#define E2E_T_VMCORE        30
#define E2E_T_EXIT          30
#define E2E_T_RUN           (E2E_T_READY + E2E_T_DMA_BEFORE + E2E_T_CRASH_LINE + \
                             E2E_T_CRASH_UP + E2E_T_VMCORE + E2E_T_EXIT + 30)

/* AHCI port 0 registers (ABAR + 0x100 ...), free of side effects when read. */
#define E2E_AHCI_P0CLB      0x100
#define E2E_AHCI_P0CLBU     0x104
#define E2E_AHCI_P0SACT     0x134
#define E2E_AHCI_P0CI       0x138

/* The e1000's MAC address (QEMU's -device line uses the same). */
extern const uint8_t e2e_nic_mac[6];

/* ------------------------------------------------------------------------ */
/* Options and results                                                       */

/*
 * What Xen's crash path does in a run: nothing (stock Xen 4.17's
 * behaviour), pcidc's plan, the 2011 patch's (COMMAND = 0 for every
 * function in list order), or pcidc's fallback plan, forced by a test hook.
 */
enum e2e_mode { E2E_STOCK, E2E_PCIDC, E2E_SEED, E2E_FALLBACK, E2E_NR_MODES };

struct e2e_run_cfg {
    char name[48];              /* "off/default", "seed/crash-disable+bridge" */
    enum e2e_mode mode;
    bool crash_disable;
    bool bridge;                /* the e1000 behind a PCI-PCI bridge */
};

/* Run names and spec words of the modes: "off", "on", "seed", "fallback". */
extern const char *const e2e_mode_word[E2E_NR_MODES];

static inline bool e2e_disconnects(enum e2e_mode m)
{
    return m != E2E_STOCK;
}

/* COMMAND after the crash path: (COMMAND & ~clear) | set. */
struct e2e_policy {
    uint16_t clear;
    uint16_t set;
};

enum e2e_crash_how { E2E_CRASH_KEY, E2E_CRASH_SYSRQ };

struct e2e_opts {
    const char *xen;
    const char *images;
    const char *out;
    const char *json;
    const char *table;
    const char *qemu;
    const char *arg[E2E_NR_MODES];  /* Xen command-line word of each mode */
    const char *label;          /* what --xen is, for the table */
    unsigned int jobs;
    unsigned int rate;          /* frames per second */
    unsigned int smp;
    struct e2e_policy policy;   /* pcidc's (and its fallback's) */
    bool expect;
    bool bridge;                /* every run: the e1000 behind a bridge */
    bool dry_run;               /* print the runs, start nothing */
    enum e2e_crash_how crash;
    unsigned int nr_runs;
    struct e2e_run_cfg run[E2E_MAX_RUNS];
};

/*
 * The policy a run's crash path applies, by mode; the seed's is fixed
 * (COMMAND = 0), pcidc's and the fallback's are o->policy.
 */
struct e2e_policy e2e_run_policy(const struct e2e_opts *o, enum e2e_mode m);

/*
 * Console markers, in the order a run meets them.  Xen's crash path prints
 * "Executing kexec image", shoots the other CPUs down ("Shot down all
 * CPUs"), then, in our Xen with the disconnect on, disconnects and prints
 * "Disconnected N PCI functions", then shuts the IOMMU down and jumps.
 * Xen's lines (and dom0's, through Xen's console) come on the PCI UART,
 * the crash kernel's on the ISA serial line; a marker counts on either.
 */
enum e2e_mark {
    E2E_M_BANNER, E2E_M_DOM0_INIT, E2E_M_READY, E2E_M_CRASH_LINE, E2E_M_SHOT,
    E2E_M_SHOT_FAIL, E2E_M_DISCONNECTED, E2E_M_KDUMP_START, E2E_M_CRASH_UP,
    E2E_M_VT_D_ON, E2E_M_VMCORE, E2E_M_FAIL,
    E2E_M_COUNT
};


/* Our Xen's plan, printed (loglvl=all) whenever it is rebuilt: keep the last. */
#define E2E_PLAN_TEXT       "pci-crash-disconnect: plan of "
#define E2E_PLAN_READS_TEXT "devices, "
#define E2E_PLAN_CONF_TEXT  "read now in "
/* ... and its warning when it published the fallback plan instead. */
#define E2E_FALLBACK_TEXT   "pci-crash-disconnect: plan refused: "
#define E2E_FALLBACK_DONE   "fallback published: "
#define E2E_E1000_DEVICE    "e1000,netdev=n0,mac=52:54:00:e2:e0:01"
/*
 * Xen's console: QEMU's pci-serial (a 16550 behind its own pci-bridge: Xen's
 * 'com1=...,pci' looks from bus 1 on).  Xen takes it read-only for itself,
 * so our Xen keeps it and its bridge out of pcidc's plan.
 */
#define E2E_UART_BRIDGE     "pci-bridge,id=brc,chassis_nr=2"
#define E2E_UART_DEVICE     "pci-serial,chardev=xcon,bus=brc,addr=1"
#define E2E_UART_CLASS      0x0700          /* serial controller, 16550 */
#define E2E_UART_IER        1               /* register offset */

/* The two serial lines: QEMU's ISA COM1 and the PCI UART Xen's console uses. */
enum e2e_port { E2E_PORT_ISA, E2E_PORT_XEN, E2E_NR_PORTS };

struct e2e_func_obs {
    uint8_t bus;
    uint8_t devfn;
    uint16_t vendor;
    uint16_t device;
    uint8_t header_type;
    uint16_t class_code;        /* base class << 8 | subclass */
    uint8_t secondary;          /* bridges: buses as the guest numbered them */
    uint8_t subordinate;
    bool planned;               /* e2e_verdict(): expected in the plan */
    bool kept;                  /* e2e_verdict(): expected left alone */
    uint16_t expected;          /* e2e_verdict(): COMMAND after the crash path */
    uint16_t before;            /* last read before the crash request */
    uint16_t at_line;           /* first read after the crash line */
    uint16_t first_after;       /* first read after the anchor line */
    uint16_t last;              /* last read (crash kernel up) */
    bool changed_after;         /* value changed after first_after */
    double t_changed;           /* s after QEMU start of that change; <0 none */
    double t_value;             /* s after crash line it read the value; <0 never */
};

/* Everything a run reports; plain data, sent through a pipe to the parent. */
struct e2e_result {
    struct e2e_run_cfg cfg;
    bool finished;              /* the child wrote the whole struct */
    bool pass;                  /* e2e_verdict() */
    char error[E2E_ERR_LEN];    /* harness or guest failure, "" if none */
    char verdict_why[E2E_ERR_LEN]; /* why the expectation failed */
    char log_dir[256];
    double t_mark[E2E_M_COUNT]; /* s after QEMU start; <0: not seen */
    char anchor[24];            /* e2e_mark_name of the line DMA is counted from */
    bool anchor_fallback;       /* disconnect on, but no "Disconnected" line */
    char plan_line[160];        /* last E2E_PLAN_TEXT line, "" if none */
    long plan_steps;            /* from it, -1 if none */
    long plan_updates;          /* plan lines: one per plan update */
    long plan_reads;            /* devices described from config space */
    long plan_conf_reads;       /* config reads of those descriptions */
    long fallback_lines;        /* "fallback published" warnings */
    /* Xen's console (the PCI UART) after the shoot-down line */
    bool xen_banner_on_uart;    /* Xen's banner came on the PCI UART */
    unsigned long xen_lines_after;  /* lines Xen printed there afterwards */
    unsigned long xen_bytes_after;
    char xen_first_after[120];  /* the first of them */
    int uart_ier_before;        /* its IER read through qtest, -1: not read */
    int uart_ier_after;         /* ... at the anchor's first poll */
    int uart_ier_end;           /* ... when the crash kernel is up */
    long disconnected;          /* N of "Disconnected N PCI functions", -1 */
    double t_key;               /* crash requested */
    double t_exit;              /* QEMU gone by itself; <0: had to be killed */
    double t_total;             /* wall time of the whole run */
    unsigned int nr_funcs;
    struct e2e_func_obs func[E2E_MAX_FUNCS];
    /* e1000 */
    uint64_t ring_base;
    unsigned int ring_size;
    unsigned long desc_before;  /* completions seen while polling before the crash */
    unsigned long desc_window;  /* completed between the last poll before the
                                   crash line and the first after the anchor */
    unsigned long desc_in_path; /* of those, completed between the first poll
                                   after the crash line and the anchor's */
    unsigned long desc_to_disc; /* completed between the last poll before the
                                   crash request and the first that saw the
                                   e1000 disconnected (stock: the anchor's) */
    unsigned long bytes_to_disc;    /* their lengths */
    double t_disc_seen;         /* s after the crash request of that poll, <0 none */
    unsigned long desc_after;   /* completed after the first poll after the anchor */
    unsigned long bytes_after;  /* their lengths */
    unsigned long frames_late;  /* buffers holding frames sent after the anchor */
    unsigned long frames_late_bytes;
    unsigned long frames_sent;
    unsigned long frames_refused;
    unsigned long seq_at_anchor;
    long head_before;           /* RDH at the last poll before the crash line */
    long head_base;             /* RDH at the anchor's first poll, -1: decode off */
    long head_end;              /* last RDH read after that, -1: decode off */
    /* AHCI port 0 */
    bool ahci_seen;
    unsigned long ahci_busy_polls;  /* polls before the crash with commands issued */
    unsigned int ahci_inflight;     /* commands issued at the last poll before the line */
    unsigned int ahci_landed;       /* of those, commands whose data reached memory */
    unsigned long ahci_bytes;       /* bytes those commands asked for */
    unsigned long ahci_bytes_landed;/* bytes found in memory by the end */
    unsigned int ahci_landed_after; /* commands landed after the anchor's first poll */
    unsigned long ahci_bytes_after; /* their bytes */
    /* polling */
    unsigned long polls_after;
    double poll_ms;             /* mean duration of one poll */
    double first_poll_after;    /* s after the anchor line */
    /* crash kernel */
    unsigned long long vmcore_size;
    bool vmcore_elf;
};


/* Console marker texts and their names in the JSON, by enum e2e_mark. */
extern const char *const e2e_mark_text[E2E_M_COUNT];
extern const char *const e2e_mark_name[E2E_M_COUNT];

/* Seconds on sim/base/clock's monotonic clock. */
static inline double e2e_now_s(void)
{
    return clock_ms() / 1e3;
}

static inline void e2e_copy_line(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The number after 'text' in 'line', -1 if 'text' is not there. */
static inline long e2e_number_after(const char *line, const char *text)
{
    const char *p = strstr(line, text);

    return p ? strtol(p + strlen(text), NULL, 10) : -1;
}

/* The run's first error, printf-style (later ones are dropped). */
void e2e_set_error(struct e2e_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------ */
/* Runs: each in a child process, up to o->jobs at once (runs.c, run.c).     */

/* Run every o->run[] into rs[]; returns early once *stop is set. */
void e2e_run_all(const struct e2e_opts *o, struct e2e_result *rs,
                 volatile sig_atomic_t *stop);
/* One run, in the calling process. */
void e2e_run_one(const struct e2e_opts *o, struct e2e_result *r);
/* The Xen command line of a run. */
char *e2e_xen_cmdline(const struct e2e_opts *o, const struct e2e_run_cfg *cfg,
                      char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* The console: a thread that logs the serial line and timestamps markers.  */

struct e2e_serial {
    int listen_fd;
    int fd;
    FILE *log;
    char line[2048];
    size_t len;
};

struct e2e_console {
    struct e2e_serial port[E2E_NR_PORTS];
    bool thread_started;
    pthread_t thread;
    pthread_mutex_t lock;
    double t0;
    double t_mark[E2E_M_COUNT];
    enum e2e_port mark_port[E2E_M_COUNT];
    char fail_line[200];
    char vmcore_line[200];
    char dc_line[200];
    char plan_line[200];
    long plan_updates;              /* E2E_PLAN_TEXT lines seen */
    long plan_reads;                /* sum of their "N read now" */
    long plan_conf_reads;           /* sum of their "read now in N" */
    long fallback_lines;            /* E2E_FALLBACK_DONE warnings */
    /* The PCI UART from the shoot-down line until the crash kernel starts. */
    bool xen_after;
    unsigned long xen_lines_after;
    unsigned long xen_bytes_after;
    char xen_first_after[120];
    atomic_bool stop;
    atomic_bool eof;                /* a serial line closed: QEMU exited */
    atomic_ulong *seq_counter;      /* the flood's, sampled at each marker */
    unsigned long seq_at[E2E_M_COUNT];
};


void e2e_console_init(struct e2e_console *c);
int e2e_console_listen(struct e2e_console *c, enum e2e_port port,
                       const char *path, const char *log);
int e2e_console_accept(struct e2e_console *c, double t0);
double e2e_console_mark(struct e2e_console *c, enum e2e_mark m);
int e2e_console_send(struct e2e_console *c, enum e2e_port port,
                     const char *bytes, size_t n);
void e2e_console_close(struct e2e_console *c);

/* ------------------------------------------------------------------------ */
/* The flood: a thread sending numbered frames to the e1000's netdev.        */

struct e2e_flood {
    int fd;
    struct sockaddr_un dst;
    unsigned int rate;
    pthread_t thread;
    atomic_bool stop;
    atomic_ulong seq;           /* next frame's number = frames sent */
    atomic_ulong refused;       /* QEMU was not reading (e1000 not receiving) */
};


int e2e_flood_open(struct e2e_flood *fl, const char *own,
                   const char *qemu_side, unsigned int rate);
int e2e_flood_start(struct e2e_flood *fl);
void e2e_flood_stop(struct e2e_flood *fl, bool started);

/* ------------------------------------------------------------------------ */
/* Guest state through qtest: ECAM config reads, e1000 ring, AHCI slots.     */

/* Where a poll stands relative to Xen's crash path. */
enum e2e_phase {
    E2E_PH_BEFORE,  /* crash line not seen yet */
    E2E_PH_LINE,    /* crash line seen, anchor line not yet */
    E2E_PH_AFTER,   /* anchor seen: the crash path has run its disconnect step */
};

struct e2e_watch {
    struct qts *q;
    struct e2e_result *r;
    int nic;                    /* index into r->func, -1: none */
    uint64_t nic_bar;
    uint16_t uart_io;           /* the PCI UART's I/O BAR, 0: none */
    uint64_t abar;              /* AHCI registers (BAR5), 0: none */
    uint64_t clb;               /* port 0 command list */
    uint32_t issued;            /* port 0 PxCI | PxSACT at the last poll before the line */
    uint32_t landed_at_base;    /* of those, data in memory at the anchor's first poll */
    uint8_t *ring_prev;         /* last poll's descriptors */
    uint8_t *ring_before;       /* last poll before the crash line */
    uint8_t *ring_key;          /* last poll before the crash request */
    bool have_key;
    bool have_disc;             /* desc_to_disc counted */
    uint8_t *ring_line;         /* first poll after the crash line */
    uint8_t *ring_base;         /* first poll after the anchor */
    uint8_t *ring_now;
    bool *done_after;
    bool have_prev;
    bool have_before;
    bool have_line;
    bool have_base;
    /*
     * Set when the crash is requested: Xen's crash path may run before its
     * crash line reaches the harness, so a poll after the request may read
     * a COMMAND it already wrote.
     */
    bool crash_requested;
    double t0;                  /* QEMU start (e2e_now_s()) */
    double poll_total;
    unsigned long polls;
};


int e2e_watch_discover(struct e2e_watch *w);
void e2e_watch_poll(struct e2e_watch *w, enum e2e_phase ph,
                    double t_anchor_abs);
void e2e_watch_values(struct e2e_watch *w, struct e2e_policy p, double t_rel);
/* The PCI UART's IER as the CPU reads it now: 0xff when nothing decodes it. */
int e2e_watch_uart_ier(struct e2e_watch *w);
void e2e_ahci_check(struct e2e_watch *w);
void e2e_scan_buffers(struct e2e_watch *w, FILE *dump);
/* The start of a disk sector as the harness writes it: magic and LBA. */
void e2e_sector_stamp(uint8_t *p, uint64_t lba);
void e2e_watch_free(struct e2e_watch *w);

/* ------------------------------------------------------------------------ */
/* Verdict, table and JSON                                                   */

void e2e_verdict(const struct e2e_opts *o, struct e2e_result *r);
void e2e_print_table(FILE *out, const struct e2e_opts *o,
                     const struct e2e_result *rs, unsigned int n);
/* "0x0503 (io mem intx-off)" */
char *e2e_command_str(uint16_t cmd, char *buf, size_t len);
int e2e_write_json(const char *path, const struct e2e_opts *o,
                   const struct e2e_result *rs, unsigned int n);

#endif /* XEN_E2E_H */
