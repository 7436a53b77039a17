"""The plan's prelude (namespaces, their sysctls, lo up) made by threads gives what one by
one gives: the same namespaces in plan order, the same rollback on a failure."""

from __future__ import annotations

import os

import pytest

from tests.kernel.labs import star
from vnetlab.engine import EngineError
from vnetlab.kernel import apply as applier
from vnetlab.kernel import nl
from vnetlab.kernel.ops.link import SetUp
from vnetlab.kernel.ops.netns import AddNetns, SetSysctl
from vnetlab.kernel.plan import plan


def test_prelude_is_each_namespace_with_its_local_ops() -> None:
    ops = plan(star("pre", 12), prefix="vnl-t-")
    end = applier.prelude_length(ops)
    local = [op for op in ops if isinstance(op, AddNetns | SetSysctl)
             or (isinstance(op, SetUp) and op.ifname == "lo")]
    assert end == len(local) >= 13 * 2  # per node: netns add, its sysctls, lo up
    assert ops[:end] == local
    assert not isinstance(ops[end], AddNetns | SetSysctl)
    # an op acting in a namespace the prelude has not made ends it
    assert applier.prelude_length([ops[1], *ops]) == 0


def _star_ops(tag: str, n: int) -> list:  # type: ignore[type-arg]
    return plan(star(f"pre{tag}{os.getpid()}", n), prefix="vnl-t-")


@pytest.mark.kernel
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
def test_threads_make_the_namespaces_in_plan_order() -> None:
    ops = _star_ops("a", 12)
    names = [op.ns for op in ops if isinstance(op, AddNetns)]
    seen: list[int] = []
    r = applier.apply(ops, on_progress=lambda i, op: seen.append(i))
    try:
        assert list(r.ns) == names
        assert seen == list(range(len(ops)))  # every op announced once, in order
        for op in ops:  # each namespace got its own sysctls
            if isinstance(op, SetSysctl):
                assert nl.read_sysctl(r.ns[op.ns].fd, op.key) == op.value
    finally:
        applier.destroy(r, names)
    assert not [n for n in names if os.path.exists(nl.netns_path(n))]


@pytest.mark.kernel
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
@pytest.mark.parametrize("where", ["prelude", "after"])
def test_a_failure_rolls_everything_back(where: str) -> None:
    ops = _star_ops(where[0], 12)
    names = [op.ns for op in ops if isinstance(op, AddNetns)]
    at = applier.prelude_length(ops) // 2 if where == "prelude" else applier.prelude_length(ops) + 3
    with pytest.raises(EngineError, match="injected failure before"):
        applier.apply(ops, fail_at=at)
    assert not [n for n in names if os.path.exists(nl.netns_path(n))]


@pytest.mark.kernel
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
def test_a_kernel_refusal_in_the_prelude_names_its_op() -> None:
    ops = _star_ops("k", 12)
    names = [op.ns for op in ops if isinstance(op, AddNetns)]
    bad = SetSysctl(names[5], key="net.ipv4.no_such_key", value=1)
    i = next(j for j, op in enumerate(ops) if op.ns == names[5] and isinstance(op, SetUp))
    ops.insert(i, bad)
    with pytest.raises(EngineError, match="no_such_key"):
        applier.apply(ops)
    assert not [n for n in names if os.path.exists(nl.netns_path(n))]
