"""Labs with Open vSwitch on the real kernel: each node's own ovsdb-server + ovs-vswitchd
(userspace datapath on this host), NORMAL, secure fail_mode + flows, exercise 4's mirror
seen by tcpdump on the monitoring port, ``vnetlab exec`` reaching the lab's own daemons,
and nothing left behind by ``down``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kernel.ovs.labs import needs_ovs, ovs_lab, ovs_pids_under, ovs_raw
from tests.kernel.test_gc import wait_for_line
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ovs import daemons
from vnetlab.wire.pcap import read_pcap

pytestmark = [pytest.mark.kernel, needs_ovs]
VN = [sys.executable, "-m", "vnetlab.cli.main"]
TCP = """
import socket, sys
if sys.argv[1] == "serve":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.0.2", 5001)); s.listen(1); s.settimeout(8)
    print("LISTENING", flush=True)
    c, _ = s.accept(); c.settimeout(8)
    c.sendall(c.recv(100).upper() * 1000)
    c.close()
else:
    c = socket.create_connection(("10.0.0.2", 5001), timeout=5)
    c.sendall(b"hello")
    got = b""
    while len(got) < 5000:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += chunk
    print(len(got), got[:5].decode())
"""


def name(tag: str) -> str:
    return f"ko{tag}{os.getpid()}"


@pytest.fixture
def built(request: pytest.FixtureRequest) -> Iterator[LinuxEngine]:
    """The lab ``request.param`` (kwargs of ``ovs_lab``) up; always removed again."""
    kw: dict[str, Any] = dict(getattr(request, "param", {}))
    lab = ovs_lab(name(kw.pop("tag", "n")), **kw)
    eng = LinuxEngine()
    try:
        eng.realize(lab)
        yield eng
    finally:
        eng.teardown()
        assert ovs_pids_under(str(daemons.lab_dir("vnl-", lab.name))) == []
        assert not daemons.lab_dir("vnl-", lab.name).exists()


def ofctl(eng: LinuxEngine, *args: str) -> str:
    done = eng.exec("host", ["ovs-ofctl", *args], capture=True, timeout_s=10)
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_normal_bridge_pings_and_carries_tcp(built: LinuxEngine) -> None:
    eng = built
    assert eng.ping("a", IPv4Address("10.0.0.2"), count=2).reachable
    assert eng.ping("b", IPv4Address("10.0.0.254")).reachable  # the bridge's own port
    assert eng.ping("a", IPv4Address("10.0.1.1")).reachable  # an internal port, routed
    # TCP through veth ports on the userspace datapath (checksum offload off on the senders)
    assert eng.record is not None
    nsb, nsa = eng.record.namespaces["b"], eng.record.namespaces["a"]
    server = subprocess.Popen(["ip", "netns", "exec", nsb, sys.executable, "-c", TCP, "serve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(server, "LISTENING", 10)
        client = subprocess.run(["ip", "netns", "exec", nsa, sys.executable, "-c", TCP, "go"],
                                capture_output=True, text=True, timeout=20, check=False)
        assert client.stdout.split() == ["5000", "HELLO"], client.stderr
    finally:
        server.kill()
        server.wait(timeout=10)
    # the devices ovs-vswitchd made carry the lab's tag, the bridge its MAC from the model
    host = eng.exec("host", ["ip", "-d", "link", "show", "br0"], capture=True, timeout_s=10)
    assert isinstance(host, subprocess.CompletedProcess)
    assert eng.lab is not None
    assert eng.lab.nodes["host"].ovs["br0"].mac in host.stdout
    assert f"alias vnetlab:{eng.record.lab}:{eng.record.run_id}" in host.stdout
    # pid + start time of both daemons are in the lab's record
    rec = runtime.find(eng.record.lab, "vnl-")
    assert rec is not None
    assert sorted(d["prog"] for d in rec.ovs) == ["ovs-vswitchd", "ovsdb-server"]
    for d in rec.ovs:
        assert runtime.proc_start_time(d["pid"]) == d["start"]
        assert d["pid"] in nl.pids_in_netns(rec.namespaces["host"])
    # the bridge's MAC learning table reaches observe (what fdb checks read)
    from vnetlab.model.state import FdbState

    fdb = set(eng.observe().nodes["host"].fdb)
    macs = {n: eng.lab.nodes[n].interfaces["eth0"].mac for n in ("a", "b")}
    assert {FdbState("br0", "veth1", str(macs["a"])),
            FdbState("br0", "veth2", str(macs["b"]))} <= fdb
    # the node's own stack answers only through the bridge's port: a resolved the
    # bridge's address to br0's MAC, and host learned no neighbour on a port
    state = eng.observe()
    assert {(n.dst, n.lladdr) for n in state.nodes["b"].neighs if n.dst == "10.0.0.254"} \
        == {("10.0.0.254", str(eng.lab.nodes["host"].ovs["br0"].mac))}
    assert not [n for n in state.nodes["host"].neighs if n.dev.startswith("veth")]
    # standalone: the visible NORMAL flow, counting what went through
    flows = ofctl(eng, "--no-stats", "dump-flows", "br0")
    assert flows.splitlines() == [" priority=0 actions=NORMAL"]


@pytest.mark.parametrize("built", [{
    "tag": "s", "fail_mode": "secure", "mirror": False,
    "flows": ["priority=10,in_port=veth1,actions=output:veth2",
              "priority=10,in_port=veth2,actions=output:veth1"]}], indirect=True)
def test_secure_fail_mode_forwards_only_what_the_flows_say(built: LinuxEngine) -> None:
    eng = built
    assert eng.ping("a", IPv4Address("10.0.0.2"), count=2).reachable
    # the datapath's counters reach the OpenFlow rules on a revalidator round: wait for one
    done = eng.exec("host", ["ovs-appctl", "revalidator/wait"], capture=True, timeout_s=10)
    assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0, done
    lines = ofctl(eng, "dump-flows", "br0").splitlines()[1:]
    counted = {ln.split("priority=")[1]: int(ln.split("n_packets=")[1].split(",")[0])
               for ln in lines}
    assert set(counted) == {"10,in_port=1 actions=output:2",  # ofport_request honoured
                            "10,in_port=2 actions=output:1"}
    assert all(n >= 3 for n in counted.values())  # ARP + 2 echoes each way
    # secure: with the flows gone nothing passes (no NORMAL fallback)
    ofctl(eng, "del-flows", "br0")
    assert not eng.ping("a", IPv4Address("10.0.0.2"), count=1, timeout_s=1).reachable
    assert ofctl(eng, "dump-flows", "br0").splitlines()[1:] == []
    assert not eng.ping("b", IPv4Address("10.0.0.254"), count=1, timeout_s=1).reachable


def _icmp(frames: list[tuple[int, bytes]]) -> list[tuple[str, str, int]]:
    """(src, dst, ICMP type) of the IPv4 ICMP frames."""
    out = []
    for _, f in frames:
        if len(f) >= 35 and f[12:14] == b"\x08\x00" and f[23] == 1:
            ihl = (f[14] & 0xF) * 4
            out.append((str(IPv4Address(f[26:30])), str(IPv4Address(f[30:34])),
                        f[14 + ihl]))
    return out


def test_exercise4_mirror_copies_both_directions_of_port1_to_port3(
        built: LinuxEngine, tmp_path: Path) -> None:
    eng = built
    pcap = tmp_path / "mon.pcap"
    eng.start_capture("mon", "eth0", pcap)
    try:
        assert eng.ping("a", IPv4Address("10.0.0.2"), count=3).reachable  # NORMAL delivers
    finally:
        eng.stop_captures()
    seen = _icmp(read_pcap(pcap))
    assert seen.count(("10.0.0.1", "10.0.0.2", 8)) == 3  # what came in on port 1
    assert seen.count(("10.0.0.2", "10.0.0.1", 0)) == 3  # what went out of port 1
    # b's own traffic to the bridge does not touch port 1 once the bridge learned where
    # each MAC is (the first frame to an unknown MAC is flooded, port 1 included)
    assert eng.ping("b", IPv4Address("10.0.0.254"), count=1).reachable
    pcap2 = tmp_path / "mon2.pcap"
    eng.start_capture("mon", "eth0", pcap2)
    try:
        assert eng.ping("b", IPv4Address("10.0.0.254"), count=2).reachable
    finally:
        eng.stop_captures()
    assert [s for s in _icmp(read_pcap(pcap2)) if "10.0.0.254" in s[:2]] == []


def test_up_exec_down_through_the_cli(tmp_path: Path) -> None:
    lab = name("c")
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(ovs_raw(lab)))
    env = {**os.environ}

    def vn(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*VN, *args], capture_output=True, text=True, timeout=60,
                              env=env, check=False)

    try:
        up = vn("up", str(path), "--engine", "linux")
        assert up.returncode == 0, up.stderr
        r = vn("exec", lab, "host", "--", "ovs-ofctl", "dump-flows", "br0")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("NXST_FLOW reply") and "actions=NORMAL" in r.stdout
        r = vn("exec", lab, "host", "--", "ovs-vsctl", "get", "Interface", "veth3", "ofport")
        assert (r.returncode, r.stdout) == (0, "3\n")
        r = vn("exec", lab, "host", "--", "ovs-appctl", "dpif/show")
        assert r.returncode == 0 and "netdev@ovs-netdev" in r.stdout, r.stderr
        # a node without OVS gets no OVS environment
        r = vn("exec", lab, "a", "--", "sh", "-c", "echo ${OVS_RUNDIR:-none}")
        assert r.stdout == "none\n"
        pids = ovs_pids_under(str(daemons.lab_dir("vnl-", lab)))
        assert len(pids) == 2
        down = vn("down", lab)
        assert down.returncode == 0, down.stderr
        assert "still running" not in down.stderr  # our daemons are not the user's
        assert "4 namespaces removed" in down.stdout
        assert ovs_pids_under(str(daemons.lab_dir("vnl-", lab))) == []
        assert not daemons.lab_dir("vnl-", lab).exists()
        assert not [n for n in nl.list_netns() if n.startswith(f"vnl-{lab}.")]
    finally:
        if runtime.find(lab, "vnl-") is not None:
            vn("down", lab)


def _nothing_left(lab: str) -> None:
    assert ovs_pids_under(str(daemons.lab_dir("vnl-", lab))) == []
    assert not daemons.lab_dir("vnl-", lab).exists()
    assert not [n for n in nl.list_netns() if n.startswith(f"vnl-{lab}.")]
    assert runtime.find(lab, "vnl-") is None


def test_a_failure_after_the_daemons_started_rolls_everything_back() -> None:
    from vnetlab.engine import EngineError
    from vnetlab.kernel.ovs.ops import OvsTool

    lab = ovs_lab(name("f"))
    eng = LinuxEngine()
    at = next(i for i, op in enumerate(eng.plan(lab)) if isinstance(op, OvsTool))
    try:
        with pytest.raises(EngineError, match="injected failure"):
            eng.realize(lab, fail_at=at + 1)  # after add-br: both daemons run, br0 exists
        _nothing_left(lab.name)
    finally:
        eng.teardown()


def test_a_flow_ovs_ofctl_refuses_is_its_own_message_and_nothing_is_left() -> None:
    from vnetlab.engine import EngineError

    lab = ovs_lab(name("b"), flows=["in_port=veth1,actions=output:nope"])
    eng = LinuxEngine()
    try:
        with pytest.raises(EngineError) as err:
            eng.realize(lab)
        msg = str(err.value)
        assert "`ovs-ofctl add-flow br0 in_port=veth1,actions=output:nope` failed: " \
               "ovs-ofctl: nope: output to unknown port" in msg, msg
        _nothing_left(lab.name)
    finally:
        eng.teardown()


def test_vxlan_between_two_ovs_hosts_on_the_userspace_datapath() -> None:
    """The first packet through the tunnel already arrives (tunnel neighbours seeded),
    the outer headers are real VXLAN on the underlay, and the datapath cache shows the
    encapsulation (``tnl_push``) and decapsulation (``tnl_pop``)."""
    from tests.kernel.ovs.labs import vxlan_lab

    lab = vxlan_lab(name("v"))
    eng = LinuxEngine()
    try:
        eng.realize(lab)
        assert eng.ping("h1", IPv4Address("10.0.0.2"), count=1).reachable  # the first one
        assert eng.ping("h2", IPv4Address("10.0.0.1"), count=1).reachable
        dump = eng.exec("h1", ["ovs-appctl", "dpctl/dump-flows"], capture=True, timeout_s=10)
        assert isinstance(dump, subprocess.CompletedProcess) and dump.returncode == 0
        assert "tnl_push(tnl_port(" in dump.stdout and "vni=0x64" in dump.stdout
        assert "tnl_pop(" in dump.stdout
    finally:
        eng.teardown()
    _nothing_left(lab.name)


def test_vlan_access_ports_across_patch_ports() -> None:
    from tests.kernel.ovs.labs import vlan_patch_lab

    lab = vlan_patch_lab(name("l"))
    eng = LinuxEngine()
    try:
        eng.realize(lab)
        assert eng.ping("a", IPv4Address("10.0.0.3"), count=2).reachable  # VLAN 10, br0->br1
        assert not eng.ping("a", IPv4Address("10.0.0.2"), count=1, timeout_s=1).reachable
        assert not eng.ping("b", IPv4Address("10.0.0.3"), count=1, timeout_s=1).reachable
    finally:
        eng.teardown()
    _nothing_left(lab.name)


def test_pipeline_acl_goto_table_and_group() -> None:
    from tests.kernel.ovs.labs import pipeline_lab

    lab = pipeline_lab(name("p"))
    eng = LinuxEngine()
    try:
        eng.realize(lab)
        assert eng.ping("a", IPv4Address("10.0.0.3"), count=2).reachable
        assert eng.ping("c", IPv4Address("10.0.0.254"), count=1).reachable  # LOCAL
        assert not eng.ping("b", IPv4Address("10.0.0.3"), count=1, timeout_s=1).reachable
        groups = ofctl(eng, "-O", "OpenFlow13", "dump-groups", "br0").splitlines()[1:]
        assert groups == [" group_id=1,type=all,bucket=actions=NORMAL"]
        flows = ofctl(eng, "--no-stats", "dump-flows", "br0").splitlines()
        assert flows[:2] == [" priority=100,ip,nw_src=10.0.0.2 actions=drop",
                             " priority=0 actions=resubmit(,1)"]  # goto_table, as OF1.0 says
        assert flows[2:] == [" table=1, priority=0 actions=group:1"]
    finally:
        eng.teardown()
    _nothing_left(lab.name)


def test_the_printed_plan_builds_the_lab_by_hand_and_its_undo_lines_remove_it(
        tmp_path: Path) -> None:
    """``vnetlab up --dry-run`` prints what the engine runs: run by ``sh`` it builds the
    same lab (ping through the bridge), and the ``# remove it`` lines take it all away."""
    from vnetlab.kernel.plan import plan_script

    lab = ovs_lab(name("h"))
    script = plan_script(lab)
    undo = [ln[4:] for ln in script.splitlines() if ln.startswith("#   ")]
    (tmp_path / "up.sh").write_text(script)
    (tmp_path / "down.sh").write_text("\n".join(undo) + "\n")
    try:
        done = subprocess.run(["sh", str(tmp_path / "up.sh")], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        ping = subprocess.run(["ip", "netns", "exec", f"vnl-{lab.name}.a", "ping", "-c", "1",
                               "-W", "2", "10.0.0.2"], capture_output=True, text=True,
                              timeout=10, check=False)
        assert ping.returncode == 0, ping.stdout
    finally:
        subprocess.run(["sh", str(tmp_path / "down.sh")], capture_output=True, timeout=30,
                       check=False)
        rundir = str(daemons.node_dir("vnl-", lab.name, "host"))
        left = daemons.stop([daemons.OvsDaemon("?", pid, None, "host", rundir)
                             for pid in ovs_pids_under(rundir)])  # waits for the SIGTERMed
        for ns in nl.list_netns():
            if ns.startswith(f"vnl-{lab.name}."):  # only if down.sh failed
                nl.remove_netns(ns)
    assert left == []
    _nothing_left(lab.name)


def test_exercise4_checks_pass_through_vnetlab_run(tmp_path: Path) -> None:
    """ping, fdb and frames checks of an OVS lab through ``vnetlab run --engine linux``:
    the mirror port sees both directions of port 1's traffic, b's own does not go there."""
    import json

    raw = ovs_raw(name("r"))
    raw["checks"] = [
        {"ping": "a -> 10.0.0.2"},
        {"fdb": "host:br0", "mac": "a:eth0", "port": "veth1"},
        {"fdb": "host:br0", "mac": "b:eth0", "port": "veth2"},
        {"frames": "mon:eth0", "match": {"proto": "icmp", "op": "echo-request",
                                         "src": "a:eth0"}},
        {"frames": "mon:eth0", "match": {"proto": "icmp", "op": "echo-reply",
                                         "src": "b:eth0"}},
    ]
    path = tmp_path / "ex4.yaml"
    path.write_text(yaml.safe_dump(raw))
    r = subprocess.run([*VN, "run", str(path), "--engine", "linux", "--json"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    results = json.loads(r.stdout)["results"]
    assert [x["status"] for x in results] == ["pass"] * 5, results
    _nothing_left(raw["name"])
