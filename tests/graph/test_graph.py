"""``vnetlab graph``: every example lab drawn, every device and link in the SVG.

The SVG is Graphviz's own output (the distribution's ``dot``), parsed as XML: each drawn
element carries the id the DOT document gave it (``ns:NODE``, ``if:NODE:IFNAME``,
``edge:KIND:A--B``) and Graphviz's ``<title>`` (the node id, or ``A--B`` for an edge), so
the test reads back what Graphviz drew, not what we asked for.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.clilab import invoke
from vnetlab.api import make_engine
from vnetlab.model import load_lab
from vnetlab.model.spec import LabSpec
from vnetlab.tools.graph import build_topology, run_dot, to_dot, to_mermaid

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(ROOT.glob("examples/*.yaml"))
SVG_NS = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is missing (Debian package graphviz)")


def _drawn(svg: bytes) -> dict[str, dict[str, str]]:
    """class ("cluster", "node", "edge") -> {svg id: title} of what Graphviz drew."""
    root = ET.fromstring(svg)
    out: dict[str, dict[str, str]] = {"cluster": {}, "node": {}, "edge": {}}
    for g in root.iter(f"{SVG_NS}g"):
        cls = g.get("class")
        if cls in out:
            title = g.find(f"{SVG_NS}title")
            out[cls][g.get("id", "")] = title.text or "" if title is not None else ""
    return out


def _ovs_names(lab: LabSpec) -> list[tuple[str, str]]:
    return [(node, name) for node, ns in lab.nodes.items() for br, b in ns.ovs.items()
            for name in (br, *b.ports)]


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_node_device_and_link_is_in_the_svg(path: Path) -> None:
    lab = load_lab(path)
    svg = run_dot(to_dot(build_topology(lab)), "svg")
    drawn = _drawn(svg)
    for node, ns in lab.nodes.items():
        assert drawn["cluster"].get(f"ns:{node}") == f"cluster_{node}", node
        for ifname in ns.interfaces:
            assert drawn["node"].get(f"if:{node}:{ifname}") == f"{node}:{ifname}"
    for node, name in _ovs_names(lab):
        assert drawn["node"].get(f"if:{node}:{name}") == f"{node}:{name}"
    for link in lab.links:
        a, b = (str(ep) for ep in link.endpoints)
        assert drawn["edge"].get(f"edge:veth:{a}--{b}") == f"{a}--{b}", (a, b)
    # bridge ports: one edge bridge -- port each
    for node, ns in lab.nodes.items():
        for ifname, spec in ns.interfaces.items():
            if spec.master is not None:
                key = f"edge:port:{node}:{spec.master}--{node}:{ifname}"
                assert key in drawn["edge"], key


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_dot_has_a_cluster_per_node_holding_its_devices(path: Path) -> None:
    lab = load_lab(path)
    dot = to_dot(build_topology(lab))
    assert dot.startswith(f'graph "{lab.name}" {{') and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    for node, ns in lab.nodes.items():
        start = dot.index(f'subgraph "cluster_{node}" {{')
        body = dot[start:dot.index("\n  }", start)]
        for ifname in ns.interfaces:
            assert f'\n    "{node}:{ifname}" [' in body, (node, ifname)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_mermaid_has_every_device_and_edge(path: Path) -> None:
    lab = load_lab(path)
    topo = build_topology(lab)
    text = to_mermaid(topo)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    legend = 1 if topo.vlans else 0
    assert sum(ln.strip().startswith("subgraph ns") for ln in lines) == len(lab.nodes)
    assert sum(ln.strip() == "end" for ln in lines) == len(lab.nodes) + legend
    for vid in topo.vlans:
        assert f'    vlan{vid}["VLAN {vid}"]' in lines
    commented = {ln.strip()[3:] for ln in lines if ln.strip().startswith("%% ")}
    assert set(topo.vertices) <= commented
    edges = [ln for ln in lines if re.match(r"^  d\d+ (---|-\.-)", ln)]
    assert len(edges) == len(topo.edges)


def test_vlans_are_colours_with_a_legend() -> None:
    lab = load_lab(ROOT / "examples" / "vlan-trunk.yaml")
    topo = build_topology(lab)
    assert topo.vlans == [100, 200]  # the trunk's 100-200 range is its named VLANs only
    dot = to_dot(topo)
    trunk = next(ln for ln in dot.splitlines() if '"sw1:trunk" -- "sw2:trunk"' in ln)
    assert 'color="#1f77b4:#d62728"' in trunk  # both VLANs: two parallel lines
    access = next(ln for ln in dot.splitlines() if '"sw1:p1" -- "h1:eth0"' in ln)
    assert 'color="#1f77b4"' in access
    assert 'label="VLAN 100"' in dot and 'label="VLAN 200"' in dot
    sub = next(ln for ln in dot.splitlines() if ln.strip().startswith('"r1:eth0.200"'))
    assert 'color="#d62728"' in sub


def test_tunnels_are_dashed_between_vteps_with_their_vni() -> None:
    lab = load_lab(ROOT / "examples" / "k8s-flannel.yaml")
    tunnels = [e for e in build_topology(lab).edges if e.kind == "tunnel"]
    pairs = {frozenset((e.a, e.b)) for e in tunnels}
    assert pairs == {frozenset(p) for p in [("node1:flannel.1", "node2:flannel.1"),
                                            ("node1:flannel.1", "node3:flannel.1"),
                                            ("node2:flannel.1", "node3:flannel.1")]}
    assert {e.label for e in tunnels} == {"VNI 1"}
    dot = to_dot(build_topology(lab))
    for line in (ln for ln in dot.splitlines() if "edge:tunnel:" in ln):
        assert 'style="dashed"' in line and 'label="VNI 1"' in line
    # an OVS tunnel port pairs with the other host's
    ovs = load_lab(ROOT / "examples" / "ovs-vxlan.yaml")
    assert [(e.a, e.b, e.label) for e in build_topology(ovs).edges if e.kind == "tunnel"] \
        == [("host1:vxlan0", "host2:vxlan0", "VNI 100")]


@pytest.mark.parametrize("name", ["ovs-vlan", "ovs-pipeline", "ovs-vxlan",
                                  "exercise4-ovs-mirror"])
def test_ovs_port_numbers_are_the_ones_vswitchd_gives(name: str) -> None:
    """The emulated ovs-vswitchd (``alloc_ofp_port``) is the oracle for the labels."""
    lab = load_lab(ROOT / "examples" / f"{name}.yaml")
    topo = build_topology(lab)
    eng = make_engine("sim")
    eng.realize(lab)
    try:
        for node, ns in eng.namespaces.items():  # type: ignore[attr-defined]
            if ns.vswitchd is None:
                continue
            for brname, br in ns.vswitchd.bridges.items():
                for ofport, xport in br.xports.items():
                    if xport.name == brname:
                        continue
                    edge = next(e for e in topo.edges if e.kind == "port"
                                and e.a == f"{node}:{brname}" and e.b == f"{node}:{xport.name}")
                    assert edge.label.split()[:2] == ["ofport", str(ofport)], edge
    finally:
        eng.teardown()


@needs_dot
def test_cli_writes_each_format(tmp_path: Path) -> None:
    lab = str(ROOT / "examples" / "container-host.yaml")
    for fmt, magic in (("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n"),
                       ("dot", b'graph "container-host"'), ("mermaid", b"flowchart LR")):
        out = tmp_path / f"lab.{fmt}"
        code, _, err = invoke("graph", lab, "-o", str(out), "--format", fmt)
        assert code == 0, err
        assert out.read_bytes().startswith(magic), fmt
    code, _, _ = invoke("graph", lab, "-o", str(tmp_path / "x.mmd"))  # format from suffix
    assert code == 0 and (tmp_path / "x.mmd").read_text().startswith("flowchart LR")
    code, out_text, _ = invoke("graph", lab, "--format", "dot")  # standard output
    assert code == 0 and out_text.startswith('graph "container-host" {')


@needs_dot
def test_cli_trace_draws_the_path_and_the_verdict(tmp_path: Path) -> None:
    lab = str(ROOT / "examples" / "container-host.yaml")
    out = tmp_path / "trace.svg"
    code, _, err = invoke("graph", lab, "-o", str(out), "--trace", "a", "192.0.2.254")
    assert code == 0, err
    assert "verdict: delivered to internet:eth0 (192.0.2.254)" in err
    svg = out.read_bytes()
    root = ET.fromstring(svg)
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    assert "verdict: delivered to internet:eth0 (192.0.2.254)" in texts
    drawn = _drawn(svg)
    assert drawn["edge"]["edge:veth:host:veth0a--a:eth0"]
    highlighted = set()
    for g in root.iter(f"{SVG_NS}g"):
        if g.get("class") == "edge" and any(
                p.get("stroke") == "#e4007c" for p in g.iter(f"{SVG_NS}path")):
            highlighted.add(g.get("id"))
    assert {"edge:veth:host:veth0a--a:eth0", "edge:port:host:br0--host:veth0a",
            "edge:veth:host:eth0--internet:eth0"} <= highlighted
    assert not any("veth0b" in h for h in highlighted)  # container b is not on the path


def test_cli_errors_are_one_paragraph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = str(ROOT / "examples" / "container-host.yaml")
    code, _, err = invoke("graph", lab, "--trace", "nosuch", "192.0.2.254")
    assert code == 2 and "no node 'nosuch'" in err and "Traceback" not in err
    code, _, err = invoke("graph", lab, "--trace", "a", "192.0.2")
    assert code == 2 and "not an IPv4 address" in err
    code, _, err = invoke("graph", lab, "-o", str(tmp_path / "no" / "dir" / "x.svg"),
                          "--format", "dot")
    assert code == 2 and "cannot write" in err
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    code, _, err = invoke("graph", lab, "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "dot was not found" in err and "apt-get install graphviz" in err
    code, _, _ = invoke("graph", lab, "-o", str(tmp_path / "x.dot"))  # text needs no dot
    assert code == 0


def test_serve_refuses_other_addresses_without_the_flag() -> None:
    lab = str(ROOT / "examples" / "container-host.yaml")
    code, _, err = invoke("serve", lab, "--bind", "0.0.0.0")
    assert code == 2 and "--i-know-this-exposes-the-lab" in err


SRIOV_LAB = """\
name: sriov-graph
nodes:
  host:
    interfaces:
      eth0:
        type: nic
        wire: tor:eth0
        sriov:
          numvfs: 4
          vfs: {0: {vlan: 100}, 1: {vlan: 100}, 2: {vlan: 200, spoofchk: false}}
  tor:
    interfaces:
      eth0: {type: nic, wire: host:eth0, addresses: [10.0.0.254/24]}
  ns1:
    interfaces:
      eth0v0: {type: vf, link: host:eth0, vf: 0, addresses: [10.0.0.1/24]}
  ns2:
    interfaces:
      eth0v1: {type: vf, link: host:eth0, vf: 1, addresses: [10.0.0.2/24]}
