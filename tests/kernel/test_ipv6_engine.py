"""The linux engine with IPv6 on: plan, addresses, DAD settle, ping -6, observe.

Plan tests need no root. The kernel tests build labs with names unique per run (the
engine removes every namespace in teardown, run by the fixture also on failure) and hold
``observe()`` to the real tools on the same namespaces: ``ip -j addr``, ``ip -j -6
route``, ``ip -j -6 neigh`` and ``bridge -j fdb show`` are the oracle.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv6Address
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from vnetlab.kernel.dump import dump_namespaces
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ipv6 import ifa_flag_words, tentative
from vnetlab.kernel.observe import RawNs, build_state
from vnetlab.kernel.ops.base import IPV6_OFF
from vnetlab.kernel.ops.ipv6 import AddAddr6, AddRoute6, SettleAddrconf
from vnetlab.kernel.ops.netns import SetSysctl
from vnetlab.kernel.plan import plan
from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import AddrState, FdbState, NeighState, NodeState

BRIDGE_LAB = """
name: {name}
ipv6: {ipv6}
nodes:
  host:
    interfaces:
      br0: {{type: bridge, mac: "02:00:00:00:01:01",
             addresses: [192.168.1.1/24{v6host}]}}
      p1: {{master: br0, mac: "02:00:00:00:01:0a"}}
      p2: {{master: br0, mac: "02:00:00:00:01:0b"}}
    sysctls: {{net.ipv4.ip_forward: 1{fwd}}}
  a:
    interfaces:
      eth0: {{mac: "02:00:00:00:00:0a", addresses: [192.168.1.2/24{v6a}]}}
    {route_a}
  b:
    interfaces:
      eth0: {{mac: "02:00:00:00:00:0b", addresses: [192.168.1.3/24{v6b}]}}
links:
  - endpoints: [host:p1, a:eth0]
  - endpoints: [host:p2, b:eth0]
"""


def bridge_lab(name: str, *, ipv6: str = "on", v6: bool = True,
               forwarding: bool = False) -> LabSpec:
    return load_lab_text(BRIDGE_LAB.format(
        name=name, ipv6=ipv6,
        v6host=", 2001:db8::1/64" if v6 else "",
        v6a=", 2001:db8::2/64" if v6 else "",
        v6b=", 2001:db8::3/64" if v6 else "",
        fwd=", net.ipv6.conf.all.forwarding: 1" if forwarding else "",
        route_a=("routes: [{dst: '2001:db8:ff::/64', via: '2001:db8::1'}]" if v6 else "")))


def unique(stem: str) -> str:
    return f"{stem}{secrets.token_hex(2)}"


# -- plan (no root) ----------------------------------------------------------------------

def test_ipv6_off_switches_it_off_before_any_link_and_on_leaves_it_alone() -> None:
    off = plan(bridge_lab("p6off", ipv6="off", v6=False))
    on = plan(bridge_lab("p6on"))
    offs = [op for op in off if isinstance(op, SetSysctl) and op.key in IPV6_OFF]
    assert len(offs) == 2 * 3  # all + default, in each of the three namespaces
    first_link = next(i for i, op in enumerate(off) if "link add" in op.shell())
    assert all(off.index(op) < first_link for op in offs)
    assert not any(isinstance(op, SettleAddrconf) for op in off)
    assert not any(isinstance(op, SetSysctl) and op.key in IPV6_OFF for op in on)
    assert isinstance(on[-1], SettleAddrconf) and len(on[-1].namespaces) == 3


def test_node_overrides_lab_and_early_ipv6_sysctls() -> None:
    lab = load_lab_text("""
name: p6mix
ipv6: off
nodes:
  a:
    ipv6: on
    interfaces: {eth0: {addresses: ["2001:db8::1/64"]}}
    sysctls: {net.ipv6.conf.default.addr_gen_mode: 1, net.ipv6.conf.eth0.dad_transmits: 0}
  b:
    interfaces: {eth0: {}}
