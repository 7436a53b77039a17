"""An iperf3-like throughput test between two emulated namespaces, on virtual time.

Design note
-----------
Real frames cross the lab (so the VEB, VLANs, spoof checking, qdiscs, rate limits, rings
and drops act on them), but the emulator's devices only move frames; how fast a host
*could* move them comes from the cost model (``vnetlab.sim.perf.cost``). So the app:

1. **traces the path once**: one traced datagram from the client to the server port; the
   devices its lineage crossed (in order, their ``kind``) become a ``PathModel``: CPU
   segments, NIC segments, the one-way latency, the slowest line rate;
2. **paces its sender** by that: one frame per ``max(first CPU segment's cost, wire time
   at the slowest line rate, the UDP bitrate's interval)`` — in Linux the whole
   veth/bridge/VXLAN path runs in the sender's softirq, so the sender's CPU *is* the
   bottleneck; a VF's path runs in the NIC, so the sender's CPU only pays its own stack;
3. **charges the receiver** the last CPU segment's cost per frame (a queue in front of
   the receiving socket: ``SO_RCVBUF`` worth of datagrams; UDP beyond it is lost, as
   ``udp_queue_rcv_skb`` drops on a full buffer), and pads the one-way latency up to the
   model's (the emulator's devices have their own, smaller, fixed delays).

No device is touched: the default per-frame path never pays for any of it.

TCP-like mode: MSS-sized segments (frames the size a TCP segment with timestamps makes)
in UDP datagrams — the emulator has no TCP — with a window, cumulative ACKs every second
segment (delayed ACK) sent back over the lab, fast retransmit on three duplicate ACKs
(window halved, then +1 MSS per window) and a 200 ms RTO (``TCP_RTO_MIN``). The ACK clock
makes the sender run at the bottleneck's rate. UDP mode: iperf3's datagrams (its 12-byte
header: seconds, microseconds, sequence) at ``bitrate``; loss and jitter (RFC 1889, as
iperf3) from what arrives.

Bounded wall time: at most ``MAX_SAMPLE_FRAMES`` data frames are simulated (a steady-state
sample); the totals for ``time`` are that sample's rates times ``time``. The report says
so on its ``modelled:`` lines, with the cost file's date and machine.
"""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from vnetlab.engine import IperfResult
from vnetlab.sim.apps.iperf_fmt import RunFigures, render_json, render_text
from vnetlab.sim.apps.iperf_tcp import SEG, TCP_RTO_MIN, TcpLike
from vnetlab.sim.clock import MS, S, Scheduler
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.perf.cost import CostModel, PathModel, default_costs
from vnetlab.sim.stack.addr import ip_int
from vnetlab.sim.stack.ipv4 import MessageTooLong, NoRoute
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import Event, EventKind, Trace, TraceNode
from vnetlab.wire.ipv4 import IPPROTO_UDP

PORT = 5201
#: data frames simulated per run at most (about 0.2 s of wall time through a few hops)
MAX_SAMPLE_FRAMES = 3000
#: the UDP payload iperf3 3.12 sends by default (``-l``; it printed blksize 1448 here)
DEFAULT_UDP_LEN = 1448
#: the TCP window when none is given: Linux's tcp_wmem/tcp_rmem autotuning ceiling
DEFAULT_WINDOW = 4 << 20
#: net.core.rmem_default: a UDP socket's receive buffer
RCVBUF = 212992
#: what an skb's truesize adds to its data (struct sk_buff + shared info, rounded)
SKB_OVERHEAD = 768
TCP_HDR = 32  # 20 + the timestamps option (12)
IP_HDR = 20
UDP_HDR = 8
ETH_HDR = 14
#: how long the probe may take to arrive (ARP included)
PROBE_WAIT = 3 * S
_UDP = struct.Struct("!HHHH")
_IPERF_UDP = struct.Struct("!IIIQ")  # sec, usec, seq (+ our send time in ns)


class IperfError(Exception):
    """The test could not run (iperf3's own words, e.g. "unable to connect to server")."""


@dataclass(frozen=True, slots=True)
class TracedPath:
    devices: tuple[NetDevice, ...]
    one_way_ns: int  # the emulator's own transit time for the probe


def _lineage(node: TraceNode) -> list[Event] | None:
    """The events on the way to the probe's delivery (None: not delivered here)."""
    seen: list[Event] = []
    for item in node.items:
        if isinstance(item, Event):
            seen.append(item)
            if item.kind is EventKind.DELIVER or item.kind is EventKind.SOCKET:
                return seen
        elif item.probe:
            sub = _lineage(item)
            if sub is not None:
                return seen + sub
    return None


