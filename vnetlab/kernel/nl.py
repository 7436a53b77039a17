"""In-process rtnetlink transport and network-namespace handles (no fork per call).

Design note
-----------
Mirrors what iproute2 does for ``ip netns add`` (``ip/ipnetns.c``: make ``/run/netns`` a
shared mount, ``unshare(CLONE_NEWNET)``, bind-mount ``/proc/thread-self/ns/net`` onto
``/run/netns/NAME``, then return to the previous namespace) and for ``ip -n NS ...``
(``setns`` then open a ``NETLINK_ROUTE`` socket). Differences that make it fast:

* namespaces are entered per *thread* (``setns`` only changes the calling task), so the
  process never forks; a netlink socket stays bound to the namespace it was opened in,
  so one socket per namespace is opened once and reused;
* requests are *pipelined*: the kernel handles an rtnetlink request synchronously inside
  ``sendmsg`` (``rtnetlink_rcv`` runs in the sender's context), so ordering across sockets
  is kept without waiting for each ACK; ACKs are collected in batches and a failure is
  mapped back to the request (by sequence number) that caused it.

Messages are encoded and decoded with pyroute2's rtnl message classes (``ifinfmsg``,
``ifaddrmsg``, ``rtmsg``, ``ndmsg``); only the transport is ours.

Invariant: every function that enters a namespace returns the thread to the namespace it
was in (``try/finally``), so the caller's (root) namespace is never modified.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, nlmsg
from pyroute2.netlink.rtnl.marshal import MarshalRtnl

NETNS_RUN_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
#: ACKs we let queue up on one socket before draining them (keeps the rcvbuf far from full)
MAX_PENDING = 256

_NLMSGHDR = struct.Struct("IHHII")
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_run_dir_ready = False
_run_dir_lock = threading.Lock()


class NetlinkRequestError(OSError):
    """The kernel refused a request; ``tag`` says which (the Op that sent it)."""

    def __init__(self, code: int, message: str, tag: object = None) -> None:
        super().__init__(code, message)
        self.tag = tag


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def setns(fd: int) -> None:
    """``setns(fd, CLONE_NEWNET)`` for the calling thread."""
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def current_netns_fd() -> int:
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


@contextlib.contextmanager
def entered(fd: int) -> Iterator[None]:
    """Run the block with this thread inside the namespace ``fd``; always come back."""
    back = current_netns_fd()
    try:
        setns(fd)
        try:
            yield
        finally:
            setns(back)
    finally:
        os.close(back)


def netns_path(name: str) -> str:
    return os.path.join(NETNS_RUN_DIR, name)


def _ensure_run_dir() -> None:
    """Make ``/run/netns`` a shared mount point, as ``ip netns add`` does (once)."""
    global _run_dir_ready
    with _run_dir_lock:
        if _run_dir_ready:
            return
        os.makedirs(NETNS_RUN_DIR, mode=0o755, exist_ok=True)
        d = NETNS_RUN_DIR.encode()
        if _libc.mount(b"", d, b"none", MS_SHARED | MS_REC, None) != 0:
            _check(_libc.mount(d, d, b"none", MS_BIND | MS_REC, None), "bind /run/netns")
            _check(_libc.mount(b"", d, b"none", MS_SHARED | MS_REC, None), "share /run/netns")
        _run_dir_ready = True


def list_netns() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_RUN_DIR))
    except FileNotFoundError:
        return []


def open_netns(name: str) -> int:
    return os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)


def create_netns(name: str) -> tuple[int, NlSocket]:
    """Create ``/run/netns/NAME``; return an fd of it and a netlink socket inside it."""
    _ensure_run_dir()
    path = netns_path(name)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    back = current_netns_fd()
    mounted = False
    try:
        _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        try:
            _check(
                _libc.mount(b"/proc/thread-self/ns/net", path.encode(), b"none", MS_BIND, None),
                f"bind-mount {path}",
            )
            mounted = True
            sock = NlSocket()
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        finally:
            setns(back)
    except BaseException:
        if mounted:
            _libc.umount2(path.encode(), MNT_DETACH)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    finally:
        os.close(back)
    return fd, sock


def remove_netns(name: str) -> bool:
    """``ip netns del NAME``: detach the bind mount and remove the file. False if absent."""
    path = netns_path(name)
    if not os.path.exists(path):
        return False
    _libc.umount2(path.encode(), MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return True


def socket_in(fd: int) -> NlSocket:
    """A netlink socket bound to the namespace ``fd`` (opened there, used from here)."""
    with entered(fd):
        return NlSocket()


class NlSocket:
    """A synchronous NETLINK_ROUTE socket with pipelined requests."""

    def __init__(self) -> None:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
            s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
            s.bind((0, 0))
        except BaseException:
            s.close()
            raise
        self.sock = s
        self.seq = 0
        self.marshal = MarshalRtnl()
        self.pending: dict[int, object] = {}  # seq -> tag of requests whose ACK is due
        self.failures: list[NetlinkRequestError] = []

    def close(self) -> None:
        self.sock.close()

    # -- sending -------------------------------------------------------------------------
    def _encode(self, msg: nlmsg, mtype: int, flags: int) -> tuple[int, bytes]:
        self.seq += 1
        msg["header"]["type"] = mtype
        msg["header"]["flags"] = flags
        msg["header"]["sequence_number"] = self.seq
        msg["header"]["pid"] = 0
        msg.encode()
        return self.seq, bytes(msg.data)

    def send(self, msg: nlmsg, mtype: int, flags: int = 0, tag: object = None) -> None:
        """Send a request expecting an ACK; do not wait for it (see ``flush``)."""
        seq, data = self._encode(msg, mtype, NLM_F_REQUEST | NLM_F_ACK | flags)
        self.sock.send(data)
        self.pending[seq] = tag
        if len(self.pending) >= MAX_PENDING:
            self._drain()

    def send_raw(self, mtype: int, body: bytes, flags: int = 0, tag: object = None) -> None:
        """Send a pre-encoded request body (``vnetlab.kernel.rtnl``); ACK collected later."""
        self.seq += 1
        hdr = _NLMSGHDR.pack(16 + len(body), mtype, NLM_F_REQUEST | NLM_F_ACK | flags,
                             self.seq, 0)
        self.sock.send(hdr + body)
        self.pending[self.seq] = tag
        if len(self.pending) >= MAX_PENDING:
            self._drain()

    def request(self, msg: nlmsg, mtype: int, flags: int = 0, tag: object = None) -> None:
        """Send and wait for the ACK; raise ``NetlinkRequestError`` on failure."""
        self.send(msg, mtype, flags, tag)
        self.flush()

    def _drain(self) -> None:
        while self.pending:
            data = self.sock.recv(1 << 20)
            for seq, code, text in parse_acks(data):
                if seq not in self.pending:
                    continue
                tag = self.pending.pop(seq)
                if code:
                    msg = os.strerror(code) + (f" ({text})" if text else "")
                    self.failures.append(NetlinkRequestError(code, msg, tag))

    def flush(self) -> None:
        """Wait for every outstanding ACK; raise the first failure, if any."""
        self._drain()
        if self.failures:
            first = self.failures[0]
            self.failures = []
            raise first

    # -- dumps ---------------------------------------------------------------------------
    def dump(self, msg: nlmsg, mtype: int) -> list[Any]:
        self.flush()
        seq, data = self._encode(msg, mtype, NLM_F_REQUEST | NLM_F_DUMP)
        self.sock.send(data)
        out: list[Any] = []
        for _ in range(1_000_000):  # bounded: a dump ends with NLMSG_DONE
            chunk = self.sock.recv(1 << 20)
            self._dump_chunk(chunk, seq)
            done = False
            for reply in self.marshal.parse(chunk):
                if reply["header"]["sequence_number"] != seq:
                    continue
                t = reply["header"]["type"]
                if t in (NLMSG_DONE, NLMSG_ERROR):
                    done = True
                else:
                    out.append(reply)
            if done:
                return out
        raise OSError(errno.EIO, "netlink dump did not end")

    def _dump_chunk(self, chunk: bytes, seq: int) -> None:
        for aseq, code, text in parse_acks(chunk):
            if aseq == seq and code:
                raise NetlinkRequestError(code, os.strerror(code) + (f" ({text})" if text else ""),
                                          "dump")


def parse_acks(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(seq, errno, extack message) of every NLMSG_ERROR in ``data`` (errno 0: an ACK).

    Parsed by hand: with ``NETLINK_CAP_ACK`` the kernel does not echo the request, which
    pyroute2's generic parser expects (``struct nlmsgerr``, include/uapi/linux/netlink.h).
    """
    off = 0
    end = len(data)
    while off + 16 <= end:
        length, mtype, flags, seq, _pid = struct.unpack_from("IHHII", data, off)
        if length < 16 or off + length > end:
            break
        if mtype == NLMSG_ERROR and length >= 20:
            (err,) = struct.unpack_from("i", data, off + 16)
            text = ""
            if flags & NLM_F_ACK_TLVS:
                (olen,) = struct.unpack_from("I", data, off + 20)
                toff = off + 20 + (16 if flags & NLM_F_CAPPED else max(16, (olen + 3) & ~3))
                while toff + 4 <= off + length:
                    alen, atype = struct.unpack_from("HH", data, toff)
                    if alen < 4:
                        break
                    if atype == NLMSGERR_ATTR_MSG:
                        text = data[toff + 4 : toff + alen].rstrip(b"\0").decode(errors="replace")
                    toff += (alen + 3) & ~3
            yield seq, -err, text
        off += (length + 3) & ~3


def write_sysctl(fd: int, key: str, value: int) -> None:
    """``ip netns exec NS sysctl -w KEY=VALUE``: /proc/sys/net is per namespace of the opener."""
    path = "/proc/sys/" + key.replace(".", "/")
    with entered(fd):
        f = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(f, f"{value}\n".encode())
    finally:
        os.close(f)


def read_sysctl(fd: int, key: str) -> int:
    path = "/proc/sys/" + key.replace(".", "/")
    with entered(fd):
        f = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return int(os.read(f, 64).split()[0])
    finally:
        os.close(f)


def pids_in_netns(name: str) -> list[int]:
    """Processes whose network namespace is NAME's (``/proc/PID/ns/net`` has its inode):
    they keep the namespace alive after ``ip netns del`` removes its name."""
    try:
        want = os.stat(netns_path(name)).st_ino
    except OSError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}/ns/net").st_ino == want:
                pids.append(int(entry))
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return sorted(pids)
