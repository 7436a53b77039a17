"""The linux-lab commands: up/down/status/gc/exec and run/show/ping --engine linux."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnetlab.cli.main import cli
from vnetlab.kernel import nl, runtime

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_HOST = str(ROOT / "examples" / "container-host.yaml")
kernel = pytest.mark.kernel


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_paragraph_error(err: str) -> None:
    assert err.startswith("error: ") and "Traceback" not in err


def small_lab(tmp_path: Path, name: str, n: int = 2) -> str:
    nodes = "\n".join(
        f"  n{i}:\n    interfaces: {{eth0: {{addresses: [10.9.0.{i + 2}/24]}}}}" for i in range(n))
    links = "\n".join(f"  - endpoints: [host:v{i}, n{i}:eth0]" for i in range(n))
    ports = ", ".join(f"v{i}: {{master: br0}}" for i in range(n))
    text = (f"name: {name}\nnodes:\n  host:\n    interfaces: {{br0: {{type: bridge, "
            f"addresses: [10.9.0.1/24]}}, {ports}}}\n{nodes}\nlinks:\n{links}\n"
            "checks:\n  - ping: n0 -> 10.9.0.1\n")
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return str(p)


# -- without the kernel ------------------------------------------------------------------

def test_up_dry_run_prints_the_plan_script() -> None:
    code, out, _ = invoke("up", CONTAINER_HOST, "--engine", "linux", "--dry-run")
    assert code == 0
    assert out.startswith("#!/bin/sh\n")
    assert "ip netns add vnl-container-host.a" in out
    assert "type veth peer name eth0 netns vnl-container-host.a" in out


def test_up_in_the_emulator_says_there_are_no_persistent_labs() -> None:
    code, _, err = invoke("up", CONTAINER_HOST)
    assert code == 2
    one_paragraph_error(err)
    assert "emulator has no persistent labs" in err and "vnetlab run" in err


@pytest.mark.parametrize("args", [
    ("run", CONTAINER_HOST, "--engine", "linux"),
    ("show", CONTAINER_HOST, "--engine", "linux"),
    ("ping", CONTAINER_HOST, "a", "192.168.1.3", "--engine", "linux"),
    ("up", CONTAINER_HOST, "--engine", "linux"),
    ("down", "container-host"),
    ("gc",),
    ("exec", "container-host", "a", "--", "true"),
], ids=["run", "show", "ping", "up", "down", "gc", "exec"])
def test_not_root_is_a_clear_error(args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
                                   ) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, _, err = invoke(*args)
    assert code == 2, err
    one_paragraph_error(err)
    assert "needs root" in err


def test_exec_needs_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = invoke("exec", "container-host", "a")
    assert code == 2 and "Missing argument" in err


# -- on the kernel -----------------------------------------------------------------------

@pytest.fixture
def downed() -> Iterator[list[str]]:
    """Lab names a test brought up; all brought down afterwards, whatever happened."""
    names: list[str] = []
    yield names
    for n in names:
        if runtime.find(n, "vnl-") is not None:
            invoke("down", n)


@kernel
def test_up_status_exec_down(tmp_path: Path, downed: list[str]) -> None:
    lab = small_lab(tmp_path, "kcli1")
    downed.append("kcli1")
    code, out, err = invoke("up", lab, "--engine", "linux")
    assert code == 0, err
    assert "n0: vnl-kcli1.n0" in out and "host: vnl-kcli1.host" in out
    assert os.path.exists(nl.netns_path("vnl-kcli1.n1"))
    # up twice: a clear error
    code, _, err = invoke("up", lab, "--engine", "linux")
    assert code == 2 and "already up" in err
    code, out, _ = invoke("status", "--json")
    labs = {x["lab"]: x for x in json.loads(out)["labs"]}
    assert labs["kcli1"]["status"] == "up" and labs["kcli1"]["present"] == 3
    assert not labs["kcli1"]["dead"]
    # gc leaves a persistent lab that is up alone
    code, out, _ = invoke("gc", "--dry-run")
    assert code == 0 and "kcli1" not in out
    # exec in a separate process (as a user would), with the program's exit status
    vn = [sys.executable, "-m", "vnetlab.cli.main"]
    env = {**os.environ}
    r = subprocess.run([*vn, "exec", "kcli1", "n0", "--", "ping", "-c", "1", "-W", "2",
                        "10.9.0.3"], capture_output=True, text=True, timeout=30, env=env,
                       check=False)
    assert r.returncode == 0 and "1 received" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([*vn, "exec", lab, "n1", "--", "sh", "-c", "exit 7"],
                       capture_output=True, text=True, timeout=30, env=env, check=False)
    assert r.returncode == 7
    code, _, err = invoke("exec", "kcli1", "nope", "--", "true")
    assert code == 2 and "has no node 'nope'" in err
    code, out, _ = invoke("down", lab)
    assert code == 0 and "3 namespaces removed" in out
    assert not [n for n in nl.list_netns() if n.startswith("vnl-kcli1.")]
    code, _, err = invoke("down", "kcli1")
    assert code == 2 and "is not up" in err
    one_paragraph_error(err)


@kernel
def test_run_show_ping_on_the_linux_engine(tmp_path: Path) -> None:
    lab = small_lab(tmp_path, "kcli2")
    code, out, err = invoke("run", lab, "--engine", "linux", "--json")
    assert code == 0, err
    assert json.loads(out)["engine"] == "linux"
    code, out, _ = invoke("show", lab, "--engine", "linux", "--json")
    assert code == 0 and json.loads(out)["engine"] == "linux"
    code, out, _ = invoke("ping", lab, "n0", "10.9.0.3", "-c", "1", "--engine", "linux")
    assert code == 0 and "1 received" in out
    code, out, _ = invoke("ping", lab, "n0", "10.9.0.99", "-c", "1", "--engine", "linux")
    assert code == 1
    assert not [n for n in nl.list_netns() if n.startswith("vnl-kcli2.")]


@kernel
def test_gc_after_a_killed_up(tmp_path: Path) -> None:
    lab = small_lab(tmp_path, "kcli3", n=150)
    proc = subprocess.Popen([sys.executable, "-m", "vnetlab.cli.main", "up", lab, "--engine",
                             "linux"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ})
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # killed once it has made some namespaces
            if len([n for n in nl.list_netns() if n.startswith("vnl-kcli3.")]) >= 5:
                break
            time.sleep(0.005)
        # freeze it first, so what it had done when it died is known, not raced: the record
        # is written before the first namespace (status building), 5 of 150 are made
        os.kill(proc.pid, signal.SIGSTOP)
        rec = runtime.find("kcli3", "vnl-")
        assert rec is not None and rec.status == "building", rec
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        code, out, _ = invoke("status")
        assert code == 0 and "kcli3: dead" in out, out
        code, out, _ = invoke("gc", "--dry-run")
        assert code == 0
        left = [n for n in nl.list_netns() if n.startswith("vnl-kcli3.")]
        assert len(left) >= 5 and "would remove vnl-kcli3." in out, out
        assert left == [n for n in nl.list_netns() if n.startswith("vnl-kcli3.")]  # dry run
        code, out, _ = invoke("gc")
        assert code == 0
        assert runtime.find("kcli3", "vnl-") is None
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if runtime.find("kcli3", "vnl-") is not None:  # it finished before the kill
            invoke("down", "kcli3")
    assert not [n for n in nl.list_netns() if n.startswith("vnl-kcli3.")]
    assert runtime.find("kcli3", "vnl-") is None
