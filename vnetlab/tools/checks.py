"""Run a lab's declared checks on any engine and collect one verdict per check.

Design note
-----------
Checks run in the order the lab lists them, on one realized lab, so traffic from earlier
checks (ARP, FDB learning) is visible to later ones — as when a person types the same
commands. ``frames`` checks need captures: every interface a frames check names is
captured (to pcap, through the engine) for the whole run, and those checks are judged
at the end on everything the interface saw. ``trace`` checks need an engine that can
explain a packet's path (the emulator); elsewhere they are reported as skipped with the
reason, never as passed.

Engines may offer ``prepare_checks(checks) -> hook | None``: called once before the first
check (it may raise ``EngineError`` when the checks cannot run correctly, e.g. more pings
than the host's neighbour table holds); the hook, if any, runs before each check with its
index (the linux engine flushes the lab's neighbour tables between batches there).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vnetlab.engine import Engine, EngineError
from vnetlab.model.checks import (
    CounterCheck,
    InjectStep,
    IperfCheck,
    LinkStep,
    StormCheck,
    StpCheck,
    TcStep,
    WaitCheck,
)
from vnetlab.model.resolver import mac_of_ref
from vnetlab.model.spec import (
    Check,
    FdbCheck,
    FrameMatch,
    FramesCheck,
    LabSpec,
    PingCheck,
    TraceCheck,
)
from vnetlab.tools.frames import frame_matches
from vnetlab.wire.pcap import read_pcap


@dataclass(frozen=True, slots=True)
class CheckResult:
    index: int  # position in the lab's checks list
    kind: str  # "ping", "trace", "fdb", "frames", "stp", ..., "counter", "iperf", "tc"
    subject: str  # "a -> 192.168.1.3"
    expected: str
    got: str
    status: str  # "pass", "fail", "skip"
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass(frozen=True, slots=True)
class Report:
    lab: str
    engine: str
    results: tuple[CheckResult, ...]
    #: the lab's ``seed``: every random choice its qdiscs made (netem loss, jitter)
    seed: int = 1

    @property
    def ok(self) -> bool:
        return all(r.status != "fail" for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "skip": 0}
        for r in self.results:
            out[r.status] += 1
        return out


def _status(ok: bool) -> str:
    return "pass" if ok else "fail"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g} ms"


def run_ping(i: int, engine: Engine, c: PingCheck) -> CheckResult:
    if c.interval is not None:
        r = engine.ping(c.src, c.dst, count=c.count, size=c.size,
                        dont_fragment=c.dont_fragment, interval_s=c.interval, ifname=c.ifname)
    else:
        r = engine.ping(c.src, c.dst, count=c.count, size=c.size,
                        dont_fragment=c.dont_fragment, ifname=c.ifname)
    got = "reachable" if r.reachable else "unreachable"
    detail = f"{r.received}/{r.transmitted} replies"
    rtts = [t / 1e9 for t in r.rtts_ns]
    bounded = any(v is not None for v in (c.rtt_min, c.rtt_max, c.max_loss, c.min_loss))
    if rtts and not bounded:
        detail += f", rtt {r.rtts_ns[0] / 1000:.0f} us"
    elif rtts:  # ping's summary line: rtt min/avg/max
        detail += (f", rtt min/avg/max {min(rtts) * 1000:.3f}/"
                   f"{sum(rtts) / len(rtts) * 1000:.3f}/{max(rtts) * 1000:.3f} ms")
    if r.errors:
        detail += "; " + r.errors[0]
    ok = got == c.expect
    expected: str = c.expect
    if c.error is not None:
        expected += f', error "{c.error}"'
        ok = ok and any(c.error in line for line in r.errors)
    if c.max_loss is not None or c.min_loss is not None:
        loss = 100.0 * (r.transmitted - r.received) / max(1, r.transmitted)
        lo = f"{c.min_loss:g}% <= " if c.min_loss is not None else ""
        hi = f" <= {c.max_loss:g}%" if c.max_loss is not None else ""
        expected += f", {lo}loss{hi}"
        got += f", {loss:.3g}% loss"
        ok = ok and (c.max_loss is None or loss <= c.max_loss) and (
            c.min_loss is None or loss >= c.min_loss)
    if c.rtt_min is not None or c.rtt_max is not None:
        lo = _ms(c.rtt_min) if c.rtt_min is not None else "0 ms"
        hi = _ms(c.rtt_max) if c.rtt_max is not None else "any"
        expected += f", rtt {lo} .. {hi}"
        inside = bool(rtts) and all(
            (c.rtt_min is None or t >= c.rtt_min) and (c.rtt_max is None or t <= c.rtt_max)
            for t in rtts)
        got += ", rtt in bounds" if inside else ", rtt out of bounds"
        ok = ok and inside
    subject = c.ping + (f" -s {c.size}" if c.size != 56 else "") + (
        " -M do" if c.dont_fragment else "") + (f" -c {c.count}" if c.count != 1 else "") + (
        f" -i {c.interval:g}" if c.interval is not None else "")
    return CheckResult(i, "ping", subject, expected, got, _status(ok), detail)


def run_tc(i: int, engine: Engine, c: TcStep) -> CheckResult:
    """A ``tc`` step: the engine applies the line in the node (``tc LINE``)."""
    subject = f"{c.tc}: tc {c.run}"
    runner = getattr(engine, "tc", None)
    if runner is None:
        return CheckResult(i, "tc", subject, "applied", "-", "skip",
                           f"the {engine.name} engine cannot run tc")
    try:
        runner(c.tc, c.run)
    except EngineError as e:
        return CheckResult(i, "tc", subject, "applied", "refused", "fail",
                           str(e).splitlines()[0])
    return CheckResult(i, "tc", subject, "applied", "applied", "pass")


def run_trace(i: int, engine: Engine, c: TraceCheck) -> CheckResult:
    tracer = getattr(engine, "trace", None)
    if tracer is None:
        return CheckResult(
            i, "trace", c.trace, c.verdict, "-", "skip",
            f"the {engine.name} engine cannot trace a packet's path; run with the emulator",
        )
    verdict = tracer(c.src, c.dst).verdict()
    ok = verdict.startswith(c.verdict)
    return CheckResult(i, "trace", c.trace, c.verdict, verdict, _status(ok))


def run_fdb(i: int, engine: Engine, lab: LabSpec, c: FdbCheck) -> CheckResult:
    node, _, bridge = c.fdb.partition(":")
    mac = mac_of_ref(lab, c.mac)
    state = engine.observe().nodes[node]
    ports = [
        f.port
        for f in state.fdb
        if f.bridge == bridge and f.mac == mac and (c.vlan is None or f.vlan == c.vlan)
    ]
    vlan = f" vlan {c.vlan}" if c.vlan is not None else ""
    want = f"{mac}{vlan} on {c.port}" if c.port else f"{mac}{vlan}"
    if c.expect == "present":
        ok = (c.port in ports) if c.port else bool(ports)
    else:
        ok = (c.port not in ports) if c.port else not ports
    got = f"{mac}{vlan} on {', '.join(ports)}" if ports else f"{mac}{vlan} not in fdb"
    subject = f"{c.fdb} {c.mac}"
    return CheckResult(i, "fdb", subject, f"{c.expect}: {want}", got, _status(ok))


def _clock(engine: Engine) -> tuple[Callable[[], float], Callable[[float], None]] | None:
    elapsed = getattr(engine, "elapsed", None)
    advance = getattr(engine, "advance", None)
    return (elapsed, advance) if elapsed is not None and advance is not None else None


def run_wait(i: int, engine: Engine, c: WaitCheck) -> CheckResult:
    clock = _clock(engine)
    subject = f"wait {c.wait:g}s"
    if clock is None:
        return CheckResult(i, "wait", subject, "-", "-", "skip",
                           f"the {engine.name} engine cannot let time pass")
    before = clock[0]()
    clock[1](c.wait)
    return CheckResult(i, "wait", subject, f"{c.wait:g}s", f"{clock[0]() - before:.1f}s",
                       "pass", f"now {clock[0]():.1f}s after the lab came up")


def _until(engine: Engine, at: float | None) -> str | None:
    """Wait until ``at`` seconds after the lab came up; why not, if it cannot."""
    if at is None:
        return None
    clock = _clock(engine)
    if clock is None:
        return f"the {engine.name} engine cannot let time pass"
    now = clock[0]()
    if now > at + 1.0:
        return (f"it is {now:.1f}s already: the checks before this one ran past its time; "
                "order the checks by 'at'")
    if now < at:
        clock[1](at - now)
    return None


def run_link(i: int, engine: Engine, c: LinkStep) -> CheckResult:
    subject = f"{c.link} {c.set}" + (f" at {c.at:g}s" if c.at is not None else "")
    setter = getattr(engine, "set_link", None)
    if setter is None:
        return CheckResult(i, "link", subject, c.set, "-", "skip",
                           f"the {engine.name} engine cannot set links up or down")
    late = _until(engine, c.at)
    if late is not None:
        return CheckResult(i, "link", subject, c.set, "-", "fail", late)
    node, _, ifname = c.link.partition(":")
    try:
        setter(node, ifname, c.set == "up")
    except EngineError as e:
        return CheckResult(i, "link", subject, c.set, "-", "fail", str(e).splitlines()[0])
    return CheckResult(i, "link", subject, c.set, c.set, "pass")


def run_stp(i: int, engine: Engine, c: StpCheck) -> CheckResult:
    """An ``stp`` check: wait until ``at`` (if given), then compare the bridge's view."""
    subject = c.stp + (f" {c.port}" if c.port else "") + (f" at {c.at:g}s" if c.at else "")
    status = getattr(engine, "stp_status", None)
    clock = _clock(engine)
    if status is None or clock is None:
        return CheckResult(i, "stp", subject, "-", "-", "skip",
                           f"the {engine.name} engine cannot report STP state")
    late = _until(engine, c.at)
    if late is not None:
        return CheckResult(i, "stp", subject, f"at {c.at:g}s", "-", "fail", late)
    node, _, bridge = c.stp.partition(":")
    try:
        st = status(node, bridge)
    except EngineError as e:
        return CheckResult(i, "stp", subject, "-", str(e).splitlines()[0], "fail")
    want: list[str] = []
    got: list[str] = []
    ok = True
    if c.port is not None:
        state = st["ports"].get(c.port)
        want.append(f"{c.port} {c.state}")
        got.append(f"{c.port} {state or 'not a port'}")
        ok = ok and state == c.state
    if c.root is not None:
        want.append("root" if c.root else "not root")
        got.append("root" if st["root"] else "not root")
        ok = ok and st["root"] == c.root
    if c.root_port is not None:
        want.append(f"root port {c.root_port}")
        got.append(f"root port {st['root_port'] or 'none'}")
        ok = ok and st["root_port"] == c.root_port
    return CheckResult(i, "stp", subject, ", ".join(want), ", ".join(got), _status(ok),
                       f"at {clock[0]():.1f}s")


