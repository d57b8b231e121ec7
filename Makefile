# SPDX-License-Identifier: GPL-2.0-only
#
# pcidc: make demo | make check | make help
#
# Everything built goes under build/.  Every target that needs a tool gets it
# through ci/deps.sh first.  Parts of the project add their own targets in
# the fragments included at the end (sim/, qtest/, proofs/, ci/xen).

BUILD   := build
CC      ?= gcc
CSTD    := -std=c11
WARN    := -Wall -Wextra -Werror
CFLAGS  := $(CSTD) $(WARN) -O2 -g
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
COVFLAGS := --coverage -O0
JOBS    ?= 2

# Fragments append to these.
CHECK_STEPS :=
BENCH_STEPS :=

# $(call junit,NAME) PROGRAM: run a cmocka test program with its output
# unchanged and its results also as JUnit XML in build/junit/NAME.xml
# (ci/junit.py says how).
JUNIT_DIR := $(BUILD)/junit
junit = python3 ci/junit.py --suite $(1) --xml $(JUNIT_DIR)/$(1).xml --
.DEFAULT_GOAL := help

# The core: the crash path, plan building, their headers.
CORE_SRC   := src/crash.c src/plan.c
CORE_HDR   := src/pcidc.h src/pcidc_types.h src/pcidc_internal.h
CORE_FREESTANDING := $(patsubst src/%.c,$(BUILD)/freestanding/%.o,$(CORE_SRC))
UNIT_SRC   := tests/test_core.c tests/fake_port.c
UNIT_HDR   := tests/fake_port.h

.PHONY: help deps-build deps-test check bench coverage unit unit-asan freestanding clean \
        check-freestanding check-unit check-unit-asan check-coverage check-clang \
        check-layers

help:
	@echo "pcidc targets:"
	@echo "  make demo        crash simulator: every policy on the default topology"
	@echo "  make check       every test: freestanding, unit (plain, ASan/UBSan),"
	@echo "                   coverage gate, proofs, Xen build checks, QEMU scenarios"
	@echo "  make bench       figures: plan building, crash path, simulator"
	@echo "  make sweep       N random machines and crash moments through every"
	@echo "                   policy (N, SEED, JOBS); build/sweep/sweep.html"
	@echo "  make coverage    lcov HTML report in build/coverage/"
	@echo "  make prove       Frama-C/WP proofs of the crash path, negative controls"
	@echo "  make prove-build Frama-C/WP proofs of plan building (about 2 min)"
	@echo "  make eacsl       the same contracts checked at run time (E-ACSL)"
	@echo "  make xen         build Xen 4.17 with pcidc, option on and off"
	@echo "  make xen-check   checks on that build"
	@echo "  make xen-patches git format-patch series for Xen"
	@echo "  make xen-e2e     real Xen crash under QEMU, disconnect off/on"
	@echo "  make clean"

deps-build:
	@ci/deps.sh build
deps-test:
	@ci/deps.sh test

# --- The core, freestanding -------------------------------------------------

# The exact command from the core's promise: only pcidc_port_* may be
# missing, from every object of the core.
$(BUILD)/freestanding/%.o: src/%.c $(CORE_HDR) | deps-build
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -ffreestanding -fno-builtin -nostdlib -O2 -c $< -o $@

check-freestanding: $(CORE_FREESTANDING)
	@ci/check-freestanding.sh $^

freestanding: check-freestanding

# --- Layers: every #include against the README's layout table ---------------

check-layers:
	@python3 ci/check-layers.py
	@python3 ci/check-layers.py --self-test

# --- Unit tests (cmocka, fake port) -----------------------------------------

$(BUILD)/unit/test_core: $(UNIT_SRC) $(UNIT_HDR) $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -Itests $(UNIT_SRC) $(CORE_SRC) -lcmocka -o $@

$(BUILD)/unit-asan/test_core: $(UNIT_SRC) $(UNIT_HDR) $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Isrc -Itests $(UNIT_SRC) $(CORE_SRC) -lcmocka -o $@

$(BUILD)/coverage/test_core: $(UNIT_SRC) $(UNIT_HDR) $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)/obj
	cd $(@D)/obj && $(CC) $(CSTD) $(WARN) $(COVFLAGS) -I$(CURDIR)/src -I$(CURDIR)/tests \
	    -c $(addprefix $(CURDIR)/,$(UNIT_SRC) $(CORE_SRC))
	$(CC) $(COVFLAGS) $(@D)/obj/*.o -lcmocka -o $@

# The same tests built by clang: its warnings differ from gcc's.
$(BUILD)/unit-clang/test_core: $(UNIT_SRC) $(UNIT_HDR) $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	clang $(CFLAGS) -Isrc -Itests $(UNIT_SRC) $(CORE_SRC) -lcmocka -o $@

check-clang: $(BUILD)/unit-clang/test_core
	@$(call junit,unit-clang) $(BUILD)/unit-clang/test_core > $(BUILD)/unit-clang/log 2>&1 || { cat $(BUILD)/unit-clang/log; exit 1; }
	@echo "clang: ok: unit tests built with clang -Wall -Wextra -Werror pass"

unit check-unit: $(BUILD)/unit/test_core
	$(call junit,unit) $(BUILD)/unit/test_core

unit-asan check-unit-asan: $(BUILD)/unit-asan/test_core
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(call junit,unit-asan) $(BUILD)/unit-asan/test_core

coverage: $(BUILD)/coverage/test_core
	@ci/coverage.sh $(BUILD)/coverage

check-coverage: $(BUILD)/coverage/test_core
	@ci/coverage.sh --gate $(BUILD)/coverage

# --- Benchmark of the core --------------------------------------------------

$(BUILD)/bench/bench_core: tests/bench_core.c tests/fake_port.c $(UNIT_HDR) $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -Itests tests/bench_core.c tests/fake_port.c $(CORE_SRC) -lcmocka -o $@

bench-core: $(BUILD)/bench/bench_core
	@$(BUILD)/bench/bench_core

BENCH_STEPS += bench-core

# --- Fragments ----------------------------------------------------------------

-include sim/sim.mk
-include qtest/qtest.mk
-include proofs/proofs.mk
-include ci/xen/xen.mk
-include ci/e2e/e2e.mk
-include tests/tests.mk

# --- The two aggregate targets ----------------------------------------------

# Unit tests last: the run ends with cmocka's own summary.
check: check-layers check-freestanding check-clang $(CHECK_STEPS)
	@$(MAKE) --no-print-directory check-coverage
	@$(MAKE) --no-print-directory check-unit-asan
	@$(MAKE) --no-print-directory check-unit
	@! cat $(BUILD)/not-checked/* 2>/dev/null || \
	    echo "make check: the lines above were NOT checked on this machine"

bench: $(BENCH_STEPS)

clean:
	rm -rf $(BUILD)
