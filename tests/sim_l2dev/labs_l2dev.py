"""Lab texts shared by the emulator and the kernel/differential tests of issue 5."""

from __future__ import annotations


def macvlan_lab(mode: str, *, hairpin: bool = False, name: str | None = None) -> str:
    """Three children c1..c3 (10.0.0.1-3) on host:eth0 in ``mode``; host:eth0 is a veth to a
    switch node whose bridge has ``hairpin`` on the host port (a VEPA-capable switch); an
    external host ext (10.0.0.254) hangs off the same switch; the parent has 10.0.0.100."""
    return f"""\
name: {name or 'mv-' + mode + ('-hp' if hairpin else '')}
nodes:
  host:
    interfaces:
      eth0: {{addresses: [10.0.0.100/24]}}
  sw:
    interfaces:
      br0: {{type: bridge}}
      p-host: {{master: br0, bridge_port: {{hairpin: {str(hairpin).lower()}}}}}
      p-ext: {{master: br0}}
  ext:
    interfaces:
      eth0: {{addresses: [10.0.0.254/24]}}
  c1:
    interfaces:
      mv0: {{type: macvlan, link: host:eth0, mode: {mode}, addresses: [10.0.0.1/24]}}
  c2:
    interfaces:
      mv0: {{type: macvlan, link: host:eth0, mode: {mode}, addresses: [10.0.0.2/24]}}
  c3:
    interfaces:
      mv0: {{type: macvlan, link: host:eth0, mode: {mode}, addresses: [10.0.0.3/24]}}
links:
  - endpoints: [host:eth0, sw:p-host]
  - endpoints: [ext:eth0, sw:p-ext]
"""


PASSTHRU = """\
name: mv-passthru
nodes:
  host:
    interfaces:
      eth0: {addresses: [10.0.0.100/24]}
  ext:
    interfaces:
      eth0: {addresses: [10.0.0.254/24]}
  vm:
    interfaces:
      mv0: {type: macvlan, link: host:eth0, mode: passthru, addresses: [10.0.0.1/24]}
links:
  - endpoints: [host:eth0, ext:eth0]
"""


def ipvlan_lab(mode: str) -> str:
    net = 9 if mode == "l3" else 0
    return f"""\
name: ipvl-{mode}
nodes:
  host:
    interfaces:
      eth0: {{addresses: [10.0.0.100/24]}}
  ext:
    interfaces:
      eth0: {{addresses: [10.0.0.254/24]}}
    routes:
      - {{dst: 10.0.9.0/24, via: 10.0.0.100}}
  c1:
    interfaces:
      ipv0: {{type: ipvlan, link: host:eth0, mode: {mode}, addresses: [10.0.{net}.1/24]}}
    routes:
      - {{dst: default, dev: ipv0}}
  c2:
    interfaces:
      ipv0: {{type: ipvlan, link: host:eth0, mode: {mode}, addresses: [10.0.{net}.2/24]}}
    routes:
      - {{dst: default, dev: ipv0}}
links:
  - endpoints: [host:eth0, ext:eth0]
"""


#: two bridge-mode macvlans stacked on a bridge device (the kernel makes br0 promiscuous
#: for their MACs: dev_uc_add on a device without a unicast filter)
MACVLAN_ON_BRIDGE = """\
name: mvbr
nodes:
  host:
    interfaces:
      br0: {type: bridge, addresses: [10.0.0.100/24]}
      p-ext: {master: br0}
  ext:
    interfaces: {eth0: {addresses: [10.0.0.254/24]}}
  c1:
    interfaces:
      mv0: {type: macvlan, link: host:br0, mode: bridge, addresses: [10.0.0.1/24]}
  c2:
    interfaces:
      mv0: {type: macvlan, link: host:br0, mode: bridge, addresses: [10.0.0.2/24]}
links:
  - endpoints: [host:p-ext, ext:eth0]
"""
