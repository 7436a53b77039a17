"""addr6 helpers and the IPv6 sysctls (sim/stack/addr6.py, ipv6_conf.py, Ipv6Stack)."""

from __future__ import annotations

import errno

import pytest

from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.stack.addr6 import (
    ip6_int,
    ip6_str,
    ipv6_eth_mc_map,
    is_linklocal,
    mask6,
    solicited_node,
)
from vnetlab.sim.stack.netns import Namespace


def test_addresses_are_ints_printed_rfc5952() -> None:
    a = ip6_int("2001:0db8:0000:0000:0000:0000:0000:0001")
    assert ip6_str(a) == "2001:db8::1"
    assert ip6_str(mask6(64)) == "ffff:ffff:ffff:ffff::"
    assert mask6(0) == 0 and mask6(128) == (1 << 128) - 1
    assert is_linklocal(ip6_int("fe80::1")) and is_linklocal(ip6_int("febf::1"))
    assert not is_linklocal(ip6_int("fec0::1"))


def test_solicited_node_and_its_mac() -> None:
    a = ip6_int("fe80::ff:fe00:1")
    assert ip6_str(solicited_node(a)) == "ff02::1:ff00:1"
    assert ipv6_eth_mc_map(solicited_node(a)) == bytes.fromhex("3333ff000001")
    assert ipv6_eth_mc_map(ip6_int("ff02::1")) == bytes.fromhex("333300000001")


def _ns(ipv6: bool = True) -> Namespace:
    return Namespace("n", Scheduler(), ipv6=ipv6)


def test_kernel_defaults_as_measured() -> None:
    ns = _ns()
    v = Veth(ns, "v0", b"\x02" + b"\x00" * 5)
    get = ns.ipv6.sysctl_get
    assert get("conf.all.accept_dad") == "0" and get("conf.default.accept_dad") == "1"
    assert get("conf.v0.accept_dad") == "1" and get("conf.lo.accept_dad") == "-1"
    assert get("conf.all.mtu") == "1280" and get("conf.v0.mtu") == "1500"
    assert get("conf.lo.mtu") == "65536"
    assert get("conf.v0.router_solicitations") == "-1"
    assert get("conf.v0.router_solicitation_interval") == "4"
    assert get("conf.v0.mldv2_unsolicited_report_interval") == "1000"
    assert get("neigh.v0.retrans_time_ms") == "1000" and get("neigh.v0.locktime") == "0"
    assert get("neigh.v0.base_reachable_time") == "30"
    assert get("icmp.ratelimit") == "100" and get("icmp.ratemask") == "0-1,3-127"
    assert ns.ipv6.dev_conf(v).rtr_solicitation_delay == 1


def test_default_is_copied_at_register_only() -> None:
    ns = _ns()
    ns.ipv6.sysctl_set("conf.default.hop_limit", "5")
    Veth(ns, "v2", b"\x02" + b"\x00" * 5)
    assert ns.ipv6.sysctl_get("conf.v2.hop_limit") == "5"
    assert ns.ipv6.sysctl_get("conf.lo.hop_limit") == "64"
    ns.ipv6.sysctl_set("conf.all.hop_limit", "7")  # not a write-through key
    assert ns.ipv6.sysctl_get("conf.v2.hop_limit") == "5"


def test_all_forwarding_and_disable_write_through() -> None:
    ns = _ns()
    Veth(ns, "v0", b"\x02" + b"\x00" * 5)
    ns.ipv6.sysctl_set("conf.all.forwarding", "1")
    for k in ("v0", "lo", "default"):
        assert ns.ipv6.sysctl_get(f"conf.{k}.forwarding") == "1"
    ns.ipv6.sysctl_set("conf.all.disable_ipv6", "1")
    assert ns.ipv6.sysctl_get("conf.v0.disable_ipv6") == "1"
    assert ns.ipv6.sysctl_get("conf.default.disable_ipv6") == "1"
    ns.ipv6.sysctl_set("conf.all.disable_ipv6", "0")
    assert ns.ipv6.sysctl_get("conf.v0.disable_ipv6") == "0"


@pytest.mark.parametrize(("key", "value", "err"), [
    ("conf.v0.hop_limit", "300", errno.EINVAL),
    ("conf.v0.hop_limit", "0", errno.EINVAL),
    ("conf.v0.mtu", "1000", errno.EINVAL),
    ("conf.v0.mtu", "abc", errno.EINVAL),
    ("conf.v0.addr_gen_mode", "5", errno.EINVAL),
    ("conf.v0.nosuch", "1", errno.ENOENT),
    ("conf.nodev.forwarding", "1", errno.ENOENT),
    ("neigh.v0.nosuch", "1", errno.ENOENT),
])
def test_bad_writes_fail_as_the_kernel(key: str, value: str, err: int) -> None:
    ns = _ns()
    Veth(ns, "v0", b"\x02" + b"\x00" * 5)
    with pytest.raises(OSError) as e:
        ns.ipv6.sysctl_set(key, value)
    assert e.value.errno == err


def test_unset_stable_secret_reads_eio() -> None:
    ns = _ns()
    with pytest.raises(OSError) as e:
        ns.ipv6.sysctl_get("conf.all.stable_secret")
    assert e.value.errno == errno.EIO
    ns.ipv6.sysctl_set("conf.all.stable_secret", "2001:db8::abcd")
    assert ns.ipv6.sysctl_get("conf.all.stable_secret") == "2001:db8::abcd"


def test_bare_namespace_keeps_ipv6_off() -> None:
    ns = _ns(ipv6=False)
    v = Veth(ns, "v0", b"\x02" + b"\x00" * 5)
    assert ns.ipv6.sysctl_get("conf.all.disable_ipv6") == "1"
    assert ns.ipv6.sysctl_get("conf.default.disable_ipv6") == "1"
    assert ns.ipv6.disabled(v) and ns.ipv6.disabled(ns.lo)
