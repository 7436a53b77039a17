"""``tc`` in scripts: the output and errors of iproute2 6.1's tc (recorded from the real
one in a namespace; test_tc_kernel.py compares live where this host can)."""

from __future__ import annotations

import json

from vnetlab.script import run_script

SETUP = """\
ip netns add n1
ip netns exec n1 ip link add va type veth peer name vb
ip netns exec n1 ip link set va up
ip netns exec n1 ip link set vb up
ip netns exec n1 ip link set lo up
"""


def run(lines: str) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    joined = lines.strip().replace("\\\n", "")
    text = SETUP + "".join(f"ip netns exec n1 {ln}\n" for ln in joined.splitlines())
    rc, _ = run_script(text, out=out.append, err=err.append)
    return rc, out, err


def test_defaults_and_tbf_show_as_tc_prints_them() -> None:
    rc, out, _ = run("""
tc qdisc show
tc qdisc add dev va root tbf rate 1mbit burst 32kbit latency 400ms
tc qdisc show dev va
tc -s qdisc show dev va
tc -j qdisc show dev va
tc -s -j qdisc show dev va
tc qdisc replace dev va root tbf rate 10mbit burst 10kb latency 50ms peakrate 20mbit mtu 1600
tc qdisc show dev va
tc qdisc change dev va root tbf rate 2mbit burst 10k latency 50ms
tc qdisc show dev va
""")
    assert rc == 0
    assert out == [
        "qdisc noqueue 0: dev lo root refcnt 2 ",
        "qdisc noqueue 0: dev vb root refcnt 2 ",
        "qdisc noqueue 0: dev va root refcnt 2 ",
        "qdisc tbf 8001: root refcnt 3 rate 1Mbit burst 4Kb lat 400ms ",
        "qdisc tbf 8001: root refcnt 3 rate 1Mbit burst 4Kb lat 400ms ",
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ",
        " backlog 0b 0p requeues 0",
        '[{"kind":"tbf","handle":"8001:","root":true,"refcnt":3,"options":{"rate":125000,'
        '"burst":4096,"lat":400000}}]',
        '[{"kind":"tbf","handle":"8001:","root":true,"refcnt":3,"options":{"rate":125000,'
        '"burst":4096,"lat":400000},"bytes":0,"packets":0,"drops":0,"overlimits":0,'
        '"requeues":0,"backlog":0,"qlen":0}]',
        "qdisc tbf 8001: root refcnt 3 rate 10Mbit burst 10Kb peakrate 20Mbit minburst 1600b "
        "lat 50ms ",
        "qdisc tbf 8001: root refcnt 3 rate 2Mbit burst 10Kb lat 50ms ",
    ]


