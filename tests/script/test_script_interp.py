"""The script interpreter on the emulator: commands, output shapes, errors, jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vnetlab.script import run_script

VETH_NS = """\
ip link add veth0 type veth peer name veth1
ip netns add ns1
ip link set veth1 netns ns1
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip netns exec ns1 ip addr add 10.0.0.2/24 dev veth1
ip netns exec ns1 ip link set veth1 up
"""


def run(text: str, **kw: object) -> tuple[int, list[str], list[str], object]:
    out: list[str] = []
    err: list[str] = []
    rc, it = run_script(text, out=out.append, err=err.append, source="t.sh", **kw)  # type: ignore[arg-type]
    return rc, out, err, it


def test_seed_veth_block_pings() -> None:
    rc, out, err, _ = run(VETH_NS + "ping -c 2 10.0.0.2\n")
    assert rc == 0, err
    assert "2 packets transmitted, 2 received, 0% packet loss, time 1000ms" in out
    assert out[0] == "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data."
    assert out[1].startswith("64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=")


def test_json_link_has_iproute2_keys_and_types() -> None:
    rc, out, err, _ = run(VETH_NS + "ip -j link show veth0\nip -j addr show dev veth0\n")
    assert rc == 0, err
    link = json.loads(out[0])[0]
    assert list(link) == ["ifindex", "link_index", "ifname", "flags", "mtu", "qdisc",
                          "operstate", "linkmode", "group", "txqlen", "link_type", "address",
                          "broadcast", "link_netnsid"]
    assert link["flags"] == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
    assert isinstance(link["mtu"], int) and link["operstate"] == "UP"
    addr = json.loads(out[1])[0]["addr_info"][0]
    assert addr == {"family": "inet", "local": "10.0.0.1", "prefixlen": 24, "scope": "global",
                    "label": "veth0", "valid_life_time": 4294967295,
                    "preferred_life_time": 4294967295}


def test_plain_and_brief_layouts() -> None:
    rc, out, _, _ = run(VETH_NS + "ip -br addr show veth0\nip link show veth0\nip route\n")
    assert rc == 0
    # IPv6 is on, as on the kernel: after IPv4's, the EUI-64 link-local of the MAC
    assert out[0] == "veth0@if3        UP             10.0.0.1/24 fe80::da:82ff:fe30:13d4/64 "
    assert out[1].startswith("4: veth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc "
                             "noqueue state UP mode DEFAULT group default qlen 1000")
    assert out[2].endswith("link-netns ns1")
    assert out[3] == "10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 "


@pytest.mark.parametrize("line, message, rc", [
    ("ip link set nope up", 'Cannot find device "nope"', 1),
    ("ip link add veth0 type veth peer name x", "RTNETLINK answers: File exists", 2),
    ("ip addr add 10.0.0.1/24 dev veth0", "Error: ipv4: Address already assigned.", 2),
    ("ip route del 10.9.0.0/24", "RTNETLINK answers: No such process", 2),
    ("ip route add 10.9.0.0/24 via 192.0.2.1", "Error: Nexthop has invalid gateway.", 2),
    ("ip link add x0 type nosuchkind", "Error: Unknown device type.", 2),
    ("ip addr del 10.9.9.9/24 dev veth0", "Error: ipv4: Address not found.", 2),
    ("ip netns add ns1", 'Cannot create namespace file "/run/netns/ns1": File exists', 1),
    ("ip link show nope", 'Device "nope" does not exist.', 1),
    ("ip foo", 'Object "foo" is unknown, try "ip help".', 255),
])
def test_errors_are_worded_like_iproute2_with_the_line(line: str, message: str, rc: int) -> None:
    n = VETH_NS.count("\n") + 1
    code, _, err, _ = run(VETH_NS + line + "\n")
    assert code == rc
    assert err[-1] == f"t.sh:{n}: {message}"


def test_set_e_stops_at_the_failing_line() -> None:
    rc, out, err, _ = run("set -e\necho one\nip link set nope up\necho two\n")
    assert rc == 1 and out == ["one"]
    assert err[0] == 't.sh:3: Cannot find device "nope"'
    rc, out, _, _ = run("echo one\nip link set nope up\necho two\n")
    assert rc == 0 and out == ["one", "two"]


def test_placeholders_are_reported_or_filled() -> None:
    rc, _, err, _ = run("ip link set veth1 netns <namespace>\n")
    assert rc == 2 and "<namespace> is a placeholder" in err[0] and err[0].startswith("t.sh:1:")
    rc, _, err, it = run("ip netns add ns9\nip link add veth0 type veth peer name veth1\n"
                         "ip link set veth1 netns <namespace>\n", fills={"namespace": "ns9"})
    assert rc == 0, err
    assert "veth1" in it.world.namespaces["ns9"].devices  # type: ignore[attr-defined]


def test_variables_substitution_and_pipes() -> None:
    rc, out, err, _ = run('N=ns7\nip netns add $N\nip netns list | grep ns7\necho "$(whoami)"\n'
                          "bridge fdb show | grep vxlan\n")
    assert out == ["ns7", "root"]
    assert rc == 1  # grep found nothing, as in sh


def test_bridge_fdb_learning_and_ageing_on_virtual_time() -> None:
    script = """\
