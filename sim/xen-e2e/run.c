/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: one run, in the process that calls e2e_run_one().  Starts QEMU
 * with Xen and dom0, waits for dom0 to be ready and for e1000 DMA, crashes
 * Xen, watches the guest until the crash kernel is up and has found
 * /proc/vmcore, then lets it power off.
 *
 * Xen's console is QEMU's pci-serial behind a pci-bridge ('com1=...,pci'),
 * the crash kernel's is the ISA COM1 (ttyS0): what Xen's crash path does to
 * PCI decode shows on the first line, and the crash kernel is heard from on
 * the second whatever happened to the first.
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

void e2e_set_error(struct e2e_result *r, const char *fmt, ...)
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
    const struct e2e_opts *o;
    struct e2e_result *r;
    struct qts *q;
    struct e2e_console con;
    struct e2e_flood flood;
    bool flood_started;
    struct e2e_watch w;
    double t0;
    unsigned long seq_at_base;  /* frames sent when the anchor's first poll ended */
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
            e2e_copy_line(buf, len, line);
        }
    fclose(f);
    return buf;
}

static bool run_broken(struct run_env *e)
{
    struct e2e_result *r = e->r;

    if ( qts_error(e->q) )
        e2e_set_error(r, "qtest: %s", qts_error(e->q));
    else if ( e2e_console_mark(&e->con, E2E_M_FAIL) >= 0 )
        e2e_set_error(r, "guest: %s", e->con.fail_line);
    else if ( atomic_load(&e->con.eof) &&
              e2e_console_mark(&e->con, E2E_M_VMCORE) < 0 )
    {
        char tail[200];

        e2e_set_error(r, "console closed: QEMU exited early; its log: %s",
                      qemu_log_tail(e->q, tail, sizeof(tail)));
    }
    return r->error[0] != '\0';
}

/* Wait until marker m shows, at most 'limit' s after 'since' (absolute). */
static int wait_mark(struct run_env *e, enum e2e_mark m, double since,
                     double limit)
{
    while ( e2e_console_mark(&e->con, m) < 0 )
    {
        if ( run_broken(e) )
            return -1;
        if ( e2e_now_s() - since > limit )
        {
            e2e_set_error(e->r, "time-out: no '%s' within %.0f s",
                          e2e_mark_text[m], limit);
            return -1;
        }
        clock_sleep_ms(20);
    }
    return 0;
}

/*
 * com1 is the first serial function Xen finds from bus 1 on (QEMU's
 * pci-serial); IRQ 0 makes Xen poll it rather than take the legacy IRQ
 * firmware wrote into its config space, which q35 does not route there in
 * APIC mode.  Polled, Xen sends at most a FIFO's worth (16 bytes) a
 * millisecond and drops what overflows its transmit buffer: a 128 KiB
 * buffer, and dom0 booting 'quiet' (run_start()), keep every line whole.
 */
char *e2e_xen_cmdline(const struct e2e_opts *o, const struct e2e_run_cfg *cfg,
                      char *buf, size_t len)
{
    snprintf(buf, len,
             "console=com1 com1=115200,8n1,pci,0 serial_tx_buffer=128K "
             "dom0_mem=512M,max:512M crashkernel=256M loglvl=all "
             "guest_loglvl=all iommu=verbose%s %s",
             cfg->crash_disable ? ",crash-disable" : "", o->arg[cfg->mode]);
    return buf;
}

/* The disk: every 512-byte sector starts with SECTOR_MAGIC and its LBA. */
static int make_disk(const char *path)
{
    static uint8_t chunk[1 << 20];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : 0;

    for ( uint64_t off = 0; rc == 0 && off < E2E_DISK_BYTES; off += sizeof(chunk) )
    {
        for ( size_t s = 0; s < sizeof(chunk); s += 512 )
            e2e_sector_stamp(chunk + s, (off + s) / 512);
        if ( write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk) )
            rc = -1;
    }
    if ( fd >= 0 )
        close(fd);
    return rc;
}

/* Each serial line on a unix socket the harness listens on, with its log. */
static int run_listen(struct run_env *e, const char *log_dir,
                      char chardev[E2E_NR_PORTS][512])
{
    static const char *const name[E2E_NR_PORTS] = { "console", "xen-console" };
    static const char *const id[E2E_NR_PORTS] = { "con", "xcon" };
    char path[256], log[512], sock[64];

    for ( int i = 0; i < E2E_NR_PORTS; i++ )
    {
        snprintf(sock, sizeof(sock), "%s.sock", name[i]);
        snprintf(log, sizeof(log), "%s/%s.log", log_dir, name[i]);
        if ( !qts_path(e->q, sock, path, sizeof(path)) )
            return -1;
        if ( e2e_console_listen(&e->con, (enum e2e_port)i, path, log) != 0 )
            return e2e_set_error(e->r, "serial socket/log %s: %s", log,
                                 strerror(errno)), -1;
        snprintf(chardev[i], 512, "socket,id=%s,path=%s,server=off", id[i],
                 path);
    }
    return 0;
}

