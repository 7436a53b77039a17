"""Stage 1 of loading a lab: YAML text → raw data + a line for every path.

Design note
-----------
PyYAML's safe loader (libyaml's when present: a lab of thousands of containers needs it)
composes the node graph; ``_LineWalker`` walks it *before* constructing Python objects to
record the 1-based line of every mapping key and sequence item under its path
(``nodes.a.interfaces.eth0.addresses[0]``) and to find duplicate keys, which PyYAML would
silently overwrite. Merge keys (``<<: *anchor``) are honoured; aliases that expand to an
absurd size (a "billion laughs" file) are refused: the guard counts the nodes reached
*again* through an alias, so a large plain lab is never refused. The walk also finds what
constructing would choke on or silently misread: integers too long for ``int()`` (Python's
digit limit) are refused with their path, and numbers YAML 1.1 read as base 60 (an
unquoted MAC such as ``12:34:56:12:34:56``) are remembered so a type error there can say
"quote it".

The walk is linear in the size of the file: each node's path text is its parent's plus
one segment (``child_path``, the same text ``format_path`` makes from the whole tuple), and
plain string keys are read off the node without a round through the constructor.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass
from typing import Any

import yaml

from vnetlab.model.errors import _PLAIN_SEGMENT, LabError, Problem, ProblemList, clip

#: More YAML nodes than this reached again through aliases is not a lab but an attack or
#: an accident (a "billion laughs" file); ``VNETLAB_MAX_ALIASES`` raises it.
MAX_ALIAS_NODES = 100_000
MAX_ALIASES_ENV = "VNETLAB_MAX_ALIASES"
#: Longer integers than this are refused before ``int()`` sees them: CPython refuses to
#: convert more than 4300 decimal digits, and no number in a lab needs a hundredth of it.
MAX_INT_CHARS = 4300

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_DIGIT = re.compile(r"[0-9a-fA-F]")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


def child_path(parent: str, seg: object) -> str:
    """``format_path((*segs, seg))`` given ``parent == format_path(segs)``: one segment's
    work instead of the whole tuple's."""
    if isinstance(seg, int) and not isinstance(seg, bool):
        return f"{parent}[{seg}]"
    text = str(seg)
    if _PLAIN_SEGMENT.match(text):
        return f"{parent}.{text}" if parent else text
    return f"{parent}[{json.dumps(text)}]"


class _TooBig(Exception):
    pass


class _Lines:
    """A mark's line as an editor or ``grep -n`` counts it: YAML also breaks lines at NEL,
    LS and PS (U+0085, U+2028, U+2029), which would make its ``mark.line`` point past the
    line the user sees."""

    def __init__(self, text: str) -> None:
        self.plain = not any(c in text for c in "\x85\u2028\u2029\r")
        self.breaks = [] if self.plain else [i for i, c in enumerate(text) if c == "\n"]

    def __call__(self, mark: Any) -> int:
        if self.plain:
            return int(mark.line) + 1
        return bisect.bisect_left(self.breaks, int(mark.index)) + 1


