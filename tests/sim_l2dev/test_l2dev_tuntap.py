"""TUN/TAP with userspace programs in the emulator (drivers/net/tun.c semantics)."""

from __future__ import annotations

import errno
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from vnetlab.engine import EngineError
from vnetlab.model import LabError, load_lab, load_lab_text
from vnetlab.sim.apps.userspace import SimUdpSocket
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import run_checks
from vnetlab.wire.pcap import read_pcap

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TUN = """\
name: tunapi
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces:
      tun0: {type: tun, addresses: [10.8.0.1/24]}
"""


def test_tun_without_program_has_no_carrier_and_drops() -> None:
    eng = SimEngine()
    eng.realize(load_lab_text(TUN))
    link = next(ln for ln in eng.observe().nodes["a"].links if ln.ifname == "tun0")
    assert (link.kind, link.operstate, link.mac) == ("tun", "DOWN", "")
    assert not eng.ping("a", IPv4Address("10.8.0.2")).reachable
    assert eng.dev("a", "tun0").tx_dropped >= 1


def test_file_like_and_callback_sides() -> None:
    """The non-blocking fd semantics: read() raises BlockingIOError when empty; what the
    stack sends is queued; write() injects; a down device refuses writes with EIO."""
    from vnetlab.sim.apps.userspace import SimContext

    eng = SimEngine()
    eng.realize(load_lab_text(TUN))
    ns = eng.ns("a")
    ctx = SimContext("tunapi", "a", ns, eng.dev("a", "tun0"), {})  # type: ignore[arg-type]
    with pytest.raises(BlockingIOError):
        ctx.device.read()
    eng.ping("a", IPv4Address("10.8.0.2"))
    pkt = ctx.device.read()
    assert pkt[0] >> 4 == 4 and pkt[16:20] == bytes([10, 8, 0, 2])  # a bare IPv4 packet
    # answer it: swap addresses, echo reply (type 0), fix the ICMP checksum
    from vnetlab.wire import icmp as icmpw
    from vnetlab.wire.ipv4 import Ipv4Header

    hdr, payload = Ipv4Header.parse(pkt)
    msg = icmpw.IcmpMessage.parse(payload)
    reply = icmpw.IcmpMessage(icmpw.ICMP_ECHOREPLY, 0, msg.rest, msg.payload).emit()
    got: list[bytes] = []
    ctx.device.on_packet(got.append)
    ctx.device.write(Ipv4Header(src=hdr.dst, dst=hdr.src, proto=1).emit(reply))
    eng.advance(0.001)
    assert eng.dev("a", "tun0").rx_packets == 1
    eng.dev("a", "tun0").set_admin(False)
    with pytest.raises(OSError) as e:
        ctx.device.write(pkt)
    assert e.value.errno == errno.EIO


#: the checks each example declares, pinned: a lab that lost its checks would pass vacuously
EXAMPLE_CHECKS = {
    "vpn-tun": ["PingCheck"] * 3 + ["FramesCheck"] * 3,
    "vm-tap": ["PingCheck", "PingCheck", "FdbCheck", "FramesCheck"],
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_CHECKS))
def test_examples_pass(name: str) -> None:
    lab = load_lab(EXAMPLES / f"{name}.yaml")
    assert [type(c).__name__ for c in lab.checks] == EXAMPLE_CHECKS[name]
    eng = SimEngine()
    eng.realize(lab)
    report = run_checks(eng, lab)
    assert len(report.results) == len(lab.checks)
    assert report.ok, [r for r in report.results if not r.passed]
    assert all(r.passed for r in report.results)


def _vpn() -> SimEngine:
    eng = SimEngine()
    eng.realize(load_lab(EXAMPLES / "vpn-tun.yaml"))
    return eng


def test_vpn_underlay_carries_only_ciphertext(tmp_path: Path) -> None:
    eng = _vpn()
    eng.start_capture("site1", "eth0", tmp_path / "u.pcap")
    marker = 0xAB
    res = eng.ping("pc1", IPv4Address("10.2.0.10"), count=2, size=200)
    eng.stop_captures()
    assert res.received == 2
    frames = [d for _, d in read_pcap(tmp_path / "u.pcap")]
    udp = [f for f in frames if f[12:14] == b"\x08\x00" and f[23] == 17]
    assert udp and all(f[36:38] == (51820).to_bytes(2, "big") for f in udp)
    assert not [f for f in frames if f[12:14] == b"\x08\x00" and f[23] == 1]
    assert not any(bytes([marker]) * 16 in f for f in frames)
    assert eng.programs["site2:tun0"].counters["opened"] >= 2


