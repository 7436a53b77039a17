"""The Open vSwitch part of a plan: per node with ``ovs:``, the ops that start its daemons,
build its bridges and give the devices ovs-vswitchd makes their addresses.

Design note
-----------
Placed after every link of the lab exists and is up and before the routes (a route may go
through an internal port). Per node, in this order:

1. a ``# ...`` line saying the datapath type chosen and why (``detect_datapath``): ``system``
   only when the openvswitch kernel module is loaded (``/sys/module/openvswitch``; a
   namespace cannot load it), else ``netdev``, the userspace datapath. A bridge that asks
   for ``system`` on a host without the module is refused here, before anything is built;
2. ``ovsdb-server`` then ``ovs-vswitchd`` inside the node's namespace (``ops``);
3. the ``ovs-vsctl`` commands of each bridge (``vnetlab.ovsdb.commands``, the argv the
   emulator runs through its own ovs-vsctl: both engines build from one list);
4. on the userspace datapath, ``arp off`` on each system port (``ops.ArpOff``: the node's
   own stack also sees the port's frames there and would answer ARP on it), and
   ``ethtool -K ... tx off`` on each port that is one end of a veth pair (a lab link) and
   on its peer: measured here, TCP through a netdev bridge works only when the *sending*
   end of the pair (the peer of the OVS port) computes its checksums; the port's own end
   is the usual advice and costs nothing;
5. the datapath's own device, the bridge's own port and the ``internal`` ports: found
   (``OvsNetdev``), tagged with the lab's alias like every other link, addresses, ``up``;
6. groups and flows (``ovs-ofctl``), after the ports so flows may name them;
7. on the userspace datapath, the next hop of each tunnel into ovs-vswitchd's tunnel
   neighbour cache (``ovs-appctl tnl/neigh/set``, see ``tunnels``): else the first packet
   through a tunnel is dropped while it ARPs.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.ops.base import Op
from vnetlab.kernel.ops.ipv4 import AddAddr
from vnetlab.kernel.ops.link import SetAlias, SetUp
from vnetlab.kernel.ovs import daemons, tunnels
from vnetlab.kernel.ovs.ops import (
    ArpOff,
    Note,
    OvsNetdev,
    OvsTool,
    StartOvsdb,
    StartVswitchd,
    TxOff,
)
from vnetlab.model.spec import LabSpec
from vnetlab.ovsdb.commands import ofctl_commands, vsctl_commands

OVS_MODULE = "/sys/module/openvswitch"
#: the device each datapath type puts into the namespace (lib/dpif-netdev.c makes a tap
#: named after the datapath, ``ovs-netdev``; the kernel module's datapath is ``ovs-system``)
DATAPATH_DEVICE = {"netdev": "ovs-netdev", "system": "ovs-system"}
#: the real programs a lab with ``ovs:`` runs, and the Debian package of each
PROGRAMS = {"ovsdb-tool": "openvswitch-switch", "ovsdb-server": "openvswitch-switch",
            "ovs-vswitchd": "openvswitch-switch", "ovs-vsctl": "openvswitch-switch",
            "ovs-ofctl": "openvswitch-common", "ethtool": "ethtool"}


def detect_datapath(module: str = OVS_MODULE) -> tuple[str, str]:
    """(datapath type, why): ``system`` when the kernel module is loaded, else ``netdev``."""
    if os.path.isdir(module):
        return "system", "the openvswitch kernel module is loaded"
    return "netdev", "no openvswitch kernel module on this host: the userspace datapath"


def has_ovs(lab: LabSpec) -> bool:
    return any(node.ovs for node in lab.nodes.values())


def _peers(lab: LabSpec) -> dict[tuple[str, str], tuple[str, str]]:
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for link in lab.links:
        a, b = link.endpoints
        out[(a.node, a.ifname)] = (b.node, b.ifname)
        out[(b.node, b.ifname)] = (a.node, a.ifname)
    return out


def datapaths(lab: LabSpec, detected: tuple[str, str]) -> dict[tuple[str, str], str]:
    """(node, bridge) -> the datapath type it gets: its own choice, else the detected one."""
    return {(n, br): spec.datapath_type or detected[0]
            for n, node in lab.nodes.items() for br, spec in node.ovs.items()}


def check(lab: LabSpec, detected: tuple[str, str]) -> None:
    """Refuse, before building, what the host's Open vSwitch cannot do: a bridge that
    wants a datapath this host does not have, a tunnel the userspace datapath cannot send
    (``tunnels.problems``)."""
    dp, why = detected
    problems = [f"Open vSwitch bridge {n}:{br} asks for datapath_type system, but {why}"
                for n, node in lab.nodes.items() for br, spec in node.ovs.items()
                if spec.datapath_type == "system" and dp != "system"]
    hint = "drop datapath_type (netdev is chosen), or run it in the emulator (--engine sim)"
    if not problems:
        problems = tunnels.problems(lab, datapaths(lab, detected))
        hint = ("give the tunnel's underlay address to an OVS bridge of the node (e.g. "
                "br-phy with the uplink as its port), or run it in the emulator (--engine sim)")
    if problems:
        raise UnsupportedError(
            "the linux engine cannot build this lab on this host: " + "; ".join(problems),
            hint=hint)


def plan_ovs(lab: LabSpec, namespaces: Mapping[str, str], *, prefix: str, alias: str,
             detected: tuple[str, str] | None = None) -> list[Op]:
    """The ops of every node's Open vSwitch (empty for a lab without ``ovs:``)."""
    if not has_ovs(lab):
        return []
    detected = detected or detect_datapath()
    check(lab, detected)
    peers = _peers(lab)
    ops: list[Op] = []
    for node_name, node in lab.nodes.items():
        if not node.ovs:
            continue
        ns = namespaces[node_name]
        rundir = str(daemons.node_dir(prefix, lab.name, node_name))
        dps = {br: dp for (n, br), dp in datapaths(lab, detected).items() if n == node_name}
        ops.append(Note(ns, text=f"{node_name}: Open vSwitch datapath_type="
                                 f"{'/'.join(sorted(set(dps.values())))} ({detected[1]})"))
        ops.append(StartOvsdb(ns, node=node_name, rundir=rundir))
        ops.append(StartVswitchd(ns, node=node_name, rundir=rundir))
        flows: list[Op] = []
        tagged: set[str] = set()
        for br, spec in node.ovs.items():
            ops.extend(OvsTool(ns, rundir=rundir, argv=("ovs-vsctl", *c))
                       for c in vsctl_commands(br, spec, dps[br]))
            flows.extend(OvsTool(ns, rundir=rundir, argv=("ovs-ofctl", *c))
                         for c in ofctl_commands(br, spec))
            if dps[br] == "netdev":
                for port, ps in spec.ports.items():
                    if ps.type == "system" and port in node.interfaces:
                        ops.append(ArpOff(ns, ifname=port))
                    peer = peers.get((node_name, port))  # a lab link: a veth pair
                    if peer is not None:
                        ops.append(TxOff(ns, ifname=port))
                        ops.append(TxOff(namespaces[peer[0]], ifname=peer[1]))
            dp_dev = DATAPATH_DEVICE[dps[br]]
            if dp_dev not in tagged:  # the datapath's own device, once per node
                tagged.add(dp_dev)
                ops += [OvsNetdev(ns, ifname=dp_dev), SetAlias(ns, ifname=dp_dev, alias=alias)]
            netdevs = [(br, spec.addresses, spec.up)] + [
                (p, ps.addresses, ps.up) for p, ps in spec.ports.items() if ps.is_netdev]
            for ifname, addrs, up in netdevs:
                ops.append(OvsNetdev(ns, ifname=ifname))
                ops.append(SetAlias(ns, ifname=ifname, alias=alias))
                ops.extend(AddAddr(ns, ifname=ifname, cidr=str(a)) for a in addrs)
                if up:
                    ops.append(SetUp(ns, ifname=ifname))
        ops.extend(flows)
        if "netdev" in dps.values():
            ops.extend(OvsTool(ns, rundir=rundir, argv=("ovs-appctl", "tnl/neigh/set", *e))
                       for e in tunnels.neigh_entries(lab, node_name))
    return ops


def undo_lines(ops: list[Op]) -> list[str]:
    """How a user removes by hand the daemons a printed plan starts (before ``ip netns
    del``: a running daemon keeps its namespace alive)."""
    dirs = [op.rundir for op in ops if isinstance(op, StartOvsdb)]
    out = []
    for rundir in dirs:
        d = shlex.quote(rundir)
        out.append(f"kill $(cat {d}/ovs-vswitchd.pid) $(cat {d}/ovsdb-server.pid)")
    if dirs:
        out.append(f"rm -rf {shlex.quote(os.path.dirname(dirs[0]))}")
    return out
