"""The SR-IOV ops of the linux engine: the sysfs write, ``ip link set PF vf N ...`` and
moving a VF's netdev into a lab namespace.

Design note
-----------
The PF is the host's NIC: it stays in the host's namespace (the machine's own network
must never move into a lab), so these ops act there (``ns`` is "" — the host — for the
first two) through a netlink socket of the engine's own namespace, synchronously: the
next op needs their effect (a VF's netdev exists only after the sysfs write returns and
its driver has bound).

- ``WriteNumvfs``: ``echo N > /sys/class/net/PF/device/sriov_numvfs``
  (``sriov_numvfs_store``); the first write of a PF takes the ownership claim
  (``sriov_host.take``) and registers the restore with the plan's cleanups, so teardown
  and a rollback put the original numvfs back.
- ``SetVf``: one ``RTM_NEWLINK`` on the PF with ``IFLA_VFINFO_LIST`` > ``IFLA_VF_INFO`` >
  ``IFLA_VF_*``, the attributes iproute2's ``iplink_parse_vf`` builds for the same words,
  in the same order (802.1Q VLAN as the legacy ``IFLA_VF_VLAN``, 802.1ad as
  ``IFLA_VF_VLAN_LIST``; rates as ``IFLA_VF_RATE``), which ``do_setvfinfo`` hands to the
  driver's ``ndo_set_vf_*``. Encoded here: pyroute2 has the attributes but packs
  ``struct ifla_vf_vlan_info`` as 14 bytes, not the 16 (padded) the kernel's policy wants.
- ``MoveVf``: the VF's netdev (``device/virtfnN/net/*``, waited for, bounded) moved and
  renamed in one request (``do_setlink``: ``IFLA_NET_NS_FD`` with ``IFLA_IFNAME`` is
  ``dev_change_net_namespace`` with that name), then its index read back in the lab
  namespace (the kernel keeps the ifindex only when it is free there).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Literal

from pyroute2.netlink.rtnl import RTM_GETLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.ops.base import Op, Realized

# if_link.h
IFLA_NUM_VF = 21
IFLA_VFINFO_LIST = 22
IFLA_VF_INFO = 1
IFLA_VF_MAC = 1
IFLA_VF_VLAN = 2
IFLA_VF_TX_RATE = 3
IFLA_VF_SPOOFCHK = 4
IFLA_VF_LINK_STATE = 5
IFLA_VF_RATE = 6
IFLA_VF_RSS_QUERY_EN = 7
IFLA_VF_TRUST = 9
IFLA_VF_VLAN_LIST = 12
IFLA_VF_VLAN_INFO = 1
IFLA_NEW_IFINDEX = 49
VF_LINK_STATE = {"auto": 0, "enable": 1, "disable": 2}
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
#: how long a VF's driver may take to bind after the sysfs write (bounded wait)
VF_NETDEV_WAIT_S = 10.0


def numvfs_path(pf: str) -> str:
    return f"/sys/class/net/{pf}/device/sriov_numvfs"


@dataclass(frozen=True, slots=True)
class WriteNumvfs(Op):
    """``echo N > /sys/class/net/PF/device/sriov_numvfs``; ``claim``: this is the lab's
    first write to PF, which records ``original`` for restore first."""

    pf: str = ""
    numvfs: int = 0
    original: int = 0
    target: int = 0  # the numvfs the lab ends with (what the claim records)
    alias: str = ""
    claim: bool = False

    def shell(self) -> str:
        return f"echo {self.numvfs} > {numvfs_path(self.pf)}"

    def undo_lines(self) -> list[str]:
        """How a user puts the PF back by hand (the plan printed as a script)."""
        if not self.claim or self.original == self.target:
            return []
        back = [f"echo 0 > {numvfs_path(self.pf)}"]
        if self.original:
            back.append(f"echo {self.original} > {numvfs_path(self.pf)}")
        return back

    def apply(self, r: Realized) -> None:
        host = sriov_host.current_host()
        if self.claim:
            c = sriov_host.PfClaim(pf=self.pf, original=self.original, numvfs=self.target,
                                   alias=self.alias)
            try:
                sriov_host.take(c)
            except OSError as e:
                raise EngineError(f"`{self.shell()}`: {e.strerror}") from None
            r.cleanups.append(lambda: _restore(host, c))
        try:
            sriov_host.write_numvfs(host, self.pf, self.numvfs)
        except OSError as e:
            raise EngineError(f"`{self.shell()}` failed: echo: write error: {e.strerror}",
                              hint="dmesg names the driver's reason") from None


def _restore(host: sriov_host.Host, c: sriov_host.PfClaim) -> None:
    sriov_host.restore(host, c)  # a PF it could not restore keeps its claim for gc


@dataclass(frozen=True, slots=True)
class SetVf(Op):
    """``ip link set PF vf N [mac M] [vlan V [qos Q] [proto P]] [spoofchk on|off]
    [trust on|off] [state S] [max_tx_rate X] [min_tx_rate Y] [query_rss on|off]`` on the
    host's PF; None: the word is not given."""

    pf: str = ""
    vf: int = 0
    mac: str | None = None
    vlan: int | None = None
    qos: int = 0
    proto: Literal["802.1Q", "802.1ad"] = "802.1Q"
    spoofchk: bool | None = None
    trust: bool | None = None
    state: Literal["auto", "enable", "disable"] | None = None
    max_tx_rate: int | None = None
    min_tx_rate: int | None = None
    query_rss: bool | None = None

    def words(self) -> list[str]:
        w: list[str] = []
        if self.mac is not None:
            w += ["mac", self.mac]
        if self.vlan is not None:
            w += ["vlan", str(self.vlan)]
            if self.qos:
                w += ["qos", str(self.qos)]
            if self.proto != "802.1Q":
                w += ["proto", self.proto]
        for key in ("spoofchk", "trust"):
            v = getattr(self, key)
            if v is not None:
                w += [key, "on" if v else "off"]
        if self.state is not None:
            w += ["state", self.state]
        if self.max_tx_rate is not None:
            w += ["max_tx_rate", str(self.max_tx_rate)]
        if self.min_tx_rate is not None:
            w += ["min_tx_rate", str(self.min_tx_rate)]
        if self.query_rss is not None:
            w += ["query_rss", "on" if self.query_rss else "off"]
        return w

    def shell(self) -> str:
        return " ".join(["ip", "link", "set", self.pf, "vf", str(self.vf), *self.words()])

    def vfinfo(self) -> bytes:
        """``IFLA_VF_INFO``'s attributes, in ``iplink_parse_vf``'s order."""
        vf = self.vf
        a = b""
        if self.mac is not None:
            mac = bytes.fromhex(self.mac.replace(":", ""))
            a += M.nla(IFLA_VF_MAC, struct.pack("I32s", vf, mac))
        if self.vlan is not None:
            if self.proto == "802.1Q":
                a += M.nla(IFLA_VF_VLAN, struct.pack("III", vf, self.vlan, self.qos))
            else:
                info = struct.pack("III", vf, self.vlan, self.qos) + struct.pack(
                    "!H", ETH_P_8021AD) + b"\0\0"  # sizeof(struct ifla_vf_vlan_info) = 16
                a += M.nest(IFLA_VF_VLAN_LIST, M.nla(IFLA_VF_VLAN_INFO, info))
        for key, t in (("spoofchk", IFLA_VF_SPOOFCHK), ("trust", IFLA_VF_TRUST)):
            v = getattr(self, key)
            if v is not None:
                a += M.nla(t, struct.pack("II", vf, int(v)))
        if self.state is not None:
            a += M.nla(IFLA_VF_LINK_STATE, struct.pack("II", vf, VF_LINK_STATE[self.state]))
        if self.query_rss is not None:
            a += M.nla(IFLA_VF_RSS_QUERY_EN, struct.pack("II", vf, int(self.query_rss)))
        if self.max_tx_rate is not None or self.min_tx_rate is not None:
            # struct ifla_vf_rate {vf, min_tx_rate, max_tx_rate}: the plan gives both
            a += M.nla(IFLA_VF_RATE, struct.pack("III", vf, self.min_tx_rate or 0,
                                                 self.max_tx_rate or 0))
        return a

    def body(self, ifindex: int) -> bytes:
        return M.ifinfomsg(ifindex) + M.nest(IFLA_VFINFO_LIST,
                                             M.nest(IFLA_VF_INFO, self.vfinfo()))

    def apply(self, r: Realized) -> None:
        host = sriov_host.current_host()
        index = host.ifindex(self.pf)
        if index is None:
            raise EngineError(f"`{self.shell()}`: no device {self.pf} on this host")
        _host_request(self, self.body(index))


