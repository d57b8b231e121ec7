/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the crash engine's pure helpers (sim/engine/policy_list.c):
 * the --policy / --require-clean list parser with good lists, "all",
 * duplicates and garbage; which policies fit a topology; and the one SBDF
 * text form the engine and the report print (sim/base/sbdf.h).  No QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/sbdf.h"
#include "engine/crash.h"
#include "topology/spec.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))

static bool want[CRASH_NR_POLICIES];
static char err[256];

/* want[] as a bit set: bit p for policy p. */
static unsigned int wanted(void)
{
    unsigned int p, set = 0;

    for (p = 0; p < CRASH_NR_POLICIES; p++)
        if (want[p])
            set |= 1u << p;
    return set;
}

static unsigned int parse_ok(const char *list)
{
    err[0] = '\0';
    if (crash_policy_parse(list, want, err, sizeof(err)) != 0)
        fail_msg("'%s' rejected: %s", list, err);
    return wanted();
}

/* Rejected with a one-line reason that contains must_contain. */
static void parse_bad(const char *list, const char *must_contain)
{
    err[0] = '\0';
    if (crash_policy_parse(list, want, err, sizeof(err)) != -1)
        fail_msg("'%s' accepted", list);
    if (!strstr(err, must_contain))
        fail_msg("'%s': reason '%s' lacks '%s'", list, err, must_contain);
    assert_null(strchr(err, '\n'));
}

#define BIT(p) (1u << (p))
#define ALL    ((1u << CRASH_NR_POLICIES) - 1)

static void test_names_round_trip(void **state)
{
    unsigned int p, q;

    (void)state;
    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        assert_int_equal(parse_ok(crash_policy_name(p)), BIT(p));
        for (q = p + 1; q < CRASH_NR_POLICIES; q++)
            assert_string_not_equal(crash_policy_name(p), crash_policy_name(q));
    }
    assert_string_equal(crash_policy_name(CRASH_NR_POLICIES), "?");
    assert_string_equal(crash_policy_name((enum crash_policy)-1), "?");
}

static void test_lists(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("all"), ALL);
    assert_int_equal(parse_ok("none,pcidc"), BIT(CRASH_NONE) | BIT(CRASH_PCIDC));
    assert_int_equal(parse_ok("pcidc,none"), BIT(CRASH_NONE) | BIT(CRASH_PCIDC));
    assert_int_equal(parse_ok("none,seed,linux-kexec,decode-off,pcidc,"
                              "iommu-on,pf-only"), ALL);
    assert_int_equal(parse_ok("pf-only"), BIT(CRASH_PF_ONLY));
    assert_int_equal(parse_ok("decode-off"), BIT(CRASH_DECODE_OFF));
    assert_int_equal(parse_ok("decode-off,pcidc"),
                     BIT(CRASH_DECODE_OFF) | BIT(CRASH_PCIDC));
    assert_string_equal(crash_policy_name(CRASH_DECODE_OFF), "decode-off");
    /* A name given twice runs once. */
    assert_int_equal(parse_ok("pcidc,pcidc"), BIT(CRASH_PCIDC));
    assert_int_equal(parse_ok("seed,none,seed,none"),
                     BIT(CRASH_SEED) | BIT(CRASH_NONE));
    /* A second parse starts from nothing. */
    assert_int_equal(parse_ok("all"), ALL);
    assert_int_equal(parse_ok("seed"), BIT(CRASH_SEED));
}

static void test_garbage(void **state)
{
    static const struct {
        const char *list, *reason;
    } bad[] = {
        { "", "empty policy list" },
        { ",", "empty item at position 1" },
        { "none,", "empty item at position 6" },
        { ",none", "empty item at position 1" },
        { "none,,seed", "empty item at position 6" },
        { "all,none", "'all' stands alone" },
        { "none,all", "'all' stands alone" },
        { "all,all", "'all' stands alone" },
        { "ALL", "unknown policy 'ALL'" },
        { "PCIDC", "unknown policy 'PCIDC'" },
        { " none", "unknown policy ' none'" },
        { "none ", "unknown policy 'none '" },
        { "none, seed", "unknown policy ' seed'" },
        { "non", "unknown policy 'non'" },
        { "nonee", "unknown policy 'nonee'" },
        { "linux", "unknown policy 'linux'" },
        { "decode", "unknown policy 'decode'" },
        { "decode_off", "unknown policy 'decode_off'" },
        { "decode-of", "(none, seed, linux-kexec, decode-off, pcidc, "
                       "iommu-on, pf-only, or all alone)" },
        { "pf_only", "unknown policy 'pf_only'" },
        { "none;seed", "unknown policy 'none;seed'" },
        /* Control and non-ASCII bytes are quoted as '?': one line. */
        { "pcidc\n", "unknown policy 'pcidc?'" },
        { "\xff\xfe", "unknown policy '?" "?'" },
        { "a\tb", "unknown policy 'a?b'" },
        { "?", "unknown policy '?'" },
    };
    unsigned int i;

    (void)state;
    for (i = 0; i < NR(bad); i++)
        parse_bad(bad[i].list, bad[i].reason);
}

