/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report: see report.h.
 */
#include <string.h>

#include "report.h"
#include "base/sbdf.h"

static json_t *hex16(uint16_t v)
{
    char buf[8];

    snprintf(buf, sizeof(buf), "0x%04x", v);
    return json_string(buf);
}

static json_t *sbdf_json(uint32_t sbdf)
{
    char buf[SBDF_STR_LEN];

    return json_string(sbdf_str(sbdf, buf, sizeof(buf)));
}

static json_t *plan_json(const struct crash_result *r)
{
    json_t *plan = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_steps; i++)
        json_array_append_new(plan, json_pack("{s:o, s:o, s:f}",
                                              "sbdf", sbdf_json(r->step[i].sbdf),
                                              "value", hex16(r->step[i].value),
                                              "t_ms", r->step[i].t_ms));
    return plan;
}

static json_t *ranges_json(const struct crash_result *r)
{
    json_t *ranges = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_ranges; i++) {
        const struct crash_range *cr = &r->range[i];
        json_t *dev = cr->dev >= 0 ? json_string(r->dev[cr->dev].name)
                                   : json_null();

        json_array_append_new(ranges, json_pack(
            "{s:s, s:I, s:I, s:I, s:o, s:b}",
            "region", cr->region,
            "offset", (json_int_t)cr->offset,
            "length", (json_int_t)cr->length,
            "changed_bytes", (json_int_t)cr->changed,
            "device", dev,
            "inflight", cr->inflight));
    }
    return ranges;
}

static json_t *dma_json(const struct crash_result *r)
{
    json_t *dma = json_object();
    unsigned int i;
    char sbdf[SBDF_STR_LEN];

    for (i = 0; i < r->nr_devs; i++) {
        const struct crash_dev_result *d = &r->dev[i];
        json_t *o;

        o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                      "s:i, s:i, s:i, s:i}",
                      "device", d->name,
                      "preserved", d->preserved,
                      "bytes_written", (json_int_t)d->bytes_written,
                      "bytes_read", (json_int_t)d->bytes_read,
                      "completions", (json_int_t)d->completions,
                      "tx_packets", (json_int_t)d->tx_packets,
                      "tx_packets_crash_state", (json_int_t)d->tx_crash_state,
                      "intx", (json_int_t)d->intx,
                      "inflight_requests", (json_int_t)d->inflight_requests,
                      "corrupted_bytes", (json_int_t)d->corrupted_bytes,
                      "irq_pin", (int)d->irq_pin,
                      "plan_step", d->plan_step,
                      "last_dma_after_write", d->last_dma_write,
                      "last_dma_after_write_pcie", d->last_dma_write_pcie);
        json_object_set_new(o, "bridge_step", json_integer(d->bridge_step));
        json_object_set_new(o, "bridge_sbdf", d->bridge_step ?
                            sbdf_json(d->bridge_sbdf) : json_null());
        json_object_set_new(o, "kind", json_string(d->kind));
        json_object_set_new(o, "msi_enabled", json_boolean(d->msi_enabled));
        json_object_set_new(o, "msi", json_integer((json_int_t)d->msi));
        if (d->throttle_bps || d->queued_at_crash || d->inflight_landed) {
            json_object_set_new(o, "queued_commands_at_crash",
                                json_integer(d->queued_at_crash));
            json_object_set_new(o, "queued_bytes_at_crash",
                                json_integer((json_int_t)
                                             d->queued_bytes_at_crash));
            json_object_set_new(o, "inflight_landed",
                                json_integer((json_int_t)d->inflight_landed));
        }
        if (d->throttle_bps)
            json_object_set_new(o, "throttle_bps",
                                json_integer(d->throttle_bps));
        json_object_set_new(dma, sbdf_str(d->sbdf, sbdf, sizeof(sbdf)), o);
    }
    return dma;
}