def run_storm(i: int, engine: Engine, c: StormCheck) -> CheckResult:
    storms = getattr(engine, "storms", None)
    if storms is None:
        return CheckResult(i, "storm", c.storm, c.expect, "-", "skip",
                           f"the {engine.name} engine cannot measure storms")
    seen: dict[str, int] = storms()
    rate = seen.get(c.storm)
    got = "none" if rate is None else "detected"
    detail = f"{rate:,} frames/s" if rate else ""
    summary = getattr(engine, "storm_summary", None)
    if rate is not None and summary is not None:
        detail = summary() or detail
    return CheckResult(i, "storm", c.storm, c.expect, got, _status(got == c.expect), detail)


def _rate(bps: float) -> str:
    """bits/s the way iperf3 prints them (``18.8 Gbits/sec``)."""
    n = bps
    for unit in ("bits", "Kbits", "Mbits", "Gbits"):
        if n < 1000:
            return f"{n:.3g} {unit}/sec"
        n /= 1000
    return f"{n:.3g} Tbits/sec"


def _suffixed(bps: int) -> str:
    """iperf3's ``-b`` as a person writes it: 5G, 100M, 1500K."""
    for div, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "K")):
        if bps >= div and bps % div == 0:
            return f"{bps // div}{suffix}"
    return str(bps)


