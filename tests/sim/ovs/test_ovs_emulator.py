"""The emulated Open vSwitch inside labs: ping through NORMAL, exercise 4's mirror, a secure
bridge dropping misses, flows with VLAN tags, and what the appctl views show afterwards."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.sim.simlab import frames, realize
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.ovs.vswitchd import Vswitchd
from vnetlab.tools.trace_render import render_trace

TWO_HOSTS = """
name: ovs2
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a: {interfaces: {eth0: {type: veth, addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {type: veth, addresses: [10.0.0.2/24]}}}
  m: {interfaces: {eth0: {type: veth}}}
  host:
    interfaces: {veth1: {type: veth}, veth2: {type: veth}, veth3: {type: veth}}
    ovs:
      br0:
        addresses: [10.0.0.254/24]
        ports: {veth1: {}, veth2: {}, veth3: {}}
        %EXTRA%
links:
  - endpoints: [a:eth0, host:veth1]
  - endpoints: [b:eth0, host:veth2]
  - endpoints: [m:eth0, host:veth3]
"""


def lab(extra: str = "") -> SimEngine:
    engine, _ = realize(TWO_HOSTS.replace("%EXTRA%", extra))
    return engine


def vswitchd(engine: SimEngine) -> Vswitchd:
    vs = engine.ns("host").vswitchd
    assert vs is not None
    return vs


def test_ping_through_normal_and_the_views_after() -> None:
    engine = lab("datapath_type: netdev")  # the userspace datapath's views
    r = engine.ping("a", IPv4Address("10.0.0.2"), count=3)
    assert r.received == 3
    vs = vswitchd(engine)
    assert engine.ping("a", IPv4Address("10.0.0.254")).received == 1  # the bridge's own port
    show = vs.appctl(["dpif/show"]).stdout.splitlines()
    assert show[1:] == ["  br0:", "    br0 65534/1: (tap)", "    veth1 1/2: (system)",
                        "    veth2 2/3: (system)", "    veth3 3/4: (system)"]
    fdb = vs.appctl(["fdb/show", "br0"]).stdout.splitlines()
    assert fdb[0] == " port  VLAN  MAC                Age"
    macs = {line.split()[2]: line.split()[0] for line in fdb[1:]}
    a_mac = engine.dev("a", "eth0").mac.hex(":")
    b_mac = engine.dev("b", "eth0").mac.hex(":")
    assert macs[a_mac] == "1" and macs[b_mac] == "2"
    br_mac = engine.dev("host", "br0").mac.hex(":")
    assert macs[br_mac] == "LOCAL"
    flows = vs.appctl(["dpctl/dump-flows"]).stdout
    assert flows.startswith("flow-dump from the main thread:\n")
    # the echo requests after the first hit the megaflow a's first request installed
    assert f"in_port(2),packet_type(ns=0,id=0),eth(src={a_mac},dst={b_mac})" in flows
    assert ", packets:2, bytes:196, " in flows
    dump = vs.ofctl(["dump-flows", "br0"]).stdout.splitlines()
    assert dump[0] == "NXST_FLOW reply (xid=0x4):"
    assert dump[1].startswith(" cookie=0x0, duration=") and "priority=0 actions=NORMAL" in dump[1]


def test_exercise4_mirror_copies_both_directions_to_port3(tmp_path: Path) -> None:
    engine = lab("mirrors: {m0: {select_src_port: [veth1], select_dst_port: [veth1], "
                 "output_port: veth3}}")
    cap = tmp_path / "m.pcap"
    engine.start_capture("m", "eth0", cap)
    assert engine.ping("a", IPv4Address("10.0.0.2"), count=2).received == 2
    engine.stop_captures()
    got = frames(cap)
    a_mac, b_mac = engine.dev("a", "eth0").mac, engine.dev("b", "eth0").mac
    requests = [f for f in got if f[6:12] == a_mac and f[12:14] == b"\x08\x00" and f[34] == 8]
    replies = [f for f in got if f[0:6] == a_mac and f[12:14] == b"\x08\x00" and f[34] == 0]
    assert len(requests) == 2 and len(replies) == 2
    assert all(f[0:6] == b_mac for f in requests)


def test_secure_bridge_drops_misses_and_forwards_by_flow() -> None:
    engine = lab("fail_mode: secure")
    t = engine.trace("a", IPv4Address("10.0.0.2"))
    text = render_trace(t)
    assert "host:br0:  0. No match." in text
    assert t.verdict().endswith("an ARP packet was dropped at host:br0: datapath actions: drop")
    vs = vswitchd(engine)
    assert vs.ofctl(["dump-flows", "br0"]).stdout == "NXST_FLOW reply (xid=0x4):\n"
    engine.advance(30)  # let the FAILED neighbour go before trying again
    for f in ("in_port=veth1,actions=output:veth2", "in_port=veth2,actions=output:veth1"):
        assert vs.ofctl(["add-flow", "br0", f]).status == 0
    assert engine.ping("a", IPv4Address("10.0.0.2"), count=2).received == 2
    stats = vs.ofctl(["--no-stats", "dump-flows", "br0"]).stdout
    assert sorted(stats.splitlines()) == [" in_port=1 actions=output:2",
                                              " in_port=2 actions=output:1"]


def test_trace_nests_the_openflow_tables() -> None:
    engine = lab('flows: ["table=0,priority=10,ip,actions=resubmit(,1)", '
                 '"table=1,priority=5,actions=NORMAL"]')
    engine.ping("a", IPv4Address("10.0.0.2"))
    t = engine.trace("a", IPv4Address("10.0.0.2"))
    text = render_trace(t)
    assert "0. ip, priority 10" in text and "1. priority 5" in text
    assert "forwarding to learned port" in text
    assert t.verdict() == "delivered to b:eth0 (10.0.0.2)"


def test_vlan_access_ports_isolate() -> None:
    extra = ""
    yaml = TWO_HOSTS.replace("ports: {veth1: {}, veth2: {}, veth3: {}}",
                             "ports: {veth1: {tag: 10}, veth2: {tag: 20}, veth3: {}}")
    engine, _ = realize(yaml.replace("%EXTRA%", extra))
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 0


VXLAN = """
name: ovsvx
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  vm1: {interfaces: {eth0: {type: veth, addresses: [10.0.0.1/24]}}}
  vm2: {interfaces: {eth0: {type: veth, addresses: [10.0.0.2/24]}}}
  h1:
    interfaces: {tap-vm1: {type: veth}, eth1: {type: veth, addresses: [192.168.1.1/24]}}
    ovs:
      br0:
        ports:
          tap-vm1: {}
          vxlan0: {type: vxlan, options: {remote_ip: 192.168.1.2, key: "100"}}
        flows: ["in_port=tap-vm1,actions=output:vxlan0", "in_port=vxlan0,actions=output:tap-vm1"]
  h2:
    interfaces: {tap-vm2: {type: veth}, eth1: {type: veth, addresses: [192.168.1.2/24]}}
    ovs:
      br0:
        ports:
          tap-vm2: {}
          vxlan0: {type: vxlan, options: {remote_ip: 192.168.1.1, key: flow}}
        flows: ["table=0,priority=10,in_port=tap-vm2,actions=set_tunnel:100,resubmit(,1)",
                "table=0,priority=5,actions=resubmit(,1)", "table=1,actions=NORMAL"]
links:
  - endpoints: [vm1:eth0, h1:tap-vm1]
  - endpoints: [vm2:eth0, h2:tap-vm2]
  - endpoints: [h1:eth1, h2:eth1]
"""


@pytest.mark.parametrize(("kind", "udp_port"), [("vxlan", 4789), ("geneve", 6081)])
def test_tunnel_between_two_hosts_has_real_outer_headers(tmp_path: Path, kind: str,
                                                          udp_port: int) -> None:
    engine, _ = realize(VXLAN.replace("type: vxlan", f"type: {kind}"))
    cap = tmp_path / "underlay.pcap"
    engine.start_capture("h1", "eth1", cap)
    assert engine.ping("vm1", IPv4Address("10.0.0.2"), count=2).received == 2
    engine.stop_captures()
    outer = [f for f in frames(cap) if f[12:14] == b"\x08\x00" and f[23] == 17]
    assert outer, "no UDP on the underlay"
    for f in outer:
        assert int.from_bytes(f[36:38], "big") == udp_port  # UDP destination port
        assert int.from_bytes(f[46:49], "big") == 100  # the VNI, both directions
    h1 = vswitchd_of(engine, "h1")
    flows = h1.dpctl(["dump-flows"]).stdout
    assert (f"set(tunnel(tun_id=0x64,dst=192.168.1.2,ttl=64,tp_dst={udp_port},"
            "flags(df|key))),3") in flows
    assert "tunnel(tun_id=0x64,src=192.168.1.2,dst=192.168.1.1" in flows


def vswitchd_of(engine: SimEngine, node: str) -> Vswitchd:
    vs = engine.ns(node).vswitchd
    assert vs is not None
    return vs


def test_mac_ageing_flush_and_megaflow_expiry_on_virtual_time() -> None:
    engine = lab('other_config: {mac-aging-time: "20"}')
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 1
    vs = vswitchd(engine)
    assert len(vs.appctl(["fdb/show", "br0"]).stdout.splitlines()) == 3
    assert vs.dpctl(["dump-flows"]).stdout.startswith("recirc_id(0),in_port(")
    engine.advance(40)  # idle megaflows go after 10 s (max-idle), MACs after 20 s
    assert vs.dpctl(["dump-flows"]).stdout == ""
    assert vs.appctl(["fdb/show", "br0"]).stdout == " port  VLAN  MAC                Age\n"
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 1
    assert vs.appctl(["fdb/flush", "br0"]).stdout == "table successfully flushed\n"
    assert vs.appctl(["fdb/show", "br0"]).stdout == " port  VLAN  MAC                Age\n"


def test_mac_table_size_evicts() -> None:
    engine = lab('other_config: {mac-table-size: "1"}')
    engine.ping("a", IPv4Address("10.0.0.2"))
    vs = vswitchd(engine)
    assert len(vs.appctl(["fdb/show", "br0"]).stdout.splitlines()) == 2


def test_a_script_can_build_ovs_on_a_node_without_ovs() -> None:
    from vnetlab.sim.ovs.build import vswitchd_of

    engine, _ = realize(TWO_HOSTS.replace("    ovs:\n      br0:\n        addresses: "
                                          "[10.0.0.254/24]\n        ports: {veth1: {}, "
                                          "veth2: {}, veth3: {}}\n        %EXTRA%\n", ""))
    ns = engine.ns("host")
    assert ns.vswitchd is None
    vs = vswitchd_of(ns)
    assert vs.vsctl(["add-br", "br0"]).status == 0
    for p in ("veth1", "veth2"):
        assert vs.vsctl(["add-port", "br0", p]).status == 0
    bad = vs.vsctl(["add-port", "br0", "nosuch"])
    assert bad.stderr.startswith("ovs-vsctl: Error detected while setting up 'nosuch': "
                                 "could not open network device nosuch (No such device).")
    assert vs.vsctl(["get", "Interface", "veth2", "ofport"]).stdout == "2\n"
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 1
    assert vs.appctl(["dpif/show"]).stdout.startswith("system@ovs-system: hit:")


def test_del_port_and_del_br_release_the_devices() -> None:
    engine = lab()
    vs = vswitchd(engine)
    ns = engine.ns("host")
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 1
    assert vs.vsctl(["del-port", "br0", "veth2"]).status == 0
    assert ns.devices["veth2"].rx_handler is None
    assert vs.appctl(["fdb/show", "br0"]).stdout.count("\n") == 2  # veth2's MAC is gone
    engine.advance(60)
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 0
    assert vs.vsctl(["del-br", "br0"]).status == 0
    assert "br0" not in ns.devices and ns.devices["veth1"].rx_handler is None
    show = vs.appctl(["dpif/show"]).stdout
    assert show.startswith("system@ovs-system: hit:") and "  br0:" not in show


def test_vlan_trunk_and_tagged_internal_port() -> None:
    yaml = TWO_HOSTS.replace(
        "ports: {veth1: {}, veth2: {}, veth3: {}}",
        "ports: {veth1: {tag: 10}, veth2: {tag: 20}, veth3: {trunks: [10, 20]}, "
        "int10: {type: internal, tag: 10, addresses: [10.0.0.100/24]}}")
    yaml = yaml.replace("addresses: [10.0.0.254/24]", "addresses: []")  # one route to 10/24
    engine, _ = realize(yaml.replace("%EXTRA%", ""))
    assert engine.ping("a", IPv4Address("10.0.0.100")).received == 1  # same VLAN
    assert engine.ping("b", IPv4Address("10.0.0.100")).received == 0  # VLAN 20
    vs = vswitchd(engine)
    vlans = {line.split()[1] for line in vs.appctl(["fdb/show", "br0"]).stdout.splitlines()[1:]}
    assert vlans == {"10", "20"}


def test_observe_lists_the_ovs_mac_table_like_a_bridge_fdb() -> None:
    engine = lab()
    engine.ping("a", IPv4Address("10.0.0.2"))
    rows = [f for f in engine.observe().nodes["host"].fdb if f.bridge == "br0"]
    by_mac = {f.mac: f for f in rows}
    a_mac = engine.dev("a", "eth0").mac.hex(":")
    assert by_mac[a_mac].port == "veth1" and by_mac[a_mac].vlan is None
    assert by_mac[a_mac].flags == ()


UNDERLAY_ON_OVS = """
name: ovsphy
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  h1:
    interfaces: {eth0: {type: veth}}
    ovs:
      br-phy: {addresses: [192.168.1.1/24], ports: {eth0: {}}}
      br0:
        ports:
          vxlan0: {type: vxlan, options: {remote_ip: 192.168.1.2, key: "100"}}
          int0: {type: internal, addresses: [10.0.0.1/24]}
  h2:
    interfaces: {eth0: {type: veth}}
    ovs:
      br-phy: {addresses: [192.168.1.2/24], ports: {eth0: {}}}
      br0:
        ports:
          vxlan0: {type: vxlan, options: {remote_ip: 192.168.1.1, key: "100"}}
          int0: {type: internal, addresses: [10.0.0.2/24]}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""


def test_vxlan_with_the_underlay_on_an_ovs_bridge() -> None:
    engine, _ = realize(UNDERLAY_ON_OVS)
    assert engine.ping("h1", IPv4Address("10.0.0.2"), count=2).received == 2
    assert engine.ping("h1", IPv4Address("192.168.1.2")).received == 1


PATCH_AND_PIPELINE = """
name: ovspp
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a: {interfaces: {eth0: {type: veth, addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {type: veth, addresses: [10.0.0.2/24]}}}
  c: {interfaces: {eth0: {type: veth, addresses: [10.0.0.3/24]}}}
  host:
    interfaces: {veth1: {type: veth}, veth2: {type: veth}, veth3: {type: veth}}
    ovs:
      br0:
        fail_mode: secure
        ports:
          veth1: {tag: 10}
          veth2: {tag: 10}
          patch0: {type: patch, options: {peer: patch1}}
        groups: ["group_id=1,type=all,bucket=actions=NORMAL"]
        flows: ["table=0,priority=100,ip,nw_src=10.0.0.2,actions=drop",
                "table=0,priority=0,actions=goto_table:1", "table=1,priority=0,actions=group:1"]
      br1:
        ports:
          veth3: {tag: 10}
          patch1: {type: patch, options: {peer: patch0}}
links:
  - endpoints: [a:eth0, host:veth1]
  - endpoints: [b:eth0, host:veth2]
  - endpoints: [c:eth0, host:veth3]
"""


def test_patch_ports_and_an_acl_pipeline_with_a_group() -> None:
    engine, _ = realize(PATCH_AND_PIPELINE)
    assert engine.ping("a", IPv4Address("10.0.0.3")).received == 1  # br0 -> patch -> br1
    assert engine.ping("b", IPv4Address("10.0.0.3")).received == 0  # the ACL drops b's IP
    t = engine.trace("a", IPv4Address("10.0.0.3"))
    text = render_trace(t)
    assert 'bridge("br1")' in text and "group:1" in text and "bucket 0" in text
    assert t.verdict() == "delivered to c:eth0 (10.0.0.3)"


def test_trace_json_names_the_ovs_drop_reason() -> None:
    import json

    from vnetlab.tools.trace_render import trace_json

    engine = lab("fail_mode: secure")
    data = json.dumps(trace_json(engine.trace("a", IPv4Address("10.0.0.2"))))
    assert '"reason": "OVS_DROP_LAST_ACTION"' in data


def _links(engine: SimEngine) -> dict[str, tuple[str, str, int, str | None]]:
    """``ip -d link`` of host as (kind, operstate, promiscuity, master) by name."""
    ns = engine.ns("host")
    return {d.name: (d.kind, d.operstate, d.promisc, d.master.name if d.master else None)
            for d in ns.devices.values() if d.kind != "loopback"}


def test_system_datapath_devices_as_the_kernel_module_makes_them() -> None:
    """No datapath_type: the kernel datapath. ovs-system (down) is every port's master,
    the bridge's own port is kind openvswitch, a VXLAN port adds vxlan_sys_4789 (up, MTU
    65000), which goes away with the last port that uses it."""
    engine, _ = realize(TWO_HOSTS.replace("%EXTRA%", "").replace(
        "ports: {veth1: {}, veth2: {}, veth3: {}}",
        "ports: {veth1: {}, veth2: {}, veth3: {}, "
        "vx0: {type: vxlan, options: {remote_ip: 192.168.1.2}}}"))
    links = _links(engine)
    assert links["ovs-system"] == ("openvswitch", "DOWN", 0, None)
    assert links["br0"] == ("openvswitch", "UNKNOWN", 0, "ovs-system")
    assert links["veth1"][2:] == (1, "ovs-system")
    assert links["vxlan_sys_4789"] == ("vxlan", "UNKNOWN", 0, "ovs-system")
    assert engine.ns("host").devices["vxlan_sys_4789"].mtu == 65000
    vs = vswitchd(engine)
    assert vs.appctl(["dpif/show"]).stdout.startswith("system@ovs-system: hit:")
    assert vs.vsctl(["del-port", "br0", "vx0"]).status == 0
    assert "vxlan_sys_4789" not in _links(engine)
    assert vs.vsctl(["del-port", "br0", "veth1"]).status == 0
    assert _links(engine)["veth1"][2:] == (0, None)


def test_netdev_datapath_devices_as_the_linux_engine_shows_them() -> None:
    """datapath_type netdev: the bridge's own port and internal ports are promiscuous
    taps (kind tun) reading UNKNOWN, and ovs-netdev is a tap that stays down — as
    ``ip -d -j link`` shows exercise 4 on the linux engine (no openvswitch module)."""
    engine = lab("datapath_type: netdev")
    links = _links(engine)
    assert links["ovs-netdev"] == ("tun", "DOWN", 1, None)
    assert links["br0"] == ("tun", "UNKNOWN", 1, None)
    assert links["veth1"][2:] == (1, None)
    names = [d.name for d in engine.ns("host").devices.values()]
    assert names.index("ovs-netdev") < names.index("br0")
