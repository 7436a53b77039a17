"""resolve() for SR-IOV: physical NIC ports (``nic``), their VFs (``vf``) and the cables.

Design note
-----------
The kernel refuses what this module refuses, in its words:

* ``sriov_numvfs_store`` (drivers/pci/iov.c): more VFs than ``sriov_totalvfs`` is ERANGE
  (the shell prints ``echo: write error: Numerical result out of range``);
* ``do_setvfinfo`` (net/core/rtnetlink.c) and the drivers' ``ndo_set_vf_*``: a VF index
  past ``sriov_numvfs``, ``vlan > 4095`` or ``qos > 7`` is EINVAL (``RTNETLINK answers:
  Invalid argument``), as is a ``max_tx_rate`` above the link speed or a ``min_tx_rate``
  above ``max_tx_rate`` (``i40e_ndo_set_vf_bw``, ``mlx5_eswitch_set_vport_rate``);
* a ``vf`` device needs its PF to exist, to be a ``nic`` with SR-IOV, and the VF to be
  enabled ("Cannot find device" otherwise); each VF has one netdev, so one place;
* ``isolation: per-vf`` reserves every VF's ring from the descriptor pool when the VFs are
  enabled, so the rings must fit in the pool (``shared-pool`` rings draw on demand and
  may oversubscribe it: that is the seed's incident);
* ``wire``: a cable joins two ``nic`` ports, one cable per port; naming it on one side is
  enough, and if both sides name it they must name each other.

Enabled VFs that no node places stay in the PF's node as ``{pf}v{N}``: this module adds
their ``VfSpec`` to ``full`` (as ``links`` adds undeclared veth ends), so MAC assignment
and every later check see them. A VF whose PF set an administrative MAC gets that MAC.
"""

from __future__ import annotations

from vnetlab.model.base import IFNAMSIZ
from vnetlab.model.errors import ProblemList, did_you_mean
from vnetlab.model.kinds.nic import NicSpec
from vnetlab.model.kinds.vf import VfSpec
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.order import Key, split_ref

__all__ = ["check_sriov", "vf_default_name"]

VLAN_MAX = 4095  # do_setvfinfo: ivv->vlan > 4095 -> EINVAL
QOS_MAX = 7  # do_setvfinfo: ivv->qos > 7 -> EINVAL
EINVAL = "RTNETLINK answers: Invalid argument"
ERANGE = "echo: write error: Numerical result out of range"


def vf_default_name(pf: str, vf: int) -> str:
    """The name a VF netdev gets next to its PF: systemd's ``{pf}v{N}`` (``eth0v0``)."""
    return f"{pf}v{vf}"


def _seg(node: str, ifname: str, *rest: object) -> tuple[object, ...]:
    return ("nodes", node, "interfaces", ifname, *rest)


def check_sriov(full: dict[str, dict[str, NetdevSpec]], p: ProblemList) -> None:
    """Report SR-IOV problems; add the unplaced VFs and the VFs' administrative MACs to
    ``full`` (node -> ifname -> spec, modified in place)."""
    nics = {(n, i): s for n, ifaces in full.items() for i, s in ifaces.items()
            if isinstance(s, NicSpec)}
    for (n, i), nic in nics.items():
        _check_nic(n, i, nic, p)
    _check_wires(full, nics, p)
    placed = _check_vfs(full, nics, p)
    _add_unplaced(full, nics, placed, p)


