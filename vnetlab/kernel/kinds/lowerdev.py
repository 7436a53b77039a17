"""What macvlan and ipvlan share on the linux engine: a child made on a lower device that
may be in another namespace.

Design note
-----------
``ip -n LOWER_NS link add link LOWER name NAME netns NS type macvlan|ipvlan mode M``: the
request goes to the lower device's namespace (``IFLA_LINK`` is looked up there) and
``IFLA_NET_NS_FD`` puts the new device into ``ns`` — the container's macvlan on the host's
eth0 (``macvlan_common_newlink``/``ipvlan_link_new``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import Where
from vnetlab.kernel.ops.base import NewLink, Realized, link_add_head
from vnetlab.model.kinds.lowerdev import LowerDevSpec

L = TypeVar("L", bound=LowerDevSpec)


@dataclass(frozen=True, slots=True)
class AddLowerDev(NewLink[L]):
    """A macvlan/ipvlan child; ``link_node``/``link_ns``: the lower's node and namespace
    when it is not this one."""

    link_node: str = ""
    link_ns: str = ""

    @property
    def kind(self) -> str:
        return self.info_kind()

    @property
    def mode(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def link(self) -> str:
        """The lower device's name (in ``link_ns``)."""
        return self.spec.ip_link_lower()

    def shell(self) -> str:
        lns = self.link_ns or self.ns
        head = link_add_head(lns, self.ifname, self.mac, self.mtu, lower=self.link,
                             netns=self.ns if lns != self.ns else None)
        return " ".join([head, *self.type_args()])

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        low = r.ns[self.link_ns or self.ns]
        extra = M.u32(M.IFLA_LINK, self.ifindex(low, self.link))
        if low is not h:
            extra += M.s32(M.IFLA_NET_NS_FD, h.fd)
        self.send(h, low, extra)


def where_lower(where: Where, spec: LowerDevSpec) -> tuple[str, str]:
    """(node, namespace) of the lower device when it is ``NODE:IFNAME``, else ("", "")."""
    node = spec.link.rpartition(":")[0]
    return (node, where.namespaces[node]) if node else ("", "")