"""


@needs_dot
def test_sriov_pf_with_its_vfs_wherever_they_live(tmp_path: Path) -> None:
    path = tmp_path / "sriov.yaml"
    path.write_text(SRIOV_LAB)
    lab = load_lab(path)
    topo = build_topology(lab)
    vfs = {e.b: e.label for e in topo.edges if e.kind == "vf"}
    # the two placed VFs and the two resolve() left in the PF's node as eth0v{N}
    assert vfs == {"ns1:eth0v0": "VF 0 vlan 100", "ns2:eth0v1": "VF 1 vlan 100",
                   "host:eth0v2": "VF 2 vlan 200 spoofchk off", "host:eth0v3": "VF 3"}
    assert all(e.a == "host:eth0" for e in topo.edges if e.kind == "vf")
    # both ends name each other: still one cable
    assert [(e.a, e.b) for e in topo.edges if e.kind == "wire"] == [("host:eth0", "tor:eth0")]
    assert topo.vlans == [100, 200]
    assert "10G SR-IOV 4/8 VFs (per-vf)" in topo.vertices["host:eth0"].details
    drawn = _drawn(run_dot(to_dot(topo), "svg"))
    for vf in vfs:
        assert f"edge:vf:host:eth0--{vf}" in drawn["edge"]
        assert f"if:{vf}" in drawn["node"]


@needs_dot
def test_cli_trace_of_a_drop_exits_1_with_the_picture(tmp_path: Path) -> None:
    lab = str(ROOT / "examples" / "container-host.yaml")
    out = tmp_path / "drop.svg"
    code, _, err = invoke("graph", lab, "-o", str(out), "--trace", "a", "198.51.100.7")
    assert code == 1
    verdict = "verdict: dropped at host: no route to 198.51.100.7: ICMP net unreachable " \
        "to 192.168.1.2"
    assert verdict in err
    texts = [t.text or "" for t in ET.fromstring(out.read_bytes()).iter(f"{SVG_NS}text")]
    assert verdict in texts


BAD_LABS = {  # as tests/cli/test_cli_bad_input.py feeds every other command
    "syntax": "name: x\nnodes: [\n",
    "unknown-key": "name: x\nnodes:\n  a:\n    interfaces:\n      eth0: {adresses: []}\n",
    "not-a-map": "- 1\n- 2\n",
    "empty": "",
    "binary": "\x00\x01\x02",
}


@pytest.mark.parametrize("kind", sorted(BAD_LABS))
@pytest.mark.parametrize("args", [("graph", "LAB"), ("graph", "LAB", "--format", "mermaid"),
                                  ("graph", "LAB", "--trace", "a", "10.0.0.9"),
                                  ("serve", "LAB")])
def test_a_bad_lab_is_one_clean_error(tmp_path: Path, kind: str, args: tuple[str, ...]) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_bytes(BAD_LABS[kind].encode())
    code, out, err = invoke(*(str(lab) if a == "LAB" else a for a in args))
    assert code == 2 and out == ""
    assert "lab.yaml" in err and "Traceback" not in err
