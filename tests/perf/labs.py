"""Small labs and cost models the perf tests share."""

from __future__ import annotations

from typing import Any

from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.sim.perf.cost import FORMAT, CostModel, parse_costs

VETH_BRIDGE = """
name: perf{n}
nodes:
  a: {{interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}}}
  c: {{interfaces: {{eth0: {{addresses: [10.0.1.1/24]}}}}}}
  d: {{interfaces: {{eth0: {{addresses: [10.0.1.2/24]}}}}}}
  h:
    interfaces:
      br0: {{type: bridge}}
      vc: {{master: br0}}
      vd: {{master: br0}}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [c:eth0, h:vc]
  - endpoints: [d:eth0, h:vd]
checks: {checks}
"""


def lab(checks: str = "[]", n: int = 1) -> LabSpec:
    return load_lab_text(VETH_BRIDGE.format(n=n, checks=checks))


def costs(**kinds: dict[str, Any]) -> CostModel:
    return parse_costs({"format": FORMAT, "date": "test", "kinds": kinds}, "test-costs")
