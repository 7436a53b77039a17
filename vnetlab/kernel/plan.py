"""plan(lab) -> [Op]: the lab as an ordered list of kernel operations (pure, no root).

Design note
-----------
Each ``Op`` is one iproute2 command (``.shell()`` prints it exactly as a user would type it)
and one rtnetlink request or sysctl write when applied (``vnetlab.kernel.apply``). The order
is the order the kernel needs:

1. ``ip netns add`` for every node (the lab's "host" is just another namespace), IPv6 off
   in it (the model is IPv4 only, see ``IPV6_OFF``), ``lo`` up;
2. bridges (``ip link add BR type bridge stp_state S ageing_time CS``; netlink's
   ``IFLA_BR_AGEING_TIME`` is in centiseconds, as ``ip`` prints it);
3. veth pairs created directly across namespaces (``... type veth peer name P netns NS``),
   with the MAC and MTU of both ends from the model (``IFLA_ADDRESS`` at creation marks the
   address ``NET_ADDR_SET``, so a bridge keeps the MAC it was given instead of taking its
   lowest port's, ``br_stp_recalculate_bridge_id``);
4. ownership tags (``ifalias vnetlab:LAB:RUN``; every link also joins device group
   ``VNL_GROUP`` so teardown can delete a namespace's links in one batch,
   ``rtnl_group_dellink``);
5. ports join bridges (``master``), port flags (``bridge link set ... learning/flood/hairpin``),
   a bridge whose MTU was given explicitly gets it back after its ports joined (the bridge
   auto-adjusts to its smallest port, ``br_mtu_auto_adjust``), static FDB entries;
6. addresses, sysctls, links up (bridges before ports), then routes: a gateway route needs
   an up device with a connected route to the gateway (``fib_check_nh``).

Namespace names are ``PREFIX + LAB + "." + NODE`` (``vnl-t1.host``): lab names cannot contain
a dot, so two labs can never produce the same namespace name (``vnl-a-b`` + ``c`` and
``vnl-a`` + ``b-c`` would clash with a dash).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.ops import (  # noqa: F401  (re-exported for callers of plan)
    DEFAULT_PREFIX,
    IPV6_OFF,
    NETNS_NAME_MAX,
    VNL_GROUP,
    AddAddr,
    AddBridge,
    AddFdb,
    AddGeneve,
    AddLowerDev,
    AddNetns,
    AddRoute,
    AddTuntap,
    AddVeth,
    AddVlan,
    AddVxlan,
    AddVxlanFdb,
    BridgeVlanOp,
    Op,
    SetAlias,
    SetBrportFlags,
    SetMaster,
    SetMtu,
    SetSysctl,
    SetUp,
    _q,
    alias_for,
    netns_name,
)
from vnetlab.model.spec import (
    BridgeSpec,
    BridgeVlan,
    GeneveSpec,
    InterfaceSpec,
    IpvlanSpec,
    LabSpec,
    LowerDevSpec,
    MacvlanSpec,
    NodeSpec,
    TapSpec,
    TunSpec,
    VethSpec,
    VlanSpec,
    VxlanSpec,
)


@dataclass(slots=True)
class _Indexer:
    """Per-namespace ifindex allocation (lo is 1 in a fresh namespace)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, ns: str) -> int:
        i = self.next.get(ns, 2)
        self.next[ns] = i + 1
        return i


