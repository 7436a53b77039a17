"""plan(lab) -> [Op]: the lab as an ordered list of kernel operations (pure, no root).

Design note
-----------
Each ``Op`` is one iproute2 command (``.shell()`` prints it exactly as a user would type it)
and one rtnetlink request or sysctl write when applied (``.apply()``). What a device kind
contributes comes from its ``KernelKind`` in ``vnetlab.kernel.kinds``; the order of the
devices is the model's build order (``vnetlab.model.order``: a device after every device it
is stacked on). The order is the one the kernel needs:

1. ``ip netns add`` for every node (the lab's "host" is just another namespace), IPv6 off
   in it where the lab/node says ``ipv6: off`` (``IPV6_OFF``: ``all`` and ``default``
   before any link exists, so no link ever autoconfigures), the node's
   ``net.ipv6.conf.{all,default}.*`` sysctls (``default`` is copied into a link when it
   registers, so it must come first), ``lo`` up;
2. devices stacked on nothing (bridges, tunnels without an underlay device ...); veth ends
   are made with their pair in 3.;
3. veth pairs created directly across namespaces (``... type veth peer name P netns NS``),
   then the devices stacked on another (``lower_refs()``: a vlan on its link, a vxlan on its
   dev, a macvlan on its lower, maybe in another node), each after its lower
   (``register_netdevice`` of an upper needs the lower to exist);
4. ownership tags (``ifalias vnetlab:LAB:RUN``) with each device; every link also joins
   device group ``VNL_GROUP`` so teardown can delete a namespace's links in one batch
   (``rtnl_group_dellink``);
5. ports join bridges (``master``), port flags (``bridge link set ...``), then each kind's
   ``configure`` (what needs the ports: a bridge's MTU, FDB and VLANs; a vxlan's remotes);
6. addresses, sysctls, links up (devices others join first, stacked ones last), then
7. each node's Open vSwitch (``vnetlab.kernel.ovs.plan``: its daemons, bridges, ports,
   flows, and the addresses of the devices ovs-vswitchd makes), then
   routes: a gateway route needs an up device with a connected route to the gateway
   (``fib_check_nh``); IPv6 addresses and routes are ``ops.ipv6``'s;
8. with IPv6 on in some node, last: wait (bounded) until DAD has finished
   (``SettleAddrconf``), so checks and observe see usable, settled addresses.

Namespace names are ``PREFIX + LAB + "." + NODE`` (``vnl-t1.host``): lab names cannot contain
a dot, so two labs can never produce the same namespace name (``vnl-a-b`` + ``c`` and
``vnl-a`` + ``b-c`` would clash with a dash).
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS
from vnetlab.kernel.kinds.base import Indexer, Where
from vnetlab.kernel.kinds.veth import realize_pair
from vnetlab.kernel.ops.base import DEFAULT_PREFIX, IPV6_OFF, Op, alias_for, netns_name
from vnetlab.kernel.ops.brport import SetBrportFlags
from vnetlab.kernel.ops.filters import Ebtables, Nft, SetBrportSecurity
from vnetlab.kernel.ops.ipv4 import AddAddr, AddRoute
from vnetlab.kernel.ops.ipv6 import AddAddr6, AddRoute6, SettleAddrconf
from vnetlab.kernel.ops.link import SetAlias, SetMaster, SetUp
from vnetlab.kernel.ops.netns import AddNetns, SetSysctl
from vnetlab.kernel.ops.tc import Tc, never_on_kernel
from vnetlab.kernel.ops.xfrm import IpXfrm
from vnetlab.kernel.ovs.plan import plan_ovs, undo_lines
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.order import build_order
from vnetlab.model.spec import LabSpec
from vnetlab.model.tc import lab_tc_lines, parse_tc_line


def required_features(lab: LabSpec) -> set[str]:
    """Device kinds (and kind features) the lab needs, for ``features.unsupported_kinds``."""
    need: set[str] = set()
    for node in lab.nodes.values():
        for spec in node.interfaces.values():
            need.add(spec.type)
            kind = KINDS.get(spec.type)
            if kind is not None:
                need.update(f.key for f in kind.features if f.wanted(spec))
    return need


def check_supported(lab: LabSpec, unsupported: dict[str, str] | None = None) -> None:
    """Raise ``UnsupportedError`` naming every interface of a kind this host cannot build."""
    missing = dict(unsupported or {})
    problems: list[str] = []
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            name = spec.type
            what = f"{node_name}:{ifname} is a {name}"
            kind = KINDS.get(name)
            if kind is not None:
                never = kind.refuse(spec)
                if never is not None:
                    problems.append(f"{what} {never}")
                problems.extend(f"{what} with {f.what}: {missing[f.key]}"
                                for f in kind.features if f.wanted(spec) and f.key in missing)
            if name in UNSUPPORTED_KINDS:
                problems.append(f"{what}: {UNSUPPORTED_KINDS[name]}")
            elif name in missing:
                problems.append(f"{what}: {missing[name]}")
            elif kind is None:
                problems.append(f"{what}, which the linux engine cannot build yet")
    if "xfrm-esp" in missing:  # set by the engine when the lab has ip xfrm entries
        problems.extend(f"{node_name} has ip xfrm states/policies: {missing['xfrm-esp']}"
                        for node_name, node in lab.nodes.items() if node.xfrm)
    for node_name, line in lab_tc_lines(lab):  # qdiscs and tc steps (kernel.ops.tc)
        cmd = parse_tc_line(line)
        never = never_on_kernel(cmd)
        if never is not None:
            problems.append(f"{node_name} has tc {line!r}: {never}")
        elif cmd.kind == "netem" and "tc-netem" in missing:
            problems.append(f"{node_name} has tc {line!r}: {missing['tc-netem']}")
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


def _stacked(spec: NetdevSpec) -> bool:
    return bool(spec.lower_refs())


def _up_rank(spec: NetdevSpec) -> int:
    """Devices others join first, stacked devices after their lowers, the rest between."""
    return 0 if KINDS[spec.type].enslaves else 2 if _stacked(spec) else 1


def _devices(keys: list[tuple[str, str]], nodes: Mapping[str, Mapping[str, NetdevSpec]],
             namespaces: Mapping[str, str], idx: Indexer, alias: str) -> list[Op]:
    """The ops that make these devices (in this order), each followed by its alias."""
    ops: list[Op] = []
    for node, ifname in keys:
        spec = nodes[node][ifname]
        kind = KINDS[spec.type]
        made = kind.realize(Where(node, ifname, namespaces, idx, nodes, alias), spec)
        ops.extend(made)
        if made and not kind.in_host:
            ops.append(SetAlias(namespaces[node], ifname=ifname, alias=alias))
    return ops


def plan(
    lab: LabSpec,
    *,
    prefix: str = DEFAULT_PREFIX,
    run_id: str = "manual",
    unsupported: dict[str, str] | None = None,
    ovs_datapath: tuple[str, str] | None = None,
) -> list[Op]:
    """The ordered operations that build ``lab`` (pure; ``unsupported`` from features;
    ``ovs_datapath``: the Open vSwitch datapath type and why, detected if not given)."""
    check_supported(lab, unsupported)
    alias = alias_for(lab.name, run_id)
    ns = {node: netns_name(prefix, lab.name, node) for node in lab.nodes}
    nodes = {name: node.interfaces for name, node in lab.nodes.items()}
    order = build_order(nodes)
    idx = Indexer()
    ops: list[Op] = []
    # 1. namespaces
    for name, node in lab.nodes.items():
        ops.append(AddNetns(ns[name], node=name))
        if not lab.node_ipv6(name):
            ops.extend(SetSysctl(ns[name], key=k, value=1) for k in IPV6_OFF)
        ops.extend(SetSysctl(ns[name], key=k, value=v)
                   for k, v in sorted(node.sysctls.items()) if _early(k))
        ops.append(SetUp(ns[name], ifname="lo"))
    # 2. devices stacked on nothing; veth ends are made with their pair below
    ops.extend(_devices([k for k in order if not _stacked(nodes[k[0]][k[1]])], nodes, ns, idx,
                        alias))
    # 3. veth pairs, then the devices stacked on another, lower ones first (4. with
    #    each device its alias)
    for link in lab.links:
        veth = realize_pair(link, nodes, ns, idx)
        ops.append(veth)
        ops.append(SetAlias(veth.ns, ifname=veth.ifname, alias=alias))
        ops.append(SetAlias(veth.peer_ns, ifname=veth.peer_ifname, alias=alias))
    ops.extend(_devices([k for k in order if _stacked(nodes[k[0]][k[1]])], nodes, ns, idx,
                        alias))
    # 5. bridge ports and their flags, then what each kind configures once they joined
    for node_name, node in lab.nodes.items():
        n = ns[node_name]
        for ifname, spec in node.interfaces.items():
            if spec.master is not None:
                ops.append(SetMaster(n, ifname=ifname, master=spec.master))
                bp = spec.bridge_port
                if bp is not None and (not bp.learning or not bp.flood or bp.hairpin):
                    ops.append(SetBrportFlags(n, ifname=ifname, learning=bp.learning,
                                              flood=bp.flood, hairpin=bp.hairpin))
                if bp is not None and (bp.isolated or bp.locked or bp.neigh_suppress):
                    ops.append(SetBrportSecurity(n, ifname=ifname, isolated=bp.isolated,
                                                 locked=bp.locked,
                                                 neigh_suppress=bp.neigh_suppress))
        for ifname, spec in node.interfaces.items():
            ops.extend(KINDS[spec.type].configure(n, ifname, spec, node.interfaces))
    # 6. addresses, sysctls, links up, routes
    for node_name, node in lab.nodes.items():
        n = ns[node_name]
        for ifname, spec in node.interfaces.items():
            ops.extend(_add_addr(n, ifname, str(a)) for a in spec.addresses)
        for key, value in sorted(node.sysctls.items()):
            if not _early(key):
                ops.append(SetSysctl(n, key=key, value=value))
        ups = [i for i, s in node.interfaces.items() if s.up and not KINDS[s.type].in_host]
        for ifname in sorted(ups, key=lambda i: _up_rank(node.interfaces[i])):
            ops.append(SetUp(n, ifname=ifname))
    # 7. each node's own Open vSwitch (vnetlab.kernel.ovs.plan), before the routes: a
    #    route may leave through an internal port
    ops.extend(plan_ovs(lab, ns, prefix=prefix, alias=alias, detected=ovs_datapath))
    for node_name, node in lab.nodes.items():
        for r in node.routes:
            via = None if r.via is None else str(r.via)
            route = AddRoute6 if _is_v6_route(r.dst, via) else AddRoute
            ops.append(route(ns[node_name], dst=r.dst, via=via, dev=r.dev, metric=r.metric))
    # 7. bridge-family filter rules, once every port exists
    for node_name, node in lab.nodes.items():
        ops.extend(Ebtables(ns[node_name], line=line) for line in node.ebtables)
        ops.extend(Nft(ns[node_name], line=line) for line in node.nft)
    # 8. IPsec states and policies (kernels with esp4 only: see check_supported)
    for node_name, node in lab.nodes.items():
        ops.extend(IpXfrm(ns[node_name], line=line) for line in node.xfrm)
    # 9. queueing disciplines, once the devices are up (netem only where the kernel has it)
    for node_name, node in lab.nodes.items():
        ops.extend(Tc(ns[node_name], line=line) for line in node.tc)
    # 10. DAD settles (bounded) where IPv6 is on
    v6 = tuple(ns[name] for name in lab.nodes if lab.node_ipv6(name))
    if v6:
        ops.append(SettleAddrconf(v6[0], namespaces=v6))
    return ops


def _early(key: str) -> bool:
    """A sysctl that must be set before the node's links exist: ``conf.default`` is
    copied into each link as it registers, ``conf.all`` applies to those that exist."""
    return key.startswith(("net.ipv6.conf.default.", "net.ipv6.conf.all."))


def _add_addr(ns: str, ifname: str, cidr: str) -> Op:
    return (AddAddr6 if ":" in cidr else AddAddr)(ns, ifname=ifname, cidr=cidr)


def _is_v6_route(dst: str, via: str | None) -> bool:
    """IPv6 when the prefix or the gateway is (``default via 2001:db8::1`` is ``::/0``)."""
    return ":" in dst or (via is not None and ":" in via)


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
        *[f"#   {line}" for line in undo_lines(ops)],
        # an op that changes the host (a PF's sriov_numvfs) says how to put it back
        *[f"#   {line}" for op in ops for line in getattr(op, "undo_lines", list)()],
        *[f"#   ip netns del {n}" for n in names],
        "set -e",
        *[op.shell() for op in ops],
    ]
    return "\n".join(lines) + "\n"
