/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the topology SPEC parser (sim/topology/spec.c): trees, QEMU
 * arguments, every error with its position, limits and garbage.  No QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "topology/spec.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))

static struct spec spec;
static struct spec_args args;

static void parse_ok(const char *text)
{
    if (spec_parse(&spec, text) != 0)
        fail_msg("'%s' rejected: %s", text, spec.err);
}

/*
 * What spec_build_args() must return for the parsed tree: a "-device"
 * and its value for every node but the built-in AHCI.
 */
static int argc_expected(void)
{
    unsigned int i, n = 0;

    for (i = 0; i < spec.nr; i++)
        n += !spec.node[i].builtin;
    return (int)(2 * n);
}

static void build_args_exact(void)
{
    assert_int_equal(spec_build_args(&spec, &args, NULL, NULL),
                     argc_expected());
    assert_int_equal(args.argc, argc_expected());
}

/* All -device values joined with ' ', for exact comparison. */
static const char *joined_args(void)
{
    static char out[8192];
    unsigned int i;
    size_t o = 0;

    build_args_exact();
    out[0] = '\0';
    for (i = 0; i < args.argc; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "",
                              args.argv[i]);
    assert_null(args.argv[args.argc]);
    return out;
}

static void test_issue_example(void **state)
{
    (void)state;
    parse_ok("e1000,ahci,bridge(e1000,e1000)");
    assert_int_equal(spec.nr, 5);
    assert_string_equal(joined_args(),
        "-device e1000,id=e1000_0,bus=pcie.0,addr=02.0 "
        "-device pci-bridge,id=br0,bus=pcie.0,addr=03.0,chassis_nr=1 "
        "-device e1000,id=e1000_1,bus=br0,addr=00.0 "
        "-device e1000,id=e1000_2,bus=br0,addr=01.0");

    /* ahci is q35's own ICH9 AHCI: no argument, 00:1f.2, ports ide.N */
    assert_int_equal(spec.node[1].kind, SPEC_AHCI);
    assert_true(spec.node[1].builtin);
    assert_int_equal(spec.node[1].devfn, (0x1f << 3) | 2);
    assert_string_equal(spec.node[1].ahci_bus, "ide.0");

    /* Children know their bridge and their path from bus 0. */
    assert_int_equal(spec.node[3].parent, 2);
    assert_int_equal(spec.node[3].depth, 1);
    assert_int_equal(spec.node[4].path_len, 2);
    assert_int_equal(spec.node[4].path[0], 3 << 3);
    assert_int_equal(spec.node[4].path[1], 1 << 3);
}

static void test_rootport(void **state)
{
    (void)state;
    parse_ok("rootport(e1000e)");
    assert_string_equal(joined_args(),
        "-device pcie-root-port,id=rp0,bus=pcie.0,addr=02.0,chassis=1,slot=1 "
        "-device e1000e,id=e1000e_0,bus=rp0,addr=00.0");
}

/* serial: pci-serial on the root bus, behind a bridge and a root port,
 * with keep:; the chardev comes from the caller's extra properties. */
static void test_serial_everywhere(void **state)
{
    char buf[SPEC_ARG_LEN];

    (void)state;
    parse_ok("serial,bridge(e1000,keep:serial),rootport(serial)");
    assert_string_equal(joined_args(),
        "-device pci-serial,id=serial_0,bus=pcie.0,addr=02.0 "
        "-device pci-bridge,id=br0,bus=pcie.0,addr=03.0,chassis_nr=1 "
        "-device e1000,id=e1000_0,bus=br0,addr=00.0 "
        "-device pci-serial,id=serial_1,bus=br0,addr=01.0 "
        "-device pcie-root-port,id=rp0,bus=pcie.0,addr=04.0,chassis=2,slot=2 "
        "-device pci-serial,id=serial_2,bus=rp0,addr=00.0");
    assert_int_equal(spec.node[0].kind, SPEC_SERIAL);
    assert_true(spec_is_endpoint(SPEC_SERIAL));
    assert_false(spec_is_bridge(SPEC_SERIAL));
    assert_string_equal(spec_kind_name(SPEC_SERIAL), "serial");
    assert_false(spec.node[0].keep);
    assert_true(spec.node[3].keep);
    assert_int_equal(spec.node[3].path_len, 2);
    assert_int_equal(spec.node[3].path[1], 1 << 3);
    assert_int_equal(spec.node[5].depth, 1);
    assert_int_equal(spec_device_arg(&spec, 0, ",chardev=serial_0.chr", buf,
                                     sizeof(buf)), 0);
    assert_string_equal(buf, "pci-serial,id=serial_0,bus=pcie.0,addr=02.0,"
                             "chardev=serial_0.chr");
    /* A count gives each its own id. */
    parse_ok("serial*3");
    assert_string_equal(spec.node[2].id, "serial_2");
    assert_int_equal(spec.node[2].devfn, 4 << 3);
}

