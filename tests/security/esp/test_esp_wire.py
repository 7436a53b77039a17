"""ESP with AES-GCM as RFC 4303 and RFC 4106 lay it out, checked against the AEAD itself."""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vnetlab.wire.errors import ParseError
from vnetlab.wire.esp import EspAuthError, EspHeader, esp_open, esp_seal

KEY = bytes(range(16)) + b"\xca\xfe\xba\xbe"  # AES-128 key + 4-byte salt


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 37])
def test_layout_follows_rfc4303_and_rfc4106(n: int) -> None:
    payload = bytes(range(n))
    pkt = esp_seal(KEY, 0x1234, 7, 17, payload)
    spi, seq = struct.unpack("!II", pkt[:8])
    assert (spi, seq) == (0x1234, 7)
    iv = pkt[8:16]
    assert iv == struct.pack("!Q", 7)
    # nonce = salt | IV, AAD = SPI | seq, tag of 16 bytes (ICV 128)
    plain = AESGCM(KEY[:16]).decrypt(KEY[16:] + iv, pkt[16:], pkt[:8])
    padlen, nexthdr = plain[-2], plain[-1]
    assert nexthdr == 17
    assert len(plain) % 4 == 0 and plain[:n] == payload
    assert plain[n:n + padlen] == bytes(range(1, padlen + 1))  # RFC 4303 2.4 padding
    assert len(pkt) == 8 + 8 + len(plain) + 16


def test_round_trip_and_header() -> None:
    pkt = esp_seal(KEY, 0xDEADBEEF, 1, 1, b"hello")
    hdr, nexthdr, payload = esp_open(KEY, pkt)
    assert hdr == EspHeader(0xDEADBEEF, 1) and nexthdr == 1 and payload == b"hello"


@pytest.mark.parametrize("where", [0, 4, 8, 16, -1])
def test_any_changed_byte_fails_the_icv(where: int) -> None:
    """SPI and seq are authenticated (AAD), the IV is the nonce, the rest is ciphertext and
    tag: flipping any of them is detected."""
    pkt = bytearray(esp_seal(KEY, 0x100, 5, 17, b"tenant payload"))
    pkt[where] ^= 1
    with pytest.raises(EspAuthError):
        esp_open(KEY, bytes(pkt))


def test_wrong_key_and_short_packet() -> None:
    pkt = esp_seal(KEY, 0x100, 5, 17, b"x")
    with pytest.raises(EspAuthError):
        esp_open(bytes(20), pkt)
    with pytest.raises(ParseError):
        esp_open(KEY, pkt[:20])


def test_key_lengths() -> None:
    for klen in (20, 28, 36):
        k = bytes(klen)
        assert esp_open(k, esp_seal(k, 1, 1, 6, b"abc"))[2] == b"abc"
    with pytest.raises(ValueError):
        esp_seal(bytes(16), 1, 1, 6, b"")
