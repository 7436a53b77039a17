"""``ip addr add`` and ``ip route add``: the IPv4 configuration of a namespace."""

from __future__ import annotations

from dataclasses import dataclass

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized


@dataclass(frozen=True, slots=True)
class AddAddr(Op):
    """``ip addr add CIDR dev NAME``: ``RTM_NEWADDR`` with ``IFA_LOCAL`` = ``IFA_ADDRESS``
    (``inet_rtm_newaddr``; the kernel adds the connected route)."""

    ifname: str = ""
    cidr: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} addr add {self.cidr} dev {self.ifname}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        ip, _, plen = self.cidr.partition("/")
        body = M.ifaddrmsg(M.AF_INET, int(plen), self.ifindex(h, self.ifname))
        body += M.ipv4(M.IFA_LOCAL, ip) + M.ipv4(M.IFA_ADDRESS, ip)
        h.sock.send_raw(M.RTM_NEWADDR, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)


@dataclass(frozen=True, slots=True)
class AddRoute(Op):
    """``ip route add DST [via GW] [dev D] [metric M]``: ``RTM_NEWROUTE`` in
    ``RT_TABLE_MAIN`` with ``RTPROT_BOOT``, as iproute2 sends it (so ``ip route`` shows no
    ``proto`` for lab routes); link scope without a gateway (``inet_rtm_newroute``)."""

    dst: str = "default"
    via: str | None = None
    dev: str | None = None
    metric: int = 0

    def shell(self) -> str:
        parts = [f"ip -n {self.ns} route add {self.dst}"]
        if self.via:
            parts.append(f"via {self.via}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.metric:
            parts.append(f"metric {self.metric}")
        return " ".join(parts)

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        scope = M.RT_SCOPE_UNIVERSE if self.via else M.RT_SCOPE_LINK
        if self.dst == "default":
            body = M.rtmsg(M.AF_INET, 0, M.RT_TABLE_MAIN, M.RTPROT_BOOT, scope, M.RTN_UNICAST)
        else:
            net, _, plen = self.dst.partition("/")
            body = M.rtmsg(M.AF_INET, int(plen), M.RT_TABLE_MAIN, M.RTPROT_BOOT, scope,
                           M.RTN_UNICAST)
            body += M.ipv4(M.RTA_DST, net)
        if self.via:
            body += M.ipv4(M.RTA_GATEWAY, self.via)
        if self.dev:
            body += M.u32(M.RTA_OIF, self.ifindex(h, self.dev))
        if self.metric:
            body += M.u32(M.RTA_PRIORITY, self.metric)
        h.sock.send_raw(M.RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)
