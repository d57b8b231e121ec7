/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * html: see html.h.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

static const char style[] =
    "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:1.5em;"
    "color:#222;max-width:1240px}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;"
    "border-bottom:1px solid #ccc}h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.9em}"
    "caption{text-align:left;font-weight:bold;padding:.3em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;"
    "overflow-wrap:anywhere}"
    "th{background:#eef1f5;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.fail td{background:#fde2e2}tr.ok td{background:#e6f4e6}"
    "p.meta{color:#555}p.note{font-size:.9em;color:#333;max-width:70em}"
    "figure{margin:1em 0}figcaption{font-size:.9em;color:#444;"
    "max-width:70em}"
    "pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:.85em}"
    "code{font-size:.95em}";

void html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

void html_raw(FILE *out, const char *s)
{
    fputs(s, out);
}

void html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n<title>", out);
    html_escape(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    html_escape(out, title);
    fputs("</h1>\n", out);
}

void html_end(FILE *out)
{
    fputs("</body>\n</html>\n", out);
}

static void vtext(FILE *out, const char *fmt, va_list ap)
{
    char buf[4096];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    html_escape(out, buf);
}

void html_heading(FILE *out, int level, const char *id, const char *fmt, ...)
{
    va_list ap;

    if (level < 1 || level > 6)
        level = 2;
    fprintf(out, "<h%d", level);
    if (id) {
        fputs(" id=\"", out);
        html_escape(out, id);
        fputc('"', out);
    }
    fputc('>', out);
    va_start(ap, fmt);
    vtext(out, fmt, ap);
    va_end(ap);
    fprintf(out, "</h%d>\n", level);
}

void html_para(FILE *out, const char *cls, const char *fmt, ...)
{
    va_list ap;

    fputs("<p", out);
    if (cls) {
        fputs(" class=\"", out);
        html_escape(out, cls);
        fputc('"', out);
    }
    fputc('>', out);
    va_start(ap, fmt);
    vtext(out, fmt, ap);
    va_end(ap);
    fputs("</p>\n", out);
}

void html_pre(FILE *out, const char *text)
{
    fputs("<pre>", out);
    html_escape(out, text);
    fputs("</pre>\n", out);
}

/* "123", "-4", "1.5", "12 (3)", "9/9": right-aligned. */
static bool numeric(const char *s)
{
    bool digit = false;

    for (; *s; s++) {
        if (isdigit((unsigned char)*s))
            digit = true;
        else if (!strchr(" .-+/()%", *s))
            return false;
    }
    return digit;
}

void html_table_begin(FILE *out, const char *id, const char *caption,
                      const char *const *head, unsigned int n)
{
    unsigned int i;

    fputs("<table", out);
    if (id) {
        fputs(" id=\"", out);
        html_escape(out, id);
        fputc('"', out);
    }
    fputs(">\n", out);
    if (caption) {
        fputs("<caption>", out);
        html_escape(out, caption);
        fputs("</caption>\n", out);
    }
    fputs("<thead><tr>", out);
    for (i = 0; i < n; i++) {
        fputs("<th>", out);
        html_escape(out, head[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
}

void html_row(FILE *out, const char *cls, const char *const *cells,
              unsigned int n)
{
    unsigned int i;

    fputs("<tr", out);
    if (cls) {
        fputs(" class=\"", out);
        html_escape(out, cls);
        fputc('"', out);
    }
    fputc('>', out);
    for (i = 0; i < n; i++) {
        const char *c = cells[i] ? cells[i] : "";

        fputs(numeric(c) ? "<td class=\"num\">" : "<td>", out);
        html_escape(out, c);
        fputs("</td>", out);
    }
    fputs("</tr>\n", out);
}

void html_table_end(FILE *out)
{
    fputs("</tbody>\n</table>\n", out);
}

void html_figure(FILE *out, const char *id, const char *caption,
                 void (*draw)(const void *arg, FILE *out), const void *arg)
{
    fputs("<figure", out);
    if (id) {
        fputs(" id=\"", out);
        html_escape(out, id);
        fputc('"', out);
    }
    fputs(">\n", out);
    draw(arg, out);
    if (caption) {
        fputs("<figcaption>", out);
        html_escape(out, caption);
        fputs("</figcaption>\n", out);
    }
    fputs("</figure>\n", out);
}
