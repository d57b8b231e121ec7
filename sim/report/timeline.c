/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * timeline: the crash timeline of a run, as JSON and as a picture.  See
 * report.h.
 *
 * The picture: one block per policy, one lane per device the engine drives
 * for DMA, a time axis in ms after the crash path began.  The crash path
 * takes milliseconds and the window a second, so the axis is cut in two
 * linear panels: each policy's crash path zoomed on the left (its own
 * scale), the rest of the window on the right (one scale for all).  Each config write is a labelled line across the block
 * (step, SBDF, value written); each lane shows what its device did, and
 * where a bridge above it was written: from there a PCIe bridge forwards
 * nothing, which QEMU does not model, so what QEMU still let through is
 * drawn faded over a hatched band.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "svg.h"
#include "base/sbdf.h"

/* --- JSON ----------------------------------------------------------------- */

static const char *const event_name[CRASH_EV_NR] = {
    [CRASH_EV_DMA_WRITE] = "dma_write",
    [CRASH_EV_INFLIGHT_DONE] = "inflight_done",
    [CRASH_EV_DMA_READ] = "dma_read",
    [CRASH_EV_MSI] = "msi",
    [CRASH_EV_INTX] = "intx",
    [CRASH_EV_INTX_HIGH] = "intx_high",
};

static json_t *events_json(const struct crash_result *r)
{
    json_t *events = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_events && i < CRASH_MAX_EVENTS; i++) {
        const struct crash_event *e = &r->event[i];
        json_t *o;

        if ((unsigned int)e->kind >= CRASH_EV_NR)
            continue;
        o = json_pack("{s:f, s:s, s:o, s:I, s:i}",
                      "t_ms", round(e->t_ms * 100) / 100,
                      "kind", event_name[e->kind],
                      "device", e->dev >= 0 && (unsigned int)e->dev <
                                r->nr_devs ? json_string(r->dev[e->dev].name)
                                           : json_null(),
                      "bytes", (json_int_t)e->bytes,
                      "count", (int)e->count);
        if (e->kind == CRASH_EV_INTX || e->kind == CRASH_EV_INTX_HIGH)
            json_object_set_new(o, "pin", json_integer(e->pin));
        json_array_append_new(events, o);
    }
    return events;
}

static json_t *republication_json(const struct crash_republication *rp)
{
    char sbdf[SBDF_STR_LEN];
    json_t *steps, *o;
    unsigned int i;

    if (!rp->asked)
        return json_null();
    steps = json_array();
    for (i = 0; i < rp->nr_steps && i < CRASH_MAX_STEPS; i++)
        json_array_append_new(steps, json_string(sbdf_str(rp->sbdf[i], sbdf,
                                                          sizeof(sbdf))));
    o = json_pack("{s:i, s:b, s:i, s:s, s:o, s:o}",
                  "at_write", (int)rp->at,
                  "done", rp->done,
                  "build_rc", rp->build_rc,
                  "build_result", rp->build_result,
                  "dropped", !rp->dropped ? json_null()
                      : json_string(sbdf_str(rp->dropped_sbdf, sbdf,
                                             sizeof(sbdf))),
                  "plan", steps);
    json_object_set_new(o, "mark", json_integer(CRASH_REPUBLISH_MARK));
    json_object_set_new(o, "refused_crashed",
                        json_boolean(rp->refused_crashed));
    return o;
}

void report_timeline_json(json_t *run, const struct crash_result *r)
{
    json_object_set_new(run, "timeline", json_pack(
        "{s:f, s:f, s:f, s:f, s:b, s:o}",
        "path_end_ms", r->path_end_ms,
        "window_start_ms", r->window_start_ms,
        "window_end_ms", r->window_end_ms,
        "crash_delay_ms", r->delay_ms,
        "events_truncated", r->events_truncated,
        "events", events_json(r)));
    json_object_set_new(run, "republication",
                        republication_json(&r->republication));
}

/* --- geometry ---------------------------------------------------------------- */

