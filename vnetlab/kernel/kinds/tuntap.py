"""tun and tap on the linux engine: persistent devices made through /dev/net/tun.

Design note
-----------
A TUN/TAP cannot be made by ``RTM_NEWLINK`` (``tun_validate`` answers EOPNOTSUPP): ``ip
tuntap add`` opens /dev/net/tun in the namespace and makes it persistent
(``vnetlab.kernel.devtun``), then MTU, MAC and the lab's device group go over rtnetlink.
The kernel picks the ifindex. Both kinds report ``IFLA_INFO_KIND`` ``tun``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from vnetlab.kernel import devtun, nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.ops.base import VNL_GROUP, Op, Realized, link_attrs
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.tuntap import ProgramSpec, TapSpec, TunSpec
from vnetlab.model.spec import LabSpec


@dataclass(frozen=True, slots=True)
class AddTuntap(Op):
    """``ip tuntap add dev NAME mode tun|tap user U group G``: open /dev/net/tun in the
    namespace, ``TUNSETIFF`` (``IFF_NO_PI``), ``TUNSETOWNER``/``TUNSETGROUP``,
    ``TUNSETPERSIST`` 1, close (drivers/net/tun.c ``tun_set_iff``); then ``ip link set``
    MTU, MAC and group."""

    ifname: str = ""
    index: int = 0  # expected; apply uses the one the kernel gave
    mode: str = "tun"
    user: int | str | None = None
    group: int | str | None = None
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        owner = (f" user {self.user}" if self.user is not None else "") + (
            f" group {self.group}" if self.group is not None else "")
        addr = f" address {self.mac}" if self.mac else ""
        return (
            f"ip -n {self.ns} tuntap add dev {self.ifname} mode {self.mode}{owner}\n"
            f"ip -n {self.ns} link set {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP}"
        )

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        with nl.entered(h.fd):
            devtun.create_persistent(self.ifname, self.mode, self.user, self.group)
            index = socket.if_nametoindex(self.ifname)
        h.index[self.ifname] = index
        body = M.ifinfomsg(index) + link_attrs(self.ifname, self.mtu, self.mac)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)


def realize(where: Where, spec: TunSpec | TapSpec) -> list[Op]:
    """A persistent device owned by ``user``/``group``; only a TAP has a MAC."""
    return [AddTuntap(where.ns, ifname=where.ifname, index=where.take_index(), mode=spec.type,
                      user=spec.user, group=spec.group,
                      mac=spec.mac if spec.type == "tap" else None, mtu=spec.mtu)]


def programs_of(lab: LabSpec) -> list[tuple[str, str, str, ProgramSpec]]:
    """(node, ifname, mode, program) of every TUN/TAP whose userspace program vnetlab runs
    (``vnetlab.kernel.programs``)."""
    return [(node, ifname, iface.type, iface.program)
            for node, spec in lab.nodes.items() for ifname, iface in spec.interfaces.items()
            if isinstance(iface, TunSpec | TapSpec) and iface.program is not None]


def probe(p: Prober) -> str | None:
    """TUN/TAP need the /dev/net/tun character device (CONFIG_TUN)."""
    try:
        os.close(os.open(devtun.TUN_PATH, os.O_RDWR | os.O_CLOEXEC))
    except OSError as e:
        return f"/dev/net/tun cannot be opened here ({e.strerror}): no TUN/TAP support"
    return None


KIND: KernelKind[TunSpec | TapSpec] = KernelKind(info_kind="tun", realize=realize, probe=probe)
