"""Whatever lab comes in, lint answers with findings or a LabError — never a traceback.

Hypothesis mutates the example labs and the rule labs as data (a value replaced, a key
removed, a list entry duplicated), so most mutants still parse but no longer resolve or
resolve into odd corners (a route via a missing gateway, a vxlan without an underlay, a
flow with a dangling port). Derandomized in CI; ``VNETLAB_FUZZ_EXAMPLES=N`` runs more.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lint.labs import CASES
from vnetlab.lint.runner import lint_text
from vnetlab.model.errors import LabError

ROOT = Path(__file__).resolve().parents[2]
DOCS = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "examples").glob("*.yaml"))]
DOCS += [yaml.safe_load(c[2]) for c in CASES] + [yaml.safe_load(c[3]) for c in CASES]
N = int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=N, deadline=None,
                derandomize="VNETLAB_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VALUES: list[Any] = [None, 0, 1, -1, 1500, 9000, 68, "", "eth0", "br0", "h1:eth0", "10.0.0.1",
                     "10.0.0.1/24", "224.0.0.1", [], {}, True, "in_port=9,actions=NORMAL",
                     "priority=1,actions=drop", "secure", "private", "vepa", 42, 4789]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], how: int, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    if not path:
        return doc
    parent = doc
    for seg in path[:-1]:
        parent = parent[seg]
    last = path[-1]
    if how == 0:
        parent[last] = value
    elif how == 1:
        del parent[last]
    elif isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        parent[f"{last}x"] = copy.deepcopy(parent[last])
    return doc


@FUZZ
@given(st.data())
def test_lint_never_crashes(data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(DOCS))
    path = data.draw(st.sampled_from(_paths(doc)))
    how = data.draw(st.integers(0, 2))
    value = data.draw(st.sampled_from(VALUES))
    text = yaml.safe_dump(_mutate(doc, path, how, value), sort_keys=False)
    try:
        result = lint_text(text, "fuzz.yaml")
    except LabError:
        return
    for f in result.findings:
        assert f.problem.message
        assert f.problem.line is None or 1 <= f.problem.line <= text.count("\n") + 1
