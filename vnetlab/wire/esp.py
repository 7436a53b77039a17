"""IPsec ESP (RFC 4303) with AES-GCM (RFC 4106), transport mode.

Design note
-----------
An ESP packet is ``SPI (4) | sequence number (4) | IV (8) | ciphertext | ICV (16)``. The
ciphertext covers the payload, padding ``1, 2, 3, ...`` to a 4-byte boundary (RFC 4303
2.4; GCM itself needs none), the pad length and the next-header byte. RFC 4106: the key
material ``ip xfrm`` takes for ``rfc4106(gcm(aes))`` is the AES key followed by a 4-byte
salt; the nonce is ``salt | IV``; the additional authenticated data is ``SPI | seq`` (no
extended sequence numbers); the ICV is the 16-byte GCM tag (``128`` in ``ip xfrm``). The
IV is the 64-bit sequence number, as the kernel's ``seqiv`` makes it unique per packet.
``esp_open`` raises ``EspAuthError`` when the tag does not verify (``esp_input_done2``'s
-EBADMSG), ``ParseError`` on a truncated packet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.errors import ParseError

IPPROTO_ESP = 50
ESP_HDR_LEN = 8
GCM_IV_LEN = 8
GCM_ICV_LEN = 16
GCM_SALT_LEN = 4


class EspAuthError(Exception):
    """The ICV does not verify: a forged or tampered packet (-EBADMSG)."""


@dataclass(frozen=True)
class EspHeader:
    spi: int
    seq: int

    @staticmethod
    def parse(data: bytes) -> EspHeader:
        if len(data) < ESP_HDR_LEN + GCM_IV_LEN + GCM_ICV_LEN:
            raise ParseError(f"ESP packet of {len(data)} bytes is too short")
        spi, seq = struct.unpack_from("!II", data)
        return EspHeader(spi, seq)


def _split_key(key: bytes) -> tuple[bytes, bytes]:
    if len(key) not in (16 + 4, 24 + 4, 32 + 4):
        raise ValueError(f"rfc4106(gcm(aes)) takes 20, 28 or 36 bytes of key, not {len(key)}")
    return key[:-GCM_SALT_LEN], key[-GCM_SALT_LEN:]


def esp_seal(key: bytes, spi: int, seq: int, next_header: int, payload: bytes) -> bytes:
    """``esp_output``: the ESP packet carrying PAYLOAD (the transport header onwards)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes, salt = _split_key(key)
    padlen = (-(len(payload) + 2)) % 4
    plain = payload + bytes(range(1, padlen + 1)) + bytes([padlen, next_header])
    iv = struct.pack("!Q", seq)
    hdr = struct.pack("!II", spi, seq)
    return hdr + iv + AESGCM(aes).encrypt(salt + iv, plain, hdr)


def esp_open(key: bytes, data: bytes) -> tuple[EspHeader, int, bytes]:
    """``esp_input``: (header, next header, payload); ``EspAuthError`` when the ICV fails."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    hdr = EspHeader.parse(data)
    aes, salt = _split_key(key)
    iv = data[ESP_HDR_LEN:ESP_HDR_LEN + GCM_IV_LEN]
    try:
        plain = AESGCM(aes).decrypt(salt + iv, data[ESP_HDR_LEN + GCM_IV_LEN:],
                                    data[:ESP_HDR_LEN])
    except InvalidTag:
        raise EspAuthError(f"ESP SPI 0x{hdr.spi:08x} seq {hdr.seq}: ICV mismatch") from None
    if len(plain) < 2 or plain[-2] + 2 > len(plain):
        raise ParseError("ESP trailer: bad pad length")
    return hdr, plain[-1], plain[:len(plain) - 2 - plain[-2]]
