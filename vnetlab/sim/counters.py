"""Device counters for the ``counter`` check: the names ``ip -s -s link`` and ``ethtool -S``
use.

Design note
-----------
``struct rtnl_link_stats64`` is every netdev's (``/sys/class/net/IF/statistics/NAME``);
the emulator counts the packet/byte/drop fields on every device and the fields a kind
models (a VF's ``rx_missed_errors``); the rest read 0, as on a device that never had such
an error. A kind with driver counters of its own offers ``ethtool_stats()`` (``ethtool
-S``: a PF's physical port, anti-spoof and per-VF counters; a VF's ``rx_out_of_buffer``).
"""

from __future__ import annotations

from vnetlab.sim.netdev import NetDevice

#: ``struct rtnl_link_stats64``, in its order
STATS64 = (
    "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
    "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
    "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
    "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
    "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
    "rx_nohandler",
)


def device_counters(dev: NetDevice) -> dict[str, int]:
    """Every counter ``dev`` has: stats64 first, then its ``ethtool -S`` names."""
    out = {name: int(getattr(dev, name, 0)) for name in STATS64}
    ethtool = getattr(dev, "ethtool_stats", None)
    if ethtool is not None:
        out.update(ethtool())
    return out
