"""Verdicts are streamed as they complete: ``run_checks(on_result=...)`` and ``vnetlab run``
printing each one at once, so a run killed halfway has printed what it finished."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from clilab import CONTAINER_HOST, EXERCISE1, invoke, write

from vnetlab.api import make_engine
from vnetlab.model import load_lab
from vnetlab.tools.checks import CheckResult, run_checks


def test_on_result_sees_every_verdict_before_the_report() -> None:
    spec = load_lab(EXERCISE1)
    eng = make_engine("sim")
    seen: list[CheckResult] = []
    try:
        eng.realize(spec)
        report = run_checks(eng, spec, on_result=seen.append)
    finally:
        eng.teardown()
    assert sorted(seen, key=lambda r: r.index) == list(report.results)
    # checks in the lab's order, except the frames checks (judged on the finished
    # captures), which come last
    kinds = [r.kind for r in seen]
    first_frames = kinds.index("frames")
    assert set(kinds[first_frames:]) == {"frames"}
    plain = [r.index for r in seen[:first_frames]]
    assert plain == sorted(plain)


def test_run_prints_each_verdict_then_the_table() -> None:
    code, out, err = invoke("run", CONTAINER_HOST)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "#1 PASS ping a -> 192.168.1.3: reachable — 1/1 replies, rtt 36 us"
    assert [ln.split()[0] for ln in lines[:9]] == [f"#{i}" for i in range(1, 10)]
    assert lines.index(lines[8]) < next(i for i, ln in enumerate(lines) if "lab container-host"
                                        in ln)
    assert "9 passed, 0 failed" in out


def test_run_json_streams_nothing() -> None:
    code, out, _ = invoke("run", CONTAINER_HOST, "--json")
    assert code == 0 and out.lstrip().startswith("{") and "#1 PASS" not in out


#: one quick check, then checks that take seconds of wall time each (10,000 echo
#: exchanges every one), so the run is surely still going when the test kills it
SLOW_LAB = """\
name: slow
nodes:
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links:
  - endpoints: [a:eth0, b:eth0]
checks:
  - ping: a -> 10.0.0.2
""" + "".join("  - {ping: a -> 10.0.0.2, count: 10000, interval: 2ms}\n" for _ in range(40))


def test_a_killed_run_has_printed_the_verdicts_it_finished(tmp_path: Path) -> None:
    lab = write(tmp_path, SLOW_LAB)
    code = "import sys; from vnetlab.cli.main import main; sys.argv[0] = 'vnetlab'; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", lab], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONUNBUFFERED": ""})
    assert proc.stdout is not None
    got = b""
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 120
        while b"\n" not in got and time.monotonic() < deadline:
            if sel.select(timeout=1.0):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                got += chunk
        assert b"\n" in got, "no verdict within 120 s"
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    out = (got + rest).decode()
    assert proc.returncode == -signal.SIGKILL
    assert out.splitlines()[0].startswith("#1 PASS ping a -> 10.0.0.2: reachable")
    assert "passed," not in out  # the run never got to its summary
    assert "#41 " not in out
