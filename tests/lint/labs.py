"""Small labs for the lint tests: for every rule one that triggers it and one that does not.

Each entry of ``CASES`` is (rule, trigger YAML, clean YAML, gc_thresh3); the two labs
differ only in what the rule is about, so a rule that fires on both, or on neither,
fails its test.
"""

from __future__ import annotations

_TWO_HOSTS_BRIDGED = """
name: {name}
nodes:
  sw:
    interfaces:
      br0: {{type: bridge}}
      p1: {{master: br0}}
      p2: {{master: br0}}
  a:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]{amac}}}
  b:
    interfaces:
      eth0: {{addresses: [{bip}/24]{bmac}}}
links:
  - endpoints: [sw:p1, a:eth0]
  - endpoints: [sw:p2, b:eth0]
"""


def _vxlan(extra1: str = "", extra2: str = "", mtu2: str = "") -> str:
    return f"""
name: vx
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.0.2{extra1}}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]{mtu2}}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.0.1{extra2}}}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""


def _three_hosts(extra: str = "", port_opts: str = "") -> str:
    return f"""
name: three
nodes:
  sw:
    interfaces:
      br0: {{type: bridge}}
      p1: {{master: br0{port_opts}}}
      p2: {{master: br0{port_opts}}}
      p3: {{master: br0{port_opts}}}
{extra}
  a: {{interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}}}
  c: {{interfaces: {{eth0: {{addresses: [10.0.0.3/24]}}}}}}
links:
  - endpoints: [sw:p1, a:eth0]
  - endpoints: [sw:p2, b:eth0]
  - endpoints: [sw:p3, c:eth0]
"""


def _bypass(extra: str = "") -> str:
    return f"""
name: bypass
nodes:
  host:
{extra}
    interfaces:
      br0: {{type: bridge}}
      veth-a: {{master: br0}}
      sniff0:
        type: tap
        master: br0
        user: root
        program: {{run: "vnetlab.tuntap.examples.eavesdrop:main"}}
  a: {{interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}}}
links:
  - endpoints: [host:veth-a, a:eth0]
"""


def _plaintext(xfrm1: str = "", xfrm2: str = "") -> str:
    return f"""
name: plain
nodes:
  vtep1:
    interfaces:
      eth0: {{addresses: [192.0.2.1/24]}}
      vx0: {{type: vxlan, id: 42, remote: 192.0.2.2, dev: eth0}}
{xfrm1}
  vtep2:
    interfaces:
      eth0: {{addresses: [192.0.2.2/24]}}
      vx0: {{type: vxlan, id: 42, remote: 192.0.2.1, dev: eth0}}
{xfrm2}
  underlay:
    interfaces:
      br0: {{type: bridge}}
      u1: {{master: br0}}
      u2: {{master: br0}}
      u3: {{master: br0}}
  other:
    interfaces:
      eth0: {{addresses: [192.0.2.9/24]}}
links:
  - endpoints: [vtep1:eth0, underlay:u1]
  - endpoints: [vtep2:eth0, underlay:u2]
  - endpoints: [other:eth0, underlay:u3]
"""


_XFRM = """    xfrm:
      - state add src {a} dst {b} proto esp spi 0x00001001 reqid 1 mode transport
          aead 'rfc4106(gcm(aes))' 0xa1b2c3d4e5f60718293a4b5c6d7e8f9001020304 128
      - policy add src {a}/32 dst {b}/32 dir out
          tmpl src {a} dst {b} proto esp reqid 1 mode transport"""


def _sriov(sriov: str) -> str:
    return f"""
name: sriov
nodes:
  host:
    interfaces:
      eth0: {{type: nic, sriov: {sriov}}}
"""


def _routed(forward: str = "1", b_routes: str = "[{dst: default, via: 10.0.2.254}]") -> str:
    return f"""
name: routed
nodes:
  a:
    interfaces: {{eth0: {{addresses: [10.0.1.1/24]}}}}
    routes: [{{dst: default, via: 10.0.1.254}}]
  r:
    sysctls: {{net.ipv4.ip_forward: {forward}}}
    interfaces:
      eth0: {{addresses: [10.0.1.254/24]}}
      eth1: {{addresses: [10.0.2.254/24]}}
  b:
    interfaces: {{eth0: {{addresses: [10.0.2.1/24]}}}}
    routes: {b_routes}
links:
  - endpoints: [a:eth0, r:eth0]
  - endpoints: [r:eth1, b:eth0]
checks:
  - ping: a -> 10.0.2.1
"""


def _trunk(sw2_trunk: str) -> str:
    return f"""
