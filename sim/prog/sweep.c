/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sweep: random machines and crash moments through crashsim --check, many
 * at a time; the distributions per policy and every failure as the one
 * command line that reproduces it (sim/sweep/sweep.h).
 *
 * Exit status: 0 every case's properties hold, 1 a case failed, 2 usage or
 * environment error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/proc.h"
#include "sweep/sweep.h"

#define DEFAULT_CASES       24
#define DEFAULT_SEED        1
#define DEFAULT_OUT         "build/sweep"
#define DEFAULT_TIMEOUT_S   300
#define MAX_CASES           100000

static const char usage[] =
"usage: sweep [-n N] [--seed S] [-j JOBS] [--crashsim PATH] [--qemu PATH]\n"
"             [--out DIR] [--policy LIST] [--timeout-s T] [--list | --case K]\n"
"\n"
"Draws N random cases (topology of every device kind, bridges and root\n"
"ports up to 4 deep, traffic seed, window, crash moment, sometimes a plan\n"
"published during the crash path) from the sweep seed and runs each as\n"
"one 'crashsim --check' command line, JOBS at a time.  Writes\n"
"DIR/sweep.json, sweep.md, sweep.html and the plots (beyond.svg,\n"
"quiesced.svg); prints the per-policy table and, for every failed case,\n"
"the command line that reproduces it alone.\n"
"\n"
"  -n N            cases (default 24)\n"
"  --seed S        sweep seed (default 1): case K is the same everywhere\n"
"  -j JOBS         cases at a time (default: the number of CPUs)\n"
"  --crashsim PATH crashsim to run (default: ../crashsim from this program)\n"
"  --qemu PATH     the QEMU every case runs on, named in each command line\n"
"                  (default: $PCIDC_QEMU, else crashsim's default); items\n"
"                  that QEMU lacks (igb before 8.0) are not drawn\n"
"  --out DIR       where the outputs go (default build/sweep)\n"
"  --policy LIST   passed to crashsim (default: every policy that applies)\n"
"  --timeout-s T   a case still running after T s is killed and fails\n"
"  --list          print the N command lines and exit (a batch system may\n"
"                  run them anywhere: each exits 0 when its case holds)\n"
"  --case K        run case K alone, its output on the terminal\n"
"\n"
"Exit: 0 every case holds, 1 a case failed, 2 usage or environment error.\n";

struct args {
    unsigned int n, jobs, timeout_s;
    unsigned long long seed;
    const char *crashsim, *qemu, *out, *policy;
    bool list;
    long long one;              /* --case K, -1: all */
};

static char crashsim_default[PATH_MAX + 16];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                     noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("sweep: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static unsigned long long number(const char *opt, const char *text,
                                 unsigned long long max)
{
    unsigned long long v;
    char *end;

    errno = 0;
    if (!*text || *text == '-')
        die("%s: '%s' is not a number", opt, text);
    v = strtoull(text, &end, 0);
    if (errno || *end || v > max)
        die("%s: '%s' is not a number up to %llu", opt, text, max);
    return v;
}

/* crashsim in the directory above this program's (build/sim/sweep). */
static const char *crashsim_next_to_us(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0)
        return "build/crashsim";
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(crashsim_default, sizeof(crashsim_default), "%s/../crashsim",
             self);
    if (realpath(crashsim_default, self))
        snprintf(crashsim_default, sizeof(crashsim_default), "%s", self);
    return crashsim_default;
}

/* The generator draws only items the cases' QEMU has: ask its version. */
static void tell_gen_the_qemu(const char *qemu)
{
    char *const argv[] = { (char *)(qemu ? qemu : "qemu-system-x86_64"),
                           (char *)"--version", NULL };
    char cmd[PATH_MAX + 64], line[256];
    unsigned int major, minor;
    FILE *p;
    bool found = false;

    proc_quote_argv(argv, cmd, sizeof(cmd) - 8);
    strcat(cmd, " 2>&1");
    p = popen(cmd, "r");
    if (!p)
        die("cannot run %s: %s", argv[0], strerror(errno));
    while (fgets(line, sizeof(line), p))
        if (!found && strstr(line, "version ") &&
            sscanf(strstr(line, "version ") + 8, "%u.%u", &major, &minor) == 2)
            found = true;
    if (pclose(p) != 0 || !found)
        die("cannot tell the version of %s (%s --version failed)", argv[0],
            argv[0]);
    sweep_gen_qemu(major, minor);
}

