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

__all__ = ["ASPECTS", "compare", "run_sim", "snapshot_lab", "with_programs",
           "with_unseen_nic_state"]


def snapshot_lab(yaml_text: str, original: LabSpec) -> LabSpec:
    """The snapshot's YAML, loaded as a user would, with the original's checks and the
    seed they run with: a host has no seed (netem's random state is the kernel's own and
    is not carried; the header says so), the seed belongs to the experiment, like its
    checks, and the loss/rtt bounds of the impairment examples were written for it."""
    lab = load_lab_text(yaml_text, "snapshot.yaml")
    return lab.model_copy(update={"checks": original.checks, "seed": original.seed})


def with_unseen_nic_state(snap: LabSpec, original: LabSpec) -> LabSpec:
    """SNAP with what a host cannot see of its NICs put back: the cable (``wire``: the
    other end of a cable is another machine) and the driver's queueing (descriptor pool,
    rings, isolation mode, a VF consumer stalled on purpose): what a user who knows the
    cabling and the driver adds to a snapshot by hand."""
    from vnetlab.model.kinds.nic import NicSpec

    nodes = dict(snap.nodes)
    for name, node in original.nodes.items():
        for ifname, spec in node.interfaces.items():
            if not isinstance(spec, NicSpec):
                continue
            target = nodes[name].interfaces.get(ifname)
            assert isinstance(target, NicSpec), f"{name}:{ifname} is not a nic in the snapshot"
            update: dict[str, Any] = {"wire": spec.wire}
            if spec.sriov is not None and target.sriov is not None:
                vfs = {n: target.sriov.vfs.get(n, s).model_copy(
                    update={"ring": s.ring, "stalled": s.stalled})
                    for n, s in spec.sriov.vfs.items()}
                update["sriov"] = target.sriov.model_copy(update={
                    "descriptors": spec.sriov.descriptors, "ring": spec.sriov.ring,
                    "isolation": spec.sriov.isolation, "vfs": {**target.sriov.vfs, **vfs}})
            ifaces = dict(nodes[name].interfaces)
            ifaces[ifname] = target.model_copy(update=update)
            nodes[name] = nodes[name].model_copy(update={"interfaces": ifaces})
    return snap.model_copy(update={"nodes": nodes})


def with_programs(snap: LabSpec, original: LabSpec) -> LabSpec:
    """SNAP with the original's TUN/TAP programs (and owners) put back: what a user who
    knows which program runs behind a device adds to a snapshot by hand."""
    from vnetlab.model.kinds.tuntap import TuntapSpec

    nodes = dict(snap.nodes)
    for name, node in original.nodes.items():
        for ifname, spec in node.interfaces.items():
            if not isinstance(spec, TuntapSpec) or spec.program is None:
                continue
            target = nodes[name].interfaces.get(ifname)
            assert target is not None, f"{name}:{ifname} missing from the snapshot"
            ifaces = dict(nodes[name].interfaces)
            ifaces[ifname] = target.model_copy(update={
                "program": spec.program, "user": spec.user, "group": spec.group})
            nodes[name] = nodes[name].model_copy(update={"interfaces": ifaces})
    return snap.model_copy(update={"nodes": nodes})


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
