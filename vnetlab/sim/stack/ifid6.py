"""Interface identifiers for link-local addresses (net/ipv6/addrconf.c).

Design note
-----------
* ``addr_gen_mode`` 0 (EUI-64): ``addrconf_ifid_eui48``: the MAC split by ff:fe with the
  universal/local bit flipped (02:00:00:00:00:01 → fe80::ff:fe00:1).
* 2 (stable-privacy, RFC 7217) and 3 (random): ``ipv6_generate_stable_address``: one raw
  SHA-1 compression (``sha1_transform``, no padding, no length) over a 64-byte block
  ``secret(16) | prefix(8) | perm_addr(32) | dad_count(1) | zeros``; the first two digest
  words, stored as host-endian (x86: little-endian) u32s, are the identifier. The hardware
  part is ``dev->perm_addr``, which is all zeros for every virtual device (veth, bridge,
  macvlan, ...: their MAC is random or set, never NET_ADDR_PERM), so on this kernel two
  veths with the same secret get the same stable address whatever their MACs: measured,
  secret 2001:db8:1:2:3:4:5:6 gives fe80::ff05:eb87:4e94:b3ad on every veth.
  A reserved identifier (RFC 5453: zero, the ISATAP/anycast ranges) bumps dad_count, up
  to ``idgen_retries`` (3) tries.
"""

from __future__ import annotations

import struct

IDGEN_RETRIES = 3
_M32 = 0xFFFFFFFF
_SHA1_IV = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)


def eui64_ifid(mac: bytes) -> int | None:
    """``addrconf_ifid_eui48``: None when the device has no 6-byte address."""
    if len(mac) != 6:
        return None
    eui = bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return int.from_bytes(eui, "big")


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def sha1_transform(block: bytes) -> tuple[int, ...]:
    """lib/crypto sha1: one compression of BLOCK (64 bytes) from the SHA-1 initial state."""
    w = list(struct.unpack(">16I", block))
    for i in range(16, 80):
        w.append(_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
    a, b, c, d, e = _SHA1_IV
    for i in range(80):
        if i < 20:
            f, k = (b & c) | (~b & d), 0x5A827999
        elif i < 40:
            f, k = b ^ c ^ d, 0x6ED9EBA1
        elif i < 60:
            f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
        else:
            f, k = b ^ c ^ d, 0xCA62C1D6
        a, b, c, d, e = (_rol(a, 5) + f + e + k + w[i]) & _M32, a, _rol(b, 30), c, d
    return tuple((x + y) & _M32 for x, y in zip(_SHA1_IV, (a, b, c, d, e), strict=True))


def reserved_ifid(ifid: int) -> bool:
    """``ipv6_reserved_interfaceid`` (RFC 5453)."""
    hi, lo = ifid >> 32, ifid & _M32
    if ifid == 0:
        return True
    if hi == 0x02005EFF and lo & 0xFE000000 == 0xFE000000:
        return True
    return hi == 0xFDFFFFFF and lo & 0xFFFFFF80 == 0xFFFFFF80


def stable_address(prefix: int, secret: int, perm_addr: bytes, dad_count: int) -> int | None:
    """``ipv6_generate_stable_address``: PREFIX (its upper 64 bits) + the identifier;
    None when every retry hit a reserved identifier."""
    while dad_count <= IDGEN_RETRIES:
        block = (secret.to_bytes(16, "big") + (prefix >> 64).to_bytes(8, "big")
                 + perm_addr[:32].ljust(32, b"\0") + bytes([dad_count & 0xFF])).ljust(64, b"\0")
        d = sha1_transform(block)
        ifid = int.from_bytes(struct.pack("<II", d[0], d[1]), "big")
        if not reserved_ifid(ifid):
            return (prefix & ~((1 << 64) - 1)) | ifid
        dad_count += 1
    return None


__all__ = ["IDGEN_RETRIES", "eui64_ifid", "reserved_ifid", "sha1_transform", "stable_address"]