/* VT-d fault records: requester, reason, IOVA page, owning device. */
static json_t *faults_json(const struct crash_result *r)
{
    json_t *faults = json_array();
    unsigned int i;
    char sbdf[SBDF_STR_LEN];

    for (i = 0; i < r->nr_faults; i++) {
        const struct crash_fault *f = &r->fault[i];

        json_array_append_new(faults, json_pack(
            "{s:s, s:i, s:s, s:s, s:I, s:o}",
            "source", sbdf_str(f->source_id, sbdf, sizeof(sbdf)),
            "reason", f->reason,
            "reason_name", f->reason_name,
            "type", f->is_read ? "read" : "write",
            "iova", (json_int_t)f->iova,
            "iova_owner", f->dev >= 0 ? json_string(r->dev[f->dev].name)
                                      : json_null()));
    }
    return faults;
}

static json_t *iova_json(const struct crash_result *r)
{
    json_t *layout = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_iova; i++) {
        const struct crash_iova *b = &r->iova[i];

        json_array_append_new(layout, json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:o}",
            "buffer", b->name, "window", b->window,
            "iova", (json_int_t)b->iova, "length", (json_int_t)b->length,
            "phys", (json_int_t)b->phys,
            "device", b->dev >= 0 ? json_string(r->dev[b->dev].name)
                                  : json_null()));
    }
    return layout;
}

static void iommu_json(json_t *run, const struct crash_result *r)
{
    json_object_set_new(run, "corrupted_by_region", json_pack(
        "{s:I, s:I, s:I}",
        "low_memory", (json_int_t)r->low_memory_bytes,
        "kdump_reserved", (json_int_t)r->kdump_bytes,
        "crash_state", (json_int_t)r->crash_state_bytes));
    json_object_set_new(run, "iommu", json_boolean(r->iommu));
    if (!r->iommu)
        return;
    json_object_set_new(run, "translation_on_after_window",
                        json_boolean(r->translation_on));
    json_object_set_new(run, "iommu_faults",
                        json_integer((json_int_t)r->iommu_faults));
    json_object_set_new(run, "iommu_fault_overflow",
                        json_boolean(r->iommu_fault_overflow));
    json_object_set_new(run, "iommu_fault_records", faults_json(r));
    json_object_set_new(run, "iova_layout", iova_json(r));
    json_object_set_new(run, "iova_unguarded_bytes",
                        json_integer((json_int_t)r->iova_unguarded_bytes));
}

json_t *report_run_json(const struct crash_result *r)
{
    json_t *run = json_object();

    json_object_set_new(run, "policy", json_string(crash_policy_name(r->policy)));
    json_object_set_new(run, "plan", plan_json(r));
    json_object_set_new(run, "config_writes", json_integer((json_int_t)r->config_writes));
    json_object_set_new(run, "config_reads", json_integer((json_int_t)r->config_reads));
    json_object_set_new(run, "crash_reads", json_integer((json_int_t)r->crash_reads));
    json_object_set_new(run, "guarded_bytes", json_integer((json_int_t)r->guarded_bytes));
    json_object_set_new(run, "corrupted_bytes", json_integer((json_int_t)r->corrupted_bytes));
    json_object_set_new(run, "inflight_bytes", json_integer((json_int_t)r->inflight_bytes));
    json_object_set_new(run, "preserved_dma_bytes",
                        json_integer((json_int_t)r->preserved_dma_bytes));
    json_object_set_new(run, "corrupted_ranges", ranges_json(r));
    json_object_set_new(run, "corrupted_ranges_truncated",
                        json_boolean(r->ranges_truncated));
    json_object_set_new(run, "dma_after_crash", dma_json(r));
    json_object_set_new(run, "tx_packets_after_crash",
                        json_integer((json_int_t)r->tx_packets_after_crash));
    json_object_set_new(run, "intx_after_crash",
                        json_integer((json_int_t)r->intx_after_crash));
    json_object_set_new(run, "msi_after_crash",
                        json_integer((json_int_t)r->msi_after_crash));
    json_object_set_new(run, "msi_observable", json_boolean(r->msi_observable));
    json_object_set_new(run, "writes_until_quiesced",
                        json_integer(r->writes_until_quiesced));
    json_object_set_new(run, "writes_until_quiesced_pcie",
                        json_integer(r->writes_until_quiesced_pcie));
    json_object_set_new(run, "writes_until_quiesced_excluding_inflight",
                        json_integer(r->writes_until_quiesced_new));
    json_object_set_new(run, "writes_until_quiesced_pcie_excluding_inflight",
                        json_integer(r->writes_until_quiesced_new_pcie));
    json_object_set_new(run, "dma_stopped", json_boolean(r->dma_stopped));
    json_object_set_new(run, "qemu_start_ms", json_real(r->start_ms));
    json_object_set_new(run, "crash_path_ms", json_real(r->crash_path_ms));
    json_object_set_new(run, "crash_path_config_ms",
                        json_real(r->crash_path_config_ms));
    json_object_set_new(run, "qtest_commands",
                        json_integer((json_int_t)r->qtest_commands));
    json_object_set_new(run, "elapsed_ms", json_real(r->elapsed_ms));
    iommu_json(run, r);
    report_reach_json(run, r);
    report_timeline_json(run, r);
    return run;
}

