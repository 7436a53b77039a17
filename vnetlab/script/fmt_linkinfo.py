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


def br_id(bid: bytes) -> str:
    """iproute2's ``br_dump_bridge_id``: ``8000.2:0:0:0:0:1`` (MAC bytes unpadded)."""
    return f"{bid[0]:02x}{bid[1]:02x}." + ":".join(f"{b:x}" for b in bid[2:])


def _secs(ns: int) -> float:
    return round(ns / 1e9, 2)


def _bridge(dev: NetDevice) -> Obj:
    """``br_fill_info`` (the subset the emulator models) as iproute2 6.1 prints it: its
    ``root_id`` shows the bridge id (iproute2 < 6.5 prints IFLA_BR_BRIDGE_ID there)."""
    if not isinstance(dev, BridgeDevice):
        return {}
    data: Obj = {
        "forward_delay": dev.bridge_forward_delay // 10_000_000,
        "hello_time": dev.bridge_hello_time // 10_000_000,
        "max_age": dev.bridge_max_age // 10_000_000,
        "ageing_time": dev.ageing_time_ns // 10_000_000,
        "stp_state": int(dev.stp), "priority": int.from_bytes(dev.bridge_id[:2], "big"),
        "vlan_filtering": int(dev.vlan_enabled),
    }
    if dev.vlan_enabled:
        data["vlan_protocol"] = "802.1Q"
    gc = 0 if dev.gc_at is None else max(0, dev.gc_at - dev.sched.now)
    data.update({
        "bridge_id": br_id(dev.bridge_id), "root_id": br_id(dev.bridge_id),
        "root_port": dev.root_port, "root_path_cost": dev.root_path_cost,
        "topology_change": int(dev.topology_change),
        "topology_change_detected": int(dev.topology_change_detected),
        "hello_timer": _secs(dev.hello_timer.remaining()),
        "tcn_timer": _secs(dev.tcn_timer.remaining()),
        "topology_change_timer": _secs(dev.topology_change_timer.remaining()),
        "gc_timer": _secs(gc),
    })
    data["vlan_default_pvid"] = dev.default_pvid
    return data


#: where ``ip -d link`` (plain) names a field differently from ``ip -d -j link``
PLAIN_KEYS = {"root_id": "designated_root", "id": "port_id", "no": "port_no"}
#: the bridge-port fields whose plain names differ too (``bridge_slave``)
SLAVE_PLAIN_KEYS = {**PLAIN_KEYS, "bridge_id": "designated_bridge"}


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


#: a NIC's PF and its VFs are registered by their PCI drivers, which have no
#: ``rtnl_link_ops``: the kernel sends no IFLA_INFO_KIND for them (only a bridge
#: port's IFLA_INFO_SLAVE_KIND)
PHYSICAL = frozenset({"nic", "vf"})

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
        "state": port.state_name, "priority": port.priority, "cost": port.path_cost,
        "hairpin": port.hairpin, "learning": port.learning, "flood": port.flood,
        "id": f"{port.port_id:#x}", "no": f"{port.port_no:#x}",
        "designated_port": port.designated_port, "designated_cost": port.designated_cost,
        "bridge_id": br_id(port.designated_bridge), "root_id": br_id(port.designated_root),
        "hold_timer": _secs(port.hold_timer.remaining()),
        "message_age_timer": _secs(port.message_age_timer.remaining()),
        "forward_delay_timer": _secs(port.forward_delay_timer.remaining()),
        "topology_change_ack": int(port.topology_change_ack),
        "config_pending": int(port.config_pending),
        "mcast_flood": port.mcast_flood, "bcast_flood": port.bcast_flood,
    }


def linkinfo(dev: NetDevice) -> Obj:
    """``linkinfo`` of ``ip -d -j link``: the kind and its IFLA_INFO_DATA subset."""
    kind = dev.kind
    if kind == "loopback":
        return {}
    info: Obj = {}
    if kind not in PHYSICAL:
        info["info_kind"] = kind
        data = INFO_DATA.get(kind, _mode)(dev)
        if data:
            info["info_data"] = data
    slave = _bridge_slave(dev)
    if slave is not None:
        info["info_slave_kind"] = "bridge"
        info["info_slave_data"] = slave
    return info
