/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e (sim/xen-e2e/main.c): what its parts share.  console.c: the
 * serial console and the frame flood, two threads; watch.c: guest state
 * through qtest; report.c: verdict, table and JSON.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "qemu/qts.h"

#define MARK            "pcidc-e2e: "
#define ECAM_BASE       0xb0000000ULL
#define MAX_FUNCS       64
#define MAX_RING        4096            /* e1000 descriptors */
#define DESC_SIZE       16
#define AHCI_SLOTS      32
#define AHCI_HDR_SIZE   32
#define AHCI_MAX_PRD    4096            /* PRD entries read per command */
#define SECTOR_MAGIC    "PCIDCSEC"
#define FRAME_LEN       1000
#define FRAME_TYPE      0x88b5          /* IEEE local experimental ethertype */
#define FRAME_MAGIC     "PCIDCE2E"
#define MAX_RUNS        8
#define ERR_LEN         400
#define DISK_BPS        (1u << 20)     /* AHCI disk throttle, bytes/s */
#define DISK_BYTES      (64ull << 20)
#define ANCHOR_WAIT     2.0             /* s to wait for "Disconnected N" */
#define POLL_PAUSE_MS   2               /* between polls after the first one */

/* Every wait of a run, in seconds (wall time, TCG, two runs at once). */
#define T_CONNECT       15
#define T_READY         150
#define T_DMA_BEFORE    20
#define T_CRASH_LINE    20
#define T_CRASH_UP      90
#define T_VMCORE        30
#define T_EXIT          30
#define T_RUN           (T_READY + T_DMA_BEFORE + T_CRASH_LINE + T_CRASH_UP + \
                         T_VMCORE + T_EXIT + 30)


/* e1000 registers read by the harness: none of them changes when read. */
#define E1000_RDBAL     0x2800
#define E1000_RDBAH     0x2804
#define E1000_RDLEN     0x2808
#define E1000_RDH       0x2810
/* AHCI port 0 registers (ABAR + 0x100 ...), equally free of side effects. */
#define AHCI_P0CLB      0x100
#define AHCI_P0CLBU     0x104
#define AHCI_P0SACT     0x134
#define AHCI_P0CI       0x138

/* The e1000's MAC address (QEMU's -device line uses the same). */
extern const uint8_t nic_mac[6];

/* ------------------------------------------------------------------------ */
/* Options and results                                                       */

struct run_cfg {
    char name[40];              /* "off/default" ... */
    bool disconnect;
    bool crash_disable;
};

enum crash_how { CRASH_KEY, CRASH_SYSRQ };

struct opts {
    const char *xen;
    const char *images;
    const char *out;
    const char *json;
    const char *table;
    const char *qemu;
    const char *arg_on;         /* Xen command-line word: disconnect on */
    const char *arg_off;        /* ... and off */
    const char *label;          /* what --xen is, for the table */
    unsigned int jobs;
    unsigned int rate;          /* frames per second */
    unsigned int smp;
    uint16_t value;             /* the core's COMMAND value */
    bool expect;
    bool bridge;                /* the e1000 behind a PCI-PCI bridge */
    enum crash_how crash;
    unsigned int nr_runs;
    struct run_cfg run[MAX_RUNS];
};

/*
 * Console markers, in the order a run meets them.  Xen's crash path prints
 * "Executing kexec image", shoots the other CPUs down ("Shot down all
 * CPUs"), then, in our Xen with the disconnect on, disconnects and prints
 * "Disconnected N PCI functions", then shuts the IOMMU down and jumps.
 */
enum mark {
    M_BANNER, M_DOM0_INIT, M_READY, M_CRASH_LINE, M_SHOT, M_SHOT_FAIL,
    M_DISCONNECTED, M_KDUMP_START, M_CRASH_UP, M_VT_D_ON, M_VMCORE, M_FAIL,
    M_COUNT
};


/* Our Xen's plan, printed (loglvl=all) whenever it is rebuilt: keep the last. */
#define PLAN_TEXT       "pci-crash-disconnect: plan of "
#define PLAN_READS_TEXT "devices, "
#define E1000_DEVICE    "e1000,netdev=n0,mac=52:54:00:e2:e0:01"

struct func_obs {
    uint8_t bus;
    uint8_t devfn;
    uint16_t vendor;
    uint16_t device;
    uint8_t header_type;
    bool planned;
    uint16_t before;            /* last read before the crash line */
    uint16_t at_line;           /* first read after the crash line */
    uint16_t first_after;       /* first read after the anchor line */
    uint16_t last;              /* last read (crash kernel up) */
    bool changed_after;         /* value changed after first_after */
    double t_changed;           /* s after QEMU start of that change; <0 none */
    double t_value;             /* s after crash line it read the value; <0 never */
};

