/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plot: see plot.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "svg.h"

/* --- strip plot ------------------------------------------------------------- */

#define S_WIDTH     1010.0
#define S_LABEL     150.0       /* row labels */
#define S_ZERO_X    185.0       /* the column of zeros */
#define S_LOG_LEFT  230.0       /* the log axis */
#define S_LOG_RIGHT 760.0
#define S_ROW_H     46.0
#define S_TOP       58.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Decades shown: 10^0 .. 10^top. */
static int strip_top(const struct plot_row *rows, size_t nrows)
{
    double max = 1;
    size_t r, i;

    for (r = 0; r < nrows; r++)
        for (i = 0; i < rows[r].n; i++)
            max = fmax(max, rows[r].v[i]);
    return (int)fmax(1, ceil(log10(max)));
}

static double strip_x(double v, int top)
{
    if (v <= 0)
        return S_ZERO_X;
    v = fmax(v, 1);
    return S_LOG_LEFT + (S_LOG_RIGHT - S_LOG_LEFT) * log10(v) / top;
}

/* A small fixed jitter for dot i, so that equal values stay visible. */
static double jitter(size_t i)
{
    return (double)((i * 7919) % 13) - 6;
}

static void strip_axis(FILE *out, int top, double y)
{
    int d;

    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#333\"/>\n", S_LOG_LEFT, y, S_LOG_RIGHT, y);
    svg_text(out, S_ZERO_X, y + 17, "font-size=\"11\" text-anchor=\"middle\"",
             "0");
    for (d = 0; d <= top; d++) {
        double x = strip_x(pow(10, d), top);
        char label[16];

        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#333\"/>\n", x, y, x, y + 5);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#e2e2e2\"/>\n", x, S_TOP - 8, x, y);
        svg_fmt_tick(pow(10, d), label, sizeof(label));
        svg_text(out, x, y + 17, "font-size=\"11\" text-anchor=\"middle\"",
                 "%s", label);
    }
}

static void strip_row(FILE *out, const struct plot_row *row, size_t r,
                      int top)
{
    double y = S_TOP + S_ROW_H * ((double)r + 0.5), *v;
    size_t i, zeros = 0;

    fprintf(out, "<g class=\"strip-row\" data-label=\"%s\">\n", row->label);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"%s\"/>\n", S_ZERO_X - 22, y - S_ROW_H / 2 + 2,
            S_LOG_RIGHT - S_ZERO_X + 30, S_ROW_H - 4,
            r % 2 ? "#fafafa" : "#f1f4f8");
    svg_text(out, S_LABEL - 6, y + 4, "font-size=\"13\" text-anchor=\"end\"",
             "%s", row->label);
    for (i = 0; i < row->n; i++) {
        zeros += row->v[i] <= 0;
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                "fill=\"%s\" fill-opacity=\"0.55\"/>\n",
                strip_x(row->v[i], top) + jitter(i + 3) * 0.8,
                y + jitter(i), row->v[i] > 0 ? "#c0392b" : "#2e7d32");
    }
    v = malloc((row->n ? row->n : 1) * sizeof(*v));
    if (v && row->n) {
        memcpy(v, row->v, row->n * sizeof(*v));
        qsort(v, row->n, sizeof(*v), cmp_double);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"%.1f\" "
                "fill=\"#111\"/>\n", strip_x(v[(row->n - 1) / 2], top) - 1.5,
                y - 14, 28.0);
        if (zeros == row->n)
            svg_text(out, S_LOG_RIGHT + 24, y + 4, "font-size=\"12\"",
                     "%zu case%s: all 0", row->n, row->n == 1 ? "" : "s");
        else
            svg_text(out, S_LOG_RIGHT + 24, y + 4, "font-size=\"12\"",
                     "%zu case%s: %zu at 0, max %.0f", row->n,
                     row->n == 1 ? "" : "s", zeros, v[row->n - 1]);
    }
    free(v);
    fprintf(out, "</g>\n");
}

void plot_strip(FILE *out, const char *title, const char *xlabel,
                const struct plot_row *rows, size_t nrows)
{
    double h = S_TOP + S_ROW_H * (double)nrows + 56;
    int top = strip_top(rows, nrows);
    size_t r;

    svg_begin(out, S_WIDTH, h, "plot strip");
    svg_text(out, 10, 22, "font-size=\"15\" font-weight=\"bold\"", "%s",
             title);
    svg_text(out, 10, 42, "font-size=\"12\" fill=\"#444\"", "one dot per "
             "case (green: 0, red: more; log axis), black bar: median");
    for (r = 0; r < nrows; r++)
        strip_row(out, &rows[r], r, top);
    strip_axis(out, top, S_TOP + S_ROW_H * (double)nrows + 4);
    svg_text(out, (S_LOG_LEFT + S_LOG_RIGHT) / 2, h - 12,
             "font-size=\"12\" text-anchor=\"middle\"", "%s", xlabel);
    svg_end(out);
}

/* --- paired plot -------------------------------------------------------------- */

#define P_SIZE      420.0       /* the square */
#define P_LEFT      90.0
#define P_TOP       70.0
#define P_WIDTH     (P_LEFT + P_SIZE + 360)
#define P_HEIGHT    (P_TOP + P_SIZE + 70)

struct pairs_scale {
    double max;
};

