"""The netdev notifier chain: who hears what, in which order, and what uppers do with it."""

from __future__ import annotations

import errno

import pytest

from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.bridge.port import BR_STATE_DISABLED, BR_STATE_FORWARDING
from vnetlab.sim.devices.macvlan import MacvlanDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.devices.vlan import VlanDevice
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.notifier import NetdevEvent, NetdevNotifier, NetdevNotifierInfo
from vnetlab.sim.stack.netns import Namespace

Heard = list[tuple[str, NetdevEvent, str]]


def _mac(n: int) -> bytes:
    return bytes([2, 0, 0, 0, 0, n])


def _pair(ns: Namespace, a: str, b: str, peer_ns: Namespace | None = None) -> tuple[Veth, Veth]:
    x = Veth(ns, a, _mac(len(ns.devices) + 10))
    y = Veth(peer_ns or ns, b, _mac(len(ns.devices) + 40))
    Veth.pair(x, y)
    return x, y


def _listener(heard: Heard, who: str) -> NetdevNotifier:
    def nb(event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        heard.append((who, event, info.dev.name))

    return nb


def test_namespace_chain_first_then_the_device_chain_in_registration_order() -> None:
    ns = Namespace("n", Scheduler())
    a, _ = _pair(ns, "a", "b")
    heard: Heard = []
    a.netdev_chain.register(_listener(heard, "dev1"))
    ns.netdev_chain.register(_listener(heard, "ns"))
    a.netdev_chain.register(_listener(heard, "dev2"))
    a.set_admin(True)
    assert heard == [("ns", NetdevEvent.UP, "a"), ("dev1", NetdevEvent.UP, "a"),
                     ("dev2", NetdevEvent.UP, "a")]
    heard.clear()
    a.set_admin(True)  # no change: nothing announced
    a.set_carrier(a.carrier)
    assert heard == []


def test_a_subscriber_may_unregister_itself_while_called() -> None:
    ns = Namespace("n", Scheduler())
    a, _ = _pair(ns, "a", "b")
    heard: Heard = []

    def once(event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        heard.append(("once", event, info.dev.name))
        a.netdev_chain.unregister(once)

    a.netdev_chain.register(once)
    a.netdev_chain.register(once)  # twice: still one subscription
    a.netdev_chain.register(_listener(heard, "after"))
    a.set_admin(True)
    a.set_admin(False)
    assert heard == [("once", NetdevEvent.UP, "a"), ("after", NetdevEvent.UP, "a"),
                     ("after", NetdevEvent.DOWN, "a")]


def test_bridge_hears_its_ports_and_lets_go_on_unregister() -> None:
    ns = Namespace("n", Scheduler())
    br = BridgeDevice(ns, "br0", _mac(1))
    p, q = _pair(ns, "p", "q")
    heard: Heard = []
    ns.netdev_chain.register(_listener(heard, "ns"))
    port = br.add_port(p)
    assert heard == [("ns", NetdevEvent.CHANGEUPPER, "p")]
    br.set_admin(True)
    p.set_admin(True)
    q.set_admin(True)
    assert port.state == BR_STATE_FORWARDING and br.carrier
    q.set_admin(False)  # p loses carrier: NETDEV_CHANGE -> br_port_carrier_check
    assert port.state == BR_STATE_DISABLED and not br.carrier
    q.set_admin(True)
    assert port.state == BR_STATE_FORWARDING
    heard.clear()
    ns.unregister(p)
    assert br.port_list == [] and p.master is None and p.br_port is None
    assert len(p.netdev_chain) == 0  # the bridge no longer listens to it
    assert ("ns", NetdevEvent.UNREGISTER, "p") in heard
    assert ("ns", NetdevEvent.CHANGEUPPER, "p") in heard


def test_deleting_a_bridge_releases_its_ports_but_a_bridge_cannot_move() -> None:
    sched = Scheduler()
    ns, other = Namespace("n", sched), Namespace("m", sched)
    br = BridgeDevice(ns, "br0", _mac(1))
    p, _ = _pair(ns, "p", "q")
    br.add_port(p)
    with pytest.raises(NetdevError) as e:
        ns.move_device(br, other)
    assert e.value.errno == errno.EINVAL
    ns.unregister(br)
    assert p.master is None and "br0" not in ns.devices and len(p.netdev_chain) == 0


def test_a_vlan_follows_its_real_device_and_its_bridge_hears_it() -> None:
    ns = Namespace("n", Scheduler())
    p, q = _pair(ns, "p", "q")
    v = VlanDevice(ns, "p.10", p.mac, 1500, p, 10)
    br = BridgeDevice(ns, "br0", _mac(1))
    port = br.add_port(v)
    br.set_admin(True)
    q.set_admin(True)
    p.set_admin(True)
    assert v.admin_up and port.state == BR_STATE_FORWARDING  # vlan_device_event: NETDEV_UP
    q.set_admin(False)  # the real device loses carrier: the vlan's bridge port stops
    assert v.admin_up and port.state == BR_STATE_DISABLED
    q.set_admin(True)
    assert port.state == BR_STATE_FORWARDING
    p.set_admin(False)
    assert not v.admin_up and port.state == BR_STATE_DISABLED
    with pytest.raises(NetdevError) as e:
        VlanDevice(ns, "p.10b", p.mac, 1500, p, 10)
    assert e.value.errno == errno.EEXIST
    ns.unregister(v)  # ndo_uninit: the VID is free again, the vlan stops listening
    assert p.vlans is None and len(p.netdev_chain) == 0


def test_a_bridged_macvlan_follows_its_lower() -> None:
    ns = Namespace("n", Scheduler())
    low, peer = _pair(ns, "eth0", "peer")
    mv = MacvlanDevice(ns, "mv0", _mac(7), 1500, low, "bridge")
    br = BridgeDevice(ns, "br0", _mac(1))
    port = br.add_port(mv)
    for d in (br, low, peer, mv):
        d.set_admin(True)
    assert port.state == BR_STATE_FORWARDING
    peer.set_admin(False)  # macvlan_device_event passes the lower's NETDEV_CHANGE on
    assert port.state == BR_STATE_DISABLED


def test_promiscuity_is_a_counter_on_every_device() -> None:
    ns = Namespace("n", Scheduler())
    p, _ = _pair(ns, "p", "q")
    br = BridgeDevice(ns, "br0", _mac(1))
    for dev in (p, br):
        dev.set_promiscuity(1)
        dev.set_promiscuity(1)
        dev.set_promiscuity(-1)
        assert dev.promisc == 1
        dev.set_promiscuity(-1)
        dev.set_promiscuity(-1)
        assert dev.promisc == 0
    # an upper's MAC makes a lower without a unicast filter promiscuous (only the bridge)
    MacvlanDevice(ns, "mv0", _mac(8), 1500, br, "bridge")
    MacvlanDevice(ns, "mv1", _mac(9), 1500, p, "bridge")
    assert br.promisc == 1 and p.promisc == 0


def test_registering_a_name_twice_is_eexist() -> None:
    ns = Namespace("n", Scheduler())
    with pytest.raises(NetdevError) as e:
        NetDevice(ns, "lo", _mac(3))
    assert e.value.errno == errno.EEXIST
    assert isinstance(e.value, ValueError)  # what callers caught before errnos


def test_deleting_the_last_macvlan_frees_the_lower() -> None:
    ns = Namespace("n", Scheduler())
    br = BridgeDevice(ns, "br0", _mac(1))
    mv = MacvlanDevice(ns, "mv0", _mac(7), 1500, br, "bridge")
    mv2 = MacvlanDevice(ns, "mv1", _mac(8), 1500, br, "bridge")
    assert br.promisc == 2 and br.rx_handler is not None
    ns.unregister(mv)  # its MAC is free again; the port stays for mv1
    assert mv.port.vlans == [mv2] and _mac(7) not in mv.port.vlan_hash
    MacvlanDevice(ns, "mv0", _mac(7), 1500, br, "bridge")
    for name in ("mv0", "mv1"):
        ns.unregister(ns.devices[name])
    assert br.promisc == 0 and br.rx_handler is None and len(br.netdev_chain) == 0
    p, _ = _pair(ns, "p", "q")
    outer = BridgeDevice(ns, "br1", _mac(2))
    outer.add_port(p)  # a lower that was freed can be enslaved again


def test_deleting_the_last_ipvlan_frees_the_master() -> None:
    from vnetlab.sim.devices.ipvlan import IpvlanDevice

    ns = Namespace("n", Scheduler())
    p, _ = _pair(ns, "p", "q")
    iv = IpvlanDevice(ns, "iv0", 1500, p, "l2")
    assert p.rx_handler is not None
    ns.unregister(iv)
    assert p.rx_handler is None and len(p.netdev_chain) == 0


def test_a_setup_script_needs_a_runner_from_above() -> None:
    from vnetlab.engine import UnsupportedError
    from vnetlab.model import load_lab_text
    from vnetlab.sim.engine import SimEngine

    lab = load_lab_text("name: s\nnodes:\n  a: {}\nsetup: |\n  ip link\n")
    with pytest.raises(UnsupportedError, match="setup: script"):
        SimEngine().realize(lab)
    ran: list[str] = []
    SimEngine(setup_runner=lambda eng, lab: ran.append(lab.setup)).realize(lab)
    assert ran == ["ip link\n"]
