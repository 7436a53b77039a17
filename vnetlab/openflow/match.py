"""A match: flow-member values under bit masks (``struct match``, ``lib/match.c``).

Design note: ``values`` and ``masks`` are keyed by ``struct flow`` member names (see
``fields.py``); a member absent from ``masks`` (or with mask 0) is wildcarded, and values are
always stored already masked (``match_set_*`` do the same), so two matches are equal exactly
when OVS would call them identical. :meth:`Match.format` is ``match_format`` line for line in
the order OVS prints, for the members we model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from vnetlab.openflow.fields import (
    ETH_TYPE_ARP,
    ETH_TYPE_IP,
    ETH_TYPE_IPV6,
    ETH_TYPE_RARP,
    MEMBER_BITS,
    VLAN_CFI,
)

__all__ = [
    "OFP_DEFAULT_PRIORITY",
    "PortNamer",
    "TCP_FLAG_NAMES",
    "Match",
    "format_eth",
    "format_eth_masked",
    "format_ip",
    "format_ip_masked",
    "format_port",
]

OFP_DEFAULT_PRIORITY = 0x8000

#: ofport -> name, or None to print numbers (``struct ofputil_port_map``)
PortNamer = Callable[[int], "str | None"] | None

RESERVED_PORTS: dict[int, str] = {
    0xFFF8: "IN_PORT", 0xFFF9: "TABLE", 0xFFFA: "NORMAL", 0xFFFB: "FLOOD",
    0xFFFC: "ALL", 0xFFFD: "CONTROLLER", 0xFFFE: "LOCAL", 0xFFFF: "ANY",
}

TCP_FLAG_NAMES = ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
                  "[200]", "[400]", "[800]")


def format_port(port: int, names: PortNamer = None) -> str:
    """``ofputil_format_port``: a reserved name, the port's name, or its number."""
    if port in RESERVED_PORTS:
        return RESERVED_PORTS[port]
    if names is not None:
        name = names(port)
        if name is not None:
            return _quote_name(name)
    return str(port)


def _quote_name(name: str) -> str:
    """``namemap_put_name``: a name that is not a letter followed by letters and digits
    prints as a JSON string (``in_port="tap-vm1"``)."""
    if name and name[0].isascii() and name[0].isalpha() and all(
            c.isascii() and c.isalnum() for c in name[1:]):
        return name
    out = ['"']
    for c in name:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20:
            esc = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
            out.append(esc.get(c, f"\\u{ord(c):04x}"))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def format_eth(mac: int) -> str:
    return ":".join(f"{b:02x}" for b in mac.to_bytes(6, "big"))


def format_eth_masked(mac: int, mask: int) -> str:
    if mask == (1 << 48) - 1:
        return format_eth(mac)
    return f"{format_eth(mac)}/{format_eth(mask)}"


def format_ip(ip: int) -> str:
    return ".".join(str(b) for b in ip.to_bytes(4, "big"))


def format_ip_masked(ip: int, mask: int) -> str:
    """``ip_format_masked``: ``a.b.c.d``, ``a.b.c.d/len`` for a CIDR mask, else ``/mask``."""
    if mask == 0xFFFFFFFF:
        return format_ip(ip)
    inv = ~mask & 0xFFFFFFFF
    if inv & (inv + 1) == 0:
        return f"{format_ip(ip)}/{32 - inv.bit_length()}"
    return f"{format_ip(ip)}/{format_ip(mask)}"


def format_flags_masked(flags: int, mask: int, names: tuple[str, ...]) -> str:
    """``format_flags_masked``: ``+syn-ack`` for each bit in the mask."""
    out = []
    for i, name in enumerate(names):
        bit = 1 << i
        if mask & bit:
            out.append(("+" if flags & bit else "-") + name)
    return "".join(out)


