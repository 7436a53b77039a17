"""The emulator's refusals reach ``ip`` as errnos and print as iproute2 prints them."""

from __future__ import annotations

import pytest

from vnetlab.script import run_script

BASE = """\
ip link add eth0 type veth peer name eth1
ip link add br0 type bridge
ip link add swp type veth peer name swq
ip link set swp master br0
ip netns add ns1
ip link add vx0 type vxlan id 42 dstport 4789 remote 192.0.2.1
ip link add link eth0 name eth0.5 type vlan id 5
ip link add link eth0 name mv0 address 02:00:00:00:00:aa type macvlan mode bridge
"""


@pytest.mark.parametrize("line, message", [
    ("ip link add vx1 type vxlan id 42 dstport 4789 remote 192.0.2.2",
     "RTNETLINK answers: File exists"),  # vxlan: the VNI is taken on that port (EEXIST)
    ("ip link add link eth0 name v5 type vlan id 5",
     "RTNETLINK answers: File exists"),  # vlan_check_real_dev: EEXIST
    ("ip link add link swp name mv1 type macvlan mode bridge",
     "RTNETLINK answers: Device or resource busy"),  # the bridge holds swp's rx_handler
    ("ip link add link eth0 name mv1 address 02:00:00:00:00:aa type macvlan mode bridge",
     "RTNETLINK answers: Address already in use"),  # macvlan_addr_busy: EADDRINUSE
    ("ip link set br0 netns ns1",
     "RTNETLINK answers: Invalid argument"),  # NETIF_F_NETNS_LOCAL
])
def test_refusals_print_strerror_of_their_errno(line: str, message: str) -> None:
    err: list[str] = []
    rc, _ = run_script(BASE + line + "\n", out=lambda s: None, err=err.append, source="t.sh")
    n = BASE.count("\n") + 1
    assert rc == 2
    assert err[-1] == f"t.sh:{n}: {message}"
