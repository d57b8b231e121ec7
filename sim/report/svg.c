/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svg: see svg.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "svg.h"

void svg_begin(FILE *out, double width, double height, const char *cls)
{
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
            "class=\"%s\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\" font-size=\"12\">\n",
            cls, width, height, width, height, SVG_FONT);
    fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n",
            width, height);
}

void svg_end(FILE *out)
{
    fprintf(out, "</svg>\n");
}

void svg_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

void svg_text(FILE *out, double x, double y, const char *attrs,
              const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "",
            attrs);
    svg_escape(out, buf);
    fputs("</text>\n", out);
}

double svg_nice_step(double span, unsigned int max_ticks)
{
    static const double mult[] = { 1, 2, 5 };
    double base;
    unsigned int i;

    if (!(span > 0) || !max_ticks)
        return 1;
    base = pow(10, floor(log10(span / max_ticks)));
    for (;;) {
        for (i = 0; i < 3; i++)
            if (span / (mult[i] * base) <= max_ticks)
                return mult[i] * base;
        base *= 10;
    }
}

void svg_fmt_tick(double v, char *buf, size_t len)
{
    if (fabs(v) < 1e-9)
        snprintf(buf, len, "0");
    else if (fabs(v) >= 1e5)
        snprintf(buf, len, "%.0e", v);
    else
        snprintf(buf, len, "%g", v);
}
