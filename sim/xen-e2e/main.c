/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the real crash, end to end.
 *
 * Boots a Xen hypervisor under QEMU (q35, intel-iommu, e1000, AHCI disk,
 * and the PCI UART behind a pci-bridge that carries Xen's console) with a
 * Debian Linux dom0 whose initramfs (ci/e2e/images.sh) drives the
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
 *   - Xen's console: the lines that still arrive on the PCI UART after
 *     the crash path's disconnect step, and whether the CPU still reaches
 *     the UART's registers (its IER, read through qtest).
 *
 * Each run is a child process with its own QEMU (sim/qemu/qts); up to --jobs
 * run at once.  Results: a Markdown table on stdout, --json FILE, and per
 * run a console log under --out.  With --expect the exit status says
 * whether every run met its expected outcome (see e2e_verdict()).
 *
 * This file reads the command line and reports; the other parts are under
 * sim/xen-e2e/: runs.c (runs as child processes), run.c (one run),
 * console.c (the serial lines and frame flood threads), watch.c (guest
 * state through qtest), report.c (verdict, JSON), table.c (the Markdown
 * tables), xen_e2e.h (what they share).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>

#include "xen_e2e.h"

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

/* ------------------------------------------------------------------------ */
/* Command line                                                              */

const char *const e2e_mode_word[E2E_NR_MODES] = {
    [E2E_STOCK] = "off", [E2E_PCIDC] = "on", [E2E_SEED] = "seed",
    [E2E_FALLBACK] = "fallback",
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: xen-e2e --xen ELF [options] RUN...\n"
"  RUN: MODE[:crash-disable][:bridge], or all (off, on, seed, each with\n"
"       and without crash-disable); MODE: off (stock), on (pcidc), seed\n"
"       (the 2011 patch), fallback (pcidc's plan after a refused one)\n"
"  --xen ELF          hypervisor (multiboot ELF, e.g. build/xen/on/xen)\n"
"  --images DIR       guest images from ci/e2e/images.sh (build/e2e/img)\n"
"  --out DIR          per-run console logs (build/e2e/runs)\n"
"  --json FILE        results as JSON\n"
"  --table FILE       the Markdown tables (also printed on stdout)\n"
"  --switch-on WORD   Xen command-line word turning the disconnect on\n"
"  --switch-off WORD  ... off,  --switch-seed WORD  ... to the seed's,\n"
"  --switch-fallback WORD  ... on with its fallback plan forced\n"
"  --label TEXT       what --xen is, for the table\n"
"  --clear HEX, --set HEX  pcidc's policy: COMMAND after the crash path\n"
"                     is (COMMAND & ~clear) | set (0004 and 0400)\n"
"  --value HEX        a policy writing one value: --clear ffff --set HEX;\n"
"                     every HEX with or without 0x\n"
"  --jobs N           runs at once (2)     --rate N  frames per second (2000)\n"
"  --smp N            CPUs (2)             --crash key|sysrq  (key)\n"
"  --qemu BIN         QEMU binary          --expect  exit 1 unless every run passes\n"
"  --e1000-behind-bridge  every run's e1000 on a pci-bridge's bus (:bridge)\n"
"  --dry-run          print the runs and their Xen command lines, start nothing\n");
}

/* "off", "seed:bridge", "on:crash-disable:bridge", ... */
static int parse_run(struct e2e_run_cfg *c, const char *spec)
{
    size_t n = strcspn(spec, ":");
    int mode = -1;

    *c = (struct e2e_run_cfg){ 0 };
    for ( int m = 0; m < E2E_NR_MODES; m++ )
        if ( strlen(e2e_mode_word[m]) == n && !strncmp(spec, e2e_mode_word[m], n) )
            mode = m;
    if ( mode < 0 )
        return -1;
    c->mode = (enum e2e_mode)mode;
    for ( spec += n; *spec; spec += n )
    {
        spec++;
        n = strcspn(spec, ":");
        if ( n == 13 && !strncmp(spec, "crash-disable", n) && !c->crash_disable )
            c->crash_disable = true;
        else if ( n == 6 && !strncmp(spec, "bridge", n) && !c->bridge )
            c->bridge = true;
        else
            return -1;
    }
    snprintf(c->name, sizeof(c->name), "%s/%s%s", e2e_mode_word[c->mode],
             c->crash_disable ? "crash-disable" : "default",
             c->bridge ? "+bridge" : "");
    return 0;
}