static void parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "crashsim", required_argument, NULL, 'c' },
        { "qemu", required_argument, NULL, 'q' },
        { "out", required_argument, NULL, 'o' },
        { "policy", required_argument, NULL, 'p' },
        { "timeout-s", required_argument, NULL, 't' },
        { "list", no_argument, NULL, 'l' },
        { "case", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int c;

    a->n = DEFAULT_CASES;
    a->seed = DEFAULT_SEED;
    a->jobs = cpus > 0 ? (unsigned int)cpus : 1;
    a->timeout_s = DEFAULT_TIMEOUT_S;
    a->out = DEFAULT_OUT;
    a->one = -1;
    a->qemu = getenv("PCIDC_QEMU");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "n:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': a->n = (unsigned int)number("-n", optarg, MAX_CASES); break;
        case 'j': a->jobs = (unsigned int)number("-j", optarg, 64); break;
        case 's': a->seed = number("--seed", optarg, ULLONG_MAX); break;
        case 'c': a->crashsim = optarg; break;
        case 'q': a->qemu = optarg; break;
        case 'o': a->out = optarg; break;
        case 'p': a->policy = optarg; break;
        case 't': a->timeout_s = (unsigned int)number("--timeout-s", optarg,
                                                      86400); break;
        case 'l': a->list = true; break;
        case 'k': a->one = (long long)number("--case", optarg, MAX_CASES);
                  break;
        case 'h': fputs(usage, stdout); exit(0);
        default: die("bad option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die("unexpected argument '%s' (see --help)", argv[optind]);
    if (!a->jobs)
        a->jobs = 1;
    if (!a->crashsim)
        a->crashsim = crashsim_next_to_us();
    if (a->qemu && !*a->qemu)
        a->qemu = NULL;
    tell_gen_the_qemu(a->qemu);
}

static void case_argv(const struct args *a, unsigned int k, const char *json,
                      struct sweep_case *c, struct sweep_argv *argv)
{
    sweep_gen_case(a->seed, k, c);
    if (sweep_case_argv(c, a->crashsim, a->qemu, a->policy, json, argv))
        die("case %u: a command-line word does not fit", k);
}

static int list_cases(const struct args *a)
{
    static struct sweep_argv argv;
    struct sweep_case c;
    char line[4096];
    unsigned int k;

    for (k = 0; k < a->n; k++) {
        case_argv(a, k, NULL, &c, &argv);
        printf("%s\n", proc_quote_argv(argv.argv, line, sizeof(line)));
    }
    return 0;
}

/* --case K: the command line, then crashsim itself in our place. */
static int one_case(const struct args *a)
{
    static struct sweep_argv argv;
    struct sweep_case c;
    char line[4096];

    case_argv(a, (unsigned int)a->one, NULL, &c, &argv);
    printf("case %lld: %s\n", a->one, proc_quote_argv(argv.argv, line,
                                                       sizeof(line)));
    fflush(stdout);
    execv(argv.argv[0], argv.argv);
    die("cannot run %s: %s", argv.argv[0], strerror(errno));
}

/* --- the whole sweep ---------------------------------------------------------- */

struct sweep_run {
    const struct args *a;
    struct sweep_case_result *r;
    struct sweep_argv *argv;
    struct sweep_job *job;
    char (*json)[PATH_MAX];
    char (*log)[PATH_MAX];
    char (*tmp)[PATH_MAX];
    unsigned int finished;
};

static void case_done(const struct sweep_job *job, void *arg)
{
    struct sweep_run *s = arg;
    unsigned int k = (unsigned int)(job - s->job);
    struct sweep_case_result *r = &s->r[k];
    json_error_t jerr;
    json_t *report = json_load_file(s->json[k], 0, &jerr);

    sweep_collect_case(r, job, report);
    json_decref(report);
    s->finished++;
    printf("[%u/%u] case %u %s (%.1f s): %s\n", s->finished, s->a->n, k,
           r->ok ? "holds" : "FAILED", job->ms / 1000, r->c.topology);
    if (!r->ok)
        printf("    %s\n    reproduce: %s\n    log: %s\n", r->why,
               r->command, s->log[k]);
    fflush(stdout);
}

static void prepare(struct sweep_run *s, const struct args *a)
{
    static struct sweep_argv plain;
    unsigned int k;

    for (k = 0; k < a->n; k++) {
        snprintf(s->json[k], PATH_MAX, "%s/cases/%u.json", a->out, k);
        snprintf(s->log[k], PATH_MAX, "%s/cases/%u.log", a->out, k);
        snprintf(s->tmp[k], PATH_MAX, "%s/tmp/%u", a->out, k);
        case_argv(a, k, s->json[k], &s->r[k].c, &s->argv[k]);
        case_argv(a, k, NULL, &s->r[k].c, &plain);
        proc_quote_argv(plain.argv, s->r[k].command,
                        sizeof(s->r[k].command));
        unlink(s->json[k]);
        s->job[k].argv = s->argv[k].argv;
        s->job[k].log = s->log[k];
        s->job[k].tmpdir = s->tmp[k];
        s->job[k].timeout_ms = 1000.0 * a->timeout_s;
    }
}

static void write_out(const char *dir, const char *name,
                      void (*fn)(const struct sweep_summary *, FILE *),
                      const struct sweep_summary *sum)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fn(sum, f);
    if (fclose(f))
        die("cannot write %s: %s", path, strerror(errno));
}

