/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plot: two kinds of distribution plots, as standalone SVG (svg.h).
 *
 *  - plot_strip: one row per group, every value a dot on a log axis (a
 *    column of its own for 0), the median marked, a line of counts at the
 *    right: how a quantity spreads over many cases, zeros at a glance.
 *  - plot_pairs: one dot per case at (x, y), the diagonal drawn and the two
 *    halves shaded and counted: which of two policies did better, case by
 *    case.  Equal pairs are drawn once, the dot growing with their number.
 */
#ifndef SIM_REPORT_PLOT_H
#define SIM_REPORT_PLOT_H

#include <stddef.h>
#include <stdio.h>

struct plot_row {
    const char *label;
    const double *v;            /* >= 0 */
    size_t n;
};

void plot_strip(FILE *out, const char *title, const char *xlabel,
                const struct plot_row *rows, size_t nrows);

/*
 * below / above: what the half under / over the diagonal means, e.g.
 * "pcidc stopped DMA in fewer writes".
 */
void plot_pairs(FILE *out, const char *title, const char *xlabel,
                const char *ylabel, const double *x, const double *y,
                size_t n, const char *below, const char *above);

#endif /* SIM_REPORT_PLOT_H */