static int add_run(struct e2e_opts *o, const char *spec)
{
    static const char *const all[] = {
        "off", "on", "seed", "off:crash-disable", "on:crash-disable",
        "seed:crash-disable",
    };

    if ( strcmp(spec, "all") == 0 )
    {
        for ( unsigned int i = 0; i < sizeof(all) / sizeof(all[0]); i++ )
            if ( add_run(o, all[i]) != 0 )
                return -1;
        return 0;
    }
    if ( o->nr_runs == E2E_MAX_RUNS || parse_run(&o->run[o->nr_runs], spec) != 0 )
        return -1;
    o->nr_runs++;
    return 0;
}

/* Hexadecimal, "0x" optional: "0400", "0x0400", "400"; 0..0xffff. */
static int parse_hex16(const char *s, uint16_t *v)
{
    const char *digits = s;
    unsigned long value;
    char *end;

    if ( digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') )
        digits += 2;
    if ( !isxdigit((unsigned char)digits[0]) )
        return -1;
    errno = 0;
    value = strtoul(digits, &end, 16);
    if ( errno || *end || value > 0xffff )
        return -1;
    *v = (uint16_t)value;
    return 0;
}

/* Decimal, min..max. */
static int parse_count(const char *s, unsigned int min, unsigned int max,
                       unsigned int *v)
{
    unsigned long value;
    char *end;

    if ( !isdigit((unsigned char)s[0]) )
        return -1;
    errno = 0;
    value = strtoul(s, &end, 10);
    if ( errno || *end || value < min || value > max )
        return -1;
    *v = (unsigned int)value;
    return 0;
}

enum { OPT_XEN = 256, OPT_IMAGES, OPT_OUT, OPT_JSON, OPT_TABLE, OPT_QEMU,
       OPT_SWITCH_ON, OPT_SWITCH_OFF, OPT_SWITCH_SEED, OPT_SWITCH_FALLBACK,
       OPT_LABEL, OPT_VALUE, OPT_CLEAR, OPT_SET, OPT_JOBS, OPT_RATE, OPT_SMP,
       OPT_CRASH, OPT_EXPECT, OPT_BRIDGE, OPT_DRY_RUN, OPT_HELP };

static const struct option long_opts[] = {
    { "xen", required_argument, NULL, OPT_XEN },
    { "images", required_argument, NULL, OPT_IMAGES },
    { "out", required_argument, NULL, OPT_OUT },
    { "json", required_argument, NULL, OPT_JSON },
    { "table", required_argument, NULL, OPT_TABLE },
    { "qemu", required_argument, NULL, OPT_QEMU },
    { "switch-on", required_argument, NULL, OPT_SWITCH_ON },
    { "switch-off", required_argument, NULL, OPT_SWITCH_OFF },
    { "switch-seed", required_argument, NULL, OPT_SWITCH_SEED },
    { "switch-fallback", required_argument, NULL, OPT_SWITCH_FALLBACK },
    { "label", required_argument, NULL, OPT_LABEL },
    { "value", required_argument, NULL, OPT_VALUE },
    { "clear", required_argument, NULL, OPT_CLEAR },
    { "set", required_argument, NULL, OPT_SET },
    { "jobs", required_argument, NULL, OPT_JOBS },
    { "rate", required_argument, NULL, OPT_RATE },
    { "smp", required_argument, NULL, OPT_SMP },
    { "crash", required_argument, NULL, OPT_CRASH },
    { "expect", no_argument, NULL, OPT_EXPECT },
    { "e1000-behind-bridge", no_argument, NULL, OPT_BRIDGE },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

static const char *opt_name(int opt)
{
    for ( const struct option *lo = long_opts; lo->name; lo++ )
        if ( lo->val == opt )
            return lo->name;
    return "?";
}

/* An option with a number or a word: 0, or -1 with the reason printed. */
static int parse_value_opt(struct e2e_opts *o, int opt, const char *val)
{
    int rc = -1;

    switch ( opt )
    {
    case OPT_VALUE:
    case OPT_CLEAR:
    case OPT_SET:
        if ( (rc = parse_hex16(val, opt == OPT_CLEAR ? &o->policy.clear
                                                     : &o->policy.set)) != 0 )
            fprintf(stderr, "xen-e2e: --%s wants a hexadecimal COMMAND "
                    "value from 0 to ffff (e.g. 0400 or 0x0400), not '%s'\n",
                    opt_name(opt), val);
        else if ( opt == OPT_VALUE )
            o->policy.clear = 0xffff;
        return rc;
    case OPT_JOBS:
        rc = parse_count(val, 1, E2E_MAX_RUNS, &o->jobs);
        break;
    case OPT_RATE:
        rc = parse_count(val, 1, 0xffff, &o->rate);
        break;
    case OPT_SMP:
        rc = parse_count(val, 1, 8, &o->smp);
        break;
    case OPT_CRASH:
        if ( strcmp(val, "key") && strcmp(val, "sysrq") )
            break;
        o->crash = strcmp(val, "key") ? E2E_CRASH_SYSRQ : E2E_CRASH_KEY;
        return 0;
    }
    if ( rc != 0 )
        fprintf(stderr, "xen-e2e: bad value for --%s: '%s'\n",
                opt_name(opt), val);
    return rc;
}

/* One option from getopt_long(): 0, 1 for --help, -1 on a bad one. */
static int parse_opt(struct e2e_opts *o, int opt, const char *val)
{
    switch ( opt )
    {
    case OPT_XEN: o->xen = val; return 0;
    case OPT_IMAGES: o->images = val; return 0;
    case OPT_OUT: o->out = val; return 0;
    case OPT_JSON: o->json = val; return 0;
    case OPT_TABLE: o->table = val; return 0;
    case OPT_QEMU: o->qemu = val; return 0;
    case OPT_SWITCH_ON: o->arg[E2E_PCIDC] = val; return 0;
    case OPT_SWITCH_OFF: o->arg[E2E_STOCK] = val; return 0;
    case OPT_SWITCH_SEED: o->arg[E2E_SEED] = val; return 0;
    case OPT_SWITCH_FALLBACK: o->arg[E2E_FALLBACK] = val; return 0;
    case OPT_LABEL: o->label = val; return 0;
    case OPT_EXPECT: o->expect = true; return 0;
    case OPT_BRIDGE: o->bridge = true; return 0;
    case OPT_DRY_RUN: o->dry_run = true; return 0;
    case OPT_HELP: return 1;
    case OPT_VALUE: case OPT_CLEAR: case OPT_SET: case OPT_JOBS:
    case OPT_RATE: case OPT_SMP: case OPT_CRASH:
        return parse_value_opt(o, opt, val);
    }
    return -1;
}

/* 0, 1 for --help, -1 on bad usage (the reason printed). */
static int parse_args(struct e2e_opts *o, int argc, char **argv)
{
    int opt, rc;

    *o = (struct e2e_opts){
        .images = "build/e2e/img", .out = "build/e2e/runs",
        .arg = { [E2E_STOCK] = "", [E2E_PCIDC] = "" }, .label = NULL,
        .jobs = 2, .rate = 2000, .smp = 2,
        .policy = { .clear = 0x0004, .set = 0x0400 }, .crash = E2E_CRASH_KEY,
    };
    opterr = 0;
    while ( (opt = getopt_long(argc, argv, ":", long_opts, NULL)) != -1 )
    {
        if ( opt == '?' || opt == ':' )
        {
            fprintf(stderr, opt == ':' ? "xen-e2e: %s needs a value\n"
                                       : "xen-e2e: unknown option %s\n",
                    argv[optind - 1]);
            return -1;
        }
        if ( (rc = parse_opt(o, opt, optarg)) != 0 )
            return rc;
    }
    for ( ; optind < argc; optind++ )
        if ( add_run(o, argv[optind]) != 0 )
        {
            fprintf(stderr, "xen-e2e: bad run '%s' (MODE[:crash-disable]"
                    "[:bridge] or all, MODE off, on, seed or fallback; at most "
                    "%d runs)\n", argv[optind], E2E_MAX_RUNS);
            return -1;
        }
    if ( !o->xen || !o->nr_runs )
    {
        fprintf(stderr, "xen-e2e: --xen and at least one RUN are required\n");
        return -1;
    }
    for ( unsigned int i = 0; i < o->nr_runs; i++ )
        if ( !o->arg[o->run[i].mode] )
        {
            fprintf(stderr, "xen-e2e: run %s needs --switch-%s\n",
                    o->run[i].name, o->run[i].mode == E2E_SEED ? "seed"
                                                               : "fallback");
            return -1;
        }
    if ( !o->label )
        o->label = o->xen;
    return 0;
}

/* --dry-run: what would run, and how. */
static void print_plan(const struct e2e_opts *o)
{
    char cmdline[512];

    printf("xen-e2e: %s; clear 0x%04x, set 0x%04x, jobs %u, rate %u, smp %u, "
           "crash %s%s\n", o->label, o->policy.clear, o->policy.set, o->jobs,
           o->rate, o->smp,
           o->crash == E2E_CRASH_KEY ? "key" : "sysrq",
           o->bridge ? ", e1000 behind a pci-bridge" : "");
    for ( unsigned int i = 0; i < o->nr_runs; i++ )
        printf("run %s: %s\n", o->run[i].name,
               e2e_xen_cmdline(o, &o->run[i], cmdline, sizeof(cmdline)));
}

/* ------------------------------------------------------------------------ */
/* Files and results                                                         */

static int check_files(const struct e2e_opts *o)
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

static int prepare_logs(const struct e2e_opts *o, struct e2e_result *rs)
{
    if ( mkdir(o->out, 0755) != 0 && errno != EEXIST )
        return -1;
    for ( unsigned int i = 0; i < o->nr_runs; i++ )
    {
        char slug[sizeof(o->run[i].name)];

        snprintf(slug, sizeof(slug), "%s", o->run[i].name);
        for ( char *p = slug; *p; p++ )
            if ( *p == '/' || *p == '+' )
                *p = '-';
        rs[i].cfg = o->run[i];
        snprintf(rs[i].log_dir, sizeof(rs[i].log_dir), "%s/%s", o->out, slug);
        if ( mkdir(rs[i].log_dir, 0755) != 0 && errno != EEXIST )
            return -1;
    }
    return 0;
}

static int write_table(const char *path, const struct e2e_opts *o,
                       struct e2e_result *rs)
{
    FILE *f = fopen(path, "w");

    if ( !f )
        return -1;
    e2e_print_table(f, o, rs, o->nr_runs);
    return fclose(f) == 0 ? 0 : -1;
}

/* On failure: where a serial line's log is, and its last lines. */
static void show_tail(const struct e2e_result *r, const char *log)
{
    char path[512], buf[3001];
    FILE *f;
    long size;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", r->log_dir, log);
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
    static struct e2e_result rs[E2E_MAX_RUNS];
    struct e2e_opts o;
    int failed = 0;

    switch ( parse_args(&o, argc, argv) )
    {
    case 1:
        return usage(stdout), 0;
    case -1:
        return usage(stderr), 2;
    }
    if ( o.dry_run )
        return print_plan(&o), 0;
    if ( check_files(&o) != 0 )
        return 2;
    if ( prepare_logs(&o, rs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot create %s: %s\n", o.out, strerror(errno));
        return 2;
    }
    catch_stop_signals();
    e2e_run_all(&o, rs, &stop_signal);
    if ( stop_signal )
    {
        fprintf(stderr, "xen-e2e: stopped by signal %d\n", (int)stop_signal);
        return 128 + stop_signal;
    }
    for ( unsigned int i = 0; i < o.nr_runs; i++ )
    {
        e2e_verdict(&o, &rs[i]);
        if ( !rs[i].pass )
        {
            failed++;
            show_tail(&rs[i], "xen-console.log");
            show_tail(&rs[i], "console.log");
        }
    }
    e2e_print_table(stdout, &o, rs, o.nr_runs);
    if ( o.table && write_table(o.table, &o, rs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot write %s: %s\n", o.table, strerror(errno));
        return 2;
    }
    if ( o.json && e2e_write_json(o.json, &o, rs, o.nr_runs) != 0 )
    {
        fprintf(stderr, "xen-e2e: cannot write %s: %s\n", o.json, strerror(errno));
        return 2;
    }
    return o.expect && failed ? 1 : 0;
}