ip netns add a
ip netns add b
ip link add br0 type bridge ageing_time 1000
ip link set br0 up
ip link add va type veth peer name eth0 netns a
ip link add vb type veth peer name eth0 netns b
ip link set va master br0
ip link set vb master br0
ip link set va up
ip link set vb up
ip -n a addr add 192.168.1.2/24 dev eth0
ip -n b addr add 192.168.1.3/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip netns exec a ping -c 1 -q 192.168.1.3
bridge -j fdb show br br0 state ""
sleep 60
bridge -j fdb show br br0 state ""
"""
    rc, out, err, _ = run(script)
    assert rc == 0, err
    learned = json.loads(out[-2])
    assert {e["ifname"] for e in learned} == {"va", "vb"}
    assert set(learned[0]) == {"mac", "ifname", "flags", "master", "state"}
    assert json.loads(out[-1]) == []  # ageing_time 1000 cs = 10 s


def test_background_tcpdump_and_pcap(tmp_path: object) -> None:
    script = VETH_NS + ("tcpdump -i veth0 -n -c 2 icmp &\nping -c 2 -q 10.0.0.2\n"
                        "tcpdump -i veth0 -w cap.pcap &\nping -c 1 -q 10.0.0.2\nkill %2\n")
    out: list[str] = []
    err: list[str] = []
    from vnetlab.script import Interpreter

    it = Interpreter(out=out.append, err=err.append, source="t.sh")
    it.world.file_root = tmp_path  # type: ignore[assignment]
    rc = it.run_text(script)
    assert rc == 0, err
    cap = [ln for ln in out if "ICMP" in ln]
    assert len(cap) == 2 and "IP 10.0.0.1 > 10.0.0.2: ICMP echo request" in cap[0]
    assert "2 packets captured" in err
    from vnetlab.wire.pcap import read_pcap

    assert len(read_pcap(tmp_path / "cap.pcap")) >= 2  # type: ignore[operator]


def test_tcpdump_filter_syntax_error() -> None:
    rc, _, err, _ = run(VETH_NS + "tcpdump -i veth0 -c 1 'udp port'\n")
    assert rc == 1 and err[-1].endswith("tcpdump: syntax error in filter expression: syntax error")


def test_sysctl_and_proc_write_and_host_uplink() -> None:
    rc, out, err, it = run("echo 1 > /proc/sys/net/ipv4/ip_forward\nsysctl net.ipv4.ip_forward\n"
                           "ip link add name br0 type bridge\nip link set eth0 master br0\n"
                           "bridge -j link show\n")
    assert rc == 0, err
    assert out[0] == "net.ipv4.ip_forward = 1"
    assert json.loads(out[1])[0]["ifname"] == "eth0"
    assert it.world.namespaces["host"].stack.forwarding  # type: ignore[attr-defined]


def test_not_supported_yet_names_the_line() -> None:
    rc, _, err, _ = run("echo ok\nethtool -K eth0 tx off\n")
    assert rc == 2
    assert err[0].startswith("t.sh:2: ethtool: not supported yet in the vnetlab emulator")
    rc, _, err, _ = run("echo 1 > /sys/class/net/eth0/carrier\n")
    assert "writing /sys/class/net/eth0/carrier" in err[0] and "not supported yet" in err[0]


def test_link_del_netns_move_route_and_neigh() -> None:
    script = VETH_NS + """\
