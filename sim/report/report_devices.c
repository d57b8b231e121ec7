/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_devices: the Markdown paragraphs on the NVMe, virtio and igb
 * devices of a report (report.h): per device and policy, what was in
 * flight and what it wrote after the crash path, from the JSON alone.
 */
#include <string.h>

#include "report.h"

static long long num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static const char *kind_of(const json_t *d)
{
    const char *k = json_string_value(json_object_get(d, "kind"));

    return k ? k : "";
}

static bool is_block(const char *kind)
{
    return !strcmp(kind, "nvme") || !strcmp(kind, "nvme-vf") ||
           !strcmp(kind, "virtio-blk");
}

static bool is_nic(const char *kind)
{
    return !strcmp(kind, "virtio-net") || !strcmp(kind, "igb-vf");
}

/* The first run without an error, or NULL. */
static const json_t *first_run(const json_t *runs)
{
    const json_t *run;
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (!json_object_get(run, "error"))
            return run;
    return NULL;
}

/* One line per device of the wanted family: every policy's figures. */
static void device_lines(const json_t *runs, bool block, FILE *out)
{
    const json_t *first = first_run(runs), *d, *run, *dr;
    const char *key, *sep;
    size_t i;

    json_object_foreach((json_t *)json_object_get(first, "dma_after_crash"),
                        key, d) {
        if (block ? !is_block(kind_of(d)) : !is_nic(kind_of(d)))
            continue;
        fprintf(out, "- %s (%s, %s):",
                json_string_value(json_object_get(d, "device")), kind_of(d),
                key);
        sep = "";
        json_array_foreach((json_t *)runs, i, run) {
            dr = json_object_get(json_object_get(run, "dma_after_crash"), key);
            if (!dr)
                continue;
            fprintf(out, "%s %s ", sep,
                    json_string_value(json_object_get(run, "policy")));
            if (block)
                fprintf(out, "%lld/%lld/%lld/%lld",
                        num(dr, "inflight_requests"),
                        num(dr, "inflight_landed"), num(dr, "completions"),
                        num(dr, "msi"));
            else
                fprintf(out, "%lld/%lld", num(dr, "completions"),
                        num(dr, "msi"));
            sep = ",";
        }
        fprintf(out, "\n");
    }
}

static bool any_of(const json_t *runs, bool block)
{
    const json_t *first = first_run(runs), *d;
    const char *key;

    json_object_foreach((json_t *)json_object_get(first, "dma_after_crash"),
                        key, d)
        if (block ? is_block(kind_of(d)) : is_nic(kind_of(d)))
            return true;
    return false;
}

void report_markdown_devices(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs");

    if (!first_run(runs))
        return;
    if (any_of(runs, true)) {
        fprintf(out, "\nNVMe and virtio-blk: %d reads of %d KiB kept posted "
                "until the crash (none after it). QEMU fetches every posted "
                "read at once and lands it whatever Bus Master becomes "
                "(virtio-blk lands them all before the disconnect write "
                "returns), so those are in flight: their data is in-flight "
                "bytes; a completion entry (NVMe CQE, virtio used element) "
                "and an MSI-X message are new DMA. Per device: reads in "
                "flight at its disconnect / of them seen landing after it / "
                "completion entries / MSI-X messages after the crash path:\n\n",
                CRASH_AHCI_SLOTS, CRASH_AHCI_CMD_BYTES / 1024);
        device_lines(runs, true, out);
    }
    if (any_of(runs, false)) {
        fprintf(out, "\nvirtio-net and igb VFs: a frame offered at every "
                "tick; a NIC has nothing in flight. Per device: frames taken "
                "/ MSI-X messages after the crash path:\n\n");
        device_lines(runs, false, out);
    }
}
