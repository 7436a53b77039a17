"""vnetlab.kernel.dump against iproute2 on the same namespaces: the live dumper's dicts
decode to the same state as `ip -j`/`bridge -j` output (scripts/collect-snapshot.sh), and
give the same lab. Namespaces built here with iproute2 (unique names, removed in the
fixture's teardown). IPv6 is off in them: its link-local addresses finish DAD at
their own time, which would change the state between the two reads."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vnetlab.snapshot import from_mapping, read_dir, snapshot
from vnetlab.snapshot.decode import decode
from vnetlab.snapshot.state import HostState

pytestmark = pytest.mark.kernel
ROOT = Path(__file__).resolve().parents[2]
TAG = f"snpd{os.getpid() % 100000}"
A, B = f"{TAG}-a", f"{TAG}-b"


def _sh(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(line, shell=True, capture_output=True, text=True, timeout=30,
                          check=False)


SETUP = f"""
ip netns add {A}
ip netns add {B}
ip netns exec {A} sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip netns exec {B} sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip -n {A} link add br0 type bridge stp_state 1 forward_delay 400 hello_time 300 priority 4096
ip -n {A} link add v0 type veth peer name e0 netns {B}
ip -n {A} link add v1 type veth peer name v1p
ip -n {A} link set v0 master br0
ip -n {A} link set v1 master br0
ip -n {A} link set dev v1 type bridge_slave hairpin on learning off isolated on cost 7
ip -n {A} link set br0 up
ip -n {A} link set v0 up
ip -n {A} link set v1 up
ip -n {A} link set v1p up
ip -n {B} link set e0 up mtu 1400
ip -n {A} addr add 10.0.0.1/24 dev br0
ip -n {B} addr add 10.0.0.2/24 dev e0
ip -n {B} route add default via 10.0.0.1 metric 5
ip -n {B} route add 10.9.9.9 via 10.0.0.1
ip -n {A} link add vx0 type vxlan id 100 dstport 4789 local 10.0.0.1 remote 10.0.0.9 \
 dev v1p ttl 9 nolearning
ip -n {A} link set vx0 master br0 up
bridge -n {A} fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.8
bridge -n {A} fdb add 02:00:00:00:00:77 dev v0 master static
ip -n {A} link add mv0 link br0 type macvlan mode private
ip -n {A} link set mv0 netns {B}
ip -n {B} link set mv0 up
ip -n {A} neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev br0 nud permanent
ip netns exec {A} ip tuntap add dev tp0 mode tap
ip netns exec {A} sysctl -qw net.ipv4.ip_forward=1
"""


@pytest.fixture(scope="module")
def namespaces() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    try:
        for line in SETUP.replace("\\\n", "").strip().splitlines():
            r = _sh(line)
            assert r.returncode == 0, f"{line}: {r.stderr}"
        yield A, B
    finally:
        _sh(f"ip netns del {A}")
        _sh(f"ip netns del {B}")


def _both(tmp: Path) -> tuple[HostState, HostState]:
    from vnetlab.kernel.dump import dump_namespaces

    live = decode([from_mapping(n, d) for n, d in dump_namespaces([A, B]).items()])
    r = subprocess.run(["sh", str(ROOT / "scripts" / "collect-snapshot.sh"), str(tmp), A, B],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    return live, decode(read_dir(tmp))


def _link_view(ln: Any, keys: dict[str, Any], skeys: dict[str, Any]) -> tuple[Any, ...]:
    return (ln.ifindex, ln.name, ln.kind, ln.admin_up, ln.operstate, ln.mtu, ln.mac,
            ln.master, ln.link_type, ln.link_name, ln.link_index, ln.link_netnsid,
            ln.slave_kind, ln.peer, ln.lower,
            {k: ln.info.get(k) for k in keys}, {k: ln.slave.get(k) for k in skeys})


def test_the_live_dump_decodes_like_iproute2(namespaces: tuple[str, str],
                                             tmp_path: Path) -> None:
    live, tool = _both(tmp_path)
    for name in (A, B):
        lv, tl = live.namespaces[name], tool.namespaces[name]
        assert set(lv.links) == set(tl.links)
        for ifname, ln in lv.links.items():
            # the dumper emits a subset of iproute2's info_data keys: those must agree
            assert _link_view(ln, ln.info, ln.slave) == _link_view(
                tl.links[ifname], ln.info, ln.slave), ifname
        assert set(lv.addrs) == set(tl.addrs)
        assert set(lv.routes) == set(tl.routes)
        assert set(lv.neighs) == set(tl.neighs)
        assert set(lv.fdb) == set(tl.fdb)
        assert lv.nsids == tl.nsids
        assert lv.ip_forward == tl.ip_forward
    a = live.namespaces[A].links
    assert a["br0"].info["stp_state"] == 1 and a["br0"].info["forward_delay"] == 400
    assert a["v1"].slave["hairpin"] is True and a["v1"].slave["cost"] == 7
    assert a["vx0"].info["remote"] == "10.0.0.9" and a["vx0"].info["link"] == "v1p"
    assert live.namespaces[B].links["mv0"].lower == (A, "br0")


def test_both_give_the_same_lab(namespaces: tuple[str, str], tmp_path: Path) -> None:
    import yaml

    from vnetlab.kernel.dump import dump_namespaces
    from vnetlab.model.load import load_lab_text

    live = snapshot([from_mapping(n, d) for n, d in dump_namespaces([A, B]).items()])
    r = subprocess.run(["sh", str(ROOT / "scripts" / "collect-snapshot.sh"), str(tmp_path),
                        A, B], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    collected = snapshot(read_dir(tmp_path))
    assert yaml.safe_load(live.yaml) == yaml.safe_load(collected.yaml)
    lab = load_lab_text(live.yaml, "live.yaml")
    br = lab.nodes[A].interfaces["br0"]
    assert (br.stp, br.priority, br.forward_delay, br.hello_time) == (True, 4096, 4, 3)
    port = lab.nodes[A].interfaces["v1"].bridge_port
    assert port is not None
    assert (port.hairpin, port.learning, port.isolated, port.cost) == (True, False, True, 7)
    assert [(f.mac, f.dev) for f in br.fdb] == [("02:00:00:00:00:77", "v0")]
    vx = lab.nodes[A].interfaces["vx0"]
    assert (str(vx.remote), vx.dev, vx.ttl) == ("10.0.0.9", "v1p", 9)
    assert [(f.mac, str(f.dst)) for f in vx.fdb] == [("00:00:00:00:00:00", "10.0.0.8")]
    assert lab.nodes[B].interfaces["mv0"].mode == "private"
    assert lab.nodes[B].interfaces["e0"].mtu == 1400
    assert {(r.dst, r.metric) for r in lab.nodes[B].routes} == {("default", 5),
                                                                ("10.9.9.9/32", 0)}
    assert lab.nodes[A].sysctls == {"net.ipv4.ip_forward": 1}
    # v1 and v1p: a veth pair inside one namespace
    assert any({str(e) for e in ln.endpoints} == {f"{A}:v1", f"{A}:v1p"} for ln in lab.links)
