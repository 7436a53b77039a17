"""The kernel as the oracle for two pins (issue 20): the bridge's egress MTU threshold and the
neighbour table's unresolved-queue overflow, measured in namespaces this test creates (names
unique per run, deleted in ``finally``), then the emulator asked the same question.

Measured facts (Linux 6.x here):

* a bridge port with mtu 1400 passes a 1418-byte frame (mtu + VLAN_ETH_HLEN) and silently
  drops a 1419-byte one: no counter of the bridge or the port moves (``br_dev_queue_push_xmit``
  → ``kfree_skb``);
* datagrams sent to an unresolved neighbour overflow ``unres_qlen_bytes``: the oldest are
  dropped, the newest reach the host once it answers, and the device's ``tx_dropped`` stays
  0. (How many fit differs: the kernel counts ``truesize``, the emulator packet length.)
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest
from pinlab import realize, run_for

from vnetlab.sim.clock import MS, S
from vnetlab.sim.netdev import Skb
from vnetlab.wire.ipv4 import Ipv4Header

pytestmark = pytest.mark.kernel

PFX = f"vnl-pin{os.getpid() % 100000}-"


def sh(*args: str, ns: str | None = None, check: bool = True, timeout: float = 20) -> str:
    cmd = (["ip", "netns", "exec", PFX + ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and r.returncode:
        raise AssertionError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


@pytest.fixture
def netns() -> Iterator[list[str]]:
    made: list[str] = []

    def add(*names: str) -> None:
        for n in names:
            sh("ip", "netns", "add", PFX + n)
            made.append(n)
            for key in ("all", "default"):
                sh("sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1", ns=n)

    try:
        yield add  # type: ignore[misc]
    finally:
        for n in made:
            subprocess.run(["ip", "netns", "del", PFX + n], capture_output=True, timeout=20,
                           check=False)


def stats(ns: str, dev: str) -> dict[str, dict[str, int]]:
    out = sh("ip", "-s", "-j", "link", "show", dev, ns=ns)
    return json.loads(out)[0]["stats64"]  # type: ignore[no-any-return]


SEND_RAW = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for n in map(int, sys.argv[1:]):
    s.send(bytes.fromhex("020000000909" "020000000101" "88b5") + b"x" * (n - 14))
"""
SIZES = [1418, 1419, 1418, 1419]
RECV_RAW = """
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
s.bind(("eth0", 0))
s.settimeout(1.5)
got = []
try:
    while True:
        got.append(len(s.recv(65535)))
except OSError:
    pass
print(" ".join(map(str, got)))
"""


