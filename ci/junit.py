#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Run a cmocka test program, pass its output through, write JUnit XML.

    ci/junit.py --suite NAME --xml FILE [--log FILE] -- PROGRAM [ARGS...]
    ci/junit.py --suite NAME --xml FILE --from-log LOG --status N

The program's standard output and error go, merged and unchanged, to our
standard output (and to --log), so make check prints what it always did:
the program writes to a pseudo-terminal, as on an interactive make, so its
output stays line-buffered and in order;
the lines cmocka's default output writes ("[ RUN      ] name",
"[       OK ] name", "[  FAILED  ] name", "[  SKIPPED ] name", the
"[  ERROR   ] ---" lines between them) become one <testcase> each, timed
from when its lines arrived.  A test started but never finished (the
program crashed or was killed) is an <error>, and so is a program that
exits non-zero without a failed test.  We exit with the program's status.

Why not CMOCKA_MESSAGE_OUTPUT=xml: cmocka 1.1.5 (Debian 12) then writes
XML instead of its usual lines, not besides them, and appends one
<testsuites> document per group to the file; running every suite twice
would double the QEMU suites' time.

--from-log converts a log written earlier (qtest/run-suite.sh runs the
suites in the background) given the program's exit status; there are no
per-test times then.
"""
import argparse
import os
import pty
import re
import subprocess
import sys
import termios
import time
from xml.sax.saxutils import escape, quoteattr

RESULT = re.compile(r"^\[\s*(RUN|OK|FAILED|SKIPPED|ERROR|LINE)\s*\]\s*(.*)$")


class Suite:
    def __init__(self, name):
        self.name = name
        self.cases = []         # dicts: name, time, status, text
        self.current = None
        self.start = time.monotonic()

    def line(self, text, now):
        m = RESULT.match(text.rstrip("\n"))
        if not m:
            if self.current is not None:
                self.current["text"].append(text.rstrip("\n"))
            return
        tag, rest = m.groups()
        if tag == "RUN":
            self.current = {"name": rest.strip(), "t0": now, "time": 0.0,
                            "status": None, "text": []}
            self.cases.append(self.current)
        elif tag in ("ERROR", "LINE") and self.current is not None:
            self.current["text"].append(text.rstrip("\n"))
        elif tag in ("OK", "FAILED", "SKIPPED") and self.current is not None \
                and rest.strip() == self.current["name"]:
            self.current["status"] = tag
            self.current["time"] = now - self.current["t0"]
            self.current = None

    def xml(self, status):
        failures = sum(c["status"] == "FAILED" for c in self.cases)
        skipped = sum(c["status"] == "SKIPPED" for c in self.cases)
        errors = sum(c["status"] is None for c in self.cases)
        extra = status != 0 and not failures and not errors
        out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>",
               '  <testsuite name=%s tests="%d" failures="%d" errors="%d" '
               'skipped="%d" time="%.3f">' %
               (quoteattr(self.name), len(self.cases) + extra, failures,
                errors + extra, skipped, time.monotonic() - self.start)]
        for c in self.cases:
            out.append('    <testcase classname=%s name=%s time="%.3f">' %
                       (quoteattr(self.name), quoteattr(c["name"]),
                        c["time"]))
            text = escape("\n".join(c["text"])[-20000:])
            if c["status"] == "FAILED":
                out.append('      <failure message="test failed">%s'
                           '</failure>' % text)
            elif c["status"] == "SKIPPED":
                out.append("      <skipped/>")
            elif c["status"] is None:
                out.append('      <error message="no result: the program '
                           'stopped (exit status %d)">%s</error>' %
                           (status, text))
            out.append("    </testcase>")
        if extra:
            out.append('    <testcase classname=%s name="exit status">' %
                       quoteattr(self.name))
            out.append('      <error message="exit status %d"/>' % status)
            out.append("    </testcase>")
        out += ["  </testsuite>", "</testsuites>", ""]
        return "\n".join(out)


def pty_env():
    """Sanitizer reports without colour codes, though stderr is a tty."""
    env = dict(os.environ)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if "color=" not in env.get(var, ""):
            env[var] = (env[var] + ":" if env.get(var) else "") + \
                "color=never"
    return env


def run(cmd, suite, log):
    """The program on a pseudo-terminal: its stdout stays line-buffered, so
    lines keep their order and arrive when written."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST          # no "\n" -> "\r\n"
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave, env=pty_env(), close_fds=True)
    os.close(slave)
    pending = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:                 # EIO: every writer has gone
            chunk = b""
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            raw, pending = pending.split(b"\n", 1)
            emit(raw + b"\n", suite, log)
    if pending:
        emit(pending, suite, log)
    os.close(master)
    return p.wait()


def emit(raw, suite, log):
    text = raw.decode("utf-8", "replace")
    sys.stdout.write(text)
    sys.stdout.flush()
    if log:
        log.write(text)
    suite.line(text, time.monotonic())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    ap.add_argument("--xml", required=True)
    ap.add_argument("--log")
    ap.add_argument("--from-log")
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("cmd", nargs="*")
    a = ap.parse_args()
    suite = Suite(a.suite)
    if a.from_log:
        with open(a.from_log, encoding="utf-8", errors="replace") as f:
            for text in f:
                suite.line(text, suite.start)
        status = a.status
    else:
        if not a.cmd:
            ap.error("no program to run")
        log = open(a.log, "w", encoding="utf-8") if a.log else None
        status = run(a.cmd, suite, log)
        if log:
            log.close()
        if status < 0:
            status = 128 - status
    os.makedirs(os.path.dirname(os.path.abspath(a.xml)), exist_ok=True)
    with open(a.xml, "w", encoding="utf-8") as f:
        f.write(suite.xml(status))
    sys.exit(status)


if __name__ == "__main__":
    main()
