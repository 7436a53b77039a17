"""``SimEngine``: the emulator behind the engine protocol, plus tracing.

Design note
-----------
Apps run on virtual time: ``ping`` schedules its requests and the engine runs the
scheduler until the app reports done (bounded by a virtual-time limit, never the wall
clock). Checks run one after another on the same lab, so virtual time, neighbour tables
and FDBs carry over between them exactly as on a real host. A lab's ``setup:`` script is
run by the ``setup_runner`` the engine was made with (the script layer sits above the
emulator and is never imported from here); without one, such a lab is refused before
anything is built. ``trace`` sends one echo
request with tracing on and returns the ``Trace`` tree and verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

from vnetlab.engine import EngineError, IperfResult, PingResult, UnsupportedError
from vnetlab.model.loops import find_loops
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import LabState
from vnetlab.sim.apps.iperf import Iperf, IperfError
from vnetlab.sim.apps.ping import Ping, Ping6
from vnetlab.sim.apps.userspace import SimContext, start_programs
from vnetlab.sim.build import build, check_supported
from vnetlab.sim.clock import S, Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.bridge.storm import storm_activity, storm_summary
from vnetlab.sim.netdev import NetDevice, Tap
from vnetlab.sim.observe import observe_lab
from vnetlab.sim.settle import settle_ipv6
from vnetlab.sim.stack.addr import ip_int
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import TRACE_MAX_EVENTS, Trace
from vnetlab.tuntap.api import ProgramError
from vnetlab.wire.pcap import LINKTYPE_RAW, PcapWriter

#: what runs a lab's ``setup:`` script on a realized engine (``vnetlab.script.setup.run_setup``)
SetupRunner = Callable[["SimEngine", LabSpec], None]

#: how long a trace waits past ping's own timeout for the probe to be delivered or dropped
TRACE_SETTLE_NS = 5 * S
#: virtual time a freshly built lab is left alone (covers the IGMP report retransmission)
SETTLE_NS = 1 * S


class SimEngine:
    name = "sim"

    def __init__(self, *, setup_runner: SetupRunner | None = None) -> None:
        self.sched = Scheduler()
        #: runs a lab's ``setup:`` script once the lab is built and settled; the script
        #: interpreter sits above the emulator, so whoever builds the engine passes it in
        #: (``vnetlab.api.make_engine``, the script ``World``)
        self.setup_runner = setup_runner
        self.lab: LabSpec | None = None
        self.namespaces: dict[str, Namespace] = {}
        self._captures: list[tuple[NetDevice, PcapWriter, Tap]] = []
        self._next_ident = 0x1000
        #: running TUN/TAP programs by "node:ifname" (their ``counters``, ``messages``)
        self.programs: dict[str, SimContext] = {}

    # -- protocol -------------------------------------------------------------------------
    def realize(self, lab: LabSpec) -> None:
        check_supported(lab)
        if lab.setup and self.setup_runner is None:
            raise UnsupportedError(
                "this lab has a setup: script and this engine was made without a runner "
                "for it", hint="make the engine with vnetlab.make_engine('sim')")
        self.namespaces = build(lab, self.sched)
        self.lab = lab
        try:  # TUN/TAP programs (vnetlab.tuntap): callbacks on virtual time from now on
            self.programs = start_programs(lab, self.namespaces)
        except ProgramError as e:
            self.namespaces = {}
            raise EngineError(str(e), hint="a program is 'package.module:function' taking "
                              "one vnetlab.tuntap.Context") from None
        # settle: what bring-up itself sends (the bridges' IGMP joins of 224.0.0.106) is
        # over before the lab's own traffic starts, as it is by the time a person types
        self.sched.run(until=self.sched.now + SETTLE_NS)
        # and IPv6 autoconfiguration: DAD over, the initial MLD reports out (<= 3 s virtual)
        settle_ipv6(self.sched, self.namespaces.values())
        if lab.setup and self.setup_runner is not None:
            self.setup_runner(self, lab)

    def ns(self, node: str) -> Namespace:
        try:
            return self.namespaces[node]
        except KeyError:
            raise EngineError(
                f"no node {node!r} in this lab", hint=f"nodes: {', '.join(self.namespaces)}"
            ) from None

    def dev(self, node: str, ifname: str) -> NetDevice:
        ns = self.ns(node)
        try:
            return ns.devices[ifname]
        except KeyError:
            raise EngineError(
                f'Cannot find device "{ifname}" in node {node}',
                hint=f"interfaces of {node}: {', '.join(ns.devices)}",
            ) from None

    def ping(
        self,
        node: str,
        dst: IPv4Address | IPv6Address,
        *,
        count: int = 1,
        size: int = 56,
        dont_fragment: bool = False,
        timeout_s: float = 1.0,
        trace: Trace | None = None,
        interval_s: float | None = None,
        ifname: str | None = None,
    ) -> PingResult:
        """``ping`` (or ``ping -6`` for an IPv6 DST; IFNAME: the ``%dev`` scope a
        link-local destination needs)."""
        ns = self.ns(node)
        interval = S if interval_s is None else int(interval_s * S)
        self._next_ident = (self._next_ident + 1) & 0xFFFF
        app: Ping
        if isinstance(dst, IPv6Address):
            app = Ping6(
                ns,
                int(dst),
                oif=ifname,
                count=count,
                size=size,
                timeout=int(timeout_s * S),
                interval=interval,
                pmtudisc="do" if dont_fragment else "want",
                ident=self._next_ident,
                trace=trace.root if trace is not None else None,
            )
        else:
            app = Ping(
                ns,
                ip_int(dst),
                count=count,
                size=size,
                timeout=int(timeout_s * S),
                interval=interval,
                pmtudisc="do" if dont_fragment else "want",
                ident=self._next_ident,
                trace=trace.root if trace is not None else None,
            )
        start = self.sched.now
        storming = storm_activity(self.bridges())
        app.start()
        limit = start + count * interval + int(timeout_s * S) + S
        while not app.finished and self.sched.now < limit:
            nxt = self.sched.next_time()
            if nxt is None:
                break
            self.sched.run(until=min(nxt, limit))
        # let in-flight frames of this exchange land before the next check
        self.sched.run(until=self.sched.now + 10_000_000)
        errors = list(app.errors)
        if storm_activity(self.bridges()) != storming:
            line = self.storm_summary()
            if line is not None:
                errors.append(line)
        return PingResult(
            src=node,
            dst=dst,
            transmitted=app.transmitted,
            received=app.received,
            rtts_ns=tuple(app.rtts[s] for s in sorted(app.rtts)),
            ttls=tuple(app.ttls[s] for s in sorted(app.ttls)),
            errors=tuple(errors),
        )

    def iperf(self, node: str, dst: IPv4Address, *, udp: bool = False,
              bitrate: int | None = None, time_s: float = 1.0, length: int | None = None,
              window: int | None = None) -> IperfResult:
        """The iperf-like app from NODE to DST (``vnetlab.sim.apps.iperf``): modelled
        figures on virtual time, bounded in wall time."""
        client = self.ns(node)
        server = next((ns for ns in self.namespaces.values()
                       if ip_int(dst) in ns.local_ips), None)
        if server is None:
            raise EngineError(f"no node of this lab holds {dst}: nowhere to run iperf3 -s",
                              hint="iperf checks name an address of a lab interface")
        app = Iperf(client, server, dst, self.namespaces, udp=udp,
                    bitrate=bitrate if bitrate is not None else 1_000_000, time_s=time_s,
                    length=length, window=window)
        try:
            result = app.run()
        except IperfError as e:
            result = IperfResult(node, dst, "UDP" if udp else "TCP", 0.0, 0, 0.0, 0.0,
                                 modelled=True, errors=(str(e),))
        # let the test's last frames land before the next check
        self.sched.run(until=self.sched.now + 10_000_000)
        return result

    def trace(self, node: str, dst: IPv4Address | IPv6Address, *, size: int = 56,
              max_events: int = TRACE_MAX_EVENTS, ifname: str | None = None) -> Trace:
        """One traced echo request from NODE to DST (``vnetlab trace``); at most
        ``max_events`` are recorded, so a packet copied without end stays bounded. An
        IPv6 DST traces an ICMPv6 echo request (IFNAME: a link-local's ``%dev``)."""
        if isinstance(dst, IPv6Address):
            where = f"{dst}%{ifname}" if ifname else str(dst)
            title = f"ping {node} -> {where} (ICMPv6 echo request, {40 + 8 + size} bytes)"
        else:
            title = f"ping {node} -> {dst} (ICMP echo request, {20 + 8 + size} bytes)"
        t = Trace(title, max_events)
        result = self.ping(node, dst, count=1, size=size, trace=t, ifname=ifname)
        # ping gives up after 1 s, but the packet may still be queued on a neighbour that
        # fails only after its 3 ARP probes: wait for the outcome, within bounds
        limit = self.sched.now + TRACE_SETTLE_NS
        while not t.outcomes and not t.truncated and self.sched.now < limit:
            nxt = self.sched.next_time()
            if nxt is None:
                break
            self.sched.run(until=min(nxt, limit))
        t.notes.append(
            f"echo reply received after {result.rtts_ns[0] / 1000:.0f} us (virtual)"
            if result.received
            else "no echo reply came back"
        )
        t.notes.extend(result.errors)
        storm = [e for e in result.errors if e.startswith("broadcast storm")]
        if storm:
            t.storm = storm[0]
        return t

    def start_capture(self, node: str, ifname: str, path: Path) -> None:
        dev = self.dev(node, ifname)
        tap: Tap
        if dev.addr_len == 0:
            # no link layer (TUN): raw IP records, as tcpdump -i tun0 writes them
            writer = PcapWriter(path, linktype=LINKTYPE_RAW)

            def raw_tap(ts: int, frame: bytes, _w: PcapWriter = writer) -> None:
                _w.write(ts, frame[14:])

            tap = raw_tap
        else:
            writer = PcapWriter(path)
            tap = writer.write
        dev.add_tap(tap)
        dev.set_promiscuity(1)  # tcpdump puts the interface in promiscuous mode
        self._captures.append((dev, writer, tap))

    def stop_captures(self) -> None:
        for dev, writer, tap in self._captures:
            dev.remove_tap(tap)
            dev.set_promiscuity(-1)
            writer.close()
        self._captures.clear()

    def observe(self) -> LabState:
        assert self.lab is not None, "realize() first"
        return observe_lab(self.lab.name, self.namespaces)

    def teardown(self) -> None:
        self.stop_captures()
        for ctx in self.programs.values():
            ctx.stop()
        self.programs = {}
        self.namespaces = {}

    # -- emulator extras ------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Let virtual time pass (timers fire: FDB ageing, neighbour state changes)."""
        self.sched.run(until=self.sched.now + int(seconds * S))

    def bridges(self) -> list[BridgeDevice]:
        return [d for ns in self.namespaces.values() for d in ns.devices.values()
                if isinstance(d, BridgeDevice)]

    def storm_summary(self) -> str | None:
        """What the storm guard saw, with the lab's loops (``vnetlab.model.loops``)."""
        loops = [lp.describe() for lp in find_loops(self.lab)] if self.lab else []
        return storm_summary(self.bridges(), loops)

    def storms(self) -> dict[str, int]:
        """``node:bridge`` -> flooded frames/s when its storm guard last tripped (the
        ``storm`` check; bridges whose guard never tripped are absent)."""
        out: dict[str, int] = {}
        for b in self.bridges():
            if b.storm.events:
                out[b.where] = b.storm.events[-1].rate
            elif b.storm.hop_drops:
                out[b.where] = 0
        return out

    def tc(self, node: str, line: str) -> None:
        """A ``tc`` step: ``tc LINE`` in NODE (``qdisc add|change|replace|del ...``)."""
        from vnetlab.model.tc import TcError, parse_tc_line
        from vnetlab.sim.sched.qdisc import QdiscError
        from vnetlab.sim.sched.tc import tc_qdisc

        try:
            tc_qdisc(self.ns(node), parse_tc_line(line))
        except (TcError, QdiscError) as e:
            raise EngineError(f"tc {line}: {e.message.splitlines()[0]}") from None

    def counter(self, node: str, ifname: str, name: str) -> int:
        """A device counter by its stats64 or ``ethtool -S`` name (the ``counter`` check)."""
        from vnetlab.sim.counters import device_counters

        counters = device_counters(self.dev(node, ifname))
        if name not in counters:
            raise EngineError(f"{node}:{ifname} has no counter {name!r}",
                              hint=f"its counters: {', '.join(counters)}")
        return counters[name]

    def inject(self, node: str, ifname: str, frame: bytes, count: int,
               interval_s: float) -> None:
        """A packet socket sends ``frame`` ``count`` times, ``interval_s`` apart, through
        the device's transmit (``packet_sendmsg`` -> ``dev_queue_xmit``); then the lab runs
        until a second after the last one."""
        from vnetlab.sim.netdev import Skb
        from vnetlab.sim.sched.qdisc import dev_queue_xmit

        dev = self.dev(node, ifname)
        step = int(interval_s * S)
        start = self.sched.now
        for k in range(count):
            self.sched.at(start + k * step, lambda skb: dev_queue_xmit(dev, skb), Skb(frame))
        self.sched.run(until=start + (count - 1) * step + S)

    def set_link(self, node: str, ifname: str, up: bool) -> None:
        """``ip link set IFNAME up|down`` (the ``link`` step of the checks)."""
        self.dev(node, ifname).set_admin(up)

    def elapsed(self) -> float:
        """Seconds of virtual time since the lab came up (its bridges started STP at 0)."""
        return self.sched.now / S

    def stp_status(self, node: str, bridge: str) -> dict[str, Any]:
        """The bridge's spanning tree view: ``root`` (is it the root bridge),
        ``root_port`` (name or None) and ``ports`` (name -> state word)."""
        br = self.dev(node, bridge)
        if not isinstance(br, BridgeDevice):
            raise EngineError(f"{node}:{bridge} is not a bridge")
        rp = next((p.name for p in br.port_list if p.port_no == br.root_port), None)
        return {"root": br.bridge_id == br.designated_root, "root_port": rp,
                "ports": {p.name: p.state_name for p in br.port_list}}
