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
 *    only the cells its plan names proves that nothing else is written; a
 *    crash-time read returns its cell;
 *  - a write log of every config write (sbdf, register, value), and a read
 *    log of every crash-time read (sbdf, register, value returned), so
 *    that contracts can speak about order and count.  Reads and writes
 *    also meet per write: the last crash-time read made before write w is
 *    recorded at pcidc_g_prior_*[w], and write w logs how many crash-time
 *    reads were made since the write before it (pcidc_g_new_reads counts
 *    them; a write logs the count and clears it);
 *  - pcidc_g_crash_mode: set by the environment (a ghost statement) when the
 *    machine is crashing; the plan-time config read's precondition forbids
 *    it, the crash-time read's requires it.
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
/*@ ghost unsigned int pcidc_g_log_reads[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_nr_writes; */
/*@ ghost uint32_t pcidc_g_read_sbdf[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_read_reg[PCIDC_G_LOG_MAX]; */
/*@ ghost uint16_t pcidc_g_read_value[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_nr_reads; */
/*@ ghost unsigned int pcidc_g_new_reads; */
/*@ ghost uint32_t pcidc_g_prior_sbdf[PCIDC_G_LOG_MAX]; */
/*@ ghost unsigned int pcidc_g_prior_reg[PCIDC_G_LOG_MAX]; */
/*@ ghost uint16_t pcidc_g_prior_value[PCIDC_G_LOG_MAX]; */
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

  // Crash-time read number 'at' was of (sbdf, reg).
  predicate pcidc_read_logged{L}(integer at, integer sbdf, integer reg) =
      pcidc_g_read_sbdf[at] == sbdf && pcidc_g_read_reg[at] == reg;
*/

/*
 * COMMAND bits.  What the crash path must do to a function's COMMAND: Bus
 * Master off, INTx Disable on, and every other bit as it was -- as read at
 * the crash, or, when the function does not answer then, as captured when
 * the plan was built.  'off' and 'on' below are a step's clear and set
 * masks ('set' is an ACSL keyword).
 */
