"""The daemon lifecycle on its own: a namespace's ovsdb-server + ovs-vswitchd started by the
plan's ops, found by pid + start time, stopped, and nothing of them left."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kernel.ovs.labs import needs_ovs, ovs_pids_under
from vnetlab.kernel import apply as applier
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.ops.base import NsHandle, Realized
from vnetlab.kernel.ops.netns import AddNetns
from vnetlab.kernel.ovs import daemons
from vnetlab.kernel.ovs.ops import OvsNetdev, OvsTool, StartOvsdb, StartVswitchd

pytestmark = [pytest.mark.kernel, needs_ovs]


def attached(ns: str) -> Realized:
    """Handles on an existing namespace, as ``apply`` holds them."""
    r = Realized()
    fd = nl.open_netns(ns)
    r.ns[ns] = NsHandle(ns, fd, nl.socket_in(fd))
    return r


@pytest.fixture
def node() -> Iterator[tuple[str, str]]:
    ns = f"vnl-kovsd{os.getpid()}.n"
    rundir = str(daemons.node_dir("vnl-", f"kovsd{os.getpid()}", "n"))
    r = Realized()
    try:
        AddNetns(ns, node="n").apply(r)
        yield ns, rundir
    finally:
        applier.destroy(r, [ns])
        daemons.stop(daemons.find_in("n", rundir, ns))
        daemons.remove_files("vnl-", f"kovsd{os.getpid()}")
        nl.remove_netns(ns)


def test_start_configure_and_destroy_leaves_nothing(node: tuple[str, str]) -> None:
    ns, rundir = node
    r = attached(ns)
    ops = [
        StartOvsdb(ns, node="n", rundir=rundir),
        StartVswitchd(ns, node="n", rundir=rundir),
        OvsTool(ns, rundir=rundir, argv=("ovs-vsctl", "--timeout=10", "add-br", "br0", "--",
                                         "set", "bridge", "br0", "datapath_type=netdev")),
        OvsNetdev(ns, ifname="br0"),
    ]
    for op in ops:
        op.apply(r)
    assert [d.prog for d in r.processes] == ["ovsdb-server", "ovs-vswitchd"]
    for d in r.processes:
        assert d.start == runtime.proc_start_time(d.pid)
        assert daemons.owned(d.pid, rundir, d.start) == d.prog
        assert d.pid in nl.pids_in_netns(ns)  # inside the node's namespace
    assert "br0" in r.ns[ns].index
    # the tools reach this node's daemons through OVS_RUNDIR
    out = subprocess.run(["ovs-ofctl", "dump-flows", "br0"], capture_output=True, text=True,
                         env={**os.environ, **daemons.env(rundir)}, check=True, timeout=10)
    assert "priority=0 actions=NORMAL" in out.stdout
    assert sorted(p.name for p in Path(rundir).iterdir() if p.suffix in (".db", ".pid")) == [
        "conf.db", "ovs-vswitchd.pid", "ovsdb-server.pid"]
    # a recycled pid (other start time) is never ours
    assert daemons.owned(r.processes[0].pid, rundir, (r.processes[0].start or 0) + 1) is None

    applier.destroy(r, [ns])

    assert ovs_pids_under(rundir) == []
    assert not Path(rundir).exists()
    assert ns not in nl.list_netns()


def test_find_without_a_record_by_pidfile_and_namespace(node: tuple[str, str]) -> None:
    """What ``gc`` relies on after a ``kill -9`` before the record was written."""
    ns, rundir = node
    r = attached(ns)
    StartOvsdb(ns, node="n", rundir=rundir).apply(r)
    StartVswitchd(ns, node="n", rundir=rundir).apply(r)
    started = {d.pid for d in r.processes}
    r.cleanups.clear()  # as if vnetlab died here
    r.close()
    lab = f"kovsd{os.getpid()}"
    found = daemons.find("vnl-", lab, {"n": ns})
    assert {d.pid for d in found} == started
    assert [d.prog for d in found] == ["ovs-vswitchd", "ovsdb-server"]
    # also with the pid files gone: the namespace's processes still name the run dir
    for p in Path(rundir).glob("*.pid"):
        p.unlink()
    assert {d.pid for d in daemons.find("vnl-", lab, {"n": ns})} == started
    stopped = daemons.stop_lab("vnl-", lab, {"n": ns})
    assert {d.pid for d in stopped} == started
    assert ovs_pids_under(rundir) == []
    assert not daemons.lab_dir("vnl-", lab).exists()