static int run_start(struct run_env *e, const char *log_dir)
{
    const struct e2e_opts *o = e->o;
    char net_qemu[256], net_own[256], disk[256];
    char netdev[1024], drive[512], chardev[E2E_NR_PORTS][512], cmdline[512];
    char initrd[1024], kernel[512], smp[16];
    bool bridge = o->bridge || e->r->cfg.bridge;

    qts_path(e->q, "net-qemu.sock", net_qemu, sizeof(net_qemu));
    qts_path(e->q, "net-harness.sock", net_own, sizeof(net_own));
    qts_path(e->q, "disk.img", disk, sizeof(disk));
    if ( qts_error(e->q) || run_listen(e, log_dir, chardev) != 0 )
        return -1;
    if ( e2e_flood_open(&e->flood, net_own, net_qemu, o->rate) != 0 )
        return e2e_set_error(e->r, "frame socket: %s", strerror(errno)), -1;
    if ( make_disk(disk) != 0 )
        return e2e_set_error(e->r, "disk image %s: %s", disk,
                             strerror(errno)), -1;

    snprintf(netdev, sizeof(netdev), "dgram,id=n0,local.type=unix,local.path=%s,"
             "remote.type=unix,remote.path=%s", net_qemu, net_own);
    /* Throttled so that a read is nearly always in flight (about 1 s each). */
    snprintf(drive, sizeof(drive), "file=%s,if=none,id=d0,format=raw,"
             "throttling.bps-total=%u", disk, E2E_DISK_BPS);
    snprintf(kernel, sizeof(kernel), "%s", o->xen);
    snprintf(initrd, sizeof(initrd), "%s/vmlinuz console=hvc0 earlyprintk=xen quiet,"
             "%s/dom0.cpio.gz", o->images, o->images);
    snprintf(smp, sizeof(smp), "%u", o->smp);
    e2e_xen_cmdline(o, &e->r->cfg, cmdline, sizeof(cmdline));
    /*
     * The e1000 (behind its bridge, if asked) first, then the UART's bridge
     * and the UART: the e1000 keeps the slot and bus it had before Xen's
     * console moved to the UART.
     */
    const char *argv[] = {
        "-cpu", "max,-smap", "-smp", smp,
        "-device", "intel-iommu,intremap=on",
        "-netdev", netdev,
        "-drive", drive, "-device", "ide-hd,drive=d0,bus=ide.0",
        "-chardev", chardev[E2E_PORT_ISA], "-serial", "chardev:con",
        "-chardev", chardev[E2E_PORT_XEN],
        "-kernel", kernel, "-append", cmdline, "-initrd", initrd,
        "-device", bridge ? "pci-bridge,id=br0,chassis_nr=1" : E2E_E1000_DEVICE,
        "-device", bridge ? E2E_E1000_DEVICE ",bus=br0,addr=1" : E2E_UART_BRIDGE,
        "-device", bridge ? E2E_UART_BRIDGE : E2E_UART_DEVICE,
        bridge ? "-device" : NULL, E2E_UART_DEVICE,
        NULL
    };

    e->t0 = e2e_now_s();
    if ( qts_start(e->q, argv) != 0 )
        return -1;
    if ( e2e_console_accept(&e->con, e->t0) != 0 )
        return e2e_set_error(e->r, "QEMU did not connect to the console "
                             "socket"), -1;
    e->con.seq_counter = &e->flood.seq;
    if ( e2e_flood_start(&e->flood) != 0 )
        return e2e_set_error(e->r, "cannot start the frame thread"), -1;
    e->flood_started = true;
    return 0;
}

/* Before the crash: the e1000 must be seen doing DMA, or the run is blind. */
static int run_dma_before(struct run_env *e)
{
    double start = e2e_now_s();

    e->w.q = e->q;
    e->w.r = e->r;
    e->w.t0 = e->t0;
    if ( e2e_watch_discover(&e->w) != 0 )
        return -1;
    /* e1000 completions seen; the AHCI seen busy too, if it shows in 5 s. */
    while ( e->r->desc_before == 0 ||
            (e->w.abar && e->r->ahci_busy_polls == 0 &&
             e2e_now_s() - start < 5) )
    {
        e2e_watch_poll(&e->w, E2E_PH_BEFORE, 0);
        if ( run_broken(e) )
            return -1;
        if ( e2e_now_s() - start > E2E_T_DMA_BEFORE )
            return e2e_set_error(e->r, "no e1000 DMA seen in %d s before the crash",
                                 E2E_T_DMA_BEFORE), -1;
        clock_sleep_ms(20);
    }
    return 0;
}

