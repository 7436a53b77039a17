"""A lab as a script of ``ip``/``bridge``/``sysctl`` commands (``vnetlab export --script``).

Design note
-----------
The script does what ``vnetlab.sim.build`` does, in the same order, as commands a person
would type, one function per build stage: namespaces (``lo`` up, as the emulator's nodes
have it), devices (each with its MAC, so the result is the lab's state byte for byte), veth
pairs, Open vSwitch bridges (the ``ovs-vsctl``/``ovs-ofctl`` lines of
``vnetlab.ovsdb.commands``), masters and bridge port flags, bridge VLANs, addresses,
sysctls (a node with ``ipv6: off`` says so right after ``ip netns add``, as
``net.ipv6.conf.{all,default}.disable_ipv6=1``), links up (bridges first, then the
netdevs ovs-vswitchd made, with their addresses), routes (``ip -6 route`` for IPv6
ones), static FDB entries, then the lab's own ``setup:``. Devices are made in the model's
build order (``vnetlab.model.order``), and a device ``ip link add`` makes is
spelled by its spec (``ip_link_type()``, ``ip_link_lower()``), the spelling the linux
engine's plan shares: a bridge's ``vlan_filtering`` is set when it is created. A veth end
comes with its peer (``type veth peer name P``), TUN/TAP from ``ip tuntap add``. Device
names are always spelled after a keyword (``link add name N``, ``link set dev N``), as
iproute2 allows, so an interface named ``dev``, ``type`` or ``link`` is a name and not a
keyword; the lab's description is a comment line by line.

A node named ``host`` is the root namespace; every other node is ``ip netns add``-ed. The
script starts with the ``# vnetlab: bare`` pragma: its root namespace has no emulated
``eth0`` of its own (the lab says what ``host`` has). What no command can say (Geneve option
TLVs, TUN/TAP programs, STP in the emulator) raises ``ExportError``, never a silently
different lab.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from vnetlab.model.kinds.bridge import BridgeSpec
from vnetlab.model.kinds.geneve import GeneveSpec
from vnetlab.model.kinds.tuntap import TapSpec, TuntapSpec
from vnetlab.model.kinds.veth import VethSpec
from vnetlab.model.kinds.vlan import VlanSpec
from vnetlab.model.kinds.vxlan import VxlanSpec
from vnetlab.model.netdev import BridgeVlan, NetdevSpec
from vnetlab.model.order import Key, build_order, split_ref
from vnetlab.model.ovs import NETDEV_PORT_TYPES
from vnetlab.model.spec import LabSpec, NodeSpec
from vnetlab.ovsdb.commands import ofctl_commands, vsctl_commands

Ifaces = Mapping[str, NetdevSpec]
#: the datapath an exported OVS bridge asks for: the emulator's default, the kernel one
#: (``vnetlab.sim.ovs.build.DATAPATH_TYPE``)
OVS_DATAPATH_TYPE = "system"


class ExportError(ValueError):
    """The lab uses something that has no command form."""


def _n(node: str) -> str:
    """``ip -n NODE``; the lab's ``host`` is the script's own (root) namespace."""
    return "" if node == "host" else f"-n {node} "


def _exec(node: str) -> str:
    return "" if node == "host" else f"ip netns exec {node} "


def _mtu(spec: NetdevSpec) -> str:
    return f" mtu {spec.mtu}" if spec.mtu not in (None, 1500) else ""


def _address(spec: NetdevSpec) -> str:
    return f" address {spec.mac}" if spec.mac else ""


def export_script(lab: LabSpec) -> str:
    nodes = {n: nspec.interfaces for n, nspec in lab.nodes.items()}
    order = build_order(nodes)
    out = _header(lab)
    out += _namespaces(lab)
    out += _devices(lab, order)
    for node, nspec in lab.nodes.items():
        out += _ovs_bridges(node, nspec)
        out += _masters(node, nspec.interfaces)
        out += _bridge_vlans(node, nspec.interfaces)
        out += _addresses(node, nspec.interfaces)
        out += _sysctls(node, nspec)
    rank = {key: i for i, key in enumerate(order)}
    for node, nspec in lab.nodes.items():
        out += _links_up(node, nspec.interfaces, rank)
        out += _ovs_netdevs_up(node, nspec)
    for node, nspec in lab.nodes.items():
        out += _routes(node, nspec)
        out += _static_fdb(node, nspec.interfaces)
        out += [f"{_exec(node)}tc {line}" for line in nspec.tc]
    out += _setup(lab)
    return "\n".join(out) + "\n"


def _header(lab: LabSpec) -> list[str]:
    # every line of the description stays a comment: a newline in it must not start a
    # command (or push the pragma below out of the script's head)
    about = f"lab {lab.name}" + (f": {lab.description.strip()}" if lab.description else "")
    return [
        *(f"# {line}".rstrip() for line in about.splitlines()),
        "# written by `vnetlab export --script`; run it with `vnetlab script FILE`",
        "# vnetlab: bare",
        "set -e",
    ]


def _namespaces(lab: LabSpec) -> list[str]:
    out = [f"ip netns add {node}" for node in lab.nodes if node != "host"]
    out += _ipv6_off(lab)
    out += [f"ip {_n(node)}link set lo up" for node in lab.nodes]
    return out


def _ipv6_off(lab: LabSpec) -> list[str]:
    """``ipv6: off``: ``all`` and ``default`` ``disable_ipv6=1`` before any device exists
    (``all`` writes through to ``lo``), so nothing IPv6 ever happens in the node — what
    the emulator's builder and the linux engine do for it."""
    node_ipv6 = getattr(lab, "node_ipv6", None)
    # a model without the ipv6 setting builds every node with IPv6 off (the emulator's
    # builder before the lab format had it): the script says so too
    return [f"{_exec(node)}sysctl -qw net.ipv6.conf.{which}.disable_ipv6=1"
            for node in lab.nodes if node_ipv6 is None or not node_ipv6(node)
            for which in ("all", "default")]


