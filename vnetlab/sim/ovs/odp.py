"""Datapath actions: what a megaflow does, as values, as OVS prints them, and on frames.

Design note
-----------
Mirrors lib/odp-util.c (``format_odp_actions``) and the datapath's own action executor
(lib/odp-execute.c). An action list is a tuple of small frozen dataclasses; the text is
exactly what ``Datapath actions:`` and ``dpctl/dump-flows`` print (an empty list prints
``drop``). Set actions are the userspace datapath's masked kind: only the fields that
changed appear (``set(eth(src=..))``, ``set(ipv4(dst=..,ttl=..))``).

``execute`` applies a list to a frame and calls ``output(port, frame, tunnel)`` for every
output; frames are immutable bytes, so each output sees the frame as it was at that point.
IPv4 and L4 checksums are recomputed after a set, as the kernel's ``set_ipv4`` does
incrementally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vnetlab.wire.checksum import internet_checksum

ETH_TYPE_VLAN = 0x8100


def hex_c(v: int) -> str:
    """C's ``%#x``: ``0x`` before non-zero values only."""
    return f"{v:#x}" if v else "0"


def mac_str(v: int) -> str:
    return ":".join(f"{b:02x}" for b in v.to_bytes(6, "big"))


def ip_str(v: int) -> str:
    return ".".join(str(b) for b in v.to_bytes(4, "big"))


@dataclass(frozen=True, slots=True)
class Output:
    port: int

    def format(self) -> str:
        return str(self.port)


@dataclass(frozen=True, slots=True)
class PushVlan:
    vid: int
    pcp: int = 0

    def format(self) -> str:
        return f"push_vlan(vid={self.vid},pcp={self.pcp})"


@dataclass(frozen=True, slots=True)
class PopVlan:
    def format(self) -> str:
        return "pop_vlan"


_MAC = (1 << 48) - 1
_IP = 0xFFFFFFFF
#: the settable fields of each datapath key (``struct ovs_key_*``) in print order:
#: (datapath name, flow member, the member bits the key holds)
ETH_FIELDS = (("src", "dl_src", _MAC), ("dst", "dl_dst", _MAC))
IPV4_FIELDS = (("src", "nw_src", _IP), ("dst", "nw_dst", _IP), ("tos", "nw_tos", 0xFF),
               ("ttl", "nw_ttl", 0xFF))
ARP_FIELDS = (("sip", "nw_src", _IP), ("tip", "nw_dst", _IP), ("op", "nw_proto", 0xFF),
              ("sha", "arp_sha", _MAC), ("tha", "arp_tha", _MAC))
L4_FIELDS = (("src", "tp_src", 0xFFFF), ("dst", "tp_dst", 0xFFFF))
ICMP_FIELDS = (("type", "tp_src", 0xFF), ("code", "tp_dst", 0xFF))


@dataclass(frozen=True, slots=True)
class SetFields:
    """A masked set of one header: ``header`` is eth, ipv4, tcp or udp; ``values`` the
    changed fields by datapath name (src, dst, tos, ttl)."""

    header: str
    values: tuple[tuple[str, int], ...]
    #: the bits set per field, where not the whole field (printed as VALUE/MASK)
    masks: tuple[tuple[str, int], ...] = ()

    def format(self) -> str:
        parts = []
        masks = dict(self.masks)
        for name, v in self.values:
            fmt = _SET_FMT.get((self.header, name), str)
            m = masks.get(name)
            mfmt = fmt if fmt in (mac_str, ip_str) else hex_c  # format_be16 etc.: /%#x
            parts.append(f"{name}={fmt(v)}" + (f"/{mfmt(m)}" if m is not None else ""))
        return f"set({self.header}({','.join(parts)}))"


