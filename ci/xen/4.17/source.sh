# SPDX-License-Identifier: GPL-2.0-only
# Xen 4.17: Debian 12's source package, from the machine's own suite.
XEN_VERSION=4.17.5+72-g01140da4e8-1
XEN_DEB_SUITE=
