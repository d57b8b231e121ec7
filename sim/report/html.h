/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * html: a small writer of self-contained HTML reports -- one file, the
 * style inline, pictures as inline SVG, no script, no external asset, so a
 * report reads the same offline as archived by a CI job.  It knows nothing
 * of crashsim: crashsim --html (report_html.c), the sweep's sweep.html
 * and any other harness write their pages through it.
 *
 * Text given to these functions is escaped; only html_raw() and the SVG a
 * figure callback writes go out verbatim.
 */
#ifndef SIM_REPORT_HTML_H
#define SIM_REPORT_HTML_H

#include <stdarg.h>
#include <stdio.h>

/* <!DOCTYPE html>, <head> with the title and the style, <body>, <h1>. */
void html_begin(FILE *out, const char *title);
/* </body></html>. */
void html_end(FILE *out);

/* Escaped text. */
void html_escape(FILE *out, const char *s);
/* Verbatim markup. */
void html_raw(FILE *out, const char *s);

/* <hN id="id">text</hN> (id may be NULL). */
void html_heading(FILE *out, int level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* <p class="cls">text</p> (cls may be NULL). */
void html_para(FILE *out, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* <pre> around the escaped text. */
void html_pre(FILE *out, const char *text);

/*
 * A table: html_table_begin writes <table id=..> with a caption (may be
 * NULL) and a header row of n cells; html_row one row of n cells; cells
 * that look like numbers are right-aligned.  cls (may be NULL) is the
 * row's class: "fail" and "ok" are coloured.
 */
void html_table_begin(FILE *out, const char *id, const char *caption,
                      const char *const *head, unsigned int n);
void html_row(FILE *out, const char *cls, const char *const *cells,
              unsigned int n);
void html_table_end(FILE *out);

/*
 * A figure: draw(arg, out) writes one <svg> element, inline; the caption
 * (may be NULL) goes under it.
 */
void html_figure(FILE *out, const char *id, const char *caption,
                 void (*draw)(const void *arg, FILE *out), const void *arg);

#endif /* SIM_REPORT_HTML_H */
