"""plan() without root: the ops, their order and the shell they print."""

from __future__ import annotations

import subprocess
from ipaddress import IPv4Address

import pytest

from tests.kernel.labs import t1, t1_raw
from vnetlab.engine import UnsupportedError
from vnetlab.kernel import plan as P
from vnetlab.kernel.engine import parse_ping
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS
from vnetlab.kernel.kinds.bridge import AddBridge
from vnetlab.kernel.kinds.veth import AddVeth
from vnetlab.kernel.ops.base import netns_name
from vnetlab.kernel.ops.ipv4 import AddAddr, AddRoute
from vnetlab.kernel.ops.ipv6 import SettleAddrconf
from vnetlab.kernel.ops.link import SetMaster, SetUp
from vnetlab.kernel.ops.netns import AddNetns
from vnetlab.model.kinds import DEVICE_KINDS
from vnetlab.model.spec import LabSpec

T1_SCRIPT = """\
ip netns add vnl-t1.host
ip -n vnl-t1.host link set lo up
ip netns add vnl-t1.a
ip -n vnl-t1.a link set lo up
ip netns add vnl-t1.b
ip -n vnl-t1.b link set lo up
ip -n vnl-t1.host link add br0 address 02:00:00:00:01:01 mtu 1500 group 30318 type bridge \
stp_state 0 ageing_time 30000
ip -n vnl-t1.host link set br0 alias vnetlab:t1:r1
ip -n vnl-t1.host link add veth0a address 02:00:00:00:01:0a mtu 1500 group 30318 type veth \
peer name eth0 netns vnl-t1.a address 02:00:00:00:00:0a mtu 1500 group 30318
ip -n vnl-t1.host link set veth0a alias vnetlab:t1:r1
ip -n vnl-t1.a link set eth0 alias vnetlab:t1:r1
ip -n vnl-t1.host link add veth0b address 02:00:00:00:01:0b mtu 1500 group 30318 type veth \
peer name eth0 netns vnl-t1.b address 02:00:00:00:00:0b mtu 1500 group 30318
ip -n vnl-t1.host link set veth0b alias vnetlab:t1:r1
ip -n vnl-t1.b link set eth0 alias vnetlab:t1:r1
ip -n vnl-t1.host link set veth0a master br0
ip -n vnl-t1.host link set veth0b master br0
ip -n vnl-t1.host addr add 192.168.1.1/24 dev br0
ip netns exec vnl-t1.host sysctl -qw net.ipv4.ip_forward=1
ip -n vnl-t1.host link set br0 up
ip -n vnl-t1.host link set veth0a up
ip -n vnl-t1.host link set veth0b up
ip -n vnl-t1.a addr add 192.168.1.2/24 dev eth0
ip -n vnl-t1.a link set eth0 up
ip -n vnl-t1.b addr add 192.168.1.3/24 dev eth0
ip -n vnl-t1.b link set eth0 up
ip -n vnl-t1.a route add default via 192.168.1.1
for i in $(seq 50); do [ -z "$(ip -n vnl-t1.host -6 addr show tentative -dadfailed)" ] && \
[ -z "$(ip -n vnl-t1.a -6 addr show tentative -dadfailed)" ] && \
[ -z "$(ip -n vnl-t1.b -6 addr show tentative -dadfailed)" ] && break; sleep 0.1; done  \
# DAD settles (<= 5 s)
"""


def test_t1_plan_prints_the_ip_commands() -> None:
    ops = P.plan(t1(), run_id="r1")
    assert "\n".join(op.shell() for op in ops) + "\n" == T1_SCRIPT.replace("\\\n", "")


def test_plan_script_is_a_shell_script() -> None:
    script = P.plan_script(t1())
    lines = script.splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "set -e" in lines
    assert "#   ip netns del vnl-t1.host" in lines
    r = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert r.returncode == 0, r.stderr


def test_order_links_after_namespaces_routes_last() -> None:
    ops = P.plan(t1())
    kinds = [type(op) for op in ops]
    last_ns = max(i for i, k in enumerate(kinds) if k is AddNetns)
    first_link = min(i for i, k in enumerate(kinds) if k in (AddVeth, AddBridge))
    assert last_ns < first_link
    # the routes are the last configuration; with IPv6 on (the default) the plan then waits
    # for DAD to settle
    assert kinds[-2] is AddRoute and kinds[-1] is SettleAddrconf
    ups = [op for op in ops if isinstance(op, SetUp) and op.ns.endswith(".host")]
    assert [op.ifname for op in ups] == ["lo", "br0", "veth0a", "veth0b"]
    # every port joins its bridge before anything is brought up
    assert max(i for i, k in enumerate(kinds) if k is SetMaster) < kinds.index(AddAddr)