static void test_extra_ahci_and_iommu(void **state)
{
    (void)state;
    parse_ok("ahci, ahci ,bridge(ahci),iommu");
    assert_string_equal(joined_args(),
        "-device ich9-ahci,id=ahci_1,bus=pcie.0,addr=02.0 "
        "-device pci-bridge,id=br0,bus=pcie.0,addr=03.0,chassis_nr=1 "
        "-device ich9-ahci,id=ahci_2,bus=br0,addr=00.0 "
        "-device intel-iommu,id=iommu0");
    assert_true(spec.node[0].builtin);
    assert_false(spec.node[1].builtin);
    assert_string_equal(spec.node[1].ahci_bus, "ahci_1.0");
    assert_int_equal(spec.nr, 5);
    assert_int_equal(spec.node[4].kind, SPEC_IOMMU);
    assert_int_equal(spec.node[4].path_len, 0);
}

/* NVMe, virtio and igb: where they go, their models, their VFs. */
static void test_new_devices(void **state)
{
    (void)state;
    parse_ok("nvme,virtio-net,virtio-blk,bridge(nvme,virtio-net,virtio-blk),"
             "rootport(nvme(vfs=2)),keep:nvme ( vfs = 1 )");
    assert_string_equal(joined_args(),
        "-device nvme,id=nvme_0,bus=pcie.0,addr=02.0 "
        "-device virtio-net-pci,id=virtio_net_0,bus=pcie.0,addr=03.0 "
        "-device virtio-blk-pci,id=virtio_blk_0,bus=pcie.0,addr=04.0 "
        "-device pci-bridge,id=br0,bus=pcie.0,addr=05.0,chassis_nr=1 "
        "-device nvme,id=nvme_1,bus=br0,addr=00.0 "
        "-device virtio-net-pci,id=virtio_net_1,bus=br0,addr=01.0 "
        "-device virtio-blk-pci,id=virtio_blk_1,bus=br0,addr=02.0 "
        "-device pcie-root-port,id=rp0,bus=pcie.0,addr=06.0,chassis=2,slot=2 "
        "-device nvme,id=nvme_2,bus=rp0,addr=00.0 "
        "-device nvme,id=nvme_3,bus=pcie.0,addr=07.0");
    assert_int_equal(spec.node[0].vfs, 0);
    assert_int_equal(spec.node[8].kind, SPEC_NVME);
    assert_int_equal(spec.node[8].vfs, 2);
    assert_int_equal(spec.node[9].vfs, 1);
    assert_true(spec.node[9].keep);
    assert_int_equal(spec_total_vfs(&spec), 3);
    assert_true(spec_is_endpoint(SPEC_NVME));
    assert_true(spec_is_endpoint(SPEC_VIRTIO_NET));
    assert_true(spec_is_endpoint(SPEC_VIRTIO_BLK));
    assert_true(spec_is_endpoint(SPEC_IGB));
    assert_false(spec_is_endpoint(SPEC_IOMMU));
    assert_string_equal(spec_kind_name(SPEC_VIRTIO_BLK), "virtio-blk");
    /* xHCI: qemu-xhci, on the root bus or behind a bridge. */
    parse_ok("xhci,bridge(keep:xhci)");
    assert_string_equal(joined_args(),
        "-device qemu-xhci,id=xhci_0,bus=pcie.0,addr=02.0 "
        "-device pci-bridge,id=br0,bus=pcie.0,addr=03.0,chassis_nr=1 "
        "-device qemu-xhci,id=xhci_1,bus=br0,addr=00.0");
    assert_int_equal(spec.node[2].kind, SPEC_XHCI);
    assert_true(spec.node[2].keep);
    assert_true(spec_is_endpoint(SPEC_XHCI));
    assert_string_equal(spec_kind_name(SPEC_XHCI), "xhci");
    /* A count repeats the vfs= with the atom. */
    parse_ok("iommu,nvme,e1000");
    parse_ok("nvme(vfs=1)*2");
    assert_int_equal(spec.node[1].vfs, 1);
    assert_string_equal(spec.node[1].id, "nvme_1");
}

