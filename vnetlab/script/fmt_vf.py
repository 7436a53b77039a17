"""The VF list of ``ip link show PF``: iproute2 6.1's ``print_vfinfo`` (ip/ipaddress.c),
plain and ``-j``.

Design note
-----------
The kernel puts ``IFLA_NUM_VF`` and an ``IFLA_VFINFO_LIST`` (empty when no VF is
enabled) into every link message of a device whose driver has ``ndo_get_vf_config``
(``rtnl_fill_vf``); each ``IFLA_VF_INFO`` carries the MAC, the broadcast address, one
``IFLA_VF_VLAN_LIST`` entry, the legacy ``IFLA_VF_TX_RATE`` (= max_tx_rate), ``IFLA_VF_RATE``,
spoof checking, link state, trust, RSS query and ``IFLA_VF_STATS``. The emulated NIC's
driver reports every one of them (as mlx5, i40e and ixgbe do), so iproute2 prints them
all: a VLAN, QoS, protocol and tx rate only when set, the on/off settings always.

``vf_objs`` builds ``vfinfo_list`` (the keys and types ``ip -j`` prints) and
``vf_plain`` renders the same objects the way ``print_vfinfo`` writes them to a
terminal: one line per VF after the PF's ``link/ether`` line (and after its counters
under ``-s``), with ``print_vf_stats64``'s two counter blocks under ``-s``.
"""

from __future__ import annotations

from typing import Any

from vnetlab.script.args import Obj
from vnetlab.sim.netdev import NetDevice
from vnetlab.wire.mac import mac_to_str


def sriov_of(dev: NetDevice) -> Any:
    """The device's SR-IOV state (``PfDevice.sriov``), None for any other device."""
    return getattr(dev, "sriov", None)


def vf_objs(dev: NetDevice, *, stats: bool) -> list[Obj] | None:
    """``vfinfo_list`` of DEV; None when its driver has no VF support (no attribute)."""
    sr = sriov_of(dev)
    if sr is None:
        return None
    out: list[Obj] = []
    for k, cfg in enumerate(sr.vfs):
        o: Obj = {"vf": k, "link_type": dev.link_type, "address": mac_to_str(cfg.mac),
                  "broadcast": "ff:ff:ff:ff:ff:ff"}
        vlan: Obj = {}
        if cfg.vlan:
            vlan["vlan"] = cfg.vlan
        if cfg.qos:
            vlan["qos"] = cfg.qos
        if cfg.proto != "802.1Q":
            vlan["protocol"] = cfg.proto
        o["vlan_list"] = [vlan]
        if cfg.max_tx_rate:  # IFLA_VF_TX_RATE: rtnl_fill_vfinfo copies max_tx_rate
            o["tx_rate"] = cfg.max_tx_rate
        o["rate"] = {"max_tx": cfg.max_tx_rate, "min_tx": cfg.min_tx_rate}
        o["spoofchk"] = cfg.spoofchk
        o["link_state"] = cfg.state
        o["trust"] = cfg.trust
        o["query_rss_en"] = cfg.query_rss
        if stats:
            s = cfg.stats
            o["stats"] = {
                "rx": {"bytes": s.rx_bytes, "packets": s.rx_packets,
                       "multicast": s.multicast, "broadcast": s.broadcast,
                       "dropped": s.rx_dropped},
                "tx": {"tx_bytes": s.tx_bytes, "tx_packets": s.tx_packets,
                       "dropped": s.tx_dropped},
            }
        out.append(o)
    return out


def vf_plain(objs: list[Obj]) -> list[str]:
    """``print_vfinfo``'s terminal lines (and ``print_vf_stats64``'s under ``-s``)."""
    lines: list[str] = []
    for o in objs:
        line = f"    vf {o['vf']}     link/{o['link_type']} {o['address']} brd {o['broadcast']}"
        for v in o["vlan_list"]:
            if "vlan" in v:
                line += f", vlan {v['vlan']}"
            if "qos" in v:
                line += f", qos {v['qos']}"
            if "protocol" in v:
                line += f", vlan protocol {v['protocol']}"
        if "tx_rate" in o:
            line += f", tx rate {o['tx_rate']} (Mbps)"
        if o["rate"]["max_tx"]:
            line += f", max_tx_rate {o['rate']['max_tx']}Mbps"
        if o["rate"]["min_tx"]:
            line += f", min_tx_rate {o['rate']['min_tx']}Mbps"
        line += ", spoof checking on" if o["spoofchk"] else ", spoof checking off"
        line += f", link-state {o['link_state']}"
        line += ", trust on" if o["trust"] else ", trust off"
        line += ", query_rss on" if o["query_rss_en"] else ", query_rss off"
        lines.append(line)
        if "stats" in o:
            rx, tx = o["stats"]["rx"], o["stats"]["tx"]
            lines.append("    RX: bytes  packets  mcast   bcast   dropped ")
            lines.append(f"    {rx['bytes']:>10} {rx['packets']:>8} {rx['multicast']:>7} "
                         f"{rx['broadcast']:>7} {rx['dropped']:>8} ")
            lines.append("    TX: bytes  packets   dropped ")
            lines.append(f"    {tx['tx_bytes']:>10} {tx['tx_packets']:>8} {tx['dropped']:>8} ")
    return lines
