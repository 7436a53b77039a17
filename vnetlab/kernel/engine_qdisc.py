"""The tc step and qdisc counters on the linux engine.

Design note
-----------
A ``tc`` step is the same ``Tc`` op the plan uses (``vnetlab.kernel.ops.tc``: the line
parsed by ``model.tc`` and sent as ``RTM_NEWQDISC``/``RTM_DELQDISC`` on the node's socket),
refused in the words plan time uses where the kernel or the encoder cannot. Counters are
an ``RTM_GETQDISC`` dump filtered by ifindex (``tc -s qdisc show dev IF``).
"""

from __future__ import annotations

from typing import Any

from vnetlab.engine import EngineError
from vnetlab.kernel.engine_base import EngineCore
from vnetlab.kernel.ops.tc import Tc, netem_unsupported, never_on_kernel, qdisc_stats
from vnetlab.model.tc import TcError, parse_tc_line


class QdiscMixin(EngineCore):
    """``LinuxEngine.tc`` and ``LinuxEngine.qdisc_stats``."""

    def tc(self, node: str, line: str) -> None:
        """A ``tc`` step: the line as a qdisc request in the node's namespace (vnetlab.kernel
        .ops.tc); refused, as at plan time, where the kernel or the encoder cannot."""
        try:
            cmd = parse_tc_line(line)
        except TcError as e:
            raise EngineError(f"tc {line}: {e.message.splitlines()[0]}") from None
        never = never_on_kernel(cmd)
        why = never if never is not None else (
            netem_unsupported() if cmd.kind == "netem" else None)
        if why is not None:
            raise EngineError(f"tc {line}: {why}")
        h = self._handle(node)
        if cmd.dev not in h.index:
            h.index[cmd.dev] = self._ifindex(node, cmd.dev)
        assert self.realized is not None  # _handle found it
        Tc(h.name, line=line).apply(self.realized)

    def qdisc_stats(self, node: str, ifname: str) -> list[dict[str, Any]]:
        """NODE:IFNAME's qdiscs with ``tc -s`` counters (kind, handle, bytes, packets,
        drops, overlimits, requeues, backlog, qlen), read over netlink."""
        h = self._handle(node)
        idx = h.index.get(ifname) or self._ifindex(node, ifname)
        return qdisc_stats(h.sock, idx)
