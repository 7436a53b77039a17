"""The ``learn(...)`` action syntax (``learn_parse`` in ``lib/learn.c``) and building the flow
it learns (``learn_execute``).

Design note: specs are kept as :class:`LearnSpec` (match ``dst[=src|=value]``,
``load:src->dst``, ``output:src``); :func:`learned_flow` turns one into the match and actions
of the flow a packet teaches, given the packet's flow key. Learned flows go in the table with
``idle_timeout``/``hard_timeout``/``priority``/``cookie`` as written.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.openflow.actions import Action, Learn, LearnSpec, OutputReg, SetField, Subfield
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_scan import (
    PortNumber,
    parse_key_values,
    parse_subfield,
    parse_table,
    strtoull,
)
from vnetlab.openflow.ofctl_values import parse_field_value

__all__ = ["learned_flow", "parse_learn", "read_subfield"]

_INT_KEYS = ("idle_timeout", "hard_timeout", "fin_idle_timeout", "fin_hard_timeout",
             "priority")


def _u16(text: str, name: str) -> int:
    parsed = strtoull(text) if text else None
    if parsed is None or parsed[1] or parsed[0] > 0xFFFF:
        raise OfctlError(f'invalid {name} "{text}"')
    return parsed[0]


def _immediate(orig: str, dst: Subfield, text: str) -> int:
    parsed = strtoull(text)
    if parsed is None or parsed[1]:
        raise OfctlError(f"{orig}: cannot parse integer value")
    if parsed[0] >> dst.nbits:
        raise OfctlError(f"{orig}: value {parsed[0]:#x} does not fit into {dst.nbits} bits")
    return parsed[0]


def parse_learn(arg: str, port_number: PortNumber) -> Learn:
    """``learn_parse__``."""
    kw: dict[str, int | bool] = {}
    specs: list[LearnSpec] = []
    table = 1
    for name, value in parse_key_values(arg):
        if name == "table":
            table = parse_table(value, f'unknown table "{value}"')
            if table == 255:
                raise OfctlError(f"{arg}: table id 255 not valid for `learn' action")
        elif name in _INT_KEYS:
            kw[name] = _u16(value, name)
        elif name == "cookie":
            parsed = strtoull(value) if value else None
            if parsed is None or parsed[1]:
                raise OfctlError(f"invalid numeric format {value}")
            kw["cookie"] = parsed[0]
        elif name in ("send_flow_rem", "delete_learned"):
            kw[name] = True
        elif name == "load":
            src_s, sep, dst_s = value.partition("->")
            if not sep:
                raise OfctlError(f"{name}: missing `->' in `{value}'")
            if not src_s:
                raise OfctlError(f"{name}: missing source before `->' in `{value}'")
            dst = parse_subfield(dst_s)
            if "[" in src_s or not src_s[:1].isdigit():
                specs.append(LearnSpec("load", dst, parse_subfield(src_s)))
            else:
                specs.append(LearnSpec("load", dst, None, _immediate(arg, dst, src_s)))
        elif name == "output":
            specs.append(LearnSpec("output", None, parse_subfield(value)))
        else:
            try:
                dst = parse_subfield(name)
            except OfctlError:
                raise OfctlError(f"{arg}: unknown keyword {name}") from None
            if not value:
                specs.append(LearnSpec("match", dst, dst))
                continue
            try:
                src = parse_subfield(value)
            except OfctlError:
                if dst.ofs == 0 and dst.nbits == dst.field.nbits:
                    imm, _ = parse_field_value(dst.field, value, port_number)
                else:
                    imm = _immediate(arg, dst, value)
                specs.append(LearnSpec("match", dst, None, imm))
                continue
            if src.nbits != dst.nbits:
                raise OfctlError(f"{arg}: bit widths of {name} ({dst.nbits}) and {value} "
                                 f"({src.nbits}) differ")
            specs.append(LearnSpec("match", dst, src))
    return Learn(table=table, specs=tuple(specs), **kw)  # type: ignore[arg-type]


def read_subfield(key: Mapping[str, int], sub: Subfield) -> int:
    """The subfield's bits (shifted down) out of a flow key."""
    mf = sub.field
    return (mf.from_member(key.get(mf.member, 0)) >> sub.ofs) & ((1 << sub.nbits) - 1)


def learned_flow(learn: Learn, key: Mapping[str, int]) -> tuple[Match, tuple[Action, ...]]:
    """``learn_execute``: the match and actions of the flow ``learn`` adds for ``key``."""
    match = Match()
    acts: list[Action] = []
    for spec in learn.specs:
        value = read_subfield(key, spec.src) if spec.src is not None else (spec.value or 0)
        if spec.kind == "match":
            assert spec.dst is not None
            dst = spec.dst
            mv, mm = dst.field.to_member(value << dst.ofs, dst.mask)
            match.set(dst.field.member, mv, mm)
        elif spec.kind == "load":
            assert spec.dst is not None
            dst = spec.dst
            acts.append(SetField(dst.field.name, value << dst.ofs, dst.mask, "load"))
        else:
            assert spec.src is not None
            from vnetlab.openflow.actions import Output
            acts.append(Output(value))
    _ = OutputReg
    return match, tuple(acts)
