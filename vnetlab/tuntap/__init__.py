"""The userspace side of TUN/TAP devices: one API for programs on both engines.

A program is a plain function ``main(ctx: Context) -> None`` that registers callbacks (or
keeps the file-like objects to read from later) and returns. The emulator runs its callbacks
on virtual time; the linux engine runs them in a thread of its own, inside the node's
network namespace, on the real /dev/net/tun file descriptor and real UDP sockets. See
``vnetlab.tuntap.api``; the example programs are in ``vnetlab.tuntap.examples``.
"""

from vnetlab.tuntap.api import (
    Context,
    Device,
    ProgramError,
    UdpSocket,
    load_program,
    parse_hostport,
)

__all__ = ["Context", "Device", "ProgramError", "UdpSocket", "load_program", "parse_hostport"]
