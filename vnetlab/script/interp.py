"""The interpreter: runs script lines (or shell input) against an emulated ``World``.

Design note
-----------
One ``Interpreter`` holds the world, the shell variables, ``set -e``/``set -x`` and the
background jobs. ``run_text`` runs a whole script; ``run_line`` one logical line (what the
interactive shell feeds it). Commands are looked up in one explicit table (``COMMANDS``);
the network tools themselves live in ``ip.py``, ``bridge.py`` and ``apps.py``. Text filters
(``grep``, ``head``, ``tail``, ``wc -l``, ``sort``, ``cat``) work after a ``|``, so the seed's
``bridge fdb show | grep vxlan`` runs. ``> /proc/sys/...`` is a sysctl write; other
redirections write a file (``/dev/null`` drops the output); ``/sys`` writes are refused as
not supported (SR-IOV's ``sriov_numvfs``).

Every failure is reported as ``SOURCE:LINE: message`` on stderr with the real tool's words
and exit status; under ``set -e`` the script stops with that status.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from vnetlab.model.spec import LabSpec
from vnetlab.script import apps
from vnetlab.script.args import Env
from vnetlab.script.bridge import run_bridge
from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.ip import run_ip
from vnetlab.script.lexer import (
    AndOr,
    Command,
    expand,
    fill_placeholders,
    logical_lines,
    parse_words,
    split_sequence,
    strip_comment,
    words,
)
from vnetlab.script.world import ROOT_NS, World

BARE_PRAGMA = re.compile(r"^\s*#\s*vnetlab:\s*bare\b")
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)

#: tools the seed mentions that vnetlab does not emulate yet, with what to use instead
NOT_YET: dict[str, str] = {
    "ovs-vsctl": "Open vSwitch is not in the emulator yet",
    "ovs-ofctl": "Open vSwitch is not in the emulator yet",
    "ovs-dpctl": "Open vSwitch is not in the emulator yet",
    "ovs-appctl": "Open vSwitch is not in the emulator yet",
    "ethtool": "no NIC offloads or driver statistics in the emulator; see ip -s link",
    "iperf3": "no throughput app in the emulator yet",
    "ebtables": "bridge-family filtering is not in the emulator yet",
    "arptables": "ARP filtering is not in the emulator yet",
    "iptables": "netfilter is not in the emulator",
    "nft": "netfilter is not in the emulator",
    "qemu": "virtual machines are out of scope; use a TAP device and a namespace",
    "nsenter": "use 'ip netns exec NS CMD'",
    "tc": "traffic control is not in the emulator",
}
#: modules ``modprobe`` may load: the emulator has them built in
BUILTIN_MODULES = {"bridge", "veth", "vxlan", "geneve", "8021q", "macvlan", "ipvlan", "tun",
                   "br_netfilter", "dummy", "udp_tunnel", "ip6_udp_tunnel"}


class Interpreter:
    def __init__(
        self,
        world: World | None = None,
        *,
        lab: LabSpec | None = None,
        out: Callable[[str], None] | None = None,
        err: Callable[[str], None] | None = None,
        fills: dict[str, str] | None = None,
        source: str = "script",
    ) -> None:
        self._world = world
        self._lab = lab
        self.bare = False  # "# vnetlab: bare" before the first command: no emulated eth0
        self.out = out or (lambda s: print(s, flush=True))
        self.err = err or (lambda s: print(s, file=sys.stderr, flush=True))
        self.fills = dict(fills or {})
        self.source = source
        self.vars: dict[str, str] = {"USER": "root", "HOME": "/root", "?": "0"}
        self.set_e = False
        self.set_x = False
        self.last_rc = 0
        self.exit_code: int | None = None
        self.jobs: dict[int, apps.Capture] = {}
        self._next_job = 1
        self.lineno: int | None = None

    @property
    def world(self) -> World:
        if self._world is None:
            self._world = World(self._lab, bare=self.bare)
        return self._world

    # -- running text ---------------------------------------------------------------------
    def run_text(self, text: str, *, finish: bool = True) -> int:
        rc = 0
        for lineno, line in logical_lines(text):
            rc = self.run_line(line, lineno)
            if self.exit_code is not None:
                rc = self.exit_code
                break
            if rc != 0 and self.set_e:
                self.err(f"{self.source}: stopped at line {lineno} (set -e), exit status {rc}")
                break
        if finish:
            self.finish()
        return rc

    def finish(self) -> None:
        """The script ends: background captures stop and report."""
        for job in list(self.jobs):
            self.jobs.pop(job).stop()

    def run_line(self, line: str, lineno: int | None = None) -> int:
        self.lineno = lineno
        if self._world is None and BARE_PRAGMA.match(line):
            self.bare = True
        text = strip_comment(line).strip()
        if not text:
            return self.last_rc
        rc = 0
        try:
            text = fill_placeholders(text, self.fills, lineno or 0)
            pieces = split_sequence(text)
            for k, (joiner, piece) in enumerate(pieces):
                if (joiner == "&&" and rc != 0) or (joiner == "||" and rc == 0):
                    continue
                if not piece.strip():
                    raise ScriptError(f"sh: syntax error near unexpected token `{joiner}'",
                                      lineno=lineno, rc=2)
                # expanded only now: an assignment earlier on the line is already in effect
                piece = expand(piece, self.vars, self._substitute, lineno or 0)
                for item in parse_words(words(piece, lineno or 0), lineno or 0):
                    rc = self._run_andor(item)
                    if self.exit_code is not None:
                        break
                if self.exit_code is not None:
                    break
                # set -e looks at a whole && / || list: judge it where the list ends
                list_ends = k + 1 == len(pieces) or pieces[k + 1][0] == ";"
                if rc != 0 and self.set_e and list_ends:
                    break
        except ScriptError as e:
            rc = self.report(e)
        self.last_rc = rc
        self.vars["?"] = str(rc)
        return rc

    def report(self, e: ScriptError) -> int:
        where = f"{self.source}:{e.lineno if e.lineno is not None else self.lineno}"
        first, *rest = e.message.split("\n")
        self.err(f"{where}: {first}")
        for r in rest:
            self.err(r)
        return e.rc

    def _substitute(self, cmdline: str) -> str:
        captured: list[str] = []
        sub = Interpreter(self.world, out=captured.append, err=self.err, fills=self.fills,
                          source=self.source)
        sub.vars = dict(self.vars)
        sub.run_line(cmdline, self.lineno)
        return "\n".join(captured).strip()

    def _run_andor(self, item: AndOr) -> int:
        rc = 0
        for joiner, pipeline in item.pipelines:
            if (joiner == "&&" and rc != 0) or (joiner == "||" and rc == 0):
                continue
            rc = self._run_pipeline(pipeline, item.background)
        return rc

    def _run_pipeline(self, pipeline: list[Command], background: bool) -> int:
        try:
            return self._pipeline(pipeline, background)
        except ScriptError as e:  # reported here so that `cmd || true` still works
            return self.report(e)

    def _pipeline(self, pipeline: list[Command], background: bool) -> int:
        if len(pipeline) == 1:
            return self.run_command(pipeline[0], background=background)
        lines: list[str] = []
        rc = self.run_command(pipeline[0], out=lines.append)
        text_lines = "\n".join(lines).split("\n") if lines else []
        for cmd in pipeline[1:]:
            text_lines, rc = self._filter(cmd, text_lines)
        for line in text_lines:
            self.out(line)
        return rc

    # -- commands -----------------------------------------------------------------------
    def env(self, ns: str | None, out: Callable[[str], None] | None = None) -> Env:
        return Env(self.world, ns or ROOT_NS, out or self.out, self.err, self.lineno)

    def run_command(self, cmd: Command, *, ns: str | None = None,
                    out: Callable[[str], None] | None = None, background: bool = False) -> int:
        argv = list(cmd.argv)
        assigns = []
        while argv and _ASSIGN_RE.match(argv[0]):
            assigns.append(argv.pop(0))
        if not argv:
            for a in assigns:
                k, v = _ASSIGN_RE.match(a).groups()  # type: ignore[union-attr]
                self.vars[k] = v
            return 0
        if self.set_x:
            self.err("+ " + " ".join(cmd.argv))
        captured: list[str] | None = None
        sink = out
        if cmd.redirect is not None:
            captured = []
            sink = captured.append
        env = self.env(ns, sink)
        try:
            rc = self.dispatch(argv, env, background=background)
        finally:
            # what the command set in motion at this instant (carrier, link events) runs
            # now; anything later waits for ping, sleep or tcpdump to let time pass
            self.world.sched.run(until=self.world.sched.now)
        if cmd.redirect is not None and captured is not None:
            self._redirect(cmd.redirect, captured, env)
        return rc

    def dispatch(self, argv: list[str], env: Env, *, background: bool = False) -> int:
        name = argv[0]
        args = argv[1:]
        if name == "sudo":
            while args and args[0].startswith("-"):
                args = args[1:]
            if not args:
                return 0
            return self.dispatch(args, env, background=background)
        if name in NOT_YET:
            raise NotSupportedYet(name, NOT_YET[name], lineno=self.lineno)
        if name == "tcpdump":
            res = apps.run_tcpdump(args, env, background)
            if isinstance(res, apps.Capture):
                job = self._next_job
                self._next_job += 1
                res.job = job
                self.jobs[job] = res
                self.vars["!"] = str(job)
                env.err(f"[{job}] tcpdump (background capture)")
                return 0
            return res
        if background:
            env.err(f"vnetlab: '{name} ... &' runs to completion before the next command "
                    "(only tcpdump runs in the background)")
        fn = COMMANDS.get(name)
        if fn is None:
            if name.startswith("./") or "/" in name:
                raise NotSupportedYet(f"running programs ({name})", lineno=self.lineno)
            raise ScriptError(f"{name}: command not found", lineno=self.lineno, rc=127)
        return int(fn(self, args, env))

    def _redirect(self, redirect: tuple[str, str], lines: list[str], env: Env) -> None:
        op, path = redirect
        if path == "/dev/null":
            return
        if path.startswith("/proc/sys/"):
            key = path[len("/proc/sys/"):].strip("/").replace("/", ".")
            apps.sysctl_set(env, key, "\n".join(lines).strip())
            return
        if path.startswith(("/sys/", "/proc/", "/dev/")):
            what = ("SR-IOV virtual functions (sriov_numvfs)" if "sriov" in path
                    else f"writing {path}")
            raise NotSupportedYet(what, lineno=self.lineno)
        try:
            with self.world.write_path(path).open("a" if op == ">>" else "w") as f:
                f.write("".join(line + "\n" for line in lines))
        except PermissionError as e:
            raise ScriptError(f"sh: {e}", lineno=self.lineno, rc=2) from None
        except OSError as e:
            raise ScriptError(f"sh: {path}: {e.strerror}", lineno=self.lineno, rc=2) from None

    def _filter(self, cmd: Command, lines: list[str]) -> tuple[list[str], int]:
        name, args = cmd.argv[0], cmd.argv[1:]
        if name == "grep":
            flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
            pats = [a for a in args if not (a.startswith("-") and len(a) > 1)]
            if not pats:
                raise ScriptError("Usage: grep [OPTION]... PATTERNS [FILE]...",
                                  lineno=self.lineno, rc=2)
            pat = pats[0]
            try:
                rx = re.compile(pat if "E" in flags or "P" in flags else
                                re.escape(pat).replace(r"\.", ".").replace(r"\*", ".*"),
                                re.I if "i" in flags else 0)
            except re.error:
                raise ScriptError(f"grep: invalid pattern {pat!r}", lineno=self.lineno,
                                  rc=2) from None
            keep = [ln for ln in lines if bool(rx.search(ln)) != ("v" in flags)]
            if "c" in flags:
                return [str(len(keep))], 0 if keep else 1
            return keep, 0 if keep else 1
        if name in ("head", "tail"):
            n = 10
            for i, a in enumerate(args):
                if a == "-n" and i + 1 < len(args):
                    n = int(args[i + 1])
                elif a.startswith("-") and a[1:].isdigit():
                    n = int(a[1:])
            return (lines[:n] if name == "head" else lines[-n:] if n else []), 0
        if name == "wc" and args == ["-l"]:
            return [str(len(lines))], 0
        if name == "sort":
            return sorted(lines, reverse="-r" in args), 0
        if name == "cat":
            return lines, 0
        raise NotSupportedYet(f"'| {name}'", "pipes into grep, head, tail, wc -l, sort, cat",
                              lineno=self.lineno)


# -- the command table ------------------------------------------------------------------------
def _ip(it: Interpreter, args: list[str], env: Env) -> int:
    def run_sub(argv: list[str], ns: str) -> int:
        return it.dispatch(argv, it.env(ns, env.out))

    return run_ip(args, env, run_sub)


def _bridge(it: Interpreter, args: list[str], env: Env) -> int:
    return run_bridge(args, env)


def _echo(it: Interpreter, args: list[str], env: Env) -> int:
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    elif args and args[0] == "-e":
        args = args[1:]
    env.out(" ".join(args) if newline or args else "")
    return 0


def _set(it: Interpreter, args: list[str], env: Env) -> int:
    for a in args:
        if a.startswith(("-", "+")) and a != "-o" and a != "+o":
            on = a[0] == "-"
            for ch in a[1:]:
                if ch == "e":
                    it.set_e = on
                elif ch == "x":
                    it.set_x = on
    return 0


def _exit(it: Interpreter, args: list[str], env: Env) -> int:
    it.exit_code = int(args[0]) if args and args[0].lstrip("-").isdigit() else it.last_rc
    return it.exit_code


def _cat(it: Interpreter, args: list[str], env: Env) -> int:
    rc = 0
    for p in args:
        if p.startswith("/proc/sys/"):
            key = p[len("/proc/sys/"):].strip("/").replace("/", ".")
            try:
                env.out(apps.sysctl_get(env, key))
            except ScriptError:
                env.err(f"cat: {p}: No such file or directory")
                rc = 1
        elif p.startswith(("/proc/", "/sys/")):
            raise NotSupportedYet(f"reading {p}", lineno=it.lineno)
        else:
            try:
                for line in it.world.path(p).read_text().splitlines():
                    env.out(line)
            except OSError as e:
                env.err(f"cat: {p}: {e.strerror}")
                rc = 1
    return rc


def _kill(it: Interpreter, args: list[str], env: Env) -> int:
    targets = [a for a in args if not a.startswith("-")]
    rc = 0
    for t in targets:
        job = int(t.lstrip("%")) if t.lstrip("%").isdigit() else None
        cap = it.jobs.pop(job, None) if job is not None else None
        if cap is None:
            env.err(f"sh: kill: {t}: no such job")
            rc = 1
            continue
        cap.stop()
    return rc


def _wait(it: Interpreter, args: list[str], env: Env) -> int:
    """Background captures with ``-c`` run until they have their packets (bounded); those
    without would wait forever on a real host, so ``wait`` stops them, as Ctrl-C would."""
    sched = it.world.sched
    limit = sched.now + apps.FOREGROUND_LIMIT_S * 1_000_000_000
    while any(not c.done and c.count is not None for c in it.jobs.values()) and (
            sched.now < limit):
        nxt = sched.next_time()
        if nxt is None:
            break
        sched.run(until=min(nxt, limit))
    it.finish()
    return 0


def _modprobe(it: Interpreter, args: list[str], env: Env) -> int:
    for m in (a for a in args if not a.startswith("-")):
        if m not in BUILTIN_MODULES:
            raise NotSupportedYet(f"modprobe {m}", lineno=it.lineno)
    return 0


def _export(it: Interpreter, args: list[str], env: Env) -> int:
    for a in args:
        m = _ASSIGN_RE.match(a)
        if m:
            it.vars[m.group(1)] = m.group(2)
    return 0


def _jobs(it: Interpreter, args: list[str], env: Env) -> int:
    for job, cap in it.jobs.items():
        env.out(f"[{job}]  Running                 tcpdump -i {cap.dev.name}")
    return 0


COMMANDS: dict[str, Callable[[Interpreter, list[str], Env], int]] = {
    "ip": _ip,
    "bridge": _bridge,
    "ping": lambda it, a, e: apps.run_ping(a, e),
    "arping": lambda it, a, e: apps.run_arping(a, e),
    "sleep": lambda it, a, e: apps.run_sleep(a, e),
    "sysctl": lambda it, a, e: apps.run_sysctl(a, e),
    "echo": _echo,
    "set": _set,
    "exit": _exit,
    "cat": _cat,
    "kill": _kill,
    "wait": _wait,
    "jobs": _jobs,
    "modprobe": _modprobe,
    "export": _export,
    "true": lambda it, a, e: 0,
    ":": lambda it, a, e: 0,
    "false": lambda it, a, e: 1,
    "whoami": lambda it, a, e: (e.out("root"), 0)[1],
    "unset": lambda it, a, e: ([it.vars.pop(x, None) for x in a], 0)[1],
}


def run_script(text: str, *, lab: LabSpec | None = None, world: World | None = None,
               source: str = "script", fills: dict[str, str] | None = None,
               out: Callable[[str], None] | None = None,
               err: Callable[[str], None] | None = None) -> tuple[int, Interpreter]:
    """Run a whole script; returns (exit status, the interpreter with its world)."""
    it = Interpreter(world, lab=lab, out=out, err=err, fills=fills, source=source)
    rc = it.run_text(text)
    return rc, it


__all__ = ["COMMANDS", "Interpreter", "run_script", "Any"]
