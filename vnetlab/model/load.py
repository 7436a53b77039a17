"""Load a lab from YAML: text → raw data + line map → ``LabSpec`` → ``resolve()``.

Design note
-----------
Three stages, each collecting every problem it can before raising one ``LabError``:

1. YAML. PyYAML's safe loader composes the node graph; we walk it *before* constructing
   Python objects to record the 1-based line of every mapping key and sequence item under
   its path (``nodes.a.interfaces.eth0.addresses[0]``) and to find duplicate keys, which
   PyYAML would silently overwrite. Merge keys (``<<: *anchor``) are honoured; aliases
   that expand to an absurd size (a "billion laughs" file) are refused: the guard counts
   the nodes reached *again* through an alias, so a large plain lab is never refused.
   The walk also finds what constructing would choke on or silently misread: integers
   too long for ``int()`` (Python's digit limit) are refused with their path, and numbers
   YAML 1.1 read as base 60 (an unquoted MAC such as ``12:34:56:12:34:56``) are
   remembered so a type error there can say "quote it".
2. Types. ``LabSpec.model_validate``; each pydantic error becomes a ``Problem``: its ``loc``
   becomes a YAML path (union tag segments such as ``veth`` or ``ping`` dropped by walking
   the model's own types), its message a human sentence (unknown keys list the known ones
   and suggest the closest).
3. References. ``resolve()`` with the line map, so its problems have lines too.
"""

from __future__ import annotations

import bisect
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Tag, ValidationError

from vnetlab.model.errors import (
    LabError,
    Problem,
    ProblemList,
    clip,
    did_you_mean,
    format_path,
)
from vnetlab.model.origin import remember
from vnetlab.model.resolver import resolve
from vnetlab.model.spec import SPEC_BY_KIND, LabSpec

__all__ = ["LabError", "Problem", "load_lab", "load_lab_text", "parse_yaml"]

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
_CHECK_KINDS = ("ping", "trace", "fdb", "frames", "stp", "storm", "link", "wait", "counter",
                "inject")


# -- stage 1: YAML with lines ---------------------------------------------------------------


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

    def _scalar(self, node: yaml.ScalarNode, segs: tuple[object, ...], record: bool) -> bool:
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
            self.base60[format_path(segs)] = text
        return True

    def _key(self, node: yaml.Node, segs: tuple[object, ...]) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        if not self._scalar(node, segs, record=False):
            return None
        try:
            key = self.loader.construct_object(node, deep=True)
            hash(key)
        except Exception:  # noqa: BLE001 - reported by construct_document later
            return None
        return key

    def _record(self, segs: tuple[object, ...], line: int, overwrite: bool) -> None:
        path = format_path(segs)
        if overwrite or path not in self.lines:
            self.lines[path] = line

    def walk(self, node: yaml.Node, segs: tuple[object, ...], record: bool = True) -> None:
        self._count(node)
        if id(node) in self.active:
            return
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.ScalarNode):
                self._scalar(node, segs, record)
            elif isinstance(node, yaml.MappingNode):
                self._mapping(node, segs, record)
            elif isinstance(node, yaml.SequenceNode):
                for idx, item in enumerate(node.value):
                    if record:
                        self._record((*segs, idx), self.line(item.start_mark), True)
                    self.walk(item, (*segs, idx), record)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, segs: tuple[object, ...], record: bool) -> None:
        seen: dict[Any, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._key(key_node, segs)
            line = self.line(key_node.start_mark)
            if key is None:
                self.walk(value_node, segs, record=False)
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
            if record:
                self._record((*segs, key), line, True)
            self.walk(value_node, (*segs, key), record)
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
                        key = self._key(key_node, segs)
                        if key is None or key in seen:
                            self.walk(value_node, segs, record=False)
                            continue
                        if record:
                            self._record((*segs, key), self.line(merge.start_mark), False)
                        self.walk(value_node, (*segs, key), record)
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


# -- stage 2: pydantic errors → problems ----------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _tag(arm: Any) -> str | None:
    if get_origin(arm) is typing.Annotated:
        for meta in get_args(arm)[1:]:
            if isinstance(meta, Tag):
                return meta.tag
    return None


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _walk_loc(loc: tuple[Any, ...]) -> tuple[list[Any], Any]:
    """Follow ``loc`` through LabSpec's types: (loc without union tags, type at the end)."""
    tp: Any = LabSpec
    kept: list[Any] = []
    for seg in loc:
        tp = _unwrap(tp)
        if tp is not None and _is_union(tp):
            arms = get_args(tp)
            tagged = {_tag(a): a for a in arms if _tag(a) is not None}
            if isinstance(seg, str) and seg in tagged:
                tp = tagged[seg]
                continue  # a tag segment: not part of the YAML path
            plain = [a for a in arms if a is not type(None)]
            tp = _unwrap(plain[0]) if len(plain) == 1 else None
        kept.append(seg)
        if tp is None:
            continue
        origin, args = get_origin(tp), get_args(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(seg) if isinstance(seg, str) else None
            tp = field.annotation if field is not None else None
        elif origin is dict:
            tp = args[1]
        elif origin is list:
            tp = args[0]
        elif origin is tuple and isinstance(seg, int) and seg < len(args):
            tp = args[seg]
        else:
            tp = None
    tp = _unwrap(tp)
    if tp is not None and _is_union(tp):
        plain = [a for a in get_args(tp) if a is not type(None)]
        tp = _unwrap(plain[0]) if len(plain) == 1 else tp
    return kept, tp


def _show(v: Any) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, str):
        return repr(clip(v, 60))
    return clip(str(v), 60)


_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "str": "a string",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
    "list": "a list",
    "tuple": "a list",
    "ip_v4_address": "an IPv4 address like 10.0.0.1",
}