def run_iperf(i: int, engine: Engine, c: IperfCheck) -> CheckResult:
    """An ``iperf`` check: the engine's iperf (modelled on the emulator, the real iperf3
    on the kernel); judged on the receiver's rate and, for UDP, the loss."""
    subject = c.iperf + (f" -u -b {_suffixed(c.bitrate)}" if c.udp else "") + \
        f" -t {c.time:g}"
    want: list[str] = []
    if c.min_rate is not None:
        want.append(f">= {_rate(c.min_rate)}")
    if c.max_rate is not None:
        want.append(f"<= {_rate(c.max_rate)}")
    if c.max_loss is not None:
        want.append(f"loss <= {c.max_loss:g}%")
    expected = ", ".join(want) or "completes"
    runner = getattr(engine, "iperf", None)
    if runner is None:
        return CheckResult(i, "iperf", subject, expected, "-", "skip",
                           f"the {engine.name} engine cannot run iperf")
    try:
        r = runner(c.src, c.dst, udp=c.udp, bitrate=c.bitrate, time_s=c.time,
                   length=c.len, window=c.window)
    except EngineError as e:
        return CheckResult(i, "iperf", subject, expected, "-", "fail", str(e).splitlines()[0])
    if r.errors:
        return CheckResult(i, "iperf", subject, expected, "error", "fail", r.errors[0])
    got = _rate(r.bits_per_second)
    ok = True
    if c.min_rate is not None:
        ok = ok and r.bits_per_second >= c.min_rate
    if c.max_rate is not None:
        ok = ok and r.bits_per_second <= c.max_rate
    if c.udp:
        got += f", loss {r.lost_percent:.2g}%"
        if c.max_loss is not None:
            ok = ok and r.lost_percent <= c.max_loss
    detail = "modelled" if r.modelled else "measured"
    if r.mean_rtt_us:
        detail += f", rtt {r.mean_rtt_us:.0f} us"
    if r.retransmits:
        detail += f", {r.retransmits} retransmits"
    return CheckResult(i, "iperf", subject, expected, got, _status(ok), detail)