/*
 * QEMU puts igb's VF n at the PF's devfn + 0x80 + 2n: on the root bus the
 * VFs of a PF in slot S sit in slot S + 16 (and S + 17 from the fifth),
 * which later items skip; behind a root port they stay on its bus.
 */
static void test_igb_vf_slots(void **state)
{
    unsigned int i;

    (void)state;
    parse_ok("igb(vfs=2),e1000*16");
    assert_string_equal(spec.node[0].id, "igb_0");
    assert_int_equal(spec.node[0].devfn, 0x02 << 3);
    assert_int_equal(spec.node[0].vfs, 2);
    for (i = 1; i <= 15; i++)
        assert_int_equal(spec.node[i].devfn >> 3, 0x02 + i);
    assert_int_equal(spec.node[16].devfn >> 3, 0x13);   /* 0x12 skipped */
    /* Slot 3: VFs at devfn 0x98 .. 0xa4, slots 0x13 and 0x14. */
    parse_ok("e1000,igb(vfs=7),e1000*25");
    assert_int_equal(spec.node[17].devfn >> 3, 0x15);
    assert_int_equal(spec.node[26].devfn >> 3, 0x1e);
    assert_int_equal(spec_parse(&spec, "e1000,igb(vfs=7),e1000*26"), -1);
    assert_non_null(strstr(spec.err, "no free slot on the root bus"));
    parse_ok("rootport(igb(vfs=7)),e1000*28");
    assert_int_equal(spec.node[29].devfn >> 3, 0x1e);
    /* Slot 0x0e is the last whose VF (slot 0x1e) is not ICH9's 0x1f. */
    parse_ok("e1000*12,igb(vfs=1)");
    assert_int_equal(spec.node[12].devfn >> 3, 0x0e);
    assert_int_equal(spec_parse(&spec, "e1000*13,igb(vfs=1)"), -1);
    assert_non_null(strstr(spec.err, "QEMU puts its VF 0 at 00:1f.0"));
}

static void test_qemu_version_check(void **state)
{
    (void)state;
    parse_ok("e1000,igb(vfs=1)");
    assert_int_equal(spec_check_qemu(&spec, 7, 2, "7.2.22",
                                     "qemu-system-x86_64"), -1);
    assert_string_equal(spec.err, "topology: position 7: igb needs QEMU >= "
                        "8.0; this is QEMU 7.2.22 (qemu-system-x86_64)");
    parse_ok("e1000,igb(vfs=1)");
    assert_int_equal(spec_check_qemu(&spec, 8, 0, "8.0.0", "q"), 0);
    assert_int_equal(spec_check_qemu(&spec, 10, 0, "10.0.2", "q"), 0);
    assert_int_equal(spec_check_qemu(&spec, 7, 9, "7.9", "q"), -1);
    parse_ok("nvme(vfs=2),virtio-net,virtio-blk,e1000,ahci,serial");
    assert_int_equal(spec_check_qemu(&spec, 7, 2, "7.2.22", "q"), 0);
}

