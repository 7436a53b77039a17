"""A userspace forwarder for a TUN/TAP device: each packet in one UDP datagram.

Design note
-----------
The TUN/TAP path of ``vnetlab bench dataplane``: what QEMU's ``-netdev socket,udp=`` or
a plain VPN does without its crypto. Every packet the kernel queues on the device
(``tun_net_xmit``) is read by this program and sent as one UDP datagram to the peer's
forwarder; every datagram received is written to the device (``tun_get_user``). No
GSO: a TAP without ``IFF_VNET_HDR`` hands over MTU-sized frames, so the path costs one
read, one send, one receive and one write per frame in userspace. A program of
``vnetlab.tuntap.api`` (it reacts, never blocks); args ``listen`` and ``peer`` as
``IP:PORT``.
"""

from __future__ import annotations

from vnetlab.tuntap.api import Context, parse_hostport


def main(ctx: Context) -> None:
    listen = parse_hostport(ctx.args.get("listen", ""))
    peer = parse_hostport(ctx.args.get("peer", ""))
    sock = ctx.udp_socket(listen)

    def out(packet: bytes) -> None:
        sock.sendto(packet, peer)
        ctx.counters["forwarded"] += 1

    def into(data: bytes, _addr: tuple[str, int]) -> None:
        ctx.device.write(data)
        ctx.counters["delivered"] += 1

    ctx.device.on_packet(out)
    sock.on_datagram(into)
