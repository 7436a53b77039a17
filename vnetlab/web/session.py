"""One realized lab behind the web view: every request's work, one at a time.

Design note
-----------
An engine is not made for concurrent use (the emulator's scheduler, the kernel engine's
ping batches), and the browser polls while a check runs; so every operation takes the
session's lock, and the web layer calls these methods from worker threads. Each method
returns exactly the JSON the matching CLI command prints under ``--json`` (``show``,
``run``, ``ping``, ``trace``), built by the same functions; the trace answer wraps the
CLI's object with the path drawn on the topology (``vnetlab.tools.graph.path``).

The session owns the engine only when it built it (the emulator): ``close`` then tears
the lab down. A lab that is up on the linux engine was brought up by ``vnetlab up`` and
stays up after the view stops.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

from vnetlab.engine import Engine, EngineError
from vnetlab.model.spec import LabSpec
from vnetlab.tools.checks import run_checks
from vnetlab.tools.graph import build_topology, run_dot, to_dot, trace_path
from vnetlab.tools.jsonout import PING_INTERVAL_MS, ping_json, report_json
from vnetlab.tools.trace_render import trace_json
from vnetlab.web.captures import Captures


def _addr(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise EngineError(f"{text!r} is not an IPv4 address like 192.168.1.3") from None


class LabSession:
    def __init__(self, lab: LabSpec, engine: Engine, *, owns_engine: bool) -> None:
        self.lab = lab
        self.engine = engine
        self.owns_engine = owns_engine
        self.lock = threading.Lock()
        self.topology = build_topology(lab)
        self._svg: str | None = None
        #: started from the page, one interface at a time: a capture puts the device in
        #: promiscuous mode (as tcpdump does), which changes what a bridge passes up to
        #: its own stack, so nothing records until asked
        self.captures = Captures(engine)

    # -- what the page draws ---------------------------------------------------------------
    def svg(self) -> str:
        if self._svg is None:
            svg = run_dot(to_dot(self.topology), "svg").decode()
            # the page inlines it: from <svg on (no XML declaration or doctype in HTML)
            self._svg = svg[svg.find("<svg"):]
        return self._svg

    def interfaces(self) -> list[str]:
        """NODE:IFNAME of every device the engine shows (``lo`` left out)."""
        with self.lock:
            state = self.engine.observe()
        return [f"{n}:{ln.ifname}" for n, ns in state.nodes.items() for ln in ns.links
                if ln.ifname != "lo"]

    def info(self) -> dict[str, Any]:
        return {"lab": self.lab.name, "engine": self.engine.name,
                "description": self.lab.description.strip(),
                "can_trace": callable(getattr(self.engine, "trace", None)),
                "topology": self.topology.to_json(),
                "checks": len(self.lab.checks),
                "captures": self.captures.armed}

    # -- the CLI's JSON ----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """``vnetlab show --json``."""
        with self.lock:
            return self.engine.observe().to_json()

    def checks(self) -> dict[str, Any]:
        """``vnetlab run --json`` on the running lab (its state carries over)."""
        with self.lock:
            report = run_checks(self.engine, self.lab)
            summary = getattr(self.engine, "storm_summary", None)
            storm = summary() if summary is not None else None
            self.captures.cut()  # run_checks stopped every capture when it finished
        return report_json(report, storm)

    def ping(self, src: str, dst: str, count: int = 1) -> dict[str, Any]:
        """``vnetlab ping --json``."""
        self._node(src)
        addr = _addr(dst)
        with self.lock:
            r = self.engine.ping(src, addr, count=count)
        return ping_json(r, 56, PING_INTERVAL_MS.get(self.engine.name, 1000))

    def trace(self, src: str, dst: str) -> dict[str, Any]:
        """``{"trace": <vnetlab trace --json>, "path": <the path on the topology>}``."""
        self._node(src)
        addr = _addr(dst)
        tracer = getattr(self.engine, "trace", None)
        if tracer is None:
            raise EngineError(f"the {self.engine.name} engine cannot trace a packet's path",
                              hint="serve the lab with the emulator (--engine sim)")
        with self.lock:
            t = tracer(src, addr)
        tj = trace_json(t)
        return {"trace": tj, "path": trace_path(self.topology, tj).to_json()}

    def pcap(self, ep: str) -> bytes:
        with self.lock:
            return self.captures.pcap(ep)

    def arm(self, ep: str) -> None:
        node, _, ifname = ep.partition(":")
        self._node(node)
        if ep not in self.interfaces():
            raise EngineError(f"{ep!r} is not an interface of this lab")
        with self.lock:
            self.captures.arm(ep)

    def _node(self, node: str) -> None:
        if node not in self.lab.nodes:
            raise EngineError(f"no node {node!r} in this lab",
                              hint=f"nodes: {', '.join(self.lab.nodes)}")

    def close(self) -> None:
        with self.lock:
            self.captures.close()
            if self.owns_engine:
                self.engine.teardown()
