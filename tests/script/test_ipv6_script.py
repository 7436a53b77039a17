"""IPv6 in scripts on the emulator alone (no root needed): the expected lines are what
iproute2 6.1 / iputils 20221126 / procps-ng 4.0.2 printed for the same commands on Linux
6.18 in a sandbox (``tests/script/test_ipv6_kernel.py`` runs the live comparison where
root is available)."""

from __future__ import annotations

import json

from vnetlab.script import run_script
from vnetlab.script.export import export_script
from vnetlab.script.ip_route6 import dump_order

PAIR = """\
ip netns add a
ip link add veth0 type veth peer name veth1 netns a
ip link set veth0 address 02:00:00:00:00:01
ip -n a link set veth1 address 02:00:00:00:00:02
ip link set veth0 up
ip -n a link set veth1 up
"""


def msgs(err: list[str]) -> list[str]:
    """Error lines without the interpreter's ``t.sh:LINE: `` (sysctl's have none)."""
    import re

    return [re.sub(r"^t\.sh:\d+: ", "", e) for e in err]


def run(text: str) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    rc, _ = run_script(text, out=out.append, err=err.append, source="t.sh")
    return rc, out, err


def test_link_local_is_tentative_until_dad_then_usable() -> None:
    rc, out, err = run(PAIR + "ip addr show veth0\nsleep 3\nip addr show veth0\n")
    assert rc == 0, err
    assert out[2:4] == ["    inet6 fe80::ff:fe00:1/64 scope link tentative ",
                        "       valid_lft forever preferred_lft forever"]
    assert out[6:8] == ["    inet6 fe80::ff:fe00:1/64 scope link ",
                        "       valid_lft forever preferred_lft forever"]


def test_inet6_json_keys_and_flag_words() -> None:
    rc, out, err = run(PAIR + "ip -6 addr add 2001:db8::5/64 dev veth0 nodad\n"
                       "ip -6 addr add 2001:db8:9::5/64 dev veth0 noprefixroute\n"
                       "ip -j -6 addr show dev veth0\nip -6 addr show dev veth0\n")
    assert rc == 0, err
    o = json.loads(out[0])[0]
    assert "link_type" not in o and "address" not in o  # a family filter drops them
    assert o["addr_info"] == [
        {"family": "inet6", "local": "2001:db8:9::5", "prefixlen": 64, "scope": "global",
         "tentative": True, "noprefixroute": True, "valid_life_time": 4294967295,
         "preferred_life_time": 4294967295},
        {"family": "inet6", "local": "2001:db8::5", "prefixlen": 64, "scope": "global",
         "nodad": True, "valid_life_time": 4294967295, "preferred_life_time": 4294967295},
        {"family": "inet6", "local": "fe80::ff:fe00:1", "prefixlen": 64, "scope": "link",
         "tentative": True, "valid_life_time": 4294967295,
         "preferred_life_time": 4294967295}]
    assert out[1].endswith("group default qlen 1000 link-netns a")
    assert out[2] == "    inet6 2001:db8:9::5/64 scope global tentative noprefixroute "
    assert out[4] == "    inet6 2001:db8::5/64 scope global nodad "


def test_family_selection_and_the_short_inet6_link_dump() -> None:
    rc, out, err = run(PAIR + "ip addr add 10.0.0.1/24 dev veth0\nsleep 3\n"
                       "ip -4 addr show dev veth0\nip -n a -6 addr show\nip -f inet6 -br addr\n")
    assert rc == 0, err
    assert out[:3] == [
        "3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP "
        "group default qlen 1000 link-netns a",
        "    inet 10.0.0.1/24 scope global veth0",
        "       valid_lft forever preferred_lft forever"]
    # ip -6 addr without dev reads inet6_dump_ifinfo: no qdisc, group or link-netns
    assert out[3] == ("2: veth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP "
                      "qlen 1000")
    assert out[4] == "    inet6 fe80::ff:fe00:2/64 scope link "
    assert "lo               UNKNOWN        ::1/128 " in out


def test_addr_errors_in_the_kernels_words() -> None:
    rc, _, err = run(PAIR + "ip -6 addr add 2001:db8::1/64 dev veth0\n"
                     "ip -6 addr add 2001:db8::1/64 dev veth0\n"
                     "ip -6 addr add 10.0.0.1/24 dev veth0\n"
                     "ip -4 addr add 2001:db8::8/64 dev veth0\n"
                     "ip -6 addr del 2001:db8::99/64 dev veth0\n"
                     "sysctl -qw net.ipv6.conf.veth0.disable_ipv6=1\n"
                     "ip -6 addr add 2001:db8::3/64 dev veth0\n"
                     "ip -f bogus addr\n")
    assert rc == 255
    assert msgs(err) == [
        "Error: ipv6: address already assigned.",
        'Error: inet6 prefix is expected rather than "10.0.0.1/24".',
        'Error: inet prefix is expected rather than "2001:db8::8/64".',
        "Error: ipv6: address not found.",
        "Error: ipv6: IPv6 is disabled on this device.",
        'Error: argument "bogus" is wrong: invalid protocol family']