def _check_nic(n: str, i: str, nic: NicSpec, p: ProblemList) -> None:
    sr = nic.sriov
    if sr is None:
        return
    seg = _seg(n, i, "sriov")
    if sr.numvfs > sr.totalvfs:
        p.add((*seg, "numvfs"),
              f"numvfs {sr.numvfs} of {n}:{i} is more than its sriov_totalvfs "
              f"{sr.totalvfs}; the kernel refuses the write to sriov_numvfs (ERANGE): {ERANGE}",
              f"enable at most {sr.totalvfs} VFs (or raise totalvfs if the device offers more)")
    for k, vf in sr.vfs.items():
        vseg = (*seg, "vfs", str(k))
        if not 0 <= k < sr.numvfs:
            have = f"VFs 0-{sr.numvfs - 1}" if sr.numvfs else "no VFs"
            p.add(vseg, f"vfs[{k}] sets VF {k} of {n}:{i}, which has numvfs {sr.numvfs} "
                  f"({have}); `ip link set {i} vf {k} ...` fails: {EINVAL}",
                  f"raise numvfs to at least {k + 1}, or remove the entry")
        if not 0 <= vf.vlan <= VLAN_MAX:
            p.add((*vseg, "vlan"), f"vlan {vf.vlan} for VF {k} of {n}:{i} is out of range; "
                  f"the kernel says: {EINVAL}",
                  f"a port VLAN is 1-{VLAN_MAX}, or 0 for none")
        if not 0 <= vf.qos <= QOS_MAX:
            p.add((*vseg, "qos"), f"qos {vf.qos} for VF {k} of {n}:{i} is out of range; "
                  f"the kernel says: {EINVAL}",
                  f"qos is the 802.1p priority (PCP) of the port VLAN tag, 0-{QOS_MAX}")
        if vf.max_tx_rate > nic.speed:
            p.add((*vseg, "max_tx_rate"),
                  f"max_tx_rate {vf.max_tx_rate} Mb/s for VF {k} of {n}:{i} is above the "
                  f"link speed {nic.speed} Mb/s; the kernel says: {EINVAL}",
                  f"use at most {nic.speed} (Mb/s), or 0 for unlimited")
        if vf.max_tx_rate and vf.min_tx_rate > vf.max_tx_rate:
            p.add((*vseg, "min_tx_rate"),
                  f"min_tx_rate {vf.min_tx_rate} Mb/s for VF {k} of {n}:{i} is above its "
                  f"max_tx_rate {vf.max_tx_rate} Mb/s; the kernel says: {EINVAL}",
                  "the guaranteed rate cannot exceed the ceiling")
    if sr.isolation == "per-vf" and 0 < sr.numvfs <= sr.totalvfs:
        need = sum(sr.effective_rings())
        if need > sr.descriptors:
            p.add((*seg, "descriptors"),
                  f"isolation per-vf reserves each VF's rx ring from the pool: {sr.numvfs} "
                  f"VFs need {need} descriptors, but {n}:{i} has {sr.descriptors}",
                  "shrink 'ring' (or a VF's ring), grow 'descriptors', or use "
                  "'isolation: shared-pool' (rings then draw on demand and can starve "
                  "each other)")


def _check_wires(full: dict[str, dict[str, NetdevSpec]], nics: dict[Key, NicSpec],
                 p: ProblemList) -> None:
    """One cable per port, both ends ``nic``, both sides agreeing."""
    cable: dict[Key, Key] = {}
    for (n, i), nic in nics.items():
        if nic.wire is None:
            continue
        seg = _seg(n, i, "wire")
        node, sep, ifname = nic.wire.rpartition(":")
        if not sep or not node or not ifname:
            p.add(seg, f"wire {nic.wire!r} of {n}:{i} is not NODE:IFNAME",
                  "name the nic at the cable's other end, e.g. 'wire: switch:eth0'")
            continue
        if node not in full:
            p.add(seg, f"wire {nic.wire!r} of {n}:{i} names node {node!r}, which is not in "
                  "nodes", did_you_mean(node, list(full)))
            continue
        peer = full[node].get(ifname)
        if peer is None:
            p.add(seg, f"wire {nic.wire!r} of {n}:{i} names interface {ifname!r}, which node "
                  f"{node} does not have", did_you_mean(ifname, list(full[node]))
                  or f"declare it: '{ifname}: {{type: nic}}' under nodes.{node}.interfaces")
            continue
        if (node, ifname) == (n, i):
            p.add(seg, f"the wire of {n}:{i} plugs it into itself",
                  "name the nic at the cable's other end")
            continue
        if not isinstance(peer, NicSpec):
            p.add(seg, f"wire {nic.wire!r} of {n}:{i} names a {peer.type}; a cable joins two "
                  "physical ports", f"make {node}:{ifname} 'type: nic', or put a nic in that "
                  "node (a switch node: a nic that is a port of its bridge)")
            continue
        back = peer.wire
        if back is not None and split_ref(node, back) != (n, i):
            p.add(seg, f"the wire of {n}:{i} goes to {node}:{ifname}, but {node}:{ifname} "
                  f"says its wire goes to {back}", "name the cable on one side only")
            continue
        for a, b in (((n, i), (node, ifname)), ((node, ifname), (n, i))):
            if cable.get(a, b) != b:
                an, ai = a
                p.add(seg, f"{an}:{ai} already has a cable to {cable[a][0]}:{cable[a][1]}; a "
                      "port takes one cable", "use another nic port for the second cable")
                break
        else:
            cable[(n, i)] = (node, ifname)
            cable[(node, ifname)] = (n, i)
            if back is None:  # the cable, named on one side, is explicit on both
                full[node][ifname] = peer.model_copy(update={"wire": f"{n}:{i}"})


