"""VLAN, VXLAN, Geneve and bridge VLAN filtering on the linux engine.

Realizers are tested through ``plan()`` (shell output, no root); refusals are tested with
the reasons ``features`` detects. The kernel tests build what this kernel has (VXLAN) and
skip, with the detected reason, what it lacks (8021q, geneve, bridge vlan_filtering).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from vnetlab.engine import UnsupportedError
from vnetlab.kernel import features
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS
from vnetlab.kernel.kinds.bridge import BRIDGE_VLAN_FILTERING
from vnetlab.kernel.plan import plan, plan_script, required_features
from vnetlab.model import load_lab_text
from vnetlab.model.kinds import DEVICE_KINDS
from vnetlab.model.spec import LabSpec


def lab_yaml(text: str) -> LabSpec:
    return load_lab_text(text)


VXLAN_LAB = """
name: {name}
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 100, remote: 10.0.0.2, local: 10.0.0.1, dev: eth0,
             addresses: [192.168.100.1/24], mac: "02:00:00:00:10:01"}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
      vx0: {{type: vxlan, id: 100, dstport: 8472, dev: eth0, ttl: 64, df: set,
             addresses: [192.168.100.2/24], mac: "02:00:00:00:10:02",
             fdb: [{{mac: "00:00:00:00:00:00", dst: 10.0.0.1}},
                   {{mac: "00:00:00:00:00:00", dst: 10.0.0.9}}]}}
links:
  - endpoints: [h1:eth0, h2:eth0]
checks:
  - ping: h1 -> 192.168.100.2
"""

VLAN_LAB = """
name: vl
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      eth0.100: {type: vlan, link: eth0, id: 100, addresses: [10.100.0.1/24]}
  br:
    interfaces:
      br0: {type: bridge, vlan_filtering: true,
            vlans: [{vid: 100}]}
      p1: {master: br0, bridge_port: {vlans: [{vid: 100, pvid: true, untagged: true}]}}
      p2: {master: br0, bridge_port: {vlans: [{vid: "100-200"}]}}
  b:
    interfaces:
      eth0: {}
links:
  - endpoints: [a:eth0, br:p2]
  - endpoints: [b:eth0, br:p1]
"""

GENEVE_LAB = """
name: gn
nodes:
  h1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      gn0: {type: geneve, id: 7, remote: 10.0.0.2, ttl: 32, df: inherit,
            addresses: [192.168.7.1/24]OPTIONS}
  h2:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
links:
  - endpoints: [h1:eth0, h2:eth0]
