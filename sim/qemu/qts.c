/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qts: the qtest protocol client.  Sticky errors, sending commands,
 * reading replies line by line with a time-out, IRQ lines taken on the
 * way, the commands themselves.  The QEMU process behind the connection
 * is qemu_proc.c's.  See qts.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "qts.h"
#include "qts_int.h"

#define MAX_LINE        (1u << 20)      /* longest reply line accepted */
#define IO_CHUNK        (1u << 18)      /* bytes per read/write command */

/* --- errors -------------------------------------------------------------- */

static void set_error(struct qts *q, const char *fmt, va_list ap)
{
    char *p;

    if (q->failed)
        return;
    q->failed = true;
    vsnprintf(q->err, sizeof(q->err), fmt, ap);
    for (p = q->err; *p; p++)
        if (*p == '\n' || *p == '\r' || (unsigned char)*p < 0x20)
            *p = ' ';
}

int qts_fail(struct qts *q, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_error(q, fmt, ap);
    va_end(ap);
    return -1;
}

const char *qts_error(const struct qts *q)
{
    return q->failed ? q->err : NULL;
}

void qts_clip(const char *s, size_t n, char *out, size_t max)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 4 < max; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (i < n && o + 3 < max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* A command as errors show it: its first line, clipped to max. */
static void show_cmd(const char *cmd, char *out, size_t max)
{
    size_t n = 0;

    while (n < max && cmd[n] && cmd[n] != '\n')
        n++;
    qts_clip(cmd, n, out, max);
}

unsigned long qts_nr_commands(const struct qts *q)
{
    return q->nr_commands;
}

/* --- line protocol ------------------------------------------------------- */

static int send_all(struct qts *q, const char *buf, size_t len,
                    uint64_t deadline)
{
    struct pollfd p = { .fd = q->fd, .events = POLLOUT };
    ssize_t n;
    int r;

    while (len) {
        n = send(q->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return qts_qemu_gone(q, "(sending a command)");
        if (clock_ms_u64() >= deadline)
            return qts_fail(q, "QEMU did not take a command within %u ms",
                            q->timeout_ms);
        r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            return qts_fail(q, "poll: %s", strerror(errno));
    }
    return 0;
}

static void handle_irq(struct qts *q, const struct qts_line *l)
{
    q->irq_level[l->irq_pin] = l->irq_raise;
    if (l->irq_raise)
        q->irq_raises[l->irq_pin]++;
    else
        q->irq_lowers[l->irq_pin]++;
    if (q->irq_hook)
        q->irq_hook(q->irq_hook_arg, l->irq_pin, l->irq_raise);
}

/*
 * Read more bytes into rx, waiting until the deadline.  At the deadline:
 * an error, or 1 when quiet_timeout (polling for IRQ lines).
 */
static int fill_rx(struct qts *q, uint64_t deadline, bool quiet_timeout,
                   const char *what)
{
    struct pollfd p = { .fd = q->fd, .events = POLLIN };
    ssize_t n;
    int r, slice;

    if (q->rx_cap - q->rx_len < 65536) {
        size_t cap = q->rx_cap ? q->rx_cap * 2 : 131072;
        char *rx = realloc(q->rx, cap);

        if (!rx)
            return qts_fail(q, "out of memory");
        q->rx = rx;
        q->rx_cap = cap;
    }
    for (;;) {
        uint64_t now = clock_ms_u64();

        slice = deadline > now ? (int)(deadline - now) : 0;
        if (slice > 200)
            slice = 200;
        r = poll(&p, 1, slice);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return qts_fail(q, "poll: %s", strerror(errno));
        if (r > 0)
            break;
        if (qts_qemu_exited(q, what))
            return -1;
        if (clock_ms_u64() >= deadline && quiet_timeout)
            return 1;
        if (clock_ms_u64() >= deadline)
            return qts_fail(q, "no reply from QEMU within %u ms %s",
                            q->timeout_ms, what);
    }
    n = read(q->fd, q->rx + q->rx_len, q->rx_cap - q->rx_len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return qts_qemu_gone(q, what);
    q->rx_len += (size_t)n;
    return 0;
}

/*
 * Take one line out of rx into a malloc'ed string in *line; 1 if there is
 * no complete line yet.
 */
static int take_line(struct qts *q, char **line)
{
    char *nl = q->rx_len ? memchr(q->rx, '\n', q->rx_len) : NULL;
    size_t n;

    if (!nl) {
        if (q->rx_len > MAX_LINE)
            return qts_fail(q, "reply line longer than %u bytes", MAX_LINE);
        return 1;
    }
    n = (size_t)(nl - q->rx);
    *line = malloc(n + 1);
    if (!*line)
        return qts_fail(q, "out of memory");
    memcpy(*line, q->rx, n);
    (*line)[n] = '\0';
    q->rx_len -= n + 1;
    memmove(q->rx, nl + 1, q->rx_len);
    return 0;
}

/*
 * Wait for the next non-IRQ line (the reply to the command just sent).
 * Returns the malloc'ed line, classified in *l, or NULL with a sticky
 * error.
 */
static char *read_reply(struct qts *q, const char *cmd, struct qts_line *l)
{
    uint64_t deadline = clock_ms_u64() + q->timeout_ms;
    char what[96], shown[64], *line;
    int r;

    show_cmd(cmd, shown, 40);
    snprintf(what, sizeof(what), "(command '%s')", shown);
    for (;;) {
        r = take_line(q, &line);
        if (r < 0)
            return NULL;
        if (r == 1) {
            if (fill_rx(q, deadline, false, what) < 0)
                return NULL;
            continue;
        }
        qts_parse_line(line, l);
        if (l->kind != QTS_LINE_IRQ)
            return line;
        handle_irq(q, l);
        free(line);
    }
}

/* The sticky error for a reply to cmd that is not the OK expected. */
static int reply_error(struct qts *q, const char *cmd, const char *line,
                       const struct qts_line *l, bool want_payload)
{
    char shown[64], bad[64];

    show_cmd(cmd, shown, 40);
    qts_clip(line, strlen(line), bad, 48);
    if (l->kind == QTS_LINE_FAIL)
        return qts_fail(q, "QEMU refused '%s': %s", shown,
                        l->payload[0] ? l->payload : bad);
    if (l->kind != QTS_LINE_OK)
        return qts_fail(q, "malformed reply to '%s': '%s'", shown, bad);
    if (!want_payload)
        return qts_fail(q, "unexpected payload in reply to '%s': '%s'",
                        shown, bad);
    return qts_fail(q, "reply to '%s' too long", shown);
}

/*
 * Send cmd (cmd_len bytes, ending in '\n') and check the reply: on OK, its
 * payload is copied to payload (len > 0) or must be empty (payload NULL).
 */
static int transact(struct qts *q, const char *cmd, size_t cmd_len,
                    char *payload, size_t len)
{
    struct qts_line l;
    char *line;
    int rc = 0;

    if (q->failed)
        return -1;
    if (q->fd < 0)
        return qts_fail(q, "QEMU is not running");
    if (send_all(q, cmd, cmd_len, clock_ms_u64() + q->timeout_ms) < 0)
        return -1;
    q->nr_commands++;
    line = read_reply(q, cmd, &l);
    if (!line)
        return -1;
    if (l.kind == QTS_LINE_OK && !payload && !l.payload[0])
        ;
    else if (l.kind == QTS_LINE_OK && payload && strlen(l.payload) < len)
        strcpy(payload, l.payload);
    else
        rc = reply_error(q, cmd, line, &l, payload != NULL);
    free(line);
    return rc;
}

/* --- commands ------------------------------------------------------------ */

static int simple(struct qts *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int simple(struct qts *q, const char *fmt, ...)
{
    char cmd[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return transact(q, cmd, (size_t)n, NULL, 0);
}

/* Send a value-returning command and parse "OK 0x..." of width bytes. */
static uint64_t value(struct qts *q, unsigned int width, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint64_t value(struct qts *q, unsigned int width, const char *fmt, ...)
{
    char cmd[128], payload[64], shown[64];
    uint64_t v;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (transact(q, cmd, (size_t)n, payload, sizeof(payload)) < 0)
        return 0;
    if (qts_parse_u64(payload, &v) < 0 ||
        (width < 8 && v >> (8 * width))) {
        show_cmd(cmd, shown, 40);
        qts_fail(q, "malformed value in reply to '%s': 'OK %s'", shown,
                 payload);
        return 0;
    }
    return v;
}

int qts_outb(struct qts *q, uint16_t port, uint8_t v)
{
    return simple(q, "outb 0x%x 0x%x\n", port, v);
}

int qts_outw(struct qts *q, uint16_t port, uint16_t v)
{
    return simple(q, "outw 0x%x 0x%x\n", port, v);
}

int qts_outl(struct qts *q, uint16_t port, uint32_t v)
{
    return simple(q, "outl 0x%x 0x%x\n", port, v);
}

uint8_t qts_inb(struct qts *q, uint16_t port)
{
    return (uint8_t)value(q, 1, "inb 0x%x\n", port);
}

uint16_t qts_inw(struct qts *q, uint16_t port)
{
    return (uint16_t)value(q, 2, "inw 0x%x\n", port);
}

uint32_t qts_inl(struct qts *q, uint16_t port)
{
    return (uint32_t)value(q, 4, "inl 0x%x\n", port);
}

int qts_writeb(struct qts *q, uint64_t addr, uint8_t v)
{
    return simple(q, "writeb 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writew(struct qts *q, uint64_t addr, uint16_t v)
{
    return simple(q, "writew 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writel(struct qts *q, uint64_t addr, uint32_t v)
{
    return simple(q, "writel 0x%llx 0x%x\n", (unsigned long long)addr, v);
}

int qts_writeq(struct qts *q, uint64_t addr, uint64_t v)
{
    return simple(q, "writeq 0x%llx 0x%llx\n", (unsigned long long)addr,
                  (unsigned long long)v);
}

uint8_t qts_readb(struct qts *q, uint64_t addr)
{
    return (uint8_t)value(q, 1, "readb 0x%llx\n", (unsigned long long)addr);
}

uint16_t qts_readw(struct qts *q, uint64_t addr)
{
    return (uint16_t)value(q, 2, "readw 0x%llx\n", (unsigned long long)addr);
}

uint32_t qts_readl(struct qts *q, uint64_t addr)
{
    return (uint32_t)value(q, 4, "readl 0x%llx\n", (unsigned long long)addr);
}

uint64_t qts_readq(struct qts *q, uint64_t addr)
{
    return value(q, 8, "readq 0x%llx\n", (unsigned long long)addr);
}

static char *tx_buffer(struct qts *q, size_t need)
{
    if (q->tx_cap < need) {
        char *tx = realloc(q->tx, need);

        if (!tx) {
            qts_fail(q, "out of memory");
            return NULL;
        }
        q->tx = tx;
        q->tx_cap = need;
    }
    return q->tx;
}

int qts_memread(struct qts *q, uint64_t addr, void *buf, size_t len)
{
    size_t cap = qts_b64_len(IO_CHUNK) + 16, n;
    unsigned char *out = buf;
    char *payload, cmd[64];
    int c;

    while (len && !q->failed) {
        n = len < IO_CHUNK ? len : IO_CHUNK;
        payload = tx_buffer(q, cap);
        if (!payload)
            break;
        c = snprintf(cmd, sizeof(cmd), "b64read 0x%llx 0x%zx\n",
                     (unsigned long long)addr, n);
        if (transact(q, cmd, (size_t)c, payload, cap) < 0)
            break;
        if (qts_parse_b64(payload, out, n) < 0) {
            qts_fail(q, "malformed data in reply to 'b64read 0x%llx 0x%zx'",
                     (unsigned long long)addr, n);
            break;
        }
        out += n;
        addr += n;
        len -= n;
    }
    if (len) {
        memset(out, 0, len);
        return -1;
    }
    return q->failed ? -1 : 0;
}

int qts_memwrite(struct qts *q, uint64_t addr, const void *buf, size_t len)
{
    const unsigned char *in = buf;
    size_t n, c;
    char *cmd;

    while (len) {
        if (q->failed)
            return -1;
        n = len < IO_CHUNK ? len : IO_CHUNK;
        cmd = tx_buffer(q, qts_b64_len(IO_CHUNK) + 64);
        if (!cmd)
            return -1;
        c = (size_t)sprintf(cmd, "b64write 0x%llx 0x%zx ",
                            (unsigned long long)addr, n);
        qts_format_b64(in, n, cmd + c);
        c += qts_b64_len(n);
        cmd[c++] = '\n';
        if (transact(q, cmd, c, NULL, 0) < 0)
            return -1;
        in += n;
        addr += n;
        len -= n;
    }
    return q->failed ? -1 : 0;
}

int qts_memset(struct qts *q, uint64_t addr, uint8_t v, size_t len)
{
    if (!len)
        return q->failed ? -1 : 0;
    return simple(q, "memset 0x%llx 0x%zx 0x%x\n", (unsigned long long)addr,
                  len, v);
}

/* --- interrupts ---------------------------------------------------------- */

int qts_irq_intercept_in(struct qts *q, const char *qom_path)
{
    if (!qom_path || !*qom_path || strpbrk(qom_path, " \n"))
        return qts_fail(q, "bad QOM path for irq_intercept_in");
    return simple(q, "irq_intercept_in %s\n", qom_path);
}

int qts_irq_poll(struct qts *q, unsigned int wait_ms)
{
    uint64_t deadline = clock_ms_u64() + wait_ms;
    struct qts_line l;
    char *line, shown[64];
    int r;

    if (q->failed)
        return -1;
    if (q->fd < 0)
        return qts_fail(q, "QEMU is not running");
    for (;;) {
        r = take_line(q, &line);
        if (r < 0)
            return -1;
        if (r == 0) {
            qts_parse_line(line, &l);
            if (l.kind != QTS_LINE_IRQ) {
                qts_clip(line, strlen(line), shown, 48);
                free(line);
                return qts_fail(q, "unexpected line from QEMU: '%s'", shown);
            }
            handle_irq(q, &l);
            free(line);
            continue;
        }
        r = fill_rx(q, deadline, true, "(polling for IRQ lines)");
        if (r < 0)
            return -1;
        if (r == 1)
            return 0;
    }
}

bool qts_irq_level(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ && q->irq_level[pin];
}

unsigned long qts_irq_raises(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ ? q->irq_raises[pin] : 0;
}

unsigned long qts_irq_lowers(const struct qts *q, unsigned int pin)
{
    return pin < QTS_MAX_IRQ ? q->irq_lowers[pin] : 0;
}

void qts_irq_reset_counts(struct qts *q)
{
    memset(q->irq_raises, 0, sizeof(q->irq_raises));
    memset(q->irq_lowers, 0, sizeof(q->irq_lowers));
}

void qts_set_irq_hook(struct qts *q, qts_irq_hook hook, void *arg)
{
    q->irq_hook = hook;
    q->irq_hook_arg = arg;
}
