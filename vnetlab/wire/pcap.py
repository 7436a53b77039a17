"""Classic libpcap capture files (the "pcap" format of tcpdump and Wireshark).

Design note: follows the libpcap file format (pcap-savefile(5); draft-ietf-opsawg-pcap): a
24-byte global header (magic 0xa1b2c3d4, version 2.4, thiszone 0, sigfigs 0, snaplen,
LINKTYPE_ETHERNET) then per frame a 16-byte record header (ts_sec, ts_usec, incl_len,
orig_len) and incl_len bytes. Written little-endian with microsecond timestamps.

Timestamps are integer nanoseconds of the emulator's virtual clock, converted with integer
arithmetic (truncated to the microsecond), so identical inputs give byte-identical files.
Frames longer than snaplen are cut, with orig_len keeping the real length. ``read_pcap``
(for tests) accepts both byte orders and the nanosecond variant (magic 0xa1b23c4d).
"""

from __future__ import annotations

import os
import struct
from types import TracebackType
from typing import BinaryIO

from vnetlab.wire.errors import ParseError

__all__ = ["LINKTYPE_ETHERNET", "LINKTYPE_RAW", "PCAP_MAGIC", "PcapWriter", "read_pcap"]

PCAP_MAGIC = 0xA1B2C3D4
PCAP_MAGIC_NSEC = 0xA1B23C4D
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link-layer header
DEFAULT_SNAPLEN = 262144

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Write Ethernet frames to a pcap file (a path, or a binary file object left open)."""

    def __init__(
        self, fileobj_or_path: str | os.PathLike[str] | BinaryIO, snaplen: int = DEFAULT_SNAPLEN,
        linktype: int = LINKTYPE_ETHERNET,
    ) -> None:
        """``linktype``: LINKTYPE_ETHERNET, or LINKTYPE_RAW for devices without a link
        layer (a TUN device: tcpdump shows "link-type RAW (Raw IP)")."""
        if not 0 < snaplen <= 0xFFFFFFFF:
            raise ValueError(f"pcap: snaplen {snaplen} out of range")
        self._snaplen = snaplen
        if isinstance(fileobj_or_path, str | os.PathLike):
            self._file: BinaryIO = open(fileobj_or_path, "wb")  # noqa: SIM115
            self._owned = True
        else:
            self._file = fileobj_or_path
            self._owned = False
        self._closed = False
        self._file.write(_GLOBAL.pack(PCAP_MAGIC, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts_ns: int, frame: bytes) -> None:
        """Append one frame captured at virtual time ``ts_ns`` (integer nanoseconds)."""
        if self._closed:
            raise ValueError("pcap: write to a closed PcapWriter")
        if ts_ns < 0:
            raise ValueError(f"pcap: negative timestamp {ts_ns}")
        sec, rem = divmod(ts_ns, 1_000_000_000)
        if sec > 0xFFFFFFFF:
            raise ValueError(f"pcap: timestamp {ts_ns} ns does not fit 32-bit seconds")
        incl = min(len(frame), self._snaplen)
        self._file.write(_RECORD.pack(sec, rem // 1000, incl, len(frame)))
        self._file.write(frame[:incl])

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        """Flush; close the file if this writer opened it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owned:
            self._file.close()
        else:
            self._file.flush()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def parse_pcap(data: bytes) -> list[tuple[int, bytes]]:
    """Decode a whole pcap file image into (timestamp ns, frame) pairs."""
    if len(data) < _GLOBAL.size:
        raise ParseError(f"pcap: file of {len(data)} bytes is shorter than the 24-byte header")
    magic_le = int.from_bytes(data[:4], "little")
    magic_be = int.from_bytes(data[:4], "big")
    if magic_le in (PCAP_MAGIC, PCAP_MAGIC_NSEC):
        order, magic = "<", magic_le
    elif magic_be in (PCAP_MAGIC, PCAP_MAGIC_NSEC):
        order, magic = ">", magic_be
    else:
        raise ParseError(f"pcap: bad magic {data[:4].hex()}")
    sub_ns = 1 if magic == PCAP_MAGIC_NSEC else 1000
    major, _minor = struct.unpack_from(order + "HH", data, 4)
    if major != 2:
        raise ParseError(f"pcap: unsupported version major {major}")
    record = struct.Struct(order + "IIII")
    out: list[tuple[int, bytes]] = []
    pos, n = _GLOBAL.size, len(data)
    while pos < n:
        if pos + record.size > n:
            raise ParseError(f"pcap: truncated record header at offset {pos}")
        sec, sub, incl, _orig = record.unpack_from(data, pos)
        if sub * sub_ns >= 1_000_000_000:
            raise ParseError(f"pcap: sub-second timestamp {sub} out of range at offset {pos}")
        pos += record.size
        if pos + incl > n:
            raise ParseError(
                f"pcap: record at offset {pos - record.size} claims {incl} bytes, "
                f"only {n - pos} left"
            )
        ns = sec * 1_000_000_000 + sub * sub_ns
        out.append((ns - ns % 1000, bytes(data[pos : pos + incl])))
        pos += incl
    return out


def read_pcap(path: str | os.PathLike[str] | BinaryIO) -> list[tuple[int, bytes]]:
    """Read a pcap file: (timestamp in ns rounded to microseconds, frame) for each record."""
    if isinstance(path, str | os.PathLike):
        with open(path, "rb") as f:
            data = f.read()
    else:
        data = path.read()
    return parse_pcap(data)