name: trunk
nodes:
  sw1:
    interfaces:
      br0: {{type: bridge, vlan_filtering: true}}
      p1: {{master: br0, bridge_port: {{vlans: [{{vid: 10, pvid: true, untagged: true}}]}}}}
      p2: {{master: br0, bridge_port: {{vlans: [{{vid: 20, pvid: true, untagged: true}}]}}}}
      trunk: {{master: br0, bridge_port: {{vlans: [{{vid: 10}}, {{vid: 20}}]}}}}
  sw2:
    interfaces:
      br0: {{type: bridge, vlan_filtering: true}}
      p1: {{master: br0, bridge_port: {{vlans: [{{vid: 10, pvid: true, untagged: true}}]}}}}
      p2: {{master: br0, bridge_port: {{vlans: [{{vid: 20, pvid: true, untagged: true}}]}}}}
      trunk: {{master: br0, bridge_port: {{vlans: {sw2_trunk}}}}}
  h1: {{interfaces: {{eth0: {{addresses: [10.0.10.1/24]}}}}}}
  h2: {{interfaces: {{eth0: {{addresses: [10.0.20.1/24]}}}}}}
  h3: {{interfaces: {{eth0: {{addresses: [10.0.10.2/24]}}}}}}
  h4: {{interfaces: {{eth0: {{addresses: [10.0.20.2/24]}}}}}}
links:
  - endpoints: [sw1:trunk, sw2:trunk]
  - endpoints: [sw1:p1, h1:eth0]
  - endpoints: [sw1:p2, h2:eth0]
  - endpoints: [sw2:p1, h3:eth0]
  - endpoints: [sw2:p2, h4:eth0]
"""


def _macvlan(mode: str) -> str:
    return f"""
name: mv
nodes:
  host:
    interfaces:
      eth0: {{}}
  ext:
    interfaces:
      eth0: {{addresses: [10.0.0.254/24]}}
  c1:
    interfaces:
      mv: {{type: macvlan, link: host:eth0, mode: {mode}, addresses: [10.0.0.1/24]}}
  c2:
    interfaces:
      mv: {{type: macvlan, link: host:eth0, mode: {mode}, addresses: [10.0.0.2/24]}}
links:
  - endpoints: [host:eth0, ext:eth0]
checks:
  - ping: c1 -> 10.0.0.2
"""


def _ovs(flows: str, fail_mode: str = "") -> str:
    return f"""
name: ovs
nodes:
  host:
    interfaces:
      pa: {{}}
      pb: {{}}
    ovs:
      br0:
{fail_mode}
        ports:
          pa: {{ofport_request: 1}}
          pb: {{ofport_request: 2}}
        flows: {flows}
  a: {{interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}}}
links:
  - endpoints: [host:pa, a:eth0]
  - endpoints: [host:pb, b:eth0]
checks:
  - ping: a -> 10.0.0.2
"""


_LOOP = """
name: loop
nodes:
  sw:
    interfaces:
      br1: {{type: bridge{stp}}}
      br2: {{type: bridge}}
      a1: {{master: br1}}
      a2: {{master: br1}}
      b1: {{master: br2}}
      b2: {{master: br2}}
links:
  - endpoints: [sw:a1, sw:b1]
  - endpoints: [sw:a2, sw:b2]
"""

_GENEVE = """
name: gnv
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      gn0: {{type: geneve, id: 7, remote: 10.0.0.2, mtu: {mtu},
             options: [{{class: 0x0102, type: 0x80, data: "00000007"}}]}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""

_BRIDGED_VXLAN = """
name: brvx
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      br0: {{type: bridge}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.0.2, dev: eth0, master: br0}}
      c1p: {{master: br0}}
  c1:
    interfaces:
      eth0: {{addresses: [192.168.0.1/24]{cmtu}}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
links:
  - endpoints: [h1:eth0, h2:eth0]
  - endpoints: [h1:c1p, c1:eth0]
"""

_ROUTED_VXLAN = """
name: rvx
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.1.1/24]}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.2.1, dev: eth0{vmtu}}}
    routes: [{{dst: 10.0.2.0/24, via: 10.0.1.254}}]
  r:
    sysctls: {{net.ipv4.ip_forward: 1}}
    interfaces:
      eth0: {{addresses: [10.0.1.254/24]}}
      eth1: {{addresses: [10.0.2.254/24], mtu: 1400}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.2.1/24], mtu: 1400}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.1.1, dev: eth0}}
    routes: [{{dst: 10.0.1.0/24, via: 10.0.2.254}}]
links:
  - endpoints: [h1:eth0, r:eth0]
  - endpoints: [r:eth1, h2:eth0]
"""

_TAGGED_VXLAN = """
name: tvx
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 42, remote: 10.0.0.2, dev: eth0{vmtu}}}
      vx0.10: {{type: vlan, link: vx0, id: 10, addresses: [192.168.10.1/24]}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""

_VEPA = """
name: vepa
nodes:
  host:
    interfaces:
      eth0: {{addresses: [10.0.0.100/24]}}
  sw:
    interfaces:
      br0: {{type: bridge}}
      p0: {{master: br0, bridge_port: {{hairpin: {hairpin}}}}}
  c1:
    interfaces:
      mv: {{type: macvlan, link: host:eth0, mode: vepa, addresses: [10.0.0.1/24]}}
  c2:
    interfaces:
      mv: {{type: macvlan, link: host:eth0, mode: vepa, addresses: [10.0.0.2/24]}}
links:
  - endpoints: [host:eth0, sw:p0]
checks:
  - ping: c1 -> 10.0.0.2
  - ping: c1 -> 10.0.0.100
    expect: {lower}
"""

_GROUPS = """
name: grp
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 42, group: 239.1.1.1, dev: eth0}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
      vx0: {{type: vxlan, id: 42, group: {group}, dev: eth0}}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""