#define WIDTH       1180.0
#define A_LEFT      250.0       /* panel A: the crash path, zoomed */
#define A_WIDTH     420.0
#define B_LEFT      (A_LEFT + A_WIDTH + 28)     /* panel B: the window */
#define B_WIDTH     (WIDTH - B_LEFT - 16)
#define LEGEND_H    158.0
#define TITLE_H     40.0        /* a block's two lines of text */
#define BAND_H      96.0        /* the write labels */
#define LANE_H      26.0
#define PATH_LABEL_H 14.0      /* under the lanes: "path returned" */
#define AXIS_H      40.0
#define BLOCK_GAP   22.0
#define LABEL_GAP   15.0        /* least distance between two write labels */

struct scale {
    double a_max;               /* panel A: 0 .. a_max ms */
    double b_max;               /* panel B: a_max .. b_max ms */
};

static double x_of(const struct scale *s, double t)
{
    if (t < 0)
        t = 0;
    if (t <= s->a_max)
        return A_LEFT + A_WIDTH * t / s->a_max;
    if (t > s->b_max)
        t = s->b_max;
    return B_LEFT + B_WIDTH * (t - s->a_max) / (s->b_max - s->a_max);
}

static bool run_ok(const json_t *run)
{
    return json_is_object(run) && !json_object_get(run, "error");
}

/*
 * Panel B, common to every policy, ends at the last event; panel A zooms
 * on one policy's crash path (block_scale), so that its writes spread out.
 */
static double window_end(const json_t *runs)
{
    const json_t *run, *e, *tl;
    double end = 1;
    size_t i, k;

    json_array_foreach((json_t *)runs, i, run) {
        if (!run_ok(run))
            continue;
        tl = json_object_get(run, "timeline");
        end = fmax(end, report_real(tl, "window_end_ms"));
        json_array_foreach(json_object_get(tl, "events"), k, e)
            end = fmax(end, report_real(e, "t_ms"));
    }
    return end;
}

static void block_scale(const json_t *run, double end, struct scale *s)
{
    double path = report_real(json_object_get(run, "timeline"),
                              "path_end_ms");
    double step = svg_nice_step(fmax(path, 1) * 1.05, 6);

    s->a_max = ceil(fmax(path, 1) * 1.05 / step) * step;
    step = svg_nice_step(end - s->a_max, 8);
    s->b_max = fmax(s->a_max + step, ceil(end / step) * step);
}

/* --- one block ------------------------------------------------------------------ */

struct lane {
    const char *name, *sbdf, *bridge;
    bool preserved;
    long long own_step, bridge_step, pin;
    double own_t, bridge_t;     /* -1: none */
    double y;
};

#define MAX_LANES   CRASH_MAX_DEVS

static double step_time(const json_t *plan, long long step)
{
    const json_t *s = json_array_get(plan, (size_t)(step - 1));

    return step >= 1 && s ? report_real(s, "t_ms") : -1;
}

static size_t read_lanes(const json_t *run, struct lane *lane, double y)
{
    const json_t *plan = json_object_get(run, "plan"), *d;
    size_t n = 0;
    const char *key;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d) {
        struct lane *l = &lane[n];

        if (n == MAX_LANES)
            break;
        memset(l, 0, sizeof(*l));
        l->name = report_str(d, "device");
        l->sbdf = key;
        l->preserved = json_is_true(json_object_get(d, "preserved"));
        l->own_step = report_num(d, "plan_step");
        l->bridge_step = report_num(d, "bridge_step");
        l->bridge = json_string_value(json_object_get(d, "bridge_sbdf"));
        l->pin = report_num(d, "irq_pin");
        l->own_t = step_time(plan, l->own_step);
        l->bridge_t = step_time(plan, l->bridge_step);
        l->y = y + (double)n * LANE_H;
        n++;
    }
    return n;
}

/* "0000:02:00.0" -> "02:00.0" (segment 0 left out). */
static const char *short_sbdf(const char *sbdf)
{
    return strncmp(sbdf, "0000:", 5) ? sbdf : sbdf + 5;
}

static const char *policy_what(const char *policy)
{
    static const struct { const char *name, *what; } what[] = {
        { "none", "no crash path: every device keeps going" },
        { "seed", "the 2011 patch: COMMAND = 0, Xen's list order" },
        { "linux-kexec", "Linux: Bus Master cleared, children first" },
        { "decode-off", "bridges first, COMMAND = 0x0400 (decode off too)" },
        { "pcidc", "bridges first; Bus Master off, INTx masked, decode kept" },
        { "iommu-on", "no disconnect, VT-d translation left on" },
    };
    size_t i;

    for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
        if (!strcmp(policy, what[i].name))
            return what[i].what;
    return "";
}

