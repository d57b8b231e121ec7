/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the real crash, end to end (issue 8).
 *
 * Boots a Xen hypervisor under QEMU (q35, intel-iommu, e1000, AHCI disk)
 * with a Debian Linux dom0 whose initramfs (ci/e2e/images.sh) drives the
 * e1000 and the disk with the real drivers and loads a crash kernel with
 * 'kexec -p'.  The harness floods the e1000 with frames, crashes Xen with
 * its debug key (or dom0 with sysrq) and, from the console's crash line
 * until the crash kernel is up, watches through the qtest object:
 *
 *   - every PCI function's COMMAND register (ECAM, single memory reads;
 *     0xCF8/0xCFC are never touched while the guest runs);
 *   - the e1000 receive ring (base, length and head from the device's
 *     side-effect-free registers while its memory decode is on,
 *     descriptors and buffers from memory): descriptors completed and
 *     frames written into dom0's buffers after Xen's crash path ran;
 *   - the AHCI reads in flight at the crash (port 0 PxCI/PxSACT before the
 *     crash, then command tables and buffers in memory, against a disk
 *     whose every sector is stamped with its LBA): did their data land
 *     after the crash path?
 *
 * Each run is a child process with its own QEMU (sim/qts); up to --jobs
 * run at once.  Results: a Markdown table on stdout, --json FILE, and per
 * run a console log under --out.  With --expect the exit status says
 * whether every run met its expected outcome (see verdict()).
 */
#define _GNU_SOURCE
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

#include "qts.h"

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

static const uint8_t nic_mac[6] = { 0x52, 0x54, 0x00, 0xe2, 0xe0, 0x01 };
static const uint8_t src_mac[6] = { 0x52, 0x54, 0x00, 0xe2, 0xe0, 0xfe };

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

static const char *const mark_text[M_COUNT] = {
    [M_BANNER] = "(XEN) Xen version ",
    [M_DOM0_INIT] = MARK "dom0 init",
    [M_READY] = MARK "dom0 ready",
    /* "(XEN) Executing ..." or "(XEN) Hardware Dom0 crashed: Executing ..." */
    [M_CRASH_LINE] = "Executing kexec image on cpu",
    [M_SHOT] = "(XEN) Shot down all CPUs",
    [M_SHOT_FAIL] = "(XEN) Failed to shoot down CPUs",
    [M_DISCONNECTED] = "(XEN) Disconnected ",
    /* The crash kernel's first lines give its command line: only it has this. */
    [M_KDUMP_START] = "elfcorehdr=",
    [M_CRASH_UP] = MARK "crash kernel up",
    /* The crash kernel finds VT-d still translating (Xen's default). */
    [M_VT_D_ON] = "DMAR: Translation already enabled",
    [M_VMCORE] = MARK "vmcore size=",
    [M_FAIL] = MARK "FAIL",
};

static const char *const mark_name[M_COUNT] = {
    "xen_banner", "dom0_init", "dom0_ready", "crash_line", "shot_down",
    "shoot_down_failed", "disconnected", "crash_kernel_start", "crash_kernel_up",
    "crash_kernel_found_vt_d_on", "vmcore", "fail",
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

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while ( nanosleep(&ts, &ts) != 0 && errno == EINTR )
        ;
}

static void set_error(struct run_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct run_result *r, const char *fmt, ...)
{
    va_list ap;

    if ( r->error[0] )
        return;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}

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

/* Unix socket address; -1 (ENAMETOOLONG) if the path does not fit. */
static int set_sun_path(struct sockaddr_un *sa, const char *path)
{
    size_t n = strlen(path);

    if ( n >= sizeof(sa->sun_path) )
    {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa->sun_path, path, n + 1);
    return 0;
}