static void test_counts_keep_nesting(void **state)
{
    unsigned int i;

    (void)state;
    parse_ok(" keep:e1000 * 2 , bridge( bridge(e1000) )*2 ");
    assert_int_equal(spec.nr, 8);
    assert_true(spec.node[0].keep && spec.node[1].keep);
    assert_string_equal(spec.node[1].id, "e1000_1");
    for (i = 2; i < 8; i++)
        assert_false(spec.node[i].keep);
    /* The count repeats the whole subtree, with fresh ids and chassis. */
    assert_string_equal(spec.node[5].id, "br2");
    assert_string_equal(spec.node[6].id, "br3");
    assert_string_equal(spec.node[6].bus, "br2");
    assert_int_equal(spec.node[6].chassis, 4);
    assert_string_equal(spec.node[7].bus, "br3");
    assert_int_equal(spec.node[7].depth, 2);
    assert_int_equal(spec.node[7].path_len, 3);
}

static void test_empty(void **state)
{
    (void)state;
    parse_ok("");
    assert_int_equal(spec.nr, 0);
    parse_ok("   ");
    assert_int_equal(spec.nr, 0);
    parse_ok("bridge()");
    assert_int_equal(spec.nr, 1);
    assert_int_equal(spec_parse(&spec, NULL), 0);
}

static void test_extra_props(void **state)
{
    char buf[SPEC_ARG_LEN];

    (void)state;
    parse_ok("e1000");
    assert_int_equal(spec_device_arg(&spec, 0, ",netdev=n0", buf,
                                     sizeof(buf)), 0);
    assert_string_equal(buf, "e1000,id=e1000_0,bus=pcie.0,addr=02.0,netdev=n0");
    /* Too small a buffer is an error, not a truncated argument. */
    assert_int_equal(spec_device_arg(&spec, 0, NULL, buf, 10), -1);
    assert_int_equal(spec_device_arg(&spec, 1, NULL, buf, sizeof(buf)), -1);
}

static const char *extra_netdev(void *arg, const struct spec *s,
                                unsigned int i)
{
    static char prop[32];

    (void)arg;
    if (s->node[i].kind != SPEC_E1000)
        return NULL;
    snprintf(prop, sizeof(prop), ",netdev=net%u", i);
    return prop;
}

static void test_build_args_callback(void **state)
{
    (void)state;
    parse_ok("e1000,ahci,bridge(e1000)");
    assert_int_equal(spec_build_args(&spec, &args, extra_netdev, NULL), 6);
    assert_string_equal(args.argv[1],
                        "e1000,id=e1000_0,bus=pcie.0,addr=02.0,netdev=net0");
    assert_string_equal(args.argv[5],
                        "e1000,id=e1000_1,bus=br0,addr=00.0,netdev=net3");
}

struct bad_case {
    const char *text;
    unsigned int pos;       /* 1-based, as printed */
    const char *words;      /* must appear in the message */
};