def _ovs3(flows: list[str]) -> str:
    block = "".join(f"          - {f}\n" for f in flows) or "          []\n"
    return f"""
name: ovs3
nodes:
  host:
    interfaces: {{pa: {{}}, pb: {{}}, pc: {{}}}}
    ovs:
      br0:
        ports: {{pa: {{ofport_request: 1}}, pb: {{ofport_request: 2}}, pc: {{ofport_request: 3}}}}
        flows:
{block}  a: {{interfaces: {{eth0: {{addresses: [10.0.0.1/24], mac: "02:00:00:00:00:01"}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.0.0.2/24], mac: "02:00:00:00:00:02"}}}}}}
  c: {{interfaces: {{eth0: {{addresses: [10.0.0.3/24], mac: "02:00:00:00:00:03"}}}}}}
links:
  - endpoints: [host:pa, a:eth0]
  - endpoints: [host:pb, b:eth0]
  - endpoints: [host:pc, c:eth0]
"""


_ARP_INSPECTION = [
    *(f"priority=200,arp,in_port=p{x},arp_spa=10.0.0.{k},arp_sha=02:00:00:00:00:0{k},"
      "actions=NORMAL" for k, x in ((1, "a"), (2, "b"), (3, "c"))),
    "priority=100,arp,actions=drop",
    "priority=0,actions=NORMAL",
]