_SET_FMT: dict[tuple[str, str], Callable[[int], str]] = {
    ("eth", "src"): mac_str, ("eth", "dst"): mac_str, ("ipv4", "src"): ip_str,
    ("ipv4", "dst"): ip_str, ("ipv4", "tos"): hex_c, ("arp", "sip"): ip_str,
    ("arp", "tip"): ip_str, ("arp", "sha"): mac_str, ("arp", "tha"): mac_str,
}


@dataclass(frozen=True, slots=True)
class SetTunnel:
    """``set(tunnel(...))``: the kernel datapath's way to address a tunnel vport."""

    tun_id: int
    src: int
    dst: int
    ttl: int = 64
    tp_dst: int = 4789
    flags: str = "df|key"

    def format(self) -> str:
        src = f",src={ip_str(self.src)}" if self.src else ""
        return (f"set(tunnel(tun_id={hex_c(self.tun_id)}{src},dst={ip_str(self.dst)},"
                f"ttl={self.ttl},tp_dst={self.tp_dst},flags({self.flags})))")


@dataclass(frozen=True, slots=True)
class Userspace:
    """``userspace(...)``: the CONTROLLER action (no controller: counted, then dropped)."""

    text: str

    def format(self) -> str:
        return f"userspace({self.text})"


@dataclass(frozen=True, slots=True)
class TnlPush:
    """``tnl_push(...)``: the userspace datapath prepends a whole outer header
    (``struct ovs_action_push_tnl``; lib/netdev-native-tnl.c builds it)."""

    tnl_port: int
    kind: str  # vxlan | geneve
    dmac: int
    smac: int
    src: int
    dst: int
    ttl: int
    frag: int  # 0x4000: DF
    udp_dst: int
    vni: int
    out_port: int

    @property
    def size(self) -> int:
        return 50  # Ethernet 14 + IPv4 20 + UDP 8 + VXLAN/Geneve 8 (no Geneve options)

    def format(self) -> str:
        if self.kind == "geneve":
            tnl = f"geneve(vni={self.vni:#x})"
        else:
            tnl = f"vxlan(flags=0x8000000,vni={self.vni:#x})"
        vtype = 5 if self.kind == "geneve" else 4
        return (f"tnl_push(tnl_port({self.tnl_port}),header(size={self.size},type={vtype},"
                f"eth(dst={mac_str(self.dmac)},src={mac_str(self.smac)},dl_type=0x0800),"
                f"ipv4(src={ip_str(self.src)},dst={ip_str(self.dst)},proto=17,tos=0,"
                f"ttl={self.ttl},frag={self.frag:#x}),udp(src=0,dst={self.udp_dst},"
                f"csum=0x0),{tnl}),out_port({self.out_port}))")

    def push(self, frame: bytes) -> bytes:
        """``netdev_tnl_push_udp_header``: the header with lengths, the IPv4 checksum
        and a UDP source port from the inner flow's hash."""
        from vnetlab.sim.devices.udp_tunnel import flow_src_port

        if self.kind == "geneve":
            tnl = b"\x00\x00\x65\x58" + (self.vni << 8).to_bytes(4, "big")
        else:
            tnl = b"\x08\x00\x00\x00" + (self.vni << 8).to_bytes(4, "big")
        udp_len = 8 + len(tnl) + len(frame)
        udp = (flow_src_port(frame).to_bytes(2, "big") + self.udp_dst.to_bytes(2, "big")
               + udp_len.to_bytes(2, "big") + b"\0\0")
        ip = bytearray(b"\x45\x00" + (20 + udp_len).to_bytes(2, "big") + b"\0\0"
                       + self.frag.to_bytes(2, "big") + bytes([self.ttl, 17]) + b"\0\0"
                       + self.src.to_bytes(4, "big") + self.dst.to_bytes(4, "big"))
        ip[10:12] = internet_checksum(bytes(ip)).to_bytes(2, "big")
        eth = self.dmac.to_bytes(6, "big") + self.smac.to_bytes(6, "big") + b"\x08\x00"
        return eth + bytes(ip) + udp + tnl + frame


