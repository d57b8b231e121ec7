# SPDX-License-Identifier: GPL-2.0-only
# Proofs of the core: included by the top-level Makefile.
#
#   make prove        Frama-C/WP: the crash path, the port contracts, the
#                     accessors and the ACSL lemmas, one line per function
#                     and a total; then the negative controls: broken copies
#                     of the crash path under build/proofs/controls/ must
#                     each fail to prove.  Non-zero exit on any unproved
#                     goal, any control that proves, or a missing tool.
#   make prove-build  the same for plan building (slower: about 2 minutes)
#   make eacsl        E-ACSL: the core instrumented with its contracts runs
#                     the crash-path scenarios of proofs/eacsl/driver.c (no
#                     violation allowed), then broken copies of the core must
#                     each be stopped by a violation
#   make check-prove  what 'make check' runs: prove, eacsl
#
# For other programs (the simulator's crashsim --contracts): $(EACSL_LIB) is
# the core instrumented by E-ACSL, with the checked entry points and main of
# proofs/eacsl/shim.c and the E-ACSL runtime.  Compile the program's own
# sources with $(EACSL_APP_CFLAGS), keep the plain core (src/pcidc.c) out of
# the link, put $(EACSL_LIB) before the program's libraries and end with
# $(EACSL_LDLIBS).  Give the core heap memory only (calloc the struct pcidc,
# the function list, the policy): E-ACSL does not see static variables of
# uninstrumented code.
#
# Every ACSL line is a comment to the C compiler; proofs/pcidc_model.h (the
# ghost machine) is force-included by Frama-C only.

PROVE_DEPS := proofs/prove.sh proofs/wp_summary.py proofs/controls.py \
              proofs/pcidc_model.h $(CORE_SRC) $(CORE_HDR)

.PHONY: prove prove-build eacsl check-prove deps-prove

EACSL_DIR        := $(BUILD)/eacsl/core
EACSL_LIB        := $(EACSL_DIR)/libpcidc_eacsl.a
EACSL_APP_CFLAGS  = $(shell proofs/eacsl/eacsl.sh app-cflags)
EACSL_LDLIBS      = $(shell proofs/eacsl/eacsl.sh ldlibs)
EACSL_DEPS       := proofs/eacsl/eacsl.sh proofs/eacsl/shim.c \
                    proofs/eacsl/acsl2macros.py proofs/eacsl/driver.c \
                    proofs/controls.py proofs/pcidc_model.h $(CORE_SRC) $(CORE_HDR)

deps-prove:
	@ci/deps.sh prove

prove: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh

prove-build: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh --build

eacsl: $(EACSL_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/eacsl/eacsl.sh check

$(EACSL_LIB): $(EACSL_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/eacsl/eacsl.sh bundle $(CORE_SRC) $(EACSL_DIR)

# Plan building's proof (make prove-build, about 2 minutes of two busy
# CPUs, goals within a few seconds of their time-out) stays out of
# 'make check': a loaded machine made two goals time out once.
check-prove: $(PROVE_DEPS) $(EACSL_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/prove.sh
	@BUILD=$(BUILD) proofs/eacsl/eacsl.sh check

CHECK_STEPS += check-prove
