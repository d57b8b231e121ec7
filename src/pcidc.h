/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc: stop PCI DMA on the crash path, before the IOMMU is switched off.
 *
 * Two phases:
 *
 *  - plan building (pcidc_plan_build), whenever the set of PCI functions
 *    changes.  It may take locks, read config space and take its time.  It
 *    validates the topology and writes a flat disconnect plan: one
 *    { sbdf, COMMAND value } step per function, bridges before the functions
 *    they forward for.
 *
 *  - the crash path (pcidc_crash_disconnect).  It only walks the published
 *    plan: one config write per step, no lock, no read, no allocation.
 *
 * Everything the core needs from its environment is a pcidc_port_*()
 * function declared at the end of this file.  Nothing else is called.
 */
#ifndef PCIDC_H
#define PCIDC_H

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
#define PCIDC_E_VALUE     (-6)  /* value would leave I/O, memory or BME on */
#define PCIDC_E_ABSENT    (-7)  /* config space reads 0xffff: no function */
#define PCIDC_E_INVAL     (-8)  /* unknown flags */

/* struct pcidc_func.flags */
#define PCIDC_FUNC_BRIDGE    0x01   /* secondary/subordinate are valid */
#define PCIDC_FUNC_PRESERVE  0x02   /* keep it and its upstream bridges on */

/* One PCI function, as the port describes it to plan building. */
struct pcidc_func {
    uint32_t sbdf;
    uint8_t flags;
    uint8_t secondary;      /* bridges: first bus behind the bridge */
    uint8_t subordinate;    /* bridges: last bus behind the bridge */
};

/* struct pcidc_policy.flags */
#define PCIDC_POLICY_INPUT_ORDER      0x01  /* write in input order (seed) */
#define PCIDC_POLICY_IGNORE_PRESERVE  0x02  /* every function (seed) */

struct pcidc_policy {
    uint16_t value;         /* written to COMMAND */
    unsigned int flags;
};

/* Bridges first, INTx masked: Bus Master, memory and I/O decode off. */
#define PCIDC_POLICY_DEFAULT { PCIDC_COMMAND_INTX_DISABLE, 0 }
/* The 2011 patch: every function, in list order, COMMAND = 0. */
#define PCIDC_POLICY_SEED \
    { 0, PCIDC_POLICY_INPUT_ORDER | PCIDC_POLICY_IGNORE_PRESERVE }

struct pcidc_step {
    uint32_t sbdf;
    uint16_t value;
};

struct pcidc_plan {
    unsigned int nr_steps;
    struct pcidc_step step[PCIDC_PLAN_CAPACITY];
};

/*
 * All of the core's state.  A zero-filled struct pcidc is ready for use
 * (no plan published, crash path not run).  It is large (about 117 KiB):
 * give it static storage.  Fields are private to pcidc.c.
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

/*
 * ACSL vocabulary over the core's structures, for the contracts below
 * (Frama-C only; the ghost machine is proofs/pcidc_model.h).
 */
/*@
  // The plan the crash path walks: none yet, or one of the core's two.
  predicate pcidc_published_ok{L}(struct pcidc *dc) =
      dc->published == \null || dc->published == &dc->plan[0] ||
      dc->published == &dc->plan[1];

  // How many steps the crash path walks in plan p: its count, clamped.
  logic integer pcidc_plan_len{L}(struct pcidc_plan *p) =
      p == \null ? 0 :
      p->nr_steps <= PCIDC_PLAN_CAPACITY ? p->nr_steps : PCIDC_PLAN_CAPACITY;

  // Every function those steps name has ghost config space.
  predicate pcidc_plan_modelled{L}(struct pcidc_plan *p) =
      \forall integer k; 0 <= k < pcidc_plan_len(p) ==>
          p->step[k].sbdf < PCIDC_G_SBDFS;

  // One of the first n steps of p writes function sbdf.
  predicate pcidc_in_steps{L}(struct pcidc_plan *p, integer n, integer sbdf) =
      \exists integer k; 0 <= k < n && p->step[k].sbdf == sbdf;

  // No step after k, among the first n, writes step k's function again.
  predicate pcidc_last_write{L}(struct pcidc_plan *p, integer n, integer k) =
      \forall integer j; k < j < n ==> p->step[j].sbdf != p->step[k].sbdf;

  // Writes from number 'base' on are steps 0 .. n-1 of p, in that order,
  // each to COMMAND.
  predicate pcidc_steps_logged{L}(struct pcidc_plan *p, integer n,
                                  integer base) =
      \forall integer k; 0 <= k < n ==>
          pcidc_logged(base + k, p->step[k].sbdf, PCIDC_COMMAND,
                       p->step[k].value);

  // The COMMAND register of each function among steps 0 .. n-1 holds the
  // value of its last step.
  predicate pcidc_steps_applied{L}(struct pcidc_plan *p, integer n) =
      \forall integer k; 0 <= k < n ==> pcidc_last_write(p, n, k) ==>
          pcidc_g_config[p->step[k].sbdf][PCIDC_COMMAND] == p->step[k].value;

  // What plan building accepts of one function (see check_func()).
  predicate pcidc_func_ok{L}(struct pcidc_func *f) =
      (f->flags & 0xfc) == 0 &&  // no flag but BRIDGE, PRESERVE
      ((f->flags & PCIDC_FUNC_BRIDGE) != 0 ==>
          f->secondary > PCIDC_SBDF_BUS(f->sbdf) &&
          f->subordinate >= f->secondary);

  // The plan plan building fills: never the one the crash path may walk.
  logic struct pcidc_plan *pcidc_spare{L}(struct pcidc *dc) =
      dc->published == &dc->plan[0] ? &dc->plan[1] : &dc->plan[0];

  // What plan building keeps true of its scratch between calls; a
  // zero-filled struct pcidc satisfies it.
  predicate pcidc_paint_ok{L}(struct pcidc *dc) =
      \forall integer b; 0 <= b < 256 ==> dc->paint_stamp[b] <= dc->stamp;
  predicate pcidc_parents_ok{L}(struct pcidc *dc) =
      \forall integer k; 0 <= k < PCIDC_PLAN_CAPACITY ==>
          dc->parent[k] <= PCIDC_PLAN_CAPACITY;
  predicate pcidc_core_ok{L}(struct pcidc *dc) =
      pcidc_zero256(&dc->count[0]) && pcidc_paint_ok(dc) &&
      pcidc_parents_ok(dc);
*/

