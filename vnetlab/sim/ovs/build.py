"""Building a node's Open vSwitch in the emulator from the lab model.

Design note
-----------
Exactly what the linux engine does with the real tools: the ``ovs-vsctl`` and
``ovs-ofctl`` argv lists of ``vnetlab.ovsdb.commands`` run, one by one, against the node's
emulated ovs-vswitchd (its own ``Database``), so the emulator is configured through the
same front-ends a user types into. A command that fails is a lab error with OVS's own
message. Then the internal ports (the bridge's own and ``type: internal``) get their
addresses and come up like any interface of the node. The emulator's datapath is the
kernel one (``system``) unless the lab names another (``datapath_type: netdev``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.engine import UnsupportedError
from vnetlab.model.state import FdbState
from vnetlab.ovsdb.commands import ofctl_commands, vsctl_commands
from vnetlab.sim.ovs.odp import mac_str
from vnetlab.sim.ovs.vswitchd import Vswitchd
from vnetlab.sim.stack.addr import InetAddr, ip_int

if TYPE_CHECKING:
    from vnetlab.model.spec import NodeSpec
    from vnetlab.sim.stack.netns import Namespace

#: the datapath when the lab names none: the kernel one, as ovs-vswitchd takes an empty
#: ``datapath_type`` (deterministic, whatever module the host has)
DATAPATH_TYPE = "system"


def build_ovs(ns: Namespace, node: NodeSpec) -> Vswitchd:
    """Start the node's vswitchd and configure every bridge of ``node.ovs``."""
    vs = Vswitchd(ns)
    for bridge, spec in node.ovs.items():
        for argv in vsctl_commands(bridge, spec, DATAPATH_TYPE):
            res = vs.vsctl(argv)
            if res.status != 0 or "Error detected" in res.stderr:
                raise UnsupportedError(f"node {ns.name}: ovs-vsctl {' '.join(argv)}: "
                                       f"{res.stderr.strip()}")
        for argv in ofctl_commands(bridge, spec):
            res = vs.ofctl(argv)
            if res.status != 0:
                raise UnsupportedError(f"node {ns.name}: ovs-ofctl {' '.join(argv)}: "
                                       f"{res.stderr.strip()}")
    return vs


def bring_up_ovs(ns: Namespace, node: NodeSpec, vs: Vswitchd) -> None:
    """Addresses on the internal ports, then up (as ``ip addr add``/``ip link set up``)."""
    for bridge, spec in node.ovs.items():
        wanted = [(bridge, spec.addresses, spec.up)]
        wanted += [(name, p.addresses, p.up) for name, p in spec.ports.items()
                   if p.type == "internal"]
        for name, addrs, up in wanted:
            dev = vs.internal.get(name)
            if dev is None:
                continue
            for cidr in addrs:
                ns.add_addr(dev, InetAddr(ip_int(cidr.ip), cidr.network.prefixlen))
            if up:
                dev.set_admin(True)


def vswitchd_of(ns: Namespace) -> Vswitchd:
    """The namespace's ovs-vswitchd, started on first use (a script's first
    ``ovs-vsctl`` on a node the lab gave no ``ovs:``)."""
    if ns.vswitchd is None:
        ns.vswitchd = Vswitchd(ns)
    return ns.vswitchd


def observe_fdb(ns: Namespace) -> list[FdbState]:
    """The MAC learning tables of the node's OVS bridges as the rows ``bridge fdb show``
    gives (the linux engine reads ``ovs-appctl fdb/show`` into the same shape): the port
    by name (the bridge's own for LOCAL), VLAN 0 as none, learned entries unflagged."""
    vs = ns.vswitchd
    if vs is None:
        return []
    vs.run()
    rows: list[FdbState] = []
    for name, br in vs.bridges.items():
        for e in br.ml.table.values():
            rows.append(FdbState(name, e.port, mac_str(e.mac), e.vlan or None))
    return rows
