"""Flow keys from frames (``flow_extract``, lib/flow.c) on ``vnetlab.wire`` byte layouts.

Design note
-----------
A key is ``dict[str, int]`` by ``struct flow`` member (``vnetlab.openflow.fields``):
in_port, dl_src/dl_dst (48-bit ints), vlan_tci (CFI bit 0x1000 set when tagged), dl_type
(the inner ethertype of a tagged frame), for IPv4 nw_src/nw_dst/nw_proto/nw_tos/nw_ttl/
nw_frag and tp_src/tp_dst (ICMP type/code), for ARP nw_src/nw_dst (spa/tpa), nw_proto
(the opcode), arp_sha/arp_tha; tunnel metadata is passed in. Absent members are 0.
"""

from __future__ import annotations

FLOW_NW_FRAG_ANY = 1
FLOW_NW_FRAG_LATER = 2


def flow_extract(frame: bytes, in_port: int, tun: dict[str, int] | None = None) -> dict[str, int]:
    key: dict[str, int] = dict(tun) if tun else {}
    key["in_port"] = in_port
    n = len(frame)
    if n < 14:
        return key
    key["dl_dst"] = int.from_bytes(frame[0:6], "big")
    key["dl_src"] = int.from_bytes(frame[6:12], "big")
    off = 12
    etype = int.from_bytes(frame[12:14], "big")
    if etype in (0x8100, 0x88A8) and n >= 18:
        key["vlan_tci"] = int.from_bytes(frame[14:16], "big") | 0x1000
        off = 16
        etype = int.from_bytes(frame[16:18], "big")
    if etype < 0x600:  # 802.3 length: OVS uses FLOW_DL_TYPE_NONE (0x05ff)
        etype = 0x05FF
    key["dl_type"] = etype
    l3 = off + 2
    if etype == 0x0800 and n >= l3 + 20:
        ihl = (frame[l3] & 0x0F) * 4
        key["nw_tos"] = frame[l3 + 1]
        key["nw_ttl"] = frame[l3 + 8]
        key["nw_proto"] = proto = frame[l3 + 9]
        key["nw_src"] = int.from_bytes(frame[l3 + 12:l3 + 16], "big")
        key["nw_dst"] = int.from_bytes(frame[l3 + 16:l3 + 20], "big")
        frag = int.from_bytes(frame[l3 + 6:l3 + 8], "big")
        if frag & 0x3FFF:
            key["nw_frag"] = FLOW_NW_FRAG_ANY | (FLOW_NW_FRAG_LATER if frag & 0x1FFF else 0)
        l4 = l3 + ihl
        if not frag & 0x1FFF:
            if proto in (6, 17) and n >= l4 + 4:
                key["tp_src"] = int.from_bytes(frame[l4:l4 + 2], "big")
                key["tp_dst"] = int.from_bytes(frame[l4 + 2:l4 + 4], "big")
                if proto == 6 and n >= l4 + 14:
                    key["tcp_flags"] = int.from_bytes(frame[l4 + 12:l4 + 14], "big") & 0x0FFF
            elif proto == 1 and n >= l4 + 2:
                key["tp_src"] = frame[l4]
                key["tp_dst"] = frame[l4 + 1]
    elif etype == 0x0806 and n >= l3 + 28:
        op = int.from_bytes(frame[l3 + 6:l3 + 8], "big")
        if op <= 0xFF:
            key["nw_proto"] = op
        key["arp_sha"] = int.from_bytes(frame[l3 + 8:l3 + 14], "big")
        key["nw_src"] = int.from_bytes(frame[l3 + 14:l3 + 18], "big")
        key["arp_tha"] = int.from_bytes(frame[l3 + 18:l3 + 24], "big")
        key["nw_dst"] = int.from_bytes(frame[l3 + 24:l3 + 28], "big")
    return {k: v for k, v in key.items() if v}
