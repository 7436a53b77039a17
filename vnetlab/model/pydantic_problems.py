"""Stage 2 of loading a lab: each pydantic validation error → a ``Problem`` in words.

Design note
-----------
``LabSpec.model_validate`` reports errors by ``loc`` tuples that include the tags of
discriminated unions (``veth``, ``ping``); ``_walk_loc`` follows the loc through the
model's own types to drop those and find the type at the end, so the problem names the
YAML path the user wrote. The message becomes a sentence (unknown keys list the known ones
and suggest the closest; a type error says what was expected and what was found, with a
"quote it" hint for YAML 1.1's base-60 numbers).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from vnetlab.model.errors import Problem, ProblemList, clip, did_you_mean, format_path
from vnetlab.model.spec import SPEC_BY_KIND, LabSpec

_CHECK_KINDS = ("ping", "trace", "fdb", "frames", "stp", "storm", "link", "wait", "counter",
                "inject")



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
