"""The YAML walk builds each path from its parent's (``child_path``): the same text
``format_path`` makes from the whole tuple, and the same line map as before for a lab with
every kind of segment (quoted sysctl keys, list indexes, merge keys)."""

from __future__ import annotations

import pytest

from vnetlab.model.errors import format_path
from vnetlab.model.load import parse_yaml
from vnetlab.model.yaml_lines import child_path

SEGMENTS: list[object] = ["nodes", "a b", "net.ipv4.ip_forward", 0, 17, "x[1]", "q'uote",
                          'd"q', True, 3.5, "", "ü", None]


@pytest.mark.parametrize("n", range(1, 5))
def test_child_path_matches_format_path(n: int) -> None:
    for start in range(len(SEGMENTS)):
        segs = [SEGMENTS[(start + i * 3) % len(SEGMENTS)] for i in range(n)]
        path = ""
        for i, seg in enumerate(segs):
            path = child_path(path, seg)
            assert path == format_path(segs[: i + 1])


LAB = """\
name: t
base: &b {mtu: 1400}
nodes:
  host:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      br0: {type: bridge, addresses: [10.0.0.1/24, 10.0.1.1/24]}
      v0:
        <<: *b
        master: br0
  "odd name":
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
"""


#: the line map the loader gave for LAB before the walk built paths incrementally
EXPECTED = {
    "": 1, "name": 1, "base": 2, "base.mtu": 2, "nodes": 3, "nodes.host": 4,
    "nodes.host.sysctls": 5, 'nodes.host.sysctls["net.ipv4.ip_forward"]': 5,
    "nodes.host.interfaces": 6, "nodes.host.interfaces.br0": 7,
    "nodes.host.interfaces.br0.type": 7, "nodes.host.interfaces.br0.addresses": 7,
    "nodes.host.interfaces.br0.addresses[0]": 7, "nodes.host.interfaces.br0.addresses[1]": 7,
    "nodes.host.interfaces.v0": 8, "nodes.host.interfaces.v0.master": 10,
    # a merged key gets the line of the merged mapping (the anchor's node)
    "nodes.host.interfaces.v0.mtu": 2,
    'nodes["odd name"]': 11, 'nodes["odd name"].interfaces': 12,
    'nodes["odd name"].interfaces.eth0': 12, 'nodes["odd name"].interfaces.eth0.addresses': 12,
    'nodes["odd name"].interfaces.eth0.addresses[0]': 12,
}


def test_line_map_of_a_lab() -> None:
    _, lines = parse_yaml(LAB)
    assert lines == EXPECTED
