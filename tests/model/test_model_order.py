"""The build order computed once from the model (vnetlab.model.order), and the stacking
loops resolve() refuses because no creation order exists."""

from __future__ import annotations

import textwrap

import pytest

from vnetlab.model import LabError, load_lab_text
from vnetlab.model.order import build_order, stack_cycle, stack_depths
from vnetlab.model.spec import MacvlanSpec, VethSpec, VlanSpec, VxlanSpec


def _lab(text: str) -> LabError:
    with pytest.raises(LabError) as e:
        load_lab_text(textwrap.dedent(text).lstrip("\n"), "lab.yaml")
    return e.value


def test_each_device_comes_after_what_it_stacks_on_across_nodes() -> None:
    nodes = {
        "c1": {"mv0": MacvlanSpec(type="macvlan", link="host:eth0.10")},
        "host": {
            "vx0": VxlanSpec(type="vxlan", id=1, dev="eth0.10"),
            "eth0.10": VlanSpec(type="vlan", link="eth0", id=10),
            "eth0": VethSpec(),
        },
    }
    order = build_order(nodes)
    pos = {k: i for i, k in enumerate(order)}
    assert pos[("host", "eth0")] < pos[("host", "eth0.10")] < pos[("host", "vx0")]
    assert pos[("host", "eth0.10")] < pos[("c1", "mv0")]
    assert stack_depths(nodes)[("c1", "mv0")] == 2
    assert sorted(order) == sorted(k for k in pos)  # every device exactly once
    assert stack_cycle(nodes) is None


def test_order_is_stable_by_node_then_interface_within_a_depth() -> None:
    nodes = {"b": {"z": VethSpec(), "a": VethSpec()}, "a": {"m": VethSpec()}}
    assert build_order(nodes) == [("b", "z"), ("b", "a"), ("a", "m")]


def test_a_long_chain_never_recurses() -> None:
    n = 3000
    ifaces = {"e0": VethSpec(), **{f"v{i}": VlanSpec(type="vlan", link=f"v{i - 1}" if i else "e0",
                                                      id=1) for i in range(n)}}
    order = build_order({"a": ifaces})
    assert order[0] == ("a", "e0") and order[-1] == ("a", f"v{n - 1}")


def test_a_loop_across_kinds_is_refused_with_its_members() -> None:
    err = _lab("""
        name: t
        nodes:
          a:
            interfaces:
              x: {type: vlan, link: y, id: 10}
              y: {type: macvlan, link: x}
        """)
    assert "a:x -> a:y -> a:x" in str(err) and "lab.yaml:5: nodes.a.interfaces.x.link" in str(err)


def test_a_loop_across_nodes_is_refused() -> None:
    err = _lab("""
        name: t
        nodes:
          a:
            interfaces:
              y: {type: macvlan, link: "b:z"}
          b:
            interfaces:
              z: {type: ipvlan, link: "a:y"}
        """)
    assert "a:y -> b:z -> a:y" in str(err)
