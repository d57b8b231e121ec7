# SPDX-License-Identifier: GPL-2.0-only
# Xen 4.17 with pcidc: included by the top-level Makefile.
#
#   make xen          ci/xen-build.sh: fetch Debian's xen source (pinned
#                     version, private apt state), unpack it under build/xen/,
#                     compose our commits (ci/xen/series), build the
#                     hypervisor with CONFIG_PCI_CRASH_DISCONNECT on and off
#   make xen-check    ci/xen-check.sh: checks on those two builds, and the
#                     port over a fake Xen (ci/xen/port-test)
#   make xen-patches  ci/xen-patches.sh: git format-patch series in
#                     build/xen-patches/
#   make check-xen    make xen (a no-op when up to date), then xen-check;
#                     part of make check
#
# Stable paths of the results, for other targets (e.g. booting Xen under
# QEMU).  xen.gz is the compressed image a boot loader takes, xen its
# gunzipped multiboot ELF (what QEMU's -kernel loads), xen-syms the
# hypervisor with symbols.  Each directory also holds the .config it was
# built with.
# ci/xen-build.sh always builds under build/xen (not $(BUILD)).
XEN_BUILD_DIR := build/xen
XEN_ON_DIR    := $(XEN_BUILD_DIR)/on
XEN_OFF_DIR   := $(XEN_BUILD_DIR)/off
XEN_ON_GZ     := $(XEN_ON_DIR)/xen.gz
XEN_ON_ELF    := $(XEN_ON_DIR)/xen
XEN_ON_SYMS   := $(XEN_ON_DIR)/xen-syms
XEN_OFF_GZ    := $(XEN_OFF_DIR)/xen.gz
XEN_OFF_ELF   := $(XEN_OFF_DIR)/xen
XEN_OFF_SYMS  := $(XEN_OFF_DIR)/xen-syms
XEN_PATCH_DIR := $(BUILD)/xen-patches

.PHONY: xen xen-check xen-patches check-xen

xen:
	@JOBS=$(JOBS) ci/xen-build.sh

xen-check:
	@ci/xen-check.sh

xen-patches:
	@ci/xen-patches.sh

check-xen: xen
	@ci/xen-check.sh

CHECK_STEPS += check-xen