static double px(const struct pairs_scale *s, double v)
{
    return P_LEFT + P_SIZE * v / s->max;
}

static double py(const struct pairs_scale *s, double v)
{
    return P_TOP + P_SIZE - P_SIZE * v / s->max;
}

static void pairs_frame(FILE *out, const struct pairs_scale *s,
                        const char *xlabel, const char *ylabel)
{
    double step = svg_nice_step(s->max, 8), t;
    char label[16];

    fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fz\" "
            "fill=\"#e3f3e3\"/>\n", px(s, 0), py(s, 0), px(s, s->max),
            py(s, 0), px(s, s->max), py(s, s->max));
    fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fz\" "
            "fill=\"#fbe7e4\"/>\n", px(s, 0), py(s, 0), px(s, 0),
            py(s, s->max), px(s, s->max), py(s, s->max));
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#777\" stroke-dasharray=\"5,3\"/>\n", px(s, 0),
            py(s, 0), px(s, s->max), py(s, s->max));
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"none\" stroke=\"#333\"/>\n", P_LEFT, P_TOP, P_SIZE, P_SIZE);
    for (t = 0; t <= s->max + 1e-9; t += step) {
        svg_fmt_tick(t, label, sizeof(label));
        svg_text(out, px(s, t), P_TOP + P_SIZE + 17,
                 "font-size=\"11\" text-anchor=\"middle\"", "%s", label);
        svg_text(out, P_LEFT - 8, py(s, t) + 4,
                 "font-size=\"11\" text-anchor=\"end\"", "%s", label);
    }
    svg_text(out, P_LEFT + P_SIZE / 2, P_TOP + P_SIZE + 40,
             "font-size=\"12.5\" text-anchor=\"middle\"", "%s", xlabel);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12.5\" "
            "text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">",
            P_LEFT - 48, P_TOP + P_SIZE / 2, P_LEFT - 48, P_TOP + P_SIZE / 2);
    svg_escape(out, ylabel);
    fputs("</text>\n", out);
}

/* Each distinct (x, y) once, its dot's area growing with its count. */
static void pairs_dots(FILE *out, const struct pairs_scale *s,
                       const double *x, const double *y, size_t n)
{
    size_t i, k, same;

    for (i = 0; i < n; i++) {
        for (k = 0; k < i; k++)
            if (x[k] == x[i] && y[k] == y[i])
                break;
        if (k < i)
            continue;
        for (same = 0, k = i; k < n; k++)
            same += x[k] == x[i] && y[k] == y[i];
        fprintf(out, "<circle class=\"pair\" cx=\"%.1f\" cy=\"%.1f\" "
                "r=\"%.1f\" fill=\"#1f5fa8\" fill-opacity=\"0.6\" "
                "stroke=\"#123\"/>\n", px(s, x[i]), py(s, y[i]),
                3.5 + 2.2 * sqrt((double)same - 1));
        if (same > 1)
            svg_text(out, px(s, x[i]) + 7, py(s, y[i]) - 6,
                     "font-size=\"10.5\"", "%zu", same);
    }
}

static const char *cases(size_t n)
{
    return n == 1 ? "case" : "cases";
}

void plot_pairs(FILE *out, const char *title, const char *xlabel,
                const char *ylabel, const double *x, const double *y,
                size_t n, const char *below, const char *above)
{
    struct pairs_scale s = { 1 };
    size_t i, under = 0, over = 0, zero = 0;
    double lx = P_LEFT + P_SIZE + 30;

    for (i = 0; i < n; i++) {
        s.max = fmax(s.max, fmax(x[i], y[i]));
        under += y[i] < x[i];
        over += y[i] > x[i];
        zero += x[i] == 0 && y[i] == 0;
    }
    s.max = ceil(s.max * 1.08 / svg_nice_step(s.max, 8)) *
            svg_nice_step(s.max, 8);
    svg_begin(out, P_WIDTH, P_HEIGHT, "plot pairs");
    svg_text(out, 10, 22, "font-size=\"15\" font-weight=\"bold\"", "%s",
             title);
    svg_text(out, 10, 42, "font-size=\"12\" fill=\"#444\"", "one dot per "
             "case (a number: that many cases on the same spot)");
    pairs_frame(out, &s, xlabel, ylabel);
    pairs_dots(out, &s, x, y, n);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
            "fill=\"#e3f3e3\" stroke=\"#999\"/>\n", lx, P_TOP + 10);
    svg_text(out, lx + 22, P_TOP + 22, "font-size=\"12.5\"", "%zu %s: %s",
             under, cases(under), below);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#777\" stroke-dasharray=\"5,3\"/>\n", lx, P_TOP + 47,
            lx + 14, P_TOP + 39);
    svg_text(out, lx + 22, P_TOP + 48, "font-size=\"12.5\"",
             "%zu %s: the same", n - under - over, cases(n - under - over));
    if (zero)
        svg_text(out, lx + 22, P_TOP + 64, "font-size=\"11\" fill=\"#555\"",
                 "(%zu of them at 0: no new DMA once the path began)", zero);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
            "fill=\"#fbe7e4\" stroke=\"#999\"/>\n", lx, P_TOP + 78);
    svg_text(out, lx + 22, P_TOP + 90, "font-size=\"12.5\"", "%zu %s: %s",
             over, cases(over), above);
    svg_end(out);
}
