"""The small public Python API the CLI is built on (and users call from their own tests).

    import vnetlab
    lab = vnetlab.load("examples/container-host.yaml")
    with vnetlab.realize(lab) as net:              # the emulator; engine="linux" for the kernel
        assert net.ping("a", "192.168.1.3").reachable
        print(vnetlab.render_trace(net.trace("a", "192.0.2.254")))
    assert vnetlab.run(lab).ok                      # build, run the lab's checks, tear down
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vnetlab.engine import ENGINE_NAMES, Engine, EngineError, PingResult
from vnetlab.model import LabError, LabSpec, load_lab
from vnetlab.model.state import LabState
from vnetlab.sim.trace import Trace
from vnetlab.tools.checks import Report, run_checks
from vnetlab.tools.trace_render import render_trace


def load(path: str | Path) -> LabSpec:
    """Parse, validate and resolve a lab file (raises ``LabError``)."""
    return load_lab(path)


def make_engine(name: str = "sim", **options: Any) -> Engine:
    """The engine table: ``sim`` (the emulator) or ``linux`` (the real kernel)."""
    if name == "sim":
        from vnetlab.script.setup import run_setup
        from vnetlab.sim.engine import SimEngine

        # the lab's ``setup:`` script runs here, above the emulator (the linux engine
        # refuses labs that have one at plan time)
        return SimEngine(setup_runner=run_setup)
    if name == "linux":
        from vnetlab.kernel.engine import LinuxEngine

        return LinuxEngine(**options)
    raise EngineError(f"unknown engine {name!r}", hint=f"engines: {', '.join(ENGINE_NAMES)}")


class Net:
    """A realized lab: a thin convenience wrapper around an ``Engine``."""

    def __init__(self, engine: Engine, lab: LabSpec) -> None:
        self.engine = engine
        self.lab = lab

    def ping(self, node: str, dst: str, **kw: Any) -> PingResult:
        return self.engine.ping(node, ipaddress.IPv4Address(dst), **kw)

    def trace(self, node: str, dst: str) -> Trace:
        # only the emulator traces; the Engine protocol does not promise it
        tracer: Callable[[str, ipaddress.IPv4Address], Trace] | None = getattr(
            self.engine, "trace", None)
        if tracer is None:
            raise EngineError(f"the {self.engine.name} engine cannot trace packets",
                              hint="tracing runs in the emulator: use engine='sim'")
        return tracer(node, ipaddress.IPv4Address(dst))

    def observe(self) -> LabState:
        return self.engine.observe()

    def run_checks(self, **kw: Any) -> Report:
        return run_checks(self.engine, self.lab, **kw)


@contextmanager
def realize(lab: LabSpec, engine: str = "sim", **options: Any) -> Iterator[Net]:
    """Build ``lab`` in an engine; always torn down on exit."""
    eng = make_engine(engine, **options)
    try:
        eng.realize(lab)
        yield Net(eng, lab)
    finally:
        eng.teardown()


def run(lab: LabSpec, engine: str = "sim", **kw: Any) -> Report:
    """Build the lab, run its checks, tear it down, return the report."""
    with realize(lab, engine) as net:
        return net.run_checks(**kw)


__all__ = [
    "EngineError",
    "LabError",
    "Net",
    "Report",
    "load",
    "make_engine",
    "realize",
    "render_trace",
    "run",
]