def test_route6_lines_metrics_pref_and_dump_order() -> None:
    rc, out, err = run(PAIR + "ip -6 addr add 2001:db8::1/64 dev veth0 nodad\n"
                       "ip -6 route add 2001:db8:1::/64 via 2001:db8::2\n"
                       "ip -6 route add 2001:db8:1::/48 dev veth0\n"
                       "ip route add 2001:db8:4::/64 dev veth0\n"
                       "ip -6 route add 2001:db8:5::/64 via 2001:db8::2 metric 5\n"
                       "ip -6 route add default via fe80::2 dev veth0\n"
                       "ip -6 route show dev veth0\nip route show\n"
                       "ip -6 route add 2001:db8:1::/64 via 2001:db8::2\n"
                       "ip -6 route add default via fe80::1\n"
                       "ip -6 route add 2001:db8:7::/64 via 2001:db8:77::1\n")
    assert msgs(err) == [
        "RTNETLINK answers: File exists", "Error: Egress device not specified.",
        "RTNETLINK answers: No route to host"]
    assert rc == 2
    assert out == [  # iproute2 leaves out the "dev" it filtered on; IPv4 has no routes
        "2001:db8::/64 proto kernel metric 256 pref medium",
        "2001:db8:1::/64 via 2001:db8::2 metric 1024 pref medium",
        "2001:db8:1::/48 metric 1024 pref medium",
        "2001:db8:4::/64 metric 1024 pref medium",
        "2001:db8:5::/64 via 2001:db8::2 metric 5 pref medium",
        "fe80::/64 proto kernel metric 256 pref medium",
        "default via fe80::2 metric 1024 pref medium"]


def test_dump_order_is_the_fib6_post_order_walk() -> None:
    class R:
        def __init__(self, dst: int, plen: int, metric: int = 1024) -> None:
            self.dst, self.plen, self.metric = dst, plen, metric

    rs = [R(0, 0), R(0xFE80 << 112, 64), R(0x20010DB8 << 96 | 1 << 80, 48),
          R(0x20010DB8 << 96 | 1 << 80, 64), R(0x20010DB8 << 96, 64)]
    got = [(r.dst >> 96, r.plen) for r in dump_order(rs)]
    assert got == [(0x20010DB8, 64), (0x20010DB8, 64), (0x20010DB8, 48), (0xFE800000, 64),
                   (0, 0)]
    assert [r.plen for r in dump_order(rs)][:3] == [64, 64, 48]


def test_neigh6_router_flag_states_and_noarp_hidden() -> None:
    rc, out, err = run(PAIR + "ip -6 neigh add 2001:db8::9 lladdr 02:00:00:00:00:09 dev veth0 "
                       "router\nip -6 neigh add 2001:db8::8 dev veth0 nud incomplete\n"
                       "ip -6 neigh add 2001:db8::6 lladdr 02:00:00:00:00:06 dev veth0 nud noarp\n"
                       "ip -6 neigh show | sort\nip -6 -j neigh show dev veth0\n"
                       "ip -6 neigh flush dev veth0\nip -6 neigh show\n")
    assert rc == 0, err
    assert out[:2] == ["2001:db8::8 dev veth0 INCOMPLETE ",
                       "2001:db8::9 dev veth0 lladdr 02:00:00:00:00:09 router PERMANENT "]
    j = json.loads(out[2])
    assert {"dst": "2001:db8::9", "lladdr": "02:00:00:00:00:09", "router": None,
            "state": ["PERMANENT"]} in j
    assert out[3:] == ["2001:db8::9 dev veth0 lladdr 02:00:00:00:00:09 router PERMANENT "]


def test_sysctl_ipv6_reads_writes_and_procps_errors() -> None:
    rc, out, err = run("ip link add veth0 type veth peer name veth1\n"
                       "sysctl net.ipv6.conf.veth0.disable_ipv6 net.ipv6.conf.default.mtu\n"
                       "sysctl -n net.ipv6.conf.lo.accept_dad\n"
                       "sysctl -w net.ipv6.conf.veth0.addr_gen_mode=1\n"
                       "sysctl net.ipv6.conf.nope.forwarding\n"
                       "sysctl -w net.ipv6.conf.veth0.hop_limit=300\n"
                       "sysctl net.ipv6.conf.veth0.stable_secret\n"
                       "echo abc > /proc/sys/net/ipv6/conf/veth0/disable_ipv6\n"
                       "echo 1 > /proc/sys/net/ipv6/conf/nope/disable_ipv6\n")
    assert out == ["net.ipv6.conf.veth0.disable_ipv6 = 0", "net.ipv6.conf.default.mtu = 1280",
                   "-1", "net.ipv6.conf.veth0.addr_gen_mode = 1"]
    assert msgs(err) == [
        "sysctl: cannot stat /proc/sys/net/ipv6/conf/nope/forwarding: No such file or "
        "directory",
        'sysctl: setting key "net.ipv6.conf.veth0.hop_limit": Invalid argument',
        "echo: echo: I/O error",
        "cannot create /proc/sys/net/ipv6/conf/nope/disable_ipv6: Directory nonexistent"]
    assert rc == 2


