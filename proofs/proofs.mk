# SPDX-License-Identifier: GPL-2.0-only
# Proofs of the core: included by the top-level Makefile.
#
#   make prove        Frama-C/WP: the crash path, the port contracts, the
#                     accessors and the ACSL lemmas, one line per function
#                     and a total; then the negative controls: broken copies
#                     of the crash path under build/proofs/controls/ must
#                     each fail to prove.  Non-zero exit on any unproved
#                     goal, any control that proves, or a missing tool.
#   make prove-build  the same for plan building (slower: several minutes)
#   make check-prove  what 'make check' runs: both
#
# Every ACSL line is a comment to the C compiler; proofs/pcidc_model.h (the
# ghost machine) is force-included by Frama-C only.

PROVE_DEPS := proofs/prove.sh proofs/wp_summary.py proofs/controls.py \
              proofs/pcidc_model.h $(CORE_SRC) $(CORE_HDR)

.PHONY: prove prove-build check-prove deps-prove

deps-prove:
	@ci/deps.sh prove

prove: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh

prove-build: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh --build

check-prove: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh
	@BUILD=$(BUILD) proofs/prove.sh --build

CHECK_STEPS += check-prove