links: [{endpoints: [a:eth0, b:eth0]}]
""")
    ops = plan(lab)
    text = [op.shell() for op in ops]
    assert not any(f"vnl-p6mix.a sysctl -qw {k}=1" in t for t in text for k in IPV6_OFF)
    assert all(any(f"vnl-p6mix.b sysctl -qw {k}=1" in t for t in text) for k in IPV6_OFF)
    first_link = next(i for i, t in enumerate(text) if "link add" in t)
    early = text.index("ip netns exec vnl-p6mix.a sysctl -qw "
                       "net.ipv6.conf.default.addr_gen_mode=1")
    late = text.index("ip netns exec vnl-p6mix.a sysctl -qw "
                      "net.ipv6.conf.eth0.dad_transmits=0")
    assert early < first_link < late  # default is copied into a link as it registers
    assert "ip -n vnl-p6mix.a addr add 2001:db8::1/64 dev eth0" in text
    assert any(isinstance(op, AddAddr6) for op in ops)
    settle = ops[-1]
    assert isinstance(settle, SettleAddrconf) and settle.namespaces == ("vnl-p6mix.a",)


def test_ipv6_routes_plan_as_ip_dash_6() -> None:
    lab = load_lab_text("""
name: p6rt
nodes:
  a:
    interfaces: {eth0: {addresses: ["2001:db8::2/64", 10.0.0.2/24]}}
    routes:
      - {dst: default, via: "2001:db8::1"}
      - {dst: "2001:db8:1::/48", via: "fe80::1", dev: eth0, metric: 5}
      - {dst: default, via: 10.0.0.1}
  b:
    interfaces: {eth0: {addresses: ["2001:db8::1/64"]}}
