/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the qtest reply parser (sim/qemu/qts_parse.c): reply lines,
 * numbers, hex and base64 payloads, with garbage.  No QEMU.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qemu/qts.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))

static enum qts_line_kind kind_of(const char *line)
{
    struct qts_line l;

    qts_parse_line(line, &l);
    return l.kind;
}

static void test_ok_lines(void **state)
{
    struct qts_line l;

    (void)state;
    qts_parse_line("OK", &l);
    assert_int_equal(l.kind, QTS_LINE_OK);
    assert_string_equal(l.payload, "");

    qts_parse_line("OK 0x00000000000000ff", &l);
    assert_int_equal(l.kind, QTS_LINE_OK);
    assert_string_equal(l.payload, "0x00000000000000ff");

    qts_parse_line("OK little", &l);
    assert_int_equal(l.kind, QTS_LINE_OK);
    assert_string_equal(l.payload, "little");
}

static void test_fail_lines(void **state)
{
    struct qts_line l;

    (void)state;
    qts_parse_line("FAIL Unknown command 'x'", &l);
    assert_int_equal(l.kind, QTS_LINE_FAIL);
    assert_string_equal(l.payload, "Unknown command 'x'");

    qts_parse_line("ERR bad", &l);
    assert_int_equal(l.kind, QTS_LINE_FAIL);
    assert_string_equal(l.payload, "bad");

    assert_int_equal(kind_of("FAIL"), QTS_LINE_FAIL);
    assert_int_equal(kind_of("ERR"), QTS_LINE_FAIL);
}

static void test_irq_lines(void **state)
{
    struct qts_line l;

    (void)state;
    qts_parse_line("IRQ raise 23", &l);
    assert_int_equal(l.kind, QTS_LINE_IRQ);
    assert_int_equal(l.irq_pin, 23);
    assert_true(l.irq_raise);

    qts_parse_line("IRQ lower 0", &l);
    assert_int_equal(l.kind, QTS_LINE_IRQ);
    assert_int_equal(l.irq_pin, 0);
    assert_false(l.irq_raise);

    qts_parse_line("IRQ raise 255", &l);
    assert_int_equal(l.kind, QTS_LINE_IRQ);
    assert_int_equal(l.irq_pin, 255);
}

static void test_garbage_lines(void **state)
{
    static const char *const bad[] = {
        "", "ok", "OKAY", "OK\t1", " OK", "FAILED", "ERROR x", "IRQ",
        "IRQ ", "IRQ raise", "IRQ raise ", "IRQ raise -1", "IRQ raise 256",
        "IRQ raise 1x", "IRQ raise 0x5", "IRQ raise 1234", "IRQ up 5",
        "IRQ raise  5", "IRQ raise 5 ", "irq raise 5", "HELLO WORLD",
        "\x01\x02", "IRQ lower 99999999999999999999",
    };
    struct qts_line l;
    size_t i;

    (void)state;
    for (i = 0; i < NR(bad); i++) {
        qts_parse_line(bad[i], &l);
        if (l.kind != QTS_LINE_BAD)
            fail_msg("'%s' parsed as kind %d", bad[i], l.kind);
    }
    qts_parse_line(NULL, &l);
    assert_int_equal(l.kind, QTS_LINE_BAD);
}

/*
 * What the parser must make of a line, worked out another way: the IRQ
 * lines QEMU can send are formatted one by one ("IRQ raise N" / "IRQ lower
 * N", N = 0..255 in one to three decimal digits) and compared whole.
 */
static bool irq_line(const char *line, unsigned int *pin, bool *raise)
{
    char want[32];
    unsigned int p, width, up;

    if (strncmp(line, "IRQ ", 4) != 0)
        return false;
    for (up = 0; up < 2; up++)
        for (p = 0; p < QTS_MAX_IRQ; p++)
            for (width = 1; width <= 3; width++) {
                snprintf(want, sizeof(want), "IRQ %s %0*u",
                         up ? "raise" : "lower", (int)width, p);
                if (strcmp(line, want) == 0) {
                    *pin = p;
                    *raise = up;
                    return true;
                }
            }
    return false;
}

