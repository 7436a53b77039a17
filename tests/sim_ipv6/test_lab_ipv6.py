"""A lab's ``ipv6`` switch, IPv6 addresses, routes and sysctls in the emulator, the settle
before the checks, and what ``observe()`` reports: addresses with flags, routes of the main
table, neighbours, self FDB entries.

The expected values are the kernel's (``ip -j addr``, ``ip -6 route``, ``bridge fdb show``
in a namespace on this machine): a veth upped with IPv6 on gets fe80::/64 (proto kernel,
metric 256, pref medium), joins ff02::1 (33:33:00:00:00:01), the IPv4 all-hosts group
(01:00:5e:00:00:01) and its addresses' solicited-node groups (33:33:ff:XX:XX:XX); with
``disable_ipv6`` set before the device exists nothing IPv6 happens at all.
"""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import pytest

from vnetlab.engine import PingResult
from vnetlab.model import load_lab, load_lab_text
from vnetlab.model.state import NodeState
from vnetlab.sim.clock import S
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.settle import SETTLE6_MAX_NS, autoconf_pending
from vnetlab.tools.checks import run_checks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

LAB = """
name: v6lab
{top}
nodes:
  h:
{h}
    interfaces:
      br0: {{type: bridge}}
      pa: {{master: br0}}
      pb: {{master: br0}}
  a:
{a}
    interfaces:
      eth0: {{mac: "02:00:00:00:00:0a", addresses: [10.0.0.1/24{a6}]}}
  b:
    interfaces:
      eth0: {{mac: "02:00:00:00:00:0b", addresses: [10.0.0.2/24{b6}]}}
links:
  - endpoints: [h:pa, a:eth0]
  - endpoints: [h:pb, b:eth0]
"""


def realize(top: str = "", h: str = "", a: str = "", a6: str = "", b6: str = "",
            ) -> SimEngine:
    lab = load_lab_text(textwrap.dedent(LAB.format(top=top, h=h, a=a, a6=a6, b6=b6)))
    eng = SimEngine()
    eng.realize(lab)
    return eng


def v6_addrs(node: NodeState, ifname: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(x.cidr, x.scope, x.flags) for x in node.addrs
            if x.ifname == ifname and x.family == "inet6"]


def self_macs(node: NodeState, port: str) -> list[str]:
    return [f.mac for f in node.fdb if f.port == port and f.flags == ("self", "permanent")]


def learned(node: NodeState) -> set[tuple[str, str]]:
    return {(f.port, f.mac) for f in node.fdb if f.bridge == "br0" and not f.flags}


def test_ipv6_on_by_default_settles_before_the_checks() -> None:
    eng = realize()
    st = eng.observe()
    a = st.nodes["a"]
    # EUI-64 of 02:00:00:00:00:0a, DAD done: no flags (iproute2 prints none for it)
    assert v6_addrs(a, "eth0") == [("fe80::ff:fe00:a/64", "link", ())]
    assert v6_addrs(a, "lo") == [("::1/128", "host", ())]
    [ll] = [r for r in a.routes if r.family == "inet6"]
    assert (ll.dst, ll.dev, ll.proto, ll.metric, ll.pref, ll.via) == \
        ("fe80::/64", "eth0", "kernel", 256, "medium", None)
    assert set(self_macs(a, "eth0")) == {"33:33:00:00:00:01", "01:00:5e:00:00:01",
                                         "33:33:ff:00:00:0a"}
    # the bridge learned both hosts from their IPv6 traffic (MLD reports, DAD) alone
    assert {("pa", "02:00:00:00:00:0a"), ("pb", "02:00:00:00:00:0b")} <= learned(st.nodes["h"])
    # a port's own self entries are listed under its master, as bridge fdb show does
    h_self = [f for f in st.nodes["h"].fdb if f.port == "pa" and "self" in f.flags]
    assert h_self and all(f.bridge == "br0" for f in h_self)
    assert not autoconf_pending(eng.namespaces.values())
    # bounded: the old 1 s settle plus at most 3 s of autoconfiguration
    assert eng.sched.now <= 1 * S + SETTLE6_MAX_NS
    assert eng.sched.now > 1 * S  # DAD took its time (a random delay, then 1 s)