/* Everything a run reports; plain data, sent through a pipe to the parent. */
struct run_result {
    struct run_cfg cfg;
    bool finished;              /* the child wrote the whole struct */
    bool pass;                  /* verdict() */
    char error[ERR_LEN];        /* harness or guest failure, "" if none */
    char verdict_why[ERR_LEN];  /* why the expectation failed */
    char log_dir[256];
    double t_mark[M_COUNT];     /* s after QEMU start; <0: not seen */
    char anchor[24];            /* mark_name of the line DMA is counted from */
    bool anchor_fallback;       /* disconnect on, but no "Disconnected" line */
    char plan_line[160];        /* last PLAN_TEXT line, "" if none */
    long plan_steps;            /* from it, -1 if none */
    long plan_updates;          /* plan lines: one per plan update */
    long plan_reads;            /* devices described from config space */
    long disconnected;          /* N of "Disconnected N PCI functions", -1 */
    double t_key;               /* crash requested */
    double t_exit;              /* QEMU gone by itself; <0: had to be killed */
    double t_total;             /* wall time of the whole run */
    unsigned int nr_funcs;
    struct func_obs func[MAX_FUNCS];
    /* e1000 */
    uint64_t ring_base;
    unsigned int ring_size;
    unsigned long desc_before;  /* completions seen while polling before the crash */
    unsigned long desc_window;  /* completed between the last poll before the
                                   crash line and the first after the anchor */
    unsigned long desc_in_path; /* of those, completed between the first poll
                                   after the crash line and the anchor's */
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


/* Console marker texts and their names in the JSON, by enum mark. */
extern const char *const mark_text[M_COUNT];
extern const char *const mark_name[M_COUNT];

static inline double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while ( nanosleep(&ts, &ts) != 0 && errno == EINTR )
        ;
}

static inline void copy_line(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The number after 'text' in 'line', -1 if 'text' is not there. */
static inline long number_after(const char *line, const char *text)
{
    const char *p = strstr(line, text);

    return p ? strtol(p + strlen(text), NULL, 10) : -1;
}

/* The run's first error, printf-style (later ones are dropped). */
void set_error(struct run_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------ */
/* The console: a thread that logs the serial line and timestamps markers.  */

struct console {
    int listen_fd;
    int fd;
    FILE *log;
    pthread_t thread;
    pthread_mutex_t lock;
    double t0;
    double t_mark[M_COUNT];
    char fail_line[200];
    char vmcore_line[200];
    char dc_line[200];
    char plan_line[160];
    long plan_updates;              /* PLAN_TEXT lines seen */
    long plan_reads;                /* sum of their "N read now" */
    char line[2048];
    size_t len;
    atomic_bool stop;
    atomic_bool eof;
    atomic_ulong *seq_counter;      /* the flood's, sampled at each marker */
    unsigned long seq_at[M_COUNT];
};


void console_init(struct console *c);
int console_listen(struct console *c, const char *path, const char *log);
int console_accept(struct console *c, double t0);
double console_mark(struct console *c, enum mark m);
int console_send(struct console *c, const char *bytes, size_t n);
void console_close(struct console *c);

/* ------------------------------------------------------------------------ */
/* The flood: a thread sending numbered frames to the e1000's netdev.        */

struct flood {
    int fd;
    struct sockaddr_un dst;
    unsigned int rate;
    pthread_t thread;
    atomic_bool stop;
    atomic_ulong seq;           /* next frame's number = frames sent */
    atomic_ulong refused;       /* QEMU was not reading (e1000 not receiving) */
};


int flood_open(struct flood *fl, const char *own, const char *qemu_side,
               unsigned int rate);
int flood_start(struct flood *fl);
void flood_stop(struct flood *fl, bool started);

/* ------------------------------------------------------------------------ */
/* Guest state through qtest: ECAM config reads, e1000 ring, AHCI slots.     */

/* Where a poll stands relative to Xen's crash path. */
enum phase {
    PH_BEFORE,      /* crash line not seen yet */
    PH_LINE,        /* crash line seen, anchor line not yet */
    PH_AFTER,       /* anchor seen: the crash path has run its disconnect step */
};

struct watch {
    struct qts *q;
    struct run_result *r;
    int nic;                    /* index into r->func, -1: none */
    uint64_t nic_bar;
    uint64_t abar;              /* AHCI registers (BAR5), 0: none */
    uint64_t clb;               /* port 0 command list */
    uint32_t issued;            /* port 0 PxCI | PxSACT at the last poll before the line */
    uint32_t landed_at_base;    /* of those, data in memory at the anchor's first poll */
    uint8_t *ring_prev;         /* last poll's descriptors */
    uint8_t *ring_before;       /* last poll before the crash line */
    uint8_t *ring_line;         /* first poll after the crash line */
    uint8_t *ring_base;         /* first poll after the anchor */
    uint8_t *ring_now;
    bool *done_after;
    bool have_prev;
    bool have_before;
    bool have_line;
    bool have_base;
    double t0;                  /* QEMU start (now_s()) */
    double poll_total;
    unsigned long polls;
};


int watch_discover(struct watch *w);
void watch_poll(struct watch *w, enum phase ph, double t_anchor_abs);
void watch_values(struct watch *w, uint16_t value, double t_rel);
void ahci_check(struct watch *w);
void scan_buffers(struct watch *w, FILE *dump);
/* The start of a disk sector as the harness writes it: magic and LBA. */
void sector_stamp(uint8_t *p, uint64_t lba);
void watch_free(struct watch *w);

/* ------------------------------------------------------------------------ */
/* Verdict, table and JSON                                                   */

void verdict(struct run_result *r, uint16_t value);
void print_table(FILE *out, const struct opts *o, struct run_result *rs,
                 unsigned int n);
int write_json(const char *path, const struct opts *o,
               const struct run_result *rs, unsigned int n);

#endif /* XEN_E2E_H */
