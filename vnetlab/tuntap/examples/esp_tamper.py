"""An attacker on an IPsec-protected underlay: tampers with and replays captured ESP.

Design note
-----------
A TAP port on the underlay (its far end is the attacker's NIC). It counts the ESP packets
it reads (``esp``; IP protocol 50) and whether any still shows ``look_for_hex`` (``found``:
the tenant's inner bytes, which ESP hides). It keeps the first ESP packet addressed to
``target_ip`` and, ``start`` seconds in, sends it back twice: once with one ciphertext
byte flipped and a sequence number ahead of the receiver's window (``tampered``: the
replay check passes, the AES-GCM ICV fails, ``XfrmInStateProtoError``)
and once unchanged (``replayed``: with a replay window the receiver has seen that
sequence number, ``XfrmInStateSeqError``). Nothing is forged from scratch: without the
key an attacker can only reuse what it captured.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.tuntap.api import Context, ProgramError

ETH_P_IP = b"\x08\x00"
IPPROTO_ESP = 50
ESP_OFFSET = 14 + 20  # Ethernet + an IPv4 header without options


#: the sequence number a tampered packet claims: far ahead, so the replay check passes
#: and the AES-GCM ICV is what rejects it
TAMPER_SEQ = 0x10000


def tamper(frame: bytes) -> bytes:
    """The frame with a fresh sequence number and the first ciphertext byte (after SPI,
    seq and IV) flipped."""
    seq = ESP_OFFSET + 4
    i = ESP_OFFSET + 16
    return (frame[:seq] + TAMPER_SEQ.to_bytes(4, "big") + frame[seq + 4:i]
            + bytes([frame[i] ^ 0xFF]) + frame[i + 1:])


def main(ctx: Context) -> None:
    a = ctx.args
    try:
        target = IPv4Address(str(a["target_ip"])).packed
        needle = bytes.fromhex(str(a.get("look_for_hex", "")))
        start = float(a.get("start", 2.0))
    except (KeyError, ValueError):
        raise ProgramError("esp_tamper: args need target_ip (optional look_for_hex, "
                           "start)") from None
    kept: list[bytes] = []

    def on_frame(f: bytes) -> None:
        ctx.counters["frames"] += 1
        if needle and needle in f:
            ctx.counters["found"] += 1
        if (len(f) >= ESP_OFFSET + 8 + 8 + 16 + 1 and f[12:14] == ETH_P_IP
                and f[14] == 0x45 and f[23] == IPPROTO_ESP):
            ctx.counters["esp"] += 1
            if not kept and f[30:34] == target:
                kept.append(f)

    def attack() -> None:
        if not kept:
            ctx.log("esp_tamper: no ESP packet to the target captured")
            return
        ctx.device.write(tamper(kept[0]))
        ctx.counters["tampered"] += 1
        ctx.device.write(kept[0])
        ctx.counters["replayed"] += 1

    ctx.device.on_packet(on_frame)
    ctx.call_later(start, attack)
