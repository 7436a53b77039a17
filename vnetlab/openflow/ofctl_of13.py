"""How actions print when ``ovs-ofctl -O OpenFlow13`` dumps them.

Design note: the switch re-encodes its actions for the OpenFlow version of the request, and
``ovs-ofctl`` prints what it decodes, so an OpenFlow 1.0 ``mod_dl_src`` comes back as
``set_field:...->eth_src`` and ``mod_vlan_vid`` as ``push_vlan`` + ``set_field`` when the flow
does not match a VLAN (``set_field_to_legacy_openflow``/``encode_SET_VLAN_VID`` for OpenFlow
1.1+). Only the conversions of the actions we model are covered.
"""

from __future__ import annotations

from collections.abc import Iterable

from vnetlab.openflow.actions import (
    Action,
    Enqueue,
    SetField,
    SetVlanPcp,
    SetVlanVid,
    StripVlan,
    WriteActions,
    format_action,
)
from vnetlab.openflow.match import Match, PortNamer, format_port

__all__ = ["format_actions_of13"]

_MOD_TO_FIELD = {"mod_dl_src": "eth_src", "mod_dl_dst": "eth_dst", "mod_nw_src": "ip_src",
                 "mod_nw_dst": "ip_dst"}


def _l4_field(match: Match | None, side: str) -> str:
    proto = match.values.get("nw_proto", 0) if match is not None else 0
    return ("udp_" if proto == 17 else "tcp_") + side


def _has_vlan(match: Match | None) -> bool:
    return match is not None and bool(match.values.get("vlan_tci", 0) & 0x1000)


def _of13(a: Action, match: Match | None, pushed: list[bool]) -> list[str]:
    if isinstance(a, SetField):
        if a.raw in _MOD_TO_FIELD:
            return [format_action(SetField(_MOD_TO_FIELD[a.raw], a.value, a.mask))]
        if a.raw == "mod_nw_tos":
            return [f"set_field:{a.value >> 2}->ip_dscp"]
        if a.raw in ("mod_tp_src", "mod_tp_dst"):
            field = _l4_field(match, a.raw[-3:])
            return [f"set_field:{a.value}->{field}"]
        if a.raw == "set_field" and a.field == "vlan_vid":
            return [f"set_field:{a.value | 0x1000}->vlan_vid"]
        return [format_action(a)]
    if isinstance(a, SetVlanVid | SetVlanPcp):
        out = []
        if a.push_if_needed and not _has_vlan(match) and not pushed[0]:
            out.append("push_vlan:0x8100")
            pushed[0] = True
        if isinstance(a, SetVlanVid):
            out.append(f"set_field:{a.vid | 0x1000}->vlan_vid")
        else:
            out.append(f"set_field:{a.pcp}->vlan_pcp")
        return out
    if isinstance(a, StripVlan):
        return ["pop_vlan"]
    if isinstance(a, Enqueue):
        # OpenFlow 1.1+ has no enqueue: set_queue + output, then the queue is reset
        return [f"set_queue:{a.queue}", "output:" + format_port(a.port), "pop_queue"]
    if isinstance(a, WriteActions):
        return ["write_actions(" + format_actions_of13(a.actions, match, None) + ")"]
    return [format_action(a)]


def format_actions_of13(acts: Iterable[Action], match: Match | None,
                        names: PortNamer) -> str:
    """``ofpacts_format`` of the actions as an OpenFlow 1.3 reply decodes them."""
    pushed = [False]
    out: list[str] = []
    for a in acts:
        if names is not None:
            out.append(format_action(a, names) if not isinstance(
                a, SetField | SetVlanVid | SetVlanPcp | StripVlan | WriteActions)
                else ",".join(_of13(a, match, pushed)))
        else:
            out.extend(_of13(a, match, pushed))
    return ",".join(out) or "drop"