@dataclass(frozen=True, slots=True)
class TnlPop:
    """``tnl_pop(PORT)``: strip the outer header, recirculate on the tunnel vport."""

    port: int

    def format(self) -> str:
        return f"tnl_pop({self.port})"


@dataclass(frozen=True, slots=True)
class Clone:
    """``clone(...)``: the nested actions run on a copy of the packet."""

    actions: tuple[OdpAction, ...]

    def format(self) -> str:
        return f"clone({format_odp_actions(self.actions)})"


OdpAction = (Output | PushVlan | PopVlan | SetFields | SetTunnel | Userspace | TnlPush
             | TnlPop | Clone)


def format_odp_actions(actions: tuple[OdpAction, ...] | list[OdpAction]) -> str:
    """``format_odp_actions``: comma-separated; an empty list is ``drop``."""
    if not actions:
        return "drop"
    return ",".join(a.format() for a in actions)


# -- executing (lib/odp-execute.c) -------------------------------------------------------

def push_vlan(frame: bytes, vid: int, pcp: int) -> bytes:
    """``eth_push_vlan``: insert an 802.1Q tag after the MAC addresses."""
    tci = (pcp << 13) | vid
    return frame[:12] + ETH_TYPE_VLAN.to_bytes(2, "big") + tci.to_bytes(2, "big") + frame[12:]


def pop_vlan(frame: bytes) -> bytes:
    """``eth_pop_vlan``: remove the outermost tag (a frame without one is unchanged)."""
    if len(frame) >= 18 and frame[12:14] in (b"\x81\x00", b"\x88\xa8"):
        return frame[:12] + frame[16:]
    return frame


def _l3_offset(frame: bytes) -> int:
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    return off + 2


def set_eth(frame: bytes, values: tuple[tuple[str, int], ...]) -> bytes:
    """``odp_set_ethernet`` (the values are whole MACs)."""
    b = bytearray(frame)
    for name, v in values:
        at = 6 if name == "src" else 0
        b[at:at + 6] = v.to_bytes(6, "big")
    return bytes(b)


def set_ipv4(frame: bytes, values: tuple[tuple[str, int], ...],
             masks: tuple[tuple[str, int], ...] = ()) -> bytes:
    """``odp_set_ipv4``: rewrite (masked fields keep their other bits), then fix the
    IPv4 header and the L4 checksum."""
    l3 = _l3_offset(frame)
    b = bytearray(frame)
    partial = dict(masks)
    for name, v in values:
        if name in ("tos", "ttl") and name in partial:
            at = l3 + (1 if name == "tos" else 8)
            b[at] = (b[at] & ~partial[name]) | (v & partial[name])
            continue
        if name == "src":
            b[l3 + 12:l3 + 16] = v.to_bytes(4, "big")
        elif name == "dst":
            b[l3 + 16:l3 + 20] = v.to_bytes(4, "big")
        elif name == "tos":
            b[l3 + 1] = v  # the commit put the unchanged bits in already
        elif name == "ttl":
            b[l3 + 8] = v
    ihl = (b[l3] & 0x0F) * 4
    b[l3 + 10:l3 + 12] = b"\0\0"
    b[l3 + 10:l3 + 12] = internet_checksum(bytes(b[l3:l3 + ihl])).to_bytes(2, "big")
    _fix_l4(b, l3, ihl)
    return bytes(b)


def _fix_l4(b: bytearray, l3: int, ihl: int) -> None:
    proto = b[l3 + 9]
    if proto not in (6, 17) or (b[l3 + 6] & 0x3F) or b[l3 + 7]:
        return  # not TCP/UDP, or a fragment: nothing to fix here
    total = int.from_bytes(b[l3 + 2:l3 + 4], "big")
    l4 = l3 + ihl
    seg = bytes(b[l4:l3 + total])
    at = 16 if proto == 6 else 6
    if proto == 17 and seg[6:8] == b"\0\0":
        return  # UDP without a checksum stays without one
    pseudo = bytes(b[l3 + 12:l3 + 20]) + bytes([0, proto]) + len(seg).to_bytes(2, "big")
    seg = seg[:at] + b"\0\0" + seg[at + 2:]
    csum = internet_checksum(pseudo, seg)
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    b[l4 + at:l4 + at + 2] = csum.to_bytes(2, "big")


