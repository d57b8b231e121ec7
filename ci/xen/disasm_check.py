#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks on the disassembly of a built xen-syms (used by ci/xen-check.sh).

  disasm_check.py order  ON.dis OFF.dis [VERSION]
      The function that calls iommu_crash_shutdown() (found by its call
      instruction, whatever it was inlined into) calls the disconnect first
      on every path: in its control-flow graph, iommu_crash_shutdown's call
      cannot be reached from the entry without passing a disconnect call.
      From Xen 4.20 on the same holds for the later teardown the crash path
      does in that function: pci_disable_msi_all(), iommu_quiesce(), and
      the pcidevs_trylock() guarding the former (so the disconnect runs
      whatever it returns).  Likewise the NMI shootdown call must come
      before every disconnect call.  Controls: the 'off' build must fail
      the same test, and so must the 'on' build with any one disconnect
      call site taken out.

      The early pass: in kexec_crash(), every path to console_start_sync()
      (the console drain) and to machine_crash_shutdown() (the shootdown,
      then the disconnect) passes the early call first.  Controls as above:
      the 'off' build, and the call site taken out.

  disasm_check.py hooks  ON.dis
      pci_crash_plan_update() is called from each place where Xen's PCI
      device set changes.

  disasm_check.py locks  ON.dis
      Everything reachable by direct calls and jumps from the crash-path
      functions (the disconnect, the early pass, the port's crash-time
      write and read) calls no lock function and makes no indirect call,
      and the crash path does reach the port's write and read.  The early
      pass reaches the MMCFG accessors and not the port's write and read
      (their 0xCF8/0xCFC route is unsafe before the shootdown).  Controls: the same walk
      from pci_conf_write16() and pci_conf_read16() must find their lock.

