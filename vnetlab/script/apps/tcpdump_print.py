"""One line per captured frame, as ``tcpdump -n [-e]`` prints it (tcpdump's print-*.c).

Design note
-----------
The timestamp is the virtual clock as a time of day (``HH:MM:SS.uuuuuu``, starting at
midnight); ``-e`` adds the link-level header; an 802.1Q tag prints as tcpdump's
``vlan V, p P, ethertype ...`` prefix. The ARP, IPv4 and IPv6 bodies are ``vnetlab.wire.describe``'s
(the same words the trace and the pcap checks use). A frame that does not decode prints a
``[|malformed]`` line rather than stopping the script.
"""

from __future__ import annotations

from vnetlab.wire.describe import _arp, _ipv4, describe_ipv6
from vnetlab.wire.mac import mac_to_str

_ETYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x8100: "802.1Q", 0x86DD: "IPv6"}


def _ts(ns: int) -> str:
    us = ns // 1000
    sec, us = divmod(us, 1_000_000)
    m, s = divmod(sec, 60)
    h, m = divmod(m, 60)
    return f"{h % 24:02d}:{m:02d}:{s:02d}.{us:06d}"


def tcpdump_line(now: int, frame: bytes, link_level: bool) -> str:
    """One line as ``tcpdump -n [-e]`` prints it."""
    etype = int.from_bytes(frame[12:14], "big")
    payload = frame[14:]
    head = ""
    if link_level:
        head = (f"{mac_to_str(frame[6:12])} > {mac_to_str(frame[0:6])}, ethertype "
                f"{_ETYPES.get(etype, hex(etype))} (0x{etype:04x}), length {len(frame)}: ")
    vlan = ""
    if etype == 0x8100 and len(frame) >= 18:
        tci = int.from_bytes(frame[14:16], "big")
        etype = int.from_bytes(frame[16:18], "big")
        payload = frame[18:]
        vlan = (f"vlan {tci & 0xFFF}, p {tci >> 13}, ethertype "
                f"{_ETYPES.get(etype, hex(etype))} (0x{etype:04x}), ")
    try:
        if etype == 0x0806:
            body = ("" if link_level and not vlan else "ARP, ") + _arp(payload)
        elif etype == 0x0800:
            body = ("" if link_level and not vlan else "IP ") + _ipv4(payload)
        elif etype == 0x86DD and payload and payload[0] >> 4 == 6:
            body = describe_ipv6(payload)  # "IP6 ..."; -e drops the word, as for IPv4
            if link_level and not vlan:
                body = body.removeprefix("IP6 ")
        else:
            body = f"ethertype 0x{etype:04x}, length {len(payload)}"
    except Exception as e:  # noqa: BLE001 - a capture line never stops the script
        body = f"[|malformed: {e}]"
    return f"{_ts(now)} {head}{vlan}{body}"