static void block_title(FILE *out, const json_t *run, double y)
{
    const char *policy = report_str(run, "policy");
    const json_t *c = json_object_get(run, "console_after_crash");
    char console[48], mmio[48];

    svg_text(out, 8, y + 15, "font-size=\"14\" font-weight=\"bold\"",
             "%s", policy);
    svg_text(out, 8 + 9.0 * (double)strlen(policy) + 10, y + 15,
             "fill=\"#333\"", "%s \u00b7 %lld config writes, %lld reads",
             policy_what(policy), report_num(run, "config_writes"),
             report_num(run, "config_reads"));
    snprintf(console, sizeof(console), "%s", json_is_true(c) ? "arrived" :
             json_is_false(c) ? "LOST" : "no UART");
    if (report_num(run, "mmio_checked") > 0)
        snprintf(mmio, sizeof(mmio), "%lld/%lld",
                 report_num(run, "mmio_reachable"),
                 report_num(run, "mmio_checked"));
    else
        snprintf(mmio, sizeof(mmio), "-");
    svg_text(out, 8, y + 33, report_beyond_inflight(run) ?
             "font-size=\"12\" fill=\"#b0281a\" font-weight=\"bold\"" :
             "font-size=\"12\" fill=\"#1e6b2a\"",
             "after it: %lld B beyond in-flight requests (%lld B in "
             "flight) \u00b7 INTx %lld \u00b7 MSI %lld \u00b7 console line "
             "%s \u00b7 registers answering %s",
             report_beyond_inflight(run), report_num(run, "inflight_bytes"),
             report_num(run, "intx_after_crash"),
             report_num(run, "msi_after_crash"), console, mmio);
}

/* The band for the write labels; short when there is no write. */
static double band_h(const json_t *run)
{
    return json_array_size(json_object_get(run, "plan")) ? BAND_H : 10;
}

/* Each write: a line across the lanes, its label in the band above. */
static void block_writes(FILE *out, const json_t *run, const struct scale *s,
                         double band_top, double lanes_bottom)
{
    const json_t *plan = json_object_get(run, "plan"), *st;
    double base = band_top + band_h(run) - 4, last_lx = -1e9, x, lx;
    size_t k;

    json_array_foreach((json_t *)plan, k, st) {
        x = x_of(s, report_real(st, "t_ms"));
        lx = fmax(x, last_lx + LABEL_GAP);
        last_lx = lx;
        fprintf(out, "<g class=\"write\" data-step=\"%zu\">", k + 1);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#8a8a8a\" stroke-width=\"0.8\" "
                "stroke-dasharray=\"3,2\"/>", x, base + 4, x, lanes_bottom);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#8a8a8a\" stroke-width=\"0.8\"/>", lx, base, x,
                base + 4);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" "
                "transform=\"rotate(-60 %.1f %.1f)\">", lx + 3, base,
                lx + 3, base);
        fprintf(out, "%zu: %s = %s</text></g>\n", k + 1,
                short_sbdf(report_str(st, "sbdf")), report_str(st, "value"));
    }
    x = x_of(s, report_real(json_object_get(run, "timeline"), "path_end_ms"));
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#222\" stroke-width=\"1.5\"/>\n", x, base + 4, x,
            lanes_bottom + PATH_LABEL_H);
    svg_text(out, x + 3, lanes_bottom + PATH_LABEL_H - 2,
             "font-size=\"10.5\" font-style=\"italic\"", "path returned");
}

/* Between the path's return and the window: the crash state is copied. */
static void block_copy_band(FILE *out, const json_t *run,
                            const struct scale *s, double top, double bottom)
{
    const json_t *tl = json_object_get(run, "timeline");
    double x0 = x_of(s, report_real(tl, "path_end_ms"));
    double x1 = x_of(s, report_real(tl, "window_start_ms"));

    if (x1 > x0)
        fprintf(out, "<rect class=\"copy\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"%.1f\" height=\"%.1f\" fill=\"#dce9f7\"/>\n",
                x0, top, x1 - x0, bottom - top);
}