def test_ipv6_off_is_as_quiet_as_before() -> None:
    eng = realize(top="ipv6: off")
    st = eng.observe()
    for node in st.nodes.values():
        assert [x for x in node.addrs if x.family == "inet6"] == []
        assert [r for r in node.routes if r.family == "inet6"] == []
        assert [n for n in node.neighs if ":" in n.dst] == []
    # the kernel (disable_ipv6=1 in all/default before the devices, bridge fdb show) still
    # lists ff02::1's 33:33:00:00:00:01 (ipv6_add_dev joins it, disabled or not) and IPv4's
    # all-hosts group on every device, and the bridge's snooper groups on the bridge
    base = ["33:33:00:00:00:01", "01:00:5e:00:00:01"]
    assert self_macs(st.nodes["a"], "eth0") == base
    assert self_macs(st.nodes["h"], "pa") == base
    assert sorted(self_macs(st.nodes["h"], "br0")) == sorted(
        [*base, "01:00:5e:00:00:6a", "33:33:00:00:00:6a"])
    assert self_macs(st.nodes["a"], "lo") == []
    assert learned(st.nodes["h"]) == set()  # nobody sent a frame
    assert eng.sched.now == 1 * S  # no IPv6 settle at all


def test_a_nodes_own_setting_wins() -> None:
    st = realize(top="ipv6: off", a="    ipv6: on").observe()
    assert v6_addrs(st.nodes["a"], "eth0") == [("fe80::ff:fe00:a/64", "link", ())]
    assert v6_addrs(st.nodes["b"], "eth0") == []
    assert v6_addrs(st.nodes["h"], "br0") == []
    # a's MLD reports crossed the (IPv6-less) bridge: it learned a, not b
    assert learned(st.nodes["h"]) == {("pa", "02:00:00:00:00:0a")}


def test_global_addresses_routes_and_ping6() -> None:
    eng = realize(a6=', "2001:db8::a/64"', b6=', "2001:db8::b/64"',
                  a="    routes: [{dst: '2001:db8:9::/64', via: '2001:db8::b'}]")
    a = eng.observe().nodes["a"]
    assert ("2001:db8::a/64", "global", ()) in v6_addrs(a, "eth0")
    got = {(r.dst, r.via, r.proto, r.metric) for r in a.routes if r.family == "inet6"}
    assert got == {("2001:db8::/64", None, "kernel", 256), ("fe80::/64", None, "kernel", 256),
                   ("2001:db8:9::/64", "2001:db8::b", "boot", 1024)}
    r: PingResult = eng.ping("a", ipaddress.IPv6Address("2001:db8::b"), count=2)
    assert r.received == 2, r
    r = eng.ping("a", ipaddress.IPv6Address("fe80::ff:fe00:b"), ifname="eth0")
    assert r.received == 1, r
    neighs = {(n.dst, n.dev) for n in eng.observe().nodes["a"].neighs}
    assert ("2001:db8::b", "eth0") in neighs and ("fe80::ff:fe00:b", "eth0") in neighs


def test_lab_sysctls_reach_the_stack() -> None:
    eng = realize(a="    sysctls: {net.ipv6.conf.eth0.addr_gen_mode: 1, "
                    "net.ipv6.conf.all.forwarding: 1}")
    a = eng.observe().nodes["a"]
    assert v6_addrs(a, "eth0") == []  # addr_gen_mode 1: no link-local
    ns = eng.namespaces["a"]
    assert ns.ipv6.sysctl_get("conf.all.forwarding") == "1"
    assert ns.ipv6.sysctl_get("conf.eth0.addr_gen_mode") == "1"


def test_a_duplicate_link_local_fails_dad_and_shows_it() -> None:
    # both ends say fe80::1 (allowed by the loader: link-locals are per link); DAD finds it
    eng = realize(a6=', "fe80::1/64"', b6=', "fe80::1/64"')
    st = eng.observe()
    flags = [f for n in ("a", "b") for c, _, f in v6_addrs(st.nodes[n], "eth0")
             if c == "fe80::1/64"]
    assert ("dadfailed", "tentative") in flags, flags
    assert not autoconf_pending(eng.namespaces.values())  # a failed address is settled


def test_the_dualstack_example_passes_in_the_emulator() -> None:
    lab = load_lab(EXAMPLES / "ipv6-dualstack.yaml")
    eng = SimEngine()
    eng.realize(lab)
    report = run_checks(eng, lab)
    bad = [(r.subject, r.got) for r in report.results if r.status != "pass"]
    assert not bad, bad
    assert report.counts["pass"] == len(lab.checks)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_examples_that_switch_ipv6_off_say_why(name: str) -> None:
    text = (EXAMPLES / f"{name}.yaml").read_text()
    if "\nipv6: off" in text:
        before = text.split("\nipv6: off")[0].rsplit("\n", 3)
        assert any(line.startswith("# ipv6 off:") for line in before), name