def run_counter(i: int, engine: Engine, c: CounterCheck) -> CheckResult:
    """A ``counter`` check: the engine reads the device counter now (stats64 or ethtool)."""
    subject = f"{c.counter} {c.name}"
    read = getattr(engine, "counter", None)
    if read is None:
        return CheckResult(i, "counter", subject, c.expected(), "-", "skip",
                           f"the {engine.name} engine cannot read device counters")
    node, _, ifname = c.counter.partition(":")
    try:
        value = int(read(node, ifname, c.name))
    except EngineError as e:
        return CheckResult(i, "counter", subject, c.expected(), "-", "fail",
                           str(e).splitlines()[0])
    return CheckResult(i, "counter", subject, c.expected(), str(value),
                       _status(c.accepts(value)))


#: IEEE 802 local experimental ethertype 1: no stack answers it
ETH_P_802_EX1 = 0x88B5


def inject_frame(lab: LabSpec, c: InjectStep) -> bytes:
    """The frame an ``inject`` step sends (``size`` bytes, no FCS)."""
    dst = bytes.fromhex(mac_of_ref(lab, c.dst).replace(":", ""))
    src = bytes.fromhex(mac_of_ref(lab, c.src or c.inject).replace(":", ""))
    head = dst + src
    if c.vlan is not None:
        head += (0x8100).to_bytes(2, "big") + c.vlan.to_bytes(2, "big")
    head += ETH_P_802_EX1.to_bytes(2, "big")
    return head + b"vnetlab inject".ljust(max(0, c.size - len(head)), b"\x00")


def run_inject(i: int, engine: Engine, lab: LabSpec, c: InjectStep) -> CheckResult:
    """An ``inject`` step: a packet socket on NODE:IFNAME sends the frames."""
    src = c.src or "own MAC"
    subject = f"{c.inject} {c.count}x {src} -> {c.dst}"
    send = getattr(engine, "inject", None)
    if send is None:
        return CheckResult(i, "inject", subject, "sent", "-", "skip",
                           f"the {engine.name} engine cannot send raw frames")
    node, _, ifname = c.inject.partition(":")
    try:
        send(node, ifname, inject_frame(lab, c), c.count, c.interval)
    except EngineError as e:
        return CheckResult(i, "inject", subject, "sent", "-", "fail", str(e).splitlines()[0])
    return CheckResult(i, "inject", subject, "sent", f"sent {c.count}", "pass")


