"""``tcpdump`` in a script: options, the capture on one device, and its lifetime.

Design note
-----------
A capture is a tap on the device (``dev_queue_xmit_nit``/``deliver_skb`` to a packet
socket) that filters each frame (``tcpdump_filter``) and prints it (``tcpdump_print``) or
writes it to a pcap (``-w``). While it runs the device is promiscuous, as tcpdump makes it
(``dev_set_promiscuity(dev, +1)``, -1 when it stops). In the foreground a capture runs until
``-c`` packets, or until the emulator has no traffic left (a script has no Ctrl-C; it says
so), bounded by ``FOREGROUND_LIMIT_S`` of virtual time. With ``&`` it returns the running
``Capture``: the interpreter keeps it as a job, and its lines appear as frames pass,
interleaved with what the script does next; it reports its counts on ``kill``, ``wait``
(after ``-c`` packets) or when the script ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vnetlab.script.apps.tcpdump_filter import FilterSyntax, Pred, compile_filter, decode
from vnetlab.script.apps.tcpdump_print import tcpdump_line
from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim.clock import S
from vnetlab.sim.netdev import NetDevice, Tap
from vnetlab.wire.pcap import PcapWriter

FOREGROUND_LIMIT_S = 60

#: options that take a value; the ones not read here are accepted and ignored
_WITH_VALUE = ("-i", "-c", "-w", "-s", "-C", "-G", "-W", "-y", "-B", "-Q", "-F", "-r",
               "-z", "-Z", "-T", "-E", "-j", "-M")


@dataclass
class Capture:
    """One running tcpdump (foreground or ``&``)."""

    env: Env
    dev: NetDevice
    pred: Pred
    count: int | None
    writer: PcapWriter | None
    link_level: bool
    quiet: bool
    seen: int = 0
    done: bool = False
    job: int = 0
    tap: Tap | None = field(default=None)

    def start(self) -> None:
        def tap(now: int, frame: bytes) -> None:
            if self.done:
                return
            try:
                ok = self.pred(decode(frame))
            except Exception:  # noqa: BLE001 - a short frame simply does not match
                ok = False
            if not ok:
                return
            self.seen += 1
            if self.writer is not None:
                self.writer.write(now, frame)
            elif not self.quiet:
                self.env.out(tcpdump_line(now, frame, self.link_level))
            if self.count is not None and self.seen >= self.count:
                self.stop()

        self.tap = tap
        self.dev.add_tap(tap)
        self.dev.set_promiscuity(1)

    def stop(self) -> None:
        if self.done:
            return
        self.done = True
        if self.tap is not None:
            self.dev.remove_tap(self.tap)
        self.dev.set_promiscuity(-1)
        if self.writer is not None:
            self.writer.close()
        self.env.err(f"{self.seen} packets captured")
        self.env.err(f"{self.seen} packets received by filter")
        self.env.err("0 packets dropped by kernel")


@dataclass
class _Options:
    iface: str | None = None
    count: int | None = None
    path: str | None = None  # -w FILE
    link_level: bool = False  # -e
    quiet: bool = False
    expr: list[str] = field(default_factory=list)


def _parse(argv: list[str], env: Env) -> _Options:
    o = _Options()
    i = 0
    while i < len(argv):
        w = argv[i]
        if w in _WITH_VALUE:
            if i + 1 >= len(argv):
                raise env.fail(f"tcpdump: option requires an argument -- '{w[1]}'", rc=1)
            v = argv[i + 1]
            if w == "-i":
                o.iface = v
            elif w == "-c":
                if not v.isdigit() or int(v) < 1:
                    raise env.fail(f"tcpdump: invalid packet count {v}", rc=1)
                o.count = int(v)
            elif w == "-w":
                o.path = v
            elif w == "-r":
                raise NotSupportedYet("tcpdump -r", "read the pcap with tshark or "
                                      "Wireshark", lineno=env.lineno)
            i += 2
            continue
        if w.startswith("-") and len(w) > 1 and not o.expr:
            _letters(o, w[1:], env)
        else:
            o.expr.append(w)
        i += 1
    return o


def _letters(o: _Options, letters: str, env: Env) -> None:
    """A group of one-letter flags (``-nve``), or ``-iDEV`` / ``-cN`` written together."""
    if letters.startswith("i") and len(letters) > 1:
        o.iface = letters[1:]
    elif letters.startswith("c") and letters[1:].isdigit():
        o.count = int(letters[1:])
    else:
        for ch in letters:
            if ch == "e":
                o.link_level = True
            elif ch == "q":
                o.quiet = False
            elif ch in "nvlUStKNpAXx#":
                pass
            else:
                raise env.fail(f"tcpdump: invalid option -- '{ch}'", rc=1)


def _device(env: Env, iface: str | None) -> NetDevice:
    """``-i DEV``, or (as pcap_lookupdev) the first device that is up and not loopback."""
    ns = env.ns
    if iface is None:
        cands = [d for d in sorted(ns.devices.values(), key=lambda d: d.ifindex)
                 if d.admin_up and d.kind != "loopback"]
        if not cands:
            raise env.fail("tcpdump: no suitable device found", rc=1)
        iface = cands[0].name
    if iface == "any":
        raise NotSupportedYet("tcpdump -i any", "capture on one interface with -i DEV",
                              lineno=env.lineno)
    dev = ns.devices.get(iface)
    if dev is None:
        raise env.fail(f"tcpdump: {iface}: No such device exists\n(No such device exists)",
                       rc=1)
    if not dev.admin_up:
        raise env.fail(f"tcpdump: {iface}: That device is not up", rc=1)
    return dev


def _writer(env: Env, path: str) -> PcapWriter:
    try:
        target = env.world.write_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return PcapWriter(target)
    except PermissionError as e:
        raise env.fail(f"tcpdump: {e}", rc=1) from None
    except OSError as e:
        raise env.fail(f"tcpdump: {path}: {e.strerror}", rc=1) from None


def run_tcpdump(argv: list[str], env: Env, background: bool) -> Capture | int:
    o = _parse(argv, env)
    dev = _device(env, o.iface)
    iface = dev.name
    try:
        pred = compile_filter(o.expr)
    except FilterSyntax:
        raise env.fail("tcpdump: syntax error in filter expression: syntax error",
                       rc=1) from None
    writer = None
    if o.path is not None:
        writer = _writer(env, o.path)
        env.err(f"tcpdump: listening on {iface}, link-type EN10MB (Ethernet), snapshot "
                "length 262144 bytes")
    else:
        env.err("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode")
        env.err(f"listening on {iface}, link-type EN10MB (Ethernet), snapshot length "
                "262144 bytes")
    cap = Capture(env, dev, pred, o.count, writer, o.link_level, o.quiet)
    cap.start()
    if background:
        return cap
    sched = env.world.sched
    limit = sched.now + FOREGROUND_LIMIT_S * S
    while not cap.done and sched.now < limit:
        nxt = sched.next_time()
        if nxt is None:
            break
        sched.run(until=min(nxt, limit))
    if not cap.done:
        env.err(f"vnetlab: tcpdump stopped: no more traffic in the emulator (virtual time "
                f"{sched.now / S:.3f} s); use -c N, or run it in the background with '&'")
        cap.stop()
    return 0
