"""Flow key extraction: ``flow_extract``/``miniflow_extract`` (``lib/flow.c``).

Design note: a frame becomes a :data:`Key` (``dict[str, int]`` keyed by ``struct flow``
member names, see ``fields.py``). The layouts are those of ``vnetlab.wire`` (Ethernet II,
802.1Q, IPv4, ARP, UDP, ICMP, TCP) unpacked directly with ``struct``: this runs once per
packet in the emulated datapath, so it avoids building header objects. As OVS: the first
802.1Q/802.1ad tag fills ``vlan_tci`` with the CFI bit set; an 802.3 length field gives
``dl_type`` 0x05ff (``FLOW_DL_TYPE_NONE``); IPv4 fragments set ``nw_frag`` (1 any, 2 later)
and a later fragment has no L4 ports; ARP fills ``nw_proto`` with the opcode, ``nw_src``/
``nw_dst`` with SPA/TPA; a truncated header ends extraction where it stops making sense.
IPv6 addresses are not part of the key (not modelled); its protocol, traffic class, hop
limit and L4 ports are.
"""

from __future__ import annotations

import struct

from vnetlab.wire.ethernet import ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6

__all__ = ["FLOW_DL_TYPE_NONE", "Key", "extract", "flow_hash_symmetric_l2",
           "flow_hash_symmetric_l3l4", "hash_add", "hash_finish"]

#: a flow key: struct flow member -> value (absent = 0)
Key = dict[str, int]

FLOW_DL_TYPE_NONE = 0x05FF
FLOW_NW_FRAG_ANY = 1
FLOW_NW_FRAG_LATER = 2

_U16 = struct.Struct("!H")
_ETH = struct.Struct("!6s6sH")
_IP4 = struct.Struct("!BBHHHBBH4s4s")
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_PORTS = struct.Struct("!HH")


def _l4(key: Key, proto: int, l4: bytes) -> None:
    """``miniflow_extract``'s transport part."""
    if proto in (6, 17, 132) and len(l4) >= 4:
        key["tp_src"], key["tp_dst"] = _PORTS.unpack_from(l4)
        if proto == 6 and len(l4) >= 20:
            key["tcp_flags"] = _U16.unpack_from(l4, 12)[0] & 0x0FFF
    elif proto in (1, 58) and len(l4) >= 4:
        key["tp_src"], key["tp_dst"] = l4[0], l4[1]


def extract(frame: bytes, in_port: int, tun: dict[str, int] | None = None) -> Key:
    """``flow_extract``: the flow key of ``frame`` received on OpenFlow port ``in_port``
    (``tun``: tunnel metadata the frame arrived with, e.g. ``tun_id``/``tun_src``)."""
    key: Key = {"in_port": in_port}
    if tun:
        key.update(tun)
    if len(frame) < 14:
        return key
    dst, src, ethertype = _ETH.unpack_from(frame)
    key["dl_dst"] = int.from_bytes(dst, "big")
    key["dl_src"] = int.from_bytes(src, "big")
    off = 14
    if ethertype in (ETH_P_8021Q, ETH_P_8021AD):
        if len(frame) < off + 4:
            key["dl_type"] = FLOW_DL_TYPE_NONE
            return key
        tci, ethertype = struct.unpack_from("!HH", frame, off)
        key["vlan_tci"] = tci | 0x1000
        off += 4
    if ethertype < 0x600:
        key["dl_type"] = FLOW_DL_TYPE_NONE
        return key
    key["dl_type"] = ethertype
    payload = frame[off:]
    if ethertype == ETH_P_IP:
        _extract_ipv4(key, payload)
    elif ethertype == ETH_P_ARP:
        if len(payload) >= 28:
            htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(payload)
            if htype == 1 and ptype == ETH_P_IP and hlen == 6 and plen == 4:
                if op <= 0xFF:
                    key["nw_proto"] = op
                key["nw_src"] = int.from_bytes(spa, "big")
                key["nw_dst"] = int.from_bytes(tpa, "big")
                key["arp_sha"] = int.from_bytes(sha, "big")
                key["arp_tha"] = int.from_bytes(tha, "big")
    elif ethertype == ETH_P_IPV6 and len(payload) >= 40:
        first = struct.unpack_from("!I", payload)[0]
        key["nw_tos"] = (first >> 20) & 0xFF
        key["nw_proto"] = payload[6]
        key["nw_ttl"] = payload[7]
        _l4(key, payload[6], payload[40:])
    return key