# -- devices ------------------------------------------------------------------------------
def _peers(lab: LabSpec) -> dict[Key, Key]:
    """Each veth end -> the other end of its link."""
    peers: dict[Key, Key] = {}
    for link in lab.links:
        a, b = link.endpoints
        peers[(a.node, a.ifname)] = (b.node, b.ifname)
        peers[(b.node, b.ifname)] = (a.node, a.ifname)
    return peers


def _devices(lab: LabSpec, order: Iterable[Key]) -> list[str]:
    """Every device, in the build order; a veth pair once, from its first end."""
    out: list[str] = []
    peers = _peers(lab)
    done: set[Key] = set()
    for node, ifname in order:
        spec = lab.nodes[node].interfaces[ifname]
        if isinstance(spec, VethSpec):
            key = (node, ifname)
            if key not in peers:
                raise ExportError(f"{node}:{ifname} is a veth without a link")
            if key in done:
                continue
            pn, pi = peers[key]
            out.append(_veth_pair(node, ifname, spec, pn, pi, lab.nodes[pn].interfaces[pi]))
            done.update({key, (pn, pi)})
        elif isinstance(spec, TuntapSpec):
            out += _tuntap(node, ifname, spec)
        else:
            out.append(_ip_link_add(node, ifname, spec))
            if isinstance(spec, VxlanSpec):
                out += _vxlan_fdb(node, ifname, spec)
    return out


def _veth_pair(node: str, ifname: str, spec: NetdevSpec, pnode: str, pifname: str,
               pspec: NetdevSpec) -> str:
    """``veth_newlink``: both ends at once, the peer made directly in its namespace."""
    netns = f" netns {pnode}" if pnode != node else ""
    return (f"ip {_n(node)}link add name {ifname}{_address(spec)}{_mtu(spec)} type veth peer "
            f"name {pifname}{_address(pspec)}{_mtu(pspec)}{netns}")


def _tuntap(node: str, ifname: str, spec: TuntapSpec) -> list[str]:
    """``ip tuntap add`` makes a persistent device; its MAC and MTU are set afterwards."""
    if spec.program is not None:
        raise ExportError(f"{node}:{ifname}: a TUN/TAP program has no command form")
    kind = "tap" if isinstance(spec, TapSpec) else "tun"
    out = [f"ip {_n(node)}tuntap add dev {ifname} mode {kind}"]
    if kind == "tap" and spec.mac:
        out.append(f"ip {_n(node)}link set dev {ifname} address {spec.mac}")
    if _mtu(spec):
        out.append(f"ip {_n(node)}link set dev {ifname}{_mtu(spec)}")
    return out


