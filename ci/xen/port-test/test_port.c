/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Xen port (src/port/xen/xen-port.c) and the core, built as a
 * user-space program over a fake Xen (fake_xen.c), run through the
 * situations a booted Xen rarely shows: bridge ranges that overlap (the
 * core refuses them, the port falls back), more functions than a plan
 * holds, a function that stops answering, no MMCFG, a second segment.
 * Each test runs in a process of its own: the port's state is static and
 * its crash path runs once.  Output: one line per check, then
 * "port-test: N passed, M failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xen/pci-crash.h>

#include "fake_port_test.h"

#define SBDF(seg, bus, dev, fn) \
    ((uint32_t)(seg) << 16 | (uint32_t)(bus) << 8 | (dev) << 3 | (fn))

/* Topology T, in Xen's list order: the NIC comes before its bridge. */
#define HOST    SBDF(0, 0, 0, 0)        /* kept: host bridge */
#define BR_A    SBDF(0, 0, 1, 0)        /* buses 1-1, above the UART: kept */
#define UART    SBDF(0, 1, 0, 0)        /* kept: Xen's console (dom_xen) */
#define NIC     SBDF(0, 2, 0, 0)
#define BR_B    SBDF(0, 0, 2, 0)        /* buses 2-2, above the NIC */
#define DISK    SBDF(0, 0, 0x1f, 2)

static struct { int passed, failed; } *counts;

