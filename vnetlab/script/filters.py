"""The text filters a pipe may feed: ``grep``, ``head``, ``tail``, ``wc -l``, ``sort``, ``cat``.

Design note
-----------
Enough of each for the lines people pipe ``ip``/``bridge`` output into (``bridge fdb show |
grep vxlan``): ``grep`` takes ``-i -v -c -E -P`` and, without ``-E``, a basic pattern where
``.`` and ``*`` keep their meaning; ``head``/``tail`` take ``-n N`` and ``-N``. A filter gets
the whole output of the command before it (no streaming: every command has finished by
then) and returns its lines and exit status.
"""

from __future__ import annotations

import re

from vnetlab.script.errors import NotSupportedYet, ScriptError


def _grep(args: list[str], lines: list[str], lineno: int | None) -> tuple[list[str], int]:
    flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
    pats = [a for a in args if not (a.startswith("-") and len(a) > 1)]
    if not pats:
        raise ScriptError("Usage: grep [OPTION]... PATTERNS [FILE]...", lineno=lineno, rc=2)
    pat = pats[0]
    try:
        rx = re.compile(pat if "E" in flags or "P" in flags else
                        re.escape(pat).replace(r"\.", ".").replace(r"\*", ".*"),
                        re.I if "i" in flags else 0)
    except re.error:
        raise ScriptError(f"grep: invalid pattern {pat!r}", lineno=lineno, rc=2) from None
    keep = [ln for ln in lines if bool(rx.search(ln)) != ("v" in flags)]
    if "c" in flags:
        return [str(len(keep))], 0 if keep else 1
    return keep, 0 if keep else 1


def _head_tail(name: str, args: list[str], lines: list[str]) -> tuple[list[str], int]:
    n = 10
    for i, a in enumerate(args):
        if a == "-n" and i + 1 < len(args):
            n = int(args[i + 1])
        elif a.startswith("-") and a[1:].isdigit():
            n = int(a[1:])
    return (lines[:n] if name == "head" else lines[-n:] if n else []), 0


def run_filter(argv: list[str], lines: list[str],
               lineno: int | None) -> tuple[list[str], int]:
    """``| NAME ARGS``: the lines that come out, and the filter's exit status."""
    name, args = argv[0], argv[1:]
    if name == "grep":
        return _grep(args, lines, lineno)
    if name in ("head", "tail"):
        return _head_tail(name, args, lines)
    if name == "wc" and args == ["-l"]:
        return [str(len(lines))], 0
    if name == "sort":
        return sorted(lines, reverse="-r" in args), 0
    if name == "cat":
        return lines, 0
    raise NotSupportedYet(f"'| {name}'", "pipes into grep, head, tail, wc -l, sort, cat",
                          lineno=lineno)
