/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc's constants and data types: the function list a port hands to plan
 * building, the policy, the plan, and the core's state.  pcidc.h includes
 * this file and declares the functions; everything outside the core
 * includes pcidc.h.  The types live apart so that the contracts' vocabulary
 * (proofs/pcidc_model.h, Frama-C only) can define its predicates over them
 * before pcidc.h's contracts use those predicates.
 */
#ifndef PCIDC_TYPES_H
#define PCIDC_TYPES_H

#ifdef __XEN__
#include <xen/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

/* Steps a plan can hold; the input may not have more functions either. */
#ifndef PCIDC_PLAN_CAPACITY
#define PCIDC_PLAN_CAPACITY 4096
#endif

#define PCIDC_COMMAND               0x04    /* PCI_COMMAND */
#define PCIDC_COMMAND_IO            0x0001
#define PCIDC_COMMAND_MEMORY        0x0002
#define PCIDC_COMMAND_MASTER        0x0004
#define PCIDC_COMMAND_INTX_DISABLE  0x0400

/* sbdf: segment << 16 | bus << 8 | device << 3 | function. */
#define PCIDC_SBDF(seg, bus, devfn) \
    (((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) | (uint32_t)(devfn))
#define PCIDC_SBDF_SEG(sbdf)   ((uint32_t)(sbdf) >> 16)
#define PCIDC_SBDF_BUS(sbdf)   (((uint32_t)(sbdf) >> 8) & 0xff)
#define PCIDC_SBDF_DEVFN(sbdf) ((uint32_t)(sbdf) & 0xff)

/* Errors: plan building reports every problem; the crash path has none. */
#define PCIDC_OK            0
#define PCIDC_E_CAPACITY  (-1)  /* more functions than PCIDC_PLAN_CAPACITY */
#define PCIDC_E_DUPLICATE (-2)  /* the same sbdf twice */
#define PCIDC_E_BUS_ORDER (-3)  /* bridge's secondary bus <= its own bus */
#define PCIDC_E_RANGE     (-4)  /* bridge's subordinate < secondary */
#define PCIDC_E_OVERLAP   (-5)  /* bridge ranges overlap but do not nest */
#define PCIDC_E_VALUE     (-6)  /* policy leaves BME on or sets decode/BME */
#define PCIDC_E_ABSENT    (-7)  /* config space reads 0xffff: no function */
#define PCIDC_E_INVAL     (-8)  /* unknown flags */
#define PCIDC_E_CRASHED   (-9)  /* the crash path has started: no new plan */

/* struct pcidc_func.flags */
#define PCIDC_FUNC_BRIDGE    0x01   /* secondary/subordinate are valid */
#define PCIDC_FUNC_PRESERVE  0x02   /* keep it and its upstream bridges on */

/* One PCI function, as the port describes it to plan building. */
struct pcidc_func {
    uint32_t sbdf;
    uint8_t flags;
    uint8_t secondary;      /* bridges: first bus behind the bridge */
    uint8_t subordinate;    /* bridges: last bus behind the bridge */
    uint16_t command;       /* COMMAND when described: the crash path's
                               fallback if the function stops answering */
};

/* struct pcidc_policy.flags */
#define PCIDC_POLICY_INPUT_ORDER      0x01  /* write in input order (seed) */
#define PCIDC_POLICY_IGNORE_PRESERVE  0x02  /* every function (seed) */

/*
 * The crash path writes COMMAND = (COMMAND as it reads now & ~clear) | set.
 * clear must hold Bus Master; set may not hold Bus Master or decode.  With
 * clear = 0xffff nothing of the old value survives and the crash path does
 * not read COMMAND at all.
 */
struct pcidc_policy {
    uint16_t clear;
    uint16_t set;
    unsigned int flags;
};

#define PCIDC_ALL_BITS 0xffff

/*
 * Bridges first; Bus Master off, INTx masked, every other bit -- memory and
 * I/O decode above all -- as the function has it at the crash.
 */
#define PCIDC_POLICY_DEFAULT \
    { PCIDC_COMMAND_MASTER, PCIDC_COMMAND_INTX_DISABLE, 0 }
/* Bridges first, COMMAND = 0x0400: decode off too (pcidc's first value). */
#define PCIDC_POLICY_DECODE_OFF \
    { PCIDC_ALL_BITS, PCIDC_COMMAND_INTX_DISABLE, 0 }
/* The 2011 patch: every function, in list order, COMMAND = 0. */
#define PCIDC_POLICY_SEED \
    { PCIDC_ALL_BITS, 0, \
      PCIDC_POLICY_INPUT_ORDER | PCIDC_POLICY_IGNORE_PRESERVE }

/*
 * One crash-path write: register reg of sbdf becomes (its value now &
 * ~clear) | set, or fallback when it reads all ones (the function does not
 * answer).  fallback is (COMMAND at plan time & ~clear) | set.
 */
struct pcidc_step {
    uint32_t sbdf;
    uint16_t reg;
    uint16_t clear;
    uint16_t set;
    uint16_t fallback;
};

struct pcidc_plan {
    unsigned int nr_steps;
    struct pcidc_step step[PCIDC_PLAN_CAPACITY];
};

/*
 * All of the core's state.  A zero-filled struct pcidc is ready for use
 * (no plan published, crash path not run).  It is large (about 117 KiB):
 * give it static storage.  Fields are private to the core (crash.c,
 * plan.c).
 */
struct pcidc {
    struct pcidc_plan plan[2];          /* published one, and the spare */
    struct pcidc_plan *published;       /* NULL until the first build */
    unsigned long crashed;              /* bit 0: crash path has run */

    /* Plan-building scratch, indexed by input position. */
    uint32_t key[PCIDC_PLAN_CAPACITY];
    uint16_t order[PCIDC_PLAN_CAPACITY];
    uint16_t tmp[PCIDC_PLAN_CAPACITY];
    uint16_t parent[PCIDC_PLAN_CAPACITY];   /* input index + 1, 0: none */
    uint8_t depth[PCIDC_PLAN_CAPACITY];
    uint8_t keep[PCIDC_PLAN_CAPACITY];
    unsigned int count[256];                /* all zero between sort passes */
    unsigned int start[256];
    uint16_t paint[256];                    /* bus -> deepest bridge + 1 */
    uint64_t paint_stamp[256];              /* paint[b] valid iff == stamp */
    uint64_t stamp;
};

#endif /* PCIDC_TYPES_H */
