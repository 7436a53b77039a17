"""The ``checks:`` section: ping, trace, fdb and frames checks, one spec each.

Design note: checks are run in order on one realized lab (vnetlab.tools.checks); each
names what it probes in the user's terms (``a -> 192.168.1.3``, ``host:br0``,
``NODE:IFNAME``) and what it expects.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from vnetlab.model.base import (
    IfName,
    Model,
    SpecValueError,
    parse_endpoint,
)
from vnetlab.model.netdev import VLAN_VID_MAX
from vnetlab.model.tc import check_tc_line

_ARROW = re.compile(r"^\s*(?P<src>[^\s>-][^\s]*)\s*->\s*(?P<dst>\S+)\s*$")


def parse_arrow(v: Any) -> tuple[str, ipaddress.IPv4Address]:
    """``"a -> 192.168.1.3"`` → ("a", IPv4Address)."""
    m = _ARROW.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError(f"{v!r} is not 'NODE -> IP', e.g. 'a -> 192.168.1.3'")
    try:
        return m["src"], ipaddress.IPv4Address(m["dst"])
    except ValueError:
        raise ValueError(f"{m['dst']!r} in {v!r} is not an IPv4 address") from None


def _check_arrow(v: str) -> str:
    parse_arrow(v)
    return v


#: ``NODE -> IP``, checked when the lab is loaded
Arrow = Annotated[str, AfterValidator(_check_arrow)]


def parse_ping_arrow(v: Any) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address,
                                      str | None]:
    """``"a -> 192.168.1.3"``, ``"a -> 2001:db8::2"`` or ``"a -> fe80::1%eth0"`` →
    (source node, destination, the scope's interface or None).

    A link-local IPv6 destination means nothing without the link it is on, so it needs
    ``%IFNAME`` of the source node, as ``ping -6 fe80::1%eth0`` does (without it the
    kernel picks a link on its own).
    """
    m = _ARROW.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError(f"{v!r} is not 'NODE -> IP', e.g. 'a -> 192.168.1.3' or "
                         "'a -> 2001:db8::2'")
    text, pct, scope = m["dst"].partition("%")
    if ":" not in text:
        if pct:
            raise SpecValueError(f"{m['dst']!r} in {v!r}: only an IPv6 link-local "
                                 "destination takes %IFNAME", f"write 'NODE -> {text}'")
        return m["src"], *parse_arrow(v)[1:], None
    try:
        dst = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError(f"{text!r} in {v!r} is not an IPv6 address") from None
    if dst.is_link_local and not scope:
        raise SpecValueError(
            f"{text} in {v!r} is link-local: every link has fe80::/64, so it needs the "
            "interface it is reached through", f"write '{m['src']} -> {text}%eth0' with "
            "the source node's interface on that link")
    if pct and not dst.is_link_local:
        raise SpecValueError(f"{m['dst']!r} in {v!r}: %IFNAME belongs to a link-local "
                             "destination (fe80::/10)", f"write '{m['src']} -> {text}'")
    if pct and not scope:
        raise ValueError(f"{m['dst']!r} in {v!r}: the interface after '%' is missing")
    if dst.is_multicast or dst.is_unspecified:
        raise SpecValueError(f"{text} in {v!r} is not a unicast address",
                             "ping a host's address")
    return m["src"], dst, scope or None


def _check_ping_arrow(v: str) -> str:
    parse_ping_arrow(v)
    return v


#: ``NODE -> IP`` of either family (``IP%IFNAME`` for a link-local IPv6 destination)
PingArrow = Annotated[str, AfterValidator(_check_ping_arrow)]


def _check_expected_text(v: str) -> str:
    # the runner compares by prefix/substring, and every text starts with "": an empty
    # expectation would pass whatever happens
    if not v.strip():
        raise SpecValueError(
            "the expected text is empty, so the check would pass whatever happens",
            "write the text you expect (e.g. 'delivered'), or remove the key",
        )
    return v


#: text a check expects in the output (a verdict line, an error line); never empty
ExpectedText = Annotated[str, AfterValidator(_check_expected_text)]


#: seconds, as ``30``, ``"2.5s"`` or ``"40ms"`` (``parse_duration``, defined below)
_Seconds = Annotated[
    float, BeforeValidator(lambda v: parse_duration(v)),
    WithJsonSchema({"oneOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s)?\s*$"}]}),
]


class PingCheck(Model):
    """``ping: a -> 192.168.1.3`` — send ICMP echo, expect a reply or not.

    An IPv6 destination (``a -> 2001:db8::2``, ``a -> fe80::1%eth0``) is ``ping -6``."""

    ping: PingArrow
    expect: Literal["reachable", "unreachable"] = "reachable"
    count: int = Field(1, ge=1, le=10000)
    size: int = Field(56, ge=0, le=65507)  # ping -s
    dont_fragment: bool = False  # ping -M do
    #: text ping must print among its error lines, e.g. "Frag needed and DF set (mtu = 1450)"
    error: ExpectedText | None = None
    #: ping -i: seconds between requests (the engine's default when not given)
    interval: _Seconds | None = None
    #: the most packet loss (percent of the requests sent) that still passes
    max_loss: float | None = Field(None, ge=0, le=100)
    #: the least packet loss that passes (an impaired link really loses)
    min_loss: float | None = Field(None, ge=0, le=100)
    #: bounds on the round-trip times seen: every reply within [rtt_min, rtt_max]
    rtt_min: _Seconds | None = None
    rtt_max: _Seconds | None = None

    @model_validator(mode="after")
    def _bounds(self) -> PingCheck:
        if self.interval is not None and self.interval < 0.002:
            raise SpecValueError("interval is below ping's minimum of 2ms",
                                 "write e.g. interval: 10ms")
        if self.rtt_min is not None and self.rtt_max is not None \
                and self.rtt_min > self.rtt_max:
            raise SpecValueError("rtt_min is above rtt_max", "swap them")
        if self.min_loss is not None and self.max_loss is not None \
                and self.min_loss > self.max_loss:
            raise SpecValueError("min_loss is above max_loss", "swap them")
        if self.expect == "unreachable" and (self.max_loss is not None
                                             or self.min_loss is not None
                                             or self.rtt_max is not None
                                             or self.rtt_min is not None):
            raise SpecValueError("loss and rtt bounds belong to a reachable ping",
                                 "drop them or expect: reachable")
        return self

    @property
    def src(self) -> str:
        return parse_ping_arrow(self.ping)[0]

    @property
    def dst(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return parse_ping_arrow(self.ping)[1]

    @property
    def dst4(self) -> ipaddress.IPv4Address | None:
        """The destination of an IPv4 ping, None for ``ping -6`` (for IPv4-only reasoning)."""
        dst = self.dst
        return dst if isinstance(dst, ipaddress.IPv4Address) else None

    @property
    def ifname(self) -> str | None:
        """The interface of a link-local destination's scope (``fe80::1%eth0``)."""
        return parse_ping_arrow(self.ping)[2]

    @property
    def family(self) -> str:
        """"inet" or "inet6": ``ping`` or ``ping -6``."""
        return "inet6" if self.dst.version == 6 else "inet"


class TraceCheck(Model):
    """``trace: a -> IP`` with the expected verdict line (a prefix of it is enough)."""

    trace: Arrow
    verdict: ExpectedText

    @property
    def src(self) -> str:
        return parse_arrow(self.trace)[0]

    @property
    def dst(self) -> ipaddress.IPv4Address:
        return parse_arrow(self.trace)[1]


class FdbCheck(Model):
    """``fdb: NODE:BRIDGE`` has (or lacks) ``mac`` on ``port`` after the traffic so far.

    ``mac`` is a MAC address or ``NODE:IFNAME`` (that interface's MAC).
    """

    fdb: str
    mac: str
    port: IfName | None = None
    vlan: int | None = Field(None, ge=1, le=VLAN_VID_MAX)  # the entry's VLAN (bridge fdb vlan)
    expect: Literal["present", "absent"] = "present"

    @field_validator("fdb")
    @classmethod
    def _fdb(cls, v: str) -> str:
        parse_endpoint(v)
        return v


class FrameMatch(Model):
    """Which frames a ``frames`` check counts (all given fields must match)."""

    proto: Literal["arp", "icmp", "ipv4", "udp", "any"] = "any"
    op: Literal["request", "reply", "echo-request", "echo-reply", "any"] = "any"
    src: str | None = None  # MAC or NODE:IFNAME of the Ethernet source
    dst: str | None = None  # MAC, NODE:IFNAME or "broadcast"
    vlan: int | None = Field(None, ge=0, le=4095)  # the 802.1Q VID (untagged frames: no match)
    port: int | None = Field(None, ge=1, le=65535)  # UDP destination port (proto udp)
    #: VNI of a VXLAN (or, on port 6081, Geneve) packet (proto udp)
    vni: int | None = Field(None, ge=0, le=0xFFFFFF)


class FramesCheck(Model):
    """Frames seen on ``NODE:IFNAME`` during the run so far: ``expect: seen|unseen``."""

    frames: str
    match: FrameMatch = FrameMatch()
    expect: Literal["seen", "unseen"] = "seen"

    @field_validator("frames")
    @classmethod
    def _frames(cls, v: str) -> str:
        parse_endpoint(v)
        return v


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")
#: the longest a check may wait: a kernel lab really sleeps that long
MAX_WAIT_S = 600.0


def parse_duration(v: Any) -> float:
    """``31``, ``31s``, ``2.5s`` or ``500ms`` -> seconds."""
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not a duration; write seconds like 30 or '30s'")
    if isinstance(v, (int, float)):
        secs = float(v)
    else:
        m = _DURATION.match(v) if isinstance(v, str) else None
        if m is None:
            raise ValueError(f"{v!r} is not a duration; write seconds like 30, '30s' or '500ms'")
        secs = float(m[1]) / (1000 if m[2] == "ms" else 1)
    if not 0 <= secs <= MAX_WAIT_S:
        raise ValueError(f"{v!r} is out of range: a duration is 0 to {MAX_WAIT_S:.0f} s")
    return secs


#: seconds, written as a number or ``"31s"``/``"500ms"``
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"oneOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_WAIT_S},
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s)?\s*$"}]}),
]

