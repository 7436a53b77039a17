"""IEEE 802.1D Spanning Tree BPDUs in an 802.3/LLC frame.

Design note
-----------
Follows net/bridge/br_stp_bpdu.c (``br_send_config_bpdu``, ``br_send_tcn_bpdu``,
``br_stp_rcv``) and net/llc: a BPDU travels to the Bridge Group Address
``01:80:c2:00:00:00`` in an 802.3 frame whose type/length field is the length of what
follows (LLC header included), with LLC ``DSAP 0x42 SSAP 0x42 control 0x03`` (UI). After
the LLC header: protocol id 0 (2 bytes), version 0, BPDU type (0x00 config, 0x80 TCN);
a config BPDU goes on with flags (0x01 TC, 0x80 TCA), root id (8 bytes: priority +
MAC), root path cost (4), bridge id (8), port id (2), then message age, max age, hello
time and forward delay, each in 1/256 s (``br_set_ticks``). So a config BPDU is 35
bytes (802.3 length 0x26 with LLC) and a TCN 4 bytes (length 7). The frame is not padded
(a veth does not pad; see ``vnetlab.wire.ethernet``).

Times are kept in nanoseconds here, as the emulator's clock, and converted at the wire
(``to_ticks``/``from_ticks`` as ``br_set_ticks``/``br_get_ticks``, rounding up on
receive). A bridge id is the 8 raw bytes, so comparing two ids is comparing bytes, as
the kernel's ``memcmp``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.errors import ParseError

__all__ = [
    "BPDU_TYPE_CONFIG",
    "BPDU_TYPE_TCN",
    "STP_GROUP_ADDR",
    "ConfigBpdu",
    "bridge_id",
    "bridge_id_str",
    "emit_config",
    "emit_tcn",
    "from_ticks",
    "parse_bpdu",
    "to_ticks",
]

STP_GROUP_ADDR = b"\x01\x80\xc2\x00\x00\x00"
LLC_SAP_BSPAN = 0x42
LLC_UI = 0x03
BPDU_TYPE_CONFIG = 0x00
BPDU_TYPE_TCN = 0x80
CONFIG_BPDU_LEN = 35
TCN_BPDU_LEN = 4
_NS = 1_000_000_000
_CONFIG = struct.Struct("!HBBB8sI8sHHHHH")  # proto, version, type, flags ... forward delay


def to_ticks(ns: int) -> int:
    """``br_set_ticks``: nanoseconds to 1/256 s units (truncated), capped at 16 bits."""
    return min(ns * 256 // _NS, 0xFFFF)


def from_ticks(ticks: int) -> int:
    """``br_get_ticks``: 1/256 s units to nanoseconds, rounded up (DIV_ROUND_UP)."""
    return -(-ticks * _NS // 256)


def bridge_id(priority: int, mac: bytes) -> bytes:
    """``bridge_id``: 2-byte priority then the 6-byte MAC; compared with ``memcmp``."""
    return priority.to_bytes(2, "big") + mac


def bridge_id_str(bid: bytes) -> str:
    """As sysfs and ``ip -d link`` print it: ``8000.02:00:00:00:00:01`` (``br_show_bridge_id``
    prints ``8000.020000000001``; iproute2 prints the colon form)."""
    return f"{bid[0]:02x}{bid[1]:02x}." + ":".join(f"{b:02x}" for b in bid[2:])


@dataclass(frozen=True, slots=True)
class ConfigBpdu:
    """``struct br_config_bpdu``; times in nanoseconds."""

    topology_change: bool
    topology_change_ack: bool
    root: bytes
    root_path_cost: int
    bridge_id: bytes
    port_id: int
    message_age: int
    max_age: int
    hello_time: int
    forward_delay: int


def _llc_frame(src: bytes, payload: bytes) -> bytes:
    body = bytes((LLC_SAP_BSPAN, LLC_SAP_BSPAN, LLC_UI)) + payload
    return STP_GROUP_ADDR + src + len(body).to_bytes(2, "big") + body


def emit_config(src: bytes, b: ConfigBpdu) -> bytes:
    """``br_send_config_bpdu``: the whole Ethernet frame from port MAC ``src``."""
    flags = (0x01 if b.topology_change else 0) | (0x80 if b.topology_change_ack else 0)
    payload = _CONFIG.pack(
        0, 0, BPDU_TYPE_CONFIG, flags, b.root, b.root_path_cost, b.bridge_id, b.port_id,
        to_ticks(b.message_age), to_ticks(b.max_age), to_ticks(b.hello_time),
        to_ticks(b.forward_delay),
    )
    return _llc_frame(src, payload)


def emit_tcn(src: bytes) -> bytes:
    """``br_send_tcn_bpdu``."""
    return _llc_frame(src, bytes((0, 0, 0, BPDU_TYPE_TCN)))


def parse_bpdu(frame: bytes) -> ConfigBpdu | str:
    """``br_stp_rcv`` after LLC: a ``ConfigBpdu``, or ``"tcn"``. Raises ``ParseError`` for
    what the kernel drops (not LLC 42 42 03, protocol/version not 0, short, unknown type)."""
    if len(frame) < 14 + 3 + 4:
        raise ParseError("stp: frame too short for a BPDU")
    length = int.from_bytes(frame[12:14], "big")
    if length > 1500:
        raise ParseError(f"stp: type {length:#06x} is not an 802.3 length")
    if frame[14] != LLC_SAP_BSPAN or frame[15] != LLC_SAP_BSPAN or frame[16] != LLC_UI:
        raise ParseError("stp: LLC header is not 42 42 03")
    buf = frame[17:17 + length - 3] if length >= 3 else b""
    if len(buf) < 4 or buf[0] or buf[1] or buf[2]:
        raise ParseError("stp: protocol id or version is not 0")
    if buf[3] == BPDU_TYPE_TCN:
        return "tcn"
    if buf[3] != BPDU_TYPE_CONFIG:
        raise ParseError(f"stp: unknown BPDU type {buf[3]:#04x}")
    if len(buf) < CONFIG_BPDU_LEN:
        raise ParseError("stp: config BPDU shorter than 35 bytes")
    (_, _, _, flags, root, cost, bid, port_id, age, max_age, hello, fwd) = _CONFIG.unpack(
        buf[:CONFIG_BPDU_LEN])
    return ConfigBpdu(
        topology_change=bool(flags & 0x01), topology_change_ack=bool(flags & 0x80),
        root=root, root_path_cost=cost, bridge_id=bid, port_id=port_id,
        message_age=from_ticks(age), max_age=from_ticks(max_age),
        hello_time=from_ticks(hello), forward_delay=from_ticks(fwd),
    )
