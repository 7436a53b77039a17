"""``ip addr add``/``ip -6 route add`` for IPv6, and the wait for DAD to finish.

Design note
-----------
The IPv6 twins of ``ops.ipv4``: the same iproute2 commands, the ``AF_INET6`` encodings of
them. ``inet6_rtm_newaddr`` takes the address from ``IFA_LOCAL``/``IFA_ADDRESS`` (iproute2
sends both) and starts DAD on it when the device is up (``addrconf_dad_start``); the
address is ``tentative`` until then. ``inet6_rtm_newroute`` ignores ``rtm_scope`` and gives
a user route metric 1024 (``IP6_RT_PRIO_USER``) when none is sent, as ``ip -6 route add``
sends none.

``SettleAddrconf`` is the last op of a plan with IPv6 on somewhere: it polls the lab's
namespaces (``RTM_GETADDR``, ``AF_INET6``) until no address that can finish DAD is still
``tentative`` (``kernel.ipv6.pending``), bounded by ``SETTLE_S`` wall seconds — the
contract's "settle before checks", the kernel's side of the emulator's virtual-time wait.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.kernel import ipv6
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized

AF_INET6 = 10


def _in6(t: int, addr: str) -> bytes:
    return M.nla(t, socket.inet_pton(socket.AF_INET6, addr))


@dataclass(frozen=True, slots=True)
class AddAddr6(Op):
    """``ip addr add CIDR dev NAME`` for an IPv6 CIDR: ``RTM_NEWADDR`` (``AF_INET6``),
    ``IFA_LOCAL`` = ``IFA_ADDRESS`` (``inet6_rtm_newaddr``; the kernel adds the prefix
    route, metric 256, and joins the solicited-node group)."""

    ifname: str = ""
    cidr: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} addr add {self.cidr} dev {self.ifname}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        ip, _, plen = self.cidr.partition("/")
        body = M.ifaddrmsg(AF_INET6, int(plen), self.ifindex(h, self.ifname))
        body += _in6(M.IFA_LOCAL, ip) + _in6(M.IFA_ADDRESS, ip)
        h.sock.send_raw(M.RTM_NEWADDR, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)


@dataclass(frozen=True, slots=True)
class AddRoute6(Op):
    """``ip -6 route add DST [via GW] [dev D] [metric M]``: ``RTM_NEWROUTE`` (``AF_INET6``)
    in ``RT_TABLE_MAIN`` with ``RTPROT_BOOT``; ``default`` is ``::/0``. A link-local
    gateway needs the device (``ip6_route_check_nh``: "Nexthop has invalid gateway")."""

    dst: str = "default"
    via: str | None = None
    dev: str | None = None
    metric: int = 0

    def shell(self) -> str:
        parts = [f"ip -n {self.ns} -6 route add {self.dst}"]
        if self.via:
            parts.append(f"via {self.via}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.metric:
            parts.append(f"metric {self.metric}")
        return " ".join(parts)

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        net, plen = ("::", 0) if self.dst in ("default", "::/0") else (
            self.dst.partition("/")[0], int(self.dst.partition("/")[2] or 128))
        body = M.rtmsg(AF_INET6, plen, M.RT_TABLE_MAIN, M.RTPROT_BOOT, M.RT_SCOPE_UNIVERSE,
                       M.RTN_UNICAST)
        if plen:
            body += _in6(M.RTA_DST, net)
        if self.via:
            body += _in6(M.RTA_GATEWAY, self.via)
        if self.dev:
            body += M.u32(M.RTA_OIF, self.ifindex(h, self.dev))
        if self.metric:
            body += M.u32(M.RTA_PRIORITY, self.metric)
        h.sock.send_raw(M.RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)


#: the most wall-clock time the engine waits for DAD (contract: bounded 5 s)
SETTLE_S = 5.0
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class SettleAddrconf(Op):
    """Wait (bounded) until no address in these namespaces is tentative; the shell form is
    the same poll with ``ip -6 addr show tentative``. Never fails: an address still
    tentative after ``SETTLE_S`` (DAD slower than usual) is left to the checks."""

    namespaces: tuple[str, ...] = ()
    timeout_s: float = SETTLE_S

    def shell(self) -> str:
        tries = int(self.timeout_s / 0.1)
        test = " && ".join(f'[ -z "$(ip -n {n} -6 addr show tentative -dadfailed)" ]'
                           for n in self.namespaces)
        return (f"for i in $(seq {tries}); do {test} && break; sleep 0.1; done"
                "  # DAD settles (<= 5 s)")

    def apply(self, r: Realized) -> None:
        socks = [r.ns[n].sock for n in self.namespaces if n in r.ns]
        deadline = time.monotonic() + self.timeout_s
        while ipv6.pending(socks) and time.monotonic() < deadline:
            time.sleep(_POLL_S)
