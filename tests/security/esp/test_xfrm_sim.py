"""xfrm in one emulated namespace pair: output policy, SA lookup, replay window, trace."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from vnetlab.model.resolver import resolve
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine

K1 = "0x" + "01" * 20
K2 = "0x" + "02" * 20


def _node(me: str, peer: str, kout: str, kin: str, spi_out: int, spi_in: int,
          policies: bool = True) -> list[str]:
    lines = [
        f"state add src {me} dst {peer} proto esp spi {spi_out} reqid 1 mode transport "
        f"aead 'rfc4106(gcm(aes))' {kout} 128 replay-window 8",
        f"state add src {peer} dst {me} proto esp spi {spi_in} reqid 2 mode transport "
        f"aead 'rfc4106(gcm(aes))' {kin} 128 replay-window 8",
    ]
    if policies:
        lines += [
            f"policy add src {me}/32 dst {peer}/32 dir out tmpl src {me} dst {peer} "
            "proto esp reqid 1 mode transport",
            f"policy add src {peer}/32 dst {me}/32 dir in tmpl src {peer} dst {me} "
            "proto esp reqid 2 mode transport",
        ]
    return lines


def _lab(a_lines: list[str], b_lines: list[str]) -> LabSpec:
    raw: dict[str, Any] = {"name": "xf", "nodes": {
        "a": {"interfaces": {"eth0": {"addresses": ["10.0.0.1/24"]}}, "xfrm": a_lines},
        "b": {"interfaces": {"eth0": {"addresses": ["10.0.0.2/24"]}}, "xfrm": b_lines},
    }, "links": [{"endpoints": ["a:eth0", "b:eth0"]}]}
    return resolve(LabSpec.model_validate(raw))


def _ping(e: SimEngine) -> bool:
    return e.ping("a", IPv4Address("10.0.0.2"), count=1).received == 1


def test_ping_through_esp_and_trace() -> None:
    e = SimEngine()
    e.realize(_lab(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22),
                   _node("10.0.0.2", "10.0.0.1", K2, K1, 0x22, 0x11)))
    try:
        assert _ping(e)
        a, b = e.ns("a").stack.xfrm, e.ns("b").stack.xfrm
        assert a is not None and b is not None
        assert [sa.oseq for sa in a.states] == [1, 0] and [sa.seq for sa in b.states] == [0, 1]
        assert [sa.oseq for sa in b.states] == [1, 0]  # the reply went back as ESP
        assert not any(a.stats.values()) and not any(b.stats.values())
    finally:
        e.teardown()


def test_mismatched_keys_count_proto_errors() -> None:
    e = SimEngine()
    e.realize(_lab(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22),
                   _node("10.0.0.2", "10.0.0.1", K2, K2, 0x22, 0x11)))
    try:
        assert not _ping(e)
        b = e.ns("b").stack.xfrm
        assert b is not None and b.stats["XfrmInStateProtoError"] == 1
        assert b.states[1].integrity_failed == 1
    finally:
        e.teardown()


def test_plaintext_against_an_in_policy_and_no_state() -> None:
    # a sends in the clear (no policies); b requires ESP: XfrmInTmplMismatch
    e = SimEngine()
    e.realize(_lab(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22, policies=False),
                   _node("10.0.0.2", "10.0.0.1", K2, K1, 0x22, 0x11)))
    try:
        assert not _ping(e)
        b = e.ns("b").stack.xfrm
        assert b is not None and b.stats["XfrmInTmplMismatch"] == 1
    finally:
        e.teardown()
    # an out policy without a matching state: XfrmOutNoStates, nothing sent
    lines = _node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22)[2:]
    e = SimEngine()
    e.realize(_lab(lines, []))
    try:
        assert not _ping(e)
        a = e.ns("a").stack.xfrm
        assert a is not None and a.stats["XfrmOutNoStates"] == 1
    finally:
        e.teardown()


def test_replay_window() -> None:
    from vnetlab.model.xfrm import XfrmState, parse_xfrm, split_xfrm
    from vnetlab.sim.stack.xfrm import SaRuntime, XfrmDb, xfrm_input
    from vnetlab.wire.esp import esp_seal

    cfg = parse_xfrm(split_xfrm(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22)[0]))
    assert isinstance(cfg, XfrmState)
    db = XfrmDb(states=[SaRuntime(cfg)])
    key = bytes([1]) * 20

    def rx(seq: int) -> bool:
        pkt = esp_seal(key, 0x11, seq, 17, b"x")
        return xfrm_input(db, "b", 0x0A000002, pkt, None, 0) is not None

    assert rx(5) and rx(3) and not rx(3)  # out of order accepted once
    assert rx(12) and not rx(4)  # 12 - 4 = 8: left of a window of 8
    assert rx(6) and not rx(0)
    assert db.stats["XfrmInStateSeqError"] == 3
    assert db.states[0].replay_errs == 1 and db.states[0].replay_window_errs == 1


def _events(node: Any) -> list[Any]:
    from vnetlab.sim.trace import TraceNode

    out: list[Any] = []
    for item in node.items:
        out.extend(_events(item) if isinstance(item, TraceNode) else [item])
    return out


def test_drops_are_traced() -> None:
    from vnetlab.sim.trace import DropReason, EventKind

    # a plaintext echo against b's in policy: traced as an xfrm policy drop
    e = SimEngine()
    e.realize(_lab(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22, policies=False),
                   _node("10.0.0.2", "10.0.0.1", K2, K1, 0x22, 0x11)))
    try:
        t = e.trace("a", IPv4Address("10.0.0.2"))
        ev = t.verdict_event()
        assert ev is not None and ev.reason is DropReason.XFRM_POLICY
        assert "arrived in plaintext but the in policy requires ESP" in ev.what
    finally:
        e.teardown()
    # wrong key on b: the ESP encap on a, then the ICV failure on b
    e = SimEngine()
    e.realize(_lab(_node("10.0.0.1", "10.0.0.2", K1, K2, 0x11, 0x22),
                   _node("10.0.0.2", "10.0.0.1", K2, K2, 0x22, 0x11)))
    try:
        t = e.trace("a", IPv4Address("10.0.0.2"))
        ev = t.verdict_event()
        assert ev is not None and ev.reason is DropReason.XFRM_POLICY
        assert "ICV mismatch" in ev.what
        assert any(x.kind is EventKind.ENCAP and "ESP spi 0x00000011 seq 1" in x.what
                   for x in _events(t.root))
    finally:
        e.teardown()
