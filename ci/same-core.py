#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compare the core's code at a git revision with the work tree's.

  ci/same-core.py REV

For a change to src/ that must not change behaviour (moving code between
files, editing comments or ACSL): the core's C files (src/*.c) of REV and
of the work tree are compared function by function,

  - after preprocessing (gcc -E -P: comments, hence every ACSL annotation,
    and line markers gone; whitespace runs made one space), and
  - as machine code (gcc -O2 with the freestanding build's flags, objdump
    -d -r; addresses made relative to the function, calls and relocations
    kept by name).

Every function of either side must be in both and equal (an added or
dropped 'inline' is reported, not counted); top-level declarations (types,
prototypes) are compared as sets.  Prints one line per
function and exits 1 on any difference.
"""
import difflib
import os
import re
import subprocess
import sys
import tempfile

CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-ffreestanding",
          "-fno-builtin", "-nostdlib", "-O2"]


def export(rev, dest):
    """REV's src/ files (core only, no port) into dest; None: work tree."""
    if rev is None:
        return "src"
    names = subprocess.run(["git", "ls-tree", "--name-only", rev, "src/"],
                           check=True, capture_output=True,
                           text=True).stdout.split()
    for name in names:
        if not name.endswith((".c", ".h")):
            continue
        blob = subprocess.run(["git", "show", f"{rev}:{name}"], check=True,
                              capture_output=True).stdout
        with open(os.path.join(dest, os.path.basename(name)), "wb") as f:
            f.write(blob)
    return dest


def core_files(srcdir):
    return sorted(os.path.join(srcdir, f) for f in os.listdir(srcdir)
                  if f.endswith(".c"))


def top_level_items(text):
    """Split preprocessed C into top-level items (declarations and
    function definitions), whitespace normalised."""
    items, cur, depth = [], [], 0
    for tok in re.findall(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|\w+|\S',
                          text):
        cur.append(tok)
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0 and ")" in cur and "=" not in cur[:cur.index("{")]:
                items.append(cur)
                cur = []
        elif tok == ";" and depth == 0:
            items.append(cur)
            cur = []
    return [" ".join(i) for i in items]


def function_name(item):
    head = item.split("{", 1)[0]
    if not item.endswith("}") or "(" not in head:
        return None
    m = re.search(r"(\w+)\s*\(\s*(?:\w|\))", head)
    return m.group(1) if m else None


def preprocessed(srcdir):
    """name -> normalised text of each function; set of other items."""
    funcs, decls = {}, set()
    for path in core_files(srcdir):
        out = subprocess.run(["gcc", "-E", "-P", "-I", srcdir, path],
                             check=True, capture_output=True,
                             text=True).stdout
        for item in top_level_items(out):
            name = function_name(item)
            if name is None:
                decls.add(item)
            elif name in funcs and funcs[name] != item:
                funcs[name] = "<defined differently in two files>"
            else:
                funcs[name] = item
    return funcs, decls


INSN = re.compile(r"^\s*[0-9a-f]+:\s*(.*)$")
FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
PADDING = re.compile(r"^(?:(?:data16|cs|ds) )*(?:nop\w*|xchg %ax,%ax)\b")


def machine_code(srcdir, objdir):
    """name -> normalised disassembly of each function."""
    funcs = {}
    for path in core_files(srcdir):
        obj = os.path.join(objdir, os.path.basename(path) + ".o")
        subprocess.run(["gcc"] + CFLAGS + ["-I", srcdir, "-c", path,
                                           "-o", obj], check=True)
        dis = subprocess.run(["objdump", "-d", "-r", "--no-show-raw-insn",
                              obj], check=True, capture_output=True,
                             text=True).stdout
        name = None
        for line in dis.splitlines():
            m = FUNC.match(line)
            if m:
                name = m.group(1)
                funcs[name] = []
                continue
            m = INSN.match(line)
            if name and m:
                # "call 1a0 <radix_pass>" -> "call <radix_pass>"
                insn = re.sub(r"\b[0-9a-f]+ <", "<", m.group(1))
                funcs[name].append(" ".join(insn.split()))
    # Alignment padding after the last instruction depends on what follows
    # the function in its file, not on the function.
    for insns in funcs.values():
        while insns and PADDING.match(insns[-1]):
            insns.pop()
    return {k: "\n".join(v) for k, v in funcs.items()}


def no_inline(text):
    return re.sub(r"\binline ", "", text)


def compare(what, old, new):
    bad = 0
    for name in sorted(set(old) | set(new)):
        if name not in new:
            print(f"  {what}: {name}: only in the old core")
            bad += 1
        elif name not in old:
            print(f"  {what}: {name}: only in the new core")
            bad += 1
        elif old[name] == new[name]:
            print(f"  {what}: {name}: same")
        elif no_inline(old[name]) == no_inline(new[name]):
            # A hint to the compiler; the machine code shows its effect.
            print(f"  {what}: {name}: same but for 'inline'")
        else:
            print(f"  {what}: {name}: DIFFERS")
            for d in difflib.unified_diff(old[name].split(), new[name].split(),
                                          lineterm="", n=2):
                if not d.startswith(("---", "+++")):
                    print(f"      {d}")
            bad += 1
    return bad


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    with tempfile.TemporaryDirectory() as tmp:
        olddir = os.path.join(tmp, "old")
        os.makedirs(olddir)
        export(argv[1], olddir)
        old_f, old_d = preprocessed(olddir)
        new_f, new_d = preprocessed("src")
        print(f"same-core: {argv[1]} ({', '.join(core_files(olddir))}) "
              f"against the work tree ({', '.join(core_files('src'))})")
        bad = compare("gcc -E", old_f, new_f)
        for d in sorted(old_d ^ new_d):
            side = "old" if d in old_d else "new"
            print(f"  gcc -E: declaration only in the {side} core: {d[:70]}")
            bad += 1
        os.makedirs(os.path.join(tmp, "oldobj"))
        os.makedirs(os.path.join(tmp, "newobj"))
        bad += compare("objdump -O2",
                       machine_code(olddir, os.path.join(tmp, "oldobj")),
                       machine_code("src", os.path.join(tmp, "newobj")))
    if bad:
        print(f"same-core: FAIL: {bad} difference(s)")
        return 1
    print("same-core: ok: every function the same, before and after")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
