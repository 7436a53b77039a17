"""After the same frames, the emulated datapath and MAC table equal real ovs-vswitchd's.

Frames enter the real daemon with ``netdev-dummy/receive PORT HEX`` and the emulated one
through its datapath input on the same port; then ``fdb/show`` (ages aside) and
``dpctl/dump-flows`` (``used:`` aside; megaflows, masks, packet and byte counters, actions)
must be equal. The real datapath lists flows in hash order, so lines are compared sorted.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.sim.ovs.difflab import Port, Setup, apply_oracle, apply_sim
from tests.sim.ovs.oracle import missing, oracle
from tests.sim.ovs.test_ovs_trace_oracle import PIPELINE
from vnetlab.sim.netdev import Skb

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def mac(n: int) -> bytes:
    return bytes([0, 0, 0, 0, 0, n])


def eth(dst: bytes, src: bytes, vid: int | None = None) -> bytes:
    tag = b"" if vid is None else b"\x81\x00" + vid.to_bytes(2, "big")
    return dst + src + tag


def ip(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def arp_request(src: int, spa: str, tpa: str, vid: int | None = None) -> bytes:
    return (eth(b"\xff" * 6, mac(src), vid) + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01"
            + mac(src) + ip(spa) + bytes(6) + ip(tpa))


def icmp(src: int, dst: int, vid: int | None = None) -> bytes:
    hdr = bytes([0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, src, 10, 0, 0, dst])
    return eth(mac(dst), mac(src), vid) + b"\x08\x00" + hdr + b"\x08\x00\xf7\xff\x00\x00\x00\x00"


SETUP = Setup(bridges={"br0": [Port("p1"), Port("p2", tag=10), Port("p3", tag=10),
                               Port("p4", trunks=(10, 20))]})
TRAFFIC: list[tuple[str, bytes]] = [
    ("p2", arp_request(1, "10.0.0.1", "10.0.0.2")),
    ("p3", icmp(2, 1)),
    ("p2", icmp(1, 2)),
    ("p2", icmp(1, 2)),
    ("p4", icmp(5, 1, vid=10)),
    ("p4", icmp(5, 1, vid=10)),
    ("p1", icmp(7, 8)),
    ("p1", icmp(7, 8)),
    ("p1", icmp(7, 8)),
]


def _fdb(text: str) -> list[str]:
    return sorted(" ".join(line.split()[:3]) for line in text.splitlines()[1:])


def _flows(text: str) -> list[str]:
    return sorted(re.sub(r"used:[^,]*, ", "", line) for line in text.splitlines())


PIPELINE_TRAFFIC: list[tuple[str, bytes]] = [
    ("p1", icmp(1, 2)), ("p1", icmp(1, 2)), ("p2", arp_request(2, "10.0.0.2", "10.0.0.1")),
    ("p4", icmp(4, 2)), ("p4", icmp(4, 2)), ("p3", icmp(3, 1)), ("p1", icmp(1, 51)),
]


@pytest.mark.parametrize(("setup", "traffic"), [
    (SETUP, TRAFFIC), (PIPELINE, PIPELINE_TRAFFIC)], ids=["normal-vlans", "pipeline"])
def test_fdb_and_megaflows_after_traffic_equal_real_ovs(
        tmp_path: Path, setup: Setup, traffic: list[tuple[str, bytes]]) -> None:
    vs = apply_sim(setup)
    with oracle(tmp_path) as o:
        apply_oracle(o, setup)
        for port, frame in traffic:
            o.appctl("netdev-dummy/receive", port, frame.hex())
            dpif = vs.bridges["br0"].dpif
            dp = dpif.port_by_name(port)
            assert dp is not None
            vs.dp_input(dpif, dp.port_no, Skb(frame))
        time.sleep(0.2)
        o.appctl("revalidator/wait")
        real_fdb = o.appctl("fdb/show", "br0").stdout
        real_flows = o.appctl("dpctl/dump-flows").stdout
        real_show = o.appctl("dpctl/show").stdout
        real_dpif = o.appctl("dpif/show").stdout
        real_br_flows = o.appctl("dpif/dump-flows", "br0").stdout
        o.appctl("revalidator/wait")
        real_rules = o.ofctl("dump-flows", "br0")
    ours_fdb = vs.appctl(["fdb/show", "br0"]).stdout
    ours_flows = vs.appctl(["dpctl/dump-flows"]).stdout
    assert ours_fdb.splitlines()[0] == real_fdb.splitlines()[0]
    assert _fdb(ours_fdb) == _fdb(real_fdb)
    assert _flows(ours_flows) == _flows(real_flows), f"ours:\n{ours_flows}\nreal:\n{real_flows}"
    assert vs.appctl(["dpctl/show"]).stdout == real_show
    assert vs.appctl(["dpif/show"]).stdout == real_dpif
    assert _flows(vs.appctl(["dpif/dump-flows", "br0"]).stdout) == _flows(real_br_flows)
    ages = re.compile(r" (duration|idle_age|hard_age)=[^,]*,")
    assert ages.sub("", vs.ofctl(["dump-flows", "br0"]).stdout) == ages.sub("", real_rules)


ERRORS = [
    ["fdb/show"],
    ["fdb/show", "br0", "x"],
    ["dpif/show", "x"],
    ["tnl/neigh/set", "br0", "1.1.1.1"],
    ["fdb/flush", "br0", "x"],
    ["dpif/dump-flows"],
    ["dpctl/dump-flows", "a", "b", "c", "d", "e", "f", "g"],
    ["fdb/show", "nobr"],
    ["fdb/flush", "nobr"],
    ["dpif/dump-flows", "nobr"],
    ["ofproto/trace", "nobr", "in_port=1"],
    ["ofproto/trace", "br0", "in_port=1,foo=3"],
    ["ofproto/trace", "br0", "in_port=p9"],
    ["ofproto/trace", "br0", "in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),"
     "eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=6,tos=0,ttl=64,frag=no),"
     "tcp(src=1,dst=2)"],
    ["nosuch/cmd"],
]


def test_appctl_errors_and_datapath_syntax_equal_real_ovs(tmp_path: Path) -> None:
    vs = apply_sim(SETUP)
    odp_flow = ("in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800),"
                "ipv4(src=1.1.1.1,dst=2.2.2.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1,dst=2)")
    with oracle(tmp_path) as o:
        apply_oracle(o, SETUP)
        for argv in ERRORS:
            real = o.appctl(*argv, check=False)
            ours = vs.appctl(argv)
            assert (ours.status, ours.stdout) == (real.returncode, real.stdout), argv
            assert ours.stderr.splitlines()[0] == real.stderr.splitlines()[0], argv
            assert ours.stderr.splitlines()[1].endswith(": server returned an error")
        real_trace = o.appctl("ofproto/trace", odp_flow).stdout
    ours_trace = vs.appctl(["ofproto/trace", odp_flow]).stdout
    assert ours_trace == real_trace


LEARN = Setup(
    bridges={"br0": [Port("p1"), Port("p2"), Port("p3", tag=10)]},
    flows=[("br0", "table=0,priority=10,actions=learn(table=1,hard_timeout=60,"
                   "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
                   "output:NXM_OF_IN_PORT[]),resubmit(,1)"),
           ("br0", "table=1,priority=0,actions=NORMAL")])
GENERATE = [
    "in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02",
    "in_port=2,dl_src=00:00:00:00:00:02,dl_dst=00:00:00:00:00:01",
    "in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02",
]
NORMAL_GENERATE = [
    "in_port=3,dl_src=00:00:00:00:00:03,dl_dst=ff:ff:ff:ff:ff:ff",
    "in_port=2,dl_vlan=10,dl_src=00:00:00:00:00:04,dl_dst=00:00:00:00:00:03",
    "in_port=3,dl_src=00:00:00:00:00:03,dl_dst=00:00:00:00:00:04",
]


@pytest.mark.parametrize(("setup", "flows"), [(LEARN, GENERATE), (SETUP, NORMAL_GENERATE)],
                         ids=["learn", "normal"])
def test_generate_traces_learn_like_real_ovs(tmp_path: Path, setup: Setup,
                                             flows: list[str]) -> None:
    """``-generate`` has side effects (MAC learning, learned flows): a sequence of traces
    reads the same on both sides, and so do the flow table and the MAC table after."""
    vs = apply_sim(setup)
    with oracle(tmp_path) as o:
        apply_oracle(o, setup)
        for flow in flows:
            real = o.appctl("ofproto/trace", "br0", flow, "-generate").stdout
            ours = vs.appctl(["ofproto/trace", "br0", flow, "-generate"]).stdout
            assert ours == real, f"ours:\n{ours}\nreal:\n{real}"
        real_dump = o.ofctl("dump-flows", "br0", "--no-stats")
        real_fdb = o.appctl("fdb/show", "br0").stdout
    # (the order of rules within a table follows the classifier's hash order in OVS)
    assert sorted(vs.ofctl(["--no-stats", "dump-flows", "br0"]).stdout.splitlines()) == \
        sorted(real_dump.splitlines())
    assert _fdb(vs.appctl(["fdb/show", "br0"]).stdout) == _fdb(real_fdb)
