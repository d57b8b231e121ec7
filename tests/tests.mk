# SPDX-License-Identifier: GPL-2.0-only
# Checks of plan building beyond the unit tests: included by the top-level
# Makefile.
#
#   make check-ref-plan  the reference model (tests/ref_plan.c) against the
#                        core on hand-made and seeded random machines, plain
#                        and under ASan/UBSan (make check)
#   make check-threads   plan building and the crash path on two threads
#                        under ThreadSanitizer (tests/test_threads.c, make
#                        check); then a control: the same test on plan.c
#                        with the crashed check compiled out must fail
#   make check-fuzz      three libFuzzer targets, time-boxed (make check):
#                        plan building against the model, the topology SPEC
#                        parser, the qtest reply parser (ASan/UBSan); then a
#                        planted difference that the plan fuzzer must find
#   make fuzz            the same fuzzers for FUZZ_SECONDS each (default 600)
#   make mutants         mutation testing of src/*.c against the fast unit
#                        tests (tests/mutants.py; about 6 min on 2 cores, not
#                        in make check); ends "mutants: K killed, E
#                        equivalent, S survived" and fails when S > 0
#
# Fuzzers start from the text corpus in tests/fuzz/corpus/NAME; what they
# add stays under build/fuzz/.  A failing input is saved as
# build/fuzz/NAME-crash-* and printed: for fuzz_plan it is a readable case.

FUZZ_CC       := clang
FUZZ_FLAGS    := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=all -Isrc -Isim -Itests
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_SECONDS  ?= 600
# make check: the plan fuzzer beside the two parser fuzzers, one after the
# other (two cores).
FUZZ_CHECK_PLAN_S   := 40
FUZZ_CHECK_PARSER_S := 20
FUZZ_CONTROL_S      := 30

REF_SRC       := tests/ref_plan.c tests/fuzz/plan_input.c tests/fuzz/null_port.c
REF_HDR       := tests/ref_plan.h tests/fuzz/plan_input.h

FUZZ_SRC_plan      := tests/fuzz/fuzz_plan.c $(REF_SRC) $(CORE_SRC)
FUZZ_SRC_spec      := tests/fuzz/fuzz_spec.c sim/topology/spec.c
FUZZ_SRC_qts_reply := tests/fuzz/fuzz_qts_reply.c sim/qemu/qts_parse.c
FUZZ_DICT_plan     := -dict=tests/fuzz/plan.dict
FUZZERS := plan spec qts_reply

.PHONY: check-ref-plan check-fuzz fuzz deps-fuzz mutants

deps-fuzz:
	@ci/deps.sh fuzz

# --- reference model -----------------------------------------------------------

$(BUILD)/unit/test_ref_plan: tests/test_ref_plan.c $(REF_SRC) $(REF_HDR) \
                             $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -Itests $< $(REF_SRC) $(CORE_SRC) -lcmocka -o $@

$(BUILD)/unit-asan/test_ref_plan: tests/test_ref_plan.c $(REF_SRC) $(REF_HDR) \
                                  $(CORE_SRC) $(CORE_HDR) | deps-test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -Isrc -Itests $< $(REF_SRC) $(CORE_SRC) \
	    -lcmocka -o $@

check-ref-plan: $(BUILD)/unit/test_ref_plan $(BUILD)/unit-asan/test_ref_plan
	@$(BUILD)/unit/test_ref_plan
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/unit-asan/test_ref_plan

CHECK_STEPS += check-ref-plan

# --- two threads under ThreadSanitizer -----------------------------------------
#
# The test bounds itself (TIME_LIMIT_S, 60 s); 'timeout' bounds a hang.  The
# control is plan.c with 'if ( crash_started(dc) )' made false by sed into
# build/ (the core has no test switch): building then rewrites the plan the
# crash path walks, which TSan reports as a data race (or, if it did not,
# the test's own checks would fail or its builder never stop).

THREADS_CC     := clang
THREADS_FLAGS  := -std=gnu11 -Wall -Wextra -Werror -O1 -g -fsanitize=thread \
                  -Isrc
THREADS_DIR    := $(BUILD)/threads
THREADS_BOUND  := 120
THREADS_RUN     = TSAN_OPTIONS=halt_on_error=1 timeout $(THREADS_BOUND)

$(THREADS_DIR)/test_threads: tests/test_threads.c $(CORE_SRC) $(CORE_HDR) \
                              | deps-fuzz
	@mkdir -p $(@D)
	$(THREADS_CC) $(THREADS_FLAGS) $< $(CORE_SRC) -lpthread -o $@