def test_ifindexes_are_unique_per_namespace() -> None:
    ops = P.plan(t1())
    seen: dict[str, set[int]] = {}
    for op in ops:
        pairs = []
        if isinstance(op, AddBridge):
            pairs = [(op.ns, op.index)]
        elif isinstance(op, AddVeth):
            pairs = [(op.ns, op.index), (op.peer_ns, op.peer_index)]
        for ns, idx in pairs:
            assert idx >= 2 and idx not in seen.setdefault(ns, set())
            seen[ns].add(idx)


def test_namespace_names_cannot_clash_between_labs() -> None:
    # with a dash these two would both be vnl-a-b-c
    assert netns_name("vnl-", "a-b", "c") != netns_name("vnl-", "a", "b-c")


def test_options_become_ops() -> None:
    raw = t1_raw()
    host = raw["nodes"]["host"]["interfaces"]
    host["veth0b"]["bridge_port"] = {"hairpin": True, "learning": False}
    host["br0"]["fdb"] = [{"mac": "02:00:00:00:00:99", "dev": "veth0b"}]
    host["br0"]["ageing_time"] = 12.5
    host["br0"]["stp"] = True
    host["br0"]["mtu"] = 9000
    shell = [op.shell() for op in P.plan(LabSpec.model_validate(raw))]
    assert any("stp_state 1 ageing_time 1250" in s for s in shell)
    assert "bridge -n vnl-t1.host link set dev veth0b learning off flood on hairpin on" in shell
    assert "bridge -n vnl-t1.host fdb add 02:00:00:00:00:99 dev veth0b master static" in shell
    assert "ip -n vnl-t1.host link set br0 mtu 9000" in shell


def test_every_device_kind_has_a_realizer_or_a_reason() -> None:
    for kind in DEVICE_KINDS:
        assert kind in KINDS or kind in UNSUPPORTED_KINDS, kind
    assert set(KINDS) | set(UNSUPPORTED_KINDS) <= set(DEVICE_KINDS)


def test_unsupported_kind_is_refused_at_plan_time() -> None:
    with pytest.raises(UnsupportedError, match="host:br0 is a bridge: no bridge here"):
        P.plan(t1(), unsupported={"bridge": "no bridge here"})


PING_OK = """PING 192.168.1.3 (192.168.1.3) 56(84) bytes of data.
64 bytes from 192.168.1.3: icmp_seq=1 ttl=64 time=0.287 ms
64 bytes from 192.168.1.3: icmp_seq=2 ttl=64 time=0.052 ms

--- 192.168.1.3 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 201ms
rtt min/avg/max/mdev = 0.052/0.169/0.287/0.117 ms
"""
PING_NET_UNREACH = """PING 10.9.9.9 (10.9.9.9) 56(84) bytes of data.
From 192.168.1.1 icmp_seq=1 Destination Net Unreachable

--- 10.9.9.9 ping statistics ---
1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms
"""
PING_NO_ROUTE = "ping: connect: Network is unreachable\n"


def test_parse_ping() -> None:
    dst = IPv4Address("192.168.1.3")
    ok = parse_ping("a", dst, 2, PING_OK)
    assert (ok.transmitted, ok.received, ok.rtts_ns, ok.errors) == (2, 2, (287000, 52000), ())
    bad = parse_ping("a", IPv4Address("10.9.9.9"), 1, PING_NET_UNREACH)
    assert (bad.transmitted, bad.received) == (1, 0)
    assert bad.errors == ("From 192.168.1.1 icmp_seq=1 Destination Net Unreachable",)
    none = parse_ping("b", IPv4Address("10.9.9.9"), 1, PING_NO_ROUTE)
    assert (none.transmitted, none.received, none.reachable) == (0, 0, False)
    assert none.errors == ("ping: connect: Network is unreachable",)


def test_a_setup_script_is_refused_at_plan_time_not_ignored() -> None:
    from vnetlab.engine import UnsupportedError
    from vnetlab.model import load_lab_text

    lab = load_lab_text("name: s\nnodes:\n  a: {}\nsetup: |\n  ip link add br0 type bridge\n")
    with pytest.raises(UnsupportedError, match="setup"):
        P.plan(lab, prefix="vnl-")
