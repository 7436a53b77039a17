"""Checked against Linux: the same scripts in the emulator and, for real, in a private
kernel sandbox (``vnetlab.script.sandbox``: ``unshare --net --mount``, its own
``/run/netns``); ``-j`` show outputs, ping results, counters and error messages compared
after ``vnetlab.script.compare``'s normalisation (the one place its rules live).
Kinds this kernel lacks skip with the reason the sandbox reports."""

from __future__ import annotations

import re

import pytest

from vnetlab.script.compare import compare, shape
from vnetlab.script.sandbox import run_in_sandbox, unavailable

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(unavailable() is not None,
                                 reason=f"kernel sandbox: {unavailable()}")]

NO_V6 = """\
sysctl -qw net.ipv6.conf.all.disable_ipv6=1
sysctl -qw net.ipv6.conf.default.disable_ipv6=1
"""


def netns(name: str) -> str:
    return (f"ip netns add {name}\n"
            f"ip netns exec {name} sysctl -qw net.ipv6.conf.all.disable_ipv6=1\n"
            f"ip netns exec {name} sysctl -qw net.ipv6.conf.default.disable_ipv6=1\n")


SCRIPTS = {
    "veth": NO_V6 + netns("ns1") + """\
set -e
ip link add veth0 type veth peer name veth1
ip link set veth1 netns ns1
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip netns exec ns1 ip addr add 10.0.0.2/24 dev veth1
ip netns exec ns1 ip link set veth1 up
echo "=== ping"
ping -c 3 -i 0.2 -W 1 10.0.0.2
echo "=== link"
ip -j link
echo "=== ns1 addr"
ip -n ns1 -j addr
echo "=== counters"
ip -s -j link show veth0
echo "=== ns1 counters"
ip -n ns1 -s -j link show veth1
echo "=== down"
ip link set veth0 down
ip -n ns1 -j link show veth1
echo "=== netns"
ip -j netns list
""",
    "bridge": NO_V6 + netns("a") + netns("b") + """\
set -e
ip link add br0 type bridge
ip link set br0 up
ip link add va type veth peer name eth0 netns a
ip link add vb type veth peer name eth0 netns b
ip link set va master br0
ip link set vb master br0
ip link set va up
ip link set vb up
ip addr add 192.168.1.1/24 dev br0
ip -n a addr add 192.168.1.2/24 dev eth0
ip -n b addr add 192.168.1.3/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
echo "=== ping"
ip netns exec a ping -c 2 -i 0.2 -W 1 192.168.1.3
echo "=== link"
ip -j link
echo "=== fdb"
bridge -j fdb show br br0
bridge fdb add 02:00:00:00:00:aa dev va master static
echo "=== fdb static"
bridge -j fdb show dev va
echo "=== brlink"
bridge -j link show
bridge link set dev va hairpin on learning off
echo "=== brlink -d"
bridge -d -j link show dev va
echo "=== addr"
ip -j addr show dev br0
""",
    "routes": NO_V6 + netns("a") + netns("r") + netns("b") + """\
set -e
ip link add ra type veth peer name eth0 netns a
ip link set ra netns r
ip link add rb type veth peer name eth0 netns b
ip link set rb netns r
ip -n r addr add 10.1.0.1/24 dev ra
ip -n r addr add 10.2.0.1/24 dev rb
ip -n a addr add 10.1.0.2/24 dev eth0
ip -n b addr add 10.2.0.2/24 dev eth0
ip -n r link set ra up
ip -n r link set rb up
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a route add default via 10.1.0.1
ip -n b route add 10.1.0.0/24 via 10.2.0.1 metric 10
ip -n a route add 10.9.0.0/16 dev eth0
echo "=== no forwarding"
ip netns exec a ping -c 1 -W 1 10.2.0.2 || true
ip netns exec r sysctl -w net.ipv4.ip_forward=1
echo "=== forwarding"
ip netns exec a ping -c 2 -i 0.2 -W 1 10.2.0.2
echo "=== a routes"
ip -n a -j route
echo "=== b routes"
ip -n b -j route show
echo "=== r routes"
ip -n r -j route
echo "=== get"
ip -n a -j route get 10.2.0.2
echo "=== get local"
ip -n a -j route get 10.1.0.2
ip -n a route del 10.9.0.0/16
echo "=== after del"
ip -n a -j route
echo "=== unreachable"
ip netns exec b ping -c 1 -W 1 10.3.0.1 || true
""",
    "neigh": NO_V6 + netns("a") + """\
set -e
ip link add v0 type veth peer name eth0 netns a
ip addr add 10.0.0.1/24 dev v0
ip link set v0 up
ip -n a addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0
ping -c 1 -W 1 10.0.0.2
echo "=== neigh"
ip -j neigh show dev v0
ip neigh del 10.0.0.9 dev v0
echo "=== after del"
ip -j neigh show dev v0
ip neigh flush dev v0
echo "=== after flush"
ip -j neigh show dev v0
""",
    "errors": NO_V6 + """\
ip link add veth0 type veth peer name veth1
ip addr add 10.0.0.1/24 dev veth0
ip link add veth0 type veth peer name x
ip link set nope up
ip addr add 10.0.0.1/24 dev veth0
ip addr del 10.0.0.7/24 dev veth0
ip route add 10.9.0.0/24 via 192.0.2.1
ip route del 10.8.0.0/24
ip link show nope
ip netns add n1
ip netns add n1
ip link del veth1
echo "=== link"
ip -j link
""",
    "vxlan": NO_V6 + netns("h1") + netns("h2") + """\
set -e
ip link add und type veth peer name und netns h2
ip link set und netns h1
ip -n h1 addr add 10.0.0.1/24 dev und
ip -n h2 addr add 10.0.0.2/24 dev und
ip -n h1 link set und up
ip -n h2 link set und up
ip -n h1 link add vx0 type vxlan id 100 dstport 4789 dev und local 10.0.0.1 remote 10.0.0.2
ip -n h2 link add vx0 type vxlan id 100 dstport 4789 dev und local 10.0.0.2 remote 10.0.0.1
ip -n h1 addr add 192.168.100.1/24 dev vx0
ip -n h2 addr add 192.168.100.2/24 dev vx0
ip -n h1 link set vx0 up
ip -n h2 link set vx0 up
echo "=== ping"
ip netns exec h1 ping -c 2 -i 0.2 -W 1 192.168.100.2
echo "=== big ping"
ip netns exec h1 ping -c 1 -W 1 -M do -s 1423 192.168.100.2 || true
echo "=== link"
ip -n h1 -j link show vx0
echo "=== fdb"
bridge -n h1 -j fdb show dev vx0
bridge -n h1 fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.3
echo "=== fdb append"
bridge -n h1 -j fdb show dev vx0
""",
}


