"""``ip xfrm`` in ``vnetlab script``: two namespaces ping through transport-mode ESP set
up with the commands a user types; listings as iproute2 prints them; its errors."""

from __future__ import annotations

import pytest

from vnetlab.script import run_script

KEY_AB = "0x" + "11" * 20
KEY_BA = "0x" + "22" * 20


def _side(me: str, peer: str, kout: str, kin: str, spi_out: str, spi_in: str) -> str:
    aead = "aead 'rfc4106(gcm(aes))'"
    return "\n".join([
        f"ip xfrm state add src {me} dst {peer} proto esp spi {spi_out} reqid 1 "
        f"mode transport {aead} {kout} 128 replay-window 32",
        f"ip xfrm state add src {peer} dst {me} proto esp spi {spi_in} reqid 2 "
        f"mode transport {aead} {kin} 128 replay-window 32",
        f"ip xfrm policy add src {me}/32 dst {peer}/32 dir out "
        f"tmpl src {me} dst {peer} proto esp reqid 1 mode transport",
        f"ip xfrm policy add src {peer}/32 dst {me}/32 dir in "
        f"tmpl src {peer} dst {me} proto esp reqid 2 mode transport",
    ]) + "\n"


SETUP = """\
ip link add veth0 type veth peer name veth1
ip netns add ns1
ip link set veth1 netns ns1
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip netns exec ns1 ip addr add 10.0.0.2/24 dev veth1
ip netns exec ns1 ip link set veth1 up
""" + _side("10.0.0.1", "10.0.0.2", KEY_AB, KEY_BA, "0x100", "0x200") + "".join(
    "ip netns exec ns1 " + line + "\n"
    for line in _side("10.0.0.2", "10.0.0.1", KEY_BA, KEY_AB, "0x200", "0x100").splitlines())


def run(text: str) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    rc, _ = run_script(text, out=out.append, err=err.append, source="t.sh")
    return rc, out, err


def _lines(out: list[str]) -> list[str]:
    return "\n".join(out).splitlines()


def test_ping_through_esp_and_the_listings() -> None:
    rc, out, err = run(SETUP + "ping -c 2 10.0.0.2\nip xfrm state\nip xfrm policy\n")
    assert rc == 0, err
    assert "2 packets transmitted, 2 received, 0% packet loss, time 1000ms" in out
    lines = _lines(out)
    i = lines.index("src 10.0.0.2 dst 10.0.0.1")  # newest first, as the kernel dumps
    assert lines[i:i + 12] == [
        "src 10.0.0.2 dst 10.0.0.1",
        "\tproto esp spi 0x00000200 reqid 2 mode transport",
        "\treplay-window 32 ",
        f"\taead rfc4106(gcm(aes)) {KEY_BA} 128",
        "\tanti-replay context: seq 0x2, oseq 0x0, bitmap 0x00000003",
        "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 ",
        "src 10.0.0.1 dst 10.0.0.2",
        "\tproto esp spi 0x00000100 reqid 1 mode transport",
        "\treplay-window 32 ",
        f"\taead rfc4106(gcm(aes)) {KEY_AB} 128",
        "\tanti-replay context: seq 0x0, oseq 0x2, bitmap 0x00000000",
        "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 ",
    ]
    assert lines[i + 12:] == [
        "src 10.0.0.2/32 dst 10.0.0.1/32 ",
        "\tdir in priority 0 ",
        "\ttmpl src 10.0.0.2 dst 10.0.0.1",
        "\t\tproto esp reqid 2 mode transport",
        "src 10.0.0.1/32 dst 10.0.0.2/32 ",
        "\tdir out priority 0 ",
        "\ttmpl src 10.0.0.1 dst 10.0.0.2",
        "\t\tproto esp reqid 1 mode transport",
    ]


def test_stats_listing_counts_failures() -> None:
    # ns1 holds the wrong key for 10.0.0.1's SA: every packet fails its ICV there
    bad = SETUP.replace(f"ip netns exec ns1 ip xfrm state add src 10.0.0.1 dst 10.0.0.2 "
                        f"proto esp spi 0x100 reqid 2 mode transport aead "
                        f"'rfc4106(gcm(aes))' {KEY_AB}",
                        f"ip netns exec ns1 ip xfrm state add src 10.0.0.1 dst 10.0.0.2 "
                        f"proto esp spi 0x100 reqid 2 mode transport aead "
                        f"'rfc4106(gcm(aes))' {KEY_BA}")
    assert bad != SETUP
    rc, out, err = run(bad + "ping -c 2 -W 1 10.0.0.2\nip netns exec ns1 ip -s xfrm state\n")
    lines = _lines(out)
    i = lines.index("src 10.0.0.1 dst 10.0.0.2")
    end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("src "))
    block = lines[i:end]
    assert block[1] == "\tproto esp spi 0x00000100(256) reqid 2(0x00000002) mode transport"
    assert block[2] == "\treplay-window 32 seq 0x00000000 flag  (0x00000000)"
    assert block[3] == f"\taead rfc4106(gcm(aes)) {KEY_BA} (160 bits) 128"
    assert block[-2:] == ["\tstats:", "\t  replay-window 0 replay 0 failed 2"]
    assert "\t  0(bytes), 0(packets)" in block


@pytest.mark.parametrize("line, message, rc", [
    ("ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto bogus spi 1",
     'Error: argument "bogus" is wrong: XFRM-PROTO value is invalid', 255),
    ("ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 1",
     'ALGO-TYPE value "enc" or "aead" is required with XFRM-PROTO value "esp"', 255),
    ("ip xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir up",
     'Error: argument "up" is wrong: DIR value is invalid', 255),
    ("ip xfrm policy frob", 'Command "frob" is unknown, try "ip xfrm policy help".', 255),
    ("ip xfrm bogus", "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }", 255),
])
def test_errors(line: str, message: str, rc: int) -> None:
    got, _, err = run(line + "\n")
    assert got == rc
    assert any(message in e for e in err), err


def test_duplicate_state_and_flush() -> None:
    one = (f"ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode transport "
           f"aead 'rfc4106(gcm(aes))' {KEY_AB} 128\n")
    rc, _, err = run(one + one)
    assert rc == 2 and any("RTNETLINK answers: File exists" in e for e in err)
    rc, out, err = run(one + "ip xfrm state flush\nip xfrm state\n")
    assert rc == 0 and out == []