def _ip_link_add(node: str, ifname: str, spec: NetdevSpec) -> str:
    """``ip [-n NODE] link add [link LOWER] NAME [address MAC] [mtu M] [netns NODE] type
    KIND ...``, the kind's words from its spec. A lower in another node (``NODE:IFNAME``)
    makes the device there and moves it in with ``netns``, as ``ip`` would have to."""
    if isinstance(spec, GeneveSpec) and spec.options:
        raise ExportError(f"{node}:{ifname}: Geneve option TLVs have no ip command form")
    if spec.type in ("nic", "vf"):
        # a script cannot make a physical port; writing sriov_numvfs to a NIC the script's
        # host may not have is not an export of this lab
        raise ExportError(f"{node}:{ifname}: a physical NIC port and its VFs have no "
                          "ip link add form (export of SR-IOV labs is not supported yet)")
    kind = spec.ip_link_type()
    if kind is None:
        raise ExportError(f"{node}:{ifname}: {type(spec).__name__} has no ip link add form")
    where, lower, netns = node, "", ""
    lower_name = spec.ip_link_lower()
    if lower_name is not None:
        where = split_ref(node, spec.lower_refs()[0])[0]
        lower = f"link {lower_name} "
        netns = f" netns {node}" if where != node else ""
    return (f"ip {_n(where)}link add {lower}name {ifname}{_address(spec)}{_mtu(spec)}{netns} "
            + " ".join(kind))


def _vxlan_fdb(node: str, ifname: str, spec: VxlanSpec) -> list[str]:
    """The remote VTEPs (``bridge fdb append``); the default entry ``remote`` already made
    is not repeated."""
    return [f"bridge {_n(node)}fdb append {e.mac} dev {ifname} dst {e.dst}" for e in spec.fdb
            if not (e.mac == "00:00:00:00:00:00" and spec.remote is not None
                    and str(e.dst) == str(spec.remote))]


# -- ports, VLANs, addresses, sysctls -----------------------------------------------------
def _masters(node: str, ifaces: Ifaces) -> list[str]:
    """``ip link set PORT master BR`` and the port flags that differ from the defaults."""
    out: list[str] = []
    for ifname, spec in ifaces.items():
        if not spec.master:
            continue
        out.append(f"ip {_n(node)}link set dev {ifname} master {spec.master}")
        bp = spec.bridge_port
        if bp is None:
            continue
        flags = [f"{k} {'on' if on else 'off'}"
                 for k, on, dflt in (("learning", bp.learning, True), ("flood", bp.flood, True),
                                     ("hairpin", bp.hairpin, False)) if on != dflt]
        if bp.cost is not None:  # STP (issue 12): ``bridge link set dev X cost N priority N``
            flags.append(f"cost {bp.cost}")
        if bp.priority != 32:
            flags.append(f"priority {bp.priority}")
        if flags:
            out.append(f"bridge {_n(node)}link set dev {ifname} {' '.join(flags)}")
    return out


def _vlan_flags(v: BridgeVlan) -> str:
    return (" pvid" if v.pvid else "") + (" untagged" if v.untagged else "")


def _bridge_vlans(node: str, ifaces: Ifaces) -> list[str]:
    """A bridge's own VLANs (``self``), then its ports': each list replaces the default
    PVID the bridge gave the device."""
    out: list[str] = []
    for ifname, spec in ifaces.items():
        if not isinstance(spec, BridgeSpec):
            continue
        if spec.vlans is not None:
            if spec.default_pvid:
                out.append(f"bridge {_n(node)}vlan del vid {spec.default_pvid} dev "
                           f"{ifname} self")
            out += [f"bridge {_n(node)}vlan add vid {v.vid} dev {ifname} self{_vlan_flags(v)}"
                    for v in spec.vlans]
        for port, pspec in ifaces.items():
            bp = pspec.bridge_port
            if pspec.master != ifname or bp is None or bp.vlans is None:
                continue
            if spec.default_pvid:
                out.append(f"bridge {_n(node)}vlan del vid {spec.default_pvid} dev {port}")
            out += [f"bridge {_n(node)}vlan add vid {v.vid} dev {port}{_vlan_flags(v)}"
                    for v in bp.vlans]
    return out


