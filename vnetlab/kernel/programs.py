"""TUN/TAP programs on the kernel: ``vnetlab.tuntap.api`` on the real /dev/net/tun fd.

Design note
-----------
Each program gets a thread of its own that enters the node's network namespace
(``setns`` changes only the calling thread), opens /dev/net/tun and attaches to the lab's
persistent device (``TUNSETIFF``: the kernel turns the carrier on), then calls the
program's ``main(ctx)`` — so every UDP socket the program makes is created, and bound,
inside that namespace. The thread then runs a small event loop: ``select`` over the device
fd, the program's sockets and a stop pipe, with ``call_later`` timers on the monotonic
clock. Callbacks run in that thread only. ``start`` waits (bounded) until ``main`` returned;
``stop`` wakes the loop through the pipe, closes every fd (the device loses its carrier)
and joins the thread, bounded. Threads are daemons: a crash of the engine process never
leaves one behind, and the kernel closes the fds.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import os
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from vnetlab.kernel import devtun, nl
from vnetlab.kernel.kinds.tuntap import programs_of
from vnetlab.model.spec import LabSpec
from vnetlab.tuntap.api import (
    DatagramHandler,
    Device,
    PacketHandler,
    ProgramError,
    load_program,
)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
MAX_PACKET = 65536
IDLE_WAIT_S = 0.5


class KernelTunFile:
    """The program's /dev/net/tun fd (non-blocking)."""

    def __init__(self, name: str, mode: str) -> None:
        self.name = name
        self.mode = mode
        self.fd = devtun.open_queue(name, mode)
        self.callback: PacketHandler | None = None

    def on_packet(self, callback: PacketHandler) -> None:
        self.callback = callback

    def read(self) -> bytes:
        return os.read(self.fd, MAX_PACKET)

    def write(self, packet: bytes) -> int:
        return os.write(self.fd, bytes(packet))

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class KernelUdpSocket:
    """A real UDP socket, created (and bound) in the node's namespace."""

    def __init__(self, bind: tuple[str, int]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.setblocking(False)
        try:
            self.sock.bind(bind)
        except OSError:
            self.sock.close()
            raise
        self.callback: DatagramHandler | None = None

    def sendto(self, data: bytes, addr: tuple[str, int]) -> int:
        return self.sock.sendto(data, addr)

    def on_datagram(self, callback: DatagramHandler) -> None:
        self.callback = callback

    def recvfrom(self) -> tuple[bytes, tuple[str, int]]:
        data, addr = self.sock.recvfrom(MAX_PACKET)
        return data, (addr[0], addr[1])

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


class KernelContext:
    """``vnetlab.tuntap.api.Context`` on the kernel."""

    def __init__(self, node: str, tun: KernelTunFile, args: dict[str, Any]) -> None:
        self.node = node
        self.tun = tun  # what the loop waits on; the program sees it as its Device
        self.device: Device = tun
        self.args = dict(args)
        self.counters: Counter[str] = Counter()
        self.sockets: list[KernelUdpSocket] = []
        self.messages: list[str] = []
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def udp_socket(self, bind: tuple[str, int]) -> KernelUdpSocket:
        s = KernelUdpSocket(bind)
        self.sockets.append(s)
        return s

    def urandom(self, n: int) -> bytes:
        return os.urandom(n)

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self.timers, (time.monotonic() + max(0.0, delay_s), next(self._seq), fn))

    def log(self, message: str) -> None:
        self.messages.append(message)


