#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The core's files as they are sent to Xen: without their ACSL.

  strip-acsl.py FILE                print FILE without its annotations
  strip-acsl.py --report FILE...    say what would go, file by file
  strip-acsl.py --self-test

The proved source (src/) carries its Frama-C annotations in comments
that start with '/*@' or '//@' (contracts, loop invariants, ghost code,
assertions).  The C compiler ignores them; a Xen reviewer should not have
to read them.  This removes:

  - every annotation; a line left empty by that goes with it;
  - in the remaining comments, every sentence about the proofs (it names
    ACSL, E-ACSL, Frama-C, a contract, an invariant, a ghost, or what is
    or is not proved), and the paragraph around it is wrapped again; a
    comment left with no sentence goes whole.

Blank lines are then collapsed: no two in a row, none right after a '{'
or before a '}'.  What is left is the same C code token for token
(ci/xen/same-object.py checks that the compiled code is identical); the
result must not contain '/*@' or '//@' (checked here).
"""

import re
import sys
import textwrap

PROOF_WORDS = re.compile(
    r"\b(E-ACSL|ACSL|Frama-C|WP|contracts?|invariants?|postconditions?|"
    r"preconditions?|ghost|proved|proofs?|g_log0)\b|\\at\(|\\old\b",
    re.IGNORECASE)


def find_annotations(text):
    """(start, end) spans of ACSL annotations, skipping strings, chars and
    plain comments.  '/*@ ... */' may hold ghost code with nested '/@ ... @/'
    annotations, which do not end it."""
    spans = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated comment at offset %d" % i)
            if text.startswith("/*@", i):
                spans.append((i, end + 2))
            i = end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            if text.startswith("//@", i):
                spans.append((i, end))
            i = end
        else:
            i += 1
    return spans


def remove_spans(text, spans):
    """Cut the spans; a line holding nothing else afterwards goes whole."""
    out = []
    pos = 0
    for start, end in spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        before = text[line_start:start]
        after = text[end:line_end]
        if before.strip() == "" and after.strip() == "" and line_start >= pos:
            out.append(text[pos:line_start])
            pos = min(line_end + 1, len(text))
        else:
            out.append(text[pos:start].rstrip(" ") if after.strip() == ""
                       else text[pos:start])
            pos = end
    out.append(text[pos:])
    return "".join(out)


def split_sentences(paragraph):
    """Sentences of a comment paragraph: they end with '.  ' (two spaces,
    the project's style) or with the paragraph."""
    return [s for s in re.split(r"(?<=[.!?])\s{2,}", paragraph) if s]


def join_lines(par):
    """A paragraph's lines as one line; a sentence ending a line keeps its
    two spaces."""
    out = ""
    for ln in par:
        ln = ln.strip()
        if out:
            out += "  " if re.search(r"[.!?]$", out) else " "
        out += ln
    return out


def clean_block(lines, removed):
    """A ' * ' block comment (its lines, first '/*', last ' */'): the same
    without sentences about the proofs; None when nothing is left."""
    indent = re.match(r"\s*", lines[0]).group(0)
    body = [re.sub(r"^\s*\*( |$)", "", ln) for ln in lines[1:-1]]
    paragraphs, cur = [], []
    for ln in body:
        if ln.strip() == "":
            if cur:
                paragraphs.append(cur)
            cur = []
        else:
            cur.append(ln)
    if cur:
        paragraphs.append(cur)

    out_pars = []
    changed = False
    for par in paragraphs:
        # Lists, code and aligned text are kept as they are.
        if any(re.match(r"\s", ln) or re.match(r"[-*] ", ln) for ln in par):
            if PROOF_WORDS.search(" ".join(par)):
                raise ValueError("cannot rewrap a formatted paragraph "
                                 "about the proofs: %r" % par)
            out_pars.append(par)
            continue
        sentences = split_sentences(join_lines(par))
        kept = [s for s in sentences if not PROOF_WORDS.search(s)]
        removed.extend(s for s in sentences if PROOF_WORDS.search(s))
        if len(kept) == len(sentences):
            out_pars.append(par)
            continue
        changed = True
        if kept:
            width = 77 - len(indent) - 3
            out_pars.append(textwrap.wrap("  ".join(kept), width=width,
                                          break_long_words=False,
                                          break_on_hyphens=False))
    if not changed:
        return lines
    if not out_pars:
        return None
    new = [lines[0]]
    for k, par in enumerate(out_pars):
        if k:
            new.append(indent + " *")
        new.extend(indent + " * " + ln for ln in par)
    new.append(lines[-1])
    return new


def clean_comments(text, removed):
    """Drop proof sentences from standalone block comments."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if re.match(r"\s*/\*\s*$", ln):
            j = i + 1
            while j < len(lines) and not re.match(r"\s*\*/\s*$", lines[j]):
                if not re.match(r"\s*\*", lines[j]):
                    break
                j += 1
            if j < len(lines) and re.match(r"\s*\*/\s*$", lines[j]):
                block = clean_block(lines[i:j + 1], removed)
                if block is not None:
                    out.extend(block)
                i = j + 1
                continue
        m = re.match(r"(\s*)/\*\s(.*)\s\*/\s*$", ln)
        if m and PROOF_WORDS.search(m.group(2)):
            removed.append(m.group(2))
            i += 1
            continue
        out.append(ln)
        i += 1
    return "\n".join(out)


def collapse_blank_lines(text):
    lines = text.split("\n")
    out = []
    for ln in lines:
        blank = ln.strip() == ""
        if blank and (not out or out[-1].strip() == "" or
                      out[-1].rstrip().endswith("{")):
            continue
        if ln.strip().startswith("}") and out and out[-1].strip() == "":
            out.pop()
        out.append(ln)
    return "\n".join(out)


def strip(text):
    removed = []
    spans = find_annotations(text)
    body = remove_spans(text, spans)
    body = clean_comments(body, removed)
    body = collapse_blank_lines(body)
    if not body.endswith("\n"):
        body += "\n"
    if find_annotations(body):
        raise ValueError("an annotation is left after stripping")
    return body, len(spans), removed


SELF_TEST_IN = """\
/*
 * Header.  Its contract is on its declaration; the loop's is below.  Like
 * plan.c, this file is freestanding.
 */

/*
 * Ghost: count again.  What the loops need is proved here, once.
 */
/*@ ghost int g = 0;
    /@ loop invariant 0 <= g; @/
*/
static int f(int n)
{
    /*@ ghost int g_log0 = n; */

    int i, s = 0; /*@ assert s == 0; */
    const char *str = "/*@ not an annotation */";

    /*@ loop invariant 0 <= i <= n;
        loop variant n - i;
    */
    for ( i = 0; i < n; i++ )
        s += i; //@ assert s >= 0;

    return s + (str != 0);
}
"""

SELF_TEST_OUT = """\
/*
 * Header.  Like plan.c, this file is freestanding.
 */

static int f(int n)
{
    int i, s = 0;
    const char *str = "/*@ not an annotation */";

    for ( i = 0; i < n; i++ )
        s += i;

    return s + (str != 0);
}
"""


def self_test():
    got, nr, removed = strip(SELF_TEST_IN)
    ok = got == SELF_TEST_OUT and nr == 5 and len(removed) == 3
    if not ok:
        sys.stderr.write("strip-acsl self-test: got (%d annotations, %d "
                         "sentences):\n%s" % (nr, len(removed), got))
    # Control: the same comparison fails when the output is altered.
    control = strip(SELF_TEST_IN.replace("s += i;", "s -= i;"))[0]
    if control == SELF_TEST_OUT:
        sys.stderr.write("strip-acsl self-test: the control did not fail\n")
        ok = False
    print("strip-acsl: self-test %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) >= 3 and argv[1] == "--report":
        for path in argv[2:]:
            with open(path) as f:
                _, nr, removed = strip(f.read())
            print("%s: %d annotations removed" % (path, nr))
            for s in removed:
                print("  sentence removed: %s" % s)
        return 0
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        sys.stdout.write(strip(f.read())[0])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ValueError as e:
        sys.stderr.write("strip-acsl: %s: %s\n" % (sys.argv[-1], e))
        sys.exit(1)
