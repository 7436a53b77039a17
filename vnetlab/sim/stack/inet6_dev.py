"""``struct inet6_dev`` and ``struct ifmcaddr6``: a device's IPv6 autoconfiguration state.

Design note
-----------
The kernel hangs one ``inet6_dev`` on each device (``dev->ip6_ptr``) from NETDEV_REGISTER
(``ipv6_add_dev``) to NETDEV_UNREGISTER. It holds what addrconf.py and mcast6.py run: the
link-ready flag (IF_READY), the router-solicitation timer and back-off, each address's DAD
work and state, and the multicast group list with its MLD timers. The addresses
themselves live in ``ns.ipv6.addrs`` (``Inet6Addr``, v6core); this only keeps the per
address timer and DAD state beside them (the kernel keeps it in the ``inet6_ifaddr``).

Randomness: where the kernel draws ``get_random_u32_below`` (DAD start delay, MLD report
delays, the RS back-off jitter, the random secret of addr_gen_mode 3) the emulator draws
from a per-device ``Prandom`` stream seeded from the namespace and device names, so a run
is reproducible and two devices do not move in lockstep.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vnetlab.sim.sched.prandom import Prandom

if TYPE_CHECKING:
    from vnetlab.sim.clock import Timer
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.addr6 import Inet6Addr
    from vnetlab.sim.stack.netns import Namespace

#: ``MLD_QRV_DEFAULT``: the robustness variable (reports per change)
MLD_QRV_DEFAULT = 2


@dataclass(slots=True, eq=False)
class Ifmcaddr6:
    """``struct ifmcaddr6``: one group joined on a device (EXCLUDE {} mode)."""

    addr: int
    users: int = 1
    loaded: bool = False  # MAF_LOADED: its MAC is on dev.mc
    noreport: bool = False  # MAF_NOREPORT: ff02::1 and scopes below link-local
    crcount: int = 0  # change records still to send (mca_crcount)
    last_reporter: bool = False  # MAF_LAST_REPORTER (MLDv1 done)
    work: Timer | None = None  # mca_work (MLDv1 delayed report)


@dataclass(slots=True, eq=False)
class Inet6Dev:
    """``struct inet6_dev`` (the parts addrconf and MLD use)."""

    ns: Namespace
    dev: NetDevice
    rng: Prandom
    if_ready: bool = False  # IF_READY: the link became ready, autoconf ran
    rs_sent: bool = False  # IF_RS_SENT
    ra_rcvd: bool = False  # IF_RA_RCVD
    rs_probes: int = 0
    rs_interval: int = 0  # jiffies
    rs_timer: Timer | None = None
    dead: bool = False
    #: groups in join order; the kernel's list is newest first (``mc_list`` is prepended)
    mc: dict[int, Ifmcaddr6] = field(default_factory=dict)
    #: left groups whose leave records are still being sent (``mc_tomb``): group -> crcount
    mc_tomb: dict[int, int] = field(default_factory=dict)
    mc_qrv: int = MLD_QRV_DEFAULT
    mc_ifc_count: int = 0
    mc_ifc_work: Timer | None = None
    mc_dad_count: int = 0
    mc_dad_work: Timer | None = None
    #: per address: its DAD work, state (PREDAD/DAD/POSTDAD/ERRDAD/DEAD), stable retries
    dad_work: dict[Inet6Addr, Timer] = field(default_factory=dict)
    dad_state: dict[Inet6Addr, str] = field(default_factory=dict)
    stable_retry: dict[Inet6Addr, int] = field(default_factory=dict)
    dad_nonce: dict[Inet6Addr, bytes] = field(default_factory=dict)  # ifp->dad_nonce
    solict: set[Inet6Addr] = field(default_factory=set)  # joined its solicited-node group
    #: kernel log lines about this device: (virtual ns, text as dmesg shows it)
    dmesg: list[tuple[int, str]] = field(default_factory=list)

    def groups_newest_first(self) -> list[Ifmcaddr6]:
        return list(reversed(self.mc.values()))

    def log(self, text: str) -> None:
        self.dmesg.append((self.ns.sched.now, text))


def new_inet6_dev(ns: Namespace, dev: NetDevice) -> Inet6Dev:
    seed = zlib.crc32(f"{ns.name}/{dev.name}/inet6".encode())
    return Inet6Dev(ns, dev, Prandom(seed | (seed << 32)))


__all__ = ["Ifmcaddr6", "Inet6Dev", "MLD_QRV_DEFAULT", "new_inet6_dev"]
