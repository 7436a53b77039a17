"""The linux engine's side of the ``counter`` check and the ``inject`` step.

Design note
-----------
A counter name is a ``struct rtnl_link_stats64`` field (``IFLA_STATS64`` of an
``RTM_GETLINK`` in the node's namespace: what ``ip -s -s link`` prints and
``/sys/class/net/IF/statistics/`` lists) or, failing that, one of the driver's ``ethtool
-S`` names, read by running ``ethtool -S IF`` in the namespace. ``parse_ethtool_stats`` is
pure so it is tested on canned output.

``inject`` opens an ``AF_PACKET`` raw socket *inside* the node's namespace (a socket
belongs to the namespace it was created in), binds it to the interface and sends the
frame ``count`` times, as mausezahn or scapy's ``sendp`` would: the frames go through
``dev_queue_xmit`` (qdisc, taps) like any packet socket's.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

from pyroute2.netlink.rtnl import RTM_GETLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from vnetlab.kernel import nl

_ETHTOOL_LINE = re.compile(r"^\s+([^:]+):\s+(-?\d+)\s*$")
#: a counter read must not hang a check run
ETHTOOL_TIMEOUT_S = 10.0


def parse_ethtool_stats(text: str) -> dict[str, int]:
    """``ethtool -S IF`` output (``NIC statistics:`` then ``     name: value``) -> dict."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        m = _ETHTOOL_LINE.match(line)
        if m is not None:
            out[m[1].strip()] = int(m[2])
    return out


def stats64(sock: nl.NlSocket, ifname: str) -> dict[str, int] | None:
    """``IFLA_STATS64`` of ``ifname`` in the socket's namespace (None: no such device)."""
    msg = ifinfmsg()
    msg["family"] = 0
    for m in sock.dump(msg, RTM_GETLINK):
        if m.get_attr("IFLA_IFNAME") == ifname:
            st: dict[str, Any] = dict(m.get_attr("IFLA_STATS64") or {})
            return {k: int(v) for k, v in st.items() if isinstance(v, int)}
    return None


def read_counter(sock: nl.NlSocket, ifname: str, name: str,
                 ethtool: Callable[[str], str | None]) -> tuple[int | None, list[str]]:
    """The counter's value (None if the device lacks it) and the names it has.

    ``ethtool(ifname)`` returns ``ethtool -S`` output, or None when it cannot run."""
    st = stats64(sock, ifname)
    if st is None:
        raise LookupError(f'Cannot find device "{ifname}"')
    if name in st:
        return st[name], list(st)
    text = ethtool(ifname)
    extra = parse_ethtool_stats(text) if text else {}
    return extra.get(name), [*st, *extra]


def run_ethtool(ns: str) -> Callable[[str], str | None]:
    """``ethtool -S IF`` in namespace ``ns`` (None when it fails or is not installed)."""
    def run(ifname: str) -> str | None:
        try:
            done = subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-S", ifname],
                                  capture_output=True, text=True, check=False,
                                  timeout=ETHTOOL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None
    return run


def inject(fd: int, ifname: str, frame: bytes, count: int, interval_s: float) -> None:
    """Send ``frame`` ``count`` times from a packet socket on ``ifname`` in namespace
    ``fd``, ``interval_s`` apart (the sleeps are real time on the kernel)."""
    with nl.entered(fd):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((ifname, 0))
        for k in range(count):
            if k and interval_s:
                time.sleep(interval_s)
            s.send(frame)
    finally:
        s.close()
