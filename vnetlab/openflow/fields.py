"""The match fields OVS knows by name (``lib/meta-flow.c``, ``include/openvswitch/meta-flow.h``).

Design note: a flow key here mirrors ``struct flow`` (``lib/flow.h``): a ``dict[str, int]``
keyed by the *flow member* names (``in_port``, ``dl_src``, ``dl_dst``, ``dl_type``,
``vlan_tci``, ``nw_src``, ``nw_dst``, ``nw_proto``, ``nw_tos``, ``nw_ttl``, ``nw_frag``,
``tp_src``, ``tp_dst``, ``arp_sha``, ``arp_tha``, ``tcp_flags``, ``tun_id``, ``tun_src``,
``tun_dst``, ``tun_flags``, ``tun_metadata0..7``, ``reg0..15``, ``metadata``, ``pkt_mark``);
an absent member is 0. MACs are 48-bit ints, IPv4 addresses 32-bit ints, ``vlan_tci`` carries
the 802.1Q TCI with the CFI/"present" bit 0x1000 set when the frame is tagged, ``nw_tos`` the
whole TOS byte (DSCP in the high six bits, ECN in the low two), ``nw_proto`` the ARP opcode
for ARP, ``tp_src``/``tp_dst`` the ICMP type/code for ICMP.

A *field* (:class:`MfField`, as ``struct mf_field``) is a named window of bits on one member:
``ip_dscp`` is bits 2..7 of ``nw_tos``, ``dl_vlan`` bits 0..11 of ``vlan_tci`` plus the CFI
bit. Every name OVS accepts for it (``eth_src``/``dl_src``) maps to the same field; the first
name is the one OVS's errors use. ``nxm`` is the name ``load``/``move``/``learn`` print.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FIELDS",
    "FIELDS_BY_NXM",
    "MEMBER_BITS",
    "MfField",
    "field_by_name",
    "prereqs_ok",
]

#: ``struct flow`` members and their widths in bits
MEMBER_BITS: dict[str, int] = {
    "in_port": 16, "dl_src": 48, "dl_dst": 48, "dl_type": 16, "vlan_tci": 16,
    "nw_src": 32, "nw_dst": 32, "nw_proto": 8, "nw_tos": 8, "nw_ttl": 8, "nw_frag": 8,
    "tp_src": 16, "tp_dst": 16, "arp_sha": 48, "arp_tha": 48, "tcp_flags": 16,
    "tun_id": 64, "tun_src": 32, "tun_dst": 32, "tun_flags": 16,
    "metadata": 64, "pkt_mark": 32,
    **{f"reg{i}": 32 for i in range(16)},
    **{f"tun_metadata{i}": 64 for i in range(8)},
}

ETH_TYPE_IP = 0x0800
ETH_TYPE_ARP = 0x0806
ETH_TYPE_RARP = 0x8035
ETH_TYPE_IPV6 = 0x86DD
VLAN_CFI = 0x1000


@dataclass(frozen=True)
class MfField:
    """One named field: ``nbits`` bits at ``shift`` of flow member ``member``.

    ``n_bytes`` is the width OVS's "value too large for N-byte field" errors name;
    ``extra`` bits (the VLAN CFI) are set in value and mask whenever the field is matched or
    set; ``string`` says how values are written (``decimal``, ``hex``, ``mac``, ``ipv4``,
    ``port``, ``frag``, ``tcp_flags``, ``tun_flags``); ``prereq`` names a rule of
    :func:`prereqs_ok`.
    """

    name: str
    member: str
    nbits: int
    n_bytes: int
    string: str = "decimal"
    maskable: bool = True
    prereq: str = "none"
    nxm: str = ""
    shift: int = 0
    extra: int = 0
    aliases: tuple[str, ...] = ()
    keep: int = 0
    #: member mask a (non-maskable) match on this field sets, when wider than the field
    #: (``match_set_icmp_type`` matches all 16 bits of ``tp_src``)
    cover: int = 0

    @property
    def member_mask(self) -> int:
        """The member bits this field covers (without ``extra``); ``keep`` narrows a field
        whose low bits OVS ignores (``nw_tos`` keeps only the DSCP bits 0xfc)."""
        bits = (1 << self.nbits) - 1
        return (bits & self.keep if self.keep else bits) << self.shift

    def to_member(self, value: int, mask: int) -> tuple[int, int]:
        """Field value/mask -> member value/mask, as ``mf_set``/``mf_set_value`` do."""
        fm = self.member_mask
        m = ((mask << self.shift) & fm) | (self.extra if mask else 0)
        if self.cover and mask:
            m = self.cover
        v = ((value << self.shift) & fm) | (self.extra if mask else 0)
        return v & m, m

    def from_member(self, value: int) -> int:
        """The field's value read out of a member value (``mf_get_value``)."""
        return (value & self.member_mask) >> self.shift