class ProgramThread:
    """One running program: its thread, context and stop pipe."""

    def __init__(self, node: str, netns: str, ifname: str, mode: str, run: str,
                 args: dict[str, Any]) -> None:
        self.node, self.netns, self.ifname, self.mode = node, netns, ifname, mode
        self.run, self.args = run, args
        self.fn = load_program(run)
        self.ctx: KernelContext | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop_r = self._stop_w = -1
        self.thread = threading.Thread(target=self._main, name=f"vnetlab-{node}:{ifname}",
                                       daemon=True)

    @property
    def counters(self) -> Counter[str]:
        return self.ctx.counters if self.ctx is not None else Counter()

    def start(self) -> None:
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            self.stop()
            raise ProgramError(f"program {self.run} on {self.node}:{self.ifname} did not "
                               f"start within {START_TIMEOUT_S:.0f} s")
        if self.error is not None:
            err = self.error
            self.stop()
            if isinstance(err, ProgramError):
                raise err
            raise ProgramError(f"program {self.run} on {self.node}:{self.ifname} failed to "
                               f"start: {type(err).__name__}: {err}")

    def _main(self) -> None:
        try:
            fd = nl.open_netns(self.netns)
            try:
                nl.setns(fd)  # this thread only, for good: it lives in the node
            finally:
                os.close(fd)
            self.ctx = KernelContext(self.node, KernelTunFile(self.ifname, self.mode),
                                     self.args)
            self.fn(self.ctx)
        except BaseException as e:  # noqa: BLE001 - reported by start()
            self.error = e
            self._ready.set()
            self._close()
            return
        self._ready.set()
        try:
            self._loop()
        finally:
            self._close()

    def _loop(self) -> None:
        ctx = self.ctx
        assert ctx is not None
        sel = selectors.DefaultSelector()
        sel.register(self._stop_r, selectors.EVENT_READ, None)
        registered: set[int] = set()
        try:
            while True:
                want: dict[int, Any] = {}
                if ctx.tun.callback is not None:
                    want[ctx.tun.fd] = ctx.tun
                for s in ctx.sockets:
                    if s.callback is not None and s.sock.fileno() >= 0:
                        want[s.fileno()] = s
                for fd in registered - set(want):
                    sel.unregister(fd)
                for fd, obj in want.items():
                    if fd not in registered:
                        sel.register(fd, selectors.EVENT_READ, obj)
                registered = set(want)
                timeout = IDLE_WAIT_S
                if ctx.timers:
                    timeout = max(0.0, min(timeout, ctx.timers[0][0] - time.monotonic()))
                for key, _ in sel.select(timeout):
                    obj = key.data
                    if obj is None:
                        return  # stop requested
                    self._dispatch(obj)
                now = time.monotonic()
                while ctx.timers and ctx.timers[0][0] <= now:
                    _, _, fn = heapq.heappop(ctx.timers)
                    self._call(fn)
        finally:
            sel.close()

    def _dispatch(self, obj: KernelTunFile | KernelUdpSocket) -> None:
        for _ in range(64):  # drain what is queued, bounded per wake-up
            try:
                if isinstance(obj, KernelTunFile):
                    pkt = obj.read()
                    cb = obj.callback
                    if cb is not None:
                        self._call(partial(cb, pkt))
                else:
                    data, addr = obj.recvfrom()
                    dcb = obj.callback
                    if dcb is not None:
                        self._call(partial(dcb, data, addr))
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno in (errno.EBADF, errno.EAGAIN):
                    return
                raise

    def _call(self, fn: Callable[[], None]) -> None:
        """A callback that raises is counted and logged; the program keeps running."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            assert self.ctx is not None
            self.ctx.counters["callback_errors"] += 1
            self.ctx.messages.append(f"{type(e).__name__}: {e}")

    def _close(self) -> None:
        ctx = self.ctx
        if ctx is not None:
            for s in ctx.sockets:
                s.close()
            ctx.tun.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self.thread.is_alive():
            self.thread.join(STOP_TIMEOUT_S)
        if self.thread.is_alive():
            # still stuck (a program ignoring the stop): keep the pipe open, or its fd
            # numbers could be reused by unrelated files the thread would then watch
            return
        for fd in (self._stop_r, self._stop_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._stop_r = self._stop_w = -1


def load_all(lab: LabSpec, namespaces: dict[str, str]) -> list[ProgramThread]:
    """Import every program the lab names (before anything is built: fail early)."""
    return [ProgramThread(node, namespaces[node], ifname, mode, prog.run, prog.args)
            for node, ifname, mode, prog in programs_of(lab)]


def start_all(progs: list[ProgramThread]) -> dict[str, ProgramThread]:
    """Start them in order; on a failure stop the ones started and raise."""
    started: dict[str, ProgramThread] = {}
    try:
        for p in progs:
            p.start()
            started[f"{p.node}:{p.ifname}"] = p
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(progs: dict[str, ProgramThread]) -> None:
    for p in progs.values():
        p.stop()
    progs.clear()