static int run_crash(struct run_env *e)
{
    static const char key[] = "\x01\x01\x01" "C";
    static const char sysrq[] = "sysrq-crash\r";
    int rc;

    e->r->t_key = e2e_now_s() - e->t0;
    e->w.crash_requested = true;
    /* Both go to Xen's console: the key to Xen, the line to dom0. */
    if ( e->o->crash == E2E_CRASH_KEY )
        rc = e2e_console_send(&e->con, E2E_PORT_XEN, key, sizeof(key) - 1);
    else
        rc = e2e_console_send(&e->con, E2E_PORT_XEN, sysrq, sizeof(sysrq) - 1);
    if ( rc != 0 )
        return e2e_set_error(e->r, "cannot write the crash request to the "
                             "console"), -1;
    return 0;
}

/*
 * The anchor: the console line after which the crash path has run its
 * disconnect step.  "Disconnected N PCI functions" when our Xen prints it;
 * otherwise the shoot-down line printed just before that step (disconnect
 * off: nothing is printed there).  A run with the disconnect on that shows
 * no "Disconnected" line within ANCHOR_WAIT s falls back to the shoot-down
 * line, and says so: the seed's disconnect silences Xen's console before
 * that line.
 */
static enum e2e_mark anchor_mark(struct run_env *e, double *t)
{
    double shot = e2e_console_mark(&e->con, E2E_M_SHOT);
    double shot_fail = e2e_console_mark(&e->con, E2E_M_SHOT_FAIL);

    *t = e2e_console_mark(&e->con, E2E_M_DISCONNECTED);
    if ( *t >= 0 )
        return E2E_M_DISCONNECTED;
    *t = shot >= 0 ? shot : shot_fail;
    if ( *t < 0 )
        return E2E_M_COUNT;
    if ( e2e_disconnects(e->r->cfg.mode) &&
         e2e_now_s() - (e->t0 + *t) < E2E_ANCHOR_WAIT )
    {
        *t = -1;
        return E2E_M_COUNT;
    }
    e->r->anchor_fallback = e2e_disconnects(e->r->cfg.mode);
    return shot >= 0 ? E2E_M_SHOT : E2E_M_SHOT_FAIL;
}

/* From the crash request until the crash kernel is up. */
static int run_watch(struct run_env *e)
{
    double t_key = e2e_now_s();

    for ( ;; )
    {
        double line = e2e_console_mark(&e->con, E2E_M_CRASH_LINE);
        bool up = e2e_console_mark(&e->con, E2E_M_CRASH_UP) >= 0;
        double anchor;
        enum e2e_mark am = anchor_mark(e, &anchor);
        enum e2e_phase ph = am != E2E_M_COUNT ? E2E_PH_AFTER
                            : line >= 0 ? E2E_PH_LINE : E2E_PH_BEFORE;

        if ( am != E2E_M_COUNT && !e->r->anchor[0] )
            snprintf(e->r->anchor, sizeof(e->r->anchor), "%s",
                     e2e_mark_name[am]);
        bool base = ph == E2E_PH_AFTER && !e->w.have_base;

        e2e_watch_poll(&e->w, ph, e->t0 + anchor);
        if ( base )
            e->seq_at_base = atomic_load(&e->flood.seq);
        if ( line >= 0 )
            e2e_watch_values(&e->w, e2e_run_policy(e->o, e->r->cfg.mode),
                             e2e_now_s() - (e->t0 + line));
        if ( run_broken(e) )
            return -1;
        if ( up && e->w.have_base )
            return 0;
        if ( line < 0 && e2e_now_s() - t_key > E2E_T_CRASH_LINE )
            return e2e_set_error(e->r, "time-out: no crash line within %d s of the "
                                 "crash request", E2E_T_CRASH_LINE), -1;
        if ( line >= 0 && e2e_now_s() - (e->t0 + line) > E2E_T_CRASH_UP )
            return e2e_set_error(e->r, "time-out: crash kernel not up %d s after "
                                 "the crash line", E2E_T_CRASH_UP), -1;
        if ( e->w.have_base )
            clock_sleep_ms(E2E_POLL_PAUSE_MS);    /* leave the CPUs to the guest */
    }
}

