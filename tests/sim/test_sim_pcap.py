"""Determinism of a whole run, and pcap output checked against tshark as an oracle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from simlab import EXERCISE1

from vnetlab.model import load_lab
from vnetlab.model.state import LabState
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import Report, run_checks
from vnetlab.wire.pcap import PcapWriter, read_pcap

CAPTURE = ["host:veth2", "host:veth3", "host:br0"]


def run_exercise1(out: Path) -> tuple[Report, LabState]:
    lab = load_lab(EXERCISE1)
    engine = SimEngine()
    engine.realize(lab)
    report = run_checks(engine, lab, capture_dir=out, capture=CAPTURE)
    return report, engine.observe()


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    r1, s1 = run_exercise1(tmp_path / "one")
    r2, s2 = run_exercise1(tmp_path / "two")
    assert r1.ok and r2.ok
    assert r1 == r2
    assert s1 == s2
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    assert {"host-veth2.pcap", "host-veth3.pcap", "host-br0.pcap"} <= set(names)
    for name in names:
        a = (tmp_path / "one" / name).read_bytes()
        assert len(a) > 24, f"{name} holds frames"
        assert a == (tmp_path / "two" / name).read_bytes(), name


TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")


def tshark(*args: str) -> list[str]:
    assert TSHARK is not None
    out = subprocess.run(
        [TSHARK, *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return [line for line in out.splitlines() if line.strip()]


def fields(pcap: Path) -> list[tuple[str, ...]]:
    rows = tshark(
        "-r", str(pcap), "-T", "fields",
        "-e", "eth.src", "-e", "eth.dst", "-e", "arp.opcode", "-e", "icmp.type",
    )
    return [tuple(r.split("\t")) for r in rows]


@pytest.fixture(scope="module")
def exercise1_pcaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("ex1")
    report, state = run_exercise1(out)
    assert report.ok
    macs = {n: state.nodes[n].link("eth0").mac for n in ("ns1", "ns2", "ns3")}
    return out, macs


@needs_tshark
def test_tshark_sees_flooding_and_directed_forwarding(
    exercise1_pcaps: tuple[Path, dict[str, str]],
) -> None:
    out, mac = exercise1_pcaps
    bcast = "ff:ff:ff:ff:ff:ff"
    assert fields(out / "host-veth3.pcap") == [(mac["ns1"], bcast, "1", "")]
    req = (mac["ns1"], mac["ns2"], "", "8")
    rep = (mac["ns2"], mac["ns1"], "", "0")
    # ping count=3, then the trace check's one traced echo request
    assert fields(out / "host-veth2.pcap") == [
        (mac["ns1"], bcast, "1", ""),
        (mac["ns2"], mac["ns1"], "2", ""),
        *[req, rep] * 4,
    ]


@needs_tshark
def test_tshark_finds_ip_and_icmp_checksums_good(
    exercise1_pcaps: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, _ = exercise1_pcaps
    pcap = out / "host-veth2.pcap"
    status = tshark(
        "-r", str(pcap), "-o", "ip.check_checksum:TRUE", "-Y", "ip",
        "-T", "fields", "-e", "ip.checksum.status", "-e", "icmp.checksum.status",
    )
    # tshark's proto_checksum_enum_e: 0 = bad, 1 = good, 2 = unverified (so "==2" would only
    # find unchecked frames; bad is 0)
    assert status == ["1\t1"] * 8
    bad_filter = "ip.checksum.status==0 || icmp.checksum.status==0"
    assert tshark("-r", str(pcap), "-o", "ip.check_checksum:TRUE", "-Y", bad_filter) == []
    # the oracle does catch a bad checksum: flip a bit of one IP header checksum
    recs = read_pcap(pcap)
    broken = tmp_path / "broken.pcap"
    with PcapWriter(broken) as w:
        for i, (ts, frame) in enumerate(recs):
            if i == 2:
                frame = frame[:24] + bytes([frame[24] ^ 1]) + frame[25:]
            w.write(ts, frame)
    assert len(tshark("-r", str(broken), "-o", "ip.check_checksum:TRUE", "-Y", bad_filter)) == 1
