"""TUN and TAP (drivers/net/tun.c): a network device whose other side is a program.

Design note
-----------
What the stack transmits on the device (``tun_net_xmit``) is queued for the program that
has it open — an IP packet for a TUN (``IFF_TUN|IFF_NO_PI``: no Ethernet header), an
Ethernet frame for a TAP — and what the program writes (``tun_get_user``) is received by
the device as if it came from a wire (``netif_rx``). Without a program attached
(``tun_attach``) the device has no carrier (``NO-CARRIER``, operstate DOWN) and drops what
is sent; with one, carrier is on and the operstate UP (what this kernel reports for an
attached tun/tap; the differential tests hold the emulator to it). A TUN is ``IFF_NOARP``
and has no link-layer address (``ARPHRD_NONE``): here its frames carry zero MACs
internally and ``addr_len`` is 0, so observe shows no MAC.

The program side is ``vnetlab.sim.apps.userspace``: a reader callback that runs on virtual
time ``USER_WAKEUP_NS`` after the packet was queued (the read(2) wake-up), so a run stays
deterministic. Writes to a device that is down fail with EIO, as in ``tun_get_user``.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.model.spec import TapSpec, TunSpec
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.trace import DropReason
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

USER_WAKEUP_NS = 2_000  # the reader wakes up and read(2) returns
TUN_TXQUEUELEN = 500  # txqueuelen of a tun/tap: packets queued for a program that is slow
_ZERO = b"\x00" * 6
_ETH_IP = b"\x08\x00"
_ETH_IPV6 = b"\x86\xdd"


class TunTapDevice(NetDevice):
    """What TUN and TAP share: the queue to the program (``struct tun_file``)."""

    kind = "tun"  # both are "tun" to rtnetlink (IFLA_INFO_KIND); tun_type tells them apart
    tun_type = "tun"
    tx_queue_len = TUN_TXQUEUELEN
    __slots__ = ("reader", "owner", "group", "queued")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.carrier = False
        self.reader: Callable[[bytes], None] | None = None
        self.owner: int | str | None = None
        self.group: int | str | None = None
        self.queued = 0

    # -- the program side ---------------------------------------------------------------
    def attach(self, reader: Callable[[bytes], None]) -> None:
        """``tun_attach`` (TUNSETIFF on an open /dev/net/tun): carrier on."""
        if self.reader is not None:
            raise OSError(errno.EBUSY, f"{self.name} is already attached to a program")
        self.reader = reader
        self.set_carrier(True)

    def detach(self) -> None:
        """``tun_detach`` (the program closed its fd): carrier off."""
        self.reader = None
        self.set_carrier(False)

    @property
    def operstate(self) -> str:
        if not self.admin_up or not self.carrier:
            return "DOWN"
        return "UP"

    def _to_user(self, payload: bytes) -> None:
        self.queued -= 1
        reader = self.reader
        if reader is not None:
            reader(payload)

    def to_wire(self, data: bytes) -> bytes:  # pragma: no cover - per kind
        raise NotImplementedError

    def write(self, packet: bytes) -> int:
        """``tun_get_user``: the program writes one packet/frame; the device receives it."""
        if not self.admin_up:
            raise OSError(errno.EIO, f"{self.name} is down (tun_get_user: EIO)")
        frame = self.to_wire(packet)
        self.sched.after(USER_WAKEUP_NS, self.netif_receive, Skb(frame))
        return len(packet)

    # -- the stack side -----------------------------------------------------------------
    def user_payload(self, frame: bytes) -> bytes:  # pragma: no cover - per kind
        raise NotImplementedError

    def xmit(self, skb: Skb) -> None:
        """``tun_net_xmit``: queue for the program (dropped without one)."""
        data = skb.data
        trace = skb.trace
        if not self.admin_up or self.reader is None or self.queued >= TUN_TXQUEUELEN:
            self.tx_dropped += 1
            if trace is not None:
                if not self.admin_up:
                    trace.drop(self.where, "device is down", DropReason.DEV_READY)
                elif self.reader is None:  # tun_net_xmit: no tfile attached
                    trace.drop(self.where, "no program has it open (NO-CARRIER)",
                               DropReason.DEV_READY)
                else:
                    trace.drop(self.where, f"queue to the program full ({TUN_TXQUEUELEN})",
                               DropReason.FULL_RING)
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if trace is not None:
            trace.deliver(self.where, f"{self.tun_type}: handed to its program")
        self.queued += 1
        self.sched.after(USER_WAKEUP_NS, self._to_user, self.user_payload(data))


class TunDevice(TunTapDevice):
    """TUN: the program sees IP packets; the device is NOARP and has no MAC."""

    tun_type = "tun"
    noarp = True
    addr_len = 0
    link_type = "none"
    iff_flags = ("POINTOPOINT", "MULTICAST", "NOARP")
    __slots__ = ()

    def user_payload(self, frame: bytes) -> bytes:
        return frame[14:]

    def to_wire(self, data: bytes) -> bytes:
        """``tun_get_user`` without IFF_NO_PI cleared: the protocol from the version
        nibble (IPv4 or IPv6)."""
        if not data or data[0] >> 4 not in (4, 6):
            raise OSError(errno.EINVAL, "a TUN takes IPv4 or IPv6 packets here")
        return _ZERO + _ZERO + (_ETH_IP if data[0] >> 4 == 4 else _ETH_IPV6) + data


class TapDevice(TunTapDevice):
    """TAP: the program sees Ethernet frames (a VM's NIC as QEMU attaches it)."""

    tun_type = "tap"
    __slots__ = ()

    def user_payload(self, frame: bytes) -> bytes:
        return frame

    def to_wire(self, data: bytes) -> bytes:
        if len(data) < 14:
            raise OSError(errno.EINVAL, "a TAP frame has at least an Ethernet header")
        return data


def newlink_tun(ns: Namespace, name: str, spec: TunSpec, lower: Lower) -> TunDevice:
    """``tun_set_iff`` for IFF_TUN: no link-layer address."""
    dev = TunDevice(ns, name, b"\x00" * 6, spec.mtu)
    dev.owner, dev.group = spec.user, spec.group
    return dev


def newlink_tap(ns: Namespace, name: str, spec: TapSpec, lower: Lower) -> TapDevice:
    """``tun_set_iff`` for IFF_TAP: an Ethernet device."""
    dev = TapDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
    dev.owner, dev.group = spec.user, spec.group
    return dev