def test_vpn_tampered_datagram_is_dropped_and_counted() -> None:
    eng = _vpn()
    assert eng.ping("site1", IPv4Address("10.8.0.2")).reachable
    site2 = eng.programs["site2:tun0"]
    before = dict(site2.counters)
    # capture one genuine datagram as site1 sends it, flip a ciphertext bit, replay it
    sent: list[bytes] = []
    eng.dev("site1", "eth0").add_tap(lambda _t, d: sent.append(d))
    eng.ping("site1", IPv4Address("10.8.0.2"))
    dgram = next(f for f in sent if f[12:14] == b"\x08\x00" and f[23] == 17)[42:]
    tampered = dgram[:20] + bytes([dgram[20] ^ 1]) + dgram[21:]
    attacker = SimUdpSocket(eng.ns("site1"), ("192.0.2.1", 4444))
    attacker.sendto(tampered, ("192.0.2.2", 51820))
    eng.advance(0.01)
    assert site2.counters["auth_failed"] == before.get("auth_failed", 0) + 1
    assert site2.counters["opened"] == before.get("opened", 0) + 1  # only the genuine one


def test_vpn_is_deterministic(tmp_path: Path) -> None:
    def run(p: Path) -> bytes:
        eng = _vpn()
        eng.start_capture("site1", "eth0", p)
        eng.ping("pc1", IPv4Address("10.2.0.10"), count=2)
        eng.stop_captures()
        return p.read_bytes()

    assert run(tmp_path / "a.pcap") == run(tmp_path / "b.pcap")


def test_program_errors_are_clear() -> None:
    bad = TUN + "      tun1: {type: tun, program: {run: vnetlab.nope:main}}\n"
    with pytest.raises(EngineError, match="cannot import 'vnetlab.nope'"):
        SimEngine().realize(load_lab_text(bad))
    with pytest.raises(LabError, match="is not 'package.module:function'"):
        load_lab_text(TUN + "      tun1: {type: tun, program: {run: 'not a program'}}\n")
    with pytest.raises(LabError, match="no link-layer address"):
        load_lab_text(TUN.replace("type: tun,", "type: tun, mac: '02:00:00:00:00:01',"))
    key_missing = TUN + ("      tun1: {type: tun, program: {run: "
                         "'vnetlab.tuntap.examples.vpn:main', args: {}}}\n")
    with pytest.raises(EngineError, match="args.key"):
        SimEngine().realize(load_lab_text(key_missing))


def test_tap_on_bridge_learns_guest_mac() -> None:
    eng = SimEngine()
    lab = load_lab(EXAMPLES / "vm-tap.yaml")
    eng.realize(lab)
    assert eng.ping("client", IPv4Address("10.0.0.10")).reachable
    fdb = {(f.port, f.mac) for f in eng.observe().nodes["host"].fdb}
    assert ("tap0", "52:54:00:12:34:56") in fdb
    assert eng.programs["host:tap0"].counters["echo_replies"] == 1


def test_a_tun_capture_is_raw_ip_like_tcpdump_on_tun0(tmp_path: Path) -> None:
    import struct

    from vnetlab.model import load_lab
    from vnetlab.sim.engine import SimEngine
    from vnetlab.tools.checks import run_checks
    from vnetlab.wire.ipv4 import Ipv4Header
    from vnetlab.wire.pcap import LINKTYPE_RAW, read_pcap

    lab = load_lab(Path(__file__).resolve().parents[2] / "examples" / "vpn-tun.yaml")
    e = SimEngine()
    e.realize(lab)
    run_checks(e, lab, capture_dir=tmp_path, capture=["site1:tun0"])
    raw = (tmp_path / "site1-tun0.pcap").read_bytes()
    assert struct.unpack_from("<I", raw, 20)[0] == LINKTYPE_RAW
    packets = read_pcap(tmp_path / "site1-tun0.pcap")
    assert packets and all(Ipv4Header.parse(p)[0].proto == 1 for _, p in packets)