def devices_on(events: list[Event], namespaces: dict[str, Namespace]) -> list[NetDevice]:
    """The devices the events name (``node:ifname``), in order, each run of one once; a
    veth's peer right after it is the same crossing (one ``veth`` cost: veth_xmit and the
    peer's receive run together)."""
    by_where = {d.where: d for ns in namespaces.values() for d in ns.devices.values()}
    out: list[NetDevice] = []
    for e in events:
        dev = by_where.get(e.where)
        if dev is None or (out and out[-1] is dev):
            continue
        if out and getattr(out[-1], "peer", None) is dev:
            continue
        out.append(dev)
    # a lower device between two of its uppers (macvlan bridge mode, VF to VF through the
    # PF's switch) only demultiplexes: the uppers' costs include it
    return [d for i, d in enumerate(out)
            if not (0 < i < len(out) - 1 and out[i - 1].iflink_dev() is d
                    and out[i + 1].iflink_dev() is d)]


def line_rate_bps(dev: NetDevice) -> float | None:
    """A device with a wire (a NIC port, a VF of one): its line rate, else None. A VF's
    ``max_tx_rate`` (the NIC's per-VF limiter) lowers it: the VF's tx ring then fills
    and the sender's socket waits, as the driver stops the queue (no loss)."""
    speed = getattr(dev, "speed", None)
    if isinstance(speed, int) and speed > 0:
        return speed * 1e6
    pf = getattr(dev, "pf", None)
    if pf is None:
        return None
    rate = line_rate_bps(pf)
    cfg = getattr(dev, "cfg", None)
    limit = getattr(cfg, "max_tx_rate", 0)
    if isinstance(limit, int) and limit > 0:
        rate = min(rate, limit * 1e6) if rate is not None else limit * 1e6
    return rate


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return _UDP.pack(sport, dport, UDP_HDR + len(payload), 0) + payload


