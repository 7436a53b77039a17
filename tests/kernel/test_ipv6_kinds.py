"""ping -6 across VLAN, VXLAN and MACVLAN on the linux engine (IPv6 on, the default).

Each lab is built where this kernel has the kind and skipped with the reason ``features``
detects where it has not (8021q is missing on some kernels). Lab names are unique per
run; the fixture tears every engine down, also on failure.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from ipaddress import IPv6Address

import pytest

from vnetlab.kernel import features
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.plan import required_features
from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec

pytestmark = pytest.mark.kernel

VLAN = """
name: {name}
nodes:
  a:
    interfaces:
      eth0: {{}}
      eth0.100: {{type: vlan, link: eth0, id: 100, mac: "02:00:00:00:64:01",
                  addresses: ["2001:db8:64::1/64"]}}
  b:
    interfaces:
      eth0: {{}}
      eth0.100: {{type: vlan, link: eth0, id: 100, mac: "02:00:00:00:64:02",
                  addresses: ["2001:db8:64::2/64"]}}
links:
  - endpoints: [a:eth0, b:eth0]
"""

VXLAN = """
name: {name}
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 100, remote: 10.0.0.2, local: 10.0.0.1, dev: eth0,
             mac: "02:00:00:00:10:01", addresses: ["2001:db8:100::1/64"]}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
      vx0: {{type: vxlan, id: 100, remote: 10.0.0.1, local: 10.0.0.2, dev: eth0,
             mac: "02:00:00:00:10:02", addresses: ["2001:db8:100::2/64"]}}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""

MACVLAN = """
name: {name}
nodes:
  host:
    interfaces:
      eth0: {{}}
  ext:
    interfaces:
      eth0: {{mac: "02:00:00:00:fe:01", addresses: ["2001:db8:5::fe/64"]}}
  c1:
    interfaces:
      mv0: {{type: macvlan, link: host:eth0, mode: bridge, mac: "02:00:00:00:05:01",
             addresses: ["2001:db8:5::1/64"]}}
  c2:
    interfaces:
      mv0: {{type: macvlan, link: host:eth0, mode: bridge, mac: "02:00:00:00:05:02",
             addresses: ["2001:db8:5::2/64"]}}
links:
  - endpoints: [host:eth0, ext:eth0]
"""


@pytest.fixture
def engines() -> Iterator[list[LinuxEngine]]:
    made: list[LinuxEngine] = []
    yield made
    for e in made:
        e.teardown()


def build(engines: list[LinuxEngine], text: str, stem: str) -> LinuxEngine:
    lab: LabSpec = load_lab_text(text.format(name=f"{stem}{secrets.token_hex(2)}"))
    missing = features.unsupported_kinds(required_features(lab))
    if missing:
        pytest.skip("; ".join(f"{k}: {v}" for k, v in sorted(missing.items())))
    e = LinuxEngine()
    engines.append(e)
    e.realize(lab)
    return e


def settled(e: LinuxEngine) -> None:
    st = e.observe()
    pending = [(n, a.ifname, a.cidr) for n, ns in st.nodes.items() for a in ns.addrs
               if "tentative" in a.flags]
    assert not pending, pending


def test_ping6_across_vlan(engines: list[LinuxEngine]) -> None:
    e = build(engines, VLAN, "k6vl")
    settled(e)  # pragma: no cover - only on kernels with 8021q
    assert e.ping("a", IPv6Address("2001:db8:64::2"), count=2).received == 2
    ll = e.ping("a", IPv6Address("fe80::ff:fe00:6402"), ifname="eth0.100")
    assert ll.received == 1, ll


def test_ping6_across_vxlan(engines: list[LinuxEngine]) -> None:
    e = build(engines, VXLAN, "k6vx")
    settled(e)
    assert e.ping("h1", IPv6Address("2001:db8:100::2"), count=2).received == 2
    ll = e.ping("h2", IPv6Address("fe80::ff:fe00:1001"), ifname="vx0")
    assert ll.received == 1, ll
    st = e.observe()
    h1 = st.nodes["h1"]
    assert ("vx0", "fe80::ff:fe00:1001/64", "inet6", "link", ()) in {
        (a.ifname, a.cidr, a.family, a.scope, a.flags) for a in h1.addrs}
    # the neighbour resolved through the tunnel, the VTEP learned behind h2's MAC
    n6 = {n.dst: n.lladdr for n in h1.neighs}
    assert n6["2001:db8:100::2"] == "02:00:00:00:10:02"
    assert ("02:00:00:00:10:02", "10.0.0.2") in {(f.mac, f.dst) for f in h1.fdb
                                                  if f.port == "vx0"}


def test_ping6_across_macvlan(engines: list[LinuxEngine]) -> None:
    e = build(engines, MACVLAN, "k6mv")
    settled(e)
    assert e.ping("c1", IPv6Address("2001:db8:5::2"), count=2).received == 2  # bridge mode
    assert e.ping("c1", IPv6Address("2001:db8:5::fe")).received == 1
    assert e.ping("ext", IPv6Address("fe80::ff:fe00:502"), ifname="eth0").received == 1
    host = e.observe().nodes["host"]
    # the children's MACs are unicast addresses of the parent (dev->uc), listed "self"
    own = {f.mac for f in host.fdb if f.port == "eth0" and f.flags == ("self", "permanent")}
    assert {"02:00:00:00:05:01", "02:00:00:00:05:02"} <= own
