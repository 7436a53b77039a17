"""The report's columns are iperf3 3.12's (lines below printed by iperf3 3.12 on this
machine), and the kernel side reads iperf3's -J documents."""

from __future__ import annotations

from ipaddress import IPv4Address

from vnetlab.kernel.iperf3 import client_argv, parse_json
from vnetlab.sim.apps.iperf_fmt import RunFigures, render_json, render_text, unit

# printed by `iperf3 -c 10.9.0.2 -t 2` and `-u -b 100M -t 1` (iperf 3.12)
REAL_TCP = [
    "[ ID] Interval           Transfer     Bitrate         Retr",
    "[  5]   0.00-2.00   sec  2.87 GBytes  12.3 Gbits/sec  13957             sender",
    "[  5]   0.00-2.00   sec  2.87 GBytes  12.3 Gbits/sec                  receiver",
]
REAL_UDP = [
    "[ ID] Interval           Transfer     Bitrate         Total Datagrams",
    "[  5]   0.00-1.00   sec  11.9 MBytes  99.9 Mbits/sec  8626  ",
    "- - - - - - - - - - - - - - - - - - - - - - - - -",
    "[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams",
    "[  5]   0.00-1.00   sec  11.9 MBytes  99.9 Mbits/sec  0.000 ms  0/8626 (0%)  sender",
]


def test_units_are_iperf3s_adaptive_units() -> None:
    assert unit(3_081_639_526, False) == "2.87 GByte"
    assert unit(3_081_639_526 / 2, True) == "12.3 Gbit"
    assert unit(441 * 1024, False) == " 441 KByte"
    assert unit(12_490_000, True) == "99.9 Mbit"
    assert unit(5, False) == "5.00 Byte"


def test_tcp_summary_lines_match_iperf3() -> None:
    f = RunFigures(tcp=True, src="10.9.0.1", dst="10.9.0.2", sport=34724, dport=5201,
                   time_s=2.0, blksize=131072, sent_bytes=3_081_639_526,
                   recv_bytes=3_081_639_526, retransmits=13957, cwnd_bytes=441 * 1024)
    lines = render_text(f).splitlines()
    assert lines[0] == "Connecting to host 10.9.0.2, port 5201"
    assert lines[1] == "[  5] local 10.9.0.1 port 34724 connected to 10.9.0.2 port 5201"
    at = lines.index(REAL_TCP[0])
    assert lines[at:at + 3] == REAL_TCP
    assert lines[at + 3:at + 5] == ["", "iperf Done."]


def test_udp_lines_match_iperf3() -> None:
    f = RunFigures(tcp=False, src="10.9.0.1", dst="10.9.0.2", sport=47085, dport=5201,
                   time_s=1.0, blksize=1448, sent_bytes=8626 * 1448,
                   recv_bytes=8626 * 1448, packets=8626)
    lines = render_text(f).splitlines()
    at = lines.index(REAL_UDP[0])
    assert lines[at:at + 5] == REAL_UDP
    doc = render_json(f)
    assert doc["end"]["sum"]["packets"] == 8626
    assert doc["start"]["test_start"]["protocol"] == "UDP"


def test_the_json_reads_back_like_a_real_run() -> None:
    f = RunFigures(tcp=False, src="10.0.0.1", dst="10.0.0.2", sport=1, dport=5201,
                   time_s=2.0, blksize=1000, sent_bytes=2000 * 1000,
                   recv_bytes=1500 * 1000, packets=2000, lost=500, jitter_ms=0.01)
    r = parse_json("a", IPv4Address("10.0.0.2"), render_json(f))
    assert (r.protocol, r.packets, r.lost_packets, r.lost_percent) == ("UDP", 2000, 500, 25)
    assert r.bits_per_second == 1500 * 1000 * 8 / 2


# the shape of `iperf3 -c ... -u -b 0 -l 64 -t 1 -J` (3.12) from this machine, trimmed
REAL_UDP_JSON = {
    "start": {"test_start": {"protocol": "UDP", "blksize": 64, "duration": 1}},
    "end": {
        "sum": {"start": 0, "end": 1.000065, "seconds": 1.000065, "bytes": 14198400,
                "bits_per_second": 113585269.05, "jitter_ms": 0.00277,
                "lost_packets": 10769, "packets": 221850, "lost_percent": 4.854,
                "sender": True},
        "sum_sent": {"seconds": 1.000017, "bytes": 14198400,
                     "bits_per_second": 113585269.05, "packets": 221850},
        "sum_received": {"seconds": 1.000065, "bytes": 13508928,
                         "bits_per_second": 108064399.81, "lost_packets": 10769,
                         "packets": 221846},
    },
}


def test_kernel_side_reads_iperf3_udp_json() -> None:
    r = parse_json("a", IPv4Address("10.9.0.2"), REAL_UDP_JSON)
    assert (r.protocol, r.packets, r.lost_packets) == ("UDP", 221850, 10769)
    assert r.bytes == 13508928 and r.bits_per_second == 108064399.81
    assert r.sent_bps == 113585269.05 and not r.modelled


def test_kernel_side_reads_iperf3_errors() -> None:
    r = parse_json("a", IPv4Address("10.9.0.2"), {
        "start": {}, "end": {},
        "error": "unable to connect to server: Connection refused"})
    assert r.errors == ("iperf3: error - unable to connect to server: Connection refused",)


def test_client_command_line() -> None:
    assert client_argv(IPv4Address("10.0.0.2"), udp=True, bitrate=10**9, time_s=2,
                       length=1448, window=131072) == [
        "iperf3", "-c", "10.0.0.2", "-p", "5201", "-t", "2", "-J", "-u", "-b",
        "1000000000", "-l", "1448", "-w", "131072"]
