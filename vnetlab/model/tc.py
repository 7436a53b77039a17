"""Queueing disciplines: the ``tc qdisc`` command line, parsed once for both engines.

Design note
-----------
A lab lists a node's impairments as the words a user types after ``tc`` (``qdisc add dev
eth0 root netem delay 40ms 5ms loss 1%``), like its ``ebtables``/``nft``/``xfrm`` lines.
``parse_tc`` turns them into a ``QdiscCmd`` carrying ``NetemOpts``, ``TbfOpts`` or
``HtbOpts`` in the units the kernel receives them in: percentages scaled to u32
(``set_percent``: ``rint(p * UINT32_MAX)``), netem times in psched ticks (iproute2 6.1's
``get_ticks``), the TBF burst as the transmit time of the bucket in ticks
(``tc_calc_xmittime``), the TBF limit in bytes (from ``latency`` when given). Kept in
those units, both engines see exactly the numbers ``tc`` would have sent and ``tc qdisc
show`` reprints what the real one prints (``81.9ms`` for a 20k limit behind a 10k burst).

Errors are iproute2 6.1's (the installed ``tc``: tc/q_netem.c, tc/q_tbf.c,
tc/tc_qdisc.c): the lines it writes to stderr and its exit status (1 for an option it
refuses, 255 where it returns -1 from ``do_qdisc``). One extension: netem's ``seed SEED``
from newer iproute2 (TCA_NETEM_PRNG_SEED), so a lab can pin one qdisc's random stream.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vnetlab.model.tc_netem import NETEM_USAGE, NetemOpts, parse_netem
from vnetlab.model.tc_tbf import TBF_USAGE, HtbOpts, TbfOpts, parse_htb, parse_tbf
from vnetlab.model.tc_units import TcError, matches

TC_H_ROOT = 0xFFFFFFFF

Opts = NetemOpts | TbfOpts | HtbOpts


@dataclass(frozen=True)
class QdiscCmd:
    """``tc qdisc VERB dev DEV [handle H:] root|parent M:N KIND OPTIONS``."""

    verb: str  # "add", "change", "replace", "del", "show"
    dev: str = ""
    parent: int = 0  # TC_H_ROOT, a class id, or 0 (unspecified)
    handle: int = 0  # major << 16, 0: let the kernel pick
    kind: str = ""
    opts: Opts | None = None
    #: ``show`` only: ``-s`` / ``-j`` are tc's options, not the command's
    words: tuple[str, ...] = field(default=())


def get_qdisc_handle(s: str) -> int | None:
    """``get_qdisc_handle``: ``1:``, ``1`` or ``ffff:`` -> major << 16."""
    if s == "none":
        return 0
    head, colon, rest = s.partition(":")
    if rest or not re.fullmatch(r"[0-9a-fA-F]{1,4}", head):
        return None
    return int(head, 16) << 16


def get_tc_classid(s: str) -> int | None:
    """``get_tc_classid``: ``root``, ``none``, ``M:N`` or ``M:``."""
    if s == "root":
        return TC_H_ROOT
    if s == "none":
        return 0
    head, colon, minor = s.partition(":")
    if not colon or not re.fullmatch(r"[0-9a-fA-F]{1,4}", head) or (
            minor and not re.fullmatch(r"[0-9a-fA-F]{1,4}", minor)):
        return None
    return (int(head, 16) << 16) | (int(minor, 16) if minor else 0)


def _invarg(msg: str, arg: str) -> TcError:
    return TcError(f'Error: argument "{arg}" is wrong: {msg}')


QDISC_PARSERS: dict[str, Callable[[list[str]], Opts]] = {
    "netem": parse_netem, "tbf": parse_tbf, "htb": parse_htb}
#: kinds ``tc`` knows but this model does not (the kernel may still have them)
_KNOWN_ELSEWHERE = ("pfifo", "bfifo", "pfifo_fast", "prio", "fq_codel", "sfq", "red",
                    "noqueue", "fq", "cake", "hfsc", "drr", "ingress", "clsact")

_VERBS = (("add", "add"), ("change", "change"), ("replace", "replace"),
          ("delete", "del"), ("list", "show"), ("show", "show"), ("lst", "show"))


def parse_qdisc(words: list[str]) -> QdiscCmd:
    """``do_qdisc`` / ``tc_qdisc_modify``: the words after ``tc qdisc``."""
    if not words:
        return QdiscCmd("show")
    verb = next((v for prefix, v in _VERBS if matches(words[0], prefix)), None)
    if verb is None:
        raise TcError(f'Command "{words[0]}" is unknown, try "tc qdisc help".', 255)
    args = words[1:]
    if verb == "show":
        return _parse_show(args)
    dev = ""
    parent = handle = 0
    kind = ""
    i = 0
    while i < len(args):
        w = args[i]
        if w == "dev":
            if i + 1 >= len(args):
                raise TcError('Command line is not complete. Try option "help"', 255)
            if dev:
                raise TcError(f'Error: duplicate "dev": "{args[i + 1]}" is the second value.',
                              255)
            dev = args[i + 1]
            i += 1
        elif w == "handle":
            if i + 1 >= len(args):
                raise TcError('Command line is not complete. Try option "help"', 255)
            h = get_qdisc_handle(args[i + 1])
            if h is None:
                raise TcError(_invarg("invalid qdisc ID", args[i + 1]).message, 255)
            handle = h
            i += 1
        elif w == "root":
            if parent:
                raise TcError('Error: "root" is duplicate parent ID', 255)
            parent = TC_H_ROOT
        elif w == "parent":
            if i + 1 >= len(args):
                raise TcError('Command line is not complete. Try option "help"', 255)
            c = get_tc_classid(args[i + 1])
            if c is None:
                raise TcError(_invarg("invalid parent ID", args[i + 1]).message, 255)
            parent = c
            i += 1
        else:
            kind = w
            i += 1
            break
        i += 1
    rest = args[i:]
    opts: Opts | None = None
    if kind:
        parser = QDISC_PARSERS.get(kind)
        if parser is not None:
            opts = parser(rest)
        elif kind not in _KNOWN_ELSEWHERE:
            # get_qdisc_kind finds no q_KIND.so: tc sends the bare kind, the kernel refuses
            if rest:
                raise TcError(f'qdisc \'{kind}\' does not support option parsing', 255)
        elif rest:
            raise TcError(f"vnetlab models no options for qdisc '{kind}'", 255)
    if not dev and verb != "show":
        raise TcError('Cannot find device ""', 1)
    return QdiscCmd(verb, dev, parent, handle, kind, opts)


def _parse_show(args: list[str]) -> QdiscCmd:
    dev = ""
    i = 0
    while i < len(args):
        w = args[i]
        if w == "dev" and i + 1 < len(args):
            dev = args[i + 1]
            i += 2
            continue
        if w in ("root", "ingress", "clsact", "invisible"):
            i += 1
            continue
        raise TcError(f'What is "{w}"? Try "tc qdisc help".', 255)
    return QdiscCmd("show", dev, words=tuple(args))


def split_tc(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as e:
        raise TcError(f"tc: {e}") from None


def parse_tc_line(line: str) -> QdiscCmd:
    """A lab's ``tc:`` entry: ``qdisc add|change|replace|del ...`` (no ``show``)."""
    words = split_tc(line)
    if not words or not matches(words[0], "qdisc"):
        obj = words[0] if words else ""
        raise TcError(f'Object "{obj}" is unknown, try "tc help".')
    cmd = parse_qdisc(words[1:])
    if cmd.verb == "show":
        raise TcError("a lab's tc line changes qdiscs (add, change, replace, del); "
                      "'show' prints and belongs in a script")
    if cmd.verb in ("add", "change", "replace") and not cmd.kind:
        raise TcError(f"tc {line}: no qdisc kind (e.g. netem, tbf)")
    return cmd


def lab_tc_lines(lab: Any) -> list[tuple[str, str]]:
    """Every ``tc`` line a lab runs: (node, line) of its nodes' ``tc:`` lists, then of its
    ``tc`` check steps (a LabSpec; typed loosely so this module needs no spec import)."""
    out = [(name, line) for name, node in lab.nodes.items() for line in node.tc]
    out += [(c.tc, c.run) for c in lab.checks if hasattr(c, "run") and hasattr(c, "tc")]
    return out


def check_tc_line(line: str) -> str:
    """Validator for a node's ``tc`` entries: tc's own words for what it refuses."""
    try:
        parse_tc_line(line)
    except TcError as e:
        first = e.message.splitlines()[0]
        raise ValueError(f"tc {line}: {first}") from None
    return line


__all__ = ["NETEM_USAGE", "TBF_USAGE", "HtbOpts", "NetemOpts", "Opts", "QdiscCmd", "TbfOpts",
           "TcError", "check_tc_line", "lab_tc_lines", "parse_qdisc", "parse_tc_line"]
