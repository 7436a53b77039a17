"""The ``ovs:`` section: what ovs-vswitchd would refuse is a lab error with path, line, hint."""

from __future__ import annotations

import textwrap

import pytest

from vnetlab.model import LabError, load_lab_text

BASE = """
name: t
nodes:
  host:
    interfaces: {veth1: {}, veth2: {}, veth3: {}}
    ovs:
      br0:
{bridge}
  ns1: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  ns2: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
  ns3: {interfaces: {eth0: {}}}
links:
  - endpoints: [host:veth1, ns1:eth0]
  - endpoints: [host:veth2, ns2:eth0]
  - endpoints: [host:veth3, ns3:eth0]
"""


def lab_with(bridge: str, extra: str = "", br1: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(bridge).strip("\n"), " " * 8)
    if br1:
        body += "\n      br1:\n" + textwrap.indent(br1, " " * 8)
    return BASE.replace("{bridge}", body) + textwrap.dedent(extra)


def errors_of(text: str) -> str:
    with pytest.raises(LabError) as info:
        load_lab_text(text, "lab.yaml")
    return str(info.value)


def test_a_bridge_resolves_with_macs_for_itself_and_internal_ports() -> None:
    lab = load_lab_text(lab_with("""
        addresses: 10.0.0.254/24
        ports:
          veth1: {ofport_request: 1}
          veth2:
          veth3: {tag: 10}
          int0: {type: internal, addresses: [10.0.1.1/24]}
          vx0: {type: vxlan, options: {remote_ip: 192.168.1.2, key: flow, dst_port: 4789}}
        mirrors:
          m0: {select_src_port: [veth1], select_dst_port: [veth1], output_port: veth3}
        flows: |
          priority=100,in_port=veth1,actions=NORMAL
          # a comment line is not a flow
          actions=drop
        """), "lab.yaml")
    br = lab.nodes["host"].ovs["br0"]
    assert br.mac is not None and br.ports["int0"].mac is not None
    assert br.mac != br.ports["int0"].mac
    assert br.ports["veth2"].type == "system"
    assert br.ports["vx0"].options == {"remote_ip": "192.168.1.2", "key": "flow",
                                       "dst_port": "4789"}
    assert br.flows == ["priority=100,in_port=veth1,actions=NORMAL", "actions=drop"]
    macs = [s.mac for n in lab.nodes.values() for s in n.interfaces.values()]
    assert br.mac not in macs and br.ports["int0"].mac not in macs
    # deterministic: the same file gives the same MACs
    again = load_lab_text(lab_with("""
        addresses: 10.0.0.254/24
        ports: {veth1: {}, int0: {type: internal}}
        """), "lab.yaml").nodes["host"].ovs["br0"]
    assert again.mac == br.mac


def test_a_system_port_names_an_interface_of_the_node() -> None:
    text = errors_of(lab_with("ports: {veth9: {}}"))
    assert "lab.yaml:8: nodes.host.ovs.br0.ports.veth9:" in text
    assert "could not open network device veth9 (No such device)" in text
    assert "did you mean" in text


def test_ports_made_by_vswitchd_must_not_collide_with_interfaces() -> None:
    text = errors_of(lab_with("ports: {veth1: {type: internal}}"))
    assert "could not add network device veth1 to ofproto (File exists)" in text
    text = errors_of(lab_with("ports: {}").replace("ovs:\n      br0:", "ovs:\n      veth2:"))
    assert "bridge veth2 would be a network device" in text


def test_a_port_belongs_to_one_bridge() -> None:
    text = errors_of(lab_with("ports: {veth1: {}}", br1="ports: {veth1: {}}"))
    assert "cannot create a port named veth1 because a port named veth1 already exists " \
           "on bridge br0" in text


def test_a_linux_bridge_port_cannot_join_ovs() -> None:
    text = errors_of(lab_with("ports: {veth1: {}}").replace(
        "veth1: {}, veth2", "lbr: {type: bridge}, veth1: {master: lbr}, veth2"))
    assert "already a port of Linux bridge lbr" in text
    assert "(Device or resource busy)" in text


def test_patch_ports_pair_up_across_bridges() -> None:
    ok = load_lab_text(lab_with("ports: {pa: {type: patch, options: {peer: pb}}}",
                                br1="ports: {pb: {type: patch, options: {peer: pa}}}"),
                       "lab.yaml")
    assert ok.nodes["host"].ovs["br1"].ports["pb"].type == "patch"
    text = errors_of(lab_with("ports: {pa: {type: patch, options: {peer: pc}}}",
                              br1="ports: {pb: {type: patch, options: {peer: pa}}}"))
    assert "patch port pa names peer 'pc', which is not a patch port" in text
    with pytest.raises(LabError) as info:
        load_lab_text(lab_with("ports: {pa: {type: patch, options: {peer: pc}}}",
                               br1="ports: {pb: {type: patch, options: {peer: pa}}}"), "l")
    hints = [p.hint for p in info.value.problems]
    assert "add 'pc: {type: patch, options: {peer: pa}}' to the other bridge" in hints
    assert "patch type requires valid 'peer' argument" in errors_of(
        lab_with("ports: {pa: {type: patch}}"))


