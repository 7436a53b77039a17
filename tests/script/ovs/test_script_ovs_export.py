"""``vnetlab export --script`` of labs with ``ovs:``: the OVS lines are the argv both engines
run (``vnetlab.ovsdb.commands``) as sh reads them back, in the build's order; and the
export -> script -> observe round trip holds for the OVS examples (staged in
/work/wt/staging/examples until the lead moves them into examples/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.script.test_script_roundtrip import assert_round_trips
from vnetlab.model import LabSpec, load_lab, load_lab_text
from vnetlab.model.ovs import NETDEV_PORT_TYPES
from vnetlab.ovsdb.commands import ofctl_commands, vsctl_commands
from vnetlab.script.export import OVS_DATAPATH_TYPE, ExportError, export_script
from vnetlab.script.lexer import words

ROOT = Path(__file__).resolve().parents[3]
STAGING = Path("/work/wt/staging/examples")
#: the OVS examples: in examples/ once merged, staged beside the repository until then
OVS_EXAMPLES = sorted({p.name: p for d in (STAGING, ROOT / "examples")
                       for p in d.glob("*ovs*.yaml")}.values())

SMALL = """\
name: smallovs
nodes:
  host:
    interfaces: {veth1: {}}
    ovs:
      br0:
        addresses: [10.0.0.254/24]
        ports:
          veth1: {ofport_request: 1, tag: 10}
          int0: {type: internal, addresses: [10.0.1.1/24]}
          int1: {type: internal, up: false}
        flows: ["table=0,priority=100,in_port=veth1,actions=output(port=int0,max_len=100)"]
        groups: ["group_id=1,type=all,bucket=output:veth1"]
  ns1:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
    routes: [{dst: 10.0.1.0/24, via: 10.0.0.254}]
links:
  - endpoints: [host:veth1, ns1:eth0]
"""


def ovs_lines(text: str) -> list[tuple[str, list[str]]]:
    """(node, argv as sh splits it) of every OVS tool line of a script."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        argv = words(line, 0) if "ovs-" in line else []
        node = "host"
        if argv[:3] == ["ip", "netns", "exec"]:
            node, argv = argv[3], argv[4:]
        if argv and argv[0] in ("ovs-vsctl", "ovs-ofctl"):
            out.append((node, argv))
    return out


def expected_lines(lab: LabSpec) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for node, nspec in lab.nodes.items():
        for bridge, spec in nspec.ovs.items():
            out += [(node, ["ovs-vsctl", *a])
                    for a in vsctl_commands(bridge, spec, OVS_DATAPATH_TYPE)]
            out += [(node, ["ovs-ofctl", *a]) for a in ofctl_commands(bridge, spec)]
    return out


def test_ovs_lines_are_the_engines_argv_read_back_by_sh() -> None:
    lab = load_lab_text(SMALL)
    text = export_script(lab)
    assert ovs_lines(text) == expected_lines(lab)
    lines = text.splitlines()
    first_ovs = next(i for i, ln in enumerate(lines) if ln.startswith("ovs-"))
    last_ovs = max(i for i, ln in enumerate(lines) if ln.startswith("ovs-"))
    # as the emulator's build: the ports exist before they are added, the netdevs
    # ovs-vswitchd made get addresses and come up after the node's own links
    assert lines.index(next(ln for ln in lines if ln.startswith("ip link add name veth1"))) \
        < first_ovs < lines.index("ip link set dev veth1 up")
    up = lines.index("ip link set dev veth1 up")
    assert last_ovs < up
    assert lines[up + 1:up + 5] == ["ip addr add 10.0.0.254/24 dev br0",
                                    "ip link set dev br0 up",
                                    "ip addr add 10.0.1.1/24 dev int0",
                                    "ip link set dev int0 up"]
    assert lines.index("ip -n ns1 route add 10.0.1.0/24 via 10.0.0.254") > up + 4
    assert "ip link set dev int1 up" not in lines
    assert {"internal"} == NETDEV_PORT_TYPES


@pytest.mark.parametrize("path", OVS_EXAMPLES, ids=[p.stem for p in OVS_EXAMPLES])
def test_every_ovs_example_exports_the_engines_argv(path: Path) -> None:
    lab = load_lab(path)
    try:
        text = export_script(lab)
    except ExportError as e:
        pytest.skip(f"no command form: {e}")
    got = ovs_lines(text)
    assert got == expected_lines(lab)
    for node, _ in got:  # a node's OVS lines run in its namespace
        assert node in lab.nodes


@pytest.mark.parametrize("path", OVS_EXAMPLES, ids=[p.stem for p in OVS_EXAMPLES])
def test_ovs_examples_round_trip(path: Path) -> None:
    lab = load_lab(path)
    try:
        export_script(lab)
    except ExportError as e:
        pytest.skip(f"no command form: {e}")
    assert_round_trips(lab, path.name)
