"""The shell builtins a script may use: ``echo``, ``set``, ``exit``, ``cat``, ``kill``,
``wait``, ``jobs``, ``modprobe``, ``export``, ``unset``, ``true``/``false``/``:``, ``whoami``,
``dmesg``.

Design note
-----------
Each is a function ``(interpreter, args, env) -> exit status``, named in the one command
table, ``vnetlab.script.commands.COMMANDS``. Only what scripts about virtual networks use is
there: ``set -e``/``-x``; ``cat`` of files the script wrote, of ``/proc/sys`` keys (the
``sysctl`` app's values) and of a PF's ``sriov_numvfs``/``sriov_totalvfs``;
``kill``/``wait``/``jobs`` for background captures (the only background jobs);
``modprobe`` of the modules the emulator has built in; ``dmesg``: what the emulated
drivers logged.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

from vnetlab.script.apps.sysctl import sysctl_get
from vnetlab.script.apps.tcpdump import FOREGROUND_LIMIT_S
from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.lexer import ASSIGN_RE
from vnetlab.script.sriov import sysfs_read
from vnetlab.sim.clock import S

if TYPE_CHECKING:
    from vnetlab.script.interp import Interpreter

#: ``cat`` prints at most this much of one file (a script's notes, not a disk image)
MAX_CAT_BYTES = 16 * 1024 * 1024

#: modules ``modprobe`` may load: the emulator has them built in
BUILTIN_MODULES = {"bridge", "veth", "vxlan", "geneve", "8021q", "macvlan", "ipvlan", "tun",
                   "br_netfilter", "dummy", "udp_tunnel", "ip6_udp_tunnel"}


def echo(it: Interpreter, args: list[str], env: Env) -> int:
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    elif args and args[0] == "-e":
        args = args[1:]
    env.out(" ".join(args) if newline or args else "")
    return 0


#: ``set -o NAME`` names of the one-letter options the interpreter has
_SET_O = {"errexit": "e", "nounset": "u", "xtrace": "x"}


def set_(it: Interpreter, args: list[str], env: Env) -> int:
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-o", "+o") and i + 1 < len(args):
            letters = _SET_O.get(args[i + 1], "")
            a = a[0] + letters
            i += 1
        if a.startswith(("-", "+")):
            on = a[0] == "-"
            for ch in a[1:]:
                if ch == "e":
                    it.set_e = on
                elif ch == "u":
                    it.set_u = on
                elif ch == "x":
                    it.set_x = on
        i += 1
    return 0


def exit_(it: Interpreter, args: list[str], env: Env) -> int:
    """dash's ``exit``: a decimal status modulo 256; anything else is "Illegal number"
    and the script exits with 2."""
    if not args:
        it.exit_code = it.last_rc
    elif args[0].isascii() and args[0].isdigit():
        it.exit_code = int(args[0]) & 0xFF
    else:
        it.exit_code = 2
        raise ScriptError(f"exit: Illegal number: {args[0]}", lineno=it.lineno, rc=2)
    return it.exit_code


def cat(it: Interpreter, args: list[str], env: Env) -> int:
    rc = 0
    for p in args:
        if p.startswith("/proc/sys/"):
            key = p[len("/proc/sys/"):].strip("/").replace("/", ".")
            try:
                env.out(sysctl_get(env, key))
            except ScriptError as e:
                eio = getattr(e, "errno", None) == errno.EIO  # an unset stable_secret
                env.err(f"cat: {p}: {'Input/output error' if eio else 'No such file or directory'}")
                rc = 1
        elif p.startswith("/sys/") and (value := _sysfs(env, p)) is not None:
            if value == "":
                rc = 1
            else:
                env.out(value)
        elif p.startswith(("/proc/", "/sys/")):
            raise NotSupportedYet(f"reading {p}", lineno=it.lineno)
        elif p == "/dev/null":
            continue
        else:
            try:
                data = _read_file(it, p)
            except OSError as e:
                env.err(f"cat: {p}: {e.strerror}")
                rc = 1
                continue
            if len(data) > MAX_CAT_BYTES:
                data = data[:MAX_CAT_BYTES]
                env.err(f"vnetlab: cat: {p}: printed only the first {MAX_CAT_BYTES} bytes")
            # the output is text: bytes that are not UTF-8 print as U+FFFD, never a crash
            for line in data.decode("utf-8", errors="replace").splitlines():
                env.out(line)
    return rc


def _sysfs(env: Env, p: str) -> str | None:
    """An SR-IOV attribute's value; "" when the file does not exist (reported); None
    for any other sysfs path."""
    try:
        return sysfs_read(env, p)
    except FileNotFoundError:
        env.err(f"cat: {p}: No such file or directory")
        return ""


def dmesg(it: Interpreter, args: list[str], env: Env) -> int:
    """The kernel log as ``dmesg --notime`` prints it: what the emulated NIC drivers
    logged (``PfDevice.messages``), device by device (the emulator keeps no times)."""
    for ns in it.world.all_namespaces().values():
        for dev in sorted(ns.devices.values(), key=lambda d: d.ifindex):
            for line in getattr(dev, "messages", ()):
                env.out(line)
    return 0


def _read_file(it: Interpreter, p: str) -> bytes:
    """A regular file's bytes, at most ``MAX_CAT_BYTES + 1`` of them. A device, fifo or
    socket could block or never end (``/dev/zero``, a fifo nobody writes): refused."""
    path = it.world.path(p)
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), p)
    if not stat.S_ISREG(st.st_mode):
        raise NotSupportedYet(f"cat {p}", "a script reads regular files only, not devices, "
                              "fifos or sockets", lineno=it.lineno)
    with open(path, "rb") as f:
        return f.read(MAX_CAT_BYTES + 1)


def kill(it: Interpreter, args: list[str], env: Env) -> int:
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


def wait(it: Interpreter, args: list[str], env: Env) -> int:
    """Background captures with ``-c`` run until they have their packets (bounded); those
    without would wait forever on a real host, so ``wait`` stops them, as Ctrl-C would."""
    sched = it.world.sched
    limit = sched.now + FOREGROUND_LIMIT_S * S
    while any(not c.done and c.count is not None for c in it.jobs.values()) and (
            sched.now < limit):
        nxt = sched.next_time()
        if nxt is None:
            break
        sched.run(until=min(nxt, limit))
    it.finish()
    return 0


def jobs(it: Interpreter, args: list[str], env: Env) -> int:
    for job, cap in it.jobs.items():
        env.out(f"[{job}]  Running                 tcpdump -i {cap.dev.name}")
    return 0


def modprobe(it: Interpreter, args: list[str], env: Env) -> int:
    for m in (a for a in args if not a.startswith("-")):
        if m not in BUILTIN_MODULES:
            raise NotSupportedYet(f"modprobe {m}", lineno=it.lineno)
    return 0


def export(it: Interpreter, args: list[str], env: Env) -> int:
    for a in args:
        m = ASSIGN_RE.match(a)
        if m:
            it.vars[m.group(1)] = m.group(2)
    return 0


def unset(it: Interpreter, args: list[str], env: Env) -> int:
    for name in args:
        it.vars.pop(name, None)
    return 0


def whoami(it: Interpreter, args: list[str], env: Env) -> int:
    env.out("root")
    return 0


def true(it: Interpreter, args: list[str], env: Env) -> int:
    return 0


def false(it: Interpreter, args: list[str], env: Env) -> int:
    return 1
