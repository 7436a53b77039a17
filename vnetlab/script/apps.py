"""Apps a script runs inside an emulated namespace: ping, arping, tcpdump, sleep, sysctl.

Design note
-----------
Everything runs on the emulator's virtual clock: ``ping -c 3`` advances it by about two
seconds, ``sleep 5`` by five (FDB ageing and neighbour timers fire meanwhile), and a
foreground ``tcpdump`` without ``-c`` stops when the lab has no traffic left (there is no
Ctrl-C in a script) and says so. Output follows the real tools' layout (iputils ``ping`` and
``arping``, ``tcpdump -n``) with virtual times; ``ping`` does not print ``ttl=`` because the
emulator's ping socket does not see the reply's TTL. A background ``tcpdump ... &`` prints
its lines as frames pass, interleaved with what the script does next, and reports its
counts when the script ends, on ``kill`` or ``wait`` (after ``-c`` packets).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any

from vnetlab.model.spec import KNOWN_SYSCTLS
from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.sim.apps.ping import Ping
from vnetlab.sim.clock import MS, S
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_int, ip_str
from vnetlab.sim.stack.arp import arp_send_request
from vnetlab.wire.arp import ARPOP_REPLY, ArpPacket
from vnetlab.wire.describe import _arp, _ipv4
from vnetlab.wire.mac import mac_to_str
from vnetlab.wire.pcap import PcapWriter

# == ping ==================================================================================


class _ScriptPing(Ping):
    """iputils ping: prints each reply or error the moment it arrives (virtual time)."""

    def __init__(self, *args: Any, emit: Any, emit_err: Any, quiet: bool, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.emit = emit
        self.emit_err = emit_err
        self.quiet = quiet
        self.size_ = kw["size"]
        self.err_count = 0

    def _on_icmp(self, src: Any, dst: Any, msg: Any, t: Any, ttl: int = 64) -> None:
        before, nerr = len(self.rtts), len(self.errors)
        super()._on_icmp(src, dst, msg, t, ttl)
        if self.quiet:
            return
        if len(self.rtts) > before:
            seq = msg.seq
            rtt = self.rtts[seq] / MS
            self.emit(f"{self.size_ + 8} bytes from {src}: icmp_seq={seq} ttl={ttl} "
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


def _seconds(env: Env, v: str, what: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise env.fail(f"ping: invalid argument: '{v}'", rc=2) from None
    if x < 0 or math.isnan(x):
        raise env.fail(f"ping: bad {what}: {v}", rc=2)
    return x


def run_ping(argv: list[str], env: Env) -> int:
    count, size, interval, timeout, deadline = None, 56, 1.0, None, None
    pmtu, quiet, iface = "want", False, None
    target = None
    i = 0
    flags_with_value = {"-c", "-s", "-i", "-W", "-w", "-M", "-I", "-t", "-Q", "-l", "-p"}
    while i < len(argv):
        w = argv[i]
        if w in flags_with_value or (len(w) > 2 and w[:2] in flags_with_value):
            opt, v = (w, argv[i + 1] if i + 1 < len(argv) else None) if len(w) == 2 else (
                w[:2], w[2:])
            if v is None:
                raise env.fail(f"ping: option requires an argument -- '{opt[1]}'", rc=2)
            i += 2 if len(w) == 2 else 1
            if opt == "-c":
                if not v.isdigit() or int(v) < 1:
                    raise env.fail(f"ping: invalid argument: '{v}': out of range: 1 <= value "
                                   "<= 9223372036854775807", rc=1)
                count = int(v)
            elif opt == "-s":
                if not v.isdigit() or int(v) > 65507:
                    raise env.fail(f"ping: invalid argument: '{v}': out of range: 0 <= value "
                                   "<= 2147483647", rc=1)
                size = int(v)
            elif opt == "-i":
                interval = _seconds(env, v, "timing interval")
            elif opt == "-W":
                timeout = _seconds(env, v, "linger time")
            elif opt == "-w":
                deadline = _seconds(env, v, "wait time")
            elif opt == "-M":
                if v not in ("do", "dont", "want", "probe"):
                    raise env.fail(f"ping: invalid -M argument: {v}", rc=2)
                pmtu = "do" if v == "probe" else v
            elif opt == "-I":
                iface = v
            else:
                env.err(f"vnetlab: ping option {opt} is accepted but not modelled")
            continue
        if w in ("-q",):
            quiet = True
        elif w in ("-n", "-4", "-D", "-O", "-v", "-U", "-A", "-a"):
            pass
        elif w in ("-6", "-f", "-b", "-R"):
            raise NotSupportedYet(f"ping {w}", lineno=env.lineno)
        elif w.startswith("-"):
            raise env.fail(f"ping: invalid option -- '{w[1:]}'", rc=2)
        else:
            target = w
        i += 1
    if target is None:
        raise env.fail("ping: usage error: Destination address required", rc=1)
    try:
        dst = ipaddress.IPv4Address(target)
    except ValueError:
        raise env.fail(f"ping: {target}: Name or service not known", rc=2) from None
    ns = env.ns
    src_text = ""
    if iface is not None:
        try:
            src_ip = ipaddress.IPv4Address(iface)
            if not ns.stack.is_local(int(src_ip)):
                raise env.fail("ping: bind: Cannot assign requested address", rc=2)
            src_text = f"from {src_ip} : "
        except ValueError:
            dev = ns.devices.get(iface)
            if dev is None:
                raise env.fail(f"ping: SO_BINDTODEVICE {iface}: No such device",
                               rc=2) from None
            sel = ns.stack.select_addr(dev, int(dst))
            src_text = f"from {ip_str(sel) if sel else '0.0.0.0'} {iface}: "
    if count is None:
        if deadline is None:
            count = 3
            env.err("vnetlab: ping without -c would run until interrupted; sending 3 "
                    "(use -c N)")
        else:
            count = max(1, int(deadline / interval) + 1)
    wait = timeout if timeout is not None else (10.0 if count > 1 else 10.0)
    try:
        ns.stack.route_output(int(dst))
    except OSError:
        raise env.fail("ping: connect: Network is unreachable", rc=2) from None
    env.out(f"PING {dst} ({dst}) {src_text}{size}({size + 28}) bytes of data.")
    world = env.world
    sched = world.sched
    world.engine._next_ident = (world.engine._next_ident + 1) & 0xFFFF
    app = _ScriptPing(
        ns, int(dst), count=count, size=size, interval=int(interval * S),
        timeout=int(wait * S), pmtudisc=pmtu, ident=world.engine._next_ident,
        emit=env.out, emit_err=env.err, quiet=quiet)
    start = sched.now
    app.start()
    limit = start + int((count - 1) * interval * S) + int(wait * S) + S
    if deadline is not None:
        limit = min(limit, start + int(deadline * S))
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
    tx, rx = app.transmitted, app.received
    loss = 0 if tx == 0 else round(100 * (tx - rx) / tx)
    elapsed = int((sched.now - start) / MS) if rx < tx else int((tx - 1) * interval * 1000)
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
    return 0 if rx else 1


# == arping ================================================================================
def run_arping(argv: list[str], env: Env) -> int:
    count, iface, target, quiet, first = 1, None, None, False, False
    src = None
    i = 0
    while i < len(argv):
        w = argv[i]
        if w in ("-c", "-I", "-w", "-W", "-s", "-i") and i + 1 < len(argv):
            v = argv[i + 1]
            if w == "-c":
                if not v.isdigit():
                    raise env.fail(f"arping: invalid argument: '{v}'", rc=2)
                count = int(v)
            elif w == "-I":
                iface = v
            elif w == "-s":
                src = v
            i += 2
            continue
        if w == "-q":
            quiet = True
        elif w == "-f":
            first = True
        elif w in ("-D", "-U", "-A"):
            raise NotSupportedYet(f"arping {w}", lineno=env.lineno)
        elif w in ("-b", "-0"):
            pass
        elif w.startswith("-"):
            raise env.fail(f"arping: invalid option -- '{w.lstrip('-')}'", rc=2)
        else:
            target = w
        i += 1
    if target is None:
        raise env.fail("arping: usage error: no destination address", rc=2)
    try:
        tip = ip_int(target)
    except ValueError:
        raise env.fail(f"arping: unknown host {target}", rc=2) from None
    ns = env.ns
    stack = ns.stack
    if iface is None:
        try:
            dev = stack.route_output(tip).dev
        except OSError:
            raise env.fail("arping: Suitable device could not be determined. Please, use "
                           "option -I.", rc=2) from None
    else:
        found = ns.devices.get(iface)
        if found is None:
            raise env.fail(f"arping: Device {iface} not available.", rc=2)
        dev = found
    if not dev.admin_up:
        raise env.fail(f"arping: Interface \"{dev.name}\" is down", rc=2)
    sip = ip_int(src) if src else stack.select_addr(dev, tip)
    if sip is None:
        raise env.fail("arping: no source address in not-DAD mode", rc=2)
    sched = env.world.sched
    replies: list[tuple[int, bytes]] = []
    sent_at: list[int] = []

    def tap(now: int, frame: bytes) -> None:
        if frame[12:14] != b"\x08\x06" or frame[0:6] != dev.mac:
            return
        try:
            arp = ArpPacket.parse(frame[14:])
        except Exception:  # noqa: BLE001 - not a frame for us
            return
        if arp.op == ARPOP_REPLY and int(arp.spa) == tip and int(arp.tpa) == sip:
            replies.append((now, arp.sha))
            if not quiet:
                rtt = (now - sent_at[-1]) / MS if sent_at else 0.0
                env.out(f"Unicast reply from {target} [{mac_to_str(arp.sha).upper()}]  "
                        f"{rtt:.3f}ms")

    env.out(f"ARPING {target} from {ip_str(sip)} {dev.name}")
    dev.add_tap(tap)
    try:
        sent = 0
        for n in range(count):
            sent_at.append(sched.now)
            arp_send_request(dev, sip, tip, None, None)
            sent += 1
            sched.run(until=sched.now + (S if n + 1 < count else S))
            if first and replies:
                break
    finally:
        dev.remove_tap(tap)
    env.out(f"Sent {sent} probes ({sent} broadcast(s))")
    env.out(f"Received {len(replies)} response(s)")
    return 0 if replies else 1


# == tcpdump ===============================================================================
@dataclass
class Frame:
    """The fields a capture filter looks at."""

    src_mac: bytes
    dst_mac: bytes
    vid: int | None
    etype: int
    src: int | None = None
    dst: int | None = None
    proto: int | None = None
    sport: int | None = None
    dport: int | None = None


def decode(frame: bytes) -> Frame:
    etype = int.from_bytes(frame[12:14], "big")
    off = 14
    vid = None
    if etype == 0x8100 and len(frame) >= 18:
        vid = int.from_bytes(frame[14:16], "big") & 0x0FFF
        etype = int.from_bytes(frame[16:18], "big")
        off = 18
    f = Frame(frame[6:12], frame[0:6], vid, etype)
    if etype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        f.proto = frame[off + 9]
        f.src = int.from_bytes(frame[off + 12:off + 16], "big")
        f.dst = int.from_bytes(frame[off + 16:off + 20], "big")
        frag = int.from_bytes(frame[off + 6:off + 8], "big") & 0x1FFF
        if f.proto in (6, 17) and not frag and len(frame) >= off + ihl + 4:
            f.sport = int.from_bytes(frame[off + ihl:off + ihl + 2], "big")
            f.dport = int.from_bytes(frame[off + ihl + 2:off + ihl + 4], "big")
    elif etype == 0x0806 and len(frame) >= off + 28:
        f.src = int.from_bytes(frame[off + 14:off + 18], "big")
        f.dst = int.from_bytes(frame[off + 24:off + 28], "big")
    return f


_PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "igmp": 2}


class FilterSyntax(Exception):
    pass


class _FilterParser:
    """A subset of pcap-filter(7): host, net, port, proto, arp, ip, icmp, udp, tcp, vlan,
    ether host/src/dst, broadcast, multicast; and/or/not and parentheses."""

    def __init__(self, words: list[str]) -> None:
        toks: list[str] = []
        for w in words:
            toks.extend(w.replace("(", " ( ").replace(")", " ) ").split())
        self.t = toks
        self.i = 0
        self.uses_vlan = "vlan" in toks

    def parse(self) -> Any:
        if not self.t:
            return lambda f: True
        e = self.expr()
        if self.i != len(self.t):
            raise FilterSyntax
        return e

    def _peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def _next(self) -> str:
        if self.i >= len(self.t):
            raise FilterSyntax
        w = self.t[self.i]
        self.i += 1
        return w

    def expr(self) -> Any:
        left = self.term()
        while self._peek() in ("or", "||"):
            self._next()
            right = self.term()
            left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
        return left

    def term(self) -> Any:
        left = self.factor()
        while True:
            p = self._peek()
            if p in ("and", "&&"):
                self._next()
            elif p is None or p in ("or", "||", ")"):
                return left
            right = self.factor()
            left = (lambda a, b: lambda f: a(f) and b(f))(left, right)

    def factor(self) -> Any:
        w = self._peek()
        if w in ("not", "!"):
            self._next()
            inner = self.factor()
            return lambda f: not inner(f)
        if w == "(":
            self._next()
            e = self.expr()
            if self._next() != ")":
                raise FilterSyntax
            return e
        return self.primitive()

    def _ipv4(self, v: str) -> int:
        try:
            return ip_int(v)
        except ValueError:
            raise FilterSyntax from None

    def primitive(self) -> Any:  # noqa: C901 - one branch per keyword, like the grammar
        w = self._next()
        d = None
        if w in ("src", "dst"):
            d = w
            w = self._next()
            if w in ("or", "and"):  # "src or dst host X"
                self._next()
                d = None
                w = self._next()
        if w == "ether":
            w2 = self._next()
            if w2 in ("src", "dst"):
                d = w2
                w2 = self._next()
            if w2 == "host":
                mac = self._next().lower()
                return lambda f: (d != "dst" and mac_to_str(f.src_mac) == mac) or (
                    d != "src" and mac_to_str(f.dst_mac) == mac)
            if w2 in ("broadcast", "multicast"):
                w = w2
            elif w2 in ("proto",):
                self._next()
                raise FilterSyntax
            else:
                raise FilterSyntax
        if w == "broadcast":
            return lambda f: f.dst_mac == b"\xff" * 6
        if w == "multicast":
            return lambda f: bool(f.dst_mac[0] & 1)
        if w == "host" or (d and w[0].isdigit()):
            ip = self._ipv4(self._next() if w == "host" else w)
            return self._l3(lambda f: (d != "dst" and f.src == ip) or (
                d != "src" and f.dst == ip))
        if w == "net":
            try:
                net = ipaddress.IPv4Network(self._next(), strict=False)
            except ValueError:
                raise FilterSyntax from None
            lo, m = int(net.network_address), int(net.netmask)
            return self._l3(lambda f: (d != "dst" and f.src is not None and f.src & m == lo)
                            or (d != "src" and f.dst is not None and f.dst & m == lo))
        if w in ("port", "portrange"):
            v = self._next()
            if w == "portrange" or "-" in v:
                a, _, b = v.partition("-")
                lo_p, hi_p = int(a), int(b or a)
            else:
                if not v.isdigit():
                    raise FilterSyntax
                lo_p = hi_p = int(v)
            return self._l3(lambda f: (d != "dst" and f.sport is not None
                                       and lo_p <= f.sport <= hi_p)
                            or (d != "src" and f.dport is not None and lo_p <= f.dport <= hi_p))
        if d is not None:
            raise FilterSyntax
        if w == "arp":
            return self._l3(lambda f: f.etype == 0x0806)
        if w == "ip":
            if self._peek() == "proto":
                self._next()
                return self._proto(self._next())
            return self._l3(lambda f: f.etype == 0x0800)
        if w == "proto":
            return self._proto(self._next())
        if w in _PROTOS:
            if self._peek() in ("src", "dst", "host", "port", "net"):
                pass  # "udp port 4789": udp and port 4789
            p = _PROTOS[w]
            return self._l3(lambda f: f.etype == 0x0800 and f.proto == p)
        if w == "vlan":
            nxt = self._peek()
            if nxt is not None and nxt.isdigit():
                self._next()
                vid = int(nxt)
                return lambda f: f.vid == vid
            return lambda f: f.vid is not None
        if w in ("ip6", "icmp6", "ipv6"):
            return lambda f: f.etype == 0x86DD
        if w[0].isdigit():
            ip = self._ipv4(w)
            return self._l3(lambda f: ip in (f.src, f.dst))
        raise FilterSyntax

    def _proto(self, v: str) -> Any:
        p = _PROTOS.get(v.lstrip("\\"), int(v) if v.isdigit() else -1)
        if p < 0:
            raise FilterSyntax
        return self._l3(lambda f: f.etype == 0x0800 and f.proto == p)

    def _l3(self, pred: Any) -> Any:
        """Without ``vlan`` in the filter, tagged frames do not match L3 primitives (pcap
        looks at the untagged offsets), as with real tcpdump."""
        if self.uses_vlan:
            return pred
        return lambda f: f.vid is None and pred(f)


def compile_filter(words: list[str]) -> Any:
    return _FilterParser(words).parse()


def _ts(ns: int) -> str:
    us = ns // 1000
    sec, us = divmod(us, 1_000_000)
    m, s = divmod(sec, 60)
    h, m = divmod(m, 60)
    return f"{h % 24:02d}:{m:02d}:{s:02d}.{us:06d}"


_ETYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x8100: "802.1Q", 0x86DD: "IPv6"}


def tcpdump_line(now: int, frame: bytes, link_level: bool) -> str:
    """One line as ``tcpdump -n [-e]`` prints it."""
    etype = int.from_bytes(frame[12:14], "big")
    payload = frame[14:]
    head = ""
    if link_level:
        head = (f"{mac_to_str(frame[6:12])} > {mac_to_str(frame[0:6])}, ethertype "
                f"{_ETYPES.get(etype, hex(etype))} (0x{etype:04x}), length {len(frame)}: ")
    vlan = ""
    if etype == 0x8100 and len(frame) >= 18:
        tci = int.from_bytes(frame[14:16], "big")
        etype = int.from_bytes(frame[16:18], "big")
        payload = frame[18:]
        vlan = (f"vlan {tci & 0xFFF}, p {tci >> 13}, ethertype "
                f"{_ETYPES.get(etype, hex(etype))} (0x{etype:04x}), ")
    try:
        if etype == 0x0806:
            body = ("" if link_level and not vlan else "ARP, ") + _arp(payload)
        elif etype == 0x0800:
            body = ("" if link_level and not vlan else "IP ") + _ipv4(payload)
        else:
            body = f"ethertype 0x{etype:04x}, length {len(payload)}"
    except Exception as e:  # noqa: BLE001 - a capture line never stops the script
        body = f"[|malformed: {e}]"
    return f"{_ts(now)} {head}{vlan}{body}"


@dataclass
class Capture:
    """One running tcpdump (foreground or ``&``)."""

    env: Env
    dev: NetDevice
    pred: Any
    count: int | None
    writer: PcapWriter | None
    link_level: bool
    quiet: bool
    seen: int = 0
    done: bool = False
    job: int = 0
    tap: Any = field(default=None)

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
        from vnetlab.sim.devices.bridge import BridgeDevice

        if isinstance(self.dev, BridgeDevice):
            self.dev.promisc += 1

    def stop(self) -> None:
        if self.done:
            return
        self.done = True
        self.dev.remove_tap(self.tap)
        from vnetlab.sim.devices.bridge import BridgeDevice

        if isinstance(self.dev, BridgeDevice):
            self.dev.promisc -= 1
        if self.writer is not None:
            self.writer.close()
        self.env.err(f"{self.seen} packets captured")
        self.env.err(f"{self.seen} packets received by filter")
        self.env.err("0 packets dropped by kernel")


FOREGROUND_LIMIT_S = 60


def run_tcpdump(argv: list[str], env: Env, background: bool) -> Capture | int:
    iface, count, path, link_level, quiet = None, None, None, False, False
    expr: list[str] = []
    i = 0
    while i < len(argv):
        w = argv[i]
        if w in ("-i", "-c", "-w", "-s", "-C", "-G", "-W", "-y", "-B", "-Q", "-F", "-r",
                 "-z", "-Z", "-T", "-E", "-j", "-M"):
            if i + 1 >= len(argv):
                raise env.fail(f"tcpdump: option requires an argument -- '{w[1]}'", rc=1)
            v = argv[i + 1]
            if w == "-i":
                iface = v
            elif w == "-c":
                if not v.isdigit() or int(v) < 1:
                    raise env.fail(f"tcpdump: invalid packet count {v}", rc=1)
                count = int(v)
            elif w == "-w":
                path = v
            elif w == "-r":
                raise NotSupportedYet("tcpdump -r", "read the pcap with tshark or "
                                      "Wireshark", lineno=env.lineno)
            i += 2
            continue
        if w.startswith("-") and len(w) > 1 and not expr:
            letters = w[1:]
            if letters.startswith("i") and len(letters) > 1:
                iface = letters[1:]
            elif letters.startswith("c") and letters[1:].isdigit():
                count = int(letters[1:])
            else:
                for ch in letters:
                    if ch == "e":
                        link_level = True
                    elif ch == "q":
                        quiet = False
                    elif ch in "nvlUStKNpAXx#":
                        pass
                    else:
                        raise env.fail(f"tcpdump: invalid option -- '{ch}'", rc=1)
        else:
            expr.append(w)
        i += 1
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
    try:
        pred = compile_filter(expr)
    except FilterSyntax:
        raise env.fail("tcpdump: syntax error in filter expression: syntax error",
                       rc=1) from None
    writer = None
    if path is not None:
        try:
            target = env.world.write_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = PcapWriter(target)
        except PermissionError as e:
            raise env.fail(f"tcpdump: {e}", rc=1) from None
        except OSError as e:
            raise env.fail(f"tcpdump: {path}: {e.strerror}", rc=1) from None
        env.err(f"tcpdump: listening on {iface}, link-type EN10MB (Ethernet), snapshot "
                "length 262144 bytes")
    else:
        env.err("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode")
        env.err(f"listening on {iface}, link-type EN10MB (Ethernet), snapshot length "
                "262144 bytes")
    cap = Capture(env, dev, pred, count, writer, link_level, quiet)
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


# == sleep, sysctl =========================================================================
def run_sleep(argv: list[str], env: Env) -> int:
    if not argv:
        raise env.fail("sleep: missing operand", rc=1)
    total = 0.0
    for v in argv:
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(v[-1:])
        num = v[:-1] if mult else v
        try:
            total += float(num) * (mult or 1)
        except ValueError:
            raise env.fail(f"sleep: invalid time interval '{v}'", rc=1) from None
    sched = env.world.sched
    sched.run(until=sched.now + int(total * S))
    return 0


def sysctl_get(env: Env, key: str) -> str:
    ns = env.ns
    if key in KNOWN_SYSCTLS:
        return str(int(ns.stack.forwarding))
    m = key.split(".")
    if len(m) == 5 and m[:3] == ["net", "ipv4", "conf"] and m[4] == "forwarding":
        return str(int(ns.stack.forwarding))
    stored = env.world.sysctls.get(env.ns_name, {})
    if key in stored:
        return stored[key]
    raise env.fail(f'sysctl: cannot stat /proc/sys/{key.replace(".", "/")}: No such file or '
                   "directory", rc=255)


def sysctl_set(env: Env, key: str, value: str) -> None:
    ns = env.ns
    m = key.split(".")
    is_fwd = key in KNOWN_SYSCTLS or (
        len(m) == 5 and m[:3] == ["net", "ipv4", "conf"] and m[4] == "forwarding")
    if is_fwd:
        if value.strip() not in ("0", "1"):
            raise env.fail(f'sysctl: setting key "{key}": Invalid argument', rc=255)
        if len(m) == 5 and m[3] not in ("all", "default"):
            env.err(f"vnetlab: {key}: the emulator forwards per namespace, not per device; "
                    "set for the whole namespace")
        ns.set_forwarding(value.strip() == "1")
        return
    env.world.sysctls.setdefault(env.ns_name, {})[key] = value.strip()
    env.err(f"vnetlab: sysctl {key} is not modelled by the emulator (value stored, no effect)")


def run_sysctl(argv: list[str], env: Env) -> int:
    write = quiet = values_only = False
    items = []
    for w in argv:
        if w.startswith("-") and len(w) > 1:
            for ch in w[1:]:
                if ch == "w":
                    write = True
                elif ch == "q":
                    quiet = True
                elif ch == "n":
                    values_only = True
                elif ch in "e":
                    pass
                elif ch in "ap":
                    raise NotSupportedYet(f"sysctl -{ch}", lineno=env.lineno)
                else:
                    raise env.fail(f"sysctl: invalid option -- '{ch}'", rc=255)
        else:
            items.append(w)
    rc = 0
    for it in items:
        key, eq, value = it.partition("=")
        key = key.strip().replace("/", ".")
        if eq:
            sysctl_set(env, key, value)
            if not quiet:
                env.out(value.strip() if values_only else f"{key} = {value.strip()}")
        else:
            if write:
                raise env.fail(f'sysctl: "{key}" must be of the form name=value', rc=255)
            try:
                v = sysctl_get(env, key)
            except ScriptError as e:
                env.err(e.message)
                rc = 255
                continue
            env.out(v if values_only else f"{key} = {v}")
    return rc
