"""The host's neighbour table and the lab's ping checks (the linux engine's check hook).

Design note
-----------
``arp_tbl`` is one table for the whole host (``vnetlab.kernel.limits``): when the lab's pings
need more entries than ``gc_thresh3`` leaves free, ``prepare_checks`` splits them into
batches that fit and flushes the lab's neighbour tables between batches — the requests
``ip -n NS neigh flush all`` sends (``RTM_DELNEIGH`` for every entry that is neither
``NOARP`` nor ``PERMANENT``), pipelined on each namespace's socket.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address
from typing import Any

from pyroute2.netlink.rtnl.ndmsg import ndmsg

from vnetlab.engine import EngineError
from vnetlab.kernel import limits, nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.engine_base import EngineCore
from vnetlab.model.checks import PingCheck

AF_INET = 2
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80


class NeighMixin(EngineCore):
    """``ping_batches``, ``prepare_checks`` (the ``run_checks`` hook), ``flush_neighbours``."""

    def ping_batches(self, pings: Sequence[tuple[str, IPv4Address]]) -> list[list[int]]:
        """Indexes of ``pings`` in batches that fit the host's neighbour table (one batch if
        all fit). Between batches call ``flush_neighbours``. See ``vnetlab.kernel.limits``."""
        if self.lab is None:
            raise EngineError("no lab is up in this engine")
        return limits.batches(self.lab, pings, limits.budget())

    def prepare_checks(self, checks: Sequence[Any]) -> Callable[[int], None] | None:
        """Plan the lab's ping checks within the host's global neighbour table (hook of
        ``tools.checks.run_checks``). All fit: no hook. Else the pings are split into
        batches that fit, and the returned hook flushes the lab's neighbour tables before
        the first check of each later batch. A ping that alone does not fit raises
        ``NeighbourTableTooSmall`` (a clear error instead of wrong reachability)."""
        pings = [(i, c.src, d) for i, c in enumerate(checks)  # the IPv4 neighbour table
                 if isinstance(c, PingCheck) and (d := c.dst4) is not None]
        if not pings:
            return None
        groups = self.ping_batches([(src, dst) for _, src, dst in pings])
        if len(groups) <= 1:
            return None
        starts = {pings[g[0]][0] for g in groups[1:]}
        self.check_batches = len(groups)

        def before(index: int) -> None:
            if index in starts:
                self.flush_neighbours()

        return before

    def flush_neighbours(self) -> int:
        """``ip -n NS neigh flush all`` in every lab namespace; entries removed."""
        if self.record is None:
            raise EngineError("no lab is up in this engine")
        removed = 0
        for ns in self.record.namespaces.values():
            h = self.realized.ns.get(ns) if self.realized else None
            fd = h.fd if h is not None else nl.open_netns(ns)
            sock = h.sock if h is not None else nl.socket_in(fd)
            try:
                m = ndmsg()
                m["family"] = AF_INET
                for n in sock.dump(m, M.RTM_GETNEIGH):
                    if n["state"] & (NUD_NOARP | NUD_PERMANENT):
                        continue
                    body = M.ndmsg(AF_INET, n["ifindex"], 0, 0)
                    body += M.ipv4(M.NDA_DST, n.get_attr("NDA_DST"))
                    sock.send_raw(M.RTM_DELNEIGH, body)
                    removed += 1
                try:
                    sock.flush()
                except nl.NetlinkRequestError as e:
                    if e.errno != errno.ENOENT:  # already gone (gc raced us)
                        raise
            finally:
                if h is None:
                    sock.close()
                    os.close(fd)
        return removed