static void lane_background(FILE *out, const struct lane *l)
{
    double right = B_LEFT + B_WIDTH;

    fprintf(out, "<rect class=\"lane-bg\" x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"#ddd\"/>\n",
            A_LEFT, l->y + 1, right - A_LEFT, LANE_H - 2,
            l->preserved ? "#e9f6e9" : "#f7f7f7");
    svg_text(out, 8, l->y + 17, "font-size=\"12\"", "%s %s%s", l->name,
             short_sbdf(l->sbdf), l->preserved ? " (keep:)" : "");
}

/* From the first write to a bridge above the device to the end. */
static void lane_hatch(FILE *out, const struct lane *l, const struct scale *s)
{
    double right = B_LEFT + B_WIDTH, xb;

    if (l->bridge_t < 0)
        return;
    xb = x_of(s, l->bridge_t);
    fprintf(out, "<rect class=\"pcie-stop\" x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"url(#hatch)\"/>\n",
            xb, l->y + 1, right - xb, LANE_H - 2);
}

/* A lane's label for the hatched band, drawn over the marks. */
static void lane_pcie_label(FILE *out, const struct lane *l)
{
    char text[96];
    double w;

    if (l->bridge_t < 0 || !l->bridge)
        return;
    snprintf(text, sizeof(text), "bridge %s written: PCIe forwards no more "
             "of its DMA", short_sbdf(l->bridge));
    w = 5.9 * (double)strlen(text);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" "
            "fill=\"#fff\" opacity=\"0.85\"/>\n", B_LEFT + B_WIDTH - w - 6,
            l->y + 6, w + 4);
    svg_text(out, B_LEFT + B_WIDTH - 4, l->y + 17,
             "font-size=\"10.5\" fill=\"#444\" text-anchor=\"end\"", "%s",
             text);
}

/* One event's mark on lane l. */
static void mark(FILE *out, const struct lane *l, const char *kind, double x,
                 bool faded)
{
    const char *op = faded ? " opacity=\"0.3\"" : "";
    double y = l->y;

    if (!strcmp(kind, "dma_write"))
        fprintf(out, "<rect class=\"ev-write\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"3\" height=\"%.1f\" fill=\"#d62728\"%s/>\n",
                x - 1.5, y + 4, LANE_H - 8, op);
    else if (!strcmp(kind, "inflight_done"))
        fprintf(out, "<rect class=\"ev-inflight\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"5\" height=\"%.1f\" fill=\"#ffb000\" "
                "stroke=\"#6b4a00\" stroke-width=\"0.8\"%s/>\n", x - 2.5,
                y + 4, LANE_H - 8, op);
    else if (!strcmp(kind, "dma_read"))
        fprintf(out, "<rect class=\"ev-read\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"2.5\" height=\"8\" fill=\"#1f6fd1\"%s/>\n", x - 1.25,
                y + LANE_H - 11, op);
    else if (!strcmp(kind, "msi"))
        fprintf(out, "<circle class=\"ev-msi\" cx=\"%.1f\" cy=\"%.1f\" "
                "r=\"3.5\" fill=\"#8e44ad\"%s/>\n", x, y + 7, op);
    else if (!strcmp(kind, "intx"))
        fprintf(out, "<path class=\"ev-intx\" d=\"M%.1f %.1fl4.5 8h-9z\" "
                "fill=\"#1a9b3c\"%s/>\n", x, y + 3, op);
    else if (!strcmp(kind, "intx_high"))
        fprintf(out, "<path class=\"ev-intx-high\" d=\"M%.1f %.1fl4.5 8h-9z\" "
                "fill=\"#fff\" stroke=\"#1a9b3c\" stroke-width=\"1.5\"/>\n",
                x, y + 3);
}

static bool event_on_lane(const json_t *e, const struct lane *l,
                          const char *kind)
{
    const char *dev = json_string_value(json_object_get(e, "device"));

    if (!strcmp(kind, "intx") || !strcmp(kind, "intx_high"))
        return l->pin > 0 && report_num(e, "pin") == l->pin;
    return dev && !strcmp(dev, l->name);
}

