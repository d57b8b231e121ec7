/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashsim: run crash policies against real QEMU devices doing DMA and
 * report, byte by byte, what reached guarded memory after the crash path.
 *
 * Each policy runs in its own worker process (fresh QEMU, same seed and
 * workload), at most PCIDC_SIM_JOBS (default 2) at a time; a worker sends
 * its run as one JSON document through a pipe.
 *
 * --contracts runs build/crashsim-contracts instead (the same program linked
 * against the core instrumented by E-ACSL, proofs/proofs.mk): every call of
 * the core then runs under its ACSL contracts, and a violation aborts the
 * worker with E-ACSL's message on stderr.
 *
 * Exit status: 0 run complete (and --require-clean / --require-reachable
 * satisfied), 1 a required-clean policy corrupted memory beyond in-flight
 * requests or a required-reachable one lost the console line or a
 * register, 2 usage or environment error (one line on stderr), 3 a
 * contract of the core was violated (--contracts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/proc.h"
#include "engine/crash.h"
#include "qemu/qts.h"
#include "report/report.h"
#include "topology/spec.h"

#define DEFAULT_TOPOLOGY    "e1000,ahci,bridge(e1000,e1000,serial),nvme"
#define DEFAULT_SEED        1
#define DEFAULT_JOBS        2
#define WORKER_SLACK_MS     20000
#define WORKER_GRACE_MS     500     /* SIGTERM to SIGKILL for a hung worker */
#define CONTRACTS_PROGRAM   "crashsim-contracts"
#define EXIT_VIOLATION      3

/* Built by proofs/proofs.mk against the E-ACSL core: crashsim-contracts. */
#ifdef PCIDC_SIM_CONTRACTS
#define CONTRACTS_CHECKED   true
#else
#define CONTRACTS_CHECKED   false
#endif

static const char usage[] =
"usage: crashsim [--topology SPEC] [--policy LIST|all] [--window-ms N]\n"
"                [--seed N] [--json FILE] [--markdown FILE] [--svg FILE]\n"
"                [--html FILE] [--crash-delay-ms N] [--republish-at K]\n"
"                [--check] [--plan-only] [--require-clean LIST]\n"
"                [--require-reachable LIST] [--qemu PATH]\n"
"                [--iommu-probe] [--contracts] [-v]\n"
"\n"
"Plays a crashing hypervisor against QEMU's e1000, e1000e, AHCI, NVMe (and\n"
"its SR-IOV VFs), virtio-blk, virtio-net, igb VFs, VT-d doing DMA and a PCI\n"
"serial console, runs each crash policy on a fresh QEMU,\n"
"compares guarded memory byte by byte and checks what still answers: the\n"
"console line printed after the crash path, a register through every\n"
"endpoint's BAR. Prints a Markdown table (policies x figures) on stdout.\n"
"\n"
"  --topology SPEC   devices: e1000, e1000e, ahci, serial (pci-serial),\n"
"                    nvme, nvme(vfs=N) (N 1..2), virtio-net, virtio-blk,\n"
"                    igb(vfs=N) (N 1..7, QEMU >= 8.0), e1000*4,\n"
"                    bridge(...), rootport(...) (vfs= behind rootport\n"
"                    only), keep:DEV (preserved), iommu;\n"
"                    default " DEFAULT_TOPOLOGY "\n"
"  --policy LIST     none, seed (COMMAND = 0), linux-kexec, decode-off\n"
"                    (COMMAND = 0x0400), pcidc (read at the crash: Bus\n"
"                    Master off, INTx masked, decode kept), iommu-on (needs\n"
"                    iommu), pf-only (a control: pcidc without the SR-IOV\n"
"                    VFs; needs vfs=); comma-separated, or all\n"
"  --window-ms N     how long devices keep going after the crash (default 1000)\n"
"  --seed N          pattern and traffic seed (default 1)\n"
"  --json/--markdown/--svg/--html FILE   write the report there too (SVG:\n"
"                    the timeline; HTML: one self-contained page)\n"
"  --crash-delay-ms N   the crash comes N ms after the warm-up (default 0;\n"
"                    a NIC's ring holds 256 frames: keep delay + window\n"
"                    under about 2 s)\n"
"  --republish-at K  build a second plan after the crash path's K-th\n"
"                    write (0: between its test-and-set and its loading the\n"
"                    plan pointer): seed, decode-off, pcidc; the core must\n"
"                    refuse it, the crash path walk the first one whole\n"
"  --check           also list the plans (--plan-only) and judge the sweep's\n"
"                    properties (pcidc clean, no INTx/MSI, reachable; none\n"
"                    corrupts; plans valid and as listed; one whole plan;\n"
"                    no QEMU left); exit 1 if one fails\n"
"  --plan-only       print each policy's disconnect plan and exit (no DMA):\n"
"                    what each step would write now, which steps read\n"
"                    COMMAND at the crash\n"
"  --require-clean LIST   exit 1 unless these policies corrupt nothing beyond\n"
"                    in-flight reads (AHCI started, NVMe/virtio-blk posted)\n"
"  --require-reachable LIST   exit 1 unless, after these policies' crash\n"
"                    paths, the console line reaches every UART and every\n"
"                    checked register still answers\n"
"  --qemu PATH       qemu-system-x86_64 to run (default: $PCIDC_QEMU or PATH)\n"
"  --iommu-probe     unmap one e1000 RX page at the crash (VT-d fault record)\n"
"  --contracts       run the core under its ACSL contracts, checked by E-ACSL\n"
"                    (runs " CONTRACTS_PROGRAM " from crashsim's directory)\n"
"  -v                progress on stderr\n"
"\n"
"Exit: 0 done, 1 a --require-clean policy was not clean, a\n"
"--require-reachable one lost the console or a register, or a --check\n"
"property failed, 2 usage or\n"
"environment error (bad SPEC, QEMU missing, died, hung, malformed reply),\n"
"3 a contract of the core was violated (--contracts).\n";

struct args {
    const char *topology;
    const char *policy;
    const char *json, *markdown, *svg;
    const char *require_clean;
    const char *require_reachable;
    const char *qemu;
    unsigned long long seed;
    unsigned int window_ms;
    unsigned int crash_delay_ms;
    bool republish;
    unsigned int republish_at;
    const char *html;
    bool check;
    bool plan_only;
    bool iommu_probe;
    bool contracts;
    int verbose;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                     noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("crashsim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static unsigned long long parse_number(const char *opt, const char *text,
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

static void parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        { "topology", required_argument, NULL, 't' },
        { "policy", required_argument, NULL, 'p' },
        { "window-ms", required_argument, NULL, 'w' },
        { "seed", required_argument, NULL, 's' },
        { "json", required_argument, NULL, 'j' },
        { "markdown", required_argument, NULL, 'm' },
        { "svg", required_argument, NULL, 'g' },
        { "html", required_argument, NULL, 'H' },
        { "crash-delay-ms", required_argument, NULL, 'd' },
        { "republish-at", required_argument, NULL, 'u' },
        { "check", no_argument, NULL, 'c' },
        { "plan-only", no_argument, NULL, 'P' },
        { "require-clean", required_argument, NULL, 'r' },
        { "require-reachable", required_argument, NULL, 'R' },
        { "qemu", required_argument, NULL, 'q' },
        { "iommu-probe", no_argument, NULL, 'I' },
        { "contracts", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    a->topology = DEFAULT_TOPOLOGY;
    a->policy = "all";
    a->seed = DEFAULT_SEED;
    a->window_ms = CRASH_DEFAULT_WINDOW_MS;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 't': a->topology = optarg; break;
        case 'p': a->policy = optarg; break;
        case 'w':
            a->window_ms = (unsigned int)parse_number("--window-ms", optarg,
                                                      CRASH_MAX_WINDOW_MS);
            break;
        case 's': a->seed = parse_number("--seed", optarg, LLONG_MAX); break;
        case 'j': a->json = optarg; break;
        case 'm': a->markdown = optarg; break;
        case 'g': a->svg = optarg; break;
        case 'H': a->html = optarg; break;
        case 'c': a->check = true; break;
        case 'd':
            a->crash_delay_ms = (unsigned int)parse_number(
                "--crash-delay-ms", optarg, CRASH_MAX_DELAY_MS);
            break;
        case 'u':
            a->republish = true;
            a->republish_at = (unsigned int)parse_number("--republish-at",
                                                         optarg,
                                                         CRASH_MAX_STEPS);
            break;
        case 'P': a->plan_only = true; break;
        case 'r': a->require_clean = optarg; break;
        case 'R': a->require_reachable = optarg; break;
        case 'q': a->qemu = optarg; break;
        case 'I': a->iommu_probe = true; break;
        case 'C': a->contracts = true; break;
        case 'v': a->verbose++; break;
        case 'h': fputs(usage, stdout); exit(0);
        default:
            die("bad option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die("unexpected argument '%s' (see --help)", argv[optind]);
}

/* --- workers ---------------------------------------------------------------- */

struct worker {
    enum crash_policy policy;
    const struct crash_opts *opts;
    struct proc proc;           /* proc.out: the worker's report */
    struct proc_buf report;
    double deadline;
    bool done, hung;
};

/* When a worker (or a child) must have finished. */
static double worker_deadline(const struct crash_opts *o)
{
    return clock_ms() + o->window_ms +
           4.0 * qts_timeout_ms(o->timeout_ms) +
           WORKER_SLACK_MS;
}

/*
 * In the worker: run one policy and send the run as one JSON document
 * through stdout, a pipe to the parent.  Anything else the worker or its
 * children print to stdout goes to stderr instead.
 */
static int worker_main(void *arg)
{
    static struct crash_result res;
    const struct worker *w = arg;
    int report = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3), rc;
    json_t *run;
    char *text;

    if (report < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        return 2;
    rc = crash_run(w->opts, w->policy, &res);
    run = rc ? report_error_json(w->policy, res.error)
             : report_run_json(&res);
    text = json_dumps(run, JSON_COMPACT);
    if (text) {
        size_t off = 0, len = strlen(text);

        while (off < len) {
            ssize_t n = write(report, text + off, len - off);

            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
    close(report);
    return rc ? 2 : 0;
}

static void start_worker(struct worker *w, const struct crash_opts *o)
{
    const struct proc_opts po = { PROC_INHERIT, PROC_PIPE, PROC_INHERIT,
                                  SIGTERM };
    char err[256];

    w->opts = o;
    if (proc_fork(&w->proc, &po, worker_main, w, err, sizeof(err)))
        die("%s", err);
    w->deadline = worker_deadline(o);
}

/* A worker past its deadline: stopped, its partial report dropped. */
static void kill_worker(struct worker *w)
{
    proc_stop(&w->proc, WORKER_GRACE_MS);
    w->done = w->hung = true;
    proc_buf_free(&w->report);
}

/* Read what the worker sent; at the end of its report, reap it. */
static void read_worker(struct worker *w)
{
    if (proc_buf_read(&w->report, w->proc.out) > 0)
        return;
    close(w->proc.out);
    w->proc.out = -1;
    if (proc_wait(&w->proc, w->deadline) == 1)
        w->done = true;
    else
        kill_worker(w);
}

/* Poll the running workers' pipes once; returns how many are running. */
static unsigned int poll_workers(struct worker *w, unsigned int started)
{
    struct pollfd pfd[CRASH_NR_POLICIES];
    unsigned int idx[CRASH_NR_POLICIES], i, k;

    for (i = 0, k = 0; i < started; i++) {
        if (w[i].done)
            continue;
        if (clock_ms() > w[i].deadline) {
            kill_worker(&w[i]);
            continue;
        }
        pfd[k].fd = w[i].proc.out;
        pfd[k].events = POLLIN;
        idx[k++] = i;
    }
    if (!k)
        return 0;
    if (poll(pfd, k, 200) < 0 && errno != EINTR)
        die("poll: %s", strerror(errno));
    for (i = 0; i < k; i++)
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            read_worker(&w[idx[i]]);
    for (i = 0, k = 0; i < started; i++)
        k += !w[i].done;
    return k;
}

static void run_workers(struct worker *w, unsigned int n,
                        const struct crash_opts *o, unsigned int jobs)
{
    unsigned int next = 0, running = 0;

    while (next < n || running) {
        while (running < jobs && next < n) {
            start_worker(&w[next++], o);
            running++;
        }
        running = poll_workers(w, next);
    }
}

/*
 * Why a worker sent no report.  In the E-ACSL build an abort is E-ACSL
 * stopping the program on a violated contract (it printed which on stderr);
 * the simulator itself never aborts.
 */
static const char *worker_failure(const struct worker *w, bool *violation)
{
    static char line[128];
    int status = w->proc.status;
    char how[96];

    if (w->hung)
        return "worker hung (killed at its deadline)";
    if (!WIFSIGNALED(status)) {
        snprintf(line, sizeof(line), "worker exited (%d) without a report",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return line;
    }
    if (CONTRACTS_CHECKED && WTERMSIG(status) == SIGABRT) {
        *violation = true;
        return "contract violated: E-ACSL stopped the run (its message, "
               "with the failing predicate, is on stderr)";
    }
    snprintf(line, sizeof(line), "worker %s",
             proc_status_str(status, how, sizeof(how)));
    return line;
}

static json_t *collect(struct worker *w, unsigned int n,
                       const char **first_error, bool *violation)
{
    static char line[600];
    json_t *runs = json_array(), *run;
    const char *text;
    json_error_t jerr;
    unsigned int i;

    for (i = 0; i < n; i++) {
        bool violated = false;

        text = w[i].report.data;
        run = text ? json_loads(text, 0, &jerr) : NULL;
        if (!run)
            run = report_error_json(w[i].policy,
                                    text ? "worker sent malformed output"
                                         : worker_failure(&w[i], &violated));
        /* The error told is the first one, or the first violation. */
        if (json_object_get(run, "error") &&
            (!*first_error || (violated && !*violation))) {

            snprintf(line, sizeof(line), "%s: %s", crash_policy_name(w[i].policy),
                     json_string_value(json_object_get(run, "error")));
            *first_error = line;
        }
        *violation = *violation || violated;
        json_array_append_new(runs, run);
        proc_buf_free(&w[i].report);
    }
    return runs;
}

/* --- outputs ---------------------------------------------------------------- */

static void write_file(const char *path, void (*fn)(const json_t *, FILE *),
                       const json_t *report)
{
    FILE *f = fopen(path, "w");

    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fn(report, f);
    if (fclose(f))
        die("cannot write %s: %s", path, strerror(errno));
}

/* qts ignores a malformed $PCIDC_QTS_TIMEOUT_MS; a user is told. */
static void check_timeout_env(void)
{
    const char *env = getenv(QTS_TIMEOUT_ENV);

    if (env && *env && !parse_number(QTS_TIMEOUT_ENV, env, 3600000))
        die("%s: 0 is not a time-out (1 to 3600000 ms)", QTS_TIMEOUT_ENV);
}

struct plan_job {
    const struct crash_opts *opts;
    const bool *want;
};

static int plan_main(void *arg)
{
    const struct plan_job *job = arg;
    char err[512];
    int status;

    status = crash_plan_only(job->opts, job->want, stdout, err, sizeof(err));
    if (status)
        fprintf(stderr, "crashsim: %s\n", err);
    fflush(NULL);
    return status ? 2 : 0;
}

/*
 * --plan-only in the E-ACSL build: the plans are built in a child, so that
 * a violated contract (E-ACSL aborts) ends in exit 3 as in a full run.
 */
static int plan_only_in_child(const struct crash_opts *o,
                              const bool want[CRASH_NR_POLICIES])
{
    const struct proc_opts po = { PROC_INHERIT, PROC_INHERIT, PROC_INHERIT,
                                  SIGTERM };
    struct plan_job job = { o, want };
    double deadline = worker_deadline(o);
    struct proc p;
    char err[256];

    if (proc_fork(&p, &po, plan_main, &job, err, sizeof(err)))
        die("%s", err);
    if (proc_wait(&p, deadline) != 1) {
        proc_stop(&p, 0);
        die("--plan-only: no answer in time (killed)");
    }
    if (WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGABRT) {
        fprintf(stderr, "crashsim: contract violated: E-ACSL stopped plan "
                "building (its message, with the failing predicate, is on "
                "stderr)\n");
        return EXIT_VIOLATION;
    }
    return WIFEXITED(p.status) ? WEXITSTATUS(p.status) : 2;
}

/*
 * --contracts in the plain build: the same command line, run by the build
 * linked against the E-ACSL core, which sits next to this program.
 */
static void exec_contracts_build(char **argv)
{
    char dir[PATH_MAX], path[PATH_MAX + sizeof(CONTRACTS_PROGRAM) + 1];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    char *slash;

    if (n <= 0)
        die("--contracts: cannot find crashsim's own path: %s",
            strerror(errno));
    dir[n] = '\0';
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof(path), "%s/%s", dir, CONTRACTS_PROGRAM);
    if (access(path, X_OK))
        die("--contracts: %s is not built ('make crashsim-contracts': it "
            "needs Frama-C's E-ACSL, ci/deps.sh prove)", path);
    execv(path, argv);
    die("--contracts: cannot run %s: %s", path, strerror(errno));
}

static void dump_json(const json_t *report, FILE *f)
{
    json_dumpf(report, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
}

/*
 * The policies to run (want), those that must stay clean and those that
 * must leave the console and every checked register reachable, from the
 * command line and what the topology (parsed into spec) can run.
 */
static void select_policies(const struct args *a, struct spec *spec,
                            bool want[CRASH_NR_POLICIES],
                            bool clean[CRASH_NR_POLICIES],
                            bool reach[CRASH_NR_POLICIES])
{
    char err[512];
    unsigned int p;

    if (crash_policy_parse(a->policy, want, err, sizeof(err)))
        die("--policy: %s", err);
    if (a->require_clean &&
        crash_policy_parse(a->require_clean, clean, err, sizeof(err)))
        die("--require-clean: %s", err);
    if (a->require_reachable &&
        crash_policy_parse(a->require_reachable, reach, err, sizeof(err)))
        die("--require-reachable: %s", err);
    if (spec_parse(spec, a->topology))
        die("%s", spec->err);
    /* "all" means every policy the topology can run. */
    for (p = 0; p < CRASH_NR_POLICIES; p++)
        if (want[p] && !crash_policy_fits((enum crash_policy)p, spec)) {
            if (strcmp(a->policy, "all"))
                die("--policy: %s %s", crash_policy_name((enum crash_policy)p),
                    crash_policy_misfit((enum crash_policy)p, spec));
            want[p] = false;
        }
    if (crash_policy_required(a->require_clean, want, clean, err,
                              sizeof(err)))
        die("--require-clean: %s", err);
    if (crash_policy_required(a->require_reachable, want, reach, err,
                              sizeof(err)))
        die("--require-reachable: %s", err);
}

/* --- --check ---------------------------------------------------------------- */

static struct report_check check;
static char **check_argv;

/* The verdict, and on a failure the command line that reproduces it. */
static void print_checks(const json_t *report)
{
    static char line[8192];

    if (json_is_true(json_object_get(report, "properties_ok")))
        printf("\ncheck: all %zu properties hold\n",
               json_array_size(json_object_get(report, "properties")));
    else
        printf("\ncheck: FAILED (see stderr); reproduce with:\n  %s\n",
               proc_quote_argv(check_argv, line, sizeof(line)));
}

/* Items that need a newer QEMU than the one about to run: exit 2. */
static void check_qemu_for_topology(struct spec *spec, const char *qemu,
                                    const char *version)
{
    const char *env = getenv(QTS_QEMU_ENV), *v = strstr(version, "version ");
    unsigned int major, minor;
    char number[32];

    if (!qemu)
        qemu = env && *env ? env : QTS_DEFAULT_QEMU;
    if (!v || qts_parse_version(version, &major, &minor))
        die("cannot read a version in '%s' (%s)", version, qemu);
    snprintf(number, sizeof(number), "%.*s", (int)strcspn(v + 8, " "), v + 8);
    if (spec_check_qemu(spec, major, minor, number, qemu))
        die("%s", spec->err);
}

/* Workers at a time: $PCIDC_SIM_JOBS (0 counts as 1), else 2. */
static unsigned int jobs_from_env(void)
{
    const char *env = getenv("PCIDC_SIM_JOBS");
    unsigned int jobs = DEFAULT_JOBS;

    if (env && *env)
        jobs = (unsigned int)parse_number("PCIDC_SIM_JOBS", env, 16);
    return jobs ? jobs : 1;
}

/* Run every wanted policy in workers, print and write the report; the
 * exit status. */
static int run_policies(const struct args *a, const struct crash_opts *o,
                        const bool want[CRASH_NR_POLICIES],
                        const bool clean[CRASH_NR_POLICIES],
                        const bool reach[CRASH_NR_POLICIES],
                        const char *version, unsigned int jobs)
{
    struct worker w[CRASH_NR_POLICIES];
    const char *error = NULL;
    json_t *runs, *report;
    unsigned int p, n = 0;
    bool violation = false;
    int status = 0;

    memset(w, 0, sizeof(w));
    for (p = 0; p < CRASH_NR_POLICIES; p++)
        if (want[p])
            w[n++].policy = (enum crash_policy)p;
    run_workers(w, n, o, jobs);
    runs = collect(w, n, &error, &violation);
    report = report_json(a->topology, a->seed, a->window_ms, version, runs);
    json_decref(runs);
    json_object_set_new(report, "crash_delay_ms",
                        json_integer(a->crash_delay_ms));
    if (error && !violation && !a->check)
        die("%s", error);
    if (CONTRACTS_CHECKED)
        json_object_set_new(report, "contracts",
                            json_string(report_contracts_note(violation)));
    if (a->check && error)
        fprintf(stderr, "crashsim: %s\n", error);
    if (a->check)
        status = report_check_end(&check, report, stderr) ? 1 : 0;

    report_markdown(report, stdout);
    if (a->check)
        print_checks(report);
    if (a->json)
        write_file(a->json, dump_json, report);
    if (a->markdown)
        write_file(a->markdown, report_markdown, report);
    if (a->svg)
        write_file(a->svg, report_svg, report);
    if (a->html)
        write_file(a->html, report_html, report);
    if (!violation)
        status |= report_check_clean(report, clean, stderr) |
                  report_check_reachable(report, reach, stderr);
    json_decref(report);
    if (violation) {
        fprintf(stderr, "crashsim: %s\n", error);
        return EXIT_VIOLATION;
    }
    return status;
}

int main(int argc, char **argv)
{
    static struct spec spec;
    struct args a = { 0 };
    struct crash_opts o = { 0 };
    bool want[CRASH_NR_POLICIES], clean[CRASH_NR_POLICIES];
    bool reach[CRASH_NR_POLICIES];
    char err[512], version[256];
    unsigned int jobs;

    parse_args(argc, argv, &a);
    if (a.contracts && !CONTRACTS_CHECKED)
        exec_contracts_build(argv);
    select_policies(&a, &spec, want, clean, reach);
    jobs = jobs_from_env();

    o.spec = &spec;
    o.topology = a.topology;
    o.seed = a.seed;
    o.window_ms = a.window_ms;
    o.qemu = a.qemu;
    o.verbose = a.verbose;
    o.iommu_probe = a.iommu_probe;
    o.crash_delay_ms = a.crash_delay_ms;
    o.republish = a.republish;
    o.republish_at = a.republish_at;

    check_timeout_env();
    if (qts_query_version(a.qemu, 0, version, sizeof(version), err,
                          sizeof(err)))
        die("%s", err);
    check_qemu_for_topology(&spec, a.qemu, version);

    if (a.plan_only && CONTRACTS_CHECKED)
        return plan_only_in_child(&o, want);
    if (a.plan_only) {
        if (crash_plan_only(&o, want, stdout, err, sizeof(err)))
            die("%s", err);
        return 0;
    }
    check_argv = argv;
    if (a.check && report_check_begin(&check, &o, want, err, sizeof(err)))
        die("--check: %s", err);
    return run_policies(&a, &o, want, clean, reach, version, jobs);
}