Exit status 0 when every check holds; each check prints one line.
"""

import re
import sys
from collections import deque

CRASH_ENTRY = "pci_crash_disconnect"         # what crash.c calls
CORE_CRASH = "pcidc_crash_disconnect"       # the core's crash path
PORT_WRITE = "pcidc_port_conf_write16"      # the port's crash-time write
PORT_READ = "pcidc_port_crash_read16"       # ... and its crash-time read
DISCONNECT_CALLEES = {CRASH_ENTRY, CORE_CRASH}
EARLY = "pci_crash_disconnect_early"        # the first pass
EARLY_CALLER = "kexec_crash"
AFTER_EARLY = ("console_start_sync", "machine_crash_shutdown")
MMCFG = ("pci_mmcfg_read", "pci_mmcfg_write")
IOMMU_SHUTDOWN = "iommu_crash_shutdown"
# What else the crash path tears down after the disconnect, by version.
LATER_TEARDOWN = {
    "4.17": (),
    "4.20": ("pcidevs_trylock_unsafe", "pci_disable_msi_all",
             "iommu_quiesce"),
}
SHOOTDOWN = "smp_send_nmi_allbutself"
LOCKED_WRITE = "pci_conf_write16"           # Xen's locked accessors: controls
LOCKED_READ = "pci_conf_read16"
PLAN_UPDATE = "pci_crash_plan_update"
PLAN_HOOKS = ("scan_pci_devices", "pci_add_device", "pci_remove_device",
              "pci_hide_device", "pci_ro_device")

LOCK_NAME = re.compile(r"lock", re.IGNORECASE)
RETURN_THUNK = "__x86_return_thunk"
INDIRECT_THUNK = re.compile(r"^__x86_indirect_thunk")

FUNC_RE = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN_RE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
TARGET_RE = re.compile(r"^([0-9a-f]+) <([^>+]+)(?:\+0x([0-9a-f]+))?>")


class Insn:
    __slots__ = ("addr", "mnem", "target", "tsym", "toff", "indirect", "text")

    def __init__(self, addr, text):
        self.addr = addr
        self.text = text
        parts = text.split(None, 1)
        self.mnem = parts[0] if parts else ""
        ops = parts[1].strip() if len(parts) > 1 else ""
        self.target = self.tsym = None
        self.toff = 0
        self.indirect = False
        if self.is_call() or self.is_jump():
            m = TARGET_RE.match(ops)
            if m:
                self.target = int(m.group(1), 16)
                self.tsym = m.group(2)
                self.toff = int(m.group(3), 16) if m.group(3) else 0
            elif ops.startswith("*"):
                self.indirect = True

    def is_call(self):
        return self.mnem.startswith("call")

    def is_jump(self):
        return self.mnem.startswith("j")

    def is_uncond_jump(self):
        return self.mnem.startswith("jmp")

    def ends_flow(self):
        return self.mnem.startswith(("ret", "ud2", "hlt", "iret", "sysret"))


def load(path):
    """Function name -> (start address, [Insn]) for a whole objdump -d."""
    funcs = {}
    cur = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = FUNC_RE.match(line)
            if m:
                cur = []
                funcs[m.group(2)] = (int(m.group(1), 16), cur)
                continue
            if cur is None:
                continue
            m = INSN_RE.match(line)
            if m and not m.group(2).startswith("(bad)"):
                cur.append(Insn(int(m.group(1), 16), m.group(2).strip()))
    return merge_cold(funcs)


def merge_cold(funcs):
    """gcc moves a function's unlikely blocks to 'NAME.cold', entered and
    left by jumps: one control-flow graph, so its instructions are
    appended to NAME's (its entry stays NAME's first instruction)."""
    for name in [n for n in funcs if n.endswith(".cold")]:
        parent = name[:-len(".cold")]
        if parent in funcs:
            start, insns = funcs[parent]
            funcs[parent] = (start, insns + funcs.pop(name)[1])
    return funcs


def callers_of(funcs, callee):
    """Functions holding a direct call (or tail jump) to callee."""
    return sorted(name for name, (_, insns) in funcs.items()
                  if any((i.is_call() or i.is_uncond_jump()) and
                         i.tsym == callee and i.toff == 0 for i in insns))


def successors(insns, index_of, k):
    """Indices reachable in one step from insns[k]; None: unknown target."""
    insn = insns[k]
    nxt = [k + 1] if k + 1 < len(insns) else []
    if insn.ends_flow():
        return []
    if insn.is_call():
        return nxt
    if not insn.is_jump():
        return nxt
    if insn.indirect:
        return None
    inside = index_of.get(insn.target)
    if insn.is_uncond_jump():
        # A jump out of the function is a tail call or the return thunk.
        return [inside] if inside is not None else []
    return ([inside] if inside is not None else []) + nxt


def reachable_avoiding(insns, goal, blocked):
    """Can insns[goal] be reached from the entry without executing an
    instruction in blocked?  Raises on an indirect jump (unknown flow)."""
    index_of = {insn.addr: k for k, insn in enumerate(insns)}
    seen = set()
    todo = deque([0])
    while todo:
        k = todo.popleft()
        if k in seen or k in blocked:
            continue
        seen.add(k)
        if k == goal:
            return True
        succ = successors(insns, index_of, k)
        if succ is None:
            raise ValueError("indirect jump at %x: control flow unknown" %
                             insns[k].addr)
        todo.extend(succ)
    return False


def call_sites(insns, names):
    return [k for k, i in enumerate(insns)
            if i.is_call() and i.toff == 0 and i.tsym in names]


def dominated(insns, goals, guards):
    """Does every path from the entry to each goal pass through a guard?"""
    return not any(reachable_avoiding(insns, g, set(guards)) for g in goals)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        print("  %s: %s" % ("ok  " if ok else "FAIL", what))
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def crash_function(funcs, rep, label):
    owners = callers_of(funcs, IOMMU_SHUTDOWN)
    rep.check(len(owners) == 1,
              "%s: exactly one function calls %s: %s" %
              (label, IOMMU_SHUTDOWN, ", ".join(owners) or "none"))
    return owners[0] if len(owners) == 1 else None


def check_order(on_path, off_path, version):
    rep = Report()
    on = load(on_path)
    off = load(off_path)
    if version not in LATER_TEARDOWN:
        rep.check(False, "known Xen version (%s)" % version)
        return rep

    owner = crash_function(on, rep, "on")
    if owner:
        insns = on[owner][1]
        iommu = call_sites(insns, {IOMMU_SHUTDOWN})
        disc = call_sites(insns, DISCONNECT_CALLEES)
        nmi = call_sites(insns, {SHOOTDOWN})
        rep.check(bool(disc), "on: %s calls the disconnect at %s" %
                  (owner, ", ".join("%x" % insns[k].addr for k in disc)
                   or "no address"))
        targets = [(IOMMU_SHUTDOWN, iommu)]
        for name in LATER_TEARDOWN[version]:
            sites = call_sites(insns, {name})
            rep.check(bool(sites), "on: %s calls %s (Xen %s)" %
                      (owner, name, version))
            targets.append((name, sites))
        for name, sites in targets:
            rep.check(bool(disc) and bool(sites) and
                      dominated(insns, sites, disc),
                      "on: every path in %s to %s passes a disconnect call "
                      "first" % (owner, name))
        rep.check(bool(nmi) and bool(disc) and dominated(insns, disc, nmi),
                  "on: every path in %s to a disconnect call passes %s first"
                  % (owner, SHOOTDOWN))
        # Controls: without any one call site, some path must skip it.
        for k in disc:
            rest = [d for d in disc if d != k]
            for name, sites in targets:
                rep.check(not dominated(insns, sites, rest),
                          "control: without the call at %x a path reaches "
                          "%s undisconnected (the test can fail)" %
                          (insns[k].addr, name))
        # The address order, for the record (not the test: see above).
        if disc and iommu:
            print("  info: call addresses in %s: disconnect %s, %s %s" %
                  (owner, " ".join("%x" % insns[k].addr for k in disc),
                   IOMMU_SHUTDOWN, " ".join("%x" % insns[k].addr
                                            for k in iommu)))
        target = [i for i in on.get(CRASH_ENTRY, (0, []))[1]
                  if (i.is_call() or i.is_uncond_jump()) and
                  i.tsym == CORE_CRASH]
        rep.check(bool(target), "on: %s reaches %s" % (CRASH_ENTRY,
                                                        CORE_CRASH))

    check_early_order(on, off, rep)

    owner_off = crash_function(off, rep, "off")
    if owner_off:
        insns = off[owner_off][1]
        iommu = call_sites(insns, {IOMMU_SHUTDOWN})
        disc = call_sites(insns, DISCONNECT_CALLEES)
        rep.check(not disc and not dominated(insns, iommu, disc),
                  "control: off: %s reaches %s with no disconnect call "
                  "(the order test fails there, as it must)" %
                  (owner_off, IOMMU_SHUTDOWN))
        for name in LATER_TEARDOWN[version]:
            sites = call_sites(insns, {name})
            rep.check(bool(sites) and not dominated(insns, sites, disc),
                      "control: off: %s reaches %s with no disconnect call" %
                      (owner_off, name))
    return rep


def check_early_order(on, off, rep):
    insns = on.get(EARLY_CALLER, (0, []))[1]
    early = call_sites(insns, {EARLY})
    rep.check(len(early) == 1, "on: %s calls %s once (%s)" %
              (EARLY_CALLER, EARLY,
               ", ".join("%x" % insns[k].addr for k in early) or "never"))
    for name in AFTER_EARLY:
        sites = call_sites(insns, {name})
        rep.check(bool(sites) and bool(early) and
                  dominated(insns, sites, early),
                  "on: every path in %s to %s passes %s first" %
                  (EARLY_CALLER, name, EARLY))
        rep.check(bool(sites) and not dominated(insns, sites, []),
                  "control: without that call a path in %s reaches %s" %
                  (EARLY_CALLER, name))
    off_insns = off.get(EARLY_CALLER, (0, []))[1]
    rep.check(bool(off_insns) and not call_sites(off_insns, {EARLY}),
              "control: off: %s makes no early call" % EARLY_CALLER)


def closure(funcs, roots):
    """Functions reachable by direct calls and jumps; indirect sites."""
    seen = []
    indirect = []
    todo = deque(roots)
    while todo:
        name = todo.popleft()
        if name in seen:
            continue
        seen.append(name)
        if name not in funcs:
            continue
        for insn in funcs[name][1]:
            if insn.indirect:
                indirect.append("%s at %x" % (name, insn.addr))
            elif insn.tsym and (insn.is_call() or insn.is_jump()):
                if insn.tsym != name:
                    if INDIRECT_THUNK.match(insn.tsym):
                        indirect.append("%s at %x" % (name, insn.addr))
                    todo.append(insn.tsym)
    return seen, indirect


def check_locks(on_path):
    rep = Report()
    on = load(on_path)
    for root in (CRASH_ENTRY, EARLY, PORT_WRITE, PORT_READ):
        rep.check(root in on, "on: %s is in xen-syms" % root)
        names, indirect = closure(on, [root])
        locks = [n for n in names if LOCK_NAME.search(n)]
        rep.check(not locks and not indirect,
                  "on: %s reaches no lock function and no indirect call "
                  "(reaches: %s)%s" %
                  (root, ", ".join(n for n in names if n != root),
                   "; locks: " + ", ".join(locks) if locks else "") +
                  ("; indirect: " + ", ".join(indirect) if indirect else ""))
    names, _ = closure(on, [CRASH_ENTRY])
    for port in (PORT_WRITE, PORT_READ):
        rep.check(port in names, "on: the crash path %s reaches %s" %
                  (CRASH_ENTRY, port))
    names, _ = closure(on, [EARLY])
    rep.check(all(m in names for m in MMCFG) and
              PORT_WRITE not in names and PORT_READ not in names,
              "on: the early pass reaches %s, not %s or %s" %
              (" and ".join(MMCFG), PORT_WRITE, PORT_READ))
    for locked in (LOCKED_WRITE, LOCKED_READ):
        names, _ = closure(on, [locked])
        locks = [n for n in names if LOCK_NAME.search(n)]
        rep.check(bool(locks),
                  "control: the same walk from %s finds its lock: %s" %
                  (locked, ", ".join(locks) or "none (checker broken?)"))
    return rep


def check_hooks(on_path):
    rep = Report()
    on = load(on_path)
    callers = callers_of(on, PLAN_UPDATE)
    for hook in PLAN_HOOKS:
        rep.check(hook in callers, "on: %s rebuilds the plan (calls %s)" %
                  (hook, PLAN_UPDATE))
    return rep


def main(argv):
    if len(argv) >= 2 and argv[1] == "order" and len(argv) in (4, 5):
        rep = check_order(argv[2], argv[3],
                          argv[4] if len(argv) == 5 else "4.17")
    elif len(argv) >= 2 and argv[1] == "locks" and len(argv) == 3:
        rep = check_locks(argv[2])
    elif len(argv) >= 2 and argv[1] == "hooks" and len(argv) == 3:
        rep = check_hooks(argv[2])
    else:
        sys.stderr.write("usage: disasm_check.py order ON.dis OFF.dis [VERSION] | "
                         "locks ON.dis | hooks ON.dis\n")
        return 2
    print("RESULT %d %d" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
