"""What the linux engine's parts share: the lab it holds and the way to a node's namespace.

Design note
-----------
``LinuxEngine`` (``vnetlab.kernel.engine``) is assembled from one part per concern — apps
(``engine_apps``), iperf3 (``engine_iperf``), device counters and raw frames
(``engine_counters``), qdiscs (``engine_qdisc``), the host's neighbour table
(``engine_neigh``) — each a mixin on ``EngineCore``, which declares the state they read
(the record of the lab that is up, the live handles of the applied plan) and the lookups
they share: node -> namespace name, -> ``NsHandle``, -> (netlink socket, namespace fd).
Explicit inheritance, no registration: the class statement lists every part.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator

from vnetlab.engine import EngineError
from vnetlab.kernel import nl, programs, runtime
from vnetlab.kernel.ops.base import NsHandle, Op, Realized
from vnetlab.model.spec import LabSpec

_ENV = {**os.environ, "LC_ALL": "C"}


class EngineCore:
    """The state every part of ``LinuxEngine`` reads, and the namespace lookups."""

    prefix: str
    persistent: bool
    lab: LabSpec | None
    record: runtime.LabRecord | None
    realized: Realized | None
    ops: list[Op]
    check_batches: int
    programs: dict[str, programs.ProgramThread]

    def _ns(self, node: str) -> str:
        if self.record is None:
            raise EngineError("no lab is up in this engine")
        try:
            return self.record.namespaces[node]
        except KeyError:
            known = ", ".join(sorted(self.record.namespaces))
            raise EngineError(f"lab {self.record.lab!r} has no node {node!r} (nodes: {known})")\
                from None

    def namespace(self, node: str) -> str:
        return self._ns(node)

    def _handle(self, node: str) -> NsHandle:
        h = self.realized.ns.get(self._ns(node)) if self.realized else None
        if h is None:
            raise EngineError(f"node {node!r} has no namespace handle (the lab is not up)")
        return h

    def _ifindex(self, node: str, ifname: str) -> int:
        done = subprocess.run(["ip", "-n", self._ns(node), "-j", "link", "show", ifname],
                              capture_output=True, text=True, timeout=10, check=False)
        if done.returncode != 0:
            raise EngineError(done.stderr.strip() or f'Cannot find device "{ifname}"')
        return int(json.loads(done.stdout)[0]["ifindex"])

    @contextlib.contextmanager
    def _netlink_in(self, node: str) -> Iterator[tuple[nl.NlSocket, int]]:
        """(socket, namespace fd) of the node's namespace, for the block."""
        ns = self._ns(node)
        h = self.realized.ns.get(ns) if self.realized else None
        if h is not None:
            yield h.sock, h.fd
            return
        fd = nl.open_netns(ns)
        sock = nl.socket_in(fd)
        try:
            yield sock, fd
        finally:
            sock.close()
            os.close(fd)
