"""Sending and receiving BPDUs (net/bridge/br_stp_bpdu.c).

Design note
-----------
BPDUs are real frames built by ``vnetlab.wire.stp``: they leave by the port device's own
``xmit`` (``br_send_bpdu`` -> ``dev_queue_xmit``, whatever the port's state, from the
port's MAC to the Bridge Group Address) and arrive through ``br_handle_frame``, which
hands frames for 01:80:c2:00:00:00 here while STP is on (the kernel passes them up to
LLC, whose SAP 0x42 handler is ``br_stp_rcv``). Receiving checks what ``br_stp_rcv``
checks, in its order: STP on, bridge up, port not disabled, a well-formed BPDU, and a
config BPDU whose message age does not exceed its max age.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge import stp
from vnetlab.sim.devices.bridge.port import BR_STATE_DISABLED
from vnetlab.sim.netdev import Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.errors import ParseError
from vnetlab.wire.stp import ConfigBpdu, emit_config, emit_tcn, parse_bpdu

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.port import BridgePort


def br_send_config_bpdu(p: BridgePort, bpdu: ConfigBpdu) -> None:
    if not p.bridge.stp:
        return
    p.tx_bpdu += 1
    dev_queue_xmit(p.dev, Skb(emit_config(p.dev.mac, bpdu)))


def br_send_tcn_bpdu(p: BridgePort) -> None:
    if not p.bridge.stp:
        return
    p.tx_tcn += 1
    dev_queue_xmit(p.dev, Skb(emit_tcn(p.dev.mac)))


def br_stp_rcv(p: BridgePort, skb: Skb) -> None:
    """``br_stp_rcv``: a frame for the Bridge Group Address arrived on port P."""
    br = p.bridge
    trace = skb.trace
    why = None
    if not br.stp:
        why = "STP is off"
    elif not br.admin_up:
        why = "bridge is down"
    elif p.state == BR_STATE_DISABLED:
        why = f"port {p.name} is disabled"
    if why is not None:
        if trace is not None:
            trace.drop(br.where, f"BPDU ignored: {why}", DropReason.NOT_SPECIFIED)
        return
    try:
        bpdu = parse_bpdu(skb.data)
    except ParseError as e:
        if trace is not None:
            trace.drop(br.where, f"not a BPDU: {e}", DropReason.NOT_SPECIFIED)
        return
    if isinstance(bpdu, str):
        if trace is not None:
            trace.add(br.where, f"TCN BPDU on {p.name}", EventKind.DECISION)
        stp.br_received_tcn_bpdu(p)
        return
    if bpdu.message_age > bpdu.max_age:
        if trace is not None:
            trace.drop(br.where, "config BPDU with message_age > max_age",
                       DropReason.NOT_SPECIFIED)
        return
    if trace is not None:
        trace.add(br.where, f"config BPDU on {p.name}", EventKind.DECISION)
    stp.br_received_config_bpdu(p, bpdu)
