"""Helpers of the IPv6 emulator tests (a unique module name: several test folders have
helpers). Labs are built from the IPv4 lab format (which gets IPv6 from helper v6model);
until then IPv6 is switched on by hand with the kernel's sysctl and addresses are added
directly through the stack, as ``ip -6 addr add ... nodad`` would."""

from __future__ import annotations

import textwrap
from ipaddress import IPv6Address

from vnetlab.model import load_lab_text
from vnetlab.sim.apps.ping import Ping6
from vnetlab.sim.clock import S, Scheduler
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr6 import Inet6Addr, addr_scope, ip6_int
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.stack.route6 import Rt6


def realize(yaml_text: str) -> SimEngine:
    lab = load_lab_text(textwrap.dedent(yaml_text))
    engine = SimEngine()
    engine.realize(lab)
    return engine


def enable(ns: Namespace) -> None:
    """``sysctl -w net.ipv6.conf.all.disable_ipv6=0`` (every device and default)."""
    ns.ipv6.sysctl_set("conf.all.disable_ipv6", "0")


def add6(ns: Namespace, ifname: str, cidr: str) -> Inet6Addr:
    """``ip -6 addr add CIDR dev IFNAME nodad``."""
    addr, plen = cidr.split("/")
    a = ip6_int(addr)
    ifa = Inet6Addr(a, int(plen), ns.devices[ifname], addr_scope(a), {"nodad", "permanent"})
    ns.ipv6.add_addr(ifa)
    return ifa


def route6(ns: Namespace, dst: str, ifname: str, via: str | None = None) -> None:
    """``ip -6 route add DST [via VIA] dev IFNAME`` (metric 1024)."""
    if dst == "default":
        a, plen = 0, 0
    else:
        s, p = dst.split("/")
        a, plen = ip6_int(s), int(p)
    ns.ipv6.fib6.add(Rt6(a, plen, ns.devices[ifname], ip6_int(via) if via else None))


def pair(a: Namespace, an: str, b: Namespace, bn: str, *, mac_a: int = 1,
         mac_b: int = 2) -> tuple[NetDevice, NetDevice]:
    x = Veth(a, an, (0x020000000000 | mac_a).to_bytes(6, "big"))
    y = Veth(b, bn, (0x020000000000 | mac_b).to_bytes(6, "big"))
    Veth.pair(x, y)
    return x, y


def eui64_ll(mac: bytes) -> str:
    """The EUI-64 link-local of MAC (addr_gen_mode 0): fe80::ff:fe00:1 for 02:00:..:01."""
    iid = bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return str(IPv6Address((0xFE80 << 112) | int.from_bytes(iid, "big")))


def two_hosts() -> tuple[Scheduler, Namespace, Namespace]:
    """a:eth0 (2001:db8::1/64) -- b:eth0 (2001:db8::2/64), up."""
    sched = Scheduler()
    a = Namespace("a", sched, ipv6=True)
    b = Namespace("b", sched, ipv6=True)
    x, y = pair(a, "eth0", b, "eth0")
    add6(a, "eth0", "2001:db8::1/64")
    add6(b, "eth0", "2001:db8::2/64")
    x.set_admin(True)
    y.set_admin(True)
    return sched, a, b


def routed() -> tuple[Scheduler, Namespace, Namespace, Namespace]:
    """a (2001:db8:1::1) -- r (forwarding; r1 MTU 1280) -- b (2001:db8:2::2), the
    topology of the kernel differential test."""
    sched = Scheduler()
    a = Namespace("a", sched, ipv6=True)
    r = Namespace("r", sched, ipv6=True)
    b = Namespace("b", sched, ipv6=True)
    a0, r0 = pair(a, "a0", r, "r0", mac_a=1, mac_b=0x10)
    r1, b0 = pair(r, "r1", b, "b0", mac_a=0x11, mac_b=2)
    add6(a, "a0", "2001:db8:1::1/64")
    add6(r, "r0", "2001:db8:1::ff/64")
    add6(r, "r1", "2001:db8:2::ff/64")
    add6(b, "b0", "2001:db8:2::2/64")
    r1.mtu = b0.mtu = 1280
    for ns, d in ((a, a0), (r, r0), (r, r1), (b, b0)):
        add6(ns, d.name, f"{eui64_ll(d.mac)}/64")  # what addrconf gives, without DAD
        d.set_admin(True)
    route6(a, "default", "a0", "2001:db8:1::ff")
    route6(b, "default", "b0", "2001:db8:2::ff")
    r.ipv6.sysctl_set("conf.all.forwarding", "1")
    return sched, a, r, b


def run(sched: Scheduler, seconds: float) -> None:
    sched.run(until=sched.now + int(seconds * S))


def a6(s: str) -> IPv6Address:
    return IPv6Address(s)


_ident = [0x4000]


def ping6(ns: Namespace, dst: str, *, count: int = 1, size: int = 56, oif: str | None = None,
          pmtudisc: str = "want", interval: float = 1.0, timeout: float = 1.0,
          trace: object = None) -> Ping6:
    """``ping -6 -c COUNT -s SIZE [-M do] DST[%OIF]`` on virtual time, run to its end."""
    _ident[0] += 1
    app = Ping6(ns, ip6_int(dst), oif=oif, count=count, size=size,
                interval=int(interval * S), timeout=int(timeout * S), pmtudisc=pmtudisc,
                ident=_ident[0], trace=trace)  # type: ignore[arg-type]
    app.start()
    limit = ns.sched.now + int((count * interval + timeout + 1) * S)
    while not app.finished and ns.sched.now < limit:
        nxt = ns.sched.next_time()
        if nxt is None:
            break
        ns.sched.run(until=min(nxt, limit))
    ns.sched.run(until=ns.sched.now + 10_000_000)
    return app
