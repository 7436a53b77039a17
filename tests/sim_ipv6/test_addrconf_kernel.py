"""The device lists behind ``bridge fdb show``'s "self permanent" entries, which devices
get which link-local, and stable-privacy addresses: the kernel in a namespace is the
oracle, the emulator must list the same, in the same order."""

from __future__ import annotations

import json
import os
import time

import pytest
from kcapture import namespaces, sh

from vnetlab.sim.clock import S, Scheduler
from vnetlab.sim.devices.bridge.device import BridgeDevice
from vnetlab.sim.devices.macvlan import MacvlanDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import NetDevice, fdb_self_entries
from vnetlab.sim.stack.addr6 import ip6_str
from vnetlab.sim.stack.netns import Namespace

pytestmark = pytest.mark.kernel

MACS = {"va": "02:00:00:00:00:0a", "vb": "02:00:00:00:00:0b", "br0": "02:00:00:00:00:10",
        "pa": "02:00:00:00:00:11", "pb": "02:00:00:00:00:12", "mv0": "02:00:00:00:00:0c",
        "vx0": "02:00:00:00:00:1a"}
UP_ORDER = ("va", "vb", "br0", "pa", "pb", "mv0", "vx0")
Lists = dict[str, list[str]]


def _kernel(ipv6: bool) -> tuple[Lists, Lists]:
    """Self entries per device (``bridge -j fdb show``) and inet6 addresses per device."""
    with namespaces(1) as (n,):
        def ip(*a: str) -> str:
            return sh("ip", "-n", n, *a)

        if not ipv6:
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        ip("link", "set", "lo", "up")  # the emulator's namespaces start with lo up
        ip("link", "add", "va", "address", MACS["va"], "type", "veth", "peer", "name", "vb",
           "address", MACS["vb"])
        ip("link", "add", "br0", "address", MACS["br0"], "type", "bridge")
        ip("link", "add", "pa", "address", MACS["pa"], "type", "veth", "peer", "name", "pb",
           "address", MACS["pb"])
        ip("link", "set", "pa", "master", "br0")
        ip("link", "add", "mv0", "link", "va", "address", MACS["mv0"], "type", "macvlan",
           "mode", "bridge")
        ip("link", "add", "vx0", "address", MACS["vx0"], "type", "vxlan", "id", "42",
           "dstport", "4789", "local", "10.0.0.1")
        for d in UP_ORDER:
            ip("link", "set", d, "up")
        deadline = time.monotonic() + 5  # bounded settle: until nothing is tentative
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if "tentative" not in ip("-6", "addr"):
                break
        fdb: Lists = {}
        for e in json.loads(sh("ip", "netns", "exec", n, "bridge", "-j", "fdb", "show")):
            if "self" in e.get("flags", []):
                assert e.get("state") == "permanent", e
                fdb.setdefault(e["ifname"], []).append(e["mac"])
        addrs: Lists = {}
        for i in json.loads(ip("-j", "-6", "addr")):
            addrs[i["ifname"]] = [f"{a['local']}/{a['prefixlen']}" for a in i["addr_info"]]
    return fdb, addrs


def _emulator(ipv6: bool) -> tuple[Lists, Lists]:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=ipv6)

    def mac(d: str) -> bytes:
        return bytes.fromhex(MACS[d].replace(":", ""))

    va, vb = Veth(ns, "va", mac("va")), Veth(ns, "vb", mac("vb"))
    Veth.pair(va, vb)
    br = BridgeDevice(ns, "br0", mac("br0"))
    pa, pb = Veth(ns, "pa", mac("pa")), Veth(ns, "pb", mac("pb"))
    Veth.pair(pa, pb)
    br.add_port(pa)
    mv = MacvlanDevice(ns, "mv0", mac("mv0"), 1500, va, "bridge")
    vx = VxlanDevice(ns, "vx0", mac("vx0"), 1450, vni=42, dstport=4789, remote=None,
                     local=0x0A000001, lower=None, ttl=None, df="unset")
    devs: dict[str, NetDevice] = {"va": va, "vb": vb, "br0": br, "pa": pa, "pb": pb, "mv0": mv,
                                  "vx0": vx}
    for d in UP_ORDER:
        devs[d].set_admin(True)
    sched.run(until=5 * S)
    fdb: Lists = {}
    for name, dev in devs.items():
        macs = [m.hex(":") for m in fdb_self_entries(dev)]
        if macs:
            fdb[name] = macs
    addrs: Lists = {"lo": [str(a) for a in ns.ipv6.dev_addrs(ns.lo)]} if ipv6 else {}
    for name, dev in devs.items():
        got = [str(a) for a in ns.ipv6.dev_addrs(dev)]
        if got or ipv6:
            addrs[name] = got
    return fdb, addrs


@pytest.mark.parametrize("ipv6", [True, False], ids=["ipv6-on", "ipv6-off"])
def test_self_fdb_entries_and_link_locals_match_the_kernel(ipv6: bool) -> None:
    kfdb, kaddrs = _kernel(ipv6)
    efdb, eaddrs = _emulator(ipv6)
    assert efdb == kfdb
    assert "vx0" not in kfdb  # a vxlan device dumps its own FDB, not its multicast list
    # the kernel lists an interface even without IPv6 addresses; compare non-empty ones
    assert {k: v for k, v in eaddrs.items() if v} == {k: v for k, v in kaddrs.items() if v}


def _final(addrs: dict[str, list[tuple[str, tuple[str, ...]]]]) -> list[object]:
    return sorted(addrs.values())


def test_stable_privacy_and_its_dad_retry_match_the_kernel() -> None:
    """Two veths of one pair with the same secret make the same stable-privacy address
    (perm_addr is zero for both): DAD fails on one side (whichever probes second: random),
    which keeps it "dadfailed tentative" and makes a new one with dad_count 1, listed
    first. A fresh random secret each run."""
    secret = ip6_str(int.from_bytes(os.urandom(16), "big"))
    with namespaces(1) as (n,):
        sh("ip", "netns", "exec", n, "sysctl", "-qw",
           f"net.ipv6.conf.default.stable_secret={secret}")
        sh("ip", "-n", n, "link", "add", "sa", "type", "veth", "peer", "name", "sb")
        sh("ip", "-n", n, "link", "set", "sa", "up")
        sh("ip", "-n", n, "link", "set", "sb", "up")
        kaddrs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            time.sleep(0.5)
            kaddrs = {}
            for i in json.loads(sh("ip", "-n", n, "-j", "-6", "addr")):
                kaddrs[i["ifname"]] = [
                    (a["local"], tuple(sorted(k for k, v in a.items() if v is True)))
                    for a in i["addr_info"]]
            if sum(len(v) for v in kaddrs.values()) == 3 and not any(
                    fl == ("tentative",) or fl == ("stable-privacy", "tentative")
                    for v in kaddrs.values() for _, fl in v):
                break
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    ns.ipv6.conf_default.stable_secret = secret
    a, b = Veth(ns, "sa", os.urandom(6)), Veth(ns, "sb", os.urandom(6))
    Veth.pair(a, b)
    a.set_admin(True)
    b.set_admin(True)
    sched.run(until=8 * S)
    eaddrs = {d.name: [(ip6_str(x.addr), tuple(sorted(x.flags - {"permanent"})))
                       for x in ns.ipv6.dev_addrs(d)] for d in (a, b)}
    assert _final(eaddrs) == _final(kaddrs)
    assert ["dadfailed", "stable-privacy", "tentative"] in [
        list(fl) for v in eaddrs.values() for _, fl in v]
