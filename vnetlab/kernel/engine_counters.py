"""The counter check and the inject step on the linux engine.

Design note
-----------
A counter is read in the node's namespace: the device's ``IFLA_STATS64`` field over
rtnetlink, else its ``ethtool -S`` name (``vnetlab.kernel.counters.read_counter``).
Frames are sent from a packet socket opened inside the namespace (``counters.inject``,
``af_packet.c packet_snd``), so they enter the device's transmit path as a program's would.
"""

from __future__ import annotations

import time

from vnetlab.engine import EngineError
from vnetlab.kernel.engine_base import EngineCore

#: seconds for injected frames to land before the next check reads a counter
INJECT_SETTLE_S = 0.2


class CounterMixin(EngineCore):
    """``LinuxEngine.counter`` and ``LinuxEngine.inject``."""

    def counter(self, node: str, ifname: str, name: str) -> int:
        """A device counter: its stats64 field, else its ``ethtool -S`` name."""
        from vnetlab.kernel.counters import read_counter, run_ethtool

        with self._netlink_in(node) as (sock, _fd):
            try:
                value, names = read_counter(sock, ifname, name, run_ethtool(self._ns(node)))
            except LookupError as e:
                raise EngineError(f"{node}: {e}") from None
        if value is None:
            raise EngineError(f"{node}:{ifname} has no counter {name!r}",
                              hint=f"its counters: {', '.join(names)}")
        return value

    def inject(self, node: str, ifname: str, frame: bytes, count: int,
               interval_s: float) -> None:
        """A packet socket in the node's namespace sends ``frame`` ``count`` times."""
        from vnetlab.kernel.counters import inject

        with self._netlink_in(node) as (_sock, fd):
            try:
                inject(fd, ifname, frame, count, interval_s)
            except OSError as e:
                raise EngineError(f"{node}:{ifname}: cannot send raw frames: "
                                  f"{e.strerror}") from None
        time.sleep(INJECT_SETTLE_S)
