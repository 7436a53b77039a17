"""``linkinfo`` of ``ip -d [-j] link show``: a device's kind and its kind's own attributes.

Design note
-----------
The kernel asks each kind for its attributes through ``rtnl_link_ops->fill_info``
(IFLA_INFO_DATA) and a bridge port's through ``fill_slave_info``
(IFLA_INFO_SLAVE_DATA). ``INFO_DATA`` is that table, one entry per IFLA_INFO_KIND, with
the keys and key order ``ip -d -j`` prints (checked against iproute2 6.1); a kind without
an entry reports only a string ``mode`` if its device has one. Adding a kind's ``ip -d``
detail is one function and one line in the table.
"""

from __future__ import annotations

from collections.abc import Callable

from vnetlab.script.args import Obj
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.udp_tunnel import UdpTunnelDevice
from vnetlab.sim.devices.vlan import VlanDevice
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_str


def _bridge(dev: NetDevice) -> Obj:
    """``br_fill_info`` (the subset the emulator models; STP timers are the defaults)."""
    if not isinstance(dev, BridgeDevice):
        return {}
    data: Obj = {
        "forward_delay": 1500, "hello_time": 200, "max_age": 2000,
        "ageing_time": dev.ageing_time_ns // 10_000_000,
        "stp_state": int(dev.stp), "priority": 32768,
        "vlan_filtering": int(dev.vlan_enabled),
    }
    if dev.vlan_enabled:
        data["vlan_protocol"] = "802.1Q"
    data["vlan_default_pvid"] = dev.default_pvid
    return data


def _vlan(dev: NetDevice) -> Obj:
    """``vlan_fill_info``."""
    if not isinstance(dev, VlanDevice):
        return {}
    return {"protocol": "802.1Q", "id": dev.vlan_id, "flags": ["REORDER_HDR"]}


def _udp_tunnel(dev: NetDevice) -> Obj:
    """``vxlan_fill_info`` / ``geneve_fill_info``: a multicast ``remote`` of a vxlan is its
    ``group``."""
    if not isinstance(dev, UdpTunnelDevice):
        return {}
    kind = dev.kind
    data: Obj = {"id": dev.vni}
    if dev.remote is not None:
        data["remote" if kind == "geneve" or dev.remote >> 28 != 0xE else "group"] = (
            ip_str(dev.remote))
    grp = dev.group if isinstance(dev, VxlanDevice) else None
    if grp is not None:
        data["group"] = ip_str(grp)
    if dev.local is not None:
        data["local"] = ip_str(dev.local)
    if dev.lower is not None:
        data["link"] = dev.lower.name
    data["ttl"] = dev.ttl or 0
    data["df"] = dev.df
    data["port"] = dev.dstport
    if isinstance(dev, VxlanDevice):
        data["learning"] = bool(dev.learning)
    return data


def _mode(dev: NetDevice) -> Obj:
    """Any other kind: its ``mode``, when the device keeps it as a word."""
    v = getattr(dev, "mode", None)
    return {"mode": v} if isinstance(v, str) else {}


#: IFLA_INFO_KIND -> its IFLA_INFO_DATA (``rtnl_link_ops->fill_info``)
INFO_DATA: dict[str, Callable[[NetDevice], Obj]] = {
    "bridge": _bridge,
    "vlan": _vlan,
    "vxlan": _udp_tunnel,
    "geneve": _udp_tunnel,
}


def _bridge_slave(dev: NetDevice) -> Obj | None:
    """``br_port_fill_attrs`` (the subset the emulator models)."""
    port = dev.br_port
    if port is None:
        return None
    return {
        "state": port.state_name, "priority": 32, "cost": 2,
        "hairpin": port.hairpin, "learning": port.learning, "flood": port.flood,
        "mcast_flood": port.mcast_flood, "bcast_flood": port.bcast_flood,
    }


def linkinfo(dev: NetDevice) -> Obj:
    """``linkinfo`` of ``ip -d -j link``: the kind and its IFLA_INFO_DATA subset."""
    kind = dev.kind
    if kind == "loopback":
        return {}
    info: Obj = {"info_kind": kind}
    data = INFO_DATA.get(kind, _mode)(dev)
    if data:
        info["info_data"] = data
    slave = _bridge_slave(dev)
    if slave is not None:
        info["info_slave_kind"] = "bridge"
        info["info_slave_data"] = slave
    return info