@dataclass
class Match:
    """Values and masks by flow member; ``matches`` is ``miniflow_equal_in_minimask``."""

    values: dict[str, int] = field(default_factory=dict)
    masks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.masks = {k: m for k, m in self.masks.items() if m}
        self.values = {k: self.values.get(k, 0) & m for k, m in self.masks.items()}

    def set(self, member: str, value: int, mask: int) -> None:
        """OR one field's bits into the match (``match_set_*``): later bits win."""
        old_m = self.masks.get(member, 0)
        old_v = self.values.get(member, 0)
        new_m = old_m | mask
        if new_m:
            self.masks[member] = new_m
            self.values[member] = ((old_v & ~mask) | (value & mask)) & new_m
        else:
            self.masks.pop(member, None)
            self.values.pop(member, None)

    def clear(self, member: str) -> None:
        self.masks.pop(member, None)
        self.values.pop(member, None)

    def matches(self, key: Mapping[str, int]) -> bool:
        return all((key.get(k, 0) & m) == self.values[k] for k, m in self.masks.items())

    def key(self) -> tuple[tuple[str, int, int], ...]:
        """A hashable identity (sorted member, value, mask)."""
        return tuple(sorted((k, self.values[k], m) for k, m in self.masks.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def copy(self) -> Match:
        return Match(dict(self.values), dict(self.masks))

    def is_catchall(self) -> bool:
        return not self.masks

    def format(self, names: PortNamer = None, priority: int = OFP_DEFAULT_PRIORITY) -> str:
        """``match_format``: the match as ovs-ofctl prints it (no trailing comma)."""
        v, m = self.values, self.masks
        out: list[str] = []
        if priority != OFP_DEFAULT_PRIORITY:
            out.append(f"priority={priority}")
        _u32(out, "pkt_mark", v, m, "pkt_mark")
        dl_type = v.get("dl_type", 0)
        skip_type = skip_proto = False
        if m.get("dl_type"):
            skip_type = True
            proto_exact = bool(m.get("nw_proto"))
            proto = v.get("nw_proto", 0)
            if dl_type == ETH_TYPE_IP:
                names4 = {1: "icmp", 6: "tcp", 17: "udp", 132: "sctp"}
                if proto_exact and proto in names4:
                    out.append(names4[proto])
                    skip_proto = True
                else:
                    out.append("ip")
            elif dl_type == ETH_TYPE_IPV6:
                names6 = {58: "icmp6", 6: "tcp6", 17: "udp6", 132: "sctp6"}
                if proto_exact and proto in names6:
                    out.append(names6[proto])
                    skip_proto = True
                else:
                    out.append("ipv6")
            elif dl_type == ETH_TYPE_ARP:
                out.append("arp")
            elif dl_type == ETH_TYPE_RARP:
                out.append("rarp")
            elif dl_type == 0x8847:
                out.append("mpls")
            elif dl_type == 0x8848:
                out.append("mplsm")
            else:
                skip_type = False
        for i in range(16):
            _u32(out, f"reg{i}", v, m, f"reg{i}")
        self._format_tunnel(out)
        _u32(out, "metadata", v, m, "metadata")
        if m.get("in_port"):
            out.append("in_port=" + format_port(v["in_port"], names))
        self._format_vlan(out)
        if m.get("dl_src"):
            out.append("dl_src=" + format_eth_masked(v["dl_src"], m["dl_src"]))
        if m.get("dl_dst"):
            out.append("dl_dst=" + format_eth_masked(v["dl_dst"], m["dl_dst"]))
        if not skip_type and m.get("dl_type"):
            out.append(f"dl_type=0x{dl_type:04x}")
        is_arp = dl_type in (ETH_TYPE_ARP, ETH_TYPE_RARP)
        if dl_type == ETH_TYPE_IPV6:
            pass
        elif is_arp:
            _ip(out, "arp_spa", v, m, "nw_src")
            _ip(out, "arp_tpa", v, m, "nw_dst")
        else:
            _ip(out, "nw_src", v, m, "nw_src")
            _ip(out, "nw_dst", v, m, "nw_dst")
        if not skip_proto and m.get("nw_proto"):
            out.append(f"{'arp_op' if is_arp else 'nw_proto'}={v['nw_proto']}")
        if is_arp:
            for name in ("arp_sha", "arp_tha"):
                if m.get(name):
                    out.append(f"{name}=" + format_eth_masked(v[name], m[name]))
        tos_m, tos = m.get("nw_tos", 0), v.get("nw_tos", 0)
        if tos_m & 0xFC:
            out.append(f"nw_tos={tos & 0xFC}")
        if tos_m & 0x03:
            out.append(f"nw_ecn={tos & 0x03}")
        if m.get("nw_ttl"):
            out.append(f"nw_ttl={v['nw_ttl']}")
        self._format_frag(out)
        proto = v.get("nw_proto", 0)
        if (dl_type == ETH_TYPE_IP and proto == 1) or (dl_type == ETH_TYPE_IPV6 and proto == 58):
            _be16(out, "icmp_type", v, m, "tp_src")
            _be16(out, "icmp_code", v, m, "tp_dst")
        else:
            _be16(out, "tp_src", v, m, "tp_src")
            _be16(out, "tp_dst", v, m, "tp_dst")
        if dl_type in (ETH_TYPE_IP, ETH_TYPE_IPV6) and proto == 6 and m.get("tcp_flags"):
            out.append("tcp_flags=" + format_flags_masked(
                v["tcp_flags"], m["tcp_flags"] & 0xFFF, TCP_FLAG_NAMES))
        return ",".join(out)

    def _format_tunnel(self, out: list[str]) -> None:
        v, m = self.values, self.masks
        _u32(out, "tun_id", v, m, "tun_id")
        _ip(out, "tun_src", v, m, "tun_src")
        _ip(out, "tun_dst", v, m, "tun_dst")
        if m.get("tun_flags"):
            out.append("tun_flags=" + format_flags_masked(
                v.get("tun_flags", 0), m["tun_flags"] & 1, ("oam",)))
        for i in range(8):
            _u32(out, f"tun_metadata{i}", v, m, f"tun_metadata{i}")

    def _format_vlan(self, out: list[str]) -> None:
        mask = self.masks.get("vlan_tci", 0)
        if not mask:
            return
        tci = self.values.get("vlan_tci", 0)
        vid_mask, pcp_mask, cfi = mask & 0x0FFF, mask & 0xE000, mask & VLAN_CFI
        if (cfi and tci & VLAN_CFI and vid_mask in (0, 0x0FFF) and pcp_mask in (0, 0xE000)
                and (vid_mask or pcp_mask)):
            if vid_mask:
                out.append(f"dl_vlan={tci & 0x0FFF}")
            if pcp_mask:
                out.append(f"dl_vlan_pcp={tci >> 13}")
        elif mask == 0xFFFF:
            out.append(f"vlan_tci=0x{tci:04x}")
        else:
            out.append(f"vlan_tci=0x{tci:04x}/0x{mask:04x}")

    def _format_frag(self, out: list[str]) -> None:
        mask = self.masks.get("nw_frag", 0) & 3
        f = self.values.get("nw_frag", 0)
        if mask == 3:
            text = ("later" if f & 2 else "first") if f & 1 else ("<error>" if f & 2 else "no")
        elif mask == 1:
            text = "yes" if f & 1 else "no"
        elif mask == 2:
            text = "later" if f & 2 else "not_later"
        else:
            return
        out.append(f"nw_frag={text}")


def _u32(out: list[str], name: str, v: Mapping[str, int], m: Mapping[str, int],
         member: str) -> None:
    """``format_uint32_masked``/``format_be64_masked``: ``%#x`` (so 0 prints as ``0``)."""
    mask = m.get(member, 0)
    if not mask:
        return
    full = (1 << MEMBER_BITS[member]) - 1
    text = f"{name}={_hexc(v.get(member, 0))}"
    if mask != full:
        text += f"/{_hexc(mask)}"
    out.append(text)


def _hexc(n: int) -> str:
    return f"{n:#x}" if n else "0"


def _ip(out: list[str], name: str, v: Mapping[str, int], m: Mapping[str, int],
        member: str) -> None:
    if m.get(member):
        out.append(f"{name}=" + format_ip_masked(v.get(member, 0), m[member]))


def _be16(out: list[str], name: str, v: Mapping[str, int], m: Mapping[str, int],
          member: str) -> None:
    mask = m.get(member, 0)
    if not mask:
        return
    val = v.get(member, 0)
    out.append(f"{name}={val}" if mask == 0xFFFF else f"{name}=0x{val:x}/0x{mask:x}")
