/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qts: the transport layer.  Starts one qemu-system-x86_64 per instance and
 * speaks QEMU's qtest line protocol with it over a unix socket.
 *
 * QEMU runs q35 under TCG with the qtest *object* (Debian 12's QEMU 7.2 has
 * no qtest accelerator):
 *
 *   qemu-system-x86_64 -machine q35 -display none -nodefaults -no-reboot
 *       -m 256M -bios build/halt-bios.bin
 *       -chardev socket,id=qts,path=TMP/qtest.sock
 *       -object qtest,id=qts0,chardev=qts,log=/dev/null
 *       EXTRA ARGS ...
 *
 * Each instance owns a private temporary directory (mkdtemp), removed by
 * qts_close().  Put sockets and disk images there (qts_path()) and keep it
 * flat: the cleanup removes regular files and sockets, not sub-directories.
 *
 * Error model: "sticky error".  The first failure (time-out, QEMU death,
 * malformed reply, FAIL reply, bad argument) records a one-line message in
 * the instance; from then on every call is a no-op that returns -1 (int
 * functions) or 0 (value-returning reads, buffers are zero-filled).  Callers
 * may therefore run a whole phase and check qts_error() once.  A program
 * turns qts_error() != NULL into exit status 2 with that line.
 *
 * Interrupts: after qts_irq_intercept_in(), QEMU sends "IRQ raise N" and
 * "IRQ lower N" lines whenever it likes, also between a command and its
 * reply.  They never count as replies; qts records per pin the current
 * level and how many raises/lowers it saw.  Lines are only read while qts
 * waits for a reply or in qts_irq_poll().
 *
 * Every wait (connect, reply, process exit, --version) has a time-out:
 * qts_opts.timeout_ms, else $PCIDC_QTS_TIMEOUT_MS, else 30000 ms.
 *
 * Cleanup: the QEMU child gets PR_SET_PDEATHSIG(SIGKILL) before exec (note:
 * Linux delivers it when the *thread* that forked exits: call qts_start()
 * from a thread that outlives the instance, e.g. the main thread).  Live
 * instances are registered; an atexit handler and handlers for SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE and SIGILL
 * (installed by the first qts_start() for each signal whose disposition is
 * still SIG_DFL) kill and reap every live QEMU and remove the temporary
 * directories; the signal is then re-raised with its default action.
 * Programs with their own handlers call qts_cleanup_all() from them
 * (async-signal-safe).  After SIGKILL of the program only PDEATHSIG acts:
 * QEMU dies, its temporary directory stays.  A QEMU killed that way is a
 * zombie until init reaps it: a "no QEMU left" check should ignore state Z
 * or wait a moment.
 *
 * Not thread-safe per instance: use one instance from one thread at a time.
 * Different instances may live in different threads.
 */
#ifndef SIM_QTS_H
#define SIM_QTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QTS_DEFAULT_TIMEOUT_MS  30000
#define QTS_TIMEOUT_ENV         "PCIDC_QTS_TIMEOUT_MS"
#define QTS_QEMU_ENV            "PCIDC_QEMU"        /* default binary */
#define QTS_BIOS_ENV            "PCIDC_HALT_BIOS"   /* default firmware */
#define QTS_DEFAULT_QEMU        "qemu-system-x86_64"
#define QTS_DEFAULT_BIOS        "build/halt-bios.bin"
#define QTS_MAX_IRQ             256
#define QTS_ERR_LEN             512

struct qts;

struct qts_opts {
    /* Binary; NULL: $PCIDC_QEMU, else "qemu-system-x86_64" from $PATH. */
    const char *qemu;
    /* Firmware for -bios; NULL: $PCIDC_HALT_BIOS, else halt-bios.bin next
     * to the running program (build/crashsim), else build/halt-bios.bin
     * relative to the working directory.  Ignored when no_bios is set. */
    const char *bios;
    /* No -bios at all (real guests: -kernel ...). */
    bool no_bios;
    /* -machine value; NULL: "q35". */
    const char *machine;
    /* -m in MiB; 0: 256. */
    unsigned int memory_mb;
    /* Wait limit in ms for every wait; 0: $PCIDC_QTS_TIMEOUT_MS or 30000. */
    unsigned int timeout_ms;
    /*
     * false (default): qts listens on TMP/qtest.sock and QEMU connects at
     * start-up (chardev client); QEMU death before connecting is noticed.
     * true: QEMU is the server ("server=on,wait=off") and qts connects,
     * retrying until the socket appears or the time-out (real guests).
     */
    bool qemu_listens;
    /* qtest object's log= file; NULL: /dev/null (it logs every command). */
    const char *qtest_log;
};