json_t *report_error_json(enum crash_policy p, const char *error)
{
    return json_pack("{s:s, s:s}", "policy", crash_policy_name(p),
                     "error", error);
}

json_t *report_json(const char *topology, unsigned long long seed,
                    unsigned int window_ms, const char *qemu_version,
                    json_t *runs)
{
    return json_pack("{s:s, s:I, s:i, s:s, s:s, s:O}",
                     "topology", topology,
                     "seed", (json_int_t)seed,
                     "window_ms", (int)window_ms,
                     "qemu_version", qemu_version ? qemu_version : "unknown",
                     "notes",
                     "QEMU does not model a bridge's Bus Master Enable: "
                     "writes_until_quiesced is as QEMU performed the DMA, "
                     "writes_until_quiesced_pcie counts DMA from below a "
                     "bridge already written as blocked (PCIe rule). "
                     "inflight_bytes are part of corrupted_bytes: AHCI reads "
                     "started, NVMe and virtio-blk reads posted before the "
                     "disconnect complete into memory; their completion "
                     "entries and MSI-X messages do not. "
                     "e1000 TX doorbells rung in the window stand in for a "
                     "NIC fetching posted descriptors on its own. "
                     "msi_after_crash: AHCI MSIs programmed with a RAM "
                     "address (an unguarded word, identity-mapped under "
                     "VT-d), polled and cleared every tick: MSIs between two "
                     "polls count once, so it is a lower bound; QEMU drops "
                     "an MSI sent with Bus Master clear.",
                     "runs", runs);
}

static long long num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    /* Reals only within long long's range (the cast would be undefined). */
    if (json_is_real(v) && json_real_value(v) > -9.2e18 &&
        json_real_value(v) < 9.2e18)
        return (long long)json_real_value(v);
    return 0;
}

/* A string member for printing: "?" when absent or not a string. */
static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));

    return v ? v : "?";
}

long long report_num(const json_t *o, const char *key)
{
    return num(o, key);
}

double report_real(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : 0;
}

const char *report_str(const json_t *o, const char *key)
{
    return str(o, key);
}

long long report_beyond_inflight(const json_t *run)
{
    return num(run, "corrupted_bytes") - num(run, "inflight_bytes");
}

static void dma_totals(const json_t *run, long long *w, long long *r)
{
    const json_t *dma = json_object_get(run, "dma_after_crash"), *d;
    const char *key;

    *w = *r = 0;
    json_object_foreach((json_t *)dma, key, d) {
        if (json_is_true(json_object_get(d, "preserved")))
            continue;
        *w += num(d, "bytes_written");
        *r += num(d, "bytes_read");
    }
}

static bool any_iommu(const json_t *runs)
{
    const json_t *run;
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (json_is_true(json_object_get(run, "iommu")))
            return true;
    return false;
}

