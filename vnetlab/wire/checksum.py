"""RFC 1071 Internet checksum.

Design note: the ones' complement sum of 16-bit big-endian words equals the value of the whole
buffer read as one big-endian integer modulo 0xffff (because 2**16 == 1 mod 0xffff), except that
a non-zero sum congruent to 0 is 0xffff in ones' complement arithmetic. So the sum is one
``int.from_bytes`` and one ``%`` in C, with no per-byte Python loop and no copy. An odd-length
buffer is padded with a zero byte at the end (RFC 1071 section 4.1), done here by a shift.

Invariant: a buffer that contains its own correct checksum field sums to 0xffff, so
``internet_checksum(buf) == 0`` verifies it.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["Buffer", "internet_checksum", "ones_complement_sum"]

Buffer: TypeAlias = bytes | bytearray | memoryview


def _fold(n: int) -> int:
    s = n % 0xFFFF
    return 0xFFFF if s == 0 and n else s


def ones_complement_sum(data: Buffer) -> int:
    """The 16-bit ones' complement sum of ``data`` (0 only when every byte is zero)."""
    mv = memoryview(data)
    n = int.from_bytes(mv, "big")
    if mv.nbytes & 1:
        n <<= 8
    return _fold(n)


def internet_checksum(data: Buffer, *more: Buffer) -> int:
    """RFC 1071 checksum of ``data`` followed by ``more`` (e.g. a pseudo-header then a segment).

    Every part except the last must have an even length, so that words stay aligned.
    """
    s = ones_complement_sum(data)
    for part in more:
        s = _fold(s + ones_complement_sum(part))
    return ~s & 0xFFFF
