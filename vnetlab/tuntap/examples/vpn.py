"""A point-to-point VPN over TUN: the seed's walk-through, with authenticated encryption.

Design note
-----------
The kernel routes packets for the remote site to ``tun0``; this program reads each IP packet
from the device, seals it with ChaCha20-Poly1305 (RFC 8439, from the ``cryptography``
package) under a pre-shared 256-bit key, and sends it as one UDP datagram to the peer; the
peer opens it and writes the packet to its own ``tun0``. What the underlay carries is only
UDP with ciphertext: ``nonce (12 bytes) | ciphertext | tag (16 bytes)``.

Nonces are never reused under one key within a session: 4 random bytes chosen at start
(``ctx.urandom``: real randomness on the kernel, a reproducible stream in the emulator)
plus a 64-bit packet counter. A datagram whose tag does not verify (tampered, wrong key,
truncated) is dropped and counted in ``counters["auth_failed"]``; replays are not detected
(this is a teaching example, not WireGuard: no handshake, no key rotation, no replay
window). Args: ``listen`` (IP:PORT to bind), ``peer`` (IP:PORT), ``key`` (64 hex digits).
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from vnetlab.tuntap.api import Context, ProgramError, parse_hostport

AAD = b"vnetlab-vpn/1"
NONCE_LEN = 12
TAG_LEN = 16


def _key(args: dict[str, Any]) -> bytes:
    try:
        key = bytes.fromhex(str(args["key"]))
    except (KeyError, ValueError):
        raise ProgramError("vpn: args.key must be 64 hex digits (a 256-bit key)") from None
    if len(key) != 32:
        raise ProgramError(f"vpn: args.key is {len(key)} bytes; ChaCha20-Poly1305 needs 32")
    return key


def main(ctx: Context) -> None:
    aead = ChaCha20Poly1305(_key(ctx.args))
    listen = parse_hostport(ctx.args.get("listen", ""))
    peer = parse_hostport(ctx.args.get("peer", ""))
    sock = ctx.udp_socket(listen)
    salt = ctx.urandom(4)
    seq = [0]

    def seal(packet: bytes) -> None:
        seq[0] += 1
        nonce = salt + seq[0].to_bytes(8, "big")
        sock.sendto(nonce + aead.encrypt(nonce, packet, AAD), peer)
        ctx.counters["sealed"] += 1

    def open_(data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < NONCE_LEN + TAG_LEN:
            ctx.counters["auth_failed"] += 1
            return
        try:
            packet = aead.decrypt(data[:NONCE_LEN], data[NONCE_LEN:], AAD)
        except InvalidTag:
            ctx.counters["auth_failed"] += 1
            return
        ctx.counters["opened"] += 1
        ctx.device.write(packet)

    ctx.device.on_packet(seal)
    sock.on_datagram(open_)