class _LineWalker:
    """Records ``path -> line`` for a composed YAML node graph and finds duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, problems: ProblemList,
                 lines: dict[str, int], line_of: _Lines,
                 max_aliased: int = MAX_ALIAS_NODES) -> None:
        self.loader = loader
        self.line = line_of
        self.p = problems
        self.lines = lines  # the same dict ``problems`` looks lines up in
        self.max_aliased = max_aliased
        self.aliased = 0  # nodes reached again through an alias or a merge
        self.visited: set[int] = set()
        self.active: set[int] = set()  # node ids on the current path (recursive anchors)
        self.too_long = False  # an integer int() would refuse: do not construct
        #: YAML path -> source text of a number YAML 1.1 read in base 60 (``12:34:56``)
        self.base60: dict[str, str] = {}

    def _count(self, node: yaml.Node) -> None:
        if id(node) in self.visited:
            self.aliased += 1
            if self.aliased > self.max_aliased:
                raise _TooBig
        else:
            self.visited.add(id(node))

    def _scalar(self, node: yaml.ScalarNode, segs: tuple[object, ...], record: bool,
                path: str) -> bool:
        """False for a scalar that cannot be constructed (reported here)."""
        if node.tag not in (_INT_TAG, _FLOAT_TAG):
            return True
        text = str(node.value)
        if node.tag == _INT_TAG:
            digits = len(_DIGIT.findall(text))
            if digits > MAX_INT_CHARS:
                self.too_long = True
                self.p.add(
                    segs,
                    f"a number with {digits} digits; no value in a lab is anywhere near that "
                    "large",
                    "check the value; quote it if it is meant as text",
                    line=self.line(node.start_mark),
                )
                return False
        if ":" in text and record:
            self.base60[path] = text
        return True

    def _key(self, node: yaml.Node, segs: tuple[object, ...], path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        if node.tag == _STR_TAG:
            return node.value  # what construct_yaml_str gives, without the round trip
        if not self._scalar(node, segs, False, path):
            return None
        try:
            key = self.loader.construct_object(node, deep=True)
            hash(key)
        except Exception:  # noqa: BLE001 - reported by construct_document later
            return None
        return key

    def _record(self, path: str, line: int, overwrite: bool) -> None:
        if overwrite or path not in self.lines:
            self.lines[path] = line

    def walk(self, node: yaml.Node, segs: tuple[object, ...], record: bool = True,
             path: str = "") -> None:
        """Walk ``node`` found at ``segs``; ``path`` is ``format_path(segs)``."""
        self._count(node)
        if id(node) in self.active:
            return
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.ScalarNode):
                self._scalar(node, segs, record, path)
            elif isinstance(node, yaml.MappingNode):
                self._mapping(node, segs, record, path)
            elif isinstance(node, yaml.SequenceNode):
                for idx, item in enumerate(node.value):
                    sub = child_path(path, idx)
                    if record:
                        self._record(sub, self.line(item.start_mark), True)
                    self.walk(item, (*segs, idx), record, sub)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, segs: tuple[object, ...], record: bool,
                 path: str) -> None:
        seen: dict[Any, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._key(key_node, segs, path)
            line = self.line(key_node.start_mark)
            if key is None:
                self.walk(value_node, segs, False, path)
                continue
            if key in seen and record:
                self.p.add(
                    (*segs, key),
                    f"duplicate key {key!r} (first given on line {seen[key]}); YAML keeps only "
                    "the last one",
                    "remove or rename one of them",
                    line=line,
                )
            seen.setdefault(key, line)
            sub = child_path(path, key)
            if record:
                self._record(sub, line, True)
            self.walk(value_node, (*segs, key), record, sub)
        # merged keys (<<: *anchor) get the merge's line unless given explicitly
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for src in sources:
                if not isinstance(src, yaml.MappingNode) or id(src) in self.active:
                    continue
                self._count(src)
                self.active.add(id(src))
                try:
                    for key_node, value_node in src.value:
                        key = self._key(key_node, segs, path)
                        if key is None or key in seen:
                            self.walk(value_node, segs, False, path)
                            continue
                        sub = child_path(path, key)
                        if record:
                            self._record(sub, self.line(merge.start_mark), False)
                        self.walk(value_node, (*segs, key), record, sub)
                finally:
                    self.active.discard(id(src))


def _yaml_problem(err: yaml.YAMLError, line_of: _Lines) -> Problem:
    mark = getattr(err, "problem_mark", None)
    line = line_of(mark) if mark is not None else None
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    cmark = getattr(err, "context_mark", None)
    message = f"YAML syntax error: {problem}"
    if context:
        message += f" ({context}"
        if cmark is not None and line_of(cmark) != line:
            message += f" on line {line_of(cmark)}"
        message += ")"
    hint = None
    if "\\t" in problem or "'\\t'" in problem or "tab" in problem:
        hint = "indent YAML with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "quote a value that contains ': ', or check the indentation of this line"
    elif "could not determine a constructor" in problem:
        hint = "vnetlab reads plain YAML; custom '!tags' are not supported"
    elif "expected a single document" in problem:
        hint = "a lab file holds one YAML document; remove the extra '---'"
    elif "found unhashable key" in problem:
        hint = "mapping keys must be plain values such as names"
    elif "flow" in f"{problem} {context}":
        hint = "check the brackets and commas of the [...] or {...} on this line"
    return Problem("", line, message, hint)


def _max_aliased(source: str) -> int:
    raw = os.environ.get(MAX_ALIASES_ENV, "")
    if not raw:
        return MAX_ALIAS_NODES
    if raw.isdigit() and int(raw) > 0 and len(raw) < 12:
        return int(raw)
    raise LabError(source, [Problem(
        "", None, f"{MAX_ALIASES_ENV}={clip(raw, 40)!r} is not a positive whole number",
        f"unset it, or set e.g. {MAX_ALIASES_ENV}=1000000")])


def _compose_fast(text: str) -> tuple[yaml.CSafeLoader, yaml.Node | None] | None:
    """Compose with libyaml when PyYAML has it: some ten times faster, which a lab of
    thousands of containers needs. None when libyaml is missing or finds a problem: the
    pure-Python loader then reports it, in the words and marks the hints know."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    loader = yaml.CSafeLoader(text)
    try:
        return loader, loader.get_single_node()
    except (yaml.YAMLError, RecursionError, ValueError):
        loader.dispose()
        return None


