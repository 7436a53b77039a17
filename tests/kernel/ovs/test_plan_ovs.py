"""The Open vSwitch part of the linux engine's plan (pure: no root, no daemon)."""

from __future__ import annotations

import shlex

import pytest

from tests.kernel.ovs.labs import ovs_lab, vxlan_lab, vxlan_raw
from vnetlab.engine import UnsupportedError
from vnetlab.kernel import hostprogs
from vnetlab.kernel.ovs import daemons
from vnetlab.kernel.ovs.ops import ArpOff, OvsNetdev, OvsTool, StartOvsdb, StartVswitchd, TxOff
from vnetlab.kernel.ovs.plan import detect_datapath, plan_ovs
from vnetlab.kernel.plan import plan, plan_script
from vnetlab.model.spec import LabSpec

NETDEV = ("netdev", "no openvswitch kernel module on this host: the userspace datapath")
SYSTEM = ("system", "the openvswitch kernel module is loaded")


def test_detect_datapath_by_the_module() -> None:
    assert detect_datapath("/nonexistent/openvswitch")[0] == "netdev"
    assert detect_datapath("/")[0] == "system"  # any directory stands for the module


def test_plan_starts_daemons_then_configures_then_routes() -> None:
    lab = ovs_lab("kp", flows=["priority=100,in_port=veth1,actions=output:veth3,NORMAL"])
    ops = plan(lab, run_id="r1", ovs_datapath=NETDEV)
    text = [op.shell() for op in ops]
    rundir = str(daemons.node_dir("vnl-", "kp", "host"))
    start = next(i for i, op in enumerate(ops) if isinstance(op, StartOvsdb))
    assert text[start - 1] == ("# host: Open vSwitch datapath_type=netdev (no openvswitch "
                               "kernel module on this host: the userspace datapath)")
    assert isinstance(ops[start + 1], StartVswitchd)
    assert all(op.ns == "vnl-kp.host" for op in ops[start:start + 2])
    # every link exists and is up before the daemons start; routes come after the OVS
    first_route = next(i for i, t in enumerate(text) if " route add " in t)
    assert first_route > max(i for i, op in enumerate(ops) if isinstance(op, OvsNetdev))
    assert max(i for i, t in enumerate(text) if t.endswith("link set veth3 up")) < start
    tools = [op for op in ops if isinstance(op, OvsTool)]
    assert [shlex.split(op.shell()) for op in tools][:1] == [
        [f"OVS_RUNDIR={rundir}", "ovs-vsctl", "add-br", "br0", "--", "set", "Bridge", "br0",
         "datapath_type=netdev", f'other_config:hwaddr="{lab.nodes["host"].ovs["br0"].mac}"']]
    assert tools[-1].argv == ("ovs-ofctl", "add-flow", "br0",
                              "priority=100,in_port=veth1,actions=output:veth3,NORMAL")
    # the printed line and the applied argv are one value
    for op in tools:
        assert shlex.split(op.shell())[1:] == list(op.argv)


def test_tx_off_on_each_veth_port_and_its_peer_only_on_the_userspace_datapath() -> None:
    lab = ovs_lab("kp")
    tx = [(op.ns, op.ifname) for op in plan(lab, ovs_datapath=NETDEV) if isinstance(op, TxOff)]
    assert tx == [("vnl-kp.host", "veth1"), ("vnl-kp.a", "eth0"),
                  ("vnl-kp.host", "veth2"), ("vnl-kp.b", "eth0"),
                  ("vnl-kp.host", "veth3"), ("vnl-kp.mon", "eth0")]
    assert not [op for op in plan(lab, ovs_datapath=SYSTEM) if isinstance(op, TxOff)]


def test_arp_off_on_system_ports_only_on_the_userspace_datapath() -> None:
    lab = ovs_lab("kp")
    arp = [op.shell() for op in plan(lab, ovs_datapath=NETDEV) if isinstance(op, ArpOff)]
    assert arp == [f"ip -n vnl-kp.host link set veth{i} arp off" for i in (1, 2, 3)]
    assert not [op for op in plan(lab, ovs_datapath=SYSTEM) if isinstance(op, ArpOff)]


def test_devices_vswitchd_makes_get_tag_addresses_and_up() -> None:
    lines = [op.shell() for op in plan(ovs_lab("kp"), run_id="r1", ovs_datapath=NETDEV)]
    for dev, cidr in (("br0", "10.0.0.254/24"), ("int0", "10.0.1.1/24")):
        i = lines.index(f"ip -n vnl-kp.host link show dev {dev} >/dev/null")
        assert lines[i + 1:i + 4] == [
            f"ip -n vnl-kp.host link set {dev} alias vnetlab:kp:r1",
            f"ip -n vnl-kp.host addr add {cidr} dev {dev}",
            f"ip -n vnl-kp.host link set {dev} up"]
    assert "ip -n vnl-kp.host link set ovs-netdev alias vnetlab:kp:r1" in lines