def _host_request(op: Op, body: bytes) -> None:
    """One RTM_NEWLINK in the engine's own (the host's) namespace, waited for."""
    sock = nl.NlSocket()
    try:
        sock.send_raw(M.RTM_NEWLINK, body, tag=op)
        sock.flush()
    except nl.NetlinkRequestError as e:
        raise EngineError(f"the kernel refused `{op.shell()}`: {e.strerror}") from None
    finally:
        sock.close()


@dataclass(frozen=True, slots=True)
class MoveVf(Op):
    """``ip link set $(ls /sys/class/net/PF/device/virtfnN/net) netns NS name NAME``:
    the VF's netdev from the host into lab namespace ``ns`` under its lab name."""

    pf: str = ""
    vf: int = 0
    ifname: str = ""
    index: int = 0  # asked for with IFLA_NEW_IFINDEX (kernels since 6.5 honour it)

    def netdev_expr(self) -> str:
        return f"$(ls /sys/class/net/{self.pf}/device/virtfn{self.vf}/net)"

    def shell(self) -> str:
        return f"ip link set {self.netdev_expr()} netns {self.ns} name {self.ifname}"

    def find_netdev(self, host: sriov_host.Host, deadline: float) -> str:
        while True:
            names = host.vf_netdevs(self.pf, self.vf)
            if names:
                return names[0]
            if time.monotonic() >= deadline:
                raise EngineError(
                    f"`{self.shell()}`: VF {self.vf} of {self.pf} has no netdev after "
                    f"{VF_NETDEV_WAIT_S:g}s (is its VF driver loaded and bound? "
                    f"ls /sys/class/net/{self.pf}/device/virtfn{self.vf}/driver)")
            time.sleep(0.05)

    def apply(self, r: Realized) -> None:
        host = sriov_host.current_host()
        h = r.ns[self.ns]
        name = self.find_netdev(host, time.monotonic() + VF_NETDEV_WAIT_S)
        index = host.ifindex(name)
        if index is None:
            raise EngineError(f"`{self.shell()}`: {name} vanished")
        body = M.ifinfomsg(index) + M.s32(M.IFLA_NET_NS_FD, h.fd) + M.string(
            M.IFLA_IFNAME, self.ifname)
        if self.index:  # the plan's index: no clash with the links it makes there later
            body += M.s32(IFLA_NEW_IFINDEX, self.index)
        _host_request(self, body)
        h.index[self.ifname] = lookup_index(h.sock, self.ifname, self)


def lookup_index(sock: nl.NlSocket, ifname: str, op: Op) -> int:
    m = ifinfmsg()
    m["family"] = 0
    for link in sock.dump(m, RTM_GETLINK):
        if link.get_attr("IFLA_IFNAME") == ifname:
            return int(link["index"])
    raise EngineError(f"`{op.shell()}`: {ifname} is not in {op.ns} after the move")


@dataclass(frozen=True, slots=True)
class SetVfAddress(Op):
    """``ip -n NS link set NAME address MAC``: the VF netdev's own MAC when the lab gave
    no administrative one (the VF driver asks the PF, which allows it then)."""

    ifname: str = ""
    mac: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} address {self.mac}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ifinfomsg(self.ifindex(h, self.ifname)) + M.mac(M.IFLA_ADDRESS, self.mac)
        h.sock.send_raw(M.RTM_NEWLINK, body, tag=self)
