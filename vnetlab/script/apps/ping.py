"""``ping`` (iputils) in a script: options, one line per reply, the statistics.

Design note
-----------
The emulator's ``vnetlab.sim.apps.ping.Ping`` sends and times the echo requests; this
module adds what the iputils tool prints around it: each reply or error the moment it
arrives (virtual time), then the ``--- ping statistics ---`` block. ``ping`` without ``-c``
would run until interrupted on a real host; a script has no Ctrl-C, so it sends 3 and says
so. Replies print ``ttl=`` as the emulator's ICMP socket reports it. ``-6`` or an IPv6
target is ``ping -6`` (``apps/ping6.py``); ``ping6`` is the same command.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass

from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim.apps.ping import BROADCAST_REFUSED, Ping
from vnetlab.sim.clock import MS, S
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import TraceNode
from vnetlab.wire.icmp import IcmpMessage

#: options that take a value (``-c 3`` or ``-c3``)
_WITH_VALUE = {"-c", "-s", "-i", "-W", "-w", "-M", "-I", "-t", "-Q", "-l", "-p"}


class _ScriptPing(Ping):
    """iputils ping: prints each reply or error the moment it arrives (virtual time)."""

    def __init__(self, ns: Namespace, dst: int, *, count: int, size: int, interval: int,
                 timeout: int, pmtudisc: str, ident: int, emit: Callable[[str], None],
                 emit_err: Callable[[str], None], quiet: bool, broadcast: bool) -> None:
        super().__init__(ns, dst, count=count, size=size, interval=interval,
                         timeout=timeout, pmtudisc=pmtudisc, ident=ident,
                         broadcast=broadcast)
        self.emit = emit
        self.emit_err = emit_err
        self.quiet = quiet
        self.err_count = 0

    def _on_icmp(self, src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address,
                 msg: IcmpMessage, t: TraceNode | None, ttl: int = 64) -> None:
        before, nerr = len(self.rtts), len(self.errors)
        super()._on_icmp(src, dst, msg, t, ttl)
        if self.quiet:
            return
        if len(self.rtts) > before:
            seq = msg.seq
            req = self.request_of(seq)  # the reply just matched: a request we sent
            rtt = self.rtts[req if req is not None else max(self.rtts)] / MS
            self.emit(f"{self.size + 8} bytes from {src}: icmp_seq={seq} ttl={ttl} "
                      f"time={rtt:.3f} ms")
        for line in self.errors[nerr:]:
            self.err_count += 1
            self.emit(line)

    def _send(self, seq: int) -> None:
        nerr = len(self.errors)
        super()._send(seq)
        for line in self.errors[nerr:]:
            if "local error" in line:
                self.err_count += 1
                self.emit_err(line if line.startswith("ping: ") else f"ping: {line}")


@dataclass
class _Options:
    count: int | None = None
    size: int = 56
    interval: float = 1.0
    timeout: float | None = None  # -W: how long to wait for the last reply
    deadline: float | None = None  # -w: how long ping runs at most
    pmtu: str = "want"
    quiet: bool = False
    broadcast: bool = False  # -b
    iface: str | None = None  # -I: a device name or a source address
    target: str | None = None
    family: str | None = None  # -4 "inet", -6 "inet6", else from the target


#: the most echo requests one script ping sends: a script has no Ctrl-C to stop it
MAX_COUNT = 100_000
MIN_INTERVAL_S = 10e-6
#: iputils keeps times in int milliseconds: past INT_MAX ms a time is "bad"
_MAX_SECONDS = (2**31 - 1) / 1000


def echo_count(env: Env, o: _Options) -> int:
    """How many echo requests: -c, else as many as -w allows at -i, else 3 (a script has
    no Ctrl-C); the same for ping and ping -6."""
    count = o.count
    if count is None:
        if o.deadline is None:
            env.err("vnetlab: ping without -c would run until interrupted; sending 3 "
                    "(use -c N)")
            return 3
        count = min(MAX_COUNT, max(1, int(o.deadline / o.interval) + 1))
    if count > MAX_COUNT:
        raise env.fail(f"vnetlab: ping -c {count}: the emulator sends at most {MAX_COUNT} "
                       "echo requests per ping (a script has no Ctrl-C to stop it)", rc=2)
    return count



def _seconds(env: Env, v: str, what: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise env.fail(f"ping: invalid argument: '{v}'", rc=2) from None
    if math.isnan(x) or math.isinf(x):
        raise env.fail(f"ping: bad {what}: {v}: Numerical result out of range", rc=2)
    if x < 0 or x > _MAX_SECONDS:
        raise env.fail(f"ping: bad {what}: {v}", rc=2)
    return x


def _set_option(o: _Options, opt: str, v: str, env: Env) -> None:
    if opt == "-c":
        if not v.isascii() or not v.isdigit() or int(v) < 1:
            raise env.fail(f"ping: invalid argument: '{v}': out of range: 1 <= value "
                           "<= 9223372036854775807", rc=1)
        o.count = int(v)
    elif opt == "-s":
        if not v.isascii() or not v.lstrip("-").isdigit():
            raise env.fail(f"ping: invalid argument: '{v}'", rc=1)
        if not 0 <= int(v) <= 2**31 - 1:  # iputils' strtol_or_err range; larger sizes
            raise env.fail(f"ping: invalid argument: '{v}': out of range: 0 <= value "
                           "<= 2147483647", rc=1)  # are accepted and fail to send
        o.size = int(v)
    elif opt == "-i":
        # -i 0 is "as fast as replies allow": iputils manages ~13 us between requests on
        # loopback; 10 us here keeps replies interleaved instead of one virtual instant
        o.interval = max(_seconds(env, v, "timing interval"), MIN_INTERVAL_S)
    elif opt == "-W":
        o.timeout = _seconds(env, v, "linger time")
    elif opt == "-w":
        if not v.isascii() or not v.isdigit() or int(v) > 2**31 - 1:  # strtol_or_err
            raise env.fail(f"ping: invalid argument: '{v}'", rc=1)
        o.deadline = float(v)
    elif opt == "-M":
        if v not in ("do", "dont", "want", "probe"):
            raise env.fail(f"ping: invalid -M argument: {v}", rc=2)
        o.pmtu = "do" if v == "probe" else v
    elif opt == "-I":
        o.iface = v
    else:
        env.err(f"vnetlab: ping option {opt} is accepted but not modelled")


def _parse(argv: list[str], env: Env) -> _Options:
    o = _Options()
    i = 0
    while i < len(argv):
        w = argv[i]
        if w in _WITH_VALUE or (len(w) > 2 and w[:2] in _WITH_VALUE):
            opt, v = (w, argv[i + 1] if i + 1 < len(argv) else None) if len(w) == 2 else (
                w[:2], w[2:])
            if v is None:
                raise env.fail(f"ping: option requires an argument -- '{opt[1]}'", rc=2)
            i += 2 if len(w) == 2 else 1
            _set_option(o, opt, v, env)
            continue
        if w in ("-q",):
            o.quiet = True
        elif w == "-b":
            o.broadcast = True
        elif w in ("-4", "-6"):
            o.family = "inet" if w == "-4" else "inet6"
        elif w in ("-n", "-D", "-O", "-v", "-U", "-A", "-a"):
            pass
        elif w in ("-f", "-R"):
            raise NotSupportedYet(f"ping {w}", lineno=env.lineno)
        elif w.startswith("-"):
            raise env.fail(f"ping: invalid option -- '{w[1:]}'", rc=2)
        else:
            o.target = w
        i += 1
    return o


def _source_text(env: Env, iface: str, dst: ipaddress.IPv4Address) -> str:
    """The ``from SRC [DEV]: `` of the header line, as ``-I`` binds the socket."""
    ns = env.ns
    try:
        src_ip = ipaddress.IPv4Address(iface)
    except ValueError:
        dev = ns.devices.get(iface)
        if dev is None:
            raise env.fail(f"ping: SO_BINDTODEVICE {iface}: No such device",
                           rc=2) from None
        sel = ns.stack.select_addr(dev, int(dst))
        return f"from {ip_str(sel) if sel else '0.0.0.0'} {iface}: "
    if not ns.stack.is_local(int(src_ip)):
        raise env.fail("ping: bind: Cannot assign requested address", rc=2)
    return f"from {src_ip} : "


def _statistics(env: Env, app: _ScriptPing, dst: ipaddress.IPv4Address | str, start: int,
                interval: float) -> None:
    now = env.world.sched.now
    tx, rx = app.transmitted, app.received
    loss = 0 if tx == 0 else round(100 * (tx - rx) / tx)
    elapsed = int((now - start) / MS) if rx < tx else int((tx - 1) * interval * 1000)
    env.out("")
    env.out(f"--- {dst} ping statistics ---")
    errs = f", +{app.err_count} errors" if app.err_count else ""
    env.out(f"{tx} packets transmitted, {rx} received{errs}, {loss}% packet loss, "
            f"time {elapsed}ms")
    if rx:
        ms = [x / MS for x in app.rtts.values()]
        avg = sum(ms) / len(ms)
        mdev = math.sqrt(max(0.0, sum(x * x for x in ms) / len(ms) - avg * avg))
        env.out(f"rtt min/avg/max/mdev = {min(ms):.3f}/{avg:.3f}/{max(ms):.3f}/{mdev:.3f} ms")
    env.out("")


def run_ping(argv: list[str], env: Env) -> int:
    o = _parse(argv, env)
    if o.target is None:
        raise env.fail("ping: usage error: Destination address required", rc=1)
    v6 = ":" in o.target
    if o.family is not None and (o.family == "inet6") != v6:
        raise env.fail(f"ping: {o.target}: Address family for hostname not supported",
                       rc=2)
    if v6:
        from vnetlab.script.apps.ping6 import run_ping6

        return run_ping6(o, env)
    try:
        dst = ipaddress.IPv4Address(o.target)
    except ValueError:
        raise env.fail(f"ping: {o.target}: Name or service not known", rc=2) from None
    ns = env.ns
    shown = dst  # the header shows what the kernel routes to: 0.0.0.0 is 127.0.0.1
    dst = ipaddress.IPv4Address(ns.stack.output_daddr(int(dst)))
    src_text = "" if o.iface is None else _source_text(env, o.iface, dst)
    count = echo_count(env, o)
    wait = o.timeout if o.timeout is not None else 10.0
    try:
        ns.stack.route_output(int(dst))
    except OSError:
        raise env.fail("ping: connect: Network is unreachable", rc=2) from None
    if ns.stack.is_bcast_dst(int(dst)):
        if not o.broadcast:
            raise env.fail(BROADCAST_REFUSED, rc=2)
        env.err("WARNING: pinging broadcast address")
    env.out(f"PING {shown} ({dst}) {src_text}{o.size}({o.size + 28}) bytes of data.")
    world = env.world
    sched = world.sched
    world.engine._next_ident = (world.engine._next_ident + 1) & 0xFFFF
    app = _ScriptPing(
        ns, int(dst), count=count, size=o.size, interval=int(o.interval * S),
        timeout=int(wait * S), pmtudisc=o.pmtu, ident=world.engine._next_ident,
        emit=env.out, emit_err=env.err, quiet=o.quiet, broadcast=o.broadcast)
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
    if any(e.startswith("connect:") for e in app.errors):
        env.err("ping: connect: Network is unreachable")
        return 2
    _statistics(env, app, shown, start, o.interval)
    return 0 if app.received else 1
