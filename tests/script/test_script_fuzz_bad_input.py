"""Fuzzing the script lexer and interpreter (issue 10 guard).

Whatever the script, ``run_script`` returns an exit status in 0..255 and reports every
failure through the interpreter's own error path (``SOURCE:LINE: message`` on the err
sink): no Python exception escapes, and both wall time and virtual time stay bounded.
Scripts are drawn from the examples, the script tests' own snippets and a table of known
bad inputs, then mutated (characters dropped, doubled, swapped; quotes, ``$(``, NUL, huge
numbers and operators spliced in). A few seconds in CI; ``VNETLAB_FUZZ_EXAMPLES=N`` runs N
examples per target.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vnetlab.script import run_script
from vnetlab.script.apps.sleep import MAX_SLEEP_S
from vnetlab.sim.clock import S

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "40"))
#: CI: the same inputs every run (a red CI names a bug found here, not luck)
DERANDOMIZE = "VNETLAB_FUZZ_EXAMPLES" not in os.environ
#: one example may take this long on a slow CI machine (a real run is ~10 ms)
WALL_LIMIT_S = 20.0


def _corpus() -> list[str]:
    lines: list[str] = []
    for p in sorted((ROOT / "examples").glob("*.sh")):
        lines += p.read_text().splitlines()
    # the command lines the script tests feed the interpreter
    for p in sorted((ROOT / "tests" / "script").glob("test_script_*.py")):
        if p.name == Path(__file__).name:
            continue
        for m in re.finditer(r"^((?:ip|bridge|ping|sleep|tcpdump|sysctl|arping|echo|cat|set)"
                             r" [^\n\"\\]{0,120})$", p.read_text(), re.M):
            lines.append(m.group(1))
    return sorted(set(lines))


CORPUS = _corpus() + [
    "ip link add vx type vxlan id 99999999 dstport 0",
    "ip link add link eth0 name v10 type vlan id 10",
    "ip link add mv0 link eth0 type macvlan mode bridge",
    "ip addr add 10.9.0.1/24 dev eth0", "ip link set eth0 up",
    "ping -c 2 -i 0.2 10.9.0.255", "ping -b -c 1 10.9.0.255", "ping -c 1 0.0.0.0",
    "sleep 0.5", "sleep infinity", "sleep -5", "tcpdump -i eth0 -n -c 1 &", "wait", "kill %1",
    "X=$(ip -br link)", "echo $X ${Y:-d} $?", "set -e", "set -u", "set -x", "exit 3",
    "cat /proc/sys/net/ipv4/ip_forward", "sysctl -w net.ipv4.ip_forward=1",
    "echo hi > out.txt", "cat out.txt | grep hi | wc -l", "for i in 1 2; do echo; done",
    "sudo ip -j -p link show", "ip netns exec ns1 ip route", "true && false || echo x",
]
SPLICE = ["'", '"', "$(", ")", "`", "\\", "\x00", ";", "&&", "||", "|", "&", ">", ">>", "<",
          "<<", "#", "$", "${", "}", "-", "99999999999999999999", "1e308", "nan", "-1",
          "65536", "0", " ", "\t", "<ns>", "é", "\udcff"[:0] + "\u00ff", "\\\n", "sudo",
          "$(echo " * 40, "inf"]


@st.composite
def scripts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=8))
    out: list[str] = []
    for line in lines:
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(["drop", "double", "splice", "swap"]))
            if not line:
                break
            i = draw(st.integers(0, len(line) - 1))
            if op == "drop":
                line = line[:i] + line[i + 1:]
            elif op == "double":
                line = line[:i] + line[i] + line[i:]
            elif op == "splice":
                line = line[:i] + draw(st.sampled_from(SPLICE)) + line[i:]
            else:
                j = draw(st.integers(0, len(line) - 1))
                chars = list(line)
                chars[i], chars[j] = chars[j], chars[i]
                line = "".join(chars)
        out.append(line)
    return "\n".join(out) + "\n"


def _check(text: str, tmp: Path) -> None:
    out: list[str] = []
    err: list[str] = []
    cwd = os.getcwd()
    os.chdir(tmp)  # `> file` writes land in the test's own directory
    start = time.monotonic()
    try:
        rc, it = run_script(text, out=out.append, err=err.append, source="fuzz.sh")
    finally:
        os.chdir(cwd)
    wall = time.monotonic() - start
    assert 0 <= rc <= 255, (rc, text)
    assert wall < WALL_LIMIT_S, (wall, text)
    if it._world is not None:
        # the longest a script can wait: sleeps (bounded), pings and captures (bounded)
        assert it.world.sched.now <= 10 * (MAX_SLEEP_S + 3600) * S, text


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=scripts())
# the bad inputs issue 10 names: each crashed or hung the interpreter once
@example(text="sleep infinity\nsleep nan\nsleep 1e308\nsleep -5\n")
@example(text="echo " + "$(echo " * 500 + "x" + ")" * 500 + "\n")
@example(text="cat /dev/zero\nexit abc\n")
@example(text="ip netns add n\n" + "ip netns exec n " * 600 + "ip link\n" + "sudo " * 3000 + ":\n")
@example(text='set -u\necho "$NOPE\n')
@example(text="ping -c 1 -W inf 127.0.0.1\nping -w 5 -i 0 -c 3 127.0.0.1\n")
def test_mutated_scripts_never_escape_the_error_path(text: str, tmp_path: Path) -> None:
    _check(text, tmp_path)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(codec="utf-8"), max_size=200))
def test_random_text_never_escapes_the_error_path(text: str, tmp_path: Path) -> None:
    _check(text, tmp_path)