def test_bridge_egress_threshold_and_silent_drop_match_the_kernel(netns) -> None:  # type: ignore[no-untyped-def]
    netns("b", "1", "2")
    b = PFX + "b"
    sh("ip", "-n", b, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", b, "link", "add", "v1", "type", "veth", "peer", "name", "eth0", "netns",
       PFX + "1")
    sh("ip", "-n", b, "link", "add", "v2", "type", "veth", "peer", "name", "eth0", "netns",
       PFX + "2")
    sh("ip", "-n", b, "link", "set", "v1", "master", "br0", "mtu", "9000")
    sh("ip", "-n", b, "link", "set", "v2", "master", "br0", "mtu", "1400")
    sh("ip", "-n", PFX + "1", "link", "set", "eth0", "mtu", "9000", "up")
    sh("ip", "-n", PFX + "2", "link", "set", "eth0", "up")
    for d in ("br0", "v1", "v2"):
        sh("ip", "-n", b, "link", "set", d, "up")
    time.sleep(0.5)  # ports forwarding (no STP: at once), links up
    recv = subprocess.Popen(["ip", "netns", "exec", PFX + "2", "python3", "-c", RECV_RAW],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        br0, v20 = stats("b", "br0")["tx"], stats("b", "v2")["tx"]
        sh("python3", "-c", SEND_RAW, *map(str, SIZES), ns="1")
        out, _ = recv.communicate(timeout=15)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait(timeout=10)
    br1, v21 = stats("b", "br0")["tx"], stats("b", "v2")["tx"]
    sizes = [int(x) for x in out.split()]
    assert sizes == [1418, 1418]  # the 1419-byte frames never arrive
    kernel_got = (len(sizes), sum(sizes))
    assert br1["dropped"] == br0["dropped"] and v21["dropped"] == v20["dropped"]

    # the emulator, same topology, same frames
    engine = realize("""
name: pinbr
nodes:
  host:
    interfaces:
      br0: {type: bridge}
      veth1: {master: br0, mtu: 9000}
      veth2: {master: br0, mtu: 1400}
  ns1:
    interfaces: {eth0: {mtu: 9000}}
  ns2:
    interfaces: {eth0: {}}
links:
  - endpoints: [host:veth1, ns1:eth0]
  - endpoints: [host:veth2, ns2:eth0]
""")
    ns2 = engine.namespaces["ns2"].devices["eth0"]
    br = engine.namespaces["host"].devices["br0"]
    v2 = engine.namespaces["host"].devices["veth2"]
    before = (ns2.rx_packets, ns2.rx_bytes)
    for n in SIZES:
        frame = bytes.fromhex("020000000909" "020000000101" "88b5") + b"x" * (n - 14)
        engine.namespaces["ns1"].devices["eth0"].xmit(Skb(frame, None))
    run_for(engine, 10 * MS)
    assert (ns2.rx_packets - before[0], ns2.rx_bytes - before[1]) == kernel_got
    assert br.tx_dropped == 0 and v2.tx_dropped == 0


RECV = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9))
s.settimeout(2.5)
got = []
try:
    while True:
        got.append(int(s.recv(2000)[:6]))
except OSError:
    pass
print(" ".join(map(str, got)))
"""
SEND_UDP = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    s.sendto(b"%06d" % i + b"x" * 1394, ("10.0.0.99", 9))
"""


