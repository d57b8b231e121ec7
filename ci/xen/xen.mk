# SPDX-License-Identifier: GPL-2.0-only
# Xen 4.17 and 4.20 with pcidc: included by the top-level Makefile.
#
#   make xen          ci/xen-build.sh: for each version in XEN_VERSIONS,
#                     fetch Debian's xen source (pinned version, private apt
#                     state; ci/xen/VERSION/source.sh), unpack it under
#                     build/xen/VERSION/, compose our commits
#                     (ci/xen/VERSION/series), build the hypervisor with
#                     CONFIG_PCI_CRASH_DISCONNECT on and off
#   make xen-check    ci/xen-check.sh: checks on those builds, and the port
#                     over a fake Xen (ci/xen/port-test); one summary line
#                     per version
#   make xen-patches  ci/xen-patches.sh: git format-patch series in
#                     build/xen-patches/VERSION/, checked with git am
#   make check-xen    make xen (a no-op when up to date), then xen-check;
#                     part of make check; a version whose source this
#                     machine cannot obtain is reported as not checked
#
# XEN_VERSIONS=4.17 (or 4.20) narrows all of them to one version.
#
# Stable paths of the results, for other targets (e.g. booting Xen under
# QEMU).  xen.gz is the compressed image a boot loader takes, xen its
# gunzipped multiboot ELF (what QEMU's -kernel loads), xen-syms the
# hypervisor with symbols.  Each directory also holds the .config it was
# built with.  ci/xen-build.sh always builds under build/xen (not $(BUILD)).
XEN_VERSIONS  ?= 4.17 4.20
XEN_BUILD_DIR := build/xen

# $(call xen_dir,VERSION,on|off)
xen_dir = $(XEN_BUILD_DIR)/$(1)/$(2)

XEN_417_ON_ELF  := $(call xen_dir,4.17,on)/xen
XEN_417_OFF_ELF := $(call xen_dir,4.17,off)/xen
XEN_420_ON_ELF  := $(call xen_dir,4.20,on)/xen
XEN_420_OFF_ELF := $(call xen_dir,4.20,off)/xen

# The names from before 4.20 was built: Xen 4.17's results.
XEN_ON_DIR    := $(call xen_dir,4.17,on)
XEN_OFF_DIR   := $(call xen_dir,4.17,off)
XEN_ON_GZ     := $(XEN_ON_DIR)/xen.gz
XEN_ON_ELF    := $(XEN_ON_DIR)/xen
XEN_ON_SYMS   := $(XEN_ON_DIR)/xen-syms
XEN_OFF_GZ    := $(XEN_OFF_DIR)/xen.gz
XEN_OFF_ELF   := $(XEN_OFF_DIR)/xen
XEN_OFF_SYMS  := $(XEN_OFF_DIR)/xen-syms
XEN_PATCH_DIR := $(BUILD)/xen-patches

.PHONY: xen xen-4.17 xen-4.20 xen-check xen-patches check-xen check-strip-acsl

xen:
	@JOBS=$(JOBS) ci/xen-build.sh $(XEN_VERSIONS)

# One version alone (what the 4.17 end-to-end runs need).
xen-4.17 xen-4.20:
	@JOBS=$(JOBS) ci/xen-build.sh $(@:xen-%=%)

xen-check:
	@ci/xen-check.sh $(XEN_VERSIONS)

xen-patches:
	@ci/xen-patches.sh $(XEN_VERSIONS)

# A version whose source cannot be obtained here is reported, not checked
# (ci/xen/build-or-note.sh; make check repeats it as its last line).
NOT_CHECKED_DIR := $(BUILD)/not-checked

check-xen:
	@built=$$(JOBS=$(JOBS) ci/xen/build-or-note.sh $(NOT_CHECKED_DIR) \
	          $(XEN_VERSIONS)) && \
	if [ -n "$$built" ]; then ci/xen-check.sh $$built; fi

# The ACSL stripper on its own example (no Xen needed).
check-strip-acsl:
	@python3 ci/strip-acsl.py --self-test

CHECK_STEPS += check-strip-acsl check-xen
