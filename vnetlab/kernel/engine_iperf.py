"""The iperf check on the linux engine: the real iperf3 between two lab namespaces.

Design note
-----------
The server side is the node that holds the destination address in the lab's model
(``iperf3.server_node``); the run itself (a one-off ``iperf3 -s -1``, stopped by pid
whatever happens, and the client's JSON parsed) is ``vnetlab.kernel.iperf3``.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.engine import EngineError, IperfResult
from vnetlab.kernel import iperf3
from vnetlab.kernel.engine_base import EngineCore


class IperfMixin(EngineCore):
    """``LinuxEngine.iperf``."""

    def iperf(self, node: str, dst: IPv4Address, *, udp: bool = False,
              bitrate: int | None = None, time_s: float = 1.0, length: int | None = None,
              window: int | None = None) -> IperfResult:
        """The real iperf3 from NODE to DST (``vnetlab.kernel.iperf3``): a one-off server
        in the node holding DST, stopped by pid whatever happens."""
        server = iperf3.server_node(self.lab, dst) if self.lab is not None else None
        if server is None:
            raise EngineError(f"no node of this lab holds {dst}: nowhere to run iperf3 -s",
                              hint="iperf checks name an address of a lab interface")
        return iperf3.run_iperf3(node, self._ns(node), self._ns(server), dst, udp=udp,
                                 bitrate=bitrate, time_s=time_s, length=length,
                                 window=window)
