"""The commit of modified fields (``commit_odp_actions``) against real ovs-vswitchd.

A corpus of set_field / mod_* / load / move flows, one per in_port of a secure bridge,
each traced with a packet of the matching kind; the ``Datapath actions:`` and
``Megaflow:`` lines must equal the real daemon's (dummy datapath), and so must the whole
trace text. Covers Ethernet, VLAN, IPv4 (whole and masked tos/ecn/ttl), ARP (the
pipeline example's responder), TCP/UDP ports and ICMP type/code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sim.ovs.difflab import Port, Setup, apply_oracle, apply_sim
from tests.sim.ovs.oracle import Oracle, missing, oracle
from vnetlab.sim.ovs.appctl import run_appctl

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

M1, M2 = "00:00:00:00:00:01", "00:00:00:00:00:02"
ARP_REQ = (f"arp,dl_src={M1},dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=10.0.0.1,"
           f"arp_tpa=10.0.0.100,arp_sha={M1},arp_tha=00:00:00:00:00:00")
TCP = (f"tcp,dl_src={M1},dl_dst={M2},nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,"
       "tcp_src=1000,tcp_dst=80")
UDP = (f"udp,dl_src={M1},dl_dst={M2},nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,"
       "udp_src=1000,udp_dst=53")
ICMP = (f"icmp,dl_src={M1},dl_dst={M2},nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_ttl=64,"
        "icmp_type=8,icmp_code=0")
ETH = f"dl_src={M1},dl_dst={M2},dl_type=0x1234"

#: (actions, packet) — each becomes the flow of one in_port
CORPUS: list[tuple[str, str]] = [
    ("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:02:00:00:00:01:00,"
     "load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
     "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0x020000000100->NXM_NX_ARP_SHA[],"
     "load:0x0a000064->NXM_OF_ARP_SPA[],IN_PORT", ARP_REQ),
    ("load:0x2->NXM_OF_ARP_OP[],output:2", ARP_REQ),
    ("set_field:10.9.9.9->arp_tpa,set_field:00:00:00:00:00:99->arp_tha,output:2", ARP_REQ),
    ("mod_dl_dst:00:00:00:00:00:99,output:2", ETH),
    ("mod_dl_src:00:00:00:00:00:98,mod_dl_dst:00:00:00:00:00:99,output:2", ETH),
    ("load:0->NXM_OF_ETH_DST[0..7],output:2", ETH),
    ("mod_nw_src:10.1.1.1,output:2", TCP),
    ("mod_nw_dst:10.1.1.2,mod_nw_src:10.1.1.1,output:2", UDP),
    ("mod_nw_tos:32,output:2", TCP),
    ("set_field:3->nw_ecn,output:2", TCP),
    ("set_field:10->ip_dscp,output:2", UDP),
    ("mod_nw_ttl:9,output:2", TCP),
    ("dec_ttl,output:2", ICMP),
    ("load:0->NXM_OF_IP_DST[0..15],output:2", TCP),
    ("mod_tp_dst:8080,output:2", TCP),
    ("mod_tp_src:1,mod_tp_dst:2,output:2", UDP),
    ("set_field:99->tcp_src,output:2", TCP),
    ("load:0x35->NXM_OF_UDP_DST[],output:2", UDP),
    ("load:0->NXM_OF_UDP_SRC[8..15],output:2", UDP),
    ("set_field:0->icmp_type,output:2", ICMP),
    ("set_field:3->icmp_code,output:2", ICMP),
    ("mod_nw_src:10.1.1.1,mod_dl_dst:00:00:00:00:00:99,mod_vlan_vid:5,mod_tp_dst:1,output:2",
     TCP),
    ("mod_nw_src:10.1.1.1,output:2,mod_nw_src:10.0.0.1,output:3", TCP),
    ("mod_dl_dst:00:00:00:00:00:99,output:2,mod_dl_dst:00:00:00:00:00:02,output:3", ETH),
    ("mod_vlan_vid:7,mod_vlan_pcp:3,output:2,strip_vlan,mod_nw_tos:4,output:3", TCP),
    ("move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],move:NXM_OF_TCP_SRC[]->NXM_OF_TCP_DST[],"
     "output:2", TCP),
    ("load:0->NXM_OF_IP_TOS[2..7],mod_nw_ttl:1,output:2", ICMP),
]

N = len(CORPUS)


def _proto(packet: str) -> str:
    """The match's prerequisites: the packet's protocol keyword (none for plain Ethernet)."""
    kind = packet.split(",", 1)[0]
    return f"{kind}," if "=" not in kind else ""


SETUP = Setup(
    bridges={"br0": [Port(f"p{i}") for i in range(1, N + 4)]},
    fail_mode={"br0": "secure"},
    flows=[("br0", f"priority=10,in_port={i + 4},{_proto(pkt)}actions={a}")
           for i, (a, pkt) in enumerate(CORPUS)])


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    with oracle(tmp_path_factory.mktemp("commit")) as o:
        apply_oracle(o, SETUP)
        yield o


@pytest.mark.parametrize("i", range(N), ids=[a[:40] for a, _ in CORPUS])
def test_commit_matches_ovs(real: Oracle, i: int) -> None:
    vs = apply_sim(SETUP)
    flow = f"in_port={i + 4},{CORPUS[i][1]}"
    want = real.appctl("ofproto/trace", "br0", flow).stdout
    ours = run_appctl(vs, ["ofproto/trace", "br0", flow])
    assert ours.status == 0, ours.stderr
    for prefix in ("Datapath actions:", "Megaflow:"):
        assert _line(ours.stdout, prefix) == _line(want, prefix), (
            f"ours:\n{ours.stdout}\nreal:\n{want}")
    assert ours.stdout == want


def _line(text: str, prefix: str) -> str:
    return next((ln for ln in text.splitlines() if ln.startswith(prefix)), "")
