/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the real crash, end to end.
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
 * Each run is a child process with its own QEMU (sim/qemu/qts); up to --jobs
 * run at once.  Results: a Markdown table on stdout, --json FILE, and per
 * run a console log under --out.  With --expect the exit status says
 * whether every run met its expected outcome (see verdict()).
 *
 * This file runs the runs; its parts are under sim/xen_e2e/: console.c (the
 * serial console and frame flood threads), watch.c (guest state through
 * qtest), report.c (verdict, table, JSON), xen_e2e.h (what they share).
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

void set_error(struct run_result *r, const char *fmt, ...)
{
    va_list ap;

    if ( r->error[0] )
        return;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
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