def _f(name: str, member: str, nbits: int, n_bytes: int, **kw: object) -> MfField:
    return MfField(name, member, nbits, n_bytes, **kw)  # type: ignore[arg-type]


#: every field, keyed by its canonical (mf) name
FIELDS: dict[str, MfField] = {f.name: f for f in [
    _f("in_port", "in_port", 16, 2, string="port", maskable=False, nxm="NXM_OF_IN_PORT"),
    _f("eth_src", "dl_src", 48, 6, string="mac", nxm="NXM_OF_ETH_SRC", aliases=("dl_src",)),
    _f("eth_dst", "dl_dst", 48, 6, string="mac", nxm="NXM_OF_ETH_DST", aliases=("dl_dst",)),
    _f("eth_type", "dl_type", 16, 2, string="hex", maskable=False, nxm="NXM_OF_ETH_TYPE",
       aliases=("dl_type",)),
    _f("vlan_tci", "vlan_tci", 16, 2, string="hex", nxm="NXM_OF_VLAN_TCI"),
    _f("dl_vlan", "vlan_tci", 12, 2, maskable=False, extra=VLAN_CFI),
    _f("vlan_vid", "vlan_tci", 13, 2, nxm="OXM_OF_VLAN_VID"),
    _f("dl_vlan_pcp", "vlan_tci", 3, 1, maskable=False, shift=13, extra=VLAN_CFI),
    _f("vlan_pcp", "vlan_tci", 3, 1, maskable=False, shift=13, extra=VLAN_CFI,
       nxm="OXM_OF_VLAN_PCP"),
    _f("ip_src", "nw_src", 32, 4, string="ipv4", prereq="ipv4", nxm="NXM_OF_IP_SRC",
       aliases=("nw_src",)),
    _f("ip_dst", "nw_dst", 32, 4, string="ipv4", prereq="ipv4", nxm="NXM_OF_IP_DST",
       aliases=("nw_dst",)),
    _f("nw_proto", "nw_proto", 8, 1, maskable=False, prereq="ip_any", nxm="NXM_OF_IP_PROTO",
       aliases=("ip_proto",)),
    _f("nw_tos", "nw_tos", 8, 1, maskable=False, prereq="ip_any", keep=0xFC,
       nxm="NXM_OF_IP_TOS"),
    _f("ip_dscp", "nw_tos", 6, 1, maskable=False, prereq="ip_any", shift=2,
       nxm="OXM_OF_IP_DSCP"),
    _f("nw_ecn", "nw_tos", 2, 1, maskable=False, prereq="ip_any", nxm="NXM_NX_IP_ECN",
       aliases=("ip_ecn",)),
    _f("nw_ttl", "nw_ttl", 8, 1, maskable=False, prereq="ip_any", nxm="NXM_NX_IP_TTL"),
    _f("ip_frag", "nw_frag", 2, 1, string="frag", prereq="ip_any", nxm="NXM_NX_IP_FRAG",
       aliases=("nw_frag",)),
    _f("arp_op", "nw_proto", 8, 2, maskable=False, prereq="arp", nxm="NXM_OF_ARP_OP"),
    _f("arp_spa", "nw_src", 32, 4, string="ipv4", prereq="arp", nxm="NXM_OF_ARP_SPA"),
    _f("arp_tpa", "nw_dst", 32, 4, string="ipv4", prereq="arp", nxm="NXM_OF_ARP_TPA"),
    _f("arp_sha", "arp_sha", 48, 6, string="mac", prereq="arp", nxm="NXM_NX_ARP_SHA"),
    _f("arp_tha", "arp_tha", 48, 6, string="mac", prereq="arp", nxm="NXM_NX_ARP_THA"),
    _f("tcp_src", "tp_src", 16, 2, prereq="tcp", nxm="NXM_OF_TCP_SRC", aliases=("tp_src",)),
    _f("tcp_dst", "tp_dst", 16, 2, prereq="tcp", nxm="NXM_OF_TCP_DST", aliases=("tp_dst",)),
    _f("udp_src", "tp_src", 16, 2, prereq="udp", nxm="NXM_OF_UDP_SRC"),
    _f("udp_dst", "tp_dst", 16, 2, prereq="udp", nxm="NXM_OF_UDP_DST"),
    _f("icmp_type", "tp_src", 8, 1, maskable=False, prereq="icmp", nxm="NXM_OF_ICMP_TYPE",
       cover=0xFFFF),
    _f("icmp_code", "tp_dst", 8, 1, maskable=False, prereq="icmp", nxm="NXM_OF_ICMP_CODE",
       cover=0xFFFF),
    _f("tcp_flags", "tcp_flags", 12, 2, string="tcp_flags", prereq="tcp",
       nxm="NXM_NX_TCP_FLAGS"),
    _f("tun_id", "tun_id", 64, 8, string="hex", nxm="NXM_NX_TUN_ID", aliases=("tunnel_id",)),
    _f("tun_src", "tun_src", 32, 4, string="ipv4", nxm="NXM_NX_TUN_IPV4_SRC"),
    _f("tun_dst", "tun_dst", 32, 4, string="ipv4", nxm="NXM_NX_TUN_IPV4_DST"),
    _f("tun_flags", "tun_flags", 1, 2, string="tun_flags", nxm="NXM_NX_TUN_FLAGS"),
    _f("metadata", "metadata", 64, 8, string="hex", nxm="OXM_OF_METADATA"),
    _f("pkt_mark", "pkt_mark", 32, 4, string="hex", nxm="NXM_NX_PKT_MARK"),
    *[_f(f"reg{i}", f"reg{i}", 32, 4, string="hex", nxm=f"NXM_NX_REG{i}") for i in range(16)],
    *[_f(f"tun_metadata{i}", f"tun_metadata{i}", 64, 8, string="hex",
         nxm=f"NXM_NX_TUN_METADATA{i}") for i in range(8)],
]}

