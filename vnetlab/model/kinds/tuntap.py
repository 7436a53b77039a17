"""What TUN and TAP share (drivers/net/tun.c): an owner and a userspace program."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from vnetlab.model.base import Model
from vnetlab.model.netdev import NetdevSpec

_PROGRAM_RE = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)


class ProgramSpec(Model):
    """The userspace program on the other side of a TUN/TAP device.

    ``run`` names a Python function ``package.module:function`` that takes one
    ``vnetlab.tuntap.Context`` (the device, sockets, timers, ``args``); it is imported only
    when the lab is realized, never at load time. The same function runs in the emulator
    (callbacks on virtual time) and on the kernel (the real /dev/net/tun file descriptor).
    """

    run: str = Field(json_schema_extra={"pattern": _PROGRAM_RE.pattern})
    args: dict[str, Any] = {}

    @field_validator("run")
    @classmethod
    def _run(cls, v: str) -> str:
        if not _PROGRAM_RE.match(v):
            raise ValueError(
                f"program {v!r} is not 'package.module:function', e.g. "
                "'vnetlab.tuntap.examples.vpn:main'"
            )
        return v


class TuntapSpec(NetdevSpec):
    """What TUN and TAP share (drivers/net/tun.c): ``ip tuntap add dev NAME mode tun|tap
    user U group G`` makes a persistent device owned by U; ``program`` is the process that
    opens it (``TUNSETIFF``) and reads/writes its packets."""

    user: int | str | None = None  # TUNSETOWNER (uid or user name)
    group: int | str | None = None  # TUNSETGROUP (gid or group name)
    program: ProgramSpec | None = None


class TunSpec(TuntapSpec):
    """TUN: layer 3, the program reads and writes IP packets; no MAC, no ARP."""

    type: Literal["tun"]


class TapSpec(TuntapSpec):
    """TAP: layer 2, the program reads and writes Ethernet frames (a VM's NIC)."""

    type: Literal["tap"]
