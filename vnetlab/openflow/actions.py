"""OpenFlow actions as OVS holds them (``struct ofpact``, ``lib/ofp-actions.c``).

Design note: one frozen dataclass per action kind; a flow's actions are a ``tuple`` of them
(empty = ``drop``). Outputs to reserved ports are their own classes (:class:`Normal`,
:class:`Flood`, :class:`All`, :class:`InPort`, :class:`Local`, :class:`Controller`) so the
translator never compares magic numbers; :class:`Output` is a real port (or ``TABLE``).

Setting a field is one class, :class:`SetField` (OVS's ``OFPACT_SET_FIELD``), whatever
syntax wrote it: ``set_field:``, ``load:`` and the OpenFlow 1.0 ``mod_dl_src:``-style
actions; ``raw`` remembers the spelling so it prints back as OVS prints it (OVS keeps
``ofpact.raw`` for the same reason). ``mod_vlan_vid``/``mod_vlan_pcp`` stay separate because
they push a tag when there is none.

A flow added over OpenFlow 1.0 (``ovs-ofctl`` without ``-O``) passes through the OpenFlow 1.0
+ Nicira wire encoding on its way into the switch; :func:`through_of10` applies what that
encoding does to the actions (``goto_table`` becomes ``resubmit(,N)``, ``write_actions`` and
``clear_actions`` vanish, ``set_field`` becomes ``mod_*`` or ``load``), because that is what
the switch then stores, runs and dumps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vnetlab.openflow.fields import FIELDS, MfField
from vnetlab.openflow.match import (
    PortNamer,
    format_eth,
    format_ip,
    format_port,
)

__all__ = [
    "OFPP_ALL",
    "OFPP_ANY",
    "OFPP_CONTROLLER",
    "OFPP_FLOOD",
    "OFPP_IN_PORT",
    "OFPP_LOCAL",
    "OFPP_MAX",
    "OFPP_NORMAL",
    "OFPP_TABLE",
    "Action",
    "All",
    "ClearActions",
    "Controller",
    "DecTtl",
    "Enqueue",
    "Flood",
    "GotoTable",
    "Group",
    "InPort",
    "Learn",
    "LearnSpec",
    "Local",
    "Move",
    "Normal",
    "Note",
    "Output",
    "OutputReg",
    "PopVlan",
    "PushVlan",
    "Resubmit",
    "SetField",
    "SetTunnel",
    "SetVlanPcp",
    "SetVlanVid",
    "StripVlan",
    "Subfield",
    "WriteActions",
    "WriteMetadata",
    "format_actions",
    "through_of10",
]

OFPP_MAX = 0xFF00
OFPP_IN_PORT = 0xFFF8
OFPP_TABLE = 0xFFF9
OFPP_NORMAL = 0xFFFA
OFPP_FLOOD = 0xFFFB
OFPP_ALL = 0xFFFC
OFPP_CONTROLLER = 0xFFFD
OFPP_LOCAL = 0xFFFE
OFPP_ANY = 0xFFFF


@dataclass(frozen=True)
class Subfield:
    """``struct mf_subfield``: ``nbits`` bits at ``ofs`` of a field (``NXM_NX_REG0[0..3]``)."""

    field: MfField
    ofs: int
    nbits: int

    def format(self) -> str:
        """``mf_format_subfield``."""
        name = self.field.nxm or self.field.name
        if self.ofs == 0 and self.nbits == self.field.nbits:
            return f"{name}[]"
        if self.nbits == 1:
            return f"{name}[{self.ofs}]"
        return f"{name}[{self.ofs}..{self.ofs + self.nbits - 1}]"

    @property
    def mask(self) -> int:
        """The bits within the field."""
        return ((1 << self.nbits) - 1) << self.ofs


@dataclass(frozen=True)
class Output:
    port: int
    max_len: int = 0


@dataclass(frozen=True)
class OutputReg:
    src: Subfield
    max_len: int = 0xFFFF


@dataclass(frozen=True)
class Enqueue:
    port: int
    queue: int


@dataclass(frozen=True)
class Normal:
    pass


@dataclass(frozen=True)
class Flood:
    pass


@dataclass(frozen=True)
class All:
    pass


@dataclass(frozen=True)
class InPort:
    pass


@dataclass(frozen=True)
class Local:
    pass


@dataclass(frozen=True)
class Controller:
    """To the controller (counted; nobody listens). ``reason``/``controller_id`` as
    ``controller(reason=...,id=...)``."""

    max_len: int = 0xFFFF
    reason: str = ""
    controller_id: int = 0


@dataclass(frozen=True)
class Resubmit:
    """``resubmit(port,table)``: ``port`` OFPP_IN_PORT keeps the packet's in_port,
    ``table`` 255 means the current table."""

    port: int = OFPP_IN_PORT
    table: int = 255


@dataclass(frozen=True)
class GotoTable:
    table: int


@dataclass(frozen=True)
class WriteActions:
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class ClearActions:
    pass


@dataclass(frozen=True)
class WriteMetadata:
    value: int
    mask: int = (1 << 64) - 1


@dataclass(frozen=True)
class Group:
    group_id: int


@dataclass(frozen=True)
class PushVlan:
    ethertype: int = 0x8100


@dataclass(frozen=True)
class StripVlan:
    """``strip_vlan`` (OF1.0) or ``pop_vlan`` (OF1.1+): the same action."""

    raw: str = "strip_vlan"


PopVlan = StripVlan


@dataclass(frozen=True)
class SetVlanVid:
    """``mod_vlan_vid`` pushes a tag if the packet has none; ``set_vlan_vid`` does not."""

    vid: int
    push_if_needed: bool = True


@dataclass(frozen=True)
class SetVlanPcp:
    pcp: int
    push_if_needed: bool = True


@dataclass(frozen=True)
class SetField:
    """Set ``mask`` bits of field ``field`` (an mf name, see ``fields.FIELDS``) to ``value``.

    ``raw``: ``set_field``, ``load``, or the action it came in as (``mod_dl_src``,
    ``mod_dl_dst``, ``mod_nw_src``, ``mod_nw_dst``, ``mod_nw_tos``, ``mod_tp_src``,
    ``mod_tp_dst``, ``mod_nw_ecn``, ``mod_nw_ttl``)."""

    field: str
    value: int
    mask: int
    raw: str = "set_field"

    @property
    def mf(self) -> MfField:
        return FIELDS[self.field]


@dataclass(frozen=True)
class Move:
    src: Subfield
    dst: Subfield


@dataclass(frozen=True)
class DecTtl:
    """``dec_ttl``; ``ids`` non-empty for the ``dec_ttl(1,2)`` form."""

    ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SetTunnel:
    tun_id: int
    wide: bool = False


@dataclass(frozen=True)
class Note:
    data: bytes


@dataclass(frozen=True)
class LearnSpec:
    """One ``learn`` spec (``struct ofpact_learn_spec``): ``kind`` is ``match``
    (dst[=src or =value]), ``load`` (``load:src->dst``) or ``output`` (``output:src``)."""

    kind: str
    dst: Subfield | None
    src: Subfield | None = None
    value: int | None = None


@dataclass(frozen=True)
class Learn:
    table: int = 1
    idle_timeout: int = 0
    hard_timeout: int = 0
    priority: int = 0x8000
    cookie: int = 0
    fin_idle_timeout: int = 0
    fin_hard_timeout: int = 0
    send_flow_rem: bool = False
    delete_learned: bool = False
    specs: tuple[LearnSpec, ...] = ()


Action = (Output | OutputReg | Enqueue | Normal | Flood | All | InPort | Local | Controller
          | Resubmit | GotoTable | WriteActions | ClearActions | WriteMetadata | Group
          | PushVlan | StripVlan | SetVlanVid | SetVlanPcp | SetField | Move | DecTtl
          | SetTunnel | Note | Learn)

_MOD_FIELD = {"mod_dl_src": "eth_src", "mod_dl_dst": "eth_dst", "mod_nw_src": "ip_src",
              "mod_nw_dst": "ip_dst", "mod_nw_tos": "nw_tos", "mod_tp_src": "tcp_src",
              "mod_tp_dst": "tcp_dst"}


def _hexc(n: int) -> str:
    return f"{n:#x}" if n else "0"


def _load_segments(a: SetField) -> list[tuple[int, Subfield]]:
    """``next_load_segment``: one ``load`` per contiguous run of mask bits."""
    mf = a.mf
    out: list[tuple[int, Subfield]] = []
    mask = a.mask
    ofs = 0
    while mask >> ofs:
        if not (mask >> ofs) & 1:
            ofs += 1
            continue
        n = 0
        while (mask >> (ofs + n)) & 1:
            n += 1
        out.append(((a.value >> ofs) & ((1 << n) - 1), Subfield(mf, ofs, n)))
        ofs += n
    return out


def _format_field_value(mf: MfField, value: int, names: PortNamer) -> str:
    if mf.string == "mac":
        return format_eth(value)
    if mf.string == "ipv4":
        return format_ip(value)
    if mf.string == "port":
        return format_port(value, names)
    if mf.string == "hex":
        return _hexc(value)
    return str(value)


def format_action(a: Action, names: PortNamer = None) -> str:
    """The ``format_*`` function of one action."""
    if isinstance(a, Output):
        if a.port < OFPP_MAX:
            return "output:" + format_port(a.port, names)
        return format_port(a.port, names)
    if isinstance(a, Normal):
        return "NORMAL"
    if isinstance(a, Flood):
        return "FLOOD"
    if isinstance(a, All):
        return "ALL"
    if isinstance(a, InPort):
        return "IN_PORT"
    if isinstance(a, Local):
        return "LOCAL"
    if isinstance(a, Controller):
        if not a.reason and not a.controller_id:
            return f"CONTROLLER:{a.max_len}"
        parts = []
        if a.reason:
            parts.append(f"reason={a.reason}")
        if a.max_len != 0xFFFF:
            parts.append(f"max_len={a.max_len}")
        if a.controller_id:
            parts.append(f"id={a.controller_id}")
        return "controller(" + ",".join(parts) + ")"
    if isinstance(a, OutputReg):
        return "output:" + a.src.format()
    if isinstance(a, Enqueue):
        return f"enqueue:{format_port(a.port, names)}:{a.queue}"
    if isinstance(a, Resubmit):
        if a.port != OFPP_IN_PORT and a.table == 255:
            return "resubmit:" + format_port(a.port, names)
        port = format_port(a.port, names) if a.port != OFPP_IN_PORT else ""
        table = str(a.table) if a.table != 255 else ""
        return f"resubmit({port},{table})"
    if isinstance(a, GotoTable):
        return f"goto_table:{a.table}"
    if isinstance(a, WriteActions):
        return f"write_actions({format_actions(a.actions, names)})"
    if isinstance(a, ClearActions):
        return "clear_actions"
    if isinstance(a, WriteMetadata):
        text = f"write_metadata:{_hexc(a.value)}"
        return text if a.mask == (1 << 64) - 1 else f"{text}/{_hexc(a.mask)}"
    if isinstance(a, Group):
        return f"group:{a.group_id}"
    if isinstance(a, PushVlan):
        return f"push_vlan:{a.ethertype:#x}"
    if isinstance(a, StripVlan):
        return a.raw
    if isinstance(a, SetVlanVid):
        return f"{'mod' if a.push_if_needed else 'set'}_vlan_vid:{a.vid}"
    if isinstance(a, SetVlanPcp):
        return f"{'mod' if a.push_if_needed else 'set'}_vlan_pcp:{a.pcp}"
    if isinstance(a, SetField):
        return _format_set_field(a, names)
    if isinstance(a, Move):
        return f"move:{a.src.format()}->{a.dst.format()}"
    if isinstance(a, DecTtl):
        return "dec_ttl(" + ",".join(map(str, a.ids)) + ")" if a.ids else "dec_ttl"
    if isinstance(a, SetTunnel):
        wide = a.wide or a.tun_id > 0xFFFFFFFF
        return f"set_tunnel{'64' if wide else ''}:{_hexc(a.tun_id)}"
    if isinstance(a, Note):
        return "note:" + ".".join(f"{b:02x}" for b in a.data)
    if isinstance(a, Learn):
        return _format_learn(a, names)
    raise TypeError(a)


def _format_set_field(a: SetField, names: PortNamer) -> str:
    if a.raw == "load":
        return ",".join(f"load:{_hexc(v)}->{sub.format()}" for v, sub in _load_segments(a))
    if a.raw in ("mod_nw_ecn", "mod_nw_ttl"):
        return f"{a.raw}:{a.value}"
    if a.raw in _MOD_FIELD:
        mf = a.mf
        if a.raw == "mod_nw_tos":
            return f"mod_nw_tos:{a.value}"
        return f"{a.raw}:{_format_field_value(mf, a.value, names)}"
    mf = a.mf
    full = (1 << mf.nbits) - 1
    text = _format_field_value(mf, a.value, names)
    if a.mask != full:
        text += "/" + (_format_field_value(mf, a.mask, None) if mf.string in ("mac", "ipv4")
                       else _hexc(a.mask))
    return f"set_field:{text}->{mf.name}"


def _format_learn(a: Learn, names: PortNamer) -> str:
    """``learn_format``."""
    parts = [f"table={a.table}"]
    if a.idle_timeout:
        parts.append(f"idle_timeout={a.idle_timeout}")
    if a.hard_timeout:
        parts.append(f"hard_timeout={a.hard_timeout}")
    if a.fin_idle_timeout:
        parts.append(f"fin_idle_timeout={a.fin_idle_timeout}")
    if a.fin_hard_timeout:
        parts.append(f"fin_hard_timeout={a.fin_hard_timeout}")
    if a.priority != 0x8000:
        parts.append(f"priority={a.priority}")
    if a.send_flow_rem:
        parts.append("send_flow_rem")
    if a.delete_learned:
        parts.append("delete_learned")
    if a.cookie:
        parts.append(f"cookie={_hexc(a.cookie)}")
    for s in a.specs:
        if s.kind == "match":
            assert s.dst is not None
            if s.src is None and s.dst.ofs == 0 and s.dst.nbits == s.dst.field.nbits:
                parts.append(f"{s.dst.field.name}="
                             + _format_field_value(s.dst.field, s.value or 0, names))
            elif s.src is None:
                parts.append(f"{s.dst.format()}={_hexc(s.value or 0)}")
            elif s.src == s.dst:
                parts.append(s.dst.format())
            else:
                parts.append(f"{s.dst.format()}={s.src.format()}")
        elif s.kind == "load":
            assert s.dst is not None
            src = s.src.format() if s.src is not None else _hexc(s.value or 0)
            parts.append(f"load:{src}->{s.dst.format()}")
        else:
            assert s.src is not None
            parts.append(f"output:{s.src.format()}")
    return "learn(" + ",".join(parts) + ")"


def format_actions(acts: Iterable[Action], names: PortNamer = None) -> str:
    """``ofpacts_format``: comma-separated, ``drop`` when empty."""
    text = ",".join(format_action(a, names) for a in acts)
    return text or "drop"


def _set_field_of10(a: SetField) -> list[Action]:
    """``set_field_to_legacy_openflow`` for OpenFlow 1.0, else ``load``."""
    if a.raw in ("mod_nw_ecn", "mod_nw_ttl"):
        return [SetField(a.field, a.value, a.mask, "load")]    # Nicira reg_load
    if a.raw != "set_field":
        return [a]
    f = a.field
    if f == "vlan_tci":
        if a.value & 0x1000:
            return [SetVlanVid(a.value & 0xFFF), SetVlanPcp(a.value >> 13)]
        return [StripVlan()]
    if f == "vlan_vid":
        return [SetVlanVid(a.value & 0xFFF)]
    if f == "vlan_pcp":
        return [SetVlanPcp(a.value)]
    legacy = {"eth_src": "mod_dl_src", "eth_dst": "mod_dl_dst", "ip_src": "mod_nw_src",
              "ip_dst": "mod_nw_dst", "nw_tos": "mod_nw_tos", "tcp_src": "mod_tp_src",
              "udp_src": "mod_tp_src", "tcp_dst": "mod_tp_dst", "udp_dst": "mod_tp_dst"}
    if f == "ip_dscp":
        return [SetField("nw_tos", (a.value << 2) & 0xFC, 0xFC, "mod_nw_tos")]
    if f.startswith("tun_metadata"):
        return [a]      # variable length: NXAST_REG_LOAD2, which prints as set_field
    if f in legacy:
        field = "tcp_src" if legacy[f] == "mod_tp_src" else (
            "tcp_dst" if legacy[f] == "mod_tp_dst" else f)
        # the legacy action sets the whole field: a set_field's mask is lost on the way
        # (``ovs-ofctl add-flow 'actions=set_field:00:00:00:00:01:01/00:00:00:00:00:ff->eth_dst'``
        # dumps as ``mod_dl_dst:00:00:00:00:01:01``, measured on OVS 3.1)
        return [SetField(field, a.value, (1 << FIELDS[field].nbits) - 1, legacy[f])]
    return [SetField(f, a.value, a.mask, "load")]


def through_of10(acts: Iterable[Action]) -> tuple[Action, ...]:
    """What the OpenFlow 1.0 + Nicira encoding leaves of ``acts`` (see the design note)."""
    out: list[Action] = []
    for a in acts:
        if isinstance(a, GotoTable):
            out.append(Resubmit(OFPP_IN_PORT, a.table))
        elif isinstance(a, WriteActions | ClearActions | PushVlan):
            # no OpenFlow 1.0 encoding (a push is implied by the mod_vlan_vid after it)
            continue
        elif isinstance(a, SetField):
            out.extend(_set_field_of10(a))
        elif isinstance(a, StripVlan):
            out.append(StripVlan())
        elif isinstance(a, SetVlanVid):
            # OpenFlow 1.0's SET_VLAN_VID decodes as the tag-pushing mod_vlan_vid
            out.append(SetVlanVid(a.vid))
        elif isinstance(a, SetVlanPcp):
            out.append(SetVlanPcp(a.pcp))
        else:
            out.append(a)
    return tuple(out)
