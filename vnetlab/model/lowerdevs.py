"""resolve() for devices stacked on a lower device by MAC or IP (MACVLAN, IPVLAN) and TUN/TAP.

Design note
-----------
A ``macvlan``/``ipvlan`` names its lower device with ``link``: ``eth0`` (same node) or
``host:eth0`` (a device of another node — the container case: the child lives in the
container's namespace, its lower device in the host's; ``ip -n host link add link eth0 name
mv0 netns c1 type macvlan``). The kernel refuses what this module refuses:

* ``macvlan_common_newlink``/``ipvlan_link_new``: the lower must exist ("Cannot find
  device"); a macvlan on a macvlan (an ipvlan on an ipvlan) stacks on that one's real lower
  device; the MTU may not exceed the lower's ("Invalid argument") and defaults to it;
* ``macvlan_port_create``/``ipvlan_port_create``: the lower is an Ethernet device
  (``ARPHRD_ETHER``, not a TUN) whose ``rx_handler`` is free — a bridge port, or a device
  that already carries the other kind, answers "Device or resource busy" (EBUSY);
* passthru: the only macvlan on its lower ("Invalid argument" for any second one), and it
  takes the lower's MAC (``eth_hw_addr_inherit``), so a lab may not give it one;
* ipvlan: the children use the lower's MAC (``ipvlan_link_new``), so a lab may not give one;
  the mode is the lower's (``ipvlan_set_port_mode`` switches every child), so all ipvlans
  on one lower must ask for the same mode;
* tun: no link-layer address (``ARPHRD_NONE``), so no ``mac`` and no bridge (``br_add_if``
  takes Ethernet devices only).

After resolve(): every macvlan/ipvlan has its MTU; ipvlans and passthru macvlans have their
lower's MAC; a tun has ``mac: None``.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.model.errors import ProblemList, did_you_mean
from vnetlab.model.order import Key, split_ref
from vnetlab.model.spec import (
    IpvlanSpec,
    LabSpec,
    LowerDevSpec,
    MacvlanSpec,
    NetdevSpec,
    TunSpec,
)


def real_lower(
    full: Mapping[str, Mapping[str, NetdevSpec]], key: Key, kind: str, depth: int = 0
) -> Key:
    """Follow a chain of the same kind down to the real lower device (as the kernel does)."""
    spec = full.get(key[0], {}).get(key[1])
    if isinstance(spec, LowerDevSpec) and spec.type == kind and depth < 16:
        return real_lower(full, split_ref(key[0], spec.link), kind, depth + 1)
    return key


def check_lowerdevs(
    lab: LabSpec,
    full: dict[str, dict[str, NetdevSpec]],
    p: ProblemList,
    mtus: Mapping[Key, int],
) -> dict[Key, int]:
    """Report macvlan/ipvlan/tun problems; return the MTU each child without ``mtu`` gets.

    ``mtus`` is every device's MTU once created (``vnetlab.model.mtus.stacked_mtus``)."""
    fills: dict[Key, int] = {}

    # real lower -> [(child key, kind, mode)]
    children: dict[Key, list[tuple[Key, str, str]]] = {}
    for node, ifaces in full.items():
        for name, spec in ifaces.items():
            seg = ("nodes", node, "interfaces", name)
            if isinstance(spec, TunSpec):
                if spec.mac is not None:
                    p.add((*seg, "mac"), f"tun {node}:{name} has no link-layer address "
                          "(ARPHRD_NONE); remove 'mac'", "a TAP ('type: tap') has a MAC")
                if spec.master is not None:
                    p.add((*seg, "master"), f"tun {node}:{name} cannot be a bridge port: a "
                          "bridge takes Ethernet devices only (br_add_if: Invalid argument)",
                          "use 'type: tap' for a device on a bridge")
                continue
            if not isinstance(spec, LowerDevSpec) or spec.type == "vf":
                continue  # a VF is its own driver's netdev: vnetlab.model.sriov_check
            lnode, lname = split_ref(node, spec.link)
            if lnode not in full:
                p.add((*seg, "link"), f"link {spec.link!r} of {spec.type} {node}:{name} names "
                      f"node {lnode!r}, which is not in nodes",
                      did_you_mean(lnode, list(full)))
                continue
            if (lnode, lname) == (node, name):
                p.add((*seg, "link"), f"{spec.type} {name} cannot be its own link")
                continue
            if lname not in full[lnode]:
                p.add((*seg, "link"), f'link {spec.link!r} of {spec.type} {node}:{name} is not '
                      f'an interface of node {lnode}; the kernel says: Cannot find device '
                      f'"{lname}"', did_you_mean(lname, full[lnode])
                      or f"interfaces of {lnode}: {', '.join(sorted(full[lnode])) or 'none'}")
                continue
            rl = real_lower(full, (lnode, lname), spec.type)
            if rl == (node, name):
                p.add((*seg, "link"), f"{spec.type} links loop back to {node}:{name}")
                continue
            lower = full[rl[0]].get(rl[1])
            where = f"{rl[0]}:{rl[1]}"
            if lower is None:
                continue
            if isinstance(lower, TunSpec):
                p.add((*seg, "link"), f"{spec.type} {node}:{name} cannot sit on tun {where}: "
                      "it needs an Ethernet device (ARPHRD_ETHER); the kernel says: Invalid "
                      "argument", "use a tap or a veth as the lower device")
                continue
            if lower.master is not None:
                p.add((*seg, "link"), f"{where} is a port of bridge {lower.master}, so its "
                      f"rx_handler is taken and {spec.type} {node}:{name} cannot use it; the "
                      "kernel says: Device or resource busy",
                      f"put the {spec.type} on the bridge {lower.master} itself, or take "
                      f"{rl[1]} out of the bridge")
                continue
            if spec.mac is not None and (
                isinstance(spec, IpvlanSpec)
                or (isinstance(spec, MacvlanSpec) and spec.mode == "passthru")
            ):
                what = "an ipvlan uses" if isinstance(spec, IpvlanSpec) else \
                    "a passthru macvlan takes"
                p.add((*seg, "mac"), f"{what} the MAC of its lower device {where}; remove "
                      "'mac' from " + f"{node}:{name}")
            lmtu = mtus.get(rl, 1500)
            if spec.mtu is None:
                fills[(node, name)] = lmtu
            elif spec.mtu > lmtu:
                p.add((*seg, "mtu"), f"mtu {spec.mtu} of {spec.type} {node}:{name} is greater "
                      f"than the mtu {lmtu} of its lower device {where}; the kernel says: "
                      "RTNETLINK answers: Invalid argument",
                      f"leave mtu out (it defaults to {lmtu})")
            mode = spec.mode if isinstance(spec, MacvlanSpec | IpvlanSpec) else ""
            children.setdefault(rl, []).append(((node, name), spec.type, mode))
    for rl, kids in children.items():
        where = f"{rl[0]}:{rl[1]}"
        kinds = sorted({k for _, k, _ in kids})
        if len(kinds) > 1:
            (n, i), _, _ = next(k for k in kids if k[1] == "ipvlan")
            p.add(("nodes", n, "interfaces", i, "link"), f"{where} carries both macvlan and "
                  "ipvlan devices; each installs its own rx_handler, the second one is "
                  "refused: Device or resource busy", "use one kind per lower device")
            continue
        if kinds == ["macvlan"]:
            passthru = [k for k in kids if k[2] == "passthru"]
            if passthru and len(kids) > 1:
                (n, i), _, _ = passthru[0]
                p.add(("nodes", n, "interfaces", i, "mode"), f"passthru macvlan {n}:{i} must be "
                      f"the only macvlan on {where} (there are {len(kids)}); the kernel says: "
                      "Invalid argument", "use mode bridge/vepa/private for several children")
        else:
            modes = sorted({m for _, _, m in kids})
            if len(modes) > 1:
                (n, i), _, _ = kids[-1]
                p.add(("nodes", n, "interfaces", i, "mode"), f"the ipvlans on {where} ask for "
                      f"modes {' and '.join(modes)}; the mode belongs to the lower device and "
                      "the last one created would switch every child "
                      "(ipvlan_set_port_mode)", "give every ipvlan on one lower the same mode")
    return fills


