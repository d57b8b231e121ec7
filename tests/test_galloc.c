/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the guest-physical allocator (sim/pci/galloc.c).  No QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pci/galloc.h"

#define MiB (1ULL << 20)

static void test_range_checks(void **state)
{
    (void)state;
    assert_non_null(galloc_check_range(0, MiB));
    assert_non_null(galloc_check_range(0x1001, MiB));
    assert_non_null(galloc_check_range(MiB, MiB));
    assert_null(galloc_check_range(MiB, 2 * MiB));
    assert_null(galloc_new(0, MiB));
    assert_null(galloc_new(2 * MiB, MiB));
}

static void test_alloc_free_lookup(void **state)
{
    struct galloc *g = galloc_new(MiB, 2 * MiB);
    uint64_t a, b, c;

    (void)state;
    assert_non_null(g);
    a = galloc_alloc(g, 100, 0, "ring");
    b = galloc_alloc(g, 8192, 0x10000, "buffers");
    assert_int_equal(a, MiB);
    assert_int_equal(b, MiB + 0x10000);         /* aligned up */
    assert_int_equal(galloc_used(g), 4096 + 8192);

    /* First fit reuses the gap between the two. */
    c = galloc_alloc(g, 4096, 0, "gap");
    assert_int_equal(c, MiB + 4096);

    assert_string_equal(galloc_lookup(g, b + 8191)->name, "buffers");
    assert_int_equal(galloc_lookup(g, b + 8191)->requested, 8192);
    assert_null(galloc_lookup(g, b + 8192));
    assert_string_equal(galloc_lookup(g, a + 99)->name, "ring");
    assert_null(galloc_lookup(g, MiB - 1));

    assert_int_equal(galloc_count(g), 3);
    assert_int_equal(galloc_region_at(g, 1)->addr, c);
    assert_null(galloc_region_at(g, 3));

    assert_int_equal(galloc_free(g, b + 4096), -1);     /* not a start */
    assert_non_null(strstr(galloc_error(g), "not allocated"));
    assert_int_equal(galloc_free(g, b), 0);
    assert_int_equal(galloc_free(g, b), -1);            /* double free */
    assert_int_equal(galloc_free(g, a), 0);
    assert_int_equal(galloc_free(g, c), 0);
    assert_int_equal(galloc_leaks(g, NULL), 0);
    galloc_destroy(g);
}

static void test_exhaustion_and_bad_args(void **state)
{
    struct galloc *g = galloc_new(MiB, MiB + 4 * 4096);

    (void)state;
    assert_int_equal(galloc_alloc(g, 0, 0, "zero"), 0);
    assert_int_equal(galloc_alloc(g, 4096, 3 * 4096, "npot"), 0);
    assert_non_null(strstr(galloc_error(g), "power of two"));
    assert_int_not_equal(galloc_alloc(g, 3 * 4096, 0, "big"), 0);
    assert_int_equal(galloc_alloc(g, 2 * 4096, 0, "too big"), 0);
    assert_non_null(strstr(galloc_error(g), "no room"));
    assert_int_not_equal(galloc_alloc(g, 1, 0, "last page"), 0);
    assert_int_equal(galloc_alloc(g, 1, 0, "full"), 0);
    galloc_destroy(g);
}

static void test_reserve(void **state)
{
    struct galloc *g = galloc_new(MiB, 4 * MiB);
    uint64_t a;

    (void)state;
    assert_int_equal(galloc_reserve(g, 2 * MiB, MiB, "kdump"), 0);
    assert_int_equal(galloc_reserve(g, 2 * MiB + MiB - 4096, 8192, "x"), -1);
    assert_non_null(strstr(galloc_error(g), "overlaps 'kdump'"));
    assert_int_equal(galloc_reserve(g, 2 * MiB + 1, 4096, "odd"), -1);
    assert_int_equal(galloc_reserve(g, 4 * MiB, 4096, "outside"), -1);
    assert_true(galloc_lookup(g, 2 * MiB)->fixed);

    /* Allocations go around the reservation: two 1 MiB holes remain. */
    assert_int_equal(galloc_alloc(g, MiB + 4096, 0, "too big"), 0);
    assert_int_equal(galloc_alloc(g, MiB, 0, "before"), MiB);
    a = galloc_alloc(g, MiB, 0, "after");
    assert_int_equal(a, 3 * MiB);
    galloc_destroy(g);
}

static void test_leaks_reported(void **state)
{
    struct galloc *g = galloc_new(MiB, 2 * MiB);
    char text[256] = "";
    FILE *out = fmemopen(text, sizeof(text), "w");

    (void)state;
    galloc_alloc(g, 10, 0, "forgotten");
    assert_int_equal(galloc_leaks(g, out), 1);
    fclose(out);
    assert_non_null(strstr(text, "leaked forgotten at 0x100000 (10 bytes)"));
    galloc_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_checks),
        cmocka_unit_test(test_alloc_free_lookup),
        cmocka_unit_test(test_exhaustion_and_bad_args),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_leaks_reported),
    };

    return cmocka_run_group_tests_name("galloc", tests, NULL, NULL);
}