static void copy_line(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static long number_after(const char *line, const char *text)
{
    const char *p = strstr(line, text);

    return p ? strtol(p + strlen(text), NULL, 10) : -1;
}

static void console_line(struct console *c, double t)
{
    c->line[c->len] = '\0';
    pthread_mutex_lock(&c->lock);
    if ( strstr(c->line, PLAN_TEXT) )
    {
        copy_line(c->plan_line, sizeof(c->plan_line), strstr(c->line, PLAN_TEXT));
        long reads = number_after(c->line, PLAN_READS_TEXT);

        c->plan_updates++;
        c->plan_reads += reads > 0 ? reads : 0;
    }
    for ( int m = 0; m < M_COUNT; m++ )
    {
        if ( c->t_mark[m] >= 0 || !strstr(c->line, mark_text[m]) )
            continue;
        c->t_mark[m] = t - c->t0;
        if ( c->seq_counter )
            c->seq_at[m] = atomic_load(c->seq_counter);
        if ( m == M_FAIL )
            copy_line(c->fail_line, sizeof(c->fail_line), c->line);
        if ( m == M_VMCORE )
            copy_line(c->vmcore_line, sizeof(c->vmcore_line), c->line);
        if ( m == M_DISCONNECTED )
            copy_line(c->dc_line, sizeof(c->dc_line), c->line);
    }
    pthread_mutex_unlock(&c->lock);
    c->len = 0;
}

static void console_bytes(struct console *c, const char *buf, size_t n)
{
    double t = now_s();

    fwrite(buf, 1, n, c->log);
    fflush(c->log);
    for ( size_t i = 0; i < n; i++ )
    {
        if ( buf[i] == '\n' )
            console_line(c, t);
        else if ( buf[i] != '\r' && c->len < sizeof(c->line) - 1 )
            c->line[c->len++] = buf[i];
    }
}

static void *console_main(void *arg)
{
    struct console *c = arg;
    char buf[4096];

    while ( !atomic_load(&c->stop) )
    {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        ssize_t n;

        if ( poll(&p, 1, 100) <= 0 )
            continue;
        n = read(c->fd, buf, sizeof(buf));
        if ( n <= 0 )
            break;
        console_bytes(c, buf, (size_t)n);
    }
    atomic_store(&c->eof, true);
    return NULL;
}

static double console_mark(struct console *c, enum mark m)
{
    double t;

    pthread_mutex_lock(&c->lock);
    t = c->t_mark[m];
    pthread_mutex_unlock(&c->lock);
    return t;
}

static int console_send(struct console *c, const char *bytes, size_t n)
{
    return send(c->fd, bytes, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static void console_init(struct console *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->listen_fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    for ( int m = 0; m < M_COUNT; m++ )
        c->t_mark[m] = -1;
}

static int console_listen(struct console *c, const char *path, const char *log)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    c->log = fopen(log, "w");
    if ( !c->log )
        return -1;
    if ( set_sun_path(&sa, path) != 0 )
        return -1;
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if ( c->listen_fd < 0 ||
         bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
         listen(c->listen_fd, 1) != 0 )
        return -1;
    return 0;
}

/* Accept QEMU's connection (it connects at start-up) and start the thread. */
static int console_accept(struct console *c, double t0)
{
    struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };

    c->t0 = t0;
    if ( poll(&p, 1, T_CONNECT * 1000) != 1 )
        return -1;
    c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if ( c->fd < 0 )
        return -1;
    return pthread_create(&c->thread, NULL, console_main, c) == 0 ? 0 : -1;
}

static void console_close(struct console *c)
{
    if ( c->fd >= 0 )
    {
        atomic_store(&c->stop, true);
        pthread_join(c->thread, NULL);
        close(c->fd);
    }
    if ( c->listen_fd >= 0 )
        close(c->listen_fd);
    if ( c->log )
        fclose(c->log);
}

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

static void frame_fill(uint8_t *f, uint32_t seq)
{
    memcpy(f, nic_mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = FRAME_TYPE >> 8;
    f[13] = FRAME_TYPE & 0xff;
    memcpy(f + 14, FRAME_MAGIC, 8);
    memcpy(f + 22, &seq, 4);
    for ( size_t i = 26; i < FRAME_LEN; i++ )
        f[i] = (uint8_t)(i ^ seq);
}

static void *flood_main(void *arg)
{
    struct flood *fl = arg;
    uint8_t frame[FRAME_LEN];
    unsigned int per_tick = fl->rate / 1000 ? fl->rate / 1000 : 1;

    while ( !atomic_load(&fl->stop) )
    {
        for ( unsigned int i = 0; i < per_tick; i++ )
        {
            unsigned long seq = atomic_load(&fl->seq);

            frame_fill(frame, (uint32_t)seq);
            if ( sendto(fl->fd, frame, sizeof(frame), MSG_DONTWAIT,
                        (struct sockaddr *)&fl->dst, sizeof(fl->dst)) < 0 )
            {
                atomic_fetch_add(&fl->refused, 1);
                break;
            }
            atomic_fetch_add(&fl->seq, 1);
        }
        sleep_ms(1);
    }
    return NULL;
}

static int flood_open(struct flood *fl, const char *own, const char *qemu_side,
                      unsigned int rate)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    memset(fl, 0, sizeof(*fl));
    fl->fd = -1;
    fl->rate = rate;
    fl->dst.sun_family = AF_UNIX;
    if ( set_sun_path(&fl->dst, qemu_side) != 0 || set_sun_path(&sa, own) != 0 )
        return -1;
    fl->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if ( fl->fd < 0 || bind(fl->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 )
        return -1;
    return 0;
}

static int flood_start(struct flood *fl)
{
    return pthread_create(&fl->thread, NULL, flood_main, fl) == 0 ? 0 : -1;
}

static void flood_stop(struct flood *fl, bool started)
{
    atomic_store(&fl->stop, true);
    if ( started )
        pthread_join(fl->thread, NULL);
    if ( fl->fd >= 0 )
        close(fl->fd);
}

/* ------------------------------------------------------------------------ */
/* Guest state through qtest: ECAM config reads, e1000 ring, AHCI slots.     */

static uint64_t ecam(uint8_t bus, uint8_t devfn, unsigned int reg)
{
    return ECAM_BASE + ((uint64_t)bus << 20) + ((uint64_t)devfn << 12) + reg;
}

/* Functions on bus 0 and below bridges, found with config reads only. */
static void enumerate_bus(struct qts *q, struct run_result *r, uint8_t bus,
                          unsigned int depth)
{
    for ( unsigned int devfn = 0; devfn < 256; devfn++ )
    {
        uint32_t id = qts_readl(q, ecam(bus, devfn, 0));
        struct func_obs *f;

        if ( (id & 0xffff) == 0xffff || (id & 0xffff) == 0 )
        {
            if ( (devfn & 7) == 0 )
                devfn += 7;             /* no function 0: no device */
            continue;
        }
        if ( r->nr_funcs == MAX_FUNCS )
            return;
        f = &r->func[r->nr_funcs++];
        f->bus = bus;
        f->devfn = (uint8_t)devfn;
        f->vendor = (uint16_t)id;
        f->device = (uint16_t)(id >> 16);
        f->header_type = qts_readb(q, ecam(bus, devfn, 0x0e));
        f->planned = true;
        f->t_value = -1;
        f->t_changed = -1;
        if ( (f->header_type & 0x7f) == 1 && depth < 8 )
        {
            uint8_t secondary = qts_readb(q, ecam(bus, devfn, 0x19));

            if ( secondary > bus )
                enumerate_bus(q, r, secondary, depth + 1);
        }
        if ( (devfn & 7) == 0 && !(f->header_type & 0x80) )
            devfn += 7;                 /* single-function device */
    }
}

static int find_func(const struct run_result *r, uint16_t vendor,
                     uint16_t device)
{
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        if ( r->func[i].vendor == vendor && r->func[i].device == device )
            return (int)i;
    return -1;
}

static uint64_t mem_bar(struct qts *q, const struct func_obs *f, unsigned int n)
{
    uint32_t lo = qts_readl(q, ecam(f->bus, f->devfn, 0x10 + 4 * n));
    uint64_t addr = lo & ~0xfULL;

    if ( (lo & 0x6) == 0x4 )
        addr |= (uint64_t)qts_readl(q, ecam(f->bus, f->devfn, 0x14 + 4 * n)) << 32;
    return (lo & 1) ? 0 : addr;
}

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

static int watch_alloc(struct watch *w, unsigned int n)
{
    size_t bytes = (size_t)n * DESC_SIZE;

    w->ring_prev = calloc(1, bytes);
    w->ring_before = calloc(1, bytes);
    w->ring_line = calloc(1, bytes);
    w->ring_base = calloc(1, bytes);
    w->ring_now = calloc(1, bytes);
    w->done_after = calloc(n, sizeof(bool));
    return w->ring_prev && w->ring_before && w->ring_line && w->ring_base &&
           w->ring_now &&
           w->done_after ? 0 : -1;
}

static int watch_discover(struct watch *w)
{
    struct run_result *r = w->r;
    struct qts *q = w->q;
    int ahci;

    if ( qts_readl(q, ecam(0, 0, 0)) != 0x29c08086 )
        return qts_fail(q, "ECAM at 0x%llx does not show q35's host bridge",
                        (unsigned long long)ECAM_BASE), -1;
    enumerate_bus(q, r, 0, 0);
    w->nic = find_func(r, 0x8086, 0x100e);
    if ( w->nic < 0 )
        return qts_fail(q, "no e1000 (8086:100e) found through ECAM"), -1;
    w->nic_bar = mem_bar(q, &r->func[w->nic], 0);
    r->ring_base = qts_readl(q, w->nic_bar + E1000_RDBAL) |
                   (uint64_t)qts_readl(q, w->nic_bar + E1000_RDBAH) << 32;
    r->ring_size = qts_readl(q, w->nic_bar + E1000_RDLEN) / DESC_SIZE;
    if ( !r->ring_base || !r->ring_size || r->ring_size > MAX_RING )
        return qts_fail(q, "e1000 receive ring not set up (base 0x%" PRIx64
                        ", %u descriptors)", r->ring_base, r->ring_size), -1;
    ahci = find_func(r, 0x8086, 0x2922);
    if ( ahci >= 0 )
        w->abar = mem_bar(q, &r->func[ahci], 5);
    if ( w->abar )
        w->clb = qts_readl(q, w->abar + AHCI_P0CLB) |
                 (uint64_t)qts_readl(q, w->abar + AHCI_P0CLBU) << 32;
    r->ahci_seen = w->clb != 0;
    if ( watch_alloc(w, r->ring_size) != 0 )
        return qts_fail(q, "out of memory"), -1;
    return qts_error(q) ? -1 : 0;
}

static bool desc_done(const uint8_t *ring, unsigned int i)
{
    return ring[i * DESC_SIZE + 12] & 1;            /* status.DD */
}

static uint16_t desc_len(const uint8_t *ring, unsigned int i)
{
    return (uint16_t)(ring[i * DESC_SIZE + 8] | ring[i * DESC_SIZE + 9] << 8);
}

static uint64_t desc_addr(const uint8_t *ring, unsigned int i)
{
    uint64_t a;

    memcpy(&a, ring + i * DESC_SIZE, 8);
    return a;
}

/* Descriptors done in 'now' but not in 'then'. */
static unsigned long newly_done(const uint8_t *then, const uint8_t *now,
                                unsigned int n)
{
    unsigned long count = 0;

    for ( unsigned int i = 0; i < n; i++ )
        count += !desc_done(then, i) && desc_done(now, i);
    return count;
}

static void read_commands(struct watch *w, enum phase ph)
{
    for ( unsigned int i = 0; i < w->r->nr_funcs; i++ )
    {
        struct func_obs *f = &w->r->func[i];
        uint16_t cmd = qts_readw(w->q, ecam(f->bus, f->devfn, 4));

        if ( ph == PH_BEFORE )
            f->before = cmd;
        if ( ph != PH_BEFORE && !w->have_line )
            f->at_line = cmd;
        if ( ph == PH_AFTER && !w->have_base )
            f->first_after = cmd;
        else if ( ph == PH_AFTER && cmd != f->last && !f->changed_after )
        {
            f->changed_after = true;
            f->t_changed = now_s() - w->t0;
        }
        f->last = cmd;
    }
}

/*
 * AHCI port 0 commands issued (PxCI | PxSACT), read only before the crash
 * line: the crash path turns memory decode off, and the registers are gone.
 */
static void read_ahci(struct watch *w)
{
    uint32_t issued;

    if ( !w->clb )
        return;
    issued = qts_readl(w->q, w->abar + AHCI_P0CI) |
             qts_readl(w->q, w->abar + AHCI_P0SACT);
    w->r->ahci_busy_polls += issued != 0;
    w->r->ahci_inflight = (unsigned int)__builtin_popcount(issued);
    w->issued = issued;
}

static void count_after(struct watch *w)
{
    struct run_result *r = w->r;

    for ( unsigned int i = 0; i < r->ring_size; i++ )
        if ( !w->done_after[i] && !desc_done(w->ring_base, i) &&
             desc_done(w->ring_now, i) )
        {
            w->done_after[i] = true;
            r->desc_after++;
            r->bytes_after += desc_len(w->ring_now, i);
        }
}

static void ahci_mark_base(struct watch *w);

/* RDH, only while the e1000's memory decode is on (the BAR is gone otherwise). */
static void read_head(struct watch *w, enum phase ph)
{
    struct run_result *r = w->r;
    long head;

    if ( !(r->func[w->nic].last & 0x0002) )
        return;
    head = qts_readl(w->q, w->nic_bar + E1000_RDH);
    if ( ph == PH_BEFORE )
        r->head_before = head;
    else if ( ph == PH_AFTER && !w->have_base )
        r->head_base = head;
    else if ( ph == PH_AFTER && r->head_base >= 0 )
        r->head_end = head;
}

/* One look at everything. */
static void watch_poll(struct watch *w, enum phase ph, double t_anchor_abs)
{
    struct run_result *r = w->r;
    size_t bytes = (size_t)r->ring_size * DESC_SIZE;
    double t_start = now_s();

    read_commands(w, ph);
    read_head(w, ph);
    qts_memread(w->q, r->ring_base, w->ring_now, bytes);
    if ( ph == PH_BEFORE )
        read_ahci(w);
    if ( qts_error(w->q) )
        return;

    if ( ph == PH_BEFORE )
    {
        if ( w->have_prev )
            r->desc_before += newly_done(w->ring_prev, w->ring_now, r->ring_size);
        memcpy(w->ring_before, w->ring_now, bytes);
        w->have_before = true;
    }
    if ( ph != PH_BEFORE && !w->have_line )
        memcpy(w->ring_line, w->ring_now, bytes);
    if ( ph == PH_AFTER && !w->have_base )
    {
        if ( w->have_before )
            r->desc_window = newly_done(w->ring_before, w->ring_now, r->ring_size);
        r->desc_in_path = newly_done(w->ring_line, w->ring_now, r->ring_size);
        memcpy(w->ring_base, w->ring_now, bytes);
        w->have_base = true;
        r->first_poll_after = t_start - t_anchor_abs;
        ahci_mark_base(w);
    }
    else if ( ph == PH_AFTER )
        count_after(w);
    w->have_line = w->have_line || ph != PH_BEFORE;
    memcpy(w->ring_prev, w->ring_now, bytes);
    w->have_prev = true;
    if ( ph == PH_AFTER )
    {
        w->polls++;
        w->poll_total += now_s() - t_start;
    }
}

/* When each function first read the core's value, relative to the line. */
static void watch_values(struct watch *w, uint16_t value, double t_rel)
{
    for ( unsigned int i = 0; i < w->r->nr_funcs; i++ )
    {
        struct func_obs *f = &w->r->func[i];

        if ( f->t_value < 0 && f->last == value )
            f->t_value = t_rel;
    }
}

static void sector_stamp(uint8_t *p, uint64_t lba)
{
    memcpy(p, SECTOR_MAGIC, 8);
    memcpy(p + 8, &lba, 8);
}

/* First LBA and sector count of a READ FPDMA QUEUED or READ DMA EXT FIS. */
static bool fis_read(const uint8_t *cfis, uint64_t *lba, unsigned int *count)
{
    if ( cfis[0] != 0x27 || (cfis[2] != 0x60 && cfis[2] != 0x25) )
        return false;
    *lba = 0;
    for ( unsigned int i = 0; i < 6; i++ )
        *lba |= (uint64_t)cfis[i < 3 ? 4 + i : 5 + i] << (8 * i);
    *count = cfis[2] == 0x60 ? (unsigned int)(cfis[3] | cfis[11] << 8)
                             : (unsigned int)(cfis[12] | cfis[13] << 8);
    return true;
}

/*
 * One AHCI command issued at the last poll before the crash line: how many
 * of its bytes are in memory, judged by the stamp at the start of each PRD
 * entry's buffer (at most max_prd entries).  *asked: the command's length.
 */
static unsigned long ahci_slot_landed(struct watch *w, unsigned int slot,
                                      unsigned int max_prd, unsigned long *asked)
{
    uint8_t hdr[AHCI_HDR_SIZE], cfis[64], prd[16], head[16], want[16];
    uint64_t ctba, lba, off = 0;
    unsigned int prdtl, count;
    unsigned long landed = 0;

    *asked = 0;
    qts_memread(w->q, w->clb + slot * AHCI_HDR_SIZE, hdr, sizeof(hdr));
    memcpy(&ctba, hdr + 8, 8);
    prdtl = hdr[2] | hdr[3] << 8;
    qts_memread(w->q, ctba, cfis, sizeof(cfis));
    if ( qts_error(w->q) || !fis_read(cfis, &lba, &count) )
        return 0;
    for ( unsigned int i = 0; i < prdtl && i < max_prd; i++ )
    {
        uint64_t dba;
        uint32_t dbc;

        qts_memread(w->q, ctba + 0x80 + 16 * i, prd, sizeof(prd));
        memcpy(&dba, prd, 8);
        memcpy(&dbc, prd + 12, 4);
        dbc = (dbc & 0x3fffff) + 1;
        qts_memread(w->q, dba, head, sizeof(head));
        sector_stamp(want, lba + off / 512);
        if ( !memcmp(head, want, sizeof(want)) )
            landed += dbc;
        off += dbc;
    }
    *asked = (unsigned long)count * 512;
    return landed;
}

/*
 * At the anchor's first poll: which in-flight commands already landed.
 * QEMU lands a (throttled) read all at once, so the first PRD entry tells.
 */
static void ahci_mark_base(struct watch *w)
{
    unsigned long asked;

    for ( unsigned int slot = 0; slot < AHCI_SLOTS && w->clb; slot++ )
        if ( (w->issued & (1u << slot)) && ahci_slot_landed(w, slot, 1, &asked) )
            w->landed_at_base |= 1u << slot;
}

/* At the end: every in-flight command, every PRD entry. */
static void ahci_check(struct watch *w)
{
    struct run_result *r = w->r;

    for ( unsigned int slot = 0; slot < AHCI_SLOTS && w->clb; slot++ )
    {
        unsigned long asked, landed;

        if ( !(w->issued & (1u << slot)) )
            continue;
        landed = ahci_slot_landed(w, slot, AHCI_MAX_PRD, &asked);
        r->ahci_bytes += asked;
        r->ahci_bytes_landed += landed;
        r->ahci_landed += landed != 0;
        if ( landed && !(w->landed_at_base & (1u << slot)) )
        {
            r->ahci_landed_after++;
            r->ahci_bytes_after += landed;
        }
    }
}

static int64_t buffer_seq(struct watch *w, uint64_t addr)
{
    uint8_t head[26];
    uint32_t seq;

    if ( !addr )
        return -1;
    qts_memread(w->q, addr, head, sizeof(head));
    if ( qts_error(w->q) || memcmp(head, nic_mac, 6) ||
         head[12] != FRAME_TYPE >> 8 || head[13] != (FRAME_TYPE & 0xff) ||
         memcmp(head + 14, FRAME_MAGIC, 8) )
        return -1;
    memcpy(&seq, head + 22, 4);
    return seq;
}

/*
 * Every buffer the ring names, read from memory at the end: how many hold
 * one of our frames numbered at or after the anchor (sent after the
 * harness read the anchor line, so written after it).  The ring as seen at
 * the first poll after the anchor and at the end goes to 'dump' (one line
 * per descriptor), the evidence behind the counts.
 */
static void scan_buffers(struct watch *w, FILE *dump)
{
    struct run_result *r = w->r;

    if ( dump )
        fprintf(dump, "# seq_at_anchor %lu (%s)\n# desc addr status_first_after "
                "status_end len_end done_after buffer_seq\n", r->seq_at_anchor,
                r->anchor);
    for ( unsigned int i = 0; i < r->ring_size; i++ )
    {
        uint64_t addr = desc_addr(w->ring_now, i);
        int64_t seq = buffer_seq(w, addr);

        if ( qts_error(w->q) )
            return;
        if ( dump )
            fprintf(dump, "%u 0x%" PRIx64 " 0x%02x 0x%02x %u %d %" PRId64 "\n", i,
                    addr, w->ring_base[i * DESC_SIZE + 12],
                    w->ring_now[i * DESC_SIZE + 12], desc_len(w->ring_now, i),
                    w->done_after[i], seq);
        if ( seq >= 0 && (uint64_t)seq >= r->seq_at_anchor )
        {
            r->frames_late++;
            r->frames_late_bytes += FRAME_LEN;
        }
    }
}

static void watch_free(struct watch *w)
{
    free(w->ring_prev);
    free(w->ring_before);
    free(w->ring_line);
    free(w->ring_base);
    free(w->ring_now);
    free(w->done_after);
}

/* ------------------------------------------------------------------------ */
/* One run                                                                   */

struct run_env {
    const struct opts *o;
    struct run_result *r;
    struct qts *q;
    struct console con;
    struct flood flood;
    bool flood_started;
    struct watch w;
    double t0;
};

/* The last line of QEMU's stdout/stderr (qts keeps it in TMP/qemu.log). */
static const char *qemu_log_tail(struct qts *q, char *buf, size_t len)
{
    char path[512], line[512];
    FILE *f;

    snprintf(buf, len, "(empty)");
    if ( !qts_path(q, "qemu.log", path, sizeof(path)) || !(f = fopen(path, "r")) )
        return buf;
    while ( fgets(line, sizeof(line), f) )
        if ( line[0] != '\n' )
        {
            line[strcspn(line, "\n")] = '\0';
            copy_line(buf, len, line);
        }
    fclose(f);
    return buf;
}

static bool run_broken(struct run_env *e)
{
    struct run_result *r = e->r;

    if ( qts_error(e->q) )
        set_error(r, "qtest: %s", qts_error(e->q));
    else if ( console_mark(&e->con, M_FAIL) >= 0 )
        set_error(r, "guest: %s", e->con.fail_line);
    else if ( atomic_load(&e->con.eof) && console_mark(&e->con, M_VMCORE) < 0 )
    {
        char tail[200];

        set_error(r, "console closed: QEMU exited early; its log: %s",
                  qemu_log_tail(e->q, tail, sizeof(tail)));
    }
    return r->error[0] != '\0';
}

/* Wait until marker m shows, at most 'limit' s after 'since' (absolute). */
static int wait_mark(struct run_env *e, enum mark m, double since, double limit)
{
    while ( console_mark(&e->con, m) < 0 )
    {
        if ( run_broken(e) )
            return -1;
        if ( now_s() - since > limit )
        {
            set_error(e->r, "time-out: no '%s' within %.0f s", mark_text[m], limit);
            return -1;
        }
        sleep_ms(20);
    }
    return 0;
}

static char *xen_cmdline(const struct opts *o, const struct run_cfg *cfg,
                         char *buf, size_t len)
{
    snprintf(buf, len,
             "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M "
             "crashkernel=256M loglvl=all guest_loglvl=all iommu=verbose%s %s",
             cfg->crash_disable ? ",crash-disable" : "",
             cfg->disconnect ? o->arg_on : o->arg_off);
    return buf;
}

/* The disk: every 512-byte sector starts with SECTOR_MAGIC and its LBA. */
static int make_disk(const char *path)
{
    static uint8_t chunk[1 << 20];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : 0;

    for ( uint64_t off = 0; rc == 0 && off < DISK_BYTES; off += sizeof(chunk) )
    {
        for ( size_t s = 0; s < sizeof(chunk); s += 512 )
            sector_stamp(chunk + s, (off + s) / 512);
        if ( write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk) )
            rc = -1;
    }
    if ( fd >= 0 )
        close(fd);
    return rc;
}

static int run_start(struct run_env *e, const char *log_dir)
{
    const struct opts *o = e->o;
    char con_path[256], net_qemu[256], net_own[256], disk[256], log[512];
    char netdev[1024], drive[512], chardev[512], cmdline[512], initrd[1024];
    char kernel[512], smp[16];

    qts_path(e->q, "console.sock", con_path, sizeof(con_path));
    qts_path(e->q, "net-qemu.sock", net_qemu, sizeof(net_qemu));
    qts_path(e->q, "net-harness.sock", net_own, sizeof(net_own));
    qts_path(e->q, "disk.img", disk, sizeof(disk));
    if ( qts_error(e->q) )
        return -1;
    snprintf(log, sizeof(log), "%s/console.log", log_dir);
    if ( console_listen(&e->con, con_path, log) != 0 )
        return set_error(e->r, "console socket/log %s: %s", log, strerror(errno)), -1;
    if ( flood_open(&e->flood, net_own, net_qemu, o->rate) != 0 )
        return set_error(e->r, "frame socket: %s", strerror(errno)), -1;
    if ( make_disk(disk) != 0 )
        return set_error(e->r, "disk image %s: %s", disk, strerror(errno)), -1;

    snprintf(netdev, sizeof(netdev), "dgram,id=n0,local.type=unix,local.path=%s,"
             "remote.type=unix,remote.path=%s", net_qemu, net_own);
    /* Throttled so that a read is nearly always in flight (about 1 s each). */
    snprintf(drive, sizeof(drive), "file=%s,if=none,id=d0,format=raw,"
             "throttling.bps-total=%u", disk, DISK_BPS);
    snprintf(chardev, sizeof(chardev), "socket,id=con,path=%s,server=off", con_path);
    snprintf(kernel, sizeof(kernel), "%s", o->xen);
    snprintf(initrd, sizeof(initrd), "%s/vmlinuz console=hvc0 earlyprintk=xen,"
             "%s/dom0.cpio.gz", o->images, o->images);
    snprintf(smp, sizeof(smp), "%u", o->smp);
    xen_cmdline(o, &e->r->cfg, cmdline, sizeof(cmdline));
    /* With --e1000-behind-bridge the bridge's -device comes first. */
    const char *argv[] = {
        "-cpu", "max,-smap", "-smp", smp,
        "-device", "intel-iommu,intremap=on",
        "-netdev", netdev,
        "-drive", drive, "-device", "ide-hd,drive=d0,bus=ide.0",
        "-chardev", chardev, "-serial", "chardev:con",
        "-kernel", kernel, "-append", cmdline, "-initrd", initrd,
        "-device", o->bridge ? "pci-bridge,id=br0,chassis_nr=1"
                             : E1000_DEVICE,
        o->bridge ? "-device" : NULL, E1000_DEVICE ",bus=br0,addr=1",
        NULL
    };

    e->t0 = now_s();
    if ( qts_start(e->q, argv) != 0 )
        return -1;
    if ( console_accept(&e->con, e->t0) != 0 )
        return set_error(e->r, "QEMU did not connect to the console socket"), -1;
    e->con.seq_counter = &e->flood.seq;
    if ( flood_start(&e->flood) != 0 )
        return set_error(e->r, "cannot start the frame thread"), -1;
    e->flood_started = true;
    return 0;
}

/* Before the crash: the e1000 must be seen doing DMA, or the run is blind. */
static int run_dma_before(struct run_env *e)
{
    double start = now_s();

    e->w.q = e->q;
    e->w.r = e->r;
    e->w.t0 = e->t0;
    if ( watch_discover(&e->w) != 0 )
        return -1;
    /* e1000 completions seen; the AHCI seen busy too, if it shows in 5 s. */
    while ( e->r->desc_before == 0 ||
            (e->w.abar && e->r->ahci_busy_polls == 0 && now_s() - start < 5) )
    {
        watch_poll(&e->w, PH_BEFORE, 0);
        if ( run_broken(e) )
            return -1;
        if ( now_s() - start > T_DMA_BEFORE )
            return set_error(e->r, "no e1000 DMA seen in %d s before the crash",
                             T_DMA_BEFORE), -1;
        sleep_ms(20);
    }
    return 0;
}

static int run_crash(struct run_env *e)
{
    static const char key[] = "\x01\x01\x01" "C";
    static const char sysrq[] = "sysrq-crash\r";
    int rc;

    e->r->t_key = now_s() - e->t0;
    if ( e->o->crash == CRASH_KEY )
        rc = console_send(&e->con, key, sizeof(key) - 1);
    else
        rc = console_send(&e->con, sysrq, sizeof(sysrq) - 1);
    if ( rc != 0 )
        return set_error(e->r, "cannot write the crash request to the console"), -1;
    return 0;
}

/*
 * The anchor: the console line after which the crash path has run its
 * disconnect step.  "Disconnected N PCI functions" when our Xen prints it;
 * otherwise the shoot-down line printed just before that step (disconnect
 * off: nothing is printed there).  A run with the disconnect on that shows
 * no "Disconnected" line within ANCHOR_WAIT s falls back to the shoot-down
 * line, and says so.
 */
static enum mark anchor_mark(struct run_env *e, double *t)
{
    double shot = console_mark(&e->con, M_SHOT);
    double shot_fail = console_mark(&e->con, M_SHOT_FAIL);

    *t = console_mark(&e->con, M_DISCONNECTED);
    if ( *t >= 0 )
        return M_DISCONNECTED;
    *t = shot >= 0 ? shot : shot_fail;
    if ( *t < 0 )
        return M_COUNT;
    if ( e->r->cfg.disconnect && now_s() - (e->t0 + *t) < ANCHOR_WAIT )
    {
        *t = -1;
        return M_COUNT;
    }
    e->r->anchor_fallback = e->r->cfg.disconnect;
    return shot >= 0 ? M_SHOT : M_SHOT_FAIL;
}

/* From the crash request until the crash kernel is up. */
static int run_watch(struct run_env *e)
{
    double t_key = now_s();

    for ( ;; )
    {
        double line = console_mark(&e->con, M_CRASH_LINE);
        bool up = console_mark(&e->con, M_CRASH_UP) >= 0;
        double anchor;
        enum mark am = anchor_mark(e, &anchor);
        enum phase ph = am != M_COUNT ? PH_AFTER : line >= 0 ? PH_LINE : PH_BEFORE;

        if ( am != M_COUNT && !e->r->anchor[0] )
            snprintf(e->r->anchor, sizeof(e->r->anchor), "%s", mark_name[am]);
        watch_poll(&e->w, ph, e->t0 + anchor);
        if ( line >= 0 )
            watch_values(&e->w, e->o->value, now_s() - (e->t0 + line));
        if ( run_broken(e) )
            return -1;
        if ( up && e->w.have_base )
            return 0;
        if ( line < 0 && now_s() - t_key > T_CRASH_LINE )
            return set_error(e->r, "time-out: no crash line within %d s of the "
                             "crash request", T_CRASH_LINE), -1;
        if ( line >= 0 && now_s() - (e->t0 + line) > T_CRASH_UP )
            return set_error(e->r, "time-out: crash kernel not up %d s after "
                             "the crash line", T_CRASH_UP), -1;
        if ( e->w.have_base )
            sleep_ms(POLL_PAUSE_MS);    /* leave the CPUs to the guest */
    }
}

static void parse_vmcore(struct run_result *r, const char *line)
{
    const char *s = strstr(line, "size=");
    const char *m = strstr(line, "magic=");

    if ( s )
        r->vmcore_size = strtoull(s + 5, NULL, 10);
    r->vmcore_elf = m && strncmp(m + 6, "7f454c46", 8) == 0;
}

/* "... Disconnected N PCI functions" and "... plan of N steps (...)". */
/* Console facts the verdict needs, copied under the console's lock. */
static void run_console_facts(struct run_env *e)
{
    struct run_result *r = e->r;
    enum mark am = M_COUNT;

    for ( int m = 0; m < M_COUNT; m++ )
        if ( !strcmp(r->anchor, mark_name[m]) )
            am = (enum mark)m;
    pthread_mutex_lock(&e->con.lock);
    memcpy(r->t_mark, e->con.t_mark, sizeof(r->t_mark));
    r->seq_at_anchor = am == M_COUNT ? 0 : e->con.seq_at[am];
    copy_line(r->plan_line, sizeof(r->plan_line), e->con.plan_line);
    r->plan_updates = e->con.plan_updates;
    r->plan_reads = e->con.plan_reads;
    r->disconnected = number_after(e->con.dc_line, "Disconnected ");
    pthread_mutex_unlock(&e->con.lock);
    r->plan_steps = number_after(r->plan_line, PLAN_TEXT);
}

/* After the crash kernel is up: last reads, then let it power off. */
static int run_finish(struct run_env *e)
{
    char path[512];
    FILE *dump;
    double start;

    run_console_facts(e);
    snprintf(path, sizeof(path), "%s/ring.txt", e->r->log_dir);
    dump = fopen(path, "w");
    scan_buffers(&e->w, dump);
    ahci_check(&e->w);
    if ( dump )
        fclose(dump);
    if ( run_broken(e) )
        return -1;
    if ( wait_mark(e, M_VMCORE, now_s(), T_VMCORE) != 0 )
        return -1;
    parse_vmcore(e->r, e->con.vmcore_line);
    console_send(&e->con, "poweroff\r", 9);
    start = now_s();
    while ( !atomic_load(&e->con.eof) )
    {
        if ( now_s() - start > T_EXIT )
            return set_error(e->r, "time-out: QEMU still running %d s after "
                             "the crash kernel was told to power off", T_EXIT), -1;
        sleep_ms(20);
    }
    e->r->t_exit = now_s() - e->t0;
    return 0;
}

static void run_collect(struct run_env *e)
{
    struct run_result *r = e->r;

    run_console_facts(e);
    r->frames_sent = atomic_load(&e->flood.seq);
    r->frames_refused = atomic_load(&e->flood.refused);
    r->polls_after = e->w.polls;
    r->poll_ms = e->w.polls ? 1000.0 * e->w.poll_total / (double)e->w.polls : 0;
}

static void run_one(const struct opts *o, struct run_result *r)
{
    struct qts_opts qo = {
        .qemu = o->qemu, .no_bios = true, .machine = "q35,kernel-irqchip=split",
        .memory_mb = 2048, .timeout_ms = 10000, .qemu_listens = true,
    };
    struct run_env e = { .o = o, .r = r };
    double start = now_s();

    r->t_exit = -1;
    r->head_before = r->head_base = r->head_end = -1;
    console_init(&e.con);
    e.flood.fd = -1;
    e.w.nic = -1;
    e.q = qts_new(&qo);
    if ( !e.q )
    {
        set_error(r, "out of memory");
        return;
    }
    if ( qts_error(e.q) )
        set_error(r, "qts: %s", qts_error(e.q));
    else if ( run_start(&e, r->log_dir) == 0 &&
              wait_mark(&e, M_READY, e.t0, T_READY) == 0 &&
              run_dma_before(&e) == 0 && run_crash(&e) == 0 &&
              run_watch(&e) == 0 )
        run_finish(&e);
    run_broken(&e);
    run_collect(&e);
    flood_stop(&e.flood, e.flood_started);
    console_close(&e.con);
    qts_close(e.q);
    watch_free(&e.w);
    r->t_total = now_s() - start;
}

/* ------------------------------------------------------------------------ */
/* Verdict                                                                   */

static void why(struct run_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void why(struct run_result *r, const char *fmt, ...)
{
    va_list ap;

    r->pass = false;
    if ( r->verdict_why[0] )
        return;
    va_start(ap, fmt);
    vsnprintf(r->verdict_why, sizeof(r->verdict_why), fmt, ap);
    va_end(ap);
}

/* Functions reading 'value' at the first poll after the anchor. */
static unsigned int count_at_value(const struct run_result *r, uint16_t value)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].first_after == value;
    return n;
}