/* Where the bytes landed, for topologies with an IOMMU. */
static void report_markdown_iommu(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    size_t i;

    if (!any_iommu(runs))
        return;
    fprintf(out, "\nWith VT-d: where the corrupted bytes landed\n\n");
    fprintf(out, "| policy | VT-d after the crash | low memory B | kdump "
                 "reserved B | crash-state B | of which in-flight B | "
                 "IOMMU faults |\n");
    fprintf(out, "|---|---|---:|---:|---:|---:|---:|\n");
    json_array_foreach((json_t *)runs, i, run) {
        const json_t *by = json_object_get(run, "corrupted_by_region");

        if (json_object_get(run, "error"))
            continue;
        fprintf(out, "| %s | %s | %lld | %lld | %lld | %lld | %lld%s |\n",
                str(run, "policy"),
                json_is_true(json_object_get(run,
                    "translation_on_after_window")) ? "on" : "off",
                num(by, "low_memory"), num(by, "kdump_reserved"),
                num(by, "crash_state"), num(run, "inflight_bytes"),
                num(run, "iommu_faults"),
                json_is_true(json_object_get(run, "iommu_fault_overflow"))
                    ? " (more lost)" : "");
    }
    fprintf(out,
            "\nDevices were given low IOVAs inside the \"low memory\" and "
            "\"kdump reserved\" regions, mapped to their buffers elsewhere "
            "(the crash state). Every policy but iommu-on ends with VT-d "
            "translation off, as Xen's iommu_crash_shutdown() did: DMA after "
            "that uses the IOVA as a physical address. iommu-on: no "
            "disconnect, translation stays on. In-flight bytes are AHCI "
            "reads started before the disconnect (mapped through VT-d "
            "then). \"DMA written\" above counts what the drivers see in "
            "their own rings; DMA that went to an IOVA taken as a physical "
            "address shows up here, in the low memory and kdump columns.\n");
    json_array_foreach((json_t *)runs, i, run)
        if (num(run, "iova_unguarded_bytes") > 0) {
            fprintf(out, "\nNote: %lld bytes of IOVAs did not fit the two "
                    "guarded windows (JSON iova_layout): DMA there after "
                    "translation off is not compared.\n",
                    num(run, "iova_unguarded_bytes"));
            break;
        }
}

/* Per AHCI: the queue the crash found, and what each policy let it write. */
static void report_markdown_ahci(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run, *first = NULL;
    const json_t *d;
    const char *key, *sep;
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (!first && !json_object_get(run, "error"))
            first = run;
    if (!first)
        return;
    json_object_foreach((json_t *)json_object_get(first, "dma_after_crash"),
                        key, d) {
        long long bps = num(d, "throttle_bps");

        if (bps <= 0)
            continue;
        fprintf(out, "\nAHCI %s (%s): %d KiB reads, all %d slots issued and "
                "re-issued until the crash, none after it (no CPU would); "
                "disk throttled to %lld KiB/s (a full queue is %.1f s of "
                "reads at that rate). "
                "Queued when the crash path returned / bytes written in the "
                "%lld ms window:", str(d, "device"), key,
                CRASH_AHCI_CMD_BYTES / 1024, CRASH_AHCI_SLOTS, bps / 1024,
                (double)CRASH_AHCI_QUEUE_BYTES / (double)bps,
                num(report, "window_ms"));
        sep = "";
        json_array_foreach((json_t *)runs, i, run) {
            const json_t *dr = json_object_get(json_object_get(run,
                                               "dma_after_crash"), key);

            if (!dr)
                continue;
            fprintf(out, "%s %s %lld / %lld B", sep, str(run, "policy"),
                    num(dr, "queued_commands_at_crash"),
                    num(dr, "bytes_written"));
            sep = ",";
        }
        fprintf(out, ".\n");
    }
}

static bool any_msi(const json_t *runs)
{
    const json_t *run;
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (json_is_true(json_object_get(run, "msi_observable")))
            return true;
    return false;
}

static const char msi_note[] =
    "MSI: AHCI's MSI is programmed with a RAM address, which QEMU turns into "
    "a 4-byte memory write; the harness polls and clears that word every "
    "tick, so MSIs landing between two polls count once (a lower bound). "
    "With Bus Master clear QEMU drops the MSI and never replays it, even "
    "for an in-flight read that still completes. NVMe, virtio, igb VFs "
    "and xHCI signal by MSI-X, each vector programmed the same way (its own RAM "
    "word). e1000 in QEMU 7.2 has no "
    "MSI capability and e1000e's MSI/MSI-X are left off: they signal by "
    "INTx.";
static const char no_msi_note[] =
    "MSI n/a: no device in this topology signals by MSI (e1000 in QEMU 7.2 "
    "has no MSI capability, e1000e's MSI/MSI-X are left off; AHCI's is used "
    "when present).";

