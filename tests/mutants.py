#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Mutation testing of the core (src/*.c) against the fast unit tests.

    tests/mutants.py [--jobs N] [--build DIR] [--list] [FILTER]

Each mutant changes one operator, constant or statement in the C code of
src/*.c (ACSL and other comments are left alone), is compiled with the unit
tests (tests/test_core.c on the fake port, tests/test_ref_plan.c against the
reference model) and run.  A mutant is killed when a test fails, crashes or
runs out of time; it is stillborn when it does not compile (not counted).
Surviving mutants must be killed by a new test or listed, with the reason
they change nothing observable, in tests/mutants-equivalent.txt.

The last line is "mutants: K killed, E equivalent, S survived"; the exit
status is 1 when S > 0 or an entry of the equivalent list matches no mutant.
--list prints the mutants without running them; FILTER keeps the mutants
whose id contains it.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
TARGETS = ["src/crash.c", "src/plan.c"]
EQUIVALENT = "tests/mutants-equivalent.txt"
# UBSan (bounds and shifts included) turns out-of-range indices into the
# struct's own arrays and over-wide shifts into failures.
CFLAGS = ["-std=c11", "-O0", "-w", "-fsanitize=undefined,bounds",
          "-fno-sanitize-recover=all"]
TEST_TIMEOUT = 20

TESTS = {
    "test_core": ["tests/test_core.c", "tests/fake_port.c"],
    "test_ref_plan": ["tests/test_ref_plan.c", "tests/ref_plan.c",
                      "tests/fuzz/plan_input.c", "tests/fuzz/null_port.c"],
}

# (pattern, replacements): pattern matches one operator token in code.
OPERATORS = [
    (r"<=", ["<"]),
    (r">=", [">"]),
    (r"(?<![<-])<(?![<=])", ["<=", "!="]),
    (r"(?<![>-])>(?![>=])", [">="]),
    (r"==", ["!="]),
    (r"!=", ["=="]),
    (r"&&", ["||"]),
    (r"\|\|", ["&&"]),
    (r"(?<=\s)&(?=\s)", ["|"]),
    (r"(?<=\s)\|(?=\s)", ["&"]),
    (r"\+\+", ["--"]),
    (r"--", ["++"]),
    (r"(?<=\s)\+(?=\s)", ["-"]),
    (r"(?<=\s)-(?=\s)", ["+"]),
    (r"<<", [">>"]),
    (r">>", ["<<"]),
    (r"!(?!=)", [""]),
    (r"~", [""]),
    (r"\+=", ["-="]),
]
CONSTANT = re.compile(r"(?<![\w.])(0x[0-9a-fA-F]+|\d+)[uUlL]*(?![\w.])")


def code_mask(text):
    """True for each character outside comments, strings and directives."""
    mask = [True] * len(text)
    i = 0
    while i < len(text):
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = len(text) if j < 0 else j + 2
        elif text.startswith("//", i) or (text[i] == "#" and
                                          (i == 0 or text[i - 1] == "\n")):
            j = text.find("\n", i)
            j = len(text) if j < 0 else j
        elif text[i] in "\"'":
            j = i + 1
            while j < len(text) and text[j] != text[i]:
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, len(text))):
            mask[k] = False
        i = j
    return mask


def function_spans(text, mask):
    """(start, end) offsets of function bodies: top-level { ... } blocks."""
    spans, depth, start = [], 0, None
    for i, c in enumerate(text):
        if not mask[i]:
            continue
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                spans.append((start, i))
    return spans


def in_body(pos, spans):
    return any(a < pos < b for a, b in spans)


class Mutant:
    def __init__(self, path, text, start, end, new, kind):
        self.path, self.start, self.end, self.new, self.kind = \
            path, start, end, new, kind
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        self.lineno = text.count("\n", 0, start) + 1
        self.line = text[line_start:line_end].strip()
        old = text[start:end]
        same = [m.start() for m in re.finditer(re.escape(old),
                                               text[line_start:line_end])]
        self.nth = same.index(start - line_start) if start - line_start in same else 0
        self.old = old
        self.id = (f"{os.path.basename(path)}|{self.line}|{old}#{self.nth}"
                   f"->{new.strip() or '(removed)'}")

    def apply(self, text):
        return text[:self.start] + self.new + text[self.end:]


def statement_mutants(path, text, mask, spans):
    """Delete one expression statement (not a declaration, return or brace)."""
    out = []
    for m in re.finditer(r"(?m)^[ \t]+([^\n;{}]*;)[ \t]*$", text):
        s, stmt = m.start(1), m.group(1)
        if not mask[s] or not in_body(s, spans):
            continue
        if re.match(r"(return|break|continue|const|static|unsigned|int|"
                    r"uint\d+_t|struct|bool)\b", stmt):
            continue
        if "(" not in stmt and "=" not in stmt and "++" not in stmt:
            continue
        out.append(Mutant(path, text, s, m.end(1), ";", "statement"))
    return out


def mutants_of(path):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    mask = code_mask(text)
    spans = function_spans(text, mask)
    found = []
    for pattern, repls in OPERATORS:
        for m in re.finditer(pattern, text):
            if mask[m.start()] and in_body(m.start(), spans):
                for r in repls:
                    found.append(Mutant(path, text, m.start(), m.end(), r,
                                        "operator"))
    for m in CONSTANT.finditer(text):
        if not (mask[m.start()] and in_body(m.start(), spans)):
            continue
        value = int(m.group(1), 0)
        for new in ([value + 1, 0] if value else [1]):
            found.append(Mutant(path, text, m.start(), m.end(), str(new),
                                "constant"))
    found += statement_mutants(path, text, mask, spans)
    # Overlapping patterns (e.g. '<' inside '<<') yield the same edit twice.
    unique = {}
    for mu in found:
        unique.setdefault((mu.start, mu.end, mu.new), mu)
    return sorted(unique.values(), key=lambda mu: mu.start), text


def compile_tests(build, tag, core):
    """Build every test binary against the core files 'core'; None if not."""
    binaries = []
    for name, srcs in TESTS.items():
        out = os.path.join(build, f"{name}-{tag}")
        cmd = ["gcc", *CFLAGS, f"-I{build}/{tag}", "-Isrc", "-Itests",
               *srcs, *core, "-lcmocka", "-o", out]
        if subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode:
            return None
        binaries.append(out)
    return binaries


def run_mutant(args):
    build, index, mu, text = args
    tag = f"m{index}"
    work = os.path.join(build, tag)
    os.makedirs(work, exist_ok=True)
    core = []
    for t in TARGETS:
        dst = os.path.join(work, os.path.basename(t))
        if t == mu.path:
            with open(dst, "w", encoding="utf-8") as f:
                f.write(mu.apply(text))
        else:
            shutil.copy(os.path.join(ROOT, t), dst)
        core.append(dst)
    binaries = compile_tests(build, tag, core)
    verdict = "stillborn"
    if binaries:
        verdict = "survived"
        for b in binaries:
            try:
                r = subprocess.run([b], cwd=ROOT, capture_output=True,
                                   timeout=TEST_TIMEOUT)
                failed = r.returncode != 0
            except subprocess.TimeoutExpired:
                failed = True
            if failed:
                verdict = "killed"
                break
    shutil.rmtree(work, ignore_errors=True)
    for b in binaries or []:
        os.remove(b)
    return verdict


def read_equivalent():
    path = os.path.join(ROOT, EQUIVALENT)
    entries = {}
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        ident, _, reason = line.partition("\t")
        if not reason.strip():
            sys.exit(f"mutants: {EQUIVALENT}: no reason for '{ident}'")
        entries[ident] = reason.strip()
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "mutants"))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("filter", nargs="?", default="")
    opts = ap.parse_args()

    todo = []
    for t in TARGETS:
        muts, text = mutants_of(t)
        todo += [(mu, text) for mu in muts if opts.filter in mu.id]
    if opts.list:
        for mu, _ in todo:
            print(f"{mu.path}:{mu.lineno}: {mu.id}")
        print(f"mutants: {len(todo)} listed")
        return 0

    equivalent = read_equivalent()
    os.makedirs(opts.build, exist_ok=True)
    counts = {"killed": 0, "equivalent": 0, "survived": 0, "stillborn": 0}
    used = set()
    jobs = [(opts.build, i, mu, text) for i, (mu, text) in enumerate(todo)]
    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as pool:
        for (mu, _), verdict in zip(todo, pool.map(run_mutant, jobs)):
            if verdict == "survived" and mu.id in equivalent:
                verdict = "equivalent"
                used.add(mu.id)
            counts[verdict] += 1
            if verdict == "survived":
                print(f"SURVIVED {mu.path}:{mu.lineno}: {mu.id}")
    stale = [] if opts.filter else sorted(set(equivalent) - used)
    for ident in stale:
        print(f"STALE {EQUIVALENT}: no surviving mutant is '{ident}'")
    print(f"mutants: {counts['stillborn']} stillborn (did not compile), "
          f"not counted")
    print(f"mutants: {counts['killed']} killed, {counts['equivalent']} "
          f"equivalent, {counts['survived']} survived")
    return 1 if counts["survived"] or stale else 0


if __name__ == "__main__":
    sys.exit(main())
