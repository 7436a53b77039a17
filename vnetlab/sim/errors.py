"""Errors the emulator's devices return, as the kernel does: an errno, not a sentence.

Design note
-----------
Where a kernel function would return ``-EEXIST``, ``-EBUSY``, ``-EINVAL``, ``-ERANGE`` ...
(``register_netdevice``, ``netdev_rx_handler_register``, ``vlan_check_real_dev``,
``macvlan_common_newlink``, ``vxlan_dev_configure``), the emulator raises ``NetdevError``
with that errno. Callers that speak for a tool (``ip link`` printing "RTNETLINK answers:
File exists") map ``errno`` to text with ``os.strerror``; the message is for people and
for tracebacks, never matched. It subclasses ``ValueError`` because that is what callers
caught before the errno existed.
"""

from __future__ import annotations


class NetdevError(ValueError):
    """A refused device operation: ``errno`` is the positive errno the kernel returns."""

    def __init__(self, errno: int, msg: str) -> None:
        super().__init__(msg)
        self.errno = errno