/*
 * Which functions Xen planned: its plan line gives only a count.  When it
 * equals the functions found through ECAM, all are planned; otherwise the
 * ones reading the core's value are taken as the plan (the count must then
 * still match, see verdict_on()).  Stock Xen (disconnect off) has no plan.
 */
static void mark_planned(struct run_result *r, uint16_t value)
{
    bool all = r->plan_steps < 0 || r->plan_steps == (long)r->nr_funcs;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        r->func[i].planned = r->cfg.disconnect &&
                             (all || r->func[i].first_after == value);
}

static unsigned int planned_count(const struct run_result *r)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].planned;
    return n;
}

/* The port reads an endpoint once and a bridge at every plan update. */
static long max_plan_reads(const struct run_result *r)
{
    long bridges = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        bridges += (r->func[i].header_type & 0x7f) == 1;
    return (long)r->nr_funcs - bridges + bridges * r->plan_updates;
}

static void verdict_on(struct run_result *r, uint16_t value)
{
    double kdump = r->t_mark[M_KDUMP_START];

    if ( r->disconnected < 0 )
        why(r, "no 'Disconnected N PCI functions' line from Xen's crash path");
    else if ( r->plan_steps >= 0 && r->disconnected != r->plan_steps )
        why(r, "Xen disconnected %ld functions, its plan had %ld steps",
            r->disconnected, r->plan_steps);
    else if ( r->plan_steps >= 0 && planned_count(r) != (unsigned int)r->plan_steps )
        why(r, "%u functions read 0x%04x after the crash path, the plan had "
            "%ld steps", planned_count(r), value, r->plan_steps);
    else if ( r->plan_reads > max_plan_reads(r) )
        why(r, "Xen described %ld devices from config space over %ld plan "
            "updates, more than %ld (endpoints once, bridges every update): "
            "it re-reads known endpoints", r->plan_reads, r->plan_updates,
            max_plan_reads(r));
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct func_obs *f = &r->func[i];

        if ( !f->planned )
            continue;
        if ( f->first_after != value )
            why(r, "%02x:%02x.%u COMMAND read 0x%04x at the first poll after "
                "the crash path's '%s' line, not 0x%04x", f->bus, f->devfn >> 3,
                f->devfn & 7, f->first_after, r->anchor, value);
        else if ( f->changed_after && (kdump < 0 || f->t_changed < kdump) )
            why(r, "%02x:%02x.%u COMMAND changed (0x%04x at the end) %.2f s "
                "after QEMU start, before the crash kernel started (%.2f s)",
                f->bus, f->devfn >> 3, f->devfn & 7, f->last, f->t_changed,
                kdump);
    }
    if ( r->desc_after || r->bytes_after || r->frames_late )
        why(r, "DMA after the crash path: %lu descriptors, %lu bytes, %lu late "
            "frames", r->desc_after, r->bytes_after, r->frames_late);
}

