"""Run a security example on one engine and collect what its proofs need."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from vnetlab.engine import Engine
from vnetlab.model.load import load_lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Outcome:
    failed: list[str]
    attacker: Counter[str]
    listing: str


def run_example(e: Engine, stem: str, listing: str = "", program: str = "host:atk0") -> Outcome:
    """Checks of ``examples/STEM.yaml`` on ``e``; the counters of the attacker's program
    (``program``: NODE:IFNAME) and the host's ``ebtables -L --Lc`` (``listing`` names the
    engine that reads it: "sim" or "linux")."""
    from vnetlab.tools.checks import run_checks

    lab = load_lab(EXAMPLES / f"{stem}.yaml")
    # a name of its own per run: namespaces never collide with another run of the lab
    lab = lab.model_copy(update={"name": f"{lab.name}-{os.getpid() % 10000}"})
    e.realize(lab)
    report = run_checks(e, lab)
    failed = [f"{r.subject}: want {r.expected}, got {r.got} ({r.detail})"
              for r in report.results if r.status == "fail"]
    progs = getattr(e, "programs", {})
    prog = progs.get(program)
    counters: Counter[str] = Counter(prog.counters) if prog is not None else Counter()
    text = ""
    if listing == "sim":
        from vnetlab.sim.engine import SimEngine
        from vnetlab.sim.netfilter.ebtables import ebtables_command

        assert isinstance(e, SimEngine)
        text = ebtables_command(e.ns("host"), ["-L", "--Lc"])
    elif listing == "linux":
        from vnetlab.kernel.engine import LinuxEngine
        from vnetlab.kernel.ops.filters import ebtables_listing

        assert isinstance(e, LinuxEngine)
        text = ebtables_listing(e._ns("host"))
    return Outcome(failed, counters, text)


def drop_count(listing: str) -> int:
    """Packets counted by the seed's catch-all rule."""
    for line in listing.splitlines():
        if line.startswith("-p ARP --arp-op Reply -j DROP , pcnt = "):
            return int(line.split("pcnt = ")[1].split()[0])
    raise AssertionError(f"no DROP rule in:\n{listing}")