/*
 * Create an instance and its temporary directory; QEMU is not started yet.
 * Returns NULL only when out of memory; other failures (mkdtemp) are
 * reported through qts_error() on the returned instance.
 */
struct qts *qts_new(const struct qts_opts *opts);

/* The private temporary directory (absolute path). */
const char *qts_tmpdir(const struct qts *q);

/*
 * TMP/name into buf; returns buf, or NULL (and a sticky error) when it
 * does not fit or name contains '/'.
 */
char *qts_path(struct qts *q, const char *name, char *buf, size_t len);

/*
 * Start QEMU with the standard arguments followed by extra_argv (NULL-
 * terminated, may be NULL; passed verbatim, no shell) and wait until the
 * qtest socket is connected.  QEMU's stdout and stderr go to TMP/qemu.log.
 * Returns 0, or -1 with the reason in qts_error() (binary missing, QEMU
 * exited early, time-out), including the tail of QEMU's log.
 */
int qts_start(struct qts *q, const char *const *extra_argv);

/*
 * Stop QEMU (SIGTERM, then SIGKILL after 1 s), reap it, remove the
 * temporary directory and free the instance.  NULL is a no-op.  Never fails
 * from the caller's point of view; copy qts_error() before calling it.
 */
void qts_close(struct qts *q);

