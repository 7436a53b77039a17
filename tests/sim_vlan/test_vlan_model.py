"""The model of 802.1Q: VLAN subinterfaces and bridge VLAN lists (errors name the YAML path)."""

from __future__ import annotations

import textwrap

import pytest

from vnetlab.model import load_lab_text
from vnetlab.model.errors import LabError
from vnetlab.model.spec import DEVICE_KINDS, SPEC_BY_KIND, BridgeSpec, VlanSpec
from vnetlab.sim.build import DEVICE_BUILDERS


def _load(text: str):
    return load_lab_text(textwrap.dedent(text), "lab.yaml")


def _errors(text: str) -> str:
    with pytest.raises(LabError) as exc:
        _load(text)
    return str(exc.value)


def _subif_lab(vid: object, extra: str = "") -> str:
    return f"""\
    name: v
    nodes:
      r:
        interfaces:
          eth0: {{}}
          eth0.1: {{type: vlan, link: eth0, id: {vid}{extra}}}
      h:
        interfaces:
          eth0: {{}}
    links:
      - endpoints: [r:eth0, h:eth0]
    """


def test_vlan_is_a_device_kind_in_every_table() -> None:
    assert "vlan" in DEVICE_KINDS
    assert SPEC_BY_KIND["vlan"] is VlanSpec
    assert "vlan" in DEVICE_BUILDERS


@pytest.mark.parametrize(
    ("vid", "words"),
    [
        (0, "VLAN ID 0 is reserved"),
        (4095, "VLAN ID 4095 is reserved; use 1-4094"),
        (4096, "VLAN ID 4096 is out of range"),
        (-3, "VLAN ID -3 is out of range"),
    ],
)
def test_reserved_and_out_of_range_vids_name_the_yaml_path(vid: int, words: str) -> None:
    msg = _errors(_subif_lab(vid))
    assert words in msg
    assert 'lab.yaml:6: nodes.r.interfaces["eth0.1"].id:' in msg  # file, line, YAML path


def test_valid_vid_gets_the_parents_mtu_and_mac() -> None:
    lab = _load(_subif_lab(100))
    parent = lab.nodes["r"].interfaces["eth0"]
    sub = lab.nodes["r"].interfaces["eth0.1"]
    assert isinstance(sub, VlanSpec)
    assert sub.id == 100 and sub.mtu == parent.mtu == 1500
    assert sub.mac == parent.mac


def test_vlan_mtu_may_not_exceed_the_parent() -> None:
    msg = _errors(_subif_lab(100, ", mtu: 9000"))
    assert 'nodes.r.interfaces["eth0.1"].mtu' in msg
    assert "greater than the mtu 1500 of its link eth0" in msg
    lab = _load(_subif_lab(100, ", mtu: 1400"))
    assert lab.nodes["r"].interfaces["eth0.1"].mtu == 1400


def test_vlan_link_must_exist_and_ids_be_unique_per_link() -> None:
    msg = _errors(
        """\
        name: v
        nodes:
          r:
            interfaces:
              eth0: {type: bridge}
              a: {type: vlan, link: eht0, id: 10}
              b: {type: vlan, link: eth0, id: 20}
              c: {type: vlan, link: eth0, id: 20}
        """
    )
    assert "nodes.r.interfaces.a.link" in msg and 'Cannot find device "eht0"' in msg
    assert "did you mean 'eth0'" in msg
    assert "nodes.r.interfaces.c.id" in msg and "File exists" in msg


def test_bridge_vlan_entries_and_ranges() -> None:
    lab = _load(
        """\
        name: v
        nodes:
          s:
            interfaces:
              br0: {type: bridge, vlan_filtering: true, vlans: [{vid: 100}]}
              p1: {master: br0, bridge_port: {vlans: [{vid: 100, pvid: true, untagged: true}]}}
              p2: {master: br0, bridge_port: {vlans: [{vid: "100-102"}, {vid: "7"}]}}
          h:
            interfaces: {e1: {}, e2: {}}
        links:
          - endpoints: [s:p1, h:e1]
          - endpoints: [s:p2, h:e2]
        """
    )
    br = lab.nodes["s"].interfaces["br0"]
    assert isinstance(br, BridgeSpec) and br.vlan_filtering and br.default_pvid == 1
    p2 = lab.nodes["s"].interfaces["p2"].bridge_port
    assert p2 is not None and p2.vlans is not None
    assert list(p2.vlans[0].vids) == [100, 101, 102] and list(p2.vlans[1].vids) == [7]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{vid: 4095}", "VLAN ID 4095 is reserved"),
        ('{vid: "100-4095"}', "VLAN ID 4095 is reserved"),
        ('{vid: "200-100"}', "runs backwards"),
        ('{vid: "1x"}', "is not a VLAN ID or a range"),
        ('{vid: "100-200", pvid: true}', "pvid cannot be set on the VLAN range"),
    ],
)
def test_bad_bridge_vlan_entries(entry: str, words: str) -> None:
    msg = _errors(
        f"""\
        name: v
        nodes:
          s:
            interfaces:
              br0: {{type: bridge, vlan_filtering: true}}
              p1: {{master: br0, bridge_port: {{vlans: [{entry}]}}}}
          h:
            interfaces: {{e1: {{}}}}
        links:
          - endpoints: [s:p1, h:e1]
        """
    )
    assert words in msg
    assert "nodes.s.interfaces.p1.bridge_port.vlans[0]" in msg


def test_two_pvids_on_one_port_are_refused() -> None:
    msg = _errors(
        """\
        name: v
        nodes:
          s:
            interfaces:
              br0: {type: bridge, vlan_filtering: true}
              p1: {master: br0, bridge_port: {vlans: [{vid: 1, pvid: true}, {vid: 2, pvid: true}]}}
          h:
            interfaces: {e1: {}}
        links:
          - endpoints: [s:p1, h:e1]
        """
    )
    assert "nodes.s.interfaces.p1.bridge_port.vlans[1].pvid" in msg
    assert "more than one PVID" in msg


def test_vlan_up_on_a_down_link_is_refused() -> None:
    lab = _subif_lab(100).replace("eth0: {}", "eth0: {up: false}", 1)
    msg = _errors(lab)
    assert "Network is down" in msg and 'nodes.r.interfaces["eth0.1"].up' in msg


def test_frame_match_and_fdb_check_take_a_vlan() -> None:
    lab = _load(
        """\
        name: v
        nodes:
          s:
            interfaces:
              br0: {type: bridge, vlan_filtering: true}
              p1: {master: br0}
          h:
            interfaces: {e1: {}}
        links:
          - endpoints: [s:p1, h:e1]
        checks:
          - {fdb: s:br0, mac: h:e1, vlan: 1}
          - {frames: s:p1, match: {proto: arp, vlan: 100}}
        """
    )
    assert lab.checks[0].vlan == 1  # type: ignore[union-attr]
    assert lab.checks[1].match.vlan == 100  # type: ignore[union-attr]