StpState = Literal["disabled", "listening", "learning", "forwarding", "blocking"]


class StpCheck(Model):
    """``stp: NODE:BRIDGE`` — the spanning tree as the bridge sees it, optionally ``at``
    a time since the lab came up (the check waits until then; virtual time on the
    emulator, real time on the kernel).

    ``port`` + ``state``: that port's STP state; ``root: true|false``: whether this
    bridge is the root bridge; ``root_port``: the port it reaches the root through.
    """

    stp: str
    port: IfName | None = None
    state: StpState | None = None
    root: bool | None = None
    root_port: IfName | None = None
    at: Duration | None = None

    @field_validator("stp")
    @classmethod
    def _stp(cls, v: str) -> str:
        parse_endpoint(v)
        return v

    @model_validator(mode="after")
    def _something(self) -> StpCheck:
        if (self.port is None) != (self.state is None):
            raise SpecValueError("an stp check names a port and its state together",
                                 "e.g. {stp: host:br1, port: a13, state: blocking}")
        if self.state is None and self.root is None and self.root_port is None:
            raise SpecValueError("an stp check needs port + state, root or root_port",
                                 "e.g. {stp: host:br1, root: true}")
        return self


class StormCheck(Model):
    """``storm: NODE:BRIDGE`` — a broadcast storm went through this bridge (``detected``)
    or not (``none``): the emulator's storm guard tripped there; on the kernel (labs with
    loops run only with the explicit flag) the engine measured it before breaking the loop.
    """

    storm: str
    expect: Literal["detected", "none"] = "detected"

    @field_validator("storm")
    @classmethod
    def _storm(cls, v: str) -> str:
        parse_endpoint(v)
        return v


