#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check every #include "..." of the project against the README's layout.

    ci/check-layers.py [--root DIR]     check the tree (make check-layers)
    ci/check-layers.py --self-test      plant an include that points up in a
                                        copy of the tree: the check must fail

The rules are the table under "## Layout" in README.md: column one names a
folder, the last column the folders its files may include ("—": none).  A
file belongs to the longest folder of the table that holds it; it may
always include files of its own folder.  A quoted include is looked up as
the compiler does: next to the including file, then in the build's include
roots (src/, sim/, tests/, qtest/, proofs/).  An include that names "../",
or that resolves to no file of the tree, is an error too.  Angle-bracket
includes are system headers and are not checked.
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE_ROOTS = ["src", "sim", "tests", "qtest", "proofs"]
SOURCE_DIRS = ["src", "sim", "tests", "qtest", "proofs"]
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
ROW_RE = re.compile(r"^\|\s*`([^`]+/)`\s*\|.*\|\s*([^|]*)\|\s*$")


def read_rules(root):
    """folder -> set of folders it may include, from README.md."""
    text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    section = text.split("## Layout", 1)
    if len(section) < 2:
        sys.exit("check-layers: README.md has no '## Layout' section")
    rules = {}
    for line in section[1].split("\n## ", 1)[0].splitlines():
        m = ROW_RE.match(line)
        if not m:
            continue
        folder, allowed = m.group(1), m.group(2)
        rules[folder] = set(re.findall(r"`([^`]+/)`", allowed))
    if not rules:
        sys.exit("check-layers: no layout rows under '## Layout' in README.md")
    return rules


def folder_of(path, rules):
    best = None
    for folder in rules:
        if path.startswith(folder) and (best is None or len(folder) > len(best)):
            best = folder
    return best


def resolve(root, src, name):
    cands = [os.path.join(os.path.dirname(src), name)]
    cands += [os.path.join(r, name) for r in INCLUDE_ROOTS]
    for c in cands:
        if os.path.isfile(os.path.join(root, c)):
            return os.path.normpath(c)
    return None


def sources(root):
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def check(root):
    rules = read_rules(root)
    errors = []
    nr_files = nr_includes = 0
    for src in sorted(sources(root)):
        nr_files += 1
        own = folder_of(src, rules)
        if own is None:
            errors.append(f"{src}: in no folder of the README's layout table")
            continue
        text = open(os.path.join(root, src), encoding="utf-8").read()
        for m in INCLUDE_RE.finditer(text):
            nr_includes += 1
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            where = f"{src}:{line}: #include \"{name}\""
            if ".." in name.split("/"):
                errors.append(f"{where}: names '../' (use the layer's path)")
                continue
            target = resolve(root, src, name)
            if target is None:
                errors.append(f"{where}: no such file in the tree")
                continue
            dest = folder_of(target, rules)
            if dest == own or dest in rules[own]:
                continue
            errors.append(f"{where}: {own} may not include {dest or target} "
                          f"(allowed: {', '.join(sorted(rules[own])) or 'none'})")
    return errors, nr_files, nr_includes


def self_test(root):
    """A copy of the tree with sim/pci/qpci.c including the engine must fail."""
    with tempfile.TemporaryDirectory() as tmp:
        for top in SOURCE_DIRS + ["README.md"]:
            src = os.path.join(root, top)
            dst = os.path.join(tmp, top)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                shutil.copy(src, dst)
        victim = os.path.join(tmp, "sim/pci/qpci.c")
        with open(victim, "a", encoding="utf-8") as f:
            f.write('\n#include "engine/crash.h"\n')
        errors, _, _ = check(tmp)
        planted = [e for e in errors
                   if e.startswith("sim/pci/qpci.c:") and "engine/crash.h" in e]
        if not planted:
            print("check-layers: FAIL: a planted upward include "
                  "(sim/pci/qpci.c -> sim/engine/) went unnoticed")
            return 1
        print("check-layers: ok: the planted upward include is caught:")
        print("  " + planted[0])
        return 0


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
    args = sys.argv[1:]
    if args[:1] == ["--root"] and len(args) >= 2:
        root, args = args[1], args[2:]
    if args == ["--self-test"]:
        return self_test(root)
    if args:
        sys.exit(__doc__)
    errors, nr_files, nr_includes = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"check-layers: FAIL: {len(errors)} include(s) break the "
              "README's layout table")
        return 1
    print(f"check-layers: ok: {nr_includes} includes in {nr_files} files "
          "follow the README's layout table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