static void check(bool ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One line per check: the log excerpts some carry lose their newlines. */
static void check(bool ok, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for ( char *p = text; (p = strchr(p, '\n')); )
        *p = ' ';
    printf("  %s: %s\n", ok ? "ok  " : "FAIL", text);
    if ( ok )
        counts->passed++;
    else
        counts->failed++;
}

static bool logged(const char *text)
{
    return strstr(fake.log, text) != NULL;
}

static unsigned int count_logged(const char *text)
{
    unsigned int n = 0;

    for ( const char *p = fake.log; (p = strstr(p, text)); p++ )
        n++;
    return n;
}

static void option(const char *value)
{
    int rc = fake_param_parse(value);

    check(rc == 0, "pci-crash-disconnect=%s accepted (%d)", value, rc);
}

static void topology_t(void)
{
    struct fake_func *f;

    f = fake_add(HOST, 0x29c08086, 0x0600, 0, 0x0006);
    f->pdev.type = DEV_TYPE_PCI_HOST_BRIDGE;
    fake_bridge(BR_A, 1, 1, 0x0007);
    f = fake_add(UART, 0x00021b36, 0x0700, 0, 0x0001);
    f->pdev.domain = dom_xen;
    fake_add(NIC, 0x100e8086, 0x0200, 0, 0x0007);
    fake_bridge(BR_B, 2, 2, 0x0007);
    fake_add(DISK, 0x29228086, 0x0106, 0, 0x0507);
}

/* The crash path, with Xen's locked config accessor forbidden. */
static unsigned int crash(void)
{
    unsigned int n;

    fake.nr_writes = 0;
    fake.mmcfg_reads = fake.port_ops = 0;
    fake.at_crash = true;
    n = pci_crash_disconnect();
    fake.at_crash = false;
    return n;
}

/* The crash path's config writes: COMMAND of each sbdf, in this order. */
static void expect_writes(const char *what, unsigned int nr,
                          const uint32_t *sbdf, const uint16_t *value)
{
    bool ok = fake.nr_writes == nr;

    for ( unsigned int i = 0; ok && i < nr; i++ )
        ok = fake.writes[i].sbdf == sbdf[i] && fake.writes[i].reg == 4 &&
             fake.writes[i].value == value[i];
    check(ok, "%s: %u COMMAND writes as expected (%u made; first %05x=%04x)",
          what, nr, fake.nr_writes, fake.nr_writes ? fake.writes[0].sbdf : 0,
          fake.nr_writes ? fake.writes[0].value : 0);
}

/* --- Tests ------------------------------------------------------------------ */

static void t_parse(void)
{
    static const struct { const char *s; int rc; } cases[] = {
        { "", 0 }, { "1", 0 }, { "0", 0 }, { "no", 0 }, { "yes", 0 },
        { "seed", 0 }, { "1,test-fallback", 0 }, { "seed,test-fallback", 0 },
        { "no-test-fallback", 0 }, { "test-fallback=0", 0 },
        { "bogus", -EINVAL }, { "seedling", -EINVAL }, { "1,bogus", -EINVAL },
        { "see", -EINVAL }, { "1,early=0", 0 }, { "no-early", 0 },
        { "earl", -EINVAL },
    };

    check(!strcmp(fake_param_name, "pci-crash-disconnect"),
          "the parser is registered as '%s'", fake_param_name);
    for ( unsigned int i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        int rc = fake_param_parse(cases[i].s);

        check(rc == cases[i].rc, "parse '%s': %d (want %d)", cases[i].s, rc,
              cases[i].rc);
    }
}

static void t_off(void)
{
    option("0");
    topology_t();
    pci_crash_plan_update();
    check(fake.log[0] == '\0' && fake.conf_reads == 0,
          "off: no plan, no config read ('%.60s')", fake.log);
    check(crash() == 0 && fake.nr_writes == 0,
          "off: the crash path writes nothing");
}

static void t_pcidc(void)
{
    static const uint32_t sbdf[] = { BR_B, DISK, NIC };
    static const uint16_t value[] = { 0x0403, 0x0503, 0x0403 };

    option("1");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    check(logged("plan of 3 steps, pcidc (6 devices, 6 read now in 20 config "
                 "reads, 2 kept, 0 absent, 0 bridges as endpoints)"),
          "pcidc: the first update describes all 6 in 20 reads, keeps 3 "
          "(host bridge, UART, the bridge above it)");
    fake.log[0] = '\0';
    pci_crash_plan_update();
    check(logged("plan of 3 steps, pcidc (6 devices, 2 read now in 8 config "
                 "reads"), "pcidc: the next reads only the 2 bridges, 4 reads "
          "each ('%.90s')", fake.log);
    check(!logged("refused"), "pcidc: no fallback");
    check(crash() == 3, "pcidc: 3 steps written");
    expect_writes("pcidc, bridges first, decode kept", 3, sbdf, value);
    check(fake.mmcfg_reads == 3 && fake.port_ops == 0,
          "pcidc: each step read through MMCFG (%lu reads, %lu port accesses)",
          fake.mmcfg_reads, fake.port_ops);
}

/* No MMCFG: 0xCF8/0xCFC for segment 0; nothing reaches segment 1. */
static void t_cf8(void)
{
    static const uint32_t sbdf[] = { BR_B, DISK, NIC };
    static const uint16_t value[] = { 0x0403, 0x0503, 0x0403 };

    option("1");
    topology_t();
    fake_add(SBDF(1, 0, 0, 0), 0x100e8086, 0x0200, 0, 0x0007);
    pci_crash_plan_update();
    check(crash() == 4, "no MMCFG: 4 steps, one on segment 1");
    expect_writes("no MMCFG, segment 0 only", 3, sbdf, value);
    check(fake.port_ops == 12 && fake.mmcfg_reads == 0,
          "no MMCFG: read and write through 0xCF8/0xCFC, 4 accesses a step "
          "(%lu)", fake.port_ops);
}

/*
 * COMMAND is read at the crash; the one cached at plan time is written
 * only for a function that reads all ones then.
 */
static void t_cache(void)
{
    static const uint32_t sbdf[] = { BR_B, DISK, NIC };
    static const uint16_t value[] = { 0x0403, 0x0403, 0x0402 };

    option("1");
    fake.mmcfg[0] = true;
    topology_t();
    fake_find(NIC)->cfg[1] = 0x0006;
    pci_crash_plan_update();
    fake_find(NIC)->cfg[1] = 0x0007;        /* its driver enables it */
    fake_find(DISK)->cfg[1] = 0x0003;       /* ... and this one changes */
    pci_crash_plan_update();
    fake_find(NIC)->dead = true;            /* gone at the crash */
    check(crash() == 3, "cache: 3 steps");
    expect_writes("cache: the disk as read at the crash, the dead NIC as "
                  "first described", 3, sbdf, value);
}

/* A second topology: bridges A and B overlap without nesting. */
static void topology_overlap(uint8_t b_secondary, uint8_t b_subordinate)
{
    struct fake_func *f;

    f = fake_add(HOST, 0x29c08086, 0x0600, 0, 0x0006);
    f->pdev.type = DEV_TYPE_PCI_HOST_BRIDGE;
    fake_bridge(SBDF(0, 0, 1, 0), 1, 3, 0x0007);
    fake_bridge(SBDF(0, 0, 2, 0), b_secondary, b_subordinate, 0x0007);
    f = fake_add(SBDF(0, 2, 0, 0), 0x00021b36, 0x0700, 0, 0x0001);
    f->pdev.domain = dom_xen;
    fake_add(SBDF(0, 1, 0, 0), 0x100e8086, 0x0200, 0, 0x0007);
    fake_add(SBDF(0, 4, 0, 0), 0x29228086, 0x0106, 0, 0x0507);
    fake_bridge(SBDF(0, 0, 3, 0), 5, 5, 0x0007);
    fake_add(SBDF(0, 5, 0, 0), 0x100e8086, 0x0200, 0, 0x0007);
}

static void t_fallback_overlap(void)
{
    static const uint32_t sbdf[] = {
        SBDF(0, 1, 0, 0), SBDF(0, 4, 0, 0), SBDF(0, 0, 3, 0), SBDF(0, 5, 0, 0),
    };
    static const uint16_t value[] = { 0x0403, 0x0503, 0x0403, 0x0403 };

    option("1");
    fake.mmcfg[0] = true;
    topology_overlap(2, 4);
    pci_crash_plan_update();
    check(logged("plan refused: bridge bus ranges overlap without nesting "
                 "(-5); fallback published: 4 steps in list order, bridge "
                 "ranges unchecked, 2 bridges kept by bus range"),
          "overlap: the core refuses, the port says it falls back ('%.200s')",
          fake.log);
    check(logged("plan of 4 steps, pcidc fallback ("),
          "overlap: the plan line names the fallback");
    check(crash() == 4, "overlap: 4 steps written");
    expect_writes("overlap: list order, both bridges holding the UART's bus "
                  "kept", 4, sbdf, value);
}

/* Control: the same with B's range moved off A's: no fallback. */
static void t_overlap_control(void)
{
    static const uint32_t sbdf[] = {
        SBDF(0, 0, 2, 0), SBDF(0, 0, 3, 0), SBDF(0, 1, 0, 0),
        SBDF(0, 4, 0, 0), SBDF(0, 5, 0, 0),
    };
    static const uint16_t value[] = { 0x0403, 0x0403, 0x0403, 0x0503, 0x0403 };

    option("1");
    fake.mmcfg[0] = true;
    topology_overlap(4, 4);
    pci_crash_plan_update();
    check(!logged("refused") && logged("plan of 5 steps, pcidc ("),
          "control: nested ranges, no fallback ('%.100s')", fake.log);
    check(crash() == 5, "control: 5 steps written");
    expect_writes("control: bridges first", 5, sbdf, value);
}

static void t_test_fallback(void)
{
    static const uint32_t sbdf[] = { NIC, BR_B, DISK };
    static const uint16_t value[] = { 0x0403, 0x0403, 0x0503 };

    option("1,test-fallback");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    pci_crash_plan_update();
    check(count_logged("plan refused: unknown flags (-8); fallback published: "
                       "3 steps in list order, bridge ranges unchecked, 1 "
                       "bridges kept by bus range") == 2,
          "test-fallback: every update refused and fallen back ('%.140s')",
          fake.log);
    check(crash() == 3, "test-fallback: 3 steps written");
    expect_writes("test-fallback: list order, the UART's bridge kept", 3,
                  sbdf, value);
}

static void t_seed(void)
{
    static const uint32_t sbdf[] = { HOST, BR_A, UART, NIC, BR_B, DISK };
    static const uint16_t value[6] = { 0 };

    option("seed");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    check(logged("plan of 6 steps, seed ("), "seed: every function planned "
          "('%.60s')", fake.log);
    check(crash() == 6, "seed: 6 steps written");
    expect_writes("seed: 0 to every function in list order", 6, sbdf, value);
    check(fake.mmcfg_reads == 0 && fake.port_ops == 0,
          "seed: nothing read at the crash (nothing of COMMAND survives)");
}

static void t_seed_fallback(void)
{
    option("seed,test-fallback");
    topology_t();
    pci_crash_plan_update();
    check(logged("fallback published: 6 steps in list order, bridge ranges "
                 "unchecked, 0 bridges kept by bus range"),
          "seed's fallback: every function, none kept ('%.120s')", fake.log);
}

/* A VF's vendor ID reads all ones; its COMMAND is read once. */
static void t_vf(void)
{
    static const uint32_t sbdf[] = { SBDF(0, 3, 0, 1) };
    static const uint16_t value[] = { 0x0400 };
    struct fake_func *f;

    option("1");
    fake.mmcfg[0] = true;
    f = fake_add(HOST, 0x29c08086, 0x0600, 0, 0x0006);
    f->pdev.type = DEV_TYPE_PCI_HOST_BRIDGE;
    f = fake_add(SBDF(0, 3, 0, 1), 0xffffffff, 0x0200, 0, 0x0004);
    f->pdev.info.is_virtfn = true;
    fake_add(SBDF(0, 3, 0, 2), 0x100e8086, 0x0200, 0, 0x0007)->dead = true;
    pci_crash_plan_update();
    check(logged("plan of 1 steps, pcidc (3 devices, 3 read now in 5 config "
                 "reads, 1 kept, 1 absent"),
          "VF: one read; a function not answering left out ('%.100s')",
          fake.log);
    check(crash() == 1, "VF: 1 step written");
    expect_writes("VF: Bus Master off", 1, sbdf, value);
}

/* The early pass, on its own: writes made, MMCFG and port accesses. */
static void early(void)
{
    fake.nr_writes = 0;
    fake.mmcfg_reads = fake.mmcfg_writes = fake.port_ops = 0;
    fake.at_crash = true;
    pci_crash_disconnect_early();
    fake.at_crash = false;
}

static void t_early(void)
{
    static const uint32_t sbdf[] = { BR_B, DISK, NIC };
    static const uint16_t value[] = { 0x0403, 0x0503, 0x0403 };

    option("1");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    early();
    expect_writes("early pass, the plan's order and values", 3, sbdf, value);
    check(fake.mmcfg_reads == 3 && fake.port_ops == 0,
          "early pass: MMCFG only (%lu reads, %lu port accesses)",
          fake.mmcfg_reads, fake.port_ops);
    fake_find(NIC)->cfg[1] |= 0x0004;
    check(crash() == 3, "early pass, then the core's: 3 steps written");
    check(!(fake_find(NIC)->cfg[1] & 0x0004),
          "the core's pass undoes a Bus Master turned on after the early one");
    early();
    check(fake.nr_writes == 0 && fake.mmcfg_reads == 0,
          "the early pass runs once (%u writes)", fake.nr_writes);
}

/* No MMCFG: the early pass leaves everything to the core's. */
static void t_early_cf8(void)
{
    option("1");
    topology_t();
    pci_crash_plan_update();
    early();
    check(fake.nr_writes == 0 && fake.port_ops == 0,
          "early pass without MMCFG: no write, no 0xCF8/0xCFC access "
          "(%u writes, %lu port accesses)", fake.nr_writes, fake.port_ops);
    check(crash() == 3, "no MMCFG: the core's pass writes the 3 steps");
}

/* A crash while another CPU rebuilds the plan. */
static void t_early_in_update(void)
{
    option("1");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    fake.in_update = early;
    pci_crash_plan_update();
    fake.in_update = NULL;
    check(fake.nr_writes == 0 && fake.mmcfg_reads == 0,
          "early pass during a plan update: nothing read or written (%u "
          "writes, %lu reads)", fake.nr_writes, fake.mmcfg_reads);
}

static void t_early_off(void)
{
    option("1,no-early");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    early();
    check(fake.nr_writes == 0 && fake.mmcfg_reads == 0,
          "no-early: no early pass (%u writes)", fake.nr_writes);
    check(crash() == 3, "no-early: the core's pass writes the 3 steps");
}

static void t_early_seed(void)
{
    option("seed");
    fake.mmcfg[0] = true;
    topology_t();
    pci_crash_plan_update();
    early();
    check(fake.nr_writes == 0 && fake.mmcfg_reads == 0,
          "seed: no early pass (%u writes)", fake.nr_writes);
}

static void t_overflow(void)
{
    option("1");
    fake.mmcfg[0] = true;
    for ( unsigned int i = 0; i < 4100; i++ )
        fake_add(SBDF(0, 1 + i / 256, 0, 0) + i % 256, 0x100e8086, 0x0200, 0,
                 0x0007);
    pci_crash_plan_update();
    check(logged("more than 4096 PCI functions: the plan leaves 4 of 4100 out"),
          "overflow: the port says what it left out ('%.90s')", fake.log);
    check(logged("plan of 4096 steps, pcidc (4100 devices"),
          "overflow: a plan of the first 4096 published");
    check(crash() == 4096, "overflow: 4096 steps written");
}

/* funcs[] and known[] in proportion to the functions, allocated at plan time. */
static void t_memory(void)
{
    option("1");
    fake.mmcfg[0] = true;
    topology_t();
    fake.no_memory = true;
    pci_crash_plan_update();
    check(logged("no memory for the PCI functions") && crash() == 0,
          "no memory: no plan, and the port says so ('%.80s')", fake.log);
}

static void t_memory_grow(void)
{
    option("1");
    fake.mmcfg[0] = true;
    for ( unsigned int i = 0; i < 256; i++ )
    {
        fake_add(SBDF(0, 1 + i / 32, i % 32, 0), 0x100e8086, 0x0200, 0, 0x0007);
        pci_crash_plan_update();
    }
    check(fake.allocs == 2 * 8 && fake.alloc_bytes == 784 * 20,
          "256 functions added one by one: 8 reallocations, 16 to 271 "
          "functions (%u allocations, %zu bytes in all)",
          fake.allocs, fake.alloc_bytes);
    fake.no_memory = true;
    for ( unsigned int i = 0; i < 100; i++ )
        fake_add(SBDF(0, 20 + i / 32, i % 32, 0), 0x100e8086, 0x0200, 0,
                 0x0007);
    fake.log[0] = '\0';
    pci_crash_plan_update();
    check(logged("no memory for more PCI functions") && crash() == 256,
          "no memory for 356: the plan of 256 stays ('%.80s')", fake.log);
}

/* Each test in a process of its own: fresh static state. */
static void run(const char *name, void (*test)(void))
{
    pid_t pid;
    int status;

    printf("%s:\n", name);
    fflush(stdout);
    pid = fork();
    if ( pid == 0 )
    {
        test();
        fflush(stdout);
        _exit(0);
    }
    if ( pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
         WEXITSTATUS(status) )
        check(false, "%s: the test process failed", name);
}

int main(void)
{
    counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if ( counts == MAP_FAILED )
        return 2;
    run("parse", t_parse);
    run("off", t_off);
    run("pcidc", t_pcidc);
    run("no MMCFG", t_cf8);
    run("cached COMMAND", t_cache);
    run("overlapping bridges", t_fallback_overlap);
    run("nested bridges (control)", t_overlap_control);
    run("test-fallback", t_test_fallback);
    run("seed", t_seed);
    run("seed with test-fallback", t_seed_fallback);
    run("VF and absent function", t_vf);
    run("more than 4096 functions", t_overflow);
    run("early pass", t_early);
    run("early pass, no MMCFG", t_early_cf8);
    run("early pass during a plan update", t_early_in_update);
    run("early pass, seed", t_early_seed);
    run("early pass, switched off", t_early_off);
    run("no memory", t_memory);
    run("memory grows with the functions", t_memory_grow);
    printf("port-test: %d passed, %d failed\n", counts->passed, counts->failed);
    return counts->failed ? 1 : 0;
}
