"""MACVLAN in the emulator: the four modes with drivers/net/macvlan.c's exact semantics.

Each test names the kernel function whose behaviour it pins down; the same labs run on
the kernel in tests/kernel_l2dev (differential tests).
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from labs_l2dev import PASSTHRU, macvlan_lab

from vnetlab.model import LabError, load_lab_text
from vnetlab.sim.devices.macvlan import MacvlanDevice
from vnetlab.sim.engine import SimEngine


def up(text: str) -> SimEngine:
    eng = SimEngine()
    eng.realize(load_lab_text(text))
    return eng


def reach(eng: SimEngine, src: str, dst: str) -> bool:
    return eng.ping(src, IPv4Address(dst), count=1).reachable


# (mode, hairpin) -> expected reachability child->sibling, child->ext, child->parent;
# parent->child works exactly when the switch hairpins
MATRIX = [
    # macvlan_queue_xmit: bridge-mode siblings are reached inside the driver
    ("bridge", False, True, True, False),
    # vepa: siblings only through a switch that sends the frame back (hairpin)
    ("vepa", False, False, True, False),
    ("vepa", True, True, True, True),
    # private: macvlan_handle_frame sends a reflected broadcast back to its source only,
    # so ARP between siblings fails even with a hairpinning switch
    ("private", False, False, True, False),
    ("private", True, False, True, False),  # reflected ARP goes back to its sender only
    ("bridge", True, True, True, True),
]


@pytest.mark.parametrize("mode,hairpin,sibling,ext,parent", MATRIX)
def test_mode_matrix(mode: str, hairpin: bool, sibling: bool, ext: bool, parent: bool) -> None:
    eng = up(macvlan_lab(mode, hairpin=hairpin))
    assert reach(eng, "c1", "10.0.0.2") is sibling
    assert reach(eng, "c1", "10.0.0.254") is ext
    assert reach(eng, "ext", "10.0.0.3") is ext
    # the host-isolation gotcha: what a child sends leaves through the parent and never
    # enters the parent's own stack; only a hairpinning switch brings it back
    assert reach(eng, "c1", "10.0.0.100") is parent
    # the parent's ARP broadcast comes back from a hairpinning switch as a frame from an
    # external address (macvlan_multicast_rx: to every child, private ones included)
    assert reach(eng, "host", "10.0.0.2") is hairpin


def test_bridge_mode_sibling_traffic_stays_off_the_wire() -> None:
    """Bridge mode: unicast between siblings goes through the lower's receive path
    (dev_forward_skb(lowerdev)), never out of it; broadcasts go both ways."""
    eng = up(macvlan_lab("bridge"))
    seen: list[bytes] = []
    eng.dev("sw", "p-host").add_tap(lambda _t, d: seen.append(d))
    assert reach(eng, "c1", "10.0.0.2")
    icmp = [d for d in seen if d[12:14] == b"\x08\x00"]
    arp = [d for d in seen if d[12:14] == b"\x08\x06"]
    assert not icmp, "sibling pings must not reach the wire in bridge mode"
    assert arp, "the ARP broadcast is also sent out of the lower (xmit_world)"


def test_vepa_sibling_traffic_hairpins_through_the_switch() -> None:
    eng = up(macvlan_lab("vepa", hairpin=True))
    seen: list[bytes] = []
    eng.dev("sw", "p-host").add_tap(lambda _t, d: seen.append(d))
    assert reach(eng, "c1", "10.0.0.2")
    assert any(d[12:14] == b"\x08\x00" for d in seen)


def test_broadcast_from_outside_reaches_every_mode() -> None:
    """macvlan_multicast_rx: a frame from an external address goes to every child."""
    for mode in ("bridge", "vepa", "private"):
        eng = up(macvlan_lab(mode))
        assert reach(eng, "ext", "10.0.0.1"), mode
        assert reach(eng, "ext", "10.0.0.2"), mode


def test_passthru_takes_over_the_parent() -> None:
    """Passthru: the only child, with the lower's MAC; unicast for that MAC is the child's,
    so the parent's own address stops answering."""
    lab = load_lab_text(PASSTHRU)
    assert lab.nodes["vm"].interfaces["mv0"].mac == lab.nodes["host"].interfaces["eth0"].mac
    eng = up(PASSTHRU)
    assert reach(eng, "ext", "10.0.0.1")
    assert reach(eng, "vm", "10.0.0.254")
    dev = eng.dev("vm", "mv0")
    assert isinstance(dev, MacvlanDevice) and dev.port.passthru