static void lane_marks(FILE *out, const json_t *run, const struct lane *l,
                       const struct scale *s)
{
    const json_t *events = json_object_get(json_object_get(run, "timeline"),
                                           "events"), *e;
    size_t i;

    fprintf(out, "<g class=\"lane\" data-policy=\"%s\" data-device=\"%s\">\n",
            report_str(run, "policy"), l->name);
    json_array_foreach((json_t *)events, i, e) {
        const char *kind = report_str(e, "kind");
        double t = report_real(e, "t_ms");

        if (event_on_lane(e, l, kind))
            mark(out, l, kind, x_of(s, t), l->bridge_t >= 0 &&
                 t > l->bridge_t);
    }
    if (l->own_t >= 0)
        fprintf(out, "<rect class=\"own-write\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"3\" height=\"%.1f\" fill=\"#111\"/>\n",
                x_of(s, l->own_t) - 1.5, l->y + 1, LANE_H - 2);
    lane_pcie_label(out, l);
    fprintf(out, "</g>\n");
}

static void axis_ticks(FILE *out, double lo, double hi, double y,
                       const struct scale *s, unsigned int max_ticks)
{
    double step = svg_nice_step(hi - lo, max_ticks), t, x;
    char label[32];

    for (t = ceil(lo / step) * step; t <= hi + step * 1e-6; t += step) {
        x = x_of(s, t);
        svg_fmt_tick(t, label, sizeof(label));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#333\"/>\n", x, y, x, y + 5);
        svg_text(out, x, y + 17, "font-size=\"11\" text-anchor=\"middle\"",
                 "%s", label);
    }
}

static void block_axis(FILE *out, const struct scale *s, double y)
{
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#333\"/>\n", A_LEFT, y, A_LEFT + A_WIDTH, y);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#333\"/>\n", B_LEFT, y, B_LEFT + B_WIDTH, y);
    /* The cut between the two scales. */
    fprintf(out, "<path d=\"M%.1f %.1fl6 -8M%.1f %.1fl6 -8\" stroke=\"#333\" "
            "stroke-width=\"1.2\"/>\n", A_LEFT + A_WIDTH + 7, y + 4,
            A_LEFT + A_WIDTH + 14, y + 4);
    axis_ticks(out, 0, s->a_max, y, s, 6);
    axis_ticks(out, s->a_max, s->b_max, y, s, 8);
    svg_text(out, 8, y + 17, "font-size=\"11\" fill=\"#333\"",
             "ms after the crash path began");
    svg_text(out, A_LEFT + A_WIDTH / 2, y + 33,
             "font-size=\"11\" fill=\"#555\" text-anchor=\"middle\"",
             "the crash path (zoomed)");
    svg_text(out, B_LEFT + B_WIDTH / 2, y + 33,
             "font-size=\"11\" fill=\"#555\" text-anchor=\"middle\"",
             "the window: devices left running, no CPU");
}

static size_t nr_lanes(const json_t *run)
{
    size_t n = json_object_size(json_object_get(run, "dma_after_crash"));

    return n ? (n < MAX_LANES ? n : MAX_LANES) : 1;
}

static double block_height(const json_t *run)
{
    return TITLE_H + band_h(run) + (double)nr_lanes(run) * LANE_H +
           PATH_LABEL_H + AXIS_H + BLOCK_GAP;
}

static void block(FILE *out, const json_t *run, double end, double y)
{
    static struct lane lane[MAX_LANES];
    struct scale scale, *s = &scale;
    double band = y + TITLE_H, lanes = band + band_h(run);
    double bottom = lanes + (double)nr_lanes(run) * LANE_H;
    size_t n, i;

    block_scale(run, end, s);
    fprintf(out, "<g class=\"policy\" data-policy=\"%s\">\n",
            report_str(run, "policy"));
    block_title(out, run, y);
    n = read_lanes(run, lane, lanes);
    for (i = 0; i < n; i++)
        lane_background(out, &lane[i]);
    block_copy_band(out, run, s, lanes, bottom);
    for (i = 0; i < n; i++)
        lane_hatch(out, &lane[i], s);
    if (!n)
        svg_text(out, A_LEFT, lanes + 17, "fill=\"#555\"",
                 "no device doing DMA in this topology");
    block_writes(out, run, s, band, bottom);
    for (i = 0; i < n; i++)
        lane_marks(out, run, &lane[i], s);
    block_axis(out, s, bottom + PATH_LABEL_H + 4);
    fprintf(out, "</g>\n");
}

