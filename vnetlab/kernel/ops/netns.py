"""Namespace-wide ops: ``ip netns add`` and ``sysctl -w`` inside a namespace."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel.ops.base import IPV6_OFF, NsHandle, Op, Realized


@dataclass(frozen=True, slots=True)
class AddNetns(Op):
    """``ip netns add NS``: a new network namespace bind-mounted under /run/netns, and the
    rtnetlink socket every later op of this namespace is sent on."""

    node: str = ""

    def shell(self) -> str:
        return f"ip netns add {self.ns}"

    def apply(self, r: Realized) -> None:
        if self.ns in r.ns:
            raise EngineError(f"namespace {self.ns} is made twice by the plan")
        fd, sock = nl.create_netns(self.ns)
        r.ns[self.ns] = NsHandle(self.ns, fd, sock)


@dataclass(frozen=True, slots=True)
class SetSysctl(Op):
    """``sysctl -w KEY=VALUE`` from inside the namespace (/proc/sys/net is per namespace)."""

    key: str = ""
    value: int = 0

    def shell(self) -> str:
        return f"ip netns exec {self.ns} sysctl -qw {self.key}={self.value}"

    def apply(self, r: Realized) -> None:
        try:
            nl.write_sysctl(r.ns[self.ns].fd, self.key, self.value)
        except FileNotFoundError:
            if self.key not in IPV6_OFF:  # a kernel without IPv6 has nothing to switch off
                raise