def test_passthru_must_be_alone() -> None:
    text = PASSTHRU.replace(
        "links:",
        "  vm2:\n    interfaces:\n      mv0: {type: macvlan, link: host:eth0, mode: bridge}\n"
        "links:",
    )
    with pytest.raises(LabError, match="passthru macvlan vm:mv0 must be the only"):
        load_lab_text(text)


def test_model_refusals() -> None:
    base = macvlan_lab("bridge")
    with pytest.raises(LabError, match='Cannot find device "eth9"'):
        load_lab_text(base.replace("link: host:eth0, mode: bridge, addresses: [10.0.0.1/24]",
                                   "link: host:eth9, mode: bridge"))
    with pytest.raises(LabError, match="Device or resource busy"):
        load_lab_text(base.replace("link: host:eth0, mode: bridge, addresses: [10.0.0.1/24]",
                                   "link: sw:p-ext, mode: bridge"))
    with pytest.raises(LabError, match="greater than the mtu 1500"):
        load_lab_text(base.replace("mode: bridge, addresses: [10.0.0.1/24]",
                                   "mode: bridge, mtu: 9000"))


def test_defaults_mirror_the_kernel() -> None:
    lab = load_lab_text(macvlan_lab("bridge").replace(", mode: bridge, addresses: [10.0.0.3",
                                                      ", addresses: [10.0.0.3"))
    mv = lab.nodes["c3"].interfaces["mv0"]
    assert mv.mode == "vepa"  # macvlan_common_newlink: MACVLAN_MODE_VEPA without a mode
    assert mv.mtu == 1500  # the lower's MTU
    assert mv.mac not in {lab.nodes["host"].interfaces["eth0"].mac}


def test_observe_and_trace() -> None:
    eng = up(macvlan_lab("bridge"))
    st = eng.observe()
    link = next(ln for ln in st.nodes["c1"].links if ln.ifname == "mv0")
    assert (link.kind, link.operstate, link.mtu) == ("macvlan", "UP", 1500)
    eng.ping("c1", IPv4Address("10.0.0.2"))
    t = eng.trace("c1", IPv4Address("10.0.0.2"))
    assert t.verdict().startswith("delivered to c2:mv0")
    from vnetlab.tools.trace_render import render_trace

    text = render_trace(t)
    # the sibling lookup of bridge mode (macvlan_queue_xmit -> macvlan_hash_lookup), both ways
    assert text.count("macvlan bridge mode: ") == 2, text
    assert "is sibling c2:mv0: deliver through host:eth0" in text
    assert "is sibling c1:mv0: deliver through host:eth0" in text


def test_deterministic() -> None:
    def run() -> list[tuple[int, bytes]]:
        eng = up(macvlan_lab("vepa", hairpin=True))
        out: list[tuple[int, bytes]] = []
        eng.dev("host", "eth0").add_tap(lambda t, d: out.append((t, d)))
        reach(eng, "c1", "10.0.0.2")
        reach(eng, "c3", "10.0.0.254")
        return out

    first = run()
    # the capture is the point: VEPA sends every frame out of the lower, so it holds the
    # ARP exchange and both ICMP echo round trips (a run that captured nothing must fail)
    types = [d[12:14] for _, d in first]
    assert types.count(b"\x08\x06") >= 2 and types.count(b"\x08\x00") >= 4, types
    assert first == run()


def test_macvlans_on_a_bridge_device_reach_the_ports_and_each_other() -> None:
    from ipaddress import IPv4Address

    from labs_l2dev import MACVLAN_ON_BRIDGE

    from vnetlab.model import load_lab_text
    from vnetlab.sim.engine import SimEngine

    e = SimEngine()
    e.realize(load_lab_text(MACVLAN_ON_BRIDGE))
    assert e.ping("c1", IPv4Address("10.0.0.254")).reachable  # out through the bridge port
    assert e.ping("ext", IPv4Address("10.0.0.2")).reachable  # in: br0 is promiscuous
    assert e.ping("c1", IPv4Address("10.0.0.2")).reachable  # bridge mode: sibling direct
    assert not e.ping("c1", IPv4Address("10.0.0.100")).reachable  # never the lower's own
