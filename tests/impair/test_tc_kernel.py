"""tc on the real kernel: the script's ``tc`` against the real tc (iproute2 6.1) in a
namespace of our own, TBF against sch_tbf (a fixed UDP burst's ``tc -s`` counters and
delivered bytes; iperf3 through a shaped veth and a shaped bridge port vs the emulator's
iperf app), and netem refused at plan time where the kernel has no sch_netem."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from typing import Any

import pytest

from vnetlab.api import make_engine
from vnetlab.engine import UnsupportedError
from vnetlab.kernel.ops.tc import netem_unsupported
from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.script import run_script
from vnetlab.sim.apps.userspace import SimUdpSocket
from vnetlab.sim.clock import S
from vnetlab.sim.engine import SimEngine

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("tc") is None, reason="iproute2's tc is not installed"),
]
RUN = f"{os.getpid() % 100000}"


# -- tc's output and errors: the script against the real tc ---------------------------------
COMMANDS = [
    "tc qdisc show",
    "tc qdisc add dev va root handle 1: tbf rate 1mbit burst 32kbit latency 400ms",
    "tc qdisc show dev va",
    "tc -s qdisc show dev va",
    "tc -j qdisc show dev va",
    "tc -s -j qdisc show dev va",
    "tc qdisc add dev va root handle 2: tbf rate 1mbit burst 32kbit latency 400ms",
    "tc qdisc replace dev va root handle 1: tbf rate 10mbit burst 10kb latency 50ms "
    "peakrate 20mbit mtu 1600",
    "tc qdisc show dev va",
    "tc qdisc change dev va root handle 1: tbf rate 2mbit burst 10k limit 20k",
    "tc qdisc show dev va",
    "tc qdisc del dev va root",
    "tc qdisc del dev va root",
    "tc qdisc change dev va root tbf rate 1mbit burst 1k latency 1ms",
    "tc qdisc add dev va root tbf rate 1mbit",
    "tc qdisc add dev va root tbf rate 1mbit burst 10k",
    "tc qdisc add dev va root tbf rate bogus burst 1k latency 1ms",
    "tc qdisc add dev va root tbf rate 1mbit burst 1k latency 1ms bogus",
    "tc qdisc add dev vx root tbf rate 1mbit burst 1k latency 1ms",
    "tc qdisc add dev va root foo",
    "tc qdisc foo dev va",
    "tc qdisc add dev va root handle 1: htb default 10",
    "tc qdisc show dev va",
    "tc -j qdisc show dev va",
    "tc qdisc replace dev va root handle 3: htb",
    "tc qdisc show",
    "tc -j qdisc show dev tn",
    "tc -s qdisc show dev lo",
]


def _real(ns: str) -> list[tuple[int, str, str]]:
    out = []
    for cmd in COMMANDS:
        done = subprocess.run(["ip", "netns", "exec", ns, *cmd.split()], capture_output=True,
                              text=True, timeout=10, check=False)
        out.append((done.returncode, done.stdout, done.stderr))
    return out


def _emulated() -> list[tuple[int, str, str]]:
    setup = ("ip link add va type veth peer name vb\nip tuntap add tn mode tun\n"
             "ip link set lo up\nip link set va up\nip link set vb up\nip link set tn up\n")
    out = []
    for k, cmd in enumerate(COMMANDS):
        o: list[str] = []
        e: list[str] = []
        text = ("ip netns add t\n" + "".join(f"ip netns exec t {ln}\n"
                                             for ln in setup.splitlines()))
        text += "".join(f"ip netns exec t {c}\n" for c in COMMANDS[:k])
        pre: list[str] = []
        pre_err: list[str] = []
        run_script(text, out=pre.append, err=pre_err.append)
        rc, _ = run_script(text + f"ip netns exec t {cmd}\n", out=o.append, err=e.append)
        err = [re.sub(r"^\S+:\d+: ", "", ln) for ln in e[len(pre_err):] if ln]
        out.append((rc, "".join(ln + "\n" for ln in o[len(pre):]),
                    "".join(ln + "\n" for ln in err)))
    return out


@pytest.fixture
def tc_ns() -> Iterator[str]:
    ns = f"vnl-tcq-{RUN}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        # no IPv6: its router solicitations and MLD reports would cross the qdiscs and
        # count in tc -s (the emulator is IPv4 only, as the linux engine's labs are)
        for key in ("all", "default"):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            f"net.ipv6.conf.{key}.disable_ipv6=1"], check=True)
        x = ["ip", "-n", ns]
        subprocess.run([*x, "link", "add", "va", "type", "veth", "peer", "name", "vb"],
                       check=True)
        subprocess.run([*x, "tuntap", "add", "tn", "mode", "tun"], check=True)
        for dev in ("lo", "va", "vb", "tn"):
            subprocess.run([*x, "link", "set", dev, "up"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_script_tc_prints_what_the_real_tc_prints(tc_ns: str) -> None:
    real = _real(tc_ns)
    mine = _emulated()
    for cmd, (rrc, rout, rerr), (mrc, mout, merr) in zip(COMMANDS, real, mine, strict=True):
        # the real rc is the shell's; ours the script's last command's
        assert mrc == rrc, (cmd, rerr, merr)
        assert mout == rout, cmd
        assert merr.strip() == rerr.strip(), cmd


# -- TBF: a fixed UDP burst on both engines --------------------------------------------------
def _burst_lab(shaped_on: str, bridged: bool) -> LabSpec:
    name = f"tb{'b' if bridged else 'v'}{RUN}"
    if bridged:
        return load_lab_text(f"""