/* NULL while no error happened, else the one-line reason. */
const char *qts_error(const struct qts *q);
/* Record an error from a layer above (first one wins).  Returns -1. */
int qts_fail(struct qts *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* QEMU's pid (0 before start / after it was reaped). */
pid_t qts_pid(const struct qts *q);
/* SIGKILL QEMU now, without reaping (tests of "QEMU killed mid-run"). */
void qts_kill(struct qts *q);

void qts_set_timeout(struct qts *q, unsigned int ms);
unsigned int qts_timeout(const struct qts *q);

/*
 * First line of "QEMU --version" (e.g. "QEMU emulator version 7.2.22 ..."),
 * run once with the instance's binary and time-out and cached.  Works
 * before qts_start().  NULL on error (sticky).
 */
const char *qts_qemu_version(struct qts *q);

/*
 * Same, standalone: returns 0 or -1 with a message in err.  qemu NULL and
 * timeout_ms 0 mean the defaults qts_new() uses.
 */
int qts_query_version(const char *qemu, unsigned int timeout_ms,
                      char *buf, size_t len, char *err, size_t errlen);

/*
 * Major and minor number from a "QEMU emulator version 10.0.2 ..." line.
 * Returns 0 or -1 (no "version N.M" in it).
 */
int qts_parse_version(const char *line, unsigned int *major,
                      unsigned int *minor);

/*
 * Does the QEMU binary have device model type ("-device type,help")?
 * Returns 1 yes, 0 no, -1 with a message in err (binary missing, no
 * answer within the time-out, an answer that is neither).  qemu NULL and
 * timeout_ms 0 mean the defaults qts_new() uses.  Works without a running
 * QEMU; takes one short QEMU start (tens of ms).
 */
int qts_query_device(const char *qemu, unsigned int timeout_ms,
                     const char *type, char *err, size_t errlen);

/*
 * The same for the instance's binary, before or after qts_start(): when
 * type is missing, a sticky error "device 'igb' is not in QEMU emulator
 * version 7.2.22 (...) (BINARY): NEEDS" (needs: e.g. "needs QEMU >= 8.0",
 * may be NULL).  Returns 0 or -1.
 */
int qts_require_device(struct qts *q, const char *type, const char *needs);

/* ms, or if 0 the default: $PCIDC_QTS_TIMEOUT_MS (1..3600000), else 30 s. */
unsigned int qts_timeout_ms(unsigned int ms);

/* --- qtest commands ------------------------------------------------------ */

int qts_outb(struct qts *q, uint16_t port, uint8_t v);
int qts_outw(struct qts *q, uint16_t port, uint16_t v);
int qts_outl(struct qts *q, uint16_t port, uint32_t v);
uint8_t qts_inb(struct qts *q, uint16_t port);
uint16_t qts_inw(struct qts *q, uint16_t port);
uint32_t qts_inl(struct qts *q, uint16_t port);

int qts_writeb(struct qts *q, uint64_t addr, uint8_t v);
int qts_writew(struct qts *q, uint64_t addr, uint16_t v);
int qts_writel(struct qts *q, uint64_t addr, uint32_t v);
int qts_writeq(struct qts *q, uint64_t addr, uint64_t v);
uint8_t qts_readb(struct qts *q, uint64_t addr);
uint16_t qts_readw(struct qts *q, uint64_t addr);
uint32_t qts_readl(struct qts *q, uint64_t addr);
uint64_t qts_readq(struct qts *q, uint64_t addr);

/*
 * Guest memory as bytes (little-endian guest), through b64read/b64write in
 * chunks of 256 KiB.  len 0 is a no-op.
 */
int qts_memread(struct qts *q, uint64_t addr, void *buf, size_t len);
int qts_memwrite(struct qts *q, uint64_t addr, const void *buf, size_t len);
int qts_memset(struct qts *q, uint64_t addr, uint8_t v, size_t len);

/* --- interrupts ----------------------------------------------------------- */

/* Intercept the GPIO inputs of a QOM object, e.g. "ioapic". */
int qts_irq_intercept_in(struct qts *q, const char *qom_path);

/* Read pending IRQ lines, waiting at most wait_ms (0: only what is there). */
int qts_irq_poll(struct qts *q, unsigned int wait_ms);

bool qts_irq_level(const struct qts *q, unsigned int pin);
unsigned long qts_irq_raises(const struct qts *q, unsigned int pin);
unsigned long qts_irq_lowers(const struct qts *q, unsigned int pin);
/* Zero the raise/lower counters (levels are kept). */
void qts_irq_reset_counts(struct qts *q);

/* Called for every IRQ line as it is parsed (raised: true for "raise"). */
typedef void (*qts_irq_hook)(void *arg, unsigned int pin, bool raised);
void qts_set_irq_hook(struct qts *q, qts_irq_hook hook, void *arg);

/* --- statistics and raw access -------------------------------------------- */

/* Commands sent and replies received so far. */
unsigned long qts_nr_commands(const struct qts *q);

/*
 * Kill and reap every live QEMU started by qts and remove the temporary
 * directories.  Async-signal-safe; the instances stay allocated but dead.
 */
void qts_cleanup_all(void);

/* --- pure parsing (no QEMU; unit-tested in tests/test_qts_parse.c) -------- */

enum qts_line_kind {
    QTS_LINE_OK,        /* "OK" with optional payload in *payload */
    QTS_LINE_FAIL,      /* "FAIL ..." or "ERR ..." */
    QTS_LINE_IRQ,       /* "IRQ raise N" / "IRQ lower N" */
    QTS_LINE_BAD,       /* anything else: malformed */
};

struct qts_line {
    enum qts_line_kind kind;
    const char *payload;    /* OK: text after "OK " or ""; FAIL: message */
    unsigned int irq_pin;   /* IRQ: pin */
    bool irq_raise;         /* IRQ: raise (true) or lower */
};

/* Classify one reply line (without '\n'); line must stay alive. */
void qts_parse_line(const char *line, struct qts_line *out);

/*
 * Parse one number "0x<hex>" (at most 16 digits, whole string) into *v.
 * Returns 0 or -1.  Payload of readX/inX replies.
 */
int qts_parse_u64(const char *text, uint64_t *v);

/*
 * Decode "0x<hex>" of exactly 2*len hex digits into buf (reply of
 * "read ADDR LEN").  Returns 0 or -1 (missing prefix, wrong length,
 * non-hex digit).
 */
int qts_parse_hex(const char *text, void *buf, size_t len);

/*
 * Encode buf as "0x<hex>" into out (2*len + 3 bytes with the NUL).
 * Returns out.
 */
char *qts_format_hex(const void *buf, size_t len, char *out);

/*
 * Base64 (standard alphabet, '=' padding), as "b64read"/"b64write" use it;
 * qts_memread/qts_memwrite use these (QEMU's hex "read" is far slower).
 * qts_b64_len: characters for len bytes, without the NUL.
 * qts_parse_b64: decode exactly len bytes; -1 on wrong length, padding or
 * character.  qts_format_b64: encode into out (qts_b64_len + 1 bytes).
 */
size_t qts_b64_len(size_t len);
int qts_parse_b64(const char *text, void *buf, size_t len);
char *qts_format_b64(const void *buf, size_t len, char *out);

#endif /* SIM_QTS_H */