"""


def shell(lab: LabSpec) -> list[str]:
    return [op.shell() for op in plan(lab)]


def test_every_kind_has_a_realizer_or_a_reason() -> None:
    for kind in DEVICE_KINDS:
        assert kind in KINDS or kind in UNSUPPORTED_KINDS, kind
    assert not {"vlan", "vxlan", "geneve"} & set(UNSUPPORTED_KINDS)


def test_vxlan_plan_shell() -> None:
    lines = shell(lab_yaml(VXLAN_LAB.format(name="vxp")))
    vx1 = next(s for s in lines if "vnl-vxp.h1 link add vx0" in s)
    assert vx1 == ("ip -n vnl-vxp.h1 link add vx0 address 02:00:00:00:10:01 mtu 1450 "
                   "group 30318 type vxlan id 100 dstport 8472 local 10.0.0.1 remote 10.0.0.2 "
                   "dev eth0")
    vx2 = next(s for s in lines if "vnl-vxp.h2 link add vx0" in s)
    assert vx2.endswith("type vxlan id 100 dstport 8472 dev eth0 ttl 64 df set")
    fdb = [s for s in lines if " fdb append " in s]
    assert fdb == [
        "bridge -n vnl-vxp.h2 fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.1",
        "bridge -n vnl-vxp.h2 fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.9",
    ]
    # the underlay veth exists before the vxlan that names it as dev
    veth = next(i for i, s in enumerate(lines) if "type veth" in s)
    assert veth < lines.index(vx1)
    # nolearning
    lab = lab_yaml(VXLAN_LAB.format(name="vxq").replace("ttl: 64,", "learning: false,"))
    assert any(s.endswith("dev eth0 df set nolearning") for s in shell(lab))


def test_vlan_and_bridge_vlan_plan_shell() -> None:
    lines = shell(lab_yaml(VLAN_LAB))
    assert ("ip -n vnl-vl.a link add link eth0 name eth0.100 address "
            in next(s for s in lines if "type vlan" in s))
    assert next(s for s in lines if "type vlan" in s).endswith(" mtu 1500 group 30318 type "
                                                               "vlan id 100")
    assert any(s.endswith("type bridge stp_state 0 ageing_time 30000 vlan_filtering 1 "
                          "vlan_default_pvid 1") for s in lines)
    vl = [s for s in lines if " vlan " in s and s.startswith("bridge")]
    assert vl == [
        "bridge -n vnl-vl.br vlan del vid 1 dev p1",
        "bridge -n vnl-vl.br vlan add vid 100 dev p1 pvid untagged",
        "bridge -n vnl-vl.br vlan del vid 1 dev p2",
        "bridge -n vnl-vl.br vlan add vid 100-200 dev p2",
        "bridge -n vnl-vl.br vlan del vid 1 dev br0 self",
        "bridge -n vnl-vl.br vlan add vid 100 dev br0 self",
    ]
    # ports join the bridge before their VLANs are set
    assert lines.index("ip -n vnl-vl.br link set p1 master br0") < lines.index(vl[0])
    assert BRIDGE_VLAN_FILTERING in required_features(lab_yaml(VLAN_LAB))


def test_geneve_plan_shell() -> None:
    lines = shell(lab_yaml(GENEVE_LAB.replace("OPTIONS", "")))
    gn = next(s for s in lines if "type geneve" in s)
    assert gn.endswith("type geneve id 7 remote 10.0.0.2 ttl 32 df inherit")


def test_geneve_options_are_refused_at_plan_time() -> None:
    opts = ", options: [{class: 0x0102, type: 0x80, data: '00000007'}]"
    with pytest.raises(UnsupportedError, match="geneve with options.*no option TLVs"):
        plan(lab_yaml(GENEVE_LAB.replace("OPTIONS", opts)))


def test_missing_kernel_features_are_refused_at_plan_time() -> None:
    why = {"vlan": "this kernel has no vlan support (module missing: EOPNOTSUPP)",
           BRIDGE_VLAN_FILTERING: "no VLAN filtering here"}
    with pytest.raises(UnsupportedError) as e:
        plan(lab_yaml(VLAN_LAB), unsupported=why)
    msg = str(e.value)
    assert "a:eth0.100 is a vlan: this kernel has no vlan support" in msg
    assert "br:br0 is a bridge with vlan_filtering: no VLAN filtering here" in msg
    assert plan_script(lab_yaml(VLAN_LAB)).count("\n") > 10  # the dry-run script still prints


# -- on this kernel ----------------------------------------------------------------------

def _detected(key: str) -> str | None:
    return features.unsupported_kinds([key]).get(key)


@pytest.fixture
def engines() -> Iterator[list[LinuxEngine]]:
    made: list[LinuxEngine] = []
    yield made
    for e in made:
        e.teardown()


@pytest.mark.kernel
@pytest.mark.parametrize("key,text", [("vlan", VLAN_LAB), ("geneve", GENEVE_LAB),
                                      (BRIDGE_VLAN_FILTERING, VLAN_LAB)],
                         ids=["vlan", "geneve", "vlan_filtering"])
def test_engine_refuses_what_the_kernel_lacks(key: str, text: str,
                                              engines: list[LinuxEngine]) -> None:
    reason = _detected(key)
    if reason is None:
        pytest.skip(f"this kernel has {key}; nothing to refuse")
    e = LinuxEngine()
    engines.append(e)
    lab = lab_yaml(text.replace("OPTIONS", ""))
    with pytest.raises(UnsupportedError, match="cannot build this lab") as err:
        e.realize(lab)
    assert reason in str(err.value)
    assert e.record is None


@pytest.mark.kernel
@pytest.mark.parametrize("key,text", [("vlan", VLAN_LAB), ("geneve", GENEVE_LAB)],
                         ids=["vlan", "geneve"])
def test_builds_where_the_kernel_has_it(key: str, text: str,
                                        engines: list[LinuxEngine]) -> None:
    lab = lab_yaml(text.replace("OPTIONS", ""))
    missing = features.unsupported_kinds(required_features(lab))
    if missing:
        pytest.skip("; ".join(f"{k}: {v}" for k, v in sorted(missing.items())))
    e = LinuxEngine()
    engines.append(e)
    e.realize(lab)  # pragma: no cover - only on kernels with 8021q/geneve/vlan filtering
    kinds = {ln.kind for n in e.observe().nodes.values() for ln in n.links}
    assert key.split("-")[0] in kinds or key == BRIDGE_VLAN_FILTERING


@pytest.mark.kernel
def test_vxlan_ping_and_learned_vtep(engines: list[LinuxEngine]) -> None:
    reason = _detected("vxlan")
    if reason is not None:
        pytest.skip(reason)
    lab = lab_yaml(VXLAN_LAB.format(name="kvx"))
    e = LinuxEngine()
    engines.append(e)
    e.realize(lab)
    r = e.ping("h1", IPv4Address("192.168.100.2"), count=2)
    assert r.received == 2, r
    st = e.observe()
    h1, h2 = st.nodes["h1"], st.nodes["h2"]
    vx = h1.link("vx0")
    assert (vx.kind, vx.mtu, vx.mac, vx.operstate) == ("vxlan", 1450, "02:00:00:00:10:01",
                                                       "UNKNOWN")
    assert h2.link("vx0").mtu == 1450
    f1 = {(f.mac, f.dst, f.flags) for f in h1.fdb if f.port == "vx0"}
    # remote 10.0.0.2 made the all-zeros default entry; h2's MAC was learned behind its VTEP
    assert ("00:00:00:00:00:00", "10.0.0.2", ("self", "permanent")) in f1
    assert ("02:00:00:00:10:02", "10.0.0.2", ("self",)) in f1
    f2 = {(f.mac, f.dst, f.flags) for f in h2.fdb if f.port == "vx0"}
    assert ("00:00:00:00:00:00", "10.0.0.1", ("self", "permanent")) in f2
    assert ("00:00:00:00:00:00", "10.0.0.9", ("self", "permanent")) in f2  # appended
    assert ("02:00:00:00:10:01", "10.0.0.1", ("self",)) in f2
    # the overlay neighbour resolved through the tunnel
    assert {n.dst: n.lladdr for n in h1.neighs}["192.168.100.2"] == "02:00:00:00:10:02"
    # a bound VXLAN refuses the underlay's MTU (the 50-byte headroom, vxlan_config_apply)
    refused = e.exec("h1", ["ip", "link", "set", "vx0", "mtu", "1500"], capture=True)
    assert isinstance(refused, subprocess.CompletedProcess) and refused.returncode != 0