def set_arp(frame: bytes, values: tuple[tuple[str, int], ...]) -> bytes:
    """``set_arp`` of odp-execute (the values are whole fields: ARP sets come from the
    slow path, which rewrites exactly the fields the action names)."""
    l3 = _l3_offset(frame)
    b = bytearray(frame)
    at = {"op": (6, 2), "sha": (8, 6), "sip": (14, 4), "tha": (18, 6), "tip": (24, 4)}
    for name, v in values:
        off, n = at[name]
        b[l3 + off:l3 + off + n] = v.to_bytes(n, "big")
    return bytes(b)


def set_icmp(frame: bytes, values: tuple[tuple[str, int], ...]) -> bytes:
    """``set_icmp``: type and code, then the ICMP checksum over the whole message."""
    l3 = _l3_offset(frame)
    ihl = (frame[l3] & 0x0F) * 4
    total = int.from_bytes(frame[l3 + 2:l3 + 4], "big")
    b = bytearray(frame)
    l4 = l3 + ihl
    for name, v in values:
        b[l4 + (0 if name == "type" else 1)] = v
    b[l4 + 2:l4 + 4] = b"\0\0"
    b[l4 + 2:l4 + 4] = internet_checksum(bytes(b[l4:l3 + total])).to_bytes(2, "big")
    return bytes(b)


def set_l4(frame: bytes, values: tuple[tuple[str, int], ...]) -> bytes:
    l3 = _l3_offset(frame)
    ihl = (frame[l3] & 0x0F) * 4
    b = bytearray(frame)
    l4 = l3 + ihl
    for name, v in values:
        at = l4 if name == "src" else l4 + 2
        b[at:at + 2] = v.to_bytes(2, "big")
    _fix_l4(b, l3, ihl)
    return bytes(b)


#: ``output(port, frame, tunnel)``; ``tunnel`` is the pending ``set(tunnel)`` or None
OutputFn = Callable[[int, bytes, SetTunnel | None], None]


def execute(frame: bytes, actions: tuple[OdpAction, ...], output: OutputFn,
            userspace: Callable[[bytes], None] | None = None,
            tnl_pop: Callable[[int, bytes], None] | None = None) -> None:
    """``odp_execute_actions`` on one frame."""
    tunnel: SetTunnel | None = None
    for a in actions:
        if type(a) is Output:
            output(a.port, frame, tunnel)
        elif type(a) is PushVlan:
            frame = push_vlan(frame, a.vid, a.pcp)
        elif type(a) is PopVlan:
            frame = pop_vlan(frame)
        elif type(a) is SetFields:
            if a.header == "eth":
                frame = set_eth(frame, a.values)
            elif a.header == "ipv4":
                frame = set_ipv4(frame, a.values, a.masks)
            elif a.header == "arp":
                frame = set_arp(frame, a.values)
            elif a.header == "icmp":
                frame = set_icmp(frame, a.values)
            else:
                frame = set_l4(frame, a.values)
        elif type(a) is SetTunnel:
            tunnel = a
        elif type(a) is Userspace and userspace is not None:
            userspace(frame)
        elif type(a) is TnlPush:
            frame = a.push(frame)
        elif type(a) is TnlPop and tnl_pop is not None:
            tnl_pop(a.port, frame)
        elif type(a) is Clone:
            execute(frame, a.actions, output, userspace, tnl_pop)


# -- datapath flow keys (odp_flow_format) ------------------------------------------------

_FRAG = {0: "no", 1: "first", 3: "later"}


