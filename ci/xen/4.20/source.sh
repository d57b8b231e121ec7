# SPDX-License-Identifier: GPL-2.0-only
# Xen 4.20: Debian 13's source package, from the same archive as the
# machine's Debian 12 (suite trixie, component main).  Its Sources index
# lists this version; should the archive not serve the files, upstream's
# release tag below is used instead, from a clone named by XEN_UPSTREAM_GIT
# (ci/xen/common.sh: fetch_upstream).
XEN_VERSION=4.20.4+63-g7abfd2bce2-0+deb13u1
XEN_DEB_SUITE=trixie
XEN_FALLBACK_TAG=RELEASE-4.20.4
XEN_FALLBACK_COMMIT=9611e26eff425be128d4b9c7b48f2bc6b5d3498e