def _extract_ipv4(key: Key, payload: bytes) -> None:
    if len(payload) < 20:
        return
    vihl, tos, total, _ident, frag, ttl, proto, _csum, src, dst = _IP4.unpack_from(payload)
    ihl = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or ihl < 20 or len(payload) < ihl:
        return
    key["nw_src"] = int.from_bytes(src, "big")
    key["nw_dst"] = int.from_bytes(dst, "big")
    key["nw_proto"] = proto
    key["nw_tos"] = tos
    key["nw_ttl"] = ttl
    offset = frag & 0x1FFF
    if frag & 0x2000 or offset:
        key["nw_frag"] = FLOW_NW_FRAG_ANY | (FLOW_NW_FRAG_LATER if offset else 0)
        if offset:
            return
    end = min(len(payload), total) if total >= ihl else len(payload)
    _l4(key, proto, payload[ihl:end])


# --- hashes the datapath's hash(sym_l4(0)) action computes (lib/hash.h, lib/flow.c) -------
# OVS built without SSE4.2 (Debian's generic x86-64 build) uses the murmur3 steps below;
# struct flow fields are network-order bytes read as little-endian host words on x86.

_M32 = 0xFFFFFFFF


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def hash_add(h: int, data: int) -> int:
    """``mhash_add``."""
    if data:
        data = (data * 0xCC9E2D51) & _M32
        data = _rot(data, 15)
        data = (data * 0x1B873593) & _M32
        h ^= data
    h = _rot(h, 13)
    return (h * 5 + 0xE6546B64) & _M32


def hash_finish(h: int, final: int) -> int:
    """``mhash_finish(hash ^ final)``."""
    h ^= final
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h


def _le32(value: int, width: int = 4) -> int:
    """A network-order ``width``-byte field as x86 reads it."""
    return int.from_bytes(value.to_bytes(width, "big"), "little")


def flow_hash_symmetric_l2(key: Key, basis: int = 0) -> int:
    """``flow_hash_symmetric_l2``: Ethernet addresses (xored), VLAN ID, ethertype."""
    eth = (key.get("dl_src", 0) ^ key.get("dl_dst", 0)).to_bytes(6, "big")
    vid = key.get("vlan_tci", 0) & 0x0FFF
    word0 = key.get("dl_type", 0).to_bytes(2, "big") + vid.to_bytes(2, "big")
    words = (word0, eth[:4], eth[4:] + b"\0\0")
    h = basis
    for w in words:
        h = hash_add(h, int.from_bytes(w, "little"))
    return hash_finish(h, basis)


def flow_hash_symmetric_l3l4(key: Key, basis: int = 0, inc_udp_ports: bool = False) -> int:
    """``flow_hash_symmetric_l3l4``: the hash ``hash(sym_l4(0))`` gives a packet (IPv4:
    addresses xored, protocol, TCP/SCTP ports xored; other frames: the L2 hash)."""
    if key.get("dl_type") != ETH_P_IP:
        return flow_hash_symmetric_l2(key, basis)
    h = hash_add(basis, _le32(key.get("nw_src", 0) ^ key.get("nw_dst", 0)))
    proto = key.get("nw_proto", 0)
    h = hash_add(h, proto)
    if not key.get("nw_frag", 0) & 3 and (proto in (6, 132) or (inc_udp_ports and proto == 17)):
        h = hash_add(h, _le32(key.get("tp_src", 0) ^ key.get("tp_dst", 0), 2))
    return hash_finish(h, basis)
