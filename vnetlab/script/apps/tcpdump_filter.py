"""The capture filter of ``tcpdump EXPRESSION``: a subset of pcap-filter(7).

Design note
-----------
libpcap compiles a filter to BPF over raw offsets; here a recursive-descent parser
(``expr := term (or term)*``, ``term := factor (and? factor)*``, ``factor := not factor |
( expr ) | primitive``) compiles it to a predicate over ``Frame``, the few fields a filter
looks at, decoded once per frame by ``decode``. What libpcap gets from its offsets is kept:
without ``vlan`` in the filter, L3 primitives do not match tagged frames (they read the
untagged offsets). A filter outside the subset raises ``FilterSyntax``, which tcpdump
reports as its own "syntax error in filter expression".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from vnetlab.sim.stack.addr import ip_int
from vnetlab.wire.mac import mac_to_str


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


Pred = Callable[[Frame], bool]


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
    elif etype == 0x86DD and len(frame) >= off + 40:
        # IPv6: addresses tagged above 2**128 so they never equal an IPv4 one; the proto
        # is the fixed header's next header, as libpcap's "ip6 proto" reads it (an MLD
        # report behind a hop-by-hop header is not "icmp6" to it either), or a fragment's
        f.proto = frame[off + 6]
        if f.proto == 44 and len(frame) > off + 40:  # gen_proto also looks behind a
            f.proto = frame[off + 40]  # fragment header (tcpdump -d icmp6: ldb [54])
        f.src = V6_TAG | int.from_bytes(frame[off + 8:off + 24], "big")
        f.dst = V6_TAG | int.from_bytes(frame[off + 24:off + 40], "big")
        if f.proto in (6, 17) and len(frame) >= off + 44:
            f.sport = int.from_bytes(frame[off + 40:off + 42], "big")
            f.dport = int.from_bytes(frame[off + 42:off + 44], "big")
    elif etype == 0x0806 and len(frame) >= off + 28:
        f.src = int.from_bytes(frame[off + 14:off + 18], "big")
        f.dst = int.from_bytes(frame[off + 24:off + 28], "big")
    return f


_PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "igmp": 2}
#: an IPv6 address in ``Frame.src``/``dst`` is this tag plus its 128 bits
V6_TAG = 1 << 128


class FilterSyntax(Exception):
    pass


def _either(a: Pred, b: Pred) -> Pred:
    return lambda f: a(f) or b(f)


def _both(a: Pred, b: Pred) -> Pred:
    return lambda f: a(f) and b(f)


def _broadcast(f: Frame) -> bool:
    return f.dst_mac == b"\xff" * 6


def _multicast(f: Frame) -> bool:
    return bool(f.dst_mac[0] & 1)


class _FilterParser:
    """A subset of pcap-filter(7): host, net, port, proto, arp, ip, ip6, icmp, icmp6, udp,
    tcp, vlan, ether host/src/dst, broadcast, multicast; and/or/not and parentheses."""

    def __init__(self, words: list[str]) -> None:
        toks: list[str] = []
        for w in words:
            toks.extend(w.replace("(", " ( ").replace(")", " ) ").split())
        self.t = toks
        self.i = 0
        self.uses_vlan = "vlan" in toks

    def parse(self) -> Pred:
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

    def expr(self) -> Pred:
        left = self.term()
        while self._peek() in ("or", "||"):
            self._next()
            left = _either(left, self.term())
        return left

    def term(self) -> Pred:
        left = self.factor()
        while True:
            p = self._peek()
            if p in ("and", "&&"):
                self._next()
            elif p is None or p in ("or", "||", ")"):
                return left
            left = _both(left, self.factor())

    def factor(self) -> Pred:
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
        """An IPv4 address, or an IPv6 one (tagged: ``V6_TAG``)."""
        try:
            return ip_int(v) if ":" not in v else V6_TAG | int(ipaddress.IPv6Address(v))
        except ValueError:
            raise FilterSyntax from None

    def primitive(self) -> Pred:
        """One primitive: an optional direction (``src``/``dst``), then a qualifier."""
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
            return self._ether(d)
        if w == "broadcast":
            return _broadcast
        if w == "multicast":
            return _multicast
        if w in ("host", "net", "port", "portrange") or (d and (w[0].isdigit() or ":" in w)):
            return self._directed(w, d)
        if d is not None:
            raise FilterSyntax
        return self._protocol(w)

    def _ether(self, d: str | None) -> Pred:
        """After ``ether``: ``[src|dst] host MAC``, ``broadcast`` or ``multicast``."""
        w = self._next()
        if w in ("src", "dst"):
            d = w
            w = self._next()
        if w == "host":
            mac = self._next().lower()
            return lambda f: (d != "dst" and mac_to_str(f.src_mac) == mac) or (
                d != "src" and mac_to_str(f.dst_mac) == mac)
        if w == "broadcast":
            return _broadcast
        if w == "multicast":
            return _multicast
        if w == "proto":
            self._next()
        raise FilterSyntax

    def _directed(self, w: str, d: str | None) -> Pred:
        """``[src|dst] host IP``, ``net CIDR``, ``port N``, ``portrange A-B`` (or a bare IP
        after a direction)."""
        if w == "host" or w[0].isdigit() or ":" in w:
            ip = self._ipv4(self._next() if w == "host" else w)
            return self._l3(lambda f: (d != "dst" and f.src == ip) or (
                d != "src" and f.dst == ip))
        if w == "net":
            try:
                text = self._next()
                net6 = ":" in text
                net: ipaddress.IPv4Network | ipaddress.IPv6Network = (
                    ipaddress.IPv6Network(text, strict=False) if net6
                    else ipaddress.IPv4Network(text, strict=False))
            except ValueError:
                raise FilterSyntax from None
            tag = V6_TAG if net6 else 0
            lo, m = tag | int(net.network_address), tag | int(net.netmask)

            def in_net(a: int | None) -> bool:
                return a is not None and (a & V6_TAG) == tag and a & m == lo

            return self._l3(lambda f: (d != "dst" and in_net(f.src))
                            or (d != "src" and in_net(f.dst)))
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

    def _protocol(self, w: str) -> Pred:
        """``arp``, ``ip [proto P]``, ``proto P``, ``icmp``/``tcp``/``udp``/``igmp``,
        ``vlan [VID]``, ``ip6``, or a bare IP address."""
        if w == "arp":
            return self._l3(lambda f: f.etype == 0x0806)
        if w == "ip":
            if self._peek() == "proto":
                self._next()
                return self._proto(self._next())
            return self._l3(lambda f: f.etype == 0x0800)
        if w == "proto":
            return self._proto(self._next())
        if w in _PROTOS:  # "udp port 4789" is "udp and port 4789": the term joins them
            p = _PROTOS[w]
            return self._l3(lambda f: f.etype == 0x0800 and f.proto == p)
        if w == "vlan":
            nxt = self._peek()
            if nxt is not None and nxt.isdigit():
                self._next()
                vid = int(nxt)
                return lambda f: f.vid == vid
            return lambda f: f.vid is not None
        if w in ("ip6", "ipv6"):
            return self._l3(lambda f: f.etype == 0x86DD)
        if w == "icmp6":
            return self._l3(lambda f: f.etype == 0x86DD and f.proto == 58)
        if w[0].isdigit() or ":" in w:
            ip = self._ipv4(w)
            return self._l3(lambda f: ip in (f.src, f.dst))
        raise FilterSyntax

    def _proto(self, v: str) -> Pred:
        p = _PROTOS.get(v.lstrip("\\"), int(v) if v.isdigit() else -1)
        if p < 0:
            raise FilterSyntax
        return self._l3(lambda f: f.etype == 0x0800 and f.proto == p)

    def _l3(self, pred: Pred) -> Pred:
        """Without ``vlan`` in the filter, tagged frames do not match L3 primitives (pcap
        looks at the untagged offsets), as with real tcpdump."""
        if self.uses_vlan:
            return pred
        return lambda f: f.vid is None and pred(f)


def compile_filter(words: list[str]) -> Pred:
    return _FilterParser(words).parse()
