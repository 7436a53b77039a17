"""``Ipv4Stack.is_bcast`` answers most unicast destinations without scanning addresses;
the answer is the same as the full scan's for every destination near each subnet."""

from __future__ import annotations

import random

from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.stack.addr import InetAddr, ip_int, mask
from vnetlab.sim.stack.netns import Namespace


def brute(ns: Namespace, ip: int) -> bool:
    return any(a.plen < 31 and ip == (a.local | (~mask(a.plen) & 0xFFFFFFFF))
               for dev, addrs in ns.addrs.items() if dev.admin_up for a in addrs)


def test_is_bcast_matches_the_full_scan() -> None:
    rnd = random.Random(7)
    ns = Namespace("r", Scheduler())
    addrs = []
    for i, plen in enumerate([8, 16, 22, 24, 25, 29, 30, 31, 32, 24]):
        a, b = Veth(ns, f"a{i}", bytes([2, 0, 0, 0, 0, i])), Veth(ns, f"b{i}",
                                                                  bytes([2, 0, 0, 0, 1, i]))
        Veth.pair(a, b)
        local = ip_int(f"10.{i}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}")
        ns.add_addr(a, InetAddr(local, plen))
        addrs.append((local, plen))
        if i != 9:  # one subnet on a device that stays down: its broadcast does not count
            a.set_admin(True)
    probes = {0xFFFFFFFF, 0}
    for local, plen in addrs:
        bcast = local | (~mask(plen) & 0xFFFFFFFF)
        probes |= {bcast + d for d in range(-4, 5)} | {local}
    answers = set()
    for ip in sorted(p & 0xFFFFFFFF for p in probes):
        assert ns.stack.is_bcast(ip) == brute(ns, ip), hex(ip)
        answers.add(brute(ns, ip))
    assert answers == {True, False}