/*
 * Every run: the harness saw DMA before the crash, the crash kernel came
 * up and saw an ELF /proc/vmcore.  Disconnect off (the negative control):
 * no "Disconnected" line, and e1000 DMA after the crash path observed.
 * On: Xen disconnected as many functions as its plan had steps, every
 * planned function reads the core's value at the first poll after that
 * line and keeps it until the crash kernel starts (which may then enable
 * what it needs, a bridge say), and no descriptor, byte
 * or late frame lands after it; over all plan updates Xen read each
 * endpoint's config space once (bridges: at every update).
 */
static void verdict(struct run_result *r, uint16_t value)
{
    r->pass = true;
    mark_planned(r, value);
    if ( !r->finished )
        why(r, "the run's process died before reporting");
    else if ( r->error[0] )
        why(r, "%s", r->error);
    else if ( r->t_mark[M_CRASH_LINE] < 0 )
        why(r, "no crash line ('%s') on the console", mark_text[M_CRASH_LINE]);
    else if ( r->t_mark[M_CRASH_UP] < 0 )
        why(r, "the crash kernel did not boot");
    else if ( !r->vmcore_elf || !r->vmcore_size )
        why(r, "the crash kernel saw no ELF /proc/vmcore");
    else if ( (r->t_mark[M_VT_D_ON] >= 0) == r->cfg.crash_disable )
        why(r, "the crash kernel found VT-d translation %s, expected %s",
            r->t_mark[M_VT_D_ON] >= 0 ? "on" : "off",
            r->cfg.crash_disable ? "off (iommu=crash-disable)" : "on (Xen's default)");
    else if ( !r->desc_before )
        why(r, "no e1000 DMA seen before the crash: the harness would be blind");
    else if ( !r->cfg.disconnect && r->disconnected >= 0 )
        why(r, "disconnect switched off, yet Xen printed 'Disconnected %ld'",
            r->disconnected);
    else if ( !r->cfg.disconnect && !r->desc_after )
        why(r, "negative control failed: no DMA observed after the crash path");
    else if ( r->cfg.disconnect )
        verdict_on(r, value);
}

