"""Every command block of the seed about veth, bridge, TUN/TAP, VLAN, VXLAN, Geneve,
MACVLAN/IPVLAN and SR-IOV runs unchanged in the shell, or says "not supported yet" clearly.

A block is split into snippets at its comment lines (the seed's VXLAN block holds two
alternatives). Each snippet runs in a fresh session after the seed's earlier snippets
(their state is what the text assumes; errors there are ignored, and an earlier snippet
that creates a device this one creates is skipped: the seed's alternatives). ``CONTEXT``
adds what the text assumes without showing it. A snippet passes when no line fails, or
when the first failing line says "not supported yet" (what follows it may depend on it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vnetlab.script import Interpreter

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "000_26f4587a02479e70.txt"
if not SEED.exists():
    SEED = Path("/work/shared/seed/000_26f4587a02479e70.txt")

#: the seed's sections this test covers (heading line -> topic)
SECTIONS = ["veth Pair", "Linux Bridge", "TUN/TAP Devices", "VLAN (802.1Q)",
            "VXLAN: Virtual Extensible LAN", "Geneve", "MACVLAN and IPVLAN",
            "SR-IOV: Single Root I/O Virtualization", "Production Examples",
            "Debugging Notes"]
STOP = {"Open vSwitch (OVS)", "Historical Context", "Security Implications"}
TOOLS = ("ip ", "bridge ", "ping ", "tcpdump ", "arping ", "ethtool ", "ovs-", "echo ",
         "sysctl ")
#: the seed's placeholders, filled
FILLS = {"namespace": "ns1", "ns": "ns1", "mac": "02:00:00:00:00:aa", "port": "veth0",
         "remote_vtep_ip": "10.0.0.2", "remote_inner_ip": "192.168.100.2"}
#: what the seed assumes without showing it: the container namespace, a second NIC on
#: the bridge (its trunk port eth1), and a home for the capture file
CONTEXT = """\
ip netns add ns1
ip link add eth1 type veth peer name eth1-peer
"""
CONTEXT_AFTER_BRIDGE = "ip link set eth1 master br0\n"
#: sections whose snippets are alternatives for the host's own eth0 (a macvlan or an ipvlan
#: on it, not both, and not while it is a bridge port — Linux refuses those as busy): each
#: runs on a fresh host
FRESH = {"MACVLAN and IPVLAN"}


def snippets() -> list[tuple[str, int, str]]:
    """(section, first line number in the seed, text) per snippet."""
    lines = SEED.read_text().splitlines()
    out: list[tuple[str, int, str]] = []
    section = None
    cur: list[str] = []
    start = 0
    cont = False

    def flush() -> None:
        nonlocal cur
        if cur and section is not None and any(not c.startswith("#") for c in cur):
            out.append((section, start, "\n".join(cur) + "\n"))
        cur = []

    for n, line in enumerate(lines, 1):
        s = line.strip()
        if s in SECTIONS or s in STOP:
            flush()
            section = s if s in SECTIONS else None
            continue
        is_cmd = s.startswith(TOOLS) or cont
        if s.startswith("# ") and not cont:
            flush()
            start = n
            cur = [s]
            continue
        if is_cmd:
            if not cur:
                start = n
            cur.append(line.rstrip())
            cont = s.endswith("\\")
            continue
        flush()
        cont = False
    flush()
    return out


def _created(text: str) -> set[str]:
    return set(re.findall(r"ip link add (?:name )?(\S+)", text))


pytestmark = pytest.mark.skipif(not SEED.exists(), reason=f"seed file not found at {SEED}")


def _cases() -> list[tuple[int, str, int, str, str]]:
    if not SEED.exists():
        return []
    snips = snippets()
    cases = []
    for i, (section, start, text) in enumerate(snips):
        mine = _created(text)
        prelude = CONTEXT
        for section0, _, before in ([] if section in FRESH else snips[:i]):
            if not (_created(before) & mine):
                prelude += before
            if section0 == "Linux Bridge" and CONTEXT_AFTER_BRIDGE not in prelude:
                prelude += CONTEXT_AFTER_BRIDGE
        cases.append((i, section, start, prelude, text))
    return cases


def test_the_seed_has_the_blocks_we_expect() -> None:
    sections = {s for s, _, _ in snippets()}
    assert set(SECTIONS) <= sections
    assert len(snippets()) >= 20


@pytest.mark.parametrize("i, section, start, prelude, text", _cases(),
                         ids=[f"{c[1]}:{c[2]}" for c in _cases()])
def test_seed_snippet_runs_or_says_not_supported_yet(
    tmp_path: Path, i: int, section: str, start: int, prelude: str, text: str
) -> None:
    it = Interpreter(fills=FILLS, source="prelude", out=lambda s: None, err=lambda s: None)
    it.world.file_root = tmp_path
    it.run_text(prelude, finish=False)
    errors: list[str] = []
    out: list[str] = []
    it.source = f"seed:{start}"
    it.out, it.err = out.append, errors.append
    rc = it.run_text(text)
    failures = [e for e in errors if e.startswith("seed:")]
    if failures:
        assert "not supported yet" in failures[0], (
            f"seed line {start} ({section}) failed:\n{text}\n" + "\n".join(errors))
    else:
        assert rc in (0, 1), "\n".join(errors)  # 1: ping/arping/grep found nothing
