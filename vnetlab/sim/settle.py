"""Let a freshly built emulated lab's IPv6 autoconfiguration settle before the checks run.

Design note
-----------
With IPv6 on, every interface that comes up sends MLDv2 reports, a DAD neighbour
solicitation and, once DAD is done (about a second: a random delay below
``rtr_solicitation_delay``, then ``retrans_time`` per ``dad_transmits``), MLD reports from
its link-local address and router solicitations. The kernel does this on its own clock, so
a person typing commands sees a settled lab; the checks should too, on both engines (the
linux engine polls until no address is tentative). Here virtual time runs, in 10 ms
steps, until no address in the lab is ``tentative`` and no device has an initial MLD
report still to send (its ``inet6_dev``'s MLD works), at most
``SETTLE6_MAX_NS`` (3 virtual seconds). Router solicitations keep going (up to three,
backing off) and are not waited for. A lab with IPv6 off costs nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable

from vnetlab.sim.clock import S, Scheduler
from vnetlab.sim.stack.netns import Namespace

#: the bound on the wait: DAD (≈1-2 s with the kernel's defaults) and the MLD reports after it
SETTLE6_MAX_NS = 3 * S
STEP_NS = 10_000_000

__all__ = ["SETTLE6_MAX_NS", "autoconf_pending", "mld_pending", "settle_ipv6"]


def mld_pending(ns: Namespace) -> bool:
    """A device still has unsolicited MLD reports to send: the state-change reports of
    its joins (``mc_ifc_work``) or the ones after DAD (``mc_dad_work``)."""
    for dev in ns.devices.values():
        idev = dev.ip6_ptr
        if idev is not None and (idev.mc_ifc_work is not None
                                 or idev.mc_dad_work is not None):
            return True
    return False


def autoconf_pending(namespaces: Iterable[Namespace]) -> bool:
    """An address still ``tentative`` (DAD running), or an initial MLD report unsent."""
    for ns in namespaces:
        for addrs in ns.ipv6.addrs.values():
            if any("tentative" in a.flags and "dadfailed" not in a.flags for a in addrs):
                return True
        if mld_pending(ns):
            return True
    return False


def settle_ipv6(sched: Scheduler, namespaces: Iterable[Namespace]) -> int:
    """Run virtual time until autoconfiguration is over (bounded); the ns waited."""
    nss = [ns for ns in namespaces if not ns.ipv6.conf_all.disable_ipv6
           or not ns.ipv6.conf_default.disable_ipv6 or any(
               not c.disable_ipv6 for c in ns.ipv6.conf.values())]
    start = sched.now
    limit = start + SETTLE6_MAX_NS
    while nss and sched.now < limit and autoconf_pending(nss):
        sched.run(until=min(sched.now + STEP_NS, limit))
    return sched.now - start