/* ------------------------------------------------------------------------ */
/* Table and JSON                                                            */

static void fmt_t(char *buf, size_t len, double t)
{
    if ( t < 0 )
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", t);
}

static void fmt_l(char *buf, size_t len, long v)
{
    if ( v < 0 )
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%ld", v);
}

static void print_row(FILE *out, const struct run_result *r, uint16_t value)
{
    char ready[24], line[24], up[24], exit_s[24], plan[24], dc[24];

    fmt_t(ready, sizeof(ready), r->t_mark[M_READY]);
    fmt_t(line, sizeof(line), r->t_mark[M_CRASH_LINE]);
    fmt_t(up, sizeof(up), r->t_mark[M_CRASH_UP]);
    fmt_t(exit_s, sizeof(exit_s), r->t_exit);
    fmt_l(plan, sizeof(plan), r->plan_steps);
    fmt_l(dc, sizeof(dc), r->disconnected);
    fprintf(out, "| %s | %s | %s | %s | %s / %s | %u/%u | %lu | %lu | %lu | %lu | "
            "%u: %u, %u (%lu B) | "
            "%s | %s | %s | %s | %s | %.1f | %s |\n",
            r->cfg.name, r->cfg.disconnect ? "on" : "off",
            r->cfg.crash_disable ? "crash-disable" : "default",
            r->t_mark[M_VT_D_ON] >= 0 ? "on" : "off",
            plan, dc, count_at_value(r, value), r->nr_funcs, r->desc_in_path,
            r->desc_after, r->bytes_after, r->frames_late, r->ahci_inflight,
            r->ahci_landed, r->ahci_landed_after, r->ahci_bytes_after,
            ready, line, up, r->vmcore_elf ? "ELF" : "none", exit_s, r->t_total,
            r->pass ? "pass" : "FAIL");
}

