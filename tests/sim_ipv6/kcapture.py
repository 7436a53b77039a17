"""Kernel side of the addrconf tests: namespaces with unique names, always removed, and a
bounded AF_PACKET capture of what a freshly upped veth sends (run inside a namespace
with ``ip netns exec``)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from v6frames import Ev, classify

_N = itertools.count()

#: runs inside the capture namespace: open a packet socket on p0, enter the other namespace
#: (setns) and up the device there with one RTM_NEWLINK, record every frame p0 receives for
#: DUR seconds. Times are seconds from just before the RTM_NEWLINK (the kernel opens the
#: device inside that sendmsg: the anchor is good to a fraction of a millisecond).
CAPTURE = r"""
import ctypes, os, select, socket, struct, sys, time
nsb, dev, dur = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("p0", 0))
with open(f"/run/netns/{nsb}") as f:
    assert ctypes.CDLL(None, use_errno=True).setns(f.fileno(), 0x40000000) == 0
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
idx = socket.if_nametoindex(dev)
IFF_UP, RTM_NEWLINK, NLM_F_REQUEST, NLM_F_ACK = 1, 16, 1, 4
msg = struct.pack("=BxHiII", 0, 0, idx, IFF_UP, IFF_UP)
hdr = struct.pack("=IHHII", 16 + len(msg), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
t0 = time.monotonic()
nl.send(hdr + msg)  # dev_open and NETDEV_UP run inside this call
t1 = time.monotonic()
ack = nl.recv(4096)
assert struct.unpack_from("=i", ack, 16)[0] == 0, "RTM_NEWLINK failed"
print(f"# {t1 - t0:.6f}", flush=True)
while time.monotonic() - t0 < dur:
    r, _, _ = select.select([s], [], [], 0.05)
    if r:
        d, a = s.recvfrom(65535)
        if a[2] != socket.PACKET_OUTGOING:
            print(f"{time.monotonic() - t0:.6f} {d.hex()}", flush=True)
"""


def sh(*args: str, timeout: float = 20) -> str:
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=True)
    return r.stdout


@contextmanager
def namespaces(k: int) -> Iterator[list[str]]:
    """K fresh namespaces (prefix v6t-: not the labs' vnl-), deleted on the way out."""
    names = [f"v6t-{os.getpid()}-{next(_N)}" for _ in range(k)]
    try:
        for n in names:
            sh("ip", "netns", "add", n)
        yield names
    finally:
        for n in names:
            subprocess.run(["ip", "netns", "del", n], capture_output=True, timeout=20,
                           check=False)


def capture_fresh_veth(mac: str, dur: float, sysctls: tuple[str, ...] = ()) -> list[Ev]:
    """The issue's experiment: a veth with MAC upped in a new namespace (after SYSCTLS
    there, e.g. ``net.ipv6.conf.default.disable_ipv6=1``), captured on its peer in a quiet
    namespace. A spare veth pair first gives v0 an ifindex different from p0's: with equal
    ifindexes (both 2, each first in its namespace) linkwatch treats the carrier change
    as non-urgent and may hold it up to 1 s (the global linkwatch rate limit, shared by
    every namespace on the host: measured 0.0-0.54 s here)."""
    with namespaces(2) as (a, b):
        sh("ip", "netns", "exec", a, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        for kv in sysctls:
            sh("ip", "netns", "exec", b, "sysctl", "-qw", kv)
        sh("ip", "-n", b, "link", "add", "x0", "type", "veth", "peer", "name", "x1")
        sh("ip", "-n", a, "link", "add", "p0", "type", "veth", "peer", "name", "v0", "netns", b)
        sh("ip", "-n", b, "link", "set", "v0", "address", mac)
        sh("ip", "-n", a, "link", "set", "p0", "up")
        out = sh("ip", "netns", "exec", a, sys.executable, "-c", CAPTURE, b, "v0", str(dur),
                 timeout=dur + 20)
    evs = []
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        t, hexdata = line.split()
        evs.append(classify(float(t), bytes.fromhex(hexdata)))
    return evs


__all__ = ["capture_fresh_veth", "namespaces", "sh"]
