"""STP in scripts: `ip link ... type bridge stp_state/priority/...`, `bridge link set
cost/priority`, and what `bridge link show` / `ip -d link show` print (iproute2 6.1, the
words and layout measured on the kernel)."""

from __future__ import annotations

import json

import pytest

from vnetlab.script.interp import run_script

SETUP = """
ip link add br1 address 02:00:00:00:00:01 type bridge stp_state 1
ip link add br2 address 02:00:00:00:00:02 type bridge stp_state 1 priority 4096 forward_delay 400
ip link add a12 address 02:00:00:00:01:12 type veth peer name a21 address 02:00:00:00:01:21
ip link set a12 master br1
ip link set a21 master br2
ip link set br1 up
ip link set br2 up
ip link set a12 up
ip link set a21 up
"""


def _run(text: str) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    rc, _ = run_script(text, out=out.append, err=err.append, source="t.sh")
    return rc, out, err


def test_bridge_link_show_prints_the_states_as_time_passes() -> None:
    rc, out, err = _run(SETUP + "bridge link show\nsleep 9\nbridge link show\n"
                        "sleep 12\nbridge -j link show\n")
    assert rc == 0, err
    # the peer (a21) is registered first, so it has the lower ifindex, as on Linux
    assert out[0].endswith("master br2 state listening priority 32 cost 2 ")
    assert out[1].endswith("master br1 state listening priority 32 cost 2 ")
    # br2 (priority 4096) is root with forward_delay 4 s: its port forwards after 8 s;
    # br1's port keeps the 15 s listening timer it started with, then learns for the
    # root's 4 s (br_record_config_timeout_values), forwarding at 19 s
    assert "state forwarding" in out[2] and "state listening" in out[3]
    objs = json.loads(out[4])
    assert [(o["ifname"], o["state"], o["priority"], o["cost"]) for o in objs] == [
        ("a21", "forwarding", 32, 2), ("a12", "forwarding", 32, 2)]


def test_ip_d_link_shows_the_stp_fields_as_iproute2_6_1() -> None:
    rc, out, err = _run(SETUP + "sleep 3\nip -d link show br1\nip -d -j link show a12\n")
    assert rc == 0, err
    text = "\n".join(out)
    assert ("bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 "
            "stp_state 1 priority 32768 vlan_filtering 0 bridge_id 8000.2:0:0:0:0:1 "
            "designated_root 8000.2:0:0:0:0:1 root_port 1 root_path_cost 2 "
            "topology_change 0 topology_change_detected 0 hello_timer    0.00 ") in text
    slave = json.loads(out[-1])[0]["linkinfo"]["info_slave_data"]
    assert slave["state"] == "listening"
    assert slave["id"] == "0x8001" and slave["no"] == "0x1"
    assert slave["root_id"] == "1000.2:0:0:0:0:2"  # the designated root: br2 (priority 4096)


def test_ip_link_set_type_bridge_and_bridge_link_set_cost_priority() -> None:
    rc, out, err = _run(SETUP + "ip link set br1 type bridge priority 0 hello_time 100\n"
                        "bridge link set dev a12 cost 7 priority 9\n"
                        "bridge link show dev a12\nip -d -j link show br1\n")
    assert rc == 0, err
    assert out[0].endswith("state listening priority 9 cost 7 ")
    data = json.loads(out[1])[0]["linkinfo"]["info_data"]
    assert data["priority"] == 0 and data["hello_time"] == 100
    assert data["bridge_id"] == "0000.2:0:0:0:0:1"


@pytest.mark.parametrize("line", [
    "bridge link set dev a12 priority 64",
    "bridge link set dev a12 cost 0",
    "ip link set br1 type bridge hello_time 50",
    "ip link set br1 type bridge forward_delay 100",
])
def test_out_of_range_stp_values_are_erange(line: str) -> None:
    rc, _, err = _run(SETUP + line + "\n")
    assert rc == 2
    assert err[-1].endswith("RTNETLINK answers: Numerical result out of range")
