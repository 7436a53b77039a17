"""Match captured frames against a check's ``FrameMatch`` (a tcpdump-filter subset)."""

from __future__ import annotations

from vnetlab.model.resolver import mac_of_ref
from vnetlab.model.spec import FrameMatch, LabSpec
from vnetlab.wire.mac import mac_to_str

_ETH_IP = b"\x08\x00"
_ETH_ARP = b"\x08\x06"
_ETH_8021Q = b"\x81\x00"


def _mac_ref(lab: LabSpec, ref: str) -> str:
    if ref == "broadcast":
        return "ff:ff:ff:ff:ff:ff"
    return mac_of_ref(lab, ref)


def frame_matches(lab: LabSpec, m: FrameMatch, frame: bytes) -> bool:
    if len(frame) < 14:
        return False
    if m.src is not None and mac_to_str(frame[6:12]) != _mac_ref(lab, m.src):
        return False
    if m.dst is not None and mac_to_str(frame[0:6]) != _mac_ref(lab, m.dst):
        return False
    etype = frame[12:14]
    if etype == _ETH_8021Q and len(frame) >= 18:
        # an 802.1Q tag: match its VID, then look past it (as if untagged) for the protocol
        vid = ((frame[14] & 0x0F) << 8) | frame[15]
        if m.vlan is not None and vid != m.vlan:
            return False
        frame = frame[:12] + frame[16:]
        etype = frame[12:14]
    elif m.vlan is not None:
        return False  # untagged frames never match a vlan
    if m.proto == "arp":
        if etype != _ETH_ARP or len(frame) < 22:
            return False
        op = int.from_bytes(frame[20:22], "big")
        return m.op == "any" or (m.op, op) in (("request", 1), ("reply", 2))
    if m.proto == "udp":
        return _udp_matches(m, frame, etype)
    if m.proto in ("icmp", "ipv4"):
        if etype != _ETH_IP or len(frame) < 34:
            return False
        if m.proto == "ipv4":
            return True
        if frame[23] != 1:
            return False
        ihl = (frame[14] & 0xF) * 4
        if len(frame) < 14 + ihl + 1:
            return False
        icmp_type = frame[14 + ihl]
        return m.op == "any" or (m.op, icmp_type) in (("echo-request", 8), ("echo-reply", 0))
    return True



def _udp_matches(m: FrameMatch, frame: bytes, etype: bytes) -> bool:
    if etype != _ETH_IP or len(frame) < 34 or frame[23] != 17:
        return False
    if (int.from_bytes(frame[20:22], "big") & 0x1FFF) != 0:
        return False  # a non-first fragment has no UDP header
    ihl = (frame[14] & 0xF) * 4
    udp = frame[14 + ihl :]
    if len(udp) < 8:
        return False
    dport = int.from_bytes(udp[2:4], "big")
    if m.port is not None and dport != m.port:
        return False
    if m.vni is not None:
        if len(udp) < 16:
            return False
        if int.from_bytes(udp[12:15], "big") != m.vni:  # same offset in VXLAN and Geneve
            return False
    return True