static void expected_line(const char *line, struct qts_line *e)
{
    static const struct {
        const char *word;
        enum qts_line_kind kind;
    } replies[] = {
        { "OK", QTS_LINE_OK }, { "FAIL", QTS_LINE_FAIL },
        { "ERR", QTS_LINE_FAIL },
    };
    size_t i, n;

    e->kind = QTS_LINE_BAD;     /* with an empty payload */
    e->payload = "";
    e->irq_pin = 0;
    e->irq_raise = false;
    for (i = 0; i < NR(replies); i++) {
        n = strlen(replies[i].word);
        if (strncmp(line, replies[i].word, n) != 0 ||
            (line[n] != '\0' && line[n] != ' '))
            continue;
        e->kind = replies[i].kind;
        e->payload = line[n] ? line + n + 1 : "";
        return;
    }
    if (irq_line(line, &e->irq_pin, &e->irq_raise))
        e->kind = QTS_LINE_IRQ;
}

/* A line of protocol-ish characters, or a reply with a few typos. */
static void random_line(char *line, size_t size, unsigned int *seed)
{
    static const char alphabet[] = "OKFAILERQrsewoali 0123456789x\x01";
    static const char *const replies[] = {
        "OK", "OK 0x00ff", "OK little", "FAIL", "FAIL Unknown command",
        "ERR", "ERR bad", "IRQ raise 0", "IRQ raise 23", "IRQ lower 255",
        "IRQ lower 007", "IRQ raise 256",
    };
    size_t len, pos, j, typos;

    if (rand_r(seed) % 2) {
        len = (unsigned int)rand_r(seed) % (size - 1);
        for (j = 0; j < len; j++)
            line[j] = alphabet[(unsigned int)rand_r(seed) %
                               (sizeof(alphabet) - 1)];
        line[len] = '\0';
        return;
    }
    snprintf(line, size, "%s",
             replies[(unsigned int)rand_r(seed) % NR(replies)]);
    for (typos = (unsigned int)rand_r(seed) % 3; typos; typos--) {
        len = strlen(line);
        pos = (unsigned int)rand_r(seed) % (len + 1);
        switch (rand_r(seed) % 3) {
        case 0:                 /* replace */
            if (pos < len)
                line[pos] = alphabet[(unsigned int)rand_r(seed) %
                                     (sizeof(alphabet) - 1)];
            break;
        case 1:                 /* insert */
            if (len + 1 < size) {
                memmove(line + pos + 1, line + pos, len - pos + 1);
                line[pos] = alphabet[(unsigned int)rand_r(seed) %
                                     (sizeof(alphabet) - 1)];
            }
            break;
        default:                /* delete */
            if (pos < len)
                memmove(line + pos, line + pos + 1, len - pos);
        }
    }
}

/* Random lines: never a crash, and every one parsed as the oracle says. */
static void test_random_lines(void **state)
{
    char line[24];
    struct qts_line l, e;
    unsigned int seed = 12345, i, seen[QTS_LINE_BAD + 1] = { 0 };

    (void)state;
    for (i = 0; i < 200000; i++) {
        random_line(line, sizeof(line), &seed);
        qts_parse_line(line, &l);
        expected_line(line, &e);
        if (l.kind != e.kind)
            fail_msg("'%s' parsed as kind %d, expected %d", line, l.kind,
                     e.kind);
        assert_string_equal(l.payload, e.payload);
        if (l.kind == QTS_LINE_IRQ) {
            assert_int_equal(l.irq_pin, e.irq_pin);
            assert_int_equal(l.irq_raise, e.irq_raise);
        }
        seen[l.kind]++;
    }
    /* The generator must reach every outcome, or it tests little. */
    assert_true(seen[QTS_LINE_OK] > 1000);
    assert_true(seen[QTS_LINE_FAIL] > 1000);
    assert_true(seen[QTS_LINE_IRQ] > 1000);
    assert_true(seen[QTS_LINE_BAD] > 1000);
}