/*
 * Build a plan for functions func[0 .. nr-1] under the given policy and, on
 * success, publish it for the crash path.  On error the plan published
 * before stays published.  Calls must be serialised by the caller (Xen:
 * pcidevs_lock); they may run concurrently with pcidc_crash_disconnect().
 * Returns PCIDC_OK or a PCIDC_E_* code.
 */
/*@ requires valid_core: \valid(dc);
    requires valid_policy: \valid_read(policy);
    requires valid_input: nr <= PCIDC_PLAN_CAPACITY ==>
        \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, policy) &&
        (nr <= PCIDC_PLAN_CAPACITY ==> \separated(dc, func + (0 .. nr - 1)));
    requires published: pcidc_published_ok(dc);
    requires core: pcidc_core_ok(dc);
    requires stamp_room:
        dc->stamp <= 0xffffffffffffffff - PCIDC_PLAN_CAPACITY;
    assigns pcidc_spare(dc)->nr_steps,
            pcidc_spare(dc)->step[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->published, dc->key[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->order[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->tmp[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->parent[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->depth[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->count[0 .. 255], dc->start[0 .. 255], dc->paint[0 .. 255],
            dc->paint_stamp[0 .. 255], dc->stamp,
            pcidc_g_step_input[0 .. PCIDC_PLAN_CAPACITY - 1];
    ensures published: pcidc_published_ok(dc);
    ensures core: pcidc_core_ok(dc);
    ensures stamp: dc->stamp <= \old(dc->stamp) + PCIDC_PLAN_CAPACITY;
    behavior too_many:
        assumes nr > PCIDC_PLAN_CAPACITY;
        assigns \nothing;
        ensures refused: \result == PCIDC_E_CAPACITY;
    behavior checked:
        assumes nr <= PCIDC_PLAN_CAPACITY;
        ensures codes: \result == PCIDC_OK || \result == PCIDC_E_DUPLICATE ||
            \result == PCIDC_E_BUS_ORDER || \result == PCIDC_E_RANGE ||
            \result == PCIDC_E_OVERLAP || \result == PCIDC_E_VALUE ||
            \result == PCIDC_E_INVAL;
        ensures kept_on_error: \result != PCIDC_OK ==>
            dc->published == \old(dc->published);
        ensures swapped: \result == PCIDC_OK ==>
            dc->published == \old(pcidc_spare(dc));
        ensures fits: \result == PCIDC_OK ==> dc->published->nr_steps <= nr;
        ensures dma_off: \result == PCIDC_OK ==>
            (policy->value & (PCIDC_COMMAND_IO | PCIDC_COMMAND_MEMORY |
                              PCIDC_COMMAND_MASTER)) == 0;
        ensures values: \result == PCIDC_OK ==>
            \forall integer k; 0 <= k < dc->published->nr_steps ==>
                dc->published->step[k].value == policy->value;
        ensures from_input: \result == PCIDC_OK ==>
            \forall integer k; 0 <= k < dc->published->nr_steps ==>
                pcidc_g_step_input[k] < nr &&
                dc->published->step[k].sbdf ==
                    func[pcidc_g_step_input[k]].sbdf &&
                ((policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) != 0 ||
                 (func[pcidc_g_step_input[k]].flags &
                  PCIDC_FUNC_PRESERVE) == 0);
    complete behaviors;
    disjoint behaviors;
*/
int pcidc_plan_build(struct pcidc *dc, const struct pcidc_func *func,
                     unsigned int nr, const struct pcidc_policy *policy);

/* The plan the crash path would walk now, or NULL. */
/*@ requires valid_core: \valid_read(dc);
    assigns \result \from dc->published;
    ensures published: \result == dc->published;
*/
const struct pcidc_plan *pcidc_plan_published(const struct pcidc *dc);