def _kernel_has(kind: str) -> str | None:
    probe = {"vlan": "ip link add v0 type veth peer name v1\n"
                     "ip link add link v0 name v0.10 type vlan id 10",
             "geneve": "ip link add g0 type geneve id 1 remote 10.0.0.2",
             "ipvlan": "ip link add v0 type veth peer name v1\n"
                       "ip link add i0 link v0 type ipvlan mode l2",
             "macvlan": "ip link add v0 type veth peer name v1\n"
                        "ip link add m0 link v0 type macvlan mode bridge"}[kind]
    r = run_in_sandbox("set -e\n" + probe + "\n", timeout=30)
    if r.rc != 0:
        return f"this kernel has no {kind}: {r.stderr.strip().splitlines()[-1]}"
    return None


_ERR_PREFIX = re.compile(r"^compare:\d+: ")


def _messages(stderr: str) -> list[str]:
    out = []
    for line in stderr.splitlines():
        if line.startswith(("vnetlab:", "compare: stopped")) or not line.strip():
            continue
        out.append(_ERR_PREFIX.sub("", line))
    return out


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_emulator_agrees_with_the_kernel(name: str) -> None:
    emu, ker, diffs = compare(SCRIPTS[name])
    assert ker.rc == 0 or name == "errors", f"kernel run failed: {ker.stderr}"
    assert not diffs, "\n".join(diffs)
    if name == "errors":
        assert _messages(emu.stderr) == _messages(ker.stderr)


@pytest.mark.parametrize("name", ["veth", "bridge", "routes", "neigh"])
def test_json_shapes_match_iproute2(name: str) -> None:
    """Same keys and value types for every compared -j output (what jq users rely on)."""
    import json

    from vnetlab.script.compare import normalise_json

    emu, ker, _ = compare(SCRIPTS[name])
    # every -j section of the script is compared, none skipped: a section that is not JSON
    # on the kernel, or printed nothing, fails (only the pinned ones may be empty)
    assert set(ker.sections) >= set(JSON_SECTIONS[name]), sorted(ker.sections)
    for label in JSON_SECTIONS[name]:
        k = normalise_json(json.loads(ker.sections[label]), {})
        e = normalise_json(json.loads(emu.sections[label]), {})
        assert k or (name, label) in MAY_BE_EMPTY, f"{label}: the kernel printed {k!r}"
        assert shape(e) == shape(k), f"{label}: {shape(e)} != {shape(k)}"


#: the sections of each script that are `-j` output (the others are ping text)
JSON_SECTIONS = {
    "veth": ["link", "ns1 addr", "counters", "ns1 counters", "down", "netns"],
    "bridge": ["link", "fdb", "fdb static", "brlink", "brlink -d", "addr"],
    "routes": ["a routes", "b routes", "r routes", "get", "get local", "after del"],
    "neigh": ["neigh", "after del", "after flush"],
}
#: sections the kernel legitimately prints as an empty list
MAY_BE_EMPTY = {("neigh", "after flush")}


@pytest.mark.parametrize("kind", ["vlan", "geneve", "ipvlan", "macvlan"])
def test_kinds_missing_here_skip_with_the_reason(kind: str) -> None:
    why = _kernel_has(kind)
    if why is not None:
        pytest.skip(why)
    script = NO_V6 + {
        "vlan": "set -e\nip link add v0 type veth peer name v1\n"
                "ip link add link v0 name v0.10 type vlan id 10\n",
        "geneve": "set -e\nip link add g0 type geneve id 42 remote 10.0.0.2\n",
        "ipvlan": "set -e\nip link add v0 type veth peer name v1\n"
                  "ip link add i0 link v0 type ipvlan mode l2\n",
        "macvlan": "set -e\nip link add v0 type veth peer name v1\n"
                   "ip link add m0 link v0 type macvlan mode bridge\n",
    }[kind] + 'echo "=== link"\nip -j link\n'
    _, _, diffs = compare(script)
    assert not diffs, "\n".join(diffs)