class LinkStep(Model):
    """``link: NODE:IFNAME, set: down|up`` — a step, not a probe: take an interface down
    (or up) ``at`` a time since the lab came up (``ip link set IFNAME down``), to watch
    what the lab does about it (STP reconverging, say). Reported as passed once done."""

    link: str
    set: Literal["up", "down"]
    at: Duration | None = None

    @field_validator("link")
    @classmethod
    def _link(cls, v: str) -> str:
        parse_endpoint(v)
        return v


class TcStep(Model):
    """``tc: NODE, run: "qdisc change dev eth0 root netem loss 30%"`` — a step, not a
    probe: run a ``tc`` command line in NODE between checks (the words after ``tc``),
    to show a lab working at 0 % loss and breaking at 30 %. Passed once applied."""

    tc: str
    run: Annotated[str, AfterValidator(check_tc_line)]

    @field_validator("tc")
    @classmethod
    def _node(cls, v: str) -> str:
        if not v or ":" in v or " " in v:
            raise SpecValueError(f"{v!r} is not a node name",
                                 "tc: names the node; the device is in run: (dev eth0)")
        return v


class WaitCheck(Model):
    """``wait: 30s`` — let time pass before the next check (virtual on the emulator)."""

    wait: Duration


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)\s*$")
_RATE_UNIT = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_SIZE_UNIT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def _parse_unit(v: Any, units: dict[str, int], what: str, example: str) -> int:
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not {what}; write e.g. {example}")
    if isinstance(v, (int, float)):
        if v < 0:
            raise ValueError(f"{v!r} is negative: {what} is >= 0")
        return int(v)
    m = _RATE.match(v) if isinstance(v, str) else None
    if m is None:
        raise ValueError(f"{v!r} is not {what}; write e.g. {example}")
    return int(float(m[1]) * units[m[2].lower()])


