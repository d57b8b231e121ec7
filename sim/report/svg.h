/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svg: the few drawing primitives the report's pictures share (the crash
 * timeline, the sweep's plots).  Every picture is a standalone SVG 1.1
 * document that also works inline in HTML: no external reference, text
 * escaped, sizes in user units (px).
 */
#ifndef SIM_REPORT_SVG_H
#define SIM_REPORT_SVG_H

#include <stdio.h>

#define SVG_FONT "DejaVu Sans, Verdana, Arial, sans-serif"

/* <svg ...> with the given size, class and the house font; svg_end closes. */
void svg_begin(FILE *out, double width, double height, const char *cls);
void svg_end(FILE *out);

/* Text at (x, y); attrs is copied verbatim into the tag (may be ""). */
void svg_text(FILE *out, double x, double y, const char *attrs,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* s with &, <, > and " escaped. */
void svg_escape(FILE *out, const char *s);

/*
 * A step of 1, 2 or 5 times a power of ten that cuts span into at most
 * max_ticks pieces (span > 0, max_ticks >= 1).
 */
double svg_nice_step(double span, unsigned int max_ticks);

/* A number for an axis label: "0", "2.5", "40", "1200", "1e+06". */
void svg_fmt_tick(double v, char *buf, size_t len);

#endif /* SIM_REPORT_SVG_H */