static void test_long_item_is_cut(void **state)
{
    char list[600];

    (void)state;
    memset(list, 'x', sizeof(list) - 1);
    list[sizeof(list) - 1] = '\0';
    parse_bad(list, "unknown policy 'xxxxxxxx");
    assert_non_null(strstr(err, "...'"));
    assert_true(strlen(err) < 150);

    /* A bad item after good ones is the one quoted. */
    memcpy(list, "pcidc,", 6);
    parse_bad(list, "unknown policy 'xxxx");
}

static void test_small_error_buffer(void **state)
{
    char small[8];

    (void)state;
    memset(small, '#', sizeof(small));
    assert_int_equal(crash_policy_parse("bogus", want, small, sizeof(small)),
                     -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(crash_policy_parse("", want, small, 1), -1);
    assert_string_equal(small, "");
}

static void test_fits(void **state)
{
    static struct spec plain, with_iommu, with_vfs;
    unsigned int p;

    (void)state;
    assert_int_equal(spec_parse(&plain, "e1000,ahci,rootport(e1000e)"), 0);
    assert_int_equal(spec_parse(&with_iommu, "iommu,e1000"), 0);
    assert_int_equal(spec_parse(&with_vfs, "e1000,rootport(nvme(vfs=1))"), 0);
    assert_false(crash_spec_has_iommu(&plain));
    assert_true(crash_spec_has_iommu(&with_iommu));
    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        assert_int_equal(crash_policy_fits(p, &with_iommu),
                         p != CRASH_PF_ONLY);
        assert_int_equal(crash_policy_fits(p, &plain),
                         p != CRASH_IOMMU_ON && p != CRASH_PF_ONLY);
        assert_int_equal(crash_policy_fits(p, &with_vfs), p != CRASH_IOMMU_ON);
        assert_int_equal(crash_policy_misfit(p, &plain) == NULL,
                         crash_policy_fits(p, &plain));
    }
    assert_string_equal(crash_policy_misfit(CRASH_IOMMU_ON, &plain),
                        "needs an iommu item in the topology");
    assert_non_null(strstr(crash_policy_misfit(CRASH_PF_ONLY, &plain),
                           "needs an item with SR-IOV VFs"));
}

static void test_sbdf_text(void **state)
{
    char buf[SBDF_STR_LEN];

    (void)state;
    assert_string_equal(sbdf_str(0x000010, buf, sizeof(buf)),
                        "0000:00:02.0");
    assert_string_equal(sbdf_str(0x0000fa, buf, sizeof(buf)),
                        "0000:00:1f.2");
    assert_string_equal(sbdf_str(0x01ffff, buf, sizeof(buf)),
                        "0001:ff:1f.7");
    assert_string_equal(sbdf_str(SBDF(0xffff, 0xff, 0x1f, 7), buf,
                                 sizeof(buf)), "ffff:ff:1f.7");
    assert_int_equal(strlen(buf), SBDF_STR_LEN - 1);
}

/*
 * A buffer too small for the text: cut, terminated, nothing written past
 * len.  The length goes through a volatile so that the compiler cannot
 * see the truncation coming (-Wformat-truncation would stop the build).
 */
static void test_sbdf_text_truncated(void **state)
{
    char area[16];
    volatile size_t len = 6;

    (void)state;
    memset(area, '#', sizeof(area));
    assert_ptr_equal(sbdf_str(0x000100, area, len), area);
    assert_string_equal(area, "0000:");
    assert_int_equal(area[len], '#');
    assert_int_equal(area[sizeof(area) - 1], '#');
    len = 1;
    memset(area, '#', sizeof(area));
    sbdf_str(0x000100, area, len);
    assert_int_equal(area[0], '\0');
    assert_int_equal(area[1], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_long_item_is_cut),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_sbdf_text),
        cmocka_unit_test(test_sbdf_text_truncated),
    };

    return cmocka_run_group_tests_name("crash_policy", tests, NULL, NULL);
}