def _addresses(node: str, ifaces: Ifaces) -> list[str]:
    return [f"ip {_n(node)}addr add {a} dev {ifname}"
            for ifname, spec in ifaces.items() for a in spec.addresses]


def _sysctls(node: str, nspec: NodeSpec) -> list[str]:
    return [f"{_exec(node)}sysctl -qw {name}={value}" for name, value in nspec.sysctls.items()]


# -- Open vSwitch ---------------------------------------------------------------------------
def _ovs_bridges(node: str, nspec: NodeSpec) -> list[str]:
    """A node's bridges as the ``ovs-vsctl``/``ovs-ofctl`` lines both engines run
    (``vnetlab.ovsdb.commands``), once its devices exist; the emulator's datapath is the
    kernel one unless the lab names another."""
    out: list[str] = []
    for bridge, spec in nspec.ovs.items():
        out += [f"{_exec(node)}ovs-vsctl {_shell_words(argv)}"
                for argv in vsctl_commands(bridge, spec, OVS_DATAPATH_TYPE)]
        out += [f"{_exec(node)}ovs-ofctl {_shell_words(argv)}"
                for argv in ofctl_commands(bridge, spec)]
    return out


def _ovs_netdevs_up(node: str, nspec: NodeSpec) -> list[str]:
    """The netdevs ovs-vswitchd made (the bridge's own port, ``internal`` ports) get their
    addresses and come up after the node's other links."""
    out: list[str] = []
    for bridge, spec in nspec.ovs.items():
        netdevs = [(bridge, spec.addresses, spec.up)]
        netdevs += [(port, p.addresses, p.up) for port, p in spec.ports.items()
                    if p.type in NETDEV_PORT_TYPES]
        for ifname, addresses, up in netdevs:
            out += [f"ip {_n(node)}addr add {a} dev {ifname}" for a in addresses]
            if up:
                out.append(f"ip {_n(node)}link set dev {ifname} up")
    return out


def _shell_words(argv: list[str]) -> str:
    """The words as sh reads them back: a flow's ``actions=output(...)`` or a JSON-quoted
    ovsdb string stays one word."""
    return " ".join(shlex.quote(w) for w in argv)


# -- up, routes, FDB, setup ---------------------------------------------------------------
def _links_up(node: str, ifaces: Ifaces, rank: Mapping[Key, int]) -> list[str]:
    """Bridges first, then the rest in build order; a VLAN device the lab keeps down is
    set down again (it follows its lower up: ``vlan_device_event``)."""
    up_order = sorted(ifaces.items(),
                      key=lambda kv: (not isinstance(kv[1], BridgeSpec), rank[(node, kv[0])]))
    out = [f"ip {_n(node)}link set dev {ifname} up" for ifname, spec in up_order if spec.up]
    out += [f"ip {_n(node)}link set dev {ifname} down" for ifname, spec in up_order
            if isinstance(spec, VlanSpec) and not spec.up]
    return out


def _routes(node: str, nspec: NodeSpec) -> list[str]:
    out: list[str] = []
    for r in nspec.routes:
        v6 = getattr(r, "family", "inet") == "inet6"
        s = f"ip {'-6 ' if v6 else ''}{_n(node)}route add {r.dst}"
        if r.via is not None:
            s += f" via {r.via}"
        if r.dev is not None:
            s += f" dev {r.dev}"
        if r.metric:
            s += f" metric {r.metric}"
        out.append(s)
    return out


def _static_fdb(node: str, ifaces: Ifaces) -> list[str]:
    return [f"bridge {_n(node)}fdb add {e.mac} dev {e.dev} master static"
            for spec in ifaces.values() if isinstance(spec, BridgeSpec) for e in spec.fdb]


def _setup(lab: LabSpec) -> list[str]:
    out = ["sleep 1  # bring-up settles, as when vnetlab builds the lab"]
    if lab.setup:
        out.append("# the lab's own setup:")
        out.extend(lab.setup.rstrip("\n").split("\n"))
    return out


__all__ = ["ExportError", "export_script"]
