"""Every example lab on both engines: same check verdicts, same normalised observed state.

The kernel is the oracle. Where the emulator differs, the test is ``xfail(strict=True)``
with the difference spelled out (see ``KNOWN``) until the emulator is fixed; deliberate,
documented differences live in ``normalize.py``, nowhere else.

IPv6 is on wherever the example leaves it on (the kernel's default): both engines settle
autoconfiguration before the checks (the emulator in virtual time until no address is
tentative and the initial MLD reports are out; the linux engine polls, bounded 5 s, until
no address is tentative), so the FDBs (learned entries the MLD/DAD/RS frames taught, and
every device's ``self`` multicast entries), the IPv6 neighbours and the addresses with
their flags are compared like everything else.

Open vSwitch labs: the emulator runs a copy of the lab pinned to the datapath type the
linux engine detected (``detect_datapath``: ``netdev`` without the openvswitch kernel
module) for every bridge that names none, since the emulator's own default is ``system``
and the two datapaths put different devices into the namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from normalize import check_statuses, differences

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ovs.plan import datapaths, detect_datapath, has_ovs
from vnetlab.model import load_lab
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import LabState
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import Report, run_checks

pytestmark = pytest.mark.kernel
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
ASPECTS = ("checks", "links", "fdb", "neighbours", "routes", "addrs")

#: (example stem, aspect) -> why the emulator disagrees with the kernel (xfail, strict)
KNOWN: dict[tuple[str, str], str] = {
    ("ovs-vlan", "neighbours"): (
        "the ARP for the unreachable 10.0.10.99: the kernel is still probing when the "
        "state is read (INCOMPLETE), the emulator's virtual time has run the probes out "
        "(FAILED)"),
    ("ovs-vxlan", "neighbours"): (
        "both engines resolve the VTEP in ovs-vswitchd's own tunnel neighbour cache "
        "(tnl_push/tnl_pop), but the kernel's ovs-br0 tap counts RX 0 / TX 0 and its "
        "namespace learns no neighbour, while the emulator's ovs-br0 hands the ARP "
        "broadcasts NORMAL floods to LOCAL to the namespace's stack, which answers and "
        "learns; why the real tap passes nothing is not explained yet"),
    ("ovs-vxlan", "fdb"): (
        "tap-vm1's solicited-node group 33:33:ff:4a:c0:45: the linux engine sets IFF_NOARP "
        "on every port of a userspace-datapath OVS bridge (kernel.ovs.ops.ArpOff, so the "
        "node's stack does not answer on the port) and addrconf_join_solict skips NOARP "
        "devices, so the kernel's port lists no 33:33:ff:* self entry; the emulator's port "
        "is not NOARP and joins it"),
    ("security-arp-spoofing-ovs", "fdb"): (
        "atk0's solicited-node group 33:33:ff:3f:cb:4e: the OVS port is IFF_NOARP on the "
        "kernel (kernel.ovs.ops.ArpOff) and addrconf_join_solict skips NOARP devices; the "
        "emulator's port joins it"),
    ("stp-triangle", "fdb"): (
        "after the a12 failure br1 (now a leaf behind br3) learns h2 on a13 in the emulator "
        "but h3 in the kernel: which flooded frames reach br1 while topology-change ageing "
        "(forward_delay) runs differs; not yet explained"
    ),
}


@dataclass
class Both:
    sim: Report
    linux: Report
    sim_state: LabState
    linux_state: LabState


_cache: dict[Path, Both | str] = {}


def run_both(path: Path) -> Both | str:
    """Run the lab on both engines (once per module); a string: why it cannot run."""
    if path in _cache:
        return _cache[path]
    lab = load_lab(path)
    sim = SimEngine()
    try:
        sim.realize(pinned(lab))
    except UnsupportedError as e:
        _cache[path] = f"the emulator cannot run it: {e}"
        return _cache[path]
    sim_report = run_checks(sim, pinned(lab))
    sim_state = sim.observe()
    sim.teardown()
    linux = LinuxEngine()
    try:
        try:
            linux.plan(lab)
        except UnsupportedError as e:
            _cache[path] = str(e)
            return _cache[path]
        linux.realize(lab)
        linux_report = run_checks(linux, lab)
        linux_state = linux.observe()
    finally:
        linux.teardown()
    _cache[path] = Both(sim_report, linux_report, sim_state, linux_state)
    return _cache[path]


def pinned(lab: LabSpec) -> LabSpec:
    """LAB with every OVS bridge on the datapath the linux engine will give it."""
    if not has_ovs(lab):
        return lab
    nodes = dict(lab.nodes)
    for (node, br), dp in datapaths(lab, detect_datapath()).items():
        ovs = dict(nodes[node].ovs)
        ovs[br] = ovs[br].model_copy(update={"datapath_type": dp})
        nodes[node] = nodes[node].model_copy(update={"ovs": ovs})
    return lab.model_copy(update={"nodes": nodes})


@pytest.fixture(scope="module", autouse=True)
def _clear() -> Iterator[None]:
    yield
    _cache.clear()


#: KNOWN differences the kernel shows only on some runs (not strict: a run where the two
#: engines happen to agree is not a failure). ovs-vxlan's neighbours agreed in a quiet
#: fresh-clone CI run with IPv6 on (2026-12-03) and differed in the run before it.
UNSTEADY: frozenset[tuple[str, str]] = frozenset({("ovs-vxlan", "neighbours")})


def params() -> list[object]:
    out: list[object] = []
    for p in EXAMPLES:
        for aspect in ASPECTS:
            marks = []
            why = KNOWN.get((p.stem, aspect))
            if why:
                marks.append(pytest.mark.xfail(strict=(p.stem, aspect) not in UNSTEADY,
                                               reason=why))
            out.append(pytest.param(p, aspect, id=f"{p.stem}-{aspect}", marks=marks))
    return out


@pytest.mark.parametrize("path,aspect", params())
def test_engines_agree(path: Path, aspect: str) -> None:
    both = run_both(path)
    if isinstance(both, str):
        pytest.skip(both)
    if aspect == "checks":
        s, k = check_statuses(both.sim), check_statuses(both.linux)
        diff = [f"check {i} {k[i][1]}: emulator {s[i][2]}, kernel {k[i][2]}"
                for i in sorted(k) if s.get(i) != k[i]]
        assert not diff, "\n".join(diff)
        return
    diff = differences(both.sim_state, both.linux_state, aspect)
    assert not diff, "\n".join(diff)
