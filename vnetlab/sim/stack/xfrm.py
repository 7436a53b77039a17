"""IPsec in a namespace: the SAD and SPD, ESP output and input (net/xfrm, net/ipv4/esp4.c).

Design note
-----------
``XfrmDb`` is a namespace's ``struct netns_xfrm``: the security associations
(``xfrm_state``, found on input by (daddr, SPI, proto) as ``xfrm_state_lookup`` does, on
output by a policy template's (saddr, daddr, proto, reqid, mode) as ``xfrm_state_find``
does), the policies per direction (``xfrm_policy_lookup``: the lowest priority number
whose selector matches wins) and the counters ``/proc/net/xfrm_stat`` shows. Transport
mode only, ESP with ``rfc4106(gcm(aes))`` only (``vnetlab.wire.esp``).

Two hooks in ``ipv4.py``: ``ip_output`` asks ``xfrm_output`` to turn the transport payload
into ESP when an ``out`` policy selects it (``xfrm_lookup`` + ``esp_output``); and
``ip_local_deliver`` hands IP protocol 50 to ``xfrm_input`` (``xfrm4_rcv``: SA lookup,
replay check, ICV, replay advance) and runs every delivered datagram through
``policy_check_in`` (``__xfrm_policy_check``: an ``in`` policy's template must be met by
an SA the packet came through, ``XfrmInTmplMismatch`` otherwise), which is what drops a
plaintext packet forged onto an IPsec-protected path. ``fwd`` policies are kept but not
enforced: the labs protect the hosts' own traffic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vnetlab.model.xfrm import XfrmPolicy, XfrmState, parse_xfrm, split_xfrm
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.errors import ParseError
from vnetlab.wire.esp import IPPROTO_ESP, EspAuthError, EspHeader, esp_open, esp_seal

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

#: ``/proc/net/xfrm_stat`` in the kernel's order (include/uapi/linux/snmp.h)
XFRM_STAT_NAMES = (
    "XfrmInError", "XfrmInBufferError", "XfrmInHdrError", "XfrmInNoStates",
    "XfrmInStateProtoError", "XfrmInStateModeError", "XfrmInStateSeqError",
    "XfrmInStateExpired", "XfrmInStateMismatch", "XfrmInStateInvalid", "XfrmInTmplMismatch",
    "XfrmInNoPols", "XfrmInPolBlock", "XfrmInPolError", "XfrmOutError",
    "XfrmOutBundleGenError", "XfrmOutBundleCheckError", "XfrmOutNoStates",
    "XfrmOutStateProtoError", "XfrmOutStateModeError", "XfrmOutStateSeqError",
    "XfrmOutStateExpired", "XfrmOutPolBlock", "XfrmOutPolDead", "XfrmOutPolError",
    "XfrmFwdHdrError", "XfrmOutStateInvalid", "XfrmAcquireError",
)


@dataclass
class SaRuntime:
    """An ``xfrm_state``: its configuration and what it counted (``ip -s xfrm state``)."""

    cfg: XfrmState
    oseq: int = 0  # replay.oseq: the last sequence number sent
    seq: int = 0  # replay.seq: the highest sequence number received
    bitmap: int = 0  # replay.bitmap: bit d set = seq - d seen
    bytes: int = 0  # curlft.bytes
    packets: int = 0  # curlft.packets
    replay_window_errs: int = 0  # stats.replay_window
    replay_errs: int = 0  # stats.replay
    integrity_failed: int = 0  # stats.integrity_failed
    add_time: int = 0
    use_time: int | None = None
    #: wall-clock add/first-use times (what ``ip -s xfrm state`` prints as dates)
    wall_add: float = field(default_factory=time.time)
    wall_use: float | None = None


@dataclass
class XfrmDb:
    """A namespace's SAD, SPD and ``xfrm_stat`` counters."""

    states: list[SaRuntime] = field(default_factory=list)
    policies: list[XfrmPolicy] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(XFRM_STAT_NAMES, 0))

    def add(self, line: str, now: int = 0) -> None:
        """Apply one ``ip xfrm`` entry of a lab (already validated by the model)."""
        cmd = parse_xfrm(split_xfrm(line))
        if isinstance(cmd, XfrmState):
            self.states.append(SaRuntime(cmd, add_time=now))
        else:
            self.policies.append(cmd)

    def count(self, name: str) -> None:
        self.stats[name] += 1

    def policy_lookup(self, direction: str, src: int, dst: int, upper: int) -> XfrmPolicy | None:
        """``xfrm_policy_lookup_bytype``: the matching policy with the lowest priority."""
        best: XfrmPolicy | None = None
        for p in self.policies:
            if p.dir == direction and p.selects(src, dst, upper):
                if best is None or p.priority < best.priority:
                    best = p
        return best

    def state_find(self, p: XfrmPolicy) -> SaRuntime | None:
        """``xfrm_state_find`` for the policy's template."""
        t = p.tmpl
        if t is None:
            return None
        for sa in self.states:
            c = sa.cfg
            if (c.src, c.dst, c.proto, c.mode) == (t.src, t.dst, t.proto, t.mode) and (
                    t.reqid == 0 or c.reqid == t.reqid):
                return sa
        return None

    def state_lookup(self, dst: int, spi: int) -> SaRuntime | None:
        """``xfrm_state_lookup(daddr, spi, IPPROTO_ESP)``."""
        for sa in self.states:
            if int(sa.cfg.dst) == dst and sa.cfg.spi == spi and sa.cfg.proto == IPPROTO_ESP:
                return sa
        return None


