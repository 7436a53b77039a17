"""IPv6 through every device kind that carries it, in the emulator: each example lab gets
an IPv6 twin of its IPv4 addressing (``fd00::A.B.C.D/96+plen`` for ``A.B.C.D/plen``, the same
routes and forwarding), and every small ``ping`` check of the lab must reach (or not) over
IPv6 exactly as it does over IPv4 — across bridges, VLAN trunks and subinterfaces, VXLAN,
Geneve, MACVLAN, IPVLAN l2/l3, TAP and TUN."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
from v6sim import enable, ping6, realize

from vnetlab.model import load_lab
from vnetlab.model.checks import PingCheck
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.stack.addr6 import Inet6Addr, ip6_str
from vnetlab.sim.stack.route6 import Rt6

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
V6 = 0xFD00 << 112

#: vm-tap is left out: its userspace "VM" (vnetlab.tuntap.examples.vm) answers ARP and
#: ICMPv4 only, so it has no IPv6 to answer with (the TAP itself carries IPv6)
LABS = ["exercise1-bridge-flooding", "vlan-trunk", "exercise2-vxlan-mtu", "exercise3-macvlan",
        "geneve-options", "vpn-tun", "k8s-flannel", "container-host"]


def mirror(engine: SimEngine) -> None:
    """Give every namespace the IPv6 twin of its IPv4 addresses, routes and forwarding."""
    for ns in engine.namespaces.values():
        enable(ns)
        if ns.stack.forwarding:
            ns.ipv6.sysctl_set("conf.all.forwarding", "1")
        for dev, addrs in ns.addrs.items():
            if dev is ns.lo:
                continue
            for a in addrs:
                ns.ipv6.add_addr(Inet6Addr(V6 | a.local, 96 + a.plen, dev, "global",
                                           {"nodad", "permanent"}))
        for r in ns.stack.fib.routes:
            if r.proto == "kernel":
                continue
            plen = 96 + r.plen if r.plen else 0
            dst = V6 | r.dst if r.plen else 0
            via = V6 | r.via if r.via is not None else None
            ns.ipv6.fib6.add(Rt6(dst, plen, r.dev, via, 1024 + r.metric), replace_same=True)


def _pings(lab_name: str) -> list[PingCheck]:
    lab = load_lab(EXAMPLES / f"{lab_name}.yaml")
    return [c for c in lab.checks if isinstance(c, PingCheck) and c.size <= 1200
            and c.count <= 3 and not c.dont_fragment and "%" not in c.ping]


def _ipvlan_lab(mode: str) -> str:
    net = 9 if mode == "l3" else 0
    return f"""
name: ipvl6-{mode}
nodes:
  host:
    interfaces:
      eth0: {{addresses: [10.0.0.100/24]}}
  ext:
    interfaces:
      eth0: {{addresses: [10.0.0.254/24]}}
    routes:
      - {{dst: 10.0.9.0/24, via: 10.0.0.100}}
  c1:
    interfaces:
      ipv0: {{type: ipvlan, link: host:eth0, mode: {mode}, addresses: [10.0.{net}.1/24]}}
    routes:
      - {{dst: default, dev: ipv0}}
  c2:
    interfaces:
      ipv0: {{type: ipvlan, link: host:eth0, mode: {mode}, addresses: [10.0.{net}.2/24]}}
    routes:
      - {{dst: default, dev: ipv0}}
links:
  - endpoints: [host:eth0, ext:eth0]
"""


@pytest.mark.parametrize("mode", ["l2", "l3"])
def test_ipvlan_demuxes_ipv6_by_address(mode: str) -> None:
    net = 9 if mode == "l3" else 0
    engine = realize(_ipvlan_lab(mode))
    mirror(engine)
    pairs = [("c1", f"10.0.{net}.2"), ("c2", f"10.0.{net}.1"), ("ext", f"10.0.{net}.1")]
    if mode == "l2":
        pairs.append(("c1", "10.0.0.254"))
    for src, dst in pairs:
        v4 = engine.ping(src, IPv4Address(dst))
        app = ping6(engine.namespaces[src], ip6_str(V6 | int(IPv4Address(dst))), timeout=2)
        assert (app.received, v4.received) == (1, 1), (mode, src, dst, app.errors)


@pytest.mark.parametrize("lab_name", LABS)
def test_ipv6_twin_reaches_where_ipv4_does(lab_name: str) -> None:
    checks = _pings(lab_name)
    if not checks:
        pytest.skip(f"{lab_name} has no small ping check")
    lab = load_lab(EXAMPLES / f"{lab_name}.yaml")
    engine = SimEngine()
    engine.realize(lab)
    mirror(engine)
    engine.advance(0.1)
    compared = 0
    for c in checks:
        src, dst = (s.strip() for s in c.ping.split("->"))
        v4 = engine.ping(src, IPv4Address(dst), count=c.count, size=c.size)
        v6dst = ip6_str(V6 | int(IPv4Address(dst)))
        app = ping6(engine.namespaces[src], v6dst, count=c.count, size=c.size, timeout=2)
        assert (app.received > 0) == v4.reachable, (c.ping, v6dst, app.errors, v4.errors)
        compared += 1
    assert compared


def test_trace_of_an_ipv6_ping_shows_ndisc_and_the_route() -> None:
    from ipaddress import IPv6Address

    from vnetlab.tools.trace_render import render_trace

    engine = SimEngine()
    engine.realize(load_lab(EXAMPLES / "container-host.yaml"))
    mirror(engine)
    t = engine.trace("a", IPv6Address(ip6_str(V6 | int(IPv4Address("192.0.2.254")))))
    assert t.delivered
    text = render_trace(t)
    assert "ICMPv6 echo request, 104 bytes" in text
    assert "neighbour solicitation" in text  # the NS resolving the router, as a branch
    assert "hop limit 64 -> 63" in text
    assert t.verdict() == "delivered to internet:eth0 (fd00::c000:2fe)"
