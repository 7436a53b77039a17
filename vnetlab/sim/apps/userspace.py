"""TUN/TAP programs in the emulator: ``vnetlab.tuntap.api`` on virtual time.

Design note
-----------
Each ``program`` a lab names runs once, right after the lab is built: its ``main(ctx)``
registers callbacks and returns. The device hands it every packet ``USER_WAKEUP_NS`` after
transmit (``TunTapDevice``); what it writes is received by the device the same way. UDP
sockets use the namespace's stack: a bound port is an entry in ``stack.udp_sockets``
(``udp_rcv`` delivers there) and ``sendto`` builds the UDP header and goes through
``ip_output`` (route, source selection, fragmentation, ARP) like any local datagram.
``urandom`` is a SHA-256 stream keyed by lab, node and device, so runs are reproducible;
``call_later`` schedules on the virtual clock. Nothing here reads the wall clock.
"""

from __future__ import annotations

import errno
import hashlib
from collections import Counter, deque
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any

from vnetlab.model.spec import LabSpec, TuntapSpec
from vnetlab.sim.clock import S
from vnetlab.sim.devices.tuntap import TunTapDevice
from vnetlab.sim.stack.addr import ip_int
from vnetlab.sim.stack.ipv4 import NoRoute
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import TraceNode
from vnetlab.tuntap.api import DatagramHandler, PacketHandler, ProgramError, load_program
from vnetlab.wire.ipv4 import IPPROTO_UDP
from vnetlab.wire.udp import UdpHeader

#: what a reader that never reads may have queued (then the oldest packets are dropped)
READ_QUEUE_MAX = 500
EPHEMERAL_PORT = 40000


class SimTunFile:
    """The program's open /dev/net/tun (``struct tun_file``)."""

    def __init__(self, dev: TunTapDevice) -> None:
        self.dev = dev
        self.name = dev.name
        self.mode = dev.tun_type
        self._cb: PacketHandler | None = None
        self._queue: deque[bytes] = deque(maxlen=READ_QUEUE_MAX)
        dev.attach(self._deliver)

    def _deliver(self, packet: bytes) -> None:
        if self._cb is not None:
            self._cb(packet)
        else:
            self._queue.append(packet)

    def on_packet(self, callback: PacketHandler) -> None:
        self._cb = callback
        while self._queue:
            callback(self._queue.popleft())

    def read(self) -> bytes:
        if not self._queue:
            raise BlockingIOError(errno.EAGAIN, "no packet queued")
        return self._queue.popleft()

    def write(self, packet: bytes) -> int:
        return self.dev.write(bytes(packet))

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "the emulator's TUN/TAP has no file descriptor")

    def close(self) -> None:
        self.dev.detach()


class SimUdpSocket:
    """A UDP socket bound in an emulated namespace."""

    def __init__(self, ns: Namespace, bind: tuple[str, int]) -> None:
        self.ns = ns
        self.local = ip_int(IPv4Address(bind[0])) if bind[0] not in ("", "0.0.0.0") else None
        port = bind[1] or EPHEMERAL_PORT
        stack = ns.stack
        while bind[1] == 0 and port in stack.udp_sockets:
            port += 1
        if port in stack.udp_sockets:
            raise OSError(errno.EADDRINUSE, f"UDP port {port} is in use in {ns.name}")
        if self.local is not None and not stack.is_local(self.local):
            raise OSError(errno.EADDRNOTAVAIL, f"{bind[0]} is not an address of {ns.name}")
        self.port = port
        self._cb: DatagramHandler | None = None
        self._queue: deque[tuple[bytes, tuple[str, int]]] = deque(maxlen=READ_QUEUE_MAX)
        stack.udp_sockets[port] = self._rcv

    def _rcv(self, src: IPv4Address, sport: int, dst: IPv4Address, data: bytes,
             trace: TraceNode | None) -> None:
        if self.local is not None and int(dst) != self.local:
            return
        addr = (str(src), sport)
        if self._cb is not None:
            self._cb(data, addr)
        else:
            self._queue.append((data, addr))

    def sendto(self, data: bytes, addr: tuple[str, int]) -> int:
        dst = ip_int(IPv4Address(addr[0]))
        udp = UdpHeader(self.port, addr[1]).emit(bytes(data))
        try:
            self.ns.stack.ip_output(dst, IPPROTO_UDP, udp, None, src=self.local)
        except NoRoute:
            raise OSError(errno.ENETUNREACH, "Network is unreachable") from None
        return len(data)

    def on_datagram(self, callback: DatagramHandler) -> None:
        self._cb = callback
        while self._queue:
            callback(*self._queue.popleft())

    def recvfrom(self) -> tuple[bytes, tuple[str, int]]:
        if not self._queue:
            raise BlockingIOError(errno.EAGAIN, "no datagram queued")
        return self._queue.popleft()

    def close(self) -> None:
        if self.ns.stack.udp_sockets.get(self.port) == self._rcv:
            del self.ns.stack.udp_sockets[self.port]


class SimContext:
    """``vnetlab.tuntap.api.Context`` in the emulator."""

    def __init__(self, lab: str, node: str, ns: Namespace, dev: TunTapDevice,
                 args: dict[str, Any]) -> None:
        self.lab = lab
        self.node = node
        self.ns = ns
        self.device = SimTunFile(dev)
        self.args = dict(args)
        self.counters: Counter[str] = Counter()
        self.sockets: list[SimUdpSocket] = []
        self.messages: list[str] = []
        self._rand = 0

    def udp_socket(self, bind: tuple[str, int]) -> SimUdpSocket:
        sock = SimUdpSocket(self.ns, bind)
        self.sockets.append(sock)
        return sock

    def urandom(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            self._rand += 1
            key = f"{self.lab}/{self.node}/{self.device.name}/{self._rand}".encode()
            out += hashlib.sha256(key).digest()
        return out[:n]

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> None:
        self.ns.sched.after(max(0, int(delay_s * S)), lambda _a: fn())

    def log(self, message: str) -> None:
        self.messages.append(message)

    def stop(self) -> None:
        for s in self.sockets:
            s.close()
        self.device.close()


def start_programs(lab: LabSpec, namespaces: dict[str, Namespace]) -> dict[str, SimContext]:
    """Start every TUN/TAP program of the lab; ``"node:ifname"`` -> its context."""
    out: dict[str, SimContext] = {}
    for node, spec in lab.nodes.items():
        for ifname, iface in spec.interfaces.items():
            if not isinstance(iface, TuntapSpec) or iface.program is None:
                continue
            fn = load_program(iface.program.run)
            dev = namespaces[node].devices[ifname]
            assert isinstance(dev, TunTapDevice)
            ctx = SimContext(lab.name, node, namespaces[node], dev, iface.program.args)
            try:
                fn(ctx)
            except ProgramError:
                raise
            except Exception as e:
                raise ProgramError(f"program {iface.program.run} on {node}:{ifname} failed "
                                   f"to start: {type(e).__name__}: {e}") from e
            out[f"{node}:{ifname}"] = ctx
    return out
