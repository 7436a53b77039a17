"""``ovs-appctl ofproto/trace`` (ofproto/ofproto-dpif-trace.c).

Design note
-----------
Arguments as ``parse_flow_and_packet`` takes them: ``BRIDGE FLOW`` with FLOW in ovs-ofctl
syntax (port names allowed), or ``[DP] ODP_FLOW`` in datapath syntax
(``in_port(1),eth(...),eth_type(0x0800),ipv4(...)``, the input port a datapath number),
plus ``-generate`` (build a packet from the flow: the translation then has side effects,
MAC learning and rule counters, as in OVS). The text is ``ofproto_trace__``'s: the flow
(``flow_format``), the trace tree, the final flow, the megaflow (``match_format`` of the
flow under the wildcards) and the datapath actions. Tunnel metadata in the ``Flow:`` line is
printed as our match formatter prints it, not with every ``tun_*`` field OVS lists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vnetlab.openflow.fields import MEMBER_BITS, field_by_name
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_parse import parse_field_into
from vnetlab.sim.ovs import odp
from vnetlab.sim.ovs.oftrace import OfTraceNode, print_details
from vnetlab.sim.ovs.xlate import xlate_actions

if TYPE_CHECKING:
    from vnetlab.sim.ovs.ofproto import Ofproto
    from vnetlab.sim.ovs.vswitchd import Vswitchd

ETH_TYPE_IP = 0x0800
ETH_TYPE_ARP = 0x0806

_SHORTHANDS: dict[str, tuple[int, int | None]] = {
    "ip": (ETH_TYPE_IP, None), "icmp": (ETH_TYPE_IP, 1), "tcp": (ETH_TYPE_IP, 6),
    "udp": (ETH_TYPE_IP, 17), "arp": (ETH_TYPE_ARP, None), "sctp": (ETH_TYPE_IP, 132),
}


def _error(text: str) -> Exception:
    from vnetlab.sim.ovs.appctl import AppctlError

    return AppctlError(text)


def flow_wc_for_packet(flow: dict[str, int]) -> dict[str, int]:
    """``flow_wildcards_init_for_packet``: the fields a packet with FLOW really has."""
    m = {"in_port": 0xFFFF, "dl_src": (1 << 48) - 1, "dl_dst": (1 << 48) - 1,
         "dl_type": 0xFFFF, "vlan_tci": 0xFFFF}
    dl_type = flow.get("dl_type", 0)
    if dl_type == ETH_TYPE_IP:
        m.update(nw_src=0xFFFFFFFF, nw_dst=0xFFFFFFFF, nw_proto=0xFF, nw_tos=0xFF,
                 nw_ttl=0xFF, nw_frag=0x03)
        if flow.get("nw_proto") in (1, 6, 17, 132) and not flow.get("nw_frag", 0) & 2:
            m.update(tp_src=0xFFFF, tp_dst=0xFFFF)
            if flow.get("nw_proto") == 6:
                m["tcp_flags"] = 0x0FFF
    elif dl_type == ETH_TYPE_ARP:
        m.update(nw_src=0xFFFFFFFF, nw_dst=0xFFFFFFFF, nw_proto=0xFF,
                 arp_sha=(1 << 48) - 1, arp_tha=(1 << 48) - 1)
    for f in ("metadata", "tun_id", "tun_src", "tun_dst", *(f"reg{i}" for i in range(16))):
        if flow.get(f):
            m[f] = (1 << MEMBER_BITS[f]) - 1
    return m


def flow_format(flow: dict[str, int]) -> str:
    """``flow_format``. A tagged flow also shows its (empty) second VLAN header, as
    ``struct flow`` carries two."""
    wc = flow_wc_for_packet(flow)
    tcp_flags = wc.pop("tcp_flags", None)
    text = Match(dict(flow), wc).format()
    if tcp_flags is not None:  # flow_format prints the flags a packet has, "0" for none
        flags = flow.get("tcp_flags", 0)
        names = ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns")
        text += ",tcp_flags=" + ("|".join(n for i, n in enumerate(names) if flags >> i & 1)
                                 or "0")
    if flow.get("vlan_tci", 0) & 0x1000:
        at = text.find(",dl_src=")
        if at >= 0:
            text = text[:at] + ",vlan_tci1=0x0000" + text[at:]
    return text


def megaflow_format(flow: dict[str, int], wc: dict[str, int]) -> str:
    """``match_format`` of the megaflow: ``recirc_id=0,eth,`` then the match."""
    text = Match(dict(flow), dict(wc)).format()
    return "recirc_id=0,eth" + ("," + text if text else "")


def parse_of_flow(br: Ofproto, text: str) -> dict[str, int]:
    """``parse_ofp_exact_flow``: FIELD=VALUE pairs and protocol shorthands, no masks."""
    match = Match()
    names = {x.name: n for n, x in br.xports.items()}
    for item in (t for t in re.split(r",(?![^()]*\))", text) if t.strip()):
        item = item.strip()
        name, _, value = item.partition("=")
        if not _ and name in _SHORTHANDS:
            dl_type, proto = _SHORTHANDS[name]
            match.set("dl_type", dl_type, 0xFFFF)
            if proto is not None:
                match.set("nw_proto", proto, 0xFF)
            continue
        mf = field_by_name(name)
        if mf is None:
            raise _error(f"Bad openflow flow syntax: {text}: unknown field {name}")
        try:
            parse_field_into(match, mf, value, names.get)
        except OfctlError as e:  # parse_ofp_exact_flow wraps the value's own error
            raise _error(f"Bad openflow flow syntax: {text}: bad value for {name} ({e})") from e
    return dict(match.values)


_ODP_ATTR = re.compile(r"(\w+)\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def parse_odp_flow(text: str) -> dict[str, int] | None:
    """``odp_flow_from_string`` for the attributes we know; None if TEXT is not one."""
    if not re.match(r"^\s*\w+\(", text):
        return None
    flow: dict[str, int] = {}

    def kv(body: str) -> dict[str, str]:
        return dict(p.split("=", 1) for p in body.split(",") if "=" in p)

    def mac(v: str) -> int:
        return int(v.replace(":", ""), 16)

    def ip(v: str) -> int:
        a = [int(x) for x in v.split(".")]
        return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]

    def walk(body: str) -> None:
        for m in _ODP_ATTR.finditer(body):
            name, args = m.group(1), m.group(2)
            f = kv(args)
            if name == "in_port":
                flow["in_port"] = int(args)
            elif name == "eth":
                flow["dl_src"] = mac(f.get("src", "0:0:0:0:0:0"))
                flow["dl_dst"] = mac(f.get("dst", "0:0:0:0:0:0"))
            elif name == "eth_type":
                flow["dl_type"] = int(args, 16)
            elif name == "vlan":
                flow["vlan_tci"] = (int(f.get("vid", "0")) | (int(f.get("pcp", "0")) << 13)
                                    | 0x1000)
            elif name == "encap":
                walk(args)
            elif name == "ipv4":
                flow["nw_src"] = ip(f.get("src", "0.0.0.0"))
                flow["nw_dst"] = ip(f.get("dst", "0.0.0.0"))
                flow["nw_proto"] = int(f.get("proto", "0"))
                flow["nw_tos"] = int(f.get("tos", "0"), 0)
                flow["nw_ttl"] = int(f.get("ttl", "0"))
                flow["nw_frag"] = {"no": 0, "first": 1, "later": 3}.get(f.get("frag", "no"), 0)
            elif name in ("tcp", "udp"):
                flow["tp_src"] = int(f.get("src", "0"))
                flow["tp_dst"] = int(f.get("dst", "0"))
            elif name == "icmp":
                flow["tp_src"] = int(f.get("type", "0"))
                flow["tp_dst"] = int(f.get("code", "0"))
            elif name == "arp":
                flow["nw_src"] = ip(f.get("sip", "0.0.0.0"))
                flow["nw_dst"] = ip(f.get("tip", "0.0.0.0"))
                flow["nw_proto"] = int(f.get("op", "0"))
                flow["arp_sha"] = mac(f.get("sha", "0:0:0:0:0:0"))
                flow["arp_tha"] = mac(f.get("tha", "0:0:0:0:0:0"))
            elif name == "tunnel":
                flow["tun_id"] = int(f.get("tun_id", "0"), 0)
                if "src" in f:
                    flow["tun_src"] = ip(f["src"])
                if "dst" in f:
                    flow["tun_dst"] = ip(f["dst"])
    walk(text)
    return {k: v for k, v in flow.items() if v}


def flow_compose(flow: dict[str, int]) -> bytes:
    """``flow_compose``: a packet that has FLOW's headers (payload-free)."""
    eth = flow.get("dl_dst", 0).to_bytes(6, "big") + flow.get("dl_src", 0).to_bytes(6, "big")
    tci = flow.get("vlan_tci", 0)
    if tci & 0x1000:
        eth += b"\x81\x00" + (tci & ~0x1000).to_bytes(2, "big")
    dl_type = flow.get("dl_type", 0)
    eth += dl_type.to_bytes(2, "big")
    body = b""
    if dl_type == ETH_TYPE_IP:
        proto = flow.get("nw_proto", 0)
        l4 = b""
        if proto == 1:
            l4 = bytes([flow.get("tp_src", 0) & 0xFF, flow.get("tp_dst", 0) & 0xFF]) + b"\0" * 6
        elif proto in (6, 17):
            l4 = _b(flow, "tp_src", 2) + _b(flow, "tp_dst", 2) + b"\0" * (16 if proto == 6 else 4)
        total = 20 + len(l4)
        hdr = bytes([0x45, flow.get("nw_tos", 0)]) + total.to_bytes(2, "big") + b"\0\0\0\0" + \
            bytes([flow.get("nw_ttl", 0), proto]) + b"\0\0" + \
            _b(flow, "nw_src", 4) + _b(flow, "nw_dst", 4)
        body = hdr + l4
    elif dl_type == ETH_TYPE_ARP:
        body = (b"\x00\x01\x08\x00\x06\x04" + _b(flow, "nw_proto", 2)
                + _b(flow, "arp_sha", 6) + _b(flow, "nw_src", 4)
                + _b(flow, "arp_tha", 6) + _b(flow, "nw_dst", 4))
    return eth + body


