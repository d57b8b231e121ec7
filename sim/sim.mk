# SPDX-License-Identifier: GPL-2.0-only
# The crash simulator: included by the top-level Makefile.
#
#   make demo            crashsim on the demo topology, every policy, then
#                        on iommu,e1000,ahci,bridge(e1000) (VT-d table);
#                        JSON, the timeline SVG, an HTML page each
#   make check-browser   the demo's page in headless Chromium (make check)
#   make sim             build/crashsim, build/sim/libsim.a, build/halt-bios.bin
#   make check-sim-unit  unit tests of the qtest reply parser, the SPEC parser,
#                        galloc, the policy list parser, the report renderer
#                        and the child-process helper, plain and under
#                        ASan/UBSan (make check); JUnit XML in build/junit/
#   make bench-sim-transport  QEMU start time, config round trip (make bench)
#   make bench-sim-vtd   bytes landing in kdump / low memory / crash state per
#                        policy with the IOMMU (make bench)
#   make sweep           N random machines and crash moments (SEED, JOBS),
#                        every policy, the properties of crashsim --check;
#                        build/sweep/sweep.{json,md,html}
#   make check-sweep     a short sweep (make check)
#   make check-sweep-planted  planted bugs in copies of the core: the sweep
#                        fails and the line it prints fails alone; a plan
#                        published mid-path catches a pointer reload
#                        (make check)
#   make bench-sweep     cases per minute (make bench)
#   make pictures        every SVG under build/ (and build/sweep/) as PNG
#
# One folder per layer (the README's layout table says what each holds and
# may include).  Every .c file of the library folders (SIM_LIB_DIRS) goes
# into build/sim/libsim.a, together with the core (src/*.c): every program
# and test links the same core as Xen.  sim/prog/ holds the programs, one
# .c file each: build/crashsim from crashsim.c, build/sim/NAME from NAME.c
# on demand.  sim/xen-e2e/ is the real-Xen harness (ci/e2e/e2e.mk builds
# it).  All programs link -ljansson -lpthread -lm.
# build/sim-asan/libsim.a is the same library built with SANFLAGS, for test
# suites that run under ASan/UBSan.  Firmware: build/halt-bios.bin, written
# by sim/prog/mkhaltbios.c (nothing binary is committed).

SIM_CFLAGS   := -std=gnu11 $(WARN) -O2 -g -Isrc -Isim
SIM_LDLIBS   := -ljansson -lpthread -lm

