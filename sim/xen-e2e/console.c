/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the two threads of a run.  The console thread logs QEMU's two
 * serial lines (the ISA COM1 the crash kernel writes to, the PCI UART that
 * carries Xen's console and dom0's through it) and timestamps the marker
 * lines; the flood thread sends numbered frames to the e1000's netdev.
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

const uint8_t e2e_nic_mac[6] = { 0x52, 0x54, 0x00, 0xe2, 0xe0, 0x01 };
static const uint8_t src_mac[6] = { 0x52, 0x54, 0x00, 0xe2, 0xe0, 0xfe };

const char *const e2e_mark_text[E2E_M_COUNT] = {
    [E2E_M_BANNER] = "(XEN) Xen version ",
    [E2E_M_DOM0_INIT] = E2E_MARK "dom0 init",
    [E2E_M_READY] = E2E_MARK "dom0 ready",
    /* "(XEN) Executing ..." or "(XEN) Hardware Dom0 crashed: Executing ..." */
    [E2E_M_CRASH_LINE] = "Executing kexec image on cpu",
    [E2E_M_SHOT] = "(XEN) Shot down all CPUs",
    [E2E_M_SHOT_FAIL] = "(XEN) Failed to shoot down CPUs",
    [E2E_M_DISCONNECTED] = "(XEN) Disconnected ",
    /* The crash kernel's first lines give its command line: only it has this. */
    [E2E_M_KDUMP_START] = "elfcorehdr=",
    [E2E_M_CRASH_UP] = E2E_MARK "crash kernel up",
    /* The crash kernel finds VT-d still translating (Xen's default). */
    [E2E_M_VT_D_ON] = "DMAR: Translation already enabled",
    [E2E_M_VMCORE] = E2E_MARK "vmcore size=",
    [E2E_M_FAIL] = E2E_MARK "FAIL",
};

