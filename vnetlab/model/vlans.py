"""resolve() for 802.1Q: VLAN subinterfaces and bridge VLAN filtering.

Design note
-----------
A ``vlan`` interface (net/8021q/vlan_netlink.c ``vlan_newlink``) needs its ``link`` in the
same node — "Cannot find device" otherwise — and may not have an MTU above the link's
(``vlan_newlink``: ``dev->mtu > max_mtu`` → "RTNETLINK answers: Invalid argument"; a later
``ip link set mtu`` says "mtu greater than device maximum"). Without ``mtu`` it gets the
link's MTU, and without ``mac`` the link's MAC (``vlan_dev_init`` copies ``dev_addr``), so
unlike other kinds a vlan's MAC is not generated. A vlan may sit on a vlan (802.1Q in
802.1Q); a chain that loops is refused. Two vlans with the same ``id`` on one link are
refused ("RTNETLINK answers: File exists").

Bridge VLAN lists: a port lists VLANs only on a bridge (``bridge_port.vlans`` needs
``master``); at most one entry of a list is ``pvid`` (Linux would silently move the PVID
to the last one given — in a lab file that is a mistake, so it is an error); VLANs listed
while ``vlan_filtering`` is off are accepted (Linux keeps them and uses them once filtering
is switched on).
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.model.errors import ProblemList, did_you_mean
from vnetlab.model.spec import BridgeSpec, BridgeVlan, LabSpec, NetdevSpec, VlanSpec


def _iface_seg(node: str, name: str) -> tuple[object, ...]:
    return ("nodes", node, "interfaces", name)


def _check_vlan_list(
    p: ProblemList, seg: tuple[object, ...], vlans: list[BridgeVlan], owner: str
) -> None:
    pvids = [k for k, v in enumerate(vlans) if v.pvid]
    if len(pvids) > 1:
        first = vlans[pvids[0]].vid
        p.add(
            (*seg, pvids[1], "pvid"),
            f"{owner} has more than one PVID (vlans[{pvids[0]}] vid {first} and "
            f"vlans[{pvids[1]}] vid {vlans[pvids[1]].vid}); a port has one PVID and Linux "
            "would keep only the last one given",
            "mark one entry 'pvid: true'",
        )


def check_vlans(
    lab: LabSpec,
    full: dict[str, dict[str, NetdevSpec]],
    p: ProblemList,
    mtus: Mapping[tuple[str, str], int],
) -> dict[tuple[str, str], int]:
    """Report VLAN problems; return the MTU each vlan without ``mtu`` gets.

    ``mtus`` is every device's MTU once created (``vnetlab.model.mtus.stacked_mtus``)."""
    fills: dict[tuple[str, str], int] = {}
    for node, ifaces in full.items():
        ids: dict[tuple[str, int], str] = {}
        for name, spec in ifaces.items():
            seg = _iface_seg(node, name)
            if isinstance(spec, BridgeSpec) and spec.vlans is not None:
                _check_vlan_list(p, (*seg, "vlans"), spec.vlans, f"bridge {node}:{name}")
            bp = spec.bridge_port
            if bp is not None and bp.vlans is not None:
                _check_vlan_list(
                    p, (*seg, "bridge_port", "vlans"), bp.vlans, f"port {node}:{name}"
                )
            if not isinstance(spec, VlanSpec):
                continue
            if spec.link == name:
                p.add((*seg, "link"), f"vlan {name} cannot be its own link")
                continue
            if spec.link not in ifaces:
                p.add(
                    (*seg, "link"),
                    f'link {spec.link!r} of vlan {node}:{name} is not an interface of node '
                    f'{node}; the kernel says: Cannot find device "{spec.link}"',
                    did_you_mean(spec.link, ifaces)
                    or f"interfaces of {node}: {', '.join(sorted(ifaces))}",
                )
                continue
            # a chain of vlans must end at a real device
            chain, cur = [name], spec.link
            while isinstance(ifaces.get(cur), VlanSpec) and cur not in chain:
                chain.append(cur)
                nxt = ifaces[cur]
                assert isinstance(nxt, VlanSpec)
                cur = nxt.link
            if cur in chain:
                p.add(
                    (*seg, "link"),
                    f"vlan links loop: {' -> '.join([*chain, cur])}; a vlan needs a real "
                    "device at the bottom",
                )
                continue
            if spec.up and not ifaces[spec.link].up:
                p.add(
                    (*seg, "up"),
                    f"vlan {name} is up but its link {spec.link} is down ('up: false'); the "
                    "kernel says: RTNETLINK answers: Network is down",
                    f"bring {spec.link} up too, or set 'up: false' on {name}",
                )
            other = ids.get((spec.link, spec.id))
            if other is not None:
                p.add(
                    (*seg, "id"),
                    f"{node}:{other} is already vlan {spec.id} on {spec.link}; the kernel says: "
                    "RTNETLINK answers: File exists",
                    "a link carries each VLAN ID once; use another id or another link",
                )
            ids.setdefault((spec.link, spec.id), name)
            parent_mtu = mtus.get((node, spec.link), 1500)
            if spec.mtu is None:
                fills[(node, name)] = parent_mtu
            elif spec.mtu > parent_mtu:
                p.add(
                    (*seg, "mtu"),
                    f"mtu {spec.mtu} of vlan {name} is greater than the mtu {parent_mtu} of "
                    f"its link {spec.link}; the kernel says: RTNETLINK answers: Invalid "
                    "argument (mtu greater than device maximum)",
                    f"leave mtu out (it defaults to {parent_mtu}) or raise the MTU of "
                    f"{spec.link}",
                )
    return fills


def fill_vlans(lab: LabSpec, raw: LabSpec, fills: dict[tuple[str, str], int]) -> LabSpec:
    """Give each vlan its MTU (``fills``) and, unless ``raw`` gave one, its link's MAC.

    ``lab`` is resolved (every interface has a MAC); ``raw`` is what the lab said, to tell a
    given vlan MAC from a generated one.
    """
    nodes = {}
    changed = False
    for n, node in lab.nodes.items():
        ifaces = node.interfaces
        raw_ifaces = raw.nodes[n].interfaces

        def mac_of(
            name: str, depth: int = 0, *,
            ifaces: Mapping[str, NetdevSpec] = ifaces,
            raw_ifaces: Mapping[str, NetdevSpec] = raw_ifaces,
        ) -> str:
            spec = ifaces[name]
            given = raw_ifaces.get(name)
            if isinstance(spec, VlanSpec) and (given is None or given.mac is None) and depth < 64:
                return mac_of(spec.link, depth + 1)
            assert spec.mac is not None
            return str(spec.mac)

        new = dict(ifaces)
        for i, spec in ifaces.items():
            if not isinstance(spec, VlanSpec):
                continue
            update: dict[str, object] = {"mac": mac_of(i)}
            if (n, i) in fills:
                update["mtu"] = fills[(n, i)]
            new[i] = spec.model_copy(update=update)
            changed = True
        nodes[n] = node.model_copy(update={"interfaces": new})
    return lab.model_copy(update={"nodes": nodes}) if changed else lab