def _data_at(data: Any, loc: list[Any]) -> Any:
    for seg in loc:
        try:
            data = data[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _translate(
    err: Mapping[str, Any], data: Any, base60: Mapping[str, str] | None = None
) -> tuple[list[Any], str, str | None]:
    """One pydantic error → (YAML path segments, message, hint)."""
    raw_loc = tuple(err.get("loc", ()))
    is_key = bool(raw_loc) and raw_loc[-1] == "[key]"
    if is_key:
        raw_loc = raw_loc[:-1]
    kind: str = err.get("type", "")
    msg: str = err.get("msg", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    loc, _ = _walk_loc(raw_loc)

    if kind in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return loc, msg, getattr(ctx.get("error"), "hint", None)
    if is_key:
        return loc, f"key {_show(value)} is not valid here: {msg}", None
    if kind == "extra_forbidden":
        key = raw_loc[-1] if raw_loc else "?"
        _, model = _walk_loc(raw_loc[:-1])
        known = list(getattr(model, "model_fields", {})) if isinstance(model, type) else []
        message = f"unknown key {key!r}" + (f" (known keys: {', '.join(known)})" if known else "")
        hint = did_you_mean(str(key), known)
        if (
            hint is None
            and isinstance(model, type)
            and issubclass(model, tuple(SPEC_BY_KIND.values()))
        ):
            owners = [k for k, cls in SPEC_BY_KIND.items() if key in cls.model_fields]
            if owners:
                kinds = " or ".join(owners)
                hint = f"{key!r} belongs to interfaces of type {kinds}; add 'type: {owners[0]}'"
        return loc, message, hint
    if kind == "missing":
        return loc[:-1], f"missing required key {loc[-1]!r}" if loc else "missing value", None
    if kind == "union_tag_invalid":
        tag = ctx.get("tag", "?")
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        choices = [t.strip() for t in expected.split(",") if t.strip()]
        if isinstance(value, dict) and "type" in value:
            loc = [*loc, "type"]
        hint = did_you_mean(str(tag), choices)
        return loc, f"unknown type {tag!r} (known types: {', '.join(choices)})", hint
    if kind == "check_kind":
        if isinstance(value, dict):
            keys = [str(k) for k in value]
            given = [k for k in keys if k in _CHECK_KINDS]
            if len(given) > 1:
                return (
                    loc,
                    f"a check has exactly one of the keys {', '.join(_CHECK_KINDS)}; this one "
                    f"has {' and '.join(given)}",
                    "write them as separate checks (one list item each)",
                )
            hints = [h for h in (did_you_mean(k, _CHECK_KINDS) for k in keys) if h]
            return (
                loc,
                f"a check needs one of the keys {', '.join(_CHECK_KINDS)}; found keys: "
                f"{', '.join(keys) or 'none'}",
                hints[0] if hints else None,
            )
        hint = None
        if isinstance(value, str):
            word = value.split(maxsplit=1)[0] if value.split() else ""
            if word in _CHECK_KINDS:
                hint = f"write it as a mapping: '{word}: {value[len(word) :].strip()}'"
        return loc, f"a check is a mapping such as 'ping: a -> 10.0.0.2', not {_show(value)}", hint
    if kind == "literal_error":
        hint = None
        if isinstance(value, bool):
            hint = "YAML reads yes/no/on/off as true/false; quote the word you mean"
        return loc, f"{_show(value)} is not one of {ctx.get('expected', '?')}", hint
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return loc, f"{_show(value)} is too small; the minimum is {limit}", None
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt"))
        return loc, f"{_show(value)} is too large; the maximum is {limit}", None
    if kind == "recursion_loop":
        return loc, "the YAML refers to itself (a recursive anchor)", None
    if kind in ("too_short", "too_long"):
        return loc, msg, None
    base = kind.split("_")[0] if kind not in _EXPECTED else kind
    for key in (kind.removesuffix("_type").removesuffix("_parsing"), base):
        if key in _EXPECTED:
            hint = None
            if value is None and key in ("model", "dict", "model_attributes"):
                hint = "write {} for a mapping with all defaults"
            text = (base60 or {}).get(format_path(loc))
            if text is not None and key in ("string", "str"):
                hint = (f"YAML 1.1 reads {text} as a base-60 number (like a clock time); "
                        f'quote it: "{text}"')
            return loc, f"expected {_EXPECTED[key]}, got {_show(value)}", hint
    return loc, f"{msg} (got {_show(value)})", None


def validation_problems(
    exc: ValidationError,
    data: Any,
    lines: Mapping[str, int],
    base60: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Translate every error of a ``LabSpec`` validation into a ``Problem``."""
    out = ProblemList(lines)
    for err in exc.errors(include_url=False):
        loc, message, hint = _translate(err, data, base60)
        out.add(loc, message, hint)
    return out.problems


# -- stage 3 and the public API --------------------------------------------------------------


def load_lab_text(text: str, source: str = "<string>") -> LabSpec:
    """Parse, validate and resolve a lab given as YAML text; raises ``LabError``."""
    parsed = _parse(text, source)
    data, lines = parsed.data, parsed.lines
    if not isinstance(data, dict):
        raise LabError(
            source,
            [
                Problem(
                    "",
                    lines.get(""),
                    f"the top level must be a mapping with keys name, nodes, links, checks; "
                    f"found {_show(data)}",
                    "start the file with 'name: my-lab' and 'nodes:'",
                )
            ],
        )
    try:
        lab = LabSpec.model_validate(data)
    except ValidationError as e:
        raise LabError(source, validation_problems(e, data, lines, parsed.base60)) from None
    except RecursionError:
        raise LabError(
            source, [Problem("", None, "the YAML is nested too deeply to be a lab", None)]
        ) from None
    resolved = resolve(lab, lines, source=source)
    remember(resolved, source, lines)  # for errors an engine finds later (lab_where)
    return resolved


def load_lab(path: str | Path) -> LabSpec:
    """Load ``lab.yaml``: parse, validate, resolve. Every user mistake raises ``LabError``."""
    p = Path(path)
    source = str(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise LabError(
            source, [Problem("", None, f"no such file: {source}", "check the path and name")]
        ) from None
    except IsADirectoryError:
        raise LabError(
            source, [Problem("", None, f"{source} is a directory, not a lab file", None)]
        ) from None
    except OSError as e:
        raise LabError(
            source, [Problem("", None, f"cannot read {source}: {e.strerror}", None)]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabError(
            source,
            [Problem("", None, f"not UTF-8 text (byte {e.start} cannot be decoded)", None)],
        ) from None
    return load_lab_text(text, source)