/*
 * Fill *func for the function at sbdf from its config space (vendor, header
 * type, bus numbers), with the given PCIDC_FUNC_PRESERVE flag.  For plan
 * building only.  Returns PCIDC_OK or PCIDC_E_ABSENT.
 */
/*@ requires valid_func: \valid(func);
    requires not_at_crash: pcidc_g_crash_mode == 0;
    assigns *func;
    ensures known_code: \result == PCIDC_OK || \result == PCIDC_E_ABSENT;
    ensures described: \result == PCIDC_OK ==> func->sbdf == sbdf &&
        (func->flags == (flags & PCIDC_FUNC_PRESERVE) ||
         func->flags == ((flags & PCIDC_FUNC_PRESERVE) | PCIDC_FUNC_BRIDGE));
*/
int pcidc_describe(struct pcidc_func *func, uint32_t sbdf, uint8_t flags);

/*
 * The crash path.  The first call writes every step of the published plan,
 * in order, and returns how many writes it made; later calls (another CPU
 * crashing at the same time) return 0 at once.
 */
/*@ requires valid_core: \valid(dc);
    requires published: pcidc_published_ok(dc);
    requires modelled: pcidc_plan_modelled(dc->published);
    requires at_crash: pcidc_g_crash_mode != 0;
    requires log_room:
        pcidc_g_nr_writes <= PCIDC_G_LOG_MAX - PCIDC_PLAN_CAPACITY;
    assigns dc->crashed,
            pcidc_g_config[dc->published->step[
                0 .. pcidc_plan_len(dc->published) - 1].sbdf][PCIDC_COMMAND],
            pcidc_g_log_sbdf[..],
            pcidc_g_log_reg[..],
            pcidc_g_log_value[..], pcidc_g_nr_writes;
    ensures once_flag: (dc->crashed & 1) == 1;
    behavior first_call:
        assumes not_run: (dc->crashed & 1) == 0;
        ensures count: \result == pcidc_plan_len(dc->published);
        ensures all_logged:
            pcidc_g_nr_writes == \old(pcidc_g_nr_writes) + \result;
        ensures in_order: pcidc_steps_logged(dc->published, \result,
                                             \old(pcidc_g_nr_writes));
        ensures values: pcidc_steps_applied(dc->published, \result);
        ensures frame: \forall integer s; 0 <= s < PCIDC_G_SBDFS ==>
            !pcidc_in_steps(dc->published, \result, s) ==>
            pcidc_g_config[s][PCIDC_COMMAND] ==
                \old(pcidc_g_config[s][PCIDC_COMMAND]);
    behavior later_call:
        assumes has_run: (dc->crashed & 1) != 0;
        assigns dc->crashed;
        ensures none: \result == 0;
        ensures no_write: pcidc_g_nr_writes == \old(pcidc_g_nr_writes);
    complete behaviors;
    disjoint behaviors;
*/
unsigned int pcidc_crash_disconnect(struct pcidc *dc);

/* A constant string naming a PCIDC_OK / PCIDC_E_* code. */
/*@ assigns \result \from err;
    ensures named: \result != \null;
*/
const char *pcidc_strerror(int err);

/*
 * Port interface: each environment (src/port/<env>/, the unit tests' fake)
 * defines these.  The core calls nothing else.
 */

/* Config write of a 16-bit register.  Called on the crash path: no locks. */
/*@ requires modelled: sbdf < PCIDC_G_SBDFS;
    requires register: reg < PCIDC_G_REGS && reg % 2 == 0;
    requires log_room: pcidc_g_nr_writes < PCIDC_G_LOG_MAX;
    assigns pcidc_g_config[sbdf][reg], pcidc_g_nr_writes,
            pcidc_g_log_sbdf[pcidc_g_nr_writes],
            pcidc_g_log_reg[pcidc_g_nr_writes],
            pcidc_g_log_value[pcidc_g_nr_writes];
    ensures written: pcidc_g_config[sbdf][reg] == value;
    ensures logged: pcidc_logged(\old(pcidc_g_nr_writes), sbdf, reg, value);
    ensures counted: pcidc_g_nr_writes == \old(pcidc_g_nr_writes) + 1;
*/
void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value);

/* Config read of an aligned dword.  Plan building only, never at crash. */
/*@ requires not_at_crash: pcidc_g_crash_mode == 0;
    assigns \nothing;
*/
uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg);

/* Atomically set bit 0 of *word; return its old value (0 or 1). */
/*@ requires valid_word: \valid(word);
    assigns *word;
    ensures bit_set: *word == (\old(*word) | 1);
    ensures old_bit: \result == (\old(*word) & 1);
*/
int pcidc_port_test_and_set(unsigned long *word);

/*
 * Write barrier: stores before it are visible to other CPUs before stores
 * after it (Xen: smp_wmb()).  Orders a plan's contents before its
 * publication.
 */
/*@ assigns \nothing; */
void pcidc_port_wmb(void);

#endif /* PCIDC_H */
