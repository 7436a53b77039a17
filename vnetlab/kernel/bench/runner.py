"""Run the dataplane bench: build each path's lab, measure it ``repeat`` times, tear down.

Design note
-----------
One path at a time, so the paths never compete for the two CPUs. For each path: the
linux engine's own kind probes (``features.probe_kinds``) and a look for the programs
decide whether it can run here (else it is *skipped* with that reason); the lab is built
by ``LinuxEngine`` under a name unique to this process, measured ``repeat`` times
(TCP one stream, TCP ``-P N``, UDP 64-byte rate, UDP request/response, ping), and torn
down in ``finally`` — the engine removes its namespaces and stops its daemons (by pid,
bounded), whatever failed. A path that fails while measuring is reported ``failed`` with
the error, and the bench goes on with the next.

The result is plain data (``BenchResult.to_json``, format ``vnetlab-bench-dataplane/1``):
per path its status, the seed's claim, each run's figures, each figure's median and
spread (``stats.summarize``), and the latency distributions pooled over the runs
(p50/p99 and a CDF). ``on_step`` is told each step as it starts, for a progress bar.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vnetlab.engine import EngineError
from vnetlab.kernel.bench import measure
from vnetlab.kernel.bench.host import machine_info, utc_now
from vnetlab.kernel.bench.paths import (
    BenchPath,
    gso_of,
    lab_spec,
    needed_features,
    path_title,
    skip_reason,
)
from vnetlab.kernel.bench.stats import cdf, percentile, summarize

FORMAT = "vnetlab-bench-dataplane/1"
#: the figures each run yields, in table order
FIGURES = ("tcp_bps", "tcp_parallel_bps", "tcp_retransmits", "udp64_pps",
           "udp64_lost_percent", "rr_p50_us", "rr_p99_us", "ping_p50_us", "ping_avg_us",
           "cpu_s_per_gb", "host_cpu_s_per_gb")
#: measurements per run (the progress bar's unit)
STEPS = ("tcp", "tcp -P", "udp 64", "udp rr", "ping")

StepFn = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Settings:
    repeat: int = 3
    seconds: float = 2.0
    parallel: int = 4
    ping_count: int = 50
    #: extra UDP payload sizes measured beyond 64 (``udp{N}_pps``; measure_costs: 1400)
    udp_extra: tuple[int, ...] = ()


@dataclass
class PathResult:
    path: BenchPath
    status: str  # "measured" | "skipped" | "failed"
    reason: str = ""
    runs: list[dict[str, float]] = field(default_factory=list)
    rr_us: list[float] = field(default_factory=list)
    ping_us: list[float] = field(default_factory=list)
    rr_lost: int = 0

    def figure(self, key: str) -> dict[str, Any] | None:
        s = summarize(r[key] for r in self.runs if key in r)
        return s.to_json() if s else None

    def to_json(self) -> dict[str, Any]:
        p = self.path
        out: dict[str, Any] = {"title": path_title(p), "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if p.seed is not None:
            s = p.seed
            out["seed"] = {"device": s.device, "throughput": s.throughput,
                           "latency": s.latency, "cpu": s.cpu,
                           **({"gbps": list(s.gbps)} if s.gbps else {})}
        if p.notes:
            out["notes"] = list(p.notes)
        out["cost_path"] = list(p.cost_path)
        out["gso"] = gso_of(p)
        if self.runs:
            keys = [k for k in FIGURES if any(k in r for r in self.runs)]
            keys += sorted({k for r in self.runs for k in r} - set(keys))
            out["figures"] = {k: self.figure(k) for k in keys}
            out["runs"] = self.runs
            out["latency"] = {
                name: {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v),
                       "cdf": [[round(x, 2), round(f, 4)] for x, f in cdf(v)]}
                for name, v in (("rr_us", self.rr_us), ("ping_us", self.ping_us)) if v}
            if self.rr_lost:
                out["latency"]["rr_lost"] = self.rr_lost
        return out


@dataclass
class BenchResult:
    settings: Settings
    paths: list[PathResult]
    date: str = field(default_factory=utc_now)
    machine: dict[str, Any] = field(default_factory=machine_info)

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        return {"format": FORMAT, "date": self.date, "machine": self.machine,
                "repeat": s.repeat, "seconds": s.seconds, "parallel": s.parallel,
                "paths": {r.path.name: r.to_json() for r in self.paths}}


def plan_paths(paths: list[BenchPath]) -> list[tuple[BenchPath, str | None]]:
    """Each path with the reason it cannot run here (None: it can)."""
    from vnetlab.kernel.features import probe_kinds

    keys = tuple(sorted({k for p in paths for k in needed_features(p)}))
    probe = probe_kinds(keys) if keys else {}
    return [(p, skip_reason(p, probe)) for p in paths]


def steps_total(planned: list[tuple[BenchPath, str | None]], s: Settings) -> int:
    runnable = sum(1 for _, why in planned if why is None)
    return runnable * (1 + s.repeat * (len(STEPS) + len(s.udp_extra)))


def run_once(w: measure.Where, s: Settings, step: Callable[[str], None],
             ) -> tuple[dict[str, float], list[float], list[float], int]:
    figs: dict[str, float] = {}
    step("tcp")
    t1 = measure.iperf(w, s.seconds)
    figs["tcp_bps"] = t1.figures.bps
    figs["tcp_retransmits"] = t1.figures.retransmits
    figs["cpu_s_per_gb"] = t1.cpu_s_per_gb
    figs["host_cpu_s_per_gb"] = t1.host_cpu_s_per_gb
    step("tcp -P")
    tp = measure.iperf(w, s.seconds, parallel=s.parallel)
    figs["tcp_parallel_bps"] = tp.figures.bps
    step("udp 64")
    u = measure.iperf(w, s.seconds, udp_len=64)
    figs["udp64_pps"] = u.figures.pps
    figs["udp64_lost_percent"] = (100.0 * u.figures.lost_packets / u.figures.packets
                                  if u.figures.packets else 0.0)
    for size in s.udp_extra:
        step(f"udp {size}")
        figs[f"udp{size}_pps"] = measure.iperf(w, s.seconds, udp_len=size).figures.pps
    step("udp rr")
    rr, lost = measure.request_response(w, min(s.seconds, 2.0))
    if rr:
        figs["rr_p50_us"] = percentile(rr, 50)
        figs["rr_p99_us"] = percentile(rr, 99)
    step("ping")
    pings = measure.ping(w, s.ping_count)
    figs["ping_p50_us"] = percentile(pings, 50)
    figs["ping_avg_us"] = sum(pings) / len(pings)
    return figs, rr, pings, lost


def run_path(p: BenchPath, s: Settings, on_step: StepFn) -> PathResult:
    """Build, measure ``repeat`` times, tear down (always)."""
    from vnetlab.kernel.engine import LinuxEngine
    from vnetlab.kernel.iperf3 import server_node

    res = PathResult(p, "measured")
    spec = lab_spec(p, str(os.getpid() % 100000))
    eng = LinuxEngine(programs_needed=("iperf3", "ping"))
    on_step(p.name, "build")
    try:
        eng.realize(spec)
        from ipaddress import IPv4Address

        srv = server_node(spec, IPv4Address(p.dst))
        if srv is None:
            raise EngineError(f"path {p.name}: no node holds {p.dst}")
        nss = tuple(eng.namespace(n) for n in spec.nodes)
        w = measure.Where(eng.namespace(p.client), eng.namespace(srv), nss, p.dst)
        for i in range(s.repeat):
            def step(what: str, i: int = i) -> None:
                on_step(p.name, f"{what} ({i + 1}/{s.repeat})")

            figs, rr, pings, lost = run_once(w, s, step)
            res.runs.append(figs)
            res.rr_us += rr
            res.ping_us += pings
            res.rr_lost += lost
    except (EngineError, ValueError, OSError) as e:
        res.status = "failed"
        res.reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    finally:
        eng.teardown()
    return res


def run_bench(paths: list[BenchPath], s: Settings,
              on_step: StepFn = lambda _p, _w: None,
              planned: list[tuple[BenchPath, str | None]] | None = None) -> BenchResult:
    """Every path in order: skipped (with the reason) or measured."""
    machine = machine_info()  # before: the load average then is the machine's, not ours
    out: list[PathResult] = []
    for p, why in planned if planned is not None else plan_paths(paths):
        if why is not None:
            out.append(PathResult(p, "skipped", why))
            continue
        out.append(run_path(p, s, on_step))
    return BenchResult(s, out, machine=machine)
