"""Collect a snapshot directory from a lab built in the emulator, with the emulator's own
``ip -j``/``bridge -j`` (iproute2's JSON, checked against the real tools by
tests/script): the non-root stand-in for scripts/collect-snapshot.sh."""

from __future__ import annotations

import json
from pathlib import Path

from vnetlab.model.spec import LabSpec
from vnetlab.script.interp import Interpreter
from vnetlab.snapshot.dumps import NamespaceDump, OvsDump

COMMANDS = {
    "links": "ip -n {ns} -j -d link show",
    "addrs": "ip -n {ns} -j addr show",
    "routes": "ip -n {ns} -j route show table all",
    "neighs": "ip -n {ns} -j neigh show",
    "fdb": "bridge -n {ns} -j fdb show",
    "vlans": "bridge -n {ns} -j vlan show",
    "brlinks": "bridge -n {ns} -j -d link show",
}


def collect(lab: LabSpec) -> list[NamespaceDump]:
    out: list[str] = []
    err: list[str] = []
    it = Interpreter(lab=lab, out=out.append, err=err.append, source="collect")
    dumps = []
    for node in lab.nodes:
        parts: dict[str, object] = {}
        for attr, cmd in COMMANDS.items():
            out.clear()
            rc = it.run_text(cmd.format(ns=node), finish=False)
            assert rc == 0, (cmd, err)
            text = "\n".join(out).strip()
            parts[attr] = json.loads(text) if text else []
        out.clear()
        it.run_text(f"ip netns exec {node} sysctl -n net.ipv4.ip_forward", finish=False)
        fwd = int("\n".join(out).strip() or 0)
        ovs = None
        if lab.nodes[node].ovs:
            ovs = OvsDump()
            for table in ("Bridge", "Port", "Interface", "Mirror"):
                out.clear()
                it.run_text(f"ip netns exec {node} ovs-vsctl --format=json list {table}",
                            finish=False)
                ovs.tables[table] = json.loads("\n".join(out))
            for br in lab.nodes[node].ovs:
                out.clear()
                it.run_text(f"ip netns exec {node} ovs-ofctl --names dump-flows {br}",
                            finish=False)
                ovs.flows[br] = "\n".join(out)
                out.clear()
                it.run_text(f"ip netns exec {node} ovs-ofctl -O OpenFlow15 dump-groups {br}",
                            finish=False)
                ovs.groups[br] = "\n".join(out)
        out.clear()
        it.run_text(f"ip netns exec {node} ebtables -L", finish=False)
        parts["ebtables"] = "\n".join(out) + "\n"
        for attr, cmd in (("xfrm_state", "state"), ("xfrm_policy", "policy")):
            out.clear()
            it.run_text(f"ip -n {node} xfrm {cmd}", finish=False)
            parts[attr] = "\n".join(out) + "\n"
        out.clear()
        rc = it.run_text(f"ip netns exec {node} tc -j qdisc show", finish=False)
        assert rc == 0, err
        parts["qdiscs"] = json.loads("\n".join(out).strip() or "[]")
        parts["sriov"] = sriov_facts(it, node)
        # what `ip -n NODE -j netns list-id` prints (the emulator's world keeps the ids)
        parts["nsids"] = [{"nsid": i, "name": t}
                          for t, i in sorted(it.world.nsids.get(node, {}).items(),
                                             key=lambda x: x[1])]
        dumps.append(NamespaceDump(name=node, ip_forward=fwd, ovs=ovs,
                                   **parts))  # type: ignore[arg-type]
    return dumps


def _pci(dev: object) -> str:
    """A stable stand-in for the PCI function name sysfs's ``device`` link names."""
    return f"0000:{id(dev) & 0xffff:04x}:00.0"


def sriov_facts(it: Interpreter, node: str) -> list[dict[str, object]]:
    """What scripts/collect-snapshot.sh reads from sysfs for sriov.json
    (``device`` -> the PCI name, ``sriov_totalvfs``/``sriov_numvfs``, ``physfn`` and the
    PF's ``virtfnN``, ``speed``): the emulator has no sysfs tree of PCI functions, so the
    stand-in reads the same facts from its devices."""
    from vnetlab.sim.devices.sriov.pf import PfDevice
    from vnetlab.sim.devices.sriov.vf import VfDevice

    out: list[dict[str, object]] = []
    for dev in it.world.get_ns(node).devices.values():
        if isinstance(dev, PfDevice):
            d: dict[str, object] = {"ifname": dev.name, "pci": _pci(dev), "speed": dev.speed}
            if dev.sriov is not None:
                d["sriov_totalvfs"] = dev.sriov.totalvfs
                d["sriov_numvfs"] = dev.sriov.numvfs
            out.append(d)
        elif isinstance(dev, VfDevice):
            out.append({"ifname": dev.name, "pci": _pci(dev), "physfn": _pci(dev.pf),
                        "vf": dev.index})
    return out


def write(dumps: list[NamespaceDump], root: Path) -> None:
    from vnetlab.snapshot.dumps import write_dir

    write_dir(root, dumps)
