"""IPv6 in the lab format: ``ipv6: on|off``, IPv6 addresses, routes, ping checks and
``net.ipv6`` sysctls, and the resolver refusing IPv6 where a node has it off — each with
the kernel's own words where the kernel would refuse (checked with iproute2 in a netns)."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from vnetlab.model import LabError, load_lab_text
from vnetlab.model.schema import lab_json_schema
from vnetlab.model.spec import LabSpec, PingCheck, RouteSpec


def lab(text: str) -> LabSpec:
    return load_lab_text(textwrap.dedent(text).lstrip("\n"), "lab.yaml")


def errors_of(text: str) -> str:
    with pytest.raises(LabError) as info:
        lab(text)
    return str(info.value)


TWO = """
name: t
{top}
nodes:
  a:
{a}
    interfaces:
      eth0: {{addresses: [{a_addr}]}}
  b:
    interfaces:
      eth0: {{addresses: [{b_addr}]}}
links:
  - endpoints: [a:eth0, b:eth0]
checks:
{checks}
"""


def two(top: str = "", a: str = "", a_addr: str = "10.0.0.1/24",
        b_addr: str = "10.0.0.2/24", checks: str = "  []") -> str:
    return TWO.format(top=top, a=a, a_addr=a_addr, b_addr=b_addr, checks=checks)


# -- ipv6: on|off -------------------------------------------------------------------------

def test_ipv6_is_on_by_default_as_in_the_kernel() -> None:
    spec = lab(two())
    assert spec.ipv6 is True and spec.nodes["a"].ipv6 is None
    assert spec.node_ipv6("a") and spec.node_ipv6("b")


@pytest.mark.parametrize("word,on", [("off", False), ("on", True), ("false", False),
                                     ("true", True), ('"off"', False)])
def test_lab_level_switch_takes_on_off_and_booleans(word: str, on: bool) -> None:
    spec = lab(two(top=f"ipv6: {word}"))
    assert spec.ipv6 is on and spec.node_ipv6("a") is on and spec.node_ipv6("b") is on


def test_a_node_overrides_the_lab() -> None:
    spec = lab(two(top="ipv6: off", a="    ipv6: on"))
    assert spec.node_ipv6("a") is True and spec.node_ipv6("b") is False
    spec = lab(two(a="    ipv6: off"))
    assert spec.node_ipv6("a") is False and spec.node_ipv6("b") is True


def test_ipv6_switch_refuses_other_words() -> None:
    text = errors_of(two(top="ipv6: maybe"))
    assert "lab.yaml:2: ipv6" in text


# -- addresses ------------------------------------------------------------------------------

def test_interfaces_take_ipv6_cidrs_beside_ipv4() -> None:
    spec = lab(two(a_addr="10.0.0.1/24, 2001:db8::1/64", b_addr="2001:db8::2/64"))
    eth0 = spec.nodes["a"].interfaces["eth0"]
    assert [str(x) for x in eth0.addresses] == ["10.0.0.1/24", "2001:db8::1/64"]
    assert [str(x) for x in eth0.addresses4] == ["10.0.0.1/24"]
    assert [str(x) for x in eth0.addresses6] == ["2001:db8::1/64"]


@pytest.mark.parametrize("addr,words", [
    ("ff02::1/64", ["multicast", "Cannot assign requested address"]),
    ("'::/64'", ["unspecified", "Cannot assign requested address"]),
    ("'::1/128'", ["loopback", "Cannot assign requested address"]),
    ("2001:db8::1", ["no prefix length", "2001:db8::1/64"]),
    ("2001:db8::zz/64", ["is not an IPv6 address in CIDR form"]),
    ("2001:db8::1/129", ["is not an IPv6 address in CIDR form"]),
])
def test_bad_ipv6_addresses_are_refused_with_the_kernels_words(addr: str,
                                                               words: list[str]) -> None:
    text = errors_of(two(a_addr=addr))
    assert "nodes.a.interfaces.eth0.addresses[0]" in text
    for w in words:
        assert w in text, text


def test_ipv4_wording_is_kept_for_ipv4_typos() -> None:
    text = errors_of(two(a_addr="10.0.0.300/24"))
    assert "'10.0.0.300/24' is not an IPv4 address in CIDR form like 10.0.0.1/24" in text


def test_link_local_addresses_may_repeat_across_links_but_globals_may_not() -> None:
    lab(two(a_addr="fe80::1/64", b_addr="fe80::2/64"))
    text = """
    name: t
    nodes:
      a:
        interfaces:
          e1: {addresses: [fe80::1/64]}
          e2: {addresses: [fe80::1/64]}
      b: {interfaces: {e1: {}, e2: {}}}
    links:
      - endpoints: [a:e1, b:e1]
      - endpoints: [a:e2, b:e2]
    """
    lab(text)  # routers commonly say fe80::1 on every link
    err = errors_of(two(a_addr="2001:db8::1/64", b_addr="2001:db8::1/64"))
    assert "address 2001:db8::1 is on both a:eth0 and b:eth0" in err
    assert "dadfailed" in err


# -- ipv6 off refuses IPv6 use ------------------------------------------------------------

def test_an_ipv6_address_on_a_node_with_ipv6_off_is_refused_with_a_hint() -> None:
    text = errors_of(two(a="    ipv6: off", a_addr="2001:db8::1/64"))
    assert "lab.yaml:7: nodes.a.interfaces.eth0.addresses[0]" in text
    assert "Error: ipv6: IPv6 is disabled on this device." in text
    assert "its own 'ipv6: off'" in text
    text = errors_of(two(top="ipv6: off", b_addr="2001:db8::2/64"))
    assert "nodes.b.interfaces.eth0.addresses[0]" in text and "the lab's 'ipv6: off'" in text


def test_an_ipv6_route_on_a_node_with_ipv6_off_is_refused() -> None:
    text = errors_of(two(a="    ipv6: off\n    routes: [{dst: '2001:db8:1::/64', dev: eth0}]"))
    assert "nodes.a.routes[0]" in text
    assert "Error: IPv6 is disabled on nexthop device." in text


def test_a_ping_to_ipv6_from_a_node_with_ipv6_off_is_refused() -> None:
    text = errors_of(two(a="    ipv6: off", b_addr="2001:db8::2/64",
                         checks="  - ping: a -> 2001:db8::2"))
    assert "checks[0].ping" in text and "IPv6 off" in text
    assert "ipv6: on" in text  # the hint says how


def test_per_device_disable_ipv6_and_a_small_mtu_refuse_an_ipv6_address() -> None:
    text = errors_of(two(a="    sysctls: {net.ipv6.conf.eth0.disable_ipv6: 1}",
                         a_addr="2001:db8::1/64"))
    assert "net.ipv6.conf.eth0.disable_ipv6 is 1" in text
    text = errors_of(two(a_addr="2001:db8::1/64").replace(
        "eth0: {addresses: [2001:db8::1/64]}", "eth0: {addresses: [2001:db8::1/64], mtu: 1000}"))
    assert "below IPv6's minimum of 1280" in text
    assert "RTNETLINK answers: Invalid argument" in text


# -- routes -------------------------------------------------------------------------------

def test_default_with_an_ipv6_gateway_is_the_ipv6_default_route() -> None:
    r = RouteSpec(via=ipaddress.IPv6Address("2001:db8::1"))
    assert r.family == "inet6" and str(r.network) == "::/0"
    r4 = RouteSpec(via=ipaddress.IPv4Address("10.0.0.1"))
    assert r4.family == "inet" and str(r4.network) == "0.0.0.0/0"
    assert RouteSpec(dst="::/0", dev="eth0").family == "inet6"
    assert RouteSpec(dst="2001:db8:1::/48", dev="eth0").dst == "2001:db8:1::/48"


def test_ipv6_routes_load_and_are_checked_against_connected_prefixes() -> None:
    spec = lab(two(a="    routes: [{via: '2001:db8::2'}, {dst: '2001:db8:9::/64', "
                     "via: 'fe80::2', dev: eth0}]",
                   a_addr="2001:db8::1/64", b_addr="2001:db8::2/64"))
    assert [r.family for r in spec.nodes["a"].routes] == ["inet6", "inet6"]
    assert spec.nodes["a"].routes4 == [] and len(spec.nodes["a"].routes6) == 2


def test_an_off_link_ipv6_gateway_says_no_route_to_host() -> None:
    text = errors_of(two(a="    routes: [{dst: '2001:db8:1::/64', via: '2001:db8:5::1'}]",
                         a_addr="2001:db8::1/64", b_addr="2001:db8::2/64"))
    assert "nodes.a.routes[0].via" in text
    assert "RTNETLINK answers: No route to host" in text
    assert "fe80::/64 (eth0)" in text  # the connected prefixes, link-local included


def test_a_link_local_gateway_needs_its_device() -> None:
    text = errors_of(two(a="    routes: [{via: 'fe80::2'}]"))
    assert "gateway fe80::2 is link-local" in text and "add dev" in text


def test_a_link_local_gateway_on_a_node_with_ipv6_is_on_link() -> None:
    lab(two(a="    routes: [{via: 'fe80::2', dev: eth0}]"))


def test_route_families_must_agree() -> None:
    text = errors_of(two(a="    routes: [{dst: 10.9.0.0/16, via: '2001:db8::2'}]"))
    assert "different address families" in text


def test_duplicate_ipv6_routes_and_the_connected_one() -> None:
    text = errors_of(two(a="    routes: [{dst: '2001:db8:1::/64', dev: eth0}, "
                           "{dst: '2001:db8:1::/64', dev: eth0, metric: 1024}]"))
    assert "metric 1024 is already given" in text and "File exists" in text
    # the connected 2001:db8::/64 is metric 256: a user route there is 1024 and fine ...
    lab(two(a="    routes: [{dst: '2001:db8::/64', dev: eth0}]", a_addr="2001:db8::1/64"))
    # ... but metric 256 clashes, as ip -6 route add ... metric 256 says File exists
    text = errors_of(two(a="    routes: [{dst: '2001:db8::/64', dev: eth0, metric: 256}]",
                         a_addr="2001:db8::1/64"))
    assert "duplicates the connected route" in text and "File exists" in text


# -- ping checks ----------------------------------------------------------------------------

def test_ping_checks_take_ipv6_destinations() -> None:
    spec = lab(two(a_addr="2001:db8::1/64", b_addr="2001:db8::2/64",
                   checks="  - ping: a -> 2001:db8::2\n  - ping: a -> fe80::1%eth0\n"
                          "  - ping: a -> 10.0.0.2"))
    p6, ll, p4 = spec.checks
    assert isinstance(p6, PingCheck) and isinstance(ll, PingCheck) and isinstance(p4, PingCheck)
    assert p6.family == "inet6" and p6.dst == ipaddress.IPv6Address("2001:db8::2")
    assert p6.ifname is None and p6.dst4 is None
    assert ll.dst == ipaddress.IPv6Address("fe80::1") and ll.ifname == "eth0"
    assert p4.family == "inet" and p4.dst4 == ipaddress.IPv4Address("10.0.0.2")


@pytest.mark.parametrize("arrow,words", [
    ("a -> fe80::1", ["link-local", "fe80::1%eth0"]),
    ("a -> 2001:db8::2%eth0", ["%IFNAME belongs to a link-local"]),
    ("a -> 10.0.0.2%eth0", ["only an IPv6 link-local"]),
    ("a -> ff02::1", ["not a unicast address"]),
    ("a -> 2001:db8::zz", ["is not an IPv6 address"]),
])
def test_bad_ipv6_ping_destinations(arrow: str, words: list[str]) -> None:
    text = errors_of(two(checks=f"  - ping: {arrow}"))
    for w in words:
        assert w in text, text


def test_a_link_local_pings_interface_must_exist_on_the_source() -> None:
    text = errors_of(two(checks="  - ping: a -> fe80::1%eth9"))
    assert "checks[0].ping" in text and "eth9" in text and "eth0" in text


# -- sysctls --------------------------------------------------------------------------------

def test_net_ipv6_sysctls_are_accepted_with_the_kernels_ranges() -> None:
    spec = lab(two(a="    sysctls: {net.ipv6.conf.all.forwarding: 1, "
                     "net.ipv6.conf.eth0.addr_gen_mode: 3, "
                     "net.ipv6.conf.default.router_solicitations: -1, "
                     "net.ipv6.conf.eth0.dad_transmits: 3}"))
    assert spec.nodes["a"].sysctls["net.ipv6.conf.eth0.addr_gen_mode"] == 3
    text = errors_of(two(a="    sysctls: {net.ipv6.conf.all.addr_gen_mode: 4}"))
    assert "the kernel takes 0..3" in text and "Invalid argument" in text
    text = errors_of(two(a="    sysctls: {net.ipv4.ip_forward: 2}"))
    assert "the kernel takes 0 or 1" in text


def test_unknown_sysctls_and_devices() -> None:
    text = errors_of(two(a="    sysctls: {net.ipv6.conf.all.nonsense: 1}"))
    assert "is not one vnetlab models" in text and "addr_gen_mode" in text
    text = errors_of(two(a="    sysctls: {net.ipv6.conf.eth9.forwarding: 1}"))
    assert "node a has no interface 'eth9'" in text
    assert "/proc/sys/net/ipv6/conf/eth9/forwarding: No such file or directory" in text


def test_a_vlan_devices_sysctl_writes_its_dot_as_slash() -> None:
    spec = lab("""
    name: t
    nodes:
      a:
        sysctls: {net.ipv6.conf.eth0/10.forwarding: 1}
        interfaces:
          eth0: {}
          eth0.10: {type: vlan, link: eth0, id: 10}
      b: {interfaces: {eth0: {}}}
    links:
      - endpoints: [a:eth0, b:eth0]
    """)
    assert "net.ipv6.conf.eth0/10.forwarding" in spec.nodes["a"].sysctls


def test_turning_ipv6_on_by_sysctl_on_an_off_node_is_refused() -> None:
    text = errors_of(two(a="    ipv6: off\n    sysctls: {net.ipv6.conf.all.disable_ipv6: 0}"))
    assert "turns IPv6 on, but node a has IPv6 off" in text


# -- schema -----------------------------------------------------------------------------------

def test_the_schema_describes_ipv6() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = lab_json_schema()
    doc = {"name": "t", "ipv6": "off",
           "nodes": {"a": {"ipv6": True, "sysctls": {"net.ipv6.conf.all.forwarding": 1},
                           "interfaces": {"eth0": {"addresses": ["2001:db8::1/64"]}},
                           "routes": [{"via": "2001:db8::2"}]}},
           "checks": [{"ping": "a -> fe80::1%eth0"}]}
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "ipv6": "sometimes"}, schema)
