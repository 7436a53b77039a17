"""The loop finder (vnetlab.model.loops): one pure function over the model."""

from __future__ import annotations

from stplab import LOOP, TRIANGLE

from vnetlab.model import load_lab, load_lab_text
from vnetlab.model.loops import find_loops, loop_refusal


def test_the_issue_ring_is_named_as_a_path_of_devices() -> None:
    lab = load_lab(TRIANGLE)
    assert find_loops(lab) == []  # STP is on
    text = TRIANGLE.read_text().replace("stp: true, ", "")
    loops = find_loops(load_lab_text(text))
    assert [lp.describe() for lp in loops] == ["br1:a12 -> br2:a23 -> br3:a31 -> br1"]


def test_one_bridge_with_stp_breaks_the_loop() -> None:
    text = TRIANGLE.read_text()
    text = text.replace('br1: {type: bridge, stp: true', 'br1: {type: bridge, stp: false')
    text = text.replace('br2: {type: bridge, stp: true', 'br2: {type: bridge, stp: false')
    assert find_loops(load_lab_text(text)) == []


def test_multi_node_labels_and_the_refusal_words() -> None:
    loops = find_loops(load_lab(LOOP))
    assert [lp.describe() for lp in loops] == [
        "incident:br1:a12 -> incident:br2:a23 -> incident:br3:a31 -> incident:br1"]
    assert loop_refusal(loops).startswith("layer-2 loop without STP: incident:br1:a12")


def test_a_bridge_wired_to_itself() -> None:
    lab = load_lab_text("""
name: self
nodes:
  h:
    interfaces:
      br0: {type: bridge}
      p1: {master: br0}
      p2: {master: br0}
links:
  - endpoints: [h:p1, h:p2]
""")
    assert [lp.describe() for lp in find_loops(lab)] == ["br0:p1 -> br0"]


def test_two_parallel_links_between_two_bridges() -> None:
    lab = load_lab_text("""
name: par
nodes:
  a:
    interfaces: {br0: {type: bridge}, x1: {master: br0}, x2: {master: br0}}
  b:
    interfaces: {br0: {type: bridge}, y1: {master: br0}, y2: {master: br0}}
links:
  - endpoints: [a:x1, b:y1]
  - endpoints: [a:x2, b:y2]
""")
    assert [lp.describe() for lp in find_loops(lab)] == ["b:br0:y1 -> a:br0:x2 -> b:br0"]


def test_a_vxlan_segment_closes_a_loop_across_nodes() -> None:
    lab = load_lab_text("""
name: vx
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      br0: {type: bridge}
      vx0: {type: vxlan, id: 42, remote: 10.0.0.2, dev: eth0, master: br0}
      l1: {master: br0}
  b:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
      br0: {type: bridge}
      vx0: {type: vxlan, id: 42, remote: 10.0.0.1, dev: eth0, master: br0}
      l2: {master: br0}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [a:l1, b:l2]
""")
    # the veth (links first) makes the tree; the tunnel between the two br0 closes the loop
    assert [lp.describe() for lp in find_loops(lab)] == ["b:br0:l2 -> a:br0:vx0 -> b:br0"]


def test_a_tree_has_no_loop() -> None:
    for path in sorted(TRIANGLE.parent.glob("*.yaml")):
        if path.name != LOOP.name:
            assert find_loops(load_lab(path)) == [], path.name


OVS_LOOP = """
name: ovsloop
nodes:
  h:
    interfaces: {v1: {}, v2: {}}
    ovs:
      br0:
        ports: {v1: {}, v2: {}}
  g:
    interfaces: {w1: {}, w2: {}, br1: {type: bridge}}
links:
  - endpoints: [h:v1, g:w1]
  - endpoints: [h:v2, g:w2]
"""


def test_an_open_vswitch_bridge_in_standalone_mode_floods_like_a_bridge() -> None:
    text = OVS_LOOP.replace("interfaces: {w1: {}, w2: {}, br1: {type: bridge}}",
                            "interfaces: {br1: {type: bridge}, w1: {master: br1}, "
                            "w2: {master: br1}}")
    loops = find_loops(load_lab_text(text))
    assert [lp.describe() for lp in loops] == ["g:br1:w1 -> h:br0:v2 -> g:br1"]
    # secure fail_mode without flows forwards nothing: no loop
    secure = text.replace("      br0:\n", "      br0:\n        fail_mode: secure\n")
    assert find_loops(load_lab_text(secure)) == []
    # flows that say NORMAL flood again
    normal = secure.replace("        fail_mode: secure\n", "        fail_mode: secure\n"
                            "        flows: ['priority=0,actions=NORMAL']\n")
    assert len(find_loops(load_lab_text(normal))) == 1
