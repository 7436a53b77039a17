"""A minimal "VM" behind a TAP device: it answers ARP and ping, as a guest attached by QEMU.

Design note
-----------
QEMU gives a guest a TAP device on the host (``-netdev tap,ifname=tap0``) and the guest's
NIC has its own MAC (``52:54:00:...``); the host bridges the TAP. This program is that
guest's whole network stack: it answers ARP requests for its IP (``arp_process``) and ICMP
echo requests to its IP (``icmp_echo``) with frames built by ``vnetlab.wire``; everything
else it ignores (and counts). Args: ``mac`` (the guest NIC's MAC), ``ip`` (its IPv4
address).
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.tuntap.api import Context, ProgramError
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import IPPROTO_ICMP, Ipv4Header

ETH_P_IP = b"\x08\x00"
ETH_P_ARP = b"\x08\x06"


def main(ctx: Context) -> None:
    try:
        mac = bytes.fromhex(str(ctx.args["mac"]).replace(":", ""))
        ip = IPv4Address(str(ctx.args["ip"]))
    except (KeyError, ValueError):
        raise ProgramError("vm: args need 'mac' (e.g. 52:54:00:12:34:56) and 'ip'") from None
    if len(mac) != 6:
        raise ProgramError("vm: args.mac must be 6 bytes")
    ident = [0]

    def on_frame(frame: bytes) -> None:
        if len(frame) < 14 or (frame[0:6] != mac and not frame[0] & 1):
            ctx.counters["ignored"] += 1
            return
        etype = frame[12:14]
        try:
            if etype == ETH_P_ARP:
                arp = ArpPacket.parse(frame[14:])
                if arp.op == ARPOP_REQUEST and arp.tpa == ip:
                    reply = ArpPacket(ARPOP_REPLY, mac, ip, arp.sha, arp.spa).emit()
                    ctx.device.write(arp.sha + mac + ETH_P_ARP + reply)
                    ctx.counters["arp_replies"] += 1
                    return
            elif etype == ETH_P_IP and frame[0:6] == mac:
                hdr, payload = Ipv4Header.parse(frame[14:])
                if hdr.dst == ip and hdr.proto == IPPROTO_ICMP:
                    msg = icmpw.IcmpMessage.parse(payload)
                    if msg.type == icmpw.ICMP_ECHO:
                        out = icmpw.IcmpMessage(icmpw.ICMP_ECHOREPLY, 0, msg.rest,
                                                msg.payload).emit()
                        ident[0] = (ident[0] + 1) & 0xFFFF
                        rhdr = Ipv4Header(src=ip, dst=hdr.src, proto=IPPROTO_ICMP, ttl=64,
                                          ident=ident[0])
                        ctx.device.write(frame[6:12] + mac + ETH_P_IP + rhdr.emit(out))
                        ctx.counters["echo_replies"] += 1
                        return
        except ParseError:
            ctx.counters["malformed"] += 1
            return
        ctx.counters["ignored"] += 1

    ctx.device.on_packet(on_frame)
