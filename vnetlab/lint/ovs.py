"""OVS001 flows naming missing ports, OVS002 shadowed flows, OVS003 secure fail_mode with
no flow for a check's traffic, OVS004 flows ovs-ofctl refuses.

Design note
-----------
Each bridge's flows are parsed by ``vnetlab.openflow``'s ``ovs-ofctl`` parser (the one
both engines' ``add-flow`` goes through), with port names resolved against the bridge's
ports numbered as ovs-vswitchd numbers them (``ofport_request``, else ``alloc_ofp_port``'s
next free number; the bridge itself is LOCAL). A name the bridge lacks is OVS001; a
numeric ``in_port`` or ``output`` no port has is OVS001 too; any other parse error is
OVS004 with ovs-ofctl's words. Flows are normalised as ``ovs-ofctl`` does before sending.

Shadowing (OVS002) is exact subsumption on the classifier's terms: flow L is dead when a
flow H of the same table with higher priority matches every packet L matches — for every
field H masks, L masks at least those bits with the same values (``Match``'s values under
masks). A flow replaced by a later one with the same match and priority
(``classifier_replace``) is reported as well.

OVS003: for a bridge with ``fail_mode: secure`` and each ping check expected reachable
whose path crosses it (``LabView.walk`` + the L2 path of each hop), the ARP request and
the ICMP echo request the sender puts on the wire are built with ``vnetlab.wire``, turned
into flow keys by ``vnetlab.openflow.flow.extract`` on the ingress port and looked up in
a ``Classifier`` of table 0: no rule is a table miss, which secure mode drops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from vnetlab.lint.context import Context
from vnetlab.lint.view import LabView
from vnetlab.model.checks import PingCheck
from vnetlab.model.ovs import OvsBridgeSpec
from vnetlab.openflow.actions import OFPP_LOCAL, Output
from vnetlab.openflow.classifier import Classifier
from vnetlab.openflow.flow import extract
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_parse import FlowMod, normalize, parse_flow
from vnetlab.wire.arp import ArpPacket
from vnetlab.wire.ethernet import ETH_P_ARP, ETH_P_IP, EthernetHeader
from vnetlab.wire.icmp import IcmpMessage
from vnetlab.wire.ipv4 import Ipv4Header

OFPP_MAX = 0xFF00
BROADCAST = b"\xff" * 6


def port_numbers(name: str, br: OvsBridgeSpec) -> dict[str, int]:
    """Port name -> OpenFlow port number, as ovs-vswitchd allocates them."""
    nums: dict[str, int] = {name: OFPP_LOCAL}
    used: set[int] = set()
    for pname, p in br.ports.items():
        if p.ofport_request is not None and p.ofport_request not in used:
            nums[pname] = p.ofport_request
            used.add(p.ofport_request)
    last = 0
    for pname in br.ports:
        if pname in nums:
            continue
        last += 1
        while last in used:
            last += 1
        nums[pname] = last
        used.add(last)
    return nums


@dataclass
class _Flow:
    index: int
    fm: FlowMod

    @property
    def match(self) -> Match:
        return self.fm.match

    @property
    def priority(self) -> int:
        return self.fm.priority


def table0(name: str, br: OvsBridgeSpec) -> Classifier[_Flow]:
    """The bridge's table 0 as a classifier (flows that do not parse are left out: OVS001
    and OVS004 report them)."""
    nums = port_numbers(name, br)
    cls: Classifier[_Flow] = Classifier()
    for k, text in enumerate(br.flows):
        try:
            fm = parse_flow(text, "add", nums.get)
        except (OfctlError, ValueError):
            continue
        normalize(fm)
        if _table(fm) == 0:
            cls.insert(_Flow(k, fm))
    return cls


def arp_forwarded(cls: Classifier[_Flow], secure: bool, in_port: int, sha: bytes,
                  spa: IPv4Address, tpa: IPv4Address) -> bool:
    """Whether table 0 passes a (forged) ARP reply from ``in_port`` on: a flow with actions,
    or a table miss in standalone mode (NORMAL); an empty action list is a drop."""
    reply = ArpPacket(2, sha, spa, BROADCAST, tpa)
    frame = EthernetHeader(BROADCAST, sha, ETH_P_ARP).emit(reply.emit())
    rule = cls.lookup(extract(frame, in_port))
    if rule is None:
        return not secure
    return bool(rule.fm.actions)


def _covers(hi: FlowMod, lo: FlowMod) -> bool:
    hm, lm = hi.match, lo.match
    for member, mask in hm.masks.items():
        lmask = lm.masks.get(member, 0)
        if lmask & mask != mask or lm.values.get(member, 0) & mask != hm.values[member]:
            return False
    return True


def _table(fm: FlowMod) -> int:
    return 0 if fm.table == 255 else fm.table


def _parse(ctx: Context, segs: tuple[object, ...], text: str,
           nums: dict[str, int]) -> FlowMod | None:
    missing: list[str] = []

    def port_number(name: str) -> int | None:
        n = nums.get(name)
        if n is None:
            missing.append(name)
        return n

    lookup: Callable[[str], int | None] = port_number
    try:
        fm = parse_flow(text, "add", lookup)
    except (OfctlError, ValueError) as e:
        if missing:
            ctx.add("OVS001", segs, f"the flow names port {missing[0]!r}, which the bridge "
                    f"does not have (ports: {', '.join(nums)}); ovs-ofctl add-flow fails")
        else:
            ctx.add("OVS004", segs, f"ovs-ofctl: {e}")
        return None
    normalize(fm)
    known = set(nums.values())
    in_port = fm.match.values.get("in_port") if fm.match.masks.get("in_port") else None
    outs = [a.port for a in fm.actions if isinstance(a, Output)]
    for port in ([in_port] if in_port is not None else []) + outs:
        if port < OFPP_MAX and port not in known:
            ctx.add("OVS001", segs, f"the flow names OpenFlow port {port}, which no port of "
                    f"the bridge has (ports: {', '.join(f'{k}={v}' for k, v in nums.items())})")
            break
    return fm


def check(ctx: Context) -> None:
    v = ctx.view
    for n, node in ctx.lab.nodes.items():
        for name, br in node.ovs.items():
            nums = port_numbers(name, br)
            flows: list[_Flow] = []
            for k, text in enumerate(br.flows):
                fm = _parse(ctx, ("nodes", n, "ovs", name, "flows", k), text, nums)
                if fm is not None:
                    flows.append(_Flow(k, fm))
            _shadowed(ctx, n, name, flows)
            if br.fail_mode == "secure":
                _secure(ctx, v, n, name, nums, flows)


def _shadowed(ctx: Context, n: str, name: str, flows: list[_Flow]) -> None:
    for lo in flows:
        seg = ("nodes", n, "ovs", name, "flows", lo.index)
        later = [f for f in flows if f.index > lo.index and _table(f.fm) == _table(lo.fm)
                 and f.priority == lo.priority and f.match == lo.match]
        if later:
            ctx.add("OVS002", seg, f"flows[{later[0].index}] has the same match and "
                    "priority and replaces this flow when the flows are added")
            continue
        for hi in flows:
            if (hi.priority > lo.priority and _table(hi.fm) == _table(lo.fm)
                    and _covers(hi.fm, lo.fm)):
                ctx.add("OVS002", seg, f"flows[{hi.index}] (priority {hi.priority}) matches "
                        f"every packet this flow (priority {lo.priority}) matches, so this "
                        "one never runs")
                break


def _mac(v: LabView, node: str, ifname: str) -> bytes:
    spec = v.spec((node, ifname))
    mac = spec.mac if spec is not None else None
    if mac is None:
        ovs = v.ovs_dev.get((node, ifname))
        mac = ovs[3] if ovs is not None else None
    return bytes.fromhex(mac.replace(":", "")) if mac else b"\x02" + b"\x00" * 5


def _secure(ctx: Context, v: LabView, n: str, name: str, nums: dict[str, int],
            flows: list[_Flow]) -> None:
    cls: Classifier[_Flow] = Classifier()
    for f in flows:
        if _table(f.fm) == 0:
            cls.insert(f)
    bridge = (n, name)
    for k, chk in enumerate(ctx.lab.checks):
        if not isinstance(chk, PingCheck) or chk.expect != "reachable" \
                or chk.src not in ctx.lab.nodes or chk.dst4 is None:
            continue
        dst = chk.dst4
        w = v.walk(chk.src, dst)
        src_ip = v.source_for(chk.src, dst)
        for hop in w.hops:
            if hop.to is None:
                continue
            path = v.l2_path((hop.node, hop.dev), hop.to)
            if path is None or bridge not in path[1:-1]:
                continue
            i = path.index(bridge)
            ingress = path[i - 1]
            in_port = nums.get(ingress[1])
            if in_port is None or ingress[0] != n:
                continue
            miss = _misses(cls, in_port, _mac(v, hop.node, hop.dev), _mac(v, *hop.to),
                           src_ip or IPv4Address(0), dst, hop.nexthop)
            if miss:
                ctx.add("OVS003", ("nodes", n, "ovs", name, "fail_mode"),
                        f"checks[{k}] ({chk.ping}) sends {miss} into {n}:{name} on port "
                        f"{ingress[1]}, and no flow of table 0 matches it: fail_mode secure "
                        "drops table misses")
                return


def _misses(cls: Classifier[_Flow], in_port: int, smac: bytes, dmac: bytes,
            src: IPv4Address, dst: IPv4Address, nexthop: IPv4Address) -> str | None:
    arp = EthernetHeader(BROADCAST, smac, ETH_P_ARP).emit(
        ArpPacket.request(smac, src, nexthop).emit())
    if cls.lookup(extract(arp, in_port)) is None:
        return "an ARP request"
    body = IcmpMessage.echo(1, 1, b"\x00" * 56).emit()
    ip = Ipv4Header(src=src, dst=dst, proto=1, total_length=20 + len(body))
    frame = EthernetHeader(dmac, smac, ETH_P_IP).emit(ip.emit(body))
    if cls.lookup(extract(frame, in_port)) is None:
        return "an ICMP echo request"
    return None