def _field(name: str, v: int, m: int, full: int, fmt: Callable[[int], str]) -> str | None:
    if not m:
        return None
    if m == full:
        return f"{name}={fmt(v)}"
    return f"{name}={fmt(v & m)}/{fmt(m)}"


def _attr(name: str, parts: list[str | None]) -> str | None:
    shown = [p for p in parts if p is not None]
    return f"{name}({','.join(shown)})" if shown else None


def format_dp_key(key: dict[str, int], mask: dict[str, int], packet_type: bool = True) -> str:
    """``odp_flow_format`` of a megaflow (not verbose): wildcarded fields are left out."""
    def g(f: str) -> tuple[int, int]:
        return key.get(f, 0), mask.get(f, 0)

    out: list[str] = ["recirc_id(0)"]
    if key.get("tun_dst", 0) and mask.get("tun_dst", 0):
        tparts = [_field("tun_id", *g("tun_id"), (1 << 64) - 1, hex_c),
                  _field("src", *g("tun_src"), 0xFFFFFFFF, ip_str),
                  _field("dst", *g("tun_dst"), 0xFFFFFFFF, ip_str),
                  _field("tos", *g("tun_tos"), 0xFF, str)]
        t = _attr("tunnel", [*tparts, "flags(-df-csum+key)"])
        if t:
            out.append(t)
    out.append(f"in_port({key.get('in_port', 0)})")
    if packet_type:
        out.append("packet_type(ns=0,id=0)")
    eth = _attr("eth", [_field("src", *g("dl_src"), (1 << 48) - 1, mac_str),
                        _field("dst", *g("dl_dst"), (1 << 48) - 1, mac_str)])
    if eth:
        out.append(eth)
    inner: list[str] = []
    dl_type = key.get("dl_type", 0)
    tci, tci_m = g("vlan_tci")
    if tci & 0x1000:
        vparts = [_field("vid", tci & 0xFFF, tci_m & 0xFFF, 0xFFF, str),
                  _field("pcp", tci >> 13, tci_m >> 13, 7, str)]
        out.append("eth_type(0x8100)")
        out.append(_attr("vlan", vparts) or "vlan()")
    inner.append(f"eth_type({dl_type:#06x})")
    if dl_type == 0x0800:
        frag_v, frag_m = g("nw_frag")
        ip = _attr("ipv4", [
            _field("src", *g("nw_src"), 0xFFFFFFFF, ip_str),
            _field("dst", *g("nw_dst"), 0xFFFFFFFF, ip_str),
            _field("proto", *g("nw_proto"), 0xFF, str),
            _field("tos", *g("nw_tos"), 0xFF, hex_c),
            _field("ttl", *g("nw_ttl"), 0xFF, str),
            f"frag={_FRAG.get(frag_v & 3, 'no')}" if frag_m else None])
        if ip:
            inner.append(ip)
        proto = key.get("nw_proto", 0)
        l4 = {1: "icmp", 6: "tcp", 17: "udp"}.get(proto)
        if l4 is not None and not frag_v & 2:
            names = ("type", "code") if proto == 1 else ("src", "dst")
            full = 0xFF if proto == 1 else 0xFFFF
            a = _attr(l4, [_field(names[0], *g("tp_src"), full, str),
                           _field(names[1], *g("tp_dst"), full, str)])
            if a:
                inner.append(a)
    elif dl_type == 0x0806:
        a = _attr("arp", [_field("sip", *g("nw_src"), 0xFFFFFFFF, ip_str),
                          _field("tip", *g("nw_dst"), 0xFFFFFFFF, ip_str),
                          _field("op", *g("nw_proto"), 0xFF, str),
                          _field("sha", *g("arp_sha"), (1 << 48) - 1, mac_str),
                          _field("tha", *g("arp_tha"), (1 << 48) - 1, mac_str)])
        if a:
            inner.append(a)
    if tci & 0x1000:
        out.append(f"encap({','.join(inner)})")
    else:
        out.extend(inner)
    return ",".join(out)