def xfrm_output(
    db: XfrmDb, where: str, src: int, dst: int, proto: int, payload: bytes,
    trace: TraceNode | None, now: int,
) -> tuple[int, bytes] | None:
    """``xfrm_lookup`` + ``esp_output``: (proto, payload) to send, or None when dropped."""
    if proto == IPPROTO_ESP:
        return proto, payload
    pol = db.policy_lookup("out", src, dst, proto)
    if pol is None:
        return proto, payload
    if pol.action == "block":
        db.count("XfrmOutPolBlock")
        if trace is not None:
            trace.drop(where, f"xfrm policy blocks {ip_str(src)} -> {ip_str(dst)}",
                       DropReason.XFRM_POLICY)
        return None
    sa = db.state_find(pol)
    if sa is None:
        db.count("XfrmOutNoStates")
        if trace is not None:
            trace.drop(where, f"xfrm policy wants ESP for {ip_str(src)} -> {ip_str(dst)} "
                       "but no state matches its template", DropReason.XFRM_POLICY)
        return None
    sa.oseq = (sa.oseq + 1) & 0xFFFFFFFF
    sa.bytes += len(payload)
    sa.packets += 1
    if sa.use_time is None:
        sa.use_time, sa.wall_use = now, time.time()
    esp = esp_seal(sa.cfg.key, sa.cfg.spi, sa.oseq, proto, payload)
    if trace is not None:
        trace.add(where, f"xfrm: ESP spi 0x{sa.cfg.spi:08x} seq {sa.oseq} "
                  f"{sa.cfg.aead} ({len(payload)} -> {len(esp)} bytes)", EventKind.ENCAP)
    return IPPROTO_ESP, esp


def _replay_check(sa: SaRuntime, seq: int) -> str | None:
    """``xfrm_replay_check`` (the legacy 32-bit bitmap)."""
    win = sa.cfg.replay_window
    if win == 0:
        return None
    if seq == 0:
        return "sequence number 0"
    if seq > sa.seq:
        return None
    diff = sa.seq - seq
    if diff >= win:
        sa.replay_window_errs += 1
        return f"seq {seq} is left of the replay window (highest {sa.seq}, window {win})"
    if sa.bitmap & (1 << diff):
        sa.replay_errs += 1
        return f"seq {seq} was already received (replay)"
    return None


