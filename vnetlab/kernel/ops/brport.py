"""The ``bridge`` command on a bridge's ports: port flags, static FDB entries, VLANs.

Design note
-----------
These act on a port (``AF_BRIDGE`` requests on the port's ifindex, handled by the bridge it
is enslaved to: ``br_setlink``, ``br_fdb_add``), whatever kind the port itself is.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized


def _onoff(b: bool) -> str:
    return "on" if b else "off"


@dataclass(frozen=True, slots=True)
class SetBrportFlags(Op):
    """``bridge link set dev PORT learning L flood F hairpin H``: ``RTM_SETLINK``
    ``AF_BRIDGE`` with a nested ``IFLA_PROTINFO`` (``br_setport``)."""

    ifname: str = ""
    learning: bool = True
    flood: bool = True
    hairpin: bool = False

    def shell(self) -> str:
        return (
            f"bridge -n {self.ns} link set dev {self.ifname} learning {_onoff(self.learning)} "
            f"flood {_onoff(self.flood)} hairpin {_onoff(self.hairpin)}"
        )

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname), family=M.AF_BRIDGE) + M.nest(
            M.IFLA_PROTINFO | M.NLA_F_NESTED,
            M.u8(M.IFLA_BRPORT_LEARNING, int(self.learning)),
            M.u8(M.IFLA_BRPORT_UNICAST_FLOOD, int(self.flood)),
            M.u8(M.IFLA_BRPORT_MODE, int(self.hairpin)),
        )
        h.sock.send_raw(M.RTM_SETLINK, body, tag=self)


@dataclass(frozen=True, slots=True)
class AddFdb(Op):
    """``bridge fdb add MAC dev PORT master static``: ``RTM_NEWNEIGH`` ``AF_BRIDGE``,
    ``NTF_MASTER``, state ``NUD_NOARP | NUD_REACHABLE`` exactly as ``bridge/fdb.c`` sends."""

    bridge: str = ""
    dev: str = ""
    mac: str = ""

    def shell(self) -> str:
        return f"bridge -n {self.ns} fdb add {self.mac} dev {self.dev} master static"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ndmsg(M.AF_BRIDGE, self.ifindex(h, self.dev), M.NUD_NOARP | M.NUD_REACHABLE,
                       M.NTF_MASTER)
        body += M.mac(M.NDA_LLADDR, self.mac)
        h.sock.send_raw(M.RTM_NEWNEIGH, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)


@dataclass(frozen=True, slots=True)
class BridgeVlanOp(Op):
    """``bridge vlan add|del vid V[-E] dev DEV [pvid] [untagged] [self]``: ``RTM_SETLINK``/
    ``RTM_DELLINK`` ``AF_BRIDGE`` with ``IFLA_AF_SPEC`` {``IFLA_BRIDGE_FLAGS`` (self),
    ``IFLA_BRIDGE_VLAN_INFO``...} (``br_setlink``/``br_dellink``)."""

    dev: str = ""
    vid: int = 1
    vid_end: int | None = None
    pvid: bool = False
    untagged: bool = False
    self_: bool = False  # the bridge device's own VLANs
    delete: bool = False

    def shell(self) -> str:
        vid = f"{self.vid}-{self.vid_end}" if self.vid_end else str(self.vid)
        parts = [f"bridge -n {self.ns} vlan {'del' if self.delete else 'add'} vid {vid} "
                 f"dev {self.dev}"]
        if self.pvid:
            parts.append("pvid")
        if self.untagged:
            parts.append("untagged")
        if self.self_:
            parts.append("self")
        return " ".join(parts)

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        flags = (M.BRIDGE_VLAN_INFO_PVID if self.pvid else 0) | (
            M.BRIDGE_VLAN_INFO_UNTAGGED if self.untagged else 0)
        spec = M.u16(M.IFLA_BRIDGE_FLAGS, M.BRIDGE_FLAGS_SELF) if self.self_ else b""
        if self.vid_end:
            spec += M.bridge_vlan_info(flags | M.BRIDGE_VLAN_INFO_RANGE_BEGIN, self.vid)
            spec += M.bridge_vlan_info(flags | M.BRIDGE_VLAN_INFO_RANGE_END, self.vid_end)
        else:
            spec += M.bridge_vlan_info(flags, self.vid)
        body = M.ifinfomsg(self.ifindex(h, self.dev), family=M.AF_BRIDGE)
        body += M.nest(M.IFLA_AF_SPEC, spec)
        h.sock.send_raw(M.RTM_DELLINK if self.delete else M.RTM_SETLINK, body, tag=self)


#: if_link.h IFLA_BRPORT_* numbers of the STP port settings
IFLA_BRPORT_PRIORITY = 2
IFLA_BRPORT_COST = 3


@dataclass(frozen=True, slots=True)
class SetBrportStp(Op):
    """``bridge link set dev PORT [cost N] [priority N]``: the STP path cost and port
    priority (``br_stp_set_path_cost``, ``br_stp_set_port_priority``)."""

    ifname: str = ""
    cost: int | None = None
    priority: int | None = None

    def shell(self) -> str:
        s = f"bridge -n {self.ns} link set dev {self.ifname}"
        if self.cost is not None:
            s += f" cost {self.cost}"
        if self.priority is not None:
            s += f" priority {self.priority}"
        return s

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        attrs = b""
        if self.priority is not None:
            attrs += M.u16(IFLA_BRPORT_PRIORITY, self.priority)
        if self.cost is not None:
            attrs += M.u32(IFLA_BRPORT_COST, self.cost)
        body = M.ifinfomsg(self.ifindex(h, self.ifname), family=M.AF_BRIDGE) + M.nest(
            M.IFLA_PROTINFO | M.NLA_F_NESTED, attrs)
        h.sock.send_raw(M.RTM_SETLINK, body, tag=self)