name: {name}
nodes:
  a: {{interfaces: {{eth0: {{addresses: [10.77.0.1/24]}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.77.0.2/24]}}}}}}
  sw:
    interfaces:
      br0: {{type: bridge}}
      pa: {{master: br0}}
      pb: {{master: br0}}
    tc: ["qdisc add dev {shaped_on} root tbf rate 1mbit burst 10k limit 20k"]
links:
  - endpoints: [a:eth0, sw:pa]
  - endpoints: [sw:pb, b:eth0]
""")
    return load_lab_text(f"""
name: {name}
nodes:
  a:
    interfaces: {{eth0: {{addresses: [10.77.0.1/24]}}}}
    tc: ["qdisc add dev {shaped_on} root tbf rate 1mbit burst 10k limit 20k"]
  b: {{interfaces: {{eth0: {{addresses: [10.77.0.2/24]}}}}}}
links:
  - endpoints: [a:eth0, b:eth0]
""")


BURST, PAYLOAD = 100, 1000  # 1000 bytes of UDP payload: 1042-byte frames
_SENDER = (
    "import socket\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    f"for i in range({BURST}):\n"
    f"    s.sendto(i.to_bytes(4, 'big') + bytes({PAYLOAD - 4}), ('10.77.0.2', 9))\n"
)


def _kernel_burst(lab: LabSpec, node: str, dev: str) -> tuple[dict[str, int], int]:
    eng = make_engine("linux")
    try:
        eng.realize(lab)
        assert eng.ping("a", IPv4Address("10.77.0.2"), count=1).received == 1
        time.sleep(1.0)  # the bucket refills after the ping's frames
        rx0 = _rx_bytes(eng, "b")
        before = _tbf(eng, node, dev)
        eng.exec("a", [sys.executable, "-c", _SENDER], timeout_s=20)  # type: ignore[attr-defined]
        time.sleep(1.0)  # the queue drains: 19 frames at 1 Mbit/s take 160 ms
        after = _tbf(eng, node, dev)
        delta = {k: after[k] - before[k] if k in _COUNTERS else after[k] for k in after
                 if k not in ("kind", "handle")}
        return delta, _rx_bytes(eng, "b") - rx0
    finally:
        eng.teardown()


_COUNTERS = ("bytes", "packets", "drops", "overlimits", "requeues")


def _tbf(eng: object, node: str, dev: str) -> dict[str, Any]:
    stats: list[dict[str, Any]] = eng.qdisc_stats(node, dev)  # type: ignore[attr-defined]
    return next(q for q in stats if q["kind"] == "tbf")


def _rx_bytes(eng: object, node: str) -> int:
    done = eng.exec(node, ["ip", "-j", "-s", "link", "show", "eth0"],  # type: ignore[attr-defined]
                    capture=True, timeout_s=10)
    return int(json.loads(done.stdout)[0]["stats64"]["rx"]["bytes"])


def _sim_burst(lab: LabSpec, node: str, dev: str) -> tuple[dict[str, int], int]:
    eng = SimEngine()
    eng.realize(lab)
    assert eng.ping("a", IPv4Address("10.77.0.2"), count=1).received == 1
    eng.advance(1.0)
    b = eng.dev("b", "eth0")
    rx0 = b.rx_bytes
    q = eng.dev(node, dev).qdisc
    assert q is not None
    before = {k: getattr(q, k) for k in _COUNTERS}
    sock = SimUdpSocket(eng.ns("a"), ("", 0))
    for i in range(BURST):
        sock.sendto(i.to_bytes(4, "big") + bytes(PAYLOAD - 4), ("10.77.0.2", 9))
    eng.sched.run(until=eng.sched.now + 1 * S)
    delta = {k: getattr(q, k) - before[k] for k in _COUNTERS}
    return delta | {"backlog": q.backlog, "qlen": q.qlen}, b.rx_bytes - rx0


@pytest.mark.parametrize(("bridged", "node", "dev"), [
    (False, "a", "eth0"), (True, "sw", "pb")], ids=["veth", "bridge-port"])
def test_a_udp_burst_through_tbf_counts_as_the_kernel_counts(
        bridged: bool, node: str, dev: str) -> None:
    lab = _burst_lab(dev, bridged)
    sim, sim_rx = _sim_burst(lab, node, dev)
    real, real_rx = _kernel_burst(lab, node, dev)
    # the bucket (10240 bytes) lets 9 frames of 1042 bytes through at once, the queue
    # (20480 bytes) holds 19 more, the rest is dropped; the kernel's burst takes a little
    # real time, in which the bucket refills by a few bytes: one frame of slack
    assert (sim["packets"], sim["drops"]) == (28, 72)
    assert abs(real["packets"] - sim["packets"]) <= 1
    assert abs(real["drops"] - sim["drops"]) <= 1
    assert real["packets"] + real["drops"] == BURST == sim["packets"] + sim["drops"]
    assert sim["bytes"] == sim["packets"] * 1042 and real["bytes"] == real["packets"] * 1042
    assert (real["backlog"], real["qlen"]) == (sim["backlog"], sim["qlen"]) == (0, 0)
    assert sim["overlimits"] > 0 and real["overlimits"] > 0
    # delivered: what left the qdisc arrives (the bridged lab's b also gets nothing else)
    assert sim_rx == sim["bytes"] and abs(real_rx - sim_rx) <= 1042


# -- TBF throughput: iperf3 on the kernel vs the emulator's iperf app ----------------------
@pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 is not installed")
@pytest.mark.parametrize("bridged", [False, True], ids=["veth", "bridge-port"])
def test_tbf_shaped_throughput_agrees_with_iperf3(bridged: bool) -> None:
    dev = "pb" if bridged else "eth0"
    node = "sw" if bridged else "a"
    lab = _burst_lab(dev, bridged)
    line = f"qdisc replace dev {dev} root tbf rate 20mbit burst 32k latency 20ms"
    results = {}
    for kind in ("sim", "linux"):
        eng = make_engine(kind)
        try:
            eng.realize(lab)
            eng.tc(node, line)  # type: ignore[attr-defined]
            udp = eng.iperf("a", IPv4Address("10.77.0.2"),  # type: ignore[attr-defined]
                            udp=True, bitrate=50_000_000, time_s=2.0)
            # a window that fits the TBF queue (82 KB): the emulator's TCP-like sender opens
            # its whole window at once and has no slow start or CUBIC recovery, so a
            # window far above the queue collapses into RTOs there (known difference)
            tcp = eng.iperf("a", IPv4Address("10.77.0.2"),  # type: ignore[attr-defined]
                            time_s=2.0, window=64 * 1024)
            results[kind] = (udp.bits_per_second, tcp.bits_per_second)
        finally:
            eng.teardown()
    (sim_udp, sim_tcp), (real_udp, real_tcp) = results["sim"], results["linux"]
    # stated tolerance: 15 % (the kernel measures, the emulator models its sender)
    assert real_udp == pytest.approx(20e6, rel=0.15)
    assert sim_udp == pytest.approx(real_udp, rel=0.15)
    assert sim_tcp == pytest.approx(real_tcp, rel=0.15)


# -- netem: refused at plan time where the kernel has no sch_netem -------------------------
def test_netem_is_refused_at_plan_time_with_the_kernels_reason() -> None:
    why = netem_unsupported()
    if why is None:
        pytest.skip("this kernel has sch_netem: nothing to refuse")
    lab = load_lab_text(f"""
name: nm{RUN}
nodes:
  a:
    interfaces: {{eth0: {{addresses: [10.78.0.1/24]}}}}
    tc: ["qdisc add dev eth0 root netem delay 40ms 5ms loss 1%"]
  b: {{interfaces: {{eth0: {{addresses: [10.78.0.2/24]}}}}}}
links: [{{endpoints: [a:eth0, b:eth0]}}]
""")
    eng = make_engine("linux")
    try:
        with pytest.raises(UnsupportedError) as e:
            eng.realize(lab)
    finally:
        eng.teardown()
    text = str(e.value)
    assert "sch_netem" in text and "Specified qdisc kind is unknown" in text
    assert "a has tc 'qdisc add dev eth0 root netem delay 40ms 5ms loss 1%'" in text
    assert not [n for n in os.listdir("/run/netns") if n.startswith(f"vnl-nm{RUN}")]
