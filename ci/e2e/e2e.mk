# SPDX-License-Identifier: GPL-2.0-only
# The real crash, end to end: included by the top-level Makefile
# after sim/sim.mk and ci/xen/xen.mk.
#
#   make e2e-images     ci/e2e/images.sh: dom0 and crash-kernel images from
#                       Debian packages (apt-get download), under build/e2e/img
#                       (Xen 4.17's userspace) and build/e2e/img-4.20 (Debian
#                       13's kexec-tools and Xen 4.20 libraries); rebuilt only
#                       when a package version or script changes
#   make xen-e2e        our Xen (make xen) under QEMU in three configurations,
#                       stock (pci-crash-disconnect=0), pcidc (=1) and the
#                       2011 patch (=seed), with Xen's default IOMMU handling
#                       and iommu=crash-disable, then pcidc and its fallback
#                       plan (=1,test-fallback) with the e1000 behind a
#                       bridge: eight runs, two at a time; the Markdown tables on
#                       stdout and in build/e2e/xen-e2e.md, JSON in
#                       build/e2e/xen-e2e.json, serial logs under build/e2e/runs/
#   make check-xen-e2e  on Xen 4.17: pcidc and seed, then stock and pcidc's
#                       fallback plan with the e1000 behind a PCI-PCI bridge;
#                       on Xen 4.20: pcidc and stock; all with the default
#                       IOMMU, asserting every outcome (part of make check;
#                       three rounds of two runs)
#   make xen-e2e-4.20   the pcidc/stock pair on Xen 4.20, with and without
#                       iommu=crash-disable, and pcidc with the e1000 behind
#                       a bridge (tables in build/e2e/xen-e2e-4.20.md)
#   make xen-e2e-window where the time from the crash request to the e1000's
#                       disconnect goes, pcidc's first pass on and off,
#                       from QEMU traces (ci/e2e/window.sh; WINDOW_ROUNDS=3,
#                       XEN_VERSIONS; table in build/e2e/window/window.md)
#   make check-xen-e2e-options  the harness's command line alone (--help,
#                       --value in hexadecimal, bad values refused): no Xen,
#                       no images, no QEMU (part of make check)
#
# E2E_XEN selects the hypervisor (a multiboot ELF); E2E_XEN_DEP what builds
# it.  To try Debian's prebuilt Xen, which has no disconnect (the "on" runs
# must then fail):
#   make xen-e2e E2E_XEN=build/e2e/img/xen-debian.elf E2E_XEN_DEP=e2e-images

E2E_DIR      := $(BUILD)/e2e
E2E_IMG      := $(E2E_DIR)/img
E2E_IMG_420  := $(E2E_DIR)/img-4.20
E2E_PROG     := $(BUILD)/sim/xen-e2e
E2E_XEN      ?= $(XEN_ON_ELF)
E2E_XEN_DEP  ?= xen-4.17
E2E_LABEL    ?= $(if $(filter $(E2E_XEN),$(XEN_ON_ELF)),our Xen 4.17 with pcidc ($(E2E_XEN)),$(E2E_XEN))
E2E_SWITCH   := --switch-on pci-crash-disconnect=1 --switch-off pci-crash-disconnect=0 \
                --switch-seed pci-crash-disconnect=seed \
                --switch-fallback pci-crash-disconnect=1,test-fallback
E2E_RUN       = $(E2E_PROG) --xen $(E2E_XEN) --images $(E2E_IMG) \
                --label "$(E2E_LABEL)" $(E2E_SWITCH) --jobs 2
E2E_RUN_420   = $(E2E_PROG) --xen $(XEN_420_ON_ELF) --images $(E2E_IMG_420) \
                --label "our Xen 4.20 with pcidc ($(XEN_420_ON_ELF))" \
                $(E2E_SWITCH) --jobs 2

.PHONY: deps-e2e e2e-images e2e-images-4.20 xen-e2e xen-e2e-4.20 xen-e2e-window \
        check-xen-e2e check-xen-e2e-4.17 check-xen-e2e-4.20 check-xen-e2e-options

# The harness: sim/xen-e2e/ (kept out of build/sim/libsim.a: only this
# program uses it).
E2E_SRC      := $(wildcard sim/xen-e2e/*.c)
E2E_HDR      := $(wildcard sim/xen-e2e/*.h)

$(E2E_PROG): $(E2E_SRC) $(E2E_HDR) $(SIM_HDR) $(SIM_LIB) | $(HALT_BIOS)
	$(CC) $(SIM_CFLAGS) $(E2E_SRC) $(SIM_LIB) $(SIM_LDLIBS) -o $@

deps-e2e:
	@ci/deps.sh e2e

e2e-images: | deps-e2e
	@ci/e2e/images.sh $(E2E_IMG) 4.17 >/dev/null

e2e-images-4.20: | deps-e2e
	@ci/e2e/images.sh $(E2E_IMG_420) 4.20 >/dev/null

xen-e2e: $(E2E_PROG) e2e-images $(E2E_XEN_DEP) | deps-e2e
	$(E2E_RUN) --out $(E2E_DIR)/runs --json $(E2E_DIR)/xen-e2e.json \
	    --table $(E2E_DIR)/xen-e2e.md --expect all on:bridge fallback:bridge

xen-e2e-4.20: $(E2E_PROG) e2e-images-4.20 | deps-e2e
	@$(MAKE) --no-print-directory xen XEN_VERSIONS=4.20
	$(E2E_RUN_420) --out $(E2E_DIR)/runs-4.20 --json $(E2E_DIR)/xen-e2e-4.20.json \
	    --table $(E2E_DIR)/xen-e2e-4.20.md --expect on off on:crash-disable \
	    off:crash-disable on:bridge fallback:bridge

# One invocation per Xen, runs two at a time: on 4.17 the pcidc/seed pair
# first, on 4.20 the pcidc/stock pair.
check-xen-e2e-4.17: $(E2E_PROG) e2e-images $(E2E_XEN_DEP) | deps-e2e
	$(E2E_RUN) --out $(E2E_DIR)/check-runs --json $(E2E_DIR)/check-xen-e2e.json \
	    --table $(E2E_DIR)/check-xen-e2e.md \
	    --expect on seed off fallback:bridge

check-xen-e2e-4.20: $(E2E_PROG) | deps-e2e
	@built=$$(JOBS=$(JOBS) ci/xen/build-or-note.sh $(NOT_CHECKED_DIR) 4.20) \
	    || exit 1; \
	if [ -z "$$built" ]; then \
	    echo "check-xen-e2e-4.20: NOT RUN: no Xen 4.20 build" | \
	        tee -a $(NOT_CHECKED_DIR)/xen-4.20; \
	else \
	    $(MAKE) --no-print-directory e2e-images-4.20 && \
	    $(E2E_RUN_420) --out $(E2E_DIR)/check-runs-4.20 \
	        --json $(E2E_DIR)/check-xen-e2e-4.20.json \
	        --table $(E2E_DIR)/check-xen-e2e-4.20.md --expect on off; \
	fi

check-xen-e2e: check-xen-e2e-4.17 check-xen-e2e-4.20

WINDOW_ROUNDS ?= 3

xen-e2e-window: $(E2E_PROG) e2e-images e2e-images-4.20 | deps-e2e
	@$(MAKE) --no-print-directory xen
	ci/e2e/window.sh $(E2E_PROG) $(E2E_DIR)/window $(WINDOW_ROUNDS) $(XEN_VERSIONS)

check-xen-e2e-options: $(E2E_PROG)
	@ci/e2e/check-options.sh $(E2E_PROG)

CHECK_STEPS += check-xen-e2e-options check-xen-e2e
