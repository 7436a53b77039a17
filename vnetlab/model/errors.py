"""User errors of the model layer: a ``Problem`` per mistake, a ``LabError`` carrying them all.

Design note
-----------
Every mistake in a lab is reported with *where* (the YAML path such as
``nodes.a.interfaces.eth0.addresses[0]`` and, when the lab came from a file, its 1-based
line), *what* (one sentence) and, when we can guess the fix, a *hint*. The loader and
``resolve()`` collect all problems they can find before raising, so a user fixes a file in
one round. Paths are built from segment tuples by ``format_path`` and line numbers are
looked up by ``line_of`` (falling back to the nearest enclosing key that has a line).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_PLAIN_SEGMENT = re.compile(r"^[^.\[\]\s\"']+$")


def format_path(segments: Sequence[object]) -> str:
    """``("nodes", "a", "addresses", 0)`` → ``nodes.a.addresses[0]``.

    Keys that contain dots, spaces or brackets (``net.ipv4.ip_forward``) are quoted:
    ``nodes.host.sysctls["net.ipv4.ip_forward"]``.
    """
    out = ""
    for seg in segments:
        if isinstance(seg, int) and not isinstance(seg, bool):
            out += f"[{seg}]"
            continue
        text = str(seg)
        if _PLAIN_SEGMENT.match(text):
            out += f".{text}" if out else text
        else:
            out += f"[{json.dumps(text)}]"
    return out


def line_of(lines: Mapping[str, int] | None, segments: Sequence[object]) -> int | None:
    """The line of ``segments`` or of the nearest enclosing path that has one."""
    if not lines:
        return None
    segs = list(segments)
    while True:
        line = lines.get(format_path(segs))
        if line is not None:
            return line
        if not segs:
            return None
        segs.pop()


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A ``did you mean 'x'?`` hint when one choice is close to ``word``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


#: a message, path or hint longer than this is cut in the middle when printed
MAX_TEXT = 600
#: a LabError prints this many problems and counts the rest (``problems`` has them all)
MAX_SHOWN = 50


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` shortened in the middle to about ``limit`` characters, saying how much was
    cut: a 100 kB scalar echoed in an error would bury the error."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 4
    return f"{text[:head]}...({len(text) - head - tail} characters cut)...{text[-tail:]}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a lab: where (YAML path and line), what, and how to fix it."""

    path: str
    line: int | None
    message: str
    hint: str | None = None

    def render(self, source: str) -> str:
        where = clip(f"{source}:{self.line}" if self.line is not None else source)
        message = clip(self.message)
        text = f"{where}: {clip(self.path)}: {message}" if self.path else f"{where}: {message}"
        if self.hint:
            text += f"\n  hint: {clip(self.hint)}"
        return text


class LabError(Exception):
    """A lab that cannot be used; ``str()`` renders one paragraph per problem."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        # stable sort: by line, problems without a line last, discovery order otherwise
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__(self.__str__())

    def __str__(self) -> str:
        shown = [p.render(self.source) for p in self.problems[:MAX_SHOWN]]
        rest = len(self.problems) - len(shown)
        if rest > 0:  # a file of 50,000 mistakes is one mistake repeated: say so briefly
            shown.append(f"{self.source}: ... and {rest} more problems (the first "
                         f"{MAX_SHOWN} are shown)")
        return "\n".join(shown)


class ProblemList:
    """Collects problems for one source, with paths given as segment tuples."""

    def __init__(self, lines: Mapping[str, int] | None = None) -> None:
        self.lines = lines if lines is not None else {}
        self.problems: list[Problem] = []

    def add(
        self,
        segments: Sequence[object],
        message: str,
        hint: str | None = None,
        *,
        line: int | None = None,
    ) -> None:
        if line is None:
            line = line_of(self.lines, segments)
        self.problems.append(Problem(format_path(segments), line, message, hint))

    def where(self, segments: Sequence[object]) -> str:
        """``nodes.a.interfaces.eth0 on line 7`` for naming a second place in a message."""
        line = line_of(self.lines, segments)
        path = format_path(segments)
        return f"{path} on line {line}" if line is not None else path

    def raise_if_any(self, source: str) -> None:
        if self.problems:
            raise LabError(source, self.problems)
