"""The seed's SR-IOV commands in ``vnetlab script``: the sysfs files of the world's
``eth0`` (an SR-IOV NIC port, sriov_totalvfs 8), ``ip link set eth0 vf N ...`` with
iproute2's and the kernel's errors, ``ip link show eth0``'s VF lines as iproute2 6.1's
``print_vfinfo`` prints them (plain, ``-s``, ``-j``), and VFs moved into namespaces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vnetlab.script import run_script

SEED = """\
# Enable 4 VFs on physical function
echo 4 > /sys/class/net/eth0/device/sriov_numvfs
# Verify VFs created
ip link show eth0 # shows VF list
# Configure VF MAC/VLAN
ip link set eth0 vf 0 mac 00:11:22:33:44:55 vlan 100
"""

VF_DEFAULT = ("brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, trust off, "
              "query_rss off")


def run(text: str) -> tuple[int, list[str], list[str], Any]:
    out: list[str] = []
    err: list[str] = []
    rc, it = run_script(text, out=out.append, err=err.append, source="t.sh")
    return rc, out, err, it


def test_the_seeds_commands_run_verbatim() -> None:
    rc, out, err, it = run(SEED + "ip link show eth0\n")
    assert rc == 0, err
    assert err == []
    first = out[:6]
    assert first[0].startswith("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ")
    assert first[1].startswith("    link/ether ")
    assert first[2:] == [f"    vf {k}     link/ether 00:00:00:00:00:00 {VF_DEFAULT}"
                         for k in range(4)]
    assert out[8] == ("    vf 0     link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff, "
                      "vlan 100, spoof checking on, link-state auto, trust off, query_rss off")
    host = it.world.namespaces["host"]
    assert [n for n in host.devices if n.startswith("eth0v")] == [f"eth0v{k}" for k in range(4)]
    assert host.devices["eth0v0"].mac == bytes.fromhex("001122334455")  # the PF reset it


def test_the_issues_vf_line() -> None:
    rc, out, err, _ = run(
        "echo 1 > /sys/class/net/eth0/device/sriov_numvfs\n"
        "ip link set eth0 vf 0 mac 00:11:22:33:44:55 vlan 5 qos 1 state enable trust on "
        "query_rss on\nip link show eth0\n")
    assert rc == 0, err
    assert out[-1] == ("    vf 0     link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff, "
                       "vlan 5, qos 1, spoof checking on, link-state enable, trust on, "
                       "query_rss on")


def test_rates_and_the_8021ad_protocol_print_as_print_vfinfo_does() -> None:
    rc, out, err, _ = run(
        "echo 2 > /sys/class/net/eth0/device/sriov_numvfs\n"
        "ip link set eth0 vf 1 vlan 7 proto 802.1ad spoofchk off max_tx_rate 1000 "
        "min_tx_rate 100\nip link show eth0\n")
    assert rc == 0, err
    assert out[-1] == ("    vf 1     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, "
                       "vlan 7, vlan protocol 802.1ad, tx rate 1000 (Mbps), max_tx_rate "
                       "1000Mbps, min_tx_rate 100Mbps, spoof checking off, link-state auto, "
                       "trust off, query_rss off")


def test_the_legacy_rate_sets_max_tx_rate_and_keeps_min() -> None:
    rc, out, err, _ = run(
        "echo 1 > /sys/class/net/eth0/device/sriov_numvfs\n"
        "ip link set eth0 vf 0 min_tx_rate 10\n"  # max: the VF's current (0)
        "ip link set eth0 vf 0 rate 500\nip -j link show eth0\n")
    assert rc == 0, err
    [vf] = json.loads(out[-1])[0]["vfinfo_list"]
    assert (vf["tx_rate"], vf["rate"]) == (500, {"max_tx": 500, "min_tx": 10})


def test_json_vfinfo_list() -> None:
    rc, out, err, _ = run(SEED + "ip link set eth0 vf 1 vlan 5 qos 1 proto 802.1ad trust on\n"
                          "ip -j link show eth0\nip -j addr show eth0\nip -j -d addr show eth0\n")
    assert rc == 0, err
    link = json.loads(out[-3])[0]
    vfs = link["vfinfo_list"]
    assert list(link)[-1] == "vfinfo_list"
    assert vfs[0] == {"vf": 0, "link_type": "ether", "address": "00:11:22:33:44:55",
                      "broadcast": "ff:ff:ff:ff:ff:ff", "vlan_list": [{"vlan": 100}],
                      "rate": {"max_tx": 0, "min_tx": 0}, "spoofchk": True,
                      "link_state": "auto", "trust": False, "query_rss_en": False}
    assert vfs[1]["vlan_list"] == [{"vlan": 5, "qos": 1, "protocol": "802.1ad"}]
    assert vfs[1]["trust"] is True and vfs[2]["vlan_list"] == [{}]
    # ip addr lists VFs only with -d (print_linkinfo: do_link || show_details)
    assert "vfinfo_list" not in json.loads(out[-2])[0]
    assert len(json.loads(out[-1])[0]["vfinfo_list"]) == 4


def test_a_pf_without_vfs_has_an_empty_list_and_other_devices_none() -> None:
    rc, out, err, _ = run("ip link add veth0 type veth peer name veth1\n"
                          "ip -j link show eth0\nip -j link show veth0\nip link show eth0\n")
    assert rc == 0, err
    assert json.loads(out[0])[0]["vfinfo_list"] == []
    assert "vfinfo_list" not in json.loads(out[1])[0]
    assert len(out) == 4  # the plain form prints nothing for an empty list


def test_stats_print_each_vfs_counters() -> None:
    rc, out, err, _ = run("echo 1 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "ip -s link show eth0\nip -s -j link show eth0\n")
    assert rc == 0, err
    i = out.index(f"    vf 0     link/ether 00:00:00:00:00:00 {VF_DEFAULT}")
    assert out[i + 1:i + 5] == ["    RX: bytes  packets  mcast   bcast   dropped ",
                                "             0        0       0       0        0 ",
                                "    TX: bytes  packets   dropped ",
                                "             0        0        0 "]
    [vf] = json.loads(out[-1])[0]["vfinfo_list"]
    assert vf["stats"] == {"rx": {"bytes": 0, "packets": 0, "multicast": 0, "broadcast": 0,
                                  "dropped": 0},
                           "tx": {"tx_bytes": 0, "tx_packets": 0, "dropped": 0}}


def test_cat_of_the_sysfs_files() -> None:
    rc, out, err, _ = run("cat /sys/class/net/eth0/device/sriov_totalvfs\n"
                          "cat /sys/class/net/eth0/device/sriov_numvfs\n"
                          "echo 3 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "cat /sys/class/net/eth0/device/sriov_numvfs\n"
                          "N=$(cat /sys/class/net/eth0/device/sriov_totalvfs); echo $N\n")
    assert (rc, out, err) == (0, ["8", "0", "3", "8"], [])


@pytest.mark.parametrize(("script", "message", "rc"), [
    ("echo 9 > /sys/class/net/eth0/device/sriov_numvfs",
     "t.sh:1: echo: write error: Numerical result out of range", 1),
    ("echo 4 > /sys/class/net/eth0/device/sriov_numvfs\n"
     "echo 2 > /sys/class/net/eth0/device/sriov_numvfs",
     "t.sh:2: echo: write error: Device or resource busy", 1),
    ("echo four > /sys/class/net/eth0/device/sriov_numvfs",
     "t.sh:1: echo: write error: Invalid argument", 1),
    ("echo -1 > /sys/class/net/eth0/device/sriov_numvfs",
     "t.sh:1: echo: write error: Invalid argument", 1),
    ("echo 65536 > /sys/class/net/eth0/device/sriov_numvfs",  # kstrtou16
     "t.sh:1: echo: write error: Numerical result out of range", 1),
    ("echo 4 > /sys/class/net/eth0/device/sriov_totalvfs",
     "t.sh:1: sh: /sys/class/net/eth0/device/sriov_totalvfs: Permission denied", 2),
    ("ip link add veth0 type veth peer name veth1\n"
     "echo 4 > /sys/class/net/veth0/device/sriov_numvfs",
     "t.sh:2: sh: /sys/class/net/veth0/device/sriov_numvfs: No such file or directory", 2),
    ("cat /sys/class/net/eth9/device/sriov_numvfs",
     "cat: /sys/class/net/eth9/device/sriov_numvfs: No such file or directory", 1),
])
def test_sysfs_errors_are_the_kernels(script: str, message: str, rc: int) -> None:
    got_rc, _, err, _ = run(script + "\n")
    assert (got_rc, err[-1]) == (rc, message)


def test_kstrtou16_bases_and_the_same_number_again() -> None:
    rc, out, err, _ = run("echo 0x2 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "echo 02 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "echo -n 2 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "cat /sys/class/net/eth0/device/sriov_numvfs\n")
    assert (rc, out, err) == (0, ["2"], [])


def test_ebusy_is_logged_as_sriov_numvfs_store_logs_it() -> None:
    rc, out, _, _ = run("echo 4 > /sys/class/net/eth0/device/sriov_numvfs\n"
                        "echo 2 > /sys/class/net/eth0/device/sriov_numvfs\ndmesg\n")
    assert rc == 0
    assert out[-1] == "eth0: 4 VFs already enabled. Disable before enabling 2 VFs"


@pytest.mark.parametrize(("line", "message", "rc"), [
    # iproute2's own parser (iplink_parse_vf), before anything is sent
    ("ip link set eth0 vf x trust on", 'Error: argument "x" is wrong: Invalid "vf" value', 255),
    ("ip link set eth0 vf 0", 'Command line is not complete. Try option "help"', 255),
    ("ip link set eth0 vf 0 foo", 'Command line is not complete. Try option "help"', 255),
    ("ip link set eth0 vf 0 vlan 4096", 'Error: argument "4096" is wrong: Invalid "vlan" value',
     255),
    ("ip link set eth0 vf 0 vlan 5 qos x", 'Error: argument "x" is wrong: Invalid "qos" value',
     255),
    ("ip link set eth0 vf 0 vlan 5 proto foo",
     'Error: argument "foo" is wrong: protocol is invalid', 255),
    ("ip link set eth0 vf 0 vlan 5 proto ip", 'Error: argument "ip" is wrong: Invalid "vlan '
     'protocol" value - supported 802.1Q, 802.1ad', 255),
    ("ip link set eth0 vf 0 spoofchk maybe",
     'Error: argument of "spoofchk" must be one of "off", "on", not "maybe"', 1),
    ("ip link set eth0 vf 0 state foo", 'Error: argument "foo" is wrong: Invalid "state" value',
     255),
    ("ip link set eth0 vf 0 mac 00:11", "Invalid address length 2 - must be 6 bytes", 1),
    ("ip link set eth0 vf 0 mac zz:11:22:33:44:55", '"zz" is invalid lladdr.', 1),
    ("ip link set eth0 vf 0 min_tx_rate 100 max_tx_rate 10",
     "Invalid min_tx_rate 100 - must be <= max_tx_rate 10", 1),
    ("ip link set eth0 vf 5 min_tx_rate 10", "Cannot find VF 5", 1),
    ("ip link set eth0 vf 0 max_tx_rate x",
     'Error: argument "x" is wrong: Invalid "max tx rate" value', 255),
    # the kernel's answers (do_setvfinfo and the PF driver)
    ("ip link set eth0 vf 4 trust on", "RTNETLINK answers: Invalid argument", 2),
    ("ip link set eth0 vf -1 spoofchk off", "RTNETLINK answers: Invalid argument", 2),
    ("ip link set eth0 vf 0 vlan 5 qos 8", "RTNETLINK answers: Invalid argument", 2),
    ("ip link set eth0 vf 0 vlan 5 qos 8 proto 802.1ad", "RTNETLINK answers: Invalid argument",
     2),
    ("ip link set eth0 vf 0 max_tx_rate 20000", "RTNETLINK answers: Invalid argument", 2),
    ("ip link set eth0 vf 0 mac 01:00:5e:00:00:01", "RTNETLINK answers: Invalid argument", 2),
    ("ip link add veth0 type veth peer name veth1\nip link set veth0 vf 0 trust on",
     "RTNETLINK answers: Operation not supported", 2),
    ("ip link del eth0v0", "RTNETLINK answers: Operation not supported", 2),
    ("ip link del eth0", "RTNETLINK answers: Operation not supported", 2),
])
def test_vf_errors_are_iproute2s_and_the_kernels(line: str, message: str, rc: int) -> None:
    script = "echo 4 > /sys/class/net/eth0/device/sriov_numvfs\n" + line + "\n"
    got_rc, _, err, _ = run(script)
    assert got_rc == rc
    assert err[0].split(": ", 1)[1] == message


def test_invarg_prints_its_empty_line_as_ip_does() -> None:
    _, _, err, _ = run("ip link set eth0 vf 0 vlan 4096\n")
    assert err == ['t.sh:1: Error: argument "4096" is wrong: Invalid "vlan" value', ""]


def test_prefixes_match_as_iproute2_matches_them() -> None:
    rc, out, err, _ = run("echo 1 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "ip link set eth0 vf 0 m 00:11:22:33:44:55 v 9 s off t on st dis "
                          "q on\nip link show eth0\n")
    assert rc == 0, err
    assert out[-1] == ("    vf 0     link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff, "
                       "vlan 9, spoof checking off, link-state disable, trust on, query_rss on")


def test_an_error_stops_do_setvfinfo_after_what_it_applied() -> None:
    """MAC first, then VLAN: the bad VLAN fails, the MAC stays set (as in the kernel)."""
    rc, out, err, _ = run("echo 1 > /sys/class/net/eth0/device/sriov_numvfs\n"
                          "ip link set eth0 vf 0 vlan 5 qos 9 mac 00:11:22:33:44:55\n"
                          "ip -j link show eth0\n")
    vf = json.loads(out[-1])[0]["vfinfo_list"][0]
    assert (vf["address"], vf["vlan_list"]) == ("00:11:22:33:44:55", [{}])
    assert err[0] == "t.sh:2: RTNETLINK answers: Invalid argument"


def test_vfs_move_into_namespaces_and_0_removes_them_wherever_they_are() -> None:
    rc, out, err, it = run(SEED + "ip netns add ns1\nip link set eth0v0 netns ns1\n"
                           "ip -n ns1 -br link\n"
                           "echo 0 > /sys/class/net/eth0/device/sriov_numvfs\n"
                           "ip -n ns1 -br link\nip -br link\n")
    assert rc == 0, err
    # ns1 before (lo, eth0v0) and after (lo); then the host (lo, eth0)
    assert [line.split()[0] for line in out[-5:]] == ["lo", "eth0v0", "lo", "lo", "eth0"]


def test_a_vf_goes_back_to_the_root_namespace_when_its_namespace_goes() -> None:
    rc, out, err, _ = run(SEED + "ip netns add ns1\nip link set eth0v0 netns ns1\n"
                          "ip link set eth0v1 name eth0v0\nip netns del ns1\n"
                          "ip -br link\n")
    assert rc == 0, err
    # eth0v0 came back as dev0 (its name was taken), with its ifindex (3: free here)
    assert [line.split()[0] for line in out[-5:]] == ["eth0", "dev0", "eth0v0", "eth0v2",
                                                      "eth0v3"]


def test_vfs_in_namespaces_reach_each_other_through_the_nic() -> None:
    """Exercise 5's setup: VFs in two namespaces, switched by the NIC's VEB."""
    rc, out, err, _ = run(
        SEED + "ip netns add ns1\nip netns add ns2\n"
        "ip link set eth0v0 netns ns1\nip link set eth0v1 netns ns2\n"
        "ip -n ns1 addr add 10.0.0.1/24 dev eth0v0\nip -n ns2 addr add 10.0.0.2/24 dev eth0v1\n"
        "ip -n ns1 link set eth0v0 up\nip -n ns2 link set eth0v1 up\n"
        "ip link set eth0 vf 0 vlan 0\n"
        "ip netns exec ns1 ping -c 2 -q 10.0.0.2\n")
    assert rc == 0, (out, err)
    assert "2 packets transmitted, 2 received, 0% packet loss, time 1000ms" in out