SIM_LIB_DIRS := base qemu pci dev port topology engine report sweep
SIM_OWN_SRC  := $(foreach d,$(SIM_LIB_DIRS),$(wildcard sim/$(d)/*.c))
SIM_HDR      := $(foreach d,$(SIM_LIB_DIRS),$(wildcard sim/$(d)/*.h)) $(CORE_HDR)

SIM_LIB      := $(BUILD)/sim/libsim.a
SIM_LIB_ASAN := $(BUILD)/sim-asan/libsim.a
HALT_BIOS    := $(BUILD)/halt-bios.bin
CRASHSIM     := $(BUILD)/crashsim

# sim/pci/qpci.c -> build/sim/obj/sim/pci/qpci.o, src/crash.c -> build/sim/obj/src/crash.o
sim_objs = $(patsubst %.c,$(1)/obj/%.o,$(SIM_OWN_SRC) $(CORE_SRC))
SIM_OBJS      := $(call sim_objs,$(BUILD)/sim)
SIM_OBJS_ASAN := $(call sim_objs,$(BUILD)/sim-asan)


.PHONY: sim demo deps-sim check-sim-unit sim-unit

deps-sim:
	@ci/deps.sh sim

sim: $(SIM_LIB) $(HALT_BIOS) $(CRASHSIM)

# --- library ----------------------------------------------------------------

$(BUILD)/sim/obj/%.o: %.c $(SIM_HDR) | deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -c $< -o $@

$(BUILD)/sim-asan/obj/%.o: %.c $(SIM_HDR) | deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) $(SANFLAGS) -c $< -o $@

$(SIM_LIB): $(SIM_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(SIM_LIB_ASAN): $(SIM_OBJS_ASAN)
	@rm -f $@
	$(AR) rcs $@ $^

# --- firmware and programs ----------------------------------------------------

$(BUILD)/sim/mkhaltbios: sim/prog/mkhaltbios.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@

$(HALT_BIOS): $(BUILD)/sim/mkhaltbios
	$< $@

$(CRASHSIM): sim/prog/crashsim.c $(SIM_HDR) $(SIM_LIB) | $(HALT_BIOS)
	$(CC) $(SIM_CFLAGS) $< $(SIM_LIB) $(SIM_LDLIBS) -o $@

$(BUILD)/sim/%: sim/prog/%.c $(SIM_HDR) $(SIM_LIB) | $(HALT_BIOS)
	$(CC) $(SIM_CFLAGS) $< $(SIM_LIB) $(SIM_LDLIBS) -o $@

# --- unit tests (no QEMU) -------------------------------------------------------

SIM_UNIT_TESTS := test_qts_parse test_spec test_galloc test_crash_policy \
                  test_report test_proc test_props test_sweep
SIM_UNIT_SRC_test_qts_parse := tests/test_qts_parse.c sim/qemu/qts_parse.c
SIM_UNIT_SRC_test_spec      := tests/test_spec.c sim/topology/spec.c \
                               sim/topology/spec_qemu.c
SIM_UNIT_SRC_test_galloc    := tests/test_galloc.c sim/pci/galloc.c
SIM_UNIT_SRC_test_crash_policy := tests/test_crash_policy.c \
                                  sim/engine/policy_list.c sim/topology/spec.c \
                                  sim/topology/spec_qemu.c
SIM_UNIT_SRC_test_report    := tests/test_report.c sim/report/report.c \
                               sim/report/report_reach.c \
                               sim/report/report_check.c \
                               sim/report/timeline.c sim/report/svg.c \
                               sim/report/report_devices.c \
                               sim/engine/policy_list.c sim/topology/spec.c
SIM_UNIT_LIBS_test_report   := -ljansson -lm
SIM_UNIT_SRC_test_proc      := tests/test_proc.c sim/base/proc.c
SIM_UNIT_REPORT             := sim/report/report.c sim/report/report_reach.c \
                               sim/report/report_check.c \
                               sim/report/report_props.c \
                               sim/report/report_props_plan.c \
                               sim/report/timeline.c sim/report/svg.c \
                               sim/report/html.c sim/report/report_devices.c \
                               sim/engine/policy_list.c sim/topology/spec.c \
                               sim/topology/spec_qemu.c
SIM_UNIT_SRC_test_props     := tests/test_props.c $(SIM_UNIT_REPORT)
SIM_UNIT_LIBS_test_props    := -ljansson -lm
SIM_UNIT_SRC_test_sweep     := tests/test_sweep.c sim/sweep/gen.c \
                               sim/sweep/collect.c \
                               sim/base/proc.c $(SIM_UNIT_REPORT)
SIM_UNIT_LIBS_test_sweep    := -ljansson -lm
SIM_UNIT_DEPS := $(SIM_HDR) $(sort $(foreach t,$(SIM_UNIT_TESTS),$(SIM_UNIT_SRC_$(t))))

$(BUILD)/sim-unit/%: tests/%.c $(SIM_UNIT_DEPS) | deps-test
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) $(SIM_UNIT_SRC_$*) -lcmocka $(SIM_UNIT_LIBS_$*) -o $@

$(BUILD)/sim-unit-asan/%: tests/%.c $(SIM_UNIT_DEPS) | deps-test
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) $(SANFLAGS) $(SIM_UNIT_SRC_$*) -lcmocka \
	    $(SIM_UNIT_LIBS_$*) -o $@

# jansson's headers come with the sim group.
$(foreach t,test_report test_props test_sweep,$(BUILD)/sim-unit/$(t) \
    $(BUILD)/sim-unit-asan/$(t)): | deps-sim

sim-unit check-sim-unit: $(addprefix $(BUILD)/sim-unit/,$(SIM_UNIT_TESTS)) \
                         $(addprefix $(BUILD)/sim-unit-asan/,$(SIM_UNIT_TESTS))
	@set -e; for t in $(SIM_UNIT_TESTS); do \
	    $(call junit,sim-$$t) $(BUILD)/sim-unit/$$t; \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	        $(call junit,sim-asan-$$t) $(BUILD)/sim-unit-asan/$$t; \
	done

CHECK_STEPS += check-sim-unit

# --- demo ---------------------------------------------------------------------

# Every policy on the demo topology (crashsim's default), two policies at a
# time, each on its own QEMU; the table goes to the terminal, JSON and SVG
# under build/.  NICs and the AHCI disk, one NIC and a serial console (not
# keep:) behind a bridge, an NVMe disk.  What the demo must show, or it
# fails:
#   - every disconnecting policy (seed, linux-kexec, decode-off, pcidc)
#     leaves nothing beyond the reads in flight -- the AHCI read QEMU had
#     started, the NVMe reads it had fetched (--require-clean);
#   - after pcidc's crash path the console line arrives and every
#     endpoint's register answers (--require-reachable pcidc).  The seed
#     and decode-off, which turn decode off, lose both (the "console after
#     crash" and "MMIO reachable" columns; qtest/test_scenarios.c asserts
#     it).
DEMO_TOPOLOGY := e1000,ahci,bridge(e1000,e1000,serial),nvme
DEMO_CLEAN    := seed,linux-kexec,decode-off,pcidc

DEMO_CMD = $(CRASHSIM) --topology '$(DEMO_TOPOLOGY)' --policy all \
	    --require-clean $(DEMO_CLEAN) --require-reachable pcidc \
	    --json $(BUILD)/demo.json --svg $(BUILD)/demo.svg \
	    --html $(BUILD)/demo.html

demo: deps-sim $(CRASHSIM) $(HALT_BIOS)
	@$(DEMO_CMD)
	@echo "(report: $(BUILD)/demo.json, timeline: $(BUILD)/demo.svg," \
	     "page: $(BUILD)/demo.html)"
	@echo
	@$(CRASHSIM) --topology '$(DEMO_IOMMU_TOPOLOGY)' --policy all \
	    --require-clean $(DEMO_CLEAN) --json $(BUILD)/demo-iommu.json \
	    --html $(BUILD)/demo-iommu.html
	@echo "(report: $(BUILD)/demo-iommu.json, page: $(BUILD)/demo-iommu.html)"

# The demo's page (and its JSON), for the browser check.
$(BUILD)/demo.html: $(CRASHSIM) $(HALT_BIOS) | deps-sim
	@$(DEMO_CMD) > /dev/null

# The demo's page in headless Chromium: loaded without error, its tables
# and timeline lanes there (ci/browser-check.py); broken copies of it must
# be rejected.  Screenshot: build/demo-browser.png.
.PHONY: check-browser deps-browser
deps-browser:
	@ci/deps.sh browser

check-browser: $(BUILD)/demo.html | deps-browser
	@python3 ci/browser-check.py --report $(BUILD)/demo.json \
	    --page $(BUILD)/demo.html --png $(BUILD)/demo-browser.png --self-test

CHECK_STEPS += check-browser

# The VT-d issue's table: the devices' DMA goes through intel-iommu with low
# IOVAs inside the low-memory and kdump regions; policies end with VT-d
# translation off (Xen's crash shutdown), except iommu-on.
DEMO_IOMMU_TOPOLOGY := iommu,e1000,ahci,bridge(e1000)

# --- figures --------------------------------------------------------------------

.PHONY: bench-sim-transport
bench-sim-transport: $(BUILD)/sim/bench_transport $(HALT_BIOS) | deps-sim
	@$(BUILD)/sim/bench_transport

BENCH_STEPS += bench-sim-transport

# Per policy writes_until_quiesced and DMA after the crash on 4 bridges x 4
# devices, and the scenario wall time (QEMU start and config round trips:
# bench-sim-transport).
BENCH_SIM_TOPOLOGY := bridge(e1000,e1000,e1000,ahci)*4

.PHONY: bench-sim
bench-sim: $(CRASHSIM) $(HALT_BIOS) | deps-sim
	@echo "bench-sim: crashsim --topology '$(BENCH_SIM_TOPOLOGY)' --policy all"
	@start=$$(date +%s%N); \
	$(CRASHSIM) --topology '$(BENCH_SIM_TOPOLOGY)' --policy all \
	    --json $(BUILD)/bench-sim.json | sed -n '/^|/p'; \
	end=$$(date +%s%N); \
	echo "bench-sim: scenario wall time $$(( (end - start) / 1000000 )) ms" \
	     "for 5 policies, 2 at a time (per policy: the ms column)"

BENCH_STEPS += bench-sim

# Per policy, bytes landing in the kdump region, in low memory and in the
# crash-state buffers during a fixed 1000 ms window, on the demo topology
# with the IOMMU.
.PHONY: bench-sim-vtd
bench-sim-vtd: $(CRASHSIM) $(HALT_BIOS) | deps-sim
	@echo "bench-sim-vtd: crashsim --topology '$(DEMO_IOMMU_TOPOLOGY)'" \
	     "--policy all --window-ms 1000"
	@$(CRASHSIM) --topology '$(DEMO_IOMMU_TOPOLOGY)' --policy all \
	    --window-ms 1000 --json $(BUILD)/bench-sim-vtd.json | \
	    sed -n '/^With VT-d/,/^Devices were/{/^|/p}'

BENCH_STEPS += bench-sim-vtd

# Every DMA device model alone, none and pcidc, on QEMU 7.2 and 10.0: bytes
# beyond in-flight requests and what is in flight (ci/device-table.py;
# build/bench/devices/devices.md).  Fails if pcidc leaves a byte beyond
# in-flight or none leaves none.
QEMU10_BIN = $(CURDIR)/$(BUILD)/qemu10/qemu-system-x86_64

.PHONY: bench-devices
bench-devices: $(CRASHSIM) $(HALT_BIOS) qemu10 | deps-sim
	@python3 ci/device-table.py --crashsim $(CRASHSIM) \
	    --out $(BUILD)/bench/devices --qemu 7.2=qemu-system-x86_64 \
	    --qemu 10.0=$(QEMU10_BIN)

BENCH_STEPS += bench-devices

# --- sweep ------------------------------------------------------------------------

# make sweep [N=24] [SEED=1] [JOBS=cores]: N cases drawn from SEED, JOBS at a
# time, each one 'crashsim --check' command line (build/sim/sweep --list
# prints them; --case K runs one).  Exit 1 when a case fails; its line is
# printed, and reproduces it alone.  The default fits in about 2 minutes on
# 2 cores.
SWEEP      := $(BUILD)/sim/sweep
N          ?= 24
SEED       ?= 1
SWEEP_JOBS  = $(if $(filter command line environment,$(origin JOBS)),$(JOBS),$(shell nproc))

.PHONY: sweep check-sweep check-sweep-planted bench-sweep

sweep: deps-sim $(SWEEP) $(CRASHSIM) $(HALT_BIOS)
	@$(SWEEP) -n $(N) --seed $(SEED) -j $(SWEEP_JOBS) --crashsim $(CRASHSIM) \
	    --out $(BUILD)/sweep

# make check: 8 cases (about 40 s on 2 cores).
SWEEP_CHECK_N := 8

# Then a few cases on QEMU 10, whose draw includes igb (seed 2: case 1).
SWEEP_CHECK_N10 := 4
SWEEP_CHECK_SEED10 := 2

check-sweep: deps-sim $(SWEEP) $(CRASHSIM) $(HALT_BIOS) qemu10
	@$(SWEEP) -n $(SWEEP_CHECK_N) --seed $(SEED) -j $(SWEEP_JOBS) \
	    --crashsim $(CRASHSIM) --out $(BUILD)/sweep-check
	@$(SWEEP) -n $(SWEEP_CHECK_N10) --seed $(SWEEP_CHECK_SEED10) \
	    -j $(SWEEP_JOBS) --crashsim $(CRASHSIM) --qemu $(QEMU10_BIN) \
	    --out $(BUILD)/sweep-check-qemu10

CHECK_STEPS += check-sweep

# Planted bugs: crashsim linked against a copy of the core edited by
# PLANTED_SED_<name> applied to src/PLANTED_SRC_<name>.c (the planted
# object comes before libsim.a, so the linker takes its functions):
#   skip    the crash path skips its last step.  The sweep must fail and
#           print a reproducer; that line must fail on its own and pass
#           with the real crashsim (ci/sweep-planted.sh).  Case 0 of sweep
#           seed 6 is bridge(bridge(e1000e,e1000e)): the step skipped is the
#           deeper NIC's, which then keeps receiving.
#   accept  plan building does not refuse once the crash path has started:
#           a plan published after the crash path's third write is taken,
#           which one_whole_plan must catch (and the real core passes).
PLANTED_SRC_skip   := crash
PLANTED_SED_skip   ?= s/for ( i = 0; i < nr; i++ )/for ( i = 0; i + 1 < nr; i++ )/
PLANTED_SRC_accept := plan
PLANTED_SED_accept ?= s/if ( crash_started(dc) )/if ( 0 \&\& crash_started(dc) )/
PLANTED_SWEEP_SEED := 6
ACCEPT_CASE := --check --policy pcidc --window-ms 100 --republish-at 3 \
               --topology 'bridge(bridge(e1000e,e1000e)),e1000'

.SECONDARY: $(BUILD)/planted-skip/core.c $(BUILD)/planted-accept/core.c

$(BUILD)/planted-%/core.c: src/crash.c src/plan.c sim/sim.mk
	@mkdir -p $(@D)
	sed '$(PLANTED_SED_$*)' src/$(PLANTED_SRC_$*).c > $@
	@! cmp -s src/$(PLANTED_SRC_$*).c $@ || \
	    { echo "PLANTED_SED_$* changed nothing in src/$(PLANTED_SRC_$*).c"; \
	      exit 1; }

$(BUILD)/planted-%/crashsim: sim/prog/crashsim.c $(BUILD)/planted-%/core.c \
                             $(SIM_HDR) $(SIM_LIB) | $(HALT_BIOS)
	$(CC) $(SIM_CFLAGS) -c $(@D)/core.c -o $(@D)/core.o
	$(CC) $(SIM_CFLAGS) $< $(@D)/core.o $(SIM_LIB) $(SIM_LDLIBS) -o $@

check-sweep-planted: deps-sim $(SWEEP) $(CRASHSIM) \
                     $(BUILD)/planted-skip/crashsim \
                     $(BUILD)/planted-accept/crashsim
	@ci/sweep-planted.sh $(SWEEP) $(BUILD)/planted-skip/crashsim $(CRASHSIM) \
	    $(BUILD)/sweep-planted $(PLANTED_SWEEP_SEED)
	@if $(BUILD)/planted-accept/crashsim $(ACCEPT_CASE) \
	        > $(BUILD)/planted-accept/out 2>&1; then \
	    cat $(BUILD)/planted-accept/out; \
	    echo "check-sweep-planted: a core that takes a plan after the" \
	         "crash path started passed"; exit 1; fi
	@grep -q 'one_whole_plan (pcidc) FAILS' $(BUILD)/planted-accept/out || \
	    { cat $(BUILD)/planted-accept/out; exit 1; }
	@$(CRASHSIM) $(ACCEPT_CASE) > $(BUILD)/planted-accept/control 2>&1 || \
	    { cat $(BUILD)/planted-accept/control; exit 1; }
	@echo "check-sweep-planted: ok: a core that takes a plan after the" \
	     "crash path started is caught; the real core refuses it"

CHECK_STEPS += check-sweep-planted

bench-sweep: deps-sim $(SWEEP) $(CRASHSIM) $(HALT_BIOS)
	@$(SWEEP) -n $(SWEEP_CHECK_N) --seed $(SEED) -j $(SWEEP_JOBS) \
	    --crashsim $(CRASHSIM) --out $(BUILD)/sweep-bench | \
	    sed -n 's/^Sweep seed .*(\(.*cases per minute\))$$/bench-sweep: \1 (make sweep, $(SWEEP_JOBS) at a time)/p'

BENCH_STEPS += bench-sweep

# Every picture written so far (the demo's timeline, the sweep's plots) also
# as PNG, next to its SVG (rsvg-convert, ci/deps.sh report).
.PHONY: pictures
pictures:
	@ci/deps.sh report
	@for f in $(wildcard $(BUILD)/*.svg $(BUILD)/sweep/*.svg); do \
	    rsvg-convert "$$f" -o "$${f%.svg}.png" && echo "$${f%.svg}.png"; \
	done