ip -n ns1 route add default via 10.0.0.1
ip -n ns1 neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev veth1
ip -n ns1 -j neigh show dev veth1
ip -n ns1 route del default
ip -n ns1 -j route
ip link set veth0 mtu 1400
ip addr del 10.0.0.1/24 dev veth0
ip -j route
ip link del veth0
ip -n ns1 -j link
"""
    rc, out, err, _ = run(script)
    assert rc == 0, err
    assert json.loads(out[0]) == [{"dst": "10.0.0.9", "lladdr": "02:00:00:00:00:09",
                                   "state": ["PERMANENT"]}]  # "dev" filtered: left out
    assert [r["dst"] for r in json.loads(out[1])] == ["10.0.0.0/24"]
    assert json.loads(out[2]) == []
    assert [d["ifname"] for d in json.loads(out[3])] == ["lo"]  # the peer went with it


def test_vlan_vxlan_geneve_macvlan() -> None:
    script = """\
ip link add link eth0 name eth0.100 type vlan id 100
ip link set eth0.100 up
ip addr add 10.100.0.1/24 dev eth0.100
ip link add vxlan100 type vxlan id 100 dstport 4789 dev eth0 local 10.0.0.1 remote 10.0.0.2
bridge fdb add 02:00:00:00:00:aa dev vxlan100 dst 10.0.0.3
bridge -j fdb show dev vxlan100
ip link add geneve0 type geneve id 42 remote 10.0.0.2
ip link add macvlan0 link eth0 type macvlan mode bridge
ip -j -d link show vxlan100
"""
    rc, out, err, _ = run(script)
    assert rc == 0, err
    fdb = json.loads(out[0])
    assert fdb[0] == {"mac": "00:00:00:00:00:00", "dst": "10.0.0.2", "viaIf": "eth0",
                      "flags": ["self"], "state": "permanent"}
    vx = json.loads(out[1])[0]
    assert vx["mtu"] == 1450 and vx["linkinfo"]["info_kind"] == "vxlan"


def test_stp_is_not_supported_yet_when_the_emulator_lacks_it() -> None:
    from vnetlab.sim.build import UNSUPPORTED

    rc, _, err, _ = run("ip link add br0 type bridge\nip link set br0 type bridge stp_state 1\n")
    if "bridge.stp" in UNSUPPORTED:
        assert rc == 2 and "not supported yet" in err[0] and err[0].startswith("t.sh:2:")
    else:
        assert rc == 0


def test_a_script_cannot_write_outside_cwd_and_tmp(tmp_path: Path) -> None:
    from vnetlab.script.interp import Interpreter

    target = Path("/etc/vnetlab-test-must-not-exist")
    it = Interpreter()
    rc = it.run_text(f"echo hi > {target}\n")
    assert rc != 0 and not target.exists()
    ok = tmp_path / "out.txt"
    assert Interpreter().run_text(f"echo hi > {ok}\n") == 0
    assert ok.read_text() == "hi\n"


def test_each_command_is_expanded_just_before_it_runs() -> None:
    from vnetlab.script.interp import Interpreter

    out: list[str] = []
    it = Interpreter(out=out.append)
    text = (
        'Y=1; echo "a:$Y"\n'
        'Z=2 && echo "b:$Z"\n'
        "ip link add v0 type veth peer name v1; N=$(ip -br link show v0 | wc -l); echo n=$N\n"
        'V="x;y"; echo "$V"\n'
    )
    assert it.run_text(text) == 0
    assert out == ["a:1", "b:2", "n=1", "x;y"]