static void print_table(FILE *out, const struct opts *o, struct run_result *rs,
                        unsigned int n)
{
    fprintf(out, "Xen: %s. Core's COMMAND value: 0x%04x.%s Times: s after QEMU start.\n\n",
            o->label, o->value,
            o->bridge ? " The e1000 is behind a PCI-PCI bridge." : "");
    fprintf(out, "| run | disconnect | iommu= | VT-d found by crash kernel | plan steps / Disconnected N | "
            "functions at value after crash path | e1000 descs during crash "
            "path | e1000 descs after | bytes after | late frames in dom0 "
            "buffers | AHCI reads in flight at crash: landed by end, of them after crash path (bytes) | dom0 ready | crash line | "
            "crash kernel up | vmcore | QEMU exit | run s | verdict |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for ( unsigned int i = 0; i < n; i++ )
        print_row(out, &rs[i], o->value);
    for ( unsigned int i = 0; i < n; i++ )
        if ( !rs[i].pass )
            fprintf(out, "\n%s: FAIL: %s", rs[i].cfg.name, rs[i].verdict_why);
    fprintf(out, "\n");
}

/* Seconds, or null where the event was not seen (negative). */
static json_t *json_seconds(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

static json_t *json_funcs(const struct run_result *r)
{
    json_t *list = json_array();
    char bdf[16], id[16];

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct func_obs *fn = &r->func[i];

        snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", fn->bus, fn->devfn >> 3,
                 fn->devfn & 7);
        snprintf(id, sizeof(id), "%04x:%04x", fn->vendor, fn->device);
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:b, s:o, s:o}",
            "bdf", bdf, "id", id, "planned", fn->planned,
            "before", fn->before, "at_crash_line", fn->at_line,
            "after_crash_path", fn->first_after, "last", fn->last,
            "changed_after", fn->changed_after,
            "s_changed", json_seconds(fn->t_changed),
            "s_from_crash_line_to_value", json_seconds(fn->t_value)));
    }
    return list;
}

static json_t *json_marks(const struct run_result *r)
{
    json_t *sec = json_object();

    for ( int m = 0; m < M_COUNT; m++ )
        json_object_set_new(sec, mark_name[m], json_seconds(r->t_mark[m]));
    json_object_set_new(sec, "crash_request", json_seconds(r->t_key));
    json_object_set_new(sec, "qemu_exit", json_seconds(r->t_exit));
    json_object_set_new(sec, "run", json_seconds(r->t_total));
    return sec;
}