def _replay_advance(sa: SaRuntime, seq: int) -> None:
    """``xfrm_replay_advance``."""
    if seq > sa.seq:
        diff = seq - sa.seq
        sa.bitmap = ((sa.bitmap << diff) | 1) & 0xFFFFFFFF if diff < 32 else 1
        sa.seq = seq
    else:
        sa.bitmap |= 1 << (sa.seq - seq)


def xfrm_input(
    db: XfrmDb, where: str, dst: int, data: bytes, trace: TraceNode | None, now: int,
) -> tuple[SaRuntime, int, bytes] | None:
    """``xfrm4_rcv`` → ``xfrm_input`` → ``esp_input``: (SA, next header, payload) or None."""
    try:
        hdr = EspHeader.parse(data)
    except ParseError as e:
        db.count("XfrmInHdrError")
        if trace is not None:
            trace.drop(where, f"xfrm: {e}", DropReason.XFRM_POLICY)
        return None
    sa = db.state_lookup(dst, hdr.spi)
    if sa is None:
        db.count("XfrmInNoStates")
        if trace is not None:
            trace.drop(where, f"xfrm: no state for ESP spi 0x{hdr.spi:08x} to {ip_str(dst)}",
                       DropReason.XFRM_POLICY)
        return None
    why = _replay_check(sa, hdr.seq)
    if why is not None:
        db.count("XfrmInStateSeqError")
        if trace is not None:
            trace.drop(where, f"xfrm: ESP spi 0x{hdr.spi:08x}: {why}", DropReason.XFRM_POLICY)
        return None
    try:
        _, nexthdr, payload = esp_open(sa.cfg.key, data)
    except (EspAuthError, ParseError) as e:
        sa.integrity_failed += 1
        db.count("XfrmInStateProtoError")
        if trace is not None:
            trace.drop(where, f"xfrm: {e} (forged or tampered)", DropReason.XFRM_POLICY)
        return None
    _replay_advance(sa, hdr.seq)
    sa.bytes += len(payload)
    sa.packets += 1
    if sa.use_time is None:
        sa.use_time, sa.wall_use = now, time.time()
    if trace is not None:
        trace.add(where, f"xfrm: ESP spi 0x{hdr.spi:08x} seq {hdr.seq} authenticated and "
                  f"decrypted ({len(payload)} bytes, next header {nexthdr})", EventKind.DECAP)
    return sa, nexthdr, payload


def policy_check_in(
    db: XfrmDb, where: str, src: int, dst: int, upper: int, sp: SaRuntime | None,
    trace: TraceNode | None,
) -> bool:
    """``__xfrm_policy_check`` for a datagram about to reach its socket; SP is the SA it
    came through (the secpath), None for a plaintext packet."""
    pol = db.policy_lookup("in", src, dst, upper)
    if pol is None:
        return True
    if pol.action == "block":
        db.count("XfrmInPolBlock")
        if trace is not None:
            trace.drop(where, f"xfrm policy blocks {ip_str(src)} -> {ip_str(dst)}",
                       DropReason.XFRM_POLICY)
        return False
    t = pol.tmpl
    if t is None:
        return True
    c = sp.cfg if sp is not None else None
    if c is not None and (c.src, c.dst, c.proto, c.mode) == (t.src, t.dst, t.proto, t.mode) \
            and (t.reqid == 0 or c.reqid == t.reqid):
        return True
    db.count("XfrmInTmplMismatch")
    if trace is not None:
        trace.drop(where, f"xfrm: {ip_str(src)} -> {ip_str(dst)} arrived "
                   f"{'in plaintext' if sp is None else 'through another SA'} but the "
                   "in policy requires ESP", DropReason.XFRM_POLICY)
    return False


def install_xfrm(ns: Namespace, lines: list[str]) -> XfrmDb:
    """A lab node's ``xfrm`` entries into its namespace (``ip xfrm state/policy add``)."""
    db = ns.stack.xfrm
    if db is None:
        db = ns.stack.xfrm = XfrmDb()
    for line in lines:
        db.add(line, ns.sched.now)
    return db