class Iperf:
    """One client -> server test (``iperf3 -c DST`` against ``iperf3 -s -1`` there)."""

    def __init__(self, client: Namespace, server: Namespace, dst: IPv4Address,
                 namespaces: dict[str, Namespace], *, udp: bool = False,
                 bitrate: int = 1_000_000, time_s: float = 10.0, length: int | None = None,
                 window: int | None = None, costs: CostModel | None = None,
                 sport: int = 40000, max_frames: int = MAX_SAMPLE_FRAMES) -> None:
        self.client, self.server = client, server
        self.sched: Scheduler = client.sched
        self.dst = dst
        self.namespaces = namespaces
        self.udp = udp
        self.bitrate = bitrate
        self.time_s = time_s
        self.window = window or DEFAULT_WINDOW
        self.costs = costs or default_costs()
        self.sport = sport
        self.max_frames = max_frames
        self.length = length
        self._on_server: Callable[[bytes], None] = self._ignore
        self._on_client: Callable[[bytes], None] = self._ignore

    # -- sockets --------------------------------------------------------------------------
    @staticmethod
    def _ignore(_data: bytes) -> None:
        return None

    def _server_rcv(self, _src: IPv4Address, _sport: int, _dst: IPv4Address, data: bytes,
                    _trace: TraceNode | None) -> None:
        self._on_server(data)

    def _client_rcv(self, _src: IPv4Address, _sport: int, _dst: IPv4Address, data: bytes,
                    _trace: TraceNode | None) -> None:
        self._on_client(data)

    def _send(self, ns: Namespace, dst: int, sport: int, dport: int, payload: bytes,
              trace: TraceNode | None = None) -> None:
        ns.stack.ip_output(dst, IPPROTO_UDP, _udp(sport, dport, payload), trace,
                           pmtudisc="want")

    # -- run ------------------------------------------------------------------------------
    def run(self) -> IperfResult:
        srv_stack, cli_stack = self.server.stack, self.client.stack
        if PORT in srv_stack.udp_sockets or self.sport in cli_stack.udp_sockets:
            raise IperfError("iperf3: error - unable to start listener for connections: "
                             "Address already in use")
        srv_stack.udp_sockets[PORT] = self._server_rcv
        cli_stack.udp_sockets[self.sport] = self._client_rcv
        try:
            path = self._trace_path()
            return self._run_tcp(path) if not self.udp else self._run_udp(path)
        finally:
            srv_stack.udp_sockets.pop(PORT, None)
            cli_stack.udp_sockets.pop(self.sport, None)
            self._on_server = self._on_client = self._ignore

    def _settle(self, until: int, done: Callable[[], bool]) -> None:
        sched = self.sched
        while not done() and sched.now < until:
            nxt = sched.next_time()
            if nxt is None or nxt > until:
                break
            sched.run(until=nxt)

    def _trace_path(self) -> TracedPath:
        """Resolve neighbours with one datagram, then trace a second one to the server."""
        dst = ip_int(self.dst)
        got: list[int] = []
        self._on_server = lambda _d: got.append(self.sched.now)
        try:
            self._send(self.client, dst, self.sport, PORT, b"\0" * 16)
        except NoRoute:
            raise IperfError("iperf3: error - unable to connect to server: "
                             "Network is unreachable") from None
        self._settle(self.sched.now + PROBE_WAIT, lambda: bool(got))
        if not got:
            raise IperfError("iperf3: error - unable to connect to server: "
                             "Connection timed out")
        t = Trace(f"iperf probe {self.client.name} -> {self.dst}")
        got.clear()
        sent = self.sched.now
        self._send(self.client, dst, self.sport, PORT, b"\0" * 16, t.root)
        self._settle(self.sched.now + PROBE_WAIT, lambda: bool(got))
        events = _lineage(t.root)
        if not got or events is None:
            raise IperfError("iperf3: error - unable to connect to server: "
                             "Connection timed out")
        devs = devices_on(events, self.namespaces)
        self._on_server = self._ignore
        return TracedPath(tuple(devs), got[0] - sent)

    def _path_model(self, path: TracedPath) -> PathModel:
        rates = [r for r in (line_rate_bps(d) for d in path.devices) if r is not None]
        return self.costs.path_model([d.kind for d in path.devices], rates)

    def _frame_ns(self, pm: PathModel, frame: int, tcp: bool, mss: int,
                  bitrate_ns: float = 0.0) -> tuple[float, float, float]:
        """(sender interval, receiver cost, host CPU) per frame, in ns."""
        segs = pm.segment_ns(self.costs, frame, tcp, mss)
        tx = segs[0]
        rx = max(segs[1:]) if len(segs) > 1 else 0.0
        wire = (frame + 24) * 8 / pm.line_rate_bps * S if pm.line_rate_bps else 0.0
        return max(tx, wire, bitrate_ns, 1.0), rx, sum(segs)

    def _notes(self, pm: PathModel, frames: int, span_ns: int) -> list[str]:
        kinds = " -> ".join(pm.kinds) or "lo"
        notes = [
            f"figures computed by vnetlab's emulator, not measured: {frames} frames "
            f"simulated over {span_ns / 1000:.0f} us of virtual time, the steady state "
            f"extrapolated to {self.time_s:g} s",
            f"path: {kinds}; cost model {self.costs.describe_source()}",
        ]
        if pm.unknown:
            notes.append(f"no costs for {', '.join(pm.unknown)}: counted as free")
        return notes

    def _pad_ns(self, pm: PathModel, path: TracedPath) -> int:
        return max(0, int(pm.latency_ns) - path.one_way_ns)

    # -- UDP ------------------------------------------------------------------------------
    def _run_udp(self, path: TracedPath) -> IperfResult:
        sched = self.sched
        pm = self._path_model(path)
        mtu_payload = min(65535, path.devices[0].mtu) - IP_HDR - UDP_HDR if path.devices else 65507
        length = self.length or min(DEFAULT_UDP_LEN, mtu_payload)
        frame = ETH_HDR + IP_HDR + UDP_HDR + length
        bitrate_ns = length * 8 / self.bitrate * S if self.bitrate else 0.0
        interval, rx_cost, cpu = self._frame_ns(pm, frame, False, length, bitrate_ns)
        total = max(1, math.ceil(self.time_s * S / interval))
        n = min(total, self.max_frames)
        pad = self._pad_ns(pm, path)
        backlog_max = max(1, RCVBUF // (length + SKB_OVERHEAD))
        dst = ip_int(self.dst)
        st = _UdpRx()

        def deliver(data: bytes) -> None:
            _sec, _usec, seq, sent_ns = _IPERF_UDP.unpack_from(data)
            now = sched.now
            if rx_cost:
                queued = (st.busy - now) / rx_cost if st.busy > now else 0.0
                if queued >= backlog_max:
                    return  # the socket's receive buffer is full: the datagram is lost
                st.busy = max(st.busy, float(now)) + rx_cost
            at = max(float(now), st.busy)
            if seq in st.seen:
                return
            st.seen.add(seq)
            if seq < st.max_seq:
                st.ooo += 1
            st.max_seq = max(st.max_seq, seq)
            transit = at - sent_ns
            if st.transit is not None:  # RFC 1889 jitter, as iperf3's iperf_udp_recv
                st.jitter += (abs(transit - st.transit) - st.jitter) / 16
            st.transit = transit
            st.arrivals.append(at)

        def arrive(data: bytes) -> None:
            if pad:
                sched.after(pad, deliver, data)
            else:
                deliver(data)

        self._on_server = arrive
        start = sched.now
        pad_bytes = b"\0" * max(0, length - _IPERF_UDP.size)

        def send(seq: int) -> None:
            now = sched.now
            sec, ns_ = divmod(now, S)
            payload = _IPERF_UDP.pack(sec & 0xFFFFFFFF, ns_ // 1000, seq, now) + pad_bytes
            try:
                self._send(self.client, dst, self.sport, PORT, payload[:max(length, 24)])
            except (NoRoute, MessageTooLong):
                return
            if seq + 1 < n:
                sched.at(start + int((seq + 1) * interval), send, seq + 1)

        sched.at(start, send, 0)
        end = start + int(n * interval)
        self._settle(end + int(pm.latency_ns) + 100 * MS,
                     lambda: sched.now >= end and len(st.seen) >= n)
        received = len(st.seen)
        scale = total / n
        packets = total
        if n == total:
            lost = n - received
        else:  # the steady state: the sample's second half (the buffers have filled)
            half = n // 2
            late = sum(1 for q in st.seen if q >= half)
            frac = (n - half - late) / (n - half)
            # frames still queued somewhere (a shaper, a ring) are not lost yet, but the
            # receiver takes them no faster than they arrive
            frac = max(frac, 1.0 - st.arrival_rate() * interval / S)
            lost = round(min(1.0, frac) * total)
        sent_bytes = packets * length
        figs = RunFigures(
            tcp=False, src=self._src_addr(), dst=str(self.dst), sport=self.sport, dport=PORT,
            time_s=self.time_s, blksize=length,
            sent_bytes=round(min(sent_bytes, length * self.time_s * S / interval)),
            recv_bytes=(packets - lost) * length, packets=packets, lost=lost,
            jitter_ms=st.jitter / 1e6,
            out_of_order=round(st.ooo * scale),
            host_cpu=min(100.0, 100.0 * pm.segment_ns(self.costs, frame, False, length)[0]
                         / interval),
            remote_cpu=min(100.0, 100.0 * rx_cost / interval),
            notes=self._notes(pm, n, sched.now - start),
            modelled=self._modelled(pm, frame, interval, rx_cost, cpu, pad, path),
        )
        return self._result(figs)

    # -- TCP ------------------------------------------------------------------------------
    def _run_tcp(self, path: TracedPath) -> IperfResult:
        sched = self.sched
        pm = self._path_model(path)
        # lo's MTU is 65536, but an IPv4 datagram holds 65535 bytes (Linux's MSS on lo
        # with timestamps is 65483 too)
        mtu = min(65535, min((d.mtu for d in path.devices), default=1500))
        mss = mtu - IP_HDR - TCP_HDR
        frame = ETH_HDR + IP_HDR + TCP_HDR + mss
        seg_pad = b"\0" * (TCP_HDR - UDP_HDR + mss - SEG.size)
        ack_pad = b"\0" * (TCP_HDR - UDP_HDR - SEG.size)
        interval, rx_cost, cpu = self._frame_ns(pm, frame, True, mss)
        pad = self._pad_ns(pm, path)
        n = self.max_frames
        dst = ip_int(self.dst)
        src = self._src_addr_int()

        def send_data(seq: int, ts: int) -> bool:
            try:
                self._send(self.client, dst, self.sport, PORT, SEG.pack(0, seq, ts) + seg_pad)
            except (NoRoute, MessageTooLong):
                return False
            return True

        def send_ack(ack: int, ts: int) -> None:
            with contextlib.suppress(NoRoute, MessageTooLong):
                self._send(self.server, src, PORT, self.sport, SEG.pack(1, ack, ts) + ack_pad)

        flow = TcpLike(sched, n, max(2, self.window // mss), interval, rx_cost, pad,
                       send_data, send_ack)
        self._on_server = flow.on_data
        self._on_client = flow.on_ack
        start = sched.now
        flow.start()
        # bounded: the sample, plus room for a few timeouts
        self._settle(start + int(n * interval) + int(pm.latency_ns) * 4 + 5 * TCP_RTO_MIN,
                     lambda: flow.done)
        flow.stop()
        rate_fps = flow.steady_rate()  # segments per second, steady state
        seg_total = rate_fps * self.time_s
        recv_bytes = round(seg_total * mss)
        scale = seg_total / max(1, len(flow.delivered_at))
        rtt_us = (sum(flow.rtts) / len(flow.rtts) / 1000) if flow.rtts else 0.0
        figs = RunFigures(
            tcp=True, src=self._src_addr(), dst=str(self.dst), sport=self.sport, dport=PORT,
            time_s=self.time_s, blksize=128 * 1024, sent_bytes=recv_bytes,
            recv_bytes=recv_bytes, retransmits=round(flow.retransmits * scale),
            cwnd_bytes=int(flow.cwnd) * mss, rtt_us=rtt_us,
            host_cpu=min(100.0, 100.0 * pm.segment_ns(self.costs, frame, True, mss)[0]
                         * rate_fps / S),
            remote_cpu=min(100.0, 100.0 * rx_cost * rate_fps / S),
            notes=self._notes(pm, flow.sent_frames, sched.now - start),
            modelled=self._modelled(pm, frame, interval, rx_cost, cpu, pad, path),
        )
        return self._result(figs)

    # -- report ---------------------------------------------------------------------------
    def _src_addr_int(self) -> int:
        rt = self.client.stack.route_output(ip_int(self.dst))
        if rt.prefsrc is not None:
            return rt.prefsrc
        return self.client.stack.select_addr(rt.dev, ip_int(self.dst)) or 0

    def _src_addr(self) -> str:
        return str(IPv4Address(self._src_addr_int()))

    def _modelled(self, pm: PathModel, frame: int, interval: float, rx_cost: float,
                  cpu: float, pad: int, path: TracedPath) -> dict[str, object]:
        return {
            "path": list(pm.kinds),
            "devices": [d.where for d in path.devices],
            "segments": [{"runs_on": sg.runs_on, "kinds": list(sg.kinds)}
                         for sg in pm.segments],
            "frame_bytes": frame,
            "sender_ns_per_frame": interval,
            "receiver_ns_per_frame": rx_cost,
            "host_cpu_ns_per_frame": cpu,
            "host_cpu_s_per_gbyte": cpu / frame if frame else 0.0,
            "one_way_latency_ns": pm.latency_ns,
            "emulated_one_way_ns": path.one_way_ns,
            "latency_pad_ns": pad,
            "line_rate_bps": pm.line_rate_bps,
            "cost_file": self.costs.describe_source(),
        }

    def _result(self, f: RunFigures) -> IperfResult:
        doc = render_json(f)
        t = f.time_s
        return IperfResult(
            src=self.client.name, dst=self.dst, protocol="TCP" if f.tcp else "UDP",
            seconds=t, bytes=f.recv_bytes, bits_per_second=f.recv_bytes * 8 / t,
            sent_bps=f.sent_bytes * 8 / t, retransmits=f.retransmits,
            mean_rtt_us=f.rtt_us if f.tcp else None, packets=f.packets,
            lost_packets=f.lost, jitter_ms=f.jitter_ms, modelled=True,
            text=render_text(f), json=doc)


class _UdpRx:
    """The UDP receiver: its CPU's backlog, what arrived, jitter (iperf3's fields)."""

    def __init__(self) -> None:
        self.busy = 0.0
        self.seen: set[int] = set()
        self.max_seq = -1
        self.ooo = 0
        self.jitter = 0.0
        self.transit: float | None = None
        self.arrivals: list[float] = []  # when each datagram reached the app

    def arrival_rate(self) -> float:
        """Datagrams per second over the second half of the arrivals (0: too few)."""
        half = self.arrivals[len(self.arrivals) // 2:]
        if len(half) < 2 or half[-1] <= half[0]:
            return float("inf") if len(half) >= 2 else 0.0
        return (len(half) - 1) * 1e9 / (half[-1] - half[0])