static json_t *json_e1000(const struct run_result *r)
{
    return json_pack(
        "{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I}",
        "ring_base", (json_int_t)r->ring_base, "ring_size", r->ring_size,
        "desc_before", (json_int_t)r->desc_before,
        "desc_window", (json_int_t)r->desc_window,
        "desc_in_crash_path", (json_int_t)r->desc_in_path,
        "desc_after", (json_int_t)r->desc_after,
        "bytes_after", (json_int_t)r->bytes_after,
        "late_frames", (json_int_t)r->frames_late,
        "late_frame_bytes", (json_int_t)r->frames_late_bytes,
        "frames_sent", (json_int_t)r->frames_sent,
        "frames_refused", (json_int_t)r->frames_refused,
        "seq_at_anchor", (json_int_t)r->seq_at_anchor,
        "rdh_before", (json_int_t)r->head_before,
        "rdh_after_crash_path", (json_int_t)r->head_base,
        "rdh_end", (json_int_t)r->head_end);
}

static json_t *json_ahci(const struct run_result *r)
{
    return json_pack(
        "{s:b, s:I, s:i, s:i, s:I, s:I, s:i, s:I}",
        "found", r->ahci_seen, "busy_polls_before", (json_int_t)r->ahci_busy_polls,
        "in_flight_at_last_poll_before_crash", r->ahci_inflight,
        "landed", r->ahci_landed, "bytes_in_flight", (json_int_t)r->ahci_bytes,
        "bytes_landed", (json_int_t)r->ahci_bytes_landed,
        "landed_after_crash_path", r->ahci_landed_after,
        "bytes_after_crash_path", (json_int_t)r->ahci_bytes_after);
}

static json_t *json_run(const struct run_result *r)
{
    json_t *run = json_pack(
        "{s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:o, s:s, s:b, s:I, s:I, s:s,"
        " s:o, s:o, s:o}",
        "run", r->cfg.name, "disconnect", r->cfg.disconnect,
        "iommu_crash_disable", r->cfg.crash_disable, "pass", r->pass,
        "why", r->verdict_why, "error", r->error, "console_log", r->log_dir,
        "seconds", json_marks(r), "anchor", r->anchor,
        "anchor_fallback", r->anchor_fallback,
        "plan_steps", (json_int_t)r->plan_steps,
        "disconnected", (json_int_t)r->disconnected, "plan_line", r->plan_line,
        "functions", json_funcs(r), "e1000", json_e1000(r),
        "ahci", json_ahci(r));

    if ( !run )
        return NULL;
    json_object_set_new(run, "polls_after", json_integer(r->polls_after));
    json_object_set_new(run, "plan_updates", json_integer(r->plan_updates));
    json_object_set_new(run, "plan_reads", json_integer(r->plan_reads));
    json_object_set_new(run, "poll_ms", json_real(r->poll_ms));
    json_object_set_new(run, "first_poll_after_anchor_s",
                        json_real(r->first_poll_after));
    json_object_set_new(run, "vmcore",
                        json_pack("{s:b, s:I}", "elf", r->vmcore_elf,
                                  "size", (json_int_t)r->vmcore_size));
    return run;
}

static int write_json(const char *path, const struct opts *o,
                      const struct run_result *rs, unsigned int n)
{
    json_t *runs = json_array(), *top;
    int rc;

    for ( unsigned int i = 0; i < n; i++ )
        if ( json_array_append_new(runs, json_run(&rs[i])) )
        {
            json_decref(runs);
            return -1;
        }
    top = json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:b, s:s, s:o}",
                    "xen", o->xen, "label", o->label, "value", o->value,
                    "switch_on", o->arg_on, "switch_off", o->arg_off,
                    "frames_per_s", o->rate, "e1000_behind_bridge", o->bridge,
                    "crash", o->crash == CRASH_KEY ? "xen-debug-key"
                                                   : "dom0-sysrq",
                    "runs", runs);
    if ( !top )
        return -1;
    rc = json_dump_file(top, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(top);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Runs as child processes, up to --jobs at once                             */

struct child {
    pid_t pid;
    int fd;
    size_t got;
    double started;
    double term_sent;           /* when SIGTERM was sent, 0: not yet */
};

/* SIGINT/SIGTERM/SIGHUP to the parent: stop every run, then exit. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/*
 * In a run's process: default signal actions again (so that qts installs
 * its cleanup handlers), and SIGTERM when the parent dies.
 */
static void child_signals(pid_t parent)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if ( getppid() != parent )
        _exit(4);
}

static void child_main(const struct opts *o, struct run_result *r, int fd)
{
    const char *p = (const char *)r;
    size_t left = sizeof(*r);

    run_one(o, r);
    r->finished = true;
    while ( left )
    {
        ssize_t n = write(fd, p, left);

        if ( n <= 0 )
            _exit(3);
        p += n;
        left -= (size_t)n;
    }
    _exit(0);
}

static int child_spawn(const struct opts *o, struct run_result *r, struct child *c)
{
    int fds[2];

    if ( pipe2(fds, O_CLOEXEC) != 0 )
        return -1;
    pid_t parent = getpid();

    fflush(NULL);
    c->pid = fork();
    if ( c->pid < 0 )
        return -1;
    if ( c->pid == 0 )
    {
        child_signals(parent);
        close(fds[0]);
        child_main(o, r, fds[1]);
    }
    close(fds[1]);
    c->fd = fds[0];
    c->got = 0;
    c->started = now_s();
    c->term_sent = 0;
    return 0;
}

/* Read what the child sent; returns true when the child is done. */
static bool child_read(struct child *c, struct run_result *r)
{
    ssize_t n = read(c->fd, (char *)r + c->got, sizeof(*r) - c->got);

    if ( n > 0 )
    {
        c->got += (size_t)n;
        return false;
    }
    close(c->fd);
    c->fd = -1;
    waitpid(c->pid, NULL, 0);
    c->pid = 0;
    if ( c->got != sizeof(*r) )
        r->finished = false;
    return true;
}

/*
 * A run that outlives T_RUN, or any run once we are told to stop: SIGTERM
 * (qts kills QEMU and removes its directory), SIGKILL 10 s later (QEMU then
 * dies of PR_SET_PDEATHSIG).
 */
static void child_deadline(struct child *c)
{
    double now = now_s();

    if ( !c->term_sent && (now - c->started > T_RUN || stop_signal) )
    {
        kill(c->pid, SIGTERM);
        c->term_sent = now;
    }
    else if ( c->term_sent && now - c->term_sent > 10 )
        kill(c->pid, SIGKILL);
}