static void test_u64(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(qts_parse_u64("0x0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(qts_parse_u64("0x00ff", &v), 0);
    assert_int_equal(v, 0xff);
    assert_int_equal(qts_parse_u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(qts_parse_u64("0xABCdef", &v), 0);
    assert_int_equal(v, 0xabcdef);
}

static void test_u64_garbage(void **state)
{
    static const char *const bad[] = {
        "", "0", "0x", "x12", "12", "0X12", "0x1ffffffffffffffff",
        "0x12 ", " 0x12", "0xg", "0x-1", "-0x1", "0x1.0", "0x\n",
    };
    uint64_t v = 42;
    size_t i;

    (void)state;
    for (i = 0; i < NR(bad); i++) {
        if (qts_parse_u64(bad[i], &v) != -1)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(v, 42);    /* untouched on failure */
    assert_int_equal(qts_parse_u64(NULL, &v), -1);
}

static void test_hex(void **state)
{
    unsigned char buf[4];

    (void)state;
    assert_int_equal(qts_parse_hex("0x0102aBfF", buf, 4), 0);
    assert_int_equal(buf[0], 0x01);
    assert_int_equal(buf[1], 0x02);
    assert_int_equal(buf[2], 0xab);
    assert_int_equal(buf[3], 0xff);
    assert_int_equal(qts_parse_hex("0x", buf, 0), 0);
}

static void test_hex_garbage(void **state)
{
    static const char *const bad[] = {
        "", "0x", "0x010203", "0x0102030405", "0x010203g4", "01020304",
        "0x0102030", "0x 1020304", "0x01020304 ", "0X01020304",
    };
    unsigned char buf[4];
    size_t i;

    (void)state;
    for (i = 0; i < NR(bad); i++) {
        if (qts_parse_hex(bad[i], buf, 4) != -1)
            fail_msg("'%s' accepted for 4 bytes", bad[i]);
    }
    assert_int_equal(qts_parse_hex(NULL, buf, 4), -1);
    assert_int_equal(qts_parse_hex("0x00", buf, 0), -1);
}

static void test_hex_round_trip(void **state)
{
    unsigned char in[257], out[257];
    char text[2 * sizeof(in) + 3];
    unsigned int seed = 7;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)rand_r(&seed);
    qts_format_hex(in, sizeof(in), text);
    assert_int_equal(strlen(text), 2 * sizeof(in) + 2);
    assert_int_equal(qts_parse_hex(text, out, sizeof(out)), 0);
    assert_memory_equal(in, out, sizeof(in));

    qts_format_hex(in, 0, text);
    assert_string_equal(text, "0x");
    qts_format_hex((const unsigned char *)"\x00\xff", 2, text);
    assert_string_equal(text, "0x00ff");
}

static void test_b64_known(void **state)
{
    unsigned char buf[8];
    char text[16];

    (void)state;
    /* QEMU answered "b64read" of aa aa aa 04 with this. */
    assert_int_equal(qts_parse_b64("qqqqBA==", buf, 4), 0);
    assert_memory_equal(buf, "\xaa\xaa\xaa\x04", 4);
    assert_string_equal(qts_format_b64("\xaa\xaa\xaa\x04", 4, text),
                        "qqqqBA==");
    assert_string_equal(qts_format_b64("ab", 2, text), "YWI=");
    assert_string_equal(qts_format_b64("abc", 3, text), "YWJj");
    assert_string_equal(qts_format_b64("", 0, text), "");
    assert_int_equal(qts_parse_b64("YWI=", buf, 2), 0);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(qts_parse_b64("", buf, 0), 0);
}

static void test_b64_round_trip(void **state)
{
    unsigned char in[300], out[300];
    char text[404];
    unsigned int seed = 3;
    size_t len, i;

    (void)state;
    for (len = 0; len <= sizeof(in); len++) {
        for (i = 0; i < len; i++)
            in[i] = (unsigned char)rand_r(&seed);
        qts_format_b64(in, len, text);
        assert_int_equal(strlen(text), qts_b64_len(len));
        assert_int_equal(qts_parse_b64(text, out, len), 0);
        assert_memory_equal(in, out, len);
    }
}

static void test_b64_garbage(void **state)
{
    static const struct { const char *text; size_t len; } bad[] = {
        { "qqqqBA==", 3 }, { "qqqqBA==", 5 }, { "qqqqBA=", 4 },
        { "qqqqBA===", 4 }, { "qqqqB===", 4 }, { "qqqqBAA=", 4 },
        { "qq qBA==", 4 }, { "qqqq\nA==", 4 }, { "qqq*BA==", 4 },
        { "YWI", 2 }, { "YW==", 2 }, { "YWJj", 2 }, { "====", 3 },
        { "Y=Jj", 3 }, { "", 1 }, { "AAAA", 0 },
    };
    unsigned char buf[8];
    size_t i;

    (void)state;
    for (i = 0; i < NR(bad); i++) {
        if (qts_parse_b64(bad[i].text, buf, bad[i].len) != -1)
            fail_msg("'%s' accepted for %zu bytes", bad[i].text, bad[i].len);
    }
    assert_int_equal(qts_parse_b64(NULL, buf, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_lines),
        cmocka_unit_test(test_fail_lines),
        cmocka_unit_test(test_irq_lines),
        cmocka_unit_test(test_garbage_lines),
        cmocka_unit_test(test_random_lines),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_u64_garbage),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_hex_garbage),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_b64_known),
        cmocka_unit_test(test_b64_round_trip),
        cmocka_unit_test(test_b64_garbage),
    };

    return cmocka_run_group_tests_name("qts_parse", tests, NULL, NULL);
}