links: [{endpoints: [a:eth0, b:eth0]}]
""")
    ops = plan(lab)
    six = [op.shell() for op in ops if isinstance(op, AddRoute6)]
    assert six == ["ip -n vnl-p6rt.a -6 route add default via 2001:db8::1",
                   "ip -n vnl-p6rt.a -6 route add 2001:db8:1::/48 via fe80::1 dev eth0 "
                   "metric 5"]
    assert "ip -n vnl-p6rt.a route add default via 10.0.0.1" in [op.shell() for op in ops]


@pytest.mark.parametrize("flags,family,words", [
    (0x80, 10, ()),  # a settled manual or link-local address: IFA_F_PERMANENT, no word
    (0xC0, 10, ("tentative",)),
    (0xC8, 10, ("dadfailed", "tentative")),  # ip -j prints them in this order
    (0x00, 10, ("dynamic",)),  # finite lifetimes (SLAAC): PERMANENT printed inverted
    (0x281, 10, ("temporary", "noprefixroute")),  # secondary is "temporary" on inet6
    (0x81, 2, ("secondary",)),
    (0x82, 10, ("nodad",)),
])
def test_flag_words_are_print_ifa_flags(flags: int, family: int,
                                        words: tuple[str, ...]) -> None:
    assert ifa_flag_words(flags, family) == words


def test_observe_decodes_v6_addrs_routes_neighbours_and_self_fdb() -> None:
    def msg(cls: type, fields: dict[str, Any], attrs: list[tuple[str, Any]]) -> Any:
        m = cls()
        for k, v in fields.items():
            m[k] = v
        m["attrs"] = attrs
        return m

    links = [msg(ifinfmsg, {"index": 1, "flags": 0x10009}, [("IFLA_IFNAME", "lo")]),
             msg(ifinfmsg, {"index": 2, "flags": 0x11003},
                 [("IFLA_IFNAME", "eth0"), ("IFLA_MASTER", 3)]),
             msg(ifinfmsg, {"index": 3, "flags": 0x11003}, [("IFLA_IFNAME", "br0")])]
    addrs = [msg(ifaddrmsg, {"family": 10, "prefixlen": 64, "index": 2, "scope": 253,
                             "flags": 0xC0},
                 [("IFA_ADDRESS", "fe80::1"), ("IFA_FLAGS", 0xC0)]),
             msg(ifaddrmsg, {"family": 2, "prefixlen": 8, "index": 1, "scope": 254,
                             "flags": 0x80},
                 [("IFA_LOCAL", "127.0.0.1"), ("IFA_ADDRESS", "127.0.0.1")])]
    routes = [msg(rtmsg, {"family": 10, "dst_len": 64, "table": 254, "proto": 2,
                          "scope": 0, "type": 1, "flags": 0},
                  [("RTA_DST", "fe80::"), ("RTA_OIF", 2), ("RTA_PRIORITY", 256),
                   ("RTA_PREF", 0), ("RTA_TABLE", 254)]),
              msg(rtmsg, {"family": 10, "dst_len": 0, "table": 254, "proto": 3,
                          "scope": 0, "type": 1, "flags": 0},
                  [("RTA_GATEWAY", "fe80::2"), ("RTA_OIF", 2), ("RTA_PRIORITY", 1024),
                   ("RTA_PREF", 0), ("RTA_TABLE", 254)])]
    neighs = [msg(ndmsg, {"family": 10, "ifindex": 2, "state": 0x02, "flags": 0x80},
                  [("NDA_DST", "fe80::2"), ("NDA_LLADDR", "02:00:00:00:00:02")]),
              msg(ndmsg, {"family": 10, "ifindex": 2, "state": 0x40, "flags": 0},
                  [("NDA_DST", "ff02::1"), ("NDA_LLADDR", "33:33:00:00:00:01")])]
    fdb = [msg(ndmsg, {"family": 7, "ifindex": 2, "state": 0x80, "flags": 0x02},
               [("NDA_LLADDR", "33:33:00:00:00:01")]),
           msg(ndmsg, {"family": 7, "ifindex": 3, "state": 0x80, "flags": 0x02},
               [("NDA_LLADDR", "01:00:5e:00:00:6a")])]
    raw = RawNs("n", links, addrs, routes, neighs, fdb, {})
    n = build_state("lab", {"n": raw}, None).nodes["n"]
    assert set(n.addrs) == {AddrState("eth0", "fe80::1/64", "inet6", "link", ("tentative",)),
                            AddrState("lo", "127.0.0.1/8", "inet", "host", ())}
    assert {(r.dst, r.dev, r.via, r.proto, r.metric, r.family, r.pref) for r in n.routes} \
        == {("fe80::/64", "eth0", None, "kernel", 256, "inet6", "medium"),
            ("default", "eth0", "fe80::2", "boot", 1024, "inet6", "medium")}
    assert n.neighs == (NeighState("fe80::2", "eth0", "02:00:00:00:00:02", "REACHABLE",
                                   router=True),)  # NOARP multicast entry hidden
    assert set(n.fdb) == {
        FdbState("br0", "eth0", "33:33:00:00:00:01", None, ("self", "permanent")),
        FdbState("", "br0", "01:00:5e:00:00:6a", None, ("self", "permanent"))}


def test_settle_waits_for_dad_and_for_linkwatch_not_for_links_without_carrier() -> None:
    def link(index: int, flags: int, oper: str) -> Any:
        m = ifinfmsg()
        m["index"], m["flags"], m["attrs"] = index, flags, [("IFLA_OPERSTATE", oper)]
        return m

    def addr(index: int, a: str, flags: int) -> Any:
        m = ifaddrmsg()
        m["family"], m["index"], m["flags"] = 10, index, flags & 0xFF
        m["attrs"] = [("IFA_ADDRESS", a), ("IFA_FLAGS", flags)]
        return m

    links = [link(2, 0x11003, "UP"), link(3, 0x1003, "DOWN"),  # 3: up, no carrier
             link(4, 0x11003, "DOWN"), link(5, 0x11003, "UP")]  # 4: linkwatch pending
    addrs = [addr(2, "fe80::2", 0xC0), addr(3, "fe80::3", 0xC0),
             addr(5, "fe80::5", 0xC8), addr(5, "2001:db8::5", 0x80)]  # 5: dadfailed
    assert tentative(links, addrs) == [(4, "linkwatch"), (2, "fe80::2")]


# -- on the kernel -----------------------------------------------------------------------

@pytest.fixture
def engines() -> Iterator[list[LinuxEngine]]:
    made: list[LinuxEngine] = []
    yield made
    for e in made:
        e.teardown()


def up(engines: list[LinuxEngine], lab: LabSpec) -> LinuxEngine:
    e = LinuxEngine()
    engines.append(e)
    e.realize(lab)
    return e


def tool(e: LinuxEngine, node: str, argv: list[str]) -> Any:
    done = subprocess.run(["ip", "netns", "exec", e.namespace(node), *argv],
                          capture_output=True, text=True, timeout=10, check=True)
    return json.loads(done.stdout or "[]")


def tool_addrs(e: LinuxEngine, node: str) -> set[tuple[Any, ...]]:
    """``ip -j addr``: (ifname, cidr, family, scope, flag words) — flag words are the keys
    print_ifa_flags adds to an addr_info entry (every key not in the fixed set)."""
    fixed = {"family", "local", "address", "prefixlen", "scope", "label", "broadcast",
             "valid_life_time", "preferred_life_time", "metric"}
    out = set()
    for link in tool(e, node, ["ip", "-j", "addr", "show"]):
        for a in link["addr_info"]:
            flags = tuple(sorted(k for k in a if k not in fixed)) \
                if a["family"] == "inet6" else ()
            out.add((link["ifname"], f"{a['local']}/{a['prefixlen']}", a["family"],
                     a["scope"], flags))
    return out


def seen_addrs(n: NodeState) -> set[tuple[Any, ...]]:
    return {(a.ifname, a.cidr, a.family, a.scope, a.flags) for a in n.addrs}


def tool_fdb_self(e: LinuxEngine, node: str) -> set[tuple[str, str]]:
    """``bridge -j fdb show``: (dev, mac) of the device address-list entries."""
    return {(f["ifname"], f["mac"]) for f in tool(e, node, ["bridge", "-j", "fdb", "show"])
            if "self" in f["flags"] and "dst" not in f and f["state"] == "permanent"}


def seen_fdb_self(n: NodeState) -> set[tuple[str, str]]:
    return {(f.port, f.mac) for f in n.fdb if f.flags == ("self", "permanent") and not f.dst}


@pytest.mark.kernel
def test_bridge_lab_settles_pings_and_observes_as_ip_shows(
        engines: list[LinuxEngine]) -> None:
    e = up(engines, bridge_lab(unique("k6b")))
    st = e.observe()
    a, host = st.nodes["a"], st.nodes["host"]
    # settled: nothing tentative where DAD can finish; link-local = EUI-64 of the MAC
    assert not [x for n in st.nodes.values() for x in n.addrs if "tentative" in x.flags]
    assert ("eth0", "fe80::ff:fe00:a/64", "inet6", "link", ()) in seen_addrs(a)
    assert ("eth0", "2001:db8::2/64", "inet6", "global", ()) in seen_addrs(a)
    assert ("lo", "::1/128", "inet6", "host", ()) in seen_addrs(a)
    for node in st.nodes:
        assert seen_addrs(st.nodes[node]) == tool_addrs(e, node), node
    # the autoconfiguration traffic taught br0 both MACs before any ping
    learned = {(f.port, f.mac) for f in host.fdb if f.bridge == "br0" and not f.flags}
    assert {("p1", "02:00:00:00:00:0a"), ("p2", "02:00:00:00:00:0b")} <= learned
    # the per-device "self" entries, exactly as bridge fdb show lists them
    for node in st.nodes:
        assert seen_fdb_self(st.nodes[node]) == tool_fdb_self(e, node), node
    assert {("eth0", "33:33:00:00:00:01"), ("eth0", "01:00:5e:00:00:01"),
            ("eth0", "33:33:ff:00:00:0a")} <= seen_fdb_self(a)
    assert {("br0", "01:00:5e:00:00:6a"), ("br0", "33:33:00:00:00:6a")} \
        <= seen_fdb_self(host)
    ports = {f.port: f.bridge for f in host.fdb if f.flags == ("self", "permanent")}
    assert ports["p1"] == "br0" and ports["br0"] == ""  # a port's entries name its master
    # routes: kernel prefix routes metric 256, the lab's user route 1024, pref medium
    r6 = {(r.dst, r.dev, r.via, r.proto, r.metric, r.pref) for r in a.routes
          if r.family == "inet6"}
    assert r6 == {("fe80::/64", "eth0", None, "kernel", 256, "medium"),
                  ("2001:db8::/64", "eth0", None, "kernel", 256, "medium"),
                  ("2001:db8:ff::/64", "eth0", "2001:db8::1", "boot", 1024, "medium")}
    shown = {(r["dst"], r["dev"], r.get("gateway"), r.get("protocol", "boot"),
              r["metric"], r["pref"]) for r in tool(e, "a", ["ip", "-j", "-6", "route"])}
    assert r6 == shown
    # ping -6 to a global address and to a link-local one with its %scope
    assert e.ping("a", IPv6Address("2001:db8::3"), count=2).received == 2
    ll = e.ping("a", IPv6Address("fe80::ff:fe00:b"), ifname="eth0")
    assert ll.received == 1 and ll.ttls == (64,), ll
    gone = e.ping("a", IPv6Address("2001:db8::99"), timeout_s=1)
    assert (gone.transmitted, gone.received) == (1, 0), gone  # NS unanswered
    n6 = {(n.dst, n.lladdr, n.router) for n in e.observe().nodes["a"].neighs
          if ":" in n.dst and n.lladdr}
    assert ("2001:db8::3", "02:00:00:00:00:0b", False) in n6
    assert ("fe80::ff:fe00:b", "02:00:00:00:00:0b", False) in n6


@pytest.mark.kernel
def test_router_flag_and_duplicate_address(engines: list[LinuxEngine]) -> None:
    e = up(engines, bridge_lab(unique("k6r"), forwarding=True))
    assert e.ping("b", IPv6Address("2001:db8::1")).received == 1
    neigh = {n.dst: n for n in e.observe().nodes["b"].neighs}
    assert neigh["2001:db8::1"].router is True  # host forwards: its NA carries R
    shown = {n["dst"]: "router" in n for n in tool(e, "b", ["ip", "-j", "-6", "neigh"])}
    assert shown["2001:db8::1"] is True
    # a's address added again on b (the model refuses duplicates; a user's ip does not):
    # b's DAD sees a's NA and marks it dadfailed, still tentative
    added = e.exec("b", ["ip", "addr", "add", "2001:db8::2/64", "dev", "eth0"])
    assert added == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
            "dadfailed" in a for link in tool(e, "b", ["ip", "-j", "-6", "addr"])
            for a in link["addr_info"]):
        time.sleep(0.1)
    st = e.observe()
    assert ("eth0", "2001:db8::2/64", "inet6", "global", ("dadfailed", "tentative")) \
        in seen_addrs(st.nodes["b"])
    assert ("eth0", "2001:db8::2/64", "inet6", "global", ()) in seen_addrs(st.nodes["a"])
    for node in st.nodes:
        assert seen_addrs(st.nodes[node]) == tool_addrs(e, node), node


@pytest.mark.kernel
def test_ipv6_off_is_quiet(engines: list[LinuxEngine]) -> None:
    e = up(engines, bridge_lab(unique("k6o"), ipv6="off", v6=False))
    st = e.observe()
    assert not [a for n in st.nodes.values() for a in n.addrs if a.family == "inet6"]
    assert not [r for n in st.nodes.values() for r in n.routes if r.family == "inet6"]
    # no address, so no solicited-node group; but ipv6_add_dev joins ff02::1 even with
    # disable_ipv6 set before the device registered (measured), IPv4 joins 224.0.0.1
    # (ip_mc_up) and a bridge's snooper its router-discovery groups
    for node in st.nodes:
        macs = {m for _d, m in seen_fdb_self(st.nodes[node])}
        assert macs <= {"01:00:5e:00:00:01", "33:33:00:00:00:01", "01:00:5e:00:00:6a",
                        "33:33:00:00:00:6a"}, node
        assert seen_fdb_self(st.nodes[node]) == tool_fdb_self(e, node), node
    assert ("br0", "33:33:00:00:00:6a") in seen_fdb_self(st.nodes["host"])


@pytest.mark.kernel
def test_snapshot_dump_reads_v6_as_ip_prints_it(engines: list[LinuxEngine]) -> None:
    e = up(engines, bridge_lab(unique("k6d"), forwarding=True))
    assert e.ping("b", IPv6Address("2001:db8::1")).received == 1
    ns = e.namespace("b")
    d = dump_namespaces([ns])[ns]
    keys = ("family", "local", "prefixlen", "scope", "tentative", "dadfailed", "dynamic",
            "nodad", "noprefixroute")

    def pick(links: Any) -> set[tuple[Any, ...]]:
        return {(ln["ifname"], *(a.get(k) for k in keys))
                for ln in links for a in ln["addr_info"]}

    assert pick(d["addrs"]) == pick(tool(e, "b", ["ip", "-j", "addr", "show"]))
    v6routes = {(r["dst"], r.get("dev"), r.get("metric"), r.get("pref"))
                for r in d["routes"] if ":" in r["dst"] or r.get("pref")}
    shown = {(r["dst"], r.get("dev"), r.get("metric"), r.get("pref"))
             for r in tool(e, "b", ["ip", "-j", "-6", "route", "show", "table", "all"])}
    assert v6routes == shown
    neigh = {n["dst"]: n for n in d["neighs"]}
    real = {n["dst"]: n for n in tool(e, "b", ["ip", "-j", "-6", "neigh"])}
    assert ("router" in neigh["2001:db8::1"]) == ("router" in real["2001:db8::1"]) is True