@dataclass(frozen=True, slots=True)
class _Parsed:
    data: Any
    lines: dict[str, int]
    base60: dict[str, str]  # YAML path -> text of a number YAML 1.1 read in base 60


def _parse(text: str, source: str) -> _Parsed:
    lines: dict[str, int] = {}
    problems = ProblemList(lines)
    limit = _max_aliased(source)
    line_of = _Lines(text)
    fast = _compose_fast(text)
    try:
        loader: yaml.SafeLoader | yaml.CSafeLoader = (
            fast[0] if fast is not None else yaml.SafeLoader(text)
        )
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise LabError(
            source,
            [
                Problem(
                    "",
                    line,
                    f"the file contains the control character {chr(e.character)!r} (U+"
                    f"{e.character:04X}), which YAML does not allow",
                    'remove it, or quote the string with "..." and an escape',
                )
            ],
        ) from None
    try:
        try:
            node = fast[1] if fast is not None else loader.get_single_node()
        except yaml.YAMLError as e:
            raise LabError(source, [_yaml_problem(e, line_of)]) from None
        if node is None:
            raise LabError(
                source,
                [Problem("", None, "the file is empty", "a lab needs at least 'name' and 'nodes'")],
            )
        walker = _LineWalker(loader, problems, lines, line_of, limit)
        walker.lines[""] = line_of(node.start_mark)
        try:
            walker.walk(node, ())
        except _TooBig:
            raise LabError(
                source,
                [
                    Problem(
                        "",
                        None,
                        f"the YAML expands its anchors and aliases to more than {limit} values "
                        "(a 'billion laughs' file?)",
                        f"write the repeated parts out, or raise the limit with the "
                        f"environment variable {MAX_ALIASES_ENV}=N if the lab is meant to be "
                        "this large",
                    )
                ],
            ) from None
        if walker.too_long:
            problems.raise_if_any(source)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as e:
            raise LabError(source, [_yaml_problem(e, line_of)]) from None
        except ValueError as e:  # a scalar the walk did not foresee; never a traceback
            raise LabError(
                source, [Problem("", None, f"a value cannot be read: {clip(str(e), 200)}", None)]
            ) from None
    except RecursionError:
        raise LabError(
            source, [Problem("", None, "the YAML is nested too deeply to be a lab", None)]
        ) from None
    finally:
        loader.dispose()
    problems.raise_if_any(source)
    return _Parsed(data, walker.lines, walker.base60)


def parse_yaml(text: str, source: str = "<string>") -> tuple[Any, dict[str, int]]:
    """YAML text → (data, line map). Raises ``LabError`` for YAML problems."""
    parsed = _parse(text, source)
    return parsed.data, parsed.lines
