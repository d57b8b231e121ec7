/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pure parsing of the qtest line protocol: no I/O, no QEMU.  Kept apart
 * from qts.c so that tests/test_qts_parse.c links only this.
 */
#include <string.h>

#include "qts.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int qts_parse_u64(const char *text, uint64_t *v)
{
    uint64_t value = 0;
    size_t digits = 0;
    int d;

    if (!text || text[0] != '0' || text[1] != 'x')
        return -1;
    for (text += 2; *text; text++, digits++) {
        d = hex_digit(*text);
        if (d < 0 || digits == 16)
            return -1;
        value = value << 4 | (uint64_t)d;
    }
    if (digits == 0)
        return -1;
    *v = value;
    return 0;
}

int qts_parse_hex(const char *text, void *buf, size_t len)
{
    unsigned char *out = buf;
    size_t i;
    int hi, lo;

    if (!text || text[0] != '0' || text[1] != 'x')
        return -1;
    text += 2;
    for (i = 0; i < len; i++) {
        if (!text[2 * i] || !text[2 * i + 1])
            return -1;
        hi = hex_digit(text[2 * i]);
        lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return text[2 * len] ? -1 : 0;
}

char *qts_format_hex(const void *buf, size_t len, char *out)
{
    static const char digit[] = "0123456789abcdef";
    const unsigned char *in = buf;
    char *p = out;
    size_t i;

    *p++ = '0';
    *p++ = 'x';
    for (i = 0; i < len; i++) {
        *p++ = digit[in[i] >> 4];
        *p++ = digit[in[i] & 0xf];
    }
    *p = '\0';
    return out;
}

/* "N" in decimal, 1..3 digits, < QTS_MAX_IRQ, whole string. */
static int parse_pin(const char *text, unsigned int *pin)
{
    unsigned int value = 0;
    size_t digits = 0;

    for (; *text; text++, digits++) {
        if (*text < '0' || *text > '9' || digits == 3)
            return -1;
        value = value * 10 + (unsigned int)(*text - '0');
    }
    if (digits == 0 || value >= QTS_MAX_IRQ)
        return -1;
    *pin = value;
    return 0;
}

static void parse_irq(const char *rest, struct qts_line *out)
{
    if (strncmp(rest, "raise ", 6) == 0)
        out->irq_raise = true;
    else if (strncmp(rest, "lower ", 6) == 0)
        out->irq_raise = false;
    else
        return;
    if (parse_pin(rest + 6, &out->irq_pin) == 0)
        out->kind = QTS_LINE_IRQ;
}

void qts_parse_line(const char *line, struct qts_line *out)
{
    out->kind = QTS_LINE_BAD;
    out->payload = "";
    out->irq_pin = 0;
    out->irq_raise = false;

    if (!line)
        return;
    if (strcmp(line, "OK") == 0) {
        out->kind = QTS_LINE_OK;
    } else if (strncmp(line, "OK ", 3) == 0) {
        out->kind = QTS_LINE_OK;
        out->payload = line + 3;
    } else if (strcmp(line, "FAIL") == 0 || strcmp(line, "ERR") == 0) {
        out->kind = QTS_LINE_FAIL;
    } else if (strncmp(line, "FAIL ", 5) == 0) {
        out->kind = QTS_LINE_FAIL;
        out->payload = line + 5;
    } else if (strncmp(line, "ERR ", 4) == 0) {
        out->kind = QTS_LINE_FAIL;
        out->payload = line + 4;
    } else if (strncmp(line, "IRQ ", 4) == 0) {
        parse_irq(line + 4, out);
    }
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t qts_b64_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

int qts_parse_b64(const char *text, void *buf, size_t len)
{
    unsigned char *out = buf;
    size_t groups = (len + 2) / 3, g, o = 0, k;
    int v[4];

    if (!text || strlen(text) != 4 * groups)
        return -1;
    for (g = 0; g < groups; g++, text += 4) {
        /* Bytes this group carries: 3, except maybe in the last one. */
        size_t carry = (g + 1 < groups || len % 3 == 0) ? 3 : len % 3;

        for (k = 0; k < 4; k++) {
            if (k > carry)
                v[k] = text[k] == '=' ? 0 : -1;
            else
                v[k] = b64_value(text[k]);
            if (v[k] < 0)
                return -1;
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (carry > 1)
            out[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
        if (carry > 2)
            out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
    }
    return 0;
}

char *qts_format_b64(const void *buf, size_t len, char *out)
{
    const unsigned char *in = buf;
    char *p = out;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *p++ = b64_alphabet[in[i] >> 2];
        *p++ = b64_alphabet[(in[i] & 0x3) << 4 | in[i + 1] >> 4];
        *p++ = b64_alphabet[(in[i + 1] & 0xf) << 2 | in[i + 2] >> 6];
        *p++ = b64_alphabet[in[i + 2] & 0x3f];
    }
    if (len - i == 1) {
        *p++ = b64_alphabet[in[i] >> 2];
        *p++ = b64_alphabet[(in[i] & 0x3) << 4];
        *p++ = '=';
        *p++ = '=';
    } else if (len - i == 2) {
        *p++ = b64_alphabet[in[i] >> 2];
        *p++ = b64_alphabet[(in[i] & 0x3) << 4 | in[i + 1] >> 4];
        *p++ = b64_alphabet[(in[i + 1] & 0xf) << 2];
        *p++ = '=';
    }
    *p = '\0';
    return out;
}