def test_ping6_layout() -> None:
    rc, out, err = run(PAIR + "ip -6 addr add 2001:db8::1/64 dev veth0 nodad\n"
                       "ip -n a addr add 2001:db8::2/64 dev veth1 nodad\n"
                       "ping -6 -c 2 -i 0.2 2001:db8::2\nping6 -c 1 -I 2001:db8::1 2001:db8::2\n"
                       "ping -4 -c 1 2001:db8::2\nping6 -c 1 2001:db8:5::1\n")
    assert out[0] == "PING 2001:db8::2(2001:db8::2) 56 data bytes"
    assert out[1].startswith("64 bytes from 2001:db8::2: icmp_seq=1 ttl=64 time=")
    assert "--- 2001:db8::2 ping statistics ---" in out
    assert "2 packets transmitted, 2 received, 0% packet loss, time 200ms" in out
    assert "PING 2001:db8::2(2001:db8::2) from 2001:db8::1 : 56 data bytes" in out
    assert msgs(err) == [
        "ping: 2001:db8::2: Address family for hostname not supported",
        "ping6: connect: Network is unreachable"]
    assert rc == 2


def test_fdb_self_entries_from_the_device_multicast_lists() -> None:
    rc, out, err = run("ip link add br0 type bridge\nip link set br0 address 02:00:00:00:00:bb\n"
                       "ip link add va type veth peer name vb\n"
                       "ip link set va address 02:00:00:00:00:0a\n"
                       "ip link set vb address 02:00:00:00:00:0b\n"
                       "ip link set va master br0\nip link set br0 up\nip link set va up\n"
                       "ip link set vb up\nsleep 3\nbridge fdb show br br0\n"
                       "bridge fdb show dev vb\n")
    assert rc == 0, err
    assert out[:5] == ["33:33:00:00:00:01 dev br0 self permanent",
                       "01:00:5e:00:00:6a dev br0 self permanent",
                       "33:33:00:00:00:6a dev br0 self permanent",
                       "01:00:5e:00:00:01 dev br0 self permanent",
                       "33:33:ff:00:00:bb dev br0 self permanent"]
    assert "33:33:ff:00:00:0a dev va self permanent" in out
    assert out[-3:] == ["33:33:00:00:00:01 self permanent", "01:00:5e:00:00:01 self permanent",
                        "33:33:ff:00:00:0b self permanent"]


def test_export_says_ipv6_off_before_devices() -> None:
    from vnetlab.model.load import load_lab_text

    lab = load_lab_text("name: t\nnodes:\n  a: {}\n  b: {}\n")
    text = export_script(lab)
    node_ipv6 = getattr(lab, "node_ipv6", None)
    lines = text.splitlines()
    off = [n for n in ("a", "b") if node_ipv6 is None or not node_ipv6(n)]
    for n in off:
        i = lines.index(f"ip netns exec {n} sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
        assert lines[i + 1] == f"ip netns exec {n} sysctl -qw net.ipv6.conf.default.disable_ipv6=1"
        assert i < lines.index(f"ip -n {n} link set lo up")


def test_export_spells_ipv6_routes_with_ip_6_and_they_run() -> None:
    from types import SimpleNamespace

    from vnetlab.script.export import _routes

    nspec = SimpleNamespace(routes=[
        SimpleNamespace(dst="2001:db8:1::/64", via="2001:db8::2", dev=None, metric=None,
                        family="inet6"),
        SimpleNamespace(dst="default", via="fe80::2", dev="veth1", metric=None,
                        family="inet6"),
        SimpleNamespace(dst="10.1.0.0/24", via=None, dev="veth1", metric=5, family="inet")])
    lines = _routes("a", nspec)  # type: ignore[arg-type]
    assert lines == ["ip -6 -n a route add 2001:db8:1::/64 via 2001:db8::2",
                     "ip -6 -n a route add default via fe80::2 dev veth1",
                     "ip -n a route add 10.1.0.0/24 dev veth1 metric 5"]
    rc, out, err = run(PAIR + "ip -n a addr add 2001:db8::1/64 dev veth1\n"
                       + "\n".join(lines) + "\nip -n a -6 route show\n")
    assert rc == 0, err
    assert "2001:db8:1::/64 via 2001:db8::2 dev veth1 metric 1024 pref medium" in out
    assert out[-1] == "default via fe80::2 dev veth1 metric 1024 pref medium"
