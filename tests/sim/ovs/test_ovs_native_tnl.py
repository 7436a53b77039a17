"""Native tunnels in a running emulated lab: ``examples/ovs-vxlan.yaml`` on the userspace
datapath (as the linux engine runs it without the kernel module) passes its checks with
the outer headers pushed and popped by the datapath itself, the neighbour learned by
ovs-vswitchd (not by the namespace's stack) and OVS's route table read from the bridge's
address."""

from __future__ import annotations

from pathlib import Path

from vnetlab.model import load_lab
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import run_checks

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "ovs-vxlan.yaml"


def netdev(lab: LabSpec) -> LabSpec:
    nodes = dict(lab.nodes)
    for n, node in lab.nodes.items():
        if node.ovs:
            ovs = {b: s.model_copy(update={"datapath_type": "netdev"})
                   for b, s in node.ovs.items()}
            nodes[n] = node.model_copy(update={"ovs": ovs})
    return lab.model_copy(update={"nodes": nodes})


def test_ovs_vxlan_on_the_userspace_datapath_pushes_and_pops() -> None:
    lab = netdev(load_lab(EXAMPLE))
    sim = SimEngine()
    sim.realize(lab)
    try:
        report = run_checks(sim, lab)
        assert [r.status for r in report.results] == ["pass"] * len(lab.checks)
        peers = {"host1": ("10.0.0.2", "10.0.0.1"), "host2": ("10.0.0.1", "10.0.0.2")}
        for host, (peer, own) in peers.items():
            vs = sim.ns(host).vswitchd
            assert vs is not None
            flows = vs.appctl(["dpctl/dump-flows"]).stdout
            assert f"ipv4(src={own},dst={peer},proto=17,tos=0,ttl=64,frag=0x4000)" in flows
            assert "vxlan(flags=0x8000000,vni=0x64)),out_port(" in flows
            assert "actions:tnl_pop(" in flows
            assert "set(tunnel(" not in flows
            neigh = vs.appctl(["tnl/neigh/show"]).stdout.splitlines()
            assert any(ln.startswith(peer) and ln.endswith("ovs-br0") for ln in neigh)
            routes = vs.appctl(["ovs/route/show"]).stdout
            assert f"Cached: 10.0.0.0/24 dev ovs-br0 SRC {own}\n" in routes
    finally:
        sim.teardown()
