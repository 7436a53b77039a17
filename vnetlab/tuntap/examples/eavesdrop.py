"""A capture-and-read eavesdropper: counts what reaches its TAP port and looks for bytes.

Design note
-----------
Attached to a bridge (a new port, as a privileged workload would add one), the program
reads every frame the bridge floods or forwards to it. It counts frames (``frames``), ARP
and IPv4 ones, and, when ``look_for`` is given (text), the frames whose bytes contain it
(``found``): proof that the payload crossed in the clear. It never sends.
"""

from __future__ import annotations

from vnetlab.tuntap.api import Context


def main(ctx: Context) -> None:
    needle = str(ctx.args.get("look_for", "")).encode()

    def on_frame(frame: bytes) -> None:
        ctx.counters["frames"] += 1
        if frame[12:14] == b"\x08\x06":
            ctx.counters["arp"] += 1
        elif frame[12:14] == b"\x08\x00":
            ctx.counters["ipv4"] += 1
        if needle and needle in frame:
            ctx.counters["found"] += 1

    ctx.device.on_packet(on_frame)