@pytest.mark.parametrize(("port", "words"), [
    ("{type: vxlan, options: {key: 5}}", "vxlan type requires valid 'remote_ip' argument"),
    ("{type: vxlan, options: {remote_ip: 1.2.3}}", "is not an IPv4 address or 'flow'"),
    ("{type: geneve, options: {remote_ip: flow, key: blue}}", "is not a tunnel key"),
    ("{type: vxlan, options: {remote_ip: flow, dst_port: 70000}}", "is not a UDP port"),
    ("{type: vxlan, options: {remote_ip: flow, remote_iq: 1.2.3.4}}",
     "did you mean 'remote_ip'"),
    ("{type: internal, options: {peer: x}}", "takes no options"),
    ("{addresses: [10.9.9.9/24]}", "give the addresses to the interface"),
    ("{tag: 4095}", "VLAN ID 4095 is reserved"),
    ("{vlan_mode: trunky}", "vlan_mode"),
    ("{ofport_request: 65280}", "65279"),
])
def test_bad_port_values(port: str, words: str) -> None:
    text = errors_of(lab_with(f"ports: {{veth1: {port}}}"))
    assert "nodes.host.ovs.br0.ports.veth1" in text
    assert words in text


def test_mirrors_name_ports_of_their_bridge_and_one_output() -> None:
    text = errors_of(lab_with("""
        ports: {veth1: {}, veth3: {}}
        mirrors: {m0: {select_src_port: [veth2], output_port: veth3}}
        """))
    assert "mirror m0 names 'veth2', which is not a port of bridge br0" in text
    text = errors_of(lab_with("""
        ports: {veth1: {}, veth3: {}}
        mirrors: {m0: {select_all: true, output_port: veth3, output_vlan: 9}}
        """))
    assert "exactly one of 'output_port'" in text
    text = errors_of(lab_with("""
        ports: {veth1: {}, veth3: {}}
        mirrors: {m0: {output_port: veth3}}
        """))
    assert "selects nothing" in text
    text = errors_of(lab_with("""
        ports: {veth1: {}, veth3: {}}
        mirrors: {m0: {select_all: true, select_src_port: [veth3], output_port: veth3}}
        """))
    assert "reserved exclusively for mirroring" in text


def test_other_config_keys_and_values() -> None:
    assert "did you mean 'mac-aging-time'" in errors_of(
        lab_with("other_config: {mac-ageing-time: 300}"))
    assert "is not a positive number" in errors_of(
        lab_with("other_config: {mac-table-size: lots}"))
    ok = load_lab_text(lab_with("other_config: {mac-aging-time: 30}"), "lab.yaml")
    assert ok.nodes["host"].ovs["br0"].other_config == {"mac-aging-time": "30"}


def test_checks_may_name_ovs_devices_and_ports() -> None:
    extra = """
        checks:
          - frames: host:int0
            match: {proto: arp}
          - {fdb: host:br0, mac: ns1:eth0, port: veth1}
    """
    lab = load_lab_text(lab_with("ports: {veth1: {}, int0: {type: internal}}", extra),
                        "lab.yaml")
    assert len(lab.checks) == 2
    bad = """
        checks:
          - {fdb: host:br0, mac: ns1:eth0, port: veth2}
          - {fdb: host:int0, mac: ns1:eth0}
    """
    text = errors_of(lab_with("ports: {veth1: {}, int0: {type: internal}}", bad))
    assert "'veth2' is not a port of Open vSwitch bridge host:br0" in text
    assert "int0 is an Open vSwitch internal port, not a bridge" in text


def test_routes_may_use_ovs_netdevs_and_their_addresses_are_unique() -> None:
    bridge = """
        addresses: [10.0.0.254/24]
        ports: {veth1: {}, int0: {type: internal, addresses: [10.9.0.1/24]}}
    """
    text = lab_with(bridge).replace(
        "    ovs:\n", "    routes:\n      - {dst: 10.7.0.0/16, via: 10.0.0.1}\n"
                     "      - {dst: 10.8.0.0/16, dev: int0}\n    ovs:\n")
    lab = load_lab_text(text, "lab.yaml")
    assert len(lab.nodes["host"].routes) == 2
    clash = errors_of(lab_with(bridge.replace("10.9.0.1/24", "10.0.0.1/24")))
    assert "address 10.0.0.1 is on both" in clash
    assert "nodes.host.ovs.br0.ports.int0.addresses[0]" in clash
    bad = errors_of(lab_with(bridge).replace(
        "    ovs:\n", "    routes:\n      - {dst: 10.7.0.0/16, via: 10.5.0.1}\n    ovs:\n"))
    assert "10.0.0.0/24 (br0)" in bad and "10.9.0.0/24 (int0)" in bad