$(THREADS_DIR)/plan_no_crash_check.c: src/plan.c
	@mkdir -p $(@D)
	sed 's/if ( crash_started(dc) )/if ( 0 \&\& crash_started(dc) )/' $< > $@
	@grep -q '0 && crash_started(dc)' $@ || \
	    { echo "check-threads: the control's sed no longer matches src/plan.c"; \
	      rm -f $@; exit 1; }

$(THREADS_DIR)/test_threads_control: tests/test_threads.c \
        $(THREADS_DIR)/plan_no_crash_check.c src/crash.c $(CORE_HDR) | deps-fuzz
	$(THREADS_CC) $(THREADS_FLAGS) $< src/crash.c \
	    $(THREADS_DIR)/plan_no_crash_check.c -lpthread -o $@

.PHONY: check-threads
check-threads: $(THREADS_DIR)/test_threads $(THREADS_DIR)/test_threads_control
	@$(THREADS_RUN) $(THREADS_DIR)/test_threads
	@if $(THREADS_RUN) $(THREADS_DIR)/test_threads_control \
	        > $(THREADS_DIR)/control.log 2>&1; then \
	    echo "check-threads: FAIL: the control (no crashed check) passed"; \
	    exit 1; \
	else \
	    echo "check-threads: control (no crashed check) fails, as it must:" \
	         "$$(grep -m1 -E 'WARNING: ThreadSanitizer|round [0-9]+:' \
	             $(THREADS_DIR)/control.log || echo 'exit status only')"; \
	fi

CHECK_STEPS += check-threads

# --- fuzzers ---------------------------------------------------------------------

$(FUZZ_DIR)/fuzz_%: $(REF_HDR) $(CORE_HDR) $(SIM_HDR) tests/fuzz/fuzz_%.c \
                    $(REF_SRC) $(CORE_SRC) | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_SRC_$*) -o $@

# The control: fuzz_plan on a core whose bridges-first order forgets depth
# (bridges kept in input order), written by sed; the sed must have hit.
$(FUZZ_DIR)/control/plan.c: src/plan.c
	@mkdir -p $(@D)
	@sed 's/dc->key\[i\] = dc->depth\[i\] \* 2 +/dc->key[i] = 0 * dc->depth[i] +/' \
	    $< >$@
	@! cmp -s $< $@ || { echo "fuzz: the planted change no longer applies to $<"; \
	                    rm -f $@; exit 1; }

$(FUZZ_DIR)/fuzz_plan_control: tests/fuzz/fuzz_plan.c $(REF_SRC) $(REF_HDR) \
                               $(FUZZ_DIR)/control/plan.c src/crash.c \
                               $(CORE_HDR) | deps-fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc/ tests/fuzz/fuzz_plan.c $(REF_SRC) \
	    src/crash.c $(FUZZ_DIR)/control/plan.c -o $@

FUZZ_RUN = tests/fuzz/run.sh

check-fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZERS)) \
            $(FUZZ_DIR)/fuzz_plan_control
	@{ $(FUZZ_RUN) $(FUZZ_DIR) plan $(FUZZ_CHECK_PLAN_S) $(FUZZ_DICT_plan) & \
	   { $(FUZZ_RUN) $(FUZZ_DIR) spec $(FUZZ_CHECK_PARSER_S) && \
	     $(FUZZ_RUN) $(FUZZ_DIR) qts_reply $(FUZZ_CHECK_PARSER_S); }; \
	   parsers=$$?; wait $$!; plan=$$?; \
	   [ $$plan -eq 0 ] && [ $$parsers -eq 0 ]; }
	@$(FUZZ_RUN) --must-fail $(FUZZ_DIR) plan_control $(FUZZ_CONTROL_S) \
	    $(FUZZ_DICT_plan)

fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZERS))
	@$(FUZZ_RUN) $(FUZZ_DIR) plan $(FUZZ_SECONDS) $(FUZZ_DICT_plan)
	@$(FUZZ_RUN) $(FUZZ_DIR) spec $(FUZZ_SECONDS)
	@$(FUZZ_RUN) $(FUZZ_DIR) qts_reply $(FUZZ_SECONDS)

CHECK_STEPS += check-fuzz

# --- mutation testing ----------------------------------------------------------

mutants: | deps-test
	@python3 tests/mutants.py --jobs $(JOBS) --build $(BUILD)/mutants