def test_tbf_limit_prints_as_latency_and_htb_and_pfifo_fast() -> None:
    rc, out, _ = run("""
tc qdisc add dev va root tbf rate 1mbit burst 10k limit 20k
tc qdisc show dev va
tc qdisc replace dev va root handle 1: htb default 10
tc qdisc show dev va
""")
    assert rc == 0
    assert out == ["qdisc tbf 8001: root refcnt 3 rate 1Mbit burst 10Kb lat 81.9ms ",
                   "qdisc htb 1: root refcnt 3 r2q 10 default 0x10 direct_packets_stat 0 "
                   "direct_qlen 1000"]
    out2: list[str] = []
    rc, _ = run_script("ip tuntap add tn mode tun\nip link set tn up\ntc qdisc show dev tn\n"
                       "tc -j qdisc show dev tn\n", out=out2.append, err=lambda s: None)
    assert out2[0] == ("qdisc pfifo_fast 0: root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 "
                       "1 1 1 1 1 1 1")
    assert json.loads(out2[1])[0]["options"] == {
        "bands": 3, "priomap": [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
        "multiqueue": False}


def test_netem_show_as_q_netem_prints_it() -> None:
    rc, out, _ = run("""
tc qdisc add dev va root netem delay 40ms 5ms 25% loss 1% duplicate 2% reorder 10% gap 5 \
corrupt 0.1% rate 10mbit
tc qdisc show dev va
tc -j qdisc show dev va
tc qdisc change dev va root netem loss gemodel 1% 10% 70% 0.1%
tc qdisc show dev va
""")
    assert rc == 0
    assert out[0] == ("qdisc netem 8001: root refcnt 3 limit 1000 delay 40ms  5ms 25% loss 1% "
                      "duplicate 2% reorder 10% corrupt 0.1% rate 10Mbit gap 5")
    assert json.loads(out[1])[0]["options"] == {
        "limit": 1000, "delay": {"delay": 0.04, "jitter": 0.005, "correlation": 0.25},
        "loss-random": {"loss": 0.01, "correlation": 0},
        "duplicate": {"duplicate": 0.02, "correlation": 0},
        "reorder": {"reorder": 0.1, "correlation": 0},
        "corrupt": {"corrupt": 0.001, "correlation": 0},
        "rate": {"rate": 1250000, "packetoverhead": 0, "cellsize": 0, "celloverhead": 0},
        "ecn": False, "gap": 5}
    assert out[2] == ("qdisc netem 8001: root refcnt 3 limit 1000 loss gemodel p 1% r 10% "
                      "1-h 70% 1-k 0.1%")


def test_errors_and_exit_statuses() -> None:
    cases = [
        ("tc qdisc del dev va root", "Error: Cannot delete qdisc with handle of zero.", 2),
        ("tc qdisc change dev va root tbf rate 1mbit burst 1k latency 1ms",
         "Error: Qdisc not found. To create specify NLM_F_CREATE flag.", 2),
        ("tc qdisc add dev vx root tbf rate 1mbit burst 1k latency 1ms",
         'Cannot find device "vx"', 1),
        ("tc qdisc add dev va root foo", "Error: Specified qdisc kind is unknown.", 2),
        ("tc qdisc foo dev va", 'Command "foo" is unknown, try "tc qdisc help".', 255),
        ("tc -x qdisc show", 'Option "-x" is unknown, try "tc -help".', 255),
        ("tc qdisc add dev va root tbf rate 1mbit burst 10k",
         'tbf: either "limit" or "latency" is required.', 1),
    ]
    for line, first, status in cases:
        rc, _, err = run(line)
        assert rc == status, line
        assert err[0].split(": ", 1)[1] == first, line
    rc, _, err = run("tc qdisc add dev va root netem delay 10ms\n"
                     "tc qdisc add dev va root tbf rate 1mbit burst 1k latency 1ms")
    assert rc == 2 and err[0].endswith("Error: Exclusivity flag on, cannot modify.")


def test_tc_s_counts_what_the_qdisc_sent_and_dropped() -> None:
    out: list[str] = []
    script = """\
ip netns add n1
ip netns add n2
ip -n n1 link add va type veth peer name vb netns n2
ip -n n1 addr add 10.9.0.1/24 dev va
ip -n n2 addr add 10.9.0.2/24 dev vb
ip -n n1 link set va up
ip -n n2 link set vb up
ip netns exec n1 tc qdisc add dev va root netem loss 100%
ip netns exec n1 ping -c 2 -W 1 10.9.0.2
ip netns exec n1 tc -s qdisc show dev va
ip netns exec n1 tc qdisc change dev va root netem loss 0%
ip netns exec n1 ping -c 2 -W 1 10.9.0.2
ip netns exec n1 tc -s qdisc show dev va
"""
    run_script(script, out=out.append, err=lambda s: None)
    sent = [ln for ln in out if ln.startswith(" Sent")]
    # every ARP request ping's neighbour resolution sent was lost: nothing left the qdisc
    assert sent[0].startswith(" Sent 0 bytes 0 pkt (dropped ")
    lost = int(sent[0].split("(dropped ")[1].split(",")[0])
    assert lost >= 1
    # then ARP and echo requests left (42 and 98 bytes), the drop count stays
    nbytes, npkts = int(sent[1].split()[1]), int(sent[1].split()[3])
    assert npkts >= 2 and nbytes >= 42 + 98
    assert sent[1].endswith(f" pkt (dropped {lost}, overlimits 0 requeues 0) ")