static void run_all(const struct opts *o, struct run_result *rs)
{
    struct child kids[MAX_RUNS];
    unsigned int next = 0, active = 0;

    memset(kids, 0, sizeof(kids));
    while ( next < o->nr_runs || active )
    {
        struct pollfd p[MAX_RUNS];
        unsigned int map[MAX_RUNS], np = 0;

        while ( next < o->nr_runs && active < o->jobs && !stop_signal )
        {
            fprintf(stderr, "xen-e2e: run %s started\n", rs[next].cfg.name);
            if ( child_spawn(o, &rs[next], &kids[next]) != 0 )
                snprintf(rs[next].error, sizeof(rs[next].error), "fork: %s",
                         strerror(errno));
            else
                active++;
            next++;
        }
        for ( unsigned int i = 0; i < next; i++ )
            if ( kids[i].pid > 0 )
            {
                p[np] = (struct pollfd){ .fd = kids[i].fd, .events = POLLIN };
                map[np++] = i;
            }
        if ( stop_signal && !active )
            break;
        if ( np && poll(p, np, 1000) < 0 && errno != EINTR )
            sleep_ms(100);
        for ( unsigned int k = 0; k < np; k++ )
        {
            unsigned int i = map[k];

            if ( (p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
                 child_read(&kids[i], &rs[i]) )
            {
                active--;
                fprintf(stderr, "xen-e2e: run %s done in %.1f s%s%s\n",
                        rs[i].cfg.name, rs[i].t_total,
                        rs[i].error[0] ? ": " : "", rs[i].error);
            }
            else
                child_deadline(&kids[i]);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */

static void usage(FILE *f)
{
    fprintf(f,
"usage: xen-e2e --xen ELF [options] RUN...\n"
"  RUN: off | on | off:crash-disable | on:crash-disable | all (the four)\n"
"  --xen ELF          hypervisor (multiboot ELF, e.g. build/xen/on/xen)\n"
"  --images DIR       guest images from ci/e2e/images.sh (build/e2e/img)\n"
"  --out DIR          per-run console logs (build/e2e/runs)\n"
"  --json FILE        results as JSON\n"
"  --table FILE       the Markdown table (also printed on stdout)\n"
"  --switch-on WORD   Xen command-line word turning the disconnect on\n"
"  --switch-off WORD  ... and off\n"
"  --label TEXT       what --xen is, for the table\n"
"  --value HEX        COMMAND value the core writes (0x0400)\n"
"  --jobs N           runs at once (2)     --rate N  frames per second (2000)\n"
"  --smp N            CPUs (2)             --crash key|sysrq  (key)\n"
"  --qemu BIN         QEMU binary          --expect  exit 1 unless every run passes\n"
"  --e1000-behind-bridge  the e1000 on a pci-bridge's bus, not the root bus\n");
}

static int add_run(struct opts *o, const char *spec)
{
    static const char *const all[] = {
        "off", "on", "off:crash-disable", "on:crash-disable"
    };
    struct run_cfg *c;

    if ( strcmp(spec, "all") == 0 )
    {
        for ( unsigned int i = 0; i < 4; i++ )
            if ( add_run(o, all[i]) != 0 )
                return -1;
        return 0;
    }
    if ( o->nr_runs == MAX_RUNS )
        return -1;
    c = &o->run[o->nr_runs];
    if ( strncmp(spec, "off", 3) == 0 )
        c->disconnect = false;
    else if ( strncmp(spec, "on", 2) == 0 )
        c->disconnect = true;
    else
        return -1;
    spec += c->disconnect ? 2 : 3;
    if ( strcmp(spec, ":crash-disable") == 0 )
        c->crash_disable = true;
    else if ( *spec )
        return -1;
    snprintf(c->name, sizeof(c->name), "%s/%s", c->disconnect ? "on" : "off",
             c->crash_disable ? "crash-disable" : "default");
    o->nr_runs++;
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    errno = 0;
    *v = strtoul(s, &end, 0);
    return (errno || end == s || *end || *v > max) ? -1 : 0;
}

static int parse_opt(struct opts *o, const char *name, const char *val)
{
    unsigned long v;

    if ( !strcmp(name, "--xen") ) o->xen = val;
    else if ( !strcmp(name, "--images") ) o->images = val;
    else if ( !strcmp(name, "--out") ) o->out = val;
    else if ( !strcmp(name, "--json") ) o->json = val;
    else if ( !strcmp(name, "--table") ) o->table = val;
    else if ( !strcmp(name, "--qemu") ) o->qemu = val;
    else if ( !strcmp(name, "--switch-on") ) o->arg_on = val;
    else if ( !strcmp(name, "--switch-off") ) o->arg_off = val;
    else if ( !strcmp(name, "--label") ) o->label = val;
    else if ( !strcmp(name, "--crash") )
    {
        if ( strcmp(val, "key") && strcmp(val, "sysrq") )
            return -1;
        o->crash = strcmp(val, "key") ? CRASH_SYSRQ : CRASH_KEY;
    }
    else if ( parse_uint(val, 0xffff, &v) == 0 )
    {
        if ( !strcmp(name, "--value") ) o->value = (uint16_t)v;
        else if ( !strcmp(name, "--jobs") && v >= 1 && v <= MAX_RUNS ) o->jobs = (unsigned int)v;
        else if ( !strcmp(name, "--rate") && v >= 1 ) o->rate = (unsigned int)v;
        else if ( !strcmp(name, "--smp") && v >= 1 && v <= 8 ) o->smp = (unsigned int)v;
        else return -1;
    }
    else
        return -1;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){
        .images = "build/e2e/img", .out = "build/e2e/runs", .arg_on = "",
        .arg_off = "", .label = NULL, .jobs = 2, .rate = 2000, .smp = 2,
        .value = 0x0400, .crash = CRASH_KEY,
    };
    for ( int i = 1; i < argc; i++ )
    {
        if ( !strcmp(argv[i], "--expect") )
            o->expect = true;
        else if ( !strcmp(argv[i], "--e1000-behind-bridge") )
            o->bridge = true;
        else if ( !strcmp(argv[i], "--help") )
            return usage(stdout), exit(0), 0;
        else if ( !strncmp(argv[i], "--", 2) )
        {
            if ( i + 1 == argc || parse_opt(o, argv[i], argv[i + 1]) != 0 )
            {
                fprintf(stderr, "xen-e2e: bad option or value: %s\n", argv[i]);
                return -1;
            }
            i++;
        }
        else if ( add_run(o, argv[i]) != 0 )
        {
            fprintf(stderr, "xen-e2e: bad run '%s' (off|on[:crash-disable]|all, "
                    "at most %d)\n", argv[i], MAX_RUNS);
            return -1;
        }
    }
    if ( !o->xen || !o->nr_runs )
    {
        fprintf(stderr, "xen-e2e: --xen and at least one RUN are required\n");
        return -1;
    }
    if ( !o->label )
        o->label = o->xen;
    return 0;
}

static int check_files(const struct opts *o)
{
    static const char *const img[] = { "vmlinuz", "dom0.cpio.gz" };
    char path[512];

    if ( access(o->xen, R_OK) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot read --xen %s: %s\n", o->xen, strerror(errno));
        return -1;
    }
    for ( unsigned int i = 0; i < 2; i++ )
    {
        snprintf(path, sizeof(path), "%s/%s", o->images, img[i]);
        if ( access(path, R_OK) != 0 )
        {
            fprintf(stderr, "xen-e2e: cannot read %s (run ci/e2e/images.sh): %s\n",
                    path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int prepare_logs(const struct opts *o, struct run_result *rs)
{
    if ( mkdir(o->out, 0755) != 0 && errno != EEXIST )
        return -1;
    for ( unsigned int i = 0; i < o->nr_runs; i++ )
    {
        char slug[40];

        snprintf(slug, sizeof(slug), "%s", o->run[i].name);
        *strchr(slug, '/') = '-';
        rs[i].cfg = o->run[i];
        snprintf(rs[i].log_dir, sizeof(rs[i].log_dir), "%s/%s", o->out, slug);
        if ( mkdir(rs[i].log_dir, 0755) != 0 && errno != EEXIST )
            return -1;
    }
    return 0;
}

static int write_table(const char *path, const struct opts *o,
                       struct run_result *rs)
{
    FILE *f = fopen(path, "w");

    if ( !f )
        return -1;
    print_table(f, o, rs, o->nr_runs);
    return fclose(f) == 0 ? 0 : -1;
}

/* On failure: where the console log is, and its last lines. */
static void show_tail(const struct run_result *r)
{
    char path[512], buf[3001];
    FILE *f;
    long size;
    size_t n;

    snprintf(path, sizeof(path), "%s/console.log", r->log_dir);
    f = fopen(path, "r");
    if ( !f )
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > 3000 ? size - 3000 : 0, SEEK_SET);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "---- %s: tail of %s ----\n%s\n---- end of %s ----\n",
            r->cfg.name, path, buf, r->cfg.name);
}

int main(int argc, char **argv)
{
    static struct run_result rs[MAX_RUNS];
    struct opts o;
    int failed = 0;

    if ( parse_args(&o, argc, argv) != 0 )
        return usage(stderr), 2;
    if ( check_files(&o) != 0 )
        return 2;
    if ( prepare_logs(&o, rs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot create %s: %s\n", o.out, strerror(errno));
        return 2;
    }
    catch_stop_signals();
    run_all(&o, rs);
    if ( stop_signal )
    {
        fprintf(stderr, "xen-e2e: stopped by signal %d\n", (int)stop_signal);
        return 128 + stop_signal;
    }
    for ( unsigned int i = 0; i < o.nr_runs; i++ )
    {
        verdict(&rs[i], o.value);
        if ( !rs[i].pass )
        {
            failed++;
            show_tail(&rs[i]);
        }
    }
    print_table(stdout, &o, rs, o.nr_runs);
    if ( o.table && write_table(o.table, &o, rs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot write %s: %s\n", o.table, strerror(errno));
        return 2;
    }
    if ( o.json && write_json(o.json, &o, rs, o.nr_runs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot write %s: %s\n", o.json, strerror(errno));
        return 2;
    }
    return o.expect && failed ? 1 : 0;
}
