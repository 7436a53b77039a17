"""A lab's ``setup:`` script, run by the emulator right after it built the lab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.engine import EngineError

if TYPE_CHECKING:
    from vnetlab.model.spec import LabSpec
    from vnetlab.sim.engine import SimEngine


def run_setup(engine: SimEngine, lab: LabSpec) -> None:
    """Run ``lab.setup`` on ENGINE's namespaces with ``set -e``: the first failing command
    stops it, and realize() fails with that command's message and line (setup line 1 is
    the first line of the ``setup:`` text)."""
    from vnetlab.script.interp import Interpreter
    from vnetlab.script.world import World

    errors: list[str] = []
    out: list[str] = []
    it = Interpreter(World(engine=engine), out=out.append, err=errors.append,
                     source=f"{lab.name}: setup")
    it.set_e = True
    rc = it.run_text(lab.setup)
    if rc != 0:
        problems = [e for e in errors if not e.startswith("vnetlab:")]
        raise EngineError(
            "the lab's setup script failed:\n  " + "\n  ".join(problems or errors),
            hint="try it interactively: vnetlab shell LAB (runs without setup), then paste "
            "the lines",
        )