_BY_NAME: dict[str, MfField] = {}
for _fld in FIELDS.values():
    for _n in (_fld.name, *_fld.aliases):
        _BY_NAME[_n] = _fld

#: fields by the NXM/OXM name subfield syntax uses (``NXM_NX_REG0[0..3]``)
FIELDS_BY_NXM: dict[str, MfField] = {f.nxm: f for f in FIELDS.values() if f.nxm}
# OVS also knows these OXM spellings of fields whose NXM name it prints
FIELDS_BY_NXM.update({
    "OXM_OF_IN_PORT": FIELDS["in_port"], "OXM_OF_ETH_SRC": FIELDS["eth_src"],
    "OXM_OF_ETH_DST": FIELDS["eth_dst"], "OXM_OF_ETH_TYPE": FIELDS["eth_type"],
    "OXM_OF_IPV4_SRC": FIELDS["ip_src"], "OXM_OF_IPV4_DST": FIELDS["ip_dst"],
    "OXM_OF_IP_PROTO": FIELDS["nw_proto"], "OXM_OF_TCP_SRC": FIELDS["tcp_src"],
    "OXM_OF_TCP_DST": FIELDS["tcp_dst"], "OXM_OF_UDP_SRC": FIELDS["udp_src"],
    "OXM_OF_UDP_DST": FIELDS["udp_dst"], "OXM_OF_IP_ECN": FIELDS["nw_ecn"],
    "OXM_OF_TUNNEL_ID": FIELDS["tun_id"], "NXM_NX_TUN_ID": FIELDS["tun_id"],
})


def field_by_name(name: str) -> MfField | None:
    """``mf_from_name``: a field by any of its names, or None."""
    return _BY_NAME.get(name)


def _is_ip_any(values: dict[str, int], masks: dict[str, int]) -> bool:
    return masks.get("dl_type", 0) == 0xFFFF and values.get("dl_type", 0) in (
        ETH_TYPE_IP, ETH_TYPE_IPV6)


def _proto_is(values: dict[str, int], masks: dict[str, int], proto: int) -> bool:
    return (_is_ip_any(values, masks) and masks.get("nw_proto", 0) == 0xFF
            and values.get("nw_proto", 0) == proto)


def prereqs_ok(prereq: str, values: dict[str, int], masks: dict[str, int]) -> bool:
    """``mf_are_prereqs_ok``: does a match (values and masks by member) imply ``prereq``?"""
    dl_type_exact = masks.get("dl_type", 0) == 0xFFFF
    dl_type = values.get("dl_type", 0)
    if prereq == "none":
        return True
    if prereq == "ipv4":
        return dl_type_exact and dl_type == ETH_TYPE_IP
    if prereq == "ip_any":
        return _is_ip_any(values, masks)
    if prereq == "arp":
        return dl_type_exact and dl_type in (ETH_TYPE_ARP, ETH_TYPE_RARP)
    if prereq == "tcp":
        return _proto_is(values, masks, 6)
    if prereq == "udp":
        return _proto_is(values, masks, 17)
    if prereq == "icmp":
        return (dl_type_exact and dl_type == ETH_TYPE_IP and masks.get("nw_proto", 0) == 0xFF
                and values.get("nw_proto", 0) == 1)
    raise ValueError(prereq)