static void test_errors(void **state)
{
    static const struct bad_case bad[] = {
        { "e100", 1, "unknown device 'e100'" },
        { "e1000,,ahci", 7, "empty item" },
        { "e1000,", 7, "empty item" },
        { ",e1000", 1, "empty item" },
        { "bridge(e1000", 13, "expected ',' or ')'" },
        { "bridge e1000", 8, "expected '(' after bridge" },
        { "e1000)", 6, "expected ',' or the end" },
        { "e1000 x", 7, "expected ',' or the end" },
        { "e1000*", 7, "expected a count" },
        { "e1000*0", 7, "count must be 1..32" },
        { "e1000*33", 7, "count must be 1..32" },
        { "e1000*99999999999", 7, "count must be 1..32" },
        { "rootport(e1000,e1000)", 16, "takes one device" },
        { "rootport(serial,serial)", 17, "takes one device" },
        { "serial(e1000)", 7, "expected ',' or the end" },
        { "serials", 1, "unknown device 'serials' (known: e1000, e1000e, "
                        "ahci, serial," },
        { "keep:keep:serial", 6, "unknown device 'keep'" },
        { "bridge(rootport(e1000))", 8, "rootport must be on the top level" },
        { "bridge(iommu)", 8, "iommu is not a PCI device" },
        { "iommu,iommu", 7, "only one iommu" },
        { "keep:bridge()", 6, "keep: applies to devices" },
        { "keep:iommu", 6, "keep: applies to devices" },
        { "keep:", 6, "expected a device" },
        { "KEEP:e1000", 1, "unknown device" },
        { "E1000", 1, "unknown device" },
        { "e1000\x01", 6, "byte 0x01" },
        { "(e1000)", 1, "expected a device or bridge, found '('" },
        { "bridge((e1000))", 8, "expected a device" },
        { "igb", 1, "igb needs (vfs=N), N 1..7" },
        { "e1000,igb()", 11, "expected vfs=N in igb(...), found ')'" },
        { "nvme(vfs=3)", 10, "vfs must be 1..2 for nvme" },
        { "nvme(vfs=0)", 10, "vfs must be 1..2 for nvme" },
        { "igb(vfs=8)", 9, "vfs must be 1..7 for igb" },
        { "igb(vfs=99999999999)", 9, "vfs must be 1..7" },
        { "nvme(vfs=)", 10, "vfs must be 1..2" },
        { "nvme(vf=1)", 6, "expected vfs=N in nvme(...)" },
        { "nvme(vfs 1)", 10, "expected '=' after vfs" },
        { "nvme(vfs=1", 11, "expected ')' after vfs=1" },
        { "bridge(nvme(vfs=1))", 8, "nvme(vfs=1) behind bridge(...): a "
                                    "conventional PCI bridge" },
        { "rootport(bridge(igb(vfs=2)))", 17, "igb(vfs=2) behind bridge" },
        { "iommu,nvme(vfs=1)", 7, "SR-IOV VFs with an iommu item" },
        { "nvme(vfs=1),iommu", 1, "SR-IOV VFs with an iommu item" },
        { "iommu,nvme,virtio-blk", 12, "virtio-blk with an iommu item is "
                                       "not supported" },
        { "virtio-net,iommu", 1, "virtio-net with an iommu item" },
        { "virtio-net(vfs=1)", 11, "expected ',' or the end" },
        { "virtio", 1, "unknown device 'virtio'" },
        { "virtio-", 1, "unknown device 'virtio-'" },
        { "-e1000", 1, "expected a device or bridge, found '-'" },
        { "e1000*14,igb(vfs=1)", 10, "igb_0 in slot 0x10: QEMU puts its VF 0 "
                                     "at 00:20.0" },
        { "keep:bridge()", 6, "keep: applies to devices (e1000, e1000e, "
                              "ahci, serial, nvme, virtio-net, virtio-blk, "
                              "igb, xhci), not to bridge" },
        { "xhci(vfs=1)", 5, "expected ',' or the end" },
        { "iommu,bridge(xhci)", 14, "xhci with an iommu item is not "
                                    "supported" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < NR(bad); i++) {
        char prefix[48];

        if (spec_parse(&spec, bad[i].text) != -1)
            fail_msg("'%s' accepted", bad[i].text);
        snprintf(prefix, sizeof(prefix), "topology: position %u: ",
                 bad[i].pos);
        if (strncmp(spec.err, prefix, strlen(prefix)) != 0 ||
            !strstr(spec.err, bad[i].words))
            fail_msg("'%s': got \"%s\", want \"%s...%s\"", bad[i].text,
                     spec.err, prefix, bad[i].words);
        assert_int_equal(spec.nr, 0);
        assert_null(strchr(spec.err, '\n'));
    }
}

/* Build "bridge(" x depth + inner + ")" x depth. */
static const char *nested(unsigned int depth, const char *inner)
{
    static char text[512];
    size_t o = 0;
    unsigned int i;

    for (i = 0; i < depth; i++)
        o += (size_t)sprintf(text + o, "bridge(");
    o += (size_t)sprintf(text + o, "%s", inner);
    for (i = 0; i < depth; i++)
        text[o++] = ')';
    text[o] = '\0';
    return text;
}

static void test_limits(void **state)
{
    (void)state;
    /* Root bus: slots 0x02 .. 0x1e. */
    parse_ok("e1000*29");
    assert_int_equal(spec.node[28].devfn, 0x1e << 3);
    parse_ok("e1000*29,ahci");      /* built-in AHCI takes no slot */
    assert_int_equal(spec_parse(&spec, "e1000*29,e1000"), -1);
    assert_non_null(strstr(spec.err, "no free slot on the root bus"));

    /* pci-bridge: 32 slots. */
    parse_ok("bridge(e1000*32)");
    assert_int_equal(spec.node[32].devfn, 31 << 3);
    assert_int_equal(spec_parse(&spec, "bridge(e1000*32,e1000)"), -1);
    assert_non_null(strstr(spec.err, "no free slot behind br0"));

    /* Nesting depth. */
    parse_ok(nested(SPEC_MAX_DEPTH, "e1000"));
    assert_int_equal(spec.node[SPEC_MAX_DEPTH].depth, SPEC_MAX_DEPTH);
    assert_int_equal(spec_parse(&spec, nested(SPEC_MAX_DEPTH + 1, "e1000")),
                     -1);
    assert_non_null(strstr(spec.err, "nested deeper than 8"));

    /* Bus numbers: at most SPEC_MAX_BRIDGES bridges. */
    parse_ok("bridge(bridge()*31),bridge(bridge()*31)");
    assert_int_equal(spec.nr, 64);
    assert_int_equal(spec_parse(&spec,
                                "bridge(bridge()*31),bridge(bridge()*31),"
                                "bridge()"), -1);
    assert_non_null(strstr(spec.err, "more than 64 bridges"));

    /* Node count. */
    assert_int_equal(spec_parse(&spec, "bridge(e1000*32)*8"), -1);
    assert_non_null(strstr(spec.err, "more than 256"));
}

/* Random garbage: never a crash; either a tree or a positioned error. */
static void test_random_garbage(void **state)
{
    static const char alphabet[] =
        "e1000ahcibridgerootportkeep:iommuserial(),* \x7fnvm(vfs=2)-tbkg";
    char text[40];
    unsigned int seed = 99, i, j, n, ok = 0, bad = 0;

    (void)state;
    for (i = 0; i < 100000; i++) {
        n = (unsigned int)rand_r(&seed) % (sizeof(text) - 1);
        for (j = 0; j < n; j++)
            text[j] = alphabet[(unsigned int)rand_r(&seed) %
                               (sizeof(alphabet) - 1)];
        text[n] = '\0';
        if (spec_parse(&spec, text) == 0) {
            ok++;
            assert_int_equal(spec.err[0], '\0');
            build_args_exact();
        } else {
            bad++;
            assert_int_equal(strncmp(spec.err, "topology: position ", 19), 0);
            assert_int_equal(spec.nr, 0);
        }
    }
    /* The generator must exercise both outcomes, or it tests nothing. */
    assert_true(ok > 0);
    assert_true(bad > 0);
}

static void test_format_tree(void **state)
{
    char buf[1024];

    (void)state;
    parse_ok("ahci,bridge(keep:e1000,serial),rootport(keep:nvme(vfs=2))");
    assert_int_equal(spec_format_tree(&spec, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf,
                           "  nvme_0    nvme      03.0/00.0 vfs=2 keep\n"));
    assert_non_null(strstr(buf, "  serial_0  serial    02.0/01.0\n"));
    assert_non_null(strstr(buf, "q35 built-in ICH9 AHCI"));
    assert_non_null(strstr(buf, "  e1000_0"));
    assert_non_null(strstr(buf, "02.0/00.0 keep"));
    assert_int_equal(spec_format_tree(&spec, buf, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_rootport),
        cmocka_unit_test(test_serial_everywhere),
        cmocka_unit_test(test_extra_ahci_and_iommu),
        cmocka_unit_test(test_new_devices),
        cmocka_unit_test(test_igb_vf_slots),
        cmocka_unit_test(test_qemu_version_check),
        cmocka_unit_test(test_counts_keep_nesting),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_extra_props),
        cmocka_unit_test(test_build_args_callback),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_format_tree),
    };

    return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