def _check_vfs(full: dict[str, dict[str, NetdevSpec]], nics: dict[Key, NicSpec],
               p: ProblemList) -> dict[tuple[Key, int], Key]:
    """Check every ``vf`` device; return (PF, vf index) -> where it is placed."""
    placed: dict[tuple[Key, int], Key] = {}
    for n, ifaces in full.items():
        for i, spec in list(ifaces.items()):
            if not isinstance(spec, VfSpec):
                continue
            seg = _seg(n, i)
            pf = split_ref(n, spec.link)
            where = f"{pf[0]}:{pf[1]}"
            if pf[0] not in full:
                p.add((*seg, "link"), f"link {spec.link!r} of vf {n}:{i} names node "
                      f"{pf[0]!r}, which is not in nodes", did_you_mean(pf[0], list(full)))
                continue
            pspec = full[pf[0]].get(pf[1])
            if pspec is None:
                nic_names = [k for (nn, k) in nics if nn == pf[0]]
                p.add((*seg, "link"), f"link {spec.link!r} of vf {n}:{i} is not an interface "
                      f'of node {pf[0]}; the kernel says: Cannot find device "{pf[1]}"',
                      did_you_mean(pf[1], full[pf[0]])
                      or f"nics of {pf[0]}: {', '.join(nic_names) or 'none'}")
                continue
            if not isinstance(pspec, NicSpec):
                p.add((*seg, "link"), f"vf {n}:{i} needs a physical function, but {where} is "
                      f"a {pspec.type}", f"give {where} 'type: nic' with an 'sriov:' section")
                continue
            sr = pspec.sriov
            if sr is None:
                p.add((*seg, "link"), f"{where} has no SR-IOV capability (no 'sriov:'), so it "
                      "has no sriov_numvfs and no VFs",
                      f"add 'sriov: {{numvfs: {spec.vf + 1}}}' to {where}")
                continue
            if spec.vf >= sr.numvfs:
                p.add((*seg, "vf"), f"VF {spec.vf} of {where} does not exist: numvfs is "
                      f"{sr.numvfs}, so there is no netdev "
                      f"{vf_default_name(pf[1], spec.vf)}; the kernel says: Cannot find device",
                      f"raise numvfs of {where} to at least {spec.vf + 1}")
                continue
            key = (pf, spec.vf)
            if key in placed:
                fn, fi = placed[key]
                p.add((*seg, "vf"), f"VF {spec.vf} of {where} is already {fn}:{fi}; a VF has "
                      "one netdev, which lives in one namespace", "place each VF once")
                continue
            placed[key] = (n, i)
            admin = sr.vfs[spec.vf].mac if spec.vf in sr.vfs else None
            if admin is not None:
                if spec.mac is not None and spec.mac != admin:
                    p.add((*seg, "mac"), f"vf {n}:{i} asks for MAC {spec.mac}, but the PF "
                          f"{where} sets VF {spec.vf}'s MAC to {admin} (vfs[{spec.vf}].mac); "
                          "the PF's administrative MAC wins, the VF driver cannot override it",
                          "give the MAC in one place (the PF's vfs entry)")
                elif spec.mac is None:
                    ifaces[i] = spec.model_copy(update={"mac": admin})
    return placed


def _add_unplaced(full: dict[str, dict[str, NetdevSpec]], nics: dict[Key, NicSpec],
                  placed: dict[tuple[Key, int], Key], p: ProblemList) -> None:
    """The VFs no node places stay next to their PF as ``{pf}v{N}``."""
    for (n, i), nic in nics.items():
        sr = nic.sriov
        if sr is None or sr.numvfs > sr.totalvfs:
            continue
        for k in range(sr.numvfs):
            if ((n, i), k) in placed:
                continue
            name = vf_default_name(i, k)
            if len(name.encode()) >= IFNAMSIZ:
                p.add(_seg(n, i), f"VF {k} of {n}:{i} would be named {name}, longer than "
                      "15 bytes", f"place it: 'vf{k}: {{type: vf, link: {i}, vf: {k}}}' under "
                      f"nodes.{n}.interfaces, or give the PF a shorter name")
                continue
            if name in full[n]:
                p.add(_seg(n, name), f"VF {k} of {n}:{i} stays in node {n} as {name}, but the "
                      f"node already has an interface {name}",
                      f"place the VF explicitly: '{name}: {{type: vf, link: {i}, vf: {k}}}', "
                      "or rename the other interface")
                continue
            admin = sr.vfs[k].mac if k in sr.vfs else None
            full[n][name] = VfSpec(type="vf", link=i, vf=k, mac=admin)
