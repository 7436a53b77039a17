"""Issue 10: bad input to scripts never crashes, hangs or lies (items 5-8, 16-18)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vnetlab.script import run_script


def run(text: str) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    rc, _ = run_script(text, out=out.append, err=err.append, source="t.sh")
    return rc, out, err


# -- item 5: sleep ----------------------------------------------------------------------
@pytest.mark.parametrize("arg", ["nan", "NaN", "s", "abc", "1x"])
def test_sleep_invalid_interval_uses_coreutils_words(arg: str) -> None:
    rc, _, err = run(f"sleep {arg}\n")
    assert rc == 1
    assert err[0] == f"t.sh:1: sleep: invalid time interval '{arg}'"


@pytest.mark.parametrize("arg", ["infinity", "inf", "1e308", "400d"])
def test_sleep_that_never_returns_is_refused_not_overflowed(arg: str) -> None:
    rc, out, err = run(f"sleep {arg}\necho after\n")
    assert rc == 0 and out == ["after"]  # no set -e: the script goes on, as sh would
    assert err[0] == f"t.sh:1: sleep: invalid time interval '{arg}'"
    assert "would not return" in err[1]


def test_sleep_negative_is_an_option_to_coreutils() -> None:
    rc, _, err = run("sleep -5\n")
    assert rc == 1
    assert err[0] == "t.sh:1: sleep: invalid option -- '5'"


def test_sleep_infinity_in_setup_stops_setup_cleanly() -> None:
    rc, out, err = run("set -e\nsleep infinity\necho after\n")
    assert rc == 1 and out == []


# -- item 6: ping -c 65536 --------------------------------------------------------------
def test_ping_icmp_seq_wraps_at_16_bits() -> None:
    rc, out, err = run("ping -c 65537 -i 0.001 127.0.0.1\n")
    assert rc == 0, err
    assert "65537 packets transmitted, 65537 received, 0% packet loss" in "\n".join(out)
    replies = [line for line in out if "icmp_seq=" in line]
    assert "icmp_seq=65535 " in replies[65534]
    assert "icmp_seq=0 " in replies[65535]
    assert "icmp_seq=1 " in replies[65536]


# -- item 7: cat ------------------------------------------------------------------------
def test_cat_binary_file_prints_without_decode_error(tmp_path: Path) -> None:
    f = tmp_path / "bin"
    f.write_bytes(b"ok\n\xff\xfe\x00\x80tail\n")
    rc, out, err = run(f"cat {f}\n")
    assert rc == 0, err
    assert out[0] == "ok" and out[1].endswith("tail")


@pytest.mark.parametrize("dev", ["/dev/zero", "/dev/urandom"])
def test_cat_of_a_device_is_refused(dev: str) -> None:
    rc, out, err = run(f"cat {dev}\n")
    assert rc == 2 and out == []
    assert "not supported yet" in err[0] and "regular files" in err[0]


def test_cat_of_a_fifo_is_refused_not_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rc, _, err = run(f"cat {fifo}\n")
    assert rc == 2 and "not supported yet" in err[0]


def test_cat_reads_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnetlab.script import builtins

    monkeypatch.setattr(builtins, "MAX_CAT_BYTES", 10)
    f = tmp_path / "big"
    f.write_text("0123456789abcdef\n")
    rc, out, err = run(f"cat {f}\n")
    assert rc == 0 and out == ["0123456789"]
    assert "first 10 bytes" in err[0]


# -- item 8: nested command substitution ------------------------------------------------
def test_deeply_nested_command_substitution_is_a_clean_error() -> None:
    rc, out, err = run("echo " + "$(echo " * 500 + "x" + ")" * 500 + "\necho next\n")
    assert rc == 0 and out == ["next"]
    assert len(err) == 1 and "nesting too deep" in err[0] and err[0].startswith("t.sh:1:")


def test_moderately_nested_substitution_still_works() -> None:
    rc, out, _ = run("echo " + "$(echo " * 20 + "x" + ")" * 20 + "\n")
    assert rc == 0 and out == ["x"]


# -- item 16: POSIX sh semantics or "not supported yet" ---------------------------------
def test_unterminated_quote_is_dash_syntax_error_and_stops() -> None:
    rc, out, err = run('echo "abc\necho after\n')
    assert rc == 2 and out == []
    assert err[0].startswith("t.sh:1: Syntax error: Unterminated quoted string")


def test_set_u_errors_on_unset_variable_and_stops() -> None:
    rc, out, err = run("set -u\necho ${A:-d} $?\necho $NOPE\necho after\n")
    assert rc == 2 and out == ["d 0"]
    assert err == ["t.sh:3: NOPE: parameter not set"]


def test_set_o_nounset_is_set_u() -> None:
    rc, _, err = run("set -o nounset\necho ${NOPE}\n")
    assert rc == 2 and err == ["t.sh:2: NOPE: parameter not set"]


def test_assignment_of_failing_substitution_stops_set_e() -> None:
    rc, out, _ = run("set -e\nX=$(false)\necho after\n")
    assert rc == 1 and out == []


def test_assignment_takes_the_substitution_status() -> None:
    rc, out, _ = run("X=$(false)\necho $?\nY=$(true)\necho $?\n")
    assert out == ["1", "0"]


@pytest.mark.parametrize("arg", ["abc", "-1", "1.5"])
def test_exit_with_illegal_number_is_an_error(arg: str) -> None:
    rc, out, err = run(f"exit {arg}\necho after\n")
    assert rc == 2 and out == []
    assert err == [f"t.sh:1: exit: Illegal number: {arg}"]


def test_exit_status_is_modulo_256() -> None:
    assert run("exit 257\n")[0] == 1


def test_nul_byte_is_refused() -> None:
    rc, out, err = run("echo a\x00b\necho after\n")
    assert rc == 2 and out == []
    assert "NUL" in err[0] and err[0].startswith("t.sh:1: Syntax error")


@pytest.mark.parametrize(("text", "what"), [
    ("for i in 1 2; do echo $i; done", "'for'"),
    ("while true; do echo; done", "'while'"),
    ("if true; then echo; fi", "'if'"),
    ("case x in x) echo;; esac", "'case'"),
    ("f() { echo hi; }", "shell functions"),
    ("cat <<EOF", "here-documents"),
    ("(echo hi)", "subshells"),
    ("echo a; for i in 1; do :; done", "'for'"),
])
def test_compound_commands_say_not_supported_yet(text: str, what: str) -> None:
    rc, out, err = run(text + "\necho after\n")
    assert rc == 2 and out == []
    assert len(err) == 1 and what in err[0] and "not supported yet" in err[0]
    assert "command not found" not in err[0]


def test_quoted_lookalikes_still_run() -> None:
    rc, out, _ = run("echo 'for' \"<<\" 'if'\necho 'it''s'\n")
    assert rc == 0 and out == ["for << if", "its"]


# -- item 17: the real tools' words and exit codes (checked in the unshare sandbox) ----
@pytest.mark.parametrize(("cmd", "line"), [
    ("ip link add vx type vxlan id 99999999 dstport 4789",
     'Error: argument "99999999" is wrong: invalid id'),
    ("ip link add vx type vxlan id abc dstport 1", 'Error: argument "abc" is wrong: invalid id'),
    ("ip link add vx type vxlan id 9 dstport 70000",
     'Error: argument "70000" is wrong: dst port'),
    ("ip link add vx type vxlan id 9 dstport 1 ttl 300",
     'Error: argument "300" is wrong: TTL must be <= 255'),
    ("ip link add vx type vxlan id 9 dstport 1 ttl abc",
     'Error: argument "abc" is wrong: invalid TTL'),
    ("ip link add g type geneve id 99999999 remote 1.2.3.4",
     'Error: argument "99999999" is wrong: invalid id'),
    ("ip link set eth0 mtu abc", 'Error: argument "abc" is wrong: Invalid "mtu" value'),
    ("ip route add 1.2.3.0/24 dev eth0 metric abc",
     'Error: argument "abc" is wrong: "metric" value is invalid'),
])
def test_iproute2_invalid_argument_words_and_status_255(cmd: str, line: str) -> None:
    rc, _, err = run(cmd + "\n")
    assert rc == 255
    assert err == [f"t.sh:1: {line}"]
    assert "Input should" not in " ".join(err)


def test_no_pydantic_wording_for_a_bad_remote() -> None:
    rc, _, err = run("ip link add vx type vxlan id 9 dstport 1 remote 1.2.3.x\n")
    assert rc == 1
    assert err == ['t.sh:1: Error: any valid address is expected rather than "1.2.3.x".']


@pytest.mark.parametrize(("kind", "extra", "port"), [
    ("vxlan", "id 9 dev eth0", 8472), ("geneve", "id 9 remote 1.2.3.4", 6081)])
def test_dstport_0_is_the_kernel_default(kind: str, extra: str, port: int) -> None:
    rc, out, err = run(f"ip link add t0 type {kind} {extra} dstport 0\nip -d link show t0\n")
    assert rc == 0, err
    assert err == []  # dstport 0 also quiets iproute2's "destination port not specified"
    assert f"port {port} " in out[2]


def test_vxlan_ttl_auto_is_accepted() -> None:
    rc, _, err = run("ip link add vx type vxlan id 9 dstport 4789 ttl auto\n")
    assert rc == 0, err


@pytest.mark.parametrize(("size", "err_line"), [
    ("65508", "ping: local error: message too long, mtu=65535"), ("70000", None)])
def test_ping_oversized_payload_fails_to_send_as_iputils(size: str,
                                                         err_line: str | None) -> None:
    rc, out, err = run(f"ping -c 1 -W 1 -s {size} 127.0.0.1\n")
    assert rc == 1
    assert out[0] == f"PING 127.0.0.1 (127.0.0.1) {size}({int(size) + 28}) bytes of data."
    assert err == ([err_line] if err_line else [])
    assert any(line.startswith("1 packets transmitted, 0 received") for line in out)


@pytest.mark.parametrize(("size", "words"), [
    ("abc", "ping: invalid argument: 'abc'"),
    ("2147483648", "ping: invalid argument: '2147483648': out of range: 0 <= value "
                   "<= 2147483647")])
def test_ping_bad_size_words(size: str, words: str) -> None:
    rc, _, err = run(f"ping -c 1 -s {size} 127.0.0.1\n")
    assert rc == 1 and err == [f"t.sh:1: {words}"]


# -- item 18: ping 0.0.0.0 and broadcasts -----------------------------------------------
BCAST_LAN = "ip addr add 10.9.0.1/24 dev eth0\nip link set eth0 up\n"


def test_ping_0_0_0_0_is_delivered_locally() -> None:
    rc, out, err = run("ping -c 1 0.0.0.0\n")
    assert rc == 0, err
    assert out[0] == "PING 0.0.0.0 (127.0.0.1) 56(84) bytes of data."
    assert out[1].startswith("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64")
    assert "--- 0.0.0.0 ping statistics ---" in out


def test_ping_broadcast_without_b_is_refused() -> None:
    rc, out, err = run(BCAST_LAN + "ping -c 1 10.9.0.255\n")
    assert rc == 2 and out == []
    assert err == ["t.sh:3: ping: Do you want to ping broadcast? Then -b. If not, check "
                   "your local firewall rules"]


def test_ping_b_sends_a_link_layer_broadcast() -> None:
    rc, out, err = run(BCAST_LAN + "tcpdump -i eth0 -n -e -c 1 &\n"
                       "ping -b -c 1 -W 1 10.9.0.255\nwait\n")
    assert "WARNING: pinging broadcast address" in err
    frames = [line for line in out if "ICMP echo request" in line]
    assert len(frames) == 1 and "> ff:ff:ff:ff:ff:ff," in frames[0], out
    assert not any("ARP" in line for line in out)


def test_emulator_ping_app_refuses_broadcast_and_maps_0_0_0_0() -> None:
    from ipaddress import IPv4Address

    _, it = run_script(BCAST_LAN, out=lambda s: None, err=lambda s: None)
    engine = it.world.engine
    r = engine.ping("host", IPv4Address("10.9.0.255"))
    assert r.transmitted == 0 and r.received == 0
    assert r.errors == ("ping: Do you want to ping broadcast? Then -b. If not, check your "
                        "local firewall rules",)
    r = engine.ping("host", IPv4Address("0.0.0.0"))
    assert r.received == 1 and r.errors == ()


# -- found by the fuzz guard: ping times and counts that overflowed or never ended ------
@pytest.mark.parametrize(("cmd", "rc", "words"), [
    ("ping -c 1 -W inf 127.0.0.1", 2, "ping: bad linger time: inf: Numerical result out of range"),
    ("ping -c 1 -W nan 127.0.0.1", 2, "ping: bad linger time: nan: Numerical result out of range"),
    ("ping -c 2 -i inf 127.0.0.1", 2,
     "ping: bad timing interval: inf: Numerical result out of range"),
    ("ping -c 1 -W 1e300 127.0.0.1", 2, "ping: bad linger time: 1e300"),
    ("ping -w 1e308 127.0.0.1", 1, "ping: invalid argument: '1e308'"),
])
def test_ping_time_arguments_use_iputils_words(cmd: str, rc: int, words: str) -> None:
    got_rc, _, err = run(cmd + "\n")
    assert got_rc == rc and err == [f"t.sh:1: {words}"]


def test_ping_deadline_with_interval_0_ends() -> None:
    rc, out, err = run("ping -w 1 -i 0 -q 127.0.0.1\n")
    assert rc == 0, err
    stats = next(line for line in out if "packets transmitted" in line)
    sent, received = stats.split(" packets transmitted, ")[0], stats.split(", ")[1]
    assert received == f"{sent} received"


def test_ping_count_that_would_never_end_is_refused() -> None:
    rc, out, err = run("ping -c 99999999999 127.0.0.1\n")
    assert rc == 2 and out == []
    assert "at most 100000 echo requests" in err[0]


# -- the same paths in a lab's setup: script ---------------------------------------------
@pytest.mark.parametrize(("line", "words"), [
    ("sleep infinity", "sleep: invalid time interval 'infinity'"),
    ("sleep nan", "sleep: invalid time interval 'nan'"),
    ("cat /dev/zero", "cat /dev/zero: not supported yet"),
    ("exit abc", "exit: Illegal number: abc"),
    ("for i in 1; do :; done", "'for'"),
])
def test_setup_script_bad_input_fails_realize_cleanly(line: str, words: str) -> None:
    from vnetlab.engine import EngineError
    from vnetlab.model import load_lab_text
    from vnetlab.script.setup import run_setup
    from vnetlab.sim.engine import SimEngine

    lab = load_lab_text(f"name: s\nnodes:\n  a: {{}}\nsetup: |\n  {line}\n  echo after\n")
    with pytest.raises(EngineError) as e:
        SimEngine(setup_runner=run_setup).realize(lab)
    assert words in str(e.value)


def test_deeply_nested_netns_exec_is_a_clean_error() -> None:
    rc, out, err = run("ip netns add ns1\n" + "ip netns exec ns1 " * 600 + "ip -br link\n")
    assert rc == 2 and out == []
    assert err == ["t.sh:2: vnetlab: ip netns exec nested more than 32 deep"]


def test_sudo_chains_do_not_recurse() -> None:
    rc, out, _ = run("sudo " * 3000 + "echo hi\n")
    assert rc == 0 and out == ["hi"]


# -- the words above, checked against the real tools in the private sandbox ---------------
SANDBOX_CASES = [
    "ip link add vx type vxlan id 99999999 dstport 4789",
    "ip link add vx type vxlan id 9 dstport 70000",
    "ip link add vx type vxlan id 9 dstport 1 ttl 300",
    "ip link add vx type vxlan id 9 dstport 1 ttl abc",
    "ip link add vx type vxlan id 9 dstport 1 remote 1.2.3.x",
    "ip link set eth0 mtu abc",
    "ip route add 1.2.3.0/24 dev eth0 metric abc",
    "ping -c 1 -W inf 127.0.0.1",
    "ping -c 1 -i inf 127.0.0.1",
    "ping -c 1 -W 1e300 127.0.0.1",
    "ping -w 1e308 127.0.0.1",
    "ping -c 1 -s abc 127.0.0.1",
    "ping -c 1 -s 2147483648 127.0.0.1",
    "ip addr add 10.9.0.1/24 dev eth0 && ping -c 1 10.9.0.255",
]


@pytest.mark.parametrize("cmd", SANDBOX_CASES)
def test_words_and_status_match_the_real_tools(cmd: str) -> None:
    from vnetlab.script.sandbox import run_in_sandbox, unavailable

    why = unavailable()
    if why is not None:
        pytest.skip(f"kernel sandbox: {why}")
    real = run_in_sandbox(cmd + "\n", timeout=20)
    rc, _, err = run(cmd + "\n")
    assert rc == real.rc, (err, real.stderr)
    real_lines = [line for line in real.stderr.splitlines() if line.strip()]
    assert [e.removeprefix("t.sh:1: ") for e in err] == real_lines


def test_ping_0_0_0_0_header_matches_iputils() -> None:
    from vnetlab.script.sandbox import run_in_sandbox, unavailable

    why = unavailable()
    if why is not None:
        pytest.skip(f"kernel sandbox: {why}")
    real = run_in_sandbox("ping -c 1 0.0.0.0\n", timeout=20)
    _, out, _ = run("ping -c 1 0.0.0.0\n")
    assert real.rc == 0 and out[0] == real.stdout.splitlines()[0]