void report_markdown(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    size_t i;

    fprintf(out, "Topology `%s`, seed %lld, window %lld ms, %s\n\n",
            str(report, "topology"),
            num(report, "seed"), num(report, "window_ms"),
            str(report, "qemu_version"));
    if (json_object_get(report, "contracts"))
        fprintf(out, "%s\n\n", str(report, "contracts"));
    fprintf(out, "| policy | writes | reads | corrupted B | in-flight B | "
                 "beyond in-flight B | DMA written B | DMA read B | TX pkts | "
                 "INTx | MSI | quiesced after (QEMU) | (PCIe rule) | "
                 "DMA stopped | console after crash | MMIO reachable | "
                 "ms |\n");
    fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                 "---:|---:|---|---|---:|---:|\n");
    json_array_foreach((json_t *)runs, i, run) {
        const char *err = json_string_value(json_object_get(run, "error"));
        char msi[24], console[8], mmio[48];
        long long w, r;

        if (err) {
            fprintf(out, "| %s | error: %s ||||||||||||||||\n",
                    str(run, "policy"), err);
            continue;
        }
        dma_totals(run, &w, &r);
        if (json_is_true(json_object_get(run, "msi_observable")))
            snprintf(msi, sizeof(msi), "%lld", num(run, "msi_after_crash"));
        else
            snprintf(msi, sizeof(msi), "n/a");
        report_reach_cells(run, console, sizeof(console), mmio, sizeof(mmio));
        fprintf(out, "| %s | %lld | %lld | %lld | %lld | %lld | %lld | %lld | "
                     "%lld | %lld | %s | %lld (%lld) | %lld (%lld) | %s | "
                     "%s | %s | %lld |\n",
                str(run, "policy"),
                num(run, "config_writes"), num(run, "config_reads"),
                num(run, "corrupted_bytes"), num(run, "inflight_bytes"),
                report_beyond_inflight(run), w, r,
                num(run, "tx_packets_after_crash"),
                num(run, "intx_after_crash"), msi,
                num(run, "writes_until_quiesced"),
                num(run, "writes_until_quiesced_excluding_inflight"),
                num(run, "writes_until_quiesced_pcie"),
                num(run, "writes_until_quiesced_pcie_excluding_inflight"),
                json_is_true(json_object_get(run, "dma_stopped")) ? "yes" : "no",
                console, mmio, num(run, "elapsed_ms"));
    }
    fprintf(out,
            "\nBytes are guarded bytes that changed after the crash path "
            "returned; in-flight = AHCI reads already started, NVMe and "
            "virtio-blk reads already posted, at the device's disconnect "
            "write (they still land: QEMU checks Bus Master only when a "
            "request starts or is fetched). DMA written/read count from "
            "the end of the crash path; INTx = lines still asserted when the "
            "path returned plus raises after; %s \"quiesced "
            "after\" = crash-path writes done before the last DMA seen; "
            "PCIe rule: DMA from below an already-written bridge counted "
            "as blocked, which QEMU does not model; in parentheses: leaving "
            "out completions of in-flight requests. %s\n",
            any_msi(runs) ? msi_note : no_msi_note, report_reach_note);
    report_markdown_ahci(report, out);
    report_markdown_devices(report, out);
    report_markdown_iommu(report, out);
}

static const char contracts_note[] =
    "Contracts checked at run time: the core (src/crash.c, src/plan.c) ran "
    "instrumented by E-ACSL (crashsim --contracts), so every call of "
    "pcidc_plan_build and pcidc_crash_disconnect in the seed and pcidc runs "
    "was checked against its ACSL contract, the crash loop's invariants and "
    "the port contracts at each config write, and every plan against what "
    "WP does not prove (bridges first, input order for the seed, preserved "
    "functions' bridges kept, every other function planned once); none was "
    "violated (a violation stops the run, exit 3). The checks run between "
    "the crash path's config writes, so DMA and timing figures of those "
    "runs are not comparable with a plain run's.";
static const char violated_note[] =
    "Contracts checked at run time by E-ACSL (crashsim --contracts): a "
    "contract of the core was VIOLATED; the failing run was stopped and "
    "E-ACSL's message names the property (stderr).";

const char *report_contracts_note(bool violated)
{
    return violated ? violated_note : contracts_note;
}