def _b(flow: dict[str, int], member: str, n: int) -> bytes:
    return flow.get(member, 0).to_bytes(n, "big")


def unixctl_trace(vs: Vswitchd, args: list[str]) -> str:
    """``ofproto_unixctl_trace``."""
    generate = False
    rest: list[str] = []
    for a in args:
        if a in ("-generate", "--generate"):
            generate = True
        elif a in ("-names", "--names", "-consistent", "--consistent"):
            continue
        elif a.startswith("-"):
            raise _error(f"{a}: unknown option")
        else:
            rest.append(a)
    if not rest:
        raise _error('"ofproto/trace" command requires at least 1 arguments')
    if len(rest) > 2:
        raise _error("too many arguments")
    text = rest[-1]
    odp_flow = parse_odp_flow(text)
    if odp_flow is not None:
        dpif = None
        if len(rest) == 2:
            name = rest[0][4:] if rest[0].startswith("ovs-") else rest[0]
            dpif = vs.dpifs.get(name)
        elif len(vs.dpifs) == 1:
            dpif = next(iter(vs.dpifs.values()))
        if dpif is None:
            raise _error("Cannot find the datapath")
        owner = vs.owner(dpif.dp_type, odp_flow)
        if owner is None:
            raise _error("no OpenFlow port for datapath port "
                         f"{odp_flow.get('in_port', 0)}")
        br, xport = owner
        flow = dict(odp_flow)
        flow["in_port"] = xport.ofp_port
    else:
        if len(rest) != 2:
            raise _error("Must specify bridge name")
        found = vs.bridges.get(rest[0])
        if found is None:
            raise _error(f"{rest[0]}: unknown bridge")
        br = found
        flow = parse_of_flow(br, text)
    packet = flow_compose(flow) if generate else None
    return trace(br, flow, packet, vs.now)


def trace(br: Ofproto, flow: dict[str, int], packet: bytes | None, now: float) -> str:
    """``ofproto_trace__``."""
    nodes: list[OfTraceNode] = []
    ctx = xlate_actions(br, flow, now=now, side_effects=packet is not None, trace=nodes,
                        packet=packet)
    out = [f"Flow: {flow_format(flow)}\n", print_details(nodes)]
    final = {k: v for k, v in ctx.flow.items() if v}
    initial = {k: v for k, v in flow.items() if v}
    out.append("\nFinal flow: " + ("unchanged" if final == initial else flow_format(final)) + "\n")
    wc = ctx.finish_wc()
    out.append(f"Megaflow: {megaflow_format(flow, wc)}\n")
    out.append(f"Datapath actions: {odp.format_odp_actions(ctx.odp)}")
    if ctx.error is not None:
        out.append(f"\nTranslation failed ({ctx.error}), packet is dropped.")
    elif ctx.slow:  # explain_slow_path
        out.append("\nThis flow is handled by the userspace slow path because it:"
                   "\n  - Uses action(s) not supported by datapath.")
    out.append("\n")  # the unixctl reply ends in a newline
    if packet is not None:
        br.vswitchd.after_trace()
    return "".join(out)
