"""``ip link set``: attributes of a link that exists (``RTM_NEWLINK`` on its ifindex,
``do_setlink``)."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import Op, Realized, quote


@dataclass(frozen=True, slots=True)
class SetAlias(Op):
    """``ip link set NAME alias A`` (``IFLA_IFALIAS``): the lab's ownership tag."""

    ifname: str = ""
    alias: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} alias {quote(self.alias)}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname)) + M.string(M.IFLA_IFALIAS, self.alias)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)


@dataclass(frozen=True, slots=True)
class SetMaster(Op):
    """``ip link set NAME master BR`` (``IFLA_MASTER``, ``do_set_master``)."""

    ifname: str = ""
    master: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} master {self.master}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname))
        body += M.u32(M.IFLA_MASTER, self.ifindex(h, self.master))
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)


@dataclass(frozen=True, slots=True)
class SetMtu(Op):
    """``ip link set NAME mtu M`` (``IFLA_MTU``, ``dev_set_mtu``)."""

    ifname: str = ""
    mtu: int = 1500

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} mtu {self.mtu}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname)) + M.u32(M.IFLA_MTU, self.mtu)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)


@dataclass(frozen=True, slots=True)
class SetUp(Op):
    """``ip link set NAME up``: ``IFF_UP`` in ``ifi_flags`` and ``ifi_change``."""

    ifname: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} up"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname), flags=M.IFF_UP, change=M.IFF_UP)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)
