"""What every op shares: the ``Op`` value, the live handles it applies to, ``NewLink``.

Design note
-----------
``Realized`` is the state of a plan being applied: one ``NsHandle`` (an fd on the namespace,
its rtnetlink socket, the ifindex of every link made so far) per namespace. Ops look up
devices by name there, so no request waits for the kernel to answer a lookup.

``NewLink`` is ``ip link add`` (``rtnl_newlink``): the head every kind shares, ``ip -n NS
link add [link LOWER name] NAME [address MAC] mtu MTU group G``, is the kernel's and lives
here; the ``type KIND ...`` tail is the kind's. A kind's op carries its model spec, so the
shell text is the spec's own ``ip_link_type()`` and ``apply`` encodes the same spec's fields
as ``IFLA_INFO_DATA``: both read one value.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.model.netdev import NetdevSpec

if TYPE_CHECKING:
    from vnetlab.kernel.ovs.daemons import OvsDaemon

DEFAULT_PREFIX = "vnl-"
#: device group of every link a lab creates (``ip link del group N`` removes them at once)
VNL_GROUP = 30318
NETNS_NAME_MAX = 255  # a file name under /run/netns
#: A lab or node with ``ipv6: off``: IPv6 is switched off for every link of its namespace
#: (the ``all`` covers lo, which exists already; ``default`` every link made later) so
#: router solicitations, MLD and DAD add no frames, FDB entries and counters. With IPv6 on
#: (the kernel's default) none of these is written.
IPV6_OFF = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")


def netns_name(prefix: str, lab: str, node: str) -> str:
    name = f"{prefix}{lab}.{node}"
    if len(name) > NETNS_NAME_MAX or "/" in name:
        raise ValueError(f"namespace name {name!r} is not a valid file name under /run/netns")
    return name


def alias_for(lab: str, run_id: str) -> str:
    return f"vnetlab:{lab}:{run_id}"


def quote(s: str) -> str:
    return shlex.quote(s)


@dataclass
class NsHandle:
    """One namespace of a lab: its name, an fd on it and its netlink socket."""

    name: str
    fd: int
    sock: nl.NlSocket
    index: dict[str, int] = field(default_factory=lambda: {"lo": 1})

    def close(self) -> None:
        self.sock.close()
        os.close(self.fd)


@dataclass
class Realized:
    """The live handles of an applied plan, by namespace name."""

    ns: dict[str, NsHandle] = field(default_factory=dict)
    #: veth ends by (namespace, ifname) -> the other end: deleting one deletes both
    peers: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: processes the plan started (a node's ovsdb-server and ovs-vswitchd), for the record
    processes: list[OvsDaemon] = field(default_factory=list)
    #: what stops them again: run by ``apply.destroy`` before the namespaces go
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def run_cleanups(self) -> None:
        """Stop what the plan started, newest first (each at most once)."""
        while self.cleanups:
            with contextlib.suppress(Exception):  # the rest still runs; gc finds leftovers
                self.cleanups.pop()()

    def remaining_links(self) -> dict[str, set[str]]:
        """Lab links per namespace (``lo`` excluded), as made so far."""
        return {n: {i for i in h.index if i != "lo"} for n, h in self.ns.items()}

    def close(self) -> None:
        for h in self.ns.values():
            h.close()
        self.ns.clear()


@dataclass(frozen=True, slots=True)
class Op:
    """One step: ``ns`` is the namespace it acts in."""

    ns: str

    def shell(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def apply(self, r: Realized) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def ifindex(self, h: NsHandle, ifname: str) -> int:
        """The index of a link made earlier in ``h`` (the plan made it, so we know it)."""
        try:
            return h.index[ifname]
        except KeyError:
            raise EngineError(f"{self.shell()}: no interface {ifname!r} in {h.name}") from None


def link_attrs(ifname: str, mtu: int, mac: str | None) -> bytes:
    """``IFLA_IFNAME``, ``IFLA_MTU``, ``IFLA_GROUP`` and, if given, ``IFLA_ADDRESS`` (which
    marks the address ``NET_ADDR_SET``: a bridge keeps it instead of taking a port's)."""
    b = M.string(M.IFLA_IFNAME, ifname) + M.u32(M.IFLA_MTU, mtu) + M.u32(M.IFLA_GROUP, VNL_GROUP)
    return b + M.mac(M.IFLA_ADDRESS, mac) if mac else b


def link_add_head(ns: str, ifname: str, mac: str | None, mtu: int, *, lower: str | None = None,
                  netns: str | None = None) -> str:
    """``ip -n NS link add [link LOWER name] NAME [netns NS2] [address MAC] mtu M group G``."""
    name = f"link {lower} name {ifname}" if lower else ifname
    into = f" netns {netns}" if netns else ""
    addr = f" address {mac}" if mac else ""
    return f"ip -n {ns} link add {name}{into}{addr} mtu {mtu} group {VNL_GROUP}"


S = TypeVar("S", bound=NetdevSpec)


@dataclass(frozen=True, slots=True)
class NewLink(Op, Generic[S]):
    """``ip link add ... type KIND ...`` -> one ``RTM_NEWLINK`` with ``IFLA_LINKINFO``
    (``rtnl_newlink``), the ifindex chosen by us (``ifi_index``) so later ops need no lookup.
    The ``link`` word and the ``type`` words are the spec's (``ip_link_lower()``,
    ``ip_link_type()``); a subclass names the kind's ``IFLA_INFO_KIND`` and encodes the
    spec as its ``IFLA_INFO_DATA``."""

    ifname: str = ""
    index: int = 0
    mac: str | None = None
    mtu: int = 1500
    _: KW_ONLY
    #: left out of the hash (a spec holds lists) but not of ==: ops stay usable as keys
    spec: S = field(hash=False)

    def info_kind(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def info_data(self, h: NsHandle) -> bytes:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def lower(self) -> str | None:
        return self.spec.ip_link_lower()

    def type_args(self) -> list[str]:
        return self.spec.ip_link_type() or []

    def shell(self) -> str:
        head = link_add_head(self.ns, self.ifname, self.mac, self.mtu, lower=self.lower())
        return " ".join([head, *self.type_args()])

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        low = self.lower()
        extra = M.u32(M.IFLA_LINK, self.ifindex(h, low)) if low else b""
        self.send(h, h, extra)

    def send(self, h: NsHandle, via: NsHandle, extra: bytes) -> None:
        """The request, sent on ``via``'s socket (the lower's namespace for a device made
        on another node's lower), the device recorded in ``h``."""
        body = M.ifinfomsg(self.index) + link_attrs(self.ifname, self.mtu, self.mac) + extra
        data = self.info_data(h)  # a kind without options sends no IFLA_INFO_DATA, as ip
        body += M.nest(M.IFLA_LINKINFO, M.string(M.IFLA_INFO_KIND, self.info_kind()),
                       M.nest(M.IFLA_INFO_DATA, data) if data else b"")
        via.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)
        h.index[self.ifname] = self.index