def test_unresolved_queue_drops_the_oldest_and_counts_no_tx_drop(netns) -> None:  # type: ignore[no-untyped-def]
    netns("a", "b")
    a, b = PFX + "a", PFX + "b"
    sh("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
    sh("ip", "-n", a, "addr", "add", "10.0.0.1/24", "dev", "eth0")
    for n in (a, b):
        sh("ip", "-n", n, "link", "set", "eth0", "up")
        sh("ip", "-n", n, "link", "set", "lo", "up")
    time.sleep(0.3)
    recv = subprocess.Popen(["ip", "netns", "exec", b, "python3", "-c", RECV],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        tx0 = stats("a", "eth0")["tx"]
        sh("python3", "-c", SEND_UDP, ns="a")
        # the host appears: the next ARP retransmission (1 s) is answered, the queue drains
        sh("ip", "-n", b, "addr", "add", "10.0.0.99/24", "dev", "eth0")
        out, _ = recv.communicate(timeout=15)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait(timeout=10)
    tx1 = stats("a", "eth0")["tx"]
    got = [int(x) for x in out.split()]
    assert got, "nothing arrived once the neighbour resolved"
    assert got == list(range(got[0], 300)), "the survivors are the newest, in order"
    assert got[0] > 0, "the queue overflowed: the oldest were dropped"
    assert tx1["dropped"] == tx0["dropped"]

    # the emulator: same datagrams, same order
    engine = realize("""
name: pinq
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
""")
    ns = engine.namespaces["a"]
    dev = ns.devices["eth0"]
    pkts = [Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.99"), 17).emit(
        b"\0" * 8 + b"%06d" % i + b"x" * 1394) for i in range(300)]
    for p in pkts:
        ns.stack.neigh.output(dev, int(IPv4Address("10.0.0.99")), p, None)
    n = ns.stack.neigh.entries[(dev, int(IPv4Address("10.0.0.99")))]
    kept = [int(p[28:34]) for p, _ in n.queue]
    assert kept == list(range(kept[0], 300)) and kept[0] > 0
    assert dev.tx_dropped == 0 and ns.stack.neigh.unres_discards == kept[0]
    run_for(engine, 5 * S)


def test_neighbour_defaults_equal_a_fresh_namespaces(netns) -> None:  # type: ignore[no-untyped-def]
    """The emulator's neighbour parameters are the kernel's defaults (read where no
    administrator has tuned them: the loopback of a namespace made for this test; a new
    namespace has no neigh/default, its devices start from the table's defaults)."""
    from vnetlab.sim.stack import neigh

    netns("d")

    def get(name: str) -> int:
        return int(sh("cat", f"/proc/sys/net/ipv4/neigh/lo/{name}", ns="d"))

    assert get("mcast_solicit") == neigh.MCAST_SOLICIT == 3
    assert get("ucast_solicit") == neigh.UCAST_SOLICIT == 3
    assert get("retrans_time_ms") * MS == neigh.RETRANS_TIME
    assert get("base_reachable_time_ms") * MS == neigh.REACHABLE_TIME
    assert get("delay_first_probe_time") * S == neigh.DELAY_FIRST_PROBE
    assert get("locktime") * 10 * MS == neigh.LOCKTIME  # USER_HZ ticks
    assert get("unres_qlen_bytes") == neigh.UNRES_QLEN_BYTES


SEND_BAD_IP = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
hdr = bytes.fromhex("4500001c00000000400100000a0000010a000002")  # header checksum 0: bad
s.send(bytes.fromhex(sys.argv[1]) + bytes.fromhex("020000000001") + b"\\x08\\x00" + hdr
       + bytes.fromhex("0800f7ff00000000"))
"""


def _in_hdr_errors(ns: str) -> int:
    lines = [ln.split() for ln in sh("cat", "/proc/net/snmp", ns=ns).splitlines()
             if ln.startswith("Ip:")]
    return int(lines[1][lines[0].index("InHdrErrors")])


def test_bad_ipv4_header_counts_inhdrerrors_not_rx_dropped(netns) -> None:  # type: ignore[no-untyped-def]
    netns("a", "b")
    a, b = PFX + "a", PFX + "b"
    sh("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
    sh("ip", "-n", b, "addr", "add", "10.0.0.2/24", "dev", "eth0")
    for n in (a, b):
        sh("ip", "-n", n, "link", "set", "eth0", "up")
    time.sleep(0.3)
    mac = json.loads(sh("ip", "-j", "link", "show", "eth0", ns="b"))[0]["address"]
    rx0, err0 = stats("b", "eth0")["rx"], _in_hdr_errors("b")
    sh("python3", "-c", SEND_BAD_IP, mac.replace(":", ""), ns="a")
    time.sleep(0.3)
    rx1, err1 = stats("b", "eth0")["rx"], _in_hdr_errors("b")
    assert rx1["packets"] == rx0["packets"] + 1 and rx1["dropped"] == rx0["dropped"]
    assert err1 == err0 + 1
    # the emulator
    engine = realize("""
name: pinhdr
ipv6: off  # the pin counts received frames: no autoconf chatter
nodes:
  a:
    interfaces: {eth0: {}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
""")
    bdev = engine.namespaces["b"].devices["eth0"]
    hdr = bytes.fromhex("4500001c00000000400100000a0000010a000002")
    engine.namespaces["a"].devices["eth0"].xmit(Skb(
        bdev.mac + bytes.fromhex("020000000001") + b"\x08\x00" + hdr
        + bytes.fromhex("0800f7ff00000000"), None))
    run_for(engine, 1 * MS)
    assert (bdev.rx_packets, bdev.rx_dropped) == (1, 0)
    assert engine.namespaces["b"].stack.stats.get("InHdrErrors") == 1
