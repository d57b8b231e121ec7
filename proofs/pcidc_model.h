/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vocabulary of pcidc's ACSL contracts: the ghost machine they talk
 * about, and the predicates, logic functions and lemmas they use.  Frama-C
 * only: proofs/prove.sh and the E-ACSL build force-include this file ahead
 * of the core's sources (cpp -include); the C compiler never sees it, and
 * Xen's build is untouched.
 *
 * What is modelled:
 *  - pcidc_g_config[sbdf][reg]: config space, one 16-bit cell per even
 *    register offset of every PCI function the 32-bit sbdf space can name.
 *    A config write assigns exactly its cell, so a contract that assigns
 *    only [..][PCIDC_COMMAND] cells proves that nothing else is written;
 *  - a write log of every config write (sbdf, register, value), so that
 *    contracts can speak about order and count;
 *  - pcidc_g_crash_mode: set by the environment (a ghost statement) when the
 *    machine is crashing; the config read's precondition forbids it.
 *
 * Then the words of the contracts over the core's own structures (struct
 * pcidc, the plan, the function list).  A logic definition must follow the
 * types it reads, so this file includes src/pcidc_types.h first; src/pcidc.h
 * includes it again (a no-op) and its contracts use these definitions.
 */
#ifndef PCIDC_MODEL_H
#define PCIDC_MODEL_H

#include "pcidc_types.h"

/*
 * Sizes of the ghost arrays.  For WP they are logical: every sbdf a
 * uint32_t can hold and every offset of PCIe config space has its cell.  The
 * E-ACSL build executes ghost code, so it shrinks them (-DPCIDC_G_SBDFS=...),
 * and the preconditions that bound sbdf and reg then really check something.
 */
#ifndef PCIDC_G_SBDFS
#define PCIDC_G_SBDFS 0x100000000
#endif
#ifndef PCIDC_G_REGS
#define PCIDC_G_REGS 0x1000
#endif
#ifndef PCIDC_G_LOG_MAX
#define PCIDC_G_LOG_MAX 0x80000000
#endif

/*@ ghost uint16_t pcidc_g_config[PCIDC_G_SBDFS][PCIDC_G_REGS]; */
/*@ ghost uint32_t pcidc_g_log_sbdf[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_log_reg[PCIDC_G_LOG_MAX]; */
/*@ ghost uint16_t pcidc_g_log_value[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_nr_writes; */
/*@ ghost int pcidc_g_crash_mode; */

/*
 * Provenance of the plan built last: step k of it was made from input
 * function pcidc_g_step_input[k].  0x10000 bounds every plan capacity
 * (src/plan.c checks PCIDC_PLAN_CAPACITY <= 0xffff).
 */
/*@ ghost unsigned int pcidc_g_step_input[0x10000]; */

/*@
  // Write number 'at' of the log went to (sbdf, reg) with value.
  predicate pcidc_logged{L}(integer at, integer sbdf, integer reg,
                            integer value) =
      pcidc_g_log_sbdf[at] == sbdf && pcidc_g_log_reg[at] == reg &&
      pcidc_g_log_value[at] == value;
*/

/*
 * Counting sort (src/plan.c's radix_pass) over index arrays.  Input k of a
 * pass is src[k]; its digit is byte 'shift' of key[src[k]].  pcidc_cnt is
 * recursive on the length m, so each loop step unfolds it once; everything
 * else about the sort is carried by ghost arrays in radix_pass.
 */
/*@
  // The range of a byte mask.  Qed knows it and so simplifies it out of
  // every formula, the SMT solvers do not, so it never reaches them.  The
  // first form is proved by WP's bit-range tactic (-wp-auto wp:bitrange);
  // the second hides the mask behind m, so Qed keeps it and the solvers can
  // use it on any 'x & 0xff' of the code (proved by them from the first).
  lemma pcidc_byte_bits: \forall integer x; 0 <= (x & 0xff) < 256;
  lemma pcidc_byte: \forall integer x, m; m == 0xff ==> 0 <= (x & m) <= m;

  // The two shifts of a plan-building key (segment << 9), as arithmetic
  // (proved by WP's bit-shift tactic, -wp-auto wp:bitshift).
  lemma pcidc_shr16: \forall integer x; 0 <= x ==> (x >> 16) == x / 65536;
  lemma pcidc_shl9: \forall integer x; 0 <= x <= 0xffff ==>
      (x << 9) == x * 512;

  logic integer pcidc_digit{L}(uint32_t *key, uint16_t *src, integer shift,
                               integer k) =
      (key[src[k]] >> shift) & 0xff;

  // How many of inputs 0 .. m-1 have digit d.
  logic integer pcidc_cnt{L}(uint32_t *key, uint16_t *src, integer shift,
                             integer d, integer m) =
      m <= 0 ? 0 :
      pcidc_cnt(key, src, shift, d, m - 1) +
          (pcidc_digit(key, src, shift, m - 1) == d ? 1 : 0);

  // a[0 .. nr-1] are input indices.
  predicate pcidc_indices{L}(uint16_t *a, integer nr) =
      \forall integer k; 0 <= k < nr ==> a[k] < nr;

  predicate pcidc_zero256{L}(unsigned int *a) =
      \forall integer d; 0 <= d < 256 ==> a[d] == 0;
*/

/*
 * The core's structures, as the contracts of src/pcidc.h and of the static
 * functions of src/crash.c and src/plan.c speak of them.
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

#endif /* PCIDC_MODEL_H */
