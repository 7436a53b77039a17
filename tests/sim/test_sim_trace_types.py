"""Typed trace events, verdicts from types, the JSON form and the iterative renderer
(vnetlab/sim/trace.py, vnetlab/tools/trace_render.py, ``vnetlab trace --json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from simlab import EXAMPLES, ROOT, realize
from test_sim_trace import ROUTED

from vnetlab.cli.main import cli
from vnetlab.sim.trace import DropReason, Event, EventKind, Outcome, Trace, TraceNode
from vnetlab.tools.trace_render import event_json, render_trace, trace_json


def events(node: TraceNode) -> Iterator[Event]:
    stack = [node]
    while stack:
        n = stack.pop()
        for item in reversed(n.items):
            if isinstance(item, Event):
                yield item
            else:
                stack.append(item)


def json_events(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        n = stack.pop()
        for item in reversed(n["items"]):
            if item["type"] == "event":
                yield item
            else:
                stack.append(item)


def test_every_event_is_typed_and_only_drops_carry_reasons() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("198.51.100.7"))
    evs = list(events(t.root))
    assert evs and all(isinstance(e.kind, EventKind) for e in evs)
    assert all((e.reason is not None) == (e.kind is EventKind.DROP) for e in evs)
    kinds = {e.kind for e in evs}
    assert {EventKind.ROUTE, EventKind.NEIGH, EventKind.HOP, EventKind.DROP} <= kinds


def test_no_route_verdict_is_typed() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("198.51.100.7"))
    ev = t.verdict_event()
    assert t.verdict_outcome() is Outcome.DROPPED
    assert ev is not None and ev.kind is EventKind.DROP
    assert ev.reason is DropReason.IP_INNOROUTES
    assert ev.where == "r"
    assert t.verdict() == f"dropped at {ev.where}: {ev.what}"


def test_delivered_verdict_is_typed() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    ev = t.verdict_event()
    assert t.delivered and t.verdict_outcome() is Outcome.DELIVERED
    assert ev is not None and ev.kind is EventKind.DELIVER and ev.reason is None
    assert (ev.where, ev.what) == ("b:eth0", "10.0.2.2")


def test_drop_reasons_name_the_kernel_reason() -> None:
    engine, _ = realize(ROUTED % 0)
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.IP_INADDRERRORS
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.1.99"))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.NEIGH_FAILED
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("r", IPv4Address("198.51.100.7"))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.IP_OUTNOROUTES


def test_the_cause_comes_from_the_reason_not_the_words() -> None:
    # a drop whose text says "neighbour FAILED" but whose reason is another gets no cause
    t = Trace("probe")
    t.root.branch("ARP request", probe=False).drop("x", "lost on the way", DropReason.DEV_READY)
    t.root.drop("a", "no ARP reply for 10.0.0.9 on eth0 (neighbour FAILED)",
                DropReason.NOT_SPECIFIED)
    assert t.cause() is None
    assert t.verdict() == "dropped at a: no ARP reply for 10.0.0.9 on eth0 (neighbour FAILED)"
    # and a NEIGH_FAILED drop names the side drop whatever its words
    t = Trace("probe")
    t.root.branch("ARP request", probe=False).drop("x", "lost on the way", DropReason.DEV_READY)
    t.root.drop("a", "gave up", DropReason.NEIGH_FAILED)
    cause = t.cause()
    assert cause is not None and cause.reason is DropReason.DEV_READY
    assert t.verdict() == "dropped at a: gave up — an ARP packet was dropped at x: lost on the way"


def test_copy_drops_decide_only_when_nothing_else_does() -> None:
    t = Trace("probe")
    t.root.drop("h:eth0", "not for us", DropReason.OTHERHOST, copy=True)
    assert t.verdict_outcome() is Outcome.COPY_DROPPED
    t.root.drop("sw", "port down", DropReason.DEV_READY)
    assert t.verdict_outcome() is Outcome.DROPPED
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.DEV_READY
    assert Trace("nothing").verdict_outcome() is None


def test_json_mirrors_the_typed_tree() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("198.51.100.7"))
    data = json.loads(json.dumps(trace_json(t)))
    assert data["schema"] == 1
    assert data["tree"]["title"] == t.root.title and data["tree"]["probe"] is True
    typed = list(events(t.root))
    as_json = list(json_events(data["tree"]))
    assert as_json == [event_json(e) for e in typed]
    assert [e["kind"] for e in as_json] == [e.kind.value for e in typed]
    drops = [e for e in as_json if e["kind"] == "drop"]
    assert drops and all(e["reason"] in {r.value for r in DropReason} for e in drops)
    assert data["outcome"] == "dropped" and data["delivered"] is False
    assert data["verdict"] == t.verdict()
    assert data["verdict_event"]["reason"] == DropReason.IP_INNOROUTES.value == "IP_INNOROUTES"
    assert data["verdict_event"]["where"] == "r"
    assert data["cause"] is None
    assert data["notes"] == t.notes


def test_json_names_the_cause_of_a_failed_neighbour() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.1.99"))
    data = trace_json(t)
    assert data["verdict_event"]["reason"] == "NEIGH_FAILED"
    cause = t.cause()
    assert data["cause"] == (None if cause is None else event_json(cause))


def test_cli_trace_json(tmp_path: Path) -> None:
    # the example with IPv6 off: the trace should meet a bridge that has not learned the
    # hosts yet (learn, flood), which IPv6's MLD/DAD frames would have taught it already
    text = (EXAMPLES / "container-host.yaml").read_text()
    (tmp_path / "lab.yaml").write_text(text.replace("\nnodes:", "\nipv6: off\nnodes:", 1))
    lab = str(tmp_path / "lab.yaml")
    result = CliRunner().invoke(cli, ["trace", lab, "--from", "a", "--to", "198.51.100.7",
                                      "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["verdict_event"]["kind"] == "drop"
    assert data["verdict_event"]["reason"] == DropReason.IP_INNOROUTES.value
    kinds = {e["kind"] for e in json_events(data["tree"])}
    assert {"route", "neigh", "hop", "learn", "flood", "drop"} <= kinds
    assert kinds <= {k.value for k in EventKind}


def test_a_deep_tree_renders_without_recursion() -> None:
    depth = sys.getrecursionlimit() * 3
    t = Trace("deep")
    node = t.root
    for i in range(depth):
        node.add(f"n{i}", "hop", EventKind.HOP)
        node = node.branch(f"level {i + 1}")
    node.deliver("end", "10.0.0.1")
    text = render_trace(t)
    lines = text.splitlines()
    assert len(lines) == 1 + 2 * depth + 1 + 1
    assert lines[1] == "├─ n0: hop"
    assert lines[2] == "└─ level 1"
    assert lines[3] == "   ├─ n1: hop"
    assert lines[-2] == "   " * depth + "└─ end: DELIVERED 10.0.0.1"
    assert lines[-1] == "verdict: delivered to end (10.0.0.1)"
    data = trace_json(t)
    assert len(list(json_events(data["tree"]))) == depth + 1


def test_text_labels_come_from_the_kind() -> None:
    t = Trace("t")
    t.root.add("a", "plain", EventKind.DECISION)
    child = t.root.branch("copy")
    child.drop("b", "gone", DropReason.OTHERHOST, copy=True)
    t.root.deliver("c", "here")
    assert render_trace(t).splitlines()[:5] == [
        "t",
        "├─ a: plain",
        "├─ copy",
        "│  └─ b: DROPPED gone",
        "└─ c: DELIVERED here",
    ]


def test_the_json_doc_names_every_kind_and_reason() -> None:
    doc = (ROOT / "docs" / "trace-json.md").read_text()
    for kind in EventKind:
        assert f"`{kind.value}`" in doc, kind
    for reason in DropReason:
        assert f"`{reason.value}`" in doc, reason