/* --- legend ----------------------------------------------------------------------- */

static void legend_item(FILE *out, double x, double y, const char *kind,
                        const char *text)
{
    struct lane l = { .y = y - 17 };

    if (!strcmp(kind, "own"))
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\" "
                "fill=\"#111\"/>\n", x - 1.5, l.y + 1, LANE_H - 2);
    else if (!strcmp(kind, "write-line"))
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#8a8a8a\" stroke-dasharray=\"3,2\"/>\n", x, l.y + 1,
                x, l.y + LANE_H - 1);
    else if (!strcmp(kind, "copy"))
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" "
                "fill=\"#dce9f7\"/>\n", x - 7, l.y + 2, LANE_H - 4);
    else if (!strcmp(kind, "path"))
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"1.5\" "
                "height=\"%.1f\" fill=\"#222\"/>\n", x - 0.75, l.y + 1,
                LANE_H - 2);
    else if (!strcmp(kind, "hatch"))
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" "
                "fill=\"#f7f7f7\"/><rect x=\"%.1f\" y=\"%.1f\" "
                "width=\"14\" height=\"%.1f\" fill=\"url(#hatch)\"/>\n",
                x - 7, l.y + 2, LANE_H - 4, x - 7, l.y + 2, LANE_H - 4);
    else
        mark(out, &l, kind, x, false);
    svg_text(out, x + 10, y, "font-size=\"11.5\"", "%s", text);
}

static void legend(FILE *out, double y)
{
    static const struct { const char *kind, *text; } left[] = {
        { "dma_write", "DMA write of a new request into guarded memory "
                       "(NIC frame, disk read)" },
        { "inflight_done", "a disk read already started at the device's own "
                           "write completes (QEMU checks Bus Master only "
                           "when a request starts)" },
        { "dma_read", "DMA read: the NIC fetches a TX descriptor and frame" },
        { "msi", "MSI written" },
        { "intx", "INTx raised on the device's pin" },
        { "intx_high", "its pin still high when the crash path returned" },
    }, right[] = {
        { "write-line", "a config write of the crash path: step, SBDF, value" },
        { "own", "the config write to this device" },
        { "path", "the crash path returned" },
        { "copy", "crash state being copied (no frames offered)" },
        { "hatch", "a bridge above it was written: a PCIe bridge" },
    };
    size_t i;

    svg_text(out, 8, y, "font-size=\"15\" font-weight=\"bold\"",
             "What each device did after the crash, per policy");
    for (i = 0; i < sizeof(left) / sizeof(left[0]); i++)
        legend_item(out, 16, y + 26 + 22.0 * (double)i, left[i].kind,
                    left[i].text);
    for (i = 0; i < sizeof(right) / sizeof(right[0]); i++)
        legend_item(out, 800, y + 26 + 22.0 * (double)i, right[i].kind,
                    right[i].text);
    svg_text(out, 810, y + 26 + 22.0 * (double)i - 6, "font-size=\"11.5\"",
             "forwards nothing from here; QEMU does not");
    svg_text(out, 810, y + 26 + 22.0 * (double)i + 8, "font-size=\"11.5\"",
             "model that, so its marks are drawn faded");
}

static void defs(FILE *out)
{
    fprintf(out, "<defs><pattern id=\"hatch\" width=\"7\" height=\"7\" "
            "patternUnits=\"userSpaceOnUse\" "
            "patternTransform=\"rotate(45)\">"
            "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"7\" stroke=\"#a8a8a8\" "
            "stroke-width=\"2.5\"/></pattern></defs>\n");
}

void report_svg(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    double h = LEGEND_H + 10, y, end = window_end(runs);
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (run_ok(run))
            h += block_height(run);
    svg_begin(out, WIDTH, h, "timeline");
    defs(out);
    legend(out, 20);
    y = LEGEND_H + 10;
    json_array_foreach((json_t *)runs, i, run) {
        if (!run_ok(run))
            continue;
        block(out, run, end, y);
        y += block_height(run);
    }
    svg_end(out);
}
