# SPDX-License-Identifier: GPL-2.0-only
# The QEMU scenario suites (cmocka), included by the top-level Makefile.
#
#   make check-qtest   every qtest/test_*.c against real QEMU, two suites at
#                      a time (qtest/run-suite.sh), on the system's QEMU 7.2
#                      and then on QEMU 10.0 (build/qemu10); part of make
#                      check
#   make qemu10        QEMU 10.0 from Debian's bookworm-backports, unpacked
#                      under build/qemu10 (ci/qemu10.sh; run by check-qtest)
#
# qtest/test_*.c link build/sim/libsim.a (sim.mk) and the shared helpers of
# qtest/crashsim_run.c (running crashsim, reading its report);
# build/qtest/fake_qemu is the stand-in QEMU of the fault scenarios.  Suites find build/crashsim and
# the stand-in through $PCIDC_CRASHSIM / $PCIDC_FAKE_QEMU (defaults under
# build/), and must leave no QEMU running.

# test_contracts.c needs the E-ACSL build of crashsim: proofs/proofs.mk
# builds and runs it (make check-sim-contracts).
QTEST_SRC  := $(filter-out qtest/test_contracts.c,$(wildcard qtest/test_*.c))
QTEST_HDR  := $(wildcard qtest/*.h)
QTEST_BINS := $(patsubst qtest/%.c,$(BUILD)/qtest/%,$(QTEST_SRC))
QTEST_FAKE := $(BUILD)/qtest/fake_qemu
QTEST_RUN_OBJ := $(BUILD)/qtest/crashsim_run.o
# The driver suites' shared test bed (drvbed.c) goes into every suite.
QTEST_BED_OBJ := $(BUILD)/qtest/drvbed.o

.PHONY: check-qtest qtest qemu10

# The second QEMU the suites run on: build/qemu10/qemu-system-x86_64.
qemu10:
	@ci/deps.sh qemu10

$(QTEST_FAKE): qtest/fake_qemu.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) $< -o $@

$(QTEST_RUN_OBJ): qtest/crashsim_run.c $(QTEST_HDR) $(SIM_HDR) | deps-test deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -Iqtest -c $< -o $@

$(QTEST_BED_OBJ): qtest/drvbed.c $(QTEST_HDR) $(SIM_HDR) | deps-test deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -Iqtest -c $< -o $@

$(BUILD)/qtest/test_%: qtest/test_%.c $(QTEST_HDR) $(QTEST_RUN_OBJ) \
                       $(QTEST_BED_OBJ) $(SIM_HDR) $(SIM_LIB) | deps-test deps-sim
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -Iqtest $< $(QTEST_RUN_OBJ) $(QTEST_BED_OBJ) \
	    $(SIM_LIB) -lcmocka $(SIM_LDLIBS) -o $@

qtest check-qtest: $(QTEST_BINS) $(QTEST_FAKE) $(CRASHSIM) $(HALT_BIOS) qemu10
	@qtest/run-suite.sh $(BUILD)

CHECK_STEPS += check-qtest