/*@
  // Bit k of x.
  predicate pcidc_bit(integer x, integer k) = (x & (1 << k)) != 0;

  // w, written over 'from' with the masks off and on, has Bus Master
  // clear, INTx Disable set, and every bit of the 16 that neither mask
  // names as in 'from'.
  predicate pcidc_disconnected(integer w, integer from, integer off,
                               integer on) =
      (w & PCIDC_COMMAND_MASTER) == 0 &&
      (w & PCIDC_COMMAND_INTX_DISABLE) != 0 &&
      \forall integer k; 0 <= k < 16 && !pcidc_bit(off, k) &&
          !pcidc_bit(on, k) ==> (pcidc_bit(w, k) <==> pcidc_bit(from, k));

  // Masks that turn Bus Master off and INTx Disable on, and never turn Bus
  // Master on: the default policy's (PCIDC_POLICY_DEFAULT) among others.
  predicate pcidc_masks_ok(integer off, integer on) =
      (off & PCIDC_COMMAND_MASTER) != 0 &&
      (on & PCIDC_COMMAND_MASTER) == 0 &&
      (on & PCIDC_COMMAND_INTX_DISABLE) != 0;

  // x & m of a 16-bit x is a 16-bit value, whatever m: the crash path's
  // (now & ~clear) and plan building's (command & ~clear) convert to
  // uint16_t unchanged.  Two lemmas, one bound each: WP's bit-range tactic
  // (-wp-auto wp:bitrange) proves each, not the two at once.
  lemma pcidc_and16_low: \forall uint16_t x; \forall integer m;
      0 <= (x & m);
  lemma pcidc_and16_high: \forall uint16_t x; \forall integer m;
      (x & m) <= 0xffff;

  // The crash path's read-modify-write does what it must, whatever it
  // reads (proved by the SMT solvers from the definitions of the bit
  // operations).
  lemma pcidc_rmw_disconnects: \forall integer from, off, on;
      pcidc_masks_ok(off, on) ==>
      pcidc_disconnected((from & ~off) | on, from, off, on);

  // The default policy's masks (PCIDC_POLICY_DEFAULT) are such masks.
  // The solvers cannot compute a bit of a constant; the first two lemmas
  // give them the bits that matter, with the constant behind m so that Qed
  // keeps the lemma instead of folding it to true.
  lemma pcidc_master_bits: \forall integer m; m == PCIDC_COMMAND_MASTER ==>
      (m & PCIDC_COMMAND_MASTER) != 0;
  lemma pcidc_intx_bits: \forall integer m;
      m == PCIDC_COMMAND_INTX_DISABLE ==>
      (m & PCIDC_COMMAND_MASTER) == 0 &&
      (m & PCIDC_COMMAND_INTX_DISABLE) != 0;
  lemma pcidc_default_masks_ok:
      pcidc_masks_ok(PCIDC_COMMAND_MASTER, PCIDC_COMMAND_INTX_DISABLE);
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

  // Every register those steps name has a ghost cell: an even offset of
  // config space of a modelled function.
  predicate pcidc_step_modelled{L}(struct pcidc_step *s) =
      s->sbdf < PCIDC_G_SBDFS && s->reg < PCIDC_G_REGS && s->reg % 2 == 0;
  predicate pcidc_plan_modelled{L}(struct pcidc_plan *p) =
      \forall integer k; 0 <= k < pcidc_plan_len(p) ==>
          pcidc_step_modelled(&p->step[k]);

  // One of the first n steps of p writes register reg of function sbdf.
  predicate pcidc_in_steps{L}(struct pcidc_plan *p, integer n, integer sbdf,
                              integer reg) =
      \exists integer k; 0 <= k < n && p->step[k].sbdf == sbdf &&
          p->step[k].reg == reg;

  // No step after k, among the first n, writes step k's register again.
  predicate pcidc_last_write{L}(struct pcidc_plan *p, integer n, integer k) =
      \forall integer j; k < j < n ==>
          p->step[j].sbdf != p->step[k].sbdf ||
          p->step[j].reg != p->step[k].reg;

  // No step before k writes step k's register.
  predicate pcidc_first_write{L}(struct pcidc_plan *p, integer k) =
      \forall integer j; 0 <= j < k ==>
          p->step[j].sbdf != p->step[k].sbdf ||
          p->step[j].reg != p->step[k].reg;

  // Step s reads its register before writing it: unless it clears every
  // bit, which leaves nothing of the old value to keep.
  predicate pcidc_step_reads{L}(struct pcidc_step *s) =
      s->clear != PCIDC_ALL_BITS;

  // What step s writes as write number w, its register having read
  // pcidc_g_prior_value[w] (not read, and not used, when the step clears
  // every bit): the value read with the bits of clear off and those of set
  // on, or the fallback if the function did not answer (all ones).
  logic integer pcidc_step_value{L}(struct pcidc_step *s, integer w) =
      s->clear == PCIDC_ALL_BITS ? s->set :
      pcidc_g_prior_value[w] == PCIDC_ALL_BITS ? s->fallback :
      ((pcidc_g_prior_value[w] & ~s->clear) | s->set);

  // The crash path's run over steps 0 .. n-1 of p, its writes logged from
  // number wbase on: write wbase + k is step k's.

  // Write wbase + k is step k's, in order: its function, its register.
  predicate pcidc_steps_logged{L}(struct pcidc_plan *p, integer n,
                                  integer wbase) =
      \forall integer k; 0 <= k < n ==>
          pcidc_g_log_sbdf[wbase + k] == p->step[k].sbdf &&
          pcidc_g_log_reg[wbase + k] == p->step[k].reg;

  // Between the write before it and its own, step k read once, its own
  // register, if it reads ...
  predicate pcidc_steps_read{L}(struct pcidc_plan *p, integer n,
                                integer wbase) =
      \forall integer k; 0 <= k < n ==> pcidc_step_reads(&p->step[k]) ==>
          pcidc_g_log_reads[wbase + k] == 1 &&
          pcidc_g_prior_sbdf[wbase + k] == p->step[k].sbdf &&
          pcidc_g_prior_reg[wbase + k] == p->step[k].reg;

  // ... and nothing if it does not.
  predicate pcidc_steps_unread{L}(struct pcidc_plan *p, integer n,
                                  integer wbase) =
      \forall integer k; 0 <= k < n ==> !pcidc_step_reads(&p->step[k]) ==>
          pcidc_g_log_reads[wbase + k] == 0;

  // The value of write wbase + k is what step k makes of the value its
  // read returned.
  predicate pcidc_steps_written{L}(struct pcidc_plan *p, integer n,
                                   integer wbase) =
      \forall integer k; 0 <= k < n ==>
          pcidc_g_log_value[wbase + k] ==
              pcidc_step_value(&p->step[k], wbase + k);

  // Every crash-time read from number rbase on is of a register that one
  // of steps 0 .. n-1 names.
  predicate pcidc_reads_in_steps{L}(struct pcidc_plan *p, integer n,
                                    integer rbase) =
      \forall integer r; rbase <= r < pcidc_g_nr_reads ==>
          pcidc_in_steps(p, n, pcidc_g_read_sbdf[r], pcidc_g_read_reg[r]);

  // Steps whose masks disconnect, and whose function answered, wrote a
  // value with Bus Master clear, INTx Disable set, every other bit as read.
  predicate pcidc_steps_disconnect{L}(struct pcidc_plan *p, integer n,
                                      integer wbase) =
      \forall integer k; 0 <= k < n ==>
          pcidc_masks_ok(p->step[k].clear, p->step[k].set) &&
          pcidc_step_reads(&p->step[k]) &&
          pcidc_g_prior_value[wbase + k] != PCIDC_ALL_BITS ==>
          pcidc_disconnected(pcidc_g_log_value[wbase + k],
                             pcidc_g_prior_value[wbase + k],
                             p->step[k].clear, p->step[k].set);

  // The register of each step among 0 .. n-1 holds the value of its last
  // write.
  predicate pcidc_steps_applied{L}(struct pcidc_plan *p, integer n,
                                   integer wbase) =
      \forall integer k; 0 <= k < n ==> pcidc_last_write(p, n, k) ==>
          pcidc_g_config[p->step[k].sbdf][p->step[k].reg] ==
              pcidc_g_log_value[wbase + k];

  // Two-state words, for WP only: E-ACSL 25 does not translate a
  // definition with two labels, and the ghost config space it runs with is
  // in step with the devices only where the core read or wrote them, not at
  // the crash path's entry.  The function's own frame postcondition, which
  // E-ACSL does check, is written with \old instead.
  // Every register that none of steps 0 .. n-1 names holds at L what it
  // held at Old.
  predicate pcidc_frame{L, Old}(struct pcidc_plan *p, integer n) =
      \forall integer s, r; 0 <= s < PCIDC_G_SBDFS && 0 <= r < PCIDC_G_REGS ==>
          \at(pcidc_g_config[s][r], L) == \at(pcidc_g_config[s][r], Old) ||
          pcidc_in_steps{L}(p, n, s, r);

  // A step among 0 .. n-1 that reads, and is the first to name its
  // register, read the value that register held at Old.
  predicate pcidc_reads_old{L, Old}(struct pcidc_plan *p, integer n,
                                    integer wbase) =
      \forall integer k; 0 <= k < n ==>
          \at(p->step[k].clear != PCIDC_ALL_BITS &&
              pcidc_first_write(p, k), L) ==>
          \at(pcidc_g_prior_value[wbase + k], L) ==
              \at(pcidc_g_config[\at(p->step[k].sbdf, L)]
                                 [\at(p->step[k].reg, L)], Old);

  // What check_policy() accepts of a policy's masks: Bus Master cleared,
  // neither decode nor Bus Master set.
  predicate pcidc_policy_ok{L}(struct pcidc_policy *pol) =
      (pol->clear & PCIDC_COMMAND_MASTER) != 0 &&
      (pol->set & (PCIDC_COMMAND_IO | PCIDC_COMMAND_MEMORY |
                   PCIDC_COMMAND_MASTER)) == 0;

  // Step s is what plan building makes of function f under policy pol,
  // but for its sbdf: COMMAND, the policy's masks, and as fallback COMMAND
  // as f was described, through those masks.
  predicate pcidc_step_made{L}(struct pcidc_step *s, struct pcidc_func *f,
                               struct pcidc_policy *pol) =
      s->reg == PCIDC_COMMAND && s->clear == pol->clear &&
      s->set == pol->set &&
      s->fallback == ((f->command & ~pol->clear) | pol->set);

  // A step made with masks that disconnect has a fallback that does what
  // the crash path must: Bus Master clear, INTx Disable set, every other
  // bit as the function was described.  (Proved from the bit definitions,
  // like pcidc_rmw_disconnects: the solvers do not match that lemma
  // against a step's fallback, whose operands Qed orders differently.)
  lemma pcidc_made_disconnects{L}:
      \forall struct pcidc_step *s, struct pcidc_func *f,
              struct pcidc_policy *pol;
      pcidc_step_made(s, f, pol) && pcidc_masks_ok(pol->clear, pol->set) ==>
      pcidc_disconnected(s->fallback, f->command, pol->clear, pol->set);

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

  // Link p (an input index + 1, or 0 for none) from a function on bus
  // 'bus' goes up: it names a bridge of the input whose own bus is below
  // its secondary bus and whose secondary bus is at most 'bus'.  Along a
  // chain of such links the secondary bus strictly decreases, which bounds
  // mark_preserved()'s walk up the parent links.
  predicate pcidc_link_up{L}(struct pcidc_func *func, integer nr, integer p,
                             integer bus) =
      p == 0 ||
      (p - 1 < nr && (func[p - 1].flags & PCIDC_FUNC_BRIDGE) != 0 &&
       PCIDC_SBDF_BUS(func[p - 1].sbdf) < func[p - 1].secondary &&
       func[p - 1].secondary <= bus);

  // Every input's parent link goes up.
  predicate pcidc_links_up{L}(struct pcidc *dc, struct pcidc_func *func,
                              integer nr) =
      \forall integer k; 0 <= k < nr ==>
          pcidc_link_up(func, nr, dc->parent[k], PCIDC_SBDF_BUS(func[k].sbdf));

  // Every bus painted in the current segment names such a bridge.
  predicate pcidc_paint_up{L}(struct pcidc *dc, struct pcidc_func *func,
                              integer nr) =
      \forall integer b; 0 <= b < 256 && dc->paint_stamp[b] == dc->stamp ==>
          pcidc_link_up(func, nr, dc->paint[b], b);
*/

#endif /* PCIDC_MODEL_H */
