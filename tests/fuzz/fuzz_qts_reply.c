/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the qtest reply parser (sim/qemu/qts_parse.c) under
 * ASan/UBSan.  Every line is classified without reading out of bounds;
 * what the hex and base64 decoders accept, the encoders give back.
 */
#include <stdlib.h>
#include <string.h>

#include "qemu/qts.h"

#define LINE_MAX_LEN 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void round_trip(const char *text)
{
    uint8_t buf[LINE_MAX_LEN], again[LINE_MAX_LEN];
    char out[2 * LINE_MAX_LEN + 8];
    size_t n = strlen(text) > 2 ? (strlen(text) - 2) / 2 : 0;
    uint64_t v;

    if ( qts_parse_hex(text, buf, n) == 0 )
    {
        qts_format_hex(buf, n, out);
        if ( qts_parse_hex(out, again, n) || memcmp(buf, again, n) )
            abort();
    }
    n = strlen(text) / 4 * 3;
    while ( n && qts_b64_len(n) != strlen(text) )
        n--;
    if ( n && qts_parse_b64(text, buf, n) == 0 )
    {
        qts_format_b64(buf, n, out);
        if ( strcmp(out, text) )
            abort();                    /* base64 has one spelling */
    }
    qts_parse_u64(text, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char line[LINE_MAX_LEN];
    struct qts_line l;

    if ( len >= sizeof(line) )
        return 0;
    memcpy(line, data, len);
    line[len] = '\0';
    qts_parse_line(line, &l);
    round_trip(line);
    if ( l.payload )
        round_trip(l.payload);
    return 0;
}
