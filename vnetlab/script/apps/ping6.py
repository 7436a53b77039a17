"""``ping -6`` / ``ping6`` (iputils 20221126) in a script: what the tool prints around the
emulator's ``Ping6`` (``vnetlab.sim.apps.ping``).

Design note
-----------
iputils' IPv6 layout differs from IPv4's in small ways this module keeps: the header is
``PING DST(DST) 56 data bytes`` (no IP header size), a link-local target keeps its scope
(``fe80::1%veth0``) in the header, in every reply and in the statistics line, ``-I DEV``
prints ``from :: DEV:`` and warns that the source might be chosen elsewhere, ``-I ADDR``
prints ``from ADDR :``; errors arriving as ICMPv6 are ``From SRC icmp_seq=N ...`` in
iputils' IPv6 words; a family mismatch (``ping -6 10.0.0.1``) is getaddrinfo's
``Address family for hostname not supported``. Replies print the hop limit as ``ttl=``.
Timing, counting and the statistics block are the IPv4 ``ping``'s (``apps/ping.py``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from vnetlab.script.apps.ping import _Options, _statistics, echo_count
from vnetlab.script.args import Env
from vnetlab.script.inet6 import stack6
from vnetlab.sim.apps.ping import Ping6
from vnetlab.sim.clock import MS, S
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.trace import TraceNode


class _ScriptPing6(Ping6):
    """Prints each reply or error the moment it arrives (virtual time)."""

    def __init__(self, ns: Any, dst: int, *, emit: Callable[[str], None],
                 emit_err: Callable[[str], None], quiet: bool, scope: str,
                 **kw: Any) -> None:
        super().__init__(ns, dst, **kw)
        self.emit = emit
        self.emit_err = emit_err
        self.quiet = quiet
        self.scope = scope  # "%veth0" after a link-local source of a reply
        self.err_count = 0

    def _on_icmp6(self, src: Any, dst: Any, msg: Any, t: TraceNode | None,
                  hop_limit: int = 64) -> None:
        before, nerr = len(self.rtts), len(self.errors)
        super()._on_icmp6(src, dst, msg, t, hop_limit)
        if self.quiet:
            return
        if len(self.rtts) > before:
            req = self.request_of(msg.seq)
            rtt = self.rtts[req if req is not None else max(self.rtts)] / MS
            shown = f"{src}{self.scope}" if ipaddress.IPv6Address(src).is_link_local else (
                str(src))
            self.emit(f"{self.size + 8} bytes from {shown}: icmp_seq={msg.seq} "
                      f"ttl={hop_limit} time={rtt:.3f} ms")
        for line in self.errors[nerr:]:
            self.err_count += 1
            self.emit(line)

    def _send(self, seq: int) -> None:
        nerr = len(self.errors)
        super()._send(seq)
        for line in self.errors[nerr:]:
            if "local error" in line:
                self.err_count += 1
                self.emit_err(line)


def _target(env: Env, text: str) -> tuple[int, NetDevice | None]:
    """DST[%DEV]: the address and the scope device (getaddrinfo's scope id)."""
    addr, _, scope = text.partition("%")
    try:
        dst = int(ipaddress.IPv6Address(addr))
    except ValueError:
        raise env.fail(f"ping: {text}: Name or service not known", rc=2) from None
    dev = None
    if scope:
        dev = env.ns.devices.get(scope)
        if dev is None:
            raise env.fail(f"ping: {text}: Name or service not known", rc=2)
    return dst, dev


def run_ping6(o: _Options, env: Env) -> int:
    assert o.target is not None
    ns = env.ns
    s6 = stack6(ns)
    dst, scope_dev = _target(env, o.target)
    if s6 is None or s6.conf_all.disable_ipv6:
        # no usable source anywhere: connect() fails in ipv6_dev_get_saddr
        raise env.fail("ping: connect: Cannot assign requested address", rc=2)
    oif = scope_dev
    src_text = ""
    if o.iface is not None:
        try:
            src = int(ipaddress.IPv6Address(o.iface))
        except ValueError:
            dev = ns.devices.get(o.iface)
            if dev is None:
                raise env.fail(f"ping: SO_BINDTODEVICE {o.iface}: No such device",
                               rc=2) from None
            oif = dev
            env.err(f"ping: Warning: source address might be selected on device other "
                    f"than: {o.iface}")
            src_text = f"from :: {o.iface}: "
        else:
            if s6.find_addr(src) is None:
                raise env.fail("ping: bind icmp socket: Cannot assign requested address",
                               rc=2)
            src_text = f"from {o.iface} : "
    count = echo_count(env, o)
    wait = o.timeout if o.timeout is not None else 10.0
    try:
        s6.route_output(dst, oif)
    except OSError:
        raise env.fail("ping: connect: Network is unreachable", rc=2) from None
    shown = o.target
    env.out(f"PING {shown}({shown}) {src_text}{o.size} data bytes")
    world = env.world
    sched = world.sched
    world.engine._next_ident = (world.engine._next_ident + 1) & 0xFFFF
    scope = f"%{oif.name}" if oif is not None else ""
    if not scope:
        try:
            scope = f"%{s6.route_output(dst).dev.name}"
        except OSError:
            scope = ""
    app = _ScriptPing6(
        ns, dst, oif=oif.name if oif is not None else None, count=count, size=o.size,
        interval=int(o.interval * S), timeout=int(wait * S), pmtudisc=o.pmtu,
        ident=world.engine._next_ident, emit=env.out, emit_err=env.err, quiet=o.quiet,
        scope=scope)
    start = sched.now
    app.start()
    limit = start + int((count - 1) * o.interval * S) + int(wait * S) + S
    if o.deadline is not None:
        limit = min(limit, start + int(o.deadline * S))
    while not app.finished and sched.now < limit:
        nxt = sched.next_time()
        if nxt is None:
            break
        sched.run(until=min(nxt, limit))
    if not app.finished:
        app._finish()
    sched.run(until=sched.now + 10 * MS)
    connect = [e for e in app.errors if e.startswith("ping: connect:")]
    if connect:
        env.err(connect[0])
        return 2
    _statistics(env, app, shown, start, o.interval)  # type: ignore[arg-type]
    return 0 if app.received else 1
