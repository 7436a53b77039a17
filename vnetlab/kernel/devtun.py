"""/dev/net/tun: the ioctls behind ``ip tuntap add`` and behind a program opening its device.

Design note
-----------
drivers/net/tun.c: opening /dev/net/tun gives a ``tun_file`` in the *opener's* network
namespace (``tun_chr_open``); ``TUNSETIFF`` with a name either creates the device there or
attaches to the existing one of that name (``tun_set_iff``: the owner/group must match or
the caller needs CAP_NET_ADMIN). ``IFF_NO_PI`` drops the 4-byte packet-information header,
so reads and writes are bare IP packets (TUN) or Ethernet frames (TAP). ``TUNSETOWNER``,
``TUNSETGROUP`` and ``TUNSETPERSIST`` 1 make the ``ip tuntap add dev X mode M user U``
device that outlives the fd. Callers enter the namespace first (``nl.entered``).
"""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import struct

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
TUNSETOWNER = 0x400454CC
TUNSETGROUP = 0x400454CE
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFNAMSIZ = 16


def _ifreq(name: str, mode: str) -> bytes:
    flags = (IFF_TUN if mode == "tun" else IFF_TAP) | IFF_NO_PI
    return struct.pack("16sH22x", name.encode(), flags)


def uid_of(user: int | str) -> int:
    if isinstance(user, int):
        return user
    try:
        return int(user) if user.isdigit() else pwd.getpwnam(user).pw_uid
    except KeyError:
        raise ValueError(f"no user {user!r} on this host (tun owner)") from None


def gid_of(group: int | str) -> int:
    if isinstance(group, int):
        return group
    try:
        return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValueError(f"no group {group!r} on this host (tun group)") from None


def open_queue(name: str, mode: str, *, nonblock: bool = True) -> int:
    """Open /dev/net/tun and attach to (or create) ``name``: the program's fd."""
    fd = os.open(TUN_PATH, os.O_RDWR | os.O_CLOEXEC | (os.O_NONBLOCK if nonblock else 0))
    try:
        fcntl.ioctl(fd, TUNSETIFF, _ifreq(name, mode))
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_persistent(
    name: str, mode: str, user: int | str | None = None, group: int | str | None = None
) -> None:
    """``ip tuntap add dev NAME mode MODE [user U] [group G]``."""
    uid = uid_of(user) if user is not None else None
    gid = gid_of(group) if group is not None else None
    fd = open_queue(name, mode, nonblock=False)
    try:
        if uid is not None:
            fcntl.ioctl(fd, TUNSETOWNER, uid)
        if gid is not None:
            fcntl.ioctl(fd, TUNSETGROUP, gid)
        fcntl.ioctl(fd, TUNSETPERSIST, 1)
    finally:
        os.close(fd)
