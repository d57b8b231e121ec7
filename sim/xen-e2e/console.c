/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the two threads of a run.  The console thread logs QEMU's serial
 * line and timestamps the marker lines; the flood thread sends numbered
 * frames to the e1000's netdev.
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

static void console_line(struct e2e_console *c, double t)
{
    c->line[c->len] = '\0';
    pthread_mutex_lock(&c->lock);
    if ( strstr(c->line, E2E_PLAN_TEXT) )
    {
        e2e_copy_line(c->plan_line, sizeof(c->plan_line),
                      strstr(c->line, E2E_PLAN_TEXT));
        long reads = e2e_number_after(c->line, E2E_PLAN_READS_TEXT);

        c->plan_updates++;
        c->plan_reads += reads > 0 ? reads : 0;
    }
    for ( int m = 0; m < E2E_M_COUNT; m++ )
    {
        if ( c->t_mark[m] >= 0 || !strstr(c->line, e2e_mark_text[m]) )
            continue;
        c->t_mark[m] = t - c->t0;
        if ( c->seq_counter )
            c->seq_at[m] = atomic_load(c->seq_counter);
        if ( m == E2E_M_FAIL )
            e2e_copy_line(c->fail_line, sizeof(c->fail_line), c->line);
        if ( m == E2E_M_VMCORE )
            e2e_copy_line(c->vmcore_line, sizeof(c->vmcore_line), c->line);
        if ( m == E2E_M_DISCONNECTED )
            e2e_copy_line(c->dc_line, sizeof(c->dc_line), c->line);
    }
    pthread_mutex_unlock(&c->lock);
    c->len = 0;
}

static void console_bytes(struct e2e_console *c, const char *buf, size_t n)
{
    double t = e2e_now_s();

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
    struct e2e_console *c = arg;
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

double e2e_console_mark(struct e2e_console *c, enum e2e_mark m)
{
    double t;

    pthread_mutex_lock(&c->lock);
    t = c->t_mark[m];
    pthread_mutex_unlock(&c->lock);
    return t;
}

int e2e_console_send(struct e2e_console *c, const char *bytes, size_t n)
{
    return send(c->fd, bytes, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

void e2e_console_init(struct e2e_console *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->listen_fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    for ( int m = 0; m < E2E_M_COUNT; m++ )
        c->t_mark[m] = -1;
}

int e2e_console_listen(struct e2e_console *c, const char *path, const char *log)
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
int e2e_console_accept(struct e2e_console *c, double t0)
{
    struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };

    c->t0 = t0;
    if ( poll(&p, 1, E2E_T_CONNECT * 1000) != 1 )
        return -1;
    c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if ( c->fd < 0 )
        return -1;
    return pthread_create(&c->thread, NULL, console_main, c) == 0 ? 0 : -1;
}

void e2e_console_close(struct e2e_console *c)
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
