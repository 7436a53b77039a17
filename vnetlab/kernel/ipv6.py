"""IPv6 in the linux engine: address flags as iproute2 names them, and whether
autoconfiguration has settled.

Design note
-----------
Which nodes have IPv6 is the model's ``LabSpec.node_ipv6`` (node overrides lab; the
kernel's default, on); the plan switches it off (``IPV6_OFF``) where it is off.

``ifa_flag_words`` is iproute2's ``print_ifa_flags`` (ip/ipaddress.c) for the ``ip -j
addr`` keys: every ``IFA_F_*`` bit set is printed by its name, except that
``IFA_F_PERMANENT`` is printed *inverted* as ``dynamic`` (an address with finite
lifetimes) and ``IFA_F_SECONDARY`` on an IPv6 address is ``temporary``. The full 32-bit
flags come from ``IFA_FLAGS`` when the kernel sends it (``ifa_flags`` is 8 bits).

``pending`` is the settle test: an address is still autoconfiguring while it is
``tentative`` without ``dadfailed`` on a link that is up with carrier
(``addrconf_link_ready``: DAD waits for the carrier; on a link without one the address
stays tentative indefinitely, so waiting for it would only burn the bound), and a link
whose carrier linkwatch has not yet reported is about to start autoconfiguring.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyroute2.netlink.rtnl import RTM_GETADDR, RTM_GETLINK
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.kernel import nl

AF_INET6 = 10
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000
IFA_F_SECONDARY = 0x01
IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80
#: iproute2's ifa_flag_names, in its order (include/uapi/linux/if_addr.h bits)
IFA_FLAG_NAMES: tuple[tuple[int, str], ...] = (
    (0x01, "secondary"),
    (0x02, "nodad"),
    (0x04, "optimistic"),
    (0x08, "dadfailed"),
    (0x10, "home"),
    (0x20, "deprecated"),
    (0x40, "tentative"),
    (0x80, "permanent"),
    (0x100, "mngtmpaddr"),
    (0x200, "noprefixroute"),
    (0x400, "autojoin"),
    (0x800, "stable-privacy"),
)


def ifa_flags(a: Any) -> int:
    """The address's flags: ``IFA_FLAGS`` (32 bits) if present, else ``ifa_flags``."""
    full = a.get_attr("IFA_FLAGS")
    return int(full) if full is not None else int(a["flags"])


def ifa_flag_words(flags: int, family: int) -> tuple[str, ...]:
    """The flag words ``ip -j addr`` prints for an address with FLAGS, in its order."""
    words: list[str] = []
    for bit, name in IFA_FLAG_NAMES:
        if bit == IFA_F_PERMANENT:
            if not flags & bit:
                words.append("dynamic")
        elif flags & bit:
            words.append("temporary" if bit == IFA_F_SECONDARY and family == AF_INET6
                         else name)
    return tuple(words)


def tentative(links: Iterable[Any], addrs: Iterable[Any]) -> list[tuple[int, str]]:
    """(ifindex, address) of the IPv6 addresses still in DAD on links that can finish it,
    and (ifindex, "linkwatch") for a link whose carrier came but whose operstate linkwatch
    has not yet moved: its NETDEV_CHANGE, which makes the link-local address and starts
    DAD (``addrconf_notify``), is still to come (a TAP whose program just attached)."""
    ready: set[int] = set()
    out = []
    for m in links:
        if m["flags"] & IFF_UP and m["flags"] & IFF_LOWER_UP:
            ready.add(m["index"])
            if m.get_attr("IFLA_OPERSTATE") == "DOWN":
                out.append((m["index"], "linkwatch"))
    for a in addrs:
        if a["family"] != AF_INET6 or a["index"] not in ready:
            continue
        f = ifa_flags(a)
        if f & IFA_F_TENTATIVE and not f & IFA_F_DADFAILED:
            out.append((a["index"], str(a.get_attr("IFA_ADDRESS"))))
    return out


def pending(socks: Iterable[nl.NlSocket]) -> bool:
    """Whether any of these namespaces still has an address in DAD (``tentative``)."""
    for sock in socks:
        link, addr = ifinfmsg(), ifaddrmsg()
        link["family"] = 0
        addr["family"] = AF_INET6
        if tentative(sock.dump(link, RTM_GETLINK), sock.dump(addr, RTM_GETADDR)):
            return True
    return False