def fill_lowerdevs(lab: LabSpec, fills: dict[Key, int]) -> LabSpec:
    """MTUs from ``fills``; ipvlans and passthru macvlans get their lower's MAC; tuns none."""
    full = {n: dict(node.interfaces) for n, node in lab.nodes.items()}
    changed = False
    for n, ifaces in full.items():
        for i, spec in list(ifaces.items()):
            update: dict[str, object] = {}
            if isinstance(spec, TunSpec) and spec.mac is not None:
                update["mac"] = None
            if isinstance(spec, LowerDevSpec):
                if (n, i) in fills:
                    update["mtu"] = fills[(n, i)]
                if isinstance(spec, IpvlanSpec) or (
                    isinstance(spec, MacvlanSpec) and spec.mode == "passthru"
                ):
                    rl = real_lower(full, split_ref(n, spec.link), spec.type)
                    lower = full.get(rl[0], {}).get(rl[1])
                    if lower is not None and lower.mac is not None:
                        update["mac"] = lower.mac
            if update:
                ifaces[i] = spec.model_copy(update=update)
                changed = True
    if not changed:
        return lab
    nodes = {n: node.model_copy(update={"interfaces": full[n]}) for n, node in lab.nodes.items()}
    return lab.model_copy(update={"nodes": nodes})