static void parse_vmcore(struct e2e_result *r, const char *line)
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
    struct e2e_result *r = e->r;
    enum e2e_mark am = E2E_M_COUNT;

    for ( int m = 0; m < E2E_M_COUNT; m++ )
        if ( !strcmp(r->anchor, e2e_mark_name[m]) )
            am = (enum e2e_mark)m;
    pthread_mutex_lock(&e->con.lock);
    memcpy(r->t_mark, e->con.t_mark, sizeof(r->t_mark));
    /*
     * Late frames are those sent after the crash path's disconnect step.
     * Without its "Disconnected" line (the seed's) the shoot-down line
     * comes before that step: count from the end of the anchor's first
     * poll instead, which found every planned function disconnected
     * (the verdict checks that).
     */
    if ( r->anchor_fallback )
        r->seq_at_anchor = e->seq_at_base;
    else
        r->seq_at_anchor = am == E2E_M_COUNT ? 0 : e->con.seq_at[am];
    e2e_copy_line(r->plan_line, sizeof(r->plan_line), e->con.plan_line);
    r->plan_updates = e->con.plan_updates;
    r->plan_reads = e->con.plan_reads;
    r->plan_conf_reads = e->con.plan_conf_reads;
    r->fallback_lines = e->con.fallback_lines;
    r->disconnected = e2e_number_after(e->con.dc_line, "Disconnected ");
    r->xen_banner_on_uart = e->con.t_mark[E2E_M_BANNER] >= 0 &&
                            e->con.mark_port[E2E_M_BANNER] == E2E_PORT_XEN;
    r->xen_lines_after = e->con.xen_lines_after;
    r->xen_bytes_after = e->con.xen_bytes_after;
    e2e_copy_line(r->xen_first_after, sizeof(r->xen_first_after),
                  e->con.xen_first_after);
    pthread_mutex_unlock(&e->con.lock);
    r->plan_steps = e2e_number_after(r->plan_line, E2E_PLAN_TEXT);
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
    e2e_scan_buffers(&e->w, dump);
    e2e_ahci_check(&e->w);
    if ( dump )
        fclose(dump);
    if ( run_broken(e) )
        return -1;
    if ( wait_mark(e, E2E_M_VMCORE, e2e_now_s(), E2E_T_VMCORE) != 0 )
        return -1;
    parse_vmcore(e->r, e->con.vmcore_line);
    e->r->uart_ier_end = e2e_watch_uart_ier(&e->w);
    e2e_console_send(&e->con, E2E_PORT_ISA, "poweroff\r", 9);
    start = e2e_now_s();
    while ( !atomic_load(&e->con.eof) )
    {
        if ( e2e_now_s() - start > E2E_T_EXIT )
            return e2e_set_error(e->r, "time-out: QEMU still running %d s after "
                                 "the crash kernel was told to power off", E2E_T_EXIT), -1;
        clock_sleep_ms(20);
    }
    e->r->t_exit = e2e_now_s() - e->t0;
    return 0;
}

static void run_collect(struct run_env *e)
{
    struct e2e_result *r = e->r;

    run_console_facts(e);
    r->frames_sent = atomic_load(&e->flood.seq);
    r->frames_refused = atomic_load(&e->flood.refused);
    r->polls_after = e->w.polls;
    r->poll_ms = e->w.polls ? 1000.0 * e->w.poll_total / (double)e->w.polls : 0;
}

void e2e_run_one(const struct e2e_opts *o, struct e2e_result *r)
{
    struct qts_opts qo = {
        .qemu = o->qemu, .no_bios = true, .machine = "q35,kernel-irqchip=split",
        .memory_mb = 2048, .timeout_ms = 10000, .qemu_listens = true,
    };
    struct run_env e = { .o = o, .r = r };
    double start = e2e_now_s();

    r->t_exit = -1;
    r->t_disc_seen = -1;
    r->head_before = r->head_base = r->head_end = -1;
    r->uart_ier_before = r->uart_ier_after = r->uart_ier_end = -1;
    e2e_console_init(&e.con);
    e.flood.fd = -1;
    e.w.nic = -1;
    e.q = qts_new(&qo);
    if ( !e.q )
    {
        e2e_set_error(r, "out of memory");
        return;
    }
    if ( qts_error(e.q) )
        e2e_set_error(r, "qts: %s", qts_error(e.q));
    else if ( run_start(&e, r->log_dir) == 0 &&
              wait_mark(&e, E2E_M_READY, e.t0, E2E_T_READY) == 0 &&
              run_dma_before(&e) == 0 && run_crash(&e) == 0 &&
              run_watch(&e) == 0 )
        run_finish(&e);
    run_broken(&e);
    run_collect(&e);
    e2e_flood_stop(&e.flood, e.flood_started);
    e2e_console_close(&e.con);
    qts_close(e.q);
    e2e_watch_free(&e.w);
    r->t_total = e2e_now_s() - start;
}

