"""Trying ``RTM_NEWLINK`` in a throwaway namespace: what a kind's feature probe calls.

Design note
-----------
A kind (or a feature of one) is supported when ``RTM_NEWLINK`` with ``IFLA_INFO_KIND=KIND``
succeeds; the kernel loads the module itself (``rtnl_link_ops`` lookup falls back to
``request_module("rtnl-link-KIND")``), so "module missing" shows up as ``EOPNOTSUPP``.
``Prober`` is the socket of the probe namespace ``vnetlab.kernel.features`` makes; each
kind's probe in ``vnetlab.kernel.kinds`` says what to try with it.
"""

from __future__ import annotations

import errno
from typing import Any

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL
from pyroute2.netlink.rtnl import RTM_GETLINK, RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.kernel import nl

#: pyroute2's attribute form: ``[["IFLA_VXLAN_ID", 10], ...]``
Attrs = list[list[Any]]

#: what ``Prober.newlink`` says when the kernel lacks the kind (a feature probe keys on it)
MODULE_MISSING = "module missing: EOPNOTSUPP"


class Prober:
    """``RTM_NEWLINK`` attempts on one namespace's socket, each device a fresh name."""

    def __init__(self, sock: nl.NlSocket) -> None:
        self.sock = sock
        self._made = 0
        self._lower: int | None = None
        self._lower_tried = False

    def fresh_name(self) -> str:
        self._made += 1
        return f"probe{self._made}"

    def newlink(self, kind: str, data: Attrs, *, on_lower: bool = False) -> str | None:
        """None if the kernel made a ``kind`` with ``data`` (stacked on a veth if
        ``on_lower``), else why not."""
        lower = None
        if on_lower:
            lower = self.lower()
            if lower is None:
                return f"cannot probe {kind} without a veth to stack it on"
        m = ifinfmsg()
        m["family"] = 0
        m["index"] = 0
        attrs: Attrs = [["IFLA_IFNAME", self.fresh_name()]]
        if lower is not None:
            attrs.append(["IFLA_LINK", lower])
        info: Attrs = [["IFLA_INFO_KIND", kind]]
        if data:
            info.append(["IFLA_INFO_DATA", {"attrs": data}])
        attrs.append(["IFLA_LINKINFO", {"attrs": info}])
        m["attrs"] = attrs
        try:
            self.sock.request(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
        except nl.NetlinkRequestError as e:
            if e.errno in (errno.EOPNOTSUPP, errno.ENOENT):
                return f"this kernel has no {kind} support ({MODULE_MISSING})"
            return f"creating a {kind} failed here: {e.strerror}"
        return None

    def lower(self) -> int | None:
        """The ifindex of a veth end to stack probes on (made once), None without veth."""
        if not self._lower_tried:
            self._lower_tried = True
            peer = self.fresh_name()
            if self.newlink("veth", [["VETH_INFO_PEER", {"attrs": [["IFLA_IFNAME", peer]]}]]) \
                    is None:
                m = ifinfmsg()
                m["family"] = 0
                for link in self.sock.dump(m, RTM_GETLINK):
                    if link.get_attr("IFLA_IFNAME") == peer:
                        self._lower = int(link["index"])
        return self._lower