static void dump_json(const struct sweep_summary *sum, FILE *f)
{
    json_t *doc = sweep_json(sum);

    json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(doc);
}

static void make_dirs(const char *out)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/cases", out);
    if ((mkdir(out, 0755) && errno != EEXIST) ||
        (mkdir(path, 0755) && errno != EEXIST))
        die("cannot make %s: %s", path, strerror(errno));
    snprintf(path, sizeof(path), "%s/tmp", out);
    if (mkdir(path, 0755) && errno != EEXIST)
        die("cannot make %s: %s", path, strerror(errno));
}

static int run_all(const struct args *a)
{
    struct sweep_run s = { .a = a };
    struct sweep_summary sum;
    unsigned int k, failed = 0;
    double t0;

    if (access(a->crashsim, X_OK))
        die("%s: %s (make sim builds it)", a->crashsim, strerror(errno));
    make_dirs(a->out);
    s.r = calloc(a->n ? a->n : 1, sizeof(*s.r));
    s.argv = calloc(a->n ? a->n : 1, sizeof(*s.argv));
    s.job = calloc(a->n ? a->n : 1, sizeof(*s.job));
    s.json = calloc(a->n ? a->n : 1, sizeof(*s.json));
    s.log = calloc(a->n ? a->n : 1, sizeof(*s.log));
    s.tmp = calloc(a->n ? a->n : 1, sizeof(*s.tmp));
    if (!s.r || !s.argv || !s.job || !s.json || !s.log || !s.tmp)
        die("out of memory");
    prepare(&s, a);
    printf("sweep: %u cases from seed %llu, %u at a time, %s\n", a->n,
           a->seed, a->jobs, a->crashsim);
    fflush(stdout);
    t0 = clock_ms();
    sweep_pool_run(s.job, a->n, a->jobs, case_done, &s);
    sum = (struct sweep_summary){ a->seed, a->n, a->jobs,
                                  (clock_ms() - t0) / 1000, a->crashsim,
                                  s.r };
    write_out(a->out, "sweep.json", dump_json, &sum);
    write_out(a->out, "sweep.md", sweep_markdown, &sum);
    write_out(a->out, "sweep.html", sweep_html, &sum);
    write_out(a->out, "beyond.svg", sweep_plot_beyond, &sum);
    write_out(a->out, "quiesced.svg", sweep_plot_quiesced, &sum);
    putchar('\n');
    sweep_markdown(&sum, stdout);
    printf("\n(%s/sweep.json, sweep.md, sweep.html)\n", a->out);
    for (k = 0; k < a->n; k++)
        failed += !s.r[k].ok;
    free(s.r);
    free(s.argv);
    free(s.job);
    free(s.json);
    free(s.log);
    free(s.tmp);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct args a = { 0 };

    parse_args(argc, argv, &a);
    if (a.list)
        return list_cases(&a);
    if (a.one >= 0)
        return one_case(&a);
    return run_all(&a);
}
