"""The netdev notifier chain (net/core/dev.c: ``call_netdevice_notifiers``).

Design note
-----------
The device core announces what happened to a device; whoever depends on that device
subscribes. The core therefore never names a device kind: a bridge learns that its port
went down, a VLAN that its real device came up, a MACVLAN port that its lower lost
carrier, each through the same call. STP, Open vSwitch and SR-IOV hang here too.

Two places to subscribe, as in the kernel:

* a namespace's ``netdev_chain`` (``register_netdevice_notifier_net``): every device of
  that namespace; the namespace's own IPv4 stack is the subscriber
  (``fib_netdev_event``/``neigh_ifdown`` on UP and DOWN);
* a device's ``netdev_chain`` (``register_netdevice_notifier_dev_net``): that device
  only; an upper device subscribes to its lower (a bridge to each port, a VLAN to its
  real device, a MACVLAN/IPVLAN port to its lower). It moves with the device, so an upper
  in another namespace (a container's macvlan on the host's eth0) still hears.

``call_netdevice_notifiers`` runs the namespace chain first, then the device's own, each
in registration order (the kernel's chains sort by ``priority``; every block here has the
default). A subscriber may unregister itself while being called (``br_del_if`` on
NETDEV_UNREGISTER): a call walks the subscribers as they were when it started.

Invariant: stacked devices derive their carrier from the lower (``has_carrier``), so
NETDEV_CHANGE means "read my operstate again", not "it changed"; subscribers are
idempotent (``br_port_carrier_check`` compares before it acts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice


class NetdevEvent(Enum):
    """``enum netdev_cmd``: the events the emulator sends (a subset of the kernel's)."""

    UP = "NETDEV_UP"  # dev_open: the device is administratively up
    DOWN = "NETDEV_DOWN"  # dev_close: administratively down
    CHANGE = "NETDEV_CHANGE"  # carrier/operstate changed (linkwatch, netif_carrier_on/off)
    CHANGEUPPER = "NETDEV_CHANGEUPPER"  # an upper/master was linked or unlinked
    UNREGISTER = "NETDEV_UNREGISTER"  # the device leaves its namespace (deleted or moved)


#: the events a device stacked on another re-reads its operstate on (a vlan, macvlan or
#: ipvlan: ``netif_stacked_transfer_operstate``; a bridge port: ``br_port_carrier_check``)
OPERSTATE_EVENTS = frozenset({NetdevEvent.UP, NetdevEvent.DOWN, NetdevEvent.CHANGE})


@dataclass(frozen=True, slots=True)
class NetdevNotifierInfo:
    """``struct netdev_notifier_info`` (+ ``netdev_notifier_changeupper_info``).

    ``upper_dev``, ``master`` and ``linking`` are set for NETDEV_CHANGEUPPER only.
    """

    dev: NetDevice
    upper_dev: NetDevice | None = None
    master: bool = False
    linking: bool = False


#: ``notifier_block.notifier_call``
NetdevNotifier = Callable[[NetdevEvent, NetdevNotifierInfo], None]


class NetdevNotifierChain:
    """``struct raw_notifier_head``: subscribers called in registration order."""

    __slots__ = ("_blocks",)

    def __init__(self) -> None:
        # a tuple replaced on every change: a call in progress keeps the one it started with
        self._blocks: tuple[NetdevNotifier, ...] = ()

    def register(self, nb: NetdevNotifier) -> None:
        """``raw_notifier_chain_register`` (registering twice is a no-op)."""
        if nb not in self._blocks:
            self._blocks += (nb,)

    def unregister(self, nb: NetdevNotifier) -> None:
        """``raw_notifier_chain_unregister`` (absent: a no-op)."""
        if nb in self._blocks:
            self._blocks = tuple(b for b in self._blocks if b != nb)

    def call(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``raw_notifier_call_chain`` (no NOTIFY_STOP: every subscriber hears)."""
        for nb in self._blocks:
            nb(event, info)

    def __len__(self) -> int:
        return len(self._blocks)


def call_netdevice_notifiers(event: NetdevEvent, dev: NetDevice) -> None:
    """``call_netdevice_notifiers``: DEV's namespace chain, then DEV's own subscribers."""
    info = NetdevNotifierInfo(dev)
    dev.ns.netdev_chain.call(event, info)
    dev.netdev_chain.call(event, info)


def netdev_upper_dev_link(dev: NetDevice, upper: NetDevice, *, master: bool) -> None:
    """``netdev_(master_)upper_dev_link``: announce NETDEV_CHANGEUPPER (linking) on DEV."""
    _changeupper(dev, upper, master=master, linking=True)


def netdev_upper_dev_unlink(dev: NetDevice, upper: NetDevice, *, master: bool) -> None:
    """``netdev_upper_dev_unlink``: announce NETDEV_CHANGEUPPER (unlinking) on DEV."""
    _changeupper(dev, upper, master=master, linking=False)


def _changeupper(dev: NetDevice, upper: NetDevice, *, master: bool, linking: bool) -> None:
    info = NetdevNotifierInfo(dev, upper, master, linking)
    dev.ns.netdev_chain.call(NetdevEvent.CHANGEUPPER, info)
    dev.netdev_chain.call(NetdevEvent.CHANGEUPPER, info)
