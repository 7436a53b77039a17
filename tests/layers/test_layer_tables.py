"""Every device kind the model knows is covered by each layer's explicit table.

DESIGN: adding a kind touches one entry per layer (model kind -> Spec, Spec -> sim
device, Spec -> kernel realizer); each table either has the kind or says why not.
"""

from __future__ import annotations

import ast
from pathlib import Path

from vnetlab.kernel import plan as kernel_plan
from vnetlab.model.devices import DEVICE_KINDS, SPEC_BY_KIND
from vnetlab.sim.build import DEVICE_BUILDERS, UNSUPPORTED

PKG = Path(__file__).resolve().parents[2] / "vnetlab"


def test_model_table_is_the_list_of_kinds() -> None:
    assert tuple(SPEC_BY_KIND) == DEVICE_KINDS
    for kind, spec in SPEC_BY_KIND.items():
        assert spec.model_fields["type"].annotation.__args__ == (kind,), kind  # type: ignore[union-attr]


def test_every_kind_has_an_emulator_builder_or_a_reason() -> None:
    for kind in DEVICE_KINDS:
        assert kind in DEVICE_BUILDERS or kind in UNSUPPORTED, kind


def test_every_kind_has_a_kernel_realizer_or_a_reason() -> None:
    for kind in DEVICE_KINDS:
        assert kind in kernel_plan.REALIZERS or kind in kernel_plan.UNSUPPORTED_KINDS, kind


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _layer_imports(layer: str) -> set[str]:
    found: set[str] = set()
    for path in (PKG / layer).rglob("*.py"):
        found |= {m for m in _imports(path) if m.startswith("vnetlab.")}
    return found


def test_layering_model_imports_nothing_else_of_vnetlab() -> None:
    bad = {m for m in _layer_imports("model") if not m.startswith("vnetlab.model")}
    assert not bad, bad


def test_layering_wire_is_self_contained() -> None:
    bad = {m for m in _layer_imports("wire") if not m.startswith("vnetlab.wire")}
    assert not bad, bad


def test_layering_sim_and_kernel_never_import_each_other() -> None:
    assert not {m for m in _layer_imports("sim") if m.startswith("vnetlab.kernel")}
    assert not {m for m in _layer_imports("kernel") if m.startswith("vnetlab.sim")}