def test_system_datapath_asked_for_without_the_module_is_refused_at_plan_time() -> None:
    raw = ovs_lab("kp").model_dump(mode="json")
    raw["nodes"]["host"]["ovs"]["br0"]["datapath_type"] = "system"
    lab = LabSpec.model_validate(raw)
    with pytest.raises(UnsupportedError, match=r"bridge host:br0 asks for datapath_type "
                                               r"system, but no openvswitch kernel module"):
        plan(lab, ovs_datapath=NETDEV)
    assert any(isinstance(op, StartOvsdb) for op in plan(lab, ovs_datapath=SYSTEM))


def test_a_lab_without_ovs_plans_no_ovs_and_needs_no_ovs_program() -> None:
    from tests.kernel.labs import t1

    assert plan_ovs(t1(), {}, prefix="vnl-", alias="x") == []
    assert "ovs-vswitchd" not in hostprogs.needed(t1())


def test_missing_ovs_program_is_named_with_its_package() -> None:
    from vnetlab.engine import EngineError

    with pytest.raises(EngineError, match="program 'ovs-vswitchd' not found: the linux engine "
                                          r"runs it for its Open vSwitch bridges .*Debian "
                                          "package openvswitch-switch"):
        hostprogs.check_programs(ovs_lab("kp"),
                                 which=lambda p: None if p == "ovs-vswitchd" else "/bin/x")


def test_dry_run_script_says_the_datapath() -> None:
    script = plan_script(ovs_lab("kp"))
    assert "# host: Open vSwitch datapath_type=" in script
    assert "ovs-vsctl add-br br0" in script


def test_tunnel_whose_underlay_is_not_on_ovs_is_refused_on_the_userspace_datapath() -> None:
    lab = vxlan_lab("kv", underlay_on_ovs=False)
    with pytest.raises(UnsupportedError, match=r"h1:vxlan0 \(remote_ip 192.168.1.2\): the "
                                               r"route to it does not leave through an Open "
                                               r"vSwitch bridge .*native tunnel routing "
                                               r"failed"):
        plan(lab, ovs_datapath=NETDEV)
    # the kernel datapath hands tunnel packets to the kernel: no such rule, no seeding
    ops = plan(lab, ovs_datapath=SYSTEM)
    assert not [op for op in ops if isinstance(op, OvsTool) and op.argv[0] == "ovs-appctl"]


def test_tunnel_next_hops_seed_the_tunnel_neighbour_cache() -> None:
    lab = vxlan_lab("kv")
    seeded = [(op.ns, op.argv) for op in plan(lab, ovs_datapath=NETDEV)
              if isinstance(op, OvsTool) and op.argv[0] == "ovs-appctl"]
    phy = {n: lab.nodes[n].ovs["br-phy"].mac for n in ("h1", "h2")}
    assert seeded == [
        ("vnl-kv.h1", ("ovs-appctl", "tnl/neigh/set", "br-phy", "192.168.1.2", phy["h2"])),
        ("vnl-kv.h2", ("ovs-appctl", "tnl/neigh/set", "br-phy", "192.168.1.1", phy["h1"]))]


def test_tunnel_egress_through_a_gateway_on_an_ovs_device() -> None:
    from ipaddress import IPv4Address

    from vnetlab.kernel.ovs.tunnels import egress

    raw = vxlan_raw("kv")
    raw["nodes"]["h1"]["routes"] = [{"dst": "172.16.0.0/16", "via": "192.168.1.2"}]
    node = LabSpec.model_validate(raw).nodes["h1"]
    assert egress(node, IPv4Address("172.16.3.4")) == ("br-phy", IPv4Address("192.168.1.2"))
    assert egress(node, IPv4Address("10.0.0.9")) == ("int0", IPv4Address("10.0.0.9"))
    assert egress(node, IPv4Address("8.8.8.8")) is None


def test_fdb_show_rows_become_fdb_entries() -> None:
    """``ovs-appctl fdb/show br0`` as OVS 3.1 printed it on this machine."""
    from vnetlab.kernel.ovs.observe import parse_fdb_show
    from vnetlab.model.state import FdbState

    text = (" port  VLAN  MAC                Age\n"
            "    1     0  02:f8:e3:00:34:13    4\n"
            "    2    10  02:d3:81:08:2a:32    4\n"
            "LOCAL     0  02:5b:64:ca:80:2f    1\n"
            "    2     0  02:00:00:00:00:99  static\n")
    names = {"1": "veth1", "2": "veth2"}
    assert parse_fdb_show("br0", text, names) == [
        FdbState("br0", "veth1", "02:f8:e3:00:34:13"),
        FdbState("br0", "veth2", "02:d3:81:08:2a:32", vlan=10),
        FdbState("br0", "br0", "02:5b:64:ca:80:2f"),
        FdbState("br0", "veth2", "02:00:00:00:00:99", flags=("static",)),
    ]
