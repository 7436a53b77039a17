"""``vnetlab shell``: an interactive prompt over the script interpreter.

readline gives history (kept in ``~/.vnetlab_history``) and Tab completion of command
names, ``ip``/``bridge`` objects and verbs, the OVS tools' commands, and the current
namespaces' device names.
Lines ending in ``\\`` continue on the next prompt. ``exit`` or Ctrl-D leaves.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import ModuleType

from vnetlab.model.kinds import DEVICE_KINDS
from vnetlab.model.spec import LabSpec
from vnetlab.script.apps.ovs import COMPLETIONS as OVS_WORDS
from vnetlab.script.commands import COMMANDS
from vnetlab.script.interp import Interpreter

HISTORY = Path(os.environ.get("VNETLAB_HISTORY", "~/.vnetlab_history")).expanduser()
WORDS = {
    "ip": ["link", "addr", "address", "route", "neigh", "netns", "tuntap", "-n", "-j",
           "-br", "-s", "-d"],
    "link": ["add", "set", "del", "show", "type", "master", "nomaster", "netns", "mtu",
             "address", "up", "down", "peer", "name",
             # every kind the model has, so a new kind completes without an edit here
             *(k for k in DEVICE_KINDS if k not in ("tun", "tap"))],
    "bridge": ["fdb", "link", "vlan", "-j"],
    "fdb": ["add", "del", "show", "append", "dev", "master", "self", "dst", "vlan"],
    "netns": ["add", "del", "list", "exec"],
    **OVS_WORDS,  # ovs-vsctl, ovs-ofctl, ovs-appctl, ovs-dpctl
}


def completions(it: Interpreter, line: str, text: str) -> list[str]:
    """What Tab may complete TEXT to, given the LINE so far."""
    words = line.split()
    if not words or (len(words) == 1 and not line.endswith(" ")):
        return sorted(c for c in COMMANDS if c.startswith(text))
    prev = words[-1] if line.endswith(" ") else (words[-2] if len(words) > 1 else "")
    cands: set[str] = set(WORDS.get(prev, []))
    if prev in ("dev", "master", "set", "del", "show", "-i", "link") or prev not in WORDS:
        for ns in it.world.namespaces.values():
            cands.update(ns.devices)
    if prev in ("exec", "-n", "netns"):
        cands.update(n for n in it.world.namespaces if n != "host")
    return sorted(c for c in cands if c.startswith(text))


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on this platform
        return None
    return readline


def interactive(lab: LabSpec | None, fills: dict[str, str]) -> int:
    it = Interpreter(lab=lab, fills=fills, source="shell")
    readline = _readline() if sys.stdin.isatty() else None  # piped: no editing, no history
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(HISTORY)
        matches: list[str] = []

        def complete(text: str, state: int) -> str | None:
            nonlocal matches
            if state == 0:
                matches = completions(it, readline.get_line_buffer(), text)
            return matches[state] if state < len(matches) else None

        readline.set_completer(complete)
        readline.set_completer_delims(" \t")
        readline.parse_and_bind("tab: complete")
    name = lab.name if lab is not None else "vnetlab"
    print(f"{name}: emulated host (root namespace 'host'); 'exit' or Ctrl-D to leave")
    n = 0
    buf = ""
    rc = 0
    try:
        while it.exit_code is None:
            try:
                line = input("> " if buf else f"{name}# ")
            except EOFError:
                print()
                break
            except KeyboardInterrupt:
                print()
                buf = ""
                continue
            n += 1
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            rc = it.run_line(buf + line, n)
            buf = ""
    finally:
        it.finish()
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY)
    sys.stdout.flush()
    return it.exit_code if it.exit_code is not None else rc
