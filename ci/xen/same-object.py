#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The core without its ACSL compiles to the same code as the proved core.

  same-object.py SRC_DIR STRIPPED_DIR [XEN_BUILD_DIR]

SRC_DIR holds the core as proved (src/), STRIPPED_DIR the copies sent to
Xen (ci/strip-acsl.py's output, same file names).  Each C file of the core
is compiled from both directories with the same flags and the objects'
sections are compared byte for byte, relocations included; only debug
information, notes and the compiler's .comment may differ (line numbers
move when comments go).  Flags: the freestanding build of the top-level
Makefile, and, given XEN_BUILD_DIR (a finished Xen build), the exact
command Xen's build recorded for that file (its .o.cmd), run in that
build directory.  A control: the same comparison between two different
core files must find a difference.

Prints one line per comparison and 'RESULT passed failed' last.
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile

HOST_FLAGS = ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror",
              "-ffreestanding", "-fno-builtin", "-nostdlib", "-O2", "-g"]
IGNORED = re.compile(r"^(\.debug|\.rela\.debug|\.comment|\.note|\.group$|"
                     r"\.symtab|\.strtab|\.shstrtab)")


def sections(obj):
    out = subprocess.run(["readelf", "-SW", obj], capture_output=True,
                         text=True, check=True).stdout
    names = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)", line)
        if m and m.group(1) != "NULL" and not IGNORED.match(m.group(1)):
            names.append(m.group(1))
    return names


def section_bytes(obj, name):
    with tempfile.NamedTemporaryFile() as tmp:
        subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name,
                        obj, tmp.name], check=True, capture_output=True)
        return open(tmp.name, "rb").read()


def relocations(obj, name):
    out = subprocess.run(["objdump", "-r", "-j", name, obj],
                         capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines()[2:] if ln.strip()]


def code_of(obj):
    """Everything of obj that ends up in the hypervisor: each section's
    bytes and relocations, by name."""
    return {name: (section_bytes(obj, name), relocations(obj, name))
            for name in sections(obj) if not name.startswith(".rela")}


def differences(a, b):
    ca, cb = code_of(a), code_of(b)
    diff = sorted(set(ca) ^ set(cb))
    diff += [n for n in sorted(set(ca) & set(cb)) if ca[n] != cb[n]]
    return diff, sorted(ca)


def xen_command(build, cfile):
    """Xen's recorded compile command of drivers/passthrough/pcidc/X.o."""
    base = os.path.splitext(os.path.basename(cfile))[0]
    cmd_file = os.path.join(build, "drivers/passthrough/pcidc",
                            "." + base + ".o.cmd")
    if not os.path.exists(cmd_file):
        return None
    with open(cmd_file) as f:
        line = f.readline()
    words = shlex.split(line.split(":=", 1)[1])
    out, skip = [], 0
    for w in words:
        if skip:
            skip -= 1
            continue
        if w in ("-MF", "-MQ", "-o"):
            skip = 1
            continue
        if w in ("-MMD", "-MP", "-c") or w.endswith(".c"):
            continue
        out.append(w)
    return out


def compile_one(argv, src, obj, cwd=None):
    r = subprocess.run(argv + ["-c", src, "-o", obj], cwd=cwd,
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(argv[:1] + [src]),
                                       r.stderr.strip()))


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        print("  %s: %s" % ("ok  " if ok else "FAIL", what))
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    src_dir, stripped_dir = map(os.path.abspath, argv[1:3])
    build = os.path.abspath(argv[3]) if len(argv) == 4 else None
    rep = Report()
    cfiles = sorted(f for f in os.listdir(src_dir) if f.endswith(".c"))
    work = tempfile.mkdtemp(prefix="same-object.")
    objs = {}
    for label, flags_of in (("freestanding", lambda c: HOST_FLAGS),
                            ("xen", lambda c: xen_command(build, c)
                             if build else None)):
        for cfile in cfiles:
            flags = flags_of(cfile)
            if flags is None:
                if label == "xen":
                    rep.check(build is None,
                              "%s: Xen's recorded command for %s" %
                              (label, cfile))
                continue
            pair = []
            for tag, d in (("proved", src_dir), ("sent", stripped_dir)):
                obj = os.path.join(work, "%s-%s-%s.o" % (label, tag, cfile))
                compile_one(flags, os.path.join(d, cfile), obj, cwd=build)
                pair.append(obj)
            objs[(label, cfile)] = pair
            diff, names = differences(*pair)
            rep.check(not diff,
                      "%s flags: %s without ACSL compiles to the same code "
                      "(%d sections compared: %s)%s" %
                      (label, cfile, len(names), " ".join(names),
                       "; differ: " + " ".join(diff) if diff else ""))
    # Control: the comparison tells two different files apart.
    if len(cfiles) >= 2:
        a = objs[("freestanding", cfiles[0])][0]
        b = objs[("freestanding", cfiles[1])][1]
        diff, _ = differences(a, b)
        rep.check(bool(diff), "control: %s and %s compare as different" %
                  (cfiles[0], cfiles[1]))
    print("RESULT %d %d" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