def describe_match(m: FrameMatch) -> str:
    parts: list[str] = [m.proto if m.proto != "any" else "frames"]
    if m.op != "any":
        parts.append(m.op)
    if m.src:
        parts.append(f"from {m.src}")
    if m.dst:
        parts.append(f"to {m.dst}")
    for name in ("vlan", "port", "vni"):
        value = getattr(m, name, None)
        if value is not None:
            parts.append(f"{name} {value}")
    return " ".join(parts)


def judge_frames(i: int, lab: LabSpec, c: FramesCheck, pcap: Path) -> CheckResult:
    frames = [data for _, data in read_pcap(pcap)] if pcap.exists() else []
    n = sum(1 for f in frames if frame_matches(lab, c.match, f))
    seen = n > 0
    got = f"seen ({n})" if seen else "unseen"
    subject = f"{c.frames}: {describe_match(c.match)}"
    return CheckResult(
        i, "frames", subject, c.expect, got, _status(seen == (c.expect == "seen")),
        f"{len(frames)} frames captured",
    )


def capture_targets(checks: Iterable[Check]) -> list[str]:
    out: list[str] = []
    for c in checks:
        if isinstance(c, FramesCheck) and c.frames not in out:
            out.append(c.frames)
    return out


def run_checks(
    engine: Engine, lab: LabSpec, *, capture_dir: Path | None = None,
    capture: Iterable[str] = (),
) -> Report:
    """Run every check of ``lab`` on a realized ``engine``.

    ``capture``: extra ``NODE:IFNAME`` endpoints to record into ``capture_dir`` while the
    checks' traffic runs (``vnetlab capture``).
    """
    asked = list(dict.fromkeys(capture))
    targets = list(dict.fromkeys([*capture_targets(lab.checks), *asked]))
    with tempfile.TemporaryDirectory(prefix="vnetlab-cap-") as tmp:
        # only what the user asked for lands in ``capture_dir``; the captures the frames
        # checks need on their own stay in the temporary directory
        cap_dir = capture_dir or Path(tmp)
        cap_dir.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for ep in targets:
            node, _, ifname = ep.partition(":")
            where = cap_dir if ep in asked else Path(tmp)
            paths[ep] = where / f"{node}-{ifname}.pcap"
            engine.start_capture(node, ifname, paths[ep])
        results: list[CheckResult | None] = []
        # an engine may need to plan the checks first (the linux engine: the host's global
        # neighbour table); it returns a hook to run before each check, or raises a clear
        # EngineError when the checks cannot run correctly at all
        prepare = getattr(engine, "prepare_checks", None)
        before: Callable[[int], None] | None = prepare(lab.checks) if prepare else None
        try:
            for i, c in enumerate(lab.checks):
                if before is not None:
                    before(i)
                if isinstance(c, PingCheck):
                    results.append(run_ping(i, engine, c))
                elif isinstance(c, TraceCheck):
                    results.append(run_trace(i, engine, c))
                elif isinstance(c, FdbCheck):
                    results.append(run_fdb(i, engine, lab, c))
                elif isinstance(c, StpCheck):
                    results.append(run_stp(i, engine, c))
                elif isinstance(c, StormCheck):
                    results.append(run_storm(i, engine, c))
                elif isinstance(c, LinkStep):
                    results.append(run_link(i, engine, c))
                elif isinstance(c, WaitCheck):
                    results.append(run_wait(i, engine, c))
                elif isinstance(c, TcStep):
                    results.append(run_tc(i, engine, c))
                elif isinstance(c, CounterCheck):
                    results.append(run_counter(i, engine, c))
                elif isinstance(c, InjectStep):
                    results.append(run_inject(i, engine, lab, c))
                elif isinstance(c, IperfCheck):
                    results.append(run_iperf(i, engine, c))
                else:
                    results.append(None)  # judged after the captures are complete
        finally:
            engine.stop_captures()
        final: list[CheckResult] = []
        for i, (c, r) in enumerate(zip(lab.checks, results, strict=True)):
            if r is None:
                assert isinstance(c, FramesCheck)
                r = judge_frames(i, lab, c, paths[c.frames])
            final.append(r)
    return Report(lab.name, engine.name, tuple(final), lab.seed)
