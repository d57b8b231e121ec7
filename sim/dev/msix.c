/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * msix: see msix.h.  Layout from the PCI Local Bus specification 3.0,
 * section 6.8.2: a 16-byte table entry is address low, address high, data,
 * vector control (bit 0: masked).
 */
#include <inttypes.h>
#include <string.h>

#include "msix.h"
#include "pci/galloc.h"
#include "pci/pci_regs.h"

#define ENTRY_LEN       16
#define ENTRY_ADDR_LO   0
#define ENTRY_ADDR_HI   4
#define ENTRY_DATA      8
#define ENTRY_CTRL      12
#define ENTRY_MASKED    1u

static int locate_table(struct msix *m, int func)
{
    uint32_t where = qpci_cfg_read32(m->bus, m->sbdf, m->cap + PCI_MSIX_TABLE);
    unsigned int bir = where & PCI_MSIX_BIR;
    uint64_t bar;

    if (bir >= QPCI_NR_BARS)
        return qts_fail(m->qts, "msix: function %04x: bad table BIR %u",
                        m->sbdf, bir);
    bar = qpci_bar_addr(m->bus, func, bir);
    if (!bar)
        return qts_fail(m->qts, "msix: function %04x: BAR%u of the MSI-X "
                        "table is not assigned", m->sbdf, bir);
    m->table = bar + (where & ~(uint32_t)PCI_MSIX_BIR);
    return 0;
}

int msix_setup(struct msix *m, struct qts *q, struct qpci_bus *bus, int func,
               uint64_t page, const struct dma_hook *dma)
{
    uint16_t ctrl;
    unsigned int v;

    memset(m, 0, sizeof(*m));
    m->qts = q;
    m->bus = bus;
    m->sbdf = bus->func[func].sbdf;
    m->page = page;
    m->cap = qpci_find_cap(bus, m->sbdf, PCI_CAP_ID_MSIX);
    if (!m->cap)
        return qts_fail(q, "msix: function %04x has no MSI-X capability",
                        m->sbdf);
    ctrl = qpci_cfg_read16(bus, m->sbdf, m->cap + PCI_MSI_FLAGS);
    m->table_size = (ctrl & PCI_MSIX_TABSIZE) + 1u;
    m->vectors = m->table_size < MSIX_MAX_VECTORS ? m->table_size
                                                  : MSIX_MAX_VECTORS;
    if (locate_table(m, func))
        return -1;
    qts_memset(q, page, 0, GALLOC_PAGE);
    /* Function mask while the table is written, then enable. */
    qpci_cfg_write16(bus, m->sbdf, m->cap + PCI_MSI_FLAGS,
                     (uint16_t)(ctrl | PCI_MSIX_ENABLE | PCI_MSIX_MASK));
    for (v = 0; v < m->table_size; v++) {
        uint64_t e = m->table + (uint64_t)v * ENTRY_LEN;
        uint64_t addr = dma_bus_addr(dma, page + 4ull * v);

        if (v >= m->vectors) {
            qts_writel(q, e + ENTRY_CTRL, ENTRY_MASKED);
            continue;
        }
        qts_writel(q, e + ENTRY_ADDR_LO, (uint32_t)addr);
        qts_writel(q, e + ENTRY_ADDR_HI, (uint32_t)(addr >> 32));
        qts_writel(q, e + ENTRY_DATA, MSIX_DATA_BASE + v);
        qts_writel(q, e + ENTRY_CTRL, 0);
    }
    qpci_cfg_write16(bus, m->sbdf, m->cap + PCI_MSI_FLAGS,
                     (uint16_t)((ctrl & ~PCI_MSIX_MASK) | PCI_MSIX_ENABLE));
    ctrl = qpci_cfg_read16(bus, m->sbdf, m->cap + PCI_MSI_FLAGS);
    if (qts_error(q))
        return -1;
    if (!(ctrl & PCI_MSIX_ENABLE))
        return qts_fail(q, "msix: function %04x: enable did not stick "
                        "(control 0x%04x)", m->sbdf, ctrl);
    return 0;
}

int msix_poll(struct msix *m)
{
    uint32_t words[MSIX_MAX_VECTORS];
    unsigned int v;
    int n = 0;

    if (!m->vectors)
        return 0;
    if (qts_memread(m->qts, m->page, words, 4ull * m->vectors))
        return -1;
    for (v = 0; v < m->vectors; v++) {
        if (words[v] == 0)
            continue;
        if (words[v] != MSIX_DATA_BASE + v)
            return qts_fail(m->qts, "msix: function %04x: word of vector %u "
                            "holds 0x%x", m->sbdf, v, words[v]);
        qts_writel(m->qts, m->page + 4ull * v, 0);
        m->count[v]++;
        m->total++;
        n++;
    }
    return qts_error(m->qts) ? -1 : n;
}