const char *const e2e_mark_name[E2E_M_COUNT] = {
    "xen_banner", "dom0_init", "dom0_ready", "crash_line", "shot_down",
    "shoot_down_failed", "disconnected", "crash_kernel_start", "crash_kernel_up",
    "crash_kernel_found_vt_d_on", "vmcore", "fail",
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

/* Plan and fallback lines of our Xen; the caller holds c->lock. */
static void console_plan_line(struct e2e_console *c, const char *line)
{
    const char *plan = strstr(line, E2E_PLAN_TEXT);
    long reads, conf;

    if ( strstr(line, E2E_FALLBACK_TEXT) && strstr(line, E2E_FALLBACK_DONE) )
        c->fallback_lines++;
    if ( !plan )
        return;
    e2e_copy_line(c->plan_line, sizeof(c->plan_line), plan);
    reads = e2e_number_after(line, E2E_PLAN_READS_TEXT);
    conf = e2e_number_after(line, E2E_PLAN_CONF_TEXT);
    c->plan_updates++;
    c->plan_reads += reads > 0 ? reads : 0;
    c->plan_conf_reads += conf > 0 ? conf : 0;
}

/*
 * Xen's console after the shoot-down line, the last one Xen prints before
 * its disconnect step: what still arrives on the PCI UART, until the crash
 * kernel starts (the machine is no longer Xen's then).  The caller holds
 * c->lock.
 */
static void console_xen_after(struct e2e_console *c, const char *line)
{
    if ( !c->xen_after || c->t_mark[E2E_M_KDUMP_START] >= 0 )
        return;
    if ( !c->xen_lines_after++ )
        e2e_copy_line(c->xen_first_after, sizeof(c->xen_first_after), line);
}

/*
 * With console_timestamps= Xen prints "(XEN) [ stamp] text": drop the stamp
 * so that the marks match either way.
 */
static void console_drop_stamp(char *line)
{
    static const char xen[] = "(XEN) [";
    char *end;

    if ( strncmp(line, xen, sizeof(xen) - 1) ||
         !(end = strstr(line, "] ")) )
        return;
    memmove(line + sizeof(xen) - 2, end + 2, strlen(end + 2) + 1);
}

static void console_line(struct e2e_console *c, enum e2e_port port, double t)
{
    struct e2e_serial *s = &c->port[port];

    s->line[s->len] = '\0';
    console_drop_stamp(s->line);
    pthread_mutex_lock(&c->lock);
    console_plan_line(c, s->line);
    if ( port == E2E_PORT_XEN )
        console_xen_after(c, s->line);
    for ( int m = 0; m < E2E_M_COUNT; m++ )
    {
        if ( c->t_mark[m] >= 0 || !strstr(s->line, e2e_mark_text[m]) )
            continue;
        c->t_mark[m] = t - c->t0;
        c->mark_port[m] = port;
        if ( c->seq_counter )
            c->seq_at[m] = atomic_load(c->seq_counter);
        if ( m == E2E_M_FAIL )
            e2e_copy_line(c->fail_line, sizeof(c->fail_line), s->line);
        if ( m == E2E_M_VMCORE )
            e2e_copy_line(c->vmcore_line, sizeof(c->vmcore_line), s->line);
        if ( m == E2E_M_DISCONNECTED )
            e2e_copy_line(c->dc_line, sizeof(c->dc_line), s->line);
        if ( port == E2E_PORT_XEN && (m == E2E_M_SHOT || m == E2E_M_SHOT_FAIL) )
            c->xen_after = true;
    }
    pthread_mutex_unlock(&c->lock);
    s->len = 0;
}

static void console_bytes(struct e2e_console *c, enum e2e_port port,
                          const char *buf, size_t n)
{
    struct e2e_serial *s = &c->port[port];
    double t = e2e_now_s();
    unsigned long after = 0;

    fwrite(buf, 1, n, s->log);
    fflush(s->log);
    for ( size_t i = 0; i < n; i++ )
    {
        /* Only this thread writes these two: no lock needed to read them. */
        after += port == E2E_PORT_XEN && c->xen_after &&
                 c->t_mark[E2E_M_KDUMP_START] < 0;
        if ( buf[i] == '\n' )
            console_line(c, port, t);
        else if ( buf[i] != '\r' && s->len < sizeof(s->line) - 1 )
            s->line[s->len++] = buf[i];
    }
    pthread_mutex_lock(&c->lock);
    c->xen_bytes_after += after;
    pthread_mutex_unlock(&c->lock);
}

static void *console_main(void *arg)
{
    struct e2e_console *c = arg;
    char buf[4096];

    while ( !atomic_load(&c->stop) )
    {
        struct pollfd p[E2E_NR_PORTS];
        bool closed = false;

        for ( int i = 0; i < E2E_NR_PORTS; i++ )
            p[i] = (struct pollfd){ .fd = c->port[i].fd, .events = POLLIN };
        if ( poll(p, E2E_NR_PORTS, 100) <= 0 )
            continue;
        for ( int i = 0; i < E2E_NR_PORTS; i++ )
        {
            ssize_t n;

            if ( !(p[i].revents & (POLLIN | POLLHUP | POLLERR)) )
                continue;
            n = read(c->port[i].fd, buf, sizeof(buf));
            if ( n <= 0 )
                closed = true;
            else
                console_bytes(c, (enum e2e_port)i, buf, (size_t)n);
        }
        if ( closed )
            break;
    }
    atomic_store(&c->eof, true);
    return NULL;
}

double e2e_console_mark(struct e2e_console *c, enum e2e_mark m)
{
    double t;

    pthread_mutex_lock(&c->lock);
    t = c->t_mark[m];
    pthread_mutex_unlock(&c->lock);
    return t;
}

int e2e_console_send(struct e2e_console *c, enum e2e_port port,
                     const char *bytes, size_t n)
{
    return send(c->port[port].fd, bytes, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

void e2e_console_init(struct e2e_console *c)
{
    memset(c, 0, sizeof(*c));
    for ( int i = 0; i < E2E_NR_PORTS; i++ )
        c->port[i].fd = c->port[i].listen_fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    for ( int m = 0; m < E2E_M_COUNT; m++ )
        c->t_mark[m] = -1;
}

int e2e_console_listen(struct e2e_console *c, enum e2e_port port,
                       const char *path, const char *log)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct e2e_serial *s = &c->port[port];

    s->log = fopen(log, "w");
    if ( !s->log )
        return -1;
    if ( set_sun_path(&sa, path) != 0 )
        return -1;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if ( s->listen_fd < 0 ||
         bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
         listen(s->listen_fd, 1) != 0 )
        return -1;
    return 0;
}

/* Accept QEMU's connections (it connects at start-up), start the thread. */
int e2e_console_accept(struct e2e_console *c, double t0)
{
    c->t0 = t0;
    for ( int i = 0; i < E2E_NR_PORTS; i++ )
    {
        struct pollfd p = { .fd = c->port[i].listen_fd, .events = POLLIN };

        if ( poll(&p, 1, E2E_T_CONNECT * 1000) != 1 )
            return -1;
        c->port[i].fd = accept4(c->port[i].listen_fd, NULL, NULL,
                                SOCK_CLOEXEC);
        if ( c->port[i].fd < 0 )
            return -1;
    }
    if ( pthread_create(&c->thread, NULL, console_main, c) != 0 )
        return -1;
    c->thread_started = true;
    return 0;
}

void e2e_console_close(struct e2e_console *c)
{
    if ( c->thread_started )
    {
        atomic_store(&c->stop, true);
        pthread_join(c->thread, NULL);
    }
    for ( int i = 0; i < E2E_NR_PORTS; i++ )
    {
        if ( c->port[i].fd >= 0 )
            close(c->port[i].fd);
        if ( c->port[i].listen_fd >= 0 )
            close(c->port[i].listen_fd);
        if ( c->port[i].log )
            fclose(c->port[i].log);
    }
}


/* ------------------------------------------------------------------------ */
/* The flood                                                                 */

static void frame_fill(uint8_t *f, uint32_t seq)
{
    memcpy(f, e2e_nic_mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = E2E_FRAME_TYPE >> 8;
    f[13] = E2E_FRAME_TYPE & 0xff;
    memcpy(f + 14, E2E_FRAME_MAGIC, 8);
    memcpy(f + 22, &seq, 4);
    for ( size_t i = 26; i < E2E_FRAME_LEN; i++ )
        f[i] = (uint8_t)(i ^ seq);
}

static void *flood_main(void *arg)
{
    struct e2e_flood *fl = arg;
    uint8_t frame[E2E_FRAME_LEN];
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
        clock_sleep_ms(1);
    }
    return NULL;
}

int e2e_flood_open(struct e2e_flood *fl, const char *own, const char *qemu_side,
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

int e2e_flood_start(struct e2e_flood *fl)
{
    return pthread_create(&fl->thread, NULL, flood_main, fl) == 0 ? 0 : -1;
}

void e2e_flood_stop(struct e2e_flood *fl, bool started)
{
    atomic_store(&fl->stop, true);
    if ( started )
        pthread_join(fl->thread, NULL);
    if ( fl->fd >= 0 )
        close(fl->fd);
}