def realize_bridge(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add BR type bridge`` (net/bridge/br_netlink.c ``br_dev_newlink``)."""
    assert isinstance(spec, BridgeSpec)
    return [
        AddBridge(
            ns,
            ifname=ifname,
            index=idx.take(ns),
            mac=spec.mac,
            mtu=spec.mtu,
            stp=spec.stp,
            ageing_time_cs=round(spec.ageing_time * 100),
            vlan_filtering=spec.vlan_filtering,
            default_pvid=spec.default_pvid,
        )
    ]


def realize_vlan(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add link LOWER name NAME type vlan id VID`` (``vlan_newlink``)."""
    assert isinstance(spec, VlanSpec)
    return [AddVlan(ns, ifname=ifname, index=idx.take(ns), link=spec.link, vid=spec.id,
                    mac=spec.mac, mtu=spec.mtu or 1500)]


def realize_vxlan(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add NAME type vxlan id VNI dstport P ...`` (``vxlan_nl2conf``)."""
    assert isinstance(spec, VxlanSpec)

    def s(a: object) -> str | None:
        return None if a is None else str(a)

    return [AddVxlan(ns, ifname=ifname, index=idx.take(ns), vni=spec.id, dstport=spec.dstport,
                     local=s(spec.local), remote=s(spec.remote), group=s(spec.group),
                     dev=spec.dev, ttl=spec.ttl, df=spec.df, learning=spec.learning,
                     mac=spec.mac, mtu=spec.mtu or 1500)]


def realize_geneve(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add NAME type geneve id VNI remote IP ...`` (``geneve_nl2info``)."""
    assert isinstance(spec, GeneveSpec) and spec.remote is not None
    return [AddGeneve(ns, ifname=ifname, index=idx.take(ns), vni=spec.id,
                      remote=str(spec.remote), dstport=spec.dstport, ttl=spec.ttl, df=spec.df,
                      mac=spec.mac, mtu=spec.mtu or 1500)]


def _lowerdev(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    assert isinstance(spec, MacvlanSpec | IpvlanSpec)
    lnode, _, lname = spec.link.rpartition(":")
    mac = spec.mac if isinstance(spec, MacvlanSpec) and spec.mode != "passthru" else None
    return [AddLowerDev(ns, ifname=ifname, index=idx.take(ns), kind=spec.type, mode=spec.mode,
                        link=lname, link_node=lnode, mac=mac, mtu=spec.mtu or 1500)]


def realize_macvlan(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add link LOWER name NAME type macvlan mode M`` (IFLA_MACVLAN_MODE)."""
    return _lowerdev(ns, ifname, spec, idx)


def realize_ipvlan(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip link add link LOWER name NAME type ipvlan mode l2|l3`` (IFLA_IPVLAN_MODE); the
    ipvlan takes its lower's MAC, so none is sent."""
    return _lowerdev(ns, ifname, spec, idx)


def realize_tuntap(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """``ip tuntap add dev NAME mode tun|tap user U group G`` (a persistent device)."""
    assert isinstance(spec, TunSpec | TapSpec)
    return [AddTuntap(ns, ifname=ifname, index=idx.take(ns), mode=spec.type, user=spec.user,
                      group=spec.group, mac=spec.mac if spec.type == "tap" else None,
                      mtu=spec.mtu)]


def realize_veth_end(ns: str, ifname: str, spec: InterfaceSpec, idx: _Indexer) -> list[Op]:
    """Nothing on its own: both ends of a pair are made by one ``AddVeth`` from ``links:``."""
    return []


Realizer = Callable[[str, str, InterfaceSpec, _Indexer], list[Op]]

#: model kind -> kernel realizer (one entry per kind in ``DEVICE_KINDS``; kinds the host
#: lacks are refused at plan time from ``vnetlab.kernel.features``).
REALIZERS: dict[str, Realizer] = {
    "veth": realize_veth_end,
    "bridge": realize_bridge,
    "vlan": realize_vlan,
    "vxlan": realize_vxlan,
    "geneve": realize_geneve,
    "macvlan": realize_macvlan,
    "ipvlan": realize_ipvlan,
    "tun": realize_tuntap,
    "tap": realize_tuntap,
}

#: kinds stacked on another device of the node (``link``/``dev``): made after the veth pairs
STACKED_KINDS = frozenset({"vlan", "vxlan", "geneve", "macvlan", "ipvlan"})

#: kinds the model knows but this engine does not build at all, with the reason.
UNSUPPORTED_KINDS: dict[str, str] = {}

#: feature key of a bridge with ``vlan_filtering: true`` (probed by ``features``)
BRIDGE_VLAN_FILTERING = "bridge-vlan-filtering"

#: why a Geneve ``options`` list cannot be built on a Linux geneve netdev
GENEVE_OPTIONS_REASON = (
    "Linux's geneve device takes no option TLVs: IFLA_GENEVE_* has no options attribute "
    "(drivers/net/geneve.c geneve_nl2info); options are set per packet only through "
    "collect_metadata tunnels (tc tunnel_key, Open vSwitch)"
)


def required_features(lab: LabSpec) -> set[str]:
    """Device kinds (and kernel features) the lab needs, for ``features.unsupported_kinds``."""
    need: set[str] = set()
    for node in lab.nodes.values():
        for spec in node.interfaces.values():
            need.add(spec.type)
            if isinstance(spec, BridgeSpec) and spec.vlan_filtering:
                need.add(BRIDGE_VLAN_FILTERING)
    return need


def _iface(node: NodeSpec, ifname: str) -> VethSpec | BridgeSpec:
    spec = node.interfaces.get(ifname)
    return spec if spec is not None else VethSpec()


def check_supported(lab: LabSpec, unsupported: dict[str, str] | None = None) -> None:
    """Raise ``UnsupportedError`` naming every interface of a kind this host cannot build."""
    missing = dict(unsupported or {})
    problems: list[str] = []
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            kind = spec.type
            if isinstance(spec, GeneveSpec) and spec.options:
                problems.append(f"{node_name}:{ifname} is a geneve with options: "
                                + GENEVE_OPTIONS_REASON)
            if isinstance(spec, BridgeSpec) and spec.vlan_filtering and \
                    BRIDGE_VLAN_FILTERING in missing:
                problems.append(f"{node_name}:{ifname} is a bridge with vlan_filtering: "
                                + missing[BRIDGE_VLAN_FILTERING])
            if kind in UNSUPPORTED_KINDS:
                problems.append(f"{node_name}:{ifname} is a {kind}: {UNSUPPORTED_KINDS[kind]}")
            elif kind in missing:
                problems.append(f"{node_name}:{ifname} is a {kind}: {missing[kind]}")
            elif kind not in REALIZERS:
                problems.append(f"{node_name}:{ifname} is a {kind}, which the linux engine "
                                "cannot build yet")
    if lab.setup.strip():
        problems.append(
            "the lab has a 'setup:' script, which only the emulator's interpreter runs so far "
            "(running it for real would need the script's own namespaces mapped onto the "
            "lab's vnl-* ones)"
        )
    if problems:
        raise UnsupportedError(
            "the linux engine cannot build this lab on this host: " + "; ".join(problems),
            hint="run it in the emulator (--engine sim), or on a kernel with those modules",
        )


def _stacked_order(node: NodeSpec) -> list[str]:
    """Stacked devices of a node, each after the stacked device it sits on (if any)."""
    stacked = {i: s for i, s in node.interfaces.items() if s.type in STACKED_KINDS}
    out: list[str] = []

    def lower(spec: InterfaceSpec) -> str | None:
        if isinstance(spec, VlanSpec):
            return spec.link
        if isinstance(spec, VxlanSpec):
            return spec.dev
        if isinstance(spec, LowerDevSpec) and ":" not in spec.link:
            return spec.link
        return None

    def visit(name: str, depth: int = 0) -> None:
        if name in out or depth > len(stacked):
            return
        low = lower(stacked[name])
        if low in stacked and low != name:
            visit(low, depth + 1)
        if name not in out:
            out.append(name)

    for name in stacked:
        visit(name)
    return out


def _vlan_ops(ns: str, dev: str, vlans: list[BridgeVlan], self_: bool) -> list[Op]:
    ops: list[Op] = []
    for v in vlans:
        r = v.vids
        ops.append(BridgeVlanOp(ns, dev=dev, vid=r.start,
                                vid_end=r.stop - 1 if len(r) > 1 else None, pvid=v.pvid,
                                untagged=v.untagged, self_=self_))
    return ops


def _bridge_vlans(ns: str, br: str, spec: BridgeSpec, node: NodeSpec) -> list[Op]:
    """Per-port and bridge-self VLANs. A new port (and the bridge itself) gets
    ``default_pvid`` pvid untagged from the kernel (``nbp_vlan_init``); a port with its own
    list loses that first, as ``bridge vlan del vid 1 dev PORT`` does by hand."""
    ops: list[Op] = []
    for ifname, p in node.interfaces.items():
        if p.master != br or p.bridge_port is None or p.bridge_port.vlans is None:
            continue
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=ifname, vid=spec.default_pvid, delete=True))
        ops.extend(_vlan_ops(ns, ifname, p.bridge_port.vlans, False))
    if spec.vlans is not None:
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=br, vid=spec.default_pvid, self_=True, delete=True))
        ops.extend(_vlan_ops(ns, br, spec.vlans, True))
    return ops


def plan(
    lab: LabSpec,
    *,
    prefix: str = DEFAULT_PREFIX,
    run_id: str = "manual",
    unsupported: dict[str, str] | None = None,
) -> list[Op]:
    """The ordered operations that build ``lab`` (pure; ``unsupported`` from features)."""
    check_supported(lab, unsupported)
    alias = alias_for(lab.name, run_id)
    ns = {node: netns_name(prefix, lab.name, node) for node in lab.nodes}
    idx = _Indexer()
    ops: list[Op] = []
    # 1. namespaces
    for node in lab.nodes:
        ops.append(AddNetns(ns[node], node=node))
        ops.extend(SetSysctl(ns[node], key=k, value=1) for k in IPV6_OFF)
        ops.append(SetUp(ns[node], ifname="lo"))
    # 2. devices of their own (bridges ...); veth ends are made with their link below
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            if spec.type in STACKED_KINDS:
                continue
            made = REALIZERS[spec.type](ns[node_name], ifname, spec, idx)
            ops.extend(made)
            ops.extend(SetAlias(ns[node_name], ifname=ifname, alias=alias) for _ in made[:1])
    # 3. veth pairs
    for link in lab.links:
        a, b = link.endpoints
        sa = _iface(lab.nodes[a.node], a.ifname)
        sb = _iface(lab.nodes[b.node], b.ifname)
        ops.append(
            AddVeth(
                ns[a.node],
                ifname=a.ifname,
                index=idx.take(ns[a.node]),
                mac=sa.mac,
                mtu=sa.mtu,
                peer_ns=ns[b.node],
                peer_ifname=b.ifname,
                peer_index=idx.take(ns[b.node]),
                peer_mac=sb.mac,
                peer_mtu=sb.mtu,
            )
        )
        ops.append(SetAlias(ns[a.node], ifname=a.ifname, alias=alias))
        ops.append(SetAlias(ns[b.node], ifname=b.ifname, alias=alias))
    # 3b. devices stacked on another (vlan on its link, vxlan on its dev): lower ones first
    #     a macvlan/ipvlan on another node's device comes after every node's own stack
    stacked = [(n, i) for n, node in lab.nodes.items() for i in _stacked_order(node)]
    stacked.sort(key=lambda t: ":" in getattr(lab.nodes[t[0]].interfaces[t[1]], "link", ""))
    for node_name, ifname in stacked:
        spec = lab.nodes[node_name].interfaces[ifname]
        made = [replace(o, link_ns=ns[o.link_node])
                if isinstance(o, AddLowerDev) and o.link_node else o
                for o in REALIZERS[spec.type](ns[node_name], ifname, spec, idx)]
        ops.extend(made)
        ops.extend(SetAlias(ns[node_name], ifname=ifname, alias=alias) for _ in made[:1])
    # 4. bridge ports, port flags, bridge MTU, static fdb
    for node_name, node in lab.nodes.items():
        n = ns[node_name]
        port_mtus: dict[str, list[int]] = {}
        for ifname, spec in node.interfaces.items():
            if spec.master is not None:
                ops.append(SetMaster(n, ifname=ifname, master=spec.master))
                port_mtus.setdefault(spec.master, []).append(spec.mtu)
                bp = spec.bridge_port
                if bp is not None and (not bp.learning or not bp.flood or bp.hairpin):
                    ops.append(
                        SetBrportFlags(
                            n, ifname=ifname, learning=bp.learning, flood=bp.flood,
                            hairpin=bp.hairpin,
                        )
                    )
        for ifname, spec in node.interfaces.items():
            if isinstance(spec, BridgeSpec):
                mtus = port_mtus.get(ifname)
                if mtus and min(mtus) != spec.mtu:
                    ops.append(SetMtu(n, ifname=ifname, mtu=spec.mtu))
                for entry in spec.fdb:
                    ops.append(AddFdb(n, bridge=ifname, dev=entry.dev, mac=entry.mac))
                if spec.vlan_filtering:
                    ops.extend(_bridge_vlans(n, ifname, spec, node))
            elif isinstance(spec, VxlanSpec):
                for ve in spec.fdb:
                    ops.append(AddVxlanFdb(n, dev=ifname, mac=ve.mac, dst=str(ve.dst)))
    # 5. addresses, sysctls, links up (bridges first), routes
    for node_name, node in lab.nodes.items():
        n = ns[node_name]
        for ifname, spec in node.interfaces.items():
            for addr in spec.addresses:
                ops.append(AddAddr(n, ifname=ifname, cidr=str(addr)))
        for key, value in sorted(node.sysctls.items()):
            ops.append(SetSysctl(n, key=key, value=value))
        ups = [(0 if isinstance(s, BridgeSpec) else 2 if s.type in STACKED_KINDS else 1, i)
               for i, s in node.interfaces.items() if s.up]
        for _, ifname in sorted(ups, key=lambda t: t[0]):
            ops.append(SetUp(n, ifname=ifname))
    for node_name, node in lab.nodes.items():
        for r in node.routes:
            ops.append(
                AddRoute(
                    ns[node_name],
                    dst=r.dst,
                    via=None if r.via is None else str(r.via),
                    dev=r.dev,
                    metric=r.metric,
                )
            )
    return ops


def plan_script(
    lab: LabSpec, *, prefix: str = DEFAULT_PREFIX, run_id: str = "manual"
) -> str:
    """The plan as a shell script a user can run by hand (``vnetlab up --dry-run``)."""
    ops = plan(lab, prefix=prefix, run_id=run_id)
    names = [op.ns for op in ops if isinstance(op, AddNetns)]
    lines = [
        "#!/bin/sh",
        f"# vnetlab lab {lab.name!r}: {len(names)} namespaces, {len(ops)} operations",
        "# remove it again with:",
        *[f"#   ip netns del {n}" for n in names],
        "set -e",
        *[op.shell() for op in ops],
    ]
    return "\n".join(lines) + "\n"
