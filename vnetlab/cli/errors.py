"""How every ``vnetlab`` command reports bad input: one paragraph on stderr, or under
``--json`` one JSON object, and an exit status (2 bad input, 1 a failed check).

Design note
-----------
Errors reach the user by three roads: a ``LabError`` (a lab file, with file:line and YAML
path per problem), an ``EngineError`` (something the engine cannot do, with a hint), and a
``click`` usage error (arguments). ``report`` is the one place that prints them, so
text and JSON say the same thing: ``{"error": ..., "hint": ...}`` plus, for a lab file,
``problems`` with ``file``, ``line``, ``path``, ``message`` and ``hint`` each. Plain text
is printed with ``click.echo``, never through rich, so data in a message (``[red]``,
``:ab:`` in a MAC address) is shown exactly as written.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from vnetlab.model.errors import LabError


def report(message: str, hint: str | None = None, *, as_json: bool, code: int = 2,
           extra: dict[str, Any] | None = None, text: str | None = None) -> NoReturn:
    """Print one error and exit with ``code``; ``text`` overrides the plain rendering."""
    if as_json:
        obj: dict[str, Any] = {"error": message, "hint": hint, **(extra or {})}
        click.echo(json.dumps(obj, indent=2), err=True)
    else:
        if text is None:
            text = f"error: {message}" + (f"\n  hint: {hint}" if hint else "")
        click.echo(text, err=True)
    sys.exit(code)


def report_lab_error(e: LabError, *, as_json: bool) -> NoReturn:
    first = e.problems[0] if e.problems else None
    problems = [{"file": e.source, "line": p.line, "path": p.path, "message": p.message,
                 "hint": p.hint} for p in e.problems]
    report(first.render(e.source).split("\n")[0] if first else str(e),
           first.hint if first else None, as_json=as_json, extra={"problems": problems},
           text=str(e))


def report_os_error(what: str, e: OSError, *, as_json: bool, hint: str) -> NoReturn:
    """``cannot create out/x: No such file or directory`` (an -o path, a lab file)."""
    name = e.filename if e.filename is not None else what
    report(f"cannot {what} {name}: {e.strerror or e}", hint, as_json=as_json)
