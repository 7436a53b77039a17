"""The interpreter: runs script lines (or shell input) against an emulated ``World``.

Design note
-----------
One ``Interpreter`` holds the world, the shell variables, ``set -e``/``set -x`` and the
background jobs. ``run_text`` runs a whole script; ``run_line`` one logical line (what the
interactive shell feeds it). Commands are looked up in one explicit table (``COMMANDS``);
the tools themselves live in ``ip.py``, ``bridge.py``, ``apps/`` and ``builtins.py``. Text
filters (``filters.py``: ``grep``, ``head``, ``tail``, ``wc -l``, ``sort``, ``cat``) work
after a ``|``, so the seed's ``bridge fdb show | grep vxlan`` runs. ``> /proc/sys/...`` is a
sysctl write; ``> /sys/class/net/DEV/device/sriov_numvfs`` is the SR-IOV sysfs write
(``vnetlab.script.sriov``); other redirections write a file (``/dev/null`` drops the
output); other ``/sys`` writes are refused as not supported.

Every failure is reported as ``SOURCE:LINE: message`` on stderr with the real tool's words
and exit status; under ``set -e`` the script stops with that status.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from vnetlab.model.spec import LabSpec
from vnetlab.script.apps.sysctl import proc_write
from vnetlab.script.apps.tcpdump import Capture
from vnetlab.script.args import Env
from vnetlab.script.commands import BACKGROUND, COMMANDS, NOT_YET
from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.filters import run_filter
from vnetlab.script.lexer import (
    ASSIGN_RE,
    AndOr,
    Command,
    check_subset,
    expand,
    fill_placeholders,
    logical_lines,
    parse_words,
    split_sequence,
    strip_comment,
    words,
)
from vnetlab.script.sriov import sysfs_write
from vnetlab.script.world import ROOT_NS, World

BARE_PRAGMA = re.compile(r"^\s*#\s*vnetlab:\s*bare\b")
#: how deep ``$( $( ... ) )`` may nest: dash has no limit but Python's stack has one
MAX_SUBST_DEPTH = 32


class NestingTooDeep(ScriptError):
    """``$( ... )`` nested past ``MAX_SUBST_DEPTH``: fails the outermost line."""


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
        depth: int = 0,
    ) -> None:
        self._world = world
        self.depth = depth  # how many command substitutions this one runs inside
        self._lab = lab
        self.bare = False  # "# vnetlab: bare" before the first command: no emulated eth0
        self.out = out or (lambda s: print(s, flush=True))
        self.err = err or (lambda s: print(s, file=sys.stderr, flush=True))
        self.fills = dict(fills or {})
        self.source = source
        self.vars: dict[str, str] = {"USER": "root", "HOME": "/root", "?": "0"}
        self.set_e = False
        self.set_u = False
        self.set_x = False
        #: a syntax error (or the like) stopped the script, as it stops a non-interactive sh
        self.aborted = False
        #: the status of the last ``$( )`` run: ``X=$(false)`` has it as its own status
        self.subst_rc = 0
        self.exec_depth = 0  # `ip netns exec` levels the running command is inside
        self.last_rc = 0
        self.exit_code: int | None = None
        self.jobs: dict[int, Capture] = {}
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
            if self.aborted:
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
            check_subset(text, lineno or 0)
            text = fill_placeholders(text, self.fills, lineno or 0)
            pieces = split_sequence(text)
            for k, (joiner, piece) in enumerate(pieces):
                if (joiner == "&&" and rc != 0) or (joiner == "||" and rc == 0):
                    continue
                if not piece.strip():
                    raise ScriptError(f"sh: syntax error near unexpected token `{joiner}'",
                                      lineno=lineno, rc=2)
                # expanded only now: an assignment earlier on the line is already in effect
                self.subst_rc = 0
                piece = expand(piece, self.vars, self._substitute, lineno or 0,
                               nounset=self.set_u)
                for item in parse_words(words(piece, lineno or 0), lineno or 0):
                    rc = self._run_andor(item)
                    self.vars["?"] = str(rc)  # `cmd; echo $?` on one line sees cmd's
                    if self.exit_code is not None:
                        break
                if self.exit_code is not None:
                    break
                # set -e looks at a whole && / || list: judge it where the list ends
                list_ends = k + 1 == len(pieces) or pieces[k + 1][0] == ";"
                if rc != 0 and self.set_e and list_ends:
                    break
        except ScriptError as e:
            if isinstance(e, NestingTooDeep) and self.depth:
                raise  # the whole outermost line fails, not just the innermost $( )
            if e.fatal:
                if self.depth:
                    raise
                self.aborted = True
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
        if self.depth >= MAX_SUBST_DEPTH:
            raise NestingTooDeep(f"sh: command substitution nesting too deep (vnetlab allows "
                              f"{MAX_SUBST_DEPTH} levels of $( ... ))", lineno=self.lineno,
                              rc=2)
        captured: list[str] = []
        sub = Interpreter(self.world, out=captured.append, err=self.err, fills=self.fills,
                          source=self.source, depth=self.depth + 1)
        sub.vars = dict(self.vars)
        sub.set_u = self.set_u
        self.subst_rc = sub.run_line(cmdline, self.lineno)
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
            if (isinstance(e, NestingTooDeep) and self.depth) or e.fatal:
                raise
            return self.report(e)

    def _pipeline(self, pipeline: list[Command], background: bool) -> int:
        if len(pipeline) == 1:
            return self.run_command(pipeline[0], background=background)
        lines: list[str] = []
        rc = self.run_command(pipeline[0], out=lines.append)
        text_lines = "\n".join(lines).split("\n") if lines else []
        for cmd in pipeline[1:]:
            text_lines, rc = run_filter(cmd.argv, text_lines, self.lineno)
        for line in text_lines:
            self.out(line)
        return rc

    # -- commands -----------------------------------------------------------------------
    def env(self, ns: str | None, out: Callable[[str], None] | None = None) -> Env:
        return Env(self.world, ns or ROOT_NS, out or self.out, self.err, self.lineno)

    def run_command(self, cmd: Command, *, ns: str | None = None,
                    out: Callable[[str], None] | None = None, background: bool = False) -> int:
        argv = list(cmd.argv)
        assigns: list[re.Match[str]] = []
        while argv and (m := ASSIGN_RE.match(argv[0])):
            assigns.append(m)
            argv.pop(0)
        if not argv:
            for m in assigns:
                self.vars[m.group(1)] = m.group(2)
            # POSIX: an assignment-only command has the status of its last $( )
            return self.subst_rc
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
            self._redirect(cmd.redirect, captured, env, argv[0])
        return rc

    def dispatch(self, argv: list[str], env: Env, *, background: bool = False) -> int:
        while argv and argv[0] == "sudo":  # a loop: `sudo sudo ... cmd` is one command
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[1:]
        if not argv:
            return 0
        name = argv[0]
        args = argv[1:]
        if name in NOT_YET:
            raise NotSupportedYet(name, NOT_YET[name], lineno=self.lineno)
        if background and name not in BACKGROUND:
            env.err(f"vnetlab: '{name} ... &' runs to completion before the next command "
                    "(only tcpdump runs in the background)")
        fn = COMMANDS.get(name)
        if fn is None:
            if name.startswith("./") or "/" in name:
                raise NotSupportedYet(f"running programs ({name})", lineno=self.lineno)
            raise ScriptError(f"{name}: command not found", lineno=self.lineno, rc=127)
        env.background = background
        return fn(self, args, env)

    def start_job(self, cap: Capture, env: Env) -> None:
        """``tcpdump ... &``: the capture becomes job N (``$!``, ``kill %N``, ``wait``)."""
        job = self._next_job
        self._next_job += 1
        cap.job = job
        self.jobs[job] = cap
        self.vars["!"] = str(job)
        env.err(f"[{job}] tcpdump (background capture)")

    def _redirect(self, redirect: tuple[str, str], lines: list[str], env: Env,
                  prog: str = "sh") -> None:
        op, path = redirect
        if path == "/dev/null":
            return
        if path.startswith("/proc/sys/"):
            proc_write(env, path, "\n".join(lines).strip(), prog)
            return
        if path.startswith("/sys/") and sysfs_write(
                env, path, "".join(line + "\n" for line in lines), prog):
            return
        if path.startswith(("/sys/", "/proc/", "/dev/")):
            raise NotSupportedYet(f"writing {path}", lineno=self.lineno)
        try:
            with self.world.write_path(path).open("a" if op == ">>" else "w") as f:
                f.write("".join(line + "\n" for line in lines))
        except PermissionError as e:
            raise ScriptError(f"sh: {e}", lineno=self.lineno, rc=2) from None
        except OSError as e:
            raise ScriptError(f"sh: {path}: {e.strerror}", lineno=self.lineno, rc=2) from None


def run_script(text: str, *, lab: LabSpec | None = None, world: World | None = None,
               source: str = "script", fills: dict[str, str] | None = None,
               out: Callable[[str], None] | None = None,
               err: Callable[[str], None] | None = None) -> tuple[int, Interpreter]:
    """Run a whole script; returns (exit status, the interpreter with its world)."""
    it = Interpreter(world, lab=lab, out=out, err=err, fills=fills, source=source)
    rc = it.run_text(text)
    return rc, it


__all__ = ["Interpreter", "run_script"]
