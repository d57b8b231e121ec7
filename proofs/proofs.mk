# SPDX-License-Identifier: GPL-2.0-only
# Proofs of the core: included by the top-level Makefile.
#
#   make prove        Frama-C/WP: the crash path, the port contracts, the
#                     accessors and the ACSL lemmas, one line per function
#                     and a total; then the negative controls: broken copies
#                     of the crash path under build/proofs/controls/ must
#                     each fail to prove.  Non-zero exit on any unproved
#                     goal, any control that proves, or a missing tool.
#   make prove-build  the same for plan building, with its own controls
#                     (slower: 5 to 15 minutes on two loaded CPUs)
#   make eacsl        E-ACSL: the core instrumented with its contracts runs
#                     the crash-path scenarios of proofs/eacsl/driver.c (no
#                     violation allowed), then broken copies of the core must
#                     each be stopped by a violation
#   make check-prove  what 'make check' runs: prove, eacsl
#   make crashsim-contracts   build/crashsim-contracts, run by
#                     'crashsim --contracts': the simulator on the E-ACSL core
#   make check-sim-contracts  qtest/test_contracts.c: the checked core against
#                     real QEMU devices, and a broken copy caught (make check)
#
# For other programs: $(EACSL_LIB) is the core instrumented by E-ACSL, with
# the checked entry points and main of proofs/eacsl/shim.c and the E-ACSL
# runtime.  Compile the program's own sources with $(EACSL_APP_CFLAGS), keep
# the plain core ($(CORE_SRC)) out of the link, put $(EACSL_LIB) before the
# program's libraries and end with $(EACSL_LDLIBS).  Give the core heap
# memory only (calloc the struct pcidc, the function list, the policy):
# E-ACSL does not see static variables of uninstrumented code.
#
# Every ACSL line is a comment to the C compiler; proofs/pcidc_model.h (the
# contracts' vocabulary: ghost machine, predicates, lemmas) is force-included
# by Frama-C only.  The scripts take the core's sources from CORE_SRC.

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
	@BUILD=$(BUILD) CORE_SRC="$(CORE_SRC)" proofs/prove.sh

prove-build: $(PROVE_DEPS) | deps-prove
	@BUILD=$(BUILD) CORE_SRC="$(CORE_SRC)" proofs/prove.sh --build

eacsl: $(EACSL_DEPS) | deps-prove
	@BUILD=$(BUILD) CORE_SRC="$(CORE_SRC)" proofs/eacsl/eacsl.sh check

$(EACSL_LIB): $(EACSL_DEPS) | deps-prove
	@BUILD=$(BUILD) proofs/eacsl/eacsl.sh bundle $(EACSL_DIR) $(CORE_SRC)

# Plan building's proof (make prove-build, several minutes of two busy
# CPUs, four goals not proved: proofs/README.md) stays out of 'make check'.
check-prove: prove eacsl

CHECK_STEPS += check-prove

# --- crashsim against the E-ACSL core ----------------------------------------
#
# build/crashsim-contracts: crashsim and the simulator (sim.mk's sources and
# port) compiled with $(EACSL_APP_CFLAGS), linked against $(EACSL_LIB)
# instead of the plain core.  'crashsim --contracts' runs it.

SIM_CONTRACTS      := $(BUILD)/crashsim-contracts
SIM_CONTRACTS_SRC  := $(SIM_OWN_SRC) sim/prog/crashsim.c
SIM_CONTRACTS_OBJS := $(patsubst %.c,$(BUILD)/sim-contracts/obj/%.o,\
                                 $(SIM_CONTRACTS_SRC))

.PHONY: crashsim-contracts

$(BUILD)/sim-contracts/obj/%.o: %.c $(SIM_HDR) | deps-sim deps-prove
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) $(EACSL_APP_CFLAGS) -DPCIDC_SIM_CONTRACTS \
	    -c $< -o $@

$(SIM_CONTRACTS): $(SIM_CONTRACTS_OBJS) $(EACSL_LIB) | $(HALT_BIOS)
	$(CC) $(SIM_CONTRACTS_OBJS) $(EACSL_LIB) $(SIM_LDLIBS) \
	    $(EACSL_LDLIBS) -o $@

crashsim-contracts: $(SIM_CONTRACTS) $(CRASHSIM)

# Negative controls: the same program on controls.py's broken copy NAME (the
# core with one file broken), build/eacsl/control-NAME/crashsim-contracts,
# which E-ACSL must stop:
# outside_plan (each write to the neighbouring device, sbdf ^ 8) on the
# crash path, children_first (functions before their bridges) in plan
# building.  The instrumented copies are those 'make eacsl' makes (same
# directories), so after it only the link is left to do.
SIM_BROKEN_CRASH := $(BUILD)/eacsl/control-outside_plan/crashsim-contracts
SIM_BROKEN_PLAN  := $(BUILD)/eacsl/control-children_first/crashsim-contracts

.PRECIOUS: $(BUILD)/eacsl/control-%/libpcidc_eacsl.a

$(BUILD)/eacsl/control-%/libpcidc_eacsl.a: $(EACSL_DEPS) | deps-prove
	@python3 proofs/controls.py $(BUILD)/eacsl/controls $(CORE_SRC) >/dev/null
	@BUILD=$(BUILD) proofs/eacsl/eacsl.sh bundle $(@D) \
	    $(addprefix $(BUILD)/eacsl/controls/$*/,$(notdir $(CORE_SRC)))

$(BUILD)/eacsl/control-%/crashsim-contracts: $(SIM_CONTRACTS_OBJS) \
                                         $(BUILD)/eacsl/control-%/libpcidc_eacsl.a \
                                         | $(HALT_BIOS)
	$(CC) $(SIM_CONTRACTS_OBJS) $(@D)/libpcidc_eacsl.a $(SIM_LDLIBS) \
	    $(EACSL_LDLIBS) -o $@

# The scenarios of qtest/test_contracts.c (built here, not by qtest.mk: it
# needs E-ACSL): the checked core against real QEMU devices, and the broken
# copy caught.
SIM_CONTRACTS_TEST := $(BUILD)/qtest-contracts/test_contracts

$(SIM_CONTRACTS_TEST): qtest/test_contracts.c $(QTEST_HDR) $(QTEST_RUN_OBJ) \
                       $(SIM_HDR) $(SIM_LIB) | deps-test deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -Iqtest $< $(QTEST_RUN_OBJ) $(SIM_LIB) -lcmocka \
	    $(SIM_LDLIBS) -o $@

.PHONY: check-sim-contracts
check-sim-contracts: $(SIM_CONTRACTS_TEST) $(SIM_CONTRACTS) \
                     $(SIM_BROKEN_CRASH) $(SIM_BROKEN_PLAN) $(CRASHSIM) \
                     $(HALT_BIOS)
	@PCIDC_CRASHSIM=$(CRASHSIM) PCIDC_CRASHSIM_BROKEN=$(SIM_BROKEN_CRASH) \
	    PCIDC_CRASHSIM_BROKEN_PLAN=$(SIM_BROKEN_PLAN) $(SIM_CONTRACTS_TEST)

CHECK_STEPS += check-sim-contracts
