"""Argument helpers shared by the ``ip``/``bridge`` commands (iproute2's ``NEXT_ARG``,
``matches``, ``get_unsigned``) and the context a command runs in."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vnetlab.script.errors import ScriptError
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.script.world import World
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace


#: one JSON object as ``ip -j``/``bridge -j`` prints it
Obj = dict[str, Any]


@dataclass
class Env:
    """Where a command runs: the world, its namespace, and where output goes."""

    world: World
    ns_name: str
    out: Callable[[str], None]
    err: Callable[[str], None]
    lineno: int | None = None
    opts: dict[str, Any] = field(default_factory=dict)
    #: started with ``&``: a capture keeps running; any other command runs to completion
    background: bool = False

    @property
    def ns(self) -> Namespace:
        return self.world.get_ns(self.ns_name)

    def fail(self, message: str, rc: int = 1) -> ScriptError:
        return ScriptError(message, lineno=self.lineno, rc=rc)

    def dev(self, name: str) -> NetDevice:
        d = self.ns.devices.get(name)
        if d is None:
            raise self.fail(f'Cannot find device "{name}"')
        return d

    def json(self, obj: Any) -> None:
        if self.opts.get("pretty"):
            self.out(json.dumps(obj, indent=4))
        else:
            self.out(json.dumps(obj, separators=(",", ":")))


def matches(word: str, full: str) -> bool:
    """iproute2 ``matches()``: WORD is a non-empty prefix of FULL."""
    return bool(word) and full.startswith(word)


class Args:
    """A cursor over argv with iproute2's error wording."""

    def __init__(self, argv: list[str], env: Env) -> None:
        self.argv = argv
        self.i = 0
        self.env = env

    def more(self) -> bool:
        return self.i < len(self.argv)

    def peek(self) -> str | None:
        return self.argv[self.i] if self.i < len(self.argv) else None

    def next(self) -> str:
        w = self.argv[self.i]
        self.i += 1
        return w

    def value(self, key: str) -> str:
        if self.i >= len(self.argv):
            raise self.env.fail('Command line is not complete. Try option "help"', rc=255)
        return self.next()

    def rest(self) -> list[str]:
        r = self.argv[self.i:]
        self.i = len(self.argv)
        return r

    def wrong(self, value: str, what: str, rc: int = 255) -> ScriptError:
        """iproute2 invarg(): its words, and exit(-1), i.e. status 255."""
        return self.env.fail(f'Error: argument "{value}" is wrong: {what}', rc=rc)

    def uint(self, key: str, lo: int = 0, hi: int = 2**32 - 1, what: str = "") -> int:
        v = self.value(key)
        try:
            n = int(v, 0)
        except ValueError:
            raise self.wrong(v, what or f"Invalid \"{key}\" value") from None
        if not lo <= n <= hi:
            raise self.wrong(v, what or f"Invalid \"{key}\" value")
        return n

    def onoff(self, key: str) -> bool:
        v = self.value(key)
        if v in ("on", "1", "yes"):
            return True
        if v in ("off", "0", "no"):
            return False
        raise self.env.fail(f'Error: argument of "{key}" must be "on" or "off", not "{v}"')

    def ipv4(self, key: str) -> ipaddress.IPv4Address:
        v = self.value(key)
        try:
            return ipaddress.IPv4Address(v)
        except ValueError:
            raise self.env.fail(f'Error: inet address is expected rather than "{v}".') from None

    def mac(self, key: str) -> bytes:
        v = self.value(key)
        try:
            return mac_to_bytes(v)
        except Exception:  # noqa: BLE001 - any malformed form gets iproute2's words
            raise self.env.fail(f'"{v}" is invalid lladdr.') from None
