"""Run a lab and its snapshot on the emulator; say where they differ.

The snapshot gets the original's checks (node names are the same). Verdicts and the
observed state are compared through tests/diff/normalize.py, the one place that decides
what the differential tests compare, so "same observed state" means what it means there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vnetlab.model.load import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import Report, run_checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "diff"))
from normalize import ASPECTS, check_statuses, differences  # noqa: E402

__all__ = ["ASPECTS", "run_sim", "snapshot_lab", "compare"]


def snapshot_lab(yaml_text: str, original: LabSpec) -> LabSpec:
    """The snapshot's YAML, loaded as a user would, with the original's checks."""
    lab = load_lab_text(yaml_text, "snapshot.yaml")
    return lab.model_copy(update={"checks": original.checks})


def run_sim(lab: LabSpec) -> tuple[Report, Any]:
    e = SimEngine()
    try:
        e.realize(lab)
        report = run_checks(e, lab)
        return report, e.observe()
    finally:
        e.teardown()


def compare(original: LabSpec, snap: LabSpec,
            before: tuple[Report, Any] | None = None) -> list[str]:
    """Differences between the original and the snapshot on the emulator (empty: none)."""
    r1, s1 = before or run_sim(original)
    r2, s2 = run_sim(snap)
    a, b = check_statuses(r1), check_statuses(r2)
    diff = [f"check {i} {a[i][1]}: original {a[i][2]}, snapshot {b.get(i, ('', '', '?'))[2]}"
            for i in sorted(a) if b.get(i) != a[i]]
    for aspect in ASPECTS:
        diff += [d.replace("kernel has", "snapshot has").replace("emulator has",
                                                                  "original has")
                 .replace("emulator not", "original not").replace("kernel not",
                                                                  "snapshot not")
                 for d in differences(s1, s2, aspect)]
    return diff
