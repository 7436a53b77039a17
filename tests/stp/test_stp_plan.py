"""The linux engine's plan for STP labs (pure, no root): what `ip link add ... type bridge`
prints is what the netlink request carries; port cost/priority after the ports joined;
a lab with a loop without STP is refused before anything is built."""

from __future__ import annotations

import pytest
from stplab import LOOP, TRIANGLE

from tests.kernel.test_kinds import _apply_recorded, _decode
from vnetlab.engine import UnsupportedError
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.kinds.bridge import (
    IFLA_BR_FORWARD_DELAY,
    IFLA_BR_HELLO_TIME,
    IFLA_BR_MAX_AGE,
    IFLA_BR_PRIORITY,
)
from vnetlab.kernel.ops.base import NewLink
from vnetlab.kernel.ops.brport import SetBrportStp
from vnetlab.kernel.plan import plan
from vnetlab.model import load_lab, load_lab_text

LAB = """
name: stpplan
nodes:
  h:
    interfaces:
      br0: {type: bridge, stp: true, priority: 4096, forward_delay: 4, hello_time: 1,
            max_age: 10}
      p1: {master: br0, bridge_port: {cost: 7, priority: 9}}
      p2: {master: br0}
  o:
    interfaces: {e1: {}, e2: {}}
links:
  - endpoints: [h:p1, o:e1]
  - endpoints: [h:p2, o:e2]
"""


def test_the_bridge_request_carries_the_printed_stp_words() -> None:
    lab = load_lab_text(LAB)
    sent = _apply_recorded(plan(lab, unsupported={}))
    [br] = [op for op in sent if isinstance(op, NewLink) and op.info_kind() == "bridge"]
    words = br.shell().split()
    assert words[words.index("type"):] == [
        "type", "bridge", "stp_state", "1", "ageing_time", "30000", "forward_delay", "400",
        "hello_time", "100", "max_age", "1000", "priority", "4096"]
    [(_, body)] = sent[br]
    raw = body  # the attributes, in the order ip link sends them
    for attr, value, size in ((IFLA_BR_FORWARD_DELAY, 400, 4), (IFLA_BR_HELLO_TIME, 100, 4),
                              (IFLA_BR_MAX_AGE, 1000, 4), (IFLA_BR_PRIORITY, 4096, 2)):
        enc = M.u32(attr, value) if size == 4 else M.u16(attr, value)
        assert enc in raw, attr
    m = _decode(body)
    data = m.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA")
    assert data.get_attr("IFLA_BR_STP_STATE") == 1
    ports = [op for op in sent if isinstance(op, SetBrportStp)]
    assert [op.shell() for op in ports] == [
        f"bridge -n {ports[0].ns} link set dev p1 cost 7 priority 9"]
    [(mtype, pbody)] = sent[ports[0]]
    assert mtype == M.RTM_SETLINK
    assert M.u16(2, 9) in pbody and M.u32(3, 7) in pbody


def test_default_timers_print_nothing_new() -> None:
    lab = load_lab(TRIANGLE)
    shells = [op.shell() for op in plan(lab, unsupported={}) if isinstance(op, NewLink)
              and op.info_kind() == "bridge"]
    assert all(s.endswith("type bridge stp_state 1 ageing_time 30000") for s in shells)


def test_a_loop_is_named_by_plan_before_anything_is_built() -> None:
    e = LinuxEngine()
    with pytest.raises(UnsupportedError) as err:
        e.plan(load_lab(LOOP))
    text = str(err.value)
    assert text.startswith("layer-2 loop without STP: incident:br1:a12 -> incident:br2:a23 "
                           "-> incident:br3:a31 -> incident:br1")
    assert "--allow-loops" in text
    assert e.record is None
    assert LinuxEngine(allow_loops=True).plan(load_lab(LOOP))  # the flag lets it plan
