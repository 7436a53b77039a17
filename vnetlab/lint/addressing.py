"""ADDR001 duplicate MAC, ADDR002 duplicate IPv4 address, in one L2 domain.

Design note: ``resolve()`` already refuses duplicates anywhere in the lab, so on a lab
that resolves these rules are quiet; on one that does not, the resolver's problem at the
same YAML path (the second occurrence) is reported under these ids instead of LAB001, with
the domain named. Devices that share their lower's MAC by design (IPVLAN children,
passthru MACVLAN, VLAN subinterfaces) are not duplicates.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.model.order import Key
from vnetlab.model.spec import IpvlanSpec, MacvlanSpec, VlanSpec


def check(ctx: Context) -> None:
    v = ctx.view
    macs: dict[tuple[Key, str], Key] = {}
    for key, spec in v.devices():
        if spec.mac is None or isinstance(spec, IpvlanSpec | VlanSpec) or (
                isinstance(spec, MacvlanSpec) and spec.mode == "passthru"):
            continue
        first = macs.setdefault((v.domain(key), spec.mac), key)
        if first != key:
            ctx.add("ADDR001", (*v.seg(key), "mac"),
                    f"MAC {spec.mac} is on both {first[0]}:{first[1]} and {key[0]}:{key[1]}, "
                    "which share one L2 domain: bridges will flap between them")
    ips: dict[tuple[Key, str], Key] = {}
    counts: dict[Key, int] = {}
    for a in v.addrs:
        key = (a.node, a.ifname)
        k = counts.get(key, 0)
        counts[key] = k + 1
        first = ips.setdefault((v.domain(key), str(a.iface.ip)), key)
        if first != key:
            ctx.add("ADDR002", (*v.seg(key), "addresses", k),
                    f"address {a.iface.ip} is on both {first[0]}:{first[1]} and "
                    f"{a.node}:{a.ifname}, which share one L2 domain: both answer ARP for it")
