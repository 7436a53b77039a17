"""The program API of TUN/TAP devices (engine-neutral).

Design note
-----------
``Device`` is the open /dev/net/tun file descriptor: ``write(packet)`` (``tun_get_user``) and
either ``on_packet(callback)`` (called with each packet the kernel/emulator queued,
``tun_net_xmit``) or the file-like ``read()``, which is non-blocking in both engines: it
returns one packet or raises ``BlockingIOError`` when none is queued — exactly an ``O_NONBLOCK``
fd. A TUN program sees IPv4 packets (``IFF_NO_PI``: no packet-information header), a TAP
program Ethernet frames. ``UdpSocket`` is a UDP socket bound in the device's namespace
(``sendto``, ``on_datagram`` or non-blocking ``recvfrom``). ``Context`` hands both out, plus
``args`` from the lab file, ``counters`` the program may bump (engines expose them to tests
and tools), ``urandom(n)`` (real randomness on the kernel; a reproducible stream in the
emulator) and ``call_later`` (virtual time in the emulator).

A program never imports an engine, never blocks and never sleeps; it reacts. That is what
lets the same function run unchanged in both engines.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any, Protocol, cast

PacketHandler = Callable[[bytes], None]
DatagramHandler = Callable[[bytes, tuple[str, int]], None]
Program = Callable[["Context"], object]


class ProgramError(Exception):
    """A lab names a program that cannot be loaded or started (a user error)."""


class Device(Protocol):
    """The program's end of a TUN/TAP device."""

    @property
    def name(self) -> str: ...

    @property
    def mode(self) -> str:
        """``"tun"`` or ``"tap"``."""

    def on_packet(self, callback: PacketHandler) -> None:
        """Call ``callback(packet)`` for every packet the device transmits to us."""

    def read(self) -> bytes:
        """One queued packet; ``BlockingIOError`` when there is none (non-blocking fd)."""

    def write(self, packet: bytes) -> int:
        """Inject one packet (TUN: an IPv4 packet, TAP: an Ethernet frame)."""


class UdpSocket(Protocol):
    def sendto(self, data: bytes, addr: tuple[str, int]) -> int: ...

    def on_datagram(self, callback: DatagramHandler) -> None: ...

    def recvfrom(self) -> tuple[bytes, tuple[str, int]]: ...

    def close(self) -> None: ...


class Context(Protocol):
    # read-only members: an engine's context may hold a more specific device type
    @property
    def node(self) -> str: ...

    @property
    def device(self) -> Device: ...

    @property
    def args(self) -> dict[str, Any]: ...

    @property
    def counters(self) -> Counter[str]: ...

    def udp_socket(self, bind: tuple[str, int]) -> UdpSocket: ...

    def urandom(self, n: int) -> bytes: ...

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> None: ...

    def log(self, message: str) -> None: ...


def load_program(run: str) -> Program:
    """Import ``package.module:function`` (only when a lab is realized)."""
    module, _, func = run.partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise ProgramError(f"program {run!r}: cannot import {module!r}: {e}") from None
    fn = getattr(mod, func, None)
    if not callable(fn):
        raise ProgramError(f"program {run!r}: {module} has no function {func!r}")
    return cast(Program, fn)


def parse_hostport(value: str) -> tuple[str, int]:
    """``"10.0.0.1:51820"`` -> ("10.0.0.1", 51820), with a clear error."""
    host, sep, port = str(value).rpartition(":")
    try:
        IPv4Address(host)
        p = int(port)
    except ValueError:
        p = -1
    if not sep or not 1 <= p <= 65535:
        raise ProgramError(f"{value!r} is not IPv4:PORT like 10.0.0.1:51820")
    return host, p