#: (rule, label, trigger lab, clean lab, gc_thresh3 for the trigger; the clean lab is
#: linted with the kernel's default 1024)
CASES: list[tuple[str, str, str, str, int]] = [
    ("MTU001", "unbound-vxlan", _vxlan(), _vxlan(", dev: eth0", ", dev: eth0"), 1024),
    ("MTU001", "smaller-mtu-further-on", _vxlan(", dev: eth0", ", dev: eth0", ", mtu: 1400"),
     _vxlan(", dev: eth0, mtu: 1350", ", dev: eth0", ", mtu: 1400"), 1024),
    ("MTU001", "routed-path", _ROUTED_VXLAN.format(vmtu=""),
     _ROUTED_VXLAN.format(vmtu=", mtu: 1350"), 1024),
    ("MTU001", "vlan-tag-carried", _TAGGED_VXLAN.format(vmtu=""),
     _TAGGED_VXLAN.format(vmtu=", mtu: 1446"), 1024),
    ("MTU001", "geneve-options", _GENEVE.format(mtu=1450), _GENEVE.format(mtu=1442), 1024),
    ("MTU001", "bridged-sender", _BRIDGED_VXLAN.format(cmtu=""),
     _BRIDGED_VXLAN.format(cmtu=", mtu: 1450"), 1024),
    ("L2001", "two-bridges-two-links", _LOOP.format(stp=""), _LOOP.format(stp=", stp: true"),
     1024),
    ("SEC001", "shared-bridge", _three_hosts(),
     _three_hosts("    ebtables: [\"-A FORWARD -p ARP --arp-op Reply -j DROP\"]"), 1024),
    ("SEC001", "locked-ports", _three_hosts(port_opts=", bridge_port: {learning: false}"),
     _three_hosts(port_opts=", bridge_port: {neigh_suppress: true}"), 1024),
    ("SEC001", "ovs-normal", _ovs3([]), _ovs3(_ARP_INSPECTION), 1024),
    ("SEC002", "program-port", _bypass(),
     _bypass("    ebtables: [\"-A FORWARD -i ! veth-+ -j DROP\", "
             "\"-A FORWARD -o ! veth-+ -j DROP\"]"), 1024),
    ("SEC003", "shared-underlay", _plaintext(),
     _plaintext(_XFRM.format(a="192.0.2.1", b="192.0.2.2"),
                _XFRM.format(a="192.0.2.2", b="192.0.2.1")), 1024),
    ("SRIOV001", "numvfs", _sriov("{totalvfs: 4, numvfs: 8}"),
     _sriov("{totalvfs: 4, numvfs: 4}"), 1024),
    ("SRIOV002", "shared-pool", _sriov("{numvfs: 4, ring: 2048, isolation: shared-pool}"),
     _sriov("{numvfs: 4, ring: 1024, isolation: shared-pool}"), 1024),
    ("SRIOV002", "per-vf", _sriov("{numvfs: 4, ring: 2048, descriptors: 4096}"),
     _sriov("{numvfs: 4, ring: 1024, descriptors: 4096}"), 1024),
    ("SRIOV003", "spoofchk", _sriov("{numvfs: 2, vfs: {1: {spoofchk: false}}}"),
     _sriov("{numvfs: 2, vfs: {1: {spoofchk: true, trust: true}}}"), 1024),
    ("SRIOV003", "spoofchk-trusted", _sriov("{numvfs: 2, vfs: {0: {spoofchk: false, "
                                            "trust: true}}}"),
     _sriov("{numvfs: 2, vfs: {0: {trust: false}}}"), 1024),
    ("NEIGH001", "small-gc-thresh3", _three_hosts(), _three_hosts(), 5),
    ("ADDR001", "same-mac",
     _TWO_HOSTS_BRIDGED.format(name="mac", bip="10.0.0.2", amac=", mac: \"02:00:00:00:00:01\"",
                               bmac=", mac: \"02:00:00:00:00:01\""),
     _TWO_HOSTS_BRIDGED.format(name="mac", bip="10.0.0.2", amac=", mac: \"02:00:00:00:00:01\"",
                               bmac=", mac: \"02:00:00:00:00:02\""), 1024),
    ("ADDR002", "same-ip", _TWO_HOSTS_BRIDGED.format(name="ip", bip="10.0.0.1", amac="", bmac=""),
     _TWO_HOSTS_BRIDGED.format(name="ip", bip="10.0.0.2", amac="", bmac=""), 1024),
    ("ROUTE001", "router-not-forwarding", _routed(forward="0"), _routed(), 1024),
    ("ROUTE002", "no-way-back", _routed(b_routes="[]"), _routed(), 1024),
    ("VLAN001", "one-sided", _trunk("[{vid: 10}]"), _trunk("[{vid: 10}, {vid: 20}]"), 1024),
    ("VXLAN001", "vni", _vxlan(", dev: eth0", ", dev: eth0, id: 43").replace(
        "id: 42, remote: 10.0.0.1, dev: eth0, id: 43", "id: 43, remote: 10.0.0.1, dev: eth0"),
     _vxlan(", dev: eth0", ", dev: eth0"), 1024),
    ("VXLAN001", "dstport", _vxlan(", dev: eth0", ", dev: eth0, dstport: 4789"),
     _vxlan(", dev: eth0, dstport: 4789", ", dev: eth0, dstport: 4789"), 1024),
    ("MACVLAN001", "private", _macvlan("private"), _macvlan("bridge"), 1024),
    ("MACVLAN001", "vepa-without-hairpin", _VEPA.format(hairpin="false", lower="unreachable"),
     _VEPA.format(hairpin="true", lower="unreachable"), 1024),
    ("MACVLAN001", "child-to-lower", _VEPA.format(hairpin="true", lower="reachable"),
     _VEPA.format(hairpin="true", lower="unreachable"), 1024),
    ("VXLAN001", "group", _GROUPS.format(group="239.1.1.2"), _GROUPS.format(group="239.1.1.1"),
     1024),
    ("ROUTE001", "static-route-via-a-host",
     _routed(forward="0").replace("checks:\n  - ping: a -> 10.0.2.1\n", ""),
     _routed().replace("checks:\n  - ping: a -> 10.0.2.1\n", ""), 1024),
    ("OVS001", "name", _ovs('["in_port=nosuch,actions=NORMAL"]'),
     _ovs('["in_port=pa,actions=NORMAL"]'), 1024),
    ("OVS001", "number", _ovs('["in_port=1,actions=output:7", "priority=0,actions=NORMAL"]'),
     _ovs('["in_port=1,actions=output:2", "priority=0,actions=NORMAL"]'), 1024),
    ("OVS002", "covered", _ovs('["priority=100,ip,actions=NORMAL", '
                               '"priority=50,icmp,actions=drop", "priority=0,actions=NORMAL"]'),
     _ovs('["priority=50,ip,actions=NORMAL", "priority=100,icmp,actions=drop", '
          '"priority=0,actions=NORMAL"]'), 1024),
    ("OVS003", "secure", _ovs('["priority=10,arp,actions=NORMAL"]', "        fail_mode: secure"),
     _ovs('["priority=10,arp,actions=NORMAL", "priority=5,icmp,actions=NORMAL"]',
          "        fail_mode: secure"), 1024),
    ("OVS004", "syntax", _ovs('["priority=70000,actions=NORMAL"]'),
     _ovs('["priority=10,actions=NORMAL"]'), 1024),
]
