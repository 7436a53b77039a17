"""The round trip on the real kernel: every example the linux engine can build ->
snapshot of its namespaces (live, read-only netlink dumps; and the collection script's
files) -> the emulator: same check verdicts and same observed state as the original lab
on the emulator (tests/diff/normalize.py decides what "same" means).

What cannot round-trip is pinned in ``CANNOT`` with the reason (strict xfail)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from roundtrip import compare, run_sim, snapshot_lab, with_programs

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model.load import load_lab
from vnetlab.model.spec import LabSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "diff"))
from test_diff_examples import pinned  # noqa: E402

pytestmark = pytest.mark.kernel
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

_PROGRAM = ("a TUN/TAP device's userspace program is not carried by a snapshot (its "
            "header says so): nothing answers behind the device")
CANNOT: dict[str, str] = {
    "ovs-vxlan": _PROGRAM,
    "security-arp-spoofing": _PROGRAM,
    "security-arp-spoofing-mitigated": _PROGRAM,
    "security-arp-spoofing-ovs": _PROGRAM,
    "security-bridge-bypass": _PROGRAM,
    "security-bridge-bypass-mitigated": _PROGRAM,
    "security-plaintext-vxlan": _PROGRAM,
    "security-plaintext-vxlan-mitigated": _PROGRAM,
    "vm-tap": _PROGRAM,
    "vpn-tun": _PROGRAM,
}


def _ovs_rundirs(e: LinuxEngine, lab: LabSpec) -> dict[str, str]:
    from vnetlab.kernel.ops.base import DEFAULT_PREFIX
    from vnetlab.kernel.ovs.daemons import node_dir

    return {e.namespace(n): str(node_dir(DEFAULT_PREFIX, lab.name, n))
            for n, spec in lab.nodes.items() if spec.ovs}


def _unique(lab: LabSpec) -> LabSpec:
    """LAB under a name of this run: namespaces are global, and other test runs on this
    machine may build the same example at the same time."""
    name = f"s{os.getpid() % 10000}-{lab.name}"[:24].rstrip("-")
    return lab.model_copy(update={"name": name})


def _live_snapshot(lab: LabSpec, tmp: Path | None = None) -> tuple[str, str | None]:
    """(YAML of the live snapshot, YAML of the collection script's, when TMP)."""
    from vnetlab.kernel.dump import dump_namespaces
    from vnetlab.snapshot import from_mapping, read_dir, snapshot

    lab = _unique(lab)
    e = LinuxEngine()
    try:
        try:
            e.realize(lab)
        except UnsupportedError as err:
            pytest.skip(str(err))
        names = [e.namespace(n) for n in lab.nodes]
        data = dump_namespaces(names, _ovs_rundirs(e, lab))
        live = snapshot([from_mapping(n, d) for n, d in data.items()]).yaml
        collected = None
        if tmp is not None:
            r = subprocess.run(["sh", str(ROOT / "scripts" / "collect-snapshot.sh"),
                                str(tmp), *names], capture_output=True, text=True,
                               timeout=120, check=False)
            assert r.returncode == 0, r.stderr
            collected = snapshot(read_dir(tmp)).yaml
        return live, collected
    finally:
        e.teardown()


def _params() -> list[object]:
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.xfail(strict=True,
                                                                reason=CANNOT[p.stem])]
                         if p.stem in CANNOT else []) for p in EXAMPLES]


@pytest.mark.parametrize("path", _params())
def test_example_round_trips_through_the_kernel(path: Path) -> None:
    lab = load_lab(path)
    live, _ = _live_snapshot(lab)
    original = pinned(lab)  # the datapath the kernel gave each OVS bridge
    snap = snapshot_lab(live, original)
    diff = compare(original, snap, run_sim(original))
    assert not diff, "\n".join(diff) + "\n--- snapshot ---\n" + live


@pytest.mark.parametrize("stem", sorted(CANNOT))
def test_with_its_programs_put_back_the_snapshot_behaves_like_the_example(stem: str) -> None:
    """Everything but the programs round-trips (ebtables rules, OVS flows, taps on
    bridges ...): put the programs back by hand and the snapshot is the example again."""
    lab = load_lab(ROOT / "examples" / f"{stem}.yaml")
    live, _ = _live_snapshot(lab)
    original = pinned(lab)
    snap = with_programs(snapshot_lab(live, original), original)
    diff = compare(original, snap, run_sim(original))
    assert not diff, "\n".join(diff) + "\n--- snapshot ---\n" + live


def test_collected_dir_equals_live_and_is_traced_offline(tmp_path: Path) -> None:
    """scripts/collect-snapshot.sh on a kernel lab gives the lab the live dumper gives;
    the directory is then traced and run with no root (the emulator only)."""
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    lab = load_lab(ROOT / "examples" / "container-host.yaml")
    live, collected = _live_snapshot(lab, tmp_path / "dir")
    import yaml

    assert collected is not None
    assert yaml.safe_load(live) == yaml.safe_load(collected)
    out = tmp_path / "snap.yaml"
    r = CliRunner().invoke(cli, ["snapshot", "--from-dir", str(tmp_path / "dir"), "-o",
                                 str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["trace", str(out), "--from", "a", "--to", "192.0.2.254"])
    assert r.exit_code == 0, r.output
    assert "verdict: delivered to internet:eth0 (192.0.2.254)" in r.output
    r = CliRunner().invoke(cli, ["run", str(out)])
    assert r.exit_code == 0, r.output


def test_root_qdiscs_round_trip_through_the_kernel(tmp_path: Path) -> None:
    """tbf and htb (this kernel has no netem) on a kernel lab: the live dumper (`tc -j
    qdisc show` in the namespace) and the collection script carry them as the same tc
    lines, and the snapshot behaves like the lab on the emulator."""
    import yaml

    lab = load_lab(ROOT / "examples" / "exercise1-bridge-flooding.yaml")
    nodes = dict(lab.nodes)
    nodes["ns1"] = nodes["ns1"].model_copy(update={
        "tc": ["qdisc add dev eth0 root tbf rate 20mbit burst 32kb latency 50ms"]})
    nodes["host"] = nodes["host"].model_copy(update={
        "tc": ["qdisc add dev veth2 root htb default 10 r2q 5"]})
    lab = lab.model_copy(update={"nodes": nodes})
    live, collected = _live_snapshot(lab, tmp_path / "dir")
    assert collected is not None
    assert yaml.safe_load(live) == yaml.safe_load(collected)
    data = yaml.safe_load(live)
    assert data["nodes"]["host"]["tc"] == ["qdisc add dev veth2 root htb r2q 5 default 10"]
    [tbf] = data["nodes"]["ns1"]["tc"]
    assert tbf.startswith("qdisc add dev eth0 root tbf rate 2500000bps burst 3276")
    diff = compare(lab, snapshot_lab(live, lab))
    assert not diff, "\n".join(diff) + "\n--- snapshot ---\n" + live
