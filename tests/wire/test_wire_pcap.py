"""pcap writer: exact bytes, read back, determinism, and tshark as an external reader."""

from __future__ import annotations

import io
import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from vnetlab.wire import (
    BROADCAST,
    ETH_P_ARP,
    ETH_P_IP,
    IPPROTO_ICMP,
    ArpPacket,
    EthernetHeader,
    IcmpMessage,
    Ipv4Header,
    ParseError,
    PcapWriter,
    read_pcap,
)

A = IPv4Address
M1, M2 = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
ARP_FRAME = EthernetHeader(BROADCAST, M1, ETH_P_ARP).emit(
    ArpPacket.request(M1, A("10.0.0.1"), A("10.0.0.2")).emit()
)
PING_FRAME = EthernetHeader(M2, M1, ETH_P_IP).emit(
    Ipv4Header(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_ICMP).emit(
        IcmpMessage.echo(1, 1, bytes(56)).emit()
    )
)
FRAMES = [(1_500_000_123, ARP_FRAME), (2_000_999_999, PING_FRAME)]


def _write(path: Path) -> bytes:
    with PcapWriter(path) as w:
        for ts, frame in FRAMES:
            w.write(ts, frame)
    return path.read_bytes()


def test_exact_bytes(tmp_path: Path) -> None:
    data = _write(tmp_path / "a.pcap")
    assert data[:24] == bytes.fromhex("d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000"
                                      .replace(" ", ""))
    # first record: 1 s, 500000 us (123 ns truncated), 42 bytes captured and on the wire
    assert data[24:40] == (1).to_bytes(4, "little") + (500000).to_bytes(4, "little") + (
        42).to_bytes(4, "little") * 2
    assert data[40:82] == ARP_FRAME
    assert len(data) == 24 + 16 + 42 + 16 + len(PING_FRAME)


def test_read_back_and_deterministic(tmp_path: Path) -> None:
    data = _write(tmp_path / "a.pcap")
    assert _write(tmp_path / "b.pcap") == data
    expected = [(1_500_000_000, ARP_FRAME), (2_000_999_000, PING_FRAME)]
    assert read_pcap(tmp_path / "a.pcap") == expected
    assert read_pcap(str(tmp_path / "a.pcap")) == read_pcap(io.BytesIO(data))


def test_fileobj_snaplen_and_errors() -> None:
    buf = io.BytesIO()
    w = PcapWriter(buf, snaplen=20)
    w.write(0, PING_FRAME)
    w.close()
    w.close()
    assert not buf.closed
    [(ts, frame)] = read_pcap(io.BytesIO(buf.getvalue()))
    assert ts == 0 and frame == PING_FRAME[:20]
    assert int.from_bytes(buf.getvalue()[24 + 12 : 24 + 16], "little") == len(PING_FRAME)
    with pytest.raises(ValueError, match="closed"):
        w.write(1, b"x")
    with pytest.raises(ValueError, match="negative"):
        PcapWriter(io.BytesIO()).write(-1, b"x")
    for bad, msg in ((b"", "shorter"), (b"\x00" * 24, "magic"), (buf.getvalue()[:-1], "claims"),
                     (buf.getvalue()[:30], "truncated")):
        with pytest.raises(ParseError, match=msg):
            read_pcap(io.BytesIO(bad))


def test_tshark_reads_file(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    path = tmp_path / "t.pcap"
    _write(path)
    out = subprocess.run(
        [tshark, "-r", str(path), "-T", "fields", "-e", "frame.len", "-e", "frame.time_epoch",
         "-e", "arp.dst.proto_ipv4", "-e", "icmp.seq", "-e", "ip.checksum.status",
         "-e", "icmp.checksum.status",
         "-o", "ip.check_checksum:TRUE"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split("\n")
    rows = [line.split("\t") for line in out if line]
    assert [r[0] for r in rows] == ["42", "98"]
    assert rows[0][1].startswith("1.500000") and rows[1][1].startswith("2.000999")
    assert rows[0][2] == "10.0.0.2"
    # checksum status 1 is "Good" (0 bad, 2 unverified)
    assert rows[1][3:6] == ["1", "1", "1"]