def parse_rate(v: Any) -> int:
    """iperf3's ``-b``: ``1G`` = 10**9 bits/s (K/M/G/T are powers of 1000, as
    iperf3's ``unit_atof_rate``)."""
    return _parse_unit(v, _RATE_UNIT, "a rate in bits/s", "'10G', '500M' or 1000000")


def parse_size(v: Any) -> int:
    """iperf3's ``-l``/``-w``: ``128K`` = 131072 bytes (powers of 1024, ``unit_atof``)."""
    return _parse_unit(v, _SIZE_UNIT, "a size in bytes", "'128K', 1448")


#: bits/s, written as a number or with iperf3's K/M/G suffixes
Rate = Annotated[int, BeforeValidator(parse_rate), WithJsonSchema({"oneOf": [
    {"type": "integer", "minimum": 0},
    {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[kKmMgGtT]?\s*$"}]})]
#: bytes, written as a number or with K/M/G suffixes (powers of 1024)
Size = Annotated[int, BeforeValidator(parse_size), WithJsonSchema({"oneOf": [
    {"type": "integer", "minimum": 0},
    {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[kKmMgGtT]?\s*$"}]})]
#: iperf3 -t: at most this long (a kernel lab really runs that long)
MAX_IPERF_TIME_S = 60.0


class IperfCheck(Model):
    """``iperf: a -> 10.0.0.2`` — an iperf3 test from node ``a`` to the address (the node
    holding it runs the server): TCP (window + ACK clock) or ``udp: true`` at ``bitrate``.
    Expectations on the receiver's rate (``min_rate``/``max_rate``, bits/s) and, for UDP,
    the loss (``max_loss``, percent). On the emulator the figures are modelled
    (``vnetlab.sim.apps.iperf``); on the kernel they are the real iperf3's."""

    iperf: Arrow
    udp: bool = False
    bitrate: Rate = 1_000_000  # iperf3 -b for UDP (its default: 1 Mbit/s)
    time: Duration = Field(1.0, gt=0, le=MAX_IPERF_TIME_S)  # iperf3 -t
    len: Size | None = Field(None, ge=16, le=65507)  # iperf3 -l (UDP datagram payload)
    window: Size | None = Field(None, ge=2048, le=1 << 30)  # iperf3 -w
    min_rate: Rate | None = None
    max_rate: Rate | None = None
    max_loss: float | None = Field(None, ge=0, le=100)

    @property
    def src(self) -> str:
        return parse_arrow(self.iperf)[0]

    @property
    def dst(self) -> ipaddress.IPv4Address:
        return parse_arrow(self.iperf)[1]

    @model_validator(mode="after")
    def _sane(self) -> IperfCheck:
        if self.max_loss is not None and not self.udp:
            raise SpecValueError("max_loss is a UDP expectation (TCP retransmits)",
                                 "add 'udp: true', or remove max_loss")
        if (self.min_rate is not None and self.max_rate is not None
                and self.min_rate > self.max_rate):
            raise SpecValueError(f"min_rate {self.min_rate} is above max_rate "
                                 f"{self.max_rate}: no result can pass",
                                 "swap them, or drop one")
        return self


_COUNTER_NAME = re.compile(r"^[A-Za-z0-9_.:\[\]-]{1,64}$")


class CounterCheck(Model):
    """``counter: NODE:IFNAME`` — a device counter after the traffic so far.

    ``name``: a ``struct rtnl_link_stats64`` field as ``/sys/class/net/IF/statistics/``
    names it (``rx_packets``, ``rx_dropped``, ``rx_missed_errors`` ...; what ``ip -s -s
    link`` prints) or one of the device's ``ethtool -S`` names (``tx_spoofed`` ...).
    ``at_least``/``at_most`` bound it (at least one of the two).
    """

    counter: str
    name: str
    at_least: int | None = Field(None, ge=0)
    at_most: int | None = Field(None, ge=0)

    @field_validator("counter")
    @classmethod
    def _counter(cls, v: str) -> str:
        parse_endpoint(v)
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _COUNTER_NAME.match(v):
            raise SpecValueError(f"{v!r} is not a counter name",
                                 "e.g. rx_dropped, rx_missed_errors or tx_spoofed")
        return v

    @model_validator(mode="after")
    def _bounded(self) -> CounterCheck:
        if self.at_least is None and self.at_most is None:
            raise SpecValueError("a counter check needs at_least or at_most (or both)",
                                 "e.g. {counter: host:eth0v1, name: rx_missed_errors, "
                                 "at_least: 1}")
        if (self.at_least is not None and self.at_most is not None
                and self.at_least > self.at_most):
            raise SpecValueError(f"at_least {self.at_least} is above at_most {self.at_most}; "
                                 "no value passes", "swap them")
        return self

    def expected(self) -> str:
        """``>= 1``, ``<= 0`` or ``1..5``."""
        lo, hi = self.at_least, self.at_most
        if lo is not None and hi is not None:
            return f"== {lo}" if lo == hi else f"{lo}..{hi}"
        return f">= {lo}" if lo is not None else f"<= {hi}"

    def accepts(self, value: int) -> bool:
        return ((self.at_least is None or value >= self.at_least)
                and (self.at_most is None or value <= self.at_most))


class InjectStep(Model):
    """``inject: NODE:IFNAME`` — a step, not a probe: a raw packet socket on the interface
    (``AF_PACKET``, as mausezahn or scapy's ``sendp`` would) sends ``count`` Ethernet
    frames ``interval`` apart.

    ``src``: the source MAC (a MAC or ``NODE:IFNAME``; default: the interface's own) — a
    forged one is the point of a spoofing test; ``dst``: a MAC, ``NODE:IFNAME`` or
    ``broadcast``; ``vlan``: add an 802.1Q tag with this VID; ``size``: the frame's length
    in bytes (without FCS). The payload is ethertype 0x88B5 (IEEE 802 local experimental),
    which no stack answers. Reported as passed once sent; ``counter`` and ``frames``
    checks after it judge what became of the frames.
    """

    inject: str
    dst: str = "broadcast"
    src: str | None = None
    count: int = Field(1, ge=1, le=100_000)
    size: int = Field(64, ge=60, le=9216)
    vlan: int | None = Field(None, ge=0, le=4095)
    interval: Duration = 0.0

    @field_validator("inject")
    @classmethod
    def _inject(cls, v: str) -> str:
        parse_endpoint(v)
        return v


def _check_kind(v: Any) -> str | None:
    keys = ("ping", "trace", "fdb", "frames", "stp", "storm", "link", "wait", "counter",
            "inject", "iperf", "tc")
    if isinstance(v, dict):
        found = [k for k in keys if k in v]
        return found[0] if len(found) == 1 else None
    for k in keys:
        if hasattr(v, k):
            return k
    return None


Check = Annotated[
    Annotated[PingCheck, Tag("ping")]
    | Annotated[TraceCheck, Tag("trace")]
    | Annotated[FdbCheck, Tag("fdb")]
    | Annotated[FramesCheck, Tag("frames")]
    | Annotated[StpCheck, Tag("stp")]
    | Annotated[StormCheck, Tag("storm")]
    | Annotated[LinkStep, Tag("link")]
    | Annotated[WaitCheck, Tag("wait")]
    | Annotated[CounterCheck, Tag("counter")]
    | Annotated[InjectStep, Tag("inject")]
    | Annotated[IperfCheck, Tag("iperf")]
    | Annotated[TcStep, Tag("tc")],
    Discriminator(
        _check_kind,
        custom_error_type="check_kind",
        custom_error_message="a check has exactly one of the keys ping, trace, fdb, frames, "
        "stp, storm, link, wait, counter, inject, iperf, tc",
    ),
]

